import Benchmark
import TrainSimCore

/// One training step of a 9,216-device MoE plan (TP2 EP16 PP12, SimAI's shipped example) in the
/// analytical and the flow-level network backends, and the flow kernel on one data-parallel
/// all-reduce. `trainsim bench network` prints the same figures with the SIMD-vs-scalar ratio.
let benchmarks: @Sendable () -> Void = {
    Benchmark.defaultConfiguration = .init(metrics: [.wallClock, .cpuTotal, .peakMemoryResident], maxDuration: .seconds(5))

    func experiment(_ network: String) -> Experiment {
        let text = """
        {"model": "deepseek-v3",
         "training": {"tokens": 1e12, "sequenceLength": 4096, "globalBatchSequences": 9216, "precision": "bf16"},
         "cluster": {"topology": "h800-ib", "devices": 9216, "network": "\(network)"},
         "parallelism": {"tp": 2, "pp": 12, "ep": 16, "zero": 1}}
        """
        do { return try Experiment.decode(try JSONParser.parse(text), file: "bench", folder: nil) } catch {
            preconditionFailure("benchmark experiment does not decode: \(error)")
        }
    }

    for network in ["analytical", "flow"] {
        let e = experiment(network)
        Benchmark("step, MoE 9216 devices, \(network) network") { benchmark in
            for _ in benchmark.scaledIterations {
                blackHole(try Engine.simulateStep(e).stepSeconds)
            }
        }
    }

    Benchmark("flow kernel, DP all-reduce over 1024 devices on h800-ib") { benchmark in
        let e = experiment("flow")
        let cluster = try Cluster(spec: e.cluster.topology, devices: 1024)
        let request = CollectiveRequest(kind: .allReduce, bytes: Double(1 << 30), group: CommGroup(size: 128, stride: 8), label: "dp")
        for _ in benchmark.scaledIterations {
            blackHole(FlowNetwork(cluster: cluster).cost(request).seconds)
        }
    }
}
