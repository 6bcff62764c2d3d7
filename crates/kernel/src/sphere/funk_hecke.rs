//! Funk–Hecke eigenvalues mu_k = E[kappa(t) P_k(t)] (t the first coordinate of a uniform point
//! on S^(d-1)) by quadrature, with an a-posteriori error bound.
//!
//! With t = cos(theta) the integral is int_0^pi kappa(cos theta) P_k(cos theta) sin^(d-2)(theta)
//! dtheta / int_0^pi sin^(d-2)(theta) dtheta. The ReLU kernels are analytic in theta (not in t,
//! see [`super::kernels`]) and sin^(d-2) P_k(cos) is a trigonometric polynomial of degree
//! k + d - 2, so Gauss–Legendre in theta (the alpha = 0 Gauss–Jacobi rule of overparam-linalg)
//! converges geometrically once 2m exceeds the frequency (k + d - 2) pi / 2 of that polynomial on
//! the reference interval. The rule is applied at m and 2m points: the difference bounds the
//! error of the m-point value, hence (conservatively) of the 2m-point value that is returned, and
//! a rounding term (k + 16) eps E|kappa P_k| is added for the summation and the recurrence.

use overparam_linalg::{LinalgError, gauss_jacobi};

use super::gegenbauer::gegenbauer_normalised;
use super::kernels::DotProductKernel;

/// A quadrature eigenvalue and a bound on its absolute error.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct QuadratureEigenvalue {
    pub value: f64,
    pub error_bound: f64,
}

/// Why the quadrature could not be computed.
#[derive(Debug, Clone, PartialEq)]
pub enum FunkHeckeError {
    /// d < 2: there is no sphere S^(d-1) to integrate over.
    Dimension(usize),
    /// The Gauss–Jacobi rule failed or its eigensolver residuals are above 1e-12.
    Rule(String),
    /// A kernel value or a sum is NaN or infinite.
    NonFinite { degree: usize },
}

impl std::fmt::Display for FunkHeckeError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            FunkHeckeError::Dimension(d) => write!(f, "the sphere S^(d-1) needs d >= 2, got {d}"),
            FunkHeckeError::Rule(why) => write!(f, "Gauss-Jacobi rule: {why}"),
            FunkHeckeError::NonFinite { degree } => {
                write!(f, "non-finite quadrature sum at degree {degree}")
            }
        }
    }
}

impl std::error::Error for FunkHeckeError {}

/// The lower of the two quadrature orders used for degrees 0..=K on S^(d-1): above the
/// (K + d - 2) pi / 4 nodes at which Gauss–Legendre starts to resolve the trigonometric factor,
/// with a margin of 32 for the kernel itself.
pub fn base_order(d: usize, max_degree: usize) -> usize {
    ((max_degree + d) as f64 * 0.8).ceil() as usize + 32
}

/// mu_0..mu_K at m = [`base_order`] and 2m points; returns the 2m-point values with the bound
/// |Q_m - Q_2m| + (k + 16) eps E|kappa P_k|.
pub fn quadrature_eigenvalues(
    kernel: DotProductKernel,
    d: usize,
    max_degree: usize,
) -> Result<Vec<QuadratureEigenvalue>, FunkHeckeError> {
    let m = base_order(d, max_degree);
    let coarse = eigenvalues_at_order(kernel, d, max_degree, m)?;
    let fine = eigenvalues_at_order(kernel, d, max_degree, 2 * m)?;
    Ok(coarse
        .iter()
        .zip(&fine)
        .enumerate()
        .map(|(k, (&(c, _), &(f, abs)))| QuadratureEigenvalue {
            value: f,
            error_bound: (c - f).abs() + (k as f64 + 16.0) * f64::EPSILON * abs,
        })
        .collect())
}

/// (mu_k, E|kappa P_k|) for k = 0..=K by the m-point Gauss–Legendre rule in theta.
pub fn eigenvalues_at_order(
    kernel: DotProductKernel,
    d: usize,
    max_degree: usize,
    m: usize,
) -> Result<Vec<(f64, f64)>, FunkHeckeError> {
    if d < 2 {
        return Err(FunkHeckeError::Dimension(d));
    }
    let rule =
        gauss_jacobi(m, 0.0).map_err(|e: LinalgError| FunkHeckeError::Rule(e.to_string()))?;
    if rule.trace_error > 1e-12 || rule.frobenius_error > 1e-12 {
        return Err(FunkHeckeError::Rule(format!(
            "eigensolver residuals {:.1e} (trace), {:.1e} (Frobenius) above 1e-12",
            rule.trace_error, rule.frobenius_error
        )));
    }
    let mut sums = vec![0.0; max_degree + 1];
    let mut abs_sums = vec![0.0; max_degree + 1];
    let mut total = 0.0;
    let mut p = Vec::with_capacity(max_degree + 1);
    for (&s, &w) in rule.nodes.iter().zip(&rule.weights) {
        let theta = 0.5 * std::f64::consts::PI * (1.0 + s);
        let (sin, cos) = theta.sin_cos();
        let weight = w * sin.powi(d as i32 - 2);
        total += weight;
        let value = weight * kernel.at_angle(theta);
        gegenbauer_normalised(d, max_degree, cos, &mut p);
        for k in 0..=max_degree {
            let term = value * p[k];
            sums[k] += term;
            abs_sums[k] += term.abs();
        }
    }
    sums.iter()
        .zip(&abs_sums)
        .enumerate()
        .map(|(k, (&s, &a))| {
            let (mu, abs) = (s / total, a / total);
            if mu.is_finite() && abs.is_finite() && total > 0.0 {
                Ok((mu, abs))
            } else {
                Err(FunkHeckeError::NonFinite { degree: k })
            }
        })
        .collect()
}
