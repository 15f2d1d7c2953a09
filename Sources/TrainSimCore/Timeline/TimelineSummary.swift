/// What a simulated step's timeline says, read off it: the step's length, each stage's compute
/// stream split into compute, optimizer, bubble and the time it waited on each kind of
/// communication (these add up to the step), and what each collective and network tier did.
struct TimelineSummary {
    var stepSeconds: Double
    /// Per pipeline stage: compute-stream time by what it was doing or waiting for.
    var stages: [StepBreakdown]
    /// The stage the report shows: the one with the most compute.
    var stage: Int
    /// On that stage, per registered collective: calls, and seconds the compute stream waited on it.
    var calls: [Double]
    var exposed: [Double]
    /// On that stage, per network tier: seconds of traffic at full rate (busy time).
    var tierBusy: [Double]

    var breakdown: StepBreakdown { stages[stage] }

    /// The parts of a stage's compute-stream time, as indices into the summary's flat buffer.
    private enum Part {
        static let compute = 0, optimizer = 1, tp = 2, cp = 3, ep = 4, pp = 5, dp = 6, bubble = 7, count = 8
        static func of(_ c: TaskGraph.Category) -> Int {
            switch c {
            case .compute: compute
            case .optimizer: optimizer
            case .tp: tp
            case .cp: cp
            case .ep: ep
            case .pp: pp
            case .dp: dp
            }
        }
    }

    /// Seconds within which two operations' ends count as the same when a wait is blamed on the
    /// one that ended last (the first in dependency order wins): stages of a pipeline often hand
    /// over at the same instant, and the sums that place those ends differ in their last bits
    /// depending on the order they were added in. Late in a long step the last bits are worth
    /// more than that, so the tie also grows with the time: 1e-13 of it (a wait in a 1,220 s step
    /// went to the pipeline send in one period and to the TP collective in the next, and the
    /// step read off its steady state moved 1.2e-4 s between the two).
    static let tie = 1e-12, relativeTie = 1e-13

    /// `busyAsTraffic`: a tier's busy time is its traffic at full rate (analytical sharing keeps
    /// that within the step); otherwise (flow mode, whose per-tier split is an attribution, not a
    /// load) it is the time during which any collective crossing the tier was in flight.
    ///
    /// `repeating`: the step extended along its steady state (`SteadyWindow`): each operation's
    /// time and the wait before it count `weights[i]` times, and the step is `stepSeconds` long.
    init(graph g: TaskGraph, start: [Double], end: [Double], busyAsTraffic: Bool = true,
         repeating: (weights: [Double], stepSeconds: Double)? = nil) {
        precondition(repeating == nil || busyAsTraffic, "a step extended along its steady state counts busy time as traffic")
        let n = g.count
        var step = 0.0
        for i in 0..<n { step = max(step, end[i]) }
        let tail = step
        if let r = repeating { step = r.stepSeconds }
        stepSeconds = step
        /// The weight of the operation being read (its time and the wait before it).
        var wt = 1.0
        let S = g.stages, R = g.requests.count
        // Per stage, the compute stream's time by part (`Part`), and per stage and collective the
        // time the compute stream waited on it: flat raw buffers, read and written once per
        // operation of every step a sweep or search simulates.
        let parts = UnsafeMutablePointer<Double>.allocate(capacity: S * Part.count)
        parts.initialize(repeating: 0, count: S * Part.count)
        let exposedAll = UnsafeMutablePointer<Double>.allocate(capacity: max(S * R, 1))
        exposedAll.initialize(repeating: 0, count: max(S * R, 1))
        var computeBusy = [Double](repeating: 0, count: S)
        var prevEnd = [Double](repeating: 0, count: S)
        var prevOp = [Int32](repeating: -1, count: S)
        defer { parts.deallocate(); exposedAll.deallocate() }
        g.depStart.withUnsafeBufferPointer { depStart in
        g.deps.withUnsafeBufferPointer { deps in
        g.category.withUnsafeBufferPointer { category in
        g.request.withUnsafeBufferPointer { request in
        start.withUnsafeBufferPointer { start in
        end.withUnsafeBufferPointer { end in
            func add(_ s: Int, _ part: Int, _ seconds0: Double) {
                guard seconds0 > 0 else { return }
                parts[s * Part.count + part] += seconds0 * wt
            }
            /// What operation i waited for: its dependency that ended last (ties within `tie`, or
            /// `relativeTie` of the time, going to the first), other than `excluding`; -1 if none.
            func lastEnded(_ i: Int, excluding: Int32 = -1) -> Int {
                var best = -1, bestEnd = -Double.infinity
                for k in Int(depStart[i])..<Int(depStart[i + 1]) {
                    let d = Int(deps[k])
                    if Int32(d) != excluding, best < 0 || end[d] > bestEnd + max(TimelineSummary.tie, TimelineSummary.relativeTie * bestEnd) { bestEnd = end[d]; best = d }
                }
                return best
            }
            /// Blames the wait [a, b] of stage s's compute stream on operation j, which ended at b:
            /// the part while j ran goes to j's kind, the part before to what j itself waited for.
            func blame(_ s: Int, _ a: Double, _ b: Double, _ j0: Int32) {
                var j = Int(j0), hi = b, depth = 0
                while hi > a {
                    let c = category[j]
                    if !c.isComm || depth > 256 { add(s, Part.bubble, hi - a); return }
                    let lo = max(a, start[j])
                    add(s, Part.of(c), hi - lo)
                    if request[j] >= 0 { exposedAll[s * R + Int(request[j])] += (hi - lo) * wt }
                    hi = lo
                    guard hi > a else { return }
                    let best = lastEnded(j)
                    if best < 0 { add(s, Part.bubble, hi - a); return }
                    j = best
                    depth += 1
                }
            }
            g.stream.withUnsafeBufferPointer { stream in
            g.stage.withUnsafeBufferPointer { stage in
                let per = Int(TaskGraph.streamsPerStage), computeStream = Int(TaskGraph.Stream.compute.rawValue)
                for i in 0..<n {
                    guard Int(stream[i]) % per == computeStream else { continue }
                    let s = Int(stage[i])
                    if let r = repeating { wt = r.weights[i] }
                    let gap = start[i] - prevEnd[s]
                    if gap > 0 {
                        let best = lastEnded(i, excluding: prevOp[s])
                        if best >= 0 { blame(s, prevEnd[s], start[i], Int32(best)) } else { add(s, Part.bubble, gap) }
                    }
                    let busy = end[i] - start[i]
                    add(s, Part.of(category[i]), busy)
                    if category[i] == .compute { computeBusy[s] += busy * wt }
                    prevEnd[s] = max(prevEnd[s], end[i])
                    prevOp[s] = Int32(i)
                }
            }
            }
            wt = 1
            for s in 0..<S { add(s, Part.bubble, tail - prevEnd[s]) }
        }
        }
        }
        }
        }
        }
        var stages = [StepBreakdown](repeating: StepBreakdown(), count: S)
        for s in 0..<S {
            let x = parts + s * Part.count
            var b = StepBreakdown(compute: x[Part.compute], bubble: x[Part.bubble], tp: x[Part.tp], pp: x[Part.pp], dp: x[Part.dp],
                                  ep: x[Part.ep], cp: x[Part.cp], optimizer: x[Part.optimizer])
            // Sums of many intervals: the bubble takes the rounding, so the parts add to the step.
            b.bubble = 0
            b.bubble = max(0, step - b.total)
            stages[s] = b
        }
        let best = Self.busiest(computeBusy)
        self.stages = stages
        stage = best
        exposed = Array(UnsafeBufferPointer(start: exposedAll + best * R, count: R))
        calls = [Double](repeating: 0, count: g.requests.count)
        tierBusy = [Double](repeating: 0, count: g.tierNames.count)
        var intervals = [[(Double, Double)]](repeating: [], count: g.tierNames.count)
        for i in 0..<n where Int(g.stage[i]) == best && g.request[i] >= 0 {
            let r = Int(g.request[i])
            let w = repeating?.weights[i] ?? 1
            calls[r] += Double(g.layers[i]) * w
            for (t, share) in g.requestTiers[r] {
                if busyAsTraffic { tierBusy[t] += g.work[i] * share * w } else if end[i] > start[i] { intervals[t].append((start[i], end[i])) }
            }
        }
        if !busyAsTraffic {
            for t in intervals.indices {
                var covered = 0.0, reach = -Double.infinity
                for (a, b) in intervals[t].sorted(by: { $0.0 < $1.0 }) {
                    if b <= reach { continue }
                    covered += b - max(a, reach)
                    reach = b
                }
                tierBusy[t] = covered
            }
        }
    }

    /// a + (b - a) x, field by field: the step extrapolated along a steady state.
    static func extrapolate(_ a: TimelineSummary, _ b: TimelineSummary, _ x: Double) -> TimelineSummary {
        func lin(_ u: Double, _ v: Double) -> Double { u + (v - u) * x }
        func linB(_ u: StepBreakdown, _ v: StepBreakdown) -> StepBreakdown {
            StepBreakdown(compute: lin(u.compute, v.compute), bubble: lin(u.bubble, v.bubble), tp: lin(u.tp, v.tp), pp: lin(u.pp, v.pp),
                          dp: lin(u.dp, v.dp), ep: lin(u.ep, v.ep), cp: lin(u.cp, v.cp), optimizer: lin(u.optimizer, v.optimizer))
        }
        var r = a
        r.stepSeconds = lin(a.stepSeconds, b.stepSeconds)
        r.stages = zip(a.stages, b.stages).map(linB)
        r.calls = zip(a.calls, b.calls).map(lin)
        r.exposed = zip(a.exposed, b.exposed).map(lin)
        r.tierBusy = zip(a.tierBusy, b.tierBusy).map(lin)
        return r
    }

    /// Whether the stage shown is the one with the most compute, the first of equals, as `init`
    /// chooses it. A summary extrapolated along a line keeps its base's stage (and that stage's
    /// collectives and tiers), which is right only while no other stage's compute has grown past it.
    var showsTheBusiestStage: Bool { Self.busiest(stages.map(\.compute)) == stage }

    /// The stage the report shows: the one with the most compute. Stages with the same compute (to
    /// rounding: sums of the same times in another order) go to the first, so that how the times
    /// were added never decides which stage is shown.
    static func busiest(_ compute: [Double]) -> Int {
        var best = 0
        for s in 1..<max(compute.count, 1) where compute[s] > compute[best] * (1 + 1e-9) { best = s }
        return best
    }

    /// Whether two summaries agree (step, every stage's parts, exposed times) to the tolerance of
    /// `isLinear`: a prediction against the simulation it predicts.
    /// `tolerance`: of the step's length (a line carried far past the counts it was read from
    /// asks for less).
    static func agrees(_ predicted: TimelineSummary, _ simulated: TimelineSummary, tolerance: Double = 1e-9) -> Bool {
        isLinear(predicted, predicted, simulated, tolerance: tolerance)
    }

    /// Whether b - a equals c - b (a steady state that repeats), to a relative tolerance.
    static func isLinear(_ a: TimelineSummary, _ b: TimelineSummary, _ c: TimelineSummary, tolerance: Double = 1e-9) -> Bool {
        guard a.stage == b.stage, b.stage == c.stage, a.calls.count == c.calls.count, a.tierBusy.count == c.tierBusy.count else { return false }
        // Differences agree to rounding of the step's length: a component that is rounding
        // noise (1e-17 s of waiting) must not count as a change of pattern.
        let scale = max(abs(c.stepSeconds), 1e-12)
        func same(_ u: Double, _ v: Double, _ w: Double) -> Bool {
            abs((w - v) - (v - u)) <= tolerance * max(abs(w), scale)
        }
        guard same(a.stepSeconds, b.stepSeconds, c.stepSeconds) else { return false }
        for s in a.stages.indices {
            let (u, v, w) = (a.stages[s], b.stages[s], c.stages[s])
            for k in [\StepBreakdown.compute, \.bubble, \.tp, \.pp, \.dp, \.ep, \.cp, \.optimizer] where !same(u[keyPath: k], v[keyPath: k], w[keyPath: k]) {
                return false
            }
        }
        for k in a.exposed.indices where !same(a.exposed[k], b.exposed[k], c.exposed[k]) { return false }
        return true
    }
}
