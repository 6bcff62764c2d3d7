//! Gauss–Hermite quadrature for expectations under the standard normal law, and Gauss–Jacobi
//! quadrature for the symmetric weights (1 - t^2)^alpha of Funk–Hecke integrals on spheres.
//!
//! The rule is computed by Golub–Welsch: the nodes are the eigenvalues of the symmetric Jacobi
//! matrix of the orthonormal (probabilists') Hermite polynomials, and the weights are the
//! squared first components of its unit eigenvectors. No tabulated constants are involved, and
//! the eigensolver's own residuals come with the rule.

use faer::Mat;
use faer::Par;

use crate::{LinalgError, sym_eigen, sym_eigenvalues};

/// The accessors both rules share (nodes and weights as public fields, the weighted sum), written
/// once.
macro_rules! rule_accessors {
    ($rule:ty, $expectation_doc:literal) => {
        impl $rule {
            /// Number of points.
            pub fn len(&self) -> usize {
                self.nodes.len()
            }

            /// True for the (never constructed) empty rule.
            pub fn is_empty(&self) -> bool {
                self.nodes.is_empty()
            }

            #[doc = $expectation_doc]
            pub fn expectation(&self, f: impl Fn(f64) -> f64) -> f64 {
                self.nodes
                    .iter()
                    .zip(&self.weights)
                    .map(|(&x, &w)| w * f(x))
                    .sum()
            }
        }
    };
}

/// An m-point rule with E[f(Z)] ~ sum_i weights[i] f(nodes[i]) for Z ~ N(0, 1), exact for
/// polynomials of degree <= 2m - 1.
#[derive(Debug, Clone)]
pub struct GaussHermite {
    /// Nodes in ascending order (symmetric about 0).
    pub nodes: Vec<f64>,
    /// Positive weights summing to 1.
    pub weights: Vec<f64>,
    /// ||J - U diag(x) U^T||_F / ||J||_F of the Jacobi matrix's eigendecomposition.
    pub residual: f64,
    /// ||U^T U - I||_F.
    pub orthogonality: f64,
}

rule_accessors!(GaussHermite, "E[f(Z)], Z ~ N(0, 1), by the rule.");

/// The m-point Gauss–Hermite rule for the standard normal law (m >= 1).
///
/// Probabilists' Hermite polynomials satisfy x He_k = He_{k+1} + k He_{k-1}; normalised by
/// sqrt(k!) the recurrence is x p_k = sqrt(k+1) p_{k+1} + sqrt(k) p_{k-1}, so the Jacobi matrix
/// has zero diagonal and off-diagonal sqrt(1), ..., sqrt(m-1) (Golub–Welsch). Its eigenvalues
/// are the nodes; each is then polished by two Newton steps on p_m (evaluated by the stable
/// recurrence), and the weights are the Christoffel numbers 1 / sum_{k<m} p_k(x_i)^2. These
/// equal the squared first eigenvector components in exact arithmetic but keep full *relative*
/// accuracy for the tiny weights of the outer nodes, where eigenvector components are only
/// accurate to eps absolutely (that costs ~1e-12 relative on degree-30 moments otherwise).
///
/// The rule is symmetrised (x_i = -x_{m-1-i}, w_i = w_{m-1-i}) by averaging mirrored pairs.
pub fn gauss_hermite(m: usize) -> Result<GaussHermite, LinalgError> {
    if m == 0 {
        return Err(LinalgError::NotSquare { rows: 0, cols: 0 });
    }
    let jacobi = Mat::<f64>::from_fn(m, m, |i, j| {
        if i == j + 1 || j == i + 1 {
            (i.max(j) as f64).sqrt()
        } else {
            0.0
        }
    });
    let eig = sym_eigen(jacobi.as_ref(), Par::Seq)?;
    let mut raw_nodes = eig.values.clone();
    let mut raw_weights = vec![0.0; m];
    for (x, w) in raw_nodes.iter_mut().zip(raw_weights.iter_mut()) {
        for _ in 0..2 {
            let (pm, dpm, _) = orthonormal_hermite(m, *x);
            if dpm != 0.0 {
                *x -= pm / dpm;
            }
        }
        let (_, _, sum_sq) = orthonormal_hermite(m, *x);
        *w = 1.0 / sum_sq;
    }
    let mut nodes = vec![0.0; m];
    let mut weights = vec![0.0; m];
    for i in 0..m {
        let mirror = m - 1 - i;
        nodes[i] = 0.5 * (raw_nodes[i] - raw_nodes[mirror]);
        weights[i] = 0.5 * (raw_weights[i] + raw_weights[mirror]);
    }
    if m % 2 == 1 {
        nodes[m / 2] = 0.0;
    }
    if nodes.iter().chain(&weights).any(|v| !v.is_finite()) {
        return Err(LinalgError::NoConvergence);
    }
    let total: f64 = weights.iter().sum();
    for w in &mut weights {
        *w /= total;
    }
    Ok(GaussHermite {
        nodes,
        weights,
        residual: eig.residual,
        orthogonality: eig.orthogonality,
    })
}

/// (p_m(x), p_m'(x), sum_{k<m} p_k(x)^2) for the orthonormal probabilists' Hermite polynomials
/// p_k = He_k / sqrt(k!), by the three-term recurrence (with p_k' = sqrt(k) p_{k-1}).
fn orthonormal_hermite(m: usize, x: f64) -> (f64, f64, f64) {
    let mut prev = 0.0; // p_{k-1}
    let mut cur = 1.0; // p_k, k = 0
    let mut sum_sq = 0.0;
    for k in 0..m {
        sum_sq += cur * cur;
        let next = (x * cur - (k as f64).sqrt() * prev) / ((k + 1) as f64).sqrt();
        prev = cur;
        cur = next;
    }
    // now cur = p_m, prev = p_{m-1}
    (cur, (m as f64).sqrt() * prev, sum_sq)
}

/// An m-point Gauss–Jacobi rule for the symmetric weight (1 - t^2)^alpha on [-1, 1], normalised
/// to a probability measure: int f(t) (1 - t^2)^alpha dt / int (1 - t^2)^alpha dt ~
/// sum_i weights[i] f(nodes[i]), exact for polynomials of degree <= 2m - 1.
///
/// alpha = (d - 3) / 2 is the law of one coordinate of a uniform point on S^(d-1) (the
/// Funk–Hecke weight); alpha = 0 is Gauss–Legendre.
#[derive(Debug, Clone)]
pub struct GaussJacobi {
    /// Nodes in ascending order, symmetric about 0, inside (-1, 1).
    pub nodes: Vec<f64>,
    /// Positive weights summing to 1.
    pub weights: Vec<f64>,
    /// |sum of eigenvalues - trace J| / ||J||_F of the Jacobi matrix (0 in exact arithmetic).
    pub trace_error: f64,
    /// |(sum of squared eigenvalues)^(1/2) - ||J||_F| / ||J||_F.
    pub frobenius_error: f64,
}

rule_accessors!(GaussJacobi, "The weighted mean of f under the rule.");

/// Squared off-diagonal b_k^2 (k >= 1) of the Jacobi matrix of the polynomials orthonormal for
/// the probability measure proportional to (1 - t^2)^alpha: t p_k = b_(k+1) p_(k+1) + b_k p_(k-1).
///
/// The textbook form k (k + 2 alpha) / ((2k + 2 alpha + 1)(2k + 2 alpha - 1)) is 0/0 at k = 1,
/// alpha = -1/2 (Chebyshev); b_1^2 = E[t^2] = 1 / (2 alpha + 3) is its simplified value.
fn jacobi_off_diagonal_sq(k: usize, alpha: f64) -> f64 {
    let k = k as f64;
    if k == 1.0 {
        return 1.0 / (2.0 * alpha + 3.0);
    }
    k * (k + 2.0 * alpha) / ((2.0 * k + 2.0 * alpha + 1.0) * (2.0 * k + 2.0 * alpha - 1.0))
}

/// The m-point Gauss–Jacobi rule for the weight (1 - t^2)^alpha (alpha > -1, m >= 1), by
/// Golub–Welsch as [`gauss_hermite`]: the nodes are the eigenvalues of the Jacobi matrix (zero
/// diagonal, off-diagonal b_1..b_(m-1)), polished by two Newton steps on p_m, and the weights
/// are the Christoffel numbers 1 / sum_(k<m) p_k(x_i)^2, which keep full relative accuracy for the
/// small weights beside the end points. Mirrored pairs are averaged so the rule is exactly
/// symmetric (odd integrands integrate to 0 up to rounding of the summands).
pub fn gauss_jacobi(m: usize, alpha: f64) -> Result<GaussJacobi, LinalgError> {
    if m == 0 {
        return Err(LinalgError::NotSquare { rows: 0, cols: 0 });
    }
    if !(alpha.is_finite() && alpha > -1.0) {
        return Err(LinalgError::NonFinite);
    }
    let off: Vec<f64> = (1..m)
        .map(|k| jacobi_off_diagonal_sq(k, alpha).sqrt())
        .collect();
    let jacobi = Mat::<f64>::from_fn(m, m, |i, j| {
        if i == j + 1 || j == i + 1 {
            off[i.min(j)]
        } else {
            0.0
        }
    });
    let eig = sym_eigenvalues(jacobi.as_ref(), Par::Seq)?;
    let mut raw_nodes = eig.values.clone();
    let mut raw_weights = vec![0.0; m];
    for (x, w) in raw_nodes.iter_mut().zip(raw_weights.iter_mut()) {
        for _ in 0..2 {
            let (pm, dpm, _) = orthonormal_symmetric_jacobi(&off, *x);
            if dpm != 0.0 {
                *x -= pm / dpm;
            }
        }
        let (_, _, sum_sq) = orthonormal_symmetric_jacobi(&off, *x);
        *w = 1.0 / sum_sq;
    }
    let mut nodes = vec![0.0; m];
    let mut weights = vec![0.0; m];
    for i in 0..m {
        let mirror = m - 1 - i;
        nodes[i] = 0.5 * (raw_nodes[i] - raw_nodes[mirror]);
        weights[i] = 0.5 * (raw_weights[i] + raw_weights[mirror]);
    }
    if m % 2 == 1 {
        nodes[m / 2] = 0.0;
    }
    if nodes.iter().chain(&weights).any(|v| !v.is_finite()) || nodes.iter().any(|x| x.abs() >= 1.0)
    {
        return Err(LinalgError::NoConvergence);
    }
    let total: f64 = weights.iter().sum();
    for w in &mut weights {
        *w /= total;
    }
    Ok(GaussJacobi {
        nodes,
        weights,
        trace_error: eig.trace_error,
        frobenius_error: eig.frobenius_error,
    })
}

/// (p_m(x), p_m'(x), sum_(k<m) p_k(x)^2) for the orthonormal symmetric Jacobi polynomials with
/// off-diagonal `off` = b_1..b_(m-1) (m = off.len() + 1), by the three-term recurrence and its
/// derivative (t p_k)' = p_k + t p_k'.
fn orthonormal_symmetric_jacobi(off: &[f64], x: f64) -> (f64, f64, f64) {
    let m = off.len() + 1;
    let (mut prev, mut cur) = (0.0, 1.0); // p_(k-1), p_k
    let (mut dprev, mut dcur) = (0.0, 0.0);
    let mut sum_sq = 0.0;
    for k in 0..m {
        sum_sq += cur * cur;
        // b_(k+1): off[k] for k < m - 1; p_m itself needs b_m, which only rescales p_m and
        // leaves its zeros (and the Newton step p_m / p_m') unchanged, so 1 is used.
        let b_next = off.get(k).copied().unwrap_or(1.0);
        let b_k = if k == 0 { 0.0 } else { off[k - 1] };
        let next = (x * cur - b_k * prev) / b_next;
        let dnext = (cur + x * dcur - b_k * dprev) / b_next;
        (prev, cur) = (cur, next);
        (dprev, dcur) = (dcur, dnext);
    }
    (cur, dcur, sum_sq)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Closed-form small rules: m = 2 has nodes -+1 with weights 1/2; m = 3 has 0 (2/3) and
    /// -+sqrt(3) (1/6 each).
    #[test]
    fn small_rules_match_closed_forms() {
        // a few ulps: the eigensolver is backward stable, not exact
        let tol = 8.0 * f64::EPSILON;
        let r = gauss_hermite(2).unwrap();
        assert!((r.nodes[0] + 1.0).abs() < tol && (r.nodes[1] - 1.0).abs() < tol);
        assert!((r.weights[0] - 0.5).abs() < tol);
        let r = gauss_hermite(3).unwrap();
        assert!((r.nodes[2] - 3f64.sqrt()).abs() < tol && r.nodes[1] == 0.0);
        assert!((r.weights[1] - 2.0 / 3.0).abs() < tol);
        assert!((r.weights[0] - 1.0 / 6.0).abs() < tol);
        let r = gauss_hermite(1).unwrap();
        assert_eq!((r.nodes[0], r.weights[0]), (0.0, 1.0));
        assert!(gauss_hermite(0).is_err());
    }

    /// Legendre (alpha = 0): m = 2 has nodes -+1/sqrt(3), weights 1/2; m = 3 has 0 (4/9) and
    /// -+sqrt(3/5) (5/18 each). Chebyshev (alpha = -1/2): nodes cos((2i - 1) pi / (2m)), equal
    /// weights. Moments of (1 - t^2)^alpha: E[t^2] = 1 / (2 alpha + 3).
    #[test]
    fn jacobi_rules_match_closed_forms_and_moments() {
        let tol = 8.0 * f64::EPSILON;
        let r = gauss_jacobi(2, 0.0).unwrap();
        assert!((r.nodes[1] - 1.0 / 3f64.sqrt()).abs() < tol);
        assert!((r.weights[0] - 0.5).abs() < tol);
        let r = gauss_jacobi(3, 0.0).unwrap();
        assert!((r.nodes[2] - 0.6f64.sqrt()).abs() < tol && r.nodes[1] == 0.0);
        assert!((r.weights[1] - 4.0 / 9.0).abs() < tol);
        let m = 7;
        let r = gauss_jacobi(m, -0.5).unwrap();
        for i in 0..m {
            let x = -((2 * i + 1) as f64 * std::f64::consts::PI / (2 * m) as f64).cos();
            assert!((r.nodes[i] - x).abs() < tol, "{} vs {x}", r.nodes[i]);
            assert!((r.weights[i] - 1.0 / m as f64).abs() < tol);
        }
        for alpha in [-0.5, 0.0, 0.5, 3.5, 48.5] {
            let r = gauss_jacobi(12, alpha).unwrap();
            let second = r.expectation(|t| t * t);
            assert!(
                (second - 1.0 / (2.0 * alpha + 3.0)).abs() < 1e-15,
                "{alpha}"
            );
            // E[t^4] = 3 / ((2 alpha + 3)(2 alpha + 5))
            let fourth = r.expectation(|t| t.powi(4));
            let want = 3.0 / ((2.0 * alpha + 3.0) * (2.0 * alpha + 5.0));
            assert!(
                (fourth - want).abs() < 1e-15 * want.max(1.0) * 4.0,
                "{alpha}"
            );
            assert!(r.trace_error < 1e-13 && r.frobenius_error < 1e-13);
        }
        assert!(gauss_jacobi(0, 0.0).is_err());
        assert!(gauss_jacobi(3, -1.0).is_err());
        assert!(gauss_jacobi(3, f64::NAN).is_err());
    }
}
