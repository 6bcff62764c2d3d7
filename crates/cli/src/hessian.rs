//! `overparam hessian`: loss, gradient and Hessian spectrum of the Gaussian two-layer ReLU
//! population loss at weights a user supplies, with a minimum / saddle / not-critical verdict.
//! This is how a researcher checks a critical point someone else published.

use std::path::PathBuf;
use std::process::ExitCode;

use overparam_kernel::critical::{
    AnalysisError, PointAnalysis, SymmetricAnalysis, Tolerances, analyse_point,
    analyse_symmetric_point, dense_hessian_bytes,
};
use overparam_kernel::symmetry::DETECTION_TOLERANCE;
use overparam_kernel::{PopulationLoss, TwoLayerNet};
use overparam_linalg::Par;
use overparam_report::{OutputDir, table_to_csv};
use overparam_report::{Table, Value};
use serde::Serialize;

use crate::input::read_numeric_csv;
use crate::usage_error;

#[derive(clap::Args)]
#[command(
    long_about = "Loss, gradient norm and Hessian spectrum (with respect to the first-layer \
                  weights W, output weights fixed at 1) of L(W) = 1/2 E_{x~N(0,I)}[(sum_i \
                  relu(w_i.x) - sum_j relu(v_j.x))^2], and a classification: minimum (critical, \
                  lambda_min > eig-tol), saddle (lambda_min < -eig-tol), degenerate (|lambda_min| \
                  <= eig-tol) or not-critical (||grad|| > grad-tol).\n\nThe default gradient \
                  tolerance 1e-7 accepts the gradient that rounding published weights to ten \
                  digits leaves (about 1e-9) and rejects visibly non-critical points.\n\nSymmetric \
                  points: with k = d students and teacher I_d, a W equal (within 1e-12 relative, \
                  up to permuting rows and columns) to alpha I + beta (11^T - I) (isotropy Delta \
                  S_d) or to the type-A shape [[a I + b (11^T - I), c 1], [e 1^T, f]] (isotropy \
                  Delta(S_{d-1} x S_1)) is analysed block by block over the isotypic components \
                  of the symmetry: no dense matrix, any d (d = 200 in well under a second), the \
                  same outputs plus DIR/blocks.csv. --dense forces the dense path.\n\nInput: \
                  CSV without header, one row per neuron, d comma-separated numbers per row."
)]
pub struct HessianArgs {
    /// Student weights: k rows of d numbers (no header).
    #[arg(long)]
    weights: PathBuf,
    /// Teacher weights: m rows of d numbers (no header). Default: the identity I_d.
    #[arg(long)]
    teacher: Option<PathBuf>,
    /// Write DIR/summary.json and DIR/spectrum.csv (rank,eigenvalue ascending); at a symmetric
    /// point also DIR/blocks.csv (component,partition,eigenvalue,multiplicity).
    #[arg(long)]
    out: Option<PathBuf>,
    /// Replace an existing, non-empty --out directory.
    #[arg(long)]
    force: bool,
    /// A point is critical when ||grad_W L|| <= this.
    #[arg(long, default_value_t = Tolerances::PUBLISHED.grad_norm)]
    grad_tol: f64,
    /// Eigenvalues within this of zero count as zero.
    #[arg(long, default_value_t = Tolerances::PUBLISHED.eigenvalue)]
    eig_tol: f64,
    /// Refuse points whose dense Hessian and eigensolver would need more memory than this (GiB).
    #[arg(long, default_value_t = 8.0)]
    memory_limit_gib: f64,
    /// Use the dense Hessian even where the point's symmetry allows the block computation.
    #[arg(long)]
    dense: bool,
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
    loss: f64,
    grad_norm: f64,
    lambda_min: f64,
    lambda_max: f64,
    classification: &'static str,
    tolerances: TolerancesJson,
    /// |sum(eig) - tr H| / ||H||_F: the eigenvalues' own residual.
    trace_error: f64,
    /// "dense", or "symmetry-adapted (isotropy ...)".
    method: String,
}

fn read_net(path: &std::path::Path) -> Result<TwoLayerNet, String> {
    let table = read_numeric_csv(path, false).map_err(|e| e.to_string())?;
    let k = table.rows.len();
    TwoLayerNet::new(vec![1.0; k], &table.rows).map_err(|e| format!("{}: {e}", path.display()))
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
    let student = match read_net(&args.weights) {
        Ok(n) => n,
        Err(e) => return usage_error(&e),
    };
    let d = student.dim();
    let (teacher, teacher_name) = match &args.teacher {
        None => (TwoLayerNet::identity(d), format!("I_{d}")),
        Some(p) => match read_net(p) {
            Ok(t) if t.dim() == d => (t, p.display().to_string()),
            Ok(t) => {
                return usage_error(&format!(
                    "teacher has {} columns but the student has {d}: both must have d columns",
                    t.dim()
                ));
            }
            Err(e) => return usage_error(&e),
        },
    };
    let out = match &args.out {
        Some(dir) => match OutputDir::prepare(dir, None, args.force) {
            Ok(o) => Some(o),
            Err(e) => return usage_error(&e.to_string()),
        },
        None => None,
    };
    let tol = Tolerances {
        grad_norm: args.grad_tol,
        eigenvalue: args.eig_tol,
    };
    let limit = (args.memory_limit_gib * (1u64 << 30) as f64) as u128;
    let k = student.width();
    let loss = PopulationLoss::new(teacher);
    let symmetric = if args.dense {
        None
    } else {
        match analyse_symmetric_point(&loss, &student, tol) {
            Ok(s) => s,
            Err(e) => return usage_error(&format!("cannot analyse the point: {e}")),
        }
    };
    let (analysis, method) = match symmetric {
        Some(s) => {
            let method = format!("symmetry-adapted (isotropy {})", s.spectrum.isotropy.name());
            (Analysis::Symmetric(Box::new(s)), method)
        }
        None => match analyse_point(&loss, &student, tol, limit, Par::rayon(0)) {
            Ok(a) => (Analysis::Dense(a), "dense".to_owned()),
            Err(AnalysisError::Linalg(e @ overparam_linalg::LinalgError::TooLarge { .. })) => {
                return usage_error(&format!(
                    "the dense Hessian of a {k} x {d} student is {n} x {n}: {e} (estimate {:.2} \
                     GiB; raise --memory-limit-gib to try anyway). The point has neither \
                     isotropy Delta S_d nor Delta(S_{{d-1}} x S_1) (within {DETECTION_TOLERANCE:e} \
                     relative, up to permutations, teacher I_d), so the block computation does \
                     not apply.",
                    dense_hessian_bytes(k, d) as f64 / (1u64 << 30) as f64,
                    n = k * d
                ));
            }
            Err(e) => return usage_error(&format!("cannot analyse the point: {e}")),
        },
    };
    let blocks = analysis.blocks_table();
    let analysis = analysis.point();

    say!("point:          k = {k} students, d = {d}, teacher {teacher_name}");
    say!("method:         {method}");
    say!("loss:           {:.10e}", analysis.loss);
    say!(
        "grad norm:      {:.3e}   (critical if <= {:e})",
        analysis.grad_norm,
        tol.grad_norm
    );
    say!("lambda_min:     {:.6e}", analysis.lambda_min());
    say!("lambda_max:     {:.6e}", analysis.lambda_max());
    say!(
        "classification: {}   (tolerances: gradient {:e}, eigenvalue {:e})",
        analysis.classification.name(),
        tol.grad_norm,
        tol.eigenvalue
    );

    if let Some(out) = out {
        let summary = Summary {
            k,
            d,
            teacher: teacher_name,
            loss: analysis.loss,
            grad_norm: analysis.grad_norm,
            lambda_min: analysis.lambda_min(),
            lambda_max: analysis.lambda_max(),
            classification: analysis.classification.name(),
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
