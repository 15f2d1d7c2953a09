import Foundation

/// An achieved-efficiency curve: efficiency (fraction of peak) as a function of a size,
/// interpolated linearly in log10(size) between measured points and held flat outside them.
public struct EfficiencyCurve: Sendable, Equatable {
    public var points: [(x: Double, y: Double)]
    public var source: String?

    public static func == (a: EfficiencyCurve, b: EfficiencyCurve) -> Bool {
        a.points.count == b.points.count && zip(a.points, b.points).allSatisfy { $0.x == $1.x && $0.y == $1.y } && a.source == b.source
    }

    public init(points: [(x: Double, y: Double)], source: String? = nil) {
        self.points = points.sorted { $0.x < $1.x }
        self.source = source
    }

    public static func constant(_ y: Double) -> EfficiencyCurve { EfficiencyCurve(points: [(1, y)]) }

    public func callAsFunction(_ x: Double) -> Double {
        guard let first = points.first, let last = points.last else { return 1 }
        if x <= first.x { return first.y }
        if x >= last.x { return last.y }
        let lx = log10(x)
        for k in 1..<points.count where x <= points[k].x {
            let a = points[k - 1], b = points[k]
            let t = (lx - log10(a.x)) / (log10(b.x) - log10(a.x))
            return a.y + t * (b.y - a.y)
        }
        return last.y
    }

    /// Reads `{"points": [[x, y], ...], "source": "..."}` or a plain number (a flat curve); an
    /// optional `"level": {"value": k, "above": x0}` multiplies the points at x0 and beyond by k.
    static func read(_ r: ObjectReader, _ key: String) throws(TrainSimError) -> EfficiencyCurve? {
        guard let v = r.raw(key) else { return nil }
        if case let .number(d) = v {
            guard d >= 0.001, d <= 1 else { throw r.error(key, "efficiency must be from 0.001 to 1, found \(JSONWriter.number(d))") }
            return .constant(d)
        }
        let o = try ObjectReader(v, path: r.keyPath(key), file: r.file)
        guard let items = try o.list("points"), !items.isEmpty else { throw o.error("points", "needs at least one [size, efficiency] pair") }
        var pts: [(Double, Double)] = []
        for (i, it) in items.enumerated() {
            guard case let .array(pair) = it, pair.count == 2, case let .number(x) = pair[0], case let .number(y) = pair[1] else {
                throw o.error("points[\(i)]", "expected [size, efficiency]")
            }
            guard x > 0 else { throw o.error("points[\(i)]", "size must be greater than 0") }
            guard y >= 0.001, y <= 1 else { throw o.error("points[\(i)]", "efficiency must be from 0.001 to 1, found \(JSONWriter.number(y))") }
            pts.append((x, y))
        }
        let src = try o.string("source")
        _ = try o.choice("confidence", Sourced.confidences)
        _ = try o.string("note")
        // A fitted level: one factor on the points at `above` and beyond, so that the points
        // keep the curve's stated shape and a refit sets the factor, not the points it made.
        if let lv = o.raw("level") {
            let l = try ObjectReader(lv, path: o.keyPath("level"), file: o.file)
            let k = try l.requiredNumber("value", in: 0.1...10)
            let above = try l.requiredNumber("above", in: 1...1e20)
            _ = try l.string("source")
            _ = try l.choice("confidence", Sourced.confidences)
            try l.finish()
            for i in pts.indices where pts[i].0 >= above {
                let y = pts[i].1 * k
                guard y <= 1 else {
                    throw l.error("value", "takes the point at \(JSONWriter.number(pts[i].0)) to efficiency \(JSONWriter.number(y)), above 1")
                }
                pts[i].1 = y
            }
        }
        try o.finish()
        return EfficiencyCurve(points: pts, source: src)
    }
}
