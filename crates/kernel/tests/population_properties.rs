//! The population loss and gradient of `PopulationLoss::evaluate` (pair sums for all partners
//! at once, angles by the branch-free fdlibm atan, multiplications by 1 / (2 pi) and 1 / |w|)
//! against the plain pair-by-pair formulas of `arccos` (libm's `atan2`, divisions): the two
//! formulations differ only by rounding.
//!
//! Tolerance: every kernel term satisfies |kappa(w, v)| <= |w| |v| / 2 and |grad_w kappa(w, v)|
//! <= |v|, and each is computed to a relative accuracy of a few ulps in either formulation (the
//! angle within 2 ulps of libm's, the rest the same operations up to reassociation). A sum of
//! such terms then differs by at most c eps S, S the sum of the terms' bounds: for the loss
//! S = (sum_i |a_i| |w_i| + sum_j |b_j| |v_j|)^2, for the gradient in w_i |a_i| times the same
//! sum without the square, for dL/da_i |w_i| times it. The test takes c = 64 (eps = 2^-52).

use overparam_kernel::arccos::{grad_w, kernel, norm};
use overparam_kernel::{LossGradient, PopulationLoss, TwoLayerNet};
use proptest::prelude::*;

/// Loss, dL/da and dL/dW pair by pair (the reference formulation, written with indices as the
/// formulas are).
#[allow(clippy::needless_range_loop)]
fn reference(teacher: &TwoLayerNet, s: &TwoLayerNet) -> (f64, Vec<f64>, Vec<f64>) {
    let (k, m, d) = (s.width(), teacher.width(), s.dim());
    let (a, b) = (s.a(), teacher.a());
    let mut loss = 0.0;
    for j in 0..m {
        for q in 0..m {
            loss += 0.5 * b[j] * b[q] * kernel(teacher.neuron(j), teacher.neuron(q));
        }
    }
    let mut ga = vec![0.0; k];
    let mut gw = vec![0.0; k * d];
    let mut g = vec![0.0; d];
    for i in 0..k {
        let wi = s.neuron(i);
        for l in 0..k {
            let kap = kernel(wi, s.neuron(l));
            loss += 0.5 * a[i] * a[l] * kap;
            ga[i] += a[l] * kap;
            if l == i {
                // d/dw_i of 1/2 a_i^2 |w_i|^2 / 2.
                for r in 0..d {
                    gw[i * d + r] += 0.5 * a[i] * a[i] * wi[r];
                }
            } else {
                grad_w(wi, s.neuron(l), &mut g);
                for r in 0..d {
                    gw[i * d + r] += a[i] * a[l] * g[r];
                }
            }
        }
        for j in 0..m {
            let kap = kernel(wi, teacher.neuron(j));
            loss -= a[i] * b[j] * kap;
            ga[i] -= b[j] * kap;
            grad_w(wi, teacher.neuron(j), &mut g);
            for r in 0..d {
                gw[i * d + r] -= a[i] * b[j] * g[r];
            }
        }
    }
    (loss, ga, gw)
}

/// Networks with some exactly zero neurons, and neurons parallel or antiparallel to another
/// (angles 0 and pi, where the two formulations' angles are computed most differently).
fn network(k: usize, d: usize) -> impl Strategy<Value = TwoLayerNet> {
    (
        prop::collection::vec(-1.5f64..1.5, k),
        prop::collection::vec(-1.5f64..1.5, k * d),
        prop::collection::vec(0usize..6, k),
    )
        .prop_map(move |(a, mut w, kind)| {
            for i in 1..k {
                let (head, tail) = w.split_at_mut(i * d);
                let (prev, row) = (&head[(i - 1) * d..], &mut tail[..d]);
                match kind[i] {
                    0 => row.fill(0.0),
                    1 => row.iter_mut().zip(prev).for_each(|(x, p)| *x = 2.5 * p),
                    2 => row.iter_mut().zip(prev).for_each(|(x, p)| *x = -0.7 * p),
                    3 => row.iter_mut().zip(prev).for_each(|(x, p)| *x = p + 1e-9),
                    _ => {}
                }
            }
            TwoLayerNet::from_flat(d, a, w).unwrap()
        })
}

fn case() -> impl Strategy<Value = (TwoLayerNet, TwoLayerNet)> {
    (1usize..=14, 1usize..=12, 1usize..=12)
        .prop_flat_map(|(k, m, d)| (network(k, d), network(m, d)))
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(200))]

    #[test]
    fn evaluate_matches_the_pairwise_formulas_to_rounding((student, teacher) in case()) {
        let loss = PopulationLoss::new(teacher.clone());
        let mut g = LossGradient::new(student.width(), student.dim());
        loss.evaluate(&student, &mut g).unwrap();
        let (l, ga, gw) = reference(&teacher, &student);
        let d = student.dim();
        let sum = student.a().iter().enumerate().map(|(i, a)| a.abs() * norm(student.neuron(i)))
            .chain(teacher.a().iter().enumerate().map(|(j, b)| b.abs() * norm(teacher.neuron(j))))
            .sum::<f64>();
        let tol = 64.0 * f64::EPSILON;
        prop_assert!((g.loss - l).abs() <= tol * sum * sum, "loss {} vs {l}", g.loss);
        for i in 0..student.width() {
            let ni = norm(student.neuron(i));
            prop_assert!((g.grad_a[i] - ga[i]).abs() <= tol * ni * sum,
                "dL/da_{i}: {} vs {}", g.grad_a[i], ga[i]);
            let ai = student.a()[i].abs();
            for r in 0..d {
                let (x, y) = (g.grad_w[i * d + r], gw[i * d + r]);
                prop_assert!((x - y).abs() <= tol * ai * sum, "dL/dw_{i},{r}: {x} vs {y}");
            }
        }
    }
}
