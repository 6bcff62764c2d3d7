//! `overparam spline`: fit a cubic smoothing spline to a user's 1-D data.
//!
//! Objective sum_i (y_i - f(x_i))^2 + lambda int f''^2 (scipy's `make_smoothing_spline`
//! convention, unit weights), solved by Reinsch's algorithm (`overparam_kernel::spline`).

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use overparam_input::xy::{curve_on_grid, fit_spline, parse_xy};
use overparam_report::check_output_file;

use crate::input_args::InputArgs;
use crate::usage_error;

/// Most output points accepted (about 100 MB of CSV).
const MAX_GRID: usize = 1_000_000;

#[derive(clap::Args)]
#[command(allow_negative_numbers = true)]
pub struct SplineArgs {
    /// CSV file (or - for standard input) with a header naming columns `x` and `y`; other
    /// columns are not read and may hold anything. At least 3 points, x strictly increasing
    /// (sorted, without duplicates), neighbouring x at least 1e-12 of the range apart, x and y
    /// finite.
    #[arg(long)]
    pub data: PathBuf,
    /// Smoothing parameter lambda > 0 of sum (y - f(x))^2 + lambda * integral f''^2.
    #[arg(long)]
    pub lambda: f64,
    /// Number of evenly spaced output points over [min x, max x] (at least 2).
    #[arg(long, default_value_t = 201)]
    pub grid: usize,
    /// Output CSV (header x,f,df,d2f); written to a temporary file and renamed into place, so
    /// it is complete or absent. An existing file is replaced only with --force.
    #[arg(long)]
    pub out: PathBuf,
    /// Replace an existing --out file, but only one whose first line is exactly the header
    /// `x,f,df,d2f` (output of this command). Never a directory, a link or a device.
    #[arg(long)]
    pub force: bool,
    #[command(flatten)]
    pub input: InputArgs,
}

/// The first line of every file spline writes; `--force` replaces only files that start with it.
const HEADER: &str = "x,f,df,d2f";

pub fn run(args: SplineArgs) -> ExitCode {
    match fit_and_write(&args) {
        Ok(summary) => {
            say!("{summary}");
            ExitCode::SUCCESS
        }
        Err(message) => usage_error(&message),
    }
}

fn fit_and_write(args: &SplineArgs) -> Result<String, String> {
    check_output_file(&args.out, HEADER, args.force).map_err(|e| e.to_string())?;
    if !(args.lambda.is_finite() && args.lambda > 0.0) {
        return Err(format!(
            "--lambda must be a finite number > 0, got {}",
            args.lambda
        ));
    }
    if !(2..=MAX_GRID).contains(&args.grid) {
        return Err(format!(
            "--grid must be between 2 and {MAX_GRID}, got {}",
            args.grid
        ));
    }
    let bytes = args
        .input
        .reader()
        .read_bytes(&args.data)
        .map_err(|e| e.to_string())?;
    let data = parse_xy(&bytes).map_err(|e| e.at(&args.data).to_string())?;
    let spline =
        fit_spline(&data, args.lambda).map_err(|e| format!("{}: {e}", args.data.display()))?;
    let (x, y) = (&data.x, &data.y);
    let curve =
        curve_on_grid(&spline, args.grid).map_err(|e| format!("{}: {e}", args.data.display()))?;
    let mut text = format!("{HEADER}\n");
    for [t, f, df, d2f] in curve {
        text.push_str(&format!("{t:?},{f:?},{df:?},{d2f:?}\n"));
    }
    write_atomically(&args.out, text.as_bytes(), args.force, HEADER)?;
    Ok(format!(
        "wrote {} points to {} (n = {}, lambda = {}, objective {:.6e})",
        args.grid,
        args.out.display(),
        x.len(),
        args.lambda,
        spline.objective(y)
    ))
}

/// Writes `bytes` to a temporary file beside `path` and renames it into place; on any error the
/// temporary file is removed and `path` is left as it was. `--force` replaces only a file whose
/// first line is `header` (shared with the other tools that write one CSV file).
pub(crate) fn write_atomically(
    path: &Path,
    bytes: &[u8],
    force: bool,
    header: &str,
) -> Result<(), String> {
    check_output_file(path, header, force).map_err(|e| e.to_string())?;
    let name = path
        .file_name()
        .ok_or_else(|| format!("{} is not a file name", path.display()))?;
    let dir = path.parent().filter(|p| !p.as_os_str().is_empty());
    let tmp_name = format!(".{}.tmp-{}", name.to_string_lossy(), std::process::id());
    let tmp = dir.map_or_else(|| PathBuf::from(&tmp_name), |d| d.join(&tmp_name));
    let result = std::fs::File::create(&tmp)
        .and_then(|mut f| {
            f.write_all(bytes)?;
            f.sync_all()
        })
        .and_then(|_| std::fs::rename(&tmp, path));
    result.map_err(|e| {
        let _ = std::fs::remove_file(&tmp);
        format!("cannot write {}: {e}", path.display())
    })
}
