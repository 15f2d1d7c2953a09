import Foundation
import XCTest

/// The sweep, search and compare verbs end to end, under mpirun: output byte-identical for any
/// number of ranks, and --resume computing only the missing points. Needs the release binary
/// in TRAINSIM_BIN (`make test` sets it) and mpirun.
final class SweepCLITests: XCTestCase {
    static let sweepFile = "Experiments/sweep-llama3-70b-h800.json"

    var folder: URL!

    override func setUp() { folder = CLI.tempDir() }
    override func tearDown() { if let folder { try? FileManager.default.removeItem(at: folder) } }

    /// Runs trainsim in the package folder, under mpirun when `ranks` is given.
    func run(_ args: [String], ranks: Int? = nil) throws -> (status: Int32, out: String, err: String) {
        let r = try ranks.map { try CLI.mpirun($0, args, oversubscribe: true) } ?? CLI.trainsim(args, cwd: CLI.packageRoot)
        return (r.code, r.stdout, r.stderr)
    }

    /// The sweep's JSON lines on 1, 2 and 3 ranks (`NAME1.jsonl`...), each run checked to succeed;
    /// `each` runs after the sweep on that many ranks.
    func journalsOnOneToThreeRanks(_ sweep: String, name: String, each: (Int) throws -> Void = { _ in }) throws -> [Data] {
        var files: [Data] = []
        for n in [1, 2, 3] {
            let path = folder.appendingPathComponent("\(name)\(n).jsonl").path
            let r = try run(["sweep", sweep, "--format", "json", "--output", path], ranks: n)
            XCTAssertEqual(r.status, 0, r.err)
            files.append(try Data(contentsOf: URL(fileURLWithPath: path)))
            try each(n)
        }
        return files
    }

    func testSweepOutputIsByteIdenticalForAnyRankCount() throws {
        let local = try run(["sweep", Self.sweepFile, "--format", "csv"])
        XCTAssertEqual(local.status, 0, local.err)
        XCTAssertEqual(local.out.split(separator: "\n").count, 13, local.out)
        let files = try journalsOnOneToThreeRanks(Self.sweepFile, name: "np") { n in
            let csv = try self.run(["sweep", Self.sweepFile, "--format", "csv"], ranks: n)
            XCTAssertEqual(csv.out, local.out, "CSV on \(n) ranks")
        }
        XCTAssertEqual(String(decoding: files[0], as: UTF8.self).split(separator: "\n").count, 12)
        XCTAssertEqual(files[1], files[0], "2 ranks")
        XCTAssertEqual(files[2], files[0], "3 ranks")
    }

    /// A sweep large enough that ranks take whole blocks of its inner axes (here the 64 points of
    /// tp x zero x tokens for one cluster size: `SweepPlan.innerBlock`; with 512 points, blocks
    /// while more than two a rank are left, on 2 and on 3 ranks), then guided pieces at the end:
    /// the same lines as on one rank, in the same order.
    func testBlocksOfPointsGiveTheSameLinesOnAnyRankCount() throws {
        let sweep = folder.appendingPathComponent("blocks.json")
        try Data("""
        {"name": "blocks", "model": "llama3-8b",
         "training": {"tokens": 1e11, "sequenceLength": 4096, "globalBatchSequences": 512, "precision": "bf16"},
         "cluster": {"topology": "h800-ib", "devices": 64}, "parallelism": {"tp": 1},
         "sweep": {"cluster.devices": [64, 128, 256, 512, 1024, 2048, 4096, 8192], "parallelism.tp": [1, 2, 4, 8], "parallelism.zero": [1, 2],
                   "training.tokens": [1e11, 2e11, 3e11, 4e11, 5e11, 6e11, 7e11, 8e11]}}
        """.utf8).write(to: sweep)
        let files = try journalsOnOneToThreeRanks(sweep.path, name: "blocks-np")
        XCTAssertEqual(String(decoding: files[0], as: UTF8.self).split(separator: "\n").count, 512)
        XCTAssertEqual(files[1], files[0], "2 ranks")
        XCTAssertEqual(files[2], files[0], "3 ranks")
    }

    func testResumeComputesOnlyMissingPoints() throws {
        let full = folder.appendingPathComponent("full.jsonl").path
        XCTAssertEqual(try run(["sweep", Self.sweepFile, "--format", "json", "--output", full]).status, 0)
        let complete = try String(contentsOfFile: full, encoding: .utf8)
        let lines = complete.split(separator: "\n").map { String($0) + "\n" }
        XCTAssertEqual(lines.count, 12)
        // A killed run: four points done, the fifth torn. (An edited line is refused: see ResumeCLITests.)
        let partial = folder.appendingPathComponent("partial.jsonl").path
        try (lines[0...3].joined() + lines[4].prefix(30)).write(toFile: partial, atomically: true, encoding: .utf8)
        let r = try run(["sweep", Self.sweepFile, "--format", "json", "--output", partial, "--resume"], ranks: 2)
        XCTAssertEqual(r.status, 0, r.err)
        XCTAssertTrue(r.err.contains("4 of 12 points done, computing 8"), r.err)
        let resumed = try String(contentsOfFile: partial, encoding: .utf8)
        XCTAssertEqual(resumed, complete)
        // Nothing missing: nothing computed, file unchanged.
        let again = try run(["sweep", Self.sweepFile, "--format", "json", "--output", partial, "--resume"])
        XCTAssertTrue(again.err.contains("computing 0"), again.err)
        XCTAssertEqual(try String(contentsOfFile: partial, encoding: .utf8), resumed)
    }

    /// `--skip-out-of-memory` on 2 ranks: the points that do not fit (tp 2 here) keep their reason
    /// and memory without step figures, the others are the full sweep's; a resume with the other
    /// setting is refused with one line that names the flag (the lines' fingerprints differ).
    func testSkippingPointsThatDoNotFitAndItsResume() throws {
        let full = try run(["sweep", Self.sweepFile, "--format", "csv"])
        let path = folder.appendingPathComponent("skip.csv").path
        let skip = try run(["sweep", Self.sweepFile, "--format", "csv", "--skip-out-of-memory", "--output", path], ranks: 2)
        XCTAssertEqual(skip.status, 0, skip.err)
        let a = full.out.split(separator: "\n"), b = try String(contentsOfFile: path, encoding: .utf8).split(separator: "\n")
        XCTAssertEqual(a.count, b.count)
        var skipped = 0
        for (x, y) in zip(a, b) where x != y {
            skipped += 1
            XCTAssertTrue(y.contains(",out-of-memory,needs "), String(y))
            XCTAssertTrue(x.contains(",out-of-memory,"), String(x))
        }
        XCTAssertEqual(skipped, 3, "the three tp 2 points")
        let other = try run(["sweep", Self.sweepFile, "--format", "csv", "--output", path, "--resume"])
        XCTAssertEqual(other.status, 2, other.err)
        let lines = other.err.split(separator: "\n")
        XCTAssertEqual(lines.count, 1, other.err)
        XCTAssertTrue(other.err.contains("--skip-out-of-memory"), other.err)
    }

    /// CSV lines come from the ranks that computed the points, and from the journal for the points
    /// a resumed sweep finds done (in order, and after a gap): the file equals the whole sweep's.
    /// A resumed sweep printed as CSV or as a table (each row made by the rank that computed its
    /// point, and again from the journal for the points an earlier run finished) equals the whole sweep.
    func testCSVAndTableResumeMatchTheWholeSweep() throws {
        let full = folder.appendingPathComponent("full.jsonl").path
        XCTAssertEqual(try run(["sweep", Self.sweepFile, "--format", "json", "--output", full]).status, 0)
        let lines = try String(contentsOfFile: full, encoding: .utf8).split(separator: "\n").map { String($0) + "\n" }
        for format in ["csv", "text"] {
            let whole = try run(["sweep", Self.sweepFile, "--format", format])
            XCTAssertEqual(whole.status, 0, whole.err)
            let out = folder.appendingPathComponent("points.\(format)").path
            // Points 0-2 in order, then a gap, points 6-7, and a torn line.
            try (lines[0...2].joined() + lines[6...7].joined() + lines[8].prefix(20)).write(toFile: out + ".jsonl", atomically: true, encoding: .utf8)
            let r = try run(["sweep", Self.sweepFile, "--format", format, "--output", out, "--resume"], ranks: 2)
            XCTAssertEqual(r.status, 0, r.err)
            XCTAssertTrue(r.err.contains("5 of 12 points done, computing 7"), r.err)
            XCTAssertEqual(try String(contentsOfFile: out, encoding: .utf8), whole.out, format)
        }
    }

    func testSearchIsTheSameOnTwoRanksAndCompareMarksTheBest() throws {
        let file = "Experiments/search-deepseek-v3-h800.json"
        let one = try run(["search", file, "--format", "json", "--top", "3"])
        XCTAssertEqual(one.status, 0, one.err)
        XCTAssertTrue(one.out.contains("\"pareto\""))
        let two = try run(["search", file, "--format", "json", "--top", "3"], ranks: 2)
        XCTAssertEqual(two.out, one.out)
        // Three ranks (rank 0 walking and simulating, two more simulating what it hands out).
        let three = try run(["search", file, "--format", "json", "--top", "3"], ranks: 3)
        XCTAssertEqual(three.out, one.out)
        let md = try run(["compare", Self.sweepFile, "--format", "md"])
        XCTAssertEqual(md.status, 0, md.err)
        XCTAssertTrue(md.out.contains("| step time |") && md.out.contains("**") && md.out.contains("exposed comm"), md.out)
        XCTAssertTrue(md.out.contains("(OOM)"), md.out)
    }
}
