import Foundation
import XCTest

/// A what-if whose failures swamp the run (unreliable devices, slow restarts on 16,384 devices):
/// the report is printed, every failure is counted, and the run exits 1 with the reason, as an
/// out-of-memory plan does.
final class CollapseCLITests: XCTestCase {
    func testACollapsingRunExitsOneWithTheReason() throws {
        let dir = CLI.tempDir()
        defer { try? FileManager.default.removeItem(at: dir) }
        let file = dir.appendingPathComponent("what-if.json")
        try """
        {"model": "llama3-8b", "training": {"tokens": 1e12, "sequenceLength": 8192, "globalBatchSequences": 2048},
         "cluster": {"topology": "h100-ib", "devices": 16384}, "parallelism": {"tp": 8},
         "reliability": {"deviceMTBFHours": 5000, "restartMinutes": 120}}
        """.write(to: file, atomically: true, encoding: .utf8)
        let r = try CLI.trainsim(["run", file.path, "--format", "json"])
        XCTAssertEqual(r.code, 1, r.stderr)
        XCTAssertEqual(r.stderr.split(separator: "\n").count, 1, r.stderr)
        XCTAssertTrue(r.stderr.contains("goodput") && r.stderr.contains("below 10 %") && r.stderr.contains("collapses"), r.stderr)
        let obj = try JSONSerialization.jsonObject(with: Data(r.stdout.utf8)) as! [String: Any]
        let whole = obj["wholeRun"] as! [String: Any]
        let f = whole["failures"] as! [String: Any]
        let expected = f["expected"] as! Double
        // Failures = failures per hour x the wall time they strike in; during work + during restarts.
        XCTAssertEqual(expected, (f["perDay"] as! Double) / 24 * (f["exposedHours"] as! Double), accuracy: 1e-4 * expected)
        XCTAssertEqual(expected, (f["duringWork"] as! Double) + (f["duringRestarts"] as! Double), accuracy: 1e-4 * expected)
        XCTAssertEqual((f["exposedHours"] as! Double) / 24, whole["expectedDays"] as! Double, accuracy: 1e-4 * (whole["expectedDays"] as! Double))
        XCTAssertNotNil((whole["warnings"] as? [String: Any])?["goodput"])
    }
}
