//! Song, Ramezani-Kebrya, Pethick, Eftekhari, Cevher, "Subquadratic Overparameterization for
//! Shallow Neural Networks", NeurIPS 2021 (arXiv:2111.01875).
//!
//! Setting (paper §5.1): x -> V phi(W x) with W in R^{d1 x d0}, V in R^{d2 x d1}, no biases,
//! both layers trained by full-batch gradient descent on h = ||V phi(W X) - Y||_F^2 (no 1/2,
//! no 1/n), ||x_i|| = 1, ||Y||_F <= 1, W0 ~ N(0, omega1^2), V0 ~ N(0, omega2^2) with
//! omega1 omega2 <~ 1/sqrt(d0 d1). The route to the theorem: (i) the output-layer PL
//! inequality ||grad_V h||^2 >= 4 sigma_min(Phi)^2 h, Phi = phi(W X), which is useful once the
//! hidden-feature matrix has sigma_min(Phi_0) = mu > 0 (needs d1 >= n); (ii) localisation
//! sigma_min(Phi_t) >= mu/2 along the run, hence a linear rate; (iii) random-matrix theory:
//! mu ~ sqrt(d1 lambda_min(K_inf)) > 0 at a width with d0 d1 = O~(n^{3/2}).
//!
//! The check measures each step of that route (criteria 1–3) and the minimal width at which
//! GD actually converges (criterion 4). The mathematics lives in `overparam_kernel::shallow`,
//! `feature_kernel` and `descent`, and in `overparam_linalg` (SVD, Gram spectra, Gauss–Hermite).

mod criteria;
mod evidence;
mod experiment;

use criteria::*;
use evidence::*;
use experiment::*;

use crate::kit::{InCell, worst};
use crate::{
    Claim, ClaimError, ClaimInfo, Control, ControlSpec, CriterionSpec, FalseFailure, Outcome,
    PlotSpec, RunContext,
};
use overparam_kernel::{Activation, feature_kernel_inf, feature_kernel_mehler};
use overparam_linalg::gauss_hermite;
use rayon::prelude::*;
use std::sync::atomic::AtomicUsize;

pub const SUBQUADRATIC_WIDTH_ID: &str = "song2021.subquadratic-width";

/// The subquadratic-width claim.
pub struct SubquadraticWidth;

impl Claim for SubquadraticWidth {
    fn info(&self) -> ClaimInfo {
        ClaimInfo {
            id: SUBQUADRATIC_WIDTH_ID,
            paper: "Song, Ramezani-Kebrya, Pethick, Eftekhari, Cevher, Subquadratic \
                    Overparameterization for Shallow Neural Networks, NeurIPS 2021 \
                    (arXiv:2111.01875)",
            summary: "GD on both layers of a shallow GELU network converges linearly once \
                      sigma_min(phi(W0 X)) > 0; random-matrix theory gives that at d0 d1 = \
                      O~(n^{3/2}), subquadratic",
            statement: "For x -> V phi(W x) trained on both layers by full-batch GD on \
                        h = ||V phi(W X) - Y||_F^2 from Gaussian initialisation, the output-layer \
                        PL inequality ||grad_V h||^2 >= 4 sigma_min(phi(W X))^2 h and the \
                        localisation sigma_min(phi(W_t X)) >= mu/2 give linear convergence to a \
                        global minimum once mu = sigma_min(phi(W0 X)) > 0; random-matrix theory \
                        gives mu ~ sqrt(d1 lambda_min(K_inf)) and hence a sufficient parameter \
                        count d0 d1 = O~(n^{3/2}), not n^2.",
            assumptions: &[
                "network x -> V phi(W x), W d1 x d0, V d2 x d1 (d2 = 1), no biases, both layers trained",
                "loss h = ||V phi(W X) - Y||_F^2 without 1/2 or 1/n; ||x_i|| = 1 (uniform on the sphere), Y Gaussian with ||Y||_F = 1",
                "GELU activation (smooth, phi(0) = 0, not odd); W0 ~ N(0, 1/d0), V0 ~ N(0, 1/d1): omega1 omega2 = 1/sqrt(d0 d1), condition (19)",
                "full-batch GD with eta_t = 1 / (local smoothness bound), each step verified by the descent lemma (halved if it fails)",
                "criteria 1-3 on one data set (quick n = 32, d0 = 16; full n = 64, d0 = 16); criterion 4 with d0 = ceil(sqrt(8 n))",
            ],
            criteria: const {
                &[
                    CriterionSpec::evidence(
                        "sigma-min-sqrt-width",
                        "mu = sigma_min(phi(W0 X)) over d1 = 16n..256n (5 seeds quick, 10 full): the exponent b of ln mu = a + b ln d1 + g n/d1 has a 95% t-interval containing 1/2",
                    ),
                    CriterionSpec::evidence(
                        "sigma-min-matches-kinf",
                        "seed-mean mu / sqrt(d1 lambda_min(K_inf)) at d1 = 256n lies in [1 - sqrt(n/d1), 1 + 1.5 sqrt(2/d1)], K_inf by 60x60 Gauss-Hermite quadrature",
                    ),
                    CriterionSpec::evidence(
                        "pl-inequality",
                        "min over every GD iterate (d1 = 2n and 8n quick, 3 seeds; 2n and 16n full, 5 seeds) of ||grad_V h||^2 / (4 sigma_min(Phi_t)^2 h_t) >= 1 - rounding allowance",
                    ),
                    CriterionSpec::evidence(
                        "localisation-and-linear-rate",
                        "no run with mu0 = 0, sigma_min(Phi_t) < mu0/2, h_{t+1} > (1 - eta_t sigma_min^2) h_t at some step, or h_T > 1e-8 h_0 after 2 kappa_inf ln(1e8) steps",
                    ),
                    CriterionSpec::evidence(
                        "width-exponent",
                        "upper end of the 95% t-interval of the exponent of d0 d1_min against n (n = 4..32 quick, 8..128 full, each doubling) is below 2",
                    ),
                ]
            },
            controls: const {
                &[
                    ControlSpec::new(
                        "width-below-n",
                        "d1 = n/2: phi(W0 X) has rank <= d1 < n, so mu = 0 and the PL certificate is empty: localisation-and-linear-rate must fail (through mu0 = 0; GD itself may still converge, since the first layer is trained)",
                    ),
                    ControlSpec::new(
                        "wrong-gradient",
                        "GD at the widest trajectory width with grad_V h missing its factor 2 (the gradient of ||.||^2/2 in the output layer): pl-inequality, evaluated on the gradient used, must fail (it is a quarter of the true ratio, which approaches 1)",
                    ),
                    ControlSpec::new(
                        "kernel-unit-variance",
                        "K_inf computed with pre-activation variance 1 instead of omega1^2 = 1/d0 (the note's pitfall): sigma-min-matches-kinf must fail",
                    ),
                ]
            },
            provenance: "Confirmed via search: title, authors, venue (NeurIPS 2021) and arXiv id \
                         2111.01875 (NeurIPS proceedings page and arXiv listings; not a 2106.x \
                         number); the abstract's claims (both layers trained, standard \
                         initialisation, PL condition, smoothness, random-matrix theory, \
                         subquadratic width); the authors' code \
                         (github.com/LIONS-EPFL/Subquadratic-Overparameterization, src/model.py): \
                         GELU activation, layers initialised N(0, w1) and N(0, w2) by standard \
                         deviation, MSE loss. Not confirmed (the full text was not reachable \
                         through search): the exact statements and numbering of Lemma 1, Lemma 3, \
                         Theorem 3 and eqs. (9), (13), (19)-(21), the constants in mu_Phi, nu_Phi, \
                         beta_Phi, and whether the final version excludes odd activations (the \
                         note's open question 4) [unverified]. So no control relies on an \
                         odd-activation exclusion: tanh is only reported in fits.csv (it behaves \
                         like GELU here, its t = 3 Hermite term keeps sigma_min > 0), and the \
                         second control is a deliberately wrong gradient. Derived here: the exact \
                         output-layer PL identity, the local smoothness bound behind the step \
                         size, the random-matrix band and finite-width term of criterion 1 (the \
                         n/d1 term was chosen over the Bai-Yin sqrt(n/d1) term after a first run: \
                         the deficit 1 - ratio times d1/n is flat across widths while times \
                         sqrt(d1/n) it decays; both fits are in fits.csv), the step budget. \
                         Computed here: K_inf by Golub-Welsch Gauss-Hermite quadrature, as a 2-D \
                         tensor rule and as a Mehler series (property-tested against polynomial \
                         moments, each other, closed forms and Monte Carlo).",
            runtime: "quick: 6-11 s of CPU (4-8 s wall on 2 cores, measured under load), \
                      mostly the tracked trajectories; full (n = 64 for criteria 1-3, n up to \
                      128 for the width search): about 270 s of CPU, 4-5 minutes wall on 2 \
                      cores, dominated by the tracked runs at d1 = 16n = 1024",
            false_failure: FalseFailure::UNDECLARED,
        }
    }

    fn run(&self, ctx: &RunContext) -> Result<Outcome, ClaimError> {
        let sz = sizes(ctx.profile);
        let rule = gauss_hermite(GH_POINTS).in_cell("quadrature")?;
        let residual = worst([rule.residual, rule.orthogonality]);
        ClaimError::check_residual("quadrature", "Golub-Welsch", residual, RESIDUAL_BOUND)?;
        let n = sz.n;
        let base = Problem::new(ctx, &format!("data n={n} d0={}", sz.d0), n, sz.d0, &rule)?;
        let omega1 = omegas(sz.d0, 1).0;
        let (tanh_lambda_min, _) =
            kinf_extremes(Activation::Tanh, omega1, &base.data, &rule, "tanh K_inf")?;
        let (unit_lambda_min, _) = kinf_extremes(
            Activation::Gelu,
            1.0,
            &base.data,
            &rule,
            "unit-variance K_inf",
        )?;
        // The two quadrature routes to K_inf must agree (2-D tensor rule vs Mehler series).
        let kinf_route_gap = {
            let a = feature_kernel_inf(Activation::Gelu, omega1, base.data.x.as_ref(), &rule);
            let b = feature_kernel_mehler(
                Activation::Gelu,
                omega1,
                base.data.x.as_ref(),
                &rule,
                MEHLER_DEGREE,
            );
            (&a - &b).norm_max() / a.norm_max()
        };

        let sigma_specs: Vec<(Activation, usize, u64)> = [Activation::Gelu, Activation::Tanh]
            .iter()
            .flat_map(|&a| {
                sz.sigma_multiples
                    .iter()
                    .flat_map(move |&m| (0..sz.sigma_seeds).map(move |s| (a, m * n, s)))
            })
            .collect();
        let mut run_specs: Vec<(RunKind, usize, u64)> = Vec::new();
        for &m in sz.trajectory_multiples {
            for s in 0..sz.trajectory_seeds {
                run_specs.push((RunKind::Main, m * n, s));
            }
        }
        for s in 0..sz.trajectory_seeds {
            run_specs.push((RunKind::WidthBelowN, n / 2, s));
            // at the widest trajectory width the true PL ratio comes within a few percent of
            // 1 late in the run, so a quarter of it is far below 1
            let widest = *sz.trajectory_multiples.last().expect("a trajectory width");
            run_specs.push((RunKind::WrongGradient, widest * n, s));
        }
        let stages = Stages {
            ctx,
            done: AtomicUsize::new(0),
            total: sigma_specs.len() + run_specs.len() + sz.width_ns.len(),
        };

        let sigma_cells: Vec<SigmaCell> = sigma_specs
            .par_iter()
            .map(|&(a, d1, s)| {
                let c = sigma_cell(ctx, &base, a, d1, s);
                stages.tick(&format!("sigma {} d1={d1}", a.name()));
                c
            })
            .collect::<Result<_, _>>()?;
        let runs: Vec<Trajectory> = run_specs
            .par_iter()
            .map(|&(kind, d1, s)| {
                let t = trajectory(ctx, &base, kind, d1, s);
                stages.tick(&format!("{} d1={d1} seed={s}", kind.name()));
                t
            })
            .collect::<Result<_, _>>()?;
        let searches: Vec<WidthSearch> = sz
            .width_ns
            .par_iter()
            .map(|&wn| {
                let s = width_search(ctx, wn, &rule);
                stages.tick(&format!("width n={wn}"));
                s
            })
            .collect::<Result<_, _>>()?;

        let gelu: Vec<&SigmaCell> = sigma_cells
            .iter()
            .filter(|c| c.activation == Activation::Gelu)
            .collect();
        let main: Vec<&Trajectory> = runs.iter().filter(|r| r.kind == RunKind::Main).collect();
        let below: Vec<&Trajectory> = runs
            .iter()
            .filter(|r| r.kind == RunKind::WidthBelowN)
            .collect();
        let wrong: Vec<&Trajectory> = runs
            .iter()
            .filter(|r| r.kind == RunKind::WrongGradient)
            .collect();

        let c_exponent = exponent_criterion(&gelu, n);
        let c_ratio = kinf_ratio_criterion(&gelu, n, base.lambda_min);
        let (c_width, width_exponent) = width_criterion(&searches);
        let criteria = vec![
            c_exponent,
            c_ratio,
            pl_criterion(&main),
            rate_criterion(&main),
            c_width,
        ];

        let below_reached = below.iter().filter(|r| r.reached).count();
        let controls = vec![
            Control::new(
                "width-below-n",
                &format!(
                    "d1 = n/2 = {}: rank(phi(W0 X)) <= d1 < n, so mu0 = 0 and neither \
                     localisation nor the PL contraction certifies anything. GD itself reached \
                     1e-8 h_0 in {below_reached}/{} runs: the first layer is trained too, so the \
                     theorem's hypothesis is sufficient, not necessary",
                    n / 2,
                    below.len()
                ),
                rate_criterion(&below),
            ),
            Control::new(
                "wrong-gradient",
                "GD with grad_V h = R Phi^T instead of 2 R Phi^T (the output-layer gradient of \
                 ||.||^2/2 mixed into the gradient of ||.||^2), from the same initialisations as \
                 the widest main runs: the PL ratio of the gradient used is a quarter of the \
                 true one, which comes within a few percent of 1 late in the run",
                pl_criterion(&wrong),
            ),
            Control::new(
                "kernel-unit-variance",
                "the prediction sqrt(d1 lambda_min(K_inf)) with K_inf computed at \
                 pre-activation variance 1 instead of 1/d0",
                kinf_ratio_criterion(&gelu, n, unit_lambda_min),
            ),
        ];

        let tables = evidence_tables(EvidenceInputs {
            n,
            base: &base,
            tanh_lambda_min,
            unit_lambda_min,
            kinf_route_gap,
            sigma_cells: &sigma_cells,
            runs: &runs,
            searches: &searches,
            width_exponent,
            rule: &rule,
        });
        let plots = vec![
            PlotSpec::new(
                "sigma_min",
                "Smallest singular value of the hidden features at initialisation",
                "sigma_min",
                ("d1", "width d1 (log scale)"),
                (&["mu", "mu_predicted"], "sigma_min(phi(W0 X)) (log scale)"),
            )
            .log_x()
            .log_y()
            .points()
            .caption(format!(
                "n = {n} points; mu_predicted = sqrt(d1 lambda_min(K_inf)), K_inf by Gauss-Hermite quadrature"
            )),
            PlotSpec::new(
                "trajectory",
                "Training loss along gradient descent (seed 0)",
                "trajectory",
                ("step", "GD step"),
                (&["loss"], "loss h (log scale)"),
            )
            .log_y()
            .filter("seed", 0usize)
            .group_by("d1")
            .caption(format!("n = {n}; linear convergence appears as a straight line")),
        ];
        Ok(Outcome::new(criteria, controls, tables)
            .with_plots(plots)
            .with_headline("pl-inequality"))
    }
}

/// Points of the 1-D Gauss–Hermite rule; K_inf uses its 60 x 60 tensor product (the paper
/// note's choice). For GELU at pre-activation variance 1/d0 the integrand is entire and the
/// rule is converged far below the 1e-3 relative effects the criteria resolve (property test
/// `kinf_quadrature_matches_mehler_series`).
const GH_POINTS: usize = 60;

/// Relative loss reduction that counts as reaching a global minimum: h_T <= 1e-8 h_0 (the
/// issue's target; h_0 ~ 2 here, so |R| ~ 1e-4, still 10 orders above rounding of R).
const TARGET_RATIO: f64 = 1e-8;

/// Step budget in units of kappa_inf ln(1/TARGET_RATIO), kappa_inf = lambda_max / lambda_min of
/// K_inf. At infinite width with eta = 1/beta and beta >= 2 sigma_max^2, the PL rate per step
/// is 1 - 2 eta sigma_min^2 ~ 1 - 1/kappa_inf, so kappa_inf ln(1/eps) steps reach eps; the
/// factor 2 lets a finite width converge at half the infinite-width rate. Without a budget that
/// scales with the conditioning no width could converge for large n (kappa_inf grows with n).
const BUDGET_FACTOR: f64 = 2.0;

/// mu_0 / sigma_max(Phi_0) below this counts as rank-deficient: the SVD resolves a zero
/// singular value to ~ n eps ~ 1e-14, while genuine values at d1 >= 2n are >= 1e-2 here.
const RANK_TOLERANCE: f64 = 1e-8;

/// Residual bound for every decomposition (thin SVD reconstruction and orthogonality, Gram
/// trace invariant, Golub–Welsch): backward-stable solvers give O(sqrt(mn) eps) <= 1e-13 at
/// these sizes; a larger residual makes the run an error, not a verdict.
const RESIDUAL_BOUND: f64 = 1e-12;

/// Per-iterate rounding allowance of the PL ratio, in units of eps: lambda_min of the n x n
/// Gram matrix carries an absolute error ~ n eps lambda_max (relative n eps kappa^2 for
/// sigma_min^2) and ||R Phi^T||^2 a relative error ~ d1 eps kappa; 8 (n kappa^2 + d1 kappa)
/// eps bounds both with a margin of 8.
const PL_ROUNDING_UNITS: f64 = 8.0;

/// Seeds per width in the width search and the number that must converge (the 9/10).
const WIDTH_SEEDS: u64 = 10;

const WIDTH_CONVERGED: usize = 9;

/// d0 = ceil(sqrt(D0_SQUARED_OVER_N n)) in the width search: the paper's regime n ~ d0^t
/// with t = 2 (its eq. (21)), kept at n <= d0^2 / 8 so that the Khatri–Rao square of X (which
/// carries lambda_min(K_inf) once n > d0) stays well conditioned as n grows.
const D0_SQUARED_OVER_N: f64 = 8.0;

/// The width search gives up above this multiple of n (recorded as "not reached").
const MAX_WIDTH_MULTIPLE: usize = 64;

/// The claim's shape: the exponent of d0 d1_min in n must stay below 2 (subquadratic).
const SUBQUADRATIC_EXPONENT: f64 = 2.0;

/// Every this-many steps a trajectory sample is written to trajectory.csv (the criteria use
/// every step; the table is for plotting).
const TRAJECTORY_STRIDE: usize = 25;

/// Degree of the Mehler series behind the width search's step budgets. The normalised Hermite
/// coefficients of GELU at pre-activation variance 1/d0 <= 1/6 decay faster than
/// (1/6)^{t/2}, so the truncation is below 1e-15 of lambda_max long before t = 40.
const MEHLER_DEGREE: usize = 40;

/// Seeds run together in the width search before the decision is re-examined: a width is
/// abandoned as soon as more than WIDTH_SEEDS - WIDTH_CONVERGED runs failed, and accepted as
/// soon as WIDTH_CONVERGED converged. Chunks run in a fixed order, so what is run (and
/// recorded in width.csv) does not depend on the thread count.
const WIDTH_CHUNK: u64 = 2;

/// Smallest width, in units of n, used by the exponent fit of criterion 1: below 16n the
/// ratio mu / sqrt(d1 lambda_min) is still < 0.9 (the paper note's edge effect), outside the
/// perturbative regime that the fit's finite-width term describes.
const EXPONENT_MIN_MULTIPLE: usize = 16;
