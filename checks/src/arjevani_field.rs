//! Arjevani & Field (NeurIPS 2020, arXiv:2008.01805; NeurIPS 2021, arXiv:2107.10370):
//! the Hessian of the Gaussian two-layer ReLU population loss, analysed through its symmetry.
//!
//! Setting (AF 2020, introduction): L(W) = 1/2 E_{x ~ N(0, I_d)} [(1^T relu(W x) - 1^T relu(V x))^2]
//! with k = d students, V = I_d, output weights fixed at 1. W = V = I_d is a global minimum
//! with isotropy Delta S_d, so its Hessian (d^2 x d^2) splits over the isotypic components of
//! M(d, d) = 2 trivial + 3 standard + S_(d-2,2) + S_(d-2,1,1), giving six distinct eigenvalues
//! in closed form (derived in shared/papers/arjevani-field-safran-shamir.md, item 5).

use std::f64::consts::PI;

use overparam_kernel::critical::{
    Classification, Tolerances, analyse_point, analyse_symmetric_point,
};
use overparam_kernel::symmetric_hessian::IsotypicBlock;
use overparam_kernel::type_a::{ReducedSolution, TypeA, solve_type_a};
use overparam_kernel::{KernelTerms, LossGradient, PopulationLoss, TwoLayerNet};
use overparam_linalg::{Par, cluster_eigenvalues, sym_eigen, sym_eigenvalues};
use rand_distr::{Distribution, StandardNormal};
use rayon::prelude::*;

use crate::Cause;
use crate::kit::{InCell, LEVEL, WorstCase, worst};
use crate::stats::{LinearFit, linear_fit};
use crate::{
    Claim, ClaimError, ClaimInfo, Comparator, Control, Criterion, Outcome, PlotSpec, Profile,
    Reference, RunContext, Table, Value,
};

/// One eigenvalue of the global-minimum Hessian with its multiplicity and the branch it is on.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Branch {
    pub name: &'static str,
    pub value: f64,
    pub multiplicity: usize,
    /// lim value / d as d -> infinity (0 for the bounded branches).
    pub asymptotic_slope: f64,
}

/// The closed-form spectrum of the Hessian of L at W = V = I_d (k = d >= 2), branch by branch:
///
/// | value | multiplicity |
/// |---|---|
/// | 1/4 - 1/(2 pi) | d(d-1)/2 |
/// | 1/4 + 1/(2 pi) | d(d-3)/2 |
/// | lambda_-+ = (d+2)/8 -+ sqrt(d^2/16 - 1/pi + 1/pi^2) / 2 | d-1 each |
/// | mu_-+ = roots of mu^2 - S mu + P | 1 each |
///
/// with p = 1/(2 pi), S = (d+2)/4 + d p, P = (d-1) p^2 + (d^2 - d + 2) p / 4 + (d+1)/16.
pub fn global_min_spectrum(d: usize) -> Vec<Branch> {
    let df = d as f64;
    let p = 1.0 / (2.0 * PI);
    let root = (df * df / 16.0 - 1.0 / PI + 1.0 / (PI * PI)).sqrt();
    let s = (df + 2.0) / 4.0 + df * p;
    let prod = (df - 1.0) * p * p + (df * df - df + 2.0) * p / 4.0 + (df + 1.0) / 16.0;
    let disc = (s * s - 4.0 * prod).sqrt();
    let branches = [
        Branch {
            name: "antisymmetric",
            value: 0.25 - p,
            multiplicity: d * (d - 1) / 2,
            asymptotic_slope: 0.0,
        },
        Branch {
            name: "symmetric-offdiagonal",
            value: 0.25 + p,
            multiplicity: d * d.saturating_sub(3) / 2,
            asymptotic_slope: 0.0,
        },
        Branch {
            name: "lambda-minus",
            value: (df + 2.0) / 8.0 - root / 2.0,
            multiplicity: d - 1,
            asymptotic_slope: 0.0,
        },
        Branch {
            name: "lambda-plus",
            value: (df + 2.0) / 8.0 + root / 2.0,
            multiplicity: d - 1,
            asymptotic_slope: 0.25,
        },
        Branch {
            name: "mu-minus",
            value: (s - disc) / 2.0,
            multiplicity: 1,
            asymptotic_slope: p,
        },
        Branch {
            name: "mu-plus",
            value: (s + disc) / 2.0,
            multiplicity: 1,
            asymptotic_slope: 0.25,
        },
    ];
    branches
        .into_iter()
        .filter(|b| b.multiplicity > 0)
        .collect()
}

/// The closed-form eigenvalues, each repeated by its multiplicity, ascending.
fn predicted_sorted(d: usize) -> Vec<f64> {
    let mut v: Vec<f64> = global_min_spectrum(d)
        .iter()
        .flat_map(|b| std::iter::repeat_n(b.value, b.multiplicity))
        .collect();
    v.sort_by(f64::total_cmp);
    v
}

/// max_i |computed_i - predicted_i| / |predicted_i| over the sorted lists (inf on a length
/// mismatch, NaN if anything is NaN).
fn max_relative_error(computed: &[f64], predicted: &[f64]) -> f64 {
    if computed.len() != predicted.len() {
        return f64::INFINITY;
    }
    computed
        .iter()
        .zip(predicted)
        .map(|(c, p)| (c - p).abs() / p.abs())
        .worst()
}

pub const GLOBAL_MIN_SPECTRUM_ID: &str = "arjevani2021.global-min-spectrum";

/// Relative agreement demanded between the computed and closed-form eigenvalues. The Hessian is
/// assembled from closed forms with O(1) rounding per entry, and a backward-stable symmetric
/// eigensolver perturbs eigenvalues by about n eps ||H||: at d = 40 (n = 1600, ||H|| ~ 11) that is
/// 4e-12 absolute, 4e-11 relative to the smallest eigenvalue 0.09. 1e-10 keeps a margin of 2.5
/// there and is still eight orders below the O(1e-2) errors of any wrong formula or point.
const EIGEN_RTOL: f64 = 1e-10;

/// Clustering tolerance: equal eigenvalues agree to ~1e-11 (see EIGEN_RTOL), while distinct
/// branches are at least 0.09 apart at every d from 4 to 40 (unit test `branches_are_separated`).
const CLUSTER_TOL: f64 = 1e-8;

/// Level separating the bounded bulk from the growing branches, fixed independently of d: the
/// bulk branches are 1/4 -+ 1/(2 pi) <= 0.41 and lambda_- in (1/4, 0.31]; the growing branches
/// start at mu_-(4) = 0.63 or above and increase linearly. A branch growing with d would cross
/// 1/2 inside the tested range, where d grows by a factor of five or more.
const GROWTH_LEVEL: f64 = 0.5;

/// Bound on |eigenvalue - slope * d| for each growing branch: "grows linearly with slope s"
/// means the intercept stays bounded. From the closed forms the intercepts move monotonically
/// (for d >= 4) towards their limits 1/4 (lambda_+), 0.8471 (mu_+) and -0.3471 (mu_-), so their
/// absolute values stay below 0.85 at every d and 1 bounds them; a slope off by delta breaks the
/// bound once d > 1/delta (a doubled spectrum, the loss without its 1/2, already at d = 4).
const INTERCEPT_BOUND: f64 = 1.0;

/// Decompositions are accepted when ||H - U S U^T||_F / ||H||_F and ||U^T U - I||_F are below
/// this: both are O(sqrt(n) eps) to O(n eps) for a stable solver, i.e. <= 1e-12 for n <= 1600.
const RESIDUAL_BOUND: f64 = 1e-12;

/// The global-minimum gradient vanishes exactly in exact arithmetic; in floating point the
/// cancelling kernel terms leave O(k d eps) ~ 1e-13 at most for d <= 40.
const CRITICAL_GRAD_BOUND: f64 = 1e-12;

/// Scale of the random perturbation in the perturbed-point control: large enough to move the
/// spectrum by O(1e-2), far beyond EIGEN_RTOL, small enough to stay near the minimum.
const PERTURBATION: f64 = 0.05;

/// (computed (value, multiplicity), predicted (value, multiplicity)); None where one list is
/// longer than the other.
type ClusterPair = (Option<(f64, usize)>, Option<(f64, usize)>);

/// A computed cluster above the growth level, matched to the nearest predicted growing branch.
#[derive(Debug, Clone, Copy)]
struct GrowingCluster {
    branch: &'static str,
    value: f64,
    multiplicity: usize,
    slope: f64,
}

/// Everything measured at one dimension d.
struct Cell {
    d: usize,
    values: Vec<f64>,
    residual: f64,
    orthogonality: f64,
    grad_norm: f64,
    rel_error: f64,
    /// Computed clusters matched against the predicted ones, in ascending order.
    clusters: Vec<ClusterPair>,
    multiplicity_mismatch: bool,
    above_level: usize,
    bulk_max: f64,
    growing: Vec<GrowingCluster>,
    perturbed_rel_error: f64,
    perturbed_grad_norm: f64,
    no_self_rel_error: f64,
}

fn measure(d: usize, ctx: &RunContext) -> Result<Cell, ClaimError> {
    let cell = format!("d={d}");
    let teacher = TwoLayerNet::identity(d);
    let loss = PopulationLoss::new(teacher.clone());

    let mut grad = LossGradient::new(d, d);
    loss.evaluate(&teacher, &mut grad).in_cell(&cell)?;
    let h = loss.hessian_w(&teacher).in_cell(&cell)?;
    let eig = sym_eigen(h.as_ref(), Par::Seq).in_cell(&cell)?;
    let predicted = predicted_sorted(d);
    let rel_error = max_relative_error(&eig.values, &predicted);

    let computed_clusters = cluster_eigenvalues(&eig.values, CLUSTER_TOL);
    let predicted_clusters = cluster_eigenvalues(&predicted, CLUSTER_TOL);
    let rows = computed_clusters.len().max(predicted_clusters.len());
    let clusters: Vec<_> = (0..rows)
        .map(|i| {
            (
                computed_clusters.get(i).map(|c| (c.value, c.multiplicity)),
                predicted_clusters.get(i).map(|c| (c.value, c.multiplicity)),
            )
        })
        .collect();
    let multiplicity_mismatch = computed_clusters.len() != predicted_clusters.len()
        || computed_clusters
            .iter()
            .zip(&predicted_clusters)
            .any(|(c, p)| {
                c.multiplicity != p.multiplicity
                    || (c.value - p.value).abs() > CLUSTER_TOL * p.value.abs().max(1.0)
            });

    let above_level = eig.values.iter().filter(|&&v| v > GROWTH_LEVEL).count();
    let bulk_max = eig
        .values
        .iter()
        .copied()
        .filter(|&v| v <= GROWTH_LEVEL)
        .worst();

    let growing = growing_branches(d, &eig.values);

    // Control 1: a perturbed, non-critical point near the minimum.
    let mut rng = ctx.seed(GLOBAL_MIN_SPECTRUM_ID, &cell, 0).rng();
    let mut perturbed = teacher.clone();
    for x in perturbed.w_mut() {
        let g: f64 = StandardNormal.sample(&mut rng);
        *x += PERTURBATION * g;
    }
    let mut pgrad = LossGradient::new(d, d);
    loss.evaluate(&perturbed, &mut pgrad).in_cell(&cell)?;
    let hp = loss.hessian_w(&perturbed).in_cell(&cell)?;
    let ep = sym_eigenvalues(hp.as_ref(), Par::Seq).in_cell(&cell)?;

    // Control 2: the Hessian with the kernel's self-term dropped.
    let broken = PopulationLoss::new(teacher.clone()).with_terms(KernelTerms::WithoutSelfTerm);
    let hb = broken.hessian_w(&teacher).in_cell(&cell)?;
    let eb = sym_eigenvalues(hb.as_ref(), Par::Seq).in_cell(&cell)?;

    Ok(Cell {
        d,
        residual: eig.residual,
        orthogonality: eig.orthogonality,
        grad_norm: grad.norm_w(),
        rel_error,
        clusters,
        multiplicity_mismatch,
        above_level,
        bulk_max,
        growing,
        perturbed_rel_error: max_relative_error(&ep.values, &predicted),
        perturbed_grad_norm: pgrad.norm_w(),
        no_self_rel_error: max_relative_error(&eb.values, &predicted),
        values: eig.values,
    })
}

/// The clusters of `values` above [`GROWTH_LEVEL`], each matched to the nearest predicted
/// growing branch: (branch name, cluster value, multiplicity, asymptotic slope).
fn growing_branches(d: usize, values: &[f64]) -> Vec<GrowingCluster> {
    let predicted: Vec<Branch> = global_min_spectrum(d)
        .into_iter()
        .filter(|b| b.asymptotic_slope > 0.0)
        .collect();
    cluster_eigenvalues(values, CLUSTER_TOL)
        .iter()
        .filter(|c| c.value > GROWTH_LEVEL)
        .map(|c| {
            let b = predicted
                .iter()
                .min_by(|x, y| {
                    (x.value - c.value)
                        .abs()
                        .total_cmp(&(y.value - c.value).abs())
                })
                .expect("three growing branches");
            GrowingCluster {
                branch: b.name,
                value: c.value,
                multiplicity: c.multiplicity,
                slope: b.asymptotic_slope,
            }
        })
        .collect()
}

/// growth-slopes: every cluster above the level lies on a line s d + O(1) with its branch's
/// slope s, and each of the three growing branches is present at every d.
fn growth_criterion(per_d: &[(usize, Vec<GrowingCluster>)]) -> Criterion {
    let mut deviations = vec![0.0];
    let mut intercepts = Vec::new();
    for (d, growing) in per_d {
        for name in ["lambda-plus", "mu-plus", "mu-minus"] {
            if !growing.iter().any(|g| g.branch == name) {
                deviations.push(f64::INFINITY);
                intercepts.push(format!("{name} d={d}: missing"));
            }
        }
        for g in growing {
            let intercept = g.value - g.slope * *d as f64;
            deviations.push(intercept.abs());
            intercepts.push(format!("{} d={d}: {intercept:+.3}", g.branch));
        }
    }
    let mut slopes = Vec::new();
    for name in ["lambda-plus", "mu-plus", "mu-minus"] {
        let (xs, ys): (Vec<f64>, Vec<f64>) = per_d
            .iter()
            .flat_map(|(d, g)| {
                g.iter()
                    .filter(|x| x.branch == name)
                    .map(move |x| (*d as f64, x.value))
            })
            .unzip();
        if let Some(fit) = linear_fit(&xs, &ys, LEVEL) {
            slopes.push(format!("{name} least-squares slope {:.4}", fit.slope));
        }
    }
    Criterion::new(
        "growth-slopes",
        worst(deviations),
        Comparator::AtMost,
        INTERCEPT_BOUND,
        "linear growth with slope s means eigenvalue - s d stays bounded; the closed-form \
         intercepts approach 1/4, 0.8471 and -0.3471 monotonically and stay below 0.85 in \
         absolute value, so a wrong slope or a non-linear branch breaks the bound 1",
    )
    .with_detail(format!(
        "intercepts: {}; {}",
        intercepts.join(", "),
        slopes.join(", ")
    ))
}

fn eigen_criterion(name: &str, errors: &[(usize, f64)]) -> Criterion {
    let worst = errors.iter().map(|e| e.1).worst();
    let detail = errors
        .iter()
        .map(|(d, e)| format!("d={d}: {e:.2e}"))
        .collect::<Vec<_>>()
        .join(", ");
    Criterion::new(
        name,
        worst,
        Comparator::AtMost,
        EIGEN_RTOL,
        "backward-stable symmetric eigensolver error n*eps*||H|| relative to the smallest \
         eigenvalue is <= 4e-11 at d = 40; 1e-10 keeps a margin while any wrong point or formula \
         is off by >= 1e-3",
    )
    .with_detail(format!("max relative error per d: {detail}"))
    .rounding_level(EIGEN_RTOL / 100.0)
}

/// The global-minimum Hessian spectrum claim.
pub struct GlobalMinSpectrum;

impl Claim for GlobalMinSpectrum {
    fn info(&self) -> ClaimInfo {
        ClaimInfo {
            id: GLOBAL_MIN_SPECTRUM_ID,
            paper: "Arjevani & Field, Analytic Characterization of the Hessian in Shallow ReLU \
                    Models: A Tale of Symmetry, NeurIPS 2020 (arXiv:2008.01805)",
            summary: "At the global minimum W = V = I_d the loss Hessian has six closed-form \
                      eigenvalues; exactly d + 1 grow linearly with d, the rest stay O(1)",
            statement: "For L(W) = 1/2 E_{x~N(0,I_d)}[(1^T relu(Wx) - 1^T relu(x))^2] with k = d, the \
                        Hessian at W = I_d has eigenvalues 1/4 - 1/(2pi) (multiplicity d(d-1)/2), \
                        1/4 + 1/(2pi) (d(d-3)/2), (d+2)/8 -+ sqrt(d^2/16 - 1/pi + 1/pi^2)/2 (d-1 \
                        each) and the two roots of mu^2 - S mu + P (once each). Exactly d + 1 of \
                        them grow linearly in d (slopes 1/4, 1/4 and 1/(2pi)); the other d^2 - d - 1 \
                        stay below a d-independent bound.",
            assumptions: &[
                "Gaussian input x ~ N(0, I_d), population (infinite-data) squared loss with a 1/2",
                "ReLU activation, output weights fixed at 1, k = d students, teacher V = I_d",
                "Hessian with respect to the first-layer weights W only (d^2 x d^2)",
            ],
            criteria: &[
                (
                    "critical-point",
                    "the closed-form gradient at W = I_d vanishes (<= 1e-12), so the point is critical",
                ),
                (
                    "closed-form-eigenvalues",
                    "sorted eigenvalues of the exact analytic Hessian match the closed forms to 1e-10 relative at every tested d",
                ),
                (
                    "multiplicities",
                    "clustering at 1e-8 gives exactly the predicted (value, multiplicity) list at every d",
                ),
                (
                    "growing-count",
                    "exactly d + 1 eigenvalues exceed the d-independent level 1/2 at every d",
                ),
                (
                    "bulk-bounded",
                    "the other d^2 - d - 1 eigenvalues stay below 1/2 at every d",
                ),
                (
                    "growth-slopes",
                    "each growing branch is s d + O(1) with s = 1/4, 1/4, 1/(2pi): |eigenvalue - s d| <= 1 at every d",
                ),
                (
                    "residuals",
                    "||H - U S U^T||_F / ||H||_F and ||U^T U - I||_F <= 1e-12",
                ),
            ],
            controls: &[
                (
                    "perturbed-point",
                    "the Hessian at W = I + 0.05 G (G standard normal, seeded), a non-critical point: closed-form-eigenvalues must fail",
                ),
                (
                    "self-term-dropped",
                    "the Hessian with the kernel self-term a_i^2 I / 2 dropped from its diagonal blocks: closed-form-eigenvalues must fail",
                ),
                (
                    "loss-without-half",
                    "the spectrum of the loss without its 1/2 (all eigenvalues doubled): growth-slopes must fail",
                ),
            ],
            provenance: "Setting and loss [paper: AF 2020 introduction]. The six closed-form \
                         eigenvalues and multiplicities are derived in the project's paper note \
                         (invariant subspaces of the Delta S_d action) and were not compared with \
                         the paper's own tables, which use their own normalisation [unverified]. \
                         The qualitative claim (Theta(d) eigenvalues grow linearly, the rest O(1)) \
                         is the paper's abstract.",
            runtime: "quick (d = 4, 6, 10, 20): under a second; full (adds d = 30, 40): about \
                      3 s on 2 cores",
        }
    }

    fn run(&self, ctx: &RunContext) -> Result<Outcome, ClaimError> {
        let dims: &[usize] = match ctx.profile {
            Profile::Quick => &[4, 6, 10, 20],
            Profile::Full => &[4, 6, 10, 20, 30, 40],
        };
        let cells: Vec<Cell> = ctx.par_cells(
            GLOBAL_MIN_SPECTRUM_ID,
            dims,
            |d| format!("d={d}"),
            |&d| measure(d, ctx),
        )?;

        let per_d = |f: &dyn Fn(&Cell) -> f64| -> Vec<(usize, f64)> {
            cells.iter().map(|c| (c.d, f(c))).collect()
        };
        let fmt_list = |xs: &[(usize, f64)]| {
            xs.iter()
                .map(|(d, v)| format!("d={d}: {v:.3e}"))
                .collect::<Vec<_>>()
                .join(", ")
        };

        let mut criteria = Vec::new();

        let grads = per_d(&|c| c.grad_norm);
        criteria.push(
            Criterion::new(
                "critical-point",
                grads.iter().map(|g| g.1).worst(),
                Comparator::AtMost,
                CRITICAL_GRAD_BOUND,
                "the gradient vanishes exactly at W = V; rounding in the cancelling kernel sums \
                 leaves O(k d eps) <= 1e-13 for d <= 40",
            )
            .with_detail(format!("||grad_W L|| per d: {}", fmt_list(&grads)))
            .rounding_level(CRITICAL_GRAD_BOUND / 100.0),
        );

        criteria.push(eigen_criterion(
            "closed-form-eigenvalues",
            &per_d(&|c| c.rel_error),
        ));

        let mismatches: Vec<usize> = cells
            .iter()
            .filter(|c| c.multiplicity_mismatch)
            .map(|c| c.d)
            .collect();
        criteria.push(
            Criterion::new(
                "multiplicities",
                mismatches.len() as f64,
                Comparator::Equal,
                0.0,
                "multiplicities are integers fixed by the representation theory: exact equality; \
                 the clustering tolerance 1e-8 is 100x the eigenvalue accuracy and 1e-6 of the \
                 smallest gap between distinct branches",
            )
            .with_detail(if mismatches.is_empty() {
                "every d matches".to_owned()
            } else {
                format!("mismatched at d = {mismatches:?}")
            }),
        );

        let count_dev: Vec<(usize, f64)> = cells
            .iter()
            .map(|c| (c.d, (c.above_level as f64 - (c.d + 1) as f64).abs()))
            .collect();
        criteria.push(
            Criterion::new(
                "growing-count",
                count_dev.iter().map(|x| x.1).worst(),
                Comparator::Equal,
                0.0,
                "the claim is an exact count: d + 1 eigenvalues on growing branches; 1/2 separates \
                 the O(1) bulk (<= 0.41) from the growing branches (>= 0.63) at every d >= 4",
            )
            .with_detail(
                cells
                    .iter()
                    .map(|c| format!("d={}: {} above 1/2 (d+1 = {})", c.d, c.above_level, c.d + 1))
                    .collect::<Vec<_>>()
                    .join(", "),
            ),
        );

        let bulk = per_d(&|c| c.bulk_max);
        let bulk_top = cells
            .iter()
            .map(|c| {
                // the (d+1)-th largest eigenvalue: the top of the claimed bounded part
                let n = c.values.len();
                c.values[n - c.d - 2]
            })
            .worst();
        criteria.push(
            Criterion::new(
                "bulk-bounded",
                bulk_top,
                Comparator::LessThan,
                GROWTH_LEVEL,
                "O(1) means bounded independently of d: the largest of the d^2 - d - 1 remaining \
                 eigenvalues stays under the fixed level 1/2 while d grows fivefold or more",
            )
            .with_detail(format!(
                "largest eigenvalue <= 1/2 per d: {}",
                fmt_list(&bulk)
            )),
        );

        let growth: Vec<_> = cells.iter().map(|c| (c.d, c.growing.clone())).collect();
        criteria.push(growth_criterion(&growth));

        let residuals = per_d(&|c| worst([c.residual, c.orthogonality]));
        criteria.push(
            Criterion::new(
                "residuals",
                residuals.iter().map(|x| x.1).worst(),
                Comparator::AtMost,
                RESIDUAL_BOUND,
                "a backward-stable eigensolver leaves O(sqrt(n) eps)..O(n eps) residuals, <= 1e-12 \
                 for n <= 1600; a larger residual would make every eigenvalue above suspect",
            )
            .with_detail(format!(
                "max(reconstruction, orthogonality) per d: {}",
                fmt_list(&residuals)
            ))
            .rounding_level(RESIDUAL_BOUND / 100.0),
        );

        let controls = vec![
            Control::new(
                "perturbed-point",
                "Hessian at W = I + 0.05 G, G ~ N(0, 1) entrywise (seeded per d): not a critical \
                 point, so the closed-form spectrum must not be reproduced",
                eigen_criterion(
                    "closed-form-eigenvalues",
                    &per_d(&|c| c.perturbed_rel_error),
                )
                .with_detail(format!(
                    "max relative error per d: {}; gradient norm there: {}",
                    fmt_list(&per_d(&|c| c.perturbed_rel_error)),
                    fmt_list(&per_d(&|c| c.perturbed_grad_norm))
                )),
            ),
            Control::new(
                "self-term-dropped",
                "Hessian at W = I_d with the self-term a_i^2 I / 2 of the kernel dropped from \
                 every diagonal block (a deliberately wrong Hessian)",
                eigen_criterion("closed-form-eigenvalues", &per_d(&|c| c.no_self_rel_error)),
            ),
            Control::new(
                "loss-without-half",
                "the spectrum of the Hessian of E[(f - f*)^2] without the 1/2 (every eigenvalue \
                 doubled, a common normalisation slip): the branches no longer grow with the \
                 claimed slopes, so growth-slopes must fail",
                growth_criterion(
                    &cells
                        .iter()
                        .map(|c| {
                            let doubled: Vec<f64> = c.values.iter().map(|v| 2.0 * v).collect();
                            (c.d, growing_branches(c.d, &doubled))
                        })
                        .collect::<Vec<_>>(),
                ),
            ),
        ];

        let dims_text = dims
            .iter()
            .map(|d| d.to_string())
            .collect::<Vec<_>>()
            .join(", ");
        let plots = vec![
            PlotSpec::new(
                "spectrum",
                "Hessian spectrum at the global minimum W = V = I_d",
                "spectrum",
                ("rank", "rank (ascending)"),
                (&["eigenvalue"], "eigenvalue"),
            )
            .log_y()
            .group_by("d")
            .points()
            .reference(Reference::horizontal("1/4 - 1/(2 pi)", 0.25 - 1.0 / (2.0 * PI)))
            .reference(Reference::horizontal("1/4 + 1/(2 pi)", 0.25 + 1.0 / (2.0 * PI)))
            .reference(Reference::horizontal("level 1/2", GROWTH_LEVEL))
            .caption(format!("all d^2 eigenvalues of the exact Hessian, d = {dims_text}")),
            PlotSpec::new(
                "growth",
                "Growing branches against d",
                "growth",
                ("d", "d (input dimension = students)"),
                (&["eigenvalue"], "eigenvalue"),
            )
            .group_by("branch")
            .points()
            .reference(Reference::line("d/4", 0.0, 0.25))
            .reference(Reference::line("d/(2 pi)", 0.0, 1.0 / (2.0 * PI)))
            .caption(format!(
                "the d + 1 eigenvalues above 1/2 by branch, d = {dims_text}; slopes 1/4 and 1/(2 pi)"
            )),
        ];
        Ok(Outcome::new(criteria, controls, evidence_tables(&cells))
            .with_plots(plots)
            .with_headline("closed-form-eigenvalues"))
    }
}

fn evidence_tables(cells: &[Cell]) -> Vec<Table> {
    let mut spectrum = Table::new("spectrum", &["d", "rank", "eigenvalue"]);
    let mut clusters = Table::new(
        "clusters",
        &[
            "d",
            "value",
            "multiplicity",
            "predicted_value",
            "predicted_multiplicity",
        ],
    );
    let mut growth = Table::new(
        "growth",
        &[
            "d",
            "branch",
            "eigenvalue",
            "multiplicity",
            "eigenvalue_over_d",
            "asymptotic_slope",
        ],
    );
    let mut controls = Table::new(
        "controls",
        &["d", "control", "max_relative_error", "grad_norm"],
    );
    for c in cells {
        for (rank, v) in c.values.iter().enumerate() {
            spectrum.push(vec![c.d.into(), rank.into(), (*v).into()]);
        }
        for (computed, predicted) in &c.clusters {
            clusters.push(vec![
                c.d.into(),
                computed.map(|x| x.0).into(),
                computed.map(|x| x.1).into(),
                predicted.map(|x| x.0).into(),
                predicted.map(|x| x.1).into(),
            ]);
        }
        for g in &c.growing {
            growth.push(vec![
                c.d.into(),
                g.branch.into(),
                g.value.into(),
                g.multiplicity.into(),
                (g.value / c.d as f64).into(),
                g.slope.into(),
            ]);
        }
        controls.push(vec![
            c.d.into(),
            "none".into(),
            c.rel_error.into(),
            c.grad_norm.into(),
        ]);
        controls.push(vec![
            c.d.into(),
            "perturbed-point".into(),
            c.perturbed_rel_error.into(),
            c.perturbed_grad_norm.into(),
        ]);
        controls.push(vec![
            c.d.into(),
            "self-term-dropped".into(),
            c.no_self_rel_error.into(),
            Value::Missing,
        ]);
    }
    vec![spectrum, clusters, growth, controls]
}

// ---------------------------------------------------------------------------------------------
// Arjevani & Field 2021: the type-A family of spurious minima and the concentration of their
// Hessian spectra.
// ---------------------------------------------------------------------------------------------

pub const TYPE_A_MINIMA_ID: &str = "arjevani2021.type-a-minima";
pub const HESSIAN_CONCENTRATION_ID: &str = "arjevani2021.hessian-concentration";

/// A deliberately crude start for the reduced Newton solve at d = 5, taken from the qualitative
/// description of the family (students on their teachers, the odd student pointing away), not
/// from any table; larger d continue from the solution at d - 1.
const CRUDE_START: TypeA = TypeA {
    a: 1.0,
    b: 0.0,
    c: 0.3,
    e: 0.3,
    f: -0.5,
};

/// Gradient norm at which the reduced Newton iteration stops: a few ulps of the O(1) gradient
/// terms, well below the claim's 1e-10.
const NEWTON_TOL: f64 = 1e-13;

/// Largest d analysed with the dense Hessian (d^2 = 1600 rows, about 1 s per eigensolve); larger
/// d use the symmetry-adapted blocks, which agree with the dense spectrum to 3e-14 of ||H|| at
/// every d <= 40 (crates/kernel/tests/symmetric_hessian.rs). Continuation visits every d up to
/// here and only the requested d beyond.
const DENSE_LIMIT: usize = 40;

/// The Newton stopping rule at dimension d: [`NEWTON_TOL`] up to [`DENSE_LIMIT`], growing like
/// d^2 beyond. ||grad L||_F sums d^2 entries, each a sum of ~2d O(1) terms, so its rounding
/// floor grows like eps d^1.5 (observed 1.3e-13 at d = 80); d^2 keeps a margin, and at d = 200
/// the rule (2.5e-12) is still 40 times below the criticality bound [`TYPE_A_GRAD_BOUND`].
fn newton_tol(d: usize) -> f64 {
    let growth = (d as f64 / DENSE_LIMIT as f64).max(1.0);
    NEWTON_TOL * growth * growth
}

/// The criticality bound for solved points: the reduced solve reaches ~1e-15, and
/// 1e-10 still separates them from any non-critical point by orders of magnitude.
const TYPE_A_GRAD_BOUND: f64 = 1e-10;

/// Reference rows (d, loss, [a, b, c, e, f], lambda_min, lambda_max) [computed] in the project's
/// paper note by an independent implementation (not the paper's own table, which was not read).
/// The d = 7 row agrees to every printed digit with the k = 7 minimum published in the README of
/// the Safran-Yehudai-Shamir repository ItaySafran/Overparameterization [unverified as a paper
/// statement]. Losses carry 10 decimals, parameters 8, lambda_min 5 and lambda_max 4.
#[allow(clippy::type_complexity)]
const TYPE_A_REFERENCE: [(usize, f64, [f64; 5], f64, f64); 9] = [
    (
        5,
        0.0269704695,
        [0.96160683, -0.07908255, 0.37606505, 0.28754993, -0.55977841],
        -0.00770,
        1.7489,
    ),
    (
        6,
        0.0250805810,
        [0.98670382, -0.05041340, 0.30801099, 0.22451581, -0.60151192],
        0.00470,
        2.0237,
    ),
    (
        7,
        0.0232027149,
        [0.99692280, -0.03508016, 0.26169108, 0.18599105, -0.63270390],
        0.01406,
        2.2955,
    ),
    (
        8,
        0.0215080372,
        [1.00143425, -0.02588363, 0.22808902, 0.15981604, -0.65825626],
        0.02135,
        2.5646,
    ),
    (
        9,
        0.0200141758,
        [1.00347456, -0.01991471, 0.20252506, 0.14070875, -0.68005024],
        0.02718,
        2.8314,
    ),
    (
        10,
        0.0187021946,
        [1.00435482, -0.01581193, 0.18236776, 0.12604236, -0.69903682],
        0.03196,
        3.0964,
    ),
    (
        12,
        0.0165237927,
        [1.00467906, -0.01067771, 0.15249275, 0.10480931, -0.73073639],
        0.03935,
        3.6216,
    ),
    (
        16,
        0.0133998451,
        [1.00387700, -0.00581643, 0.11545257, 0.07904474, -0.77731214],
        0.04900,
        4.6590,
    ),
    (
        20,
        0.0112755819,
        [1.00300375, -0.00365514, 0.09318741, 0.06371471, -0.81002058],
        0.05509,
        5.6856,
    ),
];

/// One solved and analysed member of the family.
struct TypeAPoint {
    d: usize,
    solution: ReducedSolution,
    /// All d^2 eigenvalues, ascending.
    spectrum: Vec<f64>,
    /// The isotypic blocks when the spectrum came from them (d > [`DENSE_LIMIT`]).
    blocks: Option<Vec<IsotypicBlock>>,
    /// max of the trace and Frobenius invariant errors of the eigenvalues.
    invariant_error: f64,
    grad_norm: f64,
    classification: Classification,
}

/// Solves the family by continuation over every d from 5 to the largest requested (only the
/// requested ones beyond [`DENSE_LIMIT`], where the family moves slowly), and keeps the
/// requested ones. The solves are sequential (each starts from the previous d).
fn solve_family(dims: &[usize], claim: &str) -> Result<Vec<(usize, ReducedSolution)>, ClaimError> {
    let top = dims.iter().copied().max().unwrap_or(5);
    let mut start = CRUDE_START;
    let mut out = Vec::new();
    for d in (5..=top).filter(|d| *d <= DENSE_LIMIT || dims.contains(d)) {
        let s = solve_type_a(d, start, newton_tol(d), 60).in_cell(&format!("{claim} d={d}"))?;
        start = s.point;
        if dims.contains(&d) {
            out.push((d, s));
        }
    }
    Ok(out)
}

/// Full-space verification of each solved point: gradient at the full point, and the Hessian
/// spectrum, dense up to [`DENSE_LIMIT`] and from the symmetry-adapted blocks beyond (cells in
/// parallel, each sequential).
fn analyse_family(
    solved: Vec<(usize, ReducedSolution)>,
    ctx: &RunContext,
    claim: &str,
) -> Result<Vec<TypeAPoint>, ClaimError> {
    ctx.par_cells(
        claim,
        &solved,
        |(d, _)| format!("d={d}"),
        |(d, solution)| {
            let (d, cell) = (*d, format!("d={d}"));
            let loss = PopulationLoss::new(TwoLayerNet::identity(d));
            let net = solution.point.network(d);
            let (a, blocks) = if d <= DENSE_LIMIT {
                let a = analyse_point(&loss, &net, Tolerances::PUBLISHED, u128::MAX, Par::Seq)
                    .in_cell(&cell)?;
                (a, None)
            } else {
                let s = analyse_symmetric_point(&loss, &net, Tolerances::PUBLISHED)
                    .in_cell(&cell)?
                    .ok_or_else(|| {
                        let why = "the type-A point was not detected as symmetric";
                        ClaimError::at(&cell, Cause::Missing(why.to_owned()))
                    })?;
                (s.analysis, Some(s.spectrum.blocks))
            };
            Ok(TypeAPoint {
                d,
                solution: solution.clone(),
                invariant_error: worst([a.trace_error, a.frobenius_error]),
                grad_norm: a.grad_norm,
                classification: a.classification,
                spectrum: a.spectrum,
                blocks,
            })
        },
    )
}

fn lambda_min(p: &TypeAPoint) -> f64 {
    p.spectrum[0]
}

fn lambda_max(p: &TypeAPoint) -> f64 {
    p.spectrum[p.spectrum.len() - 1]
}

/// critical: every point's full gradient norm is at most the bound.
fn critical_criterion(points: &[(usize, f64)]) -> Criterion {
    let worst = points.iter().map(|p| p.1).worst();
    Criterion::new(
        "critical",
        worst,
        Comparator::AtMost,
        TYPE_A_GRAD_BOUND,
        "a zero of the reduced gradient is a zero of the full gradient (equivariance); the \
         reduced Newton solve stops at 1e-13, so anything above 1e-10 is not a critical point",
    )
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
fn minimum_criterion(points: &[(usize, f64)]) -> Criterion {
    let worst = points.iter().map(|p| p.1).least();
    Criterion::new(
        "strict-minimum",
        worst,
        Comparator::GreaterThan,
        Tolerances::PUBLISHED.eigenvalue,
        "a critical point with lambda_min(H) > 0 is a strict local minimum; 1e-6 is above the \
         eigenvalue accuracy (~1e-12) and the shift a 1e-10 gradient residual can cause",
    )
    .with_detail(
        points
            .iter()
            .map(|(d, l)| format!("d={d}: lambda_min = {l:.5}"))
            .collect::<Vec<_>>()
            .join(", "),
    )
}

/// The type-A minima claim.
pub struct TypeAMinima;

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
            criteria: &[
                (
                    "critical",
                    "the full-space gradient norm at each solved point is <= 1e-10",
                ),
                (
                    "strict-minimum",
                    "lambda_min of the dense Hessian is > 1e-6 at every tested d >= 6",
                ),
                (
                    "spurious",
                    "the loss is bounded away from the global minimum's 0: >= 1e-3 at every d",
                ),
                (
                    "matches-reference",
                    "loss, (a, b, c, e, f), lambda_min and lambda_max agree with the independently computed reference table to the printed digits",
                ),
                (
                    "eigenvalue-invariants",
                    "the eigenvalues reproduce tr H and ||H||_F to 1e-12 (values-only residuals)",
                ),
            ],
            controls: &[
                (
                    "saddle-at-d5",
                    "the same family at d = 5: strict-minimum must fail (lambda_min ~ -0.0077, a saddle)",
                ),
                (
                    "off-family-point",
                    "each solved point moved by 1e-3 G (G standard normal, seeded): critical must fail",
                ),
            ],
            provenance: "The family's isotropy and the saddle-to-minimum change between d = 5 and 6 \
                         are described in AF 2021 [paper: abstract]; Safran-Shamir 2018 report \
                         spurious minima for 6 <= k <= 20 [paper: abstract]. The points are found \
                         here from a crude start by Newton on the reduced gradient and verified \
                         in the full d^2-dimensional space. The reference numbers are the project \
                         note's own independent computation [computed]; the d = 7 row matches a \
                         minimum published by Safran, Yehudai and Shamir [unverified as a paper \
                         statement]. The name 'type A' for this isotropy is [unverified].",
            runtime: "quick (d = 5, 6, 7, 10): under a second; full (d = 5..40): about 5 s on 2 \
                      cores (dense Hessian spectra up to 1600 x 1600)",
        }
    }

    fn run(&self, ctx: &RunContext) -> Result<Outcome, ClaimError> {
        let dims: Vec<usize> = match ctx.profile {
            Profile::Quick => vec![5, 6, 7, 10],
            Profile::Full => (5..=40).collect(),
        };
        let solved = solve_family(&dims, TYPE_A_MINIMA_ID)?;
        let points = analyse_family(solved, ctx, TYPE_A_MINIMA_ID)?;
        let (at_five, beyond): (Vec<&TypeAPoint>, Vec<&TypeAPoint>) =
            points.iter().partition(|p| p.d == 5);

        let mut criteria = vec![
            critical_criterion(
                &points
                    .iter()
                    .map(|p| (p.d, p.grad_norm))
                    .collect::<Vec<_>>(),
            ),
            minimum_criterion(
                &beyond
                    .iter()
                    .map(|p| (p.d, lambda_min(p)))
                    .collect::<Vec<_>>(),
            ),
        ];
        let losses: Vec<(usize, f64)> = points.iter().map(|p| (p.d, p.solution.loss)).collect();
        criteria.push(
            Criterion::new(
                "spurious",
                losses.iter().map(|l| l.1).least(),
                Comparator::AtLeast,
                1e-3,
                "the global minimum has loss 0; the family's loss decays only like 1/d \
                 (0.011 at d = 20), so 1e-3 separates spurious from global at every tested d",
            )
            .with_detail(
                losses
                    .iter()
                    .map(|(d, l)| format!("d={d}: {l:.10}"))
                    .collect::<Vec<_>>()
                    .join(", "),
            ),
        );

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
            Criterion::new(
                "matches-reference",
                if compared.is_empty() {
                    f64::NAN
                } else {
                    worst(in_half_units)
                },
                Comparator::AtMost,
                1.0,
                "measured in units of half the last printed digit of the reference (5e-11 for the \
                 loss, 5e-9 for parameters, 5e-6 / 5e-5 for lambda_min / lambda_max): rounding \
                 alone cannot exceed 1",
            )
            .with_detail(format!("compared at d = {compared:?}"))
            // computed values carry ~1e-16 absolute noise, i.e. up to ~1e-5 of a half unit
            .rounding_level(1e-3),
        );
        let invariants: Vec<(usize, f64)> =
            points.iter().map(|p| (p.d, p.invariant_error)).collect();
        criteria.push(
            Criterion::new(
                "eigenvalue-invariants",
                invariants.iter().map(|x| x.1).worst(),
                Comparator::AtMost,
                RESIDUAL_BOUND,
                "eigenvalues of a backward-stable solver reproduce the trace and Frobenius norm \
                 to O(n eps); a larger error would make lambda_min untrustworthy",
            )
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
                "saddle-at-d5",
                "the family at d = 5, below the dimension where it becomes a minimum: the Hessian \
                 has a negative eigenvalue there, so strict-minimum must fail",
                minimum_criterion(
                    &at_five
                        .iter()
                        .map(|p| (p.d, lambda_min(p)))
                        .collect::<Vec<_>>(),
                ),
            ),
            Control::new(
                "off-family-point",
                "every solved point moved by 1e-3 G, G ~ N(0, 1) entrywise (seeded per d): not a \
                 critical point, so critical must fail",
                critical_criterion(&off),
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
        ];
        Ok(
            Outcome::new(criteria, controls, vec![table, reference_rows])
                .with_plots(plots)
                .with_headline("strict-minimum"),
        )
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
            criteria: &[
                (
                    "minima",
                    "every tested type-A point is critical (<= 1e-10) and a strict minimum (lambda_min > 1e-6)",
                ),
                (
                    "growing-count",
                    "the number of eigenvalues above 1/2, divided by d, stays in [1/2, 2]",
                ),
                (
                    "top-slope",
                    "the least-squares slope of lambda_max against d has its 95% t-interval in [1/4 - 0.05, 1/4 + 0.05]",
                ),
                (
                    "proximity-rate",
                    "the log-log slope of the spectral distance to the global minimum has its 95% t-interval in [-0.8, -0.3]",
                ),
            ],
            controls: &[
                (
                    "unnormalised-global",
                    "distance to the global spectrum of the loss without its 1/2 (eigenvalues doubled): the distance grows with d and proximity-rate must fail",
                ),
                (
                    "random-point",
                    "random points W ~ N(0, 1/d) in place of the minima: minima must fail (they are not critical)",
                ),
            ],
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

#[cfg(test)]
mod tests {
    use super::*;

    /// Reference values from the paper note (computed there independently, 7 digits).
    #[test]
    fn closed_forms_reproduce_the_reference_table() {
        let table = [
            (4, 0.3075604, 1.1924396, 0.6258703, 1.5107495),
            (6, 0.2870815, 1.7129185, 0.8896627, 2.0652669),
            (10, 0.2718905, 2.7281095, 1.4623809, 3.1291685),
            (20, 0.2608731, 5.2391269, 2.9792063, 5.7038925),
        ];
        for (d, lm, lp, mm, mp) in table {
            let s = global_min_spectrum(d);
            let get = |n: &str| s.iter().find(|b| b.name == n).unwrap().value;
            for (got, want) in [
                (get("lambda-minus"), lm),
                (get("lambda-plus"), lp),
                (get("mu-minus"), mm),
                (get("mu-plus"), mp),
            ] {
                assert!((got - want).abs() < 6e-8, "d={d}: {got} vs {want}");
            }
            let total: usize = s.iter().map(|b| b.multiplicity).sum();
            assert_eq!(total, d * d);
        }
    }

    /// The diagonal blocks of the Hessian at the global minimum are I/2, so its trace is
    /// d^2 / 2; the closed-form eigenvalues with their multiplicities must sum to it.
    #[test]
    fn eigenvalues_sum_to_the_trace() {
        for d in [4, 7, 12, 33] {
            let sum: f64 = global_min_spectrum(d)
                .iter()
                .map(|b| b.value * b.multiplicity as f64)
                .sum();
            let trace = (d * d) as f64 / 2.0;
            assert!(
                (sum - trace).abs() < 1e-9 * trace,
                "d={d}: {sum} vs {trace}"
            );
        }
    }

    /// Beyond the dense limit the family is analysed through its blocks: the point at d = 60
    /// (continued from d = 40) is a strict minimum with all d^2 eigenvalues, d + 1 of them above
    /// 1/2, and its blocks with multiplicities summing to d^2.
    #[test]
    fn points_beyond_the_dense_limit_use_the_blocks() {
        let ctx = RunContext {
            profile: Profile::Full,
            master_seed: 0,
            progress: &crate::NoProgress,
        };
        let solved = solve_family(&[60], "test").unwrap();
        let points = analyse_family(solved, &ctx, "test").unwrap();
        let p = &points[0];
        assert_eq!(p.d, 60);
        assert_eq!(p.classification, Classification::Minimum);
        assert_eq!(p.spectrum.len(), 3600);
        assert_eq!(p.spectrum.iter().filter(|&&x| x > GROWTH_LEVEL).count(), 61);
        let blocks = p.blocks.as_ref().expect("blocks beyond the dense limit");
        let total: usize = blocks
            .iter()
            .map(|b| b.multiplicity * b.eigenvalues.len())
            .sum();
        assert_eq!(total, 3600);
        assert!(p.invariant_error < 1e-12, "{}", p.invariant_error);
    }

    /// Distinct branches are separated by far more than the clustering tolerance.
    #[test]
    fn branches_are_separated() {
        for d in 4..=40 {
            let mut v: Vec<f64> = global_min_spectrum(d).iter().map(|b| b.value).collect();
            v.sort_by(f64::total_cmp);
            let gap = v.windows(2).map(|w| w[1] - w[0]).least();
            assert!(gap > 0.09, "d={d}: smallest gap {gap}");
        }
    }
}
