//! Gradient descent on the k = d population loss (teacher I_d, unit output weights) from many
//! seeded random starts, to collect the spurious minima it finds and classify them by isotropy
//! (the search behind the d = 12 fixtures of tests/cli_certify.rs).
//!
//! `cargo run --release -p overparam-certify --example gd_families -- D RUNS OUTDIR`
//! Protocol of `safran2018.spurious-frequency`: W0 ~ N(0, 1/d), GD step 4/k on W until
//! ||grad|| <= 1e-8 or L <= 1e-8, budget 2e5 steps; the end point is refined by Newton and its
//! isotropy detected within 1e-6 relative. One line per spurious end on stdout; the points go to
//! OUTDIR/run-N.csv (17 digits).

use std::fmt::Write as _;

use overparam_certify::krawczyk::refine;
use overparam_kernel::descent::{DescentConfig, Stop, gradient_descent};
use overparam_kernel::symmetry::detect_symmetry;
use overparam_kernel::{PopulationLoss, SeedPath, TwoLayerNet};
use overparam_linalg::{Par, sym_eigenvalues};
use rand_distr::{Distribution, StandardNormal};

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let d: usize = args.get(1).map_or(12, |s| s.parse().expect("D"));
    let runs: u64 = args.get(2).map_or(100, |s| s.parse().expect("RUNS"));
    let out = args
        .get(3)
        .cloned()
        .unwrap_or_else(|| "/tmp/gd_families".to_owned());
    std::fs::create_dir_all(&out).expect("output directory");
    let k = d;
    let loss = PopulationLoss::new(TwoLayerNet::identity(d));
    let (mut global, mut budget, mut spurious, mut other) = (0, 0, 0, 0);
    for run in 0..runs {
        let mut rng = SeedPath::new(0, "certify.gd-families", &format!("d={d}"), run).rng();
        let scale = 1.0 / (d as f64).sqrt();
        let w: Vec<f64> = (0..k * d)
            .map(|_| {
                let g: f64 = StandardNormal.sample(&mut rng);
                scale * g
            })
            .collect();
        let student = TwoLayerNet::from_flat(d, vec![1.0; k], w).unwrap();
        let config = DescentConfig::new(4.0 / k as f64, 200_000, 1)
            .first_layer_only()
            .stop_at_gradient(1e-8)
            .stop_at_loss(1e-8);
        let descent = gradient_descent(&loss, student, &config).unwrap();
        let end = descent.end();
        match descent.stop {
            Stop::Completed => {
                budget += 1;
                continue;
            }
            Stop::LossTarget => {
                global += 1;
                continue;
            }
            Stop::Converged if end.loss <= 1e-6 => {
                global += 1;
                continue;
            }
            Stop::Converged => {}
        }
        let refined = refine(&loss, &descent.network, 50);
        let net = TwoLayerNet::from_flat(d, vec![1.0; k], refined.point.clone()).unwrap();
        let h = loss.hessian_w(&net).unwrap();
        let lmin = sym_eigenvalues(h.as_ref(), Par::Seq).unwrap().values[0];
        let l = loss.loss(&net).unwrap();
        let iso = match detect_symmetry(&refined.point, d, 1e-6) {
            Some(s) => s.isotropy().name().to_owned(),
            None => "none".to_owned(),
        };
        if lmin > 0.0 {
            spurious += 1;
        } else {
            other += 1;
        }
        println!(
            "run {run}: loss {l:.10e} lambda_min {lmin:.6e} grad {:.2e} steps {} isotropy {iso}",
            refined.grad_norm, end.step
        );
        let mut csv = String::new();
        for row in refined.point.chunks(d) {
            let cells: Vec<String> = row.iter().map(|x| format!("{x:.16e}")).collect();
            writeln!(csv, "{}", cells.join(",")).unwrap();
        }
        std::fs::write(format!("{out}/run-{run}.csv"), csv).unwrap();
    }
    println!(
        "d = {d}: {runs} runs: {global} global, {spurious} spurious minima, {other} other \
         critical, {budget} on the budget"
    );
}
