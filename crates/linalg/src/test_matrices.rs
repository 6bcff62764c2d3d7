//! Test inputs shared by the eigen modules' unit tests.

use faer::diag::Diag;
use faer::dyn_stack::{MemBuffer, MemStack};
use faer::linalg::evd::{ComputeEigenvectors, self_adjoint_evd, self_adjoint_evd_scratch};
use faer::{Mat, MatRef, Par};

/// The reference spectrum: faer's own unblocked self-adjoint EVD, values only, ascending.
pub(crate) fn faer_eigenvalues(a: MatRef<'_, f64>) -> Vec<f64> {
    let n = a.nrows();
    let mut s = Diag::<f64>::zeros(n);
    let mut buffer = MemBuffer::new(self_adjoint_evd_scratch::<f64>(
        n,
        ComputeEigenvectors::No,
        Par::Seq,
        Default::default(),
    ));
    self_adjoint_evd(
        a,
        s.as_mut(),
        None,
        Par::Seq,
        MemStack::new(&mut buffer),
        Default::default(),
    )
    .unwrap();
    s.column_vector().iter().copied().collect()
}

/// A reproducible symmetric matrix with a spread spectrum (entries in [-1, 1), xorshift64 from
/// `seed`; no dependency on rand so the linalg tests stay self-contained).
pub(crate) fn symmetric(n: usize, seed: u64) -> Mat<f64> {
    let mut state = seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1;
    let mut next = || {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        (state >> 11) as f64 / (1u64 << 53) as f64 * 2.0 - 1.0
    };
    let mut a = Mat::<f64>::zeros(n, n);
    for j in 0..n {
        for i in j..n {
            let x = next();
            a[(i, j)] = x;
            a[(j, i)] = x;
        }
    }
    a
}

/// `symmetric(n, seed)` graded: entry (i, j) scaled by g_i g_j with g_i = 10^(-6 i / n), so the
/// entries (and eigenvalues) span twelve decades.
pub(crate) fn graded(n: usize, seed: u64) -> Mat<f64> {
    let g: Vec<f64> = (0..n)
        .map(|i| 10f64.powf(-6.0 * i as f64 / n.max(1) as f64))
        .collect();
    let a = symmetric(n, seed);
    Mat::<f64>::from_fn(n, n, |i, j| a[(i, j)] * g[i] * g[j])
}

/// Q diag(lambda) Q^T with Q a product of four random reflectors and the eigenvalues in three
/// tight clusters (1, -1 and 2, each spread by 1e-10), plus zeros.
pub(crate) fn clustered(n: usize, seed: u64) -> Mat<f64> {
    let lambda: Vec<f64> = (0..n)
        .map(|i| {
            let centre = [1.0, -1.0, 2.0, 0.0][i % 4];
            centre + 1e-10 * (i as f64 / n.max(1) as f64)
        })
        .collect();
    let mut a = Mat::<f64>::from_fn(n, n, |i, j| if i == j { lambda[i] } else { 0.0 });
    for k in 0..4 {
        let r = symmetric(n, seed + 17 * k + 1);
        let v: Vec<f64> = (0..n).map(|i| r[(i, 0)]).collect();
        let vv: f64 = v.iter().map(|x| x * x).sum();
        if vv == 0.0 {
            continue;
        }
        // A <- H A H, H = I - 2 v v^T / (v^T v).
        let av: Vec<f64> = (0..n)
            .map(|i| (0..n).map(|j| a[(i, j)] * v[j]).sum())
            .collect();
        let vav: f64 = v.iter().zip(&av).map(|(x, y)| x * y).sum();
        let c = 2.0 / vv;
        a = Mat::<f64>::from_fn(n, n, |i, j| {
            a[(i, j)] - c * (v[i] * av[j] + av[i] * v[j]) + c * c * vav * v[i] * v[j]
        });
    }
    // Exactly symmetric.
    Mat::<f64>::from_fn(n, n, |i, j| if i >= j { a[(i, j)] } else { a[(j, i)] })
}

/// X X^T with X n x r (entries from `symmetric`): rank r, n - r zero eigenvalues.
pub(crate) fn low_rank(n: usize, r: usize, seed: u64) -> Mat<f64> {
    let s = symmetric(n.max(r), seed);
    let x = Mat::<f64>::from_fn(n, r, |i, j| s[(i, j)]);
    let p = &x * x.transpose();
    Mat::<f64>::from_fn(n, n, |i, j| if i >= j { p[(i, j)] } else { p[(j, i)] })
}
