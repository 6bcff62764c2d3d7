//! `overparam-bench certify --d D`: the time of one dense certificate (Newton refinement,
//! Krawczyk, Weyl + interval Cholesky, loss enclosure) at the type-A point of dimension d,
//! started from the note's 8-digit table. No reference side: numpy has no interval arithmetic.

use std::time::Instant;

use overparam_certify::{Options, certify};
use overparam_kernel::TwoLayerNet;
use overparam_kernel::type_a::TypeA;
use serde_json::{Value, json};

/// The note's type-A table (8 digits) at the dimensions the bench rows use.
fn table(d: usize) -> [f64; 5] {
    match d {
        10 => [1.00435482, -0.01581193, 0.18236776, 0.12604236, -0.69903682],
        20 => [1.00300375, -0.00365514, 0.09318741, 0.06371471, -0.81002058],
        _ => panic!("bench certify: d must be 10 or 20"),
    }
}

pub fn run(d: usize) -> Value {
    let student = TypeA::from_array(table(d)).network(d);
    let start = Instant::now();
    let c = certify(&student, &TwoLayerNet::identity(d), Options::default());
    let seconds = start.elapsed().as_secs_f64();
    json!({
        "d": d,
        "method": c.method,
        "verdict": c.verdict.line(),
        "certify_s": seconds,
        "radius": c.radius,
        "lambda_min_lower": c.lambda_min_lower,
    })
}
