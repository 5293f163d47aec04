"""Figures of drying: one coat, a multi-coat build, several recipes compared.

Every figure marks the stage times the report prints. A stage counts only
from the one before (:mod:`lacquersim.model.stages`), so a mark can stand
later than its curve's own crossing; the figure then says from which stage
it was counted. Every figure also shows the air (temperature and RH) and,
under the panels, defines the four stages.

Results are read duck-typed (``history``, ``stages``, ``applied_h``,
``recipe``): this module imports no result class, so results can import it.
"""

from __future__ import annotations

import sys

import numpy as np

from lacquersim.i18n import N_, _, ngettext
from lacquersim.model.stages import STAGE_TABLE, stage_label

__all__ = ["run_figure", "build_figure", "compare_figure"]

_STAGE_COLORS = ("C3", "C4", "C5", "C6")
_STAGE_MARKERS = ("o", "s", "^", "D")
_T_COLOR, _RH_COLOR = "firebrick", "steelblue"
_RAISED_NOTE = N_("* counted from the stage before: its condition already held then")


def _pyplot():
    import matplotlib

    if "matplotlib.pyplot" not in sys.modules:
        matplotlib.use("Agg")  # no display needed to draw a figure
    import matplotlib.pyplot as plt

    return plt


def _counted_from(times, k: int) -> str:
    """The label of the stage before ``k`` if ``k`` was reported at its time
    (its condition held already), else ''."""
    if k and np.isfinite(times[k]) and np.isclose(times[k], times[k - 1], rtol=1e-12, atol=1e-9):
        return stage_label(STAGE_TABLE[k - 1].name)
    return ""


def _time_text(times, k: int) -> str:
    if not np.isfinite(times[k]):
        return "—"
    return f"{times[k]:.2f}" + ("*" if _counted_from(times, k) else "")


def _threshold(stage) -> str:
    return _(stage.threshold).replace("alpha_gel", "α_gel").replace("alpha", "α")


def _define_stages(fig, markers: bool = False) -> None:
    """The legend under the panels: each stage's criterion, from its declaration."""
    from matplotlib.lines import Line2D

    handles = [Line2D([], [], color="0.25", ls="none", marker=m) if markers
               else Line2D([], [], color=c, ls="--", lw=1)
               for c, m in zip(_STAGE_COLORS, _STAGE_MARKERS)]
    labels = [f"{stage_label(st.name)}: {_(st.criterion)} ({_threshold(st)})"
              for st in STAGE_TABLE]
    fig.legend(handles, labels, loc="outside lower center", fontsize=7.5, frameon=False,
               title=_("drying stages (each counts only after the one before)"), title_fontsize=8)


def _air(ax, h, color=None, label=None, axr=None):
    """Air temperature (left) and RH (right, dashed) of a history; returns the RH axis."""
    ax.plot(h.time_h, h.temperature_c, color=color or _T_COLOR, lw=1.2,
            label=label or _("air temperature"))
    ax.set_ylabel(_("air temperature (°C)"))
    if axr is None:
        axr = ax.twinx()
        axr.set_ylabel(_("RH (%)"))
        axr.set_ylim(0, 105)
    axr.plot(h.time_h, h.rh_percent, color=color or _RH_COLOR, ls="--", lw=1.2, label=_("RH"))
    return axr


def _widen(ax, span: float = 10.0) -> None:
    """At least ``span`` °C on the air axis: constant air reads as flat, not as noise."""
    lo, hi = ax.dataLim.intervaly
    if np.isfinite(lo) and hi - lo < span:
        mid = 0.5 * (lo + hi)
        ax.set_ylim(mid - 0.5 * span, mid + 0.5 * span)


def _panels(plt, title: str):
    fig, axes = plt.subplots(4, 1, figsize=(7.5, 11), sharex=True, height_ratios=[3, 2, 2, 1.6],
                             layout="constrained")
    ax, ax2, ax3, ax4 = axes
    ax.set_ylabel(_("network conversion α"))
    ax.set_ylim(0, 1)
    ax2.axhline(0.0, color="0.5", ls=":", lw=1)
    ax2.set_ylabel("Tg − T (K)")
    ax3.set_ylabel(_("water / thinner (vol %)"))
    ax.set_title(title)
    return fig, axes


def _curves(axes, h, alpha_gel: float, where: tuple[str, str, str]) -> None:
    """Conversion, Tg − T, water and laccase of a history; ``where`` names its
    surface, mean and bottom."""
    ax, ax2, ax3, ax4 = axes
    for col, name, color in zip(("conversion_surface", "conversion_mean", "conversion_bottom"),
                                where, ("C0", "C1", "C2")):
        ax.plot(h.time_h, h[col], label=name, color=color)
    ax.axhline(alpha_gel, color="0.5", ls=":", lw=1,
               label=_("gel point {value}").format(value=f"{alpha_gel:.2f}"))
    ax2.plot(h.time_h, h.tg_surface_c - h.temperature_c, label=where[0], color="C0")
    ax2.plot(h.time_h, h.tg_bottom_c - h.temperature_c, label=where[2], color="C2")
    ax2.legend(loc="lower right", fontsize=8)
    ax3.plot(h.time_h, h.water_mean_percent, label=_("water, mean (vol %)"), color="C0")
    ax3.plot(h.time_h, h.water_surface_percent, label=_("water, surface (vol %)"), color="C0",
             ls="--")
    ax3b = ax3.twinx()
    ax3b.plot(h.time_h, h.laccase_mean_percent, color="C1", label=_("active laccase (%)"))
    ax3b.set_ylabel(_("active laccase (%)"))
    ax3b.set_ylim(0, 105)
    lines = ax3.get_lines() + ax3b.get_lines()
    ax3.legend(lines, [ln.get_label() for ln in lines], loc="upper right", fontsize=8)
    axr = _air(ax4, h)
    _widen(ax4)
    lines = ax4.get_lines() + axr.get_lines()
    ax4.legend(lines, [ln.get_label() for ln in lines], loc="upper right", fontsize=8)


def _mark(axes, x: float, k: int, gid: str) -> None:
    for a in axes:
        a.axvline(x, color=_STAGE_COLORS[k], ls="--", lw=1, gid=gid)


def run_figure(res):
    """Drying curves of one coat with its stage times marked; a matplotlib Figure.

    Panels: network conversion (surface, mean, substrate; gel point dotted),
    Tg − T at surface and substrate (tack free / dry through when it crosses
    0), water and active laccase, and the air's temperature and RH.
    """
    plt = _pyplot()
    fig, axes = _panels(plt, f"{res.recipe.title} — {res.thickness_um:.0f} µm")
    ax = axes[0]
    _curves(axes, res.history, res.film.alpha_gel, (_("surface"), _("mean"), _("substrate")))
    times = res.stages.to_numpy(float)
    for k, st in enumerate(STAGE_TABLE):
        if np.isfinite(times[k]):
            _mark(axes, times[k] + res.applied_h, k, f"stage run {st.name}")
            since = _counted_from(times, k)
            label = f"{stage_label(st.name)} {times[k]:.2f} h" + (
                " " + _("(counted from {stage})").format(stage=since) if since else "")
            ax.plot([], [], color=_STAGE_COLORS[k], ls="--", lw=1, label=label)
        else:
            ax.plot([], [], ls="none", label=f"{stage_label(st.name)}: " + _("not reached"))
    ax.legend(loc="lower right", fontsize=7.5, ncol=2)
    axes[-1].set_xlabel(_("time since application (h)") if res.applied_h == 0
                        else _("time since the first coat went on (h)"))
    _define_stages(fig)
    return fig


def build_figure(build):
    """Drying curves of a multi-coat build, every coat labelled and its stages
    marked in its own interval (from its application to the next coat's)."""
    plt = _pyplot()
    top = build.coats[-1]
    fig, axes = _panels(plt, _("{recipe} — {n} coats, {t} µm").format(
        recipe=top.recipe.title, n=len(build.coats), t=f"{top.thickness_um:.0f}"))
    ax = axes[0]
    h = build.history
    _curves(axes, h, top.film.alpha_gel,
            (_("surface"), _("mean of the coat on top"), _("bottom of the coat on top")))
    cs = build.coat_stages
    ends = list(cs.applied_h.iloc[1:]) + [float(h.time_h.iloc[-1])]
    many = len(cs) > 6
    for j, (coat, row) in enumerate(cs.iterrows()):
        a, e = float(row.applied_h), ends[j]
        for x in axes:
            if j % 2:
                x.axvspan(a, e, color="0.93", zorder=0, lw=0)
            if j:
                x.axvline(a, color="0.3", lw=0.8)
        ax.text(0.5 * (a + e), 0.98, _("coat {n}").format(n=coat),
                transform=ax.get_xaxis_transform(),
                ha="center", va="top", fontsize=7 if many else 8, rotation=90 if many else 0)
        for k, st in enumerate(STAGE_TABLE):
            t = float(row[st.name])
            if np.isfinite(t):
                _mark(axes, a + t, k, f"stage coat {coat} {st.name}")
    coats = ngettext("coat {list}", "coats {list}", len(cs)).format(
        list=", ".join(str(c) for c in cs.index))
    raised = False
    for k, st in enumerate(STAGE_TABLE):
        texts = [_time_text(row, k) for row in cs[[s.name for s in STAGE_TABLE]].to_numpy(float)]
        raised |= any(t.endswith("*") for t in texts)
        ax.plot([], [], color=_STAGE_COLORS[k], ls="--", lw=1,
                label=_("{stage} (h after {coats}): {times}").format(
                    stage=stage_label(st.name), coats=coats, times=", ".join(texts)))
    if raised:
        ax.plot([], [], ls="none", label=_(_RAISED_NOTE))
    if cs[[s.name for s in STAGE_TABLE]].isna().any().any():
        ax.plot([], [], ls="none", label=_("— not reached before the next coat or the end"))
    ax.legend(loc="lower right", fontsize=7)
    axes[-1].set_xlabel(_("time since the first coat went on (h)"))
    _define_stages(fig)
    return fig


def compare_figure(results, labels=None):
    """Several recipes overlaid: mean (solid) and surface (dotted) conversion
    with each stage marked on the mean curve (marker = stage), the surface's
    Tg − T, and each recipe's air. ``results`` are results of ``simulate``
    (a build counts with its top coat's stages); ``labels`` default to the
    recipes' names."""
    plt = _pyplot()
    fig, (ax, ax2, ax3) = plt.subplots(3, 1, figsize=(7.5, 9.5), sharex=True,
                                       height_ratios=[3, 2, 1.6], layout="constrained")
    axr = None
    raised = False
    for i, r in enumerate(results, start=1):
        color = f"C{(i - 1) % 10}"
        h = r.history
        times = r.stages.to_numpy(float)
        texts = [_time_text(times, k) for k in range(len(STAGE_TABLE))]
        raised |= any(t.endswith("*") for t in texts)
        name = labels[i - 1] if labels else r.recipe.title
        ax.plot(h.time_h, h.conversion_mean, color=color,
                label=f"{i}. {name}\n    " + _("stages {times} h").format(
                    times=" / ".join(texts)))
        ax.plot(h.time_h, h.conversion_surface, color=color, ls=":", lw=1)
        for k, st in enumerate(STAGE_TABLE):
            if np.isfinite(times[k]):
                x = times[k] + r.applied_h
                ax.plot([x], [np.interp(x, h.time_h, h.conversion_mean)], ls="none",
                        marker=_STAGE_MARKERS[k], mfc=color, mec="k", ms=6, zorder=5,
                        gid=f"stage {i} {st.name}")
        ax2.plot(h.time_h, h.tg_surface_c - h.temperature_c, color=color)
        axr = _air(ax3, h, color=color, label=f"{i}", axr=axr)
    _widen(ax3)
    ax.set_ylabel(_("network conversion α"))
    ax.set_ylim(0, 1)
    ax.plot([], [], color="0.3", label=_("mean (solid), surface (dotted)"))
    if raised:
        ax.plot([], [], ls="none", label=_(_RAISED_NOTE))
    ax.legend(loc="lower right", fontsize=7)
    ax.set_title(_("drying compared"))
    ax2.axhline(0.0, color="0.5", ls=":", lw=1)
    ax2.set_ylabel(_("surface Tg − T (K)"))
    ax3.set_title(_("air temperature (solid), RH (dashed)"), fontsize=8)
    ax3.set_xlabel(_("time since application (h)"))
    _define_stages(fig, markers=True)
    return fig
