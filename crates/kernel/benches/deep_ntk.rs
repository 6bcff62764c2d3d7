//! The deep ReLU NTK: the empirical Gram from the backward pass (n = 500, m = 2048, d = 100,
//! L = 2, half the size of the issue's `overparam ntk --width 4096 --depth 2` row on n = 1000)
//! and the infinite-width recursion on the same data, as regression guards.

use criterion::{BenchmarkId, Criterion, criterion_group, criterion_main};
use overparam_kernel::SeedPath;
use overparam_kernel::deep::{DeepReluNet, Parametrisation, Trained, empirical_ntk, infinite_ntk};
use overparam_linalg::{Mat, Par};
use rand_distr::{Distribution, StandardNormal};

fn bench(c: &mut Criterion) {
    let (n, m, d, depth) = (500, 2048, 100, 2);
    let mut rng = SeedPath::new(0, "bench", "deep ntk X", 0).rng();
    let x = Mat::from_fn(n, d, |_, _| {
        let g: f64 = StandardNormal.sample(&mut rng);
        g / (d as f64).sqrt()
    });
    let net = DeepReluNet::init(
        Parametrisation::Ntk,
        d,
        m,
        depth,
        &SeedPath::new(0, "bench", "deep ntk net", 0),
    )
    .unwrap();
    let mut group = c.benchmark_group("deep ntk n=500 d=100 L=2");
    group.sample_size(10);
    group.bench_with_input(BenchmarkId::new("empirical", m), &net, |b, net| {
        b.iter(|| empirical_ntk(net, x.as_ref(), Trained::All, Par::Seq).unwrap())
    });
    group.bench_function("infinite", |b| {
        b.iter(|| infinite_ntk(x.as_ref(), depth).unwrap())
    });
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
