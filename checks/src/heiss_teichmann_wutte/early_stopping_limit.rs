//! The function-space side of `heiss2019.early-stopping`: the gap between early-stopped gradient
//! descent and matched ridge as functions on K, predicted in the infinite-width limit from the
//! closed-form kernel, and measured on random-feature networks of growing width.
//!
//! Derivation (the doc of the criterion `function-gap-predicted` repeats it). For a Gram matrix
//! K with eigenpairs (sigma_j, u_j), c_j = u_j^T y, GD from w = 0 with step eta = 1 /
//! (2 sigma_max) gives, after t steps, the dual vector U diag(g_t(sigma_j) / sigma_j) U^T y with
//! g_t(sigma) = 1 - (1 - sigma / sigma_max)^t, and ridge at lambda_tilde = sigma_max / t (=
//! 1/(2 eta t)) the dual vector U diag(1 / (sigma_j + lambda_tilde)) U^T y. Both networks are
//! f(x) = k(x, X)^T (dual vector), so
//!   Delta_t(x) = f_GD,t(x) - f_ridge,t(x) = sum_j k_j(x) D_t(s_j) c_j / sigma_j,
//! with k_j(x) = k(x, X)^T u_j, s_j = t sigma_j / sigma_max and D_t(s) = 1/(1+s) - (1 - s/t)^t
//! in [0, B(t)]. As n -> infinity, K_n / n -> kappa(X, X) and k_n(x, X) / n -> kappa(x, X), and
//! every ratio above is scale-free, so Delta_t of the network tends to the same expression with
//! the limit kernel kappa (eigenpairs mu_j): the predicted gap Delta_inf,t. Its dependence on t:
//! component j contributes only while s_j = t mu_j / mu_max is of order one (D_t(s) ~ s^2/2 for
//! s << 1, ~ 1/s for s >> 1, largest, B(t) ~ 0.2, near s = 2.5), so the gap rises and falls as t
//! sweeps through mu_max / mu_j; beyond t >> mu_max / mu_min it decays like (mu_max / t)
//! kappa(x, X) kappa(X, X)^{-2} y (GD interpolates exponentially fast, ridge at mu = mu_max / t
//! misses the interpolant by mu kappa(X, X)^{-2} y). The network's Delta_t differs from the
//! limit's by the Monte Carlo error of its n hidden units, O(n^{-1/2}).

use overparam_kernel::early_stopping::{gd_filter, ridge_filter};
use overparam_kernel::{FirstLayerLaw, KinkWeight, RandomReluLayer};
use overparam_linalg::{Mat, Par, sym_eigen};

use crate::kit::{InCell, sup_abs};
use crate::{ClaimError, RunContext};

/// How the network side pairs gradient descent with ridge.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(super) enum Pairing {
    /// GD step u = 2 eta sigma, ridge at lambda_tilde = 1 / (2 eta t): the derivation.
    Matched,
    /// Ridge at lambda_tilde = 1 / (eta t^2) (control: a wrong pairing).
    OneOverEtaTSquared,
    /// GD with the gradient's factor 2 dropped, u = eta sigma (control: a wrong step rule).
    HalfStep,
}

pub(super) const PAIRINGS: [Pairing; 3] = [
    Pairing::Matched,
    Pairing::OneOverEtaTSquared,
    Pairing::HalfStep,
];

/// Dual coefficient vectors U diag(h(sigma_j)) U^T y for each filter h.
fn spectral_duals(
    gram: &Mat<f64>,
    y: &[f64],
    filters: &[&dyn Fn(f64, f64) -> f64],
    cell: &str,
) -> Result<(Vec<Vec<f64>>, f64), ClaimError> {
    let eig = sym_eigen(gram.as_ref(), Par::Seq).in_cell(cell)?;
    let m = y.len();
    let u = &eig.vectors;
    let sigma_max = *eig.values.last().expect("N >= 1");
    ClaimError::check_positive(cell, "the largest Gram eigenvalue", sigma_max)?;
    let coords: Vec<f64> = (0..m)
        .map(|j| (0..m).map(|i| u[(i, j)] * y[i]).sum())
        .collect();
    let duals = filters
        .iter()
        .map(|h| {
            (0..m)
                .map(|i| {
                    (0..m)
                        .map(|j| u[(i, j)] * h(eig.values[j], sigma_max) * coords[j])
                        .sum()
                })
                .collect()
        })
        .collect();
    Ok((duals, worst_residual(eig.residual, eig.orthogonality)))
}

fn worst_residual(a: f64, b: f64) -> f64 {
    crate::kit::worst([a, b])
}

/// (GD filter - ridge filter) / sigma at step count t under a pairing, sigma_max = 1 / (2 eta).
fn gap_filter(pairing: Pairing, t: usize) -> impl Fn(f64, f64) -> f64 {
    move |sigma: f64, sigma_max: f64| {
        let eta = 1.0 / (2.0 * sigma_max);
        let tf = t as f64;
        let (u, lt) = match pairing {
            Pairing::Matched => (2.0 * eta * sigma, 1.0 / (2.0 * eta * tf)),
            Pairing::OneOverEtaTSquared => (2.0 * eta * sigma, 1.0 / (eta * tf * tf)),
            Pairing::HalfStep => (eta * sigma, 1.0 / (2.0 * eta * tf)),
        };
        (gd_filter(u, t) - ridge_filter(sigma, lt)) / sigma
    }
}

/// The predicted gap Delta_inf,t on `grid` for every t, and the matched-ridge limit functions
/// (for their scale), from the closed-form kernel of the standard Gaussian first layer.
pub(super) struct LimitPrediction {
    pub(super) gap: Vec<Vec<f64>>,
    pub(super) ridge_scale: Vec<f64>,
    /// mu_max / mu_min of kappa(X, X).
    pub(super) condition: f64,
}

pub(super) fn limit_prediction(
    x: &[f64],
    y: &[f64],
    steps: &[usize],
    grid: &[f64],
) -> Result<LimitPrediction, ClaimError> {
    let w = KinkWeight::StandardGaussian;
    let m = x.len();
    let k = Mat::from_fn(m, m, |i, j| w.kernel(x[i], x[j]));
    let cell = "limit kernel";
    let gaps: Vec<Box<dyn Fn(f64, f64) -> f64>> = steps
        .iter()
        .map(|&t| Box::new(gap_filter(Pairing::Matched, t)) as Box<dyn Fn(f64, f64) -> f64>)
        .collect();
    let ridges: Vec<Box<dyn Fn(f64, f64) -> f64>> = steps
        .iter()
        .map(|&t| {
            Box::new(move |s: f64, smax: f64| 1.0 / (s + smax / t as f64))
                as Box<dyn Fn(f64, f64) -> f64>
        })
        .collect();
    let filters: Vec<&dyn Fn(f64, f64) -> f64> =
        gaps.iter().chain(&ridges).map(|b| b.as_ref()).collect();
    let (duals, residual) = spectral_duals(&k, y, &filters, cell)?;
    ClaimError::check_residual(cell, "limit kernel eigendecomposition", residual, 1e-12)?;
    let eval = |d: &[f64]| -> Vec<f64> {
        grid.iter()
            .map(|&z| x.iter().zip(d).map(|(&xi, di)| w.kernel(z, xi) * di).sum())
            .collect()
    };
    let eig = sym_eigen(k.as_ref(), Par::Seq).in_cell(cell)?;
    let condition = eig.values[m - 1] / eig.values[0];
    let nt = steps.len();
    Ok(LimitPrediction {
        gap: duals[..nt].iter().map(|d| eval(d)).collect(),
        ridge_scale: duals[nt..].iter().map(|d| sup_abs(eval(d))).collect(),
        condition,
    })
}

/// One network (width, replicate): per pairing and t, sup_K |Delta_n,t - Delta_inf,t|.
pub(super) struct GapCell {
    pub(super) n: usize,
    pub(super) replicate: u64,
    /// [pairing][t]
    pub(super) error: Vec<Vec<f64>>,
}

impl GapCell {
    /// max over t of the distance to the prediction, for a pairing.
    pub(super) fn worst_error(&self, pairing: usize) -> f64 {
        crate::kit::worst(self.error[pairing].iter().copied())
    }
}

pub(super) fn label(n: usize) -> String {
    format!("function-gap,law=gaussian,n={n}")
}

/// What every function-gap cell shares: the claim, the data, the steps, the grid on K and the
/// prediction.
pub(super) struct GapSetup<'a> {
    pub(super) claim: &'a str,
    pub(super) x: &'a [f64],
    pub(super) y: &'a [f64],
    pub(super) steps: &'a [usize],
    pub(super) grid: &'a [f64],
    pub(super) prediction: &'a LimitPrediction,
}

pub(super) fn gap_cell(
    ctx: &RunContext,
    setup: &GapSetup,
    n: usize,
    replicate: u64,
) -> Result<GapCell, ClaimError> {
    let GapSetup {
        claim,
        x,
        y,
        steps,
        grid,
        prediction,
    } = *setup;
    let cell = label(n);
    let layer = RandomReluLayer::new(
        FirstLayerLaw::StandardGaussian,
        n,
        ctx.seed(claim, &cell, replicate),
    );
    let gram = layer.gram(x);
    let boxed: Vec<Box<dyn Fn(f64, f64) -> f64>> = PAIRINGS
        .iter()
        .flat_map(|&p| {
            steps
                .iter()
                .map(move |&t| Box::new(gap_filter(p, t)) as Box<dyn Fn(f64, f64) -> f64>)
        })
        .collect();
    let filters: Vec<&dyn Fn(f64, f64) -> f64> = boxed.iter().map(|b| b.as_ref()).collect();
    let (duals, residual) = spectral_duals(&gram, y, &filters, &cell)?;
    ClaimError::check_residual(&cell, "Gram eigendecomposition", residual, 1e-12)?;
    let values = layer.eval_dual(x, &duals, grid);
    let nt = steps.len();
    let mut error = Vec::new();
    for p in 0..PAIRINGS.len() {
        error.push(
            (0..nt)
                .map(|ti| {
                    sup_abs(
                        values[p * nt + ti]
                            .f
                            .iter()
                            .zip(&prediction.gap[ti])
                            .map(|(a, b)| a - b),
                    )
                })
                .collect(),
        );
    }
    Ok(GapCell {
        n,
        replicate,
        error,
    })
}
