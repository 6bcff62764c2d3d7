//! Dense symmetric linear algebra for overparam, on faer.
//!
//! Every decomposition returns its own quality measures next to the result, so that a caller
//! can never use an eigenvalue without also seeing how far the factorisation is from exact:
//! a large residual is an error for the caller to report, not something to discover later.
//!
//! The parallelism of each call is explicit ([`Par`]): the checks run decompositions
//! sequentially inside a cell so that results are bit-identical for any thread count.
//!
//! Besides the symmetric eigensolver: singular values with residuals ([`thin_svd`], and the
//! allocation-free [`GramSpectrum`] for hot loops), and Gauss–Hermite quadrature computed by
//! Golub–Welsch on the same eigensolver ([`gauss_hermite`]). `matmul` and `Accum` are
//! re-exported so that higher crates reach faer's GEMM through this crate.

mod band;
mod banded;
mod bits;
mod cluster;
mod eigen;
mod general_eigen;
mod gram;
mod lanczos;
mod quadrature;
mod residual;
mod simd;
mod singular;
mod spd;
mod sterf;
#[cfg(test)]
mod test_matrices;
mod triangle;
mod tridiag;

pub use banded::{BandedSolution, SymBanded, backward_error, solve_sym_banded};
pub use bits::BitRows;
pub use cluster::{Cluster, cluster_eigenvalues};
pub use eigen::{SymEigen, SymEigenvalues, sym_eigen, sym_eigenvalues};
pub use faer::linalg::matmul::matmul;
pub use faer::{Accum, Mat, MatMut, MatRef, Par};
pub use general_eigen::{GeneralEigenvalues, general_eigenvalues};
pub use gram::{
    GRAM_CHUNK, Pattern, col_slice, col_slice_mut, gram_matrix, hadamard_gram,
    hadamard_gram_by_columns, linear_gram, product_transposed,
};
pub use lanczos::{ExtremesMethod, LANCZOS_MIN, SymExtremes, sym_extremes};
pub use quadrature::{GaussHermite, GaussJacobi, gauss_hermite, gauss_jacobi};
pub use singular::{GramExtremes, GramSpectrum, ThinSvd, thin_svd};
pub use spd::{Cholesky, SpdSolution, solve_spd};

/// Why a linear-algebra request could not be answered.
#[derive(Debug, Clone, PartialEq)]
pub enum LinalgError {
    /// The matrix is not square.
    NotSquare { rows: usize, cols: usize },
    /// The input holds NaN or an infinity, so no decomposition is meaningful.
    NonFinite,
    /// The input is not symmetric: `asymmetry` is max |A - A^T| / max |A|.
    NotSymmetric { asymmetry: f64 },
    /// The iterative eigensolver did not converge.
    NoConvergence,
    /// A matrix that should be positive definite has a non-positive pivot at this index.
    NotPositiveDefinite { pivot: usize },
    /// The request would need more memory than the caller allows.
    TooLarge { bytes: u128, limit: u128 },
}

impl std::fmt::Display for LinalgError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            LinalgError::NotSquare { rows, cols } => {
                write!(f, "matrix is {rows} x {cols}, a square matrix is required")
            }
            LinalgError::NonFinite => write!(f, "matrix contains NaN or infinite entries"),
            LinalgError::NotSymmetric { asymmetry } => write!(
                f,
                "matrix is not symmetric (max |A - A^T| / max |A| = {asymmetry:.3e})"
            ),
            LinalgError::NotPositiveDefinite { pivot } => write!(
                f,
                "matrix is not numerically positive definite (pivot {pivot})"
            ),
            LinalgError::NoConvergence => write!(f, "symmetric eigensolver did not converge"),
            LinalgError::TooLarge { bytes, limit } => write!(
                f,
                "needs about {:.1} GiB, more than the {:.1} GiB allowed",
                *bytes as f64 / (1u64 << 30) as f64,
                *limit as f64 / (1u64 << 30) as f64
            ),
        }
    }
}

impl std::error::Error for LinalgError {}

/// Bytes a dense symmetric eigendecomposition of an `n x n` matrix needs: the input copy, the
/// eigenvectors and faer's workspace (about one more matrix), all f64.
pub fn sym_eigen_bytes(n: usize, with_vectors: bool) -> u128 {
    let n2 = (n as u128) * (n as u128);
    let matrices = if with_vectors { 4 } else { 2 };
    n2 * 8 * matrices
}

/// Refuses a request whose estimated memory exceeds `limit` bytes, before anything is allocated.
pub fn ensure_fits(bytes: u128, limit: u128) -> Result<(), LinalgError> {
    if bytes > limit {
        Err(LinalgError::TooLarge { bytes, limit })
    } else {
        Ok(())
    }
}

/// Solves the square system A x = b by LU with partial pivoting (faer), for the small dense
/// systems of Newton iterations. Refuses non-finite input and reports a singular matrix as
/// `NonFinite` when the solution is not finite.
pub fn solve_dense(a: MatRef<'_, f64>, b: &[f64]) -> Result<Vec<f64>, LinalgError> {
    use faer::linalg::solvers::Solve;
    let (rows, cols) = (a.nrows(), a.ncols());
    if rows != cols || b.len() != rows {
        return Err(LinalgError::NotSquare { rows, cols });
    }
    if b.iter().any(|x| !x.is_finite())
        || (0..cols).any(|j| (0..rows).any(|i| !a[(i, j)].is_finite()))
    {
        return Err(LinalgError::NonFinite);
    }
    let rhs = Mat::<f64>::from_fn(rows, 1, |i, _| b[i]);
    let x = a.partial_piv_lu().solve(rhs);
    let x: Vec<f64> = (0..rows).map(|i| x[(i, 0)]).collect();
    if x.iter().any(|v| !v.is_finite()) {
        return Err(LinalgError::NonFinite);
    }
    Ok(x)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn solve_dense_solves_and_refuses_singular_systems() {
        let a = Mat::from_fn(3, 3, |i, j| if i == j { 2.0 } else { 0.5 });
        let x = solve_dense(a.as_ref(), &[3.0, 3.0, 3.0]).unwrap();
        for v in x {
            assert!((v - 1.0).abs() < 1e-14);
        }
        let singular = Mat::<f64>::zeros(2, 2);
        assert!(solve_dense(singular.as_ref(), &[1.0, 1.0]).is_err());
    }
}

/// Stage-by-stage entry points of the eigenvalue routes, for benchmarks only (not a stable API).
#[doc(hidden)]
pub mod stages {
    use faer::{MatRef, Par};

    /// Dense to band (stage 1 of the two-stage route); returns an opaque token for [`chase`].
    pub struct Band(crate::band::BandForm);

    /// Stage 1 with bandwidth `b`.
    pub fn to_band(a: MatRef<'_, f64>, b: usize, par: Par) -> Band {
        Band(crate::band::reduce_to_band(a, b, par))
    }

    /// Stage 2: the tridiagonal (diagonal, subdiagonal).
    pub fn chase(band: &Band) -> (Vec<f64>, Vec<f64>) {
        crate::band::band_to_tridiagonal(&band.0)
    }

    /// Stage 3: the root-free QL.
    pub fn tridiagonal_values(d: &[f64], e: &[f64]) -> Option<Vec<f64>> {
        crate::sterf::tridiagonal_eigenvalues(d, e)
    }

    /// The one-stage blocked reduction alone (its diagonal), for comparison.
    pub fn one_stage(a: MatRef<'_, f64>, par: Par) -> Vec<f64> {
        crate::tridiag::tridiagonalize(a, crate::tridiag::PANEL, par).diag
    }
}
