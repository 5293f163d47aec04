"""Layout of the kernels' arrays: the film state, the parameter vector, the
per-temperature constants. Plain Python constants (numba freezes them at
compile time, so indexing by name costs nothing).

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

__all__ = ["NF", "NQ", "F_PHI", "F_C", "F_M", "F_S", "F_E", "Q_O2_IN", "Q_O2_USED", "Q_VOL_OUT",
           "Q_W_MADE", "P_KL", "P_EAL", "P_E0", "P_ACRIT", "P_NH", "P_KA", "P_PHIEX", "P_NEX",
           "P_KM", "P_KO", "P_KS", "P_EAS", "P_CATAL", "P_KOS", "P_KT", "P_EAT", "P_KD", "P_EAD",
           "P_KDRY", "P_WC", "P_APRE", "P_TG0", "P_TG1", "P_LAM", "P_WG", "P_GPL", "P_DO0",
           "P_BO", "P_DW0", "P_BW", "P_NUL", "P_CCAT", "P_NUS", "P_CDB", "P_NUW", "P_CSAT",
           "P_ESOL", "P_KO2", "P_ISWATER", "P_PREF", "P_DHV", "P_VMOL", "P_ISOA", "P_ISON",
           "P_ISOB", "P_KMASS", "P_D0", "P_PHI0", "P_TA", "P_TB", "P_RHA", "P_RHB", "P_TSA",
           "P_TSB", "P_REACT", "P_AGEL", "P_TON", "P_WON", "P_EDO", "P_EDW", "P_TEQ", "P_DHEQ", "N_PARAMS", "PARAM_NAMES", "PHI_FLOOR", "K_LAC",
           "K_AUTOX", "K_THERM", "K_INACT", "K_ACRIT_NH", "K_AREA", "K_LN_ISOA", "K_INV_ISON",
           "K_INV_WG", "K_LN_INV_PHIEX", "K_IPOW", "K_INV_PHIEX", "K_DO0_T", "K_DW0_T", "N_KC"]

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
 P_TON, P_WON, P_EDO, P_EDW, P_TEQ, P_DHEQ,
 N_PARAMS) = range(63)

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
    "T_onset", "w_onset", "E_DO", "E_Dw", "T_eq", "dH_eq",
)
assert len(PARAM_NAMES) == N_PARAMS

PHI_FLOOR = 1e-12  # keeps power laws of phi finite when phi touches 0

# Slots of the per-temperature constants kc (rate_constants): rate constants
# in s⁻¹ of laccase oxidation, autoxidation, thermal polymerisation and
# inactivation; a_crit**n_h; the interfacial-area prefactor 6·phi0^(1/3)/d0
# (m⁻¹); ln A and 1/n of the isotherm; 1/w of the mobility (K⁻¹);
# ln(1/phi_ex); 1 if integral_powers; 1/phi_ex; D_O0 and D_w0 at T (m² s⁻¹).
(K_LAC, K_AUTOX, K_THERM, K_INACT, K_ACRIT_NH, K_AREA, K_LN_ISOA, K_INV_ISON, K_INV_WG,
 K_LN_INV_PHIEX, K_IPOW, K_INV_PHIEX, K_DO0_T, K_DW0_T, N_KC) = range(15)
