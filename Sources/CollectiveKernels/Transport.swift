/// A handle to a nonblocking send or receive started on a ``Transport``.
public struct TransportRequest: Hashable, Sendable {
    public let id: Int
    public init(id: Int) { self.id = id }
}

/// Point-to-point messaging between the ranks of a group, the only thing the collective algorithms need.
///
/// Semantics follow MPI's nonblocking point-to-point: a receive matches the earliest unmatched message from
/// its source with its tag; messages between one pair with one tag never overtake each other; a buffer passed
/// to ``isend(_:to:tag:)`` or ``irecv(_:from:tag:)`` must stay valid (and a send buffer unchanged) until
/// ``wait(_:)`` has returned for its request. A receive buffer must be exactly as large as the message.
/// A transport is used by one thread at a time.
public protocol Transport: AnyObject {
    /// This rank, `0..<size`.
    var rank: Int { get }
    /// Number of ranks in the group.
    var size: Int { get }
    /// Starts sending `bytes` to `peer`.
    func isend(_ bytes: UnsafeRawBufferPointer, to peer: Int, tag: Int) -> TransportRequest
    /// Starts receiving a message of `bytes.count` bytes from `peer` into `bytes`.
    func irecv(_ bytes: UnsafeMutableRawBufferPointer, from peer: Int, tag: Int) -> TransportRequest
    /// Blocks until every request in `requests` has completed; the handles are then spent.
    func wait(_ requests: [TransportRequest])
}

extension Transport {
    /// Blocks until `request` has completed.
    public func wait(_ request: TransportRequest) { wait([request]) }
}
