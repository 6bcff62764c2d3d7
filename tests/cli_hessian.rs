//! `overparam hessian` as a researcher uses it: checking published critical points.

#[path = "common/mod.rs"]
mod common;
use common::*;

/// The k = 7 minimum published (to ten digits) in the Safran-Yehudai-Shamir repository README:
/// the rounding leaves a gradient of ~3e-10, which the default tolerance must accept.
#[test]
fn published_k7_minimum_is_classified_minimum() {
    let dir = scratch("k7");
    let w = dir.join("w.csv");
    write_rows(&w, &type_a_rows(7, K7));
    let out = dir.join("out");
    let o = overparam(&[
        "hessian",
        "--weights",
        w.to_str().unwrap(),
        "--out",
        out.to_str().unwrap(),
    ]);
    assert_eq!(
        o.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&o.stderr)
    );
    assert!(
        stdout(&o).contains("classification: minimum"),
        "{}",
        stdout(&o)
    );

    let summary: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(out.join("summary.json")).unwrap()).unwrap();
    for key in [
        "loss",
        "grad_norm",
        "lambda_min",
        "lambda_max",
        "classification",
        "tolerances",
    ] {
        assert!(summary.get(key).is_some(), "summary.json lacks {key}");
    }
    assert_eq!(summary["classification"], "minimum");
    assert!((summary["loss"].as_f64().unwrap() - 0.0232027149).abs() < 1e-9);
    let spectrum = std::fs::read_to_string(out.join("spectrum.csv")).unwrap();
    let mut lines = spectrum.lines();
    assert_eq!(lines.next(), Some("rank,eigenvalue"));
    let values: Vec<f64> = lines
        .map(|l| l.split(',').nth(1).unwrap().parse().unwrap())
        .collect();
    assert_eq!(values.len(), 49);
    assert!(values.windows(2).all(|w| w[0] <= w[1]));
}

#[test]
fn type_a_at_d5_is_a_saddle_and_a_moved_point_is_not_critical() {
    let dir = scratch("d5");
    let p5 = [0.96160683, -0.07908255, 0.37606505, 0.28754993, -0.55977841];
    let w = dir.join("w.csv");
    write_rows(&w, &type_a_rows(5, p5));
    let o = overparam(&["hessian", "--weights", w.to_str().unwrap()]);
    assert!(
        stdout(&o).contains("classification: saddle"),
        "{}",
        stdout(&o)
    );

    let mut moved = p5;
    moved[2] += 1e-3;
    write_rows(&w, &type_a_rows(5, moved));
    let o = overparam(&["hessian", "--weights", w.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(0));
    assert!(
        stdout(&o).contains("classification: not-critical"),
        "{}",
        stdout(&o)
    );
}

/// --teacher is really used: a student equal to a non-orthogonal teacher is a global minimum
/// against that teacher, and the same student is not critical against the default teacher I_d.
#[test]
fn explicit_teacher_is_used() {
    let dir = scratch("teacher");
    let rows = vec![
        vec![1.0, 0.0, 0.0],
        vec![0.5, 0.8, 0.0],
        vec![0.2, 0.3, 0.9],
    ];
    let teacher = dir.join("v.csv");
    write_rows(&teacher, &rows);
    let w = dir.join("w.csv");
    write_rows(&w, &rows);
    let o = overparam(&[
        "hessian",
        "--weights",
        w.to_str().unwrap(),
        "--teacher",
        teacher.to_str().unwrap(),
    ]);
    assert_eq!(o.status.code(), Some(0));
    assert!(
        stdout(&o).contains("classification: minimum"),
        "{}",
        stdout(&o)
    );
    let o = overparam(&["hessian", "--weights", w.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(0));
    assert!(
        stdout(&o).contains("classification: not-critical"),
        "{}",
        stdout(&o)
    );
}

#[test]
fn malformed_input_is_refused_with_status_2_and_nothing_written() {
    let dir = scratch("bad");
    let out = dir.join("out");
    let cases: [(&str, &str); 5] = [
        ("empty.csv", ""),
        ("ragged.csv", "1,0\n0\n"),
        ("text.csv", "1,zero\n0,1\n"),
        ("nan.csv", "1,NaN\n0,1\n"),
        ("header.csv", "w1,w2\n1,0\n"),
    ];
    for (name, text) in cases {
        let path = dir.join(name);
        std::fs::write(&path, text).unwrap();
        let o = overparam(&[
            "hessian",
            "--weights",
            path.to_str().unwrap(),
            "--out",
            out.to_str().unwrap(),
        ]);
        assert_eq!(o.status.code(), Some(2), "{name}");
        assert!(
            !String::from_utf8_lossy(&o.stderr).is_empty(),
            "{name}: no message"
        );
        assert!(!out.exists(), "{name}: output written");
    }
    // teacher with another dimension
    let w = dir.join("w.csv");
    write_rows(&w, &[vec![1.0, 0.0], vec![0.0, 1.0]]);
    let v = dir.join("v.csv");
    write_rows(&v, &[vec![1.0, 0.0, 0.0]]);
    let o = overparam(&[
        "hessian",
        "--weights",
        w.to_str().unwrap(),
        "--teacher",
        v.to_str().unwrap(),
    ]);
    assert_eq!(o.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&o.stderr).contains("columns"));
    // missing file
    let o = overparam(&[
        "hessian",
        "--weights",
        dir.join("nope.csv").to_str().unwrap(),
    ]);
    assert_eq!(o.status.code(), Some(2));
}

#[test]
fn too_large_points_are_refused_with_the_memory_estimate() {
    let dir = scratch("large");
    let w = dir.join("w.csv");
    // I_60 with one moved entry: no symmetry, so only the dense path applies.
    let mut rows: Vec<Vec<f64>> = (0..60)
        .map(|i| (0..60).map(|j| if i == j { 1.0 } else { 0.0 }).collect())
        .collect();
    rows[3][7] = 0.25;
    write_rows(&w, &rows);
    let o = overparam(&[
        "hessian",
        "--weights",
        w.to_str().unwrap(),
        "--memory-limit-gib",
        "0.01",
    ]);
    assert_eq!(o.status.code(), Some(2));
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(err.contains("GiB") && err.contains("3600 x 3600"), "{err}");
    assert!(err.contains("neither isotropy"), "{err}");
}

fn read_spectrum(dir: &Path) -> Vec<f64> {
    let text = std::fs::read_to_string(dir.join("spectrum.csv")).unwrap();
    let mut lines = text.lines();
    assert_eq!(lines.next(), Some("rank,eigenvalue"));
    lines
        .enumerate()
        .map(|(rank, l)| {
            let (r, v) = l.split_once(',').unwrap();
            assert_eq!(r.parse::<usize>().unwrap(), rank);
            v.parse().unwrap()
        })
        .collect()
}

fn read_summary(dir: &Path) -> serde_json::Value {
    serde_json::from_str(&std::fs::read_to_string(dir.join("summary.json")).unwrap()).unwrap()
}

/// Rows and columns of `rows` shuffled by two different fixed permutations.
fn shuffled(rows: &[Vec<f64>]) -> Vec<Vec<f64>> {
    let d = rows.len();
    let row_perm: Vec<usize> = (0..d).map(|i| (7 * i + 3) % d).collect();
    let col_perm: Vec<usize> = (0..d).map(|j| (d - 1 + 5 * j) % d).collect();
    assert!(
        !d.is_multiple_of(7) && !d.is_multiple_of(5),
        "the maps must be permutations"
    );
    (0..d)
        .map(|i| (0..d).map(|j| rows[row_perm[i]][col_perm[j]]).collect())
        .collect()
}

fn hessian_out(w: &Path, out: &Path, extra: &[&str]) -> Output {
    let mut args = vec![
        "hessian",
        "--weights",
        w.to_str().unwrap(),
        "--out",
        out.to_str().unwrap(),
    ];
    args.extend_from_slice(extra);
    let o = overparam(&args);
    assert_eq!(
        o.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&o.stderr)
    );
    o
}

/// W = I_200: a dense Hessian would be 40000 x 40000 (about 24 GiB with its eigensolver, over
/// the default limit); the symmetry Delta S_d is detected and all 40000 eigenvalues come from
/// the blocks, equal to the closed form of the paper note (item 5).
#[test]
fn identity_at_d_200_uses_the_blocks_and_matches_the_closed_form() {
    let d = 200;
    let dir = scratch("i200");
    let w = dir.join("w.csv");
    let rows: Vec<Vec<f64>> = (0..d)
        .map(|i| (0..d).map(|j| f64::from(u8::from(i == j))).collect())
        .collect();
    write_rows(&w, &rows);
    let out = dir.join("out");
    let o = hessian_out(&w, &out, &[]);
    assert!(
        stdout(&o).contains("method:         symmetry-adapted (isotropy Delta S_d)"),
        "{}",
        stdout(&o)
    );
    let summary = read_summary(&out);
    assert_eq!(summary["method"], "symmetry-adapted (isotropy Delta S_d)");
    assert_eq!(summary["classification"], "minimum");
    let values = read_spectrum(&out);
    let mut expected: Vec<f64> = overparam_checks::arjevani_field::global_min_spectrum(d)
        .iter()
        .flat_map(|b| std::iter::repeat_n(b.value, b.multiplicity))
        .collect();
    expected.sort_by(f64::total_cmp);
    assert_eq!(values.len(), d * d);
    for (got, want) in values.iter().zip(&expected) {
        assert!(
            (got - want).abs() <= 1e-12 * want.max(1.0),
            "{got} vs {want}"
        );
    }
    let blocks = std::fs::read_to_string(out.join("blocks.csv")).unwrap();
    let total: usize = blocks
        .lines()
        .skip(1)
        .map(|l| l.rsplit(',').next().unwrap().parse::<usize>().unwrap())
        .sum();
    assert_eq!(total, d * d);
}

/// A type-A point at d = 61 with rows and columns shuffled independently: detected as
/// Delta(S_{d-1} x S_1), with the same summary keys as the dense path.
#[test]
fn shuffled_type_a_at_d_61_is_detected() {
    let d = 61;
    let dir = scratch("a61");
    let w = dir.join("w.csv");
    write_rows(
        &w,
        &shuffled(&type_a_rows(d, [1.0026, -0.0004, 0.032, 0.022, -0.9])),
    );
    let out = dir.join("out");
    let o = hessian_out(&w, &out, &[]);
    assert!(
        stdout(&o).contains("symmetry-adapted (isotropy Delta(S_{d-1} x S_1))"),
        "{}",
        stdout(&o)
    );
    let summary = read_summary(&out);
    let keys: Vec<&String> = summary.as_object().unwrap().keys().collect();
    for key in [
        "k",
        "d",
        "teacher",
        "loss",
        "grad_norm",
        "lambda_min",
        "lambda_max",
        "classification",
        "tolerances",
        "trace_error",
        "method",
        "loss_rounding_bound",
    ] {
        assert!(summary.get(key).is_some(), "summary.json lacks {key}");
    }
    assert_eq!(keys.len(), 12, "{keys:?}");
    let values = read_spectrum(&out);
    assert_eq!(values.len(), d * d);
    assert!(values.windows(2).all(|w| w[0] <= w[1]));
    assert!(summary["trace_error"].as_f64().unwrap() < 1e-12);
}

/// The block spectrum equals the dense one (forced with --dense) at moderate d, for both
/// symmetries, through the CLI: same values to 1e-10 of ||H||, same classification and loss.
#[test]
fn symmetric_and_dense_paths_agree() {
    let dir = scratch("agree");
    let d = 12;
    let diagonal: Vec<Vec<f64>> = (0..d)
        .map(|i| (0..d).map(|j| if i == j { 0.85 } else { 0.1 }).collect())
        .collect();
    let type_a = type_a_rows(
        d,
        [1.00467906, -0.01067771, 0.15249275, 0.10480931, -0.73073639],
    );
    for (name, rows, isotropy) in [
        ("diag", diagonal, "Delta S_d"),
        ("typea", type_a, "Delta(S_{d-1} x S_1)"),
    ] {
        let w = dir.join(format!("{name}.csv"));
        write_rows(&w, &shuffled(&rows));
        let (fast, slow) = (
            dir.join(format!("{name}-fast")),
            dir.join(format!("{name}-dense")),
        );
        hessian_out(&w, &fast, &[]);
        hessian_out(&w, &slow, &["--dense"]);
        let (a, b) = (read_summary(&fast), read_summary(&slow));
        assert_eq!(
            a["method"],
            format!("symmetry-adapted (isotropy {isotropy})")
        );
        assert_eq!(b["method"], "dense");
        assert_eq!(a["loss"], b["loss"]);
        assert_eq!(a["classification"], b["classification"]);
        assert!(!slow.join("blocks.csv").exists());
        let (x, y) = (read_spectrum(&fast), read_spectrum(&slow));
        assert_eq!(x.len(), y.len());
        let scale = y.iter().fold(1.0f64, |m, v| m.max(v.abs()));
        let dev = x
            .iter()
            .zip(&y)
            .map(|(p, q)| (p - q).abs())
            .fold(0.0, f64::max);
        assert!(dev <= 1e-10 * scale, "{name}: deviation {dev:e}");
    }
}

/// Runs the binary like [`overparam`], but kills it and fails after `limit` (a generous bound
/// that only catches a regression to minutes; the project asserts no timings).
fn overparam_within(args: &[&str], limit: std::time::Duration) -> Output {
    let child = std::process::Command::new(env!("CARGO_BIN_EXE_overparam"))
        .args(args)
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("run overparam");
    let pid = child.id();
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let _ = tx.send(child.wait_with_output());
    });
    match rx.recv_timeout(limit) {
        Ok(o) => o.expect("wait for overparam"),
        Err(_) => {
            let _ = std::process::Command::new("kill")
                .args(["-9", &pid.to_string()])
                .status();
            panic!("overparam {args:?} still running after {limit:?}");
        }
    }
}

const WATCHDOG: std::time::Duration = std::time::Duration::from_secs(20);

/// A deterministic, non-symmetric k x d point (xorshift), written with six decimals.
fn write_generic_point(path: &Path, k: usize, d: usize) {
    let mut state = 0x2545_f491_4f6c_dd1du64;
    let mut text = String::with_capacity(k * d * 10);
    for _ in 0..k {
        for r in 0..d {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            let x = (state >> 11) as f64 / (1u64 << 53) as f64 * 2.0 - 1.0;
            if r > 0 {
                text.push(',');
            }
            text.push_str(&format!("{x:.6}"));
        }
        text.push('\n');
    }
    std::fs::write(path, text).unwrap();
}

/// Defect 2: one row of 200000 numbers used to abort (exit 134) building the 200000 x 200000
/// identity teacher; a 2000 x 2000 point took 35 s (the teacher energy, O(m^2 d)) before the
/// estimate refused it. Both are refused from their shapes, with the estimate, writing nothing.
#[test]
fn impossible_points_are_refused_from_their_shapes_with_the_estimate() {
    let dir = scratch("refuse");
    let wide = dir.join("wide.csv");
    let row = vec!["0.5"; 200_000].join(",") + "\n";
    std::fs::write(&wide, row).unwrap();
    let square = dir.join("square.csv");
    write_generic_point(&square, 2000, 2000);
    let out = dir.join("out");
    for (input, k, d) in [(&wide, 1, 200_000), (&square, 2000, 2000)] {
        let n = format!("{0} x {0}", k * d);
        // The estimate printed is the kernel's, for these shapes and the teacher I_d.
        let gib =
            overparam_kernel::critical::dense_analysis_bytes(k, d, d) as f64 / (1u64 << 30) as f64;
        let estimate = format!("{gib:.2} GiB");
        let o = overparam_within(
            &[
                "hessian",
                "--weights",
                input.to_str().unwrap(),
                "--out",
                out.to_str().unwrap(),
            ],
            WATCHDOG,
        );
        let err = stderr(&o);
        assert_eq!(o.status.code(), Some(2), "{err}");
        assert!(err.contains(&n) && err.contains(&estimate), "{err}");
        assert!(err.contains("--memory-limit-gib 8"), "{err}");
        assert!(!out.exists());
    }
    assert_eq!(entries(&dir), ["square.csv", "wide.csv"]);
}

/// Defect 2: `--memory-limit-gib 1e300` accepts any estimate; a 10^6 x 10^6 Hessian (8 TB
/// before its eigensolver) cannot be allocated on any machine, and that is an error message
/// with exit 1, not an abort (134), and nothing is written.
#[test]
fn an_unallocatable_accepted_estimate_is_exit_1_not_an_abort() {
    let dir = scratch("alloc");
    let w = dir.join("w.csv");
    std::fs::write(&w, vec!["1"; 1_000_000].join(",") + "\n").unwrap();
    let out = dir.join("out");
    let o = overparam_within(
        &[
            "hessian",
            "--weights",
            w.to_str().unwrap(),
            "--memory-limit-gib",
            "1e300",
            "--out",
            out.to_str().unwrap(),
        ],
        WATCHDOG,
    );
    let err = stderr(&o);
    assert_eq!(o.status.code(), Some(1), "{err}");
    assert!(
        err.contains("cannot allocate") && err.contains("GiB"),
        "{err}"
    );
    assert!(stdout(&o).is_empty(), "{}", stdout(&o));
    assert_eq!(entries(&dir), ["w.csv"]);
}

/// Defect 3: all-zero weights used to be called a minimum (loss 1.2275, while W = 1e-3 I has
/// loss 1.2250). A zero student row is a kink: its own class, only the loss, no spectrum.
#[test]
fn a_zero_neuron_is_non_differentiable_not_a_minimum() {
    let dir = scratch("zero");
    let w = dir.join("w.csv");
    std::fs::write(&w, "0,0,0\n0,0,0\n0,0,0\n").unwrap();
    let out = dir.join("out");
    let o = hessian_out(&w, &out, &[]);
    assert!(
        stdout(&o).contains("classification: non-differentiable: zero neuron 0"),
        "{}",
        stdout(&o)
    );
    let summary = read_summary(&out);
    assert_eq!(
        summary["classification"],
        "non-differentiable: zero neuron 0"
    );
    assert_eq!(summary["zero_neuron"], 0);
    // L(0) = 1/2 E[(sum_j relu(x_j))^2] = d / 4 + d (d - 1) / (4 pi) at d = 3.
    let exact = 0.75 + 6.0 / (4.0 * std::f64::consts::PI);
    let (loss, bound) = (
        summary["loss"].as_f64().unwrap(),
        summary["loss_rounding_bound"].as_f64().unwrap(),
    );
    assert!((loss - exact).abs() <= bound + 1e-15, "{loss} vs {exact}");
    assert!(!out.join("spectrum.csv").exists());
    // The smaller loss nearby that shows W = 0 is no minimum.
    let near = dir.join("near.csv");
    write_rows(
        &near,
        &(0..3)
            .map(|i| (0..3).map(|j| if i == j { 1e-3 } else { 0.0 }).collect())
            .collect::<Vec<_>>(),
    );
    let near_out = dir.join("near-out");
    hessian_out(&near, &near_out, &["--dense"]);
    assert!(read_summary(&near_out)["loss"].as_f64().unwrap() < loss - 1e-3);

    // One zero row among non-zero ones, by its 0-based data row; on the block path too.
    let mut rows: Vec<Vec<f64>> = (0..5)
        .map(|i| (0..5).map(|j| if i == j { 1.0 } else { 0.0 }).collect())
        .collect();
    rows[2] = vec![0.0; 5];
    let one = dir.join("one.csv");
    write_rows(&one, &rows);
    let o = overparam(&["hessian", "--weights", one.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(0));
    assert!(
        stdout(&o).contains("classification: non-differentiable: zero neuron 2"),
        "{}",
        stdout(&o)
    );
    // A zero teacher row is an absent neuron, not a kink in W: the student equal to the
    // teacher's non-zero rows is still its global minimum.
    let teacher = dir.join("v.csv");
    write_rows(&teacher, &[vec![1.0, 0.0], vec![0.0, 0.0], vec![0.3, 0.8]]);
    let student = dir.join("s.csv");
    write_rows(&student, &[vec![0.3, 0.8], vec![1.0, 0.0]]);
    let o = overparam(&[
        "hessian",
        "--weights",
        student.to_str().unwrap(),
        "--teacher",
        teacher.to_str().unwrap(),
    ]);
    assert!(
        stdout(&o).contains("classification: minimum"),
        "{}",
        stdout(&o)
    );
}

/// Defect 8: at W = V = I_d the loss printed -4.4e-16 (d = 4) and -7.7e-8 (d = 500). Rows
/// equal to teacher rows cancel exactly, so it is 0 with bound 0 on both paths, and a point
/// near the minimum prints a non-negative loss within its bound of the closed form.
#[test]
fn the_loss_is_never_negative_and_comes_with_its_rounding_bound() {
    let dir = scratch("nonneg");
    let identity = |d: usize| -> Vec<Vec<f64>> {
        (0..d)
            .map(|i| (0..d).map(|j| if i == j { 1.0 } else { 0.0 }).collect())
            .collect()
    };
    for (d, extra) in [(4, &["--dense"][..]), (4, &[][..]), (500, &[][..])] {
        let w = dir.join(format!("i{d}.csv"));
        write_rows(&w, &identity(d));
        let out = dir.join(format!("i{d}-{}", extra.len()));
        let o = hessian_out(&w, &out, extra);
        assert!(
            stdout(&o).contains("loss:           0.0000000000e0   (rounding error <= 0.0e0)"),
            "{}",
            stdout(&o)
        );
        let summary = read_summary(&out);
        assert_eq!(summary["loss"].as_f64(), Some(0.0));
        assert_eq!(summary["loss_rounding_bound"].as_f64(), Some(0.0));
    }
    // W = s I_d, s = 1 + 2^-30: L = (s - 1)^2 / 2 (d / 2 + d (d - 1) / (2 pi)) ~ 1e-16, at
    // the level of the cancellation in the sum; printed >= 0 and within the bound.
    let (d, s) = (6usize, 1.0 + 2f64.powi(-30));
    let scaled: Vec<Vec<f64>> = identity(d)
        .iter()
        .map(|r| r.iter().map(|x| x * s).collect())
        .collect();
    let w = dir.join("scaled.csv");
    write_rows(&w, &scaled);
    let out = dir.join("scaled-out");
    let o = hessian_out(&w, &out, &[]);
    let summary = read_summary(&out);
    let (loss, bound) = (
        summary["loss"].as_f64().unwrap(),
        summary["loss_rounding_bound"].as_f64().unwrap(),
    );
    let df = d as f64;
    let exact =
        0.5 * (s - 1.0).powi(2) * (df / 2.0 + df * (df - 1.0) / (2.0 * std::f64::consts::PI));
    assert!(loss >= 0.0 && bound > 0.0, "{loss} {bound}");
    assert!(
        (loss - exact).abs() <= bound,
        "{loss} vs {exact:e}, bound {bound:e}"
    );
    assert!(stdout(&o).contains("rounding error <="), "{}", stdout(&o));
}

/// The classes, the 0-based row of a zero neuron, the loss bound and the memory rule are in
/// `--help` (the long text used to be shadowed by the subcommand's doc comment).
#[test]
fn help_explains_the_classes_the_loss_bound_and_the_memory_rule() {
    let o = overparam(&["hessian", "--help"]);
    assert_eq!(o.status.code(), Some(0));
    let help = stdout(&o);
    for phrase in [
        "non-differentiable: zero",
        "0-based data row",
        "max(0, L)",
        "rounding error",
        "--memory-limit-gib",
        "exit 1",
        "blocks.csv",
    ] {
        assert!(help.contains(phrase), "--help lacks {phrase:?}:\n{help}");
    }
}

/// Weights whose kernel overflows are bad input: exit 2, and nothing is left behind.
#[test]
fn an_overflowing_loss_is_refused_and_nothing_is_written() {
    let dir = scratch("overflow");
    let w = dir.join("w.csv");
    std::fs::write(&w, "1e200,0\n0,1\n").unwrap();
    let out = dir.join("out");
    let o = overparam(&[
        "hessian",
        "--weights",
        w.to_str().unwrap(),
        "--out",
        out.to_str().unwrap(),
    ]);
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("not finite"), "{}", stderr(&o));
    assert_eq!(entries(&dir), ["w.csv"]);
}
