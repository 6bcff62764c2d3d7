//! The merge's outputs: summary.csv, criteria.csv, index.html, summary.md and the plots, each a
//! function of the claims' summaries in plan order.

use std::fmt::Write as _;

use overparam_checks::{PlotSpec, Reference, Table, Value};
use overparam_report::{html_escape as esc, markdown_cell as md, render_svg};

use super::{ClaimSummary, Series};
use crate::Plan;

/// Shortest round-trip text of a float, as everywhere in overparam's CSV.
fn csv_float(x: f64) -> String {
    format!("{x:?}")
}

/// A float for people: six significant digits.
pub(super) fn short(x: f64) -> String {
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
pub(super) fn criterion_plot(claim: &str, s: &Series, footer: &str) -> Option<(String, String)> {
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

fn optional(x: Option<f64>) -> Value {
    x.map_or(Value::Missing, |x| Value::Text(csv_float(x)))
}

pub(super) fn summary_table(claims: &[ClaimSummary]) -> Table {
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
            "designed_false_failure",
            "designed_pass_rate_min",
            "chance_of_failures",
            "design_varies",
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
            optional(c.designed_rate()),
            optional(c.designed_rate().map(|r| 1.0 - r)),
            optional(c.chance_of_failures()),
            Value::Text(c.declared_varies.to_string()),
        ]);
    }
    t
}

pub(super) fn criteria_table(claims: &[ClaimSummary]) -> Table {
    let mut t = Table::new(
        "criteria",
        &[
            "claim",
            "kind",
            "name",
            "class",
            "target",
            "rule",
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
                Value::Text(s.class.clone()),
                Value::Text(s.target.clone()),
                Value::Text(s.rule.clone()),
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

/// The pass-rate table's cells after the claim: seeds, passes, fails, errors, missing, pass
/// rate, its Wilson interval, the designed false-failure rate and the chance of the failures.
fn rate_cells(c: &ClaimSummary) -> [String; 9] {
    let or_na = |x: Option<f64>| x.map_or("n/a".to_owned(), short);
    [
        c.seeds.to_string(),
        c.passes.to_string(),
        c.fails.to_string(),
        c.errors.to_string(),
        c.missing.len().to_string(),
        or_na(c.pass_rate()),
        wilson_text(c),
        or_na(c.designed_rate()),
        or_na(c.chance_of_failures()),
    ]
}

fn wilson_text(c: &ClaimSummary) -> String {
    c.wilson().map_or("n/a".to_owned(), |(l, h)| {
        format!("[{}, {}]", short(l), short(h))
    })
}

/// The designed false-failure rate as a reader compares it with the pass rate, or why not.
fn design_text(c: &ClaimSummary) -> String {
    let Some(d) = &c.declared else {
        return "not recorded in the task verdicts".to_owned();
    };
    let Some(rate) = c.designed_rate() else {
        return "not declared".to_owned();
    };
    let chance = c.chance_of_failures().map_or("n/a".to_owned(), short);
    format!(
        "{} (designed pass rate >= {}); P(at least {} of {} seeds fail | design) = {chance}{}: {}",
        short(rate),
        short(1.0 - rate),
        c.fails + c.errors,
        c.passes + c.fails + c.errors,
        if c.declared_varies {
            "; tasks disagree about the declaration, the first is shown"
        } else {
            ""
        },
        d.design
    )
}

/// How to read the design line.
const DESIGN_NOTE: &str = "Designed false-failure rate: the probability, declared by the claim \
from its statistical design, that a correct implementation fails at one seed by chance. \
P(at least k of n seeds fail | design) is the binomial chance of the observed failures (and \
errors) or more under that rate: a small value (say below 0.05) means the failures are not \
explained by chance at the declared design.";

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
            "INCOMPLETE: {} of {} runs have no result and are left out: {}",
            missing.len(),
            plan.run_count(),
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

pub(super) fn index_html(
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
         <th>error</th><th>missing</th><th>pass rate</th><th>Wilson 95%</th>\
         <th>designed false-failure rate</th><th>P(this many failures | design)</th></tr>\n",
    );
    for c in claims {
        let _ = writeln!(
            h,
            "<tr><td><a href=\"#{id}\">{id}</a></td><td>{}</td></tr>",
            rate_cells(c).map(|s| esc(&s)).join("</td><td>"),
            id = esc(&c.claim)
        );
    }
    h.push_str("</table>\n");
    let _ = writeln!(h, "<p class=\"muted\">{}</p>", esc(DESIGN_NOTE));
    for (c, plots) in claims.iter().zip(plots) {
        let _ = writeln!(
            h,
            "<section class=\"claim\" id=\"{id}\"><h2>{id}</h2>\n<p>Designed false-failure \
             rate: {}</p>",
            esc(&design_text(c)),
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
            "<table><tr><th>kind</th><th>name</th><th>declared rule</th><th>threshold as run</th>\
             <th>held</th><th>failed</th><th>min</th><th>q1</th><th>median</th><th>q3</th>\
             <th>max</th></tr>\n",
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
                "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{held}</td><td>{failed}</td>\
                 <td>{}{nan_note}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
                esc(&s.kind_text()),
                esc(&s.name_text()),
                esc(&s.rule),
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

pub(super) fn summary_md(plan: &Plan, claims: &[ClaimSummary], missing: &[String]) -> String {
    let mut m = String::new();
    let _ = writeln!(m, "# overparam sweep\n\n{}\n", plan_line(plan));
    if let Some(line) = incomplete_line(plan, missing) {
        let _ = writeln!(m, "**{line}**\n");
    }
    m.push_str(
        "| claim | seeds | pass | fail | error | missing | pass rate | Wilson 95% | designed \
         false-failure rate | P(this many failures \\| design) |\n\
         |---|---|---|---|---|---|---|---|---|---|\n",
    );
    for c in claims {
        let _ = writeln!(
            m,
            "| `{}` | {} |",
            c.claim,
            rate_cells(c).map(|s| md(&s)).join(" | ")
        );
    }
    let _ = writeln!(m, "\n{DESIGN_NOTE}");
    for c in claims {
        let _ = writeln!(
            m,
            "\n## `{}`\n\nDesigned false-failure rate: {}\n\n| kind | name | declared rule | \
             threshold as run | held | failed | min | median | max |\n\
             |---|---|---|---|---|---|---|---|---|",
            c.claim,
            md(&design_text(c))
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
                "| {} | {} | {} | {} | {held} | {failed} | {lo} | {med} | {hi} |",
                s.kind_text(),
                md(&s.name_text()),
                md(&s.rule),
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
}
