/// Bit-level conversions between binary32 and the 16-bit types, written with integer arithmetic only.
///
/// These are the definitions every kernel path must reproduce: widening is exact; narrowing rounds to nearest,
/// ties to even, handles subnormals exactly (no flush to zero), overflows to infinity, and turns a NaN into a
/// quiet NaN with the same sign and the upper bits of its payload.
public enum BFloat16Bits {
    /// The binary32 value of a bfloat16 bit pattern (exact).
    @inlinable public static func float(_ bits: UInt16) -> Float { Float(bitPattern: UInt32(bits) << 16) }

    /// The bfloat16 bit pattern nearest to `value` (ties to even).
    @inlinable public static func bits(_ value: Float) -> UInt16 {
        let u = value.bitPattern
        if u & 0x7fff_ffff > 0x7f80_0000 { return UInt16(truncatingIfNeeded: u >> 16) | 0x0040 }
        return UInt16(truncatingIfNeeded: (u &+ 0x7fff &+ ((u >> 16) & 1)) >> 16)
    }
}

/// See ``BFloat16Bits``; the same rules for IEEE binary16.
public enum Float16Bits {
    /// The binary32 value of a binary16 bit pattern (exact).
    public static func float(_ bits: UInt16) -> Float {
        let sign = UInt32(bits & 0x8000) << 16
        let exponent = UInt32(bits >> 10) & 0x1f
        var mantissa = UInt32(bits & 0x3ff)
        if exponent == 0x1f { return Float(bitPattern: sign | 0x7f80_0000 | (mantissa << 13)) }
        if exponent != 0 { return Float(bitPattern: sign | ((exponent + 112) << 23) | (mantissa << 13)) }
        if mantissa == 0 { return Float(bitPattern: sign) }
        // Subnormal half: normalize into a binary32 exponent.
        var e: UInt32 = 113
        while mantissa & 0x400 == 0 {
            mantissa <<= 1
            e -= 1
        }
        return Float(bitPattern: sign | (e << 23) | ((mantissa & 0x3ff) << 13))
    }

    /// The binary16 bit pattern nearest to `value` (ties to even).
    public static func bits(_ value: Float) -> UInt16 {
        let u = value.bitPattern
        let sign = UInt16(truncatingIfNeeded: (u >> 16) & 0x8000)
        let a = u & 0x7fff_ffff
        if a > 0x7f80_0000 { return sign | 0x7e00 | UInt16(truncatingIfNeeded: (a >> 13) & 0x3ff) }
        if a >= 0x477f_f000 { return sign | 0x7c00 }  // 65520 and above round to infinity
        let exponent = a >> 23
        if exponent >= 113 {  // normal half
            let rounded = a &+ 0xfff &+ ((a >> 13) & 1) &- 0x3800_0000
            return sign | UInt16(truncatingIfNeeded: rounded >> 13)
        }
        // Subnormal half or zero: the result is round(value * 2^24) as an integer mantissa (up to 0x400).
        if exponent < 102 { return sign }  // below 2^-25 (a tie at 2^-25 goes to even, zero)
        let significand = (a & 0x7f_ffff) | 0x80_0000
        let shift = 126 - exponent  // 14 ... 24
        var q = significand >> shift
        let remainder = significand & ((1 << shift) - 1)
        let half: UInt32 = 1 << (shift - 1)
        if remainder > half || (remainder == half && q & 1 == 1) { q += 1 }
        return sign | UInt16(truncatingIfNeeded: q)
    }
}
