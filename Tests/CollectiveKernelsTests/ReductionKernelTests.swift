import CollectiveKernels
import XCTest

/// Every kernel path this CPU has, for every type and op, gives the bits of the Swift reference.
final class ReductionKernelTests: XCTestCase {
    /// All (path, op, type) kernels available here, the best ones included.
    private var kernels: [ReductionKernel] {
        var all: [ReductionKernel] = []
        for isa in ReductionKernel.availableISAs {
            for type in ElementType.allCases {
                for op in ReductionOp.allCases {
                    if let kernel = ReductionKernel.path(isa, op, type) { all.append(kernel) }
                }
            }
        }
        return all
    }

    private func check(_ kernel: ReductionKernel, count: Int, offset: Int = 0, seed: UInt64, file: StaticString = #filePath, line: UInt = #line) {
        let width = kernel.type.byteCount
        let (dst, src) = Bits.operands(kernel.type, count: count + offset, seed: seed)
        var expected = dst
        expected.withUnsafeMutableBytes { e in
            src.withUnsafeBytes { s in
                ReferenceReduction.reduce(kernel.op, kernel.type, into: e.baseAddress! + offset * width, from: s.baseAddress! + offset * width, count: count)
            }
        }
        var result = dst
        result.withUnsafeMutableBytes { r in
            src.withUnsafeBytes { s in kernel(r.baseAddress! + offset * width, s.baseAddress! + offset * width, count: count) }
        }
        if let mismatch = Bits.firstMismatch(result: result, reference: expected, dst: dst, src: src, type: kernel.type) {
            XCTFail("\(kernel.isa) \(kernel.type) \(kernel.op), count \(count), offset \(offset): \(mismatch)", file: file, line: line)
        }
    }

    func testSmallCountsAndTailsOnEveryPath() {
        for kernel in kernels {
            for count in [0, 1, 2, 7, 8, 9, 15, 16, 17, 31, 32, 33, 63, 64, 65, 100, 257] {
                for offset in [0, 1] { check(kernel, count: count, offset: offset, seed: UInt64(count * 2 + offset)) }
            }
        }
    }

    func testEdgeValuesAgainstEachOther() {
        for kernel in kernels {
            let edges = Bits.edgeValues(kernel.type)
            let a = edges.flatMap { x in edges.map { _ in x } }, b = edges.flatMap { _ in edges }
            let dst = Bits.pack(a, kernel.type), src = Bits.pack(b, kernel.type)
            var expected = dst, result = dst
            expected.withUnsafeMutableBytes { e in
                src.withUnsafeBytes { ReferenceReduction.reduce(kernel.op, kernel.type, into: e.baseAddress!, from: $0.baseAddress!, count: a.count) }
            }
            result.withUnsafeMutableBytes { r in src.withUnsafeBytes { kernel(r.baseAddress!, $0.baseAddress!, count: a.count) } }
            if let mismatch = Bits.firstMismatch(result: result, reference: expected, dst: dst, src: src, type: kernel.type) {
                XCTFail("\(kernel.isa) \(kernel.type) \(kernel.op): \(mismatch)")
            }
        }
    }

    func testLargeRandomBuffers() {
        for type in ElementType.allCases {
            for op in ReductionOp.allCases {
                check(.best(op, type), count: 1_000_003, seed: 99)
                for isa in ReductionKernel.availableISAs where isa != ReductionKernel.best(op, type).isa {
                    if let kernel = ReductionKernel.path(isa, op, type) { check(kernel, count: 100_003, seed: 5) }
                }
            }
        }
    }

    func testSpecificRoundingCases() {
        // bf16: 1 + 2^-8 is a tie and stays 1; 1.0078125 + 2^-8 rounds up to even.
        XCTAssertEqual(reduce(.sum, .bf16, [0x3f80, 0x3f81, 0x0001, 0x7f7f, 0xff80, 0x7f81], [0x3b80, 0x3b80, 0x0001, 0x7f7f, 0x7f80, 0x3f80]),
                       [0x3f80, 0x3f82, 0x0002, 0x7f80, 0xffc0, 0x7fc1])
        // fp16: 1 + 2^-11 ties to 1; 65504 + 16 overflows; the smallest subnormals add exactly.
        XCTAssertEqual(reduce(.sum, .fp16, [0x3c00, 0x3c01, 0x7bff, 0x0001, 0x7c01], [0x1000, 0x1000, 0x4c00, 0x0001, 0x3c00]),
                       [0x3c00, 0x3c02, 0x7c00, 0x0002, 0x7e01])
        // max: -0 vs +0 is +0 in both orders; NaN wins.
        XCTAssertEqual(reduce(.max, .fp16, [0x8000, 0x0000, 0x3c00, 0x7c01], [0x0000, 0x8000, 0x7e00, 0x3c00]),
                       [0x0000, 0x0000, 0x7e00, 0x7e01])
        XCTAssertEqual(reduce(.max, .bf16, [0x8000, 0x0000, 0xbf80], [0x0000, 0x8000, 0xc000]), [0x0000, 0x0000, 0xbf80])
    }

    func testSameBufferAsBothOperands() {
        for kernel in kernels {
            var (dst, _) = Bits.operands(kernel.type, count: 1000, seed: 3)
            var expected = dst
            expected.withUnsafeMutableBytes { ReferenceReduction.reduce(kernel.op, kernel.type, into: $0.baseAddress!, from: $0.baseAddress!, count: 1000) }
            let before = dst
            dst.withUnsafeMutableBytes { kernel($0.baseAddress!, $0.baseAddress!, count: 1000) }
            if let mismatch = Bits.firstMismatch(result: dst, reference: expected, dst: before, src: before, type: kernel.type) {
                XCTFail("\(kernel.isa) \(kernel.type) \(kernel.op) in place: \(mismatch)")
            }
        }
    }

    func testDispatchPicksAnAvailablePath() {
        XCTAssertTrue(ReductionKernel.availableISAs.contains(.scalar))
        for type in ElementType.allCases {
            for op in ReductionOp.allCases {
                let best = ReductionKernel.best(op, type)
                XCTAssertTrue(ReductionKernel.availableISAs.contains(best.isa))
                XCTAssertLessThanOrEqual(best.isa, ReductionKernel.maximumISA)
            }
        }
    }

    /// Every path applied to 16-bit operands, all paths must agree; returns the best path's result.
    private func reduce(_ op: ReductionOp, _ type: ElementType, _ a: [UInt16], _ b: [UInt16]) -> [UInt16] {
        var results: [[UInt16]] = []
        for isa in ReductionKernel.availableISAs {
            guard let kernel = ReductionKernel.path(isa, op, type) else { continue }
            var d = a
            d.withUnsafeMutableBufferPointer { dp in b.withUnsafeBufferPointer { kernel(dp, $0) } }
            results.append(d)
        }
        var reference = a
        reference.withUnsafeMutableBytes { r in b.withUnsafeBytes { ReferenceReduction.reduce(op, type, into: r.baseAddress!, from: $0.baseAddress!, count: a.count) } }
        for r in results { XCTAssertEqual(r, reference, "\(type) \(op)") }
        return reference
    }
}
