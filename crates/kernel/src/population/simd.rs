//! The instruction-set variants of [`PopulationLoss::evaluate`]: one body
//! ([`PopulationLoss::evaluate_body`], always inlined) compiled for the baseline target, with
//! AVX2 and with AVX-512F, and chosen at run time by a CPU check.

use super::{LossGradient, PopulationLoss, TwoLayerNet};

pub(super) type EvaluateFn = fn(&PopulationLoss, &TwoLayerNet, &mut LossGradient);

/// [`PopulationLoss::evaluate_body`] compiled for the baseline instruction set.
fn evaluate_portable<const LOSS: bool>(
    loss: &PopulationLoss,
    s: &TwoLayerNet,
    out: &mut LossGradient,
) {
    loss.evaluate_body::<LOSS>(s, out);
}

/// The same body compiled with AVX2 enabled (the pair loops then run four lanes wide). Only
/// additions, multiplications, divisions, square roots and selects, each correctly rounded
/// per lane and never fused (Rust does not contract a * b + c): the results are bit-identical
/// to [`evaluate_portable`]'s, which the test `avx2_and_portable_paths_agree_bit_for_bit` checks.
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2")]
fn evaluate_avx2<const LOSS: bool>(loss: &PopulationLoss, s: &TwoLayerNet, out: &mut LossGradient) {
    loss.evaluate_body::<LOSS>(s, out);
}

/// The same body with AVX-512F (eight lanes, and 32 vector registers for the polynomial).
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx512f")]
fn evaluate_avx512<const LOSS: bool>(
    loss: &PopulationLoss,
    s: &TwoLayerNet,
    out: &mut LossGradient,
) {
    loss.evaluate_body::<LOSS>(s, out);
}

#[cfg(target_arch = "x86_64")]
fn evaluate_avx512_checked<const LOSS: bool>(
    loss: &PopulationLoss,
    s: &TwoLayerNet,
    out: &mut LossGradient,
) {
    // SAFETY: only returned by `evaluate_fn` after the CPU reported AVX-512F.
    unsafe { evaluate_avx512::<LOSS>(loss, s, out) }
}

#[cfg(target_arch = "x86_64")]
fn evaluate_avx2_checked<const LOSS: bool>(
    loss: &PopulationLoss,
    s: &TwoLayerNet,
    out: &mut LossGradient,
) {
    // SAFETY: only returned by `evaluate_fn` after the CPU reported AVX2.
    unsafe { evaluate_avx2::<LOSS>(loss, s, out) }
}

/// The widest variant of the evaluation this CPU supports (std caches the CPU check), with the
/// loss (`LOSS`) or the gradient alone.
pub(super) fn evaluate_fn<const LOSS: bool>() -> EvaluateFn {
    #[cfg(target_arch = "x86_64")]
    {
        if std::arch::is_x86_feature_detected!("avx512f") {
            return evaluate_avx512_checked::<LOSS>;
        }
        if std::arch::is_x86_feature_detected!("avx2") {
            return evaluate_avx2_checked::<LOSS>;
        }
    }
    evaluate_portable::<LOSS>
}

/// Which instruction-set variant [`PopulationLoss::evaluate`] runs on this CPU: "avx512f",
/// "avx2" or "portable" (for benchmark reports).
pub fn evaluate_simd_path() -> &'static str {
    #[cfg(target_arch = "x86_64")]
    {
        if std::arch::is_x86_feature_detected!("avx512f") {
            return "avx512f";
        }
        if std::arch::is_x86_feature_detected!("avx2") {
            return "avx2";
        }
    }
    "portable"
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every instruction-set variant this CPU can run gives the portable variant's numbers bit
    /// for bit (k = 13 and m = 7: rows of every length modulo the vector widths; a zero neuron
    /// and an aligned and an anti-aligned pair included).
    #[test]
    fn simd_paths_agree_bit_for_bit() {
        let (k, m, d) = (13, 7, 11);
        let value = |i: usize| ((i * 7919 + 13) % 97) as f64 / 48.5 - 1.0;
        let teacher = TwoLayerNet::from_flat(
            d,
            (0..m).map(|j| 1.0 - 0.3 * j as f64).collect(),
            (0..m * d).map(|i| value(i + 5000)).collect(),
        )
        .unwrap();
        let mut w: Vec<f64> = (0..k * d).map(value).collect();
        w[3 * d..4 * d].fill(0.0);
        for r in 0..d {
            w[5 * d + r] = 2.0 * w[4 * d + r];
            w[6 * d + r] = -0.5 * w[4 * d + r];
            w[7 * d + r] = teacher.w()[d + r] * 3.0;
        }
        let s = TwoLayerNet::from_flat(d, (0..k).map(|i| value(i + 77)).collect(), w).unwrap();
        let loss = PopulationLoss::new(teacher);
        let mut want = LossGradient::new(k, d);
        loss.evaluate(&s, &mut want).unwrap();
        let mut variants: Vec<(&str, EvaluateFn, EvaluateFn)> = vec![(
            "portable",
            evaluate_portable::<true>,
            evaluate_portable::<false>,
        )];
        #[cfg(target_arch = "x86_64")]
        {
            if std::arch::is_x86_feature_detected!("avx2") {
                variants.push((
                    "avx2",
                    evaluate_avx2_checked::<true>,
                    evaluate_avx2_checked::<false>,
                ));
            }
            if std::arch::is_x86_feature_detected!("avx512f") {
                variants.push((
                    "avx512f",
                    evaluate_avx512_checked::<true>,
                    evaluate_avx512_checked::<false>,
                ));
            }
        }
        for (name, with_loss, gradient_only) in variants {
            for (f, what) in [(with_loss, "with loss"), (gradient_only, "gradient only")] {
                let mut got = LossGradient::new(k, d);
                loss.size_pair_buffers(&s, &mut got);
                f(&loss, &s, &mut got);
                if what == "with loss" {
                    assert_eq!(got.loss.to_bits(), want.loss.to_bits(), "{name}");
                } else {
                    assert!(got.loss.is_nan(), "{name} {what}");
                }
                assert_eq!(got.grad_a, want.grad_a, "{name} {what}");
                assert_eq!(got.grad_w, want.grad_w, "{name} {what}");
            }
        }
    }
}
