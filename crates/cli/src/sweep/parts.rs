//! Part tasks: a worker computing some cells of a split claim run into a part file, and the
//! assembly of a run directory from its parts (through the code that `overparam run` uses, so
//! the directory is the same, file for file).

use std::panic::{AssertUnwindSafe, catch_unwind};
use std::path::Path;
use std::process::ExitCode;
use std::time::Instant;

use overparam_checks::claim::{CellData, assemble_parts};
use overparam_checks::{Claim, ClaimError, NoProgress, Profile, RunContext, find_claim};
use overparam_report::{OutputDir, OutputKind};
use overparam_sweep::{
    Plan, Task, TaskState, read_part, run_state, task_state, timing_path, write_part,
};

use crate::claims::run_claims_with;
use crate::usage_error;

/// What a task's attempts file records of one start: host, process, and the scheduler's job.
pub fn attempt_text() -> String {
    let host = std::fs::read_to_string("/proc/sys/kernel/hostname")
        .map(|h| h.trim().to_owned())
        .or_else(|_| std::env::var("HOSTNAME"))
        .unwrap_or_else(|_| "unknown-host".to_owned());
    let job = match (
        std::env::var("SLURM_ARRAY_JOB_ID"),
        std::env::var("SLURM_ARRAY_TASK_ID"),
        std::env::var("SLURM_JOB_ID"),
    ) {
        (Ok(array), Ok(id), _) => format!(" slurm-job {array}_{id}"),
        (_, _, Ok(job)) => format!(" slurm-job {job}"),
        _ => String::new(),
    };
    format!("host {host} pid {}{job}", std::process::id())
}

fn panic_message(panic: Box<dyn std::any::Any + Send>) -> String {
    panic
        .downcast_ref::<String>()
        .cloned()
        .or_else(|| panic.downcast_ref::<&str>().map(|s| (*s).to_owned()))
        .unwrap_or_else(|| "unknown panic".to_owned())
}

/// The labels of `task`'s cells, or why the claim cannot be split as the plan says.
fn part_labels(task: &Task, claim: &dyn Claim, profile: Profile) -> Result<Vec<String>, String> {
    let part = task.part.expect("a part task");
    let cells = claim
        .cells()
        .ok_or_else(|| format!("{} declares no cells; its plan split it", task.claim))?;
    let labels = cells.cell_labels(profile);
    labels
        .get(part.first..part.end)
        .map(<[String]>::to_vec)
        .ok_or_else(|| {
            format!(
                "task {} computes cells {}..{} of {}, which has {}",
                task.name,
                part.first,
                part.end,
                task.claim,
                labels.len()
            )
        })
}

/// Computes part task `task` and writes its part file (its cells, or the first cell error).
/// Exit 0 once written, whatever the cells held; 2 when it cannot be.
pub fn run_part(
    dir: &Path,
    plan: &Plan,
    task: &Task,
    claim: &'static dyn Claim,
    profile: Profile,
    abort_hook: &str,
) -> ExitCode {
    let part = task.part.expect("a part task");
    let labels = match part_labels(task, claim, profile) {
        Ok(l) => l,
        Err(e) => return usage_error(&e),
    };
    if std::env::var(abort_hook).is_ok_and(|v| v == task.index.to_string()) {
        std::process::abort();
    }
    let cells = claim.cells().expect("checked by part_labels");
    let ctx = RunContext {
        profile,
        master_seed: task.seed,
        progress: &NoProgress,
    };
    let indices: Vec<usize> = (part.first..part.end).collect();
    overparam_report::reset_peak_memory();
    let start = Instant::now();
    let result = catch_unwind(AssertUnwindSafe(|| cells.compute_cells(&ctx, &indices)))
        .unwrap_or_else(|panic| {
            Err(ClaimError::new(
                "run",
                format!("internal error (panic): {}", panic_message(panic)),
            ))
        });
    let wall = start.elapsed().as_secs_f64();
    if let Err(e) = write_part(dir, plan, task, &labels, &result) {
        return usage_error(&format!(
            "task {} ({}) not written: {e}",
            task.index, task.name
        ));
    }
    // not evidence: timings.csv reads it, and a missing file only leaves its cells empty
    let peak = overparam_report::peak_memory_mib().map_or("-".to_owned(), |m| m.to_string());
    let _ = std::fs::write(
        timing_path(dir, task.index),
        format!("{wall} {peak} {}\n", rayon::current_num_threads()),
    );
    match &result {
        Ok(_) => say!(
            "task {} ({}): {} cells in {:.1} s",
            task.index,
            task.name,
            labels.len(),
            wall
        ),
        Err(e) => say!(
            "task {} ({}): stopped at {e} (recorded; the run's verdict will be error)",
            task.index,
            task.name
        ),
    }
    ExitCode::SUCCESS
}

/// Assembles every split run of `plan` whose parts are all written and whose run directory is
/// not: the run directory `overparam run <claim> --seed <s>` writes, from the parts' cells.
/// Returns how many runs it assembled; a part file that cannot be read is reported (stderr)
/// and its run left without a result.
pub fn assemble_runs(dir: &Path, plan: &Plan) -> usize {
    let Ok(profile) = plan.profile.parse::<Profile>() else {
        return 0;
    };
    let mut assembled = 0;
    for claim_id in &plan.claims {
        for first in plan.runs_of(claim_id).filter(|t| t.part.is_some()) {
            let tasks = plan.run_tasks(first);
            if matches!(run_state(dir, first), TaskState::Finished(_))
                || !tasks
                    .iter()
                    .all(|t| matches!(task_state(dir, t), TaskState::PartDone))
            {
                continue;
            }
            match assemble_run(dir, plan, tasks, profile) {
                Ok(()) => assembled += 1,
                Err(e) => eprintln!(
                    "error: run {} not assembled: {e}; remove its bad part file and run the task \
                     again",
                    first.run_name()
                ),
            }
        }
    }
    assembled
}

fn assemble_run(dir: &Path, plan: &Plan, tasks: &[Task], profile: Profile) -> Result<(), String> {
    let first = &tasks[0];
    let claim = find_claim(&first.claim).ok_or_else(|| format!("unknown claim {}", first.claim))?;
    let mut parts: Vec<Result<Vec<CellData>, ClaimError>> = Vec::new();
    for task in tasks {
        let labels = part_labels(task, claim, profile)?;
        parts.push(read_part(dir, plan, task, &labels)?);
    }
    let out = OutputDir::prepare(&dir.join(&first.dir), OutputKind::Run, true)
        .map_err(|e| e.to_string())?;
    let cells = claim.cells().ok_or("no cells")?;
    let claims: [&'static dyn Claim; 1] = [claim];
    run_claims_with(&claims, profile, first.seed, true, out, &|_, ctx| {
        assemble_parts(cells, ctx, parts.clone())
    })
    .map(|_| ())
    .map_err(|e| e.to_string())
}
