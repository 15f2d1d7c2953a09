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
    /// The published runs of its kind (`CalibrationSuite.publishedMFURanges`; nil: none on this silicon).
    public var published: ValidatedAccuracy.PublishedRange?
    public var low: Double? { published?.low }
    public var high: Double? { published?.high }
    public var runs: Int { published?.runs ?? 0 }
    /// The family's held-out median |error| (0 with no held-out run).
    public var slack: Double
    public var within: Bool? {
        guard let low, let high else { return nil }
        return mfu >= low * (1 - slack) && mfu <= high * (1 + slack)
    }
}

public enum ShippedRanges {
    /// The shipped experiments (`Experiments/*.json` without a sweep or search) against `results`.
    public static func shipped(against results: [CalibrationResult]) throws(TrainSimError) -> [ShippedRange] {
        guard let home = DataLocator.home else { return [] }
        let folder = home.appendingPathComponent("Experiments")
        let names = ((try? FileManager.default.contentsOfDirectory(atPath: folder.path)) ?? []).filter { $0.hasSuffix(".json") }.sorted()
        let ranges = CalibrationSuite.publishedMFURanges(results)
        let families = Dictionary(uniqueKeysWithValues: CalibrationSuite.accuracy(results) { $0.family }.map { ($0.group, $0) })
        var out: [ShippedRange] = []
        for name in names {
            let path = folder.appendingPathComponent(name).path
            let json = try DataLocator.readJSON(URL(fileURLWithPath: path), displayName: path)
            guard json["sweep"] == nil, json["search"] == nil else { continue }
            let e = try Experiment.decode(json, file: path, folder: folder), g = e.validationGroups
            let family = families[g.family].flatMap { $0.heldOut > 0 ? $0 : nil }
            out.append(ShippedRange(experiment: String(name.dropLast(5)), family: g.family, kind: g.kind, precision: e.precisionClass,
                                    stack: g.stack, mfu: (try? Analysis.analyze(e).mfu) ?? 0, published: ranges[e.publishedMFUKey],
                                    slack: family?.median ?? 0))
        }
        return out
    }

    static func lines(_ rows: [ShippedRange], markdown: Bool) -> String {
        guard !rows.isEmpty else { return "" }
        var s = "\nshipped experiments against published runs (MFU in trainsim's count; the range of the published runs on the same silicon, of the same model kind and precision class, widened by the family's held-out median error)\n"
        for r in rows {
            let head = markdown ? "- \(r.experiment): " : "  " + r.experiment.padding(toLength: 36, withPad: " ", startingAt: 0)
            let mfu = String(format: "MFU %4.1f %%", r.mfu * 100)
            guard let p = r.published else {
                s += head + mfu + "  no published \(r.precision) \(r.kind) run on \(r.family) to compare with\n"
                continue
            }
            s += head + mfu + "  published \(p.rangeText) (\(p.runs) \(r.precision) \(r.kind) run\(p.runs == 1 ? "" : "s") on \(r.family), +/- "
                + Fmt.fixed(r.slack * 100, 1) + " %)" + (r.within == true ? "  within" : "  OUTSIDE") + "\n"
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
