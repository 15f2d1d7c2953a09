import CollectiveKernels
import Foundation

extension CalibrationResult {
    /// Ratio of trainsim's ring all-reduce to `MPI_Allreduce` in bus bandwidth at 64 MiB (the issue's goal
    /// on 2 ranks), when both were measured.
    public var ringVersusLibraryAt64MiB: Double? {
        let bytes = 64 << 20
        guard let ring = measurements.first(where: { $0.collective == "allreduce" && $0.algorithm == "ring" && $0.bytes == bytes }),
              let mpi = measurements.first(where: { $0.collective == "allreduce" && $0.algorithm == "mpi" && $0.bytes == bytes })
        else { return nil }
        return ring.busbwGBps / mpi.busbwGBps
    }

    /// nccl-tests-style tables, one per collective and algorithm, then the fits and the goal.
    public func renderText() -> String {
        var out: [String] = []
        out.append("# trainsim calibrate: \(ranks) rank\(ranks == 1 ? "" : "s") on \(host), \(mpiLibrary)")
        out.append("# \(elementType) \(reduction); time = slowest rank's average per call; busbw as in nccl-tests; chunk \(chunkBytes) B")
        out.append(String(format: "# point-to-point: alpha %.2f us, beta %.3g us/B (%.2f GB/s); reduction gamma %.3g us/B",
                          pointToPoint.alphaUs, pointToPoint.betaUsPerByte, pointToPoint.bandwidthGBps, gammaUsPerByte))
        out.append("# pred = the simulator's alpha-beta-gamma closed form from the point-to-point and gamma figures above")
        if ranks == 1 { out.append("# one rank: nothing crosses a link, times are call overheads") }
        var groups: [(String, String)] = []
        for m in measurements where !groups.contains(where: { $0 == (m.collective, m.algorithm) }) {
            groups.append((m.collective, m.algorithm))
        }
        for (collective, algorithm) in groups {
            out.append("")
            out.append("# \(collective), \(algorithm == "mpi" ? "MPI library" : "trainsim \(algorithm)")")
            out.append("#" + Self.columns(["size(B)", "count", "time(us)", "algbw(GB/s)", "busbw(GB/s)", "pred(us)", "meas/pred"]))
            for m in measurements where m.collective == collective && m.algorithm == algorithm {
                out.append(" " + Self.columns([
                    "\(m.bytes)", "\(m.count)", Self.number(m.timeUs), String(format: "%.3f", m.algbwGBps),
                    String(format: "%.3f", m.busbwGBps), Self.number(m.predictedUs),
                    m.predictedUs > 0 ? String(format: "%.2f", m.timeUs / m.predictedUs) : "-",
                ]))
            }
        }
        out.append("")
        out.append("# fitted T = alpha x messages + beta x bytes + gamma x reduced bytes (gamma measured)")
        out.append("#" + Self.columns(["collective", "algorithm", "alpha(us)", "beta(us/B)", "gamma(us/B)", "busbw(GB/s)", "fit err %"], width: 17))
        for fit in algorithms {
            out.append(" " + Self.columns([
                fit.collective, fit.algorithm, String(format: "%.3f", fit.alphaUs), String(format: "%.4g", fit.betaUsPerByte),
                String(format: "%.4g", fit.gammaUsPerByte), String(format: "%.3f", fit.busbwGBps), String(format: "%.1f", fit.fitErrorPercent),
            ], width: 17))
        }
        if let ratio = ringVersusLibraryAt64MiB {
            let verdict = ratio >= 1 ? "met" : "NOT met"
            out.append(String(format: "# goal: ring all-reduce busbw / MPI_Allreduce busbw at 64 MiB on %d ranks = %.2fx (goal >= 1.0x on 2 ranks) %@",
                              ranks, ratio, verdict))
        }
        return out.joined(separator: "\n") + "\n"
    }

    static func columns(_ values: [String], width: Int = 13) -> String {
        values.map { $0.count >= width ? " " + $0 : String(repeating: " ", count: width - $0.count) + $0 }.joined()
    }

    static func number(_ us: Double) -> String {
        us >= 1000 ? String(format: "%.0f", us) : String(format: "%.2f", us)
    }
}
