//! The evidence tables of `zhou2021.local-convergence`: trajectories, neurons and fits.

use crate::kit::LEVEL;
use crate::stats::mean_interval;
use crate::{Table, Value};

use super::*;

pub(super) fn evidence_tables(results: &[RunResult], groups: &[Group]) -> Vec<Table> {
    let mut trajectory = Table::new(
        "trajectory",
        &[
            "teacher",
            "variant",
            "m",
            "seed",
            "step",
            "loss",
            "grad_norm",
        ],
    );
    let mut neurons = Table::new(
        "neurons",
        &[
            "teacher",
            "variant",
            "m",
            "seed",
            "neuron",
            "a",
            "w_norm",
            "nearest_teacher",
            "angle",
            "contribution",
        ],
    );
    for r in results {
        let s = r.spec;
        let key = |t: &mut Vec<Value>| {
            t.push(s.teacher.name().into());
            t.push(s.variant.name().into());
            t.push(s.m.into());
            t.push(Value::Int(s.seed as i64));
        };
        for p in &r.trajectory {
            let mut row = Vec::new();
            key(&mut row);
            row.extend([Value::Int(p.step as i64), p.loss.into(), p.grad_norm.into()]);
            trajectory.push(row);
        }
        for (i, n) in r.neurons.iter().enumerate() {
            let mut row = Vec::new();
            key(&mut row);
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
    let mut fits = Table::new(
        "fits",
        &[
            "teacher", "variant", "m", "quantity", "estimate", "ci_low", "ci_high",
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
                g.teacher.name().into(),
                g.variant.name().into(),
                g.m.into(),
                quantity.into(),
                est,
                lo,
                hi,
            ]);
        };
        if g.variant == Variant::SelfTermDropped {
            push(
                "diverged_at_step",
                g.per_seed(|r| r.diverged_at.map_or(f64::NAN, |s| s as f64)),
            );
            continue;
        }
        if g.m == 3 {
            // at the rounding floor, where L may come out as -1e-16
            push("final_loss", g.per_seed(|r| r.final_loss));
        } else {
            push("log_final_loss", g.per_seed(|r| r.final_loss.ln()));
        }
        if g.m == 3 {
            push(
                "first_step_below_1e-12",
                g.per_seed(|r| {
                    first_step_below(&r.trajectory, EXACT_TARGET).map_or(f64::NAN, |s| s as f64)
                }),
            );
            push(
                "linear_rate_ln_loss_per_step",
                g.per_seed(|r| exact_linear_fit(&r.trajectory).1),
            );
            push(
                "linear_fit_r2",
                g.per_seed(|r| exact_linear_fit(&r.trajectory).0),
            );
            push(
                "window_slope_1e-10_1e-4",
                g.per_seed(|r| window_slope(&r.trajectory, (1e-10, 1e-4))),
            );
            push(
                "window_theta_1e-13_1e-4",
                g.per_seed(|r| gradient_exponent(&r.trajectory, |p| p.loss < 1e-4).0),
            );
        } else {
            push(
                "last_decade_slope",
                g.per_seed(|r| last_decade_slope(&r.trajectory)),
            );
            // a stalled run (m < m*) has no rate law and no meaningful exponent
            if g.m > 3 {
                push(
                    "offset_fit_exponent",
                    g.per_seed(|r| offset_power_law(&r.trajectory).0),
                );
                push(
                    "offset_fit_t0",
                    g.per_seed(|r| offset_power_law(&r.trajectory).1),
                );
                push(
                    "lojasiewicz_theta",
                    g.per_seed(|r| gradient_exponent(&r.trajectory, in_tail).0),
                );
                push(
                    "lojasiewicz_ln_c",
                    g.per_seed(|r| gradient_exponent(&r.trajectory, in_tail).1),
                );
            }
        }
        push("max_angle", g.per_seed(|r| max_angle(&r.neurons)));
        let teacher = g.teacher.network();
        push(
            "max_mass_error",
            g.per_seed(|r| max_mass_error(&r.neurons, &teacher)),
        );
    }
    vec![trajectory, neurons, fits]
}
