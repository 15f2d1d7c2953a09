/// The inputs of `PassBound` from the bound cache's layer times and collective costs.
extension BoundCache {
    /// Per layer (dense, MoE): seconds the compute stream waits on collectives in a forward and in
    /// a backward that runs alone (no other pass beside it): the forward TP collectives around
    /// the linears (again in the backward under full recompute) and the EP all-to-alls of a MoE
    /// layer (`blockingComm` split by pass).
    /// `lead`: the first collective of a forward (and of a recomputing backward), which the pass
    /// may not wait for (`BoundCache.Waits.lead`).
    struct PassWaits { var forwardDense = 0.0, forwardMoE = 0.0, backwardDense = 0.0, backwardMoE = 0.0, forwardLead = 0.0, backwardLead = 0.0 }

    /// Each pass also waits on its own context-parallel exchanges (`contextWaits`, for the plan's
    /// algorithm; none counted without one) and on the routed tokens' TP gather and scatter around
    /// the experts, which run after the dispatch on its stream (`routedPair`).
    mutating func blockingByPass(_ k: CommKey, core: LayerTime) -> PassWaits {
        let both = blockingComm(CommKey(tp: k.tp, cp: k.cp, dp: k.dp, ep: k.ep, microBatch: k.microBatch, paired: true, recompute: k.recompute, etp: k.etp))
        let full = k.recompute == .full
        // `both.dense` is the TP waits of forward plus recompute; split them.
        let tpForward = both.dense / (full ? 2 : 1)
        let tpBackward = both.dense - tpForward
        // An MoE layer may issue fewer TP collectives than a dense one (whole experts, no shared
        // ones): its waits are the smaller of the two. Its routed pieces are counted exactly below.
        let hiddenMoE = both.moe - both.routed
        let tpForwardMoE = min(tpForward, hiddenMoE / (full ? 2 : 1))
        let tpBackwardMoE = min(tpBackward, hiddenMoE - hiddenMoE / (full ? 2 : 1))
        let tokens = Double(k.microBatch * e.training.sequenceLength / k.cp)
        let ep = expertByPass(tokens: tokens, tp: k.tp, cp: k.cp, dp: k.dp, ep: k.ep, recompute: k.recompute, etp: k.etp)
        var routed = 0.0
        if both.routed > 0, let net = network {
            let place = Placement(ParallelismSpec(tp: k.tp, pp: 1, vpp: 1, dp: k.dp, ep: k.ep, cp: k.cp, sequenceParallel: sequenceParallel && k.tp > 1,
                                                  zero: 0, schedule: .oneFOneB, order: e.parallelism.order, layerSplit: nil, expertTP: k.etp))
            routed = routedPair(tokens: tokens, ep: k.ep, tpGroup: place.tpGroup, net: net)
        }
        let context = contextWaits(tp: k.tp, cp: k.cp, dp: k.dp, microBatch: k.microBatch, algorithm: k.cpAlgorithm, recompute: k.recompute, core: core)
        return PassWaits(forwardDense: tpForward + context.forward, forwardMoE: tpForwardMoE + ep.forward + routed + context.forward,
                         backwardDense: tpBackward + context.backward,
                         backwardMoE: tpBackwardMoE + ep.backward + routed * (full ? 2 : 1) + context.backward,
                         forwardLead: both.lead, backwardLead: full ? both.lead : 0)
    }

    /// Per MoE layer and micro-batch, seconds alone of the EP collectives of a forward (dispatch
    /// and combine) and of a backward (the gradients of both, the forward's again under full
    /// recompute), on the busiest rank, for a plan's dimensions; zero without expert parallelism.
    func expertByPass(tokens: Double, tp: Int, cp: Int, dp: Int, ep: Int, recompute: Recompute, etp: Int) -> (forward: Double, backward: Double) {
        guard let net = network, ep > 1 else { return (0, 0) }
        let sp = sequenceParallel && tp > 1
        let par = ParallelismSpec(tp: tp, pp: 1, vpp: 1, dp: dp, ep: ep, cp: cp, sequenceParallel: sp, zero: 0,
                                  schedule: .oneFOneB, order: e.parallelism.order, layerSplit: nil, expertTP: etp)
        let epTokens = StepGraphBuilder.dispatchTokens(tokens, tp: tp, sequenceParallel: sp, etp: etp, dispatcher: e.training.framework.moeDispatcher)
        return expertPasses(tokens: epTokens, epGroup: Placement(par).epGroup, recompute: recompute, net: net)
    }

    /// The same for tokens already put in the dispatch (`StepGraphBuilder.dispatchTokens`) on an EP group.
    func expertPasses(tokens: Double, epGroup: CommGroup, recompute: Recompute, net: any CollectiveCostModel) -> (forward: Double, backward: Double) {
        guard let spec = e.model.moe, epGroup.size > 1, let cluster else { return (0, 0) }
        let dispatcher = e.training.framework.moeDispatcher
        let (dispatch, combine) = StepGraphBuilder.expertRequests(model: e.model, spec: spec, tokens: tokens, precision: e.training.precision,
                                                                  epGroup: epGroup, cluster: cluster, dispatcher: dispatcher)
        let d = net.cost(dispatch).seconds, c = net.cost(combine).seconds
        let g = net.cost(StepGraphBuilder.expertCombineGrad(dispatch: dispatch, combine: combine, dispatcher: dispatcher)).seconds
        return ((d + c) * spec.imbalance, (g + c + (recompute == .full ? d + c : 0)) * spec.imbalance)
    }

    /// The per-chunk figures of `PassBound` (chunks as `PipelineOrder.chunk` numbers them).
    func passBound(chunks: StageCompute, times t: Times, waits w: PassWaits, expert: (forward: Double, backward: Double)) -> PassBound {
        let n = chunks.forward.count
        let m = e.model
        let mtp = Double(m.mtpLayers)
        let mtpLayer = m.moe != nil ? t.moe : t.dense
        var weight = [Double](repeating: 0, count: n)
        for c in 0..<n {
            // The weight-gradient GEMMs, with a 5 % margin: the input-gradient pass counts as the
            // backward less this, so this must not be smaller than the timeline's W pass (which sums
            // the same GEMMs per piece); the W pass counts it with the margin taken off twice.
            weight[c] = 1.05 * (chunks.dense[c] * t.dense.gemm + chunks.moe[c] * t.moe.gemm
                + (c == n - 1 ? t.output.gemm * (1 + mtp) + mtp * mtpLayer.gemm : 0))
        }
        return PassBound(forward: chunks.forward, backward: chunks.backward, weight: weight,
                         waitForward: (0..<n).map { max(0, chunks.dense[$0] * w.forwardDense + chunks.moe[$0] * w.forwardMoE - w.forwardLead) },
                         waitBackward: (0..<n).map { max(0, chunks.dense[$0] * w.backwardDense + chunks.moe[$0] * w.backwardMoE - w.backwardLead) },
                         expertForward: chunks.moe.map { $0 * expert.forward }, expertBackward: chunks.moe.map { $0 * expert.backward },
                         smShare: compute.device.overlapSMFraction)
    }
}
