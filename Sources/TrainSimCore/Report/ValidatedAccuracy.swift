import Foundation

/// How far trainsim's step figures fell from published runs that set no constant (the held-out rows
/// of `trainsim validate`), per device family, stack and model kind: read from
/// `Topologies/run/accuracy.json`, which `Tests/Calibration/fit.py` writes from `validate` after it
/// fits (a test reruns it and requires the committed file), so the figures a report quotes are the
/// ones the shipped engine and data give.
public struct ValidatedAccuracy: Sendable, Equatable {
    /// One group's held-out rows: how many, the median and worst |error|, and which rows.
    public struct Group: Sendable, Equatable {
        public var heldOut: Int
        public var median: Double
        public var worst: Double
        public var rows: [String]
    }

    public var source: String
    public var overall: Group
    public var byFamily: [String: Group]
    public var byStack: [String: Group]
    public var byKind: [String: Group]
    /// Plan against plan on the held-out pairs (`RunPair`): the accuracy a search's ranking has.
    /// nil in a file written before fit.py wrote it.
    public var pairs: PairSummary? = nil
    /// The same across device families (one model on two silicons): the accuracy a comparison of
    /// clusters of different devices has.
    public var pairsAcrossFamilies: PairSummary? = nil
    /// The MFU published runs reach, in trainsim's count, per silicon, model kind and precision class
    /// (`Experiment.publishedMFUKey`): the range a run's MFU can be set beside. Every published
    /// row counts (fitted or not: these are the runs' figures, not trainsim's errors).
    public struct PublishedRange: Sendable, Equatable {
        public var runs: Int
        public var low: Double, high: Double
        public var rows: [String]
        /// "10.0-20.5 %", or "39.1 %" for one run.
        public var rangeText: String {
            runs == 1 || low == high ? Fmt.fixed(100 * high, 1) + " %" : Fmt.fixed(100 * low, 1) + "-" + Fmt.fixed(100 * high, 1) + " %"
        }
    }
    public var publishedMFU: [String: PublishedRange] = [:]

    static let file = "Topologies/run/accuracy.json"

    /// The shipped file, read once per process (every report quotes it; a sweep must not stat the
    /// file per point); nil where there is none yet (before `fit.py` first writes it, `validate`
    /// must still run); a file that is there but malformed is an error.
    public static func shippedIfPresent() throws(TrainSimError) -> ValidatedAccuracy? {
        try cache.get()
    }

    private static let cache: Result<ValidatedAccuracy?, TrainSimError> = {
        // Always the shipped file: the figures describe the shipped engine and data.
        guard let url = DataLocator.home?.appendingPathComponent(file), FileSource.current.kind(url.path) == .file else { return .success(nil) }
        do throws(TrainSimError) { return .success(try load(url)) } catch { return .failure(error) }
    }()

    static func load(_ url: URL) throws(TrainSimError) -> ValidatedAccuracy {
        let r = try ObjectReader(try DataLocator.readJSON(url, displayName: file), path: "", file: file)
        _ = try r.int("schemaVersion", in: 1...1)
        _ = try r.string("description")
        let source = try r.requiredString("source")
        let overall = try group(try r.requiredObject("overall"))
        func groups(_ key: String) throws(TrainSimError) -> [String: Group] {
            let o = try r.requiredObject(key)
            guard case let .object(pairs)? = r.raw(key) else { throw r.error(key, "expected an object of groups") }
            var out: [String: Group] = [:]
            for (name, _) in pairs {
                guard let g = try o.object(name) else { throw o.error(name, "expected an object") }
                out[name] = try group(g)
            }
            try o.finish()
            return out
        }
        var a = ValidatedAccuracy(source: source, overall: overall, byFamily: try groups("deviceFamily"),
                                  byStack: try groups("stack"), byKind: try groups("modelKind"))
        a.pairs = try pairSummary(r, "planPairs")
        a.pairsAcrossFamilies = try pairSummary(r, "planPairsAcrossFamilies")
        a.publishedMFU = try publishedRanges(r)
        try r.finish()
        return a
    }

    /// A held-out pairs summary (`planPairs`, `planPairsAcrossFamilies`), nil where the file has none.
    private static func pairSummary(_ r: ObjectReader, _ key: String) throws(TrainSimError) -> PairSummary? {
        guard let p = try r.object(key) else { return nil }
        _ = try p.string("description")
        let s = PairSummary(pairs: try p.requiredInt("pairs", in: 0...1_000_000), ordered: try p.requiredInt("ordered", in: 0...1_000_000),
                            orderRight: try p.requiredInt("orderRight", in: 0...1_000_000),
                            median: try p.requiredNumber("medianAbsRatioError", in: 0...100),
                            worst: try p.requiredNumber("maxAbsRatioError", in: 0...100), worstPair: try p.string("worstPair"))
        try p.finish()
        guard s.orderRight <= s.ordered, s.ordered <= s.pairs else { throw p.error("orderRight", "expected orderRight <= ordered <= pairs") }
        return s
    }

    /// `publishedMFU`: {"SILICON/KIND/PRECISION": {"runs", "low", "high", "rows"}}; empty where the file has none.
    private static func publishedRanges(_ r: ObjectReader) throws(TrainSimError) -> [String: PublishedRange] {
        guard let o = try r.object("publishedMFU"), case let .object(pairs)? = r.raw("publishedMFU") else { return [:] }
        var out: [String: PublishedRange] = [:]
        for (key, _) in pairs {
            guard let g = try o.object(key) else { throw o.error(key, "expected an object") }
            let low = try g.requiredNumber("low", in: 0...10), high = try g.requiredNumber("high", in: 0...10)
            guard low <= high else { throw g.error("low", "expected low <= high") }
            var rows: [String] = []
            for (i, v) in (try g.list("rows") ?? []).enumerated() {
                guard case let .string(s) = v else { throw g.error("rows[\(i)]", "expected a case id") }
                rows.append(s)
            }
            out[key] = PublishedRange(runs: try g.requiredInt("runs", in: 1...100_000), low: low, high: high, rows: rows)
            try g.finish()
        }
        try o.finish()
        return out
    }

    private static func group(_ g: ObjectReader) throws(TrainSimError) -> Group {
        let heldOut = try g.requiredInt("heldOut", in: 0...100_000)
        let median = try g.requiredNumber("medianAbsError", in: 0...100)
        let worst = try g.requiredNumber("maxAbsError", in: 0...100)
        var rows: [String] = []
        for (i, v) in (try g.list("rows") ?? []).enumerated() {
            guard case let .string(s) = v else { throw g.error("rows[\(i)]", "expected a case id") }
            rows.append(s)
        }
        try g.finish()
        return Group(heldOut: heldOut, median: median, worst: worst, rows: rows)
    }

    /// The groups a run falls in: its device family, its stack, its model kind (nil where no
    /// published run of that group was held out).
    public func groups(_ e: Experiment) -> [(label: String, name: String, group: Group?)] {
        let k = e.validationGroups
        return [("deviceFamily", k.family, byFamily[k.family].flatMap { $0.heldOut > 0 ? $0 : nil }),
                ("stack", k.stack, byStack[k.stack].flatMap { $0.heldOut > 0 ? $0 : nil }),
                ("modelKind", k.kind, byKind[k.kind].flatMap { $0.heldOut > 0 ? $0 : nil })]
    }

    /// The report's `accuracy` object for a run.
    public func json(_ e: Experiment) -> JSONValue {
        var pairs: [(String, JSONValue)] = [("source", .string(source))]
        for (label, name, g) in groups(e) {
            var o: [(String, JSONValue)] = [("name", .string(name)), ("heldOutRuns", .number(Double(g?.heldOut ?? 0)))]
            if let g {
                o += [("medianAbsError", .number(g.median)), ("maxAbsError", .number(g.worst))]
            }
            pairs.append((label, .object(o)))
        }
        pairs.append(("overall", .object([("heldOutRuns", .number(Double(overall.heldOut))), ("medianAbsError", .number(overall.median)),
                                          ("maxAbsError", .number(overall.worst))])))
        if let m = publishedMFU[e.publishedMFUKey] {
            pairs.append(("publishedMFU", .object([("group", .string(e.publishedMFUKey)), ("runs", .number(Double(m.runs))),
                                                   ("low", .number(m.low)), ("high", .number(m.high))])))
        }
        if let p = self.pairs {
            pairs.append(("planPairs", .object([("heldOutPairs", .number(Double(p.pairs))), ("ordered", .number(Double(p.ordered))),
                                                ("orderRight", .number(Double(p.orderRight))), ("medianAbsRatioError", .number(p.median)),
                                                ("maxAbsRatioError", .number(p.worst))])))
        }
        return .object(pairs)
    }

    /// One line for a table of plans (search): each group's held-out median and worst |error|, and
    /// the MFU published runs of the plans' kind reach.
    public func summary(_ e: Experiment) -> String {
        var parts = groups(e).map { _, name, g in
            g.map { "\(name) \(Fmt.fixed(100 * $0.median, 1)) % median, \(Fmt.fixed(100 * $0.worst, 1)) % worst (\($0.heldOut) run\($0.heldOut == 1 ? "" : "s"))" }
                ?? "\(name) unvalidated"
        }
        if let m = publishedMFU[e.publishedMFUKey] {
            parts.append("published MFU \(m.rangeText) (\(m.runs) \(e.precisionClass) run\(m.runs == 1 ? "" : "s"))")
        }
        return parts.joined(separator: "; ")
    }

    /// One line on plan against plan, for reports that rank or compare plans (search, compare).
    public var pairLine: String? {
        pairs.map { "plan against plan (held-out pairs of published runs of one model on one device family): " + $0.sentence }
    }

    /// The line for a comparison of clusters whose devices are of different families.
    public var acrossPairLine: String? {
        pairsAcrossFamilies.map { "plan against plan across device families (held-out pairs of published runs of one model on two silicons): " + $0.sentence }
    }

    /// The line for plans run on these device families: across families where they differ (one
    /// rule for search and compare).
    public func pairLine(families: Set<String>) -> String? { families.count > 1 ? acrossPairLine : pairLine }

    /// The report's lines for a run.
    public func text(_ e: Experiment) -> String {
        var s = "\nvalidated accuracy (|error| of trainsim on published runs it was not fitted on; trainsim validate)\n"
        let titles = ["deviceFamily": "device family", "stack": "stack", "modelKind": "model kind"]
        for (label, name, g) in groups(e) {
            let head = "  " + Fmt.column(titles[label]! + " " + name, 30)
            if let g {
                s += head + "\(g.heldOut) run\(g.heldOut == 1 ? "" : "s"): median " + Fmt.fixed(100 * g.median, 1) + " %, worst "
                    + Fmt.fixed(100 * g.worst, 1) + " %\n"
            } else {
                s += head + "no published run held out: unvalidated\n"
            }
        }
        let k = e.validationGroups
        let what = "\(k.kind) \(e.precisionClass) run"
        if let m = publishedMFU[e.publishedMFUKey] {
            s += "  " + Fmt.column("published MFU", 30) + m.rangeText + " over \(m.runs) \(what)\(m.runs == 1 ? "" : "s") on \(k.family) (trainsim's count)\n"
        } else if !publishedMFU.isEmpty {
            s += "  " + Fmt.column("published MFU", 30) + "no published \(what) on \(k.family)\n"
        }
        return s
    }
}

extension Experiment {
    /// The groups `validate` tables and reports quote accuracy by: the device family (the silicon),
    /// the stack, and the model kind ("moe" or "dense").
    public var validationGroups: (family: String, stack: String, kind: String) {
        (cluster.topology.device.family, training.framework.id, model.moe != nil ? "moe" : "dense")
    }

    /// "fp8" or "16-bit": fp8 runs reach more of the bf16 peak MFU is counted against, so published
    /// MFU ranges are kept apart by it.
    public var precisionClass: String { training.precision == .fp8 ? "fp8" : "16-bit" }

    /// The key of the published MFU range a run is set beside: silicon, model kind, precision class.
    public var publishedMFUKey: String {
        let g = validationGroups
        return "\(g.family)/\(g.kind)/\(precisionClass)"
    }
}
