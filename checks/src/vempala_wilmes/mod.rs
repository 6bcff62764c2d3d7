//! Vempala & Wilmes, "Gradient Descent for One-Hidden-Layer Neural Networks: Polynomial
//! Convergence and SQ Lower Bounds", COLT 2019 (arXiv 1805.02677). GD on the output layer of a
//! one-hidden-layer net of random ReLU units acts on the residual as powers of the integral
//! operator of the random-features kernel E_w[relu(w.x) relu(w.x')] = kappa1(x.x') / 2, whose
//! eigenfunctions on the sphere are the spherical harmonics (Funk–Hecke,
//! crates/kernel/src/sphere). The claim:
//!
//! * [`spectral_bias`]: for a target with components in several degrees, each degree-k
//!   component is learned at the rate of its eigenvalue lambda_k (time ~ 1 / lambda_k), lower
//!   degrees first, and the risk falls to the error of the best approximation by the degrees
//!   the activation can represent (odd degrees >= 3 are in ReLU's null space).

mod spectral_bias;

pub use spectral_bias::{SPECTRAL_BIAS_ID, SpectralBias, random_feature_eigenvalues};

/// The citation every vempala2019 claim carries.
pub(crate) const PAPER: &str = "Vempala & Wilmes, Gradient Descent for One-Hidden-Layer Neural \
                                Networks: Polynomial Convergence and SQ Lower Bounds, COLT 2019 \
                                (arXiv 1805.02677)";
