import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// An unlinked temporary file (`tmpfile`) that a sweep's rendering writes in one pass and reads
/// back in a later one, so that what it holds (the topology tables, a text table's rows) does
/// not stay in memory. Errors name `what` it holds.
final class ScratchFile {
    private let file: UnsafeMutablePointer<FILE>
    private let what: String

    init(holding what: String) throws {
        guard let f = tmpfile() else {
            throw TrainSimError(.environment, path: "sweep", "cannot create a temporary file for \(what) (\(String(cString: strerror(errno))))")
        }
        file = f
        self.what = what
    }

    deinit { fclose(file) }

    func write(_ bytes: UnsafeRawBufferPointer) throws {
        guard bytes.isEmpty || fwrite(bytes.baseAddress, 1, bytes.count, file) == bytes.count else {
            throw TrainSimError(.environment, path: "sweep", "cannot write \(what) to a temporary file (\(String(cString: strerror(errno))))")
        }
    }

    func write(_ text: String) throws {
        var s = text
        try s.withUTF8 { try write(UnsafeRawBufferPointer($0)) }
    }

    /// Back to the start, to read what was written.
    func rewind() throws {
        guard fflush(file) == 0 else { throw readFailure }
        Glibc.rewind(file)
    }

    /// Reads up to `count` bytes into `p`: fewer only at the end of the file.
    func read(into p: UnsafeMutableRawPointer, count: Int) throws -> Int {
        let n = fread(p, 1, count, file)
        if n < count, ferror(file) != 0 { throw readFailure }
        return n
    }

    var readFailure: TrainSimError {
        TrainSimError(.environment, path: "sweep", "cannot read \(what) back from a temporary file")
    }
}
