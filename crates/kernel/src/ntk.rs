//! The empirical neural tangent kernel (NTK) of a two-layer ReLU network, by GEMM structure.
//!
//! Normalisation (the NTK parameterisation): f(x) = (1/sqrt(m)) sum_r a_r relu(w_r . x), with m
//! the width and both layers trained. The parameter gradient at x is
//!   df/da_r = relu(w_r . x) / sqrt(m),   df/dw_r = a_r 1[w_r . x > 0] x / sqrt(m),
//! so the Gram matrix of the n data points, K_ij = <grad f(x_i), grad f(x_j)>, is
//!   K = (X X^T) .* (S S^T) / m + R R^T / m,
//! with S_ir = a_r 1[w_r . x_i > 0] (the activation pattern scaled by the output weights) and
//! R_ir = relu(w_r . x_i) (the hidden features). Relu'(0) = 0, as everywhere in this crate.
//!
//! Cost: one n x m x d GEMM for the pre-activations plus three symmetric products computed on
//! one triangle ([`overparam_linalg::hadamard_gram`]): about n^2 (2m + d) + 2 n m d flops, never
//! the n^2 m d of per-sample Jacobians. When every output weight has the same magnitude (a_r = +-1,
//! the usual NTK initialisation), S S^T = |a|^2 B B^T with B the 0/1 pattern, counted 64 units
//! per AND + popcount, so that the only large float product left is R R^T.

use std::fmt;

use overparam_linalg::{
    Accum, BitRows, Mat, MatMut, MatRef, Par, Pattern, hadamard_gram, hadamard_gram_by_columns,
    matmul, product_transposed,
};

use crate::population::TwoLayerNet;

/// Why an NTK Gram matrix could not be built.
#[derive(Debug, Clone, PartialEq)]
pub enum NtkError {
    /// The data points have `data` coordinates, the network's first layer expects `network`.
    Dimension { data: usize, network: usize },
    /// A data coordinate is NaN or infinite.
    NonFinite { row: usize, col: usize },
}

impl fmt::Display for NtkError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            NtkError::Dimension { data, network } => write!(
                f,
                "data points have {data} coordinates, the network's input dimension is {network}"
            ),
            NtkError::NonFinite { row, col } => {
                write!(f, "data entry ({row}, {col}) is not a finite number")
            }
        }
    }
}

impl std::error::Error for NtkError {}

/// Refuses data whose rows do not have `dim` coordinates or that hold NaN or an infinity: the
/// check every NTK of this crate (two-layer and [`crate::deep`]) makes before touching the data.
pub(crate) fn check_data(x: MatRef<'_, f64>, dim: usize) -> Result<(), NtkError> {
    if x.ncols() != dim {
        return Err(NtkError::Dimension {
            data: x.ncols(),
            network: dim,
        });
    }
    for j in 0..dim {
        for i in 0..x.nrows() {
            if !x[(i, j)].is_finite() {
                return Err(NtkError::NonFinite { row: i, col: j });
            }
        }
    }
    Ok(())
}

/// Floating-point operations of the structured formula for n points, width m, input dimension d:
/// the pre-activation GEMM (2 n m d) and three lower-triangle products (n (n + 1) p each, p the
/// inner dimension), as numpy with SYRK performs them. Used to report achieved GFLOP/s; on the
/// popcount path (equal |a_r|) n (n + 1) m of them are replaced by integer counts, so the rate
/// is an effective one.
pub fn ntk_gram_flops(n: usize, m: usize, d: usize) -> f64 {
    let (n, m, d) = (n as f64, m as f64, d as f64);
    2.0 * n * m * d + n * (n + 1.0) * (2.0 * m + d)
}

/// The n x n empirical NTK Gram matrix of `net` (read as f(x) = sum_r a_r relu(w_r . x) / sqrt(m),
/// see the module documentation) at the rows of `x` (n x d). `par` is faer's parallelism for the
/// products; the result is exactly symmetric.
pub fn ntk_gram(net: &TwoLayerNet, x: MatRef<'_, f64>, par: Par) -> Result<Mat<f64>, NtkError> {
    let (n, d, m) = (x.nrows(), net.dim(), net.width());
    check_data(x, d)?;
    let w = MatRef::from_row_major_slice(net.w(), m, d);
    let inv_m = 1.0 / m as f64;
    let a = net.a();
    let common = a[0].abs();
    if common > 0.0 && a.iter().all(|x| x.abs() == common) {
        // Pre-activations Z = X W^T (n x m), turned in place into the features R = relu(Z);
        // the pattern is written alongside as bits.
        let mut features = product_transposed(x, w, par);
        // S = |a| B D with D = diag(sign a_r) and B the 0/1 pattern; D^2 = I, so
        // S S^T = |a|^2 B B^T: only the pattern matters, counted by popcount.
        let mut bits = BitRows::zeros(n, m);
        for r in 0..m {
            for (i, zi) in features.col_as_slice_mut(r).iter_mut().enumerate() {
                if *zi > 0.0 {
                    bits.set(i, r);
                } else {
                    *zi = 0.0;
                }
            }
        }
        let pattern = Pattern::Bits {
            bits: &bits,
            scale: common,
        };
        return Ok(hadamard_gram(
            x,
            pattern,
            features.as_ref(),
            inv_m,
            inv_m,
            par,
        ));
    }
    // General weights: S S^T = B diag(a^2) B^T = (B diag|a|)(B diag|a|)^T, the same products
    // (|a_r| |a_r| = a_r a_r exactly), so S is built with |a_r|. S and R are never formed
    // whole: the pre-activations of 512 units at a time go into a reused buffer (transposed,
    // W_U X^T: one column per data point), become R^T and S^T there, and are added into the
    // two products (`hadamard_gram_by_columns`).
    let magnitudes: Vec<f64> = a.iter().map(|a_r| a_r.abs()).collect();
    Ok(hadamard_gram_by_columns(
        x,
        m,
        |start, mut s_t, mut r_t| {
            let c = r_t.nrows();
            matmul(
                r_t.as_mut(),
                Accum::Replace,
                w.subrows(start, c),
                x.transpose(),
                1.0,
                par,
            );
            let magnitude = &magnitudes[start..start + c];
            for i in 0..n {
                let z = column_mut(r_t.as_mut(), i);
                let s = column_mut(s_t.as_mut(), i);
                // Branch-free selects, so that the loop vectorises.
                for ((zi, si), &mag) in z.iter_mut().zip(s.iter_mut()).zip(magnitude) {
                    let active = *zi > 0.0;
                    *si = if active { mag } else { 0.0 };
                    *zi = if active { *zi } else { 0.0 };
                }
            }
        },
        inv_m,
        inv_m,
        par,
    ))
}

/// Column j of a column-major matrix view as a slice.
fn column_mut(m: MatMut<'_, f64>, j: usize) -> &mut [f64] {
    m.col_mut(j)
        .try_as_col_major_mut()
        .expect("column-major buffer")
        .as_slice_mut()
}
