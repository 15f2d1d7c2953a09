import XCTest
@testable import TrainSimCore

/// Published runs as the oracle: shared/reference/calibration-runs.md, kept in Tests/Calibration.
final class CalibrationTests: XCTestCase {
    func testPublishedRunsWithinTolerance() throws {
        let path = FileManager.default.currentDirectoryPath + "/Tests/Calibration/cases.json"
        let results = try CalibrationSuite.evaluate(try CalibrationSuite.load(path: path))
        XCTAssertGreaterThanOrEqual(results.count, 26)
        let text = CalibrationSuite.render(results, format: .text)
        print(text)
        let held = results.filter { !$0.case.calibration }.map { abs($0.error) }
        // The bar: median error over held-out cases.
        XCTAssertLessThan(CalibrationSuite.median(held), Self.medianTolerance, text)
        for r in results {
            XCTAssertLessThan(abs(r.error), Self.caseTolerance, "\(r.case.id): predicted \(r.predicted), published \(r.case.published)")
        }
    }

    static let medianTolerance = 0.06
    static let caseTolerance = 0.20
}
