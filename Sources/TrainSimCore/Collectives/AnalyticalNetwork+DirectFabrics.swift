import Foundation

/// Closed forms for direct fabrics (torus, dragonfly), where a device's share of the fabric is not
/// its NIC bandwidth: what a collective gets depends on how many hops its rings take and how many
/// rings share each link. The routes are the ones flow mode builds (GraphBuilder+Torus,
/// GraphBuilder+Dragonfly): dimension-order, shortest way round each torus ring; minimal
/// dragonfly routes (local, global, local).
///
/// A ring collective on a group that spans scale-up domains runs, across domains, one ring per
/// member of a domain (NCCL's channels), over the domains in rank order, on every copy of the
/// group at once. Each ring hop between two domains crosses the links of its route:
///
/// - torus: the ring's hops per dimension and direction, `H(k, +-)`, summed over its `D` hops. All
///   `devices / D` rings of all copies together put `rings x H(k, +-)` link-hops on the `R` links of
///   that dimension and direction (one per router), evenly by the torus' symmetry, so a ring gets
///   `port / max(rings x H / R)`, where `port` is a router port (the node's NIC bandwidth over its
///   2 x dims ports). A message's latency is the fabric's base latency plus one tier latency per hop.
/// - dragonfly: a ring gets its NIC port, unless the local or global links its hops cross carry
///   more rings than their capacity (the NIC speed times the NICs a node has) allows; a hop's rings
///   (one per device of its node) spread over the global links that join the two groups.
///
/// All-to-all on a torus moves every byte over the average hop count between the group's nodes,
/// on the 2 x dims ports of each router.
extension AnalyticalNetwork {
    /// Effective per-device bandwidth (bytes/s) and per-message latency (s) across domains, or nil
    /// when the fabric is a fat-tree (its closed forms apply) or the group stays in one domain.
    func directFabric(_ kind: CollectiveKind, _ group: CommGroup, _ shape: GroupShape) -> (bandwidth: Double, latency: Double)? {
        let spec = cluster.spec
        guard shape.domains > 1, spec.fabric.kind == "torus" || spec.fabric.kind == "dragonfly" else { return nil }
        let nodes = domainNodes(group)
        guard nodes.count > 1 else { return nil }
        let hopUs = spec.fabric.tiers.first?.latencyUs ?? 0.5
        func latency(_ hops: Int) -> Double { (spec.fabric.baseLatencyUs + hopUs * Double(max(1, hops))) * 1e-6 }
        let closed = kind != .sendRecv && kind != .broadcast
        let rings = Double(cluster.devices) / Double(nodes.count)
        if spec.fabric.kind == "torus" {
            let dims = spec.fabric.torusDims.isEmpty ? [cluster.nodes] : spec.fabric.torusDims
            let routers = Double(dims.reduce(1, *))
            let nodeBW = Double(spec.node.nicsPerNode) * spec.node.nicGBps * 1e9 * spec.fabric.efficiency
            let port = nodeBW / Double(2 * dims.count)
            if kind == .allToAll {
                let avg = averageTorusHops(nodes, dims)
                return (min(nodeBW, nodeBW / (Double(cluster.devicesPerNode) * max(avg, 1e-9))), latency(Int(avg.rounded(.up))))
            }
            var load = [Double](repeating: 0, count: 2 * dims.count)
            var maxHops = 0
            for i in 0..<(closed ? nodes.count : nodes.count - 1) {
                maxHops = max(maxHops, torusHops(nodes[i], nodes[(i + 1) % nodes.count], dims, into: &load))
            }
            let busiest = (load.max() ?? 0) * rings / routers
            return (busiest > 0 ? min(nodeBW, port / busiest) : nodeBW, latency(maxHops))
        }
        guard kind != .allToAll else { return nil }
        return dragonfly(nodes, closed: closed, latency: latency)
    }

    /// The node of each scale-up domain the group's first copy enters, in rank order.
    func domainNodes(_ group: CommGroup) -> [Int] {
        let domain = max(1, cluster.domainDevices)
        var seen = Set<Int>()
        var out: [Int] = []
        for m in group.members(base: 0) where seen.insert(m / domain).inserted { out.append(m / cluster.devicesPerNode) }
        return out
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

    /// A dragonfly ring: the NIC port, or less where its local or global links are shared by more
    /// rings than they carry.
    private func dragonfly(_ nodes: [Int], closed: Bool, latency: (Int) -> Double) -> (bandwidth: Double, latency: Double) {
        let spec = cluster.spec, f = spec.fabric
        let g = max(1, f.dragonflyGroupSwitches), h = max(1, f.dragonflyGlobalLinksPerSwitch)
        let nicsPerNode = max(1, min(spec.node.nicsPerNode, cluster.devicesPerNode))
        let port = Double(spec.node.nicsPerNode) * spec.node.nicGBps * 1e9 * f.efficiency / Double(nicsPerNode)
        let fabricPort = port * Double(f.railOptimized ? 1 : nicsPerNode)
        let p = max(1, cluster.nodesPerTierSubtree.first ?? 1)
        let groups = max(1, (cluster.nodes + g * p - 1) / (g * p))
        // Rings leaving a node: one per device of it.
        let perHop = Double(cluster.devicesPerNode)
        var local: [Int: Double] = [:], global: [Int: Double] = [:]
        var maxHops = 1
        for i in 0..<(closed ? nodes.count : nodes.count - 1) {
            let sa = nodes[i] / p, sb = nodes[(i + 1) % nodes.count] / p
            let ga = sa / g, gb = sb / g
            guard sa != sb else { continue }
            if ga == gb {
                local[sa * g + sb % g, default: 0] += perHop
                maxHops = max(maxHops, 2)
                continue
            }
            // The global links joining the two groups; the hop's rings spread over them (the
            // exit switch is then one of the group's switches: its local hop is counted once).
            let off = (gb - ga + groups) % groups
            let count = (g * h - off) / max(1, groups - 1) + 1
            global[ga * groups + gb, default: 0] += perHop / min(Double(count), perHop)
            maxHops = max(maxHops, 4)
        }
        let busiest = max(local.values.max() ?? 0, global.values.max() ?? 0)
        let share = busiest > 0 ? fabricPort / busiest : .infinity
        return (min(port, share), latency(maxHops))
    }
}
