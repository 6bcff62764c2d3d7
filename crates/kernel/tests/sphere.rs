//! Property tests of the sphere module: Gauss–Jacobi exactness for polynomial kernels, closed
//! forms against quadrature, the parity zeros, sum_k N(d, k) mu_k = kappa(1), and the spectrum
//! of the Gram matrix of seeded uniform points.

// Index loops over (degree, degree) pairs read as the formulas they check.
#![allow(clippy::needless_range_loop)]

use overparam_kernel::SeedPath;
use overparam_kernel::sphere::closed_form::{closed_form_eigenvalues, sphere_area_ratio};
use overparam_kernel::sphere::funk_hecke::{eigenvalues_at_order, quadrature_eigenvalues};
use overparam_kernel::sphere::{DotProductKernel, gegenbauer_normalised, harmonic_dimension};
use overparam_linalg::{Mat, Par, cluster_eigenvalues, gauss_jacobi, sym_eigenvalues};
use rand_distr::{Distribution, StandardNormal};

const ONE_LAYER: [DotProductKernel; 4] = [
    DotProductKernel::ArcCos0,
    DotProductKernel::ArcCos1,
    DotProductKernel::ReluNtk { depth: 1 },
    DotProductKernel::ReluNngp { depth: 1 },
];

/// N(d, k) against the binomial definition C(d+k-1, k) - C(d+k-3, k-2) in f64 for small cases,
/// and the known 2k + 1 (d = 3), 2 (d = 2), (k+1)^2 (d = 4).
#[test]
fn harmonic_dimensions_match_the_definition() {
    fn binom(n: i64, r: i64) -> f64 {
        if r < 0 || n < r {
            return 0.0;
        }
        (0..r).fold(1.0, |acc, i| acc * (n - i) as f64 / (i + 1) as f64)
    }
    for d in 2..12usize {
        for k in 0..20usize {
            let (di, ki) = (d as i64, k as i64);
            let want = binom(di + ki - 1, ki) - binom(di + ki - 3, ki - 2);
            let got = harmonic_dimension(d, k).unwrap() as f64;
            assert!(
                (got - want).abs() <= 1e-9 * want,
                "d={d} k={k}: {got} vs {want}"
            );
        }
    }
    for k in 0..50 {
        assert_eq!(harmonic_dimension(3, k), Some(2 * k as u128 + 1));
        assert_eq!(harmonic_dimension(4, k), Some((k as u128 + 1).pow(2)));
        assert_eq!(harmonic_dimension(2, k), Some(if k == 0 { 1 } else { 2 }));
    }
    assert_eq!(harmonic_dimension(1, 3), None);
    assert_eq!(harmonic_dimension(200, 200), None, "exceeds u128");
}

/// P_k(1) = 1, Chebyshev at d = 2, Legendre at d = 3, and orthogonality under the Funk–Hecke
/// weight by an exact Gauss–Jacobi rule: E[P_j P_k] = delta_jk / N(d, k).
#[test]
fn gegenbauer_polynomials_are_orthogonal_with_the_right_norms() {
    let mut p = Vec::new();
    for d in [2usize, 3, 5, 10, 40] {
        gegenbauer_normalised(d, 30, 1.0, &mut p);
        assert!(p.iter().all(|&v| (v - 1.0).abs() < 1e-13), "d={d}");
        let rule = gauss_jacobi(40, (d as f64 - 3.0) / 2.0).unwrap();
        let k_max = 30;
        let mut gram = vec![vec![0.0; k_max + 1]; k_max + 1];
        for (&t, &w) in rule.nodes.iter().zip(&rule.weights) {
            gegenbauer_normalised(d, k_max, t, &mut p);
            for j in 0..=k_max {
                for k in 0..=k_max {
                    gram[j][k] += w * p[j] * p[k];
                }
            }
        }
        for j in 0..=k_max {
            for k in 0..=k_max {
                let want = if j == k {
                    1.0 / harmonic_dimension(d, k).unwrap() as f64
                } else {
                    0.0
                };
                assert!((gram[j][k] - want).abs() < 1e-13, "d={d} j={j} k={k}");
            }
        }
    }
    let t: f64 = 0.3;
    gegenbauer_normalised(2, 9, t, &mut p);
    assert!((p[9] - (9.0 * t.acos()).cos()).abs() < 1e-14);
    gegenbauer_normalised(3, 3, t, &mut p);
    assert!((p[3] - 0.5 * (5.0 * t.powi(3) - 3.0 * t)).abs() < 1e-15);
}

/// The angle quadrature against the t-form with an exact Gauss–Jacobi rule, for a polynomial
/// kernel kappa(t) = t^4 (exact in both, so they agree to rounding): mu_k of t^4 is zero except
/// for k = 0, 2, 4.
#[test]
fn angle_quadrature_agrees_with_exact_gauss_jacobi_on_polynomials() {
    for d in [2usize, 3, 7, 30] {
        let rule = gauss_jacobi(10, (d as f64 - 3.0) / 2.0).unwrap();
        let mut p = Vec::new();
        let mut exact = [0.0; 7];
        for (&t, &w) in rule.nodes.iter().zip(&rule.weights) {
            gegenbauer_normalised(d, 6, t, &mut p);
            for k in 0..7 {
                exact[k] += w * t.powi(4) * p[k];
            }
        }
        // sanity: sum N mu = kappa(1) = 1, finite expansion
        let sum: f64 = (0..7)
            .map(|k| harmonic_dimension(d, k).unwrap() as f64 * exact[k])
            .sum();
        assert!((sum - 1.0).abs() < 1e-13, "d={d}: {sum}");
        assert!(exact[1].abs() < 1e-15 && exact[3].abs() < 1e-15 && exact[5].abs() < 1e-15);
        // the closed-form E[t^4] = 3 / (d (d + 2))
        let df = d as f64;
        assert!((exact[0] - 3.0 / (df * (df + 2.0))).abs() < 1e-15);
    }
}

/// Closed forms (derived by Rodrigues' formula) against the angle quadrature for every
/// one-layer kernel, at dimensions and degrees spread out, and the reference numbers of
/// ../shared/papers/vempala-wilmes-2019.md (mu_k of relu(sqrt(n) t): mu_k(kappa1) = 2 mu_k^2).
#[test]
fn closed_forms_agree_with_quadrature() {
    for d in [2usize, 3, 4, 5, 10, 31, 100] {
        for kernel in ONE_LAYER {
            let k_max = 40;
            let exact = closed_form_eigenvalues(kernel, d, k_max).unwrap();
            let quad = quadrature_eigenvalues(kernel, d, k_max).unwrap();
            let mut resolved = 0;
            for k in 0..=k_max {
                let (e, q) = (exact[k].value, quad[k]);
                let scale = e.abs().max(1e-300);
                if !exact[k].structural_zero && q.error_bound <= 1e-6 * scale {
                    resolved += 1;
                    assert!(
                        (e - q.value).abs() <= 1e-6 * scale,
                        "{kernel:?} d={d} k={k}: closed {e:e} quad {:e}",
                        q.value
                    );
                }
                assert!(
                    (e - q.value).abs() <= q.error_bound.max(1e-14 * scale) * 4.0,
                    "{kernel:?} d={d} k={k}: error bound {:e} too small for {:e}",
                    q.error_bound,
                    (e - q.value).abs()
                );
            }
            // mu_k decays like k^-(d+2) at most, so the rounding floor of the quadrature hides
            // the high degrees of large d (the tool refuses those); low d resolves all 40.
            let nonzero = exact.iter().filter(|e| !e.structural_zero).count();
            let want = if d <= 3 { nonzero } else { 6 };
            assert!(
                resolved >= want,
                "{kernel:?} d={d}: {resolved} degrees resolved"
            );
        }
    }
    // Vempala–Wilmes table, n = 3 and 10: mu_k of relu(sqrt(n) t) = sqrt(n) b_k.
    for (n, row) in [
        (3usize, [0.4330, 0.2887, 0.1083, 0.0, -0.01804]),
        (10, [0.4090, 0.1581, 0.03718, 0.0, -0.00286]),
    ] {
        let exact = closed_form_eigenvalues(DotProductKernel::ArcCos1, n, 4).unwrap();
        for (k, want) in row.iter().enumerate() {
            // mu_k(kappa1) = 2 n b_k^2 = 2 (sqrt(n) b_k)^2
            let from_table = 2.0 * want * want;
            assert!(
                (exact[k].value - from_table).abs() <= 2e-3 * from_table.max(1e-12),
                "n={n} k={k}: {} vs {from_table}",
                exact[k].value
            );
        }
    }
    assert!((sphere_area_ratio(3) - 0.5).abs() < 1e-16);
    assert!((sphere_area_ratio(2) - 1.0 / std::f64::consts::PI).abs() < 1e-16);
}

/// n seeded uniform points on S^(d-1) (normalised Gaussians), rows of an n x d vector.
fn uniform_points(n: usize, d: usize, replicate: u64) -> Vec<Vec<f64>> {
    let mut rng = SeedPath::new(0, "kernel-tests/sphere", "points", replicate).rng();
    (0..n)
        .map(|_| {
            let v: Vec<f64> = (0..d).map(|_| StandardNormal.sample(&mut rng)).collect();
            let norm = v.iter().map(|x| x * x).sum::<f64>().sqrt();
            v.into_iter().map(|x| x / norm).collect()
        })
        .collect()
}

/// Descending eigenvalues of the Gram matrix kappa(x_i . x_j) / n, with the eigensolver's
/// invariants checked.
fn gram_spectrum(kernel: DotProductKernel, points: &[Vec<f64>]) -> Vec<f64> {
    let n = points.len();
    let gram = Mat::<f64>::from_fn(n, n, |i, j| {
        let t: f64 = points[i].iter().zip(&points[j]).map(|(a, b)| a * b).sum();
        kernel.at_cosine(t) / n as f64
    });
    let eig = sym_eigenvalues(gram.as_ref(), Par::Seq).unwrap();
    assert!(eig.trace_error < 1e-12 && eig.frobenius_error < 1e-12);
    let mut values = eig.values;
    values.sort_by(|a, b| b.total_cmp(a));
    values
}

/// The top of the spectrum of kappa(x_i . x_j) / n for 1200 seeded uniform points on S^2
/// clusters (log-gap clustering of overparam-linalg) into exactly the multiplicities N(3, k) =
/// 2k + 1 of the degrees in decreasing order of mu_k, each cluster mean within 5% of mu_k (the
/// deviations measured here are below 2%; the Monte Carlo error of a cluster mean is O(n^-1/2)).
/// The depth-2 NTK uses the quadrature eigenvalues, the one-layer kernels the closed forms.
#[test]
fn gram_spectrum_of_uniform_points_clusters_at_funk_hecke_eigenvalues() {
    let d = 3;
    let points = uniform_points(1200, d, 0);
    for (kernel, degrees) in [
        (
            DotProductKernel::ReluNtk { depth: 1 },
            vec![0usize, 1, 2, 4],
        ),
        (DotProductKernel::ArcCos0, vec![0, 1, 3]),
        (DotProductKernel::ReluNtk { depth: 2 }, vec![0, 1, 2, 3, 4]),
    ] {
        let mu: Vec<f64> = quadrature_eigenvalues(kernel, d, 8)
            .unwrap()
            .iter()
            .map(|q| q.value)
            .collect();
        let mut predicted: Vec<(f64, usize)> = degrees
            .iter()
            .map(|&k| (mu[k], harmonic_dimension(d, k).unwrap() as usize))
            .collect();
        predicted.sort_by(|a, b| b.0.total_cmp(&a.0));
        let top: usize = predicted.iter().map(|p| p.1).sum();
        let spectrum = gram_spectrum(kernel, &points);
        // the next eigenvalue belongs to a smaller cluster: a clear gap after the top
        assert!(spectrum[top] < 0.8 * spectrum[top - 1], "{kernel:?}");
        // ln(lambda) / 100 lies in (-1, 0), where the clustering tolerance is absolute: a new
        // cluster starts at a ratio above e^0.25 between neighbours (within a cluster the
        // ratios are below e^0.08 here, between clusters above e^0.45).
        let logs: Vec<f64> = spectrum[..top].iter().map(|v| v.ln() / 100.0).collect();
        let clusters = cluster_eigenvalues(&logs, 0.25 / 100.0);
        let got: Vec<usize> = clusters.iter().rev().map(|c| c.multiplicity).collect();
        let want: Vec<usize> = predicted.iter().map(|p| p.1).collect();
        assert_eq!(got, want, "{kernel:?}");
        let mut start = 0;
        for &(value, multiplicity) in &predicted {
            let members = &spectrum[start..start + multiplicity];
            let mean = members.iter().sum::<f64>() / multiplicity as f64;
            assert!(
                (mean / value - 1.0).abs() < 0.05,
                "{kernel:?}: cluster mean {mean} vs mu {value}"
            );
            start += multiplicity;
        }
    }
}

/// sum_k N(d, k) mu_k = kappa(1) (Mercer on the diagonal). The terms are non-negative and decay
/// at least like k^-2, so the partial sum S_K must sit in [kappa(1) - K t_K, kappa(1)], t_K the
/// last non-zero term; and the quadrature at depth 2 and 3 the same with K = 300.
#[test]
fn multiplicity_weighted_eigenvalues_sum_to_the_diagonal() {
    let check = |kernel: DotProductKernel, d: usize, values: &[f64]| {
        let terms: Vec<f64> = values
            .iter()
            .enumerate()
            .map(|(k, &mu)| harmonic_dimension(d, k).unwrap() as f64 * mu)
            .collect();
        assert!(terms.iter().all(|&t| t >= -1e-15), "{kernel:?} d={d}");
        let sum: f64 = terms.iter().sum();
        let last = terms.iter().rev().find(|&&t| t > 1e-300).copied().unwrap();
        let tail_bound = last * terms.len() as f64;
        let gap = kernel.at_one() - sum;
        assert!(
            gap >= -1e-12 && gap <= tail_bound,
            "{kernel:?} d={d}: kappa(1) - S_K = {gap:e}, tail bound {tail_bound:e}"
        );
        gap
    };
    for (d, k_max) in [(2usize, 20_000), (3, 20_000), (5, 20_000), (12, 2_000)] {
        for kernel in ONE_LAYER {
            let values: Vec<f64> = closed_form_eigenvalues(kernel, d, k_max)
                .unwrap()
                .iter()
                .map(|e| e.value)
                .collect();
            let gap = check(kernel, d, &values);
            assert!(gap < 2e-3 * kernel.at_one(), "{kernel:?} d={d}: {gap}");
        }
    }
    for kernel in [
        DotProductKernel::ReluNtk { depth: 2 },
        DotProductKernel::ReluNngp { depth: 2 },
        DotProductKernel::ReluNtk { depth: 3 },
    ] {
        for d in [3usize, 6] {
            let values: Vec<f64> = quadrature_eigenvalues(kernel, d, 300)
                .unwrap()
                .iter()
                .map(|q| q.value)
                .collect();
            check(kernel, d, &values);
        }
    }
}

/// The parity zeros: exact 0 (and flagged) in the closed forms, and below the error bound in
/// the quadrature, which knows nothing of parity; a deep kernel has no such zeros (mu_3 of the
/// depth-2 NTK is resolved and positive), which is why only depth 1 is flagged.
#[test]
fn parity_zeros_are_exact_for_one_layer_kernels_only() {
    for d in [2usize, 3, 7, 50] {
        for kernel in ONE_LAYER {
            let exact = closed_form_eigenvalues(kernel, d, 30).unwrap();
            let quad = quadrature_eigenvalues(kernel, d, 30).unwrap();
            for k in 0..=30 {
                let zero = match kernel {
                    DotProductKernel::ArcCos0 => k >= 2 && k % 2 == 0,
                    _ => k >= 3 && k % 2 == 1,
                };
                assert_eq!(exact[k].structural_zero, zero, "{kernel:?} d={d} k={k}");
                if zero {
                    assert_eq!(exact[k].value, 0.0);
                    assert!(
                        quad[k].value.abs() <= quad[k].error_bound,
                        "{kernel:?} {d} {k}"
                    );
                } else {
                    assert!(exact[k].value > 0.0);
                }
            }
        }
    }
    assert!(closed_form_eigenvalues(DotProductKernel::ReluNtk { depth: 2 }, 3, 5).is_none());
    let deep = quadrature_eigenvalues(DotProductKernel::ReluNtk { depth: 2 }, 3, 5).unwrap();
    assert!(deep[3].value > 1e3 * deep[3].error_bound && deep[3].value > 1e-3);
}

/// The a-posteriori bound is honest: at a deliberately low order the error against the closed
/// form is caught by |Q_m - Q_2m| (the bound of the m-point value), never silently small.
#[test]
fn two_order_difference_bounds_the_error_of_a_low_order_rule() {
    let d = 3;
    let kernel = DotProductKernel::ArcCos1;
    let exact = closed_form_eigenvalues(kernel, d, 60).unwrap();
    let low = eigenvalues_at_order(kernel, d, 60, 30).unwrap();
    let high = eigenvalues_at_order(kernel, d, 60, 60).unwrap();
    let mut caught = 0;
    for k in 0..=60 {
        let err = (low[k].0 - exact[k].value).abs();
        let estimate = (low[k].0 - high[k].0).abs();
        assert!(
            err <= 2.0 * estimate + 1e-15,
            "k={k}: error {err:e}, estimate {estimate:e}"
        );
        if err > 1e-6 * exact[k].value.abs() {
            caught += 1;
        }
    }
    assert!(
        caught > 10,
        "the low order must actually be inaccurate somewhere ({caught})"
    );
}
