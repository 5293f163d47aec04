"""Stage indicators and the wrinkle index, evaluated on a kernel state (numba).

The indicators of the drying stages (declared in
:mod:`lacquersim.model.stages`) as functions of time and state, so that the
compiled integrator can locate the stages inside a step; a stage is reached
when its indicator is ≥ 0. They look at the cells [i0, i1): the whole film,
or the top coat of a multi-coat build.
"""

from __future__ import annotations

from numba import njit


from . import laws

from . import layout
from ._kernel_cache import use_prebuilt
from .film import NF, F_M, F_S, F_PHI


#: Number of stage indicators, and each one's index.
N_STAGES = 4
GEL_SURFACE, GLASS_SURFACE, GEL_MEAN, GLASS_SUBSTRATE = 0, 1, 2, 3


@njit(cache=True, error_model="numpy")
def indicator(k, t, y, p, dz, i0, i1):
    """Stage indicator g_k at time t (s) over the cells [i0, i1); the stage holds when g_k ≥ 0.

    GEL_SURFACE: surface conversion − alpha_gel; GLASS_SURFACE: surface Tg − T;
    GEL_MEAN: cell-volume mean conversion − alpha_gel; GLASS_SUBSTRATE:
    bottom-cell Tg − T.
    """
    T, _ = laws.conditions(t, p)
    alpha_gel = p[layout.P_AGEL]
    top = NF * (i1 - 1)
    if k == GEL_SURFACE or k == GLASS_SURFACE:
        a, _, _ = laws.conversion(y[top + F_M], y[top + F_S], p)
        if k == GEL_SURFACE:
            return a - alpha_gel
        tg, _, _ = laws.glass(a, y[top + F_PHI], p)
        return tg - T
    if k == GEL_MEAN:
        tot = 0.0
        L = 0.0
        for i in range(i0, i1):
            a, _, _ = laws.conversion(y[NF * i + F_M], y[NF * i + F_S], p)
            tot += a * dz[i]
            L += dz[i]
        return tot / L - alpha_gel
    a, _, _ = laws.conversion(y[NF * i0 + F_M], y[NF * i0 + F_S], p)
    tg, _, _ = laws.glass(a, y[NF * i0 + F_PHI], p)
    return tg - T


@njit(cache=True, error_model="numpy")
def indicators(t, y, p, dz, i0, i1, g):
    """Fill g with the stage indicators at time t (s), state y, over the cells [i0, i1)."""
    for k in range(N_STAGES):
        g[k] = indicator(k, t, y, p, dz, i0, i1)


@njit(cache=True, error_model="numpy")
def wrinkle(t, y, p, dz, i0, i1):
    """Wrinkle index W = max |d alpha/dz| · L_soft (> 1: wrinkle risk).

    The gradient is taken over the tracked coat (the whole film, or the top
    coat of a build). A skin buckles on whatever is soft beneath it, so
    ``L_soft`` is the tracked coat's thickness plus that of every ungelled
    (alpha < alpha_gel) cell of earlier coats below it. For one coat this is
    the model's ``max|d alpha/dz|·L``; a coat applied before the previous one
    is dry-hard stands on a softer, deeper foundation and gets a larger index.
    """
    L = 0.0
    for i in range(i0, i1):
        L += dz[i]
    for i in range(i0):
        a, _, _ = laws.conversion(y[NF * i + F_M], y[NF * i + F_S], p)
        if a < p[layout.P_AGEL]:
            L += dz[i]
    w = 0.0
    a_prev, _, _ = laws.conversion(y[NF * i0 + F_M], y[NF * i0 + F_S], p)
    for i in range(i0 + 1, i1):
        a, _, _ = laws.conversion(y[NF * i + F_M], y[NF * i + F_S], p)
        g = abs(a - a_prev) / (0.5 * (dz[i] + dz[i - 1]))
        if g > w:
            w = g
        a_prev = a
    return w * L


use_prebuilt(globals())  # the shipped compiled kernels (_kernel_cache)
