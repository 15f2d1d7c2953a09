import Foundation

/// A cluster design read from a Topologies/ file: the node, its scale-up domain, the scale-out
/// fabric, storage, power, prices and reliability. It describes a design, not a fixed machine:
/// `Cluster` builds it for a device count and says when the design cannot reach that count.
public struct TopologySpec: Sendable, Equatable {
    public var id: String
    public var name: String
    public var description: String
    public var device: DeviceSpec
    public var node: NodeSpec
    public var fabric: FabricSpec
    public var storage: StorageSpec
    public var power: PowerSpec
    public var prices: PriceSpec
    public var reliability: ReliabilitySpec
    /// The calibration profile applied to the design (`linkProfile` in the file, or the experiment's
    /// `cluster.linkProfile`), as ``LinkProfile/origin`` says; nil when none is.
    public var linkProfile: String?
    public var sources: [String: String]
}

public struct ScaleUpSpec: Sendable, Equatable {
    /// "switch" (NVSwitch), "mesh" (HCCS full mesh), "supernode" (UB fabric across nodes), "none".
    public var kind: String
    /// Devices that share one scale-up domain (8 for a DGX node, 384 for CloudMatrix384).
    public var domainDevices: Int
    /// Nominal one-direction bandwidth per device into the domain, GB/s.
    public var linkGBps: Double
    /// Achieved fraction of `linkGBps` for large transfers.
    public var efficiency: Double
    /// Per-message latency, microseconds.
    public var latencyUs: Double
    /// In-switch reduction (NVLS-like).
    public var inNetworkReduction: Bool
}

public struct NodeSpec: Sendable, Equatable {
    public var devicesPerNode: Int
    public var scaleUp: ScaleUpSpec
    public var nicsPerNode: Int
    /// Nominal one-direction bandwidth per NIC, GB/s (400 Gb/s = 50 GB/s).
    public var nicGBps: Double
    /// Power of everything in the node but the accelerators (CPUs, NICs, fans), watts.
    public var hostPowerWatts: Double
}

public struct FabricTier: Sendable, Equatable {
    public var name: String
    public var switchRadix: Int
    /// Down:up ratio at this tier's switches (1 = non-blocking, 2 = 2:1).
    public var oversubscription: Double
    public var latencyUs: Double
}

public struct FabricSpec: Sendable, Equatable {
    /// "fat-tree", "torus" or "dragonfly".
    public var kind: String
    public var tiers: [FabricTier]
    public var railOptimized: Bool
    /// Independent planes each NIC is split over (Alibaba HPN dual plane = 2).
    public var planes: Int
    /// Achieved fraction of NIC bandwidth for large transfers (RDMA efficiency).
    public var efficiency: Double
    /// Per-message software and NIC latency, microseconds.
    public var baseLatencyUs: Double
    public var inNetworkReduction: Bool
    /// Torus dimensions (nodes per dimension); empty for other kinds.
    public var torusDims: [Int]
    /// Dragonfly: switches per group and global links per switch.
    public var dragonflyGroupSwitches: Int
    public var dragonflyGlobalLinksPerSwitch: Int
    /// Hard limit the design states (a supernode's size, a pod's size), if any.
    public var maxDevices: Int?
    /// How switches pick an up port (flow mode): destination-mod-k as InfiniBand's fat-tree
    /// routing does, or an ECMP hash as RoCE switches do.
    public var routing: RoutingPolicy = .destinationModK
}

public struct StorageSpec: Sendable, Equatable {
    public var readGBpsPerNode: Double
    public var aggregateReadGBps: Double
    public var aggregateWriteGBps: Double
    public var pricePerTBMonthUSD: Double
}

public struct PowerSpec: Sendable, Equatable {
    public var pue: Double
}

/// Site prices of a design. Device prices live in the device files; a design may override them
/// (a supernode whose price includes its system).
public struct PriceSpec: Sendable, Equatable {
    public var devicePricePerHourUSD: Double?
    public var capitalCostPerDeviceUSD: Double?
    public var amortizationYears: Double
    public var electricityPricePerKWhUSD: Double
    public var cnyPerUSD: Double
}

public struct ReliabilitySpec: Sendable, Equatable {
    /// Mean time between failures of one device, hours.
    public var deviceMTBFHours: Double
    /// Mean time between failures of one node from non-device causes (host, NIC, links), hours.
    public var nodeMTBFHours: Double
    /// Time from a failure to training again (detect, reschedule, load checkpoint), minutes.
    public var restartMinutes: Double
}
