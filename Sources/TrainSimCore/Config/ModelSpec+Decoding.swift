import Foundation

extension ModelSpec {
    /// Reads `model`: an inline object, a preset name, or a path to a model file.
    static func read(_ r: ObjectReader, folder: URL?) throws(TrainSimError) -> ModelSpec {
        guard let v = r.raw("model") else { throw r.error("model", "missing required key") }
        switch v {
        case let .string(s):
            if let preset = ModelPresets.all[s] { return preset }
            if s.hasSuffix(".json") || s.contains("/") {
                return try DecodedFiles.memo("model", [s, folder?.path, r.file, r.keyPath("model")]) { () throws(TrainSimError) -> ModelSpec in
                    try readFile(s, r, folder: folder)
                }
            }
            let hint = closestMatch(s, in: ModelPresets.names).map { "; did you mean \"\($0)\"?" }
                ?? " (presets: \(ModelPresets.names.joined(separator: ", ")))"
            throw r.error("model", "unknown model preset \"\(s)\"\(hint)")
        case .object:
            return try decode(v, path: r.keyPath("model"), file: r.file, folder: folder, defaultName: "custom")
        default:
            throw r.error("model", "expected an object or a preset name, found \(v.typeName)")
        }
    }

    /// Reads the model file `s` names (a path ending in .json or holding a `/`): a Hugging Face
    /// config.json, read by its model_type, or a trainsim model file.
    static func readFile(_ s: String, _ r: ObjectReader, folder: URL?) throws(TrainSimError) -> ModelSpec {
        guard let url = DataLocator.resolve(s, folder: "Models", relativeTo: folder) else {
            throw r.error("model", "model file \"\(s)\" not found")
        }
        do {
            let json = try DataLocator.readJSON(url, displayName: url.path)
            if HuggingFaceConfig.isConfig(json) {
                return try HuggingFaceConfig.decode(json, file: url.path, defaultName: HuggingFaceConfig.defaultName(url))
            }
            return try decode(json, path: "", file: url.path, folder: url.deletingLastPathComponent(),
                              defaultName: url.deletingPathExtension().lastPathComponent)
        } catch {
            throw error.referenced(as: s, innerFile: url.path, from: r.file, keyPath: r.keyPath("model"))
        }
    }

    static func decode(_ v: JSONValue, path: String, file: String?, folder: URL?, defaultName: String) throws(TrainSimError) -> ModelSpec {
        let m = try ObjectReader(v, path: path, file: file)
        // A model may start from a preset or a Hugging Face config.json and override fields.
        var base: ModelSpec?
        if let p = try m.string("preset") {
            guard let b = ModelPresets.all[p] else {
                throw m.error("preset", "unknown model preset \"\(p)\"" + (closestMatch(p, in: ModelPresets.names).map { "; did you mean \"\($0)\"?" } ?? ""))
            }
            base = b
        }
        if let hf = try m.string("huggingface") {
            if base != nil { throw m.error("huggingface", "give \"preset\" or \"huggingface\", not both") }
            base = try HuggingFaceConfig.load(hf, reader: m, folder: folder)
        } else if m.has("ignoreKeys") {
            throw m.error("ignoreKeys", "only meaningful with \"huggingface\" (keys of its config.json to ignore)")
        }
        func req(_ k: String, _ range: ClosedRange<Int>, _ cur: Int?) throws(TrainSimError) -> Int {
            if let x = try m.int(k, in: range) { return x }
            if let c = cur { return c }
            throw m.error(k, "missing required key")
        }
        let name = try m.string("name") ?? base?.name ?? defaultName
        let layers = try req("layers", 1...100_000, base?.layers)
        let hidden = try req("hidden", 1...1_048_576, base?.hidden)
        let ffn = try req("ffnHidden", 1...16_777_216, base?.ffnHidden)
        let heads = try req("heads", 1...65_536, base?.heads)
        let kvHeads = try m.int("kvHeads", in: 1...65_536) ?? base?.kvHeads ?? heads
        let headDim = try m.int("headDim", in: 1...65_536) ?? base?.headDim ?? max(1, hidden / heads)
        let vocab = try req("vocab", 1...100_000_000, base?.vocab)
        let gated = try m.bool("gatedMLP") ?? base?.gatedMLP ?? true
        let tied = try m.bool("tiedEmbeddings") ?? base?.tiedEmbeddings ?? false
        if heads % kvHeads != 0 { throw m.error("kvHeads", "\(kvHeads) must divide heads (\(heads))") }
        if base == nil, hidden % heads != 0, try m.int("headDim", in: 1...65_536) == nil {
            throw m.error("heads", "\(heads) does not divide hidden (\(hidden)); give headDim")
        }
        var moe = base?.moe
        if let o = try m.object("moe") {
            // Over a base with MoE layers, each key overrides the base's; otherwise the sizes are required.
            let b = moe
            func size(_ k: String, _ range: ClosedRange<Int>, _ cur: Int?) throws(TrainSimError) -> Int {
                if let x = try o.int(k, in: range) { return x }
                if let c = cur { return c }
                throw o.error(k, "missing required key")
            }
            let experts = try size("experts", 1...1_000_000, b?.experts)
            let topK = try size("topK", 1...1_000_000, b?.topK)
            if topK > experts { throw o.error("topK", "\(topK) is more than the \(experts) experts") }
            let dense = try o.int("denseLayers", in: 0...100_000) ?? b?.denseLayers ?? 0
            if dense > layers { throw o.error("denseLayers", "\(dense) is more than the model's \(layers) layers") }
            moe = MoESpec(experts: experts, topK: topK,
                          sharedExperts: try o.int("sharedExperts", in: 0...1024) ?? b?.sharedExperts ?? 0,
                          expertFfnHidden: try size("expertFfnHidden", 1...16_777_216, b?.expertFfnHidden),
                          denseLayers: dense,
                          imbalance: try o.number("imbalance", in: 1...64) ?? b?.imbalance ?? 1,
                          nodeLimit: try o.int("nodeLimit", in: 1...100_000) ?? b?.nodeLimit)
            moe?.imbalanceGiven = o.has("imbalance") || (b?.imbalanceGiven ?? false)
            try o.finish()
        } else if let dense = moe?.denseLayers, dense > layers {
            throw m.error("layers", "\(layers) is fewer than the base model's \(dense) dense layers (moe.denseLayers)")
        }
        var mla = base?.mla
        if let o = try m.object("mla") {
            let b = mla
            func size(_ k: String, _ range: ClosedRange<Int>, _ cur: Int?) throws(TrainSimError) -> Int {
                if let x = try o.int(k, in: range) { return x }
                if let c = cur { return c }
                throw o.error(k, "missing required key")
            }
            let nope = try size("headDim", 1...65_536, b?.headDim)
            mla = MLASpec(qLoraRank: try o.int("qLoraRank", in: 0...1_048_576) ?? b?.qLoraRank ?? 0,
                          kvLoraRank: try size("kvLoraRank", 1...1_048_576, b?.kvLoraRank),
                          ropeHeadDim: try size("ropeHeadDim", 0...65_536, b?.ropeHeadDim),
                          headDim: nope,
                          vHeadDim: try o.int("vHeadDim", in: 1...65_536) ?? (o.has("headDim") ? nil : b?.vHeadDim))
            try o.finish()
        }
        let mtp = try m.int("mtpLayers", in: 0...16) ?? base?.mtpLayers ?? 0
        let dropout = try m.number("dropout", in: 0...0.9) ?? base?.dropout ?? 0
        let qkvBias = try m.bool("qkvBias") ?? base?.qkvBias ?? false
        let qkNorm = try m.bool("qkNorm") ?? base?.qkNorm ?? false
        let window = try m.int("slidingWindow", in: 1...16_777_216) ?? base?.slidingWindow
        var windowed = try m.int("windowedLayers", in: 0...layers)
        if windowed != nil, window == nil { throw m.error("windowedLayers", "needs slidingWindow (the window's length in tokens)") }
        if windowed == nil, window != nil { windowed = m.has("slidingWindow") ? layers : min(base?.windowedLayers ?? layers, layers) }
        try m.finish()
        var spec = ModelSpec(name: name, layers: layers, hidden: hidden, ffnHidden: ffn, heads: heads, kvHeads: kvHeads,
                         headDim: headDim, vocab: vocab, gatedMLP: gated, tiedEmbeddings: tied, moe: moe, mla: mla)
        spec.mtpLayers = mtp
        spec.dropout = dropout
        spec.qkvBias = qkvBias
        spec.qkNorm = qkNorm
        spec.slidingWindow = window
        spec.windowedLayers = windowed ?? 0
        return spec
    }
}
