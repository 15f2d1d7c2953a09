import Foundation

extension SweepOutput {
    /// A point as the tables (text, Markdown) show it: its row's cells, formatted; whether it
    /// works and its step time (the header's counts and the fastest point); its report's name (the
    /// header); and, where the sweep compares topologies (`comparesTopologies`), the report fields
    /// the topology tables read (`projection`). The rank that computes a point makes its entry, and sends it as one line
    /// (`line`), so that rank 0 of a sweep neither formats a row nor parses a report (unless the
    /// topology tables need it): it measures, pads and writes. A table rendered from points in
    /// memory (`render`, `--html`) goes through the same entries.
    public struct TableEntry: Sendable, Equatable {
        public var index: Int
        public var works: Bool
        public var cells: [String]
        /// The step of a working point.
        public var step: Double?
        /// The report's `name`, as text.
        public var name: String?
        /// The report as the topology tables read it, where the sweep compares topologies.
        public var report: JSONValue?

        /// `reports`: the sweep compares topologies (`comparesTopologies`), so the entry keeps
        /// the report; `projected`: as `projection` leaves it (what rank 0 reads), while a point
        /// in memory may pass its whole report, which renders the same (JSONProjectionTests).
        public init(_ p: SweepPoint, reports: Bool, projected: Bool = true) {
            index = p.index
            works = p.status == .ok
            cells = SweepOutput.row(p)
            step = works ? p.metric("stepTimeSeconds") : nil
            name = p.report?["name"].map(SweepPoint.text)
            if reports, p.report != nil {
                report = projected ? SweepOutput.projection.apply(p.json)["report"] : p.report
            }
        }

        /// The entry as one line of JSON (with its newline).
        public var line: String {
            var fields: [(String, JSONValue)] = [("index", .number(Double(index))), ("works", .bool(works)),
                                                 ("cells", .array(cells.map { .string($0) }))]
            if let step { fields.append(("step", .number(step))) }
            if let name { fields.append(("name", .string(name))) }
            if let report { fields.append(("report", report)) }
            return JSONWriter.write(.object(fields), pretty: false) + "\n"
        }

        /// Reads what `line` wrote (without its newline).
        public init(line bytes: ArraySlice<UInt8>) throws {
            let v: JSONValue
            do { v = try JSONParser.parse(bytes: Array(bytes)) } catch { throw TrainSimError(path: "table line", "\(error)") }
            guard case let .number(i)? = v["index"], case let .bool(w)? = v["works"], case let .array(c)? = v["cells"] else {
                throw TrainSimError(path: "table line", "not a sweep table entry (needs index, works and cells)")
            }
            index = Int(i)
            works = w
            cells = c.map { if case let .string(s) = $0 { return s }; return SweepPoint.text($0) }
            if case let .number(s)? = v["step"] { step = s }
            if case let .string(n)? = v["name"] { name = n }
            report = v["report"]
        }
    }

    static let topologyAxis = "cluster.topology"

    /// Table entries in index order, handed to `body` one at a time (as `Points`).
    public typealias Entries = (_ body: (TableEntry) throws -> Void) throws -> Void

    /// Writes the table (text or Markdown) of `entries` piece by piece to `emit`: the table
    /// ``write(_:plan:format:to:)`` writes for the points the entries were made from.
    public static func writeTable(_ entries: Entries, plan: SweepPlan, markdown: Bool, to emit: (String) throws -> Void) throws {
        try withoutActuallyEscaping(emit) { try table(entries, plan: plan, markdown: markdown, to: $0) }
    }

    /// "tp=4, topology=h800-ib": a point's axis values with the last part of each axis's path,
    /// from its row's cells (the index, then the axis values).
    static func label(_ cells: [String], plan: SweepPlan) -> String {
        plan.axes.enumerated().map { k, a in a.shortName + "=" + (k + 1 < cells.count ? cells[k + 1] : "") }.joined(separator: ", ")
    }
}
