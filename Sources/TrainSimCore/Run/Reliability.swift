import Foundation

/// The run as failures see it: `workSeconds` of training cut into segments of `intervalSeconds`
/// of work, each followed by a checkpoint of `checkpointSeconds`. Failures of the job arrive as a
/// Poisson process (rate = devices / device MTBF + nodes / node MTBF: the job MTBF shrinks with
/// scale); each one loses the work since the last checkpoint and costs a restart, which a
/// failure may interrupt in turn (Daly 2006). The last segment holds the remainder and also
/// ends with a checkpoint.
public struct FailureModel: Sendable, Equatable {
    public var devices: Int
    public var nodes: Int
    public var deviceMTBFHours: Double
    public var nodeMTBFHours: Double
    public var restartSeconds: Double
    public var failuresDuringRestart: Bool
    public var workSeconds: Double
    public var intervalSeconds: Double
    public var checkpointSeconds: Double

    public init(devices: Int, nodes: Int, deviceMTBFHours: Double, nodeMTBFHours: Double, restartSeconds: Double,
                failuresDuringRestart: Bool = true, workSeconds: Double, intervalSeconds: Double, checkpointSeconds: Double) {
        self.devices = devices; self.nodes = nodes
        self.deviceMTBFHours = deviceMTBFHours; self.nodeMTBFHours = nodeMTBFHours
        self.restartSeconds = restartSeconds; self.failuresDuringRestart = failuresDuringRestart
        self.workSeconds = workSeconds; self.intervalSeconds = intervalSeconds; self.checkpointSeconds = checkpointSeconds
    }

    /// Job failures per hour.
    public var failuresPerHour: Double { Double(devices) / deviceMTBFHours + Double(nodes) / nodeMTBFHours }
    public var jobMTBFHours: Double { 1 / failuresPerHour }
    /// Failure rate per second.
    public var rate: Double { failuresPerHour / 3600 }

    /// Whole segments of `intervalSeconds` of work, and the work left for the last one (0 if none).
    public var fullSegments: Int { Int((workSeconds / intervalSeconds).rounded(.down)) }
    public var lastSegmentWork: Double { workSeconds - Double(fullSegments) * intervalSeconds }
    public var segmentSeconds: Double { intervalSeconds + checkpointSeconds }
    public var lastSegmentSeconds: Double { lastSegmentWork > 0 ? lastSegmentWork + checkpointSeconds : 0 }

    /// Expected wall time of one restart phase (restarts interrupted by failures start again).
    public var expectedRestartPhase: Double {
        failuresDuringRestart ? expm1(rate * restartSeconds) / rate : restartSeconds
    }

    /// Expected wall time to get through a segment of `t` seconds (work + checkpoint):
    /// (e^{lambda t} - 1) attempts fail on average, each losing its time and a restart phase.
    public func expectedSegment(_ t: Double) -> Double {
        guard t > 0 else { return 0 }
        return expm1(rate * t) * (1 / rate + expectedRestartPhase)
    }

    public var expectedSeconds: Double {
        Double(fullSegments) * expectedSegment(segmentSeconds) + expectedSegment(lastSegmentSeconds)
    }

    /// Failures that interrupt training or a checkpoint write: each loses the work since the last
    /// checkpoint and starts a restart.
    public var failuresDuringWork: Double {
        Double(fullSegments) * expm1(rate * segmentSeconds) + (lastSegmentSeconds > 0 ? expm1(rate * lastSegmentSeconds) : 0)
    }

    /// Failures that interrupt a restart (which then starts again): each restart phase is hit
    /// e^{lambda R} - 1 times on average. None when restarts are taken as immune.
    public var failuresDuringRestarts: Double {
        failuresDuringRestart ? failuresDuringWork * expm1(rate * restartSeconds) : 0
    }

    /// Every failure expected over the run, during work and during restarts. Failures are a Poisson
    /// process over the wall time they can strike in, so this equals `rate x exposedSeconds` (the
    /// renewal identity: `rate x expectedSeconds` when restarts can fail too).
    public var expectedFailures: Double { failuresDuringWork + failuresDuringRestarts }

    /// Wall time in which a failure can strike: all of it, or all but the restarts when they are
    /// taken as immune.
    public var exposedSeconds: Double { failuresDuringRestart ? expectedSeconds : expectedSeconds - restartSecondsTotal }

    public var checkpointSecondsTotal: Double { Double(fullSegments + (lastSegmentWork > 0 ? 1 : 0)) * checkpointSeconds }
    /// Time spent restarting: one restart phase (with its interrupted attempts) per failure during work.
    public var restartSecondsTotal: Double { failuresDuringWork * expectedRestartPhase }
    /// Work (and partial checkpoints) lost to failures: what remains of the expected time.
    public var lostSecondsTotal: Double { expectedSeconds - workSeconds - checkpointSecondsTotal - restartSecondsTotal }
    /// Fraction of wall time spent on training that is kept.
    public var goodput: Double { workSeconds / expectedSeconds }

    /// Whether a segment can be expected to finish: more than a million failed attempts per segment
    /// means the run never ends (checkpoint interval or write time far beyond the job MTBF).
    public var isFeasible: Bool {
        let x = rate * max(segmentSeconds, lastSegmentSeconds)
        return x < 13.8 && (rate * restartSeconds) < 13.8 && expectedSeconds.isFinite
    }
}
