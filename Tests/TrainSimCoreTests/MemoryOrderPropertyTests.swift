import XCTest
@testable import TrainSimCore

/// Memory orders that hold on every plan, checked on random ones (the draw of
/// `RandomPlanPropertyTests`): recompute none >= selective >= full in activations (and full never
/// needs a higher peak than none), ZeRO 0 >= 1 >= 2 >= 3 in model states without pipelining, and
/// a micro-batch of 2 sequences never holds fewer activations than one of 1.
final class MemoryOrderPropertyTests: XCTestCase {
    func testMemoryOrdersOnRandomPlans() throws {
        typealias T = RandomPlanPropertyTests
        var bad: [String] = [], checked = 0
        for e0 in T.plans(400, seed: 99) {
            func mem(_ f: (inout Experiment) -> Void) -> MemoryBreakdown? {
                var e = e0; f(&e)
                guard (try? e.validatePlan()) != nil, let en = try? Engine(e) else { return nil }
                return en.step().memory
            }
            checked += 1
            // Recompute: none >= selective >= full in activations.
            let rn = mem { $0.training.recompute = .none }, rs = mem { $0.training.recompute = .selective }, rf = mem { $0.training.recompute = .full }
            if let a = rn, let b = rs, b.activationsGiB > a.activationsGiB * (1 + 1e-9) { bad.append("selective > none act \(b.activationsGiB) \(a.activationsGiB) \(T.describe(e0))") }
            if let a = rs, let b = rf, b.activationsGiB > a.activationsGiB * (1 + 1e-9) { bad.append("full > selective act \(b.activationsGiB) \(a.activationsGiB) \(T.describe(e0))") }
            if let a = rn, let b = rf, b.peakGiB > a.peakGiB * (1 + 1e-9) { bad.append("full > none peak \(b.peakGiB) \(a.peakGiB) \(T.describe(e0))") }
            // ZeRO: 0 >= 1 >= 3 in model states (pp 1).
            if e0.parallelism.pp == 1 {
                let z = [0, 1, 2, 3].map { k in mem { $0.parallelism.zero = k } }
                func states(_ m: MemoryBreakdown) -> Double { m.weightsGiB + m.gradientsGiB + m.optimizerGiB }
                for k in 1..<4 { if let a = z[k - 1], let b = z[k], states(b) > states(a) * (1 + 1e-9) { bad.append("zero \(k) > \(k - 1) states \(states(b)) \(states(a)) \(T.describe(e0))") } }
            }
            // Micro-batch 2 never needs less activation memory than 1.
            let m1 = mem { $0.training.microBatchSequences = 1 }, m2 = mem { $0.training.microBatchSequences = 2 }
            if let a = m1, let b = m2, b.activationsGiB < a.activationsGiB * (1 - 1e-9), e0.parallelism.pp == 1 { bad.append("mb2 < mb1 act \(b.activationsGiB) \(a.activationsGiB) \(T.describe(e0))") }
        }
        XCTAssertEqual(checked, 400)
        XCTAssertEqual(bad, [])
    }
}
