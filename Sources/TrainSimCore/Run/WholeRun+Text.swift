import Foundation

extension WholeRun {
    /// The `wholeRun` section for a person: what the run takes with failures, restarts and
    /// checkpoints, each phase on a line, and what drives the gap to the ideal. The JSON keeps
    /// every figure and its source; this keeps the ones a reader acts on.
    static func text(_ v: JSONValue) -> String {
        func d(_ path: String...) -> Double? {
            if case let .number(x)? = v.value(at: path) { return x }
            return nil
        }
        func s(_ path: String...) -> String? {
            if case let .string(x)? = v.value(at: path) { return x }
            return nil
        }
        var out = "whole run, with failures, restarts and checkpoints\n"
        func line(_ k: String, _ val: String) { out += ("  " + k).padding(toLength: 28, withPad: " ", startingAt: 0) + val + "\n" }
        let cur = s("cost", "currency") ?? "USD"
        if let ideal = d("idealDays"), let exp = d("expectedDays") {
            line("days ideal / expected", String(format: "%.1f / %.1f  (goodput %.3f)", ideal, exp, d("goodput") ?? 0))
        }
        if let n = d("monteCarlo", "trials"), let p50 = d("monteCarlo", "p50Days"), let p90 = d("monteCarlo", "p90Days") {
            line("days P50 / P90", String(format: "%.1f / %.1f  (%d Monte Carlo trials)", p50, p90, Int(n)))
        }
        if let dh = d("deviceHours") { line("device-hours", Fmt.num(dh)) }
        if let e = d("energyMWh") { line("energy", Fmt.num(e) + " MWh") }
        if let t = d("cost", "total") {
            var parts: [String] = []
            for k in ["compute", "energy", "storage"] { if let x = d("cost", k) { parts.append(k + " " + Fmt.money(x, cur)) } }
            line("cost", Fmt.money(t, cur) + " (" + parts.joined(separator: ", ") + ")")
            if let ideal = d("cost", "ideal") { line("cost without failures", Fmt.money(ideal, cur)) }
        }
        if let req = d("tokens", "requested") {
            var t = Fmt.num(req) + " tokens"
            if let ep = d("tokens", "epochsNeeded") { t += String(format: ", %.2f epochs of the dataset", ep) }
            if case .bool(false)? = v.value(at: ["tokens", "sufficient"]) { t += " (MORE THAN THE DATASET ALLOWS)" }
            if let c = d("tokens", "requestedOverChinchilla") { t += String(format: ", %.1fx Chinchilla-optimal", c) }
            line("tokens", t)
        }
        if case let .object(phases)? = v["phases"], !phases.isEmpty {
            out += "  phases\n"
            for (name, p) in phases {
                func pd(_ k: String) -> Double { if case let .number(x)? = p[k] { return x }; return 0 }
                let plan: String
                if case let .string(x)? = p["plan"] { plan = x } else { plan = "" }
                let fits: Bool
                if case .bool(false)? = p["fits"] { fits = false } else { fits = true }
                out += "    " + name + ": " + Fmt.num(pd("tokens")) + String(format: " tokens, seq %d, batch %d, ", Int(pd("sequenceLength")), Int(pd("globalBatchSequences")))
                    + plan + String(format: "; %.3f s/step, MFU %.1f %%, %.1f days", pd("stepTimeSeconds"), pd("mfu") * 100, pd("idealDays"))
                    + (pd("dataStallFraction") > 0 ? String(format: ", data stall %.1f %%", pd("dataStallFraction") * 100) : "")
                    + (fits ? "" : ", OUT OF MEMORY") + "\n"
            }
        }
        if let bytes = d("checkpoint", "bytes"), let w = d("checkpoint", "writeSeconds"), let i = d("checkpoint", "intervalMinutes") {
            line("checkpoint", Fmt.bytes(bytes) + String(format: ", written in %.1f s every %.1f min (%@), %.1f %% of the time",
                                                         w, i, s("checkpoint", "rule") ?? "fixed", (d("checkpoint", "overheadFraction") ?? 0) * 100))
        }
        if let mtbf = d("failures", "jobMTBFHours"), let n = d("failures", "expected") {
            line("failures", String(format: "job MTBF %.2f h, %.0f expected (%.0f during restarts); %.1f h of lost work, %.1f h restarting",
                                    mtbf, n, d("failures", "duringRestarts") ?? 0, d("failures", "lostWorkHours") ?? 0, d("failures", "restartHours") ?? 0))
        }
        if let stall = d("input", "dataStallHours"), let util = d("input", "storageUtilisation") {
            line("input data", String(format: "%.3g GB/s read, storage %.2f %% busy, %.1f h of data stall",
                                      d("input", "readGBps") ?? 0, util * 100, stall))
        }
        out += "  (every figure with its source: --format json, key wholeRun)\n"
        return out
    }
}
