"""Film model kernels: right-hand side and block-tridiagonal Jacobian (numba).

Everything here works on flat float64 arrays in SI units (s, m, K, mol m⁻³)
so that any solver — scipy's, or a fully compiled one — can call it without
Python objects in the loop. The physics is MODEL.md sections 2–3 and 5;
the mapping from a recipe to the parameter vector lives in
:mod:`lacquersim.simulation`.

State layout (length ``NF*N + NQ``), cells ordered from the substrate
(``i = 0``) to the air surface (``i = N-1``), fields interleaved per cell so
that the Jacobian is block tridiagonal with 5×5 blocks::

    y[5*i + 0] = phi   water (or solvent) volume fraction
    y[5*i + 1] = c     dissolved O2, mol m⁻³
    y[5*i + 2] = m     unreacted catechol, fraction of initial catechol
    y[5*i + 3] = s     unreacted side-chain double bonds, fraction
    y[5*i + 4] = e     active laccase, fraction of the raw sap's activity

followed by ``NQ = 4`` running integrals that never feed back into the cells
(they close the balances in the tests and the report)::

    y[5N+0] = O2 taken up through the surface, mol m⁻²
    y[5N+1] = O2 consumed by reactions,        mol m⁻²
    y[5N+2] = volatile lost through the surface, m³ m⁻² (volume per area)
    y[5N+3] = water made by laccase,             m³ m⁻²
"""

from __future__ import annotations

import math

import numpy as np
from numba import njit

from . import formulas
from . import vecmath as vm
from ._kernel_cache import ensure_consistent, install_codegen_options
from .formulas import R_GAS

ensure_consistent()  # before any kernel is loaded from the on-disk cache
install_codegen_options()  # before any kernel compiles

NF = 5  # fields per cell
NQ = 4  # running integrals after the cells
F_PHI, F_C, F_M, F_S, F_E = 0, 1, 2, 3, 4
Q_O2_IN, Q_O2_USED, Q_VOL_OUT, Q_W_MADE = 0, 1, 2, 3

# ---------------------------------------------------------------------------
# Parameter vector indices. Kept as module constants: numba freezes them at
# compile time, so indexing costs nothing.
# ---------------------------------------------------------------------------
(P_KL, P_EAL, P_E0, P_ACRIT, P_NH, P_KA, P_PHIEX, P_NEX, P_KM, P_KO,
 P_KS, P_EAS, P_CATAL, P_KOS,
 P_KT, P_EAT,
 P_KD, P_EAD, P_KDRY,
 P_WC, P_APRE, P_TG0, P_TG1, P_LAM, P_WG, P_GPL,
 P_DO0, P_BO, P_DW0, P_BW,
 P_NUL, P_CCAT, P_NUS, P_CDB, P_NUW,
 P_CSAT, P_ESOL, P_KO2,
 P_ISWATER, P_PREF, P_DHV, P_VMOL, P_ISOA, P_ISON, P_ISOB, P_KMASS,
 P_D0, P_PHI0,
 P_TA, P_TB, P_RHA, P_RHB, P_TSA, P_TSB,
 P_REACT, P_AGEL,
 N_PARAMS) = range(57)

PARAM_NAMES = (
    "k_L", "Ea_L", "E0", "a_crit", "n_h", "K_a", "phi_ex", "n_ex", "K_m", "K_O",
    "k_S", "Ea_S", "catalysis", "K_OS",
    "k_T", "Ea_T",
    "k_d", "Ea_d", "k_dry",
    "w_c", "alpha_pre", "Tg0", "Tg1", "lambda", "w_g", "g_pl",
    "D_O0", "beta_O", "D_w0", "beta_w",
    "nu_L", "C_cat", "nu_S", "C_db", "nu_w",
    "c_sat", "E_sol", "k_O2",
    "is_water", "p_ref", "dH_vap", "V_mol", "iso_A", "iso_n", "iso_b", "k_mass",
    "d0", "phi0",
    "T_a", "T_b", "RH_a", "RH_b", "t_a", "t_b",
    "reactions", "alpha_gel",
)
assert len(PARAM_NAMES) == N_PARAMS

PHI_FLOOR = 1e-12  # keeps power laws of phi finite when phi touches 0


# ---------------------------------------------------------------------------
# Scalar helpers (value and derivative)
# ---------------------------------------------------------------------------
_arrhenius = njit(cache=True, error_model="numpy")(formulas.arrhenius)
_psat_water_c = njit(cache=True, error_model="numpy")(formulas.psat_water_c)


@njit(cache=True, error_model="numpy")
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


@njit(cache=True, error_model="numpy")
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


@njit(cache=True, error_model="numpy", inline="always")
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


@njit(cache=True, error_model="numpy", inline="always")
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


@njit(cache=True, error_model="numpy", inline="always")
def conversion(m, s, p):
    """Network conversion alpha and d alpha/dm, d alpha/ds."""
    wc = p[P_WC]
    ap = p[P_APRE]
    alpha = ap + (1.0 - ap) * (wc * (1.0 - m) + (1.0 - wc) * (1.0 - s))
    return alpha, -(1.0 - ap) * wc, -(1.0 - ap) * (1.0 - wc)


@njit(cache=True, error_model="numpy", inline="always")
def mobility(z, ez, inv_w):
    """Diffusion-control factor mu = 1/(1 + exp(z)) and d mu/d Tg, given
    z = (Tg − T)/w, ez = exp(−|z|) (which never overflows; from
    :func:`cell_powers`) and 1/w (K⁻¹). Selects, not branches, so the cell
    loop vectorises."""
    q = 1.0 / (1.0 + ez)
    mu = ez * q if z > 0.0 else q
    return mu, -mu * (1.0 - mu) * inv_w


# Slots of the per-temperature constants kc (rate_constants): rate constants
# in s⁻¹ of laccase oxidation, autoxidation, thermal polymerisation and
# inactivation; a_crit**n_h; the interfacial-area prefactor 6·phi0^(1/3)/d0
# (m⁻¹); ln A and 1/n of the isotherm; 1/w of the mobility (K⁻¹);
# ln(1/phi_ex); 1 if integral_powers; 1/phi_ex.
(K_LAC, K_AUTOX, K_THERM, K_INACT, K_ACRIT_NH, K_AREA, K_LN_ISOA, K_INV_ISON, K_INV_WG,
 K_LN_INV_PHIEX, K_IPOW, K_INV_PHIEX, N_KC) = range(13)


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
    kc[K_LAC] = arr(p[P_KL], p[P_EAL], T) * p[P_E0]
    kc[K_AUTOX] = arr(p[P_KS], p[P_EAS], T) * p[P_CATAL]
    kc[K_THERM] = arr(p[P_KT], p[P_EAT], T)
    kc[K_INACT] = arr(p[P_KD], p[P_EAD], T)
    kc[K_ACRIT_NH] = vm.ipow(p[P_ACRIT], p[P_NH]) if ip else vm.exp(p[P_NH] * vm.log(p[P_ACRIT]))
    kc[K_AREA] = 6.0 * p[P_PHI0] ** (1.0 / 3.0) / p[P_D0] if p[P_D0] > 0.0 else 0.0
    kc[K_LN_ISOA] = math.log(p[P_ISOA])
    kc[K_INV_ISON] = 1.0 / p[P_ISON]
    kc[K_INV_WG] = 1.0 / p[P_WG]  # reciprocals: the cells multiply instead of dividing
    kc[K_LN_INV_PHIEX] = -math.log(p[P_PHIEX])
    kc[K_IPOW] = 1.0 if ip else 0.0
    kc[K_INV_PHIEX] = 1.0 / p[P_PHIEX]


# ---------------------------------------------------------------------------
# Local reactions of one cell
# ---------------------------------------------------------------------------
@njit(cache=True, error_model="numpy", inline="always")
def _consume(dsrc, row, w, g_phi, g_c, g_m, g_s, g_e):
    """dsrc[row] −= w·(gradient of a rate): the field of ``row`` is used up at
    w per unit of the rate (w < 0: produced)."""
    dsrc[row, F_PHI] -= w * g_phi
    dsrc[row, F_C] -= w * g_c
    dsrc[row, F_M] -= w * g_m
    dsrc[row, F_S] -= w * g_s
    dsrc[row, F_E] -= w * g_e


# inline="always": a call with array arguments costs about as much as the
# reactions themselves, so both users get the body in place.
# One return and no early exit (callers skip it when reactions are off):
# with several returns numba keeps an incref/decref pair of p and kc per
# cell, four atomic operations that cost a third of the right-hand side.
@njit(cache=True, error_model="numpy", inline="always")
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


@njit(cache=True, error_model="numpy", inline="always")
def cell_powers(phi, m, s, T, p, kc):
    """((phi/A)^(1/n), a_w^n_h, phi^(1/3), (phi/phi_ex)^n_ex,
    exp(−|Tg − T|/w)) of one cell, phi floored at PHI_FLOOR; powers are
    exp(a·ln x) (vm.exp/vm.log: the loops over cells vectorise)."""
    ph, lph, x, aw, cb, ez = _common_powers(phi, m, s, T, p, kc)
    return x, vm.exp(p[P_NH] * vm.log(aw)), cb, vm.exp(p[P_NEX] * (lph + kc[K_LN_INV_PHIEX])), ez


@njit(cache=True, error_model="numpy", inline="always")
def cell_powers_int(phi, m, s, T, p, kc):
    """:func:`cell_powers` with a_w^n_h and (phi/phi_ex)^n_ex by squaring,
    for :func:`integral_powers` exponents."""
    ph, lph, x, aw, cb, ez = _common_powers(phi, m, s, T, p, kc)
    return x, vm.ipow(aw, p[P_NH]), cb, vm.ipow(ph * kc[K_INV_PHIEX], p[P_NEX]), ez


# Each path has functions of its own, not one function with a constant flag:
# numba types both sides of a branch in every inlined copy, and with flags
# the kernels took three times as long to compile.
@njit(cache=True, error_model="numpy", inline="always")
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


@njit(cache=True, error_model="numpy", inline="always")
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
        _consume(dsrc, F_M, 1.0, dphi, dc, dm, ds, de)
        _consume(dsrc, F_C, p[P_NUL] * p[P_CCAT], dphi, dc, dm, ds, de)
        _consume(dsrc, F_PHI, -p[P_NUW], dphi, dc, dm, ds, de)

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
        _consume(dsrc, F_S, 1.0, dphi, dc, dm, ds, 0.0)
        _consume(dsrc, F_C, p[P_NUS] * p[P_CDB], dphi, dc, dm, ds, 0.0)

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


# ---------------------------------------------------------------------------
# Right-hand side and Jacobian of the whole film
# ---------------------------------------------------------------------------
@njit(cache=True, error_model="numpy", inline="always")
def _diffusivity_pair(m, s, p):
    """Diffusivities of O2 and of the volatile (m² s⁻¹) in a cell with
    unreacted fractions m, s: D0·exp(−beta·alpha)."""
    alpha, _, _ = conversion(m, s, p)
    return p[P_DO0] * vm.exp(-p[P_BO] * alpha), p[P_DW0] * vm.exp(-p[P_BW] * alpha)


@njit(cache=True, error_model="numpy", inline="always")
def _diffusivity_pair_int(m, s, p):
    """:func:`_diffusivity_pair` as D0·exp(−alpha)^beta, for
    :func:`integral_powers` exponents."""
    alpha, _, _ = conversion(m, s, p)
    E = vm.exp(-alpha)
    return p[P_DO0] * vm.ipow(E, p[P_BO]), p[P_DW0] * vm.ipow(E, p[P_BW])


@njit(cache=True, error_model="numpy")
def _diffusivity_cells(y, N, p, DO, DW):
    """DO, DW of every cell (m² s⁻¹), in the form :func:`integral_powers` selects."""
    if integral_powers(p):
        for i in range(N):
            DO[i], DW[i] = _diffusivity_pair_int(y[NF * i + F_M], y[NF * i + F_S], p)
    else:
        for i in range(N):
            DO[i], DW[i] = _diffusivity_pair(y[NF * i + F_M], y[NF * i + F_S], p)


@njit(cache=True, error_model="numpy")
def _diffusivities(y, N, p, DO, DW, dDO, dDW):
    _diffusivity_cells(y, N, p, DO, DW)
    for i in range(N):
        dDO[i] = -p[P_BO] * DO[i]
        dDW[i] = -p[P_BW] * DW[i]


@njit(cache=True, error_model="numpy")
def _setup(t, y, p, dz):
    """What the Jacobian starts from at time t: conditions, diffusivities per
    cell and their d/d alpha, rate constants (:func:`rhs` computes the same
    inside its loop over cells)."""
    N = dz.shape[0]
    T, rh = conditions(t, p)
    DO = np.empty(N)
    DW = np.empty(N)
    dDO = np.empty(N)
    dDW = np.empty(N)
    _diffusivities(y, N, p, DO, DW, dDO, dDW)
    kc = np.empty(N_KC)
    rate_constants(T, p, kc)
    return N, T, rh, DO, DW, dDO, dDW, kc


@njit(cache=True, error_model="numpy")
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
    parameter vector (see ``PARAM_NAMES``).
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


# rhs_ws's loop over cells, one function per form of the powers (see
# _common_powers): each cell's reaction sources into dydt, its diffusivities
# into DO, DW. The cells are independent here and the loop vectorises
# (vecmath, no branches, no running sums): keep it that way, it is most of
# the time. The diffusivities come from the same loop: their exps overlap
# with the reactions' latency-bound chains (a loop of their own cost 15 %
# of rhs).
@njit(cache=True, error_model="numpy")
def _cells(y, N, T, p, kc, dydt, DO, DW, dsrc):
    for i in range(N):
        m, s = y[NF * i + F_M], y[NF * i + F_S]
        _cell_rhs(y, i, T, p, kc, dydt, DO, DW, dsrc, cell_powers(y[NF * i + F_PHI], m, s, T, p, kc),
                  _diffusivity_pair(m, s, p))


@njit(cache=True, error_model="numpy")
def _cells_int(y, N, T, p, kc, dydt, DO, DW, dsrc):
    for i in range(N):
        m, s = y[NF * i + F_M], y[NF * i + F_S]
        _cell_rhs(y, i, T, p, kc, dydt, DO, DW, dsrc, cell_powers_int(y[NF * i + F_PHI], m, s, T, p, kc),
                  _diffusivity_pair_int(m, s, p))


@njit(cache=True, error_model="numpy", inline="always")
def _cell_rhs(y, i, T, p, kc, dydt, DO, DW, dsrc, pw, dd):
    """Cell i's reaction sources into dydt and its diffusivities into DO,
    DW, given its :func:`cell_powers` pw and diffusivities dd (dsrc: the
    Jacobian argument of _cell_reactions, not filled here)."""
    b = NF * i
    x, an, cb, r, ez = pw
    dydt[b + F_PHI], dydt[b + F_C], dydt[b + F_M], dydt[b + F_S], dydt[b + F_E] = _cell_reactions(
        y[b + F_PHI], y[b + F_C], y[b + F_M], y[b + F_S], y[b + F_E], T, p, kc, False, dsrc, x, an, cb, r, ez)
    DO[i], DW[i] = dd


@njit(cache=True, error_model="numpy")
def rhs_ws(t, y, p, dz, dydt, kc, DO, DW, dsrc, geo):
    """:func:`rhs` with its workspace passed in, for callers that evaluate it
    many times: DO and DW (N), dsrc (1×1) and kc (N_KC + 1), the rate
    constants of :func:`rate_constants` followed by the temperature (K) they
    are for, and geo (2×N) from :func:`mesh_factors`. The rate constants are
    recomputed only when the temperature changes, so kc must not be reused
    across parameter vectors with other material constants: set kc[N_KC] =
    NaN when p changes."""
    N = dz.shape[0]
    T, rh = conditions(t, p)
    if kc[N_KC] != T:  # constant over a step's Newton iterations, and over a step of fixed conditions
        rate_constants(T, p, kc)
        kc[N_KC] = T
    if p[P_REACT] < 0.5:
        dydt[:NF * N] = 0.0
        _diffusivity_cells(y, N, p, DO, DW)
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


@njit(cache=True, error_model="numpy")
def _powers(y, N, T, p, kc, pw):
    """pw[:, i] = :func:`cell_powers` of cell i, in a loop that vectorises."""
    for i in range(N):
        b = NF * i
        pw[0, i], pw[1, i], pw[2, i], pw[3, i], pw[4, i] = cell_powers(y[b + F_PHI], y[b + F_M], y[b + F_S], T, p, kc)


@njit(cache=True, error_model="numpy")
def _powers_int(y, N, T, p, kc, pw):
    """:func:`_powers` with :func:`cell_powers_int`."""
    for i in range(N):
        b = NF * i
        pw[0, i], pw[1, i], pw[2, i], pw[3, i], pw[4, i] = cell_powers_int(
            y[b + F_PHI], y[b + F_M], y[b + F_S], T, p, kc)


@njit(cache=True, error_model="numpy")
def jac_blocks(t, y, p, dz, Dg, Lo, Up, Qrow):
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
    """
    N, T, rh, DO, DW, dDO, dDW, kc = _setup(t, y, p, dz)
    react = p[P_REACT] >= 0.5
    pw = np.empty((N_POW, N if react else 0))
    if react and kc[K_IPOW] != 0.0:
        _powers_int(y, N, T, p, kc, pw)
    elif react:
        _powers(y, N, T, p, kc, pw)
    for i in range(N):
        b = NF * i
        src = Dg[i]  # the reactions' Jacobian goes straight into the diagonal block
        if react:
            _cell_reactions(y[b + F_PHI], y[b + F_C], y[b + F_M], y[b + F_S], y[b + F_E], T, p, kc, True, src,
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
