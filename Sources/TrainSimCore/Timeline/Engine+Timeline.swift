/// The step as a simulated timeline (`StepGraphBuilder` then `TimelineSimulator`), with the cost
/// made independent of the number of micro-batches: beyond the pipeline's fill and drain, every
/// further micro-batch (or group of them the schedule needs) adds the same operations in the
/// same pattern. With the analytical network the step is simulated once with a few periods past
/// the fill (`SteadyWindow`); if they repeat, the step is extended by inserting the periods it
/// lacks. With the flow network it is simulated for three counts in that steady state and, when
/// their differences agree, extended linearly. Otherwise it is simulated in full.
extension Engine {
    /// The step's timeline summary and the graph of the last simulation run; `extended`: read off
    /// the steady state (false: every micro-batch simulated), which repeats every `cycle`
    /// micro-batches (0 when simulated in full).
    struct TimelineRun {
        var summary: TimelineSummary
        var graph: TaskGraph
        var extended: Bool
        var cycle: Int
    }

    /// The simulated graph and the start and end of each of its operations.
    struct SimulatedStep {
        var graph: TaskGraph
        var start: [Double]
        var end: [Double]
        var summary: TimelineSummary
    }

    func optimizerSecondsPerStage() -> [Double] {
        let par = experiment.parallelism
        let params = ParameterCount(experiment.model)
        let layout = StageLayout(layers: experiment.model.layers, pp: par.pp, vpp: par.vpp, split: par.layerSplit)
        return (0..<par.pp).map { optimizerSeconds(params: params, layout: layout, stage: $0) }
    }

    /// The step's graph with `microBatches` micro-batches and when each operation ran.
    /// `built`: the graph, where the caller has built it already.
    func timeline(microBatches: Int, optimizer: [Double], built: TaskGraph? = nil) -> (graph: TaskGraph, start: [Double], end: [Double]) {
        let g = built ?? graph(microBatches: microBatches, optimizer: optimizer)
        var sim = TimelineSimulator(graph: g, sharing: LinkSharing(graph: g, network: network, shared: linksShared))
        sim.run()
        return (g, sim.start, sim.end)
    }

    /// The step's task graph with `microBatches` micro-batches.
    func graph(microBatches: Int, optimizer: [Double]) -> TaskGraph {
        var b = StepGraphBuilder(engine: self, microBatches: microBatches)
        b.optimizerSeconds = optimizer
        return b.build()
    }

    /// Simulates the step with `microBatches` micro-batches, every operation on the timeline.
    func simulate(microBatches: Int, optimizer: [Double], built: TaskGraph? = nil) -> SimulatedStep {
        let (g, start, end) = timeline(microBatches: microBatches, optimizer: optimizer, built: built)
        let summary = TimelineSummary(graph: g, start: start, end: end, busyAsTraffic: !network.isFlowLevel)
        return SimulatedStep(graph: g, start: start, end: end, summary: summary)
    }

    /// Micro-batches by which the schedule's steady state repeats (all directions).
    var steadyPeriod: Int {
        let par = experiment.parallelism
        let p = SteadyWindow.period(schedule: par.schedule, pp: par.pp, vpp: par.vpp, group: par.group)
        return p.perDirection * p.directions
    }

    /// The step's timeline summary and graph (the graph of the last simulation run).
    func timelineSummary(full: Bool = false) -> (TimelineSummary, TaskGraph) {
        let r = timelineRun(full: full)
        return (r.summary, r.graph)
    }

    /// The step read off one simulation of window `w`, if its periods repeat.
    /// `simulated`: the window's timeline where it has been simulated already.
    private func extended(_ w: SteadyWindow, microBatches m: Int, optimizer opt: [Double],
                          simulated: (graph: TaskGraph, start: [Double], end: [Double])? = nil, built: TaskGraph? = nil) -> TimelineRun? {
        let (g, start, end) = simulated ?? timeline(microBatches: w.microBatches, optimizer: opt, built: built)
        let tail = end.max() ?? 0
        let x = Double(m - w.microBatches) / Double(w.q)
        guard let delta = w.shift(graph: g, start: start, end: end, tolerance: Engine.periodTolerance(span: tail, inserted: x)) else { return nil }
        let summary = TimelineSummary(graph: g, start: start, end: end, busyAsTraffic: true,
                                      repeating: (w.weights(graph: g, extraPeriods: x), tail + x * delta))
        return TimelineRun(summary: summary, graph: g, extended: true, cycle: w.q)
    }

    /// Seconds to which a window's periods must agree for `inserted` more like them to be read off
    /// it: 1e-10 of its span, over the periods inserted, since a deviation between its periods
    /// would recur in every one. Rounding leaves about 1e-13 s; a timeline still settling by
    /// 4e-10 s a period (Llama 3 8B, TP 8 CP 4 PP 2 under DualPipe on 128 H100s with 2:1 leaves,
    /// 512 micro-batches) passed a per-period check and came out 2e-8 s short over 64 periods.
    static func periodTolerance(span: Double, inserted: Double = 1) -> Double {
        1e-10 * max(span, 1e-12) / max(1, inserted)
    }

    /// Base periods (`SteadyWindow.period`) up to which a timeline is looked for a longer cycle.
    static let longestCycle = 8

    /// The step read off a timeline that settles late or repeats only every k base periods
    /// (k ≤ `longestCycle`, the smallest that repeats): one simulation with room for three
    /// periods of the longest that fits in three quarters of the step (so that a failed look costs
    /// less than the full simulation it falls back to), read for each k with its periods
    /// just before the drain; if the real step is not that simulation with whole periods of k
    /// inserted (and `realign`), one more simulation of a window of k that is.
    /// `lookahead`: the window's room in base periods (three periods of up to that many), at most
    /// what fits in three quarters of the step.
    private func periodic(microBatches m: Int, optimizer opt: [Double], lookahead L: Int, realign: Bool) -> TimelineRun? {
        let par = experiment.parallelism
        let K = min(Engine.longestCycle, L)
        guard K >= 2, let d = SteadyWindow(schedule: par.schedule, pp: par.pp, vpp: par.vpp, group: par.group, microBatches: m, lookahead: L)
        else { return nil }
        let (g, start, end) = timeline(microBatches: d.microBatches, optimizer: opt)
        let tolerance = Engine.periodTolerance(span: end.max() ?? 0)
        for k in 1...K {
            guard let w = d.reading(multiple: k) else { continue }
            // Each reading's periods are checked once: by `extended` where the step is this
            // simulation with whole periods inserted, here where it needs a window of its own.
            if w.extendsToTheStep {
                if let r = extended(w, microBatches: m, optimizer: opt, simulated: (g, start, end)) { return r }
                continue
            }
            guard w.shift(graph: g, start: start, end: end, tolerance: tolerance) != nil else { continue }
            guard realign, let a = SteadyWindow(schedule: par.schedule, pp: par.pp, vpp: par.vpp, group: par.group, microBatches: m,
                                                multiple: k, lookahead: L) else { return nil }
            return extended(a, microBatches: m, optimizer: opt)
        }
        return nil
    }

    /// The flow network's check: a window of about `n` micro-batches for the real step's `m`
    /// (whole periods between them), with room for three periods of up to `longestCycle` base
    /// periods just before its drain.
    private func flowCheckWindow(microBatches m: Int, around n: Int) -> SteadyWindow? {
        let par = experiment.parallelism
        let (fill, drain) = SteadyWindow.ends(schedule: par.schedule, pp: par.pp, group: par.group)
        let (base, directions) = SteadyWindow.period(schedule: par.schedule, pp: par.pp, vpp: par.vpp, group: par.group)
        let lookahead = max(Engine.longestCycle, (n / directions - fill - drain) / (3 * base))
        return SteadyWindow(schedule: par.schedule, pp: par.pp, vpp: par.vpp, group: par.group, microBatches: m, lookahead: lookahead)
    }

    /// The step's timeline, and whether it was extended from the steady state (false: simulated in full).
    /// While a ``TimelineCache`` is active, a step whose first graph was simulated before (on the
    /// same flow network, with one) is read from it.
    func timelineRun(full: Bool = false) -> TimelineRun {
        let par = experiment.parallelism, m = experiment.microBatches
        guard !full, let cache = TimelineCache.active else { return simulatedRun(full: full) }
        let opt = optimizerSecondsPerStage()
        let window = SteadyWindow(schedule: par.schedule, pp: par.pp, vpp: par.vpp, group: par.group, microBatches: m)
        let first = graph(microBatches: window?.microBatches ?? m, optimizer: opt)
        let flow = network.flowNetwork
        let key = TimelineCache.Key(fingerprint: first.fingerprint(), microBatches: m, schedule: par.schedule.rawValue,
                                    pp: par.pp, vpp: par.vpp, group: par.group, shared: linksShared,
                                    network: flow.map { ObjectIdentifier($0) })
        if let known = cache[key] { return known }
        let run = simulatedRun(full: false, optimizer: opt, built: (window?.microBatches ?? m, first))
        cache.insert(run, for: key, network: flow)
        return run
    }

    /// The step's timeline, simulated. `built`: a graph built already (with `optimizer`), and its
    /// micro-batches: used wherever the step simulates that many.
    private func simulatedRun(full: Bool, optimizer: [Double]? = nil, built: (microBatches: Int, graph: TaskGraph)? = nil) -> TimelineRun {
        let m = experiment.microBatches
        let opt = optimizer ?? optimizerSecondsPerStage()
        func prebuilt(_ n: Int) -> TaskGraph? { built?.microBatches == n ? built?.graph : nil }
        let par = experiment.parallelism
        let analytical = !network.isFlowLevel
        // One simulation whose middle micro-batches repeat (analytical network: busy time is traffic).
        if !full, analytical, let w = SteadyWindow(schedule: par.schedule, pp: par.pp, vpp: par.vpp, group: par.group, microBatches: m) {
            if let r = extended(w, microBatches: m, optimizer: opt, built: prebuilt(w.microBatches)) { return r }
            let room = SteadyWindow.room(schedule: par.schedule, pp: par.pp, vpp: par.vpp, group: par.group, microBatches: m, share: 0.75)
            if let r = periodic(microBatches: m, optimizer: opt, lookahead: min(room, Engine.longestCycle), realign: true) { return r }
            // Some timelines settle slowly (waits that shrink geometrically); a fill three times as
            // long settles most of them, and is worth trying where it is still at most half the step.
            if let w3 = SteadyWindow(schedule: par.schedule, pp: par.pp, vpp: par.vpp, group: par.group, microBatches: m, settle: 3),
               2 * w3.microBatches <= m, let r = extended(w3, microBatches: m, optimizer: opt) { return r }
            // Some drift for tens of micro-batches: a stage faster than the pipeline's pace runs ahead
            // until its slack is spent (DeepSeek-V3 TP 2 PP 8 1F1B on Kunlunxin P800: about 44). The
            // longest window that fits in three quarters of the step, read just before its drain,
            // where it is at least twice the window above.
            if room >= 2 * Engine.longestCycle,
               let r = periodic(microBatches: m, optimizer: opt, lookahead: room, realign: false) { return r }
            let s = simulate(microBatches: m, optimizer: opt)
            return TimelineRun(summary: s.summary, graph: s.graph, extended: false, cycle: 0)
        }
        let q = steadyPeriod
        // Enough micro-batches that every rank reaches its steady phase: the fill takes one
        // micro-batch per virtual stage; the linearity check below rejects a base still in it.
        // DualPipe needs two per stage (one per direction) to run at all, and its two directions
        // settle into a repeating pattern only after about twice that: where overlapped traffic
        // slows the compute beside it, the per-stage waits converge geometrically and are linear
        // to rounding from about 4 x pp (measured on 8 and 16 stages).
        let fill = par.schedule == .dualpipe ? 4 * par.pp : par.pp * par.vpp
        var base = max(fill + 2 * q, 8)
        base += ((m - base) % q + q) % q
        // Three short simulations cost less than one long one only well past the fill and drain.
        // Their line is checked once more about four times as far on: some timelines change pace
        // after tens of micro-batches (a stage running ahead of the pipeline's pace spends its
        // slack), and three counts before the change lie on a line that misses the step: a
        // DeepSeek-V2 DualPipe plan on 4 stages adds 0.4885 s a period up to 34 micro-batches and
        // 0.4918 s from 36, a Llama 3 70B one 0.6250 s up to about 44 and 0.6268 s from 56. Where
        // the check disagrees, or lies past the step, every micro-batch is simulated.
        // The check's line can also hold while a stage's slack drains slowly, to change pace well
        // after it (DeepSeek-V2 under DualPipe on 4 stages with FSDP's gathers, 512 micro-batches:
        // 0.14 % more a period from about 120 on). So the check simulation must also repeat
        // exactly over its last periods before the drain, as the analytical network's extension
        // requires (`SteadyWindow.shift`), with a cycle of up to `longestCycle` base periods.
        // A periodic state can also be unstable: rounding grows by a factor each period until
        // the timeline leaves it for a slower one (DeepSeek-V2, TP 4 PP 4 EP 4 under DualPipe with
        // ZeRO-3 on 128 CloudMatrix384 NPUs: exact to 1e-12 up to about 80 micro-batches a
        // direction, 0.015 % slower a period from about 100, whatever the count). So the line
        // must hold at twice the check as well; where it does not, the timeline may still settle,
        // and the line is looked for again from the longer check on. A step shorter than twice the
        // check is simulated in full (it costs about as much as the five simulations).
        while !full {
            let later = base + q * ((3 * base + q - 1) / q)
            guard later < m, let check = flowCheckWindow(microBatches: m, around: later), check.microBatches > base + 2 * q,
                  let twice = flowCheckWindow(microBatches: m, around: 2 * later), twice.microBatches > check.microBatches,
                  2 * twice.microBatches <= m else { break }
            let a = simulate(microBatches: base, optimizer: opt)
            let b = simulate(microBatches: base + q, optimizer: opt)
            let c = simulate(microBatches: base + 2 * q, optimizer: opt)
            // The stage shown must still be the busiest at the real count: two stages whose
            // compute differs by 1e-4 can trade places hundreds of micro-batches on (DeepSeek-V2,
            // TP 8 CP 2 PP 4 under DualPipe on 64 H800s, 4,096 micro-batches: the third stage
            // passes the second), and the report would show the other stage's breakdown.
            let extended = TimelineSummary.extrapolate(a.summary, b.summary, Double(m - base) / Double(q))
            if a.graph.requests == c.graph.requests, TimelineSummary.isLinear(a.summary, b.summary, c.summary), extended.showsTheBusiestStage,
               flowLineHolds(a, b, base: base, at: check, microBatches: m, optimizer: opt),
               flowLineHolds(a, b, base: base, at: twice, microBatches: m, optimizer: opt) {
                return TimelineRun(summary: extended, graph: c.graph, extended: true, cycle: q)
            }
            base = twice.microBatches + ((m - twice.microBatches) % q + q) % q
        }
        let s = simulate(microBatches: m, optimizer: opt, built: prebuilt(m))
        return TimelineRun(summary: s.summary, graph: s.graph, extended: false, cycle: 0)
    }

    /// Whether the line through `a` and `b` (simulated at `base` and one period more) holds at the
    /// check window: simulated there, its collectives are the line's and its periods repeat and
    /// agree with the line's prediction, over the periods the line carries the step past it.
    private func flowLineHolds(_ a: SimulatedStep, _ b: SimulatedStep, base: Int, at check: SteadyWindow,
                               microBatches m: Int, optimizer opt: [Double]) -> Bool {
        let q = steadyPeriod
        let d = simulate(microBatches: check.microBatches, optimizer: opt)
        let predicted = TimelineSummary.extrapolate(a.summary, b.summary, Double(check.microBatches - base) / Double(q))
        // As `extended` asks of a window: its periods agree, and the line's prediction to
        // 1e-9 of the step, over the periods the line carries the step past it (Llama 3 8B
        // under FSDP with ring CP on 32 H800s, 512 micro-batches: 1.7e-6 s).
        let beyond = max(1, Double(m - check.microBatches) / Double(q))
        let tolerance = Engine.periodTolerance(span: d.end.max() ?? 0, inserted: beyond)
        let repeats = (1...Engine.longestCycle).contains { k in
            check.reading(multiple: k)?.shift(graph: d.graph, start: d.start, end: d.end, tolerance: tolerance) != nil
        }
        return d.graph.requests == a.graph.requests && repeats && TimelineSummary.agrees(predicted, d.summary, tolerance: 1e-9 / beyond)
    }
}
