//! `su2019.risk-to-approximation-error`: GD on a wide two-layer ReLU net, with a target that
//! has components in the learned degrees 1, 2, 4 and in the null degrees 3, 5 (mu_k = 0) of
//! the kernel, all in one run: each learned component decays at its own rate 1 - eta mu_k, the
//! null components stay, and the empirical risk falls to their empirical energy (the low-rank
//! approximation error), at every n of the scan with m = 2 n ln n.

use super::PAPER;
use super::bands::{band_position, identification_bands};
use super::first_layer_eigenvalues;
use super::gd_sphere::{Cell, D, Path, log_slope, predicted_risk, run_cells};
use crate::stats::{interval_envelope, mean_interval_or_nan};
use crate::{
    Claim, ClaimError, ClaimInfo, Control, ControlSpec, CriterionSpec, FalseFailure, Outcome,
    PlotSpec, Profile, RunContext, Table,
};

pub const RISK_FLOOR_ID: &str = "su2019.risk-to-approximation-error";

/// The risk-to-approximation-error claim.
pub struct RiskFloor;

const ETA: f64 = 5.0;
/// The target: unit-energy zonal harmonics (E Y_k^2 = 1) in degrees 1, 2, 4 (learned) and
/// 3, 5 (null), each about its own uniform direction.
const COMPONENTS: [(usize, f64); 5] = [(1, 1.0), (2, 1.0), (4, 1.0), (3, 1.0), (5, 1.0)];
const NULL: [bool; 5] = [false, false, false, true, true];
/// Indices in COMPONENTS of the learned degrees.
const LEARNED: [usize; 3] = [0, 1, 2];
/// Degrees whose rate is gated: degree 4, the slowest learned degree, whose rate sets the
/// approach to the floor. Degree 1's band [0.849, 1.178] is set by the close mu_0; degree 2's
/// slope over its first half e-folding (2 steps) spreads with sd ~0.2-0.35 and its interval
/// left its band [0.344, 1.462] by power at 5 of the first 100 seeds (seeds 12, 15 at n = 120;
/// 55, 75 at n = 240 of the 11-test design), so both are reported and gated by their learned
/// fractions; su2019.eigenspace-rates gates degree 2's rate with a single-degree target.
const RATE_DEGREES: [usize; 1] = [4];
/// Each learned degree's rate is the slope of log beta_k over its first RATE_HORIZON
/// e-foldings: later, the O(n^-1/2) overlap of the sample's component vectors with the slower
/// and the null components flattens the fitted slope (degree 4 at n = 120: ratio 0.975 over
/// 1/2 e-folding, 0.90 over 1, 0.81 over 2, seed 0).
const RATE_HORIZON: f64 = 0.5;
/// The run lasts FLOOR_HORIZON e-foldings of the slowest learned degree (4).
const FLOOR_HORIZON: f64 = 2.0;
/// The constant coordinate of the bias control's inputs (x, BETA).
const BETA: f64 = 0.5;
/// Per-test chance level: 10 interval tests share the 1% budget (union bound).
const ALPHA: f64 = 0.00099;
/// Independent data sets, targets and initialisations at the smaller and the larger n (the
/// larger n's replicates scatter less), and for the bias control (it misses its band by far).
const REPLICATES: [u64; 2] = [16, 12];
const BIAS_REPLICATES: u64 = 6;
/// The floor band on R(T)/E - 1: the midpoints between the floor (0) and the two nearest
/// alternatives, 'the null components learned at degree 4's rate' (-1 + e^-4) and 'degree 4
/// not learned' (+1/2, its energy over E).
const FLOOR_BAND: (f64, f64) = (-0.5, 0.25);

const RATES: CriterionSpec = CriterionSpec::evidence(
    "rates-match-eigenvalues",
    "for k = 4 (the slowest learned degree) at each n, in the one multi-degree run: the \
     t-interval (16 and 12 replicates at the two n; \
     level 1 - 0.00099 each, Bonferroni) of the rate ratio s_k / log(1 - eta mu_k), s_k the \
     least-squares slope of log beta_k(t) over the degree's first half e-folding (beta_k(t) the \
     coefficient of the sample's component vector y_k in the least-squares fit of the residual \
     r_t on all five component vectors), as a position in the degree's identification band \
     (the geometric midpoints to the kernel's neighbouring rates: k = 2 [0.344, 1.462], k = 4 \
     [0.629, 2.909]): within [-1, 1], each component decays nearer its own eigenvalue's rate \
     than any other's (envelope of the two; degrees 1 and 2 are reported in the intervals table \
     and gated by components-learned: degree 2's 2-step slope is too noisy for its band at \
     this level)",
)
.interval_within(-1.0, 1.0);

const LEARNED_CRIT: CriterionSpec = CriterionSpec::evidence(
    "components-learned",
    "for each n and k in {1, 2, 4}: the t-interval (level 1 - 0.00099) of the learned fraction \
     1 - beta_k(T_k) over its prediction 1 - (1 - eta mu_k)^T_k (>= 0.632, T_k the degree's \
     e^-1 step): within [1/2, 3/2], nearer 'learned as predicted' than 'not learned' \
     (envelope of the six)",
)
.interval_within(0.5, 1.5);

const FLOOR: CriterionSpec = CriterionSpec::evidence(
    "risk-reaches-approximation-error",
    "for each n: the t-interval (level 1 - 0.00099) of R(T)/E - 1, R(T) the empirical risk \
     after T = 2 e-foldings of degree 4 (52 steps) and E = (1/2n) ||y_3 + y_5||^2 the null \
     components' energy on the same sample (the low-rank approximation error: GD cannot learn \
     it): within [-1/2, 1/4], the midpoints between the floor (0) and its two nearest \
     alternatives, 'the null part learned at degree 4's rate' (-1 + e^-4) and 'degree 4 not \
     learned' (+1/2, its energy over E); the kernel dynamics predict the learned components' \
     remaining energy (~1% of E) less an O(1/n) leak of the null part into the empirical \
     learned eigenspaces (measured ~ -0.05 at n = 120) (envelope of the two)",
)
.interval_within(FLOOR_BAND.0, FLOOR_BAND.1);

const BIAS: ControlSpec = ControlSpec::new(
    "bias-term",
    "a kernel with a bias (inputs (x, 1/2), the net relu(w.x + b)): the odd eigenvalues are no \
     longer zero (mu_3 = 0.0067), GD learns the degree-3 component, the risk falls below the \
     null energy and risk-reaches-approximation-error must fail (R(T)/E - 1 near -0.55 at \
     n = 120, below -1/2)",
);

const NARROW: ControlSpec = ControlSpec::new(
    "narrow-width",
    "hypothesis violated: width m = n/4 instead of 2 n ln n, far from the kernel regime: degree \
     4 is learned about 3 times more slowly than mu_4 predicts and rates-match-eigenvalues \
     must fail (degree 4's rate ratio ~0.35, below its band's 0.629)",
);

const PROVENANCE: &str = "Confirmed with the search tool: the abstract of arXiv 1905.10826 \
    (emergentmind.com, arcxiv.org, and the NeurIPS 2019 proceedings metadata, \
    proceedings.neurips.cc/paper_files/paper/2019/file/253f7b5d921338af34da817c00f42753-\
    Metadata.json): 'if f* admits a low-rank approximation with respect to the eigenspaces of \
    this integral operator, then the empirical risk decreases to this low-rank approximation \
    error at a linear rate which is determined by f* and rho only, i.e., the rate is \
    independent of the sample size n'; 'if f* has zero low-rank approximation error, then, as \
    long as the width of the neural network is Omega(n log n), the empirical risk decreases to \
    Theta(1/sqrt(n))'; the application: rho uniform on the sphere, f* a polynomial, d fixed \
    [paper]. NOT confirmed (a second search, wave 6, found only the abstract and the opening \
    of the text): the model f = m^-1/2 sum a_j relu(w_j . x) with a_j = +-1 fixed and only w \
    trained, the loss (1/2n) sum, and that the low-rank approximation error for this kernel on \
    the sphere is the energy in the odd degrees >= 3 [unverified]; they are the project \
    note's reading (../shared/papers/su-yang-2019.md). Derived: the odd part of H(t) = t \
    kappa0(t)/2 is t/4, so mu_k = 0 for every odd k >= 3 and the approximation error of a \
    polynomial target is its energy in those degrees [derived]; the bias kernel's circle \
    eigenvalues mu_3 = 0.0067, mu_4 = 0.0045 (inputs (x, 1/2), midpoint quadrature) [computed, \
    su2019.eigenspace-rates].";

const RUNTIME: &str = "measured on the shared 2-core machine (AMD EPYC, AVX2), one thread, seed 0, \
                       load ~1: quick 1.4 s; full (n = 300 and 1200): 36 s wall, 35 s of CPU \
                       (reports/full/su2019.risk-to-approximation-error/)";

fn sizes(profile: Profile) -> &'static [usize] {
    match profile {
        Profile::Quick => &[120, 240],
        Profile::Full => &[300, 1200],
    }
}

fn width(n: usize) -> usize {
    (2.0 * n as f64 * (n as f64).ln()).round() as usize
}

fn horizon(mu: f64, efolds: f64) -> usize {
    ((efolds / -(1.0 - ETA * mu).ln()).ceil() as usize).max(1)
}

/// Per-replicate measurements of one run.
struct Measured {
    ratio: [f64; 3],
    learned: [f64; 3],
    floor_gap: f64,
    predicted_gap: f64,
    population_gap: f64,
    null_coef: [f64; 2],
}

fn measure(p: &Path, mu: &[f64], steps: usize) -> Measured {
    let mut ratio = [f64::NAN; 3];
    let mut learned = [f64::NAN; 3];
    for (slot, &c) in LEARNED.iter().enumerate() {
        let k = COMPONENTS[c].0;
        let tr = horizon(mu[k], RATE_HORIZON);
        let series: Vec<f64> = p.coef[..=tr].iter().map(|b| b[c]).collect();
        let tk = horizon(mu[k], 1.0);
        ratio[slot] = log_slope(&series) / (1.0 - ETA * mu[k]).ln();
        let pred = 1.0 - (1.0 - ETA * mu[k]).powi(tk as i32);
        learned[slot] = (1.0 - p.coef[tk][c]) / pred;
    }
    let q: Vec<f64> = COMPONENTS
        .iter()
        .zip(NULL)
        .map(|(&(k, _), null)| {
            if null {
                1.0
            } else {
                (1.0 - ETA * mu[k]).powi(steps as i32)
            }
        })
        .collect();
    let e = p.null_energy;
    let e_pop: f64 = COMPONENTS
        .iter()
        .zip(NULL)
        .filter(|(_, null)| *null)
        .map(|(&(_, a), _)| 0.5 * a * a)
        .sum();
    let rt = *p.risk.last().unwrap();
    Measured {
        ratio,
        learned,
        floor_gap: rt / e - 1.0,
        predicted_gap: predicted_risk(&p.gram, &q) / e - 1.0,
        population_gap: rt / e_pop - 1.0,
        null_coef: [p.coef[steps][3], p.coef[steps][4]],
    }
}

impl Claim for RiskFloor {
    fn info(&self) -> ClaimInfo {
        ClaimInfo {
            id: RISK_FLOOR_ID,
            paper: PAPER,
            summary: "GD on a wide two-layer ReLU net learns each degree of a multi-degree target \
                      at its own rate and its risk falls to the energy of the null (odd >= 3) \
                      components, at every n with m = 2 n ln n",
            statement: "For uniform data on S^(d-1), a polynomial target and width m = Omega(n \
                        log n), GD drives the empirical risk at a linear rate, set by f* and \
                        the input law only, to the low-rank approximation error: the energy of \
                        f* outside the eigenspaces of the integral operator with positive \
                        eigenvalue (here the odd degrees >= 3, mu_k = 0); each learned degree-k \
                        component decays by 1 - eta mu_k per step. A finite scan of n cannot \
                        prove the asymptotic width Omega(n log n): it shows that m = 2 n ln n \
                        suffices at each tested n.",
            assumptions: &[
                "f(x) = m^-1/2 sum_j a_j relu(w_j . x), a_j = +-1 fixed in antisymmetric pairs \
                 (f_0 = 0), w_j ~ N(0, I_d) trained by full-batch GD on (1/2n) sum (y - f)^2",
                "d = 2 (the circle), eta = 5, m = 2 n ln n, n in {120, 240} (quick) or {300, \
                 1200} (full), 16 and 12 replicates at the two n",
                "target: Y_1 + Y_2 + Y_4 + Y_3 + Y_5, Y_k = sqrt(N(d, k)) P_k(x . z_k) with \
                 independent uniform z_k (E Y_k^2 = 1), all in one run",
            ],
            criteria: const { &[RATES, LEARNED_CRIT, FLOOR] },
            controls: const { &[BIAS, NARROW] },
            provenance: PROVENANCE,
            runtime: RUNTIME,
            false_failure: FalseFailure::union_bound(
                &[ALPHA; 10],
                "10 two-sided t-intervals over 16 or 12 replicates, each at level 1 - 0.00099 \
                 (2 rate ratios: k = 4 at 2 n; 6 learned fractions: k = 1, 2, 4 at 2 n; 2 floor \
                 gaps), union bound 10 x 0.00099 = 0.0099: a criterion fails by chance only if \
                 an interval misses its true mean, which the theory puts inside each band; the \
                 t-intervals assume near-normal replicate means",
            ),
        }
    }

    fn run(&self, ctx: &RunContext) -> Result<Outcome, ClaimError> {
        let ns = sizes(ctx.profile);
        let mu = first_layer_eigenvalues(D, 6);
        let steps = horizon(mu[4], FLOOR_HORIZON);
        let mut cells: Vec<Cell> = Vec::new();
        for (&n, &reps) in ns.iter().zip(&REPLICATES) {
            for r in 0..reps {
                cells.push(Cell::new(format!("n={n}"), n, width(n), None, r));
            }
        }
        let n0 = ns[0];
        for r in 0..BIAS_REPLICATES {
            cells.push(Cell::new(
                format!("bias,n={n0}"),
                n0,
                width(n0),
                Some(BETA),
                r,
            ));
        }
        for r in 0..REPLICATES[0] {
            cells.push(Cell::new(format!("narrow,n={n0}"), n0, n0 / 4, None, r));
        }
        let paths = run_cells(ctx, RISK_FLOOR_ID, &cells, ETA, &COMPONENTS, &NULL, steps)?;
        let measured: Vec<Measured> = paths.iter().map(|p| measure(p, &mu, steps)).collect();
        let mut per_run = Table::new(
            "replicates",
            &[
                "run",
                "replicate",
                "n",
                "m",
                "ratio_k1",
                "ratio_k2",
                "ratio_k4",
                "learned_k1",
                "learned_k2",
                "learned_k4",
                "null_energy",
                "floor_gap",
                "predicted_gap",
                "population_gap",
                "beta3_T",
                "beta5_T",
            ],
        );
        let mut traj = Table::new(
            "risk_and_components",
            &[
                "run",
                "replicate",
                "step",
                "risk",
                "null_energy",
                "beta1",
                "beta2",
                "beta4",
                "beta3",
                "beta5",
            ],
        );
        for ((c, p), v) in cells.iter().zip(&paths).zip(&measured) {
            per_run.push(vec![
                c.label.clone().into(),
                (c.replicate as usize).into(),
                c.n.into(),
                c.m.into(),
                v.ratio[0].into(),
                v.ratio[1].into(),
                v.ratio[2].into(),
                v.learned[0].into(),
                v.learned[1].into(),
                v.learned[2].into(),
                p.null_energy.into(),
                v.floor_gap.into(),
                v.predicted_gap.into(),
                v.population_gap.into(),
                v.null_coef[0].into(),
                v.null_coef[1].into(),
            ]);
            for (t, (r, b)) in p.risk.iter().zip(&p.coef).enumerate() {
                traj.push(vec![
                    c.label.clone().into(),
                    (c.replicate as usize).into(),
                    t.into(),
                    (*r).into(),
                    p.null_energy.into(),
                    b[0].into(),
                    b[1].into(),
                    b[2].into(),
                    b[3].into(),
                    b[4].into(),
                ]);
            }
        }
        let bands = identification_bands(&mu, ETA);
        let of = |label: &str, f: &dyn Fn(&Measured) -> f64| -> Vec<f64> {
            cells
                .iter()
                .zip(&measured)
                .filter(|(c, _)| c.label == label)
                .map(|(_, v)| f(v))
                .collect()
        };
        let mut summary = Table::new(
            "intervals",
            &[
                "run",
                "n",
                "quantity",
                "mean",
                "low",
                "high",
                "band_low",
                "band_high",
            ],
        );
        let mut record = |label: &str, n: usize, q: &str, iv: (f64, f64, f64), band: (f64, f64)| {
            summary.push(vec![
                label.into(),
                n.into(),
                q.into(),
                iv.0.into(),
                iv.1.into(),
                iv.2.into(),
                band.0.into(),
                band.1.into(),
            ]);
            iv
        };
        let mut positions = Vec::new();
        let mut learned_iv = Vec::new();
        let mut floor_iv = Vec::new();
        for &n in ns {
            let label = format!("n={n}");
            for (slot, &c) in LEARNED.iter().enumerate() {
                let k = COMPONENTS[c].0;
                let ri = interval(&of(&label, &|v| v.ratio[slot]));
                record(&label, n, &format!("rate_ratio_k{k}"), ri, bands[k]);
                if RATE_DEGREES.contains(&k) {
                    positions.push(band_position(ri, bands[k]));
                }
                let li = interval(&of(&label, &|v| v.learned[slot]));
                learned_iv.push(record(&label, n, &format!("learned_k{k}"), li, (0.5, 1.5)));
            }
            let fb = FLOOR_BAND;
            let fi = interval(&of(&label, &|v| v.floor_gap));
            floor_iv.push(record(&label, n, "floor_gap", fi, fb));
            let pi = interval(&of(&label, &|v| v.predicted_gap));
            record(&label, n, "predicted_gap", pi, fb);
        }
        let fb = FLOOR_BAND;
        let label0 = format!("n={n0}");
        // diagnostic: the gap against the population's null energy (1), not gated: it differs
        // from the sample's by O(n^-1/2) (sd ~0.09 at n = 120), the leak is O(1/n)
        record(
            &label0,
            n0,
            "population_gap",
            interval(&of(&label0, &|v| v.population_gap)),
            fb,
        );
        let bias_label = format!("bias,n={n0}");
        let bias = record(
            &bias_label,
            n0,
            "floor_gap",
            interval(&of(&bias_label, &|v| v.floor_gap)),
            fb,
        );
        let narrow_label = format!("narrow,n={n0}");
        record(
            &narrow_label,
            n0,
            "floor_gap",
            interval(&of(&narrow_label, &|v| v.floor_gap)),
            fb,
        );
        let mut narrow_positions = Vec::new();
        for (slot, &c) in LEARNED.iter().enumerate() {
            let k = COMPONENTS[c].0;
            let ri = interval(&of(&narrow_label, &|v| v.ratio[slot]));
            record(&narrow_label, n0, &format!("rate_ratio_k{k}"), ri, bands[k]);
            if RATE_DEGREES.contains(&k) {
                narrow_positions.push(band_position(ri, bands[k]));
            }
        }
        let (narrow_est, narrow_iv) = interval_envelope(&narrow_positions, 0.0);
        let (pos_est, pos_iv) = interval_envelope(&positions, 0.0);
        let (learn_est, learn_iv) = interval_envelope(&learned_iv, 1.0);
        let (floor_est, floor_env) = interval_envelope(&floor_iv, 0.0);
        let criteria = vec![
            RATES
                .check_interval(pos_est, pos_iv)
                .with_level(1.0 - ALPHA),
            LEARNED_CRIT
                .check_interval(learn_est, learn_iv)
                .with_level(1.0 - ALPHA),
            FLOOR
                .check_interval(floor_est, floor_env)
                .with_level(1.0 - ALPHA),
        ];
        let controls = vec![
            Control::new(
                BIAS.name,
                BIAS.doc,
                FLOOR
                    .check_interval(bias.0, (bias.1, bias.2))
                    .with_level(1.0 - ALPHA)
                    .with_detail(format!("inputs (x, 1/2), n = {n0}")),
            ),
            Control::new(
                NARROW.name,
                NARROW.doc,
                RATES
                    .check_interval(narrow_est, narrow_iv)
                    .with_level(1.0 - ALPHA)
                    .with_detail(format!("m = n/4 = {}, n = {n0}", n0 / 4)),
            ),
        ];
        let plot = PlotSpec::new(
            "risk_and_components",
            "empirical risk, null energy and component coefficients against the GD step",
            "risk_and_components",
            ("step", "GD step t"),
            (
                &[
                    "risk",
                    "null_energy",
                    "beta1",
                    "beta2",
                    "beta4",
                    "beta3",
                    "beta5",
                ],
                "R(t), E, beta_k(t)",
            ),
        )
        .log_y()
        .filter("run", format!("n={}", ns[ns.len() - 1]))
        .filter("replicate", 0usize)
        .caption("replicate 0 at the largest n; predicted slopes log(1 - eta mu_k)");
        Ok(Outcome::new(criteria, controls, vec![summary, per_run, traj]).with_plots(vec![plot]))
    }
}

fn interval(values: &[f64]) -> (f64, f64, f64) {
    mean_interval_or_nan(values, 1.0 - ALPHA)
}
