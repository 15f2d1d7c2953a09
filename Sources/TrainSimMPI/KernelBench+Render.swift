import CollectiveKernels
import Foundation

extension KernelBench.Result {
    /// The goals of issue 5 that this run can check, as (description, ratio, target).
    public var goals: [(String, Double, Double)] {
        var goals: [(String, Double, Double)] = []
        for bytes in options.sizes {
            let size = KernelBench.sizeLabel(bytes)
            if let ours = find("fp32 sum", bytes: bytes), let mpi = find("MPI_Reduce_local fp32 sum", bytes: bytes) {
                goals.append(("fp32 sum vs MPI_Reduce_local, \(size)", mpi.seconds / ours.seconds, 1.0))
            }
            for type in [ElementType.bf16, .fp16] {
                if let half = find("\(type) sum", bytes: bytes), let single = find("fp32 sum", bytes: bytes) {
                    goals.append(("\(type) sum vs fp32 sum (bytes/s), \(size)", single.seconds / half.seconds, 0.8))
                }
            }
        }
        return goals
    }

    /// The nccl-tests-like text table: GB/s per kernel and size, with ratios to memcpy, to `MPI_Reduce_local`
    /// (fp32, same op) and to the fp32 kernel (same op).
    public func renderText() -> String {
        var lines: [String] = []
        let chosen = ElementType.allCases.map { "\($0) \(ReductionKernel.best(.sum, $0).isa)" }.joined(separator: ", ")
        lines.append("# trainsim bench kernels: dst op= src over unsafe buffers; GB/s = operand bytes per second of thread CPU time, best of \(options.trials) trials")
        lines.append("# kernel paths on this CPU: \(availablePaths.map(\.description).joined(separator: " ")); sums use \(chosen)")
        var header = "# " + "kernel".padding(toLength: 27, withPad: " ", startingAt: 0) + "path".padding(toLength: 11, withPad: " ", startingAt: 0)
        for bytes in options.sizes {
            header += "| " + "\(KernelBench.sizeLabel(bytes)):".padding(toLength: 9, withPad: " ", startingAt: 0)
            header += "GB/s  xmemcpy   xMPI  xfp32 "
        }
        lines.append(header)
        var names: [String] = []
        for m in measurements where !names.contains(m.name) { names.append(m.name) }
        for name in names {
            let any = measurements.first { $0.name == name }!
            var line = "  " + name.padding(toLength: 27, withPad: " ", startingAt: 0) + any.path.padding(toLength: 11, withPad: " ", startingAt: 0)
            for bytes in options.sizes {
                guard let m = find(name, bytes: bytes) else {
                    line += "| " + String(repeating: " ", count: 36)
                    continue
                }
                let memcpy = find("memcpy", bytes: bytes).map { $0.seconds / m.seconds }
                let mpi = m.op.flatMap { find("MPI_Reduce_local fp32 \($0)", bytes: bytes) }.map { $0.seconds / m.seconds }
                let fp32 = m.op.flatMap { find("fp32 \($0)", bytes: bytes) }.map { $0.seconds / m.seconds }
                line += "| " + KernelBench.pad(String(format: "%.2f", m.gigabytesPerSecond), 13)
                line += KernelBench.pad(memcpy.map { String(format: "%.2f", $0) } ?? "-", 8)
                line += KernelBench.pad(mpi.map { String(format: "%.2f", $0) } ?? "-", 7)
                line += KernelBench.pad(fp32.map { String(format: "%.2f", $0) } ?? "-", 7) + " "
            }
            lines.append(line)
        }
        lines.append("# goals (ratios from this run):")
        for (label, ratio, target) in goals {
            let verdict = ratio >= target ? "met" : "NOT met"
            lines.append("#   \(label.padding(toLength: 50, withPad: " ", startingAt: 0)) \(String(format: "%.2f", ratio))x (goal >= \(String(format: "%.1f", target))x) \(verdict)")
        }
        return lines.joined(separator: "\n") + "\n"
    }
}

extension KernelBench {
    static func sizeLabel(_ bytes: Int) -> String {
        if bytes >= 1 << 30 && bytes % (1 << 30) == 0 { return "\(bytes >> 30) GiB" }
        if bytes >= 1 << 20 && bytes % (1 << 20) == 0 { return "\(bytes >> 20) MiB" }
        if bytes >= 1 << 10 && bytes % (1 << 10) == 0 { return "\(bytes >> 10) KiB" }
        return "\(bytes) B"
    }

    static func pad(_ s: String, _ width: Int) -> String {
        s.count >= width ? s : String(repeating: " ", count: width - s.count) + s
    }
}
