"""The deep-NTK row of bench/compare (`--only deep-ntk`): `overparam ntk --width M --depth L` on
n points in R^d against what a user would write instead.

* numpy: the same empirical NTK from the backward pass written plainly (forward, per-sample
  deltas, K = sum over layers of (D_l D_l^T) * (H_(l-1) H_(l-1)^T) + H_L H_L^T), then
  numpy.linalg.eigh for the spectrum, since the CLI's time includes its eigendecomposition.
* neural-tangents' `empirical_ntk_fn` on the stax network of the same convention (NTK
  parametrisation, no biases: Dense(m, W_std=sqrt(d)), Relu, Dense(m, W_std=sqrt(2)), ...,
  Dense(1, W_std=sqrt(2))), in float64, when it imports. neural-tangents 0.6.5 (the newest on
  PyPI, 2023-12) does not import under a current jax (jax.core.Jaxpr is gone); it runs with
  `pip install neural-tangents jax==0.4.30 jaxlib==0.4.30 tf2jax==0.3.6` (bench/compare does
  not install it: it pulls tensorflow).

The three sides draw different random networks (overparam's ChaCha8 stream cannot be replayed
in numpy), so they are compared through the infinite-width kernel (`overparam ntk
--infinite`): each empirical K must be within the O(m^-1/2) fluctuation of it, the same for
all three.
"""

import json
import subprocess
import time

import numpy as np


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


def _nt_ntk_here(x, width, depth, seed):
    """neural-tangents' empirical NTK (structured derivatives, float64) and its eigenvalues in
    this interpreter, timed after two warm-up calls (jit compilation excluded)."""
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
    ntk_fn = jax.jit(nt.empirical_ntk_fn(apply_fn, trace_axes=(-1,),
                                         implementation=nt.NtkImplementation.STRUCTURED_DERIVATIVES))
    # Unbatched, structured derivatives hold an n x n x m intermediate (72 GB at n = 1000, m =
    # 4096): blocks of `batch` rows, as neural-tangents' nt.batch does for a user.
    batch = min(n, 100)
    ntk_fn = nt.batch(ntk_fn, batch_size=batch)
    ntk_fn(xj[:batch], None, params)  # compile at the block shape
    start = time.perf_counter()
    k = np.asarray(ntk_fn(xj, None, params))
    eigenvalues = np.linalg.eigvalsh(k)
    seconds = time.perf_counter() - start
    return {"seconds": seconds, "k": k, "lambda_min": float(eigenvalues[0]), "jax": jax.__version__}


def nt_ntk(x, width, depth, seed=2, python=None, work=None):
    """_nt_ntk_here in `python` (the neural-tangents environment, target/bench-venv-nt: numpy<2,
    jax 0.4.20; neural-tangents 0.6.5's structured derivatives fail under jax >= 0.4.26), or
    {"error": why} when it does not run."""
    from pathlib import Path
    import sys

    root = Path(__file__).resolve().parent.parent
    python = python or root / "target" / "bench-venv-nt" / "bin" / "python"
    if not Path(python).exists():
        return {"error": f"no {python} (pip install 'numpy<2' jax==0.4.20 jaxlib==0.4.20 neural-tangents==0.6.5 tf2jax==0.3.6)"}
    work = Path(work or root / "target" / "bench" / "deep-ntk")
    work.mkdir(parents=True, exist_ok=True)
    np.save(work / "x.npy", x)
    out = subprocess.run([str(python), __file__, "nt", str(work), str(width), str(depth), str(seed)],
                         capture_output=True, text=True, env=dict(__import__("os").environ))
    if out.returncode != 0:
        return {"error": out.stderr.strip().splitlines()[-1] if out.stderr.strip() else f"exit {out.returncode}"}
    result = json.loads(out.stdout.strip().splitlines()[-1])
    result["k"] = np.load(work / "k_nt.npy")
    sys.stdout.flush()
    return result


def relative(k, reference):
    return float(np.linalg.norm(k - reference) / np.linalg.norm(reference))


def run(add_row, alternate, pinned, work, cli, threads, reps, n=1000, d=100, width=4096, depth=2):
    """Adds the rows: ours vs numpy (ratio), ours vs neural-tangents (ratio, or why not)."""
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
        ours, theirs = alternate(reps, lambda: cli_ntk(cli, env, data, out, width, depth),
                                 pinned(th, lambda: numpy_ntk(x, width, depth)))
        k_ours = read_gram(out, n)
        fluct = f"||K - K_inf||_F / ||K_inf||_F: ours {relative(k_ours, k_inf):.4f}, numpy {relative(theirs[0]['k'], k_inf):.4f}"
        add_row("deep ntk", f"{size} threads={th}", "overparam ntk (CLI)", [o["seconds"] for o in ours],
                "numpy backward pass + eigvalsh", [t["seconds"] for t in theirs],
                f"{fluct}; CLI time includes CSV in/out and its residual checks")
        nt_runs = [pinned(th, lambda: nt_ntk(x, width, depth))() for _ in range(reps)]
        if "error" in nt_runs[0]:
            add_row("deep ntk", f"{size} threads={th}", "overparam ntk (CLI)", [o["seconds"] for o in ours],
                    "neural-tangents", [], f"neural-tangents not available: {nt_runs[0]['error']}")
        else:
            add_row("deep ntk", f"{size} threads={th}", "overparam ntk (CLI)", [o["seconds"] for o in ours],
                    "neural-tangents empirical_ntk_fn", [r["seconds"] for r in nt_runs],
                    f"NT {relative(nt_runs[0]['k'], k_inf):.4f} from K_inf; jit compile excluded")


if __name__ == "__main__" and len(__import__("sys").argv) == 6 and __import__("sys").argv[1] == "nt":
    import sys
    from pathlib import Path

    work = Path(sys.argv[2])
    r = _nt_ntk_here(np.load(work / "x.npy"), int(sys.argv[3]), int(sys.argv[4]), int(sys.argv[5]))
    np.save(work / "k_nt.npy", r.pop("k"))
    print(json.dumps(r))
