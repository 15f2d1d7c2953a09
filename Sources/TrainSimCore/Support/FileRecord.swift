import Foundation

/// Every file system question a load asked and the answer it got (see ``FileSource``), packed
/// into bytes that rank 0 sends to the other ranks.
public struct FileRecord: Sendable, Equatable {
    public enum Kind: UInt8, Sendable, Equatable { case none = 0, file = 1, directory = 2 }

    /// The outcome of reading a file.
    public enum Read: Sendable, Equatable {
        case bytes(Data)
        case missing
        case directory
        case unreadable(String)
        case tooLarge
        /// A replaying rank asked for a file rank 0 did not read (a bug: rank 0 reads everything first).
        case notShared
    }

    /// The largest input file trainsim reads (64 MiB): a bigger one is not an experiment or data file.
    public static let maxFileBytes = 64 << 20

    /// trainsim's home folder (its `Topologies/`), if found: nil until asked, then .some(path or nil).
    public var home: String??
    public var currentDirectory: String?
    public var kinds: [String: Kind] = [:]
    public var listings: [String: [String]] = [:]
    public var reads: [String: Read] = [:]
    /// Questions a replaying rank asked that the record lacks (not sent).
    public var misses: [String] = []

    public init() {}

    /// The record as bytes (misses are not packed).
    public func packed() -> Data {
        var w = Writer()
        w.optional(home.map { $0 ?? "" }, present: home != nil)
        w.byte(home.map { $0 == nil ? 0 : 1 } ?? 0)
        w.optional(currentDirectory, present: currentDirectory != nil)
        w.int(kinds.count)
        for (k, v) in kinds.sorted(by: { $0.key < $1.key }) { w.string(k); w.byte(v.rawValue) }
        w.int(listings.count)
        for (k, v) in listings.sorted(by: { $0.key < $1.key }) {
            w.string(k)
            w.int(v.count)
            v.forEach { w.string($0) }
        }
        w.int(reads.count)
        for (k, v) in reads.sorted(by: { $0.key < $1.key }) {
            w.string(k)
            switch v {
            case let .bytes(d): w.byte(0); w.data(d)
            case .missing: w.byte(1)
            case .directory: w.byte(2)
            case let .unreadable(m): w.byte(3); w.string(m)
            case .tooLarge: w.byte(4)
            case .notShared: w.byte(5)
            }
        }
        return w.out
    }

    /// Unpacks ``packed()``; nil when the bytes are not a record.
    public init?(packed: Data) {
        var r = Reader(bytes: [UInt8](packed))
        guard let homePresent = r.byte(), let homeText = homePresent == 1 ? r.string() : "",
              let homeFound = r.byte() else { return nil }
        if homePresent == 1 { home = .some(homeFound == 1 ? homeText : nil) }
        guard let cwdPresent = r.byte() else { return nil }
        if cwdPresent == 1 {
            guard let c = r.string() else { return nil }
            currentDirectory = c
        }
        guard let nk = r.int() else { return nil }
        for _ in 0..<nk {
            guard let k = r.string(), let b = r.byte(), let v = Kind(rawValue: b) else { return nil }
            kinds[k] = v
        }
        guard let nl = r.int() else { return nil }
        for _ in 0..<nl {
            guard let k = r.string(), let n = r.int() else { return nil }
            var names: [String] = []
            for _ in 0..<n {
                guard let s = r.string() else { return nil }
                names.append(s)
            }
            listings[k] = names
        }
        guard let nr = r.int() else { return nil }
        for _ in 0..<nr {
            guard let k = r.string(), let tag = r.byte() else { return nil }
            switch tag {
            case 0: guard let d = r.data() else { return nil }; reads[k] = .bytes(Data(d))
            case 1: reads[k] = .missing
            case 2: reads[k] = .directory
            case 3: guard let m = r.string() else { return nil }; reads[k] = .unreadable(m)
            case 4: reads[k] = .tooLarge
            case 5: reads[k] = .notShared
            default: return nil
            }
        }
        guard r.atEnd else { return nil }
    }

    private struct Writer {
        var out = Data()
        mutating func byte(_ b: UInt8) { out.append(b) }
        mutating func int(_ i: Int) { withUnsafeBytes(of: UInt64(i).littleEndian) { out.append(contentsOf: $0) } }
        mutating func data(_ d: Data) { int(d.count); out.append(d) }
        mutating func string(_ s: String) { data(Data(s.utf8)) }
        mutating func optional(_ s: String?, present: Bool) {
            byte(present ? 1 : 0)
            if present, let s { string(s) }
        }
    }

    private struct Reader {
        let bytes: [UInt8]
        var at = 0
        var atEnd: Bool { at == bytes.count }
        mutating func byte() -> UInt8? {
            guard at < bytes.count else { return nil }
            defer { at += 1 }
            return bytes[at]
        }
        mutating func int() -> Int? {
            guard bytes.count - at >= 8 else { return nil }
            var v: UInt64 = 0
            for k in 0..<8 { v |= UInt64(bytes[at + k]) << (8 * UInt64(k)) }
            at += 8
            return v <= UInt64(Int.max) ? Int(v) : nil
        }
        mutating func data() -> ArraySlice<UInt8>? {
            guard let n = int(), n <= bytes.count - at else { return nil }
            defer { at += n }
            return bytes[at..<(at + n)]
        }
        mutating func string() -> String? { data().map { String(decoding: $0, as: UTF8.self) } }
    }
}
