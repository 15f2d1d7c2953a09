import Foundation

/// Flows in compressed sparse rows: flow f crosses links `link[start[f]..<start[f+1]]`, moving
/// `coef` bytes over each per byte it carries, and carries `volume` bytes in all (per byte of
/// the collective's buffer). A flow may be coupled: one ring of a collective, whose hops all move
/// at one rate, is one flow over the union of its hops' links.
public struct FlowSet: Sendable {
    public internal(set) var start: [Int32] = [0]
    public internal(set) var link: [Int32] = []
    public internal(set) var coef: [Double] = []
    public internal(set) var volume: [Double] = []

    public init() {}

    public var count: Int { volume.count }
    public var entries: Int { link.count }

    /// A flow set from plain routes (tests, benchmarks): each route a list of link ids.
    public init(routes: [[Int32]], volumes: [Double]? = nil) {
        for (i, r) in routes.enumerated() {
            link.append(contentsOf: r)
            coef.append(contentsOf: repeatElement(1.0, count: r.count))
            start.append(Int32(link.count))
            volume.append(volumes?[i] ?? 1)
        }
    }

    @inline(__always) func range(_ f: Int) -> Range<Int> { Int(start[f])..<Int(start[f + 1]) }
}

/// Appends flows to a `FlowSet`, merging repeated links of one flow.
struct FlowSetBuilder {
    var set = FlowSet()
    /// For each link, 1 + its position in the flow being added (0 = not in it).
    private var slot: [Int32]

    init(linkCount: Int) { slot = [Int32](repeating: 0, count: linkCount) }

    /// Adds one flow over `route`. `sum` adds the weights of a link met twice (a ring crossing a
    /// link twice loads it twice); otherwise the link counts once (an in-network reduction tree,
    /// where a switch combines what its children send).
    @discardableResult
    mutating func add(_ route: RouteBuffer, volume: Double, sum: Bool = true) -> Int {
        let first = set.link.count
        for i in 0..<route.links.count {
            let l = Int(route.links[i])
            let c = route.coefs[i]
            let s = Int(slot[l])
            if s > 0 {
                if sum { set.coef[first + s - 1] += c } else { set.coef[first + s - 1] = max(set.coef[first + s - 1], c) }
            } else {
                set.link.append(Int32(l))
                set.coef.append(c)
                slot[l] = Int32(set.link.count - first)
            }
        }
        for e in first..<set.link.count { slot[Int(set.link[e])] = 0 }
        set.start.append(Int32(set.link.count))
        set.volume.append(volume)
        return set.count - 1
    }
}
