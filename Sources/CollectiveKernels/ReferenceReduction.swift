/// The scalar definition of every reduction, in Swift, independent of the C kernels.
///
/// Each kernel path must give the same bits as this for every result that is not a NaN (see ``ReductionOp``).
/// Operands are widened to binary32, combined, and narrowed once with ``BFloat16Bits`` / ``Float16Bits``.
public enum ReferenceReduction {
    /// `a + b` in binary32.
    @inline(never) public static func sum(_ a: Float, _ b: Float) -> Float { a + b }

    /// NaN if either is NaN (`a + b` yields that NaN, quieted), `+0` for `(-0, +0)`, else the larger value.
    @inline(never) public static func max(_ a: Float, _ b: Float) -> Float {
        if a.isNaN || b.isNaN { return a + b }
        if a > b { return a }
        if b > a { return b }
        return Float(bitPattern: a.bitPattern & b.bitPattern)
    }

    /// `dst[i] = dst[i] op src[i]` for `i < count`, one element at a time.
    public static func reduce(
        _ op: ReductionOp, _ type: ElementType,
        into dst: UnsafeMutableRawPointer, from src: UnsafeRawPointer, count: Int
    ) {
        let combine: (Float, Float) -> Float = { a, b in op == .sum ? sum(a, b) : max(a, b) }
        switch type {
        case .fp32:
            let d = dst.assumingMemoryBound(to: Float.self), s = src.assumingMemoryBound(to: Float.self)
            for i in 0..<count { d[i] = combine(d[i], s[i]) }
        case .bf16:
            let d = dst.assumingMemoryBound(to: UInt16.self), s = src.assumingMemoryBound(to: UInt16.self)
            for i in 0..<count {
                d[i] = BFloat16Bits.bits(combine(BFloat16Bits.float(d[i]), BFloat16Bits.float(s[i])))
            }
        case .fp16:
            let d = dst.assumingMemoryBound(to: UInt16.self), s = src.assumingMemoryBound(to: UInt16.self)
            for i in 0..<count {
                d[i] = Float16Bits.bits(combine(Float16Bits.float(d[i]), Float16Bits.float(s[i])))
            }
        }
    }
}
