/// Lower bounds of a plan's step time from compute alone (the closed form the search prunes
/// with), with the engine's own `StageCompute`: every stage's forward and backward (with
/// recomputation) for every micro-batch, plus the pipeline fill before it and drain after it
/// that no schedule can avoid. Communication, overlap losses and the optimizer only add to a
/// step, so the bound never exceeds the simulated timeline. `PassBound` adds the schedule's own
/// order of passes (its real bubbles) and the SM share that overlapped all-to-alls take. Layer
/// times are cached per (tp, cp, ep, micro-batch) and stage layouts per (pp, vpp).
struct BoundCache {
    let e: Experiment
    let compute: ComputeModel
    let sequenceParallel: Bool

    struct TimesKey: Hashable { var tp: Int, cp: Int, ep: Int, microBatch: Int }
    /// `core`: the attention core's forward alone (the timeline's `LayerPieces.core`), which
    /// context-parallel exchanges wait on or run beside.
    struct Times { var dense: LayerTime, moe: LayerTime, output: LayerTime, embedding: LayerTime, core: LayerTime }
    struct LayoutKey: Hashable { var pp: Int, vpp: Int }
    private var times: [TimesKey: Times] = [:]
    private var layouts: [LayoutKey: StageLayout] = [:]
    /// The last bound asked for: consecutive candidates often repeat the same key.
    private var last: (key: [Int], seconds: Double)?

    /// Costs the collectives the compute stream always waits for (nil: communication taken as free).
    let network: CollectiveCostModel?
    let cluster: Cluster?
    /// `etp`: the plan's expert tensor parallelism, resolved (1 or tp).
    struct CommKey: Hashable { var tp: Int, cp: Int, dp: Int, ep: Int, microBatch: Int, paired: Bool, recompute: Recompute, etp: Int = 1,
                               cpAlgorithm: ContextParallelAlgorithm? = nil }
    private var comm: [CommKey: Waits] = [:]
    /// Per layer, the context-parallel waits of a forward and a backward (`contextWaits`).
    struct ContextWaits { var forward = 0.0, backward = 0.0; var total: Double { forward + backward } }
    struct ContextKey: Hashable { var tp: Int, cp: Int, dp: Int, microBatch: Int, algorithm: ContextParallelAlgorithm, recompute: Recompute }
    var context: [ContextKey: ContextWaits] = [:]
    /// Per micro-batch and layer (dense, MoE): seconds of collectives the compute stream waits
    /// for; `lead`: of those, the first of a pass (its input's TP all-gather), which is not
    /// always waited for (see `blockingComm`); `routed`: of `moe`, the hidden-size piece that
    /// stands for the routed tokens' TP gather and scatter (`blockingByPass` counts them exactly).
    struct Waits { var dense = 0.0, moe = 0.0, lead = 0.0, routed = 0.0 }

    init(e: Experiment, sequenceParallel: Bool, network: CollectiveCostModel? = nil, cluster: Cluster? = nil) {
        self.e = e
        self.network = network
        self.cluster = cluster
        self.sequenceParallel = sequenceParallel
        compute = ComputeModel(experiment: e)
    }

    mutating func layerTimes(_ k: TimesKey) -> Times {
        if let t = times[k] { return t }
        var wb = WorkloadBuilder(model: e.model, tp: k.tp, cp: k.cp, ep: k.ep, sequenceParallel: sequenceParallel && k.tp > 1,
                                 seq: e.training.sequenceLength, microBatch: k.microBatch,
                                 elementwisePasses: compute.device.elementwisePasses)
        wb.apply(e.training.framework, attention: e.training.attention)
        let calls = Double(k.microBatch)
        let t = Times(dense: compute.forwardSeconds(wb.denseLayer(), attentionCalls: calls),
                      moe: compute.forwardSeconds(wb.moeLayer(), attentionCalls: calls),
                      output: compute.forwardSeconds(wb.outputLayer(), attentionCalls: 1),
                      embedding: compute.forwardSeconds(wb.embeddingLayer(), attentionCalls: 1),
                      core: LayerPieces(wb, compute: compute, moe: false, attentionCalls: calls).core)
        times[k] = t
        return t
    }

    /// Per micro-batch and layer (dense, MoE): seconds of the collectives after which the stack's
    /// compute stream always waits, whatever else runs: TP collectives around the linears (the
    /// forward all-gather and reduce-scatter or all-reduce),
    /// and, when no other micro-batch's compute is paired with it, the EP dispatch and combine.
    /// Each takes at least its time alone, during which that stream is idle.
    /// The first collective of a pass (the all-gather of its first layer's input under sequence
    /// parallelism) waits only for the pass's input, not for the compute stream, so it may run
    /// while the previous pass computes: `lead` is its time, which a pass may not wait for.
    mutating func blockingComm(_ k: CommKey) -> Waits {
        if let c = comm[k] { return c }
        guard let net = network else { return Waits() }
        let fw = e.training.framework, m = e.model
        let sp = sequenceParallel && k.tp > 1
        let par = ParallelismSpec(tp: k.tp, pp: 1, vpp: 1, dp: k.dp, ep: k.ep, cp: k.cp, sequenceParallel: sp, zero: 0,
                                  schedule: .oneFOneB, order: e.parallelism.order, layerSplit: nil, expertTP: k.etp)
        let place = Placement(par)
        let tokens = Double(k.microBatch * e.training.sequenceLength / k.cp)
        let repeats = k.recompute == .full ? 2.0 : 1.0
        var tp = 0.0, tpMoE = 0.0, lead = 0.0, routed = 0.0
        if k.tp > 1 {
            let bytes = tokens * Double(m.hidden) * 2
            func c(_ kind: CollectiveKind) -> Double {
                net.cost(CollectiveRequest(kind: kind, bytes: bytes, group: place.tpGroup, label: "tp")).seconds
            }
            // Two column-parallel and two row-parallel pieces per layer; an MoE layer's second pair
            // is the token dispatcher's, which TP overlap never fuses with a GEMM.
            let piece = sp ? c(.allGather) + c(.reduceScatter) : c(.allReduce)
            // The backward output-gradient gathers are left out: on the timeline the compute stream
            // may run another ready piece (the previous layer's weight gradient, another chunk's
            // work) while they fly, so they are not always waited for.
            let fused = sp && fw.tpCommOverlap
            tp = (fused ? 0 : 2) * piece * repeats
            // The MoE block's own pairs (shared experts', the dispatcher's over expert-TP; the
            // routed one moves more than a hidden state, so a hidden-size piece stays below it).
            let moePairs = StepGraphBuilder.moeTP(model: m, tp: k.tp, etp: par.etp, dispatcher: fw.moeDispatcher)
            tpMoE = ((fused ? 0 : 1) + (moePairs.hidden ? 1 : 0) + (moePairs.routed ? 1 : 0)) * piece * repeats
            routed = moePairs.routed ? piece * repeats : 0
            lead = sp && !fused ? c(.allGather) : 0
        }
        let ep = k.paired ? 0 : expertSeconds(tokens: tokens, tp: k.tp, etp: par.etp, sequenceParallel: sp, place: place, recompute: k.recompute, net: net)
        let r = Waits(dense: tp, moe: tpMoE + ep, lead: lead, routed: routed)
        comm[k] = r
        return r
    }

    /// Per micro-batch and MoE layer: the EP collectives of a forward and a backward (`expertPasses`),
    /// for a CP rank's `tokens` of a micro-batch.
    func expertSeconds(tokens: Double, tp: Int, etp: Int, sequenceParallel sp: Bool, place: Placement, recompute: Recompute,
                       net: any CollectiveCostModel) -> Double {
        let epTokens = StepGraphBuilder.dispatchTokens(tokens, tp: tp, sequenceParallel: sp, etp: etp,
                                                       dispatcher: e.training.framework.moeDispatcher)
        let p = expertPasses(tokens: epTokens, epGroup: place.epGroup, recompute: recompute, net: net)
        return p.forward + p.backward
    }

    struct StreamKey: Hashable { var tp: Int, cp: Int, dp: Int, ep: Int, pp: Int, microBatch: Int, zero: Int, recompute: Recompute, etp: Int = 1 }
    /// Per micro-batch, seconds each communication stream must carry (it runs its collectives one
    /// after another): EP per MoE layer; with ZeRO-3, a parameter gather and a gradient
    /// reduce-scatter per dense and per MoE layer (the gather twice per micro-batch without
    /// pipelining, once per step with it: `zero3GathersOnce`).
    /// `routed`: the routed tokens' TP gathers and scatters (experts split over TP), which run on
    /// the EP stream but take no SM share.
    struct StreamLoad { var ep = 0.0, routed = 0.0, gatherDense = 0.0, gatherMoE = 0.0, reduceDense = 0.0, reduceMoE = 0.0 }
    private var streams: [StreamKey: StreamLoad] = [:]

    mutating func streamLoad(_ k: StreamKey) -> StreamLoad {
        if let c = streams[k] { return c }
        guard let net = network else { return StreamLoad() }
        let m = e.model, fw = e.training.framework
        let sp = sequenceParallel && k.tp > 1
        let par = ParallelismSpec(tp: k.tp, pp: k.pp, vpp: 1, dp: k.dp, ep: k.ep, cp: k.cp, sequenceParallel: sp, zero: k.zero,
                                  schedule: .oneFOneB, order: e.parallelism.order, layerSplit: nil, expertTP: k.etp)
        let place = Placement(par)
        let tokens = Double(k.microBatch * e.training.sequenceLength / k.cp)
        var load = StreamLoad()
        load.ep = expertSeconds(tokens: tokens, tp: k.tp, etp: par.etp, sequenceParallel: sp, place: place, recompute: k.recompute, net: net)
        if StepGraphBuilder.moeTP(model: m, tp: k.tp, etp: par.etp, dispatcher: fw.moeDispatcher).routed {
            // As the timeline issues them: a gather and a scatter forward, again backward and under full recompute.
            load.routed = routedPair(tokens: tokens, ep: k.ep, tpGroup: place.tpGroup, net: net) * (k.recompute == .full ? 3 : 2)
        }
        if k.zero == 3 {
            let (dense, moeDense, moeExpert) = ParameterCount(m).perDevice(tp: k.tp, ep: k.ep, etp: par.etp)
            func cost(_ kind: CollectiveKind, _ n: Double, _ g: CommGroup, _ bytes: Double) -> Double {
                guard n > 0, g.size > 1 else { return 0 }
                return net.cost(CollectiveRequest(kind: kind, bytes: n * bytes, group: g, label: "dp")).seconds
            }
            let w = fw.parameterBytes(e.training.precision)  // as the timeline gathers them
            load.gatherDense = cost(.allGather, dense, place.dpGroup, w)
            load.gatherMoE = cost(.allGather, moeDense, place.dpGroup, w) + cost(.allGather, moeExpert, place.expertDPGroup, w)
            load.reduceDense = cost(.reduceScatter, dense, place.dpGroup, fw.gradReduceBytes)
            load.reduceMoE = cost(.reduceScatter, moeDense, place.dpGroup, fw.gradReduceBytes)
                + cost(.reduceScatter, moeExpert, place.expertDPGroup, fw.gradReduceBytes)
        }
        streams[k] = load
        return load
    }

    /// `etp`: the candidate's expert tensor parallelism (nil: the experiment's, or its stack's default).
    mutating func seconds(tp: Int, cp: Int, pp: Int, dp: Int, ep: Int, schedule: PipelineSchedule, vpp: Int,
                          microBatch: Int, recompute: Recompute, zero: Int, etp etpGiven: Int? = nil, recomputeLayers: Int? = nil,
                          cpAlgorithm: ContextParallelAlgorithm? = nil, passes withPasses: Bool = false) -> Double {
        let etp = ParallelismSpec(tp: tp, pp: pp, vpp: vpp, dp: dp, ep: ep, cp: cp, sequenceParallel: false, zero: zero, schedule: schedule,
                                  order: [], layerSplit: nil, expertTP: etpGiven ?? e.parallelism.expertTP,
                                  expertsSplitByDefault: e.training.framework.expertTensorParallel).etp
        let key = [tp, cp, pp, dp, ep, vpp, microBatch, zero, PipelineSchedule.allCases.firstIndex(of: schedule)!,
                   Recompute.allCases.firstIndex(of: recompute)!, withPasses ? 1 : 0, etp, recomputeLayers ?? 0,
                   cpAlgorithm.map { ContextParallelAlgorithm.allCases.firstIndex(of: $0)! + 1 } ?? 0]
        if let last, last.key == key { return last.seconds }
        let t = layerTimes(TimesKey(tp: tp, cp: cp, ep: ep, microBatch: microBatch))
        let lk = LayoutKey(pp: pp, vpp: vpp)
        let layout = layouts[lk] ?? StageLayout(layers: e.model.layers, pp: pp, vpp: vpp, split: nil)
        layouts[lk] = layout
        let par = ParallelismSpec(tp: tp, pp: pp, vpp: vpp, dp: dp, ep: ep, cp: cp, sequenceParallel: sequenceParallel && tp > 1,
                                  zero: 0, schedule: schedule, order: [], layerSplit: nil)
        let limit = recompute == .full ? (recomputeLayers ?? e.training.recomputeLayers) : nil
        let st = StageCompute(model: e.model, parallelism: par, recompute: recompute, device: compute.device, layout: layout,
                              dense: t.dense, moe: t.moe, output: t.output, embedding: t.embedding, recomputeLayers: limit)
        // Per virtual stage (model chunk): its forward and backward for one micro-batch.
        let chunkLayout = StageLayout(layers: e.model.layers, pp: pp * vpp, vpp: 1, split: layout.chunks)
        let chunkPar = ParallelismSpec(tp: tp, pp: pp * vpp, vpp: 1, dp: dp, ep: ep, cp: cp, sequenceParallel: sequenceParallel && tp > 1,
                                       zero: 0, schedule: .oneFOneB, order: [], layerSplit: nil)
        let chunks = vpp == 1 ? st : StageCompute(model: e.model, parallelism: chunkPar, recompute: recompute, device: compute.device,
                                                 layout: chunkLayout, dense: t.dense, moe: t.moe, output: t.output, embedding: t.embedding,
                                                 recomputeLayers: limit)
        let microBatches = Double(e.training.globalBatchSequences / (dp * microBatch))
        // A stage starts no earlier than the first micro-batch's forward through the chunks before
        // it, and (1F1B, interleaved) ends no earlier than the last micro-batch's backward through
        // them after its own: every schedule's timeline is at least this long.
        let paired = schedule == .dualpipe || e.training.framework.moeAllToAllOverlap
        // Collectives that full recompute repeats are counted only when every layer is recomputed
        // (with a limit, some layers do not repeat them): the bound stays below the timeline.
        let commRecompute = limit == nil ? recompute : .none
        let load = streamLoad(StreamKey(tp: tp, cp: cp, dp: dp, ep: ep, pp: pp, microBatch: microBatch, zero: zero, recompute: commRecompute, etp: etp))
        let waits = blockingComm(CommKey(tp: tp, cp: cp, dp: dp, ep: ep, microBatch: microBatch, paired: paired, recompute: commRecompute, etp: etp))
        // The context-parallel waits of a pass alone, per layer (forward and backward).
        let context = paired ? 0 : contextWaits(tp: tp, cp: cp, dp: dp, microBatch: microBatch, algorithm: cpAlgorithm, recompute: commRecompute,
                                                core: t.core).total
        var bound = 0.0, fill = 0.0, drain = 0.0
        for p in 0..<pp {
            // DualPipe: each rank runs half the micro-batches through its chunk and half through the
            // mirror chunk; there, another micro-batch's compute may run while TP collectives fly.
            let q = schedule == .dualpipe ? pp - 1 - p : p
            let w = paired ? Waits() : waits
            // Each chunk's forward (and its recompute) may run its first all-gather early.
            let leads = Double(vpp) * (commRecompute == .full ? 2 : 1) * w.lead
            func per(_ x: Int) -> Double { st.forward[x] + st.backward[x] + st.dense[x] * (w.dense + context) + st.moe[x] * (w.moe + context) - leads }
            // Where expert all-to-alls overlap compute (paired passes), the compute beside them runs
            // slower by the SM share they take: over the time the stage's EP stream is busy (at least
            // its collectives' time alone), compute gets at most 1 - share of the device, so the stage
            // spends at least share x that time more than its compute (the timeline's `reshare`).
            let epBusy = microBatches * (st.moe[p] + st.moe[q]) / 2 * load.ep
            let own = microBatches * (per(p) + per(q)) / 2 + (paired ? compute.device.overlapSMFraction * epBusy : 0)
            switch schedule {
            case .oneFOneB, .interleaved: bound = max(bound, fill + own + drain)
            case .zeroBubble: bound = max(bound, fill + own)
            case .dualpipe:
                // Rank p's first pass waits for the first micro-batch of one direction to reach it:
                // chunks 0..<p (direction 0) or 0..<pp-1-p (direction 1), whichever is shorter.
                var f0 = 0.0, f1 = 0.0
                for c in 0..<p { f0 += chunks.forward[c] }
                for c in 0..<(pp - 1 - p) { f1 += chunks.forward[c] }
                bound = max(bound, min(f0, f1) + own)
            }
            // Each communication stream carries its collectives one after another.
            let moeLayers = (st.moe[p] + st.moe[q]) / 2, denseLayers = (st.dense[p] + st.dense[q]) / 2
            bound = max(bound, microBatches * moeLayers * (load.ep + load.routed),
                        (pp > 1 ? 1 : 2 * microBatches) * (denseLayers * load.gatherDense + moeLayers * load.gatherMoE),
                        (pp > 1 ? 1 : microBatches) * (denseLayers * load.reduceDense + moeLayers * load.reduceMoE))
            fill += chunks.forward[p]
            drain += chunks.backward[p]
        }
        // The schedule's own order of passes (`PassBound`): its real fill, drain and cool-down.
        // It costs time in the number of passes, so the search asks for it only for a candidate
        // the closed form has not pruned.
        let m = e.training.globalBatchSequences / (dp * microBatch)
        if withPasses && m >= 1 {
            let order = PipelineOrder(pp: pp, vpp: vpp, microBatches: m, schedule: schedule)
            let pairSteady = e.pairsExpertPasses(ep: ep)
            let passes = passBound(chunks: chunks, times: t, waits: blockingByPass(CommKey(tp: tp, cp: cp, dp: dp, ep: ep, microBatch: microBatch,
                                                                                          paired: true, recompute: commRecompute, etp: etp,
                                                                                          cpAlgorithm: cpAlgorithm), core: t.core),
                                   expert: expertByPass(tokens: Double(microBatch * e.training.sequenceLength / cp), tp: tp, cp: cp, dp: dp, ep: ep,
                                                        recompute: commRecompute, etp: etp))
            bound = max(bound, passes.seconds(order: order, pairSteadyState: pairSteady))
        }
        let seconds = bound
        last = (key, seconds)
        return seconds
    }
}
