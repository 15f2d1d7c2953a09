import XCTest
@testable import TrainSimCore

/// ZeRO-3 under pipeline parallelism, as PyTorch's pipeline schedules run FSDP
/// (torch/distributed/pipelining/stage.py, `backward_maybe_with_nosync`): each unit gathered once
/// per step, under its chunk's first forward, and its gradients reduce-scattered once, after the
/// chunk's last backward; without pipelining, every micro-batch gathers and reduce-scatters.
final class ZeRO3PipelineTests: XCTestCase {
    func plan(pp: Int, vpp: Int = 1, gbs: Int, framework: String = "pytorch-fsdp") throws -> Experiment {
        var e = try Experiment.decode(try JSONParser.parse("""
        {"model": "llama3-8b", "training": {"tokens": 1e12, "sequenceLength": 4096, "globalBatchSequences": \(gbs), "framework": "\(framework)"},
         "cluster": {"topology": "h100-ib", "devices": 64},
         "parallelism": {"tp": 1, "pp": \(pp), "vpp": \(vpp), "zero": 3, "schedule": "\(vpp > 1 ? "interleaved" : "1f1b")"}}
        """), file: "test.json", folder: nil)
        try e.validatePlan()
        return e
    }

    /// Operations of the whole step (every micro-batch simulated) whose name is `name`.
    func count(_ e: Experiment, _ name: String) throws -> Int {
        let (_, g) = try Engine(e).timelineSummary(full: true)
        return (0..<g.count).filter { g.names[Int(g.name[$0])] == name }.count
    }

    func testUnderPipeliningEachUnitIsGatheredAndReducedOncePerStep() throws {
        for (pp, vpp) in [(2, 1), (4, 1), (2, 2)] {
            // The model's 32 layers, the embedding and the output layer: one gather each, whatever
            // the number of micro-batches; one reduce-scatter per model chunk.
            for gbs in [256, 1024] {
                let e = try plan(pp: pp, vpp: vpp, gbs: gbs)
                XCTAssertGreaterThan(e.microBatches, pp)
                XCTAssertEqual(try count(e, "dp all-gather (params)"), 32 + 2, "pp \(pp) vpp \(vpp) gbs \(gbs)")
                XCTAssertEqual(try count(e, "dp reduce-scatter (grad bucket)"), pp * vpp, "pp \(pp) vpp \(vpp) gbs \(gbs)")
                XCTAssertEqual(try count(e, "dp reduce-scatter (unit)"), 0)
            }
        }
    }

    func testTheTextReportSaysHowZeRO3Runs() throws {
        let piped = try Analysis.analyze(try plan(pp: 2, gbs: 256)).render(.text)
        let flat = try Analysis.analyze(try plan(pp: 1, gbs: 128)).render(.text)
        XCTAssertTrue(piped.contains("ZeRO-3 (units gathered once per step under pipelining)"), piped)
        XCTAssertTrue(flat.contains("ZeRO-3, "), flat)
    }

    func testWithoutPipeliningEveryMicroBatchGathersAndReduces() throws {
        // FSDP's FULL_SHARD: a gather before each forward and each backward of every unit (the
        // output layer and embedding, kept gathered by the root unit, once per forward), and a
        // reduce-scatter after each backward.
        let e = try plan(pp: 1, gbs: 128)
        let m = e.microBatches
        XCTAssertEqual(m, 2)
        XCTAssertEqual(try count(e, "dp all-gather (params)"), m * (2 * 32 + 2))
        XCTAssertEqual(try count(e, "dp reduce-scatter (unit)"), m * (32 + 2))
    }

    func testGatheringOnceMakesTheStepNoLongerThanGatheringEveryMicroBatchWould() throws {
        // Per step the pipelined plan moves a gather and a reduce-scatter per unit; the traffic of
        // every micro-batch's gathers is gone, so its DP exposure does not grow with micro-batches.
        let few = try Engine.simulateStep(try plan(pp: 4, gbs: 128)), many = try Engine.simulateStep(try plan(pp: 4, gbs: 1024))
        XCTAssertLessThanOrEqual(many.breakdown.dp, few.breakdown.dp * 1.05 + 1e-4)
    }

    func testAStackRejectsTheZeROStagesItCannotRunWithAPipeline() throws {
        // DeepSpeed's pipeline engine asserts ZeRO-2 and 3 off (its stack file's pipelineMaxZero is 1).
        func deepspeed(zero: Int, pp: Int) throws -> Experiment {
            try Experiment.decode(try JSONParser.parse("""
            {"model": "llama3-8b", "training": {"tokens": 1e12, "sequenceLength": 4096, "globalBatchSequences": 256, "framework": "deepspeed"},
             "cluster": {"topology": "h100-ib", "devices": 64}, "parallelism": {"tp": 1, "pp": \(pp), "zero": \(zero)}}
            """), file: "test.json", folder: nil)
        }
        for zero in [2, 3] {
            XCTAssertThrowsError(try deepspeed(zero: zero, pp: 2)) { error in
                let text = "\(error)"
                XCTAssertTrue(text.contains("parallelism.zero") && text.contains("pipelineMaxZero"), text)
                XCTAssertFalse(text.contains("\n"), text)
            }
            XCTAssertNoThrow(try deepspeed(zero: zero, pp: 1))
        }
        XCTAssertNoThrow(try deepspeed(zero: 1, pp: 2))
        // PyTorch's pipeline schedules run FSDP: ZeRO-3 with a pipeline is a plan there.
        XCTAssertNoThrow(try plan(pp: 2, gbs: 256))
    }
}
