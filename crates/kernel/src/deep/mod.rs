//! Deep fully connected ReLU networks with a scalar output: forward and backward passes as faer
//! GEMMs, the empirical NTK Gram from the backward pass, its infinite-width limit, and full-batch
//! gradient descent with the linearised model trained alongside.
//!
//! The network (depth L = number of hidden layers, width m, no biases):
//!
//! ```text
//! h_0 = x,   h_l = c relu(W_l h_(l-1))  (l = 1..L),   f(x) = s v^T h_L
//! ```
//!
//! with W_1 m x d, W_l m x m, v in R^m. Two parametrisations ([`Parametrisation`]) give the same
//! function at initialisation but different gradients:
//!
//! * **NTK** (Jacot et al. 2018; Arora et al. 2019, the convention of `overparam ntk`): every
//!   entry of W_l and v standard normal, c = sqrt(2/m) (c_sigma = 2), s = 1. Its empirical NTK
//!   converges to [`infinite_ntk`] as m grows.
//! * **Standard** (Allen-Zhu, Li & Song 2019): W_l entries N(0, 2/m), c = 1, v standard normal,
//!   s = 1; the paper trains W_2..W_L only, the first layer (its A) and v (its B) stay fixed
//!   ([`Trained::Hidden`]).
//!
//! Files: [`network`] (the weights, initialisation, forward pass), [`backward`] (square loss and
//! its gradient), [`empirical_ntk`] (K = J J^T by GEMM structure and its memory estimate),
//! [`infinite_ntk`] (the arc-cosine recursion), [`spectrum`] (eigendecomposition of a Gram
//! matrix with checked residuals), [`descent`] (gradient descent, the linearised model and the
//! kernel prediction of the residual).

use std::fmt;

use overparam_linalg::LinalgError;

use crate::ntk::NtkError;

pub mod backward;
pub mod descent;
pub mod empirical_ntk;
pub mod infinite_ntk;
pub mod network;
pub mod spectrum;

pub use backward::{LossAndGradient, loss_and_gradient};
pub use descent::{
    DeepDescentConfig, DeepDescentRun, DeepStepRecord, deep_gradient_descent, kernel_prediction,
};
pub use empirical_ntk::{empirical_ntk, empirical_ntk_bytes};
pub use infinite_ntk::{infinite_ntk, infinite_ntk_bytes};
pub use network::{DeepReluNet, Forward, Parametrisation, Trained};
pub use spectrum::{EIGEN_RESIDUAL_TOLERANCE, gram_spectrum, gram_spectrum_bytes};

/// Why a deep-network computation was refused or failed.
#[derive(Debug, Clone, PartialEq)]
pub enum DeepError {
    /// The data does not fit the network, or holds NaN or an infinity.
    Data(NtkError),
    /// Targets: `targets` values for `rows` data points.
    Targets { rows: usize, targets: usize },
    /// A target is NaN or infinite.
    NonFiniteTarget { index: usize },
    /// The network has no hidden layer, or width or input dimension 0.
    Shape(&'static str),
    /// [`Trained::Hidden`] with depth 1 leaves no parameter to train.
    NothingTrained,
    /// Row `row` of the data is zero: the angle between it and the other points, on which the
    /// infinite-width recursion depends, is undefined.
    ZeroRow { row: usize },
    /// Gradient descent produced a non-finite loss at this step (step size too large).
    Diverged { step: u64 },
    /// The eigensolver refused the matrix or did not converge.
    Eigen(LinalgError),
    /// The eigendecomposition does not reproduce the matrix to [`EIGEN_RESIDUAL_TOLERANCE`].
    EigenResidual { residual: f64, orthogonality: f64 },
}

impl fmt::Display for DeepError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            DeepError::Data(e) => e.fmt(f),
            DeepError::Targets { rows, targets } => {
                write!(f, "{targets} targets for {rows} data points")
            }
            DeepError::NonFiniteTarget { index } => {
                write!(f, "target {index} is not a finite number")
            }
            DeepError::Shape(what) => f.write_str(what),
            DeepError::NothingTrained => f.write_str(
                "with depth 1 and the first and last layers fixed, no parameter is trained",
            ),
            DeepError::ZeroRow { row } => write!(
                f,
                "data row {row} is zero: its angle to the other points, which the \
                 infinite-width NTK depends on, is undefined"
            ),
            DeepError::Diverged { step } => write!(
                f,
                "gradient descent diverged at step {step} (non-finite loss); use a smaller step"
            ),
            DeepError::Eigen(e) => write!(f, "eigendecomposition failed: {e}"),
            DeepError::EigenResidual {
                residual,
                orthogonality,
            } => write!(
                f,
                "eigendecomposition is inaccurate (residual {residual:.3e}, orthogonality \
                 {orthogonality:.3e})"
            ),
        }
    }
}

impl std::error::Error for DeepError {}

impl From<NtkError> for DeepError {
    fn from(e: NtkError) -> Self {
        DeepError::Data(e)
    }
}
