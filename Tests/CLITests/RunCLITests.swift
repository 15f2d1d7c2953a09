import Foundation
import XCTest

/// The `run` verb end to end: every shipped experiment runs, every format prints, the JSON
/// report carries the fixed keys, and MPI runs print byte-identical output.
final class RunCLITests: XCTestCase {
    static var experiments: [String] {
        let dir = CLI.packageRoot + "/Experiments"
        let names = (try? FileManager.default.contentsOfDirectory(atPath: dir)) ?? []
        return names.filter { $0.hasSuffix(".json") }.sorted().map { dir + "/" + $0 }
    }

    func testEveryShippedExperimentRuns() throws {
        XCTAssertGreaterThanOrEqual(Self.experiments.count, 6)
        for path in Self.experiments {
            let r = try CLI.trainsim([path, "--format", "json"], cwd: CLI.packageRoot)
            XCTAssertTrue(r.code == 0 || r.code == 1, "\(path): exit \(r.code): \(r.stderr)")
            XCTAssertFalse(r.stdout.isEmpty, "\(path) printed nothing")
        }
    }

    /// `trainsim [run] FILE [--format F]` takes a path that skips the argument parser
    /// (`RunCommand.plainRun`): it must print exactly what the parsed run verb prints (options
    /// before the file, which the plain path does not take), for plans, a small sweep, a plan that
    /// does not fit, a missing file and a bad one, in every format; a format the verb does not know
    /// gets the parser's error.
    func testPlainFileEqualsRunVerb() throws {
        let dir = CLI.tempDir()
        let bad = dir.appendingPathComponent("bad.json").path
        try "{\"model\": \"llama3-8b\",".write(toFile: bad, atomically: true, encoding: .utf8)
        let files = ["Experiments/quickstart-llama3-8b-a100.json", "Experiments/deepseek-v3-h800-2048.json",
                     "Experiments/llama3-405b-h100-wholerun.json", "Experiments/sweep-llama3-70b-h800.json",
                     dir.appendingPathComponent("missing.json").path, bad]
        for f in files {
            let plain = try CLI.trainsim([f], cwd: CLI.packageRoot)
            let verb = try CLI.trainsim(["run", f], cwd: CLI.packageRoot)
            XCTAssertEqual(plain.code, verb.code, f)
            XCTAssertEqual(plain.stdout, verb.stdout, f)
            XCTAssertEqual(plain.stderr, verb.stderr, f)
            for format in ["text", "json", "csv", "md"] {
                let parsed = try CLI.trainsim(["run", "--format", format, f], cwd: CLI.packageRoot)
                for args in [[f, "--format", format], ["run", f, "--format", format]] {
                    let fast = try CLI.trainsim(args, cwd: CLI.packageRoot)
                    XCTAssertEqual(fast.code, parsed.code, "\(args)")
                    XCTAssertEqual(fast.stdout, parsed.stdout, "\(args)")
                    XCTAssertEqual(fast.stderr, parsed.stderr, "\(args)")
                }
            }
        }
        let unknown = try CLI.trainsim(["Experiments/quickstart-llama3-8b-a100.json", "--format", "yaml"], cwd: CLI.packageRoot)
        XCTAssertEqual(unknown.code, 2)
        XCTAssertTrue(unknown.stderr.contains("yaml"), unknown.stderr)
        XCTAssertEqual(unknown.stderr.split(separator: "\n").count, 1, unknown.stderr)
    }

    /// An experiment from a pipe (README: `generate-experiment | trainsim /dev/stdin`), a plan and a
    /// sweep, prints what the file itself prints: each is read once. (The text report: a sweep's
    /// JSON lines carry the input file's fingerprint, which names its folder.)
    func testExperimentFromAPipe() throws {
        guard let b = CLI.binary else { throw XCTSkip("TRAINSIM_BIN not set") }
        for f in ["Experiments/quickstart-llama3-8b-a100.json", "Experiments/sweep-llama3-70b-h800.json"] {
            let piped = try CLI.run("/bin/sh", ["-c", "cat \(f) | '\(b)' /dev/stdin"], cwd: CLI.packageRoot)
            let direct = try CLI.trainsim([f], cwd: CLI.packageRoot)
            XCTAssertEqual(piped.code, direct.code, f + ": " + piped.stderr)
            XCTAssertFalse(piped.stdout.isEmpty, f)
            XCTAssertEqual(piped.stdout, direct.stdout, f)
        }
    }

    func testReportHasFixedKeys() throws {
        let r = try CLI.trainsim(["run", "Experiments/quickstart-llama3-8b-a100.json", "--format", "json"], cwd: CLI.packageRoot)
        XCTAssertEqual(r.code, 0, r.stderr)
        let obj = try JSONSerialization.jsonObject(with: Data(r.stdout.utf8)) as! [String: Any]
        for k in ["name", "stepTimeSeconds", "tokensPerSecond", "tokensPerSecondPerDevice", "achievedTFLOPsPerDevice", "mfu", "hfu",
                  "trainingDays", "deviceHours", "energyMWh", "cost", "memory", "breakdown"] {
            XCTAssertNotNil(obj[k], "missing \(k)")
        }
        let cost = obj["cost"] as! [String: Any]
        for k in ["currency", "total", "compute", "energy"] { XCTAssertNotNil(cost[k], "cost.\(k)") }
        let mem = obj["memory"] as! [String: Any]
        XCTAssertNotNil(mem["peakGiBPerDevice"]); XCTAssertNotNil(mem["fits"])
        let b = obj["breakdown"] as! [String: Double]
        for k in ["compute", "bubble", "tp", "pp", "dp", "ep", "cp", "optimizer"] { XCTAssertNotNil(b[k], "breakdown.\(k)") }
        let step = obj["stepTimeSeconds"] as! Double
        XCTAssertEqual(b.values.reduce(0, +), step, accuracy: step * 1e-4)
        let mfu = obj["mfu"] as! Double
        XCTAssertGreaterThan(mfu, 0.05); XCTAssertLessThan(mfu, 1)
    }

    func testFormatsAndOutputFile() throws {
        let dir = CLI.tempDir()
        for f in ["text", "json", "csv", "md"] {
            let out = dir.appendingPathComponent("r.\(f)").path
            let r = try CLI.trainsim(["Experiments/quickstart-llama3-8b-a100.json", "--format", f, "--output", out], cwd: CLI.packageRoot)
            XCTAssertEqual(r.code, 0, r.stderr)
            XCTAssertTrue(r.stdout.isEmpty)
            let text = try String(contentsOfFile: out, encoding: .utf8)
            XCTAssertFalse(text.isEmpty)
            if f == "csv" { XCTAssertEqual(text.split(separator: "\n").count, 2) }
        }
        let trace = dir.appendingPathComponent("t.json").path
        let r = try CLI.trainsim(["Experiments/deepseek-v3-h800-2048.json", "--trace", trace, "--html", dir.appendingPathComponent("r.html").path], cwd: CLI.packageRoot)
        XCTAssertEqual(r.code, 0, r.stderr)
        let t = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: trace))) as! [String: Any]
        XCTAssertGreaterThan((t["traceEvents"] as! [Any]).count, 16)
    }

    func testOutOfMemoryExitsOneWithReport() throws {
        let dir = CLI.tempDir()
        let exp = """
        {"model": "llama3-70b", "training": {"tokens": 1e12, "sequenceLength": 8192, "globalBatchSequences": 64, "recompute": "none"},
         "cluster": {"topology": "a100-80g-ib", "devices": 8}, "parallelism": {"tp": 1, "pp": 1, "zero": 0}}
        """
        let path = dir.appendingPathComponent("oom.json").path
        try exp.write(toFile: path, atomically: true, encoding: .utf8)
        let r = try CLI.trainsim([path])
        XCTAssertEqual(r.code, 1)
        XCTAssertTrue(r.stdout.contains("OUT OF MEMORY"))
        XCTAssertTrue(r.stderr.contains("out of memory"))
    }

    func testPathsResolveFromAnyFolder() throws {
        let r = try CLI.trainsim([CLI.packageRoot + "/Experiments/quickstart-llama3-8b-a100.json"], cwd: "/tmp")
        XCTAssertEqual(r.code, 0, r.stderr)
    }

    func testSameInputGivesByteIdenticalOutput() throws {
        let a = try CLI.trainsim(["Experiments/deepseek-v3-h800-2048.json", "--format", "json"], cwd: CLI.packageRoot)
        let b = try CLI.trainsim(["Experiments/deepseek-v3-h800-2048.json", "--format", "json"], cwd: CLI.packageRoot)
        XCTAssertEqual(a.stdout, b.stdout)
    }

    func testMPIRanksPrintOnceAndIdentically() throws {
        let file = CLI.packageRoot + "/Experiments/deepseek-v3-h800-2048.json"
        let single = try CLI.trainsim([file, "--format", "json"])
        XCTAssertEqual(single.code, 0)
        let two = try CLI.mpirun(2, [file, "--format", "json"])
        XCTAssertEqual(two.code, 0, two.stderr)
        XCTAssertEqual(two.stdout, single.stdout)
        let three = try CLI.mpirun(3, [file, "--format", "json"], oversubscribe: true)
        XCTAssertEqual(three.code, 0, three.stderr)
        XCTAssertEqual(three.stdout, single.stdout)
        // Bad input under MPI: every rank exits 2 promptly, one message.
        let bad = try CLI.mpirun(2, ["/nonexistent.json"])
        XCTAssertEqual(bad.code, 2)
        XCTAssertEqual(bad.stderr.components(separatedBy: "no such file").count - 1, 1, bad.stderr)
    }
}
