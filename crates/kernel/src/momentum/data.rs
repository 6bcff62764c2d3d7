//! The data law of the interpolation model and its batch fourth moment.

use overparam_linalg::{Mat, Par, sym_eigen};
use rand::{Rng, RngExt};
use rand_distr::{Distribution, StandardNormal};

use super::MomentumError;

/// Mini-batch size: b i.i.d. samples, or the full (population) gradient.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum BatchSize {
    Finite(u64),
    Full,
}

impl BatchSize {
    /// A finite batch, refusing b < 1.
    pub fn new(b: u64) -> Result<BatchSize, MomentumError> {
        if b == 0 {
            Err(MomentumError::BatchTooSmall)
        } else {
            Ok(BatchSize::Finite(b))
        }
    }

    /// 1/b (0 for the full batch): the weight of the single-sample fourth moment in the batch.
    pub fn inverse(self) -> f64 {
        match self {
            BatchSize::Finite(b) => 1.0 / b as f64,
            BatchSize::Full => 0.0,
        }
    }
}

/// Which terms of the Gaussian fourth moment to keep. Only `Exact` is the model;
/// `WithoutTraceTerm` drops tr(HB)H (a plausible Isserlis mistake) so that tests and negative
/// controls can show that it changes the answers. Finite laws ignore the choice.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FourthMomentTerms {
    Exact,
    WithoutTraceTerm,
}

/// The distribution of one input x.
#[derive(Debug, Clone)]
pub enum DataLaw {
    /// x ~ N(0, H).
    Gaussian { covariance: Mat<f64> },
    /// x = points[k] with probability weights[k].
    Discrete {
        points: Vec<Vec<f64>>,
        weights: Vec<f64>,
    },
}

impl DataLaw {
    /// x ~ N(0, diag(spectrum)), every eigenvalue finite and positive.
    pub fn gaussian_diagonal(spectrum: &[f64]) -> Result<DataLaw, MomentumError> {
        validate_spectrum(spectrum)?;
        let d = spectrum.len();
        let covariance = Mat::from_fn(d, d, |i, j| if i == j { spectrum[i] } else { 0.0 });
        Ok(DataLaw::Gaussian { covariance })
    }

    /// x ~ N(0, H) for a symmetric positive-definite H.
    pub fn gaussian(covariance: Mat<f64>) -> Result<DataLaw, MomentumError> {
        let eig = sym_eigen(covariance.as_ref(), Par::Seq).map_err(|e| match e {
            overparam_linalg::LinalgError::NonFinite => MomentumError::NonFinite,
            other => MomentumError::Invalid(format!("covariance: {other}")),
        })?;
        if eig.values.is_empty() {
            return Err(MomentumError::Empty);
        }
        validate_spectrum(&eig.values)?;
        Ok(DataLaw::Gaussian { covariance })
    }

    /// A finite law; the weights must be positive and sum to 1 (within 1e-12), the points of one
    /// dimension, and their covariance positive definite (the model needs mu > 0).
    pub fn discrete(points: Vec<Vec<f64>>, weights: Vec<f64>) -> Result<DataLaw, MomentumError> {
        if points.is_empty() || points[0].is_empty() {
            return Err(MomentumError::Empty);
        }
        if points.len() != weights.len() {
            return Err(MomentumError::Invalid(format!(
                "{} points but {} weights",
                points.len(),
                weights.len()
            )));
        }
        let d = points[0].len();
        if points.iter().any(|p| p.len() != d) {
            return Err(MomentumError::Invalid(
                "points of different dimensions".into(),
            ));
        }
        if points
            .iter()
            .flatten()
            .chain(&weights)
            .any(|v| !v.is_finite())
        {
            return Err(MomentumError::NonFinite);
        }
        if let Some((index, &value)) = weights.iter().enumerate().find(|(_, w)| **w <= 0.0) {
            return Err(MomentumError::NonPositive { index, value });
        }
        let total: f64 = weights.iter().sum();
        if (total - 1.0).abs() > 1e-12 {
            return Err(MomentumError::Invalid(format!(
                "weights sum to {total}, not 1"
            )));
        }
        let law = DataLaw::Discrete { points, weights };
        let eig = sym_eigen(law.covariance().as_ref(), Par::Seq)?;
        validate_spectrum(&eig.values)?;
        Ok(law)
    }

    /// The dimension d of x.
    pub fn dim(&self) -> usize {
        match self {
            DataLaw::Gaussian { covariance } => covariance.nrows(),
            DataLaw::Discrete { points, .. } => points[0].len(),
        }
    }

    /// H = E[x x^T].
    pub fn covariance(&self) -> Mat<f64> {
        match self {
            DataLaw::Gaussian { covariance } => covariance.clone(),
            DataLaw::Discrete { points, weights } => {
                let d = self.dim();
                Mat::from_fn(d, d, |i, j| {
                    points
                        .iter()
                        .zip(weights)
                        .map(|(x, p)| p * x[i] * x[j])
                        .sum()
                })
            }
        }
    }

    /// E[x^T A x  x x^T] for symmetric A: the single-sample fourth moment weighted by A. For
    /// A = I this defines L1, for A = H^-1 kappa-tilde ([`super::Constants`]).
    pub fn weighted_fourth_moment(&self, a: &Mat<f64>) -> Mat<f64> {
        match self {
            DataLaw::Gaussian { covariance: h } => {
                // Isserlis: E[x^T A x x x^T] = tr(AH) H + 2 H A H.
                let hah = product(&product(h, a), h);
                let tr = trace_product(a, h);
                let d = h.nrows();
                Mat::from_fn(d, d, |i, j| tr * h[(i, j)] + 2.0 * hah[(i, j)])
            }
            DataLaw::Discrete { points, weights } => {
                let d = self.dim();
                let quad: Vec<f64> = points.iter().map(|x| quadratic_form(a, x)).collect();
                Mat::from_fn(d, d, |i, j| {
                    points
                        .iter()
                        .zip(weights)
                        .zip(&quad)
                        .map(|((x, p), q)| p * q * x[i] * x[j])
                        .sum()
                })
            }
        }
    }

    /// E[X_b B X_b] for symmetric B, X_b the mean of b i.i.d. copies of x x^T:
    /// (1/b) E[X B X] + (1 - 1/b) H B H. For Gaussian data E[X B X] = 2 HBH + tr(HB) H, so the
    /// batch moment is HBH + (HBH + tr(HB) H)/b.
    pub fn batch_fourth_moment(
        &self,
        b: &Mat<f64>,
        batch: BatchSize,
        terms: FourthMomentTerms,
    ) -> Mat<f64> {
        let inv = batch.inverse();
        let h = self.covariance();
        let hbh = product(&product(&h, b), &h);
        let d = h.nrows();
        match self {
            DataLaw::Gaussian { .. } => {
                let tr = match terms {
                    FourthMomentTerms::Exact => trace_product(&h, b),
                    FourthMomentTerms::WithoutTraceTerm => 0.0,
                };
                Mat::from_fn(d, d, |i, j| {
                    hbh[(i, j)] + inv * (hbh[(i, j)] + tr * h[(i, j)])
                })
            }
            DataLaw::Discrete { points, weights } => {
                let single = Self::discrete_fourth(points, weights, b);
                Mat::from_fn(d, d, |i, j| {
                    inv * single[(i, j)] + (1.0 - inv) * hbh[(i, j)]
                })
            }
        }
    }

    fn discrete_fourth(points: &[Vec<f64>], weights: &[f64], b: &Mat<f64>) -> Mat<f64> {
        let d = points[0].len();
        let quad: Vec<f64> = points.iter().map(|x| quadratic_form(b, x)).collect();
        Mat::from_fn(d, d, |i, j| {
            points
                .iter()
                .zip(weights)
                .zip(&quad)
                .map(|((x, p), q)| p * q * x[i] * x[j])
                .sum()
        })
    }

    /// A sampler for x: Gaussian through H = U diag(l) U^T, x = U sqrt(l) z.
    pub fn sampler(&self) -> Result<Sampler, MomentumError> {
        match self {
            DataLaw::Gaussian { covariance } => {
                let eig = sym_eigen(covariance.as_ref(), Par::Seq)?;
                let d = covariance.nrows();
                let root = Mat::from_fn(d, d, |i, j| {
                    eig.vectors[(i, j)] * eig.values[j].max(0.0).sqrt()
                });
                Ok(Sampler::Gaussian { root })
            }
            DataLaw::Discrete { points, weights } => {
                let mut cumulative = Vec::with_capacity(weights.len());
                let mut acc = 0.0;
                for w in weights {
                    acc += w;
                    cumulative.push(acc);
                }
                Ok(Sampler::Discrete {
                    points: points.clone(),
                    cumulative,
                })
            }
        }
    }
}

/// Draws single inputs x from a [`DataLaw`].
#[derive(Debug, Clone)]
pub enum Sampler {
    Gaussian {
        root: Mat<f64>,
    },
    Discrete {
        points: Vec<Vec<f64>>,
        cumulative: Vec<f64>,
    },
}

impl Sampler {
    /// One draw of x into `out` (length d).
    pub fn draw<R: Rng>(&self, rng: &mut R, z: &mut [f64], out: &mut [f64]) {
        match self {
            Sampler::Gaussian { root } => {
                for zi in z.iter_mut() {
                    *zi = StandardNormal.sample(rng);
                }
                for (i, o) in out.iter_mut().enumerate() {
                    *o = (0..z.len()).map(|j| root[(i, j)] * z[j]).sum();
                }
            }
            Sampler::Discrete { points, cumulative } => {
                let u: f64 = rng.random::<f64>() * cumulative[cumulative.len() - 1];
                let k = cumulative
                    .iter()
                    .position(|c| u < *c)
                    .unwrap_or(points.len() - 1);
                out.copy_from_slice(&points[k]);
            }
        }
    }
}

fn validate_spectrum(spectrum: &[f64]) -> Result<(), MomentumError> {
    if spectrum.is_empty() {
        return Err(MomentumError::Empty);
    }
    if spectrum.iter().any(|v| !v.is_finite()) {
        return Err(MomentumError::NonFinite);
    }
    if let Some((index, &value)) = spectrum.iter().enumerate().find(|(_, v)| **v <= 0.0) {
        return Err(MomentumError::NonPositive { index, value });
    }
    Ok(())
}

/// Dense product of small square matrices (d <= a few dozen here).
pub(crate) fn product(a: &Mat<f64>, b: &Mat<f64>) -> Mat<f64> {
    let (n, m, k) = (a.nrows(), b.ncols(), a.ncols());
    Mat::from_fn(n, m, |i, j| (0..k).map(|l| a[(i, l)] * b[(l, j)]).sum())
}

/// tr(A B) without forming the product.
pub(crate) fn trace_product(a: &Mat<f64>, b: &Mat<f64>) -> f64 {
    let n = a.nrows();
    (0..n)
        .map(|i| (0..n).map(|j| a[(i, j)] * b[(j, i)]).sum::<f64>())
        .sum()
}

fn quadratic_form(a: &Mat<f64>, x: &[f64]) -> f64 {
    let d = x.len();
    (0..d)
        .map(|i| x[i] * (0..d).map(|j| a[(i, j)] * x[j]).sum::<f64>())
        .sum()
}
