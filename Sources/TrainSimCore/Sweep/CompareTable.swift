import Foundation

/// Side-by-side comparison of runs of the same workload (typically one per topology): step
/// time and its breakdown, MFU, days, cost, energy, memory and exposed communication per
/// network tier, with the best value of each row marked.
public struct CompareTable: Sendable {
    public struct Column: Sendable {
        public var label: String
        /// A report as `Analysis.reportJSON()` writes it.
        public var report: JSONValue
        public init(label: String, report: JSONValue) { self.label = label; self.report = report }
    }

    public enum Better: Sendable { case lower, higher, none }

    public struct Row: Sendable {
        public var metric: String
        public var cells: [String]
        /// Columns holding the best value among runs that fit in memory (empty when the row is not
    /// ranked or all are equal).
        public var best: [Int]
    }

    public var columns: [Column]

    public init(columns: [Column]) {
        // Columns that share a name are told apart by topology, then by number.
        var cols = columns
        let names = cols.map(\.label)
        for i in cols.indices where names.filter({ $0 == names[i] }).count > 1 {
            if case let .string(t)? = cols[i].report.value(at: ["plan", "topology"]) { cols[i].label += " (\(t))" }
        }
        let labels = cols.map(\.label)
        for i in cols.indices where labels.filter({ $0 == labels[i] }).count > 1 { cols[i].label += " #\(i + 1)" }
        self.columns = cols
    }

    func number(_ c: Column, _ path: String) -> Double? {
        guard case let .number(d)? = c.report.value(dotted: path) else { return nil }
        return d
    }

    func string(_ c: Column, _ path: String) -> String {
        c.report.value(dotted: path).map(SweepPoint.text) ?? ""
    }

    /// Network tiers with exposed communication in any column, sorted.
    var tiers: [String] {
        var s = Set<String>()
        for c in columns { if case let .object(p)? = c.report["exposedCommunicationByTier"] { for (k, _) in p { s.insert(k) } } }
        return s.sorted()
    }

    public var rows: [Row] {
        var rows: [Row] = []
        func text(_ metric: String, _ f: (Column) -> String) { rows.append(Row(metric: metric, cells: columns.map(f), best: [])) }
        func ranked(_ metric: String, _ path: String, _ better: Better, key: String? = nil, _ f: (Double, Column) -> String) {
            let values = columns.map { number($0, path) }
            // Only runs that fit in memory can be best.
            let keys = columns.map { string($0, "memory.fits") == "false" ? nil : number($0, key ?? path) }
            var best: [Int] = []
            let present = keys.compactMap { $0 }
            if better != .none, present.count > 1, Set(present).count > 1 {
                let target = better == .lower ? present.min()! : present.max()!
                best = keys.indices.filter { keys[$0] == target }
            }
            rows.append(Row(metric: metric, cells: columns.indices.map { i in values[i].map { f($0, columns[i]) } ?? "" }, best: best))
        }
        text("topology") { string($0, "plan.topology") }
        text("accelerator") { string($0, "plan.accelerator") }
        text("devices") { string($0, "plan.devices") }
        text("plan") { c in
            ["tp", "pp", "vpp", "dp", "ep", "cp"].compactMap { k in number(c, "plan." + k).map { "\(k) \(JSONWriter.number($0))" } }.joined(separator: ", ")
        }
        // The stack each ran on (a device may choose it: MindSpeed on Ascend), with its attention kernel.
        text("stack") { c in [string(c, "plan.framework"), string(c, "plan.attentionKernel")].filter { !$0.isEmpty }.joined(separator: ", ") }
        ranked("step time", "stepTimeSeconds", .lower) { v, _ in Fmt.secs(v) }
        for k in ["compute", "bubble", "tp", "pp", "dp", "ep", "cp", "optimizer"] {
            let name = ["compute", "bubble", "optimizer"].contains(k) ? "  " + k : "  \(k.uppercased()) comm (exposed)"
            ranked(name, "breakdown." + k, .lower) { v, _ in Fmt.secs(v) }
        }
        ranked("tokens/s", "tokensPerSecond", .higher) { v, _ in Fmt.num(v) }
        ranked("MFU", "mfu", .higher) { v, _ in Fmt.pct(v) }
        ranked("training days", "trainingDays", .lower) { v, _ in Fmt.fixed(v, 1) }
        if columns.contains(where: { number($0, "wholeRun.expectedDays") != nil }) {
            ranked("days with failures", "wholeRun.expectedDays", .lower) { v, _ in Fmt.fixed(v, 1) }
        }
        ranked("cost", "cost.total", .lower, key: "cost.totalUSD") { v, c in Fmt.money(v, string(c, "cost.currency")) }
        ranked("energy MWh", "energyMWh", .lower) { v, _ in Fmt.fixed(v, 1) }
        ranked("memory GiB/device", "memory.peakGiBPerDevice", .lower) { v, c in
            Fmt.fixed(v, 1) + (string(c, "memory.fits") == "false" ? " (OOM)" : "")
        }
        for t in tiers {
            ranked("exposed comm: \(t)", "exposedCommunicationByTier.\(t)", .lower) { v, _ in Fmt.secs(v) }
        }
        return rows
    }

    /// How far such a comparison fell from published pairs (`validate`'s plan against plan): across
    /// device families where the columns' devices differ, within one otherwise.
    var accuracyLine: String? {
        let families = Set(columns.map { string($0, "accuracy.deviceFamily.name") })
        guard let acc = (try? ValidatedAccuracy.shippedIfPresent()) ?? nil, !families.contains("") else { return nil }
        return acc.pairLine(families: families)
    }

    /// `accuracy`: end the text and md tables with `accuracyLine` (the compare verb; a sweep's
    /// side-by-side tables, streamed from projected lines, leave it to the sweep).
    public func render(_ format: ReportFormat, accuracy: Bool = false) -> String {
        let rows = rows
        switch format {
        case .json:
            return JSONWriter.write(.object([
                ("columns", .array(columns.map { .string($0.label) })),
                ("rows", .array(rows.map { r in
                    .object([("metric", .string(r.metric.trimmingCharacters(in: .whitespaces))), ("values", .array(r.cells.map { .string($0) })),
                             ("best", .array(r.best.map { .string(columns[$0].label) }))])
                })),
                ("reports", .array(columns.map { $0.report })),
            ])) + "\n"
        case .csv:
            var out = (["metric"] + columns.map(\.label)).map(csvField).joined(separator: ",") + "\n"
            for r in rows { out += ([r.metric.trimmingCharacters(in: .whitespaces)] + r.cells).map(csvField).joined(separator: ",") + "\n" }
            return out
        case .text, .md:
            let md = format == .md
            let body = rows.map { r in
                [md ? r.metric.replacingOccurrences(of: "  ", with: "&nbsp;&nbsp;") : r.metric]
                    + r.cells.enumerated().map { i, c in r.best.contains(i) ? (md ? "**\(c)**" : c + " *") : c }
            }
            var out = TextTable.render(header: ["metric"] + columns.map(\.label), rows: body, markdown: md,
                                       rightAligned: Set(1...max(1, columns.count)))
            out += md ? "\n**bold**: best of the row, among runs that fit in memory\n" : "\n* best of the row, among runs that fit in memory\n"
            if accuracy, let line = accuracyLine { out += (md ? "\n" : "") + line + "\n" }
            return out
        }
    }
}
