import Foundation

extension SweepOutput {
    /// A text table's rows, as made in its first pass (which measures the column widths), kept in
    /// a temporary file (`ScratchFile`) for the second pass (which pads and writes them), so that
    /// no pass after the first reads or formats a point again, and memory stays flat. A row is its
    /// cell count, then each cell's length and UTF-8 bytes (4-byte little-endian counts), so any
    /// text a cell holds comes back as it was.
    final class RowSpool {
        private let file: ScratchFile
        private var bytes: [UInt8] = []

        init() throws { file = try ScratchFile(holding: "the table's rows") }

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
            try bytes.withUnsafeBytes { try file.write($0) }
        }

        /// Every row, in the order added.
        func forEach(_ body: ([String]) throws -> Void) throws {
            try file.rewind()
            func count() throws -> Int? {
                var word: UInt32 = 0
                let n = try withUnsafeMutableBytes(of: &word) { try file.read(into: $0.baseAddress!, count: 4) }
                if n == 0 { return nil }
                guard n == 4 else { throw file.readFailure }
                return Int(UInt32(littleEndian: word))
            }
            var buffer: [UInt8] = []
            while let cells = try count() {
                var row: [String] = []
                row.reserveCapacity(cells)
                for _ in 0..<cells {
                    guard let length = try count() else { throw file.readFailure }
                    if buffer.count < length { buffer = [UInt8](repeating: 0, count: length) }
                    let n = try buffer.withUnsafeMutableBytes { try file.read(into: $0.baseAddress!, count: length) }
                    guard n == length else { throw file.readFailure }
                    row.append(String(decoding: buffer[0..<length], as: UTF8.self))
                }
                try body(row)
            }
        }
    }
}
