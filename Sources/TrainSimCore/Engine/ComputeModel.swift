/// Turns work into seconds on a device: GEMMs at the achieved efficiency for their size,
/// attention at the attention-kernel efficiency, memory-bound kernels at achieved HBM
/// bandwidth, plus a fixed cost per kernel launch.
public struct ComputeModel: Sendable {
    public let device: DeviceSpec
    public let precision: Precision
    /// Multiplies every peak (for invariance tests and what-if studies).
    public var flopsScale: Double = 1

    /// The software stack's share of the device's calibrated efficiency.
    public var frameworkFactor: Double = 1
    /// The share of the device's attention curve the stack's attention kernel reaches (`attentionKernel`).
    public var attentionKernelShare: Double = 1
    /// Bytes an fp8 run moves per element it casts for a GEMM (the stack's `fp8CastBytes`).
    public var fp8CastBytes: Double = 0
    /// The speed of the job's slowest device as a share of a typical one's: a synchronous step
    /// runs at its pace (`DeviceSpec.slowestShare(of:)`); 1 for one device or no spread.
    public var speedShare: Double = 1

    public init(device: DeviceSpec, precision: Precision) {
        self.device = device
        self.precision = precision
    }

    public init(experiment e: Experiment) {
        self.init(device: e.cluster.topology.device, precision: e.training.precision)
        frameworkFactor = e.training.framework.efficiency(on: e.cluster.topology.device.family)
        attentionKernelShare = e.cluster.topology.device.attentionShare(e.training.framework.attentionKernel)
        fp8CastBytes = e.training.framework.fp8CastBytes
        speedShare = e.cluster.topology.device.slowestShare(of: e.cluster.devices)
    }

    var gemmPeak: Double { device.peakFLOPs(precision) * flopsScale }
    /// GEMMs run in fp8: the run's precision, on a device with an fp8 peak.
    var fp8: Bool { precision == .fp8 && device.peakTFLOPs["fp8"] != nil }
    var gemmFactor: Double { fp8 ? device.fp8GemmEfficiencyFactor : 1 }
    /// Attention, and the GEMMs that are not fp8 linears (`staysBF16`), run in bf16 even in fp8 training.
    var bf16Peak: Double { device.peakFLOPs(.bf16) * flopsScale }

    public func gemmSeconds(_ g: GemmWork) -> Double {
        guard g.flops > 0 else { return 0 }
        let (peak, factor) = g.staysBF16 ? (bf16Peak, 1.0) : (gemmPeak, gemmFactor)
        return g.flops / (peak * device.gemmEfficiency(g.callFLOPs) * factor * frameworkFactor * g.efficiencyShare * speedShare)
    }

    public func attentionSeconds(_ flops: Double, callFLOPs: Double) -> Double {
        guard flops > 0 else { return 0 }
        return flops / (bf16Peak * device.attentionEfficiency(callFLOPs) * frameworkFactor * attentionKernelShare * speedShare)
    }

    public func memorySeconds(_ bytes: Double) -> Double {
        bytes / (device.hbmGBps * 1e9 * device.memoryBoundEfficiency * speedShare)
    }

    /// Forward seconds of a layer's work; `attentionCalls` is how many attention kernels
    /// share its attention FLOPs (micro-batch sequences), for the efficiency lookup.
    public func forwardSeconds(_ w: LayerWork, attentionCalls: Double) -> LayerTime {
        let g = w.gemms.reduce(0) { $0 + gemmSeconds($1) }
        let a: Double
        if w.attentionUnfused {
            // The score GEMMs in bf16, and softmax, mask and dropout through memory.
            var scores = GemmWork(flops: w.attentionFLOPs, callFLOPs: w.attentionCallFLOPs)
            scores.staysBF16 = true
            a = gemmSeconds(scores) + memorySeconds(w.attentionMemoryBytes)
        } else {
            a = attentionSeconds(w.attentionFLOPs, callFLOPs: w.attentionFLOPs / max(attentionCalls, 1))
        }
        let m = memorySeconds(w.memoryBytes)
        let k = w.kernels * device.kernelOverheadUs * 1e-6
        var t = LayerTime(gemm: g, attention: a, memory: m, overhead: k)
        t.host = w.hostSeconds
        if fp8 && fp8CastBytes > 0 {
            // Each fp8 GEMM's activation input is cast before its forward (read in bf16, written in
            // fp8 and transposed for the weight gradient), and its output's gradient before its backward.
            t.castForward = memorySeconds(fp8CastBytes * w.gemms.reduce(0) { $0 + ($1.staysBF16 ? 0 : $1.inputElements) })
            t.castBackward = memorySeconds(fp8CastBytes * w.gemms.reduce(0) { $0 + ($1.staysBF16 ? 0 : $1.outputElements) })
        }
        t.columnGemm = w.gemms.reduce(0) { $0 + ($1.columnParallel ? gemmSeconds($1) : 0) }
        return t
    }
}

/// Seconds of one layer's forward, by kind of kernel.
public struct LayerTime: Sendable, Equatable {
    public var gemm: Double, attention: Double, memory: Double, overhead: Double
    /// Forward seconds of the column-parallel GEMMs (part of `gemm`): their backward (dgrad and
    /// wgrad, twice this) is the window in which frameworks hide the backward TP collectives.
    public var columnGemm = 0.0
    /// Forward only: the device waits on the host (no backward counterpart).
    public var host = 0.0
    /// fp8 runs: casting the GEMMs' inputs (forward) and their outputs' gradients (backward).
    public var castForward = 0.0, castBackward = 0.0
    public init(gemm: Double, attention: Double, memory: Double, overhead: Double) {
        self.gemm = gemm; self.attention = attention; self.memory = memory; self.overhead = overhead
    }
    public var forward: Double { gemm + attention + memory + overhead + host + castForward }
    /// Backward: twice the GEMMs (input and weight gradients), 2.5x attention (flash attention
    /// recomputes scores), twice the memory-bound work, and the output gradients' fp8 casts.
    public var backward: Double { 2 * gemm + 2.5 * attention + 2 * memory + 2 * overhead + castBackward }
    public static let zero = LayerTime(gemm: 0, attention: 0, memory: 0, overhead: 0)
    public static func + (a: LayerTime, b: LayerTime) -> LayerTime {
        var t = LayerTime(gemm: a.gemm + b.gemm, attention: a.attention + b.attention, memory: a.memory + b.memory, overhead: a.overhead + b.overhead)
        t.columnGemm = a.columnGemm + b.columnGemm
        t.host = a.host + b.host
        t.castForward = a.castForward + b.castForward
        t.castBackward = a.castBackward + b.castBackward
        return t
    }
    public static func * (a: LayerTime, k: Double) -> LayerTime {
        var t = LayerTime(gemm: a.gemm * k, attention: a.attention * k, memory: a.memory * k, overhead: a.overhead * k)
        t.columnGemm = a.columnGemm * k
        t.host = a.host * k
        t.castForward = a.castForward * k
        t.castBackward = a.castBackward * k
        return t
    }
}
