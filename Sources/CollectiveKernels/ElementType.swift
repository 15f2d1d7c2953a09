/// The element types the reduction kernels and collectives work on.
///
/// `bf16` and `fp16` values are stored as their 16-bit patterns (`UInt16`): bfloat16 is the upper half of an
/// IEEE binary32, fp16 is IEEE binary16.
public enum ElementType: String, CaseIterable, Sendable, Codable {
    case fp32, bf16, fp16

    /// Bytes per element.
    public var byteCount: Int { self == .fp32 ? 4 : 2 }

    var index: Int32 {
        switch self {
        case .fp32: 0
        case .bf16: 1
        case .fp16: 2
        }
    }
}

/// Elementwise reductions.
///
/// - `sum`: the correctly rounded sum in the element type (round to nearest, ties to even); for bf16 and fp16 it
///   is computed in binary32 and rounded once, which equals the correctly rounded result because binary32 has
///   at least 2p + 2 bits for both (p = 8 and 11).
/// - `max`: a NaN if either operand is a NaN; `max(-0, +0) = +0`; otherwise the larger operand.
///
/// NaN results are quiet NaNs. When exactly one operand is a NaN the result is that NaN, quieted (sign and
/// payload kept as far as the type holds them); when both are, which one is returned is not specified.
public enum ReductionOp: String, CaseIterable, Sendable, Codable {
    case sum, max

    var index: Int32 { self == .sum ? 0 : 1 }
}

/// The instruction-set paths of the reduction kernels, in order of preference.
public enum KernelISA: Int, CaseIterable, Comparable, Sendable, CustomStringConvertible {
    /// Portable C, one element at a time.
    case scalar = 0
    /// AVX2 with F16C and FMA (256-bit vectors).
    case avx2 = 1
    /// AVX-512F (512-bit vectors).
    case avx512 = 2
    /// AVX-512 BF16: the bf16 sum uses the hardware narrowing instruction.
    case avx512bf16 = 3
    /// AVX-512 FP16: native half-precision arithmetic for fp16.
    case avx512fp16 = 4

    public static func < (lhs: KernelISA, rhs: KernelISA) -> Bool { lhs.rawValue < rhs.rawValue }

    public var description: String {
        switch self {
        case .scalar: "scalar"
        case .avx2: "avx2"
        case .avx512: "avx512"
        case .avx512bf16: "avx512bf16"
        case .avx512fp16: "avx512fp16"
        }
    }

    /// Parses the names printed by `description` (used by `TRAINSIM_KERNEL_ISA`).
    public init?(name: String) {
        guard let isa = KernelISA.allCases.first(where: { $0.description == name.lowercased() }) else { return nil }
        self = isa
    }
}
