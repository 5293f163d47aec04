"""Many simulations per call: batches and parameter sweeps as tidy tables.

:func:`simulate_many` runs a list of recipes through the compiled batch
kernel across all cores; :func:`sweep` builds the recipes from a base recipe
and a grid of dotted-path values (``{"film.thickness_um": [30, 60, 90]}``).
A case that fails (invalid combination, solver failure) gets its own
``status``/``error`` and NaN stages; it never stops the batch.
"""

from __future__ import annotations

import itertools
from typing import Any, Mapping, Sequence

import numpy as np
import pandas as pd

from lacquersim.kernels import bdf
from lacquersim.errors import RecipeError
from lacquersim.model.schedule import Schedule
from lacquersim.sim.simulation import build_problem
from lacquersim.sim.solver import default_atol
from lacquersim.sim.stages import STAGES

__all__ = ["simulate_many", "sweep"]


def simulate_many(recipes: Sequence, schedule: Schedule | None = None, n_cells: int = 50,
                  rtol: float = 1e-6, max_steps: int = 200_000) -> pd.DataFrame:
    """Simulate every recipe (each under ``schedule``, or its own drying).

    Returns one row per recipe: ``recipe`` (name), the four stage times (h,
    NaN if not reached), ``wrinkle_index``, ``status`` ("ok" or the failure)
    and ``failed_at_h``. Cases are grouped by schedule length so that each
    group is one parallel kernel call; a multi-coat recipe runs on its own
    (its stages are the top coat's, its wrinkle index the largest of any coat).
    """
    if not (isinstance(rtol, (int, float)) and 1e-13 <= float(rtol) <= 1e-2):
        raise RecipeError(f"{rtol!r} is not allowed; rtol must be from 1e-13 to 1e-2", field="rtol")
    rows: list[dict] = [None] * len(recipes)  # type: ignore[list-item]
    groups: dict[int, list[tuple[int, Any]]] = {}
    for i, rec in enumerate(recipes):
        coats = getattr(rec, "coats", None)
        if coats is not None and coats.count > 1:
            rows[i] = _build_row(rec, schedule, n_cells, rtol)  # a build grows its state: run alone
            continue
        try:
            pr = build_problem(rec, schedule, n_cells)
        except RecipeError as exc:
            rows[i] = _row(rec, np.full(4, np.nan), np.nan, f"invalid: {exc}", np.nan)
            continue
        groups.setdefault(len(pr.params), []).append((i, pr))
    for items in groups.values():
        idx = [i for i, _ in items]
        prs = [pr for _, pr in items]
        B = len(prs)
        n = prs[0].n_state
        Y0 = np.ascontiguousarray(np.stack([pr.y0 for pr in prs]))
        TB = np.ascontiguousarray(np.stack([pr.t_bounds for pr in prs]))
        PP = np.ascontiguousarray(np.stack([np.vstack(pr.params) for pr in prs]))
        DZ = np.ascontiguousarray(np.stack([pr.dz for pr in prs]))
        ATOL = np.ascontiguousarray(np.stack([default_atol(pr, rtol) for pr in prs]))
        stage_t = np.empty((B, 4))
        stage_w = np.empty(B)
        y_end = np.empty((B, n))
        stats = np.zeros((B, bdf.N_STATS), dtype=np.int64)
        fail = np.zeros(B)
        status = np.zeros(B, dtype=np.int64)
        bdf.integrate_batch(Y0, TB, PP, DZ, float(rtol), ATOL, int(max_steps),
                            stage_t, stage_w, y_end, stats, fail, status)
        for k, i in enumerate(idx):
            ok = status[k] == bdf.OK
            rows[i] = _row(recipes[i], stage_t[k] / 3600.0 if ok else np.full(4, np.nan),
                           stage_w[k] if ok else np.nan,
                           "ok" if ok else bdf.STATUS_TEXT[int(status[k])],
                           np.nan if ok else fail[k] / 3600.0, steps=int(stats[k, bdf.S_STEPS]))
    return pd.DataFrame(rows)


def _build_row(rec, schedule, n_cells, rtol) -> dict:
    """A multi-coat recipe: the top coat's stages and the largest wrinkle index."""
    from lacquersim.sim.coats import simulate_coats
    from lacquersim.errors import SolverError

    try:
        b = simulate_coats(rec, rec.coats.count, rec.coats.interval_hours, schedule=schedule,
                           n_cells=n_cells, rtol=rtol)
    except RecipeError as exc:
        return _row(rec, np.full(4, np.nan), np.nan, f"invalid: {exc}", np.nan)
    except SolverError as exc:
        return _row(rec, np.full(4, np.nan), np.nan, exc.cause, exc.time_h)
    steps = sum(int(c.trajectory.stats["steps"]) for c in b.coats)
    return _row(rec, b.stages.to_numpy(), b.wrinkle_index, "ok", np.nan, steps=steps)


def _row(rec, stages_h, wrinkle, status, failed_at_h, steps=0) -> dict:
    # not getattr(rec, "name", str(rec)): the default would be built (a
    # dataclass repr of the whole recipe, ~10 µs) for every row
    row = {"recipe": rec.name if hasattr(rec, "name") else str(rec)}
    row.update({s: float(v) for s, v in zip(STAGES, stages_h)})
    row.update({"wrinkle_index": float(wrinkle), "status": status,
                "failed_at_h": float(failed_at_h), "steps": steps})
    return row


def sweep(recipe, grid: Mapping[str, Sequence], schedule: Schedule | None = None,
          n_cells: int = 50, rtol: float = 1e-6) -> pd.DataFrame:
    """Full-factorial sweep of ``recipe`` over dotted-path values.

    ``grid`` maps recipe paths to the values to try, e.g.
    ``{"film.thickness_um": [30, 60], "drying.rh_percent": [60, 70, 80]}``.
    Returns a tidy table: one column per swept path, then the columns of
    :func:`simulate_many`. A combination the schema rejects is reported as
    ``status = "invalid: ..."``, not raised.
    """
    paths = list(grid)
    combos = list(itertools.product(*[list(grid[p]) for p in paths]))
    recs = []
    for values in combos:
        try:
            recs.append(recipe.with_values(dict(zip(paths, values))))
        except RecipeError as exc:
            recs.append(_Invalid(recipe.name, str(exc)))
    ok = [r for r in recs if not isinstance(r, _Invalid)]
    res = simulate_many(ok, schedule, n_cells, rtol) if ok else pd.DataFrame()
    out, j = [], 0
    for values, r in zip(combos, recs):
        if isinstance(r, _Invalid):
            row = _row(r, np.full(4, np.nan), np.nan, f"invalid: {r.error}", np.nan)
        else:
            row = res.iloc[j].to_dict()
            j += 1
        out.append({**dict(zip(paths, values)), **row})
    return pd.DataFrame(out)


class _Invalid:
    def __init__(self, name, error):
        self.name, self.error = name, error
