//! `overparam momentum-rate` as a practitioner uses it: does this (step, momentum, batch)
//! converge on my spectrum, and at what rate? Reference values come from the paper note's
//! independently computed table and from closed forms assembled here, not from the tool.

#[path = "common/mod.rs"]
mod common;
use common::*;

use overparam_linalg::{Mat, Par, sym_eigenvalues};

fn spectrum_file(dir: &Path, values: &[f64]) -> PathBuf {
    let path = dir.join("spectrum.txt");
    let text: String = values.iter().map(|v| format!("{v}\n")).collect();
    std::fs::write(&path, text).unwrap();
    path
}

fn rate_json(dir: &Path) -> serde_json::Value {
    serde_json::from_str(&std::fs::read_to_string(dir.join("rate.json")).unwrap()).unwrap()
}

fn run_rate(spectrum: &Path, extra: &[&str], out: &Path) -> serde_json::Value {
    let mut args = vec![
        "momentum-rate",
        "--spectrum",
        spectrum.to_str().unwrap(),
        "--out",
        out.to_str().unwrap(),
    ];
    args.extend_from_slice(extra);
    let o = overparam(&args);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    rate_json(out)
}

/// The note's 2-D table (kappa = 10): Nesterov at SGD's step diverges, MaSS converges faster
/// than SGD; every default hyper-parameter follows the paper's formulas.
#[test]
fn two_dimensional_reference_point_and_defaults() {
    let dir = scratch("mr-2d");
    let spectrum = spectrum_file(&dir, &[1.0, 0.1]);
    let cases = [
        ("sgd", 0.939004),
        ("nesterov", 1.038448),
        ("mass", 0.879384),
    ];
    let l1 = 3.1;
    for (method, expected) in cases {
        let out = dir.join(method);
        let json = run_rate(&spectrum, &["--batch", "1", "--method", method], &out);
        let rho = json["rho"].as_f64().unwrap();
        assert!((rho - expected).abs() < 5e-7, "{method}: {rho}");
        assert_eq!(json["converges"].as_bool().unwrap(), expected < 1.0);
        assert_eq!(json["method"], method);
        assert_eq!(json["batch"], 1);
        assert!((json["eta"].as_f64().unwrap() - 1.0 / l1).abs() < 1e-15);
        assert!((json["constants"]["L1"].as_f64().unwrap() - l1).abs() < 1e-15);
        assert!((json["constants"]["kappa"].as_f64().unwrap() - l1 / 0.1).abs() < 1e-12);
        assert_eq!(json["constants"]["kappa_tilde"].as_f64().unwrap(), 4.0);
        assert!((json["critical_batch_sizes"]["m1"].as_f64().unwrap() - 3.1).abs() < 1e-15);
        assert_eq!(json["critical_batch_sizes"]["m2"].as_f64().unwrap(), 4.0);
        let marker = std::fs::read_to_string(out.join(".overparam")).unwrap();
        assert!(marker.contains("\"kind\":\"momentum-rate\""), "{marker}");
    }
    let mass = rate_json(&dir.join("mass"));
    let alpha = 1.0 / (31.0f64 * 4.0).sqrt();
    assert!((mass["gamma"].as_f64().unwrap() - (1.0 - alpha) / (1.0 + alpha)).abs() < 1e-15);
    let eta2 = (1.0 / l1) * (1.0 - 0.25) / (1.0 + alpha);
    assert!((mass["eta2"].as_f64().unwrap() - eta2).abs() < 1e-15);
    assert!((mass["one_minus_alpha"].as_f64().unwrap() - 0.910197).abs() < 5e-7);
    let nesterov = rate_json(&dir.join("nesterov"));
    let q = (0.1f64 / l1).sqrt();
    assert!((nesterov["gamma"].as_f64().unwrap() - (1.0 - q) / (1.0 + q)).abs() < 1e-15);
    assert_eq!(nesterov["eta2"].as_f64().unwrap(), 0.0);
}

/// SGD's operator assembled independently: with H diagonal the u-block's diagonal evolves by
/// the symmetric matrix diag(1 - 2 eta h_i + eta^2 h_i^2 (1 + 1/b)) + (eta^2/b) h h^T, and each
/// off-diagonal entry (i, j) by (1 - eta h_i)(1 - eta h_j) + eta^2 h_i h_j / b. rho is the
/// largest of these, on spectra and batch sizes the project did not tabulate.
#[test]
fn sgd_rate_matches_an_independent_assembly() {
    let dir = scratch("mr-sgd");
    let spectra: [&[f64]; 3] = [
        &[2.0, 0.3, 0.07, 0.011],
        &[0.9, 0.85, 0.2],
        &[5.0, 1.0, 1.0, 0.5, 0.1],
    ];
    for (k, spectrum) in spectra.iter().enumerate() {
        let file = spectrum_file(&dir, spectrum);
        for b in [1u64, 3, 17] {
            for eta_scale in [0.5, 1.0, 1.7] {
                let trace: f64 = spectrum.iter().sum();
                let l = spectrum.iter().copied().fold(0.0, f64::max);
                let l1b = (trace + 2.0 * l) / b as f64 + (1.0 - 1.0 / b as f64) * l;
                let eta = eta_scale / l1b;
                let inv = 1.0 / b as f64;
                let d = spectrum.len();
                let m = Mat::from_fn(d, d, |i, j| {
                    let (hi, hj) = (spectrum[i], spectrum[j]);
                    let diag = if i == j {
                        1.0 - 2.0 * eta * hi + eta * eta * hi * hi * (1.0 + inv)
                    } else {
                        0.0
                    };
                    diag + eta * eta * inv * hi * hj
                });
                let e = sym_eigenvalues(m.as_ref(), Par::Seq).unwrap();
                let mut expected = e.values.iter().map(|v| v.abs()).fold(0.0, f64::max);
                for i in 0..d {
                    for j in 0..i {
                        let (hi, hj) = (spectrum[i], spectrum[j]);
                        let off = (1.0 - eta * hi) * (1.0 - eta * hj) + eta * eta * hi * hj * inv;
                        expected = expected.max(off.abs());
                    }
                }
                let out = dir.join(format!("out-{k}-{b}-{eta_scale}"));
                let lr = eta.to_string();
                let bs = b.to_string();
                let json = run_rate(
                    &file,
                    &["--batch", &bs, "--method", "sgd", "--lr", &lr],
                    &out,
                );
                let rho = json["rho"].as_f64().unwrap();
                assert!(
                    (rho - expected).abs() < 1e-11,
                    "{spectrum:?} b {b} eta {eta}: {rho} vs {expected}"
                );
                assert_eq!(json["hyper_parameter_source"]["eta"], "given");
            }
        }
    }
}

/// The compensation term with the wrong sign (the third-party bug the paper note describes)
/// loses MaSS's rate: rho exceeds 1 - alpha.
#[test]
fn wrong_sign_compensation_is_refused_and_a_smaller_one_is_slower() {
    let dir = scratch("mr-sign");
    let spectrum = spectrum_file(&dir, &[1.0, 0.01]);
    let o = overparam(&[
        "momentum-rate",
        "--spectrum",
        spectrum.to_str().unwrap(),
        "--batch",
        "1",
        "--method",
        "mass",
        "--compensation",
        "-0.1",
    ]);
    assert_eq!(o.status.code(), Some(2));
    assert!(
        stderr(&o).contains("outside its domain [0, eta)"),
        "{}",
        stderr(&o)
    );
    let good = run_rate(
        &spectrum,
        &["--batch", "1", "--method", "mass"],
        &dir.join("good"),
    );
    let zero = run_rate(
        &spectrum,
        &["--batch", "1", "--method", "mass", "--compensation", "0"],
        &dir.join("zero"),
    );
    let bound = good["one_minus_alpha"].as_f64().unwrap();
    assert!(good["rho"].as_f64().unwrap() <= bound);
    // eta2 = 0 is Nesterov-SGD with MaSS's momentum: it loses the rate.
    assert!(zero["rho"].as_f64().unwrap() > bound);
}

/// Bad input: a clear message, exit 2, nothing written.
#[test]
fn bad_input_exits_2_and_writes_nothing() {
    let dir = scratch("mr-bad");
    let good = spectrum_file(&dir, &[1.0, 0.5]);
    let empty = dir.join("empty.txt");
    std::fs::write(&empty, "").unwrap();
    let negative = dir.join("negative.txt");
    std::fs::write(&negative, "1\n-0.5\n").unwrap();
    let zero = dir.join("zero.txt");
    std::fs::write(&zero, "1\n0\n").unwrap();
    let two = dir.join("two.txt");
    std::fs::write(&two, "1,2\n").unwrap();
    let text = dir.join("text.txt");
    std::fs::write(&text, "1\nabc\n").unwrap();
    let big = dir.join("big.txt");
    std::fs::write(&big, "1\n".repeat(21)).unwrap();
    let g = good.to_str().unwrap();
    let cases: Vec<(Vec<&str>, &str)> = vec![
        (
            vec![
                "--spectrum",
                empty.to_str().unwrap(),
                "--batch",
                "1",
                "--method",
                "sgd",
            ],
            "no data",
        ),
        (
            vec![
                "--spectrum",
                negative.to_str().unwrap(),
                "--batch",
                "1",
                "--method",
                "sgd",
            ],
            "line 2",
        ),
        (
            vec![
                "--spectrum",
                zero.to_str().unwrap(),
                "--batch",
                "1",
                "--method",
                "sgd",
            ],
            "not positive",
        ),
        (
            vec![
                "--spectrum",
                two.to_str().unwrap(),
                "--batch",
                "1",
                "--method",
                "sgd",
            ],
            "one eigenvalue a line",
        ),
        (
            vec![
                "--spectrum",
                text.to_str().unwrap(),
                "--batch",
                "1",
                "--method",
                "sgd",
            ],
            "text.txt",
        ),
        (
            vec![
                "--spectrum",
                big.to_str().unwrap(),
                "--batch",
                "1",
                "--method",
                "sgd",
            ],
            "at most 20",
        ),
        (
            vec!["--spectrum", g, "--batch", "0", "--method", "sgd"],
            "at least 1",
        ),
        (
            vec!["--spectrum", g, "--batch", "-3", "--method", "sgd"],
            "batch",
        ),
        (
            vec![
                "--spectrum",
                g,
                "--batch",
                "1",
                "--method",
                "sgd",
                "--momentum",
                "0.5",
            ],
            "for sgd",
        ),
        (
            vec![
                "--spectrum",
                g,
                "--batch",
                "1",
                "--method",
                "sgd",
                "--compensation",
                "0.1",
            ],
            "for sgd",
        ),
        (
            vec![
                "--spectrum",
                g,
                "--batch",
                "1",
                "--method",
                "nesterov",
                "--compensation",
                "0.1",
            ],
            "for nesterov",
        ),
        (
            vec![
                "--spectrum",
                g,
                "--batch",
                "1",
                "--method",
                "nesterov",
                "--momentum",
                "-0.1",
            ],
            "[0, 1)",
        ),
        (
            vec![
                "--spectrum",
                g,
                "--batch",
                "1",
                "--method",
                "mass",
                "--momentum",
                "1",
            ],
            "[0, 1)",
        ),
        (
            vec![
                "--spectrum",
                g,
                "--batch",
                "1",
                "--method",
                "mass",
                "--lr",
                "0",
            ],
            "(0, inf)",
        ),
        (
            vec![
                "--spectrum",
                g,
                "--batch",
                "1",
                "--method",
                "mass",
                "--lr",
                "nan",
            ],
            "finite",
        ),
        (
            vec!["--spectrum", g, "--batch", "1", "--method", "adam"],
            "adam",
        ),
    ];
    for (k, (args, needle)) in cases.iter().enumerate() {
        let out = dir.join(format!("out-{k}"));
        let mut full = vec!["momentum-rate"];
        full.extend_from_slice(args);
        full.extend_from_slice(&["--out", out.to_str().unwrap()]);
        let started = std::time::Instant::now();
        let o = overparam(&full);
        assert_eq!(o.status.code(), Some(2), "{args:?}: {}", stderr(&o));
        assert!(stderr(&o).contains(needle), "{args:?}: {}", stderr(&o));
        assert!(!out.exists(), "{args:?} created its output");
        assert!(
            started.elapsed().as_secs_f64() < 1.0,
            "{args:?} took too long"
        );
    }
}

/// --out refuses a directory it did not write, and --force replaces its own output only.
#[test]
fn out_directory_rules() {
    let dir = scratch("mr-out");
    let spectrum = spectrum_file(&dir, &[1.0, 0.5]);
    let foreign = dir.join("foreign");
    std::fs::create_dir(&foreign).unwrap();
    std::fs::write(foreign.join("keep.txt"), "mine").unwrap();
    let s = spectrum.to_str().unwrap();
    let args = |out: &Path, force: bool| {
        let mut v = vec![
            "momentum-rate",
            "--spectrum",
            s,
            "--batch",
            "2",
            "--method",
            "mass",
        ];
        v.extend_from_slice(&["--out", out.to_str().unwrap()]);
        if force {
            v.push("--force");
        }
        v.into_iter().map(str::to_owned).collect::<Vec<_>>()
    };
    let run = |v: Vec<String>| overparam(&v.iter().map(String::as_str).collect::<Vec<_>>());
    for force in [false, true] {
        let o = run(args(&foreign, force));
        assert_eq!(o.status.code(), Some(2));
        assert_eq!(
            std::fs::read_to_string(foreign.join("keep.txt")).unwrap(),
            "mine"
        );
    }
    let own = dir.join("own");
    assert_eq!(run(args(&own, false)).status.code(), Some(0));
    assert_eq!(entries(&own), vec![".overparam", "rate.json"]);
    assert_eq!(run(args(&own, false)).status.code(), Some(2));
    assert_eq!(run(args(&own, true)).status.code(), Some(0));
}

/// --help states the convention: the update rule, that rho is a rate of squared errors, the
/// defaults and the exit status.
#[test]
fn help_explains_the_convention() {
    let o = overparam(&["momentum-rate", "--help"]);
    assert_eq!(o.status.code(), Some(0));
    let text = stdout(&o);
    for needle in [
        "u' = (1 + gamma) w' - gamma w + eta2 g(u)",
        "SQUARED",
        "eta = 1/L1(b)",
        "kappa-tilde = d + 2",
        "Exit status",
    ] {
        assert!(text.contains(needle), "missing {needle:?}");
    }
}
