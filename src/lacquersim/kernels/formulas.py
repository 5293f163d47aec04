"""Closed-form physical laws shared by the kernels and the model (plain Python).

The kernels compile these with numba; the model calls them directly, so
that each law is written once. No numba import here: the model uses them
without loading the compiler.
"""

from __future__ import annotations

import math

R_GAS = 8.314462618  # J mol⁻¹ K⁻¹
T_REF = 298.15  # K, reference temperature of every rate constant
T_THERMAL_REF = 413.15  # K: the thermal polymerisation rate is given at 140 °C, where baking is known


def psat_water_c(tc):
    """Saturation vapour pressure of water over liquid water, Pa (Buck 1996), tc in °C."""
    return 611.21 * math.exp((18.678 - tc / 234.5) * (tc / (257.14 + tc)))


def native_fraction(T, T_eq, dH):
    """Share of the enzyme in its active (native) state, an equilibrium with the
    unfolded state: 1/(1 + exp(dH/R·(1/T_eq − 1/T))); half at T_eq (K), dH in J mol⁻¹."""
    x = dH / R_GAS * (1.0 / T_eq - 1.0 / T)
    return 1.0 / (1.0 + math.exp(x)) if x < 700.0 else 0.0


def thermal_onset(T, T_on, w):
    """Share of the thermal polymerisation rate that is on at T (K): a smooth step
    1/(1 + exp(−(T − T_on)/w)) around the onset temperature T_on (K), width w (K)."""
    return 1.0 / (1.0 + math.exp(-(T - T_on) / w))


def arrhenius(ea, T):
    """Arrhenius factor exp(−Ea/R·(1/T − 1/T_ref)) relative to 25 °C; Ea in J mol⁻¹, T in K."""
    return math.exp(-ea / R_GAS * (1.0 / T - 1.0 / T_REF))
