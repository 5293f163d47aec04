"""The files of an optimiser run: the front, runnable recipes, figures and a report.

:func:`write_outputs` turns an :class:`~lacquersim.optimise.search.OptimiseResult`
into, in ``out_dir``:

``front.csv``
    one row per front candidate (the least infeasible candidates when none
    met the constraints): ``rank``, ``candidate``, the variables (named as
    in the space file), the objectives (``time_ratio``: the time to the
    competitor's in the scored month, the worst by default;
    ``cost_vnd_m2``: VND per m² per coat, averaged over the climates;
    ``laccol_percent``), ``worst_month``, ``cv`` (total constraint
    violation), ``feasible``, ``violates`` (the constraints broken, by how
    much), ``band_ratio_high`` and ``beats_months`` (the months where the
    upper end of the 90 % band of the ratio is at most 1; both empty when
    the band was not checked) and ``recipe`` (its file).
``recipes/NN-<practice>.yaml``
    every front candidate as a recipe dried as it was scored in its worst
    month (the normal of the period); ``recipes/month-MM.yaml`` the month
    table's pick for month MM (the cheapest that beats the competitor, else
    the fastest that meets the constraints) dried in that month. Each starts
    with comments saying how it was found, and ``lacquersim run FILE
    --cells N`` (N the space's ``n_cells``) gives the stage times of the search.
``pareto.png``, ``curves.png``, ``months.png``
    the time ratio against the cost of every candidate with the front
    highlighted; the drying curves of the fastest front recipes against the
    competitor in their worst month, with the air; the month by month picks.
``report.md``
    the answer in words, the tables, the figures, the prices with their
    sources and how to read it all.

The figures are drawn on :class:`matplotlib.figure.Figure` objects (no
pyplot state) and saved atomically (:func:`lacquersim.plotfiles.save_figure`).
"""

from __future__ import annotations

import calendar
import math
import os
from pathlib import Path
from typing import Any, Mapping

import numpy as np
import pandas as pd

from lacquersim.errors import RecipeError
from lacquersim.optimise.scoring import CONSTRAINTS, climates, runnable_recipe, schedule

__all__ = ["write_outputs", "front_table", "violations", "CONSTRAINT_WORDS"]

#: What a positive ``g_<name>`` means, in words (``{v}``: by how much).
CONSTRAINT_WORDS = {
    "not_dry": "does not reach tack free or dry hard in {v:g} climate(s)",
    "wrinkle": "wrinkle index {v:.3g} above the limit",
    "hardness": "surface Tg − T {v:.3g} K below the minimum at the end",
    "laccol_floor": "laccol content {v:.3g} % below the floor",
    "cannot_cool": "heated cabinet set below the workshop air for {v:g} h (it cannot cool)",
    "invalid": "a recipe the schema refuses",
}
KIND_WORDS = {"workshop": "workshop air", "humid_cabinet": "humid cabinet",
              "heated_cabinet": "heated cabinet"}
KIND_COLOURS = {"workshop": "C0", "humid_cabinet": "C2", "heated_cabinet": "C3"}
KIND_MARKERS = {"workshop": "o", "humid_cabinet": "s", "heated_cabinet": "^"}
CURVES_MAX = 3   # front recipes drawn in curves.png
BIG = 1e5        # objectives at or above this are the scorer's stand-in for "refused"


def write_outputs(result, out_dir, *, budget: int | None = None,
                  command: str | None = None) -> dict[str, Any]:
    """Write the files of ``result`` (an ``OptimiseResult``) to ``out_dir``.

    ``budget`` and ``command`` (the command line) are quoted in the report
    when given. Returns the paths written: ``front``, ``report``,
    ``pareto``, ``curves``, ``months`` (Paths) and ``recipes`` (a list of
    Paths; ``recipe_files`` maps each to ``(candidate, month)``).
    """
    out = Path(out_dir)
    if out.exists() and not out.is_dir():
        raise RecipeError(f"{out} is a file; give a folder", field="out")
    out.mkdir(parents=True, exist_ok=True)
    rec_dir = out / "recipes"
    rec_dir.mkdir(exist_ok=True)
    space = result.space
    ctx = _Context(result)

    recipe_files: dict[Path, tuple[int, int]] = {}
    front_files: dict[int, str] = {}
    for rank, row in enumerate(result.front.itertuples(index=False), start=1):
        cand, month = int(row.candidate), int(row.worst_month)
        x = ctx.x(cand)
        p = space.practice(x)
        short = p["kind"].replace("_", "-") + ("-bake" if p.get("bake") == "yes" else "")
        path = rec_dir / f"{rank:02d}-{short}.yaml"
        if ctx.write_recipe(path, cand, month, f"rank {rank} of the front; its worst month"):
            recipe_files[path] = (cand, month)
            front_files[cand] = f"recipes/{path.name}"
    month_files: dict[int, str] = {}
    for m, cand, tag in ctx.month_picks():
        path = rec_dir / f"month-{m:02d}.yaml"
        what = ("the cheapest candidate that beats the competitor in this month" if tag == "best"
                else "the fastest candidate that meets the constraints in this month "
                     "(none beats the competitor)")
        if ctx.write_recipe(path, cand, m, what):
            recipe_files[path] = (cand, m)
            month_files[m] = f"recipes/{path.name}"

    front = front_table(result, front_files)
    front_path = out / "front.csv"
    _write_csv(front, front_path)

    from lacquersim.plotfiles import save_figure

    figs = {}
    for name, draw in (("pareto", plot_pareto), ("curves", plot_curves), ("months", plot_months)):
        path = out / f"{name}.png"
        save_figure(draw(result, ctx), path, field="out", dpi=110)
        figs[name] = path

    report = out / "report.md"
    text = report_text(result, ctx, front, front_files, month_files, budget=budget,
                       command=command)
    tmp = report.with_suffix(".md.tmp")
    tmp.write_text(text, encoding="utf-8")
    os.replace(tmp, report)
    return {"front": front_path, "report": report, **figs, "recipes": list(recipe_files),
            "recipe_files": recipe_files}


# ---------------------------------------------------------------------------
# What the result holds, looked up once
# ---------------------------------------------------------------------------
class _Context:
    def __init__(self, result):
        self.result = result
        self.space = result.space
        self.climates = {(c.month, c.year): c for c in climates(self.space)}
        self.archive = result.archive.set_index("candidate", drop=False)
        self.details = result.details
        self._runs: dict = {}

    def x(self, cand: int) -> dict:
        row = self.archive.loc[cand]
        return {n: _plain(row[n]) for n in self.space.names}

    def kind(self, cand: int) -> str:
        return self.space.practice(self.x(cand))["kind"]

    def detail(self, cand: int, month: int) -> pd.Series | None:
        d = self.details
        d = d[(d.candidate == cand) & (d.month == month) & d.year.isna()]
        return d.iloc[0] if len(d) else None

    def competitor(self, month: int) -> pd.Series:
        c = self.result.competitor
        return c[c.climate == f"{month:02d}"].iloc[0]

    def band(self, cand: int, month: int):
        b = self.result.band
        if b is None or not len(b):
            return None
        b = b[(b.candidate == cand) & (b.month == month) & b.year.isna()]
        return b.iloc[0] if len(b) else None

    def laccol(self, cand: int) -> float:
        d = self.details[self.details.candidate == cand]
        return float(d.laccol_percent.iloc[0]) if len(d) else math.nan

    def month_picks(self):
        """(month, candidate, "best" | "fastest") of the month table."""
        for r in self.result.monthly.itertuples(index=False):
            if r.best_candidate >= 0:
                yield int(r.month), int(r.best_candidate), "best"
            elif r.fastest_candidate >= 0:
                yield int(r.month), int(r.fastest_candidate), "fastest"

    def recipe(self, cand: int, month: int, name: str | None = None):
        return runnable_recipe(self.space, self.x(cand), self.climates[(month, None)], name=name)

    def write_recipe(self, path: Path, cand: int, month: int, what: str) -> bool:
        """Write the runnable recipe of ``cand`` in ``month``; False if the schema refuses it."""
        import yaml

        s = self.space
        kind = KIND_WORDS[self.kind(cand)]
        try:
            rec = self.recipe(cand, month,
                              name=f"{s.name}: candidate {cand} ({kind}), {_month(month)}")
        except RecipeError:
            return False
        row = self.archive.loc[cand]
        d = self.detail(cand, month)
        comp = self.competitor(month)
        lines = [f"Found by lacquersim optimise: {what}.",
                 f"space: {_shown_path(s.file) if s.file else s.name} ({s.name}); seed {self.result.seed}; "
                 f"candidate {cand}",
                 f"dried as scored in {_month(month)}: {s.station} workshop air, normal of "
                 f"{s.period[0]}-{s.period[1]}, {s.hours:g} h"]
        if d is not None and np.isfinite(d.time_ratio):
            lines.append(f"in {_month(month)}: time ratio to the competitor {d.time_ratio:.3f} "
                         f"(tack free {_h(d.tack_free_h)}, dry hard {_h(d.dry_hard_h)}; "
                         f"competitor {comp.tack_free_h:.2f} h, {comp.dry_hard_h:.2f} h), "
                         f"cost {_vnd(d.cost_vnd_m2)} VND/m2 per coat")
        lines.append(f"objectives: time ratio {row.time_ratio:.3f} "
                     f"({_score_words(s)}), cost {_vnd(row.cost_vnd_m2)} VND/m2 per coat "
                     f"(mean over the months), laccol {self.laccol(cand):.1f} %")
        if not bool(row.feasible):
            lines.append("INFEASIBLE: " + "; ".join(violations(row)))
        run = f"lacquersim run {path.parent.name}/{path.name} --cells {s.n_cells}"
        over = dict(getattr(s.parameters, "overrides", {}) or {})
        run += "".join(f" --param {k}={v:g}" for k, v in over.items())
        lines += ["the search's stage times, from the run's folder:", f"  {run}"]
        head = "".join(f"# {ln}\n" for ln in _wrap_comment(lines))
        body = yaml.safe_dump(rec.to_dict(), allow_unicode=True, sort_keys=False)
        tmp = path.with_suffix(".yaml.tmp")
        tmp.write_text(head + body, encoding="utf-8")
        os.replace(tmp, path)
        return True

    def run(self, cand: int, month: int):
        """The candidate simulated in ``month`` (cached)."""
        from lacquersim.sim.simulation import simulate

        key = ("cand", cand, month)
        if key not in self._runs:
            s = self.space
            self._runs[key] = simulate(self.recipe(cand, month), n_cells=s.n_cells,
                                       parameters=s.parameters)
        return self._runs[key]

    def competitor_run(self, month: int):
        """The competitor in ``month``'s workshop air (None for a data sheet)."""
        from lacquersim.sim.simulation import simulate

        comp = self.space.competitor
        if isinstance(comp, Mapping):
            return None
        key = ("comp", month)
        if key not in self._runs:
            s = self.space
            sched = schedule({"kind": "workshop", "bake": "no"}, self.climates[(month, None)],
                             s.hours)
            self._runs[key] = simulate(comp, schedule=sched, n_cells=s.n_cells,
                                       parameters=s.parameters)
        return self._runs[key]


def _plain(v):
    v = v.item() if hasattr(v, "item") else v
    return v


def _wrap_comment(lines, width: int = 88) -> list[str]:
    import textwrap

    out = []
    for ln in lines:
        if ln.startswith("  "):  # a command: copied as it is, never broken
            out.append(ln)
            continue
        out += textwrap.wrap(ln, width - 2, subsequent_indent="  ", break_long_words=False,
                             break_on_hyphens=False) or [""]
    return out


def violations(row) -> list[str]:
    """The constraints ``row`` (of the archive or front) breaks, in words."""
    out = []
    for c in CONSTRAINTS:
        v = float(getattr(row, f"g_{c}", 0.0) if not isinstance(row, Mapping)
                  else row.get(f"g_{c}", 0.0))
        if v > 0:
            out.append(CONSTRAINT_WORDS[c].format(v=v))
    return out


# ---------------------------------------------------------------------------
# front.csv
# ---------------------------------------------------------------------------
def front_table(result, recipe_files: Mapping[int, str] | None = None) -> pd.DataFrame:
    """The front as written to ``front.csv`` (numbers, not yet formatted)."""
    space = result.space
    f = result.front
    laccol = result.details.groupby("candidate").laccol_percent.first()
    t = pd.DataFrame({"rank": np.arange(1, len(f) + 1), "candidate": f.candidate.astype(int)})
    for n in space.names:
        t[n] = f[n].to_numpy()
    t["time_ratio"] = f.time_ratio.to_numpy()
    t["cost_vnd_m2"] = f.cost_vnd_m2.to_numpy()
    t["laccol_percent"] = f.candidate.map(laccol).to_numpy()
    t["worst_month"] = f.worst_month.astype(int).to_numpy()
    t["cv"] = f.cv.to_numpy()
    t["feasible"] = f.feasible.astype(bool).to_numpy()
    t["violates"] = ["; ".join(violations(r)) for r in f.itertuples(index=False)]
    t["band_ratio_high"] = (f["band_ratio_high"].to_numpy() if "band_ratio_high" in f
                            else np.nan)
    t["beats_months"] = f["beats_months"].to_numpy() if "beats_months" in f else ""
    files = recipe_files or {}
    t["recipe"] = [files.get(int(c), "") for c in f.candidate]
    return t


def _number(x) -> str:
    """A plain number, in full (it reads back to the same float), without
    scientific notation."""
    if x is None or isinstance(x, str):
        return x or ""
    if isinstance(x, (bool, np.bool_)):
        return "true" if x else "false"
    if isinstance(x, (int, np.integer)):
        return str(int(x))
    x = float(x)
    if not math.isfinite(x):
        return ""
    if x == int(x) and abs(x) < 1e15:
        return str(int(x))
    return np.format_float_positional(x, unique=True, trim="-")


def _write_csv(t: pd.DataFrame, path: Path) -> None:
    s = t.copy()
    for c in s.columns:
        s[c] = [_number(v) if not isinstance(v, str) else v for v in s[c]]
    tmp = path.with_suffix(".csv.tmp")
    s.to_csv(tmp, index=False)
    os.replace(tmp, path)


# ---------------------------------------------------------------------------
# Figures
# ---------------------------------------------------------------------------
def _figure(**kw):
    import matplotlib
    import sys

    if "matplotlib.pyplot" not in sys.modules:
        matplotlib.use("Agg")
    from matplotlib.figure import Figure

    return Figure(**kw)


def _kinds(result, ids) -> list[str]:
    space = result.space
    a = result.archive.set_index("candidate")
    if "practice.kind" in a:
        return [str(a.at[int(i), "practice.kind"]) for i in ids]
    return [space.practice_fixed["kind"]] * len(ids)


def plot_pareto(result, ctx=None):
    """Time ratio against cost of every candidate; the front highlighted."""
    space = result.space
    a = result.archive
    ok = (a.time_ratio < BIG) & (a.cost_vnd_m2 < BIG)
    a = a[ok]
    fig = _figure(figsize=(8, 5.5), layout="constrained")
    ax = fig.add_subplot()
    feas = a.feasible.astype(bool)
    ax.scatter(a.time_ratio[~feas], a.cost_vnd_m2[~feas], s=10, color="0.8", marker="x",
               lw=0.8, label="breaks a constraint")
    ax.scatter(a.time_ratio[feas], a.cost_vnd_m2[feas], s=10, color="0.55",
               label="meets the constraints")
    f = result.front[(result.front.time_ratio < BIG) & (result.front.cost_vnd_m2 < BIG)]
    laccol = result.details.groupby("candidate").laccol_percent.first()
    colour_by_laccol = laccol.nunique() > 1
    if len(f):
        kinds = _kinds(result, f.candidate)
        lc = f.candidate.map(laccol).to_numpy()
        sc = None
        for k in dict.fromkeys(kinds):
            m = np.array([kk == k for kk in kinds])
            style = dict(marker=KIND_MARKERS.get(k, "o"), s=60, edgecolor="k", lw=1.2 if
                         result.feasible else 0.6, zorder=3)
            label = ("front" if result.feasible else "least infeasible") + \
                f": {KIND_WORDS.get(k, k)}"
            if colour_by_laccol:
                sc = ax.scatter(f.time_ratio[m], f.cost_vnd_m2[m], c=lc[m], cmap="viridis",
                                vmin=np.nanmin(lc), vmax=np.nanmax(lc), **style)
                ax.scatter([], [], color="w", label=label, **style)  # the marker, uncoloured
            else:
                ax.scatter(f.time_ratio[m], f.cost_vnd_m2[m], color=KIND_COLOURS.get(k, "C1"),
                           label=label, **style)
        if sc is not None:
            fig.colorbar(sc, ax=ax, label="laccol content (%)")
    ax.axvline(1.0, color="k", ls="--", lw=1)
    ax.text(1.0, 1.0, " as fast as cashew", transform=ax.get_xaxis_transform(), va="top",
            ha="left", fontsize=8)
    comp_cost = float(result.competitor.cost_vnd_m2.mean()) if len(result.competitor) else np.nan
    if np.isfinite(comp_cost):
        ax.axhline(comp_cost, color="C1", ls=":", lw=1)
        ax.text(0.0, comp_cost, " competitor's cost", transform=ax.get_yaxis_transform(),
                va="bottom", ha="left", fontsize=8, color="C1")
    if len(a) and a.time_ratio.max() / max(a.time_ratio.min(), 1e-9) > 20:
        from matplotlib.ticker import LogLocator, ScalarFormatter

        ax.set_xscale("log")
        ax.xaxis.set_major_locator(LogLocator(subs=(1.0, 2.0, 5.0)))
        ax.xaxis.set_major_formatter(ScalarFormatter())
    _thousands(ax.yaxis)
    ax.set_xlabel(f"time ratio to the competitor ({_score_words(space)}; < 1 is faster)")
    ax.set_ylabel("cost, VND per m² per coat (mean over the months)")
    title = ("Pareto front" if result.feasible
             else "No candidate met the constraints: the least infeasible")
    ax.set_title(f"{title} ({result.n_evals} candidates)", fontsize=10)
    ax.legend(fontsize=8, loc="upper right")
    return fig


def _thousands(axis) -> None:
    from matplotlib.ticker import FuncFormatter

    axis.set_major_formatter(FuncFormatter(lambda v, _: f"{v:,.0f}"))


def _curve_ids(result) -> list[int]:
    f = result.front
    f = f[(f.time_ratio < BIG)]
    if result.feasible:
        f = f[f.feasible.astype(bool)]
    return [int(c) for c in f.sort_values(["time_ratio", "cost_vnd_m2"]).candidate[:CURVES_MAX]]


def plot_curves(result, ctx):
    """Drying curves of the fastest front recipes against the competitor in
    their worst month, with stage markers; the air below."""
    ids = _curve_ids(result)
    front = result.front.set_index("candidate")
    n = max(1, len(ids))
    fig = _figure(figsize=(4.6 * n + 0.6, 7), layout="constrained")
    axes = fig.subplots(2, n, sharex="col", squeeze=False, height_ratios=[3, 2])
    if not ids:
        axes[0, 0].text(0.5, 0.5, "no front recipe to draw", ha="center", va="center",
                        transform=axes[0, 0].transAxes)
        return fig
    for j, cand in enumerate(ids):
        month = int(front.at[cand, "worst_month"])
        ax, axa = axes[0, j], axes[1, j]
        res = ctx.run(cand, month)
        comp = ctx.competitor_run(month)
        t_max = 0.0
        for r, label, colour, ls in ((res, f"candidate {cand}", "C0", "-"),
                                     (comp, "competitor", "C1", "--")):
            if r is None:
                continue
            h = r.history
            ax.plot(h.time_h, h.conversion_mean / r.film.alpha_gel, color=colour, ls=ls,
                    label=f"{label}: mean")
            ax.plot(h.time_h, h.conversion_surface / r.film.alpha_gel, color=colour, ls=ls,
                    lw=0.8, alpha=0.6, label=f"{label}: surface")
            for stage, mls in (("tack_free", ":"), ("dry_hard", "-.")):
                t = float(r.stages[stage])
                if np.isfinite(t):
                    ax.axvline(t, color=colour, ls=mls, lw=1)
                    axa.axvline(t, color=colour, ls=mls, lw=0.8)
                    t_max = max(t_max, t)
            axa.plot(h.time_h, h.temperature_c, color=colour, ls=ls,
                     label=f"{'candidate' if r is res else 'competitor'} °C")
        if comp is None:
            sheet = result.space.competitor
            for stage, mls in (("tack_free_h", ":"), ("dry_hard_h", "-.")):
                ax.axvline(sheet[stage], color="C1", ls=mls, lw=1)
                t_max = max(t_max, sheet[stage])
        axr = axa.twinx()
        for r, colour, ls in ((res, "C0", "-"), (comp, "C1", "--")):
            if r is not None:
                axr.plot(r.history.time_h, r.history.rh_percent, color=colour, ls=ls, lw=0.8,
                         alpha=0.5)
        axr.set_ylim(0, 100)
        axr.set_ylabel("RH (%), thin lines", fontsize=8)
        ax.axhline(1.0, color="0.5", lw=0.8)
        ax.plot([], [], color="k", ls=":", lw=1, label="tack free")
        ax.plot([], [], color="k", ls="-.", lw=1, label="dry hard")
        hours = result.space.hours
        ax.set_xlim(0, min(hours, max(6.0, 1.4 * t_max)) if t_max > 0 else hours)
        ax.set_ylim(0, None)
        d = ctx.detail(cand, month)
        ratio = f"ratio {d.time_ratio:.2f}" if d is not None and np.isfinite(d.time_ratio) else ""
        broken = "" if bool(front.at[cand, "feasible"]) else ", breaks a constraint"
        ax.set_title(f"candidate {cand} ({KIND_WORDS.get(ctx.kind(cand), '')}{broken}),\n"
                     f"{_month(month)} (its worst), {ratio}", fontsize=9)
        if j == 0:
            ax.set_ylabel("network conversion / gel point\n(mean ≥ 1: dry hard)")
            axa.set_ylabel("air temperature (°C)")
        ax.legend(fontsize=7, loc="lower right")
        axa.set_xlabel("time since application (h)")
    return fig


def plot_months(result, ctx):
    """Month by month: the pick's time ratio (with its band) and its cost."""
    mon = result.monthly
    fig = _figure(figsize=(9, 6.5), layout="constrained")
    ax, axc = fig.subplots(2, 1, sharex=True)
    months = [int(m) for m in mon.month]
    xs = np.arange(len(months))
    seen = set()
    drawn = []   # heights on the ratio axis
    for i, r in enumerate(mon.itertuples(index=False)):
        if r.best_candidate >= 0:
            cand, kind, ratio, cost, hatch = r.best_candidate, r.best_kind, r.best_ratio, \
                r.best_cost_vnd_m2, None
        elif r.fastest_candidate >= 0:
            cand, kind, ratio, cost, hatch = r.fastest_candidate, r.fastest_kind, \
                r.fastest_ratio, r.fastest_cost_vnd_m2, "//"
        else:
            ax.text(i, 0.05, "none", ha="center", fontsize=8, rotation=90)
            continue
        label = KIND_WORDS.get(kind, kind)
        lab = label if label not in seen else None
        seen.add(label)
        colour = KIND_COLOURS.get(kind, "C1")
        ax.bar(i, ratio, color=colour, hatch=hatch, edgecolor="k", lw=0.5, label=lab)
        drawn.append(float(ratio))
        axc.bar(i, cost, color=colour, hatch=hatch, edgecolor="k", lw=0.5)
        b = ctx.band(int(cand), months[i])
        if b is not None:
            err = [[max(ratio - b.ratio_low, 0)], [max(b.ratio_high - ratio, 0)]]
            ax.errorbar(i, ratio, yerr=err, color="k", capsize=3, lw=1)
            drawn.append(float(b.ratio_high))
        if r.unheated_candidate >= 0 and r.unheated_candidate != r.best_candidate:
            ax.plot(i, r.unheated_ratio, "D", color=KIND_COLOURS.get(r.unheated_kind, "C0"),
                    mec="k", ms=6, label="cheapest without a heated cabinet"
                    if "u" not in seen else None)
            seen.add("u")
            drawn.append(float(r.unheated_ratio))
    ax.axhline(1.0, color="k", ls="--", lw=1)
    ax.text(0.0, 1.0, " as fast as cashew", transform=ax.get_yaxis_transform(), ha="left",
            va="bottom", fontsize=8)
    top = np.nanmax([1.0] + drawn)
    if any(r.best_candidate < 0 <= r.fastest_candidate for r in mon.itertuples(index=False)):
        ax.bar([], [], color="w", hatch="//", edgecolor="k", label="fastest; none beats cashew")
    if len(result.band):
        ax.plot([], [], color="k", marker="|", ls="-", label="90 % band")
    ax.set_ylabel("time ratio to the competitor")
    ax.set_title("The cheapest practice that beats the competitor, month by month", fontsize=10)
    ax.set_ylim(0, 1.35 * top)
    if ax.get_legend_handles_labels()[0]:
        ax.legend(fontsize=8, loc="upper right", ncol=2)
    else:
        ax.text(0.5, 0.6, "no candidate meets the constraints in any month", ha="center",
                transform=ax.transAxes)
    comp = [float(ctx.competitor(m).cost_vnd_m2) for m in months]
    if np.isfinite(comp).any():
        axc.plot(xs, comp, "o-", color="C1", label="competitor")
        axc.legend(fontsize=8)
    axc.set_ylabel("cost, VND per m² per coat")
    _thousands(axc.yaxis)
    axc.set_xticks(xs, [calendar.month_abbr[m] for m in months])
    return fig


# ---------------------------------------------------------------------------
# report.md
# ---------------------------------------------------------------------------
def _month(m: int) -> str:
    return calendar.month_name[int(m)]


def _h(x) -> str:
    return f"{x:.2f} h" if np.isfinite(x) else "not reached"


def _vnd(x) -> str:
    return f"{x:,.0f}" if x is not None and np.isfinite(x) else "n/a"


def _score_words(space) -> str:
    return "worst month" if space.score is None else f"{space.score:g} quantile over the months"


def _times(ratio: float) -> str:
    return f"{1 / ratio:.2f}× as fast as" if ratio > 0 else "faster than"


def _md_table(head: list[str], rows: list[list[str]], align: str | None = None) -> list[str]:
    align = align or "l" * len(head)
    sep = ["---:" if a == "r" else "---" for a in align]
    out = ["| " + " | ".join(head) + " |", "| " + " | ".join(sep) + " |"]
    out += ["| " + " | ".join(str(c).replace("|", "\\|") for c in r) + " |" for r in rows]
    return out


def _cell(v) -> str:
    v = _plain(v)
    if isinstance(v, str):
        return v
    if isinstance(v, float):
        return f"{v:.3g}" if abs(v) < 1000 else f"{v:,.0f}"
    return str(v)


def answer_lines(result, ctx, month_files: Mapping[int, str] | None = None) -> list[str]:
    """The answer in words, one bullet per month."""
    mon = result.monthly
    band = "best_beats_in_band" in mon
    files = month_files or {}
    lines, heated_only, none_at_all = [], [], []
    for r in mon.itertuples(index=False):
        m = int(r.month)
        comp = ctx.competitor(m)
        ccost = float(comp.cost_vnd_m2)
        link = f" ([recipe]({files[m]}))" if m in files else ""
        if r.best_candidate < 0:
            none_at_all.append(m)
            if r.fastest_candidate >= 0:
                lines.append(f"- **{_month(m)}**: nothing found beats the competitor; the fastest "
                             f"candidate that meets the constraints ({KIND_WORDS[r.fastest_kind]},"
                             f" candidate {r.fastest_candidate}) takes {r.fastest_ratio:.2f} times "
                             f"the competitor's time{link}.")
            else:
                lines.append(f"- **{_month(m)}**: no candidate meets the constraints in this "
                             f"month.")
            continue
        cost_words = (f"{_vnd(r.best_cost_vnd_m2)} VND/m² per coat"
                      + (f" ({r.best_cost_vnd_m2 / ccost:.2f}× the competitor's "
                         f"{_vnd(ccost)})" if np.isfinite(ccost) and ccost > 0 else ""))
        text = (f"- **{_month(m)}**: {KIND_WORDS[r.best_kind]} (candidate {r.best_candidate}) "
                f"beats it: time ratio {r.best_ratio:.2f}, {_times(r.best_ratio)} the "
                f"competitor, at {cost_words}")
        if band:
            b = ctx.band(int(r.best_candidate), m)
            hi = f" (upper end {b.ratio_high:.2f})" if b is not None else ""
            text += ("; it still beats it within the 90 % band" + hi if r.best_beats_in_band
                     else "; **not** within the 90 % band" + hi)
        if r.best_kind == "heated_cabinet" and r.unheated_candidate < 0:
            heated_only.append(m)
            text += "; nothing without a heated cabinet beats it"
        elif r.unheated_candidate >= 0 and r.unheated_candidate != r.best_candidate:
            text += (f"; without a heated cabinet: {KIND_WORDS[r.unheated_kind]} "
                     f"(candidate {r.unheated_candidate}), ratio {r.unheated_ratio:.2f}, "
                     f"{_vnd(r.unheated_cost_vnd_m2)} VND/m²")
        lines.append(text + f"{link}.")
    summary = []
    if heated_only:
        summary.append("Months that cannot beat the competitor without a heated cabinet: "
                       + ", ".join(_month(m) for m in heated_only) + ".")
    if none_at_all:
        summary.append("Months where no candidate found beats it at all: "
                       + ", ".join(_month(m) for m in none_at_all) + ".")
    if not heated_only and not none_at_all:
        summary.append("In every month something found beats the competitor without a heated "
                       "cabinet." if all(r.unheated_candidate >= 0 for r in mon.itertuples())
                       else "In every month something found beats the competitor.")
    if not band:
        summary.append("The 90 % band was not checked (run without `--no-band` to check it).")
    return lines + [""] + summary


def month_table(result, ctx, month_files: Mapping[int, str] | None = None) -> list[str]:
    mon = result.monthly
    band = "best_beats_in_band" in mon
    files = month_files or {}
    head = ["month", "cheapest that beats the competitor", "ratio", "cost VND/m²"]
    align = "llrr"
    if band:
        head += ["in 90 % band"]
        align += "l"
    head += ["without heated cabinet", "ratio", "cost VND/m²", "fastest", "ratio",
             "competitor cost", "recipe"]
    align += "lrrlrrl"
    rows = []
    for r in mon.itertuples(index=False):
        m = int(r.month)
        row = [_month(m)]
        if r.best_candidate >= 0:
            row += [f"{KIND_WORDS[r.best_kind]} (#{r.best_candidate})", f"{r.best_ratio:.2f}",
                    _vnd(r.best_cost_vnd_m2)]
        else:
            row += ["none", "", ""]
        if band:
            b = ctx.band(int(r.best_candidate), m) if r.best_candidate >= 0 else None
            row += [("yes" if r.best_beats_in_band else "no")
                    + (f" (≤ {b.ratio_high:.2f})" if b is not None else "")
                    if r.best_candidate >= 0 else ""]
        if r.unheated_candidate >= 0:
            row += [f"{KIND_WORDS[r.unheated_kind]} (#{r.unheated_candidate})",
                    f"{r.unheated_ratio:.2f}", _vnd(r.unheated_cost_vnd_m2)]
        else:
            row += ["none", "", ""]
        if r.fastest_candidate >= 0:
            row += [f"{KIND_WORDS[r.fastest_kind]} (#{r.fastest_candidate})",
                    f"{r.fastest_ratio:.2f}"]
        else:
            row += ["none", ""]
        row += [_vnd(float(ctx.competitor(m).cost_vnd_m2))]
        row += [f"[{Path(files[m]).name}]({files[m]})" if m in files else ""]
        rows.append(row)
    return _md_table(head, rows, align)


def _used(practice: Mapping):
    """Whether a variable matters under ``practice`` (a cabinet's set points do not
    in the workshop, nor a bake's when there is none)."""
    kind, bake = practice["kind"], practice.get("bake") == "yes"

    def used(name: str) -> bool:
        if name == "practice.rh_percent":
            return kind != "workshop"
        if name == "practice.temperature_c":
            return kind == "heated_cabinet"
        if name in ("practice.bake_temperature_c", "practice.bake_minutes"):
            return bake
        return True

    return used


def front_md(result, front: pd.DataFrame) -> list[str]:
    space = result.space
    head = ["rank", "candidate"] + [f"`{n}`" for n in space.names] + \
        ["time ratio", "cost VND/m²", "laccol %", "worst month", "band high", "beats (band)"]
    if not result.feasible:
        head += ["breaks"]
    head += ["recipe"]
    rows = []
    for r in front.to_dict("records"):
        used = _used(space.practice({n: r[n] for n in space.names}))
        row = [str(r["rank"]), str(r["candidate"])] + [_cell(r[n]) if used(n) else "–"
                                                       for n in space.names]
        row += [f"{r['time_ratio']:.3g}" if r["time_ratio"] < BIG else "refused",
                _vnd(r["cost_vnd_m2"]) if r["cost_vnd_m2"] < BIG else "refused",
                f"{r['laccol_percent']:.1f}", calendar.month_abbr[int(r["worst_month"])],
                f"{r['band_ratio_high']:.2f}" if np.isfinite(r["band_ratio_high"]) else "",
                r["beats_months"] or ""]
        if not result.feasible:
            row += [r["violates"]]
        row += [f"[{Path(r['recipe']).name}]({r['recipe']})" if r["recipe"] else ""]
        rows.append(row)
    return _md_table(head, rows)


def report_text(result, ctx, front: pd.DataFrame, front_files: Mapping[int, str],
                month_files: Mapping[int, str], *, budget: int | None = None,
                command: str | None = None) -> str:
    from lacquersim import __version__
    from lacquersim.optimise.cost import PRICE_UNITS

    space = result.space
    L = [f"# {space.name}", ""]
    if space.description:
        L += [space.description, ""]
    if not result.feasible:
        L += ["> **No candidate met the constraints.** The search found no recipe and practice",
              "> that meets every constraint of the space in every month, so there is no",
              "> Pareto front. Below are the least infeasible candidates (smallest total",
              "> violation) and what each breaks; loosen the constraints or widen the",
              "> variables' ranges and run again.", ""]
        for r in front.itertuples(index=False):
            L.append(f"- candidate {r.candidate} ({KIND_WORDS.get(ctx.kind(int(r.candidate)), '')}"
                     f", violation {r.cv:.3g}): {r.violates or 'none'}")
        L.append("")
    comp_ref = space.competitor_ref if space.competitor_ref else "the competitor"
    if isinstance(comp_ref, Mapping):
        comp_ref = ("a data sheet (tack free " f"{comp_ref['tack_free_h']:g} h, dry hard "
                    f"{comp_ref['dry_hard_h']:g} h)")
    L += ["## How it was run", ""]
    if command:
        L += ["```console", f"$ {command}", "```", ""]
    L += [f"- space file: `{_shown_path(space.file) if space.file else '(built in Python)'}`; base recipe "
          f"`{space.base_ref or space.base.name}`; competitor `{comp_ref}`",
          f"- climate: {space.station}, normal of {space.period[0]}–{space.period[1]}"
          + (" and each month's coldest and warmest year" if space.years == "extremes" else "")
          + f"; months {', '.join(calendar.month_abbr[m] for m in space.months)}; each coat "
            f"dries {space.hours:g} h; a candidate is scored by its {_score_words(space)}",
          f"- search: NSGA-II (pymoo, mixed variables), population {space.population}, "
          + (f"budget {budget} evaluations, " if budget is not None else "")
          + f"{result.n_evals} candidates evaluated, seed {result.seed}; {space.n_cells} cells "
            f"through the film",
          f"- time: {result.seconds:.0f} s (this session) on a machine with "
          f"{os.cpu_count()} cores; lacquersim {__version__}",
          f"- constraints: wrinkle index ≤ {space.constraints['wrinkle_max']:g}, surface "
          f"Tg − T ≥ {space.constraints['hardness_min_k']:g} K at the end, laccol ≥ "
          f"{space.constraints['laccol_min_percent']:g} %, every stage reached in every month, "
          f"a heated cabinet never set below the workshop air", ""]

    L += ["## The answer", ""]
    if len(front) and result.feasible:
        b = front.sort_values(["time_ratio", "cost_vnd_m2"]).iloc[0]
        L += [f"The fastest recipe on the front (candidate {b.candidate}, "
              f"{KIND_WORDS[ctx.kind(int(b.candidate))]}) has a time ratio of "
              f"{b.time_ratio:.2f} in its worst month ({_month(b.worst_month)}): "
              f"{_times(b.time_ratio)} the competitor, at {_vnd(b.cost_vnd_m2)} VND/m² per "
              f"coat ([recipe]({b.recipe})).", ""]
    L += ["A time ratio is max(tack free / the competitor's tack free, dry hard / the "
          "competitor's dry hard) in the same month's air: below 1 the candidate is both tack "
          "free and dry hard sooner.", ""]
    if result.feasible:
        L += ["Month by month, the cheapest candidate that beats the competitor in that "
              "month:", ""]
    else:
        L += ["No candidate meets the constraints in every month (see above), so none is an "
              "answer. Month by month, a candidate may still meet them in that month alone; "
              "the cheapest of those that beats the competitor there:", ""]
    L += answer_lines(result, ctx, month_files) + [""]

    L += ["## Month by month", ""]
    L += month_table(result, ctx, month_files) + [""]
    L += ["Practice and candidate number (`#`, as in `front.csv` and the archive); costs "
          "in VND per m² per coat in that month. *fastest* is the fastest candidate that "
          "meets the constraints in that month, whatever it costs.", ""]

    L += ["## The front" if result.feasible else "## The least infeasible candidates", ""]
    L += front_md(result, front) + [""]
    L += [f"Time ratio: {_score_words(space)}; cost: mean over the months. *band high*: the "
          "highest upper end of the 90 % band of the ratio over the months; *beats (band)*: the "
          "months where the upper end of the band is at most 1 (empty when the band was not "
          "checked). Practice fields that do not apply to the practice are shown as –. "
          "All of it, unrounded, in "
          "[front.csv](front.csv).", ""]

    L += ["## Figures", "",
          "![time ratio against cost of every candidate](pareto.png)", "",
          "Every candidate evaluated: time ratio against cost, the front highlighted (colour: "
          "laccol content when it varies; marker: practice). Left of the dashed line is faster "
          "than the competitor.", "",
          "![drying curves of the fastest front recipes against the competitor](curves.png)", "",
          "The fastest front recipes (at most three) in their worst month, against the "
          "competitor in the same month's workshop air: network conversion over the gel point "
          "(the mean reaching 1 is dry hard), the tack-free (dotted) and dry-hard (dash-dot) "
          "times, and below, the air each dries in.", "",
          "![the month by month picks](months.png)", "",
          "Each month's pick: bar = time ratio (hatched: nothing beats the competitor, the "
          "fastest shown) with its 90 % band when checked; below, its cost against the "
          "competitor's.", ""]

    L += ["## Prices used", "",
          "VND, excluding VAT; the space file's `prices:` overrides any of them "
          "(the cost model: `docs/optimise.md` in lacquersim's repository).", ""]
    prices = space.prices.to_dict()
    src = space.prices.sources()
    rows = [[f"`{k}`", f"{v:,.0f}" if v >= 100 else f"{v:g}", PRICE_UNITS.get(k, ""),
             src.get(k, "")] for k, v in prices.items()]
    L += _md_table(["price", "value", "unit", "source"], rows, "lrll") + [""]

    L += ["## How to read this, and its limits", "",
          "- The stage times come from the model, whose parameters are uncertain: a month "
          "counts as beaten *within the band* only when the upper end of the 90 % band of "
          "the ratio (the candidate and the competitor dried under every member of the "
          "fitted parameter ensemble) is at most 1. A nominal ratio just below 1 is not a "
          "reliable win.",
          "- Prices marked ASSUMPTION above have no published number behind them; raw laccol "
          "swings by a factor 3–4 between years. Costs leave out labour, rejects, losses "
          "in the pot and the brush, interest and maintenance.",
          "- A cabinet cannot cool or dehumidify, and neither is modelled: a heated cabinet "
          "set below the workshop air is refused, and humid cabinets run at the workshop's "
          "temperature.",
          "- The air is each month's normal daily cycle (station records); a cold snap or a "
          "dry spell in a given year can be worse than the normal.",
          "- Each recipe file says how to reproduce the stage times of the search "
          "(`lacquersim run FILE --cells N`); the default 50 cells give slightly different "
          "times.", ""]
    return "\n".join(L)


def _shown_path(path: str) -> str:
    """A path relative to the working folder when it lies below it (a report
    should not carry one machine's absolute paths)."""
    try:
        return os.path.relpath(path) if not os.path.relpath(path).startswith("..") else path
    except ValueError:
        return path
