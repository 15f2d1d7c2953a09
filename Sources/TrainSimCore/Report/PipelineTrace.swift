import Foundation

/// One step's pipeline schedule as Chrome trace events (one row per stage), built by playing
/// the 1F1B order with its dependencies: a stage runs a micro-batch's forward after the
/// previous stage sent it, and its backward after the next stage sent the gradient back.
/// Interleaved, zero-bubble and DualPipe steps are drawn with 1F1B order and their own
/// per-micro-batch times; the bubble they save is in the report's breakdown.
public struct PipelineTrace: Sendable {
    public let analysis: Analysis

    public init(analysis: Analysis) { self.analysis = analysis }

    public struct Event: Sendable, Equatable {
        public var stage: Int, microBatch: Int, forward: Bool, start: Double, end: Double
    }

    /// Plays the schedule; returns events in start order per stage.
    public func events() -> [Event] {
        let s = analysis.step
        let pp = analysis.experiment.parallelism.pp
        let m = s.microBatches
        let p2p = s.collectives.first { $0.label == "pp" }?.cost.seconds ?? 0
        var fEnd = [[Double]](repeating: [Double](repeating: -1, count: m), count: pp)
        var bEnd = fEnd
        var free = [Double](repeating: 0, count: pp)
        // Per stage order: warm-up forwards, then one-forward-one-backward, then cool-down.
        var orders: [[(Bool, Int)]] = []
        for p in 0..<pp {
            let warm = min(pp - p - 1, m)
            var o: [(Bool, Int)] = (0..<warm).map { (true, $0) }
            var nf = warm, nb = 0
            while nb < m {
                if nf < m { o.append((true, nf)); nf += 1 }
                o.append((false, nb)); nb += 1
            }
            orders.append(o)
        }
        var next = [Int](repeating: 0, count: pp)
        var events: [Event] = []
        var progress = true
        while progress {
            progress = false
            for p in 0..<pp where next[p] < orders[p].count {
                let (isF, i) = orders[p][next[p]]
                var ready: Double
                if isF {
                    if p > 0 { guard fEnd[p - 1][i] >= 0 else { continue }; ready = fEnd[p - 1][i] + p2p } else { ready = 0 }
                } else {
                    guard fEnd[p][i] >= 0 else { continue }
                    if p < pp - 1 { guard bEnd[p + 1][i] >= 0 else { continue }; ready = bEnd[p + 1][i] + p2p } else { ready = fEnd[p][i] }
                }
                let start = max(ready, free[p])
                let end = start + (isF ? s.stageForwardSeconds[p] : s.stageBackwardSeconds[p])
                if isF { fEnd[p][i] = end } else { bEnd[p][i] = end }
                free[p] = end
                events.append(Event(stage: p, microBatch: i, forward: isF, start: start, end: end))
                next[p] += 1
                progress = true
            }
        }
        return events
    }

    /// Chrome trace event JSON (microseconds), loadable in Perfetto or chrome://tracing.
    public func traceJSON() -> JSONValue {
        var items: [JSONValue] = []
        let pp = analysis.experiment.parallelism.pp
        for p in 0..<pp {
            items.append(.object([("name", .string("thread_name")), ("ph", .string("M")), ("pid", .number(0)), ("tid", .number(Double(p))),
                                  ("args", .object([("name", .string("stage \(p)"))]))]))
        }
        for ev in events() {
            items.append(.object([
                ("name", .string("\(ev.forward ? "F" : "B")\(ev.microBatch)")), ("cat", .string(ev.forward ? "forward" : "backward")),
                ("ph", .string("X")), ("pid", .number(0)), ("tid", .number(Double(ev.stage))),
                ("ts", .number(Analysis.round(ev.start * 1e6))), ("dur", .number(Analysis.round((ev.end - ev.start) * 1e6))),
            ]))
        }
        return .object([("traceEvents", .array(items)), ("displayTimeUnit", .string("ms"))])
    }
}
