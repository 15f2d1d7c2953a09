import CMPI
import CollectiveKernels
import Foundation

/// `trainsim bench kernels`: the throughput of each reduction kernel, beside `memcpy` and the MPI library's
/// `MPI_Reduce_local`, measured in one run so the ratios compare like with like.
///
/// Each kernel computes `dst op= src` over buffers of ``Options/sizes`` bytes per operand (256 KiB stays in
/// cache, 256 MiB is bound by memory). Throughput is operand bytes per second (`size / time`), for every kernel
/// and for `memcpy` alike, timed in CPU time of the measuring thread. Candidates are measured in turns, trial
/// after trial, and each keeps its best trial.
public enum KernelBench {
    public struct Options: Sendable {
        /// Operand sizes in bytes.
        public var sizes: [Int] = [256 << 10, 256 << 20]
        /// Trials per candidate and size; the best is kept.
        public var trials = 9
        /// Target duration of one trial (repetitions of small sizes are added up to reach it).
        public var trialSeconds = 0.005
        /// Also measure the slower paths this CPU has (at sizes up to 1 MiB).
        public var includeSlowerPaths = true
        public init() {}
    }

    /// One measured candidate at one size.
    public struct Measurement: Sendable {
        public let name: String
        /// Kernel path (`avx2`, ...), `libc` or `mpi`.
        public let path: String
        public let type: ElementType?
        public let op: ReductionOp?
        public let bytes: Int
        public let seconds: Double
        public var gigabytesPerSecond: Double { Double(bytes) / seconds / 1e9 }
    }

    /// Everything measured in one run.
    public struct Result: Sendable {
        public let options: Options
        public let measurements: [Measurement]
        public let availablePaths: [KernelISA]

        public func find(_ name: String, bytes: Int) -> Measurement? {
            measurements.first { $0.name == name && $0.bytes == bytes }
        }
    }

    /// Measures and renders the table (MPI is initialized as a singleton if needed).
    public static func run(options: Options = Options()) -> String { measure(options: options).renderText() }

    public static func measure(options: Options = Options()) -> Result {
        _ = MPIContext.shared  // MPI_Reduce_local needs MPI initialized
        var measurements: [Measurement] = []
        for bytes in options.sizes {
            measurements += measure(bytes: bytes, options: options)
        }
        return Result(options: options, measurements: measurements, availablePaths: ReductionKernel.availableISAs)
    }

    private struct Candidate {
        let name: String, path: String, type: ElementType?, op: ReductionOp?
        let body: (UnsafeMutableRawPointer, UnsafeRawPointer, Int) -> Void  // dst, src, bytes
    }

    private static func candidates(bytes: Int, options: Options) -> [Candidate] {
        var list: [Candidate] = [
            Candidate(name: "memcpy", path: "libc", type: nil, op: nil) { d, s, n in d.copyMemory(from: s, byteCount: n) },
        ]
        for op in ReductionOp.allCases {
            let mpiOp = op == .sum ? trainsim_mpi_sum() : trainsim_mpi_max()
            list.append(Candidate(name: "MPI_Reduce_local fp32 \(op)", path: "mpi", type: .fp32, op: op) { d, s, n in
                trainsim_MPI_Reduce_local(s, d, Int32(n / 4), trainsim_mpi_float(), mpiOp)
            })
        }
        for type in ElementType.allCases {
            for op in ReductionOp.allCases {
                let best = ReductionKernel.best(op, type)
                list.append(Candidate(name: "\(type) \(op)", path: best.isa.description, type: type, op: op) { d, s, n in
                    best(d, s, count: n / type.byteCount)
                })
                guard options.includeSlowerPaths, bytes <= 1 << 20 else { continue }
                for isa in ReductionKernel.availableISAs where isa != best.isa {
                    guard let kernel = ReductionKernel.path(isa, op, type) else { continue }
                    list.append(Candidate(name: "\(type) \(op) [\(isa)]", path: isa.description, type: type, op: op) { d, s, n in
                        kernel(d, s, count: n / type.byteCount)
                    })
                }
            }
        }
        return list
    }

    private static func measure(bytes: Int, options: Options) -> [Measurement] {
        let dst = UnsafeMutableRawPointer.allocate(byteCount: bytes, alignment: 64)
        let src = UnsafeMutableRawPointer.allocate(byteCount: bytes, alignment: 64)
        let pristine = UnsafeMutableRawPointer.allocate(byteCount: bytes, alignment: 64)
        defer { dst.deallocate(); src.deallocate(); pristine.deallocate() }
        fill(src, bytes: bytes, seed: 1)
        fill(pristine, bytes: bytes, seed: 2)
        dst.copyMemory(from: pristine, byteCount: bytes)
        let list = candidates(bytes: bytes, options: options)
        // Repetitions per trial, from one timed warm-up run of each candidate.
        let repetitions = list.map { candidate -> Int in
            let t = time { candidate.body(dst, src, bytes) }
            return Swift.max(1, Int(options.trialSeconds / Swift.max(t, 1e-9)))
        }
        var best = [Double](repeating: .infinity, count: list.count)
        for _ in 0..<Swift.max(options.trials, 1) {
            for (i, candidate) in list.enumerated() {
                // Fresh values keep repeated sums far from overflow (and warm the cache alike for everyone).
                if repetitions[i] > 1 { dst.copyMemory(from: pristine, byteCount: bytes) }
                let reps = repetitions[i]
                let t = time { for _ in 0..<reps { candidate.body(dst, src, bytes) } } / Double(reps)
                best[i] = Swift.min(best[i], t)
            }
        }
        return list.indices.map { i in
            Measurement(name: list[i].name, path: list[i].path, type: list[i].type, op: list[i].op, bytes: bytes, seconds: best[i])
        }
    }

    /// Values that are normal numbers in every type: each 16-bit half is +-[0.5, 1) as fp16, a small normal
    /// bf16, and every 32-bit word a normal fp32.
    private static func fill(_ buffer: UnsafeMutableRawPointer, bytes: Int, seed: UInt64) {
        let halves = buffer.bindMemory(to: UInt16.self, capacity: bytes / 2)
        var state = seed &* 0x9e37_79b9_7f4a_7c15
        for i in 0..<(bytes / 2) {
            state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
            let r = UInt16(truncatingIfNeeded: state >> 33)
            halves[i] = (r & 0x8000) | 0x3800 | (r & 0x03ff)
        }
    }

    /// CPU time of this thread spent in `body`, in seconds: time the thread was descheduled (other processes
    /// on a shared host) does not count, so the ratios hold on a busy machine too.
    private static func time(_ body: () -> Void) -> Double {
        let start = threadCPUTime()
        body()
        return threadCPUTime() - start
    }

    static func threadCPUTime() -> Double {
        var ts = timespec()
        clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts)
        return Double(ts.tv_sec) + Double(ts.tv_nsec) * 1e-9
    }
}
