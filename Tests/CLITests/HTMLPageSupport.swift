import Foundation
import XCTest

/// The four kinds of `--html` page (run, sweep, search, compare), each written with the
/// `--format json` output of the same command, once per test process.
enum HTMLPages {
    struct Page {
        var kind: String
        var html: String
        var path: String
        /// The command's `--format json` output, parsed (a sweep's JSON lines as a list).
        var json: Any
        var textOutput: String
    }

    nonisolated(unsafe) private static var cache: [Page]?

    static func all() throws -> [Page] {
        if let cache { return cache }
        let dir = CLI.tempDir()
        let sweep = dir.appendingPathComponent("sweep.json").path
        // A small sweep over two topologies and tp, with points that do not fit.
        try """
        {"name": "html-sweep", "model": "llama3-70b",
         "training": {"tokens": 1.5e13, "sequenceLength": 8192, "globalBatchSequences": 512},
         "cluster": {"topology": "h800-ib", "devices": 256}, "parallelism": {"pp": 4, "zero": 1},
         "sweep": {"cluster.topology": ["h800-ib", "h800-hpn-dualplane"], "parallelism.tp": [1, 2, 4, 8]}}
        """.write(toFile: sweep, atomically: true, encoding: .utf8)
        // A small search over two topologies (well under a second).
        let search = dir.appendingPathComponent("search.json").path
        try """
        {"name": "html-search", "model": "llama3-8b",
         "training": {"tokens": 1e12, "sequenceLength": 8192, "globalBatchSequences": 512, "microBatchSequences": 1, "recompute": "selective"},
         "cluster": {"topology": "h100-ib", "devices": 64}, "parallelism": {"tp": 1},
         "search": {"objective": "time", "top": 5, "space": {"parallelism.tp": [1, 2, 4], "parallelism.pp": [1, 2], "parallelism.zero": [1, 3],
           "training.recompute": ["selective", "full"], "parallelism.schedule": ["1f1b"], "cluster.topology": ["h100-ib", "h100-roce"]}}}
        """.write(toFile: search, atomically: true, encoding: .utf8)
        let commands: [(String, [String])] = [
            ("run", ["run", "Experiments/deepseek-v3-h800-2048.json"]),
            ("sweep", ["sweep", sweep]),
            ("search", ["search", search]),
            ("compare", ["compare", "Experiments/sweep-llama3-70b-h800.json", "Experiments/quickstart-llama3-8b-a100.json"]),
        ]
        var pages: [Page] = []
        for (kind, args) in commands {
            let html = dir.appendingPathComponent("\(kind).html").path, json = dir.appendingPathComponent("\(kind).jsonout").path
            let r = try CLI.trainsim(args + ["--format", "json", "--output", json, "--html", html], cwd: CLI.packageRoot)
            XCTAssertTrue([0, 1].contains(r.code), "\(kind): \(r.stderr)")
            let text = try CLI.trainsim(args, cwd: CLI.packageRoot).stdout
            let data = try Data(contentsOf: URL(fileURLWithPath: json))
            let parsed: Any = kind == "sweep"
                ? try String(decoding: data, as: UTF8.self).split(separator: "\n").map { try JSONSerialization.jsonObject(with: Data($0.utf8)) }
                : try JSONSerialization.jsonObject(with: data)
            pages.append(Page(kind: kind, html: try String(contentsOfFile: html, encoding: .utf8), path: html, json: parsed, textOutput: text))
        }
        cache = pages
        return pages
    }

    /// Every `data-key="K" data-value="V"` pair of a page, in order.
    static func keyedNumbers(_ html: String) -> [(key: String, value: String, text: String)] {
        let re = try! NSRegularExpression(pattern: #"data-key="([^"]*)" data-value="([^"]*)">([^<]*)<"#)
        let ns = html as NSString
        return re.matches(in: html, range: NSRange(location: 0, length: ns.length)).map {
            (ns.substring(with: $0.range(at: 1)), ns.substring(with: $0.range(at: 2)), ns.substring(with: $0.range(at: 3)))
        }
    }

    /// The JSON value at a dotted path; numeric parts index lists.
    static func lookup(_ json: Any, _ path: String) -> Any? {
        var v: Any? = json
        for part in path.split(separator: ".").map(String.init) {
            if let list = v as? [Any], let i = Int(part) { v = i < list.count ? list[i] : nil } else { v = (v as? [String: Any])?[part] }
        }
        return v
    }

    /// Each chart of a page (`<figure class="chart" data-chart=NAME ...>`) with its rect, circle and
    /// path elements counted, and the `data-marks` the page's script wrote (nil before it ran).
    static func charts(_ dom: String) -> [(name: String, marks: Int, scriptMarks: Int?)] {
        var out: [(String, Int, Int?)] = []
        for piece in dom.components(separatedBy: "<figure class=\"chart\"").dropFirst() {
            let body = piece.components(separatedBy: "</figure>")[0]
            let open = body.components(separatedBy: ">")[0]
            func attr(_ name: String) -> String? {
                guard let r = open.range(of: "\(name)=\"") else { return nil }
                return String(open[r.upperBound...].prefix { $0 != "\"" })
            }
            let marks = ["<rect", "<circle", "<path"].map { body.components(separatedBy: $0).count - 1 }.reduce(0, +)
            out.append((attr("data-chart") ?? "?", marks, attr("data-marks").flatMap { Int($0) }))
        }
        return out
    }
}
