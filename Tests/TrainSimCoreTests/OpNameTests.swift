import XCTest
@testable import TrainSimCore

/// The names a trace gives a pass's operations come from `OpName`: one text per case, the
/// recomputed and weight-gradient variants found by stepping through the enum's groups.
final class OpNameTests: XCTestCase {
    func testEveryNameIsDistinct() {
        let texts = OpName.allCases.map(\.text)
        XCTAssertEqual(Set(texts).count, texts.count, "two operation kinds share a trace name")
    }

    func testRecomputedAndWeightGradientVariants() {
        XCTAssertEqual(OpName.qkvF.recomputed(true).text, "qkv F (recompute)")
        XCTAssertEqual(OpName.mlpDownF.recomputed(true).text, "mlp down F (recompute)")
        XCTAssertEqual(OpName.routerF.recomputed(false), .routerF)
        // Only forward pieces have a recomputed variant.
        XCTAssertEqual(OpName.attentionF.recomputed(true), .attentionF)
        XCTAssertEqual(OpName.qkvB.recomputed(true), .qkvB)
        XCTAssertEqual(OpName.qkvB.wgrad.text, "qkv B wgrad")
        XCTAssertEqual(OpName.mlpUpB.wgrad.text, "mlp up B wgrad")
        XCTAssertEqual(OpName.routerB.wgrad.text, "router B wgrad")
        XCTAssertEqual(OpName.unpermuteB.text, "unpermute B")
        XCTAssertEqual(OpName.cpGradQKVBack.text, "cp all-to-all (dQ, dK, dV back)")
    }
}
