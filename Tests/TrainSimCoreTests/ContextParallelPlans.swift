@testable import TrainSimCore

/// The one-stage context-parallel plans the Ulysses and all-gather tests time: a model on
/// cp x tp H100s (or `devices`), one sequence per data-parallel rank, under Megatron-Core.
enum ContextParallelPlans {
    static func experiment(cp: Int, algorithm: String, tp: Int = 1, devices: Int? = nil, model: String = "llama3-8b",
                           recompute: String = "none", seq: Int = 32768) throws -> Experiment {
        let n = devices ?? cp * tp
        return try Experiment.decode(try JSONParser.parse("""
        {"model": "\(model)", "training": {"tokens": 1e12, "sequenceLength": \(seq), "globalBatchSequences": \(n / (cp * tp)), "recompute": "\(recompute)",
         "framework": "megatron-core"},
         "cluster": {"topology": "h100-ib", "devices": \(n)},
         "parallelism": {"tp": \(tp), "pp": 1, "cp": \(cp), "zero": 1, "cpAlgorithm": "\(algorithm)"}}
        """), file: "test.json", folder: nil)
    }
}
