//! The square loss F = 1/2 sum_i (f(x_i) - y_i)^2 and its gradient by backpropagation, as GEMMs
//! over all n points at once.
//!
//! With z_l = W_l h_(l-1) and g_l = df/dh_l (g_L = s v), the per-point quantities are
//! delta_l = c 1[z_l > 0] .* g_l, df/dW_l = delta_l h_(l-1)^T, g_(l-1) = W_l^T delta_l and
//! df/dv = s h_L. Stacking one row per point (row i weighted by a scalar w_i: the residual r_i for
//! the loss, 1 for the NTK) turns them into Delta_l = c 1[H_l > 0] .* G_l,
//! G_(l-1) = Delta_l W_l, and grad_(W_l) F = Delta_l^T H_(l-1).

use overparam_linalg::{Accum, Mat, MatRef, Par, matmul};

use super::DeepError;
use super::network::{DeepReluNet, Forward, Trained};

/// F and its gradient at one point of parameter space.
#[derive(Debug, Clone)]
pub struct LossAndGradient {
    /// 1/2 sum_i (f(x_i) - y_i)^2.
    pub loss: f64,
    /// f(x_i) - y_i.
    pub residuals: Vec<f64>,
    /// dF/dW_l, the shape of W_l, for every layer (trained or not).
    pub layers: Vec<Mat<f64>>,
    /// dF/dv.
    pub output: Vec<f64>,
}

impl LossAndGradient {
    /// ||grad F||^2 over the parameters in `trained` only (the quantity of the PL inequality).
    pub fn norm_squared(&self, trained: Trained) -> f64 {
        let layers: f64 = self
            .layers
            .iter()
            .enumerate()
            .filter(|(l, _)| trained.layer(*l))
            .map(|(_, g)| g.norm_l2().powi(2))
            .sum();
        let output: f64 = if trained.output() {
            self.output.iter().map(|g| g * g).sum()
        } else {
            0.0
        };
        layers + output
    }
}

/// Visits Delta_L, ..., Delta_1 (top down, with the 0-based layer index) for rows weighted by
/// `row_weights`: the shared core of the loss gradient and of the empirical NTK. `lowest` is
/// the 0-based index of the last layer wanted, so that G_(l-1) is not formed below it.
pub(crate) fn visit_deltas(
    net: &DeepReluNet,
    forward: &Forward,
    row_weights: &[f64],
    lowest: usize,
    par: Par,
    mut visit: impl FnMut(usize, &Mat<f64>),
) {
    let (n, m, depth) = (row_weights.len(), net.width(), net.depth());
    let (c, s) = (net.layer_scale(), net.output_scale());
    let mut g = Mat::<f64>::zeros(n, m);
    for (r, &v_r) in net.output().iter().enumerate() {
        for (gi, &w) in g.col_as_slice_mut(r).iter_mut().zip(row_weights) {
            *gi = w * s * v_r;
        }
    }
    for l in (lowest..depth).rev() {
        let h = &forward.hidden[l + 1];
        for r in 0..m {
            for (gi, &hi) in g.col_as_slice_mut(r).iter_mut().zip(h.col_as_slice(r)) {
                *gi = if hi > 0.0 { c * *gi } else { 0.0 };
            }
        }
        // g now holds Delta_l.
        visit(l, &g);
        if l > lowest {
            let w = &net.layers()[l];
            let mut below = Mat::<f64>::zeros(n, w.ncols());
            matmul(
                below.as_mut(),
                Accum::Replace,
                g.as_ref(),
                w.as_ref(),
                1.0,
                par,
            );
            g = below;
        }
    }
}

/// F and grad F at the rows of `x` (n x d) with targets `y`.
pub fn loss_and_gradient(
    net: &DeepReluNet,
    x: MatRef<'_, f64>,
    y: &[f64],
    par: Par,
) -> Result<LossAndGradient, DeepError> {
    check_targets(x.nrows(), y)?;
    let forward = net.forward(x, par)?;
    Ok(gradient_from_forward(net, &forward, y, par))
}

/// [`loss_and_gradient`] from a forward pass already made (targets already checked).
pub(crate) fn gradient_from_forward(
    net: &DeepReluNet,
    forward: &Forward,
    y: &[f64],
    par: Par,
) -> LossAndGradient {
    let residuals: Vec<f64> = forward.outputs.iter().zip(y).map(|(f, t)| f - t).collect();
    let loss = 0.5 * residuals.iter().map(|r| r * r).sum::<f64>();
    let mut layers: Vec<Mat<f64>> = net
        .layers()
        .iter()
        .map(|w| Mat::zeros(w.nrows(), w.ncols()))
        .collect();
    visit_deltas(net, forward, &residuals, 0, par, |l, delta| {
        matmul(
            layers[l].as_mut(),
            Accum::Replace,
            delta.transpose(),
            forward.hidden[l].as_ref(),
            1.0,
            par,
        );
    });
    let top = forward.hidden.last().expect("L >= 1");
    let s = net.output_scale();
    let output = (0..net.width())
        .map(|r| {
            s * top
                .col_as_slice(r)
                .iter()
                .zip(&residuals)
                .map(|(h, e)| h * e)
                .sum::<f64>()
        })
        .collect();
    LossAndGradient {
        loss,
        residuals,
        layers,
        output,
    }
}

/// One finite target per data point.
pub(crate) fn check_targets(rows: usize, y: &[f64]) -> Result<(), DeepError> {
    if y.len() != rows {
        return Err(DeepError::Targets {
            rows,
            targets: y.len(),
        });
    }
    match y.iter().position(|t| !t.is_finite()) {
        Some(index) => Err(DeepError::NonFiniteTarget { index }),
        None => Ok(()),
    }
}
