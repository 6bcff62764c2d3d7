"""The numpy/scipy side of bench/compare: what a user would write instead of overparam.

Each function reads the inputs the Rust side wrote (raw little-endian f64, row-major), times one
call, and returns seconds plus values the driver uses to check that both sides computed the same
thing.
"""

import json
import time

import numpy as np
import scipy.linalg


# scipy loads its LAPACK wrappers on first use: pay that once here, outside every timing.
scipy.linalg.eigh(np.eye(4))


def read_f64(path, shape):
    return np.fromfile(path, dtype="<f8").reshape(shape)


def eigen(path, n, vectors):
    """scipy.linalg.eigh with its defaults (LAPACK ?syevr through scipy's OpenBLAS)."""
    a = read_f64(path, (n, n))
    start = time.perf_counter()
    if vectors:
        w, _ = scipy.linalg.eigh(a)
    else:
        w = scipy.linalg.eigh(a, eigvals_only=True)
    seconds = time.perf_counter() - start
    return {"seconds": seconds, "eigenvalue_sum": float(w.sum()), "min": float(w[0]), "max": float(w[-1])}


def ntk(directory, n, m, d, weights):
    """The structured formula K = (X X^T) * (S S^T) / m + R R^T / m, written plainly.

    numpy's matmul recognises A @ A.T and calls SYRK (one triangle), so this is already the
    dgemm-rate baseline the issue describes.
    """
    x = read_f64(f"{directory}/X.f64", (n, d))
    w = read_f64(f"{directory}/W.f64", (m, d))
    a = read_f64(f"{directory}/{weights}.f64", (m,))
    start = time.perf_counter()
    z = x @ w.T
    s = (z > 0) * a
    r = np.maximum(z, 0.0)
    k = (x @ x.T) * (s @ s.T) / m + (r @ r.T) / m
    seconds = time.perf_counter() - start
    return {
        "seconds": seconds,
        "trace": float(np.trace(k)),
        "frobenius": float(np.linalg.norm(k)),
        "k01": float(k[0, 1]),
    }


def dgemm(n, k, seed=0):
    """Seconds of C = A B with A n x k and B k x n general matrices (no SYRK shortcut): the
    machine's dgemm rate through numpy, the physical limit of the NTK products."""
    rng = np.random.default_rng(seed)
    a = rng.standard_normal((n, k))
    b = rng.standard_normal((k, n))
    a @ b  # warm-up: thread pool, page faults
    start = time.perf_counter()
    a @ b
    seconds = time.perf_counter() - start
    return {"seconds": seconds, "gflops": 2.0 * n * n * k / seconds / 1e9}


def _pair_terms(w, u):
    """Angles and norms of all pairs (w_i, u_j) by the same atan2 formulas as the Rust kernel:
    t = 2 atan2(|w^ - u^|, |w^ + u^|), sin t = |w^ - u^| |w^ + u^| / 2."""
    nw = np.linalg.norm(w, axis=1)
    nu = np.linalg.norm(u, axis=1)
    wh = w / nw[:, None]
    uh = u / nu[:, None]
    minus2 = ((wh[:, None, :] - uh[None, :, :]) ** 2).sum(axis=2)
    plus2 = ((wh[:, None, :] + uh[None, :, :]) ** 2).sum(axis=2)
    mi, pl = np.sqrt(minus2), np.sqrt(plus2)
    theta = 2.0 * np.arctan2(mi, pl)
    sin = 0.5 * mi * pl
    cos = 0.25 * (plus2 - minus2)
    kappa = np.outer(nw, nu) / (2 * np.pi) * (sin + (np.pi - theta) * cos)
    alpha = np.outer(1.0 / nw, nu) * sin / (2 * np.pi)  # coefficient of w_i in grad_w kappa
    beta = (np.pi - theta) / (2 * np.pi)  # coefficient of u_j
    return kappa, alpha, beta


def population_loss_grad_w(w, a, v, b, teacher_energy):
    """L(W) = 1/2 a^T K(W, W) a - a^T K(W, V) b + 1/2 b^T K(V, V) b and dL/dW, vectorised.

    Including l = i in the student-student sum gives a_i^2 (0 w_i + w_i / 2), exactly the
    self-term's gradient, so no special case is needed."""
    kss, als, bes = _pair_terms(w, w)
    kst, alt, bet = _pair_terms(w, v)
    loss = 0.5 * a @ kss @ a - a @ kst @ b + teacher_energy
    cs = als * np.outer(a, a)
    ct = alt * np.outer(a, b)
    grad = (cs.sum(axis=1) - ct.sum(axis=1))[:, None] * w
    grad += (bes * np.outer(a, a)) @ w - (bet * np.outer(a, b)) @ v
    return loss, grad


def gd(problem_path):
    """First-layer gradient descent until ||grad_W|| <= tol, the iteration of
    overparam_kernel::gradient_descent(...first_layer_only().stop_at_gradient(tol))."""
    with open(problem_path) as f:
        p = json.load(f)
    d = p["d"]
    v = np.array(p["teacher_w"]).reshape(-1, d)
    b = np.array(p["teacher_a"])
    w = np.array(p["student_w"]).reshape(-1, d)
    a = np.array(p["student_a"])
    lr, tol, max_steps = p["lr"], p["grad_tol"], p["max_steps"]
    start = time.perf_counter()
    kvv, _, _ = _pair_terms(v, v)
    energy = 0.5 * b @ kvv @ b
    step = 0
    while True:
        loss, grad = population_loss_grad_w(w, a, v, b, energy)
        gnorm = np.linalg.norm(grad)
        if not np.isfinite(gnorm):
            raise RuntimeError(f"numpy GD diverged at step {step}")
        if gnorm <= tol or step == max_steps:
            break
        w = w - lr * grad
        step += 1
    seconds = time.perf_counter() - start
    return {"seconds": seconds, "steps": step, "loss": float(loss), "grad_norm": float(gnorm)}


def momentum_rate(spectrum, batch, eta, gamma, eta2):
    """rho of the exact second-moment map of Liu & Belkin's iteration on y = w*^T x,
    x ~ N(0, diag(spectrum)), as a user would write it in numpy: T applied to each basis matrix
    of the symmetric 2d x 2d matrices (vech coordinates), then `numpy.linalg.eigvals`.

    e' = (A - C(X)) e with A = [[0, I], [-gamma I, (1 + gamma) I]], C(X) = [[0, c1 X], [0, c2 X]],
    c1 = eta, c2 = (1 + gamma) eta - eta2, X the batch mean of x x^T; Isserlis gives
    E[X M X] = H M H + (H M^T H + tr(H M) H) / b.
    """
    start = time.perf_counter()
    h = np.diag(np.asarray(spectrum, dtype=float))
    d = h.shape[0]
    eye = np.eye(d)
    zero = np.zeros((d, d))
    a = np.block([[zero, eye], [-gamma * eye, (1.0 + gamma) * eye]])
    c1, c2 = eta, (1.0 + gamma) * eta - eta2
    c_mean = np.block([[zero, c1 * h], [zero, c2 * h]])
    weights = np.array([[c1 * c1, c1 * c2], [c2 * c1, c2 * c2]])
    rows, cols = np.tril_indices(2 * d)
    size = rows.size
    t = np.empty((size, size))
    for k, (i, j) in enumerate(zip(rows, cols)):
        s = np.zeros((2 * d, 2 * d))
        s[i, j] = 1.0
        s[j, i] = 1.0
        suu = s[d:, d:]
        fourth = h @ suu @ h + (h @ suu.T @ h + np.trace(h @ suu) * h) / batch
        image = a @ s @ a.T - a @ s @ c_mean.T - c_mean @ s @ a.T + np.kron(weights, fourth)
        t[:, k] = image[rows, cols]
    lam = np.linalg.eigvals(t)
    seconds = time.perf_counter() - start
    return {"seconds": seconds, "rho": float(np.abs(lam).max()), "rows": size}
