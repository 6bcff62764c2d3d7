//! Newton refinement in floating point and the Krawczyk existence-and-uniqueness test.
//!
//! Krawczyk: with X = W~ + [-r, r]^n, a floating-point matrix R (any R), the enclosure g(W~) of
//! the gradient at the point and H(X) of the Hessian over the box,
//! K(X) = W~ - R g(W~) + (I - R H(X)) (X - W~). If K(X) lies in the interior of X, the gradient
//! has exactly one zero in X (Krawczyk 1969; Moore; Rump's `verifynlss`). Every product and sum
//! here is an interval operation. R comes from the independent floating-point kernel
//! (`overparam_kernel`), so a wrong interval Hessian makes I - R H(X) large and the test fail.

use overparam_kernel::{LossGradient, PopulationLoss, TwoLayerNet};
use overparam_linalg::{Mat, Par, solve_dense, sym_eigen};

use crate::enclosure::{I, Model, NonSmooth, interval, point};

/// The refined point.
#[derive(Debug, Clone)]
pub struct Refined {
    pub point: Vec<f64>,
    pub iterations: usize,
    /// ||grad_W L|| (floating point) at the refined point.
    pub grad_norm: f64,
}

/// Newton on grad_W L = 0 in floating point (the kernel's gradient and exact Hessian) from
/// `start`, keeping the iterate of smallest gradient norm; stops when a step no longer lowers
/// it (rounding level) or after `max_iterations`.
pub fn refine(loss: &PopulationLoss, start: &TwoLayerNet, max_iterations: usize) -> Refined {
    let (k, d) = (start.width(), start.dim());
    let mut net = start.clone();
    let mut g = LossGradient::new(k, d);
    let grad = |net: &TwoLayerNet, g: &mut LossGradient| -> f64 {
        match loss.evaluate(net, g) {
            Ok(()) => g.norm_w(),
            Err(_) => f64::NAN,
        }
    };
    let mut best = grad(&net, &mut g);
    let mut iterations = 0;
    for _ in 0..max_iterations {
        if !best.is_finite() || best == 0.0 {
            break;
        }
        let Ok(h) = loss.hessian_w(&net) else { break };
        let Ok(step) = solve_dense(h.as_ref(), &g.grad_w) else {
            break;
        };
        let mut next = net.clone();
        for (x, s) in next.w_mut().iter_mut().zip(&step) {
            *x -= s;
        }
        if next.w().iter().any(|x| !x.is_finite()) {
            break;
        }
        let mut g_next = LossGradient::new(k, d);
        let norm = grad(&next, &mut g_next);
        if norm.is_nan() || norm >= best {
            break;
        }
        (net, g, best) = (next, g_next, norm);
        iterations += 1;
    }
    Refined {
        point: net.w().to_vec(),
        iterations,
        grad_norm: best,
    }
}

/// An approximate inverse R of the floating-point Hessian at the point, from its
/// eigendecomposition (R = Q diag(1 / lambda) Q^T), with the smallest eigenvalue and its
/// eigenvector (the candidate negative direction). None when the Hessian is not finite or
/// numerically singular (|lambda| <= 1e-13 max |lambda|).
pub struct Linearisation {
    pub inverse: Vec<f64>,
    pub lambda_min: f64,
    pub lambda_max: f64,
    pub min_vector: Vec<f64>,
}

pub fn linearise(loss: &PopulationLoss, net: &TwoLayerNet) -> Result<Linearisation, String> {
    let h = loss.hessian_w(net).map_err(|e| e.to_string())?;
    let n = h.nrows();
    let eig = sym_eigen(h.as_ref(), Par::Seq).map_err(|e| e.to_string())?;
    let scale = eig.values.iter().fold(0.0_f64, |m, v| m.max(v.abs()));
    if eig.values.iter().any(|v| v.abs() <= 1e-13 * scale) || scale == 0.0 {
        return Err(format!(
            "the Hessian is numerically singular at the refined point (an eigenvalue within \
             1e-13 of its largest, {scale:.3e}, of zero): the critical point is degenerate and \
             the Krawczyk test cannot apply"
        ));
    }
    let q = &eig.vectors;
    let scaled = Mat::from_fn(n, n, |r, c| q[(r, c)] / eig.values[c]);
    let mut inverse = vec![0.0; n * n];
    for r in 0..n {
        for c in 0..n {
            let mut x = 0.0;
            for j in 0..n {
                x += scaled[(r, j)] * q[(c, j)];
            }
            inverse[r * n + c] = x;
        }
    }
    Ok(Linearisation {
        inverse,
        lambda_min: eig.values[0],
        lambda_max: eig.values[n - 1],
        min_vector: (0..n).map(|r| q[(r, 0)]).collect(),
    })
}

/// A box on which the Krawczyk test passed.
#[derive(Debug, Clone)]
pub struct Verified {
    /// X = W~ + [-radius, radius]^n (rounded outward).
    pub radius: f64,
    pub x: Vec<I>,
    /// H(X), symmetric.
    pub hessian: Vec<I>,
    /// max_i sum_j |I - R H(X)|_ij (upper end): the contraction factor.
    pub contraction: f64,
    /// max_i |R g(W~)|_i (upper end): the Newton step's size.
    pub newton_step: f64,
}

/// Why no box passed.
#[derive(Debug, Clone, PartialEq)]
pub enum KrawczykFailure {
    /// The smallest box already contains a point where L is not twice differentiable.
    NonSmooth(NonSmooth),
    /// No radius tried gave K(X) inside X; the figures of the last try.
    NotContracting {
        tried: Vec<f64>,
        contraction: f64,
        newton_step: f64,
    },
}

/// The box around `center` of the given radius, each end rounded outward.
pub fn make_box(center: &[f64], radius: f64) -> Vec<I> {
    let r = interval(-radius, radius);
    center.iter().map(|&c| point(c) + r).collect()
}

/// The Krawczyk test at the radii r0 10^j, j = 0..tries, r0 from the Newton step (10 |R g|,
/// at least 1e-13 (1 + max |W~|)); the first box that passes.
pub fn krawczyk(
    model: &Model,
    center: &[f64],
    inverse: &[f64],
    tries: usize,
) -> Result<Verified, KrawczykFailure> {
    let n = center.len();
    let c_box: Vec<I> = center.iter().map(|&c| point(c)).collect();
    let g0 = model.gradient(&c_box);
    // b = -R g(W~), enclosed.
    let b: Vec<I> = (0..n)
        .map(|p| {
            -(0..n).fold(point(0.0), |acc, q| {
                point(inverse[p * n + q]).mul_add(g0[q], acc)
            })
        })
        .collect();
    let newton_step = b.iter().fold(0.0_f64, |m, x| m.max(x.mag()));
    let scale = center.iter().fold(0.0_f64, |m, x| m.max(x.abs()));
    let r0 = (10.0 * newton_step).max(1e-13 * (1.0 + scale));
    let mut tried = Vec::new();
    let mut last = (f64::NAN, newton_step);
    for j in 0..tries {
        let radius = r0 * 10f64.powi(j as i32);
        if !radius.is_finite() || radius > 0.1 * (1.0 + scale) {
            break;
        }
        tried.push(radius);
        let x = make_box(center, radius);
        let h = match model.hessian(&x) {
            Ok(h) => h,
            Err(e) if j == 0 => return Err(KrawczykFailure::NonSmooth(e)),
            Err(_) => break,
        };
        let dx: Vec<I> = x.iter().zip(&c_box).map(|(&a, &c)| a - c).collect();
        let mut inside = true;
        let mut contraction = 0.0_f64;
        // Row p of C = I - R H(X), then K_p = W~_p + b_p + sum_q C_pq dx_q.
        let mut c_row = vec![point(0.0); n];
        for p in 0..n {
            c_row.fill(point(0.0));
            for q in 0..n {
                let rpq = point(inverse[p * n + q]);
                if rpq.sup() == 0.0 {
                    continue;
                }
                let h_row = &h[q * n..(q + 1) * n];
                for (c, &hq) in c_row.iter_mut().zip(h_row) {
                    *c = rpq.mul_add(hq, *c);
                }
            }
            let mut k = c_box[p] + b[p];
            let mut row_sum = point(0.0);
            for q in 0..n {
                let cpq = if p == q {
                    point(1.0) - c_row[q]
                } else {
                    -c_row[q]
                };
                row_sum += point(cpq.mag());
                k = cpq.mul_add(dx[q], k);
            }
            contraction = contraction.max(row_sum.sup());
            // An empty K (possible only from an empty input) would be `interior` vacuously.
            if k.is_empty() || !k.interior(x[p]) {
                inside = false;
            }
        }
        last = (contraction, newton_step);
        if inside {
            return Ok(Verified {
                radius,
                x,
                hessian: h,
                contraction,
                newton_step,
            });
        }
    }
    Err(KrawczykFailure::NotContracting {
        tried,
        contraction: last.0,
        newton_step: last.1,
    })
}
