// swift-tools-version: 6.1
// Micro-benchmarks of trainsim's data-plane kernels with ordo-one/benchmark. Not built by CI.
// Run from this folder: swift package benchmark   (the full table with MPI: trainsim bench kernels)
import Foundation
import PackageDescription

// SwiftPM names a path dependency after its folder, so the root package's identity is the checkout's folder name.
let root = URL(fileURLWithPath: Context.packageDirectory).deletingLastPathComponent().lastPathComponent.lowercased()

let package = Package(
    name: "trainsim-benchmarks",
    platforms: [.macOS(.v13)],
    dependencies: [
        .package(path: ".."),
        .package(url: "https://github.com/ordo-one/benchmark", exact: "1.38.1", traits: ["MallocInterposer"]),
    ],
    targets: [
        .executableTarget(
            name: "KernelBenchmarks",
            dependencies: [
                .product(name: "Benchmark", package: "benchmark"),
                .product(name: "CollectiveKernels", package: root),
            ],
            path: "Benchmarks/KernelBenchmarks",
            plugins: [.plugin(name: "BenchmarkPlugin", package: "benchmark")]
        ),
    ]
)
