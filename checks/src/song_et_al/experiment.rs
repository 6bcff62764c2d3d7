//! The experiments of `song2021.subquadratic-width`: the data and K_inf problem, the
//! singular-value cells, the certified gradient-descent trajectories, the width search and the
//! exponent fit.

use crate::kit::{InCell, LEVEL, least, worst};
use crate::stats::linear_fit_with_covariate;
use crate::{ClaimError, Profile, RunContext};
use overparam_kernel::shallow::descent::{DescentSettings, gradient_descent};
use overparam_kernel::{
    Activation, Evaluation, GradientVariant, ShallowData, ShallowNet, StepRecord,
    feature_kernel_inf, feature_kernel_mehler,
};
use overparam_linalg::{GaussHermite, GramSpectrum, Par, sym_eigenvalues, thin_svd};
use rayon::prelude::*;
use std::sync::atomic::{AtomicUsize, Ordering};

use super::*;

/// Sizes of one profile.
pub(super) struct Sizes {
    /// Data set of criteria 1–3: n points on S^{d0-1}.
    pub(super) n: usize,
    pub(super) d0: usize,
    /// Criterion 1: widths d1 = m n for these m, and seeds per width.
    pub(super) sigma_multiples: &'static [usize],
    pub(super) sigma_seeds: u64,
    /// Criteria 2–3: widths d1 = m n, seeds per width.
    pub(super) trajectory_multiples: &'static [usize],
    pub(super) trajectory_seeds: u64,
    /// Criterion 4: the values of n (each doubling).
    pub(super) width_ns: &'static [usize],
}

pub(super) fn sizes(profile: Profile) -> Sizes {
    match profile {
        Profile::Quick => Sizes {
            n: 32,
            d0: 16,
            sigma_multiples: &[4, 8, 16, 32, 64, 128, 256],
            sigma_seeds: 5,
            trajectory_multiples: &[2, 8],
            trajectory_seeds: 3,
            width_ns: &[4, 8, 16, 32],
        },
        Profile::Full => Sizes {
            n: 64,
            d0: 16,
            sigma_multiples: &[4, 8, 16, 32, 64, 128, 256],
            sigma_seeds: 10,
            trajectory_multiples: &[2, 16],
            trajectory_seeds: 5,
            width_ns: &[8, 16, 32, 64, 128],
        },
    }
}

/// LeCun-type initialisation omega1 = 1/sqrt(d0), omega2 = 1/sqrt(d1): omega1 omega2 =
/// 1/sqrt(d0 d1), the boundary of the paper's condition (19); pre-activations have variance
/// omega1^2 ||x||^2 = 1/d0.
pub(super) fn omegas(d0: usize, d1: usize) -> (f64, f64) {
    (1.0 / (d0 as f64).sqrt(), 1.0 / (d1 as f64).sqrt())
}

/// A data set with its infinite-width kernel and the step budget derived from it.
pub(super) struct Problem {
    pub(super) n: usize,
    pub(super) d0: usize,
    pub(super) data: ShallowData,
    pub(super) lambda_min: f64,
    pub(super) lambda_max: f64,
    pub(super) budget: usize,
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
        let (lambda_min, lambda_max) =
            kinf_extremes(Activation::Gelu, omegas(d0, 1).0, &data, rule, label)?;
        ClaimError::check_positive(label, "lambda_min(K_inf)", lambda_min)?;
        let kappa = lambda_max / lambda_min;
        let budget = (BUDGET_FACTOR * kappa * (1.0 / TARGET_RATIO).ln()).ceil() as usize;
        Ok(Problem {
            n,
            d0,
            data,
            lambda_min,
            lambda_max,
            budget,
        })
    }

    pub(super) fn kappa(&self) -> f64 {
        self.lambda_max / self.lambda_min
    }
}

/// (lambda_min, lambda_max) of K_inf for `activation` at first-layer scale `omega1`.
pub(super) fn kinf_extremes(
    activation: Activation,
    omega1: f64,
    data: &ShallowData,
    rule: &GaussHermite,
    label: &str,
) -> Result<(f64, f64), ClaimError> {
    let k = feature_kernel_inf(activation, omega1, data.x.as_ref(), rule);
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

/// Criterion 1: one (activation, width, seed) draw of the hidden-feature matrix.
pub(super) struct SigmaCell {
    pub(super) activation: Activation,
    pub(super) d1: usize,
    pub(super) seed: u64,
    pub(super) mu: f64,
    pub(super) sigma_max: f64,
    pub(super) residual: f64,
}

pub(super) fn sigma_cell(
    ctx: &RunContext,
    problem: &Problem,
    activation: Activation,
    d1: usize,
    seed: u64,
) -> Result<SigmaCell, ClaimError> {
    let label = format!("sigma activation={} d1={d1}", activation.name());
    let (omega1, omega2) = omegas(problem.d0, d1);
    let mut rng = ctx.seed(SUBQUADRATIC_WIDTH_ID, &label, seed).rng();
    let net = ShallowNet::gaussian(problem.d0, d1, 1, omega1, omega2, &mut rng);
    let mut eval = Evaluation::for_problem(&net, &problem.data).in_cell(&label)?;
    eval.forward(&net, &problem.data, activation)
        .in_cell(&label)?;
    let svd = thin_svd(eval.features(), Par::Seq).in_cell(&label)?;
    let residual = worst([svd.residual, svd.orthogonality]);
    ClaimError::check_residual(&label, "thin SVD", residual, RESIDUAL_BOUND)?;
    Ok(SigmaCell {
        activation,
        d1,
        seed,
        mu: if d1 >= problem.n { svd.smallest() } else { 0.0 },
        sigma_max: svd.largest(),
        residual,
    })
}

/// What kind of trajectory run this is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum RunKind {
    /// The theorem's setting at d1 >= n.
    Main,
    /// Control: d1 = n/2, so Phi has rank <= d1 < n and mu = 0.
    WidthBelowN,
    /// Control: the output-layer gradient without its factor 2.
    WrongGradient,
}

impl RunKind {
    pub(super) fn name(self) -> &'static str {
        match self {
            RunKind::Main => "main",
            RunKind::WidthBelowN => "width-below-n",
            RunKind::WrongGradient => "wrong-gradient",
        }
    }
}

/// One thinned trajectory sample for trajectory.csv.
pub(super) struct Sample {
    pub(super) step: usize,
    pub(super) loss: f64,
    pub(super) sigma_min: Option<f64>,
    pub(super) pl_ratio: Option<f64>,
}

/// Criteria 2–3: everything measured along one GD run.
pub(super) struct Trajectory {
    pub(super) kind: RunKind,
    pub(super) d1: usize,
    pub(super) seed: u64,
    pub(super) mu0: f64,
    pub(super) sigma_max0: f64,
    /// lambda_min / lambda_max of Phi_0^T Phi_0 (n x n), measured: for d1 < n its rank is at
    /// most d1, so this is rounding (~ n eps), which is what "mu0 = 0" means numerically.
    pub(super) gram_ratio0: f64,
    pub(super) initial_loss: f64,
    pub(super) final_loss: f64,
    pub(super) steps: usize,
    pub(super) reached: bool,
    pub(super) backtracks: u64,
    /// min_t ||g_V||^2 / (4 sigma_min(Phi_t)^2 h_t) (NaN when mu0 = 0).
    pub(super) min_pl_ratio: f64,
    /// max_t of the PL rounding allowance.
    pub(super) pl_tolerance: f64,
    /// min_t sigma_min(Phi_t) / mu0.
    pub(super) min_sigma_over_mu0: f64,
    /// max_t h_{t+1} / ((1 - eta_t sigma_min(Phi_t)^2) h_t); <= 1 is the per-step contraction.
    pub(super) max_contraction: f64,
    /// Steps where the contraction inequality failed.
    pub(super) contraction_violations: usize,
    pub(super) max_gram_error: f64,
    /// ||theta_T - theta_0|| / rho_Phi with rho_Phi = mu0 / (2 beta_Phi) (reported only).
    pub(super) distance_over_rho: f64,
    pub(super) samples: Vec<Sample>,
}

impl Trajectory {
    pub(super) fn nondegenerate(&self) -> bool {
        self.mu0 > RANK_TOLERANCE * self.sigma_max0
    }
    pub(super) fn localised(&self) -> bool {
        self.min_sigma_over_mu0 >= 0.5
    }
    /// The four conditions of criterion 3; the names of those that fail.
    pub(super) fn rate_violations(&self) -> Vec<&'static str> {
        let mut v = Vec::new();
        if !self.nondegenerate() {
            v.push("mu0 = 0 (rank)");
        }
        if !self.localised() {
            v.push("sigma_min < mu0/2");
        }
        if self.contraction_violations > 0 || !self.max_contraction.is_finite() {
            v.push("contraction");
        }
        if !self.reached {
            v.push("budget");
        }
        v
    }
}

pub(super) fn trajectory(
    ctx: &RunContext,
    problem: &Problem,
    kind: RunKind,
    d1: usize,
    seed: u64,
) -> Result<Trajectory, ClaimError> {
    // The wrong-gradient control starts from exactly the main run's initialisation.
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
    // the n-th singular value: for d1 < n the thin SVD has only d1 values and sigma_n = 0
    let mu0 = if d1 >= problem.n { svd.smallest() } else { 0.0 };
    let sigma_max0 = svd.largest();
    let gram0 = GramSpectrum::new(problem.n)
        .compute(eval.features())
        .in_cell(&cell)?;
    let gram_ratio0 = gram0.min / gram0.max;

    let settings = DescentSettings {
        activation,
        gradient: match kind {
            RunKind::WrongGradient => GradientVariant::OutputLayerWithoutFactorTwo,
            _ => GradientVariant::Exact,
        },
        max_steps: problem.budget,
        target_ratio: TARGET_RATIO,
        track_spectrum: true,
    };
    let eps = f64::EPSILON;
    let (n, d1f) = (problem.n as f64, d1 as f64);
    let mut min_pl_ratio = f64::INFINITY;
    let mut pl_tolerance: f64 = 0.0;
    let mut min_sigma_ratio = f64::INFINITY;
    let mut max_contraction: f64 = 0.0;
    let mut contraction_violations = 0;
    let mut max_gram_error: f64 = 0.0;
    let mut chi_max: f64 = 0.0;
    let mut samples = Vec::new();
    let mut last: Option<StepRecord> = None;
    let summary = gradient_descent(&mut net, data, &settings, |r: &StepRecord| {
        let full_rank = d1 >= problem.n && r.sigma_min > 0.0;
        let pl_ratio = full_rank.then(|| r.grad_v_sq / (4.0 * r.sigma_min.powi(2) * r.loss));
        if let Some(ratio) = pl_ratio {
            min_pl_ratio = least([min_pl_ratio, ratio]);
            let kappa = r.sigma_max / r.sigma_min;
            pl_tolerance = worst([
                pl_tolerance,
                PL_ROUNDING_UNITS * (n * kappa * kappa + d1f * kappa) * eps,
            ]);
        }
        if mu0 > 0.0 {
            min_sigma_ratio = least([min_sigma_ratio, r.sigma_min / mu0]);
        }
        let bound = (1.0 - r.eta * r.sigma_min.powi(2)) * r.loss;
        let contraction = r.next_loss / bound;
        // NaN counts as a violation
        let contracts = matches!(
            r.next_loss.partial_cmp(&bound),
            Some(std::cmp::Ordering::Less | std::cmp::Ordering::Equal)
        );
        if !contracts {
            contraction_violations += 1;
        }
        max_contraction = worst([max_contraction, contraction]);
        max_gram_error = worst([max_gram_error, r.gram_trace_error]);
        chi_max = worst([chi_max, r.v_norm]);
        if r.step.is_multiple_of(TRAJECTORY_STRIDE) {
            samples.push(Sample {
                step: r.step,
                loss: r.loss,
                sigma_min: Some(r.sigma_min),
                pl_ratio,
            });
        }
        last = Some(*r);
    })
    .in_cell(&cell)?;
    ClaimError::check_residual(
        &cell,
        "Gram eigenvalue trace",
        max_gram_error,
        RESIDUAL_BOUND,
    )?;
    if let Some(r) = last
        && !r.step.is_multiple_of(TRAJECTORY_STRIDE)
    {
        samples.push(Sample {
            step: r.step,
            loss: r.loss,
            sigma_min: Some(r.sigma_min),
            pl_ratio: (d1 >= problem.n && r.sigma_min > 0.0)
                .then(|| r.grad_v_sq / (4.0 * r.sigma_min.powi(2) * r.loss)),
        });
    }
    samples.push(Sample {
        step: summary.steps,
        loss: summary.final_loss,
        sigma_min: None,
        pl_ratio: None,
    });

    // Lemma 1's radius rho_Phi = mu / (2 beta_Phi), beta_Phi = sqrt(2) ||X|| (phi'_max +
    // phi''_max chi_max): reported, not gated (the paper's constants are loose).
    let x_norm = overparam_kernel::data_spectral_norm(data).in_cell(&cell)?;
    let beta_phi =
        2f64.sqrt() * x_norm * (activation.slope_bound() + activation.curvature_bound() * chi_max);
    let distance = {
        let dw = (&net.w - &start.w).norm_l2();
        let dv = (&net.v - &start.v).norm_l2();
        (dw * dw + dv * dv).sqrt()
    };
    let rho = mu0 / (2.0 * beta_phi);

    Ok(Trajectory {
        kind,
        d1,
        seed,
        mu0,
        sigma_max0,
        gram_ratio0,
        initial_loss: summary.initial_loss,
        final_loss: summary.final_loss,
        steps: summary.steps,
        reached: summary.reached_target,
        backtracks: summary.backtracks,
        min_pl_ratio: if min_pl_ratio.is_finite() {
            min_pl_ratio
        } else {
            f64::NAN
        },
        pl_tolerance,
        min_sigma_over_mu0: if mu0 > 0.0 { min_sigma_ratio } else { f64::NAN },
        max_contraction,
        contraction_violations,
        max_gram_error,
        distance_over_rho: distance / rho,
        samples,
    })
}

/// One width of the width search.
pub(super) struct WidthLevel {
    pub(super) d1: usize,
    pub(super) converged: usize,
    pub(super) total: usize,
}

/// Criterion 4 at one n.
pub(super) struct WidthSearch {
    pub(super) n: usize,
    pub(super) d0: usize,
    /// kappa_inf and the step budget per seed (each seed draws its own data set).
    pub(super) kappas: Vec<f64>,
    pub(super) budgets: Vec<usize>,
    pub(super) levels: Vec<WidthLevel>,
    pub(super) d1_min: Option<usize>,
}

/// A data set of the width search and its budget: K_inf by the Mehler series (coefficients
/// by Gauss–Hermite quadrature), budget BUDGET_FACTOR kappa_inf ln(1/TARGET_RATIO).
pub(super) fn width_problem(
    ctx: &RunContext,
    n: usize,
    d0: usize,
    seed: u64,
    rule: &GaussHermite,
) -> Result<(ShallowData, f64, usize), ClaimError> {
    let label = format!("width data n={n} d0={d0}");
    let mut rng = ctx.seed(SUBQUADRATIC_WIDTH_ID, &label, seed).rng();
    let data = ShallowData::sphere(d0, n, 1, &mut rng);
    let k = feature_kernel_mehler(
        Activation::Gelu,
        omegas(d0, 1).0,
        data.x.as_ref(),
        rule,
        MEHLER_DEGREE,
    );
    let cell = format!("{label} seed={seed}");
    let e = sym_eigenvalues(k.as_ref(), Par::Seq).in_cell(&cell)?;
    let (lo, hi) = (e.values[0], *e.values.last().expect("n >= 1"));
    ClaimError::check_positive(&cell, "lambda_min(K_inf)", lo)?;
    let kappa = hi / lo;
    let budget = (BUDGET_FACTOR * kappa * (1.0 / TARGET_RATIO).ln()).ceil() as usize;
    Ok((data, kappa, budget))
}

/// Ascends the doubling grid from the largest power of two d1 with d1 (d0 + 1) < n (fewer
/// parameters than equations: a generic target cannot be interpolated), or from 1, until
/// WIDTH_CONVERGED of WIDTH_SEEDS runs reach TARGET_RATIO within their budgets. Seed s draws
/// its own data set and initialisation, so d1_min describes typical data, not one draw.
pub(super) fn width_search(
    ctx: &RunContext,
    n: usize,
    rule: &GaussHermite,
) -> Result<WidthSearch, ClaimError> {
    let d0 = (D0_SQUARED_OVER_N * n as f64).sqrt().ceil() as usize;
    let problems: Vec<(ShallowData, f64, usize)> = (0..WIDTH_SEEDS)
        .into_par_iter()
        .map(|seed| width_problem(ctx, n, d0, seed, rule))
        .collect::<Result<_, _>>()?;
    let mut d1 = 1;
    while 2 * d1 * (d0 + 1) < n {
        d1 *= 2;
    }
    let mut levels = Vec::new();
    let mut d1_min = None;
    loop {
        let label = format!("width n={n} d1={d1}");
        let (omega1, omega2) = omegas(d0, d1);
        let (mut converged, mut total) = (0, 0);
        let mut start = 0;
        while start < WIDTH_SEEDS {
            let end = (start + WIDTH_CHUNK).min(WIDTH_SEEDS);
            let reached: Vec<bool> = (start..end)
                .into_par_iter()
                .map(|seed| {
                    let (data, _, budget) = &problems[seed as usize];
                    let mut rng = ctx.seed(SUBQUADRATIC_WIDTH_ID, &label, seed).rng();
                    let mut net = ShallowNet::gaussian(d0, d1, 1, omega1, omega2, &mut rng);
                    let settings = DescentSettings {
                        activation: Activation::Gelu,
                        gradient: GradientVariant::Exact,
                        max_steps: *budget,
                        target_ratio: TARGET_RATIO,
                        track_spectrum: false,
                    };
                    gradient_descent(&mut net, data, &settings, |_| {})
                        .map(|s| s.reached_target)
                        .in_cell(&format!("{label} seed={seed}"))
                })
                .collect::<Result<_, _>>()?;
            total += reached.len();
            converged += reached.iter().filter(|r| **r).count();
            let failed = total - converged;
            if converged >= WIDTH_CONVERGED || failed > (WIDTH_SEEDS as usize) - WIDTH_CONVERGED {
                break;
            }
            start = end;
        }
        levels.push(WidthLevel {
            d1,
            converged,
            total,
        });
        if converged >= WIDTH_CONVERGED {
            d1_min = Some(d1);
            break;
        }
        if d1 >= MAX_WIDTH_MULTIPLE * n {
            break;
        }
        d1 *= 2;
    }
    Ok(WidthSearch {
        n,
        d0,
        kappas: problems.iter().map(|p| p.1).collect(),
        budgets: problems.iter().map(|p| p.2).collect(),
        levels,
        d1_min,
    })
}

/// Counts finished stages for the progress sink.
pub(super) struct Stages<'a> {
    pub(super) ctx: &'a RunContext<'a>,
    pub(super) done: AtomicUsize,
    pub(super) total: usize,
}

impl Stages<'_> {
    pub(super) fn tick(&self, label: &str) {
        let k = self.done.fetch_add(1, Ordering::Relaxed) + 1;
        self.ctx
            .progress
            .cell_done(SUBQUADRATIC_WIDTH_ID, k, self.total, label);
    }
}

/// The finite-width covariate of the exponent fit.
#[derive(Clone, Copy)]
pub(super) enum FiniteWidthTerm {
    /// n / d1: second-order perturbation of an eigenvalue of a sample second-moment matrix.
    Perturbative,
    /// sqrt(n / d1): the Bai–Yin edge of a white sample covariance (reported for comparison).
    BaiYin,
}

/// Least-squares exponent of ln mu = a + b ln d1 + g w(d1) over the cells with d1 >= 16 n.
pub(super) fn exponent_fit(
    cells: &[&SigmaCell],
    n: usize,
    term: FiniteWidthTerm,
) -> Option<crate::stats::CovariateFit> {
    let used: Vec<&&SigmaCell> = cells
        .iter()
        .filter(|c| c.d1 >= EXPONENT_MIN_MULTIPLE * n)
        .collect();
    let x: Vec<f64> = used.iter().map(|c| (c.d1 as f64).ln()).collect();
    let w: Vec<f64> = used
        .iter()
        .map(|c| {
            let gamma = n as f64 / c.d1 as f64;
            match term {
                FiniteWidthTerm::Perturbative => gamma,
                FiniteWidthTerm::BaiYin => gamma.sqrt(),
            }
        })
        .collect();
    let y: Vec<f64> = used.iter().map(|c| c.mu.ln()).collect();
    linear_fit_with_covariate(&x, &w, &y, LEVEL)
}
