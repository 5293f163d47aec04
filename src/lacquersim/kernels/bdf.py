"""Compiled variable-order BDF integrator for the film model (numba).

The whole integration — steps, Newton iterations, Jacobian and LU reuse,
error and order control, restarts at schedule boundaries, stage detection
by root finding on the dense output — runs in one compiled call with no Python
in the loop, so that a batch of simulations can run across cores with
``prange``.

The method is the quasi-constant step-size BDF of orders 1–5 in the
backward-difference formulation with the NDF error constants, the same
algorithm as ``scipy.integrate.BDF`` (Shampine & Reichelt 1997; scipy's
``_ivp/bdf.py``), so the reference and the compiled solver differ in the
implementation, not in the method (deliberate departures: the Newton
tolerance, see NEWTON_TOL, a first Newton iteration that may converge
with the contraction rate of the previous step, a Jacobian refreshed
when Newton contracts slowly, see JAC_RATE, and error norms that weight
each cell by its width, see :func:`norm_weights`, with the weights of the
predicted state). The linear systems ``(I − c·J)·x = r`` are solved by
static condensation (:mod:`.linalg`).

Stages are checked after every accepted step (and at every segment start,
where a condition may already hold) exactly as in :mod:`lacquersim.sim.stages`:
stage ``k`` is the first time at or after stage ``k−1`` with indicator
``g_k ≥ 0``, located by the Illinois method on the step's interpolant.
"""

from __future__ import annotations

import math

import numpy as np
from numba import njit, prange

from . import film

from . import layout
from . import vecmath as vm
from ._kernel_cache import INTERNAL, use_prebuilt
from .layout import NF, NQ
from .indicators import N_STAGES, indicator, wrinkle
from .linalg import NFAC, block_factor, block_solve, q_first

MAX_ORDER = 5
NEWTON_MAXITER = 4
MIN_FACTOR = 0.2
# Newton stops when the remaining correction is estimated below NEWTON_TOL in
# the error-weighted norm, where the error test allows 1/ERROR_CONST (3 to 10);
# scipy's sqrt(rtol) costs a right-hand side per step for no stage accuracy
# (docs/solver.md). With the rate unknown, the correction itself must be that small.
NEWTON_TOL = 0.1
# A step whose Newton iteration contracted slower than this refreshes the
# Jacobian for the next one: an old Jacobian makes every step pay extra
# iterations, a fresh one costs about 3 (docs/solver.md).
JAC_RATE = 0.1
MAX_FACTOR = 10.0
EPS = np.finfo(np.float64).eps

# status codes returned by the kernel
OK, TOO_MANY_STEPS, STEP_TOO_SMALL, NON_FINITE, CAPACITY = 0, 1, 2, 3, 4
STATUS_TEXT = {
    CAPACITY: "dense-output buffer full",
    OK: "ok",
    TOO_MANY_STEPS: "too many steps",
    STEP_TOO_SMALL: "step size collapsed (Newton or error test kept failing)",
    NON_FINITE: "non-finite state (NaN or inf) produced",
}

_kappa = np.array([0.0, -0.1850, -1.0 / 9.0, -0.0823, -0.0415, 0.0])
_gamma = np.concatenate((np.zeros(1), np.cumsum(1.0 / np.arange(1, MAX_ORDER + 1))))
ALPHA = (1.0 - _kappa) * _gamma
GAMMA = _gamma
ERROR_CONST = _kappa * _gamma + 1.0 / np.arange(1, MAX_ORDER + 2)

# stats layout
S_STEPS, S_NFEV, S_NJEV, S_NLU, S_REJECT = 0, 1, 2, 3, 4
N_STATS = 5


# ---------------------------------------------------------------------------
# BDF helpers (as scipy's _ivp/bdf.py)
# ---------------------------------------------------------------------------
@njit(cache=True, error_model="numpy")
def norm_weights(dz, n, out):
    """out[j] = sqrt(dz_i/mean(dz)) for the NF fields of cell i, 1 for the
    running integrals: the weights that make the error norms approximate
    each field's L2 norm over the film, (1/L)·∫ e(z)² dz, rather than a
    mean over cells. The mesh is refined toward both faces (face cells ≈ 12×
    thinner than middle ones), and with equal weights the thin face cells'
    fast start-up transients steered the steps as much as the bulk, whose
    errors are the ones that last (they set the stage times). The weights'
    squares average to 1 over the cells, so a uniform mesh keeps the plain
    norm."""
    N = dz.shape[0]
    mean = 0.0
    for i in range(N):
        mean += dz[i]
    mean /= N
    for i in range(N):
        w = math.sqrt(dz[i] / mean)
        for k in range(NF):
            out[NF * i + k] = w
    for j in range(NF * N, n):
        out[j] = 1.0


@njit(cache=True, error_model="numpy")
def _inv_weights(y, atol, rtol, wt, out):
    """out = wt/(atol + rtol·|y|): the error weights (wt from
    :func:`norm_weights`), inverted once so that every norm of the step
    multiplies (a loop that vectorises)."""
    for j in range(y.shape[0]):
        out[j] = wt[j] / (atol[j] + rtol * abs(y[j]))


# no fastmath here: a reassociated (vectorised) sum depends on the CPU, the
# norms steer the steps, and the lazy dense output relies on a re-run
# taking exactly the same steps, also after unpickling on another machine
@njit(cache=True, error_model="numpy")
def _rms_inv(x, inv_scale):
    """Root mean square of x·inv_scale.

    Eight partial sums in a fixed order: independent chains whose additions
    overlap, without the reassociation (fastmath) that would make the sum
    depend on the CPU (one chain of n dependent additions was latency-bound).
    They are the lanes of one vector (:func:`vecmath.sumsq_lanes`): as eight
    scalar accumulators they compiled to scalar code.
    """
    n = x.shape[0]
    m = n - n % 8
    s0, s1, s2, s3, s4, s5, s6, s7 = vm.sumsq_lanes(x, inv_scale, 0, m // 8)
    for j in range(m, n):
        a = x[j] * inv_scale[j]
        s0 += a * a
    return math.sqrt((((s0 + s1) + (s2 + s3)) + ((s4 + s5) + (s6 + s7))) / n)


@njit(cache=True, error_model="numpy", **INTERNAL)
def _compute_R(order, factor, M):
    """scipy's compute_R into M[:order+1, :order+1]."""
    for i in range(1, order + 1):
        for j in range(1, order + 1):
            M[i, j] = (i - 1 - factor * j) / i
    for j in range(order + 1):
        M[0, j] = 1.0
    for i in range(1, order + 1):
        M[i, 0] = 0.0
    for i in range(1, order + 1):
        for j in range(order + 1):
            M[i, j] *= M[i - 1, j]


@njit(cache=True, error_model="numpy")
def _change_D(D, order, factor, W):
    """Rescale the difference array to a new step size h·factor (scipy's change_D).

    ``W`` is workspace of shape (MAX_ORDER + 4, n), so that nothing is
    allocated per step. The 6×6 product R·U is a plain loop, not numpy's
    ``@``: that calls BLAS, whose CPU-specific kernel may round differently
    on another machine, and the lazy dense output relies on a re-run taking
    exactly the same steps (also after unpickling elsewhere).
    """
    R = W[MAX_ORDER + 1, :36].reshape((6, 6))
    U = W[MAX_ORDER + 2, :36].reshape((6, 6))
    RU = W[MAX_ORDER + 3, :36].reshape((6, 6))
    _compute_R(order, factor, R)
    _compute_R(order, 1.0, U)
    for i in range(order + 1):
        for j in range(order + 1):
            s = 0.0
            for k in range(order + 1):
                s += R[i, k] * U[k, j]
            RU[i, j] = s
    n = D.shape[1]
    for i in range(order + 1):
        for j in range(n):
            W[i, j] = 0.0
        for k in range(order + 1):
            w = RU[k, i]
            if w != 0.0:
                for j in range(n):
                    W[i, j] += w * D[k, j]
    for i in range(order + 1):
        for j in range(n):
            D[i, j] = W[i, j]


@njit(cache=True, error_model="numpy")
def dense_eval(t, t_step, h, order, D, y):
    """Value at time t of the interpolant of the step ending at t_step (scipy's BdfDenseOutput)."""
    n = y.shape[0]
    for j in range(n):
        y[j] = D[0, j]
    p = 1.0
    for i in range(order):
        # t_shift_i = t_step − h·i ; denom_i = h·(i+1)
        p *= (t - (t_step - h * i)) / (h * (i + 1))
        for j in range(n):
            y[j] += D[i + 1, j] * p


# ---------------------------------------------------------------------------
# Stages
# ---------------------------------------------------------------------------
@njit(cache=True, error_model="numpy", **INTERNAL)
def _root(k, lo, hi, g_lo, g_hi, t_step, h, order, D, p, dz, i0, i1, ybuf):
    """First crossing of g_k in [lo, hi] (g_lo < 0 ≤ g_hi) on the step interpolant (Illinois)."""
    a, b = lo, hi
    fa, fb = g_lo, g_hi
    side = 0
    tol = 1e-9 * abs(hi) + 1e-7
    for _ in range(200):
        if b - a <= tol:
            break
        if fb != fa:
            m = b - fb * (b - a) / (fb - fa)
        else:
            m = 0.5 * (a + b)
        if not (a < m < b):
            m = 0.5 * (a + b)
        dense_eval(m, t_step, h, order, D, ybuf)
        fm = indicator(k, m, ybuf, p, dz, i0, i1)
        if fm >= 0.0:
            b, fb = m, fm
            if side == 1:
                fa *= 0.5
            side = 1
        else:
            a, fa = m, fm
            if side == -1:
                fb *= 0.5
            side = -1
    return b


# ---------------------------------------------------------------------------
# The integrator
# ---------------------------------------------------------------------------
# Hairer's starting step (scipy's select_initial_step), order 1, in the norm
# weighted by ``wt`` (:func:`norm_weights`), in two halves around the
# right-hand side at y0 + h0·f0, which integrate evaluates itself: a kernel
# calling rhs_ws compiles its machine code once more (see integrate).
@njit(cache=True, error_model="numpy", **INTERNAL)
def _initial_step_probe(t0, y0, f0, t_bound, rtol, atol, wt, ybuf, inv_scale):
    """The first half: fills inv_scale (the weights at y0) and ybuf =
    y0 + h0·f0; returns (h0, the norm of f0)."""
    interval = t_bound - t0
    n = y0.shape[0]
    _inv_weights(y0, atol, rtol, wt, inv_scale)
    d0 = _rms_inv(y0, inv_scale)
    d1 = _rms_inv(f0, inv_scale)
    if d0 < 1e-5 or d1 < 1e-5:
        h0 = 1e-6
    else:
        h0 = 0.01 * d0 / d1
    h0 = min(h0, interval)
    for j in range(n):
        ybuf[j] = y0[j] + h0 * f0[j]
    return h0, d1


@njit(cache=True, error_model="numpy", **INTERNAL)
def _initial_step(t0, t_bound, h0, d1, f0, fbuf, inv_scale):
    """The second half, given fbuf = the right-hand side at ybuf (overwritten)."""
    interval = t_bound - t0
    n = f0.shape[0]
    for j in range(n):
        fbuf[j] = fbuf[j] - f0[j]
    d2 = _rms_inv(fbuf, inv_scale) / h0
    if d1 <= 1e-15 and d2 <= 1e-15:
        h1 = max(1e-6, h0 * 1e-3)
    else:
        h1 = (0.01 / max(d1, d2)) ** 0.5
    return min(100.0 * h0, h1, interval)


@njit(cache=True, error_model="numpy")
def integrate(y0, t_bounds, P, dz, i0, i1, rtol, atol, max_steps, max_order, store, max_records,
              y_end, stage_t, stage_w, stats, fail,
              rec_t, rec_h, rec_order, rec_seg, rec_D, rec_n, general_powers=True):
    """Integrate the film from t_bounds[0] to t_bounds[-1], one segment per row of P.

    Stages are located on the cells [i0, i1) (the whole film: 0, N).
    ``max_order`` (1–5) caps the BDF order (tests of the order of accuracy).
    ``general_powers=None``: every row of P has :func:`laws.integral_powers`
    (not checked; BDFSolver checks), and only their cell loops are compiled
    (see :func:`film.rhs_ws`).

    Outputs (preallocated, filled in place):
      y_end (n)            final state
      stage_t (N_STAGES)   stage times, s (NaN if not reached)
      stage_w (1)          wrinkle index at set-to-touch (NaN if not set)
      stats (N_STATS)      steps, nfev, njev, nlu, rejected steps
      fail (1)             time of failure, s (only if status != OK)
      rec_* (capacity)     dense-output records when ``store``: per accepted
                           step (and per segment start) its end time, h,
                           order, segment, and D[:order+1]; rec_n[0] = count.
                           They grow (doubling) up to ``max_records``.
    Returns (status, rec_t, rec_h, rec_order, rec_seg, rec_D): the status code
    (OK, TOO_MANY_STEPS, STEP_TOO_SMALL, NON_FINITE, CAPACITY) and the record
    arrays, which may have been reallocated.
    """
    n = y0.shape[0]
    N = dz.shape[0]
    nseg = P.shape[0]
    y = y0.copy()
    for k in range(N_STAGES):
        stage_t[k] = np.nan
    stage_w[0] = np.nan
    for k in range(N_STATS):
        stats[k] = 0
    rec_n[0] = 0
    kst = np.int64(0)  # next stage to find (np.int64: see reactions._consume)
    t_prev = t_bounds[0]
    newton_tol = max(10.0 * EPS / rtol, NEWTON_TOL)

    D = np.zeros((MAX_ORDER + 3, n))
    W = np.zeros((MAX_ORDER + 4, max(n, 36)))  # _change_D's workspace
    Dg = np.zeros((N, NF, NF))
    Lo = np.zeros((N, NF, NF))
    Up = np.zeros((N, NF, NF))
    Qrow = np.zeros((NQ, NF * N))
    qlo = np.zeros(NQ, dtype=np.int64)
    F = np.zeros((N, NFAC))
    f = np.empty(n)
    ypred = np.empty(n)
    psi = np.empty(n)
    ynew = np.empty(n)
    d = np.empty(n)
    dy = np.empty(n)
    rhs_b = np.empty(n)
    inv_scale = np.empty(n)
    ybuf = np.empty(n)
    fbuf = np.empty(n)
    y_old = np.empty(n)
    wt = np.empty(n)
    norm_weights(dz, n, wt)
    ws_kc = np.empty(layout.N_KC + 1)  # film.rhs_ws's workspace
    ws_do = np.empty(N)
    ws_dw = np.empty(N)
    ws_src = np.empty((1, 1))
    ws_geo = np.empty((2, N))
    inv0 = np.empty(n)  # the initial step's weights
    film.mesh_factors(dz, ws_geo)
    crate = -1.0  # contraction rate of the last Newton iteration (unknown)
    stale_jac = False  # compute a fresh Jacobian before the next LU (slow Newton, or failed)

    for sg in range(nseg):
        p = P[sg]
        ws_kc[layout.N_KC] = np.nan  # rate constants of another p: recompute
        t = t_bounds[sg]
        t_bound = t_bounds[sg + 1]
        # rhs_ws, not film.rhs, also here: each kernel that calls another
        # recompiles the callee's machine code in its own (numba links and
        # optimises the callees into every caller), and film.rhs would be one
        # more level around the cell loops on a first run
        film.rhs_ws(t, y, p, dz, f, ws_kc, ws_do, ws_dw, ws_src, ws_geo, general_powers)
        stats[S_NFEV] += 1
        for j in range(n):
            if not np.isfinite(f[j]):
                fail[0] = t
                return NON_FINITE, rec_t, rec_h, rec_order, rec_seg, rec_D
        # a stage condition may already hold at the segment start
        while kst < N_STAGES and indicator(kst, t, y, p, dz, i0, i1) >= 0.0:
            stage_t[kst] = t
            t_prev = t
            if kst == 0:
                stage_w[0] = wrinkle(t, y, p, dz, i0, i1)
            kst += 1
        # restart at order 1: the conditions may jump at a step boundary (docs/model.md, "Drying schedule")
        h0, d1 = _initial_step_probe(t, y, f, t_bound, rtol, atol, wt, ybuf, inv0)
        film.rhs_ws(t + h0, ybuf, p, dz, fbuf, ws_kc, ws_do, ws_dw, ws_src, ws_geo, general_powers)
        h_abs = _initial_step(t, t_bound, h0, d1, f, fbuf, inv0)
        stats[S_NFEV] += 1
        if not (h_abs > 0.0 and np.isfinite(h_abs)):  # e.g. a zero or NaN tolerance
            fail[0] = t
            return NON_FINITE, rec_t, rec_h, rec_order, rec_seg, rec_D
        order = np.int64(1)
        n_equal = 0
        for i in range(MAX_ORDER + 3):
            for j in range(n):
                D[i, j] = 0.0
        for j in range(n):
            D[0, j] = y[j]
            D[1, j] = f[j] * h_abs
        film.jac_blocks(t, y, p, dz, Dg, Lo, Up, Qrow, general_powers)
        stats[S_NJEV] += 1
        q_first(Qrow, qlo)
        stale_jac = False
        lu_ok = False
        c_lu = 0.0
        if store:  # the segment start: order 0, D[0] = y
            ok, rec_t, rec_h, rec_order, rec_seg, rec_D = _record(
                t, h_abs, np.int64(0), sg, D, rec_t, rec_h, rec_order, rec_seg, rec_D, rec_n, max_records)
            if not ok:
                fail[0] = t
                return CAPACITY, rec_t, rec_h, rec_order, rec_seg, rec_D

        while t < t_bound:
            min_step = 10.0 * (np.nextafter(t, np.inf) - t)
            if h_abs < min_step:
                _change_D(D, order, min_step / h_abs, W)  # keep D consistent with the new step
                n_equal = 0
                lu_ok = False
                h_abs = min_step
            accepted = False
            n_iter = 0
            current_jac = False  # the Jacobian may be from an earlier step
            while not accepted:
                if not (h_abs >= min_step):  # also catches a NaN step
                    fail[0] = t
                    return STEP_TOO_SMALL, rec_t, rec_h, rec_order, rec_seg, rec_D
                t_new = t + h_abs
                if t_new >= t_bound or t_bound - t_new < min_step:
                    t_new = t_bound
                    _change_D(D, order, (t_new - t) / h_abs, W)
                    n_equal = 0
                    lu_ok = False
                h_abs = t_new - t
                inv_alpha = 1.0 / ALPHA[order]
                # two rows per pass: the loops vectorise and read the state less
                # often; the sums keep their order (D0 + D1 + ...), hence their rounding
                for j in range(n):
                    ypred[j] = D[0, j] + D[1, j]
                    psi[j] = D[1, j] * GAMMA[1]
                i = 2
                while i < order:
                    ga, gb = GAMMA[i], GAMMA[i + 1]
                    for j in range(n):
                        ypred[j] = (ypred[j] + D[i, j]) + D[i + 1, j]
                        psi[j] = (psi[j] + D[i, j] * ga) + D[i + 1, j] * gb
                    i += 2
                if i == order:  # the last row, with the scaling and the weights
                    gi = GAMMA[i]
                    for j in range(n):
                        yp = ypred[j] + D[i, j]
                        ypred[j] = yp
                        psi[j] = (psi[j] + D[i, j] * gi) * inv_alpha
                        inv_scale[j] = wt[j] / (atol[j] + rtol * abs(yp))
                else:
                    for j in range(n):
                        psi[j] *= inv_alpha
                        inv_scale[j] = wt[j] / (atol[j] + rtol * abs(ypred[j]))
                c = h_abs / ALPHA[order]
                converged = False
                while not converged:
                    if stale_jac:
                        film.jac_blocks(t_new, ypred, p, dz, Dg, Lo, Up, Qrow, general_powers)
                        stats[S_NJEV] += 1
                        q_first(Qrow, qlo)
                        current_jac = True
                        stale_jac = False
                        lu_ok = False
                    if not lu_ok or c != c_lu:
                        crate = -1.0  # new iteration matrix: rate unknown again
                        block_factor(Dg, Lo, Up, c, F)
                        stats[S_NLU] += 1
                        lu_ok = True
                        c_lu = c
                    # --- Newton iterations (scipy's solve_bdf_system)
                    for j in range(n):
                        ynew[j] = ypred[j]
                        d[j] = 0.0
                    dy_norm_old = -1.0
                    converged = False
                    n_iter = 0
                    last_rate = -1.0
                    for it in range(NEWTON_MAXITER):
                        n_iter = it + 1
                        film.rhs_ws(t_new, ynew, p, dz, f, ws_kc, ws_do, ws_dw, ws_src, ws_geo, general_powers)
                        stats[S_NFEV] += 1
                        for j in range(n):
                            rhs_b[j] = c * f[j] - psi[j] - d[j]
                        block_solve(F, Qrow, qlo, c, rhs_b, dy)
                        dy_norm = _rms_inv(dy, inv_scale)
                        if not (dy_norm < np.inf):  # a NaN or inf in f spreads to the norm
                            break
                        rate = -1.0
                        if dy_norm_old > 0.0:
                            rate = dy_norm / dy_norm_old
                            last_rate = rate
                        elif crate > 0.0:
                            # first iteration: trust the contraction rate seen in the
                            # previous step with the same LU (CVODE's crate) instead of
                            # always paying a second iteration as scipy does
                            rate = crate
                        if rate >= 0.0 and (rate >= 1.0 or
                                            rate ** (NEWTON_MAXITER - it) / (1.0 - rate) * dy_norm > newton_tol):
                            break
                        for j in range(n):
                            ynew[j] += dy[j]
                            d[j] += dy[j]
                        if dy_norm == 0.0 or (rate >= 0.0 and rate / (1.0 - rate) * dy_norm < newton_tol) \
                                or (rate < 0.0 and dy_norm < newton_tol):
                            converged = True
                            break
                        dy_norm_old = dy_norm
                    if converged and last_rate > 0.0:
                        crate = last_rate
                    if not converged:
                        crate = -1.0
                        if current_jac:
                            break
                        stale_jac = True  # retry with a fresh Jacobian (refreshed at the loop's top)
                if not converged:
                    h_abs *= 0.5
                    _change_D(D, order, 0.5, W)
                    n_equal = 0
                    lu_ok = False
                    stats[S_REJECT] += 1
                    continue
                safety = 0.9 * (2 * NEWTON_MAXITER + 1) / (2 * NEWTON_MAXITER + n_iter)
                # the predicted state's weights, as Newton's (CVODE also holds
                # its weights over a step): a pass over the state fewer
                error_norm = ERROR_CONST[order] * _rms_inv(d, inv_scale)
                if not (error_norm <= 1.0):  # a NaN error norm rejects the step
                    factor = max(MIN_FACTOR, safety * error_norm ** (-1.0 / (order + 1)))
                    h_abs *= factor
                    _change_D(D, order, factor, W)
                    n_equal = 0
                    stats[S_REJECT] += 1
                else:
                    accepted = True

            # --- accepted
            stats[S_STEPS] += 1
            if stats[S_STEPS] > max_steps:
                fail[0] = t_new
                return TOO_MANY_STEPS, rec_t, rec_h, rec_order, rec_seg, rec_D
            # D's update (scipy's: D[order+2] = d − D[order+1], D[order+1] = d,
            # then D[i] += D[i+1] from i = order down to 0), two rows per pass
            finite = True
            for j in range(n):
                finite &= np.isfinite(ynew[j])
                D[order + 2, j] = d[j] - D[order + 1, j]
                D[order + 1, j] = d[j]
                D[order, j] += d[j]
            i = order - 1
            while i >= 1:
                for j in range(n):
                    a = D[i, j] + D[i + 1, j]
                    D[i, j] = a
                    D[i - 1, j] += a
                i -= 2
            if i == 0:
                for j in range(n):
                    D[0, j] += D[1, j]
            if not finite:
                fail[0] = t_new
                return NON_FINITE, rec_t, rec_h, rec_order, rec_seg, rec_D
            t_old = t
            t = t_new
            # the buffers change roles instead of being copied (ynew is
            # overwritten from the predictor at the next step)
            y_old, y, ynew = y, ynew, y_old
            stale_jac = crate > JAC_RATE and not current_jac
            n_equal += 1
            if n_equal >= order + 1:
                em = np.inf
                ep = np.inf
                if order > 1:
                    em = ERROR_CONST[order - 1] * _rms_inv(D[order], inv_scale)
                if order < max_order:
                    ep = ERROR_CONST[order + 1] * _rms_inv(D[order + 2], inv_scale)
                # factors = norms ** (-1/(order, order+1, order+2))
                fm = em ** (-1.0 / order) if em > 0.0 else np.inf
                f0 = error_norm ** (-1.0 / (order + 1)) if error_norm > 0.0 else np.inf
                fp = ep ** (-1.0 / (order + 2)) if ep > 0.0 else np.inf
                best = fm
                delta = -1
                if f0 > best:
                    best = f0
                    delta = 0
                if fp > best:
                    best = fp
                    delta = 1
                order += delta
                factor = min(MAX_FACTOR, safety * best)
                h_abs *= factor
                _change_D(D, order, factor, W)
                n_equal = 0
                lu_ok = False

            # --- dense record of this step: interpolant over [t_old, t]
            if store:
                ok, rec_t, rec_h, rec_order, rec_seg, rec_D = _record(
                    t, h_abs, order, sg, D, rec_t, rec_h, rec_order, rec_seg, rec_D, rec_n, max_records)
                if not ok:
                    fail[0] = t
                    return CAPACITY, rec_t, rec_h, rec_order, rec_seg, rec_D

            # --- stages reached during this step (sequentially, from the last one)
            lo = t_old if t_old > t_prev else t_prev
            while kst < N_STAGES:
                if lo == t_old:
                    g_lo = indicator(kst, t_old, y_old, p, dz, i0, i1)  # exact previous point
                else:
                    g_lo = _g_at(kst, lo, t, h_abs, order, D, y, p, dz, i0, i1, ybuf)
                if g_lo >= 0.0:
                    ts = lo
                else:
                    g_hi = indicator(kst, t, y, p, dz, i0, i1)
                    if g_hi < 0.0:
                        break
                    ts = _root(kst, lo, t, g_lo, g_hi, t, h_abs, order, D, p, dz, i0, i1, ybuf)
                stage_t[kst] = ts
                t_prev = ts
                if kst == 0:
                    if ts == t_old:
                        stage_w[0] = wrinkle(t_old, y_old, p, dz, i0, i1)
                    elif ts == t:
                        stage_w[0] = wrinkle(t, y, p, dz, i0, i1)
                    else:
                        dense_eval(ts, t, h_abs, order, D, ybuf)
                        stage_w[0] = wrinkle(ts, ybuf, p, dz, i0, i1)
                kst += 1
                lo = ts
    for j in range(n):
        y_end[j] = y[j]
    return OK, rec_t, rec_h, rec_order, rec_seg, rec_D


@njit(cache=True, error_model="numpy", **INTERNAL)
def _record(t, h, order, sg, D, rec_t, rec_h, rec_order, rec_seg, rec_D, rec_n, max_records):
    """Append the dense output of the step ending at t; grow the records (doubling) up to
    max_records. Returns (stored, the possibly reallocated record arrays)."""
    cap = rec_t.shape[0]
    if rec_n[0] >= cap:
        if cap >= max_records:
            return False, rec_t, rec_h, rec_order, rec_seg, rec_D
        rec_t, rec_h, rec_order, rec_seg, rec_D = _grow(rec_t, rec_h, rec_order, rec_seg, rec_D,
                                                        min(2 * cap, max_records))
    r = rec_n[0]
    rec_t[r] = t
    rec_h[r] = h
    rec_order[r] = order
    rec_seg[r] = sg
    for i in range(order + 1):
        for j in range(D.shape[1]):
            rec_D[r, i, j] = D[i, j]
    rec_n[0] = r + 1
    return True, rec_t, rec_h, rec_order, rec_seg, rec_D


@njit(cache=True, error_model="numpy", **INTERNAL)
def _grow(rec_t, rec_h, rec_order, rec_seg, rec_D, cap):
    """Copies of the dense-output records with room for ``cap`` of them."""
    m = rec_t.shape[0]
    t2 = np.empty(cap)
    h2 = np.empty(cap)
    o2 = np.empty(cap, dtype=np.int64)
    s2 = np.empty(cap, dtype=np.int64)
    D2 = np.empty((cap, rec_D.shape[1], rec_D.shape[2]))
    # element loops, not slice assignment: a slice assignment compiles numba's
    # shape-mismatch error path with its string formatting (≈ 4 s of the
    # first run's compile), for shapes that match by construction
    for r in range(m):
        t2[r] = rec_t[r]
        h2[r] = rec_h[r]
        o2[r] = rec_order[r]
        s2[r] = rec_seg[r]
        for i in range(rec_D.shape[1]):
            for j in range(rec_D.shape[2]):
                D2[r, i, j] = rec_D[r, i, j]
    return t2, h2, o2, s2, D2


@njit(cache=True, error_model="numpy", **INTERNAL)
def _g_at(k, ts, t, h, order, D, y, p, dz, i0, i1, ybuf):
    """Indicator k at time ts inside the step ending at t (its interpolant)."""
    if ts == t:
        return indicator(k, t, y, p, dz, i0, i1)
    dense_eval(ts, t, h, order, D, ybuf)
    return indicator(k, ts, ybuf, p, dz, i0, i1)


@njit(cache=True, parallel=True)
def integrate_batch(Y0, TB, PP, DZ, rtol, ATOL, max_steps,
                    stage_t, stage_w, y_end, stats, fail, status):
    """Integrate B independent films across cores (numba ``prange``, no GIL).

    Y0 (B, n), TB (B, nseg+1), PP (B, nseg, n_params), DZ (B, N), ATOL (B, n).
    Stages are located on the whole film of each case.
    Outputs per case: stage_t (B, N_STAGES), stage_w (B), y_end (B, n),
    stats (B, N_STATS), fail (B) and status (B). A failing case only sets its
    own status; the others are unaffected.
    """
    B = Y0.shape[0]
    for b in prange(B):
        rec_t = np.empty(1)
        rec_h = np.empty(1)
        rec_order = np.empty(1, dtype=np.int64)
        rec_seg = np.empty(1, dtype=np.int64)
        rec_D = np.empty((1, MAX_ORDER + 1, Y0.shape[1]))
        rec_n = np.zeros(1, dtype=np.int64)
        sw = np.empty(1)
        fl = np.zeros(1)
        status[b] = integrate(Y0[b], TB[b], PP[b], DZ[b], 0, DZ.shape[1], rtol, ATOL[b], max_steps,
                              MAX_ORDER, False, 1,
                              y_end[b], stage_t[b], sw, stats[b], fl,
                              rec_t, rec_h, rec_order, rec_seg, rec_D, rec_n)[0]
        stage_w[b] = sw[0]
        fail[b] = fl[0]


use_prebuilt(globals())  # the shipped compiled kernels (_kernel_cache)
