//! `overparam sphere-spectrum`: Funk–Hecke eigenvalues of the ReLU dot-product kernels on
//! S^(d-1), degree by degree, with the multiplicities of the spherical harmonics.
//!
//! One-hidden-layer kernels come from closed forms (exact parity zeros); deeper ones from the
//! two-order quadrature of `overparam_kernel::sphere`, refused where its error bound exceeds
//! 1e-6 of an eigenvalue rather than printed as noise.

use std::path::PathBuf;
use std::process::ExitCode;

use overparam_kernel::sphere::closed_form::closed_form_eigenvalues;
use overparam_kernel::sphere::funk_hecke::base_order;
use overparam_kernel::sphere::{DotProductKernel, harmonic_dimension, quadrature_eigenvalues};
use overparam_report::check_output_file;

use crate::spline::write_atomically;
use crate::usage_error;

/// The first line of every file this command writes; `--force` replaces only such files.
const HEADER: &str = "degree,eigenvalue,multiplicity";
/// Largest relative error bound accepted for a quadrature eigenvalue (six significant digits).
pub const QUADRATURE_RELATIVE_TOLERANCE: f64 = 1e-6;
/// Most degrees for the closed forms (about 4 MB of CSV, well under a second).
const MAX_DEGREES_CLOSED_FORM: i64 = 100_000;
/// Largest K + d for the quadrature: its 2m-point rule then has about 1660 nodes (about a
/// second of Golub–Welsch); beyond it the rounding floor hides the high degrees anyway (at
/// d = 3 the depth-2 NTK is resolved to 1e-6 up to k = 502 only).
const MAX_DEGREES_PLUS_DIM_QUADRATURE: i64 = 1_000;
/// Largest dimension accepted.
const MAX_DIM: i64 = 1_000_000;
/// Largest depth accepted.
const MAX_DEPTH: i64 = 100;

pub const LONG_ABOUT: &str = "\
Eigenvalues mu_k of the integral operator (T f)(x) = E_x'[kappa(x . x') f(x')] on the unit \
sphere S^(d-1) in R^d, x' uniform (the probability measure, not the surface measure), for \
degrees k = 0..K. T acts on the degree-k spherical harmonics (dimension N(d, k) = \
C(d+k-1, k) - C(d+k-3, k-2)) as multiplication by the Funk-Hecke coefficient \
mu_k = (omega_(d-2) / omega_(d-1)) int_(-1)^1 kappa(t) P_k(t) (1 - t^2)^((d-3)/2) dt, \
P_k the Gegenbauer polynomial C_k^((d-2)/2) normalised to P_k(1) = 1 and omega_m the area of \
S^m; so sum_k N(d, k) mu_k = kappa(1).

Kernels (network convention: h_0 = x, h_l = sqrt(2/m) relu(W_l h_(l-1)), f(x) = v^T h_L, all \
entries standard normal, no biases, L = --depth hidden layers, all layers trained, m -> \
infinity):
  arccos0   kappa0(t) = 1 - arccos(t)/pi (Cho-Saul order 0, times 2 so kappa(1) = 1)
  arccos1   kappa1(t) = (sqrt(1 - t^2) + (pi - arccos t) t)/pi (order 1, same factor)
  relu-nngp Sigma^(L) = kappa1 applied L times (the output covariance; L = 1 is arccos1)
  relu-ntk  Theta = Sigma^(L) + sum_(l=1..L) Sigma^(l-1) prod_(h=l..L) kappa0(Sigma^(h-1)), \
Sigma^(0) = t; Theta(1) = L + 1 (L = 1: kappa1(t) + t kappa0(t))

Method: for depth 1 (arccos0, arccos1, and relu-ntk / relu-nngp with --depth 1) exact closed \
forms; their parity zeros (even k >= 2 for arccos0, odd k >= 3 for the others) are printed \
as 0. For --depth >= 2, Gauss-Legendre quadrature in the angle theta = arccos t (where the \
kernels are analytic) at m = ceil(0.8 (K + d)) + 32 and 2m points; the 2m-point value is \
printed if |Q_m - Q_2m| plus a rounding bound is at most 1e-6 of |mu_k| at every degree, and \
otherwise the command refuses and names the largest degree it can resolve. K + d <= 1000 \
for the quadrature, K <= 100000 for the closed forms, d <= 1000000, 1 <= L <= 100.

Output: CSV with header degree,eigenvalue,multiplicity (shortest round-trip floats, exact \
integer multiplicities), to standard output, or with --out FILE written to a temporary file \
and renamed into place, with a one-line summary on standard output.

Exit status: 0 written; 2 bad input (d < 2, a degree the method cannot resolve, --depth with \
an arc-cosine kernel, a multiplicity above 2^128, an existing --out without --force), and \
then nothing is written.";

#[derive(clap::ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
pub enum KernelName {
    /// The infinite-width NTK of the ReLU network (all layers trained).
    ReluNtk,
    /// The NNGP kernel (output covariance) of the ReLU network.
    ReluNngp,
    /// The arc-cosine kernel of order 0, 1 - arccos(t)/pi.
    Arccos0,
    /// The arc-cosine kernel of order 1.
    Arccos1,
}

#[derive(clap::Args)]
#[command(allow_negative_numbers = true)]
pub struct SphereSpectrumArgs {
    /// The dot-product kernel.
    #[arg(long, value_enum)]
    pub kernel: KernelName,
    /// Hidden layers L of relu-ntk / relu-nngp (default 1); not accepted for arccos0/arccos1.
    #[arg(long)]
    pub depth: Option<i64>,
    /// The ambient dimension d of the sphere S^(d-1) in R^d (d >= 2; d = 3 is the 2-sphere).
    #[arg(long)]
    pub dim: i64,
    /// The largest degree K: rows k = 0..K are written.
    #[arg(long)]
    pub degrees: i64,
    /// Output CSV file; without it the CSV goes to standard output.
    #[arg(long)]
    pub out: Option<PathBuf>,
    /// Replace an existing --out file, but only one whose first line is exactly
    /// `degree,eigenvalue,multiplicity` (output of this command).
    #[arg(long)]
    pub force: bool,
}

pub fn run(args: SphereSpectrumArgs) -> ExitCode {
    match compute_and_write(&args) {
        Ok(Some(summary)) => {
            say!("{summary}");
            ExitCode::SUCCESS
        }
        Ok(None) => ExitCode::SUCCESS,
        Err(message) => usage_error(&message),
    }
}

/// One output row.
struct Row {
    degree: usize,
    /// `None` for a zero proven by parity (printed as `0`).
    eigenvalue: Option<f64>,
    multiplicity: u128,
}

fn kernel_from(args: &SphereSpectrumArgs) -> Result<DotProductKernel, String> {
    let depth = match (args.kernel, args.depth) {
        (KernelName::Arccos0 | KernelName::Arccos1, Some(_)) => {
            return Err(
                "--depth applies to relu-ntk and relu-nngp only; arccos0 and arccos1 \
                        are single-layer kernels (relu-nngp --depth L composes arccos1 L times)"
                    .to_owned(),
            );
        }
        (_, None) => 1,
        (_, Some(l)) if (1..=MAX_DEPTH).contains(&l) => l as usize,
        (_, Some(l)) => {
            return Err(format!(
                "--depth must be between 1 and {MAX_DEPTH} hidden layers, got {l}"
            ));
        }
    };
    Ok(match args.kernel {
        KernelName::Arccos0 => DotProductKernel::ArcCos0,
        KernelName::Arccos1 => DotProductKernel::ArcCos1,
        KernelName::ReluNtk => DotProductKernel::ReluNtk { depth },
        KernelName::ReluNngp => DotProductKernel::ReluNngp { depth },
    })
}

fn compute_and_write(args: &SphereSpectrumArgs) -> Result<Option<String>, String> {
    if let Some(out) = &args.out {
        check_output_file(out, HEADER, args.force).map_err(|e| e.to_string())?;
    }
    let kernel = kernel_from(args)?;
    if !(2..=MAX_DIM).contains(&args.dim) {
        return Err(format!(
            "--dim must be between 2 and {MAX_DIM} (the sphere S^(d-1) in R^d), got {}",
            args.dim
        ));
    }
    if args.degrees < 0 {
        return Err(format!("--degrees must be >= 0, got {}", args.degrees));
    }
    let (d, max_degree) = (args.dim as usize, args.degrees as usize);
    let closed = kernel.depth() == 1;
    if closed && args.degrees > MAX_DEGREES_CLOSED_FORM {
        return Err(format!(
            "--degrees must be at most {MAX_DEGREES_CLOSED_FORM} for the closed forms, got {}",
            args.degrees
        ));
    }
    if !closed && args.degrees + args.dim > MAX_DEGREES_PLUS_DIM_QUADRATURE {
        return Err(format!(
            "--degrees + --dim must be at most {MAX_DEGREES_PLUS_DIM_QUADRATURE} for depth >= 2 \
             (quadrature), got {}",
            args.degrees + args.dim
        ));
    }
    let multiplicities = (0..=max_degree)
        .map(|k| {
            harmonic_dimension(d, k).ok_or_else(|| {
                format!("the multiplicity N({d}, {k}) exceeds 2^128; lower --degrees or --dim")
            })
        })
        .collect::<Result<Vec<u128>, String>>()?;
    let (rows, method) = if closed {
        let values = closed_form_eigenvalues(kernel, d, max_degree)
            .ok_or_else(|| "internal: no closed form for depth 1".to_owned())?;
        for (k, e) in values.iter().enumerate() {
            if !e.structural_zero && !e.value.is_normal() {
                return Err(format!(
                    "mu_{k} underflows double precision at d = {d}; the largest degree \
                     representable is {}",
                    k.saturating_sub(1)
                ));
            }
        }
        let rows = values
            .iter()
            .enumerate()
            .map(|(k, e)| Row {
                degree: k,
                eigenvalue: (!e.structural_zero).then_some(e.value),
                multiplicity: multiplicities[k],
            })
            .collect::<Vec<_>>();
        (rows, "closed form".to_owned())
    } else {
        let values = quadrature_eigenvalues(kernel, d, max_degree).map_err(|e| e.to_string())?;
        let mut worst: f64 = 0.0;
        for (k, q) in values.iter().enumerate() {
            let relative = q.error_bound / q.value.abs();
            // NaN, or a value of 0 (relative = inf), is refused too: never printed as a result.
            let resolved = relative.is_finite() && relative <= QUADRATURE_RELATIVE_TOLERANCE;
            if !resolved {
                return Err(format!(
                    "degree {k} is beyond the quadrature's accuracy at d = {d}: mu_{k} = {:.3e} \
                     with error bound {:.1e} (more than {QUADRATURE_RELATIVE_TOLERANCE:e} \
                     relative); the largest degree resolved is {}",
                    q.value,
                    q.error_bound,
                    k.saturating_sub(1)
                ));
            }
            worst = worst.max(relative);
        }
        let m = base_order(d, max_degree);
        let rows = values
            .iter()
            .enumerate()
            .map(|(k, q)| Row {
                degree: k,
                eigenvalue: Some(q.value),
                multiplicity: multiplicities[k],
            })
            .collect::<Vec<_>>();
        (
            rows,
            format!(
                "Gauss-Legendre in the angle at {m} and {} points, relative error bound <= {worst:.1e}",
                2 * m
            ),
        )
    };
    let mut text = format!("{HEADER}\n");
    for row in &rows {
        let value = row
            .eigenvalue
            .map_or_else(|| "0".to_owned(), |v| format!("{v:?}"));
        text.push_str(&format!("{},{value},{}\n", row.degree, row.multiplicity));
    }
    match &args.out {
        None => {
            use std::io::Write as _;
            let _ = std::io::stdout().write_all(text.as_bytes());
            Ok(None)
        }
        Some(out) => {
            write_atomically(out, text.as_bytes(), args.force, HEADER)?;
            Ok(Some(format!(
                "wrote degrees 0..{max_degree} to {} ({kernel:?}, d = {d}; {method})",
                out.display()
            )))
        }
    }
}
