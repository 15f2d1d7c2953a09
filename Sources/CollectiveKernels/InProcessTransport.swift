import Foundation

/// A group of ranks inside one process, one thread each, for tests and for running the collective
/// algorithms without MPI.
///
/// Sends are eager: the message is copied at `isend`, into a posted matching receive if there is one, else
/// into the destination's queue of unexpected messages. Receives complete when a match arrives.
///
/// ```swift
/// InProcessFabric.run(ranks: 4) { transport in
///     let runner = CollectiveRunner(transport: transport)
///     // ... every rank runs the same collectives ...
/// }
/// ```
public final class InProcessFabric: @unchecked Sendable {
    private struct Message {
        let source: Int, tag: Int
        let bytes: [UInt8]
    }

    private struct PostedReceive {
        let source: Int, tag: Int, request: Int
        let buffer: UnsafeMutableRawBufferPointer
    }

    /// Number of ranks.
    public let size: Int
    private let condition = NSCondition()
    private var unexpected: [[Message]]
    private var posted: [[PostedReceive]]
    private var completed = Set<Int>()
    private var nextRequest = 0

    public init(size: Int) {
        precondition(size > 0, "a fabric needs at least one rank")
        self.size = size
        unexpected = Array(repeating: [], count: size)
        posted = Array(repeating: [], count: size)
    }

    /// The endpoint of `rank`; give each to one thread.
    public func transport(rank: Int) -> InProcessTransport {
        precondition((0..<size).contains(rank), "rank \(rank) out of range")
        return InProcessTransport(fabric: self, rank: rank)
    }

    /// Runs `body` on `ranks` threads, one per rank, and returns when all have finished.
    public static func run(ranks: Int, _ body: @escaping @Sendable (InProcessTransport) -> Void) {
        let fabric = InProcessFabric(size: ranks)
        let group = DispatchGroup()
        for rank in 0..<ranks {
            group.enter()
            let transport = fabric.transport(rank: rank)
            let thread = Thread {
                body(transport)
                group.leave()
            }
            thread.stackSize = 1 << 20
            thread.start()
        }
        group.wait()
    }

    private func newRequest() -> Int {
        nextRequest += 1
        return nextRequest
    }

    func send(_ bytes: UnsafeRawBufferPointer, from source: Int, to destination: Int, tag: Int) -> TransportRequest {
        precondition((0..<size).contains(destination), "send to rank \(destination) of \(size)")
        condition.lock()
        defer { condition.unlock() }
        let id = newRequest()
        completed.insert(id)
        if let index = posted[destination].firstIndex(where: { $0.source == source && $0.tag == tag }) {
            let receive = posted[destination].remove(at: index)
            precondition(receive.buffer.count == bytes.count,
                         "message of \(bytes.count) bytes for a receive of \(receive.buffer.count) (tag \(tag))")
            if let base = bytes.baseAddress, bytes.count > 0 {
                receive.buffer.baseAddress!.copyMemory(from: base, byteCount: bytes.count)
            }
            completed.insert(receive.request)
            condition.broadcast()
        } else {
            unexpected[destination].append(Message(source: source, tag: tag, bytes: Array(bytes)))
        }
        return TransportRequest(id: id)
    }

    func receive(_ buffer: UnsafeMutableRawBufferPointer, at destination: Int, from source: Int, tag: Int) -> TransportRequest {
        precondition((0..<size).contains(source), "receive from rank \(source) of \(size)")
        condition.lock()
        defer { condition.unlock() }
        let id = newRequest()
        if let index = unexpected[destination].firstIndex(where: { $0.source == source && $0.tag == tag }) {
            let message = unexpected[destination].remove(at: index)
            precondition(buffer.count == message.bytes.count,
                         "message of \(message.bytes.count) bytes for a receive of \(buffer.count) (tag \(tag))")
            message.bytes.withUnsafeBytes { bytes in
                if let base = bytes.baseAddress, bytes.count > 0 {
                    buffer.baseAddress!.copyMemory(from: base, byteCount: bytes.count)
                }
            }
            completed.insert(id)
        } else {
            posted[destination].append(PostedReceive(source: source, tag: tag, request: id, buffer: buffer))
        }
        return TransportRequest(id: id)
    }

    func wait(_ requests: [TransportRequest]) {
        condition.lock()
        defer { condition.unlock() }
        while !requests.allSatisfy({ completed.contains($0.id) }) { condition.wait() }
        for request in requests { completed.remove(request.id) }
    }
}

/// One rank's endpoint of an ``InProcessFabric``.
public final class InProcessTransport: Transport, @unchecked Sendable {
    public let rank: Int
    public var size: Int { fabric.size }
    private let fabric: InProcessFabric

    init(fabric: InProcessFabric, rank: Int) {
        self.fabric = fabric
        self.rank = rank
    }

    public func isend(_ bytes: UnsafeRawBufferPointer, to peer: Int, tag: Int) -> TransportRequest {
        fabric.send(bytes, from: rank, to: peer, tag: tag)
    }

    public func irecv(_ bytes: UnsafeMutableRawBufferPointer, from peer: Int, tag: Int) -> TransportRequest {
        fabric.receive(bytes, at: rank, from: peer, tag: tag)
    }

    public func wait(_ requests: [TransportRequest]) { fabric.wait(requests) }
}
