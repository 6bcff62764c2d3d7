//! `overparam certify`: an interval-arithmetic proof that weights a user supplies are near a
//! strict local minimum (or a saddle) of the Gaussian two-layer ReLU population loss, with a
//! rigorous enclosure of the loss there (crates/certify).

use std::path::PathBuf;
use std::process::ExitCode;

use overparam_certify::symmetric::detect_type_a;
use overparam_certify::{Certificate, Options, Route, certify_route};
use overparam_kernel::TwoLayerNet;
use overparam_report::{OutputDir, OutputKind};
use serde::Serialize;

use crate::hessian::{read_net, read_teacher, teacher_name};
use crate::input_args::InputArgs;
use crate::usage_error;

pub const LONG_ABOUT: &str = "Prove, by interval arithmetic (inari, IEEE 1788.1: every rounding \
                  enclosed), what the critical point near the given weights is, for L(W) = 1/2 \
                  E_{x~N(0,I)}[(sum_i relu(w_i.x) - sum_j relu(v_j.x))^2] (output weights 1, \
                  teacher V, default I_d; the closed-form arc-cosine kernel is the model).\n\n\
                  1. Newton's method in floating point refines W (8 printed digits are enough); \
                  a point that moves by more than --max-move (relative) is not critical and is \
                  refused.\n2. Krawczyk's test on X = W + [-r, r]^(kd), r chosen from the Newton \
                  step upward: K(X) inside X proves that the gradient has exactly one zero W* in \
                  X.\n3. For every W in X: lambda_min(Hess L(W)) >= lambda_min(Hc) - ||Hr||_2 \
                  (Weyl; Hc, Hr the midpoint and radius of the interval Hessian), \
                  lambda_min(Hc) bounded below by an interval Cholesky of Hc - sigma I: a \
                  positive bound proves a strict local minimum; or u^T Hess L(W) u < 0 along the \
                  smallest eigenvector u: a saddle.\n4. [lo, hi] encloses L on X; lo > 0 proves \
                  the minimum is not global (spurious).\n\nRefused (not certified, with the \
                  reason): boxes that contain a zero student row, or a student row parallel or \
                  antiparallel to another row or to a teacher row (the loss is not twice \
                  differentiable there; W = V is such a point).\n\nPrinted: the verdict line \
                  (`certified: strict local minimum`, `certified: saddle` or `not certified: \
                  <reason>`), the radius, the loss enclosure, the certified lambda_min lower \
                  bound (or the negative direction's Rayleigh-quotient upper bound), the method \
                  and the time.\n\nRoute: at a point with type-A isotropy Delta(S_{d-1} x \
                  S_1) (k = d, teacher I_d, found within --max-move up to permutations of rows \
                  and columns) the symmetry-reduced route runs: Krawczyk on the 5-parameter \
                  reduced gradient proves a unique critical point in the box of the fixed \
                  subspace (a critical point of the full loss by symmetric criticality; NOT \
                  uniqueness in a full k d box), and the isotypic blocks of the Hessian, each \
                  enclosed over the box, give lambda_min; d = 200 takes about a second. \
                  Otherwise (or with --dense) the dense route, up to --max-parameters weights.\n\n--out DIR: certificate.json (those figures) and \
                  point.csv (the refined point, 17 significant digits), both or neither.\n\n\
                  Input: CSV without header, one row per neuron.\n\nExit status: 0 certified, 1 \
                  not certified, 2 bad input or unwritable output.";

#[derive(clap::Args)]
#[command(allow_negative_numbers = true)]
pub struct CertifyArgs {
    /// Student weights: k rows of d numbers (no header).
    #[arg(long)]
    weights: PathBuf,
    /// Teacher weights: m rows of d numbers (no header). Default: the identity I_d.
    #[arg(long)]
    teacher: Option<PathBuf>,
    /// Write DIR/certificate.json and DIR/point.csv (the --out rules of `hessian`).
    #[arg(long)]
    out: Option<PathBuf>,
    /// Replace --out when it holds previous certify output.
    #[arg(long)]
    force: bool,
    /// Refuse a point that Newton's method moves by more than this, relative to
    /// max(1, max |w|) in the max norm: it was not near a critical point.
    #[arg(long, default_value_t = Options::default().max_move)]
    max_move: f64,
    /// Refuse points for the dense route with more than this many weights k d (the dense
    /// interval Hessian costs (k d)^2 intervals and Krawczyk's test (k d)^3 interval
    /// operations). The symmetry-reduced route has no such limit.
    #[arg(long, default_value_t = 1600)]
    max_parameters: usize,
    /// Use the dense route even when the point has type-A isotropy.
    #[arg(long)]
    dense: bool,
    #[command(flatten)]
    input: InputArgs,
}

#[derive(Serialize)]
struct CertificateJson {
    verdict: String,
    certified: bool,
    spurious: bool,
    k: usize,
    d: usize,
    teacher: String,
    method: String,
    isotropy: Option<String>,
    radius: Option<f64>,
    loss_lower: Option<f64>,
    loss_upper: Option<f64>,
    lambda_min_lower: Option<f64>,
    rayleigh_upper: Option<f64>,
    lambda_min_estimate: Option<f64>,
    krawczyk_contraction: Option<f64>,
    newton_iterations: usize,
    grad_norm: f64,
    moved: f64,
    seconds: f64,
}

pub fn run(args: CertifyArgs) -> ExitCode {
    if !(args.max_move.is_finite() && args.max_move > 0.0) {
        return usage_error("--max-move must be a positive number");
    }
    let reader = args.input.reader();
    let student = match read_net(&reader, &args.weights) {
        Ok(n) => n,
        Err(e) => return usage_error(&e),
    };
    let (k, d) = (student.width(), student.dim());
    let teacher = match read_teacher(&reader, args.teacher.as_deref(), d) {
        Ok(t) => t.unwrap_or_else(|| TwoLayerNet::identity(d)),
        Err(e) => return usage_error(&e),
    };
    let teacher_name = teacher_name(args.teacher.as_deref(), d);
    // The route, from O(k d log d) scans, before anything that scales is built: symmetric when
    // the type-A isotropy is found, dense otherwise, and dense refused before allocating when
    // its (k d)^2 interval Hessian is over --max-parameters.
    let symmetric = if args.dense {
        Err("--dense was given".to_owned())
    } else {
        detect_type_a(&student, &teacher, args.max_move).map(|_| ())
    };
    if let Err(why) = &symmetric
        && k.saturating_mul(d) > args.max_parameters
    {
        let n = k as u128 * d as u128;
        return usage_error(&format!(
            "a {k} x {d} student has {n} weights, over --max-parameters {} for the dense route \
             (its interval Hessian is {n} x {n}, about {:.2} GiB with the floating-point \
             Hessian and eigenvectors, and Krawczyk's test O((k d)^3)); the symmetry-reduced \
             route, which has no such limit, needs k = d, teacher I_d and type-A isotropy up \
             to permutations of rows and columns: no symmetry found: {why}",
            args.max_parameters,
            (40 * n * n) as f64 / (1u64 << 30) as f64
        ));
    }
    let route = if symmetric.is_ok() {
        Route::Symmetric
    } else {
        Route::Dense
    };
    let out = match &args.out {
        Some(dir) => match OutputDir::prepare(dir, OutputKind::Certify, args.force) {
            Ok(o) => Some(o),
            Err(e) => return usage_error(&e.to_string()),
        },
        None => None,
    };
    let options = Options {
        max_move: args.max_move,
        ..Options::default()
    };
    let mut cert = match certify_route(&student, &teacher, options, route) {
        Ok(c) => c,
        Err(e) => return usage_error(&e),
    };
    if let Err(why) = &symmetric
        && !args.dense
    {
        cert.method = format!("dense (no symmetry found: {why})");
    }
    print(&cert, &teacher_name);
    if let Some(out) = out {
        let target = out.target().to_owned();
        let written = out
            .write_text("point.csv", &point_csv(&cert))
            .and_then(|_| out.write_json("certificate.json", &json(&cert, &teacher_name)))
            .and_then(|_| out.commit());
        if let Err(e) = written {
            return usage_error(&format!("output not written: {e}"));
        }
        say!("written:        {}", target.display());
    }
    if cert.verdict.is_certified() {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    }
}

fn print(c: &Certificate, teacher: &str) {
    say!("{}", c.verdict.line());
    say!(
        "point:          k = {} students, d = {}, teacher {teacher}",
        c.k,
        c.d
    );
    say!("method:         {}", c.method);
    if let Some(iso) = &c.isotropy {
        say!("isotropy:       {iso}");
    }
    say!(
        "newton:         {} iterations, gradient norm {:.3e}, moved {:.3e}",
        c.newton_iterations,
        c.grad_norm,
        c.moved
    );
    if let Some(r) = c.radius {
        say!(
            "radius:         {r:.3e}   (Krawczyk contraction {:.3e})",
            c.contraction.unwrap_or(f64::NAN)
        );
    }
    if let Some((lo, hi)) = c.loss {
        say!(
            "loss:           [{lo:.17e}, {hi:.17e}]{}",
            if c.spurious() {
                "   (lo > 0: not a global minimum)"
            } else {
                ""
            }
        );
    }
    if let Some(b) = c.lambda_min_lower {
        say!("lambda_min >=   {b:.6e}   (for every point of the box)");
    }
    if let Some(q) = c.rayleigh_upper {
        say!("rayleigh <=     {q:.6e}   (along the smallest eigenvector, every point of the box)");
    }
    say!("time:           {:.3} s", c.seconds);
}

fn point_csv(c: &Certificate) -> String {
    let mut s = String::new();
    for row in c.point.chunks(c.d) {
        let cells: Vec<String> = row.iter().map(|x| format!("{x:.16e}")).collect();
        s.push_str(&cells.join(","));
        s.push('\n');
    }
    s
}

fn json(c: &Certificate, teacher: &str) -> CertificateJson {
    CertificateJson {
        verdict: c.verdict.line(),
        certified: c.verdict.is_certified(),
        spurious: c.spurious(),
        k: c.k,
        d: c.d,
        teacher: teacher.to_owned(),
        method: c.method.clone(),
        isotropy: c.isotropy.clone(),
        radius: c.radius,
        loss_lower: c.loss.map(|l| l.0),
        loss_upper: c.loss.map(|l| l.1),
        lambda_min_lower: c.lambda_min_lower,
        rayleigh_upper: c.rayleigh_upper,
        lambda_min_estimate: c.lambda_min_estimate,
        krawczyk_contraction: c.contraction,
        newton_iterations: c.newton_iterations,
        grad_norm: c.grad_norm,
        moved: c.moved,
        seconds: c.seconds,
    }
}
