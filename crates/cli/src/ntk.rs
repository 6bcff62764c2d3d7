//! `overparam ntk`: the NTK Gram matrix and spectrum of a deep fully connected ReLU network on
//! the user's own data, at a finite width (one seeded network) or in the infinite-width limit.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use overparam_input::{InputReader, NumericTable};
use overparam_kernel::SeedPath;
use overparam_kernel::deep::{
    DeepError, DeepReluNet, Parametrisation, Trained, empirical_ntk, empirical_ntk_bytes,
    gram_spectrum, gram_spectrum_bytes, infinite_ntk, infinite_ntk_bytes,
};
use overparam_linalg::{Mat, Par};
use overparam_report::{OutputDir, OutputKind};

use crate::input_args::{InputArgs, parse_seed};
use crate::usage_error;

/// Where the tool writes when no --out is given.
const DEFAULT_OUT: &str = "reports/ntk";

/// Most hidden layers accepted: far beyond where the deep ReLU NTK has degenerated to a constant
/// off the diagonal, and it keeps depth x width products small enough to estimate.
const MAX_DEPTH: usize = 1000;

/// Memory budget when /proc/meminfo cannot be read.
const FALLBACK_MEMORY_GIB: f64 = 8.0;

/// Bytes per entry of gram.csv as text, an upper bound for shortest round-trip floats
/// ("-1.2345678901234567e-100," is 25 characters).
const CSV_BYTES_PER_ENTRY: u128 = 25;

/// The seed path of the network drawn for `--seed S`: SeedPath(S, "ntk", "net", 0).
pub const SEED_CLAIM: &str = "ntk";
pub const SEED_CELL: &str = "net";

/// What `overparam ntk --help` prints after the one-line summary.
pub const LONG_ABOUT: &str = "\
The neural tangent kernel (NTK) Gram matrix of a fully connected ReLU network on your data,
and its spectrum: at a finite width (one random network, --width M --seed S) or its
infinite-width limit (--infinite).

Convention (the NTK parametrisation of Jacot et al. 2018 and Arora et al. 2019, c_sigma = 2):
depth L = number of hidden layers (default 1), width m, no biases, all layers trained,
    h_0 = x,   h_l = sqrt(2/m) relu(W_l h_(l-1))  (l = 1..L),   f(x) = v^T h_L,
with W_1 (m x d), W_l (m x m) and v (m) all with independent standard normal entries.
The NTK is
    K(x, x') = sum over all parameters theta of df(x)/dtheta df(x')/dtheta,
computed from the backward pass (not by per-sample Jacobians), with relu'(0) = 0. --infinite
gives its m -> infinity limit by the arc-cosine recursion:
    Sigma^(0)(x, x') = x . x',
    Sigma^(h) = 2 E[relu(u) relu(u')],  Sigma-dot^(h) = 2 E[relu'(u) relu'(u')],
        (u, u') ~ N(0, [[Sigma^(h-1)(x, x), Sigma^(h-1)(x, x')], [., Sigma^(h-1)(x', x')]]),
    Theta^(0) = Sigma^(0),  Theta^(h) = Theta^(h-1) Sigma-dot^(h) + Sigma^(h),  K = Theta^(L);
its diagonal is (L + 1) |x|^2. The empirical K fluctuates around it by O(m^-1/2).
With --width M the weights are drawn from the ChaCha8 stream of overparam's
SeedPath(S, \"ntk\", \"net\", 0), in the order W_1 row by row, ..., W_L row by row, v.

Input (--data): CSV with no header, n rows of d numbers (one data point per row); blank lines
and lines starting with '#' are ignored; - reads standard input; files larger than
--max-input-mib are refused.

Output (DIR = --out), written in full or not at all:
    DIR/gram.csv      n rows of n numbers, no header (K in the order of the data rows)
    DIR/spectrum.csv  rank,eigenvalue: the n eigenvalues of K, ascending, rank from 0
    DIR/summary.json  n, d, depth, mode (\"infinite\" or \"empirical\"), width and seed (null for
                      --infinite), lambda_min, lambda_max, condition_number (lambda_max /
                      lambda_min, \"inf\" when lambda_min <= 0), trace, and the eigensolver's
                      residuals (||K - U diag(lambda) U^T||_F / ||K||_F, ||U^T U - I||_F)
The summary is also printed (unless --quiet).

Exit status: 0 done; 1 the eigendecomposition failed its residual check, nothing written;
2 bad input, nothing written: missing, empty or malformed CSV (ragged rows, text, NaN or
infinity), a zero row with --infinite (its angle to the other points is undefined), a Gram
matrix that overflows f64, sizes whose computation would need more memory than
--max-memory-gib (refused from an estimate before anything is allocated), an unwritable or
protected --out.";

#[derive(clap::Args)]
#[command(allow_negative_numbers = true)]
#[command(group(clap::ArgGroup::new("mode").required(true).args(["infinite", "width"])))]
pub struct NtkArgs {
    /// Data CSV: n rows of d numbers, no header (or - for standard input).
    #[arg(long, value_name = "X.csv")]
    pub data: PathBuf,
    /// Number of hidden layers L (1 to 1000).
    #[arg(
        long,
        value_name = "L",
        default_value_t = 1,
        value_parser = clap::value_parser!(u64).range(1..=MAX_DEPTH as u64)
    )]
    pub depth: u64,
    /// The infinite-width NTK (arc-cosine recursion).
    #[arg(long)]
    pub infinite: bool,
    /// Width m of one random network whose empirical NTK is computed (>= 1).
    #[arg(long, value_name = "M", value_parser = clap::value_parser!(u64).range(1..))]
    pub width: Option<u64>,
    /// Master seed of that network (unsigned 64-bit; only with --width).
    #[arg(long, value_name = "S", requires = "width", conflicts_with = "infinite", value_parser = parse_seed)]
    pub seed: Option<u64>,
    /// Output directory, written in full or not at all [default: reports/ntk, which holds the
    /// latest result and is replaced when it carries an ntk .overparam marker]. An explicit
    /// --out must not exist or must be empty, unless --force is given.
    #[arg(long, value_name = "DIR")]
    pub out: Option<PathBuf>,
    /// Replace --out when it holds previous ntk output (it carries that .overparam marker).
    #[arg(long)]
    pub force: bool,
    /// Refuse to start when the estimated peak memory exceeds this many GiB [default: the
    /// memory available now (MemAvailable), or 8 GiB where that cannot be read].
    #[arg(long, value_name = "GIB")]
    pub max_memory_gib: Option<f64>,
    /// No summary on stdout (errors are still printed).
    #[arg(long, short)]
    pub quiet: bool,
    #[command(flatten)]
    pub input: InputArgs,
}

/// The computation requested, after validation.
#[derive(Debug, Clone, Copy)]
enum Mode {
    Infinite,
    Empirical { width: usize, seed: u64 },
}

pub fn run(args: NtkArgs) -> ExitCode {
    let reader = args.input.reader();
    let table = match read_data(&reader, &args.data) {
        Ok(t) => t,
        Err(e) => return usage_error(&e),
    };
    let (n, d) = (table.rows.len(), table.ncols());
    let depth = args.depth as usize;
    let mode = match args.width {
        None => Mode::Infinite,
        Some(w) => match usize::try_from(w) {
            Ok(width) => Mode::Empirical {
                width,
                seed: args.seed.unwrap_or(0),
            },
            Err(_) => return usage_error(&format!("--width {w} does not fit in memory")),
        },
    };
    let zero_row = table.rows.iter().position(|r| r.iter().all(|&v| v == 0.0));
    if let (Mode::Infinite, Some(row)) = (mode, zero_row) {
        return usage_error(&format!(
            "{}: line {}: {}; drop it or use --width",
            args.data.display(),
            table.lines[row],
            DeepError::ZeroRow { row }
        ));
    }
    let limit = match memory_limit(args.max_memory_gib) {
        Ok(l) => l,
        Err(e) => return usage_error(&e),
    };
    let needed = estimate_bytes(n, d, depth, mode);
    if needed > limit {
        return usage_error(&format!(
            "n = {n}, d = {d}, depth {depth}{} needs about {:.2} GiB, more than the {:.2} GiB \
             allowed (--max-memory-gib); nothing was allocated",
            match mode {
                Mode::Infinite => String::new(),
                Mode::Empirical { width, .. } => format!(", width {width}"),
            },
            gib(needed),
            gib(limit)
        ));
    }
    let prepared = match &args.out {
        Some(dir) => OutputDir::prepare(dir, OutputKind::Ntk, args.force),
        None => OutputDir::prepare_default(Path::new(DEFAULT_OUT), OutputKind::Ntk),
    };
    let out = match prepared {
        Ok(out) => out,
        Err(e) => return usage_error(&e.to_string()),
    };
    let x = Mat::from_fn(n, d, |i, j| table.rows[i][j]);
    drop(table);
    let gram = match mode {
        Mode::Infinite => infinite_ntk(x.as_ref(), depth),
        Mode::Empirical { width, seed } => DeepReluNet::init(
            Parametrisation::Ntk,
            d,
            width,
            depth,
            &SeedPath::new(seed, SEED_CLAIM, SEED_CELL, 0),
        )
        .and_then(|net| empirical_ntk(&net, x.as_ref(), Trained::All, Par::Seq)),
    };
    let gram = match gram {
        Ok(k) => k,
        Err(e) => return usage_error(&format!("{}: {e}", args.data.display())),
    };
    if (0..n).any(|j| gram.col_as_slice(j).iter().any(|v| !v.is_finite())) {
        return usage_error(&format!(
            "{}: the Gram matrix overflows f64 (entries of the data are too large); rescale \
             the data",
            args.data.display()
        ));
    }
    let eigen = match gram_spectrum(gram.as_ref(), Par::Seq) {
        Ok(e) => e,
        Err(e) => {
            eprintln!("error: {e}; nothing written");
            return ExitCode::from(1);
        }
    };
    let values = &eigen.values;
    let (lambda_min, lambda_max) = (values[0], values[n - 1]);
    let condition = if lambda_min > 0.0 {
        serde_json::json!(lambda_max / lambda_min)
    } else {
        serde_json::json!("inf")
    };
    let trace: f64 = (0..n).map(|i| gram[(i, i)]).sum();
    let (width, seed) = match mode {
        Mode::Infinite => (None, None),
        Mode::Empirical { width, seed } => (Some(width), Some(seed)),
    };
    let summary = serde_json::json!({
        "tool": "overparam ntk",
        "tool_version": env!("CARGO_PKG_VERSION"),
        "data": args.data.display().to_string(),
        "n": n,
        "d": d,
        "depth": depth,
        "mode": match mode { Mode::Infinite => "infinite", Mode::Empirical { .. } => "empirical" },
        "width": width,
        "seed": seed,
        "lambda_min": lambda_min,
        "lambda_max": lambda_max,
        "condition_number": condition,
        "trace": trace,
        "eigen_residual": eigen.residual,
        "eigen_orthogonality": eigen.orthogonality,
        "convention": "h_0 = x, h_l = sqrt(2/m) relu(W_l h_(l-1)), f = v^T h_L, N(0,1) weights, \
                       no biases, all layers trained; K = sum_theta df/dtheta df/dtheta",
    });

    let target = out.target().to_owned();
    let written = (|| {
        out.write_text("gram.csv", &gram_csv(&gram))?;
        out.write_text("spectrum.csv", &spectrum_csv(values))?;
        out.write_json("summary.json", &summary)?;
        out.commit()
    })();
    if let Err(e) = written {
        return usage_error(&e.to_string());
    }
    if !args.quiet {
        match mode {
            Mode::Infinite => say!(
                "infinite-width NTK of a depth-{depth} ReLU network on n = {n} points in d = {d}"
            ),
            Mode::Empirical { width, seed } => say!(
                "empirical NTK of a depth-{depth}, width-{width} ReLU network (seed {seed}) on \
                 n = {n} points in d = {d}"
            ),
        }
        say!(
            "lambda_min {lambda_min:.6e}, lambda_max {lambda_max:.6e}, condition number {}, \
             trace {trace:.6e}",
            match lambda_min > 0.0 {
                true => format!("{:.6e}", lambda_max / lambda_min),
                false => "inf".to_owned(),
            }
        );
        say!(
            "eigensolver residual {:.2e}, orthogonality {:.2e}",
            eigen.residual,
            eigen.orthogonality
        );
        say!("written to {}", target.display());
    }
    ExitCode::SUCCESS
}

/// The data table, or the message that refuses it.
fn read_data(reader: &InputReader, path: &Path) -> Result<NumericTable, String> {
    reader
        .read_numeric_csv(path, false)
        .map_err(|e| e.to_string())
}

/// Peak bytes of the whole command: the Gram matrix's computation, its eigendecomposition and
/// gram.csv as text.
fn estimate_bytes(n: usize, d: usize, depth: usize, mode: Mode) -> u128 {
    let compute = match mode {
        Mode::Infinite => infinite_ntk_bytes(n, d),
        Mode::Empirical { width, .. } => empirical_ntk_bytes(n, d, width, depth),
    };
    let n2 = (n as u128) * (n as u128);
    compute + gram_spectrum_bytes(n) + CSV_BYTES_PER_ENTRY * n2
}

/// The memory budget in bytes: --max-memory-gib, else MemAvailable, else 8 GiB.
fn memory_limit(option: Option<f64>) -> Result<u128, String> {
    match option {
        Some(g) if g.is_finite() && g > 0.0 => Ok((g * (1u64 << 30) as f64) as u128),
        Some(g) => Err(format!(
            "--max-memory-gib must be a positive number of GiB, got {g}"
        )),
        None => Ok(mem_available().unwrap_or((FALLBACK_MEMORY_GIB * (1u64 << 30) as f64) as u128)),
    }
}

/// MemAvailable from /proc/meminfo, in bytes (Linux only; None elsewhere).
fn mem_available() -> Option<u128> {
    let text = std::fs::read_to_string("/proc/meminfo").ok()?;
    let line = text.lines().find(|l| l.starts_with("MemAvailable:"))?;
    let kib: u128 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kib * 1024)
}

fn gib(bytes: u128) -> f64 {
    bytes as f64 / (1u64 << 30) as f64
}

/// K as n lines of n shortest round-trip floats.
fn gram_csv(k: &Mat<f64>) -> String {
    let n = k.nrows();
    let mut text = String::with_capacity(n * n * 20);
    for i in 0..n {
        for j in 0..n {
            if j > 0 {
                text.push(',');
            }
            text.push_str(&format!("{:?}", k[(i, j)]));
        }
        text.push('\n');
    }
    text
}

fn spectrum_csv(values: &[f64]) -> String {
    let mut text = String::from("rank,eigenvalue\n");
    for (rank, v) in values.iter().enumerate() {
        text.push_str(&format!("{rank},{v:?}\n"));
    }
    text
}
