#!/usr/bin/env python3
"""telgarsky2023.sample-complexity: is the exponent's gap to 2 pre-asymptotic? (issue 16, item 4)

Reads the claim's own evidence CSVs (mean_error.csv and runs.csv of each run directory found
under the given folders: a quick 100-seed sweep's tasks/, or full-profile run directories) and
reports, per test-error target (0.05, 0.1, 0.15, 0.2; n* recomputed from the replicate-mean error
curves with the claim's rule: non-increasing envelope, log-linear interpolation), the local
exponents ln(n*(d') / n*(d)) / ln(d' / d) between consecutive d with 99% t-intervals over the
runs, and the claim's logit-fit exponent on windows of d. Needs numpy and scipy.

    python3 exponent_study.py DIR [DIR ...]
"""
import csv
import glob
import math
import os
import sys

import numpy as np
from scipy import stats


def nstar(ns, es, t):
    env = list(es)
    for i in range(len(env) - 2, -1, -1):
        env[i] = max(env[i], env[i + 1])
    for i, e in enumerate(env):
        if e < t:
            if i == 0:
                return ns[0]
            l0, l1 = math.log(ns[i - 1]), math.log(ns[i])
            e0, e1 = env[i - 1], env[i]
            return math.exp(l0 + (l1 - l0) * (e0 - t) / (e0 - e1))
    return math.inf


def logit(e, n_test=2000):
    p = (e * n_test + 0.5) / (n_test + 1)
    return math.log(p / (1 - p))


def ci(a):
    a = np.asarray(a)
    if len(a) < 2:
        return f"{a.mean():.2f} (one run)"
    m = a.mean()
    h = stats.t.ppf(0.995, len(a) - 1) * a.std(ddof=1) / math.sqrt(len(a))
    return f"{m:.2f} [{m - h:.2f}, {m + h:.2f}]"


def main(folders):
    files = []
    for f in folders:
        files += glob.glob(os.path.join(f, "**", "mean_error.csv"), recursive=True)
    files = sorted(set(files))
    targets = (0.05, 0.1, 0.15, 0.2)
    res = {t: [] for t in targets}
    windows = {}
    ds = None
    for f in files:
        rows = [r for r in csv.DictReader(open(f)) if r["labels"] == "k=2"]
        ds = sorted({int(r["d"]) for r in rows})
        for t in targets:
            res[t].append([nstar([float(r["n"]) for r in rows if int(r["d"]) == d],
                                 [float(r["mean_test_error"]) for r in rows if int(r["d"]) == d],
                                 t) for d in ds])
        runs = [r for r in csv.DictReader(open(f.replace("mean_error.csv", "runs.csv")))
                if r["labels"] == "k=2"]
        for lo, hi in list(zip(ds, ds[1:])) + [(ds[0], ds[-1])]:
            rr = [r for r in runs if lo <= int(r["d"]) <= hi]
            x = np.array([[1.0, math.log(int(r["d"])), math.log(float(r["n"]) / int(r["d"]) ** 2)]
                          for r in rr])
            y = np.array([logit(float(r["test_error"])) for r in rr])
            beta = np.linalg.lstsq(x, y, rcond=None)[0]
            windows.setdefault((lo, hi), []).append(2 - beta[1] / beta[2])
    print(f"{len(files)} runs, d = {ds}")
    for t in targets:
        v = np.array(res[t])
        ok = np.all(np.isfinite(v), axis=1)
        v = np.log(v[ok])
        loc = [ci((v[:, i + 1] - v[:, i]) / math.log(ds[i + 1] / ds[i])) for i in range(len(ds) - 1)]
        ratio = np.median(np.exp(v) / np.array(ds, dtype=float) ** 2, axis=0).round(3)
        print(f"target {t}: runs with n* reached {ok.sum()}; median n*/d^2 {ratio}; local "
              f"exponents " + "; ".join(f"{ds[i]}-{ds[i + 1]}: {loc[i]}" for i in range(len(loc))))
    for w, p in windows.items():
        print(f"logit-fit exponent on d in [{w[0]}, {w[1]}]: {ci(p)}")


if __name__ == "__main__":
    main(sys.argv[1:])
