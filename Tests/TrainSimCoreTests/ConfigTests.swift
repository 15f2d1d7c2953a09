import XCTest
@testable import TrainSimCore

final class ConfigTests: XCTestCase {
    func testParserKeepsKeyOrderAndRoundTrips() throws {
        let v = try JSONParser.parse("{\"b\": 1, \"a\": [true, null, \"x\\u00e9\"], \"c\": {\"d\": -2.5e3}}")
        guard case let .object(pairs) = v else { return XCTFail() }
        XCTAssertEqual(pairs.map(\.0), ["b", "a", "c"])
        XCTAssertEqual(try JSONParser.parse(JSONWriter.write(v)), v)
        XCTAssertEqual(v.value(at: ["c", "d"]), .number(-2500))
    }

    func testJSONStringsAreEscapedAndRoundTrip() throws {
        let s = "quote \" back \\ nl \n cr \r tab \t ctl \u{01}\u{1f} é 名 😀"
        let written = JSONWriter.write(.string(s))
        XCTAssertEqual(written, #""quote \" back \\ nl \n cr \r tab \t ctl \u0001\u001f é 名 😀""#)
        XCTAssertEqual(try JSONParser.parse(written), .string(s))
        XCTAssertEqual(JSONWriter.write(.object([("k\"", .string("plain"))]), pretty: false), #"{"k\"":"plain"}"#)
    }

    func testParserRejectsWithPosition() {
        do { _ = try JSONParser.parse("{\n  \"a\": 1,\n  \"a\": 2\n}"); XCTFail() } catch {
            XCTAssertEqual(error.line, 3)
            XCTAssertTrue(error.message.contains("duplicate"))
        }
        XCTAssertThrowsError(try JSONParser.parse(String(repeating: "[", count: 100)))
    }

    func testSettingKeyPaths() throws {
        let v = try JSONParser.parse("{\"parallelism\": {\"tp\": 1}}")
        let w = v.setting(["parallelism", "tp"], to: .number(8)).setting(["cluster", "devices"], to: .number(64))
        XCTAssertEqual(w.value(at: ["parallelism", "tp"]), .number(8))
        XCTAssertEqual(w.value(at: ["cluster", "devices"]), .number(64))
    }

    func testDidYouMean() {
        XCTAssertEqual(closestMatch("tpp", in: ["tp", "pp", "dp"]), "tp")
        XCTAssertEqual(closestMatch("recomppute", in: ["recompute", "precision"]), "recompute")
        XCTAssertNil(closestMatch("zzzzzz", in: ["tp", "pp"]))
    }

    func testDPIsDerivedAndEPDividesDP() throws {
        let e = try Experiment.decode(try JSONParser.parse("""
        {"model": "deepseek-v3", "training": {"tokens": 1e12, "sequenceLength": 4096, "globalBatchSequences": 1024},
         "cluster": {"topology": "h800-ib", "devices": 512}, "parallelism": {"tp": 1, "pp": 8, "ep": 32}}
        """), file: "t.json", folder: nil)
        XCTAssertEqual(e.parallelism.dp, 64)
        XCTAssertEqual(e.microBatches, 16)
    }

    func testGlobalBatchTokens() throws {
        let e = try Experiment.decode(try JSONParser.parse("""
        {"model": "llama3-8b", "training": {"tokens": 1e12, "sequenceLength": 8192, "globalBatchTokens": 16777216},
         "cluster": {"topology": "h100-ib", "devices": 64}, "parallelism": {"tp": 8}}
        """), file: "t.json", folder: nil)
        XCTAssertEqual(e.training.globalBatchSequences, 2048)
    }
}
