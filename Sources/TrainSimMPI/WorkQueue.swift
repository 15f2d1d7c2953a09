import Foundation

/// Shares independent work items among MPI ranks with dynamic load balancing.
///
/// Rank 0 hands out chunks of item indices on request and computes items itself between
/// requests, one at a time, so a slow item never holds other ranks back for long. Chunks are
/// guided: a share of what is left, at most `maxChunk`, so items whose costs differ by 1000x
/// still end together. Each rank asks for its next chunk before it computes the current one
/// and returns a chunk's results with the request after it;
/// rank 0 receives every result, tagged with its index, in completion order (the caller sorts
/// by index, so the output does not depend on the number of ranks). Without MPI, or with one
/// rank, the items run locally in order.
public struct WorkQueue {
    public let mpi: MPIContext?
    public let maxChunk: Int
    static let requestTag = 7101, assignTag = 7102
    /// Nanoseconds between rank 0's polls for requests while it computes.
    static let pollInterval: UInt64 = 200_000

    public init(mpi: MPIContext?, maxChunk: Int = 64) {
        self.mpi = (mpi?.size ?? 1) > 1 ? mpi : nil
        self.maxChunk = max(1, maxChunk)
    }

    /// Runs `work` on every index of `items` (rank 0's list; other ranks' is ignored) and calls
    /// `collect` on rank 0 with each result. Every rank must call it; it returns on every rank
    /// when all items are done.
    public func run(_ items: [Int], work: (Int) -> Data, collect: (Int, Data) -> Void) {
        guard let mpi else {
            for i in items { collect(i, work(i)) }
            return
        }
        if mpi.isRoot { coordinate(mpi, items, work: work, collect: collect) } else { serve(mpi, work: work) }
    }

    private func coordinate(_ mpi: MPIContext, _ items: [Int], work: (Int) -> Data, collect: (Int, Data) -> Void) {
        var cursor = 0
        var running = mpi.size - 1
        var stopped = [Bool](repeating: false, count: mpi.size)
        func answer(_ message: (data: Data, source: Int, tag: Int)) {
            Self.decodeResults(message.data, into: collect)
            // A rank told to stop sends its last results once more; it needs no answer.
            if stopped[message.source] {
                running -= 1
                return
            }
            let left = items.count - cursor
            let n = left == 0 ? 0 : max(1, min(maxChunk, left / (2 * mpi.size)))
            let chunk = Array(items[cursor..<(cursor + n)])
            cursor += n
            if n == 0 { stopped[message.source] = true }
            mpi.send(Self.encode(chunk), to: message.source, tag: Self.assignTag)
        }
        // Polling MPI costs about as much as a cheap item (it drives every transport's progress),
        // so rank 0 polls at most every `pollInterval`; workers ask ahead and never wait that long.
        var lastPoll: UInt64 = 0
        while running > 0 || cursor < items.count {
            let now = DispatchTime.now().uptimeNanoseconds
            if now - lastPoll >= Self.pollInterval || cursor >= items.count {
                lastPoll = now
                while mpi.probeIfWaiting(tag: Self.requestTag) != nil {
                    answer(mpi.receive(tag: Self.requestTag))
                }
            }
            if cursor < items.count {
                let i = items[cursor]
                cursor += 1
                collect(i, work(i))
            } else if running > 0 {
                answer(mpi.receive(tag: Self.requestTag))
            }
        }
    }

    /// A worker asks for its next chunk before computing the current one (sending the results of
    /// the one before), so the answer is waiting when it finishes and it never idles on rank 0.
    private func serve(_ mpi: MPIContext, work: (Int) -> Data) {
        mpi.send(Data(), to: 0, tag: Self.requestTag)
        var chunk = Self.decodeIndices(mpi.receive(from: 0, tag: Self.assignTag).data)
        var results = Data()
        while !chunk.isEmpty {
            mpi.send(results, to: 0, tag: Self.requestTag)
            results = Data()
            for i in chunk { Self.append(i, work(i), to: &results) }
            chunk = Self.decodeIndices(mpi.receive(from: 0, tag: Self.assignTag).data)
        }
        mpi.send(results, to: 0, tag: Self.requestTag)
    }

    static func encode(_ indices: [Int]) -> Data {
        var d = Data(capacity: indices.count * 8)
        for i in indices { withUnsafeBytes(of: Int64(i).littleEndian) { d.append(contentsOf: $0) } }
        return d
    }

    static func decodeIndices(_ d: Data) -> [Int] {
        var out: [Int] = []
        out.reserveCapacity(d.count / 8)
        d.withUnsafeBytes { raw in
            for k in 0..<(raw.count / 8) { out.append(Int(Int64(littleEndian: raw.loadUnaligned(fromByteOffset: 8 * k, as: Int64.self)))) }
        }
        return out
    }

    static func append(_ index: Int, _ result: Data, to d: inout Data) {
        withUnsafeBytes(of: Int64(index).littleEndian) { d.append(contentsOf: $0) }
        withUnsafeBytes(of: Int64(result.count).littleEndian) { d.append(contentsOf: $0) }
        d.append(result)
    }

    static func decodeResults(_ d: Data, into collect: (Int, Data) -> Void) {
        var items: [(Int, Data)] = []
        d.withUnsafeBytes { raw in
            var o = 0
            while o + 16 <= raw.count {
                let i = Int(Int64(littleEndian: raw.loadUnaligned(fromByteOffset: o, as: Int64.self)))
                let n = Int(Int64(littleEndian: raw.loadUnaligned(fromByteOffset: o + 8, as: Int64.self)))
                o += 16
                items.append((i, Data(raw[o..<(o + n)])))
                o += n
            }
        }
        for (i, r) in items { collect(i, r) }
    }
}

extension MPIContext {
    /// Every rank's numbers, in rank order, on rank 0; nil on the other ranks.
    public func gather(_ values: [Double]) -> [[Double]]? {
        var d = Data(capacity: values.count * 8)
        for v in values { withUnsafeBytes(of: v.bitPattern.littleEndian) { d.append(contentsOf: $0) } }
        return gatherv(d)?.map { part in
            part.withUnsafeBytes { raw in
                (0..<(raw.count / 8)).map { Double(bitPattern: UInt64(littleEndian: raw.loadUnaligned(fromByteOffset: 8 * $0, as: UInt64.self))) }
            }
        }
    }
}
