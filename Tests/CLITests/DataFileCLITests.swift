import Foundation
import XCTest

/// Data files as users meet them: errors inside a referenced file name the reference and the
/// key, designs work when copied out of Topologies/, a moved binary says where it looked for
/// Topologies/, and `topo --devices` says when it builds a partial node.
final class DataFileCLITests: XCTestCase {
    static func experiment(topology: String, devices: Int = 16) -> String {
        """
        {"name": "t", "model": "llama3-8b",
         "training": {"tokens": 1e12, "sequenceLength": 4096, "globalBatchSequences": 256},
         "cluster": {"topology": "\(topology)", "devices": \(devices)},
         "parallelism": {"tp": 2, "pp": 2}}
        """
    }

    static func lines(_ s: String) -> [Substring] { s.split(separator: "\n", omittingEmptySubsequences: true) }

    func testErrorInAReferencedFileNamesTheReferenceAndTheKey() throws {
        let dir = CLI.tempDir()
        let other = dir.appendingPathComponent("x"), exps = dir.appendingPathComponent("e")
        try FileManager.default.createDirectory(at: other, withIntermediateDirectories: true)
        try FileManager.default.createDirectory(at: exps, withIntermediateDirectories: true)
        try "root:x:0:0:root:/root:/bin/bash\n".write(to: other.appendingPathComponent("passwd"), atomically: true, encoding: .utf8)
        let exp = exps.appendingPathComponent("e.json")
        try Self.experiment(topology: "../x/passwd").write(to: exp, atomically: true, encoding: .utf8)
        let r = try CLI.trainsim(["run", exp.path])
        XCTAssertEqual(r.code, 2, r.stderr)
        XCTAssertEqual(Self.lines(r.stderr), ["trainsim: \(exp.path): cluster.topology \"../x/passwd\": line 1, column 1: unexpected character 'r'"])

        // A design whose device file is broken: the chain of references, each as written.
        try FileManager.default.createDirectory(at: exps.appendingPathComponent("devices"), withIntermediateDirectories: true)
        try "{\"name\": \u{1b}}".write(to: exps.appendingPathComponent("devices/mine.json"), atomically: true, encoding: .utf8)
        let design = try String(contentsOfFile: CLI.packageRoot + "/Topologies/h800-ib.json", encoding: .utf8)
            .replacingOccurrences(of: "\"accelerator\": \"h800\"", with: "\"accelerator\": \"mine\"")
        try design.write(to: exps.appendingPathComponent("d.json"), atomically: true, encoding: .utf8)
        try Self.experiment(topology: "d.json").write(to: exp, atomically: true, encoding: .utf8)
        let d = try CLI.trainsim(["run", exp.path])
        XCTAssertEqual(d.code, 2, d.stderr)
        XCTAssertEqual(Self.lines(d.stderr), ["trainsim: \(exp.path): cluster.topology \"d.json\": accelerator \"mine\": line 1, column 10: unexpected character '\\u{1b}'"])
        XCTAssertFalse(d.stderr.utf8.contains(0x1B))
    }

    /// A device curve's fitted level may not take a point above the peak: one line naming the key.
    func testACurveLevelAbovePeakIsOneLineNamingTheKey() throws {
        let dir = CLI.tempDir()
        try FileManager.default.createDirectory(at: dir.appendingPathComponent("devices"), withIntermediateDirectories: true)
        let device = try String(contentsOfFile: CLI.packageRoot + "/Topologies/devices/ascend-910b.json", encoding: .utf8)
        // (Whatever fit.py last wrote there.)
        let level = try XCTUnwrap(device.range(of: #""level": \{\s*"value": [0-9.]+"#, options: .regularExpression), "the 910B file's fitted GEMM level")
        try device.replacingCharacters(in: level, with: #""level": {"value": 2"#)
            .write(to: dir.appendingPathComponent("devices/mine.json"), atomically: true, encoding: .utf8)
        let design = try String(contentsOfFile: CLI.packageRoot + "/Topologies/ascend-910b-a2.json", encoding: .utf8)
            .replacingOccurrences(of: "\"accelerator\": \"ascend-910b\"", with: "\"accelerator\": \"mine\"")
        try design.write(to: dir.appendingPathComponent("d.json"), atomically: true, encoding: .utf8)
        let exp = dir.appendingPathComponent("e.json")
        try Self.experiment(topology: "d.json").write(to: exp, atomically: true, encoding: .utf8)
        let r = try CLI.trainsim(["run", exp.path])
        XCTAssertEqual(r.code, 2, r.stderr)
        XCTAssertEqual(Self.lines(r.stderr).count, 1, r.stderr)
        XCTAssertTrue(r.stderr.contains("efficiency.gemm.level.value: takes the point at 10000000000 to efficiency 1.011, above 1"), r.stderr)
    }

    func testControlCharactersInInputAreEscapedInErrors() throws {
        let dir = CLI.tempDir()
        let exp = dir.appendingPathComponent("e.json")
        try Self.experiment(topology: "h800-ib\\u001b[2J\\t").write(to: exp, atomically: true, encoding: .utf8)
        let r = try CLI.trainsim(["run", exp.path])
        XCTAssertEqual(r.code, 2, r.stderr)
        XCTAssertEqual(Self.lines(r.stderr).count, 1, r.stderr)
        XCTAssertTrue(r.stderr.contains(#"topology "h800-ib\u{1b}[2J\t" not found"#), r.stderr)
        XCTAssertFalse(r.stderr.utf8.contains(0x1B) || r.stderr.utf8.contains(0x09), r.stderr)
        // Arguments too: a file name with a newline and an escape.
        let weird = dir.appendingPathComponent("a\nb\u{1b}.json").path
        let w = try CLI.trainsim(["run", weird])
        XCTAssertEqual(w.code, 2)
        XCTAssertEqual(Self.lines(w.stderr).count, 1, w.stderr)
        XCTAssertTrue(w.stderr.contains(#"a\nb\u{1b}.json: no such file"#), w.stderr)
    }

    func testDesignsWithTheirDevicesIdCanBeCopiedAnywhere() throws {
        for design in ["hygon-k100", "kunlunxin-p800", "cambricon-mlu590"] {
            let dir = CLI.tempDir()
            let copy = dir.appendingPathComponent("\(design).json")
            try FileManager.default.copyItem(atPath: CLI.packageRoot + "/Topologies/\(design).json", toPath: copy.path)
            let t = try CLI.trainsim(["topo", copy.path, "--devices", "16", "--group-sizes", "8"], cwd: dir.path)
            XCTAssertEqual(t.code, 0, "\(design): \(t.stderr)")
            XCTAssertTrue(t.stdout.contains("[\(design)]"), t.stdout)
            try Self.experiment(topology: "\(design).json").write(to: dir.appendingPathComponent("e.json"), atomically: true, encoding: .utf8)
            let r = try CLI.trainsim(["run", "e.json", "--format", "json"], cwd: dir.path)
            XCTAssertEqual(r.code, 0, "\(design): \(r.stderr)")
            XCTAssertTrue(r.stdout.contains("\"stepTimeSeconds\""), r.stdout)
        }
    }

    func testAMovedBinarySaysWhereItLookedForTopologies() throws {
        guard let bin = CLI.binary else { throw XCTSkip("no release build") }
        let dir = CLI.tempDir()
        let moved = dir.appendingPathComponent("trainsim").path
        try FileManager.default.copyItem(atPath: bin, toPath: moved)
        try Self.experiment(topology: "h800-ib").write(to: dir.appendingPathComponent("e.json"), atomically: true, encoding: .utf8)
        let r = try CLI.run(moved, ["e.json"], env: ["TRAINSIM_HOME": ""], cwd: dir.path)
        XCTAssertEqual(r.code, 2, r.stderr)
        XCTAssertEqual(Self.lines(r.stderr).count, 1, r.stderr)
        // The cluster is read before the stack (a device may name the stack a run uses by default).
        for s in ["e.json: cluster.topology: topology \"h800-ib\" not found: trainsim's data folder is not found: no Topologies/ folder in",
                  dir.path, "set TRAINSIM_HOME to the folder that holds trainsim's Topologies/"] {
            XCTAssertTrue(r.stderr.contains(s), "missing \(s) in \(r.stderr)")
        }
        let t = try CLI.run(moved, ["topo", "h800-ib"], env: ["TRAINSIM_HOME": ""], cwd: dir.path)
        XCTAssertEqual(t.code, 2)
        XCTAssertTrue(t.stderr.contains("topology \"h800-ib\" not found: trainsim's data folder is not found"), t.stderr)
        let wrong = try CLI.run(moved, ["topo", "h800-ib"], env: ["TRAINSIM_HOME": dir.path], cwd: dir.path)
        XCTAssertEqual(wrong.code, 2)
        XCTAssertTrue(wrong.stderr.contains("TRAINSIM_HOME is \"\(dir.path)\", which has no Topologies/ folder"), wrong.stderr)
        let ok = try CLI.run(moved, ["topo", "h800-ib", "--group-sizes", "8"], env: ["TRAINSIM_HOME": CLI.packageRoot], cwd: dir.path)
        XCTAssertEqual(ok.code, 0, ok.stderr)
    }

    func testTopoSaysWhenItBuildsAPartialNode() throws {
        let p = try CLI.trainsim(["topo", "h800-ib", "--devices", "7", "--group-sizes", "4"])
        XCTAssertEqual(p.code, 0, p.stderr)
        XCTAssertTrue(p.stdout.contains("devices          7 (1 partial node: 7 of its 8 devices, scale-up domain 7)"), p.stdout)
        let j = try CLI.trainsim(["topo", "h800-ib", "--devices", "7", "--group-sizes", "4", "--format", "json"])
        XCTAssertTrue(j.stdout.contains("\"partialNode\": true") || j.stdout.contains("\"partialNode\":true"), j.stdout)
        let whole = try CLI.trainsim(["topo", "h800-ib", "--devices", "16", "--group-sizes", "8"])
        XCTAssertTrue(whole.stdout.contains("devices          16 (2 nodes of 8, scale-up domain 8)"), whole.stdout)
        let bad = try CLI.trainsim(["topo", "h800-ib", "--devices", "12"])
        XCTAssertEqual(bad.code, 2)
        XCTAssertEqual(Self.lines(bad.stderr), ["trainsim: --devices: 12 devices do not fill whole nodes of 8 on h800-ib; use a multiple of 8"])
    }
}
