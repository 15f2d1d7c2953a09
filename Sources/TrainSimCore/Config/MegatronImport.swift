import Foundation

/// `trainsim import megatron FILE`: a Megatron-LM or MindSpeed launch script (or a plain argument
/// file) as an experiment file. What maps becomes the experiment; every argument that does not is
/// named in `notes`, one line each ("ignored --lr: ..."), as is every guess (a default topology,
/// a device count nobody gave).
public struct MegatronImport: Sendable {
    public struct Options: Sendable {
        /// `cluster.topology` (a launch script never says): default `h100-ib`, or `ascend-910b-a2` for MindSpeed.
        public var topology: String?
        /// `megatron-core` or `mindspeed`; default: detected from the script.
        public var stack: String?
        /// A model preset (or model file) for what the script does not give.
        public var model: String?
        /// `cluster.devices`, overriding the script's.
        public var devices: Int?
        /// `training.tokens`, overriding --train-iters / --train-samples.
        public var tokens: Double?
        public var name: String?
        public init(topology: String? = nil, stack: String? = nil, model: String? = nil, devices: Int? = nil, tokens: Double? = nil, name: String? = nil) {
            self.topology = topology; self.stack = stack; self.model = model; self.devices = devices; self.tokens = tokens; self.name = name
        }
    }

    public static let defaultTopology = ["megatron-core": "h100-ib", "mindspeed": "ascend-910b-a2"]
    /// Without --train-iters or --train-samples (or --tokens), the run trains on this many tokens.
    public static let defaultTokens = 1e12

    /// The experiment file.
    public var experiment: JSONValue
    /// One line per argument left out or guessed.
    public var notes: [String]
    public var stack: String

    public static func read(_ text: String, file: String, options: Options = Options()) throws(TrainSimError) -> MegatronImport {
        let script = LaunchScript(text)
        var a = MegatronArguments(script.arguments, file: file)
        var launcher = MegatronArguments(script.launcherArguments, file: file)
        var notes: [String] = []
        func fail(_ message: String) -> TrainSimError { TrainSimError(file: file, message) }

        let mindspeedFlags = ["--use-mc2", "--use-ascend-mc2", "--use-ascend-coc", "--use-fused-rmsnorm", "--use-fused-swiglu",
                              "--reuse-fp32-param", "--use-flash-attn", "--schedules-method", "--num-layer-list", "--moe-fb-overlap"]
        let stack: String
        if let s = options.stack {
            let id = FrameworkSpec.aliases[s] ?? s
            guard ["megatron-core", "mindspeed"].contains(id) else {
                throw TrainSimError(file: file, path: "--stack", "\"\(s)\" is not megatron-core or mindspeed")
            }
            stack = id
        } else {
            stack = script.mentionsMindSpeed || a.options.contains(where: { mindspeedFlags.contains($0.name) && $0.name != "--use-flash-attn" }) ? "mindspeed" : "megatron-core"
        }
        let mindspeed = stack == "mindspeed"

        // Parallel plan.
        let tp = try a.int("--tensor-model-parallel-size", in: 1...65_536) ?? 1
        let pp = try a.int("--pipeline-model-parallel-size", in: 1...65_536) ?? 1
        let cp = try a.int("--context-parallel-size", in: 1...65_536) ?? 1
        let ep = try a.int("--expert-model-parallel-size", in: 1...1_000_000) ?? 1
        let etpGiven = try a.int("--expert-tensor-parallel-size", in: 1...65_536)
        // Ring attention unless Ulysses is named (MindSpeed's algorithm, Megatron-Core's CP comm type).
        var cpAlgorithm = ContextParallelAlgorithm.ring
        if let algo = try a.string("--context-parallel-algo") {
            switch algo {
            case "megatron_cp_algo": break
            case "ulysses_cp_algo": cpAlgorithm = .ulysses
            default: notes.append("approximated --context-parallel-algo \(algo): trainsim models context parallelism as ring attention (megatron_cp_algo) or Ulysses (ulysses_cp_algo)")
            }
        }
        if let kind = try a.string("--cp-comm-type") {
            switch kind {
            case "p2p": break
            case "a2a": cpAlgorithm = .ulysses
            case "all_gather": cpAlgorithm = .allgather
            default: notes.append("approximated --cp-comm-type \(kind): trainsim models context parallelism as ring attention (p2p), Ulysses (a2a) or all-gather (all_gather)")
            }
        }
        let sp = a.flag("--sequence-parallel")
        var zero = a.flag("--use-distributed-optimizer") ? 1 : 0
        let fsdp = a.flag("--use-custom-fsdp", "--use-megatron-fsdp")
        if a.flag("--use-torch-fsdp2") { zero = 3 }
        if let strategy = try a.string("--data-parallel-sharding-strategy") {
            let stages = ["no_shard": 0, "optim": 1, "optim_grads": 2, "optim_grads_params": 3]
            guard let z = stages[strategy] else {
                throw TrainSimError(file: file, path: "--data-parallel-sharding-strategy", "\"\(strategy)\" is not no_shard, optim, optim_grads or optim_grads_params")
            }
            zero = z
        } else if fsdp {
            zero = 3
        }

        // The model, before vpp (which needs its layers).
        let model = try modelJSON(&a, tp: tp, options: options, mindspeed: mindspeed, file: file, notes: &notes)

        var vpp = try a.int("--virtual-pipeline-model-parallel-size", "--num-virtual-stages-per-pipeline-rank", in: 1...1024) ?? 1
        if let per = try a.int("--num-layers-per-virtual-pipeline-stage", in: 1...100_000) {
            guard let layers = model.layers, layers % (pp * per) == 0 else {
                throw TrainSimError(file: file, path: "--num-layers-per-virtual-pipeline-stage", "\(per) does not divide the layers per pipeline stage (\(model.layers.map(String.init) ?? "unknown") layers / pp \(pp))")
            }
            vpp = layers / pp / per
        }
        var schedule = vpp > 1 ? "interleaved" : "1f1b"
        if let s = try a.string("--schedules-method") {
            if s == "dualpipev" {
                schedule = "dualpipe"
                notes.append("approximated --schedules-method dualpipev: modelled as DualPipe (two pipelines in opposite directions)")
            } else {
                notes.append("ignored --schedules-method \(s): trainsim models 1f1b, interleaved, zero-bubble and dualpipe")
            }
        }
        let group = try a.int("--microbatch-group-size-per-virtual-pipeline-stage", in: 1...10_000_000)
        var layerSplit: [Int]?
        if let list = try a.ints("--num-layer-list") { layerSplit = list }
        let first = try a.int("--decoder-first-pipeline-num-layers", in: 0...100_000)
        let last = try a.int("--decoder-last-pipeline-num-layers", in: 0...100_000)
        if first != nil || last != nil, let layers = model.layers, vpp == 1 {
            let inner = pp - (first == nil ? 0 : 1) - (last == nil ? 0 : 1)
            let rest = layers - (first ?? 0) - (last ?? 0)
            if inner > 0, rest >= 0, rest % inner == 0 {
                layerSplit = (first.map { [$0] } ?? []) + Array(repeating: rest / inner, count: inner) + (last.map { [$0] } ?? [])
            } else if inner == 0, rest == 0 {
                layerSplit = [first, last].compactMap { $0 }
            } else {
                notes.append("ignored --decoder-first/last-pipeline-num-layers: the other stages' \(rest) layers do not split evenly over \(inner) stages")
            }
        }

        // Devices: --devices, the launcher, WORLD_SIZE, NNODES x GPUS_PER_NODE.
        var devices = options.devices
        let nodeVars = ["NNODES", "NUM_NODES", "N_NODES", "NODES", "NODE_COUNT"], perVars = ["GPUS_PER_NODE", "NPUS_PER_NODE", "NPROC_PER_NODE", "DEVICES_PER_NODE"]
        func whole(_ s: String?) -> Int? { s.flatMap { Int($0.split(separator: ":").last.map(String.init) ?? $0) }.flatMap { $0 > 0 ? $0 : nil } }
        if devices == nil {
            // What the launcher is given wins; then WORLD_SIZE; then the script's node variables.
            let launcherNodes = whole(try launcher.string("--nnodes")), launcherPer = whole(try launcher.string("--nproc-per-node"))
            let nn = launcherNodes ?? nodeVars.lazy.compactMap { whole(script.variables[$0]) }.first
            let per = launcherPer ?? perVars.lazy.compactMap { whole(script.variables[$0]) }.first
            func times(_ a: Int, _ b: Int) -> Int { let (v, o) = a.multipliedReportingOverflow(by: b); return o ? Int.max : v }
            if let launcherPer { devices = times(launcherPer, nn ?? 1) } else if let w = whole(script.variables["WORLD_SIZE"]) { devices = w } else if let per { devices = times(per, nn ?? 1) }
            if let d = devices, d > 10_000_000 { throw fail("the script's device count (\(d == Int.max ? "more than Int.max" : String(d))) is more than 10000000") }
        }
        let layersMP = tp * pp * cp
        if devices == nil {
            var dp = 1
            while (dp * cp * tp) % ep != 0 { dp += 1 }
            devices = layersMP * dp
            notes.append("assumed cluster.devices \(devices!): the script sets no NNODES/GPUS_PER_NODE, WORLD_SIZE or torchrun --nnodes/--nproc_per_node (give --devices)")
        }
        let dp = devices! % layersMP == 0 ? devices! / layersMP : 1
        // Several distributed-optimizer instances shard the states over dp x cp / instances ranks
        // each, replicated across instances (Megatron-LM megatron/training/arguments.py).
        var shardGroup: Int?
        if let instances = try a.int("--num-distributed-optimizer-instances", in: 1...10_000_000), instances > 1 {
            guard zero >= 1, (dp * cp) % instances == 0 else {
                throw fail(zero == 0 ? "--num-distributed-optimizer-instances \(instances) needs --use-distributed-optimizer"
                           : "--num-distributed-optimizer-instances \(instances) does not divide the \(dp * cp) data-parallel ranks (dp x cp)")
            }
            shardGroup = dp * cp / instances
        }

        // Batches and tokens.
        guard let seq = try a.int("--seq-length", "--encoder-seq-length", in: 1...16_777_216) else {
            throw fail("no --seq-length in the script; add it")
        }
        let micro = try a.int("--micro-batch-size", in: 1...1_000_000) ?? 1
        var global = try a.int("--global-batch-size", in: 1...100_000_000)
        if global == nil {
            global = micro * dp
            notes.append("assumed --global-batch-size \(global!): Megatron's default, micro-batch x data-parallel size")
        }
        var tokens = options.tokens
        let iters = try a.int("--train-iters", in: 1...Int(1e12))
        let samples = try a.int("--train-samples", in: 1...Int(1e15))
        var ramp: JSONValue?
        if let r = a.take(["--rampup-batch-size"]) {
            let v = r.values.compactMap { Int($0) }
            guard v.count == 3, v.allSatisfy({ $0 > 0 }) else {
                throw TrainSimError(file: file, path: "--rampup-batch-size", "needs three whole numbers (start, increment, samples), found \"\(r.values.joined(separator: " "))\"")
            }
            if v[0] < global!, (global! - v[0]) % v[1] == 0 {
                // trainsim's ramp has at most 64 stages (data.batchRamp.stages).
                let stages = (global! - v[0]) / v[1]
                if stages > 64 { notes.append("approximated --rampup-batch-size \(r.values.joined(separator: " ")): \(stages) increments of \(v[1]) taken as 64 equal stages") }
                ramp = .object([("fromSequences", .number(Double(v[0]))), ("tokens", .number(Double(v[2]) * Double(seq))),
                                ("stages", .number(Double(min(stages, 64))))])
            } else {
                notes.append("ignored --rampup-batch-size \(r.values.joined(separator: " ")): does not climb to the global batch in whole increments")
            }
        }
        if tokens == nil {
            if let samples { tokens = Double(samples) * Double(seq) } else if let iters {
                tokens = Double(iters) * Double(global!) * Double(seq)
                if ramp != nil { notes.append("approximated --train-iters \(iters): counted at the full global batch; the ramp-up's smaller steps are not subtracted") }
            } else {
                tokens = defaultTokens
                notes.append("assumed training.tokens \(JSONWriter.number(defaultTokens)): the script sets neither --train-iters nor --train-samples (give --tokens)")
            }
        }
        tokens = max(tokens!, Double(global!) * Double(seq))

        // Precision, recompute, attention kernel.
        let fp8 = try a.string("--fp8-format", "--fp8")
        let bf16 = a.flag("--bf16"), fp16 = a.flag("--fp16")
        var precision = fp8 != nil ? "fp8" : bf16 ? "bf16" : fp16 ? "fp16" : "bf16"
        if fp8 == nil, !bf16, !fp16 { notes.append("approximated fp32 training (no --bf16, --fp16 or --fp8-format): modelled as bf16") }
        if fp8 != nil, fp16 { precision = "fp8" }
        let (recompute, recomputeLayers) = try recomputeMode(&a, notes: &notes)
        var attention = "flash"
        if let backend = try a.string("--attention-backend"), ["unfused", "local"].contains(backend) { attention = "unfused" }
        if mindspeed, !a.flag("--use-flash-attn") { attention = "unfused" }
        _ = a.flag("--use-flash-attn")

        // The stack's flags the script sets.
        var framework: [(String, JSONValue)] = [("stack", .string(stack))]
        framework.append(("overlapGradReduce", .bool(a.flag("--overlap-grad-reduce"))))
        framework.append(("overlapParamGather", .bool(a.flag("--overlap-param-gather"))))
        framework.append(("tpCommOverlap", .bool(mindspeed ? a.flag("--use-mc2", "--use-ascend-mc2", "--use-ascend-coc") : a.flag("--tp-comm-overlap"))))
        if a.flag("--grad-reduce-in-bf16") { framework.append(("gradReduceBytes", .number(2))) }
        if a.flag("--fp8-param-gather") { framework.append(("fp8Params", .bool(true))) }
        if a.flag("--no-align-grad-reduce") { framework.append(("alignGradReduce", .bool(false))) }
        if a.flag("--no-align-param-gather") { framework.append(("alignParamGather", .bool(false))) }
        if a.flag("--overlap-moe-expert-parallel-comm", "--moe-fb-overlap") { framework.append(("moeAllToAllOverlap", .bool(true))) }
        let deepep = a.flag("--moe-enable-deepep")
        if let d = try a.string("--moe-token-dispatcher-type") {
            switch d {
            case "alltoall", "alltoall_seq": framework.append(("moeDispatcher", .string("alltoall")))
            case "allgather": framework.append(("moeDispatcher", .string("allgather")))
            case "flex": framework.append(("moeDispatcher", .string(deepep ? "deepep" : "alltoall")))
            default: throw TrainSimError(file: file, path: "--moe-token-dispatcher-type", "\"\(d)\" is not alltoall, allgather or flex")
            }
        } else if deepep {
            framework.append(("moeDispatcher", .string("deepep")))
        }

        // Launcher options trainsim reads no further.
        _ = launcher.take(["--node-rank", "--master-addr", "--master-port", "--rdzv-backend", "--rdzv-endpoint", "--rdzv-id", "--max-restarts", "--standalone", "--log-dir", "--redirects", "--tee"])
        notes += launcher.unused.filter { $0.name.hasPrefix("--") }.map { "ignored \($0.name) (launcher): not an argument trainsim maps" }
        notes += a.unused.map(MegatronArguments.ignoredLine)

        let topology = options.topology ?? defaultTopology[stack]!
        if options.topology == nil { notes.append("assumed cluster.topology \(topology): a launch script does not say which cluster (give --topology)") }
        var training: [(String, JSONValue)] = [
            ("tokens", .number(tokens!)), ("sequenceLength", .number(Double(seq))), ("globalBatchSequences", .number(Double(global!))),
            ("microBatchSequences", .number(Double(micro))), ("precision", .string(precision)), ("recompute", .string(recompute))]
        if let n = recomputeLayers { training.append(("recomputeLayers", .number(Double(n)))) }
        if attention != "flash" { training.append(("attention", .string(attention))) }
        training.append(("framework", .object(framework)))
        var parallelism: [(String, JSONValue)] = [
            ("tp", .number(Double(tp))), ("pp", .number(Double(pp))), ("vpp", .number(Double(vpp))), ("ep", .number(Double(ep))),
            ("cp", .number(Double(cp))), ("sequenceParallel", .bool(sp)), ("zero", .number(Double(zero))), ("schedule", .string(schedule))]
        if cp > 1, cpAlgorithm != .ring { parallelism.append(("cpAlgorithm", .string(cpAlgorithm.rawValue))) }
        if let shardGroup { parallelism.append(("zeroShardGroup", .number(Double(shardGroup)))) }
        if let layerSplit { parallelism.append(("layerSplit", .array(layerSplit.map { .number(Double($0)) }))) }
        if let group, vpp > 1, group != pp { parallelism.append(("microBatchGroup", .number(Double(group)))) }
        // Expert TP: Megatron-LM sets --expert-tensor-parallel-size to the TP size when it is not given
        // (megatron/training/arguments.py); trainsim models 1 or tp.
        if model.hasExperts, tp > 1 {
            var etp = etpGiven ?? tp
            if etp != 1 && etp != tp {
                notes.append("approximated --expert-tensor-parallel-size \(etp): trainsim models expert TP 1 or the TP size (\(tp)); read as \(tp)")
                etp = tp
            }
            parallelism.append(("etp", .number(Double(etp))))
        }
        let name = options.name ?? URL(fileURLWithPath: file).deletingPathExtension().lastPathComponent
        var doc: [(String, JSONValue)] = [
            ("schemaVersion", .number(1)), ("name", .string(name)),
            ("description", .string("Imported from \(URL(fileURLWithPath: file).lastPathComponent) by trainsim import megatron (\(stack) stack).")),
            ("model", model.json), ("training", .object(training)),
            ("cluster", .object([("topology", .string(topology)), ("devices", .number(Double(devices!)))])),
            ("parallelism", .object(parallelism))]
        if let ramp { doc.append(("data", .object([("batchRamp", ramp)]))) }
        return MegatronImport(experiment: .object(doc), notes: notes, stack: stack)
    }

    /// trainsim's recompute mode for the script's flags; what it loses goes to `notes`.
    /// `layers`: with `--recompute-method block`, the layers per model chunk it recomputes.
    static func recomputeMode(_ a: inout MegatronArguments, notes: inout [String]) throws(TrainSimError) -> (mode: String, layers: Int?) {
        let granularity = try a.string("--recompute-granularity")
        let activations = a.flag("--recompute-activations")
        let method = try a.string("--recompute-method")
        let layers = try a.int("--recompute-num-layers", in: 0...100_000)
        if let modules = a.take(["--recompute-modules"]) {
            let lost = modules.values.filter { !["core_attn", "mla_up_proj"].contains($0) }
            if !lost.isEmpty { notes.append("approximated --recompute-modules \(modules.values.joined(separator: " ")): trainsim's selective recompute reruns the attention core and MLA up-projections only") }
        }
        for f in ["--recompute-activation-function", "--swap-attention", "--recompute-in-advance", "--recompute-norm", "--recompute-activation-function-num-layers", "--enable-recompute-layers-per-pp-rank"] {
            if a.flag(f) { notes.append("approximated \(f): trainsim models full, selective or no recompute, not this MindSpeed variant") }
        }
        switch granularity {
        case "full"?:
            // Block: the first N layers of each chunk are recomputed, the others keep their activations.
            if method == "block", let n = layers, n > 0 { return ("full", n) }
            if (layers ?? 1) > 1 {
                notes.append("approximated --recompute-method \(method ?? "uniform") --recompute-num-layers \(layers ?? 1): trainsim recomputes every layer on its own (uniform groups of one layer)")
            }
            return ("full", nil)
        case "selective"?: return ("selective", nil)
        case nil: return (activations ? "selective" : "none", nil)
        case let g?: throw TrainSimError(file: a.file, path: "--recompute-granularity", "\"\(g)\" is not full or selective")
        }
    }
}

extension MegatronImport {
    /// Reads a launch script or argument file from disk and imports it.
    public static func read(path: String, options: Options = Options()) throws(TrainSimError) -> MegatronImport {
        let data = try DataLocator.readBytes(DataLocator.fileURL(path).path, displayName: path, what: "a launch script")
        guard let text = String(data: data, encoding: .utf8) else { throw TrainSimError(file: path, "is not UTF-8 text; not a launch script") }
        return try read(text, file: path, options: options)
    }
}
