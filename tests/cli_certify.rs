//! `overparam certify` as a user runs it: published points at 8-10 digits, permuted, perturbed,
//! the global minimum, bad input.

#[path = "common/mod.rs"]
mod common;
use common::*;

fn certify_rows(name: &str, rows: &[Vec<f64>], extra: &[&str]) -> (Output, PathBuf) {
    let dir = scratch(name);
    let w = dir.join("w.csv");
    write_rows(&w, rows);
    let mut args = vec!["certify", "--weights", w.to_str().unwrap()];
    args.extend_from_slice(extra);
    (overparam(&args), dir)
}

#[test]
fn published_k7_minimum_is_certified_with_its_files() {
    let dir = scratch("certify-k7");
    let w = dir.join("w.csv");
    write_rows(&w, &type_a_rows(7, K7));
    let out = dir.join("out");
    let o = overparam(&[
        "certify",
        "--weights",
        w.to_str().unwrap(),
        "--out",
        out.to_str().unwrap(),
    ]);
    assert_eq!(o.status.code(), Some(0), "{}{}", stdout(&o), stderr(&o));
    assert!(
        stdout(&o).starts_with("certified: strict local minimum"),
        "{}",
        stdout(&o)
    );
    let cert: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(out.join("certificate.json")).unwrap())
            .unwrap();
    let (lo, hi) = (
        cert["loss_lower"].as_f64().unwrap(),
        cert["loss_upper"].as_f64().unwrap(),
    );
    assert!(
        lo > 0.0 && lo <= 0.0232027149 + 1e-9 && hi >= 0.0232027149 - 1e-9,
        "{lo} {hi}"
    );
    assert!(hi - lo < 1e-12, "tight enclosure: {lo} {hi}");
    assert!(cert["lambda_min_lower"].as_f64().unwrap() > 0.01);
    assert_eq!(cert["spurious"], true);
    // a type-A point: the symmetry-reduced route, with the isotropy it found
    assert!(
        cert["method"]
            .as_str()
            .unwrap()
            .starts_with("symmetry-reduced: isotropy Delta(S_{d-1} x S_1)"),
        "{}",
        cert["method"]
    );
    assert!(
        cert["isotropy"]
            .as_str()
            .unwrap()
            .contains("odd student row 6")
    );
    let point = std::fs::read_to_string(out.join("point.csv")).unwrap();
    assert_eq!(point.lines().count(), 7);
    let first: Vec<f64> = point
        .lines()
        .next()
        .unwrap()
        .split(',')
        .map(|x| x.parse().unwrap())
        .collect();
    assert!((first[0] - K7[0]).abs() < 1e-9, "{first:?}");
}

/// Rows and columns permuted, printed to 8 digits: the same certificate.
#[test]
fn permuted_eight_digit_point_is_certified() {
    let d = 7;
    let rows = type_a_rows(d, K7);
    let perm = [3, 6, 0, 5, 1, 4, 2];
    let permuted: Vec<Vec<f64>> = perm
        .iter()
        .map(|&i| {
            perm.iter()
                .map(|&j| format!("{:.8}", rows[i][j]).parse().unwrap())
                .collect()
        })
        .collect();
    let (o, _) = certify_rows("certify-perm", &permuted, &[]);
    assert_eq!(o.status.code(), Some(0), "{}", stdout(&o));
    assert!(stdout(&o).contains("certified: strict local minimum"));
}

/// The d = 5 type-A point is a saddle.
#[test]
fn d5_type_a_is_a_certified_saddle() {
    let p = [0.96160683, -0.07908255, 0.37606505, 0.28754993, -0.55977841];
    let (o, _) = certify_rows("certify-d5", &type_a_rows(5, p), &[]);
    assert_eq!(o.status.code(), Some(0), "{}", stdout(&o));
    assert!(
        stdout(&o).starts_with("certified: saddle"),
        "{}",
        stdout(&o)
    );
    assert!(stdout(&o).contains("rayleigh <="));
}

/// A point 1e-3 away from the minimum is not critical: refused, exit 1, nothing written.
#[test]
fn perturbed_point_is_not_certified() {
    let mut rows = type_a_rows(7, K7);
    rows[2][4] += 1e-3;
    let dir = scratch("certify-perturbed");
    let w = dir.join("w.csv");
    write_rows(&w, &rows);
    let out = dir.join("out");
    let o = overparam(&[
        "certify",
        "--weights",
        w.to_str().unwrap(),
        "--out",
        out.to_str().unwrap(),
    ]);
    assert_eq!(o.status.code(), Some(1), "{}", stdout(&o));
    assert!(
        stdout(&o).contains("not certified: the point is not a critical point"),
        "{}",
        stdout(&o)
    );
    assert!(
        out.join("certificate.json").exists(),
        "a refusal is a certificate too"
    );
}

/// The global minimum W = I: every student row is parallel to its teacher row.
#[test]
fn global_minimum_is_refused_for_the_parallel_pair() {
    let rows: Vec<Vec<f64>> = (0..4)
        .map(|i| (0..4).map(|j| f64::from(u8::from(i == j))).collect())
        .collect();
    let (o, _) = certify_rows("certify-global", &rows, &[]);
    assert_eq!(o.status.code(), Some(1), "{}", stdout(&o));
    assert!(
        stdout(&o).contains("not certified: student row 0 and teacher row 0 are parallel"),
        "{}",
        stdout(&o)
    );
}

#[test]
fn zero_row_is_refused() {
    let mut rows = type_a_rows(
        6,
        [0.98670382, -0.05041340, 0.30801099, 0.22451581, -0.60151192],
    );
    rows[1] = vec![0.0; 6];
    let (o, _) = certify_rows("certify-zero", &rows, &[]);
    assert_eq!(o.status.code(), Some(1));
    assert!(
        stdout(&o).contains("not certified: student row 1 is zero"),
        "{}",
        stdout(&o)
    );
}

#[test]
fn bad_input_is_exit_2_and_writes_nothing() {
    let dir = scratch("certify-bad");
    let w = dir.join("w.csv");
    std::fs::write(&w, "1,2\n3\n").unwrap();
    let out = dir.join("out");
    let o = overparam(&[
        "certify",
        "--weights",
        w.to_str().unwrap(),
        "--out",
        out.to_str().unwrap(),
    ]);
    assert_eq!(o.status.code(), Some(2));
    assert!(!out.exists());
    let v = dir.join("v.csv");
    std::fs::write(&w, "1,0\n0,1\n").unwrap();
    std::fs::write(&v, "1,0,0\n").unwrap();
    let o = overparam(&[
        "certify",
        "--weights",
        w.to_str().unwrap(),
        "--teacher",
        v.to_str().unwrap(),
    ]);
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("columns"));
}

/// --out follows the hessian tool's rules: an existing certify output is replaced only with
/// --force, and a directory holding another tool's output never is.
#[test]
fn out_directory_rules() {
    let dir = scratch("certify-out-rules");
    let w = dir.join("w.csv");
    write_rows(&w, &type_a_rows(7, K7));
    let out = dir.join("out");
    let (w, o) = (w.to_str().unwrap(), out.to_str().unwrap());
    assert_eq!(
        overparam(&["certify", "--weights", w, "--out", o])
            .status
            .code(),
        Some(0)
    );
    assert_eq!(
        overparam(&["certify", "--weights", w, "--out", o])
            .status
            .code(),
        Some(2)
    );
    assert_eq!(
        overparam(&["certify", "--weights", w, "--out", o, "--force"])
            .status
            .code(),
        Some(0)
    );
    let other = dir.join("hessian-out");
    let h = other.to_str().unwrap();
    assert_eq!(
        overparam(&["hessian", "--weights", w, "--out", h])
            .status
            .code(),
        Some(0)
    );
    let r = overparam(&["certify", "--weights", w, "--out", h, "--force"]);
    assert_eq!(r.status.code(), Some(2), "{}", stderr(&r));
    assert!(!other.join("certificate.json").exists());
}

fn fixture(name: &str) -> String {
    format!("{}/../../tests/fixtures/{name}", env!("CARGO_MANIFEST_DIR"))
}

fn certify_file(path: &str, extra: &[&str]) -> Output {
    let mut args = vec!["certify", "--weights", path];
    args.extend_from_slice(extra);
    overparam(&args)
}

fn loss_interval(text: &str) -> (f64, f64) {
    let line = text.lines().find(|l| l.starts_with("loss:")).unwrap();
    let inner = &line[line.find('[').unwrap() + 1..line.find(']').unwrap()];
    let (lo, hi) = inner.split_once(',').unwrap();
    (lo.trim().parse().unwrap(), hi.trim().parse().unwrap())
}

/// The three families of spurious minima that gradient descent found at k = d = 12 (300 seeded
/// runs of the spurious-frequency protocol: 127 type A, 37 with isotropy Delta(S_10 x S_2), 4
/// with Delta(S_9 x S_3); crates/certify/examples/gd_families.rs), each at 8 digits with rows
/// and columns shuffled: all three certified spurious minima, type A by symmetry, the other two
/// densely (no type-A isotropy: the fallback says so).
#[test]
fn d12_families_found_by_gradient_descent_are_certified() {
    for (name, loss, route) in [
        ("certify-d12-type-a.csv", 0.016523792713, "symmetry-reduced"),
        (
            "certify-d12-s10xs2.csv",
            0.031551183933,
            "dense (no symmetry found",
        ),
        (
            "certify-d12-s9xs3.csv",
            0.045458000572,
            "dense (no symmetry found",
        ),
    ] {
        let o = certify_file(&fixture(name), &[]);
        let text = stdout(&o);
        assert_eq!(o.status.code(), Some(0), "{name}: {text}{}", stderr(&o));
        assert!(
            text.starts_with("certified: strict local minimum"),
            "{name}: {text}"
        );
        let method = text.lines().find(|l| l.starts_with("method:")).unwrap();
        assert!(method.contains(route), "{name}: {method}");
        let (lo, hi) = loss_interval(&text);
        assert!(
            lo > 0.0 && lo <= loss + 1e-11 && hi >= loss - 1e-11,
            "{name}: {lo} {hi}"
        );
        assert!(hi - lo < 1e-11, "{name}: tight enclosure {lo} {hi}");
    }
    // the type-A one also through the dense route: the same verdict
    let o = certify_file(&fixture("certify-d12-type-a.csv"), &["--dense"]);
    assert_eq!(o.status.code(), Some(0), "{}", stdout(&o));
    assert!(
        stdout(&o).contains("method:         dense\n"),
        "{}",
        stdout(&o)
    );
}

/// d = 200 (40000 weights) by symmetry, from 8 digits with rows reversed and columns rotated;
/// through the dense route it is refused before anything is allocated, naming the other route.
#[test]
fn d200_type_a_is_certified_by_symmetry_and_refused_dense() {
    let d = 200;
    let p = overparam_kernel::type_a::solve_type_a(
        d,
        overparam_kernel::type_a::TypeA::from_array([
            1.00300375,
            -0.00365514,
            0.09318741,
            0.06371471,
            -0.81002058,
        ]),
        1e-12,
        100,
    )
    .unwrap()
    .point;
    let rows = type_a_rows(d, p.to_array());
    let shuffled: Vec<Vec<f64>> = (0..d)
        .rev()
        .map(|i| {
            (0..d)
                .map(|r| format!("{:.7e}", rows[i][(r + 3) % d]).parse().unwrap())
                .collect()
        })
        .collect();
    let dir = scratch("certify-d200");
    let w = dir.join("w.csv");
    write_rows(&w, &shuffled);
    let o = certify_file(w.to_str().unwrap(), &[]);
    let text = stdout(&o);
    assert_eq!(o.status.code(), Some(0), "{text}{}", stderr(&o));
    assert!(
        text.starts_with("certified: strict local minimum"),
        "{text}"
    );
    assert!(
        text.contains("odd student row 0, odd coordinate column 196"),
        "{text}"
    );
    let (lo, hi) = loss_interval(&text);
    assert!(lo > 0.0014160 && hi < 0.0014161, "{lo} {hi}");
    let o = certify_file(w.to_str().unwrap(), &["--dense"]);
    assert_eq!(o.status.code(), Some(2));
    let e = stderr(&o);
    assert!(
        e.contains("over --max-parameters 1600 for the dense route"),
        "{e}"
    );
    assert!(e.contains("no symmetry found: --dense was given"), "{e}");
}
