import XCTest
@testable import TrainSimCore

/// Analytical link sharing keeps the rates of recent sets of collectives in a table: a set asked
/// for again, in any order, gets the rates a fresh solution gives, and sets of different sizes
/// never take each other's entries.
final class LinkSharingTableTests: XCTestCase {
    /// A graph of one stage with `n` collectives over three tiers in different mixes, one op each.
    func graph(_ n: Int) -> TaskGraph {
        var g = TaskGraph(stages: 1)
        let name = g.nameID("c")
        for i in 0..<n {
            let tiers = ["leaf": Double(1 + i % 3), "spine": Double(i % 2), "scale-up": Double(i % 4)]
            let r = g.register(CollectiveRequest(kind: .allReduce, bytes: Double(1 + i), group: CommGroup(size: 8, stride: 1), label: "dp"),
                               cost: CollectiveCost(seconds: 1, perTier: tiers))
            g.add(stage: 0, stream: .dpReduce, category: .dp, work: 1, request: r, deps: [], name: name)
        }
        g.finalize()
        return g
    }

    func testRepeatedSetsInAnyOrderGetTheFreshRates() {
        let g = graph(6)
        let shared = LinkSharing(graph: g, network: FreeNetwork())
        var sets: [[Int32]] = []
        for a in 0..<6 { for b in 0..<6 where b != a { sets.append([Int32(a), Int32(b)]) } }
        for a in 0..<6 { for b in 0..<6 where b != a { for c in 0..<6 where c != a && c != b { sets.append([Int32(a), Int32(b), Int32(c)]) } } }
        sets.append([0, 1, 2, 3]); sets.append([3, 2, 1, 0]); sets.append([0, 1]); sets.append([5, 0, 1])
        for round in 0..<2 {
            for ops in sets {
                var out = [Double](repeating: 0, count: ops.count), fresh = out
                ops.withUnsafeBufferPointer { shared.rates($0.baseAddress!, ops.count, into: &out) }
                let alone = LinkSharing(graph: g, network: FreeNetwork())
                ops.withUnsafeBufferPointer { alone.rates($0.baseAddress!, ops.count, into: &fresh) }
                for k in ops.indices {
                    XCTAssertEqual(out[k], fresh[k], accuracy: 1e-12, "round \(round) set \(ops)")
                    XCTAssertGreaterThan(out[k], 0)
                    XCTAssertLessThanOrEqual(out[k], 1)
                }
            }
        }
    }
}
