//! Gegenbauer polynomials normalised to P_k(1) = 1, and the dimension of degree-k harmonics.

/// P_0(t), ..., P_K(t) for S^(d-1) (d >= 2): the Gegenbauer polynomials C_k^((d-2)/2)
/// normalised to P_k(1) = 1 (Legendre for d = 3, Chebyshev cos(k arccos t) for d = 2), by
/// (k + d - 2) P_(k+1) = (2k + d - 2) t P_k - k P_(k-1), which is forward-stable on [-1, 1].
pub fn gegenbauer_normalised(d: usize, max_degree: usize, t: f64, out: &mut Vec<f64>) {
    out.clear();
    out.push(1.0);
    if max_degree == 0 {
        return;
    }
    out.push(t);
    let d = d as f64;
    for k in 1..max_degree {
        let kf = k as f64;
        let next = ((2.0 * kf + d - 2.0) * t * out[k] - kf * out[k - 1]) / (kf + d - 2.0);
        out.push(next);
    }
}

/// N(d, k) = C(d + k - 1, k) - C(d + k - 3, k - 2), the dimension of the degree-k spherical
/// harmonics on S^(d-1), computed as (2k + d - 2)/k * C(k + d - 3, k - 1) for k >= 1 in exact
/// integer arithmetic; `None` when it does not fit in u128.
pub fn harmonic_dimension(d: usize, k: usize) -> Option<u128> {
    if d < 2 {
        return None;
    }
    if k == 0 {
        return Some(1);
    }
    if d == 2 {
        return Some(2);
    }
    // C(k + d - 3, r) with r = min(k - 1, d - 2) (the two indices give the same binomial), built
    // as prod_(i=1)^r (k + d - 3 - r + i) / i, exact at every step: O(min(k, d)) operations
    // instead of O(k), and an intermediate overflows later.
    let top = (k + d - 3) as u128;
    let r = (k - 1).min(d - 2) as u128;
    let mut binom: u128 = 1;
    for i in 1..=r {
        binom = binom.checked_mul(top - r + i)? / i;
    }
    let numerator = binom.checked_mul(2 * k as u128 + d as u128 - 2)?;
    // (2k + d - 2) C(k + d - 3, k - 1) / k is an integer; the division is exact.
    Some(numerator / k as u128)
}
