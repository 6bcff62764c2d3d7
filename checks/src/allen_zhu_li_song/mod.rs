//! Allen-Zhu, Li & Song, "A Convergence Theory for Deep Learning via Over-Parameterization",
//! ICML 2019 (arXiv:1811.03962).
//!
//! The model (the paper's Section 2, confirmed as [`PROVENANCE`] says): h_0 = relu(A x),
//! h_l = relu(W_l h_(l-1)) for l = 1..L, y_hat = B h_L, with A (m x d) and W_l (m x m) entries
//! N(0, 2/m) and B standard normal (one output, so the paper's N(0, 1/d_out) is N(0, 1)); only
//! W_1..W_L are trained, A and B stay at their initial values; F = 1/2 sum_i (y_hat_i - y_i)^2.
//! In the kernel crate that network is `DeepReluNet` with `Parametrisation::Standard`, depth
//! L + 1 and `Trained::Hidden`.
//!
//! The width the theorem needs (of order n^24 L^12) cannot be reached, so the claim tests the
//! shape of its predictions as the width grows: see [`kernel_regime`].

pub mod experiment;
pub mod kernel_regime;

pub use kernel_regime::{KERNEL_REGIME_ID, KernelRegime};

/// The citation every claim of this paper carries.
pub const PAPER: &str = "Allen-Zhu, Li, Song, A Convergence Theory for Deep Learning via \
                         Over-Parameterization, ICML 2019, PMLR 97:242-252 (arXiv:1811.03962); \
                         restated by Basri et al., ICML 2020 (arXiv:2003.04560), Theorem 2";
