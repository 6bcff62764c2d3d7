//! Gaussian population loss of a two-layer ReLU teacher-student pair, in closed form.
//!
//! L(a, W) = 1/2 E_{x ~ N(0, I_d)} [ (sum_i a_i relu(w_i.x) - sum_j b_j relu(v_j.x))^2 ]
//!         = 1/2 a^T K(W, W) a - a^T K(W, V) b + 1/2 b^T K(V, V) b,
//! with K(U, Z)_ij = kappa(u_i, z_j) the arc-cosine kernel ([`crate::arccos`]).
//!
//! Evaluating the loss and gradient costs O(k (k + m) d) and allocates nothing once a
//! [`LossGradient`] buffer exists, so that long gradient-descent runs stay in cache.

use std::fmt;

use overparam_linalg::Mat;
use rand::Rng;
use rand_distr::{Distribution, StandardNormal};

#[cfg(doc)]
use crate::arccos::Pair;
use crate::arccos::{self, norm};

mod angle;
mod body;
#[cfg(test)]
mod reference;
mod simd;
use simd::evaluate_fn;
pub use simd::evaluate_simd_path;

/// A two-layer ReLU network x -> sum_i a_i relu(w_i . x): output weights `a` (length k) and
/// first-layer weights `w` (k x d, row-major).
#[derive(Debug, Clone, PartialEq)]
pub struct TwoLayerNet {
    d: usize,
    a: Vec<f64>,
    w: Vec<f64>,
}

/// Why a network could not be built from the given numbers.
#[derive(Debug, Clone, PartialEq)]
pub enum ShapeError {
    /// No neurons, or zero input dimension.
    Empty,
    /// Row `row` has `got` entries where `expected` were required.
    RaggedRow {
        row: usize,
        got: usize,
        expected: usize,
    },
    /// `a` has `got` entries for `expected` neurons.
    OutputWeights { got: usize, expected: usize },
    /// A weight is NaN or infinite.
    NonFinite { row: usize, col: usize },
    /// Teacher and student live in different input dimensions.
    DimensionMismatch { teacher: usize, student: usize },
}

impl fmt::Display for ShapeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ShapeError::Empty => write!(f, "a network needs at least one neuron and d >= 1"),
            ShapeError::RaggedRow { row, got, expected } => write!(
                f,
                "row {row} has {got} entries, expected {expected} (the first row's length)"
            ),
            ShapeError::OutputWeights { got, expected } => {
                write!(f, "{got} output weights for {expected} neurons")
            }
            ShapeError::NonFinite { row, col } => {
                write!(
                    f,
                    "weight at row {row}, column {col} is not a finite number"
                )
            }
            ShapeError::DimensionMismatch { teacher, student } => write!(
                f,
                "teacher has input dimension {teacher}, student has {student}"
            ),
        }
    }
}

impl std::error::Error for ShapeError {}

/// Why [`PopulationLoss::try_hessian_w`] returned no matrix.
#[derive(Debug, Clone, PartialEq)]
pub enum HessianError {
    Shape(ShapeError),
    /// The dense buffer of this many bytes could not be allocated.
    OutOfMemory {
        bytes: u128,
    },
}

impl fmt::Display for HessianError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            HessianError::Shape(e) => e.fmt(f),
            HessianError::OutOfMemory { bytes } => write!(
                f,
                "cannot allocate the dense Hessian ({:.3} GiB)",
                *bytes as f64 / (1u64 << 30) as f64
            ),
        }
    }
}

impl std::error::Error for HessianError {}

impl TwoLayerNet {
    /// From output weights and rows of first-layer weights.
    pub fn new(a: Vec<f64>, rows: &[Vec<f64>]) -> Result<Self, ShapeError> {
        let d = rows.first().map_or(0, |r| r.len());
        if rows.is_empty() || d == 0 {
            return Err(ShapeError::Empty);
        }
        for (row, r) in rows.iter().enumerate() {
            if r.len() != d {
                return Err(ShapeError::RaggedRow {
                    row,
                    got: r.len(),
                    expected: d,
                });
            }
        }
        Self::from_flat(d, a, rows.concat())
    }

    /// From output weights and a row-major k x d weight buffer.
    pub fn from_flat(d: usize, a: Vec<f64>, w: Vec<f64>) -> Result<Self, ShapeError> {
        if d == 0 || a.is_empty() {
            return Err(ShapeError::Empty);
        }
        let k = a.len();
        if !w.len().is_multiple_of(d) {
            return Err(ShapeError::RaggedRow {
                row: w.len() / d,
                got: w.len() % d,
                expected: d,
            });
        }
        if w.len() != k * d {
            return Err(ShapeError::OutputWeights {
                got: k,
                expected: w.len() / d,
            });
        }
        for (i, x) in w.iter().enumerate() {
            if !x.is_finite() {
                return Err(ShapeError::NonFinite {
                    row: i / d,
                    col: i % d,
                });
            }
        }
        if let Some(i) = a.iter().position(|x| !x.is_finite()) {
            return Err(ShapeError::NonFinite { row: i, col: d });
        }
        Ok(TwoLayerNet { d, a, w })
    }

    /// The network with W = I_d and unit output weights (k = d): the teacher of the
    /// Safran-Shamir / Arjevani-Field setting.
    pub fn identity(d: usize) -> Self {
        let mut w = vec![0.0; d * d];
        for i in 0..d {
            w[i * d + i] = 1.0;
        }
        TwoLayerNet {
            d,
            a: vec![1.0; d],
            w,
        }
    }

    /// Input dimension d.
    pub fn dim(&self) -> usize {
        self.d
    }
    /// Number of hidden neurons k.
    pub fn width(&self) -> usize {
        self.a.len()
    }
    /// Output weights.
    pub fn a(&self) -> &[f64] {
        &self.a
    }
    /// Output weights, mutable.
    pub fn a_mut(&mut self) -> &mut [f64] {
        &mut self.a
    }
    /// First-layer weights, row-major k x d.
    pub fn w(&self) -> &[f64] {
        &self.w
    }
    /// First-layer weights, mutable.
    pub fn w_mut(&mut self) -> &mut [f64] {
        &mut self.w
    }
    /// Weight vector of neuron i.
    pub fn neuron(&self, i: usize) -> &[f64] {
        &self.w[i * self.d..(i + 1) * self.d]
    }

    /// The network's output at x.
    pub fn output(&self, x: &[f64]) -> f64 {
        (0..self.width())
            .map(|i| {
                let z: f64 = self.neuron(i).iter().zip(x).map(|(p, q)| p * q).sum();
                self.a[i] * z.max(0.0)
            })
            .sum()
    }
}

/// Rows of `w` (row-major, `d` columns) times 1 / their norm into `units`; zero rows give zero.
fn unit_rows_into(w: &[f64], d: usize, norms: &[f64], units: &mut [f64]) {
    for (i, &n) in norms.iter().enumerate() {
        let (src, dst) = (&w[i * d..(i + 1) * d], &mut units[i * d..(i + 1) * d]);
        if n > 0.0 {
            let inv = 1.0 / n;
            for (u, &x) in dst.iter_mut().zip(src) {
                *u = x * inv;
            }
        } else {
            dst.fill(0.0);
        }
    }
}

/// Which terms of the student-student kernel sum are kept.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum KernelTerms {
    /// The true loss.
    Exact,
    /// A deliberately wrong model that drops the self-terms 1/2 a_i^2 kappa(w_i, w_i) from the
    /// loss (and hence a_i^2 w_i / 2 from the gradient and a_i^2 I / 2 from the Hessian). It
    /// exists only to serve as a negative control: checks built on it must fail.
    WithoutSelfTerm,
}

/// Loss and gradient buffers, reused across evaluations (no allocation in the hot loop).
#[derive(Debug, Clone)]
pub struct LossGradient {
    pub loss: f64,
    /// dL/da, length k.
    pub grad_a: Vec<f64>,
    /// dL/dW, row-major k x d.
    pub grad_w: Vec<f64>,
    /// |w_i|, then LANES zeros (the per-neuron buffers are padded so that every block of
    /// partners is whole).
    norms: Vec<f64>,
    /// 1 / |w_i| (0 for a zero neuron), then LANES zeros.
    inv_norms: Vec<f64>,
    /// a, then LANES zeros.
    a_pad: Vec<f64>,
    /// dL/da being summed, then LANES entries of slack.
    grad_a_pad: Vec<f64>,
    /// Unit vectors w_i * (1 / |w_i|), row-major k x d (zero rows for zero neurons).
    units: Vec<f64>,
    /// The same, transposed (d rows of `units_stride` = k + LANES - 1 entries, the columns
    /// past k zero, so that every block of partners is whole).
    units_t: Vec<f64>,
    units_stride: usize,
    /// The weights and dL/dW being summed, rows padded with zeros to `coords`, d rounded up to
    /// whole blocks of gradient coordinates.
    w_pad: Vec<f64>,
    grad_pad: Vec<f64>,
    coords: usize,
    /// Per pair (student pairs i < l row by row, LANES entries of slack, the student-teacher
    /// pairs, LANES more; sized on first use, `body::pair_layout`): |u_i - u_l|^2 and
    /// |u_i + u_l|^2, then sin t and cos t, and the angle t; then the kernel value, the self
    /// coefficient it adds to w_i and its gradient coefficient.
    minus: Vec<f64>,
    plus: Vec<f64>,
    theta: Vec<f64>,
    kap: Vec<f64>,
    cself: Vec<f64>,
    coeff: Vec<f64>,
    /// The coefficient of w_i in dL/dw_i being summed, then LANES entries of slack.
    self_coeff: Vec<f64>,
}

impl LossGradient {
    pub fn new(k: usize, d: usize) -> Self {
        let coords = d.div_ceil(body::COORDS) * body::COORDS;
        LossGradient {
            loss: 0.0,
            grad_a: vec![0.0; k],
            grad_w: vec![0.0; k * d],
            norms: vec![0.0; k + body::LANES],
            inv_norms: vec![0.0; k + body::LANES],
            a_pad: vec![0.0; k + body::LANES],
            grad_a_pad: vec![0.0; k + body::LANES],
            units: vec![0.0; k * d],
            units_t: vec![0.0; d * (k + body::LANES - 1)],
            units_stride: k + body::LANES - 1,
            w_pad: vec![0.0; k * coords],
            grad_pad: vec![0.0; k * coords],
            coords,
            minus: Vec::new(),
            plus: Vec::new(),
            theta: Vec::new(),
            kap: Vec::new(),
            cself: Vec::new(),
            coeff: Vec::new(),
            self_coeff: vec![0.0; k + body::LANES],
        }
    }

    /// Euclidean norm of the full gradient (a and W together).
    pub fn norm(&self) -> f64 {
        self.grad_a
            .iter()
            .chain(&self.grad_w)
            .map(|g| g * g)
            .sum::<f64>()
            .sqrt()
    }

    /// Euclidean norm of the W part of the gradient.
    pub fn norm_w(&self) -> f64 {
        norm(&self.grad_w)
    }
}

/// The population loss against a fixed teacher.
#[derive(Debug, Clone)]
pub struct PopulationLoss {
    teacher: TwoLayerNet,
    /// b and |v_j|, padded with zeros to `teacher_stride` entries.
    teacher_a_pad: Vec<f64>,
    teacher_norms_pad: Vec<f64>,
    /// Teacher unit vectors v_j * (1 / |v_j|), transposed (d rows of `teacher_stride` = m
    /// rounded up to whole blocks of partners, the columns past m zero).
    teacher_units_t: Vec<f64>,
    teacher_stride: usize,
    /// Teacher weights, rows padded with zeros to d rounded up to whole gradient blocks.
    teacher_pad: Vec<f64>,
    /// 1/2 b^T K(V, V) b, the loss at the zero network.
    teacher_energy: f64,
    terms: KernelTerms,
}

impl PopulationLoss {
    /// The exact population loss against `teacher`.
    pub fn new(teacher: TwoLayerNet) -> Self {
        let m = teacher.width();
        let teacher_norms: Vec<f64> = (0..m).map(|j| norm(teacher.neuron(j))).collect();
        let mut teacher_units = vec![0.0; teacher.w().len()];
        unit_rows_into(
            teacher.w(),
            teacher.dim(),
            &teacher_norms,
            &mut teacher_units,
        );
        let mut energy = 0.0;
        for j in 0..m {
            for q in 0..m {
                energy += teacher.a[j]
                    * teacher.a[q]
                    * arccos::kernel(teacher.neuron(j), teacher.neuron(q));
            }
        }
        Self::with_energy(teacher, teacher_norms, &teacher_units, 0.5 * energy)
    }

    /// The loss from the teacher, its norms, its unit vectors (row-major) and its energy.
    fn with_energy(
        teacher: TwoLayerNet,
        teacher_norms: Vec<f64>,
        teacher_units: &[f64],
        teacher_energy: f64,
    ) -> Self {
        let (m, d) = (teacher.width(), teacher.dim());
        let stride = m.div_ceil(body::LANES) * body::LANES;
        let mut teacher_units_t = vec![0.0; d * stride];
        for j in 0..m {
            for r in 0..d {
                teacher_units_t[r * stride + j] = teacher_units[j * d + r];
            }
        }
        let coords = d.div_ceil(body::COORDS) * body::COORDS;
        let mut teacher_pad = vec![0.0; m * coords];
        for j in 0..m {
            teacher_pad[j * coords..j * coords + d].copy_from_slice(teacher.neuron(j));
        }
        let mut teacher_a_pad = teacher.a.clone();
        teacher_a_pad.resize(stride, 0.0);
        let mut teacher_norms_pad = teacher_norms;
        teacher_norms_pad.resize(stride, 0.0);
        PopulationLoss {
            teacher,
            teacher_a_pad,
            teacher_norms_pad,
            teacher_units_t,
            teacher_stride: stride,
            teacher_pad,
            teacher_energy,
            terms: KernelTerms::Exact,
        }
    }

    /// The exact loss against teacher I_d, with the teacher energy 1/2 b^T K(V, V) b in closed
    /// form, d / 4 + d (d - 1) / (4 pi) (kappa(e_j, e_j) = 1/2, kappa(e_j, e_q) = 1 / (2 pi)),
    /// instead of the O(d^3) double sum of [`PopulationLoss::new`]. Gradients and Hessians are
    /// identical to `new(TwoLayerNet::identity(d))`; the loss value may differ in the last bits
    /// (the claims keep `new`, so their evidence does not move).
    pub fn identity_teacher(d: usize) -> Self {
        let teacher = TwoLayerNet::identity(d);
        let units = teacher.w().to_vec();
        let df = d as f64;
        let energy = 0.5 * (0.5 * df + df * (df - 1.0) / (2.0 * std::f64::consts::PI));
        Self::with_energy(teacher, vec![1.0; d], &units, energy)
    }

    /// The same loss with a different choice of kernel terms (see [`KernelTerms`]).
    pub fn with_terms(mut self, terms: KernelTerms) -> Self {
        self.terms = terms;
        self
    }

    pub fn teacher(&self) -> &TwoLayerNet {
        &self.teacher
    }

    pub fn terms(&self) -> KernelTerms {
        self.terms
    }

    fn check_dims(&self, s: &TwoLayerNet) -> Result<(), ShapeError> {
        if s.dim() != self.teacher.dim() {
            return Err(ShapeError::DimensionMismatch {
                teacher: self.teacher.dim(),
                student: s.dim(),
            });
        }
        Ok(())
    }

    /// L(a, W).
    pub fn loss(&self, s: &TwoLayerNet) -> Result<f64, ShapeError> {
        let mut out = LossGradient::new(s.width(), s.dim());
        self.evaluate(s, &mut out)?;
        Ok(out.loss)
    }

    /// Loss and gradient in (a, W) into `out` (allocation-free after the first call; `out` must
    /// be sized for `s`).
    ///
    /// Three passes per evaluation: (1) norms, 1 / norms and unit vectors, and the squared
    /// distances |u_i - u_l|^2, |u_i + u_l|^2 of every student-student pair (l > i) and every
    /// student-teacher pair, summed for up to 32 partners of one neuron at once (each still over
    /// coordinates in order, the sums of [`Pair::with_norms`]); (2) one flat loop over all pairs
    /// turning the sums into the angle, sin t and cos t with one square root and one division
    /// (`population/angle.rs`: fdlibm's atan, written without branches so that the loop
    /// vectorises, on the tangent of the half angle; within 3 ulps of 2 atan2(sqrt(minus),
    /// sqrt(plus)) by libm, tested); (3) the kernel values and gradient coefficients per pair in
    /// whole vector blocks, with 1 / (2 pi) and 1 / |w| as multiplications, neuron by neuron,
    /// each per-neuron sum and dL/dw_i held in registers (`population/body.rs`; the numbers are
    /// those of the earlier row-by-row body, `population/reference.rs`, which the tests keep as
    /// the oracle: bit for bit with the same angles, within 64 eps of each number's scale with
    /// the two-root angles it had). Against pair-by-pair evaluation with `f64::atan2` and
    /// divisions the results move at rounding level only (the property tests in
    /// `tests/population_properties.rs` bound the difference and compare the gradient with
    /// finite differences).
    pub fn evaluate(&self, s: &TwoLayerNet, out: &mut LossGradient) -> Result<(), ShapeError> {
        self.evaluate_with::<true>(s, out)
    }

    /// The gradient of [`PopulationLoss::evaluate`] alone, bit for bit, without summing the
    /// loss (its k (k + 1) / 2 + k m terms are one dependency chain, about a tenth of an
    /// evaluation at k = d = 10): `out.loss` is left NaN. Gradient descent uses it on the steps
    /// whose loss is neither recorded nor tested.
    pub fn evaluate_gradient(
        &self,
        s: &TwoLayerNet,
        out: &mut LossGradient,
    ) -> Result<(), ShapeError> {
        self.evaluate_with::<false>(s, out)
    }

    /// The shape checks and the evaluation both public entry points share; `LOSS` says whether
    /// the loss is summed.
    fn evaluate_with<const LOSS: bool>(
        &self,
        s: &TwoLayerNet,
        out: &mut LossGradient,
    ) -> Result<(), ShapeError> {
        self.check_dims(s)?;
        assert_eq!(
            out.grad_a.len(),
            s.width(),
            "LossGradient sized for another width"
        );
        self.size_pair_buffers(s, out);
        (evaluate_fn::<LOSS>())(self, s, out);
        Ok(())
    }

    /// The per-pair buffers of `out` sized for `s` (allocation on first use only).
    fn size_pair_buffers(&self, s: &TwoLayerNet, out: &mut LossGradient) {
        let (_, total) = body::pair_layout(s.width(), self.teacher.width());
        if out.minus.len() != total {
            for buffer in [
                &mut out.minus,
                &mut out.plus,
                &mut out.theta,
                &mut out.kap,
                &mut out.cself,
                &mut out.coeff,
            ] {
                buffer.resize(total, 0.0);
            }
        }
    }

    /// The exact Hessian of L in W (output weights held fixed): a (k d) x (k d) matrix whose
    /// (i, l) block is d^2 L / dw_i dw_l^T.
    ///
    /// H_ii = a_i^2 I / 2 + sum_{l != i} a_i a_l d2_ww kappa(w_i, w_l) - sum_j a_i b_j d2_ww kappa(w_i, v_j)
    /// H_il = a_i a_l d2_wv kappa(w_i, w_l)   (i != l)
    pub fn hessian_w(&self, s: &TwoLayerNet) -> Result<Mat<f64>, ShapeError> {
        self.check_dims(s)?;
        let n = s.width() * s.dim();
        let mut h = vec![0.0; n * n];
        self.fill_hessian_w(s, &mut h);
        Ok(Mat::from_fn(n, n, |r, c| h[r * n + c]))
    }

    /// [`PopulationLoss::hessian_w`] (the same numbers, bit for bit) with its n^2 row-major
    /// buffer allocated fallibly: a size that cannot be allocated is an error, not an abort.
    /// The final faer matrix (another n^2) is allocated by faer, which aborts on failure;
    /// callers that take user sizes probe the whole workspace first
    /// ([`crate::critical::probe_allocation`]).
    pub fn try_hessian_w(&self, s: &TwoLayerNet) -> Result<Mat<f64>, HessianError> {
        self.check_dims(s).map_err(HessianError::Shape)?;
        let n = s.width() * s.dim();
        let entries = n.checked_mul(n).ok_or(HessianError::OutOfMemory {
            bytes: n as u128 * n as u128 * 8,
        })?;
        let mut h: Vec<f64> = Vec::new();
        h.try_reserve_exact(entries)
            .map_err(|_| HessianError::OutOfMemory {
                bytes: entries as u128 * 8,
            })?;
        h.resize(entries, 0.0);
        self.fill_hessian_w(s, &mut h);
        Ok(Mat::from_fn(n, n, |r, c| h[r * n + c]))
    }

    /// Adds the Hessian in W into the zeroed row-major n x n buffer `h` (n = k d); the one
    /// body behind both Hessian entry points, so they agree exactly.
    fn fill_hessian_w(&self, s: &TwoLayerNet, h: &mut [f64]) {
        let (k, d) = (s.width(), s.dim());
        let n = k * d;
        let a = &s.a;
        for i in 0..k {
            let wi = s.neuron(i);
            let diag = i * d * n + i * d;
            if self.terms == KernelTerms::Exact {
                for r in 0..d {
                    h[diag + r * n + r] += 0.5 * a[i] * a[i];
                }
            }
            for l in 0..k {
                if l == i {
                    continue;
                }
                let wl = s.neuron(l);
                arccos::add_hess_ww(wi, wl, a[i] * a[l], &mut h[diag..], n);
                arccos::add_hess_wv(wi, wl, a[i] * a[l], &mut h[i * d * n + l * d..], n);
            }
            for j in 0..self.teacher.width() {
                let scale = -a[i] * self.teacher.a[j];
                arccos::add_hess_ww(wi, self.teacher.neuron(j), scale, &mut h[diag..], n);
            }
        }
    }

    /// Monte Carlo estimate of the loss from `samples` Gaussian inputs: (mean, standard error).
    /// Independent of the closed form, for cross-checks.
    pub fn monte_carlo_loss<R: Rng>(
        &self,
        s: &TwoLayerNet,
        samples: usize,
        rng: &mut R,
    ) -> Result<(f64, f64), ShapeError> {
        self.check_dims(s)?;
        let d = s.dim();
        let mut x = vec![0.0; d];
        let (mut sum, mut sum_sq) = (0.0, 0.0);
        for _ in 0..samples {
            for xi in x.iter_mut() {
                *xi = StandardNormal.sample(rng);
            }
            let r = s.output(&x) - self.teacher.output(&x);
            let q = 0.5 * r * r;
            sum += q;
            sum_sq += q * q;
        }
        let nf = samples as f64;
        let mean = sum / nf;
        let var = ((sum_sq - nf * mean * mean) / (nf - 1.0)).max(0.0);
        Ok((mean, (var / nf).sqrt()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The closed-form teacher energy changes the loss by rounding only; gradients and
    /// Hessians are bit-identical to the ones the claims compute.
    #[test]
    fn identity_teacher_matches_new_identity() {
        let d = 9;
        let (fast, slow) = (
            PopulationLoss::identity_teacher(d),
            PopulationLoss::new(TwoLayerNet::identity(d)),
        );
        let mut s = TwoLayerNet::identity(d);
        for (i, x) in s.w_mut().iter_mut().enumerate() {
            *x += 0.01 * ((i * 7919) % 13) as f64 - 0.06;
        }
        let (mut g, mut h) = (LossGradient::new(d, d), LossGradient::new(d, d));
        fast.evaluate(&s, &mut g).unwrap();
        slow.evaluate(&s, &mut h).unwrap();
        assert_eq!(g.grad_w, h.grad_w);
        assert_eq!(g.grad_a, h.grad_a);
        assert!((g.loss - h.loss).abs() <= 1e-13 * fast.teacher_energy);
        assert!((fast.teacher_energy - slow.teacher_energy).abs() <= 1e-14 * slow.teacher_energy);
        let (a, b) = (fast.hessian_w(&s).unwrap(), slow.hessian_w(&s).unwrap());
        assert_eq!(a, b);
    }
}
