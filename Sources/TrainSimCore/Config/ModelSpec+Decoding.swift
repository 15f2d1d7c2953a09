import Foundation

extension ModelSpec {
    /// Reads `model`: an inline object, a preset name, or a path to a model file.
    static func read(_ r: ObjectReader, folder: URL?) throws(TrainSimError) -> ModelSpec {
        guard let v = r.raw("model") else { throw r.error("model", "missing required key") }
        switch v {
        case let .string(s):
            if let preset = ModelPresets.all[s] { return preset }
            if s.hasSuffix(".json") || s.contains("/") {
                guard let url = DataLocator.resolve(s, folder: "Models", relativeTo: folder) else {
                    throw r.error("model", "model file \"\(s)\" not found")
                }
                do {
                    let json = try DataLocator.readJSON(url, displayName: url.path)
                    return try decode(json, path: "", file: url.path, defaultName: url.deletingPathExtension().lastPathComponent)
                } catch {
                    throw error.referenced(as: s, innerFile: url.path, from: r.file, keyPath: r.keyPath("model"))
                }
            }
            let hint = closestMatch(s, in: ModelPresets.names).map { "; did you mean \"\($0)\"?" }
                ?? " (presets: \(ModelPresets.names.joined(separator: ", ")))"
            throw r.error("model", "unknown model preset \"\(s)\"\(hint)")
        case .object:
            return try decode(v, path: r.keyPath("model"), file: r.file, defaultName: "custom")
        default:
            throw r.error("model", "expected an object or a preset name, found \(v.typeName)")
        }
    }

    static func decode(_ v: JSONValue, path: String, file: String?, defaultName: String) throws(TrainSimError) -> ModelSpec {
        let m = try ObjectReader(v, path: path, file: file)
        // A model file may start from a preset and override fields.
        var base: ModelSpec?
        if let p = try m.string("preset") {
            guard let b = ModelPresets.all[p] else {
                throw m.error("preset", "unknown model preset \"\(p)\"" + (closestMatch(p, in: ModelPresets.names).map { "; did you mean \"\($0)\"?" } ?? ""))
            }
            base = b
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
            let experts = try o.requiredInt("experts", in: 1...1_000_000)
            let topK = try o.requiredInt("topK", in: 1...1_000_000)
            if topK > experts { throw o.error("topK", "\(topK) is more than the \(experts) experts") }
            let dense = try o.int("denseLayers", in: 0...100_000) ?? 0
            if dense > layers { throw o.error("denseLayers", "\(dense) is more than the model's \(layers) layers") }
            moe = MoESpec(experts: experts, topK: topK,
                          sharedExperts: try o.int("sharedExperts", in: 0...1024) ?? 0,
                          expertFfnHidden: try o.requiredInt("expertFfnHidden", in: 1...16_777_216),
                          denseLayers: dense,
                          imbalance: try o.number("imbalance", in: 1...64) ?? 1,
                          nodeLimit: try o.int("nodeLimit", in: 1...100_000))
            moe?.imbalanceGiven = o.has("imbalance")
            try o.finish()
        }
        var mla = base?.mla
        if let o = try m.object("mla") {
            mla = MLASpec(qLoraRank: try o.int("qLoraRank", in: 0...1_048_576) ?? 0,
                          kvLoraRank: try o.requiredInt("kvLoraRank", in: 1...1_048_576),
                          ropeHeadDim: try o.requiredInt("ropeHeadDim", in: 0...65_536),
                          headDim: try o.requiredInt("headDim", in: 1...65_536),
                          vHeadDim: try o.int("vHeadDim", in: 1...65_536))
            try o.finish()
        }
        let mtp = try m.int("mtpLayers", in: 0...16) ?? base?.mtpLayers ?? 0
        let dropout = try m.number("dropout", in: 0...0.9) ?? base?.dropout ?? 0
        try m.finish()
        var spec = ModelSpec(name: name, layers: layers, hidden: hidden, ffnHidden: ffn, heads: heads, kvHeads: kvHeads,
                         headDim: headDim, vocab: vocab, gatedMLP: gated, tiedEmbeddings: tied, moe: moe, mla: mla)
        spec.mtpLayers = mtp
        spec.dropout = dropout
        return spec
    }
}
