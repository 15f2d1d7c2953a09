import Foundation

/// SplitMix64 (Steele, Lea and Flood 2014): small, fast, and the same on every machine.
public struct SplitMix64: Sendable {
    public var state: UInt64
    public init(state: UInt64) { self.state = state }

    public mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        return SplitMix64.mix(state)
    }

    public static func mix(_ x: UInt64) -> UInt64 {
        var z = x
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }

    /// Uniform in [0, 1), 53 bits.
    public mutating func unit() -> Double { Double(next() >> 11) * 0x1p-53 }

    /// Exponential with the given rate.
    public mutating func exponential(rate: Double) -> Double { -log1p(-unit()) / rate }
}

/// One trial's outcome: the run's wall time and cost.
public struct TrialOutcome: Sendable, Equatable {
    public var days: Double
    public var cost: Double
    public init(days: Double, cost: Double) { self.days = days; self.cost = cost }
}

/// Runs `count` trials, calling `trial(i)` once for each index, and returns the outcomes in index
/// order. Serial by default; TrainSimMPI shares the indices among ranks.
public typealias TrialRunner = @Sendable (_ count: Int, _ trial: @escaping @Sendable (Int) -> TrialOutcome) -> [TrialOutcome]

/// P50/P90/P99 and mean of the trials' days and cost.
public struct MonteCarloSummary: Sendable, Equatable {
    public var trials: Int
    public var seed: UInt64
    public var meanDays: Double
    public var stdDays: Double
    public var p50Days: Double, p90Days: Double, p99Days: Double
    public var meanCost: Double
    public var p50Cost: Double, p90Cost: Double, p99Cost: Double
}

public enum MonteCarlo {
    /// The trial's own seed, from the run's seed and the trial's index only (never the rank), so any
    /// way of sharing trials among ranks gives the same draws.
    public static func trialSeed(_ seed: UInt64, _ index: Int) -> UInt64 {
        SplitMix64.mix(seed ^ SplitMix64.mix(UInt64(truncatingIfNeeded: index) &+ 0x632B_E59B_D9B4_E019))
    }

    /// One trial: draws failure times over the whole run and returns its wall time, seconds.
    /// Runs of whole segments are skipped in one step, so a trial costs O(failures).
    public static func trialSeconds(_ m: FailureModel, seed: UInt64, index: Int) -> Double {
        var rng = SplitMix64(state: trialSeed(seed, index))
        let rate = m.rate, seg = m.segmentSeconds, n = m.fullSegments, last = m.lastSegmentSeconds
        var t = 0.0, done = 0, lastDone = last <= 0
        var x = rng.exponential(rate: rate)
        // A restart is hit by a failure with probability 1 - e^{-rate R}; only then is the time drawn.
        let hit = m.failuresDuringRestart ? -expm1(-rate * m.restartSeconds) : 0
        func restart() {
            while true {
                let u = rng.unit()
                if u >= hit { t += m.restartSeconds; return }
                t += -log1p(-u) / rate
            }
        }
        while done < n || !lastDone {
            if done < n {
                let k = Int(min(Double(n - done), (x / seg).rounded(.down)))
                t += Double(k) * seg
                x = max(0, x - Double(k) * seg)
                done += k
                if done < n {
                    t += x
                    restart()
                    x = rng.exponential(rate: rate)
                }
            } else if x >= last {
                t += last
                lastDone = true
            } else {
                t += x
                restart()
                x = rng.exponential(rate: rate)
            }
        }
        return t
    }

    /// Runs the trials one after another.
    public static let serial: TrialRunner = { count, trial in (0..<count).map(trial) }

    /// Percentile by linear interpolation between order statistics (type 7); `sorted` ascending.
    public static func percentile(_ sorted: [Double], _ p: Double) -> Double {
        guard !sorted.isEmpty else { return 0 }
        let h = Double(sorted.count - 1) * p
        let lo = Int(h.rounded(.down)), hi = min(lo + 1, sorted.count - 1)
        return sorted[lo] + (h - Double(lo)) * (sorted[hi] - sorted[lo])
    }

    /// Summary of outcomes given in trial order (sums run in that order, so the result is exact
    /// whatever produced them).
    public static func summarize(_ outcomes: [TrialOutcome], seed: UInt64) -> MonteCarloSummary {
        let n = Double(max(outcomes.count, 1))
        let days = outcomes.map(\.days), costs = outcomes.map(\.cost)
        let mean = days.reduce(0, +) / n
        let variance = days.reduce(0) { $0 + ($1 - mean) * ($1 - mean) } / max(n - 1, 1)
        let sd = days.sorted(), sc = costs.sorted()
        return MonteCarloSummary(trials: outcomes.count, seed: seed, meanDays: mean, stdDays: variance.squareRoot(),
                                 p50Days: percentile(sd, 0.5), p90Days: percentile(sd, 0.9), p99Days: percentile(sd, 0.99),
                                 meanCost: costs.reduce(0, +) / n,
                                 p50Cost: percentile(sc, 0.5), p90Cost: percentile(sc, 0.9), p99Cost: percentile(sc, 0.99))
    }
}
