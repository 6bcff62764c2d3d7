//! Full-batch gradient descent on F = 1/2 sum_i (f(x_i) - y_i)^2 for a deep ReLU network, with
//! the linearised model trained alongside and the kernel prediction of the residual.
//!
//! The linearised model f_lin(theta) = f_0 + J_0 (theta - theta_0), trained by gradient descent
//! on the same loss and the same parameters, moves in function space by
//! u_lin(t + 1) = u_lin(t) - eta K_0 (u_lin(t) - y) exactly (K_0 = J_0 J_0^T, the NTK at
//! initialisation over the trained parameters), so it is run there: an n x n matrix-vector
//! product per step, no Jacobian. Its residual is (I - eta K_0)^t (u_0 - y), whose norm
//! [`kernel_prediction`] evaluates from the eigenpairs of K_0.

use overparam_linalg::{Mat, MatRef, Par, SymEigen};

use super::DeepError;
use super::backward::{check_targets, gradient_from_forward};
use super::empirical_ntk::empirical_ntk;
use super::network::{DeepReluNet, Trained};

/// Settings of [`deep_gradient_descent`].
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct DeepDescentConfig {
    /// Step size eta.
    pub lr: f64,
    /// Most gradient steps.
    pub steps: u64,
    /// Which parameters move.
    pub trained: Trained,
    /// Stop (after recording) once the loss is below this.
    pub stop_below: f64,
    /// Record every this many steps (and the first and last step). At least 1.
    pub record_every: u64,
}

/// The state after `step` gradient steps.
#[derive(Debug, Clone, PartialEq)]
pub struct DeepStepRecord {
    pub step: u64,
    /// F at this step.
    pub loss: f64,
    /// ||grad F||^2 over the trained parameters.
    pub grad_norm_squared: f64,
    /// ||W_l(step) - W_l(0)||_F for each layer (0 for a fixed one).
    pub layer_movement: Vec<f64>,
    /// ||v(step) - v(0)||_2.
    pub output_movement: f64,
    /// ||u(step) - u_lin(step)||_2: network outputs against the linearised model's.
    pub linear_gap: f64,
    /// ||u_lin(step) - y||_2.
    pub linear_residual: f64,
}

/// What [`deep_gradient_descent`] returns.
#[derive(Debug, Clone)]
pub struct DeepDescentRun {
    pub records: Vec<DeepStepRecord>,
    /// The network after the last step.
    pub network: DeepReluNet,
    /// K_0 over the trained parameters.
    pub initial_ntk: Mat<f64>,
}

/// Gradient descent from `net` on the rows of `x` with targets `y`. A non-finite loss is
/// [`DeepError::Diverged`], never a result.
pub fn deep_gradient_descent(
    net: &DeepReluNet,
    x: MatRef<'_, f64>,
    y: &[f64],
    config: &DeepDescentConfig,
    par: Par,
) -> Result<DeepDescentRun, DeepError> {
    check_targets(x.nrows(), y)?;
    if !(config.lr.is_finite() && config.lr > 0.0) {
        return Err(DeepError::Shape(
            "the step size must be positive and finite",
        ));
    }
    if config.record_every == 0 {
        return Err(DeepError::Shape("record_every must be at least 1"));
    }
    let trained = config.trained;
    let initial_ntk = empirical_ntk(net, x, trained, par)?;
    let mut current = net.clone();
    let mut forward = current.forward(x, par)?;
    let mut linear = forward.outputs.clone();
    let mut records = Vec::new();
    let mut step = 0u64;
    loop {
        let gradient = gradient_from_forward(&current, &forward, y, par);
        if !gradient.loss.is_finite() {
            return Err(DeepError::Diverged { step });
        }
        let done = step == config.steps || gradient.loss < config.stop_below;
        if done || step.is_multiple_of(config.record_every) {
            records.push(record(
                step,
                net,
                &current,
                &gradient,
                trained,
                &forward.outputs,
                &linear,
                y,
            ));
        }
        if done {
            break;
        }
        for (l, (w, g)) in current
            .layers_mut()
            .iter_mut()
            .zip(&gradient.layers)
            .enumerate()
        {
            if trained.layer(l) {
                for j in 0..w.ncols() {
                    for (wv, &gv) in w.col_as_slice_mut(j).iter_mut().zip(g.col_as_slice(j)) {
                        *wv -= config.lr * gv;
                    }
                }
            }
        }
        if trained.output() {
            for (v, g) in current.output_mut().iter_mut().zip(&gradient.output) {
                *v -= config.lr * g;
            }
        }
        let linear_residual: Vec<f64> = linear.iter().zip(y).map(|(u, t)| u - t).collect();
        for (j, &r) in linear_residual.iter().enumerate() {
            for (u, &kv) in linear.iter_mut().zip(initial_ntk.col_as_slice(j)) {
                *u -= config.lr * kv * r;
            }
        }
        forward = current.forward(x, par)?;
        step += 1;
    }
    Ok(DeepDescentRun {
        records,
        network: current,
        initial_ntk,
    })
}

#[allow(clippy::too_many_arguments)]
fn record(
    step: u64,
    start: &DeepReluNet,
    current: &DeepReluNet,
    gradient: &super::backward::LossAndGradient,
    trained: Trained,
    outputs: &[f64],
    linear: &[f64],
    y: &[f64],
) -> DeepStepRecord {
    let layer_movement = start
        .layers()
        .iter()
        .zip(current.layers())
        .map(|(a, b)| (b - a).norm_l2())
        .collect();
    let output_movement = distance(start.output(), current.output());
    DeepStepRecord {
        step,
        loss: gradient.loss,
        grad_norm_squared: gradient.norm_squared(trained),
        layer_movement,
        output_movement,
        linear_gap: distance(outputs, linear),
        linear_residual: distance(linear, y),
    }
}

fn distance(a: &[f64], b: &[f64]) -> f64 {
    a.iter()
        .zip(b)
        .map(|(p, q)| (p - q) * (p - q))
        .sum::<f64>()
        .sqrt()
}

/// sqrt(sum_i (1 - eta lambda_i)^(2t) (v_i . r_0)^2) = ||(I - eta K)^t r_0||: the residual norm
/// after t steps of gradient descent in the kernel regime, from the eigenpairs of K (Basri et
/// al. 2020, Theorem 2, restating Allen-Zhu, Li & Song with r_0 = y - u(0)).
pub fn kernel_prediction(eigen: &SymEigen, lr: f64, r0: &[f64], step: u64) -> f64 {
    let exponent = i32::try_from(2 * step).unwrap_or(i32::MAX);
    eigen
        .values
        .iter()
        .enumerate()
        .map(|(i, &lambda)| {
            let projection: f64 = eigen
                .vectors
                .col_as_slice(i)
                .iter()
                .zip(r0)
                .map(|(v, r)| v * r)
                .sum();
            (1.0 - lr * lambda).powi(exponent) * projection * projection
        })
        .sum::<f64>()
        .sqrt()
}
