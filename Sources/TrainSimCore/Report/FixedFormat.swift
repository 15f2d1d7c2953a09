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
