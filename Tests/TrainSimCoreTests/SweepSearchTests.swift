import Foundation
import XCTest
@testable import TrainSimCore

/// Plan search: pruning never drops a plan of the answer (checked against simulating every
/// candidate), bounds never exceed the simulated time, the answer does not depend on how the
/// candidates are shared out, and the Pareto front and top-N lists are right.
final class SweepSearchTests: XCTestCase {
    static func experiment(_ search: String, devices: Int = 64) throws -> Experiment {
        let text = """
        { "schemaVersion": 1, "name": "s", "model": "llama3-8b",
          "training": { "tokens": 1e11, "sequenceLength": 4096, "globalBatchSequences": 256, "precision": "bf16" },
          "cluster": { "topology": "h800-ib", "devices": \(devices) },
          "parallelism": { "tp": 1 },
          "search": \(search) }
        """
        return try Experiment.decode(try JSONParser.parse(text), file: "s.json",
                                     folder: SweepPlanTests.root.appendingPathComponent("Experiments"), validatingPlan: false)
    }

    /// Brute force: every candidate simulated, then ranked by its reported figures: the plans of
    /// the best `top` distinct (step time, cost) results, ordered by the objective, the other
    /// figure, then id.
    static func bruteForce(_ s: PlanSearch) -> (best: [Int], front: [Int], scored: [ScoredPlan]) {
        var scored: [ScoredPlan] = []
        for id in s.candidates.indices { if case let .scored(p) = s.evaluate(id) { scored.append(p) } }
        let order: (ScoredPlan) -> (Double, Double, Int) = s.objective == .cost ? { ($0.cost, $0.seconds, $0.id) } : { ($0.seconds, $0.cost, $0.id) }
        var results: [[Double]] = [], best: [Int] = []
        for p in scored.map(\.reported).sorted(by: { order($0) < order($1) }) {
            if !results.contains([p.seconds, p.cost]) {
                if results.count == s.top { continue }
                results.append([p.seconds, p.cost])
            }
            best.append(p.id)
        }
        return (best, Pareto.front(scored.map(\.reported)).map(\.id), scored)
    }

    func check(_ s: PlanSearch, file: StaticString = #filePath, line: UInt = #line) {
        let truth = Self.bruteForce(s)
        XCTAssertFalse(truth.best.isEmpty, file: file, line: line)
        let state = SearchState.complete(s)
        XCTAssertEqual(state.best.plans.map(\.id), truth.best, "best N", file: file, line: line)
        XCTAssertEqual(state.paretoFront.map(\.id), truth.front, "Pareto front", file: file, line: line)
        XCTAssertGreaterThan(state.pruned, 0, "the search should prune", file: file, line: line)
        for p in truth.scored {
            XCTAssertLessThanOrEqual(s.candidates[p.id].secondsBound, p.seconds, "bound of #\(p.id)", file: file, line: line)
        }
        // As `SearchOverMPI` walks it for several ranks: candidates handed out while the outcomes
        // of up to three before them are still unknown, recorded late and out of order.
        var walk = SearchState(s), outstanding: [Int] = []
        while let id = walk.next(in: s) {
            outstanding.append(id)
            if outstanding.count == 4 { let k = outstanding.remove(at: 1); walk.record(k, s.evaluate(k), in: s) }
        }
        for k in outstanding.reversed() { walk.record(k, s.evaluate(k), in: s) }
        XCTAssertEqual(walk.best.plans.map(\.id), truth.best, "best N, outcomes recorded late", file: file, line: line)
        XCTAssertEqual(walk.paretoFront.map(\.id), truth.front, "Pareto front, outcomes recorded late", file: file, line: line)
        XCTAssertEqual(walk.evaluated + walk.pruned + walk.invalid + walk.outOfMemory, s.candidates.count, file: file, line: line)
        // With several clusters: the best plan on each (lowest objective, then the other figure, then id).
        guard s.clusters.count > 1 else { return }
        let order: (ScoredPlan) -> (Double, Double, Int) = s.objective == .cost ? { ($0.cost, $0.seconds, $0.id) } : { ($0.seconds, $0.cost, $0.id) }
        let perCluster = s.clusters.indices.compactMap { c in
            truth.scored.map(\.reported).filter { s.candidates[$0.id].cluster == c }.min { order($0) < order($1) }?.id
        }
        XCTAssertEqual(perCluster.count, s.clusters.count, file: file, line: line)
        XCTAssertEqual(state.perCluster.compactMap { $0.groups.first?.first?.id }, perCluster, "best per cluster", file: file, line: line)
        XCTAssertEqual(walk.perCluster.compactMap { $0.groups.first?.first?.id }, perCluster, "best per cluster, outcomes recorded late", file: file, line: line)
    }

    func testPruningKeepsTheTrueBestByTime() throws {
        let s = try PlanSearch(try Self.experiment("""
            {"objective": "time", "top": 5, "space": {"parallelism.zero": [1, 3], "training.microBatchSequences": [1, 2],
             "training.recompute": ["selective", "full"], "parallelism.vpp": [1, 2]}}
            """))
        XCTAssertGreaterThan(s.candidates.count, 100)
        check(s)
    }

    func testPruningKeepsTheTrueBestByCostAndFrontOverClusterSizes() throws {
        let s = try PlanSearch(try Self.experiment("""
            {"objective": "cost", "top": 3, "space": {"cluster.devices": [16, 32, 64], "parallelism.zero": [1],
             "training.microBatchSequences": [1, 2], "training.recompute": ["selective"], "parallelism.schedule": ["1f1b", "interleaved"],
             "parallelism.vpp": [2]}}
            """))
        XCTAssertEqual(s.clusters.count, 3)
        let front = Self.bruteForce(s).front
        XCTAssertGreaterThan(front.count, 1, "more devices should buy time at a price")
        check(s)
    }

    func testASweepOfTopologiesBesideTheSearchGivesTheBestPlanOnEachCluster() throws {
        let text = """
        { "schemaVersion": 1, "name": "s", "model": "llama3-8b",
          "training": { "tokens": 1e11, "sequenceLength": 4096, "globalBatchSequences": 256, "precision": "bf16" },
          "cluster": { "topology": "h800-ib", "devices": 64 },
          "parallelism": { "tp": 1 },
          "sweep": { "cluster.topology": ["h800-ib", "a100-80g-ib"], "cluster.devices": [32, 64] },
          "search": {"objective": "time", "top": 2, "space": {"parallelism.zero": [1], "training.recompute": ["selective"],
                     "training.microBatchSequences": [1], "parallelism.vpp": [2]}} }
        """
        let e = try Experiment.decode(try JSONParser.parse(text), file: "s.json",
                                      folder: SweepPlanTests.root.appendingPathComponent("Experiments"), validatingPlan: false)
        let s = try PlanSearch(e)
        XCTAssertEqual(s.clusters.map { "\($0.topology)/\($0.devices)" }, ["h800-ib/32", "h800-ib/64", "a100-80g-ib/32", "a100-80g-ib/64"])
        check(s)
        let state = SearchState.complete(s)
        let report = try SearchReport(search: s, state: state)
        XCTAssertEqual(report.clusterBest.map { "\($0.experiment.cluster.topologyReference)/\($0.devices)" },
                       ["h800-ib/32", "h800-ib/64", "a100-80g-ib/32", "a100-80g-ib/64"])
        XCTAssertTrue(report.render(.text).contains("best plan on each cluster"))
        // H800 and A100 clusters: the ranking across them rests on ratios across device families.
        if let across = try ValidatedAccuracy.shippedIfPresent()?.acrossPairLine {
            XCTAssertTrue(report.render(.text).contains(across), report.render(.text))
        }
        XCTAssertEqual(report.json()["bestPerCluster"].map { if case let .array(a) = $0 { return a.count } else { return 0 } }, 4)
    }

    func testFlowModeSearchSharesOneNetworkPerClusterAndMatchesFreshEngines() throws {
        var e = try Self.experiment("""
            {"objective": "time", "top": 3, "space": {"parallelism.zero": [1], "training.recompute": ["selective"]}}
            """)
        e.cluster.network = .flow
        let s = try PlanSearch(e)
        XCTAssertTrue(s.clusters.allSatisfy { $0.network is FlowNetwork })
        var compared = 0
        for id in s.candidates.indices where compared < 8 {
            guard case let .scored(p) = s.evaluate(id) else { continue }
            let fresh = try Engine(try s.experiment(id)).step()
            XCTAssertEqual(p.seconds, fresh.stepSeconds, accuracy: 1e-12 * fresh.stepSeconds, "#\(id)")
            compared += 1
        }
        XCTAssertGreaterThan(compared, 5)
    }

    func testSearchTriesBothContextParallelAlgorithmsWhereAsked() throws {
        let space = #"{"parallelism.cp": [1, 2, 4], "parallelism.pp": [1, 2], "parallelism.zero": [1], "training.recompute": ["selective"]"#
        let ring = try PlanSearch(try Self.experiment(#"{"objective": "time", "top": 5, "space": \#(space)}}"#))
        let both = try PlanSearch(try Self.experiment(#"{"objective": "time", "top": 5, "space": \#(space), "parallelism.cpAlgorithm": ["ring", "ulysses"]}}"#))
        // Each plan with cp > 1 is tried once more with Ulysses; cp 1 plans once.
        let split = ring.candidates.filter { $0.cp > 1 }.count
        XCTAssertGreaterThan(split, 0)
        XCTAssertTrue(ring.candidates.allSatisfy { $0.cpAlgorithm == .ring })
        XCTAssertEqual(both.candidates.count, ring.candidates.count + split)
        XCTAssertEqual(both.candidates.filter { $0.cpAlgorithm == .ulysses }.count, split)
        let id = try XCTUnwrap(both.candidates.indices.first { both.candidates[$0].cpAlgorithm == .ulysses })
        XCTAssertEqual(try both.experiment(id).parallelism.cpAlgorithm, .ulysses)
        XCTAssertTrue(SearchReport.planCells(try both.experiment(id))[5].hasSuffix(" ulysses"))
        check(both)
        XCTAssertThrowsError(try PlanSearch(try Self.experiment(#"{"space": {"parallelism.cpAlgorithm": ["star"]}}"#))) { error in
            XCTAssertTrue("\(error)".contains("\"ring\", \"ulysses\""), "\(error)")
        }
    }

    func testSearchSpaceErrors() throws {
        XCTAssertThrowsError(try PlanSearch(try Self.experiment("{\"space\": {\"parallelism.zer\": [1]}}"))) { error in
            XCTAssertTrue("\(error)".contains("did you mean \"parallelism.zero\""), "\(error)")
        }
        XCTAssertThrowsError(try PlanSearch(try Self.experiment("{\"space\": {\"parallelism.zero\": [5]}}")))
    }

    func testParetoFront() {
        let pts = [ScoredPlan(id: 0, seconds: 3, cost: 1), ScoredPlan(id: 1, seconds: 1, cost: 3), ScoredPlan(id: 2, seconds: 2, cost: 2),
                   ScoredPlan(id: 3, seconds: 2, cost: 2.5), ScoredPlan(id: 4, seconds: 3, cost: 1), ScoredPlan(id: 5, seconds: 4, cost: 1),
                   ScoredPlan(id: 6, seconds: 1, cost: 3.5)]
        XCTAssertEqual(Pareto.front(pts).map(\.id), [1, 2, 0])
        var f = Pareto.Front()
        for p in pts.reversed() { f.insert(p) }
        XCTAssertEqual(Pareto.front(f.plans).map(\.id), [1, 2, 0])
        XCTAssertTrue(f.dominates(2.5, 2.5))
        XCTAssertFalse(f.dominates(2, 2))
        XCTAssertFalse(f.dominates(0.5, 10))
        var top = TopPlans(capacity: 2, byCost: false)
        for p in pts { top.insert(p) }
        XCTAssertEqual(top.plans.map(\.id), [1, 6])
        XCTAssertEqual(top.threshold, 1)
    }

    func testGroupShapeArithmeticMatchesMembers() throws {
        for (topo, devices) in [("h800-ib", 2048), ("cloudmatrix384", 768), ("h100-ib-oversub2", 1024)] {
            let spec = try TopologySpec.load(topo, relativeTo: SweepPlanTests.root.appendingPathComponent("Topologies"), referencedFrom: nil, keyPath: "t")
            let cluster = try Cluster(spec: spec, devices: devices)
            for tp in [1, 2, 4, 8, 16] { for cp in [1, 2, 3] { for pp in [1, 2, 4] { for ep in [1, 2, 8] {
                guard devices % (tp * cp * pp) == 0 else { continue }
                let dp = devices / (tp * cp * pp)
                guard dp % ep == 0 || (ep % cp == 0 && dp % (ep / cp) == 0) else { continue }
                for order in [["tp", "cp", "ep", "pp", "dp"], ["tp", "pp", "cp", "ep", "dp"]] {
                    let place = Placement(ParallelismSpec(tp: tp, pp: pp, vpp: 1, dp: dp, ep: ep, cp: cp, sequenceParallel: false, zero: 1,
                                                          schedule: .oneFOneB, order: order, layerSplit: nil))
                    for g in [place.tpGroup, place.cpGroup, place.ppGroup, place.dpGroup, place.epGroup, place.expertDPGroup, place.ppNeighbours] {
                        XCTAssertEqual(GroupShape(g, on: cluster), GroupShape(enumerating: g, on: cluster), "\(topo) \(g)")
                    }
                }
            } } } }
        }
    }

    /// A search chooses the plan, so its file may leave `parallelism` out; any other file may not.
    func testASearchNeedsNoPlanAndARunDoes() throws {
        let space = #"{"objective": "time", "top": 3, "space": {"parallelism.tp": [1, 2], "parallelism.pp": [1, 2]}}"#
        let with = try SearchState.complete(PlanSearch(Self.experiment(space)))
        let text = """
        { "schemaVersion": 1, "name": "s", "model": "llama3-8b",
          "training": { "tokens": 1e11, "sequenceLength": 4096, "globalBatchSequences": 256, "precision": "bf16" },
          "cluster": { "topology": "h800-ib", "devices": 64 }, "search": \(space) }
        """
        let folder = SweepPlanTests.root.appendingPathComponent("Experiments")
        let e = try Experiment.decode(try JSONParser.parse(text), file: "s.json", folder: folder, validatingPlan: false)
        let without = SearchState.complete(try PlanSearch(e))
        XCTAssertEqual(without.best.plans, with.best.plans)
        XCTAssertEqual(without.paretoFront, with.paretoFront)
        let run = text.replacingOccurrences(of: ", \"search\": \(space)", with: "")
        XCTAssertThrowsError(try Experiment.decode(try JSONParser.parse(run), file: "r.json", folder: folder)) { error in
            XCTAssertEqual((error as? TrainSimError)?.description, "r.json: parallelism: missing required key")
        }
    }

    func testStageLayoutWithoutLists() {
        for (layers, pp, vpp) in [(61, 16, 1), (80, 4, 5), (32, 8, 2), (7, 3, 2), (5, 1, 1)] {
            let l = StageLayout(layers: layers, pp: pp, vpp: vpp, split: nil)
            for p in 0..<pp {
                var seen: [Int] = []
                l.forEachLayer(ofStage: p) { seen.append($0) }
                XCTAssertEqual(seen, l.layers(ofStage: p))
                let c = l.layerCounts(ofStage: p, moeStart: 3)
                XCTAssertEqual(c.moe, seen.filter { $0 >= 3 }.count)
                for moeStart in [0, 3, layers - 1, layers, Int.max] {
                    let all = l.layerCountsByStage(moeStart: moeStart)[p], one = l.layerCounts(ofStage: p, moeStart: moeStart)
                    XCTAssertEqual([all.dense, all.moe], [one.dense, one.moe], "\(layers) layers, pp \(pp), vpp \(vpp), stage \(p), MoE from \(moeStart)")
                }
            }
        }
    }
}
