/// The collective algorithms this package implements.
public enum CollectiveAlgorithm: String, CaseIterable, Sendable, Codable {
    /// Ring: reduce-scatter then all-gather around the ring, each step sent in pipelined chunks.
    case ring
    /// Recursive halving (reduce-scatter) then recursive doubling (all-gather), after Rabenseifner; ranks
    /// beyond the largest power of two fold into a partner first.
    case halvingDoubling = "halving-doubling"
    /// Binary tree: chunked, pipelined reduce to rank 0, then broadcast down the same tree.
    case tree
    /// Pairwise exchange (all-to-all): in step k, rank r sends to r + k and receives from r - k.
    case pairwise
}

/// The collectives whose data plane this package implements.
public enum CollectiveKind: String, CaseIterable, Sendable, Codable {
    case allReduce = "allreduce", reduceScatter = "reducescatter", allGather = "allgather", allToAll = "alltoall"

    /// The algorithms ``CollectiveRunner`` has for this collective.
    public var algorithms: [CollectiveAlgorithm] {
        switch self {
        case .allReduce: [.ring, .halvingDoubling, .tree]
        case .reduceScatter, .allGather: [.ring]
        case .allToAll: [.pairwise]
        }
    }
}

/// Runs collectives over a ``Transport``: every rank of the group calls the same collectives in the same order
/// with the same counts.
///
/// Buffers are raw memory of elements of one ``ElementType``. Large messages are cut into chunks of about
/// ``chunkBytes``; up to ``pipelineDepth`` chunks are in flight while earlier ones are reduced, so the scratch
/// memory is `pipelineDepth x chunkBytes` per peer received from at once. Reductions use
/// ``ReductionKernel/best(_:_:)``. Results are identical on every rank.
public struct CollectiveRunner {
    public let transport: Transport
    /// Target size of one message (rounded down to whole elements, at least one element).
    public var chunkBytes: Int
    /// Chunks received ahead of the one being reduced.
    public var pipelineDepth: Int

    public init(transport: Transport, chunkBytes: Int = 256 << 10, pipelineDepth: Int = 4) {
        precondition(chunkBytes > 0 && pipelineDepth > 0, "chunkBytes and pipelineDepth must be positive")
        self.transport = transport
        self.chunkBytes = chunkBytes
        self.pipelineDepth = pipelineDepth
    }

    var rank: Int { transport.rank }
    var size: Int { transport.size }

    /// Tags of the message streams, one per phase of each algorithm.
    enum Tag {
        static let ringReduceScatter = 0x100, ringAllGather = 0x101
        static let hdFold = 0x110, hdHalving = 0x111, hdDoubling = 0x112, hdUnfold = 0x113
        static let treeReduce = 0x120, treeBroadcast = 0x121
        static let allToAll = 0x130
    }

    /// Bytes per chunk for `type`: a whole number of elements.
    func chunk(_ type: ElementType) -> Int { Swift.max(1, chunkBytes / type.byteCount) * type.byteCount }

    /// Scratch memory for `slots` chunks of `type`.
    func withScratch<R>(_ type: ElementType, slots: Int, _ body: (UnsafeMutableRawPointer) -> R) -> R {
        let bytes = chunk(type) * slots
        let scratch = UnsafeMutableRawPointer.allocate(byteCount: Swift.max(bytes, 1), alignment: 64)
        defer { scratch.deallocate() }
        return body(scratch)
    }

    /// Sends `send` to `destination` and receives `receive.count` bytes from `source`, both in chunks of
    /// `chunk(type)`. With a kernel, each received chunk lands in `scratch` (`pipelineDepth` chunks) and is
    /// reduced into `receive`; without, chunks land in `receive` directly. Either side may be empty.
    /// Returns once everything sent and received is complete.
    func exchange(
        send: UnsafeRawBufferPointer, to destination: Int,
        receive: UnsafeMutableRawBufferPointer, from source: Int,
        type: ElementType, reduce kernel: ReductionKernel?, tag: Int, scratch: UnsafeMutableRawPointer?
    ) {
        let step = chunk(type)
        var sends: [TransportRequest] = []
        sends.reserveCapacity((send.count + step - 1) / step)
        var offset = 0
        while offset < send.count {
            let n = Swift.min(step, send.count - offset)
            sends.append(transport.isend(UnsafeRawBufferPointer(rebasing: send[offset..<(offset + n)]), to: destination, tag: tag))
            offset += n
        }
        let chunks = (receive.count + step - 1) / step
        if chunks > 0, let kernel {
            let slots = pipelineDepth, scratch = scratch!
            func post(_ k: Int) -> TransportRequest {
                let n = Swift.min(step, receive.count - k * step)
                let slot = UnsafeMutableRawBufferPointer(start: scratch + (k % slots) * step, count: n)
                return transport.irecv(slot, from: source, tag: tag)
            }
            var pending: [TransportRequest] = (0..<Swift.min(slots, chunks)).map(post)
            for k in 0..<chunks {
                transport.wait(pending[k % slots])
                let n = Swift.min(step, receive.count - k * step)
                kernel(receive.baseAddress! + k * step, UnsafeRawPointer(scratch + (k % slots) * step), count: n / type.byteCount)
                if k + slots < chunks { pending[k % slots] = post(k + slots) }
            }
        } else if chunks > 0 {
            var receives: [TransportRequest] = []
            receives.reserveCapacity(chunks)
            for k in 0..<chunks {
                let n = Swift.min(step, receive.count - k * step)
                receives.append(transport.irecv(UnsafeMutableRawBufferPointer(rebasing: receive[(k * step)..<(k * step + n)]), from: source, tag: tag))
            }
            transport.wait(receives)
        }
        if !sends.isEmpty { transport.wait(sends) }
    }

    /// The bytes of elements `range` of `buffer`.
    func region(_ buffer: UnsafeMutableRawPointer, _ range: Range<Int>, _ type: ElementType) -> UnsafeMutableRawBufferPointer {
        UnsafeMutableRawBufferPointer(start: buffer + range.lowerBound * type.byteCount, count: range.count * type.byteCount)
    }

    static var empty: UnsafeMutableRawBufferPointer { UnsafeMutableRawBufferPointer(start: nil, count: 0) }
}
