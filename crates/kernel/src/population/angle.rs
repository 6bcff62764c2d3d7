//! The angle t and sin t of a pair of unit vectors from the squared distances
//! minus = |u - v|^2 = 4 sin^2(t/2) and plus = |u + v|^2 = 4 cos^2(t/2), with one square root
//! and one division (the half-angle route of [`arccos::atan2_nonneg`] takes two of each).
//!
//! s = sqrt(minus plus) = |u - v| |u + v| = 2 sin t gives sin t = s / 2, and the tangent of
//! t/2 (or of its complement) is x = sqrt(min / max) = s / max, where max = max(minus, plus).
//! fdlibm's reduction t' = (x - c) / (1 + c x) is then formed as (s - c max) / (max + c s),
//! the same quotient without rounding x first: the numerator is exact (Sterbenz: c max and s
//! are within a factor 2 of each other in the cases c = 1/2 and c = 1, and c max is exact),
//! the denominator is rounded once, the quotient once. The reduction's case tests compare s
//! with 7/16 max and 11/16 max (rounded products; a case chosen one ulp early only moves t' by
//! an ulp past its nominal range, where fdlibm's polynomial is as accurate).
//!
//! Error: s carries at most 1.5 u relative error (u = 2^-53: the product and the root), so x
//! does too (the old route's x = fl(fl(sqrt lo) / fl(sqrt hi)) carried up to 2 u); atan's
//! condition number x / ((1 + x^2) atan x) <= 1 does not amplify it, and fdlibm's polynomial
//! adds under 1 ulp. The test `angle_within_four_ulps_of_libm` measures the angle against
//! 2 atan2(sqrt(minus), sqrt(plus)) of the platform's libm and sin t against
//! sqrt(minus) sqrt(plus) / 2 on a dense grid and at the edges cos t = +-1.

use super::arccos::{self, PIO2_LO};
use std::f64::consts::FRAC_PI_2;

/// (t, sin t) from minus = |u - v|^2 and plus = |u + v|^2, not both zero (see the module
/// documentation for the method and its error). Branch-free, so that loops over many pairs
/// vectorise; each lane performs the same IEEE operations whatever the vector width.
#[inline(always)]
pub(super) fn angle_sin(minus: f64, plus: f64) -> (f64, f64) {
    let s = (minus * plus).sqrt();
    let swap = minus > plus;
    let big = if swap { minus } else { plus };
    let (c, hi, lo) = arccos::atan_reduction(s < 0.4375 * big, s < 0.6875 * big);
    let r = arccos::atan_reduced((s - c * big) / (big + c * s), hi, lo);
    let half = if swap { FRAC_PI_2 - (r - PIO2_LO) } else { r };
    (2.0 * half, 0.5 * s)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Distance in units in the last place between two finite non-negative floats.
    fn ulps(a: f64, b: f64) -> u64 {
        a.to_bits().abs_diff(b.to_bits())
    }

    /// Against libm's route on a dense grid: minus = 4 sin^2(t/2), plus = 4 cos^2(t/2) for 2e5
    /// angles uniform in [0, pi] and 2e5 log-spaced towards 0 and towards pi (cos t -> +-1),
    /// each also with plus and minus perturbed off the unit circle (non-unit rows, rounding);
    /// every reduction boundary (tan(t/2) = 7/16, 11/16, 1 and their reciprocals) and its
    /// neighbours; and cos t = 1 (minus = 0) and cos t = -1 (plus = 0) exactly.
    #[test]
    fn angle_within_four_ulps_of_libm() {
        let (mut worst_t, mut worst_s) = (0u64, 0u64);
        let mut check = |minus: f64, plus: f64| {
            let (t, s) = angle_sin(minus, plus);
            let (sm, sp) = (minus.sqrt(), plus.sqrt());
            let (want_t, want_s) = (2.0 * sm.atan2(sp), 0.5 * sm * sp);
            worst_t = worst_t.max(ulps(t, want_t));
            worst_s = worst_s.max(ulps(s, want_s));
        };
        let from_half = |h: f64, scale: f64| {
            let (sh, ch) = h.sin_cos();
            (4.0 * sh * sh * scale, 4.0 * ch * ch / scale)
        };
        let n = 200_000;
        for i in 0..=n {
            let f = i as f64 / n as f64;
            let q = 10f64.powf(-150.0 * f);
            for h in [f * FRAC_PI_2, q, FRAC_PI_2 - q] {
                for scale in [1.0, 1.0 + 1e-12, 0.75] {
                    let (m, p) = from_half(h, scale);
                    check(m, p);
                    check(p, m);
                }
            }
        }
        for x in [0.4375f64, 0.6875, 1.0] {
            // minus / plus = x^2 at the boundary, then 16 ulps either side in minus.
            let (m0, p) = (x * x, 1.0);
            let mut m = f64::from_bits(m0.to_bits() - 16);
            for _ in 0..33 {
                check(m, p);
                check(p, m);
                check(4.0 * m / (1.0 + m), 4.0 / (1.0 + m));
                m = f64::from_bits(m.to_bits() + 1);
            }
        }
        assert_eq!(angle_sin(0.0, 4.0), (0.0, 0.0), "cos t = 1");
        let (t, s) = angle_sin(4.0, 0.0);
        assert_eq!((t, s), (std::f64::consts::PI, 0.0), "cos t = -1");
        check(0.0, 4.0);
        check(4.0, 0.0);
        check(0.0, 1e-300);
        check(1e-300, 0.0);
        assert!(worst_t <= 4, "angle: worst difference {worst_t} ulps");
        assert!(worst_s <= 4, "sin: worst difference {worst_s} ulps");
    }
}
