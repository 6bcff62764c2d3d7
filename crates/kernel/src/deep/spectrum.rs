//! The eigendecomposition of an NTK Gram matrix through overparam-linalg, with its residuals
//! checked rather than trusted.

use overparam_linalg::{MatRef, Par, SymEigen, sym_eigen};

use super::DeepError;

/// Largest accepted reconstruction residual ||K - U diag(lambda) U^T||_F / ||K||_F and
/// orthogonality error ||U^T U - I||_F. A backward-stable solver gives ~ n eps (1e-13 at
/// n = 1000); 1e-10 leaves three orders of margin while still catching a broken decomposition.
pub const EIGEN_RESIDUAL_TOLERANCE: f64 = 1e-10;

/// Bytes the eigendecomposition of an n x n matrix needs beyond the matrix: the eigenvectors,
/// the solver's workspace and the reconstruction used for the residual (about three n x n).
pub fn gram_spectrum_bytes(n: usize) -> u128 {
    let n = n as u128;
    8 * 3 * n * n
}

/// Eigenvalues (ascending), eigenvectors and residuals of the symmetric matrix `k`; an error if
/// the solver fails or the residuals exceed [`EIGEN_RESIDUAL_TOLERANCE`].
pub fn gram_spectrum(k: MatRef<'_, f64>, par: Par) -> Result<SymEigen, DeepError> {
    let eigen = sym_eigen(k, par).map_err(DeepError::Eigen)?;
    let worst = eigen.residual.max(eigen.orthogonality);
    if worst.is_nan() || worst > EIGEN_RESIDUAL_TOLERANCE {
        return Err(DeepError::EigenResidual {
            residual: eigen.residual,
            orthogonality: eigen.orthogonality,
        });
    }
    Ok(eigen)
}
