/// One copy of a collective's group on its own: explicit members rather than all the disjoint
/// copies that tile the cluster. The every-rank reference timeline (`EveryRankTimeline`) costs
/// communication in these units; the fast symmetric path never does.
struct CollectiveInstance: Hashable {
    var kind: CollectiveKind
    var bytes: Double
    /// Members in group-rank order (a send/recv goes members[0] -> members[1]).
    var members: [Int]
    /// Routing salt: the copy's index among all copies, so it routes as it does among them.
    var salt: Int
    var algorithm: CollectiveAlgorithm
}

extension FlowNetwork {
    /// Seconds each instance takes when all start together at time 0 and share links (alone
    /// when there is one); nil for one whose algorithm does not apply to its members.
    func costInstances(_ xs: [CollectiveInstance]) -> [Double?] {
        var schedules: [FlowSchedule] = [], idx: [Int] = []
        var out = [Double?](repeating: nil, count: xs.count)
        for (i, x) in xs.enumerated() {
            guard x.members.count > 1, x.bytes > 0 else { out[i] = 0; continue }
            guard let s = FlowScheduleBuilder.make(graph: graph, kind: x.kind, copies: [x.members], salts: [x.salt],
                                                   algorithm: x.algorithm) else { continue }
            schedules.append(s)
            idx.append(i)
        }
        guard !schedules.isEmpty else { return out }
        lock.lock()
        defer { lock.unlock() }
        let res = sim.runConcurrent(schedules, bytes: idx.map { xs[$0].bytes })
        for (k, i) in idx.enumerated() { out[i] = res[k].seconds }
        return out
    }
}
