/// Numbers: scanned as one run of number characters, read exactly by Clinger's fast path when
/// they are plain decimals, and by the C library's correctly rounded reader otherwise.
extension JSONParser {
    mutating func number() throws(JSONSyntaxError) -> Double {
        let start = i
        i = numberEnd(from: i)
        if let d = Self.exactDecimal(bytes, start, i) { return d }
        let text = String(decoding: bytes[start..<i], as: UTF8.self)
        guard let d = Double(text), let last = bytes[start..<i].last, last >= 48 && last <= 57 else { i = start; throw fail("bad number '\(text)'") }
        guard d.isFinite else { i = start; throw fail("number '\(text)' is too large") }
        return d
    }

    /// Where the run of number characters (an optional minus, then digits, '.', 'e', 'E', '+',
    /// '-') that starts at `k` ends: what `number()` reads.
    func numberEnd(from k: Int) -> Int {
        var k = k
        if bytes[k] == UInt8(ascii: "-") { k += 1 }
        while k < bytes.count {
            let b = bytes[k]
            if (b >= 48 && b <= 57) || b == UInt8(ascii: ".") || b == UInt8(ascii: "e") || b == UInt8(ascii: "E")
                || b == UInt8(ascii: "+") || b == UInt8(ascii: "-") { k += 1 } else { break }
        }
        return k
    }

    /// Exact powers of ten as doubles (10^22 is the last one a double holds exactly).
    private static let powersOfTen: [Double] = (0...22).map { k in (0..<k).reduce(1.0) { x, _ in x * 10 } }

    /// The number in bytes[a..<b] when it is a plain decimal (optional minus, digits, optional
    /// fraction and exponent) whose digits make an integer below 2^53 and whose scale is at most
    /// 22 powers of ten: then the integer and the power are exact and one multiply or divide gives
    /// the correctly rounded double (Clinger 1990, the fast path of every correct reader), the same
    /// double `strtod` gives. nil for anything else, which the caller reads the slow way.
    static func exactDecimal(_ bytes: [UInt8], _ a: Int, _ b: Int) -> Double? {
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
}
