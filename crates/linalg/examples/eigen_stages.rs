//! Per-stage times of the eigenvalue routes: `cargo run --release -p overparam-linalg --example
//! eigen_stages -- N B [REPS]` (one thread; best of REPS).

use overparam_linalg::{Mat, Par, stages};
use std::time::Instant;

/// This thread's CPU time (s) from /proc (Linux); wall time elsewhere.
fn cpu_now(start: Instant) -> f64 {
    std::fs::read_to_string("/proc/thread-self/schedstat")
        .ok()
        .and_then(|s| s.split_whitespace().next()?.parse::<f64>().ok())
        .map(|ns| ns * 1e-9)
        .unwrap_or_else(|| start.elapsed().as_secs_f64())
}

/// Best of `reps` calls, in this thread's CPU time (a shared machine's load inflates wall time).
fn best<T>(reps: usize, mut f: impl FnMut() -> T) -> (f64, T) {
    let mut out = None;
    let mut t = f64::INFINITY;
    let origin = Instant::now();
    for _ in 0..reps {
        let s = cpu_now(origin);
        let r = f();
        t = t.min(cpu_now(origin) - s);
        out = Some(r);
    }
    (t, out.expect("reps >= 1"))
}

fn main() {
    let args: Vec<usize> = std::env::args()
        .skip(1)
        .map(|s| s.parse().expect("integer"))
        .collect();
    let (n, b, reps) = (args[0], args[1], *args.get(2).unwrap_or(&3));
    let mut state = 0x9E37_79B9_7F4A_7C15u64 ^ n as u64;
    let mut a = Mat::<f64>::zeros(n, n);
    for j in 0..n {
        for i in j..n {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            let x = (state >> 11) as f64 / (1u64 << 53) as f64 * 2.0 - 1.0;
            a[(i, j)] = x;
            a[(j, i)] = x;
        }
    }
    let par = Par::Seq;
    let (t1, band) = best(reps, || stages::to_band(a.as_ref(), b, par));
    let (t2, (d, e)) = best(reps, || stages::chase(&band));
    let (t3, _) = best(reps, || stages::tridiagonal_values(&d, &e));
    let (t0, _) = best(reps, || stages::one_stage(a.as_ref(), par));
    let (tv, _) = best(reps, || {
        overparam_linalg::sym_eigenvalues(a.as_ref(), par).unwrap()
    });
    println!(
        "n={n} b={b}: to_band {t1:.4} s, chase {t2:.4} s, ql {t3:.4} s, two-stage total {:.4} s; one-stage reduction {t0:.4} s; sym_eigenvalues {tv:.4} s",
        t1 + t2 + t3
    );
}
