import Foundation

extension Fmt {
    private static let powersOfTen: [Double] = [1, 10, 100, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9]

    /// `x` with `digits` decimals, exactly as `String(format: "%.<digits>f", x)` prints it, at a
    /// fraction of its cost (Foundation's formatter takes about 70 k instructions a call, the
    /// largest part of a run's text report). glibc rounds the exact binary value half to even;
    /// here the scaled value is rounded in binary, which decides the same way unless it lies within
    /// a rounding error of a half: those values, and any too large for 64-bit integers or not
    /// finite, take `String(format:)` itself.
    public static func fixed(_ x: Double, _ digits: Int) -> String {
        guard digits >= 0, digits < powersOfTen.count else { return String(format: "%.\(digits)f", x) }
        let p = powersOfTen[digits]
        let y = abs(x) * p
        guard y.isFinite, y < 1e15 else { return String(format: "%.\(digits)f", x) }
        let below = y.rounded(.down)
        guard abs(y - below - 0.5) > 4e-16 * max(y, 1) else { return String(format: "%.\(digits)f", x) }
        let n = Int64(y - below < 0.5 ? below : below + 1)
        let scale = Int64(p)
        var s = x.sign == .minus ? "-" : ""
        s += String(n / scale)
        if digits > 0 {
            let frac = String(n % scale)
            s += "." + String(repeating: "0", count: digits - frac.count) + frac
        }
        return s
    }

    /// `x` with `digits` significant digits, exactly as `String(format: "%.<digits>g", x)` prints
    /// it, without Foundation's formatter: its first call in a process costs about 0.9 M
    /// instructions (casts of its arguments that look through every protocol conformance in the
    /// binary), 7 % of a whole `trainsim FILE` run (callgrind). C's %g takes the exponent X of the
    /// value rounded to `digits` significant digits and, where -4 <= X < digits, prints it as %f
    /// with digits - 1 - X decimals, trailing zeros and a bare point removed; that is done here with
    /// `fixed`, and the exponent is read off what `fixed` printed (so a value that rounds up to the
    /// next power of ten, 9.9996 to "10.00", is printed again with one decimal fewer). Exponents
    /// outside that range (%e form), and values `fixed` leaves to Foundation, take
    /// `String(format:)` itself.
    public static func general(_ x: Double, _ digits: Int = 3) -> String {
        let p = max(digits, 1)
        if x == 0 { return x.sign == .minus ? "-0" : "0" }
        guard x.isFinite else { return String(format: "%.\(digits)g", x) }
        var e = Int((log10(abs(x))).rounded(.down))
        for _ in 0..<3 {
            let decimals = p - 1 - e
            guard e >= -4, e < p, decimals < powersOfTen.count else { return String(format: "%.\(digits)g", x) }
            let s = fixed(abs(x), decimals)
            // The exponent of what was printed: digits before the point less one, or, below 1, the
            // position of the first non-zero digit after it, negated.
            let utf8 = Array(s.utf8)
            let point = utf8.firstIndex(of: UInt8(ascii: ".")) ?? utf8.count
            let printed: Int
            if utf8[0] != UInt8(ascii: "0") {
                printed = point - 1
            } else if point < utf8.count, let first = utf8[(point + 1)...].firstIndex(where: { $0 != UInt8(ascii: "0") }) {
                printed = point - first
            } else {
                return String(format: "%.\(digits)g", x)
            }
            if printed != e { e = printed; continue }
            var out = utf8
            if point < out.count {
                while out.last == UInt8(ascii: "0") { out.removeLast() }
                if out.last == UInt8(ascii: ".") { out.removeLast() }
            }
            return (x < 0 ? "-" : "") + String(decoding: out, as: UTF8.self)
        }
        return String(format: "%.\(digits)g", x)
    }

    /// `s` right-aligned in `width` characters, as `%<width>f` pads.
    public static func padded(_ s: String, _ width: Int) -> String {
        s.count >= width ? s : String(repeating: " ", count: width - s.count) + s
    }

    /// `s` cut or padded with spaces on the right to `width` characters, as Foundation's
    /// `padding(toLength:withPad: " ", startingAt: 0)` does, without its NSString round trip.
    public static func column(_ s: String, _ width: Int) -> String {
        let n = s.count
        return n >= width ? String(s.prefix(width)) : s + String(repeating: " ", count: width - n)
    }
}
