import Foundation
import XCTest

/// Each point of a sweep is the experiment run on its own: `trainsim run` on the point's document
/// gives the same report (every key the sweep line carries, wholeRun aside), the same exit status,
/// and for a point that cannot work the same reason. Needs the release binary in TRAINSIM_BIN.
final class SweepPointsCLITests: XCTestCase {
    var folder: URL!

    override func setUp() { folder = CLI.tempDir() }
    override func tearDown() { if let folder { try? FileManager.default.removeItem(at: folder) } }

    static var base: [String: Any] { [
        "schemaVersion": 1, "name": "points-alone", "model": "llama3-8b",
        "training": ["tokens": 1e12, "sequenceLength": 8192, "globalBatchSequences": 512, "microBatchSequences": 1, "precision": "bf16"],
        "cluster": ["topology": "a100-80g-ib", "devices": 64],
        "parallelism": ["tp": 2, "pp": 1, "zero": 1],
    ] }

    func write(_ object: [String: Any], _ name: String) throws -> String {
        let url = folder.appendingPathComponent(name)
        try JSONSerialization.data(withJSONObject: object, options: [.sortedKeys]).write(to: url)
        return url.path
    }

    func testEveryPointEqualsItsExperimentRunAlone() throws {
        let axes: [(String, [Any])] = [
            ("model", ["llama3-8b", "llama3-70b"]), ("cluster.topology", ["a100-80g-ib", "h800-ib"]),
            ("parallelism.tp", [3, 8]), ("cost.pue", [1.1, 1.3]),
        ]
        // The sweep object keeps the axes in this order (JSONSerialization sorts keys: write it by hand).
        var doc = Self.base
        doc["sweep"] = [:] as [String: Any]
        var text = String(decoding: try JSONSerialization.data(withJSONObject: doc, options: [.sortedKeys]), as: UTF8.self)
        let sweep = axes.map { k, v in "\"\(k)\": " + String(decoding: try! JSONSerialization.data(withJSONObject: v), as: UTF8.self) }
        text = text.replacingOccurrences(of: "\"sweep\":{}", with: "\"sweep\":{" + sweep.joined(separator: ",") + "}")
        let sweepFile = folder.appendingPathComponent("sweep.json")
        try Data(text.utf8).write(to: sweepFile)
        let r = try CLI.trainsim(["sweep", sweepFile.path, "--format", "json"], cwd: CLI.packageRoot)
        XCTAssertEqual(r.code, 0, r.stderr)
        let lines = r.stdout.split(separator: "\n")
        XCTAssertEqual(lines.count, 16)
        var statuses = Set<String>()
        for (i, line) in lines.enumerated() {
            let point = try JSONSerialization.jsonObject(with: Data(line.utf8)) as! [String: Any]
            XCTAssertEqual(point["index"] as? Int, i)
            let status = point["status"] as! String
            statuses.insert(status)
            // The point's own document: the base with its values put in.
            var alone = Self.base
            for (path, value) in point["point"] as! [String: Any] {
                let parts = path.split(separator: ".").map(String.init)
                if parts.count == 1 { alone[parts[0]] = value } else {
                    var section = (alone[parts[0]] as? [String: Any]) ?? [:]
                    section[parts[1]] = value
                    alone[parts[0]] = section
                }
            }
            let run = try CLI.trainsim(["run", try write(alone, "point\(i).json"), "--format", "json"], cwd: CLI.packageRoot)
            switch status {
            case "invalid":
                XCTAssertEqual(run.code, 2, "point \(i)")
                XCTAssertTrue(run.stderr.contains(point["reason"] as! String), "point \(i): \(run.stderr) vs \(point["reason"]!)")
            default:
                XCTAssertEqual(run.code, status == "ok" ? 0 : 1, "point \(i): \(run.stderr)")
                let report = try JSONSerialization.jsonObject(with: Data(run.stdout.utf8)) as! [String: Any]
                let swept = point["report"] as! [String: Any]
                XCTAssertGreaterThan(swept.count, 10)
                for (key, value) in swept where key != "wholeRun" {
                    XCTAssertEqual(report[key] as? NSObject, value as? NSObject, "point \(i): \(key)")
                }
            }
        }
        XCTAssertEqual(statuses, ["ok", "invalid", "out-of-memory"])
    }
}
