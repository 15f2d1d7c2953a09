import Foundation

/// Deterministic JSON output: keys in the order given, numbers printed the shortest way that
/// round-trips, so the same input gives byte-identical reports.
public enum JSONWriter {
    public static func write(_ v: JSONValue, pretty: Bool = true) -> String {
        String(decoding: bytes(v, pretty: pretty), as: UTF8.self)
    }

    /// The document as UTF-8 bytes. Written as bytes, not appended to a String piece by piece
    /// (which costs more than the rest of a sweep point's encoding).
    public static func bytes(_ v: JSONValue, pretty: Bool = true) -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(1024)
        emit(v, into: &out, indent: pretty ? 0 : nil)
        return out
    }

    public static func number(_ d: Double) -> String {
        if !d.isFinite { return "null" }
        if d == d.rounded(), abs(d) < 1e15 { return String(Int64(d)) }
        return "\(d)"
    }

    private static func append(_ s: String, to out: inout [UInt8]) {
        var s = s
        s.withUTF8 { out.append(contentsOf: $0) }
    }

    private static func append(_ s: StaticString, to out: inout [UInt8]) {
        out.append(contentsOf: UnsafeBufferPointer(start: s.utf8Start, count: s.utf8CodeUnitCount))
    }

    private static func indent(_ n: Int, _ out: inout [UInt8]) {
        for _ in 0..<(2 * n) { out.append(0x20) }
    }

    private static func emit(_ v: JSONValue, into out: inout [UInt8], indent: Int?) {
        switch v {
        case .null: append("null", to: &out)
        case let .bool(b): append(b ? "true" : "false", to: &out)
        case let .number(d): append(number(d), to: &out)
        case let .string(s): quoteBytes(s, into: &out)
        case let .array(items):
            if items.isEmpty { append("[]", to: &out); return }
            let scalarOnly = items.allSatisfy { if case .object = $0 { return false }; if case .array = $0 { return false }; return true }
            if indent == nil || scalarOnly {
                out.append(0x5B)
                for (k, it) in items.enumerated() {
                    if k > 0 { append(indent == nil ? "," : ", ", to: &out) }
                    emit(it, into: &out, indent: nil)
                }
                out.append(0x5D)
                return
            }
            let ind = indent!
            append("[\n", to: &out)
            for (k, it) in items.enumerated() {
                Self.indent(ind + 1, &out)
                emit(it, into: &out, indent: ind + 1)
                append(k + 1 < items.count ? ",\n" : "\n", to: &out)
            }
            Self.indent(ind, &out)
            out.append(0x5D)
        case let .object(pairs):
            if pairs.isEmpty { append("{}", to: &out); return }
            guard let ind = indent else {
                out.append(0x7B)
                for (k, (key, val)) in pairs.enumerated() {
                    if k > 0 { out.append(0x2C) }
                    quoteBytes(key, into: &out)
                    out.append(0x3A)
                    emit(val, into: &out, indent: nil)
                }
                out.append(0x7D)
                return
            }
            append("{\n", to: &out)
            for (k, (key, val)) in pairs.enumerated() {
                Self.indent(ind + 1, &out)
                quoteBytes(key, into: &out)
                append(": ", to: &out)
                emit(val, into: &out, indent: ind + 1)
                append(k + 1 < pairs.count ? ",\n" : "\n", to: &out)
            }
            Self.indent(ind, &out)
            out.append(0x7D)
        }
    }

    /// Appends `s` as a JSON string: '"', '\\' and control characters escaped, every other byte
    /// as it is (a multi-byte UTF-8 sequence has no byte below 0x80). Most strings need no escape
    /// and are appended whole.
    private static func quoteBytes(_ s: String, into out: inout [UInt8]) {
        var s = s
        s.withUTF8 { u in
            out.append(0x22)
            guard u.contains(where: { $0 < 0x20 || $0 == 0x22 || $0 == 0x5C }) else {
                out.append(contentsOf: u)
                out.append(0x22)
                return
            }
            let hex = Array("0123456789abcdef".utf8)
            for c in u {
                switch c {
                case 0x22: out += [0x5C, 0x22]
                case 0x5C: out += [0x5C, 0x5C]
                case 0x0A: out += [0x5C, 0x6E]
                case 0x0D: out += [0x5C, 0x72]
                case 0x09: out += [0x5C, 0x74]
                case 0..<0x20: out += [0x5C, 0x75, 0x30, 0x30, hex[Int(c >> 4)], hex[Int(c & 15)]]
                default: out.append(c)
                }
            }
            out.append(0x22)
        }
    }
}
