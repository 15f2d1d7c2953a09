import Foundation

/// A dragonfly: groups of `g` switches in a full mesh (local links), each switch with `h`
/// global links spread over the other groups, `p` nodes per switch. With fewer groups than the
/// design's g x h + 1, each pair of groups gets several global links. Minimal routing.
final class DragonflyLayout: @unchecked Sendable {  // immutable once built
    var g = 1, h = 1, p = 1, groups = 1
    var portsPerNode = 1
    var switchBase: Int32 = 0
    var injectBase: Int32 = 0
    var ejectBase: Int32 = 0
    var localBase: Int32 = 0
    var globalBase: Int32 = 0

    @inline(__always) func local(group: Int, from i: Int, to j: Int) -> Int32 { localBase + Int32((group * g + i) * g + j) }
    @inline(__always) func global(group: Int, index j: Int) -> Int32 { globalBase + Int32(group * g * h + j) }

    /// Group reached by global link `j` of `group`, and the switch it lands on.
    func globalTarget(group: Int, index j: Int) -> (group: Int, switch: Int) {
        guard groups > 1 else { return (group, j / h) }
        let off = 1 + j % (groups - 1)
        let back = groups - off
        var jb = (j / (groups - 1)) * (groups - 1) + back - 1
        if jb >= g * h { jb = back - 1 }
        return ((group + off) % groups, jb / h)
    }
}

extension TopologyGraph {
    func buildDragonfly() {
        let spec = cluster.spec
        let f = spec.fabric
        planes = 1
        let df = DragonflyLayout()
        df.g = max(1, f.dragonflyGroupSwitches)
        df.h = max(1, f.dragonflyGlobalLinksPerSwitch)
        let nics = nicLayout
        df.portsPerNode = f.railOptimized ? 1 : nics.nicsPerNode
        df.p = max(1, cluster.nodesPerTierSubtree.first ?? 1)
        df.groups = max(1, (cluster.nodes + df.g * df.p - 1) / (df.g * df.p))
        let tierNIC = tierIndex(named: f.tiers.first?.name ?? "switch")
        let tierLocal = tierIndex(named: "local")
        let tierGlobal = tierIndex(named: "global")
        let port = nics.bytesPerSecond
        // A switch's local and global ports run at the NIC speed times the NICs a node has.
        let fabricPort = port * Double(df.portsPerNode)
        df.switchBase = Int32(vertexCount)
        for _ in 0..<(df.groups * df.g) { addVertex(.fabricSwitch, tier: 1) }
        func sw(_ n: Int) -> Int32 { df.switchBase + Int32(n / df.p) }
        df.injectBase = Int32(linkCount)
        for d in 0..<devices { addLink(Int32(d), sw(node(of: d)), capacity: port, tier: tierNIC) }
        df.ejectBase = Int32(linkCount)
        for d in 0..<devices { addLink(sw(node(of: d)), Int32(d), capacity: port, tier: tierNIC) }
        df.localBase = Int32(linkCount)
        for grp in 0..<df.groups {
            for i in 0..<df.g {
                for j in 0..<df.g {
                    addLink(df.switchBase + Int32(grp * df.g + i), df.switchBase + Int32(grp * df.g + j),
                            capacity: i == j ? 0 : fabricPort, tier: tierLocal)
                }
            }
        }
        df.globalBase = Int32(linkCount)
        for grp in 0..<df.groups {
            for j in 0..<(df.g * df.h) {
                let (tg, ts) = df.globalTarget(group: grp, index: j)
                addLink(df.switchBase + Int32(grp * df.g + j / df.h), df.switchBase + Int32(tg * df.g + ts),
                        capacity: df.groups > 1 ? fabricPort : 0, tier: tierGlobal)
            }
        }
        fabric = .dragonfly(df)
    }

    /// Minimal route: local hop to the switch holding a global link to b's group, the global
    /// link, a local hop to b's switch. Returns the switch hops.
    func dragonflyRoute(_ df: DragonflyLayout, _ a: Int, _ b: Int, salt: UInt64, into out: inout RouteBuffer) -> Int {
        out.append(df.injectBase + Int32(a))
        let sa = node(of: a) / df.p, sb = node(of: b) / df.p
        let ga = sa / df.g, gb = sb / df.g
        var hops = 1
        if ga == gb {
            if sa != sb { out.append(df.local(group: ga, from: sa % df.g, to: sb % df.g)); hops += 1 }
        } else {
            let off = (gb - ga + df.groups) % df.groups
            let count = (df.g * df.h - off) / (df.groups - 1) + 1
            let m = Int((UInt64(node(of: b)) &+ salt) % UInt64(count))
            let j = m * (df.groups - 1) + off - 1
            let exitSwitch = j / df.h
            if exitSwitch != sa % df.g { out.append(df.local(group: ga, from: sa % df.g, to: exitSwitch)); hops += 1 }
            out.append(df.global(group: ga, index: j)); hops += 1
            let land = df.globalTarget(group: ga, index: j).switch
            if land != sb % df.g { out.append(df.local(group: gb, from: land, to: sb % df.g)); hops += 1 }
        }
        out.append(df.ejectBase + Int32(b))
        return hops
    }
}
