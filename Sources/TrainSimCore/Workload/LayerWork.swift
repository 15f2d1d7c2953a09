/// One GEMM (or a group of equal GEMMs): its FLOPs in total and the FLOPs of one call,
/// which sets the achieved efficiency.
public struct GemmWork: Sendable, Equatable {
    public var flops: Double
    public var callFLOPs: Double
    /// A column-parallel linear under TP (QKV, MLP up/gate): its backward carries the TP
    /// collectives that frameworks overlap with its dgrad and wgrad GEMMs.
    public var columnParallel = false
    /// The share of the device's GEMM efficiency at this size the kernel reaches (below 1 for
    /// a stack's grouped expert GEMMs, `moeKernelEfficiency`).
    public var efficiencyShare = 1.0
    /// Elements of the activation input (m x k) and output (m x n) of its calls, summed: what an
    /// fp8 run casts, the input in the forward and the output's gradient in the backward.
    public var inputElements = 0.0, outputElements = 0.0
    /// Runs at the bf16 peak and efficiency whatever the run's precision, and in fp8 runs is not
    /// cast: not one of the stack's fp8 linear layers (the output layer, the MoE router's gate,
    /// unfused attention's score GEMMs).
    public var staysBF16 = false
}

/// The forward work one device does for one layer and one micro-batch, under a plan.
/// Backward is twice the GEMM and attention work; recompute repeats parts of the forward.
public struct LayerWork: Sendable, Equatable {
    public var gemms: [GemmWork] = []
    /// Attention-core FLOPs as executed (causal: half the score matrix).
    public var attentionFLOPs: Double = 0
    /// Unfused attention: the score GEMMs run at GEMM efficiency and softmax, mask and dropout
    /// move `attentionMemoryBytes` through HBM.
    public var attentionUnfused = false
    public var attentionCallFLOPs: Double = 0
    public var attentionMemoryBytes: Double = 0
    /// Bytes moved by memory-bound kernels (norms, activations, residuals, routing permutes).
    public var memoryBytes: Double = 0
    public var kernels: Double = 0
    /// Seconds the device waits on the host in the forward (a device-to-host synchronisation).
    public var hostSeconds: Double = 0
    public var gemmFLOPs: Double { gemms.reduce(0) { $0 + $1.flops } }
}

/// Builds per-layer work from the model and the plan.
public struct WorkloadBuilder: Sendable {
    public let model: ModelSpec
    public let tp: Int, cp: Int, ep: Int
    public let sequenceParallel: Bool
    public let seq: Int
    public let microBatch: Int
    /// Elementwise passes over the hidden state per layer forward (the stack's, where its file
    /// gives them, else the device file's).
    public var elementwisePasses: Double
    public let bytesPerElement: Double
    public var unfusedAttention = false
    /// Host synchronisation per MoE layer forward (the stack's `moeHostSyncUs`), seconds.
    public var moeHostSyncSeconds = 0.0
    /// The stack's routed-expert GEMMs reach this share of a dense GEMM's efficiency (`moeKernelEfficiency`).
    public var expertGemmShare = 1.0

    /// Sets what the stack decides about a layer's kernels (attention kind, MoE host sync and
    /// grouped-GEMM share, its fused elementwise passes), the same wherever a layer's work is built.
    public mutating func apply(_ fw: FrameworkSpec, attention: AttentionKernel) {
        unfusedAttention = attention == .unfused
        moeHostSyncSeconds = fw.moeHostSyncUs * 1e-6
        expertGemmShare = fw.moeKernelEfficiency
        if fw.elementwisePasses > 0 { elementwisePasses = fw.elementwisePasses }
    }

    public init(model: ModelSpec, tp: Int, cp: Int, ep: Int, sequenceParallel: Bool, seq: Int, microBatch: Int,
                elementwisePasses: Double, bytesPerElement: Double = 2) {
        self.model = model; self.tp = tp; self.cp = cp; self.ep = ep; self.sequenceParallel = sequenceParallel
        self.seq = seq; self.microBatch = microBatch; self.elementwisePasses = elementwisePasses
        self.bytesPerElement = bytesPerElement
    }

    /// Tokens of one micro-batch on one CP rank.
    public var tokens: Double { Double(microBatch * seq / cp) }

    private func gemm(_ m: Double, _ k: Double, _ n: Double, count: Double = 1, column: Bool = false) -> GemmWork {
        let call = 2 * m * k * n
        var g = GemmWork(flops: call * count, callFLOPs: call, columnParallel: column)
        g.inputElements = m * k * count
        g.outputElements = m * n * count
        return g
    }

    /// Attention block forward (projections and core).
    func attention(into w: inout LayerWork) {
        let T = tokens, h = Double(model.hidden), t = Double(tp)
        let hq = Double(model.heads), hkv = Double(model.kvHeads), d = Double(model.headDim)
        let s = Double(seq)
        if let mla = model.mla {
            let qr = Double(mla.qLoraRank), kvr = Double(mla.kvLoraRank)
            let dn = Double(mla.headDim), dr = Double(mla.ropeHeadDim), dv = Double(mla.vHeadDim)
            if qr > 0 {
                w.gemms.append(gemm(T, h, qr))
                w.gemms.append(gemm(T, qr, hq * (dn + dr) / t, column: true))
            } else {
                w.gemms.append(gemm(T, h, hq * (dn + dr) / t, column: true))
            }
            w.gemms.append(gemm(T, h, kvr + dr))
            w.gemms.append(gemm(T, kvr, hq * (dn + dv) / t, column: true))
            w.attentionFLOPs += 0.5 * 2 * T * s * hq / t * (dn + dr + dv) * model.attentionShare(seq: seq)
            w.gemms.append(gemm(T, hq * dv / t, h))
            w.kernels += 10
        } else if unfusedAttention {
            // QK^T and AV as batched GEMMs over the full (masked, not skipped) score matrix;
            // fused scale-mask-softmax reads and writes 2 bytes per score; dropout, when the model
            // has it, reads 2, writes 2 and a 1-byte mask: 9 bytes per score forward, else 4.
            w.gemms.append(gemm(T, h, (hq * d + 2 * hkv * d) / t, column: true))
            w.attentionUnfused = true
            w.attentionFLOPs += 4 * T * s * hq * d / t
            w.attentionCallFLOPs = 4 * T * s * hq * d / t
            w.attentionMemoryBytes += (model.dropout > 0 ? 9 : 4) * T * s * hq / t
            w.gemms.append(gemm(T, hq * d / t, h))
            w.kernels += 8
        } else {
            w.gemms.append(gemm(T, h, (hq * d + 2 * hkv * d) / t, column: true))
            w.attentionFLOPs += 0.5 * 4 * T * s * hq * d / t * model.attentionShare(seq: seq)
            w.gemms.append(gemm(T, hq * d / t, h))
            w.kernels += 6
        }
    }

    /// Dense MLP forward.
    func denseMLP(into w: inout LayerWork, ffn: Double) {
        let T = tokens, h = Double(model.hidden), t = Double(tp)
        let up = model.gatedMLP ? 2 * ffn : ffn
        w.gemms.append(gemm(T, h, up / t, column: true))
        w.gemms.append(gemm(T, ffn / t, h))
        w.memoryBytes += T * (up + ffn) / t * bytesPerElement
        w.kernels += 3
    }

    /// Forward work of a dense layer.
    public func denseLayer() -> LayerWork {
        var w = LayerWork()
        attention(into: &w)
        denseMLP(into: &w, ffn: Double(model.ffnHidden))
        w.memoryBytes += residualBytes
        w.kernels += 6
        return w
    }

    /// Forward work of an MoE layer: router, shared experts, routed experts (with imbalance).
    public func moeLayer() -> LayerWork {
        guard model.moe != nil else { return denseLayer() }
        var w = LayerWork()
        attention(into: &w)
        moeRouter(into: &w)
        moeShared(into: &w)
        moeExperts(into: &w)
        moeUnpermute(into: &w)
        w.memoryBytes += residualBytes
        w.kernels += 14 - 4 - 4
        return w
    }

    /// Routed token-slots this device computes: each device sends T x topK token-slots and, on
    /// average, receives as many; under expert parallelism the busiest device gets `imbalance`
    /// times the mean.
    var routedSlots: Double {
        guard let moe = model.moe else { return 0 }
        return tokens * Double(moe.topK) * moe.busiestShare(ep: ep) / Double(tp)
    }

    /// The router's gate GEMM and the permutation of routed tokens before dispatch.
    func moeRouter(into w: inout LayerWork) {
        guard let moe = model.moe else { return }
        // In fp8 runs the gate stays in bf16 (Megatron-Core's TopKRouter is not a Transformer Engine linear).
        var gate = gemm(tokens, Double(model.hidden), Double(moe.experts))
        gate.staysBF16 = true
        w.gemms.append(gate)
        // Softmax and top-k over the router's logits, in fp32 (written, read and written, read).
        w.memoryBytes += 4 * tokens * Double(moe.experts) * 4
        // Permute and unpermute the routed tokens, twice each way: half before dispatch.
        w.memoryBytes += 2 * routedSlots * Double(model.hidden) * bytesPerElement
        w.kernels += 4
        w.hostSeconds += moeHostSyncSeconds
    }

    /// Shared experts (a dense MLP every token passes through).
    func moeShared(into w: inout LayerWork) {
        guard let moe = model.moe, moe.sharedExperts > 0 else { return }
        denseMLP(into: &w, ffn: Double(moe.expertFfnHidden * moe.sharedExperts))
    }

    /// The routed experts' grouped GEMMs over the tokens dispatched to this device.
    func moeExperts(into w: inout LayerWork) {
        guard let moe = model.moe else { return }
        let h = Double(model.hidden), fe = Double(moe.expertFfnHidden)
        let slots = routedSlots
        let localExperts = Double(moe.experts) / Double(ep)
        let perExpert = slots / max(localExperts, 1)
        let up = model.gatedMLP ? 2 * fe : fe
        var upGemm = gemm(perExpert, h, up, count: localExperts), downGemm = gemm(perExpert, fe, h, count: localExperts)
        upGemm.efficiencyShare = expertGemmShare
        downGemm.efficiencyShare = expertGemmShare
        w.gemms += [upGemm, downGemm]
        w.memoryBytes += slots * (up + fe) * bytesPerElement
        w.kernels += 4
    }

    /// Unpermuting the combined tokens back into sequence order.
    func moeUnpermute(into w: inout LayerWork) {
        guard model.moe != nil else { return }
        w.memoryBytes += 2 * routedSlots * Double(model.hidden) * bytesPerElement
        w.kernels += 2
    }

    /// Bytes of the elementwise work on the hidden state (norms, residuals, dropout, rotary).
    var residualBytes: Double {
        let Tsp = sequenceParallel ? tokens / Double(tp) : tokens
        return elementwisePasses * Tsp * Double(model.hidden) * bytesPerElement
    }

    /// Forward work of the output layer and loss (on the last pipeline stage).
    public func outputLayer() -> LayerWork {
        var w = LayerWork()
        let T = tokens, h = Double(model.hidden), V = Double(model.vocab), t = Double(tp)
        // In fp8 runs the output layer stays in bf16 (Megatron-Core's GPTModel builds it as a
        // tensor_parallel.ColumnParallelLinear, not a Transformer Engine linear).
        var head = gemm(T, h, V / t)
        head.staysBF16 = true
        w.gemms.append(head)
        w.memoryBytes += 3 * T * V / t * 4
        w.kernels += 4
        return w
    }

    /// Forward work of the embedding lookup (on the first pipeline stage).
    public func embeddingLayer() -> LayerWork {
        var w = LayerWork()
        w.memoryBytes = 2 * tokens * Double(model.hidden) * bytesPerElement
        w.kernels = 2
        return w
    }
}

/// FLOPs per token, forward and backward, in the conventions trainsim reports.
///
/// - `model` (MFU, achieved TFLOP/s): 6 x the active parameters that multiply (output layer
///   included, embedding lookup not), as the Megatron (Narayanan et al. 2021) and PaLM (Chowdhery
///   et al. 2022, appendix B) papers count them, plus attention with causal masking counted as
///   executed: half the score matrix, 6 x seq x attention width per layer (the papers' 12 x seq x
///   width counts the full matrix; FlashAttention-2, Dao 2023, sec. 4.1, halves it for causal runs).
///   So MFU never exceeds HFU and stays bounded at long sequences.
/// - `executed` (HFU): the model count plus what recompute runs again: the layers' forward for
///   full recompute (not the output layer's), the attention core's forward for selective.
/// - `paper`: the papers' own count with the full score matrix, used only to compare with
///   figures published in that convention (calibration cases).
public enum FLOPCount {
    public static let modelConvention = "6 x active matmul parameters + causal attention (half the score matrix: 6 x seq x attention width x layers; a sliding window's layers count the pairs within it), per token"
    public static let executedConvention = "FLOPs executed per token: the model count plus recompute (full: the layers' forward again; selective: the attention core's forward)"

    /// 6 x the active parameters that multiply.
    public static func matmul(_ m: ModelSpec) -> Double {
        let p = ParameterCount(m)
        return 6 * (p.active - p.embedding + (m.tiedEmbeddings ? p.embedding : 0))
    }

    /// Attention-core FLOPs per token, forward and backward, all layers, with the full score matrix.
    public static func attentionFull(_ m: ModelSpec, seq: Int) -> Double {
        let s = Double(seq)
        if let mla = m.mla { return 6 * s * Double(m.heads) * Double(mla.headDim + mla.ropeHeadDim + mla.vHeadDim) * Double(m.layers) }
        return 12 * s * Double(m.heads * m.headDim) * Double(m.layers)
    }

    /// Attention-core FLOPs per token as executed: causal (half the score matrix), and within the
    /// window on the layers that have one (``ModelSpec/attentionShare(seq:)``).
    public static func attentionExecuted(_ m: ModelSpec, seq: Int) -> Double { attentionFull(m, seq: seq) / 2 * m.attentionShare(seq: seq) }

    /// The reported model FLOPs per token (causal attention halved, windows applied).
    public static func model(_ m: ModelSpec, seq: Int) -> Double { matmul(m) + attentionExecuted(m, seq: seq) }

    /// FLOPs executed per token, recompute included.
    /// `recomputedShare`: the share of layers full recompute reruns (`training.recomputeLayers`).
    public static func executed(_ m: ModelSpec, seq: Int, recompute: Recompute, recomputedShare: Double = 1) -> Double {
        withRecompute(model(m, seq: seq), attention: attentionExecuted(m, seq: seq), m, recompute, share: recomputedShare)
    }

    /// The papers' count (full score matrix), with what their hardware count adds for recompute.
    public static func paper(_ m: ModelSpec, seq: Int, recompute: Recompute? = nil) -> Double {
        withRecompute(matmul(m) + attentionFull(m, seq: seq), attention: attentionFull(m, seq: seq), m, recompute ?? .none)
    }

    /// A count plus what recompute repeats of it: the layers' forward (a third of the count less
    /// the output layer, which is not recomputed: Megatron's 96 B s l h^2 (1 + s/6h + V/16lh)) for
    /// full recompute (of the `share` of layers it reruns), the attention core's forward (a third of
    /// its count) for selective.
    private static func withRecompute(_ count: Double, attention: Double, _ m: ModelSpec, _ recompute: Recompute, share: Double = 1) -> Double {
        switch recompute {
        case .full: return count + share * (count - 6 * Double(m.vocab) * Double(m.hidden)) / 3
        case .selective: return count + attention / 3
        case .none: return count
        }
    }
}
