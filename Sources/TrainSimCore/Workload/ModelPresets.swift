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
        // "DeepSeek-V3 Technical Report" (arXiv:2412.19437) and config.json of deepseek-ai/DeepSeek-V3: 671B total, 37B active.
        "deepseek-v3": withMTP(ModelSpec(name: "deepseek-v3", layers: 61, hidden: 7168, ffnHidden: 18432, heads: 128, kvHeads: 128, headDim: 128, vocab: 129280,
                                 moe: MoESpec(experts: 256, topK: 8, sharedExperts: 1, expertFfnHidden: 2048, denseLayers: 3, nodeLimit: 4),
                                 mla: MLASpec(qLoraRank: 1536, kvLoraRank: 512, ropeHeadDim: 64, headDim: 128, vHeadDim: 128)), 1),
        // DeepSeek-V2 paper (arXiv:2405.04434) and config.json of deepseek-ai/DeepSeek-V2: 236B total, 21B active.
        "deepseek-v2": ModelSpec(name: "deepseek-v2", layers: 60, hidden: 5120, ffnHidden: 12288, heads: 128, kvHeads: 128, headDim: 128, vocab: 102400,
                                 moe: MoESpec(experts: 160, topK: 6, sharedExperts: 2, expertFfnHidden: 1536, denseLayers: 1),
                                 mla: MLASpec(qLoraRank: 1536, kvLoraRank: 512, ropeHeadDim: 64, headDim: 128, vHeadDim: 128)),
        // "Qwen2.5 Technical Report" (arXiv:2412.15115), table 1, and config.json of Qwen/Qwen2.5-7B and Qwen/Qwen2.5-72B:
        // 7.61B and 72.7B total; biases on q, k and v; untied embeddings.
        "qwen2.5-7b": withQKVBias(ModelSpec(name: "qwen2.5-7b", layers: 28, hidden: 3584, ffnHidden: 18944, heads: 28, kvHeads: 4, vocab: 152064)),
        "qwen2.5-72b": withQKVBias(ModelSpec(name: "qwen2.5-72b", layers: 80, hidden: 8192, ffnHidden: 29568, heads: 64, kvHeads: 8, vocab: 152064)),
        // "Qwen3 Technical Report" (arXiv:2505.09388), tables 1 and 2, and config.json of Qwen/Qwen3-32B and Qwen/Qwen3-30B-A3B:
        // 32.8B total; 30.5B total and 3.3B active (128 experts, top-8, no shared experts); head dim 128 and QK norm.
        "qwen3-32b": withQKNorm(ModelSpec(name: "qwen3-32b", layers: 64, hidden: 5120, ffnHidden: 25600, heads: 64, kvHeads: 8, headDim: 128, vocab: 151936)),
        "qwen3-30b-a3b": withQKNorm(ModelSpec(name: "qwen3-30b-a3b", layers: 48, hidden: 2048, ffnHidden: 6144, heads: 32, kvHeads: 4, headDim: 128, vocab: 151936,
                                              moe: MoESpec(experts: 128, topK: 8, sharedExperts: 0, expertFfnHidden: 768, denseLayers: 0))),
        // config.json of Qwen/Qwen3-235B-A22B (Qwen3 Technical Report, arXiv:2505.09388): 128 experts, top-8, no shared experts, no dense layers.
        "qwen3-235b-a22b": ModelSpec(name: "qwen3-235b-a22b", layers: 94, hidden: 4096, ffnHidden: 12288, heads: 64, kvHeads: 4, headDim: 128, vocab: 151936,
                                     moe: MoESpec(experts: 128, topK: 8, sharedExperts: 0, expertFfnHidden: 1536, denseLayers: 0)),
        // GLM-4.5 report (arXiv:2508.06471) and config.json of zai-org/GLM-4.5: 355B total, 32B active; 160 experts + 1 shared, top-8, first 3 dense.
        "glm-4.5": ModelSpec(name: "glm-4.5", layers: 92, hidden: 5120, ffnHidden: 12288, heads: 96, kvHeads: 8, headDim: 128, vocab: 151552,
                             moe: MoESpec(experts: 160, topK: 8, sharedExperts: 1, expertFfnHidden: 1536, denseLayers: 3)),
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
    static func withDropout(_ m: ModelSpec, _ p: Double) -> ModelSpec { var x = m; x.dropout = p; return x }
}
