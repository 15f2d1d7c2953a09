import Foundation

/// The answer for one experiment: its step and its whole run, ready to report.
public struct Analysis: Sendable {
    public var experiment: Experiment
    public var step: StepResult
    public var run: RunEstimate
    /// Extra report sections added by later stages (whole-run reliability, ...), in order.
    public var sections: [(String, JSONValue)] = []

    public init(experiment: Experiment, step: StepResult, run: RunEstimate) {
        self.experiment = experiment; self.step = step; self.run = run
    }

    /// Simulates an experiment's step and run.
    public static func analyze(_ e: Experiment, network: CollectiveCostModel? = nil) throws(TrainSimError) -> Analysis {
        _ = try ValidatedAccuracy.shippedIfPresent()
        let step = try Engine.simulateStep(e, network: network)
        return Analysis(experiment: e, step: step, run: RunEstimate(experiment: e, step: step))
    }

    /// Simulates an experiment's step and run on a cluster built already (see ``Engine/init(_:cluster:network:)``).
    public static func analyze(_ e: Experiment, cluster: Cluster, network: CollectiveCostModel) -> Analysis {
        let step = Engine(e, cluster: cluster, network: network).step()
        return Analysis(experiment: e, step: step, run: RunEstimate(experiment: e, step: step))
    }

    public var devices: Int { experiment.cluster.devices }
    public var tokensPerSecond: Double { step.tokensPerStep / step.stepSeconds }
    public var tokensPerSecondPerDevice: Double { tokensPerSecond / Double(devices) }
    public var achievedTFLOPsPerDevice: Double { tokensPerSecondPerDevice * step.modelFLOPsPerToken / 1e12 }
    /// Peak the utilisation figures divide by: bf16 (fp16 for fp16 runs), even for fp8 training.
    public var utilisationPeak: Double {
        experiment.cluster.topology.device.peakFLOPs(experiment.training.precision == .fp16 ? .fp16 : .bf16)
    }
    /// Which peak MFU and HFU divide by, in words (fp8 runs use the bf16 peak, as NVIDIA's and
    /// DeepSeek's published MFUs do, so fp8 and bf16 runs compare on one scale).
    public var peakConvention: String {
        let p = experiment.training.precision
        return p == .fp16 ? "dense fp16 peak" : p == .fp8 ? "dense bf16 peak (fp8 run; its fp8 peak is not used)" : "dense bf16 peak"
    }
    public var mfu: Double { tokensPerSecondPerDevice * step.modelFLOPsPerToken / utilisationPeak }
    public var hfu: Double { tokensPerSecondPerDevice * step.hardwareFLOPsPerToken / utilisationPeak }
    /// Exit code 1 when the plan does not fit in memory.
    public var fits: Bool { step.memory.fits }

    /// The held-out accuracy `validate` gives (quoted for this run's groups, `ValidatedAccuracy.groups`).
    var accuracy: ValidatedAccuracy? { (try? ValidatedAccuracy.shippedIfPresent()) ?? nil }
}
