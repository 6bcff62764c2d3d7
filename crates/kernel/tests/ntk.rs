//! The structured NTK Gram matrix against the definition: inner products of per-sample
//! parameter gradients (Jacobians), built entry by entry.

use overparam_kernel::{NtkError, TwoLayerNet, ntk_gram};
use overparam_linalg::{Mat, Par};
use proptest::prelude::*;

/// grad_theta f(x) for f(x) = sum_r a_r relu(w_r . x) / sqrt(m), theta = (a, W row-major).
fn jacobian(net: &TwoLayerNet, x: &[f64]) -> Vec<f64> {
    let (m, d) = (net.width(), net.dim());
    let scale = 1.0 / (m as f64).sqrt();
    let mut g = vec![0.0; m + m * d];
    for r in 0..m {
        let z: f64 = net.neuron(r).iter().zip(x).map(|(w, v)| w * v).sum();
        g[r] = z.max(0.0) * scale;
        if z > 0.0 {
            for (c, &v) in x.iter().enumerate() {
                g[m + r * d + c] = net.a()[r] * v * scale;
            }
        }
    }
    g
}

/// (network, data points) with n <= 7 points, m <= 130 neurons (across a 64-bit word boundary),
/// d <= 5. Half the cases have output weights +-c of one magnitude (the popcount path), half
/// arbitrary ones (the dense path).
fn case() -> impl Strategy<Value = (TwoLayerNet, Vec<Vec<f64>>)> {
    (
        1usize..=7,
        1usize..=130,
        1usize..=5,
        any::<bool>(),
        0.1f64..2.0,
    )
        .prop_flat_map(|(n, m, d, equal_magnitude, c)| {
            (
                prop::collection::vec(-2.0f64..2.0, m),
                prop::collection::vec(-1.0f64..1.0, m * d),
                prop::collection::vec(prop::collection::vec(-3.0f64..3.0, d), n),
            )
                .prop_map(move |(a, w, x)| {
                    let a = if equal_magnitude {
                        a.iter().map(|v| if *v >= 0.0 { c } else { -c }).collect()
                    } else {
                        a
                    };
                    (TwoLayerNet::from_flat(d, a, w).unwrap(), x)
                })
        })
}

fn data_matrix(x: &[Vec<f64>]) -> Mat<f64> {
    Mat::from_fn(x.len(), x[0].len(), |i, j| x[i][j])
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(128))]

    /// Every entry equals <J_i, J_j> to rounding, and the matrix is exactly symmetric.
    #[test]
    fn structured_gram_equals_jacobian_inner_products((net, x) in case()) {
        let k = ntk_gram(&net, data_matrix(&x).as_ref(), Par::Seq).unwrap();
        let jac: Vec<Vec<f64>> = x.iter().map(|xi| jacobian(&net, xi)).collect();
        for i in 0..x.len() {
            for j in 0..x.len() {
                let direct: f64 = jac[i].iter().zip(&jac[j]).map(|(p, q)| p * q).sum();
                // Sums of at most m (d + 1) products of magnitude <= 36 / m: the rounding scale.
                let scale: f64 = jac[i].iter().zip(&jac[j]).map(|(p, q)| (p * q).abs()).sum();
                prop_assert!(
                    (k[(i, j)] - direct).abs() <= 1e-13 * scale.max(1e-300) + 1e-300,
                    "K[{i},{j}] = {} vs {direct}", k[(i, j)]
                );
                prop_assert_eq!(k[(i, j)], k[(j, i)]);
            }
        }
    }

    /// Parallel products give the same matrix as sequential ones up to rounding.
    #[test]
    fn parallel_and_sequential_agree((net, x) in case()) {
        let xm = data_matrix(&x);
        let seq = ntk_gram(&net, xm.as_ref(), Par::Seq).unwrap();
        let par = ntk_gram(&net, xm.as_ref(), Par::rayon(2)).unwrap();
        let scale = seq.norm_l2().max(1.0);
        prop_assert!((&seq - &par).norm_l2() <= 1e-13 * scale);
    }
}

#[test]
fn wrong_dimension_and_non_finite_data_are_errors() {
    let net = TwoLayerNet::identity(3);
    let x = Mat::<f64>::zeros(4, 2);
    assert_eq!(
        ntk_gram(&net, x.as_ref(), Par::Seq).unwrap_err(),
        NtkError::Dimension {
            data: 2,
            network: 3
        }
    );
    let mut x = Mat::<f64>::zeros(4, 3);
    x[(2, 1)] = f64::NAN;
    assert_eq!(
        ntk_gram(&net, x.as_ref(), Par::Seq).unwrap_err(),
        NtkError::NonFinite { row: 2, col: 1 }
    );
}

/// Larger than faer's blocking thresholds, so the recursive triangular products and the tiled
/// mirror are exercised: one fixed case against the Jacobian definition.
#[test]
fn large_case_matches_definition() {
    let (n, m, d) = (150, 70, 9);
    let dense: Vec<f64> = (0..m)
        .map(|r| if r % 3 == 0 { -1.0 } else { 0.5 })
        .collect();
    let signs: Vec<f64> = (0..m)
        .map(|r| if r % 3 == 0 { -1.0 } else { 1.0 })
        .collect();
    for a in [dense, signs] {
        large_case(n, m, d, a);
    }
}

fn large_case(n: usize, m: usize, d: usize, a: Vec<f64>) {
    let w: Vec<f64> = (0..m * d)
        .map(|i| ((i * 7919) % 101) as f64 / 50.0 - 1.0)
        .collect();
    let net = TwoLayerNet::from_flat(d, a, w).unwrap();
    let x: Vec<Vec<f64>> = (0..n)
        .map(|i| {
            (0..d)
                .map(|c| (((i * 31 + c * 17) % 53) as f64 / 26.0 - 1.0) + 0.001 * c as f64)
                .collect()
        })
        .collect();
    let k = ntk_gram(&net, data_matrix(&x).as_ref(), Par::rayon(2)).unwrap();
    let jac: Vec<Vec<f64>> = x.iter().map(|xi| jacobian(&net, xi)).collect();
    let mut worst = 0.0f64;
    for i in 0..n {
        for j in 0..n {
            let direct: f64 = jac[i].iter().zip(&jac[j]).map(|(p, q)| p * q).sum();
            worst = worst.max((k[(i, j)] - direct).abs() / direct.abs().max(1.0));
            assert_eq!(k[(i, j)], k[(j, i)]);
        }
    }
    assert!(worst < 1e-12, "worst relative error {worst}");
}

/// K is the same matrix, bit for bit, for any thread count, on both paths (equal |a_r|: the
/// popcount product; general a: the dense one), at a size where faer splits every product
/// into many parallel blocks.
#[test]
fn gram_is_bit_identical_for_1_2_and_4_threads() {
    let (n, m, d) = (700, 640, 40);
    let value = |i: usize| ((i * 7919 + 11) % 211) as f64 / 105.0 - 1.0;
    let w: Vec<f64> = (0..m * d).map(value).collect();
    let x = Mat::<f64>::from_fn(n, d, |i, c| value(i * 37 + c * 5 + 3) / (d as f64).sqrt());
    let signs: Vec<f64> = (0..m)
        .map(|r| if value(r + 999) >= 0.0 { 1.0 } else { -1.0 })
        .collect();
    let general: Vec<f64> = (0..m).map(|r| value(r + 4242) * 1.7).collect();
    for a in [signs, general] {
        let net = TwoLayerNet::from_flat(d, a, w.clone()).unwrap();
        let seq = ntk_gram(&net, x.as_ref(), Par::Seq).unwrap();
        for threads in [2, 4] {
            let par = ntk_gram(&net, x.as_ref(), Par::rayon(threads)).unwrap();
            for j in 0..n {
                for i in 0..n {
                    assert_eq!(
                        seq[(i, j)].to_bits(),
                        par[(i, j)].to_bits(),
                        "K[{i},{j}] differs at {threads} threads"
                    );
                }
            }
        }
    }
}
