"""Reactions of one cell and their 5×5 Jacobian (numba): laccase oxidation,
autoxidation, thermal polymerisation, laccase inactivation.
"""

from __future__ import annotations

import numpy as np
from numba import njit

from . import vecmath as vm
from ._kernel_cache import INTERNAL, use_prebuilt
from .laws import _isotherm_x, conversion, glass, mobility
from .layout import (F_C, F_E, F_M, F_PHI, F_S, K_ACRIT_NH, K_AREA, K_AUTOX, K_INACT, K_INV_ISON,
                     K_INV_PHIEX, K_INV_WG, K_IPOW, K_LAC, K_LN_INV_PHIEX, K_LN_ISOA, K_THERM, NF,
                     PHI_FLOOR, P_CCAT, P_CDB, P_KA, P_KDRY, P_KM, P_KO, P_KOS, P_NEX, P_NH,
                     P_NUL, P_NUS, P_NUW)


@njit(cache=True, error_model="numpy", forceinline=True, **INTERNAL)
def _consume(dsrc, row, w, g_phi, g_c, g_m, g_s, g_e):
    """dsrc[row] −= w·(gradient of a rate): the field of ``row`` is used up at
    w per unit of the rate (w < 0: produced). Callers pass ``row`` as
    np.int64: a constant argument (numba's Literal[int]) would compile a
    copy of this function per value (LLVM folds the value in after inlining
    all the same); so do the kernels' other calls with constant integers."""
    dsrc[row, F_PHI] -= w * g_phi
    dsrc[row, F_C] -= w * g_c
    dsrc[row, F_M] -= w * g_m
    dsrc[row, F_S] -= w * g_s
    dsrc[row, F_E] -= w * g_e


# Inlined (forceinline: LLVM's alwaysinline): a call with array arguments
# costs as much as the reactions. One return, no early exit: with several,
# numba keeps reference counting per cell. forceinline, not numba's
# inline="always": the same machine code (same bits, same speed), but numba's
# inlining copied and retyped the callee's IR at every call site, which was
# most of a first run's 45 s of compilation (forceinline compiles each
# function once and lets LLVM inline it, before numba prunes the reference
# counts, so the cell loops still vectorise).
@njit(cache=True, error_model="numpy", forceinline=True)
def cell_reactions(phi, c, m, s, e, T, p, kc, want_jac, dsrc):
    """Reaction source terms of one cell (phi, c, m, s, e), and their 5×5 Jacobian.

    Callers skip it when reactions are off (``p[P_REACT]``); it does not check.

    kc      : :func:`rate_constants` at T (K)
    dsrc    : out, d src[k] / d field[j], filled only if ``want_jac``

    Returns ``(src_phi, src_c, src_m, src_s, src_e)``, the d(field)/dt from
    reactions (the balances read O2 used and water made off src_c and src_phi).
    """
    if kc[K_IPOW] != 0.0:
        x, an, cb, r, ez = cell_powers_int(phi, m, s, T, p, kc)
    else:
        x, an, cb, r, ez = cell_powers(phi, m, s, T, p, kc)
    return _cell_reactions(phi, c, m, s, e, T, p, kc, want_jac, dsrc, x, an, cb, r, ez)


# The exps and logs of a cell: its latency-bound chains. rhs computes them in
# its vectorised loop over cells; jac_blocks, whose loop over cells does not
# vectorise, computes them in a loop of their own that does (scalar they
# were half of a Jacobian), and passes them to _cell_reactions cell by cell.
N_POW = 5


@njit(cache=True, error_model="numpy", forceinline=True, **INTERNAL)
def cell_powers(phi, m, s, T, p, kc):
    """((phi/A)^(1/n), a_w^n_h, phi^(1/3), (phi/phi_ex)^n_ex,
    exp(−|Tg − T|/w)) of one cell, phi floored at PHI_FLOOR; powers are
    exp(a·ln x) (vm.exp/vm.log: the loops over cells vectorise)."""
    ph, lph, x, aw, cb, ez = _common_powers(phi, m, s, T, p, kc)
    return x, vm.exp(p[P_NH] * vm.log(aw)), cb, vm.exp(p[P_NEX] * (lph + kc[K_LN_INV_PHIEX])), ez


@njit(cache=True, error_model="numpy", forceinline=True, **INTERNAL)
def cell_powers_int(phi, m, s, T, p, kc):
    """:func:`cell_powers` with a_w^n_h and (phi/phi_ex)^n_ex by squaring,
    for :func:`integral_powers` exponents."""
    ph, lph, x, aw, cb, ez = _common_powers(phi, m, s, T, p, kc)
    return x, vm.ipow(aw, p[P_NH]), cb, vm.ipow(ph * kc[K_INV_PHIEX], p[P_NEX]), ez


# Each path has functions of its own, not one function with a constant flag:
# numba typed both sides of a branch in every inlined copy (when the kernels
# used numba's inline="always"), and with flags the kernels took three times
# as long to compile.
@njit(cache=True, error_model="numpy", forceinline=True, **INTERNAL)
def _common_powers(phi, m, s, T, p, kc):
    alpha, _, _ = conversion(m, s, p)
    tg, _, _ = glass(alpha, phi, p)
    ez = vm.exp(-abs((tg - T) * kc[K_INV_WG]))  # for mobility
    ph = phi if phi > PHI_FLOOR else PHI_FLOOR
    lph = vm.log(ph)  # one log for the isotherm's power, the droplets' cube root and phi/phi_ex
    x = vm.exp((lph - kc[K_LN_ISOA]) * kc[K_INV_ISON])
    aw, _, _ = _isotherm_x(ph, x, p)
    cb = vm.exp(lph * (1.0 / 3.0))
    return ph, lph, x, aw, cb, ez


@njit(cache=True, error_model="numpy", forceinline=True, **INTERNAL)
def _cell_reactions(phi, c, m, s, e, T, p, kc, want_jac, dsrc, x, an, cb, r, ez):
    """:func:`cell_reactions` given the cell's :func:`cell_powers`."""
    if want_jac:
        for k in range(NF):
            for j in range(NF):
                dsrc[k, j] = 0.0

    alpha, da_dm, da_ds = conversion(m, s, p)
    tg, dtg_da, dtg_dphi = glass(alpha, phi, p)
    mu, dmu_dtg = mobility((tg - T) * kc[K_INV_WG], ez, kc[K_INV_WG])
    mu_phi = dmu_dtg * dtg_dphi
    mu_m = dmu_dtg * dtg_da * da_dm
    mu_s = dmu_dtg * dtg_da * da_ds

    # -- hydration H(a_w): the enzyme works only in hydrated droplets
    ph = phi if phi > PHI_FLOOR else PHI_FLOOR
    aw, daw, _ = _isotherm_x(ph, x, p)
    nh = p[P_NH]
    cn = kc[K_ACRIT_NH]
    H = an / (an + cn)
    dH = 0.0
    if want_jac and aw > 0.0:
        # nh·an·cn/(an + cn)²/aw·daw, with an/(an + cn) = H, cn/(an + cn) = 1 − H
        # (the Jacobian's cell loop is scalar, where each division costs
        # several cycles: its derivatives share reciprocals where they can)
        dH = nh * H * (1.0 - H) / aw * daw

    # -- laccase oxidation r_L
    bL = kc[K_LAC]
    # computed unconditionally and selected: a load under a branch cannot be
    # speculated, and would keep the loop over cells from vectorising
    G = kc[K_AREA]  # droplet interface per volume, droplets shrinking at constant number
    ai = G * cb * cb  # cb = phi^(1/3), r = (phi/phi_ex)^n_ex
    Kai = ai + p[P_KA]
    KMm = p[P_KM] + m
    KOc = p[P_KO] + c
    # H·Aa·X·Mm·Oc with Aa = ai/(ai+K_A), X = 1/(1+r), Mm = m/(K_M+m), Oc = c/(K_O+c)
    lac = bL > 0.0 and G > 0.0
    rL = bL * e * mu * H * ai * m * c / (Kai * (1.0 + r) * KMm * KOc) if lac else 0.0
    if lac and want_jac:
        dai = (2.0 / 3.0) * G / cb
        iKai = 1.0 / Kai
        Aa = ai * iKai
        dA = p[P_KA] * dai * iKai * iKai
        X = 1.0 / (1.0 + r)
        dX = -p[P_NEX] * r / ph * X * X
        fphi = H * Aa * X
        dfphi = dH * Aa * X + H * dA * X + H * Aa * dX
        iKMm = 1.0 / KMm
        Mm = m * iKMm
        dMm = p[P_KM] * iKMm * iKMm
        iKOc = 1.0 / KOc
        Oc = c * iKOc
        dOc = p[P_KO] * iKOc * iKOc
        g = bL * e
        dphi = g * Mm * Oc * (dfphi * mu + fphi * mu_phi)
        dc = g * fphi * Mm * dOc * mu
        dm = g * fphi * Oc * (dMm * mu + Mm * mu_m)
        ds = g * fphi * Mm * Oc * mu_s
        de = bL * fphi * Mm * Oc * mu
        # m: -rL ; c: -nuL*Ccat*rL ; phi: +nuw*rL
        _consume(dsrc, np.int64(F_M), 1.0, dphi, dc, dm, ds, de)
        _consume(dsrc, np.int64(F_C), p[P_NUL] * p[P_CCAT], dphi, dc, dm, ds, de)
        _consume(dsrc, np.int64(F_PHI), -p[P_NUW], dphi, dc, dm, ds, de)

    # -- side-chain autoxidation r_S
    bS = kc[K_AUTOX]
    Os = c / (p[P_KOS] + c)
    rS = bS * s * Os * mu
    if want_jac:
        iKOs = 1.0 / (p[P_KOS] + c)
        dOs = p[P_KOS] * iKOs * iKOs
        dphi = bS * s * Os * mu_phi
        dc = bS * s * dOs * mu
        dm = bS * s * Os * mu_m
        ds = bS * Os * (mu + s * mu_s)
        # s: -rS ; c: -nuS*Cdb*rS
        _consume(dsrc, np.int64(F_S), 1.0, dphi, dc, dm, ds, 0.0)
        _consume(dsrc, np.int64(F_C), p[P_NUS] * p[P_CDB], dphi, dc, dm, ds, 0.0)

    # -- thermal catechol polymerisation r_T (baking)
    bT = kc[K_THERM]
    rT = bT * m * mu
    if want_jac:
        dsrc[F_M, F_PHI] -= bT * m * mu_phi
        dsrc[F_M, F_M] -= bT * (mu + m * mu_m)
        dsrc[F_M, F_S] -= bT * m * mu_s

    # -- laccase inactivation: thermal, and drying-out driven by H only
    kd = kc[K_INACT]
    kdry = p[P_KDRY]
    src_e = -(kd + kdry * (1.0 - H)) * e
    if want_jac:
        dsrc[F_E, F_E] += -(kd + kdry * (1.0 - H))
        dsrc[F_E, F_PHI] += kdry * dH * e

    return (p[P_NUW] * rL, -p[P_NUL] * p[P_CCAT] * rL - p[P_NUS] * p[P_CDB] * rS,
            -rL - rT, -rS, src_e)


use_prebuilt(globals())  # the shipped compiled kernels (_kernel_cache)
