//! The interval kernel against the floating-point kernel (`overparam_kernel`), and the
//! certificate's own guarantees.

use overparam_certify::enclosure::{I, Model, interval, point};
use overparam_certify::krawczyk::make_box;
use overparam_certify::{Formula, Options, Verdict, certify, loss_enclosure};
use overparam_kernel::type_a::{TypeA, solve_type_a};
use overparam_kernel::{LossGradient, PopulationLoss, TwoLayerNet};
use proptest::prelude::*;

const D6: [f64; 5] = [0.98670382, -0.05041340, 0.30801099, 0.22451581, -0.60151192];

fn float_parts(w: &[f64], k: usize, d: usize, teacher: &[f64]) -> (f64, Vec<f64>, Vec<f64>) {
    let net = TwoLayerNet::from_flat(d, vec![1.0; k], w.to_vec()).unwrap();
    let t = TwoLayerNet::from_flat(d, vec![1.0; teacher.len() / d], teacher.to_vec()).unwrap();
    let loss = PopulationLoss::new(t);
    let mut g = LossGradient::new(k, d);
    loss.evaluate(&net, &mut g).unwrap();
    let h = loss.hessian_w(&net).unwrap();
    let n = k * d;
    let hv = (0..n * n).map(|i| h[(i / n, i % n)]).collect();
    (g.loss, g.grad_w.clone(), hv)
}

fn contains(x: I, v: f64) -> bool {
    x.contains(v)
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 24, ..ProptestConfig::default() })]

    /// The floating-point kernel's loss, gradient and Hessian at points of a box lie inside the
    /// interval enclosures over the box (a box of radius 1e-7 is far wider than the f64
    /// rounding, so containment is a test of the formulas, not of luck).
    #[test]
    fn float_values_lie_inside_the_enclosures(
        k in 2usize..4, m in 1usize..4, d in 2usize..5,
        seed in prop::collection::vec(-1.0f64..1.0, 64),
        corner in prop::collection::vec(-1.0f64..1.0, 32),
    ) {
        let w: Vec<f64> = (0..k * d).map(|i| seed[i] + if i % (d + 1) == 0 { 1.5 } else { 0.0 }).collect();
        let v: Vec<f64> = (0..m * d).map(|i| seed[32 + i]).collect();
        let model = Model::new(k, d, &v);
        let r = 1e-7;
        let x = make_box(&w, r);
        prop_assume!(model.smoothness(&x).is_ok());
        let (l, g, h) = (model.loss(&x), model.gradient(&x), model.hessian(&x).unwrap());
        // the centre and one point inside the box
        let inner: Vec<f64> = w.iter().zip(&corner).map(|(c, s)| c + 0.9 * r * s).collect();
        for p in [w.clone(), inner] {
            let (fl, fg, fh) = float_parts(&p, k, d, &v);
            prop_assert!(contains(l, fl), "loss {fl} outside {l}");
            for (e, f) in g.iter().zip(&fg) { prop_assert!(contains(*e, *f), "grad {f} outside {e}"); }
            for (e, f) in h.iter().zip(&fh) { prop_assert!(contains(*e, *f), "hess {f} outside {e}"); }
        }
    }

    /// Widths shrink in proportion to the box (first-order in r), down to rounding level.
    #[test]
    fn widths_shrink_with_the_box(seed in prop::collection::vec(-0.5f64..0.5, 16)) {
        let (k, d) = (3, 3);
        let w: Vec<f64> = (0..9).map(|i| seed[i] + if i % 4 == 0 { 1.0 } else { 0.0 }).collect();
        let model = Model::new(k, d, &[1.0, 0.0, 0.0, 0.0, 1.0, 0.0, 0.0, 0.0, 1.0]);
        let width = |r: f64| {
            let x = make_box(&w, r);
            let l = model.loss(&x).wid();
            let g = model.gradient(&x).iter().map(|e| e.wid()).fold(0.0, f64::max);
            let h = model.hessian(&x).map(|h| h.iter().map(|e| e.wid()).fold(0.0, f64::max));
            (l, g, h.unwrap_or(f64::NAN))
        };
        let (a, b, c) = (width(1e-4), width(1e-6), width(1e-8));
        prop_assume!(a.2.is_finite() && b.2.is_finite() && c.2.is_finite());
        for (big, small) in [(a, b), (b, c)] {
            prop_assert!(small.0 < big.0 * 0.05 && small.1 < big.1 * 0.05 && small.2 < big.2 * 0.05,
                "{big:?} -> {small:?}");
        }
    }
}

/// Directed rounding is real: the naive floating-point "interval" [fl(a + b), fl(a + b)] misses
/// the exact sum of 0.1 and 0.2 (as doubles), inari's enclosure contains it. The exact sum is
/// s + e by the error-free TwoSum transformation.
#[test]
fn naive_rounding_misses_what_the_interval_holds() {
    let (a, b) = (0.1f64, 0.2f64);
    let s = a + b;
    let bb = s - a;
    let e = (a - (s - bb)) + (b - bb);
    assert!(e != 0.0, "0.1 + 0.2 is inexact");
    // naive: the one number s; the exact value s + e differs from it.
    let enclosure = point(a) + point(b);
    assert!(enclosure.inf() < s || enclosure.sup() > s);
    // s + e lies inside: compare the gaps exactly (both below one ulp).
    if e < 0.0 {
        assert!(enclosure.inf() < s && (s - enclosure.inf()) + e > 0.0);
    } else {
        assert!(enclosure.sup() > s && (enclosure.sup() - s) - e > 0.0);
    }
    // And in the kernel: acos(1 - 2^-40) = 2^-19.5 (1 + ...) is enclosed by MPFR, and the
    // interval contains pi - acos(-x) (the same number by an identity f64 does not keep).
    let x = 1.0 - 2f64.powi(-40);
    let lhs = point(x).acos();
    let rhs = I::PI - (-point(x)).acos();
    assert!(!lhs.disjoint(rhs));
    assert!(lhs.wid() < 1e-20 && lhs.inf() > 0.0);
}

fn type_a_certificate(formula: Formula) -> overparam_certify::Certificate {
    let d = 6;
    certify(
        &TypeA::from_array(D6).network(d),
        &TwoLayerNet::identity(d),
        Options {
            formula,
            ..Options::default()
        },
    )
}

/// The certified box contains the reduced Newton solution of `overparam_kernel::type_a` (an
/// independent code path), and the loss enclosure contains the floating-point loss there.
#[test]
fn certified_box_contains_the_newton_solution() {
    let d = 6;
    let cert = type_a_certificate(Formula::Exact);
    assert_eq!(cert.verdict, Verdict::Minimum);
    let r = cert.radius.unwrap();
    let sol = solve_type_a(d, TypeA::from_array(D6), 1e-13, 50).unwrap();
    let w = sol.point.network(d);
    for (c, x) in cert.point.iter().zip(w.w()) {
        assert!((c - x).abs() <= r, "{c} vs {x}, radius {r}");
    }
    let (lo, hi) = cert.loss.unwrap();
    assert!(
        lo <= sol.loss + 1e-15 && sol.loss - 1e-15 <= hi,
        "{lo} {hi} {}",
        sol.loss
    );
    assert!(cert.spurious());
    // the mean-value enclosure is the tighter of the two
    let model = Model::new(d, d, TwoLayerNet::identity(d).w());
    let x = make_box(&cert.point, r);
    assert!(loss_enclosure(&model, &cert.point, &x).wid() <= model.loss(&x).wid());
}

/// A deliberately wrong interval Hessian makes certification fail (Krawczyk), not pass.
#[test]
fn wrong_hessian_formula_fails_certification() {
    let cert = type_a_certificate(Formula::WrongCrossBlock);
    match &cert.verdict {
        Verdict::NotCertified(why) => assert!(why.contains("Krawczyk"), "{why}"),
        v => panic!("a wrong Hessian was certified: {v:?}"),
    }
}

/// A box around exactly parallel rows is refused with the pair named.
#[test]
fn parallel_rows_are_refused() {
    let model = Model::new(2, 2, &[1.0, 0.0, 0.0, 1.0]);
    let x = make_box(&[1.0, 1.0, 2.0, 2.0], 1e-9);
    let e = model.smoothness(&x).unwrap_err().to_string();
    assert!(
        e.contains("student row 0 and student row 1 are parallel"),
        "{e}"
    );
    let x = make_box(&[1.0, 1.0, -0.5, -0.5], 1e-9);
    let e = model.smoothness(&x).unwrap_err().to_string();
    assert!(e.contains("antiparallel"), "{e}");
    let x: Vec<I> = vec![interval(-1e-9, 1e-9), point(0.0), point(1.0), point(2.0)];
    assert!(
        model
            .smoothness(&x)
            .unwrap_err()
            .to_string()
            .contains("row 0 is zero")
    );
}
