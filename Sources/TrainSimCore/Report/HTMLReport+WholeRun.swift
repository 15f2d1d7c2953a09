import Foundation

extension HTMLReport {
    /// The whole run: days ideal and expected, where the wall time goes, the cost split, and the
    /// Monte Carlo spread when the report has one (`wholeRun` section); the ideal run otherwise.
    static func wholeRun(_ r: ReportView) -> String {
        let cur = r.string("wholeRun.cost.currency").isEmpty ? r.string("cost.currency") : r.string("wholeRun.cost.currency")
        let money: (Double) -> String = { Fmt.money($0, cur) }
        guard r.double("wholeRun.expectedDays") != nil else {
            var h = "<div class=\"figs\">"
            h += HTMLPage.figure("training days", r.num("trainingDays", days), note: "no failures modelled")
            h += HTMLPage.figure("device-hours", r.num("deviceHours") { Fmt.num($0) })
            h += HTMLPage.figure("energy", r.num("energyMWh", days) + " MWh")
            h += HTMLPage.figure("cost", r.money("cost.total"))
            h += "</div>"
            let bar = SVGChart.Bar(label: "cost", segments: [
                SVGChart.Segment(category: "#4e79a7", value: r.double("cost.compute") ?? 0, title: "devices: " + money(r.double("cost.compute") ?? 0)),
                SVGChart.Segment(category: "#edc948", value: r.double("cost.energy") ?? 0, title: "energy: " + money(r.double("cost.energy") ?? 0)),
            ], end: money(r.double("cost.total") ?? 0))
            h += SVGChart.figure(name: "cost", caption: "Cost of the run", svg: SVGChart.bars([bar], format: money),
                                 legend: [("devices", "#4e79a7"), ("energy", "#edc948")])
            return h
        }
        var h = "<div class=\"figs\">"
        h += HTMLPage.figure("ideal days", r.num("wholeRun.idealDays", days))
        h += HTMLPage.figure("expected days", r.num("wholeRun.expectedDays", days), note: "with failures, restarts, checkpoints")
        h += HTMLPage.figure("goodput", r.num("wholeRun.goodput", Fmt.pct))
        h += HTMLPage.figure("expected failures", r.num("wholeRun.failures.expected") { Fmt.num($0) },
                             note: "job MTBF " + r.num("wholeRun.failures.jobMTBFHours") { Fmt.num($0) } + " h")
        h += HTMLPage.figure("checkpoint every", r.num("wholeRun.checkpoint.intervalMinutes") { Fmt.num($0) } + " min",
                             note: r.num("wholeRun.checkpoint.writeSeconds") { Fmt.num($0) } + " s to write")
        // `wholeRun.cost.ideal` keeps the checkpoints and their storage: "without failures", as the text
        // report says, not "ideal", which the headline and "ideal days" use for the step's run alone.
        h += HTMLPage.figure("cost", r.num("wholeRun.cost.total", money), note: "without failures " + r.num("wholeRun.cost.ideal", money))
        if r.double("wholeRun.monteCarlo.p50Days") != nil {
            h += HTMLPage.figure("days P50 / P90 / P99", r.num("wholeRun.monteCarlo.p50Days", days) + " / " + r.num("wholeRun.monteCarlo.p90Days", days)
                                 + " / " + r.num("wholeRun.monteCarlo.p99Days", days), note: r.num("wholeRun.monteCarlo.trials") { Fmt.num($0) } + " trials")
        }
        h += "</div>"
        // Where the wall time goes, in hours.
        let hours: [(String, String, Double)] = [
            ("training (ideal)", "#4e79a7", (r.double("wholeRun.idealDays") ?? 0) * 24),
            ("checkpoints", "#76b7b2", r.double("wholeRun.failures.checkpointHours") ?? 0),
            ("lost work", "#e15759", r.double("wholeRun.failures.lostWorkHours") ?? 0),
            ("restarts", "#f28e2b", r.double("wholeRun.failures.restartHours") ?? 0),
            ("data stalls", "#edc948", r.double("wholeRun.input.dataStallHours") ?? 0),
        ]
        let hoursText: (Double) -> String = { Fmt.num($0) + " h" }
        let wall = SVGChart.Bar(label: "wall time", segments: hours.map { SVGChart.Segment(category: $0.1, value: $0.2, title: "\($0.0): \(hoursText($0.2))") },
                                end: days((r.double("wholeRun.expectedDays") ?? 0)) + " days expected")
        h += SVGChart.figure(name: "walltime", caption: "Where the run's wall time goes (hours)", svg: SVGChart.bars([wall], format: hoursText),
                             legend: hours.map { ($0.0, $0.1) },
                             note: "Failures strike as a Poisson process; each loses the work since the last checkpoint and costs a restart "
                                + "(see wholeRun.sources in the table below).")
        let parts: [(String, String, String)] = [("devices", "#4e79a7", "compute"), ("energy", "#edc948", "energy"), ("storage", "#9c755f", "storage")]
        let costRows = [
            SVGChart.Bar(label: "expected", segments: parts.map { p in
                SVGChart.Segment(category: p.1, value: r.double("wholeRun.cost.\(p.2)") ?? 0, title: "\(p.0): " + money(r.double("wholeRun.cost.\(p.2)") ?? 0))
            }, end: money(r.double("wholeRun.cost.total") ?? 0)),
            SVGChart.Bar(label: "without failures", segments: [SVGChart.Segment(category: "#bab0ac", value: r.double("wholeRun.cost.ideal") ?? 0, title: "without failures")],
                         end: money(r.double("wholeRun.cost.ideal") ?? 0)),
        ]
        h += SVGChart.figure(name: "cost", caption: "Cost of the run (\(cur))", svg: SVGChart.bars(costRows, format: money),
                             legend: parts.map { ($0.0, $0.1) } + [("without failures", "#bab0ac")])
        h += HTMLPage.table(["cost", cur], parts.map { [$0.0, r.num("wholeRun.cost.\($0.2)", money)] } + [["total", r.num("wholeRun.cost.total", money)]], numeric: [1])
        return h
    }

    /// Link tiers: busy share of the step and exposed communication, per tier (nil when the report has none).
    static func linkTiers(_ r: ReportView) -> String? {
        guard case let .object(tiers)? = r.value("linkTiers"), !tiers.isEmpty else { return nil }
        let rows = tiers.map { t, _ in
            SVGChart.Bar(label: t, segments: [SVGChart.Segment(category: "#4e79a7", value: r.double("linkTiers.\(t).utilization") ?? 0,
                                                               title: "busy " + Fmt.pct(r.double("linkTiers.\(t).utilization") ?? 0))],
                         end: Fmt.pct(r.double("linkTiers.\(t).utilization") ?? 0))
        }
        var h = SVGChart.figure(name: "linktiers", caption: "Network tiers: share of the step each is busy (reported stage)",
                                svg: SVGChart.bars(rows, format: Fmt.pct),
                                note: "Busy: seconds of traffic at full rate (analytical network) or seconds with a collective in flight (flow network), over the step.")
        h += HTMLPage.table(["tier", "busy seconds", "utilisation", "exposed comm per step"], tiers.map { t, _ in
            [HTMLPage.esc(t), r.num("linkTiers.\(t).busySeconds", Fmt.secs), r.num("linkTiers.\(t).utilization", Fmt.pct),
             r.num("exposedCommunicationByTier.\(t)", missing: "0 s", Fmt.secs)]
        }, numeric: [1, 2, 3])
        return h
    }
}
