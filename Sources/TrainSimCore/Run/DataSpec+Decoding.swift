import Foundation

extension DataSpec {
    /// Decodes the experiment's `data` object strictly (unknown keys are errors with a "did you mean"),
    /// filling stated defaults when it is absent.
    public static func decode(_ experiment: Experiment) throws(TrainSimError) -> DataSpec {
        let vocab = experiment.model.vocab
        let defaultBytes: Double = vocab < 65_500 ? 2 : 4
        let shipped = try RunDefaults.shipped()
        let defaultMaxEpochs = shipped.maxEpochs.value
        let defaultMaxEpochsSource = shipped.maxEpochs.source ?? "Topologies/run/defaults.json"
        var defaults: [(String, String)] = []
        guard let raw = experiment.data else {
            defaults.append(("maxEpochs", defaultMaxEpochsSource))
            defaults.append(("bytesPerToken", bytesPerTokenSource))
            return DataSpec(datasetTokens: nil, maxEpochs: defaultMaxEpochs, bytesPerToken: defaultBytes,
                            batchRamp: nil, phases: [], defaults: defaults,
                            chinchillaTokensPerParameter: shipped.chinchillaTokensPerParameter.value,
                            chinchillaSource: shipped.chinchillaTokensPerParameter.source ?? "")
        }
        let r = try ObjectReader(raw, path: "data", file: experiment.file)
        let dataset = try r.number("datasetTokens", in: 1...1e17, positive: true)
        let epochs = try r.number("maxEpochs", in: 1e-6...1e6, positive: true)
        if epochs == nil { defaults.append(("maxEpochs", defaultMaxEpochsSource)) }
        let bytes = try r.number("bytesPerToken", in: 0.01...1e9, positive: true)
        if bytes == nil { defaults.append(("bytesPerToken", bytesPerTokenSource)) }
        var ramp: BatchRamp?
        if let b = try r.object("batchRamp") {
            ramp = BatchRamp(fromSequences: try b.requiredInt("fromSequences", in: 1...100_000_000),
                             tokens: try b.requiredNumber("tokens", in: 1...1e17, positive: true),
                             stages: try b.int("stages", in: 1...64) ?? 4)
            try b.finish()
        }
        var phases: [PhaseSpec] = []
        var names = Set<String>()
        if let items = try r.list("phases") {
            for (i, item) in items.enumerated() {
                let p = try ObjectReader(item, path: r.keyPath("phases[\(i)]"), file: experiment.file)
                phases.append(try readPhase(p, index: i))
                let name = phases[i].name
                if name == "base" || name.hasPrefix("ramp-") {
                    throw p.error("name", "\"\(name)\" is taken (\"base\" and \"ramp-N\" name the base phase and its ramp); choose another name")
                }
                if !names.insert(name).inserted { throw p.error("name", "\"\(name)\" names two phases") }
            }
        }
        try r.finish()
        return DataSpec(datasetTokens: dataset, maxEpochs: epochs ?? defaultMaxEpochs, bytesPerToken: bytes ?? defaultBytes,
                        batchRamp: ramp, phases: phases, defaults: defaults,
                        chinchillaTokensPerParameter: shipped.chinchillaTokensPerParameter.value,
                        chinchillaSource: shipped.chinchillaTokensPerParameter.source ?? "")
    }

    static func readPhase(_ p: ObjectReader, index: Int) throws(TrainSimError) -> PhaseSpec {
        let name = try p.string("name") ?? "phase-\(index + 1)"
        let tokens = try p.requiredNumber("tokens", in: 1...1e17, positive: true)
        let seq = try p.int("sequenceLength", in: 1...16_777_216)
        let gbs = try p.int("globalBatchSequences", in: 1...100_000_000)
        let gbt = try p.number("globalBatchTokens", in: 1...1e13, positive: true)
        if gbs != nil && gbt != nil { throw p.error("globalBatchTokens", "give globalBatchSequences or globalBatchTokens, not both") }
        let micro = try p.int("microBatchSequences", in: 1...1_000_000)
        let rc = try p.choice("recompute", Recompute.allCases.map(\.rawValue)).flatMap(Recompute.init(rawValue:))
        let rcLayers = try p.int("recomputeLayers", in: 1...100_000)
        var par: JSONValue?
        if let o = try p.object("parallelism") {
            // Checked for type here; keys are checked against the plan when the phase is built.
            _ = o
            par = p.raw("parallelism")
        }
        try p.finish()
        return PhaseSpec(name: name, tokens: tokens, sequenceLength: seq, globalBatchSequences: gbs, globalBatchTokens: gbt,
                         microBatchSequences: micro, recompute: rc, recomputeLayers: rcLayers, parallelism: par)
    }
}

extension ReliabilityOptions {
    /// Decodes the experiment's `reliability` object over the topology's `reliability` figures.
    public static func decode(_ experiment: Experiment) throws(TrainSimError) -> ReliabilityOptions {
        let topo = experiment.cluster.topology
        let t = topo.reliability
        let shipped = try RunDefaults.shipped()
        let defaultBytes = shipped.checkpointBytesPerParameter.value, defaultKept = Int(shipped.checkpointsKept.value)
        func fromTopology(_ key: String, _ v: Double) -> Sourced {
            Sourced(value: v, source: "topology \(topo.id): " + (topo.sources["reliability." + key] ?? "no source given"), confidence: nil)
        }
        var o = ReliabilityOptions(
            deviceMTBFHours: fromTopology("deviceMTBFHours", t.deviceMTBFHours),
            nodeMTBFHours: fromTopology("nodeMTBFHours", t.nodeMTBFHours),
            restartMinutes: fromTopology("restartMinutes", t.restartMinutes),
            checkpointIntervalMinutes: nil, checkpointRule: "young", checkpointWriteSeconds: nil,
            checkpointBytesPerParameter: defaultBytes, checkpointsKept: defaultKept, failuresDuringRestart: true,
            checkpointBytesSource: shipped.checkpointBytesPerParameter.source ?? "Topologies/run/defaults.json",
            minimumGoodput: Sourced(value: shipped.minimumGoodput.value, source: "Topologies/run/defaults.json: " + (shipped.minimumGoodput.source ?? ""),
                                    confidence: shipped.minimumGoodput.confidence))
        guard let raw = experiment.reliability else { return o }
        let r = try ObjectReader(raw, path: "reliability", file: experiment.file)
        func given(_ s: Sourced?) -> Sourced? {
            s.map { Sourced(value: $0.value, source: "experiment: " + ($0.source ?? "given"), confidence: $0.confidence) }
        }
        if let s = given(try r.sourced("deviceMTBFHours", in: 1...1e9, positive: true)) { o.deviceMTBFHours = s }
        if let s = given(try r.sourced("nodeMTBFHours", in: 1...1e9, positive: true)) { o.nodeMTBFHours = s }
        if let s = given(try r.sourced("restartMinutes", in: 0...1e4)) { o.restartMinutes = s }
        o.checkpointIntervalMinutes = try r.number("checkpointIntervalMinutes", in: 0.01...1e7, positive: true)
        if let rule = try r.choice("checkpointRule", ["young", "daly"]) {
            if o.checkpointIntervalMinutes != nil {
                throw r.error("checkpointRule", "give checkpointRule or checkpointIntervalMinutes, not both")
            }
            o.checkpointRule = rule
        }
        o.checkpointWriteSeconds = try r.number("checkpointWriteSeconds", in: 0...1e7)
        if let b = try r.number("checkpointBytesPerParameter", in: 0.1...64, positive: true) {
            o.checkpointBytesPerParameter = b
            o.checkpointBytesSource = "experiment: given"
        }
        o.checkpointsKept = try r.int("checkpointsKept", in: 1...1000) ?? defaultKept
        o.failuresDuringRestart = try r.bool("failuresDuringRestart") ?? true
        if let s = given(try r.sourced("minimumGoodput", in: 1e-6...1, positive: true)) { o.minimumGoodput = s }
        try r.finish()
        return o
    }
}
