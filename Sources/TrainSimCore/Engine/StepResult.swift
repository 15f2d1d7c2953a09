/// Seconds of one training step, split as the report's `breakdown` key fixes.
public struct StepBreakdown: Sendable, Equatable {
    public var compute = 0.0, bubble = 0.0, tp = 0.0, pp = 0.0, dp = 0.0, ep = 0.0, cp = 0.0, optimizer = 0.0
    public var total: Double { compute + bubble + tp + pp + dp + ep + cp + optimizer }
}

/// One collective the step issues, with its cost, for reports and traces.
public struct CollectiveRecord: Sendable, Equatable {
    public var label: String
    public var kind: CollectiveKind
    public var groupSize: Int
    public var bytes: Double
    /// Calls per step on the bottleneck stage.
    public var callsPerStep: Double
    public var cost: CollectiveCost
    /// Seconds per step this collective adds to the step after overlap.
    public var exposedSeconds: Double
    /// The group, for backends that report per-link detail.
    public var group: CommGroup? = nil
}

/// Everything the engine computes for one step of an experiment.
public struct StepResult: Sendable {
    public var stepSeconds: Double
    public var breakdown: StepBreakdown
    public var memory: MemoryBreakdown
    public var microBatches: Int
    public var tokensPerStep: Double
    public var modelFLOPsPerToken: Double
    /// Model FLOPs plus recomputation.
    public var hardwareFLOPsPerToken: Double
    public var parameters: Double
    public var activeParameters: Double
    /// Per physical stage: forward and backward seconds of one micro-batch (with exposed comm).
    public var stageForwardSeconds: [Double]
    public var stageBackwardSeconds: [Double]
    public var bottleneckStage: Int
    public var collectives: [CollectiveRecord]
    public var networkBackend: String
    /// Exposed communication seconds per network tier.
    public var exposedByTier: [String: Double]
    /// Flow mode: per collective (in `collectives` order, those with a group), link utilization per tier.
    public var linkUtilization: [[LinkTierUtilization]] = []
    /// Per pipeline stage, its compute stream's time by what it did or waited for (each adds up to the step).
    public var stageBreakdowns: [StepBreakdown] = []
    /// Per network tier, on the reported stage: seconds of traffic at full rate (analytical), or
    /// seconds during which a collective crossing it was in flight (flow mode).
    public var tierBusySeconds: [String: Double] = [:]
}
