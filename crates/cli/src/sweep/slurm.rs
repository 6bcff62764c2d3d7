//! The Slurm executor: `overparam sweep plan` (the plan and the sbatch scripts, `--submit`,
//! `--resubmit-missing`) and `overparam sweep status`. The scripts' text is in
//! overparam_sweep::slurm; here are the arguments, the files and the sbatch calls.

use std::collections::BTreeMap;
use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Command, ExitCode};

use overparam_checks::Profile;
use overparam_sweep::slurm::{
    ARRAY_SCRIPT, ArraySpec, DEFAULT_MAX_ARRAY_SIZE, JOBS_FILE, MERGE_SCRIPT, SETTINGS_FILE,
    SLURM_DIR, SUBMIT_SCRIPT, SlurmSettings, array_args, array_script, arrays, default_resources,
    merge_args, merge_script, parse_max_array_size, submit_script,
};
use overparam_sweep::{
    MAX_ATTEMPTS, Plan, SeedRange, TaskStatus, create_or_resume, read_plan, status,
};

use super::{SweepArgs, chosen};
use crate::usage_error;

pub const PLAN_ABOUT: &str = "Plan a sweep for a Slurm cluster, and optionally submit it.\n\n\
overparam sweep plan --claims ID,ID | --all --seeds A..B [--profile quick|full] [--split N] \
--out DIR [--array-limit K] [--partition P] [--time MIN] [--mem MIB] [--cpus-per-task C] \
[--max-array-size M] [--overparam PATH] [--submit]\n\
overparam sweep plan --resubmit-missing DIR\n\n\
Writes DIR/plan.json (the ordered task list, as for the local executor) and DIR/slurm/: \
array.sbatch (array task i runs `overparam sweep run-task DIR --task i`, i = \
OVERPARAM_TASK_OFFSET + SLURM_ARRAY_TASK_ID), merge.sbatch (`overparam sweep merge DIR`), \
submit.sh (the sbatch commands) and settings.json. The N tasks become arrays \
--array=0-(M-1)%K of at most M = MaxArraySize tasks (from `scontrol show config`, default \
1001), and the merge job waits for all of them (--dependency=afterok, cancelled if one fails). \
--time and --mem default to 10 times the claims' measured CPU time per task (at least 10 \
minutes) and 4 times their peak memory (at least 1 GiB). --submit runs submit.sh's commands \
and prints the job ids (also appended to DIR/slurm/jobs.txt).\n\n\
--resubmit-missing DIR submits the tasks of DIR that have no result and were started fewer \
than 2 times (see `overparam sweep status DIR`), and a new merge job after them; tasks that \
failed twice are listed with their logs and not resubmitted.\n\n\
Exit status: 0 planned (and submitted); 1 sbatch refused a submission, or failed tasks were \
left out of a resubmission; 2 bad usage, nothing written.";

/// The Slurm resources and array shape, shared by `sweep --executor slurm` and `sweep plan`.
#[derive(clap::Args, Clone)]
pub struct SlurmArgs {
    /// Slurm only: at most K tasks of an array run at once (`--array=...%K`).
    #[arg(long, default_value_t = 32, value_parser = clap::value_parser!(u32).range(1..))]
    pub array_limit: u32,
    /// Slurm only: the cluster's MaxArraySize (default: from `scontrol show config`, else 1001).
    #[arg(long, value_parser = clap::value_parser!(u32).range(1..))]
    pub max_array_size: Option<u32>,
    /// Slurm only: the partition (sbatch --partition; default: the cluster's default).
    #[arg(long)]
    pub partition: Option<String>,
    /// Slurm only: time limit per task in minutes (default from the claims' measured cost).
    #[arg(long, value_parser = clap::value_parser!(u64).range(1..))]
    pub time: Option<u64>,
    /// Slurm only: memory per task in MiB (default from the claims' measured cost).
    #[arg(long, value_parser = clap::value_parser!(u64).range(1..))]
    pub mem: Option<u64>,
    /// Slurm only: CPUs per task (its RAYON_NUM_THREADS). Results do not depend on it.
    #[arg(long, default_value_t = 1, value_parser = clap::value_parser!(u32).range(1..=1024))]
    pub cpus_per_task: u32,
    /// Slurm only: the overparam binary the jobs run (default: this one); on a cluster it must
    /// be on a filesystem every node sees, as must the sweep directory.
    #[arg(long)]
    pub overparam: Option<PathBuf>,
}

#[derive(clap::Args)]
pub struct PlanArgs {
    /// Claim ids, comma-separated.
    #[arg(long, value_delimiter = ',', conflicts_with = "all")]
    pub claims: Vec<String>,
    /// Every registered claim.
    #[arg(long)]
    pub all: bool,
    /// Master seeds A..B, both included, or one seed N.
    #[arg(long, allow_hyphen_values = true)]
    pub seeds: Option<String>,
    /// quick (default) or full.
    #[arg(long, default_value = "quick", value_parser = ["quick", "full"])]
    pub profile: String,
    /// Split each run of a claim that declares cells into N tasks.
    #[arg(long, default_value_t = 1, value_parser = clap::value_parser!(u16).range(1..=1000))]
    pub split: u16,
    /// The sweep directory to create (or resume, with the same plan).
    #[arg(long)]
    pub out: Option<PathBuf>,
    /// Submit the arrays and the merge job now, and print their job ids.
    #[arg(long)]
    pub submit: bool,
    /// Submit only the tasks of this sweep directory that have no result and were started
    /// fewer than 2 times, then a merge job after them.
    #[arg(long, conflicts_with_all = ["claims", "all", "seeds", "out"])]
    pub resubmit_missing: Option<PathBuf>,
    #[command(flatten)]
    pub slurm: SlurmArgs,
}

/// `overparam sweep --executor slurm ...`: plan and submit.
pub fn plan_from_sweep(args: SweepArgs) -> ExitCode {
    plan(PlanArgs {
        claims: args.claims,
        all: args.all,
        seeds: args.seeds,
        profile: args.profile,
        split: args.split,
        out: args.out,
        submit: true,
        resubmit_missing: None,
        slurm: args.slurm,
    })
}

pub fn plan(args: PlanArgs) -> ExitCode {
    if let Some(dir) = &args.resubmit_missing {
        return resubmit_missing(dir);
    }
    let claims = match chosen(&args.claims, args.all) {
        Ok(c) if !c.is_empty() => c,
        Ok(_) => return usage_error("sweep plan needs --claims ID,ID or --all"),
        Err(e) => return usage_error(&e),
    };
    let Some(seeds) = args.seeds.as_deref() else {
        return usage_error("sweep plan needs --seeds A..B");
    };
    let seeds = match SeedRange::parse(seeds) {
        Ok(s) => s,
        Err(e) => return usage_error(&e),
    };
    let Some(out) = &args.out else {
        return usage_error("sweep plan needs --out DIR");
    };
    let profile: Profile = args.profile.parse().expect("clap restricts the values");
    let plan = Plan::split(claims, seeds, profile, usize::from(args.split));
    let settings = match settings(&args.slurm, out, &plan) {
        Ok(s) => s,
        Err(e) => return usage_error(&e),
    };
    if let Err(e) = create_or_resume(out, &plan) {
        return usage_error(&e.to_string());
    }
    let all: Vec<usize> = (0..plan.tasks.len()).collect();
    let arrays = arrays(&all, settings.max_array_size);
    if let Err(e) = write_files(out, &plan, &settings, &arrays) {
        return usage_error(&e);
    }
    say!(
        "planned {} tasks ({} runs) in {} as {} array(s) of at most {} tasks, {} at a time; \
         {} min, {} MiB, {} CPU(s) per task",
        plan.tasks.len(),
        plan.run_count(),
        out.display(),
        arrays.len(),
        settings.max_array_size,
        settings.array_limit,
        settings.time_minutes,
        settings.mem_mib,
        settings.cpus
    );
    if args.submit {
        submit(out, &settings, &arrays)
    } else {
        say!(
            "submit with: sh {}",
            Path::new(&settings.dir).join(SUBMIT_SCRIPT).display()
        );
        ExitCode::SUCCESS
    }
}

/// The settings from the arguments, validated before anything is written.
fn settings(a: &SlurmArgs, out: &Path, plan: &Plan) -> Result<SlurmSettings, String> {
    let dir =
        std::path::absolute(out).map_err(|e| format!("cannot resolve {}: {e}", out.display()))?;
    let binary = match &a.overparam {
        Some(p) => std::path::absolute(p).map_err(|e| format!("{}: {e}", p.display()))?,
        None => std::env::current_exe().map_err(|e| format!("cannot find this binary: {e}"))?,
    };
    if !binary.is_file() {
        return Err(format!("--overparam {}: not a file", binary.display()));
    }
    let utf8 = |p: &Path, what: &str| {
        p.to_str()
            .map(str::to_owned)
            .ok_or_else(|| format!("{what} {} is not valid UTF-8", p.display()))
    };
    if let Some(p) = &a.partition
        && (p.is_empty()
            || !p
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b"_-.,".contains(&b)))
    {
        return Err(format!(
            "--partition '{p}': expected a Slurm partition name"
        ));
    }
    let (minutes, mib, basis) = default_resources(plan);
    let max_array_size = match a.max_array_size {
        Some(m) => m as usize,
        None => scontrol_max_array_size().unwrap_or(DEFAULT_MAX_ARRAY_SIZE),
    };
    Ok(SlurmSettings {
        array_limit: a.array_limit as usize,
        max_array_size,
        partition: a.partition.clone(),
        time_minutes: a.time.unwrap_or(minutes),
        mem_mib: a.mem.unwrap_or(mib),
        cpus: a.cpus_per_task,
        binary: utf8(&binary, "the overparam binary")?,
        dir: utf8(&dir, "the sweep directory")?,
        basis: match (a.time, a.mem) {
            (Some(_), Some(_)) => "--time and --mem given".to_owned(),
            _ => basis,
        },
    })
}

/// MaxArraySize from `scontrol show config`, when scontrol runs and says it.
fn scontrol_max_array_size() -> Option<usize> {
    let out = Command::new("scontrol")
        .args(["show", "config"])
        .output()
        .ok()?;
    out.status
        .success()
        .then(|| parse_max_array_size(&String::from_utf8_lossy(&out.stdout)))
        .flatten()
}

fn write_files(
    dir: &Path,
    plan: &Plan,
    settings: &SlurmSettings,
    arrays: &[ArraySpec],
) -> Result<(), String> {
    let slurm = dir.join(SLURM_DIR);
    fs::create_dir_all(&slurm).map_err(|e| format!("cannot create {}: {e}", slurm.display()))?;
    let logs = dir.join(overparam_sweep::LOGS_DIR);
    fs::create_dir_all(&logs).map_err(|e| format!("cannot create {}: {e}", logs.display()))?;
    let settings_json = serde_json::to_string_pretty(settings).expect("settings serialise") + "\n";
    for (name, text) in [
        (ARRAY_SCRIPT, array_script(settings, plan)),
        (MERGE_SCRIPT, merge_script(settings)),
        (SUBMIT_SCRIPT, submit_script(settings, arrays)),
        (SETTINGS_FILE, settings_json),
    ] {
        let path = dir.join(name);
        let staging = path.with_extension(format!("tmp-{}", std::process::id()));
        fs::write(&staging, text)
            .and_then(|()| fs::rename(&staging, &path))
            .map_err(|e| format!("cannot write {}: {e}", path.display()))?;
    }
    Ok(())
}

/// Runs sbatch with `args`; the job id it prints (`--parsable`: `id` or `id;cluster`).
fn sbatch(args: &[String]) -> Result<String, String> {
    let out = Command::new("sbatch")
        .args(args)
        .output()
        .map_err(|e| format!("cannot run sbatch: {e} (is Slurm's client installed?)"))?;
    let text = String::from_utf8_lossy(&out.stdout);
    let id = text.trim().split(';').next().unwrap_or_default().to_owned();
    if !out.status.success() || id.is_empty() || !id.bytes().all(|b| b.is_ascii_digit()) {
        return Err(format!(
            "sbatch {} failed ({}): {}",
            args.join(" "),
            out.status,
            String::from_utf8_lossy(&out.stderr).trim()
        ));
    }
    Ok(id)
}

fn record_job(dir: &Path, line: &str) {
    use std::io::Write as _;
    let path = dir.join(JOBS_FILE);
    let _ = fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(path)
        .and_then(|mut f| writeln!(f, "{line}"));
}

/// Submits `arrays` and then the merge job after them; prints each job id.
fn submit(dir: &Path, settings: &SlurmSettings, arrays: &[ArraySpec]) -> ExitCode {
    let mut ids = Vec::new();
    for a in arrays {
        let args = array_args(settings, a);
        match sbatch(&args) {
            Ok(id) => {
                let tasks: Vec<usize> = a.tasks().collect();
                say!(
                    "submitted array job {id}: tasks {} to {} ({} tasks, {})",
                    tasks[0],
                    tasks[tasks.len() - 1],
                    tasks.len(),
                    args[1]
                );
                record_job(dir, &format!("{id} array offset={} {}", a.offset, args[1]));
                ids.push(id);
            }
            Err(e) => {
                eprintln!("error: {e}");
                if !ids.is_empty() {
                    eprintln!(
                        "error: jobs {} were submitted; cancel them (scancel) or let them run and \
                         use --resubmit-missing",
                        ids.join(", ")
                    );
                }
                return ExitCode::from(1);
            }
        }
    }
    match sbatch(&merge_args(settings, &ids)) {
        Ok(id) => {
            say!("submitted merge job {id}: after {}", ids.join(", "));
            record_job(dir, &format!("{id} merge afterok:{}", ids.join(":")));
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::from(1)
        }
    }
}

fn read_settings(dir: &Path) -> Result<SlurmSettings, String> {
    let path = dir.join(SETTINGS_FILE);
    let text = fs::read_to_string(&path).map_err(|e| {
        format!(
            "{} was not planned for Slurm ({}: {e}); `overparam sweep plan` plans it",
            dir.display(),
            path.display()
        )
    })?;
    serde_json::from_str(&text).map_err(|e| format!("{}: {e}", path.display()))
}

fn resubmit_missing(dir: &Path) -> ExitCode {
    let plan = match read_plan(dir) {
        Ok(p) => p,
        Err(e) => return usage_error(&e.to_string()),
    };
    let settings = match read_settings(dir) {
        Ok(s) => s,
        Err(e) => return usage_error(&e),
    };
    let lines = status(dir, &plan);
    let failed: Vec<_> = lines
        .iter()
        .filter(|l| l.status == TaskStatus::Failed)
        .collect();
    for l in &failed {
        eprintln!(
            "error: task {} ({}) failed {} times and is not resubmitted; its log is {}",
            l.task.index,
            l.task.name,
            l.attempts,
            l.log.display()
        );
        print_log_tail(&l.log);
    }
    let live = live_tasks(dir);
    let still: Vec<String> = lines
        .iter()
        .filter(|l| l.status == TaskStatus::Missing && live.contains_key(&l.task.index))
        .map(|l| l.task.index.to_string())
        .collect();
    if !still.is_empty() {
        say!(
            "not resubmitted, still queued or running in Slurm: task(s) {}",
            still.join(", ")
        );
    }
    let missing: Vec<usize> = lines
        .iter()
        .filter(|l| l.status == TaskStatus::Missing && !live.contains_key(&l.task.index))
        .map(|l| l.task.index)
        .collect();
    if missing.is_empty() {
        say!(
            "{}: no missing task to resubmit ({} failed)",
            dir.display(),
            failed.len()
        );
        return ExitCode::from(u8::from(!failed.is_empty()));
    }
    say!(
        "resubmitting {} missing task(s) of {}: {}",
        missing.len(),
        dir.display(),
        missing
            .iter()
            .map(ToString::to_string)
            .collect::<Vec<_>>()
            .join(", ")
    );
    let code = submit(dir, &settings, &arrays(&missing, settings.max_array_size));
    if failed.is_empty() {
        code
    } else {
        ExitCode::from(1)
    }
}

/// The tasks of `dir` that Slurm still lists (pending, running, completing...), with their state
/// in lower case: the array jobs recorded in DIR/slurm/jobs.txt, matched against `squeue`'s
/// list of array tasks. Empty when nothing was submitted or squeue cannot be run.
fn live_tasks(dir: &Path) -> BTreeMap<usize, String> {
    let mut offsets: BTreeMap<String, usize> = BTreeMap::new();
    for line in fs::read_to_string(dir.join(JOBS_FILE))
        .unwrap_or_default()
        .lines()
    {
        let mut f = line.split_whitespace();
        if let (Some(id), Some("array"), Some(offset)) = (f.next(), f.next(), f.next())
            && let Some(o) = offset.strip_prefix("offset=").and_then(|o| o.parse().ok())
        {
            offsets.insert(id.to_owned(), o);
        }
    }
    let mut live = BTreeMap::new();
    if offsets.is_empty() {
        return live;
    }
    let Ok(out) = Command::new("squeue")
        .args(["-h", "-r", "-o", "%i %T"])
        .output()
    else {
        return live;
    };
    for line in String::from_utf8_lossy(&out.stdout).lines() {
        let Some((job, state)) = line.trim().split_once(' ') else {
            continue;
        };
        let Some((array, id)) = job.split_once('_') else {
            continue;
        };
        if let (Some(offset), Ok(id)) = (offsets.get(array), id.parse::<usize>()) {
            live.insert(offset + id, state.trim().to_lowercase());
        }
    }
    live
}

fn print_log_tail(log: &Path) {
    let text = fs::read_to_string(log).unwrap_or_default();
    let lines: Vec<&str> = text.lines().collect();
    for l in &lines[lines.len().saturating_sub(5)..] {
        eprintln!("    | {l}");
    }
}

/// `overparam sweep status DIR`.
pub fn status_command(dir: &Path) -> ExitCode {
    let plan = match read_plan(dir) {
        Ok(p) => p,
        Err(e) => return usage_error(&e.to_string()),
    };
    let lines = status(dir, &plan);
    let live = live_tasks(dir);
    let count = |s: TaskStatus| lines.iter().filter(|l| l.status == s).count();
    for l in lines.iter().filter(|l| l.status != TaskStatus::Done) {
        let mut note = l
            .note
            .as_deref()
            .map_or(String::new(), |n| format!(" ({n})"));
        if let Some(state) = live.get(&l.task.index) {
            note += &format!(" ({state} in Slurm)");
        }
        say!(
            "{:7}  task {} ({}): {} start(s){note}; log {}",
            l.status.name(),
            l.task.index,
            l.task.name,
            l.attempts,
            l.log.display()
        );
        if l.status == TaskStatus::Failed {
            print_log_tail(&l.log);
        }
    }
    let (done, missing, failed) = (
        count(TaskStatus::Done),
        count(TaskStatus::Missing),
        count(TaskStatus::Failed),
    );
    let merged = dir.join(overparam_sweep::REPORT_DIR).is_dir();
    say!(
        "{}: {} tasks: {done} done, {missing} missing, {failed} failed (no result after \
         {MAX_ATTEMPTS} starts){}",
        dir.display(),
        lines.len(),
        if merged { "; report/ merged" } else { "" }
    );
    let queued = lines
        .iter()
        .filter(|l| l.status == TaskStatus::Missing && live.contains_key(&l.task.index))
        .count();
    if queued > 0 {
        say!("{queued} of the missing tasks are queued or running in Slurm");
    }
    if missing > queued {
        say!(
            "`overparam sweep plan --resubmit-missing {}` submits the missing tasks that are not \
             queued or running again",
            dir.display()
        );
    }
    ExitCode::from(u8::from(done != lines.len()))
}
