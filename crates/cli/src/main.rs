//! `overparam`: run the claims of over-parameterised optimisation theory as falsifiable checks.
//!
//! Exit status: 0 every claim passed, 1 some claim failed or errored, 2 bad usage or output.

use std::process::ExitCode;

use clap::{Parser, Subcommand};
use overparam_checks::find_claim;

/// `println!` that does not panic when stdout is closed early (`overparam list | head`): the
/// write error is ignored, as the reader has gone away.
macro_rules! say {
    ($($t:tt)*) => {{
        use std::io::Write as _;
        let _ = writeln!(std::io::stdout(), $($t)*);
    }};
}

mod certify;
mod claims;
mod hessian;
mod input_args;
mod momentum_rate;
mod ntk;
mod sphere_spectrum;
mod spline;
mod sweep;
mod teacher_student;

#[derive(Parser)]
#[command(
    name = "overparam",
    version,
    about = "Executable, falsifiable checks of claims from over-parameterised neural-network \
             optimisation theory",
    long_about = "Each published claim is a check that runs seeded, deterministic experiments, \
                  compares what it measures with what the paper predicts, and emits a verdict \
                  with CSV evidence. A claim passes only if every criterion holds and every \
                  negative control fails.\n\nExit status: 0 all claims passed, 1 some claim \
                  failed or could not be evaluated, 2 bad usage (unknown claim, unwritable \
                  output directory, malformed input data)."
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// List every claim: id, paper and a one-line statement.
    List,
    /// Show one claim in full: statement, assumptions, criteria, controls, running time.
    Show {
        /// Claim id, as printed by `overparam list`.
        id: String,
    },
    /// Run claims and write a report directory (index.html, summary.md, manifest.json, and per
    /// claim verdict.json, CSV evidence and SVG plots).
    Run(claims::RunArgs),
    /// Compare two run directories: verdicts, every criterion and control, every CSV cell and
    /// every plot. Exit 1 on any regression, 0 otherwise, 2 if an input is not a run directory.
    #[command(
        long_about = "Compare run directory NEW against BASELINE (both written by \
        `overparam run`: each carries a .overparam marker of kind run, format 1; anything else, \
        such as a teacher-student or hessian output or a manifest.json without profile, \
        master_seed and claims, is refused with exit 2).\n\n\
        Compared: verdicts; per criterion and control the measured value, comparator, \
        threshold, interval and holds flags (measured values may move by a relative 1e-6, or by \
        the tolerance a criterion states, absolute for rounding-level quantities such as \
        residuals; counts exactly); every CSV file cell by cell (same columns and row count; \
        numbers within a relative 1e-6 or an absolute floor of 1e-9 of the column's largest \
        |value| or 1e-13, so that rounding around zero is not a regression; integers, text \
        and empty cells exactly); every SVG plot and any other file by SHA-256 content hash. \
        A claim, criterion or file present on one side only is a regression. At most 5 changed \
        cells are listed per CSV file (rows counted from 1 after the header); the rest are \
        counted.\n\n\
        Not compared (not evidence): index.html, summary.md, the provenance and timings in \
        manifest.json, the texts in verdict.json (statement, reason, detail). Files over \
        256 MiB, symbolic links, FIFOs and devices inside a run directory are refused.\n\n\
        A verdict that improves is reported, not counted as a regression. Exit status: 0 no \
        regression, 1 regressions, 2 an input that is not a comparable run directory."
    )]
    Diff {
        /// The reference run directory (e.g. reports/baseline).
        baseline: std::path::PathBuf,
        /// The run directory to check.
        new: std::path::PathBuf,
    },
    /// Loss, gradient and Hessian spectrum at user-supplied weights: minimum, saddle, degenerate,
    /// not critical or non-differentiable (the Safran-Shamir / Arjevani-Field loss, output
    /// weights 1, default teacher I_d).
    #[command(long_about = hessian::LONG_ABOUT)]
    Hessian(hessian::HessianArgs),
    /// Fit a cubic smoothing spline, min sum (y - f(x))^2 + lambda * integral f''^2, to 1-D data
    /// (CSV with header x,y) and write f, f', f'' on an even grid (CSV x,f,df,d2f).
    Spline(spline::SplineArgs),
    /// Train a student network against a teacher by gradient descent on the closed-form
    /// population loss; write the trajectory and the final neurons (CSV).
    #[command(long_about = teacher_student::LONG_ABOUT)]
    TeacherStudent(teacher_student::TeacherStudentArgs),
    /// Run claims over a range of master seeds as independent, resumable tasks
    /// (DIR/tasks/<claim>/seed-<s>/, each what `run` writes) and merge them into pass rates
    /// with Wilson intervals and distributions of every criterion (DIR/report/).
    #[command(long_about = sweep::LONG_ABOUT)]
    Sweep(Box<sweep::SweepArgs>),
    /// Exact rate of E||e_t||^2 for SGD, Nesterov-SGD or MaSS on the linear interpolation model
    /// with Gaussian data of a given spectrum (Liu & Belkin 2020): rho, convergence, constants,
    /// critical batch sizes, the hyper-parameters used.
    #[command(long_about = momentum_rate::LONG_ABOUT)]
    MomentumRate(momentum_rate::MomentumRateArgs),
    /// The NTK Gram matrix and spectrum of a fully connected ReLU network on your data (CSV,
    /// n rows of d numbers): one random network of --width M, or the --infinite width limit.
    #[command(long_about = ntk::LONG_ABOUT)]
    Ntk(ntk::NtkArgs),
    /// Funk-Hecke eigenvalues of the ReLU NTK / NNGP and arc-cosine kernels on the sphere
    /// S^(d-1), per degree of spherical harmonics (CSV degree,eigenvalue,multiplicity).
    #[command(long_about = sphere_spectrum::LONG_ABOUT)]
    SphereSpectrum(sphere_spectrum::SphereSpectrumArgs),
    /// Prove by interval arithmetic that user-supplied weights are near a strict local minimum
    /// (or a saddle) of the population loss, with an enclosure of the loss: exit 0 certified,
    /// 1 not certified (with the reason), 2 bad input.
    #[command(long_about = certify::LONG_ABOUT)]
    Certify(certify::CertifyArgs),
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    if matches!(
        cli.command,
        Command::Run(_)
            | Command::Hessian(_)
            | Command::TeacherStudent(_)
            | Command::MomentumRate(_)
            | Command::Ntk(_)
            | Command::Certify(_)
    ) {
        remove_outputs_on_signal();
    }
    match cli.command {
        Command::List => {
            claims::list();
            ExitCode::SUCCESS
        }
        Command::Show { id } => match find_claim(&id) {
            Some(claim) => {
                claims::show(claim);
                ExitCode::SUCCESS
            }
            None => usage_error(&claims::unknown_claim(&id)),
        },
        Command::Run(args) => claims::run(args),
        Command::Hessian(args) => hessian::run(args),
        Command::Diff { baseline, new } => match overparam_report::diff_runs(&baseline, &new) {
            Ok(report) => {
                say!("{}", report.to_table().trim_end());
                if report.regressions() == 0 {
                    ExitCode::SUCCESS
                } else {
                    ExitCode::from(1)
                }
            }
            Err(e) => usage_error(&e),
        },
        Command::Spline(args) => spline::run(args),
        Command::TeacherStudent(args) => teacher_student::run(args),
        Command::Sweep(args) => sweep::run(*args),
        Command::MomentumRate(args) => momentum_rate::run(args),
        Command::Ntk(args) => ntk::run(args),
        Command::SphereSpectrum(args) => sphere_spectrum::run(args),
        Command::Certify(args) => certify::run(args),
    }
}

/// On SIGINT or SIGTERM, removes every staging directory being written (and the parents created
/// for it) and exits with 128 + the signal (130, 143), as a shell reports a process killed by
/// it. A watcher thread does the work, outside the signal handler, so it may take locks and touch
/// files. If the handler cannot be installed the default (immediate termination) stays, and the
/// next run removes the stale staging directory.
fn remove_outputs_on_signal() {
    use signal_hook::consts::{SIGINT, SIGTERM};
    let Ok(mut signals) = signal_hook::iterator::Signals::new([SIGINT, SIGTERM]) else {
        return;
    };
    std::thread::spawn(move || {
        if let Some(signal) = signals.forever().next() {
            overparam_report::remove_live_outputs();
            std::process::exit(128 + signal);
        }
    });
}

/// Prints `error: <message>` to stderr and returns exit status 2 (bad usage or input).
pub fn usage_error(message: &str) -> ExitCode {
    eprintln!("error: {message}");
    ExitCode::from(2)
}
