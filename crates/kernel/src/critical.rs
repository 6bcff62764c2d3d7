//! Is a point of the population loss a minimum, a saddle, or not critical at all?
//!
//! Criticality and curvature are with respect to the first-layer weights W (output weights
//! fixed), the setting of Safran-Shamir and Arjevani-Field.
//!
//! A student row that is zero is a kink of relu: the loss is not differentiable there in general
//! (the one-sided derivatives along u and -u sum to E[|u.x| r(x)], r the residual of the other
//! neurons, not zero), so such a point gets no first- or second-order verdict. A zero *teacher*
//! row is harmless: relu(0.x) = 0, the neuron is simply absent and L stays smooth in W.

use std::fmt;

use overparam_linalg::{LinalgError, Par, ensure_fits, sym_eigen_bytes, sym_eigenvalues};

use crate::arccos::norm;
use crate::population::{HessianError, LossGradient, PopulationLoss, ShapeError, TwoLayerNet};
use crate::symmetric_hessian::{SymmetricError, SymmetricSpectrum, symmetric_spectrum};
use crate::symmetry::{
    DETECTION_TOLERANCE, DetectedSymmetry, detect_symmetry, is_identity_teacher,
};

/// Thresholds of the classification.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Tolerances {
    /// A point is critical when ||grad_W L|| <= this.
    pub grad_norm: f64,
    /// A critical point is a strict minimum when lambda_min > this, a saddle when
    /// lambda_min < -this, degenerate otherwise.
    pub eigenvalue: f64,
}

impl Tolerances {
    /// Defaults for published critical points. Weights printed to ten significant digits are off
    /// by up to 5e-11 per entry, which leaves a gradient of about ||H|| sqrt(k d) 5e-11 ~ 1e-9 at
    /// d = 20; 1e-7 accepts that with a margin of 100 and still rejects any point whose gradient is
    /// visibly non-zero. Eigenvalues are resolved to ~n eps ||H|| ~ 1e-12, and a gradient residual
    /// g moves them by about ||g|| / lambda_min; 1e-6 is safely above both.
    pub const PUBLISHED: Tolerances = Tolerances {
        grad_norm: 1e-7,
        eigenvalue: 1e-6,
    };
}

/// What kind of point it is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Classification {
    Minimum,
    Saddle,
    /// Critical, with smallest eigenvalue within tolerance of zero (no second-order verdict).
    Degenerate,
    NotCritical,
    /// Student row `zero_neuron` (0-based) is zero (or so small that its norm underflows to 0):
    /// the loss has a kink there, and neither gradient nor Hessian exists in general.
    NonDifferentiable {
        zero_neuron: usize,
    },
}

impl Classification {
    pub fn name(self) -> &'static str {
        match self {
            Classification::Minimum => "minimum",
            Classification::Saddle => "saddle",
            Classification::Degenerate => "degenerate",
            Classification::NotCritical => "not-critical",
            Classification::NonDifferentiable { .. } => "non-differentiable",
        }
    }

    /// What a user reads: the name, and for a non-differentiable point which neuron is zero
    /// (`non-differentiable: zero neuron 2`).
    pub fn label(self) -> String {
        match self {
            Classification::NonDifferentiable { zero_neuron } => {
                format!("non-differentiable: zero neuron {zero_neuron}")
            }
            other => other.name().to_owned(),
        }
    }
}

/// The first student row whose norm is 0 in floating point (every entry zero, or all so small
/// that the squares underflow): the population loss code treats such a row as absent, and
/// the loss is not differentiable there. O(k d).
pub fn zero_neuron(student: &TwoLayerNet) -> Option<usize> {
    (0..student.width()).find(|&i| norm(student.neuron(i)) == 0.0)
}

/// Loss, gradient norm and Hessian spectrum of a point, with the classification.
#[derive(Debug, Clone)]
pub struct PointAnalysis {
    pub loss: f64,
    /// ||grad_W L||.
    pub grad_norm: f64,
    /// Eigenvalues of the Hessian in W, ascending.
    pub spectrum: Vec<f64>,
    /// |sum(eig) - tr H| / ||H||_F and |sqrt(sum eig^2) - ||H||_F| / ||H||_F.
    pub trace_error: f64,
    pub frobenius_error: f64,
    pub classification: Classification,
}

impl PointAnalysis {
    pub fn lambda_min(&self) -> f64 {
        self.spectrum[0]
    }
    pub fn lambda_max(&self) -> f64 {
        self.spectrum[self.spectrum.len() - 1]
    }
}

/// Why a point could not be analysed.
#[derive(Debug, Clone, PartialEq)]
pub enum AnalysisError {
    Shape(ShapeError),
    Linalg(LinalgError),
    /// The symmetry-adapted spectrum failed its checks.
    Symmetric(SymmetricError),
    /// The loss or gradient is not finite.
    NonFinite,
    /// The dense computation needs `bytes`, which this machine cannot allocate.
    OutOfMemory {
        bytes: u128,
        reason: String,
    },
}

impl fmt::Display for AnalysisError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            AnalysisError::Shape(e) => e.fmt(f),
            AnalysisError::Linalg(e) => e.fmt(f),
            AnalysisError::Symmetric(e) => e.fmt(f),
            AnalysisError::NonFinite => write!(f, "loss or gradient is not finite"),
            AnalysisError::OutOfMemory { bytes, reason } => write!(
                f,
                "cannot allocate {:.3} GiB for the dense Hessian and its eigensolver: {reason}",
                *bytes as f64 / GIB
            ),
        }
    }
}

impl std::error::Error for AnalysisError {}

/// Classifies from the gradient norm and the smallest Hessian eigenvalue.
pub fn classify(grad_norm: f64, lambda_min: f64, tol: Tolerances) -> Classification {
    if grad_norm.is_nan() || grad_norm > tol.grad_norm {
        Classification::NotCritical
    } else if lambda_min > tol.eigenvalue {
        Classification::Minimum
    } else if lambda_min < -tol.eigenvalue {
        Classification::Saddle
    } else {
        Classification::Degenerate
    }
}

const GIB: f64 = (1u64 << 30) as f64;

/// Bytes of the dense Hessian of a k x d student plus its eigensolver workspace.
pub fn dense_hessian_bytes(k: usize, d: usize) -> u128 {
    let n = k as u128 * d as u128;
    // sym_eigen_bytes takes a usize; past usize::MAX the size is hopeless anyway.
    let workspace = usize::try_from(n).map_or(n * n * 16, |n| sym_eigen_bytes(n, false));
    workspace + n * n * 8
}

/// Everything the dense analysis of a k x d student against m teacher rows holds at its peak:
/// the Hessian and eigensolver ([`dense_hessian_bytes`]), the teacher's rows, unit vectors and
/// their transpose (3 m d) and the loss-gradient buffers (7 k d). From the shapes alone, so a
/// point can be refused before anything that scales is built.
pub fn dense_analysis_bytes(k: usize, d: usize, m: usize) -> u128 {
    let (k, d, m) = (k as u128, d as u128, m as u128);
    dense_hessian_bytes(k as usize, d as usize) + (3 * m * d + 7 * k * d) * 8
}

/// Whether `bytes` can be allocated here, asked before any of it is used: the dense Hessian is
/// allocated fallibly, but faer's own buffers (the matrix it copies, the eigensolver's
/// workspace) abort the process when an allocation fails, so the whole estimate is first
/// checked against physical memory plus swap (on Linux, /proc/meminfo; this also holds when
/// the kernel overcommits) and then reserved once, fallibly, and released untouched.
pub fn probe_allocation(bytes: u128) -> Result<(), AnalysisError> {
    let fail = |reason: String| Err(AnalysisError::OutOfMemory { bytes, reason });
    if let Some(available) = memory_and_swap_bytes()
        && bytes > available
    {
        return fail(format!(
            "this machine has {:.3} GiB of memory and swap",
            available as f64 / GIB
        ));
    }
    let Ok(size) = usize::try_from(bytes) else {
        return fail("larger than the address space".to_owned());
    };
    let mut probe: Vec<u8> = Vec::new();
    if probe.try_reserve_exact(size).is_err() {
        return fail("the allocator refused it".to_owned());
    }
    Ok(())
}

/// MemTotal + SwapTotal from /proc/meminfo, where there is one.
fn memory_and_swap_bytes() -> Option<u128> {
    let text = std::fs::read_to_string("/proc/meminfo").ok()?;
    let field = |name: &str| -> Option<u128> {
        let line = text.lines().find(|l| l.starts_with(name))?;
        let kib: u128 = line[name.len()..]
            .trim()
            .strip_suffix("kB")?
            .trim()
            .parse()
            .ok()?;
        Some(kib * 1024)
    };
    Some(field("MemTotal:")? + field("SwapTotal:").unwrap_or(0))
}

/// Loss, gradient and dense Hessian spectrum at `student`; refuses (before allocating) when the
/// dense Hessian and its eigensolver would need more than `memory_limit` bytes, and returns
/// [`AnalysisError::OutOfMemory`] (never aborts) when they cannot be allocated. A zero student
/// row makes the classification [`Classification::NonDifferentiable`] (the numbers are still
/// those of the formulas, which treat the row as absent).
pub fn analyse_point(
    loss: &PopulationLoss,
    student: &TwoLayerNet,
    tol: Tolerances,
    memory_limit: u128,
    par: Par,
) -> Result<PointAnalysis, AnalysisError> {
    ensure_fits(
        dense_hessian_bytes(student.width(), student.dim()),
        memory_limit,
    )
    .map_err(AnalysisError::Linalg)?;
    probe_allocation(dense_hessian_bytes(student.width(), student.dim()))?;
    let mut g = LossGradient::new(student.width(), student.dim());
    loss.evaluate(student, &mut g)
        .map_err(AnalysisError::Shape)?;
    let grad_norm = g.norm_w();
    if !g.loss.is_finite() || !grad_norm.is_finite() {
        return Err(AnalysisError::NonFinite);
    }
    let h = loss.try_hessian_w(student).map_err(|e| match e {
        HessianError::Shape(e) => AnalysisError::Shape(e),
        HessianError::OutOfMemory { bytes } => AnalysisError::OutOfMemory {
            bytes,
            reason: "the allocator refused the Hessian's buffer".to_owned(),
        },
    })?;
    let eig = sym_eigenvalues(h.as_ref(), par).map_err(AnalysisError::Linalg)?;
    let classification = match zero_neuron(student) {
        Some(i) => Classification::NonDifferentiable { zero_neuron: i },
        None => classify(grad_norm, eig.values[0], tol),
    };
    Ok(PointAnalysis {
        loss: g.loss,
        grad_norm,
        trace_error: eig.trace_error,
        frobenius_error: eig.frobenius_error,
        spectrum: eig.values,
        classification,
    })
}

/// A necessary condition for [`detect_symmetry`] in one O(k d) pass with at most 5
/// comparisons per entry: both shapes it detects have at most 5 distinct values (alpha, beta;
/// or a, b, c, e, f), and entries of one class lie within 2 tol of each other (each within tol
/// of the class mean), so representatives more than 2 tol apart belong to distinct classes. A
/// generic point fails after a handful of entries, before the sorting detection would start.
pub fn may_have_detectable_symmetry(w: &[f64], rel_tol: f64) -> bool {
    let scale = w.iter().fold(0.0f64, |m, x| m.max(x.abs()));
    let spread = 2.0 * rel_tol * scale;
    let mut representatives: Vec<f64> = Vec::with_capacity(6);
    for &x in w {
        if !representatives.iter().any(|r| (x - r).abs() <= spread) {
            if representatives.len() == 5 {
                return false;
            }
            representatives.push(x);
        }
    }
    true
}

/// A point analysed through its symmetry: the spectrum as blocks with multiplicities, and the
/// permutations that bring the input to its canonical form.
#[derive(Debug, Clone)]
pub struct SymmetricAnalysis {
    /// Loss and gradient at the input itself; spectrum expanded from the blocks.
    pub analysis: PointAnalysis,
    pub spectrum: SymmetricSpectrum,
    pub symmetry: DetectedSymmetry,
}

/// The analysis of [`analyse_point`] through the symmetry-adapted blocks, for a k = d student
/// with unit output weights against teacher I_d (up to row order) whose weights have isotropy
/// Delta S_d or Delta(S_{d-1} x S_1) up to row and column permutations (within
/// [`DETECTION_TOLERANCE`]). Ok(None) when the point or the loss is not of that kind. No dense
/// d^2 x d^2 matrix is formed: O(d^3) for the loss and gradient, O(d^2) per block product.
pub fn analyse_symmetric_point(
    loss: &PopulationLoss,
    student: &TwoLayerNet,
    tol: Tolerances,
) -> Result<Option<SymmetricAnalysis>, AnalysisError> {
    let d = student.dim();
    if student.width() != d
        || student.a().iter().any(|&a| a != 1.0)
        || loss.terms() != crate::population::KernelTerms::Exact
        || loss.teacher().dim() != d
        || !is_identity_teacher(loss.teacher())
    {
        return Ok(None);
    }
    let Some(symmetry) = detect_symmetry(student.w(), d, DETECTION_TOLERANCE) else {
        return Ok(None);
    };
    let mut g = LossGradient::new(d, d);
    loss.evaluate(student, &mut g)
        .map_err(AnalysisError::Shape)?;
    let grad_norm = g.norm_w();
    if !g.loss.is_finite() || !grad_norm.is_finite() {
        return Err(AnalysisError::NonFinite);
    }
    let spectrum = symmetric_spectrum(symmetry.point, d).map_err(AnalysisError::Symmetric)?;
    let values = spectrum.expanded();
    let classification = match zero_neuron(student) {
        Some(i) => Classification::NonDifferentiable { zero_neuron: i },
        None => classify(grad_norm, values[0], tol),
    };
    Ok(Some(SymmetricAnalysis {
        analysis: PointAnalysis {
            loss: g.loss,
            grad_norm,
            trace_error: spectrum.trace_error,
            frobenius_error: spectrum.frobenius_error,
            spectrum: values,
            classification,
        },
        spectrum,
        symmetry,
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn classification_rules() {
        let t = Tolerances::PUBLISHED;
        assert_eq!(classify(1e-3, 1.0, t), Classification::NotCritical);
        assert_eq!(classify(1e-9, 0.01, t), Classification::Minimum);
        assert_eq!(classify(1e-9, -0.01, t), Classification::Saddle);
        assert_eq!(classify(1e-9, 1e-9, t), Classification::Degenerate);
        assert_eq!(classify(f64::NAN, 1.0, t), Classification::NotCritical);
    }

    #[test]
    fn global_minimum_is_a_minimum_and_a_shifted_point_is_not_critical() {
        let loss = PopulationLoss::new(TwoLayerNet::identity(4));
        let a = analyse_point(
            &loss,
            &TwoLayerNet::identity(4),
            Tolerances::PUBLISHED,
            1 << 30,
            Par::Seq,
        )
        .unwrap();
        assert_eq!(a.classification, Classification::Minimum);
        let mut moved = TwoLayerNet::identity(4);
        moved.w_mut()[1] = 0.1;
        let b = analyse_point(&loss, &moved, Tolerances::PUBLISHED, 1 << 30, Par::Seq).unwrap();
        assert_eq!(b.classification, Classification::NotCritical);
    }

    #[test]
    fn a_zero_row_is_non_differentiable_on_both_paths() {
        let d = 4;
        let loss = PopulationLoss::new(TwoLayerNet::identity(d));
        let zero = TwoLayerNet::from_flat(d, vec![1.0; d], vec![0.0; d * d]).unwrap();
        let dense = analyse_point(&loss, &zero, Tolerances::PUBLISHED, 1 << 30, Par::Seq).unwrap();
        let expected = Classification::NonDifferentiable { zero_neuron: 0 };
        assert_eq!(dense.classification, expected);
        // W = 0 is alpha I + beta (11^T - I) with alpha = beta = 0: the block path applies.
        let blocks = analyse_symmetric_point(&loss, &zero, Tolerances::PUBLISHED)
            .unwrap()
            .expect("Delta S_d");
        assert_eq!(blocks.analysis.classification, expected);
        assert_eq!(expected.label(), "non-differentiable: zero neuron 0");
        let mut one_row = TwoLayerNet::identity(d);
        one_row.w_mut()[2 * d + 2] = 0.0;
        assert_eq!(zero_neuron(&one_row), Some(2));
        // Squares that underflow: the formulas already treat the row as absent.
        one_row.w_mut()[2 * d + 2] = 1e-170;
        assert_eq!(zero_neuron(&one_row), Some(2));
        assert_eq!(zero_neuron(&TwoLayerNet::identity(d)), None);
    }

    #[test]
    fn an_impossible_size_is_an_error_not_an_abort() {
        // 10^6 x 10^6 Hessian: 8 TB for the matrix alone.
        let bytes = dense_analysis_bytes(1, 1_000_000, 1_000_000);
        assert!(bytes > 8_000_000_000_000);
        assert!(matches!(
            probe_allocation(bytes),
            Err(AnalysisError::OutOfMemory { .. })
        ));
        assert!(matches!(
            probe_allocation(u128::MAX),
            Err(AnalysisError::OutOfMemory { .. })
        ));
        assert_eq!(probe_allocation(1 << 20), Ok(()));
    }

    #[test]
    fn the_fallible_hessian_is_the_same_matrix() {
        let loss = PopulationLoss::new(TwoLayerNet::identity(3));
        let mut s = TwoLayerNet::identity(3);
        s.w_mut()[1] = 0.3;
        s.w_mut()[5] = -0.7;
        let (a, b) = (loss.hessian_w(&s).unwrap(), loss.try_hessian_w(&s).unwrap());
        for r in 0..9 {
            for c in 0..9 {
                assert_eq!(a[(r, c)].to_bits(), b[(r, c)].to_bits());
            }
        }
    }

    #[test]
    fn the_prefilter_never_rejects_a_detectable_point() {
        use crate::symmetric_hessian::SymmetricPoint;
        use crate::type_a::TypeA;
        let d = 9;
        let shapes = [
            SymmetricPoint::Diagonal {
                alpha: 0.9,
                beta: -0.05,
            },
            SymmetricPoint::TypeA(TypeA {
                a: 1.0,
                b: -0.01,
                c: 0.15,
                e: 0.1,
                f: -0.7,
            }),
        ];
        for point in shapes {
            let net = point.as_type_a().network(d);
            assert!(detect_symmetry(net.w(), d, DETECTION_TOLERANCE).is_some());
            assert!(may_have_detectable_symmetry(net.w(), DETECTION_TOLERANCE));
        }
        // Six distinct values: not one of the shapes.
        let generic: Vec<f64> = (0..d * d).map(|i| i as f64).collect();
        assert!(!may_have_detectable_symmetry(&generic, DETECTION_TOLERANCE));
        assert!(detect_symmetry(&generic, d, DETECTION_TOLERANCE).is_none());
    }

    #[test]
    fn refuses_what_does_not_fit() {
        let loss = PopulationLoss::new(TwoLayerNet::identity(30));
        let r = analyse_point(
            &loss,
            &TwoLayerNet::identity(30),
            Tolerances::PUBLISHED,
            1000,
            Par::Seq,
        );
        assert!(matches!(
            r,
            Err(AnalysisError::Linalg(LinalgError::TooLarge { .. }))
        ));
    }
}
