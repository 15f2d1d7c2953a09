import Foundation

extension Analysis {
    /// The report's `memory` object.
    static func memoryJSON(_ m: MemoryBreakdown) -> JSONValue {
        func n(_ x: Double) -> JSONValue { .number(Analysis.round(x)) }
        return .object([
            ("peakGiBPerDevice", n(m.peakGiB)), ("fits", .bool(m.fits)), ("capacityGiB", n(m.capacityGiB)),
            ("weightsGiB", n(m.weightsGiB)), ("gradientsGiB", n(m.gradientsGiB)), ("optimizerGiB", n(m.optimizerGiB)),
            ("activationsGiB", n(m.activationsGiB)), ("logitsGiB", n(m.logitsGiB)), ("reservedGiB", n(m.reservedGiB)),
            ("peakStage", .number(Double(m.stage))),
        ])
    }

    /// The report's `plan` object.
    static func planJSON(_ e: Experiment, network: String, microBatches: Int) -> JSONValue {
        .object([
            ("devices", .number(Double(e.cluster.devices))), ("topology", .string(e.cluster.topology.id)),
            ("accelerator", .string(e.cluster.topology.device.name)), ("network", .string(network)),
            ("tp", .number(Double(e.parallelism.tp))), ("pp", .number(Double(e.parallelism.pp))),
            ("vpp", .number(Double(e.parallelism.vpp))), ("dp", .number(Double(e.parallelism.dp))),
            ("ep", .number(Double(e.parallelism.ep))), ("cp", .number(Double(e.parallelism.cp))),
            ("cpAlgorithm", .string(e.parallelism.cpAlgorithm.rawValue)),
            ("sequenceParallel", .bool(e.parallelism.sequenceParallel)), ("zero", .number(Double(e.parallelism.zero))),
            ("zeroShardGroup", .number(Double(e.parallelism.zeroShardGroup ?? e.parallelism.dp * e.parallelism.cp))),
            ("schedule", .string(e.parallelism.schedule.rawValue)), ("microBatches", .number(Double(microBatches))),
            ("precision", .string(e.training.precision.rawValue)), ("recompute", .string(e.training.recompute.rawValue)),
            ("attention", .string(e.training.attention.rawValue)), ("framework", .string(e.training.framework.id)),
            ("attentionKernel", .string(e.training.framework.attentionKernel)),
        ] + (e.training.recomputeLimit.map { [("recomputeLayers", .number(Double($0)))] } ?? [])
          + (e.model.moe != nil ? [("etp", .number(Double(e.parallelism.etp)))] : []))
    }

    /// The report as the DESIGN fixes it: SI units, fractions 0..1, keys in a stable order.
    public func reportJSON() -> JSONValue {
        let e = experiment, s = step, r = run, b = s.breakdown, m = s.memory
        func n(_ x: Double) -> JSONValue { .number(Analysis.round(x)) }
        var pairs: [(String, JSONValue)] = [
            ("name", .string(e.name)),
            ("stepTimeSeconds", n(s.stepSeconds)),
            ("tokensPerSecond", n(tokensPerSecond)),
            ("tokensPerSecondPerDevice", n(tokensPerSecondPerDevice)),
            ("achievedTFLOPsPerDevice", n(achievedTFLOPsPerDevice)),
            ("mfu", n(mfu)),
            ("hfu", n(hfu)),
            ("flopConvention", .object([
                ("mfu", .string(FLOPCount.modelConvention)), ("hfu", .string(FLOPCount.executedConvention)),
                ("peak", .string(peakConvention)), ("peakTFLOPs", n(utilisationPeak / 1e12)),
            ])),
            ("trainingDays", n(r.trainingDays)),
            ("deviceHours", n(r.deviceHours)),
            ("energyMWh", n(r.energyMWh)),
            ("cost", .object([
                ("currency", .string(r.currency)), ("total", n(r.totalCost)), ("compute", n(r.computeCost)),
                ("energy", n(r.energyCost)), ("totalUSD", n(r.totalCostUSD)), ("totalCNY", n(r.totalCostCNY)),
                ("pricePerDeviceHour", n(r.pricePerDeviceHour)), ("electricityPricePerKWh", n(r.electricityPricePerKWh)),
                ("pricing", .string(r.pricing)), ("priceSource", .string(r.priceSource)),
            ])),
            ("memory", Self.memoryJSON(m)),
            ("breakdown", .object([
                ("compute", n(b.compute)), ("bubble", n(b.bubble)), ("tp", n(b.tp)), ("pp", n(b.pp)),
                ("dp", n(b.dp)), ("ep", n(b.ep)), ("cp", n(b.cp)), ("optimizer", n(b.optimizer)),
            ])),
            // All compute runs at the pace of the job's slowest device (`efficiency.speedSpread`).
            ("slowestDevice", .object([
                ("speedShare", n(e.cluster.topology.device.slowestShare(of: e.cluster.devices))),
                ("speedSpread", n(e.cluster.topology.device.speedSpread)), ("devices", .number(Double(e.cluster.devices))),
            ])),
            // Read off the simulated timeline: the reported stage (the one with the most compute)
            // and every stage's compute stream; each adds up to the step.
            ("breakdownStage", .number(Double(s.bottleneckStage))),
            ("stages", .array(s.stageBreakdowns.map { x in
                .object([("compute", n(x.compute)), ("bubble", n(x.bubble)), ("tp", n(x.tp)), ("pp", n(x.pp)), ("dp", n(x.dp)),
                         ("ep", n(x.ep)), ("cp", n(x.cp)), ("optimizer", n(x.optimizer))])
            })),
            ("linkTiers", .object(s.tierBusySeconds.keys.sorted().map { k in
                (k, .object([("busySeconds", n(s.tierBusySeconds[k]!)), ("utilization", n(s.tierBusySeconds[k]! / max(s.stepSeconds, 1e-30)))]))
            })),
            ("plan", Self.planJSON(e, network: s.networkBackend, microBatches: s.microBatches)),
            ("model", .object([
                ("name", .string(e.model.name)), ("parameters", n(s.parameters)), ("activeParameters", n(s.activeParameters)),
                ("modelFLOPsPerToken", n(s.modelFLOPsPerToken)), ("hardwareFLOPsPerToken", n(s.hardwareFLOPsPerToken)),
            ])),
            ("run", .object([
                ("tokens", n(e.training.tokens)), ("tokensPerStep", n(s.tokensPerStep)), ("steps", n(r.steps)),
                ("facilityPowerKW", n(r.facilityPowerKW)), ("pue", n(r.pue)),
            ])),
            ("exposedCommunicationByTier", .object(s.exposedByTier.keys.sorted().map { ($0, n(s.exposedByTier[$0]!)) })),
            ("collectives", .array(s.collectives.enumerated().map { (i, c) in
                .object([
                    ("label", .string(c.label)), ("kind", .string(c.kind.rawValue)), ("groupSize", .number(Double(c.groupSize))),
                    ("bytes", n(c.bytes)), ("seconds", n(c.cost.seconds)), ("algorithm", .string(c.cost.algorithm)),
                    ("busbwGBps", n(c.cost.seconds > 0 ? c.bytes * c.kind.busFactor(c.groupSize) / c.cost.seconds / 1e9 : 0)),
                    ("callsPerStep", n(c.callsPerStep)), ("exposedSecondsPerStep", n(c.exposedSeconds)),
                    ("perTierSeconds", .object(c.cost.perTier.keys.sorted().map { ($0, n(c.cost.perTier[$0]!)) })),
                    ("linkUtilization", .array(i < s.linkUtilization.count ? s.linkUtilization[i].map { u in
                        .object([("tier", .string(u.tier)), ("links", .number(Double(u.links))), ("mean", n(u.mean)), ("max", n(u.max))])
                    } : [])),
                ])
            })),
        ]
        if let a = accuracy { pairs.append(("accuracy", a.json(e))) }
        pairs.append(contentsOf: sections)
        return .object(pairs)
    }

    /// Rounds to 6 significant digits so reports diff cleanly and are identical across machines.
    public static func round(_ x: Double) -> Double {
        guard x.isFinite, x != 0 else { return x.isFinite ? 0 : 0 }
        let digits = 6 - Int(floor(log10(abs(x)))) - 1
        if digits <= 0 { return x.rounded() }
        let f = pow(10.0, Double(min(digits, 15)))
        return (x * f).rounded() / f
    }
}
