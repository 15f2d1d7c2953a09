/// Lower bounds of a plan's step time from compute alone (the closed form the search prunes
/// with), with the engine's own `StageCompute`: every stage's forward and backward (with
/// recomputation) for every micro-batch, plus the pipeline fill before it and drain after it
/// that no schedule can avoid. Communication, overlap losses and the optimizer only add to a
/// step, so the bound never exceeds the simulated timeline. Layer times are cached per (tp, cp, ep,
/// micro-batch) and stage layouts per (pp, vpp).
struct BoundCache {
    let e: Experiment
    let compute: ComputeModel
    let sequenceParallel: Bool

    struct TimesKey: Hashable { var tp: Int, cp: Int, ep: Int, microBatch: Int }
    struct Times { var dense: LayerTime, moe: LayerTime, output: LayerTime, embedding: LayerTime }
    struct LayoutKey: Hashable { var pp: Int, vpp: Int }
    private var times: [TimesKey: Times] = [:]
    private var layouts: [LayoutKey: StageLayout] = [:]
    /// The last bound asked for: consecutive candidates differ only in the ZeRO stage, which the bound ignores.
    private var last: (key: [Int], seconds: Double)?

    init(e: Experiment, sequenceParallel: Bool) {
        self.e = e
        self.sequenceParallel = sequenceParallel
        compute = ComputeModel(experiment: e)
    }

    mutating func layerTimes(_ k: TimesKey) -> Times {
        if let t = times[k] { return t }
        var wb = WorkloadBuilder(model: e.model, tp: k.tp, cp: k.cp, ep: k.ep, sequenceParallel: sequenceParallel && k.tp > 1,
                                 seq: e.training.sequenceLength, microBatch: k.microBatch,
                                 elementwisePasses: compute.device.elementwisePasses)
        wb.unfusedAttention = e.training.attention == .unfused
        let calls = Double(k.microBatch)
        let t = Times(dense: compute.forwardSeconds(wb.denseLayer(), attentionCalls: calls),
                      moe: compute.forwardSeconds(wb.moeLayer(), attentionCalls: calls),
                      output: compute.forwardSeconds(wb.outputLayer(), attentionCalls: 1),
                      embedding: compute.forwardSeconds(wb.embeddingLayer(), attentionCalls: 1))
        times[k] = t
        return t
    }

    mutating func seconds(tp: Int, cp: Int, pp: Int, dp: Int, ep: Int, schedule: PipelineSchedule, vpp: Int,
                          microBatch: Int, recompute: Recompute) -> Double {
        let key = [tp, cp, pp, dp, ep, vpp, microBatch, PipelineSchedule.allCases.firstIndex(of: schedule)!,
                   Recompute.allCases.firstIndex(of: recompute)!]
        if let last, last.key == key { return last.seconds }
        let t = layerTimes(TimesKey(tp: tp, cp: cp, ep: ep, microBatch: microBatch))
        let lk = LayoutKey(pp: pp, vpp: vpp)
        let layout = layouts[lk] ?? StageLayout(layers: e.model.layers, pp: pp, vpp: vpp, split: nil)
        layouts[lk] = layout
        let par = ParallelismSpec(tp: tp, pp: pp, vpp: vpp, dp: dp, ep: ep, cp: cp, sequenceParallel: sequenceParallel && tp > 1,
                                  zero: 0, schedule: schedule, order: [], layerSplit: nil)
        let st = StageCompute(model: e.model, parallelism: par, recompute: recompute, device: compute.device, layout: layout,
                              dense: t.dense, moe: t.moe, output: t.output, embedding: t.embedding)
        // Per virtual stage (model chunk): its forward and backward for one micro-batch.
        let chunkLayout = StageLayout(layers: e.model.layers, pp: pp * vpp, vpp: 1, split: layout.chunks)
        let chunkPar = ParallelismSpec(tp: tp, pp: pp * vpp, vpp: 1, dp: dp, ep: ep, cp: cp, sequenceParallel: sequenceParallel && tp > 1,
                                       zero: 0, schedule: .oneFOneB, order: [], layerSplit: nil)
        let chunks = vpp == 1 ? st : StageCompute(model: e.model, parallelism: chunkPar, recompute: recompute, device: compute.device,
                                                 layout: chunkLayout, dense: t.dense, moe: t.moe, output: t.output, embedding: t.embedding)
        let microBatches = Double(e.training.globalBatchSequences / (dp * microBatch))
        // A stage starts no earlier than the first micro-batch's forward through the chunks before
        // it, and (1F1B, interleaved) ends no earlier than the last micro-batch's backward through
        // them after its own: every schedule's timeline is at least this long.
        var bound = 0.0, fill = 0.0, drain = 0.0
        for p in 0..<pp {
            let own = microBatches * (st.forward[p] + st.backward[p])
            switch schedule {
            case .oneFOneB, .interleaved: bound = max(bound, fill + own + drain)
            case .zeroBubble: bound = max(bound, fill + own)
            case .dualpipe: bound = max(bound, own)
            }
            fill += chunks.forward[p]
            drain += chunks.backward[p]
        }
        let seconds = bound
        last = (key, seconds)
        return seconds
    }
}
