import Foundation

/// A folded Clos (fat-tree) of 1-4 tiers, replicated per rail (rail-optimized) and per plane.
/// Tier t (0 = leaf) switches have `down[t]` ports down and `up[t]` = down/oversubscription up;
/// the top tier uses all its ports down. A tier-t switch is (subtree s, column c); its up port
/// k goes to the tier-(t+1) switch of column c x up[t] + k in the parent subtree.
final class FatTreeLayout: @unchecked Sendable {  // immutable once built
    var tiers = 1
    var trees = 1
    var railOptimized = false
    /// NIC ports one node has into one tree.
    var portsPerNode = 1
    var portsPerTree = 0
    var nodesPerLeaf = 1
    var leaves = 1
    var down: [Int] = []
    var up: [Int] = []
    /// Leaves under one tier-t subtree.
    var leavesPerSubtree: [Int] = []
    var subtrees: [Int] = []
    var columns: [Int] = []
    /// Up links from tier t per tree = subtrees[t] x columns[t] x up[t].
    var upLinksPerTree: [Int] = []
    var nicUpBase: Int32 = 0
    var nicDownBase: Int32 = 0
    var upBase: [Int32] = []
    var downBase: [Int32] = []
    /// Switch vertex base per tier (tree-major inside the tier).
    var switchBase: [Int32] = []
    var switchesPerTree: [Int] = []

    @inline(__always) func upLink(tree: Int, tier t: Int, subtree s: Int, column c: Int, k: Int) -> Int {
        tree * upLinksPerTree[t] + (s * columns[t] + c) * up[t] + k
    }
}

extension TopologyGraph {
    func buildFatTree() {
        let spec = cluster.spec
        let f = spec.fabric
        let nics = nicLayout
        let ft = FatTreeLayout()
        ft.tiers = max(1, f.tiers.count)
        ft.railOptimized = f.railOptimized && scaleUp.present && nics.nicsPerNode > 1
        let rails = ft.railOptimized ? nics.nicsPerNode : 1
        ft.trees = rails * planes
        ft.portsPerNode = ft.railOptimized ? 1 : nics.nicsPerNode
        let nodes = cluster.nodes
        ft.portsPerTree = nodes * ft.portsPerNode
        let T = ft.tiers
        for t in 0..<T {
            let tier = t < f.tiers.count ? f.tiers[t] : FabricTier(name: "switch", switchRadix: 64, oversubscription: 1, latencyUs: 0.5)
            let r = Double(tier.switchRadix)
            let o = max(1, tier.oversubscription)
            if t == T - 1 {
                ft.down.append(tier.switchRadix)
                ft.up.append(0)
            } else {
                let d = max(1, Int((r * o / (1 + o)).rounded(.down)))
                ft.down.append(d)
                ft.up.append(max(1, Int((Double(d) / o).rounded(.down))))
            }
        }
        ft.nodesPerLeaf = max(1, ft.down[0] / ft.portsPerNode)
        ft.leaves = (nodes + ft.nodesPerLeaf - 1) / ft.nodesPerLeaf
        var lp = 1
        for t in 0..<T {
            if t > 0 { lp = t == T - 1 ? max(lp * ft.down[t], ft.leaves) : lp * ft.down[t] }
            ft.leavesPerSubtree.append(lp)
            ft.subtrees.append(t == T - 1 ? 1 : (ft.leaves + lp - 1) / lp)
            ft.columns.append(t == 0 ? 1 : ft.columns[t - 1] * ft.up[t - 1])
            ft.upLinksPerTree.append(ft.subtrees[t] * ft.columns[t] * ft.up[t])
            ft.switchesPerTree.append(ft.subtrees[t] * ft.columns[t])
        }

        // Switch vertices.
        for t in 0..<T {
            ft.switchBase.append(Int32(vertexCount))
            for _ in 0..<(ft.trees * ft.switchesPerTree[t]) { addVertex(.fabricSwitch, tier: t + 1) }
        }
        func switchVertex(_ tree: Int, _ t: Int, _ s: Int, _ c: Int) -> Int32 {
            ft.switchBase[t] + Int32(tree * ft.switchesPerTree[t] + s * ft.columns[t] + c)
        }
        let tierIdx = (0..<T).map { tierIndex(named: $0 < f.tiers.count ? f.tiers[$0].name : "tier\($0 + 1)") }
        let portCap = nics.bytesPerSecond / Double(planes)

        // NIC ports: device -> leaf (up), leaf -> device (down). A port belongs to the first
        // device that sends through it.
        func portDevice(_ port: Int) -> Int32 {
            let node = port / ft.portsPerNode
            let nic = ft.railOptimized ? 0 : port % ft.portsPerNode
            return Int32(min(node * cluster.devicesPerNode + nic * cluster.devicesPerNode / nics.nicsPerNode, devices - 1))
        }
        ft.nicUpBase = Int32(linkCount)
        for tree in 0..<ft.trees {
            let railOffset = ft.railOptimized ? (tree / planes) * cluster.devicesPerNode / nics.nicsPerNode : 0
            for p in 0..<ft.portsPerTree {
                let leaf = (p / ft.portsPerNode) / ft.nodesPerLeaf
                addLink(portDevice(p) + Int32(railOffset), switchVertex(tree, 0, leaf, 0), capacity: portCap, tier: tierIdx[0])
            }
        }
        ft.nicDownBase = Int32(linkCount)
        for tree in 0..<ft.trees {
            let railOffset = ft.railOptimized ? (tree / planes) * cluster.devicesPerNode / nics.nicsPerNode : 0
            for p in 0..<ft.portsPerTree {
                let leaf = (p / ft.portsPerNode) / ft.nodesPerLeaf
                addLink(switchVertex(tree, 0, leaf, 0), portDevice(p) + Int32(railOffset), capacity: portCap, tier: tierIdx[0])
            }
        }
        // Switch-to-switch links, up then down, for each tier below the top.
        for t in 0..<(T - 1) {
            for dir in 0..<2 {
                if dir == 0 { ft.upBase.append(Int32(linkCount)) } else { ft.downBase.append(Int32(linkCount)) }
                for tree in 0..<ft.trees {
                    for s in 0..<ft.subtrees[t] {
                        let parentS = t + 1 == T - 1 ? 0 : s / ft.down[t + 1]
                        for c in 0..<ft.columns[t] {
                            let lower = switchVertex(tree, t, s, c)
                            for k in 0..<ft.up[t] {
                                let upper = switchVertex(tree, t + 1, parentS, c * ft.up[t] + k)
                                if dir == 0 { addLink(lower, upper, capacity: portCap, tier: tierIdx[t + 1]) }
                                else { addLink(upper, lower, capacity: portCap, tier: tierIdx[t + 1]) }
                            }
                        }
                    }
                }
            }
        }
        fabric = .fatTree(ft)
    }

    /// NIC port of device `d` in tree `tree`, and the tree index for its rail and `plane`.
    @inline(__always)
    func fatTreePort(_ ft: FatTreeLayout, device d: Int) -> Int {
        let node = self.node(of: d)
        return ft.railOptimized ? node : node * ft.portsPerNode + rail(of: d)
    }

    /// Appends the fat-tree route between NIC ports of devices `a` and `b` in `plane`
    /// (same rail when rail-optimized), weighted by `coef`. Returns the level reached.
    func fatTreeRoute(_ ft: FatTreeLayout, _ a: Int, _ b: Int, plane: Int, coef: Double, salt: UInt64, into out: inout RouteBuffer) -> Int {
        let tree = (ft.railOptimized ? rail(of: a) * planes : 0) + plane
        let pa = fatTreePort(ft, device: a), pb = fatTreePort(ft, device: b)
        let base = Int32(tree * ft.portsPerTree)
        out.append(ft.nicUpBase + base + Int32(pa), coef)
        let la = (pa / ft.portsPerNode) / ft.nodesPerLeaf, lb = (pb / ft.portsPerNode) / ft.nodesPerLeaf
        if la == lb {
            out.append(ft.nicDownBase + base + Int32(pb), coef)
            return 1
        }
        var top = ft.tiers - 1
        for t in 1..<ft.tiers where la / ft.leavesPerSubtree[t] == lb / ft.leavesPerSubtree[t] { top = t; break }
        // Up: choose a column at each tier (D-mod-k on the destination port, or an ECMP hash).
        var ks = SIMD4<Int>()
        var col = 0
        var h = ecmpHash ? Routing.mix(UInt64(pa) << 32 | UInt64(pb), salt &+ UInt64(plane)) : 0
        var div = 1
        for t in 0..<top {
            let u = ft.up[t]
            let k: Int
            if ecmpHash { k = Int(h % UInt64(u)); h = Routing.mix(h, UInt64(t + 1)) }
            else { k = ((pb + plane) / div) % u; div *= u }
            ks[t] = k
            let s = la / ft.leavesPerSubtree[t]
            out.append(ft.upBase[t] + Int32(ft.upLink(tree: tree, tier: t, subtree: s, column: col, k: k)), coef)
            col = col * u + k
        }
        // Down: the same columns on b's side.
        var t = top - 1
        while t >= 0 {
            let k = ks[t]
            col = col / ft.up[t]
            let s = lb / ft.leavesPerSubtree[t]
            out.append(ft.downBase[t] + Int32(ft.upLink(tree: tree, tier: t, subtree: s, column: col, k: k)), coef)
            t -= 1
        }
        out.append(ft.nicDownBase + base + Int32(pb), coef)
        return top + 1
    }

    /// Up links from device `a`'s NIC port to a tier-`top` switch chosen by `salt` (the
    /// in-network reduction tree of a group), and the matching down links.
    func fatTreeReductionPath(_ ft: FatTreeLayout, _ a: Int, top: Int, plane: Int, salt: Int, up: inout RouteBuffer, down: inout RouteBuffer, coef: Double) {
        let tree = (ft.railOptimized ? rail(of: a) * planes : 0) + plane
        let pa = fatTreePort(ft, device: a)
        let base = Int32(tree * ft.portsPerTree)
        up.append(ft.nicUpBase + base + Int32(pa), coef)
        down.append(ft.nicDownBase + base + Int32(pa), coef)
        let la = (pa / ft.portsPerNode) / ft.nodesPerLeaf
        var col = 0
        var div = 1
        for t in 0..<min(top, ft.tiers - 1) {
            let u = ft.up[t]
            let k = (salt / div) % u
            div *= u
            let s = la / ft.leavesPerSubtree[t]
            let id = Int32(ft.upLink(tree: tree, tier: t, subtree: s, column: col, k: k))
            up.append(ft.upBase[t] + id, coef)
            down.append(ft.downBase[t] + id, coef)
            col = col * u + k
        }
    }
}
