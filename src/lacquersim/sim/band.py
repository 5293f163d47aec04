"""The 90 % band of stage times: one recipe under every member of the parameter ensemble.

The joint fit (experiments/joint_fit.py) leaves a posterior sample of the
uncertain parameters in ``data/ensemble.csv``. :func:`stage_band` prepares
and runs the recipe once per member; the band is
the spread of each stage time over the members, a stage that a member never
reaches counting as later than any time.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from lacquersim.errors import RecipeError, SolverError
from lacquersim.model.parameters import as_set
from lacquersim.model.schedule import Schedule
from lacquersim.model.stages import STAGES
from lacquersim.sim.prepared import as_recipe, prepare
from lacquersim.sim.simulation import check_rtol, simulate

__all__ = ["stage_band"]


def stage_band(recipe: Any, schedule: Schedule | None = None, *, parameters: Any = None,
               level: float = 0.9, n_cells: int = 50, rtol: float = 1e-6,
               members: int | None = None, progress: Any = None) -> pd.DataFrame:
    """Stage times of ``recipe`` over the parameter ensemble.

    Parameters
    ----------
    recipe, schedule, n_cells, rtol
        As for :func:`lacquersim.simulate`.
    parameters : optional
        Overrides or a parameter set; what it sets is held fixed in every member.
    level : float
        Central probability of the band (0.9: the 5th to the 95th percentile).
    members : int, optional
        Use only the first ``members`` members (the optimum is the first).
    progress : callable, optional
        ``progress(done, total)`` after each member.

    Returns
    -------
    DataFrame indexed by stage, columns ``low_h``, ``median_h``, ``high_h``
    (inf where more than the band's upper tail never reaches the stage; NaN
    when the whole band never does) and ``reached`` (share of members that
    reach the stage). Empty when the parameter table has no ensemble.
    """
    if isinstance(level, bool) or not isinstance(level, (int, float)) or not 0.5 <= level < 1.0:
        raise RecipeError(f"{level!r} is not allowed; the band's level must be from 0.5 to below 1",
                          field="level")
    rtol = check_rtol(rtol)
    sets = as_set(parameters).ensemble()
    if members is not None:
        if isinstance(members, bool) or not isinstance(members, int) or members < 2:
            raise RecipeError(f"{members!r} is not allowed; members must be a whole number ≥ 2",
                              field="members")
        sets = sets[:members]
    cols = ["low_h", "median_h", "high_h", "reached"]
    if not sets:
        return pd.DataFrame(columns=cols, index=pd.Index([], name="stage"), dtype=float)
    rec = as_recipe(recipe)
    # one member after the other with the single-run solver: about as fast as the batch
    # kernel for one recipe, and a first run need not compile the batch kernel too
    times = np.full((len(sets), len(STAGES)), np.nan)
    for i, pset in enumerate(sets):
        try:
            film = prepare(rec, schedule, n_cells, pset, viscosity=False)
            times[i] = simulate(film, rtol=rtol).stages.reindex(list(STAGES)).to_numpy(dtype=float)
        except (RecipeError, SolverError):  # e.g. a member under which the lacquer gels in the pot
            pass
        if progress is not None:
            progress(i + 1, len(sets))
    tail = (1.0 - float(level)) / 2.0
    out = {}
    for k, s in enumerate(STAGES):
        t = times[:, k]
        reached = float(np.mean(np.isfinite(t)))
        t = np.where(np.isfinite(t), t, np.inf)
        with np.errstate(invalid="ignore"):  # inf − inf between two members that never reach it
            q = np.quantile(t, [tail, 0.5, 1.0 - tail], method="linear")
        q = np.where(np.isnan(q), np.inf, q)  # inf − inf interpolation: never reached
        low = q[0] if np.isfinite(q[0]) else np.nan
        out[s] = [low, q[1] if np.isfinite(q[1]) else np.inf, q[2], reached]
    df = pd.DataFrame.from_dict(out, orient="index", columns=cols)
    df.index.name = "stage"
    return df
