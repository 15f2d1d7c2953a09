extension CollectiveRunner {
    /// Rabenseifner's all-reduce: recursive-halving reduce-scatter and recursive-doubling all-gather over the
    /// largest power of two p <= size. With rem = size - p, ranks below 2 rem pair up first: each even one
    /// hands its buffer to the odd one above it and sits out, then gets the result back at the end.
    func halvingDoublingAllReduce(_ buffer: UnsafeMutableRawPointer, count: Int, type: ElementType, op: ReductionOp) {
        let n = size
        var p = 1
        while p * 2 <= n { p *= 2 }
        let rem = n - p
        let kernel = ReductionKernel.best(op, type)
        let whole = region(buffer, 0..<count, type)
        withScratch(type, slots: pipelineDepth) { scratch in
            // Fold the extra ranks into their odd partners.
            var virtualRank = -1
            if rank < 2 * rem {
                if rank % 2 == 0 {
                    exchange(send: UnsafeRawBufferPointer(whole), to: rank + 1, receive: Self.empty, from: rank + 1,
                             type: type, reduce: nil, tag: Tag.hdFold, scratch: nil)
                } else {
                    exchange(send: UnsafeRawBufferPointer(Self.empty), to: rank - 1, receive: whole, from: rank - 1,
                             type: type, reduce: kernel, tag: Tag.hdFold, scratch: scratch)
                    virtualRank = rank / 2
                }
            } else {
                virtualRank = rank - rem
            }
            if virtualRank >= 0 {
                let blocks = BlockPartition(count: count, parts: p)
                func realRank(_ v: Int) -> Int { v < rem ? 2 * v + 1 : v + rem }
                // Recursive halving: keep the half of the current range on this rank's side of `mask`.
                var lo = 0, hi = p, mask = p / 2
                while mask >= 1 {
                    let partner = realRank(virtualRank ^ mask), mid = lo + (hi - lo) / 2
                    let (keep, give) = virtualRank & mask == 0 ? ((lo, mid), (mid, hi)) : ((mid, hi), (lo, mid))
                    exchange(send: UnsafeRawBufferPointer(region(buffer, blocks.range(give.0, give.1), type)), to: partner,
                             receive: region(buffer, blocks.range(keep.0, keep.1), type), from: partner,
                             type: type, reduce: kernel, tag: Tag.hdHalving, scratch: scratch)
                    (lo, hi) = keep
                    mask /= 2
                }
                // Recursive doubling: swap ranges with partners at growing distance.
                mask = 1
                while mask < p {
                    let partner = realRank(virtualRank ^ mask), width = hi - lo
                    let other = virtualRank & mask == 0 ? (hi, hi + width) : (lo - width, lo)
                    exchange(send: UnsafeRawBufferPointer(region(buffer, blocks.range(lo, hi), type)), to: partner,
                             receive: region(buffer, blocks.range(other.0, other.1), type), from: partner,
                             type: type, reduce: nil, tag: Tag.hdDoubling, scratch: nil)
                    (lo, hi) = (Swift.min(lo, other.0), Swift.max(hi, other.1))
                    mask *= 2
                }
            }
            // Return the result to the ranks that sat out.
            if rank < 2 * rem {
                if rank % 2 == 1 {
                    exchange(send: UnsafeRawBufferPointer(whole), to: rank - 1, receive: Self.empty, from: rank - 1,
                             type: type, reduce: nil, tag: Tag.hdUnfold, scratch: nil)
                } else {
                    exchange(send: UnsafeRawBufferPointer(Self.empty), to: rank + 1, receive: whole, from: rank + 1,
                             type: type, reduce: nil, tag: Tag.hdUnfold, scratch: nil)
                }
            }
        }
    }
}
