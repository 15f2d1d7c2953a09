import Foundation

/// Inline SVG charts drawn in Swift: scales with ticks, horizontal stacked bars, scatter plots.
/// Data marks are the only rect, circle and path elements (axes and grid are lines), so counting
/// them counts what a chart drew.
enum SVGChart {
    /// A chart in its frame: caption, the SVG, a legend and a note under it.
    static func figure(name: String, caption: String, svg: String, legend: [(String, String)] = [], note: String = "") -> String {
        var h = "<figure class=\"chart\" data-chart=\"\(HTMLPage.esc(name))\"><figcaption>\(HTMLPage.esc(caption))</figcaption>"
        if !legend.isEmpty {
            h += "<div class=\"legend\">" + legend.map { "<span><i style=\"background:\($0.1)\"></i>\(HTMLPage.esc($0.0))</span>" }.joined() + "</div>"
        }
        h += svg
        if !note.isEmpty { h += "<p class=\"note\">\(note)</p>" }
        return h + "</figure>\n"
    }

    /// Coordinates with one decimal: enough for a screen, short in the file.
    static func f(_ x: Double) -> String {
        let r = (x * 10).rounded() / 10
        return r == r.rounded() ? String(Int(r)) : Fmt.fixed(r, 1)
    }

    /// A linear or logarithmic map from data to pixels.
    struct Scale {
        var lo: Double, hi: Double, log: Bool
        var from: Double, to: Double

        init(lo: Double, hi: Double, log: Bool, from: Double, to: Double) {
            var l = lo, h = hi
            if log { l = Swift.max(l, 1e-300); h = Swift.max(h, l) }
            if h <= l { let pad = Swift.max(abs(l) * 0.1, log ? l * 0.5 : 1); l -= log ? 0 : pad; h += pad }
            self.lo = l; self.hi = h; self.log = log; self.from = from; self.to = to
        }

        func callAsFunction(_ v: Double) -> Double {
            let t = log ? (Foundation.log10(Swift.max(v, 1e-300)) - Foundation.log10(lo)) / (Foundation.log10(hi) - Foundation.log10(lo)) : (v - lo) / (hi - lo)
            return from + t * (to - from)
        }

        /// About `count` round tick values inside the range.
        func ticks(_ count: Int = 6) -> [Double] {
            if log {
                var out: [Double] = []
                var p = pow(10, floor(Foundation.log10(lo)))
                while p <= hi * 1.0000001 {
                    for m in [1.0, 2, 5] where p * m >= lo * 0.9999999 && p * m <= hi * 1.0000001 { out.append(p * m) }
                    p *= 10
                }
                if out.count > count * 2 { out = out.filter { abs(Foundation.log10($0).rounded() - Foundation.log10($0)) < 1e-9 } }
                return out.isEmpty ? [lo, hi] : out
            }
            let raw = (hi - lo) / Double(Swift.max(1, count))
            let mag = pow(10, floor(Foundation.log10(raw)))
            let step = [1.0, 2, 2.5, 5, 10].map { $0 * mag }.first { $0 >= raw } ?? 10 * mag
            var out: [Double] = []
            var v = ceil(lo / step) * step
            while v <= hi + step * 1e-9 { out.append(abs(v) < step * 1e-9 ? 0 : v); v += step }
            return out
        }
    }

    /// A bar's piece: its category (colour), length, and tooltip.
    struct Segment {
        var category: String
        var value: Double
        var title: String
    }

    /// One horizontal bar: its label, pieces (stacked left to right) and the text after it (HTML-free).
    struct Bar {
        var label: String
        var segments: [Segment]
        var end: String
    }

    /// Horizontal stacked bars on one linear scale from zero; `limit` draws a dashed line (a capacity).
    static func bars(_ rows: [Bar], width: Double = 900, labelWidth: Double = 190, format: (Double) -> String,
                     limit: (value: Double, label: String)? = nil) -> String {
        let rowH = 22.0, top = 8.0, bottom = 26.0, right = 150.0
        let total = rows.map { $0.segments.reduce(0) { $0 + Swift.max(0, $1.value) } }.max() ?? 0
        let hi = Swift.max(total, limit?.value ?? 0, 1e-300)
        let x = Scale(lo: 0, hi: hi * 1.02, log: false, from: labelWidth, to: width - right)
        let height = top + Double(rows.count) * rowH + bottom
        var s = "<svg viewBox=\"0 0 \(f(width)) \(f(height))\" width=\"\(f(width))\" height=\"\(f(height))\" role=\"img\">"
        s += axisX(x, y: top + Double(rows.count) * rowH, gridTop: top, format: format)
        for (k, r) in rows.enumerated() {
            let y = top + Double(k) * rowH
            s += "<text x=\"\(f(labelWidth - 6))\" y=\"\(f(y + rowH / 2 + 4))\" text-anchor=\"end\">\(HTMLPage.esc(r.label))</text>"
            var at = 0.0
            for seg in r.segments where seg.value > 0 {
                let x0 = x(at), x1 = x(at + seg.value)
                s += "<rect x=\"\(f(x0))\" y=\"\(f(y + 3))\" width=\"\(f(Swift.max(0.5, x1 - x0)))\" height=\"\(f(rowH - 6))\" fill=\"\(HTMLPage.color(seg.category))\"><title>\(HTMLPage.esc(seg.title))</title></rect>"
                at += seg.value
            }
            s += "<text x=\"\(f(x(at) + 5))\" y=\"\(f(y + rowH / 2 + 4))\">\(HTMLPage.esc(r.end))</text>"
        }
        if let limit {
            let lx = x(limit.value)
            s += "<line x1=\"\(f(lx))\" y1=\"\(f(top - 4))\" x2=\"\(f(lx))\" y2=\"\(f(top + Double(rows.count) * rowH))\" stroke=\"#b02a2c\" stroke-dasharray=\"4 3\"/>"
            s += "<text x=\"\(f(lx + 4))\" y=\"\(f(top + 6))\" fill=\"#b02a2c\" style=\"fill:#b02a2c\">\(HTMLPage.esc(limit.label))</text>"
        }
        return s + "</svg>"
    }

    /// The x axis with ticks and faint grid lines up to `gridTop`.
    static func axisX(_ x: Scale, y: Double, gridTop: Double, format: (Double) -> String) -> String {
        var s = "<g class=\"axis\"><line x1=\"\(f(x.from))\" y1=\"\(f(y))\" x2=\"\(f(x.to))\" y2=\"\(f(y))\"/>"
        for t in x.ticks() {
            let px = x(t)
            s += "<line class=\"grid\" x1=\"\(f(px))\" y1=\"\(f(gridTop))\" x2=\"\(f(px))\" y2=\"\(f(y))\"/>"
            s += "<line x1=\"\(f(px))\" y1=\"\(f(y))\" x2=\"\(f(px))\" y2=\"\(f(y + 4))\"/>"
            s += "<text x=\"\(f(px))\" y=\"\(f(y + 16))\" text-anchor=\"middle\">\(HTMLPage.esc(format(t)))</text>"
        }
        return s + "</g>"
    }

    /// The y axis with ticks and faint grid lines across to `gridRight`.
    static func axisY(_ y: Scale, x: Double, gridRight: Double, format: (Double) -> String) -> String {
        var s = "<g class=\"axis\"><line x1=\"\(f(x))\" y1=\"\(f(y.from))\" x2=\"\(f(x))\" y2=\"\(f(y.to))\"/>"
        for t in y.ticks() {
            let py = y(t)
            s += "<line class=\"grid\" x1=\"\(f(x))\" y1=\"\(f(py))\" x2=\"\(f(gridRight))\" y2=\"\(f(py))\"/>"
            s += "<line x1=\"\(f(x - 4))\" y1=\"\(f(py))\" x2=\"\(f(x))\" y2=\"\(f(py))\"/>"
            s += "<text x=\"\(f(x - 6))\" y=\"\(f(py + 4))\" text-anchor=\"end\">\(HTMLPage.esc(format(t)))</text>"
        }
        return s + "</g>"
    }

    /// A scatter mark: where, its kind (a CSS colour) and radius, its tooltip.
    struct Point {
        var x: Double, y: Double
        var color: String
        var radius: Double = 3.5
        var title: String
    }

    /// A scatter plot; `line` (data coordinates, in order) is drawn as a step path over the points
    /// (the Pareto front). Axes go logarithmic when the data span more than 30x.
    static func scatter(_ points: [Point], line: [(Double, Double)], width: Double = 900, height: Double = 440,
                        xLabel: String, yLabel: String, xFormat: (Double) -> String, yFormat: (Double) -> String) -> String {
        let left = 104.0, right = 20.0, top = 12.0, bottom = 46.0
        let xs = points.map(\.x), ys = points.map(\.y)
        let xlo = xs.min() ?? 0, xhi = xs.max() ?? 1, ylo = ys.min() ?? 0, yhi = ys.max() ?? 1
        let logX = xlo > 0 && xhi / xlo > 30, logY = ylo > 0 && yhi / ylo > 30
        let padX = logX ? 1.0 : (xhi - xlo) * 0.05, padY = logY ? 1.0 : (yhi - ylo) * 0.05
        let x = Scale(lo: logX ? xlo / 1.15 : Swift.max(0, xlo - padX), hi: logX ? xhi * 1.15 : xhi + padX, log: logX, from: left, to: width - right)
        let y = Scale(lo: logY ? ylo / 1.15 : Swift.max(0, ylo - padY), hi: logY ? yhi * 1.15 : yhi + padY, log: logY, from: height - bottom, to: top)
        var s = "<svg viewBox=\"0 0 \(f(width)) \(f(height))\" width=\"\(f(width))\" height=\"\(f(height))\" role=\"img\">"
        s += axisX(x, y: height - bottom, gridTop: top, format: xFormat)
        s += axisY(y, x: left, gridRight: width - right, format: yFormat)
        s += "<text x=\"\(f((left + width - right) / 2))\" y=\"\(f(height - 8))\" text-anchor=\"middle\">\(HTMLPage.esc(xLabel + (logX ? " (log scale)" : "")))</text>"
        s += "<text transform=\"translate(14 \(f((top + height - bottom) / 2))) rotate(-90)\" text-anchor=\"middle\">\(HTMLPage.esc(yLabel + (logY ? " (log scale)" : "")))</text>"
        for p in points {
            s += "<circle cx=\"\(f(x(p.x)))\" cy=\"\(f(y(p.y)))\" r=\"\(f(p.radius))\" fill=\"\(p.color)\" fill-opacity=\"0.75\"><title>\(HTMLPage.esc(p.title))</title></circle>"
        }
        if line.count > 1 {
            var d = "M\(f(x(line[0].0))) \(f(y(line[0].1)))"
            for k in 1..<line.count { d += "H\(f(x(line[k].0)))V\(f(y(line[k].1)))" }
            s += "<path d=\"\(d)\" fill=\"none\" stroke=\"#e15759\" stroke-width=\"1.5\"/>"
        }
        return s + "</svg>"
    }
}
