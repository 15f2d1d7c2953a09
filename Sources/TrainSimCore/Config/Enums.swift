/// Numeric precision of the training math.
public enum Precision: String, Sendable, CaseIterable {
    case bf16, fp16, fp8
}

/// Activation recomputation strategy.
public enum Recompute: String, Sendable, CaseIterable {
    case none, selective, full
}

/// Pipeline-parallel schedule.
public enum PipelineSchedule: String, Sendable, CaseIterable {
    case oneFOneB = "1f1b"
    case interleaved
    case zeroBubble = "zero-bubble"
    case dualpipe
}

/// How attention is computed: FlashAttention (fused, causal work only, no score matrix in
/// memory) or unfused (score matrix materialised, softmax and dropout memory-bound), as
/// Megatron ran before FlashAttention.
public enum AttentionKernel: String, Sendable, CaseIterable {
    case flash, unfused
}

/// How collective costs are computed.
public enum NetworkMode: String, Sendable, CaseIterable {
    case analytical, flow
}
