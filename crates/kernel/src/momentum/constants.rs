//! The constants that set the paper's hyper-parameters: L1, kappa, kappa-tilde, their
//! mini-batch versions and the critical batch sizes.

use overparam_linalg::{Mat, Par, sym_eigen};

use super::{BatchSize, DataLaw, MomentumError};

/// Constants of a data law at batch size 1, computed from their definitions:
/// L1 is the smallest c with E[||x||^2 x x^T] <= c H, kappa-tilde the smallest c with
/// E[||x||^2_{H^-1} x x^T] <= c H (Loewner order), both as the top eigenvalue of
/// H^{-1/2} M H^{-1/2}; for Gaussian data they are tr H + 2 lambda_max and d + 2.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Constants {
    pub dim: usize,
    /// lambda_max(H).
    pub l: f64,
    /// lambda_min(H).
    pub mu: f64,
    pub l1: f64,
    pub kappa_tilde: f64,
}

/// The batch sizes where the paper's rates change regime (derived from the batch constants;
/// see `l1_batch` and `kappa_tilde_batch`).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct CriticalBatchSizes {
    /// min(L1/L, kappa-tilde): below it MaSS's alpha grows linearly in b.
    pub m1: f64,
    /// max(L1/L, kappa-tilde): above it alpha saturates at sqrt(mu/L).
    pub m2: f64,
    /// L1/L: SGD's single critical size (its step 1/L1(b) saturates at 1/L).
    pub sgd: f64,
}

impl Constants {
    /// The constants of `law`.
    pub fn of(law: &DataLaw) -> Result<Constants, MomentumError> {
        let h = law.covariance();
        let eig = sym_eigen(h.as_ref(), Par::Seq)?;
        let d = h.nrows();
        let mu = eig.values[0];
        let l = eig.values[d - 1];
        if mu <= 0.0 || !mu.is_finite() || !l.is_finite() {
            return Err(MomentumError::NonPositive {
                index: 0,
                value: mu,
            });
        }
        // W = H^{-1/2} = U diag(1/sqrt(l)) U^T, and H^{-1} = W W.
        let w = Mat::from_fn(d, d, |i, j| {
            (0..d)
                .map(|k| eig.vectors[(i, k)] * eig.vectors[(j, k)] / eig.values[k].sqrt())
                .sum()
        });
        let h_inv = super::data::product(&w, &w);
        let identity = Mat::from_fn(d, d, |i, j| if i == j { 1.0 } else { 0.0 });
        let top = |m: Mat<f64>| -> Result<f64, MomentumError> {
            let whitened = super::data::product(&super::data::product(&w, &m), &w);
            let sym = Mat::from_fn(d, d, |i, j| 0.5 * (whitened[(i, j)] + whitened[(j, i)]));
            let e = sym_eigen(sym.as_ref(), Par::Seq)?;
            Ok(e.values[d - 1])
        };
        let l1 = top(law.weighted_fourth_moment(&identity))?;
        let kappa_tilde = top(law.weighted_fourth_moment(&h_inv))?;
        Ok(Constants {
            dim: d,
            l,
            mu,
            l1,
            kappa_tilde,
        })
    }

    /// The closed forms for x ~ N(0, diag(spectrum)) (Isserlis): L1 = tr H + 2 lambda_max,
    /// kappa-tilde = d + 2; exact to rounding, where [`Constants::of`] goes through
    /// eigendecompositions. The spectrum must be validated (positive, finite, non-empty).
    pub fn gaussian_diagonal(spectrum: &[f64]) -> Constants {
        let l = spectrum.iter().copied().fold(f64::MIN, f64::max);
        let mu = spectrum.iter().copied().fold(f64::MAX, f64::min);
        let trace: f64 = spectrum.iter().sum();
        Constants {
            dim: spectrum.len(),
            l,
            mu,
            l1: trace + 2.0 * l,
            kappa_tilde: spectrum.len() as f64 + 2.0,
        }
    }

    /// kappa = L1 / mu.
    pub fn kappa(&self) -> f64 {
        self.l1 / self.mu
    }

    /// L1(b) = L1/b + (1 - 1/b) L: exact for Gaussian data (E[X_b^2] = E[X^2]/b + (1-1/b)H^2
    /// and H^2 <= L H), an upper bound in general. The full batch gives L.
    pub fn l1_batch(&self, batch: BatchSize) -> f64 {
        let inv = batch.inverse();
        self.l1 * inv + (1.0 - inv) * self.l
    }

    /// kappa_b = L1(b) / mu.
    pub fn kappa_batch(&self, batch: BatchSize) -> f64 {
        self.l1_batch(batch) / self.mu
    }

    /// kappa-tilde_b = kappa-tilde/b + (1 - 1/b): the full batch gives 1.
    pub fn kappa_tilde_batch(&self, batch: BatchSize) -> f64 {
        let inv = batch.inverse();
        self.kappa_tilde * inv + (1.0 - inv)
    }

    /// The critical batch sizes.
    pub fn critical_batch_sizes(&self) -> CriticalBatchSizes {
        let ratio = self.l1 / self.l;
        CriticalBatchSizes {
            m1: ratio.min(self.kappa_tilde),
            m2: ratio.max(self.kappa_tilde),
            sgd: ratio,
        }
    }
}
