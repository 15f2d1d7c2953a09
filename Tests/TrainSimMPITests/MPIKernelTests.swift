import Foundation
@testable import TrainSimMPI
import XCTest

/// Runs the hidden `trainsim mpi-selftest` (every collective algorithm over MPITransport against the reference,
/// on odd and tiny counts) under `mpirun -np 2` and `mpirun -np 3 --oversubscribe`.
///
/// Needs the release binary in `TRAINSIM_BIN` (as `make test` sets it) and `mpirun` on the PATH; skipped
/// otherwise. Run serially (`swift test --no-parallel`): each case starts an MPI job.
final class MPIKernelTests: XCTestCase {
    func testSelfTestOnTwoRanks() throws {
        try runSelfTest(["-np", "2"])
    }

    func testSelfTestOnThreeOversubscribedRanks() throws {
        try runSelfTest(["-np", "3", "--oversubscribe"])
    }

    private func runSelfTest(_ mpirunArguments: [String], file: StaticString = #filePath, line: UInt = #line) throws {
        let environment = ProcessInfo.processInfo.environment
        guard let binary = environment["TRAINSIM_BIN"], FileManager.default.isExecutableFile(atPath: binary) else {
            throw XCTSkip("TRAINSIM_BIN is not set to an executable trainsim (make test sets it)")
        }
        guard let mpirun = Self.which("mpirun", path: environment["PATH"] ?? "") else {
            throw XCTSkip("mpirun is not on the PATH")
        }
        let (status, output) = try Self.run(mpirun, mpirunArguments + [binary, "mpi-selftest"], timeout: 300)
        XCTAssertEqual(status, 0, "mpirun \(mpirunArguments.joined(separator: " ")) trainsim mpi-selftest:\n\(output)", file: file, line: line)
    }

    static func which(_ name: String, path: String) -> String? {
        path.split(separator: ":").map { "\($0)/\(name)" }.first { FileManager.default.isExecutableFile(atPath: $0) }
    }

    /// Runs a command with stdin from /dev/null, collecting stdout and stderr; terminates it after `timeout` seconds.
    static func run(_ executable: String, _ arguments: [String], timeout: Double) throws -> (Int32, String) {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = arguments
        var environment = ProcessInfo.processInfo.environment
        if getuid() == 0 {
            environment["OMPI_ALLOW_RUN_AS_ROOT"] = "1"
            environment["OMPI_ALLOW_RUN_AS_ROOT_CONFIRM"] = "1"
        }
        process.environment = environment
        let pipe = Pipe()
        process.standardOutput = pipe
        process.standardError = pipe
        process.standardInput = FileHandle.nullDevice
        try process.run()
        let output = OutputBox()
        let done = DispatchSemaphore(value: 0)
        DispatchQueue.global().async {
            output.data = pipe.fileHandleForReading.readDataToEndOfFile()
            done.signal()
        }
        if done.wait(timeout: .now() + timeout) == .timedOut {
            process.terminate()
            done.wait()
            process.waitUntilExit()
            return (-1, "timed out after \(Int(timeout)) s\n" + String(decoding: output.data, as: UTF8.self))
        }
        process.waitUntilExit()
        return (process.terminationStatus, String(decoding: output.data, as: UTF8.self))
    }
}

private final class OutputBox: @unchecked Sendable {
    var data = Data()
}

/// The calibration model without MPI: closed forms, bus-bandwidth factors, the non-negative fit, the profile.
final class CalibrateModelTests: XCTestCase {
    func testClosedFormsMatchTheTextbook() {
        // Ring all-reduce on 4 ranks, 4 MiB, unchunked (chunks larger than a block): 6 steps, 2(n-1)/n S bytes.
        let s = Double(4 << 20)
        let ring = Calibrate.costTerms(.allReduce, algorithm: "ring", bytes: s, ranks: 4, chunkBytes: 1 << 30)
        XCTAssertEqual(ring, Calibrate.CostTerms(messages: 6, bytes: 1.5 * s, reduced: 0.75 * s))
        let hd = Calibrate.costTerms(.allReduce, algorithm: "halving-doubling", bytes: s, ranks: 4, chunkBytes: 1 << 30)
        XCTAssertEqual(hd, Calibrate.CostTerms(messages: 4, bytes: 1.5 * s, reduced: 0.75 * s))
        let gather = Calibrate.costTerms(.allGather, algorithm: "ring", bytes: s, ranks: 4, chunkBytes: 1 << 30)
        XCTAssertEqual(gather, Calibrate.CostTerms(messages: 3, bytes: 0.75 * s, reduced: 0))
        // Chunking multiplies the messages of each step.
        let chunked = Calibrate.costTerms(.reduceScatter, algorithm: "ring", bytes: s, ranks: 4, chunkBytes: 256 << 10)
        XCTAssertEqual(chunked.messages, 3 * 4)
        XCTAssertEqual(Calibrate.costTerms(.allToAll, algorithm: "mpi", bytes: s, ranks: 1, chunkBytes: 1), Calibrate.CostTerms(messages: 0, bytes: 0, reduced: 0))
        XCTAssertEqual(Calibrate.busBandwidthFactor(.allReduce, ranks: 8), 1.75)
        XCTAssertEqual(Calibrate.busBandwidthFactor(.allGather, ranks: 8), 0.875)
    }

    func testFitRecoversAlphaAndBeta() {
        let sizes = (3...26).map { Double(1 << $0) }
        let alpha = 2e-6, beta = 1e-10
        let times = sizes.map { alpha * 6 + beta * 1.5 * $0 }
        let fit = Calibrate.nonNegativeFit(x1: sizes.map { _ in 6 }, x2: sizes.map { 1.5 * $0 }, y: times, w: times.map { 1 / ($0 * $0) })
        XCTAssertEqual(fit.a, alpha, accuracy: alpha * 1e-6)
        XCTAssertEqual(fit.b, beta, accuracy: beta * 1e-6)
        // Data that wants a negative latency gets a zero one instead.
        let negative = Calibrate.nonNegativeFit(x1: [1, 1, 1], x2: [1, 2, 3], y: [0.5, 1.5, 2.5], w: [1, 1, 1])
        XCTAssertEqual(negative.a, 0)
        XCTAssertGreaterThan(negative.b, 0)
    }

    func testProfileRoundTripsAndRenders() throws {
        let result = CalibrationResult(
            host: "h", ranks: 2, mpiLibrary: "test", chunkBytes: 1024,
            pointToPoint: .init(alphaUs: 1, betaUsPerByte: 0.001, bandwidthGBps: 1), gammaUsPerByte: 0.0001,
            algorithms: [.init(collective: "allreduce", algorithm: "ring", alphaUs: 1, betaUsPerByte: 0.001, gammaUsPerByte: 0.0001, busbwGBps: 1, fitErrorPercent: 3)],
            measurements: [
                .init(collective: "allreduce", algorithm: "ring", bytes: 64 << 20, count: 16 << 20, timeUs: 1000, algbwGBps: 67, busbwGBps: 67, predictedUs: 900),
                .init(collective: "allreduce", algorithm: "mpi", bytes: 64 << 20, count: 16 << 20, timeUs: 2000, algbwGBps: 33.5, busbwGBps: 33.5, predictedUs: 900),
            ])
        let path = NSTemporaryDirectory() + "trainsim-profile-\(getpid()).json"
        defer { try? FileManager.default.removeItem(atPath: path) }
        try result.writeProfile(to: path)
        let loaded = try CalibrationResult.load(from: path)
        XCTAssertEqual(loaded.schemaVersion, 1)
        XCTAssertEqual(loaded.measurements.count, 2)
        XCTAssertEqual(try loaded.profileJSON(), try result.profileJSON())
        XCTAssertEqual(result.ringVersusLibraryAt64MiB ?? 0, 2, accuracy: 1e-9)
        let text = result.renderText()
        XCTAssertTrue(text.contains("# allreduce, trainsim ring"))
        XCTAssertTrue(text.contains("= 2.00x"))
    }
}
