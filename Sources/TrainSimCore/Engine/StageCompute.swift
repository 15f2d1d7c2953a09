/// Compute seconds of each physical pipeline stage for one micro-batch, communication left
/// out: its dense and MoE layers, recomputation, the embedding on the first stage, the output
/// layer and multi-token-prediction modules on the last. `Engine.step` adds the exposed
/// communication to it; a plan search uses it alone as a lower bound of the step.
struct StageCompute {
    /// Dense and MoE layers of each stage.
    var dense: [Double] = [], moe: [Double] = []
    var forward: [Double] = [], backward: [Double] = []

    init(model m: ModelSpec, parallelism par: ParallelismSpec, recompute: Recompute, device dev: DeviceSpec, layout: StageLayout,
         dense denseT: LayerTime, moe moeT: LayerTime, output outT: LayerTime, embedding embT: LayerTime, recomputeLayers: Int? = nil) {
        func extra(_ t: LayerTime) -> Double {
            recompute == .full ? t.forward : (recompute == .selective ? t.attention : 0)
        }
        let moeStart = m.moe?.denseLayers ?? m.layers
        let limit = recompute == .full ? recomputeLayers : nil
        // Compute alone: the SMs that overlapped collectives take are the timeline's to charge.
        let kindStart = m.moe != nil ? moeStart : Int.max
        let byStage = layout.layerCountsByStage(moeStart: kindStart)
        for p in 0..<par.pp {
            let counts = byStage[p]
            let nMoE = Double(counts.moe)
            let nDense = Double(counts.dense + counts.moe) - nMoE
            var f = nDense * denseT.forward + nMoE * moeT.forward
            var b: Double
            if limit != nil {
                // Full recompute with a limit: only the recomputed layers pay the extra forward.
                let again = layout.recomputedCounts(ofStage: p, moeStart: kindStart, limit: limit)
                b = nDense * denseT.backward + nMoE * moeT.backward + Double(again.dense) * extra(denseT) + Double(again.moe) * extra(moeT)
            } else {
                b = nDense * (denseT.backward + extra(denseT)) + nMoE * (moeT.backward + extra(moeT))
            }
            if p == 0 { f += embT.forward; b += embT.backward }
            if p == par.pp - 1 {
                f += outT.forward; b += outT.backward
                // Multi-token prediction: one more layer and output head per module.
                let mtpLayer = m.moe != nil ? moeT : denseT
                let mtp = Double(m.mtpLayers)
                f += mtp * (mtpLayer.forward + outT.forward)
                b += mtp * (mtpLayer.backward + extra(mtpLayer) + outT.backward)
            }
            dense.append(nDense)
            moe.append(nMoE)
            forward.append(f)
            backward.append(b)
        }
    }
}
