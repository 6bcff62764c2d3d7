//! Closed-form population loss, gradient and Hessian of a two-layer ReLU teacher-student pair.

use criterion::{Criterion, criterion_group, criterion_main};
use overparam_kernel::{LossGradient, PopulationLoss, SeedPath, TwoLayerNet};
use rand_distr::{Distribution, StandardNormal};

fn bench(c: &mut Criterion) {
    for d in [10, 20] {
        bench_size(c, d);
    }
}

fn bench_size(c: &mut Criterion, d: usize) {
    let mut rng = SeedPath::new(0, "bench", &format!("k=d={d}"), 0).rng();
    let w: Vec<f64> = (0..d * d)
        .map(|_| {
            let g: f64 = StandardNormal.sample(&mut rng);
            g / (d as f64).sqrt()
        })
        .collect();
    let student = TwoLayerNet::from_flat(d, vec![1.0; d], w).unwrap();
    let loss = PopulationLoss::new(TwoLayerNet::identity(d));
    let mut out = LossGradient::new(d, d);
    c.bench_function(&format!("population loss+gradient k=d={d}"), |b| {
        b.iter(|| loss.evaluate(&student, &mut out).unwrap())
    });
    c.bench_function(&format!("population gradient only k=d={d}"), |b| {
        b.iter(|| loss.evaluate_gradient(&student, &mut out).unwrap())
    });
    c.bench_function(&format!("population hessian_w k=d={d}"), |b| {
        b.iter(|| loss.hessian_w(&student).unwrap())
    });
}

criterion_group!(benches, bench);
criterion_main!(benches);
