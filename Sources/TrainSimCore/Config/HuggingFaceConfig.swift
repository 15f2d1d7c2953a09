import Foundation

/// Reads a Hugging Face `config.json` (as published with a model, read by its `model_type`, else
/// its `architectures`) into a ``ModelSpec``. The families and what is done with each of their
/// keys are in ``HuggingFaceFamily``; a key that is neither mapped nor listed as not changing
/// training cost, or a value trainsim has no representation for, is an error naming the key.
enum HuggingFaceConfig {
    /// Whether a JSON document is a Hugging Face config (it names its `model_type` or `architectures`).
    static func isConfig(_ json: JSONValue) -> Bool {
        guard case .object = json else { return false }
        return json["model_type"] != nil || json["architectures"] != nil
    }

    /// A model's default name: the folder of a `config.json` (`Qwen2.5-72B/config.json` is
    /// "Qwen2.5-72B"), else the file's name.
    static func defaultName(_ url: URL) -> String {
        let base = url.deletingPathExtension().lastPathComponent
        let parent = url.deletingLastPathComponent().lastPathComponent
        return base == "config" && !parent.isEmpty && parent != "/" && parent != "." ? parent : base
    }

    /// `{"huggingface": PATH, "ignoreKeys": [...], ...overrides}`: the config at PATH (resolved
    /// like every data file: beside the referring file, the current folder, trainsim's folder).
    static func load(_ reference: String, reader m: ObjectReader, folder: URL?) throws(TrainSimError) -> ModelSpec {
        var ignore: Set<String> = []
        if let items = try m.list("ignoreKeys") {
            for (i, item) in items.enumerated() {
                guard case let .string(k) = item, !k.isEmpty else {
                    throw m.error("ignoreKeys[\(i)]", "expected the name of a key of the config.json, found \(item.typeName)")
                }
                ignore.insert(k)
            }
        }
        guard let url = DataLocator.resolve(reference, folder: "Models", relativeTo: folder) else {
            throw m.error("huggingface", "config file \"\(reference)\" not found")
        }
        do throws(TrainSimError) {
            let json = try DataLocator.readJSON(url, displayName: url.path)
            guard isConfig(json) else {
                throw TrainSimError(file: url.path, "not a Hugging Face config.json: it has neither \"model_type\" nor \"architectures\"")
            }
            return try decode(json, file: url.path, defaultName: defaultName(url), ignoring: ignore)
        } catch {
            throw error.referenced(as: reference, innerFile: url.path, from: m.file, keyPath: m.keyPath("huggingface"))
        }
    }

    /// Decodes a config. `ignoring`: keys the user declared harmless (an unknown key, or a checked
    /// key whose value trainsim cannot model: the family's default is then modelled).
    static func decode(_ json: JSONValue, file: String, defaultName: String, ignoring extra: Set<String> = []) throws(TrainSimError) -> ModelSpec {
        let r = try ObjectReader(json, path: "", file: file)
        let family = try pickFamily(r)
        let layers = try r.requiredInt("num_hidden_layers", in: 1...100_000)
        let hidden = try r.requiredInt("hidden_size", in: 1...1_048_576)
        let ffn = try r.requiredInt("intermediate_size", in: 1...16_777_216)
        let heads = try r.requiredInt("num_attention_heads", in: 1...65_536)
        let kvHeads = try r.int("num_key_value_heads", in: 1...65_536) ?? heads
        if heads % kvHeads != 0 { throw r.error("num_key_value_heads", "\(kvHeads) must divide num_attention_heads (\(heads))") }
        let vocab = try r.requiredInt("vocab_size", in: 1...100_000_000)
        let tied = try r.bool("tie_word_embeddings") ?? false
        let dropout = try r.number("attention_dropout", in: 0...0.9) ?? 0
        var headDim = hidden / heads
        if family.mapped.contains("head_dim"), let d = try r.int("head_dim", in: 1...65_536) {
            headDim = d
        } else if hidden % heads != 0 {
            throw r.error("num_attention_heads", "\(heads) does not divide hidden_size (\(hidden)) and the config gives no head_dim")
        }

        /// A switch that trainsim models only off (false, null or absent).
        func off(_ key: String, _ why: String) throws(TrainSimError) {
            guard !extra.contains(key), let v = r.raw(key) else { return }
            if case .bool(false) = v { return }
            throw r.error(key, "\(JSONWriter.write(v, pretty: false)): \(why)")
        }
        var spec = ModelSpec(name: defaultName, layers: layers, hidden: hidden, ffnHidden: ffn, heads: heads, kvHeads: kvHeads,
                             headDim: headDim, vocab: vocab, gatedMLP: true, tiedEmbeddings: tied)
        spec.dropout = dropout
        spec.qkvBias = family.qkvBias
        spec.qkNorm = family.qkNorm

        switch family.name {
        case "llama":
            try off("attention_bias", "biases on the q, k, v and o projections are not modelled")
            try off("mlp_bias", "biases on the MLP are not modelled")
        case "qwen3", "qwen3_moe":
            try off("attention_bias", "biases on the q, k, v and o projections are not modelled")
        case "internlm2", "internlm3":
            try off("bias", "biases on the attention projections are not modelled")
            spec.qkvBias = try r.bool("qkv_bias") ?? false
        case "gpt_oss":
            // attention_bias puts biases on q, k, v and o: the q, k and v ones are counted, o's
            // (hidden_size a layer, as the router's and experts' biases) is too small to.
            spec.qkvBias = try r.bool("attention_bias") ?? false
            if let k = try r.int("experts_per_token", in: 1...1_000_000), let n = try r.int("num_experts_per_tok", in: 1...1_000_000), k != n {
                throw r.error("experts_per_token", "\(k) differs from num_experts_per_tok (\(n))")
            }
        case "glm4_moe":
            spec.qkvBias = try r.bool("attention_bias") ?? false
            spec.qkNorm = try r.bool("use_qk_norm") ?? false
        case "deepseek":
            try off("attention_bias", "biases on the attention projections are not modelled")
        default: break
        }
        if family.mapped.contains("use_sliding_window") {
            // Qwen: a window only with use_sliding_window, on the layers from max_window_layers on
            // (transformers' Qwen2Config builds layer_types so), or on those layer_types names.
            if !extra.contains("use_sliding_window"), try r.bool("use_sliding_window") == true {
                spec.slidingWindow = try r.requiredInt("sliding_window", in: 1...16_777_216)
                spec.windowedLayers = max(0, layers - min(layers, try r.int("max_window_layers", in: 0...100_000) ?? layers))
            }
            if !extra.contains("layer_types"), let n = try windowedLayerTypes(r, layers: layers) {
                if n > 0, spec.slidingWindow == nil {
                    throw r.error("layer_types", "names \(n) sliding_attention layers, but use_sliding_window is not true (no window length)")
                }
                spec.windowedLayers = n
            }
        }
        if family.name == "gpt_oss" {
            // A window on the layers layer_types names sliding_attention; without layer_types,
            // transformers' GptOssConfig alternates them, the first windowed.
            let n = extra.contains("layer_types") ? nil : try windowedLayerTypes(r, layers: layers)
            let windowed = n ?? (layers + 1) / 2
            if windowed > 0, !extra.contains("sliding_window") {
                spec.slidingWindow = try r.requiredInt("sliding_window", in: 1...16_777_216)
                spec.windowedLayers = windowed
            }
        } else if family.kind == .mixtral, !extra.contains("sliding_window"), let v = r.raw("sliding_window"), v != .null {
            // Mixtral: a window on every layer when sliding_window is set (transformers' MixtralAttention).
            spec.slidingWindow = try r.requiredInt("sliding_window", in: 1...16_777_216)
            spec.windowedLayers = layers
        }

        switch family.kind {
        case .dense: break
        case .qwenMoE: spec.moe = try qwenMoE(r, layers: layers, extra: extra)
        case .mixtral:
            let experts = try r.requiredInt("num_local_experts", in: 1...1_000_000)
            spec.moe = MoESpec(experts: experts, topK: try topK(r, experts: experts), expertFfnHidden: ffn)
        case .deepseek, .glmMoE:
            spec.moe = try deepseekMoE(r, layers: layers, extra: extra)
            spec.mtpLayers = try r.int("num_nextn_predict_layers", in: 0...16) ?? 0
        }
        if family.kind == .deepseek {
            let nope = try r.requiredInt("qk_nope_head_dim", in: 1...65_536)
            spec.mla = MLASpec(qLoraRank: try r.int("q_lora_rank", in: 0...1_048_576) ?? 0,
                               kvLoraRank: try r.requiredInt("kv_lora_rank", in: 1...1_048_576),
                               ropeHeadDim: try r.requiredInt("qk_rope_head_dim", in: 0...65_536),
                               headDim: nope, vHeadDim: try r.int("v_head_dim", in: 1...65_536))
            spec.headDim = nope
        }

        for k in r.keys where !family.knows(k) && !extra.contains(k) {
            throw r.error(k, "unknown key for a \(family.name) config: trainsim neither reads it nor lists it among the keys that do not change training cost; if it does not, name it in the model's \"ignoreKeys\" ({\"huggingface\": PATH, \"ignoreKeys\": [\"\(k)\"]})")
        }
        return spec
    }

    private static func pickFamily(_ r: ObjectReader) throws(TrainSimError) -> HuggingFaceFamily {
        var archs: [String] = []
        if let items = try r.list("architectures") {
            for item in items {
                guard case let .string(a) = item else { throw r.error("architectures", "expected a list of class names, found \(item.typeName) in it") }
                archs.append(a)
            }
        }
        if let type = try r.string("model_type") {
            guard let f = HuggingFaceFamily.all.first(where: { $0.modelTypes.contains(type) }) else {
                let hint = closestMatch(type, in: HuggingFaceFamily.modelTypes).map { "; did you mean \"\($0)\"?" } ?? ""
                throw r.error("model_type", "\"\(type)\" is not a model family trainsim reads (it reads \(HuggingFaceFamily.modelTypes.joined(separator: ", ")))\(hint)")
            }
            return f
        }
        guard let f = HuggingFaceFamily.all.first(where: { f in archs.contains(where: f.architectures.contains) }) else {
            let known = HuggingFaceFamily.all.flatMap(\.architectures).joined(separator: ", ")
            throw r.error("architectures", "\(archs.isEmpty ? "no class" : archs.joined(separator: ", ")) is not an architecture trainsim reads (it reads \(known)) and the config names no model_type")
        }
        return f
    }

    /// `layer_types` (newer transformers write it): trainsim models only full attention in every layer.
    /// How many layers `layer_types` names "sliding_attention" (nil without the key); every entry
    /// must be that or "full_attention", one per layer.
    private static func windowedLayerTypes(_ r: ObjectReader, layers: Int) throws(TrainSimError) -> Int? {
        guard let items = try r.list("layer_types") else { return nil }
        guard items.count == layers else { throw r.error("layer_types", "lists \(items.count) layers, but num_hidden_layers is \(layers)") }
        var n = 0
        for (i, item) in items.enumerated() {
            guard case let .string(t) = item, t == "full_attention" || t == "sliding_attention" else {
                throw r.error("layer_types[\(i)]", "\(JSONWriter.write(item, pretty: false)): trainsim models full_attention and sliding_attention layers only")
            }
            if t == "sliding_attention" { n += 1 }
        }
        return n
    }

    static func topK(_ r: ObjectReader, experts: Int) throws(TrainSimError) -> Int {
        let k = try r.requiredInt("num_experts_per_tok", in: 1...1_000_000)
        if k > experts { throw r.error("num_experts_per_tok", "\(k) is more than the \(experts) experts") }
        return k
    }
}
