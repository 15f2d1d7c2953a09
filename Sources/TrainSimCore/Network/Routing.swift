import Foundation

/// Links of one route (or one coupled flow), with a weight per link: how many bytes cross the
/// link per byte the flow moves (1 for a plain route, 1/planes per plane when a transfer is
/// striped over planes, more when a coupled flow crosses a link twice).
struct RouteBuffer {
    var links: [Int32] = []
    var coefs: [Double] = []
    mutating func append(_ link: Int32, _ coef: Double = 1) { links.append(link); coefs.append(coef) }
    mutating func removeAll() { links.removeAll(keepingCapacity: true); coefs.removeAll(keepingCapacity: true) }
    var count: Int { links.count }
}

/// How the fabric picks among equal-cost paths.
public enum RoutingPolicy: String, Sendable, CaseIterable {
    /// Destination-mod-k: the up port at each tier follows the destination port index, as
    /// InfiniBand's fat-tree routing does; shift patterns are contention-free on a full tree.
    case destinationModK
    /// ECMP: a deterministic hash of (source, destination, flow) picks the up port, as RoCE
    /// switches do; unlucky hashes collide.
    case ecmpHash
}

enum Routing {
    /// splitmix64 finaliser: a deterministic hash for ECMP choices.
    @inline(__always) static func mix(_ x: UInt64, _ salt: UInt64) -> UInt64 {
        var z = x &+ salt &* 0x9E37_79B9_7F4A_7C15
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}

extension TopologyGraph {
    /// Sets the ECMP policy of a fat-tree fabric.
    func setRouting(_ policy: RoutingPolicy) {
        ecmpHash = policy == .ecmpHash
    }

    /// Appends the links device `a` -> device `b` crosses to `out`, each weighted by `coef`
    /// (striped over all planes), and returns the fabric level reached (0 = scale-up only).
    ///
    /// Rail-aware: on a rail-optimized fabric a transfer to another rail first crosses the
    /// scale-up domain to the device of the destination's rail (PXN), then rides that rail.
    @discardableResult
    func route(_ a: Int, _ b: Int, coef: Double = 1, salt: UInt64 = 0, into out: inout RouteBuffer) -> Int {
        if a == b { return 0 }
        if scaleUp.present && domain(of: a) == domain(of: b) {
            let n = out.count
            scaleUpRoute(a, b, into: &out)
            if coef != 1 { for i in n..<out.count { out.coefs[i] = coef } }
            return 0
        }
        switch fabric {
        case .none:
            return 0
        case .fatTree(let ft):
            var src = a
            if ft.railOptimized && rail(of: a) != rail(of: b) {
                let relay = device(inNodeOf: a, rail: rail(of: b))
                if domain(of: relay) == domain(of: a) {
                    let n = out.count
                    scaleUpRoute(a, relay, into: &out)
                    for i in n..<out.count { out.coefs[i] = coef }
                    src = relay
                } else {
                    // The relay sits on b's side: ride a's rail to b's node, then scale up.
                    let relayB = device(inNodeOf: b, rail: rail(of: a))
                    var level = 1
                    for p in 0..<planes {
                        level = fatTreeRoute(ft, a, relayB, plane: p, coef: coef / Double(planes), salt: salt, into: &out)
                    }
                    if relayB != b && domain(of: relayB) == domain(of: b) {
                        let n = out.count
                        scaleUpRoute(relayB, b, into: &out)
                        for i in n..<out.count { out.coefs[i] = coef }
                    }
                    return level
                }
            }
            var level = 1
            if src == b { return 0 }
            for p in 0..<planes {
                level = fatTreeRoute(ft, src, b, plane: p, coef: coef / Double(planes), salt: salt, into: &out)
            }
            return level
        case .torus(let tl):
            let n = out.count
            let hops = torusRoute(tl, a, b, salt: salt, into: &out)
            if coef != 1 { for i in n..<out.count { out.coefs[i] = coef } }
            return hops
        case .dragonfly(let df):
            let n = out.count
            let hops = dragonflyRoute(df, a, b, salt: salt, into: &out)
            if coef != 1 { for i in n..<out.count { out.coefs[i] = coef } }
            return hops
        }
    }

    /// Number of links on the route a -> b (a transfer striped over planes counts each hop once).
    public func hopCount(_ a: Int, _ b: Int) -> Int {
        var buf = RouteBuffer()
        route(a, b, coef: 1, into: &buf)
        return Int(buf.coefs.reduce(0, +).rounded())
    }
}
