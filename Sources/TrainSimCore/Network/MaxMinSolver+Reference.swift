import Foundation

/// The same progressive filling as `MaxMinSolver`, written as plain scalar Swift over arrays:
/// each round scans every touched link, computing its fair share, and freezes the flows of the
/// links at the lowest level. It is the oracle for tests and the baseline of the benchmark.
public enum ReferenceMaxMinSolver {
    /// Rates (bytes/s) of the flows in `active` (ids into `flows`), indexed by flow id; flows not
    /// listed get 0, flows that cross no link get +infinity. Also returns the bottleneck link of
    /// each flow (-1 for none).
    public static func solve(_ flows: FlowSet, capacity: [Double], active: [Int32]? = nil) -> (rates: [Double], bottleneck: [Int32]) {
        let act = active ?? (0..<flows.count).map { Int32($0) }
        var rates = [Double](repeating: 0, count: flows.count)
        var bottleneck = [Int32](repeating: -1, count: flows.count)
        var local = [Int](repeating: -1, count: capacity.count)
        var links: [Int] = []
        var wsum: [Double] = []
        var left: [Int] = []
        var frozen = [Bool](repeating: false, count: flows.count)
        for f in act.map(Int.init) {
            if flows.range(f).isEmpty { rates[f] = .infinity; frozen[f] = true; continue }
            for e in flows.range(f) {
                let l = Int(flows.link[e])
                if local[l] < 0 { local[l] = links.count; links.append(l); wsum.append(0); left.append(0) }
                wsum[local[l]] += flows.coef[e]
                left[local[l]] += 1
            }
        }
        // Flows on each link (CSR).
        var onStart = [Int](repeating: 0, count: links.count + 1)
        for j in 0..<links.count { onStart[j + 1] = onStart[j] + left[j] }
        var fill = onStart
        var onLink = [Int](repeating: 0, count: onStart[links.count])
        for f in act.map(Int.init) where !frozen[f] {
            for e in flows.range(f) { let j = local[Int(flows.link[e])]; onLink[fill[j]] = f; fill[j] += 1 }
        }
        var rem = links.map { capacity[$0] }
        while true {
            var level = Double.infinity
            for j in 0..<links.count where left[j] > 0 {
                level = min(level, max(rem[j], 0) / wsum[j])
            }
            if level == .infinity { break }
            let thr = level + max(level * 1e-9, 1e-300)
            var hit: [Int] = []
            for j in 0..<links.count where left[j] > 0 && max(rem[j], 0) / wsum[j] <= thr { hit.append(j) }
            for j in hit {
                for r in onStart[j]..<onStart[j + 1] {
                    let f = onLink[r]
                    if frozen[f] { continue }
                    frozen[f] = true
                    rates[f] = max(level, 0)
                    bottleneck[f] = Int32(links[j])
                    for e in flows.range(f) {
                        let jj = local[Int(flows.link[e])]
                        rem[jj] -= flows.coef[e] * rates[f]
                        wsum[jj] -= flows.coef[e]
                        left[jj] -= 1
                    }
                }
            }
        }
        return (rates, bottleneck)
    }
}
