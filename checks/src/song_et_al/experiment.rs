//! The experiments of `song2021.subquadratic-width`: the data and K_inf problem, the
//! singular-value cells, the constant-step gradient-descent trajectories and the width scan of
//! the near-isometry threshold.

use crate::kit::{InCell, least, worst};
use crate::{ClaimError, Profile, RunContext};
use overparam_kernel::shallow::descent::{FixedStepSettings, fixed_step_descent};
use overparam_kernel::{
    Activation, Evaluation, GradientVariant, ShallowData, ShallowNet, StepRecord,
    data_spectral_norm, feature_kernel_inf, feature_kernel_mehler, local_smoothness_bound,
};
use overparam_linalg::{GaussHermite, Mat, Par, sym_eigenvalues, thin_svd};

use super::*;

/// Sizes of one profile.
pub(super) struct Sizes {
    /// Data set of the singular-value cells and the trajectories: n points on S^{d0-1}.
    pub(super) n: usize,
    pub(super) d0: usize,
    /// Singular-value cells: widths d1 = m n for these m, and seeds per width.
    pub(super) sigma_multiples: &'static [usize],
    pub(super) sigma_seeds: u64,
    /// Trajectories: widths d1 = m n, seeds per width.
    pub(super) trajectory_multiples: &'static [usize],
    pub(super) trajectory_seeds: u64,
    /// Width scan: the values of n (d0 fixed) and the initialisations per width.
    pub(super) scan_ns: &'static [usize],
    pub(super) scan_seeds: u64,
}

pub(super) fn sizes(profile: Profile) -> Sizes {
    match profile {
        Profile::Quick => Sizes {
            n: 32,
            d0: 16,
            sigma_multiples: &[4, 16, 64, 256],
            sigma_seeds: 5,
            trajectory_multiples: &[2, 8],
            trajectory_seeds: 2,
            scan_ns: &[8, 12, 16, 24, 32, 48, 64, 96],
            scan_seeds: 15,
        },
        Profile::Full => Sizes {
            n: 64,
            d0: 16,
            sigma_multiples: &[4, 16, 64, 256],
            sigma_seeds: 10,
            trajectory_multiples: &[2, 16],
            trajectory_seeds: 5,
            scan_ns: &[8, 12, 16, 24, 32, 48, 64, 96],
            scan_seeds: 25,
        },
    }
}

/// LeCun-type initialisation omega1 = 1/sqrt(d0), omega2 = 1/sqrt(d1): omega1 omega2 =
/// 1/sqrt(d0 d1), the boundary of the paper's condition (19); pre-activations have variance
/// omega1^2 ||x||^2 = 1/d0.
pub(super) fn omegas(d0: usize, d1: usize) -> (f64, f64) {
    (1.0 / (d0 as f64).sqrt(), 1.0 / (d1 as f64).sqrt())
}

/// A data set with its infinite-width kernel (the 60 x 60 Gauss–Hermite tensor rule).
pub(super) struct Problem {
    pub(super) n: usize,
    pub(super) d0: usize,
    pub(super) data: ShallowData,
    pub(super) kernel: Mat<f64>,
    pub(super) lambda_min: f64,
    pub(super) lambda_max: f64,
}

impl Problem {
    pub(super) fn new(
        ctx: &RunContext,
        label: &str,
        n: usize,
        d0: usize,
        rule: &GaussHermite,
    ) -> Result<Self, ClaimError> {
        let mut rng = ctx.seed(SUBQUADRATIC_WIDTH_ID, label, 0).rng();
        let data = ShallowData::sphere(d0, n, 1, &mut rng);
        let kernel = feature_kernel_inf(Activation::Gelu, omegas(d0, 1).0, data.x.as_ref(), rule);
        let (lambda_min, lambda_max) = kernel_extremes(&kernel, label)?;
        ClaimError::check_positive(label, "lambda_min(K_inf)", lambda_min)?;
        Ok(Problem {
            n,
            d0,
            data,
            kernel,
            lambda_min,
            lambda_max,
        })
    }

    pub(super) fn kappa(&self) -> f64 {
        self.lambda_max / self.lambda_min
    }
}

/// (lambda_min, lambda_max) of a kernel matrix, with its eigenvalue invariants checked.
pub(super) fn kernel_extremes(k: &Mat<f64>, label: &str) -> Result<(f64, f64), ClaimError> {
    let e = sym_eigenvalues(k.as_ref(), Par::Seq).in_cell(label)?;
    let invariants = worst([e.trace_error, e.frobenius_error]);
    ClaimError::check_residual(
        label,
        "K_inf eigenvalue invariants",
        invariants,
        RESIDUAL_BOUND,
    )?;
    Ok((e.values[0], *e.values.last().expect("n >= 1")))
}

/// One (width, seed) draw of the hidden-feature matrix phi(W0 X).
pub(super) struct SigmaCell {
    pub(super) d1: usize,
    pub(super) seed: u64,
    /// sigma_n(phi(W0 X)), the n-th singular value (the thin SVD's smallest, d1 >= n).
    pub(super) mu: f64,
    pub(super) residual: f64,
}

impl SigmaCell {
    /// mu / sqrt(d1 lambda) for the kernel eigenvalue lambda.
    pub(super) fn ratio(&self, lambda_min: f64) -> f64 {
        self.mu / (self.d1 as f64 * lambda_min).sqrt()
    }
}

/// sigma_n(phi(W0 X)) of one Gaussian initialisation at width d1 >= n on `data`.
pub(super) fn sigma_cell(
    ctx: &RunContext,
    label: &str,
    data: &ShallowData,
    d1: usize,
    seed: u64,
) -> Result<SigmaCell, ClaimError> {
    let (n, d0) = (data.len(), data.input_dim());
    assert!(d1 >= n, "sigma_n of a {d1} x {n} matrix needs d1 >= n");
    let cell = format!("{label} seed={seed}");
    let (omega1, omega2) = omegas(d0, d1);
    let mut rng = ctx.seed(SUBQUADRATIC_WIDTH_ID, label, seed).rng();
    let net = ShallowNet::gaussian(d0, d1, 1, omega1, omega2, &mut rng);
    let mut eval = Evaluation::for_problem(&net, data).in_cell(&cell)?;
    eval.forward(&net, data, Activation::Gelu).in_cell(&cell)?;
    let svd = thin_svd(eval.features(), Par::Seq).in_cell(&cell)?;
    let residual = worst([svd.residual, svd.orthogonality]);
    ClaimError::check_residual(&cell, "thin SVD", residual, RESIDUAL_BOUND)?;
    Ok(SigmaCell {
        d1,
        seed,
        mu: svd.smallest(),
        residual,
    })
}

/// What kind of trajectory run this is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum RunKind {
    /// The theorem's setting: exact gradient, constant step 1/beta(theta_0).
    Main,
    /// Control: the gradient of the mean loss h/n (the "no 1/n" slip) with the same step.
    MeanLoss,
    /// Control: the output-layer gradient without its factor 2.
    WrongGradient,
}

impl RunKind {
    pub(super) fn name(self) -> &'static str {
        match self {
            RunKind::Main => "main",
            RunKind::MeanLoss => "mean-loss-gradient",
            RunKind::WrongGradient => "wrong-gradient",
        }
    }
}

/// One thinned trajectory sample for trajectory.csv.
pub(super) struct Sample {
    pub(super) step: usize,
    pub(super) loss: f64,
    /// (1 - eta mu0^2)^t h_0: the guaranteed loss.
    pub(super) bound: f64,
    pub(super) sigma_min: Option<f64>,
    pub(super) pl_ratio: Option<f64>,
}

/// Everything measured along one constant-step GD run.
pub(super) struct Trajectory {
    pub(super) kind: RunKind,
    pub(super) d1: usize,
    pub(super) seed: u64,
    pub(super) mu0: f64,
    pub(super) sigma_max0: f64,
    /// The constant step 1 / beta(theta_0).
    pub(super) eta: f64,
    /// The guaranteed per-step factor 1 - eta mu0^2 and the steps it needs to reach the target.
    pub(super) rate_bound: f64,
    pub(super) predicted_steps: usize,
    pub(super) initial_loss: f64,
    pub(super) final_loss: f64,
    pub(super) steps: usize,
    pub(super) reached: bool,
    pub(super) diverged: bool,
    /// min_t ln(h_{t+1} / h_t) / ln(1 - eta mu0^2): the decay of each step in units of the
    /// guaranteed one (>= 1 is the prediction).
    pub(super) min_decay_ratio: f64,
    /// ln(h_T / h_0) / (T ln(1 - eta mu0^2)) at the end: how much faster than the guarantee.
    pub(super) mean_decay_ratio: f64,
    /// min_t ||g_V||^2 / (4 sigma_min(Phi_t)^2 h_t), of the gradient used.
    pub(super) min_pl_ratio: f64,
    /// max_t of the PL rounding allowance.
    pub(super) pl_tolerance: f64,
    /// min_t sigma_min(Phi_t) / mu0.
    pub(super) min_sigma_over_mu0: f64,
    pub(super) max_gram_error: f64,
    /// ||theta_T - theta_0|| / rho_Phi with rho_Phi = mu0 / (2 beta_Phi) (stated, not gated).
    pub(super) distance_over_rho: f64,
    pub(super) samples: Vec<Sample>,
}

pub(super) fn trajectory(
    ctx: &RunContext,
    problem: &Problem,
    kind: RunKind,
    d1: usize,
    seed: u64,
) -> Result<Trajectory, ClaimError> {
    // every kind starts from exactly the main run's initialisation at (d1, seed)
    let label = format!("trajectory d1={d1}");
    let cell = format!("{} {label} seed={seed}", kind.name());
    let (omega1, omega2) = omegas(problem.d0, d1);
    let mut rng = ctx.seed(SUBQUADRATIC_WIDTH_ID, &label, seed).rng();
    let mut net = ShallowNet::gaussian(problem.d0, d1, 1, omega1, omega2, &mut rng);
    let start = net.clone();
    let data = &problem.data;
    let activation = Activation::Gelu;

    let mut eval = Evaluation::for_problem(&net, data).in_cell(&cell)?;
    eval.forward(&net, data, activation).in_cell(&cell)?;
    let svd = thin_svd(eval.features(), Par::Seq).in_cell(&cell)?;
    let decomposition = worst([svd.residual, svd.orthogonality]);
    ClaimError::check_residual(&cell, "thin SVD", decomposition, RESIDUAL_BOUND)?;
    let mu0 = svd.smallest();
    let sigma_max0 = svd.largest();
    ClaimError::check_positive(&cell, "mu0 = sigma_n(phi(W0 X))", mu0)?;
    let x_norm = data_spectral_norm(data).in_cell(&cell)?;
    let beta0 = local_smoothness_bound(&net, &eval, activation, x_norm, sigma_max0);
    let eta = 1.0 / beta0;
    let rate_bound = 1.0 - eta * mu0 * mu0;
    let log_rate = rate_bound.ln();
    let predicted_steps = ((TARGET_RATIO.ln() / log_rate).ceil() as usize).max(1);

    let settings = FixedStepSettings {
        activation,
        gradient: match kind {
            RunKind::Main => GradientVariant::Exact,
            RunKind::MeanLoss => GradientVariant::MeanLoss,
            RunKind::WrongGradient => GradientVariant::OutputLayerWithoutFactorTwo,
        },
        eta,
        max_steps: predicted_steps,
        target_ratio: TARGET_RATIO,
        track_spectrum: true,
    };
    let eps = f64::EPSILON;
    let (n, d1f) = (problem.n as f64, d1 as f64);
    let mut min_decay = f64::INFINITY;
    let mut min_pl_ratio = f64::INFINITY;
    let mut pl_tolerance: f64 = 0.0;
    let mut min_sigma_ratio = f64::INFINITY;
    let mut max_gram_error: f64 = 0.0;
    let mut chi_max: f64 = 0.0;
    let mut samples = Vec::new();
    let mut h0 = f64::NAN;
    let summary = fixed_step_descent(&mut net, data, &settings, |r: &StepRecord| {
        if r.step == 0 {
            h0 = r.loss;
        }
        let pl_ratio = r.grad_v_sq / (4.0 * r.sigma_min.powi(2) * r.loss);
        min_pl_ratio = least([min_pl_ratio, pl_ratio]);
        let kappa = r.sigma_max / r.sigma_min;
        pl_tolerance = worst([
            pl_tolerance,
            PL_ROUNDING_UNITS * (n * kappa * kappa + d1f * kappa) * eps,
        ]);
        min_sigma_ratio = least([min_sigma_ratio, r.sigma_min / mu0]);
        max_gram_error = worst([max_gram_error, r.gram_trace_error]);
        chi_max = worst([chi_max, r.v_norm]);
        // the decay of step t, h_{t+1} / h_t, in units of the guaranteed 1 - eta mu0^2
        let decay = (r.next_loss / r.loss).ln() / log_rate;
        min_decay = least([min_decay, decay]);
        if r.step.is_multiple_of(TRAJECTORY_STRIDE) {
            samples.push(Sample {
                step: r.step,
                loss: r.loss,
                bound: h0 * (r.step as f64 * log_rate).exp(),
                sigma_min: Some(r.sigma_min),
                pl_ratio: Some(pl_ratio),
            });
        }
        // once the guarantee has clearly failed (a step decays at less than STOP_DECAY of
        // the guaranteed rate, or the gradient used breaks the PL identity by the same
        // factor) the run has answered its question; NaN stops too
        decay >= STOP_DECAY && (kind != RunKind::WrongGradient || pl_ratio >= STOP_DECAY)
    })
    .in_cell(&cell)?;
    ClaimError::check_residual(
        &cell,
        "Gram eigenvalue trace",
        max_gram_error,
        RESIDUAL_BOUND,
    )?;
    samples.push(Sample {
        step: summary.steps,
        loss: summary.final_loss,
        bound: summary.initial_loss * (summary.steps as f64 * log_rate).exp(),
        sigma_min: None,
        pl_ratio: None,
    });
    if summary.diverged {
        // the loss left the floating-point range: the guarantee failed there
        min_decay = f64::NEG_INFINITY;
    }

    // Lemma 1's radius rho_Phi = mu / (2 beta_Phi), beta_Phi = sqrt(2) ||X|| (phi'_max +
    // phi''_max chi_max): stated, not gated (the paper's constants are loose).
    let beta_phi =
        2f64.sqrt() * x_norm * (activation.slope_bound() + activation.curvature_bound() * chi_max);
    let distance = {
        let dw = (&net.w - &start.w).norm_l2();
        let dv = (&net.v - &start.v).norm_l2();
        (dw * dw + dv * dv).sqrt()
    };
    let rho = mu0 / (2.0 * beta_phi);
    let mean_decay_ratio = if summary.steps > 0 {
        (summary.final_loss / summary.initial_loss).ln() / (summary.steps as f64 * log_rate)
    } else {
        f64::NAN
    };

    Ok(Trajectory {
        kind,
        d1,
        seed,
        mu0,
        sigma_max0,
        eta,
        rate_bound,
        predicted_steps,
        initial_loss: summary.initial_loss,
        final_loss: summary.final_loss,
        steps: summary.steps,
        reached: summary.reached_target,
        diverged: summary.diverged,
        min_decay_ratio: if summary.steps > 0 {
            min_decay
        } else {
            f64::NAN
        },
        mean_decay_ratio,
        min_pl_ratio,
        pl_tolerance,
        min_sigma_over_mu0: min_sigma_ratio,
        max_gram_error,
        distance_over_rho: distance / rho,
        samples,
    })
}

/// One width of the scan at one n.
pub(super) struct ScanLevel {
    pub(super) d1: usize,
    /// mu / sqrt(d1 lambda_min(K_inf)) per initialisation.
    pub(super) ratios: Vec<f64>,
    pub(super) median: f64,
}

/// The near-isometry threshold at one n.
pub(super) struct WidthScan {
    pub(super) n: usize,
    /// The median over the scan's data sets of lambda_min(K_inf).
    pub(super) lambda_min: f64,
    pub(super) levels: Vec<ScanLevel>,
    /// The width where the median ratio crosses ISOMETRY_RATIO (log-linear interpolation
    /// between the grid widths around the crossing); None if not reached on the grid.
    pub(super) threshold: Option<f64>,
}

fn median(values: &[f64]) -> f64 {
    let mut v = values.to_vec();
    v.sort_by(f64::total_cmp);
    let m = v.len() / 2;
    if v.len() % 2 == 1 {
        v[m]
    } else {
        0.5 * (v[m - 1] + v[m])
    }
}

/// Ascends d1 = round(n 2^{k/4}), k = 0, 1, ..., from d1 = n until the median over `seeds`
/// draws of mu0 / sqrt(d1 lambda_min(K_inf)) reaches ISOMETRY_RATIO. Draw s has its own data
/// set (n points, d0 fixed, K_inf by the Mehler series) and its own initialisation, so the
/// threshold describes typical data, not one data set.
pub(super) fn width_scan(
    ctx: &RunContext,
    n: usize,
    d0: usize,
    seeds: u64,
    rule: &GaussHermite,
) -> Result<WidthScan, ClaimError> {
    let label = format!("scan data n={n} d0={d0}");
    let problems: Vec<(ShallowData, f64)> = (0..seeds)
        .map(|s| {
            let mut rng = ctx.seed(SUBQUADRATIC_WIDTH_ID, &label, s).rng();
            let data = ShallowData::sphere(d0, n, 1, &mut rng);
            let k = feature_kernel_mehler(
                Activation::Gelu,
                omegas(d0, 1).0,
                data.x.as_ref(),
                rule,
                MEHLER_DEGREE,
            );
            let cell = format!("{label} seed={s}");
            let e = sym_eigenvalues(k.as_ref(), Par::Seq).in_cell(&cell)?;
            ClaimError::check_positive(&cell, "lambda_min(K_inf)", e.values[0])?;
            Ok((data, e.values[0]))
        })
        .collect::<Result<_, ClaimError>>()?;
    let lambdas: Vec<f64> = problems.iter().map(|p| p.1).collect();
    let mut levels: Vec<ScanLevel> = Vec::new();
    let mut threshold = None;
    for step in 0..=SCAN_STEPS {
        let d1 = ((n as f64) * 2f64.powf(step as f64 / 4.0)).round() as usize;
        if levels.last().is_some_and(|l| l.d1 == d1) {
            continue;
        }
        let cell_label = format!("scan n={n} d1={d1}");
        let ratios: Vec<f64> = problems
            .iter()
            .zip(0..seeds)
            .map(|((data, lambda), s)| {
                sigma_cell(ctx, &cell_label, data, d1, s).map(|c| c.ratio(*lambda))
            })
            .collect::<Result<_, _>>()?;
        let m = median(&ratios);
        let crossed = m >= ISOMETRY_RATIO;
        if crossed {
            threshold = Some(match levels.last() {
                None => d1 as f64,
                Some(prev) => {
                    let (l0, l1) = ((prev.d1 as f64).ln(), (d1 as f64).ln());
                    let f = (ISOMETRY_RATIO - prev.median) / (m - prev.median);
                    (l0 + f * (l1 - l0)).exp()
                }
            });
        }
        levels.push(ScanLevel {
            d1,
            ratios,
            median: m,
        });
        if crossed {
            break;
        }
    }
    Ok(WidthScan {
        n,
        lambda_min: median(&lambdas),
        levels,
        threshold,
    })
}
