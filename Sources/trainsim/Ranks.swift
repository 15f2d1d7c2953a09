import Foundation
import TrainSimCore
import TrainSimMPI

/// This process's place among MPI ranks. MPI is initialized only when mpirun started us, so a
/// laptop run pays nothing for it.
enum Ranks {
    nonisolated(unsafe) static var mpi: MPIContext? = MPIContext.launchedByMPIRun ? MPIContext.shared : nil

    /// MPI for verbs that always need it (calibrate), even as a single rank.
    static func require() -> MPIContext {
        if mpi == nil { mpi = MPIContext.shared }
        return mpi!
    }
    static var rank: Int { mpi?.rank ?? 0 }
    static var size: Int { mpi?.size ?? 1 }
    static var isRoot: Bool { rank == 0 }

    /// Agrees on one exit code across ranks, shuts MPI down, and exits.
    static func finish(_ code: Int32) -> Never {
        var c = code
        if let mpi {
            c = mpi.allReduceMax(code)
            mpi.finalize()
        }
        exit(c)
    }
}

/// Writes output: rank 0 only, to stdout or to `--output FILE` (see `OutputFile` for what
/// happens to what is at FILE).
enum Output {
    static func emit(_ text: String, to path: String?) throws {
        guard Ranks.isRoot else { return }
        if let path {
            try OutputFile.write(text, to: path)
        } else {
            try OutputFile.Sink.standardOutput.write(text)
        }
    }

    static func note(_ text: String) {
        guard Ranks.isRoot else { return }
        FileHandle.standardError.write(Data((escapingControlCharacters(text) + "\n").utf8))
    }
}

/// CLI-level errors that are not the core's.
enum CLIError: Error, CustomStringConvertible {
    case badInput(String)
    case environment(String)
    case cannotRun(String)
    var description: String {
        switch self {
        case let .badInput(s), let .environment(s), let .cannotRun(s): return s
        }
    }
    var exitCode: Int32 {
        if case .cannotRun = self { return 1 }
        return 2
    }
}

/// Set by a verb whose input was valid but whose run cannot work (exit 1, report printed).
nonisolated(unsafe) var pendingExitCode: Int32 = 0
