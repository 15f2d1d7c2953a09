import Foundation

/// The training software stack (Megatron-Core, NeMo, PyTorch FSDP, DeepSpeed, MindSpeed, InternLM):
/// how much of the device's calibrated kernel efficiency it reaches, and which communication
/// mechanisms it uses to overlap collectives with compute. Device curves are calibrated on one
/// reference stack per device family (Megatron on NVIDIA, MindSpeed on Ascend), whose factor is 1.
/// Read from `Topologies/frameworks/ID.json`, where each flag carries its primary source; an
/// experiment may override any flag (`training.framework: {"stack": ID, FLAG: value, ...}`).
public struct FrameworkSpec: Sendable, Equatable {
    public var id: String
    public var name: String
    /// Multiplies the device's GEMM and attention efficiency.
    public var efficiencyFactor: Double
    /// The same share fitted for one silicon (`efficiencyFactorBySilicon` in the stack file): a
    /// stack's kernels may reach a different share of one chip than of another (llm-foundry's
    /// PyTorch path on Hopper without Transformer Engine).
    public var efficiencyBySilicon: [String: Double] = [:]

    /// The share of the reference stack's kernel efficiency this stack reaches on a device family.
    public func efficiency(on family: String) -> Double { efficiencyBySilicon[family] ?? efficiencyFactor }
    public var source: String?
    /// Megatron's asynchronous column-parallel backward: input re-gather / grad all-reduce or reduce-scatter issued async under dgrad/wgrad GEMMs.
    public var tpAsyncBackward: Bool = false
    /// Fused/pipelined TP overlap: Transformer Engine userbuffers (--tp-comm-overlap) on NVIDIA stacks, MC2/CoC on MindSpeed.
    public var tpCommOverlap: Bool = false
    /// Chunks a userbuffers/MC2 GEMM is split into (TE default 4).
    public var tpOverlapSplits: Int = 4
    /// Data-parallel gradient reduce-scatter/all-reduce per bucket during the last micro-batch's backward (--overlap-grad-reduce).
    public var overlapGradReduce: Bool = false
    /// Parameter all-gather per bucket under the first micro-batch's forward (--overlap-param-gather).
    public var overlapParamGather: Bool = false
    /// Parameters per data-parallel bucket; 0 means one bucket per pipeline stage.
    public var bucketParameters: Double = 40e6
    /// Parameters per bucket per data-parallel rank (x CP): the bucket is the larger of this times
    /// DP x CP and `bucketParameters` (Megatron-Core: max(40M, 1M x DP x CP)); 0: `bucketParameters` alone.
    public var bucketParametersPerRank: Double = 0
    /// Bytes per gradient element on the wire (4: fp32 grad reduce, Megatron default with bf16; 2: bf16).
    public var gradReduceBytes: Double = 4
    /// MoE expert all-to-all overlapped with another micro-batch's compute (Megatron --overlap-moe-expert-parallel-comm, MindSpeed --moe-fb-overlap, DualPipe).
    public var moeAllToAllOverlap: Bool = false
    /// What the overlap requires of a plan (`moeOverlapRequirements`); a plan that asks for the
    /// overlap without meeting it is rejected, as the stack rejects it.
    public var moeAllToAllOverlapRequires: String = "nothing"
    /// Share of compute throughput lost while an SM-consuming overlapped collective runs beside it (userbuffers, DeepEP). 0...0.9
    public var overlapSMShare: Double = 0
    /// Host/launch overhead added to each communication operation, microseconds. 0...10000
    public var commLaunchUs: Double = 0
    /// Pipeline send/recv blocks the compute stream (Megatron 1F1B batch_isend_irecv + synchronize; DeepSpeed pipe engine); false = async (interleaved overlap_p2p_comm).
    public var p2pBlocking: Bool = true
    /// Interleaved schedule: the warm-up forwards' and cool-down backwards' sends are posted
    /// asynchronously too (Megatron --overlap-p2p-communication-warmup-flush); false: each waits
    /// to complete before the rank's next compute, and only the steady state's are overlapped.
    public var p2pOverlapWarmupFlush: Bool = false
    /// Interleaved schedule (vpp > 1) with overlapped gradient reduction: each model chunk's gradient
    /// reduction is launched, whole, after the backward of the virtual micro-batch `pp_rank` later
    /// than the chunk's last one (or after the schedule), so every pipeline rank launches together
    /// (Megatron `align_grad_reduce`, schedules.py `backward_step_helper`); false: each bucket as
    /// its gradients are ready in the chunk's last backward.
    public var alignGradReduce: Bool = false
    /// Interleaved schedule (vpp > 1) with overlapped parameter gathers: the gathers of a rank's first two
    /// model chunks are launched at the schedule's start, and chunk c + 1's before the forward
    /// `pp_rank` virtual micro-batches ahead of chunk c's first, each chunk whole (Megatron
    /// `align_param_gather`, schedules.py `forward_step_helper_preprocess`); false: one layer
    /// ahead of the forward that needs it.
    public var alignParamGather: Bool = false
    /// Gradients are reduced after every micro-batch's backward (FSDP without no_sync, DeepSpeed ZeRO-2/3) instead of only the last.
    public var gradReduceEveryMicroBatch: Bool = false
    /// ZeRO-3/FSDP: the next unit's parameter all-gather is prefetched one unit ahead (FSDP backward prefetch / forward prefetch).
    public var zero3Prefetch: Bool = true
    /// ZeRO-2 without pipelining: parameters are sharded again after every backward, so every
    /// micro-batch's forward gathers them (FSDP SHARD_GRAD_OP); false: gathered once per step.
    public var zero2ReshardAfterBackward: Bool = false
    /// How MoE tokens reach their experts: "alltoall" (each routed copy sent to its expert's
    /// rank), "allgather" (every rank gathers the group's tokens, and reduce-scatters them back),
    /// "deepep" (DeepEP/HybridEP: a token crosses the fabric once per target node).
    public var moeDispatcher: String = "alltoall"
    /// Host synchronisation per MoE layer forward, microseconds: the all-to-all's split sizes
    /// must reach the host, so the device queue drains and waits for the host to launch again.
    public var moeHostSyncUs: Double = 0
    /// The busiest expert-parallel rank's routed tokens over the mean, when the model does not
    /// say (`model.moe.imbalance`).
    public var moeImbalance: Double = 1.1
    /// The share of a dense GEMM's efficiency (at the same size) the stack's routed-expert
    /// grouped GEMMs reach on the device: 1 where the device curve holds for them.
    public var moeKernelEfficiency: Double = 1
    /// Passes over the hidden state per layer forward outside the GEMMs, the attention core and the
    /// MLP activation, with this stack's fused kernels; 0: the device file's figure
    /// (`efficiency.elementwisePasses`), an estimate of an unfused layer.
    public var elementwisePasses: Double = 0
    /// Routed experts are split over the TP ranks unless the plan says otherwise (`parallelism.etp`):
    /// Megatron-LM sets --expert-tensor-parallel-size to the TP size when it is not given.
    public var expertTensorParallel: Bool = false
    public static let dispatchers = ["alltoall", "allgather", "deepep"]
    /// What a stack's EP all-to-all overlap (`moeAllToAllOverlap`) requires of a plan:
    /// "megatron-core": with pp > 1 the interleaved schedule, no full recompute, and an all-to-all
    /// or DeepEP dispatcher (Megatron-Core asserts these); "nothing": no requirement stated.
    public static let moeOverlapRequirements = ["megatron-core", "nothing"]
    /// How ZeRO (stages 1-2) reduces gradients: "reducescatter" over the shard group (Megatron's
    /// distributed optimizer, FSDP), or "allreduce" of the whole gradient over every data-parallel
    /// rank, each rank then using its shard (InternEvo's hybrid ZeRO optimizer).
    public var zeroGradReduce: String = "reducescatter"
    /// How ZeRO (stages 1-2) brings the updated parameters back: "allgather" over the shard group,
    /// or "broadcast": every rank of the shard group broadcasts its shard in turn (InternEvo's
    /// `broadcast_params`), one collective per rank, each paying the group's chain latency.
    public var zeroParamSync: String = "allgather"
    public static let gradReduces = ["reducescatter", "allreduce"]
    public static let paramSyncs = ["allgather", "broadcast"]
    /// FP8 runs keep the model's parameters in fp8 (1 byte) and gather them in fp8; the fp32 master stays in the optimizer (Megatron --fp8-param-gather, NeMo fp8_params).
    public var fp8Params: Bool = false
    /// Under ZeRO-3 the sharded parameters are the fp32 master weights and their gradients are
    /// fp32 (PyTorch FSDP: the bf16 copy exists only while a unit is gathered), so a parameter's
    /// states are 4 + 4 + 8 bytes over the shard group, not a bf16 shard beside an fp32 master.
    public var zero3MasterShard: Bool = false
    /// The highest ZeRO stage the stack runs with pipeline parallelism (pp > 1); a plan above it is
    /// not one the stack can run (DeepSpeed's pipeline engine rejects ZeRO-2 and 3).
    public var pipelineMaxZero: Int = 3
    /// The pipeline schedules the stack runs (`PipelineSchedule` raw values). A plan search whose
    /// space does not list schedules tries these (and the experiment's own); an experiment may
    /// still name another, which is simulated as that schedule runs elsewhere.
    public var schedules: [String] = PipelineSchedule.allCases.map(\.rawValue)
    /// The fused attention kernel the stack runs: "fused" (the kernel the device's attention curve
    /// describes: cuDNN / Transformer Engine fused attention on NVIDIA as the 2024 releases ran it,
    /// the vendor's elsewhere), "flash2" (FlashAttention-2), "flex" (PyTorch FlexAttention), "fa3"
    /// (FlashAttention-3-class Hopper kernels: FlashAttention-3, or the cuDNN fused attention of
    /// Transformer Engine 2.x releases); the silicon file says what share of its curve each reaches
    /// (`attentionKernels`; a kernel it does not list runs at the curve).
    public var attentionKernel: String = "fused"
    /// "megatron-core, attention kernel fused": how the reports name the stack a step ran on.
    public var reportName: String { id + ", attention kernel " + attentionKernel }
    public static let attentionKernels = ["fused", "flash2", "flex", "fa3"]

    /// fp8 runs: bytes moved per element cast to fp8 for a GEMM (its activation input in the
    /// forward, its output's gradient in the backward): read in bf16, written in fp8 and again
    /// transposed for the other GEMM that reads it.
    public var fp8CastBytes: Double = 0
    /// Bytes per logit element (tokens x vocabulary / TP) the loss holds at its peak on the last
    /// pipeline stage: the output layer's 16-bit logits and the loss's fp32 copy, or the fp32
    /// gradient and its 16-bit cast for the output layer's backward.
    public var logitsBytes: Double = 8

    /// Bytes per model parameter held and gathered, for a run in `precision`.
    public func parameterBytes(_ precision: Precision) -> Double { precision == .fp8 && fp8Params ? 1 : 2 }
    /// Where each key's value came from ("source [confidence]", or "experiment override").
    public var sources: [String: String] = [:]

    public init(id: String, name: String, efficiencyFactor: Double, source: String?) {
        self.id = id; self.name = name; self.efficiencyFactor = efficiencyFactor; self.source = source
    }

    /// Stands in until the experiment's stack file is read (`Topologies/frameworks/megatron-core.json`
    /// when the experiment names none); its flags are those of that file.
    public static let reference: FrameworkSpec = {
        var f = FrameworkSpec(id: "megatron-core", name: "Megatron-Core (reference)", efficiencyFactor: 1, source: nil)
        f.tpAsyncBackward = true
        f.overlapGradReduce = true
        f.alignGradReduce = true
        f.alignParamGather = true
        f.bucketParametersPerRank = 1e6
        f.moeHostSyncUs = 100
        f.elementwisePasses = 8.7
        f.fp8CastBytes = 4
        f.logitsBytes = 6
        f.moeAllToAllOverlapRequires = "megatron-core"
        f.expertTensorParallel = true
        f.schedules = ["1f1b", "interleaved"]
        return f
    }()

    /// Other names a stack may be given by: `megatron`, the id before the stacks were split up.
    public static let aliases = ["megatron": "megatron-core"]

    /// The flags an experiment may override, with their kinds and ranges (shared by the stack
    /// file reader, where each is `{"value", "source", "confidence"}`, and the override reader).
    /// Each flag's setter is a closure, not a key path: key paths are made at run time, which cost
    /// the Swift runtime about 0.43 M instructions for this table the first time, 3 % of a whole
    /// `trainsim FILE` run (callgrind); a closure that captures nothing costs nothing to make.
    enum Flag {
        case bool((inout FrameworkSpec, Bool) -> Void)
        case number((inout FrameworkSpec, Double) -> Void, ClosedRange<Double>, positive: Bool)
        case int((inout FrameworkSpec, Int) -> Void, ClosedRange<Int>)
        case choice((inout FrameworkSpec, String) -> Void, [String])
        case choices((inout FrameworkSpec, [String]) -> Void, [String])
    }

    static var flags: [(key: String, kind: Flag)] {
        [("efficiencyFactor", .number({ $0.efficiencyFactor = $1 }, 0.1...2, positive: true)),
         ("tpAsyncBackward", .bool({ $0.tpAsyncBackward = $1 })),
         ("tpCommOverlap", .bool({ $0.tpCommOverlap = $1 })),
         ("tpOverlapSplits", .int({ $0.tpOverlapSplits = $1 }, 1...64)),
         ("overlapGradReduce", .bool({ $0.overlapGradReduce = $1 })),
         ("overlapParamGather", .bool({ $0.overlapParamGather = $1 })),
         ("bucketParameters", .number({ $0.bucketParameters = $1 }, 0...1e13, positive: false)),
         ("bucketParametersPerRank", .number({ $0.bucketParametersPerRank = $1 }, 0...1e12, positive: false)),
         ("gradReduceBytes", .number({ $0.gradReduceBytes = $1 }, 1...4, positive: false)),
         ("moeAllToAllOverlap", .bool({ $0.moeAllToAllOverlap = $1 })),
         ("moeAllToAllOverlapRequires", .choice({ $0.moeAllToAllOverlapRequires = $1 }, moeOverlapRequirements)),
         ("overlapSMShare", .number({ $0.overlapSMShare = $1 }, 0...0.9, positive: false)),
         ("commLaunchUs", .number({ $0.commLaunchUs = $1 }, 0...10_000, positive: false)),
         ("p2pBlocking", .bool({ $0.p2pBlocking = $1 })),
         ("p2pOverlapWarmupFlush", .bool({ $0.p2pOverlapWarmupFlush = $1 })),
         ("alignGradReduce", .bool({ $0.alignGradReduce = $1 })),
         ("alignParamGather", .bool({ $0.alignParamGather = $1 })),
         ("gradReduceEveryMicroBatch", .bool({ $0.gradReduceEveryMicroBatch = $1 })),
         ("zero3Prefetch", .bool({ $0.zero3Prefetch = $1 })),
         ("zero2ReshardAfterBackward", .bool({ $0.zero2ReshardAfterBackward = $1 })),
         ("fp8Params", .bool({ $0.fp8Params = $1 })),
         ("fp8CastBytes", .number({ $0.fp8CastBytes = $1 }, 0...16, positive: false)),
         ("logitsBytes", .number({ $0.logitsBytes = $1 }, 0...32, positive: false)),
         ("moeDispatcher", .choice({ $0.moeDispatcher = $1 }, dispatchers)),
         ("moeHostSyncUs", .number({ $0.moeHostSyncUs = $1 }, 0...10_000, positive: false)),
         ("moeImbalance", .number({ $0.moeImbalance = $1 }, 1...64, positive: true)),
         ("moeKernelEfficiency", .number({ $0.moeKernelEfficiency = $1 }, 0.05...1, positive: true)),
         ("elementwisePasses", .number({ $0.elementwisePasses = $1 }, 0...200, positive: false)),
         ("expertTensorParallel", .bool({ $0.expertTensorParallel = $1 })),
         ("zeroGradReduce", .choice({ $0.zeroGradReduce = $1 }, gradReduces)),
         ("zeroParamSync", .choice({ $0.zeroParamSync = $1 }, paramSyncs)),
         ("zero3MasterShard", .bool({ $0.zero3MasterShard = $1 })),
         ("pipelineMaxZero", .int({ $0.pipelineMaxZero = $1 }, 0...3)),
         ("schedules", .choices({ $0.schedules = $1 }, PipelineSchedule.allCases.map(\.rawValue))),
         ("attentionKernel", .choice({ $0.attentionKernel = $1 }, attentionKernels))]
    }

    /// The keys of a stack file and of an experiment's override object besides `stack`.
    public static var flagKeys: [String] { flags.map(\.key) }

    public static func load(_ reference: String, relativeTo: URL?, referencedFrom: String?, keyPath: String) throws(TrainSimError) -> FrameworkSpec {
        try DecodedFiles.memo("framework", [reference, relativeTo?.path, referencedFrom, keyPath]) { () throws(TrainSimError) -> FrameworkSpec in
            try loadFile(reference, relativeTo: relativeTo, referencedFrom: referencedFrom, keyPath: keyPath)
        }
    }

    static func loadFile(_ reference: String, relativeTo: URL?, referencedFrom: String?, keyPath: String) throws(TrainSimError) -> FrameworkSpec {
        let reference = aliases[reference] ?? reference
        let url: URL
        do {
            url = try DataLocator.locate(reference, kind: "framework", subfolder: "frameworks", folder: "Topologies/frameworks",
                                         relativeTo: relativeTo, referencedFrom: referencedFrom, keyPath: keyPath)
        } catch {
            // Suggest the aliases too ("megatrom" -> "megatron").
            let known = DataLocator.presets(in: "Topologies/frameworks") + aliases.keys.sorted()
            guard DataLocator.home != nil, let hint = closestMatch(reference, in: known) else { throw error }
            throw TrainSimError(file: referencedFrom, path: keyPath, "framework \"\(reference)\" not found; did you mean \"\(hint)\"?")
        }
        do {
            return try decodeFile(url)
        } catch {
            throw error.referenced(as: reference, innerFile: url.path, from: referencedFrom, keyPath: keyPath)
        }
    }

    /// Reads a stack file; errors name the file by its full path (`load` rewrites them).
    static func decodeFile(_ url: URL) throws(TrainSimError) -> FrameworkSpec {
        let json = try DataLocator.readJSON(url, displayName: url.path)
        let r = try ObjectReader(json, path: "", file: url.path)
        _ = try r.int("schemaVersion", in: 1...1)
        let name = try r.requiredString("name")
        _ = try r.string("description")
        var spec = FrameworkSpec(id: url.deletingPathExtension().lastPathComponent, name: name, efficiencyFactor: 1, source: nil)
        func label(_ source: String?, _ confidence: String?) -> String? {
            source.map { $0 + (confidence.map { " [\($0)]" } ?? "") }
        }
        for (key, kind) in flags {
            switch kind {
            case let .bool(p):
                guard let s = try r.sourcedBool(key) else { continue }
                p(&spec, s.value)
                spec.sources[key] = label(s.source, s.confidence)
            case let .number(p, range, positive):
                let s: Sourced?
                if key == "efficiencyFactor" {
                    s = try r.requiredSourced(key, in: range, positive: positive)
                } else {
                    s = try r.sourced(key, in: range, positive: positive)
                }
                guard let s else { continue }
                p(&spec, s.value)
                spec.sources[key] = label(s.source, s.confidence)
            case let .int(p, range):
                guard let s = try r.sourcedInt(key, in: range) else { continue }
                p(&spec, Int(s.value))
                spec.sources[key] = label(s.source, s.confidence)
            case let .choice(p, choices):
                guard let s = try r.sourcedChoice(key, choices) else { continue }
                p(&spec, s.value)
                spec.sources[key] = label(s.source, s.confidence)
            case let .choices(p, choices):
                guard let s = try r.sourcedChoices(key, choices) else { continue }
                p(&spec, s.value)
                spec.sources[key] = label(s.source, s.confidence)
            }
        }
        spec.source = spec.sources["efficiencyFactor"]
        if let by = try r.object("efficiencyFactorBySilicon") {
            for chip in by.keys {
                guard let v = try by.sourced(chip, in: 0.1...2, positive: true) else { continue }
                spec.efficiencyBySilicon[chip] = v.value
                spec.sources["efficiencyFactorBySilicon." + chip] = label(v.source, v.confidence)
            }
            try by.finish()
        }
        try r.finish()
        return spec
    }

    /// Applies the plain-valued flags of an experiment's override object (`training.framework`
    /// in object form). Marks each flag key as read; the caller reads `stack` and calls `finish()`.
    public mutating func applyOverrides(_ r: ObjectReader) throws(TrainSimError) {
        for (key, kind) in Self.flags {
            switch kind {
            case let .bool(p):
                guard let b = try r.bool(key) else { continue }
                p(&self, b)
            case let .number(p, range, positive):
                guard let d = try r.number(key, in: range, positive: positive) else { continue }
                p(&self, d)
            case let .int(p, range):
                guard let n = try r.int(key, in: range) else { continue }
                p(&self, n)
            case let .choice(p, choices):
                guard let c = try r.choice(key, choices) else { continue }
                p(&self, c)
            case let .choices(p, choices):
                guard let c = try r.choices(key, choices) else { continue }
                p(&self, c)
            }
            sources[key] = "experiment override"
            if key == "efficiencyFactor" { source = "experiment override"; efficiencyBySilicon = [:] }
        }
    }
}
