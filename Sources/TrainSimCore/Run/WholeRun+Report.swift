import Foundation

extension WholeRun {
    /// The report section's name.
    public static let sectionName = "wholeRun"

    /// The `wholeRun` report section: days ideal vs expected, goodput, cost split, spread, phases,
    /// tokens, input pipeline, checkpoints, failures, and the sources of every default used.
    /// Objects only (no lists), so every format shows all of it.
    public var section: JSONValue {
        func n(_ x: Double) -> JSONValue { .number(Analysis.round(x)) }
        func i(_ x: Int) -> JSONValue { .number(Double(x)) }
        let f = failures, c = checkpoint
        var pairs: [(String, JSONValue)] = [
            ("idealDays", n(idealDays)),
            ("expectedDays", n(expectedDays)),
            ("goodput", n(goodput)),
            ("deviceHours", n(deviceHours)),
            ("energyMWh", n(energyMWh)),
            ("cost", .object([
                ("currency", .string(currency)), ("total", n(totalCost)), ("compute", n(computeCost)),
                ("energy", n(energyCost)), ("storage", n(storageCost)), ("ideal", n(idealCost)),
            ])),
        ]
        if let mc = monteCarlo {
            pairs.append(("monteCarlo", .object([
                ("trials", i(mc.trials)), ("seed", .string(String(mc.seed))),
                ("meanDays", n(mc.meanDays)), ("stdDays", n(mc.stdDays)),
                ("p50Days", n(mc.p50Days)), ("p90Days", n(mc.p90Days)), ("p99Days", n(mc.p99Days)),
                ("meanCost", n(mc.meanCost)), ("p50Cost", n(mc.p50Cost)), ("p90Cost", n(mc.p90Cost)), ("p99Cost", n(mc.p99Cost)),
            ])))
        }
        var tokens: [(String, JSONValue)] = [("requested", n(tokensRequested))]
        if let ds = data.datasetTokens, let avail = tokensAvailable {
            tokens += [("dataset", n(ds)), ("maxEpochs", n(data.maxEpochs)), ("available", n(avail)),
                       ("epochsNeeded", n(tokensRequested / ds)), ("sufficient", .bool(tokensRequested <= avail * (1 + 1e-9)))]
        } else {
            tokens += [("maxEpochs", n(data.maxEpochs))]
        }
        tokens += [("chinchillaOptimal", n(chinchillaTokens)), ("requestedOverChinchilla", n(tokensRequested / chinchillaTokens))]
        pairs.append(("tokens", .object(tokens)))
        pairs.append(("phases", .object(zip(phases, pipelines).map { ph, d in
            let e = ph.experiment, p = e.parallelism, a = ph.analysis
            return (ph.name, .object([
                ("kind", .string(ph.kind)), ("tokens", n(ph.tokens)), ("sequenceLength", i(e.training.sequenceLength)),
                ("globalBatchSequences", i(e.training.globalBatchSequences)),
                ("plan", .string("tp \(p.tp) pp \(p.pp) cp \(p.cp)\(p.cpAlgorithmNote) ep \(p.ep) dp \(p.dp)")),
                ("stepTimeSeconds", n(a.step.stepSeconds)), ("steps", n(a.run.steps)), ("mfu", n(a.mfu)),
                ("idealDays", n(ph.idealSeconds / 86400)), ("dataStallFraction", n(d.stallFraction)),
                ("peakGiBPerDevice", n(a.step.memory.peakGiB)), ("fits", .bool(a.fits)),
            ]))
        })))
        let peak = pipelines.max { $0.readGBpsPerReaderNode < $1.readGBpsPerReaderNode } ?? pipelines.first
        if let d = peak {
            pairs.append(("input", .object([
                ("bytesPerToken", n(data.bytesPerToken)), ("readGBps", n(pipelines.map(\.readGBpsTotal).max() ?? 0)),
                ("readerNodes", i(d.readerNodes)), ("readGBpsPerReaderNode", n(d.readGBpsPerReaderNode)),
                ("storageReadGBpsPerNode", n(d.storageReadGBpsPerNode)), ("storageAggregateReadGBps", n(d.storageAggregateReadGBps)),
                ("storageUtilisation", n(pipelines.map(\.utilisation).max() ?? 0)), ("dataStallHours", n(dataStallSeconds / 3600)),
            ])))
        }
        pairs.append(("checkpoint", .object([
            ("bytes", n(c.bytes)), ("writerNodes", i(c.writerNodes)), ("writeGBps", n(c.writeGBps)),
            ("writeSeconds", n(c.writeSeconds)), ("intervalMinutes", n(c.intervalSeconds / 60)), ("rule", .string(c.rule)),
            ("count", i(f.fullSegments + (f.lastSegmentWork > 0 ? 1 : 0))), ("overheadFraction", n(c.overheadFraction)),
            ("overheadSecondsPerHour", n(c.overheadFraction * 3600)), ("kept", i(options.checkpointsKept)),
        ])))
        pairs.append(("failures", .object([
            ("devices", i(f.devices)), ("nodes", i(f.nodes)),
            ("deviceMTBFHours", n(f.deviceMTBFHours)), ("nodeMTBFHours", n(f.nodeMTBFHours)),
            ("jobMTBFHours", n(f.jobMTBFHours)), ("perDay", n(f.failuresPerHour * 24)), ("expected", n(f.expectedFailures)),
            ("duringWork", n(f.failuresDuringWork)), ("duringRestarts", n(f.failuresDuringRestarts)),
            ("exposedHours", n(f.exposedSeconds / 3600)),
            ("restartMinutes", n(f.restartSeconds / 60)), ("duringRestart", .bool(f.failuresDuringRestart)),
            ("lostWorkHours", n(f.lostSecondsTotal / 3600)), ("restartHours", n(f.restartSecondsTotal / 3600)),
            ("checkpointHours", n(f.checkpointSecondsTotal / 3600)),
        ])))
        pairs.append(("storage", .object([
            ("datasetTB", n(storage.datasetBytes / 1e12)), ("checkpointsTB", n(storage.checkpointBytes / 1e12)),
            ("pricePerTBMonth", n(storage.pricePerTBMonth)),
        ])))
        var sources: [(String, JSONValue)] = [
            ("deviceMTBFHours", .string(describe(options.deviceMTBFHours))),
            ("nodeMTBFHours", .string(describe(options.nodeMTBFHours))),
            ("restartMinutes", .string(describe(options.restartMinutes))),
            ("minimumGoodput", .string("\(JSONWriter.number(options.minimumGoodput.value)): " + describe(options.minimumGoodput))),
            ("checkpointBytesPerParameter", .string("\(JSONWriter.number(options.checkpointBytesPerParameter)): " + options.checkpointBytesSource)),
            ("chinchillaOptimal", .string("\(JSONWriter.number(data.chinchillaTokensPerParameter)) tokens per parameter: " + data.chinchillaSource)),
            ("failureModel", .string("job failures are a Poisson process (devices / deviceMTBFHours + nodes / nodeMTBFHours); each loses the work since the last checkpoint and costs a restart\(failures.failuresDuringRestart ? ", which a failure may interrupt" : "") (Daly 2006); expected failures = failures per hour x exposedHours (the wall time a failure can strike in: all of it\(failures.failuresDuringRestart ? "" : " but the restarts")), during work plus during restarts")),
            ("cost", .string("devices, energy (at training power) and storage accrue over the whole wall time, restarts and lost work included; storage holds the dataset (datasetTokens x bytesPerToken, else the requested tokens) and the kept checkpoints")),
        ]
        for (k, v) in data.defaults { sources.append((k, .string(v))) }
        pairs.append(("sources", .object(sources)))
        var w = warnings
        if let why = collapseReason { w.append(("goodput", why)) }
        if !w.isEmpty { pairs.append(("warnings", .object(w.map { ($0.0, .string($0.1)) }))) }
        return .object(pairs)
    }

    func describe(_ s: Sourced) -> String {
        (s.source ?? "given") + (s.confidence.map { " [\($0)]" } ?? "")
    }
}

extension Analysis {
    /// Adds (or replaces) the `wholeRun` section.
    public mutating func addWholeRun(_ run: WholeRun) {
        sections.removeAll { $0.0 == WholeRun.sectionName }
        sections.append((WholeRun.sectionName, run.section))
    }
}
