//! The experiment of the allen-zhu2019 claims: full-batch gradient descent on a deep ReLU
//! network in the paper's parametrisation (first layer A and output B fixed, the m x m layers
//! W_1..W_L trained), with the empirical NTK along the way, the per-layer movement, and the
//! kernel prediction of the residual.

use overparam_kernel::SeedPath;
use overparam_kernel::deep::{
    DeepError, DeepReluNet, Parametrisation, Trained, empirical_ntk, gram_spectrum,
    kernel_prediction, loss_and_gradient,
};
use overparam_linalg::{Mat, Par, sym_eigenvalues};
use rand_distr::{Distribution, StandardNormal};

/// The data of one replicate: n points on the unit sphere of R^d whose last coordinate is
/// 1/sqrt(2) (the paper's bias trick), and standard normal targets.
#[derive(Debug, Clone)]
pub struct Data {
    pub x: Mat<f64>,
    pub y: Vec<f64>,
    /// min_(i != j) ||x_i - x_j||: the paper's delta.
    pub separation: f64,
}

/// Which data set a run trains on.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum DataVariant {
    /// n distinct points (delta > 0).
    Separated,
    /// The last point replaced by a copy of the first with target y_1 + `gap`: delta = 0, and
    /// no network fits both, so F >= gap^2 / 4 for every parameter.
    DuplicateConflict { gap: f64 },
}

/// n points x_i = (z_i / (sqrt 2 |z_i|), 1 / sqrt 2) with z_i standard normal in R^(d-1), and
/// y_i standard normal, all drawn from `seed`.
pub fn sphere_data(n: usize, d: usize, variant: DataVariant, seed: &SeedPath) -> Data {
    let mut rng = seed.rng();
    let mut x = Mat::<f64>::zeros(n, d);
    let half = std::f64::consts::FRAC_1_SQRT_2;
    for i in 0..n {
        let z: Vec<f64> = (0..d - 1)
            .map(|_| StandardNormal.sample(&mut rng))
            .collect();
        let norm = z.iter().map(|v| v * v).sum::<f64>().sqrt();
        for (j, v) in z.iter().enumerate() {
            x[(i, j)] = half * v / norm;
        }
        x[(i, d - 1)] = half;
    }
    let mut y: Vec<f64> = (0..n).map(|_| StandardNormal.sample(&mut rng)).collect();
    if let DataVariant::DuplicateConflict { gap } = variant {
        for j in 0..d {
            x[(n - 1, j)] = x[(0, j)];
        }
        y[n - 1] = y[0] + gap;
    }
    let mut separation = f64::INFINITY;
    for i in 0..n {
        for k in i + 1..n {
            let dist = (0..d)
                .map(|j| (x[(i, j)] - x[(k, j)]).powi(2))
                .sum::<f64>()
                .sqrt();
            separation = separation.min(dist);
        }
    }
    Data { x, y, separation }
}

/// One gradient-descent run.
#[derive(Debug, Clone, Copy)]
pub struct RunSetup {
    /// Number of trained m x m layers (the paper's L); the network has L + 1 hidden layers.
    pub layers: usize,
    pub width: usize,
    /// f = output_scale * B h_L; 1 is the paper's scaling.
    pub output_scale: f64,
    /// eta = lr_factor / lambda_max(K(0)).
    pub lr_factor: f64,
    /// Most gradient steps.
    pub max_steps: u64,
    /// Stop once F is below this.
    pub stop_below: f64,
    /// The empirical NTK is recomputed every this many steps (and at the last step).
    pub ntk_every: u64,
}

/// F, ||grad F||^2 and the residual norms at one step.
#[derive(Debug, Clone, Copy)]
pub struct StepRow {
    pub step: u64,
    pub loss: f64,
    pub grad_norm_squared: f64,
    /// ||u(t) - y|| = sqrt(2 F).
    pub residual: f64,
    /// sqrt(sum_i (1 - eta lambda_i)^(2t) (v_i . r_0)^2), the eigenpairs of K(0).
    pub predicted: f64,
    /// ||r(t) - (I - eta K(0))^t r(0)||: the residual against the linearised (kernel) dynamics,
    /// an upper bound on |residual - predicted|.
    pub linear_gap: f64,
    /// ||(I - eta K(0))^t r(0)||, iterated step by step: equals `predicted` up to rounding.
    pub linear_residual: f64,
}

/// The empirical NTK at one step.
#[derive(Debug, Clone, Copy)]
pub struct KernelRow {
    pub step: u64,
    pub lambda_min: f64,
    /// ||K(t) - K(0)||_F / ||K(0)||_F.
    pub change: f64,
    /// ||K(t) - K(0)||_2, the largest |eigenvalue| of the difference (Weyl: lambda_min(K(t))
    /// >= lambda_min(K(0)) - this).
    pub spectral_change: f64,
    /// ||W_l(t) - W_l(0)||_F for each trained layer.
    pub movement_first: f64,
    pub movement_last: f64,
}

/// What one run measured.
#[derive(Debug, Clone)]
pub struct RunResult {
    pub width: usize,
    /// The step budget of this run ([`RunSetup::max_steps`]).
    pub budget: u64,
    pub lr: f64,
    pub lambda_min0: f64,
    pub lambda_max0: f64,
    pub steps: Vec<StepRow>,
    pub kernel: Vec<KernelRow>,
    /// ||W_l(T) - W_l(0)||_F per trained layer.
    pub movement: Vec<f64>,
    /// ||W_l(0)||_F per trained layer.
    pub initial_norm: Vec<f64>,
    /// The largest eigensolver residual met.
    pub eigen_residual: f64,
}

impl RunResult {
    pub fn final_loss(&self) -> f64 {
        self.steps.last().map_or(f64::NAN, |s| s.loss)
    }
}

/// Runs gradient descent from the network drawn from `seed` on `data`.
pub fn run(setup: &RunSetup, data: &Data, seed: &SeedPath) -> Result<RunResult, DeepError> {
    let par = Par::Seq;
    let d = data.x.ncols();
    let net = DeepReluNet::init(
        Parametrisation::Standard,
        d,
        setup.width,
        setup.layers + 1,
        seed,
    )?
    .with_output_scale(setup.output_scale);
    let trained = Trained::Hidden;
    let k0 = empirical_ntk(&net, data.x.as_ref(), trained, par)?;
    let eigen = gram_spectrum(k0.as_ref(), par)?;
    let mut eigen_residual = eigen.residual.max(eigen.orthogonality);
    let lambda_min0 = eigen.values[0];
    let lambda_max0 = *eigen.values.last().expect("n >= 1");
    // A network whose every unit is inactive on the data has K(0) = 0 and no gradient: it
    // cannot move, and takes no step (eta = 0 marks it).
    let lr = if lambda_max0 > 0.0 {
        setup.lr_factor / lambda_max0
    } else {
        0.0
    };
    let k0_norm = k0.norm_l2();
    let mut current = net.clone();
    let mut steps = Vec::new();
    let mut kernel = Vec::new();
    let mut r0: Vec<f64> = Vec::new();
    // r_lin(t) = (I - eta K(0))^t r(0), one n x n product per step.
    let mut r_lin: Vec<f64> = Vec::new();
    let n = data.y.len();
    let mut step = 0u64;
    let movement =
        |a: &DeepReluNet, b: &DeepReluNet, l: usize| (&b.layers()[l] - &a.layers()[l]).norm_l2();
    loop {
        let g = loss_and_gradient(&current, data.x.as_ref(), &data.y, par)?;
        if !g.loss.is_finite() {
            return Err(DeepError::Diverged { step });
        }
        if step == 0 {
            r0 = g.residuals.iter().map(|r| -r).collect();
            r_lin = r0.clone();
        }
        let linear_gap = g
            .residuals
            .iter()
            .zip(&r_lin)
            .map(|(r, l)| (-r - l) * (-r - l))
            .sum::<f64>()
            .sqrt();
        let linear_residual = r_lin.iter().map(|l| l * l).sum::<f64>().sqrt();
        let done = step == setup.max_steps || g.loss < setup.stop_below || lr == 0.0;
        steps.push(StepRow {
            step,
            loss: g.loss,
            grad_norm_squared: g.norm_squared(trained),
            residual: (2.0 * g.loss).sqrt(),
            predicted: kernel_prediction(&eigen, lr, &r0, step),
            linear_gap,
            linear_residual,
        });
        if done || step.is_multiple_of(setup.ntk_every) {
            let k = empirical_ntk(&current, data.x.as_ref(), trained, par)?;
            let e = gram_spectrum(k.as_ref(), par)?;
            eigen_residual = eigen_residual.max(e.residual.max(e.orthogonality));
            let diff = &k - &k0;
            let spectral_change = if step == 0 {
                0.0
            } else {
                let dv = sym_eigenvalues(diff.as_ref(), par).map_err(DeepError::Eigen)?;
                crate::kit::sup_abs(dv.values.iter().copied())
            };
            kernel.push(KernelRow {
                step,
                lambda_min: e.values[0],
                change: diff.norm_l2() / k0_norm,
                spectral_change,
                movement_first: movement(&net, &current, 1),
                movement_last: movement(&net, &current, setup.layers),
            });
        }
        if done {
            break;
        }
        for (l, (w, gl)) in current.layers_mut().iter_mut().zip(&g.layers).enumerate() {
            if trained.layer(l) {
                for j in 0..w.ncols() {
                    for (wv, &gv) in w.col_as_slice_mut(j).iter_mut().zip(gl.col_as_slice(j)) {
                        *wv -= lr * gv;
                    }
                }
            }
        }
        let kr: Vec<f64> = (0..n)
            .map(|i| (0..n).map(|j| k0[(i, j)] * r_lin[j]).sum::<f64>())
            .collect();
        for (l, k) in r_lin.iter_mut().zip(&kr) {
            *l -= lr * k;
        }
        step += 1;
    }
    let movement = (1..=setup.layers)
        .map(|l| movement(&net, &current, l))
        .collect();
    let initial_norm = (1..=setup.layers)
        .map(|l| net.layers()[l].norm_l2())
        .collect();
    Ok(RunResult {
        width: setup.width,
        budget: setup.max_steps,
        lr,
        lambda_min0,
        lambda_max0,
        steps,
        kernel,
        movement,
        initial_norm,
        eigen_residual,
    })
}

/// Steps per window of the per-window contraction.
pub const WINDOW: usize = 50;

/// The numbers each criterion reads from one run.
#[derive(Debug, Clone)]
pub struct RunSummary {
    pub width: usize,
    pub replicate: u64,
    /// Gradient steps taken, and the budget.
    pub steps: u64,
    pub budget: u64,
    pub final_loss: f64,
    pub lr: f64,
    pub lambda_min0: f64,
    pub lambda_max0: f64,
    /// min_t lambda_min(K(t)) / lambda_min(K(0)) over the recorded kernels.
    pub lambda_ratio: f64,
    /// min_t ||grad F||^2 / F, divided by m.
    pub pl_over_m: f64,
    /// ||W_l(T) - W_l(0)||_F per trained layer, and their geometric mean.
    pub movement: Vec<f64>,
    pub movement_geo: f64,
    /// movement_geo / (geometric mean of ||W_l(0)||_F).
    pub movement_relative: f64,
    /// ||K(T) - K(0)||_F / ||K(0)||_F.
    pub kernel_change: f64,
    /// max_t ||K(t) - K(0)||_2 / lambda_min(K(0)) over the recorded kernels: below 1/2, Weyl's
    /// inequality gives lambda_min(K(t)) >= lambda_min(K(0)) / 2.
    pub weyl_ratio: f64,
    /// min_t (lambda_min(K(t)) - lambda_min(K(0)) + ||K(t) - K(0)||_2) / lambda_max(K(0)):
    /// Weyl's inequality says it is >= 0 (up to rounding).
    pub weyl_slack: f64,
    /// max_t | ||u(t) - y|| - kernel prediction | / ||u(0) - y||.
    pub prediction_error: f64,
    /// max_t ||r(t) - (I - eta K(0))^t r(0)|| / ||r(0)|| (bounds prediction_error).
    pub linear_gap: f64,
    /// max_t | ||(I - eta K(0))^t r(0)|| - kernel prediction | / ||r(0)||: an identity.
    pub prediction_identity: f64,
    /// min over full windows before the stop of ln(F(t) / F(t + W)) / (W eta lambda_lo), with
    /// lambda_lo = min_t lambda_min(K(t)) along the run.
    pub window_rate: f64,
    /// F(T) / F(T - W) over the last full window (1 when the loss plateaus).
    pub last_window_ratio: f64,
    pub eigen_residual: f64,
}

fn geometric_mean(values: &[f64]) -> f64 {
    (values.iter().map(|v| v.ln()).sum::<f64>() / values.len() as f64).exp()
}

impl RunResult {
    /// The criteria's numbers for this run.
    pub fn summary(&self, replicate: u64) -> RunSummary {
        let lambda_lo = crate::kit::least(self.kernel.iter().map(|k| k.lambda_min));
        let pl = crate::kit::least(self.steps.iter().map(|s| s.grad_norm_squared / s.loss));
        let r0 = self.steps.first().map_or(f64::NAN, |s| s.residual);
        let prediction_error = crate::kit::worst(
            self.steps
                .iter()
                .map(|s| (s.residual - s.predicted).abs() / r0),
        );
        let linear_gap = crate::kit::worst(self.steps.iter().map(|s| s.linear_gap / r0));
        let prediction_identity = crate::kit::worst(
            self.steps
                .iter()
                .map(|s| (s.linear_residual - s.predicted).abs() / r0),
        );
        let mut window_rate = f64::INFINITY;
        let mut last_window_ratio = f64::NAN;
        let mut i = 0;
        while i + WINDOW < self.steps.len() {
            let ratio = self.steps[i + WINDOW].loss / self.steps[i].loss;
            let rate = -ratio.ln() / (WINDOW as f64 * self.lr * lambda_lo);
            window_rate = crate::kit::least([window_rate, rate]);
            i += WINDOW;
        }
        if self.steps.len() > WINDOW {
            let last = self.steps.len() - 1;
            last_window_ratio = self.steps[last].loss / self.steps[last - WINDOW].loss;
        }
        let movement_geo = geometric_mean(&self.movement);
        RunSummary {
            width: self.width,
            replicate,
            steps: self.steps.last().map_or(0, |s| s.step),
            budget: self.budget,
            final_loss: self.final_loss(),
            lr: self.lr,
            lambda_min0: self.lambda_min0,
            lambda_max0: self.lambda_max0,
            lambda_ratio: lambda_lo / self.lambda_min0,
            pl_over_m: pl / self.width as f64,
            movement: self.movement.clone(),
            movement_geo,
            movement_relative: movement_geo / geometric_mean(&self.initial_norm),
            kernel_change: self.kernel.last().map_or(f64::NAN, |k| k.change),
            weyl_ratio: crate::kit::worst(
                self.kernel
                    .iter()
                    .map(|k| k.spectral_change / self.lambda_min0),
            ),
            weyl_slack: crate::kit::least(
                self.kernel.iter().map(|k| {
                    (k.lambda_min - self.lambda_min0 + k.spectral_change) / self.lambda_max0
                }),
            ),
            prediction_error,
            linear_gap,
            prediction_identity,
            window_rate,
            last_window_ratio,
            eigen_residual: self.eigen_residual,
        }
    }
}
