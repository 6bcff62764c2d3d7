//! Interval enclosures of the population loss L(W), its gradient and its Hessian in W, over a
//! box of weights: the closed forms of `overparam_kernel::arccos` / `population` (unit output
//! weights, teacher V), evaluated in `inari` intervals, so that every rounding error of every
//! operation is enclosed (IEEE 1788.1 directed rounding; acos by MPFR).
//!
//! For a pair (w, v) with angle t:
//!
//! ```text
//! kappa      = |w| |v| / (2 pi) (sin t + (pi - t) cos t)
//! grad_w     = alpha w + beta v,   alpha = |v| sin t / (2 pi |w|),   beta = (pi - t) / (2 pi)
//! d2_ww      = |v| / (2 pi |w|) (sin t (I - w^ w^T) + u u^T / sin t),    u = v^ - cos t w^
//! d2_wv      = ((pi - t) I + sin t w^ v^T + u z^T / sin t) / (2 pi),     z = w^ - cos t v^
//! ```
//!
//! (u u^T / sin t = sin t n_w n_w^T of `arccos::add_hess_ww`, written without the normalised
//! n_w so that no division by |u| is needed.) cos t is enclosed as <w, v> / (|w| |v|) intersected
//! with [-1, 1], sin t as sqrt(1 - cos^2 t), t as acos(cos t): each is the exact function of an
//! enclosure of its argument, so the true value at every point of the box lies inside.
//!
//! The Hessian exists only where no student row is zero and no student row is parallel or
//! antiparallel to another student row or to a teacher row (sin t = 0: the arc-cosine kernel is
//! not twice differentiable there). [`Model::smoothness`] says whether the box provably avoids
//! all such points; the Hessian is refused otherwise.

use std::fmt;

use inari::{Interval, const_interval};

/// An interval (inari, IEEE 1788.1 bare interval of f64).
pub type I = Interval;

const ZERO: I = const_interval!(0.0, 0.0);
const ONE: I = const_interval!(1.0, 1.0);
const HALF: I = const_interval!(0.5, 0.5);
const UNIT: I = const_interval!(-1.0, 1.0);

/// The point interval [x, x]; `x` must be finite.
pub fn point(x: f64) -> I {
    I::try_from((x, x)).expect("a finite number is a valid interval")
}

/// [lo, hi]; both finite, lo <= hi.
pub fn interval(lo: f64, hi: f64) -> I {
    I::try_from((lo, hi)).expect("finite bounds in order")
}

/// Which closed forms are evaluated.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Formula {
    /// The true gradient and Hessian.
    Exact,
    /// A deliberately wrong Hessian: the u z^T / sin t term of d2_wv (the student-student
    /// off-diagonal blocks) is dropped. It exists only for tests that show a wrong formula
    /// makes certification fail (the approximate inverse comes from the independent
    /// floating-point kernel, so I - R H(X) is no longer small).
    WrongCrossBlock,
}

/// The other row of a pair that is not smooth.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Partner {
    Student(usize),
    Teacher(usize),
}

/// Why the Hessian is not defined everywhere on a box (0-based rows).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NonSmooth {
    /// The enclosure of |w_row| reaches 0.
    ZeroRow { row: usize },
    /// The enclosure of the angle between student row `row` and `partner` reaches 0 (parallel)
    /// or pi (antiparallel): cos t = +-1 is not excluded.
    Parallel {
        row: usize,
        partner: Partner,
        antiparallel: bool,
    },
}

impl fmt::Display for NonSmooth {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match *self {
            NonSmooth::ZeroRow { row } => write!(
                f,
                "student row {row} is zero (or its norm's enclosure reaches 0): relu has a kink \
                 there and the loss is not differentiable"
            ),
            NonSmooth::Parallel {
                row,
                partner,
                antiparallel,
            } => {
                let other = match partner {
                    Partner::Student(l) => format!("student row {l}"),
                    Partner::Teacher(j) => format!("teacher row {j}"),
                };
                let how = if antiparallel {
                    "antiparallel"
                } else {
                    "parallel"
                };
                write!(
                    f,
                    "student row {row} and {other} are {how} at the solution (the enclosure of \
                     their angle reaches {}): the arc-cosine kernel is not twice differentiable \
                     there",
                    if antiparallel { "pi" } else { "0" }
                )
            }
        }
    }
}

/// Geometry of one pair over a box.
#[derive(Debug, Clone, Copy)]
struct Geo {
    nw: I,
    nv: I,
    cos: I,
    sin: I,
    /// The angle t in [0, pi].
    theta: I,
}

fn dot(x: &[I], y: &[I]) -> I {
    x.iter()
        .zip(y)
        .fold(ZERO, |acc, (&p, &q)| p.mul_add(q, acc))
}

fn sum_sq(x: &[I]) -> I {
    x.iter().fold(ZERO, |acc, &p| acc + p.sqr())
}

fn geo(w: &[I], v: &[I], nw: I, nv: I) -> Geo {
    let cos = (dot(w, v) / (nw * nv)).intersection(UNIT);
    Geo {
        nw,
        nv,
        cos,
        sin: (ONE - cos.sqr()).sqrt(),
        theta: cos.acos(),
    }
}

impl Geo {
    fn kernel(&self) -> I {
        self.nw * self.nv / I::TAU * (self.sin + (I::PI - self.theta) * self.cos)
    }
    /// (alpha, beta) of grad_w kappa = alpha w + beta v.
    fn grad_coefficients(&self) -> (I, I) {
        (
            self.nv * self.sin / (I::TAU * self.nw),
            (I::PI - self.theta) / I::TAU,
        )
    }
    /// cos t excludes +-1 and |w| excludes 0: the Hessian terms are defined on the whole box.
    fn smooth(&self) -> Result<(), bool> {
        if self.cos.sup() >= 1.0 {
            Err(false)
        } else if self.cos.inf() <= -1.0 {
            Err(true)
        } else {
            Ok(())
        }
    }
}

/// The population loss of a k x d student with unit output weights against a fixed teacher
/// (m x d, unit output weights), in interval arithmetic.
#[derive(Debug, Clone)]
pub struct Model {
    k: usize,
    d: usize,
    m: usize,
    /// Teacher rows as point intervals (the f64 numbers given are the model, exactly).
    teacher: Vec<I>,
    teacher_norms: Vec<I>,
    /// 1/2 sum_{j,q} kappa(v_j, v_q), enclosed.
    teacher_energy: I,
    formula: Formula,
}

impl Model {
    /// `teacher`: m rows of d finite numbers, row-major.
    pub fn new(k: usize, d: usize, teacher: &[f64]) -> Model {
        assert!(d > 0 && teacher.len().is_multiple_of(d));
        let m = teacher.len() / d;
        let teacher: Vec<I> = teacher.iter().map(|&x| point(x)).collect();
        let teacher_norms: Vec<I> = (0..m)
            .map(|j| sum_sq(&teacher[j * d..(j + 1) * d]).sqrt())
            .collect();
        let mut energy = ZERO;
        for j in 0..m {
            let vj = &teacher[j * d..(j + 1) * d];
            energy += HALF * sum_sq(vj) * HALF;
            for q in (j + 1)..m {
                if teacher_norms[j].sup() == 0.0 || teacher_norms[q].sup() == 0.0 {
                    continue;
                }
                let vq = &teacher[q * d..(q + 1) * d];
                energy += geo(vj, vq, teacher_norms[j], teacher_norms[q]).kernel();
            }
        }
        Model {
            k,
            d,
            m,
            teacher,
            teacher_norms,
            teacher_energy: energy,
            formula: Formula::Exact,
        }
    }

    /// The same model with another formula (tests of the certificate only).
    pub fn with_formula(mut self, formula: Formula) -> Model {
        self.formula = formula;
        self
    }

    pub fn parameters(&self) -> usize {
        self.k * self.d
    }

    fn row<'a>(&self, x: &'a [I], i: usize) -> &'a [I] {
        &x[i * self.d..(i + 1) * self.d]
    }

    fn teacher_row(&self, j: usize) -> &[I] {
        &self.teacher[j * self.d..(j + 1) * self.d]
    }

    /// Teacher rows that are not zero (a zero teacher row is an absent neuron: every term with
    /// it vanishes, and it does not affect smoothness).
    fn live_teachers(&self) -> impl Iterator<Item = usize> + '_ {
        (0..self.m).filter(|&j| self.teacher_norms[j].inf() > 0.0)
    }

    fn norms(&self, x: &[I]) -> Vec<I> {
        (0..self.k).map(|i| sum_sq(self.row(x, i)).sqrt()).collect()
    }

    /// Ok when every point of the box `x` (k d intervals) is a point where L is twice
    /// continuously differentiable: no student row's norm reaches 0 and no angle between a
    /// student row and another row reaches 0 or pi. Otherwise the first offending row or pair.
    pub fn smoothness(&self, x: &[I]) -> Result<(), NonSmooth> {
        let nw = self.norms(x);
        if let Some(row) = nw.iter().position(|n| n.inf() <= 0.0) {
            return Err(NonSmooth::ZeroRow { row });
        }
        for i in 0..self.k {
            for l in (i + 1)..self.k {
                geo(self.row(x, i), self.row(x, l), nw[i], nw[l])
                    .smooth()
                    .map_err(|antiparallel| NonSmooth::Parallel {
                        row: i,
                        partner: Partner::Student(l),
                        antiparallel,
                    })?;
            }
            for j in self.live_teachers() {
                geo(
                    self.row(x, i),
                    self.teacher_row(j),
                    nw[i],
                    self.teacher_norms[j],
                )
                .smooth()
                .map_err(|antiparallel| NonSmooth::Parallel {
                    row: i,
                    partner: Partner::Teacher(j),
                    antiparallel,
                })?;
            }
        }
        Ok(())
    }

    /// An enclosure of {L(W) : W in x} by direct evaluation.
    pub fn loss(&self, x: &[I]) -> I {
        assert_eq!(x.len(), self.parameters());
        let nw = self.norms(x);
        let mut total = self.teacher_energy;
        for i in 0..self.k {
            let wi = self.row(x, i);
            total += HALF * sum_sq(wi) * HALF;
            if nw[i].sup() == 0.0 {
                continue;
            }
            for l in (i + 1)..self.k {
                if nw[l].sup() == 0.0 {
                    continue;
                }
                total += geo(wi, self.row(x, l), nw[i], nw[l]).kernel();
            }
            for j in self.live_teachers() {
                total -= geo(wi, self.teacher_row(j), nw[i], self.teacher_norms[j]).kernel();
            }
        }
        total
    }

    /// An enclosure of {grad_W L(W) : W in x} (k d intervals, row-major). Where a row's norm
    /// enclosure reaches 0 the coefficients are unbounded and the result is the whole line
    /// (never a false enclosure).
    pub fn gradient(&self, x: &[I]) -> Vec<I> {
        assert_eq!(x.len(), self.parameters());
        let (k, d) = (self.k, self.d);
        let nw = self.norms(x);
        // g_i = (1/2 + sum_l alpha_il - sum_j alpha_ij) w_i + sum_l beta_il w_l - sum_j beta_ij v_j
        let mut coefficient = vec![HALF; k];
        let mut g = vec![ZERO; k * d];
        for i in 0..k {
            let wi = self.row(x, i);
            for l in (i + 1)..k {
                let wl = self.row(x, l);
                let p = geo(wi, wl, nw[i], nw[l]);
                let (alpha_il, beta) = p.grad_coefficients();
                let alpha_li = nw[i] * p.sin / (I::TAU * nw[l]);
                coefficient[i] += alpha_il;
                coefficient[l] += alpha_li;
                for r in 0..d {
                    g[i * d + r] = beta.mul_add(wl[r], g[i * d + r]);
                    g[l * d + r] = beta.mul_add(wi[r], g[l * d + r]);
                }
            }
            for j in self.live_teachers() {
                let vj = self.teacher_row(j);
                let p = geo(wi, vj, nw[i], self.teacher_norms[j]);
                let (alpha, beta) = p.grad_coefficients();
                coefficient[i] -= alpha;
                for r in 0..d {
                    g[i * d + r] -= beta * vj[r];
                }
            }
        }
        for i in 0..k {
            for r in 0..d {
                g[i * d + r] = coefficient[i].mul_add(x[i * d + r], g[i * d + r]);
            }
        }
        g
    }

    /// An enclosure of {Hess_W L(W) : W in x}: n x n intervals (n = k d, row-major), made
    /// symmetric by intersecting entry (p, q) with entry (q, p) (both enclose the same number,
    /// the Hessian being symmetric). Refused where the box is not provably smooth.
    pub fn hessian(&self, x: &[I]) -> Result<Vec<I>, NonSmooth> {
        self.smoothness(x)?;
        let (k, d) = (self.k, self.d);
        let n = k * d;
        let nw = self.norms(x);
        let mut h = vec![ZERO; n * n];
        for i in 0..k {
            let diag = i * d * n + i * d;
            for r in 0..d {
                h[diag + r * n + r] += HALF;
            }
            let wi = self.row(x, i);
            for l in 0..k {
                if l == i {
                    continue;
                }
                let wl = self.row(x, l);
                let p = geo(wi, wl, nw[i], nw[l]);
                add_ww(&mut h[diag..], n, wi, wl, &p, ONE);
                add_wv(&mut h[i * d * n + l * d..], n, wi, wl, &p, self.formula);
            }
            for j in self.live_teachers() {
                let vj = self.teacher_row(j);
                let p = geo(wi, vj, nw[i], self.teacher_norms[j]);
                add_ww(&mut h[diag..], n, wi, vj, &p, -ONE);
            }
        }
        for p in 0..n {
            for q in (p + 1)..n {
                // Both enclose the same number, so the intersection is empty only if a formula
                // is wrong: then the entry is unknown (the whole line), never the empty set,
                // which would make every later inclusion test pass vacuously.
                let both = h[p * n + q].intersection(h[q * n + p]);
                let both = if both.is_empty() { I::ENTIRE } else { both };
                h[p * n + q] = both;
                h[q * n + p] = both;
            }
        }
        Ok(h)
    }
}

/// Adds sign * d2_ww kappa(w, v) into the d x d block at `out` (stride `ld`).
fn add_ww(out: &mut [I], ld: usize, w: &[I], v: &[I], p: &Geo, sign: I) {
    let d = w.len();
    let wh: Vec<I> = w.iter().map(|&x| x / p.nw).collect();
    let vh: Vec<I> = v.iter().map(|&x| x / p.nv).collect();
    let u: Vec<I> = vh.iter().zip(&wh).map(|(&b, &a)| b - p.cos * a).collect();
    let c = sign * p.nv / (I::TAU * p.nw);
    for r in 0..d {
        for s in 0..d {
            let id = if r == s { ONE } else { ZERO };
            let x = p.sin * (id - wh[r] * wh[s]) + u[r] * u[s] / p.sin;
            out[r * ld + s] = c.mul_add(x, out[r * ld + s]);
        }
    }
}

/// Adds d2_wv kappa(w, v) (rows w, columns v) into the d x d block at `out` (stride `ld`).
fn add_wv(out: &mut [I], ld: usize, w: &[I], v: &[I], p: &Geo, formula: Formula) {
    let d = w.len();
    let wh: Vec<I> = w.iter().map(|&x| x / p.nw).collect();
    let vh: Vec<I> = v.iter().map(|&x| x / p.nv).collect();
    let u: Vec<I> = vh.iter().zip(&wh).map(|(&b, &a)| b - p.cos * a).collect();
    let z: Vec<I> = wh.iter().zip(&vh).map(|(&a, &b)| a - p.cos * b).collect();
    let beta = I::PI - p.theta;
    for r in 0..d {
        for s in 0..d {
            let mut x = p.sin * wh[r] * vh[s];
            if r == s {
                x += beta;
            }
            if formula == Formula::Exact {
                x += u[r] * z[s] / p.sin;
            }
            out[r * ld + s] += x / I::TAU;
        }
    }
}
