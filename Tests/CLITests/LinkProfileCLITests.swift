import Foundation
import XCTest

/// A link profile (`trainsim calibrate --write`) changes the figures it measured in every run that
/// names it: the collectives on the measured tier take the closed-form time at the measured
/// bandwidth and latency; a missing profile is one line and exit 2.
final class LinkProfileCLITests: XCTestCase {
    /// An experiment on 64 A100s (8 per node), in `dir`, naming `profile` as cluster.linkProfile.
    func experiment(in dir: URL, tp: Int, profile: String?) throws -> String {
        let link = profile.map { #", "linkProfile": "\#($0)""# } ?? ""
        let text = #"""
        {"name": "profiled", "model": "llama3-8b",
         "training": {"tokens": 1e12, "sequenceLength": 8192, "globalBatchSequences": 512, "microBatchSequences": 1,
                      "precision": "bf16", "recompute": "selective"},
         "cluster": {"topology": "a100-80g-ib", "devices": 64\#(link)},
         "parallelism": {"tp": \#(tp), "pp": 1, "zero": 1}}
        """#
        let path = dir.appendingPathComponent("exp-tp\(tp)-\(profile ?? "none").json").path
        try text.write(toFile: path, atomically: true, encoding: .utf8)
        return path
    }

    func profile(in dir: URL, name: String, tier: String, gbps: Double, alphaUs: Double) throws {
        let text = """
        {"schemaVersion": 1, "host": "test", "ranks": 2, "hosts": \(tier == "scale-up" ? 1 : 2), "tier": "\(tier)",
         "pointToPoint": {"alphaUs": \(alphaUs), "betaUsPerByte": \(gbps > 0 ? 1e-3 / gbps : 0), "bandwidthGBps": \(gbps)},
         "gammaUsPerByte": 0.0001, "algorithms": [], "measurements": []}
        """
        try text.write(to: dir.appendingPathComponent(name), atomically: true, encoding: .utf8)
    }

    func collectives(_ path: String) throws -> [[String: Any]] {
        let r = try CLI.trainsim([path, "--format", "json"], cwd: CLI.packageRoot)
        XCTAssertEqual(r.code, 0, r.stderr)
        let obj = try JSONSerialization.jsonObject(with: Data(r.stdout.utf8)) as! [String: Any]
        return obj["collectives"] as! [[String: Any]]
    }

    func testScaleUpProfileHalvingNVLinkSlowsTheTPCollectivesByTheClosedForm() throws {
        let dir = CLI.tempDir()
        // a100-80g-ib: NVLink 300 GB/s x 0.78 = 234 GB/s achieved, 3 us; the profile measured half that.
        try profile(in: dir, name: "half.json", tier: "scale-up", gbps: 117, alphaUs: 3)
        let plain = try collectives(try experiment(in: dir, tp: 2, profile: nil))
        let halved = try collectives(try experiment(in: dir, tp: 2, profile: "half.json"))
        let tp = halved.filter { $0["label"] as? String == "tp" }
        XCTAssertFalse(tp.isEmpty, "no TP collective in the report")
        for c in tp {
            let bytes = c["bytes"] as! Double, seconds = c["seconds"] as! Double, kind = c["kind"] as! String
            // Ring of 2: (n-1)/n x S / B + (n-1) alpha per pass; all-reduce makes two passes.
            let passes = kind == "allReduce" ? 2.0 : 1.0
            let expected = passes * (bytes / 2 / 117e9 + 3e-6)
            XCTAssertEqual(seconds, expected, accuracy: expected * 1e-3, "TP \(kind) of \(bytes) B")
            let before = plain.first { $0["label"] as? String == "tp" && $0["kind"] as? String == kind && $0["bytes"] as? Double == bytes }
            let was = try XCTUnwrap(before?["seconds"] as? Double)
            XCTAssertEqual(was, passes * (bytes / 2 / 234e9 + 3e-6), accuracy: was * 1e-3)
        }
    }

    func testScaleOutProfileSetsTheDataParallelCollectivesAcrossNodes() throws {
        let dir = CLI.tempDir()
        // tp 8: one data-parallel rank per node, 8 nodes under one leaf; the profile: 10 GB/s, 8 us one way.
        try profile(in: dir, name: "ib.json", tier: "scale-out", gbps: 10, alphaUs: 8)
        let dp = try collectives(try experiment(in: dir, tp: 8, profile: "ib.json")).filter { $0["label"] as? String == "dp" }
        XCTAssertFalse(dp.isEmpty, "no DP collective in the report")
        for c in dp where ["reduceScatter", "allGather"].contains(c["kind"] as? String) {
            let bytes = c["bytes"] as! Double, seconds = c["seconds"] as! Double
            // NCCL's ring over 8 nodes (one member each): (n-1)/n x S / B + (n-1) alpha.
            let expected = 7.0 / 8 * bytes / 10e9 + 7 * 8e-6
            XCTAssertEqual(seconds, expected, accuracy: expected * 1e-3, "\(c["kind"]!) of \(bytes) B")
        }
    }

    func testMissingOrEmptyProfileIsOneLineAndExitTwo() throws {
        let dir = CLI.tempDir()
        let missing = try experiment(in: dir, tp: 2, profile: "nowhere.json")
        var r = try CLI.trainsim([missing], cwd: CLI.packageRoot)
        XCTAssertEqual(r.code, 2, r.stdout)
        XCTAssertEqual(r.stderr.split(separator: "\n").count, 1, r.stderr)
        XCTAssertTrue(r.stderr.contains("cluster.linkProfile: link profile \"nowhere.json\" not found"), r.stderr)
        // One rank measures no link: its profile cannot stand for one.
        try profile(in: dir, name: "one-rank.json", tier: "scale-up", gbps: 0, alphaUs: 0)
        r = try CLI.trainsim([try experiment(in: dir, tp: 2, profile: "one-rank.json")], cwd: CLI.packageRoot)
        XCTAssertEqual(r.code, 2, r.stdout)
        XCTAssertEqual(r.stderr.split(separator: "\n").count, 1, r.stderr)
        XCTAssertTrue(r.stderr.contains("pointToPoint.bandwidthGBps"), r.stderr)
    }
}
