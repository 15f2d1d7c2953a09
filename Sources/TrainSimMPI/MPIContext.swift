import CMPI
import Foundation

/// The process's MPI environment: initialized once, on first use of ``shared``, shared by every part of trainsim
/// that runs across ranks (sweeps, Monte Carlo, calibration).
///
/// A binary started without `mpirun` is a group of one rank (MPI singleton), so code written against
/// `MPIContext` runs unchanged on a laptop. Check ``launchedByMPIRun`` first to avoid initializing MPI at all
/// when it is not needed.
///
/// The context communicates on its own duplicate of `MPI_COMM_WORLD`, so its messages never match those of an
/// ``MPITransport`` or of other libraries. MPI is initialized with `MPI_THREAD_MULTIPLE` when the library
/// offers it; otherwise every call here is serialized by a lock (don't block in ``receive(from:tag:)`` on one
/// thread while another thread must send for it to return).
///
/// ```swift
/// let mpi = MPIContext.shared
/// let mine = try JSONEncoder().encode(localResults)
/// if let all = mpi.gatherv(mine) { /* rank 0: every rank's bytes, in rank order */ }
/// mpi.finalize()
/// ```
public final class MPIContext: @unchecked Sendable {
    /// The context of this process; initializes MPI on first use.
    public static let shared = MPIContext()

    /// This process's rank in `MPI_COMM_WORLD`.
    public let rank: Int
    /// Number of ranks in `MPI_COMM_WORLD`.
    public let size: Int
    /// Whether this is rank 0, the one that prints and writes files.
    public var isRoot: Bool { rank == 0 }
    /// Whether the MPI library gave full thread support (`MPI_THREAD_MULTIPLE`).
    public let isThreadSafe: Bool

    let communicator: MPI_Comm
    private let lock = NSLock()
    private var isFinalized = false

    /// Whether this process was started by `mpirun`/`mpiexec` (Open MPI, MPICH or a PMI launcher), judged from
    /// the environment without initializing MPI.
    public static var launchedByMPIRun: Bool {
        let names = ["OMPI_COMM_WORLD_SIZE", "PMI_SIZE", "PMIX_RANK", "MPI_LOCALNRANKS"]
        return names.contains { (name: String) in getenv(name) != nil }
    }

    private init() {
        var initialized: Int32 = 0
        trainsim_MPI_Initialized(&initialized)
        var provided = Int32(MPI_THREAD_MULTIPLE)
        if initialized == 0 {
            trainsim_MPI_Init_thread(nil, nil, Int32(MPI_THREAD_MULTIPLE), &provided)
        } else {
            trainsim_MPI_Query_thread(&provided)
        }
        isThreadSafe = provided >= Int32(MPI_THREAD_MULTIPLE)
        (communicator, rank, size) = duplicateCommunicator(trainsim_mpi_comm_world())
    }

    private func serialized<R>(_ body: () -> R) -> R {
        if isThreadSafe { return body() }
        return lock.withLock(body)
    }

    /// Seconds on MPI's wall clock (`MPI_Wtime`).
    public func wallTime() -> Double { trainsim_MPI_Wtime() }

    /// Blocks until every rank has called `barrier()`.
    public func barrier() { serialized { _ = trainsim_MPI_Barrier(communicator) } }

    /// The largest `value` over all ranks, on every rank.
    public func allReduceMax(_ value: Int32) -> Int32 {
        serialized {
            var input = value, output: Int32 = 0
            trainsim_MPI_Allreduce(&input, &output, 1, trainsim_mpi_int(), trainsim_mpi_max(), communicator)
            return output
        }
    }

    /// The largest `value` over all ranks, on every rank.
    public func allReduceMax(_ value: Double) -> Double { allReduce(value, trainsim_mpi_max()) }
    /// The smallest `value` over all ranks, on every rank.
    public func allReduceMin(_ value: Double) -> Double { allReduce(value, trainsim_mpi_min()) }
    /// The sum of `value` over all ranks, on every rank.
    public func allReduceSum(_ value: Double) -> Double { allReduce(value, trainsim_mpi_sum()) }

    private func allReduce(_ value: Double, _ op: MPI_Op) -> Double {
        serialized {
            var input = value, output = 0.0
            trainsim_MPI_Allreduce(&input, &output, 1, trainsim_mpi_double(), op, communicator)
            return output
        }
    }

    /// `data` from rank `root`, on every rank (the argument is ignored on other ranks).
    public func broadcast(_ data: Data, root: Int = 0) -> Data {
        serialized {
            var length = Int64(data.count)
            trainsim_MPI_Bcast(&length, 1, trainsim_mpi_int64(), Int32(root), communicator)
            var buffer = rank == root ? data : Data(count: Int(length))
            buffer.withUnsafeMutableBytes { raw in
                var offset = 0
                while offset < raw.count {
                    let n = Swift.min(1 << 30, raw.count - offset)
                    trainsim_MPI_Bcast(raw.baseAddress! + offset, Int32(n), trainsim_mpi_byte(), Int32(root), communicator)
                    offset += n
                }
            }
            return buffer
        }
    }

    /// Every rank's `data`, in rank order, on rank `root`; nil on the other ranks. The total must stay below 2 GiB.
    public func gatherv(_ data: Data, root: Int = 0) -> [Data]? {
        serialized {
            var length = Int64(data.count)
            var lengths = [Int64](repeating: 0, count: rank == root ? size : 0)
            lengths.withUnsafeMutableBufferPointer { l in
                _ = trainsim_MPI_Gather(&length, 1, trainsim_mpi_int64(), l.baseAddress, 1, trainsim_mpi_int64(), Int32(root), communicator)
            }
            let counts = lengths.map { Int32(clamping: $0) }
            var displacements: [Int32] = []
            var total = 0
            for n in lengths {
                displacements.append(Int32(clamping: total))
                total += Int(n)
            }
            precondition(total < Int(Int32.max), "gatherv: \(total) bytes in all is more than MPI counts can hold")
            var gathered = Data(count: total)
            var mine = data
            mine.withUnsafeMutableBytes { send in
                gathered.withUnsafeMutableBytes { receive in
                    _ = trainsim_MPI_Gatherv(send.baseAddress, Int32(send.count), trainsim_mpi_byte(), receive.baseAddress,
                                    counts, displacements, trainsim_mpi_byte(), Int32(root), communicator)
                }
            }
            guard rank == root else { return nil }
            return lengths.indices.map { i in gathered.subdata(in: Int(displacements[i])..<(Int(displacements[i]) + Int(lengths[i]))) }
        }
    }

    /// What ``probe(from:tag:)`` found: a message waiting to be received.
    public struct MessageInfo: Sendable, Equatable {
        public let source: Int
        public let tag: Int
        public let byteCount: Int
    }

    /// Sends `data` to rank `destination` with `tag` (0 ... 32767); returns once `data` may be reused.
    public func send(_ data: Data, to destination: Int, tag: Int) {
        serialized {
            var bytes = data
            bytes.withUnsafeMutableBytes { raw in
                _ = trainsim_MPI_Send(raw.baseAddress, Int32(raw.count), trainsim_mpi_byte(), Int32(destination), Int32(tag), communicator)
            }
        }
    }

    /// Blocks until a message from `source` (nil: any rank) with `tag` (nil: any tag) is waiting; does not receive it.
    public func probe(from source: Int? = nil, tag: Int? = nil) -> MessageInfo {
        serialized {
            var status = MPI_Status()
            trainsim_MPI_Probe(Int32(source ?? Int(trainsim_mpi_any_source())), Int32(tag ?? Int(trainsim_mpi_any_tag())), communicator, &status)
            return info(status)
        }
    }

    /// Like ``probe(from:tag:)`` but returns nil at once when no such message is waiting.
    public func probeIfWaiting(from source: Int? = nil, tag: Int? = nil) -> MessageInfo? {
        serialized {
            var status = MPI_Status()
            var flag: Int32 = 0
            trainsim_MPI_Iprobe(Int32(source ?? Int(trainsim_mpi_any_source())), Int32(tag ?? Int(trainsim_mpi_any_tag())), communicator, &flag, &status)
            return flag != 0 ? info(status) : nil
        }
    }

    /// Receives the next message from `source` (nil: any rank) with `tag` (nil: any tag), whatever its size.
    /// Typical of a dynamic work queue: rank 0 receives from any source, answers the rank it came from.
    public func receive(from source: Int? = nil, tag: Int? = nil) -> (data: Data, source: Int, tag: Int) {
        serialized {
            var status = MPI_Status()
            trainsim_MPI_Probe(Int32(source ?? Int(trainsim_mpi_any_source())), Int32(tag ?? Int(trainsim_mpi_any_tag())), communicator, &status)
            let message = info(status)
            var data = Data(count: message.byteCount)
            data.withUnsafeMutableBytes { raw in
                _ = trainsim_MPI_Recv(raw.baseAddress, Int32(raw.count), trainsim_mpi_byte(), Int32(message.source), Int32(message.tag),
                             communicator, trainsim_mpi_status_ignore())
            }
            return (data, message.source, message.tag)
        }
    }

    /// Like ``receive(from:tag:)``, but while no such message is waiting the rank sleeps between
    /// polls (20 us, doubling to 1 ms) instead of spinning in `MPI_Probe`, as Open MPI does: a rank
    /// that waits then leaves its core to the ranks still computing (more ranks than cores, or the
    /// last items of a work queue), and its CPU time is the work it did.
    public func receivePatiently(from source: Int? = nil, tag: Int? = nil) -> (data: Data, source: Int, tag: Int) {
        var pause: UInt32 = 20
        while probeIfWaiting(from: source, tag: tag) == nil {
            usleep(pause)
            pause = min(pause * 2, 1000)
        }
        return receive(from: source, tag: tag)
    }

    private func info(_ status: MPI_Status) -> MessageInfo {
        var status = status
        var count: Int32 = 0
        trainsim_MPI_Get_count(&status, trainsim_mpi_byte(), &count)
        return MessageInfo(source: Int(trainsim_mpi_status_source(&status)), tag: Int(trainsim_mpi_status_tag(&status)), byteCount: Int(count))
    }

    /// A new transport for the collective algorithms, on its own communicator. Every rank must call this
    /// together (it duplicates a communicator).
    public func makeTransport() -> MPITransport { serialized { MPITransport(duplicating: communicator) } }

    /// Ends every rank of the job with `code` (`MPI_Abort`); use when one rank cannot go on.
    public func abort(code: Int32) -> Never {
        trainsim_MPI_Abort(trainsim_mpi_comm_world(), code)
        exit(code)
    }

    /// Shuts MPI down; every rank must call it once before exiting (later calls do nothing). No MPI call may
    /// follow, on any context or transport.
    public func finalize() {
        serialized {
            guard !isFinalized else { return }
            isFinalized = true
            var finalized: Int32 = 0
            trainsim_MPI_Finalized(&finalized)
            if finalized == 0 { trainsim_MPI_Finalize() }
        }
    }
}
