//! Points sampled in the local region, where the gradient inequality |grad L| >= c L^theta is
//! tested as an inequality (not only along gradient descent): perturbations of global minima
//! (teacher configurations) at several loss levels, over- and exactly-parameterised.
//!
//! Over-parameterised (m > m*) global minima: every teacher direction carries a cluster of
//! aligned, balanced neurons whose masses add up to the teacher's. Three families around them:
//! - `split`: each cluster opened in a random plane through its teacher to angular offsets of
//!   size phi whose mass-weighted mean is 0, masses kept exact. To leading order the loss is
//!   cubic in phi (the theta^3 / (3 pi) term of kappa) and the gradient quadratic, so
//!   |grad L| ~ L^(2/3): the directions along which the PL inequality fails;
//! - `mixed`: a split point plus a Gaussian perturbation of every parameter of size
//!   MIXED_REL phi^2, of the order of the split point's own distance to the slow manifold;
//! - `generic`: a minimum plus a Gaussian perturbation of size eps of every parameter:
//!   quadratic in eps, |grad L| ~ L^(1/2).
//!
//! Exactly-parameterised (m = m*): the minimum is the teacher itself (up to the rescalings
//! a -> c a, w -> w / c); `generic` perturbations only. The Hessian is non-degenerate across
//! the minimum set, so PL holds: |grad L| >= c L^(1/2).

use crate::kit::InCell;
use crate::{ClaimError, RunContext};
use overparam_kernel::{LossGradient, PopulationLoss, TwoLayerNet};
use rand_distr::{Distribution, StandardNormal, StandardUniform};

use super::*;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Family {
    Split,
    Mixed,
    Generic,
}

impl Family {
    pub(super) fn name(self) -> &'static str {
        match self {
            Family::Split => "split",
            Family::Mixed => "mixed",
            Family::Generic => "generic",
        }
    }
}

/// One sampled point: which family, width, size of the perturbation (phi or eps), loss and
/// gradient norm; `pair` numbers the geometry, shared by the two sizes of an exponent pair.
#[derive(Debug, Clone, Copy)]
pub(super) struct Point {
    pub(super) family: Family,
    pub(super) m: usize,
    pub(super) size: f64,
    pub(super) geometry: usize,
    pub(super) loss: f64,
    pub(super) grad_norm: f64,
}

impl Point {
    pub(super) fn ratio(&self, theta: f64) -> f64 {
        self.grad_norm / self.loss.powf(theta)
    }
}

fn gauss<R: rand::Rng>(rng: &mut R) -> f64 {
    StandardNormal.sample(rng)
}

/// A global minimum (phi = 0) or a split point of width m: cluster j has r_j = m / 3 neurons
/// (the first m mod 3 one more) with shares from U(0.3, 1) normalised; the offsets are
/// Gaussian, centred by mass and scaled so that the largest is phi; all in the plane of e_j and
/// a random unit vector u orthogonal to e_j. Balanced: a_i = |w_i| = sqrt(share).
/// `shape` is the random geometry (shares, planes, offsets), drawn once per geometry.
struct Shape {
    clusters: Vec<(Vec<f64>, Vec<f64>, Vec<f64>)>,
}

fn shape<R: rand::Rng>(m: usize, rng: &mut R) -> Shape {
    let clusters = (0..3)
        .map(|j| {
            let r = m / 3 + usize::from(j < m % 3);
            let shares: Vec<f64> = (0..r)
                .map(|_| {
                    let u: f64 = StandardUniform.sample(rng);
                    0.3 + 0.7 * u
                })
                .collect();
            let total: f64 = shares.iter().sum();
            let shares: Vec<f64> = shares.iter().map(|s| s / total).collect();
            let mut u: Vec<f64> = (0..DIM).map(|_| gauss(rng)).collect();
            u[j] = 0.0;
            let n = u.iter().map(|x| x * x).sum::<f64>().sqrt();
            u.iter_mut().for_each(|x| *x /= n);
            let raw: Vec<f64> = (0..r).map(|_| gauss(rng)).collect();
            let mean: f64 = raw.iter().zip(&shares).map(|(o, s)| o * s).sum();
            let offsets: Vec<f64> = raw.iter().map(|o| o - mean).collect();
            let largest = offsets.iter().fold(0.0f64, |a, o| a.max(o.abs()));
            let offsets = if r > 1 {
                offsets.iter().map(|o| o / largest).collect()
            } else {
                vec![0.0]
            };
            (shares, u, offsets)
        })
        .collect();
    Shape { clusters }
}

fn split_point(shape: &Shape, phi: f64) -> TwoLayerNet {
    let (mut a, mut w) = (Vec::new(), Vec::new());
    for (j, (shares, u, offsets)) in shape.clusters.iter().enumerate() {
        for (s, o) in shares.iter().zip(offsets) {
            let angle = phi * o;
            let scale = s.sqrt();
            a.push(scale);
            w.extend(
                (0..DIM).map(|i| {
                    scale * (f64::from(u8::from(i == j)) * angle.cos() + angle.sin() * u[i])
                }),
            );
        }
    }
    TwoLayerNet::from_flat(DIM, a, w).expect("finite by construction")
}

fn perturbed(net: &TwoLayerNet, direction: &[f64], size: f64) -> TwoLayerNet {
    let k = net.width();
    let a = net
        .a()
        .iter()
        .zip(&direction[..k])
        .map(|(x, d)| x + size * d)
        .collect();
    let w = net
        .w()
        .iter()
        .zip(&direction[k..])
        .map(|(x, d)| x + size * d)
        .collect();
    TwoLayerNet::from_flat(DIM, a, w).expect("finite by construction")
}

/// Samples every family at every size for width m (exactly-parameterised: generic only).
/// A unit Gaussian direction is drawn per geometry, so the two sizes of an exponent pair
/// move along the same ray.
pub(super) fn sample(m: usize, ctx: &RunContext) -> Result<Vec<Point>, ClaimError> {
    let loss = PopulationLoss::new(teacher());
    let mut rng = ctx
        .seed(LOCAL_CONVERGENCE_ID, &format!("points,m={m}"), 0)
        .rng();
    let label = format!("points m={m}");
    let mut g = LossGradient::new(m, DIM);
    let mut points = Vec::new();
    let mut eval = |net: &TwoLayerNet, family, size, geometry| -> Result<(), ClaimError> {
        loss.evaluate(net, &mut g).in_cell(&label)?;
        points.push(Point {
            family,
            m,
            size,
            geometry,
            loss: g.loss,
            grad_norm: g.norm(),
        });
        Ok(())
    };
    for geometry in 0..POINT_GEOMETRIES {
        let s = shape(m, &mut rng);
        let direction: Vec<f64> = (0..m * (DIM + 1)).map(|_| gauss(&mut rng)).collect();
        let n = direction.iter().map(|x| x * x).sum::<f64>().sqrt();
        let direction: Vec<f64> = direction.iter().map(|x| x / n).collect();
        let minimum = split_point(&s, 0.0);
        for &eps in GENERIC_SIZES {
            eval(
                &perturbed(&minimum, &direction, eps),
                Family::Generic,
                eps,
                geometry,
            )?;
        }
        if m > 3 {
            for &phi in SPLIT_SIZES {
                let p = split_point(&s, phi);
                eval(&p, Family::Split, phi, geometry)?;
                eval(
                    &perturbed(&p, &direction, MIXED_REL * phi * phi),
                    Family::Mixed,
                    phi,
                    geometry,
                )?;
            }
        }
    }
    Ok(points)
}

/// Local exponents theta_G = ln(|grad L|(s2) / |grad L|(s1)) / ln(L(s2) / L(s1)) of one family
/// between two sizes s1 > s2 along the same geometry: for |grad L| ~ c L^theta along the ray,
/// theta_G -> theta as the sizes shrink.
pub(super) fn local_exponents(points: &[Point], family: Family, (s1, s2): (f64, f64)) -> Vec<f64> {
    let at = |geometry: usize, size: f64| {
        points
            .iter()
            .find(|p| p.family == family && p.geometry == geometry && p.size == size)
    };
    (0..POINT_GEOMETRIES)
        .filter_map(|k| {
            let (p, q) = (at(k, s1)?, at(k, s2)?);
            Some((q.grad_norm / p.grad_norm).ln() / (q.loss / p.loss).ln())
        })
        .collect()
}
