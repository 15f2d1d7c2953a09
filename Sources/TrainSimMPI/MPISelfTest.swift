import CollectiveKernels
import Foundation

/// Runs every collective algorithm of ``CollectiveRunner`` over ``MPITransport`` on all ranks of the job and
/// checks each result against a reference computed locally (behind the hidden `trainsim mpi-selftest`).
///
/// Inputs are small integers, exact in fp32, bf16 and fp16, so every reduction order must give the reference
/// bits. Each algorithm runs with tiny chunks (deep pipelines, uneven chunk ends) and with the default chunks,
/// on `count`, 0, 1 and `size + 1` elements; fp32 sums are also compared with the MPI library's `MPI_Allreduce`.
public enum MPISelfTest {
    /// True on every rank when every check passed on every rank. Every rank must call it.
    public static func run(count: Int) -> Bool { failures(count: count).isEmpty }

    /// What failed on this rank (plus a note when only other ranks failed); empty on every rank when all passed.
    public static func failures(count: Int, context: MPIContext = .shared) -> [String] {
        let transport = context.makeTransport()
        let n = transport.size, rank = transport.rank
        var failures: [String] = []
        var counts: [Int] = []
        for c in [count, 0, 1, n + 1] where c >= 0 && !counts.contains(c) { counts.append(c) }
        let settings = [(chunkBytes: 1000, depth: 2), (chunkBytes: 256 << 10, depth: 4)]

        for (chunkBytes, depth) in settings {
            let runner = CollectiveRunner(transport: transport, chunkBytes: chunkBytes, pipelineDepth: depth)
            let label = "chunk \(chunkBytes) B"
            for count in counts {
                for type in ElementType.allCases {
                    for op in ReductionOp.allCases {
                        let expected = reference(ranks: n, count: count, type: type, op: op)
                        for algorithm in CollectiveKind.allReduce.algorithms {
                            var data = input(rank: rank, count: count, type: type)
                            data.withUnsafeMutableBytes { runner.allReduce(base($0), count: count, type: type, op: op, algorithm: algorithm) }
                            if data != expected { failures.append("allreduce \(algorithm) \(type) \(op), count \(count), \(label)") }
                        }
                        var scattered = input(rank: rank, count: count, type: type)
                        scattered.withUnsafeMutableBytes { runner.reduceScatter(base($0), count: count, type: type, op: op) }
                        let block = BlockPartition(count: count, parts: n).range(rank, rank + 1)
                        let bytes = (block.lowerBound * type.byteCount)..<(block.upperBound * type.byteCount)
                        if scattered[bytes] != expected[bytes] { failures.append("reducescatter ring \(type) \(op), count \(count), \(label)") }
                    }
                    var gathered = [UInt8](repeating: 0xee, count: count * type.byteCount)
                    let full = input(rank: 7, count: count, type: type)
                    let mine = BlockPartition(count: count, parts: n).range(rank, rank + 1)
                    let bytes = (mine.lowerBound * type.byteCount)..<(mine.upperBound * type.byteCount)
                    gathered.replaceSubrange(bytes, with: full[bytes])
                    gathered.withUnsafeMutableBytes { runner.allGather(base($0), count: count, type: type) }
                    if gathered != full { failures.append("allgather ring \(type), count \(count), \(label)") }
                }
                let send = (0..<(n * count)).map { k in Float(rank * 1000 + k / max(count, 1)) }
                var receive = [Float](repeating: -1, count: n * count)
                send.withUnsafeBytes { s in
                    receive.withUnsafeMutableBytes { r in
                        runner.allToAll(send: s.baseAddress ?? UnsafeRawPointer(base(r)), receive: base(r), countPerRank: count, type: .fp32)
                    }
                }
                let expected = (0..<(n * count)).map { k in Float((k / max(count, 1)) * 1000 + rank) }
                if receive != expected { failures.append("alltoall pairwise, count \(count), \(label)") }
            }
        }
        // The library's own all-reduce must agree with ours.
        var library = input(rank: rank, count: count, type: .fp32)
        library.withUnsafeMutableBytes { transport.libraryAllReduce(base($0), count: count, type: .fp32, op: .sum) }
        if library != reference(ranks: n, count: count, type: .fp32, op: .sum) { failures.append("MPI_Allreduce differs from the reference") }

        let anyFailed = context.allReduceMax(Int32(failures.isEmpty ? 0 : 1))
        if anyFailed != 0 && failures.isEmpty { failures.append("rank \(rank) passed, but another rank failed") }
        return failures.map { "rank \(rank): \($0)" }
    }

    /// A usable address even for empty buffers (no bytes are touched then).
    private static func base(_ raw: UnsafeMutableRawBufferPointer) -> UnsafeMutableRawPointer {
        raw.baseAddress ?? UnsafeMutableRawPointer(bitPattern: 64)!
    }

    /// Rank `rank`'s input: `count` small integers in `type`.
    static func input(rank: Int, count: Int, type: ElementType) -> [UInt8] {
        let values = (0..<count).map { i in Float(((i &* 7 &+ rank &* 13) % 17) - 8) }
        switch type {
        case .fp32: return values.withUnsafeBytes { Array($0) }
        case .bf16: return values.map { BFloat16Bits.bits($0) }.withUnsafeBytes { Array($0) }
        case .fp16: return values.map { Float16Bits.bits($0) }.withUnsafeBytes { Array($0) }
        }
    }

    /// The reduction of every rank's input, in rank order, with the reference kernel.
    static func reference(ranks: Int, count: Int, type: ElementType, op: ReductionOp) -> [UInt8] {
        var total = input(rank: 0, count: count, type: type)
        for r in 1..<max(ranks, 1) {
            let next = input(rank: r, count: count, type: type)
            total.withUnsafeMutableBytes { t in
                next.withUnsafeBytes { ReferenceReduction.reduce(op, type, into: base(t), from: $0.baseAddress ?? UnsafeRawPointer(base(t)), count: count) }
            }
        }
        return total
    }
}
