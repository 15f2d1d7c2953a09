import Foundation
import XCTest

/// Runs the release binary built by `make test` (path in TRAINSIM_BIN).
enum CLI {
    static var binary: String? {
        if let b = ProcessInfo.processInfo.environment["TRAINSIM_BIN"], FileManager.default.isExecutableFile(atPath: b) { return b }
        let local = FileManager.default.currentDirectoryPath + "/.build/release/trainsim"
        return FileManager.default.isExecutableFile(atPath: local) ? local : nil
    }

    static var packageRoot: String { FileManager.default.currentDirectoryPath }

    struct Result { var code: Int32; var stdout: String; var stderr: String }

    /// Runs a command with stdin from /dev/null, reading both pipes to the end before waiting.
    static func run(_ executable: String, _ args: [String], env: [String: String] = [:], cwd: String? = nil) throws -> Result {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: executable)
        p.arguments = args
        var environment = ProcessInfo.processInfo.environment
        for (k, v) in env { environment[k] = v }
        p.environment = environment
        if let cwd { p.currentDirectoryURL = URL(fileURLWithPath: cwd) }
        let out = Pipe()
        let errURL = FileManager.default.temporaryDirectory.appendingPathComponent("trainsim-stderr-\(UUID().uuidString)")
        FileManager.default.createFile(atPath: errURL.path, contents: nil)
        let errHandle = try FileHandle(forWritingTo: errURL)
        defer { try? FileManager.default.removeItem(at: errURL) }
        p.standardOutput = out
        p.standardError = errHandle
        p.standardInput = FileHandle.nullDevice
        try p.run()
        let outData = out.fileHandleForReading.readDataToEndOfFile()
        p.waitUntilExit()
        try? errHandle.close()
        let errData = (try? Data(contentsOf: errURL)) ?? Data()
        return Result(code: p.terminationStatus, stdout: String(decoding: outData, as: UTF8.self), stderr: String(decoding: errData, as: UTF8.self))
    }

    static func trainsim(_ args: [String], env: [String: String] = [:], cwd: String? = nil) throws -> Result {
        guard let b = binary else { throw XCTSkip("TRAINSIM_BIN not set and no release build; run `make test`") }
        return try run(b, args, env: env, cwd: cwd)
    }

    static func mpirun(_ np: Int, _ args: [String], oversubscribe: Bool = false) throws -> Result {
        guard let b = binary else { throw XCTSkip("TRAINSIM_BIN not set and no release build; run `make test`") }
        let mpirun = ["/usr/bin/mpirun", "/usr/local/bin/mpirun"].first { FileManager.default.isExecutableFile(atPath: $0) }
        guard let mpirun else { throw XCTSkip("mpirun not installed") }
        var a = ["-np", String(np)]
        if oversubscribe { a.append("--oversubscribe") }
        a += ["--mca", "btl", "self,vader", b] + args
        return try run(mpirun, a, env: ["OMPI_ALLOW_RUN_AS_ROOT": "1", "OMPI_ALLOW_RUN_AS_ROOT_CONFIRM": "1", "OMPI_MCA_rmaps_base_oversubscribe": "1"])
    }

    /// A fresh temporary folder.
    static func tempDir() -> URL {
        let u = FileManager.default.temporaryDirectory.appendingPathComponent("trainsim-test-\(UUID().uuidString)")
        try? FileManager.default.createDirectory(at: u, withIntermediateDirectories: true)
        return u
    }
}
