import XCTest
@testable import TrainSimCore

/// The max-min solver: known answers, agreement with the scalar reference, and the max-min
/// fairness properties on randomized flow sets.
final class NetworkSolverTests: XCTestCase {
    func solveFast(_ fs: FlowSet, _ cap: [Double]) -> [Double] {
        let s = MaxMinSolver(capacity: cap)
        var rates = [Double](repeating: 0, count: fs.count)
        var bn = [Int32](repeating: -1, count: fs.count)
        s.solve(fs, active: (0..<fs.count).map { Int32($0) }, rates: &rates, bottleneck: &bn)
        return rates
    }

    func testTextbookExample() {
        // A on link 0; B on links 0 and 1; C on link 1. Link 1 (4) is the bottleneck of B and C.
        let fs = FlowSet(routes: [[0], [0, 1], [1]])
        let r = solveFast(fs, [10, 4])
        XCTAssertEqual(r[0], 8, accuracy: 1e-9)
        XCTAssertEqual(r[1], 2, accuracy: 1e-9)
        XCTAssertEqual(r[2], 2, accuracy: 1e-9)
        XCTAssertEqual(ReferenceMaxMinSolver.solve(fs, capacity: [10, 4]).rates, r)
    }

    func testEmptyRouteIsUnbounded() {
        let fs = FlowSet(routes: [[], [0]])
        let r = solveFast(fs, [5])
        XCTAssertEqual(r[0], .infinity)
        XCTAssertEqual(r[1], 5, accuracy: 1e-12)
    }

    /// Random flow sets with weights: same rates as the reference; no link over capacity;
    /// every flow has a bottleneck (a saturated link where no flow gets more than it).
    func testRandomizedFairnessProperties() {
        var rng = SplitMix(seed: 7)
        for trial in 0..<60 {
            let links = 5 + Int(rng.next() % 120)
            let flows = 1 + Int(rng.next() % 400)
            let cap = (0..<links).map { _ in Double(1 + rng.next() % 100) * (trial % 3 == 0 ? 1 : 0.37) }
            var fsb = FlowSetBuilder(linkCount: links)
            var buf = RouteBuffer()
            for _ in 0..<flows {
                buf.removeAll()
                let len = 1 + Int(rng.next() % 6)
                for _ in 0..<len { buf.append(Int32(rng.next() % UInt64(links)), [1, 1, 2, 0.5][Int(rng.next() % 4)]) }
                fsb.add(buf, volume: 1)
            }
            let fs = fsb.set
            let fast = solveFast(fs, cap)
            let ref = ReferenceMaxMinSolver.solve(fs, capacity: cap).rates
            var load = [Double](repeating: 0, count: links)
            var maxRate = [Double](repeating: 0, count: links)
            for f in 0..<fs.count {
                XCTAssertEqual(fast[f], ref[f], accuracy: 1e-9 * max(1, ref[f]), "trial \(trial) flow \(f)")
                for e in fs.range(f) {
                    load[Int(fs.link[e])] += fast[f] * fs.coef[e]
                    maxRate[Int(fs.link[e])] = max(maxRate[Int(fs.link[e])], fast[f])
                }
            }
            for l in 0..<links { XCTAssertLessThanOrEqual(load[l], cap[l] * (1 + 1e-9) + 1e-12, "trial \(trial) link \(l)") }
            for f in 0..<fs.count {
                let bottlenecked = fs.range(f).contains { e in
                    let l = Int(fs.link[e])
                    return load[l] >= cap[l] * (1 - 1e-9) && fast[f] >= maxRate[l] * (1 - 1e-9)
                }
                XCTAssertTrue(bottlenecked, "trial \(trial): flow \(f) has no bottleneck link")
            }
        }
    }

    /// Solving a subset of flows ignores the others; the solver's scratch is clean between calls.
    func testActiveSubsetAndReuse() {
        let fs = FlowSet(routes: [[0], [0], [0, 1], [1]])
        let s = MaxMinSolver(capacity: [12, 12])
        var rates = [Double](repeating: 0, count: 4)
        var bn = [Int32](repeating: -1, count: 4)
        s.solve(fs, active: [0, 1, 2, 3], rates: &rates, bottleneck: &bn)
        XCTAssertEqual(rates[0], 4, accuracy: 1e-12)
        XCTAssertEqual(rates[3], 8, accuracy: 1e-12)
        s.solve(fs, active: [0, 3], rates: &rates, bottleneck: &bn)
        XCTAssertEqual(rates[0], 12, accuracy: 1e-12)
        XCTAssertEqual(rates[3], 12, accuracy: 1e-12)
        XCTAssertEqual(bn[0], 0)
        XCTAssertEqual(bn[3], 1)
    }

    /// Many equal flows through one link: SIMD lanes and the scalar tail agree.
    func testLargeSymmetricSet() {
        let n = 1000
        let routes = (0..<n).map { i in [Int32(i), Int32(n + i % 37)] }
        let cap = (0..<(n + 37)).map { $0 < n ? 100.0 : 50.0 + Double($0 % 5) }
        let fs = FlowSet(routes: routes)
        XCTAssertEqual(solveFast(fs, cap), ReferenceMaxMinSolver.solve(fs, capacity: cap).rates)
    }
}
