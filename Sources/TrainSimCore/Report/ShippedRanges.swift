import Foundation

/// The shipped experiments' MFU beside the published runs on the same silicon, of the same
/// model kind (dense or MoE) and in the same precision class (fp8 runs reach more of the bf16
/// peak MFU is counted against): a user reading an example should see figures that published runs of
/// its kind reach. A published run's MFU is taken in trainsim's own count (`FLOPCount.modelConvention`),
/// so that all compare alike: trainsim's MFU for the case's plan times published over predicted
/// (the metrics are all proportional to throughput, or to time for step time and device-hours).
/// The range is widened by the family's held-out median |error|, the accuracy trainsim has shown
/// there: an example cannot be held closer than that.
public struct ShippedRange: Sendable {
    public var experiment: String
    public var family: String
    public var kind: String
    /// "fp8" or "16-bit".
    public var precision: String
    public var stack: String
    public var mfu: Double
    /// The published runs' lowest and highest MFU, and how many there are (nil: none on this silicon and kind).
    public var low: Double?, high: Double?
    public var runs: Int
    /// The family's held-out median |error| (0 with no held-out run).
    public var slack: Double
    public var within: Bool? {
        guard let low, let high else { return nil }
        return mfu >= low * (1 - slack) && mfu <= high * (1 + slack)
    }
}

public enum ShippedRanges {
    /// A published run's MFU in trainsim's count.
    public static func publishedMFU(_ r: CalibrationResult) -> Double? {
        guard let mfu = r.mfu, r.predicted > 0 else { return nil }
        let timeLike = r.case.metric == "stepTimeSeconds" || r.case.metric == "deviceHours"
        return timeLike ? mfu * r.predicted / r.case.published : mfu * r.case.published / r.predicted
    }

    /// The shipped experiments (`Experiments/*.json` without a sweep or search) against `results`.
    public static func shipped(against results: [CalibrationResult]) throws(TrainSimError) -> [ShippedRange] {
        guard let home = DataLocator.home else { return [] }
        let folder = home.appendingPathComponent("Experiments")
        let names = ((try? FileManager.default.contentsOfDirectory(atPath: folder.path)) ?? []).filter { $0.hasSuffix(".json") }.sorted()
        var out: [ShippedRange] = []
        for name in names {
            let path = folder.appendingPathComponent(name).path
            let json = try DataLocator.readJSON(URL(fileURLWithPath: path), displayName: path)
            guard json["sweep"] == nil, json["search"] == nil else { continue }
            out.append(check(try Experiment.load(path: path), name: String(name.dropLast(5)), against: results))
        }
        return out
    }

    public static func check(_ e: Experiment, name: String, against results: [CalibrationResult]) -> ShippedRange {
        let g = e.validationGroups
        let mfu = (try? Analysis.analyze(e).mfu) ?? 0
        let same = results.filter { $0.case.experiment.publishedMFUKey == e.publishedMFUKey }.compactMap(publishedMFU)
        let held = results.filter { $0.case.family == g.family && !$0.case.calibration }.map { abs($0.error) }
        return ShippedRange(experiment: name, family: g.family, kind: g.kind, precision: e.precisionClass, stack: g.stack, mfu: mfu,
                            low: same.min(), high: same.max(), runs: same.count,
                            slack: held.isEmpty ? 0 : CalibrationSuite.median(held))
    }

    static func lines(_ rows: [ShippedRange], markdown: Bool) -> String {
        guard !rows.isEmpty else { return "" }
        var s = "\nshipped experiments against published runs (MFU in trainsim's count; the range of the published runs on the same silicon, of the same model kind and precision class, widened by the family's held-out median error)\n"
        for r in rows {
            let head = markdown ? "- \(r.experiment): " : "  " + r.experiment.padding(toLength: 36, withPad: " ", startingAt: 0)
            let mfu = String(format: "MFU %4.1f %%", r.mfu * 100)
            guard let low = r.low, let high = r.high else {
                s += head + mfu + "  no published \(r.precision) \(r.kind) run on \(r.family) to compare with\n"
                continue
            }
            s += head + mfu + String(format: "  published %4.1f-%4.1f %% (%d %@ %@ runs on %@, +/- %.1f %%)", low * 100, high * 100, r.runs,
                                     r.precision, r.kind, r.family, r.slack * 100) + (r.within == true ? "  within" : "  OUTSIDE") + "\n"
        }
        return s
    }

    static func json(_ rows: [ShippedRange]) -> JSONValue {
        .array(rows.map { r in
            .object([("experiment", .string(r.experiment)), ("family", .string(r.family)), ("kind", .string(r.kind)), ("precision", .string(r.precision)), ("stack", .string(r.stack)),
                     ("mfu", .number(Analysis.round(r.mfu))), ("publishedRuns", .number(Double(r.runs)))]
                    + (r.low.map { [("publishedLow", JSONValue.number(Analysis.round($0)))] } ?? [])
                    + (r.high.map { [("publishedHigh", JSONValue.number(Analysis.round($0)))] } ?? [])
                    + [("slack", .number(Analysis.round(r.slack)))]
                    + (r.within.map { [("within", JSONValue.bool($0))] } ?? []))
        })
    }
}
