//! `liu2020.no-acceleration`: on a law with kappa-tilde = kappa (the two-point law) no step and
//! momentum of Nesterov-SGD beats SGD, found by a grid over (eta, gamma) with local refinement;
//! on Gaussian data, where kappa-tilde << kappa, MaSS accelerates by the predicted factor.

use super::{PAPER, Problem, RHO_ACCURACY};
use crate::kit::{least, worst};
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
                      refinement on the two-point law); MaSS accelerates on Gaussian data",
            statement: "Nesterov-SGD with any parameters does not in general accelerate over \
                        SGD: on the two-point law x = e1 with probability p, e2 with \
                        probability 1 - p, no (eta, gamma) gives a rate 1 - rho above SGD's \
                        (factor 1); on Gaussian data, where kappa-tilde is far below kappa, \
                        MaSS is faster than SGD by at least sqrt(kappa/kappa-tilde)/2.",
            assumptions: &[
                "linear interpolation model, batch 1",
                "the two-point law is the note's example (item 8), whose non-acceleration bound \
                 is derived here for every (eta, gamma, eta2); the paper's own example \
                 distribution could not be confirmed [unverified]; the literature's example \
                 (Kidambi et al. 2018, component-decoupled data with kappa-tilde bounded) is \
                 quoted in the provenance, not tested",
                "the rate-by-kappa plot (reported, not gated): H = diag(1, 1/kappa_H), kappa_H = \
                 10, 100, 1000 (full: 10 to 10^4), SGD at 1/L1, MaSS's parameters and the \
                 searched Nesterov-SGD, with the slopes -1 (2/kappa) and -1/2 (alpha) drawn",
                "p = 0.1, 0.02 (full: 0.1, 0.05, 0.02)",
            ],
            criteria: const { &[NO_GAIN, MASS_SPEEDUP, SEARCH_REACHES_SGD] },
            controls: const { &[GAUSSIAN] },
            provenance: super::CONFIRMED,
            runtime: "measured at seed 0, one thread: quick 0.14 s CPU (0.7 s wall on the shared 2-core machine); full 0.2 s CPU (0.9 s wall)",
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
        let mut problems = Vec::new();
        for &p in &ps {
            problems.push(Problem::two_point(p)?);
        }
        for &k in &kappa_hs {
            problems.push(Problem::two_dim(k)?);
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
        for (i, (p, s)) in problems.iter().zip(&searches).enumerate() {
            let rho_sgd = p.rho(batch, p.paper(Method::Sgd, batch), exact)?;
            let gain = (1.0 - s.best) / (1.0 - rho_sgd);
            if i >= ps.len() {
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
        let criteria = vec![
            NO_GAIN.check(worst(two_point_gain.iter().copied())),
            MASS_SPEEDUP.check(least(ratios)),
            SEARCH_REACHES_SGD.check(worst(attained[..ps.len()].iter().copied())),
        ];
        let controls = vec![Control::new(
            GAUSSIAN.name,
            GAUSSIAN.doc,
            NO_GAIN
                .check(gaussian_gain[0])
                .with_detail("gain of tuned Nesterov-SGD over SGD on H = diag(1, 1/100)"),
        )];
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
        Ok(
            Outcome::new(criteria, controls, vec![table, speed, by_kappa])
                .with_plots(vec![plot, by_kappa_plot]),
        )
    }
}
