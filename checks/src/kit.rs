//! The helpers every claim uses, written once: NaN-propagating worst cases, the confidence
//! level, errors with their cell, the parallel-cells loop and the slope-band criterion.

use std::sync::atomic::{AtomicUsize, Ordering};

use rayon::prelude::*;

use crate::claim::{Cause, ClaimError, Comparator, Criterion, RunContext};
use crate::stats::LinearFit;

/// The default confidence level of intervals (slopes, means over seeds, Welch differences,
/// Wilson intervals), for sanity checks and diagnostics. An evidence criterion's interval test
/// picks its own level so that the claim's designed false-failure rate (`ClaimInfo::
/// false_failure`) stays at most `MAX_FALSE_FAILURE_RATE`, and says so beside its threshold.
pub const LEVEL: f64 = 0.95;

/// The largest of `values`, NaN as soon as one value is NaN (`f64::max` drops NaN: with it
/// [1, NaN, 0.5] would give 0.5 and a failed computation could pass). `-inf` when empty.
pub fn worst(values: impl IntoIterator<Item = f64>) -> f64 {
    let mut m = f64::NEG_INFINITY;
    for v in values {
        if v.is_nan() {
            return f64::NAN;
        }
        m = m.max(v);
    }
    m
}

/// The smallest of `values`, NaN as soon as one value is NaN (see [`worst`]). `inf` when empty.
pub fn least(values: impl IntoIterator<Item = f64>) -> f64 {
    -worst(values.into_iter().map(|v| -v))
}

/// The largest |v|, NaN as soon as one value is NaN; 0 when empty (a sup-norm).
pub fn sup_abs(values: impl IntoIterator<Item = f64>) -> f64 {
    // 0 joins the values rather than `.max(0.0)` afterwards, which would turn NaN into 0.
    worst(std::iter::once(0.0).chain(values.into_iter().map(f64::abs)))
}

/// [`worst`] and [`least`] as iterator adaptors, for chains such as
/// `cells.iter().map(|c| c.residual).worst()`.
pub trait WorstCase: Iterator<Item = f64> + Sized {
    fn worst(self) -> f64 {
        worst(self)
    }
    fn least(self) -> f64 {
        least(self)
    }
}

impl<I: Iterator<Item = f64>> WorstCase for I {}

/// Attaches the cell (e.g. "d=20") to an error from the kernel or linalg layer, so that the
/// report says where a claim stopped.
pub trait InCell<T> {
    fn in_cell(self, cell: &str) -> Result<T, ClaimError>;
}

impl<T, E: std::fmt::Display> InCell<T> for Result<T, E> {
    fn in_cell(self, cell: &str) -> Result<T, ClaimError> {
        self.map_err(|e| ClaimError::at(cell, Cause::Computation(e.to_string())))
    }
}

impl RunContext<'_> {
    /// Runs `f` on every cell in parallel (rayon) and returns the results in the order of
    /// `cells`, whatever the thread count, reporting each finished cell to the progress sink
    /// under `label(cell)`. On errors, the one of the first failing cell in `cells` order is
    /// returned, so the reported error does not depend on scheduling.
    pub fn par_cells<T: Sync, R: Send>(
        &self,
        claim: &str,
        cells: &[T],
        label: impl Fn(&T) -> String + Sync,
        f: impl Fn(&T) -> Result<R, ClaimError> + Sync,
    ) -> Result<Vec<R>, ClaimError> {
        let done = AtomicUsize::new(0);
        cells
            .par_iter()
            .map(|cell| {
                let r = f(cell);
                let n = done.fetch_add(1, Ordering::Relaxed) + 1;
                self.progress.cell_done(claim, n, cells.len(), &label(cell));
                r
            })
            .collect::<Vec<_>>()
            .into_iter()
            .collect()
    }
}

impl Criterion {
    /// A slope criterion: the confidence interval of a fitted slope must lie inside `band`.
    /// Without a fit (too few finite points) the estimate is NaN and the criterion cannot hold.
    /// A criterion declared by a spec uses `CriterionSpec::check_slope`, which calls this.
    pub fn slope_within(
        name: &str,
        fit: Option<LinearFit>,
        band: (f64, f64),
        reason: &str,
    ) -> Self {
        match fit {
            Some(f) => {
                Criterion::interval_within(name, f.slope, (f.slope_low, f.slope_high), band, reason)
                    .with_level(f.level)
            }
            None => Criterion::interval_within(name, f64::NAN, (f64::NAN, f64::NAN), band, reason),
        }
    }

    /// A criterion that the worst (largest) of `values` is at most `threshold`; NaN anywhere makes
    /// the measured value NaN, which never holds. With a spec: `SPEC.check(worst(values))`.
    pub fn worst_at_most(
        name: &str,
        values: impl IntoIterator<Item = f64>,
        threshold: f64,
        reason: &str,
    ) -> Self {
        Criterion::new(name, worst(values), Comparator::AtMost, threshold, reason)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn worst_propagates_nan_wherever_it_is() {
        assert!(worst([1.0, f64::NAN, 0.5]).is_nan());
        assert!(worst([f64::NAN, 1.0]).is_nan());
        assert!(worst([1.0, 0.5, f64::NAN]).is_nan());
        assert_eq!(worst([1.0, 3.0, 0.5]), 3.0);
        assert_eq!(worst([]), f64::NEG_INFINITY);
        assert_eq!(worst([-2.0, f64::INFINITY]), f64::INFINITY);
    }

    #[test]
    fn the_adaptors_agree_with_the_functions() {
        assert!([1.0, f64::NAN, 0.5].into_iter().worst().is_nan());
        assert!([1.0, f64::NAN, 0.5].into_iter().least().is_nan());
        assert_eq!([2.0, -1.0].into_iter().least(), -1.0);
    }

    #[test]
    fn least_propagates_nan_wherever_it_is() {
        assert!(least([1.0, f64::NAN, 0.5]).is_nan());
        assert_eq!(least([1.0, 3.0, 0.5]), 0.5);
        assert_eq!(least([]), f64::INFINITY);
    }

    #[test]
    fn sup_abs_is_zero_when_empty_and_nan_with_a_nan() {
        assert_eq!(sup_abs([]), 0.0);
        assert_eq!(sup_abs([1.0, -4.0, 2.0]), 4.0);
        assert!(sup_abs([1.0, f64::NAN, 0.5]).is_nan());
    }

    #[test]
    fn in_cell_names_the_cell() {
        let r: Result<(), &str> = Err("singular matrix");
        let e = r.in_cell("d=20").unwrap_err();
        assert_eq!(e.cell, "d=20");
        assert_eq!(e.to_string(), "d=20: singular matrix");
    }

    #[test]
    fn worst_case_criterion_with_a_nan_never_holds() {
        let c = Criterion::worst_at_most("residual", [1e-14, f64::NAN, 1e-15], 1e-12, "r");
        assert!(c.measured.is_nan());
        assert!(!c.holds);
    }

    #[test]
    fn slope_within_without_a_fit_never_holds() {
        let c = Criterion::slope_within("rate", None, (-3.3, -2.4), "r");
        assert!(!c.holds);
        assert!(c.measured.is_nan());
    }

    #[test]
    fn par_cells_keeps_the_order_of_the_cells() {
        let ctx = RunContext {
            profile: crate::Profile::Quick,
            master_seed: 0,
            progress: &crate::NoProgress,
        };
        let cells: Vec<usize> = (0..50).collect();
        let out = ctx
            .par_cells("x", &cells, |c| format!("c={c}"), |&c| Ok(c * c))
            .unwrap();
        assert_eq!(out, cells.iter().map(|c| c * c).collect::<Vec<_>>());
        let failed = ctx.par_cells(
            "x",
            &cells,
            |c| format!("c={c}"),
            |&c| {
                if c == 7 {
                    Err(ClaimError::at("c=7", Cause::NonFinite { what: "loss" }))
                } else {
                    Ok(c)
                }
            },
        );
        assert_eq!(failed.unwrap_err().cell, "c=7");
    }
}
