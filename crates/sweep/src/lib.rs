//! Sweeps: one claim run per (claim, master seed), each an independent task, merged into pass
//! rates and distributions of the measured values.
//!
//! ```text
//! DIR/.overparam                  marker, kind "sweep"
//! DIR/plan.json                   claims, seeds, profile, build, the ordered task list
//! DIR/tasks/<claim>/seed-<s>/     one run directory per claim run (what `overparam run`
//!                                 writes): written by its task, or for a run split into part
//!                                 tasks, assembled by the merge from their part files
//! DIR/tasks/<claim>/seed-<s>.parts/part-<j>.json   a part task's cells (see `parts`)
//! DIR/logs/task-<i>.log           stdout and stderr of the worker that last ran task i
//! DIR/logs/task-<i>.attempts      one line per start of task i (how often it was tried)
//! DIR/logs/task-<i>.timing        a part task's wall seconds, peak MiB and threads
//! DIR/slurm/                      the Slurm executor's scripts and submitted job ids
//! DIR/report/                     the merge (marker "sweep-report"): summary.csv, criteria.csv,
//!                                 index.html, summary.md, plots/, plan.json, timings.csv
//! ```
//!
//! A task is finished when its run directory exists: it is written through a staging directory
//! and renamed into place, so a killed worker leaves no directory (only a hidden staging one,
//! removed by the next attempt). Resuming is therefore "run every task whose directory is
//! missing". Everything in `report/` except timings.csv is a function of the task directories
//! taken in task order, so it is byte-identical whatever ran the tasks, in whatever order.
//! This crate knows the layout and the statistics; the CLI runs the tasks.

mod merge;
mod parts;
mod plan;
pub mod slurm;
mod status;

use std::fs;
use std::path::{Path, PathBuf};

use overparam_checks::Verdict;
use overparam_report::{OutputDir, OutputKind, read_marker};

pub use merge::{MergeSummary, merge};
pub use parts::{PART_FORMAT, read_part, write_part};
pub use plan::{
    MAX_SEEDS, MAX_SPLIT, PLAN_FORMAT, Part, Plan, SeedRange, Task, cell_count, claim_tasks_dir,
};
pub use status::{Attempt, MAX_ATTEMPTS, StatusLine, TaskStatus, attempts, record_attempt, status};

pub const PLAN_FILE: &str = "plan.json";
pub const TASKS_DIR: &str = "tasks";
pub const LOGS_DIR: &str = "logs";
pub const REPORT_DIR: &str = "report";

/// Where a task stands, as read from its directory.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TaskState {
    /// The run directory is complete; the claim's verdict.
    Finished(Verdict),
    /// A part task's result file is written (its run is assembled by the merge).
    PartDone,
    /// No run directory (never run, or its worker died before committing).
    Missing,
    /// Something is at the task's path but it is not a complete run directory of this task
    /// (a file removed from it by hand, say); the next run replaces it if it carries a run
    /// marker.
    Damaged(String),
}

impl TaskState {
    /// Whether the task has its result (a run directory, or a part file).
    pub fn is_done(&self) -> bool {
        matches!(self, TaskState::Finished(_) | TaskState::PartDone)
    }
}

/// The state of `task` in sweep directory `dir`. A part task is finished with its run (once the
/// run is assembled) and done once its part file exists (written all at once).
pub fn task_state(dir: &Path, task: &Task) -> TaskState {
    let run = run_state(dir, task);
    match (task.part_file(), &run) {
        (None, _) | (Some(_), TaskState::Finished(_)) => run,
        (Some(file), _) => match fs::symlink_metadata(dir.join(&file)) {
            Ok(m) if m.is_file() => TaskState::PartDone,
            Ok(_) => TaskState::Damaged(format!("{file} is not a file")),
            Err(_) => TaskState::Missing,
        },
    }
}

/// The state of the run directory `task` writes or contributes to.
pub fn run_state(dir: &Path, task: &Task) -> TaskState {
    let path = dir.join(&task.dir);
    match fs::symlink_metadata(&path) {
        Err(_) => return TaskState::Missing,
        Ok(m) if !m.is_dir() => return TaskState::Damaged("not a directory".into()),
        Ok(_) => {}
    }
    match read_marker(&path) {
        Ok(m) if m.output_kind() == Some(OutputKind::Run) => {}
        Ok(m) => return TaskState::Damaged(format!("holds '{}' output", m.kind)),
        Err(e) => return TaskState::Damaged(e.to_string()),
    }
    match merge::read_verdict(&path, &task.claim) {
        Ok(v) => TaskState::Finished(v.verdict),
        Err(e) => TaskState::Damaged(e),
    }
}

/// Why a sweep directory cannot be used; always bad usage (exit 2), and nothing was written.
#[derive(Debug)]
pub struct SweepError(pub String);

impl std::fmt::Display for SweepError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for SweepError {}

/// Reads the plan of an existing sweep directory (marker kind "sweep" and plan.json).
pub fn read_plan(dir: &Path) -> Result<Plan, SweepError> {
    let shown = dir.display();
    match fs::symlink_metadata(dir) {
        Err(e) => {
            return Err(SweepError(format!(
                "cannot read sweep directory {shown}: {e}"
            )));
        }
        Ok(m) if !m.is_dir() => {
            return Err(SweepError(format!("{shown} is not a directory")));
        }
        Ok(_) => {}
    }
    match read_marker(dir) {
        Ok(m) if m.output_kind() == Some(OutputKind::Sweep) => {}
        Ok(m) => {
            return Err(SweepError(format!(
                "{shown} holds overparam '{}' output, not a sweep",
                m.kind
            )));
        }
        Err(e) => {
            return Err(SweepError(format!(
                "{shown} is not a sweep directory ({e}); `overparam sweep ... --out {shown}` \
                 makes one"
            )));
        }
    }
    let path = dir.join(PLAN_FILE);
    let text = fs::read_to_string(&path)
        .map_err(|e| SweepError(format!("cannot read {}: {e}", path.display())))?;
    Plan::parse(&text).map_err(|e| SweepError(format!("{} is not a plan: {e}", path.display())))
}

/// Whether `dir` is already a sweep directory (it carries the "sweep" marker).
fn is_sweep_dir(dir: &Path) -> bool {
    fs::symlink_metadata(dir).is_ok_and(|m| m.is_dir())
        && read_marker(dir).is_ok_and(|m| m.output_kind() == Some(OutputKind::Sweep))
}

/// Opens sweep directory `dir` for `plan`: creates it (marker and plan.json, all at once, with
/// the output-safety rules of [`OutputDir::prepare`]) when it does not exist or is empty, or
/// checks that the plan recorded there is `plan` when it is a sweep directory. Returns whether it
/// was created. A different plan is refused, naming every field that differs.
pub fn create_or_resume(dir: &Path, plan: &Plan) -> Result<bool, SweepError> {
    let created = if is_sweep_dir(dir) {
        let found = read_plan(dir)?;
        let differences = found.differences(plan);
        if !differences.is_empty() {
            return Err(SweepError(format!(
                "{} holds a sweep with a different plan ({}); re-run with the options recorded in \
                 its plan.json to resume it, or choose another --out",
                dir.display(),
                differences.join("; ")
            )));
        }
        false
    } else {
        let out = OutputDir::prepare(dir, OutputKind::Sweep, false)
            .map_err(|e| SweepError(e.to_string()))?;
        out.write_text(PLAN_FILE, &plan.to_json())
            .and_then(|()| out.commit())
            .map_err(|e| SweepError(e.to_string()))?;
        true
    };
    // Made here, once, rather than by the tasks: a task whose staging is abandoned removes the
    // parent directories it created, which could race with another task committing beside it.
    for claim in &plan.claims {
        let path = dir.join(claim_tasks_dir(claim));
        fs::create_dir_all(&path)
            .map_err(|e| SweepError(format!("cannot create {}: {e}", path.display())))?;
    }
    Ok(created)
}

/// The path of part task `index`'s timing (wall seconds, peak MiB, threads), for timings.csv.
pub fn timing_path(dir: &Path, index: usize) -> PathBuf {
    dir.join(LOGS_DIR).join(format!("task-{index}.timing"))
}

/// The path of task `index`'s log.
pub fn log_path(dir: &Path, index: usize) -> PathBuf {
    dir.join(LOGS_DIR).join(format!("task-{index}.log"))
}
