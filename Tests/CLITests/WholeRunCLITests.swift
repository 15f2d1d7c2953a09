import Foundation
import XCTest

/// `trainsim run --trials` end to end: Monte Carlo shared among MPI ranks gives byte-identical
/// reports for 1 and 3 ranks, and bad `data`/`reliability` input is one line and exit 2.
final class WholeRunCLITests: XCTestCase {
    static var example: String { CLI.packageRoot + "/Experiments/llama3-405b-h100-wholerun.json" }

    func testOneAndThreeRanksGiveByteIdenticalPercentiles() throws {
        let args = ["run", Self.example, "--trials", "200", "--format", "json"]
        let one = try CLI.mpirun(1, args)
        let three = try CLI.mpirun(3, args, oversubscribe: true)
        let plain = try CLI.trainsim(args)
        XCTAssertEqual(one.code, 0, one.stderr)
        XCTAssertEqual(three.code, 0, three.stderr)
        XCTAssertTrue(one.stdout.contains("\"p90Days\""), one.stdout)
        XCTAssertEqual(one.stdout, three.stdout)
        XCTAssertEqual(one.stdout, plain.stdout)
        let json = try JSONSerialization.jsonObject(with: Data(three.stdout.utf8)) as? [String: Any]
        let mc = (json?["wholeRun"] as? [String: Any])?["monteCarlo"] as? [String: Any]
        XCTAssertEqual(mc?["trials"] as? Int, 200)
        let p50 = try XCTUnwrap(mc?["p50Days"] as? Double), p90 = try XCTUnwrap(mc?["p90Days"] as? Double)
        XCTAssertLessThanOrEqual(p50, p90)
    }

    func testSeedChangesTheDrawsAndTheSameSeedRepeatsThem() throws {
        let a = try CLI.trainsim(["run", Self.example, "--trials", "50", "--seed", "9", "--format", "csv"])
        let b = try CLI.trainsim(["run", Self.example, "--trials", "50", "--seed", "9", "--format", "csv"])
        let c = try CLI.trainsim(["run", Self.example, "--trials", "50", "--seed", "10", "--format", "csv"])
        XCTAssertEqual(a.code, 0, a.stderr)
        XCTAssertEqual(a.stdout, b.stdout)
        XCTAssertNotEqual(a.stdout, c.stdout)
        XCTAssertTrue(a.stdout.contains("wholeRun.monteCarlo.p99Days"))
        let text = try CLI.trainsim(["run", Self.example, "--trials", "20"])
        XCTAssertTrue(text.stdout.contains("days P50 / P90"), text.stdout)
        XCTAssertTrue(text.stdout.contains("long-context-128k: "), text.stdout)
        XCTAssertTrue(text.stdout.contains("tp 8 pp 16 cp 16 (allgather) ep 1 dp 8"), text.stdout)
    }

    func testBadWholeRunInputIsOneLineAndExitTwo() throws {
        let dir = CLI.tempDir()
        defer { try? FileManager.default.removeItem(at: dir) }
        let cases: [(String, String)] = [
            (#""data": {"epochs": 2}"#, #"bad.json: data.epochs: unknown key; did you mean "maxEpochs"?"#),
            (#""reliability": {"nodeMTBF": 100}"#, #"bad.json: reliability.nodeMTBF: unknown key; did you mean "nodeMTBFHours"?"#),
            (#""data": {"phases": [{"tokens": 1e10, "parallelism": {"tp": 3}}]}"#, "bad.json: data.phases[0].parallelism"),
        ]
        let file = dir.appendingPathComponent("bad.json")
        for (extra, expected) in cases {
            try """
            {"model": "llama3-8b", "training": {"tokens": 1e11, "sequenceLength": 8192, "globalBatchSequences": 512},
             "cluster": {"topology": "h100-ib", "devices": 64}, "parallelism": {"tp": 8}, \(extra)}
            """.write(to: file, atomically: true, encoding: .utf8)
            let r = try CLI.trainsim(["run", file.path])
            XCTAssertEqual(r.code, 2, extra)
            XCTAssertEqual(r.stdout, "")
            XCTAssertEqual(r.stderr.split(separator: "\n").count, 1, r.stderr)
            XCTAssertTrue(r.stderr.contains(expected), "\(extra): \(r.stderr)")
        }
        let neg = try CLI.trainsim(["run", Self.example, "--trials=-1"])
        XCTAssertEqual(neg.code, 2, neg.stderr)
        XCTAssertEqual(neg.stderr.split(separator: "\n").count, 1, neg.stderr)
    }

    func testEverythingThatKeepsARunFromWorkingIsOneLine() throws {
        // Out of memory and a checkpoint interval that failures never let finish: exit 1, the
        // report on stdout, both reasons on one stderr line.
        let dir = CLI.tempDir()
        defer { try? FileManager.default.removeItem(at: dir) }
        let file = dir.appendingPathComponent("both.json")
        try """
        {"model": "llama3-70b", "training": {"tokens": 1e11, "sequenceLength": 8192, "globalBatchSequences": 512, "recompute": "none"},
         "cluster": {"topology": "h100-ib", "devices": 64}, "parallelism": {"tp": 1},
         "reliability": {"deviceMTBFHours": 1, "checkpointIntervalMinutes": 600}}
        """.write(to: file, atomically: true, encoding: .utf8)
        let r = try CLI.trainsim(["run", file.path])
        XCTAssertEqual(r.code, 1, r.stderr)
        XCTAssertTrue(r.stdout.contains("OUT OF MEMORY"), r.stdout)
        XCTAssertEqual(r.stderr.split(separator: "\n").count, 1, r.stderr)
        XCTAssertTrue(r.stderr.contains("out of memory") && r.stderr.contains("almost never completes"), r.stderr)
    }
}
