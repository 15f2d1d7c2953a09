import Foundation

/// The simulated step as an SVG Gantt chart: a row per pipeline stage and stream (compute and
/// each communication stream, as `--trace` writes them), an operation per rectangle coloured by
/// what it is. Operations that touch within a pixel are merged, so a row holds at most one
/// rectangle per pixel and the SVG stays small for any number of micro-batches and layers.
enum HTMLTimeline {
    static func chart(_ s: Engine.SimulatedStep, experiment e: Experiment, reportedStep: Double?, width: Double = 1100) -> String {
        let g = s.graph
        let streams = Int(TaskGraph.streamsPerStage)
        let stages = g.stages
        // Operations by row (stage x stream), in start order.
        var byRow = [[Int]](repeating: [], count: stages * streams)
        for i in 0..<g.count where s.end[i] - s.start[i] > 0 {
            byRow[Int(g.stage[i]) * streams + Int(g.stream[i]) % streams].append(i)
        }
        let rows = byRow.indices.filter { !byRow[$0].isEmpty }
        guard !rows.isEmpty else { return "" }
        let span = s.summary.stepSeconds
        let labelWidth = 190.0, right = 16.0, top = 8.0, bottom = 28.0
        let rowH = min(14, max(4, (1400 / Double(rows.count)).rounded(.down)))
        let height = top + Double(rows.count) * rowH + bottom
        let x = SVGChart.Scale(lo: 0, hi: max(span, 1e-12), log: false, from: labelWidth, to: width - right)
        let f = SVGChart.f
        var svg = "<svg viewBox=\"0 0 \(f(width)) \(f(height))\" width=\"\(f(width))\" height=\"\(f(height))\" role=\"img\">"
        svg += SVGChart.axisX(x, y: top + Double(rows.count) * rowH, gridTop: top, format: Fmt.secs)
        var rects = 0, ops = 0
        var categories = Set<TaskGraph.Category>()
        for (k, row) in rows.enumerated() {
            let stage = row / streams, stream = TaskGraph.Stream(rawValue: Int32(row % streams))!
            let y = top + Double(k) * rowH
            if k > 0, row / streams != rows[k - 1] / streams {
                svg += "<line x1=\"0\" y1=\"\(f(y))\" x2=\"\(f(width))\" y2=\"\(f(y))\" stroke=\"#ccc\"/>"
            }
            if rowH >= 8 {
                svg += "<text x=\"\(f(labelWidth - 6))\" y=\"\(f(y + rowH - 3))\" text-anchor=\"end\" font-size=\"\(f(min(11, rowH - 1)))\">stage \(stage) \(HTMLPage.esc(stream.name))</text>"
            } else if row % streams == 0 || k == 0 || rows[k - 1] / streams != stage {
                svg += "<text x=\"\(f(labelWidth - 6))\" y=\"\(f(y + rowH))\" text-anchor=\"end\" font-size=\"9\">stage \(stage)</text>"
            }
            let list = byRow[row].sorted { s.start[$0] < s.start[$1] }
            ops += list.count
            // Merged runs: [x0, x1], category, operations in it, the first operation.
            var runs: [(x0: Double, x1: Double, c: TaskGraph.Category, n: Int, first: Int)] = []
            for i in list {
                let x0 = x(s.start[i]), x1 = x(s.end[i]), c = g.category[i]
                if var last = runs.last, (last.c == c && x0 - last.x1 < 1) || x1 - last.x1 < 1 {
                    last.x1 = max(last.x1, x1); last.n += 1
                    runs[runs.count - 1] = last
                } else {
                    runs.append((x0, x1, c, 1, i))
                }
            }
            rects += runs.count
            for c in TaskGraph.Category.allCases {
                let mine = runs.filter { $0.c == c }
                guard !mine.isEmpty else { continue }
                categories.insert(c)
                svg += "<g fill=\"\(HTMLPage.color(c.label))\">"
                for r in mine {
                    svg += "<rect x=\"\(f(r.x0))\" y=\"\(f(y + 1))\" width=\"\(f(max(0.6, r.x1 - r.x0)))\" height=\"\(f(rowH - 2))\""
                    if r.n == 1, r.x1 - r.x0 >= 6 {
                        svg += "><title>\(HTMLPage.esc(opName(g, r.first, e))): \(Fmt.secs(s.end[r.first] - s.start[r.first]))</title></rect>"
                    } else if r.n > 1, r.x1 - r.x0 >= 6 {
                        svg += "><title>\(r.n) operations</title></rect>"
                    } else {
                        svg += "/>"
                    }
                }
                svg += "</g>"
            }
        }
        svg += "</svg>"
        var note = "One step simulated with every micro-batch (\(e.microBatches) per replica, as <code>--trace</code> writes it): "
            + "span \(Fmt.secs(span))"
        if let reportedStep { note += " (the report's step time: \(Fmt.secs(reportedStep)))" }
        note += ". \(ops) operations on \(rows.count) rows drawn as \(rects) rectangles: operations closer than a pixel are merged "
            + "(hover a wide one for its name). Each stage stands for \(e.cluster.devices / max(1, e.parallelism.pp)) devices."
        let legend = TaskGraph.Category.allCases.filter { categories.contains($0) }.map { ($0.label, HTMLPage.color($0.label)) }
        return SVGChart.figure(name: "timeline", caption: "Pipeline timeline (one step, per stage and stream)", svg: svg, legend: legend, note: note)
    }

    /// The operation's name as the trace writes it: kind, layer(s), micro-batch.
    static func opName(_ g: TaskGraph, _ i: Int, _ e: Experiment) -> String {
        var name = g.names[Int(g.name[i])]
        let layer = Int(g.layer[i]), k = Int(g.layers[i])
        if layer >= 0 && layer < e.model.layers { name += k > 1 ? " L\(layer)-\(layer + k - 1)" : " L\(layer)" }
        if g.microBatch[i] >= 0 { name += " mb\(g.microBatch[i])" }
        return name
    }
}
