/// The operations of one training step and what each waits for, as flat arrays (structure of
/// arrays): one entry per compute kernel group or collective, on a stream of a pipeline stage.
/// An operation starts when every dependency has ended and the operation before it on its
/// stream has ended; the timeline decides when that is.
/// `@unchecked Sendable`: besides its arrays, a graph holds its columns under construction
/// (`GraphColumns`) behind a raw pointer until `finalize`; graphs cross threads only finalized.
struct TaskGraph: @unchecked Sendable {
    /// What an operation is, for the report's breakdown.
    enum Category: UInt8, Sendable, CaseIterable {
        case compute, optimizer, tp, cp, ep, pp, dp
        var label: String { ["compute", "optimizer", "tp", "cp", "ep", "pp", "dp"][Int(rawValue)] }
        var isComm: Bool { rawValue >= Category.tp.rawValue }
    }

    /// The streams of one stage: one compute stream, one per communication kind.
    enum Stream: Int32, Sendable, CaseIterable {
        /// `dpReplica`: with hybrid sharding, the all-reduce of each reduced shard across the
        /// replicas, on its own stream beside the next reduce-scatters and gathers (PyTorch HSDP's
        /// all-reduce stream, torch/distributed/fsdp/_fully_shard/_fsdp_param_group.py; Megatron-Core's
        /// distributed-optimizer instances, megatron/core/distributed/param_and_grad_buffer.py).
        case compute, tp, cp, ep, ppForward, ppBackward, dpReduce, dpGather, dpReplica
        var name: String { ["compute", "tp comm", "cp comm", "ep comm", "pp send (activations)", "pp send (gradients)",
                            "dp grad reduce", "dp param gather", "dp replica all-reduce"][Int(rawValue)] }
    }
    static let streamsPerStage = Int32(Stream.allCases.count)

    var stage: [Int32] = []
    var stream: [Int32] = []
    var category: [Category] = []
    /// Seconds the operation takes alone (at full rate).
    var work: [Double] = []
    /// Collective index into `requests` (-1 for compute).
    var request: [Int32] = []
    /// Share of the device's compute throughput the collective takes while it runs (0 for most).
    var smShare: [Double] = []
    /// What the trace names: layer (-1 none), micro-batch (-1 none), virtual stage, name index.
    var layer: [Int32] = [], microBatch: [Int32] = [], virtualStage: [Int32] = [], name: [UInt16] = []
    /// Identical layers the operation stands for (its calls, for a collective).
    var layers: [Int32] = []
    /// Dependencies, compressed: the dependencies of op i are deps[depStart[i]..<depStart[i+1]]
    /// (set by `finalize`).
    var depStart: [Int32] = []
    var deps: [Int32] = []
    /// Distinct collectives, with their cost alone and their share of time on each network tier.
    var requests: [CollectiveRequest] = []
    var requestCost: [CollectiveCost] = []
    var requestTiers: [[(tier: Int, share: Double)]] = []
    var tierNames: [String] = []
    /// Names of operations (the trace's labels), indexed by `name`.
    var names: [String] = []
    private var nameIndex: [String: UInt16] = [:]
    /// The last operation on each stream (stage x streamsPerStage + stream), once finalized.
    private var lastOnStream: [Int32] = []
    let stages: Int

    init(stages: Int) {
        self.stages = stages
    }

    /// The operations while the graph is built (nil once finalized, and before the first `add`).
    private var owner: GraphColumnsOwner?
    private var columns: UnsafeMutablePointer<GraphColumns>?
    /// While the graph is built: the last operation on each stream (in the columns' owner).
    private var lastWhileBuilding: UnsafeMutablePointer<Int32>?

    /// Operations added (the per-field arrays hold them once `finalize` has run).
    private(set) var count = 0

    /// The columns under construction, made on first use with room for `ops` operations.
    @inline(__always)
    private mutating func columnsForAdding(_ ops: Int = 1024) -> UnsafeMutablePointer<GraphColumns> {
        if let c = columns { return c }
        let o = GraphColumnsOwner(capacity: ops, streams: stages * Int(TaskGraph.streamsPerStage))
        owner = o
        columns = o.columns
        lastWhileBuilding = o.lastOnStream
        return o.columns
    }

    /// Reserves room for about `ops` operations, so that building a large step does not copy its
    /// columns as they grow (room never written is never touched, so a generous hint costs little).
    mutating func reserve(ops n: Int) {
        _ = columnsForAdding(n)
    }

    mutating func nameID(_ s: String) -> UInt16 {
        if let i = nameIndex[s] { return i }
        let i = UInt16(names.count)
        names.append(s)
        nameIndex[s] = i
        return i
    }

    @inline(__always)
    private func appendDependency(_ c: UnsafeMutablePointer<GraphColumns>, _ x: Int32) {
        if c.pointee.depCount == c.pointee.depCapacity { c.pointee.growDeps() }
        (c.pointee.deps + c.pointee.depCount).initialize(to: x)
        c.pointee.depCount += 1
    }

    /// Adds an operation after the last one on its stream; returns its index.
    @discardableResult
    mutating func add(stage s: Int, stream st: Stream, category c: Category, work w: Double, request r: Int32 = -1,
                      smShare sm: Double = 0, deps d: [Int32], layer l: Int = -1, layers k: Int32 = 1, microBatch mb: Int = -1, virtualStage vs: Int = -1,
                      name n: UInt16) -> Int32 {
        let cp = columnsForAdding()
        if cp.pointee.count == cp.pointee.capacity { cp.pointee.grow() }
        let col = cp.pointee, i = col.count
        let id = Int32(i)
        let slot = s * Int(TaskGraph.streamsPerStage) + Int(st.rawValue)
        (col.work + i).initialize(to: max(0, w)); (col.smShare + i).initialize(to: sm)
        (col.stage + i).initialize(to: Int32(s)); (col.stream + i).initialize(to: Int32(slot)); (col.request + i).initialize(to: r)
        (col.layer + i).initialize(to: Int32(l)); (col.layers + i).initialize(to: k)
        (col.microBatch + i).initialize(to: Int32(mb)); (col.virtualStage + i).initialize(to: Int32(vs))
        (col.name + i).initialize(to: n); (col.category + i).initialize(to: c)
        cp.pointee.count = i + 1
        count = i + 1
        let last = lastWhileBuilding!
        let prev = last[slot]
        lastStart = col.depCount
        (col.depStart + i).initialize(to: Int32(lastStart))
        if prev >= 0 { appendDependency(cp, prev) }
        for x in d where x >= 0 && x != prev { appendDependency(cp, x) }
        last[slot] = id
        return id
    }

    /// Where the last operation added starts in `deps`.
    private var lastStart = 0

    /// Adds a dependency to an operation already added (only to the last one added).
    mutating func addDependency(_ x: Int32) {
        guard x >= 0, let cp = columns else { return }
        let n = cp.pointee.depCount
        if n > lastStart, cp.pointee.deps[n - 1] == x { return }
        appendDependency(cp, x)
    }

    /// Registers a collective; returns its index.
    mutating func register(_ r: CollectiveRequest, cost: CollectiveCost) -> Int32 {
        let id = Int32(requests.count)
        requests.append(r)
        requestCost.append(cost)
        // A tier's share is the part of the collective's time alone during which it keeps the tier
        // busy: phases that run one after another (a hierarchical ring) split the time, phases that
        // run together (an all-to-all's NVLink and network parts) each keep theirs for as long as
        // they last. So a tier carries the same traffic however its collectives share it.
        var tiers: [(Int, Double)] = []
        let alone = cost.seconds
        if alone > 0 {
            for k in cost.perTier.keys.sorted() where cost.perTier[k]! > 0 {
                let t: Int
                if let i = tierNames.firstIndex(of: k) { t = i } else { t = tierNames.count; tierNames.append(k) }
                tiers.append((t, min(1, cost.perTier[k]! / alone)))
            }
        }
        requestTiers.append(tiers)
        return id
    }

    /// Dependencies on operations added later (the next stage's transfers), merged by `finalize`.
    private var extra: [(Int32, Int32)] = []

    /// In the order of their operations (the builder adds them as it adds the operations), so
    /// that `finalize` merges them in one pass.
    mutating func extraDependency(_ op: Int32, _ dep: Int32) {
        precondition(extra.last.map { $0.0 <= op } ?? true, "dependencies added out of order must come in the order of their operations")
        extra.append((op, dep))
    }

    /// Turns the columns under construction into the per-field arrays and merges the dependencies
    /// added out of order into the compressed arrays. Run once, when the graph is complete.
    mutating func finalize() {
        guard let cp = columns else {
            if depStart.count == count { depStart.append(Int32(deps.count)) }
            return
        }
        let col = cp.pointee, n = col.count
        // One block copy per column (`Array(UnsafeBufferPointer)` copies element by element).
        func array<T>(_ p: UnsafeMutablePointer<T>, _ k: Int) -> [T] {
            [T](unsafeUninitializedCapacity: k) { out, filled in
                if k > 0 { out.baseAddress!.initialize(from: p, count: k) }
                filled = k
            }
        }
        stage = array(col.stage, n); stream = array(col.stream, n); category = array(col.category, n)
        work = array(col.work, n); request = array(col.request, n); smShare = array(col.smShare, n)
        layer = array(col.layer, n); layers = array(col.layers, n); microBatch = array(col.microBatch, n)
        virtualStage = array(col.virtualStage, n); name = array(col.name, n)
        lastOnStream = array(lastWhileBuilding!, stages * Int(TaskGraph.streamsPerStage))
        col.depStart[n] = Int32(col.depCount)
        if extra.isEmpty {
            depStart = array(col.depStart, n + 1)
            deps = array(col.deps, col.depCount)
        } else {
            // Each operation's own dependencies, then those added out of order, in the order they
            // were added. Between operations with such additions the layout only shifts: their
            // dependencies are copied as one block and their starts moved by the additions so far.
            let ds = col.depStart, dp = col.deps
            let total = col.depCount + extra.count
            var out: [Int32] = []
            depStart = [Int32](unsafeUninitializedCapacity: n + 1) { st, filledStarts in
                out = [Int32](unsafeUninitializedCapacity: total) { o, filled in
                    let base = o.baseAddress!
                    var shift: Int32 = 0, i = 0, e = 0
                    /// Operations i...last keep their dependencies, shifted by the additions so far.
                    func copy(through last: Int) {
                        for k in i...last { st[k] = ds[k] + shift }
                        let from = Int(ds[i]), to = Int(ds[min(last + 1, n)])
                        if to > from { (base + from + Int(shift)).initialize(from: dp + from, count: to - from) }
                    }
                    while e < extra.count {
                        let op = Int(extra[e].0)
                        copy(through: op)
                        while e < extra.count, Int(extra[e].0) == op {
                            (base + Int(ds[op + 1]) + Int(shift)).initialize(to: extra[e].1)
                            shift += 1; e += 1
                        }
                        i = op + 1
                    }
                    copy(through: n)
                    filled = total
                }
                filledStarts = n + 1
            }
            deps = out
            extra.removeAll()
        }
        owner = nil; columns = nil; lastWhileBuilding = nil
    }

    func last(stage s: Int, stream st: Stream) -> Int32 {
        let slot = s * Int(TaskGraph.streamsPerStage) + Int(st.rawValue)
        if let b = lastWhileBuilding { return b[slot] }
        return lastOnStream.isEmpty ? -1 : lastOnStream[slot]
    }
}
