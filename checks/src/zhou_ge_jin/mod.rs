//! Zhou, Ge & Jin (COLT 2021, arXiv:2102.02410): local convergence of mildly
//! over-parameterised two-layer ReLU networks, with the sharp rate of Xu & Du (COLT 2023,
//! arXiv:2302.10034).
//!
//! Teacher: m* = 3 ReLU neurons with positive output weights under Gaussian input; student:
//! m >= m* neurons, both layers trained by plain gradient descent on the closed-form population
//! loss L = 1/2 E[(f - f*)^2] (crate::kernel), started near the teacher (recipe R-ZGJ of
//! ../shared/papers/zhou-ge-jin-2021.md). Measured: the exact-parameterised linear rate, the
//! over-parameterised T^-3 rate (log-log slope over the last decade, t-interval over seeds), the
//! gradient inequality |grad L| >= c L^theta, recovery of the teacher neurons, and the
//! independence of the rate from the width.

mod criteria;
mod evidence;
mod experiment;

use criteria::*;
use evidence::*;
use experiment::*;

use crate::Cause;
use crate::{
    Claim, ClaimError, ClaimInfo, Control, ControlSpec, CriterionSpec, FalseFailure, Outcome,
    PlotSpec, Reference, RunContext,
};

pub const LOCAL_CONVERGENCE_ID: &str = "zhou2021.local-convergence";

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
            summary: "Started below a loss threshold, GD on a student with m >= m* neurons drives \
                      the loss to 0, every student neuron to a teacher direction, at a rate \
                      independent of m: linear for m = m*, T^-3 for m > m*",
            statement: "Teacher: m* = 3 ReLU neurons with positive output weights, x ~ N(0, I_6), \
                        L = 1/2 E[(f - f*)^2] in closed form. A student with m >= m* neurons \
                        started near the teacher (each teacher duplicated with noise, unequal \
                        balanced masses) and trained by plain GD on both layers converges to zero \
                        loss: linearly when m = m*, and as T^-3 (log-log slope in [-3.3, -2.4] \
                        over the last decade) when m > m*; along the way |grad L| >= c L^theta \
                        with theta in the band the rate implies (about 2/3); every non-vanishing \
                        student neuron ends at a teacher direction and the masses on each teacher \
                        direction add up to the teacher's; the rate does not depend on m.",
            assumptions: &[
                "x ~ N(0, I_d), d = 6; population loss 1/2 E[(f - f*)^2] in closed form (arc-cosine kernel)",
                "ReLU activation; both layers (a, W) trained by plain GD, lr 0.05, T = 2e5 steps",
                "teacher: m* = 3 unit neurons, orthonormal with a* = 1 (full profile also: pairwise \
                 angles pi/3, a* = 1, 0.8, 1.2)",
                "local regime imitated by initialisation near the teacher (recipe R-ZGJ, initial \
                 loss ~1e-3); ZGJ's own threshold is a polynomial not checked here",
                "seeds: 4 per width at quick, 8 at full; 95% t-intervals over seeds",
            ],
            criteria: const {
                &[
                    CriterionSpec::evidence(
                        "exact-linear-steps",
                        "m = m*: the first logged step with L < 1e-12 is <= 1e4 for every seed (a cubic law from L(100) = 1e-4 is still at 1e-10 there)",
                    ),
                    CriterionSpec::evidence(
                        "exact-linear-fit",
                        "m = m*: log L is affine in t over the tail 1e-12 < L < 1e-6: smallest R^2 over seeds >= 0.99",
                    ),
                    CriterionSpec::evidence(
                        "overparam-reaches-zero",
                        "m > m*: L(T) < 1e-8 for every width and seed (T^-3 predicts ~5e-11)",
                    ),
                    CriterionSpec::evidence(
                        "rate-at-least-cubic",
                        "m > m*: upper end of the 95% t-interval (over seeds) of the log-log slope of L over [T/10, T] <= -2.4",
                    ),
                    CriterionSpec::evidence(
                        "rate-at-most-cubic",
                        "m > m*: lower end of that interval >= -3.3 (Xu-Du: no faster than T^-3; sub-linear, not exponential)",
                    ),
                    CriterionSpec::evidence(
                        "gradient-exponent-low",
                        "m > m*: |grad L| = c L^theta fitted over the last two decades; lower end of the t-interval of theta >= 0.652 (= (1 + 1/3.3)/2)",
                    ),
                    CriterionSpec::evidence(
                        "gradient-exponent-high",
                        "m > m*: upper end of the t-interval of theta <= 0.708 (= (1 + 1/2.4)/2)",
                    ),
                    CriterionSpec::evidence(
                        "neurons-aligned",
                        "every student neuron with |a_i| |w_i| >= 1e-3 ends within 5e-3 rad of a teacher direction (all m >= m*, seeds)",
                    ),
                    CriterionSpec::evidence(
                        "cluster-masses",
                        "the masses a_i |w_i| assigned to each teacher add up to a_j* |w_j*| within 1e-4",
                    ),
                    CriterionSpec::evidence(
                        "width-independent-slope",
                        "the Welch 95% interval of the difference of mean last-decade slopes lies within +-0.3 for every pair of widths m > m*",
                    ),
                    CriterionSpec::evidence(
                        "width-independent-loss",
                        "largest / smallest geometric-mean L(T) over widths m > m* <= 5",
                    ),
                ]
            },
            controls: const {
                &[
                    ControlSpec::new(
                        "under-parameterised-rate",
                        "m = 2 < m*: the loss stalls at a positive value, so rate-at-least-cubic must fail",
                    ),
                    ControlSpec::new(
                        "under-parameterised-masses",
                        "m = 2 < m*: one teacher has no student, so cluster-masses must fail",
                    ),
                    ControlSpec::new(
                        "self-term-dropped",
                        "GD (m = 6) on the gradient of the loss without the kernel self-terms 1/2 a_i^2 kappa(w_i, w_i) (deliberately wrong): overparam-reaches-zero must fail",
                    ),
                    ControlSpec::new(
                        "exact-is-not-cubic",
                        "m = m*: the log-log slope over 1e-10 < L < 1e-4 is far steeper than -3.3, so rate-at-most-cubic must fail",
                    ),
                    ControlSpec::new(
                        "exact-exponent-is-pl",
                        "m = m*: theta fitted over 1e-13 < L < 1e-4 is about 1/2 (PL), so gradient-exponent-low must fail",
                    ),
                    ControlSpec::new(
                        "overparam-is-not-linear",
                        "m = 6: L < 1e-12 is not reached within 1e4 steps, so exact-linear-steps must fail",
                    ),
                    ControlSpec::new(
                        "width-dependent-step",
                        "m = 12 trained with lr/2 (a width-dependent step-size bug) against m = 6 at lr: width-independent-loss must fail",
                    ),
                ]
            },
            provenance: "Confirmed from the abstract of arXiv:2102.02410 (and its COLT record, PMLR \
                         134:4577-4632): teacher-student two-layer network; if the loss is below a \
                         threshold polynomial in the problem parameters, every student neuron \
                         converges to one of the teacher neurons and the loss to 0, for any m >= \
                         m*, with a rate independent of m; the tool is a special case of the \
                         Lojasiewicz property, different from local strong convexity or PL. NOT \
                         confirmed (the body of the paper was not reachable): the exact activation \
                         (ReLU, absolute value or its even part), whether a norm regulariser or \
                         balance assumption is used, the threshold's polynomial, the exponent of \
                         their Lojasiewicz inequality and the rate it gives. The check therefore \
                         tests the abstract's qualitative claims plus the sharp rate of Xu & Du, \
                         confirmed from the abstract of arXiv:2302.10034: ReLU, Gaussian input, \
                         square loss, one teacher neuron, n >= 2 students: GD converges at \
                         O(T^-3), gradient flow is Omega(T^-3), n = 1 gives exp(-Omega(T)) \
                         (whether their students train output weights is unconfirmed). The \
                         slope band, the exponent band theta = (1 + 1/p)/2, the angle and mass \
                         tolerances are derived here (doc comments in checks/src/zhou_ge_jin.rs); \
                         the initialisation and reference numbers are recipe R-ZGJ of the \
                         project's paper note ([computed]); reproduced here at master seed 0: \
                         L(T) = 3.9e-11 (m = 6) and 9.3e-11 (m = 12) against 3.7e-11 and 9.1e-11, \
                         last-decade slopes -2.91 and -2.87 against -2.83 and -2.86, theta 0.667 \
                         and 0.669 against 0.668, largest angles 7e-4 and 1.3e-3 rad as in the \
                         note, m = m* at L < 1e-12 by step 1778 to 2610 against 2136. Fitting \
                         L = C (t + t0)^-p over the last two decades gives p = 2.99 (m = 6), 2.96 \
                         (m = 12), 2.91 (m = 24): close to Xu & Du's 3, drifting down slowly \
                         with m at this T (fits.csv, offset_fit_exponent).",
            runtime: "quick (m = 3, 6, 12, 4 seeds, 2e5 steps each, plus 6 control runs): \
                      12 s of CPU, about 6 s on 2 idle cores; full (also m = 24 and the separated \
                      teacher, 8 seeds, 12 control runs): 2 min of CPU, about 1 min on 2 idle \
                      cores",
            false_failure: FalseFailure::UNDECLARED,
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
        let groups = groups(&results);
        let find = |t: TeacherKind, v: Variant, m: usize| {
            groups
                .iter()
                .find(|g| g.teacher == t && g.variant == v && g.m == m)
        };
        let base = |pred: &dyn Fn(usize) -> bool| -> Vec<&Group> {
            groups
                .iter()
                .filter(|g| g.variant == Variant::Base && pred(g.m))
                .collect()
        };
        let exact = base(&|m| m == 3);
        let over = base(&|m| m > 3);
        let recovered = base(&|m| m >= 3);

        let mut criteria = Vec::new();
        criteria.push(exact_steps_criterion(&exact));
        criteria.push(exact_fit_criterion(&exact));
        criteria.push(reaches_zero_criterion(&over));
        criteria.push(rate_upper_criterion(&over));
        criteria.push(rate_lower_criterion(&over, |r| {
            last_decade_slope(&r.trajectory)
        }));
        criteria.push(theta_low_criterion(&over, |r| {
            gradient_exponent(&r.trajectory, in_tail).0
        }));
        criteria.push(theta_high_criterion(&over));
        criteria.push(alignment_criterion(&recovered));
        criteria.push(mass_criterion(&recovered));
        criteria.push(slope_agreement_criterion(&over));
        criteria.push(loss_ratio_criterion(&over));

        let ortho = TeacherKind::Orthonormal;
        let missing =
            |what: &str| ClaimError::at("controls", Cause::Missing(format!("no {what} runs")));
        let under = find(ortho, Variant::Base, 2).ok_or_else(|| missing("m = 2"))?;
        let broken =
            find(ortho, Variant::SelfTermDropped, 6).ok_or_else(|| missing("self-term-dropped"))?;
        let half = find(ortho, Variant::HalfStep, 12).ok_or_else(|| missing("half-step"))?;
        let exact_ortho: Vec<&Group> = exact
            .iter()
            .copied()
            .filter(|g| g.teacher == ortho)
            .collect();
        let six: Vec<&Group> = base(&|m| m == 6)
            .into_iter()
            .filter(|g| g.teacher == ortho)
            .collect();
        let six_run = six.first().copied().ok_or_else(|| missing("m = 6"))?;

        let controls = vec![
            Control::new(
                "under-parameterised-rate",
                "student with m = 2 < m* = 3 neurons (hypothesis m >= m* violated): the loss \
                 stalls at a positive value, so it cannot decay like T^-3",
                rate_upper_criterion(&[under]),
            ),
            Control::new(
                "under-parameterised-masses",
                "student with m = 2 < m* = 3 neurons: the third teacher direction has no student",
                mass_criterion(&[under]),
            ),
            Control::new(
                "self-term-dropped",
                "GD with the gradient of the loss without its kernel self-terms (a deliberately \
                 wrong gradient; that objective is unbounded below), m = 6, same starts as the \
                 base runs; the final loss is the true loss, infinite if the run diverged",
                reaches_zero_criterion(&[broken]),
            ),
            Control::new(
                "exact-is-not-cubic",
                "m = m*: the same log-log slope fitted over the window 1e-10 < L < 1e-4 of a \
                 linearly converging run is much steeper than any T^-3 law",
                rate_lower_criterion(&exact_ortho, |r| window_slope(&r.trajectory, (1e-10, 1e-4))),
            ),
            Control::new(
                "exact-exponent-is-pl",
                "m = m*: theta fitted over 1e-13 < L < 1e-4 of a linearly converging run, where \
                 the PL inequality (theta = 1/2) holds",
                theta_low_criterion(&exact_ortho, |r| {
                    gradient_exponent(&r.trajectory, |p| p.loss < 1e-4).0
                }),
            ),
            Control::new(
                "overparam-is-not-linear",
                "m = 6 > m*: the exact-parameterised bound on the steps to 1e-12 applied to an \
                 over-parameterised run",
                exact_steps_criterion(&[six_run]),
            ),
            Control::new(
                "width-dependent-step",
                "m = 12 trained with lr / 2 (same starts) against m = 6 at lr: a step size that \
                 depends on the width changes the clock and L(T) by about 2^3",
                loss_ratio_criterion(&[six_run, half]),
            ),
        ];

        let plots = vec![
            PlotSpec::new(
                "loss",
                "Population loss along gradient descent (orthonormal teacher, m* = 3, seed 0)",
                "trajectory",
                ("step", "GD step t (log scale)"),
                (&["loss"], "loss L(t) (log scale)"),
            )
            .log_x()
            .log_y()
            .filter("teacher", "orthonormal")
            .filter("variant", "base")
            .filter("seed", 0i64)
            .group_by("m")
            .reference(Reference::power_law(
                "t^-3 (Xu & Du)",
                1e-5 * 1e3f64.powi(3),
                -3.0,
            ))
            .caption(format!(
                "d = {DIM}, step {LR}, {STEPS} steps; m = 3 converges linearly, m > 3 like t^-3"
            )),
            PlotSpec::new(
                "gradient",
                "Gradient norm against loss (Lojasiewicz exponent)",
                "trajectory",
                ("loss", "loss L (log scale)"),
                (&["grad_norm"], "||grad L|| (log scale)"),
            )
            .log_x()
            .log_y()
            .points()
            .filter("teacher", "orthonormal")
            .filter("variant", "base")
            .filter("seed", 0i64)
            .group_by("m")
            .reference(Reference::power_law("L^(2/3)", 1.0, 2.0 / 3.0))
            .caption("theta = 2/3 corresponds to L ~ t^-3 under gradient flow"),
        ];
        Ok(
            Outcome::new(criteria, controls, evidence_tables(&results, &groups))
                .with_plots(plots)
                .with_headline("rate-at-most-cubic"),
        )
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

/// Length of every run (recipe R-ZGJ): two decades beyond t ~ 2e3, where the T^-3 regime sets in.
const STEPS: u64 = 200_000;

/// Log-grid density: 12 points per decade, 12 points in the last decade for the slope fit.
const POINTS_PER_DECADE: u32 = 12;

/// Cancellation floor of the quadratic-form loss: rounding leaves |L| ~ 1e-16 * (teacher energy
/// ~ 1.2), observed <= 5e-16; points below 1e-13 (relative error > 0.5%) are never fitted.
const LOSS_FLOOR: f64 = 1e-13;

/// Criterion 1 target: the exact-parameterised loss must reach 1e-12 ...
const EXACT_TARGET: f64 = 1e-12;

/// ... within 1e4 steps. Measured: ~2e3 steps for the orthonormal teacher (reference draw:
/// 2136) and ~5e3 for the separated one, whose slowest linear mode is 2.4x slower (smaller
/// Hessian eigenvalue at the teacher); a T^-3 law, even started at L(100) = 1e-4, is still at
/// 1e-4 * 100^-3 = 1e-10 at step 1e4, and the over-parameterised runs are at ~4e-7.
const EXACT_HORIZON: u64 = 10_000;

/// Window of the exact-parameterised linear fit (log L against t): the tail of the run, above
/// the target and below 1e-6, where the fast modes have died out (between 1e-4 and 1e-6 the
/// decay rate still falls by ~30% towards its limit, measured on the reference draw).
const EXACT_WINDOW: (f64, f64) = (1e-12, 1e-6);

/// A linear rate makes log L affine in t (R^2 = 1 once one mode dominates); 0.99 allows the
/// residual curvature of the last 5% change in rate, while t^-3 over a window of the same
/// loss range (a factor ~10 in t) is visibly curved in t.
const EXACT_R2_MIN: f64 = 0.99;

/// Over-parameterised runs must end below 1e-8: the T^-3 law from the reference L(1e4) ~ 4e-7
/// predicts L(2e5) ~ 5e-11, a margin of 200; a stalled run (m < m*) stays above 1e-2.
const ZERO_LOSS: f64 = 1e-8;

/// Band for the log-log slope of L over [T/10, T]. Xu & Du: Theta(T^-3), so slope -3 in the
/// limit, and gradient flow cannot be faster (their Omega(T^-3) lower bound); 10% below allows
/// for seeds and discretisation. At finite T, L ~ C (t + t0)^-3 has a last-decade slope
/// -3 log((T + t0)/(T/10 + t0)) / log 10, which is above -2.4 only if t0 > 0.7 T/10 = 1.4e4:
/// the upper end demands that the run is long enough to see the cubic law.
const SLOPE_BAND: (f64, f64) = (-3.3, -2.4);

/// The gradient inequality |grad L| >= c L^theta turns into L ~ t^-p with p = 1/(2 theta - 1)
/// under gradient flow (note, formula 5); the slope band maps to theta = (1 + 1/p)/2 in
/// [0.652, 0.708], with 2/3 for the cubic law and 1/2 (PL) for a linear rate.
const THETA_BAND: (f64, f64) = (
    (1.0 + 1.0 / -SLOPE_BAND.0) / 2.0,
    (1.0 + 1.0 / -SLOPE_BAND.1) / 2.0,
);

/// The exponent theta is fitted over the last two decades of steps, where L < 1e-4 (below the
/// initial transient) and the cubic regime holds.
const THETA_TAIL_DECADES: f64 = 2.0;

/// Neurons with |a_i| |w_i| below this carry no function and have no direction to recover.
const VANISHING_MASS: f64 = 1e-3;

/// Angle tolerance. A cluster of two equal neurons at +-phi about its teacher costs
/// L = (2 phi)^3 / (48 pi) (the theta^3 / (6 pi) term of kappa; the quadratic terms cancel): at
/// the runs' L(T) ~ 1e-10 that is phi ~ 1.2e-3, and phi = 5e-3 corresponds to L ~ 6.7e-9, still
/// below ZERO_LOSS. A neuron off every teacher direction is at >= 0.5 rad.
const ANGLE_TOL: f64 = 5e-3;

/// Mass tolerance. With aligned neurons, f - f* = sum_j delta_j relu(v_j . x) and
/// L >= lambda_min(K*) |delta|^2 / 2, lambda_min = 1/2 - 1/(2 pi) = 0.34 for the orthonormal
/// teacher: L(T) ~ 1e-10 allows |delta| ~ 2.4e-5, and 1e-4 keeps a factor 4. A teacher neuron
/// without students (m < m*) has an error equal to its mass, 1.
const MASS_TOL: f64 = 1e-4;

/// Tolerance on the difference of mean last-decade slopes between two widths. The exponent is
/// the same at every width if the rate does not depend on m; finite-T slopes can still differ
/// through the offset t0 each width needs to enter the cubic regime: L = C (t + t0)^-3 has the
/// last-decade slope s(t0) = -3 log((T + t0)/(T/10 + t0)) / log 10, which is -3 at t0 = 0 and
/// -2.7 at t0 = T/34 (the observed t0 ~ 1e3 to 2.6e3 = T/200 to T/77 give -2.95 to -2.85).
/// So 0.3 is the largest difference an m-independent cubic law produces when every width enters
/// its cubic regime within the first 3% of the run, while two different power laws (T^-2
/// against T^-3) differ by 1.
const SLOPE_AGREEMENT: f64 = 0.3;

/// Final losses across widths must stay within this factor. Under L ~ C (lr t)^-3 a
/// width-dependent clock (a step size scaled by the width ratio 2 between m = 6 and 12) changes
/// L(T) by 2^3 = 8; 5 = 8^(0.77) sits between "same clock" (1) and that bug. The reference
/// ratio L_T(12) / L_T(6) is 2.5.
const LOSS_RATIO_MAX: f64 = 5.0;

#[cfg(test)]
mod tests {
    use overparam_kernel::{PopulationLoss, TwoLayerNet, align, cluster_masses, teacher_masses};

    use super::*;
    use overparam_kernel::SeedPath;

    /// The initialisation puts exactly the teacher's mass on each teacher direction, with
    /// balanced neurons, and the teachers have the documented geometry.
    /// The slope band is typed once, in SLOPE_BAND; the static prose that quotes it (statement,
    /// specs) is checked against the constant here, so changing the band without the prose fails.
    #[test]
    fn the_prose_quotes_the_slope_band() {
        let info = LocalConvergence.info();
        let band = format!("[{}, {}]", SLOPE_BAND.0, SLOPE_BAND.1);
        assert!(
            info.statement.contains(&band),
            "statement must quote {band}"
        );
        let criterion = |name: &str| {
            info.criteria
                .iter()
                .find(|s| s.name == name)
                .expect(name)
                .doc
        };
        let control = |name: &str| {
            info.controls
                .iter()
                .find(|s| s.name == name)
                .expect(name)
                .doc
        };
        let low = SLOPE_BAND.0;
        assert!(criterion("rate-at-most-cubic").contains(&format!(">= {low}")));
        let theta = format!("{:.3} (= (1 + 1/{})/2)", THETA_BAND.0, -low);
        assert!(criterion("gradient-exponent-low").contains(&theta));
        assert!(control("exact-is-not-cubic").contains(&format!("steeper than {low}")));
    }

    #[test]
    fn near_teacher_start_is_balanced_with_exact_masses() {
        for kind in [TeacherKind::Orthonormal, TeacherKind::Separated] {
            let teacher = kind.network();
            for m in [2, 3, 6, 7, 12] {
                let mut rng = SeedPath::new(0, "test", "init", m as u64).rng();
                let s = near_teacher_student(&teacher, m, &mut rng);
                assert_eq!(s.width(), m);
                let al = align(&s, &teacher);
                for n in &al {
                    assert!((n.a.abs() - n.w_norm).abs() < 1e-14);
                    assert!(n.angle.unwrap() < 0.5);
                }
                let masses = cluster_masses(&al, 3);
                let target = teacher_masses(&teacher);
                for j in 0..m.min(3) {
                    assert!((masses[j] - target[j]).abs() < 1e-14, "{kind:?} m={m}");
                }
            }
            for i in 0..3 {
                for j in (i + 1)..3 {
                    let t =
                        overparam_kernel::arccos::Pair::new(teacher.neuron(i), teacher.neuron(j))
                            .unwrap()
                            .theta;
                    let want = match kind {
                        TeacherKind::Orthonormal => std::f64::consts::FRAC_PI_2,
                        TeacherKind::Separated => std::f64::consts::FRAC_PI_3,
                    };
                    assert!((t - want).abs() < 1e-14);
                }
            }
        }
    }

    /// The exponent band is the image of the slope band under theta = (1 + 1/p) / 2.
    #[test]
    fn extremes_propagate_nan() {
        assert_eq!(nan_max([1.0, 3.0, 2.0], 0.0), 3.0);
        assert_eq!(nan_min([1.0, 3.0, 2.0], 0.0), 1.0);
        assert!(nan_max([1.0, f64::NAN, 2.0], 0.0).is_nan());
        assert!(nan_min([f64::NAN, 1.0], 0.0).is_nan());
        assert_eq!(nan_max([], 7.0), 7.0);
        assert_eq!(nan_max([f64::INFINITY, 1.0], 0.0), f64::INFINITY);
    }

    #[test]
    fn exponent_band_matches_slope_band() {
        assert!((THETA_BAND.0 - 0.651_515_151_5).abs() < 1e-9);
        assert!((THETA_BAND.1 - 0.708_333_333_3).abs() < 1e-9);
        assert!(THETA_BAND.0 < 2.0 / 3.0 && 2.0 / 3.0 < THETA_BAND.1);
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
}
