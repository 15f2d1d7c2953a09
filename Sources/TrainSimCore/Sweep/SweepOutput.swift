import Foundation

/// Sweep results as a table (text or Markdown), CSV with one row per point and stable
/// columns, or JSON lines. Rendering depends only on the points, so the output is the same
/// however the points were computed.
public enum SweepOutput {
    /// CSV columns after the index, the axes, status and reason; the same for every sweep.
    public static let metricColumns = [
        "name", "stepTimeSeconds", "tokensPerSecond", "tokensPerSecondPerDevice", "mfu", "hfu", "trainingDays",
        "deviceHours", "energyMWh", "cost.currency", "cost.total", "memory.peakGiBPerDevice", "memory.fits",
        "breakdown.compute", "breakdown.bubble", "breakdown.tp", "breakdown.pp", "breakdown.dp", "breakdown.ep",
        "breakdown.cp", "breakdown.optimizer", "plan.topology", "plan.accelerator", "plan.devices", "plan.tp",
        "plan.pp", "plan.vpp", "plan.dp", "plan.ep", "plan.cp", "plan.zero", "plan.schedule", "plan.microBatches",
        "plan.recompute", "wholeRun.expectedDays", "wholeRun.goodput", "wholeRun.cost",
    ]

    public static func render(_ points: [SweepPoint], plan: SweepPlan, format: ReportFormat) -> String {
        switch format {
        case .json: return points.map(\.jsonLine).joined()
        case .csv: return csv(points, plan: plan)
        case .text, .md: return table(points, plan: plan, markdown: format == .md)
        }
    }

    /// A report field as CSV text (empty when absent).
    static func field(_ p: SweepPoint, _ path: String) -> String {
        guard let v = p.report?.value(at: path.split(separator: ".").map(String.init)) else { return "" }
        return SweepPoint.text(v)
    }

    public static func csv(_ points: [SweepPoint], plan: SweepPlan) -> String {
        var out = (["index"] + plan.axes.map(\.path) + ["status", "reason"] + metricColumns).map(csvField).joined(separator: ",") + "\n"
        for p in points {
            var row = [String(p.index)] + p.assignment.map { SweepPoint.text($0.value) }
            row += [p.status.rawValue, p.reason ?? ""]
            row += metricColumns.map { field(p, $0) }
            out += row.map(csvField).joined(separator: ",") + "\n"
        }
        return out
    }

    public static func table(_ points: [SweepPoint], plan: SweepPlan, markdown: Bool) -> String {
        let header = ["#"] + plan.axes.map(\.shortName) + ["status", "step", "MFU", "days", "with failures", "cost", "memory GiB", "note"]
        var rows: [[String]] = []
        for p in points {
            var r = [String(p.index)] + p.assignment.map { SweepPoint.text($0.value) } + [p.status.rawValue]
            if let step = p.metric("stepTimeSeconds") {
                let cur = field(p, "cost.currency")
                r += [Fmt.secs(step), p.metric("mfu").map(Fmt.pct) ?? "", p.metric("trainingDays").map { String(format: "%.1f", $0) } ?? "",
                      p.metric("wholeRun.expectedDays").map { String(format: "%.1f", $0) } ?? "",
                      p.metric("cost.total").map { Fmt.money($0, cur) } ?? "",
                      p.metric("memory.peakGiBPerDevice").map { String(format: "%.1f", $0) } ?? ""]
            } else {
                r += ["", "", "", "", "", ""]
            }
            r.append(p.reason ?? "")
            rows.append(r)
        }
        var out = ""
        if !markdown, let first = points.first, let name = first.report?["name"] {
            out += "sweep \(SweepPoint.text(name)): \(points.count) of \(plan.count) points, "
                + "\(points.filter { $0.status == .ok }.count) work\n\n"
        }
        // Numbers right-aligned: the index, numeric axes and the metrics; words and reasons left.
        var right: Set<Int> = [0]
        for (k, axis) in plan.axes.enumerated() where axis.values.allSatisfy({ if case .number = $0 { return true }; return false }) {
            right.insert(k + 1)
        }
        let metrics = plan.axes.count + 2
        right.formUnion(metrics..<(metrics + 6))
        out += TextTable.render(header: header, rows: rows, markdown: markdown, rightAligned: right)
        if let best = best(points) {
            out += "\nfastest: #\(best.index) (\(best.label))" + (best.metric("stepTimeSeconds").map { ", " + Fmt.secs($0) + " per step" } ?? "") + "\n"
        }
        out += topologyTables(points, plan: plan, markdown: markdown)
        return out
    }

    /// With a `cluster.topology` axis: for each setting of the other axes, the topologies side by
    /// side on that workload (points that cannot work are left out; the table above says why).
    static func topologyTables(_ points: [SweepPoint], plan: SweepPlan, markdown: Bool) -> String {
        guard let t = plan.axes.firstIndex(where: { $0.path == "cluster.topology" }) else { return "" }
        var groups: [(label: String, columns: [CompareTable.Column])] = []
        for p in points {
            guard let report = p.report else { continue }
            var rest = p.assignment
            let topology = SweepPoint.text(rest.remove(at: t).value)
            let label = rest.map { a in (a.path.split(separator: ".").last.map(String.init) ?? a.path) + "=" + SweepPoint.text(a.value) }
                .joined(separator: ", ")
            if groups.last?.label != label { groups.append((label, [])) }
            groups[groups.count - 1].columns.append(CompareTable.Column(label: topology, report: report))
        }
        var out = ""
        for g in groups where g.columns.count > 1 {
            let title = "topologies side by side" + (g.label.isEmpty ? "" : " (\(g.label))")
            out += markdown ? "\n**\(title)**\n\n" : "\n\(title)\n"
            out += CompareTable(columns: g.columns).render(markdown ? .md : .text)
        }
        return out
    }

    /// The working point with the shortest step (lowest index on ties).
    public static func best(_ points: [SweepPoint]) -> SweepPoint? {
        var best: (SweepPoint, Double)?
        for p in points where p.status == .ok {
            guard let t = p.metric("stepTimeSeconds") else { continue }
            if best == nil || t < best!.1 { best = (p, t) }
        }
        return best?.0
    }
}

/// Aligned plain-text or Markdown tables.
public enum TextTable {
    public static func render(header: [String], rows: [[String]], markdown: Bool, rightAligned: Set<Int> = []) -> String {
        if markdown {
            func esc(_ s: String) -> String { s.replacingOccurrences(of: "|", with: "\\|") }
            var out = "| " + header.map(esc).joined(separator: " | ") + " |\n"
            out += "|" + header.indices.map { rightAligned.contains($0) ? "---:" : "---" }.joined(separator: "|") + "|\n"
            for r in rows { out += "| " + r.map(esc).joined(separator: " | ") + " |\n" }
            return out
        }
        var width = header.map(\.count)
        for r in rows { for (i, c) in r.enumerated() where i < width.count { width[i] = max(width[i], c.count) } }
        func line(_ cells: [String]) -> String {
            var parts: [String] = []
            for (i, c) in cells.enumerated() {
                let pad = String(repeating: " ", count: max(0, (i < width.count ? width[i] : 0) - c.count))
                let last = i == cells.count - 1
                parts.append(rightAligned.contains(i) ? pad + c : (last ? c : c + pad))
            }
            return parts.joined(separator: "  ").replacingOccurrences(of: "\\s+$", with: "", options: .regularExpression) + "\n"
        }
        return line(header) + rows.map(line).joined()
    }
}
