//! The runs the telgarsky2023 claims share.

use overparam_kernel::margin::net::{
    Snapshot, antisymmetric_init, normalised_gd, sparse_parity, tangent_blocks, tangent_gram,
};
use overparam_kernel::margin::{Certified, blockwise_margin, l2_margin};

use crate::kit::InCell;
use crate::{ClaimError, RunContext};

/// Input dimension and sample size of the near-initialisation runs (2-sparse parity).
pub(crate) const D: usize = 8;
pub(crate) const N: usize = 64;
/// Normalised GD step (V <- V - ETA grad L / L) and the loss at which a run stops.
pub(crate) const ETA: f64 = 1.0;
pub(crate) const STOP_LOSS: f64 = 1e-5;
/// Step budget (the runs stop near step 1200 at the tested sizes).
pub(crate) const BUDGET: usize = 6000;

/// The margins at initialisation of one data set and network.
pub(crate) struct InitMargins {
    /// The pointwise-bounded finite-width NTK margin (SOCP), certified.
    pub pointwise: Certified,
    /// The L2 proxy (hard SVM in the tangent features, QP on the simplex), certified.
    pub l2: Certified,
}

/// A near-initialisation run at width m.
pub(crate) struct Run {
    pub m: usize,
    pub margins: InitMargins,
    pub snaps: Vec<Snapshot>,
}

/// The log-spaced steps at which a run is recorded.
fn record_steps() -> Vec<usize> {
    let mut s: Vec<usize> = (0..60).map(|i| 1.25f64.powi(i).round() as usize).collect();
    s.dedup();
    s
}

/// Parity data for a cell: x uniform on {+-1/sqrt d}^d, y = d x_1 x_2; with `conflict` the last
/// point is a copy of the first with the opposite label (no function separates the sample).
pub(crate) fn data(
    ctx: &RunContext,
    claim: &str,
    cell: &str,
    conflict: bool,
) -> (Vec<f64>, Vec<f64>) {
    let mut rng = ctx.seed(claim, cell, 0).rng();
    let (mut x, mut y) = sparse_parity(&mut rng, N, D, 2);
    if conflict {
        let (first, label) = (x[..D].to_vec(), y[0]);
        x[(N - 1) * D..].copy_from_slice(&first);
        y[N - 1] = -label;
    }
    (x, y)
}

/// The antisymmetric initialisation (V_0, a) of width m for a cell.
pub(crate) fn init(ctx: &RunContext, claim: &str, cell: &str, m: usize) -> (Vec<f64>, Vec<f64>) {
    antisymmetric_init(&mut ctx.seed(claim, cell, 1).rng(), m / 2, D)
}

/// The margins at initialisation of (x, y) under the inner layer v (m x d).
pub(crate) fn init_margins(
    cell: &str,
    x: &[f64],
    y: &[f64],
    v: &[f64],
    m: usize,
) -> Result<InitMargins, ClaimError> {
    let phi = tangent_blocks(x, y, v, m, D);
    let pointwise = blockwise_margin(&phi, m, y.len(), D).in_cell(cell)?;
    let l2 = l2_margin(&tangent_gram(x, y, v, m, D), y.len()).in_cell(cell)?;
    Ok(InitMargins { pointwise, l2 })
}

/// One cell: data, antisymmetric initialisation of width m, margins at initialisation and (with
/// `train`) normalised GD until the loss is below STOP_LOSS.
pub(crate) fn run(
    ctx: &RunContext,
    claim: &str,
    cell: &str,
    m: usize,
    conflict: bool,
    train: bool,
) -> Result<Run, ClaimError> {
    let (x, y) = data(ctx, claim, cell, conflict);
    let (v0, a) = init(ctx, claim, cell, m);
    let margins = init_margins(cell, &x, &y, &v0, m)?;
    let snaps = if train {
        normalised_gd(&x, &y, &v0, &a, D, ETA, BUDGET, STOP_LOSS, &record_steps()).in_cell(cell)?
    } else {
        Vec::new()
    };
    Ok(Run { m, margins, snaps })
}

/// The normalised margin min_k y_k (f(x_k; V_t) - f(x_k; V_0)) / ||V_t - V_0||_F; 0 for the zero
/// function (t = 0: every output and the movement are exactly 0).
pub(crate) fn normalised_margin(s: &Snapshot) -> f64 {
    if s.movement == 0.0 && s.min_output_margin == 0.0 {
        0.0
    } else {
        s.min_output_margin / s.movement
    }
}

/// The q-quantile of the per-neuron cosines to initialisation, each neuron weighted by its
/// output mass |a_j| ||v_j(t)||.
pub(crate) fn weighted_quantile(s: &Snapshot, q: f64) -> f64 {
    let mut idx: Vec<usize> = (0..s.cosines.len()).collect();
    idx.sort_by(|&i, &j| s.cosines[i].total_cmp(&s.cosines[j]));
    let total: f64 = s.masses.iter().sum();
    let mut acc = 0.0;
    for &i in &idx {
        acc += s.masses[i];
        if acc >= q * total {
            return s.cosines[i];
        }
    }
    f64::NAN
}
