import Foundation

/// Symmetry of one phase: copies of a group whose flows share no link with other copies form
/// independent sub-problems, and sub-problems that are identical up to a renaming of links (same
/// flows, weights, volumes and capacities) have identical solutions. Each class of identical
/// sub-problems is solved once. Copies that share links (rings crossing a spine) fall into one
/// component and are solved together, so contention among them is kept.
struct SymmetryClasses {
    /// Flow ids of one representative component per class.
    var representatives: [[Int32]] = []
    /// Number of components in each class.
    var multiplicity: [Int] = []
}

/// Canonical form of a component: for each flow (volume, entry count, then per entry the
/// link's first-occurrence index, weight and capacity).
private struct Signature: Hashable {
    var words: [UInt64]
}

extension FlowSimulator {
    /// Groups the flows of `phase` into classes of identical independent components.
    func symmetryClasses(_ flows: FlowSet, phase: FlowPhase) -> SymmetryClasses {
        let nf = phase.flows.count
        guard nf > 0 else { return SymmetryClasses() }
        let copies = Int(phase.copyOf.max() ?? 0) + 1
        // Union-find over copies through shared links.
        var parent = (0..<copies).map { Int32($0) }
        func find(_ x: Int32) -> Int32 {
            var x = x
            while parent[Int(x)] != x { parent[Int(x)] = parent[Int(parent[Int(x)])]; x = parent[Int(x)] }
            return x
        }
        var owner = [Int32](repeating: -1, count: graph.linkCount)
        for k in 0..<nf {
            let f = phase.flows.lowerBound + k
            let c = phase.copyOf[k]
            for e in flows.range(f) {
                let l = Int(flows.link[e])
                if owner[l] < 0 { owner[l] = c } else {
                    let a = find(c), b = find(owner[l])
                    if a != b { parent[Int(max(a, b))] = min(a, b) }
                }
            }
        }
        // Flows of each component, in flow order.
        var compIndex = [Int32](repeating: -1, count: copies)
        var comps: [[Int32]] = []
        for k in 0..<nf {
            let r = Int(find(phase.copyOf[k]))
            if compIndex[r] < 0 { compIndex[r] = Int32(comps.count); comps.append([]) }
            comps[Int(compIndex[r])].append(Int32(phase.flows.lowerBound + k))
        }
        if comps.count == 1 { return SymmetryClasses(representatives: comps, multiplicity: [1]) }
        // Canonical signatures.
        var localIdx = [Int32](repeating: -1, count: graph.linkCount)
        var classOf: [Signature: Int] = [:]
        var out = SymmetryClasses()
        for comp in comps {
            var words: [UInt64] = []
            var touched: [Int] = []
            for f in comp {
                let i = Int(f)
                words.append(flows.volume[i].bitPattern)
                words.append(UInt64(flows.range(i).count))
                for e in flows.range(i) {
                    let l = Int(flows.link[e])
                    if localIdx[l] < 0 { localIdx[l] = Int32(touched.count); touched.append(l) }
                    words.append(UInt64(localIdx[l]))
                    words.append(flows.coef[e].bitPattern)
                    words.append(graph.linkCapacity[l].bitPattern)
                }
            }
            for l in touched { localIdx[l] = -1 }
            let sig = Signature(words: words)
            if let c = classOf[sig] { out.multiplicity[c] += 1 } else {
                classOf[sig] = out.representatives.count
                out.representatives.append(comp)
                out.multiplicity.append(1)
            }
        }
        return out
    }
}
