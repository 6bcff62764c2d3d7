//! The symmetry-reduced certificate of a type-A point (k = d, teacher I_d up to row order,
//! isotropy Delta(S_{d-1} x S_1) up to a permutation of rows and one of columns), at a cost
//! of O(d^2) per Hessian product instead of the dense route's (k d)^3:
//!
//! 1. **Existence and uniqueness in the fixed subspace.** The loss is invariant under the
//!    group, so its gradient is equivariant and maps the fixed subspace F = {W(p)} into itself
//!    (the principle of symmetric criticality): at W(p), grad L = sum_k r_k(p) T_k / |T_k|^2
//!    with r(p) = T^T grad L(W(p)), T_k the orbit indicators. W(p) is a critical point of L iff
//!    r(p) = 0. Krawczyk's test in 5 dimensions on P = p~ + [-r, r]^5 (r the reduced gradient
//!    of [`crate::reduced`], J(P) = T^T H(W(P)) T its Jacobian) proves that r has exactly one
//!    zero p* in P: W(p*) is a critical point of L, the only one in {W(p) : p in P}. It does
//!    NOT prove uniqueness in a full k d box around W(p*) (a critical point off F is not
//!    excluded; the dense route proves that, where it fits).
//! 2. **Definiteness.** At every W(p) the Hessian commutes with the group, so it is block
//!    diagonal on the isotypic components: trivial (5 copies), standard (N - 1, 1) (5 copies,
//!    multiplicity N - 1), (N - 2, 2) (1 copy, multiplicity N (N - 3) / 2) and (N - 2, 1, 1)
//!    (1 copy, multiplicity (N - 1)(N - 2) / 2), N = d - 1, sizes summing to d^2. With S_c the
//!    exact integer spanning vectors of a component (one irreducible's equivariant images),
//!    G_c = S_c^T S_c = L L^T (interval Cholesky) and M_c = S_c^T H S_c (interval), the block
//!    B_c = L^-1 M_c L^-T is H in an orthonormal basis of the copies, and its eigenvalues,
//!    each with the irreducible's multiplicity, are H's. Each B_c is enclosed over P and gets
//!    the dense route's Weyl + interval-Cholesky bound; the least over blocks bounds
//!    lambda_min(H(W(p))) for every p in P, in particular at W(p*): a positive bound proves a
//!    strict local minimum of L in the full k d space (second-order sufficiency at a critical
//!    point). A block whose midpoint has a negative eigenvalue gives the saddle test along its
//!    eigenvector (an enclosure of its Rayleigh quotient over P, < 0 proves a saddle).
//! 3. **Loss.** L(W(p)) over P, O(1) closed forms in p ([`crate::reduced::TypeABox::loss`]),
//!    with the mean-value form through the reduced gradient.

use std::time::Instant;

use overparam_kernel::symmetric_hessian::type_a_reduced_hessian;
use overparam_kernel::symmetry::{DetectedSymmetry, detect_symmetry, is_identity_teacher};
use overparam_kernel::type_a::TypeA;
use overparam_kernel::{LossGradient, PopulationLoss, TwoLayerNet};
use overparam_linalg::{Mat, Par, solve_dense, sym_eigen};

use crate::enclosure::{I, NonSmooth, Partner, interval, point};
use crate::reduced::{IntervalHessian, TypeABox, orbit};
use crate::{Certificate, Formula, Options, Verdict, definite};

/// One isotypic component: integer spanning vectors (d x d each) of its copies.
#[derive(Debug, Clone)]
pub struct Component {
    /// "trivial", "standard", "two-row" or "hook".
    pub name: &'static str,
    /// The irreducible representation of S_N, N = d - 1, as a partition.
    pub partition: String,
    /// Dimension of the irreducible: how often each eigenvalue of the block occurs in H.
    pub multiplicity: usize,
    pub vectors: Vec<Vec<f64>>,
}

/// The four components of M(d, d) under Delta(S_{d-1} x S_1) (d >= 5), the spanning vectors
/// of `overparam_kernel::symmetric_hessian` (not normalised: entries 0 and +-1, exact).
pub fn components(d: usize) -> Vec<Component> {
    let nn = d - 1;
    let z = d - 1;
    let matrix = |f: &dyn Fn(usize, usize) -> f64| -> Vec<f64> {
        (0..d * d).map(|idx| f(idx / d, idx % d)).collect()
    };
    let u = |i: usize| match i {
        0 => 1.0,
        1 => -1.0,
        _ => 0.0,
    };
    let trivial: Vec<Vec<f64>> = (0..5)
        .map(|k| matrix(&|i, r| f64::from(orbit(d, i, r) == k)))
        .collect();
    let standard = vec![
        matrix(&|i, r| if r != z { u(i) } else { 0.0 }),
        matrix(&|i, r| if i != z { u(r) } else { 0.0 }),
        matrix(&|i, r| if i == r { u(i) } else { 0.0 }),
        matrix(&|i, r| if r == z { u(i) } else { 0.0 }),
        matrix(&|i, r| if i == z { u(r) } else { 0.0 }),
    ];
    let pm = |i: usize, r: usize| -> f64 {
        let a = match i {
            0 => 1.0,
            1 => -1.0,
            _ => 0.0,
        };
        let b = match r {
            2 => 1.0,
            3 => -1.0,
            _ => 0.0,
        };
        a * b
    };
    let cycle = |i: usize, r: usize| f64::from(i < 3 && r == (i + 1) % 3);
    vec![
        Component {
            name: "trivial",
            partition: format!("({nn})"),
            multiplicity: 1,
            vectors: trivial,
        },
        Component {
            name: "standard",
            partition: format!("({},1)", nn - 1),
            multiplicity: nn - 1,
            vectors: standard,
        },
        Component {
            name: "two-row",
            partition: format!("({},2)", nn - 2),
            multiplicity: nn * (nn - 3) / 2,
            vectors: vec![matrix(&|i, r| pm(i, r) + pm(r, i))],
        },
        Component {
            name: "hook",
            partition: format!("({},1,1)", nn - 2),
            multiplicity: (nn - 1) * (nn - 2) / 2,
            vectors: vec![matrix(&|i, r| cycle(i, r) - cycle(r, i))],
        },
    ]
}

fn idot(x: &[f64], y: &[I]) -> I {
    x.iter().zip(y).fold(point(0.0), |acc, (&a, &b)| {
        if a == 0.0 {
            acc
        } else {
            point(a).mul_add(b, acc)
        }
    })
}

/// M = S^T H S over the box (m x m, row-major, symmetrised by intersection).
fn projected(h: &IntervalHessian, d: usize, vectors: &[Vec<f64>]) -> Vec<I> {
    let m = vectors.len();
    let mut out = vec![point(0.0); m * m];
    let mut image = vec![point(0.0); d * d];
    for (k, s) in vectors.iter().enumerate() {
        let x: Vec<I> = s.iter().map(|&v| point(v)).collect();
        h.apply(&x, &mut image);
        for (j, t) in vectors.iter().enumerate() {
            out[j * m + k] = idot(t, &image);
        }
    }
    symmetrise(&mut out, m);
    out
}

/// Entry (p, q) and (q, p) both enclose the same number: keep their intersection (the whole
/// line if empty, which only a wrong formula produces).
fn symmetrise(a: &mut [I], m: usize) {
    for p in 0..m {
        for q in (p + 1)..m {
            let both = a[p * m + q].intersection(a[q * m + p]);
            let both = if both.is_empty() { I::ENTIRE } else { both };
            a[p * m + q] = both;
            a[q * m + p] = both;
        }
    }
}

/// B = L^-1 M L^-T with G = L L^T the interval Cholesky of the exact Gram matrix G = S^T S:
/// H in an orthonormal basis of span S, enclosed. None if a pivot is not provably positive
/// (the spanning vectors are independent, so that does not happen for d >= 5).
fn orthonormal_block(m_enc: &[I], gram: &[f64], m: usize) -> Option<Vec<I>> {
    let mut l = vec![point(0.0); m * m];
    for j in 0..m {
        let pivot = (0..j).fold(point(gram[j * m + j]), |acc, q| acc - l[j * m + q].sqr());
        if pivot.is_empty() || pivot.inf().is_nan() || pivot.inf() <= 0.0 {
            return None;
        }
        let ljj = pivot.sqrt();
        l[j * m + j] = ljj;
        for i in (j + 1)..m {
            let x = (0..j).fold(point(gram[i * m + j]), |acc, q| {
                acc - l[i * m + q] * l[j * m + q]
            });
            l[i * m + j] = x / ljj;
        }
    }
    // Y = L^-1 M, column by column (forward substitution).
    let forward = |rhs: &[I]| -> Vec<I> {
        let mut y = vec![point(0.0); m * m];
        for c in 0..m {
            for i in 0..m {
                let s = (0..i).fold(rhs[i * m + c], |acc, q| acc - l[i * m + q] * y[q * m + c]);
                y[i * m + c] = s / l[i * m + i];
            }
        }
        y
    };
    let y = forward(m_enc);
    let yt: Vec<I> = (0..m * m).map(|idx| y[(idx % m) * m + idx / m]).collect();
    // B^T = L^-1 Y^T, and B is symmetric.
    let mut b = forward(&yt);
    symmetrise(&mut b, m);
    Some(b)
}

/// The enclosure of one component's block over the box.
#[derive(Debug, Clone)]
pub struct BlockEnclosure {
    pub name: &'static str,
    pub partition: String,
    pub multiplicity: usize,
    /// m x m row-major, H on the component in an orthonormal basis of its copies.
    pub block: Vec<I>,
    pub size: usize,
}

/// Every component's block over the box (the trivial one's M = T^T H T is also returned: it
/// is the Jacobian of the reduced gradient).
pub fn block_enclosures(h: &IntervalHessian, d: usize) -> (Vec<BlockEnclosure>, Vec<I>) {
    let mut jac = Vec::new();
    let mut out = Vec::new();
    for c in components(d) {
        let m = c.vectors.len();
        let m_enc = projected(h, d, &c.vectors);
        let mut gram = vec![0.0; m * m];
        for p in 0..m {
            for q in 0..m {
                // integer entries, at most d^2: exact in f64
                gram[p * m + q] = c.vectors[p]
                    .iter()
                    .zip(&c.vectors[q])
                    .map(|(x, y)| x * y)
                    .sum();
            }
        }
        if c.name == "trivial" {
            jac = m_enc.clone();
        }
        let block = orthonormal_block(&m_enc, &gram, m).unwrap_or_else(|| vec![I::ENTIRE; m * m]);
        out.push(BlockEnclosure {
            name: c.name,
            partition: c.partition,
            multiplicity: c.multiplicity,
            block,
            size: m,
        });
    }
    (out, jac)
}

/// The floating-point reduced gradient (orbit sums of the kernel's full gradient), loss and
/// full gradient norm at W(p).
fn float_reduced(loss: &PopulationLoss, d: usize, p: TypeA) -> ([f64; 5], f64) {
    let mut g = LossGradient::new(d, d);
    if loss.evaluate(&p.network(d), &mut g).is_err() {
        return ([f64::NAN; 5], f64::NAN);
    }
    let mut r = [0.0; 5];
    for i in 0..d {
        for j in 0..d {
            r[orbit(d, i, j)] += g.grad_w[i * d + j];
        }
    }
    (r, g.norm_w())
}

/// Newton in the five parameters (the kernel's float gradient and reduced Hessian), keeping
/// the iterate of least full gradient norm; stops when a step no longer lowers it.
fn refine(
    loss: &PopulationLoss,
    d: usize,
    start: TypeA,
    max_iterations: usize,
) -> (TypeA, usize, f64) {
    let mut p = start;
    let (mut r, mut best) = float_reduced(loss, d, p);
    let mut iterations = 0;
    for _ in 0..max_iterations {
        if !best.is_finite() || best == 0.0 {
            break;
        }
        let Ok(jac) = type_a_reduced_hessian(p, d) else {
            break;
        };
        let Ok(step) = solve_dense(jac.as_ref(), &r) else {
            break;
        };
        let mut q = p.to_array();
        for (x, s) in q.iter_mut().zip(&step) {
            *x -= s;
        }
        if q.iter().any(|x| !x.is_finite()) {
            break;
        }
        let next = TypeA::from_array(q);
        let (r_next, norm) = float_reduced(loss, d, next);
        if norm.is_nan() || norm >= best {
            break;
        }
        (p, r, best) = (next, r_next, norm);
        iterations += 1;
    }
    (p, iterations, best)
}

/// The detected type-A structure of a user's point, if any: the canonical parameters and the
/// permutations (canonical student i = input row rows[i], coordinate r = input column cols[r]).
pub fn detect_type_a(
    student: &TwoLayerNet,
    teacher: &TwoLayerNet,
    rel_tol: f64,
) -> Result<DetectedSymmetry, String> {
    let (k, d) = (student.width(), student.dim());
    if k != d {
        return Err(format!("k = {k} students, not k = d = {d}"));
    }
    if !is_identity_teacher(teacher) {
        return Err("the teacher is not I_d up to the order of its rows".to_owned());
    }
    if d < 5 {
        return Err(format!(
            "d = {d} < 5 (the block decomposition needs d >= 5)"
        ));
    }
    detect_symmetry(student.w(), d, rel_tol).ok_or_else(|| {
        format!(
            "neither Delta(S_{{d-1}} x S_1) nor Delta S_d fits within {rel_tol:.1e} (relative), \
             up to permutations of rows and columns"
        )
    })
}

/// The figures of the symmetric route beyond [`Certificate`]'s.
#[derive(Debug, Clone)]
pub struct SymmetricDetails {
    /// p* = (a, b, c, e, f).
    pub parameters: [f64; 5],
    /// Per block: name, partition, multiplicity, certified lower bound (None if not proved)
    /// and the midpoint's floating-point lambda_min.
    pub blocks: Vec<(String, String, usize, Option<f64>, f64)>,
}

/// Certifies the point of `detected` (found in `student`, k = d, teacher I_d up to row order)
/// by the symmetric route. `start` is the start of the clock.
pub fn certify_symmetric(
    student: &TwoLayerNet,
    teacher: &TwoLayerNet,
    detected: &DetectedSymmetry,
    options: Options,
    start: Instant,
) -> (Certificate, SymmetricDetails) {
    let d = student.dim();
    let loss = PopulationLoss::new(TwoLayerNet::identity(d));
    let p0 = detected.point.as_type_a();
    let rows = &detected.rows;
    let cols = &detected.cols;
    // teacher row whose 1 sits in input column c
    let mut teacher_row_of_col = vec![0; d];
    for j in 0..d {
        if let Some(c) = teacher.neuron(j).iter().position(|&x| x == 1.0) {
            teacher_row_of_col[c] = j;
        }
    }
    let to_user = |e: NonSmooth| -> NonSmooth {
        match e {
            NonSmooth::ZeroRow { row } => NonSmooth::ZeroRow { row: rows[row] },
            NonSmooth::Parallel {
                row,
                partner,
                antiparallel,
            } => NonSmooth::Parallel {
                row: rows[row],
                partner: match partner {
                    Partner::Student(l) => Partner::Student(rows[l]),
                    Partner::Teacher(j) => Partner::Teacher(teacher_row_of_col[cols[j]]),
                },
                antiparallel,
            },
        }
    };
    let method = format!(
        "symmetry-reduced: isotropy {} (detected, up to permutations: odd student = input row \
         {}, odd coordinate = input column {}), Krawczyk in the 5 type-A parameters, {} \
         isotypic blocks",
        overparam_kernel::symmetric_hessian::Isotropy::TypeA.name(),
        rows[d - 1],
        cols[d - 1],
        4
    );
    let mut cert = Certificate {
        verdict: Verdict::NotCertified(String::new()),
        k: d,
        d,
        point: student.w().to_vec(),
        newton_iterations: 0,
        grad_norm: f64::NAN,
        moved: 0.0,
        radius: None,
        contraction: None,
        loss: None,
        lambda_min_lower: None,
        rayleigh_upper: None,
        lambda_min_estimate: None,
        lambda_max_estimate: None,
        method,
        isotropy: Some(format!(
            "{} (odd student row {}, odd coordinate column {})",
            overparam_kernel::symmetric_hessian::Isotropy::TypeA.name(),
            rows[d - 1],
            cols[d - 1]
        )),
        seconds: 0.0,
    };
    let mut details = SymmetricDetails {
        parameters: p0.to_array(),
        blocks: Vec::new(),
    };
    let finish = |mut c: Certificate, v: Verdict, det: SymmetricDetails| {
        c.verdict = v;
        c.seconds = start.elapsed().as_secs_f64();
        (c, det)
    };
    let (p, iterations, grad_norm) = refine(&loss, d, p0, options.newton_iterations);
    details.parameters = p.to_array();
    cert.newton_iterations = iterations;
    cert.grad_norm = grad_norm;
    // the refined point in the user's frame, and how far it is from the input
    let w = student.w();
    let mut moved = 0.0_f64;
    let mut point_user = vec![0.0; d * d];
    let pa = p.to_array();
    for i in 0..d {
        for r in 0..d {
            let v = pa[orbit(d, i, r)];
            let idx = rows[i] * d + cols[r];
            point_user[idx] = v;
            moved = moved.max((v - w[idx]).abs());
        }
    }
    cert.point = point_user;
    cert.moved = moved;
    let scale = w.iter().fold(1.0_f64, |m, x| m.max(x.abs()));
    if !grad_norm.is_finite() {
        return finish(
            cert,
            Verdict::NotCertified("the gradient is not finite at the point".to_owned()),
            details,
        );
    }
    if moved.is_nan() || moved > options.max_move * scale {
        return finish(
            cert,
            Verdict::NotCertified(format!(
                "the point is not a critical point: Newton's method (in the 5 type-A \
                 parameters) moved it by {moved:.3e} (max norm) to gradient norm \
                 {grad_norm:.3e}, more than {:.1e} (relative) from the input",
                options.max_move
            )),
            details,
        );
    }
    let at_point = TypeABox::new(d, pa.map(point));
    if let Err(e) = at_point.smoothness() {
        return finish(cert, Verdict::NotCertified(to_user(e).to_string()), details);
    }
    // R: the inverse of the kernel's floating-point reduced Hessian (independent of the
    // interval code, so a wrong interval formula makes I - R J(P) large).
    let jac = match type_a_reduced_hessian(p, d) {
        Ok(j) => j,
        Err(e) => return finish(cert, Verdict::NotCertified(e.to_string()), details),
    };
    let mut inverse = [0.0; 25];
    for c in 0..5 {
        let mut e = vec![0.0; 5];
        e[c] = 1.0;
        match solve_dense(jac.as_ref(), &e) {
            Ok(col) if col.iter().all(|x| x.is_finite()) => {
                for r in 0..5 {
                    inverse[r * 5 + c] = col[r];
                }
            }
            _ => {
                return finish(
                    cert,
                    Verdict::NotCertified(
                        "the reduced Hessian is singular at the refined point".to_owned(),
                    ),
                    details,
                );
            }
        }
    }
    let r0 = at_point.reduced_gradient();
    let b: Vec<I> = (0..5)
        .map(|i| {
            -(0..5).fold(point(0.0), |acc, j| {
                point(inverse[i * 5 + j]).mul_add(r0[j], acc)
            })
        })
        .collect();
    let newton_step = b.iter().fold(0.0_f64, |m, x| m.max(x.mag()));
    let pscale = pa.iter().fold(0.0_f64, |m, x| m.max(x.abs()));
    let rad0 = (10.0 * newton_step).max(1e-13 * (1.0 + pscale));
    let mut tried = Vec::new();
    let mut last_contraction = f64::NAN;
    let mut verified = None;
    for j in 0..options.radius_tries {
        let radius = rad0 * 10f64.powi(j as i32);
        if !radius.is_finite() || radius > 0.1 * (1.0 + pscale) {
            break;
        }
        tried.push(radius);
        let x: [I; 5] = pa.map(|c| point(c) + interval(-radius, radius));
        let boxed = TypeABox::new(d, x);
        let h = match boxed.hessian() {
            Ok(h) => h,
            Err(e) if j == 0 => {
                return finish(cert, Verdict::NotCertified(to_user(e).to_string()), details);
            }
            Err(_) => break,
        };
        let h = if options.formula == Formula::WrongCrossBlock {
            h.with_wrong_cross_block()
        } else {
            h
        };
        let (blocks, jx) = block_enclosures(&h, d);
        let mut inside = true;
        let mut contraction = 0.0_f64;
        for i in 0..5 {
            let mut k = point(pa[i]) + b[i];
            let mut row_sum = point(0.0);
            for q in 0..5 {
                let rj = (0..5).fold(point(0.0), |acc, s| {
                    point(inverse[i * 5 + s]).mul_add(jx[s * 5 + q], acc)
                });
                let cij = if i == q { point(1.0) - rj } else { -rj };
                row_sum += point(cij.mag());
                k = cij.mul_add(x[q] - point(pa[q]), k);
            }
            contraction = contraction.max(row_sum.sup());
            if k.is_empty() || !k.interior(x[i]) {
                inside = false;
            }
        }
        last_contraction = contraction;
        if inside {
            verified = Some((radius, x, blocks, contraction));
            break;
        }
    }
    let Some((radius, x, blocks, contraction)) = verified else {
        return finish(
            cert,
            Verdict::NotCertified(format!(
                "no box passed the 5-parameter Krawczyk test (radii {:.1e} to {:.1e}; last \
                 contraction {last_contraction:.3e}, Newton step {newton_step:.3e}): existence \
                 of a critical point in the fixed subspace near the input is not proved",
                tried.first().copied().unwrap_or(f64::NAN),
                tried.last().copied().unwrap_or(f64::NAN)
            )),
            details,
        );
    };
    cert.radius = Some(radius);
    cert.contraction = Some(contraction);
    // the loss over the box: direct, and the mean-value form through the reduced gradient
    let boxed = TypeABox::new(d, x);
    let direct = boxed.loss();
    let gx = boxed.reduced_gradient();
    let mean_value = (0..5).fold(at_point.loss(), |acc, i| {
        gx[i].mul_add(x[i] - point(pa[i]), acc)
    });
    let both = direct.intersection(mean_value);
    let l = if both.is_empty() { direct } else { both };
    cert.loss = (!l.is_empty()).then(|| (l.inf(), l.sup()));
    // definiteness block by block
    let mut lower = f64::INFINITY;
    let mut all_proved = true;
    let mut saddle: Option<f64> = None;
    let (mut est_min, mut est_max) = (f64::INFINITY, f64::NEG_INFINITY);
    for blk in &blocks {
        let m = blk.size;
        let mid = Mat::from_fn(m, m, |r, c| blk.block[r * m + c].mid());
        let eig = match sym_eigen(mid.as_ref(), Par::Seq) {
            Ok(e) => e,
            Err(e) => return finish(cert, Verdict::NotCertified(e.to_string()), details),
        };
        let est = eig.values[0];
        est_min = est_min.min(est);
        est_max = est_max.max(eig.values[m - 1]);
        let bound = definite::lambda_min_lower(&blk.block, m, est).map(|b| b.bound);
        match bound {
            Some(v) if v > 0.0 => lower = lower.min(v),
            _ => all_proved = false,
        }
        if est < 0.0 && saddle.is_none() {
            let u: Vec<f64> = (0..m).map(|r| eig.vectors[(r, 0)]).collect();
            let q = definite::rayleigh_upper(&blk.block, m, &u);
            if q < 0.0 {
                saddle = Some(q);
            }
        }
        details.blocks.push((
            blk.name.to_owned(),
            blk.partition.clone(),
            blk.multiplicity,
            bound.filter(|v| *v > 0.0),
            est,
        ));
    }
    cert.lambda_min_estimate = Some(est_min);
    cert.lambda_max_estimate = Some(est_max);
    if all_proved && est_min > 0.0 {
        cert.lambda_min_lower = Some(lower);
        return finish(cert, Verdict::Minimum, details);
    }
    if let Some(q) = saddle {
        cert.rayleigh_upper = Some(q);
        return finish(cert, Verdict::Saddle, details);
    }
    let why = if est_min > 0.0 {
        format!(
            "a critical point exists (unique in the fixed subspace of the box), but lambda_min \
             (estimated {est_min:.3e}) is not proved positive on every isotypic block"
        )
    } else {
        format!(
            "a critical point exists (unique in the fixed subspace of the box), but the \
             direction of its smallest eigenvalue (estimated {est_min:.3e}) is not proved \
             negative on it"
        )
    };
    finish(cert, Verdict::NotCertified(why), details)
}
