import Foundation
import XCTest

/// What every verb does to what is at `--output PATH` (and `--trace`, `--html`, a sweep's
/// journal): a regular file is replaced whole by rename (mode kept, no temporary file left), a
/// device or FIFO is written as it is and stays what it was, a symbolic link to a file is
/// refused with one line and neither the link nor its target changes.
final class OutputFileCLITests: XCTestCase {
    var folder: URL!

    override func setUp() { folder = CLI.tempDir() }
    override func tearDown() { if let folder { try? FileManager.default.removeItem(at: folder) } }

    static let quickstart = "Experiments/quickstart-llama3-8b-a100.json"

    /// A search over 4 candidates, a 2-point sweep, a report and one calibration case: each well under a second.
    func inputs() throws -> (search: String, sweep: String, report: String, cases: String) {
        let base = """
        "model": "llama3-8b", "training": {"tokens": 1e11, "sequenceLength": 4096, "globalBatchSequences": 64, "precision": "bf16"},
        "cluster": {"topology": "a100-80g-ib", "devices": 8}, "parallelism": {"tp": 2, "pp": 1}
        """
        let search = folder.appendingPathComponent("search.json").path
        try "{\(base), \"search\": {\"space\": {\"parallelism.tp\": [1, 2], \"parallelism.pp\": [1], \"parallelism.cp\": [1], \"parallelism.zero\": [1], \"parallelism.schedule\": [\"1f1b\"], \"training.microBatchSequences\": [1, 2], \"training.recompute\": [\"selective\"]}}}"
            .write(toFile: search, atomically: true, encoding: .utf8)
        let sweep = folder.appendingPathComponent("sweep.json").path
        try "{\(base), \"sweep\": {\"parallelism.tp\": [1, 2]}}".write(toFile: sweep, atomically: true, encoding: .utf8)
        let report = folder.appendingPathComponent("report.json").path
        let r = try CLI.trainsim(["run", Self.quickstart, "--format", "json"], cwd: CLI.packageRoot)
        XCTAssertEqual(r.code, 0, r.stderr)
        try r.stdout.write(toFile: report, atomically: true, encoding: .utf8)
        // The first published case only: validate of every case takes seconds.
        var shipped = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: CLI.packageRoot + "/Tests/Calibration/cases.json"))) as? [String: Any])
        shipped["cases"] = try XCTUnwrap(shipped["cases"] as? [Any]).prefix(1).map { $0 }
        let cases = folder.appendingPathComponent("cases.json").path
        try JSONSerialization.data(withJSONObject: shipped).write(to: URL(fileURLWithPath: cases))
        return (search, sweep, report, cases)
    }

    /// Every verb and option that writes a file, with PATH where the file goes.
    func commands() throws -> [[String]] {
        let i = try inputs()
        return [
            ["run", Self.quickstart, "--output", "PATH"],
            ["run", Self.quickstart, "--trace", "PATH"],
            ["run", Self.quickstart, "--html", "PATH"],
            ["sweep", i.sweep, "--format", "json", "--output", "PATH"],
            ["sweep", i.sweep, "--format", "csv", "--output", "PATH"],
            ["sweep", i.sweep, "--html", "PATH"],
            ["search", i.search, "--output", "PATH"],
            ["search", i.search, "--html", "PATH"],
            ["compare", i.report, "--output", "PATH"],
            ["compare", i.report, "--html", "PATH"],
            ["topo", "h800-ib", "--output", "PATH"],
            ["validate", i.cases, "--output", "PATH"],
            ["calibrate", "--max-bytes", "8", "--write", "PATH"],
        ]
    }

    func run(_ command: [String], _ path: String) throws -> CLI.Result {
        try CLI.trainsim(command.map { $0 == "PATH" ? path : $0 }, env: ["OMPI_ALLOW_RUN_AS_ROOT": "1", "OMPI_ALLOW_RUN_AS_ROOT_CONFIRM": "1"], cwd: CLI.packageRoot)
    }

    /// What is at `path` itself (a link is not followed): "link", "fifo", "device", "file" or "other".
    func fileType(_ path: String) -> String {
        var st = stat()
        guard lstat(path, &st) == 0 else { return "nothing" }
        switch st.st_mode & S_IFMT {
        case S_IFLNK: return "link"
        case S_IFIFO: return "fifo"
        case S_IFCHR: return "device"
        case S_IFREG: return "file"
        default: return "other"
        }
    }

    func testSymbolicLinkToAFileIsRefusedAndLeftAlone() throws {
        let target = folder.appendingPathComponent("precious.txt").path
        let link = folder.appendingPathComponent("link").path
        try "keep me\n".write(toFile: target, atomically: true, encoding: .utf8)
        try FileManager.default.createSymbolicLink(atPath: link, withDestinationPath: target)
        for c in try commands() {
            let r = try run(c, link)
            XCTAssertEqual(r.code, 2, "\(c): \(r.stderr)")
            XCTAssertEqual(r.stderr.split(separator: "\n").count, 1, "\(c): \(r.stderr)")
            XCTAssertTrue(r.stderr.contains("\(link): is a symbolic link"), "\(c): \(r.stderr)")
            XCTAssertEqual(fileType(link), "link", "\(c)")
            XCTAssertEqual(try String(contentsOfFile: target, encoding: .utf8), "keep me\n", "\(c)")
        }
        // --resume does not follow a link to overwrite its target either.
        let sweep = try commands()[3] + ["--resume"]
        let r = try run(sweep, link)
        XCTAssertEqual(r.code, 2, r.stderr)
        XCTAssertEqual(try String(contentsOfFile: target, encoding: .utf8), "keep me\n")
    }

    func testDeviceIsWrittenAsItIsNotReplaced() throws {
        let device = folder.appendingPathComponent("null").path
        let m = try CLI.run("/bin/mknod", [device, "c", "1", "3"])
        guard m.code == 0 else { throw XCTSkip("cannot make a device node here (\(m.stderr))") }
        // And through a link, as --output /dev/stdout goes.
        let link = folder.appendingPathComponent("to-null").path
        try FileManager.default.createSymbolicLink(atPath: link, withDestinationPath: device)
        for c in try commands() {
            for path in [device, link] {
                let r = try run(c, path)
                XCTAssertEqual(r.code, 0, "\(c) \(path): \(r.stderr)")
                XCTAssertEqual(fileType(device), "device", "\(c) replaced the device")
                XCTAssertEqual(fileType(link), "link", "\(c) replaced the link")
            }
        }
        let resume = try run(try commands()[3] + ["--resume"], device)
        XCTAssertEqual(resume.code, 2, resume.stderr)
        XCTAssertTrue(resume.stderr.contains("is not a regular file"), resume.stderr)
        XCTAssertEqual(fileType(device), "device")
    }

    func testFIFOIsWrittenAsItIsNotReplaced() throws {
        let fifo = folder.appendingPathComponent("pipe").path
        XCTAssertEqual(mkfifo(fifo, 0o600), 0)
        // A reader that does not block, so a trainsim that replaced the FIFO cannot hang the test.
        let fd = open(fifo, O_RDONLY | O_NONBLOCK)
        XCTAssertGreaterThanOrEqual(fd, 0)
        defer { close(fd) }
        let r = try run(["run", Self.quickstart, "--output", "PATH"], fifo)
        XCTAssertEqual(r.code, 0, r.stderr)
        XCTAssertEqual(fileType(fifo), "fifo")
        var got = Data()
        var buffer = [UInt8](repeating: 0, count: 1 << 16)
        while case let n = read(fd, &buffer, buffer.count), n > 0 { got.append(contentsOf: buffer[0..<n]) }
        let plain = try CLI.trainsim(["run", Self.quickstart], cwd: CLI.packageRoot)
        XCTAssertEqual(String(decoding: got, as: UTF8.self), plain.stdout)
    }

    func testRegularFileIsReplacedWholeKeepingItsMode() throws {
        let path = folder.appendingPathComponent("report.txt").path
        for c in try commands() {
            try "old\n".write(toFile: path, atomically: true, encoding: .utf8)
            XCTAssertEqual(chmod(path, 0o640), 0)
            let before = try FileManager.default.contentsOfDirectory(atPath: folder.path).sorted()
            let r = try run(c, path)
            XCTAssertEqual(r.code, 0, "\(c): \(r.stderr)")
            XCTAssertEqual(fileType(path), "file")
            XCTAssertNotEqual(try String(contentsOfFile: path, encoding: .utf8), "old\n", "\(c)")
            let mode = try XCTUnwrap((try FileManager.default.attributesOfItem(atPath: path))[.posixPermissions] as? Int)
            XCTAssertEqual(mode, 0o640, "\(c)")
            // No temporary file is left beside it (a table's journal, PATH.jsonl, is a result).
            let after = try FileManager.default.contentsOfDirectory(atPath: folder.path).sorted().filter { $0 != "report.txt.jsonl" }
            XCTAssertEqual(after, before, "\(c)")
            try? FileManager.default.removeItem(atPath: path + ".jsonl")
        }
    }
}
