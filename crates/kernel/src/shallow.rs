//! A shallow network x -> V phi(W x) trained on both layers with the square loss
//! h(W, V) = ||V phi(W X) - Y||_F^2 (no 1/2, no 1/n), as in Song et al. (NeurIPS 2021).
//!
//! Shapes: X is d0 x n (one column per point), W is d1 x d0, V is d2 x d1, Y is d2 x n. The
//! forward and backward passes are four GEMMs (faer, sequential) and two elementwise sweeps:
//!
//! * Z = W X, Phi = phi(Z), R = V Phi - Y, h = ||R||_F^2;
//! * grad_V h = 2 R Phi^T, grad_W h = 2 [(V^T R) (.) phi'(Z)] X^T.
//!
//! [`Evaluation`] holds every buffer, so that repeated evaluations allocate nothing.

/// Gradient descent on these networks with a certified local-smoothness step
/// (`shallow::descent`, not a renamed re-export, so the name says which descent it is).
pub mod descent;

use std::f64::consts::{FRAC_1_SQRT_2, FRAC_2_SQRT_PI, PI};
use std::fmt;
use std::sync::OnceLock;

use overparam_linalg::{Accum, Mat, MatRef, Par, matmul};
use rand::Rng;
use rand_distr::{Distribution, StandardNormal};

/// 1 / sqrt(2 pi): the standard normal density at 0.
const INV_SQRT_2PI: f64 = 0.398_942_280_401_432_7;

/// Standard normal density.
pub fn normal_pdf(z: f64) -> f64 {
    INV_SQRT_2PI * (-0.5 * z * z).exp()
}

/// 2 / (2k + 1) for k = 1.., the factors of the positive erf series.
static SERIES_FACTORS: [f64; 48] = {
    let mut t = [0.0; 48];
    let mut k = 0;
    while k < 48 {
        t[k] = 2.0 / (2 * k + 3) as f64;
        k += 1;
    }
    t
};

/// sum_k 2^k x^{2k+1} / (2k+1)!! for 0 <= x < 1, so that erf(x) = 2/sqrt(pi) e^{-x^2} times
/// it: a series with positive terms (no cancellation: relative error a few eps; at most 19
/// terms).
fn erf_series_sum(x: f64) -> f64 {
    let x2 = x * x;
    let mut term = x;
    let mut sum = x;
    for &f in SERIES_FACTORS.iter() {
        term *= x2 * f;
        sum += term;
        if term <= 1e-17 * sum {
            break;
        }
    }
    sum
}

/// The continued fraction x + (1/2) / (x + 1 / (x + (3/2) / (x + ...))) for x >= 1, so that
/// erfc(x) = e^{-x^2} / (sqrt(pi) times it), evaluated backwards at depth 1000 (it converges
/// slowly near x = 1; the depth is only paid while building the table of
/// [`normal_cdf_and_pdf`]).
fn erfc_continued_fraction(x: f64) -> f64 {
    let mut f = x;
    for k in (1..=1000).rev() {
        f = x + (k as f64 * 0.5) / f;
    }
    f
}

/// Phi_N(z) from the series (|z| < sqrt 2) or the continued fraction: accurate to ~1e-16
/// absolutely and ~1e-15 relatively (the series' 1 - erf(x) loses at most a factor
/// 1/erfc(1) ~ 6 to cancellation), but slow and with a data-dependent number of terms, so it
/// only builds the table of [`normal_cdf_and_pdf`] and serves |z| >= 8.
pub fn normal_cdf_reference(z: f64) -> f64 {
    if z.is_nan() {
        return f64::NAN;
    }
    let x = z.abs() * FRAC_1_SQRT_2;
    let gauss = (-x * x).exp();
    if x < 1.0 {
        let e = FRAC_2_SQRT_PI * gauss * erf_series_sum(x);
        if z >= 0.0 {
            0.5 + 0.5 * e
        } else {
            0.5 - 0.5 * e
        }
    } else if x > 27.0 {
        // erfc(27) < 1e-317: the double precision answer is exact
        if z > 0.0 { 1.0 } else { 0.0 }
    } else {
        let c = gauss / (PI.sqrt() * erfc_continued_fraction(x));
        if z > 0.0 { 1.0 - 0.5 * c } else { 0.5 * c }
    }
}

/// Half-width of the tabulated range, interval width and Taylor terms of the CDF table.
const TABLE_EDGE: f64 = 8.0;
const TABLE_STEP: f64 = 0.125;
const TABLE_INTERVALS: usize = 128;
const TABLE_TERMS: usize = 16;

/// Taylor coefficients of Phi_N about the centre c of each interval of width 1/8 on [-8, 8]:
/// a_0 = Phi_N(c), a_j = phi_N(c) (-1)^{j-1} He_{j-1}(c) / j! (since
/// Phi_N^{(j)} = (-1)^{j-1} He_{j-1} phi_N). With |delta| <= 1/16 and |He_m(c)| <~
/// max(|c|, sqrt m)^m, the remainder after 15 derivative terms is below
/// phi_N(c) 0.5^16 / 16! ~ 1e-18 phi_N(c).
fn cdf_table() -> &'static [[f64; TABLE_TERMS]] {
    static TABLE: OnceLock<Vec<[f64; TABLE_TERMS]>> = OnceLock::new();
    TABLE.get_or_init(|| {
        (0..TABLE_INTERVALS)
            .map(|i| {
                let c = -TABLE_EDGE + (i as f64 + 0.5) * TABLE_STEP;
                let pdf = normal_pdf(c);
                let mut a = [0.0; TABLE_TERMS];
                a[0] = normal_cdf_reference(c);
                // He_0 = 1, He_1 = c, He_{m+1} = c He_m - m He_{m-1}
                let (mut he_prev, mut he) = (0.0, 1.0);
                let mut factorial = 1.0;
                for (j, aj) in a.iter_mut().enumerate().skip(1) {
                    let m = j - 1; // he = He_m(c)
                    factorial *= j as f64;
                    let sign = if m % 2 == 0 { 1.0 } else { -1.0 };
                    *aj = pdf * sign * he / factorial;
                    let next = c * he - m as f64 * he_prev;
                    he_prev = he;
                    he = next;
                }
                a
            })
            .collect()
    })
}

/// (Phi_N(z), phi_N(z)): the standard normal distribution function, accurate to ~5e-16
/// absolutely (relative ~1e-14 in the lower tail), and the density.
///
/// Phi_N comes from a table of Taylor expansions (16 terms, |delta| <= 1/16) built once from
/// [`normal_cdf_reference`]: constant work per call, unlike the series. Measured against the
/// reference on a grid of 2e6 points in [-8, 8]: absolute error <= 4.5e-16, relative error in
/// the lower half <= 1.4e-14 (the alternating Taylor sum loses up to e^{2 |c delta|} <= e). Written here because
/// statrs 0.19's erfc is only good to ~1e-10 relative (measured: erfc(1) off by 4.5e-11), which
/// would make "GELU" a different function at the level the checks resolve.
pub fn normal_cdf_and_pdf(z: f64) -> (f64, f64) {
    let pdf = normal_pdf(z);
    // outside the table (and NaN) the reference routine answers
    if z.is_nan() || z.abs() >= TABLE_EDGE {
        return (normal_cdf_reference(z), pdf);
    }
    let u = (z + TABLE_EDGE) / TABLE_STEP;
    let i = (u as usize).min(TABLE_INTERVALS - 1);
    let delta = z - (-TABLE_EDGE + (i as f64 + 0.5) * TABLE_STEP);
    let a = &cdf_table()[i];
    let mut acc = a[TABLE_TERMS - 1];
    for &aj in a[..TABLE_TERMS - 1].iter().rev() {
        acc = acc * delta + aj;
    }
    (acc, pdf)
}

/// Standard normal distribution function (see [`normal_cdf_and_pdf`]).
pub fn normal_cdf(z: f64) -> f64 {
    normal_cdf_and_pdf(z).0
}

/// Entrywise activation of the hidden layer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Activation {
    /// GELU, phi(z) = z Phi_N(z): smooth, phi(0) = 0, not odd (the paper's experimental
    /// choice).
    Gelu,
    /// tanh: smooth, phi(0) = 0, odd.
    Tanh,
    /// phi(z) = z: a linear network, whose features have rank at most d0. It violates the
    /// nonlinearity the theorem needs and exists for negative controls.
    Identity,
}

impl Activation {
    pub fn name(self) -> &'static str {
        match self {
            Activation::Gelu => "gelu",
            Activation::Tanh => "tanh",
            Activation::Identity => "identity",
        }
    }

    /// phi(z).
    pub fn value(self, z: f64) -> f64 {
        match self {
            Activation::Gelu => z * normal_cdf(z),
            Activation::Tanh => z.tanh(),
            Activation::Identity => z,
        }
    }

    /// (phi(z), phi'(z)), sharing the expensive special functions.
    pub fn value_and_slope(self, z: f64) -> (f64, f64) {
        match self {
            Activation::Gelu => {
                let (cdf, pdf) = normal_cdf_and_pdf(z);
                (z * cdf, cdf + z * pdf)
            }
            Activation::Tanh => {
                let t = z.tanh();
                (t, 1.0 - t * t)
            }
            Activation::Identity => (z, 1.0),
        }
    }

    /// phi''(z).
    pub fn curvature(self, z: f64) -> f64 {
        match self {
            Activation::Gelu => normal_pdf(z) * (2.0 - z * z),
            Activation::Tanh => {
                let t = z.tanh();
                -2.0 * t * (1.0 - t * t)
            }
            Activation::Identity => 0.0,
        }
    }

    /// sup_z |phi'(z)| (the paper's phi-dot-max).
    ///
    /// GELU: phi'' = phi_N (2 - z^2) vanishes at z = -+sqrt(2); the maximum is
    /// phi'(sqrt 2) = Phi_N(sqrt 2) + sqrt(2) phi_N(sqrt 2) = 1.1289039 (the minimum,
    /// phi'(-sqrt 2) = -0.1289, is smaller in absolute value). tanh: 1 at 0.
    pub fn slope_bound(self) -> f64 {
        match self {
            Activation::Gelu => {
                let s = 2f64.sqrt();
                normal_cdf(s) + s * normal_pdf(s)
            }
            Activation::Tanh | Activation::Identity => 1.0,
        }
    }

    /// sup_z |phi''(z)| (the paper's phi-double-dot-max).
    ///
    /// GELU: phi''' = phi_N z (z^2 - 4) vanishes at 0 and -+2; |phi''(0)| = 2 phi_N(0) = 0.7979
    /// beats |phi''(2)| = 2 phi_N(2) = 0.108. tanh: phi'' = -2 t (1 - t^2) with t = tanh z is
    /// extremal at t^2 = 1/3, giving 4 / (3 sqrt 3) = 0.7698.
    pub fn curvature_bound(self) -> f64 {
        match self {
            Activation::Gelu => 2.0 / (2.0 * PI).sqrt(),
            Activation::Tanh => 4.0 / (3.0 * 3f64.sqrt()),
            Activation::Identity => 0.0,
        }
    }

    /// True if phi(-z) = -phi(z).
    pub fn is_odd(self) -> bool {
        matches!(self, Activation::Tanh | Activation::Identity)
    }
}

/// Why a network or data set could not be built or evaluated.
#[derive(Debug, Clone, PartialEq)]
pub enum ShallowError {
    /// A dimension is zero, or two shapes disagree.
    Shape(String),
    /// The loss or a gradient is NaN or infinite.
    NonFinite { what: &'static str },
}

impl fmt::Display for ShallowError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ShallowError::Shape(s) => write!(f, "shape error: {s}"),
            ShallowError::NonFinite { what } => write!(f, "{what} is not finite (divergence)"),
        }
    }
}

impl std::error::Error for ShallowError {}

/// Training data: X (d0 x n, one point per column) and targets Y (d2 x n).
#[derive(Debug, Clone)]
pub struct ShallowData {
    pub x: Mat<f64>,
    pub y: Mat<f64>,
}

impl ShallowData {
    /// n points uniform on the unit sphere S^{d0-1} (normalised Gaussians) and Gaussian targets
    /// normalised to ||Y||_F = 1: the paper's assumptions ||x_i|| = 1 and ||Y|| <= 1.
    pub fn sphere<R: Rng + ?Sized>(d0: usize, n: usize, d2: usize, rng: &mut R) -> Self {
        let mut x = Mat::<f64>::zeros(d0, n);
        for j in 0..n {
            loop {
                let mut norm_sq = 0.0;
                for i in 0..d0 {
                    let g: f64 = StandardNormal.sample(rng);
                    x[(i, j)] = g;
                    norm_sq += g * g;
                }
                if norm_sq > 0.0 {
                    let inv = 1.0 / norm_sq.sqrt();
                    for i in 0..d0 {
                        x[(i, j)] *= inv;
                    }
                    break;
                }
            }
        }
        let mut y = Mat::<f64>::from_fn(d2, n, |_, _| StandardNormal.sample(rng));
        let norm = y.norm_l2();
        if norm > 0.0 {
            for j in 0..n {
                for i in 0..d2 {
                    y[(i, j)] /= norm;
                }
            }
        }
        ShallowData { x, y }
    }

    pub fn input_dim(&self) -> usize {
        self.x.nrows()
    }
    pub fn output_dim(&self) -> usize {
        self.y.nrows()
    }
    pub fn len(&self) -> usize {
        self.x.ncols()
    }
    pub fn is_empty(&self) -> bool {
        self.x.ncols() == 0
    }
}

/// The weights (W, V) of x -> V phi(W x).
#[derive(Debug, Clone, PartialEq)]
pub struct ShallowNet {
    /// First layer, d1 x d0.
    pub w: Mat<f64>,
    /// Second layer, d2 x d1.
    pub v: Mat<f64>,
}

impl ShallowNet {
    /// W0 ~ N(0, omega1^2) and V0 ~ N(0, omega2^2) entrywise: the paper's initialisation
    /// (its condition (19) asks omega1 omega2 <~ 1 / sqrt(d0 d1)).
    pub fn gaussian<R: Rng + ?Sized>(
        d0: usize,
        d1: usize,
        d2: usize,
        omega1: f64,
        omega2: f64,
        rng: &mut R,
    ) -> Self {
        let mut sample = |s: f64| -> f64 {
            let g: f64 = StandardNormal.sample(rng);
            s * g
        };
        let w = Mat::<f64>::from_fn(d1, d0, |_, _| sample(omega1));
        let v = Mat::<f64>::from_fn(d2, d1, |_, _| sample(omega2));
        ShallowNet { w, v }
    }

    /// Hidden width d1.
    pub fn width(&self) -> usize {
        self.w.nrows()
    }

    /// Number of trained parameters d1 (d0 + d2).
    pub fn parameter_count(&self) -> usize {
        self.w.nrows() * self.w.ncols() + self.v.nrows() * self.v.ncols()
    }

    /// self <- other - eta * grad (both layers), without allocating.
    pub fn assign_step(&mut self, other: &ShallowNet, grad: &Evaluation, eta: f64) {
        for j in 0..self.w.ncols() {
            for i in 0..self.w.nrows() {
                self.w[(i, j)] = other.w[(i, j)] - eta * grad.grad_w[(i, j)];
            }
        }
        for j in 0..self.v.ncols() {
            for i in 0..self.v.nrows() {
                self.v[(i, j)] = other.v[(i, j)] - eta * grad.grad_v[(i, j)];
            }
        }
    }
}

/// Which gradient the backward pass returns.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum GradientVariant {
    /// The exact gradient of h = ||V phi(W X) - Y||_F^2.
    Exact,
    /// A deliberately wrong gradient: grad_V without its factor 2, i.e. the output-layer
    /// gradient of ||.||^2 / 2 mixed into the gradient of ||.||^2 (the classic normalisation
    /// slip). It exists only for negative controls.
    OutputLayerWithoutFactorTwo,
    /// A deliberately wrong gradient: the gradient of the mean loss h / n instead of h (both
    /// layers scaled by 1/n), the "no 1/n" slip of the paper note. It exists only for negative
    /// controls.
    MeanLoss,
}

/// Buffers of one forward/backward evaluation (allocated once per shape).
#[derive(Debug, Clone)]
pub struct Evaluation {
    /// Pre-activations Z = W X, d1 x n.
    pub z: Mat<f64>,
    /// Hidden features Phi = phi(Z), d1 x n.
    pub phi: Mat<f64>,
    /// phi'(Z), d1 x n.
    pub dphi: Mat<f64>,
    /// Residual R = V Phi - Y, d2 x n.
    pub r: Mat<f64>,
    /// Back-propagated signal (V^T R) (.) phi'(Z), d1 x n.
    pub back: Mat<f64>,
    /// grad_W h, d1 x d0.
    pub grad_w: Mat<f64>,
    /// grad_V h, d2 x d1.
    pub grad_v: Mat<f64>,
    /// h = ||R||_F^2.
    pub loss: f64,
}

impl Evaluation {
    pub fn new(d0: usize, d1: usize, d2: usize, n: usize) -> Self {
        Evaluation {
            z: Mat::zeros(d1, n),
            phi: Mat::zeros(d1, n),
            dphi: Mat::zeros(d1, n),
            r: Mat::zeros(d2, n),
            back: Mat::zeros(d1, n),
            grad_w: Mat::zeros(d1, d0),
            grad_v: Mat::zeros(d2, d1),
            loss: f64::NAN,
        }
    }

    /// Buffers shaped for this network and data set.
    pub fn for_problem(net: &ShallowNet, data: &ShallowData) -> Result<Self, ShallowError> {
        check_shapes(net, data)?;
        Ok(Self::new(
            data.input_dim(),
            net.width(),
            data.output_dim(),
            data.len(),
        ))
    }

    /// Forward pass: Z, Phi, phi'(Z), R and h. Returns h; a non-finite h is an error.
    pub fn forward(
        &mut self,
        net: &ShallowNet,
        data: &ShallowData,
        activation: Activation,
    ) -> Result<f64, ShallowError> {
        matmul(
            self.z.as_mut(),
            Accum::Replace,
            net.w.as_ref(),
            data.x.as_ref(),
            1.0,
            Par::Seq,
        );
        // Through small stack buffers: Z, Phi and phi'(Z) have identical shapes, so their
        // columns sit at the same offsets modulo 4 KiB, and writing two of them while reading
        // the third element by element stalls on 4K aliasing (measured 8x slower).
        const CHUNK: usize = 64;
        let (mut values, mut slopes) = ([0.0f64; CHUNK], [0.0f64; CHUNK]);
        for j in 0..self.z.ncols() {
            let zc = self.z.col_as_slice(j);
            for (c, zs) in zc.chunks(CHUNK).enumerate() {
                for ((p, dp), &z) in values.iter_mut().zip(slopes.iter_mut()).zip(zs) {
                    (*p, *dp) = activation.value_and_slope(z);
                }
                let range = c * CHUNK..c * CHUNK + zs.len();
                self.phi.col_as_slice_mut(j)[range.clone()].copy_from_slice(&values[..zs.len()]);
                self.dphi.col_as_slice_mut(j)[range].copy_from_slice(&slopes[..zs.len()]);
            }
        }
        // R = -Y, then R += V Phi.
        for j in 0..self.r.ncols() {
            for i in 0..self.r.nrows() {
                self.r[(i, j)] = -data.y[(i, j)];
            }
        }
        matmul(
            self.r.as_mut(),
            Accum::Add,
            net.v.as_ref(),
            self.phi.as_ref(),
            1.0,
            Par::Seq,
        );
        let loss = self.r.norm_l2().powi(2);
        self.loss = loss;
        if !loss.is_finite() {
            return Err(ShallowError::NonFinite { what: "loss" });
        }
        Ok(loss)
    }

    /// Backward pass after [`Evaluation::forward`]: grad_V h = 2 R Phi^T and
    /// grad_W h = 2 [(V^T R) (.) phi'(Z)] X^T (or the broken variant).
    pub fn backward(
        &mut self,
        net: &ShallowNet,
        data: &ShallowData,
        variant: GradientVariant,
    ) -> Result<(), ShallowError> {
        let n = data.len() as f64;
        let (v_scale, w_scale) = match variant {
            GradientVariant::Exact => (2.0, 2.0),
            GradientVariant::OutputLayerWithoutFactorTwo => (1.0, 2.0),
            GradientVariant::MeanLoss => (2.0 / n, 2.0 / n),
        };
        matmul(
            self.grad_v.as_mut(),
            Accum::Replace,
            self.r.as_ref(),
            self.phi.transpose(),
            v_scale,
            Par::Seq,
        );
        matmul(
            self.back.as_mut(),
            Accum::Replace,
            net.v.transpose(),
            self.r.as_ref(),
            1.0,
            Par::Seq,
        );
        for j in 0..self.back.ncols() {
            let dc = self.dphi.col_as_slice(j);
            for (b, &d) in self.back.col_as_slice_mut(j).iter_mut().zip(dc) {
                *b *= d;
            }
        }
        matmul(
            self.grad_w.as_mut(),
            Accum::Replace,
            self.back.as_ref(),
            data.x.transpose(),
            w_scale,
            Par::Seq,
        );
        if !(self.grad_w.norm_l2().is_finite() && self.grad_v.norm_l2().is_finite()) {
            return Err(ShallowError::NonFinite { what: "gradient" });
        }
        Ok(())
    }

    /// ||grad_V h||_F^2.
    pub fn grad_v_norm_sq(&self) -> f64 {
        self.grad_v.norm_l2().powi(2)
    }

    /// ||grad h||^2 over both layers.
    pub fn grad_norm_sq(&self) -> f64 {
        self.grad_v.norm_l2().powi(2) + self.grad_w.norm_l2().powi(2)
    }

    /// The hidden-feature matrix Phi = phi(W X) of the last forward pass.
    pub fn features(&self) -> MatRef<'_, f64> {
        self.phi.as_ref()
    }
}

fn check_shapes(net: &ShallowNet, data: &ShallowData) -> Result<(), ShallowError> {
    let (d0, n, d2, d1) = (data.input_dim(), data.len(), data.output_dim(), net.width());
    if d0 == 0 || n == 0 || d2 == 0 || d1 == 0 {
        return Err(ShallowError::Shape(format!(
            "empty dimension (d0 = {d0}, n = {n}, d2 = {d2}, d1 = {d1})"
        )));
    }
    if net.w.ncols() != d0 || net.v.nrows() != d2 || net.v.ncols() != d1 || data.y.ncols() != n {
        return Err(ShallowError::Shape(format!(
            "W is {}x{}, V is {}x{}, X is {d0}x{n}, Y is {}x{}",
            net.w.nrows(),
            net.w.ncols(),
            net.v.nrows(),
            net.v.ncols(),
            data.y.nrows(),
            data.y.ncols()
        )));
    }
    Ok(())
}
