import XCTest
@testable import TrainSimCore

/// Published runs as the oracle, kept in Tests/Calibration (cases.json: C1-C4 and further runs; cases-2.json: C5-C16).
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
            XCTAssertTrue(r.withinTolerance, "\(r.case.id): predicted \(r.predicted), published \(r.case.published), limit \(r.case.tolerance)")
            // Every published row (C1-C16) is held to 15 %.
            if r.case.id.hasPrefix("C") { XCTAssertLessThanOrEqual(r.case.tolerance, 0.15, r.case.id) }
        }
        XCTAssertEqual(results.filter { $0.case.id.hasPrefix("C") }.count, 32, "all of C1-C4's published runs are cases (its 30 table rows and the 2,240-GPU runs of C2's abstract)")
    }

    static let medianTolerance = 0.06

    /// C5-C16 load, and the held-out split is the one fixed before fitting (cases-2.json's description).
    func testSecondSetKeepsItsHeldOutSplit() throws {
        let path = FileManager.default.currentDirectoryPath + "/Tests/Calibration/cases-2.json"
        let cases = try CalibrationSuite.load(path: path)
        XCTAssertEqual(cases.count, 38)
        let fitted = Set(cases.filter(\.calibration).map { String($0.id.prefix(while: { $0 != "-" })) })
        XCTAssertEqual(fitted, ["C5.1", "C5.2", "C5.3", "C6.1", "C6.2", "C6.3", "C6.4", "C6.5", "C12.1", "C12.4", "C12.5", "C12.7", "C12.9",
                                "C16.4", "C15.1"])  // C16.4 since stop 21 (MindSpeed's moeKernelEfficiency), C15.1 and C12.5 since stop 22 (DeepSpeed's efficiencyFactor; FlashAttention-2's share of the H100 attention curve)
        for c in cases { XCTAssertEqual(c.tolerance, 0.15, c.id) }
        // Parts of one chip share its compute description: the A100 40GB and 80GB rows are one family.
        let families = Set(cases.filter { $0.id.hasPrefix("C12.") && $0.id.contains("A100") }.map(\.family))
        XCTAssertEqual(families, ["ga100"])
    }

    /// Every published plan ran, so it should fit. Four do not in trainsim's memory model: Llama 3
    /// 405B at 8,192 and 16,384 GPUs (Meta's own pipeline schedule and early deallocation are not
    /// modelled: the cases' readings say so) and two NeMo AutoModel runs that come out within 0.6 GiB
    /// of the 79.6 GiB (the 3 GiB runtime reserve is an estimate). A change that rejects another
    /// published plan fails here, and so does one that makes these fit, so that the list in the
    /// closing notes and in `validate` stays true.
    func testPublishedPlansFitButTheKnownFour() throws {
        let root = FileManager.default.currentDirectoryPath
        var cases: [CalibrationCase] = []
        for f in ["cases.json", "cases-2.json"] { cases += try CalibrationSuite.load(path: root + "/Tests/Calibration/" + f) }
        let results = try CalibrationSuite.evaluate(cases)
        let over = CalibrationSuite.outOfMemory(results)
        XCTAssertEqual(over.map(\.case.id), ["L1-Llama3-405B-16384", "L2-Llama3-405B-8192", "C10.1-Kimi-K2", "C10.3-GPT-OSS-120B"],
                       over.map { "\($0.case.id): \($0.memory!.peakGiB) GiB" }.joined(separator: "; "))
        for r in over where r.case.id.hasPrefix("C10.") { XCTAssertLessThan(r.memory!.peakGiB - r.memory!.capacityGiB, 0.6, r.case.id) }
        let text = CalibrationSuite.render(results, format: .text)
        XCTAssertTrue(text.contains("published plans trainsim finds out of memory (each ran, so each is an error of the memory model): 4 of 76"), text)
        XCTAssertTrue(text.contains("C10.3-GPT-OSS-120B      needs 79.7 GiB per device, has 79.6 (stage 0)"), text)
        let json = try JSONParser.parse(CalibrationSuite.render(results, format: .json))
        XCTAssertEqual(json.value(dotted: "outOfMemory"), .array(over.map { .string($0.case.id) }))
    }

    /// Never fit on a held-out row: every row a data file says it was fitted on is a calibration row.
    func testFittedConstantsNameOnlyCalibrationRows() throws {
        let root = FileManager.default.currentDirectoryPath
        var cases: [CalibrationCase] = []
        for f in ["cases.json", "cases-2.json"] { cases += try CalibrationSuite.load(path: root + "/Tests/Calibration/" + f) }
        let role = Dictionary(uniqueKeysWithValues: cases.map { ($0.id, $0.calibration) })
        var named = 0
        let files = FileManager.default.enumerator(atPath: root + "/Topologies")!.compactMap { $0 as? String }.filter { $0.hasSuffix(".json") }
        for f in files {
            let text = try String(contentsOfFile: root + "/Topologies/" + f, encoding: .utf8)
            for part in text.components(separatedBy: "Tests/Calibration/fit.py").dropFirst() {
                guard let on = part.range(of: "on rows ") else { continue }
                let list = part[on.upperBound...].prefix { $0 != "\"" && $0 != ":" && $0 != "(" }
                for id in list.split(separator: ",").map({ $0.trimmingCharacters(in: CharacterSet(charactersIn: " ."))}) where !id.isEmpty {
                    named += 1
                    XCTAssertEqual(role[id], true, "\(f) names \(id) as a fitting row")
                }
            }
        }
        XCTAssertGreaterThan(named, 20)
    }
}
