//! Sweeps with tasks finer than a claim, and the Slurm executor's files, on the real binary and
//! without a Slurm (tests/slurm.rs submits to a real one): a split run assembled from its part
//! tasks is byte-identical to `overparam run` at two splittings; the task index from Slurm's and
//! Kubernetes's variables; `sweep plan` (arrays split at MaxArraySize, resources, the chained
//! merge); `sweep status` (done, missing, failed after two starts); refusals that exit 2 and
//! write nothing.

#[path = "common/mod.rs"]
mod common;
use common::*;

use std::process::Command;

const SAFRAN: &str = "safran2018.spurious-frequency";
const EARLY: &str = "heiss2019.early-stopping";
const SPECTRUM: &str = "arjevani2021.global-min-spectrum";

/// The claim's evidence and verdict.json in a run directory (what must be byte-identical;
/// manifest.json, index.html and summary.md carry timings and provenance).
fn evidence(run: &Path, claim: &str) -> BTreeMap<String, Vec<u8>> {
    let t = tree(&run.join(claim));
    assert!(
        t.contains_key("verdict.json"),
        "no verdict in {}",
        run.display()
    );
    assert!(t.len() >= 3, "{:?}", t.keys().collect::<Vec<_>>());
    t
}

#[test]
fn a_split_run_is_byte_identical_to_run_at_two_splittings() {
    let dir = scratch("split-identity");
    let run = dir.join("run");
    ok(&overparam(&[
        "run",
        SAFRAN,
        "--seed",
        "1",
        "--out",
        s(&run),
        "-q",
    ]));
    let whole = evidence(&run, SAFRAN);
    for split in ["2", "7"] {
        let sw = dir.join(format!("split-{split}"));
        let o = overparam(&[
            "sweep",
            "--claims",
            SAFRAN,
            "--seeds",
            "1",
            "--split",
            split,
            "--jobs",
            "2",
            "--out",
            s(&sw),
        ]);
        ok(&o);
        let plan = std::fs::read_to_string(sw.join("plan.json")).unwrap();
        assert!(plan.contains(&format!("part-1-of-{split}")), "{plan}");
        let parts = entries(&sw.join(format!("tasks/{SAFRAN}/seed-1.parts")));
        assert_eq!(parts.len(), split.parse::<usize>().unwrap(), "{parts:?}");
        let assembled = evidence(&sw.join(format!("tasks/{SAFRAN}/seed-1")), SAFRAN);
        assert_eq!(
            assembled.keys().collect::<Vec<_>>(),
            whole.keys().collect::<Vec<_>>()
        );
        for (name, bytes) in &whole {
            assert!(
                assembled[name] == *bytes,
                "split {split}: {name} differs from `overparam run`"
            );
        }
        // timings.csv has a row per part, with the part's own wall time
        let (header, rows) = read_csv(&sw.join("report/timings.csv"));
        assert_eq!(header[..3], ["task", "name", "wall_time_s"]);
        assert_eq!(rows.len(), split.parse::<usize>().unwrap());
        for (j, row) in rows.iter().enumerate() {
            assert!(row[1].ends_with(&format!("part-{j}-of-{split}")), "{row:?}");
            assert!(row[2].parse::<f64>().unwrap() >= 0.0, "{row:?}");
        }
        // the run directory is complete, so resuming runs nothing
        let again = overparam(&[
            "sweep",
            "--claims",
            SAFRAN,
            "--seeds",
            "1",
            "--split",
            split,
            "--out",
            s(&sw),
        ]);
        ok(&again);
        assert!(stdout(&again).contains("0 run now"), "{}", stdout(&again));
    }
}

/// `sweep plan` of EARLY at seeds 0..2 into `sw`, not submitted.
fn plan_three(sw: &Path) {
    ok(&overparam(&[
        "sweep",
        "plan",
        "--claims",
        EARLY,
        "--seeds",
        "0..2",
        "--out",
        s(sw),
    ]));
}

fn run_task_with(sw: &Path, env: &[(&str, &str)]) -> Output {
    let mut c = Command::new(env!("CARGO_BIN_EXE_overparam"));
    c.args(["sweep", "run-task", s(sw)]);
    for var in [
        "SLURM_ARRAY_TASK_ID",
        "OVERPARAM_TASK_OFFSET",
        "JOB_COMPLETION_INDEX",
    ] {
        c.env_remove(var);
    }
    c.envs(env.iter().copied());
    c.output().unwrap()
}

#[test]
fn run_task_takes_its_index_from_slurm_or_kubernetes_and_status_and_merge_see_the_rest() {
    let dir = scratch("split-index");
    let sw = dir.join("sw");
    plan_three(&sw);
    let o = run_task_with(&sw, &[]);
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("no task index"), "{}", stderr(&o));
    let o = run_task_with(&sw, &[("SLURM_ARRAY_TASK_ID", "x")]);
    assert_eq!(o.status.code(), Some(2));
    ok(&run_task_with(
        &sw,
        &[("SLURM_ARRAY_TASK_ID", "0"), ("OVERPARAM_TASK_OFFSET", "2")],
    ));
    assert!(
        sw.join(format!("tasks/{EARLY}/seed-2/{EARLY}/verdict.json"))
            .exists()
    );
    ok(&run_task_with(&sw, &[("JOB_COMPLETION_INDEX", "1")]));
    assert!(
        sw.join(format!("tasks/{EARLY}/seed-1/{EARLY}/verdict.json"))
            .exists()
    );
    assert!(!sw.join(format!("tasks/{EARLY}/seed-0")).exists());

    let st = overparam(&["sweep", "status", s(&sw)]);
    assert_eq!(st.status.code(), Some(1), "{}", stdout(&st));
    let text = stdout(&st);
    assert!(text.contains("2 done, 1 missing, 0 failed"), "{text}");
    assert!(
        text.contains(&format!("missing  task 0 ({EARLY}/seed-0): 0 start(s)")),
        "{text}"
    );

    let m = overparam(&["sweep", "merge", s(&sw)]);
    assert_eq!(m.status.code(), Some(2));
    assert!(
        stderr(&m).contains("1 of 3 runs have no result"),
        "{}",
        stderr(&m)
    );
    assert!(!sw.join("report").exists());
    let m = overparam(&["sweep", "merge", s(&sw), "--allow-missing"]);
    ok(&m);
    assert!(stdout(&m).contains("INCOMPLETE"), "{}", stdout(&m));

    ok(&overparam(&["sweep", "run-task", s(&sw), "--task", "0"]));
    let st = overparam(&["sweep", "status", s(&sw)]);
    ok(&st);
    assert!(
        stdout(&st).contains("3 done, 0 missing, 0 failed"),
        "{}",
        stdout(&st)
    );
}

#[test]
fn a_task_that_failed_twice_is_reported_with_its_log_and_not_resubmitted() {
    let dir = scratch("split-failed");
    let sw = dir.join("sw");
    plan_three(&sw);
    for _ in 0..2 {
        let o = Command::new(env!("CARGO_BIN_EXE_overparam"))
            .args(["sweep", "run-task", s(&sw), "--task", "1"])
            .env("OVERPARAM_TEST_ABORT_TASK", "1")
            .output()
            .unwrap();
        assert_ne!(o.status.code(), Some(0));
    }
    let st = overparam(&["sweep", "status", s(&sw)]);
    assert_eq!(st.status.code(), Some(1));
    let text = stdout(&st);
    assert!(text.contains("0 done, 2 missing, 1 failed"), "{text}");
    assert!(
        text.contains(&format!("failed   task 1 ({EARLY}/seed-1): 2 start(s)")),
        "{text}"
    );
    assert!(text.contains("logs/task-1.log"), "{text}");
    for t in ["0", "2"] {
        ok(&overparam(&["sweep", "run-task", s(&sw), "--task", t]));
    }
    // only the failed task is left: nothing is resubmitted (sbatch is never called)
    let r = overparam(&["sweep", "plan", "--resubmit-missing", s(&sw)]);
    assert_eq!(r.status.code(), Some(1), "{}{}", stdout(&r), stderr(&r));
    assert!(
        stdout(&r).contains("no missing task to resubmit (1 failed)"),
        "{}",
        stdout(&r)
    );
    assert!(stderr(&r).contains("task 1"), "{}", stderr(&r));
    assert!(stderr(&r).contains("failed 2 times"), "{}", stderr(&r));
}

#[test]
fn plan_writes_arrays_split_at_max_array_size_and_a_merge_chained_after_them() {
    let dir = scratch("split-plan");
    let sw = dir.join("sw");
    let o = overparam(&[
        "sweep",
        "plan",
        "--claims",
        &format!("{EARLY},{SPECTRUM}"),
        "--seeds",
        "0..4",
        "--max-array-size",
        "4",
        "--array-limit",
        "3",
        "--partition",
        "debug",
        "--time",
        "7",
        "--mem",
        "300",
        "--cpus-per-task",
        "2",
        "--out",
        s(&sw),
    ]);
    ok(&o);
    assert!(
        stdout(&o).contains("planned 10 tasks (10 runs)"),
        "{}",
        stdout(&o)
    );
    let submit = std::fs::read_to_string(sw.join("slurm/submit.sh")).unwrap();
    for (array, offset) in [("0-3%3", 0), ("0-3%3", 4), ("0-1%3", 8)] {
        assert!(
            submit.contains(&format!(
                "--array={array} --export=ALL,OVERPARAM_TASK_OFFSET={offset} "
            )),
            "{submit}"
        );
    }
    assert!(
        submit.contains("\"--dependency=afterok:$a0:$a1:$a2\""),
        "{submit}"
    );
    assert!(submit.contains("--kill-on-invalid-dep=yes"), "{submit}");
    let array = std::fs::read_to_string(sw.join("slurm/array.sbatch")).unwrap();
    for line in [
        "#SBATCH --partition=debug",
        "#SBATCH --time=7",
        "#SBATCH --mem=300M",
        "#SBATCH --cpus-per-task=2",
        "task=$(( ${OVERPARAM_TASK_OFFSET:-0} + SLURM_ARRAY_TASK_ID ))",
    ] {
        assert!(array.lines().any(|l| l == line), "{line} not in\n{array}");
    }
    assert!(array.contains("sweep run-task"), "{array}");
    let merge = std::fs::read_to_string(sw.join("slurm/merge.sbatch")).unwrap();
    assert!(merge.contains("sweep merge"), "{merge}");

    // defaults from the measured cost: a split Safran task at the quick profile
    let sf = dir.join("sf");
    ok(&overparam(&[
        "sweep",
        "plan",
        "--claims",
        SAFRAN,
        "--seeds",
        "0",
        "--split",
        "4",
        "--out",
        s(&sf),
    ]));
    let array = std::fs::read_to_string(sf.join("slurm/array.sbatch")).unwrap();
    assert!(array.contains("#SBATCH --time=10\n"), "{array}");
    assert!(array.contains("#SBATCH --mem=1024M\n"), "{array}");
    assert!(array.contains("3.1 s CPU"), "{array}");
}

#[test]
fn bad_plans_exit_2_and_write_nothing() {
    let dir = scratch("split-bad");
    let target = dir.join("sw");
    let t = s(&target);
    for (args, says) in [
        (
            vec!["--claims", "no.such", "--seeds", "0", "--out", t],
            "no.such",
        ),
        (
            vec!["--claims", EARLY, "--seeds", "3..1", "--out", t],
            "greater than",
        ),
        (vec!["--claims", EARLY, "--out", t], "--seeds"),
        (vec!["--claims", EARLY, "--seeds", "0"], "--out"),
        (
            vec![
                "--claims",
                EARLY,
                "--seeds",
                "0",
                "--out",
                t,
                "--overparam",
                "/no/such/bin",
            ],
            "not a file",
        ),
        (
            vec![
                "--claims",
                EARLY,
                "--seeds",
                "0",
                "--out",
                t,
                "--partition",
                "a b",
            ],
            "partition",
        ),
        (vec!["--resubmit-missing", t], "cannot read sweep directory"),
    ] {
        let o = overparam(&[&["sweep", "plan"][..], &args].concat());
        assert_eq!(o.status.code(), Some(2), "{args:?}: {}", stdout(&o));
        assert!(stderr(&o).contains(says), "{args:?}: {}", stderr(&o));
        assert!(!target.exists(), "{args:?} wrote {t}");
    }
    // a sweep planned for the local executor cannot be resubmitted to Slurm
    ok(&overparam(&[
        "sweep", "--claims", EARLY, "--seeds", "0", "--out", t,
    ]));
    let o = overparam(&["sweep", "plan", "--resubmit-missing", t]);
    assert_eq!(o.status.code(), Some(2));
    assert!(
        stderr(&o).contains("not planned for Slurm"),
        "{}",
        stderr(&o)
    );
    // a part file that is not the task's is refused by the assembly, which leaves the run out
    let sp = dir.join("sp");
    ok(&overparam(&[
        "sweep",
        "plan",
        "--claims",
        SAFRAN,
        "--seeds",
        "0",
        "--split",
        "2",
        "--out",
        s(&sp),
    ]));
    ok(&overparam(&["sweep", "run-task", s(&sp), "--task", "0"]));
    let part1 = sp.join(format!("tasks/{SAFRAN}/seed-0.parts/part-1.json"));
    let part0 =
        std::fs::read_to_string(sp.join(format!("tasks/{SAFRAN}/seed-0.parts/part-0.json")))
            .unwrap();
    std::fs::write(&part1, part0).unwrap();
    let m = overparam(&["sweep", "merge", s(&sp)]);
    assert_eq!(m.status.code(), Some(2));
    assert!(
        stderr(&m).contains("is not the result of task"),
        "{}",
        stderr(&m)
    );
    assert!(!sp.join(format!("tasks/{SAFRAN}/seed-0/{SAFRAN}")).exists());
}
