//! `telgarsky2023.norm-only`: when the inner weights may change in norm only (v_j = r_j u_j,
//! u_j fixed), GD on (a, r) approaches the l1 max margin over the dictionary {relu(u_j . x)}, the
//! value of an LP solved by clarabel with a primal-dual certificate.

use overparam_kernel::margin::net::{NormOnlyState, norm_only_gd, sparse_parity};
use overparam_kernel::margin::{Certified, l1_margin, l2_margin};
use rand::RngExt;
use rand_distr::{Distribution, StandardNormal};

use super::{PAPER, PROVENANCE_COMMON};
use crate::kit::{InCell, least, worst};
use crate::{
    Claim, ClaimError, ClaimInfo, Control, ControlSpec, CriterionSpec, FalseFailure, Outcome,
    PlotSpec, Profile, RunContext, Table,
};

pub const NORM_ONLY_ID: &str = "telgarsky2023.norm-only";

/// The norm-only claim.
pub struct NormOnly;

pub(crate) const D: usize = 8;
pub(crate) const N: usize = 64;
/// Normalised GD for the 2-homogeneous model: W <- W - ETA grad L / (L ||W||^2).
const ETA: f64 = 256.0;
const STEPS: usize = 5000;

pub(crate) fn widths(profile: Profile) -> &'static [usize] {
    match profile {
        Profile::Quick => &[64, 256],
        Profile::Full => &[64, 256, 1024],
    }
}

const REACHES: CriterionSpec = CriterionSpec::evidence(
    "margin-reaches-l1-max-margin",
    "least over the widths of rho / gamma_LP after 5000 steps, rho = min_k y_k f(x_k) / ||a o \
     r||_1 the l1-normalised margin of the learned output weights c = a o r (equal to the \
     network's 2 min_k y_k f / sum (a^2 + r^2) at the balanced rescaling |a_j| = |r_j| of the same \
     function), gamma_LP the LP's dual (upper) value over the same dictionary: the paper's \
     'globally maximal margin' (ratio -> 1) with an allowance of 0.1 for the finite training \
     time (measured 0.944-0.969 over seeds 1..20; the a-only control 0.44-0.62)",
)
.at_least(0.9);

const MONOTONE: CriterionSpec = CriterionSpec::sanity(
    "lp-value-nondecreasing-in-width",
    "least over consecutive widths of lower(gamma_LP(m')) - upper(gamma_LP(m)), m < m': the \
     dictionaries are nested (the first m units of one draw), so the LP value cannot decrease \
     [derived]; with the certified bounds the comparison is rigorous up to the gap",
)
.at_least(-1e-7);

const GAP: CriterionSpec = CriterionSpec::sanity(
    "certificate-gap",
    "worst over the widths of (upper - lower) / upper of the LP: the margin of the solver's \
     primal point against the dual objective at its dual point, both evaluated here",
)
.at_most(1e-5);

const SEPARABLE: CriterionSpec = CriterionSpec::hypothesis(
    "hypothesis-dictionary-separable",
    "least over the widths of the certified lower bound of gamma_LP: the dictionary separates \
     the sample (gamma_LP > 0), else there is no max margin to reach",
)
.greater_than(0.0);

const A_ONLY: ControlSpec = ControlSpec::new(
    "output-layer-only",
    "only a trained (r fixed): a linear model over the dictionary whose implicit bias is the \
     l2 max margin in c, not the l1 one; margin-reaches-l1-max-margin must fail (the table \
     gives the l1-normalised margin of the l2 max-margin solution, the value it tends to)",
);

const RUNTIME: &str = "measured at seed 13, one thread: quick 0.4 s CPU (1.6 s wall on the \
                       loaded 2-core machine; widths 64 and 256, 5000 steps each, twice); full \
                       (adds width 1024): 2.1 s CPU, 18 s wall at master seed 0 on the loaded \
                       machine (measured; pass)";

struct Cell {
    m: usize,
    lp: Certified,
    /// l1-normalised margin of the l2 max-margin output weights over the dictionary.
    l2_rho: f64,
    full: Vec<NormOnlyState>,
    a_only: Vec<NormOnlyState>,
}

fn record() -> Vec<usize> {
    let mut s: Vec<usize> = (0..40).map(|i| 1.25f64.powi(i).round() as usize).collect();
    s.dedup();
    s
}

fn rho(s: &NormOnlyState) -> f64 {
    s.min_output_margin / s.l1_norm
}

/// The data and dictionary of a run: 2-sparse parity (x, y), `pmax` unit directions u_j
/// (row-major pmax x D, uniform on the sphere) and the output signs of the initialisation.
pub(crate) struct Instance {
    pub x: Vec<f64>,
    pub y: Vec<f64>,
    pub u: Vec<f64>,
    pub signs: Vec<f64>,
}

/// The claim's instance at the master seed of `ctx` (the widest dictionary; width m uses its
/// first m units).
pub(crate) fn instance(ctx: &RunContext, pmax: usize) -> Instance {
    let id = NORM_ONLY_ID;
    let mut rng = ctx.seed(id, "data", 0).rng();
    let (x, y) = sparse_parity(&mut rng, N, D, 2);
    let mut rng = ctx.seed(id, "dictionary", 0).rng();
    let mut u = vec![0.0; pmax * D];
    let mut signs = vec![0.0; pmax];
    for j in 0..pmax {
        let g: Vec<f64> = (0..D).map(|_| StandardNormal.sample(&mut rng)).collect();
        let s = g.iter().map(|v| v * v).sum::<f64>().sqrt();
        for c in 0..D {
            u[j * D + c] = g[c] / s;
        }
        signs[j] = if rng.random::<bool>() { 1.0 } else { -1.0 };
    }
    Instance { x, y, u, signs }
}

/// The dictionary features of the first m units: h_kj = relu(u_j . x_k) and the margin
/// matrix y_k h_kj (both n x m, row-major).
pub(crate) fn features(x: &[f64], y: &[f64], u: &[f64], m: usize) -> (Vec<f64>, Vec<f64>) {
    let n = y.len();
    let mut h = vec![0.0; n * m];
    let mut yh = vec![0.0; n * m];
    for k in 0..n {
        for j in 0..m {
            let z: f64 = (0..D).map(|c| u[j * D + c] * x[k * D + c]).sum();
            h[k * m + j] = z.max(0.0);
            yh[k * m + j] = y[k] * z.max(0.0);
        }
    }
    (h, yh)
}

/// The certified l1 max margin (LP) and l2 max margin (QP on the simplex) over the dictionary
/// of margin matrix `yh` (n x m).
pub(crate) fn margins(
    cell: &str,
    yh: &[f64],
    m: usize,
) -> Result<(Certified, Certified), ClaimError> {
    let n = yh.len() / m;
    let lp = l1_margin(yh, n, m).in_cell(cell)?;
    let mut g = vec![0.0; n * n];
    for k in 0..n {
        for l in 0..n {
            g[k * n + l] = (0..m).map(|j| yh[k * m + j] * yh[l * m + j]).sum();
        }
    }
    let l2 = l2_margin(&g, n).in_cell(cell)?;
    Ok((lp, l2))
}

impl Claim for NormOnly {
    fn info(&self) -> ClaimInfo {
        ClaimInfo {
            id: NORM_ONLY_ID,
            paper: PAPER,
            summary: "with inner weights free in norm only, GD's normalised margin approaches \
                      the l1 max margin over the fixed dictionary (an LP)",
            statement: "If the inner-layer weights are constrained to change in norm only and \
                        cannot rotate, gradient flow on the logistic loss attains the maximal \
                        margin over the network class at large width: for a fixed dictionary \
                        of directions, the l1 (variation-norm) max margin over its units.",
            assumptions: &[
                "f(x) = sum_j a_j r_j relu(u_j . x), u_j uniform on S^7 fixed (nested \
                 dictionaries of widths 64 and 256, quick; and 1024, full), a_j = +-1/sqrt m, \
                 r_j = 1 at initialisation",
                "2-sparse parity: n = 64 points uniform on {+-1/sqrt 8}^8, y = 8 x_1 x_2",
                "normalised GD for the 2-homogeneous model, (a, r) <- (a, r) - 256 grad L / (L \
                 ||(a, r)||^2), 5000 steps, grad L / L in the log domain (the loss underflows \
                 long before the direction settles)",
                "gamma_LP = max_{||c||_1 <= 1} min_k y_k sum_j c_j relu(u_j . x_k) (LP, clarabel), \
                 certified by primal and dual values; r_j may change sign (then the unit acts \
                 as -relu(u_j . x), inside the same l1 programme)",
            ],
            criteria: const { &[REACHES, SEPARABLE, MONOTONE, GAP] },
            controls: const { &[A_ONLY] },
            provenance: PROVENANCE_COMMON,
            runtime: RUNTIME,
            false_failure: FalseFailure::union_bound(
                &[0.005, 0.001],
                "two evidence criteria, union bound: margin-reaches-l1-max-margin 0.005 (the \
                 allowance 0.1 against a measured 0.944-0.969 over seeds 1..20; not a \
                 parametric test, the rate is what the 100-seed sweep supports), \
                 hypothesis-dictionary-separable 0.001 (certified LP value 0.015-0.041 over \
                 seeds 1..20)",
            ),
        }
    }

    fn run(&self, ctx: &RunContext) -> Result<Outcome, ClaimError> {
        let id = NORM_ONLY_ID;
        let ws = widths(ctx.profile);
        let pmax = *ws.last().unwrap();
        let inst = instance(ctx, pmax);
        let (x, y, signs) = (&inst.x, &inst.y, &inst.signs);
        let cells = ctx.par_cells(
            id,
            ws,
            |m| format!("m={m}"),
            |&m| {
                let cell = format!("m={m}");
                let (h, yh) = features(x, y, &inst.u, m);
                let (lp, l2) = margins(&cell, &yh, m)?;
                let c: Vec<f64> = (0..m)
                    .map(|j| (0..N).map(|k| l2.primal[k] * yh[k * m + j]).sum())
                    .collect();
                let l1: f64 = c.iter().map(|v| v.abs()).sum();
                let worst_m = (0..N)
                    .map(|k| (0..m).map(|j| yh[k * m + j] * c[j]).sum::<f64>())
                    .fold(f64::INFINITY, f64::min);
                let a0: Vec<f64> = signs[..m].iter().map(|s| s / (m as f64).sqrt()).collect();
                let r0 = vec![1.0; m];
                let full =
                    norm_only_gd(&h, y, &a0, &r0, ETA, STEPS, true, &record()).in_cell(&cell)?;
                let a_only =
                    norm_only_gd(&h, y, &a0, &r0, ETA, STEPS, false, &record()).in_cell(&cell)?;
                Ok(Cell {
                    m,
                    lp,
                    l2_rho: worst_m / l1 / 1.0,
                    full,
                    a_only,
                })
            },
        )?;

        let mut widths_t = Table::new(
            "lp_by_width",
            &[
                "m",
                "lp_lower",
                "lp_upper",
                "gap",
                "solver_primal",
                "solver_dual",
                "status",
                "iterations",
                "gd_ratio",
                "a_only_ratio",
                "l2_solution_ratio",
            ],
        );
        let mut traj = Table::new(
            "trajectory",
            &[
                "m",
                "training",
                "step",
                "ln_loss",
                "ratio",
                "ratio_2homogeneous",
            ],
        );
        for c in &cells {
            let g = c.lp.upper;
            for (name, run) in [("a-and-r", &c.full), ("a-only", &c.a_only)] {
                for s in run {
                    traj.push(vec![
                        c.m.into(),
                        name.into(),
                        s.step.into(),
                        s.ln_loss.into(),
                        (rho(s) / g).into(),
                        (2.0 * s.min_output_margin / s.sq_norm / g).into(),
                    ]);
                }
            }
            widths_t.push(vec![
                c.m.into(),
                c.lp.lower.into(),
                c.lp.upper.into(),
                c.lp.gap().into(),
                c.lp.solver_primal.into(),
                c.lp.solver_dual.into(),
                c.lp.status.clone().into(),
                (c.lp.iterations as usize).into(),
                (rho(c.full.last().unwrap()) / g).into(),
                (rho(c.a_only.last().unwrap()) / g).into(),
                (c.l2_rho / g).into(),
            ]);
        }
        let reaches = least(
            cells
                .iter()
                .map(|c| rho(c.full.last().unwrap()) / c.lp.upper),
        );
        let a_only = least(
            cells
                .iter()
                .map(|c| rho(c.a_only.last().unwrap()) / c.lp.upper),
        );
        let separable = least(cells.iter().map(|c| c.lp.lower));
        let monotone = least(cells.windows(2).map(|w| w[1].lp.lower - w[0].lp.upper));
        let gap = worst(cells.iter().map(|c| {
            if c.lp.upper > 0.0 {
                c.lp.gap() / c.lp.upper
            } else {
                f64::NAN
            }
        }));
        let criteria = vec![
            REACHES.check(reaches),
            SEPARABLE.check(separable),
            MONOTONE.check(monotone),
            GAP.check(gap),
        ];
        let controls = vec![Control::new(
            A_ONLY.name,
            A_ONLY.doc,
            REACHES
                .check(a_only)
                .with_detail("r fixed at 1, a trained by the same normalised GD"),
        )];
        let lp_plot = PlotSpec::new(
            "lp_value_vs_width",
            "l1 max margin over the dictionary against its width",
            "lp_by_width",
            ("m", "dictionary width m"),
            (&["lp_upper"], "gamma_LP (dual value)"),
        )
        .log_x()
        .points();
        let ratio_plot = PlotSpec::new(
            "margin_ratio_vs_step",
            "GD's l1-normalised margin over the LP value",
            "trajectory",
            ("step", "GD step t"),
            (&["ratio"], "rho(t) / gamma_LP"),
        )
        .log_x()
        .group_by("training")
        .filter("m", ws[ws.len() - 1])
        .reference(crate::plot::Reference::horizontal(
            "LP value (ratio 1)",
            1.0,
        ));
        Ok(Outcome::new(criteria, controls, vec![widths_t, traj])
            .with_plots(vec![lp_plot, ratio_plot])
            .with_headline(REACHES.name))
    }
}
