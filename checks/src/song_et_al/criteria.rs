//! The criteria of `song2021.subquadratic-width`, each built from its declared spec.

use crate::kit::{WorstCase, least};
use crate::stats::linear_fit;
use crate::{Comparator, Criterion};

use super::*;

/// The allowance of the band of `sigma-min-matches-kinf` at width d1: below 1 the Bai–Yin
/// edge sqrt(n/d1), above 1 three standard deviations 3 sqrt(2/d1) of the squared Rayleigh
/// quotient (six of the ratio itself).
pub(super) fn band_deviation(ratio: f64, n: usize, d1: usize) -> f64 {
    let (n, d1) = (n as f64, d1 as f64);
    if ratio < 1.0 {
        (1.0 - ratio) / (n / d1).sqrt()
    } else {
        (ratio - 1.0) / (3.0 * (2.0 / d1).sqrt())
    }
}

/// `sigma-min-matches-kinf` over the cells at d1 >= BAND_MIN_MULTIPLE n.
pub(super) fn band_criterion(cells: &[&SigmaCell], n: usize, lambda_min: f64) -> Criterion {
    let used: Vec<&&SigmaCell> = cells
        .iter()
        .filter(|c| c.d1 >= BAND_MIN_MULTIPLE * n)
        .collect();
    let measured = used
        .iter()
        .map(|c| band_deviation(c.ratio(lambda_min), n, c.d1))
        .worst();
    let per_width = widths(cells)
        .into_iter()
        .filter(|&d| d >= BAND_MIN_MULTIPLE * n)
        .map(|d| {
            let r: Vec<f64> = cells
                .iter()
                .filter(|c| c.d1 == d)
                .map(|c| c.ratio(lambda_min))
                .collect();
            format!(
                "d1={d}: ratio {:.4}..{:.4} (band [{:.4}, {:.4}])",
                least(r.iter().copied()),
                r.iter().copied().worst(),
                1.0 - (n as f64 / d as f64).sqrt(),
                1.0 + 3.0 * (2.0 / d as f64).sqrt()
            )
        })
        .collect::<Vec<_>>()
        .join("; ");
    SIGMA_BAND.check(measured).with_detail(format!(
        "lambda_min(K_inf) = {lambda_min:.5e}; largest deviation in units of the allowance \
             over {} draws: {measured:.3}; {per_width}",
        used.len()
    ))
}

pub(super) fn widths(cells: &[&SigmaCell]) -> Vec<usize> {
    let mut w: Vec<usize> = cells.iter().map(|c| c.d1).collect();
    w.sort_unstable();
    w.dedup();
    w
}

/// `near-isometry` over a set of cells (the main cells at d1 >= 4n, or the control's at
/// d1 = n).
pub(super) fn isometry_criterion(cells: &[&SigmaCell], lambda_min: f64) -> Criterion {
    let measured = cells.iter().map(|c| c.ratio(lambda_min)).least();
    let per_width = widths(cells)
        .into_iter()
        .map(|d| {
            let r = cells
                .iter()
                .filter(|c| c.d1 == d)
                .map(|c| c.ratio(lambda_min))
                .least();
            format!("d1={d}: min {r:.4}")
        })
        .collect::<Vec<_>>()
        .join(", ");
    NEAR_ISOMETRY.check(measured).with_detail(format!(
        "min over {} draws of mu0 / sqrt(d1 lambda_min(K_inf)): {per_width}",
        cells.len()
    ))
}

/// `isometry-width-exponent` from the width scans: the fit and the criterion.
pub(super) fn width_exponent_criterion(
    scans: &[WidthScan],
) -> (Criterion, Option<crate::stats::LinearFit>) {
    let points: Vec<(f64, f64)> = scans
        .iter()
        .map(|s| {
            (
                (s.n as f64).ln(),
                // not reached on the grid: its end doubled, a lower bound, which only
                // steepens the fit
                s.threshold
                    .unwrap_or(2.0 * (s.n as f64) * 2f64.powf(SCAN_STEPS as f64 / 4.0))
                    .ln(),
            )
        })
        .collect();
    let (x, y): (Vec<f64>, Vec<f64>) = points.into_iter().unzip();
    let fit = linear_fit(&x, &y, WIDTH_EXPONENT_LEVEL);
    let per_n = scans
        .iter()
        .map(|s| match s.threshold {
            Some(t) => format!("n={}: d1*={t:.1} ({:.2} n)", s.n, t / s.n as f64),
            None => format!(
                "n={}: not reached by d1={}",
                s.n,
                s.levels.last().map_or(0, |l| l.d1)
            ),
        })
        .collect::<Vec<_>>()
        .join("; ");
    let detail = match fit {
        Some(f) => format!(
            "exponent of d1* in n (d0 = {SCAN_D0} fixed): {:.3} [{:.3}, {:.3}] \
             ({:.1}% t); {per_n}",
            f.slope,
            f.slope_low,
            f.slope_high,
            100.0 * WIDTH_EXPONENT_LEVEL
        ),
        None => format!("no fit: {per_n}"),
    };
    (WIDTH_EXPONENT.check_slope(fit).with_detail(detail), fit)
}

/// `localisation` over a set of runs.
pub(super) fn localisation_criterion(runs: &[&Trajectory]) -> Criterion {
    let measured = runs.iter().map(|r| r.min_sigma_over_mu0).least();
    let detail = runs
        .iter()
        .map(|r| {
            format!(
                "d1={} seed={}: min sigma/mu0 {:.4}, ||theta_T - theta_0|| = {:.1} rho_Phi",
                r.d1, r.seed, r.min_sigma_over_mu0, r.distance_over_rho
            )
        })
        .collect::<Vec<_>>()
        .join("; ");
    LOCALISATION.check(measured).with_detail(detail)
}

/// `linear-rate` over a set of runs.
pub(super) fn rate_criterion(runs: &[&Trajectory]) -> Criterion {
    let measured = runs.iter().map(|r| r.min_decay_ratio).least();
    let detail = runs
        .iter()
        .map(|r| {
            format!(
                "d1={} seed={}: mu0={:.4} eta={:.3e} 1-eta mu0^2={:.6} (T_pred={}); min decay \
                 ratio {:.3}, mean {:.2}; h_T/h_0={:.2e} after {} steps{}{}",
                r.d1,
                r.seed,
                r.mu0,
                r.eta,
                r.rate_bound,
                r.predicted_steps,
                r.min_decay_ratio,
                r.mean_decay_ratio,
                r.final_loss / r.initial_loss,
                r.steps,
                if r.reached {
                    ""
                } else {
                    " (target not reached)"
                },
                if r.diverged { " (diverged)" } else { "" },
            )
        })
        .collect::<Vec<_>>()
        .join("; ");
    LINEAR_RATE.check(measured).with_detail(detail)
}

/// `pl-inequality` (sanity) over a set of runs.
pub(super) fn pl_criterion(runs: &[&Trajectory]) -> Criterion {
    let measured = runs.iter().map(|r| r.min_pl_ratio).least();
    let tolerance = runs.iter().map(|r| r.pl_tolerance).worst();
    let detail = runs
        .iter()
        .map(|r| format!("d1={} seed={}: {:.5}", r.d1, r.seed, r.min_pl_ratio))
        .collect::<Vec<_>>()
        .join(", ");
    PL_IDENTITY
        .check_against(measured, Comparator::AtLeast, 1.0 - tolerance)
        .with_detail(format!(
            "min over iterates of ||grad_V h||^2 / (4 sigma_min^2 h) per run: {detail}; \
             rounding allowance {tolerance:.2e}"
        ))
}
