import Foundation

/// One accelerator: peaks, memory, power, and the achieved-efficiency data that turns peaks
/// into kernel times. Read from `Topologies/devices/NAME.json`; every figure carries its source.
public struct DeviceSpec: Sendable, Equatable {
    public var id: String
    public var name: String
    public var vendor: String
    /// The chip whose compute description the part uses (`devices/silicon/NAME.json`), if named.
    public var silicon: String? = nil
    /// The device family reports group by: the silicon, or the part itself.
    public var family: String { silicon ?? id }
    /// Dense peak TFLOP/s by precision ("bf16", "fp16", "fp8").
    public var peakTFLOPs: [String: Double]
    public var hbmGiB: Double
    public var hbmGBps: Double
    public var tdpWatts: Double
    /// Average board power as a fraction of TDP while training at full load.
    public var trainingPowerFraction: Double
    /// GEMM efficiency (fraction of peak) by the GEMM's FLOP count.
    public var gemmEfficiency: EfficiencyCurve
    /// Extra factor on GEMM efficiency in fp8 (fp8 kernels reach a smaller share of their peak).
    public var fp8GemmEfficiencyFactor: Double
    /// Attention kernel (flash attention) efficiency by FLOPs per kernel.
    public var attentionEfficiency: EfficiencyCurve
    /// Fraction of HBM bandwidth that memory-bound kernels reach.
    public var memoryBoundEfficiency: Double
    /// Elementwise passes over the hidden state per layer forward (norms, residuals, dropout,
    /// rotary), in units of tokens x hidden x 2 bytes: a property of the framework's kernel fusion.
    public var elementwisePasses: Double
    /// Fixed cost per kernel launch, in microseconds.
    public var kernelOverheadUs: Double
    /// Memory reserved by the runtime and allocator fragmentation, GiB.
    public var reservedGiB: Double
    /// Fraction of the device's compute units that overlapped EP all-to-all kernels (DeepEP-style)
    /// occupy: the compute beside them runs that much slower on the timeline. (How much traffic is
    /// hidden is not a device figure: it is whatever the step's timeline overlaps.)
    public var overlapSMFraction: Double
    /// Standard deviation of a device's sustained speed across the parts of a fleet, as a share of
    /// the mean (`efficiency.speedSpread`; 0 where the file gives none).
    public var speedSpread: Double = 0
    /// The expected speed of the slowest of `devices` devices as a share of the mean: a synchronous
    /// step waits for it at every collective that joins them. 1 for one device.
    public func slowestShare(of devices: Int) -> Double {
        max(0.5, 1 - speedSpread * NormalOrderStatistics.expectedMaximum(of: devices))
    }
    /// The share of `attentionEfficiency` other attention kernels reach on this silicon, by the
    /// stack's `attentionKernel` ("flash2", "flex", "fa3"); the curve is the "fused" kernel's, so absent
    /// kernels and "fused" take 1.
    public var attentionKernelShares: [String: Double] = [:]
    public func attentionShare(_ kernel: String) -> Double { attentionKernelShares[kernel] ?? 1 }
    /// Every figure's source, keyed by field name, for reports.
    public var sources: [String: String]
    /// Rental price per device-hour and purchase price per device, USD (`prices` in the device
    /// file, each with its source), when known.
    public var rentalPerHourUSD: Double? = nil
    public var capitalUSD: Double? = nil
    /// The stack an experiment on this part runs when it names none (`defaultStack`: MindSpeed on
    /// Ascend, where Megatron-Core runs only through its patches); nil: the reference stack.
    public var defaultStack: String? = nil

    public func peakFLOPs(_ precision: Precision) -> Double {
        (peakTFLOPs[precision.rawValue] ?? peakTFLOPs["bf16"] ?? 0) * 1e12
    }
}

extension DeviceSpec {
    /// Loads a device by id (e.g. "h800") or path. A device file that names its `silicon` takes
    /// its peaks and efficiency data from that chip's file (`devices/silicon/NAME.json`), so a
    /// figure fitted on one part applies to every part made of the same chip.
    public static func load(_ reference: String, relativeTo: URL?, referencedFrom: String?, keyPath: String) throws(TrainSimError) -> DeviceSpec {
        try DecodedFiles.memo("device", [reference, relativeTo?.path, referencedFrom, keyPath]) { () throws(TrainSimError) -> DeviceSpec in
            try loadFile(reference, relativeTo: relativeTo, referencedFrom: referencedFrom, keyPath: keyPath)
        }
    }

    static func loadFile(_ reference: String, relativeTo: URL?, referencedFrom: String?, keyPath: String) throws(TrainSimError) -> DeviceSpec {
        let url = try DataLocator.locate(reference, kind: "device", subfolder: "devices", folder: "Topologies/devices",
                                         relativeTo: relativeTo, referencedFrom: referencedFrom, keyPath: keyPath, byName: true)
        do throws(TrainSimError) {
            var json = try DataLocator.readJSON(url, displayName: url.path)
            if case let .object(pairs) = json, let k = pairs.firstIndex(where: { $0.0 == "silicon" }) {
                guard case let .string(chip) = pairs[k].1, !chip.isEmpty else {
                    throw TrainSimError(file: url.path, path: "silicon", "expected the name of a silicon file")
                }
                if let clash = pairs.first(where: { $0.0 == "peakTFLOPs" || $0.0 == "efficiency" }) {
                    throw TrainSimError(file: url.path, path: clash.0, "is set by the silicon file \"\(chip)\"; a part names its silicon or describes its compute, not both")
                }
                let sURL = try DataLocator.locate(chip, kind: "silicon", subfolder: "silicon", folder: "Topologies/devices/silicon",
                                                  relativeTo: url.deletingLastPathComponent(), referencedFrom: url.path, keyPath: "silicon")
                let chipJSON = try DataLocator.readJSON(sURL, displayName: sURL.path)
                let compute = try Silicon.compute(chipJSON, file: sURL.path)
                var merged = pairs
                merged.remove(at: k)
                merged += compute
                json = .object(merged)
                var d = try decode(json, id: url.deletingPathExtension().lastPathComponent, file: url.path)
                d.silicon = sURL.deletingPathExtension().lastPathComponent
                return d
            }
            return try decode(json, id: url.deletingPathExtension().lastPathComponent, file: url.path)
        } catch {
            throw error.referenced(as: reference, innerFile: url.path, from: referencedFrom, keyPath: keyPath)
        }
    }

    public static func decode(_ json: JSONValue, id: String, file: String?) throws(TrainSimError) -> DeviceSpec {
        let r = try ObjectReader(json, path: "", file: file)
        _ = try r.int("schemaVersion", in: 1...1)
        let name = try r.requiredString("name")
        let vendor = try r.string("vendor") ?? ""
        _ = try r.string("description")
        var sources: [String: String] = [:]
        func note(_ k: String, _ s: Sourced) -> Double {
            if let src = s.source { sources[k] = src + (s.confidence.map { " [\($0)]" } ?? "") }
            return s.value
        }
        let peaks = try r.requiredObject("peakTFLOPs")
        var peak: [String: Double] = [:]
        for p in ["bf16", "fp16", "fp8"] {
            if let s = try peaks.sourced(p, in: 0.1...1e5, positive: true) { peak[p] = note("peakTFLOPs." + p, s) }
        }
        try peaks.finish()
        guard peak["bf16"] != nil || peak["fp16"] != nil else { throw peaks.error("bf16", "missing required key") }
        if peak["bf16"] == nil { peak["bf16"] = peak["fp16"] }
        if peak["fp16"] == nil { peak["fp16"] = peak["bf16"] }
        let hbm = note("hbmGiB", try r.requiredSourced("hbmGiB", in: 1...4096, positive: true))
        let hbmBW = note("hbmGBps", try r.requiredSourced("hbmGBps", in: 1...1e6, positive: true))
        let tdp = note("tdpWatts", try r.requiredSourced("tdpWatts", in: 1...1e5, positive: true))
        let powerFrac = note("trainingPowerFraction", try r.sourced("trainingPowerFraction", in: 0.05...1.0) ?? Sourced(value: 0.8))
        let eff = try r.requiredObject("efficiency")
        guard let gemm = try EfficiencyCurve.read(eff, "gemm") else { throw eff.error("gemm", "missing required key") }
        if let s = gemm.source { sources["efficiency.gemm"] = s }
        let attn = try EfficiencyCurve.read(eff, "attention") ?? gemm
        if let s = attn.source { sources["efficiency.attention"] = s }
        let fp8f = note("efficiency.fp8GemmFactor", try eff.sourced("fp8GemmFactor", in: 0.05...1) ?? Sourced(value: 0.7))
        let mem = note("efficiency.memoryBound", try eff.sourced("memoryBound", in: 0.05...1) ?? Sourced(value: 0.7))
        let passes = note("efficiency.elementwisePasses", try eff.sourced("elementwisePasses", in: 0...200) ?? Sourced(value: 16))
        let launch = note("efficiency.kernelOverheadUs", try eff.sourced("kernelOverheadUs", in: 0...1000) ?? Sourced(value: 5))
        let smFrac = note("efficiency.overlapSMFraction", try eff.sourced("overlapSMFraction", in: 0...0.9) ?? Sourced(value: 0))
        let spread = note("efficiency.speedSpread", try eff.sourced("speedSpread", in: 0...0.1) ?? Sourced(value: 0))
        var kernelShares: [String: Double] = [:]
        if let k = try eff.object("attentionKernels") {
            for kernel in FrameworkSpec.attentionKernels where kernel != "fused" {
                if let v = try k.sourced(kernel, in: 0.05...2, positive: true) { kernelShares[kernel] = note("efficiency.attentionKernels." + kernel, v) }
            }
            try k.finish()
        }
        try eff.finish()
        let reserved = note("reservedGiB", try r.sourced("reservedGiB", in: 0...512) ?? Sourced(value: 2))
        var rental: Double?, capital: Double?
        if let pr = try r.object("prices") {
            rental = try pr.sourced("rentalPerHourUSD", in: 0...1e4).map { note("prices.rentalPerHourUSD", $0) }
            capital = try pr.sourced("capitalUSD", in: 0...1e8).map { note("prices.capitalUSD", $0) }
            try pr.finish()
        }
        var stack: String?
        if let st = try r.sourcedString("defaultStack") {
            guard !st.value.isEmpty else { throw r.error("defaultStack", "expected the id of a stack file") }
            stack = st.value
            if let s = st.source { sources["defaultStack"] = s }
        }
        try r.finish()
        var d = DeviceSpec(
            id: id, name: name, vendor: vendor, peakTFLOPs: peak, hbmGiB: hbm, hbmGBps: hbmBW, tdpWatts: tdp,
            trainingPowerFraction: powerFrac, gemmEfficiency: gemm, fp8GemmEfficiencyFactor: fp8f,
            attentionEfficiency: attn, memoryBoundEfficiency: mem, elementwisePasses: passes, kernelOverheadUs: launch, reservedGiB: reserved,
            overlapSMFraction: smFrac, sources: sources)
        d.attentionKernelShares = kernelShares
        d.speedSpread = spread
        d.rentalPerHourUSD = rental
        d.capitalUSD = capital
        d.defaultStack = stack
        return d
    }
}
