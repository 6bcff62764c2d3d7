//! `liu2020.no-acceleration`: on a law with kappa-tilde = kappa (the two-point law) no step and
//! momentum of Nesterov-SGD beats SGD, found by a grid over (eta, gamma) with local refinement;
//! on Gaussian data, where kappa-tilde << kappa, MaSS accelerates by the predicted factor.

use super::{PAPER, Problem, RHO_ACCURACY};
use crate::kit::{least, worst};
use crate::stats::linear_fit;
use crate::{
    Claim, ClaimError, ClaimInfo, Control, ControlSpec, CriterionSpec, FalseFailure, Outcome,
    PlotSpec, Profile, RunContext, Table,
};
use overparam_kernel::momentum::{BatchSize, FourthMomentTerms, Hyper, Method};

pub const NO_ACCELERATION_ID: &str = "liu2020.no-acceleration";

/// The non-acceleration claim.
pub struct NoAcceleration;

/// Largest accepted gain of tuned Nesterov over SGD on the two-point law: the derived bound is
/// exactly 1; the allowance covers rho's 1e-4 accuracy divided by 1 - rho_SGD = p >= 0.02
/// (5e-3) with a factor 2 to spare (the searched points are not defective: measured gain 1).
const GAIN_BOUND: f64 = 1.01;

const NO_GAIN: CriterionSpec = CriterionSpec::evidence(
    "nesterov-gain-at-most-one",
    "two-point law x = e1 w.p. p, e2 w.p. 1 - p (kappa-tilde = kappa = 1/p): largest, over p, of \
     (1 - rho_best)/(1 - rho_SGD), rho_best the least rho of Nesterov-SGD over a grid of (eta, \
     gamma) refined locally, rho_SGD at eta = 1/L1. Derived bound 1: u - gamma w is unchanged \
     whenever e1 is not drawn, so E||e_t||^2 >= (1 - p)^t (u0 - gamma w0)^2/(1 + gamma^2) for \
     every (eta, gamma, eta2), and SGD at eta = 1 attains rho = 1 - p; <= 1.01 allows for \
     rho's 1e-4 accuracy over p >= 0.02",
)
.at_most(GAIN_BOUND);

const MASS_SPEEDUP: CriterionSpec = CriterionSpec::evidence(
    "mass-accelerates",
    "H = diag(1, 1/kappa_H), kappa_H = 100, 1000 (kappa-tilde = 4 << kappa = 3 kappa_H + 1): \
     least of the speed-up (1 - rho_MaSS)/(1 - rho_SGD) divided by the predicted sqrt(kappa / \
     kappa-tilde)/2 (MaSS's rate alpha = 1/sqrt(kappa kappa-tilde) over SGD's 2/kappa); >= 1",
)
.at_least(1.0);

const SEARCH_REACHES_SGD: CriterionSpec = CriterionSpec::sanity(
    "search-attains-sgd",
    "largest, over p, of rho_best - rho_SGD on the two-point law: the search contains SGD \
     (gamma = 0, eta = 1/L1), so rho_best <= rho_SGD + 1e-4 shows the grid and refinement work",
)
.at_most(RHO_ACCURACY);

/// The slope of ln(gain over SGD) against ln kappa that separates no acceleration (a gain
/// bounded in kappa: slope 0) from acceleration like MaSS's (a gain sqrt(kappa/kappa-tilde)/2
/// at fixed kappa-tilde: slope 1/2): the midpoint, fixed by the two hypotheses alone.
const SLOPE_BOUNDARY: f64 = 0.25;

/// c of the decoupled law: kappa-tilde = c = 6 fixed while kappa grows.
const DECOUPLED_C: f64 = 6.0;

const NESTEROV_FLAT: CriterionSpec = CriterionSpec::evidence(
    "nesterov-gain-flat-on-decoupled-law",
    "component-decoupled law of Kidambi et al. (2018), c = 6 (each coordinate gets a gradient a \
     sixth of the steps; kappa-tilde = 6 fixed, kappa = 1e2, 1e3, 1e4, full also 1e5): \
     least-squares slope of ln((1 - rho_best)/(1 - rho_SGD)) against ln kappa, rho_best the \
     searched Nesterov-SGD; no acceleration is a gain bounded in kappa (slope 0), acceleration \
     a gain like sqrt(kappa) (slope 1/2); <= 1/4, the boundary between them",
)
.at_most(SLOPE_BOUNDARY);

const MASS_GROWS: CriterionSpec = CriterionSpec::evidence(
    "mass-gain-grows-on-decoupled-law",
    "the same slope for MaSS with the paper's parameters on the same law: >= 1/4, so the law \
     admits acceleration (kappa-tilde stays 6 while kappa grows) and MaSS takes it where \
     Nesterov-SGD cannot",
)
.at_least(SLOPE_BOUNDARY);

const GAUSSIAN_GROWTH: ControlSpec = ControlSpec::new(
    "gaussian-nesterov-gain-grows",
    "hypothesis violated: nesterov-gain-flat measured on the 2-D Gaussian sweep H = diag(1, \
     1/kappa_H), kappa_H = 10, 100, 1000, where every coordinate sees a gradient at every step; \
     tuned Nesterov-SGD then partially accelerates (gain about kappa^0.4) and the slope must \
     exceed 1/4: non-acceleration needs a law like the decoupled one",
);

/// The 2-D Gaussian H = diag(1, 1/kappa_H) of the control.
const CONTROL_KAPPA_H: f64 = 100.0;

const GAUSSIAN: ControlSpec = ControlSpec::new(
    "gaussian-kappa-tilde-below-kappa",
    "hypothesis violated: the same search on the 2-D Gaussian H = diag(1, 1/100), where \
     kappa-tilde = 4 is far below kappa = 301; tuned Nesterov-SGD then partially accelerates \
     and nesterov-gain-at-most-one must fail (gain above 1.01): non-acceleration is a \
     property of laws with kappa-tilde = kappa, not of every law",
);

/// The (eta, gamma) search: eta = 2^(k/4)/L1 for k in -40..=8 and gamma = 0 or 1 - 2^(-j/2)
/// for j in 1..=30, then a pattern search from the best point in (log eta, -log(1 - gamma)),
/// halving the steps 12 times (to 1/4096 of the grid spacing).
struct Search {
    best: f64,
    best_hyper: Hyper,
    evaluated: usize,
}

fn search(p: &Problem) -> Result<Search, ClaimError> {
    let batch = BatchSize::Finite(1);
    let eta0 = 1.0 / p.constants.l1;
    let eval = |log_eta: f64, s: f64| -> Result<(f64, Hyper), ClaimError> {
        let h = Hyper {
            eta1: eta0 * log_eta.exp(),
            gamma: 1.0 - (-s.max(0.0)).exp(),
            eta2: 0.0,
        };
        Ok((p.rho(batch, h, FourthMomentTerms::Exact)?, h))
    };
    let d_eta = 0.25 * std::f64::consts::LN_2;
    let d_s = 0.5 * std::f64::consts::LN_2;
    let mut best = (
        f64::INFINITY,
        0.0,
        0.0,
        Hyper {
            eta1: eta0,
            gamma: 0.0,
            eta2: 0.0,
        },
    );
    let mut evaluated = 0;
    for k in -40..=8 {
        for j in 0..=30 {
            let (le, s) = (k as f64 * d_eta, j as f64 * d_s);
            let (rho, h) = eval(le, s)?;
            evaluated += 1;
            if rho < best.0 {
                best = (rho, le, s, h);
            }
        }
    }
    let (mut step_e, mut step_s) = (d_eta, d_s);
    for _ in 0..12 {
        step_e *= 0.5;
        step_s *= 0.5;
        let mut improved = true;
        while improved {
            improved = false;
            for (de, ds) in [(step_e, 0.0), (-step_e, 0.0), (0.0, step_s), (0.0, -step_s)] {
                let (le, s) = (best.1 + de, (best.2 + ds).max(0.0));
                let (rho, h) = eval(le, s)?;
                evaluated += 1;
                if rho < best.0 {
                    best = (rho, le, s, h);
                    improved = true;
                }
            }
        }
    }
    Ok(Search {
        best: best.0,
        best_hyper: best.3,
        evaluated,
    })
}

impl Claim for NoAcceleration {
    fn info(&self) -> ClaimInfo {
        ClaimInfo {
            id: NO_ACCELERATION_ID,
            paper: PAPER,
            summary: "with kappa-tilde = kappa no (eta, gamma) of SGD+Nesterov beats SGD (grid + \
                      refinement on the two-point law); on the decoupled law (kappa-tilde = 6) \
                      its gain stays flat in kappa while MaSS's grows; MaSS accelerates on \
                      Gaussian data",
            statement: "Nesterov-SGD with any parameters does not in general accelerate over \
                        SGD: on the two-point law x = e1 with probability p, e2 with \
                        probability 1 - p, no (eta, gamma) gives a rate 1 - rho above SGD's \
                        (factor 1); on the component-decoupled law (c = 6), where kappa-tilde \
                        = 6 stays fixed and acceleration is possible, the best (eta, gamma) \
                        gains over SGD a factor that does not grow like sqrt(kappa) (slope of \
                        ln gain in ln kappa at most 1/4) while MaSS's does (at least 1/4); on \
                        Gaussian data MaSS is faster than SGD by at least \
                        sqrt(kappa/kappa-tilde)/2.",
            assumptions: &[
                "linear interpolation model, batch 1",
                "the two-point law is the note's example (item 8), whose non-acceleration bound \
                 is derived here for every (eta, gamma, eta2); the paper's own example \
                 distribution could not be confirmed [unverified]; the literature's example \
                 (Kidambi et al. 2018, component-decoupled data, kappa-tilde bounded) is \
                 tested with a two-valued z (z^2 = c w.p. 2/c, else 0; c = 6): whether the \
                 paper uses it is unconfirmed. With c = 2 (every coordinate sampled half the \
                 time) the searched Nesterov-SGD does accelerate (gain about sqrt(kappa), \
                 measured with an independent script), so the law needs c well above 2",
                "the rate-by-kappa plot (reported, not gated): H = diag(1, 1/kappa_H), kappa_H = \
                 10, 100, 1000 (full: 10 to 10^4), SGD at 1/L1, MaSS's parameters and the \
                 searched Nesterov-SGD, with the slopes -1 (2/kappa) and -1/2 (alpha) drawn",
                "p = 0.1, 0.02 (full: 0.1, 0.05, 0.02)",
            ],
            criteria: const {
                &[
                    NO_GAIN,
                    MASS_SPEEDUP,
                    SEARCH_REACHES_SGD,
                    NESTEROV_FLAT,
                    MASS_GROWS,
                ]
            },
            controls: const { &[GAUSSIAN, GAUSSIAN_GROWTH] },
            provenance: super::CONFIRMED,
            runtime: "measured at seed 0, one thread: quick 0.38 s CPU (2.0 s wall on the shared 2-core machine); full 0.69 s CPU (3.8 s wall)",
            false_failure: FalseFailure::deterministic(
                "exact spectral radii against a derived bound with a rounding allowance; no \
                 randomness",
            ),
        }
    }

    fn run(&self, ctx: &RunContext) -> Result<Outcome, ClaimError> {
        let ps: Vec<f64> = match ctx.profile {
            Profile::Quick => vec![0.1, 0.02],
            Profile::Full => vec![0.1, 0.05, 0.02],
        };
        // The 2-D Gaussians of the rate-by-kappa plot; kappa_H = 100 is also the control.
        let kappa_hs: Vec<f64> = match ctx.profile {
            Profile::Quick => vec![10.0, 100.0, 1000.0],
            Profile::Full => vec![10.0, 30.0, 100.0, 300.0, 1000.0, 3000.0, 10000.0],
        };
        let control_index = ps.len()
            + kappa_hs
                .iter()
                .position(|&k| k == CONTROL_KAPPA_H)
                .expect("the control's kappa_H is in the sweep");
        let decoupled_kappas: Vec<f64> = match ctx.profile {
            Profile::Quick => vec![1e2, 1e3, 1e4],
            Profile::Full => vec![1e2, 1e3, 1e4, 1e5],
        };
        let mut problems = Vec::new();
        for &p in &ps {
            problems.push(Problem::two_point(p)?);
        }
        for &k in &kappa_hs {
            problems.push(Problem::two_dim(k)?);
        }
        let first_decoupled = problems.len();
        for &k in &decoupled_kappas {
            problems.push(Problem::decoupled(DECOUPLED_C, k)?);
        }
        let searches = ctx.par_cells(NO_ACCELERATION_ID, &problems, |p| p.name.clone(), search)?;
        let batch = BatchSize::Finite(1);
        let exact = FourthMomentTerms::Exact;
        let mut table = Table::new(
            "search",
            &[
                "problem",
                "kappa",
                "kappa_tilde",
                "rho_sgd",
                "rho_nesterov_best",
                "eta_best",
                "gamma_best",
                "gain",
                "evaluated",
            ],
        );
        let mut gains = Vec::new();
        let mut attained = Vec::new();
        let mut by_kappa = Table::new(
            "rate_by_kappa",
            &["series", "kappa_h", "kappa", "rho", "one_minus_rho"],
        );
        let mut decoupled = Table::new(
            "decoupled",
            &[
                "problem",
                "kappa",
                "kappa_tilde",
                "rho_sgd",
                "rho_nesterov_best",
                "eta_best",
                "gamma_best",
                "rho_mass",
                "one_minus_alpha",
                "gain_nesterov",
                "gain_mass",
            ],
        );
        // (ln kappa, ln gain of Nesterov, ln gain of MaSS) on the decoupled law, and (ln kappa,
        // ln gain of Nesterov) on the Gaussian sweep.
        let mut decoupled_logs = Vec::new();
        let mut gaussian_logs = Vec::new();
        for (i, (p, s)) in problems.iter().zip(&searches).enumerate() {
            let rho_sgd = p.rho(batch, p.paper(Method::Sgd, batch), exact)?;
            let gain = (1.0 - s.best) / (1.0 - rho_sgd);
            let kappa = p.constants.kappa();
            if i >= first_decoupled {
                let rho_mass = p.rho(batch, p.paper(Method::Mass, batch), exact)?;
                let gain_mass = (1.0 - rho_mass) / (1.0 - rho_sgd);
                decoupled.push(vec![
                    p.name.clone().into(),
                    kappa.into(),
                    p.constants.kappa_tilde.into(),
                    rho_sgd.into(),
                    s.best.into(),
                    s.best_hyper.eta1.into(),
                    s.best_hyper.gamma.into(),
                    rho_mass.into(),
                    (1.0 - Hyper::mass_alpha(&p.constants, batch)).into(),
                    gain.into(),
                    gain_mass.into(),
                ]);
                decoupled_logs.push((kappa.ln(), gain.ln(), gain_mass.ln()));
                continue;
            }
            if i >= ps.len() {
                gaussian_logs.push((kappa.ln(), gain.ln()));
                let rho_mass = p.rho(batch, p.paper(Method::Mass, batch), exact)?;
                let kappa_h = p.spectrum[0] / p.spectrum[1];
                for (series, rho) in [
                    ("sgd (eta = 1/L1)", rho_sgd),
                    ("mass (the paper's parameters)", rho_mass),
                    ("nesterov (eta and gamma tuned)", s.best),
                ] {
                    by_kappa.push(vec![
                        series.into(),
                        kappa_h.into(),
                        p.constants.kappa().into(),
                        rho.into(),
                        (1.0 - rho).into(),
                    ]);
                }
                if i != control_index {
                    continue;
                }
            }
            table.push(vec![
                p.name.clone().into(),
                p.constants.kappa().into(),
                p.constants.kappa_tilde.into(),
                rho_sgd.into(),
                s.best.into(),
                s.best_hyper.eta1.into(),
                s.best_hyper.gamma.into(),
                gain.into(),
                (s.evaluated as i64).into(),
            ]);
            gains.push(gain);
            attained.push(s.best - rho_sgd);
        }
        let (two_point_gain, gaussian_gain) = gains.split_at(ps.len());

        let mut speed = Table::new(
            "mass_speedup",
            &[
                "kappa_h",
                "kappa",
                "rho_mass",
                "rho_sgd",
                "speedup",
                "predicted",
            ],
        );
        let mut ratios = Vec::new();
        for kappa_h in [100.0, 1000.0] {
            let p = Problem::two_dim(kappa_h)?;
            let rm = p.rho(batch, p.paper(Method::Mass, batch), exact)?;
            let rs = p.rho(batch, p.paper(Method::Sgd, batch), exact)?;
            let kappa = p.constants.kappa();
            let predicted = 0.5 * (kappa / p.constants.kappa_tilde).sqrt();
            let speedup = (1.0 - rm) / (1.0 - rs);
            speed.push(vec![
                kappa_h.into(),
                kappa.into(),
                rm.into(),
                rs.into(),
                speedup.into(),
                predicted.into(),
            ]);
            ratios.push(speedup / predicted);
        }
        let slope = |points: &[(f64, f64)]| {
            let (x, y): (Vec<f64>, Vec<f64>) = points.iter().copied().unzip();
            linear_fit(&x, &y, crate::LEVEL).map_or(f64::NAN, |f| f.slope)
        };
        let nesterov_points: Vec<(f64, f64)> =
            decoupled_logs.iter().map(|&(k, n, _)| (k, n)).collect();
        let mass_points: Vec<(f64, f64)> = decoupled_logs.iter().map(|&(k, _, m)| (k, m)).collect();
        let criteria = vec![
            NO_GAIN.check(worst(two_point_gain.iter().copied())),
            MASS_SPEEDUP.check(least(ratios)),
            SEARCH_REACHES_SGD.check(worst(attained[..ps.len()].iter().copied())),
            NESTEROV_FLAT.check(slope(&nesterov_points)),
            MASS_GROWS.check(slope(&mass_points)),
        ];
        let controls = vec![
            Control::new(
                GAUSSIAN.name,
                GAUSSIAN.doc,
                NO_GAIN
                    .check(gaussian_gain[0])
                    .with_detail("gain of tuned Nesterov-SGD over SGD on H = diag(1, 1/100)"),
            ),
            Control::new(
                GAUSSIAN_GROWTH.name,
                GAUSSIAN_GROWTH.doc,
                NESTEROV_FLAT.check(slope(&gaussian_logs)).with_detail(
                    "slope of ln(gain of tuned Nesterov-SGD) against ln kappa, 2-D Gaussians",
                ),
            ),
        ];
        let plot = PlotSpec::new(
            "gain_by_kappa",
            "best gain of tuned Nesterov-SGD over SGD",
            "search",
            ("kappa", "kappa = L1/mu"),
            (&["gain"], "(1 - rho_best)/(1 - rho_SGD)"),
        )
        .log_x()
        .points()
        .reference(crate::plot::Reference::horizontal("no acceleration", 1.0))
        .caption("two-point laws (kappa-tilde = kappa) and the 2-D Gaussian control");
        let by_kappa_plot = PlotSpec::new(
            "rate_by_kappa",
            "1 - rho against kappa, H = diag(1, 1/kappa_H), batch 1",
            "rate_by_kappa",
            ("kappa", "kappa = L1/mu = 3 kappa_H + 1"),
            (&["one_minus_rho"], "1 - rho (rate of E||e_t||^2 per step)"),
        )
        .log_x()
        .log_y()
        .group_by("series")
        .reference(crate::plot::Reference::power_law(
            "2/kappa: SGD's bound (slope -1)",
            2.0,
            -1.0,
        ))
        .reference(crate::plot::Reference::power_law(
            "1/sqrt(kappa kappa-tilde) = alpha, kappa-tilde = 4 (slope -1/2)",
            0.5,
            -0.5,
        ))
        .caption(
            "SGD follows kappa^-1, MaSS sqrt(kappa kappa-tilde)^-1 (accelerated), Nesterov-SGD \
             with (eta, gamma) tuned by the search lies between; at SGD's step with the classical \
             momentum Nesterov-SGD diverges (rho > 1: liu2020.nesterov-diverges), so it has no \
             point on these axes",
        );
        let decoupled_plot = PlotSpec::new(
            "gain_on_decoupled_law",
            "gain over SGD on the decoupled law (c = 6, kappa-tilde = 6)",
            "decoupled",
            ("kappa", "kappa = L1/mu"),
            (
                &["gain_nesterov", "gain_mass"],
                "(1 - rho)/(1 - rho_SGD), tuned Nesterov-SGD and MaSS",
            ),
        )
        .log_x()
        .log_y()
        .reference(crate::plot::Reference::power_law(
            "sqrt(kappa/kappa-tilde)/2 (accelerated, slope 1/2)",
            0.5 / DECOUPLED_C.sqrt(),
            0.5,
        ))
        .caption(
            "Kidambi et al.'s component-decoupled law: the searched Nesterov-SGD's gain stays \
             nearly flat while MaSS's grows like sqrt(kappa)",
        );
        Ok(
            Outcome::new(criteria, controls, vec![table, speed, by_kappa, decoupled])
                .with_plots(vec![plot, by_kappa_plot, decoupled_plot]),
        )
    }
}
