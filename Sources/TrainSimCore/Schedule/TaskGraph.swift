/// The operations of one training step and what each waits for, as flat arrays (structure of
/// arrays): one entry per compute kernel group or collective, on a stream of a pipeline stage.
/// An operation starts when every dependency has ended and the operation before it on its
/// stream has ended; the timeline decides when that is.
struct TaskGraph: Sendable {
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
    /// Dependencies, compressed: the dependencies of op i are deps[depStart[i]..<depStart[i+1]].
    /// While the graph is built it holds each operation's start only; `finalize` adds the end.
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
    /// The last operation on each stream (stage x streamsPerStage + stream).
    private var lastOnStream: [Int32]
    let stages: Int

    init(stages: Int) {
        self.stages = stages
        lastOnStream = [Int32](repeating: -1, count: stages * Int(TaskGraph.streamsPerStage))
    }

    /// One operation as `add` records it. The per-field arrays above are laid out from these by
    /// `finalize`: one append per operation while a step is built, rather than one per field.
    /// Widest fields first: 48 bytes a record (in the order of the arrays above, padding made it 64).
    private struct Record {
        var work: Double, smShare: Double
        var stage: Int32, stream: Int32, request: Int32
        var layer: Int32, layers: Int32, microBatch: Int32, virtualStage: Int32
        var name: UInt16, category: Category
    }
    private var records: [Record] = []

    /// Operations added (the per-field arrays hold them once `finalize` has run).
    private(set) var count = 0

    /// Reserves room for about `ops` operations, so that building a large step does not copy its
    /// arrays as they grow (room never written is never touched, so a generous hint costs little).
    mutating func reserve(ops n: Int) {
        records.reserveCapacity(n)
        depStart.reserveCapacity(n + 1); deps.reserveCapacity(3 * n)
    }

    mutating func nameID(_ s: String) -> UInt16 {
        if let i = nameIndex[s] { return i }
        let i = UInt16(names.count)
        names.append(s)
        nameIndex[s] = i
        return i
    }

    /// Adds an operation after the last one on its stream; returns its index.
    @discardableResult
    mutating func add(stage s: Int, stream st: Stream, category c: Category, work w: Double, request r: Int32 = -1,
                      smShare sm: Double = 0, deps d: [Int32], layer l: Int = -1, layers k: Int32 = 1, microBatch mb: Int = -1, virtualStage vs: Int = -1,
                      name n: UInt16) -> Int32 {
        let id = Int32(count)
        let slot = s * Int(TaskGraph.streamsPerStage) + Int(st.rawValue)
        records.append(Record(work: max(0, w), smShare: sm, stage: Int32(s), stream: Int32(slot), request: r,
                              layer: Int32(l), layers: k, microBatch: Int32(mb), virtualStage: Int32(vs), name: n, category: c))
        count += 1
        let prev = lastOnStream[slot]
        lastStart = deps.count
        depStart.append(Int32(lastStart))
        if prev >= 0 { deps.append(prev) }
        for x in d where x >= 0 && x != prev { deps.append(x) }
        lastOnStream[slot] = id
        return id
    }

    /// Where the last operation added starts in `deps`.
    private var lastStart = 0

    /// Adds a dependency to an operation already added (only to the last one added).
    mutating func addDependency(_ x: Int32) {
        guard x >= 0 else { return }
        let n = deps.count
        if n > lastStart, deps[n - 1] == x { return }
        deps.append(x)
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

    mutating func extraDependency(_ op: Int32, _ dep: Int32) { extra.append((op, dep)) }

    /// Lays the recorded operations out as the per-field arrays and merges the dependencies added
    /// out of order into the compressed arrays. Run once, when the graph is complete.
    mutating func finalize() {
        if depStart.count == count { depStart.append(Int32(deps.count)) }
        if !records.isEmpty {
            // One pass over the records (a large step's are megabytes: a pass per field would
            // read them eleven times), into raw columns that become the arrays.
            let n = records.count
            func column<T>(_: T.Type) -> UnsafeMutablePointer<T> { .allocate(capacity: n) }
            func array<T>(_ p: UnsafeMutablePointer<T>) -> [T] { [T](moving: p, count: n) }
            let st = column(Int32.self), sr = column(Int32.self), ca = column(Category.self), wo = column(Double.self)
            let rq = column(Int32.self), sm = column(Double.self), ly = column(Int32.self), lk = column(Int32.self)
            let mb = column(Int32.self), vs = column(Int32.self), nm = column(UInt16.self)
            records.withUnsafeBufferPointer { r in
                for i in 0..<n {
                    let x = r[i]
                    (st + i).initialize(to: x.stage); (sr + i).initialize(to: x.stream); (ca + i).initialize(to: x.category)
                    (wo + i).initialize(to: x.work); (rq + i).initialize(to: x.request); (sm + i).initialize(to: x.smShare)
                    (ly + i).initialize(to: x.layer); (lk + i).initialize(to: x.layers); (mb + i).initialize(to: x.microBatch)
                    (vs + i).initialize(to: x.virtualStage); (nm + i).initialize(to: x.name)
                }
            }
            stage = array(st); stream = array(sr); category = array(ca); work = array(wo); request = array(rq); smShare = array(sm)
            layer = array(ly); layers = array(lk); microBatch = array(mb); virtualStage = array(vs); name = array(nm)
            records = []
        }
        guard !extra.isEmpty else { return }
        let n = count
        var start = [Int32](repeating: 0, count: n + 1)
        var out: [Int32] = []
        // Raw buffers: this runs over every operation of every step a search or sweep simulates.
        depStart.withUnsafeBufferPointer { ds in
            deps.withUnsafeBufferPointer { dp in
                start.withUnsafeMutableBufferPointer { st in
                    for (op, _) in extra { st[Int(op) + 1] += 1 }
                    // Summed in a register: through memory, each step would wait for the last store.
                    var sum: Int32 = 0
                    for i in 0..<n { sum += st[i + 1] + (ds[i + 1] - ds[i]); st[i + 1] = sum }
                    out = [Int32](unsafeUninitializedCapacity: Int(st[n])) { o, filled in
                        var fill = [Int32](repeating: 0, count: n)
                        fill.withUnsafeMutableBufferPointer { f in
                            for i in 0..<n {
                                var k = Int(st[i])
                                for j in Int(ds[i])..<Int(ds[i + 1]) { (o.baseAddress! + k).initialize(to: dp[j]); k += 1 }
                                f[i] = Int32(k)
                            }
                            for (op, d) in extra { (o.baseAddress! + Int(f[Int(op)])).initialize(to: d); f[Int(op)] += 1 }
                        }
                        filled = Int(st[n])
                    }
                }
            }
        }
        deps = out
        depStart = start
        extra.removeAll()
    }

    func last(stage s: Int, stream st: Stream) -> Int32 { lastOnStream[s * Int(TaskGraph.streamsPerStage) + Int(st.rawValue)] }
}
