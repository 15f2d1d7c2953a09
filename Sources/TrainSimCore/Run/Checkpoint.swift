import Foundation

/// The checkpoint: its size from the model and optimizer, its write time to the storage tier
/// (each rank writes its own shard, in parallel), and the interval between checkpoints.
public struct CheckpointPlan: Sendable, Equatable {
    public var bytes: Double
    /// Nodes that write: all of them when ZeRO shards the optimizer over data-parallel ranks
    /// (every rank owns a distinct shard), else one replica's nodes.
    public var writerNodes: Int
    /// Bandwidth the write gets: the aggregate write limit, or the writers' per-node limit
    /// (taken as the per-node read bandwidth) if smaller, GB/s.
    public var writeGBps: Double
    public var writeSeconds: Double
    /// Work between checkpoints, seconds.
    public var intervalSeconds: Double
    /// "young", "daly" or "given".
    public var rule: String

    public init(analysis a: Analysis, options o: ReliabilityOptions, jobMTBFSeconds: Double) {
        let e = a.experiment, topo = e.cluster.topology, p = e.parallelism
        bytes = a.step.parameters * o.checkpointBytesPerParameter
        let dpn = topo.node.devicesPerNode
        let nodes = (e.cluster.devices + dpn - 1) / dpn
        writerNodes = p.zero >= 1 ? nodes : max(1, (e.cluster.devices / p.dp + dpn - 1) / dpn)
        writeGBps = min(topo.storage.aggregateWriteGBps, Double(writerNodes) * topo.storage.readGBpsPerNode)
        writeSeconds = o.checkpointWriteSeconds ?? bytes / (writeGBps * 1e9)
        if let given = o.checkpointIntervalMinutes {
            intervalSeconds = given * 60
            rule = "given"
        } else if o.checkpointRule == "daly" {
            intervalSeconds = CheckpointPlan.daly(checkpointSeconds: writeSeconds, mtbfSeconds: jobMTBFSeconds)
            rule = "daly"
        } else {
            intervalSeconds = CheckpointPlan.young(checkpointSeconds: writeSeconds, mtbfSeconds: jobMTBFSeconds)
            rule = "young"
        }
        // A zero-cost checkpoint would be taken continuously; keep at least one step between checkpoints.
        intervalSeconds = max(intervalSeconds, a.step.stepSeconds)
    }

    /// Young (1974): the interval that minimises first-order waste C/tau + tau/(2M).
    public static func young(checkpointSeconds c: Double, mtbfSeconds m: Double) -> Double {
        (2 * c * m).squareRoot()
    }

    /// Daly (2006), higher-order estimate of the optimum for exponential failures with restarts.
    public static func daly(checkpointSeconds c: Double, mtbfSeconds m: Double) -> Double {
        guard c < 2 * m else { return m }
        let x = c / (2 * m)
        return (2 * c * m).squareRoot() * (1 + x.squareRoot() / 3 + x / 9) - c
    }

    /// Checkpoint writing as a fraction of failure-free time: C / (tau + C).
    public var overheadFraction: Double { writeSeconds / (intervalSeconds + writeSeconds) }
}
