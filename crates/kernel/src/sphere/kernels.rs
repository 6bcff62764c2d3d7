//! The dot-product kernels of the sphere tool, evaluated as functions of the angle
//! theta = arccos(x . x') between unit inputs.
//!
//! Convention (the `ntk` one of issue 15): h_0 = x, h_l = sqrt(2/m) relu(W_l h_(l-1)),
//! f(x) = v^T h_L, all entries standard normal, no biases, depth L = number of hidden layers,
//! c_sigma = 2. For unit inputs the layer covariance keeps the diagonal at 1 and maps the
//! correlation rho = cos(phi) to kappa1(rho) = (sin phi + (pi - phi) cos phi) / pi, with derivative
//! kernel kappa0 = (pi - phi) / pi (Cho & Saul's arc-cosine kernels of order 1 and 0, factor 2
//! included so that kappa(1) = 1).
//!
//! In t = cos(theta) these kernels have square-root singularities at t = +-1 (arccos does), so
//! Gauss–Jacobi in t converges only algebraically; in theta they are analytic on [0, pi] (also
//! through the depth recursion, whose angle map is analytic at 0), which is why the quadrature
//! of [`super::funk_hecke`] integrates in theta.

use std::f64::consts::PI;

/// A dot-product kernel on the sphere.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DotProductKernel {
    /// kappa0(t) = 1 - arccos(t) / pi = 2 E[1{w.x > 0} 1{w.x' > 0}].
    ArcCos0,
    /// kappa1(t) = (sqrt(1 - t^2) + (pi - arccos t) t) / pi = 2 E[relu(w.x) relu(w.x')].
    ArcCos1,
    /// The infinite-width NTK of the ReLU network with `depth` hidden layers, all trained:
    /// Theta = Sigma^(L) + sum_(l=1)^L Sigma^(l-1) prod_(h=l)^L Sigma-dot^(h); Theta(1) = L + 1.
    ReluNtk { depth: usize },
    /// The output covariance (NNGP kernel) Sigma^(L) = kappa1 composed L times; Sigma(1) = 1.
    ReluNngp { depth: usize },
}

impl DotProductKernel {
    /// kappa(1), the value on the diagonal (sum_k N(d, k) mu_k equals it).
    pub fn at_one(&self) -> f64 {
        match *self {
            DotProductKernel::ReluNtk { depth } => depth as f64 + 1.0,
            _ => 1.0,
        }
    }

    /// The number of hidden layers the kernel stands for (1 for the arc-cosine kernels).
    pub fn depth(&self) -> usize {
        match *self {
            DotProductKernel::ReluNtk { depth } | DotProductKernel::ReluNngp { depth } => depth,
            _ => 1,
        }
    }

    /// kappa(cos theta) for theta in [0, pi].
    pub fn at_angle(&self, theta: f64) -> f64 {
        match *self {
            DotProductKernel::ArcCos0 => (PI - theta) / PI,
            DotProductKernel::ArcCos1 => layer(theta).rho,
            DotProductKernel::ReluNngp { depth } => {
                let mut phi = theta;
                let mut rho = theta.cos();
                for _ in 0..depth {
                    let next = layer(phi);
                    rho = next.rho;
                    phi = next.angle();
                }
                rho
            }
            DotProductKernel::ReluNtk { depth } => {
                let mut phi = theta;
                let mut ntk = theta.cos();
                for _ in 0..depth {
                    let next = layer(phi);
                    ntk = next.rho + ntk * next.derivative;
                    phi = next.angle();
                }
                ntk
            }
        }
    }

    /// kappa(t) for t in [-1, 1] (clamped), e.g. for Gram matrices of unit vectors.
    pub fn at_cosine(&self, t: f64) -> f64 {
        self.at_angle(t.clamp(-1.0, 1.0).acos())
    }
}

/// One ReLU layer (c_sigma = 2) applied to unit-diagonal inputs at angle phi.
struct Layer {
    /// The output correlation kappa1(cos phi).
    rho: f64,
    /// 1 - rho, computed without cancellation for small phi.
    one_minus_rho: f64,
    /// The derivative kernel kappa0(cos phi) = (pi - phi) / pi.
    derivative: f64,
}

impl Layer {
    /// The output angle, 2 asin(sqrt((1 - rho) / 2)): accurate near 0, where arccos(rho) would
    /// lose half the digits.
    fn angle(&self) -> f64 {
        2.0 * (0.5 * self.one_minus_rho).max(0.0).sqrt().min(1.0).asin()
    }
}

fn layer(phi: f64) -> Layer {
    let (s, c) = phi.sin_cos();
    let half = (0.5 * phi).sin();
    // 1 - rho = (pi (1 - cos phi) - (sin phi - phi cos phi)) / pi, both terms without
    // cancellation: 1 - cos = 2 sin^2(phi/2) and the series of sin - phi cos for small phi.
    let one_minus_rho = (PI * 2.0 * half * half - sin_minus_phi_cos(phi)) / PI;
    Layer {
        rho: (s + (PI - phi) * c) / PI,
        one_minus_rho,
        derivative: (PI - phi) / PI,
    }
}

/// sin(phi) - phi cos(phi) = sum_(n>=1) (-1)^(n+1) 2n phi^(2n+1) / (2n+1)!, by the series below
/// 0.5 (where the direct difference cancels to phi^3 / 3), directly above.
fn sin_minus_phi_cos(phi: f64) -> f64 {
    if phi.abs() >= 0.5 {
        return phi.sin() - phi * phi.cos();
    }
    let p2 = phi * phi;
    let mut power = phi * p2; // phi^(2n+1)
    let mut factorial = 6.0; // (2n+1)!
    let mut sum = 0.0;
    for n in 1..30 {
        let term = 2.0 * n as f64 * power / factorial;
        sum += if n % 2 == 1 { term } else { -term };
        if term.abs() <= f64::EPSILON * 1e-3 * sum.abs() {
            break;
        }
        power *= p2;
        factorial *= ((2 * n + 2) * (2 * n + 3)) as f64;
    }
    sum
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn series_matches_direct_difference_where_both_are_accurate() {
        for phi in [0.3f64, 0.45, 0.4999] {
            let direct = phi.sin() - phi * phi.cos();
            assert!((sin_minus_phi_cos(phi) - direct).abs() < 1e-15, "{phi}");
        }
    }

    #[test]
    fn layer_angle_is_accurate_near_zero() {
        // kappa1(cos phi) = 1 - phi^2/2 + phi^3/(3 pi) + O(phi^4), so the output angle is
        // phi sqrt(1 - 2 phi / (3 pi)) to first order.
        let phi = 1e-6;
        let got = layer(phi).angle();
        let want = phi * (1.0 - 2.0 * phi / (3.0 * PI)).sqrt();
        assert!((got / want - 1.0).abs() < 1e-9, "{got} vs {want}");
    }
}
