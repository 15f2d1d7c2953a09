import Foundation
import HeapModule

/// One rank's share of a search: the best plans and the front of what it simulated, and counts.
public struct SearchState: Sendable {
    public var best: TopPlans
    public var front = Pareto.Front()
    /// With more than one cluster (a `cluster.topology` or `cluster.devices` list in
    /// `search.space`), the best plan on each cluster, by cluster index; empty otherwise.
    public var perCluster: [TopPlans] = []
    public var evaluated = 0, pruned = 0, invalid = 0, outOfMemory = 0

    public init(_ s: PlanSearch) {
        best = TopPlans(capacity: s.top, byCost: s.objective == .cost)
        if s.clusters.count > 1 { perCluster = s.clusters.map { _ in TopPlans(capacity: 1, byCost: s.objective == .cost) } }
    }

    /// Candidates kept by the closed form whose tighter bound (`PlanSearch.tightBound`) lies above
    /// it, waiting until the search order reaches that bound; by bound, then id.
    private var deferred = Heap<Deferred>()

    struct Deferred: Comparable, Sendable {
        var key: Double, id: Int, seconds: Double, cost: Double
        static func < (a: Deferred, b: Deferred) -> Bool { (a.key, a.id) < (b.key, b.id) }
    }

    /// Tries the candidate at `position` of the search order, unless it cannot be in the answer.
    /// Plans are ranked by their `reported` figures; the bound is rounded the same way, which keeps
    /// it below them (rounding is monotone), so pruning still never drops a plan of the answer.
    ///
    /// The order is by the closed form's bound. A candidate that it keeps and whose tighter bound is
    /// higher waits until the order reaches that bound (`deferred`): by then the plans simulated
    /// meanwhile may prune it. Without this, a slow plan whose closed form is loose (DualPipe over 64
    /// stages and 512 micro-batches, a second of simulation each) is simulated early, while the
    /// best N are still unknown. Call `finish` after the last position: it tries what still waits.
    public mutating func consider(position: Int, in s: PlanSearch, pruning: Bool = true) {
        let id = s.order[position]
        guard pruning else { return simulate(id, in: s) }
        let loose = s.objectiveBound(id)
        let key = objectiveKey(loose, in: s)
        flush(upTo: key, in: s)
        // The closed form first; the schedule's passes only for a candidate it keeps.
        if prunes(loose, id, in: s) { pruned += 1; return }
        let tight = s.tightBound(id)
        if prunes(tight, id, in: s) { pruned += 1; return }
        let tightKey = objectiveKey(tight, in: s)
        if tightKey > key {
            deferred.insert(Deferred(key: tightKey, id: id, seconds: tight.seconds, cost: tight.cost))
        } else {
            simulate(id, in: s)
        }
    }

    /// The search as one walk, for a caller that simulates elsewhere (`SearchOverMPI`): the next
    /// candidate to simulate, or nil when none is left. It goes through the order as `consider`
    /// does (pruning and deferring as it goes) and stops at each candidate to simulate; the
    /// caller hands its outcome to `record`. A deferred candidate comes before the order's next
    /// one whose bound is higher, and after the order, what still waits.
    public mutating func next(in s: PlanSearch, pruning: Bool = true) -> Int? {
        while true {
            if cursor < s.order.count {
                let id = s.order[cursor]
                guard pruning else { cursor += 1; return id }
                let loose = s.objectiveBound(id)
                let key = objectiveKey(loose, in: s)
                if let d = deferred.min, d.key <= key {
                    _ = deferred.popMin()
                    if prunes((d.seconds, d.cost), d.id, in: s) { pruned += 1; continue }
                    return d.id
                }
                cursor += 1
                if prunes(loose, id, in: s) { pruned += 1; continue }
                let tight = s.tightBound(id)
                if prunes(tight, id, in: s) { pruned += 1; continue }
                let tightKey = objectiveKey(tight, in: s)
                if tightKey > key {
                    deferred.insert(Deferred(key: tightKey, id: id, seconds: tight.seconds, cost: tight.cost))
                    continue
                }
                return id
            }
            guard let d = deferred.popMin() else { return nil }
            if prunes((d.seconds, d.cost), d.id, in: s) { pruned += 1; continue }
            return d.id
        }
    }

    /// Positions of the order `next` has gone past.
    public private(set) var cursor = 0

    /// Tries every candidate still waiting (see `consider`); the state is complete after it.
    public mutating func finish(in s: PlanSearch) { flush(upTo: .infinity, in: s) }

    /// Whether every candidate considered has been tried (`finish` has run since the last `consider`).
    public var isFinished: Bool { deferred.isEmpty }

    private mutating func flush(upTo key: Double, in s: PlanSearch) {
        while let next = deferred.min, next.key <= key {
            _ = deferred.popMin()
            if prunes((next.seconds, next.cost), next.id, in: s) { pruned += 1 } else { simulate(next.id, in: s) }
        }
    }

    private func objectiveKey(_ bound: (seconds: Double, cost: Double), in s: PlanSearch) -> Double {
        s.objective == .time ? bound.seconds : bound.cost
    }

    /// Whether a plan with this bound cannot enter the best N (overall, or on its cluster) and is
    /// dominated on time and cost by a plan already simulated.
    private func prunes(_ bound: (seconds: Double, cost: Double), _ id: Int, in s: PlanSearch) -> Bool {
        let (t, c) = (Analysis.round(bound.seconds), Analysis.round(bound.cost))
        let key = s.objective == .time ? t : c
        return key > best.threshold && front.dominates(t, c) && (perCluster.isEmpty || key > perCluster[s.candidates[id].cluster].threshold)
    }

    private mutating func simulate(_ id: Int, in s: PlanSearch) { record(id, s.evaluate(id), in: s) }

    /// Counts a candidate's outcome and adds its plan (its `reported` figures) to the answer.
    public mutating func record(_ id: Int, _ outcome: PlanSearch.Outcome, in s: PlanSearch) {
        switch outcome {
        case .invalid: invalid += 1
        case .outOfMemory: outOfMemory += 1
        case let .scored(p):
            evaluated += 1
            best.insert(p.reported)
            front.insert(p.reported)
            if !perCluster.isEmpty { perCluster[s.candidates[id].cluster].insert(p.reported) }
        }
    }

    /// The state as numbers, to send between ranks: 4 counts, the number of per-cluster plans,
    /// then (id, seconds, cost) per plan, the per-cluster ones first.
    public var packed: [Double] {
        precondition(isFinished, "a search state sent before finish(in:)")
        let mine = perCluster.flatMap(\.plans)
        var out = [Double(evaluated), Double(pruned), Double(invalid), Double(outOfMemory), Double(mine.count)]
        for p in mine + best.plans + front.plans { out += [Double(p.id), p.seconds, p.cost] }
        return out
    }

    /// Merges states packed by every rank.
    public init(merging packs: [[Double]], search s: PlanSearch) {
        self.init(s)
        for pack in packs where pack.count >= 5 {
            evaluated += Int(pack[0]); pruned += Int(pack[1]); invalid += Int(pack[2]); outOfMemory += Int(pack[3])
            var i = 5
            for _ in 0..<Int(pack[4]) where i + 2 < pack.count {
                let p = ScoredPlan(id: Int(pack[i]), seconds: pack[i + 1], cost: pack[i + 2])
                if !perCluster.isEmpty { perCluster[s.candidates[p.id].cluster].insert(p) }
                i += 3
            }
            while i + 2 < pack.count {
                let p = ScoredPlan(id: Int(pack[i]), seconds: pack[i + 1], cost: pack[i + 2])
                if !best.plans.contains(where: { $0.id == p.id }) { best.insert(p) }
                front.insert(p)
                i += 3
            }
        }
    }

    /// The time-cost Pareto front, fastest first.
    public var paretoFront: [ScoredPlan] { Pareto.front(front.plans) }

    /// The front's points, fastest first, each with every plan that gives it (by id).
    public var paretoGroups: [[ScoredPlan]] {
        paretoFront.map { point in
            var seen = Set<Int>()
            return front.plans.filter { $0.seconds == point.seconds && $0.cost == point.cost && seen.insert($0.id).inserted }
                .sorted { $0.id < $1.id }
        }
    }
}
