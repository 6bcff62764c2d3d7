//! Exact Funk–Hecke eigenvalues of the one-hidden-layer ReLU kernels on S^(d-1).
//!
//! kappa0 = 2 E_w[s(w.x) s(w.x')] with s the unit step and w uniform on the sphere, so by
//! Funk–Hecke mu_k(kappa0) = 2 a_k^2, a_k the Funk–Hecke coefficient of s; likewise
//! kappa1 = 2 E_w[relu(w.x) relu(w.x')] for w ~ N(0, I_d) = 2d E_(w uniform)[...], so
//! mu_k(kappa1) = 2 d b_k^2 with b_k that of relu. Rodrigues' formula and k integrations by parts
//! give, with c_d = Gamma(d/2) / (sqrt(pi) Gamma((d-1)/2)), nu = (d-1)/2 and (x)_j the rising
//! factorial (derived here; checked against quadrature in tests/sphere.rs):
//!
//! * a_0 = 1/2, a_(2j+1) = c_d (-1)^j (1/2) (1/2)_j / (nu)_(j+1), a_k = 0 for even k >= 2;
//! * b_0 = c_d / (d - 1), b_1 = 1 / (2d), b_(2j+2) = c_d (-1)^j (1/4) (1/2)_j / (nu)_(j+2),
//!   b_k = 0 for odd k >= 3.
//!
//! The zeros are structural (kappa0 - 1/2 is odd; kappa1 - t/2 is even), so they are returned
//! as exact 0 and flagged. The two-layer NTK kappa1(t) + t kappa0(t) follows from
//! t P_k = (k P_(k-1) + (k + d - 2) P_(k+1)) / (2k + d - 2): odd k >= 3 again gives exactly 0.

use super::kernels::DotProductKernel;

/// One eigenvalue and whether it is zero by the parity argument (not by rounding).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ExactEigenvalue {
    pub value: f64,
    pub structural_zero: bool,
}

/// c_d = Gamma(d/2) / (sqrt(pi) Gamma((d-1)/2)) = omega_(d-2) / omega_(d-1), by
/// c_(d+2) = c_d d / (d - 1) from c_2 = 1/pi, c_3 = 1/2 (d - 2)/2 steps, each rounded once).
pub fn sphere_area_ratio(d: usize) -> f64 {
    assert!(d >= 2, "spheres S^(d-1) need d >= 2");
    let (mut c, mut e) = if d.is_multiple_of(2) {
        (1.0 / std::f64::consts::PI, 2usize)
    } else {
        (0.5, 3usize)
    };
    while e < d {
        c *= e as f64 / (e - 1) as f64;
        e += 2;
    }
    c
}

/// mu_0..mu_K in closed form for the kernels that have one (the arc-cosine kernels, and the NTK
/// and NNGP of one hidden layer); `None` for deeper kernels.
pub fn closed_form_eigenvalues(
    kernel: DotProductKernel,
    d: usize,
    max_degree: usize,
) -> Option<Vec<ExactEigenvalue>> {
    assert!(d >= 2, "spheres S^(d-1) need d >= 2");
    let exact = |value: f64, structural_zero: bool| ExactEigenvalue {
        value,
        structural_zero,
    };
    match kernel {
        DotProductKernel::ArcCos0 => Some(
            step_coefficients(d, max_degree)
                .into_iter()
                .enumerate()
                .map(|(k, a)| exact(2.0 * a * a, k >= 2 && k % 2 == 0))
                .collect(),
        ),
        DotProductKernel::ArcCos1 | DotProductKernel::ReluNngp { depth: 1 } => Some(
            relu_coefficients(d, max_degree)
                .into_iter()
                .enumerate()
                .map(|(k, b)| exact(2.0 * d as f64 * b * b, k >= 3 && k % 2 == 1))
                .collect(),
        ),
        DotProductKernel::ReluNtk { depth: 1 } => {
            let nngp = relu_coefficients(d, max_degree);
            let step = step_coefficients(d, max_degree + 1);
            let mu0: Vec<f64> = step.iter().map(|a| 2.0 * a * a).collect();
            let df = d as f64;
            Some(
                (0..=max_degree)
                    .map(|k| {
                        let kf = k as f64;
                        // t kappa0(t): degree k collects degrees k - 1 and k + 1 of kappa0.
                        let shifted = if k == 0 {
                            mu0[1]
                        } else {
                            (kf * mu0[k - 1] + (kf + df - 2.0) * mu0[k + 1]) / (2.0 * kf + df - 2.0)
                        };
                        let first = 2.0 * df * nngp[k] * nngp[k];
                        let zero = k >= 3 && k % 2 == 1;
                        if zero {
                            exact(0.0, true)
                        } else {
                            exact(first + shifted, false)
                        }
                    })
                    .collect(),
            )
        }
        _ => None,
    }
}

/// a_0..a_K, the Funk–Hecke coefficients of the unit step on S^(d-1).
fn step_coefficients(d: usize, max_degree: usize) -> Vec<f64> {
    let c = sphere_area_ratio(d);
    let nu = (d as f64 - 1.0) / 2.0;
    let mut out = vec![0.0; max_degree + 1];
    out[0] = 0.5;
    // q_j = (1/2)_j / (nu)_(j+1)
    let mut q = 1.0 / nu;
    let mut j = 0usize;
    while 2 * j < max_degree {
        let sign = if j.is_multiple_of(2) { 1.0 } else { -1.0 };
        out[2 * j + 1] = c * sign * 0.5 * q;
        q *= (0.5 + j as f64) / (nu + j as f64 + 1.0);
        j += 1;
    }
    out
}

/// b_0..b_K, the Funk–Hecke coefficients of relu on S^(d-1).
fn relu_coefficients(d: usize, max_degree: usize) -> Vec<f64> {
    let c = sphere_area_ratio(d);
    let df = d as f64;
    let nu = (df - 1.0) / 2.0;
    let mut out = vec![0.0; max_degree + 1];
    out[0] = c / (df - 1.0);
    if max_degree >= 1 {
        out[1] = 1.0 / (2.0 * df);
    }
    // s_j = (1/2)_j / (nu)_(j+2)
    let mut s = 1.0 / (nu * (nu + 1.0));
    let mut j = 0usize;
    while 2 * j + 2 <= max_degree {
        let sign = if j.is_multiple_of(2) { 1.0 } else { -1.0 };
        out[2 * j + 2] = c * sign * 0.25 * s;
        s *= (0.5 + j as f64) / (nu + j as f64 + 2.0);
        j += 1;
    }
    out
}
