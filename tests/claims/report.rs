//! Reports as a reviewer meets them: byte-identical evidence for any thread count, an HTML
//! report that renders in a real browser with every plot, and a regression diff that catches an
//! injected change. They read the binary's two runs (see the binary's doc): the sequential one
//! written in-process, the parallel one by `overparam run --all`.

use std::collections::BTreeMap;
use std::path::Path;
use std::process::{Command, Output};

use crate::common::copy_dir;
use crate::{PARALLEL, SEQUENTIAL, parallel, sequential};

fn overparam(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_overparam"))
        .args(args)
        .output()
        .expect("run overparam")
}

/// Every file of a run directory except those that record when and how it ran.
fn evidence_files(dir: &Path) -> BTreeMap<String, Vec<u8>> {
    let mut files = BTreeMap::new();
    for claim in std::fs::read_dir(dir).unwrap() {
        let claim = claim.unwrap().path();
        if !claim.is_dir() {
            continue;
        }
        for f in std::fs::read_dir(&claim).unwrap() {
            let f = f.unwrap().path();
            let name = format!(
                "{}/{}",
                claim.file_name().unwrap().to_string_lossy(),
                f.file_name().unwrap().to_string_lossy()
            );
            files.insert(name, std::fs::read(&f).unwrap());
        }
    }
    files
}

/// Every CSV, SVG and verdict.json of every claim, byte for byte.
#[test]
fn evidence_is_byte_identical_for_1_and_4_threads() {
    let reference = evidence_files(&sequential().dir);
    assert!(reference.keys().any(|k| k.ends_with(".csv")));
    assert!(reference.keys().any(|k| k.ends_with(".svg")));
    assert!(reference.keys().any(|k| k.ends_with("verdict.json")));
    for claim in overparam_checks::all_claims() {
        let id = claim.info().id;
        assert!(
            reference.contains_key(&format!("{id}/verdict.json")),
            "{id} is not in the run"
        );
    }
    let other = evidence_files(parallel());
    assert_eq!(
        reference.keys().collect::<Vec<_>>(),
        other.keys().collect::<Vec<_>>(),
        "different files with {PARALLEL} threads"
    );
    for (name, bytes) in &reference {
        assert!(
            bytes == &other[name],
            "{name} differs between {SEQUENTIAL} and {PARALLEL} threads"
        );
    }
}

#[test]
fn every_claim_has_a_section_and_plots_in_the_report() {
    let dir = parallel();
    let html = std::fs::read_to_string(dir.join("index.html")).unwrap();
    let md = std::fs::read_to_string(dir.join("summary.md")).unwrap();
    assert!(html.contains("id=\"verdicts\""));
    assert!(
        !html.contains("http://") && !html.contains("https://"),
        "the report must work offline"
    );
    for claim in overparam_checks::all_claims() {
        let id = claim.info().id;
        assert!(
            html.contains(&format!("id=\"{id}\"")),
            "no section for {id}"
        );
        assert!(md.contains(id));
        let svgs = std::fs::read_dir(dir.join(id))
            .unwrap()
            .filter(|e| {
                e.as_ref()
                    .unwrap()
                    .path()
                    .extension()
                    .is_some_and(|x| x == "svg")
            })
            .count();
        assert!(svgs > 0, "{id} has no plot");
        // Evidence and sanity criteria apart, and the declared design beside the verdict.
        let section = html.split(&format!("id=\"{id}\"")).nth(1).unwrap();
        let section = section.split("</section>").next().unwrap();
        assert!(section.contains("<h3>Evidence criteria"), "{id}");
        let info = claim.info();
        let has_sanity = info
            .criteria
            .iter()
            .any(|s| s.kind == overparam_checks::CriterionKind::Sanity);
        assert_eq!(section.contains("<h3>Sanity criteria"), has_sanity, "{id}");
        let verdict: serde_json::Value = serde_json::from_str(
            &std::fs::read_to_string(dir.join(id).join("verdict.json")).unwrap(),
        )
        .unwrap();
        for (c, spec) in verdict["criteria"]
            .as_array()
            .unwrap()
            .iter()
            .zip(info.criteria)
        {
            assert_eq!(c["kind"], spec.kind.name(), "{id} {}", spec.name);
        }
        let declared = &verdict["declared"]["criteria"];
        assert_eq!(declared.as_array().unwrap().len(), info.criteria.len());
        for (d, spec) in declared.as_array().unwrap().iter().zip(info.criteria) {
            assert_eq!(d["rule"], spec.rule.to_string(), "{id} {}", spec.name);
        }
        assert!(verdict["declared"]["false_failure"]["design"].is_string());
    }
    let manifest: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(dir.join("manifest.json")).unwrap()).unwrap();
    for key in [
        "cargo_lock_sha256",
        "simd_features",
        "git_dirty",
        "seed_rule",
        "target",
    ] {
        assert!(manifest.get(key).is_some(), "manifest lacks {key}");
    }
    for c in manifest["claims"].as_array().unwrap() {
        assert!(c["wall_time_s"].as_f64().unwrap() >= 0.0);
        assert!(c.get("peak_rss_mib").is_some());
    }
}

/// `overparam diff` on two real runs: clean on an unchanged copy (that the thread counts agree is
/// proved byte for byte above, which is stricter than the diff's tolerances), exit 1 naming the
/// claim and criterion of one injected change, exit 2 on a missing run.
#[test]
fn diff_of_a_copy_is_clean_and_an_injected_regression_exits_1() {
    let run = parallel();
    let a = run.to_str().unwrap();
    let clean = run.parent().unwrap().join("copy");
    let _ = std::fs::remove_dir_all(&clean);
    copy_dir(run, &clean);
    let o = overparam(&["diff", a, clean.to_str().unwrap()]);
    assert_eq!(
        o.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&o.stdout)
    );
    assert!(String::from_utf8_lossy(&o.stdout).contains("0 regression(s)"));

    // Copy the parallel run and change one measured value in one verdict.json.
    let copy = run.parent().unwrap().join("injected");
    let _ = std::fs::remove_dir_all(&copy);
    copy_dir(run, &copy);
    let id = "arjevani2021.global-min-spectrum";
    let path = copy.join(id).join("verdict.json");
    let mut v: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
    let name = v["criteria"][1]["name"].as_str().unwrap().to_owned();
    let measured = v["criteria"][1]["measured"].as_f64().unwrap();
    v["criteria"][1]["measured"] = serde_json::json!(measured * 10.0 + 1e-6);
    std::fs::write(&path, serde_json::to_string_pretty(&v).unwrap()).unwrap();
    let o = overparam(&["diff", a, copy.to_str().unwrap()]);
    let out = String::from_utf8_lossy(&o.stdout);
    assert_eq!(o.status.code(), Some(1), "{out}");
    let line = out
        .lines()
        .find(|l| l.contains("REGRESSION"))
        .expect("a regression line");
    assert!(line.contains(id) && line.contains(&name), "{line}");

    let o = overparam(&["diff", a, "/nonexistent/run"]);
    assert_eq!(o.status.code(), Some(2));
}

/// Debian's Chromium (installed by .ci/run). Outside CI, a machine without it skips this test
/// with a notice; in CI (CI=true) its absence is a failure.
fn chromium() -> Option<&'static str> {
    let found = ["/usr/bin/chromium", "/usr/bin/chromium-browser"]
        .into_iter()
        .find(|p| Path::new(p).exists());
    if found.is_none() {
        assert!(
            std::env::var("CI").is_err(),
            "CI must install chromium (apt-get install chromium) for the browser test"
        );
        eprintln!("chromium not installed: skipping the browser rendering test");
    }
    found
}

#[test]
fn html_report_renders_in_headless_chromium_with_every_plot() {
    let Some(browser) = chromium() else { return };
    let dir = parallel();
    let profile = dir.parent().unwrap().join("chromium-profile");
    let url = format!("file://{}", dir.join("index.html").display());
    let o = Command::new(browser)
        .args([
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-quic",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--allow-file-access-from-files",
            &format!("--user-data-dir={}", profile.display()),
            "--virtual-time-budget=10000",
            "--dump-dom",
            &url,
        ])
        .output()
        .expect("start chromium");
    let dom = String::from_utf8_lossy(&o.stdout);
    assert!(
        dom.contains("id=\"verdicts\""),
        "verdict table missing from the rendered page"
    );
    let loaded = dom
        .split("data-plots-loaded=\"")
        .nth(1)
        .and_then(|s| s.split('"').next())
        .unwrap_or_else(|| {
            panic!(
                "the page's load check did not run: {}",
                String::from_utf8_lossy(&o.stderr)
            )
        });
    let (ok, total) = loaded.split_once('/').unwrap();
    let expected = std::fs::read_to_string(dir.join("index.html"))
        .unwrap()
        .matches("<img ")
        .count();
    assert_eq!(total.parse::<usize>().unwrap(), expected);
    assert!(expected > 0);
    assert_eq!(ok, total, "only {ok} of {total} plots loaded");
}
