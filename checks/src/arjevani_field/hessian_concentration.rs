//! `arjevani2021.hessian-concentration`: the Hessian spectra at the type-A minima concentrate
//! on those of the global minimum, at rate O(d^(-1/2)), with d + 1 growing eigenvalues.

use crate::Cause;
use crate::kit::{InCell, LEVEL, WorstCase};
use crate::stats::{LinearFit, linear_fit};
use crate::{
    Claim, ClaimError, ClaimInfo, Comparator, Control, ControlSpec, Criterion, CriterionSpec,
    FalseFailure, Outcome, PlotSpec, Profile, Reference, RunContext, Table,
};
use overparam_kernel::critical::{Classification, Tolerances, analyse_point};
use overparam_kernel::{LossGradient, PopulationLoss, TwoLayerNet};
use overparam_linalg::Par;
use rand_distr::{Distribution, StandardNormal};
use rayon::prelude::*;

use super::family::*;
use super::*;

pub const HESSIAN_CONCENTRATION_ID: &str = "arjevani2021.hessian-concentration";

/// The Hessian-concentration claim.
pub struct HessianConcentration;

impl Claim for HessianConcentration {
    fn info(&self) -> ClaimInfo {
        ClaimInfo {
            id: HESSIAN_CONCENTRATION_ID,
            paper: "Arjevani & Field, NeurIPS 2020 (arXiv:2008.01805) and NeurIPS 2021 \
                    (arXiv:2107.10370)",
            summary: "At the type-A spurious minima all but Theta(d) Hessian eigenvalues stay \
                      O(1), Theta(d) grow linearly, and the spectrum approaches the global \
                      minimum's at rate O(d^-1/2)",
            statement: "At the type-A minima (d >= 6) of the Safran-Shamir loss, the number of \
                        Hessian eigenvalues above a fixed level is Theta(d), the largest \
                        eigenvalue grows linearly in d (slope 1/4, that of the global minimum), \
                        and max_i |eig_i(type A) - eig_i(global)| (both sorted) decays like \
                        d^(-1/2).",
            assumptions: &[
                "the type-A points are strict local minima (verified here again for every tested d)",
                "the global-minimum spectrum is the closed form verified by arjevani2021.global-min-spectrum",
                "beyond d = 40 (full profile) the type-A spectrum comes from the symmetry-adapted blocks (isotropy Delta(S_{d-1} x S_1)), which match the dense spectrum to 3e-14 of ||H|| at every d <= 40 (kernel tests)",
            ],
            criteria: const {
                &[
                    CriterionSpec::evidence(
                        "minima",
                        "every tested type-A point is critical (<= 1e-10) and a strict minimum (lambda_min > 1e-6)",
                    ),
                    CriterionSpec::evidence(
                        "growing-count",
                        "the number of eigenvalues above 1/2, divided by d, stays in [1/2, 2]",
                    ),
                    CriterionSpec::evidence(
                        "top-slope",
                        "the least-squares slope of lambda_max against d has its 95% t-interval in [1/4 - 0.05, 1/4 + 0.05]",
                    ),
                    CriterionSpec::evidence(
                        "proximity-rate",
                        "the log-log slope of the spectral distance to the global minimum has its 95% t-interval in [-0.8, -0.3]",
                    ),
                ]
            },
            controls: const {
                &[
                    ControlSpec::new(
                        "unnormalised-global",
                        "distance to the global spectrum of the loss without its 1/2 (eigenvalues doubled): the distance grows with d and proximity-rate must fail",
                    ),
                    ControlSpec::new(
                        "random-point",
                        "random points W ~ N(0, 1/d) in place of the minima: minima must fail (they are not critical)",
                    ),
                ]
            },
            provenance: "Concentration and the O(d^(-1/2)) proximity are the abstracts' claims \
                         [paper: AF 2020 and AF 2021 abstracts]; the slope band and the count band \
                         are derived here from the closed-form global spectrum; the [-0.8, -0.3] \
                         band and the reference distances (0.0950, 0.0702, 0.0479 at d = 6, 10, \
                         20) come from the project's paper note [computed]. Observed: beyond d ~ 16 \
                         the largest sorted difference sits in the cluster near lambda_- (type A \
                         ~0.213 against 0.255), whose local log-log slope is only about -0.24 over \
                         d = 20..40; the fitted slope over d = 6..40 is -0.42. The full profile \
                         extends to d = 200 with the symmetry-adapted spectrum: the local slope \
                         steepens to -0.34 over 40..200 and -0.39 over 160..200 (distance 0.0234 at \
                         d = 200), consistent with A d^(-1/2) + B d^(-1), B < 0, approaching \
                         -1/2 from above, but the asymptotic rate itself is not reached by d = 200; \
                         the fit over d = 6..200 is -0.35, inside the band.",
            runtime: "quick (d = 6, 8, 10, 12, 16, 20): under a second; full (d = 6..40 dense, \
                      then 50..100 by 10 and 120..200 by 20 from the symmetry-adapted blocks): \
                      about 5 s on 2 cores",
            false_failure: FalseFailure::UNDECLARED,
        }
    }

    fn run(&self, ctx: &RunContext) -> Result<Outcome, ClaimError> {
        let dims: Vec<usize> = match ctx.profile {
            Profile::Quick => vec![6, 8, 10, 12, 16, 20],
            Profile::Full => (6..=DENSE_LIMIT)
                .chain([50, 60, 70, 80, 90, 100, 120, 140, 160, 180, 200])
                .collect(),
        };
        let solved = solve_family(&dims, HESSIAN_CONCENTRATION_ID)?;
        let points = analyse_family(solved, ctx, HESSIAN_CONCENTRATION_ID)?;

        let status: Vec<(usize, bool)> = points
            .iter()
            .map(|p| {
                (
                    p.d,
                    p.grad_norm <= TYPE_A_GRAD_BOUND && p.classification == Classification::Minimum,
                )
            })
            .collect();
        let minima_criterion = |status: &[(usize, bool)], detail: String| {
            Criterion::new(
                "minima",
                status.iter().filter(|s| !s.1).count() as f64,
                Comparator::Equal,
                0.0,
                "the claim is about minima: every point must be critical (<= 1e-10) and have \
                 lambda_min > 1e-6; counted as the number of points that are not",
            )
            .with_detail(detail)
        };
        let mut criteria = vec![minima_criterion(
            &status,
            points
                .iter()
                .map(|p| {
                    format!(
                        "d={}: {} (grad {:.1e})",
                        p.d,
                        p.classification.name(),
                        p.grad_norm
                    )
                })
                .collect::<Vec<_>>()
                .join(", "),
        )];
        criteria.push(count_criterion(
            &points
                .iter()
                .map(|p| {
                    (
                        p.d,
                        p.spectrum.iter().filter(|&&x| x > GROWTH_LEVEL).count(),
                    )
                })
                .collect::<Vec<_>>(),
        ));
        let (x, y): (Vec<f64>, Vec<f64>) =
            points.iter().map(|p| (p.d as f64, lambda_max(p))).unzip();
        criteria.push(slope_in_band(
            "top-slope",
            linear_fit(&x, &y, LEVEL),
            0.25 - TOP_SLOPE_BAND,
            0.25 + TOP_SLOPE_BAND,
            "the largest eigenvalue tracks mu_+(d) = d/4 + O(1) of the global minimum up to the \
             O(d^(-1/2)) proximity, so its secant slope over d >= 6 is within 0.033 of 1/4",
        ));
        let prox: Vec<(usize, f64)> = points
            .iter()
            .map(|p| (p.d, proximity(&p.spectrum, &predicted_sorted(p.d))))
            .collect();
        criteria.push(proximity_criterion(&prox));

        // Controls.
        let doubled: Vec<(usize, f64)> = points
            .iter()
            .map(|p| {
                let global: Vec<f64> = predicted_sorted(p.d).iter().map(|v| 2.0 * v).collect();
                (p.d, proximity(&p.spectrum, &global))
            })
            .collect();
        let random: Vec<(usize, bool, f64)> = dims
            .par_iter()
            .map(|&d| {
                let mut rng = ctx
                    .seed(HESSIAN_CONCENTRATION_ID, &format!("random d={d}"), 0)
                    .rng();
                let w: Vec<f64> = (0..d * d)
                    .map(|_| {
                        let g: f64 = StandardNormal.sample(&mut rng);
                        g / (d as f64).sqrt()
                    })
                    .collect();
                let net = TwoLayerNet::from_flat(d, vec![1.0; d], w).expect("finite weights");
                let loss = PopulationLoss::new(TwoLayerNet::identity(d));
                let mut g = LossGradient::new(d, d);
                loss.evaluate(&net, &mut g)
                    .in_cell(&format!("random d={d}"))?;
                let grad_norm = g.norm_w();
                // A point above the gradient bound is no minimum whatever its spectrum; only a
                // critical one needs the (dense: random points have no symmetry) Hessian.
                let minimum = grad_norm <= TYPE_A_GRAD_BOUND && {
                    if d > DENSE_LIMIT {
                        return Err(ClaimError::at(
                            format!("random d={d}"),
                            Cause::Missing(
                                "critical random point too large for the dense Hessian".to_owned(),
                            ),
                        ));
                    }
                    let a = analyse_point(&loss, &net, Tolerances::PUBLISHED, u128::MAX, Par::Seq)
                        .in_cell(&format!("random d={d}"))?;
                    a.classification == Classification::Minimum
                };
                Ok((d, minimum, grad_norm))
            })
            .collect::<Result<_, ClaimError>>()?;
        let controls = vec![
            Control::new(
                "unnormalised-global",
                "compare with the spectrum of the Hessian of E[(f - f*)^2] (no 1/2): every global \
                 eigenvalue doubles, the distance grows like d, and proximity-rate must fail",
                proximity_criterion(&doubled),
            ),
            Control::new(
                "random-point",
                "random points W ~ N(0, 1/d) (seeded per d) instead of the minima: they are not \
                 critical, so minima must fail",
                minima_criterion(
                    &random.iter().map(|r| (r.0, r.1)).collect::<Vec<_>>(),
                    random
                        .iter()
                        .map(|r| format!("d={}: grad {:.2e}", r.0, r.2))
                        .collect::<Vec<_>>()
                        .join(", "),
                ),
            ),
        ];

        let mut spectra = Table::new("spectra", &["d", "point", "rank", "eigenvalue"]);
        let mut proximity_table = Table::new(
            "proximity",
            &[
                "d",
                "max_abs_difference",
                "max_abs_difference_unnormalised",
                "lambda_max",
                "count_above_half",
            ],
        );
        // All d^2 eigenvalues where the spectrum is dense; beyond, the blocks with their
        // multiplicities (the expanded lists would be 2 d^2 rows per d).
        let mut blocks = Table::new(
            "spectrum_blocks",
            &["d", "point", "component", "eigenvalue", "multiplicity"],
        );
        for p in &points {
            let Some(type_a_blocks) = &p.blocks else {
                for (rank, v) in p.spectrum.iter().enumerate() {
                    spectra.push(vec![p.d.into(), "type-a".into(), rank.into(), (*v).into()]);
                }
                for (rank, v) in predicted_sorted(p.d).iter().enumerate() {
                    spectra.push(vec![p.d.into(), "global".into(), rank.into(), (*v).into()]);
                }
                continue;
            };
            for b in type_a_blocks {
                for v in &b.eigenvalues {
                    blocks.push(vec![
                        p.d.into(),
                        "type-a".into(),
                        format!("{} {}", b.component, b.partition).into(),
                        (*v).into(),
                        b.multiplicity.into(),
                    ]);
                }
            }
            for b in global_min_spectrum(p.d) {
                blocks.push(vec![
                    p.d.into(),
                    "global".into(),
                    b.name.into(),
                    b.value.into(),
                    b.multiplicity.into(),
                ]);
            }
        }
        for ((p, (_, near)), (_, far)) in points.iter().zip(&prox).zip(&doubled) {
            proximity_table.push(vec![
                p.d.into(),
                (*near).into(),
                (*far).into(),
                lambda_max(p).into(),
                p.spectrum
                    .iter()
                    .filter(|&&x| x > GROWTH_LEVEL)
                    .count()
                    .into(),
            ]);
        }
        let (d_min, d_max) = (dims[0], dims[dims.len() - 1]);
        let d_expanded = points
            .iter()
            .filter(|p| p.blocks.is_none())
            .map(|p| p.d)
            .max()
            .unwrap_or(d_min);
        let anchor = prox[0].1 * (d_min as f64).sqrt();
        let plots = vec![
            PlotSpec::new(
                "proximity",
                "Distance between type-A and global-minimum spectra",
                "proximity",
                ("d", "d (log scale)"),
                (
                    &["max_abs_difference"],
                    "max |sorted eigenvalue difference| (log scale)",
                ),
            )
            .log_x()
            .log_y()
            .points()
            .reference(Reference::power_law(
                "d^(-1/2) through the first point",
                anchor,
                -0.5,
            ))
            .caption(if d_max > DENSE_LIMIT {
                format!(
                    "type-A minima for d = {d_min}..{d_max} ({} dimensions; spectra dense up to \
                     d = {DENSE_LIMIT}, from the symmetry-adapted blocks beyond)",
                    dims.len()
                )
            } else {
                format!(
                    "type-A minima for d = {d_min}..{d_max} ({} dimensions)",
                    dims.len()
                )
            }),
            PlotSpec::new(
                "spectra",
                format!("Hessian spectra at d = {d_expanded}: type-A minimum and global minimum")
                    .as_str(),
                "spectra",
                ("rank", "rank (ascending)"),
                (&["eigenvalue"], "eigenvalue (log scale)"),
            )
            .log_y()
            .filter("d", d_expanded)
            .group_by("point")
            .points()
            .reference(Reference::horizontal("level 1/2", GROWTH_LEVEL))
            .caption(format!(
                "all {} eigenvalues of each Hessian at d = {d_expanded}",
                d_expanded * d_expanded
            )),
        ];
        let mut tables = vec![spectra, proximity_table];
        if !blocks.rows.is_empty() {
            tables.push(blocks);
        }
        Ok(Outcome::new(criteria, controls, tables)
            .with_plots(plots)
            .with_headline("proximity-rate"))
    }
}

/// Width of the band around the slope 1/4 for the largest eigenvalue: lambda_max is mu_+(d) plus
/// the O(d^(-1/2)) proximity term (<= 0.1 for d >= 6), and mu_+ = d/4 + an intercept moving by
/// <= 0.25 over d >= 6; over a d-range of at least 14 the secant slope is within (0.25 + 2 * 0.1)
/// / 14 < 0.033 of 1/4, and 0.05 keeps a margin.
const TOP_SLOPE_BAND: f64 = 0.05;

/// Band for the log-log slope of the spectral distance to the global minimum: O(d^(-1/2))
/// predicts -1/2; the band [-0.8, -0.3] (from the paper note) allows pre-asymptotic curvature
/// while excluding both no decay (0) and the linear growth of a mis-normalised comparison (+1).
const PROXIMITY_BAND: (f64, f64) = (-0.8, -0.3);

/// Theta(d) bounds on the number of eigenvalues above the growth level, in units of d: the
/// global minimum has d + 1, i.e. between 1 and 7/6 of d for d >= 6; [1/2, 2] says 'linear in d'
/// with room on both sides, and fails for a spectrum with O(d^2) large eigenvalues.
const COUNT_PER_D: (f64, f64) = (0.5, 2.0);

fn slope_text(fit: &Option<LinearFit>) -> String {
    match fit {
        Some(f) => format!(
            "slope {:.4}, 95% t-interval [{:.4}, {:.4}], R^2 {:.5}, {} points",
            f.slope, f.slope_low, f.slope_high, f.r_squared, f.n
        ),
        None => "no fit (fewer than 3 points or non-finite values)".to_owned(),
    }
}

/// A slope criterion: the 95% t-interval of the fitted slope lies inside [low, high].
fn slope_in_band(
    name: &str,
    fit: Option<LinearFit>,
    low: f64,
    high: f64,
    reason: &str,
) -> Criterion {
    let detail = slope_text(&fit);
    Criterion::slope_within(name, fit, (low, high), reason).with_detail(detail)
}

fn proximity(type_a: &[f64], global: &[f64]) -> f64 {
    type_a
        .iter()
        .zip(global)
        .map(|(x, y)| (x - y).abs())
        .worst()
}

fn proximity_criterion(rows: &[(usize, f64)]) -> Criterion {
    let (x, y): (Vec<f64>, Vec<f64>) = rows.iter().map(|(d, p)| ((*d as f64).ln(), p.ln())).unzip();
    slope_in_band(
        "proximity-rate",
        linear_fit(&x, &y, LEVEL),
        PROXIMITY_BAND.0,
        PROXIMITY_BAND.1,
        "AF 2021: the spurious and global spectra agree to O(d^(-1/2)); the log-log slope of \
         max |sorted eig difference| against d must have its 95% interval in [-0.8, -0.3]",
    )
    .with_detail(format!(
        "band [{}, {}]; {}; distances: {}",
        PROXIMITY_BAND.0,
        PROXIMITY_BAND.1,
        slope_text(&linear_fit(&x, &y, LEVEL)),
        rows.iter()
            .map(|(d, p)| format!("d={d}: {p:.4}"))
            .collect::<Vec<_>>()
            .join(", ")
    ))
}

fn count_criterion(rows: &[(usize, usize)]) -> Criterion {
    let ratios: Vec<f64> = rows.iter().map(|(d, c)| *c as f64 / *d as f64).collect();
    let lo = ratios.iter().copied().least();
    let hi = ratios.iter().copied().worst();
    // One number for a two-sided band: the largest ratio if it is above the band, otherwise
    // the smallest (which then holds exactly when every ratio is inside).
    let measured = if hi > COUNT_PER_D.1 { hi } else { lo };
    Criterion::new(
        "growing-count",
        measured,
        Comparator::Between {
            upper: COUNT_PER_D.1,
        },
        COUNT_PER_D.0,
        "Theta(d) eigenvalues above the d-independent level 1/2: their number divided by d \
         stays in [1/2, 2] (the global minimum has (d + 1)/d), while a spectrum without \
         concentration would have O(d^2) of them",
    )
    .with_detail(
        rows.iter()
            .map(|(d, c)| format!("d={d}: {c} above 1/2"))
            .collect::<Vec<_>>()
            .join(", "),
    )
}
