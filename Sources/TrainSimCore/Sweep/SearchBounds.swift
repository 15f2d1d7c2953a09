/// Lower bounds of a plan's step time from compute alone, with the engine's own `StageCompute`:
/// the busiest stage's forward and backward (with recomputation) for every micro-batch, plus
/// the schedule's bubble. Communication, overlap losses and the optimizer only add to a step,
/// so the bound never exceeds the simulated time. Layer times are cached per (tp, cp, ep,
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
        var maxStage = 0.0, minForward = Double.infinity
        for p in 0..<pp {
            maxStage = max(maxStage, st.forward[p] + st.backward[p])
            minForward = min(minForward, st.forward[p])
        }
        // The bottleneck stage's forward and backward, with its exposed communication, is at
        // least the largest stage's compute; its forward at least the smallest stage's.
        let microBatches = Double(e.training.globalBatchSequences / (dp * microBatch))
        let ppF = Double(pp - 1)
        let bubble: Double
        switch schedule {
        case .oneFOneB: bubble = ppF * maxStage
        case .interleaved: bubble = ppF * maxStage / Double(vpp)
        case .zeroBubble: bubble = ppF * minForward
        case .dualpipe: bubble = Double(max(0, pp / 2 - 1)) * minForward
        }
        let seconds = microBatches * maxStage + bubble
        last = (key, seconds)
        return seconds
    }
}
