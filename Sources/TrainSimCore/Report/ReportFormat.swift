import Foundation

/// Output formats every verb supports.
public enum ReportFormat: String, Sendable, CaseIterable {
    case text, json, csv, md
}

/// Flattens a report object into dotted scalar columns (lists are left out), for CSV rows.
public func flattenReport(_ v: JSONValue, prefix: String = "") -> [(String, String)] {
    guard case let .object(pairs) = v else { return [] }
    var out: [(String, String)] = []
    for (k, val) in pairs {
        let key = prefix.isEmpty ? k : prefix + "." + k
        switch val {
        case .object: out += flattenReport(val, prefix: key)
        case .array: continue
        case let .number(d): out.append((key, JSONWriter.number(d)))
        case let .string(s): out.append((key, s))
        case let .bool(b): out.append((key, b ? "true" : "false"))
        case .null: out.append((key, ""))
        }
    }
    return out
}

/// Quotes a CSV field when it needs it.
public func csvField(_ s: String) -> String {
    // One pass over the bytes: a comma, a quote or a line break needs quoting.
    guard s.utf8.contains(where: { $0 == 0x2C || $0 == 0x22 || $0 == 0x0A || $0 == 0x0D }) else { return s }
    return "\"" + s.replacingOccurrences(of: "\"", with: "\"\"") + "\""
}

/// Human-friendly number formatting for text and markdown reports.
public enum Fmt {
    public static func num(_ x: Double, _ digits: Int = 3) -> String {
        if x == 0 { return "0" }
        let a = abs(x)
        if a >= 100 && a < 1e15 { return grouped(x.rounded()) }
        return general(x, digits)
    }
    /// `x` as an integer with thousands separators (-1,234,567). Written over bytes: reversing a
    /// String made the Swift runtime build `ReversedCollection<String>`'s metadata on first use, a
    /// look through every protocol conformance in the binary (0.4 M instructions of a 12 M
    /// instruction run, callgrind).
    public static func grouped(_ x: Double) -> String {
        let text = Array(String(Int64(x)).utf8)
        let start = text.first == UInt8(ascii: "-") ? 1 : 0
        let n = text.count - start
        var out = [UInt8]()
        out.reserveCapacity(text.count + n / 3)
        if start == 1 { out.append(UInt8(ascii: "-")) }
        for i in 0..<n {
            if i > 0 && (n - i) % 3 == 0 { out.append(UInt8(ascii: ",")) }
            out.append(text[start + i])
        }
        return String(decoding: out, as: UTF8.self)
    }
    /// `parts` joined by `separator`: a loop over the array, since the standard library's
    /// `joined(separator:)` runs unspecialized here and looks up its associated types through the
    /// runtime on first use (0.27 M instructions, callgrind).
    public static func joined(_ parts: [String], _ separator: String) -> String {
        var out = ""
        for i in parts.indices {
            if i > 0 { out += separator }
            out += parts[i]
        }
        return out
    }
    public static func pct(_ x: Double) -> String { fixed(x * 100, 1) + " %" }
    public static func secs(_ x: Double) -> String {
        if x == 0 { return "0 s" }
        if x < 1e-3 { return fixed(x * 1e6, 1) + " us" }
        if x < 1 { return fixed(x * 1e3, 1) + " ms" }
        return fixed(x, 3) + " s"
    }
    public static func bytes(_ x: Double) -> String {
        let units = ["B", "KiB", "MiB", "GiB", "TiB"]
        var v = x, u = 0
        while v >= 1024 && u < units.count - 1 { v /= 1024; u += 1 }
        return fixed(v, u == 0 ? 0 : 1) + " " + units[u]
    }
    public static func money(_ x: Double, _ cur: String) -> String {
        let sym = cur == "CNY" ? "CNY " : "USD "
        if x >= 1e6 { return sym + fixed(x / 1e6, 2) + " M" }
        return sym + grouped(x.rounded())
    }
}
