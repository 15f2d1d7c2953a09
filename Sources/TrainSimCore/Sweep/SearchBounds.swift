/// Lower bounds of a plan's step time from compute alone, as `Engine.step` computes compute:
/// the busiest stage's forward and backward (with recomputation) for every micro-batch, plus
/// the schedule's bubble. Communication, overlap losses and the optimizer only add to a step,
/// so the bound never exceeds the simulated time. Layer times are cached per (tp, cp, ep,
/// micro-batch) and stage layer counts per (pp, vpp), so a bound costs a few dozen flops.
struct BoundCache {
    let e: Experiment
    let compute: ComputeModel
    let sequenceParallel: Bool

    struct TimesKey: Hashable { var tp: Int, cp: Int, ep: Int, microBatch: Int }
    struct Times { var dense: LayerTime, moe: LayerTime, output: LayerTime, embedding: LayerTime }
    struct LayoutKey: Hashable { var pp: Int, vpp: Int }
    private var times: [TimesKey: Times] = [:]
    /// Dense and MoE layers held by each physical stage.
    private var layouts: [LayoutKey: [(dense: Double, moe: Double)]] = [:]

    init(e: Experiment, sequenceParallel: Bool) {
        self.e = e
        self.sequenceParallel = sequenceParallel
        compute = ComputeModel(device: e.cluster.topology.device, precision: e.training.precision)
    }

    mutating func layerTimes(_ k: TimesKey) -> Times {
        if let t = times[k] { return t }
        let wb = WorkloadBuilder(model: e.model, tp: k.tp, cp: k.cp, ep: k.ep, sequenceParallel: sequenceParallel && k.tp > 1,
                                 seq: e.training.sequenceLength, microBatch: k.microBatch,
                                 elementwisePasses: compute.device.elementwisePasses)
        let calls = Double(k.microBatch)
        let t = Times(dense: compute.forwardSeconds(wb.denseLayer(), attentionCalls: calls),
                      moe: compute.forwardSeconds(wb.moeLayer(), attentionCalls: calls),
                      output: compute.forwardSeconds(wb.outputLayer(), attentionCalls: 1),
                      embedding: compute.forwardSeconds(wb.embeddingLayer(), attentionCalls: 1))
        times[k] = t
        return t
    }

    mutating func stages(_ k: LayoutKey) -> [(dense: Double, moe: Double)] {
        if let s = layouts[k] { return s }
        let m = e.model
        let layout = StageLayout(layers: m.layers, pp: k.pp, vpp: k.vpp, split: nil)
        let moeStart = m.moe?.denseLayers ?? m.layers
        let s = (0..<k.pp).map { p -> (dense: Double, moe: Double) in
            let ls = layout.layers(ofStage: p)
            let nMoE = Double(ls.filter { m.moe != nil && $0 >= moeStart }.count)
            return (Double(ls.count) - nMoE, nMoE)
        }
        layouts[k] = s
        return s
    }

    mutating func seconds(tp: Int, cp: Int, pp: Int, dp: Int, ep: Int, schedule: PipelineSchedule, vpp: Int,
                          microBatch: Int, recompute: Recompute) -> Double {
        let t = layerTimes(TimesKey(tp: tp, cp: cp, ep: ep, microBatch: microBatch))
        let st = stages(LayoutKey(pp: pp, vpp: vpp))
        func extra(_ x: LayerTime) -> Double {
            recompute == .full ? x.forward : (recompute == .selective ? x.attention : 0)
        }
        let bDense = t.dense.backward + extra(t.dense), bMoE = t.moe.backward + extra(t.moe)
        var maxStage = 0.0, minForward = Double.infinity
        for (p, s) in st.enumerated() {
            var f = s.dense * t.dense.forward + s.moe * t.moe.forward
            var b = s.dense * bDense + s.moe * bMoE
            if p == 0 { f += t.embedding.forward; b += t.embedding.backward }
            if p == pp - 1 { f += t.output.forward; b += t.output.backward }
            maxStage = max(maxStage, f + b)
            minForward = min(minForward, f)
        }
        let microBatches = Double(e.training.globalBatchSequences / (dp * microBatch))
        let ppF = Double(pp - 1)
        let bubble: Double
        switch schedule {
        case .oneFOneB: bubble = ppF * maxStage
        case .interleaved: bubble = ppF * maxStage / Double(vpp)
        case .zeroBubble: bubble = ppF * minForward
        case .dualpipe: bubble = Double(max(0, pp / 2 - 1)) * minForward
        }
        return microBatches * maxStage + bubble
    }
}
