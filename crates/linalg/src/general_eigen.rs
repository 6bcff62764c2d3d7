//! Eigenvalues of a general (non-symmetric) real matrix, with the invariants they must reproduce.
//!
//! The second-moment operators of momentum methods are not symmetric and their dominant
//! eigenvalues can be complex or defective, so power iteration is not reliable on them; this is
//! faer's dense real Schur (Hessenberg + QR) path.

use faer::diag::Diag;
use faer::dyn_stack::{MemBuffer, MemStack};
use faer::linalg::evd::{ComputeEigenvectors, evd_real, evd_scratch};
use faer::{MatRef, Par};

use crate::LinalgError;

/// Eigenvalues of a general real matrix as (real, imaginary) pairs, with two invariants.
#[derive(Debug, Clone)]
pub struct GeneralEigenvalues {
    /// Real parts, in faer's order.
    pub re: Vec<f64>,
    /// Imaginary parts (conjugate pairs appear together).
    pub im: Vec<f64>,
    /// |sum(lambda) - tr A| / max(||A||_F, tiny).
    pub trace_error: f64,
    /// |sum(lambda^2) - tr(A^2)| / max(||A||_F^2, tiny): a second invariant, sensitive to
    /// eigenvalues that are wrong in a way that keeps their sum.
    pub square_trace_error: f64,
}

impl GeneralEigenvalues {
    /// max |lambda|.
    pub fn spectral_radius(&self) -> f64 {
        self.re
            .iter()
            .zip(&self.im)
            .map(|(r, i)| r.hypot(*i))
            .fold(0.0, f64::max)
    }

    /// The eigenvalue of largest modulus, as (re, im); (0, 0) for an empty matrix.
    pub fn dominant(&self) -> (f64, f64) {
        let mut best = (0.0, 0.0);
        let mut best_modulus = -1.0;
        for (r, i) in self.re.iter().zip(&self.im) {
            let m = r.hypot(*i);
            if m > best_modulus {
                best_modulus = m;
                best = (*r, *i);
            }
        }
        best
    }
}

/// All eigenvalues of the square real matrix `a` (faer `evd_real`, no eigenvectors). Refuses
/// non-square and non-finite input; a solver failure or a non-finite eigenvalue is
/// `NoConvergence`.
pub fn general_eigenvalues(
    a: MatRef<'_, f64>,
    par: Par,
) -> Result<GeneralEigenvalues, LinalgError> {
    let (rows, cols) = (a.nrows(), a.ncols());
    if rows != cols {
        return Err(LinalgError::NotSquare { rows, cols });
    }
    if (0..cols).any(|j| (0..rows).any(|i| !a[(i, j)].is_finite())) {
        return Err(LinalgError::NonFinite);
    }
    let n = rows;
    let mut s_re = Diag::<f64>::zeros(n);
    let mut s_im = Diag::<f64>::zeros(n);
    let mut buffer = MemBuffer::new(evd_scratch::<f64>(
        n,
        ComputeEigenvectors::No,
        ComputeEigenvectors::No,
        par,
        Default::default(),
    ));
    evd_real(
        a,
        s_re.as_mut(),
        s_im.as_mut(),
        None,
        None,
        par,
        MemStack::new(&mut buffer),
        Default::default(),
    )
    .map_err(|_| LinalgError::NoConvergence)?;
    let re: Vec<f64> = s_re.column_vector().iter().copied().collect();
    let im: Vec<f64> = s_im.column_vector().iter().copied().collect();
    if re.iter().chain(&im).any(|v| !v.is_finite()) {
        return Err(LinalgError::NoConvergence);
    }

    let norm = a.norm_l2().max(f64::MIN_POSITIVE);
    let trace: f64 = (0..n).map(|i| a[(i, i)]).sum();
    // tr(A^2) = sum_ij a_ij a_ji, without forming A^2.
    let square_trace: f64 = (0..n)
        .map(|i| (0..n).map(|j| a[(i, j)] * a[(j, i)]).sum::<f64>())
        .sum();
    let sum: f64 = re.iter().sum();
    // Re(lambda^2) = re^2 - im^2; the imaginary parts cancel over conjugate pairs.
    let sum_sq: f64 = re.iter().zip(&im).map(|(r, i)| r * r - i * i).sum();
    Ok(GeneralEigenvalues {
        trace_error: (sum - trace).abs() / norm,
        square_trace_error: (sum_sq - square_trace).abs() / (norm * norm),
        re,
        im,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use faer::Mat;

    #[test]
    fn rotation_has_complex_pair_of_unit_modulus() {
        let (c, s) = (0.6f64, 0.8f64);
        let a = Mat::from_fn(2, 2, |i, j| match (i, j) {
            (0, 0) | (1, 1) => c,
            (0, 1) => -s,
            _ => s,
        });
        let e = general_eigenvalues(a.as_ref(), Par::Seq).unwrap();
        assert!((e.spectral_radius() - 1.0).abs() < 1e-14);
        let mut im: Vec<f64> = e.im.clone();
        im.sort_by(f64::total_cmp);
        assert!((im[0] + 0.8).abs() < 1e-14 && (im[1] - 0.8).abs() < 1e-14);
        assert!(e.trace_error < 1e-14 && e.square_trace_error < 1e-14);
    }

    #[test]
    fn triangular_matrix_eigenvalues_are_its_diagonal() {
        let a = Mat::from_fn(4, 4, |i, j| {
            if i == j {
                -(i as f64) - 0.5
            } else if i < j {
                (i + 2 * j) as f64
            } else {
                0.0
            }
        });
        let e = general_eigenvalues(a.as_ref(), Par::Seq).unwrap();
        assert!((e.spectral_radius() - 3.5).abs() < 1e-12);
        assert_eq!(e.dominant().0.signum(), -1.0);
    }

    #[test]
    fn refuses_non_finite_and_non_square() {
        let mut a = Mat::<f64>::zeros(2, 2);
        a[(0, 1)] = f64::NAN;
        assert_eq!(
            general_eigenvalues(a.as_ref(), Par::Seq).unwrap_err(),
            LinalgError::NonFinite
        );
        let b = Mat::<f64>::zeros(2, 3);
        assert!(matches!(
            general_eigenvalues(b.as_ref(), Par::Seq),
            Err(LinalgError::NotSquare { .. })
        ));
    }
}
