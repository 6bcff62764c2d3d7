//! The claim contract: what a claim says about itself, what it measures, and its verdict.

use serde::Serialize;
use std::fmt;

use overparam_kernel::SeedPath;

use crate::{PlotSpec, Table};

mod cells;
mod spec;
pub use cells::{
    CellClaim, CellData, CellReader, CellResult, MeasuredCost, assemble_parts, run_by_cells,
};
pub use spec::{
    ControlSpec, CriterionKind, CriterionSpec, FalseFailure, MAX_FALSE_FAILURE_RATE, Rule,
    exact_number,
};

/// How much work a run does. `Quick` is what `cargo test` runs (seconds per claim); `Full` is
/// the opt-in report profile with larger sizes and more seeds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Profile {
    Quick,
    Full,
}

impl Profile {
    pub fn name(self) -> &'static str {
        match self {
            Profile::Quick => "quick",
            Profile::Full => "full",
        }
    }
}

impl std::str::FromStr for Profile {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        match s {
            "quick" => Ok(Profile::Quick),
            "full" => Ok(Profile::Full),
            other => Err(format!(
                "unknown profile '{other}' (expected quick or full)"
            )),
        }
    }
}

/// Receives progress of a claim's cells; the CLI shows it, tests ignore it. Called from rayon
/// workers, so implementations must be thread-safe and must not influence results.
pub trait Progress: Sync {
    /// `done` of `total` cells finished; `label` names the last one (e.g. "d=20").
    fn cell_done(&self, claim: &str, done: usize, total: usize, label: &str);
}

/// Progress that goes nowhere.
pub struct NoProgress;

impl Progress for NoProgress {
    fn cell_done(&self, _: &str, _: usize, _: usize, _: &str) {}
}

/// Everything a claim may depend on besides its own code.
pub struct RunContext<'a> {
    pub profile: Profile,
    pub master_seed: u64,
    pub progress: &'a dyn Progress,
}

impl RunContext<'_> {
    /// The random stream of one cell replicate of a claim (see [`SeedPath`]).
    pub fn seed(&self, claim: &str, cell: &str, replicate: u64) -> SeedPath {
        SeedPath::new(self.master_seed, claim, cell, replicate)
    }
}

/// What a claim says about itself: shown by `overparam show` and written into reports.
#[derive(Debug, Clone, Serialize)]
pub struct ClaimInfo {
    /// `<firstauthor><year>.<claim-name>`.
    pub id: &'static str,
    /// Citation of the paper(s).
    pub paper: &'static str,
    /// One line, for `overparam list`.
    pub summary: &'static str,
    /// The claim in full, as tested.
    pub statement: &'static str,
    /// Setting and hypotheses under which the claim is made.
    pub assumptions: &'static [&'static str],
    /// Each criterion the run measures, in the order of the outcome.
    pub criteria: &'static [CriterionSpec],
    /// Each control the run evaluates, in the order of the outcome.
    pub controls: &'static [ControlSpec],
    /// What was confirmed against the paper and what was derived or computed independently.
    pub provenance: &'static str,
    /// Rough wall time per profile on a 2-core machine.
    pub runtime: &'static str,
    /// The designed probability of failing by chance (see [`FalseFailure`]).
    pub false_failure: FalseFailure,
}

/// How a measured value is compared with its threshold.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Comparator {
    AtMost,
    LessThan,
    AtLeast,
    GreaterThan,
    /// Exact equality (counts, multiplicities).
    Equal,
    /// threshold <= measured <= upper.
    Between {
        upper: f64,
    },
    /// The confidence interval of the estimate `measured` lies inside [threshold, upper].
    IntervalWithin {
        upper: f64,
    },
}

impl fmt::Display for Comparator {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let s = match self {
            Comparator::AtMost => "<=",
            Comparator::LessThan => "<",
            Comparator::AtLeast => ">=",
            Comparator::GreaterThan => ">",
            Comparator::Equal => "==",
            Comparator::Between { .. } => "in",
            Comparator::IntervalWithin { .. } => "interval within",
        };
        f.write_str(s)
    }
}

/// JSON has no infinities or NaN (serde_json would write null): write them as the strings
/// "inf", "-inf" and "NaN", and finite values as numbers.
fn finite_or_text<S: serde::Serializer>(x: &f64, s: S) -> Result<S::Ok, S::Error> {
    if x.is_finite() {
        s.serialize_f64(*x)
    } else if x.is_nan() {
        s.serialize_str("NaN")
    } else if *x > 0.0 {
        s.serialize_str("inf")
    } else {
        s.serialize_str("-inf")
    }
}

/// One pass/fail test of a claim: a measured number against a threshold, with the reason the
/// threshold is what it is. A NaN measurement never holds.
#[derive(Debug, Clone, Serialize)]
pub struct Criterion {
    pub name: String,
    /// Evidence for the claim or a sanity check of the computation (from the spec).
    pub kind: CriterionKind,
    #[serde(serialize_with = "finite_or_text")]
    pub measured: f64,
    pub comparator: Comparator,
    #[serde(serialize_with = "finite_or_text")]
    pub threshold: f64,
    pub reason: String,
    /// Supporting numbers (per-cell values, intervals) in words.
    pub detail: String,
    /// Confidence interval of `measured`, for [`Comparator::IntervalWithin`].
    #[serde(skip_serializing_if = "Option::is_none")]
    pub interval: Option<(f64, f64)>,
    /// The confidence level of `interval` (e.g. 0.9993), where the run states it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub level: Option<f64>,
    pub holds: bool,
    /// Relative tolerance for regression diffs (`overparam diff`) of `measured` against a
    /// baseline, where the default (1e-6) does not fit.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub tolerance: Option<f64>,
    /// Absolute tolerance for regression diffs, for rounding-level quantities (residuals,
    /// gradient norms at critical points) whose relative change between CPUs is O(1).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub abs_tolerance: Option<f64>,
}

impl Criterion {
    pub fn new(
        name: &str,
        measured: f64,
        comparator: Comparator,
        threshold: f64,
        reason: &str,
    ) -> Self {
        // NaN compares false everywhere, but say so: a NaN measurement never holds.
        let holds = !measured.is_nan()
            && match comparator {
                Comparator::AtMost => measured <= threshold,
                Comparator::LessThan => measured < threshold,
                Comparator::AtLeast => measured >= threshold,
                Comparator::GreaterThan => measured > threshold,
                Comparator::Equal => measured == threshold,
                Comparator::Between { upper } => threshold <= measured && measured <= upper,
                // Without an interval there is nothing to test: see Criterion::interval_within.
                Comparator::IntervalWithin { .. } => false,
            };
        Criterion {
            name: name.to_owned(),
            kind: CriterionKind::Evidence,
            measured,
            comparator,
            threshold,
            reason: reason.to_owned(),
            detail: String::new(),
            interval: None,
            level: None,
            holds,
            tolerance: None,
            abs_tolerance: None,
        }
    }

    /// Marks `measured` as a rounding-level quantity for regression diffs: it may move by
    /// `absolute` (typically 1% of the threshold) between machines without being a regression.
    pub fn rounding_level(mut self, absolute: f64) -> Self {
        self.abs_tolerance = Some(absolute);
        self
    }

    /// Sets the relative tolerance used by `overparam diff` for this criterion.
    pub fn with_tolerance(mut self, relative: f64) -> Self {
        self.tolerance = Some(relative);
        self
    }

    /// A shape criterion: the estimate's confidence interval (low, high) must lie inside `band`.
    /// A NaN estimate or interval never holds.
    pub fn interval_within(
        name: &str,
        estimate: f64,
        interval: (f64, f64),
        band: (f64, f64),
        reason: &str,
    ) -> Self {
        let mut c = Criterion::new(
            name,
            estimate,
            Comparator::IntervalWithin { upper: band.1 },
            band.0,
            reason,
        );
        c.interval = Some(interval);
        c.holds = !estimate.is_nan() && band.0 <= interval.0 && interval.1 <= band.1;
        c
    }

    /// Records the confidence level of the criterion's interval (the same constant the run
    /// computed the interval with).
    pub fn with_level(mut self, level: f64) -> Self {
        self.level = Some(level);
        self
    }

    pub fn with_detail(mut self, detail: impl Into<String>) -> Self {
        self.detail = detail.into();
        self
    }

    /// "measured <= threshold" in words, for tables and logs.
    pub fn comparison(&self) -> String {
        match self.comparator {
            Comparator::Between { upper } => {
                format!(
                    "{:.6e} in [{:.6e}, {:.6e}]",
                    self.measured, self.threshold, upper
                )
            }
            c => format!("{:.6e} {c} {:.6e}", self.measured, self.threshold),
        }
    }
}

/// A negative control: the claim's criterion evaluated on a variant where the hypothesis is
/// violated or the computation is deliberately broken. It is expected to FAIL.
#[derive(Debug, Clone, Serialize)]
pub struct Control {
    pub name: String,
    /// What was changed, and why the criterion should then fail.
    pub description: String,
    /// The criterion as evaluated on the variant.
    pub criterion: Criterion,
    /// True when the criterion failed, as it must.
    pub failed_as_expected: bool,
}

impl Control {
    /// A NaN measurement does not count as the expected failure: a control that produces no
    /// number has not shown that the criterion can fail (infinite values, e.g. a diverged run or a
    /// missing branch, are genuine failures and do count).
    pub fn new(name: &str, description: &str, criterion: Criterion) -> Self {
        Control {
            name: name.to_owned(),
            description: description.to_owned(),
            failed_as_expected: !criterion.holds && !criterion.measured.is_nan(),
            criterion,
        }
    }
}

/// The verdict of a claim run.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Verdict {
    /// Every criterion holds and every control fails.
    Pass,
    /// Some criterion fails, or some control passes (a check that cannot fail proves nothing).
    Fail,
    /// The claim could not be evaluated (non-finite numbers, solver failure, bad sizes).
    Error,
    /// A hypothesis criterion failed: the theorem does not apply to this instance, so the run
    /// neither confirms nor contradicts it.
    #[serde(rename = "hypothesis-not-met")]
    HypothesisNotMet,
}

impl Verdict {
    pub fn name(self) -> &'static str {
        match self {
            Verdict::Pass => "pass",
            Verdict::Fail => "fail",
            Verdict::Error => "error",
            Verdict::HypothesisNotMet => "hypothesis-not-met",
        }
    }

    /// The inverse of [`Verdict::name`].
    pub fn parse(name: &str) -> Option<Verdict> {
        [
            Verdict::Pass,
            Verdict::Fail,
            Verdict::Error,
            Verdict::HypothesisNotMet,
        ]
        .into_iter()
        .find(|v| v.name() == name)
    }
}

/// What a claim run measured.
#[derive(Debug, Clone, Serialize)]
pub struct Outcome {
    pub criteria: Vec<Criterion>,
    pub controls: Vec<Control>,
    #[serde(skip)]
    pub tables: Vec<Table>,
    /// Plots of the evidence the claim wants in its report.
    #[serde(skip)]
    pub plots: Vec<PlotSpec>,
    /// Name of the criterion that best summarises the claim (the report's verdict table shows
    /// it); the first criterion when None.
    #[serde(skip)]
    pub headline: Option<String>,
}

impl Outcome {
    /// An outcome without plots, headlined by its first criterion.
    pub fn new(criteria: Vec<Criterion>, controls: Vec<Control>, tables: Vec<Table>) -> Self {
        Outcome {
            criteria,
            controls,
            tables,
            plots: Vec::new(),
            headline: None,
        }
    }

    pub fn with_plots(mut self, plots: Vec<PlotSpec>) -> Self {
        self.plots = plots;
        self
    }

    pub fn with_headline(mut self, criterion: &str) -> Self {
        self.headline = Some(criterion.to_owned());
        self
    }

    /// The headline criterion (see `headline`).
    pub fn headline_criterion(&self) -> Option<&Criterion> {
        match &self.headline {
            Some(name) => self.criteria.iter().find(|c| &c.name == name),
            None => self.criteria.first(),
        }
    }

    /// Pass iff every criterion holds and every control fails; `Error` when any criterion or
    /// control measured NaN (the claim could not be evaluated, whatever else held);
    /// `HypothesisNotMet` when a hypothesis criterion of the claim's own run fails (a control
    /// whose hypothesis criterion fails has failed as it should).
    pub fn verdict(&self) -> Verdict {
        let nan = self
            .criteria
            .iter()
            .chain(self.controls.iter().map(|c| &c.criterion))
            .any(|c| c.measured.is_nan());
        if nan {
            return Verdict::Error;
        }
        if self
            .criteria
            .iter()
            .any(|c| c.kind == CriterionKind::Hypothesis && !c.holds)
        {
            return Verdict::HypothesisNotMet;
        }
        let criteria_hold = self.criteria.iter().all(|c| c.holds);
        let controls_fail = self.controls.iter().all(|c| c.failed_as_expected);
        if criteria_hold && controls_fail && !self.criteria.is_empty() && !self.controls.is_empty()
        {
            Verdict::Pass
        } else {
            Verdict::Fail
        }
    }

    pub fn table(&self, name: &str) -> Option<&Table> {
        self.tables.iter().find(|t| t.name == name)
    }
}

/// Why a claim could not be evaluated: where (the cell) and what went wrong (a typed cause).
#[derive(Debug, Clone)]
pub struct ClaimError {
    /// Which cell (e.g. "d=20") or stage failed.
    pub cell: String,
    pub cause: Cause,
}

/// What stopped a claim, typed so that callers and tests can tell causes apart without parsing
/// messages.
#[derive(Debug, Clone, PartialEq)]
pub enum Cause {
    /// The kernel or linalg layer returned an error (its message).
    Computation(String),
    /// A decomposition or solve whose residual (backward error) is above its bound.
    Residual {
        what: &'static str,
        value: f64,
        bound: f64,
    },
    /// A quantity that must be positive is not (or is NaN).
    NotPositive { what: &'static str, value: f64 },
    /// A quantity that must be finite is not.
    NonFinite { what: &'static str },
    /// The experiment did not produce what the claim needs (a missing run, an undetected
    /// symmetry, a point too large for the dense path).
    Missing(String),
    /// Anything else, e.g. a panic caught by the CLI.
    Other(String),
}

impl fmt::Display for Cause {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Cause::Computation(m) | Cause::Missing(m) | Cause::Other(m) => f.write_str(m),
            Cause::Residual { what, value, bound } => {
                write!(f, "{what} residual {value:.2e} > {bound:.0e}")
            }
            Cause::NotPositive { what, value } => write!(f, "{what} = {value:e} is not positive"),
            Cause::NonFinite { what } => write!(f, "non-finite {what}"),
        }
    }
}

/// Runs `run` (a claim's evaluation) with a panic caught and returned as the claim's error
/// ("internal error (panic): ..."), so that one claim's bug is that claim's `error` verdict and
/// never aborts the others of a run. `overparam run` and the claims suite both go through here.
pub fn catching_panics(
    run: impl FnOnce() -> Result<Outcome, ClaimError>,
) -> Result<Outcome, ClaimError> {
    std::panic::catch_unwind(std::panic::AssertUnwindSafe(run)).unwrap_or_else(|panic| {
        let message = panic
            .downcast_ref::<String>()
            .cloned()
            .or_else(|| panic.downcast_ref::<&str>().map(|s| (*s).to_owned()))
            .unwrap_or_else(|| "unknown panic".to_owned());
        Err(ClaimError::new(
            "run",
            format!("internal error (panic): {message}"),
        ))
    })
}

impl ClaimError {
    /// An error of `cell` with this cause.
    pub fn at(cell: impl Into<String>, cause: Cause) -> Self {
        ClaimError {
            cell: cell.into(),
            cause,
        }
    }

    /// An error with a cause outside the claim's own code (a panic caught by the CLI).
    pub fn new(cell: impl Into<String>, message: impl fmt::Display) -> Self {
        ClaimError::at(cell, Cause::Other(message.to_string()))
    }

    /// Fails with a [`Cause::Residual`] when `value` is above `bound` (or NaN).
    pub fn check_residual(
        cell: &str,
        what: &'static str,
        value: f64,
        bound: f64,
    ) -> Result<(), ClaimError> {
        if value <= bound {
            Ok(())
        } else {
            Err(ClaimError::at(cell, Cause::Residual { what, value, bound }))
        }
    }

    /// Fails with a [`Cause::NotPositive`] when `value` is not above 0 (or NaN).
    pub fn check_positive(cell: &str, what: &'static str, value: f64) -> Result<(), ClaimError> {
        if value > 0.0 {
            Ok(())
        } else {
            Err(ClaimError::at(cell, Cause::NotPositive { what, value }))
        }
    }
}

impl fmt::Display for ClaimError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.cell, self.cause)
    }
}

impl std::error::Error for ClaimError {}

/// A published claim turned into a falsifiable check.
pub trait Claim: Sync {
    fn info(&self) -> ClaimInfo;
    fn run(&self, ctx: &RunContext) -> Result<Outcome, ClaimError>;

    /// The claim's independent cells and their assembly, when a sweep may split one run into
    /// several tasks (see [`CellClaim`]); `None`, the default, keeps the run one task.
    fn cells(&self) -> Option<&dyn CellClaim> {
        None
    }

    /// The measured cost of one run at `profile`, from which a cluster executor sizes its
    /// tasks' time and memory requests; `None`, the default, when the claim has not declared it
    /// (the executor then uses its generic defaults and says so).
    fn cost(&self, _profile: Profile) -> Option<MeasuredCost> {
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nan_never_holds_and_never_counts_as_a_control_failure() {
        let c = Criterion::new("x", f64::NAN, Comparator::AtMost, 1.0, "r");
        assert!(!c.holds);
        assert!(!Control::new("k", "d", c).failed_as_expected);
        let inf = Criterion::new("x", f64::INFINITY, Comparator::AtMost, 1.0, "r");
        assert!(Control::new("k", "d", inf).failed_as_expected);
    }

    #[test]
    fn interval_criterion_needs_the_whole_interval_inside_the_band() {
        let inside = Criterion::interval_within("s", -0.5, (-0.6, -0.4), (-0.8, -0.3), "r");
        assert!(inside.holds);
        let straddles = Criterion::interval_within("s", -0.5, (-0.9, -0.4), (-0.8, -0.3), "r");
        assert!(!straddles.holds);
        let nan =
            Criterion::interval_within("s", f64::NAN, (f64::NAN, f64::NAN), (-0.8, -0.3), "r");
        assert!(!nan.holds);
    }

    #[test]
    fn a_nan_interval_estimate_never_holds_even_inside_the_band() {
        let c = Criterion::interval_within("s", f64::NAN, (-0.6, -0.4), (-0.8, -0.3), "r");
        assert!(!c.holds);
    }

    #[test]
    fn a_nan_criterion_or_control_makes_the_verdict_error() {
        let ok = || Criterion::new("a", 0.5, Comparator::AtMost, 1.0, "r");
        let broken = || Criterion::new("a", 2.0, Comparator::AtMost, 1.0, "r");
        let nan = || Criterion::new("b", f64::NAN, Comparator::AtMost, 1.0, "r");
        let control = || Control::new("k", "d", broken());
        let pass = Outcome::new(vec![ok()], vec![control()], vec![]);
        assert_eq!(pass.verdict(), Verdict::Pass);
        let with_nan = Outcome::new(vec![ok(), nan()], vec![control()], vec![]);
        assert_eq!(with_nan.verdict(), Verdict::Error);
        let nan_control = Outcome::new(vec![ok()], vec![Control::new("k", "d", nan())], vec![]);
        assert_eq!(nan_control.verdict(), Verdict::Error);
        let failing = Outcome::new(vec![broken()], vec![control()], vec![]);
        assert_eq!(failing.verdict(), Verdict::Fail);
    }

    #[test]
    fn a_failed_hypothesis_makes_the_verdict_hypothesis_not_met_and_a_failed_control_counts() {
        const HYP: CriterionSpec = CriterionSpec::hypothesis("h", "margin > 0").greater_than(0.0);
        const EVI: CriterionSpec = CriterionSpec::evidence("e", "ratio >= 1").at_least(1.0);
        let control = || Control::new("k", "d", EVI.check(0.5));
        // The theorem's hypothesis fails: the evidence holding proves nothing, and evidence
        // failing is no evidence against the paper.
        for evidence in [2.0, 0.5] {
            let o = Outcome::new(
                vec![HYP.check(0.0), EVI.check(evidence)],
                vec![control()],
                vec![],
            );
            assert_eq!(o.verdict(), Verdict::HypothesisNotMet, "{evidence}");
        }
        // NaN still wins: the claim could not be evaluated.
        let o = Outcome::new(
            vec![HYP.check(0.0), EVI.check(f64::NAN)],
            vec![control()],
            vec![],
        );
        assert_eq!(o.verdict(), Verdict::Error);
        // A control that violates the hypothesis fails as it should, and the claim passes.
        let hyp_control = Control::new("non-separable", "d", HYP.check(0.0));
        assert!(hyp_control.failed_as_expected);
        let o = Outcome::new(
            vec![HYP.check(0.3), EVI.check(2.0)],
            vec![hyp_control],
            vec![],
        );
        assert_eq!(o.verdict(), Verdict::Pass);
        for v in [
            Verdict::Pass,
            Verdict::Fail,
            Verdict::Error,
            Verdict::HypothesisNotMet,
        ] {
            assert_eq!(Verdict::parse(v.name()), Some(v));
            let json = serde_json::to_string(&v).unwrap();
            assert_eq!(json, format!("\"{}\"", v.name()));
        }
    }

    #[test]
    fn residual_check_refuses_nan_and_values_above_the_bound() {
        assert!(ClaimError::check_residual("c", "svd", 1e-14, 1e-12).is_ok());
        let e = ClaimError::check_residual("c", "svd", 1e-10, 1e-12).unwrap_err();
        assert!(matches!(e.cause, Cause::Residual { what: "svd", .. }));
        assert!(ClaimError::check_residual("c", "svd", f64::NAN, 1e-12).is_err());
        assert!(ClaimError::check_positive("c", "lambda_min", 1e-3).is_ok());
        for bad in [0.0, -1.0, f64::NAN] {
            let e = ClaimError::check_positive("c", "lambda_min", bad).unwrap_err();
            assert!(matches!(e.cause, Cause::NotPositive { .. }), "{bad}");
        }
    }

    #[test]
    fn non_finite_values_are_written_as_text_in_json() {
        let c = Criterion::new("x", f64::INFINITY, Comparator::AtMost, 1.0, "r");
        let json = serde_json::to_string(&c).unwrap();
        assert!(json.contains("\"measured\":\"inf\""), "{json}");
    }
}
