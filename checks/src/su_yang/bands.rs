//! Identification bands of per-degree GD rates, shared by the su2019 claims: a measured rate
//! is attributed to its own eigenvalue only if it is nearer to it than to any other degree's.

/// The identification band [l_k, h_k] of each learned degree's rate ratio: the geometric
/// midpoints between r_k = -log(1 - eta mu_k) at step size eta and the nearest smaller and larger nonzero rates
/// of the kernel over the given degrees (symmetric, 1/l_k, where no larger rate exists).
pub(super) fn identification_bands(mu: &[f64], eta: f64) -> Vec<(f64, f64)> {
    let rates: Vec<f64> = mu
        .iter()
        .filter(|m| **m > 0.0)
        .map(|m| -(1.0 - eta * m).ln())
        .collect();
    mu.iter()
        .map(|&m| {
            if m <= 0.0 {
                return (f64::NAN, f64::NAN);
            }
            let r = -(1.0 - eta * m).ln();
            let below = rates
                .iter()
                .filter(|&&q| q < r)
                .fold(0.0f64, |a, &q| a.max(q));
            let above = rates
                .iter()
                .filter(|&&q| q > r)
                .fold(f64::INFINITY, |a, &q| a.min(q));
            let low = (below / r).sqrt();
            let high = if above.is_finite() {
                (above / r).sqrt()
            } else {
                1.0 / low
            };
            (low, high)
        })
        .collect()
}

/// A ratio's position in its band: log(x)/log(h) above 1, log(x)/-log(l) below (NaN for x <= 0).
pub(super) fn ratio_position(x: f64, band: (f64, f64)) -> f64 {
    if x.is_nan() || x <= 0.0 {
        return f64::NAN;
    }
    if x >= 1.0 {
        x.ln() / band.1.ln()
    } else {
        x.ln() / -band.0.ln()
    }
}

/// An interval of a ratio as positions in its band: log(x) / log(h) above 1, log(x) / -log(l)
/// below (monotone, so the band maps to [-1, 1]); NaN for non-positive ratios.
pub(super) fn band_position(iv: (f64, f64, f64), band: (f64, f64)) -> (f64, f64, f64) {
    let pos = |x: f64| {
        if x >= 1.0 {
            x.ln() / band.1.ln()
        } else {
            x.ln() / -band.0.ln()
        }
    };
    (pos(iv.0), pos(iv.1), pos(iv.2))
}

#[cfg(test)]
mod tests {
    use super::super::first_layer_eigenvalues;
    use super::*;

    #[test]
    fn bands_are_the_geometric_midpoints_in_the_docs() {
        let b = identification_bands(&first_layer_eigenvalues(2, 6), 5.0);
        for (k, lo, hi) in [(1usize, 0.849, 1.178), (2, 0.344, 1.462), (4, 0.629, 2.910)] {
            assert!(
                (b[k].0 - lo).abs() < 1e-3 && (b[k].1 - hi).abs() < 1e-3,
                "{k}: {:?}",
                b[k]
            );
        }
    }
}
