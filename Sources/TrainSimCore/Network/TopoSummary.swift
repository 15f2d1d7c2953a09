import Foundation

/// What `trainsim topo FILE` shows about a design built for a device count: devices, switches
/// and links per tier, bisection bandwidth, oversubscription, diameter, and the bus bandwidth
/// each collective reaches on groups of chosen sizes (all copies of the group at once, flow model).
public struct TopoSummary: Sendable {
    public struct Tier: Sendable, Equatable {
        public var name: String
        public var switches: Int
        /// Bidirectional links (cables) of the tier, all planes.
        public var links: Int
        /// Achieved one-direction bandwidth of one link, GB/s.
        public var linkGBps: Double
    }

    public struct Busbw: Sendable, Equatable {
        public var collective: String
        public var groupSize: Int
        public var copies: Int
        public var algorithm: String
        public var busbwGBps: Double
        public var seconds: Double
    }

    public var id: String
    public var name: String
    public var fabric: String
    public var devices: Int
    public var nodes: Int
    /// Devices of one node of the design; a cluster smaller than that is one partial node.
    public var devicesPerNode: Int
    public var scaleUpDomain: Int
    public var maxDevices: Int
    public var maxDevicesReason: String
    public var planes: Int
    public var railOptimized: Bool
    public var tiers: [Tier]
    /// Sum of achieved rates when each device sends to the device half the cluster away, GB/s
    /// one direction (the bisection the fabric delivers to a half-shift permutation).
    public var bisectionGBps: Double
    /// Bisection as a fraction of what the devices' NICs could inject.
    public var bisectionRatio: Double
    /// Product of the tiers' down:up ratios.
    public var oversubscription: Double
    /// Most links on a route between two devices.
    public var diameterHops: Int
    public var messageBytes: Double
    public var busbw: [Busbw]

    /// Builds the summary. `devices` defaults to the largest group size (whole nodes).
    public static func make(spec: TopologySpec, devices: Int? = nil, groupSizes: [Int] = [8, 64, 512],
                            messageBytes: Double = 1_073_741_824, routing: RoutingPolicy? = nil) throws(TrainSimError) -> TopoSummary {
        // Default size: the largest group, in whole nodes (whole supernodes when they span nodes).
        let dpn = spec.node.devicesPerNode
        let su = spec.node.scaleUp
        let unit = su.kind == "supernode" && su.domainDevices % dpn == 0 ? su.domainDevices : dpn
        let want = devices ?? max(groupSizes.max() ?? unit, unit)
        let n = devices == nil ? (want + unit - 1) / unit * unit : want
        let cluster = try Cluster(spec: spec, devices: n)
        var options = FlowNetwork.Options()
        options.routing = routing ?? spec.fabric.routing
        let net = FlowNetwork(cluster: cluster, options: options)
        let g = net.graph
        // Switches and links per tier.
        var tiers: [Tier] = []
        for (ti, tname) in g.tierNames.enumerated() {
            var links = 0
            var cap = 0.0
            for l in 0..<g.linkCount where Int(g.linkTier[l]) == ti && g.linkCapacity[l] > 0 {
                links += 1
                cap = max(cap, g.linkCapacity[l])
            }
            var switches = 0
            for v in 0..<g.vertexCount {
                switch g.vertexKind[v] {
                case .scaleUpSwitch: if ti == 0 { switches += 1 }
                case .fabricSwitch, .router:
                    if g.vertexTier[v] > 0, ti > 0, tierOfSwitch(g, Int(g.vertexTier[v])) == ti { switches += 1 }
                case .device: break
                }
            }
            // The graph gives each top-tier column a switch; a cluster smaller than the design
            // needs only enough switches for the links that reach the top.
            if case .fatTree(let ft) = g.fabric, ft.tiers > 1, ti == tierOfSwitch(g, ft.tiers) {
                let radix = spec.fabric.tiers[ft.tiers - 1].switchRadix
                switches = min(switches, (links / 2 + radix - 1) / radix)
            }
            if links > 0 || switches > 0 { tiers.append(Tier(name: tname, switches: switches, links: links / 2, linkGBps: cap / 1e9)) }
        }
        // Bisection: half-shift permutation.
        var b = RouteBuffer()
        var fsb = FlowSetBuilder(linkCount: g.linkCount)
        let half = n / 2
        var injected = 0.0
        if half > 0 {
            for d in 0..<(2 * half) {
                b.removeAll()
                g.route(d, (d + half) % (2 * half), into: &b)
                fsb.add(b, volume: 1)
            }
            injected = Double(2 * half) * (g.nicLayout.bytesPerSecond)
        }
        let sim = FlowSimulator(graph: g)
        var rates = [Double](repeating: 0, count: fsb.set.count)
        var bn = [Int32](repeating: -1, count: fsb.set.count)
        sim.solver.solve(fsb.set, active: (0..<fsb.set.count).map { Int32($0) }, rates: &rates, bottleneck: &bn)
        let bisection = rates.prefix(half).reduce(0) { $0 + ($1.isFinite ? $1 : 0) }
        // Diameter over sampled device pairs.
        var diameter = 0
        let sources = Array(Set([0, n / 2, n - 1])).sorted()
        let step = max(1, n / 4096)
        for s in sources { for d in stride(from: 0, to: n, by: step) { diameter = max(diameter, g.hopCount(s, d)) } }
        var over = 1.0
        if spec.fabric.kind == "fat-tree" { for t in spec.fabric.tiers.dropLast() { over *= t.oversubscription } }
        // Bus bandwidth per collective and group size.
        var busbw: [Busbw] = []
        for size in groupSizes where size > 1 && size <= n {
            let group = CommGroup(size: size, stride: 1)
            for kind in [CollectiveKind.allReduce, .reduceScatter, .allGather, .allToAll] {
                let r = CollectiveRequest(kind: kind, bytes: messageBytes, group: group, label: "topo")
                let c = net.cost(r)
                let bw = c.seconds > 0 ? messageBytes * kind.busFactor(size) / c.seconds / 1e9 : 0
                busbw.append(Busbw(collective: kind.rawValue, groupSize: size, copies: n / size, algorithm: c.algorithm, busbwGBps: bw, seconds: c.seconds))
            }
        }
        return TopoSummary(id: spec.id, name: spec.name, fabric: spec.fabric.kind + (options.routing == .ecmpHash ? " (ECMP hashing)" : ""), devices: n, nodes: cluster.nodes, devicesPerNode: dpn,
                           scaleUpDomain: cluster.domainDevices, maxDevices: cluster.maxDevices, maxDevicesReason: cluster.maxDevicesReason,
                           planes: g.planes, railOptimized: spec.fabric.railOptimized, tiers: tiers, bisectionGBps: bisection / 1e9,
                           bisectionRatio: injected > 0 ? bisection / (injected / 2) : 0, oversubscription: over,
                           diameterHops: diameter, messageBytes: messageBytes, busbw: busbw)
    }

    /// Link tier index a switch of vertex tier `t` belongs to (the tier of its links towards devices).
    private static func tierOfSwitch(_ g: TopologyGraph, _ t: Int) -> Int {
        // Fat-tree: vertex tier t (1-based) = link tier of fabric level t; torus and dragonfly
        // routers and switches are counted with the first fabric tier.
        if case .fatTree = g.fabric { return min(t, g.tierNames.count - 1) }
        return 1
    }
}
