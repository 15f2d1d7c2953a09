import Foundation
import TrainSimCore

/// Shares Monte Carlo trials among MPI ranks. Rank r runs the contiguous block of trial indices
/// [r * n / size, (r + 1) * n / size); the blocks are gathered on rank 0 in rank order (which is
/// trial order) and broadcast back, so every rank holds every outcome. Each trial is seeded from
/// its index alone, so the outcomes, and the percentiles computed from them, are bit-identical
/// for any number of ranks.
public enum MonteCarloMPI {
    /// A ``TrialRunner`` over the ranks of `context`. Every rank must call it together.
    public static func runner(_ context: MPIContext = .shared) -> TrialRunner {
        { count, trial in
            let lo = count * context.rank / context.size, hi = count * (context.rank + 1) / context.size
            let mine = (lo..<hi).map(trial)
            let gathered = context.gatherv(encode(mine))
            let all = context.broadcast(gathered.map { $0.reduce(into: Data()) { $0.append($1) } } ?? Data())
            return decode(all)
        }
    }

    /// Outcomes as little-endian IEEE 754 bit patterns, two per trial.
    static func encode(_ outcomes: [TrialOutcome]) -> Data {
        var words: [UInt64] = []
        words.reserveCapacity(outcomes.count * 2)
        for o in outcomes { words.append(o.days.bitPattern.littleEndian); words.append(o.cost.bitPattern.littleEndian) }
        return words.withUnsafeBytes { Data($0) }
    }

    static func decode(_ data: Data) -> [TrialOutcome] {
        let words: [UInt64] = data.withUnsafeBytes { raw in
            (0..<(raw.count / 8)).map { UInt64(littleEndian: raw.loadUnaligned(fromByteOffset: $0 * 8, as: UInt64.self)) }
        }
        return stride(from: 0, to: words.count - 1, by: 2).map {
            TrialOutcome(days: Double(bitPattern: words[$0]), cost: Double(bitPattern: words[$0 + 1]))
        }
    }
}
