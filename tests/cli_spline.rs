//! `overparam spline`: fits a cubic smoothing spline to a user's CSV and writes f, f', f'' on a
//! grid; refuses malformed input with exit status 2 and writes nothing.

#[path = "common/mod.rs"]
mod common;
use common::*;

use overparam_kernel::SmoothingSpline;

fn spline(data: &Path, lambda: &str, grid: Option<&str>, out: &Path) -> Output {
    let mut args = vec![
        "spline",
        "--data",
        data.to_str().unwrap(),
        "--lambda",
        lambda,
        "--out",
        out.to_str().unwrap(),
    ];
    if let Some(g) = grid {
        args.extend(["--grid", g]);
    }
    overparam(&args)
}

fn read_curve(path: &Path) -> (Vec<String>, Vec<[f64; 4]>) {
    let mut r = csv::Reader::from_path(path).unwrap();
    let header = r.headers().unwrap().iter().map(str::to_owned).collect();
    let rows = r
        .records()
        .map(|rec| {
            let rec = rec.unwrap();
            let v: Vec<f64> = rec.iter().map(|s| s.parse().unwrap()).collect();
            [v[0], v[1], v[2], v[3]]
        })
        .collect();
    (header, rows)
}

const XS: [f64; 7] = [-1.0, -0.6, -0.1, 0.2, 0.7, 1.3, 2.0];
const YS: [f64; 7] = [0.3, -0.2, 0.9, 0.4, -0.8, 0.1, 0.6];

fn write_data(dir: &Path) -> PathBuf {
    let mut text = String::from("x,y\n");
    for (x, y) in XS.iter().zip(YS) {
        text.push_str(&format!("{x},{y}\n"));
    }
    let p = dir.join("points.csv");
    std::fs::write(&p, text).unwrap();
    p
}

#[test]
fn writes_the_fitted_curve_on_an_even_grid() {
    let dir = scratch("ok");
    let data = write_data(&dir);
    let out = dir.join("curve.csv");
    let o = spline(&data, "0.05", Some("31"), &out);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let (header, rows) = read_curve(&out);
    assert_eq!(header, ["x", "f", "df", "d2f"]);
    assert_eq!(rows.len(), 31);
    assert_eq!(rows[0][0], -1.0);
    assert_eq!(rows[30][0], 2.0);
    let reference = SmoothingSpline::fit(&XS, &YS, 0.05).unwrap();
    for (j, r) in rows.iter().enumerate() {
        assert!((r[0] - (-1.0 + 3.0 * j as f64 / 30.0)).abs() < 1e-15);
        let (f, df, d2f) = reference.eval(r[0]);
        // written in shortest round-trip form: exact
        assert_eq!([r[1], r[2], r[3]], [f, df, d2f]);
    }
    // natural spline: f'' vanishes at both ends
    assert!(rows[0][3].abs() < 1e-12 && rows[30][3].abs() < 1e-12);
    assert_eq!(entries(&dir), ["curve.csv", "points.csv"]);
}

#[test]
fn default_grid_and_extra_columns() {
    let dir = scratch("extra");
    let p = dir.join("d.csv");
    std::fs::write(&p, "id,y,x\n1,0.5,0\n2,0.1,1\n3,0.7,2\n4,0.2,3\n").unwrap();
    let out = dir.join("c.csv");
    let o = spline(&p, "1e-3", None, &out);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert_eq!(read_curve(&out).1.len(), 201);
}

/// A very large lambda gives the least-squares line, a tiny one interpolates.
#[test]
fn lambda_moves_between_the_line_and_interpolation() {
    let dir = scratch("limits");
    let data = write_data(&dir);
    let out = dir.join("line.csv");
    assert_eq!(
        spline(&data, "1e12", Some("5"), &out).status.code(),
        Some(0)
    );
    let n = XS.len() as f64;
    let (mx, my) = (XS.iter().sum::<f64>() / n, YS.iter().sum::<f64>() / n);
    let slope = XS
        .iter()
        .zip(YS)
        .map(|(x, y)| (x - mx) * (y - my))
        .sum::<f64>()
        / XS.iter().map(|x| (x - mx) * (x - mx)).sum::<f64>();
    for r in read_curve(&out).1 {
        assert!((r[1] - (my + slope * (r[0] - mx))).abs() < 1e-6);
    }
    let out = dir.join("interp.csv");
    assert_eq!(
        spline(&data, "1e-12", Some("7"), &out).status.code(),
        Some(0)
    );
    let rows = read_curve(&out).1;
    assert!((rows[0][1] - YS[0]).abs() < 1e-8 && (rows[6][1] - YS[6]).abs() < 1e-8);
}

#[test]
fn malformed_input_exits_2_and_writes_nothing() {
    let cases: &[(&str, &str, &str, &str)] = &[
        (
            "unsorted",
            "x,y\n0,1\n2,0\n1,3\n3,1\n",
            "0.1",
            "strictly increasing",
        ),
        ("duplicate", "x,y\n0,1\n1,0\n1,3\n3,1\n", "0.1", "duplicate"),
        (
            "nan",
            "x,y\n0,1\n1,NaN\n2,3\n3,1\n",
            "0.1",
            "not a finite number",
        ),
        ("text", "x,y\n0,1\n1,abc\n2,3\n", "0.1", "not a number"),
        ("too-few", "x,y\n0,1\n1,0\n", "0.1", "at least 3"),
        ("no-header", "0,1\n1,0\n2,3\n", "0.1", "no column named 'x'"),
        ("ragged", "x,y\n0,1\n1\n2,3\n", "0.1", "expected 2"),
        ("empty", "", "0.1", "empty"),
        ("zero-lambda", "x,y\n0,1\n1,0\n2,3\n", "0", "--lambda"),
        ("negative-lambda", "x,y\n0,1\n1,0\n2,3\n", "-1", "--lambda"),
        ("nan-lambda", "x,y\n0,1\n1,0\n2,3\n", "NaN", "--lambda"),
    ];
    for (name, text, lambda, needle) in cases {
        let dir = scratch(name);
        let p = dir.join("d.csv");
        std::fs::write(&p, text).unwrap();
        let o = spline(&p, lambda, None, &dir.join("curve.csv"));
        assert_eq!(o.status.code(), Some(2), "{name}: {}", stderr(&o));
        assert!(stderr(&o).contains(needle), "{name}: {}", stderr(&o));
        assert_eq!(entries(&dir), ["d.csv"], "{name}: something was written");
    }
}

#[test]
fn bad_grid_missing_file_and_unwritable_output_exit_2() {
    let dir = scratch("bad");
    let data = write_data(&dir);
    for grid in ["1", "0", "2000000", "many"] {
        let o = spline(&data, "0.1", Some(grid), &dir.join("c.csv"));
        assert_eq!(o.status.code(), Some(2), "grid {grid}");
    }
    let o = spline(&dir.join("missing.csv"), "0.1", None, &dir.join("c.csv"));
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("cannot read"));
    let o = spline(&data, "0.1", None, &dir.join("no-such-dir").join("c.csv"));
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("cannot write"), "{}", stderr(&o));
    let o = spline(&data, "0.1", None, &dir);
    assert_eq!(o.status.code(), Some(2));
    assert_eq!(entries(&dir), ["points.csv"]);
}

/// A failed run leaves an existing output untouched; a successful one with --force replaces it
/// (tests/cli_safety.rs has the rules for what --force may replace).
#[test]
fn existing_output_is_replaced_only_on_success() {
    let dir = scratch("replace");
    let data = write_data(&dir);
    let out = dir.join("curve.csv");
    assert_eq!(spline(&data, "0.2", Some("5"), &out).status.code(), Some(0));
    let old = std::fs::read_to_string(&out).unwrap();
    assert_eq!(spline(&data, "-3", None, &out).status.code(), Some(2));
    assert_eq!(std::fs::read_to_string(&out).unwrap(), old);
    let forced = |lambda: &str| {
        overparam(&[
            "spline",
            "--data",
            data.to_str().unwrap(),
            "--lambda",
            lambda,
            "--grid",
            "3",
            "--force",
            "--out",
            out.to_str().unwrap(),
        ])
    };
    assert_eq!(forced("-3").status.code(), Some(2));
    assert_eq!(std::fs::read_to_string(&out).unwrap(), old);
    assert_eq!(forced("0.2").status.code(), Some(0));
    assert_eq!(read_curve(&out).1.len(), 3);
    assert_eq!(entries(&dir), ["curve.csv", "points.csv"]);
}

#[test]
fn other_columns_may_hold_text() {
    // The help says other columns are ignored; a text third column used to be refused.
    let dir = scratch("text-column");
    let p = dir.join("d.csv");
    std::fs::write(
        &p,
        "x,y,note\n0,1,first\n1,0,\"a, quoted one\"\n2,3,\n3,1,last\n",
    )
    .unwrap();
    let out = dir.join("c.csv");
    let o = spline(&p, "0.1", Some("5"), &out);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let plain = dir.join("plain.csv");
    std::fs::write(&plain, "x,y\n0,1\n1,0\n2,3\n3,1\n").unwrap();
    let reference = dir.join("r.csv");
    assert_eq!(
        spline(&plain, "0.1", Some("5"), &reference).status.code(),
        Some(0)
    );
    assert_eq!(
        std::fs::read(&out).unwrap(),
        std::fs::read(&reference).unwrap()
    );
}

#[test]
fn tiny_spacing_is_reported_as_spacing() {
    // Used to say "banded solve failed: matrix contains NaN".
    let dir = scratch("spacing");
    let p = dir.join("d.csv");
    std::fs::write(&p, "x,y\n0,1\n1e-300,2\n1,0\n2,1\n").unwrap();
    let o = spline(&p, "1", None, &dir.join("c.csv"));
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
    let e = stderr(&o);
    assert!(
        e.contains("x spacing too small relative to the range"),
        "{e}"
    );
    assert!(e.contains("data rows 1 and 2"), "{e}");
    assert!(!e.contains("NaN"), "{e}");
    assert_eq!(entries(&dir), ["d.csv"]);
}

#[test]
fn a_huge_field_is_echoed_cut_short() {
    let dir = scratch("huge-field");
    let p = dir.join("d.csv");
    let field = "z".repeat(5_000_000);
    std::fs::write(&p, format!("x,y\n0,1\n1,{field}\n2,3\n")).unwrap();
    let o = spline(&p, "1", None, &dir.join("c.csv"));
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
    let e = stderr(&o);
    assert!(e.len() < 1000, "a {}-byte message", e.len());
    assert!(e.contains("line 3, column 2"), "{e}");
    assert!(e.contains("... (5000000 bytes in all)"), "{e}");
    assert_eq!(entries(&dir), ["d.csv"]);
}

#[test]
fn data_may_come_from_stdin() {
    use std::io::Write;
    let dir = scratch("stdin");
    let out = dir.join("c.csv");
    let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_overparam"))
        .args([
            "spline",
            "--data",
            "-",
            "--lambda",
            "0.1",
            "--out",
            out.to_str().unwrap(),
        ])
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(b"x,y\n0,1\n1,0\n2,3\n")
        .unwrap();
    let o = child.wait_with_output().unwrap();
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert_eq!(entries(&dir), ["c.csv"]);
}

#[test]
fn a_curve_that_overflows_between_the_knots_is_refused() {
    // Finite at the knots, infinite between them: used to write inf and NaN into the CSV
    // (found by the spline_xy fuzz target).
    let dir = scratch("overflow");
    let p = dir.join("d.csv");
    std::fs::write(&p, "x,y\n0,1e308\n1,-1e30\n82,1e308\n").unwrap();
    let o = spline(&p, "1", None, &dir.join("c.csv"));
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
    assert!(stderr(&o).contains("overflows f64"), "{}", stderr(&o));
    assert_eq!(entries(&dir), ["d.csv"]);
}
