//! Full-batch gradient descent on both layers of a [`ShallowNet`], with a step size derived
//! from the local smoothness and an exact certificate of every step.
//!
//! **Step size.** At theta = (W, V), with Phi = phi(W X), R = V Phi - Y and any direction D,
//! the second derivative of h along D is 2 ||dF[D]||^2 + 2 <R, d^2F[D, D]>, and
//!
//!   ||dF||^2     <= (sigma_max(Phi)^2 + ||V||_2^2 phi'_max^2 ||X||_2^2) ||D||^2,
//!   |<R, d^2F>|  <= (||R||_F phi'_max ||X||_2 + phi''_max max|V^T R| ||X||_2^2) ||D||^2,
//!
//! so beta(theta) = 2 (sigma_max(Phi)^2 + ||V||_F^2 phi'_max^2 ||X||_2^2)
//!                + 2 ||R||_F phi'_max ||X||_2 + 2 phi''_max max|V^T R| ||X||_2^2
//! bounds ||Hess h(theta)||_2 (||V||_F >= ||V||_2). The step is eta_t = 1 / beta(theta_t).
//! A bound at theta_t is not a bound on the whole segment to theta_{t+1}, so every step is then
//! **verified**: it is accepted only if the descent-lemma inequality
//! h(theta_{t+1}) <= h(theta_t) - (eta_t / 2) ||grad h(theta_t)||^2 holds exactly in floating
//! point; otherwise eta_t is halved (a backtrack, counted) and the step retried.
//!
//! With the output-layer PL inequality ||grad_V h||^2 >= 4 sigma_min(Phi)^2 h (valid for
//! d1 >= n), every accepted step then satisfies h_{t+1} <= (1 - 2 eta_t sigma_min(Phi_t)^2) h_t.

use std::fmt;

use overparam_linalg::{
    Accum, GramSpectrum, LinalgError, Mat, MatRef, Par, linear_gram, matmul, sym_eigenvalues,
};

use crate::shallow::{
    Activation, Evaluation, GradientVariant, ShallowData, ShallowError, ShallowNet,
};

/// Halvings allowed in one step before the run is declared broken: 2^-40 ~ 1e-12 of the
/// smoothness step means the bound or the gradient is wrong, not that the step is too long.
const MAX_BACKTRACKS: u32 = 40;

/// How a run is configured.
#[derive(Debug, Clone, Copy)]
pub struct DescentSettings {
    pub activation: Activation,
    pub gradient: GradientVariant,
    /// Step budget.
    pub max_steps: usize,
    /// Stop as soon as h_t <= target_ratio * h_0.
    pub target_ratio: f64,
    /// Compute sigma_min and sigma_max of Phi_t exactly (eigenvalues of Phi_t^T Phi_t) at
    /// every iterate. Without it sigma_max comes from a warm-started power iteration (a lower
    /// estimate, which the descent-lemma verification makes safe) and sigma_min is NaN.
    pub track_spectrum: bool,
}

/// What happened at one iterate t (the step from theta_t to theta_{t+1}).
#[derive(Debug, Clone, Copy)]
pub struct StepRecord {
    pub step: usize,
    /// h(theta_t).
    pub loss: f64,
    /// h(theta_{t+1}).
    pub next_loss: f64,
    /// The accepted step size.
    pub eta: f64,
    /// beta(theta_t), the local smoothness bound.
    pub smoothness: f64,
    /// Halvings needed before the descent-lemma inequality held.
    pub backtracks: u32,
    /// ||grad_V h(theta_t)||_F^2 (of the gradient actually used).
    pub grad_v_sq: f64,
    /// ||grad h(theta_t)||^2 over both layers.
    pub grad_sq: f64,
    /// sigma_min(Phi_t) (the n-th singular value; 0 for d1 < n), NaN if not tracked.
    pub sigma_min: f64,
    /// sigma_max(Phi_t) (exact if tracked, else the power-iteration estimate).
    pub sigma_max: f64,
    /// |sum eig - tr| / ||.||_F of the Gram eigendecomposition (0 if not tracked).
    pub gram_trace_error: f64,
    /// ||V_t||_F (the spectral norm for d2 = 1): the paper's chi_max is its supremum.
    pub v_norm: f64,
}

/// How a run ended.
#[derive(Debug, Clone, Copy)]
pub struct DescentSummary {
    pub initial_loss: f64,
    pub final_loss: f64,
    /// Steps taken.
    pub steps: usize,
    /// h_T <= target_ratio * h_0.
    pub reached_target: bool,
    /// Total halvings over the run.
    pub backtracks: u64,
}

/// Why a run could not be completed.
#[derive(Debug, Clone, PartialEq)]
pub enum DescentError {
    Shallow(ShallowError),
    Linalg(LinalgError),
    /// No step size down to 2^-40 / beta decreased the loss enough.
    StepCollapsed {
        step: usize,
    },
}

impl fmt::Display for DescentError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            DescentError::Shallow(e) => write!(f, "{e}"),
            DescentError::Linalg(e) => write!(f, "{e}"),
            DescentError::StepCollapsed { step } => write!(
                f,
                "step {step}: the descent-lemma inequality failed for every step size down to \
                 2^-{MAX_BACKTRACKS} / beta"
            ),
        }
    }
}

impl std::error::Error for DescentError {}

impl From<ShallowError> for DescentError {
    fn from(e: ShallowError) -> Self {
        DescentError::Shallow(e)
    }
}
impl From<LinalgError> for DescentError {
    fn from(e: LinalgError) -> Self {
        DescentError::Linalg(e)
    }
}

/// sigma_max(X) of the data, from the eigenvalues of X X^T (d0 x d0).
pub fn data_spectral_norm(data: &ShallowData) -> Result<f64, LinalgError> {
    let g = linear_gram(data.x.as_ref(), Par::Seq);
    let e = sym_eigenvalues(g.as_ref(), Par::Seq)?;
    Ok(e.values.last().copied().unwrap_or(0.0).max(0.0).sqrt())
}

/// Warm-started power iteration for sigma_max(Phi) (allocation-free after construction).
struct PowerIteration {
    u: Mat<f64>,
    t: Mat<f64>,
}

impl PowerIteration {
    /// Iterations per call: the top singular value of the features (the constant Hermite
    /// mode of a non-odd activation) is well separated and moves little between iterates, so
    /// a few warm-started iterations track it. The estimate is a Rayleigh quotient, i.e. from
    /// below; a step that is too long as a result is caught by the descent-lemma check.
    const ITERATIONS: usize = 4;

    fn new(d1: usize, n: usize) -> Self {
        PowerIteration {
            u: Mat::from_fn(n, 1, |_, _| 1.0 / (n as f64).sqrt()),
            t: Mat::zeros(d1, 1),
        }
    }

    fn estimate(&mut self, phi: MatRef<'_, f64>) -> f64 {
        let mut sigma = 0.0;
        for _ in 0..Self::ITERATIONS {
            matmul(
                self.t.as_mut(),
                Accum::Replace,
                phi,
                self.u.as_ref(),
                1.0,
                Par::Seq,
            );
            sigma = self.t.norm_l2();
            matmul(
                self.u.as_mut(),
                Accum::Replace,
                phi.transpose(),
                self.t.as_ref(),
                1.0,
                Par::Seq,
            );
            let norm = self.u.norm_l2();
            if norm == 0.0 {
                return 0.0;
            }
            for j in 0..self.u.nrows() {
                self.u[(j, 0)] /= norm;
            }
        }
        sigma
    }
}

/// Runs gradient descent from `net` (updated in place to the last iterate), calling `on_step`
/// after every accepted step. The step is eta_t = 1 / beta(theta_t), halved until the
/// descent-lemma inequality holds (module documentation); a non-finite loss is an error.
/// [`fixed_step_descent`] is the same loop with a constant step and no check.
pub fn gradient_descent(
    net: &mut ShallowNet,
    data: &ShallowData,
    settings: &DescentSettings,
    mut on_step: impl FnMut(&StepRecord),
) -> Result<DescentSummary, DescentError> {
    let x_norm = data_spectral_norm(data)?;
    let policy = StepPolicy::Smoothness {
        x_norm,
        power: PowerIteration::new(net.width(), data.len()),
    };
    let loop_settings = LoopSettings {
        activation: settings.activation,
        gradient: settings.gradient,
        max_steps: settings.max_steps,
        target_ratio: settings.target_ratio,
        track_spectrum: settings.track_spectrum,
    };
    let end = descent_loop(net, data, &loop_settings, policy, |r| {
        on_step(r);
        true
    })?;
    Ok(DescentSummary {
        initial_loss: end.initial_loss,
        final_loss: end.final_loss,
        steps: end.steps,
        reached_target: end.reached_target,
        backtracks: end.backtracks,
    })
}

/// How [`descent_loop`] chooses the step at each iterate: the step-size policy that is all
/// [`gradient_descent`] and [`fixed_step_descent`] differ in.
enum StepPolicy {
    /// eta_t = 1 / beta(theta_t) (sigma_max(Phi_t) from `power` when the spectrum is not
    /// tracked), halved until the descent-lemma inequality holds; a non-finite loss or gradient
    /// is an error.
    Smoothness { x_norm: f64, power: PowerIteration },
    /// eta_t = eta, every step taken unchecked; a non-finite loss or gradient ends the run with
    /// `diverged` set.
    Constant(f64),
}

/// The settings both public runners share.
struct LoopSettings {
    activation: Activation,
    gradient: GradientVariant,
    max_steps: usize,
    target_ratio: f64,
    track_spectrum: bool,
}

/// What [`descent_loop`] returns: the union of both runners' summaries.
struct LoopEnd {
    initial_loss: f64,
    final_loss: f64,
    steps: usize,
    reached_target: bool,
    backtracks: u64,
    diverged: bool,
    stopped: bool,
}

/// `Ok(None)` for a non-finite result when the policy tolerates it (`tolerate`), else the
/// error.
fn finite_or_diverged<T>(
    r: Result<T, ShallowError>,
    tolerate: bool,
) -> Result<Option<T>, DescentError> {
    match r {
        Ok(v) => Ok(Some(v)),
        Err(ShallowError::NonFinite { .. }) if tolerate => Ok(None),
        Err(e) => Err(e.into()),
    }
}

/// The descent loop of both runners: from `net` (updated in place to the last iterate) until
/// `max_steps`, h_t <= target_ratio * h_0, a diverged step (constant policy only) or `on_step`
/// returning false.
fn descent_loop(
    net: &mut ShallowNet,
    data: &ShallowData,
    settings: &LoopSettings,
    mut policy: StepPolicy,
    mut on_step: impl FnMut(&StepRecord) -> bool,
) -> Result<LoopEnd, DescentError> {
    let act = settings.activation;
    let mut current = Evaluation::for_problem(net, data)?;
    let mut trial_eval = current.clone();
    let mut trial_net = net.clone();
    let mut gram = settings
        .track_spectrum
        .then(|| GramSpectrum::new(data.len()));

    let initial_loss = current.forward(net, data, act)?;
    current.backward(net, data, settings.gradient)?;
    let target = settings.target_ratio * initial_loss;
    let tolerate_divergence = matches!(policy, StepPolicy::Constant(_));
    let mut backtracks_total = 0u64;
    let mut steps = 0;
    let mut diverged = false;
    let mut stopped = false;

    while steps < settings.max_steps && current.loss > target {
        let (sigma_min, sigma_max, gram_trace_error) = match (gram.as_mut(), &mut policy) {
            (Some(g), _) => {
                let e = g.compute(current.phi.as_ref())?;
                let sigma_min = if net.width() < data.len() {
                    0.0
                } else {
                    e.sigma_min()
                };
                (sigma_min, e.sigma_max(), e.trace_error)
            }
            (None, StepPolicy::Smoothness { power, .. }) => {
                (f64::NAN, power.estimate(current.phi.as_ref()), 0.0)
            }
            (None, StepPolicy::Constant(_)) => (f64::NAN, f64::NAN, 0.0),
        };
        let v_norm = net.v.norm_l2();
        let grad_sq = current.grad_norm_sq();
        let grad_v_sq = current.grad_v_norm_sq();
        let (eta, smoothness, backtracks, next_loss) = match &policy {
            StepPolicy::Smoothness { x_norm, .. } => {
                let smoothness = local_smoothness_bound(net, &current, act, *x_norm, sigma_max);
                let mut eta = 1.0 / smoothness;
                let mut backtracks = 0;
                let next_loss = loop {
                    trial_net.assign_step(net, &current, eta);
                    let h = trial_eval.forward(&trial_net, data, act)?;
                    if h <= current.loss - 0.5 * eta * grad_sq {
                        break h;
                    }
                    backtracks += 1;
                    if backtracks > MAX_BACKTRACKS {
                        return Err(DescentError::StepCollapsed { step: steps });
                    }
                    eta *= 0.5;
                };
                (eta, smoothness, backtracks, next_loss)
            }
            &StepPolicy::Constant(eta) => {
                trial_net.assign_step(net, &current, eta);
                let forward = trial_eval.forward(&trial_net, data, act);
                match finite_or_diverged(forward, tolerate_divergence)? {
                    Some(h) => (eta, f64::NAN, 0, h),
                    None => {
                        diverged = true;
                        break;
                    }
                }
            }
        };
        let backward = trial_eval.backward(&trial_net, data, settings.gradient);
        if finite_or_diverged(backward, tolerate_divergence)?.is_none() {
            diverged = true;
            break;
        }
        let go_on = on_step(&StepRecord {
            step: steps,
            loss: current.loss,
            next_loss,
            eta,
            smoothness,
            backtracks,
            grad_v_sq,
            grad_sq,
            sigma_min,
            sigma_max,
            gram_trace_error,
            v_norm,
        });
        backtracks_total += backtracks as u64;
        std::mem::swap(net, &mut trial_net);
        std::mem::swap(&mut current, &mut trial_eval);
        steps += 1;
        if !go_on {
            stopped = true;
            break;
        }
    }
    Ok(LoopEnd {
        initial_loss,
        final_loss: current.loss,
        steps,
        reached_target: current.loss <= target,
        backtracks: backtracks_total,
        diverged,
        stopped,
    })
}

/// beta(theta): an upper bound on ||Hess h(theta)||_2 at the point of `eval` (after its
/// forward pass), from sigma_max(Phi), ||V||_F >= ||V||_2, ||X||_2 = `x_norm`, the residual and
/// the activation's derivative bounds (derivation in the module documentation).
pub fn local_smoothness_bound(
    net: &ShallowNet,
    eval: &Evaluation,
    activation: Activation,
    x_norm: f64,
    sigma_max: f64,
) -> f64 {
    let slope_max = activation.slope_bound();
    let curvature_max = activation.curvature_bound();
    let v_norm = net.v.norm_l2();
    let r_norm = eval.loss.sqrt();
    let vtr_max = max_abs_vtr(net, eval);
    2.0 * (sigma_max.powi(2) + (v_norm * slope_max * x_norm).powi(2))
        + 2.0 * r_norm * slope_max * x_norm
        + 2.0 * curvature_max * vtr_max * x_norm * x_norm
}

/// max |(V^T R)_{ka}| = max_k |v_k| * max_a |r_a| for d2 = 1; in general the max over the
/// d1 x n product, computed column by column without storing it.
fn max_abs_vtr(net: &ShallowNet, eval: &Evaluation) -> f64 {
    let (d2, d1) = (net.v.nrows(), net.v.ncols());
    let n = eval.r.ncols();
    let mut m = 0.0f64;
    for a in 0..n {
        for k in 0..d1 {
            let s: f64 = (0..d2).map(|o| net.v[(o, k)] * eval.r[(o, a)]).sum();
            m = m.max(s.abs());
        }
    }
    m
}

/// How a fixed-step run is configured.
#[derive(Debug, Clone, Copy)]
pub struct FixedStepSettings {
    pub activation: Activation,
    pub gradient: GradientVariant,
    /// The constant step size eta (the theorem's GD: w_{i+1} = w_i - eta grad h(w_i)).
    pub eta: f64,
    /// Step budget.
    pub max_steps: usize,
    /// Stop as soon as h_t <= target_ratio * h_0.
    pub target_ratio: f64,
    /// Compute sigma_min and sigma_max of Phi_t exactly at every iterate (else NaN).
    pub track_spectrum: bool,
}

/// Gradient descent with a **constant** step `settings.eta`: no backtracking, no step
/// adaptation, so nothing in the runner guarantees that a step decreases the loss (unlike
/// [`gradient_descent`], whose descent-lemma check makes every accepted step contract; both are
/// one loop with a different step-size policy). The loss sequence is therefore an experimental
/// outcome. `on_step` sees every step and returns whether to continue (a caller stops a run
/// once the prediction it tests has failed). A run whose loss leaves the floating-point range
/// ends with `diverged` set instead of an error. Without `track_spectrum` the records'
/// sigma_max is NaN (no power iteration: nothing here uses it), and their smoothness is NaN.
pub fn fixed_step_descent(
    net: &mut ShallowNet,
    data: &ShallowData,
    settings: &FixedStepSettings,
    on_step: impl FnMut(&StepRecord) -> bool,
) -> Result<FixedStepSummary, DescentError> {
    let loop_settings = LoopSettings {
        activation: settings.activation,
        gradient: settings.gradient,
        max_steps: settings.max_steps,
        target_ratio: settings.target_ratio,
        track_spectrum: settings.track_spectrum,
    };
    let end = descent_loop(
        net,
        data,
        &loop_settings,
        StepPolicy::Constant(settings.eta),
        on_step,
    )?;
    Ok(FixedStepSummary {
        initial_loss: end.initial_loss,
        final_loss: end.final_loss,
        steps: end.steps,
        reached_target: end.reached_target,
        diverged: end.diverged,
        stopped: end.stopped,
    })
}

/// How a fixed-step run ended.
#[derive(Debug, Clone, Copy)]
pub struct FixedStepSummary {
    pub initial_loss: f64,
    /// h of the last finite iterate.
    pub final_loss: f64,
    pub steps: usize,
    pub reached_target: bool,
    /// The next loss was not finite: the run left the floating-point range.
    pub diverged: bool,
    /// `on_step` asked to stop.
    pub stopped: bool,
}
