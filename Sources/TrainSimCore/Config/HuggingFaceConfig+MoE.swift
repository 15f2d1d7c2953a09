/// The MoE keys of a Hugging Face config, in the two naming schemes the families use.
extension HuggingFaceConfig {
    /// Qwen2-MoE and Qwen3-MoE: `num_experts`, `moe_intermediate_size`, the shared expert as
    /// `shared_expert_intermediate_size` (whole experts of `moe_intermediate_size`), and the dense
    /// layers as `mlp_only_layers` (a leading run) or `decoder_sparse_step` (only 1 is modelled).
    static func qwenMoE(_ r: ObjectReader, layers: Int, extra: Set<String>) throws(TrainSimError) -> MoESpec? {
        guard let experts = try r.int("num_experts", in: 0...1_000_000), experts > 0 else { return nil }
        let k = try topK(r, experts: experts)
        let size = try r.requiredInt("moe_intermediate_size", in: 1...16_777_216)
        var shared = 0
        if let s = try r.int("shared_expert_intermediate_size", in: 0...16_777_216), s > 0 {
            guard s % size == 0 else {
                throw r.error("shared_expert_intermediate_size", "\(s) is not a whole number of experts of moe_intermediate_size (\(size)); trainsim models shared experts as whole experts")
            }
            shared = s / size
        }
        if !extra.contains("decoder_sparse_step"), let step = try r.int("decoder_sparse_step", in: 1...100_000), step != 1 {
            throw r.error("decoder_sparse_step", "\(step): an MoE layer every \(step) layers is not modelled; trainsim's dense layers are the leading ones (moe.denseLayers)")
        }
        var dense = 0
        if !extra.contains("mlp_only_layers"), let items = try r.list("mlp_only_layers") {
            for (i, item) in items.enumerated() {
                guard case let .number(d) = item, d == Double(i) else {
                    throw r.error("mlp_only_layers", "\(JSONWriter.write(.array(items), pretty: false)): only leading dense layers (0, 1, ..., k-1) are modelled (moe.denseLayers)")
                }
            }
            dense = items.count
            if dense > layers { throw r.error("mlp_only_layers", "\(dense) dense layers are more than the model's \(layers) layers") }
        }
        return MoESpec(experts: experts, topK: k, sharedExperts: shared, expertFfnHidden: size, denseLayers: dense)
    }

    /// DeepSeek-V2/V3, Kimi K2 and GLM-4.5: `n_routed_experts`, `n_shared_experts`,
    /// `first_k_dense_replace`, `moe_layer_freq` (only 1 is modelled), and group-limited routing:
    /// with `n_group` groups of which a token may use `topk_group`, a token reaches experts on at
    /// most `topk_group` groups, hence on at most that many nodes when a group is no larger than a
    /// node (DeepSeek-V3: 8 groups, 4 nodes; DeepSeek-V2 limits devices, 3, so nodes too).
    static func deepseekMoE(_ r: ObjectReader, layers: Int, extra: Set<String>) throws(TrainSimError) -> MoESpec? {
        guard let experts = try r.int("n_routed_experts", in: 1...1_000_000) else { return nil }
        let k = try topK(r, experts: experts)
        let dense = try r.int("first_k_dense_replace", in: 0...100_000) ?? 0
        if dense > layers { throw r.error("first_k_dense_replace", "\(dense) is more than the model's \(layers) layers") }
        if !extra.contains("moe_layer_freq"), let f = try r.int("moe_layer_freq", in: 1...100_000), f != 1 {
            throw r.error("moe_layer_freq", "\(f): an MoE layer every \(f) layers is not modelled; trainsim's dense layers are the leading ones (moe.denseLayers)")
        }
        var moe = MoESpec(experts: experts, topK: k, sharedExperts: try r.int("n_shared_experts", in: 0...1024) ?? 0,
                          expertFfnHidden: try r.requiredInt("moe_intermediate_size", in: 1...16_777_216), denseLayers: dense)
        let groups = try r.int("n_group", in: 1...1_000_000) ?? 1
        let limit = try r.int("topk_group", in: 1...1_000_000) ?? groups
        if limit > groups { throw r.error("topk_group", "\(limit) is more than the \(groups) groups (n_group)") }
        if groups > 1, limit < groups { moe.nodeLimit = limit }
        return moe
    }
}
