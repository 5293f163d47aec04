"""Film model kernels: right-hand side and block-tridiagonal Jacobian (numba).

Everything here works on flat float64 arrays in SI units (s, m, K, mol m⁻³)
so that any solver — scipy's, or a fully compiled one — can call it without
Python objects in the loop. The laws are in :mod:`.laws`, the reactions of a
cell in :mod:`.reactions`, the array layout (state, parameters) in
:mod:`.layout`; the mapping from a recipe to the parameter vector is
:mod:`lacquersim.model.problem`.
"""

from __future__ import annotations

import numpy as np
from numba import njit

from . import vecmath as vm
from ._kernel_cache import INTERNAL, use_prebuilt
from .laws import (c_saturation, conditions, conversion, gas_coefficient, glass, integral_powers,
                   isotherm, rate_constants)
from .layout import (NF, F_PHI, F_C, F_M, F_S, F_E, Q_O2_IN, Q_O2_USED, Q_VOL_OUT, Q_W_MADE,
                     P_ACRIT, P_NH, P_BO, P_BW, P_KO2, P_ISWATER, P_REACT,
                     PHI_FLOOR, K_IPOW, K_DO0_T, K_DW0_T, N_KC)
from .reactions import N_POW, _cell_reactions, cell_powers, cell_powers_int


# ---------------------------------------------------------------------------
# Right-hand side and Jacobian of the whole film
# ---------------------------------------------------------------------------
@njit(cache=True, error_model="numpy", forceinline=True, **INTERNAL)
def _diffusivity_pair(m, s, p, kc):
    """Diffusivities of O2 and of the volatile (m² s⁻¹) in a cell with
    unreacted fractions m, s: D0(T)·exp(−beta·alpha), D0(T) from kc."""
    alpha, _, _ = conversion(m, s, p)
    return kc[K_DO0_T] * vm.exp(-p[P_BO] * alpha), kc[K_DW0_T] * vm.exp(-p[P_BW] * alpha)


@njit(cache=True, error_model="numpy", forceinline=True, **INTERNAL)
def _diffusivity_pair_int(m, s, p, kc):
    """:func:`_diffusivity_pair` as D0(T)·exp(−alpha)^beta, for
    :func:`integral_powers` exponents."""
    alpha, _, _ = conversion(m, s, p)
    E = vm.exp(-alpha)
    return kc[K_DO0_T] * vm.ipow(E, p[P_BO]), kc[K_DW0_T] * vm.ipow(E, p[P_BW])


@njit(cache=True, error_model="numpy", **INTERNAL)
def _diffusivity_cells(y, N, p, kc, DO, DW, general_powers=True):
    """DO, DW of every cell (m² s⁻¹), in the form :func:`integral_powers`
    selects (general_powers: see :func:`rhs_ws`)."""
    if general_powers is None:
        for i in range(N):
            DO[i], DW[i] = _diffusivity_pair_int(y[NF * i + F_M], y[NF * i + F_S], p, kc)
    elif integral_powers(p):
        for i in range(N):
            DO[i], DW[i] = _diffusivity_pair_int(y[NF * i + F_M], y[NF * i + F_S], p, kc)
    else:
        for i in range(N):
            DO[i], DW[i] = _diffusivity_pair(y[NF * i + F_M], y[NF * i + F_S], p, kc)


@njit(cache=True, error_model="numpy", **INTERNAL)
def _diffusivities(y, N, p, kc, DO, DW, dDO, dDW, general_powers):
    _diffusivity_cells(y, N, p, kc, DO, DW, general_powers)
    for i in range(N):
        dDO[i] = -p[P_BO] * DO[i]
        dDW[i] = -p[P_BW] * DW[i]


@njit(cache=True, error_model="numpy", **INTERNAL)
def _setup(t, y, p, dz, general_powers):
    """What the Jacobian starts from at time t: conditions, diffusivities per
    cell and their d/d alpha, rate constants (:func:`rhs` computes the same
    inside its loop over cells)."""
    N = dz.shape[0]
    T, rh = conditions(t, p)
    kc = np.empty(N_KC)
    rate_constants(T, p, kc)
    DO = np.empty(N)
    DW = np.empty(N)
    dDO = np.empty(N)
    dDW = np.empty(N)
    _diffusivities(y, N, p, kc, DO, DW, dDO, dDW, general_powers)
    return N, T, rh, DO, DW, dDO, dDW, kc


@njit(cache=True, error_model="numpy", **INTERNAL)
def _surface(T, rh, y, p, dz, DO, DW):
    """Air-surface fluxes: O2 taken up and volatile lost (per area), with the
    half-cell film resistance in series with the gas side, and the pieces the
    Jacobian differentiates: (f_o2, den_o, f_w, den_w, daw, d2aw)."""
    j = dz.shape[0] - 1
    hz = 0.5 * dz[j]
    den_o = 1.0 / p[P_KO2] + hz / DO[j]
    f_o2 = (c_saturation(T, p) - y[NF * j + F_C]) / den_o
    a_amb = rh if p[P_ISWATER] > 0.5 else 0.0
    aw, daw, d2aw = isotherm(y[NF * j + F_PHI], p)
    den_w = 1.0 / gas_coefficient(T, p) + daw * hz / DW[j]
    f_w = (aw - a_amb) / den_w
    return f_o2, den_o, f_w, den_w, daw, d2aw


@njit(cache=True, error_model="numpy")
def rhs(t, y, p, dz, dydt):
    """Fill ``dydt`` with the time derivative of ``y`` at time ``t`` (s).

    ``dz`` holds the cell widths (m), substrate first; ``p`` is the
    parameter vector (see ``layout.PARAM_NAMES``).
    """
    N = dz.shape[0]
    kc = np.empty(N_KC + 1)
    kc[N_KC] = np.nan
    geo = np.empty((2, N))
    mesh_factors(dz, geo)
    rhs_ws(t, y, p, dz, dydt, kc, np.empty(N), np.empty(N), np.empty((1, 1)), geo)


@njit(cache=True, error_model="numpy")
def mesh_factors(dz, geo):
    """geo[0, i] = 1/(dz_i + dz_{i+1}) (faces, i < N − 1), geo[1, i] = 1/dz_i
    (cells), m⁻¹: the mesh's reciprocals, for :func:`rhs_ws`."""
    N = dz.shape[0]
    for i in range(N):
        geo[0, i] = 1.0 / (dz[i] + dz[i + 1]) if i < N - 1 else 0.0
        geo[1, i] = 1.0 / dz[i]


# rhs_ws's loop over cells, one function per form of the powers: independent
# cells, no branches, no running sums, so it vectorises (most of the time is
# here); the diffusivities share it so that their exps overlap the reactions'.
@njit(cache=True, error_model="numpy", **INTERNAL)
def _cells(y, N, T, p, kc, dydt, DO, DW, dsrc):
    for i in range(N):
        m, s = y[NF * i + F_M], y[NF * i + F_S]
        _cell_rhs(y, i, T, p, kc, dydt, DO, DW, dsrc, cell_powers(y[NF * i + F_PHI], m, s, T, p, kc),
                  _diffusivity_pair(m, s, p, kc))


@njit(cache=True, error_model="numpy")
def _cells_int(y, N, T, p, kc, dydt, DO, DW, dsrc):
    for i in range(N):
        m, s = y[NF * i + F_M], y[NF * i + F_S]
        _cell_rhs(y, i, T, p, kc, dydt, DO, DW, dsrc, cell_powers_int(y[NF * i + F_PHI], m, s, T, p, kc),
                  _diffusivity_pair_int(m, s, p, kc))


@njit(cache=True, error_model="numpy", forceinline=True, **INTERNAL)
def _cell_rhs(y, i, T, p, kc, dydt, DO, DW, dsrc, pw, dd):
    """Cell i's reaction sources into dydt and its diffusivities into DO,
    DW, given its :func:`cell_powers` pw and diffusivities dd (dsrc: the
    Jacobian argument of _cell_reactions, not filled here)."""
    b = NF * i
    x, an, cb, r, ez = pw
    # want_jac as np.bool_, not a constant: one compilation of _cell_reactions
    # serves this loop and jac_blocks (a constant compiled one per value);
    # LLVM drops the Jacobian's code here after inlining all the same
    dydt[b + F_PHI], dydt[b + F_C], dydt[b + F_M], dydt[b + F_S], dydt[b + F_E] = _cell_reactions(
        y[b + F_PHI], y[b + F_C], y[b + F_M], y[b + F_S], y[b + F_E], T, p, kc, np.bool_(False), dsrc,
        x, an, cb, r, ez)
    DO[i], DW[i] = dd


@njit(cache=True, error_model="numpy")
def rhs_ws(t, y, p, dz, dydt, kc, DO, DW, dsrc, geo, general_powers=True):
    """:func:`rhs` with its workspace passed in, for callers that evaluate it
    many times: DO and DW (N), dsrc (1×1) and kc (N_KC + 1), the rate
    constants of :func:`rate_constants` followed by the temperature (K) they
    are for, and geo (2×N) from :func:`mesh_factors`. The rate constants are
    recomputed only when the temperature changes, so kc must not be reused
    across parameter vectors with other material constants: set kc[N_KC] =
    NaN when p changes.

    general_powers=None: p has :func:`integral_powers` (not checked), and
    only the cell loop for those is compiled (numba drops the other branch
    for an argument that is None); by default the loop is chosen at run
    time, and both are compiled. The first run of the command line compiles
    only what it needs (the bundled materials have integral powers)."""
    N = dz.shape[0]
    T, rh = conditions(t, p)
    if kc[N_KC] != T:  # constant over a step's Newton iterations, and over a step of fixed conditions
        rate_constants(T, p, kc)
        kc[N_KC] = T
    if p[P_REACT] < 0.5:
        dydt[:NF * N] = 0.0
        _diffusivity_cells(y, N, p, kc, DO, DW, general_powers)
    elif general_powers is None:
        _cells_int(y, N, T, p, kc, dydt, DO, DW, dsrc)
    elif kc[K_IPOW] != 0.0:
        _cells_int(y, N, T, p, kc, dydt, DO, DW, dsrc)
    else:
        _cells(y, N, T, p, kc, dydt, DO, DW, dsrc)
    # O2 consumed is minus the O2 source, water made the phi source (as in jac_blocks)
    o2_used = 0.0
    w_made = 0.0
    for i in range(N):
        o2_used -= dz[i] * dydt[NF * i + F_C]
        w_made += dz[i] * dydt[NF * i + F_PHI]
    # diffusion between cells: each cell takes the net flux of its two faces,
    # so that no iteration writes what another reads and the loop vectorises
    # (a face's flux is computed twice; that is cheaper than a serial loop)
    if N > 1:
        g = 1.0 / (dz[0] + dz[1])  # 1/(2h): the face averages' halves fold in
        dydt[F_C] += (DO[0] + DO[1]) * (y[NF + F_C] - y[F_C]) * g / dz[0]
        dydt[F_PHI] += (DW[0] + DW[1]) * (y[NF + F_PHI] - y[F_PHI]) * g / dz[0]
        # (the mesh's reciprocals come from geo: three divisions per cell
        # were a third of this loop)
        for i in range(1, N - 1):
            a, b, c = NF * (i - 1), NF * i, NF * (i + 1)
            gl = geo[0, i - 1]
            gr = geo[0, i]
            inv = geo[1, i]
            dydt[b + F_C] += ((DO[i] + DO[i + 1]) * (y[c + F_C] - y[b + F_C]) * gr
                              - (DO[i - 1] + DO[i]) * (y[b + F_C] - y[a + F_C]) * gl) * inv
            dydt[b + F_PHI] += ((DW[i] + DW[i + 1]) * (y[c + F_PHI] - y[b + F_PHI]) * gr
                                - (DW[i - 1] + DW[i]) * (y[b + F_PHI] - y[a + F_PHI]) * gl) * inv
        j, k = N - 1, N - 2
        g = 1.0 / (dz[k] + dz[j])
        dydt[NF * j + F_C] -= (DO[k] + DO[j]) * (y[NF * j + F_C] - y[NF * k + F_C]) * g / dz[j]
        dydt[NF * j + F_PHI] -= (DW[k] + DW[j]) * (y[NF * j + F_PHI] - y[NF * k + F_PHI]) * g / dz[j]
    j = N - 1
    f_o2, _, f_w, _, _, _ = _surface(T, rh, y, p, dz, DO, DW)
    dydt[NF * j + F_C] += f_o2 / dz[j]
    dydt[NF * j + F_PHI] -= f_w / dz[j]
    base = NF * N
    dydt[base + Q_O2_IN] = f_o2
    dydt[base + Q_O2_USED] = o2_used
    dydt[base + Q_VOL_OUT] = f_w
    dydt[base + Q_W_MADE] = w_made


@njit(cache=True, error_model="numpy", **INTERNAL)
def _powers(y, N, T, p, kc, pw):
    """pw[:, i] = :func:`cell_powers` of cell i, in a loop that vectorises."""
    for i in range(N):
        b = NF * i
        pw[0, i], pw[1, i], pw[2, i], pw[3, i], pw[4, i] = cell_powers(y[b + F_PHI], y[b + F_M], y[b + F_S], T, p, kc)


@njit(cache=True, error_model="numpy", **INTERNAL)
def _powers_int(y, N, T, p, kc, pw):
    """:func:`_powers` with :func:`cell_powers_int`."""
    for i in range(N):
        b = NF * i
        pw[0, i], pw[1, i], pw[2, i], pw[3, i], pw[4, i] = cell_powers_int(
            y[b + F_PHI], y[b + F_M], y[b + F_S], T, p, kc)


@njit(cache=True, error_model="numpy")
def jac_blocks(t, y, p, dz, Dg, Lo, Up, Qrow, general_powers=True):
    """Analytic Jacobian of :func:`rhs`.

    Fills the block-tridiagonal part: ``Dg[i]`` = d f_i/d y_i,
    ``Lo[i]`` = d f_i/d y_{i-1} (``Lo[0]`` unused), ``Up[i]`` = d f_i/d y_{i+1}
    (``Up[N-1]`` unused), each 5×5; and ``Qrow[q, :]``, the (dense) rows of
    the running integrals with respect to the cell states (length 5N). The
    running integrals do not appear on the right-hand side, so their columns
    are zero.

    Every call writes the same entries, each once (``Dg`` and two rows of
    ``Qrow`` whole); the others are structural zeros and are not touched
    (zeroing all four arrays took a fifth of a Jacobian): pass arrays that
    are zero before the first call (``np.zeros``) and reuse them.
    general_powers: as in :func:`rhs_ws`.
    """
    N, T, rh, DO, DW, dDO, dDW, kc = _setup(t, y, p, dz, general_powers)
    react = p[P_REACT] >= 0.5
    pw = np.empty((N_POW, N if react else 0))
    if react:
        if general_powers is None:
            _powers_int(y, N, T, p, kc, pw)
        elif kc[K_IPOW] != 0.0:
            _powers_int(y, N, T, p, kc, pw)
        else:
            _powers(y, N, T, p, kc, pw)
    for i in range(N):
        b = NF * i
        src = Dg[i]  # the reactions' Jacobian goes straight into the diagonal block
        if react:
            _cell_reactions(y[b + F_PHI], y[b + F_C], y[b + F_M], y[b + F_S], y[b + F_E], T, p, kc, np.bool_(True), src,
                            pw[0, i], pw[1, i], pw[2, i], pw[3, i], pw[4, i])
        else:
            for k in range(NF):
                for jj in range(NF):
                    src[k, jj] = 0.0
        # O2 consumed: the O2 source row is -(wO rL + wS rS), so reuse it
        for jj in range(NF):
            Qrow[Q_O2_USED, NF * i + jj] = -dz[i] * src[F_C, jj]
            # water made = nuw rL = the phi source row
            Qrow[Q_W_MADE, NF * i + jj] = dz[i] * src[F_PHI, jj]
    _, da_dm, da_ds = conversion(0.0, 0.0, p)  # constant slopes of alpha
    # two divisions per face, not ten (F's 1/h and the cells' 1/dz were
    # divided out per field and per term): h = (dz_i + dz_i+1)/2, so
    # Df/h = (Df_a + Df_b)·gf and 0.5·dD·du/h = dD·du·gf
    cb = 1.0 / dz[0]
    for i in range(N - 1):
        gf = 1.0 / (dz[i] + dz[i + 1])
        ca = cb  # 1/dz_i
        cb = 1.0 / dz[i + 1]
        ia = NF * i
        ib = NF * (i + 1)
        for fld in (F_C, F_PHI):
            if fld == F_C:
                Dfa = DO[i]
                Dfb = DO[i + 1]
                dDa = dDO[i]
                dDb = dDO[i + 1]
            else:
                Dfa = DW[i]
                Dfb = DW[i + 1]
                dDa = dDW[i]
                dDb = dDW[i + 1]
            du = y[ib + fld] - y[ia + fld]
            # F = Df*du/h ; dF/du_a = -Df/h ; dF/du_b = Df/h
            # dF/dalpha_a = 0.5 dDa du/h ; dF/dalpha_b = 0.5 dDb du/h
            g = (Dfa + Dfb) * gf
            fa = dDa * du * gf
            fb = dDb * du * gf
            # cell i gets +F/dz_i (each Up/Lo entry is written by one face
            # only: assigned, as 0 + x and 0 − x, the values the sums gave)
            Dg[i, fld, fld] += -g * ca
            Up[i, fld, fld] = 0.0 + g * ca
            Dg[i, fld, F_M] += fa * da_dm * ca
            Dg[i, fld, F_S] += fa * da_ds * ca
            Up[i, fld, F_M] = 0.0 + fb * da_dm * ca
            Up[i, fld, F_S] = 0.0 + fb * da_ds * ca
            # cell i+1 gets -F/dz_{i+1}
            Dg[i + 1, fld, fld] += -g * cb
            Lo[i + 1, fld, fld] = 0.0 + g * cb
            Dg[i + 1, fld, F_M] -= fb * da_dm * cb
            Dg[i + 1, fld, F_S] -= fb * da_ds * cb
            Lo[i + 1, fld, F_M] = 0.0 - fa * da_dm * cb
            Lo[i + 1, fld, F_S] = 0.0 - fa * da_ds * cb
    j = N - 1
    jb = NF * j
    hz = 0.5 * dz[j]
    f_o2, den_o, f_w, den_w, daw, d2aw = _surface(T, rh, y, p, dz, DO, DW)
    # O2 uptake f = (cs - c)/den, den = 1/kO2 + hz/D(alpha)
    diff_c = f_o2 * den_o
    dden_da = hz * p[P_BO] / DO[j]  # d(1/D)/dalpha = beta/D
    df_dc = -1.0 / den_o
    df_da = -diff_c / (den_o * den_o) * dden_da
    Dg[j, F_C, F_C] += df_dc / dz[j]
    Dg[j, F_C, F_M] += df_da * da_dm / dz[j]
    Dg[j, F_C, F_S] += df_da * da_ds / dz[j]
    Qrow[Q_O2_IN, jb + F_C] = df_dc
    Qrow[Q_O2_IN, jb + F_M] = df_da * da_dm
    Qrow[Q_O2_IN, jb + F_S] = df_da * da_ds
    # volatile loss f = (a - a_amb)/den, den = 1/Kg + a' hz / Dw(alpha)
    g_w = f_w * den_w
    dfw_dphi = daw / den_w - g_w * (d2aw * hz / DW[j]) / (den_w * den_w)
    dfw_da = -g_w * (daw * hz * p[P_BW] / DW[j]) / (den_w * den_w)
    if y[jb + F_PHI] <= PHI_FLOOR:
        # below the floor the isotherm is frozen, so is its derivative
        dfw_dphi = 0.0
    Dg[j, F_PHI, F_PHI] -= dfw_dphi / dz[j]
    Dg[j, F_PHI, F_M] -= dfw_da * da_dm / dz[j]
    Dg[j, F_PHI, F_S] -= dfw_da * da_ds / dz[j]
    Qrow[Q_VOL_OUT, jb + F_PHI] = dfw_dphi
    Qrow[Q_VOL_OUT, jb + F_M] = dfw_da * da_dm
    Qrow[Q_VOL_OUT, jb + F_S] = dfw_da * da_ds


@njit(cache=True, error_model="numpy")
def cell_diagnostics(y, N, p, T, out):
    """Per-cell derived quantities: out[i] = (alpha, Tg_K, water activity, H)."""
    for i in range(N):
        phi = y[NF * i + F_PHI]
        alpha, _, _ = conversion(y[NF * i + F_M], y[NF * i + F_S], p)
        tg, _, _ = glass(alpha, phi, p)
        aw, _, _ = isotherm(phi, p)
        an = aw ** p[P_NH]
        cn = p[P_ACRIT] ** p[P_NH]
        out[i, 0] = alpha
        out[i, 1] = tg
        out[i, 2] = aw
        out[i, 3] = an / (an + cn)


use_prebuilt(globals())  # the shipped compiled kernels (_kernel_cache)
