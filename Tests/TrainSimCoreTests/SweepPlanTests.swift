import Foundation
import XCTest
@testable import TrainSimCore

/// Sweep expansion, per-point results and their JSON lines, the streaming journal and resume.
final class SweepPlanTests: XCTestCase {
    static var root: URL {
        URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    }

    static func plan(_ text: String) throws -> SweepPlan {
        try SweepPlan(document: try JSONParser.parse(text), file: "test.json", folder: root.appendingPathComponent("Experiments"))
    }

    static let base = """
    "schemaVersion": 1, "name": "t", "model": "llama3-8b",
    "training": { "tokens": 1e11, "sequenceLength": 4096, "globalBatchSequences": 256, "precision": "bf16" },
    "cluster": { "topology": "h800-ib", "devices": 64 },
    "parallelism": { "tp": 2, "pp": 2 }
    """

    func testCartesianOrderIsFileOrderLastAxisFastest() throws {
        let p = try Self.plan("{\(Self.base), \"sweep\": {\"parallelism.tp\": [1, 2, 4], \"parallelism.pp\": [1, 2], \"training.recompute\": [\"none\", \"full\"]}}")
        XCTAssertEqual(p.count, 12)
        XCTAssertEqual(p.axes.map(\.path), ["parallelism.tp", "parallelism.pp", "training.recompute"])
        let expected: [(Double, Double, String)] = [(1, 1, "none"), (1, 1, "full"), (1, 2, "none"), (1, 2, "full"),
                                                    (2, 1, "none"), (2, 1, "full"), (2, 2, "none"), (2, 2, "full"),
                                                    (4, 1, "none"), (4, 1, "full"), (4, 2, "none"), (4, 2, "full")]
        for (i, (tp, pp, r)) in expected.enumerated() {
            let a = p.assignment(i)
            XCTAssertEqual(a.map(\.value), [.number(tp), .number(pp), .string(r)], "point \(i)")
            let doc = p.document(at: i)
            XCTAssertEqual(doc.value(at: ["parallelism", "tp"]), .number(tp))
            XCTAssertEqual(doc.value(at: ["training", "recompute"]), .string(r))
            XCTAssertNil(doc["sweep"])
        }
        XCTAssertEqual(p.coordinates(7), [1, 1, 1])
    }

    /// The block of inner axes ranks take whole: the smallest holding at least n points, not past the limit.
    func testInnerBlockOfAxes() throws {
        let p = try Self.plan("{\(Self.base), \"sweep\": {\"cluster.devices\": [64, 128, 256], \"parallelism.tp\": [1, 2, 4], \"parallelism.pp\": [1, 2], \"training.recompute\": [\"none\", \"selective\", \"full\"]}}")
        XCTAssertEqual(p.innerBlock(atLeast: 1), 1)
        XCTAssertEqual(p.innerBlock(atLeast: 3), 3)
        XCTAssertEqual(p.innerBlock(atLeast: 4), 6)
        XCTAssertEqual(p.innerBlock(atLeast: 7), 18)
        XCTAssertEqual(p.innerBlock(atLeast: 1000), 54)
        XCTAssertEqual(p.innerBlock(atLeast: 7, limit: 10), 6)
        XCTAssertEqual(p.innerBlock(atLeast: 7, limit: 2), 1)
    }

    func testPointCountIsLimited() throws {
        func sweep(_ n: Int, _ m: Int) -> String {
            "{\(Self.base), \"sweep\": {\"training.tokens\": [\((1...n).map { "\($0)e12" }.joined(separator: ", "))], \"data.x\": [\((1...m).map(String.init).joined(separator: ", "))]}}"
        }
        XCTAssertEqual(try Self.plan(sweep(1000, 1000)).count, SweepPlan.maxPoints)
        XCTAssertThrowsError(try Self.plan(sweep(1000, 1001))) { error in
            XCTAssertEqual("\(error)", "test.json: sweep: 1001000 points (the product of the lists' lengths) is more than a sweep may have (1000000); split it into several sweeps")
        }
        XCTAssertThrowsError(try Self.plan("{\(Self.base), \"sweep\": {}}")) { error in
            XCTAssertTrue("\(error)".contains("sweep: the sweep is empty"), "\(error)")
        }
    }

    func testFailingPointsAreReportedWithReasons() throws {
        // tp 3 does not divide the devices; 63 devices are not whole nodes; tp 8 on 64 works.
        let p = try Self.plan("{\(Self.base), \"sweep\": {\"parallelism.tp\": [3, 8], \"cluster.devices\": [63, 64]}}")
        let points = (0..<p.count).map(p.evaluate)
        XCTAssertEqual(points.map(\.status), [.invalid, .invalid, .invalid, .ok])
        XCTAssertTrue(points[1].reason!.contains("= 6 does not divide cluster.devices (64)"), points[1].reason!)
        XCTAssertTrue(points[2].reason!.contains("cluster.devices"), points[2].reason!)
        XCTAssertNil(points[3].reason)
        XCTAssertNotNil(points[3].metric("stepTimeSeconds"))
        // Out of memory: a 405B model on 8 devices.
        let oom = try Self.plan("{\(Self.base.replacingOccurrences(of: "llama3-8b", with: "llama3-405b")), \"sweep\": {\"cluster.devices\": [8]}}")
        let o = oom.evaluate(0)
        XCTAssertEqual(o.status, .outOfMemory)
        XCTAssertTrue(o.reason!.contains("out of memory"))
        XCTAssertNotNil(o.report)
        // Every format lists every point, failures with their reason.
        let csv = SweepOutput.render(points, plan: p, format: .csv).split(separator: "\n")
        XCTAssertEqual(csv.count, 5)
        XCTAssertTrue(csv[0].hasPrefix("index,parallelism.tp,cluster.devices,status,reason,name,stepTimeSeconds"))
        XCTAssertTrue(csv[2].contains("does not divide"))
        let text = SweepOutput.render(points, plan: p, format: .text)
        XCTAssertTrue(text.contains("invalid") && text.contains("fastest: #3"), text)
        XCTAssertTrue(SweepOutput.render(points, plan: p, format: .md).contains("|---|"))
    }

    func testJSONLineRoundTrips() throws {
        let p = try Self.plan("{\(Self.base), \"sweep\": {\"parallelism.tp\": [2, 3]}}")
        for i in 0..<2 {
            let point = p.evaluate(i)
            let back = try SweepPoint(line: point.jsonLine)
            XCTAssertEqual(back.jsonLine, point.jsonLine)
            XCTAssertEqual(back.status, point.status)
        }
    }

    func testJournalStreamsInOrderAndResumes() throws {
        let p = try Self.plan("{\(Self.base), \"sweep\": {\"parallelism.tp\": [1, 2, 4, 8]}}")
        let lines = (0..<4).map { SweepJournal.seal(p.evaluate($0).jsonLine, experiment: "fp") }
        var j = SweepJournal(count: 4)
        XCTAssertEqual(j.add(index: 2, line: lines[2]), "")
        XCTAssertEqual(j.add(index: 0, line: lines[0]), lines[0])
        XCTAssertEqual(j.add(index: 1, line: lines[1]), lines[1] + lines[2])
        XCTAssertEqual(j.add(index: 3, line: lines[3]), lines[3])
        XCTAssertTrue(j.isComplete)
        // A killed run: two lines and a torn third.
        let partial = lines[0] + lines[1] + String(lines[2].prefix(40))
        let r = try SweepJournal.resume(Data(partial.utf8), plan: p, experiment: "fp", file: "out.jsonl")
        XCTAssertEqual(r.prefixCount, 2)
        XCTAssertEqual(r.prefixBytes, (lines[0] + lines[1]).utf8.count)
        XCTAssertEqual(Set(r.lines.keys), [0, 1])
        // Out-of-order lines are held and written in order.
        let r2 = try SweepJournal.resume(Data((lines[0] + lines[2]).utf8), plan: p, experiment: "fp", file: "out.jsonl")
        XCTAssertEqual(r2.prefixCount, 1)
        var j2 = SweepJournal(count: 4, written: r2.prefixCount, held: r2.lines)
        XCTAssertEqual(j2.ready(), "")
        XCTAssertEqual(j2.add(index: 1, line: lines[1]), lines[1] + lines[2])
        // Results of another sweep are refused.
        let other = try Self.plan("{\(Self.base), \"sweep\": {\"parallelism.pp\": [1, 2, 4, 8]}}")
        XCTAssertThrowsError(try SweepJournal.resume(Data(lines[0].utf8), plan: other, experiment: "fp", file: "out.jsonl"))
    }

    func testShippedSweepExample() throws {
        let url = Self.root.appendingPathComponent("Experiments/sweep-llama3-70b-h800.json")
        let p = try SweepPlan.load(path: url.path)
        XCTAssertEqual(p.axes.map(\.path), ["parallelism.tp", "cluster.topology"])
        let points = (0..<p.count).map(p.evaluate)
        XCTAssertTrue(points.contains { $0.status == .ok })
        XCTAssertTrue(points.contains { $0.status == .outOfMemory })
        // Every simulated point carries the run with failures: never shorter than the ideal run.
        for pt in points where pt.report != nil {
            let ideal = try XCTUnwrap(pt.metric("trainingDays")), expected = try XCTUnwrap(pt.metric("wholeRun.expectedDays"))
            XCTAssertGreaterThanOrEqual(expected, ideal * 0.999, pt.label)
            XCTAssertLessThanOrEqual(try XCTUnwrap(pt.metric("wholeRun.goodput")), 1)
        }
        // TP 16 leaves the eight-GPU node on the H800 designs but not the 384-device supernode.
        func step(_ label: String) -> Double? {
            guard let pt = points.first(where: { $0.label == label }), case let .number(x)? = pt.report?["stepTimeSeconds"] else { return nil }
            return x
        }
        let ib8 = try XCTUnwrap(step("tp=8, topology=h800-ib")), ib16 = try XCTUnwrap(step("tp=16, topology=h800-ib"))
        let cm8 = try XCTUnwrap(step("tp=8, topology=cloudmatrix384")), cm16 = try XCTUnwrap(step("tp=16, topology=cloudmatrix384"))
        XCTAssertGreaterThan(ib16 / ib8, cm16 / cm8)
        let table = CompareTable(columns: points.compactMap { pt in pt.report.map { CompareTable.Column(label: pt.label, report: $0) } })
        let md = table.render(.md)
        XCTAssertTrue(md.contains("| step time |") && md.contains("**"), md)
        // The sweep's own table puts the topologies side by side for each tp.
        let text = SweepOutput.render(points, plan: p, format: .text)
        XCTAssertTrue(text.contains("topologies side by side (tp=8)") && text.contains("exposed comm: scale-up"), text)
    }
}
