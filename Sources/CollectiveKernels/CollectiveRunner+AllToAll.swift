extension CollectiveRunner {
    /// Pairwise-exchange all-to-all. `send` holds `size` blocks of `countPerRank` elements, block j for rank j;
    /// on return block j of `receive` holds what rank j sent to this rank. In step k (1 ..< size) rank r sends to
    /// r + k and receives from r - k, so every step pairs each rank with exactly one sender and one receiver.
    /// `send` and `receive` must not overlap.
    public func allToAll(send: UnsafeRawPointer, receive: UnsafeMutableRawPointer, countPerRank: Int, type: ElementType) {
        precondition(countPerRank >= 0, "negative count")
        let n = size, blockBytes = countPerRank * type.byteCount
        guard blockBytes > 0 else { return }
        (receive + rank * blockBytes).copyMemory(from: send + rank * blockBytes, byteCount: blockBytes)
        for k in 1..<Swift.max(n, 1) {
            let destination = (rank + k) % n, source = (rank - k + n) % n
            exchange(send: UnsafeRawBufferPointer(start: send + destination * blockBytes, count: blockBytes), to: destination,
                     receive: UnsafeMutableRawBufferPointer(start: receive + source * blockBytes, count: blockBytes), from: source,
                     type: type, reduce: nil, tag: Tag.allToAll, scratch: nil)
        }
    }
}
