"""From a recipe to a solved film: the one-way pipeline.

recipe → prepared film (:func:`~lacquersim.sim.prepared.prepare`: parameters,
refined state, kernel arrays) → integration (:mod:`~lacquersim.sim.solver`)
→ stages (:mod:`~lacquersim.sim.stages`) → :class:`~lacquersim.sim.result.Result`.
"""

from __future__ import annotations

from typing import Any

from lacquersim.errors import RecipeError
from lacquersim.model.schedule import Schedule
from lacquersim.sim.prepared import PreparedFilm, prepare
from lacquersim.sim.solver import BDFSolver

__all__ = ["simulate", "check_rtol", "RTOL_MIN", "RTOL_MAX"]

#: Relative tolerances the API and the CLI accept.
RTOL_MIN, RTOL_MAX = 1e-13, 1e-2


def check_rtol(rtol) -> float:
    if isinstance(rtol, bool) or not (isinstance(rtol, (int, float)) and RTOL_MIN <= float(rtol) <= RTOL_MAX):
        raise RecipeError(f"{rtol!r} is not allowed; rtol must be from {RTOL_MIN:g} to {RTOL_MAX:g}",
                          field="rtol")
    return float(rtol)


def simulate(recipe: Any, schedule: Schedule | None = None, n_cells: int = 50, rtol: float = 1e-6,
             solver=None, parameters: Any = None):
    """Simulate the drying of one coat (or of a multi-coat build).

    Parameters
    ----------
    recipe : Recipe, PreparedFilm, or a bundled recipe name or recipe file
        What is applied (material, refined state, film thickness, own drying).
    schedule : Schedule, optional
        Drying conditions; ``None`` uses the recipe's.
    n_cells : int
        Finite-volume cells through the thickness (3 to 2000, default 50).
    rtol : float
        Relative tolerance of the integrator (default 1e-6).
    solver : object with ``integrate(problem)``, optional
        Default :class:`~lacquersim.sim.solver.BDFSolver` (compiled BDF) at
        ``rtol``; :class:`~lacquersim.sim.solver.ScipySolver` is the reference.
    parameters : optional
        Overrides by name (``{"k_L": 0.5, "vietnam.Ea_d": "180 kJ/mol"}``),
        a parameter-set name or file, or a
        :class:`~lacquersim.model.parameters.ParameterSet`; see
        :func:`lacquersim.parameters`.

    Returns
    -------
    Result
        Stages (h), reasons, history, profiles, summary, plot; for a recipe
        with ``coats: {count: N > 1, ...}`` a
        :class:`~lacquersim.sim.coats.BuildResult` with one row per coat in
        ``coat_stages`` (``stages`` = the top coat's).
    """
    from lacquersim.sim.result import Result
    from lacquersim.sim.stages import detect_stages

    rtol = check_rtol(rtol)
    if isinstance(recipe, PreparedFilm):
        if parameters is not None or n_cells != 50 and n_cells != recipe.n_cells:
            raise RecipeError("a prepared film has its parameters and cells already; "
                              "prepare it again to change them", field="recipe")
        film = recipe if schedule is None else recipe.with_schedule(schedule)
    else:
        film = prepare(recipe, schedule, n_cells, parameters)
    coats = film.recipe.coats
    if coats is not None and coats.count > 1:
        from lacquersim.sim.coats import simulate_coats
        return simulate_coats(film, coats.count, coats.interval_hours, rtol=rtol, solver=solver)
    solver = BDFSolver(rtol=rtol) if solver is None else solver
    traj = solver.integrate(film.problem)
    return Result(film, traj, detect_stages(film.problem, traj, film.material))
