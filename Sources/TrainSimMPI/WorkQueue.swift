import Foundation

/// Shares independent work items `0..<count` among MPI ranks with dynamic load balancing.
///
/// Rank 0 hands out chunks (runs of item numbers) on request, from a thread of its own, and
/// computes items itself meanwhile, one at a time (or a `block` at a time). Chunks are whole
/// blocks, then guided: a share of what is left, at most `maxChunk`, so items whose costs differ
/// by 1000x still end together. Each rank asks for its next chunk before it computes the current one
/// and returns a chunk's results with the request after it;
/// rank 0 receives every result, tagged with its index, in completion order (the caller sorts
/// by index, so the output does not depend on the number of ranks). Without MPI, or with one
/// rank, the items run locally in order.
public struct WorkQueue {
    public let mpi: MPIContext?
    public let maxChunk: Int
    /// Items are handed out in whole, aligned blocks of this many (rank 0's own included) until
    /// the last few blocks, which are split: neighbouring items that share work (a sweep's points
    /// that differ only in inner axes reuse each other's simulated step) stay on one rank.
    public let block: Int
    static let requestTag = 7101, assignTag = 7102

    public init(mpi: MPIContext?, maxChunk: Int = 64, block: Int = 1) {
        self.mpi = (mpi?.size ?? 1) > 1 ? mpi : nil
        self.maxChunk = max(1, maxChunk)
        self.block = max(1, block)
    }

    /// Runs `work` on every item `0..<count` and calls `collect` on rank 0 with each result that
    /// is not nil, and `progress` with how many items just finished. Every rank must call it with
    /// the same count; it returns on every rank when all items are done.
    public func run(count: Int, work: (Int) -> Data?, collect: (Int, Data) -> Void, progress: (Int) -> Void = { _ in }) {
        guard let mpi else {
            for i in 0..<count {
                if let r = work(i) { collect(i, r) }
                progress(1)
            }
            return
        }
        if mpi.isRoot { coordinate(mpi, count, work: work, collect: collect, progress: progress) } else { serve(mpi, work: work) }
    }

    /// Rank 0: a thread answers the workers' requests as they come, while this thread computes
    /// items itself. (Answering only between its own items kept a worker blocked in sending its
    /// results, which MPI delivers only when rank 0 receives them, for up to a whole item.)
    private func coordinate(_ mpi: MPIContext, _ count: Int, work: (Int) -> Data?, collect: (Int, Data) -> Void, progress: (Int) -> Void) {
        withoutActuallyEscaping(collect) { collect in
            withoutActuallyEscaping(progress) { progress in
                let state = Coordinator(count: count, ranks: mpi.size, block: block, collect: collect, progress: progress)
                let finished = DispatchSemaphore(value: 0)
                let thread = Thread { [mpi, maxChunk] in
                    state.answerWorkers(mpi, maxChunk: maxChunk)
                    finished.signal()
                }
                thread.start()
                while let items = state.nextItems() {
                    for i in items {
                        let r = work(i)
                        state.finished(i, r)
                    }
                }
                finished.wait()
                // The thread object may outlive this call: it must not keep the caller's closures.
                state.release()
            }
        }
    }

    /// Rank 0's shared state: the next item to hand out and the results' sink, under one lock.
    private final class Coordinator: @unchecked Sendable {
        let lock = NSLock()
        let count: Int, ranks: Int, block: Int
        var cursor = 0
        private var collect: (Int, Data) -> Void, progress: (Int) -> Void

        init(count: Int, ranks: Int, block: Int, collect: @escaping (Int, Data) -> Void, progress: @escaping (Int) -> Void) {
            self.count = count; self.ranks = ranks; self.block = block; self.collect = collect; self.progress = progress
        }

        /// Items to hand out next (under the lock): whole blocks while more than two per rank are
        /// left, then guided pieces (a share of what is left, at most `most`) so that the ranks end
        /// together. `most`: rank 0 takes a block, or one item, at a time; a worker up to `maxChunk`.
        private func take(most: Int) -> Int {
            let left = count - cursor
            guard left > 0 else { return 0 }
            if block > 1, left > 2 * ranks * block { return block }
            return max(1, min(most, left / (4 * ranks)))
        }

        func release() {
            lock.lock(); defer { lock.unlock() }
            collect = { _, _ in }
            progress = { _ in }
        }

        func nextItems() -> Range<Int>? {
            lock.lock(); defer { lock.unlock() }
            let n = take(most: 1)
            guard n > 0 else { return nil }
            cursor += n
            return (cursor - n)..<cursor
        }

        func finished(_ i: Int, _ r: Data?) {
            lock.lock(); defer { lock.unlock() }
            if let r { collect(i, r) }
            progress(1)
        }

        /// Answers requests until every worker has been told to stop and has sent its last results.
        func answerWorkers(_ mpi: MPIContext, maxChunk: Int) {
            var running = ranks - 1
            var stopped = [Bool](repeating: false, count: ranks)
            while running > 0 {
                let message = mpi.receivePatiently(tag: WorkQueue.requestTag)
                lock.lock()
                let done = WorkQueue.decodeResults(message.data, into: collect)
                progress(done)
                // A rank told to stop sends its last results once more; it needs no answer.
                if stopped[message.source] {
                    running -= 1
                    lock.unlock()
                    continue
                }
                let n = take(most: maxChunk)
                let start = cursor
                cursor += n
                lock.unlock()
                mpi.send(WorkQueue.encode([start, n]), to: message.source, tag: WorkQueue.assignTag)
                if n == 0 { stopped[message.source] = true }
            }
        }
    }

    /// A worker asks for its next chunk before computing the current one (sending the results of
    /// the one before), so the answer is waiting when it finishes and it never idles on rank 0.
    private func serve(_ mpi: MPIContext, work: (Int) -> Data?) {
        mpi.send(Self.encode([0]), to: 0, tag: Self.requestTag)
        var chunk = Self.decodeIndices(mpi.receivePatiently(from: 0, tag: Self.assignTag).data)
        var results = Self.encode([0])
        while chunk[1] > 0 {
            mpi.send(results, to: 0, tag: Self.requestTag)
            results = Self.encode([chunk[1]])
            for i in chunk[0]..<(chunk[0] + chunk[1]) {
                if let r = work(i) { Self.append(i, r, to: &results) }
            }
            chunk = Self.decodeIndices(mpi.receivePatiently(from: 0, tag: Self.assignTag).data)
        }
        mpi.send(results, to: 0, tag: Self.requestTag)
    }

    static func encode(_ values: [Int]) -> Data {
        var d = Data(capacity: values.count * 8)
        for i in values { withUnsafeBytes(of: Int64(i).littleEndian) { d.append(contentsOf: $0) } }
        return d
    }

    /// Numbers as their bit patterns, 8 bytes each.
    public static func encode(_ values: [Double]) -> Data {
        var d = Data(capacity: values.count * 8)
        for v in values { withUnsafeBytes(of: v.bitPattern.littleEndian) { d.append(contentsOf: $0) } }
        return d
    }

    public static func decodeDoubles(_ d: Data) -> [Double] {
        d.withUnsafeBytes { raw in
            (0..<(raw.count / 8)).map { Double(bitPattern: UInt64(littleEndian: raw.loadUnaligned(fromByteOffset: 8 * $0, as: UInt64.self))) }
        }
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

    /// Results message: the number of items done, then (index, length, bytes) per result. Returns the number done.
    static func decodeResults(_ d: Data, into collect: (Int, Data) -> Void) -> Int {
        var items: [(Int, Data)] = []
        var done = 0
        d.withUnsafeBytes { raw in
            guard raw.count >= 8 else { return }
            done = Int(Int64(littleEndian: raw.loadUnaligned(fromByteOffset: 0, as: Int64.self)))
            var o = 8
            while o + 16 <= raw.count {
                let i = Int(Int64(littleEndian: raw.loadUnaligned(fromByteOffset: o, as: Int64.self)))
                let n = Int(Int64(littleEndian: raw.loadUnaligned(fromByteOffset: o + 8, as: Int64.self)))
                o += 16
                items.append((i, Data(raw[o..<(o + n)])))
                o += n
            }
        }
        for (i, r) in items { collect(i, r) }
        return done
    }
}

extension MPIContext {
    /// Rank `root`'s numbers, on every rank.
    public func broadcast(_ values: [Int], root: Int = 0) -> [Int] {
        WorkQueue.decodeIndices(broadcast(WorkQueue.encode(values), root: root))
    }
}
