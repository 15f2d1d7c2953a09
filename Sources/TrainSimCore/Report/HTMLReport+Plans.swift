import Foundation

/// A plan on a sweep, search or compare page: its report (keyed by where it sits in the
/// command's JSON output) and whether it works.
struct PlanEntry {
    var label: String
    var view: ReportView
    /// Simulated and fits in memory.
    var ok: Bool
    /// Read once: a sweep page sorts and bins up to 100,000 of these.
    let seconds: Double?, costTotal: Double?, costUSD: Double?
    let currency: String, topology: String

    init(label: String, view: ReportView, ok: Bool) {
        self.label = label; self.view = view; self.ok = ok
        seconds = view.double("stepTimeSeconds")
        costTotal = view.double("cost.total")
        costUSD = view.double("cost.totalUSD")
        currency = view.string("cost.currency")
        topology = view.string("plan.topology")
    }

    /// The cost a page compares plans on (see `HTMLReport.costKey`).
    func cost(_ key: String) -> Double? { key == "cost.total" ? costTotal : costUSD }
    var planText: String {
        ["tp", "pp", "vpp", "dp", "ep", "cp", "zero"].compactMap { k in view.double("plan." + k).map { "\(k) \(JSONWriter.number($0))" } }.joined(separator: " ")
            + " mb " + view.string("plan.microBatches") + " " + view.string("plan.schedule") + " " + view.string("plan.recompute")
    }
}

extension HTMLReport {
    /// Most marks a scatter draws one per plan; past it, plans in one cell of a grid share a mark.
    static let scatterMarkLimit = 2000
    static let grid = (x: 240, y: 120)

    /// The cost key the plans compare on: the report's currency when they share one, else USD.
    static func costKey(_ entries: [PlanEntry]) -> (path: String, currency: String) {
        let currencies = Set(entries.map(\.currency))
        return currencies.count == 1 ? ("cost.total", currencies.first!) : ("cost.totalUSD", "USD")
    }

    /// Fastest and cheapest plans that work, as headline figures.
    static func planFigures(_ entries: [PlanEntry], counts: [(String, String)]) -> String {
        let ok = entries.filter(\.ok)
        let cost = costKey(entries)
        var h = "<div class=\"figs\">"
        for (label, value) in counts { h += HTMLPage.figure(label, HTMLPage.esc(value)) }
        if let fast = ok.min(by: { ($0.seconds ?? .infinity) < ($1.seconds ?? .infinity) }) {
            h += HTMLPage.figure("fastest step", fast.view.num("stepTimeSeconds", Fmt.secs), note: HTMLPage.esc(fast.label))
        }
        if let cheap = ok.min(by: { ($0.cost(cost.path) ?? .infinity) < ($1.cost(cost.path) ?? .infinity) }) {
            h += HTMLPage.figure("lowest cost", cheap.view.num(cost.path) { Fmt.money($0, cost.currency) }, note: HTMLPage.esc(cheap.label))
        }
        return h + "</div>"
    }

    /// The time-cost Pareto front of the plans that work (indices into `entries`, fastest first).
    static func front(_ entries: [PlanEntry]) -> [Int] {
        let key = costKey(entries).path
        let scored = entries.indices.compactMap { i -> ScoredPlan? in
            guard entries[i].ok, let t = entries[i].seconds, let c = entries[i].cost(key) else { return nil }
            return ScoredPlan(id: i, seconds: t, cost: c)
        }
        return Pareto.front(scored).map(\.id)
    }

    /// Step time against cost, every plan with a step time and a cost; the Pareto front marked and joined.
    static func scatter(_ entries: [PlanEntry], front: [Int], what: String) -> String {
        let cost = costKey(entries)
        let frontSet = Set(front)
        let drawn = entries.indices.filter { entries[$0].seconds != nil && entries[$0].cost(cost.path) != nil }
        guard !drawn.isEmpty else { return "<p>No plan has a step time and a cost to draw.</p>" }
        func point(_ i: Int, radius: Double = 3.5, count: Int = 1) -> SVGChart.Point {
            let e = entries[i], t = e.seconds!, c = e.cost(cost.path)!
            let color = frontSet.contains(i) ? "#e15759" : e.ok ? "#4e79a7" : "#bab0ac"
            let title = count > 1 ? "\(count) plans, e.g. \(e.label)" : "\(e.label): \(Fmt.secs(t)), \(Fmt.money(c, cost.currency))" + (e.ok ? "" : " (out of memory)")
            return SVGChart.Point(x: t, y: c, color: color, radius: radius, title: title)
        }
        var points: [SVGChart.Point] = []
        var note = "\(drawn.count) \(what) with a step time and a cost; red: the time-cost Pareto front (\(front.count)), no other plan is both faster and cheaper; "
            + "blue: plans that fit; grey: out of memory."
        let others = drawn.filter { !frontSet.contains($0) }
        if drawn.count <= scatterMarkLimit {
            points = others.map { point($0) }
        } else {
            // Bin the others on a grid over the drawn range (log where the chart is); the front stays exact.
            let xs = drawn.map { entries[$0].seconds! }, ys = drawn.map { entries[$0].cost(cost.path)! }
            let (xlo, xhi, ylo, yhi) = (xs.min()!, xs.max()!, ys.min()!, ys.max()!)
            func cell(_ v: Double, _ lo: Double, _ hi: Double, _ n: Int) -> Int {
                let log = lo > 0 && hi / lo > 30
                let t = log ? (Foundation.log(v) - Foundation.log(lo)) / max(1e-300, Foundation.log(hi) - Foundation.log(lo)) : (v - lo) / max(1e-300, hi - lo)
                return min(n - 1, max(0, Int(t * Double(n))))
            }
            var cells: [Int: (first: Int, count: Int, ok: Bool)] = [:]
            for i in others {
                let k = cell(entries[i].seconds!, xlo, xhi, grid.x) * 100_000
                    + cell(entries[i].cost(cost.path)!, ylo, yhi, grid.y) * 2 + (entries[i].ok ? 1 : 0)
                if let c = cells[k] { cells[k] = (c.first, c.count + 1, c.ok) } else { cells[k] = (i, 1, entries[i].ok) }
            }
            points = cells.values.sorted { $0.first < $1.first }.map { c in
                point(c.first, radius: min(9, 2.5 + log2(Double(c.count))), count: c.count)
            }
            note += " \(others.count) plans off the front are binned on a \(grid.x) x \(grid.y) grid into \(points.count) marks "
                + "(a mark stands for the plans in its cell, drawn at the first; its size grows with their number); the front's plans are drawn one by one."
        }
        points += front.map { point($0, radius: 4.5) }
        let line = front.map { (entries[$0].seconds!, entries[$0].cost(cost.path)!) }
        let svg = SVGChart.scatter(points, line: line, xLabel: "step time", yLabel: "cost of the run (\(cost.currency))",
                                   xFormat: Fmt.secs, yFormat: { Fmt.money($0, cost.currency) })
        return SVGChart.figure(name: "pareto", caption: "Step time against cost, with the Pareto front", svg: svg,
                               legend: [("Pareto front", "#e15759"), ("fits in memory", "#4e79a7"), ("out of memory", "#bab0ac")], note: note)
    }

    /// Per topology: the fastest step and the lowest cost among its plans that work.
    static func topologyBars(_ entries: [PlanEntry]) -> String {
        let cost = costKey(entries)
        var order: [String] = []
        var best: [String: (t: Int, c: Int)] = [:]
        for (i, e) in entries.enumerated() where e.ok {
            guard let t = e.seconds, let c = e.cost(cost.path) else { continue }
            let k = e.topology
            if let b = best[k] {
                best[k] = (t < entries[b.t].seconds! ? i : b.t, c < entries[b.c].cost(cost.path)! ? i : b.c)
            } else {
                order.append(k); best[k] = (i, i)
            }
        }
        guard !order.isEmpty else { return "<p>No plan works on any topology.</p>" }
        let timeRows = order.map { k in
            let e = entries[best[k]!.t]
            return SVGChart.Bar(label: k, segments: [SVGChart.Segment(category: "#4e79a7", value: e.seconds!, title: e.label)], end: Fmt.secs(e.seconds!))
        }
        let costRows = order.map { k in
            let e = entries[best[k]!.c], c = e.cost(cost.path)!
            return SVGChart.Bar(label: k, segments: [SVGChart.Segment(category: "#59a14f", value: c, title: e.label)], end: Fmt.money(c, cost.currency))
        }
        var h = SVGChart.figure(name: "topology-time", caption: "Fastest step per topology", svg: SVGChart.bars(timeRows, format: Fmt.secs))
        h += SVGChart.figure(name: "topology-cost", caption: "Lowest cost per topology (\(cost.currency))",
                             svg: SVGChart.bars(costRows, format: { Fmt.money($0, cost.currency) }))
        h += HTMLPage.table(["topology", "fastest step", "its plan", "lowest cost", "its plan"], order.map { k in
            let t = entries[best[k]!.t], c = entries[best[k]!.c]
            return [HTMLPage.esc(k), t.view.num("stepTimeSeconds", Fmt.secs), HTMLPage.esc(t.label),
                    c.view.num(cost.path) { Fmt.money($0, cost.currency) }, HTMLPage.esc(c.label)]
        }, numeric: [1, 3])
        return h
    }

    /// The best plans that work, fastest first (the front's rows highlighted).
    static func bestTable(_ entries: [PlanEntry], front: [Int], count: Int = 10) -> String {
        let frontSet = Set(front)
        let order = entries.indices.filter { entries[$0].ok && entries[$0].seconds != nil }.sorted { entries[$0].seconds! < entries[$1].seconds! }
        let shown = Array(order.prefix(count))
        guard !shown.isEmpty else { return "<p>No plan works.</p>" }
        let rows = shown.map { i -> [String] in
            let e = entries[i], v = e.view
            return [HTMLPage.esc(e.label), HTMLPage.esc(e.topology), v.num("plan.devices") { JSONWriter.number($0) }, HTMLPage.esc(e.planText),
                    v.num("stepTimeSeconds", Fmt.secs), v.num("mfu", Fmt.pct), v.num("trainingDays", days),
                    v.num("wholeRun.expectedDays", days), v.money("cost.total"), v.num("memory.peakGiBPerDevice", gib),
                    frontSet.contains(i) ? "yes" : ""]
        }
        return HTMLPage.table(["plan", "topology", "devices", "parallelism", "step", "MFU", "days", "with failures", "cost", "memory GiB", "Pareto"],
                              rows, numeric: [2, 4, 5, 6, 7, 8, 9], rowClasses: shown.map { frontSet.contains($0) ? "front" : "" })
            + "<p class=\"note\">The \(shown.count) fastest of \(order.count) plans that work; highlighted rows are on the time-cost Pareto front.</p>"
    }

    /// The charts and tables every plans page shows.
    static func plansSections(_ page: inout HTMLPage, _ entries: [PlanEntry], what: String) {
        let f = front(entries)
        page.section("Time against cost", id: "pareto", scatter(entries, front: f, what: what))
        page.section("Per topology", id: "topologies", topologyBars(entries))
        page.section("Best plans", id: "best", bestTable(entries, front: f))
        // Every figure of each plan, folded away: all of them on small pages, the fastest ten on big ones.
        let listed = entries.count <= 50 ? Array(entries.indices)
            : Array(entries.indices.filter { entries[$0].ok && entries[$0].seconds != nil }.sorted { entries[$0].seconds! < entries[$1].seconds! }.prefix(10))
        page.section("All figures", id: "all", (entries.count > 50 ? "<p class=\"note\">The \(listed.count) fastest plans that work; every plan is in the JSON output.</p>" : "")
            + listed.map { HTMLPage.keyValueDetails(entries[$0].view.json, summary: (entries[$0].view.prefix.isEmpty ? "" : entries[$0].view.prefix + ": ") + entries[$0].label) }.joined())
    }
}
