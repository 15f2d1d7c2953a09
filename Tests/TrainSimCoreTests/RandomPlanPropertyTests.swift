import XCTest
@testable import TrainSimCore

/// The step's invariants on plans drawn at random (fixed seed; PROPERTY_PLANS and PROPERTY_SEED
/// widen the draw by hand) over models, cluster designs, stacks and every plan dimension: the
/// timeline's own (breakdowns add up, the steady state equals the full simulation, in both network
/// modes), and more bandwidth or more FLOP/s never slows a step.
///
/// Each stream runs its operations in issue order, so with every collective at its speed alone the
/// timeline is a max-plus system of the durations: shorter durations never end anything later.
/// Links shared between concurrent collectives break that in a few plans: when compute or a link
/// gets faster, traffic the compute does not wait for (ZeRO-3/FSDP prefetch, overlapped gradient
/// reduction) can start beside a collective it does wait for and slow it, as prefetching does on
/// real clusters. That case is measured here and bounded, not ruled out.
final class RandomPlanPropertyTests: XCTestCase {
    struct SplitMix {
        var s: UInt64
        mutating func next(_ n: Int) -> Int {
            s &+= 0x9E37_79B9_7F4A_7C15
            var z = s
            z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
            z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
            return Int((z ^ (z >> 31)) % UInt64(n))
        }
    }

    /// Random valid plans (the draws that validate does not reject).
    static func plans(_ count: Int, seed: UInt64) -> [Experiment] {
        var rng = SplitMix(s: seed)
        let models = ["llama3-8b", "llama3-70b", "qwen3-30b-a3b", "deepseek-v2"]
        let topologies = ["h100-ib", "h800-ib", "a100-80g-ib", "ascend-910b-a2", "h100-ib-oversub2", "h800-hpn-dualplane"]
        let stacks = ["megatron-core", "nemo", "pytorch-fsdp", "deepspeed", "mindspeed", "internlm"]
        var out: [Experiment] = []
        for _ in 0..<(30 * count) where out.count < count {
            let model = models[rng.next(models.count)], moe = model.hasPrefix("qwen3") || model.hasPrefix("deepseek")
            let tp = [1, 2, 4, 8][rng.next(4)], pp = [1, 2, 4][rng.next(3)], cp = [1, 1, 2][rng.next(3)]
            let ep = moe ? [1, 2, 4, 8][rng.next(4)] : 1
            let zero = [0, 1, 1, 2, 3][rng.next(5)], mb = [1, 2][rng.next(2)]
            // Hybrid sharding now and then: states sharded over groups of 8 (one node's DP ranks where tp x cp is 1).
            let shard = zero > 0 && rng.next(4) == 0 ? ", \"zeroShardGroup\": 8" : ""
            let schedule = ["1f1b", "1f1b", "interleaved", "zb-h1", "dualpipe"][rng.next(5)], vpp = schedule == "interleaved" ? 2 : 1
            let recompute = ["none", "selective", "full"][rng.next(3)]
            let devices = [64, 128, 256][rng.next(3)], gbs = [128, 256, 512, 2048][rng.next(4)]
            let text = """
            {"model": "\(model)", "training": {"tokens": 1e12, "sequenceLength": 4096, "globalBatchSequences": \(gbs), "microBatchSequences": \(mb),
              "recompute": "\(recompute)", "framework": "\(stacks[rng.next(stacks.count)])"},
             "cluster": {"topology": "\(topologies[rng.next(topologies.count)])", "devices": \(devices)},
             "parallelism": {"tp": \(tp), "pp": \(pp), "cp": \(cp), "ep": \(ep), "zero": \(zero), "vpp": \(vpp), "schedule": "\(schedule)"\(shard)}}
            """
            guard let e = try? Experiment.decode(try JSONParser.parse(text), file: "p.json", folder: nil), (try? Engine(e)) != nil else { continue }
            out.append(e)
        }
        return out
    }

    /// Step seconds of the plan as drawn, with 1.5x NIC bandwidth, with 1.5x scale-up bandwidth as
    /// well, and with 1.3x FLOP/s as well.
    static func steps(_ e0: Experiment, shared: Bool) throws -> [Double] {
        var e = e0
        func run(_ e: Experiment, flops: Double = 1) throws -> Double {
            var engine = try Engine(e)
            engine.linksShared = shared
            engine.compute.flopsScale = flops
            return engine.step().stepSeconds
        }
        let base = try run(e)
        e.cluster.topology.node.nicGBps *= 1.5
        let nic = try run(e)
        e.cluster.topology.node.scaleUp.linkGBps *= 1.5
        let both = try run(e)
        return [base, nic, both, try run(e, flops: 1.3)]
    }

    static func describe(_ e: Experiment) -> String {
        let p = e.parallelism
        return "\(e.model.name) on \(e.cluster.devices) \(e.cluster.topology.name), tp \(p.tp) pp \(p.pp) cp \(p.cp) ep \(p.ep) zero \(p.zero)\(p.zeroShardGroup.map { " shard group \($0)" } ?? "") "
            + "\(p.schedule.rawValue), mb \(e.training.microBatchSequences), \(e.training.recompute.rawValue), \(e.training.framework.name)"
    }

    /// Each collective at its speed alone: never slower, on any plan.
    func testWithoutLinkSharingNothingFasterEverSlowsAStep() throws {
        let drawn = Self.plans(150, seed: 2026)
        XCTAssertEqual(drawn.count, 150)
        for e in drawn {
            let t = try Self.steps(e, shared: false)
            for k in 1..<t.count { XCTAssertLessThanOrEqual(t[k], t[k - 1] * (1 + 1e-9), "change \(k): \(Self.describe(e))") }
        }
    }

    /// With shared links, measured: on 150 plans, at most 3 get slower when something gets faster,
    /// none by more than 2.5 % (stop 33, with ZeRO-2 and hybrid sharding in the draw: 1 of 150, by
    /// 0.04 %; 7 of 1,000 with PROPERTY_PLANS=1000 PROPERTY_SEED=7, worst 1.48 %, 6 of 1,000 with
    /// seed 11; all of them pp 1 with ZeRO-3/FSDP gathers or EP all-to-alls beside the compute's
    /// own collectives).
    func testWithSharedLinksFewPlansSlowAndOnlyALittle() throws {
        var slowed: [String] = []
        let env = ProcessInfo.processInfo.environment
        let count = Int(env["PROPERTY_PLANS"] ?? "") ?? 150
        for e in Self.plans(count, seed: UInt64(env["PROPERTY_SEED"] ?? "") ?? 2026) {
            let t = try Self.steps(e, shared: true)
            for k in 1..<t.count where t[k] > t[k - 1] * (1 + 1e-9) {
                slowed.append(String(format: "+%.3f %% (change %d) ", 100 * (t[k] / t[k - 1] - 1), k) + Self.describe(e))
                XCTAssertLessThanOrEqual(t[k] / t[k - 1], 1.025, slowed.last!)
            }
        }
        print("shared links: \(slowed.count) slower steps of \(count) plans x 3 changes\n" + slowed.joined(separator: "\n"))
        XCTAssertLessThanOrEqual(slowed.count, max(3, count / 50), slowed.joined(separator: "\n"))
    }

    /// The timeline's own invariants on the same random plans: every stage's parts add up to the
    /// step, none is negative, the step is at least every stage's compute and every tier's busy
    /// time, and the step read off the steady state equals the full simulation.
    func testTimelineInvariantsOnRandomPlans() throws {
        var extendedChecked = 0, checked = 0
        let env = ProcessInfo.processInfo.environment
        for e in Self.plans(Int(env["PROPERTY_PLANS"] ?? "") ?? 150, seed: UInt64(env["PROPERTY_SEED"] ?? "") ?? 2026) {
            let engine = try Engine(e)
            let r = engine.step()
            let what = Self.describe(e)
            checked += 1
            XCTAssertFalse(r.stageBreakdowns.isEmpty, what)
            for (s, b) in r.stageBreakdowns.enumerated() {
                XCTAssertEqual(b.total, r.stepSeconds, accuracy: 1e-9 * r.stepSeconds, "stage \(s): \(what)")
                for part in [b.compute, b.bubble, b.tp, b.pp, b.dp, b.ep, b.cp, b.optimizer] { XCTAssertGreaterThanOrEqual(part, 0, what) }
                XCTAssertGreaterThanOrEqual(r.stepSeconds * (1 + 1e-9), b.compute, what)
            }
            for (tier, busy) in r.tierBusySeconds { XCTAssertLessThanOrEqual(busy, r.stepSeconds * (1 + 1e-9), "\(tier): \(what)") }
            var full = engine
            full.fullTimeline = true
            let f = full.step()
            if f.stepSeconds != r.stepSeconds { extendedChecked += 1 }
            XCTAssertEqual(r.stepSeconds, f.stepSeconds, accuracy: 1e-9 * f.stepSeconds, "steady state vs full: \(what)")
            XCTAssertEqual(r.breakdown.bubble, f.breakdown.bubble, accuracy: 1e-6 * f.stepSeconds, "bubble, steady state vs full: \(what)")
        }
        print("timeline invariants: \(checked) plans, \(extendedChecked) read off the steady state differing from the full simulation (within 1e-9 of the step)")
    }

    /// The flow network's own path on small plans of the same draw: three short simulations in the
    /// steady state extrapolated linearly, or the full one. Every stage adds up to the step, and the
    /// step equals the full simulation's.
    func testFlowModeInvariantsOnRandomPlans() throws {
        let env = ProcessInfo.processInfo.environment
        var checked = 0
        for var e in Self.plans(Int(env["PROPERTY_PLANS"] ?? "") ?? 60, seed: UInt64(env["PROPERTY_SEED"] ?? "") ?? 31) where e.cluster.devices <= 128 {
            e.cluster.network = .flow
            let engine = try Engine(e)
            let r = engine.step()
            let what = Self.describe(e)
            for (s, b) in r.stageBreakdowns.enumerated() {
                XCTAssertEqual(b.total, r.stepSeconds, accuracy: 1e-9 * r.stepSeconds, "stage \(s): \(what)")
                XCTAssertGreaterThanOrEqual(r.stepSeconds * (1 + 1e-9), b.compute, what)
            }
            var full = engine
            full.fullTimeline = true
            XCTAssertEqual(r.stepSeconds, full.step().stepSeconds, accuracy: 1e-9 * r.stepSeconds, "extrapolated vs full: \(what)")
            checked += 1
        }
        print("flow invariants: \(checked) plans")
        XCTAssertGreaterThan(checked, 25)
    }
}
