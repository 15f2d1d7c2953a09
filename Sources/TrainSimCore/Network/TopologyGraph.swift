import Foundation

/// A cluster as a graph: devices, scale-up switches, NIC ports, fabric switches and the directed
/// links between them. Links are kept as structure-of-arrays (source, destination, capacity in
/// bytes/s, latency in seconds, tier), so the flow solver indexes them by `Int32` id.
///
/// Link ids are laid out arithmetically by the builders (`GraphBuilder+*.swift`), so routing
/// (`Routing.swift`) computes a route without searching the graph.
public final class TopologyGraph: @unchecked Sendable {  // immutable once built
    public enum VertexKind: UInt8, Sendable { case device, scaleUpSwitch, fabricSwitch, router }

    public let cluster: Cluster
    public let devices: Int
    var deviceCount: Int { devices }

    // Vertices.
    public internal(set) var vertexKind: [VertexKind] = []
    /// Tier of each vertex (index into `tierNames`; devices use the scale-up tier).
    public internal(set) var vertexTier: [UInt8] = []

    // Links (directed, one direction each).
    public internal(set) var linkSrc: [Int32] = []
    public internal(set) var linkDst: [Int32] = []
    /// Achieved bandwidth (nominal x efficiency), bytes/s.
    public internal(set) var linkCapacity: [Double] = []
    public internal(set) var linkTier: [UInt8] = []

    /// Names of link tiers: 0 is "scale-up", then one per fabric level.
    public internal(set) var tierNames: [String] = ["scale-up"]

    /// Independent fabric planes each NIC is split over (the graph holds them all).
    public internal(set) var planes: Int = 1

    // Layout used by routing.
    var scaleUp = ScaleUpLayout()
    var fabric: FabricLayout = .none
    /// ECMP hashing instead of destination-mod-k on fat-trees.
    var ecmpHash = false
    private(set) var latencyTable: [Double] = [0]
    // Figures routing reads on every call, kept out of `cluster`.
    let devicesPerNode: Int
    let nicsPerNode: Int
    let nicBytesPerSecond: Double

    public var linkCount: Int { linkCapacity.count }
    public var vertexCount: Int { vertexKind.count }

    /// Builds the graph of `cluster` (all devices, all planes).
    public init(cluster: Cluster) {
        self.cluster = cluster
        devices = cluster.devices
        let spec = cluster.spec
        devicesPerNode = spec.node.devicesPerNode
        nicsPerNode = max(1, min(spec.node.nicsPerNode, devicesPerNode))
        nicBytesPerSecond = Double(spec.node.nicsPerNode) * spec.node.nicGBps * 1e9 * spec.fabric.efficiency / Double(nicsPerNode)
        planes = max(1, cluster.spec.fabric.planes)
        for _ in 0..<cluster.devices { addVertex(.device, tier: 0) }
        buildScaleUp()
        switch cluster.spec.fabric.kind {
        case "torus": buildTorus()
        case "dragonfly": buildDragonfly()
        default: buildFatTree()
        }
        latencyTable = Self.latencyTable(cluster, fabric)
    }

    @discardableResult
    func addVertex(_ kind: VertexKind, tier: Int) -> Int32 {
        vertexKind.append(kind)
        vertexTier.append(UInt8(tier))
        return Int32(vertexKind.count - 1)
    }

    @discardableResult
    func addLink(_ a: Int32, _ b: Int32, capacity: Double, tier: Int) -> Int32 {
        linkSrc.append(a)
        linkDst.append(b)
        linkCapacity.append(capacity)
        linkTier.append(UInt8(tier))
        return Int32(linkCapacity.count - 1)
    }

    func tierIndex(named name: String) -> Int {
        if let i = tierNames.firstIndex(of: name) { return i }
        tierNames.append(name)
        return tierNames.count - 1
    }

    /// Per-message latency of a transfer that climbs to fabric `level` (0 = scale-up), seconds.
    /// Torus and dragonfly levels count router hops.
    @inline(__always) func latency(level: Int) -> Double { latencyTable[min(max(level, 0), latencyTable.count - 1)] }

    static func latencyTable(_ cluster: Cluster, _ fabric: FabricLayout) -> [Double] {
        (0..<64).map { level in
            switch fabric {
            case .fatTree, .none: return cluster.latency(level: level)
            case .torus, .dragonfly:
                if level == 0 { return cluster.latency(level: 0) }
                let hopUs = cluster.spec.fabric.tiers.first?.latencyUs ?? 0.5
                return (cluster.spec.fabric.baseLatencyUs + hopUs * Double(level)) * 1e-6
            }
        }
    }

    // MARK: Devices, NICs, domains

    /// Scale-up domain of a device.
    @inline(__always) func domain(of d: Int) -> Int { d / scaleUp.domainDevices }

    /// Node of a device.
    @inline(__always) func node(of d: Int) -> Int { d / devicesPerNode }

    /// Logical NIC (rail) a device sends through.
    @inline(__always) func rail(of d: Int) -> Int { (d % devicesPerNode) * nicsPerNode / devicesPerNode }

    /// Logical NICs of a node and the capacity of one, bytes/s (all planes together).
    var nicLayout: (nicsPerNode: Int, bytesPerSecond: Double) { (nicsPerNode, nicBytesPerSecond) }

    /// A device of the same node on rail `r` (the PXN relay for rail-aware routing).
    @inline(__always) func device(inNodeOf d: Int, rail r: Int) -> Int {
        let dpn = devicesPerNode
        let nics = nicsPerNode
        let base = node(of: d) * dpn
        // The device of that rail closest to d's position among the devices sharing the rail.
        let perRail = dpn / nics
        let offset = (d % dpn) % max(perRail, 1)
        return min(base + r * perRail + offset, deviceCount - 1)
    }
}

/// Scale-up domain layout: a switch per domain (NVSwitch, UB supernode) or a full mesh (HCCS).
struct ScaleUpLayout: Sendable {
    var kind: String = "none"
    var domainDevices: Int = 1
    /// Switch kind: link ids of device `d`'s up link (d -> switch) and down link (switch -> d).
    var upBase: Int32 = 0
    var downBase: Int32 = 0
    /// Mesh kind: link id of the direct link i -> j of a domain = meshBase + (domain x k x k + i x k + j).
    var meshBase: Int32 = 0
    var isMesh: Bool { kind == "mesh" }
    var present: Bool { kind != "none" && domainDevices > 1 }
}

/// The scale-out fabric's layout, one case per family.
enum FabricLayout: Sendable {
    case none
    case fatTree(FatTreeLayout)
    case torus(TorusLayout)
    case dragonfly(DragonflyLayout)
}
