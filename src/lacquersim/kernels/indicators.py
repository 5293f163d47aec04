"""Stage indicators and the wrinkle index, evaluated on a kernel state (numba).

The four indicators of the drying stages (see :mod:`lacquersim.sim.stages`)
as functions of time and state, so that the compiled integrator can locate
the stages inside a step; the stage is reached when its indicator is ≥ 0.
"""

from __future__ import annotations

from numba import njit

from lacquersim.kernels import film
from lacquersim.kernels.film import NF, F_M, F_S, F_PHI


@njit(cache=True, error_model="numpy")
def _window(p, N):
    """Cells [i0, i1) whose stages are tracked: the whole film, or the top coat of a build."""
    i0 = int(p[film.P_WIN0])
    i1 = int(p[film.P_WIN1])
    if i1 <= i0 or i1 > N:
        i0, i1 = 0, N
    return i0, i1


@njit(cache=True, error_model="numpy")
def indicator(k, t, y, p, dz):
    """Stage indicator g_k (k = 0..3) at time t (s); the stage holds when g_k ≥ 0.

    0: surface conversion − alpha_gel; 1: surface Tg − T; 2: cell-volume mean
    conversion − alpha_gel; 3: substrate-cell Tg − T — over the tracked cells.
    """
    N = dz.shape[0]
    i0, i1 = _window(p, N)
    T, _ = film.conditions(t, p)
    alpha_gel = p[film.P_AGEL]
    top = NF * (i1 - 1)
    if k == 0 or k == 1:
        a, _, _ = film.conversion(y[top + F_M], y[top + F_S], p)
        if k == 0:
            return a - alpha_gel
        tg, _, _ = film.glass(a, y[top + F_PHI], p)
        return tg - T
    if k == 2:
        tot = 0.0
        L = 0.0
        for i in range(i0, i1):
            a, _, _ = film.conversion(y[NF * i + F_M], y[NF * i + F_S], p)
            tot += a * dz[i]
            L += dz[i]
        return tot / L - alpha_gel
    a, _, _ = film.conversion(y[NF * i0 + F_M], y[NF * i0 + F_S], p)
    tg, _, _ = film.glass(a, y[NF * i0 + F_PHI], p)
    return tg - T


@njit(cache=True, error_model="numpy")
def indicators(t, y, p, dz, g):
    """Fill g[0..3] with the four stage indicators at time t (s), state y."""
    for k in range(4):
        g[k] = indicator(k, t, y, p, dz)


@njit(cache=True, error_model="numpy")
def wrinkle(t, y, p, dz):
    """Wrinkle index W = max |d alpha/dz| · L_soft (> 1: wrinkle risk).

    The gradient is taken over the tracked coat (the whole film, or the top
    coat of a build). A skin buckles on whatever is soft beneath it, so
    ``L_soft`` is the tracked coat's thickness plus that of every ungelled
    (alpha < alpha_gel) cell of earlier coats below it. For one coat this is
    MODEL.md's ``max|d alpha/dz|·L``; a coat applied before the previous one
    is dry-hard stands on a softer, deeper foundation and gets a larger index.
    """
    N = dz.shape[0]
    i0, i1 = _window(p, N)
    L = 0.0
    for i in range(i0, i1):
        L += dz[i]
    for i in range(i0):
        a, _, _ = film.conversion(y[NF * i + F_M], y[NF * i + F_S], p)
        if a < p[film.P_AGEL]:
            L += dz[i]
    w = 0.0
    a_prev, _, _ = film.conversion(y[NF * i0 + F_M], y[NF * i0 + F_S], p)
    for i in range(i0 + 1, i1):
        a, _, _ = film.conversion(y[NF * i + F_M], y[NF * i + F_S], p)
        g = abs(a - a_prev) / (0.5 * (dz[i] + dz[i - 1]))
        if g > w:
            w = g
        a_prev = a
    return w * L
