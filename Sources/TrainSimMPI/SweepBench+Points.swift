import Foundation
import TrainSimCore

/// `trainsim bench sweep`'s sweep figures, on Experiments/sweep-bench-llama3-70b.json (25,920
/// points): points per CPU-second on one core, the new path against the old one (every point
/// re-reads its files and decodes its document from scratch) in the same run; the wall and
/// busiest-rank CPU time of 1 and 2 ranks under mpirun on all its points (the issue's 25,920-point sweep,
/// long enough that starting the processes, measured beside it, is a few per cent of it); and
/// the peak memory of a 10,000-point and a 1,000,000-point sweep run by the binary.
extension SweepBench {
    public static var sweepExperiment: String? {
        DataLocator.home.map { $0.appendingPathComponent("Experiments/sweep-bench-llama3-70b.json").path }
    }

    public static func points(binary: String?, trials: Int = 2, memory: Bool = true) -> String {
        guard let path = sweepExperiment else { return "sweep bench: cannot find Experiments/sweep-bench-llama3-70b.json\n" }
        var out = "sweep points (\(path))\n"
        let plan: SweepPlan
        do { plan = try SweepPlan.load(path: path) } catch { return out + "  failed: \(error)\n" }
        // The new path, as the sweep verb runs it: evaluate, encode and seal every point.
        let evaluator = SweepEvaluator(plan)
        var bytes = 0, works = 0
        var kept: [String] = []
        var keepTime = 0.0
        let t0 = KernelBench.threadCPUTime()
        for i in 0..<plan.count {
            let p = evaluator.evaluate(i)
            if p.status == .ok { works += 1 }
            bytes += SweepTally.encode(p, experiment: "0123456789abcdef").count
            // Every 4th point's line, for the rendering figure below (kept outside the timing).
            if i % 4 == 0 {
                let k = KernelBench.threadCPUTime()
                kept.append(SweepJournal.seal(p.jsonLine, experiment: "0123456789abcdef"))
                keepTime += KernelBench.threadCPUTime() - k
            }
        }
        let sweepCPU = max(KernelBench.threadCPUTime() - t0 - keepTime, 1e-9)
        let fast = Double(plan.count) / sweepCPU
        // The old path on every 13th point (each re-reads and decodes its files).
        let sample = Array(stride(from: 0, to: plan.count, by: 13))
        let t1 = KernelBench.threadCPUTime()
        for i in sample { _ = SweepJournal.seal(plan.evaluate(i).jsonLine, experiment: "0123456789abcdef") }
        let slow = Double(sample.count) / max(KernelBench.threadCPUTime() - t1, 1e-9)
        out += "  one core, analytical network: \(Int(fast.rounded())) points per CPU-second over all \(plan.count) points "
            + "(\(works) work; \(bytes / plan.count) bytes of JSON a point; \(evaluator.timelineHits) steps reused a timeline simulated before); the old path (files re-read and re-decoded per point, "
            + "every 13th point): \(Int(slow.rounded())) per CPU-second: \(String(format: "%.1f", fast / slow))x\n"
        // Timeline plans per CPU-second on this sweep (issue 11's figure): the steps it simulated
        // over the whole sweep's CPU time (reading, checking and writing the points included), and
        // what a step costs in operations, which is what sets it.
        let steps = evaluator.timelineSteps, ops = evaluator.timelineOperations
        out += "  timeline plans: \(steps) steps simulated (and \(evaluator.timelineHits) reused) over the sweep's \(String(format: "%.2f", sweepCPU)) CPU-s: "
            + "\(Int((Double(steps) / sweepCPU).rounded())) timeline plans per CPU-second; \(ops / max(steps, 1)) operations a step on average, "
            + "\(String(format: "%.0f", 1e9 * sweepCPU / Double(max(ops, 1)))) ns of the sweep's CPU time per operation\n"

        // The same points with `--skip-out-of-memory`: those that do not fit are not simulated.
        let skipping = SweepEvaluator(plan)
        skipping.skipOutOfMemory = true
        let t2 = KernelBench.threadCPUTime()
        for i in 0..<plan.count { _ = SweepTally.encode(skipping.evaluate(i), experiment: "0123456789abcdef") }
        let skipRate = Double(plan.count) / max(KernelBench.threadCPUTime() - t2, 1e-9)
        out += "  with --skip-out-of-memory (points that do not fit are not simulated): \(Int(skipRate.rounded())) points per CPU-second: "
            + "\(String(format: "%.1f", skipRate / fast))x the full sweep\n"

        out += render(kept, plan: plan)

        guard let binary else { return out }
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("trainsim-sweep-bench-\(getpid())")
        try? FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        if let mpirun = findMPIRun(), let big = variant(plan, dir: dir, name: "ranks", first: []) {
            let args = ["sweep", big.path, "--format", "json", "--timing"]
            func fastest(_ np: Int) -> (seconds: Double, cpu: Double, output: Data)? {
                let runs = (0..<max(1, trials)).compactMap { _ in time(mpirun, ["-np", String(np), binary] + args) }
                guard let best = runs.min(by: { $0.seconds < $1.seconds }) else { return nil }
                return (best.seconds, runs.map(\.busiestCPU).min()!, best.output)
            }
            if let one = fastest(1), let two = fastest(2) {
                // Starting the processes: the fastest of three `mpirun -np 2 trainsim --version`.
                let start = (0..<3).compactMap { _ in time(mpirun, ["-np", "2", binary, "--version"])?.seconds }.min() ?? .nan
                out += "  \(big.count)-point sweep (the one above, every point; starting 2 processes under mpirun, "
                    + "\(String(format: "%.2f", start)) s, is \(String(format: "%.0f", 100 * start / max(one.seconds, 1e-9))) % of 1 rank's wall time) "
                    + "under mpirun, fastest of \(trials) (load average \(loadAverage)): wall 1 rank "
                    + "\(String(format: "%.2f", one.seconds)) s, 2 ranks \(String(format: "%.2f", two.seconds)) s: "
                    + "\(String(format: "%.2f", one.seconds / two.seconds))x; CPU of the busiest rank \(String(format: "%.2f", one.cpu)) s vs "
                    + "\(String(format: "%.2f", two.cpu)) s: \(String(format: "%.2f", one.cpu / max(two.cpu, 1e-9)))x; "
                    + "outputs \(one.output == two.output ? "byte-identical" : "DIFFER") (\(one.output.count) bytes)\n"
                // What the machine allows: two independent 1-rank sweeps side by side, each against
                // one alone. Shared caches, memory bandwidth or a host that backs both vCPUs with one
                // core slow each; 2 ranks cannot beat that however the work is shared.
                if let pair = sideBySide(mpirun, ["-np", "1", binary] + args) {
                    let ceiling = 2 * one.cpu / max(pair[0], pair[1], 1e-9)
                    out += "  the machine's own ceiling: two 1-rank sweeps side by side took \(String(format: "%.2f", pair[0])) and "
                        + "\(String(format: "%.2f", pair[1])) CPU-s against \(String(format: "%.2f", one.cpu)) alone, so 2 ranks can gain at most "
                        + "\(String(format: "%.2f", ceiling))x here; the 2-rank run reached \(String(format: "%.0f", 100 * (one.cpu / max(two.cpu, 1e-9)) / max(ceiling, 1e-9))) % of it\n"
                }
                // Rank 0's time after the last point: CSV lines are made by the ranks that computed the
                // points (rank 0 copies them out); a text table is rendered by rank 0 from the short
                // lines those ranks made for it (`SweepOutput.tableLine`).
                var tails: [String] = []
                for format in ["csv", "text"] {
                    guard let r = timed(mpirun, ["-np", "2", binary, "sweep", big.path, "--format", format, "--timing"]) else { continue }
                    tails.append("--format \(format) \(String(format: "%.2f", r.seconds - r.pointsSeconds)) s after \(String(format: "%.2f", r.pointsSeconds)) s of points")
                }
                if !tails.isEmpty {
                    out += "  the same on 2 ranks, the wall time after the last point (rank 0 writing the output, and mpirun's exit): "
                        + tails.joined(separator: "; ") + "\n"
                }
            } else {
                out += "  mpirun speedup: could not run \(mpirun)\n"
            }
        }
        if memory {
            // 400 plans x a PUE axis: 10,000 and 1,000,000 points to a pipe that is drained, as JSON
            // lines (streamed as written) and as CSV (rendered from the journal read back from disk).
            for format in ["json", "csv"] {
                var rss: [(Int, Int, Double)] = []
                for n in [25, 2500] {
                    let pue = (0..<n).map { 1 + 1.5 * Double($0) / Double(n) }
                    guard let f = memoryVariant(plan, dir: dir, pue: pue), let r = peakMemory(binary, ["sweep", f.path, "--format", format]) else { continue }
                    rss.append((f.count, r.kilobytes, r.seconds))
                }
                if rss.count == 2 {
                    out += "  peak memory (VmHWM of the sweep process, --format \(format) to a pipe): \(rss[0].0) points \(rss[0].1 / 1024) MB "
                        + "(\(String(format: "%.1f", rss[0].2)) s), \(rss[1].0) points \(rss[1].1 / 1024) MB (\(String(format: "%.1f", rss[1].2)) s): "
                        + "\(String(format: "%.2f", Double(rss[1].1) / Double(max(rss[0].1, 1))))x\n"
                }
            }
        }
        return out
    }

    /// Rank 0's share after the points, in the same run: a text table (with its topology tables)
    /// rendered from the lines the computing ranks make for it (`SweepOutput.tableLine`: each
    /// point's row formatted, what rank 0 reads since stop 46) against rendering it from the
    /// journal's lines, as rank 0 did before stop 45; and CSV rendered from journal lines read
    /// with `SweepOutput.projection` (a resumed sweep's finished points) against reading every
    /// line whole.
    static func render(_ lines: [String], plan: SweepPlan) -> String {
        func seconds(_ body: () throws -> Void) -> Double {
            let t = KernelBench.threadCPUTime()
            try? body()
            return KernelBench.threadCPUTime() - t
        }
        func rate(_ s: Double) -> Int { Int((Double(lines.count) / max(s, 1e-9)).rounded()) }
        let bytes = lines.map { Array($0.utf8.dropLast()) }
        let reports = SweepOutput.comparesTopologies(plan)
        let tableBytes = bytes.compactMap { b in (try? SweepPoint(bytes: b[...])).map { Array(SweepOutput.tableLine($0, reports: reports).utf8.dropLast()) } }
        /// The lines read as rank 0 reads them (only what the tables show, or whole) and rendered:
        /// CPU seconds and the output.
        func rendered(_ input: [[UInt8]], _ format: ReportFormat, projected: Bool = true) -> (seconds: Double, output: String) {
            var out = ""
            let s = seconds {
                try SweepOutput.write({ body in
                    for b in input { try body(try SweepPoint(bytes: b[...], keeping: projected ? SweepOutput.projection : nil)) }
                }, plan: plan, format: format) { out += $0 }
            }
            return (s, out)
        }
        func ratio(_ slow: Double, _ fast: Double, _ same: Bool) -> String {
            String(format: "%.1f", slow / max(fast, 1e-9)) + "x" + (same ? ", identical" : " (OUTPUTS DIFFER)")
        }
        // Text: from the table lines (as TableLineReader reads them: each a point's table entry)
        // against from the journal's lines.
        let fromJournal = rendered(bytes, .text)
        var fromTableLines = (seconds: 0.0, output: "")
        fromTableLines.seconds = seconds {
            try SweepOutput.writeTable({ body in for b in tableBytes { try body(try SweepOutput.TableEntry(line: b[...])) } },
                                       plan: plan, markdown: false) { fromTableLines.output += $0 }
        }
        // CSV from the journal (a resumed sweep's finished points): projected against whole.
        let whole = rendered(bytes, .csv, projected: false), projected = rendered(bytes, .csv)
        let figures = [
            "text \(rate(fromTableLines.seconds)) lines per CPU-second from the lines the ranks make for it "
                + "(\(tableBytes.reduce(0) { $0 + $1.count } / max(tableBytes.count, 1)) bytes each), from the journal's lines \(rate(fromJournal.seconds)): "
                + ratio(fromJournal.seconds, fromTableLines.seconds, fromJournal.output == fromTableLines.output),
            "csv from journal lines (a resumed sweep's) \(rate(projected.seconds)) lines per CPU-second, reading each line whole \(rate(whole.seconds)): "
                + ratio(whole.seconds, projected.seconds, whole.output == projected.output),
        ]
        return "  rendering on rank 0 (every 4th point's line, \(lines.count) lines, \(bytes.reduce(0) { $0 + $1.count } / max(lines.count, 1)) bytes each): "
            + figures.joined(separator: "; ") + "\n"
    }

    /// The busiest-rank CPU seconds of two runs of the same command started together; nil if either failed.
    static func sideBySide(_ exe: String, _ args: [String]) -> [Double]? {
        final class Results: @unchecked Sendable {
            let lock = NSLock()
            var cpu = [Double](repeating: .nan, count: 2)
        }
        let results = Results()
        DispatchQueue.concurrentPerform(iterations: 2) { k in
            let r = time(exe, args)
            results.lock.lock(); results.cpu[k] = r?.busiestCPU ?? .nan; results.lock.unlock()
        }
        return results.cpu.allSatisfy { $0.isFinite } ? results.cpu : nil
    }

    /// The bench sweep with the axes named in `first` cut to their first value, written to `dir`.
    static func variant(_ plan: SweepPlan, dir: URL, name: String, first: [String]) -> (path: String, count: Int)? {
        let axes = plan.axes.map { ($0.path, first.contains($0.path) ? Array($0.values.prefix(1)) : $0.values) }
        let doc = plan.base.setting(["sweep"], to: .object(axes.map { ($0.0, JSONValue.array($0.1)) }))
        return write(doc, dir: dir, name: name, count: axes.reduce(1) { $0 * $1.1.count })
    }

    /// 400 plans (tp, pp, ZeRO, micro-batch) on one cluster, times the PUE values.
    static func memoryVariant(_ plan: SweepPlan, dir: URL, pue: [Double]) -> (path: String, count: Int)? {
        func nums(_ v: [Double]) -> JSONValue { .array(v.map { .number($0) }) }
        let axes: [(String, JSONValue)] = [
            ("parallelism.tp", nums([1, 2, 4, 8])), ("parallelism.pp", nums([1, 2, 4, 8, 16])), ("parallelism.zero", nums([0, 1, 2, 3])),
            ("training.microBatchSequences", nums([1, 2, 4, 8, 16])), ("cost.pue", nums(pue)),
        ]
        return write(plan.base.setting(["sweep"], to: .object(axes)), dir: dir, name: "memory-\(pue.count)", count: 400 * pue.count)
    }

    private static func write(_ doc: JSONValue, dir: URL, name: String, count: Int) -> (path: String, count: Int)? {
        let url = dir.appendingPathComponent("sweep-\(name).json")
        do { try Data(JSONWriter.write(doc, pretty: false).utf8).write(to: url) } catch { return nil }
        return (url.path, count)
    }

    /// Runs the binary with its output drained and discarded: its peak resident memory (KiB) and
    /// wall seconds; nil if it could not run or failed. The peak is the high-water mark of the
    /// child's own address space (VmHWM in /proc/PID/status, sampled every 5 ms while it runs):
    /// wait4's ru_maxrss would not do, since Linux carries the spawning process's high-water mark
    /// across exec, so it reported this bench process's own memory (81-147 MB) for any sweep.
    static func peakMemory(_ exe: String, _ args: [String]) -> (kilobytes: Int, seconds: Double)? {
        var fds: [Int32] = [0, 0]
        guard pipe(&fds) == 0 else { return nil }
        var actions: posix_spawn_file_actions_t = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_adddup2(&actions, fds[1], 1)
        posix_spawn_file_actions_addclose(&actions, fds[0])
        posix_spawn_file_actions_addopen(&actions, 2, "/dev/null", O_WRONLY, 0)
        posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        let argv = ([exe] + args).map { strdup($0) } + [nil]
        defer { argv.forEach { free($0) } }
        var env = ProcessInfo.processInfo.environment
        for k in ["OMPI_COMM_WORLD_SIZE", "OMPI_COMM_WORLD_RANK", "PMIX_RANK", "PMI_SIZE"] { env[k] = nil }
        let envp = env.map { strdup("\($0.key)=\($0.value)") } + [nil]
        defer { envp.forEach { free($0) } }
        var pid: pid_t = 0
        let t0 = Date()
        guard posix_spawn(&pid, exe, &actions, nil, argv, envp) == 0 else { close(fds[0]); close(fds[1]); return nil }
        close(fds[1])
        final class Peak: @unchecked Sendable {
            let lock = NSLock()
            var kilobytes = 0, done = false
        }
        let peak = Peak(), child = pid
        let sampled = DispatchSemaphore(value: 0)
        DispatchQueue.global().async {
            while true {
                peak.lock.lock(); let done = peak.done; peak.lock.unlock()
                if done { break }
                if let k = highWaterKilobytes(child) { peak.lock.lock(); peak.kilobytes = max(peak.kilobytes, k); peak.lock.unlock() }
                usleep(5000)
            }
            sampled.signal()
        }
        var buffer = [UInt8](repeating: 0, count: 1 << 16)
        while buffer.withUnsafeMutableBytes({ read(fds[0], $0.baseAddress, $0.count) }) > 0 {}
        close(fds[0])
        if let k = highWaterKilobytes(pid) { peak.lock.lock(); peak.kilobytes = max(peak.kilobytes, k); peak.lock.unlock() }
        var status: Int32 = 0
        let waited = waitpid(pid, &status, 0)
        peak.lock.lock(); peak.done = true; peak.lock.unlock()
        sampled.wait()
        guard waited == pid, status == 0, peak.kilobytes > 0 else { return nil }
        return (peak.kilobytes, Date().timeIntervalSince(t0))
    }

    /// VmHWM of a running process: the high-water mark of its resident memory since its exec (KiB).
    static func highWaterKilobytes(_ pid: pid_t) -> Int? {
        // Read with read(2): procfs files report a size of 0, which file APIs take as empty.
        let fd = open("/proc/\(pid)/status", O_RDONLY)
        guard fd >= 0 else { return nil }
        defer { close(fd) }
        var bytes = [UInt8](repeating: 0, count: 8192)
        let n = bytes.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
        guard n > 0 else { return nil }
        let text = String(decoding: bytes[..<n], as: UTF8.self)
        guard let line = text.split(separator: "\n").first(where: { $0.hasPrefix("VmHWM:") }) else { return nil }
        return Int(line.dropFirst(6).split(whereSeparator: { $0 == " " || $0 == "\t" }).first ?? "")  // "VmHWM:\t  1588 kB"
    }
}
