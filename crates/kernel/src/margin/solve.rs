//! Max-margin programmes solved by clarabel (a pure-Rust interior-point conic solver), each
//! answer bracketed by a primal and a dual value that this module evaluates itself.
//!
//! All three take *margin vectors*: row k already multiplied by its label y_k.
//!
//! * [`l1_margin`]: max_{||c||_1 <= 1} min_k (M c)_k, an LP (the max margin over a fixed
//!   dictionary of units with the l1 norm on the output weights). Dual: min over the simplex of
//!   ||M^T p||_inf.
//! * [`l2_margin`]: max_{||theta||_2 <= 1} min_k <theta, g_k> = dist(0, conv{g_k}) =
//!   sqrt(min_{p in simplex} p^T G p) with G the Gram of the g_k, a QP on the simplex (the hard
//!   SVM through the origin).
//! * [`blockwise_margin`]: max over theta_1..theta_m in R^d with ||theta_j||_2 <= 1 for every j of
//!   min_k (1/m) sum_j <theta_j, phi_jk>, an SOCP (m cones); the pointwise-bounded NTK margin at
//!   finite width. Dual: min over the simplex of (1/m) sum_j ||sum_k p_k phi_jk||_2.
//!
//! Every value is >= 0 (theta = 0 is feasible); 0 means "not separable". The certificate: a
//! `lower` value achieved by the solver's primal point (rescaled to be exactly feasible,
//! evaluated here), and an `upper` value of the dual objective at the solver's dual point
//! (projected onto the simplex, evaluated here). Weak duality makes lower <= optimum <= upper
//! whatever the solver did, so `gap = upper - lower` is the error of the reported margin.

use std::fmt;

use clarabel::algebra::CscMatrix;
use clarabel::solver::{
    DefaultSettingsBuilder, DefaultSolver, IPSolver, SolverStatus, SupportedConeT,
};

/// A margin bracketed by a feasible primal point and a feasible dual point.
#[derive(Debug, Clone)]
pub struct Certified {
    /// The margin achieved by the primal point (a lower bound on the optimum).
    pub lower: f64,
    /// The dual objective at the dual point (an upper bound on the optimum).
    pub upper: f64,
    /// clarabel's own primal and dual objective values (as margins, sign flipped).
    pub solver_primal: f64,
    pub solver_dual: f64,
    /// clarabel's status, as it names it ("Solved", "AlmostSolved", ...).
    pub status: String,
    pub iterations: u32,
    /// The primal point: c (LP), the simplex weights p of theta = sum p_k g_k (QP), or the theta_j
    /// stacked (SOCP), rescaled to be feasible.
    pub primal: Vec<f64>,
    /// The dual point on the simplex (the weights on the data points).
    pub dual: Vec<f64>,
}

impl Certified {
    /// upper - lower (>= 0 up to rounding).
    pub fn gap(&self) -> f64 {
        self.upper - self.lower
    }
}

/// Why a margin programme could not be solved.
#[derive(Debug, Clone, PartialEq)]
pub enum MarginError {
    /// Sizes do not match, or there are no points.
    Shape(String),
    /// A margin vector holds NaN or an infinity.
    NonFinite,
    /// clarabel refused the problem or ended without a solution (its status).
    Solver(String),
}

impl fmt::Display for MarginError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            MarginError::Shape(s) => write!(f, "margin programme: {s}"),
            MarginError::NonFinite => write!(f, "margin programme: a non-finite margin vector"),
            MarginError::Solver(s) => write!(f, "clarabel ended with status {s}"),
        }
    }
}

impl std::error::Error for MarginError {}

/// Column-major sparse builder for clarabel's A (rows x cols).
struct Triplets {
    rows: usize,
    cols: Vec<Vec<(usize, f64)>>,
}

impl Triplets {
    fn new(rows: usize, cols: usize) -> Self {
        Triplets {
            rows,
            cols: vec![Vec::new(); cols],
        }
    }
    fn push(&mut self, r: usize, c: usize, v: f64) {
        if v != 0.0 {
            self.cols[c].push((r, v));
        }
    }
    fn build(mut self) -> CscMatrix<f64> {
        let mut colptr = vec![0];
        let (mut rowval, mut nzval) = (Vec::new(), Vec::new());
        for col in &mut self.cols {
            col.sort_by_key(|e| e.0);
            for &(r, v) in col.iter() {
                rowval.push(r);
                nzval.push(v);
            }
            colptr.push(rowval.len());
        }
        CscMatrix::new(self.rows, self.cols.len(), colptr, rowval, nzval)
    }
}

struct Raw {
    x: Vec<f64>,
    z: Vec<f64>,
    primal: f64,
    dual: f64,
    status: String,
    iterations: u32,
}

fn solve(
    p: &CscMatrix<f64>,
    q: &[f64],
    a: &CscMatrix<f64>,
    b: &[f64],
    cones: &[SupportedConeT<f64>],
) -> Result<Raw, MarginError> {
    let settings = DefaultSettingsBuilder::default()
        .verbose(false)
        .max_iter(200)
        .build()
        .map_err(|e| MarginError::Solver(format!("settings: {e}")))?;
    let mut solver = DefaultSolver::new(p, q, a, b, cones, settings)
        .map_err(|e| MarginError::Solver(format!("setup: {e}")))?;
    solver.solve();
    let s = &solver.solution;
    let status = format!("{:?}", s.status);
    if !matches!(s.status, SolverStatus::Solved | SolverStatus::AlmostSolved) {
        return Err(MarginError::Solver(status));
    }
    Ok(Raw {
        x: s.x.clone(),
        z: s.z.clone(),
        primal: -s.obj_val,
        dual: -s.obj_val_dual,
        status,
        iterations: s.iterations,
    })
}

/// Projects nonnegative-cone duals onto the simplex (negative rounding clipped).
fn simplex(z: &[f64]) -> Vec<f64> {
    let mut p: Vec<f64> = z.iter().map(|v| v.max(0.0)).collect();
    let s: f64 = p.iter().sum();
    if s > 0.0 {
        p.iter_mut().for_each(|v| *v /= s);
    } else {
        let u = 1.0 / p.len() as f64;
        p.iter_mut().for_each(|v| *v = u);
    }
    p
}

fn check(values: &[f64], len: usize, what: &str) -> Result<(), MarginError> {
    if len == 0 || values.len() != len {
        return Err(MarginError::Shape(format!(
            "{what}: {} values for an expected {len} (> 0)",
            values.len()
        )));
    }
    if values.iter().any(|v| !v.is_finite()) {
        return Err(MarginError::NonFinite);
    }
    Ok(())
}

/// The l1 max margin max_{||c||_1 <= 1} min_k (M c)_k of the n x p row-major margin matrix `m`.
pub fn l1_margin(m: &[f64], n: usize, p: usize) -> Result<Certified, MarginError> {
    check(m, n * p, "l1 margin matrix")?;
    // x = (c+ (p), c- (p), gamma); minimise -gamma.
    let nv = 2 * p + 1;
    let rows = n + 1 + 2 * p;
    let mut a = Triplets::new(rows, nv);
    for k in 0..n {
        for j in 0..p {
            let v = m[k * p + j];
            a.push(k, j, -v);
            a.push(k, p + j, v);
        }
        a.push(k, 2 * p, 1.0);
    }
    for j in 0..2 * p {
        a.push(n, j, 1.0);
        a.push(n + 1 + j, j, -1.0);
    }
    let mut b = vec![0.0; rows];
    b[n] = 1.0;
    let mut q = vec![0.0; nv];
    q[2 * p] = -1.0;
    let raw = solve(
        &CscMatrix::zeros((nv, nv)),
        &q,
        &a.build(),
        &b,
        &[SupportedConeT::NonnegativeConeT(rows)],
    )?;
    let c: Vec<f64> = (0..p).map(|j| raw.x[j] - raw.x[p + j]).collect();
    let norm: f64 = c.iter().map(|v| v.abs()).sum();
    let mut worst = f64::INFINITY;
    for k in 0..n {
        let v: f64 = (0..p).map(|j| m[k * p + j] * c[j]).sum();
        worst = worst.min(v);
    }
    let lower = if norm > 0.0 && worst > 0.0 {
        worst / norm
    } else {
        0.0
    };
    let dual = simplex(&raw.z[..n]);
    let mut upper: f64 = 0.0;
    for j in 0..p {
        let v: f64 = (0..n).map(|k| dual[k] * m[k * p + j]).sum();
        upper = upper.max(v.abs());
    }
    let scale = if norm > 0.0 { 1.0 / norm } else { 0.0 };
    Ok(Certified {
        lower,
        upper,
        solver_primal: raw.primal,
        solver_dual: raw.dual,
        status: raw.status,
        iterations: raw.iterations,
        primal: c.iter().map(|v| v * scale).collect(),
        dual,
    })
}

/// The L2 (hard-SVM) margin of the margin vectors whose n x n Gram matrix is `g` (row-major,
/// symmetric): sqrt(min_{p in simplex} p^T G p) when 0 is outside their hull, else 0.
pub fn l2_margin(g: &[f64], n: usize) -> Result<Certified, MarginError> {
    check(g, n * n, "Gram matrix")?;
    // minimise (1/2) p^T (2G) p  s.t.  sum p = 1, p >= 0; clarabel takes P's upper triangle.
    let mut pm = Triplets::new(n, n);
    for c in 0..n {
        for r in 0..=c {
            pm.push(r, c, g[r * n + c] + g[c * n + r]);
        }
    }
    let mut a = Triplets::new(n + 1, n);
    for j in 0..n {
        a.push(0, j, 1.0);
        a.push(1 + j, j, -1.0);
    }
    let mut b = vec![0.0; n + 1];
    b[0] = 1.0;
    let raw = solve(
        &pm.build(),
        &vec![0.0; n],
        &a.build(),
        &b,
        &[
            SupportedConeT::ZeroConeT(1),
            SupportedConeT::NonnegativeConeT(n),
        ],
    )?;
    let p = simplex(&raw.x);
    let gp: Vec<f64> = (0..n)
        .map(|k| (0..n).map(|l| g[k * n + l] * p[l]).sum())
        .collect();
    let pgp: f64 = p.iter().zip(&gp).map(|(a, b)| a * b).sum::<f64>().max(0.0);
    let upper = pgp.sqrt();
    let worst = gp.iter().copied().fold(f64::INFINITY, f64::min);
    let lower = if upper > 0.0 && worst > 0.0 {
        worst / upper
    } else {
        0.0
    };
    Ok(Certified {
        lower,
        upper,
        solver_primal: raw.primal.abs().sqrt(),
        solver_dual: raw.dual.abs().sqrt(),
        status: raw.status,
        iterations: raw.iterations,
        primal: p.clone(),
        dual: p,
    })
}

/// The blockwise-bounded margin max_{||theta_j|| <= 1} min_k (1/m) sum_j <theta_j, phi_jk> of
/// `phi` laid out as [j][k][c] (m blocks, n points, d coordinates).
pub fn blockwise_margin(
    phi: &[f64],
    m: usize,
    n: usize,
    d: usize,
) -> Result<Certified, MarginError> {
    check(phi, m * n * d, "block margin vectors")?;
    let at = |j: usize, k: usize, c: usize| phi[(j * n + k) * d + c];
    let nv = m * d + 1;
    let rows = n + m * (d + 1);
    let mut a = Triplets::new(rows, nv);
    let inv_m = 1.0 / m as f64;
    for k in 0..n {
        for j in 0..m {
            for c in 0..d {
                a.push(k, j * d + c, -inv_m * at(j, k, c));
            }
        }
        a.push(k, m * d, 1.0);
    }
    let mut b = vec![0.0; rows];
    let mut cones = vec![SupportedConeT::NonnegativeConeT(n)];
    for j in 0..m {
        let r0 = n + j * (d + 1);
        b[r0] = 1.0;
        for c in 0..d {
            a.push(r0 + 1 + c, j * d + c, -1.0);
        }
        cones.push(SupportedConeT::SecondOrderConeT(d + 1));
    }
    let mut q = vec![0.0; nv];
    q[m * d] = -1.0;
    let raw = solve(&CscMatrix::zeros((nv, nv)), &q, &a.build(), &b, &cones)?;
    let mut theta = raw.x[..m * d].to_vec();
    for j in 0..m {
        let t = &mut theta[j * d..(j + 1) * d];
        let norm = t.iter().map(|v| v * v).sum::<f64>().sqrt();
        if norm > 1.0 {
            t.iter_mut().for_each(|v| *v /= norm);
        }
    }
    let mut worst = f64::INFINITY;
    for k in 0..n {
        let mut s = 0.0;
        for j in 0..m {
            for c in 0..d {
                s += theta[j * d + c] * at(j, k, c);
            }
        }
        worst = worst.min(s * inv_m);
    }
    let dual = simplex(&raw.z[..n]);
    let mut upper = 0.0;
    let mut acc = vec![0.0; d];
    for j in 0..m {
        acc.iter_mut().for_each(|v| *v = 0.0);
        for (k, pk) in dual.iter().enumerate() {
            for (c, v) in acc.iter_mut().enumerate() {
                *v += pk * at(j, k, c);
            }
        }
        upper += acc.iter().map(|v| v * v).sum::<f64>().sqrt();
    }
    Ok(Certified {
        lower: worst.max(0.0),
        upper: upper * inv_m,
        solver_primal: raw.primal,
        solver_dual: raw.dual,
        status: raw.status,
        iterations: raw.iterations,
        primal: theta,
        dual,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn gram(rows: &[[f64; 2]]) -> Vec<f64> {
        let n = rows.len();
        let mut g = vec![0.0; n * n];
        for k in 0..n {
            for l in 0..n {
                g[k * n + l] = rows[k][0] * rows[l][0] + rows[k][1] * rows[l][1];
            }
        }
        g
    }

    /// Distance from the origin to the segment [a, b], by hand.
    fn segment_distance(a: [f64; 2], b: [f64; 2]) -> f64 {
        let e = [b[0] - a[0], b[1] - a[1]];
        let ee = e[0] * e[0] + e[1] * e[1];
        let t = if ee > 0.0 {
            (-(a[0] * e[0] + a[1] * e[1]) / ee).clamp(0.0, 1.0)
        } else {
            0.0
        };
        ((a[0] + t * e[0]).powi(2) + (a[1] + t * e[1]).powi(2)).sqrt()
    }

    #[test]
    fn hand_computed_two_point_margins() {
        // g1 = (2, 0), g2 = (0, 1): the L2 margin is the distance to the line x/2 + y = 1,
        // 2/sqrt(5), whose foot (0.4, 0.8) lies on the segment; the l1 margin solves
        // 2 c1 = c2, c1 + c2 = 1: 2/3.
        let rows = [[2.0, 0.0], [0.0, 1.0]];
        let l2 = l2_margin(&gram(&rows), 2).unwrap();
        let want = 2.0 / 5f64.sqrt();
        assert!((l2.lower - want).abs() < 1e-7 && (l2.upper - want).abs() < 1e-7);
        let l1 = l1_margin(&[2.0, 0.0, 0.0, 1.0], 2, 2).unwrap();
        assert!((l1.lower - 2.0 / 3.0).abs() < 1e-7, "{l1:?}");
        assert!((l1.upper - 2.0 / 3.0).abs() < 1e-7, "{l1:?}");
        // one block of the blockwise programme is the L2 margin itself
        let bw = blockwise_margin(&[2.0, 0.0, 0.0, 1.0], 1, 2, 2).unwrap();
        assert!((bw.lower - want).abs() < 1e-7 && (bw.upper - want).abs() < 1e-7);
    }

    #[test]
    fn opposite_labels_on_one_point_have_margin_zero() {
        let rows = [[1.0, 0.5], [-1.0, -0.5], [0.3, 1.0]];
        let l2 = l2_margin(&gram(&rows), 3).unwrap();
        assert_eq!(l2.lower, 0.0);
        // sqrt of an interior-point objective near 0: 1e-8 in p^T G p is 1e-4 in the margin
        assert!(l2.upper < 1e-3, "{l2:?}");
        let flat: Vec<f64> = rows.iter().flatten().copied().collect();
        let bw = blockwise_margin(&flat, 1, 3, 2).unwrap();
        assert_eq!(bw.lower, 0.0);
        assert!(bw.upper < 1e-6, "{bw:?}");
        let l1 = l1_margin(&flat, 3, 2).unwrap();
        assert_eq!(l1.lower, 0.0);
        assert!(l1.upper < 1e-6, "{l1:?}");
    }

    #[test]
    fn blockwise_bound_is_pointwise() {
        // two blocks in d = 1: theta_j in [-1, 1]; phi = ((1, 1), (1, -1)) per point k gives
        // margins (theta1 + theta2)/2 and (theta1 - theta2)/2: optimum theta = (1, 0), 1/2.
        let phi = [1.0, 1.0, 1.0, -1.0];
        let bw = blockwise_margin(&phi, 2, 2, 1).unwrap();
        assert!(
            (bw.lower - 0.5).abs() < 1e-7 && (bw.upper - 0.5).abs() < 1e-7,
            "{bw:?}"
        );
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(48))]
        /// Two margin vectors in the plane: the L2 margin (QP and one-block SOCP) equals the
        /// hand distance from 0 to their segment, and the l1 margin is bracketed by the
        /// closed-form dual min_t ||t a + (1 - t) b||_inf found by a fine scan.
        #[test]
        fn two_points_in_the_plane(a0 in -2.0..2.0f64, a1 in -2.0..2.0f64,
                                   b0 in -2.0..2.0f64, b1 in -2.0..2.0f64) {
            let (a, b) = ([a0, a1], [b0, b1]);
            let want = segment_distance(a, b);
            let l2 = l2_margin(&gram(&[a, b]), 2).unwrap();
            prop_assert!(l2.lower <= l2.upper + 1e-12);
            prop_assert!((l2.upper - want).abs() < 1e-6, "{l2:?} vs {want}");
            let bw = blockwise_margin(&[a0, a1, b0, b1], 1, 2, 2).unwrap();
            prop_assert!(bw.lower <= want + 1e-9 && bw.upper >= want - 1e-9);
            prop_assert!(bw.gap() < 1e-5, "{bw:?}");
            let l1 = l1_margin(&[a0, a1, b0, b1], 2, 2).unwrap();
            let scan = (0..=200_000)
                .map(|i| {
                    let t = i as f64 / 200_000.0;
                    (t * a0 + (1.0 - t) * b0).abs().max((t * a1 + (1.0 - t) * b1).abs())
                })
                .fold(f64::INFINITY, f64::min);
            prop_assert!(l1.lower <= scan + 1e-9 && l1.upper >= scan - 1e-4 * (1.0 + scan));
            prop_assert!(l1.gap() < 1e-5, "{l1:?}");
        }
    }
}
