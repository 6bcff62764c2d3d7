//! One-hidden-layer ReLU networks with a random, fixed first layer (random features):
//! f_w(x) = sum_{k=1}^n w_k relu(v_k x + b_k), only w trained.
//!
//! Ridge regression min_w sum_i (f_w(x_i) - y_i)^2 + lambda_tilde |w|^2 is solved in its dual
//! (kernel) form: w = Phi^T beta with (K_n + lambda_tilde I) beta = y and K_n = Phi Phi^T the
//! N x N Gram matrix of the N training points. Nothing of size n x n is ever formed, and the
//! n x N design matrix is not stored either: the hidden units are generated in fixed chunks of
//! [`CHUNK`] units, chunk c from its own seeded stream, so any pass over the units regenerates
//! them exactly. Chunks may run in parallel; their partial sums are added in chunk order, so the
//! result does not depend on the number of threads.
//!
//! This module knows nothing of the limit kernel or the adapted spline: it is the network side
//! of the comparison.

use overparam_linalg::{LinalgError, Mat, solve_spd};
use rand::RngExt;
use rand_distr::{Distribution, StandardNormal};
use rayon::prelude::*;

use crate::SeedPath;

/// Hidden units per chunk (part of the determinism contract: changing it changes the draws).
pub const CHUNK: usize = 4096;

/// The law of one hidden unit's (v, b).
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum FirstLayerLaw {
    /// v, b independent standard normal.
    StandardGaussian,
    /// v standard normal, kink xi = -b / v uniform on [-r, r] independent of v, b = -xi v.
    UniformKinks { r: f64 },
}

impl FirstLayerLaw {
    /// One draw of (v, b).
    pub fn sample(&self, rng: &mut impl rand::Rng) -> (f64, f64) {
        match *self {
            FirstLayerLaw::StandardGaussian => {
                let v: f64 = StandardNormal.sample(rng);
                let b: f64 = StandardNormal.sample(rng);
                (v, b)
            }
            FirstLayerLaw::UniformKinks { r } => {
                let v: f64 = StandardNormal.sample(rng);
                let xi: f64 = rng.random_range(-r..r);
                (v, -xi * v)
            }
        }
    }
}

#[inline]
fn relu(z: f64) -> f64 {
    if z > 0.0 { z } else { 0.0 }
}

/// A random first layer of width n, regenerated chunk by chunk from its seed.
#[derive(Debug, Clone)]
pub struct RandomReluLayer {
    law: FirstLayerLaw,
    width: usize,
    seed: SeedPath,
}

/// f and f' of a network on a grid of points.
#[derive(Debug, Clone, PartialEq)]
pub struct GridValues {
    pub f: Vec<f64>,
    pub df: Vec<f64>,
}

impl RandomReluLayer {
    pub fn new(law: FirstLayerLaw, width: usize, seed: SeedPath) -> Self {
        RandomReluLayer { law, width, seed }
    }

    pub fn width(&self) -> usize {
        self.width
    }

    fn chunks(&self) -> usize {
        self.width.div_ceil(CHUNK)
    }

    /// (v, b) of chunk c, from the chunk's own stream.
    pub fn chunk(&self, c: usize) -> (Vec<f64>, Vec<f64>) {
        let len = CHUNK.min(self.width - c * CHUNK);
        let mut rng = self.seed.chunk(c as u64).rng();
        let mut v = Vec::with_capacity(len);
        let mut b = Vec::with_capacity(len);
        for _ in 0..len {
            let (p, q) = self.law.sample(&mut rng);
            v.push(p);
            b.push(q);
        }
        (v, b)
    }

    /// Maps every chunk (in parallel) and folds the results in chunk order.
    fn map_chunks<T: Send>(
        &self,
        map: impl Fn(usize, &[f64], &[f64]) -> T + Sync,
        mut fold: impl FnMut(T),
    ) {
        let parts: Vec<T> = (0..self.chunks())
            .into_par_iter()
            .map(|c| {
                let (v, b) = self.chunk(c);
                map(c, &v, &b)
            })
            .collect();
        for p in parts {
            fold(p);
        }
    }

    /// K_n = Phi Phi^T for the points x: K_ij = sum_k relu(v_k x_i + b_k) relu(v_k x_j + b_k).
    pub fn gram(&self, x: &[f64]) -> Mat<f64> {
        let n = x.len();
        let mut k = Mat::<f64>::zeros(n, n);
        self.map_chunks(
            |_, v, b| {
                let mut part = vec![0.0; n * n];
                let mut phi = vec![0.0; n];
                for (&vk, &bk) in v.iter().zip(b) {
                    for (p, &xi) in phi.iter_mut().zip(x) {
                        *p = relu(vk * xi + bk);
                    }
                    for i in 0..n {
                        if phi[i] == 0.0 {
                            continue;
                        }
                        for j in 0..=i {
                            part[i * n + j] += phi[i] * phi[j];
                        }
                    }
                }
                part
            },
            |part| {
                for i in 0..n {
                    for j in 0..=i {
                        k[(i, j)] += part[i * n + j];
                    }
                }
            },
        );
        for i in 0..n {
            for j in 0..i {
                k[(j, i)] = k[(i, j)];
            }
        }
        k
    }

    /// The design matrix at the points x, stored unit by unit, for the primal methods
    /// (gradient descent) at moderate width.
    pub fn features(&self, x: &[f64]) -> Features {
        let n_data = x.len();
        let mut data = vec![0.0; n_data * self.width];
        for c in 0..self.chunks() {
            let (v, b) = self.chunk(c);
            for (k, (&vk, &bk)) in v.iter().zip(&b).enumerate() {
                let unit = &mut data[(c * CHUNK + k) * n_data..(c * CHUNK + k + 1) * n_data];
                for (p, &xi) in unit.iter_mut().zip(x) {
                    *p = relu(vk * xi + bk);
                }
            }
        }
        Features {
            n_data,
            width: self.width,
            data,
        }
    }

    /// The networks w = Phi^T beta for each dual vector beta, evaluated (f and f') on `grid`:
    /// f(z) = sum_k relu(v_k z + b_k) (phi_k(X)^T beta), without storing w.
    pub fn eval_dual(&self, x: &[f64], betas: &[Vec<f64>], grid: &[f64]) -> Vec<GridValues> {
        let nb = betas.len();
        self.eval_with(grid, nb, |_, _, v, b, coef| {
            // Unit k's weight sum_i relu(v_k x_i + b_k) beta_i, for all units of the chunk at
            // once (vectorised across units); each adds its terms in the order i = 0..n.
            let mut s = vec![0.0; v.len()];
            for (m, beta) in betas.iter().enumerate() {
                s.iter_mut().for_each(|sk| *sk = 0.0);
                for (&xi, &be) in x.iter().zip(beta) {
                    for ((sk, &vk), &bk) in s.iter_mut().zip(v).zip(b) {
                        *sk += relu(vk * xi + bk) * be;
                    }
                }
                for (k, &sk) in s.iter().enumerate() {
                    coef[k * nb + m] = sk;
                }
            }
        })
    }

    /// The network with explicit output weights w (length n), evaluated on `grid`.
    pub fn eval_primal(&self, w: &[f64], grid: &[f64]) -> GridValues {
        assert_eq!(w.len(), self.width, "one output weight per hidden unit");
        self.eval_with(grid, 1, |c, _, v, _, coef| {
            coef[..v.len()].copy_from_slice(&w[c * CHUNK..c * CHUNK + v.len()]);
        })
        .pop()
        .expect("one network")
    }

    /// Shared evaluation pass: `coefs` fills the output weight of every unit of a chunk for each
    /// of `nb` networks (row-major: unit, network); the chunk sums are added in order.
    fn eval_with(
        &self,
        grid: &[f64],
        nb: usize,
        coefs: impl Fn(usize, usize, &[f64], &[f64], &mut [f64]) + Sync,
    ) -> Vec<GridValues> {
        let g = grid.len();
        let mut total = vec![0.0; 2 * g * nb];
        self.map_chunks(
            |c, v, b| {
                let mut coef = vec![0.0; v.len() * nb];
                coefs(c, nb, v, b, &mut coef);
                // layout: [net][point] for f, then for f'
                let mut part = vec![0.0; 2 * g * nb];
                let (pf, pd) = part.split_at_mut(g * nb);
                // Grid points innermost (vectorised); each entry still adds the units in order.
                // An inactive unit adds +0.0, which leaves the sums (+0.0 at the start, never
                // -0.0 when rounding to nearest) unchanged. Bit for bit up to which NaN comes
                // out where distinct NaNs meet in one sum (unspecified in Rust; the betas are
                // residual-checked and the inputs finite, so none do).
                for (k, (&vk, &bk)) in v.iter().zip(b).enumerate() {
                    let ck = &coef[k * nb..(k + 1) * nb];
                    for (m, &cm) in ck.iter().enumerate() {
                        let rows = pf[m * g..(m + 1) * g].iter_mut();
                        for ((f, d), &z) in rows.zip(&mut pd[m * g..(m + 1) * g]).zip(grid) {
                            let pre = vk * z + bk;
                            let on = pre > 0.0;
                            *f += if on { cm * pre } else { 0.0 };
                            *d += if on { cm * vk } else { 0.0 };
                        }
                    }
                }
                part
            },
            |part| {
                for (t, p) in total.iter_mut().zip(&part) {
                    *t += p;
                }
            },
        );
        (0..nb)
            .map(|m| GridValues {
                f: total[m * g..(m + 1) * g].to_vec(),
                df: total[g * nb + m * g..g * nb + (m + 1) * g].to_vec(),
            })
            .collect()
    }
}

/// The dual ridge solution beta = (K + lambda_tilde I)^{-1} y with the solve's backward error.
pub fn ridge_dual(
    gram: &Mat<f64>,
    y: &[f64],
    lambda_tilde: f64,
) -> Result<(Vec<f64>, f64), LinalgError> {
    let n = gram.nrows();
    let a = Mat::from_fn(n, n, |i, j| {
        gram[(i, j)] + if i == j { lambda_tilde } else { 0.0 }
    });
    let s = solve_spd(a.as_ref(), y)?;
    Ok((s.x, s.residual))
}

/// The features of N points under n hidden units: `data[k * n_data + i]` = relu(v_k x_i + b_k).
#[derive(Debug, Clone)]
pub struct Features {
    pub n_data: usize,
    pub width: usize,
    pub data: Vec<f64>,
}

impl Features {
    /// The features of hidden unit k at the N points.
    pub fn unit(&self, k: usize) -> &[f64] {
        &self.data[k * self.n_data..(k + 1) * self.n_data]
    }

    /// Phi w: the network's outputs at the N points.
    pub fn apply(&self, w: &[f64]) -> Vec<f64> {
        let mut out = vec![0.0; self.n_data];
        for (k, wk) in w.iter().enumerate() {
            for (o, p) in out.iter_mut().zip(self.unit(k)) {
                *o += p * wk;
            }
        }
        out
    }

    /// K_n = Phi Phi^T (N x N).
    pub fn gram(&self) -> Mat<f64> {
        let n = self.n_data;
        let mut k = Mat::<f64>::zeros(n, n);
        for u in 0..self.width {
            let phi = self.unit(u);
            for i in 0..n {
                for j in 0..=i {
                    k[(i, j)] += phi[i] * phi[j];
                }
            }
        }
        for i in 0..n {
            for j in 0..i {
                k[(j, i)] = k[(i, j)];
            }
        }
        k
    }
}

/// Gradient descent from w = 0 on sum_i (f_w(x_i) - y_i)^2 (no penalty) with step `eta`:
/// w <- w - 2 eta Phi^T (Phi w - y), in the primal (n weights). Returns w after each step count
/// in `checkpoints` (ascending).
pub fn gradient_descent_last_layer(
    phi: &Features,
    y: &[f64],
    eta: f64,
    checkpoints: &[usize],
) -> Vec<Vec<f64>> {
    let mut w = vec![0.0; phi.width];
    let mut out = Vec::with_capacity(checkpoints.len());
    let mut step = 0;
    for &t in checkpoints {
        while step < t {
            let mut r = phi.apply(&w);
            for (ri, yi) in r.iter_mut().zip(y) {
                *ri -= yi;
            }
            for (k, wk) in w.iter_mut().enumerate() {
                let s: f64 = phi.unit(k).iter().zip(&r).map(|(p, q)| p * q).sum();
                *wk -= 2.0 * eta * s;
            }
            step += 1;
        }
        out.push(w.clone());
    }
    out
}
