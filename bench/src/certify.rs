//! `overparam-bench certify --d D [--symmetric]`: the time of one certificate (Newton
//! refinement, Krawczyk, Weyl + interval Cholesky, loss enclosure) at the type-A point of
//! dimension d, started from 8 digits: dense (d = 10, 20, from the note's table) or by the
//! symmetry-reduced route (any d >= 6; beyond the table the point is the kernel's reduced Newton
//! continued from the d = 20 row, untimed, then printed to 8 digits). No reference side: numpy
//! has no interval arithmetic.

use std::time::Instant;

use overparam_certify::{Options, Route, certify_route};
use overparam_kernel::TwoLayerNet;
use overparam_kernel::type_a::{TypeA, solve_type_a};
use serde_json::{Value, json};

/// The note's type-A table (8 digits) at the dimensions the bench rows use.
fn table(d: usize) -> Option<[f64; 5]> {
    match d {
        10 => Some([1.00435482, -0.01581193, 0.18236776, 0.12604236, -0.69903682]),
        20 => Some([1.00300375, -0.00365514, 0.09318741, 0.06371471, -0.81002058]),
        _ => None,
    }
}

fn start(d: usize) -> [f64; 5] {
    if let Some(p) = table(d) {
        return p;
    }
    assert!(d > 20, "bench certify: d must be 10, 20 or above 20");
    let mut p = TypeA::from_array(table(20).expect("tabled"));
    let mut dd = 20;
    while dd < d {
        dd = (dd * 2).min(d);
        p = solve_type_a(dd, p, 1e-12, 100)
            .expect("reduced Newton converges")
            .point;
    }
    p.to_array()
        .map(|x| format!("{x:.7e}").parse().expect("a printed number"))
}

pub fn run(d: usize, symmetric: bool) -> Value {
    let student = TypeA::from_array(start(d)).network(d);
    let route = if symmetric {
        Route::Symmetric
    } else {
        Route::Dense
    };
    let begin = Instant::now();
    let c = certify_route(
        &student,
        &TwoLayerNet::identity(d),
        Options::default(),
        route,
    )
    .expect("the type-A point has its isotropy");
    let seconds = begin.elapsed().as_secs_f64();
    json!({
        "d": d,
        "method": c.method,
        "verdict": c.verdict.line(),
        "certify_s": seconds,
        "radius": c.radius,
        "lambda_min_lower": c.lambda_min_lower,
        "loss": c.loss,
    })
}
