//! Least squares in a truncated power series y = c_0 + c_1 x + ... + c_{p-1} x^{p-1}, with a
//! Student-t interval on the constant term c_0 (the limit as x -> 0). Used for the d -> infinity
//! limits of the type-A family, whose expansions are series in x = d^(-1/2) (AF, Physica D).

use statrs::distribution::{ContinuousCDF, StudentsT};

/// The fitted limit c_0 with its interval.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct LimitFit {
    pub limit: f64,
    pub low: f64,
    pub high: f64,
    /// Root mean square of the residuals.
    pub residual_rms: f64,
    pub n: usize,
    pub terms: usize,
}

impl LimitFit {
    pub fn text(&self) -> String {
        format!(
            "limit {:.5}, interval [{:.5}, {:.5}] ({} terms, {} points, residual rms {:.1e})",
            self.limit, self.low, self.high, self.terms, self.n, self.residual_rms
        )
    }
}

/// Fits `terms` powers of x (1, x, ..., x^(terms-1)) to y by Householder-free modified
/// Gram-Schmidt QR on the columns (x scaled to [0, 1], which leaves c_0 unchanged), and gives
/// the two-sided `level` t-interval of c_0 with n - terms degrees of freedom. None with fewer
/// than terms + 1 points, NaN input, or (numerically) dependent columns.
pub fn limit_fit(x: &[f64], y: &[f64], terms: usize, level: f64) -> Option<LimitFit> {
    let n = x.len();
    if n != y.len() || terms == 0 || n <= terms || !(0.0..1.0).contains(&level) {
        return None;
    }
    if x.iter().chain(y).any(|v| !v.is_finite()) {
        return None;
    }
    let scale = x.iter().fold(0.0f64, |m, v| m.max(v.abs()));
    if scale == 0.0 {
        return None;
    }
    // columns q_j (orthonormalised in place) and R, upper triangular
    let mut q: Vec<Vec<f64>> = (0..terms)
        .map(|j| x.iter().map(|v| (v / scale).powi(j as i32)).collect())
        .collect();
    let mut r = vec![vec![0.0; terms]; terms];
    for j in 0..terms {
        for _ in 0..2 {
            for i in 0..j {
                let c: f64 = q[i].iter().zip(&q[j]).map(|(a, b)| a * b).sum();
                r[i][j] += c;
                let qi = q[i].clone();
                for (v, w) in q[j].iter_mut().zip(&qi) {
                    *v -= c * w;
                }
            }
        }
        let len = q[j].iter().map(|v| v * v).sum::<f64>().sqrt();
        if len.is_nan() || len <= 1e-12 * (n as f64).sqrt() {
            return None;
        }
        r[j][j] = len;
        for v in q[j].iter_mut() {
            *v /= len;
        }
    }
    // coefficients: R c = Q^T y
    let qty: Vec<f64> = q
        .iter()
        .map(|col| col.iter().zip(y).map(|(a, b)| a * b).sum())
        .collect();
    let mut c = vec![0.0; terms];
    for i in (0..terms).rev() {
        let s: f64 = (i + 1..terms).map(|k| r[i][k] * c[k]).sum();
        c[i] = (qty[i] - s) / r[i][i];
    }
    let sse: f64 = (0..n)
        .map(|k| {
            let fit: f64 = (0..terms)
                .map(|j| c[j] * (x[k] / scale).powi(j as i32))
                .sum();
            (y[k] - fit).powi(2)
        })
        .sum();
    // [(X^T X)^-1]_00 = sum_j (R^-1)_{0j}^2; row 0 of R^-1 by forward substitution on R^T
    let mut row = vec![0.0; terms];
    for j in 0..terms {
        let s: f64 = (0..j).map(|k| row[k] * r[k][j]).sum();
        row[j] = (f64::from(u8::from(j == 0)) - s) / r[j][j];
    }
    let var00: f64 = row.iter().map(|v| v * v).sum();
    let dof = (n - terms) as f64;
    let se = (sse / dof * var00).sqrt();
    let t = StudentsT::new(0.0, 1.0, dof)
        .ok()?
        .inverse_cdf(0.5 + level / 2.0);
    Some(LimitFit {
        limit: c[0],
        low: c[0] - t * se,
        high: c[0] + t * se,
        residual_rms: (sse / n as f64).sqrt(),
        n,
        terms,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn recovers_an_exact_series_and_widens_with_noise() {
        let x: Vec<f64> = [50.0f64, 80.0, 100.0, 150.0, 200.0, 300.0, 400.0]
            .iter()
            .map(|d| d.powf(-0.5))
            .collect();
        let y: Vec<f64> = x.iter().map(|v| 0.3 - 0.9 * v + 2.0 * v * v).collect();
        let f = limit_fit(&x, &y, 3, 0.99).unwrap();
        assert!((f.limit - 0.3).abs() < 1e-12, "{f:?}");
        assert!(f.high - f.low < 1e-10, "{f:?}");
        let noisy: Vec<f64> = y
            .iter()
            .enumerate()
            .map(|(i, v)| v + if i % 2 == 0 { 1e-3 } else { -1e-3 })
            .collect();
        let g = limit_fit(&x, &noisy, 3, 0.99).unwrap();
        assert!(
            g.low < 0.3 && 0.3 < g.high && g.high - g.low > 1e-3,
            "{g:?}"
        );
        assert!(limit_fit(&x[..3], &y[..3], 3, 0.99).is_none());
    }
}
