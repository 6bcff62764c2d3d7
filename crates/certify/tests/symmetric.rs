//! The symmetry-reduced route: its enclosures against the floating-point kernel, its blocks
//! against the dense Hessian's spectrum, its verdicts against the dense route's, and d = 200.

use overparam_certify::enclosure::{Model, interval, point};
use overparam_certify::reduced::{TypeABox, orbit};
use overparam_certify::symmetric::{block_enclosures, components};
use overparam_certify::{Formula, Options, Route, Verdict, certify_route};
use overparam_kernel::type_a::{TypeA, solve_type_a};
use overparam_kernel::{LossGradient, PopulationLoss, TwoLayerNet};
use overparam_linalg::{Mat, Par, sym_eigen, sym_eigenvalues};

fn table(d: usize) -> TypeA {
    let p = match d {
        5 => [0.96160683, -0.07908255, 0.37606505, 0.28754993, -0.55977841],
        6 => [0.98670382, -0.05041340, 0.30801099, 0.22451581, -0.60151192],
        7 => [0.99692280, -0.03508016, 0.26169108, 0.18599105, -0.63270390],
        8 => [1.00143425, -0.02588363, 0.22808902, 0.15981604, -0.65825626],
        10 => [1.00435482, -0.01581193, 0.18236776, 0.12604236, -0.69903682],
        12 => [1.00467906, -0.01067771, 0.15249275, 0.10480931, -0.73073639],
        20 => [1.00300375, -0.00365514, 0.09318741, 0.06371471, -0.81002058],
        _ => panic!("no table row for d = {d}"),
    };
    TypeA::from_array(p)
}

/// The type-A minimum at any d >= 6, by the kernel's reduced Newton from the nearest row.
fn type_a_minimum(d: usize) -> TypeA {
    let start = match d {
        6..=8 | 10 | 12 | 20 => return table(d),
        _ => table(20),
    };
    // continuation in d keeps Newton in the basin
    let mut p = start;
    let mut dd = 20;
    while dd < d {
        dd = (dd * 2).min(d);
        p = solve_type_a(dd, p, 1e-12, 100)
            .expect("reduced Newton converges")
            .point;
    }
    p
}

const GENERIC: TypeA = TypeA {
    a: 0.93,
    b: -0.041,
    c: 0.27,
    e: 0.19,
    f: -0.58,
};

#[test]
fn reduced_loss_and_gradient_enclose_the_kernel_and_the_dense_enclosure() {
    for d in [5, 6, 9, 13] {
        let net = GENERIC.network(d);
        let loss = PopulationLoss::new(TwoLayerNet::identity(d));
        let mut g = LossGradient::new(d, d);
        loss.evaluate(&net, &mut g).unwrap();
        let mut r = [0.0; 5];
        for i in 0..d {
            for j in 0..d {
                r[orbit(d, i, j)] += g.grad_w[i * d + j];
            }
        }
        let p = GENERIC.to_array().map(point);
        let b = TypeABox::new(d, p);
        let l = b.loss();
        let scale = 1e-13 * d as f64 * d as f64;
        assert!(
            l.inf() - scale <= g.loss && g.loss <= l.sup() + scale,
            "{d}: {l:?} {}",
            g.loss
        );
        assert!(l.wid() < 1e-13 * d as f64, "{d}: width {}", l.wid());
        // the grouped (cancellation-free) and the direct forms enclose the same number
        assert!(
            !b.loss_grouped().intersection(b.loss_direct()).is_empty(),
            "{d}"
        );
        // against the dense interval model (the same function, evaluated entry by entry)
        let model = Model::new(d, d, TwoLayerNet::identity(d).w());
        let x: Vec<_> = net.w().iter().map(|&v| point(v)).collect();
        let dense = model.loss(&x);
        assert!(!l.intersection(dense).is_empty(), "{d}: {l:?} vs {dense:?}");
        let rg = b.reduced_gradient();
        for k in 0..5 {
            let tol = 1e-12 * (d * d) as f64;
            assert!(
                rg[k].inf() - tol <= r[k] && r[k] <= rg[k].sup() + tol,
                "{d} {k}: {:?} vs {}",
                rg[k],
                r[k]
            );
        }
        let dg = model.gradient(&x);
        for (k, rk) in rg.iter().enumerate() {
            let sum = (0..d * d)
                .filter(|&idx| orbit(d, idx / d, idx % d) == k)
                .fold(point(0.0), |acc, idx| acc + dg[idx]);
            assert!(!sum.intersection(*rk).is_empty(), "{d} {k}");
        }
    }
}

#[test]
fn enclosures_shrink_with_the_box_and_contain_sampled_points() {
    let d = 9;
    let c = GENERIC.to_array();
    let mut last = f64::INFINITY;
    for radius in [1e-3, 1e-5, 1e-7] {
        let x = c.map(|v| point(v) + interval(-radius, radius));
        let l = TypeABox::new(d, x).loss();
        assert!(l.wid() < last);
        last = l.wid();
        let loss = PopulationLoss::new(TwoLayerNet::identity(d));
        for s in [-1.0, -0.3, 0.5, 1.0] {
            let q = TypeA::from_array(c.map(|v| v + s * radius));
            let f = loss.loss(&q.network(d)).unwrap();
            assert!(l.inf() - 1e-12 <= f && f <= l.sup() + 1e-12);
        }
    }
}

/// The blocks' eigenvalues with multiplicities are the dense Hessian's, d = 6..12, at a point
/// that is not critical (the decomposition needs only the symmetry).
#[test]
fn blocks_have_the_dense_spectrum() {
    for d in 6..=12 {
        let comps = components(d);
        let total: usize = comps.iter().map(|c| c.multiplicity * c.vectors.len()).sum();
        assert_eq!(total, d * d);
        let h = TypeABox::new(d, GENERIC.to_array().map(point))
            .hessian()
            .unwrap();
        let (blocks, _) = block_enclosures(&h, d);
        let mut ours = Vec::new();
        for b in &blocks {
            let m = b.size;
            let mid = Mat::from_fn(m, m, |r, c| b.block[r * m + c].mid());
            let w = b.block.iter().fold(0.0f64, |acc, x| acc.max(x.wid()));
            assert!(w < 1e-12, "{d} {}: width {w}", b.name);
            for v in sym_eigen(mid.as_ref(), Par::Seq).unwrap().values {
                ours.extend(std::iter::repeat_n(v, b.multiplicity));
            }
        }
        ours.sort_by(f64::total_cmp);
        let loss = PopulationLoss::new(TwoLayerNet::identity(d));
        let dense = loss.hessian_w(&GENERIC.network(d)).unwrap();
        let exact = sym_eigenvalues(dense.as_ref(), Par::Seq).unwrap().values;
        assert_eq!(ours.len(), exact.len());
        for (a, b) in ours.iter().zip(&exact) {
            assert!((a - b).abs() < 1e-10, "d = {d}: {a} vs {b}");
        }
    }
}

fn coprime(d: usize) -> usize {
    let gcd = |mut a: usize, mut b: usize| {
        while b != 0 {
            (a, b) = (b, a % b);
        }
        a
    };
    (3..).find(|&m| gcd(m, d) == 1).unwrap()
}

/// A row/column permutation of W (students and coordinates shuffled independently).
fn permuted(
    net: &TwoLayerNet,
    shift_rows: usize,
    shift_cols: usize,
    digits: Option<usize>,
) -> TwoLayerNet {
    let d = net.dim();
    let k = net.width();
    let mut w = vec![0.0; k * d];
    for i in 0..k {
        for r in 0..d {
            let v = net.w()[i * d + r];
            let v = match digits {
                Some(p) => format!("{v:.p$e}").parse().unwrap(),
                None => v,
            };
            w[((k - 1 - i + shift_rows) % k) * d + (r * coprime(d) + shift_cols) % d] = v;
        }
    }
    TwoLayerNet::from_flat(d, vec![1.0; k], w).unwrap()
}

#[test]
fn symmetric_and_dense_agree_at_d8_d10_d12() {
    for d in [8, 10, 12] {
        // 8 significant digits, rows and columns permuted
        let s = permuted(&table(d).network(d), 3, 1, Some(7));
        let i = TwoLayerNet::identity(d);
        let sym = certify_route(&s, &i, Options::default(), Route::Symmetric).unwrap();
        let dense = certify_route(&s, &i, Options::default(), Route::Dense).unwrap();
        eprintln!(
            "d={d} sym {:?} {:?} {:?} {:.3}s | dense {:?} {:?} {:?} {:.3}s",
            sym.verdict,
            sym.lambda_min_lower,
            sym.loss,
            sym.seconds,
            dense.verdict,
            dense.lambda_min_lower,
            dense.loss,
            dense.seconds
        );
        assert_eq!(sym.verdict, Verdict::Minimum, "{}", sym.method);
        assert_eq!(dense.verdict, Verdict::Minimum);
        assert!(sym.method.starts_with("symmetry-reduced"));
        let (sl, dl) = (
            sym.lambda_min_lower.unwrap(),
            dense.lambda_min_lower.unwrap(),
        );
        // each bound is below the other route's floating-point estimate
        assert!(sl <= dense.lambda_min_estimate.unwrap() && dl <= sym.lambda_min_estimate.unwrap());
        // the dense bound loses the Weyl term of a (k d)-dimensional box, the blocks less
        assert!((sl - dl).abs() < 1e-2 * sl.abs(), "{sl} vs {dl}");
        let (a, b) = (sym.loss.unwrap(), dense.loss.unwrap());
        assert!(a.0 <= b.1 && b.0 <= a.1, "loss enclosures disjoint");
        assert!(a.0 > 0.0);
        // the refined points agree entrywise
        let gap = sym
            .point
            .iter()
            .zip(&dense.point)
            .fold(0.0f64, |m, (x, y)| m.max((x - y).abs()));
        assert!(gap < 1e-10, "{gap}");
    }
}

#[test]
fn d5_is_a_saddle_and_the_wrong_formula_fails() {
    let i5 = TwoLayerNet::identity(5);
    let c = certify_route(
        &table(5).network(5),
        &i5,
        Options::default(),
        Route::Symmetric,
    )
    .unwrap();
    assert_eq!(c.verdict, Verdict::Saddle, "{:?}", c.verdict);
    assert!(c.rayleigh_upper.unwrap() < 0.0);
    let i8 = TwoLayerNet::identity(8);
    let wrong = Options {
        formula: Formula::WrongCrossBlock,
        ..Options::default()
    };
    let c = certify_route(&table(8).network(8), &i8, wrong, Route::Symmetric).unwrap();
    match &c.verdict {
        Verdict::NotCertified(why) => assert!(why.contains("Krawczyk"), "{why}"),
        v => panic!("{v:?}"),
    }
}

#[test]
fn perturbed_and_asymmetric_points() {
    let d = 8;
    let i = TwoLayerNet::identity(d);
    // a perturbation that keeps the symmetry but is not critical: refused by the move rule
    let mut p = table(d);
    p.b += 1e-3;
    let c = certify_route(&p.network(d), &i, Options::default(), Route::Symmetric).unwrap();
    match &c.verdict {
        Verdict::NotCertified(why) => assert!(why.contains("not a critical point"), "{why}"),
        v => panic!("{v:?}"),
    }
    // one entry moved: no symmetry, the symmetric route refuses and Auto goes dense
    let mut s = table(d).network(d);
    s.w_mut()[2 * d + 4] += 1e-3;
    let e = certify_route(&s, &i, Options::default(), Route::Symmetric).unwrap_err();
    assert!(e.starts_with("no symmetry found"), "{e}");
    let c = certify_route(&s, &i, Options::default(), Route::Auto).unwrap();
    assert!(
        c.method.starts_with("dense (no symmetry found"),
        "{}",
        c.method
    );
    assert!(!c.verdict.is_certified());
}

#[test]
fn d200_is_certified_by_symmetry() {
    for d in [50, 200] {
        let p = type_a_minimum(d);
        let s = permuted(&p.network(d), 11, 3, Some(7));
        let t0 = std::time::Instant::now();
        let c = certify_route(
            &s,
            &TwoLayerNet::identity(d),
            Options::default(),
            Route::Auto,
        )
        .unwrap();
        eprintln!(
            "d={d} {:?} r={:?} loss={:?} lmin>={:?} est={:?} contr={:?} {:.3}s ({})",
            c.verdict,
            c.radius,
            c.loss,
            c.lambda_min_lower,
            c.lambda_min_estimate,
            c.contraction,
            t0.elapsed().as_secs_f64(),
            c.method
        );
        assert_eq!(c.verdict, Verdict::Minimum);
        assert!(c.spurious());
        assert!(c.method.starts_with("symmetry-reduced"));
    }
}

/// At d = 100 the reduced loss enclosure meets the dense interval model's (entry by entry,
/// O(k^2 d)): the same function by two computations. (The f64 kernel's loss is off by more
/// than the enclosures' widths here: its sum of d^2 terms of size ~1/(2 pi) cancels to 1e-3.)
#[test]
fn reduced_loss_meets_the_dense_enclosure_at_d100() {
    let d = 100;
    let p = type_a_minimum(d);
    let b = TypeABox::new(d, p.to_array().map(point));
    let l = b.loss();
    let model = Model::new(d, d, TwoLayerNet::identity(d).w());
    let x: Vec<_> = p.network(d).w().iter().map(|&v| point(v)).collect();
    let dense = model.loss(&x);
    let f = PopulationLoss::new(TwoLayerNet::identity(d))
        .loss(&p.network(d))
        .unwrap();
    eprintln!("reduced {l:?} dense {dense:?} float {f:e}");
    assert!(!l.intersection(dense).is_empty(), "{l:?} vs {dense:?}");
    assert!(!b.loss_grouped().intersection(b.loss_direct()).is_empty());
    // the grouped form is tight where the direct sum of d^2 kernels is not
    assert!(l.wid() < 1e-13, "width {}", l.wid());
}
