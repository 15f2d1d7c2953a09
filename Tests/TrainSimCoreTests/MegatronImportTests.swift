import Foundation
import XCTest
@testable import TrainSimCore

/// `trainsim import megatron`: launch scripts as bash expands them, Megatron's defaults, the
/// MindSpeed flavour, bad values, and the round trip through `--emit`.
final class MegatronImportTests: XCTestCase {
    static let root = SweepPlanTests.root

    func script(_ name: String) throws -> String {
        try String(contentsOf: Self.root.appendingPathComponent("Experiments/launch/" + name), encoding: .utf8)
    }

    func decode(_ i: MegatronImport) throws -> Experiment {
        try Experiment.decode(i.experiment, file: "imported.json", folder: Self.root.appendingPathComponent("Experiments"))
    }

    func testGPT3ExampleScript() throws {
        let i = try MegatronImport.read(try script("train_gpt3_175b_distributed.sh"), file: "train_gpt3_175b_distributed.sh",
                                        options: .init(topology: "a100-80g-ib"))
        XCTAssertEqual(i.stack, "megatron-core")
        let e = try decode(i)
        XCTAssertEqual(e.cluster.devices, 1024)
        XCTAssertEqual([e.parallelism.tp, e.parallelism.pp, e.parallelism.dp, e.parallelism.vpp, e.parallelism.ep, e.parallelism.cp], [8, 16, 8, 1, 1, 1])
        XCTAssertFalse(e.parallelism.sequenceParallel)
        XCTAssertEqual(e.parallelism.zero, 0, "no --use-distributed-optimizer")
        // Megatron's defaults: FFN 4h, plain GeLU, tied embeddings, dropout 0.1, GPT-2 BPE padded to 128 x TP.
        XCTAssertEqual([e.model.layers, e.model.hidden, e.model.ffnHidden, e.model.heads, e.model.kvHeads, e.model.headDim, e.model.vocab],
                       [96, 12288, 49152, 96, 96, 128, 51200])
        XCTAssertFalse(e.model.gatedMLP)
        XCTAssertTrue(e.model.tiedEmbeddings)
        XCTAssertEqual(e.model.dropout, 0.1)
        XCTAssertEqual(e.training.sequenceLength, 2048)
        XCTAssertEqual(e.training.globalBatchSequences, 1536)
        XCTAssertEqual(e.training.microBatchSequences, 1)
        XCTAssertEqual(e.training.precision, .fp16)
        XCTAssertEqual(e.training.recompute, .none)
        XCTAssertEqual(e.training.tokens, 500_000 * 1536 * 2048)
        XCTAssertFalse(e.training.framework.overlapGradReduce, "Megatron's command-line default is off")
        XCTAssertEqual(e.data?["batchRamp"]?["fromSequences"], .number(16))
        XCTAssertEqual(e.data?["batchRamp"]?["stages"], .number(64), "trainsim ramps in at most 64 stages")
        XCTAssertTrue(i.notes.contains("ignored --lr: a training hyper-parameter; it does not change step time or memory"), i.notes.joined(separator: "\n"))
        XCTAssertTrue(i.notes.contains { $0.hasPrefix("ignored --data-path:") })
        XCTAssertFalse(i.notes.contains { $0.contains("--tensor-model-parallel-size") || $0.contains("--num-layers") })
        XCTAssertFalse(i.notes.contains { $0.contains("cluster.topology") }, "--topology was given")
        // Out and back in: 95 increments of 16 were taken as 64 stages, which Megatron cannot say: a comment.
        let text = LaunchArguments.render(e, flavour: .megatron)
        XCTAssertTrue(text.contains("    # data.batchRamp from 16 sequences does not climb to 1536 in whole increments\n"), text)
        let again = try decode(try MegatronImport.read(text, file: "again.sh", options: .init(topology: "a100-80g-ib")))
        XCTAssertEqual(again.parallelism, e.parallelism)
        XCTAssertEqual(again.training.tokens, e.training.tokens)
    }

    func testMindSpeedScript() throws {
        let i = try MegatronImport.read(try script("pretrain_qwen25_7b_mindspeed.sh"), file: "q.sh")
        XCTAssertEqual(i.stack, "mindspeed")
        XCTAssertTrue(i.notes.contains("assumed cluster.topology ascend-910b-a2: a launch script does not say which cluster (give --topology)"))
        let e = try decode(i)
        XCTAssertEqual(e.training.framework.id, "mindspeed")
        XCTAssertTrue(e.training.framework.tpCommOverlap, "--use-mc2 is MindSpeed's fused TP overlap")
        XCTAssertTrue(e.training.framework.overlapGradReduce)
        XCTAssertEqual(e.cluster.devices, 16)
        XCTAssertEqual([e.parallelism.tp, e.parallelism.pp, e.parallelism.dp], [4, 2, 2])
        XCTAssertTrue(e.parallelism.sequenceParallel)
        XCTAssertEqual(e.parallelism.zero, 1)
        XCTAssertEqual([e.model.layers, e.model.hidden, e.model.ffnHidden, e.model.heads, e.model.kvHeads, e.model.vocab],
                       [28, 3584, 18944, 28, 4, 152064])
        XCTAssertTrue(e.model.gatedMLP)
        XCTAssertFalse(e.model.tiedEmbeddings)
        XCTAssertEqual(e.model.dropout, 0)
        XCTAssertTrue(e.model.qkvBias, "--add-qkv-bias")
        XCTAssertFalse(e.model.qkNorm)
        XCTAssertEqual(e.training.attention, .flash)
        XCTAssertEqual(e.training.precision, .bf16)
        XCTAssertEqual(e.training.tokens, 2000 * 64 * 4096)
        XCTAssertTrue(i.notes.contains { $0.hasPrefix("ignored --reuse-fp32-param:") })
        XCTAssertTrue(i.notes.contains { $0.hasPrefix("ignored --distributed-backend:") })
    }

    func testBashExpansionAndPlainArgumentFiles() throws {
        let text = """
        # a comment --num-layers 99
        NNODES=${NNODES:-2}
        export GPUS_PER_NODE=8
        LAYERS=4; HIDDEN=1024
        WORLD=$(( NNODES * GPUS_PER_NODE ))
        GPT_ARGS="--num-layers $LAYERS --hidden-size ${HIDDEN} \\
            --num-attention-heads 16 --seq-length 1024 --padded-vocab-size 32000"
        EXTRA=( --bf16 # inline comment
                --recompute-activations
                '--micro-batch-size' 2 )
        python -m torch.distributed.launch --nproc_per_node $GPUS_PER_NODE --nnodes $NNODES pretrain_gpt.py \\
            $GPT_ARGS "${EXTRA[@]}" --tensor-model-parallel-size=2 --global-batch-size $WORLD 2>&1 | tee log.txt
        """
        let s = LaunchScript(text)
        XCTAssertEqual(s.program, "pretrain_gpt.py")
        XCTAssertEqual(s.variables["WORLD"], "16")
        XCTAssertEqual(s.launcherArguments, ["python", "-m", "torch.distributed.launch", "--nproc_per_node", "8", "--nnodes", "2"])
        XCTAssertEqual(s.arguments, ["--num-layers", "4", "--hidden-size", "1024", "--num-attention-heads", "16", "--seq-length", "1024",
                                     "--padded-vocab-size", "32000", "--bf16", "--recompute-activations", "--micro-batch-size", "2",
                                     "--tensor-model-parallel-size=2", "--global-batch-size", "16"])
        let e = try decode(try MegatronImport.read(text, file: "t.sh"))
        XCTAssertEqual(e.cluster.devices, 16)
        XCTAssertEqual(e.parallelism.tp, 2)
        XCTAssertEqual(e.training.recompute, .selective)
        XCTAssertEqual(e.training.microBatchSequences, 2)
        XCTAssertEqual(e.training.globalBatchSequences, 16)

        // A ramp Megatron and trainsim both say: 4 -> 16 sequences in increments of 4 over 1,000 samples.
        let rampArgs = "--num-layers 4 --hidden-size 1024 --num-attention-heads 16 --seq-length 1024 --padded-vocab-size 32000 --global-batch-size 16 --rampup-batch-size 4 4 1000"
        let ramped = try decode(try MegatronImport.read(rampArgs, file: "r.txt", options: .init(devices: 4)))
        XCTAssertEqual(ramped.data?["batchRamp"], .object([("fromSequences", .number(4)), ("tokens", .number(1_024_000)), ("stages", .number(3))]))
        let back = try decode(try MegatronImport.read(LaunchArguments.render(ramped, flavour: .megatron), file: "back.sh"))
        XCTAssertEqual(back.data?["batchRamp"], ramped.data?["batchRamp"])

        // A plain argument file: options over several lines, no launcher.
        let plain = "--num-layers 32 --hidden-size 4096\n--num-attention-heads 32 --seq-length 8192\n--tensor-model-parallel-size 4\n"
        let p = try MegatronImport.read(plain, file: "args.txt", options: .init(model: "llama3-8b", devices: 64))
        let pe = try decode(p)
        XCTAssertEqual(pe.model.vocab, 128256, "the vocabulary comes from --model")
        XCTAssertEqual(pe.cluster.devices, 64)
        XCTAssertEqual(pe.parallelism.tp, 4)
        XCTAssertTrue(p.notes.contains { $0.hasPrefix("assumed training.tokens") })
    }

    func testMoEAndMLAArguments() throws {
        let text = """
        --num-layers 61 --hidden-size 7168 --ffn-hidden-size 18432 --num-attention-heads 128 --kv-channels 128
        --vocab-size 129280 --swiglu --untie-embeddings-and-output-weights --seq-length 4096
        --num-experts 256 --moe-router-topk 8 --moe-ffn-hidden-size 2048 --moe-shared-expert-intermediate-size 2048
        --moe-layer-freq ([0]*3+[1]*58) --moe-router-num-groups 8 --moe-router-group-topk 4 --mtp-num-layers 1
        --multi-latent-attention --q-lora-rank 1536 --kv-lora-rank 512 --qk-head-dim 128 --qk-pos-emb-head-dim 64 --v-head-dim 128
        --pipeline-model-parallel-size 16 --expert-model-parallel-size 64 --micro-batch-size 1 --global-batch-size 15360
        --bf16 --fp8-format e4m3 --recompute-granularity full --recompute-method block --recompute-num-layers 2
        --moe-token-dispatcher-type flex --moe-enable-deepep --use-distributed-optimizer --train-samples 3613281250
        """
        let i = try MegatronImport.read(text, file: "ds.txt", options: .init(topology: "h800-ib", devices: 2048))
        let e = try decode(i)
        let moe = try XCTUnwrap(e.model.moe)
        XCTAssertEqual([moe.experts, moe.topK, moe.sharedExperts, moe.expertFfnHidden, moe.denseLayers], [256, 8, 1, 2048, 3])
        XCTAssertEqual(moe.nodeLimit, 4)
        XCTAssertEqual(e.model.mla, MLASpec(qLoraRank: 1536, kvLoraRank: 512, ropeHeadDim: 64, headDim: 128, vHeadDim: 128))
        XCTAssertEqual(e.model.mtpLayers, 1)
        XCTAssertEqual(e.model.vocab, 129280, "129280 is already a multiple of 128 x TP 1")
        XCTAssertEqual(e.training.precision, .fp8)
        XCTAssertEqual(e.training.recompute, .full)
        XCTAssertEqual(e.training.framework.moeDispatcher, "deepep")
        XCTAssertEqual(e.parallelism.ep, 64)
        XCTAssertEqual(e.training.tokens, 3613281250.0 * 4096)
        XCTAssertEqual(e.training.recomputeLayers, 2, "block recompute of 2 layers per chunk maps whole")
        XCTAssertFalse(i.notes.contains { $0.contains("--recompute-method") })
        XCTAssertEqual(MegatronImport.leadingDenseLayers("[0,0,1,1]", layers: 4), 2)
        XCTAssertNil(MegatronImport.leadingDenseLayers("([1]*2+[0]*2)", layers: 4))
    }

    /// Megatron-LM sets --expert-tensor-parallel-size to the TP size when a script leaves it out.
    func testExpertTensorParallelSize() throws {
        let base = """
        --num-layers 48 --hidden-size 2048 --ffn-hidden-size 6144 --num-attention-heads 32 --group-query-attention --num-query-groups 4
        --seq-length 4096 --max-position-embeddings 4096 --vocab-size 151936 --swiglu --num-experts 128 --moe-router-topk 8
        --moe-ffn-hidden-size 768 --tensor-model-parallel-size 2 --expert-model-parallel-size 8 --sequence-parallel
        --micro-batch-size 1 --global-batch-size 128 --train-iters 100 --bf16
        """
        for (extra, expected) in [("", 2), ("--expert-tensor-parallel-size 1", 1), ("--expert-tensor-parallel-size 2", 2)] {
            let i = try MegatronImport.read(base + " " + extra, file: "q.txt", options: .init(topology: "h800-ib", devices: 64))
            XCTAssertEqual(try decode(i).parallelism.etp, expected, extra)
            XCTAssertFalse(i.notes.contains { $0.contains("expert-tensor-parallel-size") }, extra)
        }
    }

    func testContextParallelAlgorithmBothWays() throws {
        let shape = "--num-layers 4 --hidden-size 1024 --num-attention-heads 16 --seq-length 32768 --padded-vocab-size 32000 --context-parallel-size 4 --global-batch-size 4"
        for (args, expected) in [("--context-parallel-algo ulysses_cp_algo", ContextParallelAlgorithm.ulysses), ("--cp-comm-type a2a", .ulysses),
                                 ("--context-parallel-algo megatron_cp_algo", .ring), ("--cp-comm-type p2p", .ring), ("", .ring),
                                 ("--cp-comm-type all_gather", .allgather)] {
            let i = try MegatronImport.read(shape + " " + args, file: "cp.txt", options: .init(devices: 16))
            let e = try decode(i)
            XCTAssertEqual(e.parallelism.cpAlgorithm, expected, args)
            XCTAssertFalse(i.notes.contains { $0.contains("context-parallel-algo") || $0.contains("cp-comm-type") }, "\(args): \(i.notes)")
            for flavour in [LaunchFlavour.megatron, .mindspeed] {
                let back = try decode(try MegatronImport.read(LaunchArguments.render(e, flavour: flavour), file: "back.sh"))
                XCTAssertEqual(back.parallelism.cpAlgorithm, expected, "\(args) through \(flavour)")
            }
        }
        let hybrid = try MegatronImport.read(shape + " --context-parallel-algo hybrid_cp_algo", file: "cp.txt", options: .init(devices: 16))
        XCTAssertTrue(hybrid.notes.contains { $0.hasPrefix("approximated --context-parallel-algo hybrid_cp_algo") }, "\(hybrid.notes)")
    }

    func testBadInputIsOneLine() {
        XCTAssertThrowsError(try MegatronImport.read("--num-layers 2 --hidden-size 64 --num-attention-heads 4 --seq-length 64 --padded-vocab-size 100 --tensor-model-parallel-size x", file: "bad.sh")) { error in
            XCTAssertEqual((error as? TrainSimError)?.description, "bad.sh: --tensor-model-parallel-size: \"x\" is not a whole number")
        }
        XCTAssertThrowsError(try MegatronImport.read("torchrun pretrain_gpt.py --tensor-model-parallel-size 2 --seq-length 4096", file: "noshape.sh")) { error in
            XCTAssertEqual((error as? TrainSimError)?.description,
                           "noshape.sh: no model shape (--num-layers, --hidden-size, --num-attention-heads) and no --model preset given")
        }
        XCTAssertThrowsError(try MegatronImport.read("--num-layers 2 --hidden-size 64 --num-attention-heads 4 --seq-length 64", file: "novocab.sh")) { error in
            XCTAssertEqual((error as? TrainSimError)?.description,
                           "novocab.sh: the model shape lacks --padded-vocab-size or --vocab-size; add it to the script or give --model PRESET")
        }
        XCTAssertThrowsError(try MegatronImport.read(path: "/nonexistent/launch.sh")) { error in
            XCTAssertEqual((error as? TrainSimError)?.description, "/nonexistent/launch.sh: no such file")
        }
    }

    /// import(emit(x)) is x's plan, for shipped experiments and both flavours.
    func testRoundTripThroughEmit() throws {
        let names = ["quickstart-llama3-8b-a100", "llama3-70b-h20-1024", "deepseek-v3-h800-2048", "pangu-ultra-135b-ascend-910b-8192",
                     "glm-4.5-ascend-910b-4096", "qwen3-235b-cloudmatrix384", "llama3-405b-h100-wholerun", "qwen2.5-72b-hf-config-h800"]
        for name in names {
            let x = try Experiment.load(path: Self.root.appendingPathComponent("Experiments/\(name).json").path)
            for flavour in LaunchFlavour.allCases {
                let label = "\(name) --emit \(flavour.rawValue)"
                let text = LaunchArguments.render(x, flavour: flavour)
                let i = try MegatronImport.read(text, file: "emitted.sh", options: .init(topology: x.cluster.topologyReference))
                XCTAssertEqual(i.stack, flavour == .mindspeed ? "mindspeed" : "megatron-core", label)
                // Everything the block says maps, but for arguments with no effect on a step (and DualPipeV, read as DualPipe).
                let lost = i.notes.filter { note in
                    !note.hasPrefix("approximated --schedules-method dualpipev")
                        && !MegatronArguments.noEffect.contains { note.hasSuffix(": " + $0.reason) }
                }
                XCTAssertEqual(lost, [], "\(label): the emitted block maps whole\n\(text)")
                let y = try decode(i)
                let (p, q) = (x.parallelism, y.parallelism)
                XCTAssertEqual([q.tp, q.pp, q.vpp, q.ep, q.cp, q.dp, q.zero], [p.tp, p.pp, p.vpp, p.ep, p.cp, p.dp, p.zero], label)
                XCTAssertEqual(q.sequenceParallel, p.sequenceParallel && p.tp > 1, label)
                if x.model.moe != nil { XCTAssertEqual(q.etp, p.etp, label) }
                if p.schedule != .dualpipe || flavour == .mindspeed { XCTAssertEqual(q.schedule, p.schedule, label) }
                XCTAssertEqual(y.cluster.devices, x.cluster.devices, label)
                let (s, t) = (x.training, y.training)
                XCTAssertEqual([t.microBatchSequences, t.globalBatchSequences, t.sequenceLength], [s.microBatchSequences, s.globalBatchSequences, s.sequenceLength], label)
                XCTAssertEqual(t.precision, s.precision, label)
                XCTAssertEqual(t.recompute, s.recompute, label)
                XCTAssertEqual(t.recomputeLimit, s.recomputeLimit, label)
                XCTAssertEqual(t.attention, s.attention, label)
                XCTAssertEqual(t.tokens, s.tokens, accuracy: Double(s.sequenceLength), label)
                XCTAssertEqual([t.framework.overlapGradReduce, t.framework.overlapParamGather, t.framework.tpCommOverlap],
                               [s.framework.overlapGradReduce, s.framework.overlapParamGather, s.framework.tpCommOverlap && p.tp > 1], label)
                var m = y.model
                m.name = x.model.name
                XCTAssertEqual(m, x.model, label)
            }
        }
    }

    /// Megatron's `--no-align-grad-reduce` and `--no-align-param-gather` turn the interleaved
    /// schedule's aligned gradient reductions and parameter gathers off; the emitted block says
    /// so, and reads back.
    func testNoAlignFlagsBothWays() throws {
        var x = try Experiment.load(path: Self.root.appendingPathComponent("Experiments/llama3-405b-h100-wholerun.json").path)
        x.parallelism.schedule = .interleaved
        x.parallelism.vpp = 2
        XCTAssertTrue(x.training.framework.alignGradReduce, "Megatron's default")
        XCTAssertTrue(x.training.framework.alignParamGather, "Megatron's default")
        x.training.framework.overlapGradReduce = true
        x.training.framework.overlapParamGather = true
        x.training.framework.alignGradReduce = false
        x.training.framework.alignParamGather = false
        let text = LaunchArguments.render(x, flavour: .megatron)
        XCTAssertTrue(text.contains("--no-align-grad-reduce") && text.contains("--no-align-param-gather"), text)
        let y = try decode(try MegatronImport.read(text, file: "emitted.sh", options: .init(topology: x.cluster.topologyReference)))
        XCTAssertFalse(y.training.framework.alignGradReduce)
        XCTAssertFalse(y.training.framework.alignParamGather)
        x.training.framework.alignGradReduce = true
        x.training.framework.alignParamGather = true
        XCTAssertFalse(LaunchArguments.render(x, flavour: .megatron).contains("--no-align"))
    }

    /// Hostile scripts end in an answer, never a trap or a hang: unterminated quotes and
    /// expansions, arithmetic nested past any sense or dividing Int.min by -1, a device count
    /// that overflows, a --moe-layer-freq that would repeat a list 10^12 times, a large file.
    func testHostileScriptsDoNotTrap() throws {
        let shape = "--num-layers 2 --hidden-size 64 --num-attention-heads 4 --seq-length 64 --padded-vocab-size 128"
        for text in ["X='unterminated\n" + shape, "X=\"${Y\n" + shape, "X=$((1\n" + shape, "X=$(date\n" + shape,
                     "X=$((" + String(repeating: "(", count: 100_000) + "1))\n" + shape,
                     "X=$((" + String(repeating: "-", count: 100_000) + "1))\n" + shape,
                     "X=$((-9223372036854775807-1))\nY=$(($X/-1))\n" + shape,
                     "\\", "$", "(((", ")))", "a=(", "\"", "'"] {
            let s = LaunchScript(text)
            _ = s.arguments
            _ = try? MegatronImport.read(text, file: "h.sh", options: .init(devices: 8))
        }
        XCTAssertNil(Arithmetic.evaluate(String(repeating: "(", count: 1000) + "1" + String(repeating: ")", count: 1000), { _ in nil }))
        XCTAssertEqual(Arithmetic.evaluate("2 * (3 + 4) - 10 / 3 % 2", { _ in nil }), 13)
        XCTAssertNil(Arithmetic.evaluate("X / -1", { _ in String(Int.min) }))
        XCTAssertThrowsError(try MegatronImport.read("NNODES=9999999999999999\nGPUS_PER_NODE=9999999999\n" + shape, file: "big.sh")) { error in
            XCTAssertEqual((error as? TrainSimError)?.description, "big.sh: the script's device count (more than Int.max) is more than 10000000")
        }
        XCTAssertNil(MegatronImport.leadingDenseLayers("([0]*1000000000000+[1]*2)", layers: 4))
        let big = String(repeating: "--lr 1e-4 --clip-grad 1.0 \\\n", count: 20_000) + shape
        let started = Date()
        let i = try MegatronImport.read(big, file: "big.sh", options: .init(devices: 8))
        XCTAssertLessThan(Date().timeIntervalSince(started), 10)
        XCTAssertEqual(i.notes.filter { $0.hasPrefix("ignored --lr:") }.count, 1, "one line per argument, not per occurrence")
    }
}
