//! Two-layer ReLU networks under the logistic loss near initialisation (Telgarsky 2023):
//! sparse-parity data, the antisymmetric initialisation, the inner-layer tangent features at
//! initialisation, normalised gradient descent on the inner layer, and norm-only training.
//!
//! Network: f(x; V) = (1/sqrt(m)) sum_j a_j relu(v_j . x), a_j = +-1 fixed, v_j(0) ~ N(0, I_d),
//! the neurons in pairs (v, +1), (v, -1) so that f(.; V_0) = 0 exactly. relu'(0) = 0.
//! Loss: L(V) = (1/n) sum_k ln(1 + exp(-y_k f(x_k; V))).
//! Normalised GD: V <- V - eta grad L(V) / L(V) (the step proportional to 1/loss).
//!
//! The pre-activations X V^T and the gradient S^T X are faer GEMMs.

use overparam_linalg::{
    Accum, Mat, MatRef, Par, col_slice, col_slice_mut, matmul, product_transposed,
};
use rand::{Rng, RngExt};
use rand_distr::{Distribution, StandardNormal};

/// n points of {+-1/sqrt(d)}^d, row-major, labelled by the sign of their first `k` coordinates'
/// product, y = d^(k/2) x_1 ... x_k.
pub fn sparse_parity<R: Rng>(rng: &mut R, n: usize, d: usize, k: usize) -> (Vec<f64>, Vec<f64>) {
    let s = 1.0 / (d as f64).sqrt();
    let mut x = vec![0.0; n * d];
    let mut y = vec![0.0; n];
    for i in 0..n {
        let mut sign = 1.0;
        for c in 0..d {
            let v = if rng.random::<bool>() { s } else { -s };
            x[i * d + c] = v;
            if c < k {
                sign *= v.signum();
            }
        }
        y[i] = sign;
    }
    (x, y)
}

/// The inner layer at initialisation: m = 2 * half rows of N(0, I_d) in antisymmetric pairs, and
/// the output signs a (+1 for the first half, -1 for the second).
pub fn antisymmetric_init<R: Rng>(rng: &mut R, half: usize, d: usize) -> (Vec<f64>, Vec<f64>) {
    let m = 2 * half;
    let mut v = vec![0.0; m * d];
    for j in 0..half {
        for c in 0..d {
            let g: f64 = StandardNormal.sample(rng);
            v[j * d + c] = g;
            v[(j + half) * d + c] = g;
        }
    }
    let a = (0..m).map(|j| if j < half { 1.0 } else { -1.0 }).collect();
    (v, a)
}

/// Pre-activations Z = X V^T (n x m).
fn preactivations(x: &[f64], v: &[f64], n: usize, m: usize, d: usize) -> Mat<f64> {
    product_transposed(
        MatRef::from_row_major_slice(x, n, d),
        MatRef::from_row_major_slice(v, m, d),
        Par::Seq,
    )
}

/// f(x_k; V) for every row of x.
pub fn outputs(x: &[f64], v: &[f64], a: &[f64], n: usize, d: usize) -> Vec<f64> {
    let m = a.len();
    let z = preactivations(x, v, n, m, d);
    let inv = 1.0 / (m as f64).sqrt();
    (0..n)
        .map(|k| {
            let mut s = 0.0;
            for (j, aj) in a.iter().enumerate() {
                let p = z[(k, j)];
                if p > 0.0 {
                    s += aj * p;
                }
            }
            s * inv
        })
        .collect()
}

/// The inner-layer tangent features at V as margin blocks phi_jk = y_k 1[v_j . x_k > 0] x_k,
/// laid out [j][k][c] (the NTK margin's transport acts on each neuron: y_k <theta(v_j), phi_jk>;
/// a_j = +-1 is absorbed in theta).
pub fn tangent_blocks(x: &[f64], y: &[f64], v: &[f64], m: usize, d: usize) -> Vec<f64> {
    let n = y.len();
    let z = preactivations(x, v, n, m, d);
    let mut phi = vec![0.0; m * n * d];
    for j in 0..m {
        for k in 0..n {
            if z[(k, j)] > 0.0 {
                for c in 0..d {
                    phi[(j * n + k) * d + c] = y[k] * x[k * d + c];
                }
            }
        }
    }
    phi
}

/// The Gram matrix G_kl = <g_k, g_l> of the inner-layer margin vectors g_k = y_k grad_V f(x_k; V)
/// (n x n, row-major): y_k y_l (x_k . x_l) (1/m) #{j : both active}.
pub fn tangent_gram(x: &[f64], y: &[f64], v: &[f64], m: usize, d: usize) -> Vec<f64> {
    let n = y.len();
    let z = preactivations(x, v, n, m, d);
    let mut g = vec![0.0; n * n];
    for k in 0..n {
        for l in 0..=k {
            let both = (0..m)
                .filter(|&j| z[(k, j)] > 0.0 && z[(l, j)] > 0.0)
                .count();
            let dot: f64 = (0..d).map(|c| x[k * d + c] * x[l * d + c]).sum();
            let val = y[k] * y[l] * dot * both as f64 / m as f64;
            g[k * n + l] = val;
            g[l * n + k] = val;
        }
    }
    g
}

/// The logistic loss and its gradient in V (row-major m x d) at V, of the network whose output
/// is f(x_k; V) - offset_k (`offset` = f(.; V_0) centres it; empty for none).
pub fn loss_and_gradient(
    x: &[f64],
    y: &[f64],
    v: &[f64],
    a: &[f64],
    d: usize,
    offset: &[f64],
    grad: &mut [f64],
) -> f64 {
    let (n, m) = (y.len(), a.len());
    let z = preactivations(x, v, n, m, d);
    let inv = 1.0 / (m as f64).sqrt();
    // Unit by unit down z's contiguous columns, every output at once: each f_k still adds
    // a_j relu(z_kj) in the order j = 0..m (an inactive unit adds +0.0, which leaves a sum that
    // starts at +0.0 unchanged), so every value is the row-by-row loop's, bit for bit (up to
    // which NaN comes out if distinct NaNs met in one sum, which Rust leaves unspecified).
    let mut f = vec![0.0; n];
    for (j, &aj) in a.iter().enumerate() {
        for (fk, &p) in f.iter_mut().zip(col_slice(&z, j)) {
            *fk += if p > 0.0 { aj * p } else { 0.0 };
        }
    }
    let mut loss = 0.0;
    let mut w = vec![0.0; n];
    for k in 0..n {
        let centre = offset.get(k).copied().unwrap_or(0.0);
        let margin = y[k] * (f[k] * inv - centre);
        loss += softplus(-margin);
        // d/df ln(1 + e^{-y f}) = -y / (1 + e^{y f})
        w[k] = -y[k] * sigmoid(-margin) / n as f64;
    }
    let mut s = Mat::<f64>::zeros(n, m);
    for (j, &aj) in a.iter().enumerate() {
        let sj = col_slice_mut(s.as_mut(), j);
        for ((sk, &p), &wk) in sj.iter_mut().zip(col_slice(&z, j)).zip(&w) {
            if p > 0.0 {
                *sk = wk * aj * inv;
            }
        }
    }
    let mut gm = Mat::<f64>::zeros(m, d);
    matmul(
        gm.as_mut(),
        Accum::Replace,
        s.transpose(),
        MatRef::from_row_major_slice(x, n, d),
        1.0,
        Par::Seq,
    );
    for j in 0..m {
        for c in 0..d {
            grad[j * d + c] = gm[(j, c)];
        }
    }
    loss / n as f64
}

/// ln(1 + e^t) without overflow.
pub fn softplus(t: f64) -> f64 {
    if t > 30.0 { t } else { t.exp().ln_1p() }
}

/// 1 / (1 + e^{-t}).
pub fn sigmoid(t: f64) -> f64 {
    if t >= 0.0 {
        1.0 / (1.0 + (-t).exp())
    } else {
        let e = t.exp();
        e / (1.0 + e)
    }
}

/// One recorded state of a run.
#[derive(Debug, Clone)]
pub struct Snapshot {
    pub step: usize,
    pub loss: f64,
    /// min_k y_k (f(x_k; V_t) - f(x_k; V_0)).
    pub min_output_margin: f64,
    /// ||V_t - V_0||_F.
    pub movement: f64,
    /// ||V_t||_F.
    pub norm: f64,
    /// Per-neuron cos angle(v_j(t), v_j(0)).
    pub cosines: Vec<f64>,
    /// Per-neuron ||v_j(t)|| (the output mass |a_j| ||v_j|| with |a_j| = 1).
    pub masses: Vec<f64>,
}

/// Normalised gradient descent on the inner layer from V_0, on the centred network f(.; V) -
/// f(.; V_0) (with the antisymmetric initialisation f(.; V_0) is zero up to rounding, ~1e-16;
/// centring makes it exactly zero, so that the margin at t = 0 is exactly 0): `steps` updates V <- V - eta grad L /
/// L, stopped early once the loss is below `stop_loss`; snapshots at step 0, at every step of
/// `record` that is reached, and at the last step. A non-finite loss is an error.
#[allow(clippy::too_many_arguments)]
pub fn normalised_gd(
    x: &[f64],
    y: &[f64],
    v0: &[f64],
    a: &[f64],
    d: usize,
    eta: f64,
    steps: usize,
    stop_loss: f64,
    record: &[usize],
) -> Result<Vec<Snapshot>, String> {
    let (n, m) = (y.len(), a.len());
    let mut v = v0.to_vec();
    let mut grad = vec![0.0; m * d];
    let mut out = Vec::new();
    let f0 = outputs(x, v0, a, n, d);
    let snap = |step: usize, loss: f64, v: &[f64]| -> Snapshot {
        let f = outputs(x, v, a, n, d);
        let min_output_margin = f
            .iter()
            .zip(&f0)
            .zip(y)
            .map(|((f, f0), y)| (f - f0) * y)
            .fold(f64::INFINITY, f64::min);
        let movement = v
            .iter()
            .zip(v0)
            .map(|(a, b)| (a - b) * (a - b))
            .sum::<f64>()
            .sqrt();
        let norm = v.iter().map(|a| a * a).sum::<f64>().sqrt();
        let mut cosines = Vec::with_capacity(m);
        let mut masses = Vec::with_capacity(m);
        for j in 0..m {
            let (vt, vi) = (&v[j * d..(j + 1) * d], &v0[j * d..(j + 1) * d]);
            let nt = vt.iter().map(|a| a * a).sum::<f64>().sqrt();
            let ni = vi.iter().map(|a| a * a).sum::<f64>().sqrt();
            let dot: f64 = vt.iter().zip(vi).map(|(a, b)| a * b).sum();
            cosines.push(dot / (nt * ni));
            masses.push(nt);
        }
        Snapshot {
            step,
            loss,
            min_output_margin,
            movement,
            norm,
            cosines,
            masses,
        }
    };
    for step in 0..=steps {
        let loss = loss_and_gradient(x, y, &v, a, d, &f0, &mut grad);
        if !loss.is_finite() {
            return Err(format!("the loss is {loss} at step {step}"));
        }
        let last = step == steps || loss < stop_loss;
        if step == 0 || last || record.contains(&step) {
            out.push(snap(step, loss, &v));
        }
        if last {
            break;
        }
        let lr = eta / loss;
        v.iter_mut().zip(&grad).for_each(|(w, g)| *w -= lr * g);
    }
    Ok(out)
}

/// ln(ln(1 + e^{-t})), the log of the logistic loss at margin t, without underflow.
fn ln_logistic(t: f64) -> f64 {
    if t > 30.0 {
        // ln(1 + e^{-t}) = e^{-t} (1 - e^{-t}/2 + ...)
        -t + (-0.5 * (-t).exp()).ln_1p()
    } else {
        softplus(-t).ln()
    }
}

/// One recorded state of a norm-only run.
#[derive(Debug, Clone)]
pub struct NormOnlyState {
    pub step: usize,
    /// ln of the mean logistic loss (the loss itself underflows long before the direction
    /// settles).
    pub ln_loss: f64,
    /// min_k y_k f(x_k).
    pub min_output_margin: f64,
    /// sum_j (a_j^2 + r_j^2).
    pub sq_norm: f64,
    /// ||a o r||_1, the l1 norm of the output weights c_j = a_j r_j over the dictionary.
    pub l1_norm: f64,
}

/// Norm-only training: f(x) = sum_j a_j r_j relu(u_j . x) over a fixed dictionary of unit
/// directions u_j (the inner weights v_j = r_j u_j change in norm only), `h` the n x p row-major
/// features relu(u_j . x_k). Normalised GD for this 2-homogeneous model: W <- W - eta grad L /
/// (L ||W||^2), W = (a, r), with grad L / L computed in the log domain (weights
/// exp(ln|l'(m_k)| minus ln sum_l l(m_l))) so that it stays exact when the loss underflows. With `train_r` false
/// only a is trained (r fixed: a linear model over the dictionary). Records step 0, the steps
/// in `record` and the last.
#[allow(clippy::too_many_arguments)]
pub fn norm_only_gd(
    h: &[f64],
    y: &[f64],
    a0: &[f64],
    r0: &[f64],
    eta: f64,
    steps: usize,
    train_r: bool,
    record: &[usize],
) -> Result<Vec<NormOnlyState>, String> {
    let (n, p) = (y.len(), a0.len());
    let (mut a, mut r) = (a0.to_vec(), r0.to_vec());
    let mut out = Vec::new();
    let mut margins = vec![0.0; n];
    let mut w = vec![0.0; n];
    for step in 0..=steps {
        for k in 0..n {
            let f: f64 = (0..p).map(|j| h[k * p + j] * a[j] * r[j]).sum();
            margins[k] = y[k] * f;
        }
        let lnl: Vec<f64> = margins.iter().map(|&t| ln_logistic(t)).collect();
        let top = lnl.iter().copied().fold(f64::NEG_INFINITY, f64::max);
        let lse = top + lnl.iter().map(|v| (v - top).exp()).sum::<f64>().ln();
        let ln_loss = lse - (n as f64).ln();
        if !ln_loss.is_finite() {
            return Err(format!("ln loss is {ln_loss} at step {step}"));
        }
        let sq: f64 = a.iter().chain(&r).map(|v| v * v).sum();
        if step == 0 || step == steps || record.contains(&step) {
            out.push(NormOnlyState {
                step,
                ln_loss,
                min_output_margin: margins.iter().copied().fold(f64::INFINITY, f64::min),
                sq_norm: sq,
                l1_norm: a.iter().zip(&r).map(|(a, r)| (a * r).abs()).sum(),
            });
        }
        if step == steps {
            break;
        }
        // grad L / L = sum_k l'(m_k) y_k h_k / sum_l l(m_l), |l'(t)| = 1 / (1 + e^t)
        for k in 0..n {
            w[k] = -y[k] * (-softplus(margins[k]) - lse).exp();
        }
        let lr = eta / sq;
        for j in 0..p {
            let g: f64 = (0..n).map(|k| w[k] * h[k * p + j]).sum();
            let (aj, rj) = (a[j], r[j]);
            a[j] -= lr * g * rj;
            if train_r {
                r[j] -= lr * g * aj;
            }
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::SeedableRng;
    use rand_chacha::ChaCha8Rng;

    #[test]
    fn gradient_matches_finite_differences() {
        let mut rng = ChaCha8Rng::seed_from_u64(3);
        let (n, d, half) = (12, 4, 5);
        let (x, y) = sparse_parity(&mut rng, n, d, 2);
        let (mut v, a) = antisymmetric_init(&mut rng, half, d);
        // move off the symmetric point so the outputs are not zero
        for (i, w) in v.iter_mut().enumerate() {
            *w += 0.1 * ((i * 7 % 5) as f64 - 2.0);
        }
        let mut g = vec![0.0; v.len()];
        let l0 = loss_and_gradient(&x, &y, &v, &a, d, &[], &mut g);
        let mut scratch = vec![0.0; v.len()];
        for i in 0..v.len() {
            let h = 1e-6;
            let mut vp = v.clone();
            vp[i] += h;
            let mut vm = v.clone();
            vm[i] -= h;
            let fd = (loss_and_gradient(&x, &y, &vp, &a, d, &[], &mut scratch)
                - loss_and_gradient(&x, &y, &vm, &a, d, &[], &mut scratch))
                / (2.0 * h);
            assert!((fd - g[i]).abs() < 1e-6, "coordinate {i}: {fd} vs {}", g[i]);
        }
        assert!(l0.is_finite());
    }

    #[test]
    fn antisymmetric_init_outputs_zero() {
        let mut rng = ChaCha8Rng::seed_from_u64(5);
        let (x, _) = sparse_parity(&mut rng, 7, 6, 2);
        let (v, a) = antisymmetric_init(&mut rng, 9, 6);
        assert!(outputs(&x, &v, &a, 7, 6).iter().all(|f| f.abs() < 1e-14));
    }

    #[test]
    fn parity_labels_are_products_of_signs() {
        let mut rng = ChaCha8Rng::seed_from_u64(9);
        let d = 9;
        let (x, y) = sparse_parity(&mut rng, 50, d, 2);
        for k in 0..50 {
            let want = d as f64 * x[k * d] * x[k * d + 1];
            assert!((y[k] - want).abs() < 1e-12);
        }
    }
}
