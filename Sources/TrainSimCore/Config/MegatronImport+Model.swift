/// The model shape of a Megatron-LM or MindSpeed command line, with Megatron's defaults where an
/// argument is left out (`megatron/training/arguments.py`: FFN 4h, or 4h x 2/3 rounded down to a
/// multiple of 64 with --swiglu; KV heads = heads without --group-query-attention; head
/// dimension h / heads; dropout 0.1; embeddings tied unless --untie-embeddings-and-output-weights;
/// the vocabulary padded to a multiple of --make-vocab-size-divisible-by (128) x TP).
extension MegatronImport {
    struct ModelResult {
        var json: JSONValue
        var layers: Int?
        /// Whether the model has routed experts (from the script or the preset).
        var hasExperts = false
    }

    /// GPT-2's BPE vocabulary, which Megatron's GPT2BPETokenizer reads from gpt2-vocab.json.
    static let gpt2Vocabulary = 50257

    static func modelJSON(_ a: inout MegatronArguments, tp: Int, options: Options, mindspeed: Bool, file: String,
                          notes: inout [String]) throws(TrainSimError) -> ModelResult {
        let preset = options.model.flatMap { ModelPresets.all[$0] }
        if let m = options.model, preset == nil, !m.hasSuffix(".json"), !m.contains("/") {
            let hint = closestMatch(m, in: ModelPresets.names).map { "; did you mean \"\($0)\"?" } ?? ""
            throw TrainSimError(file: file, path: "--model", "unknown model preset \"\(m)\"\(hint)")
        }
        let layers = try a.int("--num-layers", in: 1...100_000)
        let hidden = try a.int("--hidden-size", in: 1...1_048_576)
        let heads = try a.int("--num-attention-heads", in: 1...65_536)
        let hasShape = layers != nil || hidden != nil || heads != nil
        guard hasShape else {
            guard let m = options.model else {
                throw TrainSimError(file: file, "no model shape (--num-layers, --hidden-size, --num-attention-heads) and no --model preset given")
            }
            for k in ["--ffn-hidden-size", "--num-experts", "--padded-vocab-size", "--vocab-size"] where a.has(k) {
                notes.append("ignored \(k): the script gives no --num-layers, --hidden-size or --num-attention-heads, so the model is --model \(m)")
            }
            return ModelResult(json: .string(m), layers: preset?.layers)
        }
        var missing: [String] = []
        if layers == nil, preset == nil { missing.append("--num-layers") }
        if hidden == nil, preset == nil { missing.append("--hidden-size") }
        if heads == nil, preset == nil { missing.append("--num-attention-heads") }
        let h = hidden ?? preset?.hidden ?? 1
        let nHeads = heads ?? preset?.heads ?? 1
        let gated = a.flag("--swiglu")
        let ffn = try a.int("--ffn-hidden-size", in: 1...16_777_216) ?? (gated ? Int(Double(4 * h) * 2 / 3 / 64) * 64 : 4 * h)
        let gqa = a.flag("--group-query-attention")
        let groups = try a.int("--num-query-groups", in: 1...65_536)
        let kvHeads = gqa ? (groups ?? 1) : nHeads
        if groups != nil, !gqa { notes.append("ignored --num-query-groups: without --group-query-attention Megatron uses one KV head per attention head") }
        let headDim = try a.int("--kv-channels", in: 1...65_536) ?? h / max(nHeads, 1)
        let divisible = try a.int("--make-vocab-size-divisible-by", in: 1...1_000_000) ?? 128
        var vocab = try a.int("--padded-vocab-size", in: 1...100_000_000)
        if vocab == nil, let v = try a.int("--vocab-size", in: 1...100_000_000) { vocab = padded(v, divisible * tp) }
        if vocab == nil {
            let tokenizer = a.options.first { $0.name == "--tokenizer-type" }?.values.first
            let vocabFile = a.options.first { $0.name == "--vocab-file" }?.values.first ?? ""
            // Megatron's GPT examples give --vocab-file and --merge-file for GPT-2's BPE without naming the tokenizer.
            if tokenizer == "GPT2BPETokenizer" || vocabFile.contains("gpt2") || (tokenizer == nil && a.has("--merge-file")) {
                vocab = padded(gpt2Vocabulary, divisible * tp)
            }
        }
        if vocab == nil, preset == nil { missing.append("--padded-vocab-size or --vocab-size") }
        if !missing.isEmpty {
            throw TrainSimError(file: file, "the model shape lacks \(missing.joined(separator: ", ")); add it to the script or give --model PRESET")
        }
        let hiddenDropout = try a.number("--hidden-dropout", in: 0...0.9) ?? 0.1
        let attentionDropout = try a.number("--attention-dropout", in: 0...0.9) ?? 0.1
        if hiddenDropout != attentionDropout {
            notes.append("approximated --attention-dropout \(JSONWriter.number(attentionDropout)): trainsim has one dropout probability, taken from --hidden-dropout (\(JSONWriter.number(hiddenDropout)))")
        }
        var m: [(String, JSONValue)] = []
        if let p = options.model { m.append(("preset", .string(p))) } else { m.append(("name", .string("imported"))) }
        func put(_ k: String, _ v: Int?) { if let v { m.append((k, .number(Double(v)))) } }
        put("layers", layers); put("hidden", hidden); put("ffnHidden", ffn); put("heads", heads)
        put("kvHeads", kvHeads); put("headDim", headDim); put("vocab", vocab)
        m.append(("gatedMLP", .bool(gated)))
        m.append(("tiedEmbeddings", .bool(!a.flag("--untie-embeddings-and-output-weights"))))
        m.append(("dropout", .number(hiddenDropout)))
        m.append(("qkvBias", .bool(a.flag("--add-qkv-bias"))))
        m.append(("qkNorm", .bool(a.flag("--qk-layernorm"))))
        if let mtp = try a.int("--mtp-num-layers", "--num-nextn-predict-layers", in: 0...16) { m.append(("mtpLayers", .number(Double(mtp)))) }
        let moe = try moeJSON(&a, layers: layers ?? preset?.layers ?? 1, ffn: ffn, notes: &notes)
        if let moe { m.append(("moe", moe)) }
        if let mla = try mlaJSON(&a) { m.append(("mla", mla)) }
        return ModelResult(json: .object(m), layers: layers ?? preset?.layers, hasExperts: moe != nil || preset?.moe != nil)
    }

    static func padded(_ v: Int, _ multiple: Int) -> Int { (v + multiple - 1) / multiple * multiple }

    static func moeJSON(_ a: inout MegatronArguments, layers: Int, ffn: Int, notes: inout [String]) throws(TrainSimError) -> JSONValue? {
        guard let experts = try a.int("--num-experts", in: 1...1_000_000) else { return nil }
        let topK = try a.int("--moe-router-topk", in: 1...1_000_000) ?? 2
        let expertFfn = try a.int("--moe-ffn-hidden-size", "--moe-intermediate-size", in: 1...16_777_216) ?? ffn
        var shared = try a.int("--n-shared-experts", in: 0...1024) ?? 0
        if let s = try a.int("--moe-shared-expert-intermediate-size", in: 1...16_777_216) {
            shared = max(1, (s + expertFfn / 2) / expertFfn)
            if s % expertFfn != 0 { notes.append("approximated --moe-shared-expert-intermediate-size \(s): \(shared) shared expert(s) of \(expertFfn)") }
        }
        var dense = try a.int("--first-k-dense-replace", in: 0...100_000) ?? 0
        if let freq = try a.string("--moe-layer-freq") {
            if let d = leadingDenseLayers(freq, layers: layers) { dense = max(dense, d) } else {
                notes.append("approximated --moe-layer-freq \(freq): trainsim models leading dense layers then MoE layers; taken as every layer MoE")
            }
        }
        var o: [(String, JSONValue)] = [("experts", .number(Double(experts))), ("topK", .number(Double(topK))),
                                        ("sharedExperts", .number(Double(shared))), ("expertFfnHidden", .number(Double(expertFfn))),
                                        ("denseLayers", .number(Double(min(dense, layers))))]
        if let limit = try a.int("--moe-router-group-topk", "--topk-group", in: 1...100_000) {
            o.append(("nodeLimit", .number(Double(limit))))
            _ = try a.int("--moe-router-num-groups", "--n-group", in: 1...100_000)
        }
        return .object(o)
    }

    /// The dense layers before the first MoE layer, for a --moe-layer-freq that has MoE in every
    /// later layer: `1`, `([0]*3+[1]*58)`, `[0,0,1,1,...]`. Nil for any other pattern.
    static func leadingDenseLayers(_ freq: String, layers: Int) -> Int? {
        let f = freq.filter { !$0.isWhitespace }
        if f == "1" { return 0 }
        if f.hasPrefix("("), f.hasSuffix(")") { return leadingDenseLayers(String(f.dropFirst().dropLast()), layers: layers) }
        var pattern: [Int] = []
        for term in f.split(separator: "+") {
            let parts = term.split(separator: "*")
            guard let list = parts.first, list.hasPrefix("["), list.hasSuffix("]") else { return nil }
            let items = list.dropFirst().dropLast().split(separator: ",").compactMap { Int($0) }
            let times = parts.count == 2 ? Int(parts[1]) : 1
            guard let times, parts.count <= 2, times >= 0, times <= layers, pattern.count + items.count * times <= layers else { return nil }
            for _ in 0..<times { pattern += items }
        }
        guard pattern.count == layers, let firstMoE = pattern.firstIndex(of: 1) else { return nil }
        return pattern[firstMoE...].allSatisfy { $0 == 1 } && pattern[..<firstMoE].allSatisfy { $0 == 0 } ? firstMoE : nil
    }

    static func mlaJSON(_ a: inout MegatronArguments) throws(TrainSimError) -> JSONValue? {
        guard a.flag("--multi-latent-attention", "--multi-head-latent-attention") else { return nil }
        let q = try a.int("--q-lora-rank", in: 0...1_048_576) ?? 0
        let kv = try a.int("--kv-lora-rank", in: 1...1_048_576) ?? 32
        let rope = try a.int("--qk-pos-emb-head-dim", "--qk-rope-head-dim", in: 0...65_536) ?? 64
        let head = try a.int("--qk-head-dim", "--qk-nope-head-dim", in: 1...65_536) ?? 128
        let v = try a.int("--v-head-dim", in: 1...65_536) ?? 128
        return .object([("qLoraRank", .number(Double(q))), ("kvLoraRank", .number(Double(kv))), ("ropeHeadDim", .number(Double(rope))),
                        ("headDim", .number(Double(head))), ("vHeadDim", .number(Double(v)))])
    }
}
