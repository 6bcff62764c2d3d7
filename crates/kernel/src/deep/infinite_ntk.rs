//! The infinite-width NTK of a deep ReLU network in the NTK parametrisation, by the arc-cosine
//! recursion (Jacot et al. 2018; Arora et al. 2019, Theorem 3.1, with c_sigma = 2):
//!
//! ```text
//! Sigma^(0)(x, x') = x . x'
//! Sigma^(h)(x, x') = 2 E[relu(u) relu(u')],   Sigma-dot^(h)(x, x') = 2 E[1(u > 0) 1(u' > 0)],
//!     (u, u') ~ N(0, [[Sigma^(h-1)(x, x), Sigma^(h-1)(x, x')], [., Sigma^(h-1)(x', x')]])
//! Theta^(0) = Sigma^(0),   Theta^(h) = Theta^(h-1) Sigma-dot^(h) + Sigma^(h)   (h = 1..L)
//! ```
//!
//! For ReLU, with theta_h the angle of the Gaussian pair at layer h, c_sigma = 2 keeps the
//! diagonal fixed, Sigma^(h)(x, x) = |x|^2, so that
//! Sigma^(h)(x, x') = |x| |x'| J(theta_(h-1)) with J(t) = (sin t + (pi - t) cos t) / pi, and
//! Sigma-dot^(h) = (pi - theta_(h-1)) / pi, cos theta_h = J(theta_(h-1)).
//!
//! Accuracy: theta_0 comes from the data by atan2 ([`crate::arccos::Pair`]), and each next angle
//! from 1 - cos theta_h computed without cancellation (a series for sin t - t cos t at small t),
//! so nearly parallel points keep full relative accuracy in Sigma-dot, where arccos of a cosine
//! would lose half the digits.

use std::f64::consts::PI;

use overparam_linalg::{Mat, MatRef};

use super::DeepError;
use crate::arccos::Pair;
use crate::ntk::check_data;

/// Bytes [`infinite_ntk`] needs for n points of dimension d: the data's rows, their norms and
/// the n x n result.
pub fn infinite_ntk_bytes(n: usize, d: usize) -> u128 {
    let (n, d) = (n as u128, d as u128);
    8 * (n * d + n + n * n)
}

/// Theta^(depth) at every pair of rows of `x` (n x d). A zero row is an error: the angle to it
/// is undefined (the recursion's Sigma-dot depends on it although Sigma^(h) vanishes).
pub fn infinite_ntk(x: MatRef<'_, f64>, depth: usize) -> Result<Mat<f64>, DeepError> {
    check_data(x, x.ncols())?;
    let (n, d) = (x.nrows(), x.ncols());
    if depth == 0 {
        return Err(DeepError::Shape(
            "the network needs at least one hidden layer",
        ));
    }
    let rows: Vec<Vec<f64>> = (0..n)
        .map(|i| (0..d).map(|j| x[(i, j)]).collect())
        .collect();
    let norms: Vec<f64> = rows.iter().map(|r| crate::arccos::norm(r)).collect();
    if let Some(row) = norms.iter().position(|&v| v == 0.0) {
        return Err(DeepError::ZeroRow { row });
    }
    let mut k = Mat::<f64>::zeros(n, n);
    for j in 0..n {
        k[(j, j)] = (depth as f64 + 1.0) * norms[j] * norms[j];
        for i in j + 1..n {
            let pair = Pair::with_norms(&rows[i], &rows[j], norms[i], norms[j])
                .expect("norms are nonzero");
            let dot: f64 = rows[i].iter().zip(&rows[j]).map(|(a, b)| a * b).sum();
            let v = theta(dot, norms[i] * norms[j], pair.theta, depth);
            k[(i, j)] = v;
            k[(j, i)] = v;
        }
    }
    Ok(k)
}

/// Theta^(depth)(x, x') from x . x', |x| |x'| and the angle between x and x'.
fn theta(dot: f64, norm_product: f64, angle: f64, depth: usize) -> f64 {
    let mut ntk = dot;
    let mut t = angle;
    for _ in 0..depth {
        let derivative = (PI - t) / PI;
        let one_minus_cos = one_minus_j(t);
        let next = 2.0 * (0.5 * one_minus_cos).clamp(0.0, 1.0).sqrt().asin();
        let sigma = norm_product * (1.0 - one_minus_cos);
        ntk = ntk * derivative + sigma;
        t = next;
    }
    ntk
}

/// 1 - J(t) = (pi (1 - cos t) - (sin t - t cos t)) / pi, both terms without cancellation.
pub(crate) fn one_minus_j(t: f64) -> f64 {
    let half = (0.5 * t).sin();
    let one_minus_cos = 2.0 * half * half;
    (PI * one_minus_cos - sin_minus_t_cos(t)) / PI
}

/// sin t - t cos t: sum_(k >= 1) (-1)^(k+1) 2k t^(2k+1) / (2k+1)! below t = 0.5 (the direct
/// form cancels to ~ t^3 / 3 there), the direct form above.
fn sin_minus_t_cos(t: f64) -> f64 {
    if t >= 0.5 {
        return t.sin() - t * t.cos();
    }
    let t2 = t * t;
    // term_k = (-1)^(k+1) t^(2k+1) / (2k+1)!, starting at k = 1.
    let mut term = t * t2 / 6.0;
    let mut sum = 2.0 * term;
    for k in 2..=12u32 {
        let kf = f64::from(k);
        term *= -t2 / ((2.0 * kf) * (2.0 * kf + 1.0));
        sum += 2.0 * kf * term;
        if term.abs() < 1e-18 * sum.abs() {
            break;
        }
    }
    sum
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn series_and_direct_forms_agree_where_both_are_accurate() {
        // Just below the switch the series is used; the direct form has lost at most a factor
        // sin(t) / (t^3 / 3) ~ 12 to cancellation there.
        for &t in &[0.3f64, 0.4, 0.49] {
            let direct = t.sin() - t * t.cos();
            assert!(
                (direct - sin_minus_t_cos(t)).abs() <= 1e-14 * direct,
                "t = {t}"
            );
        }
        // Small angles: sin t - t cos t = t^3/3 - t^5/30 + O(t^7).
        let t: f64 = 1e-4;
        let expected = t * t * t / 3.0 - t.powi(5) / 30.0;
        assert!((sin_minus_t_cos(t) - expected).abs() <= 1e-15 * expected);
    }
}
