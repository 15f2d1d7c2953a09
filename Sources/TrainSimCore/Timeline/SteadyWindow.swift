/// Reading a step's steady state off one simulation. Past the pipeline's fill and before its
/// drain, every further period of micro-batches (`q`: one, a group of `pp` for the interleaved
/// schedule, one per direction for DualPipe, or a multiple `k` of that where the timeline
/// repeats only every k of them) adds the same operations in the same pattern. The step is
/// simulated with `microBatches` (N): a fill's worth of micro-batches, three periods, and a
/// drain's worth. If the operations of the three periods' micro-batches repeat on every stream
/// of every stage, each period shifted by the same time Δ, the timeline is periodic there, and a
/// step of N + x·q micro-batches is this one with x more periods inserted: Δ longer per period,
/// and each part of the breakdown longer by what the middle period's operations contributed
/// (`TimelineSummary`'s `repeating`).
///
/// Some timelines repeat only every k base periods: where a shared resource paces the stages, they
/// settle into a cycle of several micro-batches (DeepSeek-V3 with TP 2 under DualPipe on a fabric
/// oversubscribed 2:1 repeats every 2 per direction; ZeRO-3 plans that gathered every layer in
/// every micro-batch repeated every 6). A window with room for three periods of up to `lookahead`
/// base periods is read for each k in turn (`reading(multiple:)`), with its three periods placed
/// just before the drain.
struct SteadyWindow {
    /// Micro-batches simulated.
    let microBatches: Int
    /// Micro-batches per period, over all directions.
    let q: Int
    /// Micro-batches per period in each direction, and the directions (DualPipe: 1 and 2).
    private let perDirection: Int, directions: Int
    /// The schedule's own period per direction (`period(schedule:...)`); `perDirection` is a multiple of it.
    private let base: Int
    /// The first micro-batch of the first period, counted within its direction.
    private let first: Int
    /// Micro-batches per direction in the simulation, and those after the three periods.
    private let span: Int, drain: Int
    /// Micro-batches in the real step, and the fill before any period may start (per direction).
    private let total: Int, fill: Int

    /// nil when the schedule cannot be extended this way for `m` micro-batches (too few of them,
    /// or DualPipe with an odd count).
    /// `settle` multiplies the fill: a second, longer try for timelines that settle slowly.
    /// `multiple`: the period in base periods; `lookahead` (at least `multiple`): base periods
    /// of room for three periods, the periods placed last (a window to read several multiples off).
    init?(schedule: PipelineSchedule, pp: Int, vpp: Int, group: Int, microBatches m: Int, settle: Int = 1,
          multiple k: Int = 1, lookahead: Int = 1) {
        guard schedule != .dualpipe || m % 2 == 0 else { return nil }
        let (fill, drain) = Self.ends(schedule: schedule, pp: pp, group: group)
        let (base, directions) = Self.period(schedule: schedule, pp: pp, vpp: vpp, group: group)
        self.base = base
        self.directions = directions
        self.drain = drain
        self.fill = fill * settle
        perDirection = base * k
        q = perDirection * directions
        first = self.fill + 3 * base * (max(lookahead, k) - k)
        var n = first + 3 * perDirection + drain
        // Whole periods between the simulated count and the real one, in each direction.
        let real = m / directions
        n += ((real - n) % perDirection + perDirection) % perDirection
        span = n
        total = m
        microBatches = n * directions
        guard m > microBatches else { return nil }
    }

    private init(reading w: SteadyWindow, multiple k: Int) {
        microBatches = w.microBatches; directions = w.directions; base = w.base
        span = w.span; drain = w.drain; total = w.total; fill = w.fill
        perDirection = w.base * k
        q = perDirection * directions
        first = span - drain - 3 * perDirection
    }

    /// This simulation read with a period of k base periods, its three periods ending where the
    /// drain begins; nil where they would start within the fill.
    func reading(multiple k: Int) -> SteadyWindow? {
        let w = SteadyWindow(reading: self, multiple: k)
        return w.first >= fill ? w : nil
    }

    /// Whether the real step is this simulation with whole periods inserted.
    var extendsToTheStep: Bool { (total / directions - span) % perDirection == 0 }

    /// Micro-batches per direction before the periods (`fill`: the pipeline's fill, and the
    /// transient after it to settle) and after them (`drain`: so that the periods' last backward
    /// passes still run beside later forward passes). Too few of either shows as periods that do
    /// not repeat.
    static func ends(schedule: PipelineSchedule, pp: Int, group: Int) -> (fill: Int, drain: Int) {
        switch schedule {
        case .dualpipe:
            // Two directions of m/2 micro-batches; where overlapped traffic slows the compute
            // beside it, the waits settle geometrically, to rounding after about 2 pp each.
            // A drain of pp per direction is enough for the periods' last backward passes to run
            // beside later forward passes (pp / 2 is not: the third period then differs); 2 pp
            // was the first length tried. Measured (callgrind): the shipped DeepSeek-V3 step
            // (120 micro-batches) now fits the window, and the DeepSeek-V3 search runs 6 % fewer
            // instructions, its output unchanged.
            return (2 * pp, pp)
        case .interleaved:
            // A rank's warm-up runs 2(pp - 1) + (vpp - 1) g chunks (g: the micro-batch group, pp
            // by default), all of micro-batches below pp + g; the waits settle within about one
            // more pp (measured on 4 to 16 stages, vpp 1 to 4, with g = pp).
            return (2 * pp + group, 2 * pp)
        case .oneFOneB:
            // A rank's warm-up runs fewer than pp forward passes.
            return (pp, pp)
        case .zeroBubble:
            // ZB-H1's weight passes trail its backward passes by the warm-up again, and the
            // stages settle to one rate within about pp more micro-batches (measured on 4 stages).
            return (2 * pp, 2 * pp)
        }
    }

    /// The most base periods a window may hold three of and still simulate at most `share` of
    /// the step's m micro-batches (at least 0).
    static func room(schedule: PipelineSchedule, pp: Int, vpp: Int, group: Int, microBatches m: Int, share: Double) -> Int {
        let (fill, drain) = ends(schedule: schedule, pp: pp, group: group)
        let (base, directions) = period(schedule: schedule, pp: pp, vpp: vpp, group: group)
        let budget = Int(share * Double(m / directions)) - fill - drain
        return max(0, budget / (3 * base))
    }

    /// The micro-batches by which a schedule's steady state repeats, per direction, and its
    /// directions: a micro-batch group (pp unless the plan sets it) for Megatron's interleaved
    /// order, one per direction for DualPipe.
    static func period(schedule: PipelineSchedule, pp: Int, vpp: Int, group: Int) -> (perDirection: Int, directions: Int) {
        switch schedule {
        case .dualpipe: return (1, 2)
        case .interleaved: return (vpp > 1 ? group : 1, 1)
        case .oneFOneB, .zeroBubble: return (1, 1)
        }
    }

    /// Which of the three periods micro-batch `label` belongs to (0, 1, 2), or -1.
    func period(of label: Int32) -> Int {
        let l = Int(label)
        guard l >= 0, l < microBatches else { return -1 }
        let j = l % span - first
        return j >= 0 && j < 3 * perDirection ? j / perDirection : -1
    }

    /// Δ, the time by which each period's operations follow the previous period's, if every
    /// stream of every stage repeats the same operations shifted by the same Δ over the three
    /// periods (to `tolerance` seconds); nil otherwise.
    func shift(graph g: TaskGraph, start: [Double], end: [Double], tolerance: Double) -> Double? {
        let slots = g.stages * Int(TaskGraph.streamsPerStage)
        var lists = [[Int32]](repeating: [], count: 3 * slots)
        let of = periods
        for i in 0..<g.count {
            let l = Int(g.microBatch[i])
            guard l >= 0, l < microBatches else { continue }
            let w = Int(of[l])
            if w >= 0 { lists[Int(g.stream[i]) * 3 + w].append(Int32(i)) }
        }
        var delta = Double.nan
        for s in 0..<slots {
            let a = lists[3 * s], b = lists[3 * s + 1], c = lists[3 * s + 2]
            guard a.count == b.count, b.count == c.count else { return nil }
            for k in a.indices {
                let i0 = Int(a[k]), i1 = Int(b[k]), i2 = Int(c[k])
                guard g.work[i0] == g.work[i1], g.work[i1] == g.work[i2], g.name[i0] == g.name[i1], g.name[i1] == g.name[i2],
                      g.layer[i0] == g.layer[i1], g.virtualStage[i0] == g.virtualStage[i1], g.category[i0] == g.category[i1]
                else { return nil }
                if delta.isNaN { delta = start[i1] - start[i0] }
                let off = max(abs(start[i1] - start[i0] - delta), abs(start[i2] - start[i1] - delta),
                              abs(end[i1] - end[i0] - delta), abs(end[i2] - end[i1] - delta))
                if off > tolerance { return nil }
            }
        }
        return delta.isNaN || delta <= 0 ? nil : delta
    }

    /// Per operation, how many times it counts in the extended step: 1 + x for the middle
    /// period's operations (x further periods like it), 1 for the others.
    func weights(graph g: TaskGraph, extraPeriods x: Double) -> [Double] {
        let of = periods
        return g.microBatch.map { l in l >= 0 && Int(l) < microBatches && of[Int(l)] == 1 ? 1 + x : 1 }
    }

    /// `period(of:)` of every micro-batch label, looked up per operation rather than divided.
    private var periods: [Int8] { (0..<microBatches).map { Int8(period(of: Int32($0))) } }
}
