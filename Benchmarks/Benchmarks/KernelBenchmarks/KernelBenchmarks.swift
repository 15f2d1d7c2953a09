import Benchmark
import CollectiveKernels

/// Reduction kernels at an in-cache size, and a ring all-reduce over the in-process transport.
/// Throughput counts operand bytes (one buffer), as `trainsim bench kernels` does.
let benchmarks: @Sendable () -> Void = {
    Benchmark.defaultConfiguration = .init(metrics: [.wallClock, .throughput, .mallocCountTotal], maxDuration: .seconds(2))

    let bytes = 256 << 10
    for type in ElementType.allCases {
        for op in ReductionOp.allCases {
            let kernel = ReductionKernel.best(op, type)
            Benchmark("\(type) \(op) 256 KiB [\(kernel.isa)]", configuration: .init(scalingFactor: .kilo)) { benchmark in
                let dst = UnsafeMutableRawPointer.allocate(byteCount: bytes, alignment: 64)
                let src = UnsafeMutableRawPointer.allocate(byteCount: bytes, alignment: 64)
                defer { dst.deallocate(); src.deallocate() }
                dst.initializeMemory(as: UInt8.self, repeating: 0, count: bytes)
                src.initializeMemory(as: UInt8.self, repeating: 0, count: bytes)
                benchmark.startMeasurement()
                for _ in benchmark.scaledIterations {
                    kernel(dst, UnsafeRawPointer(src), count: bytes / type.byteCount)
                }
                benchmark.stopMeasurement()
                blackHole(dst.load(as: UInt8.self))
            }
        }
    }

    Benchmark("ring all-reduce fp32 4 MiB, 4 in-process ranks", configuration: .init(maxDuration: .seconds(3))) { benchmark in
        let count = (4 << 20) / 4
        for _ in benchmark.scaledIterations {
            InProcessFabric.run(ranks: 4) { transport in
                var data = [Float](repeating: 1, count: count)
                data.withUnsafeMutableBytes {
                    CollectiveRunner(transport: transport).allReduce($0.baseAddress!, count: count, type: .fp32, op: .sum, algorithm: .ring)
                }
                blackHole(data[0])
            }
        }
    }
}
