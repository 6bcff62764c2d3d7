//! Zhou, Ge & Jin (COLT 2021, arXiv:2102.02410): local convergence of mildly
//! over-parameterised two-layer ReLU networks, with the sharp rate of Xu & Du (COLT 2023,
//! arXiv:2302.10034).
//!
//! Teacher: m* = 3 orthonormal ReLU neurons with output weights 1 under Gaussian input;
//! student: m >= m* neurons, both layers trained by plain gradient descent on the closed-form
//! population loss L = 1/2 E[(f - f*)^2], started near the teacher (recipe R-ZGJ of
//! ../shared/papers/zhou-ge-jin-2021.md). Measured:
//! - the gradient inequality |grad L| >= c L^theta as an inequality at points sampled around
//!   the global minima at loss levels 1e-2 .. 1e-12 (points.rs) and along the runs: theta = 2/3
//!   with c bounded below when m > m*, PL (theta = 1/2) when m = m*;
//! - the rates: linear for m = m*, L ~ t^-p with p = 3 (Xu & Du) for m > m*, p measured with
//!   an offset-free estimator;
//! - both branches of "every student neuron converges to a teacher neuron or vanishes":
//!   clusters that align, and a neuron held by symmetry away from every teacher that vanishes;
//! - independence of the rate constant from the width over m = 6, 12, 24.

mod criteria;
mod evidence;
mod experiment;
mod points;

use criteria::*;
use evidence::*;
use experiment::*;

use crate::Cause;
use crate::{
    Claim, ClaimError, ClaimInfo, Control, ControlSpec, CriterionSpec, FalseFailure, Outcome,
    PlotSpec, Reference, RunContext,
};
use points::Family;

pub const LOCAL_CONVERGENCE_ID: &str = "zhou2021.local-convergence";

const LOJASIEWICZ_EXPONENT: CriterionSpec = CriterionSpec::evidence(
    "lojasiewicz-exponent",
    "m > m*: at split points (each cluster opened to angular offsets phi, mass-centred) the \
     local exponent theta = d ln|grad L| / d ln L between phi = 1e-2 and 1e-3 lies, for every \
     sampled geometry (measured: the one farthest from the band's centre), in \
     [(1 + 1/3.3)/2, (1 + 1/2.7)/2] = [0.6515, 0.6852]: the image of the rate band p in \
     [2.7, 3.3] under theta = (1 + 1/p)/2 (p = 3: theta = 2/3; PL is 1/2)",
)
.between(THETA_BAND.0, THETA_BAND.1);

const LOJASIEWICZ_CONSTANT: CriterionSpec = CriterionSpec::evidence(
    "lojasiewicz-constant",
    "m > m*: |grad L| >= c L^(2/3) with one c at every point: the smallest |grad L| / L^(2/3) \
     over the sampled points (split, mixed and generic families, widths 6 and 12, L from 1e-2 \
     down to 1e-11) and the GD iterates of the last decade must be at least the constant that \
     alone certifies L(T) < 1e-6, since L(tau) <= (3 / (c^2 tau))^3 with tau = lr T",
)
.computed("sqrt(3 / (lr T ZERO_LOSS^(1/3))): 0.548 at T = 2e4, 0.245 at T = 1e5");

const EXACT_PL_CONSTANT: CriterionSpec = CriterionSpec::evidence(
    "exact-pl-constant",
    "m = m*: PL, |grad L| >= c L^(1/2) with one c: the smallest |grad L| / L^(1/2) over \
     sampled perturbations of the teacher (L from 1e-4 to 1e-12) and the GD iterates above the \
     rounding floor must be at least the constant that alone certifies L < 1e-12 within 1e4 \
     steps from L0 <= 0.1, since L(tau) <= L0 exp(-c^2 tau)",
)
.computed("sqrt(ln(0.1 / 1e-12) / (lr 1e4)) = 0.2251");

const EXACT_LINEAR_STEPS: CriterionSpec = CriterionSpec::evidence(
    "exact-linear-steps",
    "m = m*: the first logged step with L < 1e-12 is <= 1e4 for every seed (a t^-3 law from \
     L(100) = 1e-4 is still at 1e-10 there)",
)
.at_most(EXACT_HORIZON as f64);

const EXACT_LINEAR_RATE: CriterionSpec = CriterionSpec::evidence(
    "exact-linear-rate",
    "m = m*: in the asymptotic window 1e-13 < L < 1e-8 (fast modes gone) the inverse decay \
     rate g = -1 / (d ln L / dt) is constant: its slope dg/dt <= 0.05 for every seed (a linear \
     rate gives 0, L ~ t^-p gives 1/p: 1/3 for Xu & Du, 0.05 only for p >= 20)",
)
.at_most(EXACT_DG_MAX);

const REACHES_ZERO: CriterionSpec = CriterionSpec::evidence(
    "overparam-reaches-zero",
    "m > m*: L(T) < 1e-6 for every width and seed (t^-3 from the note's reference L(2e5) ~ \
     4e-11 predicts ~4e-8 at T = 2e4; a stalled run, m < m*, stays above 1e-2)",
)
.less_than(ZERO_LOSS);

const RATE_EXPONENT: CriterionSpec = CriterionSpec::evidence(
    "rate-exponent",
    "m > m*: L ~ (t + t0)^-p with p from the offset-free estimator (g = -1 / (d ln L / dt) is \
     (t + t0) / p, so p = 1 / slope of g over [T/10, T]); every run's p (measured: the one \
     farthest from the band's centre) lies in [2.7, 3.3]: Xu & Du's Theta(t^-3), 10% for \
     discretisation and the approach to the asymptote",
)
.between(RATE_BAND.0, RATE_BAND.1);

const NEURONS_ALIGNED: CriterionSpec = CriterionSpec::evidence(
    "neurons-aligned",
    "every student neuron of the m >= m* runs (all but the away neuron of the symmetric \
     starts) ends aligned or vanishing: its mass-weighted angle s^(2/3) phi (s = |a||w|, phi \
     to the nearest teacher) is < 0.0211: one neuron of mass s at angle phi, its cluster \
     compensating, costs L = s^2 phi^3 / (3 pi (1 - s)) >= s^2 phi^3 / (3 pi), so L < 1e-6 \
     means s^(2/3) phi < (3 pi 1e-6)^(1/3) = 0.0211",
)
.less_than(ANGLE_TOL);

const CLUSTER_MASSES: CriterionSpec = CriterionSpec::evidence(
    "cluster-masses",
    "near-teacher runs, m >= m*: the masses a_i |w_i| on each teacher direction add up to \
     a_j* |w_j*| within 3e-3 (mass errors delta cost L >= lambda_min(K*) |delta|^2 / 2, \
     lambda_min = 0.34: L < 1e-6 means |delta| < 2.4e-3)",
)
.less_than(MASS_TOL);

const AWAY_NEURON_VANISHES: CriterionSpec = CriterionSpec::evidence(
    "away-neuron-vanishes",
    "vanishing branch: a neuron held by symmetry at >= 0.955 rad from every teacher (start \
     m = 7: two per teacher plus one along -(e1 + e2 + e3)) loses its mass: the log-log slope \
     of |a||w| over [T/10, T] is <= -0.5 for every seed (alone it decays as 1/t, slope -1; a \
     neuron keeping a positive mass has slope -> 0)",
)
.at_most(VANISH_SLOPE_MAX);

const AWAY_SYMMETRY: CriterionSpec = CriterionSpec::sanity(
    "away-neuron-symmetric",
    "the away neuron keeps w_1 = w_2 = w_3 to rounding (<= 1e-12), so it cannot have aligned \
     with a teacher: the symmetry the vanishing branch relies on holds in the computation",
)
.at_most(1e-12);

const WIDTH_INDEPENDENT_RATE: CriterionSpec = CriterionSpec::evidence(
    "width-independent-rate",
    "the rate constant k (L^(-1/3) = k (t + t0), per step) does not scale with m: the 99.5% \
     interval of the slope of ln k against ln m (m = 6, 12, 24, all seeds) lies within \
     [-0.5, 0.5]. An equivalence test: a real dependence k ~ m^(+-1/2) (L(T) ~ m^(-+3/2)) \
     puts its interval inside the band with probability <= 0.25%",
)
.interval_within(-WIDTH_BAND, WIDTH_BAND);

/// The local-convergence claim.
pub struct LocalConvergence;

impl Claim for LocalConvergence {
    fn info(&self) -> ClaimInfo {
        ClaimInfo {
            id: LOCAL_CONVERGENCE_ID,
            paper: "Zhou, Ge & Jin, A Local Convergence Theory for Mildly Over-Parameterized \
                    Two-Layer Neural Network, COLT 2021 (arXiv:2102.02410); rate: Xu & Du, \
                    Over-Parameterization Exponentially Slows Down Gradient Descent for Learning \
                    a Single Neuron, COLT 2023 (arXiv:2302.10034)",
            summary: "Below a loss threshold, GD on a student with m >= m* neurons drives the \
                      loss to 0 and every student neuron to a teacher direction or to zero \
                      mass, at a rate independent of m: linear for m = m* (PL), t^-3 for m > m* \
                      (|grad L| >= c L^(2/3))",
            statement: "Teacher: m* = 3 orthonormal ReLU neurons with output weights 1, x ~ \
                        N(0, I_6), L = 1/2 E[(f - f*)^2] in closed form. Near the global minima \
                        the gradient satisfies a Lojasiewicz inequality |grad L| >= c L^theta \
                        with one c at every sampled point: theta = 2/3 when m > m* (the local \
                        exponent along split directions lies in [0.6515, 0.6852]) and theta = \
                        1/2 (PL) when m = m*. A student started near the teacher and trained by \
                        plain GD on both layers converges to zero loss: linearly when m = m*, as \
                        (t + t0)^-p with p in [2.7, 3.3] when m > m*; every neuron ends at a \
                        teacher direction with the masses on each direction adding up to the \
                        teacher's, or vanishes (a neuron held away from every teacher loses its \
                        mass); the rate constant does not scale with m (m = 6, 12, 24).",
            assumptions: &[
                "x ~ N(0, I_d), d = 6; population loss 1/2 E[(f - f*)^2] in closed form (arc-cosine kernel)",
                "ReLU activation; both layers (a, W) trained by plain GD, lr 0.05; T = 2e4 steps \
                 (quick) or 1e5 (full) for m > m*, 1e4 for m = m*",
                "teacher: m* = 3 orthonormal unit neurons, a* = 1",
                "local regime imitated by starts near the teacher (recipe R-ZGJ, initial loss \
                 ~1e-3 to 3e-2) and by points sampled around the global minima; ZGJ's own \
                 threshold is a polynomial not checked here",
                "seeds: 3 per width at quick, 6 at full; sampled points: 12 geometries per \
                 width (m = 3, 6, 12), 4 generic and 5 split sizes each",
            ],
            criteria: const {
                &[
                    LOJASIEWICZ_EXPONENT,
                    LOJASIEWICZ_CONSTANT,
                    EXACT_PL_CONSTANT,
                    EXACT_LINEAR_STEPS,
                    EXACT_LINEAR_RATE,
                    REACHES_ZERO,
                    RATE_EXPONENT,
                    NEURONS_ALIGNED,
                    CLUSTER_MASSES,
                    AWAY_NEURON_VANISHES,
                    AWAY_SYMMETRY,
                    WIDTH_INDEPENDENT_RATE,
                ]
            },
            controls: const {
                &[
                    ControlSpec::new(
                        "under-parameterised-rate",
                        "m = 2 < m* (hypothesis m >= m* violated): the loss stalls at a positive \
                         value, so its decay exponent is near 0 and rate-exponent must fail",
                    ),
                    ControlSpec::new(
                        "under-parameterised-masses",
                        "m = 2 < m*: one teacher has no student, so cluster-masses must fail \
                         with an error equal to that teacher's mass",
                    ),
                    ControlSpec::new(
                        "self-term-doubled",
                        "GD (m = 6) on a gradient with the student self-terms 1/2 a_i^2 \
                         kappa(w_i, w_i) counted twice (a double-sum bug: a penalty 1/4 sum \
                         a_i^2 |w_i|^2 on the masses): the masses on every teacher end below \
                         the teacher's, so cluster-masses must fail",
                    ),
                    ControlSpec::new(
                        "exact-is-not-cubic",
                        "m = m*: the offset-free exponent of a linearly converging run is far \
                         above 3.3 (g = 1/rho is flat), so rate-exponent must fail",
                    ),
                    ControlSpec::new(
                        "exact-exponent-is-pl",
                        "m = m*: the local exponent of generic perturbations of the teacher \
                         (eps = 1e-3 and 1e-4) is 1/2 (PL), so lojasiewicz-exponent must fail",
                    ),
                    ControlSpec::new(
                        "overparam-is-not-pl",
                        "m > m*: the PL ratio |grad L| / L^(1/2) falls like L^(1/6) along split \
                         directions and along GD, so exact-pl-constant must fail on the \
                         over-parameterised points and runs",
                    ),
                    ControlSpec::new(
                        "overparam-is-not-linear",
                        "m = 6: L < 1e-12 is not reached within 1e4 steps, so \
                         exact-linear-steps must fail",
                    ),
                    ControlSpec::new(
                        "width-dependent-step",
                        "GD with the step size divided by m / 6 (a width-dependent \
                         normalisation bug) at m = 12 and 24, against m = 6: the rate constant \
                         scales like m^-1 times the true one, so width-independent-rate must fail",
                    ),
                ]
            },
            provenance: "Confirmed from the abstract of arXiv:2102.02410 (and its COLT record, PMLR \
                         134:4577-4632; search of stored pages, 2026-12-01, found the abstract \
                         only): teacher-student two-layer network; if the loss is below a \
                         threshold polynomial in the problem parameters, every student neuron \
                         converges to one of the teacher neurons and the loss to 0, for any m >= \
                         m*, with a rate independent of m; the tool is a special case of the \
                         Lojasiewicz property, different from local strong convexity or PL. NOT \
                         confirmed (the body of the paper was not reachable): the activation, a \
                         norm regulariser or balance assumption, the threshold's polynomial, the \
                         exponent of their Lojasiewicz inequality and their rate, and the \
                         'or vanishes' branch (from the project's note, [unverified]; tested \
                         here because a neuron that cannot align must lose its mass for L -> 0). \
                         Sharp rate from the abstract of arXiv:2302.10034 (Xu & Du): one ReLU \
                         teacher neuron, Gaussian input, n >= 2 students: GD converges at \
                         O(T^-3), gradient flow is Omega(T^-3), n = 1 gives exp(-Omega(T)). \
                         Derived here: theta = (1 + 1/p)/2 (note, formula 5), the cubic split \
                         loss (note, formula 4), the certifying constants, the tolerances from \
                         L < 1e-6. Measured over master seeds 0..20 (quick): p = 2.80 to 3.01 (lowest at m = 24), \
                         the split exponents 0.665 to 0.666, the smallest |grad L| / L^(2/3) ~2 \
                         at sampled points but 0.74 to 0.75 along GD at m = 24 (the GD iterates \
                         lie on the slow manifold, which random sampling misses, so they are \
                         tested too), PL ratios 0.42 (m = 3) against 0.04 (m > 3), the away \
                         neuron's mass slope -0.84 to -0.89; the rate constant k decreases \
                         weakly with m: slope -0.29 to -0.32 over m = 6..24 (flattening: -0.45 \
                         from 6 to 9, -0.2 from 12 to 24), well inside the +-1/2 the \
                         equivalence test excludes but not 0. The vanishing branch is derived \
                         here, not taken from the paper: a single neuron off every teacher \
                         direction must have zero mass at L = 0.",
            runtime: "quick (m = 3, 6, 12, 24 and the symmetric m = 7, 3 seeds, 2e4 steps; 7 control runs; 504 sampled points): 1.7 to 2.4 s of CPU single-threaded (measured over master seeds 1..20); full (6 seeds, 1e5 steps, 9 control runs): 18 s of CPU single-threaded (93 s of wall time on the shared, loaded machine)",
            false_failure: FalseFailure::independent(
                1,
                1.0 - WIDTH_LEVEL,
                "one statistical test: the 99.5% t-interval of the width slope (alpha = \
                 0.005); every other criterion compares a worst case over seeds, points or \
                 geometries with a bound derived from the theory (rates, certifying constants, \
                 the loss reached), which a correct implementation does not fail by chance",
            ),
        }
    }

    fn run(&self, ctx: &RunContext) -> Result<Outcome, ClaimError> {
        let plan = Plan::of(ctx.profile);
        let specs = plan.specs();
        let results: Vec<RunResult> = ctx.par_cells(
            LOCAL_CONVERGENCE_ID,
            &specs,
            |s| s.label(),
            |&s| execute(s, ctx),
        )?;
        let point_widths = [3usize, 6, 12];
        let sampled: Vec<Vec<points::Point>> = ctx.par_cells(
            LOCAL_CONVERGENCE_ID,
            &point_widths,
            |m| format!("points,m={m}"),
            |&m| points::sample(m, ctx),
        )?;
        let sampled: Vec<points::Point> = sampled.into_iter().flatten().collect();
        let exact_points: Vec<points::Point> =
            sampled.iter().copied().filter(|p| p.m == 3).collect();
        let over_points: Vec<points::Point> = sampled.iter().copied().filter(|p| p.m > 3).collect();

        let groups = groups(&results);
        let select = |start: Start, v: Variant, pred: &dyn Fn(usize) -> bool| -> Vec<&Group> {
            groups
                .iter()
                .filter(|g| g.start == start && g.variant == v && pred(g.m))
                .collect()
        };
        use {Start::*, Variant::*};
        let exact = select(NearTeacher, Base, &|m| m == 3);
        let over = select(NearTeacher, Base, &|m| m > 3);
        let recovered = select(NearTeacher, Base, &|m| m >= 3);
        let away = select(AwayNeuron, Base, &|_| true);
        let aligned: Vec<&Group> = recovered.iter().chain(&away).copied().collect();

        let criteria = vec![
            exponent_criterion(&over_points, Family::Split, EXPONENT_PAIR),
            constant_criterion(&over_points, &over, plan.steps),
            pl_criterion(&exact_points, &exact),
            exact_steps_criterion(&exact),
            exact_rate_criterion(&exact),
            reaches_zero_criterion(&over),
            rate_exponent_criterion(&over),
            alignment_criterion(&aligned),
            mass_criterion(&recovered),
            vanish_criterion(&away),
            symmetry_criterion(&away),
            width_criterion(&over),
        ];

        let missing =
            |what: &str| ClaimError::at("controls", Cause::Missing(format!("no {what} runs")));
        let one = |v: Vec<&'_ Group<'_>>, what: &str| -> Result<(), ClaimError> {
            if v.is_empty() {
                Err(missing(what))
            } else {
                Ok(())
            }
        };
        let under = select(NearTeacher, Base, &|m| m == 2);
        one(under.clone(), "m = 2")?;
        let doubled = select(NearTeacher, SelfTermDoubled, &|_| true);
        one(doubled.clone(), "self-term-doubled")?;
        let six = select(NearTeacher, Base, &|m| m == 6);
        one(six.clone(), "m = 6")?;
        // the width-scaled step equals the base step at m = 6: those base runs (the control's
        // seeds) are the m = 6 arm of the buggy family
        let six_control = Group {
            start: NearTeacher,
            variant: WidthScaledStep,
            m: 6,
            runs: six[0]
                .runs
                .iter()
                .copied()
                .filter(|r| r.spec.seed < plan.control_seeds)
                .collect(),
        };
        let mut scaled = vec![&six_control];
        scaled.extend(select(NearTeacher, WidthScaledStep, &|_| true));
        one(scaled.clone(), "width-scaled-step")?;

        let controls = vec![
            Control::new(
                "under-parameterised-rate",
                "student with m = 2 < m* = 3 neurons (hypothesis m >= m* violated): the loss \
                 stalls at a positive value, so it has no t^-3 law",
                rate_exponent_criterion(&under),
            ),
            Control::new(
                "under-parameterised-masses",
                "student with m = 2 < m* = 3 neurons: the third teacher direction has no student",
                mass_criterion(&under),
            ),
            Control::new(
                "self-term-doubled",
                "GD on a gradient with the self-terms 1/2 a_i^2 kappa(w_i, w_i) counted twice \
                 (a double-sum bug), m = 6, same starts as the base runs: a penalty on a_i^2 \
                 |w_i|^2 that pulls every cluster mass below the teacher's",
                mass_criterion(&doubled),
            ),
            Control::new(
                "exact-is-not-cubic",
                "m = m*: the offset-free exponent of a linearly converging run (its g = 1/rho \
                 is flat, so 1/slope is large or negative)",
                rate_exponent_criterion(&exact),
            ),
            Control::new(
                "exact-exponent-is-pl",
                "m = m*: local exponents of generic perturbations of the teacher, where PL \
                 (theta = 1/2) holds",
                exponent_criterion(&exact_points, Family::Generic, EXACT_EXPONENT_PAIR),
            ),
            Control::new(
                "overparam-is-not-pl",
                "m > m*: the PL inequality with the exactly-parameterised constant, tested at \
                 the over-parameterised points and along the over-parameterised runs",
                pl_criterion(&over_points, &over),
            ),
            Control::new(
                "overparam-is-not-linear",
                "m = 6 > m*: the exact-parameterised bound on the steps to 1e-12 applied to an \
                 over-parameterised run",
                exact_steps_criterion(&six),
            ),
            Control::new(
                "width-dependent-step",
                "GD with lr 6 / m at m = 12 and 24 (same starts) and m = 6 at lr: a step size \
                 that shrinks with the width divides the rate constant by m / 6",
                width_criterion(&scaled),
            ),
        ];

        let plots = vec![
            PlotSpec::new(
                "loss",
                "Population loss along gradient descent (m* = 3, seed 0)",
                "trajectory",
                ("step", "GD step t (log scale)"),
                (&["loss"], "loss L(t) (log scale)"),
            )
            .log_x()
            .log_y()
            .filter("start", "near-teacher")
            .filter("variant", "base")
            .filter("seed", 0i64)
            .group_by("m")
            .reference(Reference::power_law(
                "t^-3 (Xu & Du)",
                1e-5 * 1e3f64.powi(3),
                -3.0,
            ))
            .caption(format!(
                "d = {DIM}, step {LR}; m = 3 converges linearly, m > 3 like t^-3"
            )),
            PlotSpec::new(
                "gradient",
                "Gradient norm against loss at the sampled points (Lojasiewicz inequality)",
                "points",
                ("loss", "loss L (log scale)"),
                (&["grad_norm"], "||grad L|| (log scale)"),
            )
            .log_x()
            .log_y()
            .points()
            .group_by("family")
            .reference(Reference::power_law("L^(2/3)", 1.0, 2.0 / 3.0))
            .caption("split points follow L^(2/3) (m > m*); generic ones L^(1/2) (PL)"),
        ];
        Ok(Outcome::new(
            criteria,
            controls,
            evidence_tables(&results, &groups, &sampled),
        )
        .with_plots(plots)
        .with_headline("lojasiewicz-constant"))
    }
}

/// Input dimension of recipe R-ZGJ.
const DIM: usize = 6;

/// Standard deviation of the entrywise Gaussian noise added to each copied teacher direction
/// (recipe R-ZGJ): initial losses of order 1e-3, i.e. "already below a small threshold".
const INIT_NOISE: f64 = 0.05;

/// Mass shares u_i ~ U(0.8, 1.2) before normalisation within each cluster (recipe R-ZGJ), so
/// that the duplicated neurons carry unequal masses.
const SHARE_LOW: f64 = 0.8;

const SHARE_WIDTH: f64 = 0.4;

/// Step size (recipe R-ZGJ): lr * lambda_max(H) ~ 0.05 * 1.2 << 1, so GD follows gradient flow.
const LR: f64 = 0.05;

/// Log-grid density: 40 points per decade, so that finite differences of ln L between
/// neighbours (a factor 10^(1/40) = 1.06 in t) resolve the local decay rate.
const POINTS_PER_DECADE: u32 = 40;

/// Cancellation floor of the quadratic-form loss: rounding leaves |L| ~ 1e-16 * (teacher energy
/// ~ 1.2), observed <= 5e-16; points below 1e-13 (relative error > 0.5%) are never used.
const LOSS_FLOOR: f64 = 1e-13;

/// The exact-parameterised loss must reach 1e-12 ...
const EXACT_TARGET: f64 = 1e-12;

/// ... within 1e4 steps (also the length of the m = m* runs). Measured: ~2e3 to 3e3 steps; a
/// t^-3 law, even started at L(100) = 1e-4, is still at 1e-10 at step 1e4.
const EXACT_HORIZON: u64 = 10_000;

/// Window of the exact-parameterised rate: the fast modes (decay rates several times the
/// slowest one) are below 1e-8 relative to the slow one by the time L < 1e-8 from L0 ~ 1e-2.
const EXACT_WINDOW: (f64, f64) = (LOSS_FLOOR, 1e-8);

/// Largest slope dg/dt of the inverse decay rate for a linear rate: 0 in theory; a power law
/// t^-p has 1/p, so 0.05 excludes every p < 20.
const EXACT_DG_MAX: f64 = 0.05;

/// Upper bound on the initial losses of the runs (measured 1e-3 to 3e-2), for the PL constant
/// that certifies the exact-parameterised target.
const START_LOSS_MAX: f64 = 0.1;

/// Over-parameterised runs must end below 1e-6 (t^-3 from the reference predicts ~4e-8 at
/// T = 2e4, measured up to 1.1e-7 at m = 24); a stalled run (m < m*) stays above 1e-2.
const ZERO_LOSS: f64 = 1e-6;

/// Band for the offset-free exponent p of L ~ (t + t0)^-p: Xu & Du's Theta(t^-3) (and the
/// Omega(T^-3) lower bound for gradient flow), +-10% for discretisation and the approach to
/// the asymptote at finite T (measured 2.83 to 3.01).
const RATE_BAND: (f64, f64) = (2.7, 3.3);

/// The rate band mapped to the Lojasiewicz exponent: theta = (1 + 1/p) / 2.
const THETA_BAND: (f64, f64) = (
    (1.0 + 1.0 / RATE_BAND.1) / 2.0,
    (1.0 + 1.0 / RATE_BAND.0) / 2.0,
);

/// Tolerance on the mass-weighted angle s^(2/3) phi. A neuron of mass s at angle phi from its
/// teacher, the rest of its cluster (mass 1 - s) compensating so that the mass-weighted mean
/// direction stays on the teacher, costs L = s^2 phi^3 / (3 pi (1 - s)) to leading order (the
/// theta^3 / (6 pi) term of kappa; the quadratic terms cancel), so L < ZERO_LOSS means
/// s^(2/3) phi < (3 pi ZERO_LOSS)^(1/3) = 0.0211. A unit-mass neuron off every teacher is at
/// >= 0.5 rad; a vanishing one has s -> 0.
const ANGLE_TOL: f64 = 0.0211;

/// Mass tolerance: with aligned neurons, f - f* = sum_j delta_j relu(v_j . x) and
/// L >= lambda_min(K*) |delta|^2 / 2, lambda_min = 1/2 - 1/(2 pi) = 0.34, so L < ZERO_LOSS
/// means |delta| < 2.4e-3. A teacher neuron without students has an error equal to its mass, 1.
const MASS_TOL: f64 = 3e-3;

/// Width of the symmetric start: two neurons per teacher and the away neuron.
const AWAY_WIDTH: usize = 7;

/// Initial mass of the away neuron (a = |w| = sqrt(0.05)): the start's loss stays ~1e-2.
const AWAY_MASS: f64 = 0.05;

/// Standard deviation of the away neuron's components on e_4..e_6 (its direction is
/// -(e1 + e2 + e3) plus these).
const AWAY_TILT: f64 = 0.5;

/// Largest log-log slope of the away neuron's mass over [T/10, T]. Alone (the other neurons
/// exact) its balanced a = |w| = s obeys ds/dtau = -s^3 / 2, so the mass s^2 ~ 1/tau: slope
/// -1 (measured -0.89 to -0.98: the clusters absorb a little of its function); a neuron that
/// keeps a positive mass has slope -> 0. -1/2 sits halfway.
const VANISH_SLOPE_MAX: f64 = -0.5;

/// Band for the slope of ln k against ln m (an equivalence test): a width dependence as strong
/// as m^(+-1/2) has its interval inside [-0.5, 0.5] only when the estimate falls short of the
/// truth by the interval's half-width, probability <= (1 - WIDTH_LEVEL) / 2. Measured at seeds
/// 0..20: estimates -0.29 to -0.32, lower ends >= -0.422 (half-width ~0.09, dominated by the
/// curvature of ln k in ln m: local slopes -0.45 (6 to 9), -0.33 (9 to 12), -0.21 (12 to 24)).
const WIDTH_BAND: f64 = 0.5;

/// Level of the width-slope interval (the claim's only statistical test, alpha = 0.005).
const WIDTH_LEVEL: f64 = 0.995;

/// Geometries sampled per width and family.
const POINT_GEOMETRIES: usize = 12;

/// Sizes (Euclidean norm of the perturbation of all parameters) of the generic family.
const GENERIC_SIZES: &[f64] = &[1e-2, 1e-3, 1e-4, 1e-5];

/// Largest angular offsets phi of the split family (L from ~1e-4 down to ~1e-10).
const SPLIT_SIZES: &[f64] = &[1e-1, 3e-2, 1e-2, 3e-3, 1e-3];

/// Size of the mixed family's perturbation relative to phi^2.
const MIXED_REL: f64 = 0.1;

/// Sizes between which the split family's local exponent is taken.
const EXPONENT_PAIR: (f64, f64) = (1e-2, 1e-3);

/// Sizes between which the exact-parameterised generic exponent is taken (PL control).
const EXACT_EXPONENT_PAIR: (f64, f64) = (1e-3, 1e-4);

#[cfg(test)]
mod tests {
    use overparam_kernel::{PopulationLoss, SeedPath, TwoLayerNet, align, cluster_masses};

    use super::*;

    /// The bands are typed once; the prose that quotes them is checked against the constants.
    #[test]
    fn the_prose_quotes_the_bands() {
        let info = LocalConvergence.info();
        assert!(
            info.statement
                .contains(&format!("[{}, {}]", RATE_BAND.0, RATE_BAND.1))
        );
        let theta = format!("[{:.4}, {:.4}]", THETA_BAND.0, THETA_BAND.1);
        assert!(
            info.statement.contains(&theta),
            "statement must quote {theta}"
        );
        assert!(LOJASIEWICZ_EXPONENT.doc.contains(&theta));
        assert!((THETA_BAND.0 - 0.651_515_151_5).abs() < 1e-9);
        assert!((THETA_BAND.1 - 0.685_185_185_2).abs() < 1e-9);
        assert!(THETA_BAND.0 < 2.0 / 3.0 && 2.0 / 3.0 < THETA_BAND.1);
    }

    /// The computed thresholds are the numbers the specs print.
    #[test]
    fn computed_thresholds_match_their_text() {
        assert!((lojasiewicz_constant_needed(20_000) - 0.548).abs() < 5e-4);
        assert!((lojasiewicz_constant_needed(100_000) - 0.245).abs() < 5e-4);
        assert!((pl_constant_needed() - 0.2251).abs() < 5e-5);
        let text = |s: CriterionSpec| match s.rule {
            crate::Rule::Computed(how) => how,
            _ => panic!("{} is not computed", s.name),
        };
        assert!(text(LOJASIEWICZ_CONSTANT).contains("0.548"));
        assert!(text(EXACT_PL_CONSTANT).contains("0.2251"));
    }

    #[test]
    fn near_teacher_start_is_balanced_with_exact_masses() {
        let teacher = teacher();
        for m in [2, 3, 6, 7, 12, 24] {
            let mut rng = SeedPath::new(0, "test", "init", m as u64).rng();
            let s = near_teacher_student(m, &mut rng);
            assert_eq!(s.width(), m);
            let al = align(&s, &teacher);
            for n in &al {
                assert!((n.a.abs() - n.w_norm).abs() < 1e-14);
                assert!(n.angle.unwrap() < 0.5);
            }
            let masses = cluster_masses(&al, 3);
            for (j, mass) in masses.iter().enumerate().take(m.min(3)) {
                assert!((mass - 1.0).abs() < 1e-14, "m={m} j={j}");
            }
        }
    }

    /// The symmetric start is invariant under the permutations of e_1, e_2, e_3 (which permute
    /// the clusters), and its away neuron lies on w_1 = w_2 = w_3 at >= arccos(1/sqrt 3) from
    /// every teacher.
    #[test]
    fn symmetric_start_is_permutation_invariant() {
        let mut rng = SeedPath::new(3, "test", "away", 0).rng();
        let s = symmetric_start(2, &mut rng);
        assert_eq!(s.width(), AWAY_WIDTH);
        let away = s.neuron(6);
        assert!(away[0] == away[1] && away[1] == away[2] && away[0] < 0.0);
        let al = align(&s, &teacher());
        assert!(al[6].angle.unwrap() >= (1.0f64 / 3f64.sqrt()).acos());
        // swapping e_1 and e_2 maps cluster 1 onto cluster 2 (neurons 0, 1 onto 2, 3)
        for k in 0..2 {
            let (u, v) = (s.neuron(k), s.neuron(2 + k));
            assert_eq!((u[0], u[1], u[2]), (v[1], v[0], v[2]));
            assert_eq!(&u[3..], &v[3..]);
            assert_eq!(s.a()[k], s.a()[2 + k]);
        }
    }

    /// The cubic term of kappa: two equal neurons at +-phi about a unit teacher (mass 1/2 each)
    /// cost (2 phi)^3 / (48 pi) to leading order, as the angle tolerance assumes.
    #[test]
    fn split_cluster_loss_is_cubic_in_the_angle() {
        let teacher = TwoLayerNet::new(vec![1.0], &[vec![1.0, 0.0]]).unwrap();
        let loss = PopulationLoss::new(teacher);
        for phi in [1e-3f64, 2e-3, 5e-3] {
            let s = 0.5f64.sqrt();
            let student = TwoLayerNet::new(
                vec![s, s],
                &[
                    vec![s * phi.cos(), s * phi.sin()],
                    vec![s * phi.cos(), -s * phi.sin()],
                ],
            )
            .unwrap();
            let predicted = (2.0 * phi).powi(3) / (48.0 * std::f64::consts::PI);
            let l = loss.loss(&student).unwrap();
            assert!(
                (l / predicted - 1.0).abs() < 0.05,
                "phi={phi}: {l} vs {predicted}"
            );
        }
    }

    /// One neuron of mass s at angle phi, its partner (mass 1 - s) at -s phi / (1 - s): the
    /// loss is s^2 phi^3 / (3 pi (1 - s)) to leading order, and ANGLE_TOL is (3 pi 1e-6)^(1/3).
    #[test]
    fn outlier_neuron_loss_is_the_tolerance_s_formula() {
        let teacher = TwoLayerNet::new(vec![1.0], &[vec![1.0, 0.0]]).unwrap();
        let loss = PopulationLoss::new(teacher);
        for (s, phi) in [(0.2f64, 1e-2f64), (0.5, 3e-3), (0.05, 2e-2)] {
            let back = -s * phi / (1.0 - s);
            let (p, q) = (s.sqrt(), (1.0 - s).sqrt());
            let student = TwoLayerNet::new(
                vec![p, q],
                &[
                    vec![p * phi.cos(), p * phi.sin()],
                    vec![q * back.cos(), q * back.sin()],
                ],
            )
            .unwrap();
            let predicted = s * s * phi.powi(3) / (3.0 * std::f64::consts::PI * (1.0 - s));
            let l = loss.loss(&student).unwrap();
            assert!(
                (l / predicted - 1.0).abs() < 0.05,
                "s={s}: {l} vs {predicted}"
            );
        }
        let tol = (3.0 * std::f64::consts::PI * ZERO_LOSS).cbrt();
        assert!((ANGLE_TOL - tol).abs() < 1e-4, "{tol}");
    }

    /// The value farthest from the band's centre decides, and NaN propagates.
    #[test]
    fn farthest_value_decides_the_band() {
        assert_eq!(farthest_from_centre(&[2.9, 3.2, 2.75], (2.7, 3.3)), 2.75);
        assert!(farthest_from_centre(&[2.9, f64::NAN], (2.7, 3.3)).is_nan());
        assert!(farthest_from_centre(&[], (2.7, 3.3)).is_nan());
    }

    #[test]
    fn extremes_propagate_nan() {
        assert_eq!(nan_max([1.0, 3.0, 2.0]), 3.0);
        assert_eq!(nan_min([1.0, 3.0, 2.0]), 1.0);
        assert!(nan_max([1.0, f64::NAN, 2.0]).is_nan());
        assert!(nan_min([f64::NAN, 1.0]).is_nan());
        assert!(nan_max([]).is_nan());
    }

    /// The offset-free estimator recovers p from an exact power law with an offset, and gives
    /// dg/dt = 0 for an exponential.
    #[test]
    fn inverse_rate_slope_is_offset_free() {
        let grid = overparam_kernel::log_grid(20_000, POINTS_PER_DECADE);
        let make = |f: &dyn Fn(f64) -> f64| -> Vec<overparam_kernel::TrajectoryPoint> {
            grid.iter()
                .map(|&t| overparam_kernel::TrajectoryPoint {
                    step: t,
                    loss: f(t as f64),
                    grad_norm: 1.0,
                })
                .collect()
        };
        let power = make(&|t| 1e3 * (t + 1800.0).powf(-3.0));
        let slope = inverse_rate_slope(&power, |p| p.step >= 2000);
        assert!((1.0 / slope - 3.0).abs() < 1e-3, "p = {}", 1.0 / slope);
        let exp = make(&|t| (-0.01 * t).exp());
        let flat = inverse_rate_slope(&exp, |p| p.loss > 1e-13 && p.step > 100);
        assert!(flat.abs() < 1e-6, "dg/dt = {flat}");
    }
}
