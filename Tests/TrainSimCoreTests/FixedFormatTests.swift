import Foundation
import XCTest
@testable import TrainSimCore

/// `Fmt.fixed` prints what `String(format: "%.Nf")` prints, character for character.
final class FixedFormatTests: XCTestCase {
    func testEqualsPrintfOnRandomAndEdgeValues() {
        var rng = SystemRandomNumberGenerator()
        var values: [Double] = [0, -0.0, 0.5, 1.5, 2.5, -2.5, 0.125, 0.375, 0.05, 0.15, 0.25, 0.35, 1e-7, -1e-7, 0.04999999999, 9.995, 99.95,
                                123456.789, 999999999999.5, 1e14, 9.99e14, 1e15, 1e16, 1e300, -1e300, .infinity, -.infinity, .nan,
                                2.675, 1.005, 0.045, 1e-320]
        for _ in 0..<20_000 {
            let mag = Double.random(in: -8...16, using: &rng)
            let x = pow(10, mag) * (Bool.random(using: &rng) ? 1 : -1)
            values.append(x)
            values.append((x * 1000).rounded() / 1000)  // short decimals, near ties
            values.append(Double(Int.random(in: -100_000...100_000, using: &rng)) / 8)  // exact binary ties
        }
        for x in values {
            for d in 0...4 {
                XCTAssertEqual(Fmt.fixed(x, d), String(format: "%.\(d)f", x), "\(x) with \(d) digits")
            }
        }
        XCTAssertEqual(Fmt.padded("3.5", 5), "  3.5")
        XCTAssertEqual(Fmt.padded("100.0", 5), "100.0")
        XCTAssertEqual(Fmt.padded(Fmt.fixed(7.25, 1), 5), String(format: "%5.1f", 7.25))
    }

    /// `Fmt.general` prints what `String(format: "%.Ng")` prints: across magnitudes (both of %g's
    /// forms), near ties, and values that round up to the next power of ten.
    func testGeneralEqualsPrintf() {
        var rng = SystemRandomNumberGenerator()
        var values: [Double] = [0, -0.0, 1, 10, 100, 0.1, 0.01, 0.001, 1e-4, 1e-5, 9.995, 9.9995, 9.99949, 99.95, 99.949, 999.5, 0.00099995,
                                0.000099996, 0.00009999, 1.005, 2.675, 0.125, 0.0125, 1e-7, 123456.7, 1e15, .infinity, -.infinity, .nan, 1e-320]
        for _ in 0..<20_000 {
            let mag = Double.random(in: -7...7, using: &rng)
            let x = pow(10, mag) * (Bool.random(using: &rng) ? 1 : -1)
            values.append(x)
            values.append((x * 1000).rounded() / 1000)
            values.append(Double(Int.random(in: -100_000...100_000, using: &rng)) / 1024)
        }
        for x in values {
            for d in 1...6 {
                XCTAssertEqual(Fmt.general(x, d), String(format: "%.\(d)g", x), "\(x) with \(d) significant digits")
            }
        }
        XCTAssertEqual(Fmt.general(0.00123, 0), String(format: "%.0g", 0.00123))
    }

    func testGroupedAndJoined() {
        let cases: [(Double, String)] = [(0, "0"), (7, "7"), (999, "999"), (1000, "1,000"), (-1000, "-1,000"), (-999, "-999"),
                                         (1234567, "1,234,567"), (-12345678, "-12,345,678"), (100000, "100,000"), (-100, "-100")]
        for (x, s) in cases { XCTAssertEqual(Fmt.grouped(x), s) }
        XCTAssertEqual(Fmt.joined(["8.0", "16.0", "48.0"], " / "), ["8.0", "16.0", "48.0"].joined(separator: " / "))
        XCTAssertEqual(Fmt.joined([], ", "), "")
        XCTAssertEqual(Fmt.joined(["a"], ", "), "a")
    }

    func testColumnEqualsFoundationPadding() {
        for s in ["", "a", "  weights / grads / optim", String(repeating: "x", count: 28), String(repeating: "y", count: 40), "µs · 显存"] {
            for w in [0, 5, 28, 30] {
                XCTAssertEqual(Fmt.column(s, w), s.padding(toLength: w, withPad: " ", startingAt: 0), "\(s) to \(w)")
            }
        }
    }
}
