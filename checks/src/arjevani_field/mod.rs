//! Arjevani & Field (NeurIPS 2020, arXiv:2008.01805; NeurIPS 2021, arXiv:2107.10370):
//! the Hessian of the Gaussian two-layer ReLU population loss, analysed through its symmetry.
//!
//! Setting (AF 2020, introduction): L(W) = 1/2 E_{x ~ N(0, I_d)} [(1^T relu(W x) - 1^T relu(V x))^2]
//! with k = d students, V = I_d, output weights fixed at 1. W = V = I_d is a global minimum
//! with isotropy Delta S_d, so its Hessian (d^2 x d^2) splits over the isotypic components of
//! M(d, d) = 2 trivial + 3 standard + S_(d-2,2) + S_(d-2,1,1), giving six distinct eigenvalues
//! in closed form (derived in shared/papers/arjevani-field-safran-shamir.md, item 5).

mod family;
mod global_min_spectrum;
mod hessian_concentration;
mod type_a_minima;

pub use global_min_spectrum::{GLOBAL_MIN_SPECTRUM_ID, GlobalMinSpectrum};
pub use hessian_concentration::{HESSIAN_CONCENTRATION_ID, HessianConcentration};
pub use type_a_minima::{TYPE_A_MINIMA_ID, TypeAMinima};

use crate::kit::WorstCase;
use std::f64::consts::PI;

/// One eigenvalue of the global-minimum Hessian with its multiplicity and the branch it is on.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Branch {
    pub name: &'static str,
    pub value: f64,
    pub multiplicity: usize,
    /// lim value / d as d -> infinity (0 for the bounded branches).
    pub asymptotic_slope: f64,
}

/// The closed-form spectrum of the Hessian of L at W = V = I_d (k = d >= 2), branch by branch:
///
/// | value | multiplicity |
/// |---|---|
/// | 1/4 - 1/(2 pi) | d(d-1)/2 |
/// | 1/4 + 1/(2 pi) | d(d-3)/2 |
/// | lambda_-+ = (d+2)/8 -+ sqrt(d^2/16 - 1/pi + 1/pi^2) / 2 | d-1 each |
/// | mu_-+ = roots of mu^2 - S mu + P | 1 each |
///
/// with p = 1/(2 pi), S = (d+2)/4 + d p, P = (d-1) p^2 + (d^2 - d + 2) p / 4 + (d+1)/16.
pub fn global_min_spectrum(d: usize) -> Vec<Branch> {
    let df = d as f64;
    let p = 1.0 / (2.0 * PI);
    let root = (df * df / 16.0 - 1.0 / PI + 1.0 / (PI * PI)).sqrt();
    let s = (df + 2.0) / 4.0 + df * p;
    let prod = (df - 1.0) * p * p + (df * df - df + 2.0) * p / 4.0 + (df + 1.0) / 16.0;
    let disc = (s * s - 4.0 * prod).sqrt();
    let branches = [
        Branch {
            name: "antisymmetric",
            value: 0.25 - p,
            multiplicity: d * (d - 1) / 2,
            asymptotic_slope: 0.0,
        },
        Branch {
            name: "symmetric-offdiagonal",
            value: 0.25 + p,
            multiplicity: d * d.saturating_sub(3) / 2,
            asymptotic_slope: 0.0,
        },
        Branch {
            name: "lambda-minus",
            value: (df + 2.0) / 8.0 - root / 2.0,
            multiplicity: d - 1,
            asymptotic_slope: 0.0,
        },
        Branch {
            name: "lambda-plus",
            value: (df + 2.0) / 8.0 + root / 2.0,
            multiplicity: d - 1,
            asymptotic_slope: 0.25,
        },
        Branch {
            name: "mu-minus",
            value: (s - disc) / 2.0,
            multiplicity: 1,
            asymptotic_slope: p,
        },
        Branch {
            name: "mu-plus",
            value: (s + disc) / 2.0,
            multiplicity: 1,
            asymptotic_slope: 0.25,
        },
    ];
    branches
        .into_iter()
        .filter(|b| b.multiplicity > 0)
        .collect()
}

/// The closed-form eigenvalues, each repeated by its multiplicity, ascending.
fn predicted_sorted(d: usize) -> Vec<f64> {
    let mut v: Vec<f64> = global_min_spectrum(d)
        .iter()
        .flat_map(|b| std::iter::repeat_n(b.value, b.multiplicity))
        .collect();
    v.sort_by(f64::total_cmp);
    v
}

/// max_i |computed_i - predicted_i| / |predicted_i| over the sorted lists (inf on a length
/// mismatch, NaN if anything is NaN).
fn max_relative_error(computed: &[f64], predicted: &[f64]) -> f64 {
    if computed.len() != predicted.len() {
        return f64::INFINITY;
    }
    computed
        .iter()
        .zip(predicted)
        .map(|(c, p)| (c - p).abs() / p.abs())
        .worst()
}

/// Level separating the bounded bulk from the growing branches, fixed independently of d: the
/// bulk branches are 1/4 -+ 1/(2 pi) <= 0.41 and lambda_- in (1/4, 0.31]; the growing branches
/// start at mu_-(4) = 0.63 or above and increase linearly. A branch growing with d would cross
/// 1/2 inside the tested range, where d grows by a factor of five or more.
const GROWTH_LEVEL: f64 = 0.5;

/// Decompositions are accepted when ||H - U S U^T||_F / ||H||_F and ||U^T U - I||_F are below
/// this: both are O(sqrt(n) eps) to O(n eps) for a stable solver, i.e. <= 1e-12 for n <= 1600.
const RESIDUAL_BOUND: f64 = 1e-12;

#[cfg(test)]
mod tests {
    use overparam_kernel::critical::Classification;

    use super::family::*;
    use super::*;
    use crate::{Profile, RunContext};

    /// Reference values from the paper note (computed there independently, 7 digits).
    #[test]
    fn closed_forms_reproduce_the_reference_table() {
        let table = [
            (4, 0.3075604, 1.1924396, 0.6258703, 1.5107495),
            (6, 0.2870815, 1.7129185, 0.8896627, 2.0652669),
            (10, 0.2718905, 2.7281095, 1.4623809, 3.1291685),
            (20, 0.2608731, 5.2391269, 2.9792063, 5.7038925),
        ];
        for (d, lm, lp, mm, mp) in table {
            let s = global_min_spectrum(d);
            let get = |n: &str| s.iter().find(|b| b.name == n).unwrap().value;
            for (got, want) in [
                (get("lambda-minus"), lm),
                (get("lambda-plus"), lp),
                (get("mu-minus"), mm),
                (get("mu-plus"), mp),
            ] {
                assert!((got - want).abs() < 6e-8, "d={d}: {got} vs {want}");
            }
            let total: usize = s.iter().map(|b| b.multiplicity).sum();
            assert_eq!(total, d * d);
        }
    }

    /// The diagonal blocks of the Hessian at the global minimum are I/2, so its trace is
    /// d^2 / 2; the closed-form eigenvalues with their multiplicities must sum to it.
    #[test]
    fn eigenvalues_sum_to_the_trace() {
        for d in [4, 7, 12, 33] {
            let sum: f64 = global_min_spectrum(d)
                .iter()
                .map(|b| b.value * b.multiplicity as f64)
                .sum();
            let trace = (d * d) as f64 / 2.0;
            assert!(
                (sum - trace).abs() < 1e-9 * trace,
                "d={d}: {sum} vs {trace}"
            );
        }
    }

    /// Beyond the dense limit the family is analysed through its blocks: the point at d = 60
    /// (continued from d = 40) is a strict minimum with all d^2 eigenvalues, d + 1 of them above
    /// 1/2, and its blocks with multiplicities summing to d^2.
    #[test]
    fn points_beyond_the_dense_limit_use_the_blocks() {
        let ctx = RunContext {
            profile: Profile::Full,
            master_seed: 0,
            progress: &crate::NoProgress,
        };
        let solved = solve_family(&[60], "test").unwrap();
        let points = analyse_family(solved, &ctx, "test").unwrap();
        let p = &points[0];
        assert_eq!(p.d, 60);
        assert_eq!(p.classification, Classification::Minimum);
        assert_eq!(p.spectrum.len(), 3600);
        assert_eq!(p.spectrum.iter().filter(|&&x| x > GROWTH_LEVEL).count(), 61);
        let blocks = p.blocks.as_ref().expect("blocks beyond the dense limit");
        let total: usize = blocks
            .iter()
            .map(|b| b.multiplicity * b.eigenvalues.len())
            .sum();
        assert_eq!(total, 3600);
        assert!(p.invariant_error < 1e-12, "{}", p.invariant_error);
    }

    /// Distinct branches are separated by far more than the clustering tolerance.
    #[test]
    fn branches_are_separated() {
        for d in 4..=40 {
            let mut v: Vec<f64> = global_min_spectrum(d).iter().map(|b| b.value).collect();
            v.sort_by(f64::total_cmp);
            let gap = v.windows(2).map(|w| w[1] - w[0]).least();
            assert!(gap > 0.09, "d={d}: smallest gap {gap}");
        }
    }
}
