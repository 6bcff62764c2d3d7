//! Properties of the second-moment operators of SGD, Nesterov-SGD and MaSS: the reference
//! spectral radii of the paper note (computed twice independently there), closed forms, the
//! Monte Carlo of the iteration itself, and invariance of the Gaussian operator under rotations.

use overparam_kernel::SeedPath;
use overparam_kernel::momentum::{
    BatchSize, Constants, DataLaw, FourthMomentTerms, Hyper, Method, SecondMomentOperator,
    simulate_squared_error,
};
use overparam_linalg::Mat;

fn rho(law: &DataLaw, batch: BatchSize, hyper: Hyper) -> f64 {
    let spectrum = SecondMomentOperator::new(law, batch, hyper, FourthMomentTerms::Exact)
        .spectrum()
        .expect("operator spectrum");
    assert!(spectrum.rho.is_finite());
    spectrum.rho
}

fn default_rho(law: &DataLaw, method: Method, batch: BatchSize) -> f64 {
    let constants = Constants::of(law).unwrap();
    rho(law, batch, Hyper::paper_default(method, &constants, batch))
}

/// The note's table "2-D Gaussian, H = diag(1, 1/kappa), batch 1", printed to 6 decimals.
#[test]
fn reproduces_the_two_dimensional_reference_table() {
    let table = [
        (10.0, 0.939004, 1.038448, 0.879384, 0.910197),
        (100.0, 0.993392, 1.288827, 0.957306, 0.971180),
        (1000.0, 0.999334, 1.392076, 0.985234, 0.990873),
    ];
    let b1 = BatchSize::Finite(1);
    for (kappa, sgd, nesterov, mass, one_minus_alpha) in table {
        let law = DataLaw::gaussian_diagonal(&[1.0, 1.0 / kappa]).unwrap();
        let c = Constants::of(&law).unwrap();
        assert!((c.l1 - (3.0 + 1.0 / kappa)).abs() < 1e-12, "L1 = tr H + 2L");
        assert!((c.kappa_tilde - 4.0).abs() < 1e-12, "kappa-tilde = d + 2");
        let closed = Constants::gaussian_diagonal(&[1.0, 1.0 / kappa]);
        assert!((closed.l1 - c.l1).abs() < 1e-12 && (closed.mu - c.mu).abs() < 1e-15);
        assert!((closed.kappa_tilde - c.kappa_tilde).abs() < 1e-12);
        let half_unit = 5e-7;
        assert!((default_rho(&law, Method::Sgd, b1) - sgd).abs() < half_unit);
        assert!((default_rho(&law, Method::Nesterov, b1) - nesterov).abs() < half_unit);
        assert!((default_rho(&law, Method::Mass, b1) - mass).abs() < half_unit);
        assert!((1.0 - Hyper::mass_alpha(&c, b1) - one_minus_alpha).abs() < half_unit);
    }
}

/// The note's mini-batch table: d = 12, lambda_i = 1/i, printed to 5 decimals; and its critical
/// batch sizes L1/L = 5.103 and kappa-tilde = 14.
#[test]
fn reproduces_the_batch_table_and_critical_sizes() {
    let spectrum: Vec<f64> = (1..=12).map(|i| 1.0 / i as f64).collect();
    let law = DataLaw::gaussian_diagonal(&spectrum).unwrap();
    let c = Constants::of(&law).unwrap();
    let critical = c.critical_batch_sizes();
    assert!((critical.m1 - 5.103).abs() < 5e-4);
    assert!((critical.m2 - 14.0).abs() < 1e-12);
    let rows = [
        (1, 0.95141, 0.96856, 0.96585),
        (2, 0.91175, 0.94731, 0.93966),
        (4, 0.85155, 0.92058, 0.90162),
        (8, 0.77540, 0.89379, 0.85514),
        (12, 0.72915, 0.88040, 0.82735),
        (16, 0.69800, 0.87236, 0.80871),
        (64, 0.58996, 0.84971, 0.74487),
    ];
    for (b, mass, sgd, one_minus_alpha) in rows {
        let batch = BatchSize::Finite(b);
        let half_unit = 5e-6;
        let got_mass = default_rho(&law, Method::Mass, batch);
        assert!((got_mass - mass).abs() < half_unit, "b = {b}: {got_mass}");
        assert!((default_rho(&law, Method::Sgd, batch) - sgd).abs() < half_unit);
        let oma = 1.0 - Hyper::mass_alpha(&c, batch);
        assert!((oma - one_minus_alpha).abs() < half_unit);
        assert!(got_mass <= oma, "MaSS obeys its rate at b = {b}");
    }
    // The note's MaSS entries at b = 128 and 256 (0.57389, 0.56325) are NOT reproduced: the
    // eigensolver gives 0.561489 and 0.543774, and a power iteration of the same operator
    // (below) agrees to 1e-9, as do SGD and 1 - alpha at those b. These values give the last
    // MaSS slope 0.10 that the note attributes to "an earlier computation". Only the
    // independent facts are asserted here: the two methods agree, and the rate holds.
    for (b, sgd, one_minus_alpha) in [(128, 0.84513, 0.72926), (256, 0.84274, 0.72062)] {
        let batch = BatchSize::Finite(b);
        assert!((default_rho(&law, Method::Sgd, batch) - sgd).abs() < 5e-6);
        let oma = 1.0 - Hyper::mass_alpha(&c, batch);
        assert!((oma - one_minus_alpha).abs() < 5e-6);
        let hyper = Hyper::paper_default(Method::Mass, &c, batch);
        let got = rho(&law, batch, hyper);
        let op = SecondMomentOperator::new(&law, batch, hyper, FourthMomentTerms::Exact);
        assert!(
            (got - power_ratio(&op, 1000)).abs() < 1e-9,
            "b = {b}: {got}"
        );
        assert!(got <= oma);
    }
}

/// tr T^{t}(I) / tr T^{t-1}(I): the power iteration from S = I (PSD, so it sees the
/// Krein-Rutman eigenvalue), renormalised every step.
fn power_ratio(op: &SecondMomentOperator<'_>, steps: usize) -> f64 {
    let m = 2 * op.law.dim();
    let mut s = Mat::from_fn(m, m, |i, j| if i == j { 1.0 } else { 0.0 });
    let mut ratio = f64::NAN;
    for _ in 0..steps {
        let prev: f64 = (0..m).map(|i| s[(i, i)]).sum();
        s = op.apply(&s);
        let tr: f64 = (0..m).map(|i| s[(i, i)]).sum();
        ratio = tr / prev;
        s = Mat::from_fn(m, m, |i, j| s[(i, j)] / tr);
    }
    ratio
}

/// Full batch: the iteration is deterministic, T(S) = M S M^T, and Nesterov with eta = 1/L and
/// the classical momentum has rho(M) = 1 - sqrt(mu/L) (a double root), so rho(T) is its square.
/// MaSS's defaults reduce to exactly these parameters at full batch.
#[test]
fn full_batch_recovers_nesterov_classical_rate() {
    for spectrum in [
        vec![1.0, 0.1],
        vec![2.0, 0.7, 0.05],
        vec![1.0, 0.5, 0.25, 0.125],
        vec![3.0, 0.01],
    ] {
        let law = DataLaw::gaussian_diagonal(&spectrum).unwrap();
        let c = Constants::of(&law).unwrap();
        let closed = (1.0 - (c.mu / c.l).sqrt()).powi(2);
        let nesterov = Hyper::paper_default(Method::Nesterov, &c, BatchSize::Full);
        assert!((nesterov.eta1 - 1.0 / c.l).abs() < 1e-15);
        // The classical momentum makes rho(M) a double (Jordan) root, so T = M (x) M has a
        // Jordan block of size 3 there; a backward-stable eigensolver perturbs such an
        // eigenvalue by about (machine epsilon)^(1/3) = 6e-6 times a modest constant (measured:
        // 3e-6 to 1e-5 on these spectra), hence 3e-5.
        let jordan = 3e-5;
        assert!((rho(&law, BatchSize::Full, nesterov) - closed).abs() < jordan);
        let mass = Hyper::paper_default(Method::Mass, &c, BatchSize::Full);
        assert!(mass.eta2.abs() < 1e-15 && (mass.gamma - nesterov.gamma).abs() < 1e-12);
        assert!((rho(&law, BatchSize::Full, mass) - closed).abs() < jordan);
        // Gradient descent at 1/L: rho = (1 - mu/L)^2.
        let sgd = Hyper::paper_default(Method::Sgd, &c, BatchSize::Full);
        assert!((rho(&law, BatchSize::Full, sgd) - (1.0 - c.mu / c.l).powi(2)).abs() < 1e-12);
    }
}

/// One dimension, x ~ N(0, h): E[(1 - eta X_b)^2] = 1 - 2 eta h + eta^2 h^2 (1 + 2/b).
#[test]
fn sgd_in_one_dimension_matches_its_closed_form() {
    for h in [0.3, 1.0, 4.0] {
        let law = DataLaw::gaussian_diagonal(&[h]).unwrap();
        for b in [1u64, 2, 5, 40] {
            for eta in [0.01, 0.2 / h, 0.5 / h, 0.9 / h] {
                let hyper = Hyper {
                    eta1: eta,
                    gamma: 0.0,
                    eta2: 0.0,
                };
                let closed = 1.0 - 2.0 * eta * h + eta * eta * h * h * (1.0 + 2.0 / b as f64);
                let got = rho(&law, BatchSize::Finite(b), hyper);
                assert!((got - closed).abs() < 1e-12, "h {h} b {b} eta {eta}: {got}");
            }
        }
    }
}

/// The note's two-point law: x = e1 with probability p, e2 otherwise. L1 = 1, kappa = kappa-tilde
/// = 1/p; SGD at eta contracts coordinate i by 1 - p_i eta (2 - eta); the note computed
/// rho_MaSS = rho_SGD = 1 - p at the default parameters.
#[test]
fn two_point_distribution_constants_and_rates() {
    for p in [0.1, 0.01, 0.001] {
        let law =
            DataLaw::discrete(vec![vec![1.0, 0.0], vec![0.0, 1.0]], vec![p, 1.0 - p]).unwrap();
        let c = Constants::of(&law).unwrap();
        assert!((c.l1 - 1.0).abs() < 1e-12);
        assert!((c.kappa() - 1.0 / p).abs() < 1e-9 / p);
        assert!((c.kappa_tilde - 1.0 / p).abs() < 1e-9 / p);
        let b1 = BatchSize::Finite(1);
        for eta in [0.3, 1.0, 1.5] {
            let hyper = Hyper {
                eta1: eta,
                gamma: 0.0,
                eta2: 0.0,
            };
            let closed = 1.0 - p * eta * (2.0 - eta);
            assert!((rho(&law, b1, hyper) - closed).abs() < 1e-12);
        }
        assert!((default_rho(&law, Method::Sgd, b1) - (1.0 - p)).abs() < 1e-9);
        assert!((default_rho(&law, Method::Mass, b1) - (1.0 - p)).abs() < 1e-7);
    }
}

/// The Gaussian operator depends on H only through its spectrum: a rotated, non-diagonal H
/// (assembled through the general formulas, every entry nonzero) gives the same rho.
#[test]
fn gaussian_operator_is_rotation_invariant() {
    let spectrum = [1.5, 0.4, 0.05];
    let diagonal = DataLaw::gaussian_diagonal(&spectrum).unwrap();
    // A Householder reflection Q = I - 2 v v^T / v^T v.
    let v = [1.0, -2.0, 0.5];
    let vv: f64 = v.iter().map(|x| x * x).sum();
    let q = Mat::from_fn(3, 3, |i, j| {
        (if i == j { 1.0 } else { 0.0 }) - 2.0 * v[i] * v[j] / vv
    });
    let h = Mat::from_fn(3, 3, |i, j| {
        (0..3).map(|k| q[(i, k)] * spectrum[k] * q[(j, k)]).sum()
    });
    let rotated = DataLaw::gaussian(h).unwrap();
    for method in [Method::Sgd, Method::Nesterov, Method::Mass] {
        for b in [1u64, 3] {
            let batch = BatchSize::Finite(b);
            let c = Constants::of(&diagonal).unwrap();
            let cr = Constants::of(&rotated).unwrap();
            assert!((c.l1 - cr.l1).abs() < 1e-12 && (c.kappa_tilde - cr.kappa_tilde).abs() < 1e-12);
            let hyper = Hyper::paper_default(method, &c, batch);
            assert!((rho(&diagonal, batch, hyper) - rho(&rotated, batch, hyper)).abs() < 1e-10);
        }
    }
}

/// The operator predicts the mean of ||e_t||^2 of the actual stochastic iteration, within four
/// standard errors, for each method, Gaussian and discrete data, b = 1 and 2; and the operator
/// without the tr(HB)H term misses the simulation, so the comparison has the power to see it.
#[test]
fn operator_matches_monte_carlo_of_the_iteration() {
    let gaussian = DataLaw::gaussian_diagonal(&[1.0, 0.5, 0.1]).unwrap();
    let discrete = DataLaw::discrete(
        vec![
            vec![1.0, 0.0, 0.5],
            vec![0.0, 1.0, -1.0],
            vec![0.3, 0.3, 1.0],
        ],
        vec![0.5, 0.3, 0.2],
    )
    .unwrap();
    let e0 = [1.0, -0.5, 0.8, 1.0, -0.5, 0.8];
    let steps = 12;
    let replicates = 40_000;
    let mut trace_term_missed = false;
    for (law_name, law) in [("gaussian", &gaussian), ("discrete", &discrete)] {
        let c = Constants::of(law).unwrap();
        for method in [Method::Sgd, Method::Nesterov, Method::Mass] {
            for b in [1u64, 2] {
                let batch = BatchSize::Finite(b);
                let hyper = Hyper::paper_default(method, &c, batch);
                let exact = SecondMomentOperator::new(law, batch, hyper, FourthMomentTerms::Exact)
                    .squared_error_path(&e0, steps);
                let seed =
                    SeedPath::new(7, "momentum-test", &format!("{law_name}-{method:?}-{b}"), 0);
                let mc =
                    simulate_squared_error(law, b, hyper, &e0, steps, replicates, &seed).unwrap();
                // t = 0 is deterministic (standard error 0); every later step is compared.
                let steps_after_start = mc.mean.iter().zip(&mc.standard_error).zip(&exact).skip(1);
                for (t, ((mean, se), exact)) in steps_after_start.enumerate() {
                    let z = (mean - exact).abs() / se;
                    assert!(
                        z < 4.0,
                        "{law_name} {method:?} b {b} t {}: mc {mean} exact {exact} se {se}",
                        t + 1
                    );
                }
                if law_name == "gaussian" {
                    let wrong = SecondMomentOperator::new(
                        law,
                        batch,
                        hyper,
                        FourthMomentTerms::WithoutTraceTerm,
                    )
                    .squared_error_path(&e0, steps);
                    let z = (mc.mean[steps] - wrong[steps]).abs() / mc.standard_error[steps];
                    trace_term_missed |= z > 10.0;
                }
            }
        }
    }
    assert!(
        trace_term_missed,
        "dropping tr(HB)H must be visible to the Monte Carlo"
    );
}

/// The third-party sign error: MaSS with the compensation term negated loses its rate.
#[test]
fn wrong_sign_compensation_loses_the_mass_rate() {
    let law = DataLaw::gaussian_diagonal(&[1.0, 0.01]).unwrap();
    let c = Constants::of(&law).unwrap();
    let b1 = BatchSize::Finite(1);
    let mut hyper = Hyper::paper_default(Method::Mass, &c, b1);
    let bound = 1.0 - Hyper::mass_alpha(&c, b1);
    assert!(rho(&law, b1, hyper) <= bound);
    hyper.eta2 = -hyper.eta2;
    assert!(rho(&law, b1, hyper) > bound);
}

#[test]
fn refuses_bad_input() {
    assert!(DataLaw::gaussian_diagonal(&[]).is_err());
    assert!(DataLaw::gaussian_diagonal(&[1.0, 0.0]).is_err());
    assert!(DataLaw::gaussian_diagonal(&[1.0, f64::NAN]).is_err());
    assert!(BatchSize::new(0).is_err());
    let ok = Hyper {
        eta1: 0.1,
        gamma: 0.5,
        eta2: 0.05,
    };
    assert!(ok.validate(Method::Mass).is_ok());
    assert!(ok.validate(Method::Nesterov).is_err());
    assert!(ok.validate(Method::Sgd).is_err());
    assert!(Hyper { gamma: 1.0, ..ok }.validate(Method::Mass).is_err());
    assert!(Hyper { eta1: -0.1, ..ok }.validate(Method::Mass).is_err());
    assert!(Hyper { eta2: -0.01, ..ok }.validate(Method::Mass).is_err());
    let big = DataLaw::gaussian_diagonal(&[1.0; 21]).unwrap();
    let c = Constants::of(&big).unwrap();
    let hyper = Hyper::paper_default(Method::Sgd, &c, BatchSize::Finite(1));
    assert!(
        SecondMomentOperator::new(&big, BatchSize::Finite(1), hyper, FourthMomentTerms::Exact)
            .spectrum()
            .is_err()
    );
}
