//! `overparam sphere-spectrum`: Funk–Hecke eigenvalues per degree against an independent
//! quadrature written here (composite Simpson in the angle, kernels from their t-formulas),
//! exact parity zeros, and refusals (exit 2, nothing written).

#[path = "common/mod.rs"]
mod common;
use common::*;

use std::f64::consts::PI;

fn sphere(args: &[&str]) -> Output {
    let mut all = vec!["sphere-spectrum"];
    all.extend_from_slice(args);
    overparam(&all)
}

/// (degree, eigenvalue text, multiplicity) rows of the CSV, after checking the header.
fn rows(csv: &str) -> Vec<(usize, String, u128)> {
    let mut lines = csv.lines();
    assert_eq!(lines.next(), Some("degree,eigenvalue,multiplicity"));
    lines
        .map(|l| {
            let f: Vec<&str> = l.split(',').collect();
            assert_eq!(f.len(), 3, "{l}");
            (
                f[0].parse().unwrap(),
                f[1].to_owned(),
                f[2].parse().unwrap(),
            )
        })
        .collect()
}

fn kappa1(t: f64) -> f64 {
    let t = t.clamp(-1.0, 1.0);
    ((1.0 - t * t).sqrt() + (PI - t.acos()) * t) / PI
}

fn kappa0(t: f64) -> f64 {
    1.0 - t.clamp(-1.0, 1.0).acos() / PI
}

/// The deep NTK and NNGP straight from the recursion in t (Arora et al. 2019, c_sigma = 2).
fn deep(t: f64, depth: usize) -> (f64, f64) {
    let (mut sigma, mut ntk) = (t, t);
    for _ in 0..depth {
        let dot = kappa0(sigma);
        sigma = kappa1(sigma);
        ntk = sigma + ntk * dot;
    }
    (ntk, sigma)
}

/// Gegenbauer P_k(t) normalised to P_k(1) = 1 via the explicit sum for C_k^lambda (d >= 3)
/// or cos(k arccos t) (d = 2): independent of the recurrence in the crate.
fn gegenbauer(d: usize, k: usize, t: f64) -> f64 {
    if d == 2 {
        return (k as f64 * t.clamp(-1.0, 1.0).acos()).cos();
    }
    let lambda = (d as f64 - 2.0) / 2.0;
    // C_k^lambda(t) = sum_j (-1)^j Gamma(k - j + lambda) / (Gamma(lambda) j! (k - 2j)!) (2t)^(k-2j)
    let c = |x: f64| -> f64 {
        (0..=k / 2)
            .map(|j| {
                let mut coef = if j % 2 == 0 { 1.0 } else { -1.0 };
                // Gamma(k - j + lambda) / Gamma(lambda) = prod_(i<k-j) (lambda + i)
                for i in 0..(k - j) {
                    coef *= lambda + i as f64;
                }
                for i in 1..=j {
                    coef /= i as f64;
                }
                for i in 1..=(k - 2 * j) {
                    coef /= i as f64;
                }
                coef * (2.0 * x).powi((k - 2 * j) as i32)
            })
            .sum()
    };
    c(t) / c(1.0)
}

/// mu_k = int_0^pi kappa(cos th) P_k(cos th) sin^(d-2) th dth / int_0^pi sin^(d-2) th dth by
/// composite Simpson on 20000 panels.
fn simpson_mu(kappa: impl Fn(f64) -> f64, d: usize, k: usize) -> f64 {
    let n = 20_000;
    let h = PI / n as f64;
    let (mut num, mut den) = (0.0, 0.0);
    for i in 0..=n {
        let th = i as f64 * h;
        let w = if i == 0 || i == n {
            1.0
        } else if i % 2 == 1 {
            4.0
        } else {
            2.0
        };
        let s = th.sin().powi(d as i32 - 2);
        num += w * kappa(th.cos()) * gegenbauer(d, k, th.cos()) * s;
        den += w * s;
    }
    num / den
}

#[test]
fn one_layer_kernels_match_an_independent_quadrature_with_exact_zeros() {
    for (kernel, d) in [
        ("relu-ntk", 4usize),
        ("arccos1", 7),
        ("arccos0", 2),
        ("relu-nngp", 5),
    ] {
        let o = sphere(&[
            "--kernel",
            kernel,
            "--dim",
            &d.to_string(),
            "--degrees",
            "9",
        ]);
        assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
        let got = rows(&stdout(&o));
        assert_eq!(got.len(), 10);
        for (k, value, multiplicity) in got {
            let kappa = |t: f64| match kernel {
                "relu-ntk" => kappa1(t) + t * kappa0(t),
                "arccos0" => kappa0(t),
                _ => kappa1(t),
            };
            let zero = if kernel == "arccos0" {
                k >= 2 && k % 2 == 0
            } else {
                k >= 3 && k % 2 == 1
            };
            let reference = simpson_mu(kappa, d, k);
            if zero {
                assert_eq!(
                    value, "0",
                    "{kernel} d={d} k={k}: parity zero printed exactly"
                );
                assert!(reference.abs() < 1e-9, "{kernel} d={d} k={k}: {reference}");
            } else {
                let v: f64 = value.parse().unwrap();
                assert!(
                    (v - reference).abs() < 1e-7 * reference.abs(),
                    "{kernel} d={d} k={k}: {v} vs {reference}"
                );
            }
            let want_mult = match (d, k) {
                (_, 0) => 1,
                (2, _) => 2,
                (4, _) => (k as u128 + 1).pow(2),
                _ => {
                    // C(d+k-1, k) - C(d+k-3, k-2)
                    let binom = |n: u128, r: u128| (0..r).fold(1u128, |a, i| a * (n - i) / (i + 1));
                    let (du, ku) = (d as u128, k as u128);
                    binom(du + ku - 1, ku)
                        - if ku >= 2 {
                            binom(du + ku - 3, ku - 2)
                        } else {
                            0
                        }
                }
            };
            assert_eq!(multiplicity, want_mult, "{kernel} d={d} k={k}");
        }
    }
}

#[test]
fn deep_kernels_match_the_recursion_integrated_independently() {
    for (kernel, depth, d) in [
        ("relu-ntk", 2usize, 3usize),
        ("relu-nngp", 3, 6),
        ("relu-ntk", 4, 11),
    ] {
        let o = sphere(&[
            "--kernel",
            kernel,
            "--depth",
            &depth.to_string(),
            "--dim",
            &d.to_string(),
            "--degrees",
            "7",
        ]);
        assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
        for (k, value, _) in rows(&stdout(&o)) {
            let kappa = |t: f64| {
                let (ntk, nngp) = deep(t, depth);
                if kernel == "relu-ntk" { ntk } else { nngp }
            };
            let reference = simpson_mu(kappa, d, k);
            let v: f64 = value.parse().unwrap();
            assert!(v != 0.0, "deep kernels have no parity zeros");
            assert!(
                (v - reference).abs() < 1e-7 * reference.abs(),
                "{kernel} L={depth} d={d} k={k}: {v} vs {reference}"
            );
        }
    }
}

#[test]
fn writes_the_file_atomically_and_replaces_only_its_own_output() {
    let dir = scratch("sphere-out");
    let out = dir.join("mu.csv");
    let args = |force: bool| {
        let mut a = vec![
            "--kernel",
            "relu-ntk",
            "--dim",
            "3",
            "--degrees",
            "4",
            "--out",
        ];
        a.push(out.to_str().unwrap());
        if force {
            a.push("--force");
        }
        a.into_iter().map(str::to_owned).collect::<Vec<_>>()
    };
    let run = |a: Vec<String>| sphere(&a.iter().map(String::as_str).collect::<Vec<_>>());
    let o = run(args(false));
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert!(stdout(&o).contains("wrote degrees 0..4"));
    let text = std::fs::read_to_string(&out).unwrap();
    assert_eq!(rows(&text).len(), 5);
    assert_eq!(entries(&dir), vec!["mu.csv"], "no temporary file left");
    // exists without --force: refused, untouched
    let o = run(args(false));
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("--force"), "{}", stderr(&o));
    std::fs::write(&out, "not ours\n").unwrap();
    let o = run(args(true));
    assert_eq!(o.status.code(), Some(2), "a foreign file is never replaced");
    assert_eq!(std::fs::read_to_string(&out).unwrap(), "not ours\n");
    std::fs::write(&out, &text).unwrap();
    let o = run(args(true));
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
}

#[test]
fn bad_input_exits_2_and_writes_nothing() {
    let dir = scratch("sphere-bad");
    let out = dir.join("mu.csv");
    let o_path = out.to_str().unwrap();
    for (args, message) in [
        (
            vec!["--kernel", "relu-ntk", "--dim", "1", "--degrees", "3"],
            "--dim must be between 2",
        ),
        (
            vec!["--kernel", "relu-ntk", "--dim", "-3", "--degrees", "3"],
            "got -3",
        ),
        (
            vec!["--kernel", "relu-ntk", "--dim", "3", "--degrees", "-1"],
            "--degrees must be >= 0",
        ),
        (
            vec![
                "--kernel",
                "arccos1",
                "--depth",
                "2",
                "--dim",
                "3",
                "--degrees",
                "3",
            ],
            "single-layer",
        ),
        (
            vec![
                "--kernel",
                "relu-ntk",
                "--depth",
                "0",
                "--dim",
                "3",
                "--degrees",
                "3",
            ],
            "--depth must be",
        ),
        (
            vec![
                "--kernel",
                "relu-nngp",
                "--depth",
                "3",
                "--dim",
                "10",
                "--degrees",
                "60",
            ],
            "beyond the quadrature's accuracy",
        ),
        (
            vec![
                "--kernel",
                "relu-ntk",
                "--depth",
                "2",
                "--dim",
                "3",
                "--degrees",
                "998",
            ],
            "at most 1000",
        ),
        (
            vec!["--kernel", "arccos0", "--dim", "3", "--degrees", "100001"],
            "at most 100000",
        ),
        (
            vec!["--kernel", "arccos1", "--dim", "200", "--degrees", "200"],
            "exceeds 2^128",
        ),
        (
            vec!["--kernel", "sigmoid", "--dim", "3", "--degrees", "3"],
            "invalid value",
        ),
    ] {
        let mut all = args.clone();
        all.extend(["--out", o_path]);
        let o = sphere(&all);
        assert_eq!(o.status.code(), Some(2), "{args:?}: {}", stderr(&o));
        assert!(stderr(&o).contains(message), "{args:?}: {}", stderr(&o));
        assert!(entries(&dir).is_empty(), "{args:?} wrote something");
    }
}

/// The accuracy refusal names the largest degree that is resolved, and that degree is then
/// accepted.
#[test]
fn the_refusal_names_a_degree_that_is_then_accepted() {
    let o = sphere(&[
        "--kernel",
        "relu-nngp",
        "--depth",
        "3",
        "--dim",
        "10",
        "--degrees",
        "60",
    ]);
    assert_eq!(o.status.code(), Some(2));
    let e = stderr(&o);
    let largest: String = e
        .rsplit("the largest degree resolved is ")
        .next()
        .unwrap()
        .chars()
        .take_while(char::is_ascii_digit)
        .collect();
    let o = sphere(&[
        "--kernel",
        "relu-nngp",
        "--depth",
        "3",
        "--dim",
        "10",
        "--degrees",
        &largest,
    ]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert!(largest.parse::<usize>().unwrap() >= 10, "{e}");
}

/// --help names the measure, the normalisation, the network convention and the zeros (compared
/// with whitespace collapsed, as clap may rewrap lines).
#[test]
fn help_states_the_convention() {
    let o = overparam(&["sphere-spectrum", "--help"]);
    assert_eq!(o.status.code(), Some(0));
    let flat = stdout(&o).split_whitespace().collect::<Vec<_>>().join(" ");
    for needle in [
        "x' uniform (the probability measure, not the surface measure)",
        "normalised to P_k(1) = 1",
        "h_l = sqrt(2/m) relu(W_l h_(l-1)), f(x) = v^T h_L",
        "Theta(1) = L + 1",
        "are printed as 0",
        "refuses and names the largest degree it can resolve",
        "Exit status: 0 written; 2 bad input",
    ] {
        assert!(flat.contains(needle), "help lacks {needle:?}");
    }
}
