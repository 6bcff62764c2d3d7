//! Two-stage tridiagonalisation for eigenvalues only (as LAPACK's dsytrd_2stage / dsyevd_2stage,
//! PLASMA and ELPA do it).
//!
//! 1. **Dense to band** ([`reduce_to_band`]): the columns are taken in panels of `b`; each panel's
//!    part below the band, A[k + b.., k..k + b], is factored Q R by faer's blocked Householder QR
//!    (Q = I - V T^-1 V^T, compact WY), and the trailing matrix receives the two-sided update
//!    Q^T A22 Q = A22 - V W^T - W V^T with X = A22 V T^-1, W = X - V (T^-T V^T X) / 2: one
//!    symmetric matrix times b columns (two triangular matmuls on the lower triangle) and one
//!    symmetric rank-2b product (faer's triangular matmul, SYR2K). Every flop is BLAS-3: the
//!    one-stage reduction's memory-bound symmetric matrix-vector product per column is gone.
//! 2. **Band to tridiagonal** ([`band_to_tridiagonal`]): bulge chasing with Householder
//!    reflectors of length b (the sequential form of LAPACK's dsb2st kernels: annihilate a
//!    column, apply the reflector to its diagonal block from both sides and to the block below
//!    from the right, annihilate the first column of the bulge this creates, and chase). O(n^2 b)
//!    flops on a compact band of width 2b (the bulge's room), which stays in cache.
//! 3. The eigenvalues of the tridiagonal matrix by the root-free QL of [`crate::sterf`].
//!
//! No back-transformation is formed: this route serves eigenvalues only (vectors keep the
//! one-stage reduction and its compact-WY back-transformation, [`crate::tridiag`]).

use faer::dyn_stack::{MemBuffer, MemStack};
use faer::linalg::householder::make_householder_in_place;
use faer::linalg::matmul::matmul;
use faer::linalg::matmul::triangular::{self, BlockStructure};
use faer::linalg::qr::no_pivoting::factor::{qr_in_place, qr_in_place_scratch};
use faer::linalg::triangular_solve::solve_lower_triangular_in_place;
use faer::prelude::{Reborrow, ReborrowMut};
use faer::{Accum, ColMut, Mat, MatRef, Par};

use crate::LinalgError;
use crate::simd::{axpy_in, dot_in, symv_lower_in};
use crate::sterf::tridiagonal_eigenvalues;
use faer::traits::pulp::{Arch, Simd, WithSimd};

/// Bandwidth of the intermediate band. Measured at one thread (CPU time of each stage, 2-core
/// AVX-512 EPYC): at n = 2000, b = 16 / 32 / 48 gave 0.33 / 0.30 / 0.33 s in all; at n = 3000,
/// b = 32 / 64 gave 0.99 / 0.99 s (a wider band speeds the first stage, 0.75 -> 0.65 s, by as
/// much as it slows the chase, 0.14 -> 0.23 s).
pub(crate) const BAND: usize = 32;

/// From this order on, eigenvalues alone take the two-stage route. Measured crossover (CPU time,
/// one thread, b = 32), two-stage against the one-stage reduction plus the same QL: n = 1000
/// 0.056 / 0.051 s, 1250 0.090-0.103 / 0.081-0.091, 1500 0.163 / 0.162, 1750 0.229-0.249 /
/// 0.254-0.329, 2000 0.30-0.33 / 0.39-0.49, 3000 0.99 / 2.3. Below, the matrix (the lower
/// triangle the one-stage matrix-vector product streams) still fits in the last-level cache and
/// the one-stage reduction's fewer passes win.
pub(crate) const TWO_STAGE_MIN: usize = 1500;

/// The symmetric band form B = Q^T A Q of the first stage, with what is needed to rebuild Q.
pub(crate) struct BandForm {
    /// n x n; the lower triangle within distance `b` of the diagonal is B; below it, each
    /// panel's Householder vectors (essential parts, as faer's QR leaves them).
    pub w: Mat<f64>,
    /// Bandwidth.
    pub b: usize,
    /// Per panel: the first row of its reflectors and its compact-WY factor T (Q = I - V T^-1 V^T).
    #[cfg_attr(not(test), allow(dead_code))]
    pub factors: Vec<(usize, Mat<f64>)>,
}

/// Stage 1: the symmetric `a` (lower triangle read) to a band of bandwidth `b` (>= 1) by blocked
/// Householder QR of panels. `par` is the parallelism of the matrix products.
pub(crate) fn reduce_to_band(a: MatRef<'_, f64>, b: usize, par: Par) -> BandForm {
    let n = a.nrows();
    let b = b.max(1);
    let mut w = Mat::<f64>::zeros(n, n);
    for j in 0..n {
        for i in j..n {
            w[(i, j)] = a[(i, j)];
        }
    }
    let mut factors = Vec::new();
    let mut buffer = MemBuffer::new(qr_in_place_scratch::<f64>(n, b, b, par, Default::default()));
    let mut k0 = 0;
    // Panel columns k0..k0 + b, factored rows r0 = k0 + b.. (at least two, else nothing to do).
    while k0 + b + 1 < n {
        let r0 = k0 + b;
        let m = n - r0;
        let kb = m.min(b);
        let mut t = Mat::<f64>::zeros(kb, kb);
        qr_in_place(
            w.as_mut().submatrix_mut(r0, k0, m, b),
            t.as_mut(),
            par,
            MemStack::new(&mut buffer),
            Default::default(),
        );
        // V (unit lower trapezoidal) and W side by side: lhs = [V W], rhs = [W V].
        let mut vw = Mat::<f64>::zeros(m, 2 * kb);
        for j in 0..kb {
            vw[(j, j)] = 1.0;
            for i in j + 1..m {
                vw[(i, j)] = w[(r0 + i, k0 + j)];
            }
        }
        {
            let (v, mut y) = vw.as_mut().split_at_col_mut(kb);
            let v = v.rb();
            let a22 = w.as_ref().submatrix(r0, r0, m, m);
            // Y = A22 V from the lower triangle: L V + (strict L)^T V.
            triangular::matmul(
                y.rb_mut(),
                BlockStructure::Rectangular,
                Accum::Replace,
                a22,
                BlockStructure::TriangularLower,
                v,
                BlockStructure::Rectangular,
                1.0,
                par,
            );
            triangular::matmul(
                y.rb_mut(),
                BlockStructure::Rectangular,
                Accum::Add,
                a22.transpose(),
                BlockStructure::StrictTriangularUpper,
                v,
                BlockStructure::Rectangular,
                1.0,
                par,
            );
            // X = Y T^-1 (X T = Y, i.e. T^T X^T = Y^T).
            solve_lower_triangular_in_place(
                t.as_ref().transpose(),
                y.rb_mut().transpose_mut(),
                par,
            );
            // M = T^-T (V^T X); W = X - V M / 2.
            let mut z = Mat::<f64>::zeros(kb, kb);
            matmul(z.as_mut(), Accum::Replace, v.transpose(), y.rb(), 1.0, par);
            solve_lower_triangular_in_place(t.as_ref().transpose(), z.as_mut(), par);
            matmul(y.rb_mut(), Accum::Add, v, z.as_ref(), -0.5, par);
        }
        let rhs = Mat::<f64>::from_fn(m, 2 * kb, |r, c| {
            if c < kb {
                vw[(r, kb + c)]
            } else {
                vw[(r, c - kb)]
            }
        });
        triangular::matmul(
            w.as_mut().submatrix_mut(r0, r0, m, m),
            BlockStructure::TriangularLower,
            Accum::Add,
            vw.as_ref(),
            BlockStructure::Rectangular,
            rhs.as_ref().transpose(),
            BlockStructure::Rectangular,
            -1.0,
            par,
        );
        factors.push((r0, t));
        k0 += b;
    }
    BandForm { w, b, factors }
}

/// The band's compact storage: entry (i, c), 0 <= i - c < 2b, at `i + c * ld` with ld = 2b (a
/// column-major matrix whose column c starts at row c), so every block the chase touches is a
/// strided view with contiguous columns.
struct Compact {
    data: Vec<f64>,
    ld: usize,
}

impl Compact {
    #[inline(always)]
    fn col(&mut self, c: usize, r0: usize, len: usize) -> &mut [f64] {
        let s = r0 + c * self.ld;
        &mut self.data[s..s + len]
    }
}

/// Reflector from `x` (in place: x[0] becomes beta, the rest the essential part, copied to `v`
/// with v[0] = 1 and then cleared in `x`); returns tau in LAPACK's convention H = I - tau v v^T.
fn reflector(x: &mut [f64], v: &mut [f64]) -> f64 {
    let len = x.len();
    let (head, tail) = x.split_first_mut().expect("len >= 1");
    let info = make_householder_in_place(head, ColMut::from_slice_mut(tail));
    v[0] = 1.0;
    v[1..len].copy_from_slice(tail);
    tail.fill(0.0);
    if info.tau.is_finite() {
        1.0 / info.tau
    } else {
        0.0
    }
}

/// D <- H D H for the symmetric diagonal block D = A[st..st + len, st..st + len] (lower triangle),
/// H = I - tau v v^T (LAPACK's dlarfy). `w` is scratch of length >= len.
#[inline(always)]
fn two_sided<S: Simd>(simd: S, band: &mut Compact, st: usize, v: &[f64], tau: f64, w: &mut [f64]) {
    let len = v.len();
    if tau == 0.0 {
        return;
    }
    let w = &mut w[..len];
    symv_lower_in(simd, &band.data, band.ld, st, v, w);
    w.iter_mut().for_each(|x| *x *= tau);
    let alpha = -0.5 * tau * dot_in(simd, w, v);
    axpy_in(simd, alpha, v, w);
    for c in 0..len {
        let col = band.col(st + c, st + c, len - c);
        axpy_in(simd, -v[c], &w[c..], col);
        axpy_in(simd, -w[c], &v[c..], col);
    }
}

/// The bulge chase on the compact band, one dispatch for the whole reduction (the vectors are
/// b long, so per-call SIMD dispatch would cost as much as the arithmetic).
struct Chase<'a> {
    band: &'a mut Compact,
    n: usize,
    b: usize,
}

impl WithSimd for Chase<'_> {
    type Output = ();

    #[inline(always)]
    fn with_simd<S: Simd>(self, simd: S) {
        let Chase { band, n, b } = self;
        let mut v = vec![0.0; b];
        let mut u = vec![0.0; b];
        let mut y = vec![0.0; b];
        let mut scratch = vec![0.0; b];
        for s in 0..n.saturating_sub(2) {
            let mut st = s + 1;
            let mut ed = (s + b).min(n - 1);
            let mut len = ed - st + 1;
            if len < 2 {
                continue;
            }
            let mut tau = reflector(band.col(s, st, len), &mut v);
            two_sided(simd, band, st, &v[..len], tau, &mut scratch);
            // Even an identity reflector continues the chase: the block below still holds the
            // previous sweep's fill in its later columns, which this sweep's bulge step removes.
            loop {
                let j1 = ed + 1;
                if j1 >= n {
                    break;
                }
                let j2 = (ed + b).min(n - 1);
                let mb = j2 - j1 + 1;
                // B = A[j1..=j2, st..=ed] <- B H.
                if tau != 0.0 {
                    let y = &mut y[..mb];
                    y.fill(0.0);
                    for (c, &vc) in v[..len].iter().enumerate() {
                        axpy_in(simd, vc, band.col(st + c, j1, mb), y);
                    }
                    for (c, &vc) in v[..len].iter().enumerate() {
                        axpy_in(simd, -tau * vc, y, band.col(st + c, j1, mb));
                    }
                }
                if mb < 2 {
                    break;
                }
                // Annihilate B's first column below its first row, and apply that reflector to
                // the rest of B from the left and to the next diagonal block from both sides.
                let tau2 = reflector(band.col(st, j1, mb), &mut u);
                if tau2 != 0.0 {
                    for c in 1..len {
                        let col = band.col(st + c, j1, mb);
                        let sdot = dot_in(simd, &u[..mb], col);
                        axpy_in(simd, -tau2 * sdot, &u[..mb], col);
                    }
                }
                two_sided(simd, band, j1, &u[..mb], tau2, &mut scratch);
                std::mem::swap(&mut u, &mut v);
                tau = tau2;
                st = j1;
                ed = j2;
                len = mb;
            }
        }
    }
}

/// Stage 2: the diagonal and subdiagonal of the tridiagonal matrix orthogonally similar to the
/// band `form` (bulge chasing, one column per sweep).
pub(crate) fn band_to_tridiagonal(form: &BandForm) -> (Vec<f64>, Vec<f64>) {
    let n = form.w.nrows();
    let b = form.b;
    let ld = 2 * b;
    let mut band = Compact {
        data: vec![0.0; n * (ld + 1) + ld],
        ld,
    };
    for c in 0..n {
        let end = (c + b).min(n - 1);
        for i in c..=end {
            band.data[i + c * ld] = form.w[(i, c)];
        }
    }
    Arch::new().dispatch(Chase {
        band: &mut band,
        n,
        b,
    });
    let d = (0..n).map(|i| band.data[i + i * ld]).collect();
    let e = (0..n)
        .map(|i| {
            if i + 1 < n {
                band.data[i + 1 + i * ld]
            } else {
                0.0
            }
        })
        .collect();
    (d, e)
}

/// Eigenvalues (ascending) of the symmetric `a` (lower triangle read) through the two-stage
/// reduction with bandwidth `b`; faer's tridiagonal QR is the fallback of the root-free QL.
pub(crate) fn two_stage_eigenvalues(
    a: MatRef<'_, f64>,
    b: usize,
    par: Par,
) -> Result<Vec<f64>, LinalgError> {
    let n = a.nrows();
    if n == 0 {
        return Ok(Vec::new());
    }
    let form = reduce_to_band(a, b, par);
    let (d, e) = band_to_tridiagonal(&form);
    drop(form);
    if let Some(values) = tridiagonal_eigenvalues(&d, &e) {
        return Ok(values);
    }
    crate::tridiag::tridiagonal_values_fallback(&d, &e, par)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::test_matrices::{clustered, faer_eigenvalues, graded, low_rank, symmetric};

    /// Both routes are backward stable (each spectrum is exact for A + E, ||E||_2 <= c n eps
    /// ||A||_2), so by Weyl they agree to 2 c n eps ||A|| (c = 4; ||A||_F bounds ||A||_2).
    fn assert_same_spectrum(a: &Mat<f64>, b: usize, what: &str) {
        let n = a.nrows();
        let ours = two_stage_eigenvalues(a.as_ref(), b, Par::Seq).unwrap();
        let one_stage =
            crate::tridiag::blocked_evd(a.as_ref(), None, crate::tridiag::PANEL, Par::Seq).unwrap();
        let theirs = faer_eigenvalues(a.as_ref());
        let tol = 8.0 * n as f64 * f64::EPSILON * a.norm_l2();
        assert_eq!(ours.len(), n);
        for k in 0..n {
            let (x, y, z) = (ours[k], one_stage[k], theirs[k]);
            assert!(
                (x - z).abs() <= tol && (x - y).abs() <= tol,
                "{what} n={n} b={b} k={k}: two-stage {x}, one-stage {y}, faer {z} (tol {tol:e})"
            );
        }
    }

    #[test]
    fn two_stage_eigenvalues_equal_the_one_stage_and_faer_spectra() {
        // Orders below, at and above b, not multiples of b, and a last panel of one row.
        let cases = [
            (1, 4),
            (2, 4),
            (3, 4),
            (5, 4),
            (6, 4),
            (9, 4),
            (10, 4),
            (23, 5),
            (64, 8),
            (70, 32),
            (97, 32),
            (130, BAND),
            (300, BAND),
            (301, 24),
        ];
        for (n, b) in cases {
            let seed = 3 * n as u64 + b as u64;
            assert_same_spectrum(&symmetric(n, seed), b, "random");
            assert_same_spectrum(&graded(n, seed), b, "graded");
            assert_same_spectrum(&clustered(n, seed), b, "clustered");
            assert_same_spectrum(&low_rank(n, (n / 7).max(1), seed), b, "low-rank");
        }
    }

    #[test]
    fn public_call_takes_the_two_stage_route_with_its_invariants() {
        let n = TWO_STAGE_MIN + 13;
        let a = symmetric(n, 41);
        let v = crate::sym_eigenvalues(a.as_ref(), Par::Seq).unwrap();
        let bound = 16.0 * n as f64 * f64::EPSILON;
        assert!(
            v.trace_error <= bound && v.frobenius_error <= bound,
            "{v:?}"
        );
        assert_eq!(
            v.values,
            two_stage_eigenvalues(a.as_ref(), BAND, Par::Seq).unwrap()
        );
        // Through a transposed (row-major) view as well.
        let t = crate::sym_eigenvalues(a.as_ref().transpose(), Par::Seq).unwrap();
        let tol = 8.0 * n as f64 * f64::EPSILON * a.norm_l2();
        for (x, y) in t.values.iter().zip(&v.values) {
            assert!((x - y).abs() <= tol);
        }
    }

    #[test]
    fn tridiagonal_and_diagonal_inputs_pass_through() {
        // Already tridiagonal: every reflector is the identity, and the chase must still run.
        let n = 50;
        let a = Mat::<f64>::from_fn(n, n, |i, j| match i.abs_diff(j) {
            0 => 2.0,
            1 => -1.0,
            _ => 0.0,
        });
        assert_same_spectrum(&a, 8, "second difference");
        let d = Mat::<f64>::from_fn(n, n, |i, j| if i == j { i as f64 } else { 0.0 });
        assert_same_spectrum(&d, 8, "diagonal");
        assert_same_spectrum(&Mat::<f64>::zeros(n, n), 8, "zero");
    }

    /// Q = Q_0 Q_1 ..., each panel's Q_k = I - V T^-1 V^T on rows r0.. .
    fn form_q(form: &BandForm) -> Mat<f64> {
        let n = form.w.nrows();
        let mut q = Mat::<f64>::identity(n, n);
        for (k, (r0, t)) in form.factors.iter().enumerate().rev() {
            let (r0, k0, m, kb) = (*r0, k * form.b, n - r0, t.nrows());
            let v = Mat::<f64>::from_fn(m, kb, |i, j| {
                if i == j {
                    1.0
                } else if i > j {
                    form.w[(r0 + i, k0 + j)]
                } else {
                    0.0
                }
            });
            // Q_k Q_rest: rows r0.. of the product -= V T^-1 (V^T Q[r0..]).
            let mut c = v.transpose() * q.as_ref().subrows(r0, m);
            faer::linalg::triangular_solve::solve_upper_triangular_in_place(
                t.as_ref(),
                c.as_mut(),
                Par::Seq,
            );
            let upd = &v * &c;
            let mut rows = q.as_mut().subrows_mut(r0, m);
            rows -= &upd;
        }
        q
    }

    #[test]
    fn band_reduction_is_an_orthogonal_similarity() {
        for (n, b) in [
            (1, 4),
            (2, 4),
            (5, 4),
            (9, 4),
            (10, 4),
            (37, 8),
            (64, 8),
            (70, 32),
            (101, 7),
        ] {
            let a = symmetric(n, 5 * n as u64 + b as u64);
            let form = reduce_to_band(a.as_ref(), b, Par::Seq);
            let q = form_q(&form);
            let band = Mat::<f64>::from_fn(n, n, |i, j| {
                let (r, c) = if i >= j { (i, j) } else { (j, i) };
                if r - c <= b { form.w[(r, c)] } else { 0.0 }
            });
            let scale = a.norm_l2().max(1.0);
            let tol = n as f64 * f64::EPSILON * scale;
            let back = q.transpose() * &a * &q;
            let err = (&back - &band).norm_l2();
            assert!(
                err <= 4.0 * tol,
                "n={n} b={b}: ||Q^T A Q - B|| = {err:e} (tol {tol:e})"
            );
            let orth = (q.transpose() * &q - Mat::<f64>::identity(n, n)).norm_l2();
            assert!(
                orth <= 4.0 * n as f64 * f64::EPSILON,
                "n={n} b={b}: {orth:e}"
            );
        }
    }
}
