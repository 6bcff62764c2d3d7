//! `overparam sweep`: run claims over a range of master seeds as independent tasks, resumable,
//! with a local executor of `--jobs` worker processes, and merge the results.
//!
//! The worker is `overparam sweep run-task DIR --task I`, the same command a cluster executor
//! runs; the parent only hands out task indices in order and reads back which task directories
//! exist. Layout and statistics live in the overparam-sweep crate.

use std::collections::VecDeque;
use std::fs;
use std::io::IsTerminal;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitCode, Stdio};
use std::sync::Mutex;
use std::time::Duration;

use overparam_checks::{Claim, Profile, Verdict, all_claims, find_claim};
use overparam_report::{OutputDir, OutputKind};
use overparam_sweep::{
    LOGS_DIR, MergeSummary, Plan, SeedRange, Task, TaskState, create_or_resume, log_path, merge,
    read_plan, record_attempt, task_state,
};

mod parts;
mod slurm;

use crate::claims::{run_claims_into, unknown_claim};
use crate::usage_error;

pub const LONG_ABOUT: &str = "Run claims over a range of master seeds as independent tasks, \
one per (claim, seed), and merge them into pass rates.\n\n\
overparam sweep --claims ID,ID | --all --seeds A..B [--profile quick|full] [--jobs N] \
[--split N] [--executor local|slurm] --out DIR\n\n\
--split N splits each run of a claim that declares cells into N tasks (part files under \
DIR/tasks/<claim>/seed-<s>.parts/), assembled by the merge into the run directory `overparam \
run` writes, byte for byte. --executor slurm plans job arrays and submits them (see `overparam \
sweep plan --help`); `overparam sweep status DIR` shows done, missing and failed tasks.\n\n\
A..B includes both ends (0..99 is 100 seeds). DIR/plan.json records the claims, seeds, profile \
and build (version, git commit, Cargo.lock SHA-256) and the ordered task list; each task writes \
DIR/tasks/<claim>/seed-<s>/, the directory `overparam run <claim> --seed <s>` writes, all at \
once. Running the same command again resumes: finished tasks are skipped, interrupted ones \
redone; a different plan in DIR is refused. At the end the tasks are merged into DIR/report/ \
(summary.csv, criteria.csv, index.html, summary.md, plots/; timings.csv is the only file that \
depends on how the tasks ran).\n\n\
Exit status: 0 every task passed; 1 some claim failed or could not be evaluated at some seed, \
or some task left no result (run the same command again to retry it); 2 bad usage (unknown \
claim, bad --seeds, a directory that is not a sweep of this plan), nothing written.";

/// For the test suite only: `run-task` of this task index aborts (SIGABRT) right after its
/// staging directory is created, as a worker killed mid-write would.
const ABORT_HOOK: &str = "OVERPARAM_TEST_ABORT_TASK";

/// For the test suite only: `run-task` of this task index waits 120 s after recording its start
/// (before computing), so that a test can cancel it mid-run.
const SLEEP_HOOK: &str = "OVERPARAM_TEST_SLEEP_TASK";

#[derive(clap::Args)]
#[command(args_conflicts_with_subcommands = true, subcommand_negates_reqs = true)]
pub struct SweepArgs {
    #[command(subcommand)]
    pub command: Option<SweepCommand>,
    /// Claim ids, comma-separated (see `overparam list`); run in registry order.
    #[arg(
        long,
        value_delimiter = ',',
        required_unless_present = "all",
        conflicts_with = "all"
    )]
    pub claims: Vec<String>,
    /// Every registered claim.
    #[arg(long)]
    pub all: bool,
    /// Master seeds A..B, both included (0..99 is 100 seeds), or one seed N; at most 10000.
    #[arg(long, required = true, allow_hyphen_values = true)]
    pub seeds: Option<String>,
    /// quick (default) or full, as for `overparam run`.
    #[arg(long, default_value = "quick", value_parser = ["quick", "full"])]
    pub profile: String,
    /// Worker processes at a time. Results do not depend on it.
    #[arg(long, default_value_t = 1, value_parser = clap::value_parser!(u16).range(1..=256))]
    pub jobs: u16,
    /// The sweep directory: created if it does not exist (or is empty); if it holds a sweep of
    /// the same plan, the sweep resumes there, running only the tasks without a result.
    #[arg(long, required = true)]
    pub out: Option<PathBuf>,
    /// Split each run of a claim that declares cells (see `overparam show`) into N tasks, each
    /// computing some of its cells; the merge assembles the run, identical to an unsplit one.
    #[arg(long, default_value_t = 1, value_parser = clap::value_parser!(u16).range(1..=1000))]
    pub split: u16,
    /// local: run the tasks here with --jobs workers, then merge. slurm: plan the sweep as job
    /// arrays and submit them and the merge job (what `overparam sweep plan --submit` does).
    #[arg(long, default_value = "local", value_parser = ["local", "slurm"])]
    pub executor: String,
    #[command(flatten)]
    pub slurm: slurm::SlurmArgs,
}

#[derive(clap::Subcommand)]
pub enum SweepCommand {
    /// Run one task of a planned sweep (what each worker or array job runs). Exit 0 once the
    /// task's run directory is written, whatever the claim's verdict; 2 on bad usage.
    RunTask {
        /// The sweep directory.
        dir: PathBuf,
        /// The task's index in DIR/plan.json (from 0). Without it: OVERPARAM_TASK_OFFSET +
        /// SLURM_ARRAY_TASK_ID (a Slurm array), or JOB_COMPLETION_INDEX (a Kubernetes Indexed
        /// Job).
        #[arg(long)]
        task: Option<usize>,
    },
    /// Plan a sweep for a cluster: DIR/plan.json (the ordered task list), DIR/slurm/array.sbatch
    /// (one array task per task), merge.sbatch and submit.sh; with --submit, submit the arrays
    /// and the merge job (chained with --dependency=afterok) and print their job ids.
    #[command(long_about = slurm::PLAN_ABOUT)]
    Plan(slurm::PlanArgs),
    /// Where each task of DIR stands: done, missing (no result: never started, queued,
    /// running, or killed), failed (no result after 2 starts; its log is shown). Exit 0 when
    /// every task is done, 1 otherwise.
    Status {
        /// The sweep directory.
        dir: PathBuf,
    },
    /// Merge the finished tasks into DIR/report/ (summary.csv, criteria.csv, index.html,
    /// summary.md, plots). Refuses when tasks have no result, unless --allow-missing.
    Merge {
        /// The sweep directory.
        dir: PathBuf,
        /// Merge what is there and mark the report incomplete, listing the missing tasks.
        #[arg(long)]
        allow_missing: bool,
    },
}

pub fn run(args: SweepArgs) -> ExitCode {
    match args.command {
        Some(SweepCommand::RunTask { dir, task }) => {
            crate::remove_outputs_on_signal();
            match task.map_or_else(task_index_from_env, Ok) {
                Ok(task) => run_task(&dir, task),
                Err(e) => usage_error(&e),
            }
        }
        Some(SweepCommand::Plan(args)) => slurm::plan(args),
        Some(SweepCommand::Status { dir }) => slurm::status_command(&dir),
        Some(SweepCommand::Merge { dir, allow_missing }) => {
            crate::remove_outputs_on_signal();
            let merged = read_plan(&dir).and_then(|plan| {
                parts::assemble_runs(&dir, &plan);
                merge(&dir, &plan, allow_missing)
            });
            match merged {
                Ok(summary) => {
                    say!("{}", merged_line(&summary));
                    ExitCode::SUCCESS
                }
                Err(e) => usage_error(&e.to_string()),
            }
        }
        None => sweep(args),
    }
}

/// The claims named by --claims / --all, in registry order, each once.
fn chosen_claims(args: &SweepArgs) -> Result<Vec<String>, String> {
    chosen(&args.claims, args.all)
}

/// The claims named by `claims` (or every claim, `all`), in registry order, each once.
fn chosen(claims: &[String], all: bool) -> Result<Vec<String>, String> {
    if all {
        return Ok(all_claims()
            .iter()
            .map(|c| c.info().id.to_owned())
            .collect());
    }
    for id in claims {
        if find_claim(id).is_none() {
            return Err(unknown_claim(id));
        }
    }
    Ok(all_claims()
        .iter()
        .map(|c| c.info().id)
        .filter(|id| claims.iter().any(|a| a == id))
        .map(str::to_owned)
        .collect())
}

/// The task index of a worker started without --task: a Slurm array task's
/// OVERPARAM_TASK_OFFSET (0 when unset) + SLURM_ARRAY_TASK_ID, or a Kubernetes Indexed Job's
/// JOB_COMPLETION_INDEX.
fn task_index_from_env() -> Result<usize, String> {
    let var =
        |name: &str| -> Result<Option<usize>, String> {
            match std::env::var(name) {
                Err(_) => Ok(None),
                Ok(v) => v.trim().parse().map(Some).map_err(|_| {
                    format!("{name}='{v}' is not a task index (a whole number from 0)")
                }),
            }
        };
    if let Some(id) = var("SLURM_ARRAY_TASK_ID")? {
        let offset = var("OVERPARAM_TASK_OFFSET")?.unwrap_or(0);
        return offset
            .checked_add(id)
            .ok_or_else(|| "OVERPARAM_TASK_OFFSET + SLURM_ARRAY_TASK_ID overflows".to_owned());
    }
    if let Some(index) = var("JOB_COMPLETION_INDEX")? {
        return Ok(index);
    }
    Err(
        "no task index: give --task I, or run inside a Slurm array (SLURM_ARRAY_TASK_ID) or a \
         Kubernetes Indexed Job (JOB_COMPLETION_INDEX)"
            .to_owned(),
    )
}

fn sweep(args: SweepArgs) -> ExitCode {
    if args.executor == "slurm" {
        return slurm::plan_from_sweep(args);
    }
    let claims = match chosen_claims(&args) {
        Ok(c) => c,
        Err(e) => return usage_error(&e),
    };
    let seeds = match SeedRange::parse(args.seeds.as_deref().expect("clap requires --seeds")) {
        Ok(s) => s,
        Err(e) => return usage_error(&e),
    };
    let profile: Profile = args.profile.parse().expect("clap restricts the values");
    let dir = args.out.expect("clap requires --out");
    let plan = Plan::split(claims, seeds, profile, usize::from(args.split));
    if let Err(e) = create_or_resume(&dir, &plan) {
        return usage_error(&e.to_string());
    }
    let _lock = match SweepLock::acquire(&dir) {
        Ok(lock) => lock,
        Err(e) => return usage_error(&e),
    };

    let jobs = usize::from(args.jobs);
    let terminal = std::io::stderr().is_terminal();
    let pending: VecDeque<&Task> = plan
        .tasks
        .iter()
        .filter(|t| !task_state(&dir, t).is_done())
        .collect();
    let already = plan.tasks.len() - pending.len();
    if terminal {
        eprintln!(
            "sweep {}: {} tasks, {already} already finished, running {} with {jobs} jobs",
            dir.display(),
            plan.tasks.len(),
            pending.len()
        );
    }
    kill_workers_on_signal();
    let outcome = match execute(&dir, &plan, pending, jobs, terminal) {
        Ok(o) => o,
        Err(e) => {
            drop(stop_workers());
            return usage_error(&e);
        }
    };
    if terminal {
        eprint!("\r\x1b[2K");
    }
    for (task, why) in &outcome.crashed {
        eprintln!(
            "error: task {} ({}) left no result: {why}; its log is {}",
            task.index,
            task.name,
            log_path(&dir, task.index).display()
        );
    }
    let ran = format!("{} run now, {already} already finished", outcome.finished);
    parts::assemble_runs(&dir, &plan);
    if !outcome.crashed.is_empty() {
        say!(
            "sweep {}: {} of {} tasks left no result ({ran}); run the same command again to \
             retry them",
            dir.display(),
            outcome.crashed.len(),
            plan.tasks.len()
        );
        return ExitCode::from(1);
    }
    match merge(&dir, &plan, false) {
        Ok(summary) => {
            say!("sweep {}: {ran}; {}", dir.display(), merged_line(&summary));
            if summary.passes == summary.tasks {
                ExitCode::SUCCESS
            } else {
                ExitCode::from(1)
            }
        }
        Err(e) => usage_error(&e.to_string()),
    }
}

fn merged_line(s: &MergeSummary) -> String {
    let incomplete = if s.missing.is_empty() {
        String::new()
    } else {
        format!(
            " INCOMPLETE: {} tasks missing ({}).",
            s.missing.len(),
            s.missing.join(", ")
        )
    };
    format!(
        "{} tasks: {} pass, {} fail, {} error; report written to {}.{incomplete}",
        s.tasks,
        s.passes,
        s.fails,
        s.errors,
        s.report.display()
    )
}

/// The lock file of a sweep directory: one executor at a time, so no task is run twice at once
/// and no merge reads a task directory while another executor replaces it.
const LOCK_FILE: &str = ".sweep.lock";

/// The lock this process holds, for the signal handler.
static LOCK_HELD: Mutex<Option<PathBuf>> = Mutex::new(None);

/// Holds `DIR/.sweep.lock` (this process's PID) until dropped.
struct SweepLock {
    path: PathBuf,
}

impl SweepLock {
    /// Takes the lock, or says which live process holds it. A lock left by a process that is
    /// gone (Linux: no /proc/PID) is taken over.
    fn acquire(dir: &Path) -> Result<SweepLock, String> {
        let path = dir.join(LOCK_FILE);
        for _ in 0..2 {
            match fs::OpenOptions::new()
                .write(true)
                .create_new(true)
                .open(&path)
            {
                Ok(mut f) => {
                    use std::io::Write as _;
                    writeln!(f, "{}", std::process::id())
                        .map_err(|e| format!("cannot write {}: {e}", path.display()))?;
                    *LOCK_HELD.lock().unwrap_or_else(|p| p.into_inner()) = Some(path.clone());
                    return Ok(SweepLock { path });
                }
                Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {
                    let holder = fs::read_to_string(&path).unwrap_or_default();
                    let pid = holder.trim();
                    let gone = cfg!(target_os = "linux")
                        && Path::new("/proc/self").exists()
                        && !pid.is_empty()
                        && pid.bytes().all(|b| b.is_ascii_digit())
                        && !Path::new(&format!("/proc/{pid}")).exists();
                    if !gone {
                        return Err(format!(
                            "another sweep (process {pid}) is running in {}; wait for it, or \
                             remove {} if it is not running",
                            dir.display(),
                            path.display()
                        ));
                    }
                    let _ = fs::remove_file(&path);
                }
                Err(e) => return Err(format!("cannot create {}: {e}", path.display())),
            }
        }
        Err(format!("cannot take the lock {}", path.display()))
    }
}

impl Drop for SweepLock {
    fn drop(&mut self) {
        let _ = fs::remove_file(&self.path);
        *LOCK_HELD.lock().unwrap_or_else(|p| p.into_inner()) = None;
    }
}

/// A worker process, the index of the task it runs, and the staging directory it writes
/// (`.seed-<s>.partial-<pid>` beside the task's directory).
struct Worker {
    task: usize,
    child: Child,
    staging: PathBuf,
}

/// The running workers. The executor polls them under this lock (never sleeping while holding
/// it); the signal handler takes it to kill them, and keeps it, so no worker starts afterwards.
static WORKERS: Mutex<Vec<Worker>> = Mutex::new(Vec::new());

fn workers() -> std::sync::MutexGuard<'static, Vec<Worker>> {
    WORKERS.lock().unwrap_or_else(|p| p.into_inner())
}

struct Outcome<'a> {
    finished: usize,
    crashed: Vec<(&'a Task, String)>,
}

/// Runs `pending` with at most `jobs` workers at a time, handed out in task order. A task is
/// finished when its directory exists afterwards, whatever the worker's exit status; otherwise
/// it left no result (killed, aborted, refused) and the reason is returned with it.
fn execute<'a>(
    dir: &Path,
    plan: &'a Plan,
    mut pending: VecDeque<&'a Task>,
    jobs: usize,
    terminal: bool,
) -> Result<Outcome<'a>, String> {
    let exe =
        std::env::current_exe().map_err(|e| format!("cannot find the overparam binary: {e}"))?;
    let logs = dir.join(LOGS_DIR);
    fs::create_dir_all(&logs).map_err(|e| format!("cannot create {}: {e}", logs.display()))?;
    // Workers share the cores: without a user setting, split them so jobs x threads <= cores.
    // Results do not depend on the thread count (tests/claims/report.rs checks it).
    let threads = std::env::var_os("RAYON_NUM_THREADS").is_none().then(|| {
        let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
        (cores / jobs).max(1).to_string()
    });
    let total = pending.len();
    let mut outcome = Outcome {
        finished: 0,
        crashed: Vec::new(),
    };
    let mut not_passed = 0usize;
    // The progress line is redrawn only when a count changes.
    let mut shown = None;
    loop {
        let mut running = workers();
        while running.len() < jobs {
            let Some(task) = pending.pop_front() else {
                break;
            };
            let log_file = log_path(dir, task.index);
            let (out, err) = fs::File::create(&log_file)
                .and_then(|f| Ok((f.try_clone()?, f)))
                .map_err(|e| format!("cannot create {}: {e}", log_file.display()))?;
            let mut command = Command::new(&exe);
            command
                .arg("sweep")
                .arg("run-task")
                .arg(dir)
                .arg("--task")
                .arg(task.index.to_string())
                .stdin(Stdio::null())
                .stdout(out)
                .stderr(err);
            if let Some(t) = &threads {
                command.env("RAYON_NUM_THREADS", t);
            }
            let child = command
                .spawn()
                .map_err(|e| format!("cannot start a worker ({}): {e}", exe.display()))?;
            let task_dir = dir.join(&task.dir);
            let name = task_dir
                .file_name()
                .map(|n| n.to_string_lossy().into_owned());
            let staging = task_dir.with_file_name(format!(
                ".{}.partial-{}",
                name.unwrap_or_default(),
                child.id()
            ));
            running.push(Worker {
                task: task.index,
                child,
                staging,
            });
        }
        if running.is_empty() {
            break;
        }
        let mut i = 0;
        while i < running.len() {
            match running[i].child.try_wait() {
                Ok(None) => i += 1,
                Ok(Some(status)) => {
                    let worker = running.swap_remove(i);
                    let task = &plan.tasks[worker.task];
                    match task_state(dir, task) {
                        TaskState::Finished(v) => {
                            outcome.finished += 1;
                            not_passed += usize::from(v != Verdict::Pass);
                        }
                        TaskState::PartDone => outcome.finished += 1,
                        TaskState::Missing | TaskState::Damaged(_) => {
                            // What a dead worker was writing is never a result.
                            let _ = fs::remove_dir_all(&worker.staging);
                            outcome
                                .crashed
                                .push((task, format!("its worker ended with {status}")));
                        }
                    }
                }
                Err(e) => return Err(format!("cannot wait for a worker: {e}")),
            }
        }
        drop(running);
        let counts = (outcome.finished, not_passed, outcome.crashed.len());
        if terminal && shown != Some(counts) {
            shown = Some(counts);
            eprint!(
                "\r\x1b[2K[{}/{total}] tasks done, {not_passed} not passed, {} left no result",
                outcome.finished + outcome.crashed.len(),
                outcome.crashed.len()
            );
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    Ok(outcome)
}

/// On SIGINT or SIGTERM, kills the running workers, removes the staging directories they were
/// writing (finished tasks stay; the rest are redone when the sweep is run again) and exits with
/// 128 + the signal (130, 143), as `run` does.
fn kill_workers_on_signal() {
    use signal_hook::consts::{SIGINT, SIGTERM};
    let Ok(mut signals) = signal_hook::iterator::Signals::new([SIGINT, SIGTERM]) else {
        return;
    };
    std::thread::spawn(move || {
        if let Some(signal) = signals.forever().next() {
            std::mem::forget(stop_workers());
            overparam_report::remove_live_outputs();
            if let Some(lock) = LOCK_HELD.lock().unwrap_or_else(|p| p.into_inner()).take() {
                let _ = fs::remove_file(lock);
            }
            std::process::exit(128 + signal);
        }
    });
}

/// Kills every running worker and removes the staging directory it was writing; returns the
/// registry's lock, so that the caller decides whether workers may start again.
fn stop_workers() -> std::sync::MutexGuard<'static, Vec<Worker>> {
    let mut running = workers();
    for w in running.iter_mut() {
        let _ = w.child.kill();
        let _ = w.child.wait();
        let _ = fs::remove_dir_all(&w.staging);
    }
    running.clear();
    running
}

/// Runs task `index` of the sweep in `dir`: refuses a plan made by another build, skips a task
/// already finished, and otherwise writes its run directory through the same code as
/// `overparam run <claim> --seed <s>`.
fn run_task(dir: &Path, index: usize) -> ExitCode {
    let plan = match read_plan(dir) {
        Ok(p) => p,
        Err(e) => return usage_error(&e.to_string()),
    };
    let differences = plan.build_differences();
    if !differences.is_empty() {
        return usage_error(&format!(
            "{} was planned by another build of overparam ({}); its tasks must all be run by \
             one build",
            dir.display(),
            differences.join("; ")
        ));
    }
    let Some(task) = plan.tasks.get(index) else {
        return usage_error(&format!(
            "task {index} is not in {}: its plan has tasks 0 to {}",
            dir.display(),
            plan.tasks.len().saturating_sub(1)
        ));
    };
    let Some(claim) = find_claim(&task.claim) else {
        return usage_error(&unknown_claim(&task.claim));
    };
    let profile: Profile = match plan.profile.parse() {
        Ok(p) => p,
        Err(e) => return usage_error(&e),
    };
    match task_state(dir, task) {
        TaskState::Finished(v) => {
            say!(
                "task {index} ({}) already finished: {}",
                task.name,
                v.name()
            );
            return ExitCode::SUCCESS;
        }
        TaskState::PartDone => {
            say!("task {index} ({}) already finished", task.name);
            return ExitCode::SUCCESS;
        }
        TaskState::Missing | TaskState::Damaged(_) => {}
    }
    if let Err(e) = record_attempt(dir, index, &parts::attempt_text()) {
        return usage_error(&e);
    }
    if std::env::var(SLEEP_HOOK).is_ok_and(|v| v == index.to_string()) {
        std::thread::sleep(Duration::from_secs(120));
    }
    if task.part.is_some() {
        return parts::run_part(dir, &plan, task, claim, profile, ABORT_HOOK);
    }
    // A damaged directory carrying a run marker is replaced; anything else is refused here.
    let out = match OutputDir::prepare(&dir.join(&task.dir), OutputKind::Run, true) {
        Ok(out) => out,
        Err(e) => return usage_error(&e.to_string()),
    };
    if std::env::var(ABORT_HOOK).is_ok_and(|v| v == index.to_string()) {
        std::process::abort();
    }
    let claims: [&'static dyn Claim; 1] = [claim];
    match run_claims_into(&claims, profile, task.seed, false, out) {
        Ok(verdicts) => {
            say!("task {index} ({}): {}", task.name, verdicts[0].name());
            ExitCode::SUCCESS
        }
        Err(e) => usage_error(&format!("task {index} ({}) not written: {e}", task.name)),
    }
}
