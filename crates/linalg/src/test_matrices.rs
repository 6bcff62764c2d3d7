//! Test inputs shared by the eigen modules' unit tests.

use faer::Mat;

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
