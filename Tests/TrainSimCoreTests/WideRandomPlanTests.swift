import Foundation
import XCTest
@testable import TrainSimCore

/// The timeline's invariants on a wider random draw than `RandomPlanPropertyTests`: context
/// parallelism up to 4 as a ring or Ulysses, sequence parallelism on or off, every ZeRO stage
/// with hybrid sharding now and then, whole experts, the interleaved schedule with 1 to 3
/// virtual stages, and stack overrides (TP overlap, the EP all-to-all overlap, each dispatcher,
/// parameter gathers, per-micro-batch reduction) on every shipped cluster design. Fixed seed;
/// PROPERTY_PLANS and PROPERTY_SEED draw more (stop 33, no failure: 3,000 plans on each of seeds 6
/// and 7 for the steady state and the breakdown, 3,000 on seed 8 for the speed-ups).
final class WideRandomPlanTests: XCTestCase {
    static func plans(_ count: Int, seed: UInt64) -> [(Experiment, String)] {
        var rng = RandomPlanPropertyTests.SplitMix(s: seed)
        let models = ["llama3-8b", "llama3-70b", "qwen3-30b-a3b", "deepseek-v2", "qwen2.5-7b"]
        // Every shipped cluster design (domestic accelerators and export parts included).
        let topologies = ["a100-40g-ib", "a100-80g-ib", "a800-roce", "ascend-910b-a2", "ascend-910c-a3", "cambricon-mlu590", "cloudmatrix384",
                          "h100-ib", "h100-ib-oversub2", "h100-roce", "h20-roce", "h200-ib", "h800-hpn-dualplane", "h800-ib", "hygon-k100",
                          "kunlunxin-p800"]
        let stacks = ["megatron-core", "nemo", "pytorch-fsdp", "deepspeed", "mindspeed", "internlm"]
        var out: [(Experiment, String)] = []
        for _ in 0..<(40 * count) where out.count < count {
            let model = models[rng.next(models.count)], moe = model.hasPrefix("qwen3") || model.hasPrefix("deepseek")
            let tp = [1, 2, 4, 8][rng.next(4)], pp = [1, 2, 4][rng.next(3)], cp = [1, 1, 2, 4][rng.next(4)]
            let ep = moe ? [1, 2, 4, 8][rng.next(4)] : 1
            let zero = [0, 1, 2, 3][rng.next(4)], mb = [1, 2][rng.next(2)]
            let schedule = ["1f1b", "interleaved", "zb-h1", "dualpipe"][rng.next(4)], vpp = schedule == "interleaved" ? [1, 2, 3][rng.next(3)] : 1
            let recompute = ["none", "selective", "full"][rng.next(3)]
            let devices = [32, 64, 128][rng.next(3)], gbs = [64, 128, 512][rng.next(3)]
            let cpAlgorithm = ["ring", "ulysses"][rng.next(2)], sp = rng.next(2) == 0
            var fw = "{\"stack\": \"\(stacks[rng.next(stacks.count)])\""
            if rng.next(3) == 0 { fw += ", \"tpCommOverlap\": true" }
            if rng.next(3) == 0 { fw += ", \"moeAllToAllOverlap\": true, \"moeAllToAllOverlapRequires\": \"nothing\"" }
            if rng.next(3) == 0 { fw += ", \"moeDispatcher\": \"\(["alltoall", "allgather", "deepep"][rng.next(3)])\"" }
            if rng.next(4) == 0 { fw += ", \"overlapParamGather\": \(rng.next(2) == 0)" }
            if rng.next(4) == 0 { fw += ", \"gradReduceEveryMicroBatch\": true" }
            fw += "}"
            let shard = zero > 0 && rng.next(4) == 0 ? ", \"zeroShardGroup\": \([2, 4, 8][rng.next(3)])" : ""
            let etp = moe && rng.next(3) == 0 ? ", \"etp\": 1" : ""
            let text = """
            {"model": "\(model)", "training": {"tokens": 1e12, "sequenceLength": 4096, "globalBatchSequences": \(gbs), "microBatchSequences": \(mb),
              "recompute": "\(recompute)", "framework": \(fw)},
             "cluster": {"topology": "\(topologies[rng.next(topologies.count)])", "devices": \(devices)},
             "parallelism": {"tp": \(tp), "pp": \(pp), "cp": \(cp), "cpAlgorithm": "\(cpAlgorithm)", "ep": \(ep), "zero": \(zero), "vpp": \(vpp),
              "schedule": "\(schedule)", "sequenceParallel": \(sp)\(shard)\(etp)}}
            """
            guard let e = try? Experiment.decode(try JSONParser.parse(text), file: "p.json", folder: nil), (try? Engine(e)) != nil else { continue }
            out.append((e, text.replacingOccurrences(of: "\n", with: " ")))
        }
        return out
    }

    static var drawn: [(Experiment, String)] {
        let env = ProcessInfo.processInfo.environment
        return plans(Int(env["PROPERTY_PLANS"] ?? "") ?? 300, seed: UInt64(env["PROPERTY_SEED"] ?? "") ?? 5)
    }

    /// The step read off the steady state equals the full simulation, and every stage's parts add
    /// up to the step, with the analytical network and (up to 64 devices) the flow network.
    func testSteadyStateAndBreakdownOnAWideDraw() throws {
        let plans = Self.drawn
        XCTAssertGreaterThan(plans.count, 250)
        for (e0, text) in plans {
            var modes = [e0]
            if e0.cluster.devices <= 64 { var f = e0; f.cluster.network = .flow; modes.append(f) }
            for e in modes {
                let engine = try Engine(e)
                let r = engine.step()
                var full = engine
                full.fullTimeline = true
                XCTAssertEqual(r.stepSeconds, full.step().stepSeconds, accuracy: 1e-9 * r.stepSeconds, "\(e.cluster.network): \(text)")
                for (s, b) in r.stageBreakdowns.enumerated() {
                    XCTAssertEqual(b.total, r.stepSeconds, accuracy: 1e-9 * r.stepSeconds, "stage \(s), \(e.cluster.network): \(text)")
                }
            }
        }
    }

    /// Each collective at its speed alone: 1.5x NIC bandwidth, then 1.5x scale-up bandwidth, then
    /// 1.3x FLOP/s never slows a step.
    func testWithoutLinkSharingNothingFasterSlowsAStepOnAWideDraw() throws {
        for (e, text) in Self.drawn {
            let t = try RandomPlanPropertyTests.steps(e, shared: false)
            for k in 1..<t.count { XCTAssertLessThanOrEqual(t[k], t[k - 1] * (1 + 1e-9), "change \(k): \(text)") }
        }
    }

    /// With eight times the batch (hundreds of micro-batches), where the step is read off the steady
    /// state, it equals the full simulation in every figure the report takes from it: step,
    /// breakdown, the stage shown, exposed time per collective, busy time per tier and calls, with
    /// either network (stop 33: 475 analytical and 365 flow timelines of 500 plans on seed 35).
    func testSteadyStateExtensionEqualsTheFullSimulationOnAWideDraw() throws {
        let env = ProcessInfo.processInfo.environment
        let plans = Self.plans(Int(env["PROPERTY_PLANS"] ?? "") ?? 80, seed: UInt64(env["PROPERTY_SEED"] ?? "") ?? 35)
        var extended = 0
        for flow in [false, true] {
            for (e0, text) in plans {
                var e = e0
                e.training.globalBatchSequences *= 8
                if flow { e.cluster.network = .flow }
                guard (try? e.validatePlan()) != nil, let engine = try? Engine(e) else { continue }
                let run = engine.timelineRun(full: false)
                guard run.extended else { continue }
                extended += 1
                assertExtensionEqualsTheFullSimulation(engine, run, "\(flow ? "flow" : "analytical"): \(text)")
            }
        }
        XCTAssertGreaterThan(extended, 80)
    }
}
