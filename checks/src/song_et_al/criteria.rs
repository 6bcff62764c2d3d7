//! The criteria of `song2021.subquadratic-width`.

use crate::kit::{LEVEL, WorstCase};
use crate::stats::linear_fit;
use crate::{Comparator, Criterion};

use super::*;

/// Criterion 1a: the asymptotic exponent of mu in d1.
pub(super) fn exponent_criterion(cells: &[&SigmaCell], n: usize) -> Criterion {
    let fit = exponent_fit(cells, n, FiniteWidthTerm::Perturbative);
    let (measured, half, detail) = match fit {
        Some(f) => (
            f.slope,
            0.5 * (f.slope_high - f.slope_low),
            format!(
                "ln mu = a + b ln d1 + g n/d1 over {} draws with d1 >= {EXPONENT_MIN_MULTIPLE}n: \
                 b = {:.4} [{:.4}, {:.4}] (95% t), g = {:.3}",
                f.n, f.slope, f.slope_low, f.slope_high, f.gamma
            ),
        ),
        None => (f64::NAN, 0.0, "fit impossible (NaN or degenerate)".into()),
    };
    Criterion::new(
        "sigma-min-sqrt-width",
        measured,
        Comparator::Between { upper: 0.5 + half },
        0.5 - half,
        "random-matrix theory: Phi^T Phi / d1 is a sample second-moment matrix with mean K_inf, \
         so mu^2 / d1 -> lambda_min(K_inf) and, by second-order perturbation of its smallest \
         eigenvalue, E mu^2 = d1 lambda_min (1 - c n/d1 + O(d1^-3/2)); regressing ln mu on ln d1 \
         with n/d1 as covariate (widths >= 16n, where the ratio to the prediction exceeds 0.9), \
         the exponent's 95% t-interval must contain 1/2, i.e. b lies within its half-width of \
         1/2",
    )
    .with_detail(detail)
}

/// Criterion 1b: mu / sqrt(d1 lambda_min(K_inf)) at the largest width, against the band that
/// random-matrix theory allows there.
pub(super) fn kinf_ratio_criterion(cells: &[&SigmaCell], n: usize, lambda_min: f64) -> Criterion {
    let widths: Vec<usize> = {
        let mut w: Vec<usize> = cells.iter().map(|c| c.d1).collect();
        w.sort_unstable();
        w.dedup();
        w
    };
    let mean_ratio = |d1: usize| -> f64 {
        let r: Vec<f64> = cells
            .iter()
            .filter(|c| c.d1 == d1)
            .map(|c| c.mu / (c.d1 as f64 * lambda_min).sqrt())
            .collect();
        r.iter().sum::<f64>() / r.len() as f64
    };
    let d1_max = *widths.last().expect("at least one width");
    let lower = 1.0 - (n as f64 / d1_max as f64).sqrt();
    let upper = 1.0 + 1.5 * (2.0 / d1_max as f64).sqrt();
    let per_width = widths
        .iter()
        .map(|&d| format!("d1={d}: {:.4}", mean_ratio(d)))
        .collect::<Vec<_>>()
        .join(", ");
    Criterion::new(
        "sigma-min-matches-kinf",
        mean_ratio(d1_max),
        Comparator::Between { upper },
        lower,
        "E[Phi^T Phi] = d1 K_inf with K_inf from 60x60 Gauss-Hermite quadrature (no sampling); \
         at the largest width the seed-mean of mu / sqrt(d1 lambda_min(K_inf)) must lie in \
         [1 - sqrt(n/d1), 1 + 1.5 sqrt(2/d1)]: below, the Bai-Yin edge (1 - sqrt(n/d1))^2 of \
         lambda_min of a sample covariance; above, three standard deviations of the Rayleigh \
         quotient of K_inf's bottom eigenvector over d1 Gaussian features; both ends shrink to \
         1 as d1 grows, which is the claim 'approaches 1'",
    )
    .with_detail(format!(
        "lambda_min(K_inf) = {lambda_min:.5e}; seed-mean ratio per width: {per_width}"
    ))
}

/// Criterion 2 on a set of runs.
pub(super) fn pl_criterion(runs: &[&Trajectory]) -> Criterion {
    let measured = runs.iter().map(|r| r.min_pl_ratio).least();
    let tolerance = runs.iter().map(|r| r.pl_tolerance).worst();
    let detail = runs
        .iter()
        .map(|r| format!("d1={} seed={}: {:.5}", r.d1, r.seed, r.min_pl_ratio))
        .collect::<Vec<_>>()
        .join(", ");
    Criterion::new(
        "pl-inequality",
        measured,
        Comparator::AtLeast,
        1.0 - tolerance,
        "||grad_V h||^2 = 4 ||R Phi^T||^2 >= 4 sigma_min(Phi)^2 ||R||^2 = 4 sigma_min^2 h is exact \
         linear algebra for d1 >= n (a Rayleigh quotient of Phi^T Phi); it must hold at every \
         GD iterate up to the rounding allowance 8 (n kappa^2 + d1 kappa) eps of the Gram \
         eigenvalue and the product, maximised over iterates",
    )
    .with_detail(format!(
        "min over iterates of ||grad_V h||^2 / (4 sigma_min^2 h) per run: {detail}; rounding \
         allowance {tolerance:.2e}"
    ))
}

/// Criterion 3 on a set of runs.
pub(super) fn rate_criterion(runs: &[&Trajectory]) -> Criterion {
    let violating: Vec<String> = runs
        .iter()
        .filter_map(|r| {
            let v = r.rate_violations();
            (!v.is_empty()).then(|| format!("d1={} seed={}: {}", r.d1, r.seed, v.join("+")))
        })
        .collect();
    let summary = runs
        .iter()
        .map(|r| {
            format!(
                "d1={} seed={}: mu0={:.3e} (lambda_min/lambda_max of Phi0^T Phi0 {:.1e}) min \
                 sigma/mu0={:.4} max contraction={:.4} h_T/h_0={:.2e} in {} steps",
                r.d1,
                r.seed,
                r.mu0,
                r.gram_ratio0,
                r.min_sigma_over_mu0,
                r.max_contraction,
                r.final_loss / r.initial_loss,
                r.steps
            )
        })
        .collect::<Vec<_>>()
        .join("; ");
    Criterion::new(
        "localisation-and-linear-rate",
        violating.len() as f64,
        Comparator::Equal,
        0.0,
        "every run must (a) start non-degenerate, mu0 > 1e-8 sigma_max(Phi_0) (the theorem's \
         hypothesis, d1 >= n); (b) stay localised, sigma_min(Phi_t) >= mu0/2 (Lemma 1); (c) \
         contract at every step, h_{t+1} <= (1 - eta_t sigma_min(Phi_t)^2) h_t, at the step \
         eta_t = 1/beta(theta_t), beta the local smoothness bound 2(sigma_max(Phi)^2 + \
         ||V||^2 phi'max^2 ||X||^2) + 2||R|| phi'max ||X|| + 2 phi''max max|V^T R| ||X||^2 \
         (the descent-lemma step is verified exactly and halved if it fails; with PL this gives \
         the factor 1 - 2 eta sigma^2, so the test keeps a 2x margin); (d) reach h <= 1e-8 h_0 \
         within 2 kappa_inf ln(1e8) steps. Counted: runs violating any of (a)-(d)",
    )
    .with_detail(if violating.is_empty() {
        format!("no violations; {summary}")
    } else {
        format!("violations: {}; {summary}", violating.join(", "))
    })
}

/// Criterion 4 from the width searches.
pub(super) fn width_criterion(searches: &[WidthSearch]) -> (Criterion, Option<(f64, f64, f64)>) {
    let missing: Vec<usize> = searches
        .iter()
        .filter(|s| s.d1_min.is_none())
        .map(|s| s.n)
        .collect();
    let points: Vec<(f64, f64)> = searches
        .iter()
        .filter_map(|s| {
            s.d1_min
                .map(|d1| ((s.n as f64).ln(), ((s.d0 * d1) as f64).ln()))
        })
        .collect();
    let per_n = searches
        .iter()
        .map(|s| match s.d1_min {
            Some(d1) => format!(
                "n={} d0={}: d1_min={} (d0 d1_min={}, budgets {}..{} steps)",
                s.n,
                s.d0,
                d1,
                s.d0 * d1,
                s.budgets.iter().min().unwrap_or(&0),
                s.budgets.iter().max().unwrap_or(&0),
            ),
            None => format!(
                "n={} d0={}: not reached up to d1={}",
                s.n,
                s.d0,
                MAX_WIDTH_MULTIPLE * s.n
            ),
        })
        .collect::<Vec<_>>()
        .join("; ");
    let fit = if missing.is_empty() {
        let (x, y): (Vec<f64>, Vec<f64>) = points.into_iter().unzip();
        linear_fit(&x, &y, LEVEL)
    } else {
        None
    };
    let (measured, detail, triple) = match fit {
        Some(f) => (
            f.slope_high,
            format!(
                "exponent of d0 d1_min in n: {:.3} [{:.3}, {:.3}] (95% t); {per_n}",
                f.slope, f.slope_low, f.slope_high
            ),
            Some((f.slope, f.slope_low, f.slope_high)),
        ),
        None => (f64::NAN, format!("no exponent: {per_n}"), None),
    };
    let c = Criterion::new(
        "width-exponent",
        measured,
        Comparator::LessThan,
        SUBQUADRATIC_EXPONENT,
        "the claim is subquadratic over-parameterisation: d0 d1 = O~(n^{3/2}) suffices, so the \
         upper end of the 95% t-interval of the exponent of d0 d1_min in n (d1_min: smallest \
         doubling-grid width where >= 9/10 seeds reach h <= 1e-8 h_0 within 2 kappa_inf \
         ln(1e8) steps; d0 = ceil(sqrt(8n)), the paper's n ~ d0^2 regime) must be below 2. \
         The theorem is only sufficient: an exponent below 3/2 passes and is reported",
    )
    .with_detail(detail);
    (c, triple)
}
