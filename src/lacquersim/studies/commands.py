"""The study commands of the command line: ``sweep``, ``sensitivity``, ``map``.

Each ``_add_*`` function declares one subcommand on the parser of
:mod:`lacquersim.cli`; each ``_cmd_*`` runs it and returns the exit status.
A user mistake raises :class:`~lacquersim.errors.RecipeError` (exit 2, one
line, no traceback), as everywhere in the CLI.
"""

from __future__ import annotations

from lacquersim.i18n import _, ngettext
from lacquersim.notices import compile_notice

__all__ = ["add_commands"]


def add_commands(sub, conditions) -> None:
    """Declare the study subcommands on ``sub`` (argparse subparsers)."""
    _add_sweep(sub)
    _add_sensitivity(sub)
    _add_map(sub, conditions)


# -- sweep ---------------------------------------------------------------------
def _add_sweep(sub) -> None:
    sw = sub.add_parser(
        "sweep", help=_("run a study: a grid or a sample of cases"),
        description=_("Run every case of a study file (a grid, or an lhs / sobol / morris "
                    "sample over ranges; see docs/studies.md) and write one row per case "
                    "to a Parquet file, chunk by chunk: an interrupted study continues "
                    "with --resume."))
    sw.add_argument("study", metavar="STUDY.yaml", help=_("the study file"))
    sw.add_argument("--out", required=True, metavar="FILE.parquet",
                    help=_("results file (its chunks sit in FILE.parquet.parts/ while it runs)"))
    sw.add_argument("--resume", action="store_true",
                    help=_("continue the study stored in --out: run only the missing cases"))
    sw.add_argument("--workers", type=int, metavar="N",
                    help=_("kernel threads here, or worker processes with --dask "
                         "(default: all cores)"))
    where = sw.add_mutually_exclusive_group()
    where.add_argument("--dask", action="store_true",
                       help=_("run on a local Dask cluster started for the study"))
    where.add_argument("--scheduler", metavar="ADDR",
                       help=_("run on an existing Dask cluster, e.g. tcp://host:8786"))
    sw.add_argument("--chunk-size", type=int, metavar="N",
                    help=_("cases per chunk written (default: about a second of work)"))
    sw.add_argument("--json", action="store_true",
                    help=_("print a JSON summary on stdout, nothing else (no progress bar)"))
    sw.set_defaults(func=_cmd_sweep)


def _cmd_sweep(args) -> int:
    import json
    import time

    from lacquersim.errors import RecipeError
    from lacquersim.studies.definition import load_study
    from lacquersim.studies.execution import evaluate

    study = load_study(args.study)
    compile_notice("bdf.integrate_batch")
    executor = args.scheduler or ("dask" if args.dask else "local")
    t0 = time.perf_counter()
    try:
        df = evaluate(study, executor=executor, workers=args.workers, out=args.out,
                      resume=args.resume, chunk_size=args.chunk_size, progress=not args.json)
    except KeyboardInterrupt:
        import sys

        print(_("interrupted: the finished chunks are kept in {folder}; run the same command "
                "with --resume to finish the study").format(folder=f"{args.out}.parts"),
              file=sys.stderr)
        return 130
    except RecipeError as exc:
        raise _option_error(exc) from None
    seconds = time.perf_counter() - t0
    summary = study_summary(df, study)
    summary.update({"out": str(args.out), "seconds": round(seconds, 3)})
    if args.json:
        print(json.dumps(summary, indent=2))
        return 0
    print("\n".join(format_summary(summary, study)))
    return 0


# CLI spelling of the API's argument names in messages
_OPTIONS = {"out": "--out", "resume": "--resume", "workers": "--workers",
            "scheduler": "--scheduler", "executor": "--dask", "chunk_size": "--chunk-size"}


def _option_error(exc):
    from lacquersim.errors import RecipeError

    if exc.field in _OPTIONS and exc.file is None:
        return RecipeError(exc.problem, field=_OPTIONS[exc.field])
    return exc


def study_summary(df, study) -> dict:
    """Counts of each status and, per stage, how many cases reached it and
    the median and 5–95 % range of the time (over the cases that did)."""
    from lacquersim.model.stages import STAGES

    status = df["status"].map(lambda s: s.split(":")[0] if s.startswith("invalid") else s)
    stages = {}
    for s in STAGES:
        col = df[f"{s}_h"].dropna()
        stages[s] = {"reached": int(col.size),
                     "median_h": None if col.empty else round(float(col.median()), 4),
                     "p5_h": None if col.empty else round(float(col.quantile(0.05)), 4),
                     "p95_h": None if col.empty else round(float(col.quantile(0.95)), 4)}
    return {"recipe": study.recipe.name, "method": study.method, "n_cases": int(len(df)),
            "inputs": study.inputs, "status": {k: int(v) for k, v in status.value_counts().items()},
            "stages": stages}


def format_summary(summary: dict, study) -> list[str]:
    import textwrap

    from lacquersim.model.stages import stage_label

    n = summary["n_cases"]
    lines = textwrap.wrap(_("{recipe}: {method} study, {n} cases, inputs {inputs}").format(
        recipe=study.recipe.title, method=summary["method"], n=n,
        inputs=", ".join(summary["inputs"])), 80, subsequent_indent="  ")
    st = ", ".join(f"{k} {v}" for k, v in summary["status"].items())
    lines += [_("status: {counts}").format(counts=st), ""]
    wl = max(14, *(len(stage_label(k)) + 1 for k in summary["stages"]))
    header = (f"{_('stage'):<{wl}}{_('reached'):>14}{_('median h'):>11}{_('5 % h'):>10}"
              f"{_('95 % h'):>10}")
    lines += [header, "-" * len(header)]

    def h(x):
        return "-" if x is None else f"{x:.2f}"

    for k, v in summary["stages"].items():
        reached = _("{n} of {total}").format(n=v["reached"], total=n)
        lines.append(f"{stage_label(k):<{wl}}{reached:>14}{h(v['median_h']):>11}"
                     f"{h(v['p5_h']):>10}{h(v['p95_h']):>10}")
    lines += ["", _("times over the cases that reached the stage within {h} h").format(
                  h=f"{study.recipe.drying.total_hours:g}"),
              _("{s} s; wrote {file}").format(s=f"{summary['seconds']:.1f}", file=summary["out"])]
    return lines


# -- sensitivity -----------------------------------------------------------------
def _add_sensitivity(sub) -> None:
    sp = sub.add_parser(
        "sensitivity", help=_("Sobol or Morris sensitivity indices of one output of a study"),
        description=_("Which inputs of a sobol or morris study decide one output: Sobol first- "
                    "and total-order indices, or Morris mu*, mu and sigma, with bootstrap "
                    "confidence intervals (SALib). A stage not reached within the horizon "
                    "counts as the horizon (censored at the horizon, which understates the "
                    "inputs that stop the coat drying); the outputs dries:<stage>_h are 1 "
                    "where the stage is reached and 0 where not."))
    sp.add_argument("study", metavar="STUDY.yaml", help=_("the study file (method sobol or morris)"))
    sp.add_argument("--output", required=True, metavar="OUTPUT",
                    help=_("the output analysed: set_to_touch_h, tack_free_h, dry_hard_h, "
                         "dry_through_h, wrinkle_index, final_tg_minus_t_c, or "
                         "dries:<stage>_h (e.g. dries:tack_free_h)"))
    sp.add_argument("--results", metavar="FILE.parquet",
                    help=_("the study's results (from lacquersim sweep --out); default: run "
                         "the study here"))
    sp.add_argument("--plot", metavar="FILE.png",
                    help=_("save a tornado chart (format from the suffix: png, pdf, svg, ...)"))
    sp.add_argument("--censor", choices=("horizon", "none"), default="horizon",
                    help=_("a stage not reached within the horizon: count it as the horizon "
                         "(default), or refuse (none)"))
    sp.add_argument("--json", action="store_true",
                    help=_("print the indices as JSON on stdout, nothing else (no progress bar)"))
    sp.set_defaults(func=_cmd_sensitivity)


# analyse()'s argument -> the option that sets it, so errors name what was typed
_SENSITIVITY_OPTIONS = {"output": "--output", "censor": "--censor", "results": "--results"}


def _cmd_sensitivity(args) -> int:
    import json
    import math

    from lacquersim.errors import RecipeError
    from lacquersim.studies import sensitivity as sa
    from lacquersim.studies.definition import load_study

    study = load_study(args.study)
    try:
        # everything that needs no results first: a typo costs no run
        sa.check_analysis(study, args.output, args.censor)
        if args.plot:
            from lacquersim.studies.maps import image_format

            image_format(args.plot, field="--plot")
        if args.results:
            from lacquersim.studies.store import read_results

            results, meta = read_results(args.results)
            differ = sa.definition_differences(meta.get("definition") or {}, study)
            if differ:
                raise RecipeError(_("{file} holds another study's results (it differs in: "
                                    "{fields}); run this study with lacquersim sweep, or leave "
                                    "out --results to run it here").format(
                                        file=args.results, fields=", ".join(differ)),
                                  field="--results")
        else:
            from lacquersim.studies.execution import evaluate

            compile_notice("bdf.integrate_batch")
            results = evaluate(study, progress=not args.json)
        indices = sa.analyse(study, results, args.output, censor=args.censor)
    except RecipeError as exc:
        if exc.field in _SENSITIVITY_OPTIONS and exc.file is None:
            raise RecipeError(exc.problem, field=_SENSITIVITY_OPTIONS[exc.field]) from None
        raise
    if args.plot:
        from lacquersim.studies.maps import save_figure

        save_figure(sa.plot_sensitivity(indices), args.plot, field="--plot")

    a = indices.attrs
    if args.json:
        def num(x):
            x = float(x)
            return x if math.isfinite(x) else None

        print(json.dumps({
            "study": str(args.study), "recipe": study.recipe.name, "method": a["method"],
            "output": a["output"], "unit": a["unit"], "n_cases": a["n_cases"],
            "censored": a["censored"], "not_reached": a["not_reached"],
            "horizon_h": a["horizon_h"], "censor": a["censor"], "conf_level": a["conf_level"],
            "indices": {name: {k: num(v) for k, v in row.items()}
                        for name, row in indices.iterrows()},
            "plot": args.plot}, indent=2))
        return 0
    print("\n".join(format_sensitivity(indices, study)))
    if args.plot:
        print("\n" + _("wrote {file}").format(file=args.plot))
    return 0


def format_sensitivity(indices, study, width: int = 80) -> list[str]:
    """The indices of :func:`~lacquersim.studies.sensitivity.analyse` as an
    aligned table, most influential input first, within ``width`` columns."""
    import math
    import textwrap

    from lacquersim.model.stages import STAGE_LABELS, stage_label
    from lacquersim.studies.sensitivity import DRIES, describe

    a = indices.attrs
    sobol = a["method"] == "sobol"
    unit = f", {a['unit']}" if a["unit"] else ""
    pct = f"±{a['conf_level'] * 100:g}%"
    if sobol:
        cols = [("S1", "S1"), ("S1_conf", pct), ("ST", "ST"), ("ST_conf", pct)]
        key, what = "ST", _("Sobol indices (shares of the variance)")
    else:
        cols = [("mu_star", "mu*"), ("mu_star_conf", pct), ("mu", "mu"), ("sigma", "sigma")]
        key, what = "mu_star", _("Morris indices ({unit} per whole range)").format(
            unit=a["unit"] or _("output"))
    df = indices.sort_values(key, ascending=False, kind="stable")
    cw = 10
    nw = min(max(len(_("input")), *(len(str(n)) for n in df.index)), width - cw * len(cols))

    def name(n):
        n = str(n)
        return n if len(n) <= nw else n[:nw - 3] + "..."

    def num(x):
        x = float(x)
        return f"{x:.3f}" if math.isfinite(x) else "-"

    head = f"{a['output']} ({describe(a['output'])}{unit}): {what}"
    lines = textwrap.wrap(head, width, subsequent_indent="  ")
    lines += textwrap.wrap(_("{recipe}, {n} cases, intervals at {level} %").format(
        recipe=study.recipe.title, n=a["n_cases"], level=f"{a['conf_level'] * 100:g}"),
        width, subsequent_indent="  ")
    header = f"{_('input'):<{nw}}" + "".join(f"{label:>{cw}}" for _c, label in cols)
    lines += ["", header, "-" * len(header)]
    for n, row in df.iterrows():
        lines.append(f"{name(n):<{nw}}" + "".join(f"{num(row[c]):>{cw}}" for c, _l in cols))
    horizon, output, n = a["horizon_h"], a["output"], a["n_cases"]
    column = output.removeprefix(DRIES)
    name_ = column.removesuffix("_h")
    stage = stage_label(name_) if name_ in STAGE_LABELS else None
    if output.startswith(DRIES):
        note = _("{output} is 1 where {stage} is reached within {h} h and 0 where not "
                 "({k} of {n} cases did not); nothing censored.").format(
                     output=output, stage=stage, h=f"{horizon:g}", k=a["not_reached"], n=n)
    elif stage is None:
        note = _("{output} is not a stage time: nothing censored.").format(output=output)
    elif a["censored"]:
        note = _("{k} of {n} cases did not reach {stage} within {h} h: their time counts as "
                 "{h} h (censored at the horizon), which understates the effect of the inputs "
                 "that stop the coat drying; see also --output {option}.").format(
                     k=a["censored"], n=n, stage=stage, h=f"{horizon:g}",
                     option=f"{DRIES}{output}")
    else:
        note = _("All {n} cases reached {stage} within {h} h: nothing censored.").format(
            n=n, stage=stage, h=f"{horizon:g}")
    lines += [""] + textwrap.wrap(note, width)
    return lines


# -- map -------------------------------------------------------------------------
def _add_map(sub, conditions) -> None:
    # `conditions` (--temperature/--rh/--hours) is not offered: the map spans
    # temperature and humidity itself.
    from lacquersim.model.climate import DEFAULT_PERIOD, STATIONS
    from lacquersim.studies.maps import DEFAULT_RH_PERCENT as RH
    from lacquersim.studies.maps import DEFAULT_TEMPERATURES_C as T

    mp = sub.add_parser(
        "map", help=_("drying map: tack-free and dry-hard time over temperature × humidity"),
        description=_("Run the recipe under constant air on a grid of temperature ({t0} to "
                      "{t1} °C) and relative humidity ({rh0} to {rh1} %) and draw its "
                      "tack-free and dry-hard time: the conditions under which it does not "
                      "dry within the horizon hatched, and with --months a Phu Tho "
                      "workshop's air in each month (station records) drawn on it. Prints in "
                      "which months the workshop air makes the coat tack free within 8 h, "
                      "24 h or not at all.").format(t0=f"{T[0]:g}", t1=f"{T[-1]:g}",
                                                    rh0=f"{RH[0]:g}", rh1=f"{RH[-1]:g}"))
    mp.add_argument("recipe", metavar="RECIPE",
                    help=_("recipe file (.yaml) or bundled recipe name (one coat)"))
    mp.add_argument("--out", metavar="FILE.png",
                    help=_("save the map (format from the suffix: png, pdf, svg, ...)"))
    mp.add_argument("--station", default="viet-tri", choices=tuple(STATIONS),
                    help=_("station whose records give the workshop air (default viet-tri)"))
    mp.add_argument("--months", action="store_true",
                    help=_("draw the workshop air of the 12 months on the map"))
    mp.add_argument("--period", default=f"{DEFAULT_PERIOD[0]}-{DEFAULT_PERIOD[1]}",
                    metavar="YYYY-YYYY",
                    help=_("years averaged for the months (default %(default)s; or one year)"))
    mp.add_argument("--horizon", type=float, default=72.0, metavar="H",
                    help=_("how long each film dries, h (default 72)"))
    mp.add_argument("--cells", type=int, default=30, metavar="N",
                    help=_("grid cells through the film thickness (3 to 2000, default 30)"))
    mp.add_argument("--json", action="store_true",
                    help=_("print the map as JSON records on stdout, nothing else"))
    mp.set_defaults(func=_cmd_map)


# drying_map's argument -> the option that sets it, so errors name what was typed
_MAP_OPTIONS = {"horizon_h": "--horizon", "n_cells": "--cells", "station": "--station",
                "period": "--period"}


def _cmd_map(args) -> int:
    import json
    import math
    import textwrap

    from lacquersim.errors import RecipeError
    from lacquersim.model.recipe_files import load_recipe
    from lacquersim.model.stages import stage_label
    from lacquersim.studies import maps as dm

    recipe = load_recipe(args.recipe)
    fmt = dm.image_format(args.out, field="--out") if args.out else None  # before the run
    period = _map_period(args.period)
    try:
        months = dm.workshop_months(args.station, period)
        compile_notice("bdf.integrate_batch")
        table = dm.drying_map(recipe, horizon_h=args.horizon, n_cells=args.cells)
    except RecipeError as e:
        if e.field in _MAP_OPTIONS:
            raise RecipeError(e.problem, field=_MAP_OPTIONS[e.field]) from None
        raise
    if fmt is not None:
        fig = dm.plot_drying_maps(table, months=months if args.months else None)
        try:
            dm.save_figure(fig, args.out, field="--out")
        finally:
            import matplotlib.pyplot as plt

            plt.close(fig)
    if args.json:
        records = [{k: (None if isinstance(v, float) and not math.isfinite(v) else v)
                    for k, v in row.items()} for row in table.to_dict(orient="records")]
        print(json.dumps(records, indent=2))
        return 0

    horizon = table.attrs["horizon_h"]
    t, rh = sorted(set(table.temperature_c)), sorted(set(table.rh_percent))
    lines = [recipe.title + (f"  ({recipe.source})" if recipe.source else "")]
    lines += ["  " + line for line in _(
        "conditions   {t0} to {t1} °C × {rh0} to {rh1} % RH ({nt} × {nrh}), each\n"
        "             constant for {h} h, air {air} m/s, {cells} cells").format(
            t0=f"{t[0]:g}", t1=f"{t[-1]:g}", rh0=f"{rh[0]:g}", rh1=f"{rh[-1]:g}", nt=len(t),
            nrh=len(rh), h=f"{horizon:g}", air=f"{table.attrs['air_speed_m_s']:g}",
            cells=table.attrs["n_cells"]).splitlines()]
    lw = max(12, *(len(stage_label(s)) for s in ("tack_free", "dry_hard")))
    for stage in ("tack_free", "dry_hard"):
        dry = int(table[f"{stage}_h"].notna().sum())
        lines.append(f"  {stage_label(stage):<{lw}} " + _("within {h} h in {k} of {n} conditions")
                     .format(h=f"{horizon:g}", k=dry, n=len(table)))
    failed = int((table.status != "ok").sum())
    if failed:
        lines.append("  " + _("solver       failed in {n} conditions (marked x on the map)")
                     .format(n=failed))

    read = dm.months_on_map(table, months, stages=("tack_free",))
    a, b = months.attrs["period"]
    when = f"{a}" if a == b else f"{a}–{b}"
    lines += [""] + textwrap.wrap(
        _("Workshop air in {station}, {when}, daily mean of each month, on the map:").format(
            station=_(months.attrs["station_name"]), when=when), 80, subsequent_indent="  ")
    h = read.tack_free_h
    groups = [(_("tack free within 8 h"), read.on_map & (h <= 8.0)),
              (_("in 8 to 24 h"), read.on_map & (h > 8.0) & (h <= 24.0))]
    if horizon > 24.0:
        groups.append((_("in 24 to {h} h").format(h=f"{horizon:g}"), read.on_map & (h > 24.0)))
    groups.append((_("not within {h} h").format(h=f"{horizon:g}"), read.on_map & h.isna()))
    if not read.on_map.all():
        groups.append((_("outside the map"), ~read.on_map))
    wl = max(22, *(len(label) for label, _m in groups))
    for label, mask in groups:
        lines.append(f"  {label:<{wl}} {_month_list(read.month[mask].tolist())}")
    if args.out:
        lines += ["", _("wrote {file}").format(file=args.out)]
    print("\n".join(lines))
    return 0


def _map_period(text: str) -> tuple[int, int]:
    """``1991-2015`` (or one year, ``1998``) -> (first, last)."""
    from lacquersim.errors import RecipeError

    parts = text.replace("–", "-").split("-")
    try:
        years = [int(p) for p in parts]
    except ValueError:
        years = []
    if len(years) not in (1, 2):
        raise RecipeError(_("expected years as FIRST-LAST, such as 1991-2015, or one year, "
                            "got {text}").format(text=repr(text)), field="--period")
    return years[0], years[-1]


def _month_list(months: list[int]) -> str:
    """[3, 4, 5, 6, 9] -> "months 3–6, 9"; runs of three or more are joined."""
    if not months:
        return _("none")
    parts, run = [], [months[0]]
    for m in months[1:] + [None]:
        if m is not None and m == run[-1] + 1:
            run.append(m)
            continue
        parts.append(f"{run[0]}–{run[-1]}" if len(run) >= 3 else ", ".join(map(str, run)))
        run = [m]
    return ngettext("month {list}", "months {list}", len(months)).format(list=", ".join(parts))
