/// Which layers each pipeline stage holds. Layers are split over pp x vpp virtual stages; an
/// uneven remainder goes to the middle stages first, since the first stage also holds the
/// embedding and the last the output layer and loss (61 layers on 16 stages: 3 stages of 3,
/// 13 of 4, the 3s at the ends). Stage p holds virtual chunks p, p + pp, ...
public struct StageLayout: Sendable, Equatable {
    /// Layers per virtual stage, in pipeline order.
    public var chunks: [Int]
    public let pp: Int, vpp: Int

    public init(layers: Int, pp: Int, vpp: Int, split: [Int]?) {
        self.pp = pp; self.vpp = vpp
        let n = pp * vpp
        if let split, split.count == n { chunks = split; return }
        let base = layers / n
        var rem = layers - base * n
        var c = [Int](repeating: base, count: n)
        // Hand out the remainder to the inner virtual stages, then the ends.
        var order = Array(1..<max(n - 1, 1))
        if n > 1 { order += [n - 1, 0] } else { order = [0] }
        var k = 0
        while rem > 0 { c[order[k % order.count]] += 1; rem -= 1; k += 1 }
        chunks = c
    }

    /// First global layer index of each virtual stage.
    public var chunkStarts: [Int] {
        var s: [Int] = []
        var acc = 0
        for c in chunks { s.append(acc); acc += c }
        return s
    }

    /// Global layer indices held by physical stage p.
    public func layers(ofStage p: Int) -> [Int] {
        let starts = chunkStarts
        var out: [Int] = []
        for v in 0..<vpp {
            let c = p + v * pp
            out += Array(starts[c]..<(starts[c] + chunks[c]))
        }
        return out
    }

    /// Calls `body` with each global layer index held by physical stage p, in the order of
    /// `layers(ofStage:)`, without building the list (the engine's hot path).
    @inline(__always)
    public func forEachLayer(ofStage p: Int, _ body: (Int) -> Void) {
        var start = 0
        for c in chunks.indices {
            if c % pp == p { for l in start..<(start + chunks[c]) { body(l) } }
            start += chunks[c]
        }
    }

    /// Dense and MoE layers held by physical stage p (MoE layers are those from `moeStart` on).
    public func layerCounts(ofStage p: Int, moeStart: Int) -> (dense: Int, moe: Int) {
        var dense = 0, moe = 0
        forEachLayer(ofStage: p) { l in if l >= moeStart { moe += 1 } else { dense += 1 } }
        return (dense, moe)
    }

    /// `layerCounts(ofStage:moeStart:)` of every stage, in one pass over the chunks (a search
    /// asks for it for every candidate: stage by stage, it cost pp passes).
    public func layerCountsByStage(moeStart: Int) -> [(dense: Int, moe: Int)] {
        var out = [(dense: Int, moe: Int)](repeating: (0, 0), count: pp)
        var start = 0
        for c in chunks.indices {
            let end = start + chunks[c]
            let moe = max(0, end - max(start, moeStart))
            out[c % pp].moe += moe
            out[c % pp].dense += chunks[c] - moe
            start = end
        }
        return out
    }

    /// Whether layer l is recomputed when `limit` layers of each chunk are (counted from the
    /// chunk's first layer, as Megatron-Core's block method does); nil: every layer.
    public func recomputes(_ l: Int, limit: Int?) -> Bool {
        guard let limit else { return true }
        var start = 0
        for c in chunks {
            if l < start + c { return l - start < limit }
            start += c
        }
        return false
    }

    /// Dense and MoE layers of physical stage p that are recomputed under `limit` (see `recomputes`).
    public func recomputedCounts(ofStage p: Int, moeStart: Int, limit: Int?) -> (dense: Int, moe: Int) {
        guard let limit else { return layerCounts(ofStage: p, moeStart: moeStart) }
        var dense = 0, moe = 0, start = 0
        for c in chunks.indices {
            if c % pp == p {
                for l in start..<(start + min(limit, chunks[c])) { if l >= moeStart { moe += 1 } else { dense += 1 } }
            }
            start += chunks[c]
        }
        return (dense, moe)
    }

    /// The share of all layers recomputed under `limit` (1 when every layer is).
    public func recomputedShare(limit: Int?) -> Double {
        guard let limit else { return 1 }
        let total = chunks.reduce(0, +)
        return total == 0 ? 1 : Double(chunks.reduce(0) { $0 + min(limit, $1) }) / Double(total)
    }
}
