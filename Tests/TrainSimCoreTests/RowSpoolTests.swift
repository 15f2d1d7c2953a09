import XCTest
@testable import TrainSimCore

/// A text table's rows kept between its two passes come back exactly, in order.
final class RowSpoolTests: XCTestCase {
    func testRowsComeBackAsTheyWere() throws {
        let spool = try SweepOutput.RowSpool()
        var rows: [[String]] = [[], [""], ["a", "", "b"], ["line\nbreak", "tab\tand\u{1F}unit", "ünï 中文 🙂"]]
        rows += (0..<5_000).map { i in [String(i), String(repeating: "x", count: i % 300), "é"] }
        for r in rows { try spool.add(r) }
        var back: [[String]] = []
        try spool.forEach { back.append($0) }
        XCTAssertEqual(back, rows)
        // Read again: the same rows.
        var again = 0
        try spool.forEach { _ in again += 1 }
        XCTAssertEqual(again, rows.count)
    }
}
