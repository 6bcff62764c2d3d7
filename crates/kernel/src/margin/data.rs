//! Neural-collapse data (Telgarsky 2023, second regime: "data lies in extremely-well-separated
//! groups, and the sample complexity scales with the number of groups"; the paper's exact
//! separation condition could not be read and is not encoded here).
//!
//! k groups with centres mu_g uniform on the unit sphere of R^d, and points x = mu_g + radius
//! z with z uniform on the unit sphere (so ||x - mu_g|| = radius exactly); the label is
//! constant on a group, +1 for even g and -1 for odd g (both labels present once k >= 2).
//! Points are assigned to groups in turn (point i to group i mod k), so every group has
//! floor(n/k) or ceil(n/k) points.

use rand::Rng;
use rand_distr::{Distribution, StandardNormal};

/// A sample of grouped data: row-major points (n x d), labels, each point's group, and the
/// group centres (k x d, row-major).
#[derive(Debug, Clone)]
pub struct Grouped {
    pub x: Vec<f64>,
    pub y: Vec<f64>,
    pub group: Vec<usize>,
    pub centres: Vec<f64>,
}

impl Grouped {
    /// The smallest distance between two group centres (infinite for k < 2).
    pub fn min_centre_distance(&self, d: usize) -> f64 {
        let k = self.centres.len() / d;
        let mut best = f64::INFINITY;
        for g in 0..k {
            for h in 0..g {
                let s: f64 = (0..d)
                    .map(|c| {
                        let t = self.centres[g * d + c] - self.centres[h * d + c];
                        t * t
                    })
                    .sum();
                best = best.min(s.sqrt());
            }
        }
        best
    }
}

/// A uniform point on the unit sphere of R^d.
fn unit<R: Rng>(rng: &mut R, d: usize) -> Vec<f64> {
    loop {
        let v: Vec<f64> = (0..d).map(|_| StandardNormal.sample(rng)).collect();
        let n = v.iter().map(|a| a * a).sum::<f64>().sqrt();
        if n > 0.0 {
            return v.into_iter().map(|a| a / n).collect();
        }
    }
}

/// n points in k groups of radius `radius` around unit centres in R^d, labels constant per
/// group (module doc).
pub fn collapsed_groups<R: Rng>(rng: &mut R, n: usize, d: usize, k: usize, radius: f64) -> Grouped {
    assert!(
        k >= 1 && d >= 1,
        "need at least one group and one dimension"
    );
    let centres: Vec<f64> = (0..k).flat_map(|_| unit(rng, d)).collect();
    let mut x = Vec::with_capacity(n * d);
    let mut y = Vec::with_capacity(n);
    let mut group = Vec::with_capacity(n);
    for i in 0..n {
        let g = i % k;
        let z = unit(rng, d);
        x.extend((0..d).map(|c| centres[g * d + c] + radius * z[c]));
        y.push(if g.is_multiple_of(2) { 1.0 } else { -1.0 });
        group.push(g);
    }
    Grouped {
        x,
        y,
        group,
        centres,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::SeedableRng;
    use rand_chacha::ChaCha8Rng;

    #[test]
    fn groups_are_tight_balanced_and_labelled_per_group() {
        let mut rng = ChaCha8Rng::seed_from_u64(11);
        let (n, d, k, r) = (50, 16, 4, 0.05);
        let s = collapsed_groups(&mut rng, n, d, k, r);
        assert_eq!((s.x.len(), s.y.len(), s.centres.len()), (n * d, n, k * d));
        for g in 0..k {
            let c = &s.centres[g * d..(g + 1) * d];
            assert!((c.iter().map(|a| a * a).sum::<f64>() - 1.0).abs() < 1e-12);
            let members: Vec<usize> = (0..n).filter(|&i| s.group[i] == g).collect();
            assert!(members.len() == n / k || members.len() == n / k + 1);
            for &i in &members {
                let dist = (0..d)
                    .map(|j| (s.x[i * d + j] - c[j]).powi(2))
                    .sum::<f64>()
                    .sqrt();
                assert!((dist - r).abs() < 1e-12);
                assert_eq!(s.y[i], if g.is_multiple_of(2) { 1.0 } else { -1.0 });
            }
        }
        // in d = 16 four random unit centres are far apart compared with the radius
        assert!(s.min_centre_distance(d) > 10.0 * r);
    }

    #[test]
    fn same_seed_same_sample() {
        let a = collapsed_groups(&mut ChaCha8Rng::seed_from_u64(3), 9, 5, 3, 0.1);
        let b = collapsed_groups(&mut ChaCha8Rng::seed_from_u64(3), 9, 5, 3, 0.1);
        assert_eq!(a.x, b.x);
        assert_eq!(a.y, b.y);
    }
}
