//! Regression diff of two run directories: every number of the evidence, against a tolerance
//! policy.
//!
//! What is compared:
//! - the run: `profile` and `master_seed` of the manifests, and the list of claims;
//! - per claim (verdict.json): the verdict, and for every criterion and control the measured
//!   value, comparator, threshold, interval and holds / failed_as_expected flags;
//! - every CSV file, cell by cell (see `table` for the policy on cells);
//! - every SVG plot by its SHA-256 content hash (plots are byte-deterministic for a profile and
//!   seed; a changed plot is a regression), and any other file by content hash;
//! - the set of files: a file, claim or criterion present on one side only is a regression.
//!
//! What is not compared, because it is not evidence: index.html and summary.md (rendered from
//! the above), the provenance and timings in manifest.json (git, rustc, CPU, threads, times,
//! wall time, peak memory), and the texts in verdict.json (`statement`, `reason`, `detail`,
//! `description`, `error`).
//!
//! Policy for verdict.json: verdicts, `holds` flags and criteria compared with `==` (counts)
//! must match exactly. Other measured values may move by `tolerance * |baseline|`, where
//! `tolerance` is the criterion's own relative tolerance when it states one and
//! [`DEFAULT_RELATIVE_TOLERANCE`] otherwise, or by the criterion's `abs_tolerance`, whichever is
//! larger. Rounding-level quantities (residuals, gradient norms at critical points, errors
//! against closed forms) state an absolute tolerance, because their relative change between
//! CPUs is O(1). A value moving beyond tolerance in either direction is a regression: the
//! baseline is no longer reproduced. Verdicts that get better are reported but are not
//! regressions.
//!
//! Input that is not a run directory of this build's format (no or another marker, a manifest
//! or verdict without the keys the diff needs, non-regular files, files over
//! [`MAX_FILE_BYTES`]) is an error, not a comparison: `diff_runs` returns `Err`.

mod read;
mod table;
mod verdict;

#[doc(hidden)]
pub mod fuzz;

use std::fmt::Write;

use sha2::{Digest, Sha256};

pub use read::MAX_FILE_BYTES;
pub use table::{COLUMN_SCALE_FLOOR, MAX_CHANGED_CELLS_SHOWN, ROUNDING_FLOOR};

use crate::marker::MARKER_FILE;
use read::{ECHO_CHARS, RunDir, clip, open_run, parse_verdict, read_bounded};
use verdict::Differ;

/// Default relative tolerance. The evidence is deterministic on one machine; on another CPU the
/// linear algebra may take another SIMD path, and quantities derived from eigensolvers or Newton
/// iterations then move by up to ~1e-8 relative. Anything larger is a real change.
pub const DEFAULT_RELATIVE_TOLERANCE: f64 = 1e-6;

/// Files of a run directory that are not evidence, with the reason, as the report prints them.
const NOT_COMPARED: &[(&str, &str)] = &[
    ("index.html", "rendered from the verdicts, CSV and plots"),
    ("summary.md", "rendered from the verdicts"),
    (
        "manifest.json",
        "provenance and timings; only profile, master_seed and the claim list are compared",
    ),
];

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Status {
    Same,
    WithinTolerance,
    Improved,
    Regression,
}

impl Status {
    fn word(self) -> &'static str {
        match self {
            Status::Same => "same",
            Status::WithinTolerance => "within tolerance",
            Status::Improved => "improved",
            Status::Regression => "REGRESSION",
        }
    }
}

/// One compared item, or (for CSV files) a group of `count` cells with the same outcome.
#[derive(Debug, Clone)]
pub struct DiffRow {
    pub claim: String,
    pub item: String,
    pub baseline: String,
    pub new: String,
    pub status: Status,
    pub note: String,
    /// How many compared values this row stands for.
    pub count: usize,
}

/// The whole comparison.
#[derive(Debug, Clone, Default)]
pub struct DiffReport {
    pub rows: Vec<DiffRow>,
    /// CSV files compared cell by cell, and their cells.
    pub csv_files: usize,
    /// Plots compared by content hash.
    pub plots: usize,
}

impl DiffReport {
    fn total(&self, status: Option<Status>) -> usize {
        self.rows
            .iter()
            .filter(|r| status.is_none_or(|s| r.status == s))
            .map(|r| r.count)
            .sum()
    }

    /// Compared values that regressed (a CSV row standing for n cells counts n).
    pub fn regressions(&self) -> usize {
        self.total(Some(Status::Regression))
    }

    /// A fixed-width table of every item that is not identical, then what was compared, what
    /// was not, and a summary line.
    pub fn to_table(&self) -> String {
        let shown: Vec<&DiffRow> = self
            .rows
            .iter()
            .filter(|r| r.status != Status::Same)
            .collect();
        let mut out = String::new();
        if !shown.is_empty() {
            let w = |f: &dyn Fn(&DiffRow) -> usize, min: usize| {
                shown.iter().map(|r| f(r)).max().unwrap_or(0).max(min)
            };
            let (wc, wi, wb, wn) = (
                w(&|r| r.claim.chars().count(), 5),
                w(&|r| r.item.chars().count(), 4),
                w(&|r| r.baseline.chars().count(), 8),
                w(&|r| r.new.chars().count(), 3),
            );
            let _ = writeln!(
                out,
                "{:wc$}  {:wi$}  {:wb$}  {:wn$}  status",
                "claim", "item", "baseline", "new"
            );
            for r in &shown {
                let _ = write!(
                    out,
                    "{:wc$}  {:wi$}  {:wb$}  {:wn$}  {}",
                    r.claim,
                    r.item,
                    r.baseline,
                    r.new,
                    r.status.word()
                );
                if !r.note.is_empty() {
                    let _ = write!(out, " ({})", r.note);
                }
                out.push('\n');
            }
        }
        let _ = writeln!(
            out,
            "compared: verdicts, criteria and controls; every cell of {} CSV file(s) (relative \
             {DEFAULT_RELATIVE_TOLERANCE:e}, absolute floor {COLUMN_SCALE_FLOOR:e} of the \
             column's largest |value| or {ROUNDING_FLOOR:e}; integers and text exactly); {} \
             plot(s) by SHA-256 content hash",
            self.csv_files, self.plots
        );
        let not: Vec<String> = NOT_COMPARED
            .iter()
            .map(|(f, why)| format!("{f} ({why})"))
            .collect();
        let _ = writeln!(
            out,
            "not compared: {}; the texts in verdict.json (statement, reason, detail, \
             description, error)",
            not.join(", ")
        );
        let _ = writeln!(
            out,
            "{} items compared: {} identical, {} within tolerance, {} regression(s)",
            self.total(None),
            self.total(Some(Status::Same)),
            self.total(Some(Status::WithinTolerance)),
            self.regressions()
        );
        out
    }
}

fn sha256_hex(bytes: &[u8]) -> String {
    Sha256::digest(bytes)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// The claim a relative path belongs to, if its first component is a claim directory.
fn owner<'a>(path: &str, claims: &'a [String]) -> Option<&'a str> {
    let first = path.split('/').next()?;
    claims.iter().find(|c| *c == first).map(String::as_str)
}

/// Compares run directory `new` against `baseline`. `Err` means an input is not a run directory
/// this build can compare (exit 2); regressions are rows of the report (exit 1).
pub fn diff_runs(baseline: &std::path::Path, new: &std::path::Path) -> Result<DiffReport, String> {
    let b = open_run(baseline)?;
    let n = open_run(new)?;
    let mut d = Differ { rows: Vec::new() };
    let mut report = DiffReport::default();

    let run_keys = [
        (
            "profile",
            b.manifest.profile.clone(),
            n.manifest.profile.clone(),
        ),
        (
            "master_seed",
            b.manifest.master_seed.to_string(),
            n.manifest.master_seed.to_string(),
        ),
    ];
    for (key, bv, nv) in run_keys {
        let same = bv == nv;
        d.push(
            "(run)",
            key.to_owned(),
            clip(&bv, ECHO_CHARS),
            clip(&nv, ECHO_CHARS),
            if same {
                Status::Same
            } else {
                Status::Regression
            },
            if same {
                ""
            } else {
                "runs with different settings are not comparable"
            },
        );
    }

    // Claims: the union of both manifests, baseline order first.
    let mut all_claims = b.manifest.claims.clone();
    all_claims.extend(
        n.manifest
            .claims
            .iter()
            .filter(|c| !b.manifest.claims.contains(c))
            .cloned(),
    );
    // Claims whose files are compared one by one (present and with a directory on both sides).
    let mut comparable = Vec::new();
    for id in &all_claims {
        let listed = (
            b.manifest.claims.contains(id),
            n.manifest.claims.contains(id),
        );
        let present = (b.dirs.contains(id), n.dirs.contains(id));
        let missing = |listed: bool, present: bool| match (listed, present) {
            (false, _) => "not in manifest",
            (true, false) => "directory missing",
            (true, true) => "present",
        };
        let (bs, ns) = (missing(listed.0, present.0), missing(listed.1, present.1));
        if bs != "present" || ns != "present" {
            let note = if listed.0 && !listed.1 {
                "the new run does not have this claim"
            } else if !listed.0 {
                "not in the baseline; refresh the baseline to track it"
            } else {
                "the manifest lists a claim whose directory is missing"
            };
            d.push(
                id,
                "claim".into(),
                bs.into(),
                ns.into(),
                Status::Regression,
                note,
            );
            continue;
        }
        comparable.push(id.clone());
    }

    for id in &comparable {
        let rel = format!("{id}/verdict.json");
        match (b.files.contains(&rel), n.files.contains(&rel)) {
            (true, true) => {
                let bv = read_verdict(&b, &rel)?;
                let nv = read_verdict(&n, &rel)?;
                d.claim(id, &bv, &nv);
            }
            (bh, nh) => d.push(
                id,
                "verdict.json".into(),
                if bh { "present" } else { "missing" }.into(),
                if nh { "present" } else { "missing" }.into(),
                Status::Regression,
                "",
            ),
        }
    }
    report.rows = d.rows;

    // Every other file, on either side.
    let top_level_known = |p: &str| p == MARKER_FILE || NOT_COMPARED.iter().any(|(f, _)| *f == p);
    let mut paths: Vec<&String> = b.files.union(&n.files).collect();
    let handled_verdict = |p: &str| {
        p.strip_suffix("/verdict.json")
            .is_some_and(|c| comparable.iter().any(|x| x == c))
    };
    paths.retain(|p| !top_level_known(p) && !handled_verdict(p));
    for path in paths {
        let claim = owner(path, &all_claims);
        if let Some(c) = claim
            && !comparable.iter().any(|x| x == c)
        {
            continue; // reported once, as a missing or extra claim
        }
        let label = claim.unwrap_or("(run)");
        let item = claim.map_or(path.as_str(), |c| &path[c.len() + 1..]);
        let item = clip(item, ECHO_CHARS);
        match (b.files.contains(path), n.files.contains(path)) {
            (true, true) => {}
            (bh, _) => {
                report.rows.push(DiffRow {
                    claim: label.to_owned(),
                    item,
                    baseline: if bh { "present" } else { "missing" }.into(),
                    new: if bh { "missing" } else { "present" }.into(),
                    status: Status::Regression,
                    note: if bh {
                        "missing file".into()
                    } else if claim.is_none() {
                        "extra file, not part of a claim's output".into()
                    } else {
                        "extra file".into()
                    },
                    count: 1,
                });
                continue;
            }
        }
        let bb = read_bounded(&b.root.join(path))?;
        let nb = read_bounded(&n.root.join(path))?;
        if path.ends_with(".csv") {
            report.csv_files += 1;
            report
                .rows
                .extend(table::compare_csv(label, &item, &bb, &nb));
            continue;
        }
        if path.ends_with(".svg") {
            report.plots += 1;
        }
        let (bh, nh) = (sha256_hex(&bb), sha256_hex(&nb));
        let same = bh == nh;
        report.rows.push(DiffRow {
            claim: label.to_owned(),
            item,
            baseline: format!("sha256 {}", &bh[..12]),
            new: format!("sha256 {}", &nh[..12]),
            status: if same {
                Status::Same
            } else {
                Status::Regression
            },
            note: if same {
                String::new()
            } else {
                "content changed (compared by SHA-256)".into()
            },
            count: 1,
        });
    }
    Ok(report)
}

fn read_verdict(run: &RunDir, rel: &str) -> Result<serde_json::Value, String> {
    let path = run.root.join(rel);
    parse_verdict(&read_bounded(&path)?, &path.display().to_string())
}
