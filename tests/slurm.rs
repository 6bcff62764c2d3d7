//! The Slurm executor against a real Slurm: skipped (passing, with a note on stderr) unless
//! OVERPARAM_SLURM=1, which `.ci/run` sets after `.ci/slurm-up` has started a one-node cluster
//! (SLURM_CONF then names its configuration). A submitted sweep (two claims, three seeds, one
//! claim split into several tasks, arrays split at a small MaxArraySize) merges byte-identical
//! to the local executor on the same plan; an array task cancelled mid-run (submitted with
//! `sweep --executor slurm`) is reported running, then missing, and resubmitting only it
//! completes the sweep.

#[path = "common/mod.rs"]
mod common;
use common::*;

use std::process::Command;
use std::time::{Duration, Instant};

const SAFRAN: &str = "safran2018.spurious-frequency";
const EARLY: &str = "heiss2019.early-stopping";
const DETERMINISTIC: [&str; 5] = [
    "summary.csv",
    "criteria.csv",
    "index.html",
    "summary.md",
    "plan.json",
];

fn slurm_is_up() -> bool {
    let up = std::env::var("OVERPARAM_SLURM").is_ok_and(|v| v == "1");
    if !up {
        eprintln!(
            "skipped: OVERPARAM_SLURM=1 is not set (.ci/slurm-up starts a Slurm and sets it)"
        );
    }
    up
}

/// The job ids `--submit` printed ("submitted array job N", "submitted merge job N").
fn job_ids(o: &Output, what: &str) -> Vec<String> {
    stdout(o)
        .lines()
        .filter_map(|l| l.strip_prefix(&format!("submitted {what} job ")))
        .map(|rest| rest.split(':').next().unwrap().trim().to_owned())
        .collect()
}

/// Whether Slurm still lists any of `jobs` (pending or running array tasks included).
fn queued(jobs: &[String]) -> bool {
    let o = Command::new("squeue")
        .args(["-h", "-r", "-o", "%i", "-j", &jobs.join(",")])
        .output()
        .expect("squeue");
    !String::from_utf8_lossy(&o.stdout).trim().is_empty()
}

fn wait_until(what: &str, limit: Duration, mut done: impl FnMut() -> bool) {
    let start = Instant::now();
    while !done() {
        assert!(start.elapsed() < limit, "timed out waiting for {what}");
        std::thread::sleep(Duration::from_millis(500));
    }
}

/// Every file under the sweep's tasks/ that is evidence (the run directories' claim folders
/// and the part files; manifest.json, index.html and summary.md carry timings), and the merged
/// report without timings.csv.
fn comparable(sweep: &Path) -> BTreeMap<String, Vec<u8>> {
    let mut out: BTreeMap<String, Vec<u8>> = tree(&sweep.join("tasks"))
        .into_iter()
        .filter(|(k, _)| {
            k.contains(".parts/")
                || [SAFRAN, EARLY]
                    .iter()
                    .any(|c| k.contains(&format!("/{c}/")))
        })
        .map(|(k, v)| (format!("tasks/{k}"), v))
        .collect();
    for f in DETERMINISTIC {
        out.insert(
            format!("report/{f}"),
            std::fs::read(sweep.join("report").join(f)).unwrap(),
        );
    }
    out
}

#[test]
fn a_submitted_sweep_merges_byte_identical_to_the_local_executor() {
    if !slurm_is_up() {
        return;
    }
    let dir = scratch("slurm-sweep");
    let (remote, local) = (dir.join("slurm"), dir.join("local"));
    let claims = format!("{SAFRAN},{EARLY}");
    let o = overparam(&[
        "sweep",
        "plan",
        "--claims",
        &claims,
        "--seeds",
        "0..2",
        "--split",
        "3",
        "--max-array-size",
        "5",
        "--array-limit",
        "2",
        "--out",
        s(&remote),
        "--submit",
    ]);
    ok(&o);
    let arrays = job_ids(&o, "array");
    // 3 seeds x 3 parts + 3 seeds = 12 tasks, in arrays of at most 5
    assert_eq!(arrays.len(), 3, "{}", stdout(&o));
    assert_eq!(job_ids(&o, "merge").len(), 1, "{}", stdout(&o));
    ok(&overparam(&[
        "sweep",
        "--claims",
        &claims,
        "--seeds",
        "0..2",
        "--split",
        "3",
        "--jobs",
        "2",
        "--out",
        s(&local),
    ]));
    let mut all = arrays.clone();
    all.extend(job_ids(&o, "merge"));
    wait_until(
        "the arrays and the merge job",
        Duration::from_secs(600),
        || !queued(&all),
    );
    assert!(
        remote.join("report/summary.csv").exists(),
        "no merged report; logs: {:?}",
        entries(&remote.join("logs"))
    );
    let st = overparam(&["sweep", "status", s(&remote)]);
    ok(&st);
    let (a, b) = (comparable(&remote), comparable(&local));
    assert_eq!(a.keys().collect::<Vec<_>>(), b.keys().collect::<Vec<_>>());
    for (name, bytes) in &a {
        assert!(b[name] == *bytes, "{name} differs between Slurm and local");
    }
}

#[test]
fn a_cancelled_array_task_is_missing_and_resubmitting_only_it_completes_the_sweep() {
    if !slurm_is_up() {
        return;
    }
    let dir = scratch("slurm-cancel");
    let sw = dir.join("sw");
    // task 1 waits 120 s after recording its start: it is cancelled while it runs
    let o = Command::new(env!("CARGO_BIN_EXE_overparam"))
        .args([
            "sweep",
            "--executor",
            "slurm",
            "--claims",
            EARLY,
            "--seeds",
            "0..2",
            "--out",
            s(&sw),
        ])
        .env("OVERPARAM_TEST_SLEEP_TASK", "1")
        .output()
        .unwrap();
    ok(&o);
    let array = job_ids(&o, "array");
    let merge = job_ids(&o, "merge");
    assert_eq!((array.len(), merge.len()), (1, 1), "{}", stdout(&o));
    let attempts = sw.join("logs/task-1.attempts");
    wait_until("task 1 to start", Duration::from_secs(120), || {
        attempts.exists()
    });
    // while it runs, status says so and a resubmission leaves it alone
    let st = overparam(&["sweep", "status", s(&sw)]);
    assert!(stdout(&st).contains("running in Slurm"), "{}", stdout(&st));
    let early = overparam(&["sweep", "plan", "--resubmit-missing", s(&sw)]);
    ok(&early);
    assert!(
        stdout(&early).contains("still queued or running in Slurm"),
        "{}",
        stdout(&early)
    );
    assert!(
        !stdout(&early).contains("submitted array job"),
        "{}",
        stdout(&early)
    );
    ok(&Command::new("scancel")
        .arg(format!("{}_1", array[0]))
        .output()
        .unwrap());
    let mut all = array.clone();
    all.extend(merge);
    // the other tasks finish; the merge job is cancelled with its unsatisfiable dependency
    wait_until(
        "the array and the merge job",
        Duration::from_secs(300),
        || !queued(&all),
    );
    assert!(
        !sw.join("report").exists(),
        "merged despite a cancelled task"
    );
    let st = overparam(&["sweep", "status", s(&sw)]);
    assert_eq!(st.status.code(), Some(1), "{}", stdout(&st));
    let text = stdout(&st);
    assert!(text.contains("2 done, 1 missing, 0 failed"), "{text}");
    assert!(
        text.contains(&format!("missing  task 1 ({EARLY}/seed-1): 1 start(s)")),
        "{text}"
    );

    let r = overparam(&["sweep", "plan", "--resubmit-missing", s(&sw)]);
    ok(&r);
    assert!(
        stdout(&r).contains("resubmitting 1 missing task(s)"),
        "{}",
        stdout(&r)
    );
    let again = [job_ids(&r, "array"), job_ids(&r, "merge")].concat();
    assert_eq!(again.len(), 2, "{}", stdout(&r));
    assert!(stdout(&r).contains("--array=1%"), "{}", stdout(&r));
    wait_until(
        "the resubmitted task and merge",
        Duration::from_secs(300),
        || !queued(&again),
    );
    let st = overparam(&["sweep", "status", s(&sw)]);
    ok(&st);
    assert!(
        stdout(&st).contains("3 done, 0 missing, 0 failed"),
        "{}",
        stdout(&st)
    );
    assert!(sw.join("report/summary.csv").exists());
    assert_eq!(
        std::fs::read_to_string(&attempts).unwrap().lines().count(),
        2
    );
}
