/// The split of `count` elements into `parts` contiguous blocks used by every collective here: block `i`
/// starts at `i * (count / parts) + min(i, count % parts)`, so the first `count % parts` blocks hold one
/// element more. Blocks may be empty when `count < parts`.
public struct BlockPartition: Sendable, Equatable {
    public let count: Int
    public let parts: Int

    public init(count: Int, parts: Int) {
        precondition(count >= 0 && parts > 0, "invalid partition of \(count) into \(parts)")
        self.count = count
        self.parts = parts
    }

    /// First element of block `i` (`i` may equal `parts`, giving `count`).
    @inlinable public func start(_ i: Int) -> Int {
        let base = count / parts, extra = count % parts
        return i * base + Swift.min(i, extra)
    }

    /// Number of elements in block `i`.
    @inlinable public func size(_ i: Int) -> Int { start(i + 1) - start(i) }

    /// Elements of blocks `lo..<hi`.
    @inlinable public func range(_ lo: Int, _ hi: Int) -> Range<Int> { start(lo)..<start(hi) }
}
