/// Values outside a projection (`JSONParser.parse(bytes:keeping:)`): checked for syntax as the
/// full reader checks them, and skipped without being built.
extension JSONParser {
    /// Moves past one value, checking its syntax without building it.
    mutating func skipValue() throws(JSONSyntaxError) {
        guard i < bytes.count else { throw fail("unexpected end of file") }
        switch bytes[i] {
        case UInt8(ascii: "{"), UInt8(ascii: "["):
            let isObject = bytes[i] == UInt8(ascii: "{")
            let close = isObject ? UInt8(ascii: "}") : UInt8(ascii: "]")
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

    /// Moves past a number without reading its value when it is a plain JSON decimal with an
    /// exponent of at most two digits (what `number()` accepts in every such case); anything else
    /// is read by `number()`, which accepts or refuses it as it would a kept value. Apart from
    /// `exactDecimal`'s grammar because it computes nothing: reading the value (as `exactDecimal`
    /// does) made skipping half again as costly on a sweep's journal (callgrind).
    mutating func skipNumber() throws(JSONSyntaxError) {
        let end = numberEnd(from: i)
        var k = i
        func digits() -> Bool {
            let d = k
            while k < end, bytes[k] >= 48, bytes[k] <= 57 { k += 1 }
            return k > d
        }
        if bytes[k] == UInt8(ascii: "-") { k += 1 }
        let first = k
        var plain = digits() && !(k - first > 1 && bytes[first] == 48)
        if plain, k < end, bytes[k] == UInt8(ascii: ".") { k += 1; plain = digits() }
        if plain, k < end, bytes[k] == UInt8(ascii: "e") || bytes[k] == UInt8(ascii: "E") {
            k += 1
            if k < end, bytes[k] == UInt8(ascii: "+") || bytes[k] == UInt8(ascii: "-") { k += 1 }
            let e = k
            // Exponents of three digits or more are read, to refuse those out of a double's range.
            plain = digits() && k - e <= 2
        }
        if plain, k == end { i = end } else { _ = try number() }
    }

    /// Moves past a string (`i` at its opening quote); one with an escape is read by `string()`,
    /// which checks the escape (and builds the string, thrown away).
    mutating func skipString() throws(JSONSyntaxError) {
        let quote = i
        i = plainRunEnd(from: i + 1)
        guard i < bytes.count else { throw fail("unterminated string") }
        switch bytes[i] {
        case UInt8(ascii: "\""): i += 1
        case UInt8(ascii: "\\"): i = quote; _ = try string()
        default: throw fail("control character inside a string")
        }
    }

    /// The first index from `k` on whose byte ends a string's plain run (a quote, a backslash or a
    /// control character), or `bytes.count`: eight bytes at a time.
    func plainRunEnd(from k: Int) -> Int {
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
}
