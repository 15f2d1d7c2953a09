import Foundation

/// One experiment, decoded and validated: a model, how it is trained, on what cluster,
/// with which parallel plan, and at what price.
public struct Experiment: Sendable {
    public var name: String
    public var model: ModelSpec
    public var training: TrainingSpec
    public var cluster: ClusterSpec
    public var parallelism: ParallelismSpec
    public var cost: CostSpec
    /// `sweep`: key paths and the values each takes, in file order.
    public var sweep: [(path: String, values: [JSONValue])]
    public var search: SearchSpec?
    /// The optional `data` and `reliability` objects, decoded by the Run stage.
    public var data: JSONValue?
    public var reliability: JSONValue?
    /// The document as read (sweeps rewrite it), the file's display name and folder.
    public var raw: JSONValue
    public var file: String?
    public var folder: URL?
}

public struct TrainingSpec: Sendable, Equatable {
    public var tokens: Double
    public var sequenceLength: Int
    public var globalBatchSequences: Int
    public var microBatchSequences: Int
    public var precision: Precision
    public var recompute: Recompute
    /// With full recompute, how many layers of each model chunk (virtual stage) are recomputed,
    /// counted from its first layer (Megatron-Core's `--recompute-method block
    /// --recompute-num-layers N`); the others keep their activations. nil: every layer. Ignored
    /// unless `recompute` is full, so a sweep or search may vary `recompute` around it.
    public var recomputeLayers: Int? = nil
    public var attention: AttentionKernel = .flash
    public var framework: FrameworkSpec = .reference
    /// The `training.framework` name as written, until it is loaded.
    var frameworkReference: String?
    /// `training.framework` in object form (`{"stack": ID, FLAG: value, ...}`), until it is loaded.
    var frameworkOverrides: JSONValue?
    public var globalBatchTokens: Double { Double(globalBatchSequences * sequenceLength) }
    /// `recomputeLayers` where it applies (full recompute), else nil.
    public var recomputeLimit: Int? { recompute == .full ? recomputeLayers : nil }
}

public struct ClusterSpec: Sendable {
    public var topologyReference: String
    public var topology: TopologySpec
    public var devices: Int
    public var network: NetworkMode
}

public struct ParallelismSpec: Sendable, Equatable {
    public var tp: Int
    public var pp: Int
    public var vpp: Int
    public var dp: Int
    public var ep: Int
    public var cp: Int
    public var sequenceParallel: Bool
    public var zero: Int
    public var schedule: PipelineSchedule
    /// Placement order, innermost first (default "tp-cp-ep-pp-dp").
    public var order: [String]
    /// Layers per pipeline stage, when given explicitly.
    public var layerSplit: [Int]?
    /// How context parallelism exchanges the sequence (ring attention unless set).
    public var cpAlgorithm: ContextParallelAlgorithm = .ring
    /// " (ulysses)" or " (allgather)" after the CP size in a plan's line; empty for ring or cp 1.
    public var cpAlgorithmNote: String { cp > 1 && cpAlgorithm != .ring ? " (\(cpAlgorithm.rawValue))" : "" }
    /// With ZeRO >= 1: the data-parallel ranks (x CP) that shard the model states, when fewer
    /// than all of them (hybrid sharding: the shards are replicated across the other ranks).
    /// nil: all of them.
    public var zeroShardGroup: Int? = nil
    /// Interleaved schedule: micro-batches run per model chunk before the next chunk (Megatron's
    /// --microbatch-group-size-per-virtual-pipeline-stage; Llama 3's N). nil: pp.
    public var microBatchGroup: Int? = nil
    /// The interleaved schedule's micro-batch group (pp unless set).
    public var group: Int { microBatchGroup ?? pp }
    /// `parallelism.etp` as given: the tensor-parallel size of the routed experts (Megatron-Core's
    /// --expert-tensor-parallel-size), 1 or tp. nil: the default, `etp`.
    public var expertTP: Int? = nil
    /// The stack's default when `expertTP` is not given (its `expertTensorParallel` flag).
    public var expertsSplitByDefault = false
    /// Expert tensor parallelism: tp splits each routed expert over the TP ranks (Megatron-Core's
    /// default, and the only layout without EP); 1 keeps experts whole and lets EP fold over the
    /// TP ranks (parallel folding). Default: tp with ep 1, else the stack's, where EP fits over
    /// dp x cp alone: an EP that needs the TP ranks is a run that kept its experts whole (a stack
    /// that splits them by default cannot lay it otherwise).
    public var etp: Int {
        if let expertTP { return expertTP }
        if ep == 1 { return tp }
        guard expertsSplitByDefault, tp > 1 else { return 1 }
        return Placement.layout(tp: tp, cp: cp, dp: dp, ep: ep, etp: tp) != nil ? tp : 1
    }

    /// ZeRO-3 under pipeline parallelism, as PyTorch's pipeline schedules run FSDP
    /// (torch/distributed/pipelining/stage.py, `backward_maybe_with_nosync`: every micro-batch's
    /// backward runs with `set_reshard_after_backward(False)` and `set_requires_gradient_sync(False)`,
    /// and the last one then runs each unit's post-backward; torchtitan's default
    /// `reshard_after_forward` is `not pp_enabled`, torchtitan/distributed/fsdp.py): each unit's
    /// parameters are gathered in its chunk's first forward of the step and stay gathered until its
    /// last backward, gradients accumulate unsharded and are reduce-scattered once, after that
    /// backward. Without pipeline parallelism ZeRO-3 gathers every unit before each forward and
    /// backward and reduce-scatters it after each backward (FSDP's FULL_SHARD).
    public var zero3GathersOnce: Bool { zero == 3 && pp > 1 }

    /// ZeRO-3 gathering and reduce-scattering every unit in every micro-batch (without pipeline parallelism).
    public var zero3EveryMicroBatch: Bool { zero == 3 && pp == 1 }
}

public struct CostSpec: Sendable, Equatable {
    public var currency: String
    public var devicePricePerHour: Double?
    public var electricityPricePerKWh: Double?
    public var pue: Double?
    /// "rental" (price per device-hour) or "owned" (capital cost amortized over its years).
    public var pricing: String
}

public struct SearchSpec: Sendable, Equatable {
    public var objective: String
    public var top: Int
    /// Candidate values per key, when given; otherwise trainsim chooses.
    public var space: [(path: String, values: [JSONValue])]
    public static func == (a: SearchSpec, b: SearchSpec) -> Bool {
        a.objective == b.objective && a.top == b.top && a.space.map(\.path) == b.space.map(\.path)
    }
}
