//! Su & Yang, "On Learning Over-parameterized Neural Networks: A Functional Approximation
//! Perspective", NeurIPS 2019 (arXiv 1905.10826). Gradient descent on a wide two-layer ReLU net
//! with uniform data on the sphere acts on the residual like powers of the integral operator of
//! the kernel H(x, x') = (x . x') P_w(w.x > 0, w.x' > 0) = t kappa0(t) / 2, whose eigenfunctions
//! are the spherical harmonics (Funk–Hecke, crates/kernel/src/sphere). The claim:
//!
//! * [`eigenspace_rates`]: the degree-k component of the residual decays by 1 - eta mu_k per
//!   step, at every n, and the odd degrees >= 3 (mu_k = 0) are never learned.
//! * [`risk_floor`]: with a target in several learned and null degrees in one run, each learned
//!   component decays at its own rate and the risk falls to the null components' energy (the
//!   low-rank approximation error), at every n of the scan with m = 2 n ln n.
//! * [`width_n_log_n`]: at m = 3 n ln n (one constant) the degree-4 rate error does not grow
//!   with n over the tested range, and each n's rate is in its band; a width n/4 is not.

mod bands;
mod eigenspace_rates;
mod gd_sphere;
mod risk_floor;
mod width_n_log_n;

pub use eigenspace_rates::{EIGENSPACE_RATES_ID, EigenspaceRates, first_layer_eigenvalues};
pub use risk_floor::{RISK_FLOOR_ID, RiskFloor};
pub use width_n_log_n::{WIDTH_ID, WidthNLogN};

/// The citation every su2019 claim carries.
pub(crate) const PAPER: &str = "Su & Yang, On Learning Over-parameterized Neural Networks: A \
                                Functional Approximation Perspective, NeurIPS 2019 (arXiv \
                                1905.10826)";
