import Foundation

extension Experiment {
    /// Reads and validates an experiment file.
    public static func load(path: String) throws(TrainSimError) -> Experiment {
        let url = DataLocator.fileURL(path)
        let json = try DataLocator.readJSON(url, displayName: path)
        return try decode(json, file: path, folder: url.deletingLastPathComponent())
    }

    /// Decodes an experiment from a JSON document, strictly. `validatingPlan: false` skips the
    /// checks that the parallel plan multiplies out and divides (a search replaces the plan).
    public static func decode(_ json: JSONValue, file: String?, folder: URL?, validatingPlan: Bool = true) throws(TrainSimError) -> Experiment {
        let r = try ObjectReader(json, path: "", file: file)
        _ = try r.int("schemaVersion", in: 1...1)
        _ = try r.string("description")
        let name = try r.string("name") ?? (file.map { URL(fileURLWithPath: $0).deletingPathExtension().lastPathComponent } ?? "experiment")
        var model = try ModelSpec.read(r, folder: folder)
        var training = try readTraining(try r.requiredObject("training"))
        let cluster = try readCluster(try r.requiredObject("cluster"), folder: folder)
        training.framework = try readFramework(training, folder: folder, file: file, device: cluster.topology.device)
        // The busiest expert-parallel rank's share of routed tokens: the model's, else the stack's default.
        model.takeImbalance(from: training.framework)
        // A search chooses the plan: its file may leave the plan out (one device per stage, data parallel).
        let planGiven = r.raw("parallelism") != nil || r.raw("search") == nil
        var par = try readParallelism(planGiven ? try r.requiredObject("parallelism")
                                                : try ObjectReader(.object([]), path: "parallelism", file: file))
        par.expertsSplitByDefault = training.framework.expertTensorParallel
        let cost = try readCost(try r.object("cost"))
        let sweep = try readSweep(r)
        let search = try readSearch(try r.object("search"))
        let data = r.raw("data")
        let reliability = r.raw("reliability")
        try r.finish()
        var e = Experiment(name: name, model: model, training: training, cluster: cluster, parallelism: par, cost: cost,
                           sweep: sweep, search: search, data: data, reliability: reliability, raw: json, file: file, folder: folder)
        if validatingPlan { try e.validatePlan() }
        return e
    }

    static func readTraining(_ t: ObjectReader) throws(TrainSimError) -> TrainingSpec {
        let tokens = try t.requiredNumber("tokens", in: 1...1e17, positive: true)
        let seq = try t.requiredInt("sequenceLength", in: 1...16_777_216)
        var gbs = try t.int("globalBatchSequences", in: 1...100_000_000)
        if let gbt = try t.number("globalBatchTokens", in: 1...1e13, positive: true) {
            if gbs != nil { throw t.error("globalBatchTokens", "give globalBatchSequences or globalBatchTokens, not both") }
            let s = gbt / Double(seq)
            guard s >= 1, s == s.rounded() else {
                throw t.error("globalBatchTokens", "\(JSONWriter.number(gbt)) is not a whole number of \(seq)-token sequences")
            }
            gbs = Int(s)
        }
        guard let global = gbs else { throw t.error("globalBatchSequences", "missing required key (or give globalBatchTokens)") }
        let micro = try t.int("microBatchSequences", in: 1...1_000_000) ?? 1
        let precision = Precision(rawValue: try t.choice("precision", Precision.allCases.map(\.rawValue)) ?? "bf16")!
        let recompute = Recompute(rawValue: try t.choice("recompute", Recompute.allCases.map(\.rawValue)) ?? "selective")!
        let recomputeLayers = try t.int("recomputeLayers", in: 1...100_000)
        let attention = AttentionKernel(rawValue: try t.choice("attention", AttentionKernel.allCases.map(\.rawValue)) ?? "flash")!
        // `framework`: a stack id or path, or {"stack": ID, FLAG: value, ...} (read by readFramework).
        var framework: String?
        var frameworkOverrides: JSONValue?
        if let v = t.raw("framework") {
            switch v {
            case let .string(s):
                if s.isEmpty { throw t.error("framework", "must not be empty") }
                framework = s
            case .object:
                frameworkOverrides = v
            default:
                throw t.error("framework", "expected a stack name or {\"stack\": NAME, FLAG: value, ...}, found \(v.typeName)")
            }
        }
        try t.finish()
        if Double(global) * Double(seq) > tokens * 1.0000001 {
            throw t.error("tokens", "\(JSONWriter.number(tokens)) tokens are fewer than one global batch (\(global) x \(seq))")
        }
        return TrainingSpec(tokens: tokens, sequenceLength: seq, globalBatchSequences: global, microBatchSequences: micro,
                            precision: precision, recompute: recompute, recomputeLayers: recomputeLayers, attention: attention,
                            frameworkReference: framework, frameworkOverrides: frameworkOverrides)
    }

    /// Reads the stack again for the experiment's cluster (a search over designs moves a run that
    /// names no stack onto another device, whose default stack may differ), and the MoE imbalance
    /// that follows it where the model gives none.
    mutating func restack() throws(TrainSimError) {
        training.framework = try Experiment.readFramework(training, folder: folder, file: file, device: cluster.topology.device)
        model.takeImbalance(from: training.framework)
    }

    /// Loads `training.framework`'s stack file and applies the flags its object form overrides: the
    /// stack it names (an id or path, or an object of flags over `stack`), else `device`'s default
    /// stack (`defaultStack` in its file), else the reference stack, Megatron-Core.
    static func readFramework(_ t: TrainingSpec, folder: URL?, file: String?, device: DeviceSpec?) throws(TrainSimError) -> FrameworkSpec {
        let unnamed = device?.defaultStack ?? FrameworkSpec.reference.id
        guard let v = t.frameworkOverrides else {
            return try FrameworkSpec.load(t.frameworkReference ?? unnamed, relativeTo: folder,
                                          referencedFrom: file, keyPath: "training.framework")
        }
        let o = try ObjectReader(v, path: "training.framework", file: file)
        let stack = try o.string("stack") ?? unnamed
        var f = try FrameworkSpec.load(stack, relativeTo: folder, referencedFrom: file, keyPath: o.keyPath("stack"))
        try f.applyOverrides(o)
        try o.finish()
        return f
    }

    static func readCluster(_ c: ObjectReader, folder: URL?) throws(TrainSimError) -> ClusterSpec {
        let ref = try c.requiredString("topology")
        let devices = try c.requiredInt("devices", in: 1...10_000_000)
        let network = NetworkMode(rawValue: try c.choice("network", NetworkMode.allCases.map(\.rawValue)) ?? "analytical")!
        let profile = try c.string("linkProfile")
        try c.finish()
        var topo = try TopologySpec.load(ref, relativeTo: folder, referencedFrom: c.file, keyPath: c.keyPath("topology"))
        if let profile {
            topo = topo.applying(try LinkProfile.load(profile, relativeTo: folder, referencedFrom: c.file, keyPath: c.keyPath("linkProfile")))
        }
        return ClusterSpec(topologyReference: ref, topology: topo, devices: devices, network: network)
    }

    static func readParallelism(_ p: ObjectReader) throws(TrainSimError) -> ParallelismSpec {
        let tp = try p.int("tp", in: 1...65_536) ?? 1
        let pp = try p.int("pp", in: 1...65_536) ?? 1
        let vpp = try p.int("vpp", in: 1...1024) ?? 1
        let dp = try p.int("dp", in: 1...10_000_000) ?? 0
        let ep = try p.int("ep", in: 1...1_000_000) ?? 1
        let cp = try p.int("cp", in: 1...65_536) ?? 1
        let sp = try p.bool("sequenceParallel") ?? (tp > 1)
        let cpAlgorithm = ContextParallelAlgorithm(rawValue: try p.choice("cpAlgorithm", ContextParallelAlgorithm.allCases.map(\.rawValue)) ?? "ring")!
        let zero = try p.int("zero", in: 0...3) ?? 1
        let shardGroup = try p.int("zeroShardGroup", in: 1...10_000_000)
        let group = try p.int("microBatchGroup", in: 1...10_000_000)
        let etp = try p.int("etp", in: 1...65_536)
        let defaultSchedule: PipelineSchedule = vpp > 1 ? .interleaved : .oneFOneB
        let schedule = PipelineSchedule(rawValue: try p.choice("schedule", PipelineSchedule.allCases.map(\.rawValue)) ?? defaultSchedule.rawValue)!
        let dims = ["tp", "cp", "ep", "pp", "dp"]
        var order = dims
        if let o = try p.string("order") {
            let parts = o.split(separator: "-").map(String.init)
            guard parts.sorted() == dims.sorted() else {
                throw p.error("order", "\"\(o)\" must name tp, cp, ep, pp and dp once each, innermost first, like \"tp-cp-ep-pp-dp\"")
            }
            order = parts
        }
        var split: [Int]?
        if let items = try p.list("layerSplit") {
            var s: [Int] = []
            for (i, it) in items.enumerated() {
                guard case let .number(d) = it, d >= 0, d <= 100_000, d == d.rounded() else {
                    throw p.error("layerSplit[\(i)]", "expected a whole number of layers")
                }
                s.append(Int(d))
            }
            split = s
        }
        try p.finish()
        return ParallelismSpec(tp: tp, pp: pp, vpp: vpp, dp: dp, ep: ep, cp: cp, sequenceParallel: sp, zero: zero,
                               schedule: schedule, order: order, layerSplit: split, cpAlgorithm: cpAlgorithm, zeroShardGroup: shardGroup, microBatchGroup: group,
                               expertTP: etp)
    }

    static func readCost(_ c: ObjectReader?) throws(TrainSimError) -> CostSpec {
        guard let c else { return CostSpec(currency: "USD", devicePricePerHour: nil, electricityPricePerKWh: nil, pue: nil, pricing: "rental") }
        let cur = try c.choice("currency", ["USD", "CNY"]) ?? "USD"
        let spec = CostSpec(currency: cur,
                            devicePricePerHour: try c.number("devicePricePerHour", in: 0...1e5),
                            electricityPricePerKWh: try c.number("electricityPricePerKWh", in: 0...1e3),
                            pue: try c.number("pue", in: 1...5),
                            pricing: try c.choice("pricing", ["rental", "owned"]) ?? "rental")
        try c.finish()
        return spec
    }

    static func readSweep(_ r: ObjectReader) throws(TrainSimError) -> [(path: String, values: [JSONValue])] {
        guard let s = try r.object("sweep") else { return [] }
        var out: [(String, [JSONValue])] = []
        guard case let .object(pairs)? = r.raw("sweep") else { return [] }
        if pairs.isEmpty { throw r.error("sweep", "the sweep is empty; map key paths to lists of values, like {\"parallelism.tp\": [1, 2, 4]}") }
        for (k, v) in pairs {
            guard case let .array(values) = v else { throw s.error(k, "expected a list of values, found \(v.typeName)") }
            if values.isEmpty { throw s.error(k, "the list of values is empty") }
            let parts = k.split(separator: ".").map(String.init)
            // `model` itself may be swept too: preset names, model files or model objects.
            guard k == "model" || (parts.count >= 2 && ["model", "training", "cluster", "parallelism", "cost", "data", "reliability"].contains(parts[0])) else {
                throw s.error(k, "not a key path into the experiment (like \"parallelism.tp\" or \"model\")")
            }
            _ = s.raw(k)
            out.append((k, values))
        }
        try s.finish()
        // Counted with overflow checks: 64 lists of two values do not fit in an Int.
        var points = 1, overflow = false
        for (_, values) in out where !overflow {
            (points, overflow) = points.multipliedReportingOverflow(by: values.count)
            overflow = overflow || points > SweepPlan.maxPoints
        }
        if overflow {
            let total = out.reduce(1.0) { $0 * Double($1.1.count) }
            let shown = total < 1e15 ? String(Int(total)) : String(format: "%.3g", total)
            throw r.error("sweep", "\(shown) points (the product of the lists' lengths) is more than a sweep may have (\(SweepPlan.maxPoints)); split it into several sweeps")
        }
        return out
    }

    static func readSearch(_ s: ObjectReader?) throws(TrainSimError) -> SearchSpec? {
        guard let s else { return nil }
        let objective = try s.choice("objective", ["time", "cost"]) ?? "time"
        let top = try s.int("top", in: 1...1000) ?? 10
        var space: [(String, [JSONValue])] = []
        if let sp = try s.object("space"), case let .object(pairs)? = s.raw("space") {
            for (k, v) in pairs {
                guard case let .array(values) = v, !values.isEmpty else { throw sp.error(k, "expected a non-empty list of values") }
                _ = sp.raw(k)
                space.append((k, values))
            }
            try sp.finish()
        }
        try s.finish()
        return SearchSpec(objective: objective, top: top, space: space)
    }
}
