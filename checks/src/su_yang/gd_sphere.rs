//! The GD experiment every su2019 claim runs, written once: full-batch GD on the two-layer ReLU
//! net f(x) = m^-1/2 sum_j a_j relu(w_j . x) (a_j = +-1 fixed in antisymmetric pairs, so
//! f_0 = 0; w_j ~ N(0, I) trained) on the loss (1/2n) sum_i (y_i - f(x_i))^2, with uniform data
//! on the circle and a target that is a sum of zonal harmonics in one or several degrees.
//! [`sample`], [`antisymmetric_init`] and [`descend`] are the steps; [`run`] records the risk
//! and the component coefficients (the multi-component claims), `su2019.eigenspace-rates`
//! records its own projection with the same steps.

use crate::{ClaimError, RunContext};
use overparam_kernel::sphere::{gegenbauer_normalised, harmonic_dimension};
use rand::Rng;
use rand_distr::{Distribution, StandardNormal};

/// Input dimension: the circle S^1.
pub(crate) const D: usize = 2;

/// What one run records at every step t = 0..=steps.
pub(crate) struct Path {
    /// The empirical risk R(t) = (1/2n) sum_i r_t(i)^2.
    pub risk: Vec<f64>,
    /// The least-squares coefficients of r_t on the sample's component vectors (y_k(i) =
    /// a_k Y_k(x_i . z_k), in the order of the target's degrees): beta_k(t), 1 at t = 0.
    pub coef: Vec<Vec<f64>>,
    /// (1/2n) ||sum over `null` components of y_k||^2: their energy on this sample.
    pub null_energy: f64,
    /// The component vectors' Gram matrix / n (row-major, k x k).
    pub gram: Vec<f64>,
}

/// The setting of one run.
pub(crate) struct Setting<'a> {
    pub n: usize,
    pub m: usize,
    pub eta: f64,
    /// (degree, amplitude) of each zonal-harmonic component of the target.
    pub components: &'a [(usize, f64)],
    /// Which components are in the null space (their energy is the floor).
    pub null: &'a [bool],
    /// Some(beta): inputs (x, beta), the net relu(w . x + w_b beta), a kernel with a bias.
    pub bias: Option<f64>,
    pub steps: usize,
}

/// One data set: the inputs and the target's component vectors.
pub(crate) struct Sample {
    /// The inputs, row-major n x e: x_i on the circle, then beta where there is a bias.
    pub x: Vec<f64>,
    /// The input width: D, or D + 1 with a bias coordinate.
    pub e: usize,
    /// ys[k * n + i] = a_k Y_k(x_i . z_k), Y_k = sqrt(N(d, k)) P_k (E Y_k^2 = 1).
    pub ys: Vec<f64>,
    /// The target y_i = sum_k ys[k * n + i].
    pub y: Vec<f64>,
}

/// Draws a direction z_k per component, then n uniform inputs, from `rng` in that order.
pub(crate) fn sample<R: Rng>(
    rng: &mut R,
    n: usize,
    components: &[(usize, f64)],
    bias: Option<f64>,
) -> Sample {
    let kc = components.len();
    let dirs: Vec<Vec<f64>> = (0..kc).map(|_| unit(rng)).collect();
    let e = if bias.is_some() { D + 1 } else { D };
    let mut x = vec![0.0; n * e];
    let mut ys = vec![0.0; kc * n];
    let mut p = Vec::new();
    for i in 0..n {
        let u = unit(rng);
        for (k, &(deg, amp)) in components.iter().enumerate() {
            let t: f64 = u.iter().zip(&dirs[k]).map(|(a, b)| a * b).sum();
            gegenbauer_normalised(D, deg, t.clamp(-1.0, 1.0), &mut p);
            let scale = (harmonic_dimension(D, deg).unwrap() as f64).sqrt();
            ys[k * n + i] = amp * scale * p[deg];
        }
        x[i * e..i * e + D].copy_from_slice(&u);
        if let Some(beta) = bias {
            x[i * e + D] = beta;
        }
    }
    let y: Vec<f64> = (0..n)
        .map(|i| (0..kc).map(|k| ys[k * n + i]).sum())
        .collect();
    Sample { x, e, ys, y }
}

/// The first layer of width 2 floor(m / 2), row-major: pairs (w_j, +1), (w_j, -1) with the same
/// w_j ~ N(0, I_e), so f_0 = 0.
pub(crate) fn antisymmetric_init<R: Rng>(rng: &mut R, m: usize, e: usize) -> Vec<f64> {
    let half = m / 2;
    let mut w = vec![0.0; 2 * half * e];
    for j in 0..half {
        for c in 0..e {
            let v: f64 = StandardNormal.sample(rng);
            w[j * e + c] = v;
            w[(j + half) * e + c] = v;
        }
    }
    w
}

/// `steps` full-batch GD steps of size `eta` on the first layer `w` (from
/// [`antisymmetric_init`]: the first half of the rows has a_j = +1, the second a_j = -1), with
/// inputs `x` (row-major, width e) and target `y`; `observe` sees the residual r_t = y - f_t at
/// every t = 0..=steps.
///
/// The weights and the gradient are held transposed (e x m: coordinate c of every neuron
/// contiguous), so that the pre-activations of all neurons for one input, and the gradient terms of
/// one input, are built by operations across neurons that the compiler vectorises. Every value
/// is still the one of the per-neuron loop, bit for bit: each pre-activation adds w_jc x_c in the
/// order c = 0..e, f adds the active terms in the order j = 0..m, each gradient entry adds
/// r_i x_ic in the order i = 0..n, and the activation pattern of the forward pass is the one the
/// gradient of the same step uses (the weights have not moved in between). An inactive term
/// enters as a signed zero (+0.0, or -0.0 for a_j = -1), which leaves the sums unchanged: they
/// start at +0.0 and, rounding to nearest, never become -0.0, and -0.0 is an exact identity.
/// (Each pre-activation now starts from its first product where `Iterator::sum` started from
/// -0.0: the same value, since -0.0 + t = t.) The one freedom left is which NaN comes out when
/// distinct NaNs meet in one sum, which Rust leaves unspecified; here NaN weights only ever meet
/// `> 0.0`.
pub(crate) fn descend(
    x: &[f64],
    e: usize,
    y: &[f64],
    w: Vec<f64>,
    eta: f64,
    steps: usize,
    mut observe: impl FnMut(&[f64]),
) {
    let n = y.len();
    let m = w.len() / e;
    let half = m / 2;
    let sign = |j: usize| if j < half { 1.0 } else { -1.0 };
    let inv = 1.0 / (m as f64).sqrt();
    let mut wt = vec![0.0; e * m];
    for j in 0..m {
        for c in 0..e {
            wt[c * m + j] = w[j * e + c];
        }
    }
    let mut r = vec![0.0; n];
    let mut gt = vec![0.0; e * m];
    let mut pre = vec![0.0; m];
    let mut active = vec![false; n * m];
    for step in 0..=steps {
        for i in 0..n {
            let xi = &x[i * e..(i + 1) * e];
            for (p, &w0) in pre.iter_mut().zip(&wt[..m]) {
                *p = w0 * xi[0];
            }
            for (c, &xc) in xi.iter().enumerate().skip(1) {
                for (p, &wc) in pre.iter_mut().zip(&wt[c * m..(c + 1) * m]) {
                    *p += wc * xc;
                }
            }
            let on = &mut active[i * m..(i + 1) * m];
            let mut f = 0.0;
            for (j, (&p, a)) in pre.iter().zip(on.iter_mut()).enumerate() {
                *a = p > 0.0;
                f += sign(j) * if p > 0.0 { p } else { 0.0 };
            }
            r[i] = y[i] - inv * f;
        }
        observe(&r);
        if step == steps {
            break;
        }
        gt.iter_mut().for_each(|g| *g = 0.0);
        for i in 0..n {
            let xi = &x[i * e..(i + 1) * e];
            let on = &active[i * m..(i + 1) * m];
            for (c, &xc) in xi.iter().enumerate() {
                let v = r[i] * xc;
                for (g, &a) in gt[c * m..(c + 1) * m].iter_mut().zip(on) {
                    *g += if a { v } else { 0.0 };
                }
            }
        }
        let lr = eta * inv / n as f64;
        for c in 0..e {
            let (wc, gc) = (&mut wt[c * m..(c + 1) * m], &gt[c * m..(c + 1) * m]);
            for (j, (wv, &g)) in wc.iter_mut().zip(gc).enumerate() {
                *wv += lr * sign(j) * g;
            }
        }
    }
}

/// One run of a claim's scan: the cell's label (the replicate apart), n, m, the bias input and
/// the replicate.
pub(crate) struct Cell {
    pub label: String,
    pub n: usize,
    pub m: usize,
    pub bias: Option<f64>,
    pub replicate: u64,
}

impl Cell {
    pub fn new(label: String, n: usize, m: usize, bias: Option<f64>, replicate: u64) -> Cell {
        Cell {
            label,
            n,
            m,
            bias,
            replicate,
        }
    }
}

/// [`run`] on every cell (in parallel, gathered in order) with the claim's step size, target
/// and number of steps; progress under "label,r=replicate".
pub(crate) fn run_cells(
    ctx: &RunContext,
    claim: &str,
    cells: &[Cell],
    eta: f64,
    components: &[(usize, f64)],
    null: &[bool],
    steps: usize,
) -> Result<Vec<Path>, ClaimError> {
    ctx.par_cells(
        claim,
        cells,
        |c| format!("{},r={}", c.label, c.replicate),
        |c| {
            let s = Setting {
                n: c.n,
                m: c.m,
                eta,
                components,
                null,
                bias: c.bias,
                steps,
            };
            Ok(run(ctx, claim, &c.label, c.replicate, &s))
        },
    )
}

/// One GD run from the seed path (claim, cell, replicate).
pub(crate) fn run(ctx: &RunContext, claim: &str, cell: &str, replicate: u64, s: &Setting) -> Path {
    let mut rng = ctx.seed(claim, cell, replicate).rng();
    let n = s.n;
    let kc = s.components.len();
    let Sample { x, e, ys, y } = sample(&mut rng, n, s.components, s.bias);
    let null_energy = (0..n)
        .map(|i| {
            let v: f64 = (0..kc).filter(|&k| s.null[k]).map(|k| ys[k * n + i]).sum();
            v * v
        })
        .sum::<f64>()
        / (2.0 * n as f64);
    let mut gram = vec![0.0; kc * kc];
    for a in 0..kc {
        for b in 0..kc {
            gram[a * kc + b] = (0..n).map(|i| ys[a * n + i] * ys[b * n + i]).sum::<f64>();
        }
    }
    let chol = cholesky(&gram, kc);
    let w = antisymmetric_init(&mut rng, s.m, e);
    let mut risk = Vec::with_capacity(s.steps + 1);
    let mut coef = Vec::with_capacity(s.steps + 1);
    descend(&x, e, &y, w, s.eta, s.steps, |r| {
        risk.push(r.iter().map(|v| v * v).sum::<f64>() / (2.0 * n as f64));
        let rhs: Vec<f64> = (0..kc)
            .map(|k| (0..n).map(|i| ys[k * n + i] * r[i]).sum())
            .collect();
        coef.push(solve(&chol, kc, &rhs));
    });
    gram.iter_mut().for_each(|g| *g /= n as f64);
    Path {
        risk,
        coef,
        null_energy,
        gram,
    }
}

/// The risk the kernel dynamics predict on this sample: (1/2n) ||sum_k q_k y_k||^2 with q_k
/// the predicted remaining factor of component k (1 for a null component), from the component
/// vectors' Gram / n.
pub(crate) fn predicted_risk(gram: &[f64], q: &[f64]) -> f64 {
    let k = q.len();
    let mut s = 0.0;
    for a in 0..k {
        for b in 0..k {
            s += q[a] * q[b] * gram[a * k + b];
        }
    }
    0.5 * s
}

/// A uniform point on S^(D-1).
fn unit<R: Rng>(rng: &mut R) -> Vec<f64> {
    let v: Vec<f64> = (0..D).map(|_| StandardNormal.sample(rng)).collect();
    let s = v.iter().map(|a| a * a).sum::<f64>().sqrt();
    v.into_iter().map(|a| a / s).collect()
}

/// Lower Cholesky factor of a small symmetric positive definite matrix (NaN if not SPD).
fn cholesky(a: &[f64], k: usize) -> Vec<f64> {
    let mut l = vec![0.0; k * k];
    for i in 0..k {
        for j in 0..=i {
            let mut s = a[i * k + j];
            for p in 0..j {
                s -= l[i * k + p] * l[j * k + p];
            }
            l[i * k + j] = if i == j {
                if s > 0.0 { s.sqrt() } else { f64::NAN }
            } else {
                s / l[j * k + j]
            };
        }
    }
    l
}

fn solve(l: &[f64], k: usize, b: &[f64]) -> Vec<f64> {
    let mut z = vec![0.0; k];
    for i in 0..k {
        let mut s = b[i];
        for p in 0..i {
            s -= l[i * k + p] * z[p];
        }
        z[i] = s / l[i * k + i];
    }
    let mut x = vec![0.0; k];
    for i in (0..k).rev() {
        let mut s = z[i];
        for p in i + 1..k {
            s -= l[p * k + i] * x[p];
        }
        x[i] = s / l[i * k + i];
    }
    x
}

/// Least-squares slope of log c(t) over t = 0..len; NaN if any c(t) <= 0 or is not finite.
pub(crate) fn log_slope(c: &[f64]) -> f64 {
    if c.iter().any(|v| !(v.is_finite() && *v > 0.0)) {
        return f64::NAN;
    }
    let n = c.len() as f64;
    let tm = (n - 1.0) / 2.0;
    let ym = c.iter().map(|v| v.ln()).sum::<f64>() / n;
    let (mut sxy, mut sxx) = (0.0, 0.0);
    for (t, v) in c.iter().enumerate() {
        let dt = t as f64 - tm;
        sxy += dt * (v.ln() - ym);
        sxx += dt * dt;
    }
    sxy / sxx
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{NoProgress, Profile};

    /// The two ways the claims read one run agree: `run`'s least-squares coefficient of a
    /// single-component target (`su2019.width-n-log-n`) and the projection <r_t, y> / <y, y>
    /// that `su2019.eigenspace-rates` records from the same sample, initialisation and steps.
    #[test]
    fn run_and_the_single_target_projection_read_the_same_descent() {
        let ctx = RunContext {
            profile: Profile::Quick,
            master_seed: 3,
            progress: &NoProgress,
        };
        let components = [(2, 1.0)];
        let s = Setting {
            n: 24,
            m: 50,
            eta: 5.0,
            components: &components,
            null: &[false],
            bias: None,
            steps: 6,
        };
        let path = run(&ctx, "test", "cell", 1, &s);
        let mut rng = ctx.seed("test", "cell", 1).rng();
        let Sample { x, e, y, .. } = sample(&mut rng, s.n, &components, None);
        let w = antisymmetric_init(&mut rng, s.m, e);
        let yy: f64 = y.iter().map(|a| a * a).sum();
        let mut c = Vec::new();
        descend(&x, e, &y, w, s.eta, s.steps, |r| {
            c.push(r.iter().zip(&y).map(|(a, b)| a * b).sum::<f64>() / yy);
        });
        assert_eq!(c.len(), s.steps + 1);
        assert_eq!(c[0], 1.0, "f_0 = 0: the residual starts at the target");
        for (t, (b, ct)) in path.coef.iter().zip(&c).enumerate() {
            assert!((b[0] - ct).abs() < 1e-12, "t = {t}: {} vs {ct}", b[0]);
        }
        assert!(
            c[s.steps] < 0.999,
            "the component is learned: {}",
            c[s.steps]
        );
    }

    #[test]
    fn cholesky_solve_inverts_a_small_spd_system() {
        let a = [4.0, 1.0, 0.5, 1.0, 3.0, 0.2, 0.5, 0.2, 2.0];
        let l = cholesky(&a, 3);
        let x = solve(&l, 3, &[1.0, 2.0, 3.0]);
        for i in 0..3 {
            let ax: f64 = (0..3).map(|j| a[i * 3 + j] * x[j]).sum();
            assert!((ax - [1.0, 2.0, 3.0][i]).abs() < 1e-12);
        }
    }
}
