//! Plain gradient descent on the closed-form population loss, with the trajectory recorded on a
//! logarithmic grid of steps and explicit stopping rules.
//!
//! By default both layers move: (a, W) <- (a, W) - lr * grad L(a, W); with
//! [`DescentConfig::first_layer_only`] the output weights stay fixed (the Safran-Shamir
//! protocol). One step costs one [`PopulationLoss::evaluate`] and allocates nothing, so 2e5 steps
//! at k = 12, d = 6 take about a second. Rates such as L(t) ~ t^-3 are read off log-log plots,
//! hence the logarithmic grid: the same number of points in every decade of t.

use std::fmt;

use crate::population::{LossGradient, PopulationLoss, ShapeError, TwoLayerNet};

/// Step size, step budget, grid density, which layers move and when to stop early.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct DescentConfig {
    /// Learning rate (step size) eta > 0.
    pub lr: f64,
    /// Number of gradient steps T >= 1 (the budget when an early stop is set).
    pub steps: u64,
    /// Grid points per decade of the step count (step 0 and the last step are always recorded).
    pub points_per_decade: u32,
    /// Whether the output weights a are trained too.
    pub train_output_weights: bool,
    /// Stop as soon as the norm of the trained gradient is <= this: a critical point.
    pub grad_tol: Option<f64>,
    /// Stop as soon as L <= this. GD with a small step decreases L monotonically, so a run below
    /// a target under every spurious critical value can only end at a global minimum; this ends
    /// over-parameterised runs, whose convergence to degenerate global minima is sublinear.
    pub loss_target: Option<f64>,
}

impl DescentConfig {
    /// `steps` steps of GD on both layers, no early stop.
    pub fn new(lr: f64, steps: u64, points_per_decade: u32) -> Self {
        DescentConfig {
            lr,
            steps,
            points_per_decade,
            train_output_weights: true,
            grad_tol: None,
            loss_target: None,
        }
    }

    /// Keep the output weights fixed; only W moves.
    pub fn first_layer_only(mut self) -> Self {
        self.train_output_weights = false;
        self
    }

    /// Stop when the trained gradient's norm is <= `tol`.
    pub fn stop_at_gradient(mut self, tol: f64) -> Self {
        self.grad_tol = Some(tol);
        self
    }

    /// Stop when the loss is <= `target`.
    pub fn stop_at_loss(mut self, target: f64) -> Self {
        self.loss_target = Some(target);
        self
    }
}

/// Why a run ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Stop {
    /// All `steps` steps were taken (with an early stop set: the point is NOT known to be critical).
    Completed,
    /// The trained gradient's norm fell to `grad_tol`.
    Converged,
    /// The loss fell to `loss_target`.
    LossTarget,
}

/// Loss and gradient norm after `step` updates.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct TrajectoryPoint {
    pub step: u64,
    pub loss: f64,
    /// Euclidean norm of the gradient in the trained parameters: (a, W), or W alone.
    pub grad_norm: f64,
}

/// The outcome of a descent run: the final network and the recorded trajectory.
#[derive(Debug, Clone)]
pub struct DescentRun {
    /// The network after the last update.
    pub network: TwoLayerNet,
    /// One point per grid step, ascending, first at step 0 and last at the final step.
    pub trajectory: Vec<TrajectoryPoint>,
    pub stop: Stop,
}

impl DescentRun {
    /// The last recorded point: steps taken, final loss and gradient norm.
    pub fn end(&self) -> TrajectoryPoint {
        *self.trajectory.last().expect("step 0 is always recorded")
    }
}

/// Why a descent run stopped without a result.
#[derive(Debug, Clone, PartialEq)]
pub enum DescentError {
    /// The student does not fit the teacher (input dimension).
    Shape(ShapeError),
    /// lr <= 0, lr not finite, or zero steps.
    BadConfig(String),
    /// The loss or gradient stopped being finite after `step` updates (the step size is too
    /// large for the curvature, or the objective is unbounded below).
    Diverged { step: u64, loss: f64 },
}

impl fmt::Display for DescentError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            DescentError::Shape(e) => write!(f, "{e}"),
            DescentError::BadConfig(why) => write!(f, "{why}"),
            DescentError::Diverged { step, loss } => write!(
                f,
                "gradient descent diverged after {step} steps (loss {loss:e}, gradient not finite \
                 or loss not finite); try a smaller learning rate"
            ),
        }
    }
}

impl std::error::Error for DescentError {}

impl From<ShapeError> for DescentError {
    fn from(e: ShapeError) -> Self {
        DescentError::Shape(e)
    }
}

/// The steps 0, T and round(10^(k / per_decade)) for k = 0, 1, ... up to T, ascending and
/// without duplicates.
///
/// Runs in time proportional to the grid's length for any `per_decade`: exponents that round
/// to the step just added are skipped rather than visited one by one (with per_decade = 4e9 a
/// u32 exponent used to wrap before reaching T = 10, and the loop never ended). The output is the
/// same as visiting every k (`tests::skipping_exponents_changes_nothing`).
pub fn log_grid(steps: u64, per_decade: u32) -> Vec<u64> {
    let per_decade = f64::from(per_decade.max(1));
    let mut grid = vec![0];
    let mut k: u64 = 0;
    loop {
        let t = 10f64.powf(k as f64 / per_decade).round() as u64;
        if t >= steps {
            break;
        }
        if grid.last() != Some(&t) {
            grid.push(t);
        }
        // The next new step needs 10^(k / per_decade) >= t + 0.5, i.e. k >= per_decade
        // log10(t + 0.5). Every exponent below that estimate minus 2 rounds to t again (the
        // margin covers rounding in log10 and powf), so jumping there skips only repeats.
        let first_new = (per_decade * (t as f64 + 0.5).log10()).floor() as u64;
        k = (k + 1).max(first_new.saturating_sub(2));
    }
    if steps > 0 {
        grid.push(steps);
    }
    grid
}

/// Whether every entry is finite: a fold without early exit, so that it vectorises (the
/// short-circuiting `all` ran one entry per iteration, a few percent of a step at k = d = 10).
fn all_finite(xs: &[f64]) -> bool {
    xs.iter().fold(true, |ok, x| ok & x.is_finite())
}

/// Runs `config.steps` steps of plain gradient descent on `objective` from `init`.
///
/// The loss and gradient norm are recorded at every step of [`log_grid`]. A loss or gradient
/// that is not finite stops the run with [`DescentError::Diverged`].
///
/// Without a loss target the loss is summed only on the steps that report it (the grid, the
/// last step, and a step that converges or whose gradient is not finite, which is evaluated
/// again with its loss); the other steps use [`PopulationLoss::evaluate_gradient`], whose
/// gradient is the same bit for bit, so the run is that of [`gradient_descent_adjusted`] with a
/// no-op `adjust`, except that a loss that overflows while every gradient entry stays finite
/// (weights near 1e77) is reported at the next step whose loss is computed.
pub fn gradient_descent(
    objective: &PopulationLoss,
    init: TwoLayerNet,
    config: &DescentConfig,
) -> Result<DescentRun, DescentError> {
    descend(objective, init, config, true, |_, _| {})
}

/// [`gradient_descent`] with `adjust(net, gradient)` called after every evaluation, before the
/// finiteness check, the stopping rules and the update: it may change the gradient (a negative
/// control's deliberately wrong gradient, e.g. an extra penalty term's) and the step then follows
/// the adjusted gradient. The recorded gradient norm is the adjusted gradient's; the recorded
/// loss is `objective`'s unless `adjust` changes `gradient.loss` too. With a no-op `adjust` this
/// is [`gradient_descent`], bit for bit.
pub fn gradient_descent_adjusted(
    objective: &PopulationLoss,
    init: TwoLayerNet,
    config: &DescentConfig,
    adjust: impl FnMut(&TwoLayerNet, &mut LossGradient),
) -> Result<DescentRun, DescentError> {
    descend(objective, init, config, false, adjust)
}

/// The loop of [`gradient_descent`] (`lazy_loss`: the loss only on the steps that report it)
/// and [`gradient_descent_adjusted`] (every step's loss, as `adjust` may read or change it).
fn descend(
    objective: &PopulationLoss,
    init: TwoLayerNet,
    config: &DescentConfig,
    lazy_loss: bool,
    mut adjust: impl FnMut(&TwoLayerNet, &mut LossGradient),
) -> Result<DescentRun, DescentError> {
    if !(config.lr.is_finite() && config.lr > 0.0) {
        return Err(DescentError::BadConfig(format!(
            "the learning rate must be a positive number, got {}",
            config.lr
        )));
    }
    if config.steps == 0 {
        return Err(DescentError::BadConfig(
            "the number of steps must be positive".to_owned(),
        ));
    }
    let grid = log_grid(config.steps, config.points_per_decade);
    let mut net = init;
    let mut g = LossGradient::new(net.width(), net.dim());
    let mut trajectory = Vec::with_capacity(grid.len());
    let mut next = 0;
    let lazy_loss = lazy_loss && config.loss_target.is_none();
    for step in 0..=config.steps {
        let with_loss = !lazy_loss || grid.get(next) == Some(&step) || step == config.steps;
        if with_loss {
            objective.evaluate(&net, &mut g)?;
        } else {
            objective.evaluate_gradient(&net, &mut g)?;
        }
        adjust(&net, &mut g);
        let finite = all_finite(&g.grad_a) && all_finite(&g.grad_w);
        let grad_norm = if config.train_output_weights {
            g.norm()
        } else {
            g.norm_w()
        };
        let mut loss_known = with_loss;
        if !with_loss && (!finite || config.grad_tol.is_some_and(|t| grad_norm <= t)) {
            // This step ends the run and is reported: evaluated again with its loss (the
            // gradient, and hence `finite` and `grad_norm`, are the same bit for bit).
            objective.evaluate(&net, &mut g)?;
            loss_known = true;
        }
        if !finite || (loss_known && !g.loss.is_finite()) {
            return Err(DescentError::Diverged { step, loss: g.loss });
        }
        let stop = if config.grad_tol.is_some_and(|t| grad_norm <= t) {
            Some(Stop::Converged)
        } else if config.loss_target.is_some_and(|t| g.loss <= t) {
            Some(Stop::LossTarget)
        } else if step == config.steps {
            Some(Stop::Completed)
        } else {
            None
        };
        let point = TrajectoryPoint {
            step,
            loss: g.loss,
            grad_norm,
        };
        if grid.get(next) == Some(&step) {
            trajectory.push(point);
            next += 1;
        }
        if let Some(stop) = stop {
            if trajectory.last() != Some(&point) {
                trajectory.push(point);
            }
            return Ok(DescentRun {
                network: net,
                trajectory,
                stop,
            });
        }
        if config.train_output_weights {
            for (x, dx) in net.a_mut().iter_mut().zip(&g.grad_a) {
                *x -= config.lr * dx;
            }
        }
        for (x, dx) in net.w_mut().iter_mut().zip(&g.grad_w) {
            *x -= config.lr * dx;
        }
    }
    unreachable!("the loop returns at step == config.steps")
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The grid as first written: every exponent visited (k widened to u64 so it cannot wrap).
    fn log_grid_visiting_every_exponent(steps: u64, per_decade: u32) -> Vec<u64> {
        let per_decade = f64::from(per_decade.max(1));
        let mut grid = vec![0];
        let mut k = 0u64;
        loop {
            let t = 10f64.powf(k as f64 / per_decade).round() as u64;
            if t >= steps {
                break;
            }
            if grid.last() != Some(&t) {
                grid.push(t);
            }
            k += 1;
        }
        if steps > 0 {
            grid.push(steps);
        }
        grid
    }

    #[test]
    fn skipping_exponents_changes_nothing() {
        let steps = [
            0, 1, 2, 3, 9, 10, 11, 99, 100, 1000, 12_345, 200_000, 1_000_000,
        ];
        let densities = (1..=64).chain([100, 128, 999, 1000, 4096, 50_000]);
        for per_decade in densities {
            for &t in &steps {
                assert_eq!(
                    log_grid(t, per_decade),
                    log_grid_visiting_every_exponent(t, per_decade),
                    "steps {t}, per_decade {per_decade}"
                );
            }
        }
    }

    #[test]
    fn huge_densities_end_quickly() {
        // per_decade = 4e9 wrapped a u32 exponent before reaching 10: the loop never ended.
        let start = std::time::Instant::now();
        assert_eq!(log_grid(10, 4_000_000_000), (0..=10).collect::<Vec<_>>());
        assert_eq!(log_grid(10, u32::MAX), (0..=10).collect::<Vec<_>>());
        let g = log_grid(u64::MAX, 1);
        assert_eq!(g.len(), 22, "0, 10^0 ..= 10^19 and T: {g:?}");
        assert_eq!(g.last(), Some(&u64::MAX));
        assert!(start.elapsed().as_secs() < 5);
    }

    #[test]
    fn grid_is_logarithmic_and_ends_at_t() {
        assert_eq!(log_grid(100, 2), [0, 1, 3, 10, 32, 100]);
        assert_eq!(log_grid(1, 4), [0, 1]);
        let g = log_grid(200_000, 12);
        assert_eq!(g.first(), Some(&0));
        assert_eq!(g.last(), Some(&200_000));
        assert!(g.windows(2).all(|w| w[0] < w[1]));
        // 12 points in each full decade above the first few integer collisions
        let in_decade = g.iter().filter(|&&t| (1000..10_000).contains(&t)).count();
        assert_eq!(in_decade, 12);
    }

    #[test]
    fn bad_configurations_are_refused() {
        let teacher = TwoLayerNet::identity(2);
        let loss = PopulationLoss::new(teacher.clone());
        for (lr, steps) in [(0.0, 10), (-1.0, 10), (f64::NAN, 10), (0.1, 0)] {
            let cfg = DescentConfig::new(lr, steps, 4);
            assert!(matches!(
                gradient_descent(&loss, teacher.clone(), &cfg),
                Err(DescentError::BadConfig(_))
            ));
        }
    }

    /// A huge step overshoots and the iterates blow up: reported as divergence, never a panic.
    #[test]
    fn divergence_is_an_error() {
        let teacher = TwoLayerNet::identity(3);
        let loss = PopulationLoss::new(teacher.clone());
        let mut start = teacher;
        start.a_mut()[0] = 2.0;
        let cfg = DescentConfig::new(1e3, 10_000, 4);
        assert!(matches!(
            gradient_descent(&loss, start, &cfg),
            Err(DescentError::Diverged { .. })
        ));
    }

    /// Every recorded loss equals a fresh evaluation; the loss never increases at a small step.
    #[test]
    fn small_steps_decrease_the_loss() {
        let teacher = TwoLayerNet::identity(3);
        let loss = PopulationLoss::new(teacher);
        let start = TwoLayerNet::new(
            vec![0.9, 1.1, 0.8],
            &[
                vec![1.0, 0.2, 0.0],
                vec![0.1, 0.9, -0.1],
                vec![0.0, 0.1, 1.2],
            ],
        )
        .unwrap();
        let cfg = DescentConfig::new(0.05, 2000, 8);
        let run = gradient_descent(&loss, start, &cfg).unwrap();
        assert!(run.trajectory.windows(2).all(|w| w[1].loss <= w[0].loss));
        let last = run.trajectory.last().unwrap();
        assert_eq!(last.step, 2000);
        assert_eq!(last.loss, loss.loss(&run.network).unwrap());
    }

    /// An adjustment moves the step: zeroing grad a each step is first-layer-only descent (the
    /// same network bit for bit: a - lr * 0 = a), and a no-op adjustment is plain descent.
    #[test]
    fn adjusted_gradients_drive_the_step() {
        let teacher = TwoLayerNet::identity(3);
        let loss = PopulationLoss::new(teacher);
        let start = TwoLayerNet::from_flat(
            3,
            vec![0.9, 1.1, 1.0],
            vec![1.1, 0.05, 0.0, -0.05, 0.9, 0.1, 0.0, 0.1, 1.05],
        )
        .unwrap();
        let cfg = DescentConfig::new(0.05, 500, 4);
        let plain = gradient_descent(&loss, start.clone(), &cfg).unwrap();
        let noop = gradient_descent_adjusted(&loss, start.clone(), &cfg, |_, _| {}).unwrap();
        assert_eq!(noop.network, plain.network);
        assert_eq!(noop.trajectory, plain.trajectory);
        let fixed_a = gradient_descent_adjusted(&loss, start.clone(), &cfg, |_, g| {
            g.grad_a.iter_mut().for_each(|x| *x = 0.0)
        })
        .unwrap();
        let first = gradient_descent(&loss, start.clone(), &cfg.first_layer_only()).unwrap();
        assert_eq!(fixed_a.network, first.network);
        assert_eq!(fixed_a.network.a(), start.a());
        assert_ne!(fixed_a.network, plain.network);
    }

    /// `gradient_descent` sums the loss only on the steps it reports; `gradient_descent_adjusted`
    /// with a no-op sums it every step: the same runs bit for bit, converging (on and off the
    /// grid), on budget, and diverging (the same step and loss).
    #[test]
    fn lazy_loss_changes_nothing() {
        let teacher = TwoLayerNet::identity(3);
        let loss = PopulationLoss::new(teacher.clone());
        let start = TwoLayerNet::from_flat(
            3,
            vec![0.9, 1.1, 1.0],
            vec![1.1, 0.05, 0.0, -0.05, 0.9, 0.1, 0.0, 0.1, 1.05],
        )
        .unwrap();
        let configs = [
            DescentConfig::new(0.1, 100_000, 2)
                .first_layer_only()
                .stop_at_gradient(1e-10),
            DescentConfig::new(0.05, 100_000, 3).stop_at_gradient(1e-9),
            DescentConfig::new(0.05, 777, 1),
        ];
        for cfg in configs {
            let lazy = gradient_descent(&loss, start.clone(), &cfg).unwrap();
            let eager = gradient_descent_adjusted(&loss, start.clone(), &cfg, |_, _| {}).unwrap();
            assert_eq!(lazy.network, eager.network, "{cfg:?}");
            assert_eq!(lazy.trajectory, eager.trajectory, "{cfg:?}");
            assert_eq!(lazy.stop, eager.stop, "{cfg:?}");
            assert!(lazy.trajectory.iter().all(|p| p.loss.is_finite()));
        }
        let mut blow = teacher;
        blow.a_mut()[0] = 2.0;
        let cfg = DescentConfig::new(1e3, 10_000, 1);
        let lazy = gradient_descent(&loss, blow.clone(), &cfg).unwrap_err();
        let eager = gradient_descent_adjusted(&loss, blow, &cfg, |_, _| {}).unwrap_err();
        match (lazy, eager) {
            (
                DescentError::Diverged { step, loss },
                DescentError::Diverged {
                    step: step_e,
                    loss: loss_e,
                },
            ) => {
                assert_eq!(step, step_e);
                assert_eq!(loss.to_bits(), loss_e.to_bits());
            }
            other => panic!("{other:?}"),
        }
    }

    /// First-layer-only descent stops at a critical point, at the loss target, or on budget, and
    /// never moves the output weights.
    #[test]
    fn stopping_rules_and_fixed_output_weights() {
        let teacher = TwoLayerNet::identity(3);
        let loss = PopulationLoss::new(teacher);
        let start = TwoLayerNet::from_flat(
            3,
            vec![1.0; 3],
            vec![1.1, 0.05, 0.0, -0.05, 0.9, 0.1, 0.0, 0.1, 1.05],
        )
        .unwrap();
        let base = DescentConfig::new(0.1, 100_000, 2).first_layer_only();
        let run = gradient_descent(&loss, start.clone(), &base.stop_at_gradient(1e-10)).unwrap();
        assert_eq!(run.stop, Stop::Converged);
        assert!(run.end().grad_norm <= 1e-10 && run.end().step < 100_000);
        assert_eq!(run.network.a(), start.a());
        let run = gradient_descent(&loss, start.clone(), &base.stop_at_loss(1e-6)).unwrap();
        assert_eq!(run.stop, Stop::LossTarget);
        assert!(run.end().loss <= 1e-6);
        let short = DescentConfig::new(0.1, 3, 2)
            .first_layer_only()
            .stop_at_gradient(1e-12);
        let run = gradient_descent(&loss, start, &short).unwrap();
        assert_eq!((run.stop, run.end().step), (Stop::Completed, 3));
    }
}
