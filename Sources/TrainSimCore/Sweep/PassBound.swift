/// A lower bound of the step from the schedule's own order of passes: every rank's passes, in
/// the order its compute stream issues them (`PipelineOrder`), each taking at least its compute
/// (plus, for a pass that runs alone, the collectives its compute stream always waits for), a
/// forward starting no earlier than the same micro-batch's forward upstream has ended and a
/// backward no earlier than its backward downstream. This is the timeline with every collective
/// free except those waits and no link sharing: the timeline is a max-plus system (an operation
/// starts when its inputs and its stream's previous operation have ended), so shortening any
/// operation can only move every end earlier, and this bound never exceeds it. Unlike the closed
/// form it sees each schedule's real fill, drain and cool-down (DualPipe's phases, ZB-H1's
/// deferred weight passes).
///
/// An overlapped pair (DualPipe's forward-backward pairs, or a pair under EP all-to-all overlap)
/// runs its two passes' compute pieces interleaved on one stream: its first piece starts no
/// earlier than the earlier of the two inputs, each pass ends no earlier than its own input plus
/// what it would take alone (its compute and the collectives between its pieces: the other pass
/// only delays its operations), and the stream is busy for both computes plus the share of the
/// device that the pair's expert all-to-alls take from the compute beside them (`LinkSharing`'s
/// SM share).
struct PassBound {
    /// Per chunk (`PipelineOrder.chunk`): compute seconds of a forward, a full backward, and the
    /// weight-gradient part of the backward (a ZB-H1 W pass, with a margin up); seconds the compute stream waits on
    /// blocking collectives in a forward and a backward that run alone; seconds of the expert
    /// all-to-alls of a forward and a backward (alone).
    var forward: [Double], backward: [Double], weight: [Double]
    var waitForward: [Double], waitBackward: [Double]
    var expertForward: [Double], expertBackward: [Double]
    /// Share of the device's compute that an expert all-to-all takes while it runs.
    var smShare: Double

    /// The bound for `order` (0 if the order cannot be followed, which would be a bug in it).
    func seconds(order: PipelineOrder, pairSteadyState: Bool) -> Double {
        let pp = order.pp, m = order.microBatches
        let totalVS = order.virtualStages * (order.schedule == .dualpipe ? 2 : 1)
        guard m > 0 else { return 0 }
        let ops = (0..<pp).map { order.ops(rank: $0, pairSteadyState: pairSteadyState) }
        // End of each (virtual stage, micro-batch)'s forward and (input-)backward; -1: not yet.
        var fEnd = [Double](repeating: -1, count: totalVS * m), bEnd = fEnd
        var next = [Int](repeating: 0, count: pp), clock = [Double](repeating: 0, count: pp)
        var left = ops.reduce(0) { $0 + $1.count }
        /// When a pass's input is ready (nil: its producer has not been placed yet).
        func ready(_ op: PipelineOrder.Op) -> Double? {
            let vs = Int(op.virtualStage), mb = Int(op.microBatch)
            switch op.pass {
            case .forward:
                guard let p = order.previous(vs) else { return 0 }
                let t = fEnd[p * m + mb]
                return t < 0 ? nil : t
            case .backward, .backwardInput:
                guard let n = order.next(vs) else { return 0 }
                let t = bEnd[n * m + mb]
                return t < 0 ? nil : t
            case .weight: return 0
            }
        }
        func duration(_ op: PipelineOrder.Op, alone: Bool) -> Double {
            let c = order.chunk(Int(op.virtualStage))
            switch op.pass {
            case .forward: return forward[c] + (alone ? waitForward[c] : 0)
            case .backward: return backward[c] + (alone ? waitBackward[c] : 0)
            case .backwardInput: return max(0, backward[c] - weight[c]) + (alone ? waitBackward[c] : 0)
            // `weight` is the GEMMs' time with a 5 % margin up (see `BoundCache.passBound`); a W
            // pass counts that time with the margin down.
            case .weight: return weight[c] / (1.05 * 1.05)
            }
        }
        func expert(_ op: PipelineOrder.Op) -> Double {
            let c = order.chunk(Int(op.virtualStage))
            switch op.pass {
            case .forward: return expertForward[c]
            case .backward, .backwardInput: return expertBackward[c]
            case .weight: return 0
            }
        }
        func record(_ op: PipelineOrder.Op, _ t: Double) {
            let i = Int(op.virtualStage) * m + Int(op.microBatch)
            switch op.pass {
            case .forward: fEnd[i] = t
            case .backward, .backwardInput: bEnd[i] = t
            case .weight: break
            }
        }
        while left > 0 {
            var progressed = false
            for r in 0..<pp {
                let list = ops[r]
                while next[r] < list.count {
                    let k = next[r], a = list[k]
                    if a.pairedWithNext, k + 1 < list.count {
                        let b = list[k + 1]
                        guard let ra = ready(a), let rb = ready(b) else { break }
                        let start = max(clock[r], min(ra, rb))
                        let da = duration(a, alone: false), db = duration(b, alone: false)
                        // Each pass still runs its own pieces and the collectives between them in
                        // order: alone, from its input, it would take at least `alone: true`; beside
                        // the other pass its operations can only start later (the stream is shared,
                        // links too), so it ends no earlier.
                        let ea = max(start, ra) + duration(a, alone: true), eb = max(start, rb) + duration(b, alone: true)
                        record(a, ea)
                        record(b, eb)
                        clock[r] = max(start + da + db + smShare * (expert(a) + expert(b)), ea, eb)
                        next[r] += 2
                        left -= 2
                    } else {
                        guard let ra = ready(a) else { break }
                        let e = max(clock[r], ra) + duration(a, alone: true)
                        record(a, e)
                        clock[r] = e
                        next[r] += 1
                        left -= 1
                    }
                    progressed = true
                }
            }
            if !progressed { return 0 }
        }
        return clock.max() ?? 0
    }
}
