//! Song, Ramezani-Kebrya, Pethick, Eftekhari, Cevher, "Subquadratic Overparameterization for
//! Shallow Neural Networks", NeurIPS 2021 (arXiv:2111.01875).
//!
//! Setting (paper §5.1): x -> V phi(W x) with W in R^{d1 x d0}, V in R^{d2 x d1}, no biases,
//! both layers trained by full-batch gradient descent with a constant step on
//! h = ||V phi(W X) - Y||_F^2 (no 1/2, no 1/n), ||x_i|| = 1, ||Y||_F <= 1, W0 ~ N(0, omega1^2),
//! V0 ~ N(0, omega2^2) with omega1 omega2 <~ 1/sqrt(d0 d1). The proof's route: (i) the
//! near-isometry mu = sigma_min(phi(W0 X)) > 0 and, by random-matrix theory,
//! mu ~ sqrt(d1 lambda_min(K_inf)) once d1 exceeds a threshold (the paper's width condition);
//! (ii) localisation sigma_min(Phi_t) >= mu/2 along the run (Lemma 1); (iii) with the
//! output-layer PL inequality, the linear rate h_t <= (1 - c eta mu^2)^t h_0.
//!
//! The check measures each step of that route with criteria that can fail: mu against its
//! random-matrix prediction (band and near-isometry), the exponent in n of the width at which
//! the near-isometry sets in (the paper's sufficient width at fixed d0 grows like n^{3/2}), the
//! localisation, and the loss of constant-step GD against (1 - eta mu0^2)^t h_0. The exact PL
//! identity is kept as a sanity check. The mathematics lives in `overparam_kernel::shallow`,
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
use overparam_kernel::{Activation, feature_kernel_mehler};
use overparam_linalg::gauss_hermite;

pub const SUBQUADRATIC_WIDTH_ID: &str = "song2021.subquadratic-width";

/// The subquadratic-width claim.
pub struct SubquadraticWidth;

/// mu0 / sqrt(d1 lambda_min(K_inf)) at or above this is "near-isometric": the paper's
/// random-matrix lower bound sigma_min(phi(W0 X)) >~ sqrt(d1 lambda) with the constant 1/2,
/// which is also the Bai–Yin edge 1 - sqrt(n/d1) at d1 = 4n.
const ISOMETRY_RATIO: f64 = 0.5;

/// Confidence level of the width-exponent interval: 99.5%, so that it fails by chance with
/// probability 0.005 (the largest share of the claim's 1% false-failure budget).
const WIDTH_EXPONENT_LEVEL: f64 = 0.995;

pub(super) const SIGMA_BAND: CriterionSpec = CriterionSpec::evidence(
    "sigma-min-matches-kinf",
    "random-matrix theory: Phi0^T Phi0 / d1 is the sample second moment of d1 iid rows with mean \
     K_inf (K_inf by 60x60 Gauss-Hermite quadrature at pre-activation variance 1/d0), so every \
     draw at d1 = 16n, 64n, 256n must have mu0 / sqrt(d1 lambda_min(K_inf)) within \
     [1 - sqrt(n/d1), 1 + 3 sqrt(2/d1)]: below, the Bai-Yin edge (1 - sqrt(n/d1))^2 of the \
     smallest eigenvalue; above, 3 standard deviations sqrt(2/d1) of the Rayleigh quotient of \
     K_inf's bottom eigenvector (6 of the ratio). Both ends shrink to 1 as d1 grows 16-fold, \
     so a scaling other than sqrt(d1) leaves the band. Measured: the largest deviation in \
     units of its allowance; chance failure allotted 1e-3 (a > 4 sigma excursion in one of 15 \
     draws, allowing for tails heavier than Gaussian)",
)
.at_most(1.0);

pub(super) const NEAR_ISOMETRY: CriterionSpec = CriterionSpec::evidence(
    "near-isometry",
    "the paper's random-matrix step, sigma_min(phi(W0 X)) >~ sqrt(d1 lambda) above its width \
     threshold: every draw at d1 = 4n..256n must have mu0 >= sqrt(d1 lambda_min(K_inf)) / 2 \
     (1/2 = the Bai-Yin edge at 4n; the smallest of the 20 draws was 0.55-0.76, median 0.66, \
     over master seeds 0-99, the binding width 4n having a seed-to-seed spread of about 0.04, \
     so 1/2 is about 4 spreads below the median; chance failure allotted 1e-3)",
)
.at_least(ISOMETRY_RATIO);

pub(super) const WIDTH_EXPONENT: CriterionSpec = CriterionSpec::evidence(
    "isometry-width-exponent",
    "the width the theorem needs is where the random-matrix bound on sigma_min(phi(W0 X)) takes \
     hold; at fixed d0 = 16 its sufficient width (20) grows like sigma_max(X)^2 sqrt(n) ~ \
     n^{3/2}. For n = 8..96 (d0 fixed, no imposed d0(n)) the width d1*(n) where the median \
     over 15 draws (each its own data set and initialisation) of mu0 / sqrt(d1 \
     lambda_min(K_inf)) crosses 1/2 \
     is found on the grid d1 = n 2^{k/4} (log-linear interpolation; no training, so no step \
     budget). The 99.5% t-interval of the exponent of d1* in n must lie within [0.5, 1.5]: \
     above 3/2 the threshold would outgrow the paper's bound; below 1/2 it would not track the \
     rank bound d1 >= n (random-matrix theory predicts 1). Chance failure 0.005",
)
.interval_within(0.5, 1.5);

pub(super) const LOCALISATION: CriterionSpec = CriterionSpec::evidence(
    "localisation",
    "Lemma 1's conclusion: along every constant-step GD run (d1 = 2n, 8n quick; 2n, 16n full) \
     sigma_min(Phi_t) >= mu0 / 2 at every iterate; it fails if the first layer moves the \
     features off the near-isometry (the iterates travel tens to hundreds of Lemma 1 radii \
     rho_Phi = mu0 / (2 beta_Phi), stated per run in the detail: the paper's ball is loose, \
     its conclusion is tested directly). Deterministic given the draw: no chance allowance",
)
.at_least(0.5);

pub(super) const LINEAR_RATE: CriterionSpec = CriterionSpec::evidence(
    "linear-rate",
    "the theorem's linear rate for GD with a constant step: eta = 1 / beta(theta_0) fixed for \
     the whole run (beta the local smoothness bound at initialisation; no backtracking, nothing \
     forces a step to decrease h), and every step contracts, h_{t+1} <= (1 - eta mu0^2) h_t, \
     until h <= 1e-8 h_0, hence within the T_pred = ln(1e8) / -ln(1 - eta mu0^2) steps that \
     rate predicts (the run's only budget). The proof's per-step factor with PL (alpha_f = 2) \
     and sigma_min >= mu0/sqrt(2) (Lemma 1's mu0/2 gives 1 - eta mu0^2 / 2). Measured: min over \
     runs and steps of ln(h_{t+1}/h_t) / ln(1 - eta mu0^2), each step's decay in units of the \
     guaranteed one, >= 1. Deterministic given the draw",
)
.at_least(1.0);

pub(super) const PL_IDENTITY: CriterionSpec = CriterionSpec::sanity(
    "pl-inequality",
    "||grad_V h||^2 = 4 ||R Phi^T||^2 >= 4 sigma_min(Phi)^2 ||R||^2 = 4 sigma_min^2 h is linear \
     algebra for d1 >= n (an identity, not evidence): at every GD iterate, up to the rounding \
     allowance 8 (n kappa^2 + d1 kappa) eps of the Gram eigenvalue and the product, the ratio \
     of the gradient actually used must be >= 1",
)
.computed("1 - 8 (n kappa^2 + d1 kappa) eps, maximised over iterates");

impl Claim for SubquadraticWidth {
    fn info(&self) -> ClaimInfo {
        ClaimInfo {
            id: SUBQUADRATIC_WIDTH_ID,
            paper: "Song, Ramezani-Kebrya, Pethick, Eftekhari, Cevher, Subquadratic \
                    Overparameterization for Shallow Neural Networks, NeurIPS 2021 \
                    (arXiv:2111.01875)",
            summary: "GD with a constant step on both layers of a shallow GELU network converges \
                      linearly at rate 1 - eta sigma_min(phi(W0 X))^2 with the features \
                      localised; sigma_min follows its random-matrix prediction above a width \
                      threshold that grows no faster than the paper's n^{3/2} at fixed d0",
            statement: "For x -> V phi(W x) trained on both layers by full-batch GD with a \
                        constant step on h = ||V phi(W X) - Y||_F^2 from Gaussian \
                        initialisation: above a width threshold, mu = sigma_min(phi(W0 X)) ~ \
                        sqrt(d1 lambda_min(K_inf)) (random-matrix theory); the features stay \
                        localised, sigma_min(phi(W_t X)) >= mu/2 (Lemma 1); and the loss \
                        converges linearly, h_t <= (1 - eta mu^2)^t h_0. The threshold is where \
                        the theorem's sufficient width comes from: at fixed d0 the paper's \
                        bound grows like n^{3/2} (d0 d1 = O~(n^{3/2}) in its regime n ~ d0^2, \
                        subquadratic).",
            assumptions: &[
                "network x -> V phi(W x), W d1 x d0, V d2 x d1 (d2 = 1), no biases, both layers trained",
                "loss h = ||V phi(W X) - Y||_F^2 without 1/2 or 1/n; ||x_i|| = 1 (uniform on the sphere), Y Gaussian with ||Y||_F = 1",
                "GELU activation (smooth, phi(0) = 0, not odd); W0 ~ N(0, 1/d0), V0 ~ N(0, 1/d1): omega1 omega2 = 1/sqrt(d0 d1), condition (19)",
                "full-batch GD with the constant step eta = 1 / beta(theta_0), beta the local smoothness bound at initialisation (no backtracking)",
                "trajectories and singular values on one data set (quick n = 32, d0 = 16; full n = 64, d0 = 16); the width scan over n = 8..96 at d0 = 16, one data set per draw (15 quick, 25 full)",
            ],
            criteria: const {
                &[
                    SIGMA_BAND,
                    NEAR_ISOMETRY,
                    WIDTH_EXPONENT,
                    LOCALISATION,
                    LINEAR_RATE,
                    PL_IDENTITY,
                ]
            },
            controls: const {
                &[
                    ControlSpec::new(
                        "kernel-unit-variance",
                        "the prediction sqrt(d1 lambda_min(K_inf)) with K_inf computed at \
                         pre-activation variance 1 instead of omega1^2 = 1/d0 (the note's \
                         pitfall, a plausible scaling bug): sigma-min-matches-kinf must fail, \
                         the measured mu0 being an order of magnitude below the wrong prediction",
                    ),
                    ControlSpec::new(
                        "width-at-n",
                        "d1 = n, below the near-isometry threshold (about 2-3 n): phi(W0 X) is \
                         square and full rank, mu0 > 0 measured, but far below sqrt(d1 \
                         lambda_min(K_inf)) / 2: near-isometry must fail, i.e. the random-matrix \
                         prediction genuinely needs the extra width (nothing is set to 0)",
                    ),
                    ControlSpec::new(
                        "mean-loss-gradient",
                        "GD with the gradient of the mean loss h / n (the 'no 1/n' slip) with \
                         the step and guarantee computed for h, from the main run's \
                         initialisation at the widest trajectory width (seed 0): the loss decays n times \
                         more slowly and linear-rate must fail (a step contracts by less than \
                         the guaranteed 1 - eta mu0^2, the run stopping once one reaches half of \
                         it; no divergence involved)",
                    ),
                    ControlSpec::new(
                        "wrong-gradient",
                        "GD at the widest trajectory width (seed 0) with grad_V h missing its \
                         factor 2 (the gradient of ||.||^2/2 in the output layer): the sanity \
                         check pl-inequality, evaluated on the gradient used, must fail (a \
                         quarter of the true ratio, which comes within a few percent of 1; the \
                         run stops once it is below 1/2)",
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
                         beta_Phi, and whether the final version excludes odd activations \
                         [unverified]; the n^{3/2} shape of the width at fixed d0 is read off the \
                         note's (20) (sigma_max(X)^2 sqrt(n) / sigma_min(X^{*t})^3 with \
                         sigma_max(X)^2 ~ n/d0) [unverified]. So no criterion relies on the \
                         paper's constants: the ball radius is stated, not gated, and the \
                         exponent test only uses the bound's shape. Derived here: the exact \
                         output-layer PL identity, the local smoothness bound behind the step \
                         size, the random-matrix band (Bai-Yin edge, Rayleigh-quotient \
                         fluctuation) and the near-isometry constant 1/2. Computed here: K_inf \
                         by Golub-Welsch Gauss-Hermite quadrature, as a 2-D tensor rule and as a \
                         Mehler series (property-tested against polynomial moments, each other, \
                         closed forms and Monte Carlo).",
            runtime: RUNTIME,
            false_failure: FalseFailure::union_bound(
                &[1e-3, 1e-3, 1.0 - WIDTH_EXPONENT_LEVEL],
                "union bound over the three tests with a chance element: sigma-min-matches-kinf \
                 (1e-3, band edges > 4 sigma from the typical draw), near-isometry (1e-3, \
                 threshold ~6 sigma below the typical draw) and the 99.5% t-interval of \
                 isometry-width-exponent (0.005); localisation, linear-rate and pl-inequality \
                 are deterministic given the draw (bounds with margins, no statistical test): \
                 total 0.007",
            ),
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
        // The control's kernel at pre-activation variance 1, by the Mehler series (the 2-D
        // rule would evaluate GELU far out in its tails, where it is slow; the series needs it
        // at 60 nodes only).
        let unit_kernel = feature_kernel_mehler(
            Activation::Gelu,
            1.0,
            base.data.x.as_ref(),
            &rule,
            MEHLER_DEGREE,
        );
        let (unit_lambda_min, _) = kernel_extremes(&unit_kernel, "unit-variance K_inf")?;
        // The two quadrature routes to K_inf must agree (2-D tensor rule vs Mehler series).
        let kinf_route_gap = {
            let b = feature_kernel_mehler(
                Activation::Gelu,
                omega1,
                base.data.x.as_ref(),
                &rule,
                MEHLER_DEGREE,
            );
            (&base.kernel - &b).norm_max() / base.kernel.norm_max()
        };

        // the control's cells (d1 = n) first, then the main ones
        let sigma_specs: Vec<(usize, u64)> = std::iter::once(1)
            .chain(sz.sigma_multiples.iter().copied())
            .flat_map(|m| (0..sz.sigma_seeds).map(move |s| (m * n, s)))
            .collect();
        let widest = *sz.trajectory_multiples.last().expect("a trajectory width") * n;
        let mut run_specs: Vec<(RunKind, usize, u64)> = Vec::new();
        for &m in sz.trajectory_multiples {
            for s in 0..sz.trajectory_seeds {
                run_specs.push((RunKind::Main, m * n, s));
            }
        }
        run_specs.push((RunKind::MeanLoss, widest, 0));
        run_specs.push((RunKind::WrongGradient, widest, 0));

        let all_cells = ctx.par_cells(
            SUBQUADRATIC_WIDTH_ID,
            &sigma_specs,
            |&(d1, s)| format!("sigma d1={d1} seed={s}"),
            |&(d1, s)| sigma_cell(ctx, &format!("sigma d1={d1}"), &base.data, d1, s),
        )?;
        let runs = ctx.par_cells(
            SUBQUADRATIC_WIDTH_ID,
            &run_specs,
            |&(k, d1, s)| format!("{} d1={d1} seed={s}", k.name()),
            |&(k, d1, s)| trajectory(ctx, &base, k, d1, s),
        )?;
        let scans = ctx.par_cells(
            SUBQUADRATIC_WIDTH_ID,
            sz.scan_ns,
            |&wn| format!("width scan n={wn}"),
            |&wn| width_scan(ctx, wn, SCAN_D0, sz.scan_seeds, &rule),
        )?;

        let (at_n_cells, sigma_cells): (Vec<SigmaCell>, Vec<SigmaCell>) =
            all_cells.into_iter().partition(|c| c.d1 == n);
        let main_cells: Vec<&SigmaCell> = sigma_cells.iter().collect();
        let at_n: Vec<&SigmaCell> = at_n_cells.iter().collect();
        let of = |kind: RunKind| -> Vec<&Trajectory> {
            runs.iter().filter(|r| r.kind == kind).collect()
        };
        let (main, mean_loss, wrong) = (
            of(RunKind::Main),
            of(RunKind::MeanLoss),
            of(RunKind::WrongGradient),
        );

        let (c_width, width_fit) = width_exponent_criterion(&scans);
        let criteria = vec![
            band_criterion(&main_cells, n, base.lambda_min),
            isometry_criterion(&main_cells, base.lambda_min),
            c_width,
            localisation_criterion(&main),
            rate_criterion(&main),
            pl_criterion(&main),
        ];
        let controls = vec![
            Control::new(
                "kernel-unit-variance",
                "the prediction sqrt(d1 lambda_min(K_inf)) with K_inf computed at \
                 pre-activation variance 1 instead of 1/d0",
                band_criterion(&main_cells, n, unit_lambda_min),
            ),
            Control::new(
                "width-at-n",
                &format!(
                    "d1 = n = {n}: the square feature matrix has mu0 > 0 but lies below the \
                     near-isometry threshold"
                ),
                isometry_criterion(&at_n, base.lambda_min),
            ),
            Control::new(
                "mean-loss-gradient",
                "GD with the gradient of h / n and the step and guarantee of h, from the main \
                 run's initialisation at the widest width (seed 0)",
                rate_criterion(&mean_loss),
            ),
            Control::new(
                "wrong-gradient",
                "GD with grad_V h = R Phi^T instead of 2 R Phi^T, from the main run's \
                 initialisation at the widest width (seed 0): the PL ratio of the gradient used \
                 is a quarter of the true one",
                pl_criterion(&wrong),
            ),
        ];

        let tables = evidence_tables(EvidenceInputs {
            base: &base,
            unit_lambda_min,
            kinf_route_gap,
            sigma_cells: &sigma_cells,
            at_n_cells: &at_n_cells,
            runs: &runs,
            scans: &scans,
            width_fit,
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
                "Training loss of constant-step GD against its guarantee (seed 0)",
                "trajectory",
                ("step", "GD step"),
                (&["loss", "bound"], "loss h and (1 - eta mu0^2)^t h_0 (log scale)"),
            )
            .log_y()
            .filter("seed", 0usize)
            .filter("run", "main")
            .group_by("d1")
            .caption(format!("n = {n}; linear convergence appears as a straight line")),
        ];
        Ok(Outcome::new(criteria, controls, tables)
            .with_plots(plots)
            .with_headline("linear-rate"))
    }
}

/// Measured run time (see the README's seed-sweep table).
const RUNTIME: &str = "quick: 3.2 s of CPU per master seed single-threaded (RAYON_NUM_THREADS=1, \
     measured; 12-84 s wall, median 19 s, in the 100-seed sweep on the shared 2-core machine \
     under load), about 80% of it the constant-step trajectories at d1 = 2n and 8n; full (n = \
     64, trajectories at d1 = 2n and 16n = 1024 over 5 seeds, 25-draw width scans): 114 s of \
     CPU single-threaded at master seed 0 (measured; 20 minutes wall under load), dominated \
     by the five trajectories at d1 = 1024";

/// Points of the 1-D Gauss–Hermite rule; K_inf uses its 60 x 60 tensor product (the paper
/// note's choice). For GELU at pre-activation variance 1/d0 the integrand is entire and the
/// rule is converged far below the 1e-3 relative effects the criteria resolve (property test
/// `kinf_quadrature_matches_mehler_series`).
const GH_POINTS: usize = 60;

/// Relative loss reduction that counts as reaching a global minimum: h_T <= 1e-8 h_0 (h_0 ~ 2
/// here, so |R| ~ 1e-4, still 10 orders above rounding of R).
const TARGET_RATIO: f64 = 1e-8;

/// Residual bound for every decomposition (thin SVD reconstruction and orthogonality, Gram
/// trace invariant, Golub–Welsch): backward-stable solvers give O(sqrt(mn) eps) <= 1e-13 at
/// these sizes; a larger residual makes the run an error, not a verdict.
const RESIDUAL_BOUND: f64 = 1e-12;

/// Per-iterate rounding allowance of the PL ratio, in units of eps: lambda_min of the n x n
/// Gram matrix carries an absolute error ~ n eps lambda_max (relative n eps kappa^2 for
/// sigma_min^2) and ||R Phi^T||^2 a relative error ~ d1 eps kappa; 8 (n kappa^2 + d1 kappa)
/// eps bounds both with a margin of 8.
const PL_ROUNDING_UNITS: f64 = 8.0;

/// A run stops once a step decays at less than this fraction of the guaranteed rate, or the PL
/// ratio of the gradient used falls below it: the criterion it feeds has then failed by a
/// factor 2, and the rest of the run cannot change that (the controls end here).
const STOP_DECAY: f64 = 0.5;

/// Every this-many steps a trajectory sample is written to trajectory.csv (the criteria use
/// every step; the table is for plotting).
const TRAJECTORY_STRIDE: usize = 25;

/// Degree of the Mehler series behind the width scan's K_inf and the control's. The normalised
/// Hermite coefficients of GELU at pre-activation variance 1/16 decay faster than
/// (1/16)^{t/2}, so the truncation is below 1e-15 of lambda_max long before t = 40; at the
/// control's variance 1 they decay like 2^{-t/2} (a Gaussian-smoothed ReLU), a truncation
/// ~1e-12 relative, far below the factor 10 by which that control misses.
const MEHLER_DEGREE: usize = 40;

/// Smallest width, in units of n, of the band criterion: below 16n the ratio is still < 0.9
/// (the paper note's edge effect), where the band's lower end is loose anyway.
const BAND_MIN_MULTIPLE: usize = 16;

/// The width scan's input dimension, fixed for every n (no imposed d0(n)): n = 8..96 stays
/// below d0 (d0 + 1) / 2 = 136, the dimension of the symmetric square of R^d0, where the
/// Khatri–Rao square of X (which carries lambda_min(K_inf) once n > d0) is generically of full
/// rank.
const SCAN_D0: usize = 16;

/// The scan's grid ends at d1 = n 2^{SCAN_STEPS / 4} = 16 n.
const SCAN_STEPS: usize = 16;
