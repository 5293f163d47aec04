"""A recipe resolved once: parameters, material, refined state, mesh, schedule, kernel arrays.

:func:`prepare` does everything a simulation needs before the solver runs,
once; :func:`~lacquersim.simulate`, batches, multi-coat builds and sweeps take
the :class:`PreparedFilm` and never resolve the recipe again.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field, replace
from typing import Any

import pandas as pd

from lacquersim.errors import RecipeError
from lacquersim.i18n import _
from lacquersim.model.materials import Material, get_material
from lacquersim.model.parameters import ParameterSet, as_set
from lacquersim.model.problem import (FilmProblem, check_n_cells, initial_vector, material_vector,
                                      mesh, step_vectors)
from lacquersim.model.recipe import Recipe
from lacquersim.model.recipe_files import as_recipe  # noqa: F401 (re-exported: sim.prepared.as_recipe)
from lacquersim.model.refining import (MAX_WATER_PERCENT, STATE_FIELDS, effective_material,
                                       highest_rh_percent, refined_values, state_series,
                                       viscosity_pa_s, _additives)
from lacquersim.model.schedule import Schedule
from lacquersim.model.units import to_si
from lacquersim.model.validation import line_of

__all__ = ["PreparedFilm", "prepare", "as_recipe"]

HOUR = to_si(1.0, "h")  # s


@dataclass(frozen=True)
class PreparedFilm:
    """A recipe ready to solve.

    Attributes
    ----------
    recipe : Recipe
    schedule : Schedule
        The drying conditions (the recipe's, or the one given to :func:`prepare`).
    parameters : ParameterSet
    material : Material
        The recipe's material in that set, with its additives applied.
    state : dict
        The refined state (:data:`lacquersim.model.refining.STATE_FIELDS`).
    problem : FilmProblem
        Mesh, initial state and one parameter vector per schedule step (SI).
    """

    recipe: Recipe
    schedule: Schedule
    parameters: ParameterSet
    material: Material
    state: dict
    problem: FilmProblem
    _base: Material = field(repr=False, compare=False, default=None)

    @property
    def n_cells(self) -> int:
        return self.problem.n_cells

    @property
    def alpha_gel(self) -> float:
        return self.material["alpha_gel"]

    @property
    def initial_state(self) -> pd.Series:
        """The refined state as :func:`lacquersim.refine` returns it."""
        if math.isnan(self.state["viscosity_pa_s"]):  # left out by batch preparation
            self.state["viscosity_pa_s"] = self._viscosity()
        return state_series([self.state[k] for k in STATE_FIELDS], self.recipe.name)

    def _viscosity(self) -> float:
        add = _additives(self.recipe)
        water = self.state["water_percent"]
        thinner = add["thinner_percent"] if self._base.is_water else 0.0
        return viscosity_pa_s(self._base, water, self.state["monomer_percent"], oil=add["oil"],
                              oil_percent=add["oil_percent"], thinner_percent=thinner)

    def with_schedule(self, schedule: Schedule) -> "PreparedFilm":
        """The same film dried under another schedule (nothing else is resolved again)."""
        if not isinstance(schedule, Schedule):
            raise RecipeError(f"expected a Schedule, got {type(schedule).__name__}", field="schedule")
        return replace(self, schedule=schedule,
                       problem=_problem(self.material, self.state, schedule, self.recipe, self.n_cells))


def prepare(recipe: Any, schedule: Schedule | None = None, n_cells: int = 50,
            parameters: Any = None, *, viscosity: bool = True) -> PreparedFilm:
    """Resolve a recipe once for simulation.

    Parameters
    ----------
    recipe : Recipe, or a bundled recipe name or recipe file
    schedule : Schedule, optional
        Drying conditions; default the recipe's own.
    n_cells : int
        Cells through the film thickness (3 to 2000, default 50).
    parameters : optional
        Overrides by name (``{"k_L": 0.5, "vietnam.Ea_d": "180 kJ/mol"}``), a
        parameter-set name or file, or a :class:`ParameterSet`; default the
        table as shipped (:func:`lacquersim.parameters`).
    viscosity : bool
        Compute the viscosity estimate now (False: on first use of
        ``initial_state``; the film model does not need it).
    """
    recipe = as_recipe(recipe)
    n = check_n_cells(n_cells)
    schedule = recipe.drying if schedule is None else schedule
    if not isinstance(schedule, Schedule):
        raise RecipeError(f"expected a Schedule, got {type(schedule).__name__}", field="schedule")
    pset = as_set(parameters)
    base = get_material(recipe.material, pset)
    values = refined_values(recipe, base, viscosity=viscosity)
    state = dict(zip(STATE_FIELDS, values))
    mat = effective_material(recipe, pset)
    return PreparedFilm(recipe=recipe, schedule=schedule, parameters=pset, material=mat, state=state,
                        problem=_problem(mat, state, schedule, recipe, n), _base=base)


def _problem(mat: Material, state: dict, schedule: Schedule, recipe: Recipe, n: int) -> FilmProblem:
    _check_humidity(mat, schedule, recipe)
    p_mat = material_vector(mat, state)
    bounds = schedule.boundaries_h * HOUR
    params = step_vectors(p_mat, schedule.steps, bounds)
    dz = mesh(recipe.film.thickness_um, n)
    return FilmProblem(dz=dz, y0=initial_vector(params[0], state, n), t_bounds=bounds, params=params)


def _check_humidity(mat: Material, schedule: Schedule, recipe: Recipe) -> None:
    """Refuse air so humid that the film would hold more water than a lacquer can."""
    top = highest_rh_percent(mat)
    if top is None:
        return
    for i, st in enumerate(schedule.written):
        rh = max(st.rh_percent, st.rh_end_percent)
        if rh <= top * (1 + 1e-9):
            continue
        name = "rh_percent" if st.rh_percent >= st.rh_end_percent else "end_rh_percent"
        if schedule is not recipe.drying:
            path = f"schedule.steps.{i}.{name}"
        elif recipe.drying_preset:
            path = "drying"
        elif len(schedule.written) > 1 or f"drying.steps.{i}.{name}" in (recipe.lines or {}):
            path = f"drying.steps.{i}.{name}"
        else:
            path = f"drying.{name}"
        shown = math.floor(top * 10.0) / 10.0
        mine = path.startswith("drying")  # else the caller's schedule, not the file's
        raise RecipeError(
            _("at {rh} % RH a {material} film would take up water until it held more than a "
              "lacquer can ({water} % water by weight; nearer saturation its uptake has no "
              "limit); allowed at most {top} % RH for this lacquer").format(
                  rh=f"{rh:g}", material=mat.name, water=f"{MAX_WATER_PERCENT:g}",
                  top=f"{shown:g}"),
            field=path, file=recipe.source if mine else None,
            line=line_of(recipe.lines, path) if mine else None)
