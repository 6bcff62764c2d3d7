//! The `spline` tool's data: columns `x` and `y` of a CSV with a header, validated for a cubic
//! smoothing spline. Only those two columns are parsed; every other column may hold anything
//! (ids, labels, text), as the tool's help promises.

use overparam_kernel::SmoothingSpline;
use overparam_kernel::spline::{MIN_POINTS, SplineError};

use crate::csv_table::{InputError, LineCounter, csv_reader, parse_field};
use crate::excerpt;

/// Smallest gap between neighbouring x accepted, relative to the range max x - min x.
///
/// Why 1e-12: a gap is computed as x[i+1] - x[i], with a rounding error up to eps |x| >=
/// eps range / 2 (eps = 2.2e-16), so a gap below 1e-12 of the range is known to fewer than four
/// digits; and the penalty's entries grow like 1/gap^2 against data-fit entries of order the
/// range, a ratio beyond 1e24 that f64's 16 digits cannot resolve: the banded system is singular
/// in working precision (or overflows to NaN). Such data needs rescaling or merged points, not a
/// meaningless fit.
pub const MIN_RELATIVE_SPACING: f64 = 1e-12;

/// The largest backward error of the banded solve accepted as a reliable fit.
pub const MAX_SOLVE_RESIDUAL: f64 = 1e-10;

/// x and y of the data rows, in file order, with each row's file line.
#[derive(Debug, Clone, PartialEq)]
pub struct XyData {
    pub x: Vec<f64>,
    pub y: Vec<f64>,
    pub lines: Vec<u64>,
}

/// The column index of the header field named `name` (trimmed); it must occur exactly once.
fn find_column(header: &csv::ByteRecord, name: &str) -> Result<usize, InputError> {
    let mut found = header
        .iter()
        .enumerate()
        .filter(|(_, h)| h.trim_ascii() == name.as_bytes())
        .map(|(i, _)| i);
    match (found.next(), found.next()) {
        (Some(i), None) => Ok(i),
        (Some(i), Some(j)) => Err(InputError::new(format!(
            "two columns are named '{name}' (columns {} and {}); which one holds the data is \
             ambiguous",
            i + 1,
            j + 1
        ))),
        (None, _) => Err(InputError::new(format!(
            "no column named '{name}' (a header line `x,y` is required)"
        ))),
    }
}

/// Parses and validates spline data: a header naming columns `x` and `y` (other columns are
/// not read), at least [`MIN_POINTS`] rows, finite numbers, x strictly increasing, and no gap
/// below [`MIN_RELATIVE_SPACING`] of the range. Never panics, whatever the bytes.
pub fn parse_xy(bytes: &[u8]) -> Result<XyData, InputError> {
    let mut reader = csv_reader(bytes, true);
    let header = reader
        .byte_headers()
        .map_err(|e| InputError::new(format!("cannot parse the header: {e}")))?
        .clone();
    if header.iter().all(<[u8]>::is_empty) {
        return Err(InputError::new(
            "the file is empty (a header line `x,y` was expected)",
        ));
    }
    let (ix, iy) = (find_column(&header, "x")?, find_column(&header, "y")?);
    let needed = ix.max(iy) + 1;
    let mut data = XyData {
        x: Vec::new(),
        y: Vec::new(),
        lines: Vec::new(),
    };
    let mut counter = LineCounter::new(bytes);
    for record in reader.byte_records() {
        let record = record.map_err(|e| InputError::new(format!("cannot parse: {e}")))?;
        let line = counter.line_of(&record);
        if record.iter().all(<[u8]>::is_empty) {
            continue;
        }
        if record.len() < needed {
            return Err(InputError::new(format!(
                "line {line} has {} values, expected {needed} (x is column {}, y is column {})",
                record.len(),
                ix + 1,
                iy + 1
            )));
        }
        data.x.push(parse_field(&record[ix], line, ix + 1)?);
        data.y.push(parse_field(&record[iy], line, iy + 1)?);
        data.lines.push(line);
    }
    validate(&data)?;
    Ok(data)
}

fn validate(data: &XyData) -> Result<(), InputError> {
    let x = &data.x;
    if x.len() < MIN_POINTS {
        return Err(InputError::new(format!(
            "{} data points; a cubic smoothing spline needs at least {MIN_POINTS}",
            x.len()
        )));
    }
    if let Some(i) = x.windows(2).position(|w| w[1] <= w[0]) {
        let what = if x[i + 1] == x[i] {
            "duplicate"
        } else {
            "decreasing"
        };
        return Err(InputError::new(format!(
            "x must be strictly increasing; data rows {} and {} (lines {} and {}) have {what} x \
             ({} then {}). Sort the file by x and merge repeated x (for example by averaging \
             their y)",
            i + 1,
            i + 2,
            data.lines[i],
            data.lines[i + 1],
            x[i],
            x[i + 1]
        )));
    }
    let range = x[x.len() - 1] - x[0];
    let (i, gap) = smallest_gap(x);
    if !range.is_finite() {
        return Err(InputError::new(format!(
            "x spans {:e} to {:e}, a range beyond f64 (it overflows); rescale x",
            x[0],
            x[x.len() - 1]
        )));
    }
    if gap < MIN_RELATIVE_SPACING * range {
        return Err(InputError::new(format!(
            "x spacing too small relative to the range: data rows {} and {} (lines {} and {}) \
             are {gap:e} apart, {:.1e} of the range {range:e} of x; below \
             {MIN_RELATIVE_SPACING:e} of the range the spline system is singular in f64. Merge \
             points that close (for example by averaging their y) or drop them",
            i + 1,
            i + 2,
            data.lines[i],
            data.lines[i + 1],
            gap / range,
        )));
    }
    Ok(())
}

/// The index i and size of the smallest gap x[i+1] - x[i] (x has at least two points).
fn smallest_gap(x: &[f64]) -> (usize, f64) {
    x.windows(2)
        .map(|w| w[1] - w[0])
        .enumerate()
        .fold(
            (0, f64::INFINITY),
            |best, (i, g)| {
                if g < best.1 { (i, g) } else { best }
            },
        )
}

/// Fits the smoothing spline to validated data, turning solver failures into what the user can
/// change: a non-finite solve (values or lambda so extreme that f64 overflows) or a backward
/// error above [`MAX_SOLVE_RESIDUAL`].
pub fn fit_spline(data: &XyData, lambda: f64) -> Result<SmoothingSpline, String> {
    let spline = SmoothingSpline::fit(&data.x, &data.y, lambda).map_err(|e| match e {
        SplineError::Solver(_) => {
            let (_, gap) = smallest_gap(&data.x);
            let largest_y = data.y.iter().fold(0.0f64, |m, v| m.max(v.abs()));
            format!(
                "the spline system overflows or is singular in f64 (smallest x gap {gap:e}, \
                 largest |y| {largest_y:e}, lambda {}); rescale x, y or lambda",
                excerpt(&lambda.to_string())
            )
        }
        other => other.to_string(),
    })?;
    // NaN residual counts as unreliable too.
    if spline.solve_residual().is_nan() || spline.solve_residual() > MAX_SOLVE_RESIDUAL {
        return Err(format!(
            "the spline system is too ill-conditioned to solve reliably (backward error {:.1e}); \
             rescale x or lambda",
            spline.solve_residual()
        ));
    }
    Ok(spline)
}

/// The fitted curve (t, f, f', f'') at `n >= 2` evenly spaced points over [min x, max x], both
/// ends included exactly.
///
/// Refuses a curve that is not finite everywhere on the grid: a fit can be finite at the knots
/// yet overflow between them when |y| is near f64's limit (found by the `spline_xy` fuzz target:
/// y = 1e308, -1e30, 1e308 at x = 0, 1, 82), and a CSV of `inf` and `NaN` is not a result.
pub fn curve_on_grid(spline: &SmoothingSpline, n: usize) -> Result<Vec<[f64; 4]>, String> {
    let knots = spline.knots();
    let (lo, hi) = (knots[0], knots[knots.len() - 1]);
    let mut curve = Vec::with_capacity(n);
    for j in 0..n {
        let t = if j + 1 == n {
            hi
        } else {
            lo + (hi - lo) * j as f64 / (n - 1) as f64
        };
        let (f, df, d2f) = spline.eval(t);
        if !(f.is_finite() && df.is_finite() && d2f.is_finite()) {
            let largest_y = spline.values().iter().fold(0.0f64, |m, v| m.max(v.abs()));
            return Err(format!(
                "the fitted curve overflows f64 at x = {t:e} (f = {f:e}, f' = {df:e}, f'' = \
                 {d2f:e}; the fitted values reach {largest_y:e}); rescale y"
            ));
        }
        curve.push([t, f, df, d2f]);
    }
    Ok(curve)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn other_columns_may_hold_anything() {
        let d = parse_xy(b"id,x,label,y\na,0,hello world,1\nb,1,\xff\xfe,2\nc,2,\"q,uoted\",0\n")
            .unwrap();
        assert_eq!(d.x, [0.0, 1.0, 2.0]);
        assert_eq!(d.y, [1.0, 2.0, 0.0]);
        assert_eq!(d.lines, [2, 3, 4]);
    }

    #[test]
    fn a_duplicated_column_name_is_ambiguous() {
        let e = parse_xy(b"x,y,x\n0,1,0\n1,2,1\n2,0,2\n")
            .unwrap_err()
            .to_string();
        assert!(
            e.contains("two columns are named 'x' (columns 1 and 3)"),
            "{e}"
        );
    }

    #[test]
    fn tiny_spacing_is_refused_with_the_rows_and_ratio() {
        let e = parse_xy(b"x,y\n0,1\n1e-300,2\n1,0\n2,1\n")
            .unwrap_err()
            .to_string();
        assert!(
            e.contains("x spacing too small relative to the range"),
            "{e}"
        );
        assert!(e.contains("data rows 1 and 2 (lines 2 and 3)"), "{e}");
        // just above the bound is accepted
        assert!(parse_xy(b"x,y\n0,1\n1e-11,2\n1,0\n").is_ok());
    }

    #[test]
    fn a_curve_that_overflows_between_the_knots_is_refused() {
        let d = parse_xy(b"x,y\n0,1e308\n1,-1e30\n82,1e308\n").unwrap();
        let s = fit_spline(&d, 1.0).unwrap();
        let e = curve_on_grid(&s, 201).unwrap_err();
        assert!(
            e.contains("overflows f64") && e.contains("rescale y"),
            "{e}"
        );
        let ok = parse_xy(b"x,y\n0,1\n1,-1\n82,1\n").unwrap();
        let c = curve_on_grid(&fit_spline(&ok, 1.0).unwrap(), 5).unwrap();
        assert_eq!((c[0][0], c[4][0]), (0.0, 82.0));
    }

    #[test]
    fn an_overflowing_range_is_refused() {
        let e = parse_xy(b"x,y\n-1e308,1\n0,2\n1e308,0\n")
            .unwrap_err()
            .to_string();
        assert!(e.contains("a range beyond f64"), "{e}");
    }
}
