#!/usr/bin/env python3
"""An independent audit of `overparam ntk` (issue 15), written from the issue's stated
convention only:

    h_0 = x,  h_l = sqrt(2/m) relu(W_l h_(l-1))  (l = 1..L),  f(x) = v^T h_L,
    W_1 (m x d), W_l (m x m), v (m) standard normal, no biases, all layers trained,
    K(x, x') = sum over all parameters of df(x)/dtheta df(x')/dtheta,
    --infinite: Sigma^(0) = x^T x', the arc-cosine recursion with c_sigma = 2.

Nothing here reads the Rust code.
  * The infinite kernel: `infinite_mp` runs the textbook recursion (full 2 x 2 covariances,
    the angle by arccos of the cosine, E[relu relu] and P(u > 0, u' > 0) in closed form) in
    60-digit arithmetic with mpmath, so the reference is exact to double rounding even for
    nearly parallel points, where arccos in double precision loses half the digits.
    `infinite_float` is the same recursion in double precision with arccos replaced by
    cancellation-free forms (used when mpmath is not importable, and as a cross-check).
  * The empirical NTK: per-sample Jacobians by explicit backpropagation (every parameter's
    derivative materialised and flattened, one sample at a time), K = J J^T; numpy.

Usage (numpy from target/bench-venv; mpmath, pure Python, from wherever it is installed:
the fixture command needs only mpmath, no numpy):
    python3 ntk_audit.py fixture OUTDIR          the committed fixture (data + reference kernels)
    ntk_audit.py compare BIN [--work D]          BIN (overparam) --infinite on fresh data
    ntk_audit.py width BIN [--work D]            --width M: the m^-1/2 slope of the error
"""

import json
import math
import os
import random
import subprocess
import sys
import tempfile

try:
    import numpy as np
except ImportError:  # the fixture command needs only mpmath
    np = None
try:
    import mpmath
except ImportError:
    mpmath = None


# ----------------------------------------------------------------------------------------------
# Infinite-width recursion, two independent evaluations


def infinite_mp(rows, depth, dps=60):
    """Theta^(depth) for every pair of rows (lists of floats), textbook recursion in `dps` digits:
    Sigma^(h)(x, x') = 2 E[relu(u) relu(u')] = s s' (sin t + (pi - t) cos t) / pi,
    Sigma-dot^(h)(x, x') = 2 P(u > 0, u' > 0) = (pi - t) / pi, with s^2 = Sigma^(h-1)(x, x),
    cos t = Sigma^(h-1)(x, x') / (s s'); Theta^(h) = Theta^(h-1) Sigma-dot^(h) + Sigma^(h)."""
    mp = mpmath.mp
    mp.dps = dps
    n = len(rows)
    xs = [[mpmath.mpf(v) for v in r] for r in rows]  # exact: every double is an mpf

    def dot(a, b):
        return mpmath.fsum(p * q for p, q in zip(a, b))

    k = [[0.0] * n for _ in range(n)]
    for i in range(n):
        for j in range(i, n):
            s_ii, s_jj, s_ij = dot(xs[i], xs[i]), dot(xs[j], xs[j]), dot(xs[i], xs[j])
            ntk = s_ij
            for _ in range(depth):
                ss = mpmath.sqrt(s_ii * s_jj)
                c = max(min(s_ij / ss, mpmath.mpf(1)), mpmath.mpf(-1))
                t = mpmath.acos(c)
                new_ii = s_ii  # t = 0 in the formula: 2 E[relu(u)^2] = s^2
                new_jj = s_jj
                new_ij = ss * (mpmath.sin(t) + (mpmath.pi - t) * mpmath.cos(t)) / mpmath.pi
                ntk = ntk * (mpmath.pi - t) / mpmath.pi + new_ij
                s_ii, s_jj, s_ij = new_ii, new_jj, new_ij
            k[i][j] = k[j][i] = float(ntk)
    return k


def _one_minus_j(t):
    """1 - J(t), J(t) = (sin t + (pi - t) cos t) / pi, free of cancellation at small t."""
    one_minus_cos = 2.0 * math.sin(0.5 * t) ** 2
    if t < 0.5:
        # sin t - t cos t = sum_{k>=1} (-1)^(k+1) 2k t^(2k+1) / (2k+1)!
        smtc = sum((-1) ** (k + 1) * 2 * k * t ** (2 * k + 1) / math.factorial(2 * k + 1)
                   for k in range(1, 16))
    else:
        smtc = math.sin(t) - t * math.cos(t)
    return (math.pi * one_minus_cos - smtc) / math.pi


def infinite_float(rows, depth):
    """The same recursion in double precision: the first angle by atan2(|x ^ x'|, x . x')
    (|x ^ x'|^2 by the Lagrange identity, no cancellation), later angles from 1 - cos t."""
    n = len(rows)
    k = [[0.0] * n for _ in range(n)]
    for i in range(n):
        for j in range(i, n):
            a, b = rows[i], rows[j]
            s_ii = math.fsum(p * p for p in a)
            s_jj = math.fsum(q * q for q in b)
            dot = math.fsum(p * q for p, q in zip(a, b))
            wedge2 = math.fsum((a[p] * b[q] - a[q] * b[p]) ** 2
                               for p in range(len(a)) for q in range(p + 1, len(a)))
            t = 0.0 if i == j else math.atan2(math.sqrt(wedge2), dot)
            ss = math.sqrt(s_ii * s_jj)
            ntk = dot
            for _ in range(depth):
                omj = _one_minus_j(t)
                ntk = ntk * (math.pi - t) / math.pi + ss * (1.0 - omj)
                t = 2.0 * math.asin(math.sqrt(min(max(0.5 * omj, 0.0), 1.0)))
            k[i][j] = k[j][i] = ntk
    return k


def infinite_reference(rows, depth):
    return infinite_mp(rows, depth) if mpmath is not None else infinite_float(rows, depth)


# ----------------------------------------------------------------------------------------------
# Empirical NTK from per-sample Jacobians


def init_network(rng, d, m, depth):
    ws = [rng.standard_normal((m, d))] + [rng.standard_normal((m, m)) for _ in range(depth - 1)]
    return ws, rng.standard_normal(m)


def jacobian(ws, v, x):
    """df(x)/dtheta for theta = (W_1, ..., W_L, v), flattened, by explicit backpropagation."""
    c = math.sqrt(2.0 / v.shape[0])
    hs, zs = [x], []
    for w in ws:
        zs.append(w @ hs[-1])
        hs.append(c * np.maximum(zs[-1], 0.0))
    grads = [None] * len(ws)
    g = v.copy()  # df/dh_L
    for l in range(len(ws) - 1, -1, -1):
        dz = g * c * (zs[l] > 0)  # df/dz_l, relu'(0) = 0
        grads[l] = np.outer(dz, hs[l])  # df/dW_l
        g = ws[l].T @ dz  # df/dh_(l-1)
    return np.concatenate([gr.ravel() for gr in grads] + [hs[-1]])


def empirical_ntk(ws, v, x):
    jac = np.stack([jacobian(ws, v, xi) for xi in x])
    return jac @ jac.T


# ----------------------------------------------------------------------------------------------
# Fresh data: random d and n, norms over 2.5 decades, nearly parallel, parallel and
# antiparallel pairs


def fresh_rows(rng, n, d):
    rows = []
    for _ in range(n):
        r = [rng.gauss(0.0, 1.0) for _ in range(d)]
        scale = math.exp(rng.uniform(math.log(0.05), math.log(20.0))) / math.sqrt(sum(v * v for v in r))
        rows.append([v * scale for v in r])
    for k, eps in enumerate([1e-3, 1e-6, 1e-9]):
        i, j = 2 * k, 2 * k + 1
        if j < n:
            nrm = math.sqrt(sum(v * v for v in rows[i]))
            rows[j] = [3.7 * v + eps * nrm * rng.gauss(0.0, 1.0) for v in rows[i]]
    if n > 8:
        rows[7] = [0.25 * v for v in rows[6]]
        rows[8] = [-2.0 * v for v in rows[6]]
    return rows


def write_csv(path, rows):
    with open(path, "w") as f:
        for row in rows:
            f.write(",".join(repr(float(v)) for v in row) + "\n")


def read_rows(path):
    with open(path) as f:
        return [[float(v) for v in line.split(",")] for line in f if line.strip()]


def run_ntk(binary, data, depth, mode_args, out):
    cmd = [binary, "ntk", "--data", data, "--depth", str(depth), "--out", out, "--quiet", "--force"]
    subprocess.run(cmd + mode_args, check=True)
    return read_rows(os.path.join(out, "gram.csv"))


def scaled_error(got, ref):
    """max_ij |got_ij - ref_ij| / sqrt(ref_ii ref_jj): the error in units of the entry's scale."""
    n = len(ref)
    return max(abs(got[i][j] - ref[i][j]) / math.sqrt(ref[i][i] * ref[j][j])
               for i in range(n) for j in range(n))


def frob_rel(a, b):
    return float(np.linalg.norm(np.asarray(a) - np.asarray(b)) / np.linalg.norm(np.asarray(b)))


# ----------------------------------------------------------------------------------------------

FIXTURE_CASES = [(13, 5), (9, 17), (24, 3)]
FIXTURE_DEPTHS = [1, 2, 3, 4]


def cmd_fixture(outdir):
    """tests/fixtures/ntk_audit: data sets and their infinite kernels, depths 1..4 (mpmath)."""
    if mpmath is None:
        sys.exit("the fixture needs mpmath (the exact reference)")
    os.makedirs(outdir, exist_ok=True)
    rng = random.Random(20261202)
    for c, (n, d) in enumerate(FIXTURE_CASES):
        name = f"audit{c}"
        write_csv(os.path.join(outdir, f"{name}.csv"), fresh_rows(rng, n, d))
        rows = read_rows(os.path.join(outdir, f"{name}.csv"))  # exactly what the CLI reads
        for depth in FIXTURE_DEPTHS:
            write_csv(os.path.join(outdir, f"{name}_infinite_L{depth}.csv"),
                      infinite_mp(rows, depth))
            check = scaled_error(infinite_float(rows, depth), infinite_mp(rows, depth))
            print(f"{name} (n={n}, d={d}) L={depth}: float recursion vs mpmath {check:.1e}")


def cmd_compare(binary, work, trials=4):
    seed = int.from_bytes(os.urandom(4), "little")
    rng = random.Random(seed)
    print(f"fresh data from random.Random({seed}); reference: "
          f"{'mpmath 60 digits' if mpmath else 'double-precision recursion'}")
    worst = 0.0
    for trial in range(trials):
        n, d = rng.randint(10, 40), rng.randint(2, 30)
        path = os.path.join(work, f"fresh{trial}.csv")
        write_csv(path, fresh_rows(rng, n, d))
        rows = read_rows(path)
        for depth in FIXTURE_DEPTHS:
            ref = infinite_reference(rows, depth)
            got = run_ntk(binary, path, depth, ["--infinite"], os.path.join(work, f"o{trial}_{depth}"))
            e = scaled_error(got, ref)
            worst = max(worst, e)
            print(f"n={n:2d} d={d:2d} L={depth}: max |K - ref| / sqrt(ref_ii ref_jj) = {e:.1e}")
    print(f"worst {worst:.1e}")
    return worst


def cmd_width(binary, work, seeds=8, widths=(256, 512, 1024, 2048, 4096, 8192), depth=2,
              jacobian_widths=(256, 512)):
    """e(m) = ||K_m - K_inf||_F / ||K_inf||_F on the kernels scaled by 1 / sqrt(K_ii^inf K_jj^inf)
    (without biases both are exactly 2-homogeneous in each argument, so this is the kernel of the
    unit directions and every pair weighs the same; the raw error is dominated by the few
    largest-norm points, whose norms span 2.5 decades here), for the CLI's
    --width M (seeds 0..seeds-1) and for the numpy per-sample-Jacobian kernel at the same m
    and number of seeds (both must have the same distribution: a Welch t statistic is printed),
    and the log-log slope of the CLI's error over all (m, seed)."""
    rng = random.Random(7)
    path = os.path.join(work, "width.csv")
    write_csv(path, fresh_rows(rng, 20, 11))
    rows = read_rows(path)
    x = np.asarray(rows)
    kinf = np.asarray(infinite_reference(rows, depth))
    scale = np.sqrt(np.outer(np.diag(kinf), np.diag(kinf)))

    def err(k):
        return frob_rel(np.asarray(k) / scale, kinf / scale)

    log_m, log_e = [], []
    for m in widths:
        errs = []
        for s in range(seeds):
            got = run_ntk(binary, path, depth, ["--width", str(m), "--seed", str(s)],
                          os.path.join(work, f"w{m}_{s}"))
            errs.append(err(got))
            log_m.append(math.log(m))
            log_e.append(math.log(errs[-1]))
        errs = np.asarray(errs)
        line = (f"m={m:5d}: CLI e(m) mean {errs.mean():.4f} +- {errs.std(ddof=1) / math.sqrt(seeds):.4f}"
                f" (x sqrt(m) = {errs.mean() * math.sqrt(m):.2f})")
        if m in jacobian_widths:
            ref = np.asarray([err(empirical_ntk(*init_network(np.random.default_rng(1000 + s),
                                                              x.shape[1], m, depth), x))
                              for s in range(seeds)])
            welch = (errs.mean() - ref.mean()) / math.sqrt(errs.var(ddof=1) / seeds + ref.var(ddof=1) / seeds)
            line += (f"; numpy per-sample-Jacobian kernel {ref.mean():.4f} +- "
                     f"{ref.std(ddof=1) / math.sqrt(seeds):.4f}, Welch t {welch:+.2f}")
        print(line, flush=True)
    a = np.vstack([log_m, np.ones(len(log_m))]).T
    coef, *_ = np.linalg.lstsq(a, np.asarray(log_e), rcond=None)
    resid = np.asarray(log_e) - a @ coef
    sxx = float(np.sum((a[:, 0] - a[:, 0].mean()) ** 2))
    se = math.sqrt(float(resid @ resid) / (len(log_e) - 2) / sxx)
    print(f"log-log slope of e(m) over m = {widths[0]}..{widths[-1]}, {seeds} seeds: "
          f"{coef[0]:.3f} +- {se:.3f} (1 s.e.); theory -0.5")
    return coef[0], se


def main(argv):
    if len(argv) >= 2 and argv[0] == "fixture":
        cmd_fixture(argv[1])
        return
    if len(argv) >= 2 and argv[0] in ("compare", "width"):
        work = argv[3] if len(argv) >= 4 and argv[2] == "--work" else tempfile.mkdtemp()
        os.makedirs(work, exist_ok=True)
        (cmd_compare if argv[0] == "compare" else cmd_width)(argv[1], work)
        return
    print(__doc__)
    sys.exit(2)


if __name__ == "__main__":
    main(sys.argv[1:])
