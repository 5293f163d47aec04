"""Many simulations per call through the compiled batch kernel.

:func:`simulate_many` prepares every case once and runs the cases with the
same number of schedule steps as one parallel kernel call. A case that fails
(invalid input, solver failure) gets its own ``status`` and NaN stages; it
never stops the batch.
"""

from __future__ import annotations

from typing import Any, Sequence

import numpy as np
import pandas as pd

from lacquersim.errors import RecipeError, SolverError
from lacquersim.kernels import bdf
from lacquersim.model.schedule import Schedule
from lacquersim.sim.prepared import PreparedFilm, prepare
from lacquersim.sim.simulation import check_rtol
from lacquersim.sim.solver import default_atol
from lacquersim.model.stages import STAGE_LABELS, STAGES

__all__ = ["simulate_many", "run_prepared", "integrate_arrays"]

_NONE = np.full(len(STAGES), np.nan)  # stage times of a case that did not run


def simulate_many(recipes: Sequence, schedule: Schedule | None = None, n_cells: int = 50,
                  rtol: float = 1e-6, max_steps: int = 200_000, parameters: Any = None) -> pd.DataFrame:
    """Simulate every recipe (each under ``schedule``, or its own drying).

    ``recipes`` holds Recipes, bundled recipe names or files, or
    PreparedFilms (used as prepared). Returns one row per recipe: ``recipe``
    (name), the four stage times (h, NaN if not reached), ``wrinkle_index``,
    ``status`` ("ok", "invalid: ..." or the solver's failure),
    ``failed_at_h`` and ``steps``. A multi-coat recipe runs on its own (its
    stages are the top coat's, its wrinkle index the largest of any coat).
    """
    rtol = check_rtol(rtol)
    if isinstance(recipes, (str, bytes)) or not hasattr(recipes, "__len__"):
        raise RecipeError(f"expected a list of recipes, got {type(recipes).__name__}", field="recipes")
    films: list = []
    for rec in recipes:
        try:
            if isinstance(rec, PreparedFilm):
                films.append(rec if schedule is None else rec.with_schedule(schedule))
            else:
                films.append(prepare(rec, schedule, n_cells, parameters, viscosity=False))
        except RecipeError as exc:
            films.append(exc)
    return run_prepared(films, recipes, rtol, max_steps)


def run_prepared(films: Sequence, recipes: Sequence, rtol: float, max_steps: int = 200_000,
                 details: bool = False) -> pd.DataFrame:
    """Rows of :func:`simulate_many` for prepared films (a RecipeError in
    place of a film is reported as that case's "invalid" status). With
    ``details``, two more columns: ``final_tg_minus_t_c`` (the surface's
    Tg − T at the end, K) and ``reason`` (why the first stage not reached
    was not; '' when all were)."""
    rows: list[dict] = [None] * len(films)  # type: ignore[list-item]
    groups: dict[int, list[tuple[int, PreparedFilm]]] = {}
    for i, f in enumerate(films):
        if isinstance(f, Exception):
            rows[i] = _row(recipes[i], _NONE, np.nan, f"invalid: {f}", np.nan)
        elif f.recipe.coats is not None and f.recipe.coats.count > 1:
            rows[i] = _build_row(f, rtol, details)  # a build grows its state: run alone
        else:
            groups.setdefault(len(f.problem.params), []).append((i, f))
    for items in groups.values():
        idx = [i for i, _ in items]
        prs = [f.problem for _, f in items]
        Y0 = np.ascontiguousarray(np.stack([pr.y0 for pr in prs]))
        TB = np.ascontiguousarray(np.stack([pr.t_bounds for pr in prs]))
        PP = np.ascontiguousarray(np.stack([np.vstack(pr.params) for pr in prs]))
        DZ = np.ascontiguousarray(np.stack([pr.dz for pr in prs]))
        ATOL = np.ascontiguousarray(np.stack([default_atol(pr, rtol) for pr in prs]))
        stage_t, stage_w, y_end, stats, fail, status = integrate_arrays(Y0, TB, PP, DZ, rtol, ATOL,
                                                                        max_steps)
        for k, i in enumerate(idx):
            ok = status[k] == bdf.OK
            rows[i] = _row(films[i].recipe, stage_t[k] / 3600.0 if ok else _NONE,
                           stage_w[k] if ok else np.nan,
                           "ok" if ok else bdf.STATUS_TEXT[int(status[k])],
                           np.nan if ok else fail[k] / 3600.0, steps=int(stats[k, bdf.S_STEPS]))
            if details:
                rows[i].update(_details(films[i], y_end[k], stage_t[k]) if ok else _FAILED)
    if details:
        for i, f in enumerate(films):
            if isinstance(f, Exception):
                rows[i].update(_FAILED)
    return pd.DataFrame(rows)


_FAILED = {"final_tg_minus_t_c": np.nan, "reason": ""}  # the status says why


def _details(f: PreparedFilm, y_end, stage_t_s) -> dict:
    from lacquersim.sim.stages import end_figures

    hardness, reason = end_figures(f.problem, f.material, y_end, stage_t_s)
    return {"final_tg_minus_t_c": hardness, "reason": reason}


def integrate_arrays(Y0, TB, PP, DZ, rtol: float, ATOL, max_steps: int = 200_000) -> tuple:
    """The batch kernel on stacked arrays (see ``bdf.integrate_batch``):
    stage times (s), wrinkle index, final state, statistics, failure time
    and status of every case."""
    B, n = Y0.shape
    stage_t = np.empty((B, len(STAGES)))
    stage_w = np.empty(B)
    y_end = np.empty((B, n))
    stats = np.zeros((B, bdf.N_STATS), dtype=np.int64)
    fail = np.zeros(B)
    status = np.zeros(B, dtype=np.int64)
    bdf.integrate_batch(Y0, TB, PP, DZ, float(rtol), ATOL, int(max_steps),
                        stage_t, stage_w, y_end, stats, fail, status)
    return stage_t, stage_w, y_end, stats, fail, status


def _build_row(f: PreparedFilm, rtol: float, details: bool = False) -> dict:
    """A multi-coat recipe: the top coat's stages and the largest wrinkle index."""
    from lacquersim.sim.coats import simulate_coats

    try:
        b = simulate_coats(f, f.recipe.coats.count, f.recipe.coats.interval_hours, rtol=rtol)
    except RecipeError as exc:
        row = _row(f.recipe, _NONE, np.nan, f"invalid: {exc}", np.nan)
    except SolverError as exc:
        row = _row(f.recipe, _NONE, np.nan, exc.cause, exc.time_h)
    else:
        steps = sum(int(c.trajectory.stats["steps"]) for c in b.coats)
        row = _row(f.recipe, b.stages.to_numpy(), b.wrinkle_index, "ok", np.nan, steps=steps)
        if details:
            top = b.coats[-1]
            first = next((f"{STAGE_LABELS[k]}: {v}" for k, v in top.reasons.items() if v), "")
            row.update({"final_tg_minus_t_c": top.summary()["final_tg_minus_t_c"], "reason": first})
            return row
    if details:
        row.update(_FAILED)
    return row


def _row(rec, stages_h, wrinkle, status, failed_at_h, steps=0) -> dict:
    # not getattr(rec, "name", str(rec)): the default would be built (a
    # dataclass repr of the whole recipe, ~10 µs) for every row
    row = {"recipe": rec.name if hasattr(rec, "name") else str(rec)}
    row.update({s: float(v) for s, v in zip(STAGES, stages_h)})
    row.update({"wrinkle_index": float(wrinkle), "status": status,
                "failed_at_h": float(failed_at_h), "steps": steps})
    return row
