import Foundation

extension HTMLReport {
    /// The page of a comparison: the runs drawn time against cost and per topology, the best
    /// plans, and the side-by-side table the text format prints. Keys follow compare's
    /// `--format json` output (`reports.1.stepTimeSeconds`).
    public static func compare(_ table: CompareTable) -> String {
        let entries = table.columns.enumerated().map { k, c in
            PlanEntry(label: c.label, view: ReportView(c.report, prefix: "reports.\(k)"),
                      ok: c.report.value(at: ["memory", "fits"]) != .bool(false) && c.report["stepTimeSeconds"] != nil)
        }
        var page = HTMLPage(title: "trainsim compare: " + (table.columns.count == 1 ? table.columns[0].label : "\(table.columns.count) runs"),
                            subtitle: table.columns.prefix(6).map(\.label).joined(separator: " · ") + (table.columns.count > 6 ? " · …" : ""))
        page.section("Summary", id: "headline", planFigures(entries, counts: [("runs", String(entries.count)), ("fit in memory", String(entries.filter(\.ok).count))]))
        plansSections(&page, entries, what: "runs")
        let rows = table.rows
        let body = rows.map { r in
            [HTMLPage.esc(r.metric.trimmingCharacters(in: .whitespaces))] + r.cells.enumerated().map { i, c in r.best.contains(i) ? "<b>\(HTMLPage.esc(c))</b>" : HTMLPage.esc(c) }
        }
        page.section("Side by side", id: "table", HTMLPage.table(["metric"] + table.columns.map(\.label), body, numeric: Set(1...max(1, table.columns.count)))
            + "<p class=\"note\"><b>bold</b>: best of the row, among runs that fit in memory.</p>")
        return page.render()
    }
}
