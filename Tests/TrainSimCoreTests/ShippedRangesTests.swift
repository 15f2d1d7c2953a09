import XCTest
@testable import TrainSimCore

/// The shipped experiments print MFUs that published runs of their kind reach: each lies in the
/// range of the published runs on its silicon, of its model kind and precision class (in
/// trainsim's count), widened by that family's held-out median error (`ShippedRanges`).
final class ShippedRangesTests: XCTestCase {
    func testShippedExperimentsLieInThePublishedRangeOfTheirKind() throws {
        guard let paths = CalibrationSuite.defaultPaths else { throw XCTSkip("no trainsim folder") }
        var cases: [CalibrationCase] = []
        for p in paths { cases += try CalibrationSuite.load(path: p) }
        let results = try CalibrationSuite.evaluate(cases)
        let rows = try ShippedRanges.shipped(against: results)
        XCTAssertGreaterThanOrEqual(rows.count, 8, "every shipped experiment without a sweep or search")
        var ranged = 0
        // A range needs two published runs; with one, the case's own row in `validate` is the check.
        for r in rows where r.runs >= 2 {
            ranged += 1
            XCTAssertEqual(r.within, true, "\(r.experiment): MFU \(r.mfu) outside \(r.low!)-\(r.high!) +/- \(r.slack) (\(r.family) \(r.kind) \(r.precision))")
        }
        XCTAssertGreaterThanOrEqual(ranged, 5)
        // Ascend examples run MindSpeed, the stack their silicon's curves and the published Ascend runs are.
        for r in rows where r.family.hasPrefix("ascend") { XCTAssertEqual(r.stack, "mindspeed", r.experiment) }
        // The published MFU is read in trainsim's count: a case's own plan gives back the case.
        let c = try XCTUnwrap(results.first { $0.case.metric == "tokensPerSecondPerDevice" })
        XCTAssertEqual(try XCTUnwrap(c.publishedMFU), c.mfu! * c.case.published / c.predicted, accuracy: 1e-15)
        let text = CalibrationSuite.render(results, format: .text, shipped: rows)
        XCTAssertTrue(text.contains("shipped experiments against published runs"), text)
        // The shipped accuracy file (fit.py) carries the same ranges, and a run's report quotes its own.
        let accuracy = try XCTUnwrap(try ValidatedAccuracy.shippedIfPresent())
        for r in rows where r.runs > 0 {
            let key = "\(r.family)/\(r.kind)/\(r.precision)"
            let m = try XCTUnwrap(accuracy.publishedMFU[key], key)
            XCTAssertEqual(m.runs, r.runs, key)
            XCTAssertEqual(m.low, r.low!, accuracy: 1e-5 * r.low!, key)
            XCTAssertEqual(m.high, r.high!, accuracy: 1e-5 * r.high!, key)
        }
        let glm = try Experiment.load(path: SweepPlanTests.root.appendingPathComponent("Experiments/glm-4.5-ascend-910b-4096.json").path)
        let report = try Analysis.analyze(glm).render(.text)
        XCTAssertTrue(report.contains("published MFU") && report.contains("over 3 moe 16-bit runs on ascend-910b"), report)
        // A search's accuracy line names it too.
        XCTAssertTrue(accuracy.summary(glm).hasSuffix("published MFU 10.0-20.5 % (3 16-bit runs)"), accuracy.summary(glm))
        // The HTML page's MFU figure carries the same range.
        let page = try HTMLReport.run(try Analysis.analyze(glm))
        XCTAssertTrue(page.contains("published runs of its kind") && page.contains("data-key=\"accuracy.publishedMFU.high\""))
    }
}
