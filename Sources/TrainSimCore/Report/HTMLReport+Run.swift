import Foundation

extension HTMLReport {
    /// The page of one run: headline figures, the step breakdown, the pipeline timeline, memory
    /// per stage, the whole run and the link tiers, then every figure of the report folded away.
    /// Every number is read from `reportJSON()`, the object `--format json` writes.
    public static func run(_ a: Analysis) throws(TrainSimError) -> String {
        let json = a.reportJSON()
        let r = ReportView(json)
        let e = a.experiment
        var page = HTMLPage(title: "trainsim: \(e.name)",
                            subtitle: "\(e.model.name) on \(e.cluster.devices) x \(e.cluster.topology.device.name) (\(e.cluster.topology.id)); "
                                + "plan tp \(e.parallelism.tp) pp \(e.parallelism.pp) vpp \(e.parallelism.vpp) dp \(e.parallelism.dp) "
                                + "ep \(e.parallelism.ep) cp \(e.parallelism.cp), zero \(e.parallelism.zero), \(e.parallelism.schedule.rawValue); "
                                + "stack " + e.training.framework.reportName)
        page.section("Headline", id: "headline", headline(r))
        page.section("Step breakdown", id: "breakdown", breakdown(r))
        let simulated = try StepTrace(experiment: e).simulate()
        page.section("Pipeline timeline", id: "timeline", HTMLTimeline.chart(simulated, experiment: e, reportedStep: r.double("stepTimeSeconds")))
        page.section("Memory per stage", id: "memory", memory(r, stages: stageMemory(e)))
        page.section("Whole run", id: "wholerun", wholeRun(r))
        if let tiers = linkTiers(r) { page.section("Network tiers", id: "tiers", tiers) }
        page.section("All figures", id: "all", HTMLPage.keyValueDetails(json))
        return page.render()
    }

    static func headline(_ r: ReportView) -> String {
        let fits = r.value("memory.fits") != .bool(false)
        var h = "<div class=\"figs\">"
        h += HTMLPage.figure("step time", r.num("stepTimeSeconds", Fmt.secs))
        h += HTMLPage.figure("tokens / s", r.num("tokensPerSecond") { Fmt.num($0) }, note: r.num("tokensPerSecondPerDevice") { Fmt.num($0) } + " per device")
        // Beside it, the MFU published runs of its silicon, model kind and precision reach (trainsim's count).
        var published = ""
        if let low = r.double("accuracy.publishedMFU.low"), let high = r.double("accuracy.publishedMFU.high") {
            published = "; published runs of its kind " + (low == high ? "" : r.num("accuracy.publishedMFU.low") { Fmt.fixed($0 * 100, 1) } + "-")
                + r.num("accuracy.publishedMFU.high", Fmt.pct)
        }
        h += HTMLPage.figure("MFU", r.num("mfu", Fmt.pct), note: r.num("achievedTFLOPsPerDevice") { Fmt.num($0) } + " TFLOP/s per device" + published)
        h += HTMLPage.figure("HFU", r.num("hfu", Fmt.pct), note: "with recomputation")
        h += HTMLPage.figure("training days", r.num("trainingDays", days), note: "ideal: no failures")
        if r.double("wholeRun.expectedDays") != nil {
            h += HTMLPage.figure("days with failures", r.num("wholeRun.expectedDays", days), note: "goodput " + r.num("wholeRun.goodput", Fmt.pct))
            h += HTMLPage.figure("cost", r.num("wholeRun.cost.total") { Fmt.money($0, r.string("wholeRun.cost.currency")) },
                                 note: "ideal " + r.money("cost.total"))
        } else {
            h += HTMLPage.figure("cost", r.money("cost.total"), note: r.num("energyMWh", days) + " MWh")
        }
        h += HTMLPage.figure("memory per device", r.num("memory.peakGiBPerDevice", gib) + " GiB",
                             note: (fits ? "fits in " : "OUT OF MEMORY: ") + r.num("memory.capacityGiB", gib) + " GiB", bad: !fits)
        if r.value("accuracy") != nil {
            let family = r.string("accuracy.deviceFamily.name")
            // How far trainsim fell from held-out published runs on this silicon (trainsim validate).
            if r.double("accuracy.deviceFamily.medianAbsError") != nil {
                h += HTMLPage.figure("validated error", r.num("accuracy.deviceFamily.medianAbsError", Fmt.pct),
                                     note: "median on \(r.num("accuracy.deviceFamily.heldOutRuns") { Fmt.num($0) }) held-out published \(family) runs; worst "
                                         + r.num("accuracy.deviceFamily.maxAbsError", Fmt.pct))
            } else {
                h += HTMLPage.figure("validated error", "unvalidated", note: "no held-out published run on \(family)", bad: true)
            }
        }
        return h + "</div>"
    }

    static func days(_ x: Double) -> String { Fmt.fixed(x, 1) }
    static func gib(_ x: Double) -> String { Fmt.fixed(x, 1) }

    static let breakdownParts = ["compute", "bubble", "tp", "pp", "dp", "ep", "cp", "optimizer"]

    static func partName(_ k: String) -> String {
        ["compute", "bubble", "optimizer"].contains(k) ? k : "\(k.uppercased()) comm (exposed)"
    }

    /// The reported stage's step as one stacked bar, every stage's under it, and the figures as a table.
    static func breakdown(_ r: ReportView) -> String {
        let reported = Int(r.double("breakdownStage") ?? 0)
        func bar(_ label: String, _ base: String) -> SVGChart.Bar {
            let segs = breakdownParts.map { k in
                SVGChart.Segment(category: k, value: r.double("\(base).\(k)") ?? 0, title: "\(partName(k)): \(Fmt.secs(r.double("\(base).\(k)") ?? 0))")
            }
            return SVGChart.Bar(label: label, segments: segs, end: Fmt.secs(segs.reduce(0) { $0 + $1.value }))
        }
        var rows = [bar("step (stage \(reported))", "breakdown")]
        var stageCount = 0
        if case let .array(stages)? = r.value("stages") {
            stageCount = stages.count
            if stages.count > 1 { for k in stages.indices { rows.append(bar("stage \(k)", "stages.\(k)")) } }
        }
        let legend = breakdownParts.map { (partName($0), HTMLPage.color($0)) }
        var h = SVGChart.figure(name: "breakdown", caption: "Where the step goes (compute stream; each bar adds up to the step)",
                                svg: SVGChart.bars(rows, format: Fmt.secs), legend: legend,
                                note: "The report's breakdown is stage \(reported)'s (the stage with the most compute)"
                                    + (stageCount > 1 ? "; every stage of the \(stageCount) follows." : "."))
        let cells = breakdownParts.map { k in [HTMLPage.esc(partName(k)), r.num("breakdown.\(k)", Fmt.secs),
                                               r.num("breakdown.\(k)") { Fmt.pct($0 / max(r.double("stepTimeSeconds") ?? 1, 1e-30)) }] }
        h += HTMLPage.table(["part", "seconds per step", "share of the step"], cells, numeric: [1, 2])
        return h
    }

    /// Memory of every stage, by what holds it (MemoryModel's breakdown, as the report's peak is).
    static func stageMemory(_ e: Experiment) -> [MemoryBreakdown] {
        guard let engine = try? Engine(e) else { return [] }
        let p = e.parallelism
        let model = MemoryModel(e: e, device: engine.compute.device, params: ParameterCount(e.model),
                                layout: StageLayout(layers: e.model.layers, pp: p.pp, vpp: p.vpp, split: p.layerSplit))
        return (0..<p.pp).map { model.breakdown(stage: $0, microBatches: e.microBatches) }
    }

    static func memory(_ r: ReportView, stages: [MemoryBreakdown]) -> String {
        let parts: [(String, KeyPath<MemoryBreakdown, Double>)] = [("weights", \.weightsGiB), ("gradients", \.gradientsGiB),
            ("optimizer", \.optimizerGiB), ("activations", \.activationsGiB), ("logits", \.logitsGiB), ("reserved", \.reservedGiB)]
        let colors = ["weights": "#4e79a7", "gradients": "#76b7b2", "optimizer": "#b07aa1", "activations": "#f28e2b", "logits": "#edc948", "reserved": "#bab0ac"]
        let capacity = r.double("memory.capacityGiB") ?? 0
        let peakStage = Int(r.double("memory.peakStage") ?? -1)
        let rows = stages.map { m in
            SVGChart.Bar(label: "stage \(m.stage)" + (m.stage == peakStage ? " (peak)" : ""),
                         segments: parts.map { SVGChart.Segment(category: colors[$0.0]!, value: m[keyPath: $0.1], title: "\($0.0): \(gib(m[keyPath: $0.1])) GiB") },
                         end: gib(m.peakGiB) + " GiB" + (m.fits ? "" : " (OOM)"))
        }
        let svg = SVGChart.bars(rows, format: { gib($0) + " GiB" }, limit: (capacity, "capacity " + gib(capacity) + " GiB"))
        var h = SVGChart.figure(name: "memory", caption: "Memory per device, by pipeline stage, against the device's capacity",
                                svg: svg, legend: parts.map { ($0.0, colors[$0.0]!) },
                                note: "Peak of the schedule per stage (weights, gradients and optimizer states after ZeRO sharding, "
                                    + "activations of the micro-batches in flight, logits on the last stage, the framework's reserve).")
        let peakCells = ["weightsGiB", "gradientsGiB", "optimizerGiB", "activationsGiB", "logitsGiB", "reservedGiB", "peakGiBPerDevice", "capacityGiB"]
        h += HTMLPage.table(["peak stage"] + peakCells.map { $0.replacingOccurrences(of: "GiB", with: "").replacingOccurrences(of: "PerDevice", with: "") + " GiB" },
                            [[r.num("memory.peakStage") { String(Int($0)) }] + peakCells.map { r.num("memory.\($0)", gib) }],
                            numeric: Set(0...peakCells.count))
        return h
    }
}
