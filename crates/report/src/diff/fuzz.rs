//! Entry points for fuzzing the diff's readers (verdict.json, manifest.json, CSV evidence):
//! each takes arbitrary bytes, must never panic, and checks the invariants a reader promises
//! (a document compared with itself shows no regression; accepted claim ids are plain names).
//! The cargo-fuzz targets in `fuzz/fuzz_targets/diff_*.rs` call them; a stable-toolchain test
//! below replays the committed corpus `fuzz/corpus/diff_*` and a property test feeds them
//! arbitrary and near-valid bytes.

use serde_json::Value as Json;

use super::read::{parse_manifest, parse_verdict};
use super::table::{compare_csv, compare_csv_cells};
use super::verdict::Differ;
use super::{DiffReport, DiffRow, Status};

/// A small valid verdict.json, the other side of the comparisons below.
pub const REFERENCE_VERDICT: &str = r#"{
  "claim": "paper.claim", "paper": "p", "verdict": "pass", "statement": "s",
  "criteria": [
    {"name": "residual", "measured": 1e-15, "comparator": "at_most", "threshold": 1e-12,
     "reason": "r", "detail": "d", "holds": true, "abs_tolerance": 1e-13},
    {"name": "count", "measured": 3.0, "comparator": "equal", "threshold": 3.0,
     "reason": "r", "detail": "", "holds": true},
    {"name": "slope", "measured": 0.5, "comparator": {"interval_within": {"upper": 1.0}},
     "threshold": 0.0, "reason": "r", "detail": "", "interval": [0.4, 0.6], "holds": true}
  ],
  "controls": [
    {"name": "broken", "description": "d", "criterion": {"name": "residual",
     "measured": "NaN", "comparator": "at_most", "threshold": 1e-12, "reason": "r",
     "detail": "", "holds": false}, "failed_as_expected": true}
  ],
  "error": null,
  "evidence": ["table.csv"]
}
"#;

/// A small valid evidence table.
pub const REFERENCE_CSV: &str =
    "d,name,value,count\n4,minimum,0.5,3\n8,saddle,1e-15,7\n16,,NaN,0\n";

fn regressions(rows: &[DiffRow]) -> usize {
    rows.iter()
        .filter(|r| r.status == Status::Regression)
        .map(|r| r.count)
        .sum()
}

fn render(rows: Vec<DiffRow>) {
    let report = DiffReport {
        rows,
        csv_files: 1,
        plots: 0,
    };
    let table = report.to_table();
    assert!(table.contains("regression(s)"));
}

/// Parses `bytes` as a claim's verdict.json; when accepted, compares it with itself (no
/// regression allowed) and with [`REFERENCE_VERDICT`] both ways, and renders the report.
pub fn fuzz_read_verdict(bytes: &[u8]) {
    let Ok(v) = parse_verdict(bytes, "verdict.json") else {
        return;
    };
    let reference: Json = serde_json::from_str(REFERENCE_VERDICT).expect("reference parses");
    let mut d = Differ { rows: Vec::new() };
    d.claim("fuzz", &v, &v);
    assert_eq!(
        regressions(&d.rows),
        0,
        "a verdict compared with itself shows a regression"
    );
    d.claim("fuzz", &reference, &v);
    d.claim("fuzz", &v, &reference);
    render(d.rows);
}

/// Parses `bytes` as manifest.json; when accepted, every claim id must be a plain, unique
/// directory name (joining it to the run directory never leaves it).
pub fn fuzz_read_manifest(bytes: &[u8]) {
    let Ok(m) = parse_manifest(bytes, "manifest.json") else {
        return;
    };
    for (i, id) in m.claims.iter().enumerate() {
        assert!(
            !id.is_empty() && !id.contains('/') && !id.starts_with('.'),
            "accepted claim id {id:?}"
        );
        assert!(!m.claims[..i].contains(id), "duplicate claim id {id:?}");
    }
}

/// Compares CSV `a` (baseline) with `b` both ways and `a` with itself cell by cell: a table
/// whose rows all have the header's width shows no regression against itself.
pub fn fuzz_compare_csv(a: &[u8], b: &[u8]) {
    let ab = compare_csv("fuzz", "t.csv", a, b);
    let ba = compare_csv("fuzz", "t.csv", b, a);
    let aa = compare_csv_cells("fuzz", "t.csv", a, a);
    if rectangular(a) {
        assert_eq!(
            regressions(&aa),
            0,
            "a table compared with itself shows a regression"
        );
    }
    if a == b {
        assert_eq!(regressions(&ab), 0, "identical bytes show a regression");
    }
    for rows in [ab, ba, aa] {
        render(rows);
    }
}

/// Splits one fuzz input into two tables at its first NUL byte; without one, compares the
/// input with [`REFERENCE_CSV`].
pub fn fuzz_read_csv(data: &[u8]) {
    match data.iter().position(|&b| b == 0) {
        Some(i) => fuzz_compare_csv(&data[..i], &data[i + 1..]),
        None => {
            fuzz_compare_csv(data, REFERENCE_CSV.as_bytes());
            fuzz_compare_csv(REFERENCE_CSV.as_bytes(), data);
        }
    }
}

/// Whether `bytes` is a readable CSV table whose every row has the header's width.
fn rectangular(bytes: &[u8]) -> bool {
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .from_reader(bytes);
    let mut width = None;
    for r in reader.records() {
        let Ok(r) = r else { return false };
        if *width.get_or_insert(r.len()) != r.len() {
            return false;
        }
    }
    true
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use std::path::PathBuf;

    fn corpus(reader: &str) -> Vec<(PathBuf, Vec<u8>)> {
        let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
            .join("../../fuzz/corpus")
            .join(format!("diff_{reader}"));
        let Ok(entries) = std::fs::read_dir(&dir) else {
            return Vec::new();
        };
        let mut files: Vec<(PathBuf, Vec<u8>)> = entries
            .map(|e| e.unwrap().path())
            .filter(|p| p.is_file())
            .map(|p| {
                let bytes = std::fs::read(&p).unwrap();
                (p, bytes)
            })
            .collect();
        files.sort();
        files
    }

    type EntryPoint = fn(&[u8]);

    /// Replays every committed corpus file (when the folder exists) through its entry point;
    /// a panic names the file.
    #[test]
    fn the_committed_corpus_replays_without_panic() {
        let readers: [(&str, EntryPoint); 3] = [
            ("verdict", fuzz_read_verdict),
            ("manifest", fuzz_read_manifest),
            ("csv", fuzz_read_csv),
        ];
        let committed = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../fuzz/corpus");
        for (reader, entry) in readers {
            let files = corpus(reader);
            // Once the corpus is committed, an emptied folder would make this test vacuous.
            assert!(
                !committed.is_dir() || !files.is_empty(),
                "fuzz/corpus/diff_{reader} is missing or empty"
            );
            for (path, bytes) in files {
                let outcome = std::panic::catch_unwind(|| entry(&bytes));
                assert!(outcome.is_ok(), "{} panicked", path.display());
            }
        }
    }

    #[test]
    fn the_references_are_accepted_and_clean_against_themselves() {
        assert!(parse_verdict(REFERENCE_VERDICT.as_bytes(), "v").is_ok());
        fuzz_read_verdict(REFERENCE_VERDICT.as_bytes());
        fuzz_read_csv(REFERENCE_CSV.as_bytes());
        assert!(rectangular(REFERENCE_CSV.as_bytes()));
        let rows = compare_csv_cells(
            "c",
            "t.csv",
            REFERENCE_CSV.as_bytes(),
            REFERENCE_CSV.as_bytes(),
        );
        assert_eq!(regressions(&rows), 0);
    }

    /// Interesting tokens spliced into valid documents.
    const TOKENS: &[&str] = &[
        "\"",
        ",",
        "\n",
        "\r\n",
        "{",
        "}",
        "[",
        "]",
        "null",
        "NaN",
        "1e999",
        "-0",
        "\u{feff}",
        "\"name\"",
        "\"measured\"",
        ":",
        "\"\"",
        "\\u0000",
        "9999999999999999999999",
    ];

    /// A document with `edits` applied: (position, token index or raw byte), then truncated.
    fn mutate(doc: &str, edits: &[(usize, usize, u8)], keep: usize) -> Vec<u8> {
        let mut bytes = doc.as_bytes().to_vec();
        for &(at, token, byte) in edits {
            let at = at % (bytes.len() + 1);
            if token < TOKENS.len() {
                bytes.splice(at..at, TOKENS[token].bytes());
            } else if at < bytes.len() {
                bytes[at] = byte;
            } else {
                bytes.push(byte);
            }
        }
        let keep = keep % (bytes.len() + 1);
        if keep > 0 {
            bytes.truncate(keep);
        }
        bytes
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(512))]

        #[test]
        fn arbitrary_bytes_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..512)) {
            fuzz_read_verdict(&bytes);
            fuzz_read_manifest(&bytes);
            fuzz_read_csv(&bytes);
        }

        #[test]
        fn near_valid_documents_never_panic(
            edits in proptest::collection::vec((any::<usize>(), 0usize..40, any::<u8>()), 1..6),
            keep in any::<usize>(),
        ) {
            fuzz_read_verdict(&mutate(REFERENCE_VERDICT, &edits, keep));
            let manifest = r#"{"profile":"quick","master_seed":1,"claims":[{"id":"a.b"},{"id":"c"}]}"#;
            fuzz_read_manifest(&mutate(manifest, &edits, keep));
            let csv = mutate(REFERENCE_CSV, &edits, keep);
            fuzz_compare_csv(REFERENCE_CSV.as_bytes(), &csv);
            fuzz_compare_csv(&csv, &csv);
        }
    }
}
