import Foundation

/// Deterministic JSON output: keys in the order given, numbers printed the shortest way that
/// round-trips, so the same input gives byte-identical reports.
public enum JSONWriter {
    public static func write(_ v: JSONValue, pretty: Bool = true) -> String {
        var out = ""
        out.reserveCapacity(1024)
        emit(v, into: &out, indent: pretty ? 0 : nil)
        return out
    }

    public static func number(_ d: Double) -> String {
        if !d.isFinite { return "null" }
        if d == d.rounded(), abs(d) < 1e15 { return String(Int64(d)) }
        return "\(d)"
    }

    static func quote(_ s: String) -> String {
        var r = ""
        quote(s, into: &r)
        return r
    }

    /// Appends `s` as a JSON string. Most strings need no escape and are appended whole.
    static func quote(_ s: String, into r: inout String) {
        r += "\""
        if !s.utf8.contains(where: { $0 < 0x20 || $0 == 0x22 || $0 == 0x5C }) {
            r += s
            r += "\""
            return
        }
        for u in s.unicodeScalars {
            switch u {
            case "\"": r += "\\\""
            case "\\": r += "\\\\"
            case "\n": r += "\\n"
            case "\r": r += "\\r"
            case "\t": r += "\\t"
            default:
                if u.value < 0x20 { r += String(format: "\\u%04x", u.value) } else { r.unicodeScalars.append(u) }
            }
        }
        r += "\""
    }

    private static func emit(_ v: JSONValue, into out: inout String, indent: Int?) {
        switch v {
        case .null: out += "null"
        case let .bool(b): out += b ? "true" : "false"
        case let .number(d): out += number(d)
        case let .string(s): quote(s, into: &out)
        case let .array(items):
            if items.isEmpty { out += "[]"; return }
            let scalarOnly = items.allSatisfy { if case .object = $0 { return false }; if case .array = $0 { return false }; return true }
            if indent == nil || scalarOnly {
                out += "["
                for (k, it) in items.enumerated() { if k > 0 { out += indent == nil ? "," : ", " }; emit(it, into: &out, indent: nil) }
                out += "]"
                return
            }
            let ind = indent!
            out += "[\n"
            for (k, it) in items.enumerated() {
                out += String(repeating: "  ", count: ind + 1)
                emit(it, into: &out, indent: ind + 1)
                out += k + 1 < items.count ? ",\n" : "\n"
            }
            out += String(repeating: "  ", count: ind) + "]"
        case let .object(pairs):
            if pairs.isEmpty { out += "{}"; return }
            guard let ind = indent else {
                out += "{"
                for (k, (key, val)) in pairs.enumerated() {
                    if k > 0 { out += "," }
                    quote(key, into: &out)
                    out += ":"
                    emit(val, into: &out, indent: nil)
                }
                out += "}"
                return
            }
            out += "{\n"
            for (k, (key, val)) in pairs.enumerated() {
                out += String(repeating: "  ", count: ind + 1) + quote(key) + ": "
                emit(val, into: &out, indent: ind + 1)
                out += k + 1 < pairs.count ? ",\n" : "\n"
            }
            out += String(repeating: "  ", count: ind) + "}"
        }
    }
}
