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
    private let wsum: UnsafeMutablePointer<Double>
    private let rem: UnsafeMutablePointer<Double>
    private let left: UnsafeMutablePointer<Int32>
    private let revStart: UnsafeMutablePointer<Int32>
    private let posOf: UnsafeMutablePointer<Int32>
    private let share: UnsafeMutablePointer<Double>     // compact
    private let idC: UnsafeMutablePointer<Int32>        // compact -> local
    private let dirtyMark: UnsafeMutablePointer<UInt8>
    private let dirty: UnsafeMutablePointer<Int32>
    private let hits: UnsafeMutablePointer<Int32>
    // Per-flow and per-entry scratch, grown on demand.
    private var frozen = UnsafeMutablePointer<UInt8>.allocate(capacity: 1)
    private var frozenCap = 1
    private var revFlow = UnsafeMutablePointer<Int32>.allocate(capacity: 1)
    private var revCap = 1

    /// Rounds of the last solve (bottleneck levels found).
    public private(set) var lastRounds = 0

    public init(capacity: [Double]) {
        self.capacity = capacity
        linkCount = capacity.count
        let n = max(1, linkCount)
        localOf = .allocate(capacity: n); localOf.initialize(repeating: -1, count: n)
        linkIds = .allocate(capacity: n)
        wsum = .allocate(capacity: n)
        rem = .allocate(capacity: n)
        left = .allocate(capacity: n)
        revStart = .allocate(capacity: n + 1)
        posOf = .allocate(capacity: n)
        share = .allocate(capacity: n + 16)
        idC = .allocate(capacity: n + 16)
        dirtyMark = .allocate(capacity: n); dirtyMark.initialize(repeating: 0, count: n)
        dirty = .allocate(capacity: n)
        hits = .allocate(capacity: n)
    }

    deinit {
        for p in [localOf, linkIds, left, revStart, posOf, idC, dirty, hits] as [UnsafeMutablePointer<Int32>] { p.deallocate() }
        wsum.deallocate(); rem.deallocate(); share.deallocate(); dirtyMark.deallocate()
        frozen.deallocate(); revFlow.deallocate()
    }

    /// Solves the rates of the flows listed in `active` (ids into `flows`). Writes `rates[f]`
    /// (bytes/s; +infinity for a flow that crosses no link) and `bottleneck[f]` (the link that
    /// froze it, -1 for none) for each active flow; other entries are left alone.
    public func solve(_ flows: FlowSet, active: [Int32], rates: inout [Double], bottleneck: inout [Int32]) {
        let A = active.count
        if A > frozenCap { frozen.deallocate(); frozenCap = max(A, frozenCap * 2); frozen = .allocate(capacity: frozenCap) }
        frozen.initialize(repeating: 0, count: A)
        lastRounds = 0
        flows.start.withUnsafeBufferPointer { st in
        flows.link.withUnsafeBufferPointer { lk in
        flows.coef.withUnsafeBufferPointer { cf in
        active.withUnsafeBufferPointer { act in
        rates.withUnsafeMutableBufferPointer { rt in
        bottleneck.withUnsafeMutableBufferPointer { bn in
        capacity.withUnsafeBufferPointer { cap in
            // 1. Touched links: weight sums and flow counts; reverse index (link -> flows).
            var m = 0
            var entries = 0
            for a in 0..<A {
                let f = Int(act[a])
                let lo = Int(st[f]), hi = Int(st[f + 1])
                if lo == hi { rt[f] = .infinity; bn[f] = -1; frozen[a] = 1; continue }
                entries += hi - lo
                for e in lo..<hi {
                    let l = Int(lk[e])
                    var j = Int(localOf[l])
                    if j < 0 {
                        j = m; localOf[l] = Int32(m); linkIds[m] = Int32(l)
                        wsum[m] = 0; left[m] = 0; m += 1
                    }
                    wsum[j] += cf[e]
                    left[j] += 1
                }
            }
            if entries > revCap { revFlow.deallocate(); revCap = max(entries, revCap * 2); revFlow = .allocate(capacity: revCap) }
            var acc: Int32 = 0
            for j in 0..<m { revStart[j] = acc; acc += left[j] }
            revStart[m] = acc
            for a in 0..<A where frozen[a] == 0 {
                let f = Int(act[a])
                for e in Int(st[f])..<Int(st[f + 1]) {
                    let j = Int(localOf[Int(lk[e])])
                    revFlow[Int(revStart[j])] = Int32(a)
                    revStart[j] += 1
                }
            }
            for j in stride(from: m, to: 0, by: -1) { revStart[j] = revStart[j - 1] }
            revStart[0] = 0
            // 2. Compact fair shares.
            for j in 0..<m {
                rem[j] = cap[Int(linkIds[j])]
                share[j] = rem[j] / wsum[j]
                idC[j] = Int32(j)
                posOf[j] = Int32(j)
            }
            var cnt = m
            // 3. Progressive filling.
            while cnt > 0 {
                lastRounds += 1
                let level = Self.simdMin(share, cnt)
                let thr = level + Swift.max(level * 1e-9, 1e-300)
                let nh = Self.simdCollect(share, idC, cnt, thr, into: hits)
                var nd = 0
                for h in 0..<nh {
                    let j = Int(hits[h])
                    let lvl = Swift.max(level, 0)
                    for r in Int(revStart[j])..<Int(revStart[j + 1]) {
                        let a = Int(revFlow[r])
                        if frozen[a] != 0 { continue }
                        frozen[a] = 1
                        let f = Int(act[a])
                        rt[f] = lvl
                        bn[f] = linkIds[j]
                        for e in Int(st[f])..<Int(st[f + 1]) {
                            let jj = Int(localOf[Int(lk[e])])
                            rem[jj] -= cf[e] * lvl
                            wsum[jj] -= cf[e]
                            left[jj] -= 1
                            if dirtyMark[jj] == 0 { dirtyMark[jj] = 1; dirty[nd] = Int32(jj); nd += 1 }
                        }
                    }
                }
                for d in 0..<nd {
                    let jj = Int(dirty[d])
                    dirtyMark[jj] = 0
                    let p = Int(posOf[jj])
                    if p < 0 { continue }
                    if left[jj] <= 0 {
                        cnt -= 1
                        let moved = idC[cnt]
                        share[p] = share[cnt]; idC[p] = moved; posOf[Int(moved)] = Int32(p)
                        posOf[jj] = -1
                    } else {
                        share[p] = Swift.max(rem[jj], 0) / Swift.max(wsum[jj], 1e-300)
                    }
                }
            }
            for j in 0..<m { localOf[Int(linkIds[j])] = -1 }
        }}}}}}}
    }

    /// Minimum of `n` doubles, sixteen lanes at a time.
    @inline(__always)
    static func simdMin(_ p: UnsafeMutablePointer<Double>, _ n: Int) -> Double {
        let raw = UnsafeRawPointer(p)
        var v = SIMD16<Double>(repeating: .infinity)
        var i = 0
        while i + 16 <= n {
            v = pointwiseMin(v, raw.loadUnaligned(fromByteOffset: i &* 8, as: SIMD16<Double>.self))
            i &+= 16
        }
        var m = v.min()
        while i < n { m = Swift.min(m, p[i]); i &+= 1 }
        return m
    }

    /// Writes the ids of the entries `<= thr` to `out`; returns their count.
    @inline(__always)
    static func simdCollect(_ p: UnsafeMutablePointer<Double>, _ ids: UnsafeMutablePointer<Int32>, _ n: Int, _ thr: Double, into out: UnsafeMutablePointer<Int32>) -> Int {
        let raw = UnsafeRawPointer(p)
        let t = SIMD16<Double>(repeating: thr)
        var k = 0
        var i = 0
        while i + 16 <= n {
            let v = raw.loadUnaligned(fromByteOffset: i &* 8, as: SIMD16<Double>.self)
            if any(v .<= t) {
                for q in 0..<16 where v[q] <= thr { out[k] = ids[i &+ q]; k &+= 1 }
            }
            i &+= 16
        }
        while i < n { if p[i] <= thr { out[k] = ids[i]; k &+= 1 }; i &+= 1 }
        return k
    }
}
