//! The Rust side of `bench/compare`: generates the shared inputs and times overparam's kernels
//! on them, one timed call per invocation, printing one JSON object on stdout. The script
//! alternates these invocations with the numpy/scipy reference and takes medians and ratios.
//!
//! Inputs are raw little-endian f64 files (row-major), so that both sides read the same numbers.

mod certify;
mod margin_export;

use std::path::{Path, PathBuf};
use std::time::Instant;

use clap::{Parser, Subcommand};
use faer::diag::Diag;
use faer::dyn_stack::{MemBuffer, MemStack};
use faer::linalg::evd::{
    ComputeEigenvectors, SelfAdjointEvdParams, self_adjoint_evd, self_adjoint_evd_scratch,
};
use faer::{Mat, MatRef, Par, Spec};
use overparam_kernel::{
    DescentConfig, PopulationLoss, SeedPath, TwoLayerNet, gradient_descent, ntk_gram,
    ntk_gram_flops,
};
use rand_distr::{Distribution, StandardNormal};
use serde_json::json;

#[derive(Parser)]
#[command(about = "Times overparam kernels on inputs shared with bench/compare's reference")]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Write a random symmetric n x n matrix (entries uniform-ish, N(0,1) lower triangle).
    EigenInput {
        #[arg(long)]
        n: usize,
        #[arg(long)]
        out: PathBuf,
    },
    /// Time faer's symmetric EVD (bare, the path overparam-linalg uses) and the overparam-linalg
    /// call with its validation and residuals.
    Eigen {
        #[arg(long)]
        input: PathBuf,
        #[arg(long)]
        n: usize,
        #[arg(long)]
        vectors: bool,
        #[arg(long, default_value_t = 2)]
        threads: usize,
    },
    /// Time faer EVD variants (parallelism, divide-and-conquer threshold, tridiagonalisation
    /// parallel threshold) on one matrix, alternating variants, `reps` rounds.
    EigenTune {
        #[arg(long)]
        input: PathBuf,
        #[arg(long)]
        n: usize,
        #[arg(long)]
        vectors: bool,
        #[arg(long, default_value_t = 2)]
        threads: usize,
        #[arg(long, default_value_t = 3)]
        reps: usize,
    },
    /// Write X (n x d, N(0, I/d) rows), W (m x d, N(0, 1)), a (m, random signs) and a_gaussian
    /// (m, N(0, 1)) into DIR.
    NtkInput {
        #[arg(long)]
        n: usize,
        #[arg(long)]
        m: usize,
        #[arg(long)]
        d: usize,
        #[arg(long)]
        dir: PathBuf,
    },
    /// Time the NTK Gram matrix of the network (W, a) at the rows of X.
    Ntk {
        #[arg(long)]
        dir: PathBuf,
        #[arg(long)]
        n: usize,
        #[arg(long)]
        m: usize,
        #[arg(long)]
        d: usize,
        #[arg(long, default_value_t = 2)]
        threads: usize,
        /// Output-weight file in DIR without .f64: `a` (signs) or `a_gaussian`.
        #[arg(long, default_value = "a")]
        weights: String,
    },
    /// faer's dgemm rate: C = A B^T with A, B n x k (full), and the lower triangle of A A^T.
    Gemm {
        #[arg(long)]
        n: usize,
        #[arg(long)]
        k: usize,
        #[arg(long, default_value_t = 2)]
        threads: usize,
    },
    /// Write the GD problem: teacher I_d (k = d), seeded start near it, step size, tolerance.
    GdInput {
        #[arg(long, default_value_t = 10)]
        d: usize,
        #[arg(long)]
        out: PathBuf,
        /// Step size (default 0.5; above 2 / lambda_max at the minimum GD diverges, which at
        /// d = 20 needs about 0.25).
        #[arg(long, default_value_t = GD_LR)]
        lr: f64,
    },
    /// Time first-layer GD runs on the closed-form population loss until ||grad|| <= tol:
    /// `reps` runs in this process (the median is reported, and every run's time).
    Gd {
        #[arg(long)]
        input: PathBuf,
        #[arg(long, default_value_t = 1)]
        reps: usize,
    },
    /// Time one interval-arithmetic certificate at the type-A point of dimension d (dense: 10,
    /// 20; --symmetric: any d >= 6, e.g. 20, 200).
    Certify {
        #[arg(long)]
        d: usize,
        /// The symmetry-reduced route instead of the dense one.
        #[arg(long)]
        symmetric: bool,
    },
    /// Write the exact margin instances of telgarsky2023.margin-near-init and .norm-only at a
    /// master seed (raw arrays and the certified brackets) to DIR/instances.json, for
    /// bench/margin_audit.py.
    MarginExport {
        #[arg(long)]
        seed: u64,
        #[arg(long, default_value = "quick")]
        profile: String,
        #[arg(long)]
        out: PathBuf,
    },
}

fn write_f64(path: &Path, values: &[f64]) {
    let bytes: Vec<u8> = values.iter().flat_map(|v| v.to_le_bytes()).collect();
    std::fs::write(path, bytes).unwrap_or_else(|e| panic!("writing {}: {e}", path.display()));
}

fn read_f64(path: &Path, len: usize) -> Vec<f64> {
    let bytes = std::fs::read(path).unwrap_or_else(|e| panic!("reading {}: {e}", path.display()));
    assert_eq!(
        bytes.len(),
        8 * len,
        "{} has the wrong size",
        path.display()
    );
    bytes
        .chunks_exact(8)
        .map(|c| f64::from_le_bytes(c.try_into().unwrap()))
        .collect()
}

fn normals(path: &SeedPath, len: usize, scale: f64) -> Vec<f64> {
    let mut rng = path.rng();
    (0..len)
        .map(|_| {
            let g: f64 = StandardNormal.sample(&mut rng);
            scale * g
        })
        .collect()
}

fn read_matrix(path: &Path, rows: usize, cols: usize) -> Mat<f64> {
    let v = read_f64(path, rows * cols);
    MatRef::from_row_major_slice(&v, rows, cols).to_owned()
}

/// One faer EVD call with explicit parameters; returns seconds and the eigenvalue sum (kept so
/// the work cannot be optimised away, and a sanity value for the script).
fn time_evd(
    a: MatRef<'_, f64>,
    vectors: bool,
    par: Par,
    params: Spec<SelfAdjointEvdParams, f64>,
) -> (f64, f64) {
    let n = a.nrows();
    let compute = if vectors {
        ComputeEigenvectors::Yes
    } else {
        ComputeEigenvectors::No
    };
    let start = Instant::now();
    let mut s = Diag::<f64>::zeros(n);
    let mut u = vectors.then(|| Mat::<f64>::zeros(n, n));
    let mut buffer = MemBuffer::new(self_adjoint_evd_scratch::<f64>(n, compute, par, params));
    self_adjoint_evd(
        a,
        s.as_mut(),
        u.as_mut().map(|u| u.as_mut()),
        par,
        MemStack::new(&mut buffer),
        params,
    )
    .expect("EVD converges");
    let seconds = start.elapsed().as_secs_f64();
    (seconds, s.column_vector().iter().sum())
}

fn main() {
    let cli = Cli::parse();
    let out = match cli.command {
        Command::EigenInput { n, out } => {
            let g = normals(
                &SeedPath::new(0, "bench", &format!("eigen n={n}"), 0),
                n * n,
                1.0,
            );
            let a = Mat::<f64>::from_fn(
                n,
                n,
                |i, j| if i >= j { g[i * n + j] } else { g[j * n + i] },
            );
            let flat: Vec<f64> = (0..n * n).map(|k| a[(k / n, k % n)]).collect();
            write_f64(&out, &flat);
            json!({ "written": out })
        }
        Command::Eigen {
            input,
            n,
            vectors,
            threads,
        } => {
            let a = read_matrix(&input, n, n);
            let par = parallelism(threads);
            let (faer_s, trace) = time_evd(a.as_ref(), vectors, par, Default::default());
            let start = Instant::now();
            let (quality, values) = if vectors {
                let e = overparam_linalg::sym_eigen(a.as_ref(), par).expect("decomposition");
                (
                    json!({ "residual": e.residual, "orthogonality": e.orthogonality }),
                    e.values,
                )
            } else {
                let e = overparam_linalg::sym_eigenvalues(a.as_ref(), par).expect("decomposition");
                (
                    json!({ "trace_error": e.trace_error, "frobenius_error": e.frobenius_error }),
                    e.values,
                )
            };
            let linalg_s = start.elapsed().as_secs_f64();
            json!({
                "faer_s": faer_s,
                "linalg_s": linalg_s,
                "eigenvalue_sum": trace,
                "min": values[0],
                "max": values[n - 1],
                "quality": quality,
            })
        }
        Command::EigenTune {
            input,
            n,
            vectors,
            threads,
            reps,
        } => {
            let a = read_matrix(&input, n, n);
            let variants = tune_variants(threads, vectors);
            let mut times = vec![Vec::new(); variants.len()];
            for _ in 0..reps {
                for (k, (_, par, params)) in variants.iter().enumerate() {
                    times[k].push(time_evd(a.as_ref(), vectors, *par, *params).0);
                }
            }
            let rows: Vec<_> = variants
                .iter()
                .zip(&times)
                .map(|((name, _, _), t)| json!({ "variant": name, "median_s": median(t) }))
                .collect();
            json!({ "n": n, "vectors": vectors, "variants": rows })
        }
        Command::NtkInput { n, m, d, dir } => {
            std::fs::create_dir_all(&dir).expect("creating the input directory");
            let x = normals(
                &SeedPath::new(0, "bench", "ntk X", 0),
                n * d,
                1.0 / (d as f64).sqrt(),
            );
            let w = normals(&SeedPath::new(0, "bench", "ntk W", 0), m * d, 1.0);
            let a: Vec<f64> = normals(&SeedPath::new(0, "bench", "ntk a", 0), m, 1.0)
                .iter()
                .map(|g| if *g >= 0.0 { 1.0 } else { -1.0 })
                .collect();
            write_f64(&dir.join("X.f64"), &x);
            write_f64(&dir.join("W.f64"), &w);
            write_f64(&dir.join("a.f64"), &a);
            let a_gaussian = normals(&SeedPath::new(0, "bench", "ntk a gaussian", 0), m, 1.0);
            write_f64(&dir.join("a_gaussian.f64"), &a_gaussian);
            json!({ "written": dir })
        }
        Command::Ntk {
            dir,
            n,
            m,
            d,
            threads,
            weights,
        } => {
            let x = read_matrix(&dir.join("X.f64"), n, d);
            let w = read_f64(&dir.join("W.f64"), m * d);
            let a = read_f64(&dir.join(format!("{weights}.f64")), m);
            let net = TwoLayerNet::from_flat(d, a, w).expect("a valid network");
            let start = Instant::now();
            let k = ntk_gram(&net, x.as_ref(), parallelism(threads)).expect("NTK Gram");
            let seconds = start.elapsed().as_secs_f64();
            let trace: f64 = (0..n).map(|i| k[(i, i)]).sum();
            json!({
                "seconds": seconds,
                "flops": ntk_gram_flops(n, m, d),
                "gflops": ntk_gram_flops(n, m, d) / seconds / 1e9,
                "trace": trace,
                "frobenius": k.norm_l2(),
                "k01": k[(0, 1)],
                "simd": faer_simd_path(),
            })
        }
        Command::Gemm { n, k, threads } => {
            let par = parallelism(threads);
            let a = Mat::<f64>::from_fn(n, k, |i, j| ((i * 7 + j * 13) % 17) as f64 - 8.0);
            let b = Mat::<f64>::from_fn(n, k, |i, j| ((i * 11 + j * 5) % 19) as f64 - 9.0);
            let mut c = Mat::<f64>::zeros(n, n);
            let start = Instant::now();
            faer::linalg::matmul::matmul(
                c.as_mut(),
                faer::Accum::Replace,
                a.as_ref(),
                b.transpose(),
                1.0,
                par,
            );
            let full = start.elapsed().as_secs_f64();
            let start = Instant::now();
            faer::linalg::matmul::triangular::matmul(
                c.as_mut(),
                faer::linalg::matmul::triangular::BlockStructure::TriangularLower,
                faer::Accum::Replace,
                a.as_ref(),
                faer::linalg::matmul::triangular::BlockStructure::Rectangular,
                a.transpose(),
                faer::linalg::matmul::triangular::BlockStructure::Rectangular,
                1.0,
                par,
            );
            let lower = start.elapsed().as_secs_f64();
            let flops = 2.0 * (n * n * k) as f64;
            json!({
                "full_s": full,
                "full_gflops": flops / full / 1e9,
                "lower_s": lower,
                "lower_gflops": 0.5 * flops / lower / 1e9,
            })
        }
        Command::GdInput { d, out, lr } => {
            // Start: W = I + 0.1 G / sqrt(d), a = 1 (fixed); the global minimum W = I is a strict
            // local minimum, so GD converges linearly and the stopping rule is reached.
            let g = normals(
                &SeedPath::new(0, "bench", "gd start", 0),
                d * d,
                0.1 / (d as f64).sqrt(),
            );
            let w: Vec<f64> = (0..d * d)
                .map(|k| g[k] + if k / d == k % d { 1.0 } else { 0.0 })
                .collect();
            let problem = json!({
                "d": d,
                "teacher_w": TwoLayerNet::identity(d).w(),
                "teacher_a": vec![1.0; d],
                "student_w": w,
                "student_a": vec![1.0; d],
                "lr": lr,
                "grad_tol": 1e-9,
                "max_steps": 1_000_000,
            });
            std::fs::write(&out, problem.to_string()).expect("writing the GD problem");
            json!({ "written": out })
        }
        Command::Gd { input, reps } => {
            let p: serde_json::Value = serde_json::from_str(
                &std::fs::read_to_string(&input).expect("reading the GD problem"),
            )
            .expect("GD problem JSON");
            let floats = |key: &str| -> Vec<f64> {
                p[key]
                    .as_array()
                    .expect(key)
                    .iter()
                    .map(|v| v.as_f64().unwrap())
                    .collect()
            };
            let d = p["d"].as_u64().unwrap() as usize;
            let teacher =
                TwoLayerNet::from_flat(d, floats("teacher_a"), floats("teacher_w")).unwrap();
            let student =
                TwoLayerNet::from_flat(d, floats("student_a"), floats("student_w")).unwrap();
            let loss = PopulationLoss::new(teacher);
            let config = DescentConfig::new(
                p["lr"].as_f64().unwrap(),
                p["max_steps"].as_u64().unwrap(),
                1,
            )
            .first_layer_only()
            .stop_at_gradient(p["grad_tol"].as_f64().unwrap());
            let mut times = Vec::with_capacity(reps.max(1));
            let mut run = None;
            for _ in 0..reps.max(1) {
                let start = Instant::now();
                let r = gradient_descent(&loss, student.clone(), &config).expect("GD converges");
                times.push(start.elapsed().as_secs_f64());
                run = Some(r);
            }
            let run = run.expect("at least one run");
            let end = run.end();
            json!({
                "seconds": median(&times),
                "min_seconds": times.iter().copied().fold(f64::INFINITY, f64::min),
                "per_step_us": median(&times) / end.step.max(1) as f64 * 1e6,
                "simd": overparam_kernel::population::evaluate_simd_path(),
                "steps": end.step,
                "loss": end.loss,
                "grad_norm": end.grad_norm,
                "stop": format!("{:?}", run.stop),
            })
        }
        Command::Certify { d, symmetric } => certify::run(d, symmetric),
        Command::MarginExport { seed, profile, out } => margin_export::run(seed, &profile, &out),
    };
    println!("{out}");
}

/// Step size of the GD comparison: below 2 / lambda_max of the Hessian at the minimum (stable),
/// large enough that the run takes a few thousand steps.
const GD_LR: f64 = 0.5;

/// faer's parallelism for `threads` threads: `Par::Seq` for one (what the claims use inside a
/// cell), the rayon pool otherwise.
fn parallelism(threads: usize) -> Par {
    if threads <= 1 {
        Par::Seq
    } else {
        Par::rayon(threads)
    }
}

/// The widest instruction set faer's kernels dispatch to on this CPU (pulp picks AVX-512 where
/// the CPU has it, else AVX2 + FMA, else scalar code).
fn faer_simd_path() -> &'static str {
    #[cfg(target_arch = "x86_64")]
    {
        if std::arch::is_x86_feature_detected!("avx512f") {
            return "avx512f";
        }
        if std::arch::is_x86_feature_detected!("avx2") && std::arch::is_x86_feature_detected!("fma")
        {
            return "avx2+fma";
        }
    }
    "scalar"
}

fn median(t: &[f64]) -> f64 {
    let mut s = t.to_vec();
    s.sort_by(f64::total_cmp);
    let k = s.len();
    if k % 2 == 1 {
        s[k / 2]
    } else {
        0.5 * (s[k / 2 - 1] + s[k / 2])
    }
}

type Variant = (String, Par, Spec<SelfAdjointEvdParams, f64>);

fn tune_variants(threads: usize, vectors: bool) -> Vec<Variant> {
    let mut out = Vec::new();
    for (par_name, par) in [("seq", Par::Seq), ("rayon", Par::rayon(threads))] {
        let default: Spec<SelfAdjointEvdParams, f64> = Default::default();
        out.push((format!("{par_name} default"), par, default));
        if vectors {
            for rec in [32usize, 512] {
                let mut p = default;
                p.recursion_threshold = rec;
                out.push((format!("{par_name} dc_threshold={rec}"), par, p));
            }
        }
        if let Par::Rayon(_) = par {
            for thr in [16 * 256usize, 1024 * 1024] {
                let mut p = default;
                p.tridiag.par_threshold = thr;
                out.push((format!("{par_name} tridiag_par_threshold={thr}"), par, p));
            }
        }
    }
    out
}
