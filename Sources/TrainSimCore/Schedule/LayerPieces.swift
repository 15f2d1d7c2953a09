/// Forward seconds of the pieces of one layer that the timeline schedules as separate compute
/// operations, split where the stacks issue communication: before the column-parallel
/// projections (TP all-gather), around the attention core (context-parallel ring), after the
/// row-parallel ones (TP reduce-scatter or all-reduce), around the routed experts (EP dispatch
/// and combine). The pieces add up to the layer's forward time.
struct LayerPieces: Sendable {
    /// Input norm and the QKV projections (column-parallel under TP).
    var qkv: LayerTime
    /// The attention core.
    var core: LayerTime
    /// The attention output projection (row-parallel).
    var proj: LayerTime
    /// Dense: norm, FC1 (column-parallel) and the activation. MoE: norm, router and the permutation.
    var up: LayerTime
    /// Dense: FC2 (row-parallel). MoE: shared and routed experts.
    var down: LayerTime
    /// MoE: unpermuting the combined tokens (zero for dense layers).
    var unpermute: LayerTime
    var moe: Bool

    init(_ wb: WorkloadBuilder, compute: ComputeModel, moe: Bool, attentionCalls: Double) {
        self.moe = moe
        var attn = LayerWork()
        wb.attention(into: &attn)
        // The last GEMM of the attention block is the output projection.
        var pre = LayerWork(), core = LayerWork(), post = LayerWork()
        pre.gemms = Array(attn.gemms.dropLast())
        post.gemms = attn.gemms.suffix(1).map { var g = $0; g.columnParallel = false; return g }
        core.attentionFLOPs = attn.attentionFLOPs
        core.attentionUnfused = attn.attentionUnfused
        core.attentionCallFLOPs = attn.attentionCallFLOPs
        core.attentionMemoryBytes = attn.attentionMemoryBytes
        // Kernels: the core and the projection one each, the rest (norm, projections, rotary) before.
        core.kernels = 1; post.kernels = 1
        pre.kernels = attn.kernels - 2 + 3
        pre.memoryBytes = wb.residualBytes / 2
        var up = LayerWork(), down = LayerWork(), unperm = LayerWork()
        up.memoryBytes = wb.residualBytes / 2
        up.kernels = 3
        if moe {
            wb.moeRouter(into: &up)
            wb.moeShared(into: &down)
            wb.moeExperts(into: &down)
            wb.moeUnpermute(into: &unperm)
        } else {
            var mlp = LayerWork()
            wb.denseMLP(into: &mlp, ffn: Double(wb.model.ffnHidden))
            up.gemms = [mlp.gemms[0]]
            up.memoryBytes += mlp.memoryBytes
            up.kernels += mlp.kernels - 1
            down.gemms = [mlp.gemms[1]]
            down.kernels = 1
        }
        let c = attentionCalls
        qkv = compute.forwardSeconds(pre, attentionCalls: c)
        self.core = compute.forwardSeconds(core, attentionCalls: c)
        proj = compute.forwardSeconds(post, attentionCalls: c)
        self.up = compute.forwardSeconds(up, attentionCalls: c)
        self.down = compute.forwardSeconds(down, attentionCalls: c)
        unpermute = compute.forwardSeconds(unperm, attentionCalls: c)
    }

    var total: LayerTime { qkv + core + proj + up + down + unpermute }

    func scaled(_ k: Double) -> LayerPieces {
        guard k != 1 else { return self }
        var p = self
        p.qkv = qkv * k; p.core = core * k; p.proj = proj * k; p.up = up * k; p.down = down * k; p.unpermute = unpermute * k
        return p
    }
}
