//! The type-A family in interval arithmetic: the population loss, its gradient reduced to the
//! five parameters p = (a, b, c, e, f), and the Hessian applied to a direction, over a box P of
//! parameters, in O(d) (loss, reduced gradient) and O(d^2) (one Hessian product) operations,
//! never forming a k d vector of the point's weights.
//!
//! W(p) = [[a I_{d-1} + b (1 1^T - I), c 1], [e 1^T, f]] (k = d, teacher I_d, unit output
//! weights). Every pair of rows of W(p) (student-student or student-teacher) lies in one of seven
//! orbits of Delta(S_{d-1} x S_1), and every quantity of a pair (norms, inner product, angle)
//! is the same on an orbit, given by a closed form in p:
//!
//! ```text
//! |w_0|^2 = a^2 + (d-2) b^2 + c^2           |w_z|^2 = (d-1) e^2 + f^2
//! <w_0, w_1> = 2ab + (d-3) b^2 + c^2        <w_0, w_z> = (a + (d-2) b) e + c f
//! <w_0, e_0> = a  <w_0, e_1> = b  <w_0, e_z> = c  <w_z, e_0> = e  <w_z, e_z> = f
//! ```
//!
//! (0, 1 main rows, z = d - 1 the odd row). Each closed form is evaluated in inari intervals
//! over P, so it encloses the exact value for every p in P; the loss and the reduced gradient
//! are sums of those with integer orbit sizes. The Hessian product is the interval port of
//! `overparam_kernel::symmetric_hessian::SymmetricHessian::apply`: for unit vectors the
//! normalisers |v^ - cos t w^| = |w^ - cos t v^| = sin t exactly, so 1 / sin t is used in their
//! place.

use inari::const_interval;

use crate::enclosure::{I, NonSmooth, Partner};

const ZERO: I = const_interval!(0.0, 0.0);
const ONE: I = const_interval!(1.0, 1.0);
const HALF: I = const_interval!(0.5, 0.5);
const QUARTER: I = const_interval!(0.25, 0.25);
const UNIT: I = const_interval!(-1.0, 1.0);

/// An integer (an orbit size) as an exact point interval (d <= 2^26, so every product fits).
fn n(x: usize) -> I {
    let v = x as f64;
    I::try_from((v, v)).expect("a finite integer")
}

/// One pair's geometry over the box.
#[derive(Debug, Clone, Copy)]
struct Pair {
    nw: I,
    nv: I,
    cos: I,
    sin: I,
    theta: I,
}

impl Pair {
    fn new(dot: I, nw: I, nv: I) -> Pair {
        let cos = (dot / (nw * nv)).intersection(UNIT);
        Pair {
            nw,
            nv,
            cos,
            sin: (ONE - cos.sqr()).sqrt(),
            theta: cos.acos(),
        }
    }
    fn kernel(&self) -> I {
        self.nw * self.nv / I::TAU * (self.sin + (I::PI - self.theta) * self.cos)
    }
    /// beta = (pi - t) / (2 pi), the coefficient of v in grad_w kappa.
    fn beta(&self) -> I {
        (I::PI - self.theta) / I::TAU
    }
    /// alpha = |v| sin t / (2 pi |w|), the coefficient of w in grad_w kappa.
    fn alpha(&self) -> I {
        self.nv * self.sin / (I::TAU * self.nw)
    }
    /// The other direction's alpha: |w| sin t / (2 pi |v|).
    fn alpha_reverse(&self) -> I {
        self.nw * self.sin / (I::TAU * self.nv)
    }
    fn smooth(&self) -> Result<(), bool> {
        if self.cos.is_empty() || self.cos.sup() >= 1.0 {
            Err(false)
        } else if self.cos.inf() <= -1.0 {
            Err(true)
        } else {
            Ok(())
        }
    }
}

/// The seven orbit representatives of a type-A point over a parameter box.
#[derive(Debug, Clone, Copy)]
pub struct TypeABox {
    d: usize,
    p: [I; 5],
    /// |w_0|, |w_z|.
    n0: I,
    nz: I,
    /// student pairs (0, 1) and (0, z)
    s01: Pair,
    s0z: Pair,
    /// teacher pairs (w_0, e_0), (w_0, e_1), (w_0, e_z), (w_z, e_0), (w_z, e_z)
    t: [Pair; 5],
}

/// Which orbit of index pairs (i, j) of a d x d matrix holds (i, j) (0..5 for a, b, c, e, f).
pub fn orbit(d: usize, i: usize, j: usize) -> usize {
    let z = d - 1;
    match (i == z, j == z) {
        (false, false) if i == j => 0,
        (false, false) => 1,
        (false, true) => 2,
        (true, false) => 3,
        (true, true) => 4,
    }
}

impl TypeABox {
    /// The representatives over the box `p` (intervals of a, b, c, e, f), d >= 5.
    pub fn new(d: usize, p: [I; 5]) -> TypeABox {
        assert!(d >= 5, "the type-A decomposition needs d >= 5");
        let [a, b, c, e, f] = p;
        let n0 = (a.sqr() + n(d - 2) * b.sqr() + c.sqr()).sqrt();
        let nz = (n(d - 1) * e.sqr() + f.sqr()).sqrt();
        let dot01 = n(2) * a * b + n(d - 3) * b.sqr() + c.sqr();
        let dot0z = (a + n(d - 2) * b) * e + c * f;
        TypeABox {
            d,
            p,
            n0,
            nz,
            s01: Pair::new(dot01, n0, n0),
            s0z: Pair::new(dot0z, n0, nz),
            t: [
                Pair::new(a, n0, ONE),
                Pair::new(b, n0, ONE),
                Pair::new(c, n0, ONE),
                Pair::new(e, nz, ONE),
                Pair::new(f, nz, ONE),
            ],
        }
    }

    pub fn dim(&self) -> usize {
        self.d
    }

    /// Ok when no point of the box is a kink of L: both row norms exclude 0 and no pair's
    /// angle reaches 0 or pi. Otherwise the first offending pair, named by canonical rows
    /// (0 and 1 main students, d - 1 the odd one; teacher j = e_j).
    pub fn smoothness(&self) -> Result<(), NonSmooth> {
        let z = self.d - 1;
        if self.n0.is_empty() || self.n0.inf() <= 0.0 {
            return Err(NonSmooth::ZeroRow { row: 0 });
        }
        if self.nz.is_empty() || self.nz.inf() <= 0.0 {
            return Err(NonSmooth::ZeroRow { row: z });
        }
        let pairs = [
            (self.s01, 0, Partner::Student(1)),
            (self.s0z, 0, Partner::Student(z)),
            (self.t[0], 0, Partner::Teacher(0)),
            (self.t[1], 0, Partner::Teacher(1)),
            (self.t[2], 0, Partner::Teacher(z)),
            (self.t[3], z, Partner::Teacher(0)),
            (self.t[4], z, Partner::Teacher(z)),
        ];
        for (pair, row, partner) in pairs {
            pair.smooth().map_err(|antiparallel| NonSmooth::Parallel {
                row,
                partner,
                antiparallel,
            })?;
        }
        Ok(())
    }

    /// An enclosure of {L(W(p)) : p in P}, O(1) operations: [`Self::loss_grouped`]
    /// intersected with [`Self::loss_direct`] (both enclose the same set; the grouped form is
    /// the tight one at large d).
    pub fn loss(&self) -> I {
        let direct = self.loss_direct();
        let both = direct.intersection(self.loss_grouped());
        if both.is_empty() { direct } else { both }
    }

    /// The loss with the large terms cancelled in closed form. With
    /// kappa(u, u') = (|u||u'| (1 + psi(c)) + (pi / 2) <u, u'>) / (2 pi),
    /// psi(c) = c asin c - c^2 / (1 + sqrt(1 - c^2)) (= sin t + (pi - t) cos t - 1 - (pi/2) cos t,
    /// O(c^2)), and L = 1/2 sum_{a,b} s_a s_b kappa(u_a, u_b) over students (s = +1) and teachers
    /// (s = -1), diagonal included:
    /// 4 pi L = (sum_a s_a |u_a|)^2 + (pi/2) |sum_a s_a u_a|^2 + sum_{a,b} s_a s_b |u_a||u_b| psi(c_ab).
    /// The first two are squares of O(1) differences written without cancellation
    /// ((d-1)(|w_0| - 1) + (|w_z| - 1), and the column sums of W - I); the third cancels O(d)
    /// terms instead of the direct form's O(d^2).
    pub fn loss_grouped(&self) -> I {
        let d = self.d;
        let [a, b, c, e, f] = self.p;
        let psi = |p: &Pair| -> I {
            let cos = p.cos;
            cos * cos.asin() - cos.sqr() / (ONE + (ONE - cos.sqr()).sqrt())
        };
        let n0m1 = ((a - ONE) * (a + ONE) + n(d - 2) * b.sqr() + c.sqr()) / (self.n0 + ONE);
        let nzm1 = (n(d - 1) * e.sqr() + (f - ONE) * (f + ONE)) / (self.nz + ONE);
        let t1 = (n(d - 1) * n0m1 + nzm1).sqr();
        let main_col = (a - ONE) + n(d - 2) * b + e;
        let last_col = n(d - 1) * c + (f - ONE);
        let t2 = n(d - 1) * main_col.sqr() + last_col.sqr();
        let psi1 = I::FRAC_PI_2 - ONE;
        let diagonal = psi1 * (n(d - 1) * self.n0.sqr() + self.nz.sqr() + n(d));
        let t = &self.t;
        let students = n(d - 1) * n(d - 2) / n(2) * self.n0.sqr() * psi(&self.s01)
            + n(d - 1) * self.n0 * self.nz * psi(&self.s0z);
        // (w_0, e_0) is nearly parallel at large d, where asin(cos) amplifies the rounding of
        // cos by 1 / sin t: there psi = cos (pi/2 - t) - (1 - sin t) with sin t = |w_0 - a e_0|
        // / |w_0| (no cancellation) and t = asin(sin t), valid for t <= pi / 2 (cos > 0);
        // intersected with the generic form.
        let psi00 = {
            let generic = psi(&t[0]);
            if t[0].cos.inf() > 0.0 {
                let sin = ((n(d - 2) * b.sqr() + c.sqr()).sqrt() / self.n0).intersection(UNIT);
                let alt = t[0].cos * (I::FRAC_PI_2 - sin.asin()) - (ONE - sin);
                let both = generic.intersection(alt);
                if both.is_empty() { generic } else { both }
            } else {
                generic
            }
        };
        let cross = n(d - 1) * self.n0 * psi00
            + n(d - 1) * n(d - 2) * self.n0 * psi(&t[1])
            + n(d - 1) * self.n0 * psi(&t[2])
            + n(d - 1) * self.nz * psi(&t[3])
            + self.nz * psi(&t[4]);
        let total = t1 + I::FRAC_PI_2 * t2 + diagonal + n(2) * (students - cross);
        total / (n(2) * I::TAU)
    }

    /// The loss as the sum of its pair kernels (orbit sizes times representatives).
    pub fn loss_direct(&self) -> I {
        let d = self.d;
        let [a, b, c, e, f] = self.p;
        // teacher energy: d |e_j|^2 / 4 + C(d, 2) kappa(e_j, e_q) = d / 4 + d (d - 1) / (4 pi)
        let teacher = n(d) * QUARTER + n(d) * n(d - 1) / (n(2) * I::TAU);
        let sq0 = a.sqr() + n(d - 2) * b.sqr() + c.sqr();
        let sqz = n(d - 1) * e.sqr() + f.sqr();
        let own = (n(d - 1) * sq0 + sqz) * QUARTER;
        let students =
            n(d - 1) * n(d - 2) / n(2) * self.s01.kernel() + n(d - 1) * self.s0z.kernel();
        let t = &self.t;
        let cross = n(d - 1) * t[0].kernel()
            + n(d - 1) * n(d - 2) * t[1].kernel()
            + n(d - 1) * t[2].kernel()
            + n(d - 1) * t[3].kernel()
            + t[4].kernel();
        teacher + own + students - cross
    }

    /// An enclosure of the reduced gradient r_k = <grad_W L(W(p)), T_k> (T_k the indicator of
    /// orbit k: the derivative of L(W(p)) in p_k), for p in P.
    pub fn reduced_gradient(&self) -> [I; 5] {
        let d = self.d;
        let [a, b, c, e, f] = self.p;
        let t = &self.t;
        // main row 0: coefficient of w_0 in its gradient
        let coef0 = HALF + n(d - 2) * self.s01.alpha() + self.s0z.alpha()
            - (t[0].alpha() + n(d - 2) * t[1].alpha() + t[2].alpha());
        let (b01, b0z) = (self.s01.beta(), self.s0z.beta());
        let g00 = coef0 * a + b01 * n(d - 2) * b + b0z * e - t[0].beta();
        let g01 = coef0 * b + b01 * (a + n(d - 3) * b) + b0z * e - t[1].beta();
        let g0z = coef0 * c + b01 * n(d - 2) * c + b0z * f - t[2].beta();
        // odd row z
        let coefz =
            HALF + n(d - 1) * self.s0z.alpha_reverse() - (n(d - 1) * t[3].alpha() + t[4].alpha());
        let gz0 = coefz * e + b0z * (a + n(d - 2) * b) - t[3].beta();
        let gzz = coefz * f + b0z * n(d - 1) * c - t[4].beta();
        [
            n(d - 1) * g00,
            n(d - 1) * n(d - 2) * g01,
            n(d - 1) * g0z,
            n(d - 1) * gz0,
            gzz,
        ]
    }

    /// The Hessian operator over the box; None where a pair is not smooth on it.
    pub fn hessian(&self) -> Result<IntervalHessian, NonSmooth> {
        self.smoothness()?;
        let [a, b, c, e, f] = self.p;
        Ok(IntervalHessian {
            d: self.d,
            w_hat: Inv {
                diag: a / self.n0,
                off: b / self.n0,
                col: c / self.n0,
                row: e / self.nz,
                corner: f / self.nz,
            },
            students: [
                Terms::default(),
                Terms::new(&self.s01),
                Terms::new(&self.s0z),
                Terms::new(&swap(&self.s0z)),
                Terms::default(),
            ],
            teachers: [
                Terms::new(&self.t[0]),
                Terms::new(&self.t[1]),
                Terms::new(&self.t[2]),
                Terms::new(&self.t[3]),
                Terms::new(&self.t[4]),
            ],
            wrong_cross: false,
        })
    }
}

/// The same pair seen from its other row.
fn swap(p: &Pair) -> Pair {
    Pair {
        nw: p.nv,
        nv: p.nw,
        ..*p
    }
}

/// A d x d matrix invariant under Delta S_{d-1} (interval entries by orbit).
#[derive(Debug, Clone, Copy)]
struct Inv {
    diag: I,
    off: I,
    col: I,
    row: I,
    corner: I,
}

impl Inv {
    fn entry(&self, d: usize, i: usize, j: usize) -> I {
        [self.diag, self.off, self.col, self.row, self.corner][orbit(d, i, j)]
    }
    fn transpose(self) -> Inv {
        Inv {
            col: self.row,
            row: self.col,
            ..self
        }
    }
    /// out = self * x, through column sums.
    fn left_mul(&self, d: usize, x: &[I], out: &mut [I]) {
        let z = d - 1;
        let mut sums = vec![ZERO; d];
        for l in 0..z {
            for (s, &v) in sums.iter_mut().zip(&x[l * d..(l + 1) * d]) {
                *s += v;
            }
        }
        let last = &x[z * d..];
        let diff = self.diag - self.off;
        for i in 0..d {
            for j in 0..d {
                out[i * d + j] = if i < z {
                    diff * x[i * d + j] + self.off * sums[j] + self.col * last[j]
                } else {
                    self.row * sums[j] + self.corner * last[j]
                };
            }
        }
    }
    /// out = x * self, through row sums.
    fn right_mul(&self, d: usize, x: &[I], out: &mut [I]) {
        let z = d - 1;
        let diff = self.diag - self.off;
        for i in 0..d {
            let xi = &x[i * d..(i + 1) * d];
            let sum = xi[..z].iter().fold(ZERO, |acc, &v| acc + v);
            let last = xi[z];
            for j in 0..z {
                out[i * d + j] = diff * xi[j] + self.off * sum + self.row * last;
            }
            out[i * d + z] = self.col * sum + self.corner * last;
        }
    }
}

/// The scalars of d2_ww kappa and d2_wv kappa of one pair (see the kernel's `PairTerms`), with
/// 1 / lw^2 = 1 / sin^2 t and sin t / (lw lv) = 1 / sin t.
#[derive(Debug, Clone, Copy)]
struct Terms {
    ww_scale: I,
    cos: I,
    inv_lw2: I,
    wv_identity: I,
    wv_sin: I,
    wv_normal: I,
}

impl Default for Terms {
    fn default() -> Self {
        Terms {
            ww_scale: ZERO,
            cos: ZERO,
            inv_lw2: ZERO,
            wv_identity: ZERO,
            wv_sin: ZERO,
            wv_normal: ZERO,
        }
    }
}

impl Terms {
    fn new(p: &Pair) -> Terms {
        Terms {
            ww_scale: p.alpha(),
            cos: p.cos,
            inv_lw2: ONE / p.sin.sqr(),
            wv_identity: p.beta(),
            wv_sin: p.sin / I::TAU,
            wv_normal: ONE / (I::TAU * p.sin),
        }
    }
}

/// The Hessian in W of L at every W(p), p in the box, as an interval operator on d x d
/// directions.
#[derive(Debug, Clone)]
pub struct IntervalHessian {
    d: usize,
    w_hat: Inv,
    students: [Terms; 5],
    teachers: [Terms; 5],
    /// A deliberate error for tests: the normal term of d2_wv dropped (as `Formula::WrongCrossBlock`).
    wrong_cross: bool,
}

impl IntervalHessian {
    /// The same operator with the u z^T / sin t term of the student-student blocks dropped
    /// (tests and controls only).
    pub fn with_wrong_cross_block(mut self) -> Self {
        self.wrong_cross = true;
        self
    }

    /// out = H x (x, out: d x d row-major intervals), enclosing H(W(p)) x for every p in the
    /// box and every x in the given intervals.
    pub fn apply(&self, x: &[I], out: &mut [I]) {
        let d = self.d;
        assert_eq!(x.len(), d * d);
        assert_eq!(out.len(), d * d);
        // q[l d + i] = <x_l, w^_i>
        let mut q = vec![ZERO; d * d];
        self.w_hat.transpose().right_mul(d, x, &mut q);
        let mut k = vec![ZERO; d * d];
        out.fill(ZERO);
        for i in 0..d {
            let alpha = q[i * d + i];
            let mut on_x = HALF;
            let mut on_wi = ZERO;
            for l in 0..d {
                if l == i {
                    continue;
                }
                let t = &self.students[orbit(d, i, l)];
                let m = q[i * d + l] - t.cos * alpha;
                on_x += t.ww_scale;
                on_wi -= t.ww_scale * (alpha + t.cos * m * t.inv_lw2);
                let mut on_wl = t.ww_scale * m * t.inv_lw2;
                let g = q[l * d + l];
                let m2 = q[l * d + i] - t.cos * g;
                on_wi += t.wv_sin * g;
                if !self.wrong_cross {
                    on_wi -= t.cos * t.wv_normal * m2;
                    on_wl += t.wv_normal * m2;
                }
                k[i * d + l] = on_wl;
            }
            for j in 0..d {
                let t = &self.teachers[orbit(d, i, j)];
                let m = x[i * d + j] - t.cos * alpha;
                on_x -= t.ww_scale;
                on_wi += t.ww_scale * (alpha + t.cos * m * t.inv_lw2);
                out[i * d + j] -= t.ww_scale * m * t.inv_lw2;
            }
            for r in 0..d {
                out[i * d + r] += on_x * x[i * d + r] + on_wi * self.w_hat.entry(d, i, r);
            }
        }
        let mut tmp = vec![ZERO; d * d];
        let theta = Inv {
            diag: ZERO,
            off: self.students[1].wv_identity,
            col: self.students[2].wv_identity,
            row: self.students[3].wv_identity,
            corner: ZERO,
        };
        theta.left_mul(d, x, &mut tmp);
        for (o, &t) in out.iter_mut().zip(&tmp) {
            *o += t;
        }
        self.w_hat.right_mul(d, &k, &mut tmp);
        for (o, &t) in out.iter_mut().zip(&tmp) {
            *o += t;
        }
    }
}
