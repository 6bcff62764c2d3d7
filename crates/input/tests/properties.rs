//! Property tests over arbitrary bytes and near-valid CSV for the functions the fuzz targets
//! call: they run on stable in every `cargo test`, where cargo-fuzz (nightly) does not.

use overparam_input::{fuzzing, parse_numeric_csv, xy};
use proptest::prelude::*;

/// A field that is usually a number and sometimes almost one.
fn field() -> impl Strategy<Value = String> {
    prop_oneof![
        6 => any::<f64>().prop_map(|v| format!("{v:?}")),
        3 => (-1000i64..1000).prop_map(|v| v.to_string()),
        1 => prop::sample::select(vec![
            "", " ", "nan", "inf", "-inf", "1e309", "-1e-400", "1e", "0x10", "1_0", "\"2\"",
            "\"3,4\"", "#", "é", "\u{1b}[2J", "abc",
        ])
        .prop_map(str::to_owned),
    ]
}

/// Rows of fields joined by commas, possibly ragged, with occasional blank and comment lines.
fn near_valid_csv() -> impl Strategy<Value = String> {
    let row = prop::collection::vec(field(), 1..6).prop_map(|f| f.join(","));
    let line = prop_oneof![8 => row, 1 => Just(String::new()), 1 => Just("# note".to_owned())];
    (prop::collection::vec(line, 0..12), any::<bool>())
        .prop_map(|(lines, crlf)| lines.join(if crlf { "\r\n" } else { "\n" }))
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn arbitrary_bytes_never_panic(data in prop::collection::vec(any::<u8>(), 0..512)) {
        let _ = fuzzing::numeric_csv(&data);
        let _ = fuzzing::spline_xy(&data);
        let _ = fuzzing::network_csv(&data);
    }

    #[test]
    fn near_valid_csv_never_panics(text in near_valid_csv()) {
        let _ = fuzzing::numeric_csv(text.as_bytes());
        let _ = fuzzing::network_csv(text.as_bytes());
        let _ = fuzzing::spline_xy(format!("x,y,z\n{text}").as_bytes());
    }

    /// Whatever is accepted round-trips: writing the parsed numbers back in shortest form and
    /// reading them again gives the same table.
    #[test]
    fn accepted_tables_round_trip(text in near_valid_csv()) {
        if let Ok(t) = parse_numeric_csv(text.as_bytes(), false) {
            let written: String = t
                .rows
                .iter()
                .map(|r| r.iter().map(|v| format!("{v:?}")).collect::<Vec<_>>().join(",") + "\n")
                .collect();
            let again = parse_numeric_csv(written.as_bytes(), false).unwrap();
            prop_assert_eq!(again.rows, t.rows);
        }
    }

    /// Sorted, well-spaced x with any finite y is always accepted, whatever the other columns
    /// hold.
    #[test]
    fn well_spaced_sorted_data_is_accepted(
        gaps in prop::collection::vec(1e-3f64..10.0, 2..30),
        ys in prop::collection::vec(-1e6f64..1e6, 30),
        junk in "[a-z ]{0,12}",
    ) {
        let mut text = String::from("label,x,y\n");
        let mut x = -5.0;
        for (i, g) in std::iter::once(0.0).chain(gaps.iter().copied()).enumerate() {
            x += g;
            text.push_str(&format!("{junk},{x:?},{:?}\n", ys[i]));
        }
        let d = xy::parse_xy(text.as_bytes());
        prop_assert!(d.is_ok(), "{:?}", d);
        prop_assert_eq!(d.unwrap().x.len(), gaps.len() + 1);
    }
}

/// An `#[ignore]`d, time-budgeted fuzzing loop for machines without cargo-fuzz: it runs the
/// three targets on random near-valid CSV and random bytes for `OVERPARAM_FUZZ_SECONDS`
/// (default 60). `OVERPARAM_FUZZ_SECONDS=600 cargo test --release -p overparam-input --test
/// properties -- --ignored`.
#[test]
#[ignore]
fn time_budgeted_fuzzing() {
    use proptest::strategy::ValueTree;
    use proptest::test_runner::TestRunner;
    let seconds: u64 = std::env::var("OVERPARAM_FUZZ_SECONDS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(60);
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(seconds);
    let mut runner = TestRunner::deterministic();
    let bytes = prop::collection::vec(any::<u8>(), 0..2048);
    let text = near_valid_csv();
    let mut cases = 0u64;
    while std::time::Instant::now() < deadline {
        let b = bytes.new_tree(&mut runner).unwrap().current();
        let t = text.new_tree(&mut runner).unwrap().current();
        for data in [b.as_slice(), t.as_bytes()] {
            let _ = fuzzing::numeric_csv(data);
            let _ = fuzzing::spline_xy(data);
            let _ = fuzzing::network_csv(data);
        }
        cases += 2;
    }
    println!("{cases} inputs in {seconds} s");
}
