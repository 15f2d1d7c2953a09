import Foundation

/// Closed forms for direct fabrics (torus, dragonfly), where a device's share of the fabric is not
/// its NIC bandwidth: what a collective gets depends on how many hops its rings take and how many
/// rings share each link. The routes are the ones flow mode builds (GraphBuilder+Torus,
/// GraphBuilder+Dragonfly): dimension-order, shortest way round each torus ring; minimal
/// dragonfly routes (local, global, local).
///
/// A ring collective on a group that spans scale-up domains runs, across domains, one ring per
/// member of a domain (NCCL's channels), over the domains in rank order, on every copy of the
/// group at once. Every ring hop between two domains loads the links of its route, as flow mode
/// routes it (a torus tie goes + for even copies, a dragonfly hop takes the global link flow mode
/// picks for its copy); a ring gets a link's capacity over the most rings any link carries:
///
/// - torus: a router port, the node's NIC bandwidth over its 2 x dims ports (at most the node's
///   NIC bandwidth). A message's latency is the fabric's base latency plus one tier latency per hop.
/// - dragonfly: local and global links run at the NIC speed times the NICs a node has; a ring
///   never gets more than its NIC port.
///
/// All-to-all on a torus moves every byte over the average hop count between the group's nodes,
/// on the 2 x dims ports of each router. Where a group has several members per domain, a flat
/// ring over all members (intra-domain hops pipelined with the fabric's) is an alternative to the
/// hierarchical algorithm, as flow mode's ring with channels is.
extension AnalyticalNetwork {
    /// Effective per-device bandwidth (bytes/s) and per-message latency (s) across domains, or nil
    /// when the fabric is a fat-tree (its closed forms apply) or the group stays in one domain.
    /// With `tree`, the bandwidth of one of flow mode's two binary trees over the members (each
    /// edge both ways; edges inside a domain stay off the fabric) instead of the ring's.
    func directFabric(_ kind: CollectiveKind, _ group: CommGroup, _ shape: GroupShape, tree: Bool = false) -> (bandwidth: Double, latency: Double)? {
        let spec = cluster.spec
        guard shape.domains > 1, spec.fabric.kind == "torus" || spec.fabric.kind == "dragonfly" else { return nil }
        let nodes = domainNodes(group)
        guard nodes.count > 1 else { return nil }
        let hopUs = spec.fabric.tiers.first?.latencyUs ?? 0.5
        func latency(_ hops: Int) -> Double { (spec.fabric.baseLatencyUs + hopUs * Double(max(1, hops))) * 1e-6 }
        let nodeBW = Double(spec.node.nicsPerNode) * spec.node.nicGBps * 1e9 * spec.fabric.efficiency
        let dims = spec.fabric.torusDims.isEmpty ? [cluster.nodes] : spec.fabric.torusDims
        if kind == .allToAll {
            guard spec.fabric.kind == "torus" else { return nil }
            let avg = averageTorusHops(nodes, dims)
            return (min(nodeBW, nodeBW / (Double(cluster.devicesPerNode) * max(avg, 1e-9))), latency(Int(avg.rounded(.up))))
        }
        // Every hop of every copy's ring (or trees): from node, to node, the copy's salt, rings on it.
        var hops: [(a: Int, b: Int, salt: Int, weight: Double)] = []
        let closed = kind != .sendRecv && kind != .broadcast
        let offsets = group.members(base: 0), domain = max(1, cluster.domainDevices)
        for (c, seq) in copyNodeSequences(group).enumerated() {
            let m = seq.nodes, n = m.count
            if tree {
                let members = offsets.map { seq.base + $0 }, k = members.count
                for shift in [0, k / 2] {
                    for i in 1..<k {
                        let parent = members[((i - 1) / 2 + shift) % k], child = members[(i + shift) % k]
                        guard parent / domain != child / domain else { continue }
                        let pn = parent / cluster.devicesPerNode, cn = child / cluster.devicesPerNode
                        hops.append((cn, pn, c, 1))
                        hops.append((pn, cn, c, 1))
                    }
                }
            } else {
                for i in 0..<(closed ? n : n - 1) { hops.append((m[i], m[(i + 1) % n], c, seq.rings)) }
            }
        }
        if spec.fabric.kind == "torus" {
            var load = [Double](repeating: 0, count: dims.reduce(1, *) * dims.count * 2)
            var maxHops = 0
            for h in hops {
                maxHops = max(maxHops, torusRoute(h.a, h.b, dims, positiveOnTies: h.salt & 1 == 0, weight: h.weight, into: &load))
            }
            let busiest = load.max() ?? 0, port = nodeBW / Double(2 * dims.count)
            return (busiest > 0 ? min(nodeBW, port / busiest) : nodeBW, latency(maxHops))
        }
        return dragonfly(hops, latency: latency)
    }

    /// The node of each scale-up domain the group's first copy enters, in rank order.
    func domainNodes(_ group: CommGroup) -> [Int] {
        let domain = max(1, cluster.domainDevices)
        var seen = Set<Int>()
        var out: [Int] = []
        for m in group.members(base: 0) where seen.insert(m / domain).inserted { out.append(m / cluster.devicesPerNode) }
        return out
    }

    /// Each copy of the group (in the order flow mode numbers them: its salt) as the nodes of the
    /// scale-up domains it enters, in rank order, and the rings it runs across them (its members
    /// per domain, NCCL's channels).
    func copyNodeSequences(_ group: CommGroup) -> [(base: Int, nodes: [Int], rings: Double)] {
        let offsets = group.members(base: 0)
        let span = offsets.max() ?? 0
        let domain = max(1, cluster.domainDevices)
        return group.copyBases(devices: cluster.devices).filter { $0 + span < cluster.devices }.map { b in
            var seen = Set<Int>()
            var nodes: [Int] = []
            for o in offsets where seen.insert((b + o) / domain).inserted { nodes.append((b + o) / cluster.devicesPerNode) }
            return (b, nodes, Double(offsets.count) / Double(max(1, nodes.count)))
        }
    }

    /// Adds `weight` to every torus link of the dimension-order route from node a to node b
    /// (links indexed (node x dims + k) x 2 + (0 for +, 1 for -)); a tie goes + when asked.
    /// Returns the hops.
    func torusRoute(_ a: Int, _ b: Int, _ dims: [Int], positiveOnTies: Bool, weight: Double, into load: inout [Double]) -> Int {
        var cur = a, hops = 0, mul = 1
        for (k, size) in dims.enumerated() {
            let ck = (cur / mul) % size, dk = (b / mul) % size
            let fwd = (dk - ck + size) % size
            if fwd != 0 {
                let back = size - fwd
                let positive = fwd < back || (fwd == back && positiveOnTies)
                var c = ck
                for _ in 0..<(positive ? fwd : back) {
                    load[(cur * dims.count + k) * 2 + (positive ? 0 : 1)] += weight
                    let next = positive ? (c + 1) % size : (c + size - 1) % size
                    cur += (next - c) * mul
                    c = next
                }
                hops += min(fwd, back)
            }
            mul *= size
        }
        return hops
    }

    /// Hops from node a to node b by dimension-order routing, added to `load` per dimension and
    /// direction (index 2k for +, 2k+1 for -); a tie (half-way round) goes either way, half each.
    func torusHops(_ a: Int, _ b: Int, _ dims: [Int], into load: inout [Double]) -> Int {
        var hops = 0, mul = 1
        for (k, size) in dims.enumerated() {
            let ca = (a / mul) % size, cb = (b / mul) % size
            mul *= size
            let fwd = (cb - ca + size) % size
            guard fwd != 0 else { continue }
            let back = size - fwd
            if fwd < back { load[2 * k] += Double(fwd) } else if back < fwd { load[2 * k + 1] += Double(back) } else {
                load[2 * k] += Double(fwd) / 2
                load[2 * k + 1] += Double(back) / 2
            }
            hops += min(fwd, back)
        }
        return hops
    }

    /// Mean shortest-path hops between distinct nodes of the set (pairs listed up to 256 nodes,
    /// else each dimension's ring mean, size / 4).
    func averageTorusHops(_ nodes: [Int], _ dims: [Int]) -> Double {
        guard nodes.count <= 256 else { return dims.reduce(0.0) { $0 + Double($1) / 4 } }
        var scratch = [Double](repeating: 0, count: 2 * dims.count)
        var total = 0, pairs = 0
        for a in nodes { for b in nodes where b != a { total += torusHops(a, b, dims, into: &scratch); pairs += 1 } }
        return pairs > 0 ? Double(total) / Double(pairs) : 0
    }

    /// A dragonfly: the NIC port, or less where the local or global links the hops cross (minimal
    /// routes, the global link picked as flow mode picks it for the hop's copy) carry more rings
    /// than they have capacity for.
    private func dragonfly(_ hopList: [(a: Int, b: Int, salt: Int, weight: Double)], latency: (Int) -> Double) -> (bandwidth: Double, latency: Double) {
        let spec = cluster.spec, f = spec.fabric
        let df = DragonflyLayout()
        df.g = max(1, f.dragonflyGroupSwitches)
        df.h = max(1, f.dragonflyGlobalLinksPerSwitch)
        df.p = max(1, cluster.nodesPerTierSubtree.first ?? 1)
        df.groups = max(1, (cluster.nodes + df.g * df.p - 1) / (df.g * df.p))
        let g = df.g, h = df.h, groups = df.groups
        let nicsPerNode = max(1, min(spec.node.nicsPerNode, cluster.devicesPerNode))
        let port = Double(spec.node.nicsPerNode) * spec.node.nicGBps * 1e9 * f.efficiency / Double(nicsPerNode)
        let fabricPort = port * Double(f.railOptimized ? 1 : nicsPerNode)
        var local = [Double](repeating: 0, count: groups * g * g), global = [Double](repeating: 0, count: groups * g * h)
        var maxHops = 1
        for hop in hopList {
            let sa = hop.a / df.p, sb = hop.b / df.p
            let ga = sa / g, gb = sb / g
            if ga == gb {
                if sa != sb { local[(ga * g + sa % g) * g + sb % g] += hop.weight; maxHops = max(maxHops, 2) }
                continue
            }
            let off = (gb - ga + groups) % groups
            let count = (g * h - off) / (groups - 1) + 1
            let j = ((hop.b + hop.salt) % count) * (groups - 1) + off - 1
            var hops = 2
            if j / h != sa % g { local[(ga * g + sa % g) * g + j / h] += hop.weight; hops += 1 }
            global[ga * g * h + j] += hop.weight
            let land = df.globalTarget(group: ga, index: j).switch
            if land != sb % g { local[(gb * g + land) * g + sb % g] += hop.weight; hops += 1 }
            maxHops = max(maxHops, hops)
        }
        let busiest = max(local.max() ?? 0, global.max() ?? 0)
        return (busiest > 0 ? min(port, fabricPort / busiest) : port, latency(maxHops))
    }
}
