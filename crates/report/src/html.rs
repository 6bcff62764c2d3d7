//! The human-readable report: DIR/index.html (self-contained, offline) and DIR/summary.md.

use std::fmt::Write;

use overparam_checks::{Comparator, Criterion, CriterionKind, Verdict};

use crate::{ClaimRun, Manifest};

/// A plot as written into the run directory: relative path and caption.
pub struct WrittenPlot {
    pub path: String,
    pub title: String,
    pub caption: String,
}

/// Text as HTML: the four characters that could open markup or end an attribute, escaped.
pub fn esc(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

/// Markdown table cells may not contain '|' or newlines.
pub fn md(s: &str) -> String {
    s.replace('|', "\\|").replace('\n', " ")
}

fn number(x: f64) -> String {
    if x.is_nan() {
        "NaN".to_owned()
    } else if x == 0.0 || (1e-3..1e4).contains(&x.abs()) {
        let s = format!("{x:.6}");
        let s = s.trim_end_matches('0').trim_end_matches('.');
        s.to_owned()
    } else {
        format!("{x:.4e}")
    }
}

fn comparison(c: &Criterion) -> String {
    match c.comparator {
        Comparator::Between { upper } => format!(
            "{} in [{}, {}]",
            number(c.measured),
            number(c.threshold),
            number(upper)
        ),
        Comparator::IntervalWithin { upper } => {
            let (lo, hi) = c.interval.unwrap_or((f64::NAN, f64::NAN));
            let level = c
                .level
                .map(|p| format!("{} ", level_text(p)))
                .unwrap_or_default();
            format!(
                "{} ({level}confidence interval [{}, {}]) within [{}, {}]",
                number(c.measured),
                number(lo),
                number(hi),
                number(c.threshold),
                number(upper)
            )
        }
        op => format!("{} {op} {}", number(c.measured), number(c.threshold)),
    }
}

/// A confidence level as a percentage with the digits it was chosen with: 0.95 -> "95%",
/// 0.9993 -> "99.93%".
fn level_text(p: f64) -> String {
    let pct = format!("{:.4}", 100.0 * p);
    let pct = pct.trim_end_matches('0').trim_end_matches('.');
    format!("{pct}%")
}

/// The criteria tables of a claim, evidence first: what tests the paper, then what tests the
/// computation.
const KINDS: [(CriterionKind, &str); 3] = [
    (
        CriterionKind::Hypothesis,
        "Hypotheses (the theorem applies only where each holds; a failed one makes the verdict \
         'hypothesis not met')",
    ),
    (
        CriterionKind::Evidence,
        "Evidence criteria (each must hold; they fail if the claim is false or the code is wrong)",
    ),
    (
        CriterionKind::Sanity,
        "Sanity criteria (each must hold; identities, residuals, bookkeeping)",
    ),
];

/// The criteria of each kind that has any, with its heading, evidence first.
fn by_kind(
    criteria: &[Criterion],
) -> impl Iterator<Item = (CriterionKind, &'static str, Vec<&Criterion>)> {
    KINDS.into_iter().filter_map(|(kind, heading)| {
        let of_kind: Vec<&Criterion> = criteria.iter().filter(|c| c.kind == kind).collect();
        (!of_kind.is_empty()).then_some((kind, heading, of_kind))
    })
}

fn verdict_class(v: Verdict) -> &'static str {
    match v {
        Verdict::Pass => "pass",
        Verdict::Fail => "fail",
        Verdict::Error => "error",
        Verdict::HypothesisNotMet => "unmet",
    }
}

fn headline(run: &ClaimRun) -> String {
    match &run.result {
        Ok(o) => o
            .headline_criterion()
            .map(|c| format!("{}: {}", c.name, comparison(c)))
            .unwrap_or_default(),
        Err(e) => format!("error: {e}"),
    }
}

const STYLE: &str = "body{font-family:system-ui,-apple-system,'Segoe UI',sans-serif;max-width:1100px;\
margin:2em auto;padding:0 1em;color:#222;line-height:1.45}h1{margin-bottom:.2em}\
table{border-collapse:collapse;width:100%;margin:.6em 0 1.2em}th,td{border:1px solid #ddd;\
padding:.35em .5em;vertical-align:top;text-align:left;font-size:.92em}th{background:#f4f4f4}\
.badge{display:inline-block;padding:.1em .55em;border-radius:.8em;font-weight:600;font-size:.85em}\
.pass{background:#d7f5dd;color:#14632a}.fail{background:#fbd9d9;color:#8a1616}\
.error{background:#fde9c8;color:#7a4a00}.unmet{background:#e4e4f7;color:#2a2a7a}.muted{color:#666;font-size:.9em}\
figure{margin:1em 0;border:1px solid #eee;padding:.5em}figure img{max-width:100%;height:auto}\
figcaption{color:#555;font-size:.9em}section.claim{border-top:2px solid #eee;margin-top:2em}\
code{background:#f6f6f6;padding:0 .2em}";

/// Counts images that finished loading with a non-zero size and records "loaded/total" on the
/// body, so a headless browser test can read whether every plot rendered.
const CHECK_SCRIPT: &str = "window.addEventListener('load',function(){var imgs=document.images,ok=0;\
for(var i=0;i<imgs.length;i++){if(imgs[i].complete&&imgs[i].naturalWidth>0)ok++;}\
document.body.setAttribute('data-plots-loaded',ok+'/'+imgs.length);});";

/// DIR/index.html.
pub fn index_html(manifest: &Manifest, runs: &[ClaimRun], plots: &[Vec<WrittenPlot>]) -> String {
    let mut h = String::new();
    let passed = runs.iter().filter(|r| r.verdict() == Verdict::Pass).count();
    let _ = write!(
        h,
        "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\
         <title>overparam report</title><style>{STYLE}</style></head>\n<body>\n"
    );
    let _ = write!(
        h,
        "<h1>overparam report</h1>\n<p class=\"muted\">{passed} of {} claims passed · profile \
         <b>{}</b> · master seed {} · {} threads · {} · commit <code>{}</code>{} · {}</p>\n",
        runs.len(),
        esc(manifest.profile),
        manifest.master_seed,
        manifest.threads,
        esc(&manifest.cpu_model),
        esc(if manifest.git_commit.is_empty() {
            "unknown"
        } else {
            manifest.git_commit
        }),
        if manifest.git_dirty == "true" {
            " (dirty)"
        } else {
            ""
        },
        esc(&manifest.finished_utc)
    );
    h.push_str(
        "<p>A claim passes only if every criterion holds <em>and</em> every negative control \
         fails. Every number below is reproducible from the master seed.</p>\n",
    );
    h.push_str(
        "<table id=\"verdicts\"><thead><tr><th>claim</th><th>paper</th><th>verdict</th>\
         <th>key measurement against its prediction</th></tr></thead><tbody>\n",
    );
    for run in runs {
        let v = run.verdict();
        let _ = writeln!(
            h,
            "<tr><td><a href=\"#{id}\"><code>{id}</code></a></td><td>{}</td><td><span \
             class=\"badge {c}\">{name}</span></td><td>{}</td></tr>",
            esc(run.info.paper),
            esc(&headline(run)),
            id = esc(run.info.id),
            c = verdict_class(v),
            name = v.name(),
        );
    }
    h.push_str("</tbody></table>\n");

    for (run, plots) in runs.iter().zip(plots) {
        let v = run.verdict();
        let _ = write!(
            h,
            "<section class=\"claim\" id=\"{id}\"><h2><code>{id}</code> <span class=\"badge \
             {c}\">{name}</span></h2>\n<p class=\"muted\">{}</p>\n<p>{}</p>\n",
            esc(run.info.paper),
            esc(run.info.statement),
            id = esc(run.info.id),
            c = verdict_class(v),
            name = v.name()
        );
        match &run.result {
            Err(e) => {
                let _ = writeln!(
                    h,
                    "<p><b>Could not be evaluated:</b> {}</p>",
                    esc(&e.to_string())
                );
            }
            Ok(o) => {
                for (kind, heading, of_kind) in by_kind(&o.criteria) {
                    let _ = writeln!(
                        h,
                        "<h3>{heading}</h3><table class=\"{}\"><thead><tr><th>criterion</th>\
                         <th>measured vs threshold</th><th>holds</th><th>why this threshold</th>\
                         </tr></thead><tbody>",
                        kind.name()
                    );
                    for c in of_kind {
                        let _ = writeln!(
                            h,
                            "<tr><td><code>{}</code></td><td>{}</td><td><span class=\"badge {}\">{}</span>\
                             </td><td>{}<br><span class=\"muted\">{}</span></td></tr>",
                            esc(&c.name),
                            esc(&comparison(c)),
                            if c.holds { "pass" } else { "fail" },
                            if c.holds { "yes" } else { "no" },
                            esc(&c.reason),
                            esc(&c.detail)
                        );
                    }
                    h.push_str("</tbody></table>\n");
                }
                h.push_str(
                    "<h3>Controls (each must fail)</h3><table><thead><tr><th>control</th>\
                     <th>what is violated or broken</th><th>criterion on the control</th>\
                     <th>failed as expected</th></tr></thead><tbody>\n",
                );
                for c in &o.controls {
                    let _ = writeln!(
                        h,
                        "<tr><td><code>{}</code></td><td>{}</td><td><code>{}</code>: {}<br>\
                         <span class=\"muted\">{}</span></td><td><span class=\"badge {}\">{}</span>\
                         </td></tr>",
                        esc(&c.name),
                        esc(&c.description),
                        esc(&c.criterion.name),
                        esc(&comparison(&c.criterion)),
                        esc(&c.criterion.detail),
                        if c.failed_as_expected { "pass" } else { "fail" },
                        if c.failed_as_expected { "yes" } else { "no" }
                    );
                }
                h.push_str("</tbody></table>\n");
                for p in plots {
                    let _ = writeln!(
                        h,
                        "<figure><img src=\"{}\" alt=\"{}\" width=\"820\" height=\"520\">\
                         <figcaption>{}</figcaption></figure>",
                        esc(&p.path),
                        esc(&p.title),
                        esc(&p.caption)
                    );
                }
                let files: Vec<String> = o
                    .tables
                    .iter()
                    .map(|t| {
                        format!(
                            "<a href=\"{id}/{n}.csv\">{n}.csv</a>",
                            id = esc(run.info.id),
                            n = esc(&t.name)
                        )
                    })
                    .collect();
                let _ = writeln!(
                    h,
                    "<p class=\"muted\">Evidence: {} · <a href=\"{}/verdict.json\">verdict.json</a>\
                     </p>",
                    files.join(" · "),
                    esc(run.info.id)
                );
            }
        }
        h.push_str("</section>\n");
    }
    let _ = write!(
        h,
        "<p class=\"muted\">overparam {} · {} · {}</p>\n<script>{CHECK_SCRIPT}</script>\n\
         </body></html>\n",
        esc(manifest.tool_version),
        esc(manifest.rustc),
        esc(manifest.target)
    );
    h
}

/// DIR/summary.md.
pub fn summary_md(manifest: &Manifest, runs: &[ClaimRun], plots: &[Vec<WrittenPlot>]) -> String {
    let mut m = String::new();
    let passed = runs.iter().filter(|r| r.verdict() == Verdict::Pass).count();
    let _ = writeln!(m, "# overparam report\n");
    let _ = writeln!(
        m,
        "{passed} of {} claims passed. Profile `{}`, master seed {}, {} threads, commit `{}`{}.\n",
        runs.len(),
        manifest.profile,
        manifest.master_seed,
        manifest.threads,
        if manifest.git_commit.is_empty() {
            "unknown"
        } else {
            manifest.git_commit
        },
        if manifest.git_dirty == "true" {
            " (dirty)"
        } else {
            ""
        }
    );
    m.push_str("| claim | paper | verdict | key measurement |\n|---|---|---|---|\n");
    for run in runs {
        let _ = writeln!(
            m,
            "| `{}` | {} | **{}** | {} |",
            run.info.id,
            md(run.info.paper),
            run.verdict().name(),
            md(&headline(run))
        );
    }
    for (run, plots) in runs.iter().zip(plots) {
        let _ = writeln!(
            m,
            "\n## `{}`: {}\n\n{}\n",
            run.info.id,
            run.verdict().name(),
            md(run.info.statement)
        );
        match &run.result {
            Err(e) => {
                let _ = writeln!(m, "Could not be evaluated: {e}");
            }
            Ok(o) => {
                for (_, heading, of_kind) in by_kind(&o.criteria) {
                    let _ = writeln!(
                        m,
                        "**{heading}**\n\n| criterion | measured vs threshold | holds | reason |\n\
                         |---|---|---|---|"
                    );
                    for c in of_kind {
                        let _ = writeln!(
                            m,
                            "| `{}` | {} | {} | {} |",
                            c.name,
                            md(&comparison(c)),
                            if c.holds { "yes" } else { "**no**" },
                            md(&c.reason)
                        );
                    }
                    m.push('\n');
                }
                m.push_str("| control (must fail) | criterion | measured vs threshold | failed |\n|---|---|---|---|\n");
                for c in &o.controls {
                    let _ = writeln!(
                        m,
                        "| `{}` | `{}` | {} | {} |",
                        c.name,
                        c.criterion.name,
                        md(&comparison(&c.criterion)),
                        if c.failed_as_expected {
                            "yes"
                        } else {
                            "**no**"
                        }
                    );
                }
                for p in plots {
                    let _ = writeln!(m, "\n![{}]({})\n\n*{}*", p.title, p.path, md(&p.caption));
                }
            }
        }
    }
    m
}

#[cfg(test)]
mod tests {
    use super::level_text;

    #[test]
    fn levels_print_as_the_percentages_they_were_chosen_as() {
        assert_eq!(level_text(0.95), "95%");
        assert_eq!(level_text(0.99), "99%");
        assert_eq!(level_text(1.0 - 0.0007), "99.93%");
        assert_eq!(level_text(0.999), "99.9%");
    }
}
