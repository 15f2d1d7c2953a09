/// A simulated plan reduced to what a search ranks it by.
public struct ScoredPlan: Sendable, Equatable {
    /// The candidate's number in enumeration order (ties break on it, so results never depend on evaluation order).
    public var id: Int
    /// Seconds per step.
    public var seconds: Double
    /// Cost of the whole run.
    public var cost: Double
    public init(id: Int, seconds: Double, cost: Double) { self.id = id; self.seconds = seconds; self.cost = cost }

    /// The plan as its report shows it: step time and cost to 6 significant digits. A search ranks
    /// and groups plans by these, so plans whose reports show the same step time and cost are one
    /// result, even when the simulation's last bits differ (ZeRO 1 and 2 issue their gradient
    /// reductions at different times; where both are hidden, the step differs by rounding only).
    public var reported: ScoredPlan { ScoredPlan(id: id, seconds: Analysis.round(seconds), cost: Analysis.round(cost)) }
}

/// The time-cost Pareto front: plans no other plan beats on both step time and cost.
public enum Pareto {
    /// Whether (t1, c1) is at least as good as (t2, c2) on both and better on one.
    @inline(__always)
    public static func dominates(_ t1: Double, _ c1: Double, _ t2: Double, _ c2: Double) -> Bool {
        t1 <= t2 && c1 <= c2 && (t1 < t2 || c1 < c2)
    }

    /// The non-dominated plans, fastest first; of plans with equal time and cost only the lowest id.
    public static func front(_ plans: [ScoredPlan]) -> [ScoredPlan] {
        let sorted = plans.sorted { ($0.seconds, $0.cost, $0.id) < ($1.seconds, $1.cost, $1.id) }
        var out: [ScoredPlan] = []
        var bestCost = Double.infinity
        for p in sorted where p.cost < bestCost {
            out.append(p)
            bestCost = p.cost
        }
        return out
    }

    /// The non-dominated set so far, for pruning while a search runs (unordered, may hold ties).
    public struct Front: Sendable {
        public private(set) var plans: [ScoredPlan] = []
        public init() {}

        /// Whether some plan in the set dominates the point (t, c).
        public func dominates(_ t: Double, _ c: Double) -> Bool {
            plans.contains { Pareto.dominates($0.seconds, $0.cost, t, c) }
        }

        public mutating func insert(_ p: ScoredPlan) {
            if dominates(p.seconds, p.cost) { return }
            plans.removeAll { Pareto.dominates(p.seconds, p.cost, $0.seconds, $0.cost) }
            plans.append(p)
        }
    }
}

/// The plans of the best `capacity` results by one key (lowest first). A result is a (step time,
/// cost) pair: plans with identical step time and cost (ZeRO 1, 2 and 3 when the optimizer
/// sharding changes nothing but memory, say; a search inserts `reported` figures) are one result, so the list holds `capacity` distinct
/// answers, each with every plan that gives it. Results are ordered by the key, then the other
/// figure; plans within a result by id. The order depends only on the plans' figures and ids,
/// never on the order they were inserted in, so ranks can merge their lists.
public struct TopPlans: Sendable {
    public let capacity: Int
    public let byCost: Bool
    /// Every plan of the best results, sorted by (key, other figure, id); a result's plans are adjacent.
    public private(set) var plans: [ScoredPlan] = []
    private var resultCount = 0
    public init(capacity: Int, byCost: Bool) { self.capacity = max(1, capacity); self.byCost = byCost }

    @inline(__always)
    public func key(_ p: ScoredPlan) -> Double { byCost ? p.cost : p.seconds }

    @inline(__always)
    func order(_ p: ScoredPlan) -> (Double, Double, Int) { byCost ? (p.cost, p.seconds, p.id) : (p.seconds, p.cost, p.id) }

    /// The key a plan must not exceed to enter: infinite until the list holds `capacity` results.
    public var threshold: Double { resultCount < capacity ? .infinity : key(plans[plans.count - 1]) }

    /// The best results, each its plans by id.
    public var groups: [[ScoredPlan]] {
        var out: [[ScoredPlan]] = []
        for p in plans {
            if let last = out.last?.first, last.seconds == p.seconds, last.cost == p.cost { out[out.count - 1].append(p) } else { out.append([p]) }
        }
        return out
    }

    public mutating func insert(_ p: ScoredPlan) {
        let o = order(p)
        var i = plans.count
        while i > 0, order(plans[i - 1]) > o { i -= 1 }
        if i > 0, plans[i - 1].id == p.id { return }
        let joins = (i > 0 && plans[i - 1].seconds == p.seconds && plans[i - 1].cost == p.cost)
            || (i < plans.count && plans[i].seconds == p.seconds && plans[i].cost == p.cost)
        if !joins {
            // A new result: it enters only ahead of the last one when the list is full.
            if resultCount >= capacity, i == plans.count { return }
            resultCount += 1
        }
        plans.insert(p, at: i)
        if resultCount > capacity {
            let last = plans[plans.count - 1]
            plans.removeAll { $0.seconds == last.seconds && $0.cost == last.cost }
            resultCount -= 1
        }
    }
}
