import XCTest
@testable import TrainSimCore

/// The cache of simulated steps that sweeps and searches share: keyed by what the step simulates,
/// so a step read from it is the step simulated.
final class TimelineCacheTests: XCTestCase {
    func experiment(zero: Int, stack: String = "megatron-core", pp: Int = 2, network: String = "analytical") throws -> Experiment {
        try Experiment.decode(try JSONParser.parse("""
        {"schemaVersion": 1, "name": "t", "model": "llama3-8b",
         "training": {"tokens": 1e11, "sequenceLength": 4096, "globalBatchSequences": 256, "precision": "bf16",
                      "framework": "\(stack)"},
         "cluster": {"topology": "h800-ib", "devices": 64, "network": "\(network)"},
         "parallelism": {"tp": 2, "pp": \(pp), "zero": \(zero)}}
        """), file: "test.json", folder: nil)
    }

    func fingerprint(_ e: Experiment) throws -> GraphFingerprint {
        let engine = try Engine(e)
        return engine.graph(microBatches: e.microBatches, optimizer: engine.optimizerSecondsPerStage()).fingerprint()
    }

    /// The same graph gives the same fingerprint; one changed figure, dependency or collective
    /// gives another.
    func testFingerprintSeesEveryChange() throws {
        let e = try experiment(zero: 1)
        let engine = try Engine(e)
        let g = engine.graph(microBatches: e.microBatches, optimizer: engine.optimizerSecondsPerStage())
        XCTAssertTrue(g.fingerprint() == (try fingerprint(e)))
        var work = g
        work.work[g.count / 2] = work.work[g.count / 2].nextUp
        var dep = g
        let k = dep.deps.firstIndex { $0 > 0 }!
        dep.deps[k] -= 1
        var bytes = g
        bytes.requests[0].bytes *= 2
        var cost = g
        cost.requestCost[0].seconds *= 1.5
        for (label, other) in [("work", work), ("dependency", dep), ("request", bytes), ("cost", cost)] {
            XCTAssertFalse(other.fingerprint() == g.fingerprint(), label)
        }
        // ZeRO-3 gathers parameters in every step: another graph.
        XCTAssertFalse(try fingerprint(experiment(zero: 3)) == fingerprint(e))
    }

    /// While a cache is active, a step whose graph was simulated before is read from it and equals
    /// the step simulated without the cache; a step with another graph is simulated.
    func testAStepReadFromTheCacheIsTheStepSimulated() throws {
        let cache = TimelineCache()
        let a = try experiment(zero: 1), b = try experiment(zero: 2), c = try experiment(zero: 1, pp: 4)
        let alone = try [a, b, c].map { try Engine($0).step(memory: nil) }
        let cached = try TimelineCache.using(cache) { try [a, b, c].map { try Engine($0).step(memory: nil) } }
        XCTAssertEqual(cache.hits, 1, "ZeRO-2's step under Megatron-Core is ZeRO-1's")
        XCTAssertEqual(cache.lookups, 3)
        // The two steps simulated are counted (the bench's timeline plans), with the operations of
        // the graph each simulated last: the steady-state window's, as the engine reads it.
        XCTAssertEqual(cache.simulated, 2)
        let ops = try [a, c].map { e -> Int in
            let run = try Engine(e).timelineRun()
            XCTAssertTrue(run.extended)
            return run.graph.count
        }
        XCTAssertEqual(cache.operations, ops.reduce(0, +))
        for (x, y) in zip(alone, cached) {
            XCTAssertEqual(x.stepSeconds, y.stepSeconds)
            XCTAssertEqual(x.breakdown, y.breakdown)
            XCTAssertEqual(x.collectives.map(\.exposedSeconds), y.collectives.map(\.exposedSeconds))
            XCTAssertEqual(x.tierBusySeconds, y.tierBusySeconds)
        }
        XCTAssertNotEqual(alone[0].memory.peakGiB, alone[1].memory.peakGiB)
    }

    /// With a flow network, a step is read from the cache only for the network it was simulated on,
    /// and equals the step simulated on it.
    func testFlowStepsAreKeptPerNetwork() throws {
        let a = try experiment(zero: 1, network: "flow"), b = try experiment(zero: 2, network: "flow")
        let cluster = try Cluster(spec: a.cluster.topology, devices: a.cluster.devices)
        let net = NetworkBackends.make(a.cluster.network, cluster: cluster), other = NetworkBackends.make(a.cluster.network, cluster: cluster)
        XCTAssertTrue(net is FlowNetwork)
        let alone = Engine(b, cluster: cluster, network: net).step(memory: nil)
        let cache = TimelineCache()
        let steps = TimelineCache.using(cache) {
            [a, b].map { Engine($0, cluster: cluster, network: net).step(memory: nil) } + [Engine(b, cluster: cluster, network: other).step(memory: nil)]
        }
        XCTAssertEqual(cache.hits, 1, "ZeRO-2 on the same network reads ZeRO-1's step; on another network it is simulated")
        for y in steps[1...] {
            XCTAssertEqual(alone.stepSeconds, y.stepSeconds)
            XCTAssertEqual(alone.breakdown, y.breakdown)
            XCTAssertEqual(alone.collectives.map(\.exposedSeconds), y.collectives.map(\.exposedSeconds))
            XCTAssertEqual(alone.tierBusySeconds, y.tierBusySeconds)
        }
    }

    /// The cache keeps at most its capacity, the oldest going first.
    func testCacheIsBounded() throws {
        let cache = TimelineCache(capacity: 1)
        let a = try experiment(zero: 1), c = try experiment(zero: 1, pp: 4)
        TimelineCache.using(cache) {
            for e in [a, c, a] { _ = try? Engine(e).step(memory: nil) }
        }
        XCTAssertEqual(cache.hits, 0, "the first step was pushed out by the second")
        TimelineCache.using(cache) { _ = try? Engine(a).step(memory: nil) }
        XCTAssertEqual(cache.hits, 1)
    }
}
