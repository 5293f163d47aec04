"""Drying stages located on a solved trajectory, and why a stage was not reached.

The stages are declared in :mod:`lacquersim.model.stages`. A stage is the
first time at or after the previous stage at which its indicator ``g ≥ 0``;
a condition already true at the previous stage (or at the start) is
reported there. Inside a step the crossing is located with Brent's method
on the integrator's interpolant. (The compiled solver locates them itself,
the same way; this module then only explains the missing ones.)
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy.optimize import brentq

from lacquersim.kernels import film

from lacquersim.kernels import laws

from lacquersim.kernels import layout
from lacquersim.kernels.film import NF, F_E
from lacquersim.kernels.indicators import N_STAGES, indicator, indicators, wrinkle
from lacquersim.i18n import N_, _
from lacquersim.model.stages import STAGE_TABLE, STAGES, stage_label

__all__ = ["STAGES", "StageInfo", "detect_stages", "indicators", "end_figures"]

assert len(STAGE_TABLE) == N_STAGES


@dataclass
class StageInfo:
    """Stage times (s, NaN if not reached) and the reason for each missing one."""

    times_s: np.ndarray
    reasons: list
    wrinkle_index: float


def _g(t, y, p, dz, k, win):
    return indicator(k, t, y, p, dz, *win)


def detect_stages(problem, traj, material) -> StageInfo:
    """Find the four stage times in a solved trajectory."""
    alpha_gel = float(material["alpha_gel"])
    dz = problem.dz
    if traj.stage_times_s is not None:  # located by the compiled solver
        times = np.asarray(traj.stage_times_s, dtype=float)
        reached = np.isfinite(times)
        k = int(np.argmin(reached)) if not reached.all() else N_STAGES
        return StageInfo(times_s=times, reasons=_reasons(problem, traj, material, k, alpha_gel),
                         wrinkle_index=float(traj.wrinkle_index))
    win = problem.tracked
    times = np.full(N_STAGES, np.nan)
    k = 0
    t_prev = 0.0
    g = np.empty(N_STAGES)
    for seg in traj.segments:
        p = seg.p
        G = np.empty((len(seg.ts), N_STAGES))
        for j in range(len(seg.ts)):
            indicators(seg.ts[j], seg.ys[j], p, dz, *win, g)
            G[j] = g
        for j in range(len(seg.ts) - 1):
            ta, tb = seg.ts[j], seg.ts[j + 1]
            while k < N_STAGES:
                lo = max(ta, t_prev)
                if lo > tb:
                    break
                g_lo = G[j, k] if lo == ta else _g(lo, seg(lo), p, dz, k, win)
                if g_lo >= 0.0:
                    times[k] = lo
                    t_prev = lo
                    k += 1
                    continue
                if G[j + 1, k] >= 0.0:
                    f = lambda t: _g(t, seg(t), p, dz, k, win)  # noqa: E731
                    root = brentq(f, lo, tb, xtol=1e-9 * tb + 1e-9, rtol=1e-12)
                    times[k] = root
                    t_prev = root
                    k += 1
                    continue
                break
        if len(seg.ts) == 1:
            continue
    W = wrinkle_index(problem, traj, times[0]) if np.isfinite(times[0]) else np.nan
    return StageInfo(times_s=times, reasons=_reasons(problem, traj, material, k, alpha_gel), wrinkle_index=W)


def _reasons(problem, traj, material, k, alpha_gel) -> list:
    """'' for reached stages; the cause for the first missing one; a pointer for later ones."""
    reasons = [""] * N_STAGES
    if k < N_STAGES:
        why = _why_not(problem, traj, material, k, alpha_gel)
        for kk in range(k, N_STAGES):
            reasons[kk] = why if kk == k else _("{stage} not reached first").format(
                stage=_(_HYPHENATED.get(STAGE_TABLE[k].name, STAGE_TABLE[k].label)))
    return reasons


# a stage's name as a modifier ("set-to-touch not reached first")
_HYPHENATED = {"set_to_touch": N_("set-to-touch"), "tack_free": N_("tack-free"),
               "dry_hard": N_("dry-hard"), "dry_through": N_("dry-through")}
# the part of the film a reason quotes (Stage.where)
_WHERE = {"surface": N_("surface"), "mean": N_("mean"), "substrate": N_("substrate")}


class _End:
    """What :func:`_why_not` reads of a trajectory, from a run that kept only its end."""

    def __init__(self, problem, y_end):
        self.y_end = y_end
        self.params = problem.params
        self.t_end = float(problem.t_bounds[-1])


def end_figures(problem, material, y_end, times_s) -> tuple[float, str]:
    """From the final state alone (a batch run keeps no trajectory): the
    surface's Tg − T at the end (K), and why the first stage not reached was
    not ('' when every stage was), as ``"tack free: <why>"``."""
    p = problem.params[-1]
    T_end = laws.conditions(float(problem.t_bounds[-1]), p)[0]
    N = problem.n_cells
    diag = np.empty((N, 4))
    film.cell_diagnostics(y_end, N, p, T_end, diag)
    hardness = float(diag[problem.tracked[1] - 1, 1] - T_end)
    reached = np.isfinite(times_s)
    if reached.all():
        return hardness, ""
    k = int(np.argmin(reached))
    why = _why_not(problem, _End(problem, y_end), material, k, float(material["alpha_gel"]))
    return hardness, f"{stage_label(STAGE_TABLE[k].name)}: {why}"


def wrinkle_index(problem, traj, t_set: float) -> float:
    """Wrinkle index at set-to-touch (see :func:`wrinkle`)."""
    return float(wrinkle(t_set, traj(t_set), traj.segment_at(t_set).p, problem.dz, *problem.tracked))


def _why_not(problem, traj, material, k, alpha_gel) -> str:
    """A person-readable reason why stage k was not reached, in terms of the
    part of the film the stage looks at (surface, mean or substrate)."""
    stage = STAGE_TABLE[k]
    y = traj.y_end
    p = traj.params[-1]
    N = problem.n_cells
    i0, i1 = problem.tracked
    T_end, rh_end = laws.conditions(traj.t_end, p)
    hours = traj.t_end / 3600.0
    diag = np.empty((N, 4))
    film.cell_diagnostics(y, N, p, T_end, diag)
    e_mean = float(np.mean(y[NF * i0 + F_E:NF * i1:NF]))
    t_max_c = max(max(q[layout.P_TA], q[layout.P_TB]) for q in traj.params) - 273.15
    w = problem.dz[i0:i1] / problem.dz[i0:i1].sum()
    cell = {"surface": i1 - 1, "substrate": i0}.get(stage.where)
    if cell is None:  # the thickness average, as the stage tests it
        where = _(_WHERE["mean"])
        a_here, tg_here, aw_here, h_here = (float(w @ diag[i0:i1, j]) for j in range(4))
    else:
        where = _(_WHERE.get(stage.where, stage.where))
        a_here, tg_here, aw_here, h_here = diag[cell]
    tg1_c = p[layout.P_TG1] - 273.15
    glass = stage.indicator in (1, 3)
    if glass and T_end - 273.15 >= tg1_c - 1.0:
        return _("film temperature {t} °C is above the cured film's Tg ({tg} °C); it can only "
                 "vitrify on cooling").format(t=f"{T_end - 273.15:.0f}", tg=f"{tg1_c:.0f}")
    if material.enzymatic and not glass:
        dead = e_mean < 0.02
        if dead and t_max_c > 40.0:
            return _("laccase inactivated by heat (up to {t} °C); {where} conversion stalled at "
                     "{a} (gel point {gel})").format(t=f"{t_max_c:.0f}", where=where,
                                                     a=f"{a_here:.2f}", gel=f"{alpha_gel:.2f}")
        # a dried-out film stops its laccase at once, long before the enzyme is gone
        # (quoted for the part of the film the stage tests)
        if h_here < 0.5:
            return (_("film dried out: {where} water activity {aw} is below the laccase "
                      "hydration threshold {threshold} (air {rh} % RH), so the laccase stopped")
                    .format(where=where, aw=f"{aw_here:.2f}", threshold=f"{p[layout.P_ACRIT]:.2f}",
                            rh=f"{rh_end * 100:.0f}")
                    + (_(" and died") if dead else _(" there")))
        if dead:
            return _("laccase inactivated before the film gelled")
    # vitrified below the gel point: reactions frozen (cold)
    mu = 1.0 / (1.0 + np.exp(np.clip((tg_here - T_end) / p[layout.P_WG], -700, 700)))
    if not glass and mu < 0.05:
        return _("reactions frozen: at {t} °C the film vitrified ({where} Tg {tg} °C) at "
                 "{where} conversion {a}, below the gel point {gel}").format(
                     t=f"{T_end - 273.15:.0f}", where=where, tg=f"{tg_here - 273.15:.0f}",
                     a=f"{a_here:.2f}", gel=f"{alpha_gel:.2f}")
    return _("horizon too short: not reached within {h} h ({where} conversion {a}, gel point "
             "{gel}, {where} Tg {tg} °C)").format(h=f"{hours:.4g}", where=where, a=f"{a_here:.2f}",
                                                   gel=f"{alpha_gel:.2f}",
                                                   tg=f"{tg_here - 273.15:.0f}")
