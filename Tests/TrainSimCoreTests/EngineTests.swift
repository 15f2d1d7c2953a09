import XCTest
@testable import TrainSimCore

/// Invariants and closed forms of the step model.
final class EngineTests: XCTestCase {
    func experiment(_ text: String) throws -> Experiment {
        try Experiment.decode(try JSONParser.parse(text), file: "test.json", folder: nil)
    }

    func moe(_ tp: Int = 1, pp: Int = 4, ep: Int = 8, mb: Int = 1, zero: Int = 1, schedule: String = "1f1b", gbs: Int = 512, recompute: String = "selective") throws -> Experiment {
        try experiment("""
        {"model": "deepseek-v3", "training": {"tokens": 1e12, "sequenceLength": 4096, "globalBatchSequences": \(gbs), "microBatchSequences": \(mb), "precision": "bf16", "recompute": "\(recompute)"},
         "cluster": {"topology": "h800-ib", "devices": 256}, "parallelism": {"tp": \(tp), "pp": \(pp), "ep": \(ep), "zero": \(zero), "schedule": "\(schedule)"}}
        """)
    }

    func dense(zero: Int = 1, gbs: Int = 256, devices: Int = 64, tp: Int = 4, pp: Int = 2) throws -> Experiment {
        try experiment("""
        {"model": "llama3-70b", "training": {"tokens": 1e12, "sequenceLength": 4096, "globalBatchSequences": \(gbs)},
         "cluster": {"topology": "h100-ib", "devices": \(devices)}, "parallelism": {"tp": \(tp), "pp": \(pp), "zero": \(zero)}}
        """)
    }

    func testParameterCountsMatchPublishedSizes() {
        // Published totals: Llama 3 8B/70B/405B, DeepSeek-V3 671B (37B active), Qwen3 235B (22B active), GPT-3 175B.
        let cases: [(String, Double, Double?)] = [("llama3-8b", 8.03e9, nil), ("llama3-70b", 70.6e9, nil), ("llama3-405b", 405.8e9, nil),
                                                 ("deepseek-v3", 671e9, 37e9), ("qwen3-235b-a22b", 235e9, 22e9), ("gpt3-175b", 175e9, nil),
                                                 ("glm-4.5", 355e9, 32e9),
                                                 // Llama 2 (arXiv:2307.09288): 6.74B, 13.0B, 69.0B; Qwen2-57B-A14B model card: 57B, 14B active.
                                                 ("llama2-7b", 6.74e9, nil), ("llama2-13b", 13.0e9, nil), ("llama2-70b", 69.0e9, nil),
                                                 ("qwen2-57b-a14b", 57.4e9, 14.2e9)]
        for (name, total, active) in cases {
            let p = ParameterCount(ModelPresets.all[name]!)
            XCTAssertEqual(p.total / total, 1, accuracy: 0.03, "\(name): \(p.total)")
            if let active { XCTAssertEqual(p.active / active, 1, accuracy: 0.06, "\(name) active: \(p.active)") }
        }
    }

    func testModelFLOPsClosedForm() {
        // Megatron: 72 B s l h^2 (1 + s/(6h) + V/(12 l h)) per iteration forward+backward for GPT.
        let m = ModelSpec(name: "gpt", layers: 24, hidden: 2048, ffnHidden: 8192, heads: 16, vocab: 51200, gatedMLP: false)
        let s = 2048.0, h = 2048.0, l = 24.0, V = 51200.0
        let megatron = 72 * s * l * h * h * (1 + s / (6 * h) + V / (12 * l * h)) / s
        XCTAssertEqual(FLOPCount.paper(m, seq: 2048) / megatron, 1, accuracy: 0.01)
        // The reported count halves the causal score matrix: s/(12h) in place of s/(6h).
        let causal = 72 * s * l * h * h * (1 + s / (12 * h) + V / (12 * l * h)) / s
        XCTAssertEqual(FLOPCount.model(m, seq: 2048) / causal, 1, accuracy: 0.01)
        // Full recompute executes the layers' forward again, not the output layer's (Megatron's 96 B s l h^2 (...)).
        let hardware = 96 * s * l * h * h * (1 + s / (12 * h) + V / (16 * l * h)) / s
        XCTAssertEqual(FLOPCount.executed(m, seq: 2048, recompute: .full) / hardware, 1, accuracy: 0.01)
    }

    func testMoreBandwidthNeverSlowsAStep() throws {
        for var e in [try moe(), try dense()] {
            let base = try Engine.simulateStep(e).stepSeconds
            e.cluster.topology.node.nicGBps *= 2
            let fasterNIC = try Engine.simulateStep(e).stepSeconds
            e.cluster.topology.node.scaleUp.linkGBps *= 2
            let fasterBoth = try Engine.simulateStep(e).stepSeconds
            XCTAssertLessThanOrEqual(fasterNIC, base * (1 + 1e-12))
            XCTAssertLessThanOrEqual(fasterBoth, fasterNIC * (1 + 1e-12))
        }
    }

    func testMoreFLOPSNeverSlowsAStep() throws {
        for e in [try moe(), try dense()] {
            let engine = try Engine(e)
            var faster = engine
            faster.compute.flopsScale = 1.5
            XCTAssertLessThanOrEqual(faster.step().stepSeconds, engine.step().stepSeconds)
        }
    }

    func testScaleUpDomainsSmallerThanANodeTalkThroughTheNIC() throws {
        // Two-device domains in eight-device nodes: a TP 8 group spans four domains in one node,
        // so its traffic leaves through the NICs and the leaf tier, in both backends.
        var e = try dense(tp: 8, pp: 1)
        e.cluster.topology.node.scaleUp.domainDevices = 2
        for mode in NetworkMode.allCases {
            e.cluster.network = mode
            let r = try Engine.simulateStep(e)
            XCTAssertGreaterThan(r.exposedByTier["leaf"] ?? 0, 0, "\(mode)")
            XCTAssertTrue(r.stepSeconds.isFinite && r.stepSeconds > 0)
        }
        var whole = try dense(tp: 8, pp: 1)
        whole.cluster.topology.node.scaleUp.domainDevices = 8
        XCTAssertGreaterThan(try Engine.simulateStep(e).stepSeconds, try Engine.simulateStep(whole).stepSeconds)
    }

    func testMoreMicroBatchesNeverGrowBubbleFraction() throws {
        var last = Double.infinity
        for gbs in [128, 256, 512, 1024, 2048] {
            let r = try Engine.simulateStep(try dense(gbs: gbs, tp: 8, pp: 4))
            let frac = r.breakdown.bubble / r.stepSeconds
            XCTAssertLessThanOrEqual(frac, last + 1e-12)
            last = frac
        }
    }

    func testZeRO3MemoryWithAndWithoutPipelining() throws {
        // Without pipelining ZeRO-3 shards every state, so it never holds more than ZeRO-1.
        for (a, b) in [(try dense(zero: 1, pp: 1), try dense(zero: 3, pp: 1)), (try moe(pp: 1, zero: 1), try moe(pp: 1, zero: 3))] {
            let m1 = try Engine.simulateStep(a).memory, m3 = try Engine.simulateStep(b).memory
            XCTAssertLessThanOrEqual(m3.peakGiB, m1.peakGiB)
        }
        // Under pipelining (as PyTorch's pipeline schedules run FSDP) a stage's units stay gathered
        // and their gradients unsharded for the whole step: ZeRO-1's weights and gradients, its
        // optimizer shard, and the parameter shards besides.
        for (a, b) in [(try dense(zero: 1), try dense(zero: 3)), (try moe(zero: 1), try moe(zero: 3))] {
            let m1 = try Engine.simulateStep(a).memory, m3 = try Engine.simulateStep(b).memory
            XCTAssertEqual(m3.gradientsGiB, m1.gradientsGiB, accuracy: 1e-9 * m1.gradientsGiB)
            XCTAssertEqual(m3.optimizerGiB, m1.optimizerGiB, accuracy: 1e-9 * m1.optimizerGiB)
            XCTAssertGreaterThan(m3.weightsGiB, m1.weightsGiB)
            let m2 = try Engine.simulateStep(try dense(zero: 2)).memory, m0 = try Engine.simulateStep(try dense(zero: 0)).memory
            XCTAssertLessThanOrEqual(m2.peakGiB, try Engine.simulateStep(try dense(zero: 1)).memory.peakGiB)
            XCTAssertLessThanOrEqual(try Engine.simulateStep(try dense(zero: 1)).memory.peakGiB, m0.peakGiB)
        }
    }

    func testScheduleBubblesOrder() throws {
        let f = try Engine.simulateStep(try moe(schedule: "1f1b")).breakdown.bubble
        let z = try Engine.simulateStep(try moe(schedule: "zero-bubble")).breakdown.bubble
        let d = try Engine.simulateStep(try moe(schedule: "dualpipe")).breakdown.bubble
        XCTAssertLessThan(z, f)
        XCTAssertLessThan(d, z)
    }

    func testKorthikantiActivationMemory() throws {
        // No recompute, no SP, flash attention: 34 s b h bytes per layer at tp = 1 (5as^2b is gone);
        // without dropout its two 1-byte masks are not kept: 32 s b h. Unfused attention adds the
        // score matrix: 5 a s^2 b with dropout, 2 a s^2 b (the softmax output) without.
        for (dropout, perToken, scores) in [(0.1, 34.0, 5.0), (0.0, 32.0, 2.0)] {
            for attention in ["flash", "unfused"] {
                let e = try experiment("""
                {"model": {"layers": 4, "hidden": 1024, "ffnHidden": 4096, "heads": 16, "vocab": 1000, "gatedMLP": false, "dropout": \(dropout)},
                 "training": {"tokens": 1e9, "sequenceLength": 2048, "globalBatchSequences": 8, "recompute": "none", "attention": "\(attention)"},
                 "cluster": {"topology": "a100-80g-ib", "devices": 8}, "parallelism": {"tp": 1, "pp": 1}}
                """)
                let mm = MemoryModel(e: e, device: e.cluster.topology.device, params: ParameterCount(e.model), layout: StageLayout(layers: 4, pp: 1, vpp: 1, split: nil))
                let expected = perToken * 2048 * 1024 + (attention == "unfused" ? scores * 16 * 2048 * 2048 : 0)
                XCTAssertEqual(mm.activationBytes(moeLayer: false), expected, accuracy: 1, "dropout \(dropout), \(attention)")
            }
        }
    }

    func testUnevenLayerSplit() {
        let l = StageLayout(layers: 61, pp: 16, vpp: 1, split: nil)
        XCTAssertEqual(l.chunks.reduce(0, +), 61)
        XCTAssertEqual(l.chunks.max(), 4); XCTAssertEqual(l.chunks.min(), 3)
        XCTAssertEqual(l.chunks.first, 3); XCTAssertEqual(l.chunks.last, 3)
    }

    func testContentionFreeAllReduceMatchesBusBandwidth() throws {
        let e = try dense()
        let c = try Cluster(spec: e.cluster.topology, devices: 64)
        let net = AnalyticalNetwork(cluster: c)
        let bytes = 1e9
        let r = net.cost(CollectiveRequest(kind: .allReduce, bytes: bytes, group: CommGroup(size: 8, stride: 1), label: "t"))
        let busbw = bytes * CollectiveKind.allReduce.busFactor(8) / r.seconds
        XCTAssertEqual(busbw / c.scaleUpBytesPerSecond, 1, accuracy: 0.01)
    }

    func testFlowModeReportsLinksAndNeverBeatsContentionFreeBandwidth() throws {
        var e = try moe()
        let analytical = try Engine.simulateStep(e)
        e.cluster.network = .flow
        let flow = try Engine.simulateStep(e)
        XCTAssertEqual(flow.networkBackend, "flow")
        XCTAssertFalse(flow.linkUtilization.flatMap { $0 }.isEmpty)
        XCTAssertEqual(flow.breakdown.compute, analytical.breakdown.compute, accuracy: 1e-9)
        // More NIC bandwidth never slows a flow-mode step either.
        let base = flow.stepSeconds
        e.cluster.topology.node.nicGBps *= 2
        XCTAssertLessThanOrEqual(try Engine.simulateStep(e).stepSeconds, base * (1 + 1e-9))
    }

    func testMeshGivesSmallGroupsOnlyTheirLinks() throws {
        let spec = try TopologySpec.load("ascend-910b-a2", relativeTo: nil, referencedFrom: nil, keyPath: "t")
        let net = AnalyticalNetwork(cluster: try Cluster(spec: spec, devices: 8))
        func busbw(_ n: Int) -> Double {
            let r = net.cost(CollectiveRequest(kind: .allReduce, bytes: 1e9, group: CommGroup(size: n, stride: 1), label: "t"))
            return 1e9 * CollectiveKind.allReduce.busFactor(n) / r.seconds
        }
        // HCCS full mesh: a pair uses one of seven peer links.
        XCTAssertEqual(busbw(8) / busbw(2), 7, accuracy: 0.3)
    }

    func testPlacementKeepsTPInsideNode() throws {
        var par = try moe(2, pp: 4, ep: 8).parallelism
        let p = Placement(par)
        XCTAssertEqual(p.tpGroup.members(), [0, 1])
        XCTAssertEqual(p.epGroup.size, 8)
        XCTAssertEqual(p.dpGroup.size, 32)
        // Megatron-Core's default splits experts over TP: the two TP ranks hold different slices,
        // so expert gradients are reduced over dp / ep = 32 / 8 ranks.
        XCTAssertEqual(par.etp, 2)
        XCTAssertEqual(p.expertDPGroup.size, 4)
        // Expert-TP 1: the two TP ranks hold the same experts, reduced over tp x dp / ep = 2 x 32 / 8.
        par.expertTP = 1
        XCTAssertEqual(Placement(par).expertDPGroup.size, 8)
    }
}
