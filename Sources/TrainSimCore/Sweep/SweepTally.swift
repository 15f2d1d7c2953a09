import Foundation

/// What rank 0 keeps of a sweep's points when it streams them: whether any works, and whether
/// every one is invalid for the same reason (a mistake in the file rather than a result). With
/// it, rank 0 needs no point after it is written, so its memory does not grow with the sweep.
public struct SweepTally: Sendable {
    public private(set) var count = 0
    public private(set) var anyWorks = false
    private var allInvalid = true
    private var sameReason = true
    /// The reason of the first point counted.
    public private(set) var reason: String?

    public init() {}

    public mutating func add(status: SweepPoint.Status, reason r: String?) {
        if count == 0 { reason = r } else if r != reason { sameReason = false }
        count += 1
        if status == .ok { anyWorks = true }
        if status != .invalid { allInvalid = false }
    }

    /// Every point counted is invalid, all for the same reason.
    public var allInvalidForOneReason: Bool { count > 0 && allInvalid && sameReason }

    /// A point as the rank that computed it sends it: its status, its reason, its sealed journal
    /// line (``SweepJournal/seal(_:experiment:)``) and, for a sweep printed as CSV, text or
    /// Markdown (`rows`), its CSV line or its line for the tables (``SweepOutput/rowLine(_:format:)``),
    /// so rank 0 formats no CSV and parses no report in full.
    /// Without `journal` (a sweep that writes no journal: CSV or a table to standard output) the
    /// journal line is left out (empty), and so is the work of writing it.
    /// `reports`: the tables compare topologies (``SweepOutput/comparesTopologies(_:)``).
    public static func encode(_ p: SweepPoint, experiment: String, rows: ReportFormat? = nil, reports: Bool = false, journal: Bool = true) -> Data {
        let line = journal ? SweepJournal.seal(bytes: JSONWriter.bytes(p.json, pretty: false), experiment: experiment) : []
        let reason = Array((p.reason ?? "").utf8)
        let row = rows.map { Array(SweepOutput.rowLine(p, format: $0, reports: reports).utf8) } ?? []
        var d = Data(capacity: line.count + reason.count + row.count + 10)
        d.append(UInt8(Status.allCases.firstIndex(of: p.status)!))
        d.append(p.reason == nil ? 0 : 1)
        withUnsafeBytes(of: UInt32(reason.count).littleEndian) { d.append(contentsOf: $0) }
        d.append(contentsOf: reason)
        withUnsafeBytes(of: UInt32(row.count).littleEndian) { d.append(contentsOf: $0) }
        d.append(contentsOf: row)
        d.append(contentsOf: line)
        return d
    }

    /// Reads what ``encode(_:experiment:rows:)`` wrote (`row` empty when no row was made).
    public static func decode(_ d: Data) -> (status: SweepPoint.Status, reason: String?, line: String, row: String) {
        d.withUnsafeBytes { raw -> (SweepPoint.Status, String?, String, String) in
            let status = Status.allCases[Int(raw[0])]
            let n = Int(UInt32(littleEndian: raw.loadUnaligned(fromByteOffset: 2, as: UInt32.self)))
            let reason = raw[1] == 0 ? nil : String(decoding: raw[6..<(6 + n)], as: UTF8.self)
            let m = Int(UInt32(littleEndian: raw.loadUnaligned(fromByteOffset: 6 + n, as: UInt32.self)))
            let rowStart = 10 + n
            return (status, reason, String(decoding: raw[(rowStart + m)...], as: UTF8.self),
                    String(decoding: raw[rowStart..<(rowStart + m)], as: UTF8.self))
        }
    }

    typealias Status = SweepPoint.Status
}
