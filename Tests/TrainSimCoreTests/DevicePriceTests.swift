import XCTest
@testable import TrainSimCore

/// Prices are sourced per device, and the report says which price it used.
final class DevicePriceTests: XCTestCase {
    func run(_ topology: String, cost: String = "") throws -> Analysis {
        let e = try Experiment.decode(try JSONParser.parse("""
        {"model": "llama3-8b", "training": {"tokens": 1e10, "sequenceLength": 4096, "globalBatchSequences": 64},
         "cluster": {"topology": "\(topology)", "devices": 64}, "parallelism": {"tp": 1}\(cost)}
        """), file: "price.json", folder: nil)
        return try Analysis.analyze(e)
    }

    func testEveryShippedDeviceHasSourcedPrices() throws {
        for id in DataLocator.presets(in: "Topologies/devices") {
            let d = try DeviceSpec.load(id, relativeTo: nil, referencedFrom: nil, keyPath: "accelerator")
            XCTAssertNotNil(d.rentalPerHourUSD, id)
            XCTAssertNotNil(d.capitalUSD, id)
            XCTAssertFalse(d.sources["prices.rentalPerHourUSD", default: ""].isEmpty, id)
            XCTAssertFalse(d.sources["prices.capitalUSD", default: ""].isEmpty, id)
        }
    }

    func testA910CDoesNotCostWhatA910BDoes() throws {
        let b = try run("ascend-910b-a2"), c = try run("ascend-910c-a3")
        XCTAssertGreaterThan(c.run.pricePerDeviceHour, 1.5 * b.run.pricePerDeviceHour)
        XCTAssertTrue(b.run.priceSource.contains("910C"), b.run.priceSource)
    }

    func testTheReportNamesThePriceItUsed() throws {
        let rented = try run("h800-ib")
        XCTAssertEqual(rented.run.pricePerDeviceHour, 2)
        XCTAssertTrue(rented.run.priceSource.contains("DeepSeek-V3"), rented.run.priceSource)
        let owned = try run("h800-ib", cost: #", "cost": {"pricing": "owned"}"#)
        XCTAssertEqual(owned.run.pricePerDeviceHour, 37500 / (4 * 8760), accuracy: 1e-9)
        XCTAssertTrue(owned.run.priceSource.hasPrefix("purchase USD 37500"), owned.run.priceSource)
        let given = try run("h800-ib", cost: #", "cost": {"devicePricePerHour": 1.5}"#)
        XCTAssertEqual(given.run.priceSource, "the experiment's cost.devicePricePerHour")
    }
}
