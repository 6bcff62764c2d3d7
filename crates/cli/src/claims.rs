//! The claim commands: list, show and run.

use std::io::IsTerminal;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::Mutex;
use std::time::{Instant, SystemTime};

use overparam_checks::{
    Claim, ClaimError, CriterionKind, MAX_FALSE_FAILURE_RATE, Outcome, Profile, Progress,
    RunContext, Verdict, all_claims, catching_panics, find_claim,
};
use overparam_report::{
    ClaimRecord, ClaimRun, Manifest, OutputDir, OutputError, OutputKind, peak_memory_mib,
    reset_peak_memory, timestamp_utc, write_run,
};

/// Where `run` writes when no --out is given.
pub const DEFAULT_OUT: &str = "reports/latest";

use crate::usage_error;

#[derive(clap::Args)]
#[command(allow_negative_numbers = true)]
pub struct RunArgs {
    /// Claim ids to run (see `overparam list`).
    #[arg(required_unless_present = "all", conflicts_with = "all")]
    pub ids: Vec<String>,
    /// Run every registered claim.
    #[arg(long)]
    pub all: bool,
    /// quick: seconds per claim, what `cargo test` runs; full: larger sizes and more seeds
    /// (see `overparam show <id>` for its running time).
    #[arg(long, default_value = "quick", value_parser = ["quick", "full"])]
    pub profile: String,
    /// Master seed; every random stream is derived from it, the claim id and the cell.
    #[arg(long, default_value_t = 0, value_parser = crate::input_args::parse_seed)]
    pub seed: u64,
    /// Report directory, written in full or not at all [default: reports/latest, which holds
    /// the latest run and is replaced when it carries a run's .overparam marker]. An explicit
    /// --out must not exist or must be empty, unless --force is given. Never `/`, $HOME, the
    /// current directory or one of its ancestors, a symbolic link, or a path ending in `.` or
    /// `..`.
    #[arg(long)]
    pub out: Option<PathBuf>,
    /// Replace --out when it is a previous run directory (it carries a run's .overparam
    /// marker). A directory overparam did not write, or one holding hessian or teacher-student
    /// output, is never replaced.
    #[arg(long)]
    pub force: bool,
    /// No progress or summary output (errors are still printed).
    #[arg(long, short)]
    pub quiet: bool,
}

pub fn unknown_claim(id: &str) -> String {
    let known: Vec<&str> = all_claims().iter().map(|c| c.info().id).collect();
    format!(
        "unknown claim id '{id}'. Known claims: {} (see `overparam list`)",
        known.join(", ")
    )
}

pub fn list() {
    let claims = all_claims();
    let width = claims.iter().map(|c| c.info().id.len()).max().unwrap_or(0);
    for c in claims {
        let info = c.info();
        say!("{:width$}  {}", info.id, info.summary);
        say!("{:width$}  [{}]", "", info.paper);
    }
}

pub fn show(claim: &dyn Claim) {
    let info = claim.info();
    say!("{}\n", info.id);
    say!("Paper:     {}", info.paper);
    say!("Statement: {}\n", info.statement);
    say!("Assumptions:");
    for a in info.assumptions {
        say!("  - {a}");
    }
    for (kind, heading) in [
        (
            CriterionKind::Hypothesis,
            "Hypotheses (the theorem applies only where each holds; a failed one makes the \
             verdict 'hypothesis not met', neither pass nor fail):",
        ),
        (
            CriterionKind::Evidence,
            "Evidence criteria (each must hold; they fail if the claim is false or the code wrong):",
        ),
        (
            CriterionKind::Sanity,
            "Sanity criteria (each must hold; identities, residuals, bookkeeping):",
        ),
    ] {
        let specs: Vec<_> = info.criteria.iter().filter(|s| s.kind == kind).collect();
        if specs.is_empty() {
            continue;
        }
        say!("\n{heading}");
        for spec in specs {
            say!("  - {}: {}\n      {}", spec.name, spec.rule, spec.doc);
        }
    }
    say!("\nControls (each must fail):");
    for spec in info.controls {
        say!("  - {}: {}", spec.name, spec.doc);
    }
    let ff = info.false_failure;
    if ff.is_declared() {
        say!(
            "\nDesigned false-failure rate: {} (at most {MAX_FALSE_FAILURE_RATE}): {}",
            ff.rate_text(),
            ff.design
        );
    } else {
        say!("\nDesigned false-failure rate: not declared");
    }
    say!("\nProvenance: {}", info.provenance);
    say!("Running time: {}", info.runtime);
}

/// Progress on stderr, one rewritten line, only when stderr is a terminal.
struct TerminalProgress {
    enabled: bool,
    position: (usize, usize),
    lock: Mutex<()>,
}

impl Progress for TerminalProgress {
    fn cell_done(&self, claim: &str, done: usize, total: usize, label: &str) {
        if self.enabled {
            let _guard = self.lock.lock();
            eprint!(
                "\r\x1b[2K[{}/{}] {claim}: {done}/{total} cells ({label})",
                self.position.0, self.position.1
            );
        }
    }
}

pub fn run(args: RunArgs) -> ExitCode {
    let claims: Vec<&'static dyn Claim> = if args.all {
        all_claims()
    } else {
        let mut picked = Vec::new();
        for id in &args.ids {
            match find_claim(id) {
                // a repeated id runs once
                Some(c) if !picked.iter().any(|p: &&dyn Claim| p.info().id == id) => picked.push(c),
                Some(_) => {}
                None => return usage_error(&unknown_claim(id)),
            }
        }
        picked
    };
    let profile: Profile = args.profile.parse().expect("clap restricts the values");

    let prepared = match &args.out {
        Some(dir) => OutputDir::prepare(dir, OutputKind::Run, args.force),
        None => OutputDir::prepare_default(Path::new(DEFAULT_OUT), OutputKind::Run),
    };
    let out = match prepared {
        Ok(out) => out,
        Err(e) => return usage_error(&e.to_string()),
    };

    let target = out.target().to_owned();
    let verdicts = match run_claims_into(&claims, profile, args.seed, args.quiet, out) {
        Ok(v) => v,
        Err(e) => return usage_error(&format!("report not written: {e}")),
    };
    let passed = verdicts.iter().filter(|v| **v == Verdict::Pass).count();
    if !args.quiet {
        say!(
            "{passed}/{} claims passed; report written to {}",
            verdicts.len(),
            target.display()
        );
    }
    if passed == verdicts.len() {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    }
}

/// Runs `claims` at `profile` and master seed `seed` and writes the run directory into `out`
/// (prepared as [`OutputKind::Run`]), returning each claim's verdict in order. `overparam run`
/// and each task of `overparam sweep` go through here, so a sweep task's directory holds exactly
/// what `run` would write. Unless `quiet`, prints a line per claim (and progress on a terminal).
pub fn run_claims_into(
    claims: &[&'static dyn Claim],
    profile: Profile,
    seed: u64,
    quiet: bool,
    out: OutputDir,
) -> Result<Vec<Verdict>, OutputError> {
    run_claims_with(claims, profile, seed, quiet, out, &|claim, ctx| {
        claim.run(ctx)
    })
}

/// [`run_claims_into`] with each claim's outcome from `run` instead of `Claim::run` (a sweep
/// assembling a split run from its parts); the directory is written by the same code.
pub fn run_claims_with(
    claims: &[&'static dyn Claim],
    profile: Profile,
    seed: u64,
    quiet: bool,
    out: OutputDir,
    run: &(dyn Fn(&'static dyn Claim, &RunContext) -> Result<Outcome, ClaimError> + Sync),
) -> Result<Vec<Verdict>, OutputError> {
    let mut manifest = Manifest::new(
        profile.name(),
        seed,
        overparam_checks::SEED_RULE,
        rayon::current_num_threads(),
    );
    let show_progress = !quiet && std::io::stderr().is_terminal();
    let mut runs = Vec::new();
    let total = claims.len();
    for (i, claim) in claims.iter().enumerate() {
        let info = claim.info();
        let progress = TerminalProgress {
            enabled: show_progress,
            position: (i + 1, total),
            lock: Mutex::new(()),
        };
        let ctx = RunContext {
            profile,
            master_seed: seed,
            progress: &progress,
        };
        reset_peak_memory();
        let start = Instant::now();
        let result = catching_panics(|| run(*claim, &ctx));
        let wall_time_s = start.elapsed().as_secs_f64();
        let peak_rss_mib = peak_memory_mib();
        if show_progress {
            eprint!("\r\x1b[2K");
        }
        let run = ClaimRun {
            info,
            result,
            wall_time_s,
        };
        if !quiet {
            print_summary_line(&run);
        }
        manifest.claims.push(ClaimRecord {
            id: run.info.id.to_owned(),
            verdict: run.verdict(),
            wall_time_s,
            peak_rss_mib,
        });
        runs.push(run);
    }
    manifest.finished_utc = timestamp_utc(SystemTime::now());
    write_run(out, &manifest, &runs)?;
    Ok(runs.iter().map(ClaimRun::verdict).collect())
}

fn print_summary_line(run: &ClaimRun) {
    let verdict = run.verdict().name().to_uppercase();
    match &run.result {
        Ok(o) => {
            let held = o.criteria.iter().filter(|c| c.holds).count();
            let failed = o.controls.iter().filter(|c| c.failed_as_expected).count();
            say!(
                "{verdict:5}  {}  ({held}/{} criteria hold, {failed}/{} controls failed as \
                 expected, {:.1} s)",
                run.info.id,
                o.criteria.len(),
                o.controls.len(),
                run.wall_time_s
            );
            for c in o.criteria.iter().filter(|c| !c.holds) {
                say!(
                    "       criterion {} does not hold: {}",
                    c.name,
                    c.comparison()
                );
            }
            for c in o.controls.iter().filter(|c| !c.failed_as_expected) {
                say!(
                    "       control {} did not fail: {}",
                    c.name,
                    c.criterion.comparison()
                );
            }
        }
        Err(e) => say!("{verdict:5}  {}  ({e})", run.info.id),
    }
}
