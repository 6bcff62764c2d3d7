//! The criteria of `zhou2021.local-convergence`, each built from its declared spec (mod.rs)
//! over groups of runs or sets of sampled points.

use crate::kit::{least, worst};
use crate::stats::{LinearFit, linear_fit};
use crate::{Comparator, Criterion};

use super::points::{Family, Point, local_exponents};
use super::*;

/// Per-seed values of `f` in every group: the values and one line of detail per group.
pub(super) fn per_group(
    groups: &[&Group],
    f: impl Fn(&RunResult) -> f64,
) -> (Vec<f64>, Vec<String>) {
    let mut all = Vec::new();
    let mut detail = Vec::new();
    for g in groups {
        let values = g.per_seed(&f);
        detail.push(format!("{}: {}", g.label(), fmt_values(&values)));
        all.extend(values);
    }
    (all, detail)
}

/// The largest value, NaN if any is NaN or there is none (an empty set must not pass).
pub(super) fn nan_max(values: impl IntoIterator<Item = f64>) -> f64 {
    let v: Vec<f64> = values.into_iter().collect();
    if v.is_empty() { f64::NAN } else { worst(v) }
}

/// The smallest value, NaN if any is NaN or there is none.
pub(super) fn nan_min(values: impl IntoIterator<Item = f64>) -> f64 {
    let v: Vec<f64> = values.into_iter().collect();
    if v.is_empty() { f64::NAN } else { least(v) }
}

/// The value farthest from the centre of `band` (NaN if any is NaN or there is none): every
/// value lies in the band exactly when this one does.
pub(super) fn farthest_from_centre(values: &[f64], band: (f64, f64)) -> f64 {
    let centre = 0.5 * (band.0 + band.1);
    if values.is_empty() || values.iter().any(|v| v.is_nan()) {
        return f64::NAN;
    }
    values.iter().copied().fold(centre, |a, v| {
        if (v - centre).abs() > (a - centre).abs() {
            v
        } else {
            a
        }
    })
}

/// The Lojasiewicz exponent of the split family (over-parameterised) or of the generic family
/// (exactly parameterised, for the PL control): every local exponent within THETA_BAND.
pub(super) fn exponent_criterion(points: &[Point], family: Family, sizes: (f64, f64)) -> Criterion {
    let mut thetas = Vec::new();
    let mut detail = Vec::new();
    let mut widths: Vec<usize> = points.iter().map(|p| p.m).collect();
    widths.dedup();
    for m in widths {
        let of_m: Vec<Point> = points.iter().copied().filter(|p| p.m == m).collect();
        let t = local_exponents(&of_m, family, sizes);
        detail.push(format!("m={m}: {}", fmt_values(&t)));
        thetas.extend(t);
    }
    LOJASIEWICZ_EXPONENT
        .check(farthest_from_centre(&thetas, THETA_BAND))
        .with_detail(format!(
            "local exponents of the {} family between sizes {:e} and {:e}, per geometry: {}",
            family.name(),
            sizes.0,
            sizes.1,
            detail.join("; ")
        ))
}

/// |grad L| / L^theta over the trajectory points of the given runs that `keep` accepts.
fn trajectory_ratios<'a>(
    groups: &'a [&Group],
    theta: f64,
    keep: impl Fn(&RunResult, &overparam_kernel::TrajectoryPoint) -> bool + 'a,
) -> Vec<(String, f64)> {
    groups
        .iter()
        .map(|g| {
            let v = nan_min(g.runs.iter().flat_map(|r| {
                r.trajectory
                    .iter()
                    .filter(|p| keep(r, p))
                    .map(|p| p.grad_norm / p.loss.powf(theta))
                    .collect::<Vec<_>>()
            }));
            (format!("GD {}", g.label()), v)
        })
        .collect()
}

/// Smallest |grad L| / L^theta over sampled points (per family and width) and trajectories.
fn constant_detail(points: &[Point], runs: &[(String, f64)], theta: f64) -> (f64, String) {
    let mut parts = Vec::new();
    let mut all = Vec::new();
    let mut keys: Vec<(Family, usize)> = points.iter().map(|p| (p.family, p.m)).collect();
    keys.dedup();
    keys.sort_by_key(|k| (k.1, k.0.name()));
    keys.dedup();
    for (family, m) in keys {
        let v = nan_min(
            points
                .iter()
                .filter(|p| p.family == family && p.m == m)
                .map(|p| p.ratio(theta)),
        );
        parts.push(format!("{} m={m}: {v:.4}", family.name()));
        all.push(v);
    }
    for (label, v) in runs {
        parts.push(format!("{label}: {v:.4}"));
        all.push(*v);
    }
    (nan_min(all), parts.join("; "))
}

/// |grad L| >= c L^(2/3) at every over-parameterised point (sampled and along GD).
pub(super) fn constant_criterion(points: &[Point], over: &[&Group], steps: u64) -> Criterion {
    let runs = trajectory_ratios(over, 2.0 / 3.0, |r, p| {
        p.step * 10 >= r.spec.steps && p.loss > LOSS_FLOOR
    });
    let (c, detail) = constant_detail(points, &runs, 2.0 / 3.0);
    let threshold = lojasiewicz_constant_needed(steps);
    LOJASIEWICZ_CONSTANT
        .check_against(c, Comparator::AtLeast, threshold)
        .with_detail(format!(
            "smallest |grad L| / L^(2/3): {detail}; needed for L(T) < {ZERO_LOSS:e} at T = {steps}: \
             {threshold:.4}"
        ))
}

/// The constant c with which |grad L| >= c L^(2/3) alone certifies L < ZERO_LOSS after T steps
/// of (gradient-flow-like) GD from any start: L(tau) <= (3 / (c^2 tau))^3 with tau = lr T.
pub(super) fn lojasiewicz_constant_needed(steps: u64) -> f64 {
    (3.0 / (LR * steps as f64 * ZERO_LOSS.cbrt())).sqrt()
}

/// The PL constant with which |grad L| >= c L^(1/2) alone certifies L < EXACT_TARGET within
/// EXACT_HORIZON steps from any start below START_LOSS_MAX: L(tau) <= L0 exp(-c^2 tau).
pub(super) fn pl_constant_needed() -> f64 {
    ((START_LOSS_MAX / EXACT_TARGET).ln() / (LR * EXACT_HORIZON as f64)).sqrt()
}

/// |grad L| >= c L^(1/2) (PL) at every point of `points` and of the runs' trajectories above
/// the cancellation floor.
pub(super) fn pl_criterion(points: &[Point], runs: &[&Group]) -> Criterion {
    let ratios = trajectory_ratios(runs, 0.5, |_, p| p.loss > LOSS_FLOOR && p.step > 0);
    let (c, detail) = constant_detail(points, &ratios, 0.5);
    let threshold = pl_constant_needed();
    EXACT_PL_CONSTANT
        .check_against(c, Comparator::AtLeast, threshold)
        .with_detail(format!(
            "smallest |grad L| / L^(1/2): {detail}; needed for L < {EXACT_TARGET:e} within \
             {EXACT_HORIZON} steps from L0 <= {START_LOSS_MAX:e}: {threshold:.4}"
        ))
}

pub(super) fn exact_steps_criterion(groups: &[&Group]) -> Criterion {
    let (steps, detail) = per_group(groups, |r| {
        first_step_below(&r.trajectory, EXACT_TARGET)
            .filter(|&s| s <= EXACT_HORIZON)
            .map_or(f64::INFINITY, |s| s as f64)
    });
    EXACT_LINEAR_STEPS
        .check(nan_max(steps))
        .with_detail(format!(
            "first logged step with L < {EXACT_TARGET:e} (inf: not within {EXACT_HORIZON}), per seed: {}",
            detail.join("; ")
        ))
}

pub(super) fn exact_rate_criterion(groups: &[&Group]) -> Criterion {
    let (slopes, detail) = per_group(groups, exact_inverse_rate_slope);
    EXACT_LINEAR_RATE
        .check(nan_max(slopes))
        .with_detail(format!(
            "slope dg/dt of g = -1/(d ln L/dt) over {:e} < L < {:e}, per seed: {}",
            EXACT_WINDOW.0,
            EXACT_WINDOW.1,
            detail.join("; ")
        ))
}

pub(super) fn reaches_zero_criterion(groups: &[&Group]) -> Criterion {
    let (losses, detail) = per_group(groups, |r| r.final_loss);
    REACHES_ZERO
        .check(nan_max(losses))
        .with_detail(format!("L(T) per seed: {}", detail.join("; ")))
}

pub(super) fn rate_exponent_criterion(groups: &[&Group]) -> Criterion {
    let (p, detail) = per_group(groups, rate_exponent);
    RATE_EXPONENT
        .check(farthest_from_centre(&p, RATE_BAND))
        .with_detail(format!(
            "p = 1 / (slope of g = -1/(d ln L/dt) against t) over [T/10, T], per seed (measured: \
         the one farthest from the band's centre): {}",
            detail.join("; ")
        ))
}

pub(super) fn alignment_criterion(groups: &[&Group]) -> Criterion {
    let (angles, detail) = per_group(groups, max_angle);
    NEURONS_ALIGNED.check(nan_max(angles)).with_detail(format!(
        "largest |a_i w_i|^(2/3) x angle (rad) to the nearest teacher over all neurons but the \
         away neuron, per seed: {}",
        detail.join("; ")
    ))
}

pub(super) fn mass_criterion(groups: &[&Group]) -> Criterion {
    let (errors, detail) = per_group(groups, max_mass_error);
    let signs: Vec<String> = groups
        .iter()
        .map(|g| {
            let e: Vec<f64> = g.runs.iter().flat_map(|r| signed_mass_errors(r)).collect();
            format!("{}: {}", g.label(), fmt_values(&e))
        })
        .collect();
    CLUSTER_MASSES.check(nan_max(errors)).with_detail(format!(
        "largest |sum of a_i |w_i| on teacher j - a_j* |w_j*||, per seed: {}; signed errors per \
         teacher: {}",
        detail.join("; "),
        signs.join("; ")
    ))
}

pub(super) fn vanish_criterion(groups: &[&Group]) -> Criterion {
    let (slopes, detail) = per_group(groups, away_mass_slope);
    let (masses, _) = per_group(groups, |r| r.away_mass.map_or(f64::NAN, |m| m.1));
    let (angles, _) = per_group(groups, |r| {
        r.neurons.last().and_then(|n| n.angle).unwrap_or(f64::NAN)
    });
    AWAY_NEURON_VANISHES
        .check(nan_max(slopes))
        .with_detail(format!(
            "log-log slope of the away neuron's mass |a||w| over [T/10, T], per seed: {}; its \
             mass at T: {}; its angle to the nearest teacher at T (rad): {}",
            detail.join("; "),
            fmt_values(&masses),
            fmt_values(&angles)
        ))
}

pub(super) fn symmetry_criterion(groups: &[&Group]) -> Criterion {
    let (res, detail) = per_group(groups, |r| r.symmetry_residual.unwrap_or(f64::NAN));
    AWAY_SYMMETRY.check(nan_max(res)).with_detail(format!(
        "max(|w_1 - w_2|, |w_2 - w_3|) of the away neuron at T, per seed: {}",
        detail.join("; ")
    ))
}

/// Slope of ln k against ln m over the runs of `groups` (k: rate_constant), with its
/// WIDTH_LEVEL interval.
pub(super) fn width_fit(groups: &[&Group]) -> Option<LinearFit> {
    let (x, y): (Vec<f64>, Vec<f64>) = groups
        .iter()
        .flat_map(|g| {
            g.runs
                .iter()
                .map(|r| ((g.m as f64).ln(), rate_constant(r).ln()))
        })
        .unzip();
    linear_fit(&x, &y, WIDTH_LEVEL)
}

pub(super) fn width_criterion(groups: &[&Group]) -> Criterion {
    let (_, detail) = per_group(groups, rate_constant);
    WIDTH_INDEPENDENT_RATE
        .check_slope(width_fit(groups))
        .with_detail(format!(
            "rate constant k (slope of L^(-1/3) against t over [T/10, T], per step), per seed: {}",
            detail.join("; ")
        ))
}

pub(super) fn fmt_values(v: &[f64]) -> String {
    v.iter()
        .map(|x| format!("{x:.4e}"))
        .collect::<Vec<_>>()
        .join(", ")
}
