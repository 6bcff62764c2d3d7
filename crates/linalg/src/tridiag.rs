//! Blocked Householder tridiagonalisation of a symmetric matrix, as LAPACK's dsytrd / dlatrd do it,
//! and the eigen pipeline built on it.
//!
//! faer 0.24's `tridiag_in_place` is unblocked: each column applies a rank-2 update to the whole
//! trailing matrix (read and written once per column, BLAS-2). Here the columns are taken in
//! panels of [`PANEL`]: inside a panel each column only *reads* the trailing matrix once (one
//! symmetric matrix-vector product from the lower triangle, [`crate::simd::symv_lower`]) and is
//! corrected by the panel's earlier reflectors; after the panel the trailing matrix receives one
//! symmetric rank-2k update A22 -= V W^T + W V^T on faer's triangular matmul (lower triangle only,
//! SYR2K). The matrix is written once per panel instead of once per column.
//!
//! Eigenvalues alone come from the root-free QL iteration of [`crate::sterf`] (faer's QR as the
//! fallback); from n = [`crate::band::TWO_STAGE_MIN`] eigenvalues alone take the two-stage
//! reduction of [`crate::band`] instead, and this one serves eigenvectors and smaller orders. The reflectors are stored exactly as faer stores its own (essential parts below the
//! subdiagonal, tau in faer's convention H = I - v v^T / tau), so faer's divide and conquer
//! (vectors) and its compact-WY back-transformation
//! (`apply_block_householder_sequence_on_the_left_in_place_with_conj`, from the blocked T factors)
//! run on them unchanged.

use faer::diag::{Diag, DiagRef};
use faer::dyn_stack::{MemBuffer, MemStack};
use faer::linalg::evd::{
    ComputeEigenvectors, self_adjoint_evd_scratch, tridiagonal_self_adjoint_evd,
};
use faer::linalg::householder::{
    apply_block_householder_sequence_on_the_left_in_place_scratch,
    apply_block_householder_sequence_on_the_left_in_place_with_conj, make_householder_in_place,
    upgrade_householder_factor,
};
use faer::linalg::matmul::triangular::{self, BlockStructure};
use faer::{Accum, ColMut, Conj, Mat, MatMut, MatRef, Par};

use crate::LinalgError;
use crate::simd::{axpy, dot, symv_lower};
use crate::sterf::tridiagonal_eigenvalues;

/// Panel width of the blocked reduction (LAPACK's dsytrd uses 32 for double precision).
pub(crate) const PANEL: usize = 32;

/// Below this order the unblocked reduction (faer's) is used: the matrix fits in cache and the
/// panel bookkeeping would not pay.
pub(crate) const BLOCKED_MIN: usize = 192;

/// A = Q T Q^T with T tridiagonal: T's diagonal and subdiagonal, and Q as Householder reflectors.
pub(crate) struct Tridiagonal {
    /// Order of A.
    pub n: usize,
    /// T's diagonal (n).
    pub diag: Vec<f64>,
    /// T's subdiagonal (n - 1 entries used; the last entry is 0, as faer's solver expects).
    pub offdiag: Vec<f64>,
    /// Column-major n x n: column k below row k + 1 holds reflector k's essential part.
    pub reflectors: Vec<f64>,
    /// Reflector k is I - v v^T / tau[k] (faer's convention; infinite means the identity).
    pub tau: Vec<f64>,
}

/// Blocked tridiagonalisation of the symmetric `a` (lower triangle read), with panel width
/// `panel` (>= 1). `par` is the parallelism of the trailing rank-2k updates.
pub(crate) fn tridiagonalize(a: MatRef<'_, f64>, panel: usize, par: Par) -> Tridiagonal {
    let n = a.nrows();
    let panel = panel.max(1);
    let mut w = vec![0.0; n * n];
    for j in 0..n {
        for i in j..n {
            w[j * n + i] = a[(i, j)];
        }
    }
    let mut offdiag = vec![0.0; n];
    let mut tau = vec![f64::INFINITY; n.saturating_sub(1)];
    // The panel's V (columns 0..nb) and W (columns nb..2nb), n rows each (global row indices).
    let mut vw = vec![0.0; n * 2 * panel];
    let mut k0 = 0;
    while k0 + 1 < n {
        let nb = panel.min(n - 1 - k0);
        vw.fill(0.0);
        for i in 0..nb {
            let j = k0 + i;
            let (vcols, wcols) = vw.split_at_mut(nb * n);
            // 1. Bring column j up to date with the panel's earlier reflectors.
            {
                let col = &mut w[j * n + j..(j + 1) * n];
                for l in 0..i {
                    let v = &vcols[l * n..(l + 1) * n];
                    let ww = &wcols[l * n..(l + 1) * n];
                    axpy(-ww[j], &v[j..], col);
                    axpy(-v[j], &ww[j..], col);
                }
            }
            // 2. The reflector annihilating A[j+2.., j].
            let tau_f = {
                let col = &mut w[j * n + j + 1..(j + 1) * n];
                let (head, tail) = col.split_first_mut().expect("j + 1 < n");
                let info = make_householder_in_place(head, ColMut::from_slice_mut(tail));
                offdiag[j] = *head;
                info.tau
            };
            tau[j] = tau_f;
            let tau_l = if tau_f.is_finite() { 1.0 / tau_f } else { 0.0 };
            let (vdone, vrest) = vcols.split_at_mut(i * n);
            let v = &mut vrest[..n];
            v[j + 1] = 1.0;
            v[j + 2..].copy_from_slice(&w[j * n + j + 2..(j + 1) * n]);
            let v = &v[j + 1..];
            let (wdone, wrest) = wcols.split_at_mut(i * n);
            let wi = &mut wrest[j + 1..n];
            if tau_l == 0.0 {
                continue;
            }
            // 3. w = tau (A22 - V W^T - W V^T) v, A22 the trailing block as of the panel's start.
            symv_lower(&w, n, j + 1, v, wi);
            for l in 0..i {
                let vl = &vdone[l * n + j + 1..(l + 1) * n];
                let wl = &wdone[l * n + j + 1..(l + 1) * n];
                let c1 = dot(wl, v);
                let c2 = dot(vl, v);
                axpy(-c1, vl, wi);
                axpy(-c2, wl, wi);
            }
            for x in wi.iter_mut() {
                *x *= tau_l;
            }
            let alpha = -0.5 * tau_l * dot(wi, v);
            axpy(alpha, v, wi);
        }
        // 4. A[t.., t..] -= V W^T + W V^T on the lower triangle, one rank-2k product.
        let t = k0 + nb;
        let mt = n - t;
        let lhs = MatRef::from_column_major_slice(&vw[..2 * nb * n], n, 2 * nb).subrows(t, mt);
        let rhs = Mat::<f64>::from_fn(mt, 2 * nb, |r, c| {
            if c < nb {
                lhs[(r, nb + c)]
            } else {
                lhs[(r, c - nb)]
            }
        });
        let trailing =
            MatMut::from_column_major_slice_mut(&mut w, n, n).submatrix_mut(t, t, mt, mt);
        triangular::matmul(
            trailing,
            BlockStructure::TriangularLower,
            Accum::Add,
            lhs,
            BlockStructure::Rectangular,
            rhs.as_ref().transpose(),
            BlockStructure::Rectangular,
            -1.0,
            par,
        );
        k0 = t;
    }
    let diag = (0..n).map(|j| w[j * n + j]).collect();
    Tridiagonal {
        n,
        diag,
        offdiag,
        reflectors: w,
        tau,
    }
}

/// Eigenvalues (ascending), and the eigenvectors when `vectors` is given (n x n), of the
/// symmetric `a` through the blocked reduction: faer's tridiagonal solver, then the compact-WY
/// back-transformation by faer's blocked Householder application.
pub(crate) fn blocked_evd(
    a: MatRef<'_, f64>,
    vectors: Option<&mut Mat<f64>>,
    panel: usize,
    par: Par,
) -> Result<Vec<f64>, LinalgError> {
    let n = a.nrows();
    if n == 0 {
        return Ok(Vec::new());
    }
    let t = tridiagonalize(a, panel, par);
    let compute = if vectors.is_some() {
        ComputeEigenvectors::Yes
    } else {
        ComputeEigenvectors::No
    };
    if vectors.is_none()
        && let Some(values) = tridiagonal_eigenvalues(&t.diag, &t.offdiag)
    {
        return Ok(values);
    }
    let Some(u) = vectors else {
        return tridiagonal_values_fallback(&t.diag, &t.offdiag, par);
    };
    let mut s = Diag::<f64>::zeros(n);
    let mut buffer = MemBuffer::new(self_adjoint_evd_scratch::<f64>(
        n,
        compute,
        par,
        Default::default(),
    ));
    let stack = MemStack::new(&mut buffer);
    tridiagonal_self_adjoint_evd(
        DiagRef::from_slice(&t.diag),
        DiagRef::from_slice(&t.offdiag),
        s.as_mut(),
        Some(u.as_mut()),
        par,
        stack,
        Default::default(),
    )
    .map_err(|_| LinalgError::NoConvergence)?;
    if n > 1 {
        back_transform(&t, u.as_mut(), par);
    }
    finite(s)
}

/// Eigenvalues of the tridiagonal (diag, offdiag; offdiag[n - 1] ignored) by faer's QR, the
/// fallback when the root-free QL does not converge.
pub(crate) fn tridiagonal_values_fallback(
    diag: &[f64],
    offdiag: &[f64],
    par: Par,
) -> Result<Vec<f64>, LinalgError> {
    let n = diag.len();
    let mut off = offdiag[..n].to_vec();
    off[n - 1] = 0.0;
    let mut s = Diag::<f64>::zeros(n);
    let mut buffer = MemBuffer::new(self_adjoint_evd_scratch::<f64>(
        n,
        ComputeEigenvectors::No,
        par,
        Default::default(),
    ));
    tridiagonal_self_adjoint_evd(
        DiagRef::from_slice(diag),
        DiagRef::from_slice(&off),
        s.as_mut(),
        None,
        par,
        MemStack::new(&mut buffer),
        Default::default(),
    )
    .map_err(|_| LinalgError::NoConvergence)?;
    finite(s)
}

fn finite(s: Diag<f64>) -> Result<Vec<f64>, LinalgError> {
    let values: Vec<f64> = s.column_vector().iter().copied().collect();
    if values.iter().any(|v| !v.is_finite()) {
        return Err(LinalgError::NoConvergence);
    }
    Ok(values)
}

/// U <- Q U, Q = H_0 H_1 ... H_{n-2}, applied in blocks of `bs` reflectors as I - V T V^T
/// (faer's compact-WY factors, built here from the stored reflectors as faer's own reduction
/// builds them).
fn back_transform(t: &Tridiagonal, u: MatMut<'_, f64>, par: Par) {
    let n = t.n;
    let m = n - 1;
    let bs = faer::linalg::qr::no_pivoting::factor::recommended_block_size::<f64>(n, n);
    let basis = MatRef::from_column_major_slice(&t.reflectors, n, n).submatrix(1, 0, m, m);
    let mut factor = Mat::<f64>::zeros(bs, m);
    let mut j = 0;
    while j < m {
        let b = bs.min(m - j);
        let mut block = factor.as_mut().submatrix_mut(0, j, b, b);
        for k in 0..b {
            block[(k, k)] = t.tau[j + k];
        }
        upgrade_householder_factor(block, basis.submatrix(j, j, m - j, b), b, 1, par);
        j += b;
    }
    let mut buffer = MemBuffer::new(
        apply_block_householder_sequence_on_the_left_in_place_scratch::<f64>(m, bs, n),
    );
    apply_block_householder_sequence_on_the_left_in_place_with_conj(
        basis,
        factor.as_ref(),
        Conj::No,
        u.subrows_mut(1, m),
        par,
        MemStack::new(&mut buffer),
    );
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::residual::{orthogonality_error, symmetric_reconstruction_residual};
    use crate::test_matrices::{faer_eigenvalues, symmetric};

    /// Orders and panels chosen to hit every edge: n below, at and just above the panel, odd n,
    /// a last panel of one column, and panels wider than the matrix.
    const CASES: [(usize, usize); 12] = [
        (1, 4),
        (2, 4),
        (3, 4),
        (4, 4),
        (5, 4),
        (9, 4),
        (17, 32),
        (31, 32),
        (33, 32),
        (37, 5),
        (64, 8),
        (101, 7),
    ];

    #[test]
    fn blocked_values_agree_with_the_unblocked_reduction_to_backward_stable_accuracy() {
        for (n, panel) in CASES.into_iter().chain([(250, PANEL), (301, 16)]) {
            let a = symmetric(n, n as u64 + 3 * panel as u64);
            let ours = blocked_evd(a.as_ref(), None, panel, Par::Seq).unwrap();
            let theirs = faer_eigenvalues(a.as_ref());
            // Both are backward stable: each is the exact spectrum of A + E with
            // ||E||_2 <= c n eps ||A||_2, so by Weyl they agree to 2 c n eps ||A||_2 (c = 4,
            // and ||A||_F bounds ||A||_2).
            let tol = 8.0 * n as f64 * f64::EPSILON * a.norm_l2();
            for (x, y) in ours.iter().zip(&theirs) {
                assert!(
                    (x - y).abs() <= tol,
                    "n={n} panel={panel}: {x} vs {y} (tol {tol:e})"
                );
            }
        }
    }

    #[test]
    fn blocked_vectors_reconstruct_and_are_orthonormal() {
        for (n, panel) in CASES.into_iter().chain([(200, PANEL)]) {
            let a = symmetric(n, 7 * n as u64 + panel as u64);
            let mut u = Mat::<f64>::zeros(n, n);
            let values = blocked_evd(a.as_ref(), Some(&mut u), panel, Par::Seq).unwrap();
            let bound = 16.0 * n as f64 * f64::EPSILON;
            let r = symmetric_reconstruction_residual(a.as_ref(), u.as_ref(), &values, Par::Seq);
            let o = orthogonality_error(u.as_ref(), Par::Seq);
            assert!(r <= bound, "n={n} panel={panel}: residual {r:e}");
            assert!(o <= bound, "n={n} panel={panel}: orthogonality {o:e}");
            assert!(values.windows(2).all(|w| w[0] <= w[1]));
        }
    }

    #[test]
    fn tridiagonal_factor_reproduces_the_matrix() {
        // Q T Q^T = A with Q from the stored reflectors: apply Q to the identity.
        let (n, panel) = (23, 4);
        let a = symmetric(n, 11);
        let t = tridiagonalize(a.as_ref(), panel, Par::Seq);
        let mut q = Mat::<f64>::identity(n, n);
        back_transform(&t, q.as_mut(), Par::Seq);
        let tri = Mat::<f64>::from_fn(n, n, |i, j| {
            if i == j {
                t.diag[i]
            } else if i == j + 1 {
                t.offdiag[j]
            } else if j == i + 1 {
                t.offdiag[i]
            } else {
                0.0
            }
        });
        let back = &q * &tri * q.transpose();
        let err = (&back - &a).norm_l2() / a.norm_l2();
        assert!(err < 50.0 * f64::EPSILON * n as f64, "{err:e}");
    }

    #[test]
    fn public_calls_take_the_blocked_path_with_their_guarantees() {
        // Odd, just above the crossover, and read through a non-contiguous (transposed) view.
        let n = BLOCKED_MIN + 1;
        let a = symmetric(n, 29);
        let e = crate::sym_eigen(a.as_ref().transpose(), Par::Seq).unwrap();
        let bound = 16.0 * n as f64 * f64::EPSILON;
        assert!(e.residual <= bound && e.orthogonality <= bound, "{e:?}");
        let v = crate::sym_eigenvalues(a.as_ref(), Par::Seq).unwrap();
        assert!(v.trace_error <= bound && v.frobenius_error <= bound);
        let theirs = faer_eigenvalues(a.as_ref());
        let tol = 8.0 * n as f64 * f64::EPSILON * a.norm_l2();
        for ((x, y), z) in v.values.iter().zip(&e.values).zip(&theirs) {
            assert!((x - z).abs() <= tol && (y - z).abs() <= tol);
        }
    }

    #[test]
    fn degenerate_columns_give_identity_reflectors() {
        // Already tridiagonal (even diagonal) input: every reflector has a zero tail.
        let n = 40;
        let a = Mat::<f64>::from_fn(n, n, |i, j| if i == j { i as f64 } else { 0.0 });
        let mut u = Mat::<f64>::zeros(n, n);
        let values = blocked_evd(a.as_ref(), Some(&mut u), 8, Par::Seq).unwrap();
        // The reduction is exact here (T = A); the divide-and-conquer solver still rounds.
        for (k, v) in values.iter().enumerate() {
            assert!(
                (v - k as f64).abs() <= 4.0 * n as f64 * f64::EPSILON,
                "{k}: {v}"
            );
        }
        assert!(orthogonality_error(u.as_ref(), Par::Seq) < 1e-14);
    }
}
