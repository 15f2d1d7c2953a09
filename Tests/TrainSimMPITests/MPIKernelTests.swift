import Foundation
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
