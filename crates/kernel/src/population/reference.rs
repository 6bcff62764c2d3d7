//! The row-by-row evaluation that [`PopulationLoss::evaluate`] replaced (test only): each
//! unordered student pair once, row by row, then the student-teacher pairs. With the angles of
//! [`angle::angle_sin`] the restructured evaluation must give its numbers bit for bit; with the
//! angles by two square roots and [`arccos::atan2_nonneg`] (the original body, and the
//! evaluation before the one-root angles) it must agree to rounding (test
//! `blocked_body_matches_rowwise` in `body.rs`).

use super::{KernelTerms, PopulationLoss, TwoLayerNet, angle, arccos, norm, unit_rows_into};

/// The buffers of the row-by-row evaluation.
pub(super) struct Rowwise {
    pub loss: f64,
    pub grad_a: Vec<f64>,
    pub grad_w: Vec<f64>,
    norms: Vec<f64>,
    inv_norms: Vec<f64>,
    units: Vec<f64>,
    units_t: Vec<f64>,
    minus: Vec<f64>,
    plus: Vec<f64>,
    theta: Vec<f64>,
    self_coeff: Vec<f64>,
    /// The angles by [`angle::angle_sin`] (one square root, as [`PopulationLoss::evaluate`]
    /// computes them) rather than by two square roots and [`arccos::atan2_nonneg`] (as the
    /// row-by-row body did when it was replaced).
    one_root: bool,
}

impl Rowwise {
    /// Buffers for k students and m teachers in dimension d; `one_root` chooses the angles.
    pub fn new(k: usize, d: usize, m: usize, one_root: bool) -> Self {
        let total = k * (k - 1) / 2 + k * m;
        Rowwise {
            loss: 0.0,
            grad_a: vec![0.0; k],
            grad_w: vec![0.0; k * d],
            norms: vec![0.0; k],
            inv_norms: vec![0.0; k],
            units: vec![0.0; k * d],
            units_t: vec![0.0; k * d],
            minus: vec![0.0; total],
            plus: vec![0.0; total],
            theta: vec![0.0; total],
            self_coeff: vec![0.0; k],
            one_root,
        }
    }
}

/// `t` (cols x rows) = the transpose of the row-major `rows x cols` matrix `x`.
fn transpose_into(x: &[f64], rows: usize, cols: usize, t: &mut [f64]) {
    for i in 0..rows {
        for r in 0..cols {
            t[r * rows + i] = x[i * cols + r];
        }
    }
}

/// minus[l] = |u - o_{from + l}|^2 and plus[l] = |u + o_{from + l}|^2 for the columns
/// from, ..., from + minus.len() - 1 of `others_t` (d x cnt, row-major), each summed over
/// coordinates in order, four partners at a time (independent accumulations held in registers).
#[inline(always)]
fn pair_sums(
    u: &[f64],
    others_t: &[f64],
    cnt: usize,
    from: usize,
    minus: &mut [f64],
    plus: &mut [f64],
) {
    const LANES: usize = 4;
    let len = minus.len();
    let mut l = 0;
    // Blocks of LANES partners with their sums held in registers across the coordinates.
    while l + LANES <= len {
        let (mut am, mut ap) = ([0.0; LANES], [0.0; LANES]);
        for (r, &x) in u.iter().enumerate() {
            let at = r * cnt + from + l;
            let row: &[f64; LANES] = others_t[at..at + LANES].try_into().expect("LANES entries");
            for t in 0..LANES {
                let y = row[t];
                am[t] += (x - y) * (x - y);
                ap[t] += (x + y) * (x + y);
            }
        }
        minus[l..l + LANES].copy_from_slice(&am);
        plus[l..l + LANES].copy_from_slice(&ap);
        l += LANES;
    }
    for l in l..len {
        let (mut am, mut ap) = (0.0, 0.0);
        for (r, &x) in u.iter().enumerate() {
            let y = others_t[r * cnt + from + l];
            am += (x - y) * (x - y);
            ap += (x + y) * (x + y);
        }
        minus[l] = am;
        plus[l] = ap;
    }
}

impl PopulationLoss {
    /// The row-by-row body, as it was.
    pub(super) fn evaluate_rowwise(&self, s: &TwoLayerNet, out: &mut Rowwise) {
        use std::f64::consts::PI;
        const INV_2PI: f64 = 1.0 / (2.0 * PI);
        let (k, d) = (s.width(), s.dim());
        let self_term = self.terms == KernelTerms::Exact;
        let (a, w) = (&s.a, &s.w);
        let m = self.teacher.width();
        let mut teacher_units = vec![0.0; m * d];
        unit_rows_into(
            &self.teacher.w,
            d,
            &self.teacher_norms_pad[..m],
            &mut teacher_units,
        );
        let mut teacher_units_t = vec![0.0; m * d];
        transpose_into(&teacher_units, m, d, &mut teacher_units_t);
        for i in 0..k {
            let n = norm(s.neuron(i));
            out.norms[i] = n;
            out.inv_norms[i] = if n > 0.0 { 1.0 / n } else { 0.0 };
        }
        unit_rows_into(w, d, &out.norms, &mut out.units);
        transpose_into(&out.units, k, d, &mut out.units_t);
        out.grad_a.fill(0.0);
        out.grad_w.fill(0.0);
        out.self_coeff.fill(0.0);
        let mut loss = self.teacher_energy;

        // (1) The sums of every pair: student pairs (i, l > i) row by row, then k x m teacher
        // pairs, in one flat buffer.
        let mut off = 0;
        for i in 0..k {
            let len = k - 1 - i;
            pair_sums(
                &out.units[i * d..(i + 1) * d],
                &out.units_t,
                k,
                i + 1,
                &mut out.minus[off..off + len],
                &mut out.plus[off..off + len],
            );
            off += len;
        }
        for i in 0..k {
            pair_sums(
                &out.units[i * d..(i + 1) * d],
                &teacher_units_t,
                m,
                0,
                &mut out.minus[off..off + m],
                &mut out.plus[off..off + m],
            );
            off += m;
        }
        // (2) Angles, sin t and cos t of all pairs: minus becomes sin t, plus becomes cos t.
        // (Pairs with a zero vector give finite numbers here and are skipped below.)
        for ((mi, pl), th) in out
            .minus
            .iter_mut()
            .zip(out.plus.iter_mut())
            .zip(out.theta.iter_mut())
        {
            let (t, sin) = if out.one_root {
                angle::angle_sin(*mi, *pl)
            } else {
                let (sq_m, sq_p) = (mi.sqrt(), pl.sqrt());
                (2.0 * arccos::atan2_nonneg(sq_m, sq_p), 0.5 * sq_m * sq_p)
            };
            *th = t;
            *pl = 0.25 * (*pl - *mi);
            *mi = sin;
        }

        // Self-terms: kappa(w_i, w_i) = |w_i|^2 / 2, gradient w_i / 2 (times a_i^2).
        if self_term {
            for (i, &ai) in a.iter().enumerate() {
                let kii = 0.5 * out.norms[i] * out.norms[i];
                loss += 0.5 * ai * ai * kii;
                out.grad_a[i] += ai * kii;
                out.self_coeff[i] += 0.5 * ai * ai;
            }
        }
        // (3) Student-student pairs, each unordered pair once, a row (i, l > i) at a time: first
        // the per-pair numbers for the whole row in one loop over contiguous buffers (kernel
        // value into the sin slot, gradient coefficient a_i a_l beta into the angle slot, the
        // self coefficient of w_i into the cos slot), then the sums into neuron i in pair order.
        // A zero neuron has kernel and gradient zero (relu'(0) = 0): its row is skipped, and a
        // zero partner gets the coefficient 0 (its kernel value and 1 / |w| are 0 already).
        let mut off = 0;
        for i in 0..k {
            let len = k - 1 - i;
            let (pairs, next) = (off..off + len, off + len);
            off = next;
            let (ni, inv_i, ai) = (out.norms[i], out.inv_norms[i], a[i]);
            if ni == 0.0 {
                continue;
            }
            let (sins, coss, thetas) = (
                &mut out.minus[pairs.clone()],
                &mut out.plus[pairs.clone()],
                &mut out.theta[pairs],
            );
            let (al, nl, inv_l) = (&a[i + 1..], &out.norms[i + 1..], &out.inv_norms[i + 1..]);
            let (coeff_l, grad_a_l) = (&mut out.self_coeff[i + 1..], &mut out.grad_a[i + 1..]);
            for t in 0..len {
                let (sin, cos, rest) = (sins[t], coss[t], PI - thetas[t]);
                let kap = ni * nl[t] * INV_2PI * (sin + rest * cos);
                let aa = ai * al[t];
                let sin_over_2pi = sin * INV_2PI;
                grad_a_l[t] += ai * kap;
                coeff_l[t] += aa * ni * sin_over_2pi * inv_l[t];
                sins[t] = kap;
                coss[t] = aa * nl[t] * sin_over_2pi * inv_i;
                thetas[t] = if nl[t] > 0.0 {
                    aa * (rest * INV_2PI)
                } else {
                    0.0
                };
            }
            let (kaps, selfs, coeffs) = (&*sins, &*coss, &*thetas);
            for t in 0..len {
                loss += ai * al[t] * kaps[t];
                out.grad_a[i] += al[t] * kaps[t];
                out.self_coeff[i] += selfs[t];
            }
            let (head, tail) = out.grad_w.split_at_mut((i + 1) * d);
            let gi = &mut head[i * d..];
            let wi = &w[i * d..(i + 1) * d];
            for (t, gl) in tail.chunks_exact_mut(d).enumerate() {
                let c = coeffs[t];
                let wl = &w[(i + 1 + t) * d..(i + 2 + t) * d];
                for r in 0..d {
                    gi[r] += c * wl[r];
                    gl[r] += c * wi[r];
                }
            }
        }
        // Student-teacher cross terms, a row (i, all j) at a time in the same way.
        let v = &self.teacher.w;
        let b = &self.teacher.a;
        let nj = &self.teacher_norms_pad[..m];
        for (i, &ai) in a.iter().enumerate() {
            let pairs = off + i * m..off + (i + 1) * m;
            let (ni, inv_i) = (out.norms[i], out.inv_norms[i]);
            if ni == 0.0 {
                continue;
            }
            let (sins, coss, thetas) = (
                &mut out.minus[pairs.clone()],
                &mut out.plus[pairs.clone()],
                &mut out.theta[pairs],
            );
            for j in 0..m {
                let (sin, cos, rest) = (sins[j], coss[j], PI - thetas[j]);
                let kap = ni * nj[j] * INV_2PI * (sin + rest * cos);
                let ab = ai * b[j];
                sins[j] = kap;
                coss[j] = ab * (nj[j] * sin * INV_2PI * inv_i);
                thetas[j] = if nj[j] > 0.0 {
                    ab * (rest * INV_2PI)
                } else {
                    0.0
                };
            }
            let (kaps, selfs, coeffs) = (&*sins, &*coss, &*thetas);
            for j in 0..m {
                loss -= ai * b[j] * kaps[j];
                out.grad_a[i] -= b[j] * kaps[j];
                out.self_coeff[i] -= selfs[j];
            }
            let gi = &mut out.grad_w[i * d..(i + 1) * d];
            for (j, vj) in v.chunks_exact(d).enumerate() {
                let c = coeffs[j];
                for r in 0..d {
                    gi[r] -= c * vj[r];
                }
            }
        }
        for i in 0..k {
            let c = out.self_coeff[i];
            let wi = &w[i * d..(i + 1) * d];
            for (g, &x) in out.grad_w[i * d..(i + 1) * d].iter_mut().zip(wi) {
                *g += c * x;
            }
        }
        out.loss = loss;
    }
}
