#!/usr/bin/env python3
"""An independent audit of the telgarsky2023 margins (issue 16), written from the definitions
in the claims' docs only (`overparam show telgarsky2023.margin-near-init` / `.norm-only`), not
from the Rust code:

  Network at initialisation: f(x; V) = m^-1/2 sum_j a_j relu(v_j . x), a_j = +-1, V_0 = (v_j).
  Tangent features (inner layer): d f(x) / d v_j = m^-1/2 a_j 1[v_j . x > 0] x  (relu'(0) = 0).

  * pointwise NTK margin (SOCP):
        max over theta_1..theta_m in R^d, ||theta_j||_2 <= 1 for every j, of
        min_k (1/m) sum_j y_k <theta_j, x_k 1[v_j . x_k > 0]>
  * L2 proxy (hard SVM through the origin in the tangent features):
        max_{||theta||_2 <= 1} min_k <theta, g_k>,  g_k = y_k grad_V f(x_k; V_0)
        = sqrt(min_{p in simplex} p^T G p), G_kl = <g_k, g_l>
  * l1 max margin over a dictionary of unit directions u_j (LP):
        gamma_LP = max_{||c||_1 <= 1} min_k y_k sum_j c_j relu(u_j . x_k)
  * l2 max margin over the same dictionary (QP): max_{||c||_2 <= 1} min_k y_k sum_j c_j h_kj.

Solvers: the LP by scipy's HiGHS (scipy.optimize.linprog, method="highs"); the QPs (as the
second-order-cone programme min ||A^T p||_2 on the simplex) and the pointwise SOCP by cvxpy with
ECOS, cross-checked with SCS (never clarabel). Each solve also gives the audit its own bracket:
a feasible primal point's margin (lower) and the dual objective at a simplex point (upper),
evaluated here in numpy.

Input: the raw arrays exported by the claims' own code path,
    target/release/overparam-bench margin-export --seed S --out DIR      (DIR/instances.json)
Usage (numpy, scipy, cvxpy 1.9.3, ecos 2.0.14, scs 3.3.1 from target/margin-venv):
    margin_audit.py audit DIR [--scs]     re-solve every instance; exit 1 on a mismatch
    margin_audit.py fixture DIR OUTDIR    the smallest instances and their independent values
                                          (tests/fixtures/margin_audit/fixture.json)

Pass rule for each programme: the independent optimum lies in the claim's certified bracket
[lower, upper] to ABS_TOL + REL_TOL * upper (the solvers' tolerances), and the audit's own
bracket overlaps the claim's.
"""

import json
import os
import sys

import numpy as np

ABS_TOL = 1e-8
REL_TOL = 1e-6


def arrays(inst):
    n, d = inst["n"], inst["d"]
    x = np.array(inst["x"], dtype=float).reshape(n, d)
    y = np.array(inst["y"], dtype=float)
    return x, y


# ------------------------------------------------------------------------------------------
# features, built here from the raw arrays


def tangent_activity(inst):
    """(x, y, act): act[j, k] = 1[v_j . x_k > 0] (m x n)."""
    x, y = arrays(inst)
    v0 = np.array(inst["v0"], dtype=float).reshape(inst["m"], inst["d"])
    act = (v0 @ x.T > 0.0).astype(float)
    return x, y, act


def tangent_vectors(inst):
    """The margin vectors g_k = y_k grad_V f(x_k; V_0), n x (m d)."""
    x, y, act = tangent_activity(inst)
    m = inst["m"]
    a = np.array(inst["a"], dtype=float)
    # block j of g_k: m^-1/2 a_j 1[v_j . x_k > 0] y_k x_k
    g = (a[:, None, None] * act[:, :, None] * (y[:, None] * x)[None, :, :]) / np.sqrt(m)
    return g.transpose(1, 0, 2).reshape(x.shape[0], m * x.shape[1])


def dictionary_margins(inst):
    """The margin matrix y_k relu(u_j . x_k), n x m."""
    x, y = arrays(inst)
    u = np.array(inst["u"], dtype=float).reshape(inst["m"], inst["d"])
    return y[:, None] * np.maximum(x @ u.T, 0.0)


# ------------------------------------------------------------------------------------------
# the programmes


def l1_lp(mm):
    """max_{||c||_1 <= 1} min_k (M c)_k by HiGHS: variables (c+, c-, gamma)."""
    from scipy.optimize import linprog

    n, p = mm.shape
    cost = np.zeros(2 * p + 1)
    cost[-1] = -1.0
    # gamma - (M c+ - M c-)_k <= 0
    a_ub = np.hstack([-mm, mm, np.ones((n, 1))])
    a_ub = np.vstack([a_ub, np.concatenate([np.ones(2 * p), [0.0]])])
    b_ub = np.concatenate([np.zeros(n), [1.0]])
    bounds = [(0, None)] * (2 * p) + [(None, None)]
    res = linprog(cost, A_ub=a_ub, b_ub=b_ub, bounds=bounds, method="highs")
    if res.status != 0:
        raise RuntimeError(f"HiGHS: {res.message}")
    c = res.x[:p] - res.x[p : 2 * p]
    norm = np.abs(c).sum()
    worst = (mm @ c).min()
    lower = max(float(worst / norm), 0.0) if norm > 0 else 0.0
    # duals of the margin rows (HiGHS marginals are <= 0 for <= rows of a minimisation)
    q = np.maximum(-res.ineqlin.marginals[:n], 0.0)
    q = q / q.sum() if q.sum() > 0 else np.full(n, 1.0 / n)
    upper = float(np.abs(mm.T @ q).max())
    return {"value": float(-res.fun), "lower": lower, "upper": upper, "solver": "highs"}


def simplex_min_norm(g, solver):
    """min_{p in simplex} ||g^T p||_2 (the L2 margin), by cvxpy with `solver`."""
    import cvxpy as cp

    n = g.shape[0]
    p = cp.Variable(n)
    prob = cp.Problem(cp.Minimize(cp.norm(g.T @ p, 2)), [p >= 0, cp.sum(p) == 1])
    solve(prob, solver)
    pv = np.maximum(np.asarray(p.value), 0.0)
    pv /= pv.sum()
    w = g.T @ pv
    upper = float(np.linalg.norm(w))
    lower = max(float((g @ w).min()) / upper, 0.0) if upper > 0 else 0.0
    return {"value": float(prob.value), "lower": lower, "upper": upper, "solver": solver}


def pointwise_socp(inst, solver):
    """max_{||theta_j|| <= 1} min_k (1/m) sum_j y_k 1[v_j . x_k > 0] <theta_j, x_k>."""
    import cvxpy as cp

    x, y, act = tangent_activity(inst)
    m, d = inst["m"], inst["d"]
    theta = cp.Variable((m, d))
    t = cp.Variable()
    # margin_k = (y_k / m) <x_k, sum_j act[j, k] theta_j>
    agg = act.T @ theta  # n x d
    margins = cp.multiply(y / m, cp.sum(cp.multiply(x, agg), axis=1))
    cons = [margins >= t, cp.norm(theta, 2, axis=1) <= 1]
    prob = cp.Problem(cp.Maximize(t), cons)
    solve(prob, solver)
    th = np.asarray(theta.value)
    norms = np.linalg.norm(th, axis=1)
    th = th / np.maximum(norms, 1.0)[:, None]
    marg = (y / m) * np.einsum("kc,kc->k", x, act.T @ th)
    lower = max(float(marg.min()), 0.0)
    q = np.maximum(np.asarray(cons[0].dual_value, dtype=float), 0.0)
    q = q / q.sum() if q.sum() > 0 else np.full(len(y), 1.0 / len(y))
    # dual: (1/m) sum_j || sum_k q_k y_k act[j, k] x_k ||
    s = act @ ((q * y)[:, None] * x)  # m x d
    upper = float(np.linalg.norm(s, axis=1).sum() / m)
    return {"value": float(prob.value), "lower": lower, "upper": upper, "solver": solver}


def solve(prob, solver):
    import cvxpy as cp

    if solver == "ECOS":
        prob.solve(solver=cp.ECOS, abstol=1e-10, reltol=1e-10, feastol=1e-10, max_iters=500)
    else:
        prob.solve(solver=cp.SCS, eps_abs=1e-9, eps_rel=1e-9, max_iters=200000)
    if prob.status not in ("optimal", "optimal_inaccurate"):
        raise RuntimeError(f"{solver}: {prob.status}")


# ------------------------------------------------------------------------------------------


def programmes(inst, scs):
    """(name, claim bracket, [independent results]) for every programme of an instance."""
    out = []
    solvers = ["ECOS"] + (["SCS"] if scs else [])
    if inst["claim"].endswith("margin-near-init"):
        g = tangent_vectors(inst)
        out.append(("pointwise_socp", inst["pointwise_socp"],
                    [pointwise_socp(inst, s) for s in solvers]))
        out.append(("l2_qp", inst["l2_qp"], [simplex_min_norm(g, s) for s in solvers]))
    else:
        mm = dictionary_margins(inst)
        out.append(("l1_lp", inst["l1_lp"], [l1_lp(mm)]))
        out.append(("l2_dictionary_qp", inst["l2_dictionary_qp"],
                    [simplex_min_norm(mm, s) for s in solvers]))
    return out


def judge(claim, ind):
    tol = ABS_TOL + REL_TOL * abs(claim["upper"])
    inside = claim["lower"] - tol <= ind["value"] <= claim["upper"] + tol
    overlap = ind["lower"] <= claim["upper"] + tol and claim["lower"] <= ind["upper"] + tol
    return bool(inside and overlap)


def audit(folder, scs):
    with open(os.path.join(folder, "instances.json")) as f:
        doc = json.load(f)
    rows, ok = [], True
    for inst in doc["near_init"] + doc["norm_only"]:
        for name, claim, results in programmes(inst, scs):
            for ind in results:
                good = judge(claim, ind)
                ok &= good
                rows.append({"claim": inst["claim"], "cell": inst["cell"], "programme": name,
                             "claim_lower": claim["lower"], "claim_upper": claim["upper"],
                             **{f"audit_{k}": v for k, v in ind.items()}, "pass": good})
                print(f"{inst['claim']:32s} {inst['cell']:16s} {name:17s} {ind['solver']:5s} "
                      f"claim [{claim['lower']:.10g}, {claim['upper']:.10g}]  "
                      f"audit {ind['value']:.10g} [{ind['lower']:.10g}, {ind['upper']:.10g}]  "
                      f"{'ok' if good else 'MISMATCH'}")
    with open(os.path.join(folder, "audit.json"), "w") as f:
        json.dump({"master_seed": doc["master_seed"], "profile": doc["profile"],
                   "abs_tol": ABS_TOL, "rel_tol": REL_TOL, "rows": rows, "pass": ok}, f, indent=1)
    print("audit:", "pass" if ok else "FAIL", f"({len(rows)} solves, seed {doc['master_seed']})")
    return ok


def fixture(folder, outdir):
    """The smallest trained width of each claim (and the conflicting-label control) with the
    independent values, for the Rust test that the claims' solvers reproduce them."""
    with open(os.path.join(folder, "instances.json")) as f:
        doc = json.load(f)
    near = [i for i in doc["near_init"] if not i["cell"].startswith("conflict")]
    picks = [min(near, key=lambda i: i["m"]), min(doc["norm_only"], key=lambda i: i["m"])]
    picks += [i for i in doc["near_init"] if i["cell"].startswith("conflict")]
    out = []
    for inst in picks:
        entry = {k: v for k, v in inst.items()
                 if k not in ("pointwise_socp", "l2_qp", "l1_lp", "l2_dictionary_qp")}
        entry["independent"] = {}
        for name, claim, results in programmes(inst, False):
            ind = results[0]
            if not judge(claim, ind):
                raise SystemExit(f"{inst['cell']} {name}: the claim does not reproduce")
            entry["independent"][name] = ind
        out.append(entry)
    os.makedirs(outdir, exist_ok=True)
    with open(os.path.join(outdir, "fixture.json"), "w") as f:
        json.dump({"master_seed": doc["master_seed"], "profile": doc["profile"],
                   "abs_tol": ABS_TOL, "rel_tol": REL_TOL,
                   "made_by": "python3 bench/margin_audit.py fixture DIR "
                              "tests/fixtures/margin_audit (DIR from overparam-bench "
                              "margin-export --seed 0)",
                   "instances": out}, f)
    print("fixture:", os.path.join(outdir, "fixture.json"))


def main(argv):
    if len(argv) >= 2 and argv[0] == "audit":
        sys.exit(0 if audit(argv[1], "--scs" in argv) else 1)
    if len(argv) == 3 and argv[0] == "fixture":
        fixture(argv[1], argv[2])
        return
    print(__doc__)
    sys.exit(2)


if __name__ == "__main__":
    main(sys.argv[1:])
