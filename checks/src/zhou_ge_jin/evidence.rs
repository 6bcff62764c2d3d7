//! The evidence tables of `zhou2021.local-convergence`: trajectories, neurons, sampled points
//! and per-group fits.

use crate::kit::LEVEL;
use crate::stats::mean_interval;
use crate::{Table, Value};

use super::points::Point;
use super::*;

pub(super) fn evidence_tables(
    results: &[RunResult],
    groups: &[Group],
    points: &[Point],
) -> Vec<Table> {
    let key_columns = ["start", "variant", "m", "seed"];
    let with = |extra: &[&'static str]| -> Vec<&'static str> {
        key_columns.iter().chain(extra).copied().collect()
    };
    let mut trajectory = Table::new("trajectory", &with(&["step", "loss", "grad_norm"]));
    let mut neurons = Table::new(
        "neurons",
        &with(&[
            "neuron",
            "a",
            "w_norm",
            "nearest_teacher",
            "angle",
            "contribution",
        ]),
    );
    for r in results {
        let s = r.spec;
        let key = || -> Vec<Value> {
            vec![
                s.start.name().into(),
                s.variant.name().into(),
                s.m.into(),
                Value::Int(s.seed as i64),
            ]
        };
        for p in &r.trajectory {
            let mut row = key();
            row.extend([Value::Int(p.step as i64), p.loss.into(), p.grad_norm.into()]);
            trajectory.push(row);
        }
        for (i, n) in r.neurons.iter().enumerate() {
            let mut row = key();
            row.extend([
                i.into(),
                n.a.into(),
                n.w_norm.into(),
                n.nearest_teacher.into(),
                n.angle.into(),
                n.contribution.into(),
            ]);
            neurons.push(row);
        }
    }
    let mut sampled = Table::new(
        "points",
        &[
            "family",
            "m",
            "geometry",
            "size",
            "loss",
            "grad_norm",
            "ratio_2_3",
            "ratio_1_2",
        ],
    );
    for p in points {
        sampled.push(vec![
            p.family.name().into(),
            p.m.into(),
            p.geometry.into(),
            p.size.into(),
            p.loss.into(),
            p.grad_norm.into(),
            p.ratio(2.0 / 3.0).into(),
            p.ratio(0.5).into(),
        ]);
    }
    let mut fits = Table::new(
        "fits",
        &[
            "start", "variant", "m", "quantity", "estimate", "ci_low", "ci_high",
        ],
    );
    for g in groups {
        let mut push = |quantity: &str, per_seed: Vec<f64>| {
            let (est, lo, hi) = match mean_interval(&per_seed, LEVEL) {
                Some(i) => (
                    Value::Float(i.mean),
                    Value::Float(i.low),
                    Value::Float(i.high),
                ),
                None if per_seed.len() == 1 && per_seed[0].is_finite() => {
                    (Value::Float(per_seed[0]), Value::Missing, Value::Missing)
                }
                None => (Value::Missing, Value::Missing, Value::Missing),
            };
            fits.push(vec![
                g.start.name().into(),
                g.variant.name().into(),
                g.m.into(),
                quantity.into(),
                est,
                lo,
                hi,
            ]);
        };
        push("final_loss", g.per_seed(|r| r.final_loss));
        if g.m == 3 {
            push(
                "first_step_below_1e-12",
                g.per_seed(|r| {
                    first_step_below(&r.trajectory, EXACT_TARGET).map_or(f64::NAN, |s| s as f64)
                }),
            );
            push("inverse_rate_slope", g.per_seed(exact_inverse_rate_slope));
        } else {
            push("rate_exponent", g.per_seed(rate_exponent));
            push("rate_constant", g.per_seed(rate_constant));
        }
        if g.start == Start::AwayNeuron {
            push("away_mass_slope", g.per_seed(away_mass_slope));
        }
        push("max_angle", g.per_seed(max_angle));
        push("max_mass_error", g.per_seed(max_mass_error));
    }
    vec![trajectory, neurons, sampled, fits]
}
