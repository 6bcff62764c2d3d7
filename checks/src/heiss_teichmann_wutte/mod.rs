//! Heiss, Teichmann & Wutte (arXiv:1911.02903): one-hidden-layer ReLU networks with a random,
//! fixed first layer and a ridge-trained last layer converge, as the width n grows, to an
//! adapted smoothing spline; gradient descent stopped early corresponds to ridge.
//!
//! Both sides are computed independently: the networks by `overparam_kernel::random_features`
//! (dual N x N ridge, hidden units regenerated chunk by chunk from seeded streams), the limit by
//! `overparam_kernel::adapted` (closed-form limit kernel), cross-checked by the discretised
//! variational problem (`adapted_fd`) and by Reinsch's cubic smoothing spline (`spline`).

mod early_stopping;
mod early_stopping_limit;
mod spline_limit;
mod spline_limit_experiment;

pub use early_stopping::{EARLY_STOPPING_ID, EarlyStopping};
pub use spline_limit::{SPLINE_LIMIT_ID, SplineLimit};

const PAPER: &str = "Heiss, Teichmann & Wutte, How Implicit Regularization of ReLU Neural \
                     Networks Characterizes the Learned Function, Part I: the 1-D Case of Two \
                     Layers with Random First Layer (arXiv:1911.02903)";

/// Training inputs: nine fixed, irregularly spaced points in [-2, 2] (fixed so that every
/// master seed tests the same limit; only the random first layers depend on the seed).
pub const DATA_X: [f64; 9] = [-1.9, -1.45, -0.9, -0.5, -0.1, 0.35, 0.8, 1.3, 1.85];

/// Fixed noise pattern: y_i = sin(2 x_i) + 0.1 e_i.
const DATA_NOISE: [f64; 9] = [0.3, -0.8, 0.5, 1.1, -0.4, -1.2, 0.7, -0.2, 0.9];

/// The spline-scale penalty lambda (the network's ridge penalty is lambda n g(0)).
pub const LAMBDA: f64 = 0.05;

/// The training targets.
pub fn training_data() -> (Vec<f64>, Vec<f64>) {
    let y = DATA_X
        .iter()
        .zip(DATA_NOISE)
        .map(|(x, e)| (2.0 * x).sin() + 0.1 * e)
        .collect();
    (DATA_X.to_vec(), y)
}

/// The compact set K of the W^{1,inf}(K) norm: the data hull with a margin of about 0.6.
const K_INTERVAL: (f64, f64) = (-2.5, 2.5);

const GRID_POINTS: usize = 401;

fn grid(lo: f64, hi: f64, points: usize) -> Vec<f64> {
    (0..points)
        .map(|i| lo + (hi - lo) * i as f64 / (points - 1) as f64)
        .collect()
}

// ---------------------------------------------------------------------------------------------
// heiss2019.spline-limit
// ---------------------------------------------------------------------------------------------
