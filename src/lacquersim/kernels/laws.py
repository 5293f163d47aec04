"""Constitutive laws of the film, per point and with their derivatives (numba).

Rates (Arrhenius), air conditions within a schedule step, vapour pressure
and gas-side transfer, O2 solubility, the sorption isotherm, the glass
transition, the network conversion and the diffusion-control factor, and
the per-temperature constants every cell shares (:func:`rate_constants`).
"""

from __future__ import annotations

import math

from numba import njit

from . import formulas
from . import vecmath as vm
from ._kernel_cache import INTERNAL, use_prebuilt
from .formulas import R_GAS
from .layout import (K_ACRIT_NH, K_AREA, K_AUTOX, K_DO0_T, K_DW0_T, K_INACT, K_INV_ISON,
                     K_INV_PHIEX, K_INV_WG, K_IPOW, K_LAC, K_LN_INV_PHIEX, K_LN_ISOA, K_THERM,
                     PHI_FLOOR, P_ACRIT, P_APRE, P_BO, P_BW, P_CATAL, P_CSAT, P_D0, P_DHEQ, P_DHV,
                     P_DO0, P_DW0, P_E0, P_EAD, P_EAL, P_EAS, P_EAT, P_EDO, P_EDW, P_ESOL, P_GPL,
                     P_ISOA, P_ISOB, P_ISON, P_ISWATER, P_KD, P_KL, P_KMASS, P_KS, P_KT, P_LAM,
                     P_NEX, P_NH, P_PHI0, P_PHIEX, P_PREF, P_RHA, P_RHB, P_TA, P_TB, P_TEQ, P_TG0,
                     P_TG1, P_TON, P_TSA, P_TSB, P_VMOL, P_WC, P_WG, P_WON)


_arrhenius = njit(cache=True, error_model="numpy", **INTERNAL)(formulas.arrhenius)
_psat_water_c = njit(cache=True, error_model="numpy", **INTERNAL)(formulas.psat_water_c)
_native_fraction = njit(cache=True, error_model="numpy", **INTERNAL)(formulas.native_fraction)
_thermal_onset = njit(cache=True, error_model="numpy", **INTERNAL)(formulas.thermal_onset)


@njit(cache=True, error_model="numpy", **INTERNAL)
def arr(k_ref, ea, T):
    """Arrhenius rate k_ref·exp(−Ea/R·(1/T − 1/T_ref)); T in K, Ea in J mol⁻¹."""
    return k_ref * _arrhenius(ea, T)


@njit(cache=True, error_model="numpy")
def conditions(t, p):
    """Temperature (K) and relative humidity (0–1) at time t (s): linear within a step."""
    span = p[P_TSB] - p[P_TSA]
    f = (t - p[P_TSA]) / span if span > 0.0 else 0.0
    if f < 0.0:
        f = 0.0
    elif f > 1.0:
        f = 1.0
    T = p[P_TA] + (p[P_TB] - p[P_TA]) * f
    rh = p[P_RHA] + (p[P_RHB] - p[P_RHA]) * f
    return T, rh


@njit(cache=True, error_model="numpy", **INTERNAL)
def psat_water(T):
    """Saturation vapour pressure of water, Pa (Buck 1996), T in K."""
    return _psat_water_c(T - 273.15)


@njit(cache=True, error_model="numpy")
def gas_coefficient(T, p):
    """Gas-side transfer coefficient of the volatile in volume-fraction units, m s⁻¹.

    Flux (m³ of liquid per m² per s) = K·(a_surface − a_air), so
    K = k_mass · p_sat(T)/(R T) · V_mol.
    """
    if p[P_ISWATER] > 0.5:
        ps = psat_water(T)
    else:
        ps = p[P_PREF] * _arrhenius(p[P_DHV], T)
    return p[P_KMASS] * ps / (R_GAS * T) * p[P_VMOL]


@njit(cache=True, error_model="numpy")
def c_saturation(T, p):
    """Dissolved O2 in equilibrium with air, mol m⁻³."""
    return p[P_CSAT] * _arrhenius(p[P_ESOL], T)


@njit(cache=True, error_model="numpy")
def isotherm(phi, p):
    """Water (volatile) activity of the film and its first two derivatives in phi.

    ``a = x/(1 + b·x)`` with ``x = (phi/A)^(1/n)``: Oswin's isotherm for
    ``b = 1`` (equilibrium content ``A·(a/(1−a))^n``, steep above ≈ 70 % RH),
    Henry's law ``a = phi/A`` for ``b = 0, n = 1`` (used for Crank's solution).
    """
    ph = phi if phi > PHI_FLOOR else PHI_FLOOR
    return _isotherm_x(ph, (ph / p[P_ISOA]) ** (1.0 / p[P_ISON]), p)


@njit(cache=True, error_model="numpy", forceinline=True, **INTERNAL)
def _isotherm_x(ph, x, p):
    """:func:`isotherm` at the floored phi, given x = (ph/A)^(1/n)
    (the cell reactions get x from a log of phi they also need)."""
    n = p[P_ISON]
    b = p[P_ISOB]
    q = 1.0 + b * x
    a = x / q
    u = x / ph  # x/phi
    da = u / (n * q * q)
    du = x * (1.0 / n - 1.0) / (ph * ph)
    dx = x / (n * ph)
    d2a = (du * q - 2.0 * b * u * dx) / (n * q * q * q)
    return a, da, d2a


@njit(cache=True, error_model="numpy", forceinline=True)
def glass(alpha, phi, p):
    """Glass transition (K) and its derivatives d/dalpha, d/dphi.

    DiBenedetto in the network conversion, minus a linear plasticising
    term for dissolved solvent (``g_pl``; zero for catechol lacquers, whose
    water sits in droplets and does not plasticise the network).
    """
    lam = p[P_LAM]
    den = 1.0 - (1.0 - lam) * alpha
    tg = p[P_TG0] + (p[P_TG1] - p[P_TG0]) * lam * alpha / den - p[P_GPL] * phi
    dtg_da = (p[P_TG1] - p[P_TG0]) * lam / (den * den)
    return tg, dtg_da, -p[P_GPL]


@njit(cache=True, error_model="numpy", forceinline=True)
def conversion(m, s, p):
    """Network conversion alpha and d alpha/dm, d alpha/ds."""
    wc = p[P_WC]
    ap = p[P_APRE]
    alpha = ap + (1.0 - ap) * (wc * (1.0 - m) + (1.0 - wc) * (1.0 - s))
    return alpha, -(1.0 - ap) * wc, -(1.0 - ap) * (1.0 - wc)


@njit(cache=True, error_model="numpy", forceinline=True, **INTERNAL)
def mobility(z, ez, inv_w):
    """Diffusion-control factor mu = 1/(1 + exp(z)) and d mu/d Tg, given
    z = (Tg − T)/w, ez = exp(−|z|) (which never overflows; from
    :func:`cell_powers`) and 1/w (K⁻¹). Selects, not branches, so the cell
    loop vectorises."""
    q = 1.0 / (1.0 + ez)
    mu = ez * q if z > 0.0 else q
    return mu, -mu * (1.0 - mu) * inv_w


@njit(cache=True, error_model="numpy")
def integral_powers(p):
    """True when n_h, n_ex, beta_O and beta_w are all integers in 0..15: the
    cells then take a_w^n_h, (phi/phi_ex)^n_ex and exp(−beta·alpha) =
    exp(−alpha)^beta by squaring (:func:`vecmath.ipow`) instead of as
    exp(a·ln x), which saves three of seven exps and one of two logs per
    cell and shortens the hydration chain. Any other exponents take the
    general exp(a·ln x) forms."""
    ok = True
    for k in (P_NH, P_NEX, P_BO, P_BW):
        a = p[k]
        ok = ok and a >= 0.0 and a <= 15.0 and a == math.floor(a)
    return ok


@njit(cache=True, error_model="numpy")
def rate_constants(T, p, kc):
    """Per-call constants shared by every cell at temperature T (K).

    kc: the slots K_LAC ... K_INV_PHIEX (see their definition). a_crit**n_h is computed
    as the cells compute a_w**n_h, so that H = 1/2 at a_w = a_crit holds to
    rounding.
    """
    ip = integral_powers(p)
    # laccase: Arrhenius, times its share in the native state (reversibly
    # unfolded above T_eq: the apparent optimum of the enzyme)
    kc[K_LAC] = arr(p[P_KL], p[P_EAL], T) * p[P_E0] * _native_fraction(T, p[P_TEQ], p[P_DHEQ])
    kc[K_AUTOX] = arr(p[P_KS], p[P_EAS], T) * p[P_CATAL]
    # thermal polymerisation needs heat to start: a smooth onset around T_on
    kc[K_THERM] = arr(p[P_KT], p[P_EAT], T) * _thermal_onset(T, p[P_TON], p[P_WON])
    kc[K_INACT] = arr(p[P_KD], p[P_EAD], T)
    kc[K_ACRIT_NH] = vm.ipow(p[P_ACRIT], p[P_NH]) if ip else vm.exp(p[P_NH] * vm.log(p[P_ACRIT]))
    kc[K_AREA] = 6.0 * p[P_PHI0] ** (1.0 / 3.0) / p[P_D0] if p[P_D0] > 0.0 else 0.0
    kc[K_LN_ISOA] = math.log(p[P_ISOA])
    kc[K_INV_ISON] = 1.0 / p[P_ISON]
    kc[K_INV_WG] = 1.0 / p[P_WG]  # reciprocals: the cells multiply instead of dividing
    kc[K_LN_INV_PHIEX] = -math.log(p[P_PHIEX])
    kc[K_IPOW] = 1.0 if ip else 0.0
    kc[K_INV_PHIEX] = 1.0 / p[P_PHIEX]
    kc[K_DO0_T] = arr(p[P_DO0], p[P_EDO], T)  # diffusion is activated too
    kc[K_DW0_T] = arr(p[P_DW0], p[P_EDW], T)


use_prebuilt(globals())  # the shipped compiled kernels (_kernel_cache)
