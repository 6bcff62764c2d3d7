//! The BLAS-1/2 kernels of the blocked tridiagonalisation and of Lanczos, vectorised with pulp
//! (the SIMD layer faer itself dispatches through, reached as `faer::traits::pulp`, so no new
//! dependency): the widest instruction set the CPU offers is chosen at run time, without
//! `unsafe`.
//!
//! The one kernel that matters is [`symv_lower`], y = B x for a symmetric B read from its lower
//! triangle, one pass over the matrix: each column is read once and feeds both its axpy (the
//! lower part) and its dot product (the mirrored upper part). Four columns are streamed together
//! so that x and y are loaded once per four columns.

use faer::traits::pulp::{Arch, Simd, WithSimd};

/// Columns `off..off + m` of a column-major matrix with leading dimension `ld`, rows
/// `off..off + m` (the trailing block `B`), as a slice accessor.
#[inline(always)]
fn column(a: &[f64], ld: usize, off: usize, m: usize, j: usize) -> &[f64] {
    let start = (off + j) * ld + off;
    &a[start..start + m]
}

struct Symv<'a> {
    a: &'a [f64],
    ld: usize,
    off: usize,
    x: &'a [f64],
    y: &'a mut [f64],
}

/// ys += sum_k c_k x_k; returns the four dots c_k . xs. All slices have the same length.
#[inline(always)]
fn fused4<S: Simd>(simd: S, c: [&[f64]; 4], xk: [f64; 4], xs: &[f64], ys: &mut [f64]) -> [f64; 4] {
    let len = ys.len();
    let (yh, yt) = S::as_mut_simd_f64s(ys);
    let (xh, xt) = S::as_simd_f64s(&xs[..len]);
    let (c0h, c0t) = S::as_simd_f64s(&c[0][..len]);
    let (c1h, c1t) = S::as_simd_f64s(&c[1][..len]);
    let (c2h, c2t) = S::as_simd_f64s(&c[2][..len]);
    let (c3h, c3t) = S::as_simd_f64s(&c[3][..len]);
    let h = yh.len();
    let (xh, c0h, c1h, c2h, c3h) = (&xh[..h], &c0h[..h], &c1h[..h], &c2h[..h], &c3h[..h]);
    let s0 = simd.splat_f64s(xk[0]);
    let s1 = simd.splat_f64s(xk[1]);
    let s2 = simd.splat_f64s(xk[2]);
    let s3 = simd.splat_f64s(xk[3]);
    let zero = simd.splat_f64s(0.0);
    let (mut a0, mut a1, mut a2, mut a3) = (zero, zero, zero, zero);
    for i in 0..h {
        let xv = xh[i];
        let mut yv = yh[i];
        let v0 = c0h[i];
        let v1 = c1h[i];
        let v2 = c2h[i];
        let v3 = c3h[i];
        yv = simd.mul_add_f64s(v0, s0, yv);
        a0 = simd.mul_add_f64s(v0, xv, a0);
        yv = simd.mul_add_f64s(v1, s1, yv);
        a1 = simd.mul_add_f64s(v1, xv, a1);
        yv = simd.mul_add_f64s(v2, s2, yv);
        a2 = simd.mul_add_f64s(v2, xv, a2);
        yv = simd.mul_add_f64s(v3, s3, yv);
        a3 = simd.mul_add_f64s(v3, xv, a3);
        yh[i] = yv;
    }
    let mut d = [
        simd.reduce_sum_f64s(a0),
        simd.reduce_sum_f64s(a1),
        simd.reduce_sum_f64s(a2),
        simd.reduce_sum_f64s(a3),
    ];
    let tails = [c0t, c1t, c2t, c3t];
    for (i, y) in yt.iter_mut().enumerate() {
        let xv = xt[i];
        for k in 0..4 {
            let v = tails[k][i];
            *y += v * xk[k];
            d[k] += v * xv;
        }
    }
    d
}

/// ys += c x_k; returns c . xs.
#[inline(always)]
fn fused1<S: Simd>(simd: S, c: &[f64], xk: f64, xs: &[f64], ys: &mut [f64]) -> f64 {
    let len = ys.len();
    let (yh, yt) = S::as_mut_simd_f64s(ys);
    let (xh, xt) = S::as_simd_f64s(&xs[..len]);
    let (ch, ct) = S::as_simd_f64s(&c[..len]);
    let h = yh.len();
    let (xh, ch) = (&xh[..h], &ch[..h]);
    let s = simd.splat_f64s(xk);
    let mut acc = simd.splat_f64s(0.0);
    for i in 0..h {
        yh[i] = simd.mul_add_f64s(ch[i], s, yh[i]);
        acc = simd.mul_add_f64s(ch[i], xh[i], acc);
    }
    let mut d = simd.reduce_sum_f64s(acc);
    for (i, y) in yt.iter_mut().enumerate() {
        *y += ct[i] * xk;
        d += ct[i] * xt[i];
    }
    d
}

impl WithSimd for Symv<'_> {
    type Output = ();

    #[inline(always)]
    fn with_simd<S: Simd>(self, simd: S) {
        let Symv { a, ld, off, x, y } = self;
        let m = y.len();
        let x = &x[..m];
        y.fill(0.0);
        let mut j = 0;
        while j + 4 <= m {
            let c = [
                column(a, ld, off, m, j),
                column(a, ld, off, m, j + 1),
                column(a, ld, off, m, j + 2),
                column(a, ld, off, m, j + 3),
            ];
            let xk = [x[j], x[j + 1], x[j + 2], x[j + 3]];
            // The 4 x 4 diagonal block, its lower triangle read.
            let mut dots = [0.0; 4];
            for k in 0..4 {
                for i in k..4 {
                    let b = c[k][j + i];
                    y[j + i] += b * xk[k];
                    if i != k {
                        dots[k] += b * x[j + i];
                    }
                }
            }
            let r = j + 4;
            let d = fused4(
                simd,
                [&c[0][r..], &c[1][r..], &c[2][r..], &c[3][r..]],
                xk,
                &x[r..],
                &mut y[r..],
            );
            for k in 0..4 {
                y[j + k] += dots[k] + d[k];
            }
            j += 4;
        }
        while j < m {
            let c = column(a, ld, off, m, j);
            let d = fused1(simd, &c[j + 1..], x[j], &x[j + 1..], &mut y[j + 1..]);
            y[j] += c[j] * x[j] + d;
            j += 1;
        }
    }
}

/// y = B x for the symmetric trailing block B = A[off.., off..] of the column-major `a`
/// (leading dimension `ld`), read from its lower triangle only; `y.len()` is B's order.
pub(crate) fn symv_lower(a: &[f64], ld: usize, off: usize, x: &[f64], y: &mut [f64]) {
    Arch::new().dispatch(Symv { a, ld, off, x, y });
}

struct Dot<'a>(&'a [f64], &'a [f64]);

impl WithSimd for Dot<'_> {
    type Output = f64;

    #[inline(always)]
    fn with_simd<S: Simd>(self, simd: S) -> f64 {
        let len = self.0.len();
        let (ah, at) = S::as_simd_f64s(self.0);
        let (bh, bt) = S::as_simd_f64s(&self.1[..len]);
        let bh = &bh[..ah.len()];
        let zero = simd.splat_f64s(0.0);
        let (mut s0, mut s1) = (zero, zero);
        let pairs = ah.len() / 2;
        for i in 0..pairs {
            s0 = simd.mul_add_f64s(ah[2 * i], bh[2 * i], s0);
            s1 = simd.mul_add_f64s(ah[2 * i + 1], bh[2 * i + 1], s1);
        }
        if ah.len() % 2 == 1 {
            s0 = simd.mul_add_f64s(ah[2 * pairs], bh[2 * pairs], s0);
        }
        let mut d = simd.reduce_sum_f64s(simd.add_f64s(s0, s1));
        for (x, y) in at.iter().zip(bt) {
            d += x * y;
        }
        d
    }
}

/// a . b over `a.len()` entries.
pub(crate) fn dot(a: &[f64], b: &[f64]) -> f64 {
    Arch::new().dispatch(Dot(a, b))
}

struct Axpy<'a>(f64, &'a [f64], &'a mut [f64]);

impl WithSimd for Axpy<'_> {
    type Output = ();

    #[inline(always)]
    fn with_simd<S: Simd>(self, simd: S) {
        let Axpy(alpha, x, y) = self;
        let len = y.len();
        let (yh, yt) = S::as_mut_simd_f64s(y);
        let (xh, xt) = S::as_simd_f64s(&x[..len]);
        let xh = &xh[..yh.len()];
        let s = simd.splat_f64s(alpha);
        for (y, x) in yh.iter_mut().zip(xh) {
            *y = simd.mul_add_f64s(*x, s, *y);
        }
        for (y, x) in yt.iter_mut().zip(xt) {
            *y += alpha * x;
        }
    }
}

/// y += alpha x over `y.len()` entries.
pub(crate) fn axpy(alpha: f64, x: &[f64], y: &mut [f64]) {
    Arch::new().dispatch(Axpy(alpha, x, y));
}

/// [`dot`] inside a caller's SIMD context (inlined into its dispatch).
#[inline(always)]
pub(crate) fn dot_in<S: Simd>(simd: S, a: &[f64], b: &[f64]) -> f64 {
    Dot(a, b).with_simd(simd)
}

/// [`axpy`] inside a caller's SIMD context.
#[inline(always)]
pub(crate) fn axpy_in<S: Simd>(simd: S, alpha: f64, x: &[f64], y: &mut [f64]) {
    Axpy(alpha, x, y).with_simd(simd)
}

/// [`symv_lower`] inside a caller's SIMD context.
#[inline(always)]
pub(crate) fn symv_lower_in<S: Simd>(
    simd: S,
    a: &[f64],
    ld: usize,
    off: usize,
    x: &[f64],
    y: &mut [f64],
) {
    Symv { a, ld, off, x, y }.with_simd(simd)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn symv_reads_the_lower_triangle_and_matches_the_definition() {
        for (n, off) in [(1, 0), (3, 0), (7, 2), (13, 5), (40, 3)] {
            let ld = n + off;
            // The upper triangle holds garbage that must not be read.
            let a: Vec<f64> = (0..ld * ld)
                .map(|k| {
                    let (i, j) = (k % ld, k / ld);
                    if i >= j {
                        ((i * 7 + j * 3) % 11) as f64 - 5.0
                    } else {
                        f64::NAN
                    }
                })
                .collect();
            let x: Vec<f64> = (0..n).map(|i| (i as f64 * 0.37).sin()).collect();
            let mut y = vec![0.0; n];
            symv_lower(&a, ld, off, &x, &mut y);
            for (i, yi) in y.iter().enumerate() {
                let mut want = 0.0;
                for (j, xj) in x.iter().enumerate() {
                    let (r, c) = if i >= j { (i, j) } else { (j, i) };
                    want += a[(off + c) * ld + off + r] * xj;
                }
                assert!(
                    (yi - want).abs() <= 1e-12 * (1.0 + want.abs()),
                    "n={n} i={i}"
                );
            }
        }
    }

    #[test]
    fn dot_and_axpy_match_their_definitions() {
        for n in [0, 1, 5, 8, 17, 33] {
            let a: Vec<f64> = (0..n).map(|i| i as f64 - 3.0).collect();
            let b: Vec<f64> = (0..n).map(|i| 1.0 / (1.0 + i as f64)).collect();
            let want: f64 = a.iter().zip(&b).map(|(x, y)| x * y).sum();
            assert!((dot(&a, &b) - want).abs() < 1e-12);
            let mut y = b.clone();
            axpy(2.0, &a, &mut y);
            for i in 0..n {
                assert!((y[i] - (b[i] + 2.0 * a[i])).abs() < 1e-12);
            }
        }
    }
}
