import Foundation

/// Whole-run defaults that are findings or conventions, not physics (how often data may repeat,
/// the compute-optimal token count, what a checkpoint holds, how many are kept), read from
/// `Topologies/run/defaults.json` with their sources.
public struct RunDefaults: Sendable, Equatable {
    public var maxEpochs: Sourced
    public var chinchillaTokensPerParameter: Sourced
    public var checkpointBytesPerParameter: Sourced
    public var checkpointsKept: Sourced
    /// Goodput below which a run is reported as collapsing (exit 1).
    public var minimumGoodput: Sourced

    /// The shipped file, read once per process.
    public static func shipped() throws(TrainSimError) -> RunDefaults {
        try cache.get()
    }

    private static let cache: Result<RunDefaults, TrainSimError> = {
        do throws(TrainSimError) { return .success(try load()) } catch { return .failure(error) }
    }()

    static func load() throws(TrainSimError) -> RunDefaults {
        // Always the shipped file: a defaults.json in the user's folder must not stand in for it.
        guard let url = DataLocator.home?.appendingPathComponent("Topologies/run/defaults.json") else {
            throw TrainSimError(.environment, file: "Topologies/run/defaults.json",
                                DataLocator.homeMissing ?? "trainsim's data folder is not found; set TRAINSIM_HOME to the trainsim folder")
        }
        let r = try ObjectReader(try DataLocator.readJSON(url, displayName: "Topologies/run/defaults.json"), path: "",
                                 file: "Topologies/run/defaults.json")
        _ = try r.int("schemaVersion", in: 1...1)
        _ = try r.string("description")
        let d = RunDefaults(maxEpochs: try r.requiredSourced("maxEpochs", in: 1e-6...1e6, positive: true),
                            chinchillaTokensPerParameter: try r.requiredSourced("chinchillaTokensPerParameter", in: 0.01...1e6, positive: true),
                            checkpointBytesPerParameter: try r.requiredSourced("checkpointBytesPerParameter", in: 0.1...64, positive: true),
                            checkpointsKept: try r.requiredSourced("checkpointsKept", in: 1...1000, positive: true),
                            minimumGoodput: try r.requiredSourced("minimumGoodput", in: 1e-6...1, positive: true))
        try r.finish()
        return d
    }
}
