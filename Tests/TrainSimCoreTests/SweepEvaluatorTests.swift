import Foundation
import XCTest
@testable import TrainSimCore

/// The fast sweep path (files decoded once, clusters built once) gives every point exactly the
/// line the point gets when it is decoded and simulated on its own, failures included.
final class SweepEvaluatorTests: XCTestCase {
    /// A folder with a model file and a link-free copy of the experiment's references.
    func folder() throws -> URL {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("sweep-evaluator-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        try Data(#"{"preset": "llama3-8b", "name": "llama3-8b-24", "layers": 24}"#.utf8).write(to: dir.appendingPathComponent("small.json"))
        try Data(#"{"preset": "llama3-8b", "layers": "many"}"#.utf8).write(to: dir.appendingPathComponent("broken.json"))
        return dir
    }

    func testEveryPointEqualsThePointRunAlone() throws {
        let dir = try folder()
        defer { try? FileManager.default.removeItem(at: dir) }
        let text = """
        {\(SweepPlanTests.base), "sweep": {
          "model": ["llama3-8b", "small.json", "broken.json", "missing.json", "llama3-405b"],
          "cluster.topology": ["h800-ib", "cloudmatrix384", "no-such-design"],
          "cluster.devices": [64, 63, 128],
          "parallelism.tp": [1, 2, 3, 8],
          "parallelism.zero": [1, 3],
          "training.recompute": ["none", "full"],
          "cost.pue": [1.1, 1.4]
        }}
        """
        let plan = try SweepPlan(document: try JSONParser.parse(text), file: "test.json", folder: dir)
        XCTAssertEqual(plan.count, 5 * 3 * 3 * 4 * 2 * 2 * 2)
        let evaluator = SweepEvaluator(plan)
        var statuses: [SweepPoint.Status: Int] = [:]
        var reasons = Set<String>()
        for i in 0..<plan.count {
            let fast = evaluator.evaluate(i), alone = plan.evaluate(i)
            XCTAssertEqual(fast.jsonLine, alone.jsonLine, "point \(i)")
            // The CSV line its rank makes from the point in memory is the one rank 0 would make
            // from the line read back from the journal.
            let back = try SweepPoint(bytes: Array(fast.jsonLine.utf8.dropLast())[...], keeping: SweepOutput.projection)
            XCTAssertEqual(SweepOutput.csvRow(fast), SweepOutput.csvRow(back), "point \(i)")
            // Likewise its line for the tables (its table entry, with and without the report
            // the topology tables read), which reads back as the entry made from the journal line.
            for reports in [false, true] {
                let line = SweepOutput.tableLine(fast, reports: reports)
                XCTAssertEqual(line, SweepOutput.tableLine(back, reports: reports), "point \(i)")
                let entry = try SweepOutput.TableEntry(line: Array(line.utf8.dropLast())[...])
                XCTAssertEqual(entry, SweepOutput.TableEntry(back, reports: reports), "point \(i)")
                XCTAssertEqual(entry.report != nil, reports && fast.report != nil, "point \(i)")
            }
            statuses[fast.status, default: 0] += 1
            if let r = fast.reason { reasons.insert(r) }
        }
        // The sweep covers points that work, that do not fit and that are invalid for several reasons.
        XCTAssertGreaterThan(statuses[.ok] ?? 0, 10)
        XCTAssertGreaterThan(statuses[.outOfMemory] ?? 0, 10)
        XCTAssertGreaterThan(statuses[.invalid] ?? 0, 10)
        for part in ["no-such-design", "missing.json", "broken.json", "does not divide"] {
            XCTAssertTrue(reasons.contains { $0.contains(part) }, "no reason mentions \(part): \(reasons.sorted().prefix(5))")
        }
        // A model file is read once: a later edit does not reach the same evaluator.
        let before = evaluator.evaluate(plan.count / 5 + 3).jsonLine
        try Data(#"{"preset": "llama3-8b", "layers": 8}"#.utf8).write(to: dir.appendingPathComponent("small.json"))
        XCTAssertEqual(evaluator.evaluate(plan.count / 5 + 3).jsonLine, before)
    }

    /// `--skip-out-of-memory`: points that fit, and invalid ones, get exactly their simulated line;
    /// a point that does not fit keeps its status, reason, memory and plan, and has no step figures.
    func testSkippingPointsThatDoNotFitChangesOnlyThem() throws {
        let text = """
        {\(SweepPlanTests.base), "sweep": {
          "model": ["llama3-8b", "llama3-70b"], "cluster.topology": ["h800-ib", "cloudmatrix384"], "cluster.devices": [64, 63],
          "parallelism.tp": [1, 2, 8], "training.microBatchSequences": [1, 4]
        }}
        """
        let plan = try SweepPlan(document: try JSONParser.parse(text), file: "test.json", folder: nil)
        let full = SweepEvaluator(plan), skipping = SweepEvaluator(plan)
        skipping.skipOutOfMemory = true
        var skipped = 0, kept = 0
        for i in 0..<plan.count {
            let a = full.evaluate(i), b = skipping.evaluate(i)
            XCTAssertEqual(a.status, b.status, "point \(i)")
            guard a.status == .outOfMemory else { XCTAssertEqual(a.jsonLine, b.jsonLine, "point \(i)"); kept += 1; continue }
            skipped += 1
            XCTAssertEqual(a.reason, b.reason, "point \(i)")
            XCTAssertEqual(b.report?["memory"], a.report?["memory"], "point \(i)")
            XCTAssertEqual(b.report?["plan"], a.report?["plan"], "point \(i)")
            XCTAssertEqual(b.report?["name"], a.report?["name"], "point \(i)")
            XCTAssertNil(b.metric("stepTimeSeconds"), "point \(i)")
            XCTAssertEqual(SweepOutput.row(b).last, SweepOutput.row(a).last, "point \(i)")
            XCTAssertEqual(SweepOutput.row(b)[SweepOutput.row(b).count - 2], SweepOutput.row(a)[SweepOutput.row(a).count - 2], "memory cell of point \(i)")
        }
        XCTAssertGreaterThan(skipped, 5)
        XCTAssertGreaterThan(kept, 5)
    }

    /// Points are the base decoded once with the swept sections read again: a base that cannot
    /// decode alone (its model comes only from an axis, its training is wrong until an axis sets
    /// it), the raw data and reliability objects, and errors in several sections of one point all
    /// give the lines a whole decode gives.
    func testPartialReadsGiveTheWholeDecodesLines() throws {
        let texts = [
            // No model in the base: every point decodes whole.
            #"{"schemaVersion": 1, "training": {"tokens": 1e11, "sequenceLength": 4096, "globalBatchSequences": 256}, "cluster": {"topology": "h800-ib", "devices": 64}, "parallelism": {"tp": 2}, "sweep": {"model": ["llama3-8b", "nope"], "parallelism.tp": [2, 3]}}"#,
            // A base whose training is set right only by the axis.
            #"{"schemaVersion": 1, "model": "llama3-8b", "training": {"tokens": 1e11, "sequenceLength": 4096, "globalBatchSequences": 0}, "cluster": {"topology": "h800-ib", "devices": 64}, "parallelism": {"tp": 2}, "sweep": {"training.globalBatchSequences": [256, 0, 100]}}"#,
            // data and reliability are kept raw for the run: read again as they are.
            "{\(SweepPlanTests.base), \"sweep\": {\"data.datasetTokens\": [1e12, \"x\"], \"reliability.checkpointRule\": [\"young\", \"never\"]}}",
            // Two sections wrong at once: the decode's order decides which is reported.
            "{\(SweepPlanTests.base), \"sweep\": {\"cluster.devices\": [64, -1], \"parallelism.tp\": [2, 0], \"training.precision\": [\"bf16\", \"fp4\"], \"cost.pue\": [1.2, 0]}}",
        ]
        for text in texts {
            let plan = try SweepPlanTests.plan(text)
            let evaluator = SweepEvaluator(plan)
            for i in 0..<plan.count {
                XCTAssertEqual(evaluator.evaluate(i).jsonLine, plan.evaluate(i).jsonLine, "point \(i) of \(text.prefix(60))")
            }
        }
    }

    func testModelMayBeSweptByItself() throws {
        let plan = try SweepPlanTests.plan("{\(SweepPlanTests.base), \"sweep\": {\"model\": [\"llama3-8b\", \"llama3-70b\"]}}")
        XCTAssertEqual(plan.axes.map(\.path), ["model"])
        let points = (0..<2).map(SweepEvaluator(plan).evaluate)
        XCTAssertEqual(points.map { $0.report?["model"]?["name"] }, [.string("llama3-8b"), .string("llama3-70b")])
        XCTAssertNotEqual(points[0].metric("stepTimeSeconds"), points[1].metric("stepTimeSeconds"))
    }

    /// Points whose step builds a graph simulated before (ZeRO-1 and ZeRO-2 under stacks that
    /// reduce gradients the same way) read it from the evaluator's timeline cache, and still get
    /// exactly the line they get alone, on the analytical and on the flow network; stacks whose
    /// ZeRO stages differ on the timeline do not.
    func testPointsThatRepeatAStepReuseItAndMatchThePointAlone() throws {
        let text = """
        {\(SweepPlanTests.base), "sweep": {
          "cluster.network": ["analytical", "flow"],
          "training.framework": ["megatron-core", "deepspeed", "pytorch-fsdp", "nemo"],
          "parallelism.pp": [1, 2],
          "parallelism.zero": [0, 1, 2, 3],
          "parallelism.schedule": ["1f1b", "interleaved"],
          "training.recompute": ["none", "full"]
        }}
        """
        let plan = try SweepPlan(document: try JSONParser.parse(text), file: "test.json", folder: nil)
        let evaluator = SweepEvaluator(plan)
        var simulated = 0
        for i in 0..<plan.count {
            let fast = evaluator.evaluate(i), alone = plan.evaluate(i)
            XCTAssertEqual(fast.jsonLine, alone.jsonLine, "point \(i)")
            if fast.report?["stepTimeSeconds"] != nil { simulated += 1 }
        }
        XCTAssertGreaterThan(simulated, 80)
        XCTAssertGreaterThan(evaluator.timelineHits, 20, "no point reused a step")
        XCTAssertLessThan(evaluator.timelineHits, simulated / 2)
    }

    func testTallyFindsOneReasonEverywhere() {
        var t = SweepTally()
        t.add(status: .invalid, reason: "x")
        t.add(status: .invalid, reason: "x")
        XCTAssertTrue(t.allInvalidForOneReason)
        t.add(status: .outOfMemory, reason: "y")
        XCTAssertFalse(t.allInvalidForOneReason)
        XCTAssertFalse(t.anyWorks)
        let p = SweepPoint(index: 3, assignment: [("parallelism.tp", .number(2))], status: .invalid, reason: "tp: no", report: nil)
        let (status, reason, line, row) = SweepTally.decode(SweepTally.encode(p, experiment: "feed"))
        XCTAssertEqual(status, .invalid)
        XCTAssertEqual(reason, "tp: no")
        XCTAssertEqual(line, SweepJournal.seal(p.jsonLine, experiment: "feed"))
        XCTAssertEqual(row, "")
        let csv = SweepTally.decode(SweepTally.encode(p, experiment: "feed", rows: .csv))
        XCTAssertEqual(csv.row, SweepOutput.csvRow(p))
        XCTAssertEqual(csv.line, line)
        XCTAssertEqual(csv.reason, reason)
        let table = SweepTally.decode(SweepTally.encode(p, experiment: "feed", rows: .text, reports: true))
        XCTAssertEqual(table.row, SweepOutput.tableLine(p, reports: true))
        XCTAssertEqual(try SweepOutput.TableEntry(line: Array(table.row.utf8.dropLast())[...]).cells, SweepOutput.row(p))
    }
}
