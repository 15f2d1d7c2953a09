/// `--emit megatron|mindspeed`: an experiment's plan as the launch arguments of Megatron-LM's or
/// MindSpeed-LLM's `pretrain_gpt.py`, a bash block (variables, argument arrays, the torchrun line)
/// that `trainsim import megatron` reads back to the same plan. Data, tokenizer, checkpoint and
/// logging arguments are the user's: the block leaves a DATA_ARGS array for them.
public enum LaunchFlavour: String, Sendable, CaseIterable {
    case megatron, mindspeed
}

public enum LaunchArguments {
    public static func render(_ e: Experiment, flavour: LaunchFlavour) -> String {
        let ms = flavour == .mindspeed
        let m = e.model, t = e.training, p = e.parallelism, f = t.framework
        var model: [String] = [], parallel: [String] = [], training: [String] = []

        // Model shape.
        model += ["--num-layers \(m.layers)", "--hidden-size \(m.hidden)", "--ffn-hidden-size \(m.ffnHidden)",
                  "--num-attention-heads \(m.heads)"]
        if m.kvHeads != m.heads { model += ["--group-query-attention", "--num-query-groups \(m.kvHeads)"] }
        model.append("--kv-channels \(m.headDim)")
        if ms {
            model.append("--padded-vocab-size \(m.vocab)")
        } else {
            // Megatron pads --vocab-size to a multiple of --make-vocab-size-divisible-by x TP: choose
            // the divisor so that the padding keeps the vocabulary trainsim simulated.
            let divisor = m.vocab % p.tp == 0 ? gcd(m.vocab / p.tp, 128) : 1
            model += ["--vocab-size \(m.vocab)", "--make-vocab-size-divisible-by \(divisor)"]
        }
        if m.gatedMLP { model.append("--swiglu") }
        if !m.tiedEmbeddings { model.append("--untie-embeddings-and-output-weights") }
        if m.qkvBias { model.append("--add-qkv-bias") }
        if let w = m.slidingWindow, m.windowedLayers > 0 {
            model.append("# sliding-window attention, \(w) tokens on \(m.windowedLayers) of \(m.layers) layers: not expressed here; set it with the stack's window options")
        }
        if m.qkNorm { model.append("--qk-layernorm") }
        model += ["--hidden-dropout \(JSONWriter.number(m.dropout))", "--attention-dropout \(JSONWriter.number(m.dropout))"]
        model += ["--seq-length \(t.sequenceLength)", "--max-position-embeddings \(t.sequenceLength)"]
        if m.mtpLayers > 0 { model.append("--mtp-num-layers \(m.mtpLayers)") }
        if let moe = m.moe {
            model += ["--num-experts \(moe.experts)", "--moe-router-topk \(moe.topK)"]
            if ms {
                model.append("--moe-intermediate-size \(moe.expertFfnHidden)")
                if moe.sharedExperts > 0 { model.append("--n-shared-experts \(moe.sharedExperts)") }
                if moe.denseLayers > 0 { model.append("--first-k-dense-replace \(moe.denseLayers)") }
            } else {
                model.append("--moe-ffn-hidden-size \(moe.expertFfnHidden)")
                if moe.sharedExperts > 0 { model.append("--moe-shared-expert-intermediate-size \(moe.sharedExperts * moe.expertFfnHidden)") }
                if moe.denseLayers > 0 { model.append("--moe-layer-freq '([0]*\(moe.denseLayers)+[1]*\(m.layers - moe.denseLayers))'") }
            }
            if let limit = moe.nodeLimit {
                // Node-limited routing: one routing group per node the expert-parallel group spans.
                let groups = max(limit, (p.ep + e.cluster.topology.node.devicesPerNode - 1) / max(1, e.cluster.topology.node.devicesPerNode))
                model += [ms ? "--n-group \(groups)" : "--moe-router-num-groups \(groups)", ms ? "--topk-group \(limit)" : "--moe-router-group-topk \(limit)"]
            }
            model.append("--moe-grouped-gemm")
            switch f.moeDispatcher {
            case "deepep": model += ["--moe-token-dispatcher-type flex", "--moe-enable-deepep"]
            default: model.append("--moe-token-dispatcher-type \(f.moeDispatcher)")
            }
        }
        if let mla = m.mla {
            model.append(ms ? "--multi-head-latent-attention" : "--multi-latent-attention")
            if mla.qLoraRank > 0 { model.append("--q-lora-rank \(mla.qLoraRank)") }
            model += ["--kv-lora-rank \(mla.kvLoraRank)",
                      ms ? "--qk-rope-head-dim \(mla.ropeHeadDim)" : "--qk-pos-emb-head-dim \(mla.ropeHeadDim)",
                      ms ? "--qk-nope-head-dim \(mla.headDim)" : "--qk-head-dim \(mla.headDim)",
                      "--v-head-dim \(mla.vHeadDim)"]
        }

        // Parallel plan and the stack's overlaps.
        parallel += ["--tensor-model-parallel-size \(p.tp)", "--pipeline-model-parallel-size \(p.pp)"]
        if p.vpp > 1 {
            if ms, m.layers % (p.pp * p.vpp) == 0 {
                parallel.append("--num-layers-per-virtual-pipeline-stage \(m.layers / (p.pp * p.vpp))")
            } else {
                parallel.append("--virtual-pipeline-model-parallel-size \(p.vpp)")
            }
            if p.group != p.pp { parallel.append("--microbatch-group-size-per-virtual-pipeline-stage \(p.group)") }
        }
        // An uneven split (given, or trainsim's default for layers that do not divide) is written out.
        let chunks = StageLayout(layers: m.layers, pp: p.pp, vpp: p.vpp, split: p.layerSplit).chunks
        if Set(chunks).count > 1 {
            let list = chunks.map(String.init).joined(separator: ",")
            let middle = chunks.dropFirst().dropLast()
            if ms, p.vpp == 1 {
                parallel.append("--num-layer-list \(list)")
            } else if !ms, p.vpp == 1, chunks.count > 2, Set(middle).count == 1 {
                parallel += ["--decoder-first-pipeline-num-layers \(chunks.first!)", "--decoder-last-pipeline-num-layers \(chunks.last!)"]
            } else {
                parallel.append("# trainsim's layers per \(p.vpp > 1 ? "virtual " : "")stage: \(list); give them to \(ms ? "MindSpeed-LLM" : "Megatron-LM (--pipeline-model-parallel-layout)")")
            }
        }
        if p.ep > 1 { parallel.append("--expert-model-parallel-size \(p.ep)") }
        if m.moe != nil, p.tp > 1 { parallel.append("--expert-tensor-parallel-size \(p.etp)") }
        if p.cp > 1 {
            parallel.append("--context-parallel-size \(p.cp)")
            if ms { parallel.append("--context-parallel-algo \(p.cpAlgorithm == .ulysses ? "ulysses_cp_algo" : "megatron_cp_algo")") }
            if p.cpAlgorithm == .allgather { parallel.append("--cp-comm-type all_gather") }
            else if !ms && p.cpAlgorithm == .ulysses { parallel.append("--cp-comm-type a2a") }
        }
        if p.sequenceParallel, p.tp > 1 { parallel.append("--sequence-parallel") }
        switch p.schedule {
        case .dualpipe:
            parallel.append(ms ? "--schedules-method dualpipev" : "# the plan uses DualPipe, which Megatron-LM does not have: it runs 1F1B")
        case .zeroBubble:
            parallel.append("# the plan uses the zero-bubble (ZB-H1) schedule, which \(ms ? "MindSpeed-LLM" : "Megatron-LM") does not name: it runs 1F1B")
        default: break
        }
        switch p.zero {
        case 0: break
        case 1: parallel.append("--use-distributed-optimizer")
        default:
            parallel += ["--use-distributed-optimizer", "--use-megatron-fsdp",
                         "--data-parallel-sharding-strategy \(p.zero == 2 ? "optim_grads" : "optim_grads_params")"]
        }
        if p.zero >= 1, let g = p.zeroShardGroup, g < p.dp * p.cp { parallel.append("--num-distributed-optimizer-instances \(p.dp * p.cp / g)") }
        if f.overlapGradReduce { parallel.append("--overlap-grad-reduce") }
        // The alignment applies where trainsim models it: the interleaved schedule with two or more virtual stages.
        let interleaved = p.schedule == .interleaved && p.vpp > 1
        if f.overlapGradReduce, !f.alignGradReduce, interleaved { parallel.append("--no-align-grad-reduce") }
        if f.overlapParamGather, p.zero >= 1 { parallel.append("--overlap-param-gather") }
        if f.overlapParamGather, p.zero >= 1, !f.alignParamGather, interleaved { parallel.append("--no-align-param-gather") }
        if f.tpCommOverlap, p.tp > 1 { parallel.append(ms ? "--use-mc2" : "--tp-comm-overlap") }
        if f.moeAllToAllOverlap, m.moe != nil { parallel.append(ms ? "--moe-fb-overlap" : "--overlap-moe-expert-parallel-comm") }
        if f.gradReduceBytes == 2 { parallel.append("--grad-reduce-in-bf16") }

        // Batches, length of the run, numerics, recompute.
        training += ["--micro-batch-size \(t.microBatchSequences)", "--global-batch-size \(t.globalBatchSequences)"]
        let perIteration = Double(t.globalBatchSequences) * Double(t.sequenceLength)
        let iterations = t.tokens / perIteration
        if iterations == iterations.rounded() {
            training.append("--train-iters \(JSONWriter.number(iterations))")
        } else {
            training.append("--train-samples \(JSONWriter.number((t.tokens / Double(t.sequenceLength)).rounded(.up)))")
        }
        // The batch ramp (data.batchRamp), in Megatron's start / increment / samples form.
        if case let .number(from)? = e.data?["batchRamp"]?["fromSequences"], case let .number(tokens)? = e.data?["batchRamp"]?["tokens"] {
            let stages: Double
            if case let .number(n)? = e.data?["batchRamp"]?["stages"] { stages = n } else { stages = 4 }
            let step = (Double(t.globalBatchSequences) - from) / max(stages, 1)
            if step >= 1, step == step.rounded() {
                training.append("--rampup-batch-size \(JSONWriter.number(from)) \(JSONWriter.number(step)) \(JSONWriter.number((tokens / Double(t.sequenceLength)).rounded()))")
            } else {
                training.append("# data.batchRamp from \(JSONWriter.number(from)) sequences does not climb to \(t.globalBatchSequences) in whole increments")
            }
        }
        if case let .array(phases)? = e.data?["phases"], !phases.isEmpty {
            training.append("# data.phases: the run's \(phases.count) later phase(s) (other lengths, batches or plans) are launches of their own")
        }
        switch t.precision {
        case .bf16: training.append("--bf16")
        case .fp16: training.append("--fp16")
        case .fp8:
            training += ["--bf16", "--fp8-format hybrid"]
            if f.fp8Params { training.append("--fp8-param-gather") }
        }
        switch t.recompute {
        case .none: break
        case .selective: training.append("--recompute-granularity selective")
        case .full:
            if let n = t.recomputeLayers {
                training += ["--recompute-granularity full", "--recompute-method block", "--recompute-num-layers \(n)"]
            } else {
                training += ["--recompute-granularity full", "--recompute-method uniform", "--recompute-num-layers 1"]
            }
        }
        switch t.attention {
        case .flash: training.append(ms ? "--use-flash-attn" : "--attention-backend flash")
        case .unfused: if !ms { training.append("--attention-backend unfused") }
        }

        let perNode = max(1, min(e.cluster.devices, e.cluster.topology.node.devicesPerNode))
        let nodes = e.cluster.devices % perNode == 0 ? e.cluster.devices / perNode : 1
        let perVar = ms ? "NPUS_PER_NODE" : "GPUS_PER_NODE"
        var out = "#!/bin/bash\n"
        out += "# \(e.name): the plan trainsim simulated, as \(ms ? "MindSpeed-LLM" : "Megatron-LM") launch arguments (trainsim --emit \(flavour.rawValue)).\n"
        out += "# \(e.cluster.devices) devices: tp \(p.tp) x cp \(p.cp) x pp \(p.pp) x dp \(p.dp)\(p.ep > 1 ? ", ep \(p.ep)" : ""), schedule \(p.schedule.rawValue), ZeRO \(p.zero), stack \(f.id).\n"
        out += "# Put your data, tokenizer, checkpoint and logging arguments in DATA_ARGS.\n\n"
        if ms { out += "CANN_ENV=/usr/local/Ascend/ascend-toolkit/set_env.sh\n[ -f \"$CANN_ENV\" ] && source \"$CANN_ENV\"\n\n" }
        out += "NNODES=${NNODES:-\(nodes)}\n\(perVar)=${\(perVar):-\(perNode)}\n\n"
        func array(_ name: String, _ lines: [String]) -> String {
            "\(name)=(\n" + lines.map { "    " + $0 + "\n" }.joined() + ")\n\n"
        }
        out += array("MODEL_ARGS", model) + array("PARALLEL_ARGS", parallel) + array("TRAINING_ARGS", training)
        out += "DATA_ARGS=(\"${DATA_ARGS[@]}\")\n\n"
        out += "torchrun --nnodes $NNODES --nproc_per_node $\(perVar) --node_rank ${NODE_RANK:-0} \\\n"
        out += "    --master_addr ${MASTER_ADDR:-localhost} --master_port ${MASTER_PORT:-6000} \\\n"
        out += "    pretrain_gpt.py \"${MODEL_ARGS[@]}\" \"${PARALLEL_ARGS[@]}\" \"${TRAINING_ARGS[@]}\" \"${DATA_ARGS[@]}\"\n"
        return out
    }

    static func gcd(_ a: Int, _ b: Int) -> Int { b == 0 ? a : gcd(b, a % b) }
}
