//! The MaSS second-moment operator: assembly on vech(S) and its dense non-symmetric spectrum,
//! at the note's d = 12 and at the tool's limit d = 20 (820 rows), where the eigensolver
//! dominates.

use criterion::{BenchmarkId, Criterion, criterion_group, criterion_main};
use overparam_kernel::momentum::{
    BatchSize, Constants, DataLaw, FourthMomentTerms, Hyper, Method, SecondMomentOperator,
};

fn bench(c: &mut Criterion) {
    let mut group = c.benchmark_group("momentum operator (mass, b = 4)");
    group.sample_size(10);
    for d in [12usize, 20] {
        let spectrum: Vec<f64> = (1..=d).map(|i| 1.0 / i as f64).collect();
        let law = DataLaw::gaussian_diagonal(&spectrum).unwrap();
        let batch = BatchSize::Finite(4);
        let hyper = Hyper::paper_default(
            Method::Mass,
            &Constants::gaussian_diagonal(&spectrum),
            batch,
        );
        let op = SecondMomentOperator::new(&law, batch, hyper, FourthMomentTerms::Exact);
        group.bench_function(BenchmarkId::new("assemble", d), |b| {
            b.iter(|| op.assemble().unwrap())
        });
        group.bench_function(BenchmarkId::new("spectrum", d), |b| {
            b.iter(|| op.spectrum().unwrap().rho)
        });
    }
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
