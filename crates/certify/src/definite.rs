//! Rigorous curvature on a box: a lower bound of lambda_min over every symmetric matrix of an
//! interval matrix (Weyl), and a direction of negative curvature for all of them.
//!
//! Weyl: every symmetric A with |A - Hc| <= Hr entrywise satisfies
//! lambda_min(A) >= lambda_min(Hc) - ||A - Hc||_2 >= lambda_min(Hc) - ||Hr||_2, and
//! ||Hr||_2 <= sqrt(||Hr||_1 ||Hr||_inf) (Hr >= 0). lambda_min(Hc) > sigma is proved by an
//! interval Cholesky factorisation of Hc - sigma I: if every pivot's enclosure is positive, the
//! exact Cholesky of the exact Hc - sigma I (whose every intermediate lies in the corresponding
//! interval, by inclusion isotonicity) runs to completion with positive pivots, so
//! Hc - sigma I = L L^T with L invertible: positive definite. Every operation is an inari
//! interval operation, so no rounding is left unaccounted (this replaces Rump's a-priori bound
//! for a floating-point Cholesky by the interval computation it summarises).

use crate::enclosure::{I, point};

/// Midpoint and radius of a symmetric interval matrix (n x n, row-major): Hc = mid, Hr = rad
/// (inari rounds rad up so that [mid - rad, mid + rad] contains the interval).
pub fn mid_rad(h: &[I]) -> (Vec<f64>, Vec<f64>) {
    (
        h.iter().map(|x| x.mid()).collect(),
        h.iter().map(|x| x.rad()).collect(),
    )
}

/// An upper bound of ||Hr||_2 for a non-negative n x n matrix: sqrt(||Hr||_1 ||Hr||_inf), each
/// sum accumulated in intervals and the upper end taken.
pub fn norm2_upper(hr: &[f64], n: usize) -> f64 {
    let mut rows = 0.0_f64;
    let mut cols = 0.0_f64;
    for p in 0..n {
        let row = (0..n).fold(point(0.0), |acc, q| acc + point(hr[p * n + q]));
        let col = (0..n).fold(point(0.0), |acc, q| acc + point(hr[q * n + p]));
        rows = rows.max(row.sup());
        cols = cols.max(col.sup());
    }
    (point(rows) * point(cols)).sqrt().sup()
}

/// True when the interval Cholesky of the point matrix `a` - sigma I (n x n, row-major, only
/// the lower triangle read) succeeds with every pivot's enclosure > 0: then a - sigma I is
/// positive definite, i.e. lambda_min(a) > sigma. O(n^3 / 6) interval operations.
pub fn cholesky_proves_above(a: &[f64], n: usize, sigma: f64) -> bool {
    let s = point(sigma);
    let mut l = vec![point(0.0); n * n];
    for j in 0..n {
        let row_j = &l[j * n..j * n + j];
        let pivot = row_j
            .iter()
            .fold(point(a[j * n + j]) - s, |acc, &x| acc - x.sqr());
        // NaN counts as not positive.
        if pivot.inf().is_nan() || pivot.inf() <= 0.0 {
            return false;
        }
        let ljj = pivot.sqrt();
        l[j * n + j] = ljj;
        for i in (j + 1)..n {
            let mut x = point(a[i * n + j]);
            for q in 0..j {
                x -= l[i * n + q] * l[j * n + q];
            }
            l[i * n + j] = x / ljj;
        }
    }
    true
}

/// A certified lower bound of lambda_min over the symmetric matrices of the interval matrix
/// `h`, from a floating-point estimate `estimate` of lambda_min(Hc): the largest of the shifts
/// sigma = estimate (1 - 10^-6 .. 10^-1) that the interval Cholesky proves, minus the Weyl
/// term. None when no positive shift is proved.
pub fn lambda_min_lower(h: &[I], n: usize, estimate: f64) -> Option<LowerBound> {
    if estimate.is_nan() || estimate <= 0.0 {
        return None;
    }
    let (hc, hr) = mid_rad(h);
    let weyl = norm2_upper(&hr, n);
    for fraction in [1e-6, 1e-5, 1e-4, 1e-3, 1e-2, 1e-1, 0.5] {
        let sigma = estimate * (1.0 - fraction);
        if cholesky_proves_above(&hc, n, sigma) {
            let bound = (point(sigma) - point(weyl)).inf();
            return Some(LowerBound { sigma, weyl, bound });
        }
    }
    None
}

/// lambda_min(A) >= bound for every symmetric A in the interval matrix.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct LowerBound {
    /// lambda_min(Hc) > sigma, proved by the interval Cholesky of Hc - sigma I.
    pub sigma: f64,
    /// ||Hr||_2 <= weyl.
    pub weyl: f64,
    /// sigma - weyl, rounded down.
    pub bound: f64,
}

/// The upper end of an enclosure of max_{A in h} u^T A u / u^T u (symmetric `h`, n x n): when
/// it is negative, every A in h has negative curvature along u.
pub fn rayleigh_upper(h: &[I], n: usize, u: &[f64]) -> f64 {
    let mut q = point(0.0);
    for p in 0..n {
        let up = point(u[p]);
        let row = (0..n).fold(point(0.0), |acc, c| h[p * n + c].mul_add(point(u[c]), acc));
        q = up.mul_add(row, q);
    }
    let uu = u.iter().fold(point(0.0), |acc, &x| acc + point(x).sqr());
    (q / uu).sup()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cholesky_separates_a_known_spectrum() {
        // [[2, 1], [1, 2]] has eigenvalues 1 and 3.
        let a = [2.0, 1.0, 1.0, 2.0];
        assert!(cholesky_proves_above(&a, 2, 0.999));
        assert!(!cholesky_proves_above(&a, 2, 1.001));
    }

    #[test]
    fn weyl_bound_covers_the_radius() {
        let h = [
            crate::enclosure::interval(1.9, 2.1),
            point(1.0),
            point(1.0),
            crate::enclosure::interval(1.9, 2.1),
        ];
        let b = lambda_min_lower(&h, 2, 1.0).unwrap();
        assert!(b.bound <= 0.9 && b.bound > 0.85, "{b:?}");
    }

    #[test]
    fn negative_direction_is_detected() {
        let h = [point(1.0), point(0.0), point(0.0), point(-0.5)];
        assert!(rayleigh_upper(&h, 2, &[0.0, 1.0]) < 0.0);
        assert!(rayleigh_upper(&h, 2, &[1.0, 1.0]) > 0.0);
    }
}
