import Foundation

extension FlowScheduleBuilder {
    /// Splits a copy's members by scale-up domain, keeping rank order; nil unless every domain
    /// holds the same number of members (or, with `unequal`, unless all are in one domain).
    func domainSplit(_ m: [Int], unequal: Bool = false) -> [[Int]]? {
        var index: [Int: Int] = [:]
        var parts: [[Int]] = []
        for d in m {
            let dom = graph.scaleUp.present ? graph.domain(of: d) : d
            if let i = index[dom] { parts[i].append(d) } else { index[dom] = parts.count; parts.append([d]) }
        }
        guard let l = parts.first?.count else { return nil }
        if unequal { return parts }
        return parts.allSatisfy({ $0.count == l }) ? parts : nil
    }

    /// Hierarchical all-reduce: ring reduce-scatter inside each domain, all-reduce of 1/l of the
    /// buffer across domains (ring, or an in-network reduction tree), ring all-gather inside.
    /// Reduce-scatter and all-gather keep their half: inside then across, or across then inside.
    /// With `inNetwork` and the whole group in one domain: NVLS-like reduction in the switch.
    mutating func buildHierarchical(kind: CollectiveKind = .allReduce, copies: [[Int]], inNetwork: Bool) -> Bool {
        guard let split = domainSplit(copies[0]) else { return false }
        let g = split.count, l = split[0].count
        let spec = graph.cluster.spec
        if g == 1 {
            guard inNetwork, spec.node.scaleUp.inNetworkReduction, graph.scaleUpPorts(copies[0][0]) != nil else { return false }
            for (c, m) in copies.enumerated() {
                var route = RouteBuffer()
                for d in m { if let (u, w) = graph.scaleUpPorts(d) { route.append(u); route.append(w) } }
                addFlow(route, volume: 1, sum: true, copy: c, latency: 2 * graph.latency(level: 0), level: 0)
            }
            endPhase()
            return true
        }
        var sharp: FatTreeLayout?
        if inNetwork {
            guard spec.fabric.inNetworkReduction, case .fatTree(let ft) = graph.fabric else { return false }
            sharp = ft
        } else if l == 1 {
            return false
        }
        let splits = copies.map { domainSplit($0) ?? [] }
        guard splits.allSatisfy({ $0.count == g }) else { return false }
        let gd = Double(g), ld = Double(l)
        if l > 1 {
            // Inside a full mesh every rank sends its chunks straight to the others.
            let meshed = graph.scaleUp.isMesh
            for (c, parts) in splits.enumerated() {
                for p in parts {
                    if meshed {
                        for i in 0..<l { for j in 0..<l where j != i { single(p[i], p[j], volume: 1 / ld, copy: c) } }
                    } else {
                        coupled(p, closed: true, volume: (ld - 1) / ld, steps: l - 1, copy: c)
                    }
                }
            }
            endPhase()
        }
        for (c, parts) in splits.enumerated() {
            for j in 0..<l {
                let sub = parts.map { $0[j] }
                if let ft = sharp {
                    addReductionTree(ft, sub, volume: 1 / ld, copy: c, salt: Int(salt(c)) * l + j)
                } else {
                    let ar = kind == .allReduce
                    coupled(sub, closed: true, volume: (ar ? 2 : 1) * (gd - 1) / gd / ld, steps: (ar ? 2 : 1) * (g - 1), copy: c)
                }
            }
        }
        endPhase()
        switch kind {
        case .reduceScatter: order = l > 1 ? [0, 1] : [0]
        case .allGather: order = l > 1 ? [1, 0] : [0]
        default: order = l > 1 ? [0, 1, 0] : [0]
        }
        return true
    }

    /// An in-network reduction tree over `members` (one per domain): every NIC sends its chunk
    /// up once and receives the result once; each switch link of the tree carries it once.
    private mutating func addReductionTree(_ ft: FatTreeLayout, _ members: [Int], volume: Double, copy: Int, salt: Int) {
        var top = 1
        var scratch = RouteBuffer()
        for k in 1..<members.count {
            scratch.removeAll()
            top = max(top, graph.route(members[0], members[k], into: &scratch))
        }
        var up = RouteBuffer(), down = RouteBuffer()
        for d in members {
            for p in 0..<graph.planes {
                graph.fatTreeReductionPath(ft, d, top: top - 1, plane: p, salt: salt, up: &up, down: &down, coef: 1 / Double(graph.planes))
            }
        }
        for i in 0..<down.count { up.append(down.links[i], down.coefs[i]) }
        addFlow(up, volume: volume, sum: false, copy: copy, latency: 2 * graph.latency(level: top), level: top)
    }
}
