import Foundation

/// Closed-form collective costs (Hockney alpha-beta per tier) with the algorithm a real
/// library would pick on the hierarchy: ring or double binary tree inside a scale-up domain,
/// hierarchical (intra reduce-scatter, inter all-reduce, intra all-gather) across domains with
/// ring, tree or halving-doubling between them, three-level (domain, leaf, above the leaf) when a
/// group spans leaves, pairwise all-to-all, point-to-point for pipeline stages. NCCL's and HCCL's choices reduce
/// to these costs for large messages; the latency terms pick tree/NHR for small ones.
public struct AnalyticalNetwork: CollectiveCostModel {
    public let cluster: Cluster
    public var name: String { "analytical" }
    public init(cluster: Cluster) { self.cluster = cluster }

    /// Achieved one-direction bandwidth per device at a fabric level (bytes/s), with the
    /// oversubscription of the tiers below it.
    func outBandwidth(level: Int) -> Double {
        cluster.scaleOutBytesPerSecond / cluster.oversubscription(toLevel: level)
    }

    /// Seconds per tier; two parts on the same tier add up.
    private func split(_ parts: (String, Double)...) -> [String: Double] {
        var d: [String: Double] = [:]
        for (k, v) in parts { d[k, default: 0] += v }
        return d
    }

    /// Domains per leaf (m) and leaves (k) of a group that spans several leaves evenly, when a
    /// three-level algorithm applies.
    private func leafSplit(_ shape: GroupShape) -> (m: Double, k: Double)? {
        let m = Double(max(1, shape.perLeaf / max(1, shape.perDomain))), k = Double(shape.domains) / m
        return shape.level >= 2 && m > 1 && k > 1 && k == k.rounded() ? (m, k) : nil
    }

    public func cost(_ r: CollectiveRequest) -> CollectiveCost {
        let n = r.group.size
        guard n > 1, r.bytes > 0 else { return .zero }
        let shape = GroupShape(r.group, on: cluster)
        let S = r.bytes
        let bUp = cluster.scaleUpBytesPerSecond(groupMembers: shape.perDomain)
        let aUp = cluster.latency(level: 0)
        let nL = Double(shape.perDomain), nD = Double(shape.domains)
        var bOut = outBandwidth(level: shape.level)
        var aOut = cluster.latency(level: shape.level)
        let direct = directFabric(r.kind, r.group, shape)
        if let direct { (bOut, aOut) = direct }
        // On a direct fabric, one pass of a flat ring over all members (nL rings, pipelined hops;
        // a device's scale-up link carries nL - 1 of them).
        let flatPass: Double? = direct != nil && nL > 1
            ? (Double(n) - 1) / Double(n) * (S / nL) / min(bUp / (nL - 1), bOut) + (Double(n) - 1) * max(aUp, aOut) : nil
        let tierName = cluster.levelName(shape.level)
        let log2 = { (x: Double) -> Double in x <= 1 ? 0 : ceil(Foundation.log2(x)) }
        let inNetwork = cluster.spec.fabric.inNetworkReduction
        // A full-mesh scale-up (HCCS) runs HCCL's hierarchical algorithms across servers (server,
        // then inter-server: Mesh or Ring inside, Ring, RHD or NHR between); a flat ring's
        // channels would share its direct links, except with two members a server (one link each way).
        let meshUp = cluster.spec.node.scaleUp.kind == "mesh"
        // On a fat-tree, one pass of a flat ring over all n members in nL channels, as NCCL runs a
        // ring across nodes and as flow mode's ring does: each channel leaves every domain through
        // its own member's NIC (PXN), and a member's scale-up links carry all nL channels, so a
        // pass moves (n - 1)/n of the buffer at min(scale-up, nL x NIC) (NCCL's tuning model,
        // src/graph/tuning.cc: a ring's bandwidth is its channels times the inter-node bandwidth of
        // one; NetworkCollectiveTests checks flow mode's). Of its n - 1 steps, nD - 1 pay the latency
        // between domains and the others the latency inside one (the same tuning model). Both tiers
        // are busy at once, each for its own part (its bytes at its own rate, and its steps).
        let ringPass: (seconds: Double, perTier: [String: Double])? = {
            guard direct == nil, !meshUp || nL == 2, nL > 1, nD > 1 else { return nil }
            let bytes = (Double(n) - 1) / Double(n) * S
            let inside = ((nL - 1) + (nL - 1) * (nD - 1)) * aUp, between = (nD - 1) * aOut
            let t = bytes / min(bUp, nL * bOut) + inside + between
            return (t, split(("scale-up", min(t, bytes / bUp + inside)), (tierName, min(t, bytes / (nL * bOut) + between))))
        }()
        // Inside one full-mesh domain (HCCS), HCCL's Mesh algorithm: every member sends each peer its
        // share over their direct link at once, one step instead of a ring's nL - 1 (flow mode's
        // `mesh`, built for domains of up to 32).
        let meshPass: Double? = meshUp && cluster.spec.node.scaleUp.domainDevices <= 32 && nD == 1 && nL > 2
            ? (nL - 1) / nL * S / bUp + aUp : nil
        /// The cheaper of a hierarchical form and the flat ring (`passes` of it).
        func orFlatRing(_ c: CollectiveCost, passes: Double) -> CollectiveCost {
            guard let r = ringPass, passes * r.seconds < c.seconds else { return c }
            return CollectiveCost(seconds: passes * r.seconds, perTier: r.perTier.mapValues { passes * $0 }, algorithm: "ring")
        }

        switch r.kind {
        case .allReduce:
            var upBW = 2 * (nL - 1) / nL * S / bUp
            if cluster.spec.node.scaleUp.inNetworkReduction, nL > 1 { upBW = S / bUp * nL / (nL + 1) * 2 * (nL - 1) / nL }
            let up = upBW + 2 * (nL - 1) * aUp
            guard nD > 1 else {
                let tree = 2 * S / bUp + 2 * log2(nL) * aUp
                if let m = meshPass, 2 * m < min(up, tree) { return CollectiveCost(seconds: 2 * m, perTier: ["scale-up": 2 * m], algorithm: "mesh") }
                return up <= tree ? CollectiveCost(seconds: up, perTier: ["scale-up": up], algorithm: "ring")
                    : CollectiveCost(seconds: tree, perTier: ["scale-up": tree], algorithm: "tree")
            }
            let chunk = S / nL
            // Across domains: ring, double binary tree, or (power-of-two counts) halving-doubling.
            func allReduceOut(_ parts: Double, _ bytes: Double, _ b: Double, _ a: Double) -> (Double, String) {
                let ring = (inNetwork ? 1.0 : 2 * (parts - 1) / parts) * bytes / b + 2 * (parts - 1) * a
                // A direct fabric's trees have their own links' loads (below).
                let tree = direct != nil ? Double.infinity : (inNetwork ? 1.0 : 2.0) * bytes / b + 2 * log2(parts) * a
                var best = ring <= tree ? (ring, "ring") : (tree, "tree")
                // Not on a torus or dragonfly: its partners sit many hops apart.
                if !inNetwork, direct == nil, parts >= 4, Int(parts).nonzeroBitCount == 1 {
                    let hd = 2 * (parts - 1) / parts * bytes / b + 2 * log2(parts) * a
                    if hd < best.0 { best = (hd, "halving-doubling") }
                }
                return best
            }
            let two = allReduceOut(nD, chunk, bOut, aOut)
            // Three levels when the group spans several leaves: reduce-scatter among the domains under
            // one leaf, all-reduce of 1/m of the data across leaves, all-gather back. It pays off
            // where the tiers above the leaf are oversubscribed.
            if direct == nil, let (m, k) = leafSplit(shape) {
                let b1 = outBandwidth(level: 1), a1 = cluster.latency(level: 1)
                let leaf = 2 * (m - 1) / m * chunk / b1 + 2 * (m - 1) * a1
                let top = allReduceOut(k, chunk / m, bOut, aOut)
                if leaf + top.0 < two.0 {
                    return orFlatRing(CollectiveCost(seconds: up + leaf + top.0,
                                                     perTier: split(("scale-up", up), (cluster.levelName(1), leaf), (tierName, top.0)),
                                                     algorithm: "hierarchical-3"), passes: 2)
                }
            }
            // Two binary trees over the domains, each half the buffer, both ways on every edge.
            if direct != nil, let t = directFabric(.allReduce, r.group, shape, tree: true) {
                let tree = 0.5 * S / t.bandwidth + 2 * (floor(Foundation.log2(Double(n))) + 1) * t.latency
                if tree < up + two.0 { return CollectiveCost(seconds: tree, perTier: [tierName: tree], algorithm: "double-binary-tree") }
            }
            if let f = flatPass, 2 * f < up + two.0 { return CollectiveCost(seconds: 2 * f, perTier: [tierName: 2 * f], algorithm: "ring") }
            return orFlatRing(CollectiveCost(seconds: up + two.0, perTier: split(("scale-up", up), (tierName, two.0)),
                                             algorithm: nL > 1 ? "hierarchical" : two.1), passes: 2)
        case .reduceScatter, .allGather:
            let up = (nL - 1) / nL * S / bUp + (nL - 1) * aUp
            guard nD > 1 else {
                if let m = meshPass, m < up { return CollectiveCost(seconds: m, perTier: ["scale-up": m], algorithm: "mesh") }
                return CollectiveCost(seconds: up, perTier: ["scale-up": up], algorithm: "ring")
            }
            // NCCL's reduce-scatter and all-gather are rings (no tree): a flat ring over all n
            // members takes n - 1 steps, nD - 1 of them between domains and the others inside
            // one, each paying its link's latency (NCCL's tuning model, src/graph/tuning.cc:
            // (nsteps - nInterSteps) intra + nInterSteps inter). The (nL - 1) steps inside the
            // first domain are `up`'s; the other (nL - 1)(nD - 1) are counted here.
            // (On a direct fabric, `directFabric` gives the ring's own per-hop figures; HCCL's
            // hierarchical reduce-scatter and all-gather on a mesh pay their own two phases' steps.)
            let flatSteps = direct == nil && !meshUp
            let out = (nD - 1) / nD * (S / nL) / bOut + (nD - 1) * aOut + (flatSteps ? (nL - 1) * (nD - 1) * aUp : 0)
            if direct == nil, let (m, k) = leafSplit(shape) {
                let b1 = outBandwidth(level: 1), a1 = cluster.latency(level: 1)
                let leaf = (m - 1) / m * (S / nL) / b1 + (m - 1) * a1 + (flatSteps ? (nL - 1) * (m - 1) * aUp : 0)
                let top = (k - 1) / k * (S / nL / m) / bOut + (k - 1) * aOut + (flatSteps ? (nL * m - 1) * (k - 1) * aUp : 0)
                if leaf + top < out {
                    return orFlatRing(CollectiveCost(seconds: up + leaf + top,
                                                     perTier: split(("scale-up", up), (cluster.levelName(1), leaf), (tierName, top)),
                                                     algorithm: "hierarchical-3"), passes: 1)
                }
            }
            if let f = flatPass, f < up + out { return CollectiveCost(seconds: f, perTier: [tierName: f], algorithm: "ring") }
            return orFlatRing(CollectiveCost(seconds: up + out, perTier: split(("scale-up", up), (tierName, out)),
                                             algorithm: nL > 1 ? "hierarchical" : "ring"), passes: 1)
        case .allToAll:
            let local = (nL - 1) / Double(n) * S
            let remote = (Double(n) - nL) / Double(n) * S
            let up = local / bUp + aUp
            guard nD > 1 else { return CollectiveCost(seconds: up, perTier: ["scale-up": up], algorithm: "pairwise") }
            let out = remote / bOut + aOut + (Double(n) - 1) * aOut / 16
            // The local and remote parts run together: the step takes the longer, and each tier is
            // busy for its own part (the network carries the remote bytes even when NVLink is slower).
            return CollectiveCost(seconds: max(up, out), perTier: split(("scale-up", up), (tierName, out)), algorithm: "pairwise")
        case .sendRecv:
            if nD > 1 {
                let t = S / bOut + aOut
                return CollectiveCost(seconds: t, perTier: [tierName: t], algorithm: "p2p")
            }
            let t = S / bUp + aUp
            return CollectiveCost(seconds: t, perTier: ["scale-up": t], algorithm: "p2p")
        case .broadcast:
            // A pipelined chain through every member, as NCCL's broadcast (ring algorithm only)
            // and the flow network's: the data crosses each hop once, a domain-to-domain hop on
            // the domain's links (NCCL's channels spread it over the members' NICs), and the
            // first chunk pays every hop's latency, (nL - 1) inside each domain, nD - 1 between.
            let b = nD > 1 ? min(bOut * nL, bUp) : bUp
            let t = S / b + (nL - 1) * nD * aUp + (nD - 1) * aOut
            return CollectiveCost(seconds: t, perTier: [nD > 1 ? tierName : "scale-up": t], algorithm: "chain")
        }
    }
}
