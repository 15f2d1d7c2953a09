import XCTest
@testable import TrainSimCore

/// Plan against plan: validate's pairs of published runs of one model on one device family, and
/// the ratio error a search's ranking has.
final class PairAccuracyTests: XCTestCase {
    static let cases: [CalibrationCase] = {
        let root = FileManager.default.currentDirectoryPath + "/Tests/Calibration/"
        return (try? CalibrationSuite.load(path: root + "cases.json"))! + (try? CalibrationSuite.load(path: root + "cases-2.json"))!
    }()

    func result(_ id: String, predicted factor: Double, published: Double? = nil) throws -> CalibrationResult {
        var c = try XCTUnwrap(Self.cases.first { $0.id.hasPrefix(id) }, id)
        if let published { c.published = published }
        return CalibrationResult(case: c, predicted: c.published * factor, error: factor - 1)
    }

    /// The ratio error is exp(|ln predicted a/b - ln published a/b|) - 1, the same whichever run is
    /// a; the order is tested when the runs were measured 3 % or more apart.
    func testRatioErrorClosedFormSymmetryAndOrder() throws {
        let a = try result("C12.1-", predicted: 1.10), b = try result("C12.4-", predicted: 0.95)
        let ab = RunPair(a: a, b: b), ba = RunPair(a: b, b: a)
        XCTAssertEqual(ab.ratioError, 1.10 / 0.95 - 1, accuracy: 1e-12)
        XCTAssertEqual(ba.ratioError, ab.ratioError, accuracy: 1e-12)
        XCTAssertEqual(ab.publishedRatio, 2115.0 / 2308.0, accuracy: 1e-12)
        // Measured 8 % apart, the 512-GPU run the slower; these predictions put it 6 % faster.
        XCTAssertTrue(ab.ordered)
        XCTAssertFalse(ab.orderRight)
        XCTAssertFalse(ba.orderRight)
        XCTAssertFalse(ab.heldOut, "both rows set constants")
        // The same errors on both runs cancel in their ratio.
        let same = RunPair(a: try result("C12.1-", predicted: 1.2), b: try result("C12.4-", predicted: 1.2))
        XCTAssertEqual(same.ratioError, 0, accuracy: 1e-12)
        XCTAssertTrue(same.orderRight)
    }

    /// Pairs measured closer than the separation are not ordered; at exactly 3 % they are.
    func testSeparationBoundary() throws {
        let b = try result("C12.4-", predicted: 1, published: 1000)
        let at = RunPair(a: try result("C12.1-", predicted: 1, published: 1030), b: b)
        let inside = RunPair(a: try result("C12.1-", predicted: 1, published: 1029), b: b)
        XCTAssertTrue(at.ordered)
        XCTAssertFalse(inside.ordered)
        let s = PairSummary([at, inside])
        XCTAssertEqual(s.pairs, 2)
        XCTAssertEqual(s.ordered, 1)
        XCTAssertEqual(s.orderRight, 1)
        XCTAssertTrue(s.sentence.hasSuffix("order right in 1 of 1 measured 3 % or more apart"), s.sentence)
    }

    /// Runs pair only with runs of the same model, on the same silicon, in the same metric; with
    /// every prediction exact, every pair's ratio error is 0 and every ordered pair is right.
    func testPairsGroupOneModelOneFamilyOneMetric() throws {
        let exact = Self.cases.map { CalibrationResult(case: $0, predicted: $0.published, error: 0) }
        let ps = CalibrationSuite.pairs(exact)
        XCTAssertGreaterThan(ps.count, 40)
        for p in ps {
            XCTAssertEqual(p.a.case.metric, p.b.case.metric, p.name)
            XCTAssertEqual(p.a.case.family, p.b.case.family, p.name)
            XCTAssertEqual(p.a.case.experiment.model, p.b.case.experiment.model, p.name)
            XCTAssertEqual(p.ratioError, 0, accuracy: 1e-12, p.name)
            if p.ordered { XCTAssertTrue(p.orderRight, p.name) }
        }
        let names = Set(ps.map(\.name))
        XCTAssertTrue(names.contains { $0.hasPrefix("C12.1-30b-H100 / C12.4-30b-H100") })
        // The same model on A100 is another family; C1's rows are all different models.
        XCTAssertFalse(names.contains { $0.contains("C12.1-30b-H100") && $0.contains("C12.7") })
        XCTAssertFalse(ps.contains { $0.a.case.id.hasPrefix("C1-") && $0.b.case.id.hasPrefix("C1-") })
        // Held-out pairs: neither row sets a constant.
        for p in ps { XCTAssertEqual(p.heldOut, !p.a.case.calibration && !p.b.case.calibration) }
        // Across device families: the same model and metric on two silicons, and nothing else.
        let across = CalibrationSuite.pairs(exact, acrossFamilies: true)
        XCTAssertTrue(across.contains { $0.name == "C12.1-30b-H100 / C12.7-30b-A100-80" }, across.map(\.name).joined(separator: ", "))
        for p in across {
            XCTAssertNotEqual(p.a.case.family, p.b.case.family, p.name)
            XCTAssertEqual(p.a.case.metric, p.b.case.metric, p.name)
            XCTAssertEqual(p.a.case.experiment.model, p.b.case.experiment.model, p.name)
        }
        XCTAssertTrue(Set(across.map(\.name)).isDisjoint(with: names))
    }

    /// On the shipped rows a pair's ratio error follows from its two rows' errors alone:
    /// exp(|ln(1 + e_a) - ln(1 + e_b)|) - 1; and validate's JSON and text carry the summaries.
    func testValidateReportsPairsFromTheRowsErrors() throws {
        let path = FileManager.default.currentDirectoryPath + "/Tests/Calibration/cases.json"
        let results = try CalibrationSuite.evaluate(try CalibrationSuite.load(path: path).filter { $0.id.hasPrefix("C2-") || $0.id.hasPrefix("C3-") })
        let ps = CalibrationSuite.pairs(results)
        XCTAssertGreaterThan(ps.count, 20)
        for p in ps {
            XCTAssertEqual(p.ratioError, exp(abs(log(1 + p.a.error) - log(1 + p.b.error))) - 1, accuracy: 1e-9, p.name)
        }
        let json = try JSONParser.parse(CalibrationSuite.render(results, format: .json))
        let held = PairSummary(ps.filter(\.heldOut))
        XCTAssertEqual(json["pairs"]?["heldOut"]?["pairs"], .number(Double(held.pairs)))
        XCTAssertEqual(json["pairs"]?["heldOut"]?["orderRight"], .number(Double(held.orderRight)))
        XCTAssertEqual(json["pairs"]?["all"]?["ordered"], .number(Double(PairSummary(ps).ordered)))
        XCTAssertEqual(json["pairs"]?["separation"], .number(0.03))
        XCTAssertEqual(json["pairsAcrossFamilies"]?["all"]?["pairs"], .number(Double(CalibrationSuite.pairs(results, acrossFamilies: true).count)))
        guard case let .array(list)? = json["pairs"]?["list"] else { return XCTFail("pairs.list") }
        XCTAssertEqual(list.count, ps.count)
        let text = CalibrationSuite.render(results, format: .text)
        XCTAssertTrue(text.contains("plan against plan"), text)
        XCTAssertTrue(text.contains("held out (neither run sets a constant): " + held.sentence), text)
        // In md the section is a bold line and a list, set off by blank lines.
        let md = CalibrationSuite.render(results, format: .md)
        XCTAssertTrue(md.contains("\n\n**plan against plan (") && md.contains("**\n\n- held out (neither run sets a constant): "), md)
    }
}
