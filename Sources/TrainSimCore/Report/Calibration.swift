import Foundation

/// Published runs used as the test oracle (shared/reference/calibration-runs.md): each case is
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
}

public struct CalibrationResult: Sendable {
    public var `case`: CalibrationCase
    public var predicted: Double
    /// (predicted - published) / published.
    public var error: Double
    public var withinTolerance: Bool { abs(error) <= `case`.tolerance }
}

public enum CalibrationSuite {
    static let metrics = ["hardwareTFLOPsPerDevice", "stepTimeSeconds", "tokensPerSecondPerDevice", "mfu", "deviceHours", "achievedTFLOPsPerDevice"]

    /// Where the shipped cases live.
    public static var defaultPath: String? {
        DataLocator.home.map { $0.appendingPathComponent("Tests/Calibration/cases.json").path }
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
            out.append(CalibrationCase(id: id, source: source, metric: metric, published: published, calibration: cal, reading: reading, tolerance: tolerance, experiment: e))
        }
        return out
    }

    public static func predict(_ c: CalibrationCase) throws(TrainSimError) -> Double {
        let a = try Analysis.analyze(c.experiment)
        switch c.metric {
        case "hardwareTFLOPsPerDevice": return a.tokensPerSecondPerDevice * a.step.hardwareFLOPsPerToken / 1e12
        case "stepTimeSeconds": return a.step.stepSeconds
        case "tokensPerSecondPerDevice": return a.tokensPerSecondPerDevice
        case "deviceHours": return a.run.deviceHours
        case "achievedTFLOPsPerDevice": return a.achievedTFLOPsPerDevice
        default: return a.mfu
        }
    }

    public static func evaluate(_ cases: [CalibrationCase]) throws(TrainSimError) -> [CalibrationResult] {
        var out: [CalibrationResult] = []
        for c in cases {
            let p = try predict(c)
            out.append(CalibrationResult(case: c, predicted: p, error: (p - c.published) / c.published))
        }
        return out
    }

    public static func median(_ xs: [Double]) -> Double {
        let s = xs.sorted()
        guard !s.isEmpty else { return 0 }
        return s.count % 2 == 1 ? s[s.count / 2] : (s[s.count / 2 - 1] + s[s.count / 2]) / 2
    }

    public static func render(_ results: [CalibrationResult], format: ReportFormat) -> String {
        let held = results.filter { !$0.case.calibration }.map { abs($0.error) }
        let all = results.map { abs($0.error) }
        switch format {
        case .json:
            let rows: [JSONValue] = results.map { r in
                .object([("id", .string(r.case.id)), ("metric", .string(r.case.metric)), ("published", .number(r.case.published)),
                         ("predicted", .number(Analysis.round(r.predicted))), ("error", .number(Analysis.round(r.error))),
                         ("tolerance", .number(r.case.tolerance)), ("withinTolerance", .bool(r.withinTolerance)),
                         ("calibration", .bool(r.case.calibration)), ("source", .string(r.case.source))]
                        + (r.case.reading.map { [("reading", JSONValue.string($0))] } ?? []))
            }
            return JSONWriter.write(.object([("cases", .array(rows)), ("medianAbsError", .number(Analysis.round(median(all)))),
                                             ("medianAbsErrorHeldOut", .number(Analysis.round(median(held)))),
                                             ("maxAbsError", .number(Analysis.round(all.max() ?? 0))),
                                             ("outsideTolerance", .array(results.filter { !$0.withinTolerance }.map { .string($0.case.id) }))])) + "\n"
        case .csv:
            return "id,metric,published,predicted,error,tolerance,calibration\n" + results.map {
                "\($0.case.id),\($0.case.metric),\(JSONWriter.number($0.case.published)),\(JSONWriter.number(Analysis.round($0.predicted))),\(JSONWriter.number(Analysis.round($0.error))),\(JSONWriter.number($0.case.tolerance)),\($0.case.calibration)"
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
            s += String(format: "\nmedian |error| %.1f %% over all %d cases; %.1f %% over the %d held-out cases; worst %.1f %%\n",
                        median(all) * 100, all.count, median(held) * 100, held.count, (all.max() ?? 0) * 100)
            if results.contains(where: { $0.case.reading != nil }) {
                s += "* the source leaves a setting unstated; how it was read, and why, is the case's \"reading\" in Tests/Calibration/cases.json\n"
            }
            return s
        }
    }
}
