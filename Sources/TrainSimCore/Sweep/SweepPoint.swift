import Foundation

/// The result of one sweep point, as one JSON line:
/// `{"index":3,"point":{"parallelism.tp":4},"status":"ok","report":{...}}`. Failed points carry
/// `reason`. The line is the unit that MPI ranks send to rank 0, that streams to the output
/// file, and that `--resume` reads back.
public struct SweepPoint: Sendable {
    public enum Status: String, Sendable, CaseIterable {
        case ok
        /// Valid, but the plan does not fit in device memory (the report is kept).
        case outOfMemory = "out-of-memory"
        /// The plan does not multiply out or divide, or the point's input is wrong.
        case invalid
    }

    public var index: Int
    public var assignment: [(path: String, value: JSONValue)]
    public var status: Status
    public var reason: String?
    /// The report (`Analysis.reportJSON()` without the per-collective list), when simulated.
    public var report: JSONValue?

    public init(index: Int, assignment: [(path: String, value: JSONValue)], status: Status, reason: String?, report: JSONValue?) {
        self.index = index; self.assignment = assignment; self.status = status; self.reason = reason; self.report = report
    }

    /// A simulated point; `whole` adds the run with failures, restarts and checkpoints as a
    /// compact `wholeRun` object (the full section, with its sources, is `trainsim run`'s).
    public init(index: Int, assignment: [(path: String, value: JSONValue)], analysis a: Analysis, whole: WholeRun? = nil) {
        var reason: String?
        if !a.fits { reason = Self.outOfMemoryReason(a.step.memory, device: a.experiment.cluster.topology.device.name) }
        var report = a.reportJSON().removing("collectives")
        if let w = whole {
            func n(_ x: Double) -> JSONValue { .number(Analysis.round(x)) }
            report = report.setting([WholeRun.sectionName], to: .object([
                ("idealDays", n(w.idealDays)), ("expectedDays", n(w.expectedDays)), ("goodput", n(w.goodput)),
                ("deviceHours", n(w.deviceHours)), ("energyMWh", n(w.energyMWh)), ("cost", n(w.totalCost)),
            ]))
        }
        self.init(index: index, assignment: assignment, status: a.fits ? .ok : .outOfMemory, reason: reason, report: report)
    }

    /// A point whose plan does not fit and was not simulated (`trainsim sweep --skip-out-of-memory`):
    /// the reason a simulated one would give, and a report of its name, memory and plan only.
    public init(index: Int, assignment: [(path: String, value: JSONValue)], notSimulated e: Experiment, memory m: MemoryBreakdown, network: String) {
        let reason = Self.outOfMemoryReason(m, device: e.cluster.topology.device.name)
        let report = JSONValue.object([("name", .string(e.name)), ("memory", Analysis.memoryJSON(m)),
                                       ("plan", Analysis.planJSON(e, network: network, microBatches: e.microBatches))])
        self.init(index: index, assignment: assignment, status: .outOfMemory, reason: reason, report: report)
    }

    static func outOfMemoryReason(_ m: MemoryBreakdown, device: String) -> String {
        "needs \(Fmt.fixed(m.peakGiB, 1)) GiB per device; \(device) has \(Fmt.fixed(m.capacityGiB, 1)) GiB (out of memory)"
    }

    /// An error as a point's reason: key path and message, without the file name every point shares.
    public static func reason(_ error: TrainSimError) -> String {
        (error.path.map { $0.isEmpty ? "" : $0 + ": " } ?? "") + error.message.replacingOccurrences(of: "\n", with: " ")
    }

    public var json: JSONValue {
        var pairs: [(String, JSONValue)] = [
            ("index", .number(Double(index))),
            ("point", .object(assignment.map { ($0.path, $0.value) })),
            ("status", .string(status.rawValue)),
        ]
        if let reason { pairs.append(("reason", .string(reason))) }
        if let report { pairs.append(("report", report)) }
        return .object(pairs)
    }

    /// The point as one line of JSON, newline-terminated.
    public var jsonLine: String { JSONWriter.write(json, pretty: false) + "\n" }

    /// Reads a line written by `jsonLine`.
    public init(line: String) throws(TrainSimError) {
        try self.init(bytes: Array(line.utf8)[...])
    }

    /// Reads a line's UTF-8 bytes (without its newline); with `keeping`, builds only those parts
    /// of it (`SweepOutput.projection`: what the tables and CSV read), the rest checked and skipped.
    public init(bytes: ArraySlice<UInt8>, keeping projection: JSONProjection? = nil) throws(TrainSimError) {
        let v: JSONValue
        do { v = try JSONParser.parse(bytes: Array(bytes), keeping: projection) } catch { throw TrainSimError(path: "line", "not a JSON object") }
        try self.init(json: v)
    }

    /// Reads a parsed line. The index must be a whole number a Double holds exactly (below 2^53).
    public init(json v: JSONValue) throws(TrainSimError) {
        if case let .number(i)? = v["index"], !(i >= 0 && i < 9_007_199_254_740_992 && i == i.rounded()) {
            throw TrainSimError(path: "line", "index \(JSONWriter.number(i)) is not a point number (a whole number from 0 to 2^53)")
        }
        guard case let .number(i)? = v["index"],
              case let .object(point)? = v["point"],
              case let .string(s)? = v["status"], let status = Status(rawValue: s) else {
            throw TrainSimError(path: "line", "not a sweep result (needs index, point and status)")
        }
        var reason: String?
        if case let .string(r)? = v["reason"] { reason = r }
        self.init(index: Int(i), assignment: point.map { ($0.0, $0.1) }, status: status, reason: reason, report: v["report"])
    }

    /// A number from the report at a dotted path ("breakdown.compute").
    public func metric(_ path: String) -> Double? {
        guard case let .number(d)? = report?.value(dotted: path) else { return nil }
        return d
    }

    /// A short label of the point's axis values: "tp=4, topology=h800-ib".
    public var label: String {
        assignment.map { a in
            let k = a.path.split(separator: ".").last.map(String.init) ?? a.path
            return k + "=" + SweepPoint.text(a.value)
        }.joined(separator: ", ")
    }

    /// A JSON value as a table cell.
    public static func text(_ v: JSONValue) -> String {
        switch v {
        case let .string(s): return s
        case let .number(d): return JSONWriter.number(d)
        case let .bool(b): return b ? "true" : "false"
        case .null: return "null"
        default: return JSONWriter.write(v, pretty: false)
        }
    }
}
