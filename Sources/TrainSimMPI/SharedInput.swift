import Foundation
import TrainSimCore

/// Under MPI, rank 0 alone reads the input: its command line and every file the input names.
/// The other ranks get the bytes from it, so every rank runs the same input (even when a rank
/// cannot see a file, or sees another version of it), and an input error is found the same way
/// on every rank, reported once by rank 0, and ends every rank with the same exit code.
public enum SharedInput {
    /// Rank 0's command-line arguments (without the program name), on every rank.
    public static func arguments(_ mpi: MPIContext?, _ mine: [String]) -> [String] {
        guard let mpi, mpi.size > 1 else { return mine }
        let bytes = mpi.broadcast(Data(mine.joined(separator: "\0").utf8))
        let text = String(decoding: bytes, as: UTF8.self)
        return text.isEmpty ? [] : text.split(separator: "\0", omittingEmptySubsequences: false).map(String.init)
    }

    /// Runs `load` on every rank over the same files. Rank 0 runs it first, reading from disk and
    /// recording every file system answer (``FileSource``), and broadcasts the record; the other
    /// ranks then run it replaying that record. From then on every rank, rank 0 included, reads
    /// only the record, so later loads (each sweep point's experiment) agree too: rank 0 first
    /// runs `prefetch`, which reads everything they will need (``Experiment/readFiles(path:)``).
    /// A single rank runs `load` alone: it reads each file once, as it needs it (so an input that
    /// can be read only once, `trainsim /dev/stdin`, works). Once the ranks replay, a later call
    /// only runs `load`.
    public static func load<T>(_ mpi: MPIContext?, prefetch: () -> Void = {}, _ load: () throws -> T) throws -> T {
        guard let mpi, mpi.size > 1, FileSource.current.mode != .replaying else { return try load() }
        if mpi.isRoot {
            let recorder = FileSource(mode: .recording, record: FileSource.current.record)
            FileSource.current = recorder
            prefetch()
            let result = Result { try load() }
            let record = recorder.record
            _ = mpi.broadcast(record.packed())
            FileSource.current = FileSource(mode: .replaying, record: record)
            return try result.get()
        }
        let bytes = mpi.broadcast(Data())
        guard let record = FileRecord(packed: bytes) else {
            throw TrainSimError(.environment, "the input files rank 0 sent could not be unpacked")
        }
        FileSource.current = FileSource(mode: .replaying, record: record)
        return try load()
    }
}
