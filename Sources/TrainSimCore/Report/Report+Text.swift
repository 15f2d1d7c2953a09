import Foundation

extension Analysis {
    /// The report in the requested format.
    public func render(_ format: ReportFormat) -> String {
        switch format {
        case .json: return JSONWriter.write(reportJSON()) + "\n"
        case .csv:
            let cols = flattenReport(reportJSON())
            return cols.map { csvField($0.0) }.joined(separator: ",") + "\n" + cols.map { csvField($0.1) }.joined(separator: ",") + "\n"
        case .md: return markdown()
        case .text: return text()
        }
    }

    var breakdownRows: [(String, Double)] {
        let b = step.breakdown
        return [("compute", b.compute), ("pipeline bubble", b.bubble), ("TP comm (exposed)", b.tp), ("PP comm (exposed)", b.pp),
                ("DP comm (exposed)", b.dp), ("EP comm (exposed)", b.ep), ("CP comm (exposed)", b.cp), ("optimizer", b.optimizer)]
    }

    func text() -> String {
        let e = experiment, s = step, r = run, m = s.memory, p = e.parallelism
        var out = ""
        func line(_ k: String, _ v: String) { out += Fmt.column(k, 28) + v + "\n" }
        out += "\(e.name): \(e.model.name) on \(e.cluster.devices) x \(e.cluster.topology.device.name) (\(e.cluster.topology.id), \(s.networkBackend) network)\n"
        out += "plan: tp \(p.tp), pp \(p.pp)\(p.vpp > 1 ? " (vpp \(p.vpp)\(p.group != p.pp ? ", groups of \(p.group)" : ""))" : ""), dp \(p.dp), ep \(p.ep)\(e.model.moe != nil && p.tp > 1 ? " (etp \(p.etp))" : ""), cp \(p.cp)\(p.cpAlgorithmNote), ZeRO-\(p.zero)\(p.zeroShardGroup.map { " (sharded over \($0))" } ?? "")\(p.zero3GathersOnce ? " (units gathered once per step under pipelining)" : ""), \(p.schedule.rawValue), "
            + "\(s.microBatches) micro-batches of \(e.training.microBatchSequences), \(e.training.precision.rawValue), recompute \(e.training.recompute.rawValue)"
            + (e.training.recomputeLimit.map { " (\($0) layer\($0 == 1 ? "" : "s") of each chunk)" } ?? "") + "\n"
        out += "stack: " + e.training.framework.reportName + "\n\n"
        line("step time", Fmt.secs(s.stepSeconds))
        line("tokens/s", Fmt.num(tokensPerSecond) + "  (" + Fmt.num(tokensPerSecondPerDevice) + " per device)")
        line("achieved TFLOP/s/device", Fmt.fixed(achievedTFLOPsPerDevice, 1))
        line("MFU / HFU", Fmt.pct(mfu) + " / " + Fmt.pct(hfu) + " of the " + peakConvention + " (6N + causal attention; HFU adds recompute)")
        if let a = accuracy { out += a.text(e) }
        out += "\nstep breakdown\n"
        for (k, v) in breakdownRows where v > 0 || k == "compute" {
            line("  " + k, Fmt.secs(v) + "  " + Fmt.padded(Fmt.fixed(100 * v / max(s.stepSeconds, 1e-30), 1), 5) + " %")
        }
        let device = e.cluster.topology.device, share = device.slowestShare(of: e.cluster.devices)
        if share < 1 {
            out += "  (compute at " + Fmt.fixed(share, 3) + " of a typical device's speed: the slowest of \(Fmt.num(Double(e.cluster.devices))), "
                + "speed spread " + Fmt.fixed(100 * device.speedSpread, 1) + " %)\n"
        }
        out += "\nmemory per device (stage \(m.stage))\n"
        line("  weights / grads / optim", Fmt.joined([m.weightsGiB, m.gradientsGiB, m.optimizerGiB].map { Fmt.fixed($0, 1) }, " / ") + " GiB")
        line("  activations / logits", Fmt.fixed(m.activationsGiB, 1) + " / " + Fmt.fixed(m.logitsGiB, 1) + " GiB")
        line("  peak", Fmt.fixed(m.peakGiB, 1) + " of " + Fmt.fixed(m.capacityGiB, 1) + " GiB: " + (m.fits ? "fits" : "OUT OF MEMORY"))
        out += "\nwhole run\n"
        line("  tokens", Fmt.num(e.training.tokens) + " in " + Fmt.num(r.steps) + " steps")
        line("  days", Fmt.fixed(r.trainingDays, 1))
        line("  device-hours", Fmt.num(r.deviceHours))
        line("  energy", Fmt.fixed(r.energyMWh, 1) + " MWh (" + Fmt.fixed(r.facilityPowerKW, 0) + " kW at PUE " + Fmt.fixed(r.pue, 2) + ")")
        line("  cost", Fmt.money(r.totalCost, r.currency) + " (compute " + Fmt.money(r.computeCost, r.currency)
             + ", energy " + Fmt.money(r.energyCost, r.currency) + ")")
        line("  cost (USD / CNY)", Fmt.money(r.totalCostUSD, "USD") + " / " + Fmt.money(r.totalCostCNY, "CNY"))
        line("  device price", Fmt.money(r.pricePerDeviceHour, r.currency) + " per device-hour (" + r.priceSource + ")")
        if !s.tierBusySeconds.isEmpty {
            out += "\nlink tiers (stage \(s.bottleneckStage): " + (s.networkBackend == "flow" ? "time carrying traffic" : "traffic at full rate") + " per step)\n"
            for k in s.tierBusySeconds.keys.sorted() {
                let busy = s.tierBusySeconds[k]!
                line("  " + k, Fmt.secs(busy) + "  " + Fmt.padded(Fmt.fixed(100 * busy / max(s.stepSeconds, 1e-30), 1), 5) + " % busy")
            }
        }
        if !s.exposedByTier.isEmpty {
            out += "\nexposed communication per tier (per step)\n"
            for k in s.exposedByTier.keys.sorted() { line("  " + k, Fmt.secs(s.exposedByTier[k]!)) }
        }
        for (k, v) in sections { out += "\n" + (k == WholeRun.sectionName ? WholeRun.text(v) : sectionText(k, v)) }
        return out
    }

    func sectionText(_ title: String, _ v: JSONValue) -> String {
        var out = title + "\n"
        for (k, val) in flattenReport(v) { out += "  " + Fmt.column(k, max(26, k.count + 1)) + val + "\n" }
        return out
    }

    func markdown() -> String {
        var out = "| metric | value |\n|---|---|\n"
        for (k, v) in flattenReport(reportJSON()) { out += "| \(k) | \(v) |\n" }
        return out
    }
}
