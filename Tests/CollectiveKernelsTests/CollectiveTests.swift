import CollectiveKernels
import Foundation
import XCTest

/// The collective algorithms over the in-process transport, for 1 to 9 ranks and awkward counts, against
/// references computed here. Inputs are small integers, exact in every type, so any reduction order must give
/// the reference bits.
final class CollectiveTests: XCTestCase {
    /// Runs `body` on `ranks` threads and returns each rank's output bytes.
    private func run(ranks: Int, chunkBytes: Int, depth: Int = 2,
                     _ body: @escaping @Sendable (CollectiveRunner) -> [UInt8]) -> [[UInt8]] {
        let results = Results(ranks)
        InProcessFabric.run(ranks: ranks) { transport in
            let runner = CollectiveRunner(transport: transport, chunkBytes: chunkBytes, pipelineDepth: depth)
            results.set(transport.rank, body(runner))
        }
        return results.values
    }

    /// Rank `rank`'s input: `count` small integers of `type`.
    private static func input(rank: Int, count: Int, type: ElementType, salt: Int = 0) -> [UInt8] {
        let values = (0..<count).map { i in Float(((i &* 7 &+ rank &* 13 &+ salt) % 17) - 8) }
        return encode(values, type)
    }

    private static func encode(_ values: [Float], _ type: ElementType) -> [UInt8] {
        switch type {
        case .fp32: values.withUnsafeBytes { Array($0) }
        case .bf16: values.map { BFloat16Bits.bits($0) }.withUnsafeBytes { Array($0) }
        case .fp16: values.map { Float16Bits.bits($0) }.withUnsafeBytes { Array($0) }
        }
    }

    /// The elementwise reduction over ranks, in rank order, with the reference kernel.
    private static func reference(ranks: Int, count: Int, type: ElementType, op: ReductionOp) -> [UInt8] {
        var total = input(rank: 0, count: count, type: type)
        for r in 1..<max(ranks, 1) {
            let next = input(rank: r, count: count, type: type)
            total.withUnsafeMutableBytes { t in
                next.withUnsafeBytes { ReferenceReduction.reduce(op, type, into: t.baseAddress!, from: $0.baseAddress!, count: count) }
            }
        }
        return total
    }

    func testAllReduceEveryAlgorithmRankCountAndType() {
        for ranks in 1...9 {
            for algorithm in CollectiveKind.allReduce.algorithms {
                for type in ElementType.allCases {
                    for op in ReductionOp.allCases {
                        for count in [0, 1, ranks + 2, 301] {
                            let chunk = 3 * type.byteCount + 1  // uneven chunks, many per block
                            let out = run(ranks: ranks, chunkBytes: chunk) { runner in
                                var data = Self.input(rank: runner.transport.rank, count: count, type: type)
                                data.withUnsafeMutableBytes {
                                    runner.allReduce($0.baseAddress ?? UnsafeMutableRawPointer(bitPattern: 64)!, count: count, type: type, op: op, algorithm: algorithm)
                                }
                                return data
                            }
                            let expected = Self.reference(ranks: ranks, count: count, type: type, op: op)
                            for (rank, result) in out.enumerated() where result != expected {
                                XCTFail("\(algorithm) \(type) \(op), \(ranks) ranks, count \(count): rank \(rank) differs")
                            }
                        }
                    }
                }
            }
        }
    }

    func testLargeAllReduceWithDefaultChunks() {
        let count = 1_000_003
        for algorithm in CollectiveKind.allReduce.algorithms {
            let out = run(ranks: 3, chunkBytes: 256 << 10, depth: 4) { runner in
                var data = Self.input(rank: runner.transport.rank, count: count, type: .fp32)
                data.withUnsafeMutableBytes { runner.allReduce($0.baseAddress!, count: count, type: .fp32, op: .sum, algorithm: algorithm) }
                return data
            }
            let expected = Self.reference(ranks: 3, count: count, type: .fp32, op: .sum)
            XCTAssertTrue(out.allSatisfy { $0 == expected }, "\(algorithm)")
        }
    }

    func testRandomValuesGiveTheSameBitsOnEveryRank() {
        for ranks in [2, 5, 8] {
            for algorithm in CollectiveKind.allReduce.algorithms {
                let out = run(ranks: ranks, chunkBytes: 64) { runner in
                    var rng = SplitMix64(seed: UInt64(runner.transport.rank + 1))
                    var data = (0..<999).map { _ in Float(Double(rng.next() % 1_000_000) / 997.0 - 500) }
                    data.withUnsafeMutableBytes { runner.allReduce($0.baseAddress!, count: 999, type: .fp32, op: .sum, algorithm: algorithm) }
                    return data.withUnsafeBytes { Array($0) }
                }
                XCTAssertTrue(out.allSatisfy { $0 == out[0] }, "\(algorithm) on \(ranks) ranks")
            }
        }
    }

    func testReduceScatterLeavesEachRankItsReducedBlock() {
        for ranks in 1...9 {
            for count in [0, 1, ranks - 1, 2 * ranks + 1, 1001] {
                let type = ElementType.bf16
                let out = run(ranks: ranks, chunkBytes: 10) { runner in
                    var data = Self.input(rank: runner.transport.rank, count: count, type: type)
                    data.withUnsafeMutableBytes { runner.reduceScatter($0.baseAddress ?? UnsafeMutableRawPointer(bitPattern: 64)!, count: count, type: type, op: .sum) }
                    let block = BlockPartition(count: count, parts: ranks).range(runner.transport.rank, runner.transport.rank + 1)
                    return Array(data[(block.lowerBound * 2)..<(block.upperBound * 2)])
                }
                let expected = Self.reference(ranks: ranks, count: count, type: type, op: .sum)
                let blocks = BlockPartition(count: count, parts: ranks)
                for rank in 0..<ranks {
                    let range = blocks.range(rank, rank + 1)
                    XCTAssertEqual(out[rank], Array(expected[(range.lowerBound * 2)..<(range.upperBound * 2)]), "\(ranks) ranks, count \(count), rank \(rank)")
                }
            }
        }
    }

    func testAllGatherCollectsEveryBlock() {
        for ranks in 1...9 {
            for count in [0, 1, ranks + 1, 777] {
                let blocks = BlockPartition(count: count, parts: ranks)
                let expected = Self.input(rank: 0, count: count, type: .fp16, salt: 5)
                let out = run(ranks: ranks, chunkBytes: 6) { runner in
                    let rank = runner.transport.rank, mine = blocks.range(rank, rank + 1)
                    var data = [UInt8](repeating: 0xee, count: count * 2)
                    data.replaceSubrange((mine.lowerBound * 2)..<(mine.upperBound * 2), with: expected[(mine.lowerBound * 2)..<(mine.upperBound * 2)])
                    data.withUnsafeMutableBytes { runner.allGather($0.baseAddress ?? UnsafeMutableRawPointer(bitPattern: 64)!, count: count, type: .fp16) }
                    return data
                }
                for rank in 0..<ranks { XCTAssertEqual(out[rank], expected, "\(ranks) ranks, count \(count), rank \(rank)") }
            }
        }
    }

    func testAllToAllDeliversEveryBlock() {
        for ranks in 1...9 {
            for perRank in [0, 1, 3, 101] {
                let out = run(ranks: ranks, chunkBytes: 40) { runner in
                    let rank = runner.transport.rank
                    // Element i of the block for rank j from rank r is r * 1000 + j * 10 + i % 10.
                    let send = (0..<(ranks * perRank)).map { k in Float(rank * 1000 + (k / max(perRank, 1)) * 10 + (k % max(perRank, 1)) % 10) }
                    var receive = [Float](repeating: -1, count: ranks * perRank)
                    send.withUnsafeBytes { s in
                        receive.withUnsafeMutableBytes { r in
                            runner.allToAll(send: s.baseAddress ?? UnsafeRawPointer(bitPattern: 64)!, receive: r.baseAddress ?? UnsafeMutableRawPointer(bitPattern: 64)!, countPerRank: perRank, type: .fp32)
                        }
                    }
                    return receive.withUnsafeBytes { Array($0) }
                }
                for rank in 0..<ranks {
                    let expected = (0..<(ranks * perRank)).map { k in Float((k / perRank) * 1000 + rank * 10 + (k % perRank) % 10) }
                    XCTAssertEqual(out[rank], expected.withUnsafeBytes { Array($0) }, "\(ranks) ranks, \(perRank) per rank, rank \(rank)")
                }
            }
        }
    }

    func testBlockPartition() {
        let p = BlockPartition(count: 10, parts: 4)
        XCTAssertEqual((0...4).map(p.start), [0, 3, 6, 8, 10])
        XCTAssertEqual((0..<4).map(p.size), [3, 3, 2, 2])
        let q = BlockPartition(count: 2, parts: 5)
        XCTAssertEqual((0..<5).map(q.size), [1, 1, 0, 0, 0])
    }
}

/// Per-rank results written from the rank threads.
private final class Results: @unchecked Sendable {
    private let lock = NSLock()
    private var storage: [[UInt8]]
    init(_ ranks: Int) { storage = Array(repeating: [], count: ranks) }
    func set(_ rank: Int, _ value: [UInt8]) { lock.withLock { storage[rank] = value } }
    var values: [[UInt8]] { lock.withLock { storage } }
}
