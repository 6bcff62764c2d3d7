"""The deep-NTK row of bench/compare (`--only deep-ntk`): `overparam ntk --width M --depth L` on
n points in R^d against what a user would write instead.

* numpy: the same empirical NTK from the backward pass written plainly (forward, per-sample
  deltas, K = sum over layers of (D_l D_l^T) * (H_(l-1) H_(l-1)^T) + H_L H_L^T), then
  numpy.linalg.eigh for the spectrum, since the CLI's time includes its eigendecomposition.
* neural-tangents (`--only deep-ntk-nt`, run only when target/bench-venv-nt exists):
  `empirical_ntk_fn` on the stax network of the same convention (NTK parametrisation, no
  biases: Dense(m, W_std=sqrt(d)), Relu, Dense(m, W_std=sqrt(2)), ..., Dense(1, W_std=sqrt(2))),
  in float64, vmap_axes=0, in nt.batch blocks of 100 rows, implementation
  STRUCTURED_DERIVATIVES by default (--nt-implementation: NTK_VECTOR_PRODUCTS,
  JACOBIAN_CONTRACTION). neural-tangents 0.6.5 (the newest on PyPI, 2023-12) does not import
  under a current jax, and its structured derivatives fail under jax >= 0.4.26; it runs in
  `python3 -m venv target/bench-venv-nt && target/bench-venv-nt/bin/pip install 'numpy<2'
  'scipy<1.13' jax==0.4.20 jaxlib==0.4.20 neural-tangents==0.6.5` (bench/compare does not
  install it). XLA's CPU threads are pinned with XLA_FLAGS to the row's thread count.

The three sides draw different random networks (overparam's ChaCha8 stream cannot be replayed
in numpy), so they are compared through the infinite-width kernel (`overparam ntk
--infinite`): each empirical K must be within the O(m^-1/2) fluctuation of it, the same for
all three.
"""

import json
import subprocess
import time
from pathlib import Path

import numpy as np

NT_PYTHON = Path(__file__).resolve().parent.parent / "target" / "bench-venv-nt" / "bin" / "python"
NT_INSTALL = ("python3 -m venv target/bench-venv-nt && target/bench-venv-nt/bin/pip install 'numpy<2' "
              "'scipy<1.13' jax==0.4.20 jaxlib==0.4.20 neural-tangents==0.6.5")


def write_data(path, n, d, seed=0):
    """n points uniform on the unit sphere of R^d, as the CLI's CSV (shortest repr)."""
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((n, d))
    x /= np.linalg.norm(x, axis=1, keepdims=True)
    with open(path, "w") as f:
        for row in x:
            f.write(",".join(repr(float(v)) for v in row) + "\n")
    return x


def cli_ntk(cli, env, data, out, width, depth, seed=0):
    """Wall seconds of one `overparam ntk` call (CSV in, eigendecomposition, CSVs out)."""
    args = [str(cli), "ntk", "--data", str(data), "--depth", str(depth), "--out", str(out), "--force"]
    args += ["--infinite"] if width is None else ["--width", str(width), "--seed", str(seed)]
    start = time.perf_counter()
    subprocess.run(args, env=env, check=True, capture_output=True, text=True)
    seconds = time.perf_counter() - start
    summary = json.loads((out / "summary.json").read_text())
    return {"seconds": seconds, "summary": summary}


def read_gram(out, n):
    return np.loadtxt(out / "gram.csv", delimiter=",").reshape(n, n)


def numpy_ntk(x, width, depth, seed=1):
    """The empirical NTK and its eigenvalues; seconds of both (weights drawn before timing)."""
    n, d = x.shape
    rng = np.random.default_rng(seed)
    ws = [rng.standard_normal((width, d))] + [rng.standard_normal((width, width)) for _ in range(depth - 1)]
    v = rng.standard_normal(width)
    c = np.sqrt(2.0 / width)
    start = time.perf_counter()
    hs, masks = [x], []
    for w in ws:
        z = hs[-1] @ w.T
        masks.append(z > 0)
        hs.append(c * np.maximum(z, 0.0))
    k = hs[-1] @ hs[-1].T
    delta = c * masks[-1] * v  # df/dz_L, n x m
    for layer in range(depth - 1, -1, -1):
        k += (delta @ delta.T) * (hs[layer] @ hs[layer].T)
        if layer > 0:
            delta = c * masks[layer - 1] * (delta @ ws[layer])
    eigenvalues = np.linalg.eigvalsh(k)
    seconds = time.perf_counter() - start
    return {"seconds": seconds, "k": k, "lambda_min": float(eigenvalues[0])}


NT_IMPLEMENTATIONS = ("STRUCTURED_DERIVATIVES", "NTK_VECTOR_PRODUCTS", "JACOBIAN_CONTRACTION")


def _nt_ntk_here(x, width, depth, seed, implementation="STRUCTURED_DERIVATIVES", batch=100):
    """neural-tangents' empirical NTK (float64, vmap_axes=0) and its eigenvalues in this
    interpreter, in row blocks of `batch` points (nt.batch), timed after a warm-up call on one
    block (jit compilation excluded)."""
    import jax
    jax.config.update("jax_enable_x64", True)
    import neural_tangents as nt
    from neural_tangents import stax
    n, d = x.shape
    layers = [stax.Dense(width, W_std=np.sqrt(d), b_std=None, parameterization="ntk"), stax.Relu()]
    for _ in range(depth - 1):
        layers += [stax.Dense(width, W_std=np.sqrt(2.0), b_std=None, parameterization="ntk"), stax.Relu()]
    layers += [stax.Dense(1, W_std=np.sqrt(2.0), b_std=None, parameterization="ntk")]
    init_fn, apply_fn, _ = stax.serial(*layers)
    xj = jax.numpy.asarray(x)
    _, params = init_fn(jax.random.PRNGKey(seed), xj.shape)
    ntk_fn = jax.jit(nt.empirical_ntk_fn(apply_fn, trace_axes=(-1,), vmap_axes=0,
                                         implementation=getattr(nt.NtkImplementation, implementation)))
    # Unbatched, structured derivatives hold an n x n x m intermediate (72 GB at n = 1000, m =
    # 4096): blocks of `batch` rows, as neural-tangents' nt.batch does for a user.
    batch = min(n, batch)
    ntk_fn = nt.batch(ntk_fn, batch_size=batch)
    np.asarray(ntk_fn(xj[:batch], None, params))  # compile at the block shape
    start = time.perf_counter()
    k = np.asarray(ntk_fn(xj, None, params))
    eigenvalues = np.linalg.eigvalsh(k)
    seconds = time.perf_counter() - start
    return {"seconds": seconds, "k": k, "lambda_min": float(eigenvalues[0]), "jax": jax.__version__,
            "neural_tangents": nt.__version__, "implementation": implementation, "batch": batch}


def nt_ntk(x, width, depth, seed=2, python=None, work=None, implementation="STRUCTURED_DERIVATIVES",
           batch=100, timeout=None):
    """_nt_ntk_here in `python` (the neural-tangents environment, target/bench-venv-nt: numpy<2,
    jax 0.4.20; neural-tangents 0.6.5's structured derivatives fail under jax >= 0.4.26), or
    {"error": why} when it does not run (or {"error": ..., "timeout": seconds} when it was
    stopped after `timeout` seconds)."""
    from pathlib import Path
    import sys

    root = Path(__file__).resolve().parent.parent
    python = python or NT_PYTHON
    if not Path(python).exists():
        return {"error": f"no {python} ({NT_INSTALL})"}
    work = Path(work or root / "target" / "bench" / "deep-ntk")
    work.mkdir(parents=True, exist_ok=True)
    np.save(work / "x.npy", x)
    try:
        out = subprocess.run([str(python), __file__, "nt", str(work), str(width), str(depth), str(seed),
                              implementation, str(batch)],
                             capture_output=True, text=True, env=dict(__import__("os").environ),
                             timeout=timeout)
    except subprocess.TimeoutExpired:
        return {"error": f"stopped after {timeout} s", "timeout": timeout}
    if out.returncode != 0:
        return {"error": out.stderr.strip().splitlines()[-1] if out.stderr.strip() else f"exit {out.returncode}"}
    result = json.loads(out.stdout.strip().splitlines()[-1])
    result["k"] = np.load(work / "k_nt.npy")
    sys.stdout.flush()
    return result


def relative(k, reference):
    return float(np.linalg.norm(k - reference) / np.linalg.norm(reference))


def run(add_row, alternate, pinned, work, cli, threads, reps, n=1000, d=100, width=4096, depth=2,
        numpy_row=True, nt_row=False, nt_implementation="STRUCTURED_DERIVATIVES", nt_batch=100,
        nt_timeout=600):
    """Adds the rows: ours vs numpy (`--only deep-ntk`) and/or ours vs neural-tangents
    (`--only deep-ntk-nt`, one timed call per thread count, stopped after `nt_timeout` s: then
    the row records the time at which it was stopped, a lower bound, and no ratio)."""
    import os

    directory = work / "deep-ntk"
    directory.mkdir(parents=True, exist_ok=True)
    data = directory / "X.csv"
    x = write_data(data, n, d)
    infinite_out = directory / "infinite"
    cli_ntk(cli, dict(os.environ, RAYON_NUM_THREADS="1"), data, infinite_out, None, depth)
    k_inf = read_gram(infinite_out, n)
    size = f"n={n} d={d} m={width} L={depth}"
    for th in threads:
        env = dict(os.environ, RAYON_NUM_THREADS=str(th))
        out = directory / f"empirical-{th}"
        if numpy_row:
            ours, theirs = alternate(reps, lambda: cli_ntk(cli, env, data, out, width, depth),
                                     pinned(th, lambda: numpy_ntk(x, width, depth)))
            k_ours = read_gram(out, n)
            fluct = (f"||K - K_inf||_F / ||K_inf||_F: ours {relative(k_ours, k_inf):.4f}, "
                     f"numpy {relative(theirs[0]['k'], k_inf):.4f}")
            add_row("deep ntk", f"{size} threads={th}", "overparam ntk (CLI)", [o["seconds"] for o in ours],
                    "numpy backward pass + eigvalsh", [t["seconds"] for t in theirs],
                    f"{fluct}; CLI time includes CSV in/out and its residual checks")
        if not nt_row:
            continue
        if not Path(NT_PYTHON).exists():
            print(f"deep-ntk-nt skipped: no {NT_PYTHON} ({NT_INSTALL})")
            continue
        ours = [cli_ntk(cli, env, data, out, width, depth) for _ in range(reps)]
        k_ours = read_gram(out, n)
        # OPENBLAS/OMP pins are not XLA's: its CPU client uses every core unless told otherwise.
        flags = os.environ.get("XLA_FLAGS", "")
        os.environ["XLA_FLAGS"] = (f"{flags} --xla_cpu_multi_thread_eigen={'true' if th > 1 else 'false'} "
                                   f"intra_op_parallelism_threads={th}").strip()
        r = nt_ntk(x, width, depth, implementation=nt_implementation, batch=nt_batch, timeout=nt_timeout)
        os.environ["XLA_FLAGS"] = flags
        name = f"neural-tangents {nt_implementation.lower()} (batch {nt_batch}, vmap_axes=0)"
        if "error" in r:
            note = (f"stopped after {r['timeout']} s: a lower bound, ratio > {r['timeout'] / min(o['seconds'] for o in ours):.0f}x"
                    if "timeout" in r else f"neural-tangents did not run: {r['error']}")
            add_row("deep ntk", f"{size} threads={th}", "overparam ntk (CLI)", [o["seconds"] for o in ours],
                    name, [], note)
        else:
            add_row("deep ntk", f"{size} threads={th}", "overparam ntk (CLI)", [o["seconds"] for o in ours],
                    name, [r["seconds"]],
                    f"||K - K_inf||_F / ||K_inf||_F: ours {relative(k_ours, k_inf):.4f}, NT "
                    f"{relative(r['k'], k_inf):.4f}; jax {r['jax']}, neural-tangents "
                    f"{r['neural_tangents']}; jit compile excluded, one timed call")


if __name__ == "__main__" and len(__import__("sys").argv) == 8 and __import__("sys").argv[1] == "nt":
    import sys
    from pathlib import Path

    work = Path(sys.argv[2])
    r = _nt_ntk_here(np.load(work / "x.npy"), int(sys.argv[3]), int(sys.argv[4]), int(sys.argv[5]),
                     sys.argv[6], int(sys.argv[7]))
    np.save(work / "k_nt.npy", r.pop("k"))
    print(json.dumps(r))
