import Foundation

/// The experiment's optional `data` object: how many tokens exist, how often they may be
/// repeated, how many bytes each costs to read, and how the run is split into phases (a
/// batch-size ramp at the start, later sequence-length phases with their own plans).
public struct DataSpec: Sendable, Equatable {
    /// Unique tokens in the corpus, if known.
    public var datasetTokens: Double?
    /// How many times the corpus may be read (epochs).
    public var maxEpochs: Double
    /// Bytes read from storage per training token.
    public var bytesPerToken: Double
    public var batchRamp: BatchRamp?
    /// Phases after the base phase (the `training` object), in order.
    public var phases: [PhaseSpec]
    /// Where each default came from, for the report: key -> source.
    public var defaults: [(String, String)]
    /// Tokens per (active) parameter of a compute-optimal run, with its source (`Topologies/run/defaults.json`).
    public var chinchillaTokensPerParameter: Double = 20
    public var chinchillaSource = ""

    public static func == (a: DataSpec, b: DataSpec) -> Bool {
        a.datasetTokens == b.datasetTokens && a.maxEpochs == b.maxEpochs && a.bytesPerToken == b.bytesPerToken
            && a.batchRamp == b.batchRamp && a.phases == b.phases && a.defaults.map(\.0) == b.defaults.map(\.0)
    }

    public static let bytesPerTokenSource =
        "Megatron-LM indexed datasets store token ids as uint16 when the vocabulary has fewer than 65,500 entries, else int32"
}

/// A batch-size ramp over the first tokens of the base phase (DeepSeek-V3: 3,072 to 15,360
/// sequences over the first 469B tokens), simulated as a few discrete batch sizes.
public struct BatchRamp: Sendable, Equatable {
    public var fromSequences: Int
    public var tokens: Double
    /// Discrete batch sizes the ramp is approximated by, each over an equal share of its tokens.
    public var stages: Int
}

/// One later phase: its tokens, sequence length and batch, and optionally its own plan.
public struct PhaseSpec: Sendable, Equatable {
    public var name: String
    public var tokens: Double
    public var sequenceLength: Int?
    public var globalBatchSequences: Int?
    public var globalBatchTokens: Double?
    public var microBatchSequences: Int?
    public var recompute: Recompute?
    /// Layers recomputed per model chunk under full recompute (`training.recomputeLayers`).
    public var recomputeLayers: Int? = nil
    /// Keys of `parallelism` that this phase changes (merged over the base plan; `dp` re-derived unless given).
    public var parallelism: JSONValue?
}

/// The experiment's optional `reliability` object: overrides of the topology's failure figures
/// and the checkpoint policy.
public struct ReliabilityOptions: Sendable, Equatable {
    public var deviceMTBFHours: Sourced
    public var nodeMTBFHours: Sourced
    public var restartMinutes: Sourced
    /// Given checkpoint interval (work between checkpoints), minutes; nil: chosen by `checkpointRule`.
    public var checkpointIntervalMinutes: Double?
    /// "young" (tau = sqrt(2 C M)) or "daly" (Daly 2006 higher-order form).
    public var checkpointRule: String
    /// Given checkpoint write time, seconds; nil: size over the storage tier's write bandwidth.
    public var checkpointWriteSeconds: Double?
    /// Bytes saved per parameter (default from `Topologies/run/defaults.json`).
    public var checkpointBytesPerParameter: Double
    /// Checkpoints kept on storage (for the storage bill).
    public var checkpointsKept: Int
    /// Whether a failure can also strike during a restart (Daly's model; true by default).
    public var failuresDuringRestart: Bool
    /// Where `checkpointBytesPerParameter` came from, for the report.
    public var checkpointBytesSource: String
    /// Goodput below which the run is reported as collapsing (exit 1).
    public var minimumGoodput: Sourced
}
