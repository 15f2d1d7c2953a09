import Foundation

/// Streams sweep results to the output in point order as soon as every earlier point is done,
/// and reads a partly written output back for `--resume`. The file is always a run of
/// complete lines for points 0, 1, 2, ...; so a killed sweep leaves a valid prefix, and the
/// finished file is byte-identical however many ranks computed it, and whether or not it was resumed.
public struct SweepJournal: Sendable {
    /// Points already in the file (its prefix) and the next index to write.
    public private(set) var next: Int
    public let count: Int
    private var pending: [Int: String] = [:]

    /// A journal over `count` points whose first `written` points are in the file already and
    /// whose other finished lines (`held`, by index) wait for their turn.
    public init(count: Int, written: Int = 0, held: [Int: String] = [:]) {
        self.count = count
        next = written
        pending = held.filter { $0.key >= written }
    }

    /// Adds a finished point's line; returns the text that may now be appended (possibly empty).
    public mutating func add(index: Int, line: String) -> String {
        guard index >= next else { return "" }
        pending[index] = line
        return ready()
    }

    /// The lines that follow the written prefix without a gap (held lines from a resumed file).
    public mutating func ready() -> String {
        var out = ""
        while let l = pending.removeValue(forKey: next) {
            out += l
            next += 1
        }
        return out
    }

    public var isComplete: Bool { next >= count }

    /// What `--resume` found in an existing output.
    public struct Resumed: Sendable {
        /// Finished points by index, with their lines as written: those after the file's
        /// in-order prefix (all of them with the `Data` form of `resume`).
        public var lines: [Int: String]
        /// Points 0..<prefixCount are the file's first lines, in order.
        public var prefixCount: Int
        /// Bytes of those lines: the file is cut there before appending (drops a torn last line).
        public var prefixBytes: Int
        /// Nothing to resume from.
        public static let none = Resumed(lines: [:], prefixCount: 0, prefixBytes: 0)
    }

    /// The index of the first newline in bytes[from..<to] (memchr: a generic search of an array
    /// slice takes several instructions a byte, a tenth of a resume), or nil. Reading a resumed
    /// journal and the file of a sweep's table lines both find their lines with it.
    public static func newline(in bytes: [UInt8], from: Int, to: Int) -> Int? {
        bytes.withUnsafeBytes { raw -> Int? in
            guard from < to, to <= raw.count, let base = raw.baseAddress, let hit = memchr(base + from, 0x0A, to - from) else { return nil }
            return base.distance(to: UnsafeRawPointer(hit))
        }
    }

    /// Reads a journal written by an earlier run of the same sweep, for `--resume`, keeping every line.
    public static func resume(_ data: Data, plan: SweepPlan, experiment: String, file: String) throws(TrainSimError) -> Resumed {
        var whole: [UInt8]? = [UInt8](data)
        var prefix: [Int: String] = [:]
        var r = try resume(reading: { () throws(TrainSimError) -> [UInt8]? in defer { whole = nil }; return whole },
                           plan: plan, experiment: experiment, file: file) { p, line in prefix[p.index] = line }
        r.lines.merge(prefix) { a, _ in a }
        return r
    }

    /// Reads a journal written by an earlier run of the same sweep, for `--resume`, a piece at a
    /// time (`read` returns the next bytes, nil at the end), so a million-point journal is never
    /// in memory whole: the lines of the in-order prefix go to `prefixLine` as they are read, with
    /// the point the check decoded;
    /// only lines after a gap are kept. Every complete line must be a sealed result (see `seal`)
    /// of this experiment: a line that was edited, that another experiment wrote, or that is not
    /// a result is an error, never silently kept or dropped. The bytes after the last newline
    /// are a line torn by a kill or a full disk (perhaps in the middle of a UTF-8 character):
    /// they are dropped.
    /// `reports`: the points handed to `prefixLine` carry the report fields the tables and CSV
    /// read (`SweepOutput.projection`), read in the same pass as the check.
    public static func resume(reading read: () throws(TrainSimError) -> [UInt8]?, plan: SweepPlan, experiment: String, file: String,
                              reports: Bool = false,
                              prefixLine: (SweepPoint, String) throws(TrainSimError) -> Void) throws(TrainSimError) -> Resumed {
        var r = Resumed(lines: [:], prefixCount: 0, prefixBytes: 0)
        var inOrder = true
        var carry: [UInt8] = []
        var consumed = 0
        var lineNumber = 0
        while let piece = try read() {
            carry += piece
            var start = 0
            while let newline = Self.newline(in: carry, from: start, to: carry.count) {
                lineNumber += 1
                let line = carry[start..<newline]
                let p = try point(line, experiment: experiment, file: file, lineNumber: lineNumber, reports: reports)
                let at = "line \(lineNumber)"
                guard p.index < plan.count else {
                    throw TrainSimError(file: file, path: at, "point #\(p.index) is not in this sweep of \(plan.count) points; was the file written by another sweep?")
                }
                let expected = plan.assignment(p.index)
                guard expected.count == p.assignment.count,
                      zip(expected, p.assignment).allSatisfy({ $0.path == $1.path && $0.value == $1.value }) else {
                    throw TrainSimError(file: file, path: at, "point #\(p.index) (\(p.label)) is not point #\(p.index) of this sweep; was the file written by another sweep?")
                }
                let text = String(decoding: carry[start...newline], as: UTF8.self)
                start = newline + 1
                if inOrder, p.index == r.prefixCount {
                    try prefixLine(p, text)
                    r.prefixCount += 1
                    r.prefixBytes = consumed + start
                    continue
                }
                inOrder = false
                guard p.index >= r.prefixCount, r.lines[p.index] == nil else {
                    throw TrainSimError(file: file, path: at, "point #\(p.index) is in the file twice; trainsim writes each point once")
                }
                r.lines[p.index] = text
            }
            consumed += start
            carry.removeFirst(start)
        }
        return r
    }
}
