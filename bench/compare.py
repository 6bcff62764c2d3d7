"""Driver of bench/compare: alternates overparam (Rust, target/release/overparam-bench) and the
numpy/scipy reference (bench/reference.py) on the same inputs, and reports medians and ratios.

ratio = reference median / overparam median: above 1, overparam is faster.
Run through bench/compare, which installs the reference environment and builds the Rust side.
"""

import argparse
import csv
import json
import os
import platform
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BENCH_BIN = ROOT / "target" / "release" / "overparam-bench"
CLI_BIN = ROOT / "target" / "release" / "overparam"
WORK = ROOT / "target" / "bench"

parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
parser.add_argument("--threads", default="1,2",
                    help="comma list of thread counts, each used by both sides at once (default 1,2)")
parser.add_argument("--reps", type=int, default=3, help="timed calls per side (default 3)")
parser.add_argument("--gd-reps", type=int, default=15, help="timed GD runs per side (default 15)")
parser.add_argument("--sizes", default="1000,2000,3000", help="eigen sizes n")
parser.add_argument("--eigen-modes", default="values,vectors", help="eigen rows: comma list of values,vectors")
parser.add_argument("--only", default="eigen,ntk,gd,suite", help="comma list of eigen,ntk,gd,suite,tune,certify,momentum,deep-ntk,deep-ntk-nt")
parser.add_argument("--nt-implementation", default="STRUCTURED_DERIVATIVES",
                    help="deep-ntk-nt: neural-tangents NtkImplementation (STRUCTURED_DERIVATIVES, "
                         "NTK_VECTOR_PRODUCTS, JACOBIAN_CONTRACTION)")
parser.add_argument("--nt-batch", type=int, default=100, help="deep-ntk-nt: nt.batch block size (divides n)")
parser.add_argument("--nt-timeout", type=int, default=600, help="deep-ntk-nt: seconds before it is stopped")
parser.add_argument("--deep-ntk-n", type=int, default=1000, help="deep-ntk rows: number of points")
parser.add_argument("--out", default=str(WORK / "compare.csv"), help="CSV path")
args = parser.parse_args()
only = set(args.only.split(","))
thread_counts = [int(t) for t in args.threads.split(",")]

# Pin the reference's BLAS before numpy loads it, then check what it actually runs.
for var in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ[var] = str(max(thread_counts))
sys.dont_write_bytecode = True  # no __pycache__ beside the sources
sys.path.insert(0, str(ROOT / "bench"))
import numpy as np  # noqa: E402
from threadpoolctl import threadpool_info, threadpool_limits  # noqa: E402

import reference  # noqa: E402

RUST_ENV = dict(os.environ, RAYON_NUM_THREADS=str(max(thread_counts)))
WORK.mkdir(parents=True, exist_ok=True)


def rust(*cli, threads=None):
    env = RUST_ENV if threads is None else dict(os.environ, RAYON_NUM_THREADS=str(threads))
    out = subprocess.run([str(BENCH_BIN), *map(str, cli)], env=env, check=True, capture_output=True, text=True)
    return json.loads(out.stdout)


def pinned(threads, f):
    """f() with the reference's BLAS limited to `threads` threads."""
    def call():
        with threadpool_limits(threads):
            return f()
    return call


def alternate(reps, ours, theirs):
    """reps rounds of (ours, theirs), the order flipped every round; lists of results."""
    a, b = [], []
    for k in range(reps):
        if k % 2 == 0:
            a.append(ours())
            b.append(theirs())
        else:
            b.append(theirs())
            a.append(ours())
    return a, b


def close(x, y, tol):
    return abs(x - y) <= tol * max(abs(x), abs(y), 1e-300)


rows = []
table_rows = []


def add_row(benchmark, size, ours_name, ours_s, ref_name, ref_s, extra="", table=None):
    """One row of the CSV and the full listing; `table` = (kernel, size, threads) also puts it
    in the README's table (target/bench/compare.md)."""
    om = statistics.median(ours_s) if ours_s else float("nan")
    rm = statistics.median(ref_s) if ref_s else float("nan")
    if table is None and benchmark == "deep ntk" and ref_name.startswith("numpy"):
        table = ("deep NTK, `overparam ntk --width 4096 --depth 2` (whole CLI call) vs numpy's backward-pass formula",
                 size.split(" threads=")[0], size.split("threads=")[-1])
    if table is not None:
        table_rows.append({"kernel": table[0], "size": table[1], "threads": table[2], "ours": om,
                           "ref": rm if ref_s else None})
    rows.append(
        {
            "benchmark": benchmark,
            "size": size,
            "overparam": ours_name,
            "overparam_median_s": f"{om:.6g}",
            "reference": ref_name,
            "reference_median_s": f"{rm:.6g}" if ref_s else "",
            "ratio_ref_over_ours": f"{rm / om:.3g}" if ref_s else "",
            "reps": len(ours_s),
            "extra": extra,
        }
    )
    if ref_s:
        print(f"  {benchmark:<18} {size:<30} ours {om:9.4f} s  ref {rm:9.4f} s  ratio {rm / om:6.2f}x  {extra}", flush=True)
    else:
        print(f"  {benchmark:<18} {size:<30} {ours_name:<34} {om:9.4f} s  {extra}", flush=True)


blas = [
    {k: i.get(k) for k in ("internal_api", "version", "architecture", "num_threads", "prefix")}
    for i in threadpool_info()
    if i.get("user_api") == "blas"
]
print(f"machine: {platform.processor() or platform.machine()}, {os.cpu_count()} cpus; threads per side: {thread_counts}")
print(f"numpy {np.__version__}, scipy {reference.scipy.__version__}; BLAS: {json.dumps(blas)}")
with open("/proc/loadavg") if os.path.exists("/proc/loadavg") else open(os.devnull) as f:
    print(f"load average at start: {f.read().strip() or 'unknown'}")
load_at_start = open("/proc/loadavg").read().split()[0] if os.path.exists("/proc/loadavg") else "unknown"
print(f"OPENBLAS_CORETYPE={os.environ.get('OPENBLAS_CORETYPE', '(unset)')} OPENBLAS_L2_SIZE={os.environ.get('OPENBLAS_L2_SIZE', '(unset)')}")
started = time.perf_counter()

if "eigen" in only or "tune" in only:
    sizes = [int(s) for s in args.sizes.split(",")]
    modes = [m == "vectors" for m in args.eigen_modes.split(",")]
    for n, th, vectors in ((n, th, v) for n in sizes for th in thread_counts for v in modes):
        path = WORK / f"eigen_{n}.f64"
        if not path.exists():
            rust("eigen-input", "--n", n, "--out", path)
        mode = "vectors" if vectors else "values"
        flag = ["--vectors"] if vectors else []
        size = f"n={n} threads={th}"
        if "tune" in only:
            res = rust("eigen-tune", "--input", path, "--n", n, *flag, "--threads", th, "--reps", args.reps, threads=th)
            for v in res["variants"]:
                add_row(f"tune eigen {mode}", size, v["variant"], [v["median_s"]], "", [])
        if "eigen" not in only:
            continue
        ours, theirs = alternate(
            args.reps,
            lambda: rust("eigen", "--input", path, "--n", n, *flag, "--threads", th, threads=th),
            pinned(th, lambda: reference.eigen(path, n, vectors)),
        )
        agree = all(
            close(o["eigenvalue_sum"], t["eigenvalue_sum"], 1e-9) and close(o["min"], t["min"], 1e-9)
            for o, t in zip(ours, theirs)
        )
        note = "same eigenvalues" if agree else "EIGENVALUES DIFFER"
        kernel = ("eigenvalues only (`sym_eigenvalues`, input checks and residuals included)" if not vectors else
                  "eigenvalues and vectors (`sym_eigen`, residuals included)")
        add_row(f"eigen {mode}", size, "overparam-linalg", [o["linalg_s"] for o in ours],
                "scipy.linalg.eigh", [t["seconds"] for t in theirs], note + "; incl. input checks and residuals",
                table=(kernel + " vs `scipy.linalg.eigh`", f"n = {n}", th))
        add_row(f"eigen {mode}", size, "faer self_adjoint_evd", [o["faer_s"] for o in ours],
                "scipy.linalg.eigh", [t["seconds"] for t in theirs], "bare decomposition")

if "ntk" in only:
    n, m, d = 2000, 4096, 100
    directory = WORK / "ntk"
    if not (directory / "a_gaussian.f64").exists():
        rust("ntk-input", "--n", n, "--m", m, "--d", d, "--dir", directory)
    for th in thread_counts:
        ours, theirs = alternate(
            args.reps,
            lambda: rust("gemm", "--n", n, "--k", m, "--threads", th, threads=th),
            pinned(th, lambda: reference.dgemm(n, m)),
        )
        dgemm = statistics.median(t["gflops"] for t in theirs)
        add_row("dgemm", f"{n}x{m}x{n} threads={th}", "faer matmul", [o["full_s"] for o in ours], "numpy matmul",
                [t["seconds"] for t in theirs],
                f"numpy {dgemm:.1f} GFLOP/s (the physical limit), faer {statistics.median(o['full_gflops'] for o in ours):.1f}; "
                f"faer lower triangle {statistics.median(o['lower_gflops'] for o in ours):.1f}",
                table=("dgemm C = A B, faer vs numpy (the machine's GEMM rate)", f"{n} x {m} x {n}", th))
        for weights, label in (("a", "a=+-1"), ("a_gaussian", "a~N(0,1)")):
            ours, theirs = alternate(
                args.reps,
                lambda: rust("ntk", "--dir", directory, "--n", n, "--m", m, "--d", d, "--threads", th,
                             "--weights", weights, threads=th),
                pinned(th, lambda: reference.ntk(directory, n, m, d, weights)),
            )
            agree = all(close(o["frobenius"], t["frobenius"], 1e-10) and close(o["k01"], t["k01"], 1e-9)
                        for o, t in zip(ours, theirs))
            om = statistics.median(o["seconds"] for o in ours)
            rate = ours[0]["flops"] / om / 1e9
            ref_rate = ours[0]["flops"] / statistics.median(t["seconds"] for t in theirs) / 1e9
            path = "popcount path" if weights == "a" else "dense path"
            pretty = {"a=+-1": "a = ±1", "a~N(0,1)": "a ~ N(0, 1)"}[label]
            table = (f"NTK Gram, {pretty} (`ntk_gram`, {path}) vs numpy's formula",
                     f"n = {n}, m = {m}, d = {d}", th)
            add_row("ntk gram", f"{label} threads={th}", "kernel::ntk_gram", [o["seconds"] for o in ours],
                    "numpy structured formula", [t["seconds"] for t in theirs],
                    f"{'same K' if agree else 'K DIFFERS'}; n={n} m={m} d={d}; ours {rate:.1f} GFLOP/s, numpy "
                    f"{ref_rate:.1f} GFLOP/s (structured-formula flops), dgemm {dgemm:.1f}; faer SIMD {ours[0]['simd']}",
                    table=table)

if "gd" in only:
    # k = d = 10 at step 0.5 (365 steps) and k = d = 20 at 0.25 (0.5 diverges there); the Rust
    # side times `gd_inner` runs in one process per call and reports their median (one run is a
    # millisecond, below the process start-up noise), the numpy side one run per call.
    gd_inner = 20
    for d, lr in ((10, 0.5), (20, 0.25)):
        problem = WORK / f"gd{d}.json"
        rust("gd-input", "--d", d, "--lr", lr, "--out", problem)
        ours, theirs = alternate(args.gd_reps, lambda: rust("gd", "--input", problem, "--reps", gd_inner),
                                 lambda: reference.gd(problem))
        steps = {o["steps"] for o in ours} | {t["steps"] for t in theirs}
        om = statistics.median(o["seconds"] for o in ours)
        tm = statistics.median(t["seconds"] for t in theirs)
        add_row("population GD", f"k=d={d} to |grad|<1e-9", "kernel::gradient_descent", [o["seconds"] for o in ours],
                "numpy (same iteration)", [t["seconds"] for t in theirs],
                f"steps {sorted(steps)}; per step ours {om / ours[0]['steps'] * 1e6:.2f} us, numpy "
                f"{tm / theirs[0]['steps'] * 1e6:.1f} us; SIMD path {ours[0]['simd']}",
                table=(f"population-loss GD to \\|grad\\| < 1e-9 (`gradient_descent`, {ours[0]['steps']} steps; "
                       f"{om / ours[0]['steps'] * 1e6:.2f} vs {tm / theirs[0]['steps'] * 1e6:.1f} us per step) vs numpy",
                       f"k = d = {d}", 1))

if "certify" in only:
    # interval-arithmetic certificates (crates/certify); numpy has no counterpart
    for d in (10, 20):
        runs = [rust("certify", "--d", d) for _ in range(3 if d == 10 else 1)]
        add_row("certify (dense)", f"type A, k=d={d}", "certify::certify", [r["certify_s"] for r in runs], "", [],
                f"{runs[0]['verdict']}; radius {runs[0]['radius']:.2e}; lambda_min >= {runs[0]['lambda_min_lower']:.4g}",
                table=("interval certificate of the type-A minimum (`certify`, dense Krawczyk; no numpy counterpart)",
                       f"k = d = {d}", 1))
    for d in (20, 200):
        runs = [rust("certify", "--d", d, "--symmetric") for _ in range(3)]
        add_row("certify (symmetric)", f"type A, k=d={d}", "certify::certify_route", [r["certify_s"] for r in runs], "", [],
                f"{runs[0]['verdict']}; radius {runs[0]['radius']:.2e}; lambda_min >= {runs[0]['lambda_min_lower']:.4g}",
                table=("interval certificate of the type-A minimum (`certify`, symmetry-reduced: 5-parameter Krawczyk, "
                       "isotypic blocks; no numpy counterpart)", f"k = d = {d}", 1))

if "suite" in only:
    out = WORK / "suite"
    start = time.perf_counter()
    subprocess.run([str(CLI_BIN), "run", "--all", "--profile", "quick", "--out", str(out), "--force", "-q"],
                   env=RUST_ENV, check=False)
    wall = time.perf_counter() - start
    manifest = json.loads((out / "manifest.json").read_text())
    for c in manifest["claims"]:
        add_row("quick suite claim", c["id"], "overparam run", [c["wall_time_s"]], "", [],
                f"peak {c['peak_rss_mib'] or float('nan'):.1f} MiB (process high-water mark); verdict {c['verdict']}")
    peak = max((c["peak_rss_mib"] or 0.0) for c in manifest["claims"])
    add_row("quick suite total", f"{len(manifest['claims'])} claims", "overparam run --all", [wall], "", [],
            f"peak {peak:.0f} MiB; target < 180 s on 2 cores",
            table=(f"quick profile, whole suite (`overparam run --all`; peak RSS {peak:.0f} MiB)",
                   f"{len(manifest['claims'])} claims", max(thread_counts)))

if "deep-ntk" in only or "deep-ntk-nt" in only:
    # overparam ntk --width 4096 --depth 2 on n = 1000, d = 100 against numpy (deep-ntk) and
    # neural-tangents (deep-ntk-nt: only when target/bench-venv-nt exists; see bench/deep_ntk.py)
    import deep_ntk  # noqa: E402

    deep_ntk.run(add_row, alternate, pinned, WORK, CLI_BIN, thread_counts, args.reps, n=args.deep_ntk_n,
                 numpy_row="deep-ntk" in only, nt_row="deep-ntk-nt" in only,
                 nt_implementation=args.nt_implementation, nt_batch=args.nt_batch, nt_timeout=args.nt_timeout)

if "momentum" in only:
    # `overparam momentum-rate` (whole CLI call: input, operator, eigensolver with its invariant
    # checks, rate.json) against numpy's same operator in the same vech coordinates plus
    # `numpy.linalg.eigvals`; H = diag(1/i), the liu2020 claims' spectrum; parameters read back
    # from the CLI's rate.json so that both sides use the same ones.
    import shutil  # noqa: E402

    for d, batch, method in ((10, 8, "mass"), (20, 8, "mass"), (20, 8, "nesterov")):
        spectrum = [1.0 / (i + 1) for i in range(d)]
        spec_path = WORK / f"momentum_spectrum_{d}.txt"
        spec_path.write_text("".join(f"{x!r}\n" for x in spectrum))
        out_dir = WORK / f"momentum_{d}_{method}"

        def ours_call():
            start = time.perf_counter()
            subprocess.run([str(CLI_BIN), "momentum-rate", "--spectrum", str(spec_path), "--batch", str(batch),
                            "--method", method, "--out", str(out_dir), "--force"],
                           env=RUST_ENV, check=True, capture_output=True)
            seconds = time.perf_counter() - start
            report = json.loads((out_dir / "rate.json").read_text())
            return {"seconds": seconds, **report}

        first = ours_call()
        ours, theirs = alternate(args.reps, ours_call,
                                 pinned(1, lambda: reference.momentum_rate(spectrum, batch, first["eta"],
                                                                           first["gamma"], first["eta2"])))
        agree = all(close(o["rho"], t["rho"], 1e-9) for o in ours for t in theirs)
        add_row("momentum rate", f"{method} d={d} b={batch}", "overparam momentum-rate",
                [o["seconds"] for o in ours], "numpy operator + eigvals", [t["seconds"] for t in theirs],
                f"{'same rho' if agree else 'RHO DIFFERS'} ({ours[0]['rho']:.9g} vs {theirs[0]['rho']:.9g}); "
                f"operator rows {ours[0]['operator_rows']}",
                table=(f"second-moment rate rho, {method} (`overparam momentum-rate`, whole CLI call) vs numpy's "
                       f"operator + `eigvals`", f"d = {d}, b = {batch}", 1))
        shutil.rmtree(out_dir, ignore_errors=True)

with open(args.out, "w", newline="") as f:
    w = csv.DictWriter(f, fieldnames=list(rows[0].keys()))
    w.writeheader()
    w.writerows(rows)


def fmt_s(x):
    return "" if x is None else f"{x:.3g}"


def git_commit():
    try:
        sha = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True, text=True,
                             check=True).stdout.strip()
        dirty = subprocess.run(["git", "status", "--porcelain", "--untracked-files=no"], cwd=ROOT,
                               capture_output=True, text=True, check=True).stdout.strip()
        return sha + ("-dirty" if dirty else "")
    except (OSError, subprocess.CalledProcessError):
        return "unknown"


def cpu_model():
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def load_average():
    try:
        with open("/proc/loadavg") as f:
            return f.read().split()[0]
    except OSError:
        return "unknown"


# The README's table (section "Benchmarks"), ready to paste: target/bench/compare.md. The full
# listing of every row (bare faer, per-claim suite rows, notes) goes to compare-full.md.
markdown = Path(args.out).with_suffix(".md")
simd = sorted({w for r in rows for w in r["extra"].replace(";", " ").split() if w in ("avx512f", "avx2", "portable")})
with open(markdown, "w") as f:
    f.write(f"Measured by `bench/compare {' '.join(sys.argv[1:])}` at commit {git_commit()} on {cpu_model()} "
            f"({os.cpu_count()} cores; SIMD path {'/'.join(simd) or 'n/a'}), load average {load_at_start} at the "
            f"start and {load_average()} at the end; numpy {np.__version__}, OpenBLAS "
            f"{blas[0]['version'] if blas else '?'} ({blas[0]['architecture'] if blas else '?'} kernels). "
            f"Ratio = reference time / overparam time (above 1: overparam is faster).\n\n")
    f.write("| kernel | size | threads | overparam (s) | numpy / scipy (s) | ratio |\n")
    f.write("|---|---|---|---|---|---|\n")
    for r in table_rows:
        ratio = ""
        if r["ref"] is not None:
            q = r["ref"] / r["ours"]
            ratio = f"**{q:.3g}**" if q >= 1.0 else f"{q:.3g}"
        f.write(f"| {r['kernel']} | {r['size']} | {r['threads']} | {fmt_s(r['ours'])} | {fmt_s(r['ref'])} | {ratio} |\n")
full = Path(args.out).with_name(Path(args.out).stem + "-full.md")
with open(full, "w") as f:
    f.write("| benchmark | size | overparam | median s | reference | median s | ratio | notes |\n")
    f.write("|---|---|---|---|---|---|---|---|\n")
    for r in rows:
        ratio = f"**{r['ratio_ref_over_ours']}x**" if r["ratio_ref_over_ours"] else ""
        f.write(f"| {r['benchmark']} | {r['size']} | {r['overparam']} | {r['overparam_median_s']} | {r['reference']} | "
                f"{r['reference_median_s']} | {ratio} | {r['extra']} |\n")
if os.path.exists("/proc/loadavg"):
    with open("/proc/loadavg") as f:
        print(f"load average at end: {f.read().strip()}")
print(f"wrote {args.out}, {markdown} (the README table) and {full} ({len(rows)} rows) in {time.perf_counter() - started:.0f} s")
