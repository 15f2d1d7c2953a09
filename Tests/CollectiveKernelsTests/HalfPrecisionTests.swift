import CollectiveKernels
import XCTest

/// The reference conversions against the standard library's `Float16` and against their definitions.
final class HalfPrecisionTests: XCTestCase {
    func testFloat16WideningMatchesStandardLibraryForAllPatterns() {
        for bits in 0...UInt16.max {
            let mine = Float16Bits.float(bits)
            let library = Float(Float16(bitPattern: bits))
            if library.isNaN {
                XCTAssertTrue(mine.isNaN, "bits \(bits)")
                XCTAssertEqual(mine.bitPattern & 0xff80_1fff, UInt32(bits & 0x8000) << 16 | 0x7f80_0000, "payload of \(bits)")
            } else {
                XCTAssertEqual(mine.bitPattern, library.bitPattern, "bits \(bits)")
            }
        }
    }

    func testFloat16NarrowingMatchesStandardLibrary() {
        var rng = SplitMix64(seed: 7)
        var samples: [UInt32] = (0..<200_000).map { _ in UInt32(truncatingIfNeeded: rng.next()) }
        // Every half value, and the midpoints and neighbours between consecutive halves.
        for bits in UInt16(0)..<0x7c00 {
            let x = Float16Bits.float(bits).bitPattern, next = Float16Bits.float(bits + 1).bitPattern
            let mid = Float((Double(Float(bitPattern: x)) + Double(Float(bitPattern: next))) / 2).bitPattern
            samples += [x, mid, mid &- 1, mid &+ 1, x | 0x8000_0000, mid | 0x8000_0000]
        }
        samples += [0x477f_efff, 0x477f_f000, 0x477f_f001, 0x3300_0000, 0x3300_0001, 0x32ff_ffff, 0x7f80_0000, 1, 0x80_0000]
        for u in samples {
            let f = Float(bitPattern: u)
            let mine = Float16Bits.bits(f)
            if f.isNaN {
                XCTAssertEqual(mine, UInt16(truncatingIfNeeded: (u >> 16) & 0x8000) | 0x7e00 | UInt16((u >> 13) & 0x3ff))
            } else {
                XCTAssertEqual(mine, Float16(f).bitPattern, "value \(f) (0x\(String(u, radix: 16)))")
            }
        }
    }

    func testBFloat16RoundsToNearestEvenAndKeepsNaN() {
        XCTAssertEqual(BFloat16Bits.bits(1.0), 0x3f80)
        XCTAssertEqual(BFloat16Bits.bits(Float(bitPattern: 0x3f80_8000)), 0x3f80)  // tie, even stays
        XCTAssertEqual(BFloat16Bits.bits(Float(bitPattern: 0x3f81_8000)), 0x3f82)  // tie, odd rounds up
        XCTAssertEqual(BFloat16Bits.bits(Float(bitPattern: 0x3f80_8001)), 0x3f81)
        XCTAssertEqual(BFloat16Bits.bits(Float(bitPattern: 0x7f7f_ffff)), 0x7f80)  // overflow to infinity
        XCTAssertEqual(BFloat16Bits.bits(Float(bitPattern: 0x0000_8000)), 0x0000)  // subnormal tie, even
        XCTAssertEqual(BFloat16Bits.bits(Float(bitPattern: 0x0001_8000)), 0x0002)
        XCTAssertEqual(BFloat16Bits.bits(Float(bitPattern: 0x7f80_0001)), 0x7fc0)  // NaN stays NaN, quieted
        XCTAssertEqual(BFloat16Bits.bits(Float(bitPattern: 0xffff_ffff)), 0xffff)
        XCTAssertEqual(BFloat16Bits.bits(-.infinity), 0xff80)
        for bits in 0...UInt16.max {
            let f = BFloat16Bits.float(bits)
            let back = BFloat16Bits.bits(f)
            XCTAssertEqual(back, bits & 0x7fff > 0x7f80 ? bits | 0x40 : bits, "round trip of \(bits)")
        }
    }

    func testFloat16EdgeRounding() {
        XCTAssertEqual(Float16Bits.bits(65504), 0x7bff)
        XCTAssertEqual(Float16Bits.bits(65519.99), 0x7bff)
        XCTAssertEqual(Float16Bits.bits(65520), 0x7c00)
        XCTAssertEqual(Float16Bits.bits(Float(bitPattern: 0x3380_0000)), 0x0001)  // 2^-24, smallest subnormal
        XCTAssertEqual(Float16Bits.bits(Float(bitPattern: 0x3300_0000)), 0x0000)  // 2^-25, tie to even zero
        XCTAssertEqual(Float16Bits.bits(Float(bitPattern: 0x3300_0001)), 0x0001)
        XCTAssertEqual(Float16Bits.bits(Float(bitPattern: 0x33c0_0000)), 0x0002)  // 1.5 x 2^-24, tie to even 2
        XCTAssertEqual(Float16Bits.bits(Float(bitPattern: 0x7f80_0001)), 0x7e00)
        XCTAssertEqual(Float16Bits.bits(-0.0), 0x8000)
    }
}
