"""The kernel arrays of many cases at once, for studies of drying conditions.

A study usually varies a few numbers of one recipe: the air temperature and
humidity, the drying time, the air speed, the film thickness, or model
parameters that enter the film equations directly. Preparing each case as a
new recipe (validation, refining, the film problem) costs about 0.25 ms of
Python, a third of the kernel's time per case. When every input of a study
is of that kind, :func:`fast_arrays` builds the kernel's arrays for a whole
chunk with numpy from the base recipe's prepared film: the same functions'
arithmetic, element by element, so the arrays are bit for bit those of
:func:`~lacquersim.sim.prepared.prepare` (the tests compare them).

:func:`plan` decides, once per study, whether the fast path applies:

- recipe fields: ``drying.temperature_c``, ``drying.rh_percent``,
  ``drying.hours``, ``drying.air_speed_m_s`` of a recipe dried at constant
  conditions, and ``film.thickness_um``, for a single coat;
- a model parameter, when preparing the base recipe with it set to its
  range's ends and middle changes only its own slot of the kernel's
  parameter vector (by the unit conversion of the table) and nothing else:
  not the refined state, not a derived entry.

Anything else goes the general way, case by case.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from lacquersim.errors import RecipeError
from lacquersim.studies.definition import PARAMETERS, Study

__all__ = ["plan", "fast_arrays", "run_fast", "Plan"]

STEP_FIELDS = {"drying.temperature_c": "temperature_c", "drying.rh_percent": "rh_percent",
               "drying.hours": "hours", "drying.air_speed_m_s": "air_speed_m_s"}
FILM_FIELDS = ("film.thickness_um",)
#: parameters the explanation of a missing stage reads from the material by
#: name (not from the kernel vector): the general path keeps those right
READ_BY_NAME = ("alpha_gel",)


@dataclass
class Plan:
    """How a study's cases become kernel arrays on the fast path."""

    base: object                 # PreparedFilm of the study's recipe
    slots: dict                  # parameter path -> (kernel slot, unit of the table)


def plan(study: Study) -> Plan | None:
    """The fast path's plan for ``study``, or None when a case must be prepared alone."""
    from lacquersim.sim.prepared import prepare

    rec = study.recipe
    if rec.coats is not None and rec.coats.count > 1:
        return None
    steps = rec.drying.steps
    if len(steps) != 1 or rec.drying_preset or steps[0].end_temperature_c is not None \
            or steps[0].end_rh_percent is not None:
        return None
    paths = study.inputs
    if any(not (p in STEP_FIELDS or p in FILM_FIELDS or p.startswith(PARAMETERS)) for p in paths):
        return None
    try:
        base = prepare(rec, None, study.n_cells, study.parameters, viscosity=False)
    except RecipeError:
        return None
    slots = {}
    for p in paths:
        if p.startswith(PARAMETERS):
            found = _parameter_slot(study, base, p)
            if found is None:
                return None
            slots[p] = found
    return Plan(base=base, slots=slots)


def _parameter_slot(study: Study, base, path: str):
    """(slot, unit) if the parameter only sets its own kernel slot, else None."""
    from lacquersim.model import units
    from lacquersim.model.problem import KERNEL_PARAMETERS
    from lacquersim.sim.prepared import prepare

    name = path[len(PARAMETERS):]
    info, _ = study.parameters._lookup(name, path)
    slot = dict((n, s) for s, n in KERNEL_PARAMETERS).get(info.name)
    if slot is None or info.name in READ_BY_NAME:
        return None
    values = study.ranges.get(path) or study.grid.get(path)
    lo, hi = min(values), max(values)
    p0 = base.problem.params[0]
    for v in (lo, 0.5 * (lo + hi), hi):
        try:
            pset = study.parameters.with_overrides({name: v}, where="parameters")
            f = prepare(study.recipe, None, study.n_cells, pset, viscosity=False)
        except RecipeError:
            return None
        p = f.problem.params[0]
        expected = p0.copy()
        expected[slot] = units.to_si(float(v), info.unit)
        if (f.state != base.state or not np.array_equal(p, expected)
                or not np.array_equal(f.problem.y0, base.problem.y0)):
            return None
    return slot, info.unit


def fast_arrays(study: Study, pl: Plan, inputs) -> dict:
    """Y0, TB, PP, DZ, ATOL of every case in ``inputs``, as prepare() would make them."""
    from lacquersim.kernels import layout, laws
    from lacquersim.model import units
    from lacquersim.model.problem import C_O2_AIR, MESH_CLUSTER, _unit_widths, air_transfer

    B = len(inputs)
    base = pl.base.problem
    step = study.recipe.drying.steps[0]
    N = base.n_cells

    def col(path, default):
        return (inputs[path].to_numpy(dtype=float) if path in inputs else np.full(B, float(default)))

    T = col("drying.temperature_c", step.temperature_c)
    RH = col("drying.rh_percent", step.rh_percent)
    hours = col("drying.hours", step.hours)
    speed = col("drying.air_speed_m_s", step.air_speed_m_s)
    thick = col("film.thickness_um", study.recipe.film.thickness_um)

    P = np.tile(base.params[0], (B, 1))
    for path, (slot, unit) in pl.slots.items():
        P[:, slot] = units.to_si(inputs[path].to_numpy(dtype=float), unit)
    # as step_vectors: conditions, times, transfer coefficients
    t_end = hours * 3600.0
    P[:, layout.P_TA] = units.to_si(T, "°C")
    P[:, layout.P_TB] = units.to_si(T, "°C")
    P[:, layout.P_RHA] = units.to_si(RH, "%")
    P[:, layout.P_RHB] = units.to_si(RH, "%")
    P[:, layout.P_TSA] = 0.0
    P[:, layout.P_TSB] = t_end
    k_mass = air_transfer(speed)
    P[:, layout.P_KMASS] = k_mass
    P[:, layout.P_KO2] = k_mass * C_O2_AIR / np.maximum(P[:, layout.P_CSAT], 1e-9)
    TB = np.column_stack([np.zeros(B), t_end])
    # as mesh
    DZ = units.to_si(thick, "µm")[:, None] * _unit_widths(N, MESH_CLUSTER)[None, :]
    # as initial_vector: the base's cells, dissolved O2 at saturation at the first temperature
    Y0 = np.tile(base.y0, (B, 1))
    c_o2 = np.array([laws.c_saturation(P[b, layout.P_TA], P[b]) for b in range(B)])
    Y0[:, layout.F_C:layout.NF * N:layout.NF] = c_o2[:, None]
    # as default_atol
    rtol = study.rtol
    scale = np.empty_like(Y0)
    cells = scale[:, :layout.NF * N].reshape(B, N, layout.NF)
    cells[:, :, 0] = 0.1
    cells[:, :, 1] = np.maximum(P[:, layout.P_CSAT], 1e-3)[:, None]
    cells[:, :, 2:] = 1.0
    L = np.array([float(DZ[b].sum()) for b in range(B)])
    o2 = np.maximum(P[:, layout.P_NUL] * P[:, layout.P_CCAT] + P[:, layout.P_NUS] * P[:, layout.P_CDB],
                    1.0) * L
    q = layout.NF * N
    scale[:, q + layout.Q_O2_IN] = o2
    scale[:, q + layout.Q_O2_USED] = o2
    scale[:, q + layout.Q_VOL_OUT] = 0.1 * L
    scale[:, q + layout.Q_W_MADE] = 0.1 * L
    ATOL = rtol * 1e-3 * scale
    return {"Y0": np.ascontiguousarray(Y0), "TB": np.ascontiguousarray(TB),
            "PP": np.ascontiguousarray(P[:, None, :]), "DZ": np.ascontiguousarray(DZ),
            "ATOL": np.ascontiguousarray(ATOL)}


def run_fast(study: Study, pl: Plan, inputs, rows_of):
    """The batch kernel on the fast path's arrays; rows as ``run_prepared``'s
    (with ``details``), built by ``rows_of(stage_t, stage_w, status, fail,
    stats, extra)``."""
    from lacquersim.kernels import bdf
    from lacquersim.model.problem import FilmProblem
    from lacquersim.sim.batch import integrate_arrays
    from lacquersim.sim.stages import end_figures

    A = fast_arrays(study, pl, inputs)
    B = A["Y0"].shape[0]
    stage_t, stage_w, y_end, stats, fail, status = integrate_arrays(
        A["Y0"], A["TB"], A["PP"], A["DZ"], study.rtol, A["ATOL"])
    hardness = np.full(B, np.nan)
    reason = [""] * B
    mat = pl.base.material
    for b in range(B):
        if status[b] != bdf.OK:
            continue
        pr = FilmProblem(dz=A["DZ"][b], y0=A["Y0"][b], t_bounds=A["TB"][b], params=list(A["PP"][b]))
        hardness[b], reason[b] = end_figures(pr, mat, y_end[b], stage_t[b])
    return rows_of(stage_t, stage_w, status, fail, stats, hardness, reason)
