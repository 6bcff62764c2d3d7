//! `overparam diff` as a user meets it: one real quick run of two cheap claims, copied and then
//! mutated, must show every changed evidence number, file and claim as a regression (exit 1),
//! accept changes within tolerance (exit 0), and refuse with exit 2, quickly, anything that is
//! not a run directory of this build's format.

#[path = "common/mod.rs"]
mod common;
use common::*;

use std::process::Command;
use std::sync::OnceLock;
use std::time::{Duration, Instant};

use overparam_report::{MARKER_FILE, MAX_CHANGED_CELLS_SHOWN, MAX_FILE_BYTES};

const EARLY: &str = "heiss2019.early-stopping";
const SPECTRUM: &str = "arjevani2021.global-min-spectrum";

/// One quick run of two cheap claims, made once for the whole file.
fn base() -> &'static Path {
    static BASE: OnceLock<PathBuf> = OnceLock::new();
    BASE.get_or_init(|| {
        let out = scratch("diff-base").join("run");
        let o = overparam(&[
            "run",
            EARLY,
            SPECTRUM,
            "--quiet",
            "--out",
            out.to_str().unwrap(),
        ]);
        assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
        out
    })
}

/// A fresh copy of the base run, to be mutated by one test.
fn copy(name: &str) -> PathBuf {
    let to = scratch(name).join("run");
    copy_dir(base(), &to);
    to
}

/// `overparam diff BASE NEW`, which must finish within `limit` (a FIFO or /dev/zero must not
/// make it hang).
fn diff_within(new: &Path, limit: Duration) -> Output {
    let start = Instant::now();
    let o = overparam(&["diff", base().to_str().unwrap(), new.to_str().unwrap()]);
    assert!(
        start.elapsed() < limit,
        "diff took {:?}: {}",
        start.elapsed(),
        stderr(&o)
    );
    o
}

fn diff(new: &Path) -> Output {
    diff_within(new, Duration::from_secs(30))
}

fn regression_lines(o: &Output) -> Vec<String> {
    stdout(o)
        .lines()
        .filter(|l| l.contains("REGRESSION"))
        .map(str::to_owned)
        .collect()
}

/// The numbers of the summary line "N items compared: I identical, W within tolerance, R
/// regression(s)".
fn summary(o: &Output) -> (usize, usize, usize, usize) {
    let out = stdout(o);
    let line = out
        .lines()
        .find(|l| l.contains("items compared"))
        .unwrap_or_else(|| panic!("no summary line in {out}"));
    let n: Vec<usize> = line
        .split(|c: char| !c.is_ascii_digit())
        .filter(|s| !s.is_empty())
        .map(|s| s.parse().unwrap())
        .collect();
    assert_eq!(n.len(), 4, "{line}");
    (n[0], n[1], n[2], n[3])
}

/// Rewrites one cell of a CSV file (row counts data rows from 1) with `f` of its value.
fn edit_cell(path: &Path, row: usize, column: &str, f: impl Fn(&str) -> String) {
    let mut r = csv::Reader::from_path(path).unwrap();
    let header = r.headers().unwrap().clone();
    let j = header.iter().position(|h| h == column).unwrap();
    let mut rows: Vec<Vec<String>> = r
        .records()
        .map(|rec| rec.unwrap().iter().map(str::to_owned).collect())
        .collect();
    rows[row - 1][j] = f(&rows[row - 1][j]);
    let mut w = csv::Writer::from_path(path).unwrap();
    w.write_record(&header).unwrap();
    for row in rows {
        w.write_record(row).unwrap();
    }
    w.flush().unwrap();
}

fn scaled(k: f64) -> impl Fn(&str) -> String {
    move |s| format!("{:?}", s.parse::<f64>().unwrap() * k)
}

#[test]
fn identical_copies_exit_0_and_count_every_item_as_identical() {
    let new = copy("identical");
    let o = diff(&new);
    assert_eq!(o.status.code(), Some(0), "{}", stdout(&o));
    let (items, identical, within, regressions) = summary(&o);
    assert_eq!((identical, within, regressions), (items, 0, 0));
    // Every CSV cell is an item: spectrum.csv alone has 552 rows of 3 cells.
    assert!(items > 552 * 3, "{items}");
    let count = |ext: &str| {
        [EARLY, SPECTRUM]
            .iter()
            .flat_map(|c| entries(&base().join(c)))
            .filter(|f| f.ends_with(ext))
            .count()
    };
    let out = stdout(&o);
    let csv_files = format!("every cell of {} CSV file(s)", count(".csv"));
    assert!(out.contains(&csv_files), "{out}");
    let plots = format!("{} plot(s) by SHA-256", count(".svg"));
    assert!(out.contains(&plots), "{out}");
    assert!(out.contains("not compared: index.html"), "{out}");
}

#[test]
fn a_deleted_csv_exits_1_and_is_named() {
    let new = copy("deleted-csv");
    std::fs::remove_file(new.join(SPECTRUM).join("growth.csv")).unwrap();
    let o = diff(&new);
    assert_eq!(o.status.code(), Some(1), "{}", stdout(&o));
    let lines = regression_lines(&o);
    assert!(
        lines
            .iter()
            .any(|l| l.contains(SPECTRUM) && l.contains("growth.csv") && l.contains("missing")),
        "{lines:?}"
    );
}

#[test]
fn a_csv_number_times_1000_exits_1_naming_file_row_and_column() {
    let new = copy("times-1000");
    let path = new.join(EARLY).join("early_stopping.csv");
    edit_cell(&path, 2, "data_gap", scaled(1000.0));
    let o = diff(&new);
    assert_eq!(o.status.code(), Some(1), "{}", stdout(&o));
    let lines = regression_lines(&o);
    assert_eq!(lines.len(), 1, "{lines:?}");
    assert!(
        lines[0].contains(EARLY) && lines[0].contains("early_stopping.csv row 2 column data_gap"),
        "{lines:?}"
    );
    assert_eq!(summary(&o).3, 1);
}

#[test]
fn a_csv_number_changed_within_tolerance_exits_0() {
    let new = copy("within");
    let path = new.join(EARLY).join("early_stopping.csv");
    edit_cell(&path, 2, "data_gap", scaled(1.0 + 1e-9));
    let o = diff(&new);
    assert_eq!(o.status.code(), Some(0), "{}", stdout(&o));
    let (_, _, within, regressions) = summary(&o);
    assert_eq!((within, regressions), (1, 0), "{}", stdout(&o));
}

#[test]
fn an_integer_cell_compares_exactly() {
    let new = copy("integer");
    let path = new.join(SPECTRUM).join("spectrum.csv");
    edit_cell(&path, 1, "rank", |s| {
        (s.parse::<i64>().unwrap() + 1).to_string()
    });
    let o = diff(&new);
    assert_eq!(o.status.code(), Some(1), "{}", stdout(&o));
    assert!(
        regression_lines(&o)
            .iter()
            .any(|l| l.contains("spectrum.csv row 1 column rank")),
        "{}",
        stdout(&o)
    );
}

#[test]
fn a_table_with_every_number_changed_lists_a_few_cells_and_counts_the_rest() {
    let new = copy("all-changed");
    let path = new.join(SPECTRUM).join("spectrum.csv");
    let (header, rows) = read_csv(&path);
    let j = header.iter().position(|h| h == "eigenvalue").unwrap();
    let mut w = csv::Writer::from_path(&path).unwrap();
    w.write_record(&header).unwrap();
    for mut row in rows.clone() {
        row[j] = scaled(2.0)(&row[j]);
        w.write_record(row).unwrap();
    }
    w.flush().unwrap();
    drop(w);
    let o = diff(&new);
    assert_eq!(o.status.code(), Some(1));
    let lines: Vec<String> = regression_lines(&o)
        .into_iter()
        .filter(|l| l.contains("spectrum.csv"))
        .collect();
    // Only eigenvalues that are exactly 0 stay the same when doubled.
    let zeros = rows
        .iter()
        .filter(|r| r[j].parse::<f64>().unwrap() == 0.0)
        .count();
    let changed = rows.len() - zeros;
    assert!(changed > MAX_CHANGED_CELLS_SHOWN + 1, "{changed}");
    assert_eq!(lines.len(), MAX_CHANGED_CELLS_SHOWN + 1, "{lines:#?}");
    assert!(
        lines
            .last()
            .unwrap()
            .contains(&format!("({changed} in all)")),
        "{lines:#?}"
    );
    assert_eq!(summary(&o).3, changed);
}

#[test]
fn changed_columns_and_row_counts_are_regressions() {
    let new = copy("columns");
    let path = new.join(EARLY).join("early_stopping.csv");
    let text = std::fs::read_to_string(&path).unwrap();
    std::fs::write(&path, text.replacen("data_gap", "data_gap2", 1)).unwrap();
    let o = diff(&new);
    assert_eq!(o.status.code(), Some(1));
    assert!(
        stdout(&o).contains("early_stopping.csv columns"),
        "{}",
        stdout(&o)
    );

    let mut lines: Vec<&str> = text.lines().collect();
    lines.pop();
    std::fs::write(&path, lines.join("\n") + "\n").unwrap();
    let o = diff(&new);
    assert_eq!(o.status.code(), Some(1));
    assert!(
        stdout(&o).contains("early_stopping.csv rows"),
        "{}",
        stdout(&o)
    );
}

#[test]
fn an_svg_replaced_with_garbage_exits_1() {
    let new = copy("svg");
    std::fs::write(new.join(EARLY).join("gap.svg"), "garbage").unwrap();
    let o = diff(&new);
    assert_eq!(o.status.code(), Some(1), "{}", stdout(&o));
    assert!(
        regression_lines(&o)
            .iter()
            .any(|l| l.contains("gap.svg") && l.contains("SHA-256")),
        "{}",
        stdout(&o)
    );
}

#[test]
fn extra_files_exit_1_and_are_named() {
    for (name, place) in [("claim", Some(EARLY)), ("top", None)] {
        let new = copy(&format!("extra-{name}"));
        let dir = place.map_or(new.clone(), |c| new.join(c));
        std::fs::write(dir.join("notes.csv"), "a\n1\n").unwrap();
        let o = diff(&new);
        assert_eq!(o.status.code(), Some(1), "{}", stdout(&o));
        assert!(
            regression_lines(&o)
                .iter()
                .any(|l| l.contains("notes.csv") && l.contains("extra file")),
            "{}",
            stdout(&o)
        );
    }
}

#[test]
fn a_claim_directory_the_manifest_lists_but_that_is_missing_exits_1() {
    let new = copy("missing-claim");
    std::fs::remove_dir_all(new.join(EARLY)).unwrap();
    let o = diff(&new);
    assert_eq!(o.status.code(), Some(1), "{}{}", stdout(&o), stderr(&o));
    assert!(
        regression_lines(&o)
            .iter()
            .any(|l| l.contains(EARLY) && l.contains("directory missing")),
        "{}",
        stdout(&o)
    );
}

#[test]
fn a_claim_missing_from_the_new_run_or_added_to_it_exits_1() {
    let path_of = |dir: &Path| dir.join("manifest.json");
    let read = |dir: &Path| -> serde_json::Value {
        serde_json::from_str(&std::fs::read_to_string(path_of(dir)).unwrap()).unwrap()
    };
    let new = copy("dropped-claim");
    std::fs::remove_dir_all(new.join(EARLY)).unwrap();
    let mut m = read(&new);
    m["claims"]
        .as_array_mut()
        .unwrap()
        .retain(|c| c["id"] != EARLY);
    std::fs::write(path_of(&new), m.to_string()).unwrap();
    let o = diff(&new);
    assert_eq!(o.status.code(), Some(1), "{}", stdout(&o));
    assert!(regression_lines(&o).iter().any(|l| l.contains(EARLY)));

    let new = copy("added-claim");
    let mut m = read(&new);
    m["claims"]
        .as_array_mut()
        .unwrap()
        .push(serde_json::json!({"id": "zz.new-claim"}));
    std::fs::write(path_of(&new), m.to_string()).unwrap();
    copy_dir(&new.join(EARLY), &new.join("zz.new-claim"));
    let o = diff(&new);
    assert_eq!(o.status.code(), Some(1), "{}", stdout(&o));
    assert!(
        regression_lines(&o)
            .iter()
            .any(|l| l.contains("zz.new-claim") && l.contains("not in the baseline")),
        "{}",
        stdout(&o)
    );
}

#[test]
fn a_removed_measured_value_is_reported_as_missing() {
    let new = copy("missing-key");
    let path = new.join(EARLY).join("verdict.json");
    let mut v: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
    v["criteria"][0].as_object_mut().unwrap().remove("measured");
    std::fs::write(&path, v.to_string()).unwrap();
    let o = diff(&new);
    assert_eq!(o.status.code(), Some(1));
    let lines = regression_lines(&o);
    assert!(
        lines
            .iter()
            .any(|l| l.contains("measured") && l.contains("missing") && !l.contains("non-finite")),
        "{lines:?}"
    );
}

fn refused(o: &Output, words: &[&str]) {
    assert_eq!(o.status.code(), Some(2), "{}{}", stdout(o), stderr(o));
    let e = stderr(o);
    for w in words {
        assert!(e.contains(w), "'{w}' not in: {e}");
    }
    assert!(stdout(o).is_empty(), "{}", stdout(o));
}

#[test]
fn manifests_that_are_not_objects_with_the_needed_keys_exit_2_naming_file_and_key() {
    for (text, words) in [
        ("{}", &["manifest.json", "`profile`"][..]),
        ("[1,2]", &["manifest.json", "not a JSON object"][..]),
        (
            r#"{"profile":"quick","master_seed":1}"#,
            &["manifest.json", "`claims`"][..],
        ),
        (
            r#"{"profile":"quick","master_seed":1,"claims":[{"id":"../../etc"}]}"#,
            &["claims[0].id", "plain directory name"][..],
        ),
        (
            "{\"profile\": tru",
            &["manifest.json", "not valid JSON"][..],
        ),
    ] {
        let new = copy("manifest");
        std::fs::write(new.join("manifest.json"), text).unwrap();
        refused(&diff(&new), words);
    }
}

#[test]
fn a_verdict_without_the_needed_keys_exits_2_naming_it() {
    let new = copy("bad-verdict");
    std::fs::write(new.join(EARLY).join("verdict.json"), "[1,2]").unwrap();
    refused(&diff(&new), &["verdict.json", "not a JSON object"]);
}

#[test]
fn teacher_student_outputs_are_not_run_directories() {
    let dir = scratch("teacher-student");
    std::fs::write(dir.join("t.csv"), "1,1,0,0\n1,0,1,0\n").unwrap();
    std::fs::write(dir.join("s.csv"), "1,0.9,0.1,0\n1,0.1,0.9,0\n").unwrap();
    let outs: Vec<PathBuf> = ["a", "b"]
        .iter()
        .map(|n| {
            let out = dir.join(n);
            let o = overparam(&[
                "teacher-student",
                "--teacher",
                dir.join("t.csv").to_str().unwrap(),
                "--student",
                dir.join("s.csv").to_str().unwrap(),
                "--steps",
                "10",
                "--quiet",
                "--out",
                out.to_str().unwrap(),
            ]);
            assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
            out
        })
        .collect();
    let o = overparam(&["diff", outs[0].to_str().unwrap(), outs[1].to_str().unwrap()]);
    // Their marker names their kind, and diff says so.
    refused(&o, &["overparam teacher-student", "run directories only"]);

    // Marked as what it is (as every output directory will be), it is refused by its kind.
    for out in &outs {
        std::fs::write(
            out.join(MARKER_FILE),
            r#"{"tool":"overparam","kind":"teacher-student","format":1,"version":"0.1.0"}"#,
        )
        .unwrap();
    }
    let o = overparam(&["diff", outs[0].to_str().unwrap(), outs[1].to_str().unwrap()]);
    refused(&o, &["overparam teacher-student", "not of `overparam run`"]);
}

#[test]
fn markers_of_another_kind_or_format_or_none_exit_2() {
    for (marker, words) in [
        (
            Some(r#"{"tool":"overparam","kind":"hessian","format":1,"version":"0.1.0"}"#),
            &["overparam hessian"][..],
        ),
        (
            Some(r#"{"tool":"overparam","kind":"run","format":2,"version":"9.0.0"}"#),
            &["format 2", "reads format 1"][..],
        ),
        (Some("not json"), &["marker is invalid"][..]),
        (None, &["no .overparam marker"][..]),
    ] {
        let new = copy("marker");
        match marker {
            Some(m) => std::fs::write(new.join(MARKER_FILE), m).unwrap(),
            None => std::fs::remove_file(new.join(MARKER_FILE)).unwrap(),
        }
        refused(&diff(&new), words);
    }
    let o = overparam(&["diff", base().to_str().unwrap(), "/nonexistent/run"]);
    refused(&o, &["/nonexistent/run"]);
}

#[cfg(unix)]
#[test]
fn symlinks_fifos_and_huge_files_inside_a_run_directory_exit_2_at_once() {
    let quick = Duration::from_secs(5);
    let new = copy("symlink");
    let csv = new.join(EARLY).join("early_stopping.csv");
    std::fs::remove_file(&csv).unwrap();
    std::os::unix::fs::symlink("/dev/zero", &csv).unwrap();
    refused(
        &diff_within(&new, quick),
        &["early_stopping.csv", "symbolic link"],
    );

    let new = copy("fifo");
    let csv = new.join(EARLY).join("early_stopping.csv");
    std::fs::remove_file(&csv).unwrap();
    let made = Command::new("mkfifo").arg(&csv).status().unwrap();
    assert!(made.success());
    refused(
        &diff_within(&new, quick),
        &["early_stopping.csv", "not a regular file"],
    );

    // A sparse file one byte over the limit: refused from its size, never read.
    let new = copy("huge");
    let file = std::fs::OpenOptions::new()
        .write(true)
        .open(new.join(EARLY).join("early_stopping.csv"))
        .unwrap();
    file.set_len(MAX_FILE_BYTES + 1).unwrap();
    refused(
        &diff_within(&new, quick),
        &["early_stopping.csv", "256 MiB"],
    );
    std::fs::remove_dir_all(&new).unwrap();
}
