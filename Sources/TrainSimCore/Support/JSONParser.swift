import Foundation

/// A strict JSON parser (RFC 8259) that reports line and column on errors and refuses
/// duplicate keys, binary data and absurd nesting instead of trapping.
public struct JSONParser {
    let bytes: [UInt8]
    var i = 0
    var depth = 0

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

    func fail(_ message: String) -> JSONSyntaxError {
        let (l, c) = position(i)
        return JSONSyntaxError(message: message, line: l, column: c)
    }

    mutating func skipSpace() {
        while i < bytes.count, bytes[i] == 32 || bytes[i] == 9 || bytes[i] == 10 || bytes[i] == 13 { i += 1 }
    }

    mutating func value(_ projection: JSONProjection? = nil) throws(JSONSyntaxError) -> JSONValue {
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

    mutating func enter() throws(JSONSyntaxError) {
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

    mutating func string() throws(JSONSyntaxError) -> String {
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
}

public struct JSONSyntaxError: Error, Sendable {
    public let message: String
    public let line: Int
    public let column: Int
}
