//! The Hessian spectrum at points with permutation symmetry, by isotypic components.
//!
//! Setting: k = d students, teacher V = I_d, unit output weights (Safran-Shamir /
//! Arjevani-Field). At a point W whose isotropy contains Delta G (G permuting students and
//! coordinates together), the Hessian H in W commutes with G, so it is block diagonal on the
//! isotypic components of M(d, d) under G. For G = S_N acting on N of the indices, the
//! components are the trivial, standard (N-1,1), (N-2,2) and (N-2,1,1) representations, with
//! multiplicities (number of copies) that do not depend on d:
//!
//! | isotropy | trivial | standard | (N-2,2) | (N-2,1,1) |
//! |---|---|---|---|---|
//! | Delta S_d (N = d): W = alpha I + beta (11^T - I) | 2 | 3 | 1 | 1 |
//! | Delta(S_{d-1} x S_1) (N = d - 1): type A | 5 | 5 | 1 | 1 |
//!
//! For each component, explicit equivariant images of one vector of the irreducible
//! representation (u = e_0 - e_1 for the standard one, a symmetrised (e_0 - e_1)(e_2 - e_3)^T
//! and a 3-cycle for the other two) span the copies; by Schur's lemma H maps their span into
//! itself, and the matrix B of H there, of size 1..5, has the eigenvalues of that component,
//! each with multiplicity dim(irrep). H is applied to those vectors in O(d^2) per product
//! ([`SymmetricHessian::apply`]): every d x d block of H is a multiple of the identity plus
//! terms in the plane of the two neurons, and every coefficient matrix involved is itself
//! invariant, so the products reduce to row and column sums. The d^2 x d^2 matrix is never
//! formed.
//!
//! Three checks come with every spectrum: how far H maps each span out of itself (the
//! invariance residual, which also proves the symmetry was there), and the trace and Frobenius
//! norm of H, computed independently from the dense representative blocks of
//! [`crate::arccos`], against sum m lambda and sum m lambda^2.

use std::f64::consts::PI;
use std::fmt;

use overparam_linalg::{LinalgError, Mat, Par, sym_eigen};

use crate::arccos::{self, Pair, norm};
use crate::type_a_point::TypeA;

/// A point with one of the two symmetries, in canonical coordinates.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum SymmetricPoint {
    /// W = alpha I + beta (11^T - I): isotropy Delta S_d.
    Diagonal { alpha: f64, beta: f64 },
    /// W = [[a I + b (11^T - I), c 1], [e 1^T, f]]: isotropy Delta(S_{d-1} x S_1).
    TypeA(TypeA),
}

impl SymmetricPoint {
    /// The same point in the type-A parameterisation (Delta S_d points are the members with
    /// c = e = b and f = a).
    pub fn as_type_a(self) -> TypeA {
        match self {
            SymmetricPoint::Diagonal { alpha, beta } => TypeA {
                a: alpha,
                b: beta,
                c: beta,
                e: beta,
                f: alpha,
            },
            SymmetricPoint::TypeA(p) => p,
        }
    }

    pub fn isotropy(self) -> Isotropy {
        match self {
            SymmetricPoint::Diagonal { .. } => Isotropy::DiagonalSd,
            SymmetricPoint::TypeA(_) => Isotropy::TypeA,
        }
    }

    /// Entry (i, r) of the canonical W.
    pub fn entry(self, d: usize, i: usize, r: usize) -> f64 {
        Invariant::from(self.as_type_a()).entry(d, i, r)
    }
}

/// The symmetry group used for the block decomposition.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Isotropy {
    /// Delta S_d: the same permutation of students and coordinates.
    DiagonalSd,
    /// Delta(S_{d-1} x S_1): the same, fixing the last student and coordinate.
    TypeA,
}

impl Isotropy {
    pub fn name(self) -> &'static str {
        match self {
            Isotropy::DiagonalSd => "Delta S_d",
            Isotropy::TypeA => "Delta(S_{d-1} x S_1)",
        }
    }

    /// Smallest d with every component present (the (N-2,2) representation needs N >= 4).
    pub fn min_dim(self) -> usize {
        match self {
            Isotropy::DiagonalSd => 4,
            Isotropy::TypeA => 5,
        }
    }
}

/// A d x d matrix invariant under simultaneous permutation of rows and columns by S_{d-1} on
/// the first d - 1 indices: [[diag I + off (11^T - I), col 1], [row 1^T, corner]].
#[derive(Debug, Clone, Copy, PartialEq)]
struct Invariant {
    diag: f64,
    off: f64,
    col: f64,
    row: f64,
    corner: f64,
}

impl From<TypeA> for Invariant {
    fn from(p: TypeA) -> Self {
        Invariant {
            diag: p.a,
            off: p.b,
            col: p.c,
            row: p.e,
            corner: p.f,
        }
    }
}

/// Which of the five orbits of S_{d-1} on index pairs (i, j) holds (i, j).
#[inline]
fn orbit(d: usize, i: usize, j: usize) -> usize {
    let z = d - 1;
    match (i == z, j == z) {
        (false, false) if i == j => 0,
        (false, false) => 1,
        (false, true) => 2,
        (true, false) => 3,
        (true, true) => 4,
    }
}

impl Invariant {
    fn entry(&self, d: usize, i: usize, j: usize) -> f64 {
        [self.diag, self.off, self.col, self.row, self.corner][orbit(d, i, j)]
    }

    fn transpose(self) -> Self {
        Invariant {
            col: self.row,
            row: self.col,
            ..self
        }
    }

    /// out = self * x (x and out d x d, row-major), in O(d^2) through column sums.
    fn left_mul(&self, d: usize, x: &[f64], out: &mut [f64]) {
        let z = d - 1;
        let mut sums = vec![0.0; d];
        for l in 0..z {
            for (s, v) in sums.iter_mut().zip(&x[l * d..(l + 1) * d]) {
                *s += v;
            }
        }
        let last = &x[z * d..];
        for i in 0..d {
            let row = &mut out[i * d..(i + 1) * d];
            let xi = &x[i * d..(i + 1) * d];
            for j in 0..d {
                row[j] = if i < z {
                    (self.diag - self.off) * xi[j] + self.off * sums[j] + self.col * last[j]
                } else {
                    self.row * sums[j] + self.corner * last[j]
                };
            }
        }
    }

    /// out = x * self, in O(d^2) through row sums.
    fn right_mul(&self, d: usize, x: &[f64], out: &mut [f64]) {
        let z = d - 1;
        for i in 0..d {
            let xi = &x[i * d..(i + 1) * d];
            let sum: f64 = xi[..z].iter().sum();
            let last = xi[z];
            let row = &mut out[i * d..(i + 1) * d];
            for j in 0..z {
                row[j] = (self.diag - self.off) * xi[j] + self.off * sum + self.row * last;
            }
            row[z] = self.col * sum + self.corner * last;
        }
    }
}

/// The scalars of the two Hessian blocks of kappa at one pair (w, v), such that for the unit
/// vectors w^, v^, c = cos t:
///
/// d2_ww kappa y = s y + w^ s (-<w^,y> - c m / lw^2) + v^ s m / lw^2,  m = <v^,y> - c <w^,y>
/// d2_wv kappa y = id y + w^ (sn g - c nn m') + v^ nn m',  g = <v^,y>, m' = <w^,y> - c g
///
/// with s = |v| sin t / (2 pi |w|), id = (pi - t)/(2 pi), sn = sin t/(2 pi),
/// nn = sin t / (2 pi lw lv), lw = |v^ - c w^|, lv = |w^ - c v^|: the expansion of
/// [`arccos::add_hess_ww`] and [`arccos::add_hess_wv`] in the basis (w^, v^). The same
/// degenerate cases apply: no terms for a zero vector, no normal terms for aligned pairs.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
struct PairTerms {
    ww_scale: f64,
    cos: f64,
    inv_lw2: f64,
    wv_identity: f64,
    wv_sin: f64,
    wv_normal: f64,
}

impl PairTerms {
    fn new(w: &[f64], v: &[f64]) -> Self {
        let Some(p) = Pair::new(w, v) else {
            return PairTerms::default();
        };
        let w_hat: Vec<f64> = w.iter().map(|x| x / p.norm_w).collect();
        let v_hat: Vec<f64> = v.iter().map(|x| x / p.norm_v).collect();
        let lw = w_hat
            .iter()
            .zip(&v_hat)
            .map(|(a, b)| (b - p.cos * a).powi(2))
            .sum::<f64>()
            .sqrt();
        let lv = w_hat
            .iter()
            .zip(&v_hat)
            .map(|(a, b)| (a - p.cos * b).powi(2))
            .sum::<f64>()
            .sqrt();
        let normals = p.sin > 0.0 && lw > 0.0 && lv > 0.0;
        let two_pi = 2.0 * PI;
        PairTerms {
            ww_scale: if normals {
                p.norm_v * p.sin / (two_pi * p.norm_w)
            } else {
                0.0
            },
            cos: p.cos,
            inv_lw2: if normals { 1.0 / (lw * lw) } else { 0.0 },
            wv_identity: (PI - p.theta) / two_pi,
            wv_sin: p.sin / two_pi,
            wv_normal: if normals {
                p.sin / (two_pi * lw * lv)
            } else {
                0.0
            },
        }
    }
}

/// Why a symmetry-adapted spectrum could not be computed.
#[derive(Debug, Clone, PartialEq)]
pub enum SymmetricError {
    /// d is below the smallest dimension of the decomposition for this isotropy.
    TooSmall { d: usize, min: usize },
    /// A parameter is NaN or infinite.
    NonFinite,
    /// H does not map a component's span into itself: the point lacks the symmetry (or the
    /// computation is wrong). `residual` is relative to the largest |eigenvalue|.
    NotInvariant { component: String, residual: f64 },
    /// The small eigenproblem failed.
    Linalg(LinalgError),
}

impl fmt::Display for SymmetricError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            SymmetricError::TooSmall { d, min } => write!(
                f,
                "the symmetry-adapted decomposition needs d >= {min}, got d = {d}"
            ),
            SymmetricError::NonFinite => write!(f, "a parameter of the point is not finite"),
            SymmetricError::NotInvariant {
                component,
                residual,
            } => write!(
                f,
                "the Hessian leaves the {component} component (relative residual {residual:.2e}): \
                 the point does not have the assumed symmetry"
            ),
            SymmetricError::Linalg(e) => e.fmt(f),
        }
    }
}

impl std::error::Error for SymmetricError {}

/// A deliberate error in the Hessian operator, for negative controls of the claims that use
/// it (the exact operator is [`HessianFault::None`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum HessianFault {
    #[default]
    None,
    /// theta in place of pi - theta in the identity part of every cross block
    /// d2_wv kappa(w_i, w_l) = ((pi - theta) I + sin theta (...)) / (2 pi): a slip in the angle
    /// convention that the global minimum cannot reveal (its student pairs are orthogonal,
    /// theta = pi / 2, where both give 1/4).
    ReflectedCrossAngle,
}

/// Largest accepted invariance residual ||H q - Q B e_q|| / max |lambda|. The products are
/// O(d) sums of O(1) terms, so rounding leaves about d eps ~ 1e-13 at d = 200; a point that
/// lacks the symmetry by a relative 1e-8 leaves residuals of that order.
pub const INVARIANCE_TOLERANCE: f64 = 1e-9;

/// The Hessian in W at a type-A-shaped point (k = d, teacher I_d, unit output weights), as an
/// operator: O(d) representative pairs instead of d^2 blocks.
#[derive(Debug, Clone)]
pub struct SymmetricHessian {
    d: usize,
    point: TypeA,
    /// W with unit rows (a zero row stays zero).
    w_hat: Invariant,
    /// d2 kappa scalars of student pairs, by orbit (orbit 0, i = l, is unused).
    students: [PairTerms; 5],
    /// d2 kappa scalars of (student i, teacher e_j), by orbit.
    teachers: [PairTerms; 5],
}

impl SymmetricHessian {
    /// The operator at the type-A-shaped point `p` (d >= 3).
    pub fn new(p: TypeA, d: usize) -> Result<Self, SymmetricError> {
        if d < 3 {
            return Err(SymmetricError::TooSmall { d, min: 3 });
        }
        if !p.to_array().iter().all(|x| x.is_finite()) {
            return Err(SymmetricError::NonFinite);
        }
        let w = Invariant::from(p);
        let z = d - 1;
        let row_of = |i: usize| -> Vec<f64> { (0..d).map(|r| w.entry(d, i, r)).collect() };
        let unit = |j: usize| -> Vec<f64> { (0..d).map(|r| f64::from(r == j)).collect() };
        let (w0, w1, wz) = (row_of(0), row_of(1), row_of(z));
        let (e0, e1, ez) = (unit(0), unit(1), unit(z));
        let inv = |x: f64| if x > 0.0 { 1.0 / x } else { 0.0 };
        let (main, odd) = (inv(norm(&w0)), inv(norm(&wz)));
        Ok(SymmetricHessian {
            d,
            point: p,
            w_hat: Invariant {
                diag: p.a * main,
                off: p.b * main,
                col: p.c * main,
                row: p.e * odd,
                corner: p.f * odd,
            },
            students: [
                PairTerms::default(),
                PairTerms::new(&w0, &w1),
                PairTerms::new(&w0, &wz),
                PairTerms::new(&wz, &w0),
                PairTerms::default(),
            ],
            teachers: [
                PairTerms::new(&w0, &e0),
                PairTerms::new(&w0, &e1),
                PairTerms::new(&w0, &ez),
                PairTerms::new(&wz, &e0),
                PairTerms::new(&wz, &ez),
            ],
        })
    }

    pub fn dim(&self) -> usize {
        self.d
    }

    /// The same operator with a deliberate error (see [`HessianFault`]); the trace and
    /// Frobenius norm of [`Self::trace_and_frobenius`] stay those of the exact Hessian.
    pub fn with_fault(mut self, fault: HessianFault) -> Self {
        match fault {
            HessianFault::None => {}
            HessianFault::ReflectedCrossAngle => {
                // (pi - theta) / (2 pi) -> theta / (2 pi) = 1/2 - (pi - theta) / (2 pi)
                for t in &mut self.students[1..4] {
                    t.wv_identity = 0.5 - t.wv_identity;
                }
            }
        }
        self
    }

    /// out = H x for a d x d direction x (row-major, row i = perturbation of student i), in
    /// O(d^2): the (i, l) terms are scalars times x_i, x_l, w^_i, w^_l or e_j, and the sums over
    /// l of the last kinds are products with invariant matrices.
    pub fn apply(&self, x: &[f64], out: &mut [f64]) {
        let d = self.d;
        assert_eq!(x.len(), d * d, "direction must be d x d");
        assert_eq!(out.len(), d * d, "output must be d x d");
        // q[l d + i] = <x_l, w^_i>
        let mut q = vec![0.0; d * d];
        self.w_hat.transpose().right_mul(d, x, &mut q);
        // k[i d + l]: coefficient of w^_l in (H x)_i
        let mut k = vec![0.0; d * d];
        out.fill(0.0);
        for i in 0..d {
            let xi = &x[i * d..(i + 1) * d];
            let alpha = q[i * d + i];
            let mut on_x = 0.5;
            let mut on_wi = 0.0;
            for l in 0..d {
                if l == i {
                    continue;
                }
                let t = &self.students[orbit(d, i, l)];
                // d2_ww kappa(w_i, w_l) x_i
                let m = q[i * d + l] - t.cos * alpha;
                on_x += t.ww_scale;
                on_wi -= t.ww_scale * (alpha + t.cos * m * t.inv_lw2);
                let mut on_wl = t.ww_scale * m * t.inv_lw2;
                // d2_wv kappa(w_i, w_l) x_l (its identity part is added below as Theta x)
                let g = q[l * d + l];
                let m2 = q[l * d + i] - t.cos * g;
                on_wi += t.wv_sin * g - t.cos * t.wv_normal * m2;
                on_wl += t.wv_normal * m2;
                k[i * d + l] = on_wl;
            }
            let out_i = &mut out[i * d..(i + 1) * d];
            // - d2_ww kappa(w_i, e_j) x_i for every teacher j
            for (j, o) in out_i.iter_mut().enumerate() {
                let t = &self.teachers[orbit(d, i, j)];
                let m = xi[j] - t.cos * alpha;
                on_x -= t.ww_scale;
                on_wi += t.ww_scale * (alpha + t.cos * m * t.inv_lw2);
                *o -= t.ww_scale * m * t.inv_lw2;
            }
            for (r, (o, &v)) in out_i.iter_mut().zip(xi).enumerate() {
                *o += on_x * v + on_wi * self.w_hat.entry(d, i, r);
            }
        }
        let mut tmp = vec![0.0; d * d];
        let theta = Invariant {
            diag: 0.0,
            off: self.students[1].wv_identity,
            col: self.students[2].wv_identity,
            row: self.students[3].wv_identity,
            corner: 0.0,
        };
        theta.left_mul(d, x, &mut tmp);
        for (o, t) in out.iter_mut().zip(&tmp) {
            *o += t;
        }
        self.w_hat.right_mul(d, &k, &mut tmp);
        for (o, t) in out.iter_mut().zip(&tmp) {
            *o += t;
        }
    }

    /// Trace and Frobenius norm of H from its distinct dense d x d blocks (built by
    /// [`arccos::add_hess_ww`] / [`arccos::add_hess_wv`], independently of [`Self::apply`]):
    /// two diagonal blocks and three off-diagonal ones, weighted by their orbit sizes.
    pub fn trace_and_frobenius(&self) -> (f64, f64) {
        let d = self.d;
        let z = d - 1;
        let n = (d - 1) as f64;
        let w = Invariant::from(self.point);
        let row_of = |i: usize| -> Vec<f64> { (0..d).map(|r| w.entry(d, i, r)).collect() };
        let unit = |j: usize| -> Vec<f64> { (0..d).map(|r| f64::from(r == j)).collect() };
        let rows: Vec<Vec<f64>> = (0..d).map(row_of).collect();
        let diagonal_block = |i: usize| -> Vec<f64> {
            let mut b = vec![0.0; d * d];
            for r in 0..d {
                b[r * d + r] = 0.5;
            }
            for (l, wl) in rows.iter().enumerate() {
                if l != i {
                    arccos::add_hess_ww(&rows[i], wl, 1.0, &mut b, d);
                }
                arccos::add_hess_ww(&rows[i], &unit(l), -1.0, &mut b, d);
            }
            b
        };
        let off_block = |i: usize, l: usize| -> Vec<f64> {
            let mut b = vec![0.0; d * d];
            arccos::add_hess_wv(&rows[i], &rows[l], 1.0, &mut b, d);
            b
        };
        let trace = |b: &[f64]| (0..d).map(|r| b[r * d + r]).sum::<f64>();
        let sq = |b: &[f64]| b.iter().map(|x| x * x).sum::<f64>();
        let (main, odd) = (diagonal_block(0), diagonal_block(z));
        let tr = n * trace(&main) + trace(&odd);
        let fro2 = n * sq(&main)
            + sq(&odd)
            + n * (n - 1.0) * sq(&off_block(0, 1))
            + n * sq(&off_block(0, z))
            + n * sq(&off_block(z, 0));
        (tr, fro2.sqrt())
    }
}

/// One isotypic component: the eigenvalues of H on it, each with multiplicity `multiplicity`.
#[derive(Debug, Clone, PartialEq)]
pub struct IsotypicBlock {
    /// "trivial", "standard", "two-row" or "hook".
    pub component: &'static str,
    /// The irreducible representation as a partition of N, e.g. "(199,1)".
    pub partition: String,
    /// Dimension of the irreducible representation.
    pub multiplicity: usize,
    /// Eigenvalues of the block (one per copy), ascending.
    pub eigenvalues: Vec<f64>,
}

/// The full Hessian spectrum as blocks with multiplicities, with its checks.
#[derive(Debug, Clone)]
pub struct SymmetricSpectrum {
    pub d: usize,
    pub isotropy: Isotropy,
    pub blocks: Vec<IsotypicBlock>,
    /// max over the basis vectors q of ||H q - Q B e_q|| / max |lambda|.
    pub invariance_residual: f64,
    /// max over blocks of the small eigendecompositions' reconstruction residual.
    pub block_residual: f64,
    /// |sum m lambda - tr H| / ||H||_F, with tr H and ||H||_F from the dense blocks.
    pub trace_error: f64,
    /// |sqrt(sum m lambda^2) - ||H||_F| / ||H||_F.
    pub frobenius_error: f64,
}

impl SymmetricSpectrum {
    /// (eigenvalue, multiplicity), ascending by eigenvalue; equal values from different blocks
    /// are not merged. The multiplicities sum to d^2.
    pub fn pairs(&self) -> Vec<(f64, usize)> {
        let mut v: Vec<(f64, usize)> = self
            .blocks
            .iter()
            .flat_map(|b| b.eigenvalues.iter().map(move |&x| (x, b.multiplicity)))
            .collect();
        v.sort_by(|a, b| a.0.total_cmp(&b.0));
        v
    }

    /// All d^2 eigenvalues, ascending.
    pub fn expanded(&self) -> Vec<f64> {
        self.pairs()
            .into_iter()
            .flat_map(|(x, m)| std::iter::repeat_n(x, m))
            .collect()
    }

    pub fn lambda_min(&self) -> f64 {
        self.pairs().first().map_or(f64::NAN, |p| p.0)
    }

    pub fn lambda_max(&self) -> f64 {
        self.pairs().last().map_or(f64::NAN, |p| p.0)
    }

    /// Number of eigenvalues (with multiplicity) above `level`.
    pub fn count_above(&self, level: f64) -> usize {
        self.pairs()
            .iter()
            .filter(|p| p.0 > level)
            .map(|p| p.1)
            .sum()
    }
}

/// The spanning vectors of one component and the dimension of its irreducible representation.
struct Component {
    name: &'static str,
    partition: String,
    multiplicity: usize,
    vectors: Vec<Vec<f64>>,
}

/// Equivariant images of one vector of each irreducible representation of S_N acting on the
/// first N indices (together with the fixed index d - 1 when N = d - 1).
fn components(isotropy: Isotropy, d: usize) -> Vec<Component> {
    let n = match isotropy {
        Isotropy::DiagonalSd => d,
        Isotropy::TypeA => d - 1,
    };
    let z = d - 1;
    let matrix = |f: &dyn Fn(usize, usize) -> f64| -> Vec<f64> {
        (0..d * d).map(|idx| f(idx / d, idx % d)).collect()
    };
    let main = |i: usize| i < n;
    // u = e_0 - e_1, a vector of the standard representation
    let u = |i: usize| match i {
        0 => 1.0,
        1 => -1.0,
        _ => 0.0,
    };
    let mut trivial = vec![
        matrix(&|i, r| f64::from(main(i) && i == r)),
        matrix(&|i, r| f64::from(main(i) && main(r) && i != r)),
    ];
    let mut standard = vec![
        matrix(&|i, r| if main(r) { u(i) } else { 0.0 }),
        matrix(&|i, r| if main(i) { u(r) } else { 0.0 }),
        matrix(&|i, r| if i == r { u(i) } else { 0.0 }),
    ];
    if isotropy == Isotropy::TypeA {
        trivial.push(matrix(&|i, r| f64::from(main(i) && r == z)));
        trivial.push(matrix(&|i, r| f64::from(i == z && main(r))));
        trivial.push(matrix(&|i, r| f64::from(i == z && r == z)));
        standard.push(matrix(&|i, r| if r == z { u(i) } else { 0.0 }));
        standard.push(matrix(&|i, r| if i == z { u(r) } else { 0.0 }));
    }
    // (e_0 - e_1)(e_2 - e_3)^T + its transpose: symmetric, zero diagonal, zero row sums.
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
    let two_row = matrix(&|i, r| pm(i, r) + pm(r, i));
    // the 3-cycle 0 -> 1 -> 2 -> 0 minus its transpose: antisymmetric, zero row sums.
    let cycle = |i: usize, r: usize| f64::from(i < 3 && r == (i + 1) % 3);
    let hook = matrix(&|i, r| cycle(i, r) - cycle(r, i));
    vec![
        Component {
            name: "trivial",
            partition: format!("({n})"),
            multiplicity: 1,
            vectors: trivial,
        },
        Component {
            name: "standard",
            partition: format!("({},1)", n - 1),
            multiplicity: n - 1,
            vectors: standard,
        },
        Component {
            name: "two-row",
            partition: format!("({},2)", n - 2),
            multiplicity: n * (n - 3) / 2,
            vectors: vec![two_row],
        },
        Component {
            name: "hook",
            partition: format!("({},1,1)", n - 2),
            multiplicity: (n - 1) * (n - 2) / 2,
            vectors: vec![hook],
        },
    ]
}

fn dot(a: &[f64], b: &[f64]) -> f64 {
    a.iter().zip(b).map(|(x, y)| x * y).sum()
}

/// Modified Gram-Schmidt, twice (the spanning vectors are exactly independent by construction).
fn orthonormalise(vectors: &mut [Vec<f64>]) {
    for j in 0..vectors.len() {
        for _ in 0..2 {
            for i in 0..j {
                let c = dot(&vectors[i], &vectors[j]);
                let (head, tail) = vectors.split_at_mut(j);
                for (x, y) in tail[0].iter_mut().zip(&head[i]) {
                    *x -= c * y;
                }
            }
        }
        let len = norm(&vectors[j]);
        for x in vectors[j].iter_mut() {
            *x /= len;
        }
    }
}

/// The full Hessian spectrum at a symmetric point, block by block: a few O(d^2) products and
/// eigenproblems of size at most 5.
pub fn symmetric_spectrum(
    point: SymmetricPoint,
    d: usize,
) -> Result<SymmetricSpectrum, SymmetricError> {
    symmetric_spectrum_with_fault(point, d, HessianFault::None)
}

/// [`symmetric_spectrum`] of the operator with a deliberate error (negative controls). The
/// trace and Frobenius errors then measure how far the faulty spectrum is from the exact
/// Hessian's invariants.
pub fn symmetric_spectrum_with_fault(
    point: SymmetricPoint,
    d: usize,
    fault: HessianFault,
) -> Result<SymmetricSpectrum, SymmetricError> {
    let isotropy = point.isotropy();
    if d < isotropy.min_dim() {
        return Err(SymmetricError::TooSmall {
            d,
            min: isotropy.min_dim(),
        });
    }
    let h = SymmetricHessian::new(point.as_type_a(), d)?.with_fault(fault);
    let mut blocks = Vec::new();
    let mut out_of_span = Vec::new();
    let mut block_residual = 0.0f64;
    let mut image = vec![0.0; d * d];
    for mut c in components(isotropy, d) {
        orthonormalise(&mut c.vectors);
        let m = c.vectors.len();
        let mut b = Mat::<f64>::zeros(m, m);
        let mut worst = 0.0f64;
        for k in 0..m {
            h.apply(&c.vectors[k], &mut image);
            for j in 0..m {
                b[(j, k)] = dot(&c.vectors[j], &image);
            }
            for j in 0..m {
                let coeff = b[(j, k)];
                for (y, q) in image.iter_mut().zip(&c.vectors[j]) {
                    *y -= coeff * q;
                }
            }
            worst = worst.max(norm(&image));
        }
        let sym = Mat::from_fn(m, m, |r, s| 0.5 * (b[(r, s)] + b[(s, r)]));
        let eig = sym_eigen(sym.as_ref(), Par::Seq).map_err(SymmetricError::Linalg)?;
        block_residual = block_residual.max(eig.residual);
        out_of_span.push((c.name, worst));
        blocks.push(IsotypicBlock {
            component: c.name,
            partition: c.partition,
            multiplicity: c.multiplicity,
            eigenvalues: eig.values,
        });
    }
    let scale = blocks
        .iter()
        .flat_map(|b| b.eigenvalues.iter())
        .fold(0.0f64, |m, x| m.max(x.abs()));
    let mut invariance_residual = 0.0f64;
    for (name, r) in out_of_span {
        let rel = if scale > 0.0 { r / scale } else { r };
        if rel.is_nan() || rel > INVARIANCE_TOLERANCE {
            return Err(SymmetricError::NotInvariant {
                component: name.to_owned(),
                residual: rel,
            });
        }
        invariance_residual = invariance_residual.max(rel);
    }
    let (tr, fro) = h.trace_and_frobenius();
    let (sum, sum_sq) = blocks.iter().fold((0.0, 0.0), |(s, q), b| {
        let m = b.multiplicity as f64;
        (
            s + m * b.eigenvalues.iter().sum::<f64>(),
            q + m * b.eigenvalues.iter().map(|x| x * x).sum::<f64>(),
        )
    });
    let rel = |x: f64| if fro > 0.0 { x / fro } else { x };
    Ok(SymmetricSpectrum {
        d,
        isotropy,
        blocks,
        invariance_residual,
        block_residual,
        trace_error: rel((sum - tr).abs()),
        frobenius_error: rel((sum_sq.sqrt() - fro).abs()),
    })
}

/// The reduced Hessian T^T H T of the type-A family, with T = dW/d(a, b, c, e, f) (the
/// unnormalised trivial vectors): the Jacobian of the reduced gradient, in O(d^2).
pub fn type_a_reduced_hessian(p: TypeA, d: usize) -> Result<Mat<f64>, SymmetricError> {
    let h = SymmetricHessian::new(p, d)?;
    let basis: Vec<Vec<f64>> = (0..5)
        .map(|k| {
            (0..d * d)
                .map(|idx| f64::from(orbit(d, idx / d, idx % d) == k))
                .collect()
        })
        .collect();
    let mut image = vec![0.0; d * d];
    let mut jac = Mat::<f64>::zeros(5, 5);
    for (k, t) in basis.iter().enumerate() {
        h.apply(t, &mut image);
        for (j, s) in basis.iter().enumerate() {
            jac[(j, k)] = dot(s, &image);
        }
    }
    Ok(jac)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn invariant_products_match_the_dense_product() {
        let d = 5;
        let m = Invariant {
            diag: 1.5,
            off: -0.3,
            col: 0.7,
            row: 2.0,
            corner: -1.1,
        };
        let x: Vec<f64> = (0..d * d).map(|i| (i as f64 * 0.37).sin()).collect();
        let dense = |i: usize, j: usize| m.entry(d, i, j);
        let (mut left, mut right) = (vec![0.0; d * d], vec![0.0; d * d]);
        m.left_mul(d, &x, &mut left);
        m.right_mul(d, &x, &mut right);
        for i in 0..d {
            for j in 0..d {
                let l: f64 = (0..d).map(|t| dense(i, t) * x[t * d + j]).sum();
                let r: f64 = (0..d).map(|t| x[i * d + t] * dense(t, j)).sum();
                assert!((left[i * d + j] - l).abs() < 1e-14);
                assert!((right[i * d + j] - r).abs() < 1e-14);
            }
        }
    }

    #[test]
    fn components_have_the_right_total_dimension_and_symmetries() {
        for (iso, d) in [(Isotropy::DiagonalSd, 4), (Isotropy::TypeA, 9)] {
            let c = components(iso, d);
            let total: usize = c.iter().map(|c| c.multiplicity * c.vectors.len()).sum();
            assert_eq!(total, d * d);
            let hook = &c[3].vectors[0];
            let two = &c[2].vectors[0];
            for i in 0..d {
                assert_eq!(hook.iter().skip(i * d).take(d).sum::<f64>(), 0.0);
                assert_eq!(two.iter().skip(i * d).take(d).sum::<f64>(), 0.0);
                for r in 0..d {
                    assert_eq!(hook[i * d + r], -hook[r * d + i]);
                    assert_eq!(two[i * d + r], two[r * d + i]);
                }
            }
        }
    }

    /// The reflected cross angle is invisible at the global minimum (orthogonal students: theta =
    /// pi / 2 gives 1/4 either way) and visible at a point whose students are not orthogonal.
    #[test]
    fn reflected_cross_angle_is_invisible_at_the_global_minimum_only() {
        let global = SymmetricPoint::Diagonal {
            alpha: 1.0,
            beta: 0.0,
        };
        let skewed = SymmetricPoint::Diagonal {
            alpha: 1.0,
            beta: 0.2,
        };
        for (point, differs) in [(global, false), (skewed, true)] {
            let exact = symmetric_spectrum(point, 6).unwrap().expanded();
            let faulty = symmetric_spectrum_with_fault(point, 6, HessianFault::ReflectedCrossAngle)
                .unwrap()
                .expanded();
            let gap = exact
                .iter()
                .zip(&faulty)
                .map(|(a, b)| (a - b).abs())
                .fold(0.0f64, f64::max);
            assert_eq!(gap > 1e-3, differs, "{point:?}: {gap}");
            if !differs {
                assert!(gap < 1e-13, "{gap}");
            }
        }
    }

    #[test]
    fn too_small_dimensions_are_refused() {
        let p = SymmetricPoint::Diagonal {
            alpha: 1.0,
            beta: 0.0,
        };
        assert!(matches!(
            symmetric_spectrum(p, 3),
            Err(SymmetricError::TooSmall { min: 4, .. })
        ));
    }
}
