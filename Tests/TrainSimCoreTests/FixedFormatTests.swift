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

    func testColumnEqualsFoundationPadding() {
        for s in ["", "a", "  weights / grads / optim", String(repeating: "x", count: 28), String(repeating: "y", count: 40), "µs · 显存"] {
            for w in [0, 5, 28, 30] {
                XCTAssertEqual(Fmt.column(s, w), s.padding(toLength: w, withPad: " ", startingAt: 0), "\(s) to \(w)")
            }
        }
    }
}
