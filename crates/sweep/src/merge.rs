//! The merge: every task's verdict.json, in task order, into pass rates (Wilson intervals),
//! per-criterion and per-control counts, distributions of the measured values, and plots.

use std::fmt::Write as _;
use std::fs;
use std::path::{Path, PathBuf};

use overparam_checks::stats::wilson_interval;
use overparam_checks::{PlotSpec, Reference, Table, Value, Verdict};
use overparam_report::{
    OutputDir, OutputKind, html_escape as esc, markdown_cell as md, render_svg, table_to_csv,
};
use serde_json::Value as Json;

use crate::{PLAN_FILE, Plan, REPORT_DIR, SweepError, TaskState, task_state};

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
}

/// A task's verdict.json, as much of it as the merge uses.
#[derive(Debug, Clone)]
pub(crate) struct TaskVerdict {
    pub(crate) verdict: Verdict,
    criteria: Vec<Measured>,
    /// Each control's criterion and whether it failed as required.
    controls: Vec<(Measured, bool)>,
    error: Option<String>,
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
    Ok(Measured {
        name: text(v, "name")?,
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
        let verdict = match text(&v, "verdict")?.as_str() {
            "pass" => Verdict::Pass,
            "fail" => Verdict::Fail,
            "error" => Verdict::Error,
            other => return Err(format!("unknown verdict '{other}'")),
        };
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
        })
    };
    parse().map_err(|e| format!("{}: {e}", path.display()))
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
    pub tasks: usize,
    pub passes: usize,
    pub fails: usize,
    pub errors: usize,
    /// Names of the tasks without a result (only with `allow_missing`).
    pub missing: Vec<String>,
    pub report: PathBuf,
}

/// One criterion or control of one claim across the seeds, in order of first appearance.
struct Series {
    /// "criterion" or "control".
    kind: &'static str,
    name: String,
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
            ("interval_within", Some(u)) => format!("95% interval within [{t}, {}]", short(u)),
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

    fn series(&mut self, kind: &'static str, m: &Measured) -> &mut Series {
        let at = match self
            .series
            .iter()
            .position(|s| s.kind == kind && s.name == m.name)
        {
            Some(at) => at,
            None => {
                self.series.push(Series {
                    kind,
                    name: m.name.clone(),
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

/// Shortest round-trip text of a float, as everywhere in overparam's CSV.
fn csv_float(x: f64) -> String {
    format!("{x:?}")
}

/// A float for people: six significant digits.
fn short(x: f64) -> String {
    if x.is_nan() {
        "NaN".to_owned()
    } else if x.is_infinite() {
        if x > 0.0 { "inf" } else { "-inf" }.to_owned()
    } else if x == 0.0 || (1e-3..1e4).contains(&x.abs()) {
        let s = format!("{x:.6}");
        s.trim_end_matches('0').trim_end_matches('.').to_owned()
    } else {
        format!("{x:.4e}")
    }
}

/// Quantile `q` of sorted, NaN-free `v` by linear interpolation between order statistics
/// (R's type 7, numpy's default).
fn quantile(v: &[f64], q: f64) -> f64 {
    let h = (v.len() - 1) as f64 * q;
    let (lo, hi) = (h.floor() as usize, h.ceil() as usize);
    if lo == hi || v[lo] == v[hi] {
        v[lo]
    } else {
        v[lo] + (h - lo as f64) * (v[hi] - v[lo])
    }
}

/// min, q1, median, q3, max of the non-NaN values, and how many were NaN.
fn distribution(values: &[f64]) -> (Option<[f64; 5]>, usize) {
    let mut v: Vec<f64> = values.iter().copied().filter(|x| !x.is_nan()).collect();
    let nan = values.len() - v.len();
    if v.is_empty() {
        return (None, nan);
    }
    v.sort_by(f64::total_cmp);
    let q = [0.0, 0.25, 0.5, 0.75, 1.0].map(|q| quantile(&v, q));
    (Some(q), nan)
}

/// A file name for a criterion's plot: letters, digits, '-', '_' and '.' kept, others '_'.
fn file_stem(name: &str) -> String {
    name.chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.') {
                c
            } else {
                '_'
            }
        })
        .collect()
}

/// The plot of one criterion's measured value against the master seed, with its threshold
/// (and band) as reference lines; None when no value is finite.
fn criterion_plot(claim: &str, s: &Series, footer: &str) -> Option<(String, String)> {
    let mut table = Table::new("values", &["seed", "measured", "low", "high"]);
    for v in &s.values {
        let (lo, hi) = v
            .interval
            .map_or((Value::Missing, Value::Missing), |(l, h)| {
                (Value::Float(l), Value::Float(h))
            });
        table.push(vec![
            Value::Int(v.seed as i64),
            Value::Float(v.measured),
            lo,
            hi,
        ]);
    }
    let file = file_stem(&s.name);
    let mut spec = PlotSpec::new(
        &file,
        &format!("{claim}: {}", s.name),
        "values",
        ("seed", "master seed"),
        (&["measured"], "measured value"),
    )
    .points()
    .caption(format!("criterion {}, {}", s.name, s.threshold_text()));
    if s.values.iter().any(|v| v.interval.is_some()) {
        spec = spec.error_bars("low", "high");
    }
    if !s.threshold_varies {
        let label = if s.upper.is_some() {
            "lower"
        } else {
            "threshold"
        };
        spec = spec.reference(Reference::horizontal(label, s.threshold));
        if let Some(u) = s.upper {
            spec = spec.reference(Reference::horizontal("upper", u));
        }
    }
    // Residual-like criteria span many decades below their threshold: log axis when positive.
    let mut positive: Vec<f64> = s
        .values
        .iter()
        .map(|v| v.measured)
        .filter(|x| x.is_finite())
        .collect();
    if !s.threshold_varies {
        positive.push(s.threshold);
    }
    let (lo, hi) = positive
        .iter()
        .fold((f64::INFINITY, 0.0f64), |(a, b), &x| (a.min(x), b.max(x)));
    if !positive.is_empty() && positive.iter().all(|&x| x > 0.0) && hi / lo > 1e3 {
        spec = spec.log_y();
    }
    render_svg(&spec, &table, footer)
        .ok()
        .map(|svg| (format!("plots/{}/{file}.svg", file_stem(claim)), svg))
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
        };
        for task in plan.tasks_of(claim) {
            summary.seeds += 1;
            let run_dir = dir.join(&task.dir);
            let verdict = match task_state(dir, task) {
                TaskState::Finished(_) => {
                    read_verdict(&run_dir, claim).map_err(|e| SweepError(e.to_string()))?
                }
                TaskState::Missing | TaskState::Damaged(_) => {
                    summary.missing.push(task.seed);
                    missing_names.push(task.name.clone());
                    continue;
                }
            };
            match verdict.verdict {
                Verdict::Pass => summary.passes += 1,
                Verdict::Fail => {
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
            timings.push(timing_row(task, &run_dir));
        }
        claims.push(summary);
    }
    if !missing_names.is_empty() && !allow_missing {
        let shown: Vec<&str> = missing_names.iter().take(10).map(String::as_str).collect();
        return Err(SweepError(format!(
            "{} of {} tasks have no result ({}{}); run the sweep again to finish them, or merge \
             with --allow-missing for a report marked incomplete",
            missing_names.len(),
            plan.tasks.len(),
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
        tasks: plan.tasks.len(),
        passes: claims.iter().map(|c| c.passes).sum(),
        fails: claims.iter().map(|c| c.fails).sum(),
        errors: claims.iter().map(|c| c.errors).sum(),
        missing: missing_names,
        report,
    })
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

fn optional(x: Option<f64>) -> Value {
    x.map_or(Value::Missing, |x| Value::Text(csv_float(x)))
}

fn summary_table(claims: &[ClaimSummary]) -> Table {
    let mut t = Table::new(
        "summary",
        &[
            "claim",
            "seeds",
            "passes",
            "fails",
            "errors",
            "missing",
            "pass_rate",
            "wilson95_low",
            "wilson95_high",
        ],
    );
    for c in claims {
        let w = c.wilson();
        t.push(vec![
            Value::Text(c.claim.clone()),
            c.seeds.into(),
            c.passes.into(),
            c.fails.into(),
            c.errors.into(),
            c.missing.len().into(),
            optional(c.pass_rate()),
            optional(w.map(|w| w.0)),
            optional(w.map(|w| w.1)),
        ]);
    }
    t
}

fn criteria_table(claims: &[ClaimSummary]) -> Table {
    let mut t = Table::new(
        "criteria",
        &[
            "claim",
            "kind",
            "name",
            "comparator",
            "threshold",
            "upper",
            "seeds",
            "held",
            "failed",
            "nan",
            "min",
            "q1",
            "median",
            "q3",
            "max",
        ],
    );
    for c in claims {
        for s in &c.series {
            let (held, failed) = s.counts();
            let values: Vec<f64> = s.values.iter().map(|v| v.measured).collect();
            let (dist, nan) = distribution(&values);
            let (comparator, threshold, upper) = if s.threshold_varies {
                (Value::Text("varies".into()), Value::Missing, Value::Missing)
            } else {
                (
                    Value::Text(s.comparator.clone()),
                    Value::Text(csv_float(s.threshold)),
                    optional(s.upper),
                )
            };
            let mut row = vec![
                Value::Text(c.claim.clone()),
                Value::Text(s.kind.to_owned()),
                Value::Text(s.name.clone()),
                comparator,
                threshold,
                upper,
                s.values.len().into(),
                held.into(),
                failed.into(),
                nan.into(),
            ];
            match dist {
                Some(q) => row.extend(q.map(|x| Value::Text(csv_float(x)))),
                None => row.extend([(); 5].map(|()| Value::Missing)),
            }
            t.push(row);
        }
    }
    t
}

fn wilson_text(c: &ClaimSummary) -> String {
    c.wilson().map_or("n/a".to_owned(), |(l, h)| {
        format!("[{}, {}]", short(l), short(h))
    })
}

fn plan_line(plan: &Plan) -> String {
    format!(
        "{} claims × master seeds {} ({} seeds) = {} tasks · profile {} · overparam {} · commit {} \
         · Cargo.lock SHA-256 {}",
        plan.claims.len(),
        plan.seeds,
        plan.seeds.count(),
        plan.tasks.len(),
        plan.profile,
        plan.tool_version,
        if plan.git_commit.is_empty() {
            "unknown"
        } else {
            &plan.git_commit
        },
        &plan.cargo_lock_sha256
    )
}

fn incomplete_line(plan: &Plan, missing: &[String]) -> Option<String> {
    (!missing.is_empty()).then(|| {
        format!(
            "INCOMPLETE: {} of {} tasks have no result and are left out: {}",
            missing.len(),
            plan.tasks.len(),
            missing.join(", ")
        )
    })
}

/// What `held` and `failed` count, under each claim's table.
const COUNTS_NOTE: &str = "held / failed: seeds where a criterion held or not; for a control, \
seeds where its criterion held (the control did not fail) or failed, as a control must.";
const COUNTS_NOTE_HTML: &str = "<p class=\"muted\">held / failed: seeds where a criterion held \
or not; for a control, seeds where its criterion held (the control did not fail) or failed, as a \
control must.</p>\n";

const STYLE: &str = "body{font-family:system-ui,sans-serif;max-width:1100px;margin:2em auto;\
padding:0 1em;color:#222;line-height:1.45}table{border-collapse:collapse;width:100%;\
margin:.6em 0 1.2em}th,td{border:1px solid #ddd;padding:.35em .5em;text-align:left;\
font-size:.92em}th{background:#f4f4f4}.muted{color:#666;font-size:.9em}\
.incomplete{background:#fde9c8;color:#7a4a00;padding:.5em;font-weight:600}\
figure{margin:1em 0;border:1px solid #eee;padding:.5em}figure img{max-width:100%;height:auto}\
section.claim{border-top:2px solid #eee;margin-top:2em}";

fn index_html(
    plan: &Plan,
    claims: &[ClaimSummary],
    missing: &[String],
    plots: &[Vec<(String, Option<String>)>],
) -> String {
    let mut h = String::new();
    let _ = write!(
        h,
        "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\
         <title>overparam sweep</title><style>{STYLE}</style></head>\n<body>\n\
         <h1>overparam sweep</h1>\n<p class=\"muted\">{}</p>\n",
        esc(&plan_line(plan))
    );
    if let Some(line) = incomplete_line(plan, missing) {
        let _ = writeln!(h, "<p class=\"incomplete\">{}</p>", esc(&line));
    }
    h.push_str(
        "<h2>Pass rates</h2>\n<table><tr><th>claim</th><th>seeds</th><th>pass</th><th>fail</th>\
         <th>error</th><th>missing</th><th>pass rate</th><th>Wilson 95%</th></tr>\n",
    );
    for c in claims {
        let _ = writeln!(
            h,
            "<tr><td><a href=\"#{id}\">{id}</a></td><td>{}</td><td>{}</td><td>{}</td><td>{}</td>\
             <td>{}</td><td>{}</td><td>{}</td></tr>",
            c.seeds,
            c.passes,
            c.fails,
            c.errors,
            c.missing.len(),
            c.pass_rate().map_or("n/a".to_owned(), short),
            wilson_text(c),
            id = esc(&c.claim)
        );
    }
    h.push_str("</table>\n");
    for (c, plots) in claims.iter().zip(plots) {
        let _ = writeln!(
            h,
            "<section class=\"claim\" id=\"{id}\"><h2>{id}</h2>",
            id = esc(&c.claim)
        );
        let seeds_list = |seeds: &[u64]| {
            seeds
                .iter()
                .map(|s| {
                    format!(
                        "<a href=\"../{}/seed-{s}/index.html\">{s}</a>",
                        esc(&crate::claim_tasks_dir(&c.claim))
                    )
                })
                .collect::<Vec<_>>()
                .join(", ")
        };
        if !c.failed_seeds.is_empty() {
            let _ = writeln!(h, "<p>Failed at seeds {}.</p>", seeds_list(&c.failed_seeds));
        }
        for (seed, message) in &c.error_messages {
            let _ = writeln!(
                h,
                "<p>Error at seed {}: {}</p>",
                seeds_list(&[*seed]),
                esc(message)
            );
        }
        h.push_str(
            "<table><tr><th>kind</th><th>name</th><th>threshold</th><th>held</th><th>failed</th>\
             <th>min</th><th>q1</th><th>median</th><th>q3</th><th>max</th></tr>\n",
        );
        for s in &c.series {
            let (held, failed) = s.counts();
            let values: Vec<f64> = s.values.iter().map(|v| v.measured).collect();
            let (dist, nan) = distribution(&values);
            let cells = dist.map_or(
                [
                    "n/a".to_owned(),
                    String::new(),
                    String::new(),
                    String::new(),
                    String::new(),
                ],
                |q| q.map(short),
            );
            let nan_note = if nan > 0 {
                format!(" ({nan} NaN)")
            } else {
                String::new()
            };
            let _ = writeln!(
                h,
                "<tr><td>{}</td><td>{}</td><td>{}</td><td>{held}</td><td>{failed}</td><td>{}{nan_note}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
                s.kind,
                esc(&s.name),
                esc(&s.threshold_text()),
                cells[0],
                cells[1],
                cells[2],
                cells[3],
                cells[4]
            );
        }
        h.push_str("</table>\n");
        h.push_str(COUNTS_NOTE_HTML);
        for (name, path) in plots {
            match path {
                Some(p) => {
                    let _ = writeln!(
                        h,
                        "<figure><img src=\"{}\" alt=\"{}\"></figure>",
                        esc(p),
                        esc(name)
                    );
                }
                None => {
                    let _ = writeln!(
                        h,
                        "<p class=\"muted\">{}: no finite value to plot.</p>",
                        esc(name)
                    );
                }
            }
        }
        h.push_str("</section>\n");
    }
    h.push_str("</body></html>\n");
    h
}

fn summary_md(plan: &Plan, claims: &[ClaimSummary], missing: &[String]) -> String {
    let mut m = String::new();
    let _ = writeln!(m, "# overparam sweep\n\n{}\n", plan_line(plan));
    if let Some(line) = incomplete_line(plan, missing) {
        let _ = writeln!(m, "**{line}**\n");
    }
    m.push_str(
        "| claim | seeds | pass | fail | error | missing | pass rate | Wilson 95% |\n\
         |---|---|---|---|---|---|---|---|\n",
    );
    for c in claims {
        let _ = writeln!(
            m,
            "| `{}` | {} | {} | {} | {} | {} | {} | {} |",
            c.claim,
            c.seeds,
            c.passes,
            c.fails,
            c.errors,
            c.missing.len(),
            c.pass_rate().map_or("n/a".to_owned(), short),
            wilson_text(c)
        );
    }
    for c in claims {
        let _ = writeln!(
            m,
            "\n## `{}`\n\n| kind | name | threshold | held | failed | min | median | max |\n\
             |---|---|---|---|---|---|---|---|",
            c.claim
        );
        for s in &c.series {
            let (held, failed) = s.counts();
            let values: Vec<f64> = s.values.iter().map(|v| v.measured).collect();
            let (dist, _) = distribution(&values);
            let [lo, med, hi] = dist
                .map_or(["n/a".to_owned(), String::new(), String::new()], |q| {
                    [short(q[0]), short(q[2]), short(q[4])]
                });
            let _ = writeln!(
                m,
                "| {} | {} | {} | {held} | {failed} | {lo} | {med} | {hi} |",
                s.kind,
                md(&s.name),
                md(&s.threshold_text())
            );
        }
        let _ = writeln!(m, "\n{COUNTS_NOTE}");
    }
    m
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quantiles_interpolate_between_order_statistics() {
        let v = [1.0, 2.0, 3.0, 4.0];
        assert_eq!(quantile(&v, 0.0), 1.0);
        assert_eq!(quantile(&v, 0.5), 2.5);
        assert_eq!(quantile(&v, 0.25), 1.75);
        assert_eq!(quantile(&v, 1.0), 4.0);
        let (d, nan) = distribution(&[f64::NAN, 3.0, f64::INFINITY, 1.0]);
        assert_eq!(nan, 1);
        assert_eq!(d.unwrap(), [1.0, 2.0, 3.0, f64::INFINITY, f64::INFINITY]);
        assert_eq!(distribution(&[f64::NAN]), (None, 1));
    }

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
