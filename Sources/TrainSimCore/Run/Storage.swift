import Foundation

/// The input pipeline of one phase against the topology's storage tier. Token ids are read by
/// the first pipeline stage of each replica and labels by the last (Megatron's data loaders; TP
/// and CP ranks receive them by broadcast), so reads concentrate on the nodes holding those
/// stages. Loaders prefetch, so reading only shows in the step when the storage tier cannot keep
/// up: the step then stretches by the ratio of the bandwidth needed to the bandwidth delivered.
public struct DataPipeline: Sendable, Equatable {
    public var tokensPerSecond: Double
    public var bytesPerToken: Double
    /// Bytes per second the run reads in total, GB/s.
    public var readGBpsTotal: Double
    /// Nodes that read (those holding first or last pipeline stages).
    public var readerNodes: Int
    public var readGBpsPerReaderNode: Double
    public var storageReadGBpsPerNode: Double
    public var storageAggregateReadGBps: Double
    /// Needed over delivered, for the tighter of the per-node and the aggregate limit.
    public var utilisation: Double
    /// Extra time as a fraction of the ideal time (0 when storage keeps up).
    public var stallFraction: Double { max(0, utilisation - 1) }

    public init(analysis a: Analysis, bytesPerToken: Double) {
        let e = a.experiment, topo = e.cluster.topology, p = e.parallelism
        let dpn = topo.node.devicesPerNode
        let nodes = (e.cluster.devices + dpn - 1) / dpn
        let reads = p.pp > 1 ? 2 : 1
        let stageDevices = e.cluster.devices / p.pp
        readerNodes = max(1, min(nodes, reads * ((stageDevices + dpn - 1) / dpn)))
        tokensPerSecond = a.tokensPerSecond
        self.bytesPerToken = bytesPerToken
        readGBpsTotal = tokensPerSecond * bytesPerToken * Double(reads) / 1e9
        readGBpsPerReaderNode = readGBpsTotal / Double(readerNodes)
        storageReadGBpsPerNode = topo.storage.readGBpsPerNode
        storageAggregateReadGBps = topo.storage.aggregateReadGBps
        utilisation = max(readGBpsTotal / storageAggregateReadGBps, readGBpsPerReaderNode / storageReadGBpsPerNode)
    }
}

/// What the run keeps on the storage tier and what that costs per second of wall time.
public struct StorageBill: Sendable, Equatable {
    public var datasetBytes: Double
    public var checkpointBytes: Double
    public var pricePerTBMonth: Double
    public var totalTB: Double { (datasetBytes + checkpointBytes) / 1e12 }
    /// Cost per second of wall time, in the report's currency.
    public var costPerSecond: Double { totalTB * pricePerTBMonth / (365.25 / 12 * 86400) }
}
