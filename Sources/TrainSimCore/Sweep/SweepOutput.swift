import Foundation

/// Sweep results as a table (text or Markdown), CSV with one row per point and stable
/// columns, or JSON lines. Rendering depends only on the points, so the output is the same
/// however the points were computed.
public enum SweepOutput {
    /// CSV columns after the index, the axes, status and reason; the same for every sweep.
    public static let metricColumns = [
        "name", "stepTimeSeconds", "tokensPerSecond", "tokensPerSecondPerDevice", "mfu", "hfu", "trainingDays",
        "deviceHours", "energyMWh", "cost.currency", "cost.total", "memory.peakGiBPerDevice", "memory.fits",
        "breakdown.compute", "breakdown.bubble", "breakdown.tp", "breakdown.pp", "breakdown.dp", "breakdown.ep",
        "breakdown.cp", "breakdown.optimizer", "plan.topology", "plan.accelerator", "plan.devices", "plan.tp",
        "plan.pp", "plan.vpp", "plan.dp", "plan.ep", "plan.cp", "plan.zero", "plan.schedule", "plan.microBatches",
        "plan.recompute", "wholeRun.expectedDays", "wholeRun.goodput", "wholeRun.cost",
    ]

    /// The parts of a point's line that the tables (text, Markdown, with their topology comparison,
    /// `CompareTable`) and CSV read: a journal read back for them builds only these
    /// (`JSONParser.parse(bytes:keeping:)`), about a quarter of a working point's line, and skips
    /// the rest. JSONProjectionTests renders a sweep both ways and compares.
    public static let projection = JSONProjection(paths: projectionPaths)

    /// The key paths `projection` keeps.
    static let projectionPaths = ["index", "point", "status", "reason"]
        + (metricColumns + ["cost.totalUSD", "exposedCommunicationByTier", "plan.framework", "plan.attentionKernel"]).map { "report." + $0 }

    /// A point's line for the tables (text, Markdown): its table entry (`TableEntry`), with its
    /// row's cells formatted, and the report fields the tables read (`projection`) only where
    /// the sweep compares topologies (`reports`, `comparesTopologies`). The rank that computed a
    /// point writes it, so rank 0 of a sweep formats no row; the tables rendered from these lines
    /// are the tables rendered from the journal (JSONProjectionTests).
    public static func tableLine(_ p: SweepPoint, reports: Bool) -> String {
        TableEntry(p, reports: reports).line
    }

    /// The line the rank that computed a point makes for rank 0 to put in order, for a sweep
    /// printed as `format`: its CSV line, or its line for the tables (with the report where the
    /// sweep compares topologies, `reports`); empty for JSON lines (the journal's own line is the output).
    public static func rowLine(_ p: SweepPoint, format: ReportFormat, reports: Bool) -> String {
        switch format {
        case .csv: return csvRow(p)
        case .text, .md: return tableLine(p, reports: reports)
        case .json: return ""
        }
    }

    /// Points in index order, handed to `body` one at a time, so a sweep's points can come from a
    /// file on disk and no pass holds more than one point. Every format reads them once (a text
    /// table keeps its rows in a temporary file between measuring and writing them).
    public typealias Points = (_ body: (SweepPoint) throws -> Void) throws -> Void

    public static func render(_ points: [SweepPoint], plan: SweepPlan, format: ReportFormat) -> String {
        var out = ""
        // Appending to a string and iterating an array cannot fail.
        try! write({ body in for p in points { try body(p) } }, plan: plan, format: format) { out += $0 }
        return out
    }

    /// Writes the rendering of `points` piece by piece to `emit`: the same text as ``render(_:plan:format:)``.
    public static func write(_ points: Points, plan: SweepPlan, format: ReportFormat, to emit: (String) throws -> Void) throws {
        try withoutActuallyEscaping(emit) { try write(points, plan: plan, format: format, emit: $0) }
    }

    private static func write(_ points: Points, plan: SweepPlan, format: ReportFormat, emit: @escaping (String) throws -> Void) throws {
        switch format {
        case .json: try points { try emit($0.jsonLine) }
        case .csv: try csv(points, plan: plan, to: emit)
        case .text, .md:
            // A point in memory passes its whole report: the tables read the same (JSONProjectionTests).
            let reports = comparesTopologies(plan)
            let entries: Entries = { body in
                try withoutActuallyEscaping(body) { body in try points { try body(TableEntry($0, reports: reports, projected: false)) } }
            }
            try table(entries, plan: plan, markdown: format == .md, to: emit)
        }
    }

    /// A report field as CSV text (empty when absent).
    static func field(_ p: SweepPoint, _ path: String) -> String {
        guard let v = p.report?.value(dotted: path) else { return "" }
        return SweepPoint.text(v)
    }

    public static func csv(_ points: [SweepPoint], plan: SweepPlan) -> String { render(points, plan: plan, format: .csv) }

    static func csv(_ points: Points, plan: SweepPlan, to emit: @escaping (String) throws -> Void) throws {
        try emit(csvHeader(plan))
        try points { p in try emit(csvRow(p)) }
    }

    /// The CSV header line: the index, the axes, status and reason, then `metricColumns`.
    public static func csvHeader(_ plan: SweepPlan) -> String {
        (["index"] + plan.axes.map(\.path) + ["status", "reason"] + metricColumns).map(csvField).joined(separator: ",") + "\n"
    }

    /// A point's CSV line. The rank that computed a point writes it (from the point in memory), so
    /// rank 0 of a sweep only puts the lines in order; it reads the same as the line rendered from
    /// the point read back from the journal (the report's numbers survive JSON exactly).
    public static func csvRow(_ p: SweepPoint) -> String {
        var row = [String(p.index)] + p.assignment.map { SweepPoint.text($0.value) }
        row += [p.status.rawValue, p.reason ?? ""]
        row += metricColumns.map { field(p, $0) }
        return row.map(csvField).joined(separator: ",") + "\n"
    }

    public static func table(_ points: [SweepPoint], plan: SweepPlan, markdown: Bool) -> String {
        render(points, plan: plan, format: markdown ? .md : .text)
    }

    /// One point's row of the table.
    static func row(_ p: SweepPoint) -> [String] {
        var r = [String(p.index)] + p.assignment.map { SweepPoint.text($0.value) } + [p.status.rawValue]
        if let step = p.metric("stepTimeSeconds") {
            let cur = field(p, "cost.currency")
            r += [Fmt.secs(step), p.metric("mfu").map(Fmt.pct) ?? "", p.metric("trainingDays").map { Fmt.fixed($0, 1) } ?? "",
                  p.metric("wholeRun.expectedDays").map { Fmt.fixed($0, 1) } ?? "",
                  p.metric("cost.total").map { Fmt.money($0, cur) } ?? "",
                  p.metric("memory.peakGiBPerDevice").map { Fmt.fixed($0, 1) } ?? ""]
        } else {
            // Not simulated (`--skip-out-of-memory`): its memory, without step figures.
            r += ["", "", "", "", "", p.metric("memory.peakGiBPerDevice").map { Fmt.fixed($0, 1) } ?? ""]
        }
        r.append(p.reason ?? "")
        return r
    }

    static func table(_ entries: Entries, plan: SweepPlan, markdown: Bool, to emit: @escaping (String) throws -> Void) throws {
        let header = ["#"] + plan.axes.map(\.shortName) + ["status", "step", "MFU", "days", "with failures", "cost", "memory GiB", "note"]
        // Numbers right-aligned: the index, numeric axes and the metrics; words and reasons left.
        var right: Set<Int> = [0]
        for (k, axis) in plan.axes.enumerated() where axis.values.allSatisfy({ if case .number = $0 { return true }; return false }) {
            right.insert(k + 1)
        }
        let metrics = plan.axes.count + 2
        right.formUnion(metrics..<(metrics + 6))
        // Plain text needs a first pass: the header line's counts and the column widths. It makes
        // each row then, measures it and keeps it in a temporary file (`RowSpool`), and the second
        // pass pads and writes the rows from there: the points are read once. Markdown needs
        // neither, so it writes each row as it reads its point. The fastest is found in the pass
        // that reads the points; the topology tables that follow the rows are made there too, into
        // a temporary file (`TopologyTables`), so that no pass reads the points only for them.
        var layout = TextTable.Layout(header: header, markdown: markdown, rightAligned: right)
        let topologies = try TopologyTables(plan: plan, markdown: markdown)
        var fastest = Fastest<TableEntry>()
        if !markdown {
            let spool = try RowSpool()
            var count = 0, working = 0
            var name: String?
            try entries { e in
                if count == 0 { name = e.name }
                count += 1
                if e.works { working += 1 }
                fastest.consider(e, works: e.works, step: e.step)
                layout.measure(e.cells)
                try spool.add(e.cells)
                try topologies?.add(e)
            }
            if count > 0, let name {
                try emit("sweep \(name): \(count) of \(plan.count) points, \(working) work\n\n")
            }
            try emit(layout.headerLines())
            try spool.forEach { try emit(layout.line($0)) }
        } else {
            try emit(layout.headerLines())
            try entries { e in
                fastest.consider(e, works: e.works, step: e.step)
                try emit(layout.line(e.cells))
                try topologies?.add(e)
            }
        }
        if let best = fastest.item {
            try emit("\nfastest: #\(best.index) (\(label(best.cells, plan: plan)))" + (best.step.map { ", " + Fmt.secs($0) + " per step" } ?? "") + "\n")
        }
        try topologies?.finish(to: emit)
    }

    /// The working point with the shortest step seen so far (the first seen on ties), as a table
    /// entry or as a point.
    struct Fastest<Item> {
        private(set) var item: Item?
        private var step = Double.infinity
        mutating func consider(_ x: Item, works: Bool, step t: Double?) {
            guard works, let t, item == nil || t < step else { return }
            item = x; step = t
        }
    }

    /// The working point with the shortest step (lowest index on ties).
    public static func best(_ points: [SweepPoint]) -> SweepPoint? {
        var f = Fastest<SweepPoint>()
        for p in points { f.consider(p, works: p.status == .ok, step: p.metric("stepTimeSeconds")) }
        return f.item
    }
}

/// Aligned plain-text or Markdown tables.
public enum TextTable {
    public static func render(header: [String], rows: [[String]], markdown: Bool, rightAligned: Set<Int> = []) -> String {
        var layout = Layout(header: header, markdown: markdown, rightAligned: rightAligned)
        if !markdown { for r in rows { layout.measure(r) } }
        return layout.headerLines() + rows.map(layout.line).joined()
    }

    /// A table written row by row: plain text needs every row measured first (`measure`), then
    /// each row is formatted alone; Markdown needs no widths.
    public struct Layout {
        let header: [String]
        let markdown: Bool
        let rightAligned: Set<Int>
        private var width: [Int]

        public init(header: [String], markdown: Bool, rightAligned: Set<Int>) {
            self.header = header; self.markdown = markdown; self.rightAligned = rightAligned
            width = header.map(\.count)
        }

        public mutating func measure(_ r: [String]) {
            for (i, c) in r.enumerated() where i < width.count { width[i] = max(width[i], c.count) }
        }

        /// The header (and, in Markdown, its rule).
        public func headerLines() -> String {
            guard markdown else { return line(header) }
            return line(header) + "|" + header.indices.map { rightAligned.contains($0) ? "---:" : "---" }.joined(separator: "|") + "|\n"
        }

        public func line(_ cells: [String]) -> String {
            if markdown {
                func esc(_ s: String) -> String { s.replacingOccurrences(of: "|", with: "\\|") }
                return "| " + cells.map(esc).joined(separator: " | ") + " |\n"
            }
            // Cells padded to their column's width, two spaces apart, appended to one string.
            var text = ""
            text.reserveCapacity(width.reduce(2 * cells.count) { $0 + $1 } + 1)
            for (i, c) in cells.enumerated() {
                if i > 0 { text += "  " }
                let pad = max(0, (i < width.count ? width[i] : 0) - c.count)
                if rightAligned.contains(i) {
                    Self.appendSpaces(pad, to: &text)
                    text += c
                } else {
                    text += c
                    if i < cells.count - 1 { Self.appendSpaces(pad, to: &text) }
                }
            }
            // Without trailing white space (a regular expression here took a fifth of a large
            // sweep's text rendering).
            while let c = text.last, c.isWhitespace { text.removeLast() }
            return text + "\n"
        }

        /// Runs of spaces up to 64 long, made once: padding appends them rather than making a
        /// string of spaces per cell.
        private static let spaces: [String] = (0...64).map { String(repeating: " ", count: $0) }

        private static func appendSpaces(_ n: Int, to text: inout String) {
            var n = n
            while n > 64 { text += spaces[64]; n -= 64 }
            text += spaces[n]
        }
    }
}
