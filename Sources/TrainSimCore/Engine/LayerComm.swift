import Foundation

/// The communication of a step: what each layer sends per micro-batch (TP, CP, EP), the
/// pipeline's send/recv, and data-parallel synchronisation, costed by the network backend and
/// reduced to the part compute does not hide.
final class LayerComm {
    let e: Experiment
    let place: Placement
    let network: CollectiveCostModel
    let cluster: Cluster
    let wb: WorkloadBuilder
    private(set) var records: [CollectiveRecord] = []
    /// Costs already computed, by kind, label and size (a handful per step: a list beats hashing).
    private var cache: [(kind: CollectiveKind, label: String, bytes: Double, cost: CollectiveCost)] = []

    init(e: Experiment, place: Placement, network: CollectiveCostModel, cluster: Cluster, wb: WorkloadBuilder) {
        self.cluster = cluster
        self.e = e; self.place = place; self.network = network; self.wb = wb
    }

    struct Exposed {
        var tp = 0.0, cp = 0.0, ep = 0.0
        var forwardExposed = 0.0, backwardExposed = 0.0
        static func * (a: Exposed, k: Double) -> Exposed {
            Exposed(tp: a.tp * k, cp: a.cp * k, ep: a.ep * k, forwardExposed: a.forwardExposed * k, backwardExposed: a.backwardExposed * k)
        }
        static func + (a: Exposed, b: Exposed) -> Exposed {
            Exposed(tp: a.tp + b.tp, cp: a.cp + b.cp, ep: a.ep + b.ep,
                    forwardExposed: a.forwardExposed + b.forwardExposed, backwardExposed: a.backwardExposed + b.backwardExposed)
        }
    }

    func cost(_ r: CollectiveRequest) -> CollectiveCost {
        if let hit = cache.first(where: { $0.kind == r.kind && $0.bytes == r.bytes && $0.label == r.label }) { return hit.cost }
        let c = network.cost(r)
        cache.append((r.kind, r.label, r.bytes, c))
        return c
    }

    private func record(_ r: CollectiveRequest, _ c: CollectiveCost, calls: Double, exposed: Double) {
        if let i = records.firstIndex(where: { $0.label == r.label && $0.kind == r.kind && $0.bytes == r.bytes }) {
            records[i].callsPerStep += calls
            records[i].exposedSeconds += exposed
        } else {
            records.append(CollectiveRecord(label: r.label, kind: r.kind, groupSize: r.group.size, bytes: r.bytes,
                                            callsPerStep: calls, cost: c, exposedSeconds: exposed, group: r.group))
        }
    }

    var layersOfKind: (dense: Double, moe: Double) {
        let m = e.model
        let moe = m.moe.map { Double(m.layers - $0.denseLayers) } ?? 0
        return (Double(m.layers) - moe, moe)
    }

    /// Exposed communication of one layer and one micro-batch on one device.
    func perLayer(moe: Bool, fwd: LayerTime, bwd: Double) -> Exposed {
        let par = e.parallelism, m = e.model
        var x = Exposed()
        let dev = e.cluster.topology.device
        let mb = Double(e.microBatches)
        let layersThisKind = (moe ? layersOfKind.moe : layersOfKind.dense) / Double(par.pp)
        let T = wb.tokens, h = Double(m.hidden)
        let recomputeRepeats = e.training.recompute == .full ? 1.0 : 0.0
        if par.tp > 1 {
            // Megatron-style TP: per layer two column-parallel linears (QKV, MLP up) and two
            // row-parallel ones (attention out, MLP down). Forward: without SP an all-reduce after
            // each row-parallel linear; with SP an all-gather before each column-parallel linear and
            // a reduce-scatter after each row-parallel one (recompute repeats them). Backward:
            // without SP the all-reduce of each column-parallel linear's input gradient; with SP the
            // all-gather of each row-parallel linear's output gradient (its dgrad waits for it), and
            // per column-parallel linear a re-gather of its input and a reduce-scatter of its input
            // gradient. The column-parallel collectives can run under that linear's dgrad and wgrad
            // GEMMs: the stack file says what share it hides.
            struct Use { var request: CollectiveRequest; var cost: CollectiveCost; var forward, backwardExposed, backwardHideable: Double }
            func use(_ k: CollectiveKind, _ forward: Double, _ exposed: Double, _ hideable: Double) -> Use {
                let r = CollectiveRequest(kind: k, bytes: T * h * 2, group: place.tpGroup, label: "tp")
                return Use(request: r, cost: cost(r), forward: forward, backwardExposed: exposed, backwardHideable: hideable)
            }
            // Calls per layer: forward (once; recompute repeats it), backward exposed, backward hideable.
            let uses = par.sequenceParallel ? [use(.allGather, 2, 2, 2), use(.reduceScatter, 2, 0, 2)] : [use(.allReduce, 2, 0, 2)]
            let fwdSeconds = uses.reduce(0) { $0 + $1.cost.seconds * $1.forward } * (1 + recomputeRepeats)
            let fixedSeconds = uses.reduce(0) { $0 + $1.cost.seconds * $1.backwardExposed }
            let hideable = uses.reduce(0) { $0 + $1.cost.seconds * $1.backwardHideable }
            let hidden = min(hideable, 2 * fwd.columnGemm) * (e.training.framework.tpAsyncBackward ? 1.0 : 0.0)
            let bwdSeconds = fixedSeconds + hideable - hidden
            let keep = 1 - dev.tpOverlap
            x.tp = (fwdSeconds + bwdSeconds) * keep
            x.forwardExposed += fwdSeconds * keep
            x.backwardExposed += bwdSeconds * keep
            let total = fwdSeconds + fixedSeconds + hideable
            for u in uses {
                let calls = u.forward * (1 + recomputeRepeats) + u.backwardExposed + u.backwardHideable
                let share = total > 0 ? u.cost.seconds * calls / total : 0
                record(u.request, u.cost, calls: calls * mb * layersThisKind, exposed: x.tp * share * mb * layersThisKind)
            }
        }
        if par.cp > 1 {
            // Ring attention: each step passes this rank's K and V chunk to its neighbour while
            // it computes attention on the chunk it holds.
            let kvWidth: Double
            if let mla = m.mla { kvWidth = Double(m.heads * (mla.headDim + mla.ropeHeadDim + mla.vHeadDim)) / Double(par.tp) }
            else { kvWidth = 2 * Double(m.kvHeads * m.headDim) / Double(max(1, min(par.tp, m.kvHeads))) }
            let bytes = T * kvWidth * 2
            let r = CollectiveRequest(kind: .sendRecv, bytes: bytes, group: place.cpGroup, label: "cp")
            let c = cost(r)
            let steps = Double(par.cp - 1)
            let attnStep = fwd.attention / Double(par.cp)
            let f = steps * max(0, c.seconds - attnStep)
            let b = steps * max(0, 2 * c.seconds - 2.5 * attnStep)
            x.cp = f + b
            x.forwardExposed += f; x.backwardExposed += b
            record(r, c, calls: steps * 3 * mb * layersThisKind, exposed: x.cp * mb * layersThisKind)
        }
        if moe, par.ep > 1, let spec = m.moe {
            let tokensHere = (par.sequenceParallel && par.tp > 1) ? T / Double(par.tp) : T
            let dispatchBytes = e.training.precision == .fp8 ? 1.0 : 2.0
            var slots = tokensHere * Double(spec.topK)
            if let limit = spec.nodeLimit {
                // Node-limited routing sends each token once per target node over the fabric and
                // fans it out inside the node: remote traffic per token is the expected number of
                // distinct remote nodes (at most `limit`), not top-k.
                let shape = GroupShape(place.epGroup, on: cluster)
                let n = Double(shape.size), nL = Double(shape.perDomain), nD = Double(shape.domains)
                if nD > 1 {
                    let distinct = min(Double(limit), nD * (1 - pow(1 - 1 / nD, Double(spec.topK))))
                    let remoteNodes = distinct * (nD - 1) / nD
                    slots = min(slots, tokensHere * remoteNodes * n / (n - nL))
                }
            }
            let d = CollectiveRequest(kind: .allToAll, bytes: slots * h * dispatchBytes, group: place.epGroup, label: "ep")
            let cmb = CollectiveRequest(kind: .allToAll, bytes: slots * h * 2, group: place.epGroup, label: "ep")
            let cd = cost(d), cc = cost(cmb)
            let once = (cd.seconds + cc.seconds) * spec.imbalance
            let fComm = once * (1 + recomputeRepeats), bComm = once
            var fExp: Double, bExp: Double
            if par.schedule == .dualpipe {
                // DualPipe overlaps one micro-batch's all-to-all with another's compute.
                fExp = max(0, fComm - fwd.forward)
                bExp = max(0, bComm - bwd)
            } else {
                fExp = fComm * (1 - dev.epOverlap)
                bExp = bComm * (1 - dev.epOverlap)
            }
            x.ep = fExp + bExp
            x.forwardExposed += fExp; x.backwardExposed += bExp
            let calls = (2 + recomputeRepeats) * mb * layersThisKind
            let share = (cd.seconds + cc.seconds) > 0 ? cd.seconds / (cd.seconds + cc.seconds) : 0.5
            record(d, cd, calls: calls, exposed: x.ep * share * mb * layersThisKind)
            record(cmb, cc, calls: calls, exposed: x.ep * (1 - share) * mb * layersThisKind)
        }
        return x
    }

    /// One micro-batch's activations sent to the next stage.
    func pipelineTransfer() -> (bytes: Double, cost: CollectiveCost) {
        let par = e.parallelism
        let sp = par.sequenceParallel && par.tp > 1
        let bytes = wb.tokens * Double(e.model.hidden) * 2 / (sp ? Double(par.tp) : 1)
        guard par.pp > 1 else { return (bytes, .zero) }
        let r = CollectiveRequest(kind: .sendRecv, bytes: bytes, group: place.ppNeighbours, label: "pp")
        return (bytes, cost(r))
    }

    /// Gradient reduction and parameter gathering over data-parallel ranks (ZeRO 0-3): the
    /// reduce-scatter of the last micro-batch's gradients hides behind its backward, the
    /// parameter all-gather behind the next forward, each up to the device's overlap factor.
    func dataParallel(params: ParameterCount, layout: StageLayout, stage: Int, backwardWindow: Double,
                      forwardWindow: Double, microBatches: Int) -> (exposed: Double, records: [CollectiveRecord]) {
        let par = e.parallelism, m = e.model
        let dev = e.cluster.topology.device
        let t = Double(par.tp)
        let moeStart = m.moe?.denseLayers ?? m.layers
        var dense = 0.0, expert = 0.0
        let moeDense = (params.attentionPerLayer + params.routerPerLayer + params.sharedExpertsPerLayer) / t + params.normsPerLayer
        let moeExpert = Double(params.experts / par.ep) * params.expertPerExpert / (par.ep == 1 ? t : 1)
        let denseLayer = (params.attentionPerLayer + params.denseMLPPerLayer) / t + params.normsPerLayer
        let hasMoE = m.moe != nil
        layout.forEachLayer(ofStage: stage) { l in
            if hasMoE && l >= moeStart {
                dense += moeDense
                expert += moeExpert
            } else {
                dense += denseLayer
            }
        }
        if stage == 0 { dense += params.embedding / t }
        if stage == par.pp - 1 { dense += params.outputLayer / t }
        var reqs: [(CollectiveRequest, Double, Bool)] = [] // request, calls per step, is-gather
        func add(_ n: Double, _ g: CommGroup, _ label: String) {
            guard g.size > 1, n > 0 else { return }
            switch par.zero {
            case 0:
                reqs.append((CollectiveRequest(kind: .allReduce, bytes: n * 2, group: g, label: label), 1, false))
            case 1, 2:
                reqs.append((CollectiveRequest(kind: .reduceScatter, bytes: n * 2, group: g, label: label), 1, false))
                reqs.append((CollectiveRequest(kind: .allGather, bytes: n * 2, group: g, label: label), 1, true))
            default:
                reqs.append((CollectiveRequest(kind: .reduceScatter, bytes: n * 2, group: g, label: label), Double(microBatches), false))
                reqs.append((CollectiveRequest(kind: .allGather, bytes: n * 2, group: g, label: label), Double(2 * microBatches), true))
            }
        }
        add(dense, place.dpGroup, "dp")
        add(expert, place.expertDPGroup, "dp")
        // Gradient reduce-scatters (dense and expert) run together after backward; parameter
        // all-gathers together before the next forward: two concurrent sets, not one.
        var costs = [CollectiveCost](repeating: .zero, count: reqs.count)
        for gather in [false, true] {
            let idx = reqs.indices.filter { reqs[$0].2 == gather }
            let c = network.costConcurrent(idx.map { reqs[$0].0 })
            for (k, i) in idx.enumerated() { costs[i] = c[k] }
        }
        var gradT = 0.0, gatherT = 0.0
        for (k, (_, calls, gather)) in reqs.enumerated() {
            if gather { gatherT += costs[k].seconds * calls } else { gradT += costs[k].seconds * calls }
        }
        let windowScale = par.zero == 3 ? Double(microBatches) : 1
        let gradExposed = max(0, gradT - dev.dpOverlap * backwardWindow * windowScale)
        let gatherExposed = max(0, gatherT - dev.dpOverlap * forwardWindow * windowScale * (par.zero == 3 ? 3 : 1))
        let exposed = gradExposed + gatherExposed
        var recs: [CollectiveRecord] = []
        for (k, (r, calls, gather)) in reqs.enumerated() {
            let total = gather ? gatherT : gradT
            let ex = gather ? gatherExposed : gradExposed
            let share = total > 0 ? costs[k].seconds * calls / total : 0
            recs.append(CollectiveRecord(label: r.label, kind: r.kind, groupSize: r.group.size, bytes: r.bytes,
                                         callsPerStep: calls, cost: costs[k], exposedSeconds: ex * share, group: r.group))
        }
        return (exposed, recs)
    }
}
