import Dispatch
import Foundation
import TrainSimCore

/// Monte Carlo throughput: trials per second on one worker, and the speedup with `workers`
/// threads sharing the trials in blocks (threads, not MPI ranks: the trial function is pure, so
/// ranks and threads split the work the same way; under mpirun, ``MonteCarloMPI`` shares it).
public enum MonteCarloBench {
    /// A Llama 3 scale failure model: 16,384 devices on 2,048 nodes, 54 days of work, the h100-ib
    /// topology's MTBFs (100,000 h per device, 12,000 h per node), a 15-minute restart, 30-second
    /// checkpoints every Young interval.
    public static var referenceModel: FailureModel {
        var m = FailureModel(devices: 16_384, nodes: 2_048, deviceMTBFHours: 100_000, nodeMTBFHours: 12_000,
                             restartSeconds: 900, workSeconds: 54 * 86400, intervalSeconds: 1, checkpointSeconds: 30)
        m.intervalSeconds = CheckpointPlan.young(checkpointSeconds: 30, mtbfSeconds: m.jobMTBFHours * 3600)
        return m
    }

    /// Runs `trials` trials on one thread, then on `workers` threads, checks both give the same
    /// outcomes, and returns a few lines: trials/s on one worker, on `workers`, and the speedup.
    public static func run(trials: Int = 20_000, workers: Int = 2, seed: UInt64 = 1) -> String {
        let model = referenceModel
        let trial: @Sendable (Int) -> TrialOutcome = { i in
            TrialOutcome(days: MonteCarlo.trialSeconds(model, seed: seed, index: i) / 86400, cost: 0)
        }
        let t0 = DispatchTime.now().uptimeNanoseconds
        let one = MonteCarlo.serial(trials, trial)
        let t1 = DispatchTime.now().uptimeNanoseconds
        let many = threadedRunner(workers: workers)(trials, trial)
        let t2 = DispatchTime.now().uptimeNanoseconds
        let s1 = Double(t1 - t0) / 1e9, s2 = Double(t2 - t1) / 1e9
        let summary = MonteCarlo.summarize(one, seed: seed)
        var out = "monte carlo: \(trials) trials of a 16,384-device, 54-day run (job MTBF \(String(format: "%.2f", model.jobMTBFHours)) h, "
        out += "~\(Int(model.expectedFailures.rounded())) failures per trial; P50 \(String(format: "%.2f", summary.p50Days)) days, P90 \(String(format: "%.2f", summary.p90Days)))\n"
        out += String(format: "  1 worker:   %.0f trials/s (%.3f s)\n", Double(trials) / s1, s1)
        out += String(format: "  %d workers:  %.0f trials/s (%.3f s), speedup %.2fx (threads)\n", workers, Double(trials) / s2, s2, s1 / s2)
        out += "  identical outcomes: \(one == many ? "yes" : "NO")\n"
        return out
    }

    /// A ``TrialRunner`` that splits trial indices into `workers` contiguous blocks run on threads.
    public static func threadedRunner(workers: Int) -> TrialRunner {
        { count, trial in
            let w = max(1, min(workers, count))
            let box = OutcomeBox(count: count)
            DispatchQueue.concurrentPerform(iterations: w) { k in
                let lo = count * k / w, hi = count * (k + 1) / w
                let block = (lo..<hi).map(trial)
                box.store(block, at: lo)
            }
            return box.outcomes
        }
    }
}

/// Outcomes written by several threads into disjoint ranges.
final class OutcomeBox: @unchecked Sendable {
    private let lock = NSLock()
    private(set) var outcomes: [TrialOutcome]
    init(count: Int) { outcomes = Array(repeating: TrialOutcome(days: 0, cost: 0), count: count) }
    func store(_ block: [TrialOutcome], at start: Int) {
        lock.withLock { outcomes.replaceSubrange(start..<(start + block.count), with: block) }
    }
}
