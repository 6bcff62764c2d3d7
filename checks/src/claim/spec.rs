//! What a claim declares about its criteria and controls before it runs: the kind and rule of
//! each criterion (the threshold typed once, in a `const`), the controls, and the designed
//! false-failure rate. `overparam show` prints these; `run` builds its criteria from them.

use serde::Serialize;
use std::fmt;

use super::{ClaimInfo, Comparator, Criterion};

/// Whether a criterion tests the claim itself, the computation behind it (residuals, solver
/// agreement), or whether the theorem applies to the instance at all. Evidence and sanity must
/// hold for a pass; a failed hypothesis makes the verdict "hypothesis not met" (the theorem
/// says nothing there), whatever the other criteria measured.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum CriterionKind {
    Evidence,
    Sanity,
    Hypothesis,
}

/// A criterion as the claim declares it: its name (the one the outcome's [`Criterion`] carries),
/// what it measures and why its threshold is what it is, its kind, and the rule it applies.
/// Declared once, as a `const`, so that `overparam show` prints the number the run uses.
#[derive(Debug, Clone, Copy, Serialize)]
pub struct CriterionSpec {
    pub name: &'static str,
    pub doc: &'static str,
    pub kind: CriterionKind,
    pub rule: Rule,
}

/// The test a criterion applies to its measured value, with the threshold typed here once.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Rule {
    AtMost(f64),
    LessThan(f64),
    AtLeast(f64),
    GreaterThan(f64),
    Equal(f64),
    /// lower <= measured <= upper.
    Between(f64, f64),
    /// The confidence interval of the estimate lies inside [lower, upper].
    IntervalWithin(f64, f64),
    /// The threshold is computed by the run from its own data (a predicted rate, a bound that
    /// depends on the dimension); the text says how.
    Computed(&'static str),
    /// Not declared yet (a claim written before rules were declared with the spec).
    Undeclared,
}

impl fmt::Display for Rule {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let n = |x: &f64| exact_number(*x);
        match self {
            Rule::AtMost(t) => write!(f, "<= {}", n(t)),
            Rule::LessThan(t) => write!(f, "< {}", n(t)),
            Rule::AtLeast(t) => write!(f, ">= {}", n(t)),
            Rule::GreaterThan(t) => write!(f, "> {}", n(t)),
            Rule::Equal(t) => write!(f, "== {}", n(t)),
            Rule::Between(lo, hi) => write!(f, "in [{}, {}]", n(lo), n(hi)),
            Rule::IntervalWithin(lo, hi) => {
                write!(f, "confidence interval within [{}, {}]", n(lo), n(hi))
            }
            Rule::Computed(how) => write!(f, "against a computed threshold: {how}"),
            Rule::Undeclared => f.write_str("rule not declared"),
        }
    }
}

/// A threshold as text that reads back to the same f64: Rust's shortest round-trip digits,
/// in positional form for moderate magnitudes (0.99, 2, 1500) and in exponent form otherwise
/// (1e-12, 2.5e7), so `overparam show` prints exactly the number the run compares against.
pub fn exact_number(x: f64) -> String {
    if x == 0.0 || !x.is_finite() || (1e-3..1e6).contains(&x.abs()) {
        format!("{x}")
    } else {
        format!("{x:e}")
    }
}

impl Rule {
    /// False only for [`Rule::Undeclared`].
    pub fn is_declared(&self) -> bool {
        !matches!(self, Rule::Undeclared)
    }

    /// The comparator and threshold every criterion built from this rule carries, for the
    /// rules whose threshold is typed in the spec; None for [`Rule::Computed`] (the run supplies
    /// the threshold) and [`Rule::Undeclared`].
    pub fn fixed(&self) -> Option<(Comparator, f64)> {
        Some(match *self {
            Rule::AtMost(t) => (Comparator::AtMost, t),
            Rule::LessThan(t) => (Comparator::LessThan, t),
            Rule::AtLeast(t) => (Comparator::AtLeast, t),
            Rule::GreaterThan(t) => (Comparator::GreaterThan, t),
            Rule::Equal(t) => (Comparator::Equal, t),
            Rule::Between(lo, hi) => (Comparator::Between { upper: hi }, lo),
            Rule::IntervalWithin(lo, hi) => (Comparator::IntervalWithin { upper: hi }, lo),
            Rule::Computed(_) | Rule::Undeclared => return None,
        })
    }
}

impl CriterionKind {
    /// "evidence", "sanity" or "hypothesis", as in verdict.json.
    pub fn name(self) -> &'static str {
        match self {
            CriterionKind::Evidence => "evidence",
            CriterionKind::Sanity => "sanity",
            CriterionKind::Hypothesis => "hypothesis",
        }
    }
}

impl CriterionSpec {
    /// A criterion about the claim itself: it can fail when the paper's statement is false or
    /// the implementation is wrong. The rule is added with a builder (`.at_most(x)`, ...).
    pub const fn evidence(name: &'static str, doc: &'static str) -> Self {
        CriterionSpec {
            name,
            doc,
            kind: CriterionKind::Evidence,
            rule: Rule::Undeclared,
        }
    }

    /// A check of the computation behind the claim (identities, residuals, bookkeeping): needed
    /// for a pass, but not evidence for the paper.
    pub const fn sanity(name: &'static str, doc: &'static str) -> Self {
        CriterionSpec {
            name,
            doc,
            kind: CriterionKind::Sanity,
            rule: Rule::Undeclared,
        }
    }

    /// A test that the theorem's hypothesis holds on the instance the claim runs (a certified
    /// margin > 0, a separation > 0). When it fails the verdict is
    /// [`Verdict::HypothesisNotMet`](super::Verdict::HypothesisNotMet): neither a pass nor
    /// evidence against the paper.
    pub const fn hypothesis(name: &'static str, doc: &'static str) -> Self {
        CriterionSpec {
            name,
            doc,
            kind: CriterionKind::Hypothesis,
            rule: Rule::Undeclared,
        }
    }

    pub const fn with_rule(mut self, rule: Rule) -> Self {
        self.rule = rule;
        self
    }
    pub const fn at_most(self, t: f64) -> Self {
        self.with_rule(Rule::AtMost(t))
    }
    pub const fn less_than(self, t: f64) -> Self {
        self.with_rule(Rule::LessThan(t))
    }
    pub const fn at_least(self, t: f64) -> Self {
        self.with_rule(Rule::AtLeast(t))
    }
    pub const fn greater_than(self, t: f64) -> Self {
        self.with_rule(Rule::GreaterThan(t))
    }
    pub const fn equal(self, t: f64) -> Self {
        self.with_rule(Rule::Equal(t))
    }
    pub const fn between(self, lower: f64, upper: f64) -> Self {
        self.with_rule(Rule::Between(lower, upper))
    }
    pub const fn interval_within(self, lower: f64, upper: f64) -> Self {
        self.with_rule(Rule::IntervalWithin(lower, upper))
    }
    pub const fn computed(self, how: &'static str) -> Self {
        self.with_rule(Rule::Computed(how))
    }

    /// The criterion for a measured value under a fixed scalar rule, with the spec's doc as its
    /// reason and the spec's kind. A rule that needs an interval or a computed threshold cannot
    /// be applied to a bare number: the criterion then measures NaN, which makes the verdict an
    /// error (a programming mistake shows at once, never as a pass).
    pub fn check(&self, measured: f64) -> Criterion {
        match self.rule.fixed() {
            Some((comparator, threshold))
                if !matches!(comparator, Comparator::IntervalWithin { .. }) =>
            {
                self.stamp(Criterion::new(
                    self.name, measured, comparator, threshold, self.doc,
                ))
            }
            _ => self
                .stamp(Criterion::new(
                    self.name,
                    f64::NAN,
                    Comparator::AtMost,
                    f64::NAN,
                    self.doc,
                ))
                .with_detail(format!(
                    "the rule `{}` cannot be applied to a bare value",
                    self.rule
                )),
        }
    }

    /// The criterion for an estimate with its confidence interval under an
    /// [`Rule::IntervalWithin`] rule (NaN for any other rule: see [`CriterionSpec::check`]).
    pub fn check_interval(&self, estimate: f64, interval: (f64, f64)) -> Criterion {
        match self.rule {
            Rule::IntervalWithin(lo, hi) => self.stamp(Criterion::interval_within(
                self.name,
                estimate,
                interval,
                (lo, hi),
                self.doc,
            )),
            _ => self.check(f64::NAN),
        }
    }

    /// [`CriterionSpec::check_interval`] on a fitted slope; without a fit the estimate is NaN.
    pub fn check_slope(&self, fit: Option<crate::stats::LinearFit>) -> Criterion {
        match self.rule {
            Rule::IntervalWithin(lo, hi) => {
                self.stamp(Criterion::slope_within(self.name, fit, (lo, hi), self.doc))
            }
            _ => self.check(f64::NAN),
        }
    }

    /// The criterion for a threshold the run computed, under a [`Rule::Computed`] rule (NaN for
    /// any other rule: a fixed threshold is typed in the spec, never again in the run).
    pub fn check_against(
        &self,
        measured: f64,
        comparator: Comparator,
        threshold: f64,
    ) -> Criterion {
        match self.rule {
            Rule::Computed(_) => self.stamp(Criterion::new(
                self.name, measured, comparator, threshold, self.doc,
            )),
            _ => self.check(f64::NAN),
        }
    }

    fn stamp(&self, mut c: Criterion) -> Criterion {
        c.kind = self.kind;
        c
    }
}

/// The designed probability that a correct implementation fails the claim by chance at one
/// master seed, from its statistical design (k independent tests at level 1 - alpha fail with
/// probability 1 - (1 - alpha)^k; a union bound when they are dependent). The robust-verdicts
/// rule: at most [`MAX_FALSE_FAILURE_RATE`].
#[derive(Debug, Clone, Copy, Serialize)]
pub struct FalseFailure {
    /// The bound, a probability (NaN when undeclared, written "NaN" in JSON).
    #[serde(serialize_with = "super::finite_or_text")]
    pub rate: f64,
    /// How it follows from the claim's tests and levels.
    pub design: &'static str,
}

/// The largest designed false-failure rate a claim may have.
pub const MAX_FALSE_FAILURE_RATE: f64 = 0.01;

impl FalseFailure {
    /// The rate as a reader wants it: four significant digits (a union bound summed in floating
    /// point would print as 0.0070000000000000045), exactly "0" for deterministic claims.
    pub fn rate_text(&self) -> String {
        if self.rate == 0.0 || !self.rate.is_finite() {
            return exact_number(self.rate);
        }
        let digits = 3 - self.rate.abs().log10().floor() as i32;
        let scale = 10f64.powi(digits.max(0));
        exact_number((self.rate * scale).round() / scale)
    }

    /// Not stated yet: NaN, which the claims suite refuses.
    pub const UNDECLARED: FalseFailure = FalseFailure {
        rate: f64::NAN,
        design: "not declared",
    };

    /// Union bound over tests failing by chance with the given probabilities.
    pub fn union_bound(alphas: &[f64], design: &'static str) -> Self {
        FalseFailure {
            rate: alphas.iter().sum(),
            design,
        }
    }

    /// k independent tests, each failing by chance with probability alpha.
    pub fn independent(k: u32, alpha: f64, design: &'static str) -> Self {
        FalseFailure {
            rate: 1.0 - (1.0 - alpha).powi(k as i32),
            design,
        }
    }

    /// Whether a rate was stated: finite, in [0, 1].
    pub fn is_declared(&self) -> bool {
        (0.0..=1.0).contains(&self.rate)
    }

    /// Deterministic criteria (exact computations, bounds with rounding margins): a correct
    /// implementation never fails by chance.
    pub const fn deterministic(design: &'static str) -> Self {
        FalseFailure { rate: 0.0, design }
    }
}

/// A negative control as the claim declares it: its name (the one the outcome's [`Control`]
/// carries) and what is violated or broken, and which criterion must then fail.
#[derive(Debug, Clone, Copy, Serialize)]
pub struct ControlSpec {
    pub name: &'static str,
    pub doc: &'static str,
}

impl ControlSpec {
    pub const fn new(name: &'static str, doc: &'static str) -> Self {
        ControlSpec { name, doc }
    }
}

impl ClaimInfo {
    /// What the robust-verdicts rule still misses in this declaration, one line each: an
    /// undeclared or too large false-failure rate, a criterion without a declared rule, no
    /// evidence criterion, no control. Empty when the design is complete.
    pub fn design_problems(&self) -> Vec<String> {
        let mut problems = Vec::new();
        let rate = self.false_failure.rate;
        if !self.false_failure.is_declared() {
            problems.push(format!("false-failure rate not declared ({rate})"));
        } else if rate > MAX_FALSE_FAILURE_RATE {
            problems.push(format!(
                "false-failure rate {rate} above {MAX_FALSE_FAILURE_RATE}"
            ));
        }
        for spec in self.criteria.iter().filter(|s| !s.rule.is_declared()) {
            problems.push(format!("criterion {} has no declared rule", spec.name));
        }
        if !self
            .criteria
            .iter()
            .any(|s| s.kind == CriterionKind::Evidence)
        {
            problems.push("no evidence criterion".to_owned());
        }
        if self.controls.is_empty() {
            problems.push("no control".to_owned());
        }
        problems
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_rate_is_shown_to_four_significant_digits_and_zero_exactly() {
        let sum = FalseFailure::union_bound(&[0.1, 0.2], "");
        assert_ne!(sum.rate, 0.3);
        assert_eq!(sum.rate_text(), "0.3");
        assert_eq!(FalseFailure::deterministic("").rate_text(), "0");
        assert_eq!(
            FalseFailure::union_bound(&[2.31e-3], "").rate_text(),
            "0.00231"
        );
        assert_eq!(FalseFailure::UNDECLARED.rate_text(), "NaN");
    }

    #[test]
    fn a_spec_applies_its_own_rule_and_kind() {
        const BOUND: CriterionSpec = CriterionSpec::sanity("residual", "why").at_most(1e-12);
        let ok = BOUND.check(1e-14);
        assert!(ok.holds);
        assert_eq!(ok.kind, CriterionKind::Sanity);
        assert_eq!((ok.threshold, ok.reason.as_str()), (1e-12, "why"));
        assert!(!BOUND.check(1e-10).holds);
        assert!(!BOUND.check(f64::NAN).holds);
        const SLOPE: CriterionSpec =
            CriterionSpec::evidence("slope", "r").interval_within(-1.0, 0.0);
        assert!(SLOPE.check_interval(-0.5, (-0.7, -0.3)).holds);
        assert!(!SLOPE.check_interval(-0.5, (-1.2, -0.3)).holds);
        assert!(SLOPE.check_slope(None).measured.is_nan());
        // A rule used the wrong way measures NaN, so the verdict is an error, never a pass.
        assert!(SLOPE.check(-0.5).measured.is_nan());
        assert!(BOUND.check_interval(0.0, (0.0, 0.0)).measured.is_nan());
        assert!(
            BOUND
                .check_against(0.0, Comparator::AtMost, 1.0)
                .measured
                .is_nan()
        );
        const RATE: CriterionSpec = CriterionSpec::evidence("rate", "r").computed("1 - eta mu");
        assert!(RATE.check_against(0.5, Comparator::AtMost, 0.6).holds);
        assert!(RATE.check(0.5).measured.is_nan());
    }

    #[test]
    fn false_failure_rates_compose() {
        let f = FalseFailure::independent(2, 0.05, "two 95% tests");
        assert!((f.rate - 0.0975).abs() < 1e-12);
        let u = FalseFailure::union_bound(&[0.002, 0.003], "two tests");
        assert!((u.rate - 0.005).abs() < 1e-15);
        assert!(FalseFailure::UNDECLARED.rate.is_nan());
    }

    #[test]
    fn rules_print_their_threshold_exactly_and_name_their_comparator() {
        assert_eq!(Rule::AtMost(1e-12).to_string(), "<= 1e-12");
        assert_eq!(Rule::AtLeast(0.99).to_string(), ">= 0.99");
        assert_eq!(Rule::Between(-3.3, -2.7).to_string(), "in [-3.3, -2.7]");
        assert_eq!(Rule::Equal(3.0).to_string(), "== 3");
        assert_eq!(exact_number(2.5e7), "2.5e7");
        for x in [1e-12, 0.1 + 0.2, -3.3, 12345.678, 6.02e23, 0.0] {
            assert_eq!(
                exact_number(x).parse::<f64>().unwrap().to_bits(),
                x.to_bits()
            );
        }
        assert_eq!(
            Rule::Between(0.5, 2.0).fixed(),
            Some((Comparator::Between { upper: 2.0 }, 0.5))
        );
        assert_eq!(Rule::Computed("x").fixed(), None);
        assert!(!Rule::Undeclared.is_declared() && Rule::Computed("x").is_declared());
    }

    const CONTROLS: &[ControlSpec] = &[ControlSpec::new("k", "d")];

    fn info(criteria: &'static [CriterionSpec], false_failure: FalseFailure) -> ClaimInfo {
        ClaimInfo {
            id: "toy2024.claim",
            paper: "p",
            summary: "s",
            statement: "s",
            assumptions: &[],
            criteria,
            controls: CONTROLS,
            provenance: "p",
            runtime: "r",
            false_failure,
        }
    }

    #[test]
    fn a_design_is_complete_only_with_every_rule_and_a_small_declared_rate() {
        const EVIDENCE: CriterionSpec = CriterionSpec::evidence("e", "d").at_least(0.5);
        const SANITY: CriterionSpec = CriterionSpec::sanity("s", "d").at_most(1e-12);
        const OPEN: CriterionSpec = CriterionSpec::evidence("o", "d");
        let ok = FalseFailure::independent(1, 0.005, "one test at 99.5%");
        assert!(info(&[EVIDENCE, SANITY], ok).design_problems().is_empty());
        let p = info(&[EVIDENCE, OPEN], FalseFailure::UNDECLARED).design_problems();
        assert_eq!(p.len(), 2, "{p:?}");
        assert!(p[0].contains("not declared") && p[1].contains("criterion o"));
        let loose = FalseFailure::independent(2, 0.05, "two 95% tests");
        assert!(info(&[EVIDENCE], loose).design_problems()[0].contains("above"));
        assert_eq!(
            info(&[SANITY], ok).design_problems(),
            ["no evidence criterion"]
        );
    }
}
