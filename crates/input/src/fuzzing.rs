//! What the fuzz targets in `fuzz/fuzz_targets/` run, one function per target, so that the
//! stable-toolchain test `tests/corpus.rs` replays every committed corpus file through exactly
//! the same code.
//!
//! Each function takes arbitrary bytes, runs a parser and its validation, and checks the
//! properties every answer must have. It returns the parser's verdict (`Err` holds the user's
//! message) and panics only when a property fails: that panic is the bug the fuzzer reports.
//! Properties: accepted data is what the validation promises (rectangular, finite, sorted...),
//! and a refusal's message is bounded, however large the input (no echoed megabyte field).

use crate::network::{Named, NetworkFile, check_pair, parse_network};
use crate::{parse_numeric_csv, xy};

/// Longest acceptable error message, in bytes: the longest template is about 450 bytes, plus at
/// most two excerpts of 80 characters whose control characters may each be escaped to 10 bytes.
pub const MAX_MESSAGE_BYTES: usize = 2500;

fn bounded(message: String) -> Result<(), String> {
    assert!(
        message.len() <= MAX_MESSAGE_BYTES,
        "a {}-byte error message: {}",
        message.len(),
        message.chars().take(200).collect::<String>()
    );
    Err(message)
}

/// Target `numeric_csv`: the shared reader, without and with a header line.
pub fn numeric_csv(data: &[u8]) -> Result<(), String> {
    let mut verdict = Ok(());
    for header in [false, true] {
        match parse_numeric_csv(data, header) {
            Ok(t) => {
                assert!(!t.rows.is_empty(), "accepted a table without rows");
                assert_eq!(t.rows.len(), t.lines.len());
                assert!(
                    t.lines.windows(2).all(|w| w[0] < w[1]),
                    "lines out of order"
                );
                let n = t.ncols();
                assert!(n >= 1, "accepted an empty row");
                assert!(t.rows.iter().all(|r| r.len() == n), "accepted ragged rows");
                if let Some(h) = &t.header {
                    assert_eq!(h.len(), n, "header and rows differ in length");
                }
                assert!(
                    t.rows.iter().flatten().all(|v| v.is_finite()),
                    "accepted a non-finite number"
                );
            }
            Err(e) => verdict = bounded(e.to_string()),
        }
    }
    verdict
}

/// Target `spline_xy`: the spline tool's x,y parsing and validation, then the fit and the curve
/// on a grid, whose failures must come back as messages (never a panic, never a NaN curve).
pub fn spline_xy(data: &[u8]) -> Result<(), String> {
    let parsed = match xy::parse_xy(data) {
        Ok(p) => p,
        Err(e) => return bounded(e.to_string()),
    };
    let (x, y) = (&parsed.x, &parsed.y);
    assert!(x.len() >= overparam_kernel::spline::MIN_POINTS);
    assert_eq!(x.len(), y.len());
    assert!(x.iter().chain(y).all(|v| v.is_finite()));
    let range = x[x.len() - 1] - x[0];
    assert!(range.is_finite());
    assert!(
        x.windows(2)
            .all(|w| w[1] - w[0] >= xy::MIN_RELATIVE_SPACING * range),
        "accepted x that are not increasing or too close"
    );
    let curve = xy::fit_spline(&parsed, 1.0).and_then(|s| xy::curve_on_grid(&s, 17));
    match curve {
        Ok(c) => {
            assert!(
                c.iter().flatten().all(|v| v.is_finite()),
                "an accepted curve holds a non-finite value"
            );
            Ok(())
        }
        Err(e) => bounded(e),
    }
}

/// Target `network_csv`: the teacher-student network reader and the pair check. The bytes up to
/// the first `|` are the teacher and the rest the student (`|` never occurs in a valid file);
/// without a `|`, the same bytes are both.
pub fn network_csv(data: &[u8]) -> Result<(), String> {
    let (t, s) = match data.iter().position(|&b| b == b'|') {
        Some(i) => (&data[..i], &data[i + 1..]),
        None => (data, data),
    };
    let read = |bytes: &[u8]| -> Result<NetworkFile, String> {
        let n = parse_network(bytes).map_err(|e| e.to_string())?;
        assert!(n.net.width() >= 1 && n.net.dim() >= 1);
        assert_eq!(n.lines.len(), n.net.width());
        assert!(n.net.a().iter().chain(n.net.w()).all(|v| v.is_finite()));
        Ok(n)
    };
    let (teacher, student) = match (read(t), read(s)) {
        (Ok(t), Ok(s)) => (t, s),
        (Err(e), _) | (_, Err(e)) => return bounded(e),
    };
    let named = |role, network| Named {
        role,
        file: "f.csv",
        network,
    };
    match check_pair(&named("teacher", &teacher), &named("student", &student)) {
        Ok(()) => {
            let loss = overparam_kernel::PopulationLoss::new(teacher.net.clone())
                .loss(&student.net)
                .expect("dimensions were checked");
            assert!(loss.is_finite(), "an accepted pair has a non-finite loss");
            Ok(())
        }
        Err(e) => bounded(e),
    }
}
