//! Gram matrices: K_ij = k(x_i, x_j) for the rows x_i of a data matrix.

use faer::linalg::matmul::triangular::{BlockStructure, matmul};
use faer::{Accum, Mat, MatRef, Par};

use crate::bits::BitRows;
use crate::triangle::mirror_lower;

/// K = X X^T for the rows of `x`, computing one triangle (as SYRK does) and mirroring it.
pub fn linear_gram(x: MatRef<'_, f64>, par: Par) -> Mat<f64> {
    let n = x.nrows();
    let mut k = Mat::<f64>::zeros(n, n);
    matmul(
        k.as_mut(),
        BlockStructure::TriangularLower,
        Accum::Replace,
        x,
        BlockStructure::Rectangular,
        x.transpose(),
        BlockStructure::Rectangular,
        1.0,
        par,
    );
    mirror_lower(&mut k);
    k
}

/// The pattern factor S of [`hadamard_gram`].
#[derive(Debug, Clone, Copy)]
pub enum Pattern<'a> {
    /// S as a dense n x p matrix (any real entries).
    Dense(MatRef<'a, f64>),
    /// S = scale * B with B a 0/1 matrix: S S^T = scale^2 |row_i AND row_j|, by popcount.
    Bits { bits: &'a BitRows, scale: f64 },
}

impl Pattern<'_> {
    fn nrows(&self) -> usize {
        match self {
            Pattern::Dense(s) => s.nrows(),
            Pattern::Bits { bits, .. } => bits.nrows(),
        }
    }
}

/// K = alpha (X X^T) .* (S S^T) + beta R R^T for row-aligned X (n x d), S (n x p), R (n x q).
///
/// This is the structure of the empirical NTK of a two-layer network (S the activation pattern
/// scaled by the output weights, R the hidden features; see `overparam_kernel::ntk`): three
/// symmetric products, each computed on its lower triangle only (as SYRK does, half the flops of
/// a GEMM), combined on that triangle and mirrored once. No per-sample Jacobian is formed.
/// A 0/1 pattern with one scale ([`Pattern::Bits`]) is counted by AND + popcount instead of a
/// float product. Memory: three n x n matrices (K and two scratch products).
///
/// # Panics
/// If the three matrices do not have the same number of rows (a caller's bug).
pub fn hadamard_gram(
    x: MatRef<'_, f64>,
    s: Pattern<'_>,
    r: MatRef<'_, f64>,
    alpha: f64,
    beta: f64,
    par: Par,
) -> Mat<f64> {
    let n = x.nrows();
    assert!(
        s.nrows() == n && r.nrows() == n,
        "X, S and R must have one row per data point"
    );
    let mut k = Mat::<f64>::zeros(n, n);
    lower_product(k.as_mut(), r, beta, par);
    let mut pattern = Mat::<f64>::zeros(n, n);
    match s {
        Pattern::Dense(s) => lower_product(pattern.as_mut(), s, alpha, par),
        Pattern::Bits { bits, scale } => {
            bits.lower_gram_into(pattern.as_mut(), alpha * scale * scale, par)
        }
    }
    let mut inputs = Mat::<f64>::zeros(n, n);
    lower_product(inputs.as_mut(), x, 1.0, par);
    for j in 0..n {
        let kj = &mut k.col_as_slice_mut(j)[j..];
        let pj = &pattern.col_as_slice(j)[j..];
        let ij = &inputs.col_as_slice(j)[j..];
        for ((kv, &pv), &iv) in kj.iter_mut().zip(pj).zip(ij) {
            *kv += pv * iv;
        }
    }
    mirror_lower(&mut k);
    k
}

/// A B^T (rows of A against rows of B), e.g. the pre-activations X W^T of a layer.
pub fn product_transposed(a: MatRef<'_, f64>, b: MatRef<'_, f64>, par: Par) -> Mat<f64> {
    let mut c = Mat::<f64>::zeros(a.nrows(), b.nrows());
    faer::linalg::matmul::matmul(c.as_mut(), Accum::Replace, a, b.transpose(), 1.0, par);
    c
}

/// The lower triangle (diagonal included) of scale * A A^T into `dst`; the strict upper
/// triangle of `dst` is left untouched.
fn lower_product(dst: faer::MatMut<'_, f64>, a: MatRef<'_, f64>, scale: f64, par: Par) {
    matmul(
        dst,
        BlockStructure::TriangularLower,
        Accum::Replace,
        a,
        BlockStructure::Rectangular,
        a.transpose(),
        BlockStructure::Rectangular,
        scale,
        par,
    );
}

/// K_ij = kernel(x_i, x_j) for the rows of `x` (row-major slices), evaluating the kernel once per
/// unordered pair. For kernels without GEMM structure (arc-cosine kernels, closed forms).
pub fn gram_matrix(rows: &[&[f64]], kernel: impl Fn(&[f64], &[f64]) -> f64) -> Mat<f64> {
    let n = rows.len();
    let mut k = Mat::<f64>::zeros(n, n);
    for j in 0..n {
        for i in j..n {
            k[(i, j)] = kernel(rows[i], rows[j]);
        }
    }
    mirror_lower(&mut k);
    k
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn linear_gram_matches_dot_products() {
        let x = Mat::<f64>::from_fn(5, 3, |i, j| (i as f64 + 1.0) * (j as f64 - 1.0) + 0.5);
        let k = linear_gram(x.as_ref(), Par::Seq);
        let rows: Vec<Vec<f64>> = (0..5)
            .map(|i| (0..3).map(|j| x[(i, j)]).collect())
            .collect();
        let refs: Vec<&[f64]> = rows.iter().map(|r| r.as_slice()).collect();
        let k2 = gram_matrix(&refs, |a, b| a.iter().zip(b).map(|(p, q)| p * q).sum());
        for i in 0..5 {
            for j in 0..5 {
                assert!((k[(i, j)] - k2[(i, j)]).abs() < 1e-12);
                assert_eq!(k[(i, j)], k[(j, i)]);
            }
        }
    }
}
