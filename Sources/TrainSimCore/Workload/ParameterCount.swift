/// Parameter counts of a model, by part. A gated MLP has 3 x hidden x ffn weights, a plain one 2 x.
public struct ParameterCount: Sendable, Equatable {
    public var attentionPerLayer: Double
    public var denseMLPPerLayer: Double
    /// One routed expert's weights.
    public var expertPerExpert: Double
    public var sharedExpertsPerLayer: Double
    public var routerPerLayer: Double
    public var normsPerLayer: Double
    public var embedding: Double
    public var outputLayer: Double
    public var denseLayers: Int
    public var moeLayers: Int
    public var experts: Int
    public var topK: Int

    public init(_ m: ModelSpec) {
        let h = Double(m.hidden)
        let hq = Double(m.heads), hkv = Double(m.kvHeads), d = Double(m.headDim)
        if let mla = m.mla {
            let qr = Double(mla.qLoraRank), kvr = Double(mla.kvLoraRank)
            let dn = Double(mla.headDim), dr = Double(mla.ropeHeadDim), dv = Double(mla.vHeadDim)
            let q = qr > 0 ? h * qr + qr + qr * hq * (dn + dr) : h * hq * (dn + dr)
            let kv = h * (kvr + dr) + kvr + kvr * hq * (dn + dv)
            attentionPerLayer = q + kv + hq * dv * h
        } else {
            attentionPerLayer = h * (hq * d + 2 * hkv * d) + hq * d * h
                + (m.qkvBias ? hq * d + 2 * hkv * d : 0)
        }
        let mats = m.gatedMLP ? 3.0 : 2.0
        denseMLPPerLayer = mats * h * Double(m.ffnHidden)
        normsPerLayer = 2 * h + (m.qkNorm ? 2 * d : 0)
        embedding = Double(m.vocab) * h
        outputLayer = m.tiedEmbeddings ? 0 : Double(m.vocab) * h
        if let moe = m.moe {
            expertPerExpert = mats * h * Double(moe.expertFfnHidden)
            sharedExpertsPerLayer = Double(moe.sharedExperts) * expertPerExpert
            routerPerLayer = h * Double(moe.experts)
            denseLayers = moe.denseLayers
            moeLayers = m.layers - moe.denseLayers
            experts = moe.experts
            topK = moe.topK
        } else {
            expertPerExpert = 0; sharedExpertsPerLayer = 0; routerPerLayer = 0
            denseLayers = m.layers; moeLayers = 0; experts = 0; topK = 0
        }
    }

    public var moeLayerTotal: Double {
        attentionPerLayer + normsPerLayer + routerPerLayer + sharedExpertsPerLayer + Double(experts) * expertPerExpert
    }
    public var moeLayerActive: Double {
        attentionPerLayer + normsPerLayer + routerPerLayer + sharedExpertsPerLayer + Double(topK) * expertPerExpert
    }
    public var denseLayerTotal: Double { attentionPerLayer + denseMLPPerLayer + normsPerLayer }

    /// Parameters one device holds of one layer under TP and EP (norms replicated, experts spread
    /// over EP and split over `etp`, the expert tensor parallelism; nil: tp without EP, else 1): a
    /// dense layer, and an MoE layer's non-expert and expert parts (their gradients are reduced
    /// over different groups).
    public func perDevice(tp: Int, ep: Int, etp: Int? = nil) -> (dense: Double, moeDense: Double, moeExpert: Double) {
        let t = Double(tp)
        return ((attentionPerLayer + denseMLPPerLayer) / t + normsPerLayer,
                (attentionPerLayer + routerPerLayer + sharedExpertsPerLayer) / t + normsPerLayer,
                Double(experts / ep) * expertPerExpert / Double(etp ?? (ep == 1 ? tp : 1)))
    }

    /// All parameters.
    public var total: Double {
        Double(denseLayers) * denseLayerTotal + Double(moeLayers) * moeLayerTotal + embedding + outputLayer + 0
    }
    /// Parameters a token passes through (shared + top-k experts), embedding included.
    public var active: Double {
        Double(denseLayers) * denseLayerTotal + Double(moeLayers) * moeLayerActive + embedding + outputLayer
    }
    /// Active parameters that do matrix multiplies (the embedding lookup does not).
    public var activeCompute: Double { active - embedding + (outputLayer == 0 ? embedding : 0) }
}
