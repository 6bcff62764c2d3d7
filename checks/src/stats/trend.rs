//! The Cochran-Armitage test for a trend in binomial proportions, one-sided.
//!
//! Groups i = 1..m with score t_i, n_i trials and x_i successes; p = sum x / sum n. Under H0 (one
//! success probability for every group) the statistic
//!
//!   z = sum t_i (x_i - n_i p) / sqrt(p (1 - p) [sum n_i t_i^2 - (sum n_i t_i)^2 / N])
//!
//! is asymptotically standard normal (Armitage 1955; Agresti, Categorical Data Analysis, 3rd ed.,
//! section 5.3.5). Large z: the success probability increases with the score. With two groups
//! and scores 0, 1 it is the pooled two-proportion z statistic.

use statrs::distribution::{ContinuousCDF, Normal};

/// One group: its score, its successes and its trials.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Group {
    pub score: f64,
    pub successes: u64,
    pub trials: u64,
}

/// The statistic and its one-sided p-value for H1: the proportion increases with the score.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Trend {
    pub z: f64,
    /// P(Z >= z) under H0.
    pub p_value: f64,
}

/// The one-sided Cochran-Armitage test. None when a group is empty or inconsistent, fewer than
/// two distinct scores have trials, or the pooled proportion is 0 or 1 (no variance, no test).
pub fn cochran_armitage(groups: &[Group]) -> Option<Trend> {
    if groups
        .iter()
        .any(|g| g.trials == 0 || g.successes > g.trials || !g.score.is_finite())
    {
        return None;
    }
    let n: f64 = groups.iter().map(|g| g.trials as f64).sum();
    let x: f64 = groups.iter().map(|g| g.successes as f64).sum();
    if n == 0.0 {
        return None;
    }
    let p = x / n;
    let t: f64 = groups
        .iter()
        .map(|g| g.score * (g.successes as f64 - g.trials as f64 * p))
        .sum();
    let snt: f64 = groups.iter().map(|g| g.trials as f64 * g.score).sum();
    let sntt: f64 = groups
        .iter()
        .map(|g| g.trials as f64 * g.score * g.score)
        .sum();
    let var = p * (1.0 - p) * (sntt - snt * snt / n);
    if var.is_nan() || var <= 0.0 {
        return None;
    }
    let z = t / var.sqrt();
    Some(Trend {
        z,
        p_value: Normal::standard().sf(z),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn g(score: f64, successes: u64, trials: u64) -> Group {
        Group {
            score,
            successes,
            trials,
        }
    }

    /// Two groups with scores 0, 1: the pooled two-proportion z statistic.
    #[test]
    fn two_groups_give_the_two_proportion_z() {
        let t = cochran_armitage(&[g(0.0, 10, 100), g(1.0, 30, 100)]).unwrap();
        let pooled: f64 = 0.2;
        let z = 0.2 / (pooled * (1.0 - pooled) * 0.02).sqrt();
        assert!((t.z - z).abs() < 1e-12, "{} vs {z}", t.z);
        assert!((t.p_value - Normal::standard().sf(z)).abs() < 1e-15);
    }

    /// A textbook value (Agresti 2013, section 5.3.5; computed by hand): scores 1, 2, 3.
    #[test]
    fn hand_computed_three_groups() {
        // x = 1, 5, 9 of 10 each: p = 0.5; T = 1(1-5) + 2(5-5) + 3(9-5) = 8;
        // var = 0.25 (10 (1 + 4 + 9) - 60^2 / 30) = 0.25 (140 - 120) = 5.
        let t = cochran_armitage(&[g(1.0, 1, 10), g(2.0, 5, 10), g(3.0, 9, 10)]).unwrap();
        assert!((t.z - 8.0 / 5f64.sqrt()).abs() < 1e-12);
    }

    /// A decreasing proportion gives a negative z and a p-value near 1; shifting or scaling the
    /// scores changes nothing.
    #[test]
    fn direction_and_score_invariance() {
        let down = [g(6.0, 40, 100), g(8.0, 30, 100), g(10.0, 20, 100)];
        let t = cochran_armitage(&down).unwrap();
        assert!(t.z < 0.0 && t.p_value > 0.99);
        let shifted: Vec<Group> = down
            .iter()
            .map(|x| g(3.0 * x.score - 7.0, x.successes, x.trials))
            .collect();
        let s = cochran_armitage(&shifted).unwrap();
        assert!((s.z - t.z).abs() < 1e-12);
    }

    #[test]
    fn degenerate_inputs_have_no_test() {
        assert!(cochran_armitage(&[g(1.0, 0, 10), g(2.0, 0, 10)]).is_none());
        assert!(cochran_armitage(&[g(1.0, 10, 10), g(2.0, 10, 10)]).is_none());
        assert!(cochran_armitage(&[g(1.0, 3, 10), g(1.0, 5, 10)]).is_none());
        assert!(cochran_armitage(&[g(1.0, 3, 0), g(2.0, 5, 10)]).is_none());
        assert!(cochran_armitage(&[g(1.0, 11, 10), g(2.0, 5, 10)]).is_none());
    }
}
