//! Deep ReLU networks: the GEMM gradient against finite differences, the structured empirical
//! NTK against explicit per-sample Jacobians (built by a naive loop implementation here), its
//! symmetry and positive semi-definiteness, and the infinite-width recursion against closed
//! forms and against the empirical NTK at growing width.

use overparam_kernel::SeedPath;
use overparam_kernel::TwoLayerNet;
use overparam_kernel::deep::{
    DeepError, DeepReluNet, Parametrisation, Trained, empirical_ntk, gram_spectrum, infinite_ntk,
    loss_and_gradient,
};
use overparam_kernel::ntk_gram;
use overparam_linalg::{Mat, Par};
use proptest::prelude::*;
use rand_distr::{Distribution, StandardNormal};

fn gaussian_matrix(rows: usize, cols: usize, seed: &SeedPath) -> Mat<f64> {
    let mut rng = seed.rng();
    let mut x = Mat::<f64>::zeros(rows, cols);
    for i in 0..rows {
        for j in 0..cols {
            x[(i, j)] = StandardNormal.sample(&mut rng);
        }
    }
    x
}

fn net(p: Parametrisation, d: usize, m: usize, depth: usize, master: u64) -> DeepReluNet {
    DeepReluNet::init(p, d, m, depth, &SeedPath::new(master, "test", "net", 0)).unwrap()
}

/// The per-sample Jacobian df(x)/dtheta by loops over scalars: forward keeping z_l, backward
/// g = s v, delta = c 1[z > 0] g, df/dW_l = delta h^T (row-major), g = W_l^T delta; then
/// df/dv = s h_L. Only the parameters in `trained`, in the order W_1, ..., W_L, v.
fn naive_jacobian(net: &DeepReluNet, x: &[f64], trained: Trained) -> Vec<f64> {
    let (c, s) = (net.layer_scale(), net.output_scale());
    let mut hs = vec![x.to_vec()];
    let mut zs = Vec::new();
    for w in net.layers() {
        let h = hs.last().unwrap();
        let z: Vec<f64> = (0..w.nrows())
            .map(|i| (0..w.ncols()).map(|j| w[(i, j)] * h[j]).sum())
            .collect();
        hs.push(
            z.iter()
                .map(|&v| if v > 0.0 { c * v } else { 0.0 })
                .collect(),
        );
        zs.push(z);
    }
    let mut blocks = vec![Vec::new(); net.depth()];
    let mut g: Vec<f64> = net.output().iter().map(|v| s * v).collect();
    for l in (0..net.depth()).rev() {
        let delta: Vec<f64> = zs[l]
            .iter()
            .zip(&g)
            .map(|(&z, &gv)| if z > 0.0 { c * gv } else { 0.0 })
            .collect();
        let w = &net.layers()[l];
        let mut block = Vec::with_capacity(w.nrows() * w.ncols());
        for &di in &delta {
            for &hj in &hs[l] {
                block.push(di * hj);
            }
        }
        blocks[l] = block;
        g = (0..w.ncols())
            .map(|j| (0..w.nrows()).map(|i| w[(i, j)] * delta[i]).sum())
            .collect();
    }
    let mut jac = Vec::new();
    for (l, b) in blocks.into_iter().enumerate() {
        if trained.layer(l) {
            jac.extend(b);
        }
    }
    if trained.output() {
        jac.extend(hs.last().unwrap().iter().map(|h| s * h));
    }
    jac
}

fn naive_output(net: &DeepReluNet, x: &[f64]) -> f64 {
    let mut h = x.to_vec();
    for w in net.layers() {
        h = (0..w.nrows())
            .map(|i| {
                let z: f64 = (0..w.ncols()).map(|j| w[(i, j)] * h[j]).sum();
                net.layer_scale() * z.max(0.0)
            })
            .collect();
    }
    net.output_scale() * net.output().iter().zip(&h).map(|(v, h)| v * h).sum::<f64>()
}

fn row(x: &Mat<f64>, i: usize) -> Vec<f64> {
    (0..x.ncols()).map(|j| x[(i, j)]).collect()
}

fn parametrisation() -> impl Strategy<Value = Parametrisation> {
    prop_oneof![Just(Parametrisation::Ntk), Just(Parametrisation::Standard)]
}

fn trained() -> impl Strategy<Value = Trained> {
    prop_oneof![Just(Trained::All), Just(Trained::Hidden)]
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(48))]

    /// The batched forward pass equals the naive one, and the naive Jacobian is the derivative
    /// of the naive output (central differences), so it is a trustworthy reference.
    #[test]
    fn naive_jacobian_is_the_derivative_of_the_output(
        p in parametrisation(), depth in 1usize..=3, m in 1usize..=6, d in 1usize..=4,
        master in 0u64..1000,
    ) {
        let net = net(p, d, m, depth, master);
        let x = gaussian_matrix(3, d, &SeedPath::new(master, "test", "x", 0));
        let forward = net.forward(x.as_ref(), Par::Seq).unwrap();
        for i in 0..3 {
            let xi = row(&x, i);
            let f = naive_output(&net, &xi);
            prop_assert!((forward.outputs[i] - f).abs() <= 1e-12 * (1.0 + f.abs()));
            let jac = naive_jacobian(&net, &xi, Trained::All);
            let h = 1e-6;
            let mut k = 0;
            for l in 0..depth {
                let (rows, cols) = (net.layers()[l].nrows(), net.layers()[l].ncols());
                for a in 0..rows {
                    for b in 0..cols {
                        let mut plus = net.clone();
                        plus.layers_mut()[l][(a, b)] += h;
                        let mut minus = net.clone();
                        minus.layers_mut()[l][(a, b)] -= h;
                        let fd = (naive_output(&plus, &xi) - naive_output(&minus, &xi)) / (2.0 * h);
                        prop_assert!((fd - jac[k]).abs() <= 1e-6 * (1.0 + fd.abs()),
                            "layer {l} ({a}, {b}): fd {fd} vs {}", jac[k]);
                        k += 1;
                    }
                }
            }
            for r in 0..m {
                let mut plus = net.clone();
                plus.output_mut()[r] += h;
                let mut minus = net.clone();
                minus.output_mut()[r] -= h;
                let fd = (naive_output(&plus, &xi) - naive_output(&minus, &xi)) / (2.0 * h);
                prop_assert!((fd - jac[k]).abs() <= 1e-6 * (1.0 + fd.abs()));
                k += 1;
            }
        }
    }

    /// grad F from the GEMM backward pass against central differences of F, in every layer and
    /// in v, for both parametrisations and a non-unit output scale.
    #[test]
    fn loss_gradient_matches_finite_differences(
        p in parametrisation(), depth in 1usize..=3, m in 1usize..=8, d in 1usize..=4,
        n in 1usize..=5, scale in prop_oneof![Just(1.0), Just(0.3)], master in 0u64..1000,
    ) {
        let net = net(p, d, m, depth, master).with_output_scale(scale);
        let x = gaussian_matrix(n, d, &SeedPath::new(master, "test", "x", 0));
        let y: Vec<f64> = row(&gaussian_matrix(1, n, &SeedPath::new(master, "test", "y", 0)), 0);
        let g = loss_and_gradient(&net, x.as_ref(), &y, Par::Seq).unwrap();
        let loss = |net: &DeepReluNet| loss_and_gradient(net, x.as_ref(), &y, Par::Seq).unwrap().loss;
        let h = 1e-6;
        for l in 0..depth {
            let w = &net.layers()[l];
            for a in 0..w.nrows() {
                for b in 0..w.ncols() {
                    let mut plus = net.clone();
                    plus.layers_mut()[l][(a, b)] += h;
                    let mut minus = net.clone();
                    minus.layers_mut()[l][(a, b)] -= h;
                    let fd = (loss(&plus) - loss(&minus)) / (2.0 * h);
                    let an = g.layers[l][(a, b)];
                    prop_assert!((fd - an).abs() <= 1e-5 * (1.0 + fd.abs()),
                        "layer {l} ({a}, {b}): fd {fd} vs {an}");
                }
            }
        }
        for r in 0..m {
            let mut plus = net.clone();
            plus.output_mut()[r] += h;
            let mut minus = net.clone();
            minus.output_mut()[r] -= h;
            let fd = (loss(&plus) - loss(&minus)) / (2.0 * h);
            prop_assert!((fd - g.output[r]).abs() <= 1e-5 * (1.0 + fd.abs()));
        }
        let expected: f64 = 0.5 * g.residuals.iter().map(|r| r * r).sum::<f64>();
        prop_assert_eq!(g.loss, expected);
    }

    /// K from the backward pass equals J J^T of the naive per-sample Jacobians, is exactly
    /// symmetric and positive semi-definite (smallest eigenvalue >= -1e-12 lambda_max).
    #[test]
    fn structured_ntk_equals_jacobian_gram_and_is_psd(
        p in parametrisation(), t in trained(), depth in 1usize..=3, m in 1usize..=10,
        d in 1usize..=4, n in 1usize..=7, master in 0u64..1000,
    ) {
        prop_assume!(!(depth == 1 && t == Trained::Hidden));
        let net = net(p, d, m, depth, master);
        let x = gaussian_matrix(n, d, &SeedPath::new(master, "test", "x", 0));
        let k = empirical_ntk(&net, x.as_ref(), t, Par::Seq).unwrap();
        let jac: Vec<Vec<f64>> = (0..n).map(|i| naive_jacobian(&net, &row(&x, i), t)).collect();
        prop_assert_eq!(jac[0].len(), net.parameter_count(t));
        let scale = k.norm_l2().max(1e-300);
        for i in 0..n {
            for j in 0..n {
                let reference: f64 = jac[i].iter().zip(&jac[j]).map(|(a, b)| a * b).sum();
                prop_assert!((k[(i, j)] - reference).abs() <= 1e-12 * scale,
                    "K[{i},{j}] = {} vs {reference}", k[(i, j)]);
                prop_assert_eq!(k[(i, j)], k[(j, i)]);
            }
        }
        let eigen = gram_spectrum(k.as_ref(), Par::Seq).unwrap();
        let lambda_max = eigen.values.last().copied().unwrap();
        prop_assert!(eigen.values[0] >= -1e-12 * lambda_max.max(0.0));
    }

    /// Theta(a x, b x') = a b Theta(x, x') for a, b > 0 (ReLU is positively homogeneous and the
    /// first layer sees x unscaled), and the diagonal is (L + 1) |x|^2.
    #[test]
    fn infinite_ntk_is_homogeneous_with_the_stated_diagonal(
        depth in 1usize..=4, d in 1usize..=5, n in 2usize..=6, a in 0.1f64..10.0,
        master in 0u64..1000,
    ) {
        let x = gaussian_matrix(n, d, &SeedPath::new(master, "test", "x", 0));
        let mut scaled = x.clone();
        for j in 0..d {
            scaled[(0, j)] *= a;
        }
        let k = infinite_ntk(x.as_ref(), depth).unwrap();
        let ks = infinite_ntk(scaled.as_ref(), depth).unwrap();
        for i in 0..n {
            let norm2: f64 = row(&x, i).iter().map(|v| v * v).sum();
            prop_assert!((k[(i, i)] - (depth as f64 + 1.0) * norm2).abs() <= 1e-14 * k[(i, i)]);
            let factor = if i == 0 { a * a } else { a };
            if i > 0 {
                prop_assert!((ks[(0, i)] - factor * k[(0, i)]).abs() <= 1e-12 * ks[(0, 0)].abs().max(1.0) * a);
            }
        }
        let eigen = gram_spectrum(k.as_ref(), Par::Seq).unwrap();
        prop_assert!(eigen.values[0] >= -1e-12 * eigen.values[n - 1]);
    }
}

/// Depth 1 in the NTK parametrisation is sqrt(2) times the two-layer network of `ntk_gram`
/// (f = sum_r a_r relu(w_r . x) / sqrt(m)) with a = v and w_r the rows of W_1, so its NTK is
/// exactly twice that one: the two implementations check each other.
#[test]
fn depth_one_is_twice_the_two_layer_ntk() {
    let (n, d, m) = (9, 4, 37);
    let deep = net(Parametrisation::Ntk, d, m, 1, 5);
    let w = &deep.layers()[0];
    let flat: Vec<f64> = (0..m)
        .flat_map(|i| (0..d).map(move |j| w[(i, j)]))
        .collect();
    let two_layer = TwoLayerNet::from_flat(d, deep.output().to_vec(), flat).unwrap();
    let x = gaussian_matrix(n, d, &SeedPath::new(5, "test", "x", 0));
    let k = empirical_ntk(&deep, x.as_ref(), Trained::All, Par::Seq).unwrap();
    let k2 = ntk_gram(&two_layer, x.as_ref(), Par::Seq).unwrap();
    let twice = Mat::from_fn(n, n, |i, j| 2.0 * k2[(i, j)]);
    let diff = (&k - &twice).norm_l2();
    assert!(diff <= 1e-13 * k.norm_l2(), "difference {diff}");
}

/// Arora et al.'s recursion transcribed literally (Lambda matrices, arccos of the normalised
/// covariance), as an independent reference for well-separated points.
fn literal_recursion(x: &[f64], y: &[f64], depth: usize) -> f64 {
    use std::f64::consts::PI;
    let dot = |a: &[f64], b: &[f64]| a.iter().zip(b).map(|(p, q)| p * q).sum::<f64>();
    let (mut sxx, mut syy, mut sxy) = (dot(x, x), dot(y, y), dot(x, y));
    let mut ntk = sxy;
    for _ in 0..depth {
        let cos = (sxy / (sxx * syy).sqrt()).clamp(-1.0, 1.0);
        let t = cos.acos();
        // 2 E[relu(u) relu(v)] and 2 E[1(u>0) 1(v>0)] for (u, v) ~ N(0, Lambda).
        let sigma = (sxx * syy).sqrt() * ((1.0 - cos * cos).sqrt() + (PI - t) * cos) / PI;
        let derivative = (PI - t) / PI;
        ntk = ntk * derivative + sigma;
        // 2 E[relu(u)^2] = Lambda_11.
        (sxx, syy, sxy) = (sxx, syy, sigma);
    }
    ntk
}

#[test]
fn infinite_ntk_matches_the_literal_recursion() {
    let (n, d) = (12, 6);
    for depth in 1..=4 {
        let x = gaussian_matrix(n, d, &SeedPath::new(depth as u64, "test", "x", 0));
        let k = infinite_ntk(x.as_ref(), depth).unwrap();
        // Off the diagonal only: there arccos(1 - eps) ~ 1e-8 spoils the literal reference,
        // and the diagonal is tested exactly ((L + 1) |x|^2) elsewhere.
        for i in 0..n {
            for j in (0..n).filter(|&j| j != i) {
                let reference = literal_recursion(&row(&x, i), &row(&x, j), depth);
                assert!(
                    (k[(i, j)] - reference).abs() <= 1e-12 * k[(i, i)].max(k[(j, j)]),
                    "depth {depth}, ({i}, {j}): {} vs {reference}",
                    k[(i, j)]
                );
            }
        }
    }
}

/// At angle t = 1e-9 the depth-1 NTK is cos t (pi - t)/pi + (sin t + (pi - t) cos t)/pi, which
/// depends on t at the 1e-10 level; arccos of the cosine would return t = 0 and lose it.
#[test]
fn nearly_parallel_points_keep_their_angle() {
    use std::f64::consts::PI;
    let t: f64 = 1e-9;
    let x = Mat::from_fn(2, 2, |i, j| match (i, j) {
        (0, 0) => 1.0,
        (0, 1) => 0.0,
        (1, 0) => t.cos(),
        _ => t.sin(),
    });
    let k = infinite_ntk(x.as_ref(), 1).unwrap();
    let expected = t.cos() * (PI - t) / PI + (t.sin() + (PI - t) * t.cos()) / PI;
    assert!(
        (k[(0, 1)] - expected).abs() <= 4.0 * f64::EPSILON,
        "{} vs {expected}",
        k[(0, 1)]
    );
    assert!((2.0 - k[(0, 1)]) > 1e-10, "the angle was lost");
}

#[test]
fn zero_rows_and_bad_data_are_errors() {
    let mut x = Mat::<f64>::zeros(3, 2);
    x[(0, 0)] = 1.0;
    x[(2, 1)] = 1.0;
    assert_eq!(
        infinite_ntk(x.as_ref(), 2).unwrap_err(),
        DeepError::ZeroRow { row: 1 }
    );
    x[(1, 0)] = f64::NAN;
    assert!(matches!(
        infinite_ntk(x.as_ref(), 2),
        Err(DeepError::Data(_))
    ));
    let deep = net(Parametrisation::Ntk, 3, 4, 2, 0);
    assert!(matches!(
        empirical_ntk(&deep, x.as_ref(), Trained::All, Par::Seq),
        Err(DeepError::Data(_))
    ));
    let one = net(Parametrisation::Standard, 2, 4, 1, 0);
    let ok = Mat::from_fn(2, 2, |i, j| (i + j) as f64 + 1.0);
    assert_eq!(
        empirical_ntk(&one, ok.as_ref(), Trained::Hidden, Par::Seq).unwrap_err(),
        DeepError::NothingTrained
    );
}

/// The empirical NTK converges to the recursion with a Frobenius error of order m^-1/2 (a sum
/// of m nearly independent terms per layer): the least-squares slope of log(relative error)
/// against log m over 6 widths x 10 seeds must lie within 0.15 of -1/2 (about 4 standard
/// errors of such a fit), and its +-3 SE interval must contain -1/2.
#[test]
fn empirical_ntk_converges_to_the_recursion_like_inverse_sqrt_width() {
    for depth in [2, 3] {
        let (n, d) = (6, 5);
        let x = gaussian_matrix(n, d, &SeedPath::new(depth as u64, "test", "x", 0));
        let limit = infinite_ntk(x.as_ref(), depth).unwrap();
        let mut points = Vec::new();
        for m in [64, 128, 256, 512, 1024, 2048] {
            for seed in 0..10 {
                let deep = DeepReluNet::init(
                    Parametrisation::Ntk,
                    d,
                    m,
                    depth,
                    &SeedPath::new(seed, "test", &format!("m={m},L={depth}"), 0),
                )
                .unwrap();
                let k = empirical_ntk(&deep, x.as_ref(), Trained::All, Par::Seq).unwrap();
                let error = (&k - &limit).norm_l2() / limit.norm_l2();
                assert!(error.is_finite() && error > 0.0);
                points.push(((m as f64).ln(), error.ln()));
            }
        }
        let (slope, se) = slope_with_standard_error(&points);
        eprintln!("depth {depth}: fitted slope {slope:.3} +- {se:.3} (1 SE)");
        assert!(
            (slope + 0.5).abs() <= 0.15 && (slope + 0.5).abs() <= 3.0 * se,
            "depth {depth}: slope {slope} +- {se}"
        );
    }
}

/// Least-squares slope of y on x and its standard error.
fn slope_with_standard_error(points: &[(f64, f64)]) -> (f64, f64) {
    let n = points.len() as f64;
    let mx = points.iter().map(|p| p.0).sum::<f64>() / n;
    let my = points.iter().map(|p| p.1).sum::<f64>() / n;
    let sxx: f64 = points.iter().map(|p| (p.0 - mx).powi(2)).sum();
    let sxy: f64 = points.iter().map(|p| (p.0 - mx) * (p.1 - my)).sum();
    let slope = sxy / sxx;
    let rss: f64 = points
        .iter()
        .map(|p| (p.1 - my - slope * (p.0 - mx)).powi(2))
        .sum();
    (slope, (rss / (n - 2.0) / sxx).sqrt())
}
