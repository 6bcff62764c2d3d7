//! Cell-by-cell comparison of two CSV evidence tables.
//!
//! Policy (see also the module docs of `diff`):
//! - the header (column names, in order) and the number of rows must match exactly;
//! - a cell that is an integer in both tables (optional sign, digits only: overparam writes
//!   integers that way and floats always with `.`, `e`, `inf` or `NaN`) must match exactly,
//!   because integers are counts, sizes and seeds;
//! - a cell that is a finite number in both may move by
//!   `max(DEFAULT_RELATIVE_TOLERANCE * |baseline|, COLUMN_SCALE_FLOOR * scale, ROUNDING_FLOOR)`,
//!   where `scale` is the largest finite |value| of that column in the baseline;
//! - NaN matches NaN and an infinity matches the same infinity; any other change, a text cell,
//!   or an empty cell against a non-empty one must match exactly.
//!
//! Why an absolute floor: a purely relative tolerance makes a cell that is 0 in the baseline and
//! 1e-17 in the new run a regression, although both are rounding of the same exact zero. The
//! criteria carry their own `abs_tolerance`, but a CSV column does not, so the floor is derived
//! from the column: 1e-9 of its scale is far above the rounding of a quantity of that scale
//! (~1e-16) and far below any change the evidence is about. Columns that are entirely at
//! rounding level (gradient norms at critical points, ~1e-15) have no meaningful scale of their
//! own; [`ROUNDING_FLOOR`] covers them. Their decisive values are criteria, which state their
//! own absolute tolerance.

use super::read::clip;
use super::{DEFAULT_RELATIVE_TOLERANCE, DiffRow, Status};

/// Fraction of a column's scale (its largest finite |value| in the baseline) that any cell of
/// the column may move by.
pub const COLUMN_SCALE_FLOOR: f64 = 1e-9;

/// Absolute change every numeric cell may make: about 450 ulps of 1, the rounding level of an
/// O(1) quantity computed through a few hundred floating-point operations. Values below it
/// depend on the SIMD path of the CPU, not on the mathematics.
pub const ROUNDING_FLOOR: f64 = 1e-13;

/// At most this many changed cells are listed per file; the rest are counted.
pub const MAX_CHANGED_CELLS_SHOWN: usize = 5;

/// How many characters of a cell the report shows.
const CELL_CHARS: usize = 40;

fn is_integer(s: &str) -> bool {
    let digits = s.strip_prefix(['-', '+']).unwrap_or(s);
    !digits.is_empty() && digits.bytes().all(|b| b.is_ascii_digit())
}

/// How one cell compares.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Cell {
    Same,
    /// Numbers that differ by `change` <= `allowed`.
    Within {
        change: f64,
        allowed: f64,
    },
    Changed(String),
}

/// Compares one cell of the baseline with the same cell of the new table; `scale` is the
/// column's largest finite |value| in the baseline.
pub(crate) fn compare_cell(base: &str, new: &str, scale: f64) -> Cell {
    if base == new {
        return Cell::Same;
    }
    if base.is_empty() || new.is_empty() {
        return Cell::Changed("empty against non-empty".to_owned());
    }
    if is_integer(base) && is_integer(new) {
        return Cell::Changed("integers compare exactly".to_owned());
    }
    match (base.parse::<f64>(), new.parse::<f64>()) {
        (Ok(b), Ok(n)) if b.is_finite() && n.is_finite() => {
            let allowed = (DEFAULT_RELATIVE_TOLERANCE * b.abs())
                .max(COLUMN_SCALE_FLOOR * scale)
                .max(ROUNDING_FLOOR);
            let change = (n - b).abs();
            if change <= allowed {
                Cell::Within { change, allowed }
            } else {
                Cell::Changed(format!("change {change:.1e} > allowed {allowed:.1e}"))
            }
        }
        (Ok(b), Ok(n)) if b.is_nan() && n.is_nan() => Cell::Same,
        (Ok(b), Ok(n)) if b == n => Cell::Same,
        (Ok(_), Ok(_)) => Cell::Changed("non-finite value changed".to_owned()),
        _ => Cell::Changed("text compares exactly".to_owned()),
    }
}

/// A parsed table: every record, the header first.
fn parse(bytes: &[u8]) -> Result<Vec<csv::StringRecord>, String> {
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .from_reader(bytes);
    let mut records = Vec::new();
    for r in reader.records() {
        records.push(r.map_err(|e| clip(&e.to_string(), 120))?);
    }
    Ok(records)
}

fn cells(records: &[csv::StringRecord]) -> usize {
    records.iter().skip(1).map(csv::StringRecord::len).sum()
}

/// The comparison of one CSV file, as rows of the diff report.
pub(crate) fn compare_csv(claim: &str, file: &str, base: &[u8], new: &[u8]) -> Vec<DiffRow> {
    if base == new {
        let count = parse(base).map_or(1, |r| cells(&r).max(1));
        return vec![row(claim, file, "", "", Status::Same, "", count)];
    }
    compare_csv_cells(claim, file, base, new)
}

fn row(
    claim: &str,
    item: &str,
    baseline: &str,
    new: &str,
    status: Status,
    note: &str,
    count: usize,
) -> DiffRow {
    DiffRow {
        claim: claim.to_owned(),
        item: item.to_owned(),
        baseline: baseline.to_owned(),
        new: new.to_owned(),
        status,
        note: note.to_owned(),
        count,
    }
}

/// The cell-by-cell comparison, without the identical-bytes shortcut (the fuzz targets compare
/// a table with itself through this path).
pub(crate) fn compare_csv_cells(claim: &str, file: &str, base: &[u8], new: &[u8]) -> Vec<DiffRow> {
    let (b, n) = match (parse(base), parse(new)) {
        (Ok(b), Ok(n)) => (b, n),
        (b, n) => {
            let why = |r: &Result<_, String>| match r {
                Ok(_) => "readable".to_owned(),
                Err(e) => format!("unreadable: {e}"),
            };
            return vec![row(
                claim,
                file,
                &why(&b),
                &why(&n),
                Status::Regression,
                "not a CSV table",
                1,
            )];
        }
    };
    let header = |r: &[csv::StringRecord]| {
        r.first()
            .map(|h| clip(&h.iter().collect::<Vec<_>>().join(","), 60))
            .unwrap_or_default()
    };
    let columns: Vec<String> = b
        .first()
        .map(|h| h.iter().map(str::to_owned).collect())
        .unwrap_or_default();
    if b.first() != n.first() {
        return vec![row(
            claim,
            &format!("{file} columns"),
            &header(&b),
            &header(&n),
            Status::Regression,
            "different columns: cells not compared",
            1,
        )];
    }
    let mut rows = Vec::new();
    let (b_rows, n_rows) = (&b[1.min(b.len())..], &n[1.min(n.len())..]);
    if b_rows.len() != n_rows.len() {
        rows.push(row(
            claim,
            &format!("{file} rows"),
            &b_rows.len().to_string(),
            &n_rows.len().to_string(),
            Status::Regression,
            "different row counts: the common rows are compared",
            b_rows.len().abs_diff(n_rows.len()),
        ));
    }
    let mut scale = vec![0.0f64; columns.len()];
    for r in b_rows {
        for (j, s) in scale.iter_mut().enumerate() {
            if let Some(x) = r.get(j).and_then(|c| c.parse::<f64>().ok())
                && x.is_finite()
            {
                *s = s.max(x.abs());
            }
        }
    }
    let (mut same, mut within, mut changed) = (0usize, 0usize, 0usize);
    let mut worst_within: Option<(f64, f64)> = None;
    let mut shown = Vec::new();
    for (i, (br, nr)) in b_rows.iter().zip(n_rows).enumerate() {
        if br.len() != nr.len() || br.len() != columns.len() {
            changed += 1;
            if shown.len() < MAX_CHANGED_CELLS_SHOWN {
                shown.push(row(
                    claim,
                    &format!("{file} row {}", i + 1),
                    &format!("{} fields", br.len()),
                    &format!("{} fields", nr.len()),
                    Status::Regression,
                    &format!("the header has {} columns", columns.len()),
                    1,
                ));
            }
            continue;
        }
        for (j, (bc, nc)) in br.iter().zip(nr.iter()).enumerate() {
            match compare_cell(bc, nc, scale[j]) {
                Cell::Same => same += 1,
                Cell::Within { change, allowed } => {
                    within += 1;
                    if worst_within.is_none_or(|(c, a)| change / allowed > c / a) {
                        worst_within = Some((change, allowed));
                    }
                }
                Cell::Changed(why) => {
                    changed += 1;
                    if shown.len() < MAX_CHANGED_CELLS_SHOWN {
                        shown.push(row(
                            claim,
                            &format!("{file} row {} column {}", i + 1, clip(&columns[j], 40)),
                            &clip(bc, CELL_CHARS),
                            &clip(nc, CELL_CHARS),
                            Status::Regression,
                            &why,
                            1,
                        ));
                    }
                }
            }
        }
    }
    if same > 0 {
        rows.push(row(claim, file, "", "", Status::Same, "", same));
    }
    if let Some((change, allowed)) = worst_within {
        rows.push(row(
            claim,
            file,
            "",
            "",
            Status::WithinTolerance,
            &format!("{within} cell(s); largest change {change:.1e} <= allowed {allowed:.1e}"),
            within,
        ));
    }
    let listed = shown.len();
    rows.extend(shown);
    if changed > listed {
        rows.push(row(
            claim,
            file,
            "",
            "",
            Status::Regression,
            &format!(
                "{} more changed cell(s) or row(s) not listed ({changed} in all)",
                changed - listed
            ),
            changed - listed,
        ));
    }
    if rows.is_empty() {
        // Two tables with a header and no rows that differ only in formatting.
        rows.push(row(claim, file, "", "", Status::Same, "", 1));
    }
    rows
}

#[cfg(test)]
mod tests {
    use super::*;

    fn regressions(rows: &[DiffRow]) -> usize {
        rows.iter()
            .filter(|r| r.status == Status::Regression)
            .map(|r| r.count)
            .sum()
    }

    #[test]
    fn cells_follow_the_policy() {
        assert_eq!(compare_cell("1.5", "1.5", 1.5), Cell::Same);
        assert!(matches!(
            compare_cell("0.5", "0.5000001", 0.5),
            Cell::Within { .. }
        ));
        assert!(matches!(
            compare_cell("0.5", "0.50001", 0.5),
            Cell::Changed(_)
        ));
        // Zero in the baseline: pure relative tolerance would call 1e-17 a change.
        assert!(matches!(
            compare_cell("0.0", "1e-17", 0.0),
            Cell::Within { .. }
        ));
        // A small cell in a column of scale 1e3 may move by 1e-6 (1e-9 of the scale) ...
        assert!(matches!(
            compare_cell("1e-8", "5e-7", 1e3),
            Cell::Within { .. }
        ));
        // ... but not by 1e-5.
        assert!(matches!(
            compare_cell("1e-8", "1e-5", 1e3),
            Cell::Changed(_)
        ));
        assert!(matches!(compare_cell("12", "13", 1e12), Cell::Changed(_)));
        assert!(matches!(compare_cell("", "0.0", 1.0), Cell::Changed(_)));
        assert!(matches!(compare_cell("0.0", "", 1.0), Cell::Changed(_)));
        assert_eq!(compare_cell("NaN", "NaN", 1.0), Cell::Same);
        assert!(matches!(compare_cell("NaN", "1.0", 1.0), Cell::Changed(_)));
        assert!(matches!(compare_cell("inf", "-inf", 1.0), Cell::Changed(_)));
        assert!(matches!(compare_cell("1.0", "inf", 1.0), Cell::Changed(_)));
        assert!(matches!(
            compare_cell("minimum", "saddle", 1.0),
            Cell::Changed(_)
        ));
        assert!(matches!(
            compare_cell("minimum", "Minimum", 1.0),
            Cell::Changed(_)
        ));
    }

    #[test]
    fn tables_report_columns_rows_and_a_bounded_list_of_cells() {
        let base = b"a,b\n1,0.5\n2,0.25\n";
        assert_eq!(regressions(&compare_csv("c", "t.csv", base, base)), 0);
        let rows = compare_csv("c", "t.csv", base, b"a,c\n1,0.5\n2,0.25\n");
        assert!(rows.iter().any(|r| r.item == "t.csv columns"));
        let rows = compare_csv("c", "t.csv", base, b"a,b\n1,0.5\n");
        assert!(rows.iter().any(|r| r.item == "t.csv rows" && r.new == "1"));
        let rows = compare_csv("c", "t.csv", base, b"a,b\n1,0.5\n2,250.0\n");
        assert_eq!(regressions(&rows), 1);
        assert!(rows.iter().any(|r| r.item == "t.csv row 2 column b"));
        let rows = compare_csv("c", "t.csv", base, b"a,b\n1,0.5\n2\n");
        assert_eq!(regressions(&rows), 1, "a ragged row");

        // 1000 changed cells: five listed, the rest counted in one row.
        let big = |k: f64| {
            let mut s = String::from("x\n");
            for i in 0..1000 {
                s.push_str(&format!("{:?}\n", (i as f64 + 1.0) * k));
            }
            s
        };
        let rows = compare_csv("c", "big.csv", big(1.0).as_bytes(), big(2.0).as_bytes());
        assert_eq!(regressions(&rows), 1000);
        assert!(rows.len() <= MAX_CHANGED_CELLS_SHOWN + 2, "{}", rows.len());
        assert!(rows.iter().any(|r| r.note.contains("995 more")));
    }

    #[test]
    fn unparseable_tables_are_a_regression_not_a_panic() {
        let rows = compare_csv("c", "t.csv", b"a,b\n1,2\n", b"a,\"b\n\xff\xfe");
        assert_eq!(regressions(&rows), 1);
    }
}
