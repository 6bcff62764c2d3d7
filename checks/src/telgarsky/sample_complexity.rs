//! `telgarsky2023.sample-complexity`: near initialisation, the number of samples GD needs for a
//! test error below a target on 2-sparse parity grows like d^2 (the inverse square of the NTK
//! margin, Theta(1/d)); on 3-sparse parity the NTK margin of this network is 0 and no sample
//! size reaches the target.

use super::PAPER;
use super::sample_runs::{self, BUDGET, Cell, CellResult, ETA, Labels, N_TEST};
use crate::kit::{InCell, worst};
use crate::stats::linear_fit_with_covariate;
use crate::{
    Claim, ClaimError, ClaimInfo, Control, ControlSpec, CriterionSpec, FalseFailure, Outcome,
    PlotSpec, Profile, RunContext, Table,
};

pub const SAMPLE_COMPLEXITY_ID: &str = "telgarsky2023.sample-complexity";

/// The sample-complexity claim.
pub struct SampleComplexity;

/// Test-error target.
const TARGET: f64 = 0.1;
/// Level of the two-sided interval on b whose one end is the one-sided 99.5% bound.
const LEVEL: f64 = 0.99;
/// The grid over n at each d: n = round(c d^2).
const GRID: [f64; 5] = [0.5, 0.7, 1.0, 1.4, 2.0];
/// The paper's exponent near initialisation (n ~ 1/gamma_ntk^2 with gamma_ntk ~ 1/d).
const PAPER_EXPONENT: f64 = 2.0;

/// (dimensions, replicates of the 2-sparse cells, replicates of each control's cells).
fn design(profile: Profile) -> (&'static [usize], usize, usize) {
    match profile {
        Profile::Quick => (&[8, 11, 14], 5, 1),
        Profile::Full => (&[8, 11, 16, 22], 8, 1),
    }
}

const EXPONENT: CriterionSpec = CriterionSpec::evidence(
    "exponent-at-most-2",
    "the one-sided 99.5% lower confidence bound of the exponent p in n*(d) ~ d^p, from the \
     least-squares fit over every 2-sparse cell (d, n, replicate) of logit(test error) = a + \
     b ln d + g ln(n / d^2): the error depends on n through n / d^p with p = 2 - b / g, and \
     the bound is 2 - b_low / g with b_low the lower end of b's two-sided Student-t interval \
     at level 0.99 (n - 3 df; g < 0 is the error falling with n). The paper's d^2 is a \
     sufficient sample size (an upper bound, 'd^2 / eps samples suffice'), so the data \
     contradict it when the exponent is significantly above 2: a one-sided test of p <= 2 at \
     alpha = 0.005. Infinite when n*(d) is not reached in the grid at some d (an unbounded \
     exponent) or when the error does not decrease with n (g >= 0)",
)
.at_most(PAPER_EXPONENT);

const REACHED: CriterionSpec = CriterionSpec::evidence(
    "target-reached-in-grid",
    "worst over d of n*(d) / (2 d^2): n*(d) is where the replicate-mean test error first falls \
     below 0.1 on the grid n = c d^2, c = 0.5 .. 2 (linear in ln n between the bracketing grid \
     points, on the non-increasing envelope of the mean errors); infinite when the target is \
     not reached: the theorem's 'n of order 1/gamma_ntk^2 samples suffice' with a constant \
     of at most 2 at these d",
)
.at_most(1.0);

const SEPARATED: CriterionSpec = CriterionSpec::sanity(
    "zero-training-error",
    "number of 2-sparse runs that did not reach zero training error within the step budget \
     (each run is stopped at the first step with min_k y_k f(x_k) > 0)",
)
.at_most(0.0);

const NEAR_INIT: CriterionSpec = CriterionSpec::sanity(
    "near-initialisation",
    "worst over the 2-sparse runs of ||V_T - V_0||_F / ||V_0||_F: the weights moved less than \
     their initial norm (||V_0||_F ~ sqrt(m d)), the O(sqrt m) movement of the \
     near-initialisation regime",
)
.at_most(1.0);

const THREE_SPARSE: ControlSpec = ControlSpec::new(
    "three-sparse-parity",
    "the same design on 3-sparse parity (y = sign(x_1 x_2 x_3)), a problem whose NTK margin \
     scales differently: for this bias-free network relu(t) = t/2 + |t|/2, so every tangent \
     function <theta_j, x 1[v_j . x > 0]> is a linear function plus an even one, and both are \
     orthogonal to the odd degree-3 label: the population NTK margin is 0 [derived], the \
     bound 1/gamma_ntk^2 is infinite and the exponent larger than any finite one; \
     exponent-at-most-2 must fail with an infinite value (n* not reached at any d), \
     not by diverging or NaN",
);

const SHUFFLED: ControlSpec = ControlSpec::new(
    "shuffled-training-labels",
    "the bug of training on labels that do not belong to the inputs (the training labels \
     permuted over the training points, the test set the true 2-sparse parity): GD fits \
     labels unrelated to the inputs and learns nothing, the test error stays near 1/2 and \
     target-reached-in-grid must fail with n* = infinity ('target not reached'), not NaN",
);

const PROVENANCE: &str = "Confirmed with the search tool from the ICLR text dump (OpenReview \
    swEskiem99) and the arXiv 2208.02789 abstract [paper]: near initialisation width and \
    samples need only be inversely proportional to the NTK margin, and 2-sparse parity needs \
    d^2 / eps samples near initialisation with width O(d^2) (a sufficient sample size, so the \
    check tests the exponent from above). NOT confirmed (the searchable copies stop after the \
    introduction): the parametrisation, the exact NTK-margin definition, gamma_ntk = \
    Theta(1/d) for 2-sparse parity (the project note's [unverified] reading, consistent with \
    1/gamma^2 = d^2) and the theorem's stopping time; used instead: f(x; V) = m^-1/2 sum_j a_j \
    relu(v_j . x) with v_j(0) ~ N(0, I_d), as in telgarsky2023.margin-near-init, and stopping \
    at zero training error. [derived] here: for this bias-free network the population NTK \
    margin of 3-sparse parity is 0 (relu(t) = t/2 + |t|/2: every tangent function is linear \
    plus even, both orthogonal to the odd degree-3 label; checked on the whole cube at d = 8 \
    by the test three_sparse_parity_has_no_tangent_correlation).";

const RUNTIME: &str = "measured, one thread: quick 2.4 s CPU per seed (7.1 s mean wall over the 100-seed sweep, 8.2 s on the loaded \
                       2-core machine, seeds 1..10; d = 14 is most of it); full (d up to 22, 8 \
                       replicates): 51 s CPU, 199 s wall at master seed 0 (pass, exponent 1.70, \
                       99% interval [1.53, 1.86]); at cdea002, after the column-wise training \
                       loop (evidence identical), on the idle AVX2 host: quick 1.3 s, full 26 s \
                       wall (reports/full/telgarsky2023.sample-complexity/)";

/// Per d: (d, n*(d), the grid's (n, mean test error) where it has cells).
type PerD = Vec<(usize, f64, Vec<(f64, f64)>)>;

/// What the run derives from a set of cells of one kind.
struct Summary {
    /// Per d: (d, n*(d), the grid's n and mean test errors where it has cells).
    per_d: PerD,
    /// (b, b_low, b_high, g) of the logit fit; NaN without a fit.
    fit: (f64, f64, f64, f64),
}

fn summarise(cells: &[Cell], results: &[CellResult], ds: &[usize]) -> Summary {
    let mut per_d = Vec::new();
    for &d in ds {
        let mut ns = Vec::new();
        let mut means = Vec::new();
        for &c in &GRID {
            let here: Vec<(&Cell, &CellResult)> = cells
                .iter()
                .zip(results)
                .filter(|(cell, _)| cell.d == d && cell.c == c)
                .collect();
            if let Some((cell, _)) = here.first() {
                ns.push(cell.n as f64);
                means.push(here.iter().map(|(_, r)| r.test_error).sum::<f64>() / here.len() as f64);
            }
        }
        let curve = ns.iter().copied().zip(means.iter().copied()).collect();
        per_d.push((d, sample_runs::n_star(&ns, &means, TARGET), curve));
    }
    let x: Vec<f64> = cells.iter().map(|c| (c.d as f64).ln()).collect();
    let w: Vec<f64> = cells
        .iter()
        .map(|c| (c.n as f64 / (c.d * c.d) as f64).ln())
        .collect();
    let y: Vec<f64> = results
        .iter()
        .map(|r| sample_runs::logit_error(r.test_error))
        .collect();
    let fit = linear_fit_with_covariate(&x, &w, &y, LEVEL)
        .map_or((f64::NAN, f64::NAN, f64::NAN, f64::NAN), |f| {
            (f.slope, f.slope_low, f.slope_high, f.gamma)
        });
    Summary { per_d, fit }
}

/// The exponent criterion's measured value (the one-sided lower bound), the exponent and its
/// two-sided 99% interval.
fn exponent(s: &Summary) -> (f64, f64, (f64, f64)) {
    let (b, lo, hi, g) = s.fit;
    let p = PAPER_EXPONENT - b / g;
    let interval = {
        let (u, v) = (PAPER_EXPONENT - lo / g, PAPER_EXPONENT - hi / g);
        (u.min(v), u.max(v))
    };
    let unreached = s.per_d.iter().any(|(_, n, _)| n.is_infinite());
    let measured = if unreached {
        f64::INFINITY
    } else if b.is_nan() || g.is_nan() {
        f64::NAN
    } else if g >= 0.0 {
        f64::INFINITY
    } else {
        interval.0
    };
    (measured, p, interval)
}

fn reached(s: &Summary) -> f64 {
    worst(
        s.per_d
            .iter()
            .map(|(d, n, _)| n / (GRID[GRID.len() - 1] * (d * d) as f64)),
    )
}

impl Claim for SampleComplexity {
    fn info(&self) -> ClaimInfo {
        ClaimInfo {
            id: SAMPLE_COMPLEXITY_ID,
            paper: PAPER,
            summary: "near initialisation, the samples GD needs on 2-sparse parity grow like \
                      d^2 (1/gamma_ntk^2 with gamma_ntk ~ 1/d)",
            statement: "Near initialisation, gradient descent on a two-layer ReLU network with \
                        the logistic loss needs a number of samples inversely proportional to \
                        the (squared) NTK margin; on 2-sparse parity, gamma_ntk = Theta(1/d) \
                        and d^2/eps samples suffice for test error eps.",
            assumptions: &[
                "f(x; V) = m^-1/2 sum_j a_j relu(v_j . x): a_j = +-1 fixed, v_j(0) ~ N(0, I_d) \
                 in antisymmetric pairs (f(.; V_0) = 0), only V trained, width m = 2 d^2 (the \
                 paper's O(d^2) width)",
                "2-sparse parity: x uniform on {+-1/sqrt d}^d, y = d x_1 x_2; fresh training \
                 set, test set (2000 points) and initialisation per (d, n, replicate)",
                "normalised GD V <- V - 8 grad L / L on the mean logistic loss, stopped at the \
                 first step with zero training error (budget 300 steps): the run ends as soon \
                 as it separates, near initialisation",
                "grid n = round(c d^2), c in {0.5, 0.7, 1, 1.4, 2}; d in {8, 11, 14} with 5 \
                 replicates (quick), {8, 11, 16, 22} with 8 (full); target test error 0.1; the \
                 controls one replicate at c = 2 (where n* is decided) of each d but the largest",
            ],
            criteria: const { &[EXPONENT, REACHED, SEPARATED, NEAR_INIT] },
            controls: const { &[THREE_SPARSE, SHUFFLED] },
            provenance: PROVENANCE,
            runtime: RUNTIME,
            false_failure: FalseFailure::union_bound(
                &[0.005, 0.002, 0.001, 0.001],
                "union bound: exponent-at-most-2 is a one-sided t test of p <= 2 at alpha = \
                 0.005 (the lower end of a two-sided 99% interval); target-reached-in-grid, \
                 zero-training-error and near-initialisation are not parametric tests (a run \
                 is deterministic given its seed) and carry 0.002, 0.001 and 0.001, the \
                 shares of the failures the 100-seed sweep can show",
            ),
        }
    }

    fn run(&self, ctx: &RunContext) -> Result<Outcome, ClaimError> {
        let id = SAMPLE_COMPLEXITY_ID;
        let (ds, reps, control_reps) = design(ctx.profile);
        let mut cells = Vec::new();
        for (labels, r) in [
            (Labels::Parity(2), reps),
            (Labels::Parity(3), control_reps),
            (Labels::Shuffled, control_reps),
        ] {
            // the controls only at the largest n of each d: n*(d) is infinite exactly when the
            // mean error there is at or above the target (the envelope is non-increasing)
            // and at all but the largest d (the costliest runs; one d with n* infinite decides)
            let main = labels == Labels::Parity(2);
            let grid: &[f64] = if main { &GRID } else { &GRID[GRID.len() - 1..] };
            let dims = if main { ds } else { &ds[..ds.len() - 1] };
            for &d in dims {
                for &c in grid {
                    for rep in 0..r {
                        let n = (c * (d * d) as f64).round() as usize;
                        cells.push(Cell {
                            labels,
                            d,
                            c,
                            n,
                            rep,
                        });
                    }
                }
            }
        }
        let results: Vec<CellResult> = ctx.par_cells(id, &cells, Cell::label, |c| {
            sample_runs::run_cell(ctx, id, c).in_cell(&c.label())
        })?;
        let kind = |l: Labels| -> (Vec<Cell>, Vec<CellResult>) {
            cells
                .iter()
                .zip(&results)
                .filter(|(c, _)| c.labels == l)
                .map(|(c, r)| (c.clone(), r.clone()))
                .unzip()
        };
        let (main_cells, main_results) = kind(Labels::Parity(2));
        let (three_cells, three_results) = kind(Labels::Parity(3));
        let (shuf_cells, shuf_results) = kind(Labels::Shuffled);
        let main = summarise(&main_cells, &main_results, ds);
        let three = summarise(&three_cells, &three_results, &ds[..ds.len() - 1]);
        let shuf = summarise(&shuf_cells, &shuf_results, &ds[..ds.len() - 1]);

        let mut runs = Table::new(
            "runs",
            &[
                "labels",
                "d",
                "m",
                "c",
                "n",
                "replicate",
                "test_error",
                "train_error",
                "margin",
                "relative_movement",
                "steps",
                "separated",
            ],
        );
        for (c, r) in cells.iter().zip(&results) {
            runs.push(vec![
                c.label().split(',').next().unwrap_or("").into(),
                c.d.into(),
                r.m.into(),
                c.c.into(),
                c.n.into(),
                c.rep.into(),
                r.test_error.into(),
                r.train_error.into(),
                r.margin.into(),
                r.relative_movement.into(),
                r.steps.into(),
                (r.separated as usize).into(),
            ]);
        }
        let mut curve = Table::new("mean_error", &["labels", "d", "c", "n", "mean_test_error"]);
        let mut nstar = Table::new(
            "n_star",
            &["labels", "d", "n_star", "n_star_over_d2", "d2_reference"],
        );
        let (mut logd, mut logn) = (Vec::new(), Vec::new());
        for (name, s) in [("k=2", &main), ("k=3", &three), ("shuffled", &shuf)] {
            for (d, n, means) in &s.per_d {
                for &(n, e) in means {
                    let c = n / (d * d) as f64;
                    curve.push(vec![name.into(), (*d).into(), c.into(), n.into(), e.into()]);
                }
                let d2 = (d * d) as f64;
                nstar.push(vec![
                    name.into(),
                    (*d).into(),
                    (*n).into(),
                    (n / d2).into(),
                    d2.into(),
                ]);
                if name == "k=2" && n.is_finite() {
                    logd.push((*d as f64).ln());
                    logn.push(n.ln());
                }
            }
        }
        // the d^2 reference through the geometric mean of n*/d^2
        let coefficient = if logd.is_empty() {
            1.0
        } else {
            (logn
                .iter()
                .zip(&logd)
                .map(|(n, d)| n - 2.0 * d)
                .sum::<f64>()
                / logd.len() as f64)
                .exp()
        };

        let (measured, p, (p_lo, p_hi)) = exponent(&main);
        let describe = |s: &Summary| {
            let ns: Vec<String> = s
                .per_d
                .iter()
                .map(|(d, n, _)| format!("n*({d}) = {n:.1}"))
                .collect();
            let (p, _, (lo, hi)) = {
                let (m, p, i) = exponent(s);
                (p, m, i)
            };
            format!(
                "exponent p = {p:.3}, two-sided 99% interval [{lo:.3}, {hi:.3}] (b = {:.3}, g = {:.3}); {}",
                s.fit.0,
                s.fit.3,
                ns.join(", ")
            )
        };
        let criteria = vec![
            EXPONENT.check(measured).with_detail(describe(&main)),
            REACHED.check(reached(&main)),
            SEPARATED.check(main_results.iter().filter(|r| !r.separated).count() as f64),
            NEAR_INIT.check(worst(main_results.iter().map(|r| r.relative_movement))),
        ];
        let controls = vec![
            Control::new(
                THREE_SPARSE.name,
                THREE_SPARSE.doc,
                EXPONENT
                    .check(exponent(&three).0)
                    .with_detail(describe(&three)),
            ),
            Control::new(
                SHUFFLED.name,
                SHUFFLED.doc,
                REACHED.check(reached(&shuf)).with_detail(describe(&shuf)),
            ),
        ];
        let plot = PlotSpec::new(
            "n_star_vs_d",
            "samples needed for test error 0.1 against d (log-log)",
            "n_star",
            ("d", "input dimension d"),
            (&["n_star"], "n*(d)"),
        )
        .log_x()
        .log_y()
        .filter("labels", "k=2")
        .reference(crate::plot::Reference::power_law(
            "d^2 reference",
            coefficient,
            2.0,
        ))
        .caption(format!(
            "2-sparse parity, width m = 2 d^2, normalised GD (eta = {ETA}, budget {BUDGET}) to \
             zero training error, test error on {N_TEST} fresh points; n* from the replicate \
             means on the grid n = c d^2; fitted exponent {p:.2} (99% interval [{p_lo:.2}, \
             {p_hi:.2}])"
        ));
        let curve_plot = PlotSpec::new(
            "error_vs_n",
            "replicate-mean test error against n, per d",
            "mean_error",
            ("n", "training samples n"),
            (&["mean_test_error"], "test error"),
        )
        .log_x()
        .group_by("d")
        .filter("labels", "k=2")
        .reference(crate::plot::Reference::horizontal("target 0.1", TARGET));
        Ok(Outcome::new(criteria, controls, vec![runs, curve, nstar])
            .with_plots(vec![plot, curve_plot])
            .with_headline(EXPONENT.name))
    }
}
