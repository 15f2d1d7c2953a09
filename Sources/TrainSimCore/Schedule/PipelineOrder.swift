/// What a pipeline rank's compute stream runs, in order, for one step: forward and backward
/// passes of (micro-batch, virtual stage), as each schedule issues them.
///
/// - 1F1B (Narayanan et al. 2021; Megatron-LM `forward_backward_pipelining_without_interleaving`):
///   `min(p - r - 1, m)` warm-up forwards, then one forward and one backward, then the cool-down.
/// - Interleaved 1F1B (Megatron-LM `forward_backward_pipelining_with_interleaving`): virtual
///   micro-batches in groups of g per model chunk (g = p unless set), `2(p - r - 1) + (v - 1)g`
///   warm-up forwards.
/// - ZB-H1 (Qi et al. 2024): 1F1B order with the backward split into an input-gradient pass (B)
///   and a weight-gradient pass (W); W passes are deferred by the warm-up count and fill the
///   cool-down, so memory stays that of 1F1B.
/// - DualPipe (DeepSeek-AI, `dualpipe/dualpipe.py` `step`): two pipelines in opposite directions,
///   the eight phases of the reference implementation, forward and backward passes of two
///   micro-batches run as overlapped pairs in the main phase.
struct PipelineOrder: Sendable {
    enum Pass: UInt8, Sendable { case forward, backward, backwardInput, weight }

    /// One pass of one micro-batch through one virtual stage.
    struct Op: Sendable, Equatable {
        var pass: Pass
        var microBatch: Int32
        /// Virtual stage index: position in its pipeline (chunk x pp + rank for interleaved;
        /// for DualPipe, direction x pp + position).
        var virtualStage: Int32
        /// When set, this op and the next run as one overlapped pair (DualPipe, EP all-to-all overlap).
        var pairedWithNext = false
    }

    let pp: Int, vpp: Int, microBatches: Int
    let schedule: PipelineSchedule
    /// Interleaved: micro-batches per model chunk before the next chunk (pp, Megatron's default,
    /// unless the plan sets it).
    let group: Int

    init(pp: Int, vpp: Int, microBatches: Int, schedule: PipelineSchedule, group: Int? = nil) {
        self.pp = pp; self.vpp = vpp; self.microBatches = microBatches; self.schedule = schedule
        self.group = group ?? pp
    }

    /// Number of virtual stages of one pipeline (DualPipe: of one direction).
    var virtualStages: Int { schedule == .dualpipe ? pp : pp * vpp }

    /// The rank that runs a virtual stage.
    func owner(_ vs: Int) -> Int {
        if schedule == .dualpipe { return vs < pp ? vs : 2 * pp - 1 - vs }
        return vs % pp
    }

    /// The layer chunk (index into `StageLayout.chunks`) a virtual stage computes.
    func chunk(_ vs: Int) -> Int { schedule == .dualpipe ? vs % pp : vs }

    /// Whether the virtual stage is the first / last of its pipeline.
    func isFirst(_ vs: Int) -> Bool { schedule == .dualpipe ? vs % pp == 0 : vs == 0 }
    func isLast(_ vs: Int) -> Bool { schedule == .dualpipe ? vs % pp == pp - 1 : vs == pp * vpp - 1 }
    /// The next virtual stage downstream (nil at the end of the pipeline).
    func next(_ vs: Int) -> Int? { isLast(vs) ? nil : vs + 1 }
    func previous(_ vs: Int) -> Int? { isFirst(vs) ? nil : vs - 1 }

    /// The ops of rank r, in the order its compute stream issues them.
    func ops(rank r: Int, pairSteadyState: Bool) -> [Op] {
        switch schedule {
        case .oneFOneB: return oneFOneB(r, split: false, pair: pairSteadyState)
        case .zeroBubble: return oneFOneB(r, split: true, pair: false)
        case .interleaved: return interleaved(r, pair: pairSteadyState)
        case .dualpipe: return dualPipe(r)
        }
    }

    private func oneFOneB(_ r: Int, split: Bool, pair: Bool) -> [Op] {
        let m = microBatches, p = pp
        // Without a pipeline, pairing needs one forward ahead: the first forward runs alone, then
        // each forward is paired with the backward of the micro-batch before it, and the last
        // backward runs alone (Megatron-Core pipeline_parallel/combined_1f1b.py).
        let warm = min(p - r - 1 + (pair && p == 1 ? 1 : 0), m)
        var out: [Op] = []
        out.reserveCapacity(3 * m)
        var nf = 0, nb = 0, nw = 0
        func f() { out.append(Op(pass: .forward, microBatch: Int32(nf), virtualStage: Int32(r))); nf += 1 }
        func b() { out.append(Op(pass: split ? .backwardInput : .backward, microBatch: Int32(nb), virtualStage: Int32(r))); nb += 1 }
        func w() { out.append(Op(pass: .weight, microBatch: Int32(nw), virtualStage: Int32(r))); nw += 1 }
        for _ in 0..<warm { f() }
        while nf < m {
            if pair && nb < nf { out.append(Op(pass: .forward, microBatch: Int32(nf), virtualStage: Int32(r), pairedWithNext: true)); nf += 1 } else { f() }
            b()
            // ZB-H1: rank r holds back r weight passes, so that input gradients run ahead down the
            // pipeline and the held-back passes fill the end of the step, where the later ranks
            // would idle; every rank then keeps at most p micro-batches, 1F1B's peak. The bubble is
            // (p - 1)(F + B - 2W) with B the whole backward, a third of 1F1B's (p - 1)(F + B) when
            // F = B/2 = W (sail-sg/zero-bubble-pipeline-parallelism README; DualPipe's README table).
            if split && nb - nw > r { w() }
        }
        while nb < m {
            b()
            if split { w() }
        }
        while split && nw < m { w() }
        return out
    }

    /// Megatron's interleaved order (schedules.py `get_pp_rank_microbatches`): virtual micro-batch k
    /// runs model chunk (k / g) mod v (reversed for backward) on micro-batch (k / gv) g + k mod g.
    private func interleaved(_ r: Int, pair: Bool) -> [Op] {
        let m = microBatches, p = pp, v = vpp, g = group
        let total = m * v
        let warm = min(2 * (p - r - 1) + (v - 1) * g, total)
        func op(_ k: Int, forward: Bool) -> Op {
            var c = (k / g) % v
            if !forward { c = v - 1 - c }
            let mb = (k / (g * v)) * g + k % g
            return Op(pass: forward ? .forward : .backward, microBatch: Int32(mb), virtualStage: Int32(c * p + r))
        }
        var out: [Op] = []
        out.reserveCapacity(2 * total)
        var nf = 0, nb = 0
        for _ in 0..<warm { out.append(op(nf, forward: true)); nf += 1 }
        while nf < total {
            var o = op(nf, forward: true)
            o.pairedWithNext = pair
            out.append(o); nf += 1
            out.append(op(nb, forward: false)); nb += 1
        }
        while nb < total { out.append(op(nb, forward: false)); nb += 1 }
        return out
    }

    /// DualPipe's eight phases for rank r (`dualpipe.py` `DualPipe.step`). Phase 0 is the
    /// direction in which r is in the first half of the pipeline; m/2 micro-batches per direction.
    private func dualPipe(_ r: Int) -> [Op] {
        let n = pp, half = n / 2, m = microBatches / 2
        let secondHalf = r >= half
        let hr = min(r, n - 1 - r)
        // Virtual stage of direction d on this rank: direction 0 runs ranks 0..n-1, direction 1 n-1..0.
        func vs(_ phase: Int) -> Int32 {
            let d = phase ^ (secondHalf ? 1 : 0)
            return Int32(d == 0 ? r : n + (n - 1 - r))
        }
        var nf = [0, 0], nb = [0, 0]
        var pendingW: [(Int32, Int32)] = []
        var out: [Op] = []
        out.reserveCapacity(4 * microBatches)
        func base(_ phase: Int) -> Int32 { Int32((phase ^ (secondHalf ? 1 : 0)) * m) }
        func f(_ ph: Int, paired: Bool = false) {
            out.append(Op(pass: .forward, microBatch: base(ph) + Int32(nf[ph]), virtualStage: vs(ph), pairedWithNext: paired)); nf[ph] += 1
        }
        func b(_ ph: Int, zb: Bool) {
            let mb = base(ph) + Int32(nb[ph])
            out.append(Op(pass: zb ? .backwardInput : .backward, microBatch: mb, virtualStage: vs(ph))); nb[ph] += 1
            if zb { pendingW.append((mb, vs(ph))) }
        }
        func w() {
            guard !pendingW.isEmpty else { return }
            let (mb, v) = pendingW.removeFirst()
            out.append(Op(pass: .weight, microBatch: mb, virtualStage: v))
        }
        func fb(_ fph: Int, _ bph: Int) { f(fph, paired: true); b(bph, zb: false) }
        for _ in 0..<max(0, (half - hr - 1) * 2) { f(0) }                  // 1: nF0
        for _ in 0..<(hr + 1) { f(0); f(1) }                                 // 2: nF0F1
        for _ in 0..<max(0, half - hr - 1) { b(1, zb: true); w(); f(1) }     // 3: nB1W1F1
        let main = m - n + hr + 1
        for i in 0..<max(0, main) {                                          // 4: nF0B1F1B0
            if i == 0 && r == n - 1 { f(0); b(1, zb: false) } else { fb(0, 1) }
            fb(1, 0)
        }
        for _ in 0..<max(0, half - hr - 1) { b(1, zb: false); fb(1, 0) }    // 5: nB1F1B0
        var zb = false                                                       // 6: nB1B0
        let s6 = hr + 1
        for i in 0..<s6 {
            if i == s6 / 2 && hr % 2 == 1 { zb = true }
            b(1, zb: zb)
            if i == s6 / 2 && hr % 2 == 0 { zb = true }
            b(0, zb: zb)
        }
        for _ in 0..<max(0, half - hr - 1) { w(); b(0, zb: true) }           // 7: nWB0
        while !pendingW.isEmpty { w() }                                       // 8: nW
        return out
    }
}
