import Foundation

/// What `trainsim calibrate` measured on one host, and the profile it writes with `--write FILE`.
///
/// The profile is JSON (keys sorted), meant to be referenced by a Topologies/ file for its links:
///
/// ```json
/// {
///   "schemaVersion": 1,
///   "host": "node17", "ranks": 2, "hosts": 1, "tier": "scale-up", "mpiLibrary": "Open MPI v4.1.4, ...",
///   "elementType": "fp32", "reduction": "sum", "chunkBytes": 262144,
///   "pointToPoint": { "alphaUs": 0.9, "betaUsPerByte": 0.0002, "bandwidthGBps": 5.1 },
///   "gammaUsPerByte": 0.00012,
///   "algorithms": [
///     { "collective": "allreduce", "algorithm": "ring", "alphaUs": 1.2, "betaUsPerByte": 0.0002,
///       "gammaUsPerByte": 0.00012, "busbwGBps": 4.8, "fitErrorPercent": 7.5 }
///   ],
///   "measurements": [
///     { "collective": "allreduce", "algorithm": "ring", "bytes": 1048576, "count": 262144,
///       "timeUs": 412.0, "algbwGBps": 2.5, "busbwGBps": 2.5, "predictedUs": 380.0 }
///   ]
/// }
/// ```
///
/// - `hosts`, `tier`: how many hosts the ranks ran on, and so which tier's links were measured:
///   `scale-up` on one host, `scale-out` across hosts. TrainSimCore's ``LinkProfile`` applies the
///   point-to-point figures to that tier in every run that names the profile.
/// - `pointToPoint`: one-way time of a message of `b` bytes between two ranks is `alphaUs + betaUsPerByte * b`
///   microseconds (fitted to a ping-pong); `bandwidthGBps` is `1e-3 / betaUsPerByte`.
/// - `gammaUsPerByte`: time to reduce one byte with trainsim's fastest fp32 sum kernel, memory-bound.
/// - `algorithms`: per collective and algorithm (`ring`, `halving-doubling`, `tree`, `pairwise`, or `mpi`
///   for the MPI library's own), the alpha-beta fit of `T = alpha * messages + beta * bytes + gamma * reduced`
///   with the closed forms of ``Calibrate/costTerms(_:algorithm:bytes:ranks:chunkBytes:)``, gamma fixed;
///   `busbwGBps` is the best bus bandwidth measured.
/// - `measurements`: the nccl-tests table: `bytes` as nccl-tests counts them, `count` elements, time per call
///   (the slowest rank's average), algorithm and bus bandwidth, and the simulator's prediction from the
///   point-to-point and gamma figures alone.
public struct CalibrationResult: Codable, Sendable {
    public struct PointToPoint: Codable, Sendable {
        public var alphaUs: Double
        public var betaUsPerByte: Double
        public var bandwidthGBps: Double
    }

    public struct AlgorithmFit: Codable, Sendable {
        public var collective: String
        public var algorithm: String
        public var alphaUs: Double
        public var betaUsPerByte: Double
        public var gammaUsPerByte: Double
        public var busbwGBps: Double
        public var fitErrorPercent: Double
    }

    public struct Measurement: Codable, Sendable {
        public var collective: String
        public var algorithm: String
        public var bytes: Int
        public var count: Int
        public var timeUs: Double
        public var algbwGBps: Double
        public var busbwGBps: Double
        public var predictedUs: Double
    }

    public var schemaVersion = 1
    public var host: String
    public var ranks: Int
    /// Distinct hosts the ranks ran on (absent in profiles written before it was recorded).
    public var hosts: Int?
    /// The tier the measured links belong to: "scale-up" (all ranks on one host) or "scale-out".
    public var tier: String?
    public var mpiLibrary: String
    public var elementType = "fp32"
    public var reduction = "sum"
    public var chunkBytes: Int
    public var pointToPoint: PointToPoint
    public var gammaUsPerByte: Double
    public var algorithms: [AlgorithmFit]
    public var measurements: [Measurement]

    /// The profile as JSON (pretty, sorted keys, so profiles diff cleanly).
    public func profileJSON() throws -> Data {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        return try encoder.encode(self)
    }

    /// Writes ``profileJSON()`` to `path` (call on rank 0 only).
    public func writeProfile(to path: String) throws {
        var data = try profileJSON()
        data.append(0x0a)
        try data.write(to: URL(fileURLWithPath: path), options: .atomic)
    }

    /// Reads a profile written by ``writeProfile(to:)``.
    public static func load(from path: String) throws -> CalibrationResult {
        let data = try Data(contentsOf: URL(fileURLWithPath: path))
        let result = try JSONDecoder().decode(CalibrationResult.self, from: data)
        guard result.schemaVersion == 1 else {
            throw CalibrateError.unsupportedProfile(path: path, schemaVersion: result.schemaVersion)
        }
        return result
    }
}

/// Why calibration could not run, or a profile could not be read.
public enum CalibrateError: Error, CustomStringConvertible, Equatable {
    case invalidSizes(minBytes: Int, maxBytes: Int)
    case unsupportedProfile(path: String, schemaVersion: Int)

    public var description: String {
        switch self {
        case let .invalidSizes(minBytes, maxBytes):
            "calibrate: --max-bytes \(maxBytes) must be at least the smallest size, \(minBytes) bytes"
        case let .unsupportedProfile(path, version):
            "\(path): schemaVersion \(version) is not supported (expected 1)"
        }
    }
}
