import Foundation

extension HTMLReport {
    /// The page of a sweep: time against cost with the Pareto front, per-topology bars, the
    /// fastest plans, and the points that do not work. Point i's report is line i of the sweep's
    /// `--format json` output (key `i.report`).
    public static func sweep(_ points: [SweepPoint], plan: SweepPlan) -> String {
        let entries = points.compactMap { p -> PlanEntry? in
            guard let report = p.report else { return nil }
            return PlanEntry(label: "#\(p.index) " + p.label, view: ReportView(report, prefix: "\(p.index).report"), ok: p.status == .ok)
        }
        let name = points.lazy.compactMap { $0.report?["name"].map(SweepPoint.text) }.first ?? "sweep"
        let ok = points.filter { $0.status == .ok }.count, oom = points.filter { $0.status == .outOfMemory }.count
        var page = HTMLPage(title: "trainsim sweep: \(name)",
                            subtitle: "\(points.count) points over " + plan.axes.map { "\($0.path) (\($0.values.count))" }.joined(separator: " x "))
        page.section("Summary", id: "headline", planFigures(entries, counts: [("points", Fmt.grouped(Double(points.count))), ("work", Fmt.grouped(Double(ok))),
                                                                              ("out of memory", Fmt.grouped(Double(oom))),
                                                                              ("invalid", Fmt.grouped(Double(points.count - ok - oom)))]))
        plansSections(&page, entries, what: "points")
        let failed = points.filter { $0.status == .invalid }
        if !failed.isEmpty {
            // Reasons repeat across points: each once, with how many points give it.
            var reasons: [(String, Int)] = []
            for p in failed {
                let r = p.reason ?? "invalid"
                if let k = reasons.firstIndex(where: { $0.0 == r }) { reasons[k].1 += 1 } else { reasons.append((r, 1)) }
            }
            page.section("Points that do not work", id: "invalid", HTMLPage.table(["reason", "points"], reasons.prefix(50).map { [HTMLPage.esc($0.0), String($0.1)] }, numeric: [1])
                + (reasons.count > 50 ? "<p class=\"note\">\(reasons.count - 50) more reasons; see the JSON output.</p>" : ""))
        }
        return page.render()
    }
}
