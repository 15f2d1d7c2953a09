import XCTest
@testable import TrainSimCore

/// Megatron's `--microbatch-group-size-per-virtual-pipeline-stage` (`parallelism.microBatchGroup`):
/// the interleaved order runs that many micro-batches through one chunk before the next; its
/// default is pp, the order trainsim always simulated.
final class MicroBatchGroupTests: XCTestCase {
    func experiment(group: Int?, gbs: Int = 16) throws -> Experiment {
        let g = group.map { #", "microBatchGroup": \#($0)"# } ?? ""
        return try Experiment.decode(try JSONParser.parse("""
        {"model": "llama3-8b", "training": {"tokens": 1e11, "sequenceLength": 4096, "globalBatchSequences": \(gbs), "precision": "bf16"},
         "cluster": {"topology": "h100-ib", "devices": 8}, "parallelism": {"tp": 2, "pp": 4, "vpp": 2, "schedule": "interleaved"\(g)}}
        """), file: "g.json", folder: nil)
    }

    /// Groups of pp are the default order, op for op; a larger group puts (v - 1) x group chunk
    /// forwards in every rank's warm-up before its first backward.
    func testOrderAndWarmUp() throws {
        let plain = PipelineOrder(pp: 4, vpp: 2, microBatches: 16, schedule: .interleaved)
        let four = PipelineOrder(pp: 4, vpp: 2, microBatches: 16, schedule: .interleaved, group: 4)
        let eight = PipelineOrder(pp: 4, vpp: 2, microBatches: 16, schedule: .interleaved, group: 8)
        for r in 0..<4 {
            XCTAssertEqual(plain.ops(rank: r, pairSteadyState: false), four.ops(rank: r, pairSteadyState: false))
            let ops = eight.ops(rank: r, pairSteadyState: false)
            // The warm-up forwards, then the steady state's first forward, then the first backward.
            XCTAssertEqual(ops.firstIndex { $0.pass == .backward }, 2 * (4 - r - 1) + 8 + 1)
            // Every micro-batch runs each chunk once forward and once backward.
            XCTAssertEqual(ops.filter { $0.pass == .forward }.count, 32)
            XCTAssertEqual(Set(ops.filter { $0.pass == .backward }.map { [$0.microBatch, $0.virtualStage] }).count, 32)
        }
    }

    /// The step with groups of pp is the default one; a larger group holds more activations, and its
    /// timeline (extended from its steady state) equals the full simulation.
    func testStepAndMemory() throws {
        let base = try Analysis.analyze(try experiment(group: nil))
        let same = try Analysis.analyze(try experiment(group: 4))
        XCTAssertEqual(base.step.stepSeconds, same.step.stepSeconds)
        let big = try experiment(group: 8, gbs: 64)
        let a = try Analysis.analyze(big)
        let b = try Analysis.analyze(try experiment(group: nil, gbs: 64))
        XCTAssertGreaterThan(a.step.memory.activationsGiB, b.step.memory.activationsGiB)
        let engine = try Engine(big)
        let run = engine.timelineRun(full: false)
        XCTAssertTrue(run.extended)
        let (full, _) = engine.timelineSummary(full: true)
        XCTAssertEqual(run.summary.stepSeconds, full.stepSeconds, accuracy: 1e-9 * full.stepSeconds)
    }

    func testBadGroupsAreOneLine() throws {
        for (group, gbs, text) in [(2, 16, "less than pp"), (12, 16, "multiple of the group")] {
            XCTAssertThrowsError(try experiment(group: group, gbs: gbs)) { error in
                XCTAssertTrue("\(error)".contains(text), "\(error)")
                XCTAssertTrue("\(error)".contains("parallelism.microBatchGroup"), "\(error)")
                XCTAssertFalse("\(error)".contains("\n"))
            }
        }
    }

    /// Out through `--emit megatron` and back in through `import megatron`.
    func testLaunchArgumentsRoundTrip() throws {
        let e = try experiment(group: 8, gbs: 64)
        let text = LaunchArguments.render(e, flavour: .megatron)
        XCTAssertTrue(text.contains("--microbatch-group-size-per-virtual-pipeline-stage 8"), text)
        let again = try MegatronImport.read(text, file: "again.sh", options: .init(topology: "h100-ib"))
        let back = try Experiment.decode(again.experiment, file: "again.json", folder: nil)
        XCTAssertEqual(back.parallelism.microBatchGroup, 8)
        XCTAssertFalse(LaunchArguments.render(try experiment(group: nil), flavour: .megatron).contains("microbatch-group"))
    }
}
