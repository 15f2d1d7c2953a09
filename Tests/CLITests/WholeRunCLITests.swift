import Foundation
import XCTest

/// `trainsim run --trials` end to end: Monte Carlo shared among MPI ranks gives byte-identical
/// reports for 1 and 3 ranks, and bad `data`/`reliability` input is one line and exit 2.
final class WholeRunCLITests: XCTestCase {
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    static let example = root.appendingPathComponent("Experiments/llama3-405b-h100-wholerun.json").path

    func binary() throws -> String {
        guard let bin = ProcessInfo.processInfo.environment["TRAINSIM_BIN"], !bin.isEmpty else {
            throw XCTSkip("TRAINSIM_BIN is not set (make test sets it)")
        }
        return bin
    }

    /// Runs a program; reads both pipes to the end before waiting, so a full pipe cannot block it.
    func launch(_ program: String, _ args: [String]) throws -> (code: Int32, out: String, err: String) {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: program)
        p.arguments = args
        var env = ProcessInfo.processInfo.environment
        env["OMPI_ALLOW_RUN_AS_ROOT"] = "1"
        env["OMPI_ALLOW_RUN_AS_ROOT_CONFIRM"] = "1"
        p.environment = env
        p.standardInput = FileHandle.nullDevice
        let out = Pipe(), err = Pipe()
        p.standardOutput = out
        p.standardError = err
        try p.run()
        let errData = ErrBox()
        let reader = Thread { errData.data = err.fileHandleForReading.readDataToEndOfFile() }
        reader.start()
        let o = out.fileHandleForReading.readDataToEndOfFile()
        while !errData.done { usleep(1000) }
        p.waitUntilExit()
        return (p.terminationStatus, String(decoding: o, as: UTF8.self), String(decoding: errData.data, as: UTF8.self))
    }

    func mpirun() throws -> String {
        for c in ["/usr/bin/mpirun", "/usr/local/bin/mpirun", "/opt/homebrew/bin/mpirun"] where FileManager.default.isExecutableFile(atPath: c) {
            return c
        }
        throw XCTSkip("mpirun not found")
    }

    func testOneAndThreeRanksGiveByteIdenticalPercentiles() throws {
        let bin = try binary(), mpi = try mpirun()
        let args = ["run", Self.example, "--trials", "200", "--format", "json"]
        let one = try launch(mpi, ["-np", "1", bin] + args)
        let three = try launch(mpi, ["-np", "3", "--oversubscribe", bin] + args)
        let plain = try launch(bin, args)
        XCTAssertEqual(one.code, 0, one.err)
        XCTAssertEqual(three.code, 0, three.err)
        XCTAssertTrue(one.out.contains("\"p90Days\""), one.out)
        XCTAssertEqual(one.out, three.out)
        XCTAssertEqual(one.out, plain.out)
        let json = try JSONSerialization.jsonObject(with: Data(three.out.utf8)) as? [String: Any]
        let mc = (json?["wholeRun"] as? [String: Any])?["monteCarlo"] as? [String: Any]
        XCTAssertEqual(mc?["trials"] as? Int, 200)
        let p50 = try XCTUnwrap(mc?["p50Days"] as? Double), p90 = try XCTUnwrap(mc?["p90Days"] as? Double)
        XCTAssertLessThanOrEqual(p50, p90)
    }

    func testSeedChangesTheDrawsAndTheSameSeedRepeatsThem() throws {
        let bin = try binary()
        let a = try launch(bin, ["run", Self.example, "--trials", "50", "--seed", "9", "--format", "csv"])
        let b = try launch(bin, ["run", Self.example, "--trials", "50", "--seed", "9", "--format", "csv"])
        let c = try launch(bin, ["run", Self.example, "--trials", "50", "--seed", "10", "--format", "csv"])
        XCTAssertEqual(a.code, 0, a.err)
        XCTAssertEqual(a.out, b.out)
        XCTAssertNotEqual(a.out, c.out)
        XCTAssertTrue(a.out.contains("wholeRun.monteCarlo.p99Days"))
    }

    func testBadWholeRunInputIsOneLineAndExitTwo() throws {
        let bin = try binary()
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("trainsim-wholerun-\(getpid())")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let cases: [(String, String)] = [
            (#""data": {"epochs": 2}"#, #"bad.json: data.epochs: unknown key; did you mean "maxEpochs"?"#),
            (#""reliability": {"nodeMTBF": 100}"#, #"bad.json: reliability.nodeMTBF: unknown key; did you mean "nodeMTBFHours"?"#),
            (#""data": {"phases": [{"tokens": 1e10, "parallelism": {"tp": 3}}]}"#, "bad.json: data.phases[0].parallelism"),
        ]
        for (extra, expected) in cases {
            let file = dir.appendingPathComponent("bad.json")
            try """
            {"model": "llama3-8b", "training": {"tokens": 1e11, "sequenceLength": 8192, "globalBatchSequences": 512},
             "cluster": {"topology": "h100-ib", "devices": 64}, "parallelism": {"tp": 8}, \(extra)}
            """.write(to: file, atomically: true, encoding: .utf8)
            let r = try launch(bin, ["run", file.path])
            XCTAssertEqual(r.code, 2, extra)
            XCTAssertEqual(r.out, "")
            XCTAssertEqual(r.err.split(separator: "\n").count, 1, r.err)
            XCTAssertTrue(r.err.contains(expected), "\(extra): \(r.err)")
        }
        let neg = try launch(bin, ["run", Self.example, "--trials=-1"])
        XCTAssertEqual(neg.code, 2, neg.err)
    }
}

private final class ErrBox: @unchecked Sendable {
    private let lock = NSLock()
    private var _data = Data()
    private var _done = false
    var data: Data {
        get { lock.withLock { _data } }
        set { lock.withLock { _data = newValue; _done = true } }
    }
    var done: Bool { lock.withLock { _done } }
}
