// libFuzzer entry point for the experiment decoder: `make fuzz` compiles this file together
// with the sources of Sources/TrainSimCore into one module (swiftc -sanitize=fuzzer,address),
// seeds a corpus from Experiments/ and Topologies/, and runs it.
//
// Each input is taken as the bytes of an experiment file: parsed, decoded (model, training,
// framework, cluster and its design, plan, cost, sweep, search), then its whole-run `data` and
// `reliability` objects, and the error, if any, is rendered as the CLI would print it. Every
// outcome but a crash, a leak or a hang is fine. References in the input (cluster.topology,
// training.framework, model files, devices) resolve only to files under TRAINSIM_HOME
// (`DataLocator.shippedOnly`): no absolute paths, no `..`, no pipes or devices that could block.
import Foundation

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzExperiment(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    DataLocator.shippedOnly = true
    let bytes = data.map { Data(bytes: $0, count: size) } ?? Data()
    let json: JSONValue
    do {
        json = try JSONParser.parse(bytes)
    } catch {
        _ = "line \(error.line), column \(error.column): \(error.message)"
        return 0
    }
    do {
        let e = try Experiment.decode(json, file: "fuzz.json", folder: nil)
        _ = try DataSpec.decode(e)
        _ = try ReliabilityOptions.decode(e)
    } catch {
        let line = error.description
        precondition(!line.contains("\n"), "an error message spans lines: \(line)")
    }
    return 0
}
