//! The `overparam` binary as a user meets it: listing, showing, running, and refusing bad input
//! with exit status 2 and nothing written.

#[path = "common/mod.rs"]
mod common;
use common::*;

const ID: &str = "arjevani2021.global-min-spectrum";

#[test]
fn list_names_every_claim() {
    let o = overparam(&["list"]);
    assert!(o.status.success());
    let text = String::from_utf8_lossy(&o.stdout);
    for claim in overparam_checks::all_claims() {
        assert!(text.contains(claim.info().id));
    }
}

#[test]
fn show_prints_criteria_controls_and_running_time() {
    let o = overparam(&["show", ID]);
    assert!(o.status.success());
    let text = String::from_utf8_lossy(&o.stdout);
    for needle in [
        "Statement:",
        "Criteria",
        "Controls",
        "perturbed-point",
        "Running time:",
        "full",
    ] {
        assert!(text.contains(needle), "missing {needle:?} in:\n{text}");
    }
}

#[test]
fn unknown_claim_is_a_usage_error_and_writes_nothing() {
    let root = scratch("unknown");
    let out = root.join("report");
    let o = overparam(&["run", "no.such-claim", "--out", out.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(2));
    assert!(
        stderr(&o).contains("unknown claim id 'no.such-claim'"),
        "{}",
        stderr(&o)
    );
    assert!(
        entries(&root).is_empty(),
        "left behind: {:?}",
        entries(&root)
    );

    let o = overparam(&["show", "no.such-claim"]);
    assert_eq!(o.status.code(), Some(2));
}

#[test]
fn unwritable_output_is_a_usage_error_and_writes_nothing() {
    let root = scratch("unwritable");
    let file = root.join("a-file");
    std::fs::write(&file, "not a directory").unwrap();
    let o = overparam(&[
        "run",
        "--all",
        "--out",
        file.join("report").to_str().unwrap(),
    ]);
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("cannot write"), "{}", stderr(&o));
    assert_eq!(entries(&root), ["a-file"]);

    // an existing regular file as --out
    let o = overparam(&["run", "--all", "--out", file.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(2));
    assert_eq!(std::fs::read_to_string(&file).unwrap(), "not a directory");
}

#[test]
fn bad_arguments_exit_with_status_2() {
    for args in [
        vec!["run"],
        vec!["run", "--all", "--profile", "medium"],
        vec!["run", "--all", "--seed", "minus-one"],
        vec!["run", "--all", ID],
        vec!["frobnicate"],
    ] {
        let o = overparam(&args);
        assert_eq!(o.status.code(), Some(2), "{args:?}: {}", stderr(&o));
    }
}

#[test]
fn foreign_non_empty_directory_is_kept_unless_forced() {
    let root = scratch("foreign");
    let out = root.join("mine");
    std::fs::create_dir_all(&out).unwrap();
    std::fs::write(out.join("thesis.tex"), "precious").unwrap();
    let o = overparam(&["run", ID, "--quiet", "--out", out.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(2));
    assert_eq!(entries(&out), ["thesis.tex"]);
    let o = overparam(&[
        "run",
        ID,
        "--quiet",
        "--force",
        "--out",
        out.to_str().unwrap(),
    ]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert_eq!(
        entries(&out),
        [".overparam", ID, "index.html", "manifest.json", "summary.md"]
    );
    assert_eq!(entries(&root), ["mine"], "no staging directory left behind");
}

#[test]
fn run_writes_manifest_verdict_and_evidence() {
    let root = scratch("run");
    let out = root.join("report");
    let o = overparam(&["run", ID, "--seed", "3", "--out", out.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert!(String::from_utf8_lossy(&o.stdout).contains("PASS"));

    let manifest: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(out.join("manifest.json")).unwrap()).unwrap();
    for key in [
        "tool_version",
        "git_commit",
        "profile",
        "master_seed",
        "rustc",
        "cpu_model",
        "threads",
        "started_utc",
        "finished_utc",
        "seed_rule",
    ] {
        assert!(manifest.get(key).is_some(), "manifest lacks {key}");
    }
    assert_eq!(manifest["profile"], "quick");
    assert_eq!(manifest["master_seed"], 3);

    let verdict: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(out.join(ID).join("verdict.json")).unwrap())
            .unwrap();
    assert_eq!(verdict["claim"], ID);
    assert_eq!(verdict["verdict"], "pass");
    assert!(verdict["criteria"].as_array().unwrap().len() >= 5);
    for c in verdict["controls"].as_array().unwrap() {
        assert_eq!(c["failed_as_expected"], true);
        assert!(c["criterion"]["reason"].as_str().unwrap().len() > 10);
    }

    let (header, rows) = read_csv(&out.join(ID).join("spectrum.csv"));
    assert_eq!(header, ["d", "rank", "eigenvalue"]);
    assert_eq!(rows.len(), 16 + 36 + 100 + 400);
    let (header, _) = read_csv(&out.join(ID).join("clusters.csv"));
    assert_eq!(
        header,
        [
            "d",
            "value",
            "multiplicity",
            "predicted_value",
            "predicted_multiplicity"
        ]
    );

    // An explicit --out is not overwritten without --force, and is replaced in place with it.
    let before = std::fs::read(out.join("manifest.json")).unwrap();
    let o = overparam(&["run", ID, "--quiet", "--out", out.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("--force"), "{}", stderr(&o));
    assert_eq!(std::fs::read(out.join("manifest.json")).unwrap(), before);
    let o = overparam(&[
        "run",
        ID,
        "--quiet",
        "--force",
        "--out",
        out.to_str().unwrap(),
    ]);
    assert_eq!(o.status.code(), Some(0));
    assert!(o.stdout.is_empty(), "--quiet printed output");
    assert_eq!(entries(&root), ["report"]);
}

/// The spectrum the CLI reports at d = 10 against a Hessian built independently of the kernel's
/// block formulas: central differences of the analytic gradient, symmetrised. At W = V every
/// student is aligned with its teacher, where kappa has a theta^3 term: the Hessian is only
/// Lipschitz there, so central differences are O(h) accurate (measured ~0.2 h) plus O(eps / h)
/// rounding. With h = 1e-7 both are ~1e-8, and 1e-6 keeps a margin of 50.
#[test]
fn reported_spectrum_agrees_with_a_finite_difference_hessian_at_d_10() {
    use overparam_kernel::{LossGradient, PopulationLoss, TwoLayerNet};
    use overparam_linalg::{Mat, Par, sym_eigenvalues};

    let root = scratch("fd");
    let out = root.join("report");
    let o = overparam(&["run", ID, "--quiet", "--out", out.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(0));
    let (_, rows) = read_csv(&out.join(ID).join("spectrum.csv"));
    let reported: Vec<f64> = rows
        .iter()
        .filter(|r| r[0] == "10")
        .map(|r| r[2].parse().unwrap())
        .collect();
    assert_eq!(reported.len(), 100);

    let d = 10;
    let net = TwoLayerNet::identity(d);
    let loss = PopulationLoss::new(net.clone());
    let grad = |w: &TwoLayerNet| {
        let mut g = LossGradient::new(d, d);
        loss.evaluate(w, &mut g).unwrap();
        g.grad_w
    };
    let h = 1e-7;
    let n = d * d;
    let mut fd = vec![0.0; n * n];
    for c in 0..n {
        let mut plus = net.clone();
        plus.w_mut()[c] += h;
        let mut minus = net.clone();
        minus.w_mut()[c] -= h;
        let (gp, gm) = (grad(&plus), grad(&minus));
        for r in 0..n {
            fd[r * n + c] = (gp[r] - gm[r]) / (2.0 * h);
        }
    }
    let sym = Mat::from_fn(n, n, |r, c| 0.5 * (fd[r * n + c] + fd[c * n + r]));
    let independent = sym_eigenvalues(sym.as_ref(), Par::Seq).unwrap().values;
    for (a, b) in reported.iter().zip(&independent) {
        assert!(
            (a - b).abs() < 1e-6,
            "reported {a} vs finite-difference {b}"
        );
    }
}
