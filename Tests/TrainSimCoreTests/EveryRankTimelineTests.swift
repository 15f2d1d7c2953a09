import XCTest
@testable import TrainSimCore

/// The symmetric timeline (one pipeline standing for its data-parallel replicas, each collective
/// costed on all copies of its group at once) against the every-rank reference
/// (`EveryRankTimeline`: every device its own rank, every copy of a group its own collective,
/// everything in flight anywhere in the cluster solved together by the flow kernel), in flow
/// mode on small clusters.
final class EveryRankTimelineTests: XCTestCase {
    /// `TimelineTests.plan` in flow mode (the cluster's "network": "flow").
    func flowPlan(model: String = "llama3-8b", topology: String = "h100-ib", devices: Int = 32, gbs: Int = 32, tp: Int = 4,
                  pp: Int = 1, vpp: Int = 1, ep: Int = 1, cp: Int = 1, zero: Int = 1, schedule: String = "1f1b",
                  framework: String = "\"megatron-core\"", seq: Int = 4096, cpAlgorithm: String = "ring", shardGroup: Int? = nil) throws -> Experiment {
        try Experiment.decode(try JSONParser.parse("""
        {"model": "\(model)", "training": {"tokens": 1e12, "sequenceLength": \(seq), "globalBatchSequences": \(gbs), "recompute": "selective",
         "framework": \(framework)},
         "cluster": {"topology": "\(topology)", "devices": \(devices), "network": "flow"},
         "parallelism": {"tp": \(tp), "pp": \(pp), "vpp": \(vpp), "ep": \(ep), "cp": \(cp), "zero": \(zero), "schedule": "\(schedule)",
         "cpAlgorithm": "\(cpAlgorithm)"\(shardGroup.map { ", \"zeroShardGroup\": \($0)" } ?? "")}}
        """), file: "test.json", folder: nil)
    }

    struct Compared {
        var symmetric: TimelineSummary
        var everyRank: [TimelineSummary]
        var everyRankStep: Double
    }

    /// Both timelines of one plan, every micro-batch simulated, on one graph.
    func compare(_ e: Experiment, shareAcrossStages: Bool = true) throws -> Compared {
        let engine = try Engine(e)
        let flow = try XCTUnwrap(engine.network as? FlowNetwork)
        let s = engine.simulate(microBatches: e.microBatches, optimizer: engine.optimizerSecondsPerStage())
        var ref = EveryRankTimeline(engine: engine, graph: s.graph, network: flow)
        ref.shareAcrossStages = shareAcrossStages
        ref.run()
        return Compared(symmetric: s.summary, everyRank: ref.pipelines.map { ref.summary(pipeline: $0) }, everyRankStep: ref.stepSeconds)
    }

    /// Step and every stage's breakdown of every pipeline replica within `tolerance` of the step.
    /// `pooled`: compare the waits on other stages and on data-parallel traffic (bubble, pp, dp)
    /// as one sum. A wait is blamed on whichever of its dependencies ends last, so when a pipeline
    /// receive and a data-parallel collective end within the cross-stage shift of each other
    /// (tenths of a millisecond), the whole wait moves from one kind to the other.
    func assertAgree(_ c: Compared, tolerance: Double, _ name: String, pooled: Bool = false, file: StaticString = #filePath, line: UInt = #line) {
        let step = c.symmetric.stepSeconds
        XCTAssertEqual(c.everyRankStep, step, accuracy: tolerance * step, "\(name): step", file: file, line: line)
        for r in c.everyRank {
            for (a, b) in zip(r.stages, c.symmetric.stages) {
                let waits = pooled
                    ? [(a.bubble + a.pp + a.dp, b.bubble + b.pp + b.dp, "bubble + pp + dp")]
                    : [(a.bubble, b.bubble, "bubble"), (a.pp, b.pp, "pp"), (a.dp, b.dp, "dp")]
                for (x, y, k) in [(a.compute, b.compute, "compute"), (a.tp, b.tp, "tp"),
                                  (a.ep, b.ep, "ep"), (a.cp, b.cp, "cp"), (a.optimizer, b.optimizer, "optimizer")] + waits {
                    XCTAssertEqual(x, y, accuracy: tolerance * step, "\(name): \(k)", file: file, line: line)
                }
            }
        }
    }

    func describe(_ c: Compared) -> String {
        func f(_ b: StepBreakdown) -> String {
            String(format: "compute %.4f bubble %.4f tp %.4f pp %.4f dp %.4f ep %.4f cp %.4f opt %.4f",
                   b.compute, b.bubble, b.tp, b.pp, b.dp, b.ep, b.cp, b.optimizer)
        }
        let s = c.symmetric.stepSeconds, r = c.everyRankStep
        return String(format: "symmetric %.5f s, every-rank %.5f s (%+.3f%%)\n  sym  %@\n  rank %@", s, r, 100 * (r - s) / s,
                      f(c.symmetric.breakdown), f(c.everyRank[0].stages[c.symmetric.stage]))
    }

    /// One pipeline stage (pp 1): every collective of the step runs on all copies of its group
    /// at once on both sides (the ranks are in lockstep), and nothing of another stage can run
    /// beside it, so the symmetric model's assumption holds exactly and the two must agree. The
    /// tolerance is the flow kernel's: `FlowSimulator` merges completions within 0.1% of the
    /// longest. (Measured: equal to 1e-5 s on all eleven.)
    func testSingleStagePlansAgree() throws {
        let plans: [(String, Experiment)] = [
            ("dense tp4 dp8 zero1 h100-ib", try flowPlan(devices: 32, tp: 4)),
            ("dense tp2 dp8 zero3 fsdp a100", try flowPlan(topology: "a100-80g-ib", devices: 16, gbs: 16, tp: 2, zero: 3, framework: "\"pytorch-fsdp\"")),
            ("dense tp8 dp8 zero0 h800-ib", try flowPlan(topology: "h800-ib", devices: 64, gbs: 64, tp: 8, zero: 0, framework: "\"deepspeed\"")),
            ("dense tp2 cp2 dp8 h100-ib", try flowPlan(devices: 32, tp: 2, cp: 2, framework: "\"nemo\"")),
            ("dense tp2 cp4 ulysses dp4 h100-ib", try flowPlan(devices: 32, tp: 2, cp: 4, framework: "\"nemo\"", cpAlgorithm: "ulysses")),
            ("dense tp2 cp4 allgather dp4 h100-ib", try flowPlan(devices: 32, tp: 2, cp: 4, framework: "\"nemo\"", cpAlgorithm: "allgather")),
            ("moe ep8 dp16 h800-ib", try flowPlan(model: "qwen3-30b-a3b", topology: "h800-ib", devices: 16, gbs: 32, tp: 1, ep: 8)),
            ("dense tp2 dp32 h100-ib-oversub2", try flowPlan(topology: "h100-ib-oversub2", devices: 64, gbs: 64, tp: 2)),
            // FSDP's SHARD_GRAD_OP gathering in every forward, and hybrid sharding's replica all-reduces on their own stream.
            ("dense dp16 zero2 fsdp h100-ib", try flowPlan(devices: 16, gbs: 64, tp: 1, zero: 2, framework: "\"pytorch-fsdp\"")),
            ("dense dp32 zero3 fsdp shard group 8 h100-ib", try flowPlan(devices: 32, gbs: 64, tp: 1, zero: 3, framework: "\"pytorch-fsdp\"", shardGroup: 8)),
            ("dense tp2 dp16 zero1 shard group 4 h100-ib", try flowPlan(devices: 32, gbs: 64, tp: 2, shardGroup: 4)),
        ]
        for (name, e) in plans {
            let c = try compare(e)
            print("every-rank \(name): \(describe(c))")
            assertAgree(c, tolerance: 1e-3, name)
        }
    }

    /// Several pipeline stages. The symmetric path solves only one stage's collectives together
    /// (`LinkSharing`), while here a collective shares links with whatever any stage runs. On
    /// these topologies (one NIC and one scale-up port per GPU, rail-optimised, no spine in 64
    /// devices) that is the only difference: with sharing kept within each stage the every-rank
    /// timeline equals the symmetric one (so costing a stage's collective on all copies of its
    /// group cluster-wide, other stages' copies included, changes nothing here: they use other
    /// ports). With sharing across stages the step is at most 0.2% longer (measured), from a
    /// pipeline send whose flow enters the receiving GPU's port while the receiving stage's TP
    /// collectives use it (stages in one node: the send and the TP traffic share the NVLink
    /// port), and DP/EP traffic of the other stage beside a send between nodes. The symmetric
    /// path cannot see it without solving every stage's collectives together with each costed
    /// on its own stage's copies only (a change to `LinkSharing` and `TimelineSimulator`), so the
    /// test bounds it at 0.5%. With sharing across stages, the waits on other stages and on
    /// data-parallel traffic are compared as one sum (`assertAgree`'s `pooled`): on
    /// h100-ib-oversub2 with TP 2, PP 2 and DP 16 a 0.07% longer step moves 70 ms of one stage's
    /// wait from data-parallel traffic to the bubble.
    func testPipelinedPlansAgreeWithinCrossStageSharing() throws {
        let plans: [(String, Experiment)] = [
            ("dense tp4 pp2 dp4 h100-ib", try flowPlan(devices: 32, tp: 4, pp: 2)),
            ("dense tp2 pp4 vpp2 interleaved h800-ib", try flowPlan(topology: "h800-ib", devices: 32, tp: 2, pp: 4, vpp: 2, schedule: "interleaved")),
            ("dense tp8 pp2 dp4 zero1 a100", try flowPlan(topology: "a100-80g-ib", devices: 64, gbs: 32, tp: 8, pp: 2)),
            ("dense tp2 pp2 dp8 zero3 a100", try flowPlan(topology: "a100-80g-ib", devices: 32, tp: 2, pp: 2, zero: 3)),
            ("dense tp2 cp2 pp2 dp4 h100-ib", try flowPlan(devices: 32, tp: 2, pp: 2, cp: 2, framework: "\"nemo\"")),
            ("moe ep8 pp2 h800-ib", try flowPlan(model: "qwen3-30b-a3b", topology: "h800-ib", devices: 32, gbs: 32, tp: 1, pp: 2, ep: 8)),
            ("dense tp2 pp2 dp16 h100-ib-oversub2", try flowPlan(topology: "h100-ib-oversub2", devices: 64, gbs: 64, tp: 2, pp: 2)),
            ("dense tp2 pp2 dp16 h100-roce", try flowPlan(topology: "h100-roce", devices: 64, gbs: 64, tp: 2, pp: 2)),
            ("dense tp2 pp4 dp8 zero1 h100-ib-oversub2", try flowPlan(topology: "h100-ib-oversub2", devices: 64, gbs: 64, tp: 2, pp: 4)),
            ("moe ep8 pp2 dualpipe h800-ib", try flowPlan(model: "qwen3-30b-a3b", topology: "h800-ib", devices: 32, gbs: 64, tp: 1, pp: 2, ep: 8, schedule: "dualpipe")),
        ]
        for (name, e) in plans {
            let c = try compare(e)
            let local = try compare(e, shareAcrossStages: false)
            print("every-rank \(name): \(describe(c))\n  sharing within stages only: every-rank \(String(format: "%.5f", local.everyRankStep)) s")
            assertAgree(local, tolerance: 1e-3, name + " (sharing within stages)")
            assertAgree(c, tolerance: 5e-3, name, pooled: true)
        }
    }

    /// The every-rank costing entry point: all copies of a group given as explicit single-copy
    /// instances, run together, cost what the symmetric path costs the collective (it runs all
    /// copies at once); one copy alone is faster where copies contend (a 2:1 leaf, one member per
    /// leaf: every ring hop crosses the spine), as fast where they do not (a full-bisection tree).
    func testExplicitCopiesTogetherEqualTheSymmetricCost() {
        for over in [1.0, 2.0] {
            let spec = NetFixtures.spec { $0.fabric.tiers[0].oversubscription = over }
            let perLeaf = over == 1 ? 32 : 42
            let c = NetFixtures.cluster(spec, perLeaf * 4 * 8)
            var o = FlowNetwork.Options()
            o.allReduceCandidates = [.ring]
            let net = FlowNetwork(cluster: c, options: o)
            let group = CommGroup(size: 4, stride: perLeaf * 8)
            let r = CollectiveRequest(kind: .allReduce, bytes: 268_435_456, group: group, label: "dp")
            let symmetric = net.cost(r).seconds
            let copies = FlowScheduleBuilder.copies(of: group, devices: c.devices)
            let xs = copies.enumerated().map { CollectiveInstance(kind: .allReduce, bytes: r.bytes, members: $1, salt: $0, algorithm: .ring) }
            let together = net.costInstances(xs).map { $0 ?? .nan }
            XCTAssertEqual(together.max()!, symmetric, accuracy: 2e-3 * symmetric, "oversubscription \(over)")
            let alone = net.costInstances([xs[5]])[0]!
            if over == 1 { XCTAssertEqual(alone, symmetric, accuracy: 2e-3 * symmetric) }
            else { XCTAssertEqual(alone / symmetric, 0.5, accuracy: 0.02) }
        }
    }
}
