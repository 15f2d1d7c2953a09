import Foundation

/// A self-contained HTML page: one column per analysis, the step breakdown as bars.
public enum HTMLReport {
    static func esc(_ s: String) -> String {
        s.replacingOccurrences(of: "&", with: "&amp;").replacingOccurrences(of: "<", with: "&lt;").replacingOccurrences(of: ">", with: "&gt;")
    }

    public static func render(_ analyses: [Analysis]) -> String {
        var h = "<!doctype html><html><head><meta charset=\"utf-8\"><title>trainsim report</title><style>"
        h += "body{font-family:sans-serif;margin:2em}table{border-collapse:collapse}td,th{border:1px solid #ccc;padding:4px 8px;text-align:right}"
        h += "th:first-child,td:first-child{text-align:left}.bar{display:inline-block;height:12px}</style></head><body>"
        h += "<h1>trainsim report</h1><table><tr><th>metric</th>"
        for a in analyses { h += "<th>\(esc(a.experiment.name))</th>" }
        h += "</tr>"
        let rows = analyses.map { flattenReport($0.reportJSON()) }
        if let first = rows.first {
            for (i, (k, _)) in first.enumerated() {
                h += "<tr><td>\(esc(k))</td>"
                for r in rows { h += "<td>\(i < r.count ? esc(r[i].1) : "")</td>" }
                h += "</tr>"
            }
        }
        h += "</table><h2>Step breakdown</h2>"
        let colors = ["#4e79a7", "#f28e2b", "#e15759", "#76b7b2", "#59a14f", "#edc948", "#b07aa1", "#ff9da7"]
        let maxStep = analyses.map(\.step.stepSeconds).max() ?? 1
        for a in analyses {
            h += "<p>\(esc(a.experiment.name)) (\(Fmt.secs(a.step.stepSeconds)))<br>"
            for (i, (k, v)) in a.breakdownRows.enumerated() where v > 0 {
                let w = max(1, Int(600 * v / maxStep))
                h += "<span class=\"bar\" title=\"\(esc(k)): \(Fmt.secs(v))\" style=\"width:\(w)px;background:\(colors[i % colors.count])\"></span>"
            }
            h += "</p>"
        }
        h += "<p>"
        if let a = analyses.first {
            for (i, row) in a.breakdownRows.enumerated() {
                h += "<span style=\"color:\(colors[i % colors.count])\">&#9632;</span> \(esc(row.0)) "
            }
        }
        h += "</p></body></html>\n"
        return h
    }
}
