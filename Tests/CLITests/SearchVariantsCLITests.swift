import Foundation
import XCTest

/// `trainsim search` end to end: ZeRO 1 and 2 give the same step time and cost on a plan whose
/// gradient reductions hide behind compute, so they are one row ("1/2" in the zero column, a
/// "variants" array in JSON), the same on one rank and on two.
final class SearchVariantsCLITests: XCTestCase {
    func testSameResultPlansShareOneRowOnAnyRankCount() throws {
        let folder = CLI.tempDir()
        defer { try? FileManager.default.removeItem(at: folder) }
        let file = folder.appendingPathComponent("search.json").path
        try """
        { "schemaVersion": 1, "name": "variants", "model": "llama3-8b",
          "training": { "tokens": 1e11, "sequenceLength": 4096, "globalBatchSequences": 256, "precision": "bf16" },
          "cluster": { "topology": "h800-ib", "devices": 64 },
          "parallelism": { "tp": 1 },
          "search": { "objective": "time", "top": 4,
                      "space": { "parallelism.zero": [1, 2], "parallelism.tp": [1, 2], "parallelism.pp": [1, 2],
                                 "training.microBatchSequences": [1], "training.recompute": ["selective"],
                                 "parallelism.schedule": ["1f1b"] } } }
        """.write(toFile: file, atomically: true, encoding: .utf8)
        let text = try CLI.trainsim(["search", file], cwd: CLI.packageRoot)
        XCTAssertEqual(text.code, 0, text.stderr)
        let rows = text.stdout.split(separator: "\n").filter { $0.first?.isNumber == true }
        // The best 4 rows (the front's row follows them): 4 different step times; the step is the 12th cell.
        let steps = rows.prefix(4).map { $0.split(separator: " ")[11] }
        XCTAssertEqual(Set(steps).count, 4, "\(steps)\n\(text.stdout)")

        let json = try CLI.trainsim(["search", file, "--format", "json"], cwd: CLI.packageRoot)
        XCTAssertEqual(json.code, 0, json.stderr)
        let object = try JSONSerialization.jsonObject(with: Data(json.stdout.utf8)) as? [String: Any]
        let best = try XCTUnwrap(object?["best"] as? [[String: Any]])
        XCTAssertEqual(best.count, 4)
        let first = try XCTUnwrap(best[0]["variants"] as? [[String: Any]])
        XCTAssertEqual(first.map { $0["zero"] as? Int }, [1, 2])
        XCTAssertNotEqual(first[0]["peakGiBPerDevice"] as? Double, first[1]["peakGiBPerDevice"] as? Double, "ZeRO 2 shards the gradients")
        // Every row that stands for both stages says so once, in the table ("1/2") as in JSON; the
        // others (tensor parallelism adds exposed traffic that ZeRO 2 changes) are one plan each.
        let pareto = try XCTUnwrap(object?["pareto"] as? [[String: Any]])
        let merged = (best + pareto).filter { ($0["variants"] as? [Any])?.count == 2 }
        XCTAssertEqual(rows.filter { $0.contains(" 1/2 ") }.count, merged.count, text.stdout)
        XCTAssertLessThan(merged.count, best.count + pareto.count, "some plans differ with the ZeRO stage:\n\(text.stdout)")
        for row in best + pareto {
            let variants = try XCTUnwrap(row["variants"] as? [[String: Any]])
            XCTAssertTrue(variants.count == 1 || variants.map { $0["zero"] as? Int } == [1, 2], "\(variants)")
        }
        for key in ["rank", "stepTimeSeconds", "cost", "memory", "breakdown"] { XCTAssertNotNil(best[0][key], key) }

        let two = try CLI.mpirun(2, ["search", file, "--format", "json"], oversubscribe: true)
        XCTAssertEqual(two.code, 0, two.stderr)
        XCTAssertEqual(two.stdout, json.stdout, "2 ranks")
    }
}
