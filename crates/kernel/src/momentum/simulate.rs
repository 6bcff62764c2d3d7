//! Monte Carlo of the stochastic iteration itself, the independent reference for the operator.

use super::{DataLaw, Hyper, MomentumError};
use crate::SeedPath;

/// Mean of ||e_t||^2 = ||w_t - w*||^2 + ||u_t - w*||^2 over replicates, with its standard error,
/// for t = 0..=steps.
#[derive(Debug, Clone)]
pub struct SquaredErrorPath {
    pub mean: Vec<f64>,
    pub standard_error: Vec<f64>,
    pub replicates: usize,
}

/// Runs `replicates` independent copies of the iteration from e0 = (w0 - w*, u0 - w*) with
/// mini-batches of `batch` fresh samples; replicate r draws from `seed.chunk(r)`.
pub fn simulate_squared_error(
    law: &DataLaw,
    batch: u64,
    hyper: Hyper,
    e0: &[f64],
    steps: usize,
    replicates: usize,
    seed: &SeedPath,
) -> Result<SquaredErrorPath, MomentumError> {
    let d = law.dim();
    if e0.len() != 2 * d {
        return Err(MomentumError::Invalid(format!(
            "e0 has {} entries, 2d = {} expected",
            e0.len(),
            2 * d
        )));
    }
    if batch == 0 || replicates < 2 {
        return Err(MomentumError::BatchTooSmall);
    }
    let sampler = law.sampler()?;
    let mut sum = vec![0.0; steps + 1];
    let mut sum_sq = vec![0.0; steps + 1];
    let (mut z, mut x, mut g) = (vec![0.0; d], vec![0.0; d], vec![0.0; d]);
    for r in 0..replicates {
        let mut rng = seed.chunk(r as u64).rng();
        let (mut w, mut u) = (e0[..d].to_vec(), e0[d..].to_vec());
        for t in 0..=steps {
            let sq: f64 = w.iter().chain(&u).map(|v| v * v).sum();
            sum[t] += sq;
            sum_sq[t] += sq * sq;
            if t == steps {
                break;
            }
            // g = (1/b) sum_k x_k x_k^T (u - w*): the batch gradient at u, in error coordinates.
            g.iter_mut().for_each(|v| *v = 0.0);
            for _ in 0..batch {
                sampler.draw(&mut rng, &mut z, &mut x);
                let dot: f64 = x.iter().zip(&u).map(|(a, b)| a * b).sum();
                for (gi, xi) in g.iter_mut().zip(&x) {
                    *gi += xi * dot / batch as f64;
                }
            }
            for i in 0..d {
                let w_next = u[i] - hyper.eta1 * g[i];
                u[i] = (1.0 + hyper.gamma) * w_next - hyper.gamma * w[i] + hyper.eta2 * g[i];
                w[i] = w_next;
            }
        }
    }
    let n = replicates as f64;
    let mean: Vec<f64> = sum.iter().map(|s| s / n).collect();
    let standard_error = sum_sq
        .iter()
        .zip(&mean)
        .map(|(s2, m)| ((s2 / n - m * m).max(0.0) * n / (n - 1.0) / n).sqrt())
        .collect();
    Ok(SquaredErrorPath {
        mean,
        standard_error,
        replicates,
    })
}
