//! The body of [`PopulationLoss::evaluate`]: the loss and gradient of the closed-form
//! population loss, every unordered student pair once, then the student-teacher pairs.
//!
//! Laid out so that nothing runs in scalar remainder loops or in dependency chains through
//! memory: the pair sums run in whole blocks of eight partners, up to four blocks at once (the
//! transposed unit vectors carry zero padding columns; the extra sums land in slack that the
//! next row overwrites); the per-pair kernel values and coefficients are computed in whole
//! blocks too, into their own buffers (the lanes past a row land in the next rows' slots, in
//! the slack between student and teacher pairs, or in the padding of the per-neuron buffers,
//! all written again before they are read or never read); every per-neuron sum is held in a
//! register for the whole of its row; and dL/dw_i is summed in registers, all its blocks of
//! eight coordinates (rows padded with zeros) at once, from its partners in order. The
//! operations on every number, and their order, are those of the row-by-row body this replaced
//! (kept as the test oracle in `reference.rs`) with the one-root angles of `angle.rs`, so the
//! results agree with it bit for bit, and with its original two-root angles to rounding (test
//! `blocked_body_matches_rowwise`). With `LOSS = false` the loss is not summed (its terms are
//! one dependency chain) and every other number is the same.

use std::f64::consts::PI;

use super::{KernelTerms, LossGradient, PopulationLoss, TwoLayerNet, angle, norm};

/// Partners per block in [`pair_sums`] and in the per-pair loops.
pub(super) const LANES: usize = 8;
/// Gradient coordinates summed at once in registers.
pub(super) const COORDS: usize = 8;

/// minus[l] = |u - o_{from + l}|^2 and plus[l] = |u + o_{from + l}|^2 for the columns
/// from, ..., from + minus.len() - 1 (a multiple of LANES) of `others_t` (d rows of `stride`
/// entries), each summed over coordinates in order, LANES partners at a time in registers, up
/// to four such blocks at once (independent sums in flight, one broadcast of u's coordinate).
#[inline(always)]
fn pair_sums(
    u: &[f64],
    others_t: &[f64],
    stride: usize,
    from: usize,
    minus: &mut [f64],
    plus: &mut [f64],
) {
    const GROUP: usize = 4 * LANES;
    for l in (0..minus.len()).step_by(GROUP) {
        let (minus, plus) = (&mut minus[l..], &mut plus[l..]);
        let at = from + l;
        match (minus.len() / LANES).min(4) {
            1 => pair_sums_blocks::<1>(u, others_t, stride, at, minus, plus),
            2 => pair_sums_blocks::<2>(u, others_t, stride, at, minus, plus),
            3 => pair_sums_blocks::<3>(u, others_t, stride, at, minus, plus),
            _ => pair_sums_blocks::<4>(u, others_t, stride, at, minus, plus),
        }
    }
}

/// [`pair_sums`] for the NB blocks of LANES columns from `from` on, all held in registers.
#[inline(always)]
fn pair_sums_blocks<const NB: usize>(
    u: &[f64],
    others_t: &[f64],
    stride: usize,
    from: usize,
    minus: &mut [f64],
    plus: &mut [f64],
) {
    let (mut am, mut ap) = ([[0.0; LANES]; NB], [[0.0; LANES]; NB]);
    for (r, &x) in u.iter().enumerate() {
        let at = r * stride + from;
        let row = &others_t[at..at + NB * LANES];
        for b in 0..NB {
            let ys: &[f64; LANES] = row[b * LANES..(b + 1) * LANES]
                .try_into()
                .expect("LANES entries");
            for t in 0..LANES {
                let y = ys[t];
                am[b][t] += (x - y) * (x - y);
                ap[b][t] += (x + y) * (x + y);
            }
        }
    }
    for b in 0..NB {
        minus[b * LANES..(b + 1) * LANES].copy_from_slice(&am[b]);
        plus[b * LANES..(b + 1) * LANES].copy_from_slice(&ap[b]);
    }
}

/// Where the teacher pairs start in the per-pair buffers, and their length: the k (k - 1) / 2
/// student pairs, LANES entries of slack (the last student rows' whole blocks end there), the
/// k m teacher pairs, LANES more.
pub(super) fn pair_layout(k: usize, m: usize) -> (usize, usize) {
    let teacher_off = k * (k - 1) / 2 + LANES;
    (teacher_off, teacher_off + k * m + LANES)
}

/// LANES entries of `x` from `at` on.
#[inline(always)]
fn lanes(x: &[f64], at: usize) -> [f64; LANES] {
    x[at..at + LANES].try_into().expect("LANES entries")
}

/// `len` rounded up to a whole number of LANES.
fn blocks(len: usize) -> usize {
    len.div_ceil(LANES) * LANES
}

/// acc[q] += c * x[q] (or -= when `subtract`), q < COORDS.
#[inline(always)]
fn axpy(acc: &mut [f64; COORDS], c: f64, x: &[f64], subtract: bool) {
    let x: &[f64; COORDS] = x[..COORDS].try_into().expect("COORDS entries");
    for q in 0..COORDS {
        if subtract {
            acc[q] -= c * x[q];
        } else {
            acc[q] += c * x[q];
        }
    }
}

/// What dL/dw_i is summed from: the coefficients of its student partners l > i (whose padded
/// weight rows `later` follow row i) and of its teachers, and its self coefficient.
struct Row<'a> {
    coeffs: &'a [f64],
    later: &'a [f64],
    teacher_coeffs: &'a [f64],
    teacher_pad: &'a [f64],
    c_self: f64,
    live: bool,
}

impl Row<'_> {
    /// The first part of dL/dw_i for rows of NB blocks of COORDS coordinates: what earlier rows
    /// added, then the student partners l > i in order (each also receiving its term c w_i into
    /// its row of `tail`), all NB blocks held in registers across the partners (NB independent
    /// sums in flight); [`teachers_and_self`] adds the rest once every row has its student
    /// terms. Each coordinate is summed in the order of [`Row::gradient_block`].
    #[inline(always)]
    fn students<const NB: usize>(&self, gi: &mut [f64], wi: &[f64], tail: &mut [f64]) {
        if !self.live {
            return;
        }
        let dp = NB * COORDS;
        let mut acc = [[0.0; COORDS]; NB];
        let mut wq = [[0.0; COORDS]; NB];
        for b in 0..NB {
            acc[b] = gi[b * COORDS..(b + 1) * COORDS].try_into().expect("COORDS");
            wq[b] = wi[b * COORDS..(b + 1) * COORDS].try_into().expect("COORDS");
        }
        for ((&c, wl), gl) in self
            .coeffs
            .iter()
            .zip(self.later.chunks_exact(dp))
            .zip(tail.chunks_exact_mut(dp))
        {
            for b in 0..NB {
                axpy(&mut acc[b], c, &wl[b * COORDS..], false);
                let gl: &mut [f64; COORDS] = (&mut gl[b * COORDS..(b + 1) * COORDS])
                    .try_into()
                    .expect("COORDS");
                let mut g = *gl;
                for q in 0..COORDS {
                    g[q] += c * wq[b][q];
                }
                *gl = g;
            }
        }
        for b in 0..NB {
            gi[b * COORDS..(b + 1) * COORDS].copy_from_slice(&acc[b]);
        }
    }

    /// Coordinates q0..q0 + COORDS of dL/dw_i (rows of `dp` coordinates), summed as in
    /// [`Row::gradient`]: the path for rows wider than four blocks.
    #[inline(always)]
    fn gradient_block(&self, q0: usize, dp: usize, gi: &mut [f64], wi: &[f64], tail: &mut [f64]) {
        let mut acc: [f64; COORDS] = gi[q0..q0 + COORDS].try_into().expect("COORDS");
        let wq: &[f64; COORDS] = wi[q0..q0 + COORDS].try_into().expect("COORDS");
        if self.live {
            for ((&c, wl), gl) in self
                .coeffs
                .iter()
                .zip(self.later.chunks_exact(dp))
                .zip(tail.chunks_exact_mut(dp))
            {
                axpy(&mut acc, c, &wl[q0..], false);
                let gl: &mut [f64; COORDS] = (&mut gl[q0..q0 + COORDS]).try_into().expect("COORDS");
                let mut g = *gl;
                for q in 0..COORDS {
                    g[q] += c * wq[q];
                }
                *gl = g;
            }
            for (&c, vj) in self
                .teacher_coeffs
                .iter()
                .zip(self.teacher_pad.chunks_exact(dp))
            {
                axpy(&mut acc, c, &vj[q0..], true);
            }
        }
        axpy(&mut acc, self.c_self, wq, false);
        gi[q0..q0 + COORDS].copy_from_slice(&acc);
    }
}

/// The rest of dL/dw_i for the R rows of `grad` (rows of NB blocks of COORDS coordinates, each
/// holding what [`Row::students`] summed): each row's teacher terms in order (when `live`: every
/// one of the R rows is a nonzero neuron), then its self coefficient times its weights `w`. The
/// R rows' sums are independent, so they run interleaved (R NB sums in flight); each coordinate
/// gets the operations of [`Row::gradient_block`] in its order.
// The indices address the accumulators and the row offsets together.
#[allow(clippy::needless_range_loop)]
#[inline(always)]
fn teachers_and_self<const NB: usize, const R: usize>(
    grad: &mut [f64],
    w: &[f64],
    coeffs: [&[f64]; R],
    c_self: [f64; R],
    teacher_pad: &[f64],
    live: bool,
) {
    let dp = NB * COORDS;
    let mut acc = [[[0.0; COORDS]; NB]; R];
    for r in 0..R {
        for b in 0..NB {
            let at = r * dp + b * COORDS;
            acc[r][b] = grad[at..at + COORDS].try_into().expect("COORDS");
        }
    }
    if live {
        for (j, vj) in teacher_pad.chunks_exact(dp).enumerate() {
            for r in 0..R {
                let c = coeffs[r][j];
                for b in 0..NB {
                    axpy(&mut acc[r][b], c, &vj[b * COORDS..], true);
                }
            }
        }
    }
    for r in 0..R {
        for b in 0..NB {
            let at = r * dp + b * COORDS;
            axpy(&mut acc[r][b], c_self[r], &w[at..], false);
            grad[at..at + COORDS].copy_from_slice(&acc[r][b]);
        }
    }
}

/// [`teachers_and_self`] for every row: pairs of live rows together, other rows alone.
#[inline(always)]
fn finish_rows<const NB: usize>(
    out: &mut LossGradient,
    k: usize,
    m: usize,
    teacher_off: usize,
    teacher_pad: &[f64],
) {
    let dp = NB * COORDS;
    let coeffs = |i: usize| teacher_off + i * m..teacher_off + (i + 1) * m;
    let mut i = 0;
    while i < k {
        let rows = i * dp..(i + 2).min(k) * dp;
        let (grad, w) = (&mut out.grad_pad[rows.clone()], &out.w_pad[rows]);
        if i + 1 < k && out.norms[i] > 0.0 && out.norms[i + 1] > 0.0 {
            let c = [&out.coeff[coeffs(i)], &out.coeff[coeffs(i + 1)]];
            let c_self = [out.self_coeff[i], out.self_coeff[i + 1]];
            teachers_and_self::<NB, 2>(grad, w, c, c_self, teacher_pad, true);
            i += 2;
        } else {
            let live = out.norms[i] > 0.0;
            let c = [&out.coeff[coeffs(i)]];
            teachers_and_self::<NB, 1>(grad, w, c, [out.self_coeff[i]], teacher_pad, live);
            i += 1;
        }
    }
}

impl PopulationLoss {
    /// The body of [`PopulationLoss::evaluate`] (dimensions checked, buffers sized by
    /// `LossGradient::size_for`), inlined into each instruction-set variant of
    /// [`super::evaluate_fn`].
    #[inline(always)]
    pub(super) fn evaluate_body<const LOSS: bool>(&self, s: &TwoLayerNet, out: &mut LossGradient) {
        const INV_2PI: f64 = 1.0 / (2.0 * PI);
        let (k, d) = (s.width(), s.dim());
        let m = self.teacher.width();
        let (ks, ms, dp) = (out.units_stride, self.teacher_stride, out.coords);
        let self_term = self.terms == KernelTerms::Exact;
        let (a, w) = (&s.a, &s.w);
        for i in 0..k {
            let n = norm(s.neuron(i));
            out.norms[i] = n;
            out.inv_norms[i] = if n > 0.0 { 1.0 / n } else { 0.0 };
        }
        super::unit_rows_into(w, d, &out.norms[..k], &mut out.units);
        for i in 0..k {
            for r in 0..d {
                out.units_t[r * ks + i] = out.units[i * d + r];
            }
            out.w_pad[i * dp..i * dp + d].copy_from_slice(&w[i * d..(i + 1) * d]);
        }
        out.a_pad[..k].copy_from_slice(a);
        out.grad_a_pad.fill(0.0);
        out.grad_pad.fill(0.0);
        out.self_coeff.fill(0.0);
        let mut loss = self.teacher_energy;

        // (1) The sums of every pair: student pairs (i, l > i) row by row, then k x m teacher
        // pairs, in one flat buffer (each row's last block may spill into the next row, which
        // is summed later, or into the buffer's slack).
        let mut off = 0;
        for i in 0..k {
            let len = k - 1 - i;
            let span = off..off + blocks(len);
            let u = &out.units[i * d..(i + 1) * d];
            let (minus, plus) = (&mut out.minus[span.clone()], &mut out.plus[span]);
            pair_sums(u, &out.units_t, ks, i + 1, minus, plus);
            off += len;
        }
        let (teacher_off, _) = pair_layout(k, m);
        let mut off = teacher_off;
        for i in 0..k {
            let span = off..off + blocks(m);
            let u = &out.units[i * d..(i + 1) * d];
            let (minus, plus) = (&mut out.minus[span.clone()], &mut out.plus[span]);
            pair_sums(u, &self.teacher_units_t, ms, 0, minus, plus);
            off += m;
        }
        // (2) Angles, sin t and cos t of all pairs: minus becomes sin t, plus becomes cos t.
        // (Pairs with a zero vector give finite numbers here and are skipped below; the slack
        // between the student and the teacher pairs gives numbers that are never read.)
        let total = off;
        for ((mi, pl), th) in out.minus[..total]
            .iter_mut()
            .zip(out.plus[..total].iter_mut())
            .zip(out.theta[..total].iter_mut())
        {
            let (t, sin) = angle::angle_sin(*mi, *pl);
            *th = t;
            *pl = 0.25 * (*pl - *mi);
            *mi = sin;
        }

        // Self-terms: kappa(w_i, w_i) = |w_i|^2 / 2, gradient w_i / 2 (times a_i^2).
        if self_term {
            for (i, &ai) in a.iter().enumerate() {
                let kii = 0.5 * out.norms[i] * out.norms[i];
                if LOSS {
                    loss += 0.5 * ai * ai * kii;
                }
                out.grad_a_pad[i] += ai * kii;
                out.self_coeff[i] += 0.5 * ai * ai;
            }
        }
        // (3) Neuron by neuron: its student pairs (i, l > i), then its teacher pairs, then its
        // gradient in W, which is then complete (earlier rows have added their pairs (i', i)).
        // Per row, first the per-pair numbers for the whole row in whole blocks of LANES pairs
        // (kernel value, self coefficient of w_i, gradient coefficient; the lanes past the row
        // write into the next rows' slots, which are computed later, or into slack, and into
        // the padding of the per-neuron buffers), then the sums into neuron i in pair order.
        // A zero neuron has kernel and gradient zero (relu'(0) = 0): its rows are skipped, and a
        // zero partner gets the coefficient 0 (its kernel value and 1 / |w| are 0 already).
        let (b, nj) = (&self.teacher_a_pad, &self.teacher_norms_pad);
        let mut off = 0;
        for i in 0..k {
            let len = k - 1 - i;
            let (pairs, next) = (off..off + len, off + len);
            let teacher_pairs = teacher_off + i * m..teacher_off + (i + 1) * m;
            let (ni, inv_i, ai) = (out.norms[i], out.inv_norms[i], a[i]);
            let live = ni > 0.0;
            if live {
                let (al, nl, inv_l) = (
                    &out.a_pad[i + 1..],
                    &out.norms[i + 1..],
                    &out.inv_norms[i + 1..],
                );
                for t0 in (0..blocks(len)).step_by(LANES) {
                    let at = off + t0;
                    let (sin, cos, theta) = (
                        lanes(&out.minus, at),
                        lanes(&out.plus, at),
                        lanes(&out.theta, at),
                    );
                    let (al, nl, inv_l) = (lanes(al, t0), lanes(nl, t0), lanes(inv_l, t0));
                    let mut coeff_l = lanes(&out.self_coeff, i + 1 + t0);
                    let mut grad_a_l = lanes(&out.grad_a_pad, i + 1 + t0);
                    let (mut kap, mut cself, mut coeff) =
                        ([0.0; LANES], [0.0; LANES], [0.0; LANES]);
                    for q in 0..LANES {
                        let rest = PI - theta[q];
                        kap[q] = ni * nl[q] * INV_2PI * (sin[q] + rest * cos[q]);
                        let aa = ai * al[q];
                        let sin_over_2pi = sin[q] * INV_2PI;
                        grad_a_l[q] += ai * kap[q];
                        coeff_l[q] += aa * ni * sin_over_2pi * inv_l[q];
                        cself[q] = aa * nl[q] * sin_over_2pi * inv_i;
                        coeff[q] = if nl[q] > 0.0 {
                            aa * (rest * INV_2PI)
                        } else {
                            0.0
                        };
                    }
                    out.self_coeff[i + 1 + t0..i + 1 + t0 + LANES].copy_from_slice(&coeff_l);
                    out.grad_a_pad[i + 1 + t0..i + 1 + t0 + LANES].copy_from_slice(&grad_a_l);
                    out.kap[at..at + LANES].copy_from_slice(&kap);
                    out.cself[at..at + LANES].copy_from_slice(&cself);
                    out.coeff[at..at + LANES].copy_from_slice(&coeff);
                }
                let (mut ga, mut sc) = (out.grad_a_pad[i], out.self_coeff[i]);
                let (kaps, cselfs) = (&out.kap[pairs.clone()], &out.cself[pairs.clone()]);
                for t in 0..len {
                    if LOSS {
                        loss += ai * al[t] * kaps[t];
                    }
                    ga += al[t] * kaps[t];
                    sc += cselfs[t];
                }
                // The teacher pairs of neuron i (their loss terms are added after all rows).
                for j0 in (0..ms).step_by(LANES) {
                    let at = teacher_pairs.start + j0;
                    let (sin, cos, theta) = (
                        lanes(&out.minus, at),
                        lanes(&out.plus, at),
                        lanes(&out.theta, at),
                    );
                    let (bj, nj) = (lanes(b, j0), lanes(nj, j0));
                    let (mut kap, mut cself, mut coeff) =
                        ([0.0; LANES], [0.0; LANES], [0.0; LANES]);
                    for q in 0..LANES {
                        let rest = PI - theta[q];
                        kap[q] = ni * nj[q] * INV_2PI * (sin[q] + rest * cos[q]);
                        let ab = ai * bj[q];
                        cself[q] = ab * (nj[q] * sin[q] * INV_2PI * inv_i);
                        coeff[q] = if nj[q] > 0.0 {
                            ab * (rest * INV_2PI)
                        } else {
                            0.0
                        };
                    }
                    out.kap[at..at + LANES].copy_from_slice(&kap);
                    out.cself[at..at + LANES].copy_from_slice(&cself);
                    out.coeff[at..at + LANES].copy_from_slice(&coeff);
                }
                let (kaps, cselfs) = (
                    &out.kap[teacher_pairs.clone()],
                    &out.cself[teacher_pairs.clone()],
                );
                for j in 0..m {
                    ga -= b[j] * kaps[j];
                    sc -= cselfs[j];
                }
                (out.grad_a_pad[i], out.self_coeff[i]) = (ga, sc);
            }
            off = next;
            // dL/dw_i, COORDS coordinates at a time in registers: what earlier rows added, its
            // student partners l > i (each also receiving its term into row l), its teachers,
            // then the self coefficient times w_i.
            let coeffs = &out.coeff[pairs];
            let teacher_coeffs = &out.coeff[teacher_pairs];
            let (head, tail) = out.grad_pad.split_at_mut((i + 1) * dp);
            let gi = &mut head[i * dp..];
            let wi = &out.w_pad[i * dp..(i + 1) * dp];
            let c_self = out.self_coeff[i];
            let later = &out.w_pad[(i + 1) * dp..];
            let row = Row {
                coeffs,
                later,
                teacher_coeffs,
                teacher_pad: &self.teacher_pad,
                c_self,
                live,
            };
            match dp / COORDS {
                1 => row.students::<1>(gi, wi, tail),
                2 => row.students::<2>(gi, wi, tail),
                3 => row.students::<3>(gi, wi, tail),
                4 => row.students::<4>(gi, wi, tail),
                _ => {
                    for q0 in (0..dp).step_by(COORDS) {
                        row.gradient_block(q0, dp, gi, wi, tail);
                    }
                }
            }
        }
        // Rows of at most four blocks: the teacher and self terms of dL/dw_i, after all rows'
        // student terms (wider rows summed them above, block by block).
        let teacher_pad = &self.teacher_pad;
        match dp / COORDS {
            1 => finish_rows::<1>(out, k, m, teacher_off, teacher_pad),
            2 => finish_rows::<2>(out, k, m, teacher_off, teacher_pad),
            3 => finish_rows::<3>(out, k, m, teacher_off, teacher_pad),
            4 => finish_rows::<4>(out, k, m, teacher_off, teacher_pad),
            _ => {}
        }
        // The teacher pairs' loss terms, row by row after all student pairs.
        if LOSS {
            for (i, &ai) in a.iter().enumerate() {
                if out.norms[i] == 0.0 {
                    continue;
                }
                let kaps = &out.kap[teacher_off + i * m..teacher_off + (i + 1) * m];
                for j in 0..m {
                    loss -= ai * b[j] * kaps[j];
                }
            }
        }
        for i in 0..k {
            out.grad_w[i * d..(i + 1) * d].copy_from_slice(&out.grad_pad[i * dp..i * dp + d]);
        }
        out.grad_a.copy_from_slice(&out.grad_a_pad[..k]);
        out.loss = if LOSS { loss } else { f64::NAN };
    }
}

#[cfg(test)]
mod tests {
    use super::super::reference::Rowwise;
    use super::*;

    /// The blocked body against the row-by-row oracle: bit for bit with the same angles, and
    /// with the original two-root angles within 64 eps times the scale of each number (T =
    /// sum_i |a_i| |w_i| + sum_j |b_j| |v_j|: the loss within 64 eps T^2, dL/da_i within
    /// 64 eps |w_i| T, dL/dw_i within 64 eps |a_i| T). Each kernel value or coefficient moves
    /// by a few ulps of its angle (at most 4, test `angle_within_four_ulps_of_libm`) times
    /// |a_i| |a_l| |w_i| |w_l| / (2 pi) or less, so the sums of k + m such terms move by a few
    /// eps T^2 (resp. the row's share); 64 eps leaves a factor of about ten.
    fn assert_same_as_rowwise(loss: &PopulationLoss, s: &TwoLayerNet, what: &str) {
        let (k, d, m) = (s.width(), s.dim(), loss.teacher().width());
        let mut got = LossGradient::new(k, d);
        loss.evaluate(s, &mut got).unwrap();
        let mut want = Rowwise::new(k, d, m, true);
        loss.evaluate_rowwise(s, &mut want);
        let bits = |x: &[f64]| x.iter().map(|v| v.to_bits()).collect::<Vec<_>>();
        assert_eq!(got.loss.to_bits(), want.loss.to_bits(), "{what}");
        assert_eq!(bits(&got.grad_a), bits(&want.grad_a), "{what}");
        assert_eq!(bits(&got.grad_w), bits(&want.grad_w), "{what}");

        let mut old = Rowwise::new(k, d, m, false);
        loss.evaluate_rowwise(s, &mut old);
        let t = (0..k)
            .map(|i| s.a()[i].abs() * norm(s.neuron(i)))
            .sum::<f64>()
            + (0..m)
                .map(|j| loss.teacher().a()[j].abs() * norm(loss.teacher().neuron(j)))
                .sum::<f64>();
        let tol = 64.0 * f64::EPSILON * t;
        assert!((got.loss - old.loss).abs() <= tol * t, "{what}: loss");
        for i in 0..k {
            let ni = norm(s.neuron(i));
            let ai = s.a()[i].abs();
            assert!(
                (got.grad_a[i] - old.grad_a[i]).abs() <= tol * ni,
                "{what}: dL/da_{i}"
            );
            for r in 0..d {
                let (g, o) = (got.grad_w[i * d + r], old.grad_w[i * d + r]);
                assert!(
                    (g - o).abs() <= tol * ai,
                    "{what}: dL/dw_{i}[{r}] {g} vs {o}"
                );
            }
        }
    }

    /// The blocked body gives the row-by-row body's numbers (see `assert_same_as_rowwise`): k = 13 and m = 7
    /// (rows of every length modulo the block widths, d = 11 not a multiple of COORDS), a zero
    /// student and a zero teacher neuron, an aligned and an anti-aligned pair, both kernel-term
    /// choices; and k = d = 1, 2, 10, 20 and 40 near the identity teacher (the benchmark's and
    /// the claims' setting; d = 40 takes the path for rows of more than four coordinate blocks),
    /// with both teacher constructors.
    #[test]
    fn blocked_body_matches_rowwise() {
        let (k, m, d) = (13, 7, 11);
        let value = |i: usize| ((i * 7919 + 13) % 97) as f64 / 48.5 - 1.0;
        let mut v: Vec<f64> = (0..m * d).map(|i| value(i + 5000)).collect();
        v[6 * d..].fill(0.0);
        let teacher =
            TwoLayerNet::from_flat(d, (0..m).map(|j| 1.0 - 0.3 * j as f64).collect(), v).unwrap();
        let mut w: Vec<f64> = (0..k * d).map(value).collect();
        w[3 * d..4 * d].fill(0.0);
        for r in 0..d {
            w[5 * d + r] = 2.0 * w[4 * d + r];
            w[6 * d + r] = -0.5 * w[4 * d + r];
            w[7 * d + r] = teacher.w()[d + r] * 3.0;
        }
        let s = TwoLayerNet::from_flat(d, (0..k).map(|i| value(i + 77)).collect(), w).unwrap();
        for terms in [KernelTerms::Exact, KernelTerms::WithoutSelfTerm] {
            let loss = PopulationLoss::new(teacher.clone()).with_terms(terms);
            assert_same_as_rowwise(&loss, &s, &format!("{terms:?}"));
        }
        for d in [1, 2, 10, 20, 40] {
            let mut s = TwoLayerNet::identity(d);
            for (i, x) in s.w_mut().iter_mut().enumerate() {
                *x += 0.02 * value(i) / (d as f64).sqrt();
            }
            for (i, x) in s.a_mut().iter_mut().enumerate() {
                *x += 0.1 * value(i + 3);
            }
            let what = format!("identity d = {d}");
            assert_same_as_rowwise(&PopulationLoss::new(TwoLayerNet::identity(d)), &s, &what);
            assert_same_as_rowwise(&PopulationLoss::identity_teacher(d), &s, &what);
        }
    }
}
