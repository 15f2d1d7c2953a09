import Foundation
import XCTest

/// `--html FILE` on run, sweep, search and compare: one self-contained page whose numbers are the
/// JSON report's, with its timeline bounded in size.
final class HTMLReportCLITests: XCTestCase {
    func testNumbersInEveryPageEqualTheJSONReport() throws {
        for page in try HTMLPages.all() {
            let numbers = HTMLPages.keyedNumbers(page.html)
            XCTAssertGreaterThan(numbers.count, page.kind == "run" ? 40 : 10, "\(page.kind): too few keyed numbers")
            for n in numbers {
                guard let v = HTMLPages.lookup(page.json, n.key) as? NSNumber else {
                    XCTFail("\(page.kind): \(n.key) is in the page but not a number in the JSON output"); continue
                }
                XCTAssertEqual(Double(n.value), v.doubleValue, "\(page.kind): \(n.key): page \(n.value), JSON \(v)")
            }
        }
    }

    func testFiguresUseTheTextReportsFormatting() throws {
        for page in try HTMLPages.all() where page.kind == "run" {
            let numbers = HTMLPages.keyedNumbers(page.html)
            for key in ["stepTimeSeconds", "mfu", "cost.total"] {
                guard let n = numbers.first(where: { $0.key == key }) else { XCTFail("run page lacks \(key)"); continue }
                XCTAssertTrue(page.textOutput.contains(n.text), "run: \(key) shows \"\(n.text)\", which the text report does not")
            }
        }
    }

    func testPagesAreSelfContainedAndBounded() throws {
        for page in try HTMLPages.all() {
            for banned in ["<script src", "<link", "@import", "url(http", "src=\"http", "href=\"http"] {
                XCTAssertFalse(page.html.contains(banned), "\(page.kind): loads something (\(banned))")
            }
            XCTAssertTrue(page.html.contains("default-src 'none'"), "\(page.kind): no content security policy")
            XCTAssertTrue(page.html.contains("<details>"), "\(page.kind): no folded key/value table")
            // DeepSeek-V3 on 2048 H800s: the timeline stays well under 2 MB.
            XCTAssertLessThan(page.html.utf8.count, 2_000_000, "\(page.kind): \(page.html.utf8.count) bytes")
        }
    }

    func testSweepUnderMPIWritesOnePageFromRankZero() throws {
        let pages = try HTMLPages.all()
        guard let serial = pages.first(where: { $0.kind == "sweep" }) else { return XCTFail("no sweep page") }
        let dir = CLI.tempDir()
        let html = dir.appendingPathComponent("mpi.html").path
        let sweep = URL(fileURLWithPath: serial.path).deletingLastPathComponent().appendingPathComponent("sweep.json").path
        let r = try CLI.mpirun(2, ["sweep", sweep, "--html", html, "--output", dir.appendingPathComponent("out.txt").path], oversubscribe: true)
        XCTAssertEqual(r.code, 0, r.stderr)
        XCTAssertEqual(try String(contentsOfFile: html, encoding: .utf8), serial.html, "the page under mpirun differs from the serial one")
        let leftovers = try FileManager.default.contentsOfDirectory(atPath: dir.path).filter { $0.hasPrefix(".") }
        XCTAssertEqual(leftovers, [], "temporary files left beside the page")
    }
}
