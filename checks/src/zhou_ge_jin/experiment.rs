//! The runs of `zhou2021.local-convergence`: teachers, variants (including the broken ones
//! the controls use), the near-teacher initialisation, gradient descent, and the fits of each
//! trajectory.

use crate::kit::{InCell, LEVEL, WorstCase};
use crate::stats::{MeanInterval, linear_fit, mean_interval};
use crate::{ClaimError, Profile, RunContext};
use overparam_kernel::{
    DescentConfig, DescentError, KernelTerms, NeuronAlignment, PopulationLoss, TrajectoryPoint,
    TwoLayerNet, align, cluster_masses, gradient_descent, teacher_masses,
};
use rand_distr::{Distribution, StandardNormal, StandardUniform};

use super::*;

/// Which teacher network.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum TeacherKind {
    /// w_j* = e_j, a_j* = 1 (recipe R-ZGJ).
    Orthonormal,
    /// Unit directions at pairwise angles pi/3 with output weights 1, 0.8, 1.2 (full profile).
    Separated,
}

impl TeacherKind {
    pub(super) fn name(self) -> &'static str {
        match self {
            TeacherKind::Orthonormal => "orthonormal",
            TeacherKind::Separated => "separated",
        }
    }

    pub(super) fn network(self) -> TwoLayerNet {
        let mut rows = vec![vec![0.0; DIM]; 3];
        let a = match self {
            TeacherKind::Orthonormal => {
                for (j, r) in rows.iter_mut().enumerate() {
                    r[j] = 1.0;
                }
                vec![1.0, 1.0, 1.0]
            }
            TeacherKind::Separated => {
                rows[0][0] = 1.0;
                rows[1][0] = 0.5;
                rows[1][1] = 3f64.sqrt() / 2.0;
                rows[2][0] = 0.5;
                rows[2][1] = 0.5 / 3f64.sqrt();
                rows[2][2] = (2.0f64 / 3.0).sqrt();
                vec![1.0, 0.8, 1.2]
            }
        };
        TwoLayerNet::new(a, &rows).expect("teacher shapes are fixed")
    }
}

/// A run that modifies the base recipe.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Variant {
    /// Recipe R-ZGJ as it is.
    Base,
    /// Half the step size (a width-dependent step-size bug), control of final-loss-ratio.
    HalfStep,
    /// Gradient of the loss without the kernel self-terms (deliberately wrong), control.
    SelfTermDropped,
}

impl Variant {
    pub(super) fn name(self) -> &'static str {
        match self {
            Variant::Base => "base",
            Variant::HalfStep => "half-step",
            Variant::SelfTermDropped => "self-term-dropped",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) struct RunSpec {
    pub(super) teacher: TeacherKind,
    pub(super) variant: Variant,
    pub(super) m: usize,
    pub(super) seed: u64,
}

impl RunSpec {
    /// The seed cell: the initialisation depends on teacher, m and seed only, so variants start
    /// from the same points as the base runs they are compared with.
    pub(super) fn cell(&self) -> String {
        format!("teacher={},m={}", self.teacher.name(), self.m)
    }

    pub(super) fn label(&self) -> String {
        format!("{},{},seed={}", self.cell(), self.variant.name(), self.seed)
    }
}

/// What one run left behind.
pub(super) struct RunResult {
    pub(super) spec: RunSpec,
    /// Empty when the run diverged.
    pub(super) trajectory: Vec<TrajectoryPoint>,
    /// Alignment of the final student; empty when the run diverged.
    pub(super) neurons: Vec<NeuronAlignment>,
    /// True loss of the final student (infinite when the run diverged).
    pub(super) final_loss: f64,
    /// Step at which a diverging run stopped.
    pub(super) diverged_at: Option<u64>,
}

/// Recipe R-ZGJ: each teacher neuron j gets r_j = m / m* students (the first m mod m* teachers
/// one more); each copies the teacher direction plus N(0, INIT_NOISE^2) noise entrywise and
/// carries the share s_i of the teacher's mass M_j = a_j* |w_j*| (shares from U(0.8, 1.2),
/// normalised in the cluster), balanced: |a_i| = |w_i| = sqrt(s_i |M_j|), sign(a_i) = sign(M_j).
/// Cluster masses therefore start exact and every neuron balanced.
pub(super) fn near_teacher_student<R: rand::Rng>(
    teacher: &TwoLayerNet,
    m: usize,
    rng: &mut R,
) -> TwoLayerNet {
    let ms = teacher.width();
    let d = teacher.dim();
    let masses = teacher_masses(teacher);
    let (mut a, mut w) = (Vec::with_capacity(m), Vec::with_capacity(m * d));
    for (j, &mass) in masses.iter().enumerate() {
        let copies = m / ms + usize::from(j < m % ms);
        if copies == 0 {
            continue;
        }
        let shares: Vec<f64> = (0..copies)
            .map(|_| {
                let u: f64 = StandardUniform.sample(rng);
                SHARE_LOW + SHARE_WIDTH * u
            })
            .collect();
        let total: f64 = shares.iter().sum();
        let v = teacher.neuron(j);
        let v_norm = v.iter().map(|x| x * x).sum::<f64>().sqrt();
        for share in shares {
            let mut dir: Vec<f64> = v
                .iter()
                .map(|x| {
                    let g: f64 = StandardNormal.sample(rng);
                    x / v_norm + INIT_NOISE * g
                })
                .collect();
            let n = dir.iter().map(|x| x * x).sum::<f64>().sqrt();
            let scale = (share / total * mass.abs()).sqrt();
            for x in dir.iter_mut() {
                *x *= scale / n;
            }
            a.push(scale.copysign(mass));
            w.extend(dir);
        }
    }
    TwoLayerNet::from_flat(d, a, w).expect("finite by construction")
}

pub(super) fn execute(spec: RunSpec, ctx: &RunContext) -> Result<RunResult, ClaimError> {
    let teacher = spec.teacher.network();
    let mut rng = ctx
        .seed(LOCAL_CONVERGENCE_ID, &spec.cell(), spec.seed)
        .rng();
    let init = near_teacher_student(&teacher, spec.m, &mut rng);
    let true_loss = PopulationLoss::new(teacher.clone());
    let (objective, lr) = match spec.variant {
        Variant::Base => (true_loss.clone(), LR),
        Variant::HalfStep => (true_loss.clone(), LR / 2.0),
        Variant::SelfTermDropped => (
            PopulationLoss::new(teacher.clone()).with_terms(KernelTerms::WithoutSelfTerm),
            LR,
        ),
    };
    let config = DescentConfig::new(lr, STEPS, POINTS_PER_DECADE);
    match gradient_descent(&objective, init, &config) {
        Ok(run) => {
            let final_loss = true_loss.loss(&run.network).in_cell(&spec.label())?;
            let trajectory = if spec.variant == Variant::SelfTermDropped {
                // its recorded losses are those of the wrong objective
                Vec::new()
            } else {
                run.trajectory
            };
            Ok(RunResult {
                spec,
                trajectory,
                neurons: align(&run.network, &teacher),
                final_loss,
                diverged_at: None,
            })
        }
        // The broken gradient is expected to misbehave: divergence is its measured outcome.
        Err(DescentError::Diverged { step, .. }) if spec.variant == Variant::SelfTermDropped => {
            Ok(RunResult {
                spec,
                trajectory: Vec::new(),
                neurons: Vec::new(),
                final_loss: f64::INFINITY,
                diverged_at: Some(step),
            })
        }
        Err(e) => Err(e).in_cell(&spec.label()),
    }
}

/// Least-squares fit of y(point) against x(point) over the trajectory points accepted by
/// `keep`: (slope, intercept, R^2), NaN when fewer than three points qualify.
pub(super) fn fit(
    trajectory: &[TrajectoryPoint],
    keep: impl Fn(&TrajectoryPoint) -> bool,
    x: impl Fn(&TrajectoryPoint) -> f64,
    y: impl Fn(&TrajectoryPoint) -> f64,
) -> (f64, f64, f64) {
    let (xs, ys): (Vec<f64>, Vec<f64>) = trajectory
        .iter()
        .filter(|p| keep(p))
        .map(|p| (x(p), y(p)))
        .unzip();
    linear_fit(&xs, &ys, LEVEL).map_or((f64::NAN, f64::NAN, f64::NAN), |f| {
        (f.slope, f.intercept, f.r_squared)
    })
}

/// Log-log slope of L over the last decade [T/10, T].
pub(super) fn last_decade_slope(t: &[TrajectoryPoint]) -> f64 {
    fit(
        t,
        |p| p.step * 10 >= STEPS && p.loss > LOSS_FLOOR,
        |p| (p.step as f64).ln(),
        |p| p.loss.ln(),
    )
    .0
}

/// Log-log slope of L over the window lo < L < hi (for the exact-parameterised control).
pub(super) fn window_slope(t: &[TrajectoryPoint], (lo, hi): (f64, f64)) -> f64 {
    fit(
        t,
        |p| p.step > 0 && p.loss > lo && p.loss < hi,
        |p| (p.step as f64).ln(),
        |p| p.loss.ln(),
    )
    .0
}

/// (theta, ln c) of |grad L| = c L^theta fitted over the points accepted by `keep`.
pub(super) fn gradient_exponent(
    t: &[TrajectoryPoint],
    keep: impl Fn(&TrajectoryPoint) -> bool,
) -> (f64, f64) {
    let (theta, log_c, _) = fit(
        t,
        |p| keep(p) && p.loss > LOSS_FLOOR && p.grad_norm > 0.0,
        |p| p.loss.ln(),
        |p| p.grad_norm.ln(),
    );
    (theta, log_c)
}

/// The tail of a long run: the last THETA_TAIL_DECADES decades of steps.
pub(super) fn in_tail(p: &TrajectoryPoint) -> bool {
    p.step as f64 >= STEPS as f64 * 10f64.powf(-THETA_TAIL_DECADES)
}

/// (p, t0) of L = C (t + t0)^-p fitted over the tail (the last two decades), for the evidence:
/// the offset t0 absorbs the time a run needs to enter its asymptotic regime, so p estimates
/// the exponent itself rather than a finite-T slope. t0 in [0, T/10] maximises R^2 of
/// ln L against ln(t + t0) (a grid of 101 points, then golden-section search in its bracket).
pub(super) fn offset_power_law(t: &[TrajectoryPoint]) -> (f64, f64) {
    let (steps, logs): (Vec<f64>, Vec<f64>) = t
        .iter()
        .filter(|p| in_tail(p) && p.loss > LOSS_FLOOR)
        .map(|p| (p.step as f64, p.loss.ln()))
        .unzip();
    let fit_at = |t0: f64| {
        let x: Vec<f64> = steps.iter().map(|s| (s + t0).ln()).collect();
        linear_fit(&x, &logs, LEVEL)
    };
    let score = |t0: f64| fit_at(t0).map_or(f64::NEG_INFINITY, |f| f.r_squared);
    let upper = STEPS as f64 / 10.0;
    let h = upper / 100.0;
    let Some(best) = (0..=100)
        .map(|k| k as f64 * h)
        .max_by(|a, b| score(*a).total_cmp(&score(*b)))
    else {
        return (f64::NAN, f64::NAN);
    };
    let (mut lo, mut hi) = ((best - h).max(0.0), (best + h).min(upper));
    let g = (5f64.sqrt() - 1.0) / 2.0;
    for _ in 0..60 {
        let (x1, x2) = (hi - g * (hi - lo), lo + g * (hi - lo));
        if score(x1) >= score(x2) {
            hi = x2;
        } else {
            lo = x1;
        }
    }
    let t0 = 0.5 * (lo + hi);
    fit_at(t0).map_or((f64::NAN, f64::NAN), |f| (-f.slope, t0))
}

/// First grid step with L < target (None if never).
pub(super) fn first_step_below(t: &[TrajectoryPoint], target: f64) -> Option<u64> {
    t.iter().find(|p| p.loss < target).map(|p| p.step)
}

/// (R^2, slope in ln L per step) of ln L against t over EXACT_WINDOW.
pub(super) fn exact_linear_fit(t: &[TrajectoryPoint]) -> (f64, f64) {
    let (slope, _, r2) = fit(
        t,
        |p| p.loss > EXACT_WINDOW.0 && p.loss < EXACT_WINDOW.1,
        |p| p.step as f64,
        |p| p.loss.ln(),
    );
    (r2, slope)
}

/// Largest angle to the nearest teacher over non-vanishing neurons (pi for a non-vanishing
/// neuron without a direction, which cannot happen for |w| > 0).
pub(super) fn max_angle(neurons: &[NeuronAlignment]) -> f64 {
    neurons
        .iter()
        .filter(|n| n.contribution.abs() >= VANISHING_MASS)
        .map(|n| n.angle.unwrap_or(std::f64::consts::PI))
        .worst()
}

/// Largest |cluster mass - teacher mass|.
pub(super) fn max_mass_error(neurons: &[NeuronAlignment], teacher: &TwoLayerNet) -> f64 {
    let target = teacher_masses(teacher);
    cluster_masses(neurons, teacher.width())
        .iter()
        .zip(&target)
        .map(|(m, t)| (m - t).abs())
        .worst()
}

/// Runs of one (teacher, variant, m), with the per-seed measurements.
pub(super) struct Group<'a> {
    pub(super) teacher: TeacherKind,
    pub(super) variant: Variant,
    pub(super) m: usize,
    pub(super) runs: Vec<&'a RunResult>,
}

impl Group<'_> {
    pub(super) fn label(&self) -> String {
        let v = match self.variant {
            Variant::Base => String::new(),
            v => format!(" {}", v.name()),
        };
        format!("{} m={}{v}", self.teacher.name(), self.m)
    }
    pub(super) fn per_seed(&self, f: impl Fn(&RunResult) -> f64) -> Vec<f64> {
        self.runs.iter().map(|r| f(r)).collect()
    }
    pub(super) fn interval(&self, f: impl Fn(&RunResult) -> f64) -> Option<MeanInterval> {
        mean_interval(&self.per_seed(f), LEVEL)
    }
}

pub(super) fn groups(results: &[RunResult]) -> Vec<Group<'_>> {
    let mut out: Vec<Group> = Vec::new();
    for r in results {
        let s = r.spec;
        match out
            .iter_mut()
            .find(|g| g.teacher == s.teacher && g.variant == s.variant && g.m == s.m)
        {
            Some(g) => g.runs.push(r),
            None => out.push(Group {
                teacher: s.teacher,
                variant: s.variant,
                m: s.m,
                runs: vec![r],
            }),
        }
    }
    out
}

/// The experiment grid of a profile.
pub(super) struct Plan {
    pub(super) teachers: &'static [TeacherKind],
    pub(super) widths: &'static [usize],
    pub(super) seeds: u64,
    pub(super) control_seeds: u64,
}

impl Plan {
    pub(super) fn of(profile: Profile) -> Plan {
        match profile {
            Profile::Quick => Plan {
                teachers: &[TeacherKind::Orthonormal],
                widths: &[3, 6, 12],
                seeds: 4,
                control_seeds: 2,
            },
            Profile::Full => Plan {
                teachers: &[TeacherKind::Orthonormal, TeacherKind::Separated],
                widths: &[3, 6, 12, 24],
                seeds: 8,
                control_seeds: 4,
            },
        }
    }

    pub(super) fn specs(&self) -> Vec<RunSpec> {
        let mut specs = Vec::new();
        for &teacher in self.teachers {
            for &m in self.widths {
                for seed in 0..self.seeds {
                    specs.push(RunSpec {
                        teacher,
                        variant: Variant::Base,
                        m,
                        seed,
                    });
                }
            }
        }
        let t = TeacherKind::Orthonormal;
        for seed in 0..self.control_seeds {
            specs.push(RunSpec {
                teacher: t,
                variant: Variant::Base,
                m: 2,
                seed,
            });
            specs.push(RunSpec {
                teacher: t,
                variant: Variant::SelfTermDropped,
                m: 6,
                seed,
            });
            specs.push(RunSpec {
                teacher: t,
                variant: Variant::HalfStep,
                m: 12,
                seed,
            });
        }
        specs
    }
}
