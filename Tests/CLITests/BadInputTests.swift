import Foundation
import XCTest

/// Every malformed input gives exit code 2 and one line on stderr that names the file and the
/// key path: never a trap, a hang or a stack trace.
final class BadInputTests: XCTestCase {
    static let base = """
    {"name": "t", "model": "llama3-8b",
     "training": {"tokens": 1e12, "sequenceLength": 4096, "globalBatchSequences": 256, "microBatchSequences": 1, "precision": "bf16", "recompute": "selective"},
     "cluster": {"topology": "a100-80g-ib", "devices": 64},
     "parallelism": {"tp": 2, "pp": 2, "zero": 1},
     "cost": {"currency": "USD"}}
    """

    /// (label, file text, substrings the one-line error must contain)
    static func cases() -> [(String, String, [String])] {
        func edit(_ from: String, _ to: String) -> String { base.replacingOccurrences(of: from, with: to) }
        var c: [(String, String, [String])] = [
            ("unknown top key", edit("\"name\": \"t\",", "\"name\": \"t\", \"modle\": 1,"), ["modle", "unknown key", "did you mean \"model\""]),
            ("unknown parallelism key", edit("\"tp\": 2,", "\"tpp\": 2,"), ["parallelism.tpp", "unknown key", "did you mean \"tp\""]),
            ("unknown training key", edit("\"recompute\"", "\"recomppute\""), ["training.recompput", "did you mean \"recompute\""]),
            ("unknown cluster key", edit("\"devices\": 64", "\"devices\": 64, \"devcies\": 3"), ["cluster.devcies", "did you mean \"devices\""]),
            ("unknown cost key", edit("\"currency\": \"USD\"", "\"currency\": \"USD\", \"pue \": 1"), ["cost.pue ", "unknown key"]),
            ("tp wrong type", edit("\"tp\": 2", "\"tp\": \"2\""), ["parallelism.tp", "expected a whole number, found a string"]),
            ("tp fractional", edit("\"tp\": 2", "\"tp\": 2.5"), ["parallelism.tp", "whole number"]),
            ("tp zero", edit("\"tp\": 2", "\"tp\": 0"), ["parallelism.tp", "at least 1"]),
            ("tp negative", edit("\"tp\": 2", "\"tp\": -4"), ["parallelism.tp", "at least 1"]),
            ("devices absurd", edit("\"devices\": 64", "\"devices\": 1e40"), ["cluster.devices", "out of range"]),
            ("devices zero", edit("\"devices\": 64", "\"devices\": 0"), ["cluster.devices", "at least 1"]),
            ("devices string", edit("\"devices\": 64", "\"devices\": \"many\""), ["cluster.devices", "found a string"]),
            ("tokens negative", edit("\"tokens\": 1e12", "\"tokens\": -5"), ["training.tokens", "greater than 0"]),
            ("tokens zero", edit("\"tokens\": 1e12", "\"tokens\": 0"), ["training.tokens", "greater than 0"]),
            ("tokens absurd", edit("\"tokens\": 1e12", "\"tokens\": 1e300"), ["training.tokens", "out of range"]),
            ("NaN literal", edit("\"tokens\": 1e12", "\"tokens\": NaN"), ["line", "NaN"]),
            ("Infinity literal", edit("\"tokens\": 1e12", "\"tokens\": Infinity"), ["line", "Infinity"]),
            ("huge exponent", edit("\"tokens\": 1e12", "\"tokens\": 1e999"), ["too large"]),
            ("missing training", edit("\"training\":", "\"trainingX\":"), ["training", "missing required key"]),
            ("missing model", edit("\"model\": \"llama3-8b\",", ""), ["model", "missing required key"]),
            ("missing seq", edit("\"sequenceLength\": 4096, ", ""), ["training.sequenceLength", "missing required key"]),
            ("missing devices", edit("\"devices\": 64", "\"network\": \"analytical\""), ["cluster.devices", "missing required key"]),
            ("bad precision", edit("\"bf16\"", "\"bf17\""), ["training.precision", "did you mean \"bf16\""]),
            ("bad recompute", edit("\"selective\"", "\"partial\""), ["training.recompute", "not one of"]),
            ("unknown framework", edit("\"recompute\": \"selective\"", "\"recompute\": \"selective\", \"framework\": \"megatrom\""), ["training.framework", "did you mean \"megatron\""]),
            ("bad network", edit("\"devices\": 64", "\"devices\": 64, \"network\": \"flows\""), ["cluster.network", "did you mean \"flow\""]),
            ("bad schedule", edit("\"zero\": 1", "\"zero\": 1, \"schedule\": \"1f1bb\""), ["parallelism.schedule", "did you mean \"1f1b\""]),
            ("zero stage 4", edit("\"zero\": 1", "\"zero\": 4"), ["parallelism.zero", "out of range"]),
            ("plan does not multiply", edit("\"zero\": 1", "\"zero\": 1, \"dp\": 8"), ["parallelism.dp", "tp x cp x pp x dp", "64"]),
            ("plan does not divide", edit("\"pp\": 2", "\"pp\": 3"), ["parallelism", "does not divide cluster.devices"]),
            ("tp not dividing heads", edit("\"tp\": 2, \"pp\": 2", "\"tp\": 64, \"pp\": 1"), ["parallelism.tp", "does not divide the model's 32 attention heads"]),
            ("ep without experts", edit("\"zero\": 1", "\"zero\": 1, \"ep\": 2"), ["parallelism.ep", "no experts"]),
            ("batch not divisible", edit("\"globalBatchSequences\": 256", "\"globalBatchSequences\": 250"), ["training.globalBatchSequences", "not a multiple"]),
            ("unknown preset", edit("\"llama3-8b\"", "\"llama3-8bb\""), ["model", "did you mean \"llama3-8b\""]),
            ("model wrong type", edit("\"llama3-8b\"", "42"), ["model", "expected an object or a preset name"]),
            ("unknown topology", edit("\"a100-80g-ib\"", "\"a100-80g-iv\""), ["cluster.topology", "not found", "did you mean \"a100-80g-ib\""]),
            ("missing topology file", edit("\"a100-80g-ib\"", "\"nowhere/x.json\""), ["cluster.topology", "not found"]),
            ("too many devices for design", edit("\"devices\": 64", "\"devices\": 9000000"), ["cluster.devices", "exceed"]),
            ("partial node", edit("\"devices\": 64", "\"devices\": 60"), ["cluster.devices", "whole nodes"]),
            ("pp more than layers", edit("\"tp\": 2, \"pp\": 2", "\"tp\": 1, \"pp\": 64"), ["parallelism.pp", "more than the model's 32 layers"]),
            ("vpp without interleaved", edit("\"pp\": 2", "\"pp\": 2, \"vpp\": 2, \"schedule\": \"1f1b\""), ["parallelism.vpp", "interleaved"]),
            ("bad order", edit("\"zero\": 1", "\"zero\": 1, \"order\": \"tp-dp\""), ["parallelism.order"]),
            ("layer split wrong sum", edit("\"zero\": 1", "\"zero\": 1, \"layerSplit\": [10, 10]"), ["parallelism.layerSplit", "adds up to 20"]),
            ("cost currency", edit("\"USD\"", "\"EUR\""), ["cost.currency", "not one of"]),
            ("sweep not a list", edit("\"name\": \"t\",", "\"name\": \"t\", \"sweep\": {\"parallelism.tp\": 2},"), ["sweep.parallelism.tp", "expected a list"]),
            ("sweep bad path", edit("\"name\": \"t\",", "\"name\": \"t\", \"sweep\": {\"tp\": [1]},"), ["sweep.tp", "not a key path"]),
            ("search objective", edit("\"name\": \"t\",", "\"name\": \"t\", \"search\": {\"objective\": \"speed\"},"), ["search.objective", "not one of"]),
            ("trailing comma", edit("\"USD\"}}", "\"USD\",}}"), ["line", "quoted key"]),
            ("truncated", String(base.prefix(120)), ["line", "unterminated string"]),
            ("duplicate key", edit("\"tp\": 2,", "\"tp\": 2, \"tp\": 4,"), ["duplicate key \"tp\""]),
            ("top level list", "[1, 2, 3]", ["expected an object"]),
            ("empty file", "", ["empty"]),
            ("whitespace only", "   \n  ", ["only white space"]),
            ("kvHeads not dividing", edit("\"llama3-8b\"", "{\"layers\": 2, \"hidden\": 64, \"ffnHidden\": 128, \"heads\": 8, \"kvHeads\": 3, \"vocab\": 100}"), ["model.kvHeads", "must divide heads"]),
            ("moe topK > experts", edit("\"llama3-8b\"", "{\"layers\": 2, \"hidden\": 64, \"ffnHidden\": 128, \"heads\": 8, \"vocab\": 100, \"moe\": {\"experts\": 4, \"topK\": 8, \"expertFfnHidden\": 32}}"), ["model.moe.topK", "more than the 4 experts"]),
        ]
        c += sweepCases()
        c.append(("ep not dividing experts", edit("\"llama3-8b\"", "{\"layers\": 4, \"hidden\": 256, \"ffnHidden\": 512, \"heads\": 8, \"vocab\": 1000, \"moe\": {\"experts\": 6, \"topK\": 2, \"expertFfnHidden\": 128}}").replacingOccurrences(of: "\"zero\": 1", with: "\"zero\": 1, \"ep\": 4"), ["parallelism.ep", "does not divide the model's 6 experts"]))
        return c
    }

    /// Sweeps that cannot run: empty, or more points than a sweep may have (64 lists of two
    /// values overflow an Int; 2^40 points would fill the memory).
    static func sweepCases() -> [(String, String, [String])] {
        func sweep(_ axes: Int) -> String {
            let lists = (0..<axes).map { "\"data.a\($0)\": [1, 2]" }.joined(separator: ", ")
            return base.replacingOccurrences(of: "\"name\": \"t\",", with: "\"name\": \"t\", \"sweep\": {\(lists)},")
        }
        return [
            ("empty sweep", base.replacingOccurrences(of: "\"name\": \"t\",", with: "\"name\": \"t\", \"sweep\": {},"), ["sweep", "the sweep is empty"]),
            ("sweep of 2^64 points", sweep(64), ["sweep", "1.84e+19 points", "more than a sweep may have (1000000)"]),
            ("sweep of 2^40 points", sweep(40), ["sweep", "1099511627776 points", "more than a sweep may have (1000000)"]),
        ]
    }

    func testSweepVerbRefusesEmptyAndHugeSweeps() throws {
        let dir = CLI.tempDir()
        for (i, (label, text, expected)) in Self.sweepCases().enumerated() {
            let path = dir.appendingPathComponent("sweep\(i).json").path
            try text.write(toFile: path, atomically: true, encoding: .utf8)
            let r = try CLI.trainsim(["sweep", path, "--format", "json"], cwd: CLI.packageRoot)
            XCTAssertEqual(r.code, 2, "\(label): exit \(r.code), stderr: \(r.stderr)")
            XCTAssertEqual(r.stderr.split(separator: "\n").count, 1, "\(label): \(r.stderr)")
            for s in expected { XCTAssertTrue(r.stderr.contains(s), "\(label): missing \"\(s)\" in: \(r.stderr)") }
            XCTAssertTrue(r.stdout.isEmpty, "\(label): \(r.stdout)")
        }
    }

    func testTrialsMustBeAPositiveInteger() throws {
        let dir = CLI.tempDir()
        let path = dir.appendingPathComponent("e.json").path
        try Self.base.write(toFile: path, atomically: true, encoding: .utf8)
        for bad in ["-5", "-1"] {
            let r = try CLI.trainsim(["run", path, "--trials", bad], cwd: CLI.packageRoot)
            XCTAssertEqual(r.code, 2, r.stderr)
            XCTAssertEqual(r.stderr.split(separator: "\n").count, 1, r.stderr)
            XCTAssertTrue(r.stderr.contains("--trials must be a positive integer") && r.stderr.contains("found \(bad)"), r.stderr)
            XCTAssertFalse(r.stderr.contains("Missing value"), r.stderr)
        }
    }

    /// `--trace` and `--trials` belong to one run: on a sweep's or a search's file they are an
    /// error, not silently dropped.
    func testRunOnlyOptionsOnASweepOrSearchFile() throws {
        let dir = CLI.tempDir()
        let files = [("sweep", Self.base.replacingOccurrences(of: "\"cost\":", with: "\"sweep\": {\"parallelism.tp\": [1, 2]}, \"cost\":")),
                     ("search", Self.base.replacingOccurrences(of: "\"cost\":", with: "\"search\": {\"top\": 2}, \"cost\":"))]
        for (kind, text) in files {
            let path = dir.appendingPathComponent("\(kind).json").path
            try text.write(toFile: path, atomically: true, encoding: .utf8)
            for (option, value) in [("--trace", dir.appendingPathComponent("t.json").path), ("--trials", "4")] {
                let r = try CLI.trainsim(["run", path, option, value], cwd: CLI.packageRoot)
                XCTAssertEqual(r.code, 2, "\(kind) \(option): exit \(r.code), stderr: \(r.stderr)")
                XCTAssertEqual(r.stderr.split(separator: "\n").count, 1, r.stderr)
                XCTAssertTrue(r.stderr.contains(option) && r.stderr.contains("this file is a \(kind)"), r.stderr)
                XCTAssertTrue(r.stdout.isEmpty, r.stdout)
            }
        }
    }

    func testMalformedExperimentsGiveOneLineErrors() throws {
        let dir = CLI.tempDir()
        let cases = Self.cases()
        XCTAssertGreaterThanOrEqual(cases.count, 40)
        for (i, (label, text, expected)) in cases.enumerated() {
            let path = dir.appendingPathComponent("bad\(i).json").path
            try text.write(toFile: path, atomically: true, encoding: .utf8)
            let r = try CLI.trainsim(["run", path], cwd: CLI.packageRoot)
            XCTAssertEqual(r.code, 2, "\(label): exit \(r.code), stderr: \(r.stderr)")
            let lines = r.stderr.split(separator: "\n", omittingEmptySubsequences: true)
            XCTAssertEqual(lines.count, 1, "\(label): expected one line, got: \(r.stderr)")
            XCTAssertTrue(r.stderr.contains(path), "\(label): error does not name the file: \(r.stderr)")
            for s in expected { XCTAssertTrue(r.stderr.contains(s), "\(label): missing \"\(s)\" in: \(r.stderr)") }
            XCTAssertTrue(r.stdout.isEmpty, "\(label): printed a report for bad input")
        }
    }

    func testNonJSONFiles() throws {
        let dir = CLI.tempDir()
        let bin = dir.appendingPathComponent("binary.json")
        try Data([0x00, 0xFF, 0x13, 0x37, 0x00, 0x42]).write(to: bin)
        let utf = dir.appendingPathComponent("latin1.json")
        try Data([0x7B, 0xE9, 0x7D]).write(to: utf)
        for (path, msg) in [(bin.path, "binary"), (utf.path, "not UTF-8"), (dir.path, "is a directory"),
                            (dir.appendingPathComponent("missing.json").path, "no such file")] {
            let r = try CLI.trainsim([path])
            XCTAssertEqual(r.code, 2, "\(path): \(r.stderr)")
            XCTAssertTrue(r.stderr.contains(msg), "\(path): \(r.stderr)")
            XCTAssertEqual(r.stderr.split(separator: "\n").count, 1)
        }
    }

    func testMalformedTopologyFileNamesItself() throws {
        let dir = CLI.tempDir()
        try "{\"name\": \"x\", \"accelerator\": \"h800\"}".write(to: dir.appendingPathComponent("broken.json"), atomically: true, encoding: .utf8)
        let exp = Self.base.replacingOccurrences(of: "\"a100-80g-ib\"", with: "\"broken.json\"")
        try exp.write(to: dir.appendingPathComponent("e.json"), atomically: true, encoding: .utf8)
        let r = try CLI.trainsim([dir.appendingPathComponent("e.json").path])
        XCTAssertEqual(r.code, 2)
        XCTAssertTrue(r.stderr.contains("broken.json") && r.stderr.contains("node") && r.stderr.contains("missing required key"), r.stderr)
    }

    func testBadArgumentsExitTwo() throws {
        let r = try CLI.trainsim(["run", "--format", "xml", "x.json"])
        XCTAssertEqual(r.code, 2)
        XCTAssertEqual(r.stderr.split(separator: "\n").count, 1, r.stderr)
        for args in [["topo", "h100-ib", "--devices", "0"], ["validate", "/dev/null"], ["topo", "h100-ib", "--group-sizes", "3,x"]] {
            let b = try CLI.trainsim(args)
            XCTAssertEqual(b.code, 2, "\(args)")
            XCTAssertEqual(b.stderr.split(separator: "\n").count, 1, b.stderr)
        }
        let h = try CLI.trainsim(["--help"])
        XCTAssertEqual(h.code, 0)
        XCTAssertTrue(h.stdout.contains("run"))
    }
}
