//! Second-moment operators of SGD, Nesterov-SGD and MaSS on the linear interpolation model
//! (Liu & Belkin, ICLR 2020, arXiv 1810.13395).
//!
//! The model: y = w*^T x exactly, f(w) = 1/2 E[(w^T x - y)^2], mini-batch gradients of b
//! i.i.d. samples. With e = (w - w*, u - w*) the update of the paper,
//! w' = u - eta1 g, u' = (1 + gamma) w' - gamma w + eta2 g, is e' = M(X_b) e, so the second
//! moment S = E[e e^T] evolves by a linear map T (see [`operator`]) and E||e_t||^2 ~ rho(T)^t.
//! Because the map is exact, statements about rates become statements about one spectral
//! radius, with no sampling noise; [`simulate`] runs the stochastic iteration itself so that
//! the operator can be checked against it.
//!
//! * [`data`]: the data law (Gaussian with any covariance, or a finite distribution) and its
//!   batch fourth moment E[X_b B X_b];
//! * [`constants`]: L1, kappa, kappa-tilde, their batch versions and the critical batch sizes;
//! * [`hyper`]: the methods, their hyper-parameter domains and the paper's default choices;
//! * [`operator`]: T applied to a matrix, assembled on vech(S), and its spectral radius;
//! * [`simulate`]: seeded Monte Carlo of the iteration.

pub mod constants;
pub mod data;
pub mod hyper;
pub mod operator;
pub mod simulate;

pub use constants::{Constants, CriticalBatchSizes};
pub use data::{BatchSize, DataLaw, FourthMomentTerms};
pub use hyper::{Hyper, Method};
pub use operator::{MAX_DENSE_DIM, OperatorSpectrum, SecondMomentOperator};
pub use simulate::{SquaredErrorPath, simulate_squared_error};

use overparam_linalg::LinalgError;

/// Why a momentum-rate request could not be answered.
#[derive(Debug, Clone, PartialEq)]
pub enum MomentumError {
    /// No eigenvalues / no data points.
    Empty,
    /// A spectrum entry or covariance eigenvalue that is not strictly positive.
    NonPositive { index: usize, value: f64 },
    /// NaN or an infinity in the input.
    NonFinite,
    /// Inconsistent input (dimensions, weights, asymmetric covariance), with the reason.
    Invalid(String),
    /// A batch size below 1.
    BatchTooSmall,
    /// A hyper-parameter outside its method's domain.
    Domain {
        parameter: &'static str,
        value: f64,
        domain: &'static str,
    },
    /// The dense operator would be too large for the dense eigensolver.
    TooLarge { dim: usize, max: usize },
    /// The eigensolver failed or its invariants are violated.
    Linalg(LinalgError),
    /// The eigenvalues do not reproduce tr T or tr T^2 to this relative error.
    Invariant {
        trace_error: f64,
        square_trace_error: f64,
    },
}

impl std::fmt::Display for MomentumError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            MomentumError::Empty => write!(f, "no eigenvalues (the spectrum is empty)"),
            MomentumError::NonPositive { index, value } => write!(
                f,
                "eigenvalue {} is {value}; every eigenvalue of H must be positive",
                index + 1
            ),
            MomentumError::NonFinite => write!(f, "input holds NaN or an infinity"),
            MomentumError::Invalid(why) => write!(f, "{why}"),
            MomentumError::BatchTooSmall => write!(f, "the batch size must be at least 1"),
            MomentumError::Domain {
                parameter,
                value,
                domain,
            } => write!(f, "{parameter} = {value} is outside its domain {domain}"),
            MomentumError::TooLarge { dim, max } => write!(
                f,
                "dimension {dim} exceeds {max}: the dense operator on vech(S) has \
                 (2d)(2d+1)/2 rows and its eigensolver grows as the cube of that"
            ),
            MomentumError::Linalg(e) => write!(f, "eigensolver: {e}"),
            MomentumError::Invariant {
                trace_error,
                square_trace_error,
            } => write!(
                f,
                "eigenvalues fail their invariants (trace error {trace_error:.2e}, tr T^2 \
                 error {square_trace_error:.2e})"
            ),
        }
    }
}

impl std::error::Error for MomentumError {}

impl From<LinalgError> for MomentumError {
    fn from(e: LinalgError) -> Self {
        MomentumError::Linalg(e)
    }
}
