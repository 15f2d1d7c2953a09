/// A transformer's architecture, as in the experiment file's `model` object.
public struct ModelSpec: Sendable, Equatable {
    public var name: String
    public var layers: Int
    public var hidden: Int
    public var ffnHidden: Int
    public var heads: Int
    public var kvHeads: Int
    public var headDim: Int
    public var vocab: Int
    /// SwiGLU-style MLP with three matrices (true) or a plain two-matrix MLP (false).
    public var gatedMLP: Bool
    public var tiedEmbeddings: Bool
    public var moe: MoESpec?
    public var mla: MLASpec?
    /// Multi-token-prediction modules (DeepSeek-V3: 1), each one more layer and output head on
    /// the last pipeline stage.
    public var mtpLayers: Int = 0
    /// Dropout probability on hidden states and attention scores. Today's open models train
    /// without it (0), and then no dropout masks are kept for backward; Megatron's GPT default is 0.1.
    public var dropout: Double = 0
    /// Biases on the query, key and value projections (Qwen2, Qwen2.5, GLM-4.5): hq x d + 2 x hkv x d
    /// weights a layer more.
    public var qkvBias = false
    /// RMSNorm on each head's query and key (Qwen3, GLM-4.5): 2 x headDim weights a layer more.
    public var qkNorm = false
    /// Sliding-window attention: on `windowedLayers` of the layers a query attends to at most this
    /// many tokens, itself included (Mistral 7B: every layer, 4,096; Gemma 2 and GPT-OSS: every other
    /// layer; Qwen2 with `use_sliding_window`: the layers from `max_window_layers` on). Nil: every
    /// layer attends causally to the whole sequence.
    public var slidingWindow: Int?
    public var windowedLayers = 0

    /// The attention work of a `seq`-token sequence, averaged over the layers, as a share of causal
    /// attention's (1 without a window): in a windowed layer query i attends to min(i, w) keys
    /// rather than i, so w(w + 1)/2 + (s - w)w score pairs instead of s(s + 1)/2. Layers are averaged
    /// so that identical layers stay one kind; the step's total attention work is exact.
    public func attentionShare(seq: Int) -> Double {
        guard let w = slidingWindow, windowedLayers > 0, w < seq else { return 1 }
        let s = Double(seq), wd = Double(w)
        let windowed = (wd * (wd + 1) / 2 + (s - wd) * wd) / (s * (s + 1) / 2)
        return 1 - Double(windowedLayers) / Double(layers) * (1 - windowed)
    }

    public init(name: String, layers: Int, hidden: Int, ffnHidden: Int, heads: Int, kvHeads: Int? = nil,
                headDim: Int? = nil, vocab: Int, gatedMLP: Bool = true, tiedEmbeddings: Bool = false,
                moe: MoESpec? = nil, mla: MLASpec? = nil) {
        self.name = name; self.layers = layers; self.hidden = hidden; self.ffnHidden = ffnHidden
        self.heads = heads; self.kvHeads = kvHeads ?? heads; self.headDim = headDim ?? hidden / heads
        self.vocab = vocab; self.gatedMLP = gatedMLP; self.tiedEmbeddings = tiedEmbeddings
        self.moe = moe; self.mla = mla
    }
}

/// Mixture-of-experts layers.
public struct MoESpec: Sendable, Equatable {
    public var experts: Int
    public var topK: Int
    public var sharedExperts: Int
    public var expertFfnHidden: Int
    /// Leading layers that keep a dense MLP.
    public var denseLayers: Int
    /// Routed tokens of the busiest expert-parallel rank over the mean (1 = perfectly balanced).
    public var imbalance: Double
    /// Whether the model gave `imbalance`; if not, the stack file's `moeImbalance` applies.
    public var imbalanceGiven = false
    /// Node-limited routing: a token goes to experts on at most this many nodes, and crosses the
    /// fabric once per node (DeepSeek-V3: 4). Nil: unrestricted.
    public var nodeLimit: Int?
    public init(experts: Int, topK: Int, sharedExperts: Int = 0, expertFfnHidden: Int, denseLayers: Int = 0, imbalance: Double = 1.1, nodeLimit: Int? = nil) {
        self.nodeLimit = nodeLimit
        self.experts = experts; self.topK = topK; self.sharedExperts = sharedExperts
        self.expertFfnHidden = expertFfnHidden; self.denseLayers = denseLayers; self.imbalance = imbalance
    }

    /// The busiest device's routed tokens over the mean under `ep`-way expert parallelism: without
    /// it every device holds all the experts and computes exactly its tokens' top-k copies, however
    /// unevenly they fall on the experts.
    public func busiestShare(ep: Int) -> Double { ep > 1 ? imbalance : 1 }
}

/// DeepSeek-style multi-head latent attention.
public struct MLASpec: Sendable, Equatable {
    public var qLoraRank: Int
    public var kvLoraRank: Int
    public var ropeHeadDim: Int
    /// Per-head dimension of the non-rotary part of q and k.
    public var headDim: Int
    public var vHeadDim: Int
    public init(qLoraRank: Int, kvLoraRank: Int, ropeHeadDim: Int, headDim: Int, vHeadDim: Int? = nil) {
        self.qLoraRank = qLoraRank; self.kvLoraRank = kvLoraRank; self.ropeHeadDim = ropeHeadDim
        self.headDim = headDim; self.vHeadDim = vHeadDim ?? headDim
    }
}

extension ModelSpec {
    /// Where the model gives no MoE imbalance, the stack's default (`moeImbalance`) applies.
    mutating func takeImbalance(from fw: FrameworkSpec) {
        if let moe, !moe.imbalanceGiven { self.moe!.imbalance = fw.moeImbalance }
    }
}
