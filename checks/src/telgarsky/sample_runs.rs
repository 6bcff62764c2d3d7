//! The runs of `telgarsky2023.sample-complexity`: one cell is (labels, d, n, replicate): fresh
//! k-sparse-parity training and test data and a fresh antisymmetric initialisation of width
//! m = 2 d^2, normalised GD on the inner layer stopped at zero training error (the first step
//! at which every training point is classified, so the run stays near initialisation), and the
//! test error on a fresh held-out sample.

use overparam_kernel::margin::net::{
    antisymmetric_init, outputs, sigmoid, softplus, sparse_parity,
};
use overparam_linalg::{
    Accum, Mat, MatRef, Par, col_slice, col_slice_mut, matmul, product_transposed,
};
use rand::seq::SliceRandom;

use crate::RunContext;

/// Normalised GD step: V <- V - ETA grad L / L.
pub(crate) const ETA: f64 = 8.0;
/// Step budget of one run (the 2-sparse runs stop at zero training error after 5-70 steps).
pub(crate) const BUDGET: usize = 300;
/// Held-out test points per run.
pub(crate) const N_TEST: usize = 2000;

/// Which labels a cell trains on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Labels {
    /// y = sign(x_1 ... x_k) on train and test.
    Parity(usize),
    /// The bug: training labels 2-sparse parity randomly permuted over the training points
    /// (test labels the true parity).
    Shuffled,
}

/// One (labels, d, n, replicate) cell.
#[derive(Debug, Clone)]
pub(crate) struct Cell {
    pub labels: Labels,
    pub d: usize,
    /// n / d^2, the grid coordinate.
    pub c: f64,
    pub n: usize,
    pub rep: usize,
}

impl Cell {
    pub fn label(&self) -> String {
        let l = match self.labels {
            Labels::Parity(k) => format!("k={k}"),
            Labels::Shuffled => "shuffled".to_owned(),
        };
        format!("{l},d={},n={},r={}", self.d, self.n, self.rep)
    }
}

/// What one cell measured.
#[derive(Debug, Clone)]
pub(crate) struct CellResult {
    pub m: usize,
    pub test_error: f64,
    pub train_error: f64,
    /// min_k y_k f(x_k; V_T) at the stop.
    pub margin: f64,
    /// ||V_T - V_0||_F / ||V_0||_F.
    pub relative_movement: f64,
    pub steps: usize,
    /// Whether zero training error was reached within BUDGET.
    pub separated: bool,
}

/// Width m = 2 d^2 (even, antisymmetric pairs): the paper's O(d^2) width for 2-sparse parity.
pub(crate) fn width(d: usize) -> usize {
    2 * d * d
}

/// Normalised GD from v0 until every training point is classified (min_k y_k f > 0) or the
/// budget is spent; returns (V_T, steps, separated).
fn train(x: &[f64], y: &[f64], v0: &[f64], a: &[f64], d: usize) -> (Vec<f64>, usize, bool) {
    let (n, m) = (y.len(), a.len());
    let inv = 1.0 / (m as f64).sqrt();
    let mut v = v0.to_vec();
    let xm = MatRef::from_row_major_slice(x, n, d);
    let mut s = Mat::<f64>::zeros(n, m);
    let mut gm = Mat::<f64>::zeros(m, d);
    for step in 0..BUDGET {
        let z = product_transposed(xm, MatRef::from_row_major_slice(&v, m, d), Par::Seq);
        // Unit by unit down z's contiguous columns, every sample at once: each f_k still adds
        // a_j relu(z_kj) in the order j = 0..m (an inactive unit adds +0.0, which leaves a sum
        // that starts at +0.0 unchanged), so every value is the sample-by-sample loop's.
        let mut f = vec![0.0; n];
        for (j, &aj) in a.iter().enumerate() {
            for (fk, &p) in f.iter_mut().zip(col_slice(&z, j)) {
                *fk += if p > 0.0 { aj * p } else { 0.0 };
            }
        }
        let (mut loss, mut least) = (0.0, f64::INFINITY);
        let mut w = vec![0.0; n];
        for k in 0..n {
            let mg = y[k] * f[k] * inv;
            least = least.min(mg);
            loss += softplus(-mg);
            w[k] = -y[k] * sigmoid(-mg) / n as f64;
        }
        for (j, &aj) in a.iter().enumerate() {
            let sj = col_slice_mut(s.as_mut(), j);
            for ((sk, &p), &wk) in sj.iter_mut().zip(col_slice(&z, j)).zip(&w) {
                *sk = if p > 0.0 { wk * aj * inv } else { 0.0 };
            }
        }
        if least > 0.0 {
            return (v, step, true);
        }
        matmul(
            gm.as_mut(),
            Accum::Replace,
            s.transpose(),
            xm,
            1.0,
            Par::Seq,
        );
        let lr = ETA / (loss / n as f64);
        for j in 0..m {
            for c in 0..d {
                v[j * d + c] -= lr * gm[(j, c)];
            }
        }
    }
    (v, BUDGET, false)
}

fn error(x: &[f64], y: &[f64], v: &[f64], a: &[f64], d: usize) -> (f64, f64) {
    let f = outputs(x, v, a, y.len(), d);
    let least = f
        .iter()
        .zip(y)
        .map(|(f, y)| f * y)
        .fold(f64::INFINITY, f64::min);
    let wrong = f.iter().zip(y).filter(|(f, y)| **f * **y <= 0.0).count();
    (wrong as f64 / y.len() as f64, least)
}

/// Runs one cell from the claim's seed path: stream 0 the training data, 1 the test data, 2 the
/// initialisation (3 the permutation of the shuffled-label control).
pub(crate) fn run_cell(ctx: &RunContext, claim: &str, cell: &Cell) -> Result<CellResult, String> {
    let name = cell.label();
    let (d, m) = (cell.d, width(cell.d));
    let k = match cell.labels {
        Labels::Parity(k) => k,
        Labels::Shuffled => 2,
    };
    let (x, mut y) = sparse_parity(&mut ctx.seed(claim, &name, 0).rng(), cell.n, d, k);
    if cell.labels == Labels::Shuffled {
        y.shuffle(&mut ctx.seed(claim, &name, 3).rng());
    }
    let (xt, yt) = sparse_parity(&mut ctx.seed(claim, &name, 1).rng(), N_TEST, d, k);
    let (v0, a) = antisymmetric_init(&mut ctx.seed(claim, &name, 2).rng(), m / 2, d);
    let (v, steps, separated) = train(&x, &y, &v0, &a, d);
    let (train_error, margin) = error(&x, &y, &v, &a, d);
    let (test_error, _) = error(&xt, &yt, &v, &a, d);
    let sq = |w: &[f64]| w.iter().map(|t| t * t).sum::<f64>();
    let moved: Vec<f64> = v.iter().zip(&v0).map(|(p, q)| p - q).collect();
    let relative_movement = (sq(&moved) / sq(&v0)).sqrt();
    for (what, val) in [
        ("test error", test_error),
        ("margin", margin),
        ("movement", relative_movement),
    ] {
        if !val.is_finite() {
            return Err(format!("{what} is {val}"));
        }
    }
    Ok(CellResult {
        m,
        test_error,
        train_error,
        margin,
        relative_movement,
        steps,
        separated,
    })
}

/// n*(d): where the mean test error over the replicates first falls below `target` on the grid
/// of n (ascending), by linear interpolation in log n between the last grid point above the
/// target and the first below; the mean errors are first made non-increasing from the right
/// (e_i <- max_{j >= i} e_j, so a later excursion above the target moves n* past it). Infinite
/// when even the largest n stays at or above the target (the target is not reached in the
/// grid); the smallest n when the first grid point is already below (censored: reported as is).
pub(crate) fn n_star(ns: &[f64], mean_errors: &[f64], target: f64) -> f64 {
    if ns.is_empty() || mean_errors.iter().any(|e| e.is_nan()) {
        return f64::NAN;
    }
    let mut env = mean_errors.to_vec();
    for i in (0..env.len().saturating_sub(1)).rev() {
        env[i] = env[i].max(env[i + 1]);
    }
    match env.iter().position(|&e| e < target) {
        None => f64::INFINITY,
        Some(0) => ns[0],
        Some(i) => {
            let (l0, l1) = (ns[i - 1].ln(), ns[i].ln());
            let (e0, e1) = (env[i - 1], env[i]);
            (l0 + (l1 - l0) * (e0 - target) / (e0 - e1)).exp()
        }
    }
}

/// The log-odds of an error rate measured on N_TEST points, with the usual half-count
/// continuity correction so that 0 and 1 stay finite.
pub(crate) fn logit_error(e: f64) -> f64 {
    let p = (e * N_TEST as f64 + 0.5) / (N_TEST as f64 + 1.0);
    (p / (1.0 - p)).ln()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn n_star_interpolates_and_reports_infinity() {
        let ns = [10.0, 20.0, 40.0];
        assert_eq!(n_star(&ns, &[0.3, 0.2, 0.15], 0.1), f64::INFINITY);
        assert_eq!(n_star(&ns, &[0.05, 0.02, 0.01], 0.1), 10.0);
        let v = n_star(&ns, &[0.3, 0.15, 0.05], 0.1);
        assert!((v - 20.0 * 2f64.powf(0.5)).abs() < 1e-9, "{v}");
        // a later excursion above the target moves n* to the last crossing
        let w = n_star(&ns, &[0.3, 0.05, 0.12], 0.1);
        assert_eq!(w, f64::INFINITY);
        assert!(n_star(&ns, &[0.3, f64::NAN, 0.1], 0.1).is_nan());
    }
}
