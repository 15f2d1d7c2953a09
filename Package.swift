// swift-tools-version: 6.1
import Foundation
import PackageDescription

/// Open MPI's header folder, for the CMPI module. Open MPI is not linked: trainsim opens libmpi on
/// first use (Sources/CMPI/shim.h), so pkg-config gives only the header path here (a system
/// library's `pkgConfig` would also link -lmpi into every start).
let mpiInclude: String = {
    let p = Process()
    p.executableURL = URL(fileURLWithPath: "/usr/bin/env")
    p.arguments = ["pkg-config", "--cflags-only-I", "ompi"]
    let pipe = Pipe()
    p.standardOutput = pipe
    p.standardError = FileHandle.nullDevice
    if (try? p.run()) != nil {
        let out = String(decoding: pipe.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        p.waitUntilExit()
        if let flag = out.split(separator: " ").first(where: { $0.hasPrefix("-I") }) {
            return String(flag.dropFirst(2)).trimmingCharacters(in: .whitespacesAndNewlines)
        }
    }
    return "/usr/lib/x86_64-linux-gnu/openmpi/include"
}()
let mpiHeaders: [SwiftSetting] = [.unsafeFlags(["-Xcc", "-I" + mpiInclude])]

/// Generic types are instantiated through their metadata accessors, not by demangling their names
/// at run time: a name's generic requirements (a dictionary key's Hashable) were looked up by
/// scanning every protocol conformance in the binary, Foundation's included, on the first use of
/// each type. Measured with `make callgrind` (instructions, whole process; outputs byte-identical):
/// the quickstart 15.47 M -> 13.79 M, the 9,216-device MoE run of `trainsim bench timeline` 18.90 M
/// -> 17.40 M, the shipped DeepSeek-V3 run 36.78 M -> 35.09 M. (Set on trainsim's own targets:
/// `trainsim FILE` does not run ArgumentParser, and `trainsim --version`, which does, stays at 15.4 M.)
let directMetadata: SwiftSetting = .unsafeFlags(["-Xfrontend", "-disable-concrete-type-metadata-mangled-name-accessors"])

/// GCC's C++ library, linked into the binary: a folder holding only a link to `libstdc++.a`
/// (`.build/static-cxx`, made here, whatever scratch path the build uses), searched before the
/// system's folders, so that the `-lstdc++` that the Swift runtime's static libraries ask for
/// finds the archive rather than the shared library. Loading libstdc++.so and
/// libgcc_s.so and binding their symbols took the dynamic loader 1,676 of its 1,779 symbol
/// relocations at every start. nil where no libstdc++.a is found: the shared library is linked.
let staticCxxFolder: String? = {
    let gcc = "/usr/lib/gcc/x86_64-linux-gnu"
    let fm = FileManager.default
    guard let versions = try? fm.contentsOfDirectory(atPath: gcc) else { return nil }
    let archives = versions.compactMap { Int($0) }.sorted(by: >).map { "\(gcc)/\($0)/libstdc++.a" }
    guard let archive = archives.first(where: { fm.fileExists(atPath: $0) }) else { return nil }
    let folder = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent(".build/static-cxx")
    let link = folder.appendingPathComponent("libstdc++.a")
    try? fm.createDirectory(at: folder, withIntermediateDirectories: true)
    if (try? fm.destinationOfSymbolicLink(atPath: link.path)) != archive {
        try? fm.removeItem(at: link)
        guard (try? fm.createSymbolicLink(atPath: link.path, withDestinationPath: archive)) != nil else { return nil }
    }
    return folder.path
}()

let package = Package(
    name: "trainsim",
    platforms: [.macOS(.v13)],
    products: [
        .executable(name: "trainsim", targets: ["trainsim"]),
        .library(name: "TrainSimCore", targets: ["TrainSimCore"]),
        .library(name: "CollectiveKernels", targets: ["CollectiveKernels"]),
        .library(name: "TrainSimMPI", targets: ["TrainSimMPI"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
        .package(url: "https://github.com/apple/swift-collections", from: "1.6.0"),
        .package(url: "https://github.com/apple/swift-numerics", from: "1.1.1"),
    ],
    targets: [
        .systemLibrary(name: "CMPI", providers: [.apt(["libopenmpi-dev"])]),
        // The reduction kernels: one C function per instruction set, chosen at run time.
        .target(name: "CKernelsC"),
        .target(
            name: "CollectiveKernels",
            dependencies: ["CKernelsC"],
            swiftSettings: [.unsafeFlags(["-Ounchecked"]), directMetadata]
        ),
        .target(
            name: "TrainSimCore",
            dependencies: [
                .product(name: "Collections", package: "swift-collections"),
                .product(name: "Numerics", package: "swift-numerics"),
            ],
            // The simulator is optimised in debug builds too: the test suite simulates thousands
            // of step timelines (calibration cases, brute-force searches), 10-30x slower at -Onone.
            swiftSettings: [.unsafeFlags(["-O"], .when(configuration: .debug)), directMetadata]
        ),
        .target(name: "TrainSimMPI", dependencies: ["CMPI", "CollectiveKernels", "TrainSimCore"], swiftSettings: mpiHeaders + [directMetadata]),
        .executableTarget(
            name: "trainsim",
            dependencies: [
                "TrainSimCore", "TrainSimMPI", "CollectiveKernels",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ],
            swiftSettings: mpiHeaders + [directMetadata],
            // Swift's runtime and Foundation linked into the binary: binding their symbols at every
            // start took the dynamic loader 4-5 ms, half of a small run (`trainsim --version` 10.4 ->
            // 5.7 ms). The binary grows from 27 to 97 MB (Foundation's ICU data). The static libraries
            // the dynamic Foundation would load itself are named here. Linked at a fixed address
            // (not position-independent): a PIE binary this size had 81,898 relocations to apply and
            // 980 page faults at every start; fixed, 953 and 770 (`trainsim --version` 9.0 -> 6.7 ms
            // mean wall here, the 9,216-device MoE run 11.9 -> 11.4 ms).
            // C++'s and GCC's runtime libraries are linked in too (`staticCxxFolder`; `stdc++` named
            // again after Foundation's ICU, which needs it), and the binary's own symbols are not
            // exported: the runtime's static libraries ask for -export-dynamic, which put 11,112
            // symbols in the dynamic table, for nothing that looks them up, and the backtracer's
            // dladdr at every start walks that table. Together (`make callgrind`, the 9,216-device MoE
            // run of `trainsim bench timeline`): 15.0 M -> 12.5 M instructions, 700 -> 621 page
            // faults; wall, best of 40 alternated: 10.8 -> 8.9 ms, `trainsim --version` 9.1 -> 6.6 ms.
            // Only glibc stays shared: libmpi, opened on first use, needs the process's own libc.
            linkerSettings: [.unsafeFlags(["-static-stdlib", "-Xclang-linker", "-no-pie", "-Xlinker", "--no-export-dynamic"]
                                           + (staticCxxFolder.map { ["-L" + $0, "-Xclang-linker", "-static-libgcc"] } ?? []),
                                           .when(platforms: [.linux], configuration: .release))]
                + ["CoreFoundation", "_FoundationCShims", "_FoundationCollections", "_FoundationICU", "swiftSynchronization", "stdc++"].map {
                    .linkedLibrary($0, .when(platforms: [.linux], configuration: .release))
                }
        ),
        .testTarget(name: "TrainSimCoreTests", dependencies: ["TrainSimCore"]),
        .testTarget(name: "CollectiveKernelsTests", dependencies: ["CollectiveKernels"]),
        .testTarget(name: "TrainSimMPITests", dependencies: ["TrainSimMPI", "CollectiveKernels", "TrainSimCore"], swiftSettings: mpiHeaders),
        .testTarget(name: "CLITests", dependencies: ["TrainSimCore"]),
    ]
)
