//! `overparam momentum-rate`: the exact rate of E||e_t||^2 of SGD, Nesterov-SGD or MaSS on the
//! linear interpolation model with Gaussian data of a given spectrum (Liu & Belkin, ICLR 2020),
//! as the spectral radius of the second-moment operator. This is how a practitioner asks
//! whether a (step, momentum, batch) choice converges, and how much momentum buys.

use std::path::PathBuf;
use std::process::ExitCode;

use overparam_input::InputReader;
use overparam_kernel::momentum::{
    BatchSize, Constants, DataLaw, FourthMomentTerms, Hyper, MAX_DENSE_DIM, Method,
    SecondMomentOperator,
};
use overparam_report::{OutputDir, OutputKind};
use serde_json::json;

use crate::input_args::InputArgs;
use crate::usage_error;

pub const LONG_ABOUT: &str = "The exact convergence rate of E||e_t||^2 for SGD, SGD with \
Nesterov momentum, and MaSS on the linear interpolation model of Liu & Belkin (ICLR 2020, \
arXiv 1810.13395).\n\nModel: y = w*^T x exactly, x ~ N(0, H) with H = diag(spectrum), loss \
1/2 (w^T x - y)^2, gradient g the mean over a mini-batch of b independent samples. Update (the \
paper's): w' = u - eta g(u);  u' = (1 + gamma) w' - gamma w + eta2 g(u). SGD is gamma = eta2 = 0, \
Nesterov-SGD is eta2 = 0. With e = (w - w*, u - w*), S = E[e e^T] evolves by an exact linear map T \
(Gaussian fourth moment E[X_b B X_b] = HBH + (HBH + tr(HB) H)/b), and rho = spectral radius of T: \
E||e_t||^2 shrinks like rho^t, so rho is a rate of SQUARED errors (compare it with 1 - alpha, not \
(1 - alpha)^2). rho comes from a dense non-symmetric eigensolver on T assembled on vech(S) \
((2d)(2d+1)/2 rows, d <= 20), and the eigenvalues must reproduce tr T and tr T^2. Near a \
defective eigenvalue (full-batch-like Nesterov parameters) rho is accurate to about 1e-5, \
elsewhere to rounding.\n\nConstants (Gaussian data): L1 = tr H + 2 lambda_max (the smallest c \
with E[||x||^2 x x^T] <= cH), kappa = L1/lambda_min, kappa-tilde = d + 2; at batch b: L1(b) = \
L1/b + (1 - 1/b) lambda_max, kappa_b = L1(b)/lambda_min, kappa-tilde_b = kappa-tilde/b + 1 - 1/b. \
Critical batch sizes: m1* = min(L1/L, kappa-tilde), m2* = max(L1/L, kappa-tilde); SGD's is L1/L.\
\n\nDefaults for the hyper-parameters not given: eta = 1/L1(b) for every method; Nesterov \
gamma = (1 - sqrt(eta mu))/(1 + sqrt(eta mu)); MaSS alpha = 1/sqrt(kappa_b kappa-tilde_b), \
gamma = (1 - alpha)/(1 + alpha), eta2 = eta (1 - 1/kappa-tilde_b)/(1 + alpha). Domains: eta > 0; \
sgd takes no --momentum or --compensation other than 0; nesterov gamma in [0, 1), eta2 = 0; mass \
gamma in [0, 1), eta2 in [0, eta).\n\nInput: FILE holds the eigenvalues of H, one positive \
number a line (# comments allowed); `-` reads stdin.\n\nExit status: 0 the rate was computed \
(whether or not the iteration converges), 2 bad input or an unusable --out (nothing written).";

#[derive(Clone, Copy, Debug, clap::ValueEnum)]
pub enum MethodArg {
    Sgd,
    Nesterov,
    Mass,
}

impl From<MethodArg> for Method {
    fn from(m: MethodArg) -> Method {
        match m {
            MethodArg::Sgd => Method::Sgd,
            MethodArg::Nesterov => Method::Nesterov,
            MethodArg::Mass => Method::Mass,
        }
    }
}

#[derive(clap::Args)]
#[command(allow_negative_numbers = true, long_about = LONG_ABOUT)]
pub struct MomentumRateArgs {
    /// Eigenvalues of the data covariance H, one positive number a line.
    #[arg(long, value_name = "FILE")]
    spectrum: PathBuf,
    /// Mini-batch size b >= 1.
    #[arg(long, value_name = "B")]
    batch: u64,
    /// Update rule.
    #[arg(long, value_enum)]
    method: MethodArg,
    /// Step size eta (default 1/L1(b)).
    #[arg(long, value_name = "ETA")]
    lr: Option<f64>,
    /// Momentum gamma (default: the method's choice; 0 for sgd).
    #[arg(long, value_name = "GAMMA")]
    momentum: Option<f64>,
    /// Compensation eta2 (default: MaSS's choice; 0 for sgd and nesterov).
    #[arg(long, value_name = "ETA2")]
    compensation: Option<f64>,
    /// Write DIR/rate.json. DIR must not exist or must be empty, unless --force is given.
    #[arg(long, value_name = "DIR")]
    out: Option<PathBuf>,
    /// Replace --out when it holds previous momentum-rate output (it carries that .overparam
    /// marker); a directory overparam did not write is never replaced.
    #[arg(long)]
    force: bool,
    #[command(flatten)]
    input: InputArgs,
}

/// Reads one positive eigenvalue a line, naming the file and line of the first bad one.
fn read_spectrum(reader: &InputReader, path: &std::path::Path) -> Result<Vec<f64>, String> {
    let table = reader
        .read_numeric_csv(path, false)
        .map_err(|e| format!("--spectrum {e}"))?;
    let name = path.display();
    if table.rows.is_empty() {
        return Err(format!(
            "--spectrum {name}: no eigenvalues (the file is empty)"
        ));
    }
    for (row, line) in table.rows.iter().zip(&table.lines) {
        if row.len() != 1 {
            return Err(format!(
                "--spectrum {name}: line {line}: {} values; one eigenvalue a line is expected",
                row.len()
            ));
        }
        if row[0] <= 0.0 {
            return Err(format!(
                "--spectrum {name}: line {line}: eigenvalue {} is not positive; H must be \
                 positive definite",
                row[0]
            ));
        }
    }
    Ok(table.rows.iter().map(|r| r[0]).collect())
}

/// Which hyper-parameters came from the user and which are the paper's defaults.
fn source(given: Option<f64>) -> &'static str {
    if given.is_some() { "given" } else { "default" }
}

pub fn run(args: MomentumRateArgs) -> ExitCode {
    let spectrum = match read_spectrum(&args.input.reader(), &args.spectrum) {
        Ok(s) => s,
        Err(e) => return usage_error(&e),
    };
    let batch = match BatchSize::new(args.batch) {
        Ok(b) => b,
        Err(e) => return usage_error(&format!("--batch: {e}, got {}", args.batch)),
    };
    if spectrum.len() > MAX_DENSE_DIM {
        return usage_error(&format!(
            "--spectrum has {} eigenvalues; at most {MAX_DENSE_DIM} are supported (the dense \
             operator on vech(S) has (2d)(2d+1)/2 rows)",
            spectrum.len()
        ));
    }
    let law = match DataLaw::gaussian_diagonal(&spectrum) {
        Ok(l) => l,
        Err(e) => return usage_error(&format!("--spectrum: {e}")),
    };
    let constants = Constants::gaussian_diagonal(&spectrum);
    let method = Method::from(args.method);
    let defaults = Hyper::paper_default(method, &constants, batch);
    let mut hyper = Hyper {
        eta1: args.lr.unwrap_or(defaults.eta1),
        gamma: args.momentum.unwrap_or(defaults.gamma),
        eta2: args.compensation.unwrap_or(defaults.eta2),
    };
    // Defaults that depend on eta follow a given --lr: Nesterov's classical momentum
    // (1 - sqrt(eta mu))/(1 + sqrt(eta mu)) and MaSS's compensation, proportional to eta.
    if args.lr.is_some() {
        if method == Method::Nesterov && args.momentum.is_none() {
            let q = (hyper.eta1 * constants.mu).sqrt();
            hyper.gamma = (1.0 - q) / (1.0 + q);
        }
        if method == Method::Mass && args.compensation.is_none() {
            hyper.eta2 = defaults.eta2 * hyper.eta1 / defaults.eta1;
        }
    }
    if let Err(e) = hyper.validate(method) {
        return usage_error(&e.to_string());
    }
    // Check the output location before computing, so a bad --out costs nothing.
    let out = match &args.out {
        Some(dir) => match OutputDir::prepare(dir, OutputKind::MomentumRate, args.force) {
            Ok(out) => Some(out),
            Err(e) => return usage_error(&e.to_string()),
        },
        None => None,
    };
    let operator = SecondMomentOperator::new(&law, batch, hyper, FourthMomentTerms::Exact);
    let spectrum_of_t = match operator.spectrum() {
        Ok(s) => s,
        Err(e) => return usage_error(&format!("cannot compute the rate: {e}")),
    };
    let rho = spectrum_of_t.rho;
    let converges = rho < 1.0;
    let critical = constants.critical_batch_sizes();
    let alpha = Hyper::mass_alpha(&constants, batch);
    let report = json!({
        "tool": "overparam momentum-rate",
        "tool_version": env!("CARGO_PKG_VERSION"),
        "spectrum_file": args.spectrum.display().to_string(),
        "d": constants.dim,
        "method": method.name(),
        "batch": args.batch,
        "eta": hyper.eta1,
        "gamma": hyper.gamma,
        "eta2": hyper.eta2,
        "hyper_parameter_source": {
            "eta": source(args.lr),
            "gamma": source(args.momentum),
            "eta2": source(args.compensation),
        },
        "rho": rho,
        "converges": converges,
        "rate_of": "E||e_t||^2 per step, e = (w - w*, u - w*)",
        "dominant_eigenvalue": [spectrum_of_t.dominant.0, spectrum_of_t.dominant.1],
        "operator_rows": spectrum_of_t.size,
        "trace_error": spectrum_of_t.trace_error,
        "square_trace_error": spectrum_of_t.square_trace_error,
        "one_minus_alpha": 1.0 - alpha,
        "sgd_rate_bound": 1.0 - 1.0 / constants.kappa_batch(batch),
        "constants": {
            "L": constants.l,
            "mu": constants.mu,
            "L1": constants.l1,
            "kappa": constants.kappa(),
            "kappa_tilde": constants.kappa_tilde,
            "L1_batch": constants.l1_batch(batch),
            "kappa_batch": constants.kappa_batch(batch),
            "kappa_tilde_batch": constants.kappa_tilde_batch(batch),
        },
        "critical_batch_sizes": {
            "m1": critical.m1,
            "m2": critical.m2,
            "sgd": critical.sgd,
        },
    });
    if let Some(out) = out {
        let written = (|| {
            out.write_json("rate.json", &report)?;
            out.commit()
        })();
        if let Err(e) = written {
            return usage_error(&e.to_string());
        }
    }
    say!(
        "{} on x ~ N(0, diag(spectrum)), d = {}, batch b = {}",
        method.name(),
        constants.dim,
        args.batch
    );
    say!(
        "hyper-parameters: eta = {} ({}), gamma = {} ({}), eta2 = {} ({})",
        hyper.eta1,
        source(args.lr),
        hyper.gamma,
        source(args.momentum),
        hyper.eta2,
        source(args.compensation)
    );
    say!(
        "rho = {rho:.9} (rate of E||e_t||^2 per step; dominant eigenvalue {:.9} {:+.2e}i of \
         the {} x {} operator)",
        spectrum_of_t.dominant.0,
        spectrum_of_t.dominant.1,
        spectrum_of_t.size,
        spectrum_of_t.size
    );
    say!(
        "converges: {}",
        if converges {
            "yes (rho < 1)"
        } else {
            "no (rho >= 1)"
        }
    );
    say!(
        "L1 = {}, kappa = {}, kappa-tilde = {}; at b = {}: L1(b) = {}, kappa_b = {}, \
         kappa-tilde_b = {}",
        constants.l1,
        constants.kappa(),
        constants.kappa_tilde,
        args.batch,
        constants.l1_batch(batch),
        constants.kappa_batch(batch),
        constants.kappa_tilde_batch(batch)
    );
    say!(
        "critical batch sizes: m1* = {}, m2* = {} (SGD: L1/L = {})",
        critical.m1,
        critical.m2,
        critical.sgd
    );
    say!(
        "reference rates: MaSS's 1 - alpha = {}, SGD's 1 - 1/kappa_b = {}",
        1.0 - alpha,
        1.0 - 1.0 / constants.kappa_batch(batch)
    );
    ExitCode::SUCCESS
}
