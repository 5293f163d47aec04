"""Parameter sweeps as tidy tables.

:func:`sweep` builds recipes from a base recipe and a grid of dotted-path
values (``{"film.thickness_um": [30, 60, 90]}``) and runs them through
:func:`~lacquersim.sim.batch.simulate_many`. A combination the schema rejects
gets ``status = "invalid: ..."`` and NaN stages; it never stops the sweep.
"""

from __future__ import annotations

import itertools
from typing import Any, Mapping, Sequence

import pandas as pd

from lacquersim.errors import RecipeError
from lacquersim.i18n import _
from lacquersim.model.schedule import Schedule
from lacquersim.sim.batch import simulate_many

__all__ = ["simulate_many", "sweep"]


def sweep(recipe, grid: Mapping[str, Sequence], schedule: Schedule | None = None,
          n_cells: int = 50, rtol: float = 1e-6, parameters: Any = None) -> pd.DataFrame:
    """Full-factorial sweep of ``recipe`` over recipe fields and model parameters.

    ``grid`` maps dotted paths to the values to try: recipe fields
    (``{"film.thickness_um": [30, 60], "drying.rh_percent": [60, 70, 80]}``)
    and model parameters as ``parameters.<name>`` (``"parameters.k_L"``,
    ``"parameters.vietnam.Ea_d"``; see :func:`lacquersim.parameters`), in
    the table's units. ``parameters`` is the set the swept values override
    (default the table). Returns a tidy table: one column per swept path,
    then the columns of :func:`~lacquersim.sim.batch.simulate_many`. A
    combination the schema or the parameter table rejects is reported as
    ``status = "invalid: ..."``, not raised.
    """
    from lacquersim.model.parameters import as_set
    from lacquersim.sim.batch import run_prepared
    from lacquersim.sim.prepared import as_recipe, prepare
    from lacquersim.sim.simulation import check_rtol

    recipe = as_recipe(recipe)
    rtol = check_rtol(rtol)
    if not isinstance(grid, Mapping) or not grid:
        raise RecipeError(_("the grid must be a non-empty mapping of dotted path -> list of "
                            "values"), field="grid")
    paths = list(grid)
    for path in paths:
        values = grid[path]
        if isinstance(values, (str, bytes)) or not isinstance(values, Sequence) or len(values) == 0:
            raise RecipeError(_("expected a non-empty list of values, got {value}").format(
                value=repr(values)), field=path)
    base = as_set(parameters)
    combos = list(itertools.product(*[list(grid[p]) for p in paths]))
    films, shown = [], []
    for values in combos:
        fields = {p: v for p, v in zip(paths, values) if not p.startswith(PARAMETERS)}
        overrides = {p[len(PARAMETERS):]: v for p, v in zip(paths, values) if p.startswith(PARAMETERS)}
        try:
            rec = recipe.with_values(fields) if fields else recipe
            pset = base.with_overrides(overrides, where="parameters") if overrides else base
            films.append(prepare(rec, schedule, n_cells, pset, viscosity=False))
        except RecipeError as exc:
            films.append(exc)
        shown.append(recipe)
    res = run_prepared(films, shown, rtol)
    return pd.concat([pd.DataFrame(combos, columns=paths), res], axis=1)


#: Prefix of grid paths that address model parameters rather than recipe fields.
PARAMETERS = "parameters."
