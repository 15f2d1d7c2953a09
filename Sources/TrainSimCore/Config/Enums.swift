/// Numeric precision of the training math.
public enum Precision: String, Sendable, CaseIterable {
    case bf16, fp16, fp8
}

/// Activation recomputation strategy.
public enum Recompute: String, Sendable, CaseIterable {
    case none, selective, full
}

/// How context parallelism exchanges the sequence: ring attention passes K and V blocks between
/// neighbours under the attention kernel (Megatron-Core's `--cp-comm-type p2p`, MindSpeed's
/// `megatron_cp_algo`); Ulysses (Jacobs et al. 2023, DeepSpeed-Ulysses, arXiv 2309.14509) turns
/// the sequence split into a head split with an all-to-all of Q, K and V before attention and one of
/// its output after, which wait for each other (Megatron-Core `--cp-comm-type a2a`, MindSpeed
/// `ulysses_cp_algo`); all-gather gathers K and V from every CP rank before attention and
/// reduce-scatters their gradients after its backward, exposed (Llama 3 herd paper, Dubey et al.
/// 2024, sec. 3.3.2: "the all-gather communication latency is exposed in the critical path",
/// small with GQA; Transformer Engine's `AttnFuncWithCPAndKVAllGather`, Megatron-Core
/// `--cp-comm-type all_gather`).
public enum ContextParallelAlgorithm: String, Sendable, CaseIterable {
    case ring, ulysses, allgather
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
