import Foundation
import XCTest
@testable import TrainSimCore

/// The HTML pages' size bounds and their Pareto marking, on data made here.
final class HTMLReportTests: XCTestCase {
    /// A sweep point whose report has what the sweep page reads.
    func point(_ i: Int, seconds: Double, cost: Double, topology: String, ok: Bool = true) -> SweepPoint {
        let report = JSONValue.object([
            ("name", .string("synthetic")), ("stepTimeSeconds", .number(seconds)), ("mfu", .number(0.4)), ("trainingDays", .number(seconds * 10)),
            ("cost", .object([("currency", .string("USD")), ("total", .number(cost)), ("totalUSD", .number(cost))])),
            ("memory", .object([("peakGiBPerDevice", .number(50)), ("fits", .bool(ok))])),
            ("plan", .object([("topology", .string(topology)), ("devices", .number(1024)), ("tp", .number(Double(i % 8 + 1)))])),
        ])
        return SweepPoint(index: i, assignment: [("parallelism.tp", .number(Double(i % 8 + 1)))], status: ok ? .ok : .outOfMemory, reason: nil, report: report)
    }

    func testSweepPageOfOneHundredThousandPointsIsBinnedAndSmall() throws {
        var rng = SystemRandomNumberGenerator()
        var points: [SweepPoint] = []
        for i in 0..<100_000 {
            let t = Double.random(in: 1...20, using: &rng), c = 1e6 * Double.random(in: 1...5, using: &rng) * (25 - t)
            points.append(point(i, seconds: t, cost: c, topology: ["a", "b", "c"][i % 3], ok: i % 10 != 0))
        }
        let plan = try SweepPlan(document: .object([("model", .string("llama3-8b")), ("sweep", .object([("parallelism.tp", .array((1...8).map { .number(Double($0)) }))]))]),
                                 file: nil, folder: nil)
        let html = HTMLReport.sweep(points, plan: plan)
        XCTAssertLessThan(html.utf8.count, 3_000_000, "\(html.utf8.count) bytes")
        let circles = html.components(separatedBy: "<circle").count - 1
        XCTAssertLessThanOrEqual(circles, HTMLReport.grid.x * HTMLReport.grid.y * 2 + 1000)
        XCTAssertTrue(html.contains("binned on a"), "the page does not say the plans are binned")
        // The front is exact: every plan on it is drawn and listed.
        let ok = points.filter { $0.status == .ok }
        let front = Pareto.front(ok.map { ScoredPlan(id: $0.index, seconds: $0.metric("stepTimeSeconds")!, cost: $0.metric("cost.total")!) })
        XCTAssertTrue(html.contains("the time-cost Pareto front (\(front.count))"))
    }

    func testSmallSweepDrawsEveryPointAndMarksTheFront() throws {
        let points = [point(0, seconds: 1, cost: 10, topology: "a"), point(1, seconds: 2, cost: 5, topology: "a"),
                      point(2, seconds: 3, cost: 6, topology: "b"), point(3, seconds: 0.5, cost: 50, topology: "b", ok: false)]
        let plan = try SweepPlan(document: .object([("model", .string("llama3-8b")), ("sweep", .object([("parallelism.tp", .array([.number(1)]))]))]),
                                 file: nil, folder: nil)
        let html = HTMLReport.sweep(points, plan: plan)
        // Four points, the two on the front drawn last in red, and the front's step line.
        XCTAssertEqual(html.components(separatedBy: "<circle").count - 1, 4)
        XCTAssertEqual(html.components(separatedBy: "fill=\"#e15759\" fill-opacity").count - 1, 2)
        XCTAssertTrue(html.contains("<path d=\"M"))
        XCTAssertTrue(html.contains("data-key=\"0.report.stepTimeSeconds\" data-value=\"1\""))
    }

    func testEscaping() {
        XCTAssertEqual(HTMLPage.esc("<a href=\"x\">&'</a>"), "&lt;a href=&quot;x&quot;&gt;&amp;&#39;&lt;/a&gt;")
    }
}

/// The run page's timeline: bounded however many operations the step has.
final class HTMLTimelineTests: XCTestCase {
    func testTimelineMergesToItsBound() throws {
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        let e = try Experiment.load(path: root.appendingPathComponent("Experiments/deepseek-v3-h800-2048.json").path)
        let step = try StepTrace(experiment: e).simulate()
        func rects(_ svg: String) -> Int { svg.components(separatedBy: "<rect").count - 1 }
        let full = HTMLTimeline.chart(step, experiment: e, reportedStep: nil)
        XCTAssertLessThan(rects(full), HTMLTimeline.maxRects)
        XCTAssertGreaterThan(rects(full), 1000)
        XCTAssertTrue(full.contains("closer than a pixel"))
        let small = HTMLTimeline.chart(step, experiment: e, reportedStep: nil, maxRects: 1000)
        XCTAssertLessThanOrEqual(rects(small), 1000)
        XCTAssertTrue(small.contains(" pixels are merged"), "the chart does not say how far it merged")
        // The same operations on the same rows, fewer rectangles.
        func counted(_ svg: String) -> String? { svg.range(of: "[0-9]+ operations on [0-9]+ rows", options: .regularExpression).map { String(svg[$0]) } }
        XCTAssertNotNil(counted(full))
        XCTAssertEqual(counted(small), counted(full))
    }
}
