extension CollectiveRunner {
    /// All-reduce in place: on return every rank's `buffer` holds the reduction over ranks of all buffers.
    public func allReduce(
        _ buffer: UnsafeMutableRawPointer, count: Int, type: ElementType, op: ReductionOp,
        algorithm: CollectiveAlgorithm = .ring
    ) {
        precondition(count >= 0, "negative count")
        guard size > 1, count > 0 else { return }
        switch algorithm {
        case .ring:
            reduceScatter(buffer, count: count, type: type, op: op)
            allGather(buffer, count: count, type: type)
        case .halvingDoubling:
            halvingDoublingAllReduce(buffer, count: count, type: type, op: op)
        case .tree:
            treeAllReduce(buffer, count: count, type: type, op: op)
        case .pairwise:
            preconditionFailure("pairwise exchange is an all-to-all algorithm, not an all-reduce")
        }
    }

    /// Ring reduce-scatter in place. `buffer` holds `count` elements split by ``BlockPartition`` into one block
    /// per rank; on return block `rank` holds the reduction of that block over all ranks (other blocks hold
    /// partial results).
    ///
    /// In step s (0 ..< size-1) rank r sends block r-s-1 to r+1 and reduces block r-s-2 received from r-1.
    public func reduceScatter(_ buffer: UnsafeMutableRawPointer, count: Int, type: ElementType, op: ReductionOp) {
        precondition(count >= 0, "negative count")
        let n = size
        guard n > 1, count > 0 else { return }
        let blocks = BlockPartition(count: count, parts: n)
        let right = (rank + 1) % n, left = (rank + n - 1) % n
        let kernel = ReductionKernel.best(op, type)
        withScratch(type, slots: pipelineDepth) { scratch in
            for s in 0..<(n - 1) {
                let sendBlock = (rank - s - 1 + 2 * n) % n, receiveBlock = (rank - s - 2 + 2 * n) % n
                exchange(
                    send: UnsafeRawBufferPointer(region(buffer, blocks.range(sendBlock, sendBlock + 1), type)), to: right,
                    receive: region(buffer, blocks.range(receiveBlock, receiveBlock + 1), type), from: left,
                    type: type, reduce: kernel, tag: Tag.ringReduceScatter, scratch: scratch)
            }
        }
    }

    /// Ring all-gather in place. On entry block `rank` of `buffer` (split by ``BlockPartition``) holds this rank's
    /// data; on return every block holds its owner's data.
    ///
    /// In step s rank r sends block r-s to r+1 and receives block r-s-1 from r-1.
    public func allGather(_ buffer: UnsafeMutableRawPointer, count: Int, type: ElementType) {
        precondition(count >= 0, "negative count")
        let n = size
        guard n > 1, count > 0 else { return }
        let blocks = BlockPartition(count: count, parts: n)
        let right = (rank + 1) % n, left = (rank + n - 1) % n
        for s in 0..<(n - 1) {
            let sendBlock = (rank - s + n) % n, receiveBlock = (rank - s - 1 + 2 * n) % n
            exchange(
                send: UnsafeRawBufferPointer(region(buffer, blocks.range(sendBlock, sendBlock + 1), type)), to: right,
                receive: region(buffer, blocks.range(receiveBlock, receiveBlock + 1), type), from: left,
                type: type, reduce: nil, tag: Tag.ringAllGather, scratch: nil)
        }
    }
}
