#if canImport(CKernelsC)
import CKernelsC
#endif
import Foundation

/// One elementwise reduction, `dst[i] = dst[i] op src[i]`, bound to the instruction-set path that runs it.
///
/// Get the fastest one for this CPU with ``best(_:_:)`` (cheap: the choice is made once per process), or a given
/// path with ``path(_:_:_:)`` to compare paths. The environment variable `TRAINSIM_KERNEL_ISA` (`scalar`,
/// `avx2`, `avx512`, ...) caps the paths that ``best(_:_:)`` may choose.
///
/// Buffers are raw memory of `count` elements of ``type``; `dst` and `src` may be the same buffer but must not
/// otherwise overlap. Results follow ``ReductionOp``: every path gives the bits of ``ReferenceReduction``.
public struct ReductionKernel: @unchecked Sendable {
    public let op: ReductionOp
    public let type: ElementType
    public let isa: KernelISA
    #if canImport(CKernelsC)
    private let function: ck_reduce_fn
    #endif

    /// Runs the kernel over `count` elements.
    @inlinable
    public func callAsFunction(_ dst: UnsafeMutableRawPointer, _ src: UnsafeRawPointer, count: Int) {
        run(dst, src, count)
    }

    @usableFromInline
    func run(_ dst: UnsafeMutableRawPointer, _ src: UnsafeRawPointer, _ count: Int) {
        precondition(count >= 0, "negative element count")
        if count == 0 { return }
        #if canImport(CKernelsC)
        function(dst, src, count)
        #else
        ReferenceReduction.reduce(op, type, into: dst, from: src, count: count)
        #endif
    }

    /// The fastest kernel for `op` on `type` on this CPU (within `TRAINSIM_KERNEL_ISA`, if set).
    public static func best(_ op: ReductionOp, _ type: ElementType) -> ReductionKernel {
        bestTable[Int(type.index) * 2 + Int(op.index)]
    }

    /// The kernel of one path, or nil when that path has no kernel of its own for `op` on `type` or this CPU
    /// lacks it.
    public static func path(_ isa: KernelISA, _ op: ReductionOp, _ type: ElementType) -> ReductionKernel? {
        #if canImport(CKernelsC)
        guard let f = ck_kernel(Int32(isa.rawValue), type.index, op.index) else { return nil }
        return ReductionKernel(op: op, type: type, isa: isa, function: f)
        #else
        return isa == .scalar ? ReductionKernel(op: op, type: type, isa: .scalar) : nil
        #endif
    }

    /// The paths this CPU (and operating system) supports, lowest first.
    public static var availableISAs: [KernelISA] {
        #if canImport(CKernelsC)
        let mask = ck_cpu_isa_mask()
        return KernelISA.allCases.filter { mask & (1 << UInt32($0.rawValue)) != 0 }
        #else
        return [.scalar]
        #endif
    }

    /// The highest path ``best(_:_:)`` may use: `TRAINSIM_KERNEL_ISA` if set and valid, else all of them.
    public static let maximumISA: KernelISA = {
        if let name = getenv("TRAINSIM_KERNEL_ISA").map({ String(cString: $0) }), let isa = KernelISA(name: name) {
            return isa
        }
        return .avx512fp16
    }()

    private static let bestTable: [ReductionKernel] = {
        var table: [ReductionKernel] = []
        for type in [ElementType.fp32, .bf16, .fp16] {
            for op in [ReductionOp.sum, .max] {
                #if canImport(CKernelsC)
                let isa = ck_best_isa(type.index, op.index, Int32(maximumISA.rawValue))
                table.append(path(KernelISA(rawValue: Int(isa))!, op, type)!)
                #else
                table.append(path(.scalar, op, type)!)
                #endif
            }
        }
        return table
    }()
}

extension ReductionKernel {
    /// Runs the kernel over typed buffers of equal length (`Float` for fp32, `UInt16` bit patterns otherwise).
    public func callAsFunction<T>(_ dst: UnsafeMutableBufferPointer<T>, _ src: UnsafeBufferPointer<T>) {
        precondition(MemoryLayout<T>.stride == type.byteCount, "element type does not match \(type)")
        precondition(dst.count == src.count, "buffers differ in length")
        guard let d = dst.baseAddress, let s = src.baseAddress else { return }
        run(UnsafeMutableRawPointer(d), UnsafeRawPointer(s), dst.count)
    }
}
