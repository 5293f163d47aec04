"""The result of one film simulation, in units a person uses."""

from __future__ import annotations

from functools import cached_property

import numpy as np
import pandas as pd

from lacquersim.kernels import film

from lacquersim.kernels import laws
from lacquersim.kernels.film import NF, F_PHI, F_C, F_M, F_S, F_E
from lacquersim.model.stages import STAGES

__all__ = ["Result"]

_STAGE_INDEX = pd.Index(list(STAGES))  # built once: cheaper Series per result
_HISTORY_COLUMNS = ["time_h", "temperature_c", "rh_percent",
                    "conversion_surface", "conversion_mean", "conversion_bottom",
                    "tg_surface_c", "tg_bottom_c",
                    "water_mean_percent", "water_surface_percent",
                    "o2_mean_mol_m3", "laccase_mean_percent"]
#: The end-of-schedule figures of a summary (:attr:`Result.figures`).
FIGURES = ("wrinkle_index", "final_tg_minus_t_c", "water_left_percent", "o2_consumed_mol_m2",
           "catechol_converted_percent")


class Result:
    """Drying of one coat: stages, histories, profiles, summary and plot.

    Attributes
    ----------
    stages : pandas.Series
        Hours from application to each stage (NaN if not reached).
    reasons : pandas.Series
        Why each missing stage was not reached ('' if reached).
    initial_state : pandas.Series
        The refined state the film started from.
    """

    def __init__(self, film, trajectory, stage_info, *, problem=None, applied_h: float = 0.0):
        #: the prepared film (recipe, parameters, refined state) that was solved
        self.film = film
        #: when this coat went on, h from the first application; stages are
        #: timed from it, history and profiles from the first application
        self.applied_h = float(applied_h)
        self.recipe = film.recipe
        self.schedule = film.schedule
        #: the kernel problem solved (for a coat of a build: the whole stack)
        self.problem = film.problem if problem is None else problem
        self.trajectory = trajectory
        self._info = stage_info
        self.stages = pd.Series(stage_info.times_s / 3600.0, index=_STAGE_INDEX, name="hours")
        self._reasons = None
        self._initial = None

    @property
    def initial_state(self) -> pd.Series:
        """The refined state the film started from (see :func:`lacquersim.refine`)."""
        # built on first use: a Series costs ~10 µs, and sweeps that loop
        # over simulate() never look at it
        if self._initial is None:
            self._initial = self.film.initial_state
        return self._initial

    @property
    def reasons(self) -> pd.Series:
        """Why each missing stage was not reached ('' if reached)."""
        # built on first use: an object Series costs ~15 µs, 1–2 % of a
        # 50-cell simulation, and most callers never look at it
        if self._reasons is None:
            self._reasons = pd.Series(self._info.reasons, index=_STAGE_INDEX, name="reason")
        return self._reasons

    # -- state access --------------------------------------------------------
    @property
    def n_cells(self) -> int:
        return self.problem.n_cells

    @property
    def thickness_um(self) -> float:
        return float(self.problem.dz.sum() * 1e6)

    @property
    def wrinkle_index(self) -> float:
        """max |d alpha/dz|·L at set-to-touch (> 1: wrinkle risk); NaN if it never set."""
        return float(self._info.wrinkle_index)

    def state_at(self, hours: float) -> np.ndarray:
        """Raw kernel state vector at ``hours`` (see :mod:`lacquersim.film`)."""
        t = float(hours) * 3600.0
        t0 = self.trajectory.t_start
        if not (t0 * (1 - 1e-12) <= t <= self.trajectory.t_end * (1 + 1e-12)):
            raise ValueError(f"time {hours} h is outside the simulated {t0 / 3600:g} to "
                             f"{self.trajectory.t_end / 3600:g} h")
        return self.trajectory(min(max(t, t0), self.trajectory.t_end))

    def _cells(self, t_s: float, y: np.ndarray) -> pd.DataFrame:
        N = self.n_cells
        p = self.trajectory.segment_at(t_s).p
        T, _ = laws.conditions(t_s, p)
        diag = np.empty((N, 4))
        film.cell_diagnostics(y, N, p, T, diag)
        cells = y[: NF * N].reshape(N, NF)
        z = np.cumsum(self.problem.dz) - 0.5 * self.problem.dz
        return pd.DataFrame({
            "z_um": z * 1e6,
            "water_percent": cells[:, F_PHI] * 100.0,
            "o2_mol_m3": cells[:, F_C],
            "catechol_left": cells[:, F_M],
            "double_bonds_left": cells[:, F_S],
            "laccase_percent": cells[:, F_E] * 100.0,
            "conversion": diag[:, 0],
            "tg_c": diag[:, 1] - 273.15,
            "water_activity": diag[:, 2],
        })

    def profiles(self, hours) -> pd.DataFrame:
        """Depth profiles at the given times (h), tidy: one row per (time, cell).

        ``z_um`` is the height above the substrate (µm); water is % by volume.
        """
        frames = []
        for h in np.atleast_1d(hours):
            y = self.state_at(h)
            df = self._cells(float(h) * 3600.0, y)
            df.insert(0, "time_h", float(h))
            frames.append(df)
        return pd.concat(frames, ignore_index=True)

    @cached_property
    def history(self) -> pd.DataFrame:
        """Drying curves over time: surface / mean / bottom conversion, Tg, water, O2, laccase.

        For a coat of a build, of that coat's cells: its surface is the air
        surface (it is the top coat until the next goes on), its bottom lies
        on the coat below.

        Rows at 240 evenly spaced times plus the schedule boundaries and
        the stage times.
        """
        t_end = self.trajectory.t_end
        t0 = self.trajectory.t_start
        ts = np.linspace(t0, t_end, 241)
        extra = list(self.problem.t_bounds) + [t + self.applied_h * 3600.0
                                               for t in self._info.times_s if np.isfinite(t)]
        ts = np.unique(np.clip(np.concatenate([ts, extra]), t0, t_end))
        rows = []
        for t in ts:
            rows.append(self._history_row(t, self.trajectory(t), self.trajectory.segment_at(t).p))
        return pd.DataFrame(rows, columns=_HISTORY_COLUMNS)

    def _history_row(self, t: float, y: np.ndarray, p: np.ndarray) -> tuple:
        """One row of :attr:`history` for state y at time t (s) under parameters p."""
        N = self.n_cells
        # the cells whose stages are reported: a build's coat is its own cells,
        # so its curves are those its stages are read from
        i0, i1 = self.problem.tracked
        dz = self.problem.dz[i0:i1]
        w = dz / dz.sum()
        T, rh = laws.conditions(t, p)
        diag = np.empty((N, 4))
        film.cell_diagnostics(y, N, p, T, diag)
        diag = diag[i0:i1]
        cells = y[: NF * N].reshape(N, NF)[i0:i1]
        return (t / 3600.0, T - 273.15, rh * 100.0,
                diag[-1, 0], float(w @ diag[:, 0]), diag[0, 0],
                diag[-1, 1] - 273.15, diag[0, 1] - 273.15,
                100.0 * float(w @ cells[:, F_PHI]), 100.0 * cells[-1, F_PHI],
                float(w @ cells[:, F_C]), 100.0 * float(w @ cells[:, F_E]))

    # -- balances --------------------------------------------------------------
    def balances(self, hours: float | None = None) -> pd.Series:
        """O2 and water (volatile) balances at ``hours`` (end if None).

        ``o2_residual`` = (stored change + consumed − taken up) / scale, the
        scale being the largest of those terms or the film's O2 at saturation;
        ``water_residual`` likewise for the volatile, with a floor of 0.1 % of
        the film volume. Both ≈ 0.
        """
        t = self.trajectory.t_end if hours is None else float(hours) * 3600.0
        y = self.trajectory(t)
        y0 = self.problem.y0
        N = self.n_cells
        dz = self.problem.dz
        q = y[NF * N:]
        o2_store = float(dz @ (y[F_C:NF * N:NF] - y0[F_C:NF * N:NF]))
        w_store = float(dz @ (y[F_PHI:NF * N:NF] - y0[F_PHI:NF * N:NF]))
        o2_in, o2_used, v_out, w_made = q
        # relative to the largest flow or inventory; floors keep a film that
        # holds (almost) none of a species from dividing noise by zero:
        # O2 saturation of the film, and 0.1 % of its volume for the volatile
        L = float(dz.sum())
        o2_scale = max(abs(o2_in), abs(o2_used), abs(o2_store), float(dz @ y0[F_C:NF * N:NF]), 1e-30)
        w_scale = max(abs(v_out), abs(w_made), abs(w_store), float(dz @ y0[F_PHI:NF * N:NF]), 1e-3 * L)
        return pd.Series({
            "o2_taken_up_mol_m2": o2_in, "o2_consumed_mol_m2": o2_used, "o2_stored_mol_m2": o2_store,
            "o2_residual": (o2_store + o2_used - o2_in) / o2_scale,
            "volatile_lost_um": v_out * 1e6, "water_made_um": w_made * 1e6, "volatile_stored_um": w_store * 1e6,
            "water_residual": (w_store + v_out - w_made) / w_scale,
        })

    # -- report ----------------------------------------------------------------
    def summary(self) -> dict:
        """JSON-ready summary: stages (h, None if missing), reasons and end-of-schedule numbers."""
        N = self.n_cells
        y = self.trajectory.y_end
        # from the final state: the summary must not need the dense output
        end = dict(zip(_HISTORY_COLUMNS, self._history_row(self.trajectory.t_end, y,
                                                           self.trajectory.params[-1])))
        i0, i1 = self.problem.tracked
        dz = self.problem.dz[i0:i1]
        m0 = self.problem.y0[F_M:NF * N:NF][i0:i1]
        conv = float(dz @ (m0 - y[F_M:NF * N:NF][i0:i1]) / dz.sum())
        bal = self.balances()

        def num(x):
            return None if not np.isfinite(x) else float(x)

        return {
            "recipe": self.recipe.name,
            "material": self.recipe.material,
            "thickness_um": round(self.thickness_um, 6),  # the mesh sum, to µm rounding
            "n_cells": N,
            "schedule": self.schedule.to_list(),
            "stages_h": {k: num(v) for k, v in self.stages.items()},
            "reasons": {k: v for k, v in self.reasons.items() if v},
            "wrinkle_index": num(self.wrinkle_index),
            "final_tg_minus_t_c": float(end["tg_surface_c"] - end["temperature_c"]),
            "water_left_percent": float(end["water_mean_percent"]),
            "o2_consumed_mol_m2": float(bal["o2_consumed_mol_m2"]),
            "catechol_converted_percent": 100.0 * conv,
            "initial_state": {k: float(v) for k, v in self.initial_state.items()},
            "solver": {k: int(v) for k, v in self.trajectory.stats.items()},
        }

    @property
    def figures(self) -> pd.Series:
        """End-of-schedule figures of :meth:`summary` (wrinkle index, surface
        Tg − T in K, water left in vol %, O2 consumed in mol/m², catechol
        converted in %), as a Series."""
        s = self.summary()
        return pd.Series({k: np.nan if s[k] is None else s[k] for k in FIGURES}, name="figures",
                         dtype=float)

    def plot(self):
        """Drying curves with the stage times marked; returns a matplotlib Figure.

        Panels: network conversion (surface, mean, substrate; gel point
        dotted), Tg − T at surface and substrate (tack-free / dry-through
        when it crosses 0), water and active laccase, and the air's
        temperature and RH; the stages defined under them. See
        :mod:`lacquersim.sim.figures`.
        """
        from lacquersim.sim.figures import run_figure

        return run_figure(self)

    def __repr__(self) -> str:
        st = ", ".join(f"{k}={v:.3g} h" if np.isfinite(v) else f"{k}=—" for k, v in self.stages.items())
        return f"<Result {self.recipe.name!r}: {st}>"
