/// A simulated plan reduced to what a search ranks it by.
public struct ScoredPlan: Sendable, Equatable {
    /// The candidate's number in enumeration order (ties break on it, so results never depend on evaluation order).
    public var id: Int
    /// Seconds per step.
    public var seconds: Double
    /// Cost of the whole run.
    public var cost: Double
    public init(id: Int, seconds: Double, cost: Double) { self.id = id; self.seconds = seconds; self.cost = cost }
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

/// The best `capacity` plans by one key (lowest first, ties by id).
public struct TopPlans: Sendable {
    public let capacity: Int
    public let byCost: Bool
    public private(set) var plans: [ScoredPlan] = []
    public init(capacity: Int, byCost: Bool) { self.capacity = max(1, capacity); self.byCost = byCost }

    @inline(__always)
    public func key(_ p: ScoredPlan) -> Double { byCost ? p.cost : p.seconds }

    /// The key a plan must beat to enter: infinite until the list is full.
    public var threshold: Double { plans.count < capacity ? .infinity : key(plans[plans.count - 1]) }

    public mutating func insert(_ p: ScoredPlan) {
        let k = key(p)
        if plans.count >= capacity, (k, p.id) >= (threshold, plans[plans.count - 1].id) { return }
        var i = plans.count
        while i > 0, (key(plans[i - 1]), plans[i - 1].id) > (k, p.id) { i -= 1 }
        plans.insert(p, at: i)
        if plans.count > capacity { plans.removeLast() }
    }
}
