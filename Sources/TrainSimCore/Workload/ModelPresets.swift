/// Published architectures: each preset names its sources beside it (the model's paper, and its
/// config.json as published in the model's Hugging Face repository, named owner/repo).
public enum ModelPresets {
    public static let all: [String: ModelSpec] = [
        // GPT-3 paper (Brown et al. 2020, "Language Models are Few-Shot Learners", arXiv:2005.14165), table 2.1; plain GeLU MLP; vocab padded to 51200 as in Megatron.
        // Dropout 0.1 as Megatron-LM's GPT runs of it (its --hidden-dropout and --attention-dropout defaults).
        "gpt3-175b": withDropout(ModelSpec(name: "gpt3-175b", layers: 96, hidden: 12288, ffnHidden: 49152, heads: 96, vocab: 51200, gatedMLP: false), 0.1),
        // "The Llama 3 Herd of Models" (arXiv:2407.21783), table 3; config.json of meta-llama/Llama-3.1-8B, -70B, -405B.
        "llama3-8b": ModelSpec(name: "llama3-8b", layers: 32, hidden: 4096, ffnHidden: 14336, heads: 32, kvHeads: 8, vocab: 128256),
        "llama3-70b": ModelSpec(name: "llama3-70b", layers: 80, hidden: 8192, ffnHidden: 28672, heads: 64, kvHeads: 8, vocab: 128256),
        "llama3-405b": ModelSpec(name: "llama3-405b", layers: 126, hidden: 16384, ffnHidden: 53248, heads: 128, kvHeads: 8, vocab: 128256),
        // "Llama 2: Open Foundation and Fine-Tuned Chat Models" (arXiv:2307.09288), table 1 and sec. 2.2, and config.json of
        // meta-llama/Llama-2-7b-hf, -13b-hf and -70b-hf: 6.74B, 13.0B and 69.0B; grouped-query attention (8 KV heads) on 70B only.
        "llama2-7b": ModelSpec(name: "llama2-7b", layers: 32, hidden: 4096, ffnHidden: 11008, heads: 32, vocab: 32000),
        "llama2-13b": ModelSpec(name: "llama2-13b", layers: 40, hidden: 5120, ffnHidden: 13824, heads: 40, vocab: 32000),
        "llama2-70b": ModelSpec(name: "llama2-70b", layers: 80, hidden: 8192, ffnHidden: 28672, heads: 64, kvHeads: 8, vocab: 32000),
        // "DeepSeek-V3 Technical Report" (arXiv:2412.19437) and config.json of deepseek-ai/DeepSeek-V3: 671B total, 37B active.
        "deepseek-v3": withMTP(ModelSpec(name: "deepseek-v3", layers: 61, hidden: 7168, ffnHidden: 18432, heads: 128, kvHeads: 128, headDim: 128, vocab: 129280,
                                 moe: MoESpec(experts: 256, topK: 8, sharedExperts: 1, expertFfnHidden: 2048, denseLayers: 3, nodeLimit: 4),
                                 mla: MLASpec(qLoraRank: 1536, kvLoraRank: 512, ropeHeadDim: 64, headDim: 128, vHeadDim: 128)), 1),
        // DeepSeek-V2 paper (arXiv:2405.04434) and config.json of deepseek-ai/DeepSeek-V2: 236B total, 21B active.
        "deepseek-v2": ModelSpec(name: "deepseek-v2", layers: 60, hidden: 5120, ffnHidden: 12288, heads: 128, kvHeads: 128, headDim: 128, vocab: 102400,
                                 moe: MoESpec(experts: 160, topK: 6, sharedExperts: 2, expertFfnHidden: 1536, denseLayers: 1),
                                 mla: MLASpec(qLoraRank: 1536, kvLoraRank: 512, ropeHeadDim: 64, headDim: 128, vHeadDim: 128)),
        // DeepSeek-V2 paper (arXiv:2405.04434), DeepSeek-V2-Lite, and config.json of deepseek-ai/DeepSeek-V2-Lite: 15.7B total,
        // 2.4B active; MLA without query compression (q_lora_rank null); 64 experts + 2 shared, top-6, the first layer dense.
        "deepseek-v2-lite": ModelSpec(name: "deepseek-v2-lite", layers: 27, hidden: 2048, ffnHidden: 10944, heads: 16, kvHeads: 16, headDim: 128, vocab: 102400,
                                      moe: MoESpec(experts: 64, topK: 6, sharedExperts: 2, expertFfnHidden: 1408, denseLayers: 1),
                                      mla: MLASpec(qLoraRank: 0, kvLoraRank: 512, ropeHeadDim: 64, headDim: 128, vHeadDim: 128)),
        // "Mixtral of Experts" (arXiv:2401.04088), table 1, and config.json of mistralai/Mixtral-8x7B-v0.1: 46.7B total, 12.9B
        // active; 8 experts, top-2; v0.1 has no sliding window (sliding_window null).
        "mixtral-8x7b": ModelSpec(name: "mixtral-8x7b", layers: 32, hidden: 4096, ffnHidden: 14336, heads: 32, kvHeads: 8, vocab: 32000,
                                  moe: MoESpec(experts: 8, topK: 2, sharedExperts: 0, expertFfnHidden: 14336, denseLayers: 0)),
        // gpt-oss-120b & gpt-oss-20b model card (arXiv:2508.10925), table 1, and config.json of openai/gpt-oss-20b and
        // openai/gpt-oss-120b: 20.91B and 116.83B total; 32 and 128 experts, top-4; head dim 64; every other layer attends
        // within a 128-token window (layer_types); biases on the attention projections (q, k and v counted). The attention
        // sinks (one learned logit per head) are not modelled.
        "gpt-oss-20b": withWindow(withQKVBias(ModelSpec(name: "gpt-oss-20b", layers: 24, hidden: 2880, ffnHidden: 2880, heads: 64, kvHeads: 8, headDim: 64, vocab: 201088,
                                                        moe: MoESpec(experts: 32, topK: 4, sharedExperts: 0, expertFfnHidden: 2880, denseLayers: 0))), 128, layers: 12),
        "gpt-oss-120b": withWindow(withQKVBias(ModelSpec(name: "gpt-oss-120b", layers: 36, hidden: 2880, ffnHidden: 2880, heads: 64, kvHeads: 8, headDim: 64, vocab: 201088,
                                                         moe: MoESpec(experts: 128, topK: 4, sharedExperts: 0, expertFfnHidden: 2880, denseLayers: 0))), 128, layers: 18),
        // "Qwen2 Technical Report" (arXiv:2407.10671), table 1, and config.json of Qwen/Qwen2-57B-A14B: 57B total, 14B active;
        // 64 experts of 2,560, top-8, and a shared expert 20,480 wide (shared_expert_intermediate_size), modelled as 8 whole
        // experts (its sigmoid gate, a 3,584 x 1 projection, is not); biases on q, k and v.
        "qwen2-57b-a14b": withQKVBias(ModelSpec(name: "qwen2-57b-a14b", layers: 28, hidden: 3584, ffnHidden: 18944, heads: 28, kvHeads: 4, vocab: 151936,
                                                moe: MoESpec(experts: 64, topK: 8, sharedExperts: 8, expertFfnHidden: 2560, denseLayers: 0))),
        // "Qwen2.5 Technical Report" (arXiv:2412.15115), table 1, and config.json of Qwen/Qwen2.5-7B and Qwen/Qwen2.5-72B:
        // 7.61B and 72.7B total; biases on q, k and v; untied embeddings.
        "qwen2.5-7b": withQKVBias(ModelSpec(name: "qwen2.5-7b", layers: 28, hidden: 3584, ffnHidden: 18944, heads: 28, kvHeads: 4, vocab: 152064)),
        "qwen2.5-72b": withQKVBias(ModelSpec(name: "qwen2.5-72b", layers: 80, hidden: 8192, ffnHidden: 29568, heads: 64, kvHeads: 8, vocab: 152064)),
        // "Qwen3 Technical Report" (arXiv:2505.09388), tables 1 and 2, and config.json of Qwen/Qwen3-32B and Qwen/Qwen3-30B-A3B:
        // 32.8B total; 30.5B total and 3.3B active (128 experts, top-8, no shared experts); head dim 128 and QK norm.
        "qwen3-32b": withQKNorm(ModelSpec(name: "qwen3-32b", layers: 64, hidden: 5120, ffnHidden: 25600, heads: 64, kvHeads: 8, headDim: 128, vocab: 151936)),
        "qwen3-30b-a3b": withQKNorm(ModelSpec(name: "qwen3-30b-a3b", layers: 48, hidden: 2048, ffnHidden: 6144, heads: 32, kvHeads: 4, headDim: 128, vocab: 151936,
                                              moe: MoESpec(experts: 128, topK: 8, sharedExperts: 0, expertFfnHidden: 768, denseLayers: 0))),
        // config.json of Qwen/Qwen3-235B-A22B (Qwen3 Technical Report, arXiv:2505.09388): 128 experts, top-8, no shared experts, no dense layers;
        // QK norm, as every Qwen3 model (the report, sec. 2; transformers' Qwen3MoeAttention has q_norm and k_norm).
        "qwen3-235b-a22b": withQKNorm(ModelSpec(name: "qwen3-235b-a22b", layers: 94, hidden: 4096, ffnHidden: 12288, heads: 64, kvHeads: 4, headDim: 128,
                                                vocab: 151936, moe: MoESpec(experts: 128, topK: 8, sharedExperts: 0, expertFfnHidden: 1536, denseLayers: 0))),
        // GLM-4.5 report (arXiv:2508.06471) and config.json of zai-org/GLM-4.5: 355B total, 32B active; 160 experts + 1 shared, top-8,
        // first 3 dense; biases on q, k and v (attention_bias), QK norm (use_qk_norm) and one MTP layer (num_nextn_predict_layers).
        "glm-4.5": withMTP(withQKNorm(withQKVBias(ModelSpec(name: "glm-4.5", layers: 92, hidden: 5120, ffnHidden: 12288, heads: 96, kvHeads: 8, headDim: 128,
                                                            vocab: 151552, moe: MoESpec(experts: 160, topK: 8, sharedExperts: 1, expertFfnHidden: 1536,
                                                                                        denseLayers: 3)))), 1),
        // Pangu Ultra (Huawei 2025, "Pangu Ultra: Pushing the Limits of Dense Large Language Models on Ascend NPUs", arXiv:2504.07866): dense 135B, 94 layers, trained on 8,192 Ascend NPUs.
        "pangu-ultra-135b": ModelSpec(name: "pangu-ultra-135b", layers: 94, hidden: 12288, ffnHidden: 28672, heads: 96, kvHeads: 8, headDim: 128, vocab: 153376),
        // config.json of moonshotai/Kimi-K2-Base (Kimi K2 report, arXiv:2507.20534): 1.04T total, 32.6B active.
        "kimi-k2": ModelSpec(name: "kimi-k2", layers: 61, hidden: 7168, ffnHidden: 18432, heads: 64, kvHeads: 64, headDim: 128, vocab: 163840,
                             moe: MoESpec(experts: 384, topK: 8, sharedExperts: 1, expertFfnHidden: 2048, denseLayers: 1),
                             mla: MLASpec(qLoraRank: 1536, kvLoraRank: 512, ropeHeadDim: 64, headDim: 128, vHeadDim: 128)),
    ]

    public static var names: [String] { all.keys.sorted() }

    static func withMTP(_ m: ModelSpec, _ n: Int) -> ModelSpec { var x = m; x.mtpLayers = n; return x }
    static func withQKVBias(_ m: ModelSpec) -> ModelSpec { var x = m; x.qkvBias = true; return x }
    static func withQKNorm(_ m: ModelSpec) -> ModelSpec { var x = m; x.qkNorm = true; return x }
    static func withWindow(_ m: ModelSpec, _ w: Int, layers n: Int) -> ModelSpec { var x = m; x.slidingWindow = w; x.windowedLayers = n; return x }
    static func withDropout(_ m: ModelSpec, _ p: Double) -> ModelSpec { var x = m; x.dropout = p; return x }
}
