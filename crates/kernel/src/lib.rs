//! The seeded, deterministic numerical kernel of overparam.
//!
//! * [`seed`]: every random stream is derived from (master seed, claim id, cell, replicate) and
//!   nothing else, so every number in a report can be regenerated from its seed.
//! * [`arccos`]: the degree-1 arc-cosine kernel E[relu(w.x) relu(v.x)] under x ~ N(0, I) with its
//!   first and second derivatives, in closed form.
//! * [`population`]: the Gaussian population loss of two-layer ReLU teacher-student networks,
//!   its gradient in (a, W) and its exact Hessian in W, plus a Monte Carlo estimator of the same
//!   loss for cross-checks.
//! * [`bounded_loss`]: the same loss as a tool reports it: rows equal to a teacher row removed
//!   exactly, compensated summation, a rounding bound, and the teacher I_d never built densely.
//! * [`descent`]: plain gradient descent on that loss (both layers or the first layer only),
//!   with stopping rules and the trajectory on a logarithmic step grid.
//! * [`deep`]: deep fully connected ReLU networks (L hidden layers): forward and backward as
//!   GEMMs, gradient descent with the linearised model, the empirical NTK from the backward pass
//!   and its infinite-width limit by the arc-cosine recursion.
//! * [`ntk`]: the empirical NTK Gram matrix of a two-layer ReLU network, from three symmetric
//!   products (one triangle each), never per-sample Jacobians.
//! * [`alignment`]: nearest teacher direction, angle and mass of each student neuron.
//! * [`critical`]: classification of a point (minimum, saddle, degenerate, not critical, or
//!   non-differentiable at a zero neuron) from its gradient and dense Hessian spectrum.
//! * [`type_a`]: the symmetric type-A family of critical points and its reduced Newton solver.
//! * [`symmetric_hessian`]: the Hessian spectrum with multiplicities at points with isotropy
//!   Delta S_d or Delta(S_{d-1} x S_1), block by block over isotypic components, in O(d^2);
//!   [`symmetry`] detects those shapes in user weights up to row and column permutations.
//! * [`spline`]: the cubic smoothing spline (Reinsch's algorithm, banded solves).
//! * [`kink_weight`], [`adapted`], [`adapted_fd`]: the adapted smoothing spline with weight
//!   1/g(x), through the closed-form limit kernel and through a discretisation of its
//!   variational problem (each checks the other).
//! * [`random_features`]: random-feature ReLU networks, ridge in the dual (N x N) form with
//!   the hidden units regenerated chunk by chunk from seeded streams; gradient descent on the
//!   last layer. [`early_stopping`]: the spectral filters of early-stopped gradient descent and
//!   ridge, and the bound on their difference.
//!
//! * [`shallow`]: the finite-sample shallow network x -> V phi(W x) with smooth activations
//!   (GELU, tanh), its square loss ||V phi(W X) - Y||_F^2 and both-layer gradients as GEMMs.
//! * [`feature_kernel`]: the infinite-width feature kernel E[phi(w.x_a) phi(w.x_b)] by
//!   Gauss–Hermite quadrature (and its Mehler series), independent of sampling.
//! * [`shallow::descent`]: full-batch gradient descent on both layers with a step size from a local
//!   smoothness bound and an exact descent-lemma certificate per step.
//!
//! * [`momentum`]: the exact second-moment operators of SGD, Nesterov-SGD and MaSS on the linear
//!   interpolation model (Liu & Belkin 2020), their spectral radii, constants and the paper's
//!   hyper-parameters, with a Monte Carlo of the iteration for cross-checks.
//! * [`sphere`]: dot-product kernels on S^(d-1) (arc-cosine, ReLU NTK and NNGP of any depth),
//!   Gegenbauer polynomials, N(d, k), and Funk–Hecke eigenvalues in closed form and by
//!   quadrature with an error bound.
//!
//! * [`margin`]: logistic-loss training of two-layer ReLU nets near initialisation and with
//!   norm-only inner weights, sparse-parity data, tangent features at initialisation, and the
//!   l1 / L2 / blockwise max-margin programmes solved by clarabel with primal-dual certificates.
//!
//! This crate knows nothing about claims, verdicts or files.

pub mod adapted;
pub mod adapted_fd;
pub mod alignment;
pub mod arccos;
pub mod bounded_loss;
pub mod critical;
pub mod deep;
pub mod descent;
pub mod early_stopping;
pub mod feature_kernel;
pub mod kink_weight;
pub mod margin;
pub mod momentum;
pub mod ntk;
pub mod population;
pub mod random_features;
pub mod seed;
pub mod shallow;
pub mod sphere;
pub mod spline;
pub mod symmetric_hessian;
pub mod symmetry;
pub mod type_a;
pub mod type_a_point;

pub use adapted::{AdaptedError, AdaptedSpline};
pub use adapted_fd::{AdaptedSplineGrid, GridError};
pub use alignment::{NeuronAlignment, align, cluster_masses, teacher_masses};
pub use bounded_loss::{BoundedLoss, bounded_loss};
pub use descent::{
    DescentConfig, DescentError, DescentRun, TrajectoryPoint, gradient_descent, log_grid,
};
pub use kink_weight::KinkWeight;
pub use ntk::{NtkError, ntk_gram, ntk_gram_flops};
pub use population::{
    HessianError, KernelTerms, LossGradient, PopulationLoss, ShapeError, TwoLayerNet,
};
pub use random_features::{
    FirstLayerLaw, GridValues, RandomReluLayer, gradient_descent_last_layer, ridge_dual,
};
pub use seed::{SEED_RULE, SeedPath};
pub use spline::{SmoothingSpline, SplineError, evaluation_bound};

pub use feature_kernel::{feature_kernel_inf, feature_kernel_mehler, hermite_coefficients};
pub use shallow::descent::{StepRecord, data_spectral_norm, local_smoothness_bound};
pub use shallow::{Activation, Evaluation, GradientVariant, ShallowData, ShallowError, ShallowNet};
