"""From a recipe and a schedule to a solved film: the one-way pipeline.

recipe → initial state (:mod:`refining`) → parameter vectors and mesh (here)
→ integration (:mod:`solver`) → stages (:mod:`stages`) → :class:`Result`.
"""

from __future__ import annotations

from functools import lru_cache
import math

import numpy as np
import pandas as pd

from lacquersim.kernels import film
from lacquersim.errors import RecipeError
from lacquersim.model.materials import Material
from lacquersim.model.refining import _STATE_INDEX, RHO_WATER, STATE_FIELDS, effective_material, refined_values
from lacquersim.model.schedule import Schedule
from lacquersim.sim.solver import BDFSolver, FilmProblem

__all__ = ["simulate", "build_problem", "material_vector", "mesh"]

M_WATER = 0.018015  # kg mol⁻¹
KJ = 1e3
H = 3600.0


MESH_CLUSTER = 0.85


def mesh(thickness_um: float, n_cells: int, cluster: float = MESH_CLUSTER) -> np.ndarray:
    """Cell widths (m), substrate first, refined toward both faces.

    Cell edges sit at ``z = L·(ξ − a·sin(2πξ)/(2π))`` for ξ uniform on [0, 1],
    so the face cells are ``(1 + a)/(1 − a)`` times (≈ 12× for a = 0.85)
    thinner than the middle ones. The stages are defined on the surface
    cell (set-to-touch, tack-free) and the substrate cell (dry-through), and
    the steepest gradients (water leaving, O2 entering, the skin) sit at the
    air face, so fine face cells make the stage times converge with few cells.
    ``cluster = 0`` gives a uniform mesh.
    """
    # the shape depends on the cell count only: computed once per count
    # (numpy's small-array calls cost ~20 µs, 1–2 % of a simulation)
    return float(thickness_um) * 1e-6 * _unit_widths(int(n_cells), float(cluster))


@lru_cache(maxsize=64)
def _unit_widths(n: int, cluster: float) -> np.ndarray:
    xi = np.linspace(0.0, 1.0, n + 1)
    edges = xi - cluster * np.sin(2.0 * np.pi * xi) / (2.0 * np.pi)
    w = np.diff(edges)
    w.setflags(write=False)
    return w


def material_vector(mat: Material, state) -> np.ndarray:
    """Parameter vector (SI) of a material in a given initial state, with no schedule."""
    p = _material_base(mat).copy()
    q = mat.params
    # concentrations per film volume: the non-volatile part is lipid + gum + protein
    phi0 = float(state["water_volume_fraction"])
    raw_water = float(q["water_percent"])
    lipid_share = float(q["lipid_percent"]) / max(100.0 - raw_water, 1e-9)
    c_lipid = (1.0 - phi0) * float(q["density_solids_kg_m3"]) * lipid_share / (
        float(q["lipid_molar_mass_g_mol"]) * 1e-3)
    p[film.P_CCAT] = c_lipid if float(q["catechol_weight"]) > 0 else 0.0
    p[film.P_CDB] = float(q["double_bonds_per_lipid"]) * c_lipid
    p[film.P_NUW] = float(q["water_per_catechol"]) * p[film.P_CCAT] * M_WATER / RHO_WATER
    p[film.P_D0] = float(state["droplet_um"]) * 1e-6
    p[film.P_PHI0] = max(phi0, 1e-6)
    return p


# A Material is immutable, and get_material hands out one object per name:
# the ~50 lookups of the state-independent entries (5 µs, a tenth of the
# Python per recipe in a batch) are done once per Material object.
_BASES: dict = {}


def _material_base(mat: Material) -> np.ndarray:
    """The entries of :func:`material_vector` that do not depend on the state."""
    hit = _BASES.get(id(mat))
    if hit is not None and hit[0] is mat:
        return hit[1]
    q = mat.params
    p = np.zeros(film.N_PARAMS)
    p[film.P_KL] = float(q["k_L_per_h"]) / H
    p[film.P_EAL] = float(q["Ea_L_kJ_mol"]) * KJ
    p[film.P_E0] = float(q["enzyme_activity"])
    p[film.P_ACRIT] = float(q["a_crit"])
    p[film.P_NH] = float(q["n_h"])
    p[film.P_KA] = float(q["K_a_per_um"]) * 1e6
    p[film.P_PHIEX] = float(q["phi_ex"])
    p[film.P_NEX] = float(q["n_ex"])
    p[film.P_KM] = float(q["K_m"])
    p[film.P_KO] = float(q["K_O_mol_m3"])
    p[film.P_KS] = float(q["k_S_per_h"]) / H
    p[film.P_EAS] = float(q["Ea_S_kJ_mol"]) * KJ
    p[film.P_CATAL] = (1.0 + float(q["kappa_drier_per_pct"]) * float(q["drier_percent"])
                       + float(q["kappa_metal_per_ppm"]) * float(q["metal_ppm"]))
    p[film.P_KOS] = float(q["K_OS_mol_m3"])
    # k_T is given at 140 °C, where baking is characterised; shift it to T_ref
    eat = float(q["Ea_T_kJ_mol"]) * KJ
    p[film.P_EAT] = eat
    p[film.P_KT] = float(q["k_T_per_h_at_140c"]) / H * np.exp(
        -eat / film.R_GAS * (1.0 / film.T_REF - 1.0 / 413.15))
    p[film.P_KD] = float(q["k_d_per_h"]) / H
    p[film.P_EAD] = float(q["Ea_d_kJ_mol"]) * KJ
    p[film.P_KDRY] = float(q["k_dry_per_h"]) / H
    p[film.P_WC] = float(q["catechol_weight"])
    p[film.P_APRE] = float(q["alpha_pre"])
    p[film.P_TG0] = float(q["Tg0_c"]) + 273.15
    p[film.P_TG1] = float(q["Tg1_c"]) + 273.15
    p[film.P_LAM] = float(q["tg_lambda"])
    p[film.P_WG] = float(q["tg_width_k"])
    p[film.P_GPL] = float(q["plasticiser_k"])
    p[film.P_DO0] = float(q["D_O0_m2_s"])
    p[film.P_BO] = float(q["beta_O"])
    p[film.P_DW0] = float(q["D_w0_m2_s"])
    p[film.P_BW] = float(q["beta_w"])
    p[film.P_NUL] = float(q["nu_L"])
    p[film.P_NUS] = float(q["nu_S"])
    p[film.P_CSAT] = float(q["c_sat_mol_m3"])
    p[film.P_ESOL] = float(q["E_sol_kJ_mol"]) * KJ
    water = q["volatile"] == "water"
    p[film.P_ISWATER] = 1.0 if water else 0.0
    if water:
        p[film.P_VMOL] = M_WATER / RHO_WATER
    else:
        p[film.P_PREF] = float(q["solvent_p_ref_pa"])
        p[film.P_DHV] = float(q["solvent_dH_kJ_mol"]) * KJ
        p[film.P_VMOL] = float(q["solvent_molar_volume_cm3_mol"]) * 1e-6
    p[film.P_ISOA] = float(q["isotherm_A"])
    p[film.P_ISON] = float(q["isotherm_n"])
    p[film.P_ISOB] = float(q["isotherm_b"])
    p[film.P_REACT] = 1.0
    p[film.P_AGEL] = float(q["alpha_gel"])
    p.setflags(write=False)
    if len(_BASES) >= 256:  # Materials with additives are made per recipe: keep it bounded
        _BASES.clear()
    _BASES[id(mat)] = (mat, p)
    return p


def air_transfer(air_speed_m_s: float) -> float:
    """Gas-side mass-transfer coefficient, m s⁻¹, over a ≈ 10 cm panel.

    Natural convection floor (≈ 3 mm/s) plus laminar forced convection,
    ``Sh = 0.664 Re^½ Sc^⅓`` for a 0.1 m plate in air (≈ 11 mm/s at 1 m/s).
    """
    return 3e-3 + 1.15e-2 * math.sqrt(max(float(air_speed_m_s), 0.0))


def with_step(p_mat: np.ndarray, step, t_a_s: float, t_b_s: float) -> np.ndarray:
    """Copy of a material vector with the conditions of one schedule step."""
    p = p_mat.copy()
    p[film.P_TA] = step.temperature_c + 273.15
    p[film.P_TB] = step.t_end_c + 273.15
    p[film.P_RHA] = step.rh_percent / 100.0
    p[film.P_RHB] = step.rh_end_percent / 100.0
    p[film.P_TSA] = t_a_s
    p[film.P_TSB] = t_b_s
    k_mass = air_transfer(step.air_speed_m_s)
    p[film.P_KMASS] = k_mass
    # O2: the gas side barely resists; in liquid-concentration terms its
    # coefficient is k_mass divided by the partition coefficient c_sat/c_air
    c_air = 0.21 * 101325.0 / (film.R_GAS * film.T_REF)
    p[film.P_KO2] = k_mass * c_air / max(p[film.P_CSAT], 1e-9)
    return p


def initial_vector(p: np.ndarray, state, n_cells: int) -> np.ndarray:
    """Uniform initial film state (cells, then zeroed running integrals)."""
    y0 = np.zeros(film.NF * n_cells + film.NQ)
    T0 = p[film.P_TA]
    cell = np.array([
        float(state["water_volume_fraction"]),
        float(film.c_saturation(T0, p)),
        float(state["monomer_percent"]) / 100.0,
        1.0,
        float(state["laccase_percent"]) / 100.0,
    ])
    y0[: film.NF * n_cells].reshape(n_cells, film.NF)[:] = cell
    return y0


def build_problem(recipe, schedule: Schedule | None = None, n_cells: int = 50,
                  state=None) -> FilmProblem:
    """The kernel-level problem for ``recipe`` dried under ``schedule`` (recipe's own if None)."""
    if not (isinstance(n_cells, (int, np.integer)) and 3 <= int(n_cells) <= 5000):
        raise RecipeError(f"{n_cells!r} is not allowed; n_cells must be an integer from 3 to 5000",
                          field="n_cells")
    schedule = recipe.drying if schedule is None else schedule
    mat = effective_material(recipe)  # the material with the recipe's additives applied
    if state is None:
        state = dict(zip(STATE_FIELDS, refined_values(recipe, viscosity=False)))
    elif isinstance(state, pd.Series):  # five lookups in a Series cost ~25 µs, in a dict ~0
        names = STATE_FIELDS if state.index is _STATE_INDEX else state.index.tolist()
        state = dict(zip(names, state.to_numpy().tolist()))
    p_mat = material_vector(mat, state)
    bounds = schedule.boundaries_h * H
    params = [with_step(p_mat, s, bounds[k], bounds[k + 1]) for k, s in enumerate(schedule.steps)]
    dz = mesh(recipe.film.thickness_um, n_cells)
    y0 = initial_vector(params[0], state, int(n_cells))
    return FilmProblem(dz=dz, y0=y0, t_bounds=bounds, params=params)


def simulate(recipe, schedule: Schedule | None = None, n_cells: int = 50, rtol: float = 1e-6,
             solver=None):
    """Simulate the drying of one coat.

    Parameters
    ----------
    recipe : Recipe
        What is applied (material, refined state, film thickness, own drying).
    schedule : Schedule, optional
        Drying conditions; ``None`` uses ``recipe.drying``.
    n_cells : int
        Finite-volume cells through the thickness (default 50).
    rtol : float
        Relative tolerance of the integrator (default 1e-6).
    solver : object with ``integrate(problem)``, optional
        Default :class:`~lacquersim.solver.BDFSolver` (compiled BDF) at
        ``rtol``; :class:`~lacquersim.solver.ScipySolver` is the reference.

    Returns
    -------
    Result
        Stages (h), reasons, history, profiles, summary, plot; for a recipe
        with ``coats: {count: N > 1, ...}`` a :class:`~lacquersim.coats.BuildResult`
        with one row per coat in ``coat_stages`` (``stages`` = the top coat's).
    """
    from lacquersim.sim.result import Result
    from lacquersim.sim.stages import detect_stages

    coats = getattr(recipe, "coats", None)
    if coats is not None and coats.count > 1:
        from lacquersim.sim.coats import simulate_coats
        return simulate_coats(recipe, coats.count, coats.interval_hours, schedule=schedule,
                              n_cells=n_cells, rtol=rtol, solver=solver)

    if not (isinstance(rtol, (int, float)) and 1e-13 <= float(rtol) <= 1e-2):
        raise RecipeError(f"{rtol!r} is not allowed; rtol must be from 1e-13 to 1e-2", field="rtol")
    schedule = recipe.drying if schedule is None else schedule
    state = dict(zip(STATE_FIELDS, refined_values(recipe)))  # refine()'s values; Result makes the Series
    problem = build_problem(recipe, schedule, n_cells, state=state)
    solver = BDFSolver(rtol=rtol) if solver is None else solver
    traj = solver.integrate(problem)
    stages = detect_stages(problem, traj, effective_material(recipe))
    return Result(recipe=recipe, schedule=schedule, state=state, problem=problem,
                  trajectory=traj, stage_info=stages)
