//! `overparam sweep` on the real binary, with the two cheapest claims (well under a second each
//! at the quick profile): one run directory per task, identical to what `run` writes; a merge
//! that is byte-identical for any --jobs and finishing order and agrees with the task verdicts;
//! resumption after a killed worker, a deleted task and a killed sweep; refusals (changed plan,
//! bad ranges, missing tasks) that exit 2 and write nothing.

#[path = "common/mod.rs"]
mod common;
use common::*;

use std::os::unix::fs::MetadataExt as _;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use overparam_checks::find_claim;
use overparam_checks::stats::wilson_interval;

const SPECTRUM: &str = "arjevani2021.global-min-spectrum";
const CHEAP: &str = "liu2020.mass-every-batch";
/// Both claims, in registry order (the order of the plan).
const CLAIMS: [&str; 2] = [SPECTRUM, CHEAP];
const SEEDS: [u64; 3] = [0, 1, 2];
/// The report files that must not depend on who ran the tasks (timings.csv is the exception).
const DETERMINISTIC: [&str; 5] = [
    "summary.csv",
    "criteria.csv",
    "index.html",
    "summary.md",
    "plan.json",
];

/// `overparam sweep` of both claims at seeds 0..2 into `out` with `jobs` workers, in `cwd`.
fn sweep_cmd(cwd: &Path, out: &str, jobs: &str) -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_overparam"));
    c.args([
        "sweep",
        "--claims",
        &format!("{CHEAP},{SPECTRUM}"),
        "--seeds",
        "0..2",
        "--jobs",
        jobs,
        "--out",
        out,
    ])
    .current_dir(cwd);
    c
}

fn sweep(cwd: &Path, out: &str, jobs: &str) -> Output {
    sweep_cmd(cwd, out, jobs).output().unwrap()
}

fn task_dir(sweep: &Path, claim: &str, seed: u64) -> PathBuf {
    sweep.join(format!("tasks/{claim}/seed-{seed}"))
}

/// The merged report without timings.csv: what must be byte-identical.
fn deterministic_report(sweep: &Path) -> BTreeMap<String, Vec<u8>> {
    let mut t = tree(&sweep.join("report"));
    assert!(t.remove("timings.csv").is_some(), "no timings.csv");
    for f in DETERMINISTIC {
        assert!(t.contains_key(f), "report has no {f}");
    }
    assert!(t.keys().any(|k| k.ends_with(".svg")), "report has no plots");
    t
}

/// Hidden staging directories (`.NAME.partial-PID`) anywhere under `dir`.
fn partials(dir: &Path) -> Vec<String> {
    let mut found = Vec::new();
    for e in std::fs::read_dir(dir).unwrap() {
        let e = e.unwrap();
        let name = e.file_name().to_string_lossy().into_owned();
        if name.contains(".partial-") {
            found.push(e.path().display().to_string());
        } else if e.path().is_dir() {
            found.extend(partials(&e.path()));
        }
    }
    found
}

fn inode(p: &Path) -> u64 {
    std::fs::metadata(p).unwrap().ino()
}

fn verdict_json(run_dir: &Path, claim: &str) -> serde_json::Value {
    let text = std::fs::read_to_string(run_dir.join(claim).join("verdict.json")).unwrap();
    serde_json::from_str(&text).unwrap()
}

fn measured(v: &serde_json::Value) -> f64 {
    match v {
        serde_json::Value::String(s) if s == "inf" => f64::INFINITY,
        serde_json::Value::String(s) if s == "-inf" => f64::NEG_INFINITY,
        serde_json::Value::String(_) => f64::NAN,
        other => other.as_f64().unwrap(),
    }
}

#[test]
fn each_task_writes_what_run_writes_and_the_merge_agrees_with_the_task_verdicts() {
    let dir = scratch("sweep-basic");
    let o = sweep(&dir, "sw", "2");
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert!(
        stdout(&o).contains("6 tasks: 6 pass, 0 fail, 0 error"),
        "{}",
        stdout(&o)
    );
    let sw = dir.join("sw");
    assert_eq!(
        std::fs::read_to_string(sw.join(".overparam")).unwrap(),
        std::fs::read_to_string(sw.join("report/.overparam"))
            .unwrap()
            .replace("sweep-report", "sweep")
    );

    // The plan: claims in registry order (not command-line order), claim-major task list.
    let plan: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(sw.join("plan.json")).unwrap()).unwrap();
    assert_eq!(plan["claims"], serde_json::json!(CLAIMS));
    assert_eq!(plan["seeds"], serde_json::json!({"first": 0, "last": 2}));
    assert_eq!(plan["profile"], "quick");
    assert_eq!(plan["cargo_lock_sha256"].as_str().unwrap().len(), 64);
    let names: Vec<&str> = plan["tasks"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["name"].as_str().unwrap())
        .collect();
    let expected: Vec<String> = CLAIMS
        .iter()
        .flat_map(|c| SEEDS.iter().map(move |s| format!("{c}/seed-{s}")))
        .collect();
    assert_eq!(names, expected);

    // A task directory holds exactly the files `overparam run <claim> --seed s` writes, with
    // the same verdict and evidence bytes.
    for claim in CLAIMS {
        let run_out = dir.join(format!("run-{claim}"));
        let r = overparam(&[
            "run",
            claim,
            "--seed",
            "2",
            "--quiet",
            "--out",
            run_out.to_str().unwrap(),
        ]);
        assert_eq!(r.status.code(), Some(0), "{}", stderr(&r));
        let run_files = tree(&run_out);
        let task_files = tree(&task_dir(&sw, claim, 2));
        assert_eq!(
            run_files.keys().collect::<Vec<_>>(),
            task_files.keys().collect::<Vec<_>>()
        );
        for (name, bytes) in &run_files {
            if name.ends_with(".json") && name != &format!("{claim}/verdict.json") {
                continue; // manifest.json: timings and command line
            }
            if name.ends_with(".html") || name.ends_with(".md") {
                continue; // they show the manifest's times
            }
            assert!(
                &task_files[name] == bytes,
                "{claim}: {name} differs from run's"
            );
        }
    }

    // summary.csv: counts and the Wilson interval of 3 passes in 3 seeds.
    let (header, rows) = read_csv(&sw.join("report/summary.csv"));
    let col = |n: &str| header.iter().position(|h| h == n).unwrap();
    let (lo, hi) = wilson_interval(3, 3, 0.95).unwrap();
    assert_eq!(rows.len(), 2);
    for (row, claim) in rows.iter().zip(CLAIMS) {
        assert_eq!(row[col("claim")], claim);
        assert_eq!(row[col("seeds")], "3");
        assert_eq!(row[col("passes")], "3");
        assert_eq!(row[col("fails")], "0");
        assert_eq!(row[col("missing")], "0");
        assert_eq!(row[col("wilson95_low")].parse::<f64>().unwrap(), lo);
        assert_eq!(row[col("wilson95_high")].parse::<f64>().unwrap(), hi);
        // The designed false-failure rate beside the measured one, from the tasks' verdicts:
        // with no failure, the chance of "at least 0 failures" is 1 whatever the design.
        let design = find_claim(claim).unwrap().info().false_failure;
        if design.is_declared() {
            let rate: f64 = row[col("designed_false_failure")].parse().unwrap();
            assert_eq!(rate.to_bits(), design.rate.to_bits(), "{claim}");
            assert_eq!(
                row[col("designed_pass_rate_min")].parse::<f64>().unwrap(),
                1.0 - rate
            );
            assert_eq!(row[col("chance_of_failures")], "1.0", "{claim}");
        } else {
            assert_eq!(row[col("designed_false_failure")], "", "{claim}");
            assert_eq!(row[col("chance_of_failures")], "", "{claim}");
        }
        assert_eq!(row[col("design_varies")], "false");
    }

    // criteria.csv: every criterion and control of every seed, min/median/max of the values
    // in the tasks' verdict.json files, held/failed counts that add up to the seeds.
    let (header, rows) = read_csv(&sw.join("report/criteria.csv"));
    let col = |n: &str| header.iter().position(|h| h == n).unwrap();
    let mut checked = 0;
    for claim in CLAIMS {
        let verdicts: Vec<_> = SEEDS
            .iter()
            .map(|&s| verdict_json(&task_dir(&sw, claim, s), claim))
            .collect();
        for (kind, key) in [("criterion", "criteria"), ("control", "controls")] {
            for (i, item) in verdicts[0][key].as_array().unwrap().iter().enumerate() {
                let name = item["name"].as_str().unwrap();
                let row = rows
                    .iter()
                    .find(|r| {
                        r[col("claim")] == claim && r[col("kind")] == kind && r[col("name")] == name
                    })
                    .unwrap_or_else(|| panic!("{claim} {kind} {name} not in criteria.csv"));
                let mut values: Vec<f64> = verdicts
                    .iter()
                    .map(|v| {
                        let it = &v[key][i];
                        measured(if kind == "control" {
                            &it["criterion"]["measured"]
                        } else {
                            &it["measured"]
                        })
                    })
                    .collect();
                values.sort_by(f64::total_cmp);
                // Kind (evidence / sanity) and declared rule from the claim's own spec.
                let target = if kind == "control" {
                    item["criterion"]["name"].as_str().unwrap()
                } else {
                    name
                };
                assert_eq!(row[col("target")], target);
                let info = find_claim(claim).unwrap().info();
                let criterion = if kind == "control" {
                    &item["criterion"]
                } else {
                    item
                };
                assert_eq!(row[col("class")], criterion["kind"].as_str().unwrap());
                match info.criteria.iter().find(|s| s.name == target) {
                    Some(spec) => {
                        assert_eq!(row[col("class")], spec.kind.name(), "{name}");
                        assert_eq!(row[col("rule")], spec.rule.to_string(), "{name}");
                    }
                    None => assert_eq!(row[col("rule")], "", "{name}"),
                }
                let num = |c: &str| row[col(c)].parse::<f64>().unwrap();
                assert_eq!(num("min"), values[0], "{name}");
                assert_eq!(num("median"), values[1], "{name}");
                assert_eq!(num("max"), values[2], "{name}");
                let held: usize = row[col("held")].parse().unwrap();
                let failed: usize = row[col("failed")].parse().unwrap();
                assert_eq!(held + failed, 3);
                // Every claim passed: criteria held at every seed, controls failed at every seed.
                assert_eq!(if kind == "criterion" { held } else { failed }, 3, "{name}");
                checked += 1;
            }
        }
    }
    assert_eq!(
        checked,
        rows.len(),
        "criteria.csv has rows no task reported"
    );
    let html = std::fs::read_to_string(sw.join("report/index.html")).unwrap();
    for claim in CLAIMS {
        assert!(
            html.contains(&format!("plots/{claim}/")),
            "no plot of {claim}"
        );
    }
    assert!(!html.contains("INCOMPLETE"));
}

#[test]
fn the_merge_is_byte_identical_for_any_jobs_and_any_finishing_order() {
    let dir = scratch("sweep-jobs");
    for (out, jobs) in [("one", "1"), ("two", "2")] {
        let o = sweep(&dir, out, jobs);
        assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    }
    let one = deterministic_report(&dir.join("one"));
    assert_eq!(one, deterministic_report(&dir.join("two")));

    // Tasks run one by one in reverse order by hand (as a job array might), then merged.
    let reversed = dir.join("reversed");
    assert_eq!(sweep(&dir, "reversed", "2").status.code(), Some(0));
    std::fs::remove_dir_all(reversed.join("report")).unwrap();
    for task in (0..6).rev() {
        std::fs::remove_dir_all(task_dir(&reversed, CLAIMS[task / 3], (task % 3) as u64)).unwrap();
    }
    for task in (0..6).rev() {
        let o = overparam(&[
            "sweep",
            "run-task",
            reversed.to_str().unwrap(),
            "--task",
            &task.to_string(),
        ]);
        assert_eq!(o.status.code(), Some(0), "task {task}: {}", stderr(&o));
    }
    let m = overparam(&["sweep", "merge", reversed.to_str().unwrap()]);
    assert_eq!(m.status.code(), Some(0), "{}", stderr(&m));
    assert_eq!(one, deterministic_report(&reversed));
}

#[test]
fn a_worker_killed_mid_write_is_redone_on_resume_and_nothing_else() {
    let dir = scratch("sweep-abort");
    let sw = dir.join("sw");
    // Task 4 (liu2020.mass-every-batch, seed 1) aborts after creating its staging directory.
    let o = sweep_cmd(&dir, "sw", "2")
        .env("OVERPARAM_TEST_ABORT_TASK", "4")
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(1), "{}", stderr(&o));
    assert!(
        stderr(&o).contains(&format!("task 4 ({CHEAP}/seed-1) left no result")),
        "{}",
        stderr(&o)
    );
    assert!(
        stdout(&o).contains("1 of 6 tasks left no result"),
        "{}",
        stdout(&o)
    );
    assert!(!task_dir(&sw, CHEAP, 1).exists());
    assert!(partials(&sw).is_empty(), "{:?}", partials(&sw));
    assert!(!sw.join("report").exists(), "merged with a task missing");

    // merge refuses, naming the task; --allow-missing writes a report marked incomplete.
    let m = overparam(&["sweep", "merge", sw.to_str().unwrap()]);
    assert_eq!(m.status.code(), Some(2));
    assert!(
        stderr(&m).contains(&format!("{CHEAP}/seed-1")),
        "{}",
        stderr(&m)
    );
    assert!(!sw.join("report").exists());
    let m = overparam(&["sweep", "merge", sw.to_str().unwrap(), "--allow-missing"]);
    assert_eq!(m.status.code(), Some(0), "{}", stderr(&m));
    assert!(stdout(&m).contains("INCOMPLETE"));
    assert!(
        std::fs::read_to_string(sw.join("report/index.html"))
            .unwrap()
            .contains("INCOMPLETE")
    );
    let (header, rows) = read_csv(&sw.join("report/summary.csv"));
    let missing = header.iter().position(|h| h == "missing").unwrap();
    assert_eq!(rows[1][missing], "1");
    assert_eq!(rows[0][missing], "0");

    // The same worker run directly leaves its staging directory, as a real kill would.
    let o = Command::new(env!("CARGO_BIN_EXE_overparam"))
        .args(["sweep", "run-task", sw.to_str().unwrap(), "--task", "4"])
        .env("OVERPARAM_TEST_ABORT_TASK", "4")
        .output()
        .unwrap();
    assert_eq!(o.status.code(), None, "the hook should abort");
    assert_eq!(partials(&sw).len(), 1);

    let before: Vec<(PathBuf, u64)> = CLAIMS
        .iter()
        .flat_map(|c| SEEDS.map(|s| task_dir(&sw, c, s)))
        .filter(|p| p.exists())
        .map(|p| {
            let i = inode(&p);
            (p, i)
        })
        .collect();
    assert_eq!(before.len(), 5);
    let o = sweep(&dir, "sw", "2");
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert!(
        stdout(&o).contains("1 run now, 5 already finished"),
        "{}",
        stdout(&o)
    );
    for (p, i) in before {
        assert_eq!(inode(&p), i, "{} was redone", p.display());
    }
    assert!(
        task_dir(&sw, CHEAP, 1)
            .join(CHEAP)
            .join("verdict.json")
            .exists()
    );
    assert!(partials(&sw).is_empty(), "{:?}", partials(&sw));
    let fresh = dir.join("fresh");
    assert_eq!(sweep(&dir, "fresh", "1").status.code(), Some(0));
    assert_eq!(deterministic_report(&sw), deterministic_report(&fresh));
}

#[test]
fn a_deleted_task_is_the_only_one_redone() {
    let dir = scratch("sweep-delete");
    let sw = dir.join("sw");
    assert_eq!(sweep(&dir, "sw", "2").status.code(), Some(0));
    let report = deterministic_report(&sw);
    let gone = task_dir(&sw, SPECTRUM, 2);
    let verdict = std::fs::read(gone.join(SPECTRUM).join("verdict.json")).unwrap();
    std::fs::remove_dir_all(&gone).unwrap();
    let others: Vec<(PathBuf, u64)> = CLAIMS
        .iter()
        .flat_map(|c| SEEDS.map(|s| task_dir(&sw, c, s)))
        .filter(|p| *p != gone)
        .map(|p| {
            let i = inode(&p);
            (p, i)
        })
        .collect();
    let o = sweep(&dir, "sw", "1");
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert!(
        stdout(&o).contains("1 run now, 5 already finished"),
        "{}",
        stdout(&o)
    );
    for (p, i) in others {
        assert_eq!(inode(&p), i, "{} was redone", p.display());
    }
    assert_eq!(
        std::fs::read(gone.join(SPECTRUM).join("verdict.json")).unwrap(),
        verdict
    );
    assert_eq!(deterministic_report(&sw), report);
    // Nothing left to do: a third run runs no task and merges the same report.
    let o = sweep(&dir, "sw", "2");
    assert!(
        stdout(&o).contains("0 run now, 6 already finished"),
        "{}",
        stdout(&o)
    );
    assert_eq!(deterministic_report(&sw), report);

    // A task directory damaged by hand (its verdict removed) is not finished: redone alone.
    let damaged = task_dir(&sw, CHEAP, 0);
    std::fs::remove_file(damaged.join(CHEAP).join("verdict.json")).unwrap();
    let o = sweep(&dir, "sw", "2");
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert!(
        stdout(&o).contains("1 run now, 5 already finished"),
        "{}",
        stdout(&o)
    );
    assert!(damaged.join(CHEAP).join("verdict.json").exists());
    assert_eq!(deterministic_report(&sw), report);
}

/// A task whose claim failed is a finished task with a fail verdict: counted, not redone, and
/// the sweep exits 1 as `run` does. (Both cheap claims pass at every seed, so the verdict of one
/// task is edited to fail.)
#[test]
fn a_failed_task_counts_as_a_fail_in_the_pass_rate() {
    let dir = scratch("sweep-fail");
    let sw = dir.join("sw");
    assert_eq!(sweep(&dir, "sw", "2").status.code(), Some(0));
    let path = task_dir(&sw, CHEAP, 1).join(CHEAP).join("verdict.json");
    let text = std::fs::read_to_string(&path).unwrap();
    let edited = text.replacen("\"verdict\": \"pass\"", "\"verdict\": \"fail\"", 1);
    assert_ne!(edited, text);
    std::fs::write(&path, edited).unwrap();
    let o = sweep(&dir, "sw", "2");
    assert_eq!(o.status.code(), Some(1), "{}", stderr(&o));
    assert!(
        stdout(&o).contains("0 run now, 6 already finished; 6 tasks: 5 pass, 1 fail"),
        "{}",
        stdout(&o)
    );
    let (header, rows) = read_csv(&sw.join("report/summary.csv"));
    let col = |n: &str| header.iter().position(|h| h == n).unwrap();
    let (lo, hi) = wilson_interval(2, 3, 0.95).unwrap();
    let cheap = rows.iter().find(|r| r[col("claim")] == CHEAP).unwrap();
    assert_eq!(
        (cheap[col("passes")].as_str(), cheap[col("fails")].as_str()),
        ("2", "1")
    );
    assert_eq!(cheap[col("wilson95_low")].parse::<f64>().unwrap(), lo);
    assert_eq!(cheap[col("wilson95_high")].parse::<f64>().unwrap(), hi);
    let html = std::fs::read_to_string(sw.join("report/index.html")).unwrap();
    assert!(
        html.contains(&format!("../tasks/{CHEAP}/seed-1/index.html")),
        "failed seed not linked"
    );
}

#[test]
fn a_sweep_killed_mid_run_stops_its_workers_and_resumes() {
    for (signal, status) in [("TERM", 143), ("INT", 130)] {
        let dir = scratch("sweep-kill");
        let sw = dir.join("sw");
        let mut child = sweep_cmd(&dir, "sw", "1")
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        // Wait for a finished task and a worker in flight (its staging directory).
        let start = Instant::now();
        while !(task_dir(&sw, SPECTRUM, 0).exists() && sw.is_dir() && !partials(&sw).is_empty()) {
            assert!(start.elapsed() < Duration::from_secs(60), "no task started");
            assert!(child.try_wait().unwrap().is_none(), "finished too early");
            std::thread::sleep(Duration::from_millis(5));
        }
        let killed = Command::new("kill")
            .args([format!("-{signal}"), child.id().to_string()])
            .status()
            .unwrap();
        assert!(killed.success());
        let exit = child.wait().unwrap();
        assert_eq!(exit.code(), Some(status), "SIG{signal}: {exit:?}");
        assert!(partials(&sw).is_empty(), "SIG{signal}: {:?}", partials(&sw));
        assert!(
            !sw.join(".sweep.lock").exists(),
            "SIG{signal}: lock left behind"
        );
        // The killed worker wrote nothing after the sweep stopped.
        let finished = |sw: &Path| {
            CLAIMS
                .iter()
                .flat_map(|c| SEEDS.map(|s| task_dir(sw, c, s)))
                .filter(|p| p.exists())
                .count()
        };
        let done = finished(&sw);
        assert!((1..6).contains(&done), "SIG{signal}: {done} tasks finished");
        std::thread::sleep(Duration::from_millis(1500));
        assert_eq!(
            finished(&sw),
            done,
            "SIG{signal}: a worker outlived the sweep"
        );
        assert!(!sw.join("report").exists());

        let o = sweep(&dir, "sw", "2");
        assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
        assert!(
            stdout(&o).contains(&format!("{} run now, {done} already finished", 6 - done)),
            "{}",
            stdout(&o)
        );
        assert_eq!(finished(&sw), 6);
    }
}

#[test]
fn a_different_plan_in_an_existing_sweep_is_refused_naming_what_differs() {
    let dir = scratch("sweep-plan");
    let sw = dir.join("sw");
    let first = overparam(&[
        "sweep",
        "--claims",
        CHEAP,
        "--seeds",
        "0..1",
        "--out",
        sw.to_str().unwrap(),
    ]);
    assert_eq!(first.status.code(), Some(0), "{}", stderr(&first));
    let before = tree(&sw);
    for (args, says) in [
        (
            vec!["--claims", CHEAP, "--seeds", "0..2"],
            "seeds: 0..1 there, 0..2 here",
        ),
        (
            vec!["--claims", CHEAP, "--seeds", "0..1", "--profile", "full"],
            "profile: quick there, full here",
        ),
        (
            vec![
                "--claims",
                &format!("{CHEAP},{SPECTRUM}"),
                "--seeds",
                "0..1",
            ],
            "claims: liu2020.mass-every-batch there, arjevani2021.global-min-spectrum,liu2020.mass-every-batch here",
        ),
    ] {
        let mut a = vec!["sweep"];
        a.extend(args.iter().copied());
        a.extend(["--out", sw.to_str().unwrap()]);
        let o = overparam(&a);
        assert_eq!(o.status.code(), Some(2), "{a:?}");
        assert!(stderr(&o).contains(says), "{a:?}: {}", stderr(&o));
        assert!(tree(&sw) == before, "{a:?} changed the sweep directory");
    }
}

#[test]
fn bad_ranges_and_bad_outputs_exit_2_and_create_nothing() {
    let dir = scratch("sweep-bad");
    for seeds in [
        "5..2", "abc", "-1..3", "0..10000", "1..2..3", "", "0..", "1.5..3",
    ] {
        let start = Instant::now();
        let o = overparam(&[
            "sweep",
            "--claims",
            CHEAP,
            "--seeds",
            seeds,
            "--out",
            dir.join("new/sw").to_str().unwrap(),
        ]);
        assert_eq!(
            o.status.code(),
            Some(2),
            "--seeds {seeds:?}: {}",
            stderr(&o)
        );
        assert!(
            stderr(&o).contains("--seeds"),
            "--seeds {seeds:?}: {}",
            stderr(&o)
        );
        assert!(start.elapsed() < Duration::from_secs(1));
        assert_eq!(
            entries(&dir),
            Vec::<String>::new(),
            "--seeds {seeds:?} created something"
        );
    }
    let new_out = dir.join("new/sw");
    for args in [
        vec!["--claims", "nope.nothing", "--seeds", "0..1"],
        vec!["--claims", CHEAP, "--seeds", "0..1", "--jobs", "0"],
        vec!["--claims", CHEAP, "--seeds", "0..1", "--profile", "huge"],
    ] {
        let mut a = vec!["sweep"];
        a.extend(args.iter().copied());
        a.extend(["--out", new_out.to_str().unwrap()]);
        let o = overparam(&a);
        assert_eq!(o.status.code(), Some(2), "{a:?}");
        assert_eq!(
            entries(&dir),
            Vec::<String>::new(),
            "{a:?} created something"
        );
    }
    // A directory overparam did not write, or a run directory, is never a sweep directory.
    let foreign = dir.join("foreign");
    std::fs::create_dir(&foreign).unwrap();
    std::fs::write(foreign.join("notes.txt"), "mine").unwrap();
    let run = dir.join("run");
    assert_eq!(
        overparam(&["run", CHEAP, "--quiet", "--out", run.to_str().unwrap()])
            .status
            .code(),
        Some(0)
    );
    let run_before = tree(&run);
    for (target, says) in [
        (&foreign, "overparam did not write it"),
        (&run, "'run' output"),
    ] {
        let o = overparam(&[
            "sweep",
            "--claims",
            CHEAP,
            "--seeds",
            "0",
            "--out",
            target.to_str().unwrap(),
        ]);
        assert_eq!(o.status.code(), Some(2));
        assert!(stderr(&o).contains(says), "{}", stderr(&o));
    }
    assert_eq!(entries(&foreign), ["notes.txt"]);
    assert!(tree(&run) == run_before);
    // run-task and merge on what is not a sweep, or a task not in the plan.
    for args in [
        vec![
            "sweep",
            "run-task",
            foreign.to_str().unwrap(),
            "--task",
            "0",
        ],
        vec!["sweep", "merge", run.to_str().unwrap()],
    ] {
        let o = overparam(&args);
        assert_eq!(o.status.code(), Some(2), "{args:?}");
        assert!(
            stderr(&o).contains("not a sweep"),
            "{args:?}: {}",
            stderr(&o)
        );
    }
    let sw = dir.join("sw");
    assert_eq!(
        overparam(&[
            "sweep",
            "--claims",
            CHEAP,
            "--seeds",
            "3",
            "--out",
            sw.to_str().unwrap()
        ])
        .status
        .code(),
        Some(0)
    );
    let o = overparam(&["sweep", "run-task", sw.to_str().unwrap(), "--task", "1"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("tasks 0 to 0"), "{}", stderr(&o));
}

/// One executor at a time per sweep directory: a lock held by a live process refuses a second
/// sweep (exit 2, nothing run); a lock left by a process that is gone is taken over.
#[test]
fn a_second_sweep_in_the_same_directory_is_refused_while_the_first_runs() {
    let dir = scratch("sweep-lock");
    let sw = dir.join("sw");
    let first = overparam(&[
        "sweep",
        "--claims",
        CHEAP,
        "--seeds",
        "0",
        "--out",
        sw.to_str().unwrap(),
    ]);
    assert_eq!(first.status.code(), Some(0), "{}", stderr(&first));
    assert!(!sw.join(".sweep.lock").exists(), "lock left behind");
    std::fs::remove_dir_all(task_dir(&sw, CHEAP, 0)).unwrap();

    std::fs::write(sw.join(".sweep.lock"), format!("{}\n", std::process::id())).unwrap();
    let o = overparam(&[
        "sweep",
        "--claims",
        CHEAP,
        "--seeds",
        "0",
        "--out",
        sw.to_str().unwrap(),
    ]);
    assert_eq!(o.status.code(), Some(2));
    assert!(
        stderr(&o).contains(&format!("another sweep (process {})", std::process::id())),
        "{}",
        stderr(&o)
    );
    assert!(
        !task_dir(&sw, CHEAP, 0).exists(),
        "a task ran despite the lock"
    );

    let mut gone = Command::new("true").spawn().unwrap();
    gone.wait().unwrap();
    std::fs::write(sw.join(".sweep.lock"), format!("{}\n", gone.id())).unwrap();
    let o = overparam(&[
        "sweep",
        "--claims",
        CHEAP,
        "--seeds",
        "0",
        "--out",
        sw.to_str().unwrap(),
    ]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert!(task_dir(&sw, CHEAP, 0).exists());
    assert!(!sw.join(".sweep.lock").exists(), "lock left behind");
}
