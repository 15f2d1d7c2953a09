import Foundation

/// A topology design built for a device count: how many nodes and scale-up domains, how the
/// fabric's tiers group nodes, and the bandwidth a device gets at each level. Devices are
/// numbered node by node; NIC i of a node serves device i (rails).
public struct Cluster: Sendable, Equatable {
    public var spec: TopologySpec
    public var devices: Int
    public var nodes: Int
    /// Devices in one scale-up domain (may span nodes, as in a supernode).
    public var domainDevices: Int
    /// For each fabric tier, how many nodes one switch subtree at that tier spans
    /// (the last entry spans the whole fabric).
    public var nodesPerTierSubtree: [Int]
    /// The largest device count this design reaches.
    public var maxDevices: Int
    public var maxDevicesReason: String

    public var devicesPerNode: Int { spec.node.devicesPerNode }
    public var device: DeviceSpec { spec.device }

    /// Achieved one-direction bandwidth per device inside the scale-up domain, bytes/s.
    public var scaleUpBytesPerSecond: Double { spec.node.scaleUp.linkGBps * spec.node.scaleUp.efficiency * 1e9 }

    /// Achieved one-direction bandwidth per device for a group with `members` devices in the
    /// domain. In a full mesh (HCCS) each peer has its own link (`linkGBps` is the device's total
    /// over domain - 1 links), so a group reaches only its members' links; a switch gives any group
    /// the full bandwidth.
    public func scaleUpBytesPerSecond(groupMembers members: Int) -> Double {
        let domain = max(2, spec.node.scaleUp.domainDevices)
        guard spec.node.scaleUp.kind == "mesh", members < domain else { return scaleUpBytesPerSecond }
        return scaleUpBytesPerSecond * Double(max(1, members - 1)) / Double(domain - 1)
    }

    /// Achieved one-direction scale-out bandwidth per device (its share of the node's NICs), bytes/s.
    public var scaleOutBytesPerSecond: Double {
        Double(spec.node.nicsPerNode) * spec.node.nicGBps * spec.fabric.efficiency * 1e9 / Double(devicesPerNode)
    }

    public init(spec: TopologySpec, devices: Int) throws(TrainSimError) {
        self.spec = spec
        self.devices = devices
        let dpn = spec.node.devicesPerNode
        guard devices >= 1 else { throw TrainSimError(path: "cluster.devices", "needs at least 1 device, found \(devices)") }
        guard devices % dpn == 0 || devices < dpn else {
            throw TrainSimError(path: "cluster.devices", "\(devices) devices do not fill whole nodes of \(dpn) on \(spec.id); use a multiple of \(dpn)")
        }
        nodes = max(1, devices / dpn)
        domainDevices = min(spec.node.scaleUp.domainDevices, devices)
        let (cap, reason, spans) = Cluster.capacity(spec)
        maxDevices = cap
        maxDevicesReason = reason
        nodesPerTierSubtree = spans
        if spec.node.scaleUp.kind == "supernode", devices > spec.node.scaleUp.domainDevices,
           devices % spec.node.scaleUp.domainDevices != 0 {
            throw TrainSimError(path: "cluster.devices", "\(devices) devices are not whole supernodes of \(spec.node.scaleUp.domainDevices) on \(spec.id)")
        }
        if devices > cap {
            throw TrainSimError(path: "cluster.devices", "\(devices) devices exceed what \(spec.id) can build: at most \(cap) (\(reason))")
        }
    }

    /// The largest device count of a design, why, and the node span of each tier's subtree.
    static func capacity(_ spec: TopologySpec) -> (Int, String, [Int]) {
        let dpn = spec.node.devicesPerNode
        let f = spec.fabric
        var cap = Int.max / 4
        var reason = "no limit"
        var spans: [Int] = []
        switch f.kind {
        case "fat-tree":
            // Endpoints (NIC ports) a folded Clos of radix R reaches: a leaf gives R*o/(1+o) ports
            // down; each higher tier multiplies by its down ports; the top tier uses all its ports down.
            let nicPortsPerNode = f.railOptimized ? 1 : spec.node.nicsPerNode
            var endpoints = 1.0
            for (k, t) in f.tiers.enumerated() {
                let r = Double(t.switchRadix)
                let down = k == f.tiers.count - 1 ? r : (r * t.oversubscription / (1 + t.oversubscription)).rounded(.down)
                endpoints *= down
                spans.append(max(1, Int(endpoints) / nicPortsPerNode))
            }
            let nodesCap = Int(endpoints) / nicPortsPerNode
            cap = nodesCap * dpn
            reason = "a \(f.tiers.count)-tier fat-tree of radix-\(f.tiers.last!.switchRadix) switches reaches \(nodesCap) nodes"
                + (f.railOptimized ? " per rail" : "")
        case "torus":
            let nodesCap = f.torusDims.reduce(1, *)
            cap = nodesCap * dpn
            reason = "a \(f.torusDims.map(String.init).joined(separator: "x")) torus holds \(nodesCap) nodes"
            spans = [nodesCap]
        default: // dragonfly
            let g = f.dragonflyGroupSwitches, h = f.dragonflyGlobalLinksPerSwitch
            let groups = g * h + 1
            let radix = f.tiers.first?.switchRadix ?? 64
            let nodesPerSwitch = max(1, (radix - (g - 1) - h) / (f.railOptimized ? 1 : spec.node.nicsPerNode))
            let nodesCap = groups * g * nodesPerSwitch
            cap = nodesCap * dpn
            reason = "a dragonfly of \(groups) groups of \(g) switches reaches \(nodesCap) nodes"
            spans = [nodesPerSwitch, g * nodesPerSwitch, nodesCap]
        }
        if let m = f.maxDevices, m < cap { cap = m; reason = "the design's stated limit (fabric.maxDevices)" }
        return (cap, reason, spans)
    }

    /// Which fabric level a set of nodes needs: 0 = one node, k = under one tier-k switch subtree.
    public func fabricLevel(spanningNodes lo: Int, _ hi: Int) -> Int {
        if lo == hi { return 0 }
        for (k, span) in nodesPerTierSubtree.enumerated() where lo / span == hi / span { return k + 1 }
        return max(1, nodesPerTierSubtree.count)
    }

    /// Name of a fabric level for reports.
    public func levelName(_ level: Int) -> String {
        if level == 0 { return "scale-up" }
        let tiers = spec.fabric.tiers
        if level - 1 < tiers.count { return tiers[level - 1].name }
        return spec.fabric.kind
    }

    /// Product of oversubscription ratios crossed to reach `level` (1 below the first tier).
    public func oversubscription(toLevel level: Int) -> Double {
        let tiers = spec.fabric.tiers
        guard level > 1 else { return 1 }
        var o = 1.0
        for k in 0..<min(level - 1, tiers.count) { o *= tiers[k].oversubscription }
        return o
    }

    /// One-way latency of one message that climbs to `level`, seconds.
    public func latency(level: Int) -> Double {
        if level == 0 { return spec.node.scaleUp.latencyUs * 1e-6 }
        var us = spec.fabric.baseLatencyUs
        let tiers = spec.fabric.tiers
        for k in 0..<min(level, tiers.count) { us += 2 * tiers[k].latencyUs }
        return us * 1e-6
    }
}
