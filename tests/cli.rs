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
        "Evidence criteria",
        "Controls",
        "perturbed-point",
        "Running time:",
        "full",
    ] {
        assert!(text.contains(needle), "missing {needle:?} in:\n{text}");
    }
}

/// `show` prints each criterion's name with its declared rule (the threshold as the spec types
/// it, in digits that read back to the same number) under its kind, each control's doc, and the
/// designed false-failure rate: read from every registered claim's own spec, not from a copy.
#[test]
fn show_prints_each_declared_rule_kind_and_the_designed_false_failure_rate() {
    use overparam_checks::{CriterionKind, claim::exact_number};
    for claim in overparam_checks::all_claims() {
        let info = claim.info();
        let o = overparam(&["show", info.id]);
        assert!(o.status.success(), "{}", stderr(&o));
        let text = stdout(&o);
        // Sections in order: hypotheses (where a claim has any), evidence, sanity.
        let evidence = text.find("Evidence criteria").expect("an evidence section");
        let sanity = text.find("Sanity criteria").unwrap_or(text.len());
        let hypotheses = text.find("Hypotheses (").unwrap_or(evidence);
        for spec in info.criteria {
            let line = format!("  - {}: {}\n      {}", spec.name, spec.rule, spec.doc);
            let at = text
                .find(&line)
                .unwrap_or_else(|| panic!("{}: no line {line:?} in:\n{text}", info.id));
            let section = if at > sanity {
                CriterionKind::Sanity
            } else if at > evidence {
                CriterionKind::Evidence
            } else {
                assert!(
                    at > hypotheses,
                    "{}: {} above every section",
                    info.id,
                    spec.name
                );
                CriterionKind::Hypothesis
            };
            assert_eq!(
                section, spec.kind,
                "{}: {} under the wrong kind",
                info.id, spec.name
            );
            if let Some((_, threshold)) = spec.rule.fixed() {
                assert!(line.contains(&exact_number(threshold)), "{line}");
                let printed = line
                    .split([' ', '[', ']', ',', '\n'])
                    .filter_map(|w| w.parse::<f64>().ok())
                    .any(|x| x.to_bits() == threshold.to_bits());
                assert!(
                    printed,
                    "{}: threshold {threshold} not printed exactly: {line}",
                    info.id
                );
            }
        }
        for spec in info.controls {
            assert!(text.contains(&format!("  - {}: {}", spec.name, spec.doc)));
        }
        let rate = &info.false_failure;
        let expected = if rate.is_declared() {
            format!("Designed false-failure rate: {} ", rate.rate_text())
        } else {
            "Designed false-failure rate: not declared".to_owned()
        };
        assert!(text.contains(&expected), "{}: no {expected:?}", info.id);
        assert!(text.contains(&format!("Running time: {}", info.runtime)));
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

/// A directory overparam did not write (no .overparam marker) is never replaced, not even with
/// --force; an empty one is used.
#[test]
fn foreign_non_empty_directory_is_kept_even_when_forced() {
    let root = scratch("foreign");
    let out = root.join("mine");
    std::fs::create_dir_all(&out).unwrap();
    std::fs::write(out.join("thesis.tex"), "precious").unwrap();
    for force in [false, true] {
        let mut args = vec!["run", ID, "--quiet", "--out", out.to_str().unwrap()];
        if force {
            args.push("--force");
        }
        let o = overparam(&args);
        assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
        assert!(
            stderr(&o).contains("overparam did not write it"),
            "{}",
            stderr(&o)
        );
        assert_eq!(entries(&out), ["thesis.tex"]);
    }
    std::fs::remove_file(out.join("thesis.tex")).unwrap();
    let o = overparam(&["run", ID, "--quiet", "--out", out.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert_eq!(
        entries(&out),
        [
            ".overparam",
            ID,
            "index.html",
            "manifest.json",
            "summary.md"
        ]
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

#[test]
fn negative_numbers_reach_the_domain_messages() {
    // clap used to answer "unexpected argument '-1'" for each of these.
    let dir = scratch("negative");
    let w = dir.join("w.csv");
    std::fs::write(&w, "1,0\n0,1\n").unwrap();
    let o = overparam(&[
        "run",
        "--all",
        "--seed",
        "-1",
        "--out",
        dir.join("o").to_str().unwrap(),
    ]);
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
    assert!(
        stderr(&o).contains("seeds are unsigned 64-bit integers"),
        "{}",
        stderr(&o)
    );
    let o = overparam(&[
        "hessian",
        "--weights",
        w.to_str().unwrap(),
        "--grad-tol",
        "-1",
    ]);
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
    assert!(stderr(&o).contains("--grad-tol must be a finite non-negative number, got -1"));
    assert_eq!(entries(&dir), ["w.csv"]);
}

#[cfg(unix)]
#[test]
fn hessian_refuses_a_character_device_at_once() {
    // --weights /dev/zero grew memory at 2 GB/s.
    let start = std::time::Instant::now();
    let o = overparam(&["hessian", "--weights", "/dev/zero"]);
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
    assert!(
        stderr(&o).contains("is a character device"),
        "{}",
        stderr(&o)
    );
    assert!(start.elapsed().as_secs() < 5);
}

/// The two steps of "Adding a claim" (ARCHITECTURE.md) that no compiler catches: a README row
/// in the claims table, and the claim in the committed baselines CI diffs against.
#[test]
fn every_registered_claim_has_a_readme_row_and_a_committed_baseline() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
    let readme = std::fs::read_to_string(root.join("README.md")).unwrap();
    for claim in overparam_checks::all_claims() {
        let id = claim.info().id;
        assert!(
            readme.contains(&format!("\n| `{id}` |")),
            "README.md has no row `| `{id}` | paper | claim |` in its Claims table"
        );
        for baseline in ["reports/baseline", "reports/baseline-seed1"] {
            assert!(
                root.join(baseline).join(id).join("verdict.json").is_file(),
                "{baseline} has no {id}: refresh the baselines (README, \"Regression checks\")"
            );
        }
    }
}
