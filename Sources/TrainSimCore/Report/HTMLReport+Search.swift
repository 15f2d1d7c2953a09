import Foundation

extension HTMLReport {
    /// The page of a plan search: its best plans and its Pareto front (the plans the search
    /// reports in full), drawn time against cost, per topology, and as a table. Keys follow the
    /// search's `--format json` output (`best.0.stepTimeSeconds`, `pareto.2.cost.total`).
    public static func search(_ report: SearchReport) -> String {
        let json = report.json()
        var entries: [PlanEntry] = []
        var ids: Set<Int> = []
        for (list, ids0, key) in [(json["best"], report.bestIDs, "best"), (json["pareto"], report.frontIDs, "pareto")] {
            guard case let .array(items)? = list else { continue }
            for (k, item) in items.enumerated() where k < ids0.count && ids.insert(ids0[k]).inserted {
                var entry = PlanEntry(label: "", view: ReportView(item, prefix: "\(key).\(k)"), ok: item.value(at: ["memory", "fits"]) != .bool(false))
                entry.label = "plan \(ids0[k])"
                entries.append(entry)
            }
        }
        let name = json["name"].map(SweepPoint.text) ?? "search"
        var page = HTMLPage(title: "trainsim search: \(name)",
                            subtitle: "best by \(report.search.objective.rawValue) among \(Fmt.grouped(Double(report.search.candidates.count))) candidate plans")
        page.section("Summary", id: "headline", planFigures(entries, counts: [("candidates", Fmt.grouped(Double(report.search.candidates.count))),
                                                                              ("best listed", String(report.best.count)), ("on the Pareto front", String(report.front.count))]))
        plansSections(&page, entries, what: "plans (the search's best and its Pareto front; the search keeps no other plan's report)")
        if !report.search.unbuildable.isEmpty {
            page.section("Skipped", id: "skipped", "<ul>" + report.search.unbuildable.map { "<li>\(HTMLPage.esc($0))</li>" }.joined() + "</ul>")
        }
        return page.render()
    }
}
