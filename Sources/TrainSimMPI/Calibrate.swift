import CMPI
import CollectiveKernels
import Foundation

/// `mpirun -np N trainsim calibrate`: measures every collective on this host, with trainsim's algorithms and the
/// MPI library's, from 8 B up to ``Options/maxBytes``, fits alpha-beta(-gamma) per algorithm, and predicts each
/// measurement from point-to-point figures alone (see ``CalibrationResult`` for the profile it writes).
///
/// Every rank must call ``run(options:context:)``; all ranks get the same result, and only rank 0 should print it
/// or write it. Sizes double from ``Options/minBytes``; fp32 sum.
public enum Calibrate {
    public struct Options: Sendable {
        public var minBytes = 8
        /// Largest size measured (`--max-bytes`).
        public var maxBytes = 256 << 20
        public var collectives: [CollectiveKind] = CollectiveKind.allCases
        /// Also measure the MPI library's own collectives.
        public var includeLibrary = true
        /// Target duration of the timed iterations of one (algorithm, size).
        public var targetSeconds = 0.05
        public var maxIterations = 1000
        public var chunkBytes = 256 << 10
        public var pipelineDepth = 4
        public init() {}
    }

    public static func run(options: Options = Options(), context: MPIContext = .shared) throws -> CalibrationResult {
        guard options.minBytes > 0, options.maxBytes >= options.minBytes else {
            throw CalibrateError.invalidSizes(minBytes: options.minBytes, maxBytes: options.maxBytes)
        }
        let transport = context.makeTransport()
        let n = transport.size
        let runner = CollectiveRunner(transport: transport, chunkBytes: options.chunkBytes, pipelineDepth: options.pipelineDepth)
        var sizes: [Int] = []
        var s = options.minBytes
        while s <= options.maxBytes {
            sizes.append(s)
            s *= 2
        }
        let capacity = sizes.last!
        let a = UnsafeMutableRawPointer.allocate(byteCount: capacity, alignment: 64)
        let b = UnsafeMutableRawPointer.allocate(byteCount: capacity, alignment: 64)
        defer { a.deallocate(); b.deallocate() }
        memset(a, 0, capacity)
        memset(b, 0, capacity)

        let p2p = pointToPoint(transport, context: context, maxBytes: Swift.min(capacity, 64 << 20))
        let gamma = reductionCost(bytes: Swift.min(Swift.max(capacity, 1 << 20), 64 << 20), context: context)

        var measurements: [CalibrationResult.Measurement] = []
        var fits: [CalibrationResult.AlgorithmFit] = []
        for collective in options.collectives {
            let algorithms = collective.algorithms.map(\.rawValue) + (options.includeLibrary ? ["mpi"] : [])
            var rows = [[CalibrationResult.Measurement]](repeating: [], count: algorithms.count)
            for bytes in sizes {
                let count = bytes / 4, perRank = count / n
                if count == 0 || (collective != .allReduce && perRank == 0) { continue }
                let elements = collective == .allReduce ? count : perRank * n
                // The algorithms of one size are timed in turns, so they see the same state of a shared host.
                let bodies = algorithms.map { algorithm in
                    call(collective, algorithm, elements: elements, a: a, b: b, transport: transport, runner: runner)
                }
                let seconds = time(bodies, transport: transport, context: context, options: options)
                for (i, algorithm) in algorithms.enumerated() {
                    let nominal = Double(elements * 4)
                    let terms = costTerms(collective, algorithm: algorithm, bytes: nominal, ranks: n, chunkBytes: options.chunkBytes)
                    let algbw = nominal / seconds[i] / 1e9
                    rows[i].append(CalibrationResult.Measurement(
                        collective: collective.rawValue, algorithm: algorithm, bytes: elements * 4, count: elements,
                        timeUs: seconds[i] * 1e6, algbwGBps: algbw, busbwGBps: algbw * busBandwidthFactor(collective, ranks: n),
                        predictedUs: terms.time(alpha: p2p.alpha, beta: p2p.beta, gamma: gamma) * 1e6))
                }
            }
            for (i, algorithm) in algorithms.enumerated() {
                let fit = fit(rows[i], collective: collective, algorithm: algorithm, ranks: n, chunkBytes: options.chunkBytes, gamma: gamma)
                fits.append(CalibrationResult.AlgorithmFit(
                    collective: collective.rawValue, algorithm: algorithm, alphaUs: fit.alpha * 1e6, betaUsPerByte: fit.beta * 1e6,
                    gammaUsPerByte: gamma * 1e6, busbwGBps: rows[i].map(\.busbwGBps).max() ?? 0, fitErrorPercent: fit.rmsRelativeError * 100))
                measurements += rows[i]
            }
        }
        let hosts = hostCount(context)
        return CalibrationResult(
            host: ProcessInfo.processInfo.hostName, ranks: n, hosts: hosts, tier: hosts > 1 ? "scale-out" : "scale-up",
            mpiLibrary: libraryVersion(), chunkBytes: options.chunkBytes,
            pointToPoint: .init(alphaUs: p2p.alpha * 1e6, betaUsPerByte: p2p.beta * 1e6, bandwidthGBps: p2p.beta > 0 ? 1e-9 / p2p.beta : 0),
            gammaUsPerByte: gamma * 1e6, algorithms: fits, measurements: measurements)
    }

    /// One call of `algorithm` (or the MPI library's, for "mpi") on `elements` fp32 values: the whole buffer `a`
    /// for all-reduce, `size` equal blocks otherwise (`b` receives where the collective is out of place).
    static func call(
        _ collective: CollectiveKind, _ algorithm: String, elements: Int,
        a: UnsafeMutableRawPointer, b: UnsafeMutableRawPointer, transport: MPITransport, runner: CollectiveRunner
    ) -> () -> Void {
        let perRank = elements / transport.size
        switch (collective, algorithm) {
        case (.allReduce, "mpi"): return { transport.libraryAllReduce(a, count: elements, type: .fp32, op: .sum) }
        case (.allReduce, _):
            let chosen = CollectiveAlgorithm(rawValue: algorithm)!
            return { runner.allReduce(a, count: elements, type: .fp32, op: .sum, algorithm: chosen) }
        case (.reduceScatter, "mpi"):
            return { transport.libraryReduceScatter(send: a, receive: b, countPerRank: perRank, type: .fp32, op: .sum) }
        case (.reduceScatter, _): return { runner.reduceScatter(a, count: elements, type: .fp32, op: .sum) }
        case (.allGather, "mpi"): return { transport.libraryAllGather(a, countPerRank: perRank, type: .fp32) }
        case (.allGather, _): return { runner.allGather(a, count: elements, type: .fp32) }
        case (.allToAll, "mpi"): return { transport.libraryAllToAll(send: a, receive: b, countPerRank: perRank, type: .fp32) }
        case (.allToAll, _): return { runner.allToAll(send: a, receive: b, countPerRank: perRank, type: .fp32) }
        }
    }

    /// Seconds per call of each body: a warm-up and one timed call each pick its iteration count (the same on
    /// every rank), then three rounds (five when every call is under 1 ms) time a block of each body in turn.
    /// A block's time is the slowest rank's average; each body keeps its best block, so a block disturbed by
    /// other work on the host does not count, and all bodies are drawn from the same stretch of time.
    static func time(_ bodies: [() -> Void], transport: MPITransport, context: MPIContext, options: Options) -> [Double] {
        let iterations = bodies.map { body -> Int in
            body()
            transport.barrier()
            let first = context.wallTime()
            body()
            let once = context.allReduceMax(context.wallTime() - first)
            return Swift.max(1, Swift.min(options.maxIterations, Int(options.targetSeconds / 3 / Swift.max(once, 1e-7))))
        }
        let short = zip(bodies.indices, iterations).allSatisfy { _, k in k > 1 && options.targetSeconds / 3 / Double(k) < 1e-3 }
        var best = [Double](repeating: .infinity, count: bodies.count)
        for _ in 0..<(short ? 5 : 3) {
            for (i, body) in bodies.enumerated() {
                transport.barrier()
                let start = context.wallTime()
                for _ in 0..<iterations[i] { body() }
                best[i] = Swift.min(best[i], context.allReduceMax((context.wallTime() - start) / Double(iterations[i])))
            }
        }
        return best
    }

    /// Alpha and beta of one message between ranks 0 and 1 (ping-pong, half the round trip), over the same
    /// transport the algorithms use; zero on one rank.
    static func pointToPoint(_ transport: MPITransport, context: MPIContext, maxBytes: Int) -> (alpha: Double, beta: Double) {
        guard transport.size > 1 else { return (0, 0) }
        let buffer = UnsafeMutableRawPointer.allocate(byteCount: maxBytes, alignment: 64)
        defer { buffer.deallocate() }
        memset(buffer, 0, maxBytes)
        var sizes: [Int] = [8]
        while sizes.last! * 4 <= maxBytes { sizes.append(sizes.last! * 4) }
        var times: [Double] = []
        for bytes in sizes {
            let raw = UnsafeMutableRawBufferPointer(start: buffer, count: bytes)
            let pingPong = {
                switch transport.rank {
                case 0:
                    transport.wait(transport.isend(UnsafeRawBufferPointer(raw), to: 1, tag: 9))
                    transport.wait(transport.irecv(raw, from: 1, tag: 9))
                case 1:
                    transport.wait(transport.irecv(raw, from: 0, tag: 9))
                    transport.wait(transport.isend(UnsafeRawBufferPointer(raw), to: 0, tag: 9))
                default: break
                }
            }
            var options = Options()
            options.targetSeconds = 0.02
            times.append(time([pingPong], transport: transport, context: context, options: options)[0] / 2)
        }
        let fit = nonNegativeFit(x1: sizes.map { _ in 1.0 }, x2: sizes.map(Double.init), y: times, w: times.map { 1 / Swift.max($0 * $0, 1e-18) })
        return (fit.a, fit.b)
    }

    /// Seconds per operand byte of the fastest fp32 sum kernel on `bytes`-sized buffers (thread CPU time, best of
    /// three, slowest rank).
    static func reductionCost(bytes: Int, context: MPIContext) -> Double {
        let d = UnsafeMutableRawPointer.allocate(byteCount: bytes, alignment: 64)
        let s = UnsafeMutableRawPointer.allocate(byteCount: bytes, alignment: 64)
        defer { d.deallocate(); s.deallocate() }
        memset(d, 0, bytes)
        memset(s, 0, bytes)
        let kernel = ReductionKernel.best(.sum, .fp32)
        var best = Double.infinity
        func cpuTime() -> Double {
            var ts = timespec()
            clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts)
            return Double(ts.tv_sec) + Double(ts.tv_nsec) * 1e-9
        }
        for _ in 0..<3 {
            let start = cpuTime()
            kernel(d, s, count: bytes / 4)
            best = Swift.min(best, cpuTime() - start)
        }
        return context.allReduceMax(best / Double(bytes))
    }

    /// Distinct host names among the ranks (the same answer on every rank).
    static func hostCount(_ context: MPIContext) -> Int {
        let names = context.gatherv(Data(ProcessInfo.processInfo.hostName.utf8))
        let count = names.map { Data(String(Set($0).count).utf8) } ?? Data()
        return Int(String(decoding: context.broadcast(count), as: UTF8.self)) ?? 1
    }

    static func libraryVersion() -> String {
        var buffer = [CChar](repeating: 0, count: Int(MPI_MAX_LIBRARY_VERSION_STRING) + 1)
        var length: Int32 = 0
        trainsim_MPI_Get_library_version(&buffer, &length)
        let bytes = buffer.prefix(Int(length)).prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }
        let text = String(decoding: bytes, as: UTF8.self)
        return text.split(separator: "\n").first.map(String.init)?.trimmingCharacters(in: .whitespaces) ?? "unknown"
    }
}
