"""Multi-coat builds: coats applied one on another at given intervals.

Coat ``j`` is applied at ``applied_h[j]`` on the stack built so far: its
cells are added on top of the previous coats' cells, which carry on with the
state they had reached (the previous coat is the substrate). Each interval
between applications is one film problem with the whole stack; its stages
are those of the coat on top (a window of cells), timed from that coat's
application, and reported per coat. A coat's stages not reached before the
next coat goes on are reported missing, with that reason.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property

import numpy as np
import pandas as pd


from lacquersim.kernels import film, laws

from lacquersim.kernels import layout
from lacquersim.errors import RecipeError
from lacquersim.i18n import _
from lacquersim.model.problem import FilmProblem, initial_vector
from lacquersim.sim.prepared import PreparedFilm
from lacquersim.sim.result import FIGURES, Result
from lacquersim.sim.solver import BDFSolver
from lacquersim.model.stages import STAGES
from lacquersim.sim.stages import StageInfo, detect_stages

__all__ = ["simulate_coats", "BuildResult"]

#: The end-of-schedule figures a coat has of its own (the others are the build's).
COAT_FIGURES = ("final_tg_minus_t_c", "water_left_percent", "catechol_converted_percent")


def _clip(problem: FilmProblem, a_s: float, b_s: float):
    """Schedule segments of ``problem`` restricted to [a_s, b_s] (s)."""
    tb = problem.t_bounds
    bounds = [a_s]
    params = []
    for k, p in enumerate(problem.params):
        lo, hi = max(tb[k], a_s), min(tb[k + 1], b_s)
        if hi > lo:
            params.append(p)
            bounds.append(hi)
    return np.array(bounds), params


@dataclass
class BuildResult:
    """Per-coat results of a multi-coat build.

    Attributes
    ----------
    coats : list of Result
        One per coat: the whole stack from that coat's application until the
        next one (or the end of the schedule), stages for the coat on top.
    coat_stages : pandas.DataFrame
        One row per coat: ``applied_h`` (h from the first application), the
        four stages (h after that coat's application, NaN if not reached),
        ``wrinkle_index`` and ``reason`` for the first missing stage.
    figures : pandas.DataFrame
        End-of-schedule figures of the ``"whole build"`` and of each coat
        (``"coat 1"``, ...); see :attr:`figures`.
    """

    coats: list
    coat_stages: pd.DataFrame

    @property
    def stages(self) -> pd.Series:
        """Stages of the top coat (h after its application)."""
        return self.coats[-1].stages

    @property
    def reasons(self) -> pd.Series:
        return self.coats[-1].reasons

    @property
    def wrinkle_index(self) -> float:
        """The largest wrinkle index of any coat."""
        return float(self.coat_stages.wrinkle_index.max())

    @property
    def initial_state(self) -> pd.Series:
        return self.coats[-1].initial_state

    @property
    def history(self) -> pd.DataFrame:
        """Drying curves of the build, first application to the end: in each
        interval, of the coat on top (see :attr:`Result.history`)."""
        return pd.concat([c.history for c in self.coats], ignore_index=True)

    @cached_property
    def figures(self) -> pd.DataFrame:
        """End-of-schedule figures, one row for the ``"whole build"`` and one per coat.

        Columns as :attr:`Result.figures`: ``wrinkle_index`` (the build: the
        largest), ``final_tg_minus_t_c`` (the build: at the air surface; a
        coat: at its top cell), ``water_left_percent`` (by volume),
        ``o2_consumed_mol_m2`` (the build only; NaN for a coat) and
        ``catechol_converted_percent`` (since each cell's application).
        """
        top = self.coats[-1]
        y = top.trajectory.y_end
        nf, n = layout.NF, top.n_cells
        N = n // len(self.coats)
        p = top.trajectory.params[-1]
        T, _rh = laws.conditions(top.trajectory.t_end, p)
        diag = np.empty((n, 4))
        film.cell_diagnostics(y, n, p, T, diag)
        cells = y[: nf * n].reshape(n, nf)
        # each coat's cells as they were when that coat went on
        m0 = np.concatenate([c.problem.y0[: nf * (j + 1) * N].reshape(-1, nf)[j * N:, layout.F_M]
                             for j, c in enumerate(self.coats)])
        dz = top.problem.dz

        def part(a, b):
            w = dz[a:b] / dz[a:b].sum()
            return {"final_tg_minus_t_c": float(diag[b - 1, 1] - T),
                    "water_left_percent": 100.0 * float(w @ cells[a:b, layout.F_PHI]),
                    "catechol_converted_percent": 100.0 * float(w @ (m0[a:b] - cells[a:b, layout.F_M]))}

        rows = {"whole build": {"wrinkle_index": self.wrinkle_index, **part(0, n),
                                "o2_consumed_mol_m2": float(top.balances()["o2_consumed_mol_m2"])}}
        for j, (coat, r) in enumerate(self.coat_stages.iterrows()):
            rows[f"coat {coat}"] = {"wrinkle_index": float(r.wrinkle_index),
                                    **part(j * N, (j + 1) * N), "o2_consumed_mol_m2": np.nan}
        df = pd.DataFrame.from_dict(rows, orient="index")[list(FIGURES)]
        df.index.name = "of"
        return df

    def summary(self) -> dict:
        """The top coat's summary, with the figures of the whole build and each coat's own.

        ``stages_h`` are the top coat's (``stages_of``); the end-of-schedule
        figures are the whole build's (``figures_of``); each row of ``coats``
        has that coat's stages and figures.
        """
        s = self.coats[-1].summary()
        figs = self.figures

        def num(v):
            return None if isinstance(v, float) and not np.isfinite(v) else v

        s.update({"stages_of": "top coat", "figures_of": "whole build"})
        s.update({k: num(float(v)) for k, v in figs.loc["whole build"].items()})
        rows = []
        for coat, r in self.coat_stages.iterrows():
            d = {"coat": int(coat)}
            d.update({k: num(v) for k, v in r.items()})
            d.update({k: float(v) for k, v in figs.loc[f"coat {coat}"].items()
                      if k in COAT_FIGURES})
            rows.append(d)
        s["coats"] = rows
        return s

    @property
    def applied_h(self) -> float:
        """When the top coat (whose stages are :attr:`stages`) went on, h."""
        return self.coats[-1].applied_h

    @property
    def recipe(self):
        return self.coats[-1].recipe

    def plot(self):
        """Drying curves of every coat, each coat's stages marked in its
        interval; returns a matplotlib Figure (see :mod:`lacquersim.sim.figures`)."""
        from lacquersim.sim.figures import build_figure

        return build_figure(self)


def simulate_coats(prepared: PreparedFilm, n_coats: int, interval_hours, rtol: float = 1e-6,
                   solver=None) -> BuildResult:
    """Simulate ``n_coats`` coats of a prepared film, each with its cells.

    Parameters
    ----------
    prepared : PreparedFilm
        One coat; its schedule runs from the first application on and must
        last beyond the last application.
    interval_hours : float or sequence of float
        Time between successive applications, h (one value for all, or
        ``n_coats − 1`` values).
    """
    n_coats = int(n_coats)
    if not 1 <= n_coats <= 20:
        raise RecipeError(_("{n} coats is not allowed; 1 to 20").format(n=n_coats),
                          field="coats.count")
    gaps = np.broadcast_to(np.asarray(interval_hours, dtype=float), (max(n_coats - 1, 0),))
    if np.any(~np.isfinite(gaps)) or np.any(gaps <= 0):
        raise RecipeError(_("intervals between coats must be > 0 h"),
                          field="coats.interval_hours")
    schedule = prepared.schedule
    applied = np.concatenate([[0.0], np.cumsum(gaps)])
    if applied[-1] >= schedule.total_hours:
        raise RecipeError(
            _("the last coat goes on at {last} h but the drying schedule lasts only {total} h; "
              "make the schedule longer than the coats' total interval").format(
                  last=f"{applied[-1]:g}", total=f"{schedule.total_hours:g}"),
            field="coats.interval_hours")
    state = prepared.state
    base = prepared.problem
    mat = prepared.material
    solver = BDFSolver(rtol=rtol) if solver is None else solver
    N, nf, nq = base.n_cells, layout.NF, layout.NQ
    ends = np.append(applied[1:], schedule.total_hours) * 3600.0
    cells = np.empty(0)
    quad = np.zeros(nq)
    results, rows = [], []
    for j in range(n_coats):
        a_s, b_s = applied[j] * 3600.0, ends[j]
        bounds, params = _clip(base, a_s, b_s)
        params = [p.copy() for p in params]
        coat = initial_vector(params[0], state, N)[: nf * N]
        T0, _rh0 = laws.conditions(a_s, params[0])
        coat[layout.F_C::nf] = laws.c_saturation(T0, params[0])
        y0 = np.concatenate([cells, coat, quad])
        pr = FilmProblem(dz=np.tile(base.dz, j + 1), y0=y0, t_bounds=bounds, params=params,
                         window=(j * N, (j + 1) * N))
        traj = solver.integrate(pr)
        info = detect_stages(pr, traj, mat)
        rel = info.times_s - a_s
        reasons = list(info.reasons)
        if j < n_coats - 1:
            first = next((k for k in range(len(STAGES)) if not np.isfinite(rel[k])), None)
            if first is not None:
                reasons[first] = _("not reached before the next coat went on ({h} h after this "
                                   "one)").format(h=f"{(b_s - a_s) / 3600.0:g}")
        info_rel = StageInfo(times_s=rel, reasons=reasons, wrinkle_index=info.wrinkle_index)
        res = Result(prepared, traj, info_rel, problem=pr, applied_h=applied[j])
        results.append(res)
        first_missing = next((r for r in reasons if r), "")
        rows.append({"coat": j + 1, "applied_h": applied[j],
                     **{s: rel[k] / 3600.0 for k, s in enumerate(STAGES)},
                     "wrinkle_index": info.wrinkle_index, "reason": first_missing})
        y_end = traj.y_end
        cells = y_end[: nf * (j + 1) * N].copy()
        quad = y_end[nf * (j + 1) * N:].copy()
    return BuildResult(coats=results, coat_stages=pd.DataFrame(rows).set_index("coat"))
