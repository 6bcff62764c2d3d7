//! The exact margin instances the telgarsky2023 claims solve, for an independent audit
//! (`overparam-bench margin-export`, `bench/margin_audit.py`): the raw arrays and the certified
//! brackets the claims report, produced by the claims' own code paths (no copy of their data
//! generation).

use overparam_kernel::margin::Certified;

use super::experiment;
use super::margin_near_init::{CONTROL_WIDTH, MARGIN_NEAR_INIT_ID, widths as near_widths};
use super::norm_only;
use crate::{ClaimError, RunContext};

/// One margin-near-init instance: data, initialisation and the certified margins at V_0.
pub struct NearInitInstance {
    /// The claim's cell label ("m=128", "conflict,m=128").
    pub cell: String,
    pub m: usize,
    pub d: usize,
    /// Inputs, n x d row-major, and labels (+-1).
    pub x: Vec<f64>,
    pub y: Vec<f64>,
    /// The inner layer at initialisation (m x d row-major) and the output signs a_j.
    pub v0: Vec<f64>,
    pub a: Vec<f64>,
    /// The pointwise-bounded NTK margin (SOCP) and its L2 proxy (QP), as the claim reports them.
    pub pointwise: Certified,
    pub l2: Certified,
}

/// One norm-only instance: data, the dictionary's first m unit directions and the certified
/// max margins over them.
pub struct NormOnlyInstance {
    pub m: usize,
    pub d: usize,
    pub x: Vec<f64>,
    pub y: Vec<f64>,
    /// Unit directions u_j (m x d row-major).
    pub u: Vec<f64>,
    /// The l1 max margin over the dictionary (LP) and the l2 max margin over it (QP).
    pub lp: Certified,
    pub l2: Certified,
}

/// Every margin instance margin-near-init and norm-only solve at `ctx`'s master seed and
/// profile, with the brackets they report.
pub fn margin_instances(
    ctx: &RunContext,
) -> Result<(Vec<NearInitInstance>, Vec<NormOnlyInstance>), ClaimError> {
    let id = MARGIN_NEAR_INIT_ID;
    let mut cells: Vec<(String, usize, bool)> = near_widths(ctx.profile)
        .iter()
        .map(|&m| (format!("m={m}"), m, false))
        .collect();
    cells.push((format!("conflict,m={CONTROL_WIDTH}"), CONTROL_WIDTH, true));
    let mut near = Vec::new();
    for (cell, m, conflict) in cells {
        let (x, y) = experiment::data(ctx, id, &cell, conflict);
        let (v0, a) = experiment::init(ctx, id, &cell, m);
        let margins = experiment::init_margins(&cell, &x, &y, &v0, m)?;
        near.push(NearInitInstance {
            cell,
            m,
            d: experiment::D,
            x,
            y,
            v0,
            a,
            pointwise: margins.pointwise,
            l2: margins.l2,
        });
    }
    let ws = norm_only::widths(ctx.profile);
    let inst = norm_only::instance(ctx, *ws.last().expect("a width"), 0);
    let mut dict = Vec::new();
    for &m in ws {
        let cell = format!("m={m}");
        let (_, yh) = norm_only::features(&inst.x, &inst.y, &inst.u, m);
        let (lp, l2) = norm_only::margins(&cell, &yh, m)?;
        dict.push(NormOnlyInstance {
            m,
            d: norm_only::D,
            x: inst.x.clone(),
            y: inst.y.clone(),
            u: inst.u[..m * norm_only::D].to_vec(),
            lp,
            l2,
        });
    }
    Ok((near, dict))
}
