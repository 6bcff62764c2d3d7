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
pub mod lambda_min_stable;

pub use kernel_regime::{KERNEL_REGIME_ID, KernelRegime};
pub use lambda_min_stable::{LAMBDA_MIN_STABLE_ID, LambdaMinStable};

/// The citation every claim of this paper carries.
pub const PAPER: &str = "Allen-Zhu, Li, Song, A Convergence Theory for Deep Learning via \
                         Over-Parameterization, ICML 2019, PMLR 97:242-252 (arXiv:1811.03962); \
                         restated by Basri et al., ICML 2020 (arXiv:2003.04560), Theorem 2";

/// What the search tool confirmed of the paper's setting (both claims).
pub const PROVENANCE: &str = "Confirmed with the search tool (arXiv 1811.03962 abstract, ICML \
                         version via pdfslide and arxiv-vanity pages): fully connected ReLU \
                         networks of L layers, width polynomial in n and L, non-degenerate \
                         inputs, (S)GD from random initialisation minimises the regression \
                         loss at a linear rate, via an almost-convex, semi-smooth landscape \
                         near the random initialisation. Not confirmed (the pages' model \
                         section was not among the excerpts): the exact Gaussian variances \
                         (2/m for A and W_l, N(0, 1/d) for B), that A and B stay fixed, the \
                         bias coordinate 1/sqrt(2) and the Theorem 1 constants; they are taken \
                         from the project's note (tagged unverified there) and agree with \
                         Basri et al. 2020, Theorem 2 (fixed first and last layers, eta \
                         proportional to 1/m) and with Zou & Gu 2019's restatement of the \
                         width of order n^24. The exponents -1/2 and the kernel prediction \
                         are derived in the note (PL path-length bound) and Basri et al.";
