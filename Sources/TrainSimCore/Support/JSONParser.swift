import Foundation

/// A strict JSON parser (RFC 8259) that reports line and column on errors and refuses
/// duplicate keys, binary data and absurd nesting instead of trapping.
public struct JSONParser {
    private let bytes: [UInt8]
    private var i = 0
    private var depth = 0

    public static func parse(_ data: Data) throws(JSONSyntaxError) -> JSONValue {
        try parse(bytes: [UInt8](data))
    }

    public static func parse(_ text: String) throws(JSONSyntaxError) -> JSONValue {
        try parse(bytes: Array(text.utf8))
    }

    /// Parses UTF-8 bytes. With `keeping`, only the values at the projection's key paths are built
    /// (`JSONProjection`); the others are checked for syntax and skipped, so that a reader that
    /// needs a few fields of a large document does not build (and free) the rest.
    public static func parse(bytes: [UInt8], keeping projection: JSONProjection? = nil) throws(JSONSyntaxError) -> JSONValue {
        var p = JSONParser(bytes: bytes)
        return try p.document(projection)
    }

    private init(bytes: [UInt8]) { self.bytes = bytes }

    private mutating func document(_ projection: JSONProjection?) throws(JSONSyntaxError) -> JSONValue {
        if bytes.isEmpty { throw JSONSyntaxError(message: "the file is empty", line: 1, column: 1) }
        if !Self.isASCIIText(bytes) {
            if bytes.contains(0) { throw JSONSyntaxError(message: "the file is binary, not JSON text", line: 1, column: 1) }
            if String(validating: bytes, as: UTF8.self) == nil {
                throw JSONSyntaxError(message: "the file is not UTF-8 text", line: 1, column: 1)
            }
        }
        var start = 0
        if bytes.count >= 3, bytes[0] == 0xEF, bytes[1] == 0xBB, bytes[2] == 0xBF { start = 3 }
        i = start
        skipSpace()
        if i >= bytes.count { throw fail("the file holds only white space") }
        let v = try value(projection)
        skipSpace()
        if i < bytes.count { throw fail("unexpected text after the JSON value") }
        return v
    }

    /// Whether every byte is ASCII and none is 0 (then the text is valid UTF-8 and not binary):
    /// eight bytes at a time, the common case of a document checked in one pass.
    static func isASCIIText(_ bytes: [UInt8]) -> Bool {
        bytes.withUnsafeBytes { raw in
            let n = raw.count
            var k = 0
            var high: UInt64 = 0, zero = false
            while k + 8 <= n {
                let w = raw.loadUnaligned(fromByteOffset: k, as: UInt64.self)
                high |= w
                // A zero byte in w (the classic has-zero-byte test).
                if (w &- 0x0101_0101_0101_0101) & ~w & 0x8080_8080_8080_8080 != 0 { zero = true }
                k += 8
            }
            while k < n { let b = raw[k]; high |= UInt64(b); if b == 0 { zero = true }; k += 1 }
            return high & 0x8080_8080_8080_8080 == 0 && !zero
        }
    }

    private func position(_ at: Int) -> (Int, Int) {
        var line = 1, col = 1
        for j in 0..<min(at, bytes.count) {
            if bytes[j] == 10 { line += 1; col = 1 } else { col += 1 }
        }
        return (line, col)
    }

    private func fail(_ message: String) -> JSONSyntaxError {
        let (l, c) = position(i)
        return JSONSyntaxError(message: message, line: l, column: c)
    }

    private mutating func skipSpace() {
        while i < bytes.count, bytes[i] == 32 || bytes[i] == 9 || bytes[i] == 10 || bytes[i] == 13 { i += 1 }
    }

    private mutating func value(_ projection: JSONProjection? = nil) throws(JSONSyntaxError) -> JSONValue {
        guard i < bytes.count else { throw fail("unexpected end of file") }
        switch bytes[i] {
        case UInt8(ascii: "{"): return try object(projection)
        case UInt8(ascii: "["): return try array()
        case UInt8(ascii: "\""): return .string(try string())
        case UInt8(ascii: "t"): try literal("true"); return .bool(true)
        case UInt8(ascii: "f"): try literal("false"); return .bool(false)
        case UInt8(ascii: "n"): try literal("null"); return .null
        case UInt8(ascii: "-"), UInt8(ascii: "0")...UInt8(ascii: "9"): return .number(try number())
        default:
            let b = bytes[i]
            if b == UInt8(ascii: "N") || b == UInt8(ascii: "I") { throw fail("NaN and Infinity are not JSON numbers") }
            throw fail("unexpected character '\(scalar(at: i))'")
        }
    }

    private mutating func literal(_ word: String) throws(JSONSyntaxError) {
        let w = Array(word.utf8)
        guard i + w.count <= bytes.count, Array(bytes[i..<(i + w.count)]) == w else {
            throw fail("unexpected text; expected \(word)")
        }
        i += w.count
    }

    private mutating func enter() throws(JSONSyntaxError) {
        depth += 1
        if depth > 64 { throw fail("nesting deeper than 64 levels") }
    }

    private mutating func object(_ projection: JSONProjection? = nil) throws(JSONSyntaxError) -> JSONValue {
        try enter(); defer { depth -= 1 }
        let keep = projection?.keys
        i += 1
        var pairs: [(String, JSONValue)] = []
        var seen = Set<String>()
        skipSpace()
        if i < bytes.count, bytes[i] == UInt8(ascii: "}") { i += 1; return .object(pairs) }
        while true {
            skipSpace()
            guard i < bytes.count, bytes[i] == UInt8(ascii: "\"") else { throw fail("expected a quoted key") }
            let keyStart = i
            let key = try string()
            // Small objects (nearly all) compare keys directly; large ones keep a set, so an
            // object of n keys costs O(n), not O(n^2).
            let duplicate: Bool
            if pairs.count < 16 {
                duplicate = pairs.contains { $0.0 == key }
            } else {
                if seen.isEmpty { seen = Set(pairs.lazy.map(\.0)) }
                duplicate = !seen.insert(key).inserted
            }
            if duplicate { i = keyStart; throw fail("duplicate key \"\(key)\"") }
            skipSpace()
            guard i < bytes.count, bytes[i] == UInt8(ascii: ":") else { throw fail("expected ':' after key \"\(key)\"") }
            i += 1
            skipSpace()
            if let keep {
                if let sub = keep[key] { pairs.append((key, try value(sub))) } else { try skipValue() }
            } else {
                pairs.append((key, try value()))
            }
            skipSpace()
            guard i < bytes.count else { throw fail("unexpected end of file inside an object") }
            if bytes[i] == UInt8(ascii: ",") { i += 1; continue }
            if bytes[i] == UInt8(ascii: "}") { i += 1; return .object(pairs) }
            throw fail("expected ',' or '}' in an object")
        }
    }

    private mutating func array() throws(JSONSyntaxError) -> JSONValue {
        try enter(); defer { depth -= 1 }
        i += 1
        var items: [JSONValue] = []
        skipSpace()
        if i < bytes.count, bytes[i] == UInt8(ascii: "]") { i += 1; return .array(items) }
        while true {
            skipSpace()
            items.append(try value())
            skipSpace()
            guard i < bytes.count else { throw fail("unexpected end of file inside a list") }
            if bytes[i] == UInt8(ascii: ",") { i += 1; continue }
            if bytes[i] == UInt8(ascii: "]") { i += 1; return .array(items) }
            throw fail("expected ',' or ']' in a list")
        }
    }

    private mutating func string() throws(JSONSyntaxError) -> String {
        i += 1
        // Fast path: no escape before the closing quote.
        let start = i
        i = plainRunEnd(from: i)
        if i < bytes.count, bytes[i] == UInt8(ascii: "\"") {
            i += 1
            return String(decoding: bytes[start..<(i - 1)], as: UTF8.self)
        }
        var out: [UInt8] = Array(bytes[start..<i])
        while i < bytes.count {
            let b = bytes[i]
            if b == UInt8(ascii: "\"") { i += 1; return String(decoding: out, as: UTF8.self) }
            if b < 0x20 { throw fail("control character inside a string") }
            if b == UInt8(ascii: "\\") {
                i += 1
                guard i < bytes.count else { break }
                let e = bytes[i]
                switch e {
                case UInt8(ascii: "\""): out.append(0x22)
                case UInt8(ascii: "\\"): out.append(0x5C)
                case UInt8(ascii: "/"): out.append(0x2F)
                case UInt8(ascii: "b"): out.append(0x08)
                case UInt8(ascii: "f"): out.append(0x0C)
                case UInt8(ascii: "n"): out.append(0x0A)
                case UInt8(ascii: "r"): out.append(0x0D)
                case UInt8(ascii: "t"): out.append(0x09)
                case UInt8(ascii: "u"):
                    let s = try unicodeEscape()
                    out.append(contentsOf: Array(String(Character(s)).utf8))
                    continue
                default: throw fail("bad escape in a string")
                }
                i += 1
                continue
            }
            out.append(b)
            i += 1
        }
        throw fail("unterminated string")
    }

    /// The four hex digits after `\u` (at `i`), as a number; `i` moves past them.
    private mutating func hex4() throws(JSONSyntaxError) -> UInt32 {
        var code: UInt32 = 0
        for k in 1...4 {
            guard i + k < bytes.count, let d = Self.hexDigit(bytes[i + k]) else {
                i -= 1  // at the backslash
                throw fail("bad \\u escape: \\u must be followed by four hex digits")
            }
            code = code << 4 | d
        }
        i += 5
        return code
    }

    private static func hexDigit(_ b: UInt8) -> UInt32? {
        switch b {
        case 48...57: return UInt32(b - 48)
        case 65...70: return UInt32(b - 55)
        case 97...102: return UInt32(b - 87)
        default: return nil
        }
    }

    /// A `\uXXXX` escape (`i` at the `u`), a UTF-16 surrogate pair taken together; a lone
    /// surrogate is an error rather than a replacement character.
    private mutating func unicodeEscape() throws(JSONSyntaxError) -> UnicodeScalar {
        let at = i - 1
        let code = try hex4()
        if code >= 0xDC00 && code <= 0xDFFF {
            i = at
            throw fail("lone low surrogate \\u\(Self.hex(code)) in a string (it must follow a high surrogate \\uD800-\\uDBFF)")
        }
        if code >= 0xD800 && code <= 0xDBFF {
            guard i + 1 < bytes.count, bytes[i] == UInt8(ascii: "\\"), bytes[i + 1] == UInt8(ascii: "u") else {
                i = at
                throw fail("lone high surrogate \\u\(Self.hex(code)) in a string (it must be followed by a low surrogate \\uDC00-\\uDFFF)")
            }
            i += 1
            let low = try hex4()
            guard low >= 0xDC00 && low <= 0xDFFF else {
                i = at
                throw fail("lone high surrogate \\u\(Self.hex(code)) in a string (it must be followed by a low surrogate \\uDC00-\\uDFFF)")
            }
            return UnicodeScalar(0x10000 + ((code - 0xD800) << 10) + (low - 0xDC00))!
        }
        return UnicodeScalar(code)!
    }

    private static func hex(_ code: UInt32) -> String {
        let h = String(code, radix: 16, uppercase: true)
        return String(repeating: "0", count: max(0, 4 - h.count)) + h
    }

    /// The whole character that starts at byte `at` (the text is valid UTF-8), for messages.
    private func scalar(at: Int) -> String {
        var end = at + 1
        while end < bytes.count, end < at + 4, bytes[end] & 0xC0 == 0x80 { end += 1 }
        return String(decoding: bytes[at..<end], as: UTF8.self)
    }

    private mutating func number() throws(JSONSyntaxError) -> Double {
        let start = i
        if bytes[i] == UInt8(ascii: "-") { i += 1 }
        while i < bytes.count {
            let b = bytes[i]
            if (b >= 48 && b <= 57) || b == UInt8(ascii: ".") || b == UInt8(ascii: "e") || b == UInt8(ascii: "E")
                || b == UInt8(ascii: "+") || b == UInt8(ascii: "-") { i += 1 } else { break }
        }
        if let d = Self.exactDecimal(bytes, start, i) { return d }
        let text = String(decoding: bytes[start..<i], as: UTF8.self)
        guard let d = Double(text), let last = bytes[start..<i].last, last >= 48 && last <= 57 else { i = start; throw fail("bad number '\(text)'") }
        guard d.isFinite else { i = start; throw fail("number '\(text)' is too large") }
        return d
    }

    /// Exact powers of ten as doubles (10^22 is the last one a double holds exactly).
    private static let powersOfTen: [Double] = (0...22).map { k in (0..<k).reduce(1.0) { x, _ in x * 10 } }

    /// The number in bytes[a..<b] when it is a plain decimal (optional minus, digits, optional
    /// fraction and exponent) whose digits make an integer below 2^53 and whose scale is at most
    /// 22 powers of ten: then the integer and the power are exact and one multiply or divide gives
    /// the correctly rounded double (Clinger 1990, the fast path of every correct reader), the same
    /// double `strtod` gives. nil for anything else, which the caller reads the slow way.
    private static func exactDecimal(_ bytes: [UInt8], _ a: Int, _ b: Int) -> Double? {
        bytes.withUnsafeBufferPointer { p -> Double? in
            var k = a
            let negative = p[k] == UInt8(ascii: "-")
            if negative { k += 1 }
            var mantissa: UInt64 = 0, digits = 0, scale = 0
            let first = k
            while k < b, p[k] >= 48, p[k] <= 57 {
                if digits > 0 || p[k] != 48 { digits += 1 }
                mantissa = mantissa &* 10 &+ UInt64(p[k] - 48); k += 1
            }
            // JSON's integer part: one digit, or digits not starting with 0.
            guard k > first, !(k - first > 1 && p[first] == 48) else { return nil }
            if k < b, p[k] == UInt8(ascii: ".") {
                k += 1
                let f = k
                while k < b, p[k] >= 48, p[k] <= 57 {
                    if digits > 0 || p[k] != 48 { digits += 1 }
                    mantissa = mantissa &* 10 &+ UInt64(p[k] - 48); scale -= 1; k += 1
                }
                guard k > f else { return nil }
            }
            if k < b, p[k] == UInt8(ascii: "e") || p[k] == UInt8(ascii: "E") {
                k += 1
                var sign = 1
                if k < b, p[k] == UInt8(ascii: "+") || p[k] == UInt8(ascii: "-") { sign = p[k] == UInt8(ascii: "-") ? -1 : 1; k += 1 }
                let e0 = k
                var e = 0
                while k < b, p[k] >= 48, p[k] <= 57, e < 10_000 { e = e * 10 + Int(p[k] - 48); k += 1 }
                guard k > e0 else { return nil }
                scale += sign * e
            }
            guard k == b, digits <= 15, mantissa < 1 << 53, abs(scale) <= 22 else { return nil }
            let m = Double(mantissa)
            let v = scale >= 0 ? m * powersOfTen[scale] : m / powersOfTen[-scale]
            return negative ? -v : v
        }
    }

    /// Moves past one value, checking its syntax without building it (`parse(bytes:keeping:)`).
    private mutating func skipValue() throws(JSONSyntaxError) {
        guard i < bytes.count else { throw fail("unexpected end of file") }
        switch bytes[i] {
        case UInt8(ascii: "{"), UInt8(ascii: "["):
            let close = bytes[i] == UInt8(ascii: "{") ? UInt8(ascii: "}") : UInt8(ascii: "]")
            let isObject = close == UInt8(ascii: "}")
            try enter(); defer { depth -= 1 }
            i += 1
            skipSpace()
            if i < bytes.count, bytes[i] == close { i += 1; return }
            while true {
                skipSpace()
                if isObject {
                    guard i < bytes.count, bytes[i] == UInt8(ascii: "\"") else { throw fail("expected a quoted key") }
                    try skipString()
                    skipSpace()
                    guard i < bytes.count, bytes[i] == UInt8(ascii: ":") else { throw fail("expected ':' after a key") }
                    i += 1
                    skipSpace()
                }
                try skipValue()
                skipSpace()
                guard i < bytes.count else { throw fail(isObject ? "unexpected end of file inside an object" : "unexpected end of file inside a list") }
                if bytes[i] == UInt8(ascii: ",") { i += 1; continue }
                if bytes[i] == close { i += 1; return }
                throw fail(isObject ? "expected ',' or '}' in an object" : "expected ',' or ']' in a list")
            }
        case UInt8(ascii: "\""): try skipString()
        case UInt8(ascii: "-"), UInt8(ascii: "0")...UInt8(ascii: "9"): try skipNumber()
        default: _ = try value()
        }
    }

    /// Moves past a number without reading its value when it is a plain JSON decimal (what
    /// `number()` accepts in every such case); anything else is read by `number()`, which accepts
    /// or rejects it as a kept value would be.
    private mutating func skipNumber() throws(JSONSyntaxError) {
        let start = i
        var k = i
        let n = bytes.count
        func digits() -> Bool {
            let d = k
            while k < n, bytes[k] >= 48, bytes[k] <= 57 { k += 1 }
            return k > d
        }
        if bytes[k] == UInt8(ascii: "-") { k += 1 }
        let first = k
        var plain = digits() && !(k - first > 1 && bytes[first] == 48)
        if plain, k < n, bytes[k] == UInt8(ascii: ".") { k += 1; plain = digits() }
        if plain, k < n, bytes[k] == UInt8(ascii: "e") || bytes[k] == UInt8(ascii: "E") {
            k += 1
            if k < n, bytes[k] == UInt8(ascii: "+") || bytes[k] == UInt8(ascii: "-") { k += 1 }
            let e = k
            // Exponents of three digits or more are read, to refuse those out of a double's range.
            plain = digits() && k - e <= 2
        }
        // A plain decimal ends where number() stops scanning too.
        if plain, k >= n || !(bytes[k] == UInt8(ascii: ".") || bytes[k] == UInt8(ascii: "e") || bytes[k] == UInt8(ascii: "E")
                             || bytes[k] == UInt8(ascii: "+") || bytes[k] == UInt8(ascii: "-")) {
            i = k
            return
        }
        i = start
        _ = try number()
    }

    /// Moves past a string (`i` at its opening quote), checking its escapes.
    /// The first index from `k` on whose byte ends a string's plain run (a quote, a backslash or a
    /// control character), or `bytes.count`: eight bytes at a time.
    private func plainRunEnd(from k: Int) -> Int {
        bytes.withUnsafeBytes { raw in
            let n = raw.count, ones: UInt64 = 0x0101_0101_0101_0101, highs: UInt64 = 0x8080_8080_8080_8080
            var k = k
            while k + 8 <= n {
                let w = raw.loadUnaligned(fromByteOffset: k, as: UInt64.self)
                let q = w ^ (ones &* 0x22), b = w ^ (ones &* 0x5C)
                // A zero byte in q or b (a quote or a backslash), or a byte below 0x20 in w.
                let hit = ((q &- ones) & ~q | (b &- ones) & ~b | (w &- ones &* 0x20) & ~w) & highs
                if hit != 0 { break }
                k += 8
            }
            while k < n { let c = raw[k]; if c == 0x22 || c == 0x5C || c < 0x20 { break }; k += 1 }
            return k
        }
    }

    private mutating func skipString() throws(JSONSyntaxError) {
        let quote = i
        i = plainRunEnd(from: i + 1)
        while i < bytes.count {
            let b = bytes[i]
            if b == UInt8(ascii: "\"") { i += 1; return }
            if b < 0x20 { throw fail("control character inside a string") }
            // An escape: the full reader checks it (and builds the string, thrown away).
            if b == UInt8(ascii: "\\") { i = quote; _ = try string(); return }
            i += 1
        }
        throw fail("unterminated string")
    }

}

public struct JSONSyntaxError: Error, Sendable {
    public let message: String
    public let line: Int
    public let column: Int
}
