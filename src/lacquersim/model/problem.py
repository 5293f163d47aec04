"""The film problem: a material, a refined state and a schedule as kernel arrays.

This is the one place where parameters by name become the kernels'
parameter vector (SI units, slots of :mod:`lacquersim.kernels.film`):
:data:`KERNEL_PARAMETERS` maps slots to table parameters, converted by
their units; :func:`material_vector` adds what is derived from several of
them and from the refined state; :func:`step_vectors` the conditions of
each schedule step.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from typing import Mapping

import numpy as np

from lacquersim.errors import RecipeError
from lacquersim.i18n import _
from lacquersim.kernels import laws
from lacquersim.kernels import layout
from lacquersim.kernels.formulas import R_GAS, T_REF, T_THERMAL_REF
from lacquersim.model import units
from lacquersim.model.materials import Material

__all__ = ["FilmProblem", "KERNEL_PARAMETERS", "material_vector", "step_vectors", "initial_vector",
           "mesh", "air_transfer", "N_CELLS_MIN", "N_CELLS_MAX", "check_n_cells"]

RHO_WATER = 1000.0  # kg m⁻³
#: O2 in the air, mol m⁻³ (21 % of 1 atm at the reference temperature).
C_O2_AIR = 0.21 * 101325.0 / (R_GAS * T_REF)
M_WATER = 0.018015  # kg mol⁻¹
#: Cells through the thickness that the API and the CLI accept.
N_CELLS_MIN, N_CELLS_MAX = 3, 2000
#: Cell clustering of :func:`mesh` toward both faces.
MESH_CLUSTER = 0.85

#: Kernel slot <- parameter of the table (its value converted to SI by its unit).
KERNEL_PARAMETERS: tuple[tuple[int, str], ...] = (
    (layout.P_KL, "k_L"), (layout.P_EAL, "Ea_L"), (layout.P_E0, "enzyme_activity"),
    (layout.P_ACRIT, "a_crit"), (layout.P_NH, "n_h"), (layout.P_KA, "K_a"), (layout.P_PHIEX, "phi_ex"),
    (layout.P_NEX, "n_ex"), (layout.P_KM, "K_m"), (layout.P_KO, "K_O"),
    (layout.P_KS, "k_S"), (layout.P_EAS, "Ea_S"), (layout.P_KOS, "K_OS"), (layout.P_EAT, "Ea_T"),
    (layout.P_KD, "k_d"), (layout.P_EAD, "Ea_d"), (layout.P_KDRY, "k_dry"),
    (layout.P_WC, "w_c"), (layout.P_APRE, "alpha_pre"), (layout.P_TG0, "Tg0"), (layout.P_TG1, "Tg1"),
    (layout.P_LAM, "lambda_Tg"), (layout.P_WG, "w_g"), (layout.P_GPL, "g_pl"),
    (layout.P_DO0, "D_O0"), (layout.P_BO, "beta_O"), (layout.P_DW0, "D_w0"), (layout.P_BW, "beta_w"),
    (layout.P_NUL, "nu_L"), (layout.P_NUS, "nu_S"), (layout.P_CSAT, "c_sat"), (layout.P_ESOL, "E_sol"),
    (layout.P_ISOA, "isotherm_A"), (layout.P_ISON, "isotherm_n"), (layout.P_ISOB, "isotherm_b"),
    (layout.P_AGEL, "alpha_gel"), (layout.P_TON, "T_on_thermal"), (layout.P_WON, "w_on_thermal"),
    (layout.P_EDO, "E_DO"), (layout.P_EDW, "E_Dw"),
    (layout.P_TEQ, "T_eq_laccase"), (layout.P_DHEQ, "dH_eq_laccase"),
)


@dataclass
class FilmProblem:
    """What the kernels need, in SI units.

    dz : cell widths, m (substrate first)
    y0 : initial state, length ``5N + 4`` (see :mod:`lacquersim.kernels.film`)
    t_bounds : segment boundaries, s (length ``len(params) + 1``)
    params : one parameter vector per segment
    window : cells (first, end) whose stages are tracked; None: the whole
        film (a multi-coat build tracks its top coat)
    """

    dz: np.ndarray
    y0: np.ndarray
    t_bounds: np.ndarray
    params: list
    window: tuple[int, int] | None = None

    @property
    def tracked(self) -> tuple[int, int]:
        """Cells [i0, i1) whose stages are tracked."""
        return (0, self.n_cells) if self.window is None else (int(self.window[0]), int(self.window[1]))

    @property
    def n_cells(self) -> int:
        return int(self.dz.shape[0])

    @property
    def n_state(self) -> int:
        return layout.NF * self.n_cells + layout.NQ


def check_n_cells(n_cells, field: str = "n_cells") -> int:
    if isinstance(n_cells, bool) or not (isinstance(n_cells, (int, np.integer))
                                         and N_CELLS_MIN <= int(n_cells) <= N_CELLS_MAX):
        raise RecipeError(_("{value} is not allowed; {field} must be a whole number from {low} "
                            "to {high}").format(value=repr(n_cells), field=field,
                                                low=N_CELLS_MIN, high=N_CELLS_MAX), field=field)
    return int(n_cells)


def mesh(thickness_um: float, n_cells: int, cluster: float = MESH_CLUSTER) -> np.ndarray:
    """Cell widths (m), substrate first, refined toward both faces.

    Cell edges sit at ``z = L·(ξ − a·sin(2πξ)/(2π))`` for ξ uniform on [0, 1],
    so the face cells are ``(1 + a)/(1 − a)`` times (≈ 12× for a = 0.85)
    thinner than the middle ones. The stages are read at the surface and
    substrate cells, and the steepest gradients sit at the air face, so fine
    face cells make the stage times converge with few cells. ``cluster = 0``
    gives a uniform mesh.
    """
    return units.to_si(float(thickness_um), "µm") * _unit_widths(int(n_cells), float(cluster))


@lru_cache(maxsize=64)
def _unit_widths(n: int, cluster: float) -> np.ndarray:
    # the shape depends on the cell count only: numpy's small-array calls
    # cost ~20 µs, 1–2 % of a simulation
    xi = np.linspace(0.0, 1.0, n + 1)
    edges = xi - cluster * np.sin(2.0 * np.pi * xi) / (2.0 * np.pi)
    w = np.diff(edges)
    w.setflags(write=False)
    return w


def material_vector(mat: Material, state: Mapping[str, float]) -> np.ndarray:
    """Parameter vector (SI) of a material in a refined state, with no schedule."""
    p = _material_base(mat).copy()
    q = mat.values
    # concentrations per film volume: the non-volatile part is lipid + gum + protein
    phi0 = float(state["water_volume_fraction"])
    lipid_share = q["lipid_percent"] / max(100.0 - q["water_percent"], 1e-9)
    c_lipid = (1.0 - phi0) * mat.si("rho_solids") * lipid_share / mat.si("M_lipid")
    p[layout.P_CCAT] = c_lipid if q["w_c"] > 0 else 0.0
    p[layout.P_CDB] = q["double_bonds_per_lipid"] * c_lipid
    p[layout.P_NUW] = q["water_per_catechol"] * p[layout.P_CCAT] * M_WATER / RHO_WATER
    p[layout.P_D0] = units.to_si(float(state["droplet_um"]), "µm")
    p[layout.P_PHI0] = max(phi0, 1e-6)
    return p


# A Material is immutable and get_material hands out one object per name and
# parameter set: the state-independent entries are computed once per object.
_BASES: dict = {}


def _material_base(mat: Material) -> np.ndarray:
    """The entries of :func:`material_vector` that do not depend on the state."""
    hit = _BASES.get(id(mat))
    if hit is not None and hit[0] is mat:
        return hit[1]
    q = mat.values
    p = np.zeros(layout.N_PARAMS)
    for slot, name in KERNEL_PARAMETERS:
        p[slot] = mat.si(name)
    p[layout.P_CATAL] = 1.0 + q["kappa_drier"] * q["drier_percent"] + q["kappa_metal"] * q["metal_ppm"]
    # k_T is given at 140 °C, where baking is characterised; the kernel's at T_ref
    p[layout.P_KT] = mat.si("k_T_140C") * np.exp(
        -p[layout.P_EAT] / R_GAS * (1.0 / T_REF - 1.0 / T_THERMAL_REF))
    p[layout.P_ISWATER] = 1.0 if mat.is_water else 0.0
    if mat.is_water:
        p[layout.P_VMOL] = M_WATER / RHO_WATER
    else:
        p[layout.P_PREF] = mat.si("p_solvent")
        p[layout.P_DHV] = mat.si("dH_solvent")
        p[layout.P_VMOL] = mat.si("V_solvent")
    p[layout.P_REACT] = 1.0
    p.setflags(write=False)
    if len(_BASES) >= 256:  # Materials with additives are made per recipe: keep it bounded
        _BASES.clear()
    _BASES[id(mat)] = (mat, p)
    return p


def air_transfer(air_speed_m_s):
    """Gas-side mass-transfer coefficient, m s⁻¹, over a ≈ 10 cm panel (also
    elementwise on an array of air speeds).

    Natural convection floor (≈ 3 mm/s) plus laminar forced convection,
    ``Sh = 0.664 Re^½ Sc^⅓`` for a 0.1 m plate in air (≈ 11 mm/s at 1 m/s).
    """
    return 3e-3 + 1.15e-2 * np.sqrt(np.maximum(air_speed_m_s, 0.0))


def step_vectors(p_mat: np.ndarray, steps, bounds_s: np.ndarray) -> list:
    """One copy of a material vector per schedule step, with that step's
    conditions; ``bounds_s`` are the steps' boundaries in seconds."""
    n = len(steps)
    P = np.tile(p_mat, (n, 1))
    TA, TB, RHA, RHB, k_mass = _step_columns(steps)
    P[:, layout.P_TA] = TA
    P[:, layout.P_TB] = TB
    P[:, layout.P_RHA] = RHA
    P[:, layout.P_RHB] = RHB
    P[:, layout.P_TSA] = bounds_s[:-1]
    P[:, layout.P_TSB] = bounds_s[1:]
    P[:, layout.P_KMASS] = k_mass
    # O2: the gas side barely resists; in liquid-concentration terms its
    # coefficient is k_mass divided by the partition coefficient c_sat/c_air
    P[:, layout.P_KO2] = k_mass * C_O2_AIR / max(p_mat[layout.P_CSAT], 1e-9)
    return list(P)


_COLUMNS: dict[int, tuple] = {}


def _step_columns(steps) -> tuple:
    """The conditions of every step in SI, computed once per steps tuple: an
    optimiser dries thousands of films under the same few schedules."""
    hit = _COLUMNS.get(id(steps))
    if hit is not None and hit[0] is steps:
        return hit[1]
    cols = (units.to_si(np.array([s.temperature_c for s in steps]), "°C"),
            units.to_si(np.array([s.t_end_c for s in steps]), "°C"),
            units.to_si(np.array([s.rh_percent for s in steps]), "%"),
            units.to_si(np.array([s.rh_end_percent for s in steps]), "%"),
            air_transfer(np.array([s.air_speed_m_s for s in steps])))
    if len(_COLUMNS) >= 1024:
        _COLUMNS.clear()
    _COLUMNS[id(steps)] = (steps, cols)  # the steps kept alive: their id stays theirs
    return cols


def initial_vector(p: np.ndarray, state: Mapping[str, float], n_cells: int) -> np.ndarray:
    """Uniform initial film state (cells, then zeroed running integrals)."""
    y0 = np.zeros(layout.NF * n_cells + layout.NQ)
    T0 = p[layout.P_TA]
    cell = np.array([
        float(state["water_volume_fraction"]),
        float(laws.c_saturation(T0, p)),
        units.to_si(float(state["monomer_percent"]), "%"),
        1.0,
        units.to_si(float(state["laccase_percent"]), "%"),
    ])
    y0[: layout.NF * n_cells].reshape(n_cells, layout.NF)[:] = cell
    return y0
