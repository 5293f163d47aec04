"""Refining: from a recipe to the film's initial state (docs/model.md, "Refining").

A recipe gives the lacquer in one of three ways:

* ``state`` — the refined state as measured (water %, monomer %, optionally
  droplet size and active laccase);
* ``refining`` — the steps a technician ran on raw sap (nayashi, kurome,
  water added back), simulated by the process model below;
* neither — the material's raw sap.

``additives`` (metal ions, drier, blended oil, thinner) then act on the
result: the oil and thinner enter the viscosity estimate (and, for cashew,
the thinner is more volatile); metals, drier and oil change the material the
film is simulated with (:func:`effective_material`). :func:`refine` returns
the state as a :class:`pandas.Series` that is printed by ``lacquersim refine``
and stored in every :class:`~lacquersim.result.Result`.

Process model
-------------
The sap in the vessel is well mixed; each step is integrated with
``scipy.integrate.solve_ivp`` (LSODA: laccase inactivation at 70–100 °C is
stiff). Time in minutes. State: ``u`` water per unit non-volatile mass,
``m`` unreacted catechol (fraction of lipid, the GPC "monomer"), ``e``
active laccase (fraction of the raw sap's), ``d`` mean droplet diameter (µm).
With ``phi`` the water volume fraction, ``a_w(phi)`` the film's sorption
isotherm and ``H`` the film's hydration factor (same parameters as the film):

* evaporation from the stirred free surface, of which a share ``phi`` is
  water: ``du/dt = −k_ev·S_ev·V·phi·(a_w·p_sat(T) − RH_air·p_sat(T_air))/p_sat(25 °C)``,
  ``S = max((rpm/60)^β, still_factor)``; ``V`` = 1 for kurome in an open
  vessel, ``closed_evaporation_factor`` covered, ``nayashi_evaporation_factor``
  for nayashi (little water loss), 0 sealed (``rest``);
* pre-oxidation by laccase with O2 from the stirred surface:
  ``dm/dt = −k_ox·S_ox·O·arr(Ea_L, T)·E0·e·phi·H(a_w)·m/(K_m + m)`` — fastest
  in wet sap, stalls once the droplets dry below the hydration threshold
  (IJPS 2015 Table 7: monomer stops at ≈ 45 % when water reaches ≈ 4 %, and
  falls again when water is added back); ``O`` = 1 open,
  ``closed_oxygen_factor`` covered, 0 sealed (``rest``);
* thermal polymerisation with the film's law (``k_T`` with its onset), which
  matters only when the sap is heated well above 60 °C;
* laccase inactivation with the film's law and constants:
  ``de/dt = −(k_d·arr(Ea_d, T) + k_dry·(1 − H))·e``;
* droplets: shear break-up toward a size that falls with stirring speed, plus
  shrinkage at constant droplet number as water leaves:
  ``dd/dt = −k_sh·(rpm/60)·(d − d_min·60/rpm) + (d/3)·d ln(phi)/dt``.

Adding water back (``add_water``) adds it as raw-sized droplets; the
volume-weighted mean diameter is kept. The water content may not exceed
60 % at any point (above that the sap is no longer a water-in-oil lacquer),
and the catechol converted in the vessel may not reach the film's gel point
(the lacquer would have gelled in the pot: it could not be applied).

The constants are the ``refining`` section of the parameter table
(:func:`lacquersim.parameters`) with their sources; the fitted ones come
from ``experiments/refining_fit.py``.

Viscosity estimate (25 °C)
--------------------------
``eta = eta_lipid · (1 − phi_d/phi_max)^(−[eta]·phi_max) · (m_raw/m)^a``:
Krieger–Dougherty in the volume fraction ``phi_d`` of the dispersed phase
(water + gum + glycoprotein droplets; capped at 0.6) times a molecular-weight
factor from pre-oxidation (monomer turned into oligomer), then log-mixed
(Arrhenius rule) with blended oil and thinner by volume. For cashew (no
droplets) only the thinner mixing applies. ``eta_lipid`` (per material) and
``a`` are fitted to the IJPS 2015 Tables 5 and 7 viscosities.

Droplet-size rule (a measured state without droplet size):
``d0 = droplet_raw_um · (water % / raw water %) ** droplet_exponent``,
about 10 µm for raw sap and about 1 µm at 5 % water after full kurome
(Prog. Org. Coat. 51 (2004) 238–243), capped to [0.3, 30] µm.
"""

from __future__ import annotations

import math
import warnings
from dataclasses import dataclass
from typing import Any, Iterable, Mapping, Sequence  # noqa: F401

import numpy as np
import pandas as pd

from lacquersim.errors import RecipeError
from lacquersim.i18n import _
from lacquersim.kernels.formulas import (T_THERMAL_REF, arrhenius, native_fraction, psat_water_c,
                                         thermal_onset)
from lacquersim.model.materials import Material, get_material, with_additives
from lacquersim.model.units import convert
from lacquersim.model.validation import line_of

__all__ = ["refine", "initial_state", "effective_material", "process", "viscosity_pa_s",
           "water_volume_fraction", "water_activity", "STATE_FIELDS", "MAX_WATER_PERCENT",
           "refined_values", "state_series", "highest_rh_percent"]

RHO_WATER = 1000.0  # kg m⁻³
#: Highest water content (% by weight) a lacquer may have at any point of refining.
MAX_WATER_PERCENT = 60.0
_PHI_D_CAP = 0.6


def highest_rh_percent(mat: Material) -> float | None:
    """The most humid air (% RH) a film of ``mat`` can dry in: there its
    sorption isotherm's equilibrium water reaches MAX_WATER_PERCENT by weight,
    and nearer saturation it grows without limit. None when the lacquer's
    volatile is not water (the air carries none of it)."""
    if not mat.is_water:
        return None
    u = MAX_WATER_PERCENT / (100.0 - MAX_WATER_PERCENT)
    x = (_phi_of_u(u, mat["rho_solids"]) / mat["isotherm_A"]) ** (1.0 / mat["isotherm_n"])
    return 100.0 * x / (1.0 + mat["isotherm_b"] * x)
_M_FLOOR = 0.05


# ---------------------------------------------------------------------------
# Material helpers (same laws as the film kernels)
# ---------------------------------------------------------------------------
def water_volume_fraction(water_percent: float, material: Material) -> float:
    """Volume fraction of the volatile (water or thinner) from its weight %."""
    w = float(water_percent) / 100.0
    rho_v = RHO_WATER  # also for a thinner (cashew): the film model's volume fractions assume it
    rho_s = material["rho_solids"]
    if w <= 0.0:
        return 0.0
    return (w / rho_v) / (w / rho_v + (1.0 - w) / rho_s)


def water_activity(phi: float, material: Material) -> float:
    """Water activity of sap holding a water volume fraction ``phi`` (film isotherm)."""
    q = material.values
    return _aw(phi, q["isotherm_A"], q["isotherm_n"], q["isotherm_b"])


def _aw(phi: float, A: float, n: float, b: float) -> float:
    if phi <= 0.0:
        return 0.0
    x = (phi / A) ** (1.0 / n)
    return x / (1.0 + b * x)


def _hydration(a: float, material: Material) -> float:
    """The film's hydration factor ``H(a_w) = 1/(1 + (a_crit/a)^n_h)``."""
    q = material.values
    return _hyd(a, q["a_crit"], q["n_h"])


def _hyd(a: float, a_crit: float, n_h: float) -> float:
    if a <= 0.0:
        return 0.0
    return 1.0 / (1.0 + (a_crit / a) ** n_h)


def _arr(ea_j_mol: float, t_c: float) -> float:
    """Arrhenius factor relative to 25 °C."""
    return arrhenius(ea_j_mol, t_c + 273.15)


def thermal_rate(mat: Material, temperature_c: float, unit: str = "1/h") -> float:
    """The film's thermal polymerisation rate constant at a temperature (with
    its onset), in ``unit``: the law of :func:`lacquersim.kernels.laws.rate_constants`."""
    T = temperature_c + 273.15
    k140 = mat.value_in("k_T_140C", unit)
    onset = thermal_onset(T, mat.si("T_on_thermal"), mat.value_in("w_on_thermal", "K"))
    return k140 * arrhenius(mat.si("Ea_T"), T) / arrhenius(mat.si("Ea_T"), T_THERMAL_REF) * onset


def inactivation_rate(mat: Material, temperature_c: float, unit: str = "1/h") -> float:
    """The laccase's irreversible inactivation rate constant in wet sap at a temperature,
    in ``unit``: the law the film and the vessel share (k_d with Ea_d)."""
    return mat.value_in("k_d", unit) * _arr(mat.si("Ea_d"), temperature_c)


def gel_fraction(mat: Material, monomer_percent: float) -> float:
    """Network conversion of a lacquer with this much catechol monomer left,
    as the film counts it: alpha_pre + (1 − alpha_pre)·w_c·(1 − monomer)."""
    q = mat.values
    return q["alpha_pre"] + (1.0 - q["alpha_pre"]) * q["w_c"] * (1.0 - monomer_percent / 100.0)


def _droplet_rule(water_percent: float, mat: Material) -> float:
    d_raw = mat.value_in("droplet_raw", "µm")
    if d_raw <= 0:
        return 0.0
    ratio = max(water_percent, 1e-3) / mat["water_percent"]
    return min(max(d_raw * ratio ** mat["droplet_exponent"], 0.3), 30.0)


def _phi_of_u(u: float, rho_s: float) -> float:
    if u <= 0.0:
        return 0.0
    w = u / (1.0 + u)
    return (w / RHO_WATER) / (w / RHO_WATER + (1.0 - w) / rho_s)


# ---------------------------------------------------------------------------
# Process model
# ---------------------------------------------------------------------------
@dataclass(frozen=True)
class _Phase:
    """One stretch of constant process conditions."""

    minutes: float
    rpm: float
    temperature_c: float
    evaporation: float  # V: 1 open kurome, factors for closed / nayashi
    oxygen: float = 1.0  # O2 from the air over the sap: 1 open, factor covered, 0 sealed


def _get(step: Any, key: str, default=None):
    if isinstance(step, Mapping):
        v = step.get(key, default)
    else:
        v = getattr(step, key, default)
    return default if v is None else v


def _expand(steps: Iterable[Any], c: Material) -> list[tuple[int, str, Any]]:
    """Steps → (step index, 'phase' | 'water', payload), repeats and water-backs unrolled."""
    out = []
    for i, st in enumerate(steps):
        kind = str(_get(st, "step"))
        if kind == "add_water":
            out.append((i, "water", float(_get(st, "percent"))))
            continue
        if kind == "rest":
            out.append((i, "phase", _Phase(convert(float(_get(st, "days")), "d", "min"), 0.0,
                                           float(_get(st, "temperature_c")), 0.0, oxygen=0.0)))
            continue
        minutes = float(_get(st, "minutes"))
        rpm = float(_get(st, "rpm"))
        temp = float(_get(st, "temperature_c"))
        oxygen = 1.0
        if kind == "nayashi":
            evap = float(c["nayashi_evaporation_factor"])
            repeat, water_back = 1, 0.0
        elif kind == "kurome":
            is_open = bool(_get(st, "open_vessel", True))
            evap = 1.0 if is_open else float(c["closed_evaporation_factor"])
            oxygen = 1.0 if is_open else float(c["closed_oxygen_factor"])
            repeat = int(_get(st, "repeat", 1))
            water_back = float(_get(st, "add_water_percent", 0.0))
        else:  # pragma: no cover - excluded by the schema
            raise RecipeError(f"unknown refining step {kind!r}", field=f"refining.{i}.step")
        for _cycle in range(repeat):
            if water_back > 0:
                out.append((i, "water", water_back))
            out.append((i, "phase", _Phase(minutes, rpm, temp, evap, oxygen)))
    return out


def _rhs_factory(mat: Material, ph: _Phase):
    q = mat.values
    rho_s = q["rho_solids"]
    T = ph.temperature_c
    p_vessel = psat_water_c(T)
    p_air = mat.value_in("vessel_air_rh", "1") * psat_water_c(mat.value_in("vessel_air_temperature", "°C"))
    p_ref = psat_water_c(25.0)
    floor = q["still_factor"]
    s_ev = max((ph.rpm / 60.0) ** q["evap_rpm_exponent"], floor) if ph.rpm > 0 else floor
    s_ox = max((ph.rpm / 60.0) ** q["preox_rpm_exponent"], floor) if ph.rpm > 0 else floor
    k_ev = mat.value_in("evap_k", "1/min") * s_ev * ph.evaporation
    enzymatic = mat.enzymatic
    k_ox = (mat.value_in("preox_k", "1/min") * s_ox * ph.oxygen * _arr(mat.si("Ea_L"), T)
            * q["enzyme_activity"] * native_fraction(T + 273.15, mat.si("T_eq_laccase"),
                                                     mat.si("dH_eq_laccase"))) if enzymatic else 0.0
    k_th = thermal_rate(mat, T, "1/min")
    K_m = q["K_m"]
    o2_exp = q["preox_viscosity_exponent"]
    ln_eta_rel = _ln_eta_relative_factory(mat)
    k_d = inactivation_rate(mat, T, "1/min")
    k_dry = mat.value_in("k_dry", "1/min")
    d_raw = mat.value_in("droplet_raw", "µm")
    if ph.rpm > 0 and d_raw > 0:
        k_sh = mat.value_in("shear_k", "1/min") * ph.rpm / 60.0
        d_min = min(mat.value_in("droplet_min", "µm") * 60.0 / ph.rpm, d_raw)
    else:
        k_sh, d_min = 0.0, 0.0

    # looked up once: the ODE solver calls rhs a hundred times per step
    iso_A, iso_n, iso_b = q["isotherm_A"], q["isotherm_n"], q["isotherm_b"]
    a_crit, n_h = q["a_crit"], q["n_h"]

    def rhs(t, y):
        u = y[0] if y[0] > 0.0 else 0.0
        m = min(max(y[1], 0.0), 1.0)
        e = min(max(y[2], 0.0), 1.0)
        d = y[3] if y[3] > 0.0 else 0.0
        phi = _phi_of_u(u, rho_s)
        a = _aw(phi, iso_A, iso_n, iso_b)
        drive = (a * p_vessel - p_air) / p_ref
        du = -k_ev * phi * drive if drive > 0.0 else 0.0
        H = _hyd(a, a_crit, n_h)
        if k_ox > 0.0:
            # O2 reaches the enzyme through the renewed surface; its transfer
            # coefficient falls with the viscosity (k ∝ D^½, D ∝ 1/eta)
            o2 = math.exp(-o2_exp * ln_eta_rel(u, m))
            dm = -k_ox * e * phi * H * m / (K_m + m) * o2
        else:
            dm = 0.0
        dm -= k_th * m
        de = -(k_d + k_dry * (1.0 - H)) * e
        dd = -k_sh * (d - d_min) if d > 0.0 else 0.0
        if u > 0.0 and d > 0.0:
            # d ln(phi)/du for phi = (u/ρw)/(u/ρw + 1/ρs)
            dlnphi_du = (1.0 - phi) / u
            dd += d / 3.0 * dlnphi_du * du
        return [du, dm, de, dd]

    return rhs


def _integrate(mat: Material, ph: _Phase, y0: list[float]) -> list[float]:
    from scipy.integrate import ODEintWarning, odeint, solve_ivp

    rhs = _rhs_factory(mat, ph)
    if ph.minutes < 1e-6:
        # a vanishing step (a few µs of stirring): one explicit Euler step is exact
        # to O(dt²), and LSODA cannot start on such a span
        y = np.asarray(y0, dtype=float) + ph.minutes * np.asarray(rhs(0.0, y0))
    else:
        # LSODA through odeint: the same integrator as solve_ivp's "LSODA" with
        # a third less overhead per step (the optimiser refines every candidate)
        atol = [1e-10, 1e-10, 1e-12, 1e-9]
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", ODEintWarning)  # handled below
            ys, info = odeint(rhs, y0, [0.0, ph.minutes], tfirst=True, rtol=1e-8, atol=atol,
                              full_output=True, mxstep=100_000)
        y = ys[-1]
        if info["message"] != "Integration successful." or not np.all(np.isfinite(y)):
            # LSODA can keep switching methods on a very stiff decay (laccase
            # dying at 90 °C during a long rest): Radau, implicit throughout
            sol = solve_ivp(rhs, (0.0, ph.minutes), y0, method="Radau", rtol=1e-8, atol=atol)
            y = sol.y[:, -1]
            if not sol.success or not np.all(np.isfinite(y)):  # pragma: no cover
                raise RuntimeError(f"refining step integration failed: {sol.message}")
    return [max(float(y[0]), 0.0), min(max(float(y[1]), 0.0), 1.0),
            min(max(float(y[2]), 0.0), 1.0), max(float(y[3]), 0.0)]


def process(material: Material | str, steps: Sequence[Any], *, water_percent: float | None = None,
            monomer_percent: float | None = None, laccase_percent: float = 100.0,
            droplet_um: float | None = None, parameters: Any = None, history: bool = False, source: str | None = None,
            lines: Mapping[str, int] | None = None):
    """Run refining ``steps`` on sap of ``material``.

    Parameters
    ----------
    material : Material or str
        A material name is resolved in ``parameters``.
    steps : sequence of mappings or :class:`~lacquersim.recipe.RefiningStep`
        Each with ``step`` (``nayashi``, ``kurome``, ``add_water``) and that
        step's fields (``minutes``, ``rpm``, ``temperature_c``,
        ``open_vessel``, ``repeat``, ``add_water_percent``; ``percent``).
    water_percent, monomer_percent, laccase_percent, droplet_um : float, optional
        Starting state; default the material's raw sap.
    parameters : optional
        Parameter set or overrides for a material given by name (see
        :func:`lacquersim.parameters`).
    history : bool
        Also return a DataFrame with the state after every (unrolled) step.
    source, lines : optional
        File and line map of the recipe, for error messages.

    Returns
    -------
    dict (and DataFrame if ``history``)
        ``water_percent``, ``monomer_percent``, ``laccase_percent``, ``droplet_um``.

    Raises
    ------
    RecipeError
        If water added back makes the lacquer hold more than 60 % water.
    """
    mat = get_material(material, parameters) if isinstance(material, str) else material
    w0 = mat["water_percent"] if water_percent is None else float(water_percent)
    m0 = mat["monomer_percent"] if monomer_percent is None else float(monomer_percent)
    d0 = _droplet_rule(w0, mat) if droplet_um is None else float(droplet_um)
    e0 = float(laccase_percent) / 100.0 if mat.enzymatic else 0.0
    w0 = min(max(w0, 0.0), 99.0)
    y = [w0 / (100.0 - w0), m0 / 100.0, e0, d0]
    rho_s = mat["rho_solids"]
    d_raw = mat.value_in("droplet_raw", "µm")
    rows = []
    elapsed = 0.0

    def state(yy):
        u = yy[0]
        return {"water_percent": 100.0 * u / (1.0 + u), "monomer_percent": 100.0 * yy[1],
                "laccase_percent": 100.0 * yy[2], "droplet_um": yy[3]}

    for i, kind, payload in _expand(steps, mat):
        if kind == "water":
            u_old = y[0]
            u_new = u_old + payload / 100.0 * (1.0 + u_old)
            w_new = 100.0 * u_new / (1.0 + u_new)
            if w_new > MAX_WATER_PERCENT + 1e-9:
                key = "percent" if str(_get(steps[i], "step")) == "add_water" else "add_water_percent"
                path = f"refining.{i}.{key}"
                raise RecipeError(
                    _("after adding {added} % water the lacquer would hold {water} % water; at "
                      "most {top} % is possible (above that the sap is no longer a water-in-oil "
                      "lacquer): add less water or evaporate first").format(
                          added=f"{payload:g}", water=f"{w_new:.1f}",
                          top=f"{MAX_WATER_PERCENT:g}"),
                    field=path, file=source, line=line_of(lines, path))
            phi_old, phi_new = _phi_of_u(u_old, rho_s), _phi_of_u(u_new, rho_s)
            if d_raw > 0 and phi_new > 0:
                y[3] = (phi_old * y[3] + (phi_new - phi_old) * d_raw) / phi_new
            y[0] = u_new
            label = "add_water"
        else:
            y = _integrate(mat, payload, y)
            elapsed += payload.minutes
            label = str(_get(steps[i], "step"))
        if history:
            rows.append({"step": i, "kind": label, "minutes": elapsed, **state(y)})
    out = state(y)
    if history:
        return out, pd.DataFrame(rows, columns=["step", "kind", "minutes", "water_percent",
                                                "monomer_percent", "laccase_percent",
                                                "droplet_um"])
    return out


# ---------------------------------------------------------------------------
# Viscosity
# ---------------------------------------------------------------------------
def _ln_eta_sap(mat: Material, w: float, m: float) -> float:
    """ln of the sap's viscosity (Pa·s) at water fraction ``w`` (0–1) and monomer ``m`` (0–1)."""
    return _ln_eta(w, m, *_viscosity_constants(mat))


def _viscosity_constants(mat: Material) -> tuple:
    q = mat.values
    raw_w = q["water_percent"] / 100.0
    nonlipid = (q["gum_percent"] + q["glycoprotein_percent"]) / 100.0
    nonlipid_share = nonlipid / max(1.0 - raw_w, 1e-9)  # of the non-volatile part
    m_raw = max(q["monomer_percent"] / 100.0, _M_FLOOR)
    return (q["rho_solids"], nonlipid_share, q["viscosity_phi_max"], q["viscosity_intrinsic"],
            m_raw, math.log(mat.value_in("eta_lipid", "Pa·s")), q["viscosity_mw_exponent"])


def _ln_eta(w: float, m: float, rho_s, nonlipid_share, pm, intrinsic, m_raw, ln_eta_lipid,
            mw_exponent) -> float:
    v_w = w / RHO_WATER
    v_s = (1.0 - w) / rho_s
    phi_d = min((v_w + v_s * nonlipid_share) / (v_w + v_s), _PHI_D_CAP)
    kd = -intrinsic * pm * math.log(1.0 - phi_d / pm)
    m = max(m, _M_FLOOR)
    return ln_eta_lipid + kd + mw_exponent * math.log(m_raw / m)


def _ln_eta_relative_factory(mat: Material):
    """ln(eta/eta_raw) of the sap as a function of (u, m)."""
    c = _viscosity_constants(mat)  # once: the refining ODE asks at every step
    ref = _ln_eta(mat["water_percent"] / 100.0, mat["monomer_percent"] / 100.0, *c)

    def f(u: float, m: float) -> float:
        return _ln_eta(u / (1.0 + u), m, *c) - ref

    return f


def viscosity_pa_s(material: Material | str, water_percent: float, monomer_percent: float, *,
                   oil: str | None = None, oil_percent: float = 0.0,
                   thinner_percent: float = 0.0, parameters: Any = None) -> float:
    """Viscosity estimate at 25 °C, Pa·s (see the module documentation).

    ``water_percent`` is the volatile of the lacquer itself (water for sap,
    thinner as sold for cashew); ``oil_percent`` and ``thinner_percent`` are
    added on top, in % of the lacquer's weight.
    """
    mat = get_material(material, parameters) if isinstance(material, str) else material
    q = mat.values
    rho_s = q["rho_solids"]
    w = min(max(float(water_percent), 0.0), 99.0) / 100.0
    ln_thin = math.log(mat.value_in("thinner_viscosity", "Pa·s"))
    rho_thin = mat.value_in("thinner_density", "kg/m3")
    if q["droplet_raw"] > 0:  # sap: water-in-oil emulsion
        ln_eta = _ln_eta_sap(mat, w, float(monomer_percent) / 100.0)
    else:  # resin + its own thinner, log-mixed by volume
        v_t = (w / rho_thin) / (w / rho_thin + (1.0 - w) / rho_s) if w > 0 else 0.0
        ln_eta = (1.0 - v_t) * math.log(mat.value_in("eta_lipid", "Pa·s")) + v_t * ln_thin
    # blended oil and extra thinner: log-mixing by volume
    vol_lac = 1.0 / 1000.0  # 1 kg lacquer ≈ 1 L (only the ratios matter)
    parts = [(vol_lac, ln_eta)]
    if oil and oil_percent > 0:
        od = mat.parameters.oil(oil)
        parts.append((oil_percent / 100.0 / od["oil_density"], math.log(od["oil_viscosity"])))
    if thinner_percent > 0:
        parts.append((thinner_percent / 100.0 / rho_thin, ln_thin))
    total = sum(v for v, _w in parts)
    return float(math.exp(sum(v * ln for v, ln in parts) / total))


# ---------------------------------------------------------------------------
# Public entry points
# ---------------------------------------------------------------------------
def _additives(recipe) -> dict:
    a = getattr(recipe, "additives", None)
    get = (lambda k: getattr(a, k, None)) if a is not None else (lambda k: None)
    return {"metal_ppm": float(get("metal_ppm") or 0.0),
            "drier_percent": float(get("drier_percent") or 0.0),
            "oil": get("oil"), "oil_percent": float(get("oil_percent") or 0.0),
            "thinner_percent": float(get("thinner_percent") or 0.0)}


#: Fields of the refined state, in order (the index of :func:`refine`'s Series).
STATE_FIELDS = ("water_percent", "monomer_percent", "droplet_um", "laccase_percent",
                "viscosity_pa_s", "water_volume_fraction")
_STATE_INDEX = pd.Index(list(STATE_FIELDS))


def refine(recipe, parameters: Any = None) -> pd.Series:
    """The refined state a recipe starts its film from.

    Parameters
    ----------
    recipe : Recipe, or a bundled recipe name or recipe file
        Its ``state`` (measured), ``refining`` steps (simulated from the
        material's raw sap) or neither (raw sap), and its ``additives``.
    parameters : optional
        Parameter set or overrides (see :func:`lacquersim.simulate`).

    Returns
    -------
    pandas.Series
        ``water_percent`` (% by weight; for cashew the thinner), ``monomer_percent``
        (% of lipid), ``droplet_um`` (µm, 0 for cashew), ``laccase_percent``
        (% of the raw sap's activity), ``viscosity_pa_s`` (estimate at 25 °C,
        Pa·s) and ``water_volume_fraction`` (–), named after the recipe.

    Raises
    ------
    RecipeError
        Water added back beyond 60 %.
    """
    from lacquersim.model.recipe_files import as_recipe

    recipe = as_recipe(recipe)
    return state_series(refined_values(recipe, get_material(recipe.material, parameters)),
                        recipe.name)


def state_series(values, name) -> pd.Series:
    """The refined state as :func:`refine` returns it, from values in
    :data:`STATE_FIELDS` order."""
    # from an array on a prebuilt index: a Series built from a dict costs
    # more than the refining model itself
    return pd.Series(np.array(values, dtype=float), index=_STATE_INDEX, name=name, copy=False)


def refined_values(recipe, mat: Material, viscosity: bool = True) -> tuple:
    """:func:`refine`'s values as a tuple of floats in :data:`STATE_FIELDS`
    order, for the recipe's material ``mat`` as resolved in a parameter set
    (without additives). ``viscosity=False`` leaves the viscosity estimate
    out (NaN): the film model does not use it, and batches skip its cost."""
    st = getattr(recipe, "state", None)
    steps = getattr(recipe, "refining", None)
    add = _additives(recipe)
    if st is not None:
        water = float(st.water_percent)
        monomer = float(st.monomer_percent)
        droplet = float(st.droplet_um) if st.droplet_um is not None else _droplet_rule(water, mat)
        laccase = 100.0 if st.laccase_percent is None else float(st.laccase_percent)
    elif steps:
        out = process(mat, steps, source=getattr(recipe, "source", None),
                      lines=getattr(recipe, "lines", None))
        water, monomer = out["water_percent"], out["monomer_percent"]
        droplet, laccase = out["droplet_um"], out["laccase_percent"]
    else:
        water = mat["water_percent"]
        monomer = mat["monomer_percent"]
        droplet = _droplet_rule(water, mat)
        laccase = 100.0
    if gel_fraction(mat, monomer) >= mat["alpha_gel"]:
        where = "refining" if st is None else "state.monomer_percent"
        lines = getattr(recipe, "lines", None) or {}
        raise RecipeError(
            _("the lacquer would have gelled before it is applied: {monomer} % monomer left means "
              "a network conversion of {conversion}, past the gel point {gel}").format(
                  monomer=f"{monomer:.1f}", conversion=f"{gel_fraction(mat, monomer):.2f}",
                  gel=f"{mat['alpha_gel']:.2f}")
            + ("; " + _("refine less (shorter or cooler steps, or an open vessel)")
               if st is None else ""),
            field=where, file=getattr(recipe, "source", None), line=line_of(lines, where))
    if not mat.enzymatic:
        laccase = 0.0
    if mat["droplet_raw"] <= 0:
        droplet = 0.0
    thinner_extra = add["thinner_percent"]
    if not mat.is_water and thinner_extra > 0:
        # cashew: the thinner is the volatile the film model follows
        water = 100.0 * (water + thinner_extra) / (100.0 + thinner_extra)
        thinner_extra = 0.0
    eta = (viscosity_pa_s(mat, water, monomer, oil=add["oil"], oil_percent=add["oil_percent"],
                          thinner_percent=thinner_extra) if viscosity else math.nan)
    return (float(water), float(monomer), float(droplet), float(laccase), float(eta),
            float(water_volume_fraction(water, mat)))


def initial_state(recipe, parameters: Any = None) -> pd.Series:
    """Alias of :func:`refine`, kept for existing callers."""
    return refine(recipe, parameters)


def effective_material(recipe, parameters: Any = None) -> Material:
    """The recipe's material with its additives applied (see
    :func:`lacquersim.model.materials.with_additives`); thinner leaves the
    material unchanged (see :func:`refine`)."""
    from lacquersim.model.recipe_files import as_recipe

    recipe = as_recipe(recipe)
    add = _additives(recipe)
    return with_additives(get_material(recipe.material, parameters), metal_ppm=add["metal_ppm"],
                          drier_percent=add["drier_percent"], oil=add["oil"],
                          oil_percent=add["oil_percent"])
