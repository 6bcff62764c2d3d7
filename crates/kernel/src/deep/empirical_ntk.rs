//! The empirical NTK Gram matrix K_ij = <df(x_i)/dtheta, df(x_j)/dtheta> of a deep ReLU
//! network, by GEMM structure from one forward and one backward pass.
//!
//! Since df/dW_l = delta_l h_(l-1)^T is an outer product, the contribution of W_l to K is
//! (delta_l(x_i) . delta_l(x_j)) (h_(l-1)(x_i) . h_(l-1)(x_j)), and that of v is
//! s^2 h_L(x_i) . h_L(x_j); stacked over points,
//!
//! ```text
//! K = s^2 H_L H_L^T + sum_(l trained) (Delta_l Delta_l^T) .* (H_(l-1) H_(l-1)^T)
//! ```
//!
//! with Delta_l the backward pass of [`super::backward`] for unit row weights. That is 2L + 1
//! symmetric products of inner dimension m (or d), each on one triangle, instead of the
//! n^2 x (number of parameters) of per-sample Jacobians (the property tests' reference).

use overparam_linalg::{Mat, MatRef, Par, linear_gram};

use super::DeepError;
use super::backward::visit_deltas;
use super::network::{DeepReluNet, Trained};

/// Bytes the empirical NTK of n points needs at its peak, weights included: W_1..W_L
/// (m d + (L - 1) m^2), H_0..H_L (n d + L n m), two n x m backward buffers, and three n x n
/// matrices (K and the two factors of one Hadamard term). Computed in u128 so no size overflows.
pub fn empirical_ntk_bytes(n: usize, d: usize, m: usize, depth: usize) -> u128 {
    let (n, d, m, depth) = (n as u128, d as u128, m as u128, depth as u128);
    let weights = m * d + depth.saturating_sub(1) * m * m + m;
    let hidden = n * d + depth * n * m;
    8 * (weights + hidden + 2 * n * m + 3 * n * n)
}

/// The n x n empirical NTK of `net` over the parameters in `trained`, at the rows of `x`
/// (n x d). Exactly symmetric (every term is mirrored from one triangle).
pub fn empirical_ntk(
    net: &DeepReluNet,
    x: MatRef<'_, f64>,
    trained: Trained,
    par: Par,
) -> Result<Mat<f64>, DeepError> {
    if !trained.output() && net.depth() == 1 {
        return Err(DeepError::NothingTrained);
    }
    let forward = net.forward(x, par)?;
    let n = x.nrows();
    let mut k = if trained.output() {
        let s = net.output_scale();
        let top = forward.hidden.last().expect("L >= 1");
        let mut k = linear_gram(top.as_ref(), par);
        if s != 1.0 {
            for j in 0..n {
                for v in k.col_as_slice_mut(j) {
                    *v *= s * s;
                }
            }
        }
        k
    } else {
        Mat::<f64>::zeros(n, n)
    };
    let lowest = if trained.layer(0) { 0 } else { 1 };
    let ones = vec![1.0; n];
    visit_deltas(net, &forward, &ones, lowest, par, |l, delta| {
        if !trained.layer(l) {
            return;
        }
        let backward = linear_gram(delta.as_ref(), par);
        let inputs = linear_gram(forward.hidden[l].as_ref(), par);
        for j in 0..n {
            let (kj, bj, ij) = (
                k.col_as_slice_mut(j),
                backward.col_as_slice(j),
                inputs.col_as_slice(j),
            );
            for ((kv, &bv), &iv) in kj.iter_mut().zip(bj).zip(ij) {
                *kv += bv * iv;
            }
        }
    });
    Ok(k)
}
