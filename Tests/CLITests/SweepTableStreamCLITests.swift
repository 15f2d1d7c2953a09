import Foundation
import TrainSimCore
import XCTest

/// Sweep tables (text, md) and CSV are made from the lines the computing ranks make for them, put
/// in order in an unlinked temporary file and read back one point at a time: the output must be
/// exactly what rendering every point in memory gives, on the terminal and with --output (beside
/// the journal, FILE.jsonl), and no temporary file may be left behind.
final class SweepTableStreamCLITests: XCTestCase {
    var folder: URL!

    override func setUp() { folder = CLI.tempDir() }
    override func tearDown() { if let folder { try? FileManager.default.removeItem(at: folder) } }

    func testStreamedTablesEqualTablesRenderedInMemory() throws {
        // A topology axis, so the side-by-side tables (which group consecutive points) are covered too.
        let file = folder.appendingPathComponent("sweep.json").path
        let doc = """
        {"name": "stream-check", "model": "llama3-8b",
         "training": {"tokens": 1e12, "sequenceLength": 4096, "globalBatchSequences": 256, "microBatchSequences": 1, "precision": "bf16"},
         "cluster": {"topology": "h800-ib", "devices": 64},
         "parallelism": {"tp": 1, "pp": 1, "zero": 1},
         "sweep": {"parallelism.tp": [1, 2, 3, 8], "parallelism.zero": [1, 3], "cluster.topology": ["h800-ib", "h100-ib"]}}
        """
        try doc.write(toFile: file, atomically: true, encoding: .utf8)
        let json = try CLI.trainsim(["sweep", file, "--format", "json"], cwd: CLI.packageRoot)
        XCTAssertEqual(json.code, 0, json.stderr)
        let points = try json.stdout.split(separator: "\n").map { try SweepPoint(line: String($0)) }
        XCTAssertEqual(points.count, 16)
        XCTAssertTrue(points.contains { $0.status == .invalid }, "tp 3 does not divide: an invalid point is covered")
        let plan = try SweepPlan.load(path: file)
        let before = Set(try FileManager.default.contentsOfDirectory(atPath: NSTemporaryDirectory()).filter { $0.hasPrefix("trainsim-sweep.") })
        for format in [ReportFormat.text, .md, .csv] {
            let expected = SweepOutput.render(points, plan: plan, format: format)
            let terminal = try CLI.trainsim(["sweep", file, "--format", format.rawValue], cwd: CLI.packageRoot)
            XCTAssertEqual(terminal.code, 0, terminal.stderr)
            XCTAssertEqual(terminal.stdout, expected, "\(format) on standard output")
            let out = folder.appendingPathComponent("table.\(format.rawValue)").path
            let written = try CLI.trainsim(["sweep", file, "--format", format.rawValue, "--output", out], cwd: CLI.packageRoot)
            XCTAssertEqual(written.code, 0, written.stderr)
            XCTAssertEqual(try String(contentsOfFile: out, encoding: .utf8), expected, "\(format) to --output")
            XCTAssertEqual(try String(contentsOfFile: out + ".jsonl", encoding: .utf8), json.stdout, "the journal beside it holds the JSON lines")
        }
        XCTAssertTrue(SweepOutput.render(points, plan: plan, format: .text).contains("topologies side by side"))
        let after = Set(try FileManager.default.contentsOfDirectory(atPath: NSTemporaryDirectory()).filter { $0.hasPrefix("trainsim-sweep.") })
        XCTAssertEqual(after.subtracting(before), [], "the temporary files are unlinked")
    }
}
