//! Computer-assisted proofs about critical points of the Gaussian two-layer ReLU population loss
//! L(W) = 1/2 E_x[(sum_i relu(w_i.x) - sum_j relu(v_j.x))^2] (unit output weights, first-layer
//! weights W free), by interval arithmetic:
//!
//! 1. refine the given W~ by Newton in floating point ([`krawczyk::refine`]);
//! 2. prove that the gradient has exactly one zero W* in X = W~ + [-r, r]^(kd) (Krawczyk,
//!    [`krawczyk::krawczyk`]), after proving that no point of X is a kink of L
//!    ([`enclosure::Model::smoothness`]);
//! 3. prove lambda_min(Hess L(W)) > 0 for every W in X (Weyl plus an interval Cholesky,
//!    [`definite`]): W* is a strict local minimum; or u^T Hess L(W) u < 0 for every W in X: W*
//!    is a saddle;
//! 4. enclose L over X: a lower end > 0 proves the minimum is not global (L >= 0, and L = 0 at
//!    W = V).
//!
//! What is proved is about the closed-form L of `enclosure` (the arc-cosine kernel), the
//! function the whole project studies: the proof is as good as that formula and inari's
//! rounding.

pub mod definite;
pub mod enclosure;
pub mod krawczyk;
pub mod reduced;
pub mod symmetric;

use std::time::Instant;

use overparam_kernel::{PopulationLoss, TwoLayerNet};

use crate::enclosure::{I, Model, point};
use crate::krawczyk::{KrawczykFailure, krawczyk, linearise, refine};

pub use crate::enclosure::{Formula, NonSmooth, Partner};

/// What was proved.
#[derive(Debug, Clone, PartialEq)]
pub enum Verdict {
    /// A strict local minimum W* exists in the box (and is the only critical point there).
    Minimum,
    /// A saddle W* exists in the box (the only critical point there).
    Saddle,
    /// Nothing was proved, and why.
    NotCertified(String),
}

impl Verdict {
    /// The line `certify` prints.
    pub fn line(&self) -> String {
        match self {
            Verdict::Minimum => "certified: strict local minimum".to_owned(),
            Verdict::Saddle => "certified: saddle".to_owned(),
            Verdict::NotCertified(why) => format!("not certified: {why}"),
        }
    }
    pub fn is_certified(&self) -> bool {
        !matches!(self, Verdict::NotCertified(_))
    }
}

/// Knobs of the certification.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Options {
    /// Newton iterations at most.
    pub newton_iterations: usize,
    /// Refuse when refinement moved the point by more than this (max norm, relative to
    /// max(1, max |W~|)): the input was not near a critical point.
    pub max_move: f64,
    /// Krawczyk radii tried (r0, 10 r0, ...).
    pub radius_tries: usize,
    pub formula: Formula,
}

impl Default for Options {
    fn default() -> Self {
        Options {
            newton_iterations: 50,
            max_move: 1e-6,
            radius_tries: 8,
            formula: Formula::Exact,
        }
    }
}

/// The certificate: the verdict and its figures (None where a step was not reached).
#[derive(Debug, Clone)]
pub struct Certificate {
    pub verdict: Verdict,
    pub k: usize,
    pub d: usize,
    /// The refined point, row-major k x d.
    pub point: Vec<f64>,
    pub newton_iterations: usize,
    /// ||grad_W L|| in floating point at the refined point.
    pub grad_norm: f64,
    /// max |W* - W~_input| over entries of the refined point against the input.
    pub moved: f64,
    pub radius: Option<f64>,
    /// max_i row sum of |I - R H(X)| (Krawczyk's contraction, < 1 when the test passed).
    pub contraction: Option<f64>,
    /// [lo, hi] containing L(W) for every W in the box.
    pub loss: Option<(f64, f64)>,
    /// lambda_min(Hess L(W)) >= this for every W in the box.
    pub lambda_min_lower: Option<f64>,
    /// u^T Hess L(W) u / u^T u <= this for every W in the box (a saddle's direction).
    pub rayleigh_upper: Option<f64>,
    /// Floating-point eigenvalue estimates at the refined point.
    pub lambda_min_estimate: Option<f64>,
    pub lambda_max_estimate: Option<f64>,
    /// "dense", or "symmetry-reduced: ..." with the isotropy found.
    pub method: String,
    /// The isotropy found and used (symmetric route), None for the dense route.
    pub isotropy: Option<String>,
    pub seconds: f64,
}

impl Certificate {
    /// The loss enclosure proves L(W*) > 0: a minimum that is not global.
    pub fn spurious(&self) -> bool {
        self.verdict == Verdict::Minimum && self.loss.is_some_and(|(lo, _)| lo > 0.0)
    }
}

/// An enclosure of L over `x` by the mean-value form L(c) + g(x) . (x - c) (c the box's
/// centre, g(x) the gradient's enclosure), intersected with the direct evaluation: both enclose
/// the range, the first is tight where the gradient is small.
pub fn loss_enclosure(model: &Model, center: &[f64], x: &[I]) -> I {
    let c: Vec<I> = center.iter().map(|&v| point(v)).collect();
    let direct = model.loss(x);
    let g = model.gradient(x);
    let mean_value = g
        .iter()
        .zip(x.iter().zip(&c))
        .fold(model.loss(&c), |acc, (&gi, (&xi, &ci))| {
            gi.mul_add(xi - ci, acc)
        });
    let both = direct.intersection(mean_value);
    if both.is_empty() { direct } else { both }
}

/// Which computation certifies the point.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Route {
    /// Symmetry-reduced when the point has type-A isotropy (k = d, teacher I_d up to row order,
    /// d >= 5, within `Options::max_move` relative, up to permutations), dense otherwise.
    Auto,
    /// The dense (k d)-dimensional computation.
    Dense,
    /// The symmetry-reduced computation only (an error when no type-A isotropy is found).
    Symmetric,
}

/// Certify by the route asked for: `Err` only for `Route::Symmetric` on a point without the
/// symmetry (the reason). `Route::Auto` on a point without it runs the dense route and says
/// so in `method`.
pub fn certify_route(
    student: &TwoLayerNet,
    teacher: &TwoLayerNet,
    options: Options,
    route: Route,
) -> Result<Certificate, String> {
    if route == Route::Dense {
        return Ok(certify(student, teacher, options));
    }
    let start = Instant::now();
    match symmetric::detect_type_a(student, teacher, options.max_move) {
        Ok(found) => Ok(symmetric::certify_symmetric(student, teacher, &found, options, start).0),
        Err(why) if route == Route::Auto => {
            let mut c = certify(student, teacher, options);
            c.method = format!("dense (no symmetry found: {why})");
            Ok(c)
        }
        Err(why) => Err(format!("no symmetry found: {why}")),
    }
}

/// Certify the critical point near `student` (its first-layer rows; output weights are taken
/// as 1, as the `hessian` tool does) of the loss against `teacher` (rows, unit output weights).
pub fn certify(student: &TwoLayerNet, teacher: &TwoLayerNet, options: Options) -> Certificate {
    let start = Instant::now();
    let (k, d) = (student.width(), student.dim());
    let unit = TwoLayerNet::from_flat(d, vec![1.0; k], student.w().to_vec())
        .expect("the student is a valid network");
    let teacher_unit = TwoLayerNet::from_flat(d, vec![1.0; teacher.width()], teacher.w().to_vec())
        .expect("the teacher is a valid network");
    let loss = PopulationLoss::new(teacher_unit);
    let model = Model::new(k, d, teacher.w()).with_formula(options.formula);
    let mut cert = Certificate {
        verdict: Verdict::NotCertified(String::new()),
        k,
        d,
        point: unit.w().to_vec(),
        newton_iterations: 0,
        grad_norm: f64::NAN,
        moved: 0.0,
        radius: None,
        contraction: None,
        loss: None,
        lambda_min_lower: None,
        rayleigh_upper: None,
        lambda_min_estimate: None,
        lambda_max_estimate: None,
        method: "dense".to_owned(),
        isotropy: None,
        seconds: 0.0,
    };
    let finish = |mut c: Certificate, verdict: Verdict| {
        c.verdict = verdict;
        c.seconds = start.elapsed().as_secs_f64();
        c
    };
    // A zero row of the input: no Newton step means anything there.
    let input_box: Vec<I> = unit.w().iter().map(|&v| point(v)).collect();
    if let Err(e @ NonSmooth::ZeroRow { .. }) = model.smoothness(&input_box) {
        return finish(cert, Verdict::NotCertified(e.to_string()));
    }
    let refined = refine(&loss, &unit, options.newton_iterations);
    let scale = unit.w().iter().fold(1.0_f64, |m, x| m.max(x.abs()));
    let moved = refined
        .point
        .iter()
        .zip(unit.w())
        .fold(0.0_f64, |m, (a, b)| m.max((a - b).abs()));
    cert.point = refined.point.clone();
    cert.newton_iterations = refined.iterations;
    cert.grad_norm = refined.grad_norm;
    cert.moved = moved;
    if !refined.grad_norm.is_finite() {
        return finish(
            cert,
            Verdict::NotCertified("the gradient is not finite at the point".to_owned()),
        );
    }
    if moved.is_nan() || moved > options.max_move * scale {
        return finish(
            cert,
            Verdict::NotCertified(format!(
                "the point is not a critical point: Newton's method moved it by {moved:.3e} (max \
                 norm) to gradient norm {:.3e}, more than {:.1e} (relative) from the input",
                refined.grad_norm, options.max_move
            )),
        );
    }
    let net = TwoLayerNet::from_flat(d, vec![1.0; k], refined.point.clone())
        .expect("finite refined point");
    // Smoothness at the refined point itself decides the refusal before any linear algebra.
    let point_box: Vec<I> = refined.point.iter().map(|&v| point(v)).collect();
    if let Err(e) = model.smoothness(&point_box) {
        return finish(cert, Verdict::NotCertified(e.to_string()));
    }
    let lin = match linearise(&loss, &net) {
        Ok(l) => l,
        Err(e) => return finish(cert, Verdict::NotCertified(e)),
    };
    cert.lambda_min_estimate = Some(lin.lambda_min);
    cert.lambda_max_estimate = Some(lin.lambda_max);
    let verified = match krawczyk(&model, &refined.point, &lin.inverse, options.radius_tries) {
        Ok(v) => v,
        Err(KrawczykFailure::NonSmooth(e)) => {
            return finish(cert, Verdict::NotCertified(e.to_string()));
        }
        Err(KrawczykFailure::NotContracting {
            tried,
            contraction,
            newton_step,
        }) => {
            return finish(
                cert,
                Verdict::NotCertified(format!(
                    "no box passed the Krawczyk test (radii {:.1e} to {:.1e}; last contraction \
                     {contraction:.3e}, Newton step {newton_step:.3e}): existence of a critical \
                     point near the input is not proved",
                    tried.first().copied().unwrap_or(f64::NAN),
                    tried.last().copied().unwrap_or(f64::NAN)
                )),
            );
        }
    };
    cert.radius = Some(verified.radius);
    cert.contraction = Some(verified.contraction);
    let l = loss_enclosure(&model, &refined.point, &verified.x);
    // An empty enclosure (only from a wrong formula) proves nothing: no loss is reported, so
    // the point is never called spurious on its strength.
    cert.loss = (!l.is_empty()).then(|| (l.inf(), l.sup()));
    let n = k * d;
    if lin.lambda_min > 0.0 {
        match definite::lambda_min_lower(&verified.hessian, n, lin.lambda_min) {
            Some(b) if b.bound > 0.0 => {
                cert.lambda_min_lower = Some(b.bound);
                finish(cert, Verdict::Minimum)
            }
            other => {
                cert.lambda_min_lower = other.map(|b| b.bound);
                let est = lin.lambda_min;
                finish(
                    cert,
                    Verdict::NotCertified(format!(
                        "a unique critical point exists in the box, but lambda_min (estimated \
                         {est:.3e}) is not proved positive on it"
                    )),
                )
            }
        }
    } else {
        let q = definite::rayleigh_upper(&verified.hessian, n, &lin.min_vector);
        cert.rayleigh_upper = Some(q);
        if q < 0.0 {
            finish(cert, Verdict::Saddle)
        } else {
            let est = lin.lambda_min;
            finish(
                cert,
                Verdict::NotCertified(format!(
                    "a unique critical point exists in the box, but the direction of its \
                     smallest eigenvalue (estimated {est:.3e}) is not proved negative on it"
                )),
            )
        }
    }
}
