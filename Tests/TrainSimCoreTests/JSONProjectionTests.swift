import Foundation
import XCTest
@testable import TrainSimCore

/// Reading a document with a projection (`JSONParser.parse(bytes:keeping:)`) builds exactly the
/// kept parts of the full reading, rejects the same bad input, and reads numbers as `strtod`
/// does; a sweep's tables and CSV rendered from projected lines equal those from whole lines.
final class JSONProjectionTests: XCTestCase {
    func testProjectionKeepsThePathsAskedFor() throws {
        let text = #"{"a": 1, "b": {"c": [1, {"d": "x\u00e9"}], "e": "f\"g", "h": {"i": true}}, "j": null, "k": {"l": 2.5e-3}}"#
        let full = try JSONParser.parse(text)
        let p = try JSONParser.parse(bytes: Array(text.utf8), keeping: JSONProjection(paths: ["a", "b.h", "k"]))
        XCTAssertEqual(p, .object([("a", .number(1)), ("b", .object([("h", full.value(at: ["b", "h"])!)])), ("k", full["k"]!)]))
        XCTAssertEqual(try JSONParser.parse(bytes: Array(text.utf8), keeping: .all), full)
        // A path that is a prefix of another keeps the value whole.
        let q = try JSONParser.parse(bytes: Array(text.utf8), keeping: JSONProjection(paths: ["b.h.i", "b"]))
        XCTAssertEqual(q, .object([("b", full["b"]!)]))
    }

    func testSkippedPartsAreStillChecked() {
        let keep = JSONProjection(paths: ["a"])
        for bad in [#"{"a": 1, "b": [1, 2}"#, #"{"a": 1, "b": "x"#, #"{"a": 1, "b": "\q"}"#, #"{"a": 1, "b": tru}"#,
                    #"{"a": 1, "b": {"c" 1}}"#, #"{"a": 1, "b": 1.}"#, #"{"a": 1, "b": [1e999]}"#, #"{"a": 1, "b": -}"#,
                    #"{"a": 1, "b": 1.5e}"#, #"{"a": 1, "b": 2-3}"#, "{\"a\": 1, \"b\": \"\u{1}\"}", #"{"a": 1, "b": "\uD800"}"#] {
            XCTAssertThrowsError(try JSONParser.parse(bytes: Array(bad.utf8), keeping: keep), bad)
            XCTAssertThrowsError(try JSONParser.parse(bad), bad)
        }
        // What the full reader accepts beyond JSON's grammar (a leading zero, a bare fraction), it
        // accepts skipped too.
        for odd in [#"{"a": 1, "b": 01}"#, #"{"a": 1, "b": -.5}"#, #"{"a": 1, "b": [1E+02, 0.5e-7, -0]}"#] {
            XCTAssertNoThrow(try JSONParser.parse(bytes: Array(odd.utf8), keeping: keep), odd)
            XCTAssertNoThrow(try JSONParser.parse(odd), odd)
        }
        let deep = "{\"a\": 1, \"b\": " + String(repeating: "[", count: 70) + String(repeating: "]", count: 70) + "}"
        XCTAssertThrowsError(try JSONParser.parse(bytes: Array(deep.utf8), keeping: keep))
    }

    /// The decimal fast path gives the double the C library's correctly rounded reader gives.
    func testNumbersReadAsStrtodReadsThem() throws {
        var texts = ["0", "-0", "1", "-1", "0.1", "0.2", "0.3", "1e22", "1e23", "9007199254740991", "9007199254740993",
                     "123456789012345", "1234567890123456", "0.000001", "1.5e-22", "2.2250738585072014e-308", "4.9e-324",
                     "1.7976931348623157e308", "3.141592653589793", "2.718281828459045", "100", "1E5", "1e+5", "0.5E-3",
                     "01", "-.5", "1.0000000000000002", "0.30000000000000004", "123.456e-7", "12e21", "1e-22"]
        var rng = SystemRandomNumberGenerator()
        for _ in 0..<3000 {
            let d = Double.random(in: -1e6...1e6, using: &rng)
            texts.append(JSONWriter.number(d))
            texts.append(String(format: "%.\(Int.random(in: 0...12, using: &rng))f", d))
            texts.append(String(format: "%.\(Int.random(in: 1...15, using: &rng))e", d * pow(10, Double(Int.random(in: -30...30, using: &rng)))))
        }
        for t in texts {
            let parsed = try JSONParser.parse("[\(t)]")
            guard case let .array(a) = parsed, case let .number(x) = a[0] else { return XCTFail(t) }
            let c = strtod(t, nil)
            XCTAssertEqual(x.bitPattern, c.bitPattern, t)
        }
        for bad in ["1.", "-", "1e", "1e+", "--1", "1.2.3"] { XCTAssertThrowsError(try JSONParser.parse("[\(bad)]"), bad) }
    }

    /// Every table and CSV of a sweep with a topology axis (text, Markdown, CSV), rendered from
    /// lines read with `SweepOutput.projection`, equals the rendering from whole lines.
    func testSweepTablesFromProjectedLinesEqualThoseFromWholeLines() throws {
        let text = """
        {\(SweepPlanTests.base), "sweep": {
          "parallelism.tp": [1, 2, 3, 8],
          "parallelism.zero": [1, 3],
          "training.recompute": ["none", "full"],
          "cluster.topology": ["h800-ib", "a100-80g-ib"]
        }}
        """
        let plan = try SweepPlanTests.plan(text)
        let evaluator = SweepEvaluator(plan)
        let lines = (0..<plan.count).map { SweepJournal.seal(evaluator.evaluate($0).jsonLine, experiment: "fp") }
        let whole = try lines.map { try SweepPoint(line: String($0.dropLast())) }
        let projected = try lines.map { try SweepPoint(bytes: Array($0.utf8.dropLast())[...], keeping: SweepOutput.projection) }
        // The lines the computing ranks send for the tables (`SweepOutput.tableLine`: each point's
        // table entry, with the report the topology tables read) render the same tables.
        XCTAssertTrue(SweepOutput.comparesTopologies(plan))
        let tableLines = try (0..<plan.count).map {
            try SweepOutput.TableEntry(line: Array(SweepOutput.tableLine(evaluator.evaluate($0), reports: true).utf8.dropLast())[...])
        }
        func fromTableLines(_ format: ReportFormat) throws -> String {
            var out = ""
            try SweepOutput.writeTable({ body in for e in tableLines { try body(e) } }, plan: plan, markdown: format == .md) { out += $0 }
            return out
        }
        XCTAssertTrue(whole.contains { $0.status == .ok } && whole.contains { $0.status == .invalid })
        for format in [ReportFormat.csv, .text, .md] {
            let a = SweepOutput.render(whole, plan: plan, format: format), b = SweepOutput.render(projected, plan: plan, format: format)
            XCTAssertEqual(a, b, "\(format)")
            if format != .csv { XCTAssertEqual(a, try fromTableLines(format), "\(format), from the table lines") }
            XCTAssertGreaterThan(a.count, 500)
        }
        XCTAssertTrue(SweepOutput.render(whole, plan: plan, format: .text).contains("topologies side by side"))
        // The projection leaves out what the tables do not read.
        XCTAssertNil(projected.first { $0.report != nil }!.report!["accuracy"])
        XCTAssertNil(projected.first { $0.report != nil }!.report!.value(at: ["cost", "priceSource"]))
        XCTAssertNil(tableLines.first { $0.report != nil }!.report!["accuracy"])
        XCTAssertNotNil(tableLines.first { $0.report != nil }!.report!["exposedCommunicationByTier"])
        XCTAssertNotNil(whole.first { $0.report != nil }!.report!["accuracy"])
    }

    /// The topology tables go through a temporary file and come back in pieces of about 1 MB:
    /// more than that, with characters of two bytes everywhere, comes back whole and in order.
    func testTopologyTablesOfMoreThanAMegabyteComeBackWhole() throws {
        let groups = 3000
        let plan = try SweepPlanTests.plan("""
        {\(SweepPlanTests.base), "sweep": {"training.tokens": [\((1...groups).map(String.init).joined(separator: ", "))],
          "cluster.topology": ["α-ib", "β-ib"]}}
        """)
        var points: [SweepPoint] = []
        for g in 0..<groups {
            for (k, t) in ["α-ib", "β-ib"].enumerated() {
                let report = JSONValue.object([("name", .string("ü")), ("stepTimeSeconds", .number(Double(g + k) + 0.5)),
                                               ("plan", .object([("topology", .string(t)), ("accelerator", .string("γ"))])),
                                               ("memory", .object([("fits", .bool(true)), ("peakGiBPerDevice", .number(10))]))])
                points.append(SweepPoint(index: 2 * g + k, assignment: [("training.tokens", .number(Double(g + 1))), ("cluster.topology", .string(t))],
                                         status: .ok, reason: nil, report: report))
            }
        }
        for format in [ReportFormat.text, .md] {
            let out = SweepOutput.render(points, plan: plan, format: format)
            guard let first = out.range(of: "topologies side by side") else { return XCTFail("\(format): no topology tables") }
            let tables = String(out[first.lowerBound...])
            XCTAssertGreaterThan(tables.utf8.count, 1 << 20, "\(format)")
            XCTAssertFalse(out.contains("\u{FFFD}"), "\(format)")
            for g in [1, groups / 2, groups] { XCTAssertTrue(out.contains("topologies side by side (tokens=\(g))"), "\(format) group \(g)") }
            XCTAssertEqual(out.components(separatedBy: "topologies side by side").count - 1, groups, "\(format)")
            // Each table names both topologies twice: its header and its topology row.
            XCTAssertEqual(tables.components(separatedBy: "α-ib").count, 2 * groups + 1, "\(format)")
            XCTAssertEqual(tables.components(separatedBy: "β-ib").count, 2 * groups + 1, "\(format)")
        }
    }

    /// Topologies are put side by side only where each setting of the other axes is a run of
    /// consecutive points: the topology axis has several values and every axis after it one.
    /// Elsewhere no table is made, even where invalid points (which have no report) leave two
    /// points of one setting with nothing but invalid points between them, and the lines for the
    /// tables carry no report.
    func testTopologiesSideBySideOnlyWhereTheyVaryFastest() throws {
        func plan(_ sweep: String) throws -> SweepPlan { try SweepPlanTests.plan("{\(SweepPlanTests.base), \"sweep\": {\(sweep)}}") }
        let last = try plan(#""parallelism.tp": [1, 2], "cluster.topology": ["h800-ib", "a100-80g-ib"]"#)
        let single = try plan(#""cluster.topology": ["h800-ib", "a100-80g-ib"], "parallelism.tp": [2]"#)
        let first = try plan(#""cluster.topology": ["h800-ib", "a100-80g-ib"], "parallelism.tp": [1, 3]"#)
        let one = try plan(#""parallelism.tp": [1, 2], "cluster.topology": ["h800-ib"]"#)
        XCTAssertEqual([last, single, first, one].map(SweepOutput.comparesTopologies), [true, true, false, false])
        for (p, tables) in [(last, 2), (single, 1), (first, 0), (one, 0)] {
            let points = (0..<p.count).map(p.evaluate)
            let text = SweepOutput.render(points, plan: p, format: .text)
            XCTAssertEqual(text.components(separatedBy: "topologies side by side").count - 1, tables, text)
            let reports = SweepOutput.comparesTopologies(p)
            for pt in points where pt.report != nil {
                XCTAssertEqual(try SweepOutput.TableEntry(line: Array(SweepOutput.tableLine(pt, reports: reports).utf8.dropLast())[...]).report != nil, reports)
            }
        }
        // In `first`, tp 3 is invalid on both topologies: h800-ib tp 1 and a100-80g-ib tp 1 are
        // separated only by points without a report, and still get no table.
        let points = (0..<first.count).map(first.evaluate)
        XCTAssertEqual(points.map(\.status), [.ok, .invalid, .ok, .invalid])
    }
}
