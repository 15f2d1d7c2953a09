import CollectiveKernels
import Foundation

extension Calibrate {
    /// The alpha-beta-gamma cost of one collective algorithm: `T = alpha * messages + beta * bytes + gamma * reduced`,
    /// where `messages` counts the sequential message steps on the critical path, `bytes` the bytes one rank
    /// sends along it and `reduced` the bytes it reduces (all for a buffer of `S` bytes on `n` ranks).
    public struct CostTerms: Sendable, Equatable {
        public var messages: Double
        public var bytes: Double
        public var reduced: Double

        /// The predicted time in seconds.
        public func time(alpha: Double, beta: Double, gamma: Double) -> Double {
            alpha * messages + beta * bytes + gamma * reduced
        }
    }

    /// Closed forms after Thakur, Rabenseifner and Gropp (2005), with trainsim's chunking: each step of a
    /// trainsim algorithm sends its block in chunks of `chunkBytes`, each a message. The MPI library's own
    /// algorithms are modelled by the bandwidth-optimal form of their collective (ring), unchunked.
    ///
    /// `S` is the nccl-tests size: the whole buffer for all-reduce, the whole send buffer for reduce-scatter
    /// and all-to-all, the whole receive buffer for all-gather.
    public static func costTerms(
        _ collective: CollectiveKind, algorithm: String, bytes s: Double, ranks: Int, chunkBytes: Int
    ) -> CostTerms {
        let n = Double(ranks)
        guard ranks > 1 else { return CostTerms(messages: 0, bytes: 0, reduced: 0) }
        let chunk = Double(chunkBytes)
        let trainsim = algorithm != "mpi"
        func chunks(_ b: Double) -> Double { trainsim ? Swift.max(1, (b / chunk).rounded(.up)) : 1 }
        switch (collective, algorithm) {
        case (.allReduce, "halving-doubling"):
            var p = 1
            while p * 2 <= ranks { p *= 2 }
            let pd = Double(p), steps = log2(pd)
            let extra = p == ranks ? 0.0 : 1.0
            // Halving/doubling step k moves S / 2^k bytes; folding the extra ranks moves S twice.
            var messages = 2 * extra * chunks(s)
            var k = 1.0
            while k <= steps {
                messages += 2 * chunks(s / pow(2, k))
                k += 1
            }
            return CostTerms(messages: messages, bytes: 2 * (pd - 1) / pd * s + 2 * extra * s,
                             reduced: (pd - 1) / pd * s + extra * s)
        case (.allReduce, "tree"):
            // Binary tree, pipelined: depth + chunks - 1 stages up and as many down; a stage of an inner rank
            // moves one chunk per child.
            let depth = floor(log2(n)), fan = Swift.min(2, n - 1)
            let c = Swift.min(s, chunk), k = chunks(s)
            let stages = depth + k - 1
            return CostTerms(messages: 2 * stages * fan, bytes: 2 * stages * fan * c, reduced: stages * fan * c)
        case (.allReduce, _):
            return CostTerms(messages: 2 * (n - 1) * chunks(s / n), bytes: 2 * (n - 1) / n * s, reduced: (n - 1) / n * s)
        case (.reduceScatter, _):
            return CostTerms(messages: (n - 1) * chunks(s / n), bytes: (n - 1) / n * s, reduced: (n - 1) / n * s)
        case (.allGather, _), (.allToAll, _):
            return CostTerms(messages: (n - 1) * chunks(s / n), bytes: (n - 1) / n * s, reduced: 0)
        }
    }

    /// nccl-tests' bus bandwidth factor: busbw = algbw x factor, so that busbw compares with link speed.
    public static func busBandwidthFactor(_ collective: CollectiveKind, ranks: Int) -> Double {
        let n = Double(ranks)
        guard ranks > 1 else { return 1 }
        return collective == .allReduce ? 2 * (n - 1) / n : (n - 1) / n
    }

    /// Least squares for `y ~ a x1 + b x2` with weights `w`, both coefficients kept >= 0 (a negative one is
    /// dropped and the other refitted alone).
    static func nonNegativeFit(x1: [Double], x2: [Double], y: [Double], w: [Double]) -> (a: Double, b: Double) {
        func single(_ x: [Double]) -> Double {
            var num = 0.0, den = 0.0
            for i in y.indices {
                num += w[i] * x[i] * y[i]
                den += w[i] * x[i] * x[i]
            }
            return den > 0 ? Swift.max(0, num / den) : 0
        }
        var s11 = 0.0, s12 = 0.0, s22 = 0.0, s1y = 0.0, s2y = 0.0
        for i in y.indices {
            s11 += w[i] * x1[i] * x1[i]
            s12 += w[i] * x1[i] * x2[i]
            s22 += w[i] * x2[i] * x2[i]
            s1y += w[i] * x1[i] * y[i]
            s2y += w[i] * x2[i] * y[i]
        }
        let det = s11 * s22 - s12 * s12
        if det > 1e-12 * Swift.max(s11 * s22, 1e-300) {
            let a = (s1y * s22 - s2y * s12) / det, b = (s2y * s11 - s1y * s12) / det
            if a >= 0 && b >= 0 { return (a, b) }
        }
        let onlyA = single(x1), onlyB = single(x2)
        func error(_ a: Double, _ b: Double) -> Double {
            y.indices.reduce(0) { $0 + w[$1] * pow(y[$1] - a * x1[$1] - b * x2[$1], 2) }
        }
        return error(onlyA, 0) <= error(0, onlyB) ? (onlyA, 0) : (0, onlyB)
    }

    /// Fits alpha and beta of one algorithm to its measurements, with gamma fixed (measured from the kernel).
    /// Relative errors are minimized (weights 1/T^2), so small and large sizes count alike.
    static func fit(
        _ rows: [CalibrationResult.Measurement], collective: CollectiveKind, algorithm: String,
        ranks: Int, chunkBytes: Int, gamma: Double
    ) -> (alpha: Double, beta: Double, rmsRelativeError: Double) {
        let terms = rows.map { costTerms(collective, algorithm: algorithm, bytes: Double($0.bytes), ranks: ranks, chunkBytes: chunkBytes) }
        let times = rows.map { $0.timeUs * 1e-6 }
        let y = zip(times, terms).map { $0 - gamma * $1.reduced }
        let w = times.map { 1 / Swift.max($0 * $0, 1e-18) }
        let (alpha, beta) = nonNegativeFit(x1: terms.map(\.messages), x2: terms.map(\.bytes), y: y, w: w)
        var sum = 0.0
        for (t, term) in zip(times, terms) where t > 0 {
            sum += pow((term.time(alpha: alpha, beta: beta, gamma: gamma) - t) / t, 2)
        }
        return (alpha, beta, rows.isEmpty ? 0 : sqrt(sum / Double(rows.count)))
    }
}
