//! `su2019.eigenspace-rates`: along gradient descent on a wide two-layer ReLU net, the
//! projection of the residual on a degree-k spherical harmonic decays linearly at the rate
//! 1 - eta mu_k of the kernel's Funk–Hecke eigenvalue, at every n, and an odd degree >= 3
//! (mu_k = 0) is not learned.

use super::PAPER;
use super::bands::{band_position, identification_bands};
use super::gd_sphere::{D, Sample, antisymmetric_init, descend, log_slope, sample};
use crate::stats::{interval_envelope, mean_interval_or_nan, welch_difference};
use crate::{
    Claim, ClaimError, ClaimInfo, Control, ControlSpec, CriterionSpec, FalseFailure, Outcome,
    PlotSpec, Profile, RunContext, Table,
};
use overparam_kernel::sphere::{DotProductKernel, closed_form_eigenvalues};

pub const EIGENSPACE_RATES_ID: &str = "su2019.eigenspace-rates";

/// The eigenspace-rates claim.
pub struct EigenspaceRates;

// Input dimension: gd_sphere's D, the circle S^1 (mu_4 = 0.00766 is 3.4 times its value on
// S^2, well above the n^-1/2 perturbation of the empirical spectrum at the tested n).
/// Step size of GD on the loss (1/2n) sum_i (y_i - f(x_i))^2.
const ETA: f64 = 5.0;
/// Degrees whose eigenvalue is positive (learned) and the null degree.
const LEARNED: [usize; 3] = [1, 2, 4];
const NULL: usize = 3;
/// Each degree runs until its predicted remaining fraction is exp(-HORIZON).
const HORIZON: f64 = 1.0;
/// The constant coordinate of the bias control's inputs (x, BETA).
const BETA: f64 = 0.5;
/// The per-test chance level: 14 interval tests share the 1% budget (union bound).
const ALPHA: f64 = 0.0007;
/// The degrees whose rates are gated: degree 1's identification band is set by mu_0 = 0.101,
/// so close to mu_1 = 0.125 ([0.849, 1.178]) that its replicate spread at n = 150 (~14%, the
/// empirical kernel mixing the two nearby eigenspaces) cannot place it at this level; it is
/// reported in rates_by_degree and gated by components-learned.
const RATE_DEGREES: [usize; 2] = [2, 4];

/// Independent data sets and initialisations per (n, degree): 12 for the rate-gated degrees 2
/// and 4 (at 6, the t quantile of 5 degrees of freedom at level 1 - 0.0007, about 8.9 against
/// 4.9 at 11, made an interval wider than its band: degree 4 at 1 of the first 17 seeds,
/// degree 2's Welch interval at seed 48 of 100, failures of power, not of coverage); 6 for
/// degree 1 (reported, not rate-gated); 4 for the null degree (26 steps each, its values near 0).
fn replicates(degree: usize) -> u64 {
    match degree {
        1 => 6,
        2 | 4 => 12,
        _ => 4,
    }
}

const RATES: CriterionSpec = CriterionSpec::evidence(
    "rates-match-eigenvalues",
    "for each n and k in {2, 4}: the t-interval (12 replicates each; level 1 - 0.0007 \
     each, Bonferroni) of the rate ratio s_k / log(1 - eta mu_k), s_k the least-squares slope \
     of log c_k(t) (c_k = <r_t, y_k> / <y_k, y_k>, target y_k a zonal degree-k harmonic) over \
     the degree's horizon, as a position in the degree's identification band [l_k, h_k]: the \
     geometric midpoints between r_k = -log(1 - eta mu_k) and the nearest other rates of the \
     kernel (k = 2: [0.344, 1.462]; k = 4: [0.629, 2.909]; k = 1's [0.849, 1.178] is \
     reported, not gated), position log(ratio) / log h_k above 1, log(ratio) / -log l_k \
     below; every interval within [-1, 1], i.e. each rate is nearer its own eigenvalue than \
     any other's (the envelope of the four is reported)",
)
.interval_within(-1.0, 1.0);

const N_FREE: CriterionSpec = CriterionSpec::evidence(
    "rate-independent-of-n",
    "for each k in {2, 4}: the Welch t-interval (level 1 - 0.0007) of log ratio(n_large) - \
     log ratio(n_small), divided by the degree's narrower band side min(log h_k, -log l_k) \
     (0.380, 0.464): within [-1, 1], the rate moves between the two n by less than its \
     distance to the nearest other eigenvalue's rate (the envelope of the two)",
)
.interval_within(-1.0, 1.0);

const LEARNED_CRIT: CriterionSpec = CriterionSpec::evidence(
    "components-learned",
    "for each n and k in {1, 2, 4}: the t-interval (level 1 - 0.0007) of the learned fraction \
     1 - c_k(T_k) over its predicted value 1 - (1 - eta mu_k)^T_k (>= 0.632), T_k the first \
     step where (1 - eta mu_k)^T <= e^-1: within [1/2, 3/2], nearer 'learned as predicted' \
     (1) than 'not learned' (0) (the envelope of the six)",
)
.interval_within(0.5, 1.5);

const NULL_CRIT: CriterionSpec = CriterionSpec::evidence(
    "null-degree-not-learned",
    "for each n: the t-interval (4 replicates, level 1 - 0.0007) of s_3 / log(1 - eta mu_4), \
     the decay rate of a degree-3 target (mu_3 = 0 exactly, predicted 0; finite n leaks O(1/n) \
     of it into the learned eigenspaces) over one horizon of degree 4, as a fraction of the \
     slowest learned degree's predicted rate: within [-1/2, 1/2], nearer 'not learned' (0) \
     than 'learned at degree 4's rate' (1)",
)
.interval_within(-0.5, 0.5);

const ODD_TARGET: ControlSpec = ControlSpec::new(
    "odd-target",
    "hypothesis violated: the target is a degree-3 harmonic (null space) in place of the \
     degree-4 one; GD cannot learn it and components-learned must fail (1 - c(T) small next \
     to degree 4's predicted 0.638 at the same step)",
);

const BIAS: ControlSpec = ControlSpec::new(
    "bias-term",
    "a kernel with a bias (inputs (x, 1/2), the net relu(w.x + b)): the odd eigenvalues are no \
     longer zero, the degree-3 target is learned and null-degree-not-learned must fail",
);

const NARROW: ControlSpec = ControlSpec::new(
    "narrow-width",
    "hypothesis violated: width m = n/4 instead of 2 n ln n, far from the kernel regime: the \
     rates no longer follow mu_k and rates-match-eigenvalues must fail",
);

const PROVENANCE: &str = "Confirmed with the search tool (the abstract of arXiv 1905.10826 on \
    emergentmind.com and the opening of its v2 text in the SPIQA copy): two-layer ReLU networks \
    trained by GD; the prediction errors evolve in a matrix form whose matrices approximate an \
    integral operator determined by the feature distribution only; GD approximately applies \
    powers of it to f*; the risk falls at a linear rate set by f* and rho, independent of n, to \
    the low-rank approximation error; width Omega(n log n); application to the uniform law on \
    the sphere with polynomial targets [paper]. NOT confirmed (the searchable copies stop \
    before the setting): the model f = m^-1/2 sum a_j relu(w_j . x) with a_j = +-1 fixed and \
    only w trained, the loss normalisation, the statement that odd degrees >= 3 are in the \
    null space; these are the project note's reading (../shared/papers/su-yang-2019.md), \
    [unverified] as the paper's. Derived here and checked by test: mu_k of H(t) = t kappa0(t)/2 \
    = (NTK_1 - kappa1)/2 from the closed forms of crates/kernel/src/sphere, equal to the note's \
    circle closed forms 1/pi^2, 1/8, (k^2 + 1)/(pi^2 (k^2 - 1)^2) [derived]; the bias kernel's \
    circle eigenvalues (inputs (x, 1/2)): mu_3 = 0.0067, mu_4 = 0.0045 by midpoint quadrature \
    [computed].";

const RUNTIME: &str = "measured at master seed 0 with 12 degree-2 replicates, one thread on the \
                       shared 2-core machine (AMD EPYC, AVX2), load ~1: quick 1.8 s; full (n = 400 \
                       and 1600): 52 s wall, 50 s of CPU (pass; reports/full/\
                       su2019.eigenspace-rates/)";

struct Sizes {
    ns: &'static [usize],
}

fn sizes(profile: Profile) -> Sizes {
    match profile {
        Profile::Quick => Sizes { ns: &[150, 300] },
        Profile::Full => Sizes { ns: &[400, 1600] },
    }
}

/// mu_0..mu_K of H(t) = t kappa0(t) / 2 = (NTK_1 - kappa1) / 2 (closed forms).
pub fn first_layer_eigenvalues(d: usize, max_degree: usize) -> Vec<f64> {
    let ntk = closed_form_eigenvalues(DotProductKernel::ReluNtk { depth: 1 }, d, max_degree)
        .expect("closed form of the one-layer NTK");
    let nngp = closed_form_eigenvalues(DotProductKernel::ArcCos1, d, max_degree)
        .expect("closed form of kappa1");
    ntk.iter()
        .zip(&nngp)
        .map(|(a, b)| {
            if a.structural_zero {
                0.0
            } else {
                0.5 * (a.value - b.value)
            }
        })
        .collect()
}

/// One GD run; returns c(t) = <r_t, y> / <y, y> for t = 0..=steps.
#[allow(clippy::too_many_arguments)]
fn trajectory(
    ctx: &RunContext,
    cell: &str,
    n: usize,
    m: usize,
    degree: usize,
    bias: bool,
    steps: usize,
    replicate: u64,
) -> Vec<f64> {
    let mut rng = ctx.seed(EIGENSPACE_RATES_ID, cell, replicate).rng();
    let Sample { x, e, y, .. } = sample(&mut rng, n, &[(degree, 1.0)], bias.then_some(BETA));
    let w = antisymmetric_init(&mut rng, m, e);
    let yy: f64 = y.iter().map(|a| a * a).sum();
    let mut out = Vec::with_capacity(steps + 1);
    descend(&x, e, &y, w, ETA, steps, |r| {
        out.push(r.iter().zip(&y).map(|(a, b)| a * b).sum::<f64>() / yy);
    });
    out
}

fn horizon(mu: f64) -> usize {
    ((HORIZON / -(1.0 - ETA * mu).ln()).ceil() as usize).max(1)
}

fn width(n: usize) -> usize {
    (2.0 * n as f64 * (n as f64).ln()).round() as usize
}

impl Claim for EigenspaceRates {
    fn info(&self) -> ClaimInfo {
        ClaimInfo {
            id: EIGENSPACE_RATES_ID,
            paper: PAPER,
            summary: "GD on a wide two-layer ReLU net decays each degree-k harmonic of the \
                      residual at 1 - eta mu_k, independently of n; odd degrees >= 3 are not \
                      learned",
            statement: "For uniform data on S^(d-1) and width m = Omega(n log n), the residual's \
                        projection on the degree-k eigenspace of the integral operator of H(x, \
                        x') = (x . x') P(w.x > 0, w.x' > 0) falls by the factor 1 - eta mu_k per \
                        GD step, with a rate that depends on the target and the input law only \
                        (not on n); components in the null space (odd k >= 3) are not learned.",
            assumptions: &[
                "f(x) = m^-1/2 sum_j a_j relu(w_j . x), a_j = +-1 fixed in antisymmetric pairs \
                 (f_0 = 0), w_j ~ N(0, I_d) trained by full-batch GD on (1/2n) sum (y - f)^2",
                "d = 2 (the circle), eta = 5, m = 2 n ln n, n in {150, 300} (quick) or {400, \
                 1600} (full)",
                "targets: zonal harmonics sqrt(N(d, k)) P_k(x . z), z uniform, one run per degree \
                 and replicate (6, 12, 12, 4 replicates for k = 1, 2, 4, 3)",
            ],
            criteria: const { &[RATES, N_FREE, LEARNED_CRIT, NULL_CRIT] },
            controls: const { &[ODD_TARGET, BIAS, NARROW] },
            provenance: PROVENANCE,
            runtime: RUNTIME,
            false_failure: FalseFailure::union_bound(
                &[ALPHA; 14],
                "14 two-sided t-intervals over replicates inside the run, each at level \
                 1 - 0.0007 (4 rate ratios: k = 2, 4 at 2 n; 6 learned fractions: k = 1, 2, 4 \
                 at 2 n; 2 Welch differences across n; 2 null-degree rates), union bound \
                 14 x 0.0007 = 0.0098: \
                 a criterion fails by chance only if an interval misses its true mean, which \
                 the theory puts inside each band (rate ratios 1 + O(n^-1/2), inside bands set \
                 by the neighbouring eigenvalues; learned fraction over prediction ~1 in \
                 [1/2, 3/2]; the null rate ~0 in [-1/2, 1/2]); the t-intervals assume \
                 near-normal replicate means",
            ),
        }
    }

    fn run(&self, ctx: &RunContext) -> Result<Outcome, ClaimError> {
        let sz = sizes(ctx.profile);
        let mu = first_layer_eigenvalues(D, 6);
        let bands = identification_bands(&mu, ETA);
        let t4 = horizon(mu[4]);
        // (label, n, m, degree, bias, steps, replicate)
        type Cell = (String, usize, usize, usize, bool, usize, u64);
        let mut cells: Vec<Cell> = Vec::new();
        let mut push = |label: String, n, m, k, bias, steps, reps: u64| {
            for r in 0..reps {
                cells.push((label.clone(), n, m, k, bias, steps, r));
            }
        };
        for &n in sz.ns {
            for &k in &LEARNED {
                let label = format!("n={n},k={k}");
                push(label, n, width(n), k, false, horizon(mu[k]), replicates(k));
            }
            let label = format!("n={n},k={NULL}");
            push(label, n, width(n), NULL, false, t4, replicates(NULL));
        }
        let n0 = sz.ns[0];
        let label = format!("bias,n={n0},k={NULL}");
        push(label, n0, width(n0), NULL, true, t4, replicates(NULL));
        for &k in &LEARNED {
            let label = format!("narrow,n={n0},k={k}");
            push(label, n0, n0 / 4, k, false, horizon(mu[k]), replicates(k));
        }
        let runs = ctx.par_cells(
            EIGENSPACE_RATES_ID,
            &cells,
            |c| format!("{},r={}", c.0, c.6),
            |c| Ok(trajectory(ctx, &c.0, c.1, c.2, c.3, c.4, c.5, c.6)),
        )?;
        let mut traj = Table::new(
            "residual_components",
            &["run", "replicate", "n", "degree", "step", "c"],
        );
        let mut rates = Table::new(
            "rates",
            &[
                "run",
                "replicate",
                "n",
                "m",
                "degree",
                "mu",
                "predicted",
                "slope",
                "remaining",
            ],
        );
        for (c, path) in cells.iter().zip(&runs) {
            for (t, v) in path.iter().enumerate() {
                traj.push(vec![
                    c.0.clone().into(),
                    (c.6 as usize).into(),
                    c.1.into(),
                    c.3.into(),
                    t.into(),
                    (*v).into(),
                ]);
            }
            rates.push(vec![
                c.0.clone().into(),
                (c.6 as usize).into(),
                c.1.into(),
                c.2.into(),
                c.3.into(),
                mu[c.3].into(),
                (1.0 - ETA * mu[c.3]).ln().into(),
                log_slope(path).into(),
                (*path.last().unwrap()).into(),
            ]);
        }
        // per run label: the replicates' rate ratios (against degree 4's rate for the null
        // degree) and learned fractions over their prediction
        let group = |label: &str| -> (Vec<f64>, Vec<f64>) {
            let mut ratios = Vec::new();
            let mut learned = Vec::new();
            for (c, path) in cells.iter().zip(&runs).filter(|(c, _)| c.0 == label) {
                let k = if c.3 == NULL { 4 } else { c.3 };
                let pred = (1.0 - ETA * mu[k]).ln();
                ratios.push(log_slope(path) / pred);
                let predicted_learned = 1.0 - (1.0 - ETA * mu[k]).powi(c.5 as i32);
                learned.push((1.0 - path.last().unwrap()) / predicted_learned);
            }
            (ratios, learned)
        };
        let mut summary = Table::new(
            "rates_by_degree",
            &[
                "run",
                "n",
                "degree",
                "mu",
                "predicted",
                "mean_ratio",
                "ratio_low",
                "ratio_high",
                "band_low",
                "band_high",
                "mean_learned_over_predicted",
                "learned_low",
                "learned_high",
            ],
        );
        let mut summarise = |label: &str, n: usize, k: usize| {
            let (ratios, learned) = group(label);
            let ri = interval(&ratios);
            let li = interval(&learned);
            let band = if k == NULL { (-0.5, 0.5) } else { bands[k] };
            summary.push(vec![
                label.into(),
                n.into(),
                k.into(),
                mu[k].into(),
                (1.0 - ETA * mu[k]).ln().into(),
                ri.0.into(),
                ri.1.into(),
                ri.2.into(),
                band.0.into(),
                band.1.into(),
                li.0.into(),
                li.1.into(),
                li.2.into(),
            ]);
            (ratios, ri, li)
        };
        let (na, nb) = (sz.ns[0], sz.ns[sz.ns.len() - 1]);
        let mut positions = Vec::new();
        let mut learned_iv = Vec::new();
        let mut narrow_positions = Vec::new();
        let mut log_ratios: Vec<(usize, usize, Vec<f64>)> = Vec::new();
        let mut null_iv = Vec::new();
        for &n in sz.ns {
            for &k in &LEARNED {
                let (ratios, ri, li) = summarise(&format!("n={n},k={k}"), n, k);
                learned_iv.push(li);
                if RATE_DEGREES.contains(&k) {
                    positions.push(band_position(ri, bands[k]));
                    log_ratios.push((n, k, ratios.iter().map(|r| r.ln()).collect()));
                }
            }
            null_iv.push(summarise(&format!("n={n},k={NULL}"), n, NULL).1);
        }
        let bias_iv = summarise(&format!("bias,n={na},k={NULL}"), na, NULL).1;
        let odd_iv = summarise(&format!("n={na},k={NULL}"), na, NULL).2;
        for &k in &LEARNED {
            let ri = summarise(&format!("narrow,n={na},k={k}"), na, k).1;
            if RATE_DEGREES.contains(&k) {
                narrow_positions.push(band_position(ri, bands[k]));
            }
        }
        let mut n_dev = Vec::new();
        for &k in &RATE_DEGREES {
            let at = |n: usize| {
                log_ratios
                    .iter()
                    .find(|r| r.0 == n && r.1 == k)
                    .map(|r| r.2.clone())
                    .unwrap_or_default()
            };
            let side = bands[k].1.ln().min(-bands[k].0.ln());
            n_dev.push(
                welch_difference(&at(nb), &at(na), 1.0 - ALPHA)
                    .map_or((f64::NAN, f64::NAN, f64::NAN), |w| {
                        (w.mean / side, w.low / side, w.high / side)
                    }),
            );
        }
        let (pos_est, pos_iv) = interval_envelope(&positions, 0.0);
        let (dev_est, dev_iv) = interval_envelope(&n_dev, 0.0);
        let (learn_est, learn_iv) = interval_envelope(&learned_iv, 1.0);
        let (null_est, null_env) = interval_envelope(&null_iv, 0.0);
        let (narrow_est, narrow_iv) = interval_envelope(&narrow_positions, 0.0);
        let criteria = vec![
            RATES
                .check_interval(pos_est, pos_iv)
                .with_level(1.0 - ALPHA),
            N_FREE
                .check_interval(dev_est, dev_iv)
                .with_level(1.0 - ALPHA),
            LEARNED_CRIT
                .check_interval(learn_est, learn_iv)
                .with_level(1.0 - ALPHA),
            NULL_CRIT
                .check_interval(null_est, null_env)
                .with_level(1.0 - ALPHA),
        ];
        let controls = vec![
            Control::new(
                ODD_TARGET.name,
                ODD_TARGET.doc,
                LEARNED_CRIT
                    .check_interval(odd_iv.0, (odd_iv.1, odd_iv.2))
                    .with_level(1.0 - ALPHA)
                    .with_detail(format!("degree-3 target at n = {na}, horizon of degree 4")),
            ),
            Control::new(
                BIAS.name,
                BIAS.doc,
                NULL_CRIT
                    .check_interval(bias_iv.0, (bias_iv.1, bias_iv.2))
                    .with_level(1.0 - ALPHA)
                    .with_detail(format!("inputs (x, 1/2), degree-3 target, n = {na}")),
            ),
            Control::new(
                NARROW.name,
                NARROW.doc,
                RATES
                    .check_interval(narrow_est, narrow_iv)
                    .with_level(1.0 - ALPHA)
                    .with_detail(format!("m = n/4 = {}, n = {na}", na / 4)),
            ),
        ];
        let plot = PlotSpec::new(
            "residual_components",
            "residual component c_k(t) per degree against the GD step",
            "residual_components",
            ("step", "GD step t"),
            (&["c"], "c_k(t) = <r_t, y_k> / <y_k, y_k>"),
        )
        .log_y()
        .group_by("run")
        // One curve per run: the replicates share a run label and would be drawn end to end.
        .filter("replicate", 0usize)
        .caption(
            "replicate 0 of each run; slopes predicted by log(1 - eta mu_k): see the rates table",
        );
        Ok(Outcome::new(criteria, controls, vec![summary, rates, traj]).with_plots(vec![plot]))
    }
}

/// The t-interval at the claim's per-test level; NaN triple if it cannot be formed.
fn interval(values: &[f64]) -> (f64, f64, f64) {
    mean_interval_or_nan(values, 1.0 - ALPHA)
}
