//! The exact second-moment operator T: S = E[e e^T] -> E[e' e'^T], and its spectral radius.
//!
//! With e = (w - w*, u - w*) and X the batch matrix X_b, e' = (A - C(X)) e where
//! A = [[0, I], [-gamma I, (1 + gamma) I]] and C(X) = [[0, c1 X], [0, c2 X]], c1 = eta1,
//! c2 = (1 + gamma) eta1 - eta2. Hence
//! T(S) = A S A^T - A S C(H)^T - C(H) S A^T + E[C(X) S C(X)^T], and the last term has blocks
//! c_p c_q E[X_b S_uu X_b]. T maps symmetric matrices to symmetric matrices and preserves the
//! PSD cone, so rho(T) is itself an eigenvalue (Krein-Rutman); it is computed here by a dense
//! general eigensolver on T assembled in vech coordinates, never by power iteration (which
//! stalls when the dominant eigenvalue is defective or nearly tied with a complex pair).

use overparam_linalg::{Mat, Par, general_eigenvalues};

use super::{BatchSize, DataLaw, FourthMomentTerms, Hyper, MomentumError};

/// Largest d for the dense operator: (2d)(2d+1)/2 = 820 rows at d = 20, about a second for the
/// eigensolver on one core.
pub const MAX_DENSE_DIM: usize = 20;

/// Largest accepted relative violation of the eigenvalue invariants (tr T and tr T^2).
pub const INVARIANT_TOLERANCE: f64 = 1e-8;

/// The map T for one (law, batch, hyper-parameters).
#[derive(Debug, Clone)]
pub struct SecondMomentOperator<'a> {
    pub law: &'a DataLaw,
    pub batch: BatchSize,
    pub hyper: Hyper,
    pub terms: FourthMomentTerms,
    covariance: Mat<f64>,
}

/// rho(T) with the evidence that it is trustworthy.
#[derive(Debug, Clone, PartialEq)]
pub struct OperatorSpectrum {
    /// max |lambda(T)|: E||e_t||^2 ~ rho^t.
    pub rho: f64,
    /// The dominant eigenvalue (re, im); Krein-Rutman makes it real up to rounding.
    pub dominant: (f64, f64),
    /// Rows of the assembled operator.
    pub size: usize,
    pub trace_error: f64,
    pub square_trace_error: f64,
}

impl<'a> SecondMomentOperator<'a> {
    pub fn new(
        law: &'a DataLaw,
        batch: BatchSize,
        hyper: Hyper,
        terms: FourthMomentTerms,
    ) -> SecondMomentOperator<'a> {
        SecondMomentOperator {
            law,
            batch,
            hyper,
            terms,
            covariance: law.covariance(),
        }
    }

    /// T(S) for a symmetric 2d x 2d matrix S (w-block first, then u-block).
    pub fn apply(&self, s: &Mat<f64>) -> Mat<f64> {
        let d = self.law.dim();
        let gamma = self.hyper.gamma;
        let a = [[0.0, 1.0], [-gamma, 1.0 + gamma]];
        let c = [self.hyper.eta1, self.hyper.c2()];
        let h = &self.covariance;
        let block = |r: usize, t: usize, i: usize, j: usize| s[(r * d + i, t * d + j)];

        // P_p = sum_r a_pr S_{r,u}; the cross terms are c_q P_p H and its transpose.
        let mut ph = [Mat::<f64>::zeros(d, d), Mat::<f64>::zeros(d, d)];
        for (p, php) in ph.iter_mut().enumerate() {
            let pp = Mat::from_fn(d, d, |i, j| {
                a[p][0] * block(0, 1, i, j) + a[p][1] * block(1, 1, i, j)
            });
            *php = super::data::product(&pp, h);
        }
        let s_uu = Mat::from_fn(d, d, |i, j| block(1, 1, i, j));
        let fourth = self.law.batch_fourth_moment(&s_uu, self.batch, self.terms);

        let mut out = Mat::<f64>::zeros(2 * d, 2 * d);
        for p in 0..2 {
            for q in 0..2 {
                for i in 0..d {
                    for j in 0..d {
                        let mut v = 0.0;
                        for (r, ar) in a[p].iter().enumerate() {
                            for (t, at) in a[q].iter().enumerate() {
                                v += ar * at * block(r, t, i, j);
                            }
                        }
                        v -= c[q] * ph[p][(i, j)] + c[p] * ph[q][(j, i)];
                        v += c[p] * c[q] * fourth[(i, j)];
                        out[(p * d + i, q * d + j)] = v;
                    }
                }
            }
        }
        out
    }

    /// T as a matrix on vech(S) (entries S_kl, k <= l, row by row): column (i, j) is vech of
    /// T applied to the symmetric basis matrix with ones at (i, j) and (j, i).
    pub fn assemble(&self) -> Result<Mat<f64>, MomentumError> {
        let d = self.law.dim();
        if d > MAX_DENSE_DIM {
            return Err(MomentumError::TooLarge {
                dim: d,
                max: MAX_DENSE_DIM,
            });
        }
        let m = 2 * d;
        let index: Vec<(usize, usize)> = (0..m).flat_map(|k| (k..m).map(move |l| (k, l))).collect();
        let n = index.len();
        let mut t = Mat::<f64>::zeros(n, n);
        let mut basis = Mat::<f64>::zeros(m, m);
        for (col, &(i, j)) in index.iter().enumerate() {
            basis[(i, j)] = 1.0;
            basis[(j, i)] = 1.0;
            let image = self.apply(&basis);
            for (row, &(k, l)) in index.iter().enumerate() {
                t[(row, col)] = image[(k, l)];
            }
            basis[(i, j)] = 0.0;
            basis[(j, i)] = 0.0;
        }
        Ok(t)
    }

    /// rho(T) by the dense general eigensolver, refusing results whose eigenvalues do not
    /// reproduce tr T and tr T^2 to [`INVARIANT_TOLERANCE`].
    pub fn spectrum(&self) -> Result<OperatorSpectrum, MomentumError> {
        let t = self.assemble()?;
        if (0..t.ncols()).any(|j| (0..t.nrows()).any(|i| !t[(i, j)].is_finite())) {
            return Err(MomentumError::NonFinite);
        }
        let eig = general_eigenvalues(t.as_ref(), Par::Seq)?;
        if !(eig.trace_error <= INVARIANT_TOLERANCE
            && eig.square_trace_error <= INVARIANT_TOLERANCE)
        {
            return Err(MomentumError::Invariant {
                trace_error: eig.trace_error,
                square_trace_error: eig.square_trace_error,
            });
        }
        Ok(OperatorSpectrum {
            rho: eig.spectral_radius(),
            dominant: eig.dominant(),
            size: t.nrows(),
            trace_error: eig.trace_error,
            square_trace_error: eig.square_trace_error,
        })
    }

    /// The exact E||e_t||^2 = tr T^t(S0) for t = 0..=steps, S0 = e0 e0^T.
    pub fn squared_error_path(&self, e0: &[f64], steps: usize) -> Vec<f64> {
        let m = e0.len();
        let mut s = Mat::from_fn(m, m, |i, j| e0[i] * e0[j]);
        let mut path = Vec::with_capacity(steps + 1);
        path.push((0..m).map(|i| s[(i, i)]).sum());
        for _ in 0..steps {
            s = self.apply(&s);
            path.push((0..m).map(|i| s[(i, i)]).sum());
        }
        path
    }
}
