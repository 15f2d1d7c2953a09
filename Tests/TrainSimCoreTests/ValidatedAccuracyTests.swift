import XCTest
@testable import TrainSimCore

/// Reports quote the held-out accuracy of the groups a run falls in, as `Topologies/run/accuracy.json`
/// (written by Tests/Calibration/fit.py from `validate`) gives it.
final class ValidatedAccuracyTests: XCTestCase {
    func analysis(topology: String, model: String, stack: String = "megatron-core") throws -> Analysis {
        let e = try Experiment.decode(try JSONParser.parse("""
        {"model": "\(model)",
         "training": {"tokens": 1e11, "sequenceLength": 4096, "globalBatchSequences": 64, "microBatchSequences": 1, "framework": "\(stack)"},
         "cluster": {"topology": "\(topology)", "devices": 64},
         "parallelism": {"tp": 8, "pp": 1}}
        """), file: "a.json", folder: nil)
        return try Analysis.analyze(e)
    }

    func testReportQuotesTheRunsGroupsFromTheDataFile() throws {
        let data = try XCTUnwrap(try ValidatedAccuracy.shippedIfPresent(), "Topologies/run/accuracy.json is shipped")
        let a = try analysis(topology: "a100-80g-ib", model: "llama3-8b")
        let json = a.reportJSON()
        let acc = try XCTUnwrap(json["accuracy"])
        let family = try XCTUnwrap(data.byFamily["ga100"])
        XCTAssertEqual(acc["deviceFamily"]?["name"], .string("ga100"))
        XCTAssertEqual(acc["deviceFamily"]?["heldOutRuns"], .number(Double(family.heldOut)))
        XCTAssertEqual(acc["deviceFamily"]?["medianAbsError"], .number(family.median))
        XCTAssertEqual(acc["deviceFamily"]?["maxAbsError"], .number(family.worst))
        XCTAssertGreaterThan(family.heldOut, 0)
        XCTAssertLessThanOrEqual(family.median, family.worst)
        XCTAssertEqual(acc["stack"]?["name"], .string("megatron-core"))
        XCTAssertEqual(acc["modelKind"]?["name"], .string("dense"))
        XCTAssertEqual(acc["overall"]?["heldOutRuns"], .number(Double(data.overall.heldOut)))
        // Every held-out row is in exactly one family, one stack and one kind.
        for groups in [data.byFamily, data.byStack, data.byKind] {
            XCTAssertEqual(groups.values.reduce(0) { $0 + $1.heldOut }, data.overall.heldOut)
            XCTAssertEqual(Set(groups.values.flatMap(\.rows)).count, data.overall.heldOut)
            for g in groups.values { XCTAssertEqual(g.rows.count, g.heldOut) }
        }
        XCTAssertTrue(a.render(.text).contains("device family ga100"))
    }

    /// A device no published run was held out for says so, in JSON and text.
    func testUnvalidatedFamilySaysSo() throws {
        let a = try analysis(topology: "kunlunxin-p800", model: "llama3-8b", stack: "megatron-core")
        let acc = try XCTUnwrap(a.reportJSON()["accuracy"])
        XCTAssertEqual(acc["deviceFamily"]?["heldOutRuns"], .number(0))
        XCTAssertNil(acc["deviceFamily"]?["medianAbsError"])
        XCTAssertTrue(a.render(.text).contains("no published run held out: unvalidated"), a.render(.text))
    }

    /// The search's one-line summary names each group with its figures, or says it is unvalidated.
    func testSearchSummaryLine() throws {
        let data = try XCTUnwrap(try ValidatedAccuracy.shippedIfPresent())
        let ga100 = try XCTUnwrap(data.byFamily["ga100"])
        // DeepSpeed's rows all set constants: none is held out.
        XCTAssertEqual(data.byStack["deepspeed"]?.heldOut ?? 0, 0)
        let line = data.summary(try analysis(topology: "a100-80g-ib", model: "llama3-8b", stack: "deepspeed").experiment)
        XCTAssertTrue(line.hasPrefix("ga100 \(Fmt.fixed(100 * ga100.median, 1)) % median, \(Fmt.fixed(100 * ga100.worst, 1)) % worst (\(ga100.heldOut) runs)"), line)
        XCTAssertTrue(line.contains("deepspeed unvalidated"), line)
        XCTAssertTrue(line.contains("dense "), line)
    }

    /// MoE runs quote the MoE rows.
    func testMoERunQuotesTheMoERows() throws {
        let data = try XCTUnwrap(try ValidatedAccuracy.shippedIfPresent())
        let e = try Experiment.decode(try JSONParser.parse("""
        {"model": "deepseek-v2",
         "training": {"tokens": 1e11, "sequenceLength": 4096, "globalBatchSequences": 64, "microBatchSequences": 1},
         "cluster": {"topology": "h100-ib", "devices": 64},
         "parallelism": {"tp": 1, "pp": 1, "ep": 8}}
        """), file: "m.json", folder: nil)
        let acc = try XCTUnwrap(try Analysis.analyze(e).reportJSON()["accuracy"])
        XCTAssertEqual(acc["modelKind"]?["name"], .string("moe"))
        XCTAssertEqual(acc["modelKind"]?["heldOutRuns"], .number(Double(try XCTUnwrap(data.byKind["moe"]).heldOut)))
    }

    /// The shipped file carries plan against plan on the held-out pairs; the run's JSON quotes it,
    /// and a search ends its accuracy lines with it.
    func testPlanPairsQuotedForRanking() throws {
        let data = try XCTUnwrap(try ValidatedAccuracy.shippedIfPresent())
        let p = try XCTUnwrap(data.pairs, "accuracy.json has planPairs")
        XCTAssertGreaterThan(p.pairs, 20)
        XCTAssertLessThanOrEqual(p.orderRight, p.ordered)
        XCTAssertLessThanOrEqual(p.median, p.worst)
        let acc = try XCTUnwrap(try analysis(topology: "h100-ib", model: "llama3-8b").reportJSON()["accuracy"])
        XCTAssertEqual(acc["planPairs"]?["heldOutPairs"], .number(Double(p.pairs)))
        XCTAssertEqual(acc["planPairs"]?["medianAbsRatioError"], .number(p.median))
        XCTAssertEqual(data.pairLine, "plan against plan (held-out pairs of published runs of one model on one device family): " + p.sentence)
    }

    /// A planPairs that cannot be (more pairs ordered right than ordered) is a one-line error naming it.
    func testMalformedPlanPairsIsAnError() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("acc-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let g = #"{"heldOut": 1, "medianAbsError": 0.05, "maxAbsError": 0.05, "rows": ["X"]}"#
        let url = dir.appendingPathComponent("accuracy.json")
        try """
        {"schemaVersion": 1, "description": "d", "source": "s", "overall": \(g),
         "deviceFamily": {"ga100": \(g)}, "stack": {"megatron-core": \(g)}, "modelKind": {"dense": \(g)},
         "planPairs": {"pairs": 3, "ordered": 2, "orderRight": 3, "medianAbsRatioError": 0.04, "maxAbsRatioError": 0.1}}
        """.write(to: url, atomically: true, encoding: .utf8)
        XCTAssertThrowsError(try ValidatedAccuracy.load(url)) { e in
            let text = "\(e)"
            XCTAssertTrue(text.contains("planPairs") && text.contains("orderRight"), text)
            XCTAssertFalse(text.contains("\n"), text)
        }
    }

    /// A comparison quotes plan against plan across device families when its runs' devices differ,
    /// and within one family when they do not.
    func testCompareQuotesTheMatchingPairs() throws {
        let data = try XCTUnwrap(try ValidatedAccuracy.shippedIfPresent())
        let across = try XCTUnwrap(data.acrossPairLine), within = try XCTUnwrap(data.pairLine)
        func table(_ topologies: [String], accuracy: Bool = true) throws -> String {
            CompareTable(columns: try topologies.map { CompareTable.Column(label: $0, report: try analysis(topology: $0, model: "llama3-8b").reportJSON()) })
                .render(.text, accuracy: accuracy)
        }
        // A sweep's side-by-side tables, streamed from projected lines, do not carry it.
        XCTAssertFalse(try table(["a100-80g-ib", "h100-ib"], accuracy: false).contains("plan against plan"))
        let mixed = try table(["a100-80g-ib", "h100-ib"])
        XCTAssertTrue(mixed.contains(across), mixed)
        XCTAssertFalse(mixed.contains(within), mixed)
        let same = try table(["h100-ib", "h800-ib"])
        XCTAssertTrue(same.contains(within), same)
        XCTAssertFalse(same.contains(across), same)
        XCTAssertLessThanOrEqual(try XCTUnwrap(data.pairsAcrossFamilies).orderRight, data.pairsAcrossFamilies!.ordered)
    }
}
