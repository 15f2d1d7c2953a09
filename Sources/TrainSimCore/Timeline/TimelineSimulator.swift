/// Runs a step's task graph as events: an operation starts when its dependencies and the
/// operation before it on its stream have ended; compute runs at the device's rate (slowed by
/// the SM share of overlapped collectives running beside it), collectives at the rate the links
/// give them while they share them (`LinkSharing`). Rates change only when an operation starts
/// or ends on the same stage; between such events every active operation progresses linearly.
struct TimelineSimulator {
    let g: TaskGraph
    let sharing: LinkSharing
    private(set) var start: [Double]
    private(set) var end: [Double]

    init(graph: TaskGraph, sharing: LinkSharing) {
        g = graph
        self.sharing = sharing
        start = [Double](repeating: 0, count: graph.count)
        end = [Double](repeating: 0, count: graph.count)
    }

    mutating func run() {
        let n = g.count
        // Successors, compressed.
        var succStart = [Int32](repeating: 0, count: n + 1)
        for d in g.deps { succStart[Int(d) + 1] += 1 }
        for i in 0..<n { succStart[i + 1] += succStart[i] }
        var succ = [Int32](repeating: 0, count: g.deps.count)
        var fill = succStart
        var remaining = [Int32](repeating: 0, count: n)
        for i in 0..<n {
            let a = Int(g.depStart[i]), b = Int(g.depStart[i + 1])
            remaining[i] = Int32(b - a)
            for j in a..<b {
                let d = Int(g.deps[j])
                succ[Int(fill[d])] = Int32(i)
                fill[d] += 1
            }
        }
        var left = [Double](repeating: 0, count: n)
        var rate = [Double](repeating: 1, count: n)
        var since = [Double](repeating: 0, count: n)
        var version = [UInt32](repeating: 0, count: n)
        let stages = g.stages
        var comms = [[Int32]](repeating: [], count: stages)
        var computing = [Int32](repeating: -1, count: stages)
        var computeRate = [Double](repeating: 1, count: stages)
        var heap = EventHeap(capacity: n)
        var rates: [Double] = []
        var start = self.start, end = self.end

        func reshare(_ s: Int, _ t: Double) {
            let active = comms[s]
            for op in active {
                let i = Int(op)
                left[i] -= rate[i] * (t - since[i]); since[i] = t
            }
            if computing[s] >= 0 {
                let i = Int(computing[s])
                left[i] -= rate[i] * (t - since[i]); since[i] = t
            }
            sharing.rates(active, into: &rates)
            var sm = 0.0
            for (k, op) in active.enumerated() {
                let i = Int(op)
                rate[i] = max(rates[k], 1e-9)
                sm = max(sm, g.smShare[i])
                version[i] &+= 1
                heap.push(.init(time: t + max(0, left[i]) / rate[i], op: op, version: version[i]))
            }
            let cr = 1 - sm
            computeRate[s] = cr
            if computing[s] >= 0 {
                let i = Int(computing[s])
                if rate[i] != cr {
                    rate[i] = cr
                    version[i] &+= 1
                    heap.push(.init(time: t + max(0, left[i]) / cr, op: Int32(i), version: version[i]))
                }
            }
        }

        func begin(_ i: Int, _ t: Double) {
            start[i] = t
            left[i] = g.work[i]
            since[i] = t
            let s = Int(g.stage[i])
            if g.work[i] <= 0 {
                heap.push(.init(time: t, op: Int32(i), version: version[i]))
            } else if g.category[i].isComm {
                comms[s].append(Int32(i))
                reshare(s, t)
            } else {
                computing[s] = Int32(i)
                rate[i] = computeRate[s]
                heap.push(.init(time: t + left[i] / rate[i], op: Int32(i), version: version[i]))
            }
        }

        for i in 0..<n where remaining[i] == 0 { begin(i, 0) }
        while !heap.isEmpty {
            let ev = heap.pop()
            let i = Int(ev.op)
            guard ev.version == version[i] else { continue }
            version[i] &+= 1
            let t = ev.time
            end[i] = t
            let s = Int(g.stage[i])
            if g.work[i] > 0 {
                if g.category[i].isComm {
                    if let k = comms[s].firstIndex(of: Int32(i)) { comms[s].remove(at: k) }
                    reshare(s, t)
                } else if computing[s] == Int32(i) {
                    computing[s] = -1
                }
            }
            for j in Int(succStart[i])..<Int(succStart[i + 1]) {
                let k = Int(succ[j])
                remaining[k] -= 1
                if remaining[k] == 0 { begin(k, t) }
            }
        }
        self.start = start
        self.end = end
    }
}
