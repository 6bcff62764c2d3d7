//! Where each task of a sweep stands, for `overparam sweep status` and `--resubmit-missing`:
//! done (its result is written), missing (no result, tried fewer than [`MAX_ATTEMPTS`] times:
//! never started, still queued or running, or killed by the scheduler, a node failure or a time
//! limit, which leave no result) or failed (no result after [`MAX_ATTEMPTS`] starts: reported
//! with its log, never resubmitted again).
//!
//! Every start of a task appends a line to `DIR/logs/task-<i>.attempts` (`overparam sweep
//! run-task` does it before computing), so the count survives whatever kills the worker.

use std::fs;
use std::io::Write as _;
use std::path::{Path, PathBuf};

use crate::{LOGS_DIR, Plan, Task, TaskState, log_path, task_state};

/// A task without a result after this many starts is failed: reported, not retried.
pub const MAX_ATTEMPTS: usize = 2;

/// One recorded start of a task: the line run-task wrote (time, host, process, scheduler job).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Attempt(pub String);

fn attempts_path(dir: &Path, index: usize) -> PathBuf {
    dir.join(LOGS_DIR).join(format!("task-{index}.attempts"))
}

/// Appends one start of task `index` (`what`: host, process, scheduler job) to its attempts
/// file; one short write in append mode, so concurrent starts of different tasks never mix.
pub fn record_attempt(dir: &Path, index: usize, what: &str) -> Result<(), String> {
    let logs = dir.join(LOGS_DIR);
    fs::create_dir_all(&logs).map_err(|e| format!("cannot create {}: {e}", logs.display()))?;
    let path = attempts_path(dir, index);
    let seconds = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs());
    let line = format!("{seconds} {what}\n");
    fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(&path)
        .and_then(|mut f| f.write_all(line.as_bytes()))
        .map_err(|e| format!("cannot write {}: {e}", path.display()))
}

/// The recorded starts of task `index`, oldest first.
pub fn attempts(dir: &Path, index: usize) -> Vec<Attempt> {
    fs::read_to_string(attempts_path(dir, index))
        .unwrap_or_default()
        .lines()
        .filter(|l| !l.trim().is_empty())
        .map(|l| Attempt(l.to_owned()))
        .collect()
}

/// Where one task stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TaskStatus {
    /// Its result is written (run directory or part file).
    Done,
    /// No result yet, fewer than [`MAX_ATTEMPTS`] starts: to be (re)submitted.
    Missing,
    /// No result after [`MAX_ATTEMPTS`] starts: reported with its log, not resubmitted.
    Failed,
}

impl TaskStatus {
    pub fn name(self) -> &'static str {
        match self {
            TaskStatus::Done => "done",
            TaskStatus::Missing => "missing",
            TaskStatus::Failed => "failed",
        }
    }
}

/// One task's line of `overparam sweep status`.
#[derive(Debug, Clone)]
pub struct StatusLine {
    pub task: Task,
    pub status: TaskStatus,
    pub attempts: usize,
    /// Why a task is not done beyond "no result" (a damaged directory, say).
    pub note: Option<String>,
    /// The worker's log (stdout and stderr of its last start).
    pub log: PathBuf,
}

/// The status of every task of `plan` in `dir`, in task order.
pub fn status(dir: &Path, plan: &Plan) -> Vec<StatusLine> {
    plan.tasks
        .iter()
        .map(|task| {
            let tried = attempts(dir, task.index).len();
            let state = task_state(dir, task);
            let status = if state.is_done() {
                TaskStatus::Done
            } else if tried >= MAX_ATTEMPTS {
                TaskStatus::Failed
            } else {
                TaskStatus::Missing
            };
            StatusLine {
                task: task.clone(),
                status,
                attempts: tried,
                note: match state {
                    TaskState::Damaged(why) => Some(why),
                    _ => None,
                },
                log: log_path(dir, task.index),
            }
        })
        .collect()
}
