import Foundation

/// The whole run: its phases, the data they read, checkpoints, failures and restarts, the
/// expected days and cost, and (with trials) their spread by Monte Carlo.
public struct WholeRun: Sendable {
    public var data: DataSpec
    public var options: ReliabilityOptions
    public var phases: [RunPhase]
    /// Input pipeline of each phase, in phase order.
    public var pipelines: [DataPipeline]
    public var checkpoint: CheckpointPlan
    public var failures: FailureModel
    public var storage: StorageBill
    public var currency: String
    public var facilityPowerKW: Double
    public var computeCostPerSecond: Double
    public var energyCostPerSecond: Double
    public var activeParameters: Double
    public var tokensRequested: Double
    public var monteCarlo: MonteCarloSummary?

    /// Builds the whole run for an analysed experiment; runs `trials` Monte Carlo trials (none when 0)
    /// through `trialRunner`, seeded per trial from `seed`.
    public static func wholeRun(for analysis: Analysis, trials: Int = 0, seed: UInt64 = 1,
                                trialRunner: TrialRunner = MonteCarlo.serial,
                                network: CollectiveCostModel? = nil) throws(TrainSimError) -> WholeRun {
        let e = analysis.experiment
        let data = try DataSpec.decode(e)
        let options = try ReliabilityOptions.decode(e)
        let phases = try RunPhases.build(analysis, data: data, network: network)
        let pipelines = phases.map { DataPipeline(analysis: $0.analysis, bytesPerToken: data.bytesPerToken) }
        let dpn = e.cluster.topology.node.devicesPerNode
        let nodes = (e.cluster.devices + dpn - 1) / dpn
        var work = 0.0
        for (p, d) in zip(phases, pipelines) { work += p.idealSeconds * (1 + d.stallFraction) }
        var fm = FailureModel(devices: e.cluster.devices, nodes: nodes, deviceMTBFHours: options.deviceMTBFHours.value,
                              nodeMTBFHours: options.nodeMTBFHours.value, restartSeconds: options.restartMinutes.value * 60,
                              failuresDuringRestart: options.failuresDuringRestart, workSeconds: work,
                              intervalSeconds: 1, checkpointSeconds: 0)
        let ckpt = CheckpointPlan(analysis: analysis, options: options, jobMTBFSeconds: fm.jobMTBFHours * 3600)
        fm.intervalSeconds = ckpt.intervalSeconds
        fm.checkpointSeconds = ckpt.writeSeconds
        guard fm.isFeasible else {
            throw TrainSimError(.cannotRun, file: e.file, path: "reliability",
                                "a checkpoint segment of \(Fmt.num((ckpt.intervalSeconds + ckpt.writeSeconds) / 3600)) h (or a restart of \(Fmt.num(fm.restartSeconds / 3600)) h) at a job MTBF of \(Fmt.num(fm.jobMTBFHours)) h almost never completes; checkpoint more often or faster")
        }
        let r = analysis.run
        let fx = r.currency == "CNY" ? e.cluster.topology.prices.cnyPerUSD : 1
        let datasetTokens = data.datasetTokens ?? e.training.tokens
        let bill = StorageBill(datasetBytes: datasetTokens * data.bytesPerToken,
                               checkpointBytes: Double(options.checkpointsKept) * ckpt.bytes,
                               pricePerTBMonth: e.cluster.topology.storage.pricePerTBMonthUSD * fx)
        var run = WholeRun(data: data, options: options, phases: phases, pipelines: pipelines, checkpoint: ckpt, failures: fm,
                           storage: bill, currency: r.currency, facilityPowerKW: r.facilityPowerKW,
                           computeCostPerSecond: Double(e.cluster.devices) * r.pricePerDeviceHour / 3600,
                           energyCostPerSecond: r.facilityPowerKW / 3600 * r.electricityPricePerKWh,
                           activeParameters: analysis.step.activeParameters, tokensRequested: e.training.tokens, monteCarlo: nil)
        // A trial draws a failure time per failure during work and a number per restart attempt.
        let draws = Double(trials) * (fm.expectedFailures + fm.failuresDuringWork + 1)
        if draws > 1e9 {
            throw TrainSimError(path: "--trials", "\(trials) trials would draw ~\(Fmt.num(draws)) failure times (\(Fmt.num(fm.expectedFailures)) failures per run); use fewer trials")
        }
        if trials > 0 {
            let model = fm, perSecond = run.costPerSecond
            let outcomes = trialRunner(trials) { i in
                let s = MonteCarlo.trialSeconds(model, seed: seed, index: i)
                return TrialOutcome(days: s / 86400, cost: s * perSecond)
            }
            run.monteCarlo = MonteCarlo.summarize(outcomes, seed: seed)
        }
        return run
    }

    /// Everything the run costs per second of wall time: devices, energy, storage.
    public var costPerSecond: Double { computeCostPerSecond + energyCostPerSecond + storage.costPerSecond }
    /// Training time without failures, stalls or checkpoints, summed over phases.
    public var idealSeconds: Double { phases.reduce(0) { $0 + $1.idealSeconds } }
    public var dataStallSeconds: Double { zip(phases, pipelines).reduce(0) { $0 + $1.0.idealSeconds * $1.1.stallFraction } }
    public var expectedSeconds: Double { failures.expectedSeconds }
    public var idealDays: Double { idealSeconds / 86400 }
    public var expectedDays: Double { expectedSeconds / 86400 }
    /// Useful training time over wall time.
    public var goodput: Double { idealSeconds / expectedSeconds }
    public var deviceHours: Double { Double(failures.devices) * expectedSeconds / 3600 }
    public var energyMWh: Double { facilityPowerKW * expectedSeconds / 3600 / 1000 }
    public var computeCost: Double { computeCostPerSecond * expectedSeconds }
    public var energyCost: Double { energyCostPerSecond * expectedSeconds }
    public var storageCost: Double { storage.costPerSecond * expectedSeconds }
    public var totalCost: Double { costPerSecond * expectedSeconds }
    public var idealCost: Double { costPerSecond * idealSeconds }
    /// Every phase fits in device memory.
    public var fits: Bool { phases.allSatisfy { $0.analysis.fits } }

    /// Tokens the corpus offers with the allowed repetition, if its size is known.
    public var tokensAvailable: Double? { data.datasetTokens.map { $0 * data.maxEpochs } }
    public var chinchillaTokens: Double { data.chinchillaTokensPerParameter * activeParameters }

    /// Why the run, though it fits, cannot be expected to finish usefully: goodput below the shipped
    /// floor (`minimumGoodput` in Topologies/run/defaults.json), with what drives it. nil otherwise.
    public var collapseReason: String? {
        guard goodput < options.minimumGoodput.value else { return nil }
        let f = failures
        let segment = f.segmentSeconds + f.restartSeconds
        var why = "goodput \(String(format: "%.1f", goodput * 100)) % is below \(JSONWriter.number(options.minimumGoodput.value * 100)) %: "
            + "\(Fmt.num(f.expectedFailures)) expected failures (job MTBF \(Fmt.num(f.jobMTBFHours)) h) stretch \(Fmt.num(idealDays)) ideal days to \(Fmt.num(expectedDays))"
        if f.jobMTBFHours * 3600 < segment {
            why += "; the job MTBF is shorter than a restart (\(Fmt.num(f.restartSeconds / 3600)) h) plus a checkpoint interval (\(Fmt.num(f.segmentSeconds / 3600)) h)"
        }
        return why + "; the run collapses: fewer devices, more reliable ones, faster restarts or checkpoints"
    }

    /// Problems worth a line in the report.
    public var warnings: [(String, String)] {
        var w: [(String, String)] = []
        if let avail = tokensAvailable, tokensRequested > avail * (1 + 1e-9), let ds = data.datasetTokens {
            w.append(("data", "the plan wants \(Fmt.num(tokensRequested)) tokens; the corpus of \(Fmt.num(ds)) tokens gives \(Fmt.num(avail)) at \(JSONWriter.number(data.maxEpochs)) epochs (\(String(format: "%.2f", tokensRequested / ds)) epochs needed)"))
        }
        let oom = phases.filter { !$0.analysis.fits }.map(\.name)
        if !oom.isEmpty { w.append(("memory", "out of device memory in phase " + oom.joined(separator: ", "))) }
        if dataStallSeconds > 0 {
            w.append(("storage", "the storage tier cannot feed the input pipeline; data stalls add \(Fmt.num(dataStallSeconds / 3600)) h"))
        }
        return w
    }
}
