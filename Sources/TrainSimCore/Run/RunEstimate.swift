import Foundation

/// The whole run from one step: steps, days, device-hours, energy and cost.
public struct RunEstimate: Sendable, Equatable {
    public var steps: Double
    public var trainingSeconds: Double
    public var trainingDays: Double
    public var deviceHours: Double
    /// Average facility power while training, kW (devices, hosts, cooling via PUE).
    public var facilityPowerKW: Double
    public var energyMWh: Double
    public var currency: String
    public var computeCost: Double
    public var energyCost: Double
    public var totalCost: Double
    /// The same total in the other currency.
    public var totalCostUSD: Double
    public var totalCostCNY: Double
    public var pricePerDeviceHour: Double
    public var electricityPricePerKWh: Double
    public var pue: Double
    public var pricing: String
    /// Where the device price came from (its source, or the experiment).
    public var priceSource: String = ""

    public init(experiment e: Experiment, step: StepResult) {
        let topo = e.cluster.topology
        let dev = topo.device
        steps = (e.training.tokens / step.tokensPerStep).rounded(.up)
        trainingSeconds = steps * step.stepSeconds
        trainingDays = trainingSeconds / 86400
        let devices = Double(e.cluster.devices)
        deviceHours = devices * trainingSeconds / 3600
        let nodes = (devices / Double(topo.node.devicesPerNode)).rounded(.up)
        pue = e.cost.pue ?? topo.power.pue
        let itKW = (devices * dev.tdpWatts * dev.trainingPowerFraction + nodes * topo.node.hostPowerWatts) / 1000
        facilityPowerKW = itKW * pue
        energyMWh = facilityPowerKW * trainingSeconds / 3600 / 1000
        currency = e.cost.currency
        let fx = currency == "CNY" ? topo.prices.cnyPerUSD : 1
        pricing = e.cost.pricing
        // Where the price comes from, most specific first: the experiment, the design (a
        // supernode priced with its system), the device file; owned devices amortize the purchase.
        let src = topo.sources, dsrc = dev.sources
        let capital = topo.prices.capitalCostPerDeviceUSD.map { ($0, src["prices.capitalCostPerDeviceUSD"]) }
            ?? dev.capitalUSD.map { ($0, dsrc["prices.capitalUSD"]) }
        let rental = topo.prices.devicePricePerHourUSD.map { ($0, src["prices.devicePricePerHourUSD"]) }
            ?? dev.rentalPerHourUSD.map { ($0, dsrc["prices.rentalPerHourUSD"]) }
        if let p = e.cost.devicePricePerHour {
            pricePerDeviceHour = p
            priceSource = "the experiment's cost.devicePricePerHour"
        } else if pricing == "owned", let (c, s) = capital {
            pricePerDeviceHour = c / (topo.prices.amortizationYears * 8760) * fx
            priceSource = "purchase USD \(Int(c)) amortized over \(JSONWriter.number(topo.prices.amortizationYears)) years: " + (s ?? "no source given")
        } else if let (r, s) = rental {
            pricePerDeviceHour = r * fx
            priceSource = s ?? "no source given"
        } else if let (c, s) = capital {
            pricePerDeviceHour = c / (topo.prices.amortizationYears * 8760) * fx
            priceSource = "no rental price known; purchase USD \(Int(c)) amortized over \(JSONWriter.number(topo.prices.amortizationYears)) years: " + (s ?? "no source given")
        } else {
            pricePerDeviceHour = 0
            priceSource = "no price known for \(dev.name): set cost.devicePricePerHour"
        }
        electricityPricePerKWh = e.cost.electricityPricePerKWh ?? topo.prices.electricityPricePerKWhUSD * fx
        computeCost = deviceHours * pricePerDeviceHour
        energyCost = energyMWh * 1000 * electricityPricePerKWh
        totalCost = computeCost + energyCost
        totalCostUSD = currency == "USD" ? totalCost : totalCost / topo.prices.cnyPerUSD
        totalCostCNY = currency == "CNY" ? totalCost : totalCost * topo.prices.cnyPerUSD
    }
}
