//! The runs of `zhou2021.local-convergence`: the teacher, the starts (near-teacher clusters and
//! the symmetric start with a neuron pointing away from every teacher), the variants the
//! controls use, gradient descent, and the fits of each trajectory.

use crate::kit::{InCell, LEVEL, WorstCase};
use crate::stats::linear_fit;
use crate::{ClaimError, Profile, RunContext};
use overparam_kernel::descent::gradient_descent_adjusted;
use overparam_kernel::{
    DescentConfig, LossGradient, NeuronAlignment, PopulationLoss, TrajectoryPoint, TwoLayerNet,
    align, cluster_masses, teacher_masses,
};
use rand_distr::{Distribution, StandardNormal, StandardUniform};

use super::*;

/// The teacher of recipe R-ZGJ: w_j* = e_j (j = 1..3) in R^6, a_j* = 1.
pub(super) fn teacher() -> TwoLayerNet {
    let mut rows = vec![vec![0.0; DIM]; 3];
    for (j, r) in rows.iter_mut().enumerate() {
        r[j] = 1.0;
    }
    TwoLayerNet::new(vec![1.0; 3], &rows).expect("teacher shapes are fixed")
}

/// Where a run starts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Start {
    /// Recipe R-ZGJ: every student neuron near a teacher direction.
    NearTeacher,
    /// Two neurons per teacher plus one neuron pointing away from every teacher, the whole
    /// configuration symmetric under the permutations of e_1, e_2, e_3 (see [`symmetric_start`]).
    AwayNeuron,
}

impl Start {
    pub(super) fn name(self) -> &'static str {
        match self {
            Start::NearTeacher => "near-teacher",
            Start::AwayNeuron => "away-neuron",
        }
    }
}

/// A run that modifies the base recipe.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Variant {
    /// Recipe R-ZGJ as it is.
    Base,
    /// The step size divided by m / 6 (a width-dependent step-size bug).
    WidthScaledStep,
    /// The gradient of the loss with the student self-terms 1/2 a_i^2 kappa(w_i, w_i) counted
    /// twice (a double-sum bug), control of cluster-masses.
    SelfTermDoubled,
}

impl Variant {
    pub(super) fn name(self) -> &'static str {
        match self {
            Variant::Base => "base",
            Variant::WidthScaledStep => "width-scaled-step",
            Variant::SelfTermDoubled => "self-term-doubled",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) struct RunSpec {
    pub(super) start: Start,
    pub(super) variant: Variant,
    pub(super) m: usize,
    pub(super) seed: u64,
    pub(super) steps: u64,
}

impl RunSpec {
    /// The seed cell: the start depends on the start kind, m and seed only, so variants start
    /// from the same points as the base runs they are compared with.
    pub(super) fn cell(&self) -> String {
        match self.start {
            Start::NearTeacher => format!("m={}", self.m),
            Start::AwayNeuron => format!("away,m={}", self.m),
        }
    }

    pub(super) fn label(&self) -> String {
        format!("{},{},seed={}", self.cell(), self.variant.name(), self.seed)
    }

    pub(super) fn lr(&self) -> f64 {
        match self.variant {
            Variant::WidthScaledStep => LR * 6.0 / self.m as f64,
            _ => LR,
        }
    }
}

/// What one run left behind.
pub(super) struct RunResult {
    pub(super) spec: RunSpec,
    pub(super) trajectory: Vec<TrajectoryPoint>,
    /// Alignment of the final student.
    pub(super) neurons: Vec<NeuronAlignment>,
    /// True loss of the final student.
    pub(super) final_loss: f64,
    /// Mass |a||w| of the away neuron (the last one) at T/10 and at T (AwayNeuron starts).
    pub(super) away_mass: Option<(f64, f64)>,
    /// Largest |w_1 - w_2|, |w_2 - w_3| of the away neuron at T: 0 up to rounding when the
    /// permutation symmetry is kept (AwayNeuron starts).
    pub(super) symmetry_residual: Option<f64>,
}

fn uniform<R: rand::Rng>(rng: &mut R) -> f64 {
    StandardUniform.sample(rng)
}

fn gauss<R: rand::Rng>(rng: &mut R) -> f64 {
    StandardNormal.sample(rng)
}

fn norm(v: &[f64]) -> f64 {
    v.iter().map(|x| x * x).sum::<f64>().sqrt()
}

/// Recipe R-ZGJ: each teacher neuron j gets r_j = m / m* students (the first m mod m* teachers
/// one more); each copies the teacher direction plus N(0, INIT_NOISE^2) noise entrywise and
/// carries the share s_i of the teacher's mass (shares from U(0.8, 1.2), normalised in the
/// cluster), balanced: a_i = |w_i| = sqrt(s_i). Cluster masses start exact, neurons balanced.
pub(super) fn near_teacher_student<R: rand::Rng>(m: usize, rng: &mut R) -> TwoLayerNet {
    let ms = 3;
    let (mut a, mut w) = (Vec::with_capacity(m), Vec::with_capacity(m * DIM));
    for j in 0..ms {
        let copies = m / ms + usize::from(j < m % ms);
        let shares: Vec<f64> = (0..copies)
            .map(|_| SHARE_LOW + SHARE_WIDTH * uniform(rng))
            .collect();
        let total: f64 = shares.iter().sum();
        for share in shares {
            let mut dir: Vec<f64> = (0..DIM)
                .map(|i| f64::from(u8::from(i == j)) + INIT_NOISE * gauss(rng))
                .collect();
            let n = norm(&dir);
            let scale = (share / total).sqrt();
            for x in dir.iter_mut() {
                *x *= scale / n;
            }
            a.push(scale);
            w.extend(dir);
        }
    }
    TwoLayerNet::from_flat(DIM, a, w).expect("finite by construction")
}

/// The start of the vanishing branch: `per_teacher` neurons near each teacher and one neuron
/// along -(e_1 + e_2 + e_3) + noise on e_4..e_6, with mass AWAY_MASS. Cluster k of teacher j
/// is alpha e_j + beta (e_j' + e_j'') + gamma (on e_4..e_6) with (beta, gamma, share) drawn once
/// per k and shared by the three teachers, so the configuration is invariant under the
/// permutations of e_1, e_2, e_3 that permute the clusters. Gradient descent is equivariant,
/// so the away neuron stays in {w_1 = w_2 = w_3}, at angle >= arccos(1/sqrt 3) = 0.955 rad
/// from every teacher: it can never align and must vanish for the loss to reach 0.
pub(super) fn symmetric_start<R: rand::Rng>(per_teacher: usize, rng: &mut R) -> TwoLayerNet {
    let patterns: Vec<(f64, [f64; 3], f64)> = (0..per_teacher)
        .map(|_| {
            let beta = INIT_NOISE * gauss(rng);
            let gamma = [
                INIT_NOISE * gauss(rng),
                INIT_NOISE * gauss(rng),
                INIT_NOISE * gauss(rng),
            ];
            (beta, gamma, SHARE_LOW + SHARE_WIDTH * uniform(rng))
        })
        .collect();
    let total: f64 = patterns.iter().map(|p| p.2).sum();
    let (mut a, mut w) = (Vec::new(), Vec::new());
    for j in 0..3 {
        for (beta, gamma, share) in &patterns {
            let mut d = [0.0; DIM];
            for (i, x) in d.iter_mut().enumerate().take(3) {
                *x = if i == j { 1.0 } else { *beta };
            }
            d[3..].copy_from_slice(gamma);
            let scale = (share / total).sqrt();
            let n = norm(&d);
            a.push(scale);
            w.extend(d.iter().map(|x| x * scale / n));
        }
    }
    let mut d = [-1.0, -1.0, -1.0, 0.0, 0.0, 0.0];
    for x in d[3..].iter_mut() {
        *x = AWAY_TILT * gauss(rng);
    }
    let scale = AWAY_MASS.sqrt();
    let n = norm(&d);
    a.push(scale);
    w.extend(d.iter().map(|x| x * scale / n));
    TwoLayerNet::from_flat(DIM, a, w).expect("finite by construction")
}

/// Gradient descent on both layers from `net` for `steps` steps (the kernel's
/// [`gradient_descent_adjusted`]), the loss and gradient norm recorded on a logarithmic grid
/// (POINTS_PER_DECADE). With `doubled`, the gradient of the extra term 1/4 sum_i a_i^2 |w_i|^2
/// (a second copy of the self-terms) is added: the double-sum bug of the self-term-doubled
/// control; the recorded loss is the true one.
pub(super) fn descend(
    loss: &PopulationLoss,
    net: TwoLayerNet,
    lr: f64,
    steps: u64,
    doubled: bool,
    label: &str,
) -> Result<(TwoLayerNet, Vec<TrajectoryPoint>), ClaimError> {
    let config = DescentConfig::new(lr, steps, POINTS_PER_DECADE);
    let run = gradient_descent_adjusted(loss, net, &config, |net, g| {
        if doubled {
            add_doubled_self_terms(net, g);
        }
    })
    .in_cell(label)?;
    Ok((run.network, run.trajectory))
}

/// Adds to `g` the gradient of 1/4 sum_i a_i^2 |w_i|^2 at `net`.
fn add_doubled_self_terms(net: &TwoLayerNet, g: &mut LossGradient) {
    let d = net.dim();
    for i in 0..net.width() {
        let ai = net.a()[i];
        let wi = net.neuron(i);
        let n2: f64 = wi.iter().map(|x| x * x).sum();
        g.grad_a[i] += 0.5 * ai * n2;
        for (k, x) in wi.iter().enumerate() {
            g.grad_w[i * d + k] += 0.5 * ai * ai * x;
        }
    }
}

pub(super) fn execute(spec: RunSpec, ctx: &RunContext) -> Result<RunResult, ClaimError> {
    let teacher = teacher();
    let mut rng = ctx
        .seed(LOCAL_CONVERGENCE_ID, &spec.cell(), spec.seed)
        .rng();
    let label = spec.label();
    let loss = PopulationLoss::new(teacher.clone());
    let doubled = spec.variant == Variant::SelfTermDoubled;
    match spec.start {
        Start::NearTeacher => {
            let init = near_teacher_student(spec.m, &mut rng);
            let (net, trajectory) = descend(&loss, init, spec.lr(), spec.steps, doubled, &label)?;
            let final_loss = loss.loss(&net).in_cell(&label)?;
            Ok(RunResult {
                spec,
                trajectory,
                neurons: align(&net, &teacher),
                final_loss,
                away_mass: None,
                symmetry_residual: None,
            })
        }
        Start::AwayNeuron => {
            let init = symmetric_start((spec.m - 1) / 3, &mut rng);
            let first = spec.steps / 10;
            let (mid, mut trajectory) = descend(&loss, init, spec.lr(), first, doubled, &label)?;
            let mass_mid = align(&mid, &teacher)[spec.m - 1].contribution;
            let (net, rest) = descend(&loss, mid, spec.lr(), spec.steps - first, doubled, &label)?;
            trajectory.extend(rest.into_iter().skip(1).map(|p| TrajectoryPoint {
                step: p.step + first,
                ..p
            }));
            let neurons = align(&net, &teacher);
            let w = net.neuron(spec.m - 1);
            let final_loss = loss.loss(&net).in_cell(&label)?;
            Ok(RunResult {
                spec,
                trajectory,
                away_mass: Some((mass_mid, neurons[spec.m - 1].contribution)),
                symmetry_residual: Some((w[0] - w[1]).abs().max((w[1] - w[2]).abs())),
                neurons,
                final_loss,
            })
        }
    }
}

/// Least-squares fit over (x, y) pairs: the kit's line with its LEVEL interval.
pub(super) fn fit_pairs(pairs: &[(f64, f64)]) -> Option<crate::stats::LinearFit> {
    let (x, y): (Vec<f64>, Vec<f64>) = pairs.iter().copied().unzip();
    linear_fit(&x, &y, LEVEL)
}

/// g(t) = -1 / (d ln L / dt) on the midpoints of consecutive grid points that `keep` accepts
/// (finite differences of ln L). For L = C (t + t0)^-p, g = (t + t0) / p: affine in t with slope
/// 1/p whatever the offset t0 (the time a run needs to enter its asymptotic regime); for a
/// linear rate L ~ e^(-rho t), g = 1/rho: slope 0. Returns the slope of g against t.
pub(super) fn inverse_rate_slope(
    t: &[TrajectoryPoint],
    keep: impl Fn(&TrajectoryPoint) -> bool,
) -> f64 {
    let pairs: Vec<(f64, f64)> = t
        .windows(2)
        .filter(|w| keep(&w[0]) && keep(&w[1]) && w[1].step > w[0].step)
        .map(|w| {
            let dt = (w[1].step - w[0].step) as f64;
            let rate = (w[0].loss.ln() - w[1].loss.ln()) / dt;
            (0.5 * (w[0].step + w[1].step) as f64, 1.0 / rate)
        })
        .collect();
    fit_pairs(&pairs).map_or(f64::NAN, |f| f.slope)
}

/// Points of the last decade [T/10, T] above the cancellation floor.
pub(super) fn in_last_decade(steps: u64) -> impl Fn(&TrajectoryPoint) -> bool {
    move |p| p.step * 10 >= steps && p.loss > LOSS_FLOOR
}

/// Exponent p of L ~ (t + t0)^-p over the last decade: 1 / slope of g (offset-free); 0 when
/// the loss has stopped decreasing between two grid points of the decade (a stalled run:
/// g infinite, no decay law at all).
pub(super) fn rate_exponent(r: &RunResult) -> f64 {
    let keep = in_last_decade(r.spec.steps);
    let stalled = r
        .trajectory
        .windows(2)
        .any(|w| keep(&w[0]) && keep(&w[1]) && w[1].loss >= w[0].loss);
    if stalled {
        return 0.0;
    }
    1.0 / inverse_rate_slope(&r.trajectory, keep)
}

/// Slope dg/dt of g = -1 / (d ln L / dt) in the exact-parameterised asymptotic window.
pub(super) fn exact_inverse_rate_slope(r: &RunResult) -> f64 {
    inverse_rate_slope(&r.trajectory, |p| {
        p.loss > EXACT_WINDOW.0 && p.loss < EXACT_WINDOW.1
    })
}

/// Rate constant k of L^(-1/3) = k (t + t0) over the last decade (per step): the slope of
/// L^(-1/3) against t. Under |grad L| = c L^(2/3), gradient flow gives k = lr c^2 / 3.
pub(super) fn rate_constant(r: &RunResult) -> f64 {
    let keep = in_last_decade(r.spec.steps);
    let pairs: Vec<(f64, f64)> = r
        .trajectory
        .iter()
        .filter(|p| keep(p))
        .map(|p| (p.step as f64, p.loss.powf(-1.0 / 3.0)))
        .collect();
    fit_pairs(&pairs).map_or(f64::NAN, |f| f.slope)
}

/// First grid step with L < target (None if never).
pub(super) fn first_step_below(t: &[TrajectoryPoint], target: f64) -> Option<u64> {
    t.iter().find(|p| p.loss < target).map(|p| p.step)
}

/// Largest mass-weighted angle |a_i| |w_i|)^(2/3) x angle_i to the nearest teacher over every
/// neuron but the away neuron of an AwayNeuron start (pi for a neuron without direction): it
/// tends to 0 on both branches (aligning: angle -> 0; vanishing: mass -> 0), and a neuron of
/// mass s at angle phi costs L ~ s^2 phi^3 / (3 pi) (ANGLE_TOL).
pub(super) fn max_angle(r: &RunResult) -> f64 {
    cluster_neurons(r)
        .iter()
        .map(|n| n.contribution.abs().cbrt().powi(2) * n.angle.unwrap_or(std::f64::consts::PI))
        .worst()
}

/// The neurons expected on the aligned branch.
pub(super) fn cluster_neurons(r: &RunResult) -> &[NeuronAlignment] {
    match r.spec.start {
        Start::NearTeacher => &r.neurons,
        Start::AwayNeuron => &r.neurons[..r.neurons.len() - 1],
    }
}

/// Largest |cluster mass - teacher mass|.
pub(super) fn max_mass_error(r: &RunResult) -> f64 {
    signed_mass_errors(r).into_iter().map(f64::abs).worst()
}

/// Cluster mass minus teacher mass, per teacher.
pub(super) fn signed_mass_errors(r: &RunResult) -> Vec<f64> {
    let t = teacher();
    let target = teacher_masses(&t);
    cluster_masses(cluster_neurons(r), t.width())
        .iter()
        .zip(&target)
        .map(|(m, t)| m - t)
        .collect()
}

/// Log-log slope of the away neuron's mass over [T/10, T].
pub(super) fn away_mass_slope(r: &RunResult) -> f64 {
    r.away_mass
        .map_or(f64::NAN, |(mid, end)| (end / mid).ln() / 10f64.ln())
}

/// Runs of one (start, variant, m), with the per-seed measurements.
pub(super) struct Group<'a> {
    pub(super) start: Start,
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
        let s = match self.start {
            Start::NearTeacher => "",
            Start::AwayNeuron => " away",
        };
        format!("m={}{s}{v}", self.m)
    }
    pub(super) fn per_seed(&self, f: impl Fn(&RunResult) -> f64) -> Vec<f64> {
        self.runs.iter().map(|r| f(r)).collect()
    }
}

pub(super) fn groups(results: &[RunResult]) -> Vec<Group<'_>> {
    let mut out: Vec<Group> = Vec::new();
    for r in results {
        let s = r.spec;
        match out
            .iter_mut()
            .find(|g| g.start == s.start && g.variant == s.variant && g.m == s.m)
        {
            Some(g) => g.runs.push(r),
            None => out.push(Group {
                start: s.start,
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
    pub(super) widths: &'static [usize],
    pub(super) seeds: u64,
    pub(super) control_seeds: u64,
    pub(super) steps: u64,
}

impl Plan {
    pub(super) fn of(profile: Profile) -> Plan {
        match profile {
            Profile::Quick => Plan {
                widths: &[6, 12, 24],
                seeds: 3,
                control_seeds: 2,
                steps: 20_000,
            },
            Profile::Full => Plan {
                widths: &[6, 12, 24],
                seeds: 6,
                control_seeds: 3,
                steps: 100_000,
            },
        }
    }

    pub(super) fn specs(&self) -> Vec<RunSpec> {
        let mut specs = Vec::new();
        let run = |start, variant, m, seed, steps| RunSpec {
            start,
            variant,
            m,
            seed,
            steps,
        };
        use {Start::*, Variant::*};
        for seed in 0..self.seeds {
            specs.push(run(NearTeacher, Base, 3, seed, EXACT_HORIZON));
            for &m in self.widths {
                specs.push(run(NearTeacher, Base, m, seed, self.steps));
            }
            specs.push(run(AwayNeuron, Base, AWAY_WIDTH, seed, self.steps));
        }
        for seed in 0..self.control_seeds {
            specs.push(run(NearTeacher, Base, 2, seed, self.steps));
            specs.push(run(NearTeacher, SelfTermDoubled, 6, seed, self.steps));
            for &m in self.widths.iter().filter(|&&m| m != 6) {
                specs.push(run(NearTeacher, WidthScaledStep, m, seed, self.steps));
            }
        }
        specs
    }
}
