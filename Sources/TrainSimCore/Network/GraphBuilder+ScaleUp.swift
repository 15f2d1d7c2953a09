import Foundation

extension TopologyGraph {
    /// Scale-up domains: a non-blocking switch per domain ("switch", "supernode": NVSwitch, UB),
    /// or direct links between every pair ("mesh": HCCS), each pair getting an equal share of
    /// the device's scale-up bandwidth. Meshes wider than 32 are built as switches.
    func buildScaleUp() {
        let spec = cluster.spec.node.scaleUp
        scaleUp.kind = spec.kind
        scaleUp.domainDevices = max(1, cluster.domainDevices)
        guard scaleUp.present else { scaleUp.kind = "none"; scaleUp.domainDevices = 1; return }
        let k = scaleUp.domainDevices
        let domains = (devices + k - 1) / k
        let bw = cluster.scaleUpBytesPerSecond
        if spec.kind == "mesh" && k <= 32 {
            scaleUp.meshBase = Int32(linkCount)
            for dom in 0..<domains {
                for i in 0..<k {
                    for j in 0..<k {
                        let a = dom * k + i, b = dom * k + j
                        let valid = i != j && a < devices && b < devices
                        // Unused slots keep the arithmetic layout; they carry no flow.
                        addLink(Int32(min(a, devices - 1)), Int32(min(b, devices - 1)),
                                capacity: valid ? bw / Double(k - 1) : 0, tier: 0)
                    }
                }
            }
            return
        }
        if scaleUp.kind == "mesh" { scaleUp.kind = "switch" }
        var switches: [Int32] = []
        for _ in 0..<domains { switches.append(addVertex(.scaleUpSwitch, tier: 0)) }
        scaleUp.upBase = Int32(linkCount)
        for d in 0..<devices { addLink(Int32(d), switches[d / k], capacity: bw, tier: 0) }
        scaleUp.downBase = Int32(linkCount)
        for d in 0..<devices { addLink(switches[d / k], Int32(d), capacity: bw, tier: 0) }
    }

    /// Appends the scale-up route a -> b (same domain) to `out`.
    @inline(__always)
    func scaleUpRoute(_ a: Int, _ b: Int, into out: inout RouteBuffer) {
        if scaleUp.isMesh {
            let k = scaleUp.domainDevices
            let dom = a / k
            out.append(scaleUp.meshBase + Int32(dom * k * k + (a % k) * k + (b % k)))
        } else {
            out.append(scaleUp.upBase + Int32(a))
            out.append(scaleUp.downBase + Int32(b))
        }
    }

    /// The scale-up links of device `d`: (up, down), for in-network reduction (switch kinds only).
    func scaleUpPorts(_ d: Int) -> (Int32, Int32)? {
        guard scaleUp.present, !scaleUp.isMesh else { return nil }
        return (scaleUp.upBase + Int32(d), scaleUp.downBase + Int32(d))
    }
}
