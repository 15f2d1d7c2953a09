import CollectiveKernels

/// A small deterministic generator (SplitMix64), so failures reproduce.
struct SplitMix64: RandomNumberGenerator {
    var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9e37_79b9_7f4a_7c15
        var z = state
        z = (z ^ (z >> 30)) &* 0xbf58_476d_1ce4_e5b9
        z = (z ^ (z >> 27)) &* 0x94d0_49bb_1331_11eb
        return z ^ (z >> 31)
    }
}

/// Element bits of one type, widened to UInt32, and what they mean.
enum Bits {
    static func isNaN(_ bits: UInt32, _ type: ElementType) -> Bool {
        switch type {
        case .fp32: bits & 0x7fff_ffff > 0x7f80_0000
        case .bf16: bits & 0x7fff > 0x7f80
        case .fp16: bits & 0x7fff > 0x7c00
        }
    }

    static func isQuietNaN(_ bits: UInt32, _ type: ElementType) -> Bool {
        guard isNaN(bits, type) else { return false }
        switch type {
        case .fp32: return bits & 0x40_0000 != 0
        case .bf16: return bits & 0x40 != 0
        case .fp16: return bits & 0x200 != 0
        }
    }

    /// The quiet form of a NaN.
    static func quieted(_ bits: UInt32, _ type: ElementType) -> UInt32 {
        switch type {
        case .fp32: bits | 0x40_0000
        case .bf16: bits | 0x40
        case .fp16: bits | 0x200
        }
    }

    /// Special values: zeros, infinities, NaNs (quiet and signaling, with payloads), the smallest and largest
    /// subnormals, the smallest normal, the largest finite value, one, and values beside them.
    static func edgeValues(_ type: ElementType) -> [UInt32] {
        let positive: [UInt32]
        switch type {
        case .fp32:
            positive = [0, 1, 2, 0x7f_ffff, 0x80_0000, 0x80_0001, 0x7f7f_ffff, 0x7f7f_fffe, 0x7f80_0000, 0x7fc0_0000,
                        0x7f80_0001, 0x7fa0_1234, 0x7fff_ffff, 0x3f80_0000, 0x3f80_0001, 0x3380_0000, 0x3400_0000, 0x4b00_0000]
        case .bf16:
            positive = [0, 1, 2, 0x7f, 0x80, 0x81, 0x7f7f, 0x7f7e, 0x7f80, 0x7fc0, 0x7f81, 0x7fa5, 0x7fff,
                        0x3f80, 0x3f81, 0x3b80, 0x3c00, 0x4300, 0x0100, 0x0080]
        case .fp16:
            positive = [0, 1, 2, 0x3ff, 0x400, 0x401, 0x7bff, 0x7bfe, 0x7c00, 0x7e00, 0x7c01, 0x7d23, 0x7fff,
                        0x3c00, 0x3c01, 0x1000, 0x1400, 0x6400, 0x0200, 0x0800]
        }
        let sign: UInt32 = type == .fp32 ? 0x8000_0000 : 0x8000
        return positive + positive.map { $0 | sign }
    }

    /// A value exactly half a unit in the last place of `a` (when the type can hold it), so `a + b` is a tie.
    static func halfULP(of a: UInt32, _ type: ElementType) -> UInt32? {
        switch type {
        case .fp32: return nil
        case .bf16:
            let e = (a >> 7) & 0xff
            return e > 8 && e < 0xff ? (a & 0x8000) | ((e - 8) << 7) : nil
        case .fp16:
            let e = (a >> 10) & 0x1f
            return e > 11 && e < 0x1f ? (a & 0x8000) | ((e - 11) << 10) : nil
        }
    }

    /// Operand pairs that mix random bit patterns, edge values, near values (so sums round) and ties.
    static func operands(_ type: ElementType, count: Int, seed: UInt64) -> (dst: [UInt8], src: [UInt8]) {
        var rng = SplitMix64(seed: seed)
        let edges = edgeValues(type)
        var a = [UInt32](repeating: 0, count: count), b = a
        let mask: UInt32 = type == .fp32 ? 0xffff_ffff : 0xffff
        for i in 0..<count {
            let r = UInt32(truncatingIfNeeded: rng.next()) & mask
            switch rng.next() % 6 {
            case 0:  // random bits on both sides
                a[i] = r
                b[i] = UInt32(truncatingIfNeeded: rng.next()) & mask
            case 1:  // an edge value against anything
                a[i] = edges[Int(rng.next() % UInt64(edges.count))]
                b[i] = rng.next() % 2 == 0 ? edges[Int(rng.next() % UInt64(edges.count))] : r
            case 2:  // ties
                a[i] = r
                b[i] = halfULP(of: r, type) ?? r
            default:  // nearby magnitudes: same sign or opposite, exponents close
                a[i] = r
                let delta = UInt32(truncatingIfNeeded: rng.next()) & (type == .fp32 ? 0x03ff_ffff : 0x03ff)
                b[i] = (r ^ (rng.next() % 2 == 0 ? 0 : (type == .fp32 ? 0x8000_0000 : 0x8000))) &- delta & mask
            }
        }
        return (pack(a, type), pack(b, type))
    }

    static func pack(_ values: [UInt32], _ type: ElementType) -> [UInt8] {
        if type == .fp32 { return values.withUnsafeBytes { Array($0) } }
        return values.map { UInt16(truncatingIfNeeded: $0) }.withUnsafeBytes { Array($0) }
    }

    static func unpack(_ bytes: [UInt8], _ type: ElementType) -> [UInt32] {
        bytes.withUnsafeBytes { raw in
            if type == .fp32 { return Array(raw.bindMemory(to: UInt32.self)) }
            return raw.bindMemory(to: UInt16.self).map { UInt32($0) }
        }
    }

    /// Checks `result` against the reference element by element (see ``ReductionOp`` for the NaN rule).
    /// Returns a description of the first mismatch, or nil.
    static func firstMismatch(
        result: [UInt8], reference: [UInt8], dst: [UInt8], src: [UInt8], type: ElementType
    ) -> String? {
        let r = unpack(result, type), e = unpack(reference, type), a = unpack(dst, type), b = unpack(src, type)
        for i in r.indices where r[i] != e[i] {
            let aNaN = isNaN(a[i], type), bNaN = isNaN(b[i], type)
            if isNaN(e[i], type) && isQuietNaN(r[i], type) && !(aNaN != bNaN) { continue }  // both or neither operand NaN
            let hex = { (v: UInt32) in "0x" + String(v, radix: 16) }
            return "element \(i): \(hex(a[i])) op \(hex(b[i])) gave \(hex(r[i])), expected \(hex(e[i]))"
        }
        return nil
    }
}
