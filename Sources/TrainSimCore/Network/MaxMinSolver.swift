import Foundation

/// Max-min fair sharing of link bandwidth among flows, by progressive filling: all unfrozen flows
/// grow at one rate; the link whose remaining capacity per unit of unfrozen weight is smallest
/// (the bottleneck) fixes the rate of its flows; repeat. Every link tied at that level is frozen
/// in the same round, so a symmetric collective takes one or a few rounds.
///
/// Data are flat: per-link arrays for the links the active flows touch, kept compact (a link
/// leaves the scanned range when its last flow freezes), and the bottleneck scan runs over
/// `SIMD16<Double>` vectors of cached fair shares. `MaxMinSolver+Reference.swift` is the same
/// algorithm as plain scalar Swift, for tests and the benchmark ratio.
public final class MaxMinSolver {
    public let capacity: [Double]
    let linkCount: Int

    // Per-link scratch, indexed by local link index (order of first touch) unless noted.
    private let localOf: UnsafeMutablePointer<Int32>   // by global link id; -1 = untouched
    private let linkIds: UnsafeMutablePointer<Int32>
    /// Remaining capacity, unfrozen weight and flow count of a link, together: the freezing
    /// pass updates all three at random links, so one cache line serves all.
    struct LinkState { var rem: Double; var wsum: Double; var left: Int32; var mark: UInt8 }  // mark: dirty
    private let ls: UnsafeMutablePointer<LinkState>
    private let revStart: UnsafeMutablePointer<Int32>
    private let posOf: UnsafeMutablePointer<Int32>
    private let share: UnsafeMutablePointer<Double>     // compact
    private let idC: UnsafeMutablePointer<Int32>        // compact -> local
    private let dirty: UnsafeMutablePointer<Int32>
    private let hitMark: UnsafeMutablePointer<UInt8>    // small and hot: links at this round's level
    private let hits: UnsafeMutablePointer<Int32>
    // Per active flow (frozen flag, start of its entries) and per entry (local link, weight),
    // copied in active order so the freezing passes read memory sequentially.
    private var frozen = Scratch<UInt8>()
    private var aStart = Scratch<Int32>()
    private var eLocal = Scratch<Int32>()
    private var eCoef = Scratch<Double>()
    private var revFlow = Scratch<Int32>()

    /// Rounds of the last solve (bottleneck levels found).
    public private(set) var lastRounds = 0

    public init(capacity: [Double]) {
        self.capacity = capacity
        linkCount = capacity.count
        let n = max(1, linkCount)
        localOf = .allocate(capacity: n); localOf.initialize(repeating: -1, count: n)
        linkIds = .allocate(capacity: n)
        ls = .allocate(capacity: n)
        ls.initialize(repeating: LinkState(rem: 0, wsum: 0, left: 0, mark: 0), count: n)
        revStart = .allocate(capacity: n + 1)
        posOf = .allocate(capacity: n)
        // 64-byte aligned so the share array can be read as SIMD16<Double> vectors.
        share = UnsafeMutableRawPointer.allocate(byteCount: (n + 16) * 8, alignment: 64).bindMemory(to: Double.self, capacity: n + 16)
        idC = .allocate(capacity: n + 16)
        dirty = .allocate(capacity: n)
        hitMark = .allocate(capacity: n); hitMark.initialize(repeating: 0, count: n)
        hits = .allocate(capacity: n)
    }

    deinit {
        for p in [localOf, linkIds, revStart, posOf, idC, dirty, hits] as [UnsafeMutablePointer<Int32>] { p.deallocate() }
        ls.deallocate(); hitMark.deallocate(); UnsafeMutableRawPointer(share).deallocate()
        frozen.free(); aStart.free(); eLocal.free(); eCoef.free(); revFlow.free()
    }

    /// Solves the rates of the flows listed in `active` (ids into `flows`). Writes `rates[f]`
    /// (bytes/s; +infinity for a flow that crosses no link) and `bottleneck[f]` (the link that
    /// froze it, -1 for none) for each active flow; other entries are left alone.
    public func solve(_ flows: FlowSet, active: [Int32], rates: inout [Double], bottleneck: inout [Int32]) {
        let A = active.count
        var E = 0
        for f in active { E += Int(flows.start[Int(f) + 1] - flows.start[Int(f)]) }
        frozen.reserve(A); aStart.reserve(A + 1); eLocal.reserve(E); eCoef.reserve(E)
        let fz = frozen.p, ast = aStart.p, el = eLocal.p, ec = eCoef.p
        lastRounds = 0
        flows.start.withUnsafeBufferPointer { st in
        flows.link.withUnsafeBufferPointer { lk in
        flows.coef.withUnsafeBufferPointer { cf in
        active.withUnsafeBufferPointer { act in
        rates.withUnsafeMutableBufferPointer { rt in
        bottleneck.withUnsafeMutableBufferPointer { bn in
        capacity.withUnsafeBufferPointer { cap in
            // 1. Touched links, weight sums and flow counts; entries copied in active order.
            var m = 0
            var e2 = 0
            var unfrozen = 0
            for a in 0..<A {
                let f = Int(act[a])
                let lo = Int(st[f]), hi = Int(st[f + 1])
                ast[a] = Int32(e2)
                if lo == hi { rt[f] = .infinity; bn[f] = -1; fz[a] = 1; continue }
                fz[a] = 0
                unfrozen += 1
                for e in lo..<hi {
                    let l = Int(lk[e])
                    var j = Int(localOf[l])
                    if j < 0 {
                        j = m; localOf[l] = Int32(m); linkIds[m] = Int32(l)
                        ls[m] = LinkState(rem: cap[l], wsum: 0, left: 0, mark: 0); m += 1
                    }
                    ls[j].wsum += cf[e]
                    ls[j].left += 1
                    el[e2] = Int32(j); ec[e2] = cf[e]; e2 += 1
                }
            }
            ast[A] = Int32(e2)
            for j in 0..<m {
                share[j] = ls[j].rem / ls[j].wsum
                idC[j] = Int32(j)
                posOf[j] = Int32(j)
            }
            var cnt = m
            var haveReverse = false
            // Freezes active flow `a` at `level`, bottlenecked by local link `j`.
            @inline(__always) func freeze(_ a: Int, _ level: Double, _ j: Int, _ nd: inout Int) {
                fz[a] = 1
                let f = Int(act[a])
                rt[f] = level
                bn[f] = linkIds[j]
                for e in Int(ast[a])..<Int(ast[a + 1]) {
                    let jj = Int(el[e])
                    ls[jj].rem -= ec[e] * level
                    ls[jj].wsum -= ec[e]
                    ls[jj].left -= 1
                    if ls[jj].mark & 1 == 0 { ls[jj].mark |= 1; dirty[nd] = Int32(jj); nd += 1 }
                }
            }
            // 2. Progressive filling.
            while cnt > 0 {
                lastRounds += 1
                let level = Swift.max(Self.simdMin(share, cnt), 0)
                let thr = level + Swift.max(level * 1e-9, 1e-300)
                let nh = Self.simdCollect(share, idC, cnt, thr, into: hits)
                var nd = 0
                if nh == cnt {
                    // Every link left is at this level: every unfrozen flow freezes here, and no
                    // link state needs updating. Each flow's bottleneck is its tightest link.
                    for a in 0..<A where fz[a] == 0 {
                        var best = Int(el[Int(ast[a])])
                        var bestShare = Double.infinity
                        for e in Int(ast[a])..<Int(ast[a + 1]) {
                            let jj = Int(el[e])
                            let sh = share[Int(posOf[jj])]
                            if sh < bestShare { bestShare = sh; best = jj }
                        }
                        fz[a] = 1
                        let f = Int(act[a])
                        rt[f] = level
                        bn[f] = linkIds[best]
                    }
                    break
                }
                var onHits = 0
                for h in 0..<nh { onHits += Int(ls[Int(hits[h])].left) }
                if onHits * 8 >= unfrozen {
                    // Many flows freeze: one sequential pass over the unfrozen flows.
                    for h in 0..<nh { hitMark[Int(hits[h])] = 1 }
                    for a in 0..<A where fz[a] == 0 {
                        for e in Int(ast[a])..<Int(ast[a + 1]) where hitMark[Int(el[e])] != 0 {
                            freeze(a, level, Int(el[e]), &nd)
                            unfrozen -= 1
                            break
                        }
                    }
                    for h in 0..<nh { hitMark[Int(hits[h])] = 0 }
                } else {
                    // Few flows freeze: follow the bottleneck links' flow lists.
                    if !haveReverse { buildReverse(A, m, fz, ast, el); haveReverse = true }
                    let rv = revFlow.p
                    for h in 0..<nh {
                        let j = Int(hits[h])
                        for r in Int(revStart[j])..<Int(revStart[j + 1]) {
                            let a = Int(rv[r])
                            if fz[a] != 0 { continue }
                            freeze(a, level, j, &nd)
                            unfrozen -= 1
                        }
                    }
                }
                for d in 0..<nd {
                    let jj = Int(dirty[d])
                    ls[jj].mark = 0
                    let p = Int(posOf[jj])
                    if p < 0 { continue }
                    if ls[jj].left <= 0 {
                        cnt -= 1
                        let moved = idC[cnt]
                        share[p] = share[cnt]; idC[p] = moved; posOf[Int(moved)] = Int32(p)
                        posOf[jj] = -1
                    } else {
                        share[p] = Swift.max(ls[jj].rem, 0) / Swift.max(ls[jj].wsum, 1e-300)
                    }
                }
            }
            for j in 0..<m { localOf[Int(linkIds[j])] = -1 }
        }}}}}}}
    }

    /// Link -> flows lists (CSR over local links) of the flows still unfrozen.
    private func buildReverse(_ A: Int, _ m: Int, _ fz: UnsafeMutablePointer<UInt8>, _ ast: UnsafeMutablePointer<Int32>, _ el: UnsafeMutablePointer<Int32>) {
        for j in 0...m { revStart[j] = 0 }
        for a in 0..<A where fz[a] == 0 {
            for e in Int(ast[a])..<Int(ast[a + 1]) { revStart[Int(el[e]) + 1] += 1 }
        }
        for j in 0..<m { revStart[j + 1] += revStart[j] }
        revFlow.reserve(Int(revStart[m]))
        let rv = revFlow.p
        for a in 0..<A where fz[a] == 0 {
            for e in Int(ast[a])..<Int(ast[a + 1]) {
                let j = Int(el[e])
                rv[Int(revStart[j])] = Int32(a)
                revStart[j] += 1
            }
        }
        for j in stride(from: m, to: 0, by: -1) { revStart[j] = revStart[j - 1] }
        revStart[0] = 0
    }

    /// Minimum of `n` doubles (64-byte aligned), sixteen lanes at a time. (`pointwiseMin` on
    /// SIMD16<Double> is not specialised in Swift 6.3 and runs ~80x slower than `replacing`.)
    @inline(__always)
    static func simdMin(_ p: UnsafeMutablePointer<Double>, _ n: Int) -> Double {
        var v = SIMD16<Double>(repeating: .infinity)
        let nv = n / 16
        UnsafeMutableRawPointer(p).withMemoryRebound(to: SIMD16<Double>.self, capacity: nv) { q in
            for k in 0..<nv { let x = q[k]; v = v.replacing(with: x, where: x .< v) }
        }
        var m = v.min()
        var i = nv &* 16
        while i < n { m = Swift.min(m, p[i]); i &+= 1 }
        return m
    }

    /// Writes the ids of the entries `<= thr` to `out`; returns their count.
    @inline(__always)
    static func simdCollect(_ p: UnsafeMutablePointer<Double>, _ ids: UnsafeMutablePointer<Int32>, _ n: Int, _ thr: Double, into out: UnsafeMutablePointer<Int32>) -> Int {
        let t = SIMD16<Double>(repeating: thr)
        var k = 0
        let nv = n / 16
        UnsafeMutableRawPointer(p).withMemoryRebound(to: SIMD16<Double>.self, capacity: nv) { q in
            for j in 0..<nv where any(q[j] .<= t) {
                let i = j &* 16
                for l in 0..<16 where p[i &+ l] <= thr { out[k] = ids[i &+ l]; k &+= 1 }
            }
        }
        var i = nv &* 16
        while i < n { if p[i] <= thr { out[k] = ids[i]; k &+= 1 }; i &+= 1 }
        return k
    }
}

/// A growable raw buffer for solver scratch (contents are not kept when it grows).
struct Scratch<T> {
    var p = UnsafeMutablePointer<T>.allocate(capacity: 1)
    var capacity = 1
    mutating func reserve(_ n: Int) {
        if n > capacity { p.deallocate(); capacity = Swift.max(n, capacity * 2); p = .allocate(capacity: capacity) }
    }
    func free() { p.deallocate() }
}
