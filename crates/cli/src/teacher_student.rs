//! `overparam teacher-student`: train a user's student network against a user's teacher by
//! plain gradient descent on the closed-form Gaussian population loss, and write the trajectory
//! and where each student neuron ended up.

use std::path::{Path, PathBuf};

/// Where the tool writes when no --out is given.
const DEFAULT_OUT: &str = "reports/teacher-student";
use std::process::ExitCode;

use overparam_kernel::{
    DescentConfig, PopulationLoss, TwoLayerNet, align, cluster_masses, gradient_descent,
    teacher_masses,
};
use overparam_report::{OutputDir, table_to_csv};
use overparam_report::{Table, Value};

use crate::input::read_numeric_csv;
use crate::usage_error;

const NETWORK_FORMAT: &str = "CSV with no header, one row per hidden neuron: the output weight \
a_i first, then the d entries of the weight vector w_i (every row has d + 1 numbers)";

/// What `overparam teacher-student --help` prints after the one-line summary.
pub const LONG_ABOUT: &str = "\
Trains the student (both layers) against the teacher by plain gradient descent on
L = 1/2 E[(f_student(x) - f_teacher(x))^2], x ~ N(0, I_d), evaluated in closed form
(arc-cosine kernel).

Input (--teacher, --student): CSV with no header, one row per hidden neuron:
    a_i, w_i1, ..., w_id
the output weight first, then the d entries of the weight vector (the network is
x -> sum_i a_i relu(w_i . x)). Every row has d + 1 numbers; teacher and student must have the
same d. Blank lines and lines starting with '#' are ignored.

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
2 columns, mismatched d, non-positive --steps or --lr, unwritable --out), nothing written.";

#[derive(clap::Args)]
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
    /// Points of the logarithmic step grid per decade.
    #[arg(long, value_name = "K", default_value_t = 12)]
    pub points_per_decade: u32,
    /// Output directory, written in full or not at all [default: reports/teacher-student, which
    /// holds the latest run and is replaced]. An explicit --out must not exist or be empty,
    /// unless --force is given.
    #[arg(long, value_name = "DIR")]
    pub out: Option<PathBuf>,
    /// Replace an existing, non-empty --out directory.
    #[arg(long)]
    pub force: bool,
    /// No summary on stdout (errors are still printed).
    #[arg(long, short)]
    pub quiet: bool,
}

/// Reads a network file in the documented format.
fn read_network(path: &Path, role: &str) -> Result<TwoLayerNet, String> {
    let table = read_numeric_csv(path, false).map_err(|e| format!("{role} {e}"))?;
    if table.ncols() < 2 {
        return Err(format!(
            "{role} {}: each row needs at least 2 numbers (the output weight a, then the weight \
             vector w), found {}. Format: {NETWORK_FORMAT}",
            path.display(),
            table.ncols()
        ));
    }
    let a: Vec<f64> = table.rows.iter().map(|r| r[0]).collect();
    let rows: Vec<Vec<f64>> = table.rows.iter().map(|r| r[1..].to_vec()).collect();
    TwoLayerNet::new(a, &rows).map_err(|e| format!("{role} {}: {e}", path.display()))
}

pub fn run(args: TeacherStudentArgs) -> ExitCode {
    let teacher = match read_network(&args.teacher, "teacher") {
        Ok(t) => t,
        Err(e) => return usage_error(&e),
    };
    let student = match read_network(&args.student, "student") {
        Ok(s) => s,
        Err(e) => return usage_error(&e),
    };
    if teacher.dim() != student.dim() {
        return usage_error(&format!(
            "teacher {} has input dimension d = {} ({} numbers per row) but student {} has \
             d = {}; both must have the same d",
            args.teacher.display(),
            teacher.dim(),
            teacher.dim() + 1,
            args.student.display(),
            student.dim()
        ));
    }
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
    if args.points_per_decade == 0 {
        return usage_error("--points-per-decade must be at least 1");
    }
    // Check the output location before training, so a bad --out costs nothing.
    let prepared = match &args.out {
        Some(dir) => OutputDir::prepare(dir, None, args.force),
        None => OutputDir::prepare(Path::new(DEFAULT_OUT), Some("manifest.json"), args.force),
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
