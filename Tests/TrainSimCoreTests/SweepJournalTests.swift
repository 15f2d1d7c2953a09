import Foundation
import XCTest
@testable import TrainSimCore

/// What `--resume` accepts: only complete, unedited lines of the same experiment (same inputs,
/// data files included); a torn tail is dropped wherever it was cut; no line crashes it.
final class SweepJournalTests: XCTestCase {
    static func plan(name: String = "t") throws -> SweepPlan {
        try SweepPlanTests.plan("{\(SweepPlanTests.base.replacingOccurrences(of: "\"name\": \"t\"", with: "\"name\": \"\(name)\"")), \"sweep\": {\"parallelism.tp\": [1, 2, 4, 8]}}")
    }

    func resume(_ text: String, _ p: SweepPlan, experiment: String = "fp") throws -> SweepJournal.Resumed {
        try SweepJournal.resume(Data(text.utf8), plan: p, experiment: experiment, file: "out.jsonl")
    }

    func message(_ body: () throws -> Void) -> String {
        do { try body() } catch { return "\(error)" }
        return "no error"
    }

    func testAnotherExperimentAndEditedLinesAreRefused() throws {
        let p = try Self.plan()
        let line = SweepJournal.seal(p.evaluate(0).jsonLine, experiment: "fp")
        XCTAssertEqual(try resume(line, p).prefixCount, 1)
        XCTAssertTrue(message { _ = try resume(line, p, experiment: "other") }.contains("written for another experiment"))
        let edited = line.replacingOccurrences(of: "\"stepTimeSeconds\":", with: "\"stepTimeSeconds\":1")
        XCTAssertNotEqual(edited, line)
        XCTAssertTrue(message { _ = try resume(edited, p) }.contains("changed after trainsim wrote it"))
        // An unsealed line (an older trainsim's, or another program's) is not silently kept.
        XCTAssertTrue(message { _ = try resume(p.evaluate(0).jsonLine, p) }.contains("not a sweep result with a check"))
    }

    /// With `reports`, the points a resume hands out carry what the tables and CSV read of the
    /// report (read with the check, in one pass): the points `SweepOutput.projection` reads.
    func testResumeWithReportsReadsWhatTheRowsRead() throws {
        let p = try Self.plan()
        let lines = (0..<p.count).map { SweepJournal.seal(p.evaluate($0).jsonLine, experiment: "fp") }
        var bare: [SweepPoint] = [], kept: [SweepPoint] = []
        var whole: [UInt8]? = Array(lines.joined().utf8)
        _ = try SweepJournal.resume(reading: { () throws(TrainSimError) -> [UInt8]? in defer { whole = nil }; return whole },
                                    plan: p, experiment: "fp", file: "out.jsonl", reports: true) { pt, _ in kept.append(pt) }
        whole = Array(lines.joined().utf8)
        _ = try SweepJournal.resume(reading: { () throws(TrainSimError) -> [UInt8]? in defer { whole = nil }; return whole },
                                    plan: p, experiment: "fp", file: "out.jsonl") { pt, _ in bare.append(pt) }
        XCTAssertEqual(kept.count, p.count)
        XCTAssertTrue(kept.contains { $0.report != nil })
        XCTAssertTrue(bare.allSatisfy { $0.report == nil })
        for (k, line) in lines.enumerated() {
            let projected = try SweepPoint(bytes: Array(line.utf8.dropLast())[...], keeping: SweepOutput.projection)
            XCTAssertEqual(kept[k].report, projected.report, "point \(k)")
            XCTAssertEqual(SweepOutput.csvRow(kept[k]), SweepOutput.csvRow(projected), "point \(k)")
            XCTAssertEqual(SweepOutput.tableLine(kept[k], reports: true), SweepOutput.tableLine(projected, reports: true), "point \(k)")
        }
    }

    func testHugeIndexIsAnErrorNotACrash() throws {
        let p = try Self.plan()
        for index in ["1e300", "9223372036854775808", "18446744073709551616", "-1", "1.5"] {
            let line = SweepJournal.seal("{\"index\":\(index),\"point\":{\"parallelism.tp\":1},\"status\":\"invalid\"}\n", experiment: "fp")
            XCTAssertTrue(message { _ = try resume(line, p) }.contains("is not a point number"), index)
            XCTAssertThrowsError(try SweepPoint(line: String(line.dropLast())), index)
        }
    }

    func testLineTornInsideAUTF8CharacterIsDropped() throws {
        let p = try Self.plan(name: "训练-sweep")
        let lines = (0..<2).map { SweepJournal.seal(p.evaluate($0).jsonLine, experiment: "fp") }
        let second = Array(lines[1].utf8)
        let cut = try XCTUnwrap(second.firstIndex { $0 >= 0x80 }) + 1   // after the first byte of "训"
        let torn = Data(lines[0].utf8) + Data(second[..<cut])
        XCTAssertNil(String(data: torn, encoding: .utf8), "the file must not be valid UTF-8")
        let r = try SweepJournal.resume(torn, plan: p, experiment: "fp", file: "out.jsonl")
        XCTAssertEqual(r.prefixCount, 1)
        XCTAssertEqual(r.prefixBytes, lines[0].utf8.count)
        XCTAssertEqual(r.lines[0], lines[0])
    }

    func testFingerprintCountsEveryDataFileButNotItsLayout() throws {
        let doc = try JSONParser.parse("{\"a\": 1}")
        let file = InputFiles.File(path: "/x/h800.json", bytes: Data("{\"tflops\": 989}".utf8))
        let base = ExperimentFingerprint.of(document: doc, files: [file])
        var reindented = file
        reindented.bytes = Data("{\n  \"tflops\":   989\n}\n".utf8)
        XCTAssertEqual(ExperimentFingerprint.of(document: doc, files: [reindented]), base)
        var edited = file
        edited.bytes = Data("{\"tflops\": 990}".utf8)
        XCTAssertNotEqual(ExperimentFingerprint.of(document: doc, files: [edited]), base)
        var moved = file
        moved.path = "/y/h800.json"
        XCTAssertNotEqual(ExperimentFingerprint.of(document: doc, files: [moved]), base)
        XCTAssertNotEqual(ExperimentFingerprint.of(document: try JSONParser.parse("{\"a\": 2}"), files: [file]), base)
        // Files count by where they were found, not where the project lies.
        let home = URL(fileURLWithPath: "/a/trainsim"), experiments = URL(fileURLWithPath: "/b/work")
        XCTAssertEqual(ExperimentFingerprint.label("/a/trainsim/Topologies/h800-ib.json", experimentFolder: experiments, home: home), "home:Topologies/h800-ib.json")
        XCTAssertEqual(ExperimentFingerprint.label("/b/work/h800-ib.json", experimentFolder: experiments, home: home), "experiment:h800-ib.json")
        XCTAssertEqual(ExperimentFingerprint.label("/c/h800-ib.json", experimentFolder: experiments, home: home), "/c/h800-ib.json")
        // A sweep's fingerprint reads the files its points use (the topology and its device).
        let p = try Self.plan()
        XCTAssertEqual(p.fingerprint(), p.fingerprint())
        let read = InputFiles.recorded.map(\.path)
        XCTAssertTrue(read.contains { $0.hasSuffix("Topologies/h800-ib.json") }, "\(read)")
        XCTAssertTrue(read.contains { $0.hasSuffix("Topologies/devices/h800.json") }, "\(read)")
        XCTAssertTrue(read.contains { $0.hasSuffix("Topologies/run/defaults.json") }, "\(read)")
    }
}
