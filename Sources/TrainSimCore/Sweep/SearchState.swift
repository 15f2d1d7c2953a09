import Foundation
import HeapModule

/// A search as it runs: where it is in the order, the candidates waiting, and the best plans,
/// the front and the counts of what it simulated.
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

    /// The next candidate to simulate, or nil when none is left (the search is then complete);
    /// the caller simulates it (`PlanSearch.evaluate`) and hands the outcome to `record`, at once
    /// or later (`SearchOverMPI` hands candidates to other ranks and records what they return).
    ///
    /// Candidates come in the order of their closed-form bound (`PlanSearch.order`). One that
    /// cannot be in the answer is pruned: the closed form first, the schedule's passes
    /// (`PlanSearch.tightBound`) for one it keeps. Plans are ranked by their `reported` figures;
    /// the bound is rounded the same way, which keeps it below them (rounding is monotone), so
    /// pruning never drops a plan of the answer, whatever has been recorded when it prunes.
    ///
    /// A candidate whose tighter bound lies above its closed form waits (`deferred`) until the
    /// order reaches that bound: by then the plans simulated meanwhile may prune it. Without this,
    /// a slow plan whose closed form is loose (DualPipe over 64 stages and 512 micro-batches, a
    /// second of simulation) was simulated early, while the best N were still unknown.
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
            guard let d = deferred.popMin() else { isComplete = true; return nil }
            if prunes((d.seconds, d.cost), d.id, in: s) { pruned += 1; continue }
            return d.id
        }
    }

    /// Positions of the order `next` has gone past.
    public private(set) var cursor = 0
    /// Whether `next` has returned nil: every candidate was handed out or pruned.
    public private(set) var isComplete = false

    /// The whole search on this thread: every candidate `next` hands out, simulated and recorded.
    /// `progress` is told how many positions of the order each step went past.
    public static func complete(_ s: PlanSearch, pruning: Bool = true, progress: (Int) -> Void = { _ in }) -> SearchState {
        var state = SearchState(s)
        var passed = 0
        while let id = state.next(in: s, pruning: pruning) {
            state.record(id, s.evaluate(id), in: s)
            progress(state.cursor - passed)
            passed = state.cursor
        }
        progress(state.cursor - passed)
        return state
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
