//! Run directories: the files a claim run leaves behind for people and for CI.
//!
//! ```text
//! DIR/manifest.json          provenance: tool, git, Cargo.lock hash, rustc, CPU, threads,
//!                            profile, seed rule, times, per-claim wall time and peak memory
//! DIR/index.html, summary.md verdict table and, per claim, criteria, controls and plots
//! DIR/<claim id>/verdict.json  verdict, criteria, controls (deterministic: no timings)
//! DIR/<claim id>/<table>.csv   evidence tables, tidy, one observation per row
//! DIR/<claim id>/<plot>.svg    plots declared by the claim
//! ```
//!
//! Writing is all-or-nothing: everything goes into a staging directory beside DIR, which is
//! renamed into place only when complete, so an interrupted run never leaves a directory that
//! looks finished. This crate formats and writes; it knows no mathematics.

mod diff;
mod html;
mod manifest;
pub mod marker;
mod plot;
mod write;

/// Pure entry points over bytes for the cargo-fuzz targets of the diff's readers.
#[doc(hidden)]
pub use diff::fuzz as fuzzing;
pub use diff::{
    COLUMN_SCALE_FLOOR, DEFAULT_RELATIVE_TOLERANCE, DiffReport, DiffRow, MAX_CHANGED_CELLS_SHOWN,
    MAX_FILE_BYTES, ROUNDING_FLOOR, Status, diff_runs,
};
pub use html::{esc as html_escape, md as markdown_cell};
pub use manifest::{
    ClaimRecord, Manifest, cargo_lock_sha256, git_commit, peak_memory_mib, reset_peak_memory,
    timestamp_utc,
};
pub use marker::{MARKER_FILE, Marker, MarkerError, OutputKind, read_marker};
/// The evidence table types, re-exported so that tools that write tables take them from the
/// crate that writes them, not from the claims.
pub use overparam_checks::{Table, Value};
pub use plot::render_svg;
pub use write::{OutputDir, OutputError, check_output_file, remove_live_outputs, table_to_csv};

use overparam_checks::{ClaimError, ClaimInfo, Outcome, Verdict};
use serde::Serialize;

/// The result of running one claim, as the report sees it.
pub struct ClaimRun {
    pub info: ClaimInfo,
    pub result: Result<Outcome, ClaimError>,
    pub wall_time_s: f64,
}

impl ClaimRun {
    pub fn verdict(&self) -> Verdict {
        match &self.result {
            Ok(o) => o.verdict(),
            Err(_) => Verdict::Error,
        }
    }
}

/// The content of `<claim id>/verdict.json`. Deterministic for a given seed and profile: it
/// holds no timings or timestamps, so runs can be compared byte for byte.
#[derive(Serialize)]
pub struct VerdictFile<'a> {
    pub claim: &'a str,
    pub paper: &'a str,
    pub verdict: Verdict,
    pub statement: &'a str,
    pub criteria: &'a [overparam_checks::Criterion],
    pub controls: &'a [overparam_checks::Control],
    /// The error that stopped the claim, when verdict is "error".
    pub error: Option<String>,
    /// Evidence files written beside this one.
    pub evidence: Vec<String>,
    /// What the claim declared before it ran, so that a sweep's merge reads the design from
    /// the run directories rather than from whichever binary merges them.
    pub declared: Declared<'a>,
}

/// The claim's declared design: the false-failure rate and each criterion's kind and rule.
#[derive(Serialize)]
pub struct Declared<'a> {
    pub false_failure: overparam_checks::FalseFailure,
    pub criteria: Vec<DeclaredCriterion<'a>>,
}

/// One criterion as its spec declares it; `rule` is the text `overparam show` prints.
#[derive(Serialize)]
pub struct DeclaredCriterion<'a> {
    pub name: &'a str,
    pub kind: overparam_checks::CriterionKind,
    pub rule: String,
}

impl<'a> Declared<'a> {
    pub fn new(info: &'a ClaimInfo) -> Self {
        Declared {
            false_failure: info.false_failure,
            criteria: info
                .criteria
                .iter()
                .map(|s| DeclaredCriterion {
                    name: s.name,
                    kind: s.kind,
                    rule: s.rule.to_string(),
                })
                .collect(),
        }
    }
}

impl<'a> VerdictFile<'a> {
    pub fn new(run: &'a ClaimRun) -> Self {
        let (criteria, controls, error, evidence): (&[_], &[_], _, _) = match &run.result {
            Ok(o) => (
                &o.criteria,
                &o.controls,
                None,
                o.tables.iter().map(|t| format!("{}.csv", t.name)).collect(),
            ),
            Err(e) => (&[], &[], Some(e.to_string()), Vec::new()),
        };
        VerdictFile {
            claim: run.info.id,
            paper: run.info.paper,
            verdict: run.verdict(),
            statement: run.info.statement,
            criteria,
            controls,
            error,
            evidence,
            declared: Declared::new(&run.info),
        }
    }
}

/// Writes the whole run (manifest, verdicts, evidence, plots, HTML and Markdown summaries) into
/// the staged output directory and moves it into place. The directory must have been prepared
/// as [`OutputKind::Run`]: its marker, written when staging began, is what lets a later run
/// replace it and `diff` accept it.
pub fn write_run(
    out: OutputDir,
    manifest: &Manifest,
    runs: &[ClaimRun],
) -> Result<(), OutputError> {
    if out.kind() != OutputKind::Run {
        return Err(OutputError::Format(format!(
            "{} was prepared for '{}' output, not a run",
            out.target().display(),
            out.kind().name()
        )));
    }
    let footer = format!(
        "profile {}, master seed {}",
        manifest.profile, manifest.master_seed
    );
    let mut all_plots = Vec::with_capacity(runs.len());
    for run in runs {
        let dir = run.info.id;
        out.write_json(&format!("{dir}/verdict.json"), &VerdictFile::new(run))?;
        let mut plots = Vec::new();
        if let Ok(outcome) = &run.result {
            for table in &outcome.tables {
                out.write_text(&format!("{dir}/{}.csv", table.name), &table_to_csv(table)?)?;
            }
            for spec in &outcome.plots {
                let rendered = outcome
                    .table(&spec.table)
                    .ok_or_else(|| format!("no evidence table named {}", spec.table))
                    .and_then(|t| render_svg(spec, t, &footer));
                let caption = if spec.caption.is_empty() {
                    footer.clone()
                } else {
                    format!("{}; {footer}", spec.caption)
                };
                match rendered {
                    Ok(svg) => {
                        let path = format!("{dir}/{}.svg", spec.file);
                        out.write_text(&path, &svg)?;
                        plots.push(html::WrittenPlot {
                            path,
                            title: spec.title.clone(),
                            caption,
                        });
                    }
                    Err(e) => {
                        return Err(OutputError::Format(format!(
                            "plot {} of {dir}: {e}",
                            spec.file
                        )));
                    }
                }
            }
        }
        all_plots.push(plots);
    }
    out.write_text("index.html", &html::index_html(manifest, runs, &all_plots))?;
    out.write_text("summary.md", &html::summary_md(manifest, runs, &all_plots))?;
    out.write_json("manifest.json", manifest)?;
    out.commit()
}
