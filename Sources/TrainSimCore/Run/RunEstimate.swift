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
        if let p = e.cost.devicePricePerHour {
            pricePerDeviceHour = p
        } else if pricing == "owned", let capital = topo.prices.capitalCostPerDeviceUSD {
            pricePerDeviceHour = capital / (topo.prices.amortizationYears * 8760) * fx
        } else {
            pricePerDeviceHour = topo.prices.devicePricePerHourUSD * fx
        }
        electricityPricePerKWh = e.cost.electricityPricePerKWh ?? topo.prices.electricityPricePerKWhUSD * fx
        computeCost = deviceHours * pricePerDeviceHour
        energyCost = energyMWh * 1000 * electricityPricePerKWh
        totalCost = computeCost + energyCost
        totalCostUSD = currency == "USD" ? totalCost : totalCost / topo.prices.cnyPerUSD
        totalCostCNY = currency == "CNY" ? totalCost : totalCost * topo.prices.cnyPerUSD
    }
}
