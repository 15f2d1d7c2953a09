import Foundation

/// Builds the task graph of one training step: for every pipeline rank, the passes its
/// schedule runs (`PipelineOrder`), each expanded into per-layer compute pieces and the
/// collectives the software stack issues around them, with the dependencies the stack imposes.
/// One pipeline stands for its data-parallel replicas (they run the same graph at the same time).
struct StepGraphBuilder {
    let e: Experiment
    let place: Placement
    let network: CollectiveCostModel
    let cluster: Cluster
    let fw: FrameworkSpec
    let device: DeviceSpec
    let order: PipelineOrder
    let layout: StageLayout
    let chunkStarts: [Int]
    let dense: LayerPieces, moe: LayerPieces
    let output: LayerTime, embedding: LayerTime
    let moeStart: Int
    let microBatches: Int
    let tp: Int, cp: Int, ep: Int
    let ulysses: Bool, allGatherCP: Bool
    let sp: Bool
    let recompute: Recompute
    /// An MoE layer's TP gather before the router and scatter after the unpermute: for its shared
    /// experts (a TP-split dense MLP), or as the allgather dispatcher's gather when experts are
    /// split over TP. With whole experts (etp 1) and no shared ones the tokens stay sequence-sharded
    /// and the EP all-to-all alone moves them (Megatron-Core token_dispatcher.py: the dispatchers
    /// gather over the expert-TP group, of size etp).
    let moeHiddenTP: Bool
    /// Experts split over TP under an all-to-all dispatcher: the routed tokens' gather and scatter.
    let moeRoutedTP: Bool
    /// Layers of each chunk full recompute reruns (`training.recomputeLayers`); nil: every layer.
    let recomputeLimit: Int?
    /// Passes run as overlapped forward-backward pairs (DualPipe, the MoE all-to-all overlap):
    /// a pair's two passes take turns, the backward first, at each collective one waits for and
    /// at each layer (or block of identical layers), as DeepSeek-V3's overlap of a forward and a
    /// backward chunk interleaves their layers' components (DeepSeek-V3 report, sec. 3.2.1, fig. 4;
    /// Megatron-Core's schedule_layer_1f1b): so a pass's consecutive layers are not merged.
    let pairsLayers: Bool
    var g: TaskGraph

    // Collectives, registered once.
    var tpAG: Int32 = -1, tpRS: Int32 = -1, tpAR: Int32 = -1, tpAGChunk: Int32 = -1, tpRSChunk: Int32 = -1
    var cpFwd: Int32 = -1, cpBwd: Int32 = -1
    /// Backward, the combine's gradient goes out as the dispatch did (fp8 in fp8 runs) and the
    /// dispatch's comes back as the combine did, 16-bit (`expertCombineGrad`).
    var epDispatch: Int32 = -1, epCombine: Int32 = -1, epCombineGrad: Int32 = -1
    /// Experts split over the TP ranks (etp > 1) under an all-to-all dispatcher: the routed tokens
    /// are all-gathered over TP before the experts and reduce-scattered after.
    var tpAGRouted: Int32 = -1, tpRSRouted: Int32 = -1
    var ppSend: Int32 = -1
    var imbalance = 1.0
    /// Layers in the block being emitted (identical layers run as one block).
    var block: Int32 = 1
    /// The optimizer step's seconds on each pipeline rank.
    var optimizerSeconds: [Double] = []
    /// Costs of collectives by request, so identical ones are costed once.
    struct RequestKey: Hashable { var kind: CollectiveKind, bytes: Double, group: CommGroup, label: String }
    private var known: [RequestKey: Int32] = [:]
    /// ZeRO-3 per-layer collectives by layer x 2 + (1 for the gather), see `DataParallelPlan.layerCollectives`.
    var dpLayerOps: [[(request: Int32, seconds: Double)]?] = []
    /// The same by what decides them (a layer's dense and expert parameters, gather or reduce):
    /// a model's identical layers are costed once.
    struct DPLayerShape: Hashable { var dense: Double, expert: Double, gather: Bool }
    var dpLayerOpsByShape: [DPLayerShape: [(request: Int32, seconds: Double)]] = [:]
    /// An operation's name (`OpName`), registered in the graph on first use.
    private var opNames = [UInt16](repeating: .max, count: OpName.allCases.count)
    /// Per name, the name of several compute steps merged into one (`merged`), once made.
    private var mergedNames: [UInt16] = []

    mutating func name(_ n: OpName) -> UInt16 {
        let k = n.rawValue
        if opNames[k] == .max { opNames[k] = g.nameID(n.text) }
        return opNames[k]
    }

    /// The name of a compute operation that runs `n` and the compute steps after it.
    mutating func mergedName(_ n: UInt16) -> UInt16 {
        let k = Int(n)
        if k >= mergedNames.count { mergedNames += [UInt16](repeating: .max, count: k + 1 - mergedNames.count) }
        if mergedNames[k] == .max {
            let text = g.names[k]
            mergedNames[k] = text.hasSuffix(" +") ? n : g.nameID(text + " +")
        }
        return mergedNames[k]
    }

    init(engine: Engine, microBatches: Int) {
        let e = engine.experiment, par = e.parallelism
        self.e = e
        place = Placement(par)
        network = engine.network
        cluster = engine.cluster
        fw = e.training.framework
        device = engine.compute.device
        tp = par.tp; cp = par.cp; ep = par.ep
        ulysses = par.cp > 1 && par.cpAlgorithm == .ulysses
        allGatherCP = par.cp > 1 && par.cpAlgorithm == .allgather
        sp = par.sequenceParallel && par.tp > 1
        recompute = e.training.recompute
        (moeHiddenTP, moeRoutedTP) = Self.moeTP(model: e.model, tp: par.tp, etp: par.etp, dispatcher: e.training.framework.moeDispatcher)
        recomputeLimit = e.training.recomputeLimit
        pairsLayers = e.pairsExpertPasses(ep: par.ep) || par.schedule == .dualpipe
        self.microBatches = microBatches
        order = PipelineOrder(pp: par.pp, vpp: par.vpp, microBatches: microBatches, schedule: par.schedule, group: par.group)
        layout = StageLayout(layers: e.model.layers, pp: par.pp, vpp: par.vpp, split: par.layerSplit)
        chunkStarts = layout.chunkStarts
        var wb = WorkloadBuilder(model: e.model, tp: par.tp, cp: par.cp, ep: par.ep, sequenceParallel: sp,
                                 seq: e.training.sequenceLength, microBatch: e.training.microBatchSequences,
                                 elementwisePasses: device.elementwisePasses)
        wb.apply(fw, attention: e.training.attention)
        let calls = Double(e.training.microBatchSequences)
        dense = LayerPieces(wb, compute: engine.compute, moe: false, attentionCalls: calls)
        moe = LayerPieces(wb, compute: engine.compute, moe: e.model.moe != nil, attentionCalls: calls)
        output = engine.compute.forwardSeconds(wb.outputLayer(), attentionCalls: 1)
        embedding = engine.compute.forwardSeconds(wb.embeddingLayer(), attentionCalls: 1)
        moeStart = e.model.moe?.denseLayers ?? e.model.layers
        g = TaskGraph(stages: par.pp)
        // About a dozen operations per layer and pass (twice that with ZeRO-3's per-layer
        // collectives), forward and backward of every micro-batch, over the whole model.
        g.reserve(ops: microBatches * 2 * (e.model.layers + 2) * (par.zero == 3 ? 24 : 12) + 64 * par.pp)
        registerCollectives(wb)
    }

    mutating func request(_ r: CollectiveRequest) -> Int32 {
        let key = RequestKey(kind: r.kind, bytes: r.bytes, group: r.group, label: r.label)
        if let hit = known[key] { return hit }
        let id = g.register(r, cost: network.cost(r))
        known[key] = id
        return id
    }

    /// Seconds a registered collective takes alone, with the stack's launch overhead.
    func seconds(_ r: Int32, scale: Double = 1) -> Double {
        g.requestCost[Int(r)].seconds * scale + fw.commLaunchUs * 1e-6
    }

    private mutating func registerCollectives(_ wb: WorkloadBuilder) {
        let m = e.model, h = Double(m.hidden), T = wb.tokens
        if tp > 1 {
            let bytes = T * h * 2
            tpAG = request(CollectiveRequest(kind: .allGather, bytes: bytes, group: place.tpGroup, label: "tp"))
            tpRS = request(CollectiveRequest(kind: .reduceScatter, bytes: bytes, group: place.tpGroup, label: "tp"))
            tpAR = request(CollectiveRequest(kind: .allReduce, bytes: bytes, group: place.tpGroup, label: "tp"))
            let n = Double(max(1, fw.tpOverlapSplits))
            tpAGChunk = request(CollectiveRequest(kind: .allGather, bytes: bytes / n, group: place.tpGroup, label: "tp"))
            tpRSChunk = request(CollectiveRequest(kind: .reduceScatter, bytes: bytes / n, group: place.tpGroup, label: "tp"))
        }
        if cp > 1 {
            let (f, b) = Self.contextRequests(model: m, tokens: T, tp: tp, cp: cp, algorithm: e.parallelism.cpAlgorithm, group: place.cpGroup)
            cpFwd = request(f)
            cpBwd = request(b)
        }
        if let spec = m.moe, ep > 1 {
            let tokens = StepGraphBuilder.dispatchTokens(T, tp: tp, sequenceParallel: sp, etp: e.parallelism.etp, dispatcher: fw.moeDispatcher)
            let (dispatch, combine) = StepGraphBuilder.expertRequests(model: m, spec: spec, tokens: tokens,
                                                                      precision: e.training.precision, epGroup: place.epGroup,
                                                                      cluster: cluster, dispatcher: fw.moeDispatcher)
            epDispatch = request(dispatch)
            epCombine = request(combine)
            epCombineGrad = request(StepGraphBuilder.expertCombineGrad(dispatch: dispatch, combine: combine, dispatcher: fw.moeDispatcher))
            // The busiest rank receives `imbalance` times the mean.
            imbalance = spec.imbalance
        }
        if moeRoutedTP, let (gather, scatter) = Self.routedRequests(model: m, tokens: T, ep: ep, group: place.tpGroup) {
            tpAGRouted = request(gather)
            tpRSRouted = request(scatter)
        }
        if e.parallelism.pp > 1 {
            let bytes = T * h * 2 / (sp ? Double(tp) : 1)
            ppSend = request(CollectiveRequest(kind: .sendRecv, bytes: bytes, group: place.ppNeighbours, label: "pp"))
        }
    }

    /// Which TP collectives an MoE layer issues (see `moeHiddenTP`, `moeRoutedTP`).
    static func moeTP(model m: ModelSpec, tp: Int, etp: Int, dispatcher: String) -> (hidden: Bool, routed: Bool) {
        guard let moe = m.moe, tp > 1 else { return (false, false) }
        let split = etp > 1, allgather = dispatcher == "allgather"
        return (moe.sharedExperts > 0 || (split && allgather), split && !allgather)
    }

    /// A layer's pieces, times the layers of the block being emitted.
    /// Bytes each rank sends in the EP dispatch (fp8 in fp8 training) and combine all-to-alls.
    /// Node-limited routing sends each token once per target node over the fabric and fans it
    /// out inside the node: remote traffic per token is the expected number of distinct remote
    /// nodes (at most the limit), not top-k.
    static func expertBytes(model m: ModelSpec, spec: MoESpec, tokens: Double, precision: Precision, epGroup: CommGroup,
                            cluster: Cluster, oncePerNode: Bool = false) -> (dispatch: Double, combine: Double) {
        var slots = tokens * Double(spec.topK)
        if let limit = spec.nodeLimit ?? (oncePerNode ? Int.max : nil) {
            let shape = GroupShape(epGroup, on: cluster)
            let n = Double(shape.size), nL = Double(shape.perDomain), nD = Double(shape.domains)
            if nD > 1 {
                let distinct = min(Double(limit), nD * (1 - pow(1 - 1 / nD, Double(spec.topK))))
                let remoteNodes = distinct * (nD - 1) / nD
                slots = min(slots, tokens * remoteNodes * n / (n - nL))
            }
        }
        let h = Double(m.hidden)
        return (slots * h * (precision == .fp8 ? 1 : 2), slots * h * 2)
    }

    /// The dispatch and combine collectives of one MoE layer under the stack's dispatcher:
    /// all-to-all of the routed copies ("alltoall"; "deepep" sends a token once per target node,
    /// DeepSeek-V3 report sec. 3.2.2), or an all-gather of the group's tokens and a
    /// reduce-scatter back ("allgather", Megatron-Core's MoEAllGatherTokenDispatcher).
    static func expertRequests(model m: ModelSpec, spec: MoESpec, tokens: Double, precision: Precision, epGroup: CommGroup,
                               cluster: Cluster, dispatcher: String) -> (dispatch: CollectiveRequest, combine: CollectiveRequest) {
        if dispatcher == "allgather" {
            let n = Double(epGroup.size), h = Double(m.hidden)
            return (CollectiveRequest(kind: .allGather, bytes: tokens * h * (precision == .fp8 ? 1 : 2) * n, group: epGroup, label: "ep"),
                    CollectiveRequest(kind: .reduceScatter, bytes: tokens * h * 2 * n, group: epGroup, label: "ep"))
        }
        let (d, c) = expertBytes(model: m, spec: spec, tokens: tokens, precision: precision, epGroup: epGroup, cluster: cluster,
                                 oncePerNode: dispatcher == "deepep")
        return (CollectiveRequest(kind: .allToAll, bytes: d, group: epGroup, label: "ep"),
                CollectiveRequest(kind: .allToAll, bytes: c, group: epGroup, label: "ep"))
    }

    /// Tokens each rank puts into the EP dispatch: its sequence-parallel share; but under the
    /// allgather dispatcher with experts split over TP, the TP group's tokens, which the TP gather
    /// before the router brought (the dispatcher gathers over expert-TP x EP, Megatron-Core's
    /// MoEAllGatherTokenDispatcher), so that each rank ends with the tokens of all ep x tp ranks.
    static func dispatchTokens(_ T: Double, tp: Int, sequenceParallel sp: Bool, etp: Int, dispatcher: String) -> Double {
        sp && !(dispatcher == "allgather" && etp > 1) ? T / Double(tp) : T
    }

    /// The collective that carries the combine's gradient back to the experts: an all-to-all the
    /// size of the dispatch, which it retraces (in fp8 runs the activation gradient before the
    /// expert down-projections goes out in fp8 as the dispatch's activations do, while both
    /// combines stay bf16: DeepSeek-V3 report, sec. 3.3.2, "Low-Precision Communication"), or
    /// under the allgather dispatcher the all-gather that mirrors the combine's reduce-scatter
    /// (Megatron-Core's MoEAllGatherTokenDispatcher: the backward of a reduce-scatter is an
    /// all-gather, that of the dispatch's all-gather a reduce-scatter), 16-bit.
    static func expertCombineGrad(dispatch: CollectiveRequest, combine: CollectiveRequest, dispatcher: String) -> CollectiveRequest {
        guard dispatcher == "allgather" else { return dispatch }
        return CollectiveRequest(kind: .allGather, bytes: combine.bytes, group: combine.group, label: combine.label)
    }

    func pieces(layer l: Int) -> LayerPieces { (l >= moeStart ? moe : dense).scaled(Double(block)) }

    /// Global layer indices of a virtual stage's chunk.
    func layers(ofVirtualStage vs: Int) -> Range<Int> {
        let c = order.chunk(vs)
        let start = chunkStarts[c]
        return start..<(start + layout.chunks[c])
    }
}

extension StepGraphBuilder {
    /// The routed copies of the TP group's tokens (the busiest EP rank's share, for a CP rank's
    /// `tokens` of a micro-batch) gathered to every TP rank before the experts split over TP, and
    /// their results reduce-scattered after them; nil for a dense model.
    static func routedRequests(model m: ModelSpec, tokens T: Double, ep: Int, group: CommGroup)
        -> (gather: CollectiveRequest, scatter: CollectiveRequest)? {
        guard let spec = m.moe else { return nil }
        let bytes = T * Double(spec.topK) * spec.busiestShare(ep: ep) * Double(m.hidden) * 2
        return (CollectiveRequest(kind: .allGather, bytes: bytes, group: group, label: "tp"),
                CollectiveRequest(kind: .reduceScatter, bytes: bytes, group: group, label: "tp"))
    }

    /// The context-parallel exchanges of one layer's attention core for a CP rank's `tokens`
    /// (forward, backward). Ulysses: this rank's tokens of Q, K and V go out by head group before
    /// attention (an all-to-all over the CP ranks), and the attention output comes back by
    /// sequence after it; backward exchanges the output's gradient, then those of Q, K and V. K and
    /// V heads fewer than the CP ranks are repeated so that each rank gets one (DeepSpeed-Ulysses;
    /// Megatron-Core a2a), and attention runs in 16 bits. Ring attention passes this rank's K and V
    /// block to its neighbour each step; backward passes K, V and their gradients. All-gather
    /// gathers every CP rank's K and V (forward, and again in the backward) and reduce-scatters
    /// their gradients (the backward request): the gathered size, cp blocks.
    static func contextRequests(model m: ModelSpec, tokens T: Double, tp: Int, cp: Int, algorithm: ContextParallelAlgorithm,
                                group: CommGroup) -> (forward: CollectiveRequest, backward: CollectiveRequest) {
        if algorithm == .ulysses {
            let t = Double(tp), c = Double(cp)
            let qkvWidth: Double, outWidth: Double
            if let mla = m.mla {
                qkvWidth = Double(m.heads) * Double(2 * (mla.headDim + mla.ropeHeadDim) + mla.vHeadDim) / t
                outWidth = Double(m.heads * mla.vHeadDim) / t
            } else {
                let kv = max(Double(m.kvHeads) / t, c)
                qkvWidth = (Double(m.heads) / t + 2 * kv) * Double(m.headDim)
                outWidth = Double(m.heads * m.headDim) / t
            }
            return (CollectiveRequest(kind: .allToAll, bytes: T * qkvWidth * 2, group: group, label: "cp"),
                    CollectiveRequest(kind: .allToAll, bytes: T * outWidth * 2, group: group, label: "cp"))
        }
        let kvWidth: Double
        if let mla = m.mla { kvWidth = Double(m.heads * (mla.headDim + mla.ropeHeadDim + mla.vHeadDim)) / Double(tp) }
        else { kvWidth = 2 * Double(m.kvHeads * m.headDim) / Double(max(1, min(tp, m.kvHeads))) }
        if algorithm == .allgather {
            let gathered = Double(cp) * T * kvWidth * 2
            return (CollectiveRequest(kind: .allGather, bytes: gathered, group: group, label: "cp"),
                    CollectiveRequest(kind: .reduceScatter, bytes: gathered, group: group, label: "cp"))
        }
        return (CollectiveRequest(kind: .sendRecv, bytes: T * kvWidth * 2, group: group, label: "cp"),
                CollectiveRequest(kind: .sendRecv, bytes: 2 * T * kvWidth * 2, group: group, label: "cp"))
    }
}
