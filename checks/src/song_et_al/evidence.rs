//! The evidence tables of `song2021.subquadratic-width`.

use crate::kit::{WorstCase, least};
use crate::stats::LinearFit;
use crate::{Table, Value};
use overparam_linalg::GaussHermite;

use super::*;

pub(super) struct EvidenceInputs<'a> {
    pub(super) base: &'a Problem,
    pub(super) unit_lambda_min: f64,
    pub(super) kinf_route_gap: f64,
    pub(super) sigma_cells: &'a [SigmaCell],
    pub(super) at_n_cells: &'a [SigmaCell],
    pub(super) runs: &'a [Trajectory],
    pub(super) scans: &'a [WidthScan],
    pub(super) width_fit: Option<LinearFit>,
    pub(super) rule: &'a GaussHermite,
}

pub(super) fn evidence_tables(e: EvidenceInputs) -> Vec<Table> {
    let n = e.base.n;
    let lambda = e.base.lambda_min;
    let mut sigma = Table::new(
        "sigma_min",
        &[
            "d1",
            "seed",
            "mu",
            "mu_predicted",
            "ratio",
            "band_low",
            "band_high",
        ],
    );
    for c in e.at_n_cells.iter().chain(e.sigma_cells) {
        let d1 = c.d1 as f64;
        sigma.push(vec![
            c.d1.into(),
            (c.seed as usize).into(),
            c.mu.into(),
            (d1 * lambda).sqrt().into(),
            c.ratio(lambda).into(),
            (1.0 - (n as f64 / d1).sqrt()).into(),
            (1.0 + 3.0 * (2.0 / d1).sqrt()).into(),
        ]);
    }

    let mut trajectory = Table::new(
        "trajectory",
        &[
            "run",
            "d1",
            "seed",
            "step",
            "loss",
            "bound",
            "sigma_min",
            "pl_ratio",
        ],
    );
    for r in e.runs {
        for s in &r.samples {
            trajectory.push(vec![
                r.kind.name().into(),
                r.d1.into(),
                (r.seed as usize).into(),
                s.step.into(),
                s.loss.into(),
                s.bound.into(),
                s.sigma_min.into(),
                s.pl_ratio.into(),
            ]);
        }
    }

    let mut width = Table::new(
        "width",
        &["n", "d0", "d1", "median_ratio", "min_ratio", "max_ratio"],
    );
    for s in e.scans {
        for l in &s.levels {
            width.push(vec![
                s.n.into(),
                SCAN_D0.into(),
                l.d1.into(),
                l.median.into(),
                least(l.ratios.iter().copied()).into(),
                l.ratios.iter().copied().worst().into(),
            ]);
        }
    }

    let mut runs = Table::new(
        "runs",
        &[
            "run",
            "n",
            "d1",
            "seed",
            "mu0",
            "sigma_max0",
            "eta",
            "rate_bound",
            "predicted_steps",
            "steps",
            "loss_ratio",
            "reached",
            "min_decay_ratio",
            "mean_decay_ratio",
            "min_sigma_over_mu0",
            "min_pl_ratio",
            "distance_over_rho",
        ],
    );
    for r in e.runs {
        runs.push(vec![
            r.kind.name().into(),
            n.into(),
            r.d1.into(),
            (r.seed as usize).into(),
            r.mu0.into(),
            r.sigma_max0.into(),
            r.eta.into(),
            r.rate_bound.into(),
            r.predicted_steps.into(),
            r.steps.into(),
            (r.final_loss / r.initial_loss).into(),
            (r.reached as usize).into(),
            finite(r.min_decay_ratio),
            finite(r.mean_decay_ratio),
            finite(r.min_sigma_over_mu0),
            finite(r.min_pl_ratio),
            finite(r.distance_over_rho),
        ]);
    }

    let mut fits = Table::new("fits", &["quantity", "n", "value", "low", "high"]);
    let mut row = |q: &str, nn: usize, v: f64, lo: Option<f64>, hi: Option<f64>| {
        fits.push(vec![q.into(), nn.into(), finite(v), lo.into(), hi.into()]);
    };
    row("kinf_lambda_min", n, e.base.lambda_min, None, None);
    row("kinf_lambda_max", n, e.base.lambda_max, None, None);
    row("kinf_kappa", n, e.base.kappa(), None, None);
    row(
        "kinf_lambda_min_unit_variance_control",
        n,
        e.unit_lambda_min,
        None,
        None,
    );
    row(
        "kinf_2d_rule_vs_mehler_max_relative_gap",
        n,
        e.kinf_route_gap,
        None,
        None,
    );
    if let Some(f) = e.width_fit {
        row(
            "isometry_width_exponent",
            0,
            f.slope,
            Some(f.slope_low),
            Some(f.slope_high),
        );
    }
    for s in e.scans {
        row(
            "isometry_threshold_d1",
            s.n,
            s.threshold.unwrap_or(f64::NAN),
            None,
            None,
        );
        row("scan_kinf_lambda_min", s.n, s.lambda_min, None, None);
    }
    let max_svd = e
        .sigma_cells
        .iter()
        .chain(e.at_n_cells)
        .map(|c| c.residual)
        .worst();
    row("max_svd_residual", n, max_svd, None, None);
    let max_gram = e.runs.iter().map(|r| r.max_gram_error).worst();
    row("max_gram_trace_error", n, max_gram, None, None);
    row(
        "gauss_hermite_residual",
        0,
        e.rule.residual.max(e.rule.orthogonality),
        None,
        None,
    );
    vec![sigma, trajectory, width, runs, fits]
}

/// A float as a CSV value, with NaN and infinities written as missing.
pub(super) fn finite(x: f64) -> Value {
    if x.is_finite() {
        x.into()
    } else {
        Value::Missing
    }
}
