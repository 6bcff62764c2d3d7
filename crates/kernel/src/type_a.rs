//! The type-A family of critical points of the Safran-Shamir loss (k = d, V = I_d, unit output
//! weights), with isotropy Delta(S_{d-1} x S_1) (Arjevani & Field 2021):
//!
//! ```text
//! W = [[a I_{d-1} + b (1 1^T - I),  c 1],
//!      [e 1^T,                      f  ]]
//! ```
//!
//! The first d - 1 students sit near their teachers with weight c on the last coordinate; the
//! last student points away from its own teacher (f < 0). The gradient is equivariant, so at W(p)
//! it lies in the 5-dimensional fixed space spanned by dW/dp: a zero of the reduced gradient
//! r_k = <grad L(W(p)), dW/dp_k> is a critical point of the full loss. Newton's method on r uses
//! the exact reduced Hessian T^T H T, applied in O(d^2) by [`crate::symmetric_hessian`] (the
//! dense Hessian only for d < 3).

use overparam_linalg::{Mat, solve_dense};

use crate::population::{LossGradient, PopulationLoss, TwoLayerNet};
use crate::symmetric_hessian::type_a_reduced_hessian;

pub use crate::type_a_point::TypeA;

/// Which parameter an entry (i, j) of W belongs to: 0..5 for (a, b, c, e, f).
fn parameter_of(d: usize, i: usize, j: usize) -> usize {
    let last = d - 1;
    match (i == last, j == last) {
        (false, false) if i == j => 0,
        (false, false) => 1,
        (false, true) => 2,
        (true, false) => 3,
        (true, true) => 4,
    }
}

/// The outcome of the reduced Newton solve.
#[derive(Debug, Clone, Copy)]
pub struct ReducedSolution {
    pub point: TypeA,
    pub iterations: usize,
    /// ||grad_W L|| of the full loss at the solution.
    pub grad_norm: f64,
    pub loss: f64,
}

/// Why the reduced solve failed.
#[derive(Debug, Clone, PartialEq)]
pub enum SolveError {
    /// The reduced Hessian was singular or the iterates became non-finite.
    Breakdown(String),
    /// The gradient did not fall below the tolerance within the iteration budget.
    NoConvergence { grad_norm: f64 },
}

impl std::fmt::Display for SolveError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            SolveError::Breakdown(m) => write!(f, "reduced Newton broke down: {m}"),
            SolveError::NoConvergence { grad_norm } => write!(
                f,
                "reduced Newton did not converge (gradient norm {grad_norm:.3e})"
            ),
        }
    }
}

impl std::error::Error for SolveError {}

/// Reduced gradient r (length 5), reduced Hessian J (5 x 5), loss and full gradient norm at p.
fn reduced_system(loss: &PopulationLoss, d: usize, p: TypeA) -> (Vec<f64>, Mat<f64>, f64, f64) {
    let net = p.network(d);
    let mut g = LossGradient::new(d, d);
    loss.evaluate(&net, &mut g).expect("dimensions match");
    let mut r = vec![0.0; 5];
    for i in 0..d {
        for j in 0..d {
            r[parameter_of(d, i, j)] += g.grad_w[i * d + j];
        }
    }
    let jac = if d >= 3 {
        // Non-finite parameters give a NaN Jacobian, which the caller rejects like a NaN
        // gradient.
        type_a_reduced_hessian(p, d).unwrap_or_else(|_| Mat::from_fn(5, 5, |_, _| f64::NAN))
    } else {
        let h = loss.hessian_w(&net).expect("dimensions match");
        let n = d * d;
        let mut jac = Mat::<f64>::zeros(5, 5);
        for row in 0..n {
            let pr = parameter_of(d, row / d, row % d);
            for col in 0..n {
                let pc = parameter_of(d, col / d, col % d);
                jac[(pr, pc)] += h[(row, col)];
            }
        }
        jac
    };
    (r, jac, g.loss, g.norm_w())
}

/// Damped Newton on the reduced gradient from `start`, until ||grad_W L|| <= `tol`.
pub fn solve_type_a(
    d: usize,
    start: TypeA,
    tol: f64,
    max_iterations: usize,
) -> Result<ReducedSolution, SolveError> {
    let loss = PopulationLoss::new(TwoLayerNet::identity(d));
    let mut p = start;
    let (mut r, mut jac, mut value, mut grad_norm) = reduced_system(&loss, d, p);
    for iteration in 0..=max_iterations {
        if !grad_norm.is_finite() {
            return Err(SolveError::Breakdown("non-finite gradient".to_owned()));
        }
        if grad_norm <= tol {
            return Ok(ReducedSolution {
                point: p,
                iterations: iteration,
                grad_norm,
                loss: value,
            });
        }
        if iteration == max_iterations {
            break;
        }
        let step =
            solve_dense(jac.as_ref(), &r).map_err(|e| SolveError::Breakdown(e.to_string()))?;
        // Backtrack on the gradient norm: full Newton steps near the solution, shorter ones far
        // from it (the loss is only C^2 where neurons align, so Newton is not globally safe).
        let mut t = 1.0;
        loop {
            let mut q = p.to_array();
            for (x, s) in q.iter_mut().zip(&step) {
                *x -= t * s;
            }
            let candidate = TypeA::from_array(q);
            let next = reduced_system(&loss, d, candidate);
            if next.3 < grad_norm || t < 1e-6 {
                p = candidate;
                (r, jac, value, grad_norm) = next;
                break;
            }
            t *= 0.5;
        }
    }
    Err(SolveError::NoConvergence { grad_norm })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn network_has_the_block_structure() {
        let p = TypeA {
            a: 1.0,
            b: 2.0,
            c: 3.0,
            e: 4.0,
            f: 5.0,
        };
        let w = p.network(3);
        assert_eq!(w.w(), &[1.0, 2.0, 3.0, 2.0, 1.0, 3.0, 4.0, 4.0, 5.0]);
    }

    /// The gradient at any member of the family lies in the 5-dimensional fixed space: entries
    /// of the same parameter class share one value (equivariance), which is what makes the
    /// reduced system exact.
    #[test]
    fn gradient_is_constant_on_parameter_classes() {
        let d = 6;
        let p = TypeA {
            a: 0.9,
            b: -0.1,
            c: 0.3,
            e: 0.2,
            f: -0.6,
        };
        let loss = PopulationLoss::new(TwoLayerNet::identity(d));
        let mut g = LossGradient::new(d, d);
        loss.evaluate(&p.network(d), &mut g).unwrap();
        let mut first = [f64::NAN; 5];
        for i in 0..d {
            for j in 0..d {
                let k = parameter_of(d, i, j);
                let x = g.grad_w[i * d + j];
                if first[k].is_nan() {
                    first[k] = x;
                }
                assert!(
                    (x - first[k]).abs() < 1e-14,
                    "({i},{j}) class {k}: {x} vs {}",
                    first[k]
                );
            }
        }
    }
}
