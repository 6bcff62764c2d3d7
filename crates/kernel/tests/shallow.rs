//! Cross-checks of the shallow network, its infinite-width kernel and gradient descent:
//! finite differences, closed forms, an independent series, Monte Carlo, and the step
//! certificate.

use overparam_kernel::shallow::descent::{DescentSettings, gradient_descent};
use overparam_kernel::{
    Activation, Evaluation, GradientVariant, SeedPath, ShallowData, ShallowNet, data_spectral_norm,
    feature_kernel_inf, feature_kernel_mehler, hermite_coefficients, local_smoothness_bound,
};
use overparam_linalg::{GramSpectrum, Mat, Par, gauss_hermite, thin_svd};
use proptest::prelude::*;

fn activation() -> impl Strategy<Value = Activation> {
    prop_oneof![Just(Activation::Gelu), Just(Activation::Tanh)]
}

/// A small random problem: (d0, d1, d2, n) with data on the sphere and a Gaussian network.
fn problem(seed: u64, d0: usize, d1: usize, d2: usize, n: usize) -> (ShallowData, ShallowNet) {
    let mut rng = SeedPath::new(seed, "test", "shallow", 0).rng();
    let data = ShallowData::sphere(d0, n, d2, &mut rng);
    let net = ShallowNet::gaussian(
        d0,
        d1,
        d2,
        1.0 / (d0 as f64).sqrt(),
        1.0 / (d1 as f64).sqrt(),
        &mut rng,
    );
    (data, net)
}

fn loss(net: &ShallowNet, data: &ShallowData, act: Activation) -> f64 {
    let mut e = Evaluation::for_problem(net, data).unwrap();
    e.forward(net, data, act).unwrap()
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(32))]

    /// Central differences with step 1e-5 have truncation error ~ 1e-10 |h'''| and rounding
    /// ~ eps |h| / 1e-5 ~ 1e-11; a relative tolerance of 1e-6 leaves four orders of margin.
    #[test]
    fn gradient_matches_central_differences(
        seed in 0u64..1000,
        d0 in 1usize..5,
        d1 in 1usize..6,
        d2 in 1usize..3,
        n in 1usize..6,
        act in activation(),
    ) {
        let (data, net) = problem(seed, d0, d1, d2, n);
        let mut e = Evaluation::for_problem(&net, &data).unwrap();
        e.forward(&net, &data, act).unwrap();
        e.backward(&net, &data, GradientVariant::Exact).unwrap();
        let h = 1e-5;
        let scale = 1.0f64.max(e.grad_w.norm_max()).max(e.grad_v.norm_max());
        for i in 0..d1 {
            for j in 0..d0 {
                let (mut p, mut m) = (net.clone(), net.clone());
                p.w[(i, j)] += h;
                m.w[(i, j)] -= h;
                let fd = (loss(&p, &data, act) - loss(&m, &data, act)) / (2.0 * h);
                prop_assert!((fd - e.grad_w[(i, j)]).abs() <= 1e-6 * scale, "W[{i},{j}]: {fd} vs {}", e.grad_w[(i, j)]);
            }
        }
        for i in 0..d2 {
            for j in 0..d1 {
                let (mut p, mut m) = (net.clone(), net.clone());
                p.v[(i, j)] += h;
                m.v[(i, j)] -= h;
                let fd = (loss(&p, &data, act) - loss(&m, &data, act)) / (2.0 * h);
                prop_assert!((fd - e.grad_v[(i, j)]).abs() <= 1e-6 * scale, "V[{i},{j}]: {fd} vs {}", e.grad_v[(i, j)]);
            }
        }
    }

    /// The broken variant is exactly the exact gradient with grad_V halved, nothing else.
    #[test]
    fn wrong_gradient_variant_halves_only_the_output_layer(seed in 0u64..1000, act in activation()) {
        let (data, net) = problem(seed, 3, 5, 2, 4);
        let mut exact = Evaluation::for_problem(&net, &data).unwrap();
        exact.forward(&net, &data, act).unwrap();
        let mut broken = exact.clone();
        exact.backward(&net, &data, GradientVariant::Exact).unwrap();
        broken.backward(&net, &data, GradientVariant::OutputLayerWithoutFactorTwo).unwrap();
        prop_assert_eq!(&exact.grad_w, &broken.grad_w);
        for j in 0..5 {
            for i in 0..2 {
                prop_assert_eq!(exact.grad_v[(i, j)], 2.0 * broken.grad_v[(i, j)]);
            }
        }
    }

    /// phi' and phi'' agree with central differences of phi and phi', and the derivative
    /// bounds hold everywhere.
    #[test]
    fn activation_derivatives_and_bounds(z in -8.0f64..8.0, act in activation()) {
        let h = 1e-5;
        let (_, slope) = act.value_and_slope(z);
        let fd1 = (act.value(z + h) - act.value(z - h)) / (2.0 * h);
        let fd2 = (act.value_and_slope(z + h).1 - act.value_and_slope(z - h).1) / (2.0 * h);
        prop_assert!((slope - fd1).abs() < 1e-8);
        prop_assert!((act.curvature(z) - fd2).abs() < 1e-8);
        prop_assert!(slope.abs() <= act.slope_bound() + 1e-15);
        prop_assert!(act.curvature(z).abs() <= act.curvature_bound() + 1e-15);
    }

    /// The two quadrature routes to K_inf (2-D tensor rule, Mehler series with 1-D
    /// coefficients) agree to rounding, also for points off the unit sphere, at the
    /// pre-activation scales omega1 ||x|| <= 0.6 of the checks (d0 >= 4). Larger scales slow
    /// the decay of tanh's Hermite coefficients (poles at -+ i pi/2), where degree 40 no
    /// longer reaches rounding.
    #[test]
    fn kinf_quadrature_matches_mehler_series(
        seed in 0u64..1000,
        d0 in 4usize..9,
        n in 2usize..7,
        scale in 0.5f64..1.2,
        act in activation(),
    ) {
        let (mut data, _) = problem(seed, d0, 1, 1, n);
        for j in 0..n {
            for i in 0..d0 {
                data.x[(i, j)] *= scale;
            }
        }
        let rule = gauss_hermite(60).unwrap();
        let omega1 = 1.0 / (d0 as f64).sqrt();
        let a = feature_kernel_inf(act, omega1, data.x.as_ref(), &rule);
        let b = feature_kernel_mehler(act, omega1, data.x.as_ref(), &rule, 40);
        let gap = (&a - &b).norm_max();
        prop_assert!(gap <= 1e-12 * a.norm_max(), "gap {gap:e}");
    }

    /// The tabulated Taylor expansion of Phi_N agrees with the series / continued fraction it
    /// was built from: a few ulps absolutely, and relatively in the lower tail to 16 terms x
    /// eps x the alternating sum's loss e^{2 |c delta|} <= e, i.e. ~1e-14 (5e-14 allowed).
    #[test]
    fn tabulated_normal_cdf_matches_reference(z in -9.0f64..9.0) {
        use overparam_kernel::shallow::{normal_cdf, normal_cdf_reference};
        let (t, r) = (normal_cdf(z), normal_cdf_reference(z));
        prop_assert!((t - r).abs() <= 4.0 * f64::EPSILON, "z={z}: {t} vs {r}");
        if z < 0.0 {
            prop_assert!((t - r).abs() <= 5e-14 * r, "z={z}: {t} vs {r}");
        }
    }

    /// The local smoothness bound dominates the second directional derivative of h along
    /// random directions (by central second differences, step 1e-4: error ~ 1e-8 |h''''|,
    /// far below the bound's slack).
    #[test]
    fn smoothness_bound_dominates_curvature(seed in 0u64..1000, act in activation(), big in any::<bool>()) {
        let (data, mut net) = problem(seed, 4, 6, 1, 5);
        if big {
            // far from initialisation: large weights, large residual
            for x in 0..6 { for y in 0..4 { net.w[(x, y)] *= 3.0; } net.v[(0, x)] *= 4.0; }
        }
        let mut e = Evaluation::for_problem(&net, &data).unwrap();
        let h0 = e.forward(&net, &data, act).unwrap();
        let sigma_max = thin_svd(e.features(), Par::Seq).unwrap().largest();
        let x_norm = data_spectral_norm(&data).unwrap();
        let beta = local_smoothness_bound(&net, &e, act, x_norm, sigma_max);
        let mut rng = SeedPath::new(seed, "test", "direction", 0).rng();
        let dir = ShallowNet::gaussian(4, 6, 1, 1.0, 1.0, &mut rng);
        let norm = (dir.w.norm_l2().powi(2) + dir.v.norm_l2().powi(2)).sqrt();
        let step = 1e-4 / norm;
        let shifted = |t: f64| {
            let mut p = net.clone();
            for x in 0..6 {
                for y in 0..4 { p.w[(x, y)] += t * dir.w[(x, y)]; }
                p.v[(0, x)] += t * dir.v[(0, x)];
            }
            loss(&p, &data, act)
        };
        let second = (shifted(step) - 2.0 * h0 + shifted(-step)) / (step * norm).powi(2);
        prop_assert!(second <= beta, "h'' = {second} > beta = {beta}");
    }
}

/// The normal distribution function against reference values of erfc (30 digits, e.g. from
/// Abramowitz & Stegun / mpmath): Phi(-x sqrt 2) = erfc(x) / 2. Relative 2e-14 allows for the
/// rounding of the argument x sqrt(2) (relative error amplification 2 x^2 at x = 5).
#[test]
#[allow(clippy::excessive_precision)] // the reference digits are kept as published
fn normal_cdf_matches_reference_erfc_values() {
    use overparam_kernel::shallow::normal_cdf;
    let refs = [
        (0.5, 0.479_500_122_186_953_462_3),
        (1.0, 0.157_299_207_050_285_130_7),
        (1.5, 0.033_894_853_524_689_272_93),
        (2.0, 0.004_677_734_981_047_265_838),
        (2.5, 4.069_520_174_449_589_396e-4),
        (3.0, 2.209_049_699_858_544_137e-5),
        (5.0, 1.537_459_794_428_034_850e-12),
    ];
    for (x, erfc) in refs {
        let z = x * std::f64::consts::SQRT_2;
        let lower = normal_cdf(-z);
        assert!(
            (lower - 0.5 * erfc).abs() <= 2e-14 * 0.5 * erfc,
            "x={x}: {lower} vs {}",
            0.5 * erfc
        );
        let upper = normal_cdf(z);
        // a few ulps of 1
        assert!(
            (upper - (1.0 - 0.5 * erfc)).abs() <= 4.0 * f64::EPSILON,
            "x={x}: {upper}"
        );
    }
    assert!((normal_cdf(0.0) - 0.5).abs() <= f64::EPSILON);
    assert!((normal_cdf(1.0) - 0.841_344_746_068_542_948_6).abs() <= 2.0 * f64::EPSILON);
    assert_eq!(normal_cdf(40.0), 1.0);
    assert_eq!(normal_cdf(-40.0), 0.0);
    assert!(normal_cdf(f64::NAN).is_nan());
}

/// Identity activation: E[(w.x_a)(w.x_b)] = omega1^2 x_a.x_b exactly, and Gauss–Hermite
/// integrates polynomials of degree 2 exactly.
#[test]
fn kinf_of_linear_activation_is_the_scaled_gram_matrix() {
    let (data, _) = problem(3, 5, 1, 1, 7);
    let rule = gauss_hermite(60).unwrap();
    let omega1 = 0.7;
    let k = feature_kernel_inf(Activation::Identity, omega1, data.x.as_ref(), &rule);
    for a in 0..7 {
        for b in 0..7 {
            let dot: f64 = (0..5).map(|i| data.x[(i, a)] * data.x[(i, b)]).sum();
            assert!((k[(a, b)] - omega1 * omega1 * dot).abs() < 1e-14);
        }
    }
}

/// Hermite coefficients with closed forms: for phi(z) = z, c_1 = s and all others vanish; for
/// tanh (odd) every even coefficient vanishes; GELU has c_0 = s^2 / sqrt(2 pi (1 + s^2)).
#[test]
fn hermite_coefficients_match_closed_forms() {
    let rule = gauss_hermite(60).unwrap();
    let c = hermite_coefficients(Activation::Identity, 0.8, 6, &rule);
    assert!((c[1] - 0.8).abs() < 1e-15);
    assert!(c.iter().enumerate().all(|(t, x)| t == 1 || x.abs() < 1e-15));
    let c = hermite_coefficients(Activation::Tanh, 0.5, 8, &rule);
    assert!(c.iter().step_by(2).all(|x| x.abs() < 1e-15));
    let s: f64 = 0.5;
    let c = hermite_coefficients(Activation::Gelu, s, 2, &rule);
    let c0 = s * s / (2.0 * std::f64::consts::PI * (1.0 + s * s)).sqrt();
    assert!((c[0] - c0).abs() < 1e-15, "{} vs {c0}", c[0]);
}

/// Monte Carlo: Phi^T Phi / d1 over d1 = 40000 sampled neurons estimates K_inf; each entry is
/// a mean of i.i.d. products, so it must lie within 5 standard errors of the quadrature value
/// (a 5-sigma band: false alarms ~ 1e-6 per entry).
#[test]
fn kinf_agrees_with_monte_carlo_features() {
    let (n, d0, d1) = (6, 4, 40_000);
    let mut rng = SeedPath::new(11, "test", "monte-carlo", 0).rng();
    let data = ShallowData::sphere(d0, n, 1, &mut rng);
    let omega1 = 1.0 / (d0 as f64).sqrt();
    let rule = gauss_hermite(60).unwrap();
    for act in [Activation::Gelu, Activation::Tanh] {
        let net = ShallowNet::gaussian(d0, d1, 1, omega1, 1.0, &mut rng);
        let mut e = Evaluation::for_problem(&net, &data).unwrap();
        e.forward(&net, &data, act).unwrap();
        let k = feature_kernel_inf(act, omega1, data.x.as_ref(), &rule);
        for a in 0..n {
            for b in 0..n {
                let prods: Vec<f64> = (0..d1).map(|i| e.phi[(i, a)] * e.phi[(i, b)]).collect();
                let mean = prods.iter().sum::<f64>() / d1 as f64;
                let var = prods.iter().map(|p| (p - mean).powi(2)).sum::<f64>() / (d1 - 1) as f64;
                let se = (var / d1 as f64).sqrt();
                assert!(
                    (mean - k[(a, b)]).abs() < 5.0 * se,
                    "{act:?} ({a},{b}): {mean} vs {}",
                    k[(a, b)]
                );
            }
        }
    }
}

/// The Gram route and the SVD route give the same extreme singular values of a tall matrix.
#[test]
fn gram_spectrum_agrees_with_thin_svd_on_features() {
    let (data, net) = problem(5, 6, 40, 1, 9);
    let mut e = Evaluation::for_problem(&net, &data).unwrap();
    e.forward(&net, &data, Activation::Gelu).unwrap();
    let svd = thin_svd(e.features(), Par::Seq).unwrap();
    let gram = GramSpectrum::new(9).compute(e.features()).unwrap();
    assert!((gram.sigma_max() - svd.largest()).abs() < 1e-12 * svd.largest());
    // sigma_min^2 from the Gram matrix is accurate to ~ n eps sigma_max^2 absolutely
    let tol = 100.0 * f64::EPSILON * svd.largest().powi(2) / svd.smallest();
    assert!((gram.sigma_min() - svd.smallest()).abs() < tol);
}

/// Every accepted step satisfies the descent-lemma inequality it was certified with, the loss
/// decreases monotonically, the run reaches its target at a comfortable width, and the network
/// passed in ends at the last iterate.
#[test]
fn descent_steps_are_certified_and_converge() {
    let (data, net) = problem(9, 8, 64, 1, 12);
    let mut trained = net.clone();
    let settings = DescentSettings {
        activation: Activation::Gelu,
        gradient: GradientVariant::Exact,
        max_steps: 20_000,
        target_ratio: 1e-8,
        track_spectrum: true,
    };
    let mut last_loss = f64::INFINITY;
    let mut records = 0;
    let summary = gradient_descent(&mut trained, &data, &settings, |r| {
        assert!(r.next_loss <= r.loss - 0.5 * r.eta * r.grad_sq);
        assert!(r.loss <= last_loss);
        assert!(r.eta * r.smoothness <= 1.0 + 1e-15);
        assert!(r.sigma_min > 0.0 && r.sigma_min <= r.sigma_max);
        last_loss = r.loss;
        records += 1;
    })
    .unwrap();
    assert!(
        summary.reached_target,
        "h_T / h_0 = {}",
        summary.final_loss / summary.initial_loss
    );
    assert_eq!(records, summary.steps);
    assert!((loss(&trained, &data, Activation::Gelu) - summary.final_loss).abs() < 1e-18);
    assert_ne!(trained, net);
}

/// Shapes that do not fit are refused, not panicked on.
#[test]
fn mismatched_shapes_are_errors() {
    let (data, mut net) = problem(1, 3, 4, 1, 5);
    net.w = Mat::zeros(4, 2);
    assert!(Evaluation::for_problem(&net, &data).is_err());
}
