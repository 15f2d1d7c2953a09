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
        func line(_ k: String, _ val: String) { out += Fmt.column("  " + k, 28) + val + "\n" }
        let cur = s("cost", "currency") ?? "USD"
        if let ideal = d("idealDays"), let exp = d("expectedDays") {
            line("days ideal / expected", Fmt.fixed(ideal, 1) + " / " + Fmt.fixed(exp, 1) + "  (goodput " + Fmt.fixed(d("goodput") ?? 0, 3) + ")")
        }
        if let n = d("monteCarlo", "trials"), let p50 = d("monteCarlo", "p50Days"), let p90 = d("monteCarlo", "p90Days") {
            line("days P50 / P90", Fmt.fixed(p50, 1) + " / " + Fmt.fixed(p90, 1) + "  (\(Int(n)) Monte Carlo trials)")
        }
        if let dh = d("deviceHours") { line("device-hours", Fmt.num(dh)) }
        if let e = d("energyMWh") { line("energy", Fmt.num(e) + " MWh") }
        if let t = d("cost", "total") {
            var parts: [String] = []
            for k in ["compute", "energy", "storage"] { if let x = d("cost", k) { parts.append(k + " " + Fmt.money(x, cur)) } }
            line("cost", Fmt.money(t, cur) + " (" + Fmt.joined(parts, ", ") + ")")
            if let ideal = d("cost", "ideal") { line("cost without failures", Fmt.money(ideal, cur)) }
        }
        if let req = d("tokens", "requested") {
            var t = Fmt.num(req) + " tokens"
            if let ep = d("tokens", "epochsNeeded") { t += ", " + Fmt.fixed(ep, 2) + " epochs of the dataset" }
            if case .bool(false)? = v.value(at: ["tokens", "sufficient"]) { t += " (MORE THAN THE DATASET ALLOWS)" }
            if let c = d("tokens", "requestedOverChinchilla") { t += ", " + Fmt.fixed(c, 1) + "x Chinchilla-optimal" }
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
                out += "    " + name + ": " + Fmt.num(pd("tokens")) + " tokens, seq \(Int(pd("sequenceLength"))), batch \(Int(pd("globalBatchSequences"))), "
                    + plan + "; " + Fmt.fixed(pd("stepTimeSeconds"), 3) + " s/step, MFU " + Fmt.fixed(pd("mfu") * 100, 1) + " %, " + Fmt.fixed(pd("idealDays"), 1) + " days"
                    + (pd("dataStallFraction") > 0 ? ", data stall " + Fmt.fixed(pd("dataStallFraction") * 100, 1) + " %" : "")
                    + (fits ? "" : ", OUT OF MEMORY") + "\n"
            }
        }
        if let bytes = d("checkpoint", "bytes"), let w = d("checkpoint", "writeSeconds"), let i = d("checkpoint", "intervalMinutes") {
            line("checkpoint", Fmt.bytes(bytes) + ", written in " + Fmt.fixed(w, 1) + " s every " + Fmt.fixed(i, 1) + " min (" + (s("checkpoint", "rule") ?? "fixed") + "), "
                               + Fmt.fixed((d("checkpoint", "overheadFraction") ?? 0) * 100, 1) + " % of the time")
        }
        if let mtbf = d("failures", "jobMTBFHours"), let n = d("failures", "expected") {
            line("failures", "job MTBF " + Fmt.fixed(mtbf, 2) + " h, " + Fmt.fixed(n, 0) + " expected (" + Fmt.fixed(d("failures", "duringRestarts") ?? 0, 0)
                                 + " during restarts); " + Fmt.fixed(d("failures", "lostWorkHours") ?? 0, 1) + " h of lost work, "
                                 + Fmt.fixed(d("failures", "restartHours") ?? 0, 1) + " h restarting")
        }
        if let stall = d("input", "dataStallHours"), let util = d("input", "storageUtilisation") {
            line("input data", Fmt.general(d("input", "readGBps") ?? 0, 3) + " GB/s read, storage " + Fmt.fixed(util * 100, 2) + " % busy, "
                                   + Fmt.fixed(stall, 1) + " h of data stall")
        }
        out += "  (every figure with its source: --format json, key wholeRun)\n"
        return out
    }
}
