//! Dot-product kernels kappa(x . x') on the unit sphere S^(d-1) and their Funk–Hecke
//! eigenvalues: the integral operator (T f)(x) = E_x'[kappa(x . x') f(x')], x' uniform
//! (probability measure), acts on degree-k spherical harmonics as multiplication by
//! mu_k = E[kappa(t) P_k(t)], t the first coordinate of a uniform point, P_k the Gegenbauer
//! polynomial with P_k(1) = 1; the degree-k eigenspace has dimension N(d, k).
//!
//! * [`gegenbauer`]: P_k by the stable three-term recurrence, N(d, k).
//! * [`kernels`]: arc-cosine kernels of order 0 and 1 and the ReLU NTK / NNGP of any depth, as
//!   functions of the angle (where they are analytic).
//! * [`closed_form`]: exact mu_k for the one-hidden-layer kernels, with the parity zeros.
//! * [`funk_hecke`]: mu_k of any of them by Gauss–Legendre quadrature in the angle, at two
//!   orders, with an a-posteriori error bound.

pub mod closed_form;
pub mod funk_hecke;
pub mod gegenbauer;
pub mod kernels;

pub use closed_form::closed_form_eigenvalues;
pub use funk_hecke::{FunkHeckeError, QuadratureEigenvalue, quadrature_eigenvalues};
pub use gegenbauer::{gegenbauer_normalised, harmonic_dimension};
pub use kernels::DotProductKernel;
