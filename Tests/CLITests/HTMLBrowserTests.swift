import Foundation
import XCTest

/// Renders each kind of `--html` page (run, sweep, search, compare) in headless Chromium and
/// checks what the browser made of it: no console message (script errors, blocked loads and the
/// page's own failed checks all land there), the page's script ran and passed, and every chart
/// has drawn marks (rect, circle and path elements in the rendered DOM). `make test` installs
/// Chromium (Debian's `chromium`).
final class HTMLBrowserTests: XCTestCase {
    static var chromium: String? {
        if let c = ProcessInfo.processInfo.environment["CHROMIUM"], FileManager.default.isExecutableFile(atPath: c) { return c }
        return ["/usr/bin/chromium", "/usr/bin/chromium-browser", "/usr/local/bin/chromium"].first { FileManager.default.isExecutableFile(atPath: $0) }
    }

    struct Rendered { var dom: String; var log: String; var code: Int32; var seconds: Double }

    /// Runs headless Chromium on a file with a hard time limit; stdin from /dev/null, output to
    /// files (Chromium's helper processes may hold pipes open), so nothing can hang the test.
    static func render(_ path: String, chromium: String, timeout: Double = 60) throws -> Rendered {
        let dir = CLI.tempDir()
        let outURL = dir.appendingPathComponent("dom.html"), errURL = dir.appendingPathComponent("stderr.txt")
        FileManager.default.createFile(atPath: outURL.path, contents: nil)
        FileManager.default.createFile(atPath: errURL.path, contents: nil)
        let out = try FileHandle(forWritingTo: outURL), err = try FileHandle(forWritingTo: errURL)
        defer { try? FileManager.default.removeItem(at: dir) }
        let p = Process()
        p.executableURL = URL(fileURLWithPath: chromium)
        p.arguments = ["--headless", "--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-extensions",
                       "--user-data-dir=" + dir.appendingPathComponent("profile").path,
                       "--dump-dom", "--enable-logging=stderr", "--v=0", URL(fileURLWithPath: path).absoluteString]
        p.standardInput = FileHandle.nullDevice
        p.standardOutput = out
        p.standardError = err
        let started = Date()
        try p.run()
        while p.isRunning && Date().timeIntervalSince(started) < timeout { usleep(50_000) }
        if p.isRunning {
            p.terminate()
            usleep(500_000)
            if p.isRunning { kill(p.processIdentifier, SIGKILL) }
        }
        p.waitUntilExit()
        try? out.close(); try? err.close()
        let seconds = Date().timeIntervalSince(started)
        return Rendered(dom: (try? String(contentsOf: outURL, encoding: .utf8)) ?? "", log: (try? String(contentsOf: errURL, encoding: .utf8)) ?? "",
                        code: seconds >= timeout ? -1 : p.terminationStatus, seconds: seconds)
    }

    func testEveryPageRendersInChromiumWithMarksAndNoConsoleMessage() throws {
        guard let chromium = Self.chromium else {
            XCTFail("chromium is not installed: the HTML page tests render in headless Chromium; run `make test-deps` as root (it installs Debian's chromium) or `apt-get install chromium`, or set CHROMIUM to its path")
            return
        }
        let expectedCharts: [String: Set<String>] = [
            "run": ["breakdown", "timeline", "memory", "walltime", "cost"],
            "sweep": ["pareto", "topology-time", "topology-cost"],
            "search": ["pareto", "topology-time", "topology-cost"],
            "compare": ["pareto", "topology-time", "topology-cost"],
        ]
        for page in try HTMLPages.all() {
            let r = try Self.render(page.path, chromium: chromium)
            XCTAssertNotEqual(r.code, -1, "\(page.kind): chromium did not finish in time")
            XCTAssertEqual(r.code, 0, "\(page.kind): chromium exited \(r.code): \(r.log.suffix(2000))")
            XCTAssertLessThan(r.seconds, 30, "\(page.kind): rendering took \(r.seconds) s")
            // Any console line is a failure: the page logs nothing when all is well.
            let console = r.log.split(separator: "\n").filter { $0.contains(":CONSOLE") }
            XCTAssertTrue(console.isEmpty, "\(page.kind): console messages:\n" + console.joined(separator: "\n"))
            XCTAssertTrue(r.dom.contains("data-check=\"ok\""), "\(page.kind): the page's check did not pass: "
                          + (r.dom.range(of: "data-check=\"[^\"]*\"", options: .regularExpression).map { String(r.dom[$0]) } ?? "no body"))
            let charts = HTMLPages.charts(r.dom)
            XCTAssertTrue(expectedCharts[page.kind]!.isSubset(of: Set(charts.map(\.name))),
                          "\(page.kind): charts \(charts.map(\.name)), expected at least \(expectedCharts[page.kind]!.sorted())")
            for c in charts {
                XCTAssertGreaterThan(c.marks, 0, "\(page.kind): chart \(c.name) has no rect, circle or path")
                XCTAssertEqual(c.scriptMarks, c.marks, "\(page.kind): chart \(c.name): the page's script counted \(c.scriptMarks.map(String.init) ?? "nothing")")
            }
        }
    }
}
