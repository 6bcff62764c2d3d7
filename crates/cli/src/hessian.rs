//! `overparam hessian`: loss, gradient and Hessian spectrum of the Gaussian two-layer ReLU
//! population loss at weights a user supplies, with a minimum / saddle / degenerate /
//! not-critical / non-differentiable verdict. This is how a researcher checks a critical point
//! someone else published.
//!
//! Order of work: shapes and O(k d) scans (zero rows, identity teacher, symmetry) decide the
//! path, the dense path's memory is estimated from k, d, m and probed, and only then is
//! anything of size d^2 or (k d)^2 built, so that an impossible point is refused at once.

use std::path::PathBuf;
use std::process::ExitCode;

use overparam_input::InputReader;
use overparam_kernel::bounded_loss::{BoundedLoss, Teacher, bounded_loss};
use overparam_kernel::critical::{
    AnalysisError, Classification, PointAnalysis, SymmetricAnalysis, Tolerances, analyse_point,
    analyse_symmetric_point, dense_analysis_bytes, may_have_detectable_symmetry, probe_allocation,
    zero_neuron,
};
use overparam_kernel::symmetry::{DETECTION_TOLERANCE, detect_symmetry, is_identity_teacher};
use overparam_kernel::{PopulationLoss, TwoLayerNet};
use overparam_linalg::Par;
use overparam_report::{OutputDir, OutputKind, Table, Value, table_to_csv};
use serde::Serialize;

use crate::input_args::InputArgs;
use crate::usage_error;

/// `overparam hessian --help`. It is attached in main.rs: the doc comment of the subcommand
/// variant there would otherwise replace a `long_about` set on these arguments.
pub const LONG_ABOUT: &str = "Loss, gradient norm and Hessian spectrum (with respect to the first-layer \
                  weights W, output weights fixed at 1) of L(W) = 1/2 E_{x~N(0,I)}[(sum_i \
                  relu(w_i.x) - sum_j relu(v_j.x))^2], and a classification: minimum (critical, \
                  lambda_min > eig-tol), saddle (lambda_min < -eig-tol), degenerate (|lambda_min| \
                  <= eig-tol), not-critical (||grad|| > grad-tol), or `non-differentiable: zero \
                  neuron i` when student row i (0-based data row of --weights) is zero (or its \
                  norm underflows): relu has a kink there, so no gradient or Hessian exists and \
                  only the loss is reported. A zero teacher row is simply an absent neuron.\n\n\
                  The loss is printed as max(0, L) with a bound on its rounding error (rows equal \
                  to a teacher row cancel exactly, so W = V up to row order gives 0 with bound \
                  0).\n\nThe default gradient \
                  tolerance 1e-7 accepts the gradient that rounding published weights to ten \
                  digits leaves (about 1e-9) and rejects visibly non-critical points.\n\nSymmetric \
                  points: with k = d students and teacher I_d, a W equal (within 1e-12 relative, \
                  up to permuting rows and columns) to alpha I + beta (11^T - I) (isotropy Delta \
                  S_d) or to the type-A shape [[a I + b (11^T - I), c 1], [e 1^T, f]] (isotropy \
                  Delta(S_{d-1} x S_1)) is analysed block by block over the isotypic components \
                  of the symmetry: no dense matrix, any d (d = 200 in well under a second), the \
                  same outputs plus DIR/blocks.csv. --dense forces the dense path.\n\nMemory: \
                  any other point needs the dense (kd) x (kd) Hessian, about 24 (kd)^2 bytes with \
                  its eigensolver. That estimate is made from the shapes alone and the point is \
                  refused at once (exit 2) when it exceeds --memory-limit-gib; an estimate within \
                  the limit that this machine cannot allocate is an error (exit 1), never an \
                  abort.\n\nInput: CSV without header, one row per neuron, d comma-separated \
                  numbers per row.\n\nExit status: 0 analysed, 1 not enough memory for an \
                  accepted estimate, 2 bad input, a refused estimate or unwritable output.";

#[derive(clap::Args)]
#[command(allow_negative_numbers = true)]
pub struct HessianArgs {
    /// Student weights: k rows of d numbers (no header).
    #[arg(long)]
    weights: PathBuf,
    /// Teacher weights: m rows of d numbers (no header). Default: the identity I_d.
    #[arg(long)]
    teacher: Option<PathBuf>,
    /// Write DIR/summary.json and DIR/spectrum.csv (rank,eigenvalue ascending); at a symmetric
    /// point also DIR/blocks.csv (component,partition,eigenvalue,multiplicity). At a
    /// non-differentiable point only summary.json (loss, loss_rounding_bound, classification,
    /// zero_neuron): there is no spectrum. DIR must not exist or must be empty, unless --force
    /// is given; never `/`, $HOME, the current directory or one of its ancestors, a symbolic
    /// link, or a path ending in `.` or `..`.
    #[arg(long)]
    out: Option<PathBuf>,
    /// Replace --out when it holds previous hessian output (it carries that .overparam
    /// marker). A directory overparam did not write, or one holding another kind of output, is
    /// never replaced.
    #[arg(long)]
    force: bool,
    /// A point is critical when ||grad_W L|| <= this.
    #[arg(long, default_value_t = Tolerances::PUBLISHED.grad_norm)]
    grad_tol: f64,
    /// Eigenvalues within this of zero count as zero.
    #[arg(long, default_value_t = Tolerances::PUBLISHED.eigenvalue)]
    eig_tol: f64,
    /// Refuse points whose dense Hessian and eigensolver would need more memory than this (GiB),
    /// estimated from the shapes before anything is built.
    #[arg(long, default_value_t = 8.0)]
    memory_limit_gib: f64,
    /// Use the dense Hessian even where the point's symmetry allows the block computation.
    #[arg(long)]
    dense: bool,
    #[command(flatten)]
    input: InputArgs,
}

#[derive(Serialize)]
struct TolerancesJson {
    grad_norm: f64,
    eigenvalue: f64,
}

#[derive(Serialize)]
struct Summary {
    k: usize,
    d: usize,
    teacher: String,
    /// max(0, L): a loss is never negative.
    loss: f64,
    /// |computed L - exact L| <= this.
    loss_rounding_bound: f64,
    grad_norm: f64,
    lambda_min: f64,
    lambda_max: f64,
    classification: String,
    tolerances: TolerancesJson,
    /// |sum(eig) - tr H| / ||H||_F: the eigenvalues' own residual.
    trace_error: f64,
    /// "dense", or "symmetry-adapted (isotropy ...)".
    method: String,
}

/// summary.json at a point with a zero student neuron: no gradient, no spectrum.
#[derive(Serialize)]
struct NonDifferentiableSummary {
    k: usize,
    d: usize,
    teacher: String,
    loss: f64,
    loss_rounding_bound: f64,
    classification: String,
    zero_neuron: usize,
    method: &'static str,
}

/// A network file (one row per neuron, d columns, unit output weights): what `hessian` and
/// `certify` read for the student and the teacher.
pub(crate) fn read_net(
    reader: &InputReader,
    path: &std::path::Path,
) -> Result<TwoLayerNet, String> {
    let table = reader
        .read_numeric_csv(path, false)
        .map_err(|e| e.to_string())?;
    let k = table.rows.len();
    TwoLayerNet::new(vec![1.0; k], &table.rows).map_err(|e| format!("{}: {e}", path.display()))
}

/// The `--teacher` file, if one was given, checked to have the student's d columns; `None`
/// stands for the default teacher I_d, which is built only by a caller that needs its rows.
pub(crate) fn read_teacher(
    reader: &InputReader,
    path: Option<&std::path::Path>,
    d: usize,
) -> Result<Option<TwoLayerNet>, String> {
    let Some(p) = path else { return Ok(None) };
    let t = read_net(reader, p)?;
    if t.dim() != d {
        return Err(format!(
            "teacher has {} columns but the student has {d}: both must have d columns",
            t.dim()
        ));
    }
    Ok(Some(t))
}

/// How the teacher is named in the output: its path, or I_d for the default.
pub(crate) fn teacher_name(path: Option<&std::path::Path>, d: usize) -> String {
    path.map_or_else(|| format!("I_{d}"), |p| p.display().to_string())
}

pub fn run(args: HessianArgs) -> ExitCode {
    for (name, v) in [("--grad-tol", args.grad_tol), ("--eig-tol", args.eig_tol)] {
        if !(v.is_finite() && v >= 0.0) {
            return usage_error(&format!(
                "{name} must be a finite non-negative number, got {v}"
            ));
        }
    }
    if !(args.memory_limit_gib.is_finite() && args.memory_limit_gib > 0.0) {
        return usage_error("--memory-limit-gib must be positive");
    }
    let reader = args.input.reader();
    let student = match read_net(&reader, &args.weights) {
        Ok(n) => n,
        Err(e) => return usage_error(&e),
    };
    let (k, d) = (student.width(), student.dim());
    // The default teacher I_d stays implicit until a path that needs its rows has been accepted
    // (a 1 x 200000 student must not build a 200000 x 200000 identity to be refused).
    let explicit_teacher = match read_teacher(&reader, args.teacher.as_deref(), d) {
        Ok(t) => t,
        Err(e) => return usage_error(&e),
    };
    let teacher_name = teacher_name(args.teacher.as_deref(), d);
    let teacher_is_identity = explicit_teacher.as_ref().is_none_or(is_identity_teacher);
    let teacher_width = explicit_teacher.as_ref().map_or(d, TwoLayerNet::width);
    let limit = (args.memory_limit_gib * (1u64 << 30) as f64) as u128;

    // Decide the path from the shapes and O(k d) scans before anything that scales is built.
    let plan = if let Some(i) = zero_neuron(&student) {
        Plan::NonDifferentiable(i)
    } else if !args.dense
        && k == d
        && teacher_is_identity
        && may_have_detectable_symmetry(student.w(), DETECTION_TOLERANCE)
        && detect_symmetry(student.w(), d, DETECTION_TOLERANCE).is_some()
    {
        Plan::Symmetric
    } else {
        let bytes = dense_analysis_bytes(k, d, teacher_width);
        if bytes > limit {
            let why = if args.dense {
                "--dense was given, so the block computation was not tried.".to_owned()
            } else if k != d || !teacher_is_identity {
                format!(
                    "The block computation needs k = d students and teacher I_d (here k = {k}, \
                     d = {d}, teacher {teacher_name})."
                )
            } else {
                format!(
                    "The point has neither isotropy Delta S_d nor Delta(S_{{d-1}} x S_1) (within \
                     {DETECTION_TOLERANCE:e} relative, up to permutations), so the block \
                     computation does not apply."
                )
            };
            return usage_error(&format!(
                "the dense Hessian of a {k} x {d} student is {n} x {n}: it and its eigensolver \
                 need an estimated {:.2} GiB, over --memory-limit-gib {} (raise it to try \
                 anyway). {why}",
                bytes as f64 / GIB,
                args.memory_limit_gib,
                n = k as u128 * d as u128
            ));
        }
        if let Err(e) = probe_allocation(bytes) {
            return runtime_error(&format!("cannot analyse the point: {e}"));
        }
        Plan::Dense
    };
    let out = match &args.out {
        Some(dir) => match OutputDir::prepare(dir, OutputKind::Hessian, args.force) {
            Ok(o) => Some(o),
            Err(e) => return usage_error(&e.to_string()),
        },
        None => None,
    };
    // After the output check, so that a bad --out is refused before any O((k + m)^2 d) work; a
    // failure from here on drops `out`, which removes its staging directory.
    let teacher_ref = match &explicit_teacher {
        Some(t) => Teacher::Net(t),
        None => Teacher::Identity { d },
    };
    let reported = match bounded_loss(&student, teacher_ref) {
        Ok(l) if l.value.is_finite() && l.rounding_bound.is_finite() => l,
        Ok(_) => return usage_error("cannot analyse the point: the loss is not finite"),
        Err(e) => return usage_error(&format!("cannot analyse the point: {e}")),
    };
    let tol = Tolerances {
        grad_norm: args.grad_tol,
        eigenvalue: args.eig_tol,
    };
    say!("point:          k = {k} students, d = {d}, teacher {teacher_name}");

    if let Plan::NonDifferentiable(zero) = plan {
        let classification = Classification::NonDifferentiable { zero_neuron: zero };
        say!("method:         {NO_DERIVATIVES}");
        print_loss(&reported);
        say!("classification: {}", classification.label());
        if let Some(out) = out {
            let summary = NonDifferentiableSummary {
                k,
                d,
                teacher: teacher_name,
                loss: reported.non_negative(),
                loss_rounding_bound: reported.rounding_bound,
                classification: classification.label(),
                zero_neuron: zero,
                method: NO_DERIVATIVES,
            };
            let target = out.target().to_owned();
            if let Err(e) = out
                .write_json("summary.json", &summary)
                .and_then(|_| out.commit())
            {
                return usage_error(&format!("output not written: {e}"));
            }
            say!("written:        {}", target.display());
        }
        return ExitCode::SUCCESS;
    }

    // Accepted: now the teacher's rows may be built. A teacher that is I_d up to row order is
    // the same function as I_d, and its energy has a closed form.
    let loss = match explicit_teacher {
        Some(t) if !teacher_is_identity => PopulationLoss::new(t),
        _ => PopulationLoss::identity_teacher(d),
    };
    let analysis = match plan {
        Plan::Symmetric => match analyse_symmetric_point(&loss, &student, tol) {
            Ok(Some(s)) => Analysis::Symmetric(Box::new(s)),
            Ok(None) => {
                return runtime_error("internal: the symmetry found first was not confirmed");
            }
            Err(e) => return usage_error(&format!("cannot analyse the point: {e}")),
        },
        _ => match analyse_point(&loss, &student, tol, limit, Par::rayon(0)) {
            Ok(a) => Analysis::Dense(a),
            Err(e @ AnalysisError::OutOfMemory { .. }) => {
                return runtime_error(&format!("cannot analyse the point: {e}"));
            }
            Err(e) => return usage_error(&format!("cannot analyse the point: {e}")),
        },
    };
    let method = match &analysis {
        Analysis::Symmetric(s) => {
            format!("symmetry-adapted (isotropy {})", s.spectrum.isotropy.name())
        }
        Analysis::Dense(_) => "dense".to_owned(),
    };
    let blocks = analysis.blocks_table();
    let analysis = analysis.point();

    say!("method:         {method}");
    print_loss(&reported);
    say!(
        "grad norm:      {:.3e}   (critical if <= {:e})",
        analysis.grad_norm,
        tol.grad_norm
    );
    say!("lambda_min:     {:.6e}", analysis.lambda_min());
    say!("lambda_max:     {:.6e}", analysis.lambda_max());
    say!(
        "classification: {}   (tolerances: gradient {:e}, eigenvalue {:e})",
        analysis.classification.label(),
        tol.grad_norm,
        tol.eigenvalue
    );

    if let Some(out) = out {
        let summary = Summary {
            k,
            d,
            teacher: teacher_name,
            loss: reported.non_negative(),
            loss_rounding_bound: reported.rounding_bound,
            grad_norm: analysis.grad_norm,
            lambda_min: analysis.lambda_min(),
            lambda_max: analysis.lambda_max(),
            classification: analysis.classification.label(),
            tolerances: TolerancesJson {
                grad_norm: tol.grad_norm,
                eigenvalue: tol.eigenvalue,
            },
            trace_error: analysis.trace_error,
            method,
        };
        let mut spectrum = Table::new("spectrum", &["rank", "eigenvalue"]);
        for (rank, v) in analysis.spectrum.iter().enumerate() {
            spectrum.push(vec![rank.into(), Value::Float(*v)]);
        }
        let target = out.target().to_owned();
        let written = table_to_csv(&spectrum)
            .and_then(|csv| out.write_text("spectrum.csv", &csv))
            .and_then(|_| match &blocks {
                Some(b) => table_to_csv(b).and_then(|csv| out.write_text("blocks.csv", &csv)),
                None => Ok(()),
            })
            .and_then(|_| out.write_json("summary.json", &summary))
            .and_then(|_| out.commit());
        if let Err(e) = written {
            return usage_error(&format!("output not written: {e}"));
        }
        say!("written:        {}", target.display());
    }
    ExitCode::SUCCESS
}

const GIB: f64 = (1u64 << 30) as f64;

/// The `method` of a point with a zero student neuron.
const NO_DERIVATIVES: &str = "none: the loss is not differentiable at a zero student neuron";

/// Which computation a point gets, decided before anything that scales is built.
enum Plan {
    /// Student row i is zero: loss only.
    NonDifferentiable(usize),
    /// Blocks over the isotypic components.
    Symmetric,
    /// Dense Hessian; the estimate was accepted and probed.
    Dense,
}

/// The loss is printed as max(0, L) with the bound on its rounding error: it is never
/// negative, and the exact loss of the given weights lies within the bound of the value.
fn print_loss(loss: &BoundedLoss) {
    say!(
        "loss:           {:.10e}   (rounding error <= {:.1e})",
        loss.non_negative(),
        loss.rounding_bound
    );
}

/// Prints `error: <message>` to stderr and returns exit status 1: the input was valid but the
/// computation could not be done here (memory).
fn runtime_error(message: &str) -> ExitCode {
    eprintln!("error: {message}");
    ExitCode::from(1)
}

/// The result of either path.
enum Analysis {
    Dense(PointAnalysis),
    Symmetric(Box<SymmetricAnalysis>),
}

impl Analysis {
    /// blocks.csv: one row per (component, eigenvalue) with its multiplicity.
    fn blocks_table(&self) -> Option<Table> {
        let Analysis::Symmetric(s) = self else {
            return None;
        };
        let mut t = Table::new(
            "blocks",
            &["component", "partition", "eigenvalue", "multiplicity"],
        );
        for b in &s.spectrum.blocks {
            for &v in &b.eigenvalues {
                t.push(vec![
                    b.component.into(),
                    b.partition.clone().into(),
                    Value::Float(v),
                    b.multiplicity.into(),
                ]);
            }
        }
        Some(t)
    }

    fn point(self) -> PointAnalysis {
        match self {
            Analysis::Dense(a) => a,
            Analysis::Symmetric(s) => s.analysis,
        }
    }
}
