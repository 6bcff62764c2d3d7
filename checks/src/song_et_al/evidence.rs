//! The evidence tables of `song2021.subquadratic-width`.

use crate::kit::{LEVEL, WorstCase, least, worst};
use crate::stats::linear_fit;
use crate::{Table, Value};
use overparam_kernel::Activation;
use overparam_linalg::GaussHermite;

use super::*;

pub(super) struct EvidenceInputs<'a> {
    pub(super) n: usize,
    pub(super) base: &'a Problem,
    pub(super) tanh_lambda_min: f64,
    pub(super) unit_lambda_min: f64,
    pub(super) kinf_route_gap: f64,
    pub(super) sigma_cells: &'a [SigmaCell],
    pub(super) runs: &'a [Trajectory],
    pub(super) searches: &'a [WidthSearch],
    pub(super) width_exponent: Option<(f64, f64, f64)>,
    pub(super) rule: &'a GaussHermite,
}

pub(super) fn evidence_tables(e: EvidenceInputs) -> Vec<Table> {
    let n = e.n;
    let mut sigma = Table::new("sigma_min", &["d1", "seed", "mu", "mu_predicted"]);
    for c in e
        .sigma_cells
        .iter()
        .filter(|c| c.activation == Activation::Gelu)
    {
        sigma.push(vec![
            c.d1.into(),
            (c.seed as usize).into(),
            c.mu.into(),
            (c.d1 as f64 * e.base.lambda_min).sqrt().into(),
        ]);
    }

    let mut trajectory = Table::new(
        "trajectory",
        &["n", "d1", "seed", "step", "loss", "sigma_min", "pl_ratio"],
    );
    for r in e.runs.iter().filter(|r| r.kind == RunKind::Main) {
        for s in &r.samples {
            trajectory.push(vec![
                n.into(),
                r.d1.into(),
                (r.seed as usize).into(),
                s.step.into(),
                s.loss.into(),
                s.sigma_min.into(),
                s.pl_ratio.into(),
            ]);
        }
    }

    let mut width = Table::new(
        "width",
        &["n", "d0", "d1", "seeds_converged", "seeds_total"],
    );
    for s in e.searches {
        for l in &s.levels {
            width.push(vec![
                s.n.into(),
                s.d0.into(),
                l.d1.into(),
                l.converged.into(),
                l.total.into(),
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
            "gram_ratio0",
            "steps",
            "loss_ratio",
            "reached",
            "min_pl_ratio",
            "min_sigma_over_mu0",
            "max_contraction",
            "backtracks",
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
            r.gram_ratio0.into(),
            r.steps.into(),
            (r.final_loss / r.initial_loss).into(),
            (r.reached as usize).into(),
            finite(r.min_pl_ratio),
            finite(r.min_sigma_over_mu0),
            r.max_contraction.into(),
            (r.backtracks as usize).into(),
            finite(r.distance_over_rho),
        ]);
    }

    let mut fits = Table::new(
        "fits",
        &["quantity", "activation", "n", "value", "low", "high"],
    );
    let mut row = |q: &str, a: &str, nn: usize, v: f64, lo: Option<f64>, hi: Option<f64>| {
        fits.push(vec![
            q.into(),
            a.into(),
            nn.into(),
            finite(v),
            lo.into(),
            hi.into(),
        ]);
    };
    row("kinf_lambda_min", "gelu", n, e.base.lambda_min, None, None);
    row("kinf_lambda_max", "gelu", n, e.base.lambda_max, None, None);
    row("kinf_lambda_min", "tanh", n, e.tanh_lambda_min, None, None);
    row(
        "kinf_lambda_min_unit_variance_control",
        "gelu",
        n,
        e.unit_lambda_min,
        None,
        None,
    );
    row("kinf_kappa", "gelu", n, e.base.kappa(), None, None);
    row("step_budget", "gelu", n, e.base.budget as f64, None, None);
    row(
        "kinf_2d_rule_vs_mehler_max_relative_gap",
        "gelu",
        n,
        e.kinf_route_gap,
        None,
        None,
    );
    for (name, a) in [("gelu", Activation::Gelu), ("tanh", Activation::Tanh)] {
        let of: Vec<&SigmaCell> = e.sigma_cells.iter().filter(|c| c.activation == a).collect();
        for (q, term) in [
            (
                "sigma_min_exponent_covariate_n_over_d1",
                FiniteWidthTerm::Perturbative,
            ),
            (
                "sigma_min_exponent_covariate_sqrt_n_over_d1",
                FiniteWidthTerm::BaiYin,
            ),
        ] {
            if let Some(f) = exponent_fit(&of, n, term) {
                row(q, name, n, f.slope, Some(f.slope_low), Some(f.slope_high));
            }
        }
    }
    for (name, cells, lambda) in [
        ("gelu", Activation::Gelu, e.base.lambda_min),
        ("tanh", Activation::Tanh, e.tanh_lambda_min),
    ] {
        let of: Vec<&SigmaCell> = e
            .sigma_cells
            .iter()
            .filter(|c| c.activation == cells)
            .collect();
        // the naive log-log slope over the three largest widths, for comparison with the
        // covariate fit of criterion 1
        let mut widths: Vec<usize> = of.iter().map(|c| c.d1).collect();
        widths.sort_unstable();
        widths.dedup();
        let top: Vec<usize> = widths.iter().rev().take(3).copied().collect();
        let (x, y): (Vec<f64>, Vec<f64>) = of
            .iter()
            .filter(|c| top.contains(&c.d1))
            .map(|c| ((c.d1 as f64).ln(), c.mu.ln()))
            .unzip();
        if let Some(f) = linear_fit(&x, &y, LEVEL) {
            row(
                "sigma_min_loglog_slope_top3_widths",
                name,
                n,
                f.slope,
                Some(f.slope_low),
                Some(f.slope_high),
            );
        }
        for &d1 in &widths {
            let r: Vec<f64> = of
                .iter()
                .filter(|c| c.d1 == d1)
                .map(|c| c.mu / (d1 as f64 * lambda).sqrt())
                .collect();
            let mean = r.iter().sum::<f64>() / r.len() as f64;
            row(
                &format!("mu_over_prediction_d1={d1}"),
                name,
                n,
                mean,
                (!r.is_empty()).then(|| least(r.iter().copied())),
                (!r.is_empty()).then(|| worst(r.iter().copied())),
            );
            // the finite-width deficit in the units of each candidate correction: constant
            // across widths for the right one
            let deficit = 1.0 - mean;
            let gamma = n as f64 / d1 as f64;
            row(
                &format!("deficit_over_n_over_d1_d1={d1}"),
                name,
                n,
                deficit / gamma,
                None,
                None,
            );
            row(
                &format!("deficit_over_sqrt_n_over_d1_d1={d1}"),
                name,
                n,
                deficit / gamma.sqrt(),
                None,
                None,
            );
        }
    }
    if let Some((b, lo, hi)) = e.width_exponent {
        row("width_exponent_d0_d1min", "gelu", 0, b, Some(lo), Some(hi));
    }
    for s in e.searches {
        row(
            "width_d1_min",
            "gelu",
            s.n,
            s.d1_min.map_or(f64::NAN, |d| d as f64),
            None,
            None,
        );
        let median = |v: &[f64]| {
            let mut v = v.to_vec();
            v.sort_by(f64::total_cmp);
            v[v.len() / 2]
        };
        let kappas = &s.kappas;
        let budgets: Vec<f64> = s.budgets.iter().map(|b| *b as f64).collect();
        row(
            "width_kappa_inf_median",
            "gelu",
            s.n,
            median(kappas),
            (!kappas.is_empty()).then(|| least(kappas.iter().copied())),
            (!kappas.is_empty()).then(|| worst(kappas.iter().copied())),
        );
        row(
            "width_step_budget_median",
            "gelu",
            s.n,
            median(&budgets),
            (!budgets.is_empty()).then(|| least(budgets.iter().copied())),
            (!budgets.is_empty()).then(|| worst(budgets.iter().copied())),
        );
    }
    for (name, a) in [("gelu", Activation::Gelu), ("tanh", Activation::Tanh)] {
        let worst = e
            .sigma_cells
            .iter()
            .filter(|c| c.activation == a)
            .map(|c| c.mu / c.sigma_max)
            .least();
        row("min_mu_over_sigma_max", name, n, worst, None, None);
    }
    let max_svd = e.sigma_cells.iter().map(|c| c.residual).worst();
    row("max_svd_residual", "gelu+tanh", n, max_svd, None, None);
    let max_gram = e.runs.iter().map(|r| r.max_gram_error).worst();
    row("max_gram_trace_error", "gelu", n, max_gram, None, None);
    row(
        "gauss_hermite_residual",
        "",
        0,
        worst([e.rule.residual, e.rule.orthogonality]),
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
