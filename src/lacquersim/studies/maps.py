"""The drying map: how long a recipe takes to dry over temperature × humidity.

:func:`drying_map` runs a recipe under constant conditions on a grid of air
temperature and relative humidity, all cases in one batch
(:func:`lacquersim.sweep.sweep`); :func:`workshop_months` gives a Phu Tho
workshop's air through the day in every month, from the station records;
:func:`plot_drying_maps` draws the tack-free and dry-hard maps with the
months on them, the way a technician pins it on the workshop wall.
:func:`months_on_map` reads the map at each month's daily mean.

In the tables a stage time of NaN means "not reached within the horizon"
(with ``status == "ok"``), never a missing value.
"""

from __future__ import annotations

import math
from typing import Any, Sequence

import numpy as np
import pandas as pd

from lacquersim.errors import RecipeError
from lacquersim.i18n import _
from lacquersim.plotfiles import image_format, save_figure  # noqa: F401 (re-exported)
from lacquersim.model.stages import STAGES, stage_label

__all__ = ["drying_map", "workshop_months", "months_on_map", "plot_drying_map",
           "plot_drying_maps", "DEFAULT_TEMPERATURES_C",
           "DEFAULT_RH_PERCENT", "COLUMNS"]

#: Default temperatures, °C: an unheated workshop's range, and warm cabinets.
DEFAULT_TEMPERATURES_C: tuple[float, ...] = tuple(float(t) for t in np.arange(10.0, 40.01, 1.0))
#: Default humidities, %: up to saturated air (night air in Phu Tho reaches 98 %).
DEFAULT_RH_PERCENT: tuple[float, ...] = tuple(float(r) for r in np.arange(40.0, 100.01, 2.0))
#: Columns of :func:`drying_map`'s table.
COLUMNS: tuple[str, ...] = ("temperature_c", "rh_percent", *(f"{s}_h" for s in STAGES), "status")

_T, _RH = "drying.temperature_c", "drying.rh_percent"
# Colour bands (h) of the map, cut at the horizon; labelled contours at times a
# working day is planned by.
_BANDS_H = (0.0, 1.0, 2.0, 4.0, 6.0, 8.0, 12.0, 16.0, 24.0, 36.0, 48.0, 72.0, 96.0, 120.0,
            168.0, 240.0, 336.0, 504.0, 720.0, 1000.0, 1500.0, 2000.0)
_LABELLED_H = (4.0, 8.0, 12.0, 24.0, 48.0)
_NOT_DRY = dict(facecolor="0.88", edgecolor="0.55", hatch="///", linewidth=0.0)


# ---------------------------------------------------------------------------
# The map
# ---------------------------------------------------------------------------
def drying_map(recipe, temperatures_c: Sequence[float] | None = None,
               rh_percent: Sequence[float] | None = None, *, horizon_h: float = 72.0,
               n_cells: int = 30, parameters: Any = None) -> pd.DataFrame:
    """Stage times of ``recipe`` under constant conditions over temperature × humidity.

    Every grid point dries the recipe's film at constant air temperature and
    humidity for ``horizon_h`` hours, at the air speed of the recipe's first
    drying step; the recipe's own schedule (constant, steps or a preset) is
    replaced. All points run in one batch.

    Parameters
    ----------
    recipe : Recipe, or a bundled recipe name or recipe file
        One coat (a multi-coat recipe is refused: its stages depend on the
        recoating times, not on the air alone).
    temperatures_c : sequence of float, optional
        Air temperatures, °C (at least 2 different values, within the
        schema's range of ``drying.temperature_c``). Default
        :data:`DEFAULT_TEMPERATURES_C`, 10 to 40 °C in steps of 1.
    rh_percent : sequence of float, optional
        Relative humidities, % (at least 2 different values, 0 to 100).
        Default :data:`DEFAULT_RH_PERCENT`, 40 to 100 % in steps of 2.
    horizon_h : float
        How long each film dries, h (the schema's range of ``drying.hours``).
    n_cells : int
        Cells through the film thickness (3 to 2000; 30 keeps the default
        map under about a second once compiled).
    parameters : optional
        Model parameters, as for :func:`lacquersim.simulate`.

    Returns
    -------
    pandas.DataFrame
        One row per (temperature, humidity), temperature varying slowest,
        both ascending: :data:`COLUMNS`. A stage column is the time in hours
        after application, NaN if the stage is not reached within
        ``horizon_h``; ``status`` is "ok" or why the solver failed (then
        every stage is NaN). ``attrs`` holds ``recipe`` (its name),
        ``horizon_h``, ``air_speed_m_s`` and ``n_cells``.

    Raises
    ------
    RecipeError
        A bad argument, with ``field`` naming it (``"temperatures_c"``,
        ``"rh_percent"``, ``"horizon_h"``, ``"n_cells"``, ``"coats"``, ...).
    """
    from lacquersim.model.problem import check_n_cells
    from lacquersim.sim.prepared import as_recipe
    from lacquersim.sweep import sweep

    recipe = as_recipe(recipe)
    if recipe.coats is not None and recipe.coats.count > 1:
        raise RecipeError(f"the drying map is of one coat; this recipe builds "
                          f"{recipe.coats.count} coats. Map a copy without 'coats'",
                          field="coats")
    try:
        n_cells = check_n_cells(n_cells)
    except RecipeError as e:
        raise RecipeError(e.problem, field="n_cells") from None
    base = _constant_drying(recipe, horizon_h)
    temps = _axis(base, temperatures_c, DEFAULT_TEMPERATURES_C, _T, "temperatures_c")
    rhs = _axis(base, rh_percent, DEFAULT_RH_PERCENT, _RH, "rh_percent")
    res = sweep(base, {_T: temps, _RH: rhs}, n_cells=n_cells, parameters=parameters)
    table = res.rename(columns={_T: "temperature_c", _RH: "rh_percent",
                                **{s: f"{s}_h" for s in STAGES}})[list(COLUMNS)]
    table.attrs = {"recipe": recipe.title, "horizon_h": float(base.drying.total_hours),
                   "air_speed_m_s": float(base.drying.steps[0].air_speed_m_s), "n_cells": n_cells}
    return table


def _constant_drying(recipe, horizon_h):
    """``recipe`` drying at its first step's conditions for ``horizon_h`` hours."""
    first = recipe.drying.steps[0]
    # The whole "drying" section is replaced, so a preset's own keys (month,
    # cool_hours, ...) go with it.
    try:
        return recipe.with_values({"drying": {
            "temperature_c": first.temperature_c, "rh_percent": first.rh_percent,
            "hours": horizon_h, "air_speed_m_s": first.air_speed_m_s}})
    except RecipeError as e:
        if e.field == "drying.hours":
            raise RecipeError(e.problem, field="horizon_h") from None
        raise


def _axis(base, values, default, path: str, name: str) -> list[float]:
    """The grid values of one axis, each checked as the schema checks ``path``."""
    if values is None:
        return list(default)
    if isinstance(values, (str, bytes)) or not hasattr(values, "__iter__"):
        raise RecipeError(f"expected a list of numbers, got {values!r}", field=name)
    values = list(values.tolist() if hasattr(values, "tolist") else values)
    for v in values:
        try:
            base.with_values({path: v})
        except RecipeError as e:
            raise RecipeError(e.problem, field=name) from None
    distinct = sorted({float(v) for v in values})
    if len(distinct) < 2:
        raise RecipeError(f"a map needs at least 2 different values, got {values!r}", field=name)
    return distinct


def _grid(table: pd.DataFrame, column: str):
    """(temperatures, humidities, values[rh, t]) of a :func:`drying_map` table."""
    missing = [c for c in ("temperature_c", "rh_percent", column) if c not in table.columns]
    if missing:
        raise RecipeError(f"not a drying-map table: no column {', '.join(missing)} "
                          f"(see lacquersim.studies.maps.drying_map)", field="table")
    try:
        z = table.pivot(index="rh_percent", columns="temperature_c", values=column)
    except ValueError:  # a (temperature, humidity) pair twice
        z = None
    # A pair missing from the table would read as "not dry": refuse it.
    if z is None or z.shape[0] < 2 or z.shape[1] < 2 or z.shape[0] * z.shape[1] != len(table):
        raise RecipeError("not a full temperature × humidity grid of at least 2 × 2 "
                          "points", field="table")
    return z.columns.to_numpy(float), z.index.to_numpy(float), z.to_numpy(float)


def _stage(stage: str) -> str:
    if stage not in STAGES:
        raise RecipeError(f"unknown stage {stage!r}; choose one of {', '.join(STAGES)}",
                          field="stage")
    return stage


# ---------------------------------------------------------------------------
# The workshop's months
# ---------------------------------------------------------------------------
def workshop_months(station: str = "viet-tri", period=(1991, 2015)) -> pd.DataFrame:
    """A Phu Tho workshop's air through the day, month by month.

    The daily cycle of :func:`lacquersim.model.climate.month_climate`
    (coolest and most humid at 02:00, warmest and driest at 14:00) from the
    station's normals over ``period``.

    Parameters
    ----------
    station : str
        ``"viet-tri"`` or ``"phu-ho"`` (:data:`lacquersim.model.climate.STATIONS`).
    period : (int, int)
        First and last year averaged, inclusive.

    Returns
    -------
    pandas.DataFrame
        One row per month 1 to 12: ``month``; ``t_mean_c`` and
        ``rh_mean_percent``, the daily mean (the model's: mean of the daily
        minimum and maximum, the month's mean humidity capped at 98 %);
        ``t_min_c``, ``t_max_c``, ``rh_min_percent``, ``rh_max_percent``;
        ``cycle_t_c`` and ``cycle_rh_percent``, tuples of the air at 00:00,
        01:00, ... 23:00. ``attrs``: ``station``, ``station_name``, ``period``.

    Raises
    ------
    RecipeError
        Unknown station (``field="station"``), a period outside the records
        or a month without a humidity record in it (``field="period"``).
    """
    from lacquersim.model.climate import RH_CAP, STATIONS, month_climate, normals

    if station not in STATIONS:
        raise RecipeError(f"unknown station {station!r}; choose one of {', '.join(STATIONS)}",
                          field="station")
    try:
        norm = normals(station, period)
    except RecipeError as e:
        raise RecipeError(e.problem, field="period") from None
    a, b = int(period[0]), int(period[1])
    rows = []
    for month in range(1, 13):
        # month_climate would average nothing into NaN: say which month lacks data.
        if month not in norm.index or not np.isfinite(norm.loc[month, ["t_min_c", "t_max_c",
                                                                       "rh_percent"]]).all():
            raise RecipeError(f"{STATIONS[station]} has no record with humidity for month "
                              f"{month} in {a}–{b}; choose another period", field="period")
        mc = month_climate(station, month, period=(a, b))
        cycle = [mc.at(h) for h in range(24)]
        rh = [c[1] for c in cycle]
        rows.append({"month": month, "t_mean_c": 0.5 * (mc.t_min_c + mc.t_max_c),
                     "rh_mean_percent": min(mc.rh_mean_percent, RH_CAP),
                     "t_min_c": mc.t_min_c, "t_max_c": mc.t_max_c,
                     "rh_min_percent": min(rh), "rh_max_percent": max(rh),
                     "cycle_t_c": tuple(c[0] for c in cycle), "cycle_rh_percent": tuple(rh)})
    out = pd.DataFrame(rows)
    out.attrs = {"station": station, "station_name": STATIONS[station], "period": (a, b)}
    return out


def months_on_map(table: pd.DataFrame, months: pd.DataFrame,
                  stages: Sequence[str] = ("tack_free", "dry_hard")) -> pd.DataFrame:
    """The map read at each month's daily-mean air.

    Bilinear between the four grid points around the month's point; if any
    of them does not reach the stage, neither does the month (the map draws
    that square as "not dry").

    Returns
    -------
    pandas.DataFrame
        ``month``, ``t_mean_c``, ``rh_mean_percent``, ``on_map`` (False:
        the point lies outside the map's range, its stage times are NaN),
        and ``<stage>_h`` for each stage: hours, NaN = not reached within the
        map's horizon (when ``on_map``).
    """
    out = months[["month", "t_mean_c", "rh_mean_percent"]].copy()
    grids = {s: _grid(table, f"{_stage(s)}_h") for s in stages}
    if not grids:
        raise RecipeError(f"expected one or more of {', '.join(STAGES)}", field="stages")
    t, r, _ = next(iter(grids.values()))
    out["on_map"] = [(t[0] <= x <= t[-1]) and (r[0] <= y <= r[-1])
                     for x, y in zip(out.t_mean_c, out.rh_mean_percent)]
    for s, (tt, rr, z) in grids.items():
        out[f"{s}_h"] = [_bilinear(tt, rr, z, x, y) if ok else math.nan
                         for x, y, ok in zip(out.t_mean_c, out.rh_mean_percent, out.on_map)]
    return out


def _bilinear(t, r, z, x: float, y: float) -> float:
    i = min(max(int(np.searchsorted(t, x, side="right")) - 1, 0), len(t) - 2)
    j = min(max(int(np.searchsorted(r, y, side="right")) - 1, 0), len(r) - 2)
    u = (x - t[i]) / (t[i + 1] - t[i])
    v = (y - r[j]) / (r[j + 1] - r[j])
    total = 0.0
    for dj, di, w in ((0, 0, (1 - u) * (1 - v)), (0, 1, u * (1 - v)), (1, 0, (1 - u) * v),
                      (1, 1, u * v)):
        if w > 0.0:  # a corner the point does not lean on cannot veto it
            value = z[j + dj, i + di]
            if not math.isfinite(value):
                return math.nan
            total += w * value
    return total


# ---------------------------------------------------------------------------
# Figures
# ---------------------------------------------------------------------------
def plot_drying_map(table: pd.DataFrame, *, stage: str = "tack_free",
                    months: pd.DataFrame | None = None, title: str | None = None, ax=None,
                    horizon_h: float | None = None):
    """Draw one stage's map: hours over air temperature (x) × humidity (y).

    Filled bands of the stage time with a colour bar in hours, labelled
    contours at 4, 8, 12, 24 and 48 h (those within the horizon), the
    conditions under which the stage is not reached within the horizon
    hatched grey, grid points where the solver failed marked ×, and, with
    ``months`` (:func:`workshop_months`), each month's workshop air: its
    daily range (a line from the 02:00 to the 14:00 air) and its daily mean
    (a dot, labelled with the month's number).

    Parameters
    ----------
    table : pandas.DataFrame
        A :func:`drying_map` table.
    stage : str
        One of :data:`lacquersim.STAGES`.
    months : pandas.DataFrame, optional
    title : str, optional
        Default: the stage and the recipe's name.
    ax : matplotlib Axes, optional
        Draw there; default a new figure.
    horizon_h : float, optional
        The map's horizon for the legend; default ``table.attrs["horizon_h"]``.

    Returns
    -------
    matplotlib.figure.Figure
    """
    import matplotlib
    if "matplotlib.pyplot" not in __import__("sys").modules:
        matplotlib.use("Agg")  # no display needed to draw a figure
    import matplotlib.pyplot as plt
    from matplotlib.colors import BoundaryNorm
    from matplotlib.lines import Line2D
    from matplotlib.patches import Patch, Rectangle
    import matplotlib.patheffects as pe

    stage = _stage(stage)
    t, r, z = _grid(table, f"{stage}_h")
    horizon = table.attrs.get("horizon_h") if horizon_h is None else horizon_h
    if ax is None:
        fig, ax = plt.subplots(figsize=(7.0, 5.5), layout="constrained")
    fig = ax.figure
    label = stage_label(stage)
    not_dry = (_("not {stage} within {h} h").format(stage=label, h=f"{horizon:g}") if horizon
               else _("not {stage} within the horizon").format(stage=label))

    # Not reached: the background shows through the squares contourf leaves out.
    ax.add_patch(Rectangle((t[0], r[0]), t[-1] - t[0], r[-1] - r[0], zorder=0.5, **_NOT_DRY))
    handles = [Patch(label=not_dry, **_NOT_DRY)]
    finite = z[np.isfinite(z)]
    if finite.size:
        top = max(float(horizon or 0.0), float(finite.max()))
        levels = [b for b in _BANDS_H if b < top] + [top]
        cmap = plt.get_cmap("viridis")
        cf = ax.contourf(t, r, np.ma.masked_invalid(z), levels=levels, cmap=cmap,
                         norm=BoundaryNorm(levels, cmap.N), zorder=1)
        cbar = fig.colorbar(cf, ax=ax, ticks=levels)
        cbar.set_label(_("{stage} (hours after application)").format(stage=label))
        cbar.ax.set_yticklabels([f"{x:g}" for x in levels])
        lines = [x for x in _LABELLED_H if finite.min() < x < finite.max()]
        if lines:
            cs = ax.contour(t, r, np.ma.masked_invalid(z), levels=lines, colors="white",
                            linewidths=0.9, zorder=2)
            ax.clabel(cs, fmt=lambda x: f"{x:g} h", fontsize=8)
    failed = table[table["status"] != "ok"] if "status" in table else table.iloc[:0]
    if len(failed):
        ax.plot(failed.temperature_c, failed.rh_percent, "x", color="red", ms=5, zorder=3)
        handles.append(Line2D([], [], ls="none", marker="x", color="red",
                              label=_("solver failed")))

    if months is not None and len(months):
        halo = [pe.withStroke(linewidth=2.5, foreground="white")]
        for m in months.itertuples(index=False):
            ax.plot(m.cycle_t_c, m.cycle_rh_percent, color="black", lw=0.8, alpha=0.6,
                    zorder=4)
            ax.plot(m.t_mean_c, m.rh_mean_percent, "o", ms=4.5, mfc="white", mec="black",
                    zorder=5)
            # Each number sits where it would on a clock face (12 above, 3 to the
            # right), so that the summer months, close together, stay readable.
            angle = math.radians(90.0 - 30.0 * m.month)
            ax.annotate(str(m.month), (m.t_mean_c, m.rh_mean_percent),
                        xytext=(9 * math.cos(angle), 9 * math.sin(angle)),
                        textcoords="offset points", ha="center", va="center", fontsize=8,
                        fontweight="bold", zorder=6, path_effects=halo)
        where = months.attrs.get("station_name", "")
        period = months.attrs.get("period")
        when = f", {period[0]}–{period[1]}" if period else ""
        air = (_("workshop air in {station}").format(station=_(where)) if where
               else _("workshop air"))
        handles.append(Line2D([], [], color="black", marker="o", mfc="white", ms=5,
                              label=f"{air}{when}:\n"
                                    + _("month's mean (number) and daily range")))
    ax.set_xlim(t[0], t[-1])
    ax.set_ylim(r[0], r[-1])
    ax.set_xlabel(_("air temperature (°C)"))
    ax.set_ylabel(_("relative humidity (%)"))
    name = table.attrs.get("recipe")
    ax.set_title(title if title is not None else
                 f"{label[0].upper() + label[1:]}" + (f": {name}" if name else ""), fontsize=10)
    ax.legend(handles=handles, loc="lower right", fontsize=8, framealpha=0.9)
    return fig


def plot_drying_maps(table: pd.DataFrame, *, months: pd.DataFrame | None = None,
                     title: str | None = None, stages: Sequence[str] = ("tack_free", "dry_hard"),
                     horizon_h: float | None = None):
    """The tack-free and dry-hard maps side by side (what ``lacquersim map`` draws).

    Parameters as for :func:`plot_drying_map`; ``title`` (default the
    recipe's name, horizon and film cells) heads the whole figure.

    Returns
    -------
    matplotlib.figure.Figure
    """
    import matplotlib
    if "matplotlib.pyplot" not in __import__("sys").modules:
        matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    stages = [_stage(s) for s in stages]
    fig, axes = plt.subplots(1, len(stages), figsize=(6.4 * len(stages), 5.4), squeeze=False,
                             layout="constrained")
    for ax, s in zip(axes[0], stages):
        plot_drying_map(table, stage=s, months=months, ax=ax, horizon_h=horizon_h,
                        title=stage_label(s)[0].upper() + stage_label(s)[1:])
    if title is None:
        a = table.attrs
        parts = [a.get("recipe", "")]
        if "horizon_h" in a and "air_speed_m_s" in a:
            parts.append(_("each dried {h} h in constant air, {air} m/s").format(
                h=f"{a['horizon_h']:g}", air=f"{a['air_speed_m_s']:g}"))
        title = " — ".join(p for p in parts if p)
    if title:
        fig.suptitle(title)
    return fig


# ---------------------------------------------------------------------------
# Writing the figure
# ---------------------------------------------------------------------------
