import Foundation

/// Plan against plan: how well trainsim gives the ratio between two published runs of the same
/// model on the same silicon, in the same metric (two recompute modes, two cluster sizes, two
/// stacks, two plans). A search ranks plans by such ratios, so this is the accuracy its ranking
/// has; errors that two runs share (a device curve's level, a stack's share) cancel in it.
///
/// - The ratio error of a pair is how far the predicted ratio a/b is from the published one, as a
///   symmetric share: exp(|ln(predicted a/b) - ln(published a/b)|) - 1, the same whichever run is a.
/// - Its order is right when trainsim puts the two runs the way round they were measured. Only
///   pairs measured at least `separation` apart are ordered: closer figures are within the few
///   per cent that repeated published measurements of one configuration differ by (InternLM's
///   16- to 256-GPU rows, C3, lie within 0.7 % of each other), so their order is not a fact to test.
/// - A pair is held out when neither run set a constant.
public struct RunPair: Sendable {
    public var a: CalibrationResult, b: CalibrationResult
    public var publishedRatio: Double { a.case.published / b.case.published }
    public var predictedRatio: Double { a.predicted / b.predicted }
    public var ratioError: Double { exp(abs(log(predictedRatio) - log(publishedRatio))) - 1 }
    /// Measured far enough apart for their order to be tested.
    public var ordered: Bool { abs(log(publishedRatio)) >= log(1 + CalibrationSuite.pairSeparation) }
    public var orderRight: Bool { (predictedRatio > 1) == (publishedRatio > 1) }
    public var heldOut: Bool { !a.case.calibration && !b.case.calibration }
    public var name: String { a.case.id + " / " + b.case.id }
}

/// What a set of pairs says: how many, how many were ordered and how many of those trainsim orders
/// right, and the median and worst ratio error (with the worst pair).
public struct PairSummary: Sendable, Equatable {
    public var pairs: Int
    public var ordered: Int
    public var orderRight: Int
    public var median: Double
    public var worst: Double
    public var worstPair: String?

    public init(pairs: Int, ordered: Int, orderRight: Int, median: Double, worst: Double, worstPair: String? = nil) {
        self.pairs = pairs; self.ordered = ordered; self.orderRight = orderRight
        self.median = median; self.worst = worst; self.worstPair = worstPair
    }

    init(_ ps: [RunPair]) {
        let ordered = ps.filter(\.ordered)
        let worst = ps.max { $0.ratioError < $1.ratioError }
        self.init(pairs: ps.count, ordered: ordered.count, orderRight: ordered.filter(\.orderRight).count,
                  median: CalibrationSuite.median(ps.map(\.ratioError)), worst: worst?.ratioError ?? 0, worstPair: worst?.name)
    }

    /// "ratio |error| median 3.0 %, worst 42.6 % over 16 pairs; order right in 14 of 15 measured 3 % or more apart"
    public var sentence: String {
        "ratio |error| median " + Fmt.fixed(100 * median, 1) + " %, worst " + Fmt.fixed(100 * worst, 1) + " % over \(pairs) pair\(pairs == 1 ? "" : "s"); "
            + "order right in \(orderRight) of \(ordered) measured " + Fmt.fixed(100 * CalibrationSuite.pairSeparation, 0) + " % or more apart"
    }
}

extension CalibrationSuite {
    /// Published figures closer than this share are not ordered (see `RunPair`). A convention of
    /// the report, not a modelling constant: it decides which pairs are counted, not any figure.
    public static let pairSeparation = 0.03

    /// Every pair of cases with the same model, the same device family (silicon) and the same
    /// metric, in the cases' order; with `acrossFamilies`, those of the same model and metric on
    /// two device families instead (the ratio a comparison of clusters rests on: H100 against A100).
    public static func pairs(_ results: [CalibrationResult], acrossFamilies: Bool = false) -> [RunPair] {
        var out: [RunPair] = []
        for i in results.indices {
            for j in results.indices where j > i {
                let a = results[i].case, b = results[j].case
                guard a.metric == b.metric, (a.family != b.family) == acrossFamilies, a.experiment.model == b.experiment.model else { continue }
                out.append(RunPair(a: results[i], b: results[j]))
            }
        }
        return out
    }

    /// The validate report's JSON `pairs`: the separation, the held-out and all pairs' summaries,
    /// and every pair.
    static func pairsJSON(_ ps: [RunPair]) -> JSONValue {
        func summary(_ s: PairSummary) -> JSONValue {
            .object([("pairs", .number(Double(s.pairs))), ("ordered", .number(Double(s.ordered))), ("orderRight", .number(Double(s.orderRight))),
                     ("medianAbsRatioError", .number(Analysis.round(s.median))), ("maxAbsRatioError", .number(Analysis.round(s.worst)))]
                    + (s.worstPair.map { [("worstPair", JSONValue.string($0))] } ?? []))
        }
        let list: [JSONValue] = ps.map { p in
            .object([("a", .string(p.a.case.id)), ("b", .string(p.b.case.id)), ("publishedRatio", .number(Analysis.round(p.publishedRatio))),
                     ("predictedRatio", .number(Analysis.round(p.predictedRatio))), ("absRatioError", .number(Analysis.round(p.ratioError))),
                     ("ordered", .bool(p.ordered)), ("orderRight", .bool(p.orderRight)), ("heldOut", .bool(p.heldOut))])
        }
        return .object([("separation", .number(pairSeparation)), ("heldOut", summary(PairSummary(ps.filter(\.heldOut)))),
                        ("all", summary(PairSummary(ps))), ("list", .array(list))])
    }

    /// The validate report's lines on pairs: the held-out and all pairs' summaries, and the pairs
    /// trainsim orders wrong.
    static func pairLines(_ ps: [RunPair], across: [RunPair], markdown: Bool) -> String {
        guard !ps.isEmpty || !across.isEmpty else { return "" }
        let lead = markdown ? "- " : "  "
        func head(_ t: String) -> String { markdown ? "\n**" + t + "**\n\n" : "\n" + t + "\n" }
        var s = head("plan against plan (pairs of published runs of one model on one device family, in one metric: the ratio a search ranks by)")
        func lines(_ ps: [RunPair], indent: String) {
            s += indent + "held out (neither run sets a constant): " + (ps.contains(where: \.heldOut) ? PairSummary(ps.filter(\.heldOut)).sentence : "none") + "\n"
            s += indent + "all: " + PairSummary(ps).sentence + "\n"
            for p in ps where p.ordered && !p.orderRight {
                s += indent + "order wrong: " + p.name + String(format: ": published %.3f, predicted %.3f", p.publishedRatio, p.predictedRatio) + "\n"
            }
        }
        if !ps.isEmpty { lines(ps, indent: lead) }
        if !across.isEmpty {
            let title = "across device families (one model, one metric, two silicons: the ratio a comparison of clusters rests on)"
            s += markdown ? head(title) : title + "\n"
            lines(across, indent: lead)
        }
        return s
    }
}
