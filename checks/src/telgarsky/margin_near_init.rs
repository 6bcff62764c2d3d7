//! `telgarsky2023.margin-near-init`: logistic-loss GD from a standard initialisation attains at
//! least the NTK margin at initialisation (pointwise-bounded, finite width, certified by an
//! SOCP), while its weights move by O(sqrt m).

use super::experiment::{self, BUDGET, D, ETA, N, Run, STOP_LOSS};
use super::{PAPER, PROVENANCE_COMMON};
use crate::kit::{least, worst};
use crate::{
    Claim, ClaimError, ClaimInfo, Control, ControlSpec, CriterionSpec, FalseFailure, Outcome,
    PlotSpec, Profile, RunContext, Table,
};

pub const MARGIN_NEAR_INIT_ID: &str = "telgarsky2023.margin-near-init";

/// The margin-near-initialisation claim.
pub struct MarginNearInit;

/// Width of the hypothesis-violated control (margins only, no training).
pub(crate) const CONTROL_WIDTH: usize = 128;

pub(crate) fn widths(profile: Profile) -> &'static [usize] {
    match profile {
        Profile::Quick => &[128, 512],
        Profile::Full => &[128, 512, 2048],
    }
}

const REACHES: CriterionSpec = CriterionSpec::evidence(
    "margin-reaches-ntk-margin",
    "least over the widths of gamma_GD / gamma_ntk, gamma_GD = min_k y_k f(x_k; V_T) / ||V_T - \
     V_0||_F at the first step T with loss <= 1e-5 (the network is centred, f(.; V_0) = 0), \
     gamma_ntk the dual (upper) value of the certified pointwise NTK margin at V_0, so solver \
     error cannot help: the paper's 'at least the NTK margin', constant 1 (the note's reading; \
     the constant is not confirmed)",
)
.at_least(1.0);

const SEPARABLE: CriterionSpec = CriterionSpec::hypothesis(
    "hypothesis-ntk-separable",
    "least over the widths of the certified lower bound (primal value) of the pointwise NTK \
     margin at initialisation: the theorem's hypothesis gamma_ntk > 0; when it fails the \
     verdict is 'hypothesis not met', never a pass",
)
.greater_than(0.0);

const MOVEMENT: CriterionSpec = CriterionSpec::evidence(
    "movement-within-comparator-bound",
    "worst over the widths of ||V_T - V_0||_F / (2 ln(2/eps) / gamma_ntk), eps = 1e-5: the \
     movement of GD on a linear model is at most twice the norm of a comparator reaching loss \
     eps/2, and U = ln(2/eps) theta*/gamma_ntk is one (its every margin is >= ln(2/eps)); with \
     gamma_ntk = Theta(1) this is the O(sqrt m) of the near-initialisation regime (the table \
     reports ||V_T - V_0||_F / sqrt m)",
)
.at_most(1.0);

const GAP: CriterionSpec = CriterionSpec::sanity(
    "certificate-gap",
    "worst over the widths and both programmes of (upper - lower) / upper, the relative gap \
     between the margin of the solver's primal point and the dual objective at its dual point \
     (both evaluated here, independently of clarabel's own report)",
)
.at_most(1e-5);

const PROXY: CriterionSpec = CriterionSpec::sanity(
    "pointwise-below-l2-proxy",
    "worst over the widths of lower(pointwise) - upper(L2 proxy): the pointwise bound ||theta_j|| \
     <= 1 implies the Frobenius one (1/m) sum ||theta_j||^2 <= 1, so the pointwise NTK margin \
     is at most the L2 (hard-SVM) margin in the same tangent features [derived]; rigorous with \
     the certified bounds",
)
.at_most(0.0);

const STOPPED: CriterionSpec = CriterionSpec::sanity(
    "reached-target-loss",
    "worst over the widths of the final loss: every run stopped at loss <= 1e-5, not at the \
     step budget",
)
.at_most(STOP_LOSS);

const T_ZERO: ControlSpec = ControlSpec::new(
    "t-zero",
    "the margin read at t = 0 (no training, the bug of reporting the initial iterate): the \
     centred network is the zero function, its margin is 0 and margin-reaches-ntk-margin must \
     fail (ratio 0)",
);

const NOT_SEPARABLE: ControlSpec = ControlSpec::new(
    "labels-not-ntk-separable",
    "hypothesis violated: the last training point is a copy of the first with the opposite \
     label, so no function, and no NTK transport, separates the sample; \
     hypothesis-ntk-separable must fail (certified lower bound exactly 0, dual value ~0): \
     'hypothesis not met', not a pass",
);

const WRONG_NORM: ControlSpec = ControlSpec::new(
    "wrong-normalisation",
    "the 2-homogeneous convention min_k y_k f / ||V_T - V_0||_F^2 applied to this network, \
     1-homogeneous in the trained layer: the margin shrinks like 1/||V_T - V_0||_F and \
     margin-reaches-ntk-margin must fail",
);

const RUNTIME: &str = "measured at seed 13, one thread: quick 1.0 s CPU (4.0 s wall on the \
                       loaded 2-core machine; widths 128 and 512, the width-512 SOCP and GD \
                       dominate); full (adds width 2048): 5.6 s CPU, 46 s wall at master seed 0 on the \
                       loaded machine (measured; pass); 4.9 s wall on the idle AVX2 host of \
                       023a0e6 (reports/full/telgarsky2023.margin-near-init/)";

impl Claim for MarginNearInit {
    fn info(&self) -> ClaimInfo {
        ClaimInfo {
            id: MARGIN_NEAR_INIT_ID,
            paper: PAPER,
            summary: "near initialisation, normalised GD on the logistic loss attains at least \
                      the NTK margin at initialisation, moving the weights O(sqrt m)",
            statement: "For a two-layer ReLU network at standard initialisation whose data have \
                        a positive NTK margin gamma_ntk, gradient flow on the logistic loss \
                        reaches a normalised margin of at least gamma_ntk while its weights \
                        move O(sqrt m) from initialisation (near-initialisation regime).",
            assumptions: &[
                "f(x; V) = m^-1/2 sum_j a_j relu(v_j . x) - f(x; V_0): a_j = +-1 fixed, v_j(0) ~ \
                 N(0, I_d) in antisymmetric pairs (f(.; V_0) = 0 up to rounding; the centring \
                 removes the rounding), only V trained",
                "2-sparse parity: n = 64 points uniform on {+-1/sqrt 8}^8, y = 8 x_1 x_2",
                "normalised GD V <- V - grad L / L on the mean logistic loss, stopped at loss \
                 1e-5 (budget 6000 steps); widths 128 and 512 (quick), and 2048 (full)",
                "gamma_ntk: the finite-width pointwise NTK margin max_{||theta_j|| <= 1} min_k \
                 (1/m) sum_j y_k <theta_j, x_k 1[v_j . x_k > 0]> (SOCP, clarabel), certified \
                 by primal and dual values; the L2 proxy sqrt(min_p p^T G p) (QP) reported",
            ],
            criteria: const { &[REACHES, SEPARABLE, MOVEMENT, GAP, PROXY, STOPPED] },
            controls: const { &[T_ZERO, NOT_SEPARABLE, WRONG_NORM] },
            provenance: PROVENANCE_COMMON,
            runtime: RUNTIME,
            false_failure: FalseFailure::union_bound(
                &[0.003, 0.003, 0.003],
                "three evidence criteria, union bound, 0.003 each; none is a parametric test \
                 (a run is deterministic given its seed): each threshold is the theory's (the \
                 constant 1, gamma_ntk > 0, the comparator bound), and the 0.003 is the \
                 per-criterion share of the failures the 100-seed sweep \
                 (reports/seed-sweep/telgarsky2023.margin-near-init) can show; measured over \
                 seeds 1..20 before the sweep: ratio 1.15-1.34 vs 1, certified gamma_ntk \
                 0.068-0.085 vs 0, movement 0.32-0.37 vs 1",
            ),
        }
    }

    fn run(&self, ctx: &RunContext) -> Result<Outcome, ClaimError> {
        let id = MARGIN_NEAR_INIT_ID;
        // (cell label, m, conflicting labels, train)
        let mut cells: Vec<(String, usize, bool, bool)> = widths(ctx.profile)
            .iter()
            .map(|&m| (format!("m={m}"), m, false, true))
            .collect();
        cells.push((
            format!("conflict,m={CONTROL_WIDTH}"),
            CONTROL_WIDTH,
            true,
            false,
        ));
        let runs: Vec<Run> = ctx.par_cells(
            id,
            &cells,
            |c| c.0.clone(),
            |c| experiment::run(ctx, id, &c.0, c.1, c.2, c.3),
        )?;
        let (trained, control) = runs.split_at(runs.len() - 1);
        let control = &control[0];

        let mut margins = Table::new(
            "margins",
            &[
                "run",
                "m",
                "programme",
                "lower",
                "upper",
                "gap",
                "solver_primal",
                "solver_dual",
                "status",
                "iterations",
            ],
        );
        for (c, r) in cells.iter().zip(&runs) {
            for (name, cert) in [
                ("pointwise-socp", &r.margins.pointwise),
                ("l2-qp", &r.margins.l2),
            ] {
                margins.push(vec![
                    c.0.clone().into(),
                    r.m.into(),
                    name.into(),
                    cert.lower.into(),
                    cert.upper.into(),
                    cert.gap().into(),
                    cert.solver_primal.into(),
                    cert.solver_dual.into(),
                    cert.status.clone().into(),
                    (cert.iterations as usize).into(),
                ]);
            }
        }
        let mut traj = Table::new(
            "trajectory",
            &[
                "m",
                "step",
                "loss",
                "normalised_margin",
                "ntk_margin",
                "ratio",
                "movement_over_sqrt_m",
                "cos_median_weighted",
                "cos_q10_weighted",
                "cos_median",
            ],
        );
        for r in trained {
            let g = r.margins.pointwise.upper;
            for s in &r.snaps {
                let mut cos = s.cosines.clone();
                cos.sort_by(f64::total_cmp);
                let nm = experiment::normalised_margin(s);
                traj.push(vec![
                    r.m.into(),
                    s.step.into(),
                    s.loss.into(),
                    nm.into(),
                    g.into(),
                    (nm / g).into(),
                    (s.movement / (r.m as f64).sqrt()).into(),
                    experiment::weighted_quantile(s, 0.5).into(),
                    experiment::weighted_quantile(s, 0.1).into(),
                    cos[cos.len() / 2].into(),
                ]);
            }
        }

        let last = |r: &Run| r.snaps.last().cloned();
        let first = |r: &Run| r.snaps.first().cloned();
        let ratio_at =
            |s: Option<_>, g: f64, f: &dyn Fn(&_) -> f64| s.as_ref().map_or(f64::NAN, |s| f(s) / g);
        let reaches = least(trained.iter().map(|r| {
            ratio_at(
                last(r),
                r.margins.pointwise.upper,
                &experiment::normalised_margin,
            )
        }));
        let separable = least(trained.iter().map(|r| r.margins.pointwise.lower));
        let bound = 2.0 * (2.0 / STOP_LOSS).ln();
        let movement =
            worst(trained.iter().map(|r| {
                last(r).map_or(f64::NAN, |s| s.movement * r.margins.pointwise.upper / bound)
            }));
        let gap = worst(trained.iter().flat_map(|r| {
            [&r.margins.pointwise, &r.margins.l2].map(|c| {
                if c.upper > 0.0 {
                    c.gap() / c.upper
                } else {
                    f64::NAN
                }
            })
        }));
        let proxy = worst(
            trained
                .iter()
                .map(|r| r.margins.pointwise.lower - r.margins.l2.upper),
        );
        let stopped = worst(trained.iter().map(|r| last(r).map_or(f64::NAN, |s| s.loss)));
        let criteria = vec![
            REACHES.check(reaches),
            SEPARABLE.check(separable),
            MOVEMENT.check(movement),
            GAP.check(gap),
            PROXY.check(proxy),
            STOPPED.check(stopped),
        ];

        let t_zero = least(trained.iter().map(|r| {
            ratio_at(
                first(r),
                r.margins.pointwise.upper,
                &experiment::normalised_margin,
            )
        }));
        let wrong = least(trained.iter().map(|r| {
            ratio_at(
                last(r),
                r.margins.pointwise.upper,
                &|s: &overparam_kernel::margin::net::Snapshot| {
                    s.min_output_margin / (s.movement * s.movement)
                },
            )
        }));
        let controls = vec![
            Control::new(
                T_ZERO.name,
                T_ZERO.doc,
                REACHES
                    .check(t_zero)
                    .with_detail("the margin at step 0 of every width"),
            ),
            Control::new(
                NOT_SEPARABLE.name,
                NOT_SEPARABLE.doc,
                SEPARABLE
                    .check(control.margins.pointwise.lower)
                    .with_detail(format!(
                        "m = {CONTROL_WIDTH}, dual value {:.3e}",
                        control.margins.pointwise.upper
                    )),
            ),
            Control::new(
                WRONG_NORM.name,
                WRONG_NORM.doc,
                REACHES
                    .check(wrong)
                    .with_detail("min_k y_k f / ||V_T - V_0||_F^2 at the stopping step"),
            ),
        ];
        let plot = PlotSpec::new(
            "margin_vs_step",
            "normalised margin of GD over the NTK margin at initialisation",
            "trajectory",
            ("step", "GD step t"),
            (&["ratio"], "gamma_GD(t) / gamma_ntk"),
        )
        .log_x()
        .group_by("m")
        .reference(crate::plot::Reference::horizontal(
            "NTK margin (ratio 1)",
            1.0,
        ))
        .caption(format!(
            "2-sparse parity, d = {D}, n = {N}, normalised GD (eta = {ETA}) to loss {STOP_LOSS} \
             (budget {BUDGET}); the ratio is negative until every point is classified"
        ));
        let movement_plot = PlotSpec::new(
            "movement_and_rotation",
            "movement and output-mass-weighted cosine to initialisation",
            "trajectory",
            ("step", "GD step t"),
            (
                &[
                    "movement_over_sqrt_m",
                    "cos_median_weighted",
                    "cos_q10_weighted",
                ],
                "||V_t - V_0||_F / sqrt m; cosines",
            ),
        )
        .log_x()
        .filter("m", widths(ctx.profile)[widths(ctx.profile).len() - 1]);
        Ok(Outcome::new(criteria, controls, vec![margins, traj])
            .with_plots(vec![plot, movement_plot])
            .with_headline(REACHES.name))
    }
}
