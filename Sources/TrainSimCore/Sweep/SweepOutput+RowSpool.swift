import Foundation
#if canImport(Glibc)
import Glibc
#endif

extension SweepOutput {
    /// A text table's rows, as made in its first pass (which measures the column widths), kept in
    /// an unlinked temporary file for the second pass (which pads and writes them), so that no
    /// pass after the first reads or formats a point again, and memory stays flat. A row is its
    /// cell count, then each cell's length and UTF-8 bytes (4-byte little-endian counts), so any
    /// text a cell holds comes back as it was.
    final class RowSpool {
        private let file: UnsafeMutablePointer<FILE>
        private var bytes: [UInt8] = []

        init() throws {
            guard let f = tmpfile() else {
                throw TrainSimError(.environment, path: "sweep", "cannot create a temporary file for the table's rows (\(String(cString: strerror(errno))))")
            }
            file = f
        }

        deinit { fclose(file) }

        private func append(_ n: Int) {
            withUnsafeBytes(of: UInt32(n).littleEndian) { bytes.append(contentsOf: $0) }
        }

        func add(_ cells: [String]) throws {
            bytes.removeAll(keepingCapacity: true)
            append(cells.count)
            for c in cells {
                var c = c
                c.withUTF8 { u in append(u.count); bytes.append(contentsOf: u) }
            }
            let ok = bytes.withUnsafeBytes { fwrite($0.baseAddress, 1, $0.count, file) == $0.count }
            if !ok { throw TrainSimError(.environment, path: "sweep", "cannot write the table's rows to a temporary file (\(String(cString: strerror(errno))))") }
        }

        /// Every row, in the order added.
        func forEach(_ body: ([String]) throws -> Void) throws {
            guard fflush(file) == 0 else { throw failure() }
            rewind(file)
            func count() throws -> Int? {
                var word: UInt32 = 0
                let n = withUnsafeMutableBytes(of: &word) { fread($0.baseAddress, 1, 4, file) }
                if n == 0 && feof(file) != 0 { return nil }
                guard n == 4 else { throw failure() }
                return Int(UInt32(littleEndian: word))
            }
            var buffer: [UInt8] = []
            while let cells = try count() {
                var row: [String] = []
                row.reserveCapacity(cells)
                for _ in 0..<cells {
                    guard let length = try count() else { throw failure() }
                    if buffer.count < length { buffer = [UInt8](repeating: 0, count: length) }
                    let n = buffer.withUnsafeMutableBytes { fread($0.baseAddress, 1, length, file) }
                    guard n == length else { throw failure() }
                    row.append(String(decoding: buffer[0..<length], as: UTF8.self))
                }
                try body(row)
            }
        }

        private func failure() -> TrainSimError {
            TrainSimError(.environment, path: "sweep", "cannot read the table's rows back from a temporary file")
        }
    }
}
