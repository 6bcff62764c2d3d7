//! Statistics helpers: least-squares lines with t-intervals, Wilson intervals for proportions,
//! binomial tails, two-proportion tests; `limit_fit` (a limit by a truncated power series with a
//! t-interval on its constant term) and `trend` (the Cochran-Armitage trend test).

mod limit_fit;
mod trend;

pub use limit_fit::{LimitFit, limit_fit};
pub use trend::{Group, Trend, cochran_armitage};

use serde::Serialize;
use statrs::distribution::{Binomial, ContinuousCDF, DiscreteCDF, Normal, StudentsT};

/// Least-squares fit y = intercept + slope x with a two-sided confidence interval on the slope.
#[derive(Debug, Clone, Copy, Serialize)]
pub struct LinearFit {
    pub slope: f64,
    pub intercept: f64,
    /// Confidence interval on the slope at `level` (Student t with n - 2 degrees of freedom).
    pub slope_low: f64,
    pub slope_high: f64,
    pub level: f64,
    /// Coefficient of determination.
    pub r_squared: f64,
    pub n: usize,
}

/// Fits a line by ordinary least squares. Needs at least three points with two distinct x (two
/// points leave no degrees of freedom for the interval); returns None otherwise or on NaN.
pub fn linear_fit(x: &[f64], y: &[f64], level: f64) -> Option<LinearFit> {
    let n = x.len();
    if n != y.len() || n < 3 || !(0.0..1.0).contains(&level) {
        return None;
    }
    if x.iter().chain(y).any(|v| !v.is_finite()) {
        return None;
    }
    let nf = n as f64;
    let mx = x.iter().sum::<f64>() / nf;
    let my = y.iter().sum::<f64>() / nf;
    let sxx: f64 = x.iter().map(|v| (v - mx) * (v - mx)).sum();
    let sxy: f64 = x.iter().zip(y).map(|(a, b)| (a - mx) * (b - my)).sum();
    let syy: f64 = y.iter().map(|v| (v - my) * (v - my)).sum();
    if sxx <= 0.0 {
        return None;
    }
    let slope = sxy / sxx;
    let intercept = my - slope * mx;
    let sse: f64 = x
        .iter()
        .zip(y)
        .map(|(a, b)| {
            let r = b - intercept - slope * a;
            r * r
        })
        .sum();
    let se = (sse / (nf - 2.0) / sxx).sqrt();
    let t = StudentsT::new(0.0, 1.0, nf - 2.0)
        .ok()?
        .inverse_cdf(0.5 + level / 2.0);
    let r_squared = if syy > 0.0 { 1.0 - sse / syy } else { 1.0 };
    Some(LinearFit {
        slope,
        intercept,
        slope_low: slope - t * se,
        slope_high: slope + t * se,
        level,
        r_squared,
        n,
    })
}

/// Least-squares fit y = intercept + slope x + gamma w (one covariate `w` besides `x`), with a
/// two-sided Student-t interval (n - 3 degrees of freedom) on `slope`.
///
/// Used where theory gives an exponent only asymptotically and a known finite-size term must
/// be absorbed: the interval is on the coefficient of x with the covariate held fixed.
#[derive(Debug, Clone, Copy, Serialize)]
pub struct CovariateFit {
    pub slope: f64,
    pub slope_low: f64,
    pub slope_high: f64,
    pub gamma: f64,
    pub intercept: f64,
    pub level: f64,
    pub n: usize,
}

/// Fits y = a + b x + g w by ordinary least squares. Needs at least four points and
/// non-collinear (x, w); returns None otherwise or on NaN.
pub fn linear_fit_with_covariate(
    x: &[f64],
    w: &[f64],
    y: &[f64],
    level: f64,
) -> Option<CovariateFit> {
    let n = x.len();
    if n != y.len() || n != w.len() || n < 4 || !(0.0..1.0).contains(&level) {
        return None;
    }
    if x.iter().chain(w).chain(y).any(|v| !v.is_finite()) {
        return None;
    }
    let nf = n as f64;
    let mean = |v: &[f64]| v.iter().sum::<f64>() / nf;
    let (mx, mw, my) = (mean(x), mean(w), mean(y));
    let cross = |a: &[f64], ma: f64, b: &[f64], mb: f64| -> f64 {
        a.iter().zip(b).map(|(p, q)| (p - ma) * (q - mb)).sum()
    };
    let (sxx, sww, sxw) = (
        cross(x, mx, x, mx),
        cross(w, mw, w, mw),
        cross(x, mx, w, mw),
    );
    let (sxy, swy) = (cross(x, mx, y, my), cross(w, mw, y, my));
    let det = sxx * sww - sxw * sxw;
    if det.is_nan() || det <= 1e-12 * sxx * sww {
        return None;
    }
    let slope = (sww * sxy - sxw * swy) / det;
    let gamma = (sxx * swy - sxw * sxy) / det;
    let intercept = my - slope * mx - gamma * mw;
    let sse: f64 = (0..n)
        .map(|i| (y[i] - intercept - slope * x[i] - gamma * w[i]).powi(2))
        .sum();
    let se = (sse / (nf - 3.0) * sww / det).sqrt();
    let t = StudentsT::new(0.0, 1.0, nf - 3.0)
        .ok()?
        .inverse_cdf(0.5 + level / 2.0);
    Some(CovariateFit {
        slope,
        slope_low: slope - t * se,
        slope_high: slope + t * se,
        gamma,
        intercept,
        level,
        n,
    })
}

/// Wilson score interval for a binomial proportion `successes / trials` at `level`.
pub fn wilson_interval(successes: u64, trials: u64, level: f64) -> Option<(f64, f64)> {
    if trials == 0 || successes > trials || !(0.0..1.0).contains(&level) {
        return None;
    }
    let z = Normal::standard().inverse_cdf(0.5 + level / 2.0);
    let n = trials as f64;
    let p = successes as f64 / n;
    let denom = 1.0 + z * z / n;
    let centre = (p + z * z / (2.0 * n)) / denom;
    let half = z * (p * (1.0 - p) / n + z * z / (4.0 * n * n)).sqrt() / denom;
    Some(((centre - half).max(0.0), (centre + half).min(1.0)))
}

/// P(X >= k) for X ~ Binomial(n, p): how surprising k chance failures in n seeds are when each
/// seed fails with probability p (a claim's designed false-failure rate). None for p outside
/// [0, 1] or NaN, or k > n.
pub fn binomial_upper_tail(k: u64, n: u64, p: f64) -> Option<f64> {
    if !(0.0..=1.0).contains(&p) || k > n {
        return None;
    }
    if k == 0 {
        return Some(1.0);
    }
    let b = Binomial::new(p, n).ok()?;
    // sf(x) = P(X > x), so P(X >= k) = sf(k - 1).
    Some(b.sf(k - 1).clamp(0.0, 1.0))
}

/// One-sided two-proportion z statistic for H1: p2 > p1, with the pooled standard error.
/// Returns None when a sample is empty or both proportions are 0 or both 1 (no variance).
pub fn two_proportion_z(
    successes1: u64,
    trials1: u64,
    successes2: u64,
    trials2: u64,
) -> Option<f64> {
    if trials1 == 0 || trials2 == 0 || successes1 > trials1 || successes2 > trials2 {
        return None;
    }
    let (n1, n2) = (trials1 as f64, trials2 as f64);
    let (p1, p2) = (successes1 as f64 / n1, successes2 as f64 / n2);
    let pooled = (successes1 + successes2) as f64 / (n1 + n2);
    let se = (pooled * (1.0 - pooled) * (1.0 / n1 + 1.0 / n2)).sqrt();
    (se > 0.0).then(|| (p2 - p1) / se)
}

/// The standard normal quantile: the critical value of a one-sided z-test at level `alpha`.
pub fn normal_quantile(p: f64) -> f64 {
    Normal::standard().inverse_cdf(p)
}

/// Mean of independent replicate estimates with a two-sided Student-t interval (n - 1 degrees of
/// freedom): the interval over seeds of a per-seed quantity (a fitted slope, an exponent).
#[derive(Debug, Clone, Copy, Serialize)]
pub struct MeanInterval {
    pub mean: f64,
    pub low: f64,
    pub high: f64,
    /// Sample standard deviation.
    pub sd: f64,
    pub level: f64,
    pub n: usize,
}

impl MeanInterval {
    /// Half the width of the interval.
    pub fn half_width(&self) -> f64 {
        0.5 * (self.high - self.low)
    }
}

/// The t-interval of the mean of `values`. Needs at least two finite values; None otherwise.
pub fn mean_interval(values: &[f64], level: f64) -> Option<MeanInterval> {
    let n = values.len();
    if n < 2 || !(0.0..1.0).contains(&level) || values.iter().any(|v| !v.is_finite()) {
        return None;
    }
    let nf = n as f64;
    let mean = values.iter().sum::<f64>() / nf;
    let var = values.iter().map(|v| (v - mean) * (v - mean)).sum::<f64>() / (nf - 1.0);
    let sd = var.sqrt();
    let t = StudentsT::new(0.0, 1.0, nf - 1.0)
        .ok()?
        .inverse_cdf(0.5 + level / 2.0);
    let half = t * sd / nf.sqrt();
    Some(MeanInterval {
        mean,
        low: mean - half,
        high: mean + half,
        sd,
        level,
        n,
    })
}

/// Welch's t-interval for the difference of two means, mean(a) - mean(b), with the
/// `mean_interval` as (mean, low, high), with a NaN triple when it cannot be formed, so that a
/// missing interval becomes an error verdict downstream rather than a skipped test.
pub fn mean_interval_or_nan(values: &[f64], level: f64) -> (f64, f64, f64) {
    mean_interval(values, level).map_or((f64::NAN, f64::NAN, f64::NAN), |m| (m.mean, m.low, m.high))
}

/// The envelope of several (estimate, low, high) intervals: the estimate farthest from `centre`,
/// and (min low, max high); NaN if any part of any interval is NaN (never dropped, unlike
/// `f64::min`).
pub fn interval_envelope(items: &[(f64, f64, f64)], centre: f64) -> (f64, (f64, f64)) {
    let mut est = f64::NAN;
    let mut far = -1.0;
    let (mut lo, mut hi) = (f64::INFINITY, f64::NEG_INFINITY);
    for &(m, l, h) in items {
        if m.is_nan() || l.is_nan() || h.is_nan() {
            return (f64::NAN, (f64::NAN, f64::NAN));
        }
        if (m - centre).abs() > far {
            far = (m - centre).abs();
            est = m;
        }
        lo = lo.min(l);
        hi = hi.max(h);
    }
    (est, (lo, hi))
}

/// Welch-Satterthwaite degrees of freedom. Needs two finite values in each sample.
pub fn welch_difference(a: &[f64], b: &[f64], level: f64) -> Option<MeanInterval> {
    let (ia, ib) = (mean_interval(a, level)?, mean_interval(b, level)?);
    let (va, vb) = (ia.sd * ia.sd / ia.n as f64, ib.sd * ib.sd / ib.n as f64);
    let se2 = va + vb;
    let diff = ia.mean - ib.mean;
    if se2 == 0.0 {
        return Some(MeanInterval {
            mean: diff,
            low: diff,
            high: diff,
            sd: 0.0,
            level,
            n: ia.n + ib.n,
        });
    }
    let df = se2 * se2 / (va * va / (ia.n as f64 - 1.0) + vb * vb / (ib.n as f64 - 1.0));
    let t = StudentsT::new(0.0, 1.0, df)
        .ok()?
        .inverse_cdf(0.5 + level / 2.0);
    let half = t * se2.sqrt();
    Some(MeanInterval {
        mean: diff,
        low: diff - half,
        high: diff + half,
        sd: se2.sqrt(),
        level,
        n: ia.n + ib.n,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn exact_line_has_zero_width_interval() {
        let x = [1.0, 2.0, 3.0, 4.0];
        let y = [3.0, 5.0, 7.0, 9.0];
        let f = linear_fit(&x, &y, 0.95).unwrap();
        assert!((f.slope - 2.0).abs() < 1e-14 && (f.intercept - 1.0).abs() < 1e-14);
        assert!((f.slope_high - f.slope_low).abs() < 1e-12);
        assert!((f.r_squared - 1.0).abs() < 1e-14);
    }

    /// Textbook value: for x = 1..5, y = (1.2, 1.9, 3.2, 3.8, 5.1) the slope is 0.97 with
    /// standard error 0.0700 and t_{0.975, 3} = 3.1824.
    #[test]
    fn interval_matches_hand_computation() {
        let f = linear_fit(&[1.0, 2.0, 3.0, 4.0, 5.0], &[1.2, 1.9, 3.2, 3.8, 5.1], 0.95).unwrap();
        assert!((f.slope - 0.97).abs() < 1e-12);
        let se = ((0.123f64) / 3.0 / 10.0).sqrt();
        assert!((f.slope_high - f.slope - 3.182446305284263 * se).abs() < 1e-9);
    }

    /// An exact plane y = 1 + 2x - 3w is recovered with a zero-width interval; a collinear
    /// covariate is refused.
    #[test]
    fn covariate_fit_recovers_an_exact_plane() {
        let x = [0.0, 1.0, 2.0, 3.0, 4.0, 5.0];
        let w = [1.0, 0.5, 0.7, 0.1, 0.9, 0.2];
        let y: Vec<f64> = x
            .iter()
            .zip(&w)
            .map(|(a, b)| 1.0 + 2.0 * a - 3.0 * b)
            .collect();
        let f = linear_fit_with_covariate(&x, &w, &y, 0.95).unwrap();
        assert!((f.slope - 2.0).abs() < 1e-12 && (f.gamma + 3.0).abs() < 1e-12);
        assert!((f.intercept - 1.0).abs() < 1e-12);
        assert!((f.slope_high - f.slope_low).abs() < 1e-10);
        let collinear: Vec<f64> = x.iter().map(|a| 2.0 * a + 1.0).collect();
        assert!(linear_fit_with_covariate(&x, &collinear, &y, 0.95).is_none());
    }

    /// Without the covariate's influence (w orthogonal to x after centring) the slope and its
    /// standard error agree with the one-variable fit up to the lost degree of freedom.
    #[test]
    fn covariate_fit_matches_simple_fit_for_orthogonal_covariate() {
        let x = [1.0, 2.0, 3.0, 4.0, 5.0, 6.0];
        let w = [1.0, -1.0, -1.0, -1.0, -1.0, 1.0];
        let y = [1.1, 2.3, 2.9, 4.2, 4.8, 6.1];
        let sxw: f64 = x.iter().zip(&w).map(|(a, b)| (a - 3.5) * b).sum();
        assert!(sxw.abs() < 1e-12);
        let f = linear_fit_with_covariate(&x, &w, &y, 0.95).unwrap();
        let g = linear_fit(&x, &y, 0.95).unwrap();
        assert!((f.slope - g.slope).abs() < 1e-12);
    }

    #[test]
    fn degenerate_inputs_are_refused() {
        assert!(linear_fit(&[1.0, 2.0], &[1.0, 2.0], 0.95).is_none());
        assert!(linear_fit(&[1.0, 1.0, 1.0], &[1.0, 2.0, 3.0], 0.95).is_none());
        assert!(linear_fit(&[1.0, 2.0, 3.0], &[1.0, f64::NAN, 3.0], 0.95).is_none());
        assert!(wilson_interval(3, 0, 0.95).is_none());
    }

    /// 10/100 against 25/100: pooled p = 0.175, se = sqrt(0.175 * 0.825 * 0.02) = 0.053735.
    #[test]
    fn two_proportion_z_matches_hand_computation() {
        let z = two_proportion_z(10, 100, 25, 100).unwrap();
        assert!((z - 0.15 / (0.175f64 * 0.825 * 0.02).sqrt()).abs() < 1e-12);
        assert!(two_proportion_z(0, 10, 0, 10).is_none());
        assert!((normal_quantile(0.975) - 1.959963984540054).abs() < 1e-9);
    }

    /// Wilson 95% interval for 0/100 is [0, 0.0370] and for 50/100 is [0.4038, 0.5962].
    #[test]
    fn wilson_matches_reference_values() {
        let (lo, hi) = wilson_interval(0, 100, 0.95).unwrap();
        assert!(lo == 0.0 && (hi - 0.03699).abs() < 1e-4);
        let (lo, hi) = wilson_interval(50, 100, 0.95).unwrap();
        assert!((lo - 0.40383).abs() < 1e-4 && (hi - 0.59617).abs() < 1e-4);
    }

    /// x = (1, 2, 3, 4): mean 2.5, sd 1.2910, t_{0.975, 3} = 3.1824, half-width 2.0543.
    #[test]
    fn mean_interval_matches_hand_computation() {
        let m = mean_interval(&[1.0, 2.0, 3.0, 4.0], 0.95).unwrap();
        assert!((m.mean - 2.5).abs() < 1e-15);
        assert!((m.half_width() - 3.182446305284263 * 1.2909944487358056 / 2.0).abs() < 1e-12);
        assert!(mean_interval(&[1.0], 0.95).is_none());
        assert!(mean_interval(&[1.0, f64::NAN], 0.95).is_none());
    }

    /// Equal variances and sizes: Welch's df is 2(n - 1) and the half-width is
    /// t_{0.975, 6} sqrt(2 s^2 / n) = 2.4469 * sqrt(2 * 1.6667 / 4) = 2.2337.
    #[test]
    fn welch_difference_matches_hand_computation() {
        let d = welch_difference(&[1.0, 2.0, 3.0, 4.0], &[0.0, 1.0, 2.0, 3.0], 0.95).unwrap();
        assert!((d.mean - 1.0).abs() < 1e-15);
        let half = 2.4469118511449692 * (2.0 * (5.0 / 3.0) / 4.0f64).sqrt();
        assert!((d.half_width() - half).abs() < 1e-9, "{}", d.half_width());
    }

    #[test]
    fn binomial_tail_is_the_chance_of_at_least_k_failures() {
        // One failure in 100 seeds at a designed 1%: 1 - 0.99^100.
        let one = binomial_upper_tail(1, 100, 0.01).unwrap();
        assert!((one - (1.0 - 0.99f64.powi(100))).abs() < 1e-12, "{one}");
        let three = binomial_upper_tail(3, 100, 0.01).unwrap();
        let below: f64 = (0..3)
            .map(|i| {
                let c = (0..i).fold(1.0, |c, j| c * (100 - j) as f64 / (j + 1) as f64);
                c * 0.01f64.powi(i) * 0.99f64.powi(100 - i)
            })
            .sum();
        assert!((three - (1.0 - below)).abs() < 1e-12, "{three}");
        assert_eq!(binomial_upper_tail(0, 100, 0.0), Some(1.0));
        assert_eq!(binomial_upper_tail(1, 100, 0.0), Some(0.0));
        assert_eq!(binomial_upper_tail(1, 100, f64::NAN), None);
        assert_eq!(binomial_upper_tail(101, 100, 0.5), None);
    }
}
