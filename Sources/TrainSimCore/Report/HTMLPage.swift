import Foundation

/// One self-contained HTML page: the shell (styles, a content security policy that forbids any
/// network load), escaping, and the figures every page shows. Charts are inline SVG drawn here
/// (SVGChart); the page's only script checks, in the browser, that every chart drew marks and
/// writes what it found into the DOM (`data-check` on the body, `data-marks` on each chart).
///
/// Every number taken from a report carries `data-key` (its path in the `--format json` output
/// of the same command, list items by position, e.g. `best.0.stepTimeSeconds`) and `data-value`
/// (the number as that JSON writes it), so a test can compare the page with the JSON.
struct HTMLPage {
    var title: String
    var subtitle: String = ""
    private(set) var body = ""

    init(title: String, subtitle: String = "") { self.title = title; self.subtitle = subtitle }

    mutating func add(_ html: String) { body += html }

    mutating func section(_ heading: String, id: String, _ html: String) {
        body += "<section id=\"\(id)\"><h2>\(Self.esc(heading))</h2>\(html)</section>\n"
    }

    func render() -> String {
        var h = "<!doctype html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
        // Nothing may load from anywhere: no scripts, fonts, images or styles but those inline.
        h += "<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; style-src 'unsafe-inline'; script-src 'unsafe-inline'; img-src data:\">"
        h += "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">"
        h += "<title>\(Self.esc(title))</title><style>\(Self.css)</style></head>\n<body data-check=\"pending\">\n"
        h += "<header><h1>\(Self.esc(title))</h1>"
        if !subtitle.isEmpty { h += "<p class=\"sub\">\(Self.esc(subtitle))</p>" }
        h += "</header>\n<main>\n\(body)</main>\n<footer>written by trainsim; "
        h += "self-contained: no network access; numbers as in <code>--format json</code></footer>\n"
        h += "<script>\(Self.checkScript)</script>\n</body></html>\n"
        return h
    }

    static func esc(_ s: String) -> String {
        var r = ""
        r.reserveCapacity(s.utf8.count)
        for ch in s {
            switch ch {
            case "&": r += "&amp;"
            case "<": r += "&lt;"
            case ">": r += "&gt;"
            case "\"": r += "&quot;"
            case "'": r += "&#39;"
            default: r.append(ch)
            }
        }
        return r
    }

    /// A number from a report: `text` as the other formats show it, `value` as the JSON has it.
    static func number(_ key: String?, _ value: Double, _ text: String) -> String {
        let k = key.map { " data-key=\"\(esc($0))\"" } ?? ""
        return "<span class=\"num\"\(k) data-value=\"\(JSONWriter.number(value))\">\(esc(text))</span>"
    }

    /// A headline figure: label, the number, and a line under it.
    static func figure(_ label: String, _ number: String, note: String = "", bad: Bool = false) -> String {
        "<div class=\"fig\(bad ? " bad" : "")\"><div class=\"lab\">\(esc(label))</div><div class=\"val\">\(number)</div>"
            + (note.isEmpty ? "" : "<div class=\"note\">\(note)</div>") + "</div>"
    }

    /// A table; cells are HTML already (escape text with `esc`).
    static func table(_ header: [String], _ rows: [[String]], numeric: Set<Int> = [], rowClasses: [String] = []) -> String {
        var h = "<div class=\"scroll\"><table><thead><tr>"
        for (i, c) in header.enumerated() { h += "<th\(numeric.contains(i) ? " class=\"r\"" : "")>\(esc(c))</th>" }
        h += "</tr></thead><tbody>"
        for (k, r) in rows.enumerated() {
            let cls = k < rowClasses.count && !rowClasses[k].isEmpty ? " class=\"\(rowClasses[k])\"" : ""
            h += "<tr\(cls)>"
            for (i, c) in r.enumerated() { h += "<td\(numeric.contains(i) ? " class=\"r\"" : "")>\(c)</td>" }
            h += "</tr>"
        }
        return h + "</tbody></table></div>"
    }

    /// Every scalar of a report as key/value rows, folded away (the old page's table).
    static func keyValueDetails(_ report: JSONValue, summary: String = "every figure of the report (key/value)") -> String {
        let rows = flattenReport(report).map { ["<code>\(esc($0.0))</code>", esc($0.1)] }
        return "<details><summary>\(esc(summary)) — \(rows.count) rows</summary>" + table(["key", "value"], rows, numeric: [1]) + "</details>"
    }

    /// Category colours (Tableau 10), fixed per name so every chart agrees; a "#rrggbb" is itself.
    static func color(_ category: String) -> String {
        if category.hasPrefix("#") { return category }
        switch category {
        case "compute": return "#4e79a7"
        case "bubble": return "#bab0ac"
        case "tp": return "#f28e2b"
        case "pp": return "#e15759"
        case "dp": return "#76b7b2"
        case "ep": return "#59a14f"
        case "cp": return "#edc948"
        case "optimizer": return "#b07aa1"
        default:
            let palette = ["#4e79a7", "#f28e2b", "#e15759", "#76b7b2", "#59a14f", "#edc948", "#b07aa1", "#ff9da7", "#9c755f", "#bab0ac"]
            return palette[category.unicodeScalars.reduce(0) { ($0 * 31 + Int($1.value)) % 1_000_003 } % palette.count]
        }
    }

    static let css = """
    body{font-family:system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;margin:0;color:#222;background:#fafafa}
    header{padding:1em 2em;background:#fff;border-bottom:1px solid #ddd}h1{margin:0;font-size:1.5em}
    .sub{margin:.3em 0 0;color:#555}main{padding:0 2em 2em;max-width:1400px}
    section{background:#fff;border:1px solid #e3e3e3;border-radius:6px;margin:1.2em 0;padding:.6em 1.2em 1em}
    h2{font-size:1.15em;margin:.4em 0 .6em}footer{padding:1em 2em;color:#777;font-size:.85em}
    .figs{display:flex;flex-wrap:wrap;gap:.8em}.fig{border:1px solid #e3e3e3;border-radius:6px;padding:.5em .9em;min-width:9em;background:#fcfcfc}
    .fig .lab{font-size:.8em;color:#666}.fig .val{font-size:1.35em;font-weight:600}.fig .note{font-size:.78em;color:#777}
    .fig.bad{border-color:#e15759;background:#fdf0f0}.fig.bad .val{color:#b02a2c}
    .scroll{overflow-x:auto}table{border-collapse:collapse;font-size:.88em}
    th,td{border-bottom:1px solid #e6e6e6;padding:3px 9px;text-align:left;white-space:nowrap}th{background:#f3f3f3}
    td.r,th.r{text-align:right;font-variant-numeric:tabular-nums}tr.front td{background:#fff6e5}tr.oom td{color:#999}
    figure.chart{margin:.6em 0 1.2em}figure.chart figcaption{font-weight:600;margin-bottom:.3em}
    figure.chart svg{max-width:100%;height:auto;font-size:11px}.note{color:#666;font-size:.85em}
    svg text{fill:#333}svg .axis line{stroke:#999}svg .axis line.grid{stroke:#e8e8e8}
    .legend span{display:inline-block;margin-right:1em;font-size:.85em}.legend i{display:inline-block;width:.8em;height:.8em;margin-right:.3em;vertical-align:-1px}
    details summary{cursor:pointer;color:#444}code{font-size:.95em}
    """

    /// Counts each chart's marks in the browser and records the result in the DOM; a chart with
    /// none, or any script error, is a console error.
    static let checkScript = """
    (function(){var bad=[];window.addEventListener('error',function(e){bad.push('error: '+e.message);});
    var charts=document.querySelectorAll('figure.chart');for(var i=0;i<charts.length;i++){var c=charts[i];
    var n=c.querySelectorAll('svg rect, svg circle, svg path').length;c.setAttribute('data-marks',String(n));
    if(n===0){bad.push('chart '+c.getAttribute('data-chart')+' drew no marks');}}
    var nums=document.querySelectorAll('[data-value]');for(var j=0;j<nums.length;j++){if(!isFinite(parseFloat(nums[j].getAttribute('data-value')))){bad.push('not a number: '+nums[j].getAttribute('data-key'));}}
    document.body.setAttribute('data-charts',String(charts.length));
    document.body.setAttribute('data-check',bad.length?('failed: '+bad.join('; ')):'ok');
    if(bad.length){console.error('trainsim page check failed: '+bad.join('; '));}})();
    """
}

/// Reads a report (or a part of one) for a page: numbers by dotted path, each rendered with the
/// text formatting of the other formats and keyed by its path in the JSON output.
struct ReportView {
    let json: JSONValue
    /// This report's path in the command's JSON output ("", "best.0", "reports.2", "17.report").
    let prefix: String

    init(_ json: JSONValue, prefix: String = "") { self.json = json; self.prefix = prefix }

    /// The value at a dotted path; a numeric part indexes a list ("stages.3.compute").
    func value(_ path: String) -> JSONValue? {
        var v: JSONValue? = json
        for part in path.split(separator: ".") {
            if case let .array(items)? = v, let i = Int(part) { v = i >= 0 && i < items.count ? items[i] : nil } else { v = v?[String(part)] }
        }
        return v
    }

    func double(_ path: String) -> Double? {
        if case let .number(d)? = value(path) { return d }
        return nil
    }

    func string(_ path: String) -> String { value(path).map(SweepPoint.text) ?? "" }

    func key(_ path: String) -> String { prefix.isEmpty ? path : prefix + "." + path }

    /// The number at `path` as `format` writes it, keyed; `missing` when the report lacks it.
    func num(_ path: String, missing: String = "–", _ format: (Double) -> String) -> String {
        guard let d = double(path) else { return missing }
        return HTMLPage.number(key(path), d, format(d))
    }

    /// The report's cost in its currency, as the text report writes it.
    func money(_ path: String) -> String {
        let cur = string("cost.currency")
        return num(path) { Fmt.money($0, cur.isEmpty ? "USD" : cur) }
    }
}
