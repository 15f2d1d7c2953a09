/// The waits of the search's lower bound on context-parallel exchanges and on the routed tokens'
/// TP collectives, as the timeline issues them (`PassSteps`).
extension BoundCache {
    /// Per layer, seconds the compute stream waits on the context-parallel exchanges of the
    /// attention core in a forward and in a backward (which reruns the forward's under full
    /// recompute), as the timeline runs them (`PassSteps.core`):
    /// - Ulysses: the all-to-all before the core and the one after it, each way; the core waits
    ///   for the first, the projection after it for the second.
    /// - Ring: each of the cp - 1 steps with a send begins it together with its share of the core,
    ///   and the next step waits for both, so a step lasts the longer of the two; the wait is what
    ///   the send outlasts the share.
    ///
    /// Sends at their time alone (sharing links only slows them) and the core at full rate (a
    /// slower core lengthens a ring step at least as much as it hides): below the timeline.
    /// `algorithm` nil: no wait counted, which holds for either algorithm.
    /// Cached per key like the other pieces of the bound: the closed form asks for it per candidate.
    mutating func contextWaits(tp: Int, cp: Int, dp: Int, microBatch: Int, algorithm: ContextParallelAlgorithm?, recompute: Recompute,
                               core: LayerTime) -> ContextWaits {
        guard cp > 1, let algorithm, let net = network else { return ContextWaits() }
        let key = ContextKey(tp: tp, cp: cp, dp: dp, microBatch: microBatch, algorithm: algorithm, recompute: recompute)
        if let hit = context[key] { return hit }
        let par = ParallelismSpec(tp: tp, pp: 1, vpp: 1, dp: dp, ep: 1, cp: cp, sequenceParallel: sequenceParallel && tp > 1, zero: 0,
                                  schedule: .oneFOneB, order: e.parallelism.order, layerSplit: nil)
        let tokens = Double(microBatch * e.training.sequenceLength / cp)
        let (f, b) = StepGraphBuilder.contextRequests(model: e.model, tokens: tokens, tp: tp, cp: cp, algorithm: algorithm,
                                                      group: Placement(par).cpGroup)
        let sf = net.cost(f).seconds, sb = net.cost(b).seconds
        var forward: Double, backward: Double
        if algorithm == .ulysses {
            forward = sf + sb
            backward = sb + sf
        } else if algorithm == .allgather {
            // Exposed: the gather before the kernel, and in the backward the gather again and the
            // gradients' reduce-scatter.
            forward = sf
            backward = sf + sb
        } else {
            let steps = Double(cp - 1), share = Double(cp)
            // Selective recompute reruns the core inside its backward (`PassSteps.backwardLayer`).
            let coreBackward = core.backward + (recompute == .selective ? core.forward : 0)
            forward = steps * max(0, sf - core.forward / share)
            backward = steps * max(0, sb - coreBackward / share)
        }
        if recompute == .full { backward += forward }
        let w = ContextWaits(forward: forward, backward: backward)
        context[key] = w
        return w
    }

    /// Seconds alone of the routed tokens' TP all-gather and reduce-scatter around the experts
    /// (experts split over TP), for a CP rank's `tokens` of a micro-batch on the busiest rank.
    func routedPair(tokens: Double, ep: Int, tpGroup: CommGroup, net: any CollectiveCostModel) -> Double {
        guard let (gather, scatter) = StepGraphBuilder.routedRequests(model: e.model, tokens: tokens, ep: ep, group: tpGroup) else { return 0 }
        return net.cost(gather).seconds + net.cost(scatter).seconds
    }
}
