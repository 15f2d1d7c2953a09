import Foundation

/// Published runs used as the test oracle (Tests/Calibration/cases.json, cases-2.json): each case is
/// an experiment plus the published figure. Cases marked `calibration` set device constants;
/// accuracy is claimed on the others.
public struct CalibrationCase: Sendable {
    public var id: String
    public var source: String
    /// "hardwareTFLOPsPerDevice", "stepTimeSeconds", "tokensPerSecondPerDevice", "mfu", "deviceHours" or "achievedTFLOPsPerDevice" (model FLOPs).
    public var metric: String
    public var published: Double
    public var calibration: Bool
    /// How a setting the source leaves unstated was read, and why (shown with the case).
    public var reading: String? = nil
    /// The largest |error| the case accepts (the test suite and `validate`'s exit code hold it).
    public var tolerance: Double = 0.10
    public var experiment: Experiment
    /// The file the case came from (for the note on readings).
    public var file: String = ""
    /// Device family (the silicon) and stack, for the per-family and per-stack tables.
    public var family: String { experiment.validationGroups.family }
    public var stack: String { experiment.validationGroups.stack }
    /// "moe" or "dense", for the per-kind table.
    public var kind: String { experiment.validationGroups.kind }
}

public struct CalibrationResult: Sendable {
    public var `case`: CalibrationCase
    public var predicted: Double
    /// (predicted - published) / published.
    public var error: Double
    /// The plan's memory at its busiest stage: the published plan ran, so it should fit.
    public var memory: MemoryBreakdown? = nil
    /// trainsim's MFU for the case's plan (`ShippedRanges` reads the published run's from it).
    public var mfu: Double? = nil
    public var withinTolerance: Bool { abs(error) <= `case`.tolerance }

    /// The published run's MFU in trainsim's count: trainsim's MFU for its plan times published over
    /// predicted (every metric is proportional to throughput, or to time for step time and device-hours).
    public var publishedMFU: Double? {
        guard let mfu, predicted > 0 else { return nil }
        let timeLike = `case`.metric == "stepTimeSeconds" || `case`.metric == "deviceHours"
        return timeLike ? mfu * predicted / `case`.published : mfu * `case`.published / predicted
    }
}

public enum CalibrationSuite {
    static let metrics = ["hardwareTFLOPsPerDevice", "stepTimeSeconds", "tokensPerSecondPerDevice", "mfu", "deviceHours", "achievedTFLOPsPerDevice"]

    /// Where the shipped cases live: C1-C4 with the further published runs, and C5-C16.
    public static var defaultPaths: [String]? {
        DataLocator.home.map { h in ["cases.json", "cases-2.json"].map { h.appendingPathComponent("Tests/Calibration/" + $0).path } }
    }

    public static func load(path: String) throws(TrainSimError) -> [CalibrationCase] {
        let url = URL(fileURLWithPath: path)
        let json = try DataLocator.readJSON(url, displayName: path)
        let r = try ObjectReader(json, path: "", file: path)
        _ = try r.int("schemaVersion", in: 1...1)
        _ = try r.string("description")
        guard let items = try r.list("cases") else { throw r.error("cases", "missing required key") }
        try r.finish()
        var out: [CalibrationCase] = []
        for (i, it) in items.enumerated() {
            let c = try ObjectReader(it, path: "cases[\(i)]", file: path)
            let id = try c.requiredString("id")
            let source = try c.requiredString("source")
            guard let metric = try c.choice("metric", metrics) else { throw c.error("metric", "missing required key") }
            let published = try c.requiredNumber("published", positive: true)
            let cal = try c.bool("calibration") ?? false
            let reading = try c.string("reading")
            let tolerance = try c.number("tolerance", in: 0.01...1) ?? 0.10
            guard let ex = c.raw("experiment") else { throw c.error("experiment", "missing required key") }
            try c.finish()
            let e = try Experiment.decode(ex, file: path + " (\(id))", folder: url.deletingLastPathComponent())
            out.append(CalibrationCase(id: id, source: source, metric: metric, published: published, calibration: cal, reading: reading,
                                       tolerance: tolerance, experiment: e, file: (path as NSString).lastPathComponent))
        }
        return out
    }

    /// The predicted figure in the case's metric. Published FLOP rates (hardware or achieved
    /// TFLOP/s, MFU) count attention with the full score matrix, as their papers do, so they are
    /// compared in that count (`FLOPCount.paper`), not in trainsim's reported one.
    public static func predict(_ c: CalibrationCase) throws(TrainSimError) -> Double {
        predict(c, analysis: try Analysis.analyze(c.experiment))
    }

    static func predict(_ c: CalibrationCase, analysis a: Analysis) -> Double {
        let m = c.experiment.model, seq = c.experiment.training.sequenceLength
        switch c.metric {
        case "hardwareTFLOPsPerDevice":
            return a.tokensPerSecondPerDevice * FLOPCount.paper(m, seq: seq, recompute: c.experiment.training.recompute) / 1e12
        case "stepTimeSeconds": return a.step.stepSeconds
        case "tokensPerSecondPerDevice": return a.tokensPerSecondPerDevice
        case "deviceHours": return a.run.deviceHours
        case "achievedTFLOPsPerDevice": return a.tokensPerSecondPerDevice * FLOPCount.paper(m, seq: seq) / 1e12
        default: return a.tokensPerSecondPerDevice * FLOPCount.paper(m, seq: seq) / a.utilisationPeak
        }
    }

    public static func evaluate(_ cases: [CalibrationCase]) throws(TrainSimError) -> [CalibrationResult] {
        var out: [CalibrationResult] = []
        for c in cases {
            let a = try Analysis.analyze(c.experiment)
            let p = predict(c, analysis: a)
            out.append(CalibrationResult(case: c, predicted: p, error: (p - c.published) / c.published, memory: a.step.memory, mfu: a.mfu))
        }
        return out
    }

    /// The range of the published runs' MFU (`CalibrationResult.publishedMFU`) per silicon, model kind
    /// and precision class (`Experiment.publishedMFUKey`), over every row: `validate`'s JSON gives it
    /// and fit.py copies it into accuracy.json for reports to quote.
    public static func publishedMFURanges(_ results: [CalibrationResult]) -> [String: ValidatedAccuracy.PublishedRange] {
        var out: [String: ValidatedAccuracy.PublishedRange] = [:]
        for r in results {
            guard let m = r.publishedMFU else { continue }
            let key = r.case.experiment.publishedMFUKey
            if var g = out[key] {
                g.runs += 1; g.low = min(g.low, m); g.high = max(g.high, m); g.rows.append(r.case.id)
                out[key] = g
            } else {
                out[key] = .init(runs: 1, low: m, high: m, rows: [r.case.id])
            }
        }
        return out.mapValues { var g = $0; g.rows.sort(); return g }
    }

    public static func median(_ xs: [Double]) -> Double {
        let s = xs.sorted()
        guard !s.isEmpty else { return 0 }
        return s.count % 2 == 1 ? s[s.count / 2] : (s[s.count / 2 - 1] + s[s.count / 2]) / 2
    }

    /// Held-out accuracy per group (device family or stack): count, median and worst |error|.
    public struct GroupAccuracy: Sendable {
        public var group: String
        public var heldOut: Int
        public var fitted: Int
        public var median: Double
        public var worst: Double
    }

    public static func accuracy(_ results: [CalibrationResult], by key: (CalibrationCase) -> String) -> [GroupAccuracy] {
        var groups: [String: [CalibrationResult]] = [:]
        for r in results { groups[key(r.case), default: []].append(r) }
        return groups.keys.sorted().map { g in
            let rs = groups[g]!
            let held = rs.filter { !$0.case.calibration }.map { abs($0.error) }
            return GroupAccuracy(group: g, heldOut: held.count, fitted: rs.count - held.count, median: median(held), worst: held.max() ?? 0)
        }
    }

    static func groupTable(_ title: String, _ rows: [GroupAccuracy]) -> String {
        var s = "\nheld-out error by \(title)\n"
        for g in rows {
            s += "  " + g.group.padding(toLength: 16, withPad: " ", startingAt: 0)
                + (g.heldOut > 0 ? String(format: "%2d held out  median %5.1f %%  worst %5.1f %%", g.heldOut, g.median * 100, g.worst * 100)
                                 : " 0 held out                            ")
                + "  (\(g.fitted) fitted)\n"
        }
        return s
    }

    /// The published plans trainsim's memory model finds out of memory. Each ran, so each is an
    /// error of the model (or of the case's reading of an unstated setting).
    public static func outOfMemory(_ results: [CalibrationResult]) -> [CalibrationResult] {
        results.filter { $0.memory.map { !$0.fits } ?? false }
    }

    /// The lines that say how many published plans fit, and which do not with what they need.
    static func memoryLines(_ results: [CalibrationResult], markdown: Bool) -> String {
        let over = outOfMemory(results), known = results.filter { $0.memory != nil }.count
        if over.isEmpty { return "\nevery published plan fits in trainsim's memory model (\(known) of \(known))\n" }
        var s = "\npublished plans trainsim finds out of memory (each ran, so each is an error of the memory model): \(over.count) of \(known)\n"
        for r in over {
            let m = r.memory!
            let need = String(format: "needs %.1f GiB per device, has %.1f (stage %d)", m.peakGiB, m.capacityGiB, m.stage)
            s += markdown ? "- \(r.case.id): \(need)\n" : "  " + r.case.id.padding(toLength: 24, withPad: " ", startingAt: 0) + need + "\n"
        }
        return s
    }

    /// `shipped`: the shipped experiments against the published runs (`ShippedRanges`), when the
    /// shipped cases are the ones run.
    public static func render(_ results: [CalibrationResult], format: ReportFormat, shipped: [ShippedRange] = []) -> String {
        let held = results.filter { !$0.case.calibration }.map { abs($0.error) }
        let all = results.map { abs($0.error) }
        let byFamily = accuracy(results) { $0.family }, byStack = accuracy(results) { $0.stack }, byKind = accuracy(results) { $0.kind }
        let runPairs = pairs(results), crossPairs = pairs(results, acrossFamilies: true)
        func groupJSON(_ rows: [GroupAccuracy]) -> JSONValue {
            .array(rows.map { g in .object([("group", .string(g.group)), ("heldOut", .number(Double(g.heldOut))), ("fitted", .number(Double(g.fitted))),
                                            ("medianAbsError", .number(Analysis.round(g.median))), ("maxAbsError", .number(Analysis.round(g.worst)))]) })
        }
        switch format {
        case .json:
            let rows: [JSONValue] = results.map { r in
                .object([("id", .string(r.case.id)), ("metric", .string(r.case.metric)), ("published", .number(r.case.published)),
                         ("predicted", .number(Analysis.round(r.predicted))), ("error", .number(Analysis.round(r.error))),
                         ("tolerance", .number(r.case.tolerance)), ("withinTolerance", .bool(r.withinTolerance)),
                         ("calibration", .bool(r.case.calibration)), ("family", .string(r.case.family)), ("stack", .string(r.case.stack)),
                         ("kind", .string(r.case.kind)), ("source", .string(r.case.source))]
                        + (r.memory.map { [("peakGiBPerDevice", JSONValue.number(Analysis.round($0.peakGiB))), ("fits", .bool($0.fits))] } ?? [])
                        + [("precision", .string(r.case.experiment.precisionClass))]
                        + (r.publishedMFU.map { [("publishedMFU", JSONValue.number(Analysis.round($0)))] } ?? [])
                        + (r.case.reading.map { [("reading", JSONValue.string($0))] } ?? []))
            }
            return JSONWriter.write(.object([("cases", .array(rows)), ("medianAbsError", .number(Analysis.round(median(all)))),
                                             ("medianAbsErrorHeldOut", .number(Analysis.round(median(held)))),
                                             ("maxAbsError", .number(Analysis.round(all.max() ?? 0))),
                                             ("maxAbsErrorHeldOut", .number(Analysis.round(held.max() ?? 0))),
                                             ("byFamily", groupJSON(byFamily)), ("byStack", groupJSON(byStack)), ("byKind", groupJSON(byKind)),
                                             ("pairs", pairsJSON(runPairs)), ("pairsAcrossFamilies", pairsJSON(crossPairs)),
                                             ("outsideTolerance", .array(results.filter { !$0.withinTolerance }.map { .string($0.case.id) })),
                                             ("outOfMemory", .array(outOfMemory(results).map { .string($0.case.id) })),
                                             ("publishedMFU", .object(publishedMFURanges(results).sorted { $0.key < $1.key }.map { k, g in
                                                 (k, .object([("runs", .number(Double(g.runs))), ("low", .number(Analysis.round(g.low))),
                                                              ("high", .number(Analysis.round(g.high))), ("rows", .array(g.rows.map { .string($0) }))]))
                                             })),
                                             ("shippedExperiments", ShippedRanges.json(shipped))])) + "\n"
        case .csv:
            return "id,metric,published,predicted,error,tolerance,calibration,peakGiBPerDevice,fits\n" + results.map {
                "\($0.case.id),\($0.case.metric),\(JSONWriter.number($0.case.published)),\(JSONWriter.number(Analysis.round($0.predicted))),\(JSONWriter.number(Analysis.round($0.error))),\(JSONWriter.number($0.case.tolerance)),\($0.case.calibration),"
                    + ($0.memory.map { "\(JSONWriter.number(Analysis.round($0.peakGiB))),\($0.fits)" } ?? ",")
            }.joined(separator: "\n") + "\n"
        case .md, .text:
            var s = format == .md ? "| case | metric | published | predicted | error | tolerance | role |\n|---|---|---|---|---|---|---|\n" : ""
            for r in results {
                let role = (r.case.calibration ? "sets constants" : "held out") + (r.case.reading != nil ? " *" : "")
                if format == .md {
                    s += "| \(r.case.id) | \(r.case.metric) | \(Fmt.num(r.case.published)) | \(Fmt.num(r.predicted)) | \(String(format: "%+.1f %%", r.error * 100)) | \(String(format: "%.0f %%", r.case.tolerance * 100))\(r.withinTolerance ? "" : " OUTSIDE") | \(role) |\n"
                } else {
                    s += r.case.id.padding(toLength: 24, withPad: " ", startingAt: 0)
                        + r.case.metric.padding(toLength: 26, withPad: " ", startingAt: 0)
                        + String(format: "published %9.4g  predicted %9.4g  error %+6.1f %% (limit %2.0f %%)  ", r.case.published, r.predicted,
                                  r.error * 100, r.case.tolerance * 100) + (r.withinTolerance ? "" : "OUTSIDE  ") + role + "\n"
                }
            }
            s += String(format: "\nmedian |error| %.1f %% over all %d cases; %.1f %% over the %d held-out cases (worst %.1f %%); worst of all %.1f %%\n",
                        median(all) * 100, all.count, median(held) * 100, held.count, (held.max() ?? 0) * 100, (all.max() ?? 0) * 100)
            if format == .text { s += groupTable("device family", byFamily) + groupTable("stack", byStack) + groupTable("model kind", byKind) }
            s += pairLines(runPairs, across: crossPairs, markdown: format == .md)
            s += memoryLines(results, markdown: format == .md)
            let files = Array(Set(results.filter { $0.case.reading != nil }.map(\.case.file))).sorted()
            if !files.isEmpty {
                s += "* the source leaves a setting unstated; how it was read, and why, is the case's \"reading\" in " + files.joined(separator: " / ") + "\n"
            }
            s += ShippedRanges.lines(shipped, markdown: format == .md)
            return s
        }
    }
}
