"""The ``optimise`` command of the command line.

``lacquersim optimise SPACE.yaml --budget N --seed S --out DIR`` searches
the space (:func:`lacquersim.optimise.search.optimise`), writes the run's
files (:func:`lacquersim.optimise.report.write_outputs`) and prints a short
summary. A user mistake raises :class:`~lacquersim.errors.RecipeError`
(exit 2, one line), as everywhere in the CLI; Ctrl-C exits 130 with the
checkpoint kept in DIR; a space no candidate satisfies is an answer, not an
error (exit 0, with the least infeasible candidates).
"""

from __future__ import annotations

from lacquersim.i18n import N_, _
from lacquersim.notices import compile_notice
from lacquersim.progress import Bar

__all__ = ["add_commands", "format_summary", "run_summary"]

WIDTH = 80


def add_commands(sub) -> None:
    """Declare ``lacquersim optimise`` on ``sub`` (argparse subparsers)."""
    op = sub.add_parser(
        "optimise", help=_("search recipes and drying practice against a competitor"),
        description=_("Search the space file's recipe variables and drying practice (NSGA-II) "
                    "for what dries as fast as the competitor month by month in a Phu Tho "
                    "workshop, and at what cost (see docs/optimise.md). Writes to DIR: "
                    "front.csv, recipes/*.yaml (each runnable with 'lacquersim run'), "
                    "report.md and its figures. The run is checkpointed in DIR after every "
                    "generation: after Ctrl-C (exit 130) the same command with --resume "
                    "continues it. If no candidate meets the constraints, it says so, writes "
                    "the least infeasible candidates (and which constraints they break) to "
                    "front.csv, and exits 0."))
    op.add_argument("space", metavar="SPACE.yaml", help=_("the space file"))
    op.add_argument("--budget", type=int, required=True, metavar="N",
                    help=_("candidates evaluated (at least the space's population)"))
    op.add_argument("--seed", type=int, default=0, metavar="S",
                    help=_("random seed: the same seed and budget give the same front "
                         "(default 0)"))
    op.add_argument("--out", required=True, metavar="DIR",
                    help=_("folder for the checkpoint and the results (created; its parent "
                         "must exist)"))
    op.add_argument("--resume", action="store_true",
                    help=_("continue the run checkpointed in --out"))
    op.add_argument("--workers", type=int, metavar="N",
                    help=_("worker processes of the --dask cluster (default: one per core)"))
    where = op.add_mutually_exclusive_group()
    where.add_argument("--dask", action="store_true",
                       help=_("score each generation on a local Dask cluster started for the run"))
    where.add_argument("--scheduler", metavar="ADDR",
                       help=_("score on an existing Dask cluster, e.g. tcp://host:8786"))
    op.add_argument("--no-band", action="store_true",
                    help=_("skip checking the front against the parameter ensemble (the 90 %% "
                         "band of the time ratio)"))
    op.add_argument("--json", action="store_true",
                    help=_("print a JSON summary on stdout, nothing else (no progress bar)"))
    op.set_defaults(func=_cmd_optimise)


# CLI spelling of the API's argument names in messages
_OPTIONS = {"budget": "--budget", "seed": "--seed", "out": "--out", "resume": "--resume",
            "workers": "--workers", "executor": "--dask", "scheduler": "--scheduler"}


def _option_error(exc):
    from lacquersim.errors import RecipeError

    if exc.field in _OPTIONS and exc.file is None:
        return RecipeError(exc.problem, field=_OPTIONS[exc.field])
    return exc


def _command(args) -> str:
    import shlex

    parts = ["lacquersim", "optimise", args.space, "--budget", str(args.budget),
             "--seed", str(args.seed), "--out", args.out]
    if args.workers is not None:
        parts += ["--workers", str(args.workers)]
    if args.dask:
        parts.append("--dask")
    if args.scheduler:
        parts += ["--scheduler", args.scheduler]
    if args.no_band:
        parts.append("--no-band")
    return shlex.join(parts)


def _cmd_optimise(args) -> int:
    import json
    import sys

    from lacquersim.errors import RecipeError
    from lacquersim.optimise.report import write_outputs
    from lacquersim.optimise.search import optimise
    from lacquersim.optimise.space import load_space

    space = load_space(args.space)
    executor = args.scheduler or ("dask" if args.dask else "local")
    compile_notice("bdf.integrate_batch")
    # a bar whenever there is no JSON to keep clean, from the first report;
    # a resumed run starts where its checkpoint ended
    bar = Bar("eval", enabled=not args.json, delay=0.0, resume=True, leave=True,
              smoothing=0.1, mininterval=0.5)
    try:
        try:
            result = optimise(space, args.budget, seed=args.seed, out_dir=args.out,
                              resume=args.resume, executor=executor, workers=args.workers,
                              progress=bar, band=not args.no_band)
        finally:
            bar.close()
        paths = write_outputs(result, args.out, budget=args.budget, command=_command(args))
    except KeyboardInterrupt:
        print(_("interrupted; run the same command with --resume (the checkpoint is in "
                "{folder})").format(folder=args.out), file=sys.stderr)
        return 130
    except RecipeError as exc:
        raise _option_error(exc) from None
    summary = run_summary(result, paths, budget=args.budget)
    if args.json:
        print(json.dumps(summary, indent=2, ensure_ascii=False))
        return 0
    print("\n".join(format_summary(summary)))
    return 0


def _num(x, digits: int = 4):
    import math

    if x is None:
        return None
    x = float(x)
    return round(x, digits) if math.isfinite(x) else None


def run_summary(result, paths: dict, *, budget: int | None = None) -> dict:
    """What a run found, as plain JSON-able data (what ``--json`` prints)."""
    from lacquersim.optimise.report import front_table, violations

    space = result.space
    by_cand = {}   # candidate -> its front recipe (written first), relative to the folder
    for p, (c, _r) in paths.get("recipe_files", {}).items():
        by_cand.setdefault(int(c), f"recipes/{p.name}")
    front = front_table(result, by_cand)
    comp = result.competitor
    comp_cost = {int(m): _num(c, 3) for m, c, lab in
                 zip(comp.month, comp.cost_vnd_m2, comp.climate) if "/" not in str(lab)}
    kinds = _kinds(result)
    out = {
        "space": space.name, "file": space.file, "budget": budget, "n_evals": int(result.n_evals),
        "seed": int(result.seed), "seconds": round(float(result.seconds), 3),
        "feasible": bool(result.feasible), "front_size": int(len(front)),
        "band_checked": bool(len(result.band)),
        "best": None, "months": [], "least_infeasible": [],
        "files": {k: str(v) for k, v in paths.items() if k not in ("recipes", "recipe_files")},
    }
    out["files"]["recipes"] = [str(p) for p in paths.get("recipes", [])]
    if result.feasible and len(front):
        b = front.sort_values(["time_ratio", "cost_vnd_m2"]).iloc[0]
        c = int(b.candidate)
        out["best"] = {"candidate": c, "kind": kinds.get(c, ""),
                       "time_ratio": _num(b.time_ratio), "cost_vnd_m2": _num(b.cost_vnd_m2, 1),
                       "laccol_percent": _num(b.laccol_percent, 2),
                       "worst_month": int(b.worst_month), "recipe": b.recipe or None}
    if not result.feasible:
        a = result.archive.set_index("candidate")
        for c in front.candidate:
            out["least_infeasible"].append({"candidate": int(c), "cv": _num(a.at[c, "cv"]),
                                            "violates": violations(a.loc[c])})
    band = "best_beats_in_band" in result.monthly
    for r in result.monthly.itertuples(index=False):
        row = {"month": int(r.month), "competitor_cost_vnd_m2": comp_cost.get(int(r.month))}
        for tag in ("best", "unheated", "fastest"):
            cand = int(getattr(r, f"{tag}_candidate"))
            row[tag] = None if cand < 0 else {
                "candidate": cand, "kind": getattr(r, f"{tag}_kind"),
                "time_ratio": _num(getattr(r, f"{tag}_ratio")),
                "cost_vnd_m2": _num(getattr(r, f"{tag}_cost_vnd_m2"), 1)}
        row["beats_in_band"] = (bool(r.best_beats_in_band) if band and r.best_candidate >= 0
                                else None)
        out["months"].append(row)
    return out


def _kinds(result) -> dict:
    a = result.archive
    if "practice.kind" in a:
        return {int(c): str(k) for c, k in zip(a.candidate, a["practice.kind"])}
    k = result.space.practice_fixed["kind"]
    return {int(c): k for c in a.candidate}


SHORT_KINDS = {"workshop": N_("workshop"), "humid_cabinet": N_("humid cab."),
               "heated_cabinet": N_("heated cab.")}
_MONTH_ABBR = (N_("Jan"), N_("Feb"), N_("Mar"), N_("Apr"), N_("May"), N_("Jun"), N_("Jul"),
               N_("Aug"), N_("Sep"), N_("Oct"), N_("Nov"), N_("Dec"))


def _abbr(month: int) -> str:
    return _(_MONTH_ABBR[month - 1])


def _kind(kind: str) -> str:
    return _(SHORT_KINDS[kind]) if kind in SHORT_KINDS else kind


def format_summary(s: dict, width: int = WIDTH) -> list[str]:
    """The summary printed after a run, within ``width`` columns."""
    import os
    import textwrap

    def wrap(text):
        return textwrap.wrap(text, width, subsequent_indent="  ", break_long_words=False,
                             break_on_hyphens=False)

    lines = wrap(s["space"])
    lines += wrap(_("{n} candidates evaluated in {s} s (seed {seed}); ").format(
        n=s["n_evals"], s=f"{s['seconds']:.0f}", seed=s["seed"])
        + (_("front: {n} recipes").format(n=s["front_size"]) if s["feasible"]
           else _("no candidate met the constraints")))
    if not s["feasible"]:
        lines += [""] + wrap(_("No candidate met the constraints: there is no Pareto front. The "
                               "least infeasible candidates are in front.csv, with the "
                               "constraints they break:"))
        for c in s["least_infeasible"][:5]:
            lines += wrap(f"  #{c['candidate']}: " + "; ".join(c["violates"]))
        lines += wrap(_("Loosen the constraints or widen the variables' ranges and run again."))
    best = s["best"]
    if best is not None:
        comp = [m["competitor_cost_vnd_m2"] for m in s["months"]
                if m["competitor_cost_vnd_m2"] is not None]
        comp_txt = (" " + _("(competitor {cost})").format(cost=f"{sum(comp) / len(comp):,.0f}")
                    if comp else "")
        lines += wrap(_("fastest on the front: #{candidate} ({kind}), time ratio {ratio} in its "
                        "worst month ({month}), at {cost} VND/m2 per coat").format(
                            candidate=best["candidate"], kind=_kind(best["kind"]),
                            ratio=f"{best['time_ratio']:.2f}", month=_abbr(best["worst_month"]),
                            cost=f"{best['cost_vnd_m2']:,.0f}") + comp_txt)
    if any(m["best"] is not None or m["fastest"] is not None for m in s["months"]):
        band = s["band_checked"]
        head = (f"{_('month'):<6}{_('cheapest that beats it'):<24}{_('ratio'):>6}{'VND/m2':>9}"
                + (f"{_('band'):>6}" if band else "")
                + f"  {_('no heated cabinet'):<17}{_('ratio'):>6}")
        lines += ["", head, "-" * len(head)]
        for m in s["months"]:
            b, u, f = m["best"], m["unheated"], m["fastest"]
            if b is not None:
                pick = f"{_kind(b['kind'])} #{b['candidate']}"
                row = f"{_abbr(m['month']):<6}{pick:<24}{b['time_ratio']:>6.2f}" \
                      f"{b['cost_vnd_m2']:>9,.0f}"
            else:
                pick = (_("none (fastest {ratio})").format(ratio=f"{f['time_ratio']:.2f}")
                        if f is not None else _("none"))
                row = f"{_abbr(m['month']):<6}{pick:<24}{'':>6}{'':>9}"
            if band:
                inband = {None: "", True: _("yes"), False: _("no")}[m["beats_in_band"]]
                row += f"{inband:>6}"
            if u is not None:
                plain = f"{_kind(u['kind'])} #{u['candidate']}"
                row += f"  {plain:<17}{u['time_ratio']:>6.2f}"
            else:
                row += f"  {_('none'):<17}"
            lines.append(row.rstrip())
        lines += wrap(_("ratio: time to the competitor's (< 1 is faster); ") + (
            _("band: still beats it within the 90 % band of the model's uncertainty") if band
            else _("the 90 % band was not checked (--no-band)")))
    files = s["files"]
    folder = os.path.dirname(files["report"]) or "."
    lines += ["", *wrap(_("written to {folder}:").format(folder=folder)),
              "  report.md, front.csv, pareto.png, curves.png, months.png",
              "  recipes/: " + _("{n} recipe files").format(n=len(files["recipes"]))]
    return lines
