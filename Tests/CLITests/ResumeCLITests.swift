import Foundation
import XCTest
import TrainSimCore

/// `sweep --resume` end to end: it keeps only complete, unedited lines of the same experiment
/// (the experiment file and every data file it reads), never crashes on a line, recovers a file
/// torn anywhere (even inside a UTF-8 character), and a full disk is one line, not a crash.
final class ResumeCLITests: XCTestCase {
    var folder: URL!
    var mounted: String?

    override func setUp() { folder = CLI.tempDir() }
    override func tearDown() {
        if let m = mounted { _ = try? CLI.run("/bin/umount", [m]) }
        if let folder { try? FileManager.default.removeItem(at: folder) }
    }

    /// A small sweep (4 points, well under a second) on a copy of a shipped topology, so the test
    /// can change that data file.
    func sweep(name: String = "resume-test", model: String = "llama3-8b", points: Int = 4) throws -> String {
        let topology = try String(contentsOfFile: CLI.packageRoot + "/Topologies/a100-80g-ib.json", encoding: .utf8)
        try topology.write(to: folder.appendingPathComponent("cluster.json"), atomically: true, encoding: .utf8)
        let tokens = (0..<points).map { "\(1 + $0)e11" }.joined(separator: ", ")
        let text = """
        {"name": "\(name)", "model": "\(model)",
         "training": {"tokens": 1e12, "sequenceLength": 4096, "globalBatchSequences": 256, "precision": "bf16"},
         "cluster": {"topology": "cluster.json", "devices": 64}, "parallelism": {"tp": 8, "pp": 1},
         "sweep": {"training.tokens": [\(tokens)]}}
        """
        let path = folder.appendingPathComponent("sweep.json").path
        try text.write(toFile: path, atomically: true, encoding: .utf8)
        return path
    }

    func run(_ args: [String]) throws -> CLI.Result { try CLI.trainsim(args, cwd: folder.path) }

    func journal(_ experiment: String, _ path: String) throws -> Data {
        let r = try run(["sweep", experiment, "--format", "json", "--output", path])
        XCTAssertEqual(r.code, 0, r.stderr)
        return try Data(contentsOf: URL(fileURLWithPath: path))
    }

    func lines(_ d: Data) -> [Data] {
        d.split(separator: 0x0A, omittingEmptySubsequences: false).dropLast().map { Data($0) + Data([0x0A]) }
    }

    func assertOneLineError(_ r: CLI.Result, _ needle: String, file: StaticString = #filePath, line: UInt = #line) {
        XCTAssertEqual(r.code, 2, r.stderr, file: file, line: line)
        XCTAssertEqual(r.stderr.split(separator: "\n").count, 1, r.stderr, file: file, line: line)
        XCTAssertTrue(r.stderr.contains(needle), r.stderr, file: file, line: line)
    }

    func testJournalOfAnotherModelIsRefused() throws {
        let out = folder.appendingPathComponent("points.jsonl").path
        let other = try journal(try sweep(model: "llama3-70b"), out)
        let experiment = try sweep(model: "llama3-8b")   // same file, same swept values, another model
        assertOneLineError(try run(["sweep", experiment, "--format", "json", "--output", out, "--resume"]), "written for another experiment")
        XCTAssertEqual(try Data(contentsOf: URL(fileURLWithPath: out)), other, "a refused journal is left as it was")
    }

    func testJournalIsRefusedWhenADataFileChanged() throws {
        let experiment = try sweep()
        let out = folder.appendingPathComponent("points.jsonl").path
        let full = try journal(experiment, out)
        try lines(full).prefix(2).reduce(Data(), +).write(to: URL(fileURLWithPath: out))
        // The cluster design's NIC bandwidth changes: the two points kept would be stale.
        let cluster = folder.appendingPathComponent("cluster.json")
        let text = try String(contentsOf: cluster, encoding: .utf8)
        let edited = text.replacingOccurrences(of: "\"nicsPerNode\": 8", with: "\"nicsPerNode\": 4")
        XCTAssertNotEqual(edited, text)
        try edited.write(to: cluster, atomically: true, encoding: .utf8)
        assertOneLineError(try run(["sweep", experiment, "--format", "json", "--output", out, "--resume"]), "written for another experiment")
        // Put back, the same inputs resume.
        try text.write(to: cluster, atomically: true, encoding: .utf8)
        let r = try run(["sweep", experiment, "--format", "json", "--output", out, "--resume"])
        XCTAssertEqual(r.code, 0, r.stderr)
        XCTAssertEqual(try Data(contentsOf: URL(fileURLWithPath: out)), full)
    }

    func testEditedNumberInAJournalIsRefused() throws {
        let experiment = try sweep()
        let out = folder.appendingPathComponent("points.jsonl").path
        let all = lines(try journal(experiment, out))
        var first = String(decoding: all[0], as: UTF8.self)
        let range = try XCTUnwrap(first.range(of: "\"stepTimeSeconds\":"))
        first.insert("9", at: range.upperBound)   // ten times slower, or more
        try (Data(first.utf8) + all[1]).write(to: URL(fileURLWithPath: out))
        assertOneLineError(try run(["sweep", experiment, "--format", "json", "--output", out, "--resume"]), "line 1: the line was changed after trainsim wrote it")
    }

    func testHugeIndexIsOneLineNotACrash() throws {
        let experiment = try sweep()
        let out = folder.appendingPathComponent("bad.jsonl").path
        for index in ["1e300", "9223372036854775808"] {
            // A journal as an older trainsim wrote it (no check): refused, not a crash.
            let plain = "{\"index\":\(index),\"point\":{\"training.tokens\":100000000000},\"status\":\"ok\",\"report\":{\"stepTimeSeconds\":1}}\n"
            try (plain + plain).write(toFile: out, atomically: true, encoding: .utf8)
            assertOneLineError(try run(["sweep", experiment, "--format", "json", "--output", out, "--resume"]), "bad.jsonl: line 1: ")
            // compare reads sweep JSON lines too.
            let c = try run(["compare", out])
            XCTAssertEqual(c.code, 2, c.stderr)
            XCTAssertEqual(c.stderr.split(separator: "\n").count, 1, c.stderr)
        }
        // A line sealed with this experiment's fingerprint (taken from a line it wrote) gets as far as its index.
        let written = try JSONSerialization.jsonObject(with: lines(try journal(experiment, out))[0]) as? [String: Any]
        let fingerprint = try XCTUnwrap(written?["experiment"] as? String)
        for index in ["1e300", "9223372036854775808"] {
            let line = SweepJournal.seal("{\"index\":\(index),\"point\":{\"training.tokens\":100000000000},\"status\":\"invalid\"}\n", experiment: fingerprint)
            try line.write(toFile: out, atomically: true, encoding: .utf8)
            assertOneLineError(try run(["sweep", experiment, "--format", "json", "--output", out, "--resume"]), "is not a point number")
        }
    }

    func testFileTornInsideAUTF8CharacterResumes() throws {
        let experiment = try sweep(name: "训练-断点续传")
        let out = folder.appendingPathComponent("points.jsonl").path
        let full = try journal(experiment, out)
        let all = lines(full)
        let third = [UInt8](all[2])
        let cut = try XCTUnwrap(third.firstIndex { $0 >= 0x80 }) + 1   // after the first of a character's bytes
        let torn = all[0] + all[1] + Data(third[..<cut])
        XCTAssertNil(String(data: torn, encoding: .utf8))
        try torn.write(to: URL(fileURLWithPath: out))
        let r = try run(["sweep", experiment, "--format", "json", "--output", out, "--resume"])
        XCTAssertEqual(r.code, 0, r.stderr)
        XCTAssertTrue(r.stderr.contains("2 of 4 points done, computing 2"), r.stderr)
        XCTAssertEqual(try Data(contentsOf: URL(fileURLWithPath: out)), full)
    }

    func testFullDiskIsOneLineAndStaysResumable() throws {
        let disk = folder.appendingPathComponent("disk").path
        try FileManager.default.createDirectory(atPath: disk, withIntermediateDirectories: true)
        let m = try CLI.run("/bin/mount", ["-t", "tmpfs", "-o", "size=64k", "tmpfs", disk])
        guard m.code == 0 else { throw XCTSkip("cannot mount a tmpfs here (\(m.stderr.trimmingCharacters(in: .whitespacesAndNewlines)))") }
        mounted = disk
        let experiment = try sweep(points: 48)   // about 2.5 KB a line: more than 64 KiB
        let complete = try journal(experiment, folder.appendingPathComponent("complete.jsonl").path)
        XCTAssertGreaterThan(complete.count, 80 << 10)
        let out = disk + "/points.jsonl"
        let r = try run(["sweep", experiment, "--format", "json", "--output", out])
        assertOneLineError(r, out + ": cannot write (No space left on device)")
        // What was written is a run of complete lines and a torn tail: resume it where there is room.
        let copy = folder.appendingPathComponent("points.jsonl").path
        try FileManager.default.copyItem(atPath: out, toPath: copy)
        let resumed = try run(["sweep", experiment, "--format", "json", "--output", copy, "--resume"])
        XCTAssertEqual(resumed.code, 0, resumed.stderr)
        // Some points were kept ("resuming: 20 of 48 points done" contains "0 of 48 points done": match the whole count).
        XCTAssertFalse(resumed.stderr.contains(": 0 of 48 points done"), resumed.stderr)
        XCTAssertTrue(resumed.stderr.contains(" of 48 points done"), resumed.stderr)
        XCTAssertEqual(try Data(contentsOf: URL(fileURLWithPath: copy)), complete)
    }
}
