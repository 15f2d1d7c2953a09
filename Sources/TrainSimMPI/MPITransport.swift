import CMPI
import CollectiveKernels

/// ``Transport`` over MPI nonblocking point-to-point (`MPI_Isend`, `MPI_Irecv`, `MPI_Waitall`) on a private
/// duplicate communicator, so the collective algorithms of ``CollectiveRunner`` run across MPI ranks.
///
/// Get one with ``MPIContext/makeTransport()``. Messages must be shorter than 2 GiB (``CollectiveRunner`` cuts
/// them into chunks well below that). Use a transport from one thread at a time.
public final class MPITransport: Transport {
    public let rank: Int
    public let size: Int
    let communicator: MPI_Comm
    private var requests: [MPI_Request?] = []
    private var freeSlots: [Int] = []
    private var batch: [MPI_Request?] = []

    init(duplicating parent: MPI_Comm) {
        (communicator, rank, size) = duplicateCommunicator(parent)
    }

    private func store(_ request: MPI_Request?) -> TransportRequest {
        if let slot = freeSlots.popLast() {
            requests[slot] = request
            return TransportRequest(id: slot)
        }
        requests.append(request)
        return TransportRequest(id: requests.count - 1)
    }

    public func isend(_ bytes: UnsafeRawBufferPointer, to peer: Int, tag: Int) -> TransportRequest {
        precondition(bytes.count < Int(Int32.max), "message of \(bytes.count) bytes is too large for one MPI send")
        var request: MPI_Request? = nil
        trainsim_MPI_Isend(bytes.baseAddress, Int32(bytes.count), trainsim_mpi_byte(), Int32(peer), Int32(tag), communicator, &request)
        return store(request)
    }

    public func irecv(_ bytes: UnsafeMutableRawBufferPointer, from peer: Int, tag: Int) -> TransportRequest {
        precondition(bytes.count < Int(Int32.max), "message of \(bytes.count) bytes is too large for one MPI receive")
        var request: MPI_Request? = nil
        trainsim_MPI_Irecv(bytes.baseAddress, Int32(bytes.count), trainsim_mpi_byte(), Int32(peer), Int32(tag), communicator, &request)
        return store(request)
    }

    public func wait(_ handles: [TransportRequest]) {
        if handles.count == 1 {
            let slot = handles[0].id
            trainsim_MPI_Wait(&requests[slot], trainsim_mpi_status_ignore())
            freeSlots.append(slot)
            return
        }
        batch.removeAll(keepingCapacity: true)
        for handle in handles { batch.append(requests[handle.id]) }
        trainsim_MPI_Waitall(Int32(batch.count), &batch, trainsim_mpi_statuses_ignore())
        for handle in handles { freeSlots.append(handle.id) }
    }

    /// The MPI library's own all-reduce on this transport's communicator (in place), for comparisons.
    public func libraryAllReduce(_ buffer: UnsafeMutableRawPointer, count: Int, type: ElementType, op: ReductionOp) {
        trainsim_MPI_Allreduce(trainsim_mpi_in_place(), buffer, Int32(count), Self.datatype(type), op == .sum ? trainsim_mpi_sum() : trainsim_mpi_max(), communicator)
    }

    /// The library's reduce-scatter with equal blocks of `countPerRank` (`MPI_Reduce_scatter_block`).
    public func libraryReduceScatter(send: UnsafeRawPointer, receive: UnsafeMutableRawPointer, countPerRank: Int, type: ElementType, op: ReductionOp) {
        trainsim_MPI_Reduce_scatter_block(send, receive, Int32(countPerRank), Self.datatype(type), op == .sum ? trainsim_mpi_sum() : trainsim_mpi_max(), communicator)
    }

    /// The library's all-gather of `countPerRank` elements per rank (in place: block `rank` of `buffer` is this rank's).
    public func libraryAllGather(_ buffer: UnsafeMutableRawPointer, countPerRank: Int, type: ElementType) {
        trainsim_MPI_Allgather(trainsim_mpi_in_place(), 0, trainsim_mpi_byte(), buffer, Int32(countPerRank), Self.datatype(type), communicator)
    }

    /// The library's all-to-all of `countPerRank` elements per pair.
    public func libraryAllToAll(send: UnsafeRawPointer, receive: UnsafeMutableRawPointer, countPerRank: Int, type: ElementType) {
        trainsim_MPI_Alltoall(send, Int32(countPerRank), Self.datatype(type), receive, Int32(countPerRank), Self.datatype(type), communicator)
    }

    /// Blocks until every rank of the transport's group has called it.
    public func barrier() { trainsim_MPI_Barrier(communicator) }

    /// MPI has no bf16 or fp16 type: the library collectives here handle fp32 only.
    static func datatype(_ type: ElementType) -> MPI_Datatype {
        precondition(type == .fp32, "the MPI library has no \(type) reductions")
        return trainsim_mpi_float()
    }
}

/// A private copy of `parent` (so its messages never match anyone else's), with this process's
/// rank and the group's size in it.
func duplicateCommunicator(_ parent: MPI_Comm) -> (MPI_Comm, Int, Int) {
    var comm: MPI_Comm? = nil
    trainsim_MPI_Comm_dup(parent, &comm)
    var r: Int32 = 0, s: Int32 = 0
    trainsim_MPI_Comm_rank(comm!, &r)
    trainsim_MPI_Comm_size(comm!, &s)
    return (comm!, Int(r), Int(s))
}
