/// Why `trainsim import megatron` leaves an argument out: the Megatron-LM and MindSpeed options
/// that do not change a simulated step, by kind. Any other option it does not map is named as
/// unknown to trainsim.
extension MegatronArguments {
    static let noEffect: [(reason: String, names: Set<String>)] = [
        ("a training hyper-parameter; it does not change step time or memory",
         ["--lr", "--min-lr", "--lr-decay-style", "--lr-decay-iters", "--lr-decay-samples", "--lr-warmup-fraction",
          "--lr-warmup-iters", "--lr-warmup-samples", "--lr-warmup-init", "--weight-decay", "--start-weight-decay",
          "--end-weight-decay", "--weight-decay-incr-style", "--adam-beta1", "--adam-beta2", "--adam-eps", "--clip-grad",
          "--init-method-std", "--loss-scale", "--initial-loss-scale", "--min-loss-scale", "--loss-scale-window",
          "--hysteresis", "--seed", "--moe-aux-loss-coeff", "--moe-z-loss-coeff", "--moe-router-load-balancing-type",
          "--moe-router-score-function", "--moe-router-topk-scaling-factor", "--moe-router-bias-update-rate",
          "--moe-router-enable-expert-bias", "--moe-router-dtype", "--moe-input-jitter-eps", "--router-aux-loss-coef",
          "--moe-router-pre-softmax", "--seq-aux", "--moe-device-level-aux-loss-coeff", "--moe-comm-aux-loss-coeff",
          "--routed-scaling-factor", "--norm-topk-prob", "--moe-expert-capacity-factor", "--moe-pad-expert-input-to-capacity",
          "--moe-token-drop-policy", "--mtp-loss-scaling-factor", "--lr-warmup-ratio", "--use-checkpoint-opt-param-scheduler",
          "--override-opt-param-scheduler", "--moe-router-fusion", "--moe-per-layer-logging", "--apply-layernorm-1p"]),
        ("data, tokenizer, checkpoint or logging; it does not change the simulated step",
         ["--data-path", "--train-data-path", "--valid-data-path", "--test-data-path", "--data-cache-path", "--vocab-file",
          "--merge-file", "--tokenizer-type", "--tokenizer-model", "--tokenizer-name-or-path", "--tokenizer-not-use-fast",
          "--split", "--save", "--load", "--save-interval", "--eval-interval", "--eval-iters", "--log-interval",
          "--tensorboard-dir", "--tensorboard-log-interval", "--wandb-project", "--wandb-exp-name", "--wandb-save-dir",
          "--log-throughput", "--log-timers-to-tensorboard", "--log-validation-ppl-to-tensorboard", "--log-memory-to-tensorboard",
          "--log-params-norm", "--log-num-zeros-in-grad", "--timing-log-level", "--ckpt-format", "--no-load-optim",
          "--no-load-rng", "--no-save-optim", "--no-save-rng", "--finetune", "--exit-interval", "--exit-duration-in-mins",
          "--num-workers", "--dataloader-type", "--mock-data", "--use-checkpoint-args", "--distributed-backend",
          "--distributed-timeout-minutes", "--async-save", "--ckpt-fully-parallel-save", "--ckpt-fully-parallel-load",
          "--auto-detect-ckpt-format", "--dist-ckpt-strictness", "--reset-position-ids", "--reset-attention-mask",
          "--eod-mask-loss", "--no-mmap-bin-files", "--object-storage-cache-path", "--tensorboard-queue-size",
          "--log-progress", "--no-shared-fs", "--ckpt-assume-constant-structure", "--non-persistent-ckpt-type",
          "--manual-gc", "--manual-gc-interval", "--no-create-attention-mask-in-dataloader", "--use-mcore-models",
          "--use-dist-ckpt", "--load-checkpoint-loosely"]),
        ("a kernel, numerics or position-encoding choice; trainsim's device curves stand for the stack's kernels",
         ["--normalization", "--norm-epsilon", "--layernorm-epsilon", "--position-embedding-type", "--rotary-base",
          "--rotary-percent", "--rotary-scaling-factor", "--use-rotary-position-embeddings", "--no-position-embedding",
          "--rope-scaling-type", "--rope-scaling-factor", "--rope-scaling-original-max-position-embeddings",
          "--rope-scaling-beta-fast", "--rope-scaling-beta-slow", "--rope-scaling-mscale", "--rope-scaling-mscale-all-dim",
          "--low-freq-factor", "--high-freq-factor", "--original-max-position-embeddings", "--use-rope-scaling",
          "--max-position-embeddings", 
          "--apply-query-key-layer-scaling", "--attention-softmax-in-fp32", "--no-masked-softmax-fusion",
          "--no-bias-gelu-fusion", "--no-bias-dropout-fusion", "--no-bias-swiglu-fusion", "--no-rope-fusion",
          "--use-fused-rmsnorm", "--use-fused-swiglu", "--use-fused-rotary-pos-emb", "--use-fused-ring-attention-update",
          "--transformer-impl", "--use-mcore-models", "--use-legacy-models", "--spec", "--no-gradient-accumulation-fusion", "--make-vocab-size-divisible-by", "--moe-grouped-gemm", "--moe-permutation-async-comm",
          "--moe-alltoall-overlap-comm", "--moe-zero-memory", "--use-fused-moe-token-permute-and-unpermute",
          "--gemm-gradient-accumulation-fusion", "--cross-entropy-loss-fusion", "--cross-entropy-fusion-impl",
          "--fp8-recipe", "--fp8-amax-history-len", "--fp8-amax-compute-algo", "--fp8-margin", "--te-rng-tracker",
          "--accumulate-allreduce-grads-in-fp32", "--use-cpu-initialization", "--no-check-for-nan-in-loss-and-grad",
          "--prompt-type", "--shared-expert-gate", "--moe-router-topk-group", "--enable-experimental",
          "--use-distributed-optimizer-overlap", "--moe-shared-expert-overlap", "--jit-compile", "--no-shuffle",
          "--use-deter-comp", "--padded-samples", "--group-query-attention-bias", "--use-mcore-wrapper",
          "--bf16-reduce", "--rotary-interleaved", "--sequence-parallel-type", "--rope-type",
          "--overlap-p2p-communication", "--align-grad-reduce", "--align-param-gather",
          "--ddp-bucket-size", "--ddp-average-in-collective", "--check-weight-hash-across-dp-replicas-interval"]),
        ("linear-layer biases: trainsim counts the weight matrices, layer norms and QKV biases, not the other bias vectors",
         ["--disable-bias-linear", "--add-bias-linear", "--add-dense-bias"]),
    ]

    /// Options whose effect trainsim does not model, each with what is lost.
    static let notModelled: [String: String] = [
        "--reuse-fp32-param": "MindSpeed's sharing of fp32 master-weight memory with the bf16 parameters is not modelled; trainsim counts the usual optimizer state bytes",
        "--use-cpu-initialization": "initialisation happens before the first step",
        "--optimizer": "trainsim models Adam's optimizer states",
        "--cpu-offload": "optimizer or activation offload to the host is not modelled",
        "--optimizer-cpu-offload": "optimizer offload to the host is not modelled",
        "--num-layers-per-stage": "not a split trainsim reads; give parallelism.layerSplit",
        "--pipeline-model-parallel-layout": "not a split trainsim reads; give parallelism.layerSplit",
        "--delay-wgrad-compute": "trainsim's schedules split weight gradients only under zero-bubble and DualPipe",
        "--account-for-embedding-in-pipeline-split": "trainsim splits transformer layers only",
        "--account-for-loss-in-pipeline-split": "trainsim splits transformer layers only",
    ]

    /// One line for an option trainsim leaves out: "ignored --lr: a training hyper-parameter; ...".
    static func ignoredLine(_ o: Option) -> String {
        if let why = notModelled[o.name] { return "ignored \(o.name): \(why)" }
        if let r = noEffect.first(where: { $0.names.contains(o.name) }) { return "ignored \(o.name): \(r.reason)" }
        if !o.name.hasPrefix("--") { return "ignored \(o.name): not an option (a word before the first --option)" }
        return "ignored \(o.name): not an argument trainsim maps"
    }
}
