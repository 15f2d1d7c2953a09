// libFuzzer entry point for the simulation itself: `make fuzz-engine` compiles this file together
// with the sources of Sources/TrainSimCore into one module (swiftc -O -sanitize=fuzzer,address;
// optimized, since the engine at -Onone is tens of times slower and would time out as false hangs),
// seeds a corpus from Experiments/, and runs it.
//
// Each input is taken as the bytes of an experiment file. One that decodes, on at most 4,096
// devices with at most 256 micro-batches (the flow network: 64 devices and 32 micro-batches), so
// that an input costs milliseconds, has its step simulated and its whole run estimated. Every
// outcome but a crash, a memory error, a leak or a hang is fine; a crash includes a step that is
// not a positive finite number, a negative or non-finite part of the breakdown, parts that do not
// add up to the step, a non-finite MFU or HFU, a step read off the steady state that is not the
// full simulation's (to 1e-9, up to 64 micro-batches), and an error message that spans lines.
// References in the input resolve only to files under TRAINSIM_HOME (`DataLocator.shippedOnly`).
import Foundation

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzEngine(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    DataLocator.shippedOnly = true
    let bytes = data.map { Data(bytes: $0, count: size) } ?? Data()
    guard let json = try? JSONParser.parse(bytes) else { return 0 }
    do {
        let e = try Experiment.decode(json, file: "fuzz.json", folder: nil)
        guard e.cluster.devices <= 4096, e.microBatches <= 256 else { return 0 }
        if e.cluster.network == .flow { guard e.cluster.devices <= 64, e.microBatches <= 32 else { return 0 } }
        let engine = try Engine(e)
        let r = engine.step()
        precondition(r.stepSeconds.isFinite && r.stepSeconds > 0, "step time \(r.stepSeconds)")
        // The step read off the steady state is the full simulation's (as the tests ask, to 1e-9).
        if e.microBatches <= 64 {
            var full = engine
            full.fullTimeline = true
            let f = full.step()
            precondition(abs(f.stepSeconds - r.stepSeconds) <= 1e-9 * f.stepSeconds,
                         "step \(r.stepSeconds) s read off the steady state, \(f.stepSeconds) s simulated in full")
        }
        let b = r.breakdown
        let parts = [b.compute, b.bubble, b.tp, b.pp, b.dp, b.ep, b.cp, b.optimizer]
        for part in parts { precondition(part.isFinite && part >= 0, "a part of the breakdown is \(part)") }
        precondition(abs(parts.reduce(0, +) - r.stepSeconds) <= 1e-6 * r.stepSeconds, "the breakdown does not add up to the step")
        let a = Analysis(experiment: e, step: r, run: RunEstimate(experiment: e, step: r))
        precondition(a.mfu.isFinite && a.hfu.isFinite, "MFU \(a.mfu), HFU \(a.hfu)")
        _ = try? WholeRun.wholeRun(for: a)
    } catch {
        let line = error.description
        precondition(!line.contains("\n"), "an error message spans lines: \(line)")
    }
    return 0
}
