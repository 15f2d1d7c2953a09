/// A model family trainsim reads from a Hugging Face `config.json`, and what it does with each
/// key of that family's config. Every key of a config is one of:
/// - mapped: read into the ``ModelSpec`` (layers, sizes, heads, experts, MLA ranks, ...);
/// - checked: trainsim has no representation for other values than the family's default, so any
///   other value is an error naming the key (sliding-window attention, biases it does not count);
/// - ignored: listed here because it does not change what a training step computes or moves
///   (token ids, RoPE and norm constants, initialisation, dtype of the checkpoint, loss weights);
/// - anything else is reported as unknown, never dropped silently: a new key may change the
///   architecture. A user who knows it does not can list it in the model's `ignoreKeys`.
struct HuggingFaceFamily: Sendable {
    enum Kind: Sendable {
        /// Llama-style dense decoder: GQA attention, gated MLP.
        case dense
        /// Dense attention with MoE MLPs, Qwen-MoE key names (num_experts, decoder_sparse_step).
        case qwenMoE
        /// Mixtral key names (num_local_experts; every layer MoE, expert size = intermediate_size).
        case mixtral
        /// DeepSeek-V2/V3 key names (n_routed_experts, first_k_dense_replace) with MLA attention.
        case deepseek
        /// GLM-4.5: DeepSeek-V3 MoE key names with GQA attention.
        case glmMoE
    }

    let name: String
    let modelTypes: [String]
    let architectures: [String]
    let kind: Kind
    /// Keys read into the model or checked for their default value.
    let mapped: Set<String>
    /// Keys that do not change the cost of training (see the type's comment).
    let ignored: Set<String>
    /// Biases on q, k and v are part of the architecture (not a config key).
    var qkvBias = false
    /// Per-head RMSNorm of q and k is part of the architecture (not a config key).
    var qkNorm = false

    func knows(_ key: String) -> Bool { mapped.contains(key) || ignored.contains(key) }
}

extension HuggingFaceFamily {
    /// Keys of transformers' `PretrainedConfig` and generation that every family may carry and
    /// that do not change training cost.
    static let commonIgnored: Set<String> = [
        "_name_or_path", "auto_map", "transformers_version", "torch_dtype", "dtype", "use_cache",
        "bos_token_id", "eos_token_id", "pad_token_id", "initializer_range", "rms_norm_eps", "layer_norm_eps",
        "rope_theta", "rope_scaling", "max_position_embeddings", "hidden_act", "quantization_config",
    ]
    /// Keys every family maps (`architectures` and `model_type` pick the family).
    static let commonMapped: Set<String> = [
        "architectures", "model_type", "num_hidden_layers", "hidden_size", "intermediate_size",
        "num_attention_heads", "num_key_value_heads", "vocab_size", "tie_word_embeddings", "attention_dropout",
    ]
    static let moeIgnored: Set<String> = ["norm_topk_prob", "output_router_logits", "router_aux_loss_coef"]
    /// Qwen's sliding-window keys: only `use_sliding_window` (checked false) switches it on;
    /// `sliding_window` and `max_window_layers` say nothing while it is off.
    static let qwenWindow: Set<String> = ["sliding_window", "max_window_layers"]

    static func family(_ name: String, _ types: [String], _ archs: [String], _ kind: Kind,
                       mapped: Set<String>, ignored: Set<String>, qkvBias: Bool = false, qkNorm: Bool = false) -> HuggingFaceFamily {
        HuggingFaceFamily(name: name, modelTypes: types, architectures: archs, kind: kind,
                          mapped: commonMapped.union(mapped), ignored: commonIgnored.union(ignored),
                          qkvBias: qkvBias, qkNorm: qkNorm)
    }

    /// The families trainsim reads, with each one's key lists (transformers' configuration_*.py of
    /// each model, and the config.json files published with the models).
    static let all: [HuggingFaceFamily] = [
        family("llama", ["llama"], ["LlamaForCausalLM"], .dense,
               mapped: ["head_dim", "attention_bias", "mlp_bias"], ignored: ["pretraining_tp"]),
        family("qwen2", ["qwen2"], ["Qwen2ForCausalLM"], .dense,
               mapped: ["use_sliding_window", "layer_types"], ignored: qwenWindow.union(["use_mrope"]), qkvBias: true),
        family("qwen3", ["qwen3"], ["Qwen3ForCausalLM"], .dense,
               mapped: ["head_dim", "attention_bias", "use_sliding_window", "layer_types"], ignored: qwenWindow, qkNorm: true),
        family("qwen2_moe", ["qwen2_moe"], ["Qwen2MoeForCausalLM"], .qwenMoE,
               mapped: ["use_sliding_window", "layer_types", "num_experts", "num_experts_per_tok", "moe_intermediate_size",
                        "shared_expert_intermediate_size", "decoder_sparse_step", "mlp_only_layers"],
               ignored: qwenWindow.union(moeIgnored), qkvBias: true),
        family("qwen3_moe", ["qwen3_moe"], ["Qwen3MoeForCausalLM"], .qwenMoE,
               mapped: ["head_dim", "attention_bias", "use_sliding_window", "layer_types", "num_experts", "num_experts_per_tok",
                        "moe_intermediate_size", "decoder_sparse_step", "mlp_only_layers"],
               ignored: qwenWindow.union(moeIgnored), qkNorm: true),
        family("deepseek", ["deepseek_v2", "deepseek_v3", "kimi_k2"], ["DeepseekV2ForCausalLM", "DeepseekV3ForCausalLM"], .deepseek,
               mapped: ["attention_bias", "n_routed_experts", "n_shared_experts", "num_experts_per_tok", "moe_intermediate_size",
                        "first_k_dense_replace", "moe_layer_freq", "q_lora_rank", "kv_lora_rank", "qk_rope_head_dim",
                        "qk_nope_head_dim", "v_head_dim", "num_nextn_predict_layers", "n_group", "topk_group"],
               // head_dim: transformers sets it to qk_rope_head_dim; the MLA ranks say everything.
               ignored: moeIgnored.union(["aux_loss_alpha", "seq_aux", "scoring_func", "topk_method", "routed_scaling_factor",
                                          "ep_size", "pretraining_tp", "head_dim", "rope_interleave"])),
        family("mixtral", ["mixtral"], ["MixtralForCausalLM"], .mixtral,
               mapped: ["head_dim", "num_local_experts", "num_experts_per_tok", "sliding_window"],
               ignored: moeIgnored.union(["router_jitter_noise"])),
        // GPT-OSS (transformers' configuration_gpt_oss.py): Mixtral-style experts with biases and a
        // clamped SwiGLU (swiglu_limit, a constant), attention sinks (one logit per head), and
        // 128-token windows on alternate layers; the checkpoint's MXFP4 quantization is ignored.
        family("gpt_oss", ["gpt_oss"], ["GptOssForCausalLM"], .mixtral,
               mapped: ["head_dim", "attention_bias", "num_local_experts", "num_experts_per_tok", "experts_per_token", "sliding_window", "layer_types"],
               ignored: moeIgnored.union(["swiglu_limit", "initial_context_length", "router_jitter_noise"])),
        family("glm4_moe", ["glm4_moe"], ["Glm4MoeForCausalLM"], .glmMoE,
               mapped: ["head_dim", "attention_bias", "use_qk_norm", "n_routed_experts", "n_shared_experts", "num_experts_per_tok",
                        "moe_intermediate_size", "first_k_dense_replace", "num_nextn_predict_layers", "n_group", "topk_group"],
               ignored: moeIgnored.union(["partial_rotary_factor", "routed_scaling_factor"])),
        family("internlm2", ["internlm2"], ["InternLM2ForCausalLM"], .dense,
               mapped: ["bias"], ignored: ["attn_implementation", "pretraining_tp"]),
        family("internlm3", ["internlm3"], ["InternLM3ForCausalLM"], .dense,
               mapped: ["head_dim", "bias", "qkv_bias"], ignored: ["attn_implementation", "pretraining_tp"]),
    ]

    static var modelTypes: [String] { all.flatMap(\.modelTypes) }
}
