import Foundation
import XCTest

/// The fitted constants are what `Tests/Calibration/fit.py` writes from the calibration rows: run on
/// a copy of the data, it reproduces the committed data files byte for byte. So the fit is a function
/// of the rows (a rerun writes the same figures), and no engine change lands without its refit.
final class CalibrationFitCLITests: XCTestCase {
    func testFitReproducesTheCommittedDataFiles() throws {
        guard let bin = CLI.binary else { throw XCTSkip("TRAINSIM_BIN not set and no release build; run `make test`") }
        let python = ["/usr/bin/python3", "/usr/local/bin/python3"].first { FileManager.default.isExecutableFile(atPath: $0) }
        guard let python else { return XCTFail("python3 is needed to run Tests/Calibration/fit.py (`make test-deps` installs it)") }
        let fm = FileManager.default
        let root = URL(fileURLWithPath: CLI.packageRoot)
        let copy = CLI.tempDir()
        defer { try? fm.removeItem(at: copy) }
        try fm.copyItem(at: root.appendingPathComponent("Topologies"), to: copy.appendingPathComponent("Topologies"))
        try fm.createDirectory(at: copy.appendingPathComponent("Tests"), withIntermediateDirectories: true)
        try fm.copyItem(at: root.appendingPathComponent("Tests/Calibration"), to: copy.appendingPathComponent("Tests/Calibration"))
        let r = try CLI.run(python, ["Tests/Calibration/fit.py", bin], env: ["TRAINSIM_HOME": copy.path], cwd: copy.path)
        XCTAssertEqual(r.code, 0, r.stderr)
        var compared = 0, differing: [String] = []
        let files = fm.enumerator(atPath: root.appendingPathComponent("Topologies").path)!.compactMap { $0 as? String }.filter { $0.hasSuffix(".json") }
        for f in files {
            compared += 1
            let a = try Data(contentsOf: root.appendingPathComponent("Topologies/" + f))
            let b = try Data(contentsOf: copy.appendingPathComponent("Topologies/" + f))
            if a != b { differing.append(f) }
        }
        XCTAssertGreaterThan(compared, 20)
        XCTAssertEqual(differing, [], "fit.py writes other figures into these files than are committed: rerun `python3 Tests/Calibration/fit.py` and commit them\n\(r.stdout)")
    }

    /// Reports quote `Topologies/run/accuracy.json`; it carries validate's figures to the digits
    /// `validate --format json` gives, so a report prints the percent validate prints (with four
    /// digits, pytorch-fsdp's 0.0905029 became 0.0905, which prints as 9.0 % where validate says 9.1 %).
    func testAccuracyFileCarriesValidatesFigures() throws {
        guard let bin = CLI.binary else { throw XCTSkip("TRAINSIM_BIN not set and no release build; run `make test`") }
        let root = URL(fileURLWithPath: CLI.packageRoot)
        let r = try CLI.run(bin, ["validate", "--format", "json"], cwd: CLI.packageRoot)
        let v = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(r.stdout.utf8)) as? [String: Any])
        let data = try Data(contentsOf: root.appendingPathComponent("Topologies/run/accuracy.json"))
        let a = try XCTUnwrap(JSONSerialization.jsonObject(with: data) as? [String: Any])
        var checked = 0
        for (table, key) in [("byFamily", "deviceFamily"), ("byStack", "stack"), ("byKind", "modelKind")] {
            let shipped = try XCTUnwrap(a[key] as? [String: [String: Any]])
            for g in try XCTUnwrap(v[table] as? [[String: Any]]) where (g["heldOut"] as? Int ?? 0) > 0 {
                let name = try XCTUnwrap(g["group"] as? String), s = try XCTUnwrap(shipped[name], name)
                XCTAssertEqual(s["medianAbsError"] as? Double, g["medianAbsError"] as? Double, "\(key) \(name)")
                XCTAssertEqual(s["maxAbsError"] as? Double, g["maxAbsError"] as? Double, "\(key) \(name)")
                checked += 1
            }
        }
        let overall = try XCTUnwrap(a["overall"] as? [String: Any])
        XCTAssertEqual(overall["medianAbsError"] as? Double, v["medianAbsErrorHeldOut"] as? Double)
        XCTAssertGreaterThan(checked, 8)
        // Plan against plan: the held-out pairs' summary, as validate gives it.
        let pairs = try XCTUnwrap(a["planPairs"] as? [String: Any]), held = try XCTUnwrap((v["pairs"] as? [String: Any])?["heldOut"] as? [String: Any])
        for k in ["pairs", "ordered", "orderRight", "medianAbsRatioError", "maxAbsRatioError"] {
            XCTAssertEqual(pairs[k] as? Double, held[k] as? Double, k)
        }
    }
}
