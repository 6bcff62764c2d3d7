//! `arjevani2021.type-a-minima`: the type-A family are strict spurious local minima from d = 6
//! on, whose loss decays like a / d with a ~ 0.3.

use crate::kit::{InCell, WorstCase, worst};
use crate::{
    Claim, ClaimError, ClaimInfo, Control, ControlSpec, Criterion, CriterionSpec, FalseFailure,
    Outcome, PlotSpec, Profile, Reference, RunContext, Table,
};
use overparam_kernel::critical::Tolerances;
use overparam_kernel::type_a::ReducedSolution;
use overparam_kernel::{LossGradient, PopulationLoss, TwoLayerNet};
use rand_distr::{Distribution, StandardNormal};

use super::family::*;
use super::*;
use crate::stats::{LimitFit, limit_fit};

pub const TYPE_A_MINIMA_ID: &str = "arjevani2021.type-a-minima";

/// The type-A minima claim.
pub struct TypeAMinima;

const CRITICAL: CriterionSpec = CriterionSpec::evidence(
    "critical",
    "a zero of the reduced gradient is a zero of the full gradient (equivariance): the \
     full-space gradient norm at every solved point is <= 1e-10 (the reduced Newton solve stops \
     at 1e-13 x max(1, d/40)^2, so anything above 1e-10 is not a critical point)",
)
.at_most(TYPE_A_GRAD_BOUND);

const STRICT_MINIMUM: CriterionSpec = CriterionSpec::evidence(
    "strict-minimum",
    "a critical point with lambda_min(H) > 0 is a strict local minimum: lambda_min of the dense \
     Hessian is > 1e-6 at every tested d >= 6 (1e-6 is above the eigenvalue accuracy ~1e-12 and \
     the shift a 1e-10 gradient residual can cause)",
)
.greater_than(1e-6);

const SPURIOUS: CriterionSpec = CriterionSpec::evidence(
    "spurious",
    "the global minimum has loss 0; the family's loss decays only like 1/d (0.011 at d = 20), so \
     1e-3 separates spurious from global at every analysed d",
)
.at_least(1e-3);

const LOSS_DECAY: CriterionSpec = CriterionSpec::evidence(
    "loss-decay-constant",
    "AF Physica D (abstract): the critical values decay like a d^(-1) with a ~ 0.3; d L(d) over \
     the solved d >= 40 is fitted as a series in d^(-1/2) (four terms, as the abstract expands \
     the family) and the 99% t-interval of its limit a must lie in [0.25, 0.35], the values \
     that round to the abstract's one digit",
)
.interval_within(0.25, 0.35);

const MATCHES_REFERENCE: CriterionSpec = CriterionSpec::sanity(
    "matches-reference",
    "loss, (a, b, c, e, f), lambda_min and lambda_max agree with the project's independently \
     computed reference table (d = 5..20) to the printed digits, in units of half the last \
     printed digit: rounding alone cannot exceed 1 (a regression check against an independent \
     implementation, not the paper's numbers)",
)
.at_most(1.0);

const EIGENVALUE_INVARIANTS: CriterionSpec = CriterionSpec::sanity(
    "eigenvalue-invariants",
    "the eigenvalues reproduce tr H and ||H||_F to 1e-12 (O(n eps) for a backward-stable solver \
     at n <= 1600): a larger error would make lambda_min untrustworthy",
)
.at_most(RESIDUAL_BOUND);

const SADDLE_AT_D5: ControlSpec = ControlSpec::new(
    "saddle-at-d5",
    "hypothesis violated: the same family at d = 5, below the dimension where it becomes a \
     minimum; the Hessian has a negative eigenvalue there (~ -0.0077), so strict-minimum must \
     fail on the sign of lambda_min",
);

const OFF_FAMILY_POINT: ControlSpec = ControlSpec::new(
    "off-family-point",
    "bug: the verification run at a point that is not the solution (each solved point moved by \
     1e-3 G, G standard normal entrywise, seeded per d): critical must fail on the gradient norm \
     (~1e-3, seven orders above the bound)",
);

const LOSS_WITHOUT_HALF: ControlSpec = ControlSpec::new(
    "loss-without-half",
    "bug (normalisation): the critical values of E[(f - f*)^2] without the 1/2 that the AF \
     papers use: d L doubles, its limit moves to ~0.59 and loss-decay-constant must fail on the \
     position of the interval",
);

impl Claim for TypeAMinima {
    fn info(&self) -> ClaimInfo {
        ClaimInfo {
            id: TYPE_A_MINIMA_ID,
            paper: "Arjevani & Field, Analytic Study of Families of Spurious Minima in Two-Layer \
                    ReLU Neural Networks: A Tale of Symmetry II, NeurIPS 2021 (arXiv:2107.10370)",
            summary: "The symmetric family with isotropy S_{d-1} x S_1 is critical for every d, a \
                      saddle at d = 5 and a strict (spurious) local minimum for d >= 6",
            statement: "For the Safran-Shamir loss (k = d, V = I_d, unit output weights) the points \
                        W = [[a I + b (11^T - I), c 1], [e 1^T, f]] solving the 5-parameter \
                        reduced equations are critical points of the full loss, with positive \
                        loss (spurious); the smallest Hessian eigenvalue is negative at d = 5 and \
                        positive for every d >= 6.",
            assumptions: &[
                "Gaussian input, population squared loss with a 1/2, ReLU, output weights fixed at 1",
                "k = d students, orthonormal teacher V = I_d; curvature with respect to W",
            ],
            criteria: const {
                &[
                    CRITICAL,
                    STRICT_MINIMUM,
                    SPURIOUS,
                    LOSS_DECAY,
                    MATCHES_REFERENCE,
                    EIGENVALUE_INVARIANTS,
                ]
            },
            controls: const { &[SADDLE_AT_D5, OFF_FAMILY_POINT, LOSS_WITHOUT_HALF] },
            provenance: "The family's isotropy and the saddle-to-minimum change between d = 5 and 6 \
                         are described in AF 2021 [paper: abstract]; Safran-Shamir 2018 report \
                         spurious minima for 6 <= k <= 20 [paper: abstract]. The points are found \
                         here from a crude start by Newton on the reduced gradient and verified \
                         in the full d^2-dimensional space. The reference numbers are the project \
                         note's own independent computation [computed]; the d = 7 row matches a \
                         minimum published by Safran, Yehudai and Shamir [unverified as a paper \
                         statement]. The name 'type A' for this isotropy is [unverified]. The decay of the \
                         critical values like a d^(-1) with a ~ 0.3, and the family as a series \
                         in d^(-1/2), are the AF Physica D abstract (arXiv:2003.10576 v1, 'the \
                         critical values decay like a k^-1, where a ~ 0.3') [paper: abstract, \
                         confirmed with the search tool on the arXiv v1 abstract as quoted \
                         by deepai.org]; observed [computed]: the fitted limit of d L(d) is \
                         0.29727 (quick, d = 40..200) and 0.29708 (full, d = 40..400), within \
                         3e-4 of 1/2 - 2/pi^2 = 0.29736 (an observation, not a quoted result).",
            runtime: "quick (dense d = 5, 6, 7, 10; solves to d = 200): 0.9 s median, 1.2 s \
                      max over 100 seeds; full (dense d = 5..40; solves to d = 400): 11 s wall, \
                      3.2 s CPU (one thread each, on the shared, loaded 2-core machine)",
            false_failure: FalseFailure::deterministic(
                "no randomness in any criterion: the points are solved by Newton from a fixed \
                 start, verified by exact computations with rounding margins, and the limit is a \
                 fit of deterministic values; only the off-family-point control is seeded",
            ),
        }
    }

    fn run(&self, ctx: &RunContext) -> Result<Outcome, ClaimError> {
        let (dims, fit_dims): (Vec<usize>, Vec<usize>) = match ctx.profile {
            Profile::Quick => (vec![5, 6, 7, 10], vec![40, 50, 60, 80, 100, 120, 150, 200]),
            Profile::Full => (
                (5..=40).collect(),
                vec![40, 50, 60, 80, 100, 150, 200, 250, 300, 350, 400],
            ),
        };
        let mut all: Vec<usize> = dims.iter().chain(&fit_dims).copied().collect();
        all.sort_unstable();
        all.dedup();
        let solved = solve_family(&all, TYPE_A_MINIMA_ID)?;
        let series: Vec<(usize, ReducedSolution)> = solved
            .iter()
            .filter(|(d, _)| fit_dims.contains(d))
            .copied()
            .collect();
        let analysed: Vec<(usize, ReducedSolution)> = solved
            .into_iter()
            .filter(|(d, _)| dims.contains(d))
            .collect();
        let points = analyse_family(analysed, ctx, TYPE_A_MINIMA_ID)?;
        let (at_five, beyond): (Vec<&TypeAPoint>, Vec<&TypeAPoint>) =
            points.iter().partition(|p| p.d == 5);

        let grads: Vec<(usize, f64)> = points
            .iter()
            .map(|p| (p.d, p.grad_norm))
            .chain(series.iter().map(|(d, s)| (*d, s.grad_norm)))
            .collect();
        let mut criteria = vec![
            critical_check(&grads),
            minimum_check(
                &beyond
                    .iter()
                    .map(|p| (p.d, lambda_min(p)))
                    .collect::<Vec<_>>(),
            ),
        ];
        let losses: Vec<(usize, f64)> = points.iter().map(|p| (p.d, p.solution.loss)).collect();
        criteria.push(
            SPURIOUS
                .check(losses.iter().map(|l| l.1).least())
                .with_detail(
                    losses
                        .iter()
                        .map(|(d, l)| format!("d={d}: {l:.10}"))
                        .collect::<Vec<_>>()
                        .join(", "),
                ),
        );
        let scaled: Vec<(usize, f64)> = series
            .iter()
            .map(|(d, s)| (*d, *d as f64 * s.loss))
            .collect();
        criteria.push(decay_check(&scaled));

        // Agreement with the reference, in units of half the last printed digit.
        let mut in_half_units = vec![0.0];
        let mut compared = Vec::new();
        let mut reference_rows = Table::new(
            "reference",
            &[
                "d",
                "quantity",
                "computed",
                "reference",
                "abs_error",
                "half_unit",
            ],
        );
        for p in &points {
            let Some(r) = TYPE_A_REFERENCE.iter().find(|r| r.0 == p.d) else {
                continue;
            };
            compared.push(p.d);
            let params = p.solution.point.to_array();
            let mut rows = vec![("loss", p.solution.loss, r.1, 5e-11)];
            for (k, name) in ["a", "b", "c", "e", "f"].iter().enumerate() {
                rows.push((name, params[k], r.2[k], 5e-9));
            }
            rows.push(("lambda_min", lambda_min(p), r.3, 5e-6));
            rows.push(("lambda_max", lambda_max(p), r.4, 5e-5));
            for (name, computed, reference, half_unit) in rows {
                let err = (computed - reference).abs();
                in_half_units.push(err / half_unit);
                reference_rows.push(vec![
                    p.d.into(),
                    name.into(),
                    computed.into(),
                    reference.into(),
                    err.into(),
                    half_unit.into(),
                ]);
            }
        }
        criteria.push(
            MATCHES_REFERENCE
                .check(if compared.is_empty() {
                    f64::NAN
                } else {
                    worst(in_half_units)
                })
                .with_detail(format!("compared at d = {compared:?}"))
                // computed values carry ~1e-16 absolute noise, i.e. up to ~1e-5 of a half unit
                .rounding_level(1e-3),
        );
        let invariants: Vec<(usize, f64)> =
            points.iter().map(|p| (p.d, p.invariant_error)).collect();
        criteria.push(
            EIGENVALUE_INVARIANTS
                .check(invariants.iter().map(|x| x.1).worst())
                .with_detail(
                    invariants
                        .iter()
                        .map(|(d, e)| format!("d={d}: {e:.1e}"))
                        .collect::<Vec<_>>()
                        .join(", "),
                )
                .rounding_level(RESIDUAL_BOUND / 100.0),
        );

        // Control: an off-family point near each solution.
        let mut off = Vec::new();
        for p in &points {
            let mut rng = ctx.seed(TYPE_A_MINIMA_ID, &format!("d={}", p.d), 0).rng();
            let mut w = p.solution.point.network(p.d);
            for x in w.w_mut() {
                let g: f64 = StandardNormal.sample(&mut rng);
                *x += 1e-3 * g;
            }
            let loss = PopulationLoss::new(TwoLayerNet::identity(p.d));
            let mut g = LossGradient::new(p.d, p.d);
            loss.evaluate(&w, &mut g).in_cell(&format!("d={}", p.d))?;
            off.push((p.d, g.norm_w()));
        }
        let controls = vec![
            Control::new(
                SADDLE_AT_D5.name,
                SADDLE_AT_D5.doc,
                minimum_check(
                    &at_five
                        .iter()
                        .map(|p| (p.d, lambda_min(p)))
                        .collect::<Vec<_>>(),
                ),
            ),
            Control::new(
                OFF_FAMILY_POINT.name,
                OFF_FAMILY_POINT.doc,
                critical_check(&off),
            ),
            Control::new(
                LOSS_WITHOUT_HALF.name,
                LOSS_WITHOUT_HALF.doc,
                decay_check(
                    &scaled
                        .iter()
                        .map(|(d, x)| (*d, 2.0 * x))
                        .collect::<Vec<_>>(),
                ),
            ),
        ];

        let mut table = Table::new(
            "type_a",
            &[
                "d",
                "loss",
                "a",
                "b",
                "c",
                "e",
                "f",
                "grad_norm",
                "lambda_min",
                "lambda_max",
                "classification",
            ],
        );
        for p in &points {
            let q = p.solution.point;
            table.push(vec![
                p.d.into(),
                p.solution.loss.into(),
                q.a.into(),
                q.b.into(),
                q.c.into(),
                q.e.into(),
                q.f.into(),
                p.grad_norm.into(),
                lambda_min(p).into(),
                lambda_max(p).into(),
                p.classification.name().into(),
            ]);
        }
        let mut decay = Table::new("loss_decay", &["d", "loss", "d_times_loss", "grad_norm"]);
        for (d, s) in &series {
            decay.push(vec![
                (*d).into(),
                s.loss.into(),
                (*d as f64 * s.loss).into(),
                s.grad_norm.into(),
            ]);
        }
        let dims_text = dims
            .iter()
            .map(|d| d.to_string())
            .collect::<Vec<_>>()
            .join(", ");
        let plots = vec![
            PlotSpec::new(
                "lambda_min",
                "Smallest Hessian eigenvalue along the type-A family",
                "type_a",
                ("d", "d (input dimension = students)"),
                (&["lambda_min"], "lambda_min(H)"),
            )
            .points()
            .reference(Reference::horizontal("0: saddle below, minimum above", 0.0))
            .caption(format!(
                "reduced Newton solutions verified in full space, d = {dims_text}"
            )),
            PlotSpec::new(
                "loss",
                "Loss of the type-A spurious critical points",
                "type_a",
                ("d", "d"),
                (&["loss"], "population loss"),
            )
            .points()
            .caption(format!("d = {dims_text}; the global minimum has loss 0")),
            PlotSpec::new(
                "loss_decay",
                "d x loss of the type-A family against d",
                "loss_decay",
                ("d", "d (log scale)"),
                (&["d_times_loss"], "d L(d)"),
            )
            .log_x()
            .points()
            .reference(Reference::horizontal("a ~ 0.3 (AF Physica D)", 0.3))
            .reference(Reference::horizontal(
                "1/2 - 2/pi^2 (observed limit)",
                OBSERVED_LIMIT,
            ))
            .caption("reduced Newton solutions; the fit extrapolates in d^(-1/2)"),
        ];
        Ok(
            Outcome::new(criteria, controls, vec![table, reference_rows, decay])
                .with_plots(plots)
                .with_headline("strict-minimum"),
        )
    }
}

/// The value the fitted limit of d L(d) is numerically equal to (an observation of the
/// project's review, not a quoted result): 1/2 - 2/pi^2.
const OBSERVED_LIMIT: f64 = 0.5 - 2.0 / (std::f64::consts::PI * std::f64::consts::PI);

/// Terms of the d^(-1/2) series fitted to d L(d), and the level of the limit's interval (the
/// values are deterministic: the level sets how much truncation error the interval absorbs,
/// not a false-failure rate).
const DECAY_TERMS: usize = 4;
const DECAY_LEVEL: f64 = 0.99;

fn decay_check(scaled: &[(usize, f64)]) -> Criterion {
    let (x, y): (Vec<f64>, Vec<f64>) = scaled
        .iter()
        .map(|(d, v)| ((*d as f64).powf(-0.5), *v))
        .unzip();
    let fit: Option<LimitFit> = limit_fit(&x, &y, DECAY_TERMS, DECAY_LEVEL);
    let values = scaled
        .iter()
        .map(|(d, v)| format!("d={d}: {v:.6}"))
        .collect::<Vec<_>>()
        .join(", ");
    match fit {
        Some(f) => LOSS_DECAY
            .check_interval(f.limit, (f.low, f.high))
            .with_level(DECAY_LEVEL)
            .with_detail(format!(
                "{}; 1/2 - 2/pi^2 = {OBSERVED_LIMIT:.5}; d L(d): {values}",
                f.text()
            )),
        None => LOSS_DECAY
            .check_interval(f64::NAN, (f64::NAN, f64::NAN))
            .with_detail(format!("no fit; d L(d): {values}")),
    }
}

/// critical: every point's full gradient norm is at most the bound.
fn critical_check(points: &[(usize, f64)]) -> Criterion {
    CRITICAL
        .check(points.iter().map(|p| p.1).worst())
        .with_detail(
            points
                .iter()
                .map(|(d, g)| format!("d={d}: {g:.2e}"))
                .collect::<Vec<_>>()
                .join(", "),
        )
        .rounding_level(TYPE_A_GRAD_BOUND / 100.0)
}

/// strict-minimum: the smallest Hessian eigenvalue is above the classification tolerance.
fn minimum_check(points: &[(usize, f64)]) -> Criterion {
    debug_assert_eq!(Tolerances::PUBLISHED.eigenvalue, 1e-6);
    STRICT_MINIMUM
        .check(points.iter().map(|p| p.1).least())
        .with_detail(
            points
                .iter()
                .map(|(d, l)| format!("d={d}: lambda_min = {l:.5}"))
                .collect::<Vec<_>>()
                .join(", "),
        )
}
