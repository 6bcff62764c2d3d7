//! The merge: every task's verdict.json, in task order, into pass rates (Wilson intervals),
//! per-criterion and per-control counts, distributions of the measured values, and plots.

use std::fs;
use std::path::{Path, PathBuf};

use overparam_checks::stats::{binomial_upper_tail, wilson_interval};
use overparam_checks::{Table, Value, Verdict};
use overparam_report::{OutputDir, OutputKind, table_to_csv};
use serde_json::Value as Json;

use crate::{PLAN_FILE, Plan, REPORT_DIR, SweepError, TaskState, run_state};

mod render;
use render::{criteria_table, criterion_plot, index_html, short, summary_md, summary_table};

/// A criterion as read back from a verdict.json.
#[derive(Debug, Clone)]
pub(crate) struct Measured {
    name: String,
    measured: f64,
    /// The comparator's serialised name (`at_most`, `between`, `interval_within`, ...).
    comparator: String,
    threshold: f64,
    /// Upper end of `between` / `interval_within` bands.
    upper: Option<f64>,
    interval: Option<(f64, f64)>,
    holds: bool,
    /// "evidence" or "sanity" (empty in verdicts written before criteria carried a kind).
    kind: String,
    /// The criterion's own name (for a control, `name` is the control's).
    criterion: String,
}

/// What a claim declared before it ran (verdict.json's `declared`; absent in older verdicts).
#[derive(Debug, Clone)]
pub(crate) struct Declared {
    /// The designed false-failure rate (NaN when the claim did not declare one).
    false_failure: f64,
    design: String,
    /// (criterion name, rule as `overparam show` prints it).
    rules: Vec<(String, String)>,
}

/// A task's verdict.json, as much of it as the merge uses.
#[derive(Debug, Clone)]
pub(crate) struct TaskVerdict {
    pub(crate) verdict: Verdict,
    criteria: Vec<Measured>,
    /// Each control's criterion and whether it failed as required.
    controls: Vec<(Measured, bool)>,
    error: Option<String>,
    declared: Option<Declared>,
}

/// verdict.json numbers: finite values are numbers, others the strings "inf", "-inf", "NaN"
/// (null, which serde writes for NaN inside an interval, also reads as NaN).
fn number(v: &Json) -> Result<f64, String> {
    match v {
        Json::Number(n) => n.as_f64().ok_or_else(|| format!("bad number {n}")),
        Json::String(s) if s == "inf" => Ok(f64::INFINITY),
        Json::String(s) if s == "-inf" => Ok(f64::NEG_INFINITY),
        Json::String(s) if s == "NaN" => Ok(f64::NAN),
        Json::Null => Ok(f64::NAN),
        other => Err(format!("expected a number, found {other}")),
    }
}

fn field<'a>(v: &'a Json, key: &str) -> Result<&'a Json, String> {
    v.get(key).ok_or_else(|| format!("no '{key}'"))
}

fn text(v: &Json, key: &str) -> Result<String, String> {
    field(v, key)?
        .as_str()
        .map(str::to_owned)
        .ok_or_else(|| format!("'{key}' is not text"))
}

fn flag(v: &Json, key: &str) -> Result<bool, String> {
    field(v, key)?
        .as_bool()
        .ok_or_else(|| format!("'{key}' is not true/false"))
}

fn measured(v: &Json) -> Result<Measured, String> {
    let (comparator, upper) = match field(v, "comparator")? {
        Json::String(s) => (s.clone(), None),
        Json::Object(map) if map.len() == 1 => {
            let (name, inner) = map.iter().next().expect("one entry");
            (name.clone(), Some(number(field(inner, "upper")?)?))
        }
        other => return Err(format!("unknown comparator {other}")),
    };
    let interval = match v.get("interval") {
        None | Some(Json::Null) => None,
        Some(Json::Array(pair)) if pair.len() == 2 => Some((number(&pair[0])?, number(&pair[1])?)),
        Some(other) => return Err(format!("bad interval {other}")),
    };
    let name = text(v, "name")?;
    Ok(Measured {
        criterion: name.clone(),
        kind: text_or_empty(v, "kind"),
        name,
        measured: number(field(v, "measured")?)?,
        comparator,
        threshold: number(field(v, "threshold")?)?,
        upper,
        interval,
        holds: flag(v, "holds")?,
    })
}

/// Reads `<run dir>/<claim>/verdict.json`.
pub(crate) fn read_verdict(run_dir: &Path, claim: &str) -> Result<TaskVerdict, String> {
    let path = run_dir.join(claim).join("verdict.json");
    let content = fs::read_to_string(&path).map_err(|e| format!("{}: {e}", path.display()))?;
    let parse = || -> Result<TaskVerdict, String> {
        let v: Json = serde_json::from_str(&content).map_err(|e| e.to_string())?;
        if text_or_empty(&v, "claim") != claim {
            return Err(format!(
                "it is the verdict of '{}'",
                text_or_empty(&v, "claim")
            ));
        }
        let name = text(&v, "verdict")?;
        let verdict = Verdict::parse(&name).ok_or_else(|| format!("unknown verdict '{name}'"))?;
        let list = |key| match field(&v, key)? {
            Json::Array(items) => Ok(items.as_slice()),
            _ => Err(format!("'{key}' is not a list")),
        };
        let criteria = list("criteria")?
            .iter()
            .map(measured)
            .collect::<Result<_, _>>()?;
        let controls = list("controls")?
            .iter()
            .map(|c| {
                let mut m = measured(field(c, "criterion")?)?;
                m.name = text(c, "name")?;
                Ok((m, flag(c, "failed_as_expected")?))
            })
            .collect::<Result<_, String>>()?;
        Ok(TaskVerdict {
            verdict,
            criteria,
            controls,
            error: v.get("error").and_then(Json::as_str).map(str::to_owned),
            declared: v.get("declared").map(declared).transpose()?,
        })
    };
    parse().map_err(|e| format!("{}: {e}", path.display()))
}

impl Declared {
    /// The same declaration (rates compared bit for bit, so an undeclared NaN equals itself).
    fn same(&self, other: &Declared) -> bool {
        self.false_failure.to_bits() == other.false_failure.to_bits()
            && self.design == other.design
            && self.rules == other.rules
    }
}

fn declared(v: &Json) -> Result<Declared, String> {
    let ff = field(v, "false_failure")?;
    let rules = match field(v, "criteria")? {
        Json::Array(items) => items
            .iter()
            .map(|c| Ok((text(c, "name")?, text(c, "rule")?)))
            .collect::<Result<_, String>>()?,
        _ => return Err("'declared.criteria' is not a list".into()),
    };
    Ok(Declared {
        false_failure: number(field(ff, "rate")?)?,
        design: text(ff, "design")?,
        rules,
    })
}

fn text_or_empty(v: &Json, key: &str) -> String {
    v.get(key)
        .and_then(Json::as_str)
        .unwrap_or_default()
        .to_owned()
}

/// What a merge found, for the CLI's final line.
#[derive(Debug, Clone)]
pub struct MergeSummary {
    /// Claim runs (claim x seed): the tasks, when no run is split.
    pub tasks: usize,
    pub passes: usize,
    pub fails: usize,
    pub errors: usize,
    /// Names of the runs (`<claim>/seed-<s>`) without a result (only with `allow_missing`).
    pub missing: Vec<String>,
    pub report: PathBuf,
}

/// One criterion or control of one claim across the seeds, in order of first appearance.
struct Series {
    /// "criterion" or "control".
    kind: &'static str,
    name: String,
    /// The criterion's kind, "evidence" or "sanity" (for a control, its criterion's).
    class: String,
    /// The criterion a control evaluates (for a criterion, its own name).
    target: String,
    /// The declared rule of the criterion (of a control's criterion), "" when not known.
    rule: String,
    comparator: String,
    threshold: f64,
    upper: Option<f64>,
    /// Whether some seed had another comparator or threshold (then none is shown).
    threshold_varies: bool,
    values: Vec<SeedValue>,
}

/// One seed's measurement of a criterion or control.
struct SeedValue {
    seed: u64,
    measured: f64,
    interval: Option<(f64, f64)>,
    /// For a criterion: it held; for a control: it failed, as required.
    ok: bool,
}

impl Series {
    fn add(&mut self, seed: u64, m: &Measured, ok: bool) {
        if m.comparator != self.comparator
            || m.threshold.to_bits() != self.threshold.to_bits()
            || m.upper.map(f64::to_bits) != self.upper.map(f64::to_bits)
        {
            self.threshold_varies = true;
        }
        self.values.push(SeedValue {
            seed,
            measured: m.measured,
            interval: m.interval,
            ok,
        });
    }

    /// (held, failed): for a criterion, seeds where it held and did not; for a control,
    /// seeds where its criterion held (the control did not fail) and where it failed as
    /// required.
    fn counts(&self) -> (usize, usize) {
        let ok = self.values.iter().filter(|v| v.ok).count();
        match self.kind {
            "control" => (self.values.len() - ok, ok),
            _ => (ok, self.values.len() - ok),
        }
    }

    /// "evidence criterion", "sanity criterion" or "control" (a criterion from a verdict
    /// without kinds is just "criterion").
    fn kind_text(&self) -> String {
        match (self.kind, self.class.as_str()) {
            ("criterion", "") => "criterion".to_owned(),
            ("criterion", class) => format!("{class} criterion"),
            (kind, _) => kind.to_owned(),
        }
    }

    /// A criterion's name; a control's with the criterion it evaluates.
    fn name_text(&self) -> String {
        if self.kind == "control" && self.target != self.name {
            format!("{} (on {})", self.name, self.target)
        } else {
            self.name.clone()
        }
    }

    fn threshold_text(&self) -> String {
        if self.threshold_varies {
            return "varies across seeds".to_owned();
        }
        let t = short(self.threshold);
        match (self.comparator.as_str(), self.upper) {
            ("at_most", _) => format!("<= {t}"),
            ("less_than", _) => format!("< {t}"),
            ("at_least", _) => format!(">= {t}"),
            ("greater_than", _) => format!("> {t}"),
            ("equal", _) => format!("== {t}"),
            ("between", Some(u)) => format!("in [{t}, {}]", short(u)),
            ("interval_within", Some(u)) => format!("interval within [{t}, {}]", short(u)),
            (other, _) => format!("{other} {t}"),
        }
    }
}

struct ClaimSummary {
    claim: String,
    seeds: usize,
    passes: usize,
    fails: usize,
    errors: usize,
    missing: Vec<u64>,
    /// (seed, message) of tasks whose claim could not be evaluated.
    error_messages: Vec<(u64, String)>,
    /// Seeds whose verdict was fail.
    failed_seeds: Vec<u64>,
    series: Vec<Series>,
    /// The declaration of the first finished task that carries one.
    declared: Option<Declared>,
    /// Whether tasks disagree about the declaration (then the first is shown, flagged).
    declared_varies: bool,
}

impl ClaimSummary {
    fn wilson(&self) -> Option<(f64, f64)> {
        let finished = (self.passes + self.fails + self.errors) as u64;
        wilson_interval(self.passes as u64, finished, 0.95)
    }

    fn pass_rate(&self) -> Option<f64> {
        let finished = self.passes + self.fails + self.errors;
        (finished > 0).then(|| self.passes as f64 / finished as f64)
    }

    /// The designed false-failure rate, when the tasks declared one.
    fn designed_rate(&self) -> Option<f64> {
        self.declared
            .as_ref()
            .map(|d| d.false_failure)
            .filter(|r| (0.0..=1.0).contains(r))
    }

    /// The chance that a correct implementation with the designed false-failure rate fails (or
    /// errs) at this many of the finished seeds or more: P(X >= fails + errors), X binomial.
    /// Small means the failures are not explained by the design.
    fn chance_of_failures(&self) -> Option<f64> {
        let finished = (self.passes + self.fails + self.errors) as u64;
        let failed = (self.fails + self.errors) as u64;
        (finished > 0)
            .then_some(())
            .and(self.designed_rate())
            .and_then(|rate| binomial_upper_tail(failed, finished, rate))
    }

    fn series(&mut self, kind: &'static str, m: &Measured) -> &mut Series {
        let at = match self
            .series
            .iter()
            .position(|s| s.kind == kind && s.name == m.name)
        {
            Some(at) => at,
            None => {
                let rule = self
                    .declared
                    .as_ref()
                    .and_then(|d| d.rules.iter().find(|(n, _)| *n == m.criterion))
                    .map_or_else(String::new, |(_, r)| r.clone());
                self.series.push(Series {
                    kind,
                    name: m.name.clone(),
                    class: m.kind.clone(),
                    target: m.criterion.clone(),
                    rule,
                    comparator: m.comparator.clone(),
                    threshold: m.threshold,
                    upper: m.upper,
                    threshold_varies: false,
                    values: Vec::new(),
                });
                self.series.len() - 1
            }
        };
        &mut self.series[at]
    }
}

/// Merges the finished tasks of sweep directory `dir` into `dir/report/`, written all at once
/// (staged, then renamed into place, replacing the previous merge). Tasks without a result are
/// refused unless `allow_missing`, which marks the report incomplete and lists them.
pub fn merge(dir: &Path, plan: &Plan, allow_missing: bool) -> Result<MergeSummary, SweepError> {
    let mut claims: Vec<ClaimSummary> = Vec::new();
    let mut missing_names = Vec::new();
    let mut timings = Table::new(
        "timings",
        &["task", "name", "wall_time_s", "peak_rss_mib", "threads"],
    );
    for claim in &plan.claims {
        let mut summary = ClaimSummary {
            claim: claim.clone(),
            seeds: 0,
            passes: 0,
            fails: 0,
            errors: 0,
            missing: Vec::new(),
            error_messages: Vec::new(),
            failed_seeds: Vec::new(),
            series: Vec::new(),
            declared: None,
            declared_varies: false,
        };
        for task in plan.runs_of(claim) {
            summary.seeds += 1;
            let run_dir = dir.join(&task.dir);
            let verdict = match run_state(dir, task) {
                TaskState::Finished(_) => {
                    read_verdict(&run_dir, claim).map_err(|e| SweepError(e.to_string()))?
                }
                TaskState::PartDone | TaskState::Missing | TaskState::Damaged(_) => {
                    summary.missing.push(task.seed);
                    missing_names.push(task.run_name());
                    continue;
                }
            };
            match (&summary.declared, &verdict.declared) {
                (None, Some(d)) => summary.declared = Some(d.clone()),
                (Some(first), Some(d)) if !first.same(d) => summary.declared_varies = true,
                _ => {}
            }
            match verdict.verdict {
                Verdict::Pass => summary.passes += 1,
                // A seed whose instance does not meet the theorem's hypothesis is not a pass:
                // it counts with the fails (its hypothesis criterion's series says why).
                Verdict::Fail | Verdict::HypothesisNotMet => {
                    summary.fails += 1;
                    summary.failed_seeds.push(task.seed);
                }
                Verdict::Error => {
                    summary.errors += 1;
                    summary
                        .error_messages
                        .push((task.seed, verdict.error.clone().unwrap_or_default()));
                }
            }
            for c in &verdict.criteria {
                summary.series("criterion", c).add(task.seed, c, c.holds);
            }
            for (c, failed) in &verdict.controls {
                summary.series("control", c).add(task.seed, c, *failed);
            }
            if task.part.is_some() {
                // a split run's time is its parts' (the assembly's manifest times only that)
                for part in plan.run_tasks(task) {
                    timings.push(part_timing_row(dir, part));
                }
            } else {
                timings.push(timing_row(task, &run_dir));
            }
        }
        claims.push(summary);
    }
    if !missing_names.is_empty() && !allow_missing {
        let shown: Vec<&str> = missing_names.iter().take(10).map(String::as_str).collect();
        return Err(SweepError(format!(
            "{} of {} runs have no result ({}{}); run the sweep again (or `overparam sweep plan \
             --resubmit-missing DIR`) to finish them, or merge with --allow-missing for a report \
             marked incomplete",
            missing_names.len(),
            plan.run_count(),
            shown.join(", "),
            if missing_names.len() > 10 {
                ", ..."
            } else {
                ""
            }
        )));
    }

    let report = dir.join(REPORT_DIR);
    let out = OutputDir::prepare(&report, OutputKind::SweepReport, true)
        .map_err(|e| SweepError(e.to_string()))?;
    let write = |out: &OutputDir| -> Result<(), overparam_report::OutputError> {
        let footer = format!("profile {}, master seeds {}", plan.profile, plan.seeds);
        let mut plots = Vec::new();
        for c in &claims {
            let mut written = Vec::new();
            for s in c.series.iter().filter(|s| s.kind == "criterion") {
                if let Some((path, svg)) = criterion_plot(&c.claim, s, &footer) {
                    out.write_text(&path, &svg)?;
                    written.push((s.name.clone(), Some(path)));
                } else {
                    written.push((s.name.clone(), None));
                }
            }
            plots.push(written);
        }
        out.write_text("summary.csv", &table_to_csv(&summary_table(&claims))?)?;
        out.write_text("criteria.csv", &table_to_csv(&criteria_table(&claims))?)?;
        out.write_text(
            "index.html",
            &index_html(plan, &claims, &missing_names, &plots),
        )?;
        out.write_text("summary.md", &summary_md(plan, &claims, &missing_names))?;
        out.write_text(PLAN_FILE, &plan.to_json())?;
        out.write_text("timings.csv", &table_to_csv(&timings)?)?;
        Ok(())
    };
    write(&out)
        .and_then(|()| out.commit())
        .map_err(|e| SweepError(format!("report not written: {e}")))?;
    Ok(MergeSummary {
        tasks: plan.run_count(),
        passes: claims.iter().map(|c| c.passes).sum(),
        fails: claims.iter().map(|c| c.fails).sum(),
        errors: claims.iter().map(|c| c.errors).sum(),
        missing: missing_names,
        report,
    })
}

/// A part task's wall time, peak memory and threads from `logs/task-<i>.timing` (three numbers,
/// written by the worker after its part file; missing fields empty).
fn part_timing_row(dir: &Path, task: &crate::Task) -> Vec<Value> {
    let text = fs::read_to_string(crate::timing_path(dir, task.index)).unwrap_or_default();
    let mut fields = text.split_whitespace();
    let mut float = || {
        fields
            .next()
            .and_then(|f| f.parse::<f64>().ok())
            .map_or(Value::Missing, Value::Float)
    };
    let (wall, peak) = (float(), float());
    let threads = match float() {
        Value::Float(t) => Value::Int(t as i64),
        other => other,
    };
    vec![
        Value::Int(task.index as i64),
        Value::Text(task.name.clone()),
        wall,
        peak,
        threads,
    ]
}

/// A task's wall time, peak memory and threads from its manifest.json (missing fields empty).
fn timing_row(task: &crate::Task, run_dir: &Path) -> Vec<Value> {
    let manifest: Option<Json> = fs::read_to_string(run_dir.join("manifest.json"))
        .ok()
        .and_then(|t| serde_json::from_str(&t).ok());
    let record = manifest
        .as_ref()
        .and_then(|m| m.get("claims")?.as_array()?.first().cloned());
    let get = |key: &str| {
        record
            .as_ref()
            .and_then(|r| r.get(key)?.as_f64())
            .map_or(Value::Missing, Value::Float)
    };
    let threads = manifest
        .as_ref()
        .and_then(|m| m.get("threads")?.as_i64())
        .map_or(Value::Missing, Value::Int);
    vec![
        Value::Int(task.index as i64),
        Value::Text(task.name.clone()),
        get("wall_time_s"),
        get("peak_rss_mib"),
        threads,
    ]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_every_comparator_and_non_finite_numbers() {
        let json: Json = serde_json::from_str(
            r#"{"name":"c","measured":"inf","comparator":{"between":{"upper":2.0}},
                "threshold":1.0,"holds":false,"interval":[null,3.5]}"#,
        )
        .unwrap();
        let m = measured(&json).unwrap();
        assert!(m.measured.is_infinite());
        assert_eq!((m.comparator.as_str(), m.upper), ("between", Some(2.0)));
        assert!(m.interval.unwrap().0.is_nan());
        let plain: Json = serde_json::from_str(
            r#"{"name":"c","measured":0.5,"comparator":"at_most","threshold":1,"holds":true}"#,
        )
        .unwrap();
        assert_eq!(measured(&plain).unwrap().comparator, "at_most");
    }
}
