import Foundation

/// The simulated step as an SVG Gantt chart: a row per pipeline stage and stream (compute and
/// each communication stream, as `--trace` writes them), an operation per rectangle coloured by
/// what it is. Operations that touch within a pixel are merged, so a row holds at most one
/// rectangle per pixel, and the chart at most `maxRects` (past it, merging widens to 2, 4, ...
/// pixels): the SVG stays small for any number of micro-batches, layers and stages.
enum HTMLTimeline {
    static func chart(_ s: Engine.SimulatedStep, experiment e: Experiment, reportedStep: Double?, width: Double = 1100,
                      maxRects: Int = HTMLTimeline.maxRects) -> String {
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
        // Merge within a pixel; should that leave more than `maxRects` (hundreds of busy rows), within 2, 4, ... pixels.
        let ordered = rows.map { row in byRow[row].sorted { s.start[$0] < s.start[$1] } }
        var gap = 1.0
        var merged = ordered.map { merge($0, s, x: x, gap: gap) }
        while merged.reduce(0, { $0 + $1.count }) > maxRects && gap < width {
            gap *= 2
            merged = ordered.map { merge($0, s, x: x, gap: gap) }
        }
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
            ops += byRow[row].count
            let runs = merged[k]
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
        note += ". \(ops) operations on \(rows.count) rows drawn as \(rects) rectangles: operations closer than \(gap == 1 ? "a pixel" : "\(Int(gap)) pixels") are merged "
            + "(hover a wide one for its name). Each stage stands for \(e.cluster.devices / max(1, e.parallelism.pp)) devices."
        let legend = TaskGraph.Category.allCases.filter { categories.contains($0) }.map { ($0.label, HTMLPage.color($0.label)) }
        return SVGChart.figure(name: "timeline", caption: "Pipeline timeline (one step, per stage and stream)", svg: svg, legend: legend, note: note)
    }

    /// Most rectangles the chart draws (about 50 bytes each).
    static let maxRects = 30_000

    typealias Run = (x0: Double, x1: Double, c: TaskGraph.Category, n: Int, first: Int)

    /// One row's operations (in start order) as runs: an operation joins the run before it when
    /// it is of the same kind and starts within `gap` pixels of its end, or ends within `gap`
    /// pixels of it. Each new run ends at least `gap` pixels after the last, so a row holds at
    /// most width / gap runs.
    static func merge(_ list: [Int], _ s: Engine.SimulatedStep, x: SVGChart.Scale, gap: Double) -> [Run] {
        var runs: [Run] = []
        for i in list {
            let x0 = x(s.start[i]), x1 = x(s.end[i]), c = s.graph.category[i]
            if var last = runs.last, (last.c == c && x0 - last.x1 < gap) || x1 - last.x1 < gap {
                last.x1 = max(last.x1, x1); last.n += 1
                runs[runs.count - 1] = last
            } else {
                runs.append((x0, x1, c, 1, i))
            }
        }
        return runs
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
