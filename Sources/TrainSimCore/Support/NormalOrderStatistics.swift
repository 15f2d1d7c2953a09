import Foundation

/// Order statistics of independent standard normal variables (mathematics, no modelling constant).
enum NormalOrderStatistics {
    /// The expected largest of n independent standard normal variables, by Blom's approximation
    /// Φ⁻¹((n − 0.375) / (n + 0.25)) (G. Blom, Statistical Estimates and Transformed Beta-Variables,
    /// 1958): 0 for n = 1, 0.59 for 2 (exact 0.56), 1.43 for 8 (exact 1.42), 3.04 for 512, 3.96 for 16,384.
    static func expectedMaximum(of n: Int) -> Double {
        guard n > 1 else { return 0 }
        let x = Double(n)
        return inverseNormal((x - 0.375) / (x + 0.25))
    }

    /// Φ⁻¹(p), the standard normal quantile, by P. J. Acklam's rational approximation (relative
    /// error below 1.2e-9), for 0 < p < 1.
    static func inverseNormal(_ p: Double) -> Double {
        precondition(p > 0 && p < 1, "inverseNormal: p outside (0, 1)")
        if p < 0.5 { return -inverseNormal(1 - p) }
        if p < 0.97575 {
            let q = p - 0.5, r = q * q
            let num = (((((-3.969683028665376e+01 * r + 2.209460984245205e+02) * r - 2.759285104469687e+02) * r
                         + 1.383577518672690e+02) * r - 3.066479806614716e+01) * r + 2.506628277459239e+00) * q
            let den = ((((-5.447609879822406e+01 * r + 1.615858368580409e+02) * r - 1.556989798598866e+02) * r
                        + 6.680131188771972e+01) * r - 1.328068155288572e+01) * r + 1
            return num / den
        }
        let q = (-2 * log(1 - p)).squareRoot()
        let num = ((((-7.784894002430293e-03 * q - 3.223964580411365e-01) * q - 2.400758277161838e+00) * q
                    - 2.549732539343734e+00) * q + 4.374664141464968e+00) * q + 2.938163982698783e+00
        let den = (((7.784695709041462e-03 * q + 3.224671290700398e-01) * q + 2.445134137142996e+00) * q
                   + 3.754408661907416e+00) * q + 1
        return -num / den
    }
}
