#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Foundation
import TrainSimCore

/// Reads a finished sweep's table entries back from disk, point by point in index order: rank 0
/// renders text and Markdown from the file of the lines the computing ranks made for the tables
/// (`SweepOutput.tableLine`: each point's row formatted, and the report fields the topology
/// tables read), not from memory, so a sweep's memory stays flat in its number of points
/// whatever the format.
final class TableLineReader {
    private let fd: Int32
    private let path: String

    /// Reads through its own descriptor (from offset 0 each pass); closes it when done.
    init(fd: Int32, path: String) { self.fd = fd; self.path = path }

    deinit { _ = close(fd) }

    /// The table entries (`SweepOutput.TableEntry`) in file order, which is index order (the
    /// file is always a run of complete lines for points 0, 1, 2, ...); point `expected` must
    /// come next, or the pass fails.
    var entries: SweepOutput.Entries {
        { [fd, path] body in
            var offset: off_t = 0
            var buffer = [UInt8](repeating: 0, count: 1 << 20)
            var pending: [UInt8] = []
            var expected = 0
            func line(_ bytes: ArraySlice<UInt8>) throws {
                let e = try SweepOutput.TableEntry(line: bytes)
                guard e.index == expected else { throw CLIError.environment("\(path): point #\(e.index) where #\(expected) was expected; the file changed during the sweep") }
                expected += 1
                try body(e)
            }
            while true {
                let n = buffer.withUnsafeMutableBytes { pread(fd, $0.baseAddress!, $0.count, offset) }
                if n < 0, errno == EINTR { continue }
                guard n >= 0 else { throw CLIError.environment("\(path): cannot read (\(String(cString: strerror(errno))))") }
                if n == 0 { break }
                offset += off_t(n)
                var start = 0
                while let nl = SweepJournal.newline(in: buffer, from: start, to: n) {
                    if pending.isEmpty {
                        try line(buffer[start..<nl])
                    } else {
                        pending += buffer[start..<nl]
                        try line(pending[...])
                        pending.removeAll(keepingCapacity: true)
                    }
                    start = nl + 1
                }
                pending += buffer[start..<n]
            }
            if !pending.isEmpty { try line(pending[...]) }
        }
    }
}
