//! What the two claims share: their runs (the experiment variants, the cells and their labels,
//! the runs of one variant), the slope of a run quantity against ln m with its interval, the
//! one-sided test on that interval's upper end, the NTK eigendecomposition bound, the
//! mean-field control's variant, the stopping loss read from the convergence criterion, and the
//! m^exponent reference line. Each claim keeps its own ids, thresholds and levels.

use crate::stats::{LinearFit, linear_fit};
use crate::{Criterion, CriterionSpec, Reference, Rule};

use super::experiment::{RunResult, RunSummary};

/// Which experiment a run belongs to (`lambda-min-stable` has no duplicate-input runs).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Variant {
    Paper,
    MeanField,
    Duplicate,
    Narrow,
}

impl Variant {
    pub fn name(self) -> &'static str {
        match self {
            Variant::Paper => "paper",
            Variant::MeanField => "mean-field",
            Variant::Duplicate => "duplicate",
            Variant::Narrow => "narrow",
        }
    }
}

/// One run of a claim: its experiment, width and replicate.
#[derive(Debug, Clone, Copy)]
pub(super) struct Cell {
    pub variant: Variant,
    pub width: usize,
    pub replicate: u64,
}

impl Cell {
    /// The cell's label: "variant,m=width,r=replicate".
    pub fn label(&self) -> String {
        format!(
            "{},m={},r={}",
            self.variant.name(),
            self.width,
            self.replicate
        )
    }
}

/// A run's result with its variant, as the tables read them.
pub(super) type Labelled<'a> = (Variant, &'a (RunSummary, RunResult));

/// Every run with its variant, in the cells' order.
pub(super) fn labelled<'a>(
    cells: &[Cell],
    results: &'a [(RunSummary, RunResult)],
) -> Vec<Labelled<'a>> {
    cells
        .iter()
        .zip(results)
        .map(|(c, r)| (c.variant, r))
        .collect()
}

/// The summaries of the runs of `variant`, in the cells' order.
pub(super) fn summaries<'a>(
    cells: &[Cell],
    results: &'a [(RunSummary, RunResult)],
    variant: Variant,
) -> Vec<&'a RunSummary> {
    cells
        .iter()
        .zip(results)
        .filter(|(c, _)| c.variant == variant)
        .map(|(_, r)| &r.0)
        .collect()
}

/// The sanity bound on the residuals of the NTK eigendecompositions a claim uses; `$which`
/// names them (or is empty).
macro_rules! ntk_eigen_residual {
    ($which:literal) => {
        $crate::CriterionSpec::sanity(
            "ntk-eigen-residual",
            concat!(
                "largest reconstruction or orthogonality residual of the NTK \
                 eigendecompositions",
                $which,
                ": a backward-stable solver gives ~ n eps"
            ),
        )
        .at_most(1e-10)
    };
}
pub(super) use ntk_eigen_residual;

/// The mean-field control, `$name`: the output layer with an extra m^(-1/2), under which the
/// kernel moves by O(1) at every width; `$fails` says which criterion fails and how.
macro_rules! mean_field_control {
    ($name:literal, $fails:literal) => {
        $crate::ControlSpec::new(
            $name,
            concat!(
                "the output multiplied by m^(-1/2) on top of the paper's scaling (y_hat = \
                 m^(-1/2) B h_L: the mean-field 1/m normalisation where the paper's is \
                 1/sqrt(m), a misplaced width factor in the output layer), eta = \
                 1/lambda_max(K(0)) as for the paper's runs (it rescales with the output): \
                 fitting O(1) targets from outputs of size m^(-1/2) needs hidden features that \
                 move by O(1) relative to their own size, so the kernel moves by O(1) relative \
                 to itself at every width",
                $fails
            ),
        )
    };
}
pub(super) use mean_field_control;

/// The output scale of a run: the paper's 1, or m^(-1/2) for the mean-field control.
pub(super) fn output_scale(mean_field: bool, width: usize) -> f64 {
    if mean_field {
        (width as f64).powf(-0.5)
    } else {
        1.0
    }
}

/// The threshold of a `less_than` convergence criterion, which is also every run's stopping
/// loss (NaN for any other rule).
pub(super) fn stop_below(spec: &CriterionSpec) -> f64 {
    match spec.rule {
        Rule::LessThan(t) => t,
        _ => f64::NAN,
    }
}

/// The least-squares slope of ln value against ln m over `runs`, its t-interval at `level`.
pub(super) fn slope_of(
    runs: &[&RunSummary],
    level: f64,
    value: impl Fn(&RunSummary) -> f64,
) -> Option<LinearFit> {
    let x: Vec<f64> = runs.iter().map(|s| (s.width as f64).ln()).collect();
    let y: Vec<f64> = runs.iter().map(|s| value(s).ln()).collect();
    linear_fit(&x, &y, level)
}

pub(super) fn fit_detail(fit: Option<LinearFit>) -> String {
    match fit {
        Some(f) => format!(
            "slope {:.3}, {:.1}% interval [{:.3}, {:.3}], {} runs, R^2 {:.3}",
            f.slope,
            100.0 * f.level,
            f.slope_low,
            f.slope_high,
            f.n,
            f.r_squared
        ),
        None => "no fit (fewer than three finite points)".to_owned(),
    }
}

/// `spec` on the upper end of the fit's interval (a one-sided test; NaN without a fit), with
/// the interval's level recorded.
pub(super) fn slope_upper_end(spec: &CriterionSpec, fit: Option<LinearFit>) -> Criterion {
    let c = spec
        .check(fit.map_or(f64::NAN, |f| f.slope_high))
        .with_detail(fit_detail(fit));
    match fit {
        Some(f) => c.with_level(f.level),
        None => c,
    }
}

/// A power law m^exponent through the geometric mean of `value` at the smallest width.
pub(super) fn reference_through(
    runs: &[&RunSummary],
    value: impl Fn(&RunSummary) -> f64,
    exponent: f64,
    label: &str,
) -> Reference {
    let m0 = runs.iter().map(|s| s.width).min().unwrap_or(1);
    let at: Vec<f64> = runs
        .iter()
        .filter(|s| s.width == m0)
        .map(|s| value(s).ln())
        .collect();
    let mean = (at.iter().sum::<f64>() / at.len().max(1) as f64).exp();
    Reference::power_law(label, mean / (m0 as f64).powf(exponent), exponent)
}
