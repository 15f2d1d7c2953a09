import Foundation
import TrainSimCore

/// Runs a plan search on every MPI rank as branch and bound with one search state, on rank 0.
///
/// Rank 0 walks the candidates in bound order (`SearchState.next`), pruning with every plan
/// simulated so far on any rank, and hands each candidate that survives to the next rank that
/// asks (a thread of its own answers them), while it simulates candidates itself between. The
/// other ranks only simulate: each asks for one candidate, returns its outcome with the next
/// request, and stops when none is left.
///
/// Why not a share of the order per rank (`WorkQueue`): almost every candidate is pruned in
/// microseconds and a few take a second to simulate, and the costly ones sit together in the
/// order, so whichever rank got their chunk did them all; and each rank pruned only with its
/// own plans, so it simulated candidates that another rank's plans would have pruned.
///
/// The answer is the same on any number of ranks: pruning drops only plans that cannot be in it,
/// whatever has been simulated when it prunes. The number of candidates simulated may vary.
public enum SearchOverMPI {
    static let requestTag = 7201, assignTag = 7202

    /// The search's state on rank 0 (complete: every candidate simulated or pruned); nil on the
    /// other ranks. `progress` is told, on rank 0, how many positions of the order were passed.
    public static func run(_ search: PlanSearch, pruning: Bool, mpi: MPIContext?, progress: @escaping (Int) -> Void = { _ in }) -> SearchState? {
        guard let mpi, mpi.size > 1 else { return SearchState.complete(search, pruning: pruning, progress: progress) }
        guard mpi.isRoot else {
            simulate(search, mpi)
            return nil
        }
        let shared = Shared(state: SearchState(search), progress: progress)
        let answered = DispatchSemaphore(value: 0)
        let thread = Thread { [mpi] in
            shared.answer(mpi, search: search, pruning: pruning)
            answered.signal()
        }
        thread.start()
        while let id = shared.next(search, pruning: pruning, finished: nil) {
            let outcome = search.evaluate(id)
            shared.record(id, outcome, search)
        }
        answered.wait()
        return shared.finalState()
    }

    /// A rank other than 0: simulates the candidates it is given until told to stop (-1). It asks
    /// for its next candidate before it simulates the one in hand, so that the answer is waiting
    /// when it finishes (rank 0's answering thread may take a millisecond to wake); each request
    /// after the first two carries the outcome of the candidate just simulated. Told to stop, it
    /// sends its last outcome, which needs no answer.
    private static func simulate(_ search: PlanSearch, _ mpi: MPIContext) {
        func receive() -> Int { WorkQueue.decodeIndices(mpi.receivePatiently(from: 0, tag: assignTag).data).first ?? -1 }
        mpi.send(Data(), to: 0, tag: requestTag)
        var id = receive()
        guard id >= 0 else { return }
        mpi.send(Data(), to: 0, tag: requestTag)
        while true {
            let outcome = WorkQueue.encode(encode(id, search.evaluate(id)))
            let next = receive()
            mpi.send(outcome, to: 0, tag: requestTag)
            guard next >= 0 else { return }
            id = next
        }
    }

    /// An outcome as numbers: id, kind (0 invalid, 1 out of memory, 2 scored), seconds, cost.
    static func encode(_ id: Int, _ o: PlanSearch.Outcome) -> [Double] {
        switch o {
        case .invalid: return [Double(id), 0, 0, 0]
        case .outOfMemory: return [Double(id), 1, 0, 0]
        case let .scored(p): return [Double(id), 2, p.seconds, p.cost]
        }
    }

    static func decode(_ v: [Double]) -> (Int, PlanSearch.Outcome)? {
        guard v.count == 4 else { return nil }
        let id = Int(v[0])
        switch v[1] {
        case 0: return (id, .invalid)
        case 1: return (id, .outOfMemory)
        default: return (id, .scored(ScoredPlan(id: id, seconds: v[2], cost: v[3])))
        }
    }

    /// Rank 0's state, shared by its simulating thread and the thread that answers the others.
    private final class Shared: @unchecked Sendable {
        let lock = NSLock()
        private var state: SearchState
        private var passed = 0
        private var progress: (Int) -> Void

        init(state: SearchState, progress: @escaping (Int) -> Void) { self.state = state; self.progress = progress }

        /// The next candidate to simulate (after recording `finished`, an outcome from another rank).
        func next(_ search: PlanSearch, pruning: Bool, finished: (Int, PlanSearch.Outcome)?) -> Int? {
            lock.lock(); defer { lock.unlock() }
            if let (id, outcome) = finished { state.record(id, outcome, in: search) }
            let id = state.next(in: search, pruning: pruning)
            progress(state.cursor - passed)
            passed = state.cursor
            return id
        }

        func record(_ id: Int, _ outcome: PlanSearch.Outcome, _ search: PlanSearch) {
            lock.lock(); defer { lock.unlock() }
            state.record(id, outcome, in: search)
        }

        func finalState() -> SearchState {
            lock.lock(); defer { lock.unlock() }
            progress = { _ in }
            return state
        }

        /// Answers the other ranks until each has been told to stop and has returned its last outcome
        /// (a rank told to stop while it still holds a candidate sends that one's outcome after).
        func answer(_ mpi: MPIContext, search: PlanSearch, pruning: Bool) {
            var running = mpi.size - 1
            var stopped = [Bool](repeating: false, count: mpi.size), holding = [Bool](repeating: false, count: mpi.size)
            while running > 0 {
                let message = mpi.receivePatiently(tag: SearchOverMPI.requestTag)
                let r = message.source
                let finished = SearchOverMPI.decode(WorkQueue.decodeDoubles(message.data))
                if stopped[r] {
                    if let (id, outcome) = finished { record(id, outcome, search) }
                    running -= 1
                    continue
                }
                let id = next(search, pruning: pruning, finished: finished)
                mpi.send(WorkQueue.encode([id ?? -1]), to: r, tag: SearchOverMPI.assignTag)
                if id == nil {
                    stopped[r] = true
                    // A rank stopped before it held a candidate sends nothing more.
                    if !holding[r] { running -= 1 }
                }
                holding[r] = id != nil
            }
        }
    }
}
