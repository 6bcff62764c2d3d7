//! The degree-1 arc-cosine kernel and its derivatives, in closed form.
//!
//! kappa(w, v) = E_{x ~ N(0, I)}[relu(w.x) relu(v.x)]
//!             = |w| |v| / (2 pi) * (sin t + (pi - t) cos t),   t = angle(w, v).
//!
//! Angles are computed as t = 2 atan2(|w^ - v^|, |w^ + v^|), which keeps full relative accuracy
//! near t = 0 and t = pi where arccos loses half the digits. A zero vector gives kappa = 0 and,
//! with the convention relu'(0) = 0, zero derivatives.

use std::f64::consts::{FRAC_PI_2, FRAC_PI_4, PI};

/// Geometry of a pair (w, v) shared by the kernel and all its derivatives.
#[derive(Debug, Clone, Copy)]
pub struct Pair {
    pub norm_w: f64,
    pub norm_v: f64,
    /// Angle in [0, pi].
    pub theta: f64,
    pub sin: f64,
    pub cos: f64,
}

impl Pair {
    /// None when either vector is zero (the kernel and its derivatives vanish there).
    #[inline]
    pub fn new(w: &[f64], v: &[f64]) -> Option<Pair> {
        let norm_w = norm(w);
        let norm_v = norm(v);
        Self::with_norms(w, v, norm_w, norm_v)
    }

    /// As [`Pair::new`] with the norms already known (the hot loops cache them).
    #[inline]
    pub fn with_norms(w: &[f64], v: &[f64], norm_w: f64, norm_v: f64) -> Option<Pair> {
        if norm_w == 0.0 || norm_v == 0.0 {
            return None;
        }
        let (iw, iv) = (1.0 / norm_w, 1.0 / norm_v);
        let (mut minus, mut plus) = (0.0, 0.0);
        for (&p, &q) in w.iter().zip(v) {
            let (a, b) = (p * iw, q * iv);
            minus += (a - b) * (a - b);
            plus += (a + b) * (a + b);
        }
        Some(Self::from_sums(norm_w, norm_v, minus, plus))
    }

    /// From the norms and the sums minus = |w^ - v^|^2, plus = |w^ + v^|^2 of the unit vectors,
    /// accumulated over coordinates in order (as [`Pair::with_norms`] does).
    #[inline]
    pub fn from_sums(norm_w: f64, norm_v: f64, minus: f64, plus: f64) -> Pair {
        // |w^ - v^| = 2 sin(t/2) and |w^ + v^| = 2 cos(t/2): one atan2 gives t, and the double
        // angle formulas give sin t and cos t to full relative accuracy without more trig calls.
        let (m, p) = (minus.sqrt(), plus.sqrt());
        Pair {
            norm_w,
            norm_v,
            theta: 2.0 * m.atan2(p),
            sin: 0.5 * m * p,
            cos: 0.25 * (plus - minus),
        }
    }

    /// kappa(w, v).
    #[inline]
    pub fn kernel(&self) -> f64 {
        self.norm_w * self.norm_v / (2.0 * PI) * (self.sin + (PI - self.theta) * self.cos)
    }

    /// Coefficients (alpha, beta) with grad_w kappa(w, v) = alpha w + beta v:
    /// grad_w kappa = (|v| sin t w^ + (pi - t) v) / (2 pi).
    #[inline]
    pub fn grad_w_coefficients(&self) -> (f64, f64) {
        (
            self.norm_v * self.sin / (2.0 * PI * self.norm_w),
            (PI - self.theta) / (2.0 * PI),
        )
    }
}

/// atan(x) for x in [0, 1] by fdlibm's method (FreeBSD `s_atan.c`, as in the `libm` crate):
/// with c = 0 for x < 7/16, c = 1/2 for x < 11/16 and c = 1 above, atan(x) = atan(c) +
/// atan(t), t = (x - c) / (1 + c x) in [-0.19, 7/16], where the degree-22 odd polynomial
/// (coefficients `AT`) approximates atan, and atan(c) is added in two parts (hi + lo).
/// fdlibm writes the middle case as (2x - 1) / (2 + x): the same quotient, and like it x - c
/// is exact (Sterbenz) and the denominator is rounded once. One formula for all three cases,
/// the case choosing only constants, so that a loop over many arguments vectorises; each lane
/// performs the same IEEE operations in the same order whatever the vector width.
///
/// Error: fdlibm's analysis bounds its atan by 1 ulp; the test
/// `fast_atan_is_within_two_ulps_of_libm` checks this function against the platform's `atan2`
/// on 3e5 points and at every reduction boundary.
#[inline(always)]
fn atan_unit(x: f64) -> f64 {
    let (c, hi, lo) = atan_reduction(x < 0.4375, x < 0.6875);
    atan_reduced((x - c) / (1.0 + c * x), hi, lo)
}

/// The constants (c, hi, lo) of [`atan_unit`]'s reduction, atan(c) = hi + lo, for x < 7/16
/// (`below_7_16`), 7/16 <= x < 11/16 and x >= 11/16.
// fdlibm's decimal literals, kept digit for digit (each rounds to the bit pattern fdlibm lists).
#[allow(clippy::excessive_precision)]
#[inline(always)]
pub(crate) fn atan_reduction(below_7_16: bool, below_11_16: bool) -> (f64, f64, f64) {
    // atan(1/2) and atan(1), each as hi + lo (fdlibm's atan(1)hi, 0x3FE921FB54442D18, is pi/4
    // rounded to nearest).
    if below_7_16 {
        (0.0, 0.0, 0.0)
    } else if below_11_16 {
        (0.5, 4.63647609000806093515e-01, 2.26987774529616870924e-17)
    } else {
        (1.0, FRAC_PI_4, 3.06161699786838301793e-17)
    }
}

/// atan(c) + atan(t) for the reduced argument t in [-0.19, 7/16] and atan(c) = hi + lo:
/// fdlibm's odd polynomial and its final sum ([`atan_unit`]).
#[allow(clippy::excessive_precision)]
#[inline(always)]
pub(crate) fn atan_reduced(t: f64, hi: f64, lo: f64) -> f64 {
    const AT: [f64; 11] = [
        3.33333333333329318027e-01,
        -1.99999999998764832476e-01,
        1.42857142725034663711e-01,
        -1.11111104054623557880e-01,
        9.09088713343650656196e-02,
        -7.69187620504482999495e-02,
        6.66107313738753120669e-02,
        -5.83357013379057348645e-02,
        4.97687799461593236017e-02,
        -3.65315727442169155270e-02,
        1.62858201153657823623e-02,
    ];
    let z = t * t;
    let w = z * z;
    let s1 = z * (AT[0] + w * (AT[2] + w * (AT[4] + w * (AT[6] + w * (AT[8] + w * AT[10])))));
    let s2 = w * (AT[1] + w * (AT[3] + w * (AT[5] + w * (AT[7] + w * AT[9]))));
    // For c = 0 this is -(t (s1 + s2) - t) = t - t (s1 + s2), fdlibm's direct case, exactly.
    hi - ((t * (s1 + s2) - lo) - t)
}

/// The low part of pi/2 = `FRAC_PI_2` + `PIO2_LO` (fdlibm's atan(inf)lo).
#[allow(clippy::excessive_precision)]
pub(crate) const PIO2_LO: f64 = 6.12323399573676603587e-17;

/// atan2(y, x) for y, x >= 0, not both zero: the half angle t/2 of [`Pair::from_sums`] from
/// y = |w^ - v^| and x = |w^ + v^|. The quotient min / max (rounded once, relative error u =
/// 2^-53, which atan's condition number q / ((1 + q^2) atan q) <= 1 does not amplify) goes
/// through [`atan_unit`] (< 1 ulp); above pi/4 the result is pi/2 - atan(x / y) with pi/2 in
/// two parts. Total: within a few ulps of the exact value (the test measures at most 2 ulps
/// from the platform's `atan2`), so angles, and every number built from them, move only at
/// rounding level against `f64::atan2`.
#[allow(clippy::excessive_precision)]
#[inline(always)]
pub fn atan2_nonneg(y: f64, x: f64) -> f64 {
    // fdlibm's atan(inf)hi, 0x3FF921FB54442D18, is pi/2 rounded to nearest.
    const PIO2_HI: f64 = FRAC_PI_2;
    let swap = y > x;
    let (lo, hi) = if swap { (x, y) } else { (y, x) };
    let r = atan_unit(lo / hi);
    if swap { PIO2_HI - (r - PIO2_LO) } else { r }
}

/// Euclidean norm.
#[inline]
pub fn norm(x: &[f64]) -> f64 {
    x.iter().map(|v| v * v).sum::<f64>().sqrt()
}

/// kappa(w, v).
pub fn kernel(w: &[f64], v: &[f64]) -> f64 {
    Pair::new(w, v).map_or(0.0, |p| p.kernel())
}

/// grad_w kappa(w, v), written into `out` (length d).
pub fn grad_w(w: &[f64], v: &[f64], out: &mut [f64]) {
    match Pair::new(w, v) {
        None => out.fill(0.0),
        Some(p) => {
            let (alpha, beta) = p.grad_w_coefficients();
            for ((o, &x), &y) in out.iter_mut().zip(w).zip(v) {
                *o = alpha * x + beta * y;
            }
        }
    }
}

/// Unit vectors (w^, v^, n_w, n_v) of the plane spanned by w and v, with
/// n_w = (v^ - cos t w^)/sin t and n_v = (w^ - cos t v^)/sin t. The n's are None when the
/// pair is (anti-)aligned; every term that uses them carries a factor sin t and vanishes there.
struct Frame {
    w_hat: Vec<f64>,
    v_hat: Vec<f64>,
    normals: Option<(Vec<f64>, Vec<f64>)>,
}

fn frame(w: &[f64], v: &[f64], p: &Pair) -> Frame {
    let w_hat: Vec<f64> = w.iter().map(|x| x / p.norm_w).collect();
    let v_hat: Vec<f64> = v.iter().map(|x| x / p.norm_v).collect();
    let raw_w: Vec<f64> = v_hat
        .iter()
        .zip(&w_hat)
        .map(|(b, a)| b - p.cos * a)
        .collect();
    let raw_v: Vec<f64> = w_hat
        .iter()
        .zip(&v_hat)
        .map(|(a, b)| a - p.cos * b)
        .collect();
    let (lw, lv) = (norm(&raw_w), norm(&raw_v));
    let normals = if p.sin > 0.0 && lw > 0.0 && lv > 0.0 {
        Some((
            raw_w.iter().map(|x| x / lw).collect(),
            raw_v.iter().map(|x| x / lv).collect(),
        ))
    } else {
        None
    };
    Frame {
        w_hat,
        v_hat,
        normals,
    }
}

/// Adds `scale` * d^2 kappa / dw dw^T (a d x d block, row-major, stride `ld`) into `out`:
/// (|v| sin t / (2 pi |w|)) (I - w^ w^T + n_w n_w^T). It vanishes at t = 0 and t = pi.
pub fn add_hess_ww(w: &[f64], v: &[f64], scale: f64, out: &mut [f64], ld: usize) {
    let Some(p) = Pair::new(w, v) else { return };
    let f = frame(w, v, &p);
    let Some((n_w, _)) = &f.normals else { return };
    let c = scale * p.norm_v * p.sin / (2.0 * PI * p.norm_w);
    let d = w.len();
    for r in 0..d {
        for s in 0..d {
            let id = if r == s { 1.0 } else { 0.0 };
            out[r * ld + s] += c * (id - f.w_hat[r] * f.w_hat[s] + n_w[r] * n_w[s]);
        }
    }
}

/// Adds `scale` * d^2 kappa / dw dv^T (rows index w, columns index v) into `out`:
/// ((pi - t) I + sin t (w^ v^T + n_w n_v^T)) / (2 pi).
pub fn add_hess_wv(w: &[f64], v: &[f64], scale: f64, out: &mut [f64], ld: usize) {
    let Some(p) = Pair::new(w, v) else { return };
    let f = frame(w, v, &p);
    let c = scale / (2.0 * PI);
    let d = w.len();
    for r in 0..d {
        for s in 0..d {
            let id = if r == s { PI - p.theta } else { 0.0 };
            let mut x = id + p.sin * f.w_hat[r] * f.v_hat[s];
            if let Some((n_w, n_v)) = &f.normals {
                x += p.sin * n_w[r] * n_v[s];
            }
            out[r * ld + s] += c * x;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn diagonal_value_is_half_the_squared_norm() {
        let w = [0.3, -1.2, 0.7];
        assert!((kernel(&w, &w) - 0.5 * (0.09 + 1.44 + 0.49)).abs() < 1e-15);
    }

    #[test]
    fn orthogonal_and_opposite_pairs() {
        // t = pi/2: kappa = |w||v| / (2 pi); t = pi: kappa = 0.
        assert!((kernel(&[1.0, 0.0], &[0.0, 2.0]) - 2.0 / (2.0 * PI)).abs() < 1e-15);
        assert!(kernel(&[1.0, 0.0], &[-3.0, 0.0]).abs() < 1e-15);
    }

    #[test]
    fn angle_is_accurate_for_nearly_aligned_vectors() {
        let p = Pair::new(&[1.0, 0.0], &[1.0, 1e-9]).unwrap();
        assert!((p.theta - 1e-9).abs() < 1e-22);
    }

    /// Distance in units in the last place between two finite non-negative floats.
    fn ulps(a: f64, b: f64) -> u64 {
        a.to_bits().abs_diff(b.to_bits())
    }

    #[test]
    fn fast_atan_is_within_two_ulps_of_libm() {
        // Every reduction boundary and its neighbours, both orders of the arguments, then a
        // dense log-spaced sweep of the quotient from 1e-300 to 1 and a uniform one on [0, 1].
        let mut worst = 0u64;
        let mut check = |y: f64, x: f64| {
            let (f, e) = (atan2_nonneg(y, x), y.atan2(x));
            worst = worst.max(ulps(f, e));
            let (f, e) = (atan2_nonneg(x, y), x.atan2(y));
            worst = worst.max(ulps(f, e));
        };
        for b in [0.0f64, 0.4375, 0.6875, 1.0] {
            let mut v = f64::from_bits(b.to_bits().saturating_sub(8));
            for _ in 0..16 {
                check(v.min(1.0), 1.0);
                v = f64::from_bits(v.to_bits() + 1);
            }
        }
        for i in 0..100_000 {
            let q = 10f64.powf(-300.0 * (i as f64) / 100_000.0);
            check(q, 1.0);
            check(i as f64 / 100_000.0, 1.0);
            check(2.0 * q, 2.0 - q * q);
        }
        check(0.0, 2.0);
        check(2.0, 0.0);
        assert!(worst <= 2, "worst difference {worst} ulps");
    }

    #[test]
    fn zero_vector_gives_zero_kernel_and_gradient() {
        let mut g = [1.0; 2];
        grad_w(&[0.0, 0.0], &[1.0, 2.0], &mut g);
        assert_eq!(g, [0.0, 0.0]);
        assert_eq!(kernel(&[1.0, 2.0], &[0.0, 0.0]), 0.0);
    }
}
