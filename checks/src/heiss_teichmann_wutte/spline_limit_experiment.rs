//! The cells of `heiss2019.spline-limit` (one random-feature network per width, law and
//! seed, against its limit), the flat-law rows, and the claim's tables and plots.

use crate::Cause;
use crate::kit::{InCell, WorstCase, sup_abs, worst};
use crate::{ClaimError, PlotSpec, RunContext, Table, Value};
use overparam_kernel::{
    AdaptedSpline, FirstLayerLaw, GridValues, KinkWeight, RandomReluLayer, SmoothingSpline,
    evaluation_bound, ridge_dual,
};

use super::spline_limit::*;
use super::*;

/// How the network's ridge penalty is mapped from lambda.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(super) enum PenaltyMap {
    /// lambda_tilde = lambda n g(0) (the theorem).
    Theorem,
    /// lambda_tilde = lambda n (g(0) forgotten).
    WithoutG0,
    /// lambda_tilde = 2 lambda n g(0).
    TwiceG0,
}

pub(super) const PENALTY_MAPS: [PenaltyMap; 3] = [
    PenaltyMap::Theorem,
    PenaltyMap::WithoutG0,
    PenaltyMap::TwiceG0,
];

impl PenaltyMap {
    pub(super) fn lambda_tilde(self, n: usize, g0: f64) -> f64 {
        let n = n as f64;
        match self {
            PenaltyMap::Theorem => LAMBDA * n * g0,
            PenaltyMap::WithoutG0 => LAMBDA * n,
            PenaltyMap::TwiceG0 => 2.0 * LAMBDA * n * g0,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq)]
pub(super) enum CellKind {
    /// Gaussian first layer, all three penalty maps, distance to the Gaussian limit on K.
    Gaussian,
    /// Gaussian first layer at TINY_WIDTH, theorem's penalty.
    Tiny,
    /// Flat kink law on [-16, 16], theorem's penalty, distance to the classical spline on the
    /// data hull.
    Flat,
}

pub(super) struct CellSpec {
    pub(super) kind: CellKind,
    pub(super) n: usize,
    pub(super) seed: u64,
}

impl CellSpec {
    pub(super) fn label(&self) -> String {
        let law = match self.kind {
            CellKind::Gaussian | CellKind::Tiny => "gaussian",
            CellKind::Flat => "flat",
        };
        format!("law={law},n={}", self.n)
    }
}

/// What one network cell measured: per penalty map, sup |f_n - f| and sup |f_n' - f'| and the
/// relative W^{1,inf} distance.
pub(super) struct CellResult {
    pub(super) kind: CellKind,
    pub(super) n: usize,
    pub(super) seed: u64,
    pub(super) sup_f: Vec<f64>,
    pub(super) sup_df: Vec<f64>,
    pub(super) relative: Vec<f64>,
    /// The network's values on K (theorem's penalty), kept for the curves table.
    pub(super) curve: Option<Vec<f64>>,
}

/// The reference the networks are compared with, sampled on a grid.
pub(super) struct Reference {
    pub(super) grid: Vec<f64>,
    pub(super) f: Vec<f64>,
    pub(super) df: Vec<f64>,
}

impl Reference {
    pub(super) fn distances(&self, v: &GridValues) -> (f64, f64, f64) {
        let sf = sup_abs(v.f.iter().zip(&self.f).map(|(a, b)| a - b));
        let sd = sup_abs(v.df.iter().zip(&self.df).map(|(a, b)| a - b));
        let nf = sup_abs(self.f.iter().copied());
        let nd = sup_abs(self.df.iter().copied());
        (sf, sd, worst([sf / nf, sd / nd]))
    }
}

pub(super) fn run_cell(
    spec: &CellSpec,
    ctx: &RunContext,
    x: &[f64],
    y: &[f64],
    gaussian: &Reference,
    flat: &Reference,
    keep_curve: bool,
) -> Result<CellResult, ClaimError> {
    let label = spec.label();
    let (law, weight, reference, maps): (_, _, _, &[PenaltyMap]) = match spec.kind {
        CellKind::Gaussian => (
            FirstLayerLaw::StandardGaussian,
            KinkWeight::StandardGaussian,
            gaussian,
            &PENALTY_MAPS,
        ),
        CellKind::Tiny => (
            FirstLayerLaw::StandardGaussian,
            KinkWeight::StandardGaussian,
            gaussian,
            &PENALTY_MAPS[..1],
        ),
        CellKind::Flat => (
            FirstLayerLaw::UniformKinks { r: FLAT_NETWORK_R },
            KinkWeight::UniformKinks {
                r: FLAT_NETWORK_R,
                ev2: 1.0,
            },
            flat,
            &PENALTY_MAPS[..1],
        ),
    };
    let layer = RandomReluLayer::new(law, spec.n, ctx.seed(SPLINE_LIMIT_ID, &label, spec.seed));
    let gram = layer.gram(x);
    let g0 = weight.g(0.0);
    let mut betas = Vec::new();
    for map in maps {
        let (beta, residual) =
            ridge_dual(&gram, y, map.lambda_tilde(spec.n, g0)).in_cell(&label)?;
        ClaimError::check_residual(&label, "dual ridge solve", residual, 1e-12)?;
        betas.push(beta);
    }
    let values = layer.eval_dual(x, &betas, &reference.grid);
    let mut result = CellResult {
        kind: spec.kind,
        n: spec.n,
        seed: spec.seed,
        sup_f: Vec::new(),
        sup_df: Vec::new(),
        relative: Vec::new(),
        curve: keep_curve.then(|| values[0].f.clone()),
    };
    for v in &values {
        let (sf, sd, rel) = reference.distances(v);
        if !(sf.is_finite() && sd.is_finite()) {
            return Err(ClaimError::at(
                label,
                Cause::NonFinite {
                    what: "network output",
                },
            ));
        }
        result.sup_f.push(sf);
        result.sup_df.push(sd);
        result.relative.push(rel);
    }
    Ok(result)
}

/// One flat-law radius: sup on the hull of |limit - spline| and its rigorous bound.
pub(super) struct FlatRow {
    pub(super) r: f64,
    pub(super) gap: f64,
    pub(super) bound: f64,
    /// The same gap with the penalty scale off by two (control).
    pub(super) gap_twice_g0: f64,
    /// The Gaussian-layer limit against the same spline (control).
    pub(super) gap_gaussian: f64,
}

/// sup |l_R - s| <= sqrt(lambda g(0) P_R(s) k*): l_R minimises F_R = F_inf + lambda g(0) P_R over
/// functions with f'' supported in [-R, R], s minimises F_inf (the classical objective) over all
/// f and lies in that class, so Q(l_R - s) = F_inf(l_R) - F_inf(s) <= F_R(s) - F_inf(s) =
/// lambda g(0) P_R(s), with Q(h) = sum h(x_i)^2 + lambda int h''^2; then |h(x)|^2 <= Q(h) k(x)
/// with k the reproducing kernel of Q on the diagonal, maximised over the hull grid (k*).
pub(super) fn flat_rows(
    x: &[f64],
    y: &[f64],
    spline: &SmoothingSpline,
    gaussian_limit: &AdaptedSpline,
    hull: &[f64],
) -> Result<Vec<FlatRow>, ClaimError> {
    let n = x.len();
    let (xl, xr) = (x[0], x[n - 1]);
    let (fl, dl, _) = spline.eval(xl);
    let (fr, dr, _) = spline.eval(xr);
    // asymptotes of the natural spline: slopes dl, dr; intercepts fl - dl xl, fr - dr xr
    let b = (dl + dr) / 2.0;
    let a = ((fl - dl * xl) + (fr - dr * xr)) / 2.0;
    let k_star = hull
        .iter()
        .map(|&z| evaluation_bound(x, LAMBDA, z))
        .collect::<Result<Vec<f64>, _>>()
        .in_cell("flat-law bound")?
        .into_iter()
        .worst();
    let s_hull: Vec<f64> = hull.iter().map(|&z| spline.eval(z).0).collect();
    let gap_to = |f: &dyn Fn(f64) -> f64| sup_abs(hull.iter().zip(&s_hull).map(|(&z, s)| f(z) - s));
    let gap_gaussian = gap_to(&|z| gaussian_limit.value(z));
    FLAT_RS
        .iter()
        .map(|&r| {
            let weight = KinkWeight::UniformKinks { r, ev2: 1.0 };
            let cell = format!("flat R={r}");
            let limit = AdaptedSpline::fit(weight, x, y, LAMBDA).in_cell(&cell)?;
            let twice = AdaptedSpline::fit_kernel_ridge(weight, x, y, 2.0 * LAMBDA * weight.g(0.0))
                .in_cell(&cell)?;
            let penalty = limit.mu() * overparam_kernel::adapted::affine_penalty(weight, (a, b));
            Ok(FlatRow {
                r,
                gap: gap_to(&|z| limit.value(z)),
                bound: (penalty * k_star).sqrt(),
                gap_twice_g0: gap_to(&|z| twice.value(z)),
                gap_gaussian,
            })
        })
        .collect()
}

/// sup_K |f_mu - f| between the theorem's limit and kernel ridge at another mu.
pub(super) fn limit_gap(
    limit: &AdaptedSpline,
    x: &[f64],
    y: &[f64],
    mu: f64,
    grid: &[f64],
) -> Result<f64, ClaimError> {
    let other =
        AdaptedSpline::fit_kernel_ridge(limit.weight(), x, y, mu).in_cell("control limit")?;
    Ok(sup_abs(
        grid.iter().map(|&z| other.value(z) - limit.value(z)),
    ))
}

pub(super) fn spline_limit_tables(
    cells: &[CellResult],
    rows: &[FlatRow],
    reference: &Reference,
    spline: &SmoothingSpline,
    x: &[f64],
    y: &[f64],
) -> Vec<Table> {
    let mut distance = Table::new("distance", &["n", "seed", "sup_f", "sup_df"]);
    let mut controls = Table::new(
        "control_distance",
        &["variant", "n", "seed", "sup_f", "sup_df", "relative_w1inf"],
    );
    let mut curves = Table::new("curves", &["x", "limit", "network", "spline"]);
    let mut data = Table::new("data", &["x", "y", "lambda"]);
    let mut flat = Table::new(
        "flat_law",
        &[
            "r",
            "limit_spline_gap",
            "bound",
            "gap_twice_g0",
            "gap_gaussian_layer",
        ],
    );
    for c in cells {
        match c.kind {
            CellKind::Gaussian => {
                distance.push(vec![
                    c.n.into(),
                    (c.seed as usize).into(),
                    c.sup_f[0].into(),
                    c.sup_df[0].into(),
                ]);
                for (m, name) in [(1, "penalty-without-g0"), (2, "penalty-twice-g0")] {
                    controls.push(vec![
                        name.into(),
                        c.n.into(),
                        (c.seed as usize).into(),
                        c.sup_f[m].into(),
                        c.sup_df[m].into(),
                        c.relative[m].into(),
                    ]);
                }
            }
            CellKind::Tiny | CellKind::Flat => {
                let name = if c.kind == CellKind::Tiny {
                    "width-far-too-small"
                } else {
                    "flat-law-network"
                };
                controls.push(vec![
                    name.into(),
                    c.n.into(),
                    (c.seed as usize).into(),
                    c.sup_f[0].into(),
                    c.sup_df[0].into(),
                    c.relative[0].into(),
                ]);
            }
        }
    }
    if let Some(curve) = cells.iter().find_map(|c| c.curve.as_ref()) {
        for ((z, l), nw) in reference.grid.iter().zip(&reference.f).zip(curve) {
            curves.push(vec![
                (*z).into(),
                (*l).into(),
                (*nw).into(),
                spline.eval(*z).0.into(),
            ]);
        }
    }
    for (xi, yi) in x.iter().zip(y) {
        data.push(vec![(*xi).into(), (*yi).into(), LAMBDA.into()]);
    }
    for r in rows {
        flat.push(vec![
            r.r.into(),
            r.gap.into(),
            r.bound.into(),
            r.gap_twice_g0.into(),
            r.gap_gaussian.into(),
        ]);
    }
    vec![distance, controls, curves, data, flat]
}

// ---------------------------------------------------------------------------------------------
// heiss2019.early-stopping
// ---------------------------------------------------------------------------------------------

/// Plots of the spline-limit evidence: the distance against n with the n^(-1/2) reference
/// (anchored at the mean distance of the smallest width) and the curves at the largest width.
pub(super) fn spline_limit_plots(tables: &[Table]) -> Vec<PlotSpec> {
    let mut plots = Vec::new();
    if let Some(t) = tables.iter().find(|t| t.name == "distance") {
        let (ni, fi) = (t.column("n"), t.column("sup_f"));
        let as_f64 = Value::as_f64;
        let mut anchor = None;
        if let (Some(ni), Some(fi)) = (ni, fi) {
            let n_min = t.rows.iter().filter_map(|r| as_f64(&r[ni])).least();
            let at_min: Vec<f64> = t
                .rows
                .iter()
                .filter(|r| as_f64(&r[ni]) == Some(n_min))
                .filter_map(|r| as_f64(&r[fi]))
                .collect();
            if !at_min.is_empty() {
                anchor = Some(at_min.iter().sum::<f64>() / at_min.len() as f64 * n_min.sqrt());
            }
        }
        let seeds = t.column("seed").map_or(0, |si| {
            let mut s: Vec<String> = t.rows.iter().map(|r| format!("{:?}", r[si])).collect();
            s.sort();
            s.dedup();
            s.len()
        });
        let mut p = PlotSpec::new(
            "distance",
            "Distance of the random-feature network to the adapted spline",
            "distance",
            ("n", "width n (log scale)"),
            (&["sup_f", "sup_df"], "sup-norm distance on K (log scale)"),
        )
        .log_x()
        .log_y()
        .points()
        .caption(format!(
            "{seeds} seeds per width; sup_f: function, sup_df: derivative"
        ));
        if let Some(c) = anchor {
            p = p.reference(crate::Reference::power_law(
                "n^(-1/2) through the smallest width",
                c,
                -0.5,
            ));
        }
        plots.push(p);
    }
    if tables.iter().any(|t| t.name == "curves") {
        plots.push(
            PlotSpec::new(
                "curves",
                "Network at the largest width, its limit and the classical spline",
                "curves",
                ("x", "x"),
                (&["limit", "network", "spline"], "f(x)"),
            )
            .caption("one seed, the largest width of the profile"),
        );
    }
    plots
}
