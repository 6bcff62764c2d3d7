//! Symmetric eigendecomposition with its quality measures.

use faer::diag::Diag;
use faer::dyn_stack::{MemBuffer, MemStack};
use faer::linalg::evd::{ComputeEigenvectors, self_adjoint_evd, self_adjoint_evd_scratch};
use faer::{Mat, MatRef, Par};

use crate::LinalgError;
use crate::residual::{orthogonality_error, symmetric_reconstruction_residual};
use crate::{band, tridiag};

/// Largest accepted asymmetry max |A - A^T| / max |A|. Matrices assembled from closed forms are
/// symmetric to rounding (~1e-16); anything above this is a caller's bug (for example a
/// finite-difference Hessian that was not symmetrised), and is refused rather than silently
/// replaced by its lower triangle.
pub const SYMMETRY_TOLERANCE: f64 = 1e-10;

/// Eigenvalues (ascending) and orthonormal eigenvectors of a symmetric matrix, with residuals.
#[derive(Debug, Clone)]
pub struct SymEigen {
    /// Eigenvalues in ascending order.
    pub values: Vec<f64>,
    /// Eigenvectors as columns, in the order of `values`.
    pub vectors: Mat<f64>,
    /// ||A - U diag(values) U^T||_F / ||A||_F (0 for the zero matrix), both read from the lower
    /// triangle, which is the matrix the solver decomposes (A is symmetric to
    /// [`SYMMETRY_TOLERANCE`] by validation).
    pub residual: f64,
    /// ||U^T U - I||_F.
    pub orthogonality: f64,
    /// max |A - A^T| / max |A| of the input.
    pub asymmetry: f64,
}

/// Eigenvalues (ascending) of a symmetric matrix, with the invariants they must reproduce.
///
/// Without eigenvectors there is no reconstruction to test, so two necessary conditions are
/// reported instead: the eigenvalues must sum to the trace and their squares to ||A||_F^2.
#[derive(Debug, Clone)]
pub struct SymEigenvalues {
    /// Eigenvalues in ascending order.
    pub values: Vec<f64>,
    /// |sum(values) - tr A| / ||A||_F.
    pub trace_error: f64,
    /// |sqrt(sum(values^2)) - ||A||_F| / ||A||_F.
    pub frobenius_error: f64,
    /// max |A - A^T| / max |A| of the input.
    pub asymmetry: f64,
}

pub(crate) fn validate(a: MatRef<'_, f64>) -> Result<f64, LinalgError> {
    let (rows, cols) = (a.nrows(), a.ncols());
    if rows != cols {
        return Err(LinalgError::NotSquare { rows, cols });
    }
    let n = rows;
    let mut max_abs = 0.0f64;
    let mut max_asym = 0.0f64;
    // Square tiles, the lower one against the transpose of its mirror, so that both are read
    // from cache (a column-against-row scan misses the cache once per entry at large n); the
    // columns are read as slices when the matrix is column-major.
    const TILE: usize = 32;
    let mut finite = true;
    let mut column_buf = [0.0f64; TILE];
    for jb in (0..n).step_by(TILE) {
        let je = (jb + TILE).min(n);
        for ib in (jb..n).step_by(TILE) {
            let ie = (ib + TILE).min(n);
            for j in jb..je {
                let lo = ib.max(j);
                if lo >= ie {
                    continue;
                }
                let col = match a.col(j).try_as_col_major() {
                    Some(c) => &c.as_slice()[lo..ie],
                    None => {
                        for (k, i) in (lo..ie).enumerate() {
                            column_buf[k] = a[(i, j)];
                        }
                        &column_buf[..ie - lo]
                    }
                };
                for (k, &x) in col.iter().enumerate() {
                    let y = a[(j, lo + k)];
                    finite &= x.is_finite() & y.is_finite();
                    max_abs = max_abs.max(x.abs()).max(y.abs());
                    max_asym = max_asym.max((x - y).abs());
                }
            }
        }
    }
    if !finite {
        return Err(LinalgError::NonFinite);
    }
    let asymmetry = if max_abs > 0.0 {
        max_asym / max_abs
    } else {
        0.0
    };
    if asymmetry > SYMMETRY_TOLERANCE {
        return Err(LinalgError::NotSymmetric { asymmetry });
    }
    Ok(asymmetry)
}

fn run_evd(
    a: MatRef<'_, f64>,
    vectors: Option<&mut Mat<f64>>,
    par: Par,
) -> Result<Vec<f64>, LinalgError> {
    let n = a.nrows();
    if vectors.is_none() && n >= band::TWO_STAGE_MIN {
        return band::two_stage_eigenvalues(a, band::BAND, par);
    }
    if n >= tridiag::BLOCKED_MIN {
        return tridiag::blocked_evd(a, vectors, tridiag::PANEL, par);
    }
    let mut s = Diag::<f64>::zeros(n);
    let compute = if vectors.is_some() {
        ComputeEigenvectors::Yes
    } else {
        ComputeEigenvectors::No
    };
    let mut buffer = MemBuffer::new(self_adjoint_evd_scratch::<f64>(
        n,
        compute,
        par,
        Default::default(),
    ));
    self_adjoint_evd(
        a,
        s.as_mut(),
        vectors.map(|u| u.as_mut()),
        par,
        MemStack::new(&mut buffer),
        Default::default(),
    )
    .map_err(|_| LinalgError::NoConvergence)?;
    let values: Vec<f64> = s.column_vector().iter().copied().collect();
    if values.iter().any(|v| !v.is_finite()) {
        return Err(LinalgError::NoConvergence);
    }
    Ok(values)
}

/// Full symmetric eigendecomposition (faer, lower triangle read) with reconstruction residual and
/// orthogonality error. `par` controls faer's threading for this one call.
pub fn sym_eigen(a: MatRef<'_, f64>, par: Par) -> Result<SymEigen, LinalgError> {
    let asymmetry = validate(a)?;
    let n = a.nrows();
    let mut u = Mat::<f64>::zeros(n, n);
    let values = run_evd(a, Some(&mut u), par)?;

    let residual = symmetric_reconstruction_residual(a, u.as_ref(), &values, par);
    let orthogonality = orthogonality_error(u.as_ref(), par);

    Ok(SymEigen {
        values,
        vectors: u,
        residual,
        orthogonality,
        asymmetry,
    })
}

/// Eigenvalues only (cheaper: no back-transformation), with trace and Frobenius invariants.
///
/// From n = 1500 the reduction is two-stage (dense to band by BLAS-3 panels, band to tridiagonal
/// by bulge chasing, [`crate::band`]); below, the one-stage blocked reduction
/// ([`crate::tridiag`]). Both end in the root-free QL, and both are backward stable: the values
/// agree with each other and with faer's solver to n eps ||A|| (tested).
pub fn sym_eigenvalues(a: MatRef<'_, f64>, par: Par) -> Result<SymEigenvalues, LinalgError> {
    let asymmetry = validate(a)?;
    let values = run_evd(a, None, par)?;
    let n = a.nrows();
    let trace: f64 = (0..n).map(|i| a[(i, i)]).sum();
    let a_norm = a.norm_l2();
    let sum: f64 = values.iter().sum();
    let sum_sq: f64 = values.iter().map(|v| v * v).sum();
    let scale = if a_norm > 0.0 { a_norm } else { 1.0 };
    Ok(SymEigenvalues {
        trace_error: (sum - trace).abs() / scale,
        frobenius_error: (sum_sq.sqrt() - a_norm).abs() / scale,
        values,
        asymmetry,
    })
}
