//! `overparam teacher-student`: train a user's student network against a user's teacher by
//! plain gradient descent on the closed-form Gaussian population loss, and write the trajectory
//! and where each student neuron ended up.

use std::path::{Path, PathBuf};

/// Where the tool writes when no --out is given.
const DEFAULT_OUT: &str = "reports/teacher-student";
use std::process::ExitCode;

use overparam_kernel::{
    DescentConfig, PopulationLoss, align, cluster_masses, gradient_descent, teacher_masses,
};
use overparam_report::{OutputDir, OutputKind, Table, Value, table_to_csv};

use overparam_input::InputReader;
use overparam_input::network::{Named, NetworkFile, check_pair, parse_network};

use crate::input_args::InputArgs;
use crate::usage_error;

/// Most points per decade of the trajectory's step grid: with 1000 the grid already holds every
/// step up to about 4000 and 1000 points per decade beyond; more only slows building the grid.
pub const MAX_POINTS_PER_DECADE: u32 = 1000;

/// What `overparam teacher-student --help` prints after the one-line summary.
pub const LONG_ABOUT: &str = "\
Trains the student (both layers) against the teacher by plain gradient descent on
L = 1/2 E[(f_student(x) - f_teacher(x))^2], x ~ N(0, I_d), evaluated in closed form
(arc-cosine kernel).

Input (--teacher, --student): CSV with no header, one row per hidden neuron:
    a_i, w_i1, ..., w_id
the output weight first, then the d entries of the weight vector (the network is
x -> sum_i a_i relu(w_i . x)). Every row has d + 1 numbers; teacher and student must have the
same d. Blank lines and lines starting with '#' are ignored. Either file may be - (standard
input; not both); files larger than --max-input-mib are refused.

Output (DIR = --out), written in full or not at all:
    DIR/trajectory.csv  step,loss,grad_norm on a logarithmic grid of steps (0 and N included)
    DIR/neurons.csv     neuron,a,w_norm,nearest_teacher,angle,contribution for the final
                        student: neuron and nearest_teacher are 0-based indices of the data
                        rows of the input files, angle (radians) to the nearest teacher
                        direction,
                        contribution = a |w|; nearest_teacher and angle are empty for a zero
                        weight vector
    DIR/manifest.json   inputs, settings, final loss, mass a|w| per teacher direction

Exit status: 0 done; 1 gradient descent diverged (try a smaller --lr), nothing written;
2 bad input (missing or malformed CSV, NaN or infinity, rows of different lengths, fewer than
2 columns, mismatched d, non-positive --steps or --lr, a starting point whose loss or gradient
overflows f64, unwritable --out), nothing written.";

#[derive(clap::Args)]
#[command(allow_negative_numbers = true)]
pub struct TeacherStudentArgs {
    /// Teacher network CSV: rows a_j,w_j1,...,w_jd (no header).
    #[arg(long, value_name = "T.csv")]
    pub teacher: PathBuf,
    /// Student network CSV (the starting point): rows a_i,w_i1,...,w_id (no header).
    #[arg(long, value_name = "S.csv")]
    pub student: PathBuf,
    /// Number of gradient steps (>= 1).
    #[arg(long, value_name = "N")]
    pub steps: i64,
    /// Learning rate (step size), > 0.
    #[arg(long, value_name = "ETA", default_value_t = 0.05)]
    pub lr: f64,
    /// Points of the logarithmic step grid per decade (1 to 1000).
    #[arg(
        long,
        value_name = "K",
        default_value_t = 12,
        value_parser = clap::value_parser!(u32).range(1..=MAX_POINTS_PER_DECADE as i64)
    )]
    pub points_per_decade: u32,
    /// Output directory, written in full or not at all [default: reports/teacher-student, which
    /// holds the latest run and is replaced when it carries a teacher-student .overparam
    /// marker]. An explicit --out must not exist or must be empty, unless --force is given.
    /// Never `/`, $HOME, the current directory or one of its ancestors, a symbolic link, or a
    /// path ending in `.` or `..`.
    #[arg(long, value_name = "DIR")]
    pub out: Option<PathBuf>,
    /// Replace --out when it holds previous teacher-student output (it carries that
    /// .overparam marker). A directory overparam did not write, or one holding another kind of
    /// output, is never replaced.
    #[arg(long)]
    pub force: bool,
    /// No summary on stdout (errors are still printed).
    #[arg(long, short)]
    pub quiet: bool,
    #[command(flatten)]
    pub input: InputArgs,
}

/// Reads a network file in the documented format.
fn read_network(reader: &InputReader, path: &Path, role: &str) -> Result<NetworkFile, String> {
    reader
        .read_bytes(path)
        .and_then(|bytes| parse_network(&bytes).map_err(|e| e.at(path)))
        .map_err(|e| format!("{role} {e}"))
}

pub fn run(args: TeacherStudentArgs) -> ExitCode {
    let reader = args.input.reader();
    let (teacher_file, student_file) = match (
        read_network(&reader, &args.teacher, "teacher"),
        read_network(&reader, &args.student, "student"),
    ) {
        (Ok(t), Ok(s)) => (t, s),
        (Err(e), _) | (_, Err(e)) => return usage_error(&e),
    };
    if args.steps < 1 {
        return usage_error(&format!(
            "--steps must be a positive number of gradient steps, got {}",
            args.steps
        ));
    }
    if !(args.lr.is_finite() && args.lr > 0.0) {
        return usage_error(&format!(
            "--lr must be a positive finite step size, got {}",
            args.lr
        ));
    }
    // After the cheap argument checks: this one evaluates the loss once.
    let (teacher_name, student_name) = (
        args.teacher.display().to_string(),
        args.student.display().to_string(),
    );
    if let Err(e) = check_pair(
        &Named {
            role: "teacher",
            file: &teacher_name,
            network: &teacher_file,
        },
        &Named {
            role: "student",
            file: &student_name,
            network: &student_file,
        },
    ) {
        return usage_error(&e);
    }
    let (teacher, student) = (teacher_file.net, student_file.net);
    // Check the output location before training, so a bad --out costs nothing.
    let prepared = match &args.out {
        Some(dir) => OutputDir::prepare(dir, OutputKind::TeacherStudent, args.force),
        None => OutputDir::prepare_default(Path::new(DEFAULT_OUT), OutputKind::TeacherStudent),
    };
    let out = match prepared {
        Ok(out) => out,
        Err(e) => return usage_error(&e.to_string()),
    };
    let config = DescentConfig::new(args.lr, args.steps as u64, args.points_per_decade);
    let loss = PopulationLoss::new(teacher.clone());
    let run = match gradient_descent(&loss, student, &config) {
        Ok(r) => r,
        Err(e) => {
            // dropping `out` removes its staging directory: nothing is written
            eprintln!("error: {e}; nothing written");
            return ExitCode::from(1);
        }
    };

    let neurons = align(&run.network, &teacher);
    let mut trajectory = Table::new("trajectory", &["step", "loss", "grad_norm"]);
    for p in &run.trajectory {
        trajectory.push(vec![
            Value::Int(p.step as i64),
            p.loss.into(),
            p.grad_norm.into(),
        ]);
    }
    let mut neuron_table = Table::new(
        "neurons",
        &[
            "neuron",
            "a",
            "w_norm",
            "nearest_teacher",
            "angle",
            "contribution",
        ],
    );
    for (i, n) in neurons.iter().enumerate() {
        neuron_table.push(vec![
            i.into(),
            n.a.into(),
            n.w_norm.into(),
            n.nearest_teacher.into(),
            n.angle.into(),
            n.contribution.into(),
        ]);
    }
    let last = *run.trajectory.last().expect("the grid holds step T");
    let masses = cluster_masses(&neurons, teacher.width());
    let targets = teacher_masses(&teacher);
    let manifest = serde_json::json!({
        "tool": "overparam teacher-student",
        "tool_version": env!("CARGO_PKG_VERSION"),
        "teacher": args.teacher.display().to_string(),
        "student": args.student.display().to_string(),
        "d": teacher.dim(),
        "teacher_width": teacher.width(),
        "student_width": run.network.width(),
        "steps": config.steps,
        "lr": config.lr,
        "points_per_decade": config.points_per_decade,
        "loss": "1/2 E[(f_student - f_teacher)^2], x ~ N(0, I_d), closed form",
        "final_loss": last.loss,
        "final_grad_norm": last.grad_norm,
        "cluster_masses": masses,
        "teacher_masses": targets,
    });

    let target = out.target().to_owned();
    let written = (|| {
        for t in [&trajectory, &neuron_table] {
            out.write_text(&format!("{}.csv", t.name), &table_to_csv(t)?)?;
        }
        out.write_json("manifest.json", &manifest)?;
        out.commit()
    })();
    if let Err(e) = written {
        return usage_error(&e.to_string());
    }
    if !args.quiet {
        let first = run.trajectory[0];
        say!(
            "trained {} student neurons against {} teacher neurons (d = {}) for {} steps at \
             lr {}",
            run.network.width(),
            teacher.width(),
            teacher.dim(),
            config.steps,
            config.lr
        );
        say!(
            "loss {:.3e} -> {:.3e}, gradient norm {:.3e} -> {:.3e}",
            first.loss,
            last.loss,
            first.grad_norm,
            last.grad_norm
        );
        for (j, (m, t)) in masses.iter().zip(&targets).enumerate() {
            say!("teacher {j}: student mass {m:.6} (teacher a|w| = {t:.6})");
        }
        say!("written to {}", target.display());
    }
    ExitCode::SUCCESS
}
