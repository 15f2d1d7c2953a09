import Foundation
import XCTest

/// Under mpirun, rank 0 alone reads the input (its command line, the experiment and every file
/// it names) and sends the bytes to the other ranks: a rank given another file, or one it
/// cannot read, runs rank 0's input; an input error stops every rank with one line and exit 2.
/// Launched as MPMD jobs (`-np 1 trainsim A : -np 1 trainsim B`), with a timeout so a hang
/// fails the test instead of blocking the suite.
final class MPIInputTests: XCTestCase {
    var folder: URL!

    override func setUp() { folder = CLI.tempDir() }
    override func tearDown() { if let folder { try? FileManager.default.removeItem(at: folder) } }

    static func experiment(name: String, topology: String, sweep: String?) -> String {
        """
        {"name": "\(name)", "model": "llama3-8b",
         "training": {"tokens": 1e12, "sequenceLength": 4096, "globalBatchSequences": 256},
         "cluster": {"topology": "\(topology)", "devices": 64},
         "parallelism": {"tp": 2, "pp": 2}\(sweep.map { ",\n \"sweep\": " + $0 } ?? "")}
        """
    }

    /// r0/: a sweep over a design only r0/ has (with its own device file); r1/: another experiment.
    func makeInputs() throws {
        let fm = FileManager.default
        for d in ["r0/devices", "r1"] { try fm.createDirectory(at: folder.appendingPathComponent(d), withIntermediateDirectories: true) }
        let root = CLI.packageRoot
        try fm.copyItem(atPath: root + "/Topologies/a100-80g-ib.json", toPath: folder.appendingPathComponent("r0/mine.json").path)
        try fm.copyItem(atPath: root + "/Topologies/devices/a100-80g.json", toPath: folder.appendingPathComponent("r0/devices/a100-80g.json").path)
        let sweep = #"{"parallelism.tp": [1, 2, 4, 8], "cluster.topology": ["mine.json", "h100-ib"], "parallelism.pp": [1, 2]}"#
        try write("r0/sweep.json", Self.experiment(name: "rank-zero", topology: "mine.json", sweep: sweep))
        try write("r0/plain.json", Self.experiment(name: "rank-zero", topology: "mine.json", sweep: nil))
        try write("r1/sweep.json", Self.experiment(name: "rank-one", topology: "h800-ib", sweep: #"{"parallelism.tp": [1, 8]}"#))
        try write("r1/plain.json", Self.experiment(name: "rank-one", topology: "h800-ib", sweep: nil))
    }

    func write(_ path: String, _ text: String) throws {
        try text.write(to: folder.appendingPathComponent(path), atomically: true, encoding: .utf8)
    }

    func testSweepRunsRankZerosInputOnEveryRank() throws {
        try makeInputs()
        let args = ["sweep", "--format", "json"]
        let local = try CLI.trainsim(args + ["r0/sweep.json"], cwd: folder.path)
        XCTAssertEqual(local.code, 0, local.stderr)
        XCTAssertEqual(local.stdout.split(separator: "\n").count, 16)
        // Rank 1 given another experiment, then a file that does not exist.
        for other in ["r1/sweep.json", "r2/sweep.json"] {
            let r = try mpmd(args + ["r0/sweep.json"], args + [other])
            XCTAssertEqual(r.code, 0, "rank 1 given \(other): \(r.stderr)")
            XCTAssertEqual(r.stdout, local.stdout, "rank 1 given \(other)")
        }
    }

    /// Verbs that share no work (compare, topo, validate) run on rank 0 alone.
    func testCompareRunsOnRankZeroAlone() throws {
        try makeInputs()
        let local = try CLI.trainsim(["compare", "r0/sweep.json"], cwd: folder.path)
        XCTAssertEqual(local.code, 0, local.stderr)
        let r = try mpmd(["compare", "r0/sweep.json"], ["compare", "r2/sweep.json"])
        XCTAssertEqual(r.code, 0, r.stderr)
        XCTAssertEqual(r.stdout, local.stdout)
    }

    func testRunTrialsWithTheFileOnRankZeroOnly() throws {
        try makeInputs()
        let args = ["run", "r0/plain.json", "--format", "json", "--trials", "64"]
        let local = try CLI.trainsim(args, cwd: folder.path)
        XCTAssertEqual(local.code, 0, local.stderr)
        let r = try mpmd(args, ["run", "r2/plain.json", "--format", "json", "--trials", "64"])
        XCTAssertEqual(r.code, 0, r.stderr)
        XCTAssertEqual(r.stdout, local.stdout)
    }

    func testInputErrorStopsEveryRankWithOneLine() throws {
        try makeInputs()
        try write("r0/bad.json", Self.experiment(name: "bad", topology: "mine.json", sweep: #"{"parallelism.pp": [1, 2]}"#)
            .replacingOccurrences(of: "\"tp\": 2,", with: "\"tpp\": 2,"))
        try write("r0/broken.json", "{\"name\": ")
        let cases: [([String], [String], String)] = [
            (["sweep", "r0/bad.json"], ["sweep", "r1/sweep.json"], "parallelism.tpp: unknown key"),
            (["search", "r0/broken.json"], ["search", "r1/sweep.json"], "r0/broken.json: line"),
            (["run", "r0/missing.json", "--trials", "8"], ["run", "r1/plain.json", "--trials", "8"], "r0/missing.json: no such file"),
        ]
        for (zero, one, message) in cases {
            let r = try mpmd(zero, one)
            XCTAssertEqual(r.code, 2, "\(zero): \(r.stderr)")
            let lines = r.stderr.split(separator: "\n").filter { $0.hasPrefix("trainsim:") }
            XCTAssertEqual(lines.count, 1, "\(zero): \(r.stderr)")
            XCTAssertTrue(r.stderr.contains(message), "\(zero): \(r.stderr)")
            XCTAssertTrue(r.stdout.isEmpty, "\(zero): \(r.stdout)")
        }
    }

    /// `mpirun -np 1 trainsim ZERO : -np 1 trainsim ONE` in the test folder; a job still running
    /// after 120 s is killed and fails the test.
    func mpmd(_ zero: [String], _ one: [String]) throws -> CLI.Result { try Self.mpmd(zero, one, in: folder) }

    /// The same in `folder` (for other test classes).
    static func mpmd(_ zero: [String], _ one: [String], in folder: URL) throws -> CLI.Result {
        guard let binary = CLI.binary else { throw XCTSkip("TRAINSIM_BIN not set and no release build; run `make test`") }
        guard let mpirun = ["/usr/bin/mpirun", "/usr/local/bin/mpirun"].first(where: { FileManager.default.isExecutableFile(atPath: $0) }) else {
            throw XCTSkip("mpirun not installed")
        }
        let p = Process()
        p.executableURL = URL(fileURLWithPath: mpirun)
        p.arguments = ["--oversubscribe", "--mca", "btl", "self,vader", "-np", "1", binary] + zero + [":", "-np", "1", binary] + one
        var environment = ProcessInfo.processInfo.environment
        environment["OMPI_ALLOW_RUN_AS_ROOT"] = "1"
        environment["OMPI_ALLOW_RUN_AS_ROOT_CONFIRM"] = "1"
        p.environment = environment
        p.currentDirectoryURL = folder
        let out = Pipe(), err = Pipe()
        p.standardOutput = out
        p.standardError = err
        p.standardInput = FileHandle.nullDevice
        try p.run()
        let box = Collected()
        let group = DispatchGroup()
        for (pipe, isOut) in [(out, true), (err, false)] {
            DispatchQueue.global().async(group: group) {
                let data = pipe.fileHandleForReading.readDataToEndOfFile()
                box.set(data, stdout: isOut)
            }
        }
        if group.wait(timeout: .now() + 120) == .timedOut {
            p.terminate()
            group.wait()
            p.waitUntilExit()
            XCTFail("mpirun \(zero) : \(one) hung; killed after 120 s")
            return CLI.Result(code: -1, stdout: box.stdout, stderr: box.stderr)
        }
        p.waitUntilExit()
        return CLI.Result(code: p.terminationStatus, stdout: box.stdout, stderr: box.stderr)
    }
}

private final class Collected: @unchecked Sendable {
    private let lock = NSLock()
    private var out = Data(), err = Data()
    func set(_ d: Data, stdout: Bool) { lock.withLock { if stdout { out = d } else { err = d } } }
    var stdout: String { lock.withLock { String(decoding: out, as: UTF8.self) } }
    var stderr: String { lock.withLock { String(decoding: err, as: UTF8.self) } }
}
