import Foundation

/// A 1-3D torus of nodes: one router per node, a link each way to both neighbours in every
/// dimension. The node's NIC bandwidth is split evenly over its 2 x dims torus ports.
/// A cluster smaller than the torus keeps the full ring in each dimension (idle routers).
final class TorusLayout: @unchecked Sendable {  // immutable once built
    var dims: [Int] = []
    var routers = 0
    var routerBase: Int32 = 0
    var injectBase: Int32 = 0
    var ejectBase: Int32 = 0
    var linkBase: Int32 = 0

    @inline(__always) func link(node: Int, dim: Int, positive: Bool) -> Int32 {
        linkBase + Int32((node * dims.count + dim) * 2 + (positive ? 0 : 1))
    }
}

extension TopologyGraph {
    func buildTorus() {
        let spec = cluster.spec
        planes = 1
        let tl = TorusLayout()
        tl.dims = spec.fabric.torusDims.isEmpty ? [cluster.nodes] : spec.fabric.torusDims
        tl.routers = tl.dims.reduce(1, *)
        let tier = tierIndex(named: spec.fabric.tiers.first?.name ?? "torus")
        let nodeBW = Double(spec.node.nicsPerNode) * spec.node.nicGBps * 1e9 * spec.fabric.efficiency
        let portBW = nodeBW / Double(2 * tl.dims.count)
        tl.routerBase = Int32(vertexCount)
        for _ in 0..<tl.routers { addVertex(.router, tier: 1) }
        let deviceBW = nodeBW
        tl.injectBase = Int32(linkCount)
        for d in 0..<devices { addLink(Int32(d), tl.routerBase + Int32(node(of: d)), capacity: deviceBW, tier: tier) }
        tl.ejectBase = Int32(linkCount)
        for d in 0..<devices { addLink(tl.routerBase + Int32(node(of: d)), Int32(d), capacity: deviceBW, tier: tier) }
        tl.linkBase = Int32(linkCount)
        for n in 0..<tl.routers {
            var coord = torusCoords(n, tl.dims)
            for (k, size) in tl.dims.enumerated() {
                let c = coord[k]
                coord[k] = (c + 1) % size
                let plus = torusIndex(coord, tl.dims)
                coord[k] = (c + size - 1) % size
                let minus = torusIndex(coord, tl.dims)
                coord[k] = c
                addLink(tl.routerBase + Int32(n), tl.routerBase + Int32(plus), capacity: portBW, tier: tier)
                addLink(tl.routerBase + Int32(n), tl.routerBase + Int32(minus), capacity: portBW, tier: tier)
            }
        }
        fabric = .torus(tl)
    }

    func torusCoords(_ n: Int, _ dims: [Int]) -> [Int] {
        var rest = n
        return dims.map { size in defer { rest /= size }; return rest % size }
    }

    func torusIndex(_ coord: [Int], _ dims: [Int]) -> Int {
        var idx = 0, mul = 1
        for (k, size) in dims.enumerated() { idx += coord[k] * mul; mul *= size }
        return idx
    }

    /// Dimension-order routing, shortest way round each ring (ties broken by `salt`).
    /// Returns the number of router hops.
    func torusRoute(_ tl: TorusLayout, _ a: Int, _ b: Int, salt: UInt64, into out: inout RouteBuffer) -> Int {
        out.append(tl.injectBase + Int32(a))
        var cur = node(of: a)
        let dst = node(of: b)
        var hops = 0
        var mul = 1
        for (k, size) in tl.dims.enumerated() {
            let ck = (cur / mul) % size, dk = (dst / mul) % size
            let fwd = (dk - ck + size) % size
            if fwd != 0 {
                let back = size - fwd
                let positive = fwd < back || (fwd == back && (salt & 1) == 0)
                let steps = positive ? fwd : back
                var c = ck
                for _ in 0..<steps {
                    out.append(tl.link(node: cur, dim: k, positive: positive))
                    let next = positive ? (c + 1) % size : (c + size - 1) % size
                    cur += (next - c) * mul
                    c = next
                }
                hops += steps
            }
            mul *= size
        }
        out.append(tl.ejectBase + Int32(b))
        return max(1, hops)
    }
}
