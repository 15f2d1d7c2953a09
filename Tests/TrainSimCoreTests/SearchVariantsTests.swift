import Foundation
import XCTest
@testable import TrainSimCore

/// Plans whose results are byte-identical (step time and cost) are one row of a search's answer,
/// listing the plans as variants, in text, CSV and JSON; the top N holds N distinct results.
final class SearchVariantsTests: XCTestCase {
    func testTopPlansHoldsDistinctResultsWithEveryPlanOfEach() {
        let pts = [ScoredPlan(id: 4, seconds: 2, cost: 5), ScoredPlan(id: 0, seconds: 1, cost: 3), ScoredPlan(id: 7, seconds: 1, cost: 3),
                   ScoredPlan(id: 2, seconds: 3, cost: 1), ScoredPlan(id: 5, seconds: 1, cost: 3), ScoredPlan(id: 3, seconds: 2, cost: 4),
                   ScoredPlan(id: 9, seconds: 2, cost: 4), ScoredPlan(id: 1, seconds: 5, cost: 1)]
        var orders = [pts, Array(pts.reversed())]
        var g = SystemRandomNumberGenerator()
        for _ in 0..<20 { orders.append(pts.shuffled(using: &g)) }
        for order in orders {
            var top = TopPlans(capacity: 3, byCost: false)
            for p in order { top.insert(p) }
            for p in order.prefix(3) { top.insert(p) }  // a plan inserted twice is held once
            XCTAssertEqual(top.groups.map { $0.map(\.id) }, [[0, 5, 7], [3, 9], [4]], "\(order.map(\.id))")
            XCTAssertEqual(top.threshold, 2)
            var byCost = TopPlans(capacity: 2, byCost: true)
            for p in order { byCost.insert(p) }
            XCTAssertEqual(byCost.groups.map { $0.map(\.id) }, [[2], [1]])
        }
        var one = TopPlans(capacity: 1, byCost: false)
        one.insert(ScoredPlan(id: 3, seconds: 1, cost: 1))
        XCTAssertEqual(one.threshold, 1)
        one.insert(ScoredPlan(id: 8, seconds: 1, cost: 1))  // same result: joins, does not push it out
        one.insert(ScoredPlan(id: 1, seconds: 1, cost: 2))  // same time, dearer: a later result, not kept
        XCTAssertEqual(one.plans.map(\.id), [3, 8])
    }

    static func searchWithZeroVariants() throws -> (PlanSearch, SearchReport) {
        let s = try PlanSearch(try SweepSearchTests.experiment("""
            {"objective": "time", "top": 4, "space": {"parallelism.zero": [1, 2], "parallelism.tp": [1, 2], "parallelism.pp": [1, 2],
             "training.microBatchSequences": [1], "training.recompute": ["selective"], "parallelism.schedule": ["1f1b"]}}
            """))
        let state = SearchState.complete(s)
        return (s, try SearchReport(search: s, state: state))
    }

    func testIdenticalPlansShareOneRowInTextCSVAndJSON() throws {
        let (s, report) = try Self.searchWithZeroVariants()
        // Ground truth: every candidate simulated; rows are the distinct results as reported, best first.
        var scored: [ScoredPlan] = []
        for id in s.candidates.indices { if case let .scored(p) = s.evaluate(id) { scored.append(p.reported) } }
        let results = Set(scored.map { [$0.seconds, $0.cost] })
        XCTAssertLessThan(results.count, scored.count, "ZeRO 1 and 2 should tie on some plan: \(scored)")
        XCTAssertEqual(report.best.count, min(4, results.count), "one row per distinct result")
        let rows = report.bestVariants
        XCTAssertTrue(rows.contains { $0.count > 1 }, "a row with variants")
        for (k, variants) in rows.enumerated() {
            let mine = scored.first { $0.id == report.bestIDs[k] }!
            XCTAssertEqual(variants.map(\.id), scored.filter { $0.seconds == mine.seconds && $0.cost == mine.cost }.map(\.id).sorted(),
                           "row \(k + 1) lists every plan with its result")
            XCTAssertEqual(variants.first?.id, report.bestIDs[k])
        }
        let grouped = rows.firstIndex { $0.count > 1 }!
        XCTAssertEqual(SearchReport.summary(rows[grouped]), "zero 1/2")

        let text = report.render(.text)
        XCTAssertTrue(text.contains("x/y in a column: plans that differ only there"), text)
        let line = text.split(separator: "\n").first { $0.hasPrefix("\(grouped + 1) ") }.map(String.init) ?? ""
        XCTAssertTrue(line.contains(" 1/2 "), "the zero cell lists both: \(line)\n\(text)")
        XCTAssertEqual(text.split(separator: "\n").filter { $0.contains(" 1/2 ") }.count,
                       rows.filter { $0.count > 1 }.count + report.frontVariants.filter { $0.count > 1 }.count)

        let csv = report.render(.csv)
        XCTAssertTrue(csv.hasPrefix("set,rank,devices,topology,tp,pp,vpp,dp,ep,cp,microBatch,zero,recompute,schedule,stepTimeSeconds,"), csv)
        XCTAssertTrue(csv.split(separator: "\n")[0].hasSuffix(",memory.peakGiBPerDevice,variants"))
        XCTAssertTrue(csv.contains(",zero 1/2\n"), csv)

        let json = try JSONParser.parse(report.render(.json))
        guard case let .array(best)? = json["best"], case let .array(pareto)? = json["pareto"] else { return XCTFail("best, pareto") }
        XCTAssertEqual(best.count, report.best.count)
        for (k, row) in best.enumerated() {
            for key in ["rank", "name", "stepTimeSeconds", "mfu", "cost", "memory", "breakdown"] { XCTAssertNotNil(row[key], key) }
            guard case let .array(variants)? = row["variants"] else { return XCTFail("variants on row \(k + 1)") }
            XCTAssertEqual(variants.count, rows[k].count)
            for (v, p) in zip(variants, rows[k]) {
                XCTAssertEqual(v["zero"], .number(Double(p.plan[7])!))
                XCTAssertEqual(v["recompute"], .string("selective"))
                XCTAssertNotNil(v["peakGiBPerDevice"])
            }
        }
        for row in pareto { XCTAssertNotNil(row["variants"]) }
    }

    func testVariantsDifferingInSeveralColumnsAreSpelledOut() {
        let a = SearchReport.Variant(id: 1, devices: 8, topology: "t", plan: ["1", "1", "1", "8", "1", "1", "2", "1", "none", "1f1b"], peakGiB: 50)
        let b = SearchReport.Variant(id: 5, devices: 8, topology: "t", plan: ["1", "1", "1", "8", "1", "1", "1", "3", "none", "1f1b"], peakGiB: 40)
        XCTAssertEqual(SearchReport.summary([a, b]), "mb 2 zero 1; mb 1 zero 3")
        XCTAssertEqual(SearchReport.summary([a]), "")
        let c = SearchReport.Variant(id: 9, devices: 8, topology: "t", plan: ["1", "1", "1", "8", "1", "1", "2", "10", "none", "1f1b"], peakGiB: 30)
        XCTAssertEqual(SearchReport.summary([c, a]), "zero 1/10", "numbers in numeric order")
    }
}
