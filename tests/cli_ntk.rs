//! `overparam ntk` as a user meets it: the files it writes and their agreement with the kernel
//! and with a closed form, determinism of --seed, and refusal of bad input with exit status 2,
//! nothing written, before any large allocation.

#[path = "common/mod.rs"]
mod common;
use common::*;

use std::time::{Duration, Instant};

use overparam_kernel::SeedPath;
use overparam_kernel::deep::{DeepReluNet, Parametrisation, Trained, empirical_ntk, infinite_ntk};
use overparam_linalg::{Mat, Par};

/// Five points in R^3 with negative entries, a comment and a blank line.
const DATA: &str = "# five points\n1,0,0\n0,-1,0.5\n0.6,0.8,-0.2\n\n1,1,1\n-2,0.5,3e-1\n";

fn data_matrix() -> Mat<f64> {
    let rows = [
        [1.0, 0.0, 0.0],
        [0.0, -1.0, 0.5],
        [0.6, 0.8, -0.2],
        [1.0, 1.0, 1.0],
        [-2.0, 0.5, 0.3],
    ];
    Mat::from_fn(5, 3, |i, j| rows[i][j])
}

fn write_data(dir: &Path, text: &str) -> PathBuf {
    let p = dir.join("x.csv");
    std::fs::write(&p, text).unwrap();
    p
}

fn read_matrix(path: &Path) -> Vec<Vec<f64>> {
    std::fs::read_to_string(path)
        .unwrap()
        .lines()
        .map(|l| l.split(',').map(|v| v.parse().unwrap()).collect())
        .collect()
}

fn run_ok(args: &[&str]) -> Output {
    let o = overparam(args);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    o
}

#[test]
fn infinite_writes_gram_spectrum_and_summary_equal_to_the_recursion() {
    let dir = scratch("inf");
    let x = write_data(&dir, DATA);
    let out = dir.join("out");
    let o = run_ok(&[
        "ntk",
        "--data",
        x.to_str().unwrap(),
        "--infinite",
        "--depth",
        "3",
        "--out",
        out.to_str().unwrap(),
    ]);
    assert!(stdout(&o).contains("lambda_min"), "{}", stdout(&o));
    assert_eq!(
        entries(&out),
        [".overparam", "gram.csv", "spectrum.csv", "summary.json"]
    );
    let gram = read_matrix(&out.join("gram.csv"));
    let expected = infinite_ntk(data_matrix().as_ref(), 3).unwrap();
    assert_eq!(gram.len(), 5);
    for (i, row) in gram.iter().enumerate() {
        assert_eq!(row.len(), 5);
        for (j, &v) in row.iter().enumerate() {
            // shortest round-trip text: parsing gives back the very same float
            assert_eq!(v, expected[(i, j)], "({i}, {j})");
        }
    }
    let (header, rows) = read_csv(&out.join("spectrum.csv"));
    assert_eq!(header, ["rank", "eigenvalue"]);
    let values: Vec<f64> = rows.iter().map(|r| r[1].parse().unwrap()).collect();
    let ranks: Vec<usize> = rows.iter().map(|r| r[0].parse().unwrap()).collect();
    assert_eq!(ranks, [0, 1, 2, 3, 4]);
    assert!(values.windows(2).all(|w| w[0] <= w[1]));
    let trace: f64 = (0..5).map(|i| gram[i][i]).sum();
    assert!((values.iter().sum::<f64>() - trace).abs() <= 1e-12 * trace);

    let summary: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(out.join("summary.json")).unwrap()).unwrap();
    assert_eq!(summary["n"], 5);
    assert_eq!(summary["d"], 3);
    assert_eq!(summary["depth"], 3);
    assert_eq!(summary["mode"], "infinite");
    assert!(summary["width"].is_null() && summary["seed"].is_null());
    // serde_json's default float parser may be off by one ulp: compare to 2 ulp.
    let close = |key: &str, v: f64| {
        let got = summary[key].as_f64().unwrap();
        assert!(
            (got - v).abs() <= 4.0 * f64::EPSILON * v.abs(),
            "{key}: {got} vs {v}"
        );
    };
    close("lambda_min", values[0]);
    close("lambda_max", values[4]);
    close("trace", trace);
    let condition = summary["condition_number"].as_f64().unwrap();
    assert!((condition - values[4] / values[0]).abs() <= 1e-12 * condition);
    assert!(summary["eigen_residual"].as_f64().unwrap() < 1e-12);
    assert!(summary["eigen_orthogonality"].as_f64().unwrap() < 1e-12);
}

/// Depth 1 against the closed form written out here:
/// K(x, x') = x.x' (pi - t)/pi + |x||x'| (sin t + (pi - t) cos t)/pi.
#[test]
fn infinite_depth_one_is_the_closed_form() {
    use std::f64::consts::PI;
    let dir = scratch("closed");
    let x = write_data(&dir, DATA);
    let out = dir.join("out");
    run_ok(&[
        "ntk",
        "--data",
        x.to_str().unwrap(),
        "--infinite",
        "--out",
        out.to_str().unwrap(),
        "-q",
    ]);
    let gram = read_matrix(&out.join("gram.csv"));
    let xs = data_matrix();
    for i in 0..5 {
        for j in 0..5 {
            let a: Vec<f64> = (0..3).map(|c| xs[(i, c)]).collect();
            let b: Vec<f64> = (0..3).map(|c| xs[(j, c)]).collect();
            let dot: f64 = a.iter().zip(&b).map(|(p, q)| p * q).sum();
            let (na, nb) = (dot_norm(&a), dot_norm(&b));
            let cos = (dot / (na * nb)).clamp(-1.0, 1.0);
            let t = if i == j { 0.0 } else { cos.acos() };
            let closed = dot * (PI - t) / PI + na * nb * (t.sin() + (PI - t) * cos) / PI;
            assert!(
                (gram[i][j] - closed).abs() <= 1e-12 * closed.abs().max(1.0),
                "({i},{j})"
            );
        }
    }
}

fn dot_norm(a: &[f64]) -> f64 {
    a.iter().map(|v| v * v).sum::<f64>().sqrt()
}

/// --width M --seed S is the empirical NTK of the network drawn from SeedPath(S, "ntk", "net",
/// 0), as `--help` states; the same seed gives the same bytes, another seed another matrix.
#[test]
fn empirical_is_the_seeded_network_and_deterministic() {
    let dir = scratch("emp");
    let x = write_data(&dir, DATA);
    let run = |seed: &str, name: &str| {
        let out = dir.join(name);
        run_ok(&[
            "ntk",
            "--data",
            x.to_str().unwrap(),
            "--width",
            "300",
            "--depth",
            "2",
            "--seed",
            seed,
            "--out",
            out.to_str().unwrap(),
            "-q",
        ]);
        out
    };
    let (a, b, c) = (run("7", "a"), run("7", "b"), run("8", "c"));
    let bytes = |p: &Path| std::fs::read(p.join("gram.csv")).unwrap();
    assert_eq!(bytes(&a), bytes(&b));
    assert_ne!(bytes(&a), bytes(&c));
    let net = DeepReluNet::init(
        Parametrisation::Ntk,
        3,
        300,
        2,
        &SeedPath::new(7, "ntk", "net", 0),
    )
    .unwrap();
    let expected = empirical_ntk(&net, data_matrix().as_ref(), Trained::All, Par::Seq).unwrap();
    let gram = read_matrix(&a.join("gram.csv"));
    for i in 0..5 {
        for j in 0..5 {
            assert_eq!(gram[i][j], expected[(i, j)]);
        }
    }
    let summary: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(a.join("summary.json")).unwrap()).unwrap();
    assert_eq!(summary["mode"], "empirical");
    assert_eq!(summary["width"], 300);
    assert_eq!(summary["seed"], 7);
}

/// Runs a command that must be refused: exit 2, an error naming `needle`, nothing at `out`,
/// within `limit`.
fn refused(args: &[&str], out: &Path, needle: &str) {
    let start = Instant::now();
    let o = overparam(args);
    let elapsed = start.elapsed();
    assert_eq!(o.status.code(), Some(2), "{args:?}: {}", stderr(&o));
    assert!(
        stderr(&o).contains(needle),
        "{args:?}: expected '{needle}' in: {}",
        stderr(&o)
    );
    assert!(!out.exists(), "{args:?} created {}", out.display());
    assert!(
        elapsed < Duration::from_secs(2),
        "{args:?} took {elapsed:?}"
    );
    if let Some(parent) = out.parent() {
        let staging: Vec<String> = entries(parent)
            .into_iter()
            .filter(|e| e.contains("partial"))
            .collect();
        assert!(staging.is_empty(), "{staging:?} left behind");
    }
}

#[test]
fn bad_data_is_refused_with_nothing_written() {
    let dir = scratch("bad");
    let out = dir.join("out");
    let o = out.to_str().unwrap();
    let cases: [(&str, &str, &str); 5] = [
        ("empty", "", "empty"),
        ("ragged", "1,2,3\n4,5\n", "line 2"),
        ("nan", "1,2\nNaN,3\n", "not a finite number"),
        ("text", "1,2\nx,3\n", "not a number"),
        ("inf", "1,2\n3,inf\n", "not a finite number"),
    ];
    for (name, text, needle) in cases {
        let p = dir.join(format!("{name}.csv"));
        std::fs::write(&p, text).unwrap();
        refused(
            &[
                "ntk",
                "--data",
                p.to_str().unwrap(),
                "--infinite",
                "--out",
                o,
            ],
            &out,
            needle,
        );
        refused(
            &[
                "ntk",
                "--data",
                p.to_str().unwrap(),
                "--width",
                "8",
                "--out",
                o,
            ],
            &out,
            needle,
        );
    }
    let missing = dir.join("missing.csv");
    refused(
        &[
            "ntk",
            "--data",
            missing.to_str().unwrap(),
            "--infinite",
            "--out",
            o,
        ],
        &out,
        "cannot read",
    );
}

/// A zero row has no angle to the other points: refused with --infinite (naming its line), but
/// fine for a finite network, where its gradient is simply zero.
#[test]
fn a_zero_row_is_refused_only_in_the_infinite_limit() {
    let dir = scratch("zero");
    let x = write_data(&dir, "1,2\n# comment\n0,0\n3,-1\n");
    let out = dir.join("out");
    refused(
        &[
            "ntk",
            "--data",
            x.to_str().unwrap(),
            "--infinite",
            "--out",
            out.to_str().unwrap(),
        ],
        &out,
        "line 3: data row 1 is zero: its angle",
    );
    run_ok(&[
        "ntk",
        "--data",
        x.to_str().unwrap(),
        "--width",
        "16",
        "--out",
        out.to_str().unwrap(),
        "-q",
    ]);
    let gram = read_matrix(&out.join("gram.csv"));
    assert!(gram[1].iter().all(|&v| v == 0.0));
}

/// Sizes that would not fit are refused from the estimate at once, before any allocation: a
/// width of 10^6 at depth 2 would need 8 TB of weights alone; 30000 points would need a
/// 7 GB Gram matrix, its eigenvectors and 22 GB of CSV.
#[test]
fn sizes_that_do_not_fit_are_refused_before_allocating() {
    let dir = scratch("mem");
    let x = write_data(&dir, DATA);
    let out = dir.join("out");
    let o = out.to_str().unwrap();
    refused(
        &[
            "ntk",
            "--data",
            x.to_str().unwrap(),
            "--width",
            "1000000",
            "--depth",
            "2",
            "--out",
            o,
        ],
        &out,
        "nothing was allocated",
    );
    let many: String = (0..30000).map(|i| format!("{}\n", i + 1)).collect();
    let big = dir.join("big.csv");
    std::fs::write(&big, many).unwrap();
    refused(
        &[
            "ntk",
            "--data",
            big.to_str().unwrap(),
            "--infinite",
            "--max-memory-gib",
            "4",
            "--out",
            o,
        ],
        &out,
        "more than the 4.00 GiB allowed",
    );
    refused(
        &[
            "ntk",
            "--data",
            x.to_str().unwrap(),
            "--infinite",
            "--max-memory-gib",
            "-1",
            "--out",
            o,
        ],
        &out,
        "--max-memory-gib must be a positive number",
    );
}

/// Finite data whose Gram matrix overflows f64 is bad input, not an `inf` in gram.csv.
#[test]
fn an_overflowing_gram_matrix_is_refused() {
    let dir = scratch("overflow");
    let x = write_data(&dir, "1e200,1e200\n1,2\n");
    let out = dir.join("out");
    for mode in [&["--infinite"][..], &["--width", "8"][..]] {
        let mut args = vec![
            "ntk",
            "--data",
            x.to_str().unwrap(),
            "--out",
            out.to_str().unwrap(),
        ];
        args.extend_from_slice(mode);
        refused(&args, &out, "overflows f64");
    }
}

#[test]
fn bad_arguments_exit_2() {
    let dir = scratch("args");
    let x = write_data(&dir, DATA);
    let out = dir.join("out");
    let (xs, o) = (x.to_str().unwrap(), out.to_str().unwrap());
    refused(&["ntk", "--data", xs, "--out", o], &out, "--infinite");
    refused(
        &[
            "ntk",
            "--data",
            xs,
            "--infinite",
            "--width",
            "8",
            "--out",
            o,
        ],
        &out,
        "cannot be used with",
    );
    refused(
        &["ntk", "--data", xs, "--infinite", "--seed", "1", "--out", o],
        &out,
        "cannot be used with",
    );
    refused(
        &["ntk", "--data", xs, "--width", "0", "--out", o],
        &out,
        "--width",
    );
    refused(
        &["ntk", "--data", xs, "--width", "-4", "--out", o],
        &out,
        "--width",
    );
    refused(
        &[
            "ntk", "--data", xs, "--width", "8", "--seed", "-1", "--out", o,
        ],
        &out,
        "unsigned 64-bit",
    );
    refused(
        &[
            "ntk",
            "--data",
            xs,
            "--infinite",
            "--depth",
            "0",
            "--out",
            o,
        ],
        &out,
        "--depth",
    );
}

/// An existing output is replaced only with --force and only when it holds ntk output.
#[test]
fn force_replaces_only_previous_ntk_output() {
    let dir = scratch("force");
    let x = write_data(&dir, DATA);
    let out = dir.join("out");
    let args = |force: bool| {
        let mut a = vec![
            "ntk",
            "--data",
            x.to_str().unwrap(),
            "--infinite",
            "-q",
            "--out",
            out.to_str().unwrap(),
        ];
        if force {
            a.push("--force");
        }
        a.iter().map(|s| s.to_string()).collect::<Vec<_>>()
    };
    let call = |a: Vec<String>| overparam(&a.iter().map(String::as_str).collect::<Vec<_>>());
    assert_eq!(call(args(false)).status.code(), Some(0));
    assert_eq!(call(args(false)).status.code(), Some(2));
    assert_eq!(call(args(true)).status.code(), Some(0));
    let foreign = dir.join("foreign");
    std::fs::create_dir(&foreign).unwrap();
    std::fs::write(foreign.join("keep.txt"), "mine").unwrap();
    let o = overparam(&[
        "ntk",
        "--data",
        x.to_str().unwrap(),
        "--infinite",
        "--force",
        "--out",
        foreign.to_str().unwrap(),
    ]);
    assert_eq!(o.status.code(), Some(2));
    assert_eq!(
        std::fs::read_to_string(foreign.join("keep.txt")).unwrap(),
        "mine"
    );
}

#[test]
fn help_states_the_convention_and_outputs() {
    let o = overparam(&["ntk", "--help"]);
    assert_eq!(o.status.code(), Some(0));
    let text = stdout(&o);
    for needle in [
        "h_l = sqrt(2/m) relu(W_l h_(l-1))",
        "f(x) = v^T h_L",
        "standard normal",
        "no biases",
        "all layers trained",
        "Sigma^(0)(x, x') = x . x'",
        "c_sigma = 2",
        "DIR/gram.csv",
        "rank,eigenvalue",
        "DIR/summary.json",
        "Exit status",
    ] {
        assert!(text.contains(needle), "--help lacks '{needle}'");
    }
}

/// The audit fixture (tests/fixtures/ntk_audit/, made by `python3 bench/ntk_audit.py fixture
/// tests/fixtures/ntk_audit`): data the project's own tests never used (norms over 2.5 decades;
/// pairs at angles ~1e-3, 1e-6 and 1e-9; an exactly parallel and an antiparallel pair) and
/// Theta^(L), L = 1..4, from an independent implementation of the recursion in 60-digit
/// arithmetic (mpmath, the textbook arccos form). `--infinite` must agree to rounding: every
/// entry within 1e-14 of its scale sqrt(K_ii K_jj) (measured: at most 4e-16).
#[test]
fn infinite_matches_the_independent_high_precision_reference() {
    let fixtures = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../tests/fixtures/ntk_audit");
    let dir = scratch("audit");
    let mut compared = 0;
    for case in 0..3 {
        let data = fixtures.join(format!("audit{case}.csv"));
        for depth in 1..=4 {
            let out = dir.join(format!("o{case}_{depth}"));
            run_ok(&[
                "ntk",
                "--data",
                data.to_str().unwrap(),
                "--infinite",
                "--depth",
                &depth.to_string(),
                "--out",
                out.to_str().unwrap(),
                "--quiet",
            ]);
            let got = read_matrix(&out.join("gram.csv"));
            let want = read_matrix(&fixtures.join(format!("audit{case}_infinite_L{depth}.csv")));
            assert_eq!(got.len(), want.len());
            for i in 0..want.len() {
                for j in 0..want.len() {
                    let scale = (want[i][i] * want[j][j]).sqrt();
                    let err = (got[i][j] - want[i][j]).abs() / scale;
                    assert!(
                        err <= 1e-14,
                        "audit{case} L={depth} ({i},{j}): {} vs {} (error {err:e} of the scale)",
                        got[i][j],
                        want[i][j]
                    );
                }
            }
            compared += 1;
        }
    }
    assert_eq!(compared, 12);
}
