import XCTest
@testable import TrainSimCore

/// The stack's attention kernel (`attentionKernel`) and the share of the device's attention curve
/// it reaches (`attentionKernels` in the silicon file): FlashAttention-2 on Hopper runs without the
/// instructions the fused kernels use; on Ampere it is the curve's own kernel.
final class AttentionKernelTests: XCTestCase {
    func compute(_ topology: String, kernel: String) throws -> ComputeModel {
        let e = try Experiment.decode(try JSONParser.parse("""
        {"model": "llama3-8b",
         "training": {"tokens": 1e11, "sequenceLength": 32768, "globalBatchSequences": 8, "precision": "bf16",
                      "framework": {"stack": "pytorch-fsdp", "attentionKernel": "\(kernel)"}},
         "cluster": {"topology": "\(topology)", "devices": 8}, "parallelism": {"tp": 1, "zero": 3}}
        """), file: "k.json", folder: nil)
        return ComputeModel(experiment: e)
    }

    func testFlashAttention2IsSlowerOnHopperOnly() throws {
        let call = 1e12
        let fusedH = try compute("h100-ib", kernel: "fused").attentionSeconds(call, callFLOPs: call)
        let flashH = try compute("h100-ib", kernel: "flash2").attentionSeconds(call, callFLOPs: call)
        let flexH = try compute("h100-ib", kernel: "flex").attentionSeconds(call, callFLOPs: call)
        XCTAssertGreaterThan(flashH, 1.5 * fusedH)
        // FlexAttention: 0.87 of FlashAttention-2's throughput.
        XCTAssertEqual(flashH / flexH, 0.87, accuracy: 0.001)
        let fusedA = try compute("a100-80g-ib", kernel: "fused").attentionSeconds(call, callFLOPs: call)
        let flashA = try compute("a100-80g-ib", kernel: "flash2").attentionSeconds(call, callFLOPs: call)
        XCTAssertEqual(flashA, fusedA, accuracy: 1e-15)
        // The H800 is the same silicon as the H100: the same share.
        let flash800 = try compute("h800-ib", kernel: "flash2").attentionSeconds(call, callFLOPs: call)
        XCTAssertEqual(flash800, flashH, accuracy: 1e-15)
    }

    /// FlashAttention-3-class kernels (Transformer Engine 2.x's cuDNN attention on Hopper): 1.5x the
    /// curve on GH100 parts, the lower end of FlashAttention-3's speed-up over FlashAttention-2
    /// (arXiv 2407.08608); Hopper-only, so on Ampere the curve's own kernel.
    func testFlashAttention3ClassIsHopperOnly() throws {
        let call = 1e12
        for topology in ["h100-ib", "h800-ib"] {
            let fused = try compute(topology, kernel: "fused").attentionSeconds(call, callFLOPs: call)
            let fa3 = try compute(topology, kernel: "fa3").attentionSeconds(call, callFLOPs: call)
            XCTAssertEqual(fused / fa3, 1.5, accuracy: 1e-12, topology)
        }
        let fusedA = try compute("a100-80g-ib", kernel: "fused").attentionSeconds(call, callFLOPs: call)
        let fa3A = try compute("a100-80g-ib", kernel: "fa3").attentionSeconds(call, callFLOPs: call)
        XCTAssertEqual(fa3A, fusedA, accuracy: 1e-15)
    }

    /// A whole step: the faster kernel never slows it, and speeds an attention-heavy one.
    func testFlashAttention3ClassShortensAStep() throws {
        func step(_ kernel: String) throws -> Double {
            let e = try Experiment.decode(try JSONParser.parse("""
            {"model": "llama3-8b",
             "training": {"tokens": 1e11, "sequenceLength": 32768, "globalBatchSequences": 8, "precision": "bf16",
                          "framework": {"stack": "megatron-core", "attentionKernel": "\(kernel)"}},
             "cluster": {"topology": "h100-ib", "devices": 8}, "parallelism": {"tp": 1, "zero": 1}}
            """), file: "k.json", folder: nil)
            return try Analysis.analyze(e).step.stepSeconds
        }
        let fused = try step("fused"), fa3 = try step("fa3")
        XCTAssertLessThan(fa3, 0.9 * fused)
    }

    /// The report names the kernel the step ran with, the stack's or the experiment's override: the
    /// JSON plan's `attentionKernel`, the text's stack line and the page's subtitle.
    func testTheReportNamesTheKernel() throws {
        for (framework, kernel) in [("\"megatron-core\"", "fused"), ("\"pytorch-fsdp\"", "flash2"),
                                    ("{\"stack\": \"nemo\", \"attentionKernel\": \"fa3\"}", "fa3")] {
            let e = try Experiment.decode(try JSONParser.parse("""
            {"model": "llama3-8b", "training": {"tokens": 1e11, "sequenceLength": 8192, "globalBatchSequences": 8, "framework": \(framework)},
             "cluster": {"topology": "h100-ib", "devices": 8}, "parallelism": {"tp": 1, "zero": 1}}
            """), file: "k.json", folder: nil)
            guard case let .object(top) = try Analysis.analyze(e).reportJSON(), case let .object(plan)? = top.first(where: { $0.0 == "plan" })?.1,
                  case let .string(named)? = plan.first(where: { $0.0 == "attentionKernel" })?.1 else { return XCTFail("no plan.attentionKernel") }
            XCTAssertEqual(named, kernel, framework)
            XCTAssertTrue(try Analysis.analyze(e).text().contains("\nstack: \(e.training.framework.id), attention kernel \(kernel)\n"), framework)
            XCTAssertTrue(try HTMLReport.run(Analysis.analyze(e)).contains("stack \(e.training.framework.id), attention kernel \(kernel)"), framework)
        }
    }

    func testStackFilesNameTheirKernel() throws {
        let expected = ["megatron-core": "fused", "nemo": "fused", "mindspeed": "fused", "pytorch-fsdp": "flash2", "internlm": "flash2", "deepspeed": "flash2"]
        for (stack, kernel) in expected {
            let f = try FrameworkSpec.load(stack, relativeTo: nil, referencedFrom: nil, keyPath: "training.framework")
            XCTAssertEqual(f.attentionKernel, kernel, stack)
            XCTAssertNotNil(f.sources["attentionKernel"], stack)
        }
    }

    func testAnUnknownKernelIsOneLine() throws {
        XCTAssertThrowsError(try compute("h100-ib", kernel: "flash9")) { error in
            let text = "\(error)"
            XCTAssertTrue(text.contains("attentionKernel"), text)
            XCTAssertFalse(text.contains("\n"), text)
        }
    }
}
