//! Dense symmetric eigendecomposition at the sizes of NTK Gram matrices and loss Hessians.

use criterion::{BenchmarkId, Criterion, criterion_group, criterion_main};
use overparam_linalg::{Mat, Par, stages, sym_eigen, sym_eigenvalues, sym_extremes};
use rand::{RngExt, SeedableRng};
use rand_chacha::ChaCha8Rng;

fn random_symmetric(n: usize) -> Mat<f64> {
    let mut rng = ChaCha8Rng::seed_from_u64(n as u64);
    let mut a = Mat::<f64>::zeros(n, n);
    for j in 0..n {
        for i in j..n {
            let x: f64 = rng.random_range(-1.0..1.0);
            a[(i, j)] = x;
            a[(j, i)] = x;
        }
    }
    a
}

fn bench(c: &mut Criterion) {
    // One thread: the figure bench/compare sets against LAPACK (Par::rayon(0) measured the
    // machine's load more than the code on a shared 2-core host).
    let par = Par::Seq;
    let mut group = c.benchmark_group("sym_eigen");
    group.sample_size(10);
    for n in [500, 1000, 2000, 3000] {
        let a = random_symmetric(n);
        group.bench_with_input(BenchmarkId::new("values", n), &a, |b, a| {
            b.iter(|| sym_eigenvalues(a.as_ref(), par).unwrap())
        });
        group.bench_with_input(
            BenchmarkId::new("values+vectors+residuals", n),
            &a,
            |b, a| b.iter(|| sym_eigen(a.as_ref(), par).unwrap()),
        );
        if n <= 1000 {
            group.bench_with_input(BenchmarkId::new("extremes (Lanczos)", n), &a, |b, a| {
                b.iter(|| sym_extremes(a.as_ref(), par).unwrap())
            });
        }
    }
    group.finish();
    // Where the values-only time goes (n >= 1500 takes the two-stage route): dense -> band,
    // band -> tridiagonal, the QL; and the one-stage reduction it replaces.
    let mut group = c.benchmark_group("eigen_stages");
    group.sample_size(10);
    for n in [2000, 3000] {
        let a = random_symmetric(n);
        group.bench_with_input(BenchmarkId::new("dense to band b=32", n), &a, |b, a| {
            b.iter(|| stages::to_band(a.as_ref(), 32, par))
        });
        let band = stages::to_band(a.as_ref(), 32, par);
        group.bench_with_input(
            BenchmarkId::new("band to tridiagonal", n),
            &band,
            |b, band| b.iter(|| stages::chase(band)),
        );
        let (d, e) = stages::chase(&band);
        group.bench_with_input(BenchmarkId::new("root-free QL", n), &(d, e), |b, (d, e)| {
            b.iter(|| stages::tridiagonal_values(d, e))
        });
        group.bench_with_input(BenchmarkId::new("one-stage reduction", n), &a, |b, a| {
            b.iter(|| stages::one_stage(a.as_ref(), par))
        });
    }
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
