"""Command line interface: ``lacquersim run | compare | refine | recipes | schema``.

Exit status: 0 success, 2 user mistake (bad recipe, bad option; one message
on stderr starting ``lacquersim: error:``, wrapped at 80 columns with
continuation lines indented), 3 the solver failed
(:class:`~lacquersim.errors.SolverError`). Anything else is a bug and keeps
its traceback.

Heavy modules (the solver, pandas, matplotlib) are imported inside the
commands so that ``lacquersim --help`` stays fast.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import math
import os
import sys
import textwrap
from pathlib import Path
from typing import Any, Sequence

from lacquersim import i18n
from lacquersim.errors import RecipeError, SolverError
from lacquersim.i18n import N_, _, ngettext
from lacquersim.model.stages import STAGE_TABLE, STAGES, stage_label
from lacquersim.progress import Bar
from lacquersim.textout import ljust, plain, rjust, table, width, wrap

__all__ = ["main"]

PROG = "lacquersim"
#: The subcommands, in the order of ``lacquersim --help``.
COMMANDS = ("run", "compare", "refine", "parameters", "recipes", "schema", "sweep", "sensitivity",
            "map", "optimise")

# (summary key, label, unit, format) of the end-of-run numbers shown by `run`
# (labels translated where shown).
SUMMARY_ROWS = (
    ("wrinkle_index", N_("wrinkle index at set"), "", ".3g"),
    ("final_tg_minus_t_c", N_("Tg - T at the end"), "°C", ".1f"),
    ("water_left_percent", N_("water left"), "%", ".3g"),
    ("o2_consumed_mol_m2", N_("O2 consumed"), "mol/m²", ".3g"),
    ("catechol_converted_percent", N_("catechol converted"), "%", ".1f"),
)
# the same for a lacquer whose volatile is a thinner (see _volatile)
N_("thinner left"), N_("thinner left (%)")
# Recipe field -> the option that sets it, so errors name what the user typed.
OPTION_FIELDS = {"drying.temperature_c": "--temperature", "drying.rh_percent": "--rh",
                 "drying.hours": "--hours", "film.thickness_um": "--thickness"}


class _Parser(argparse.ArgumentParser):
    """argparse with the one-line error format used by every other error."""

    def error(self, message: str):  # noqa: D401 - argparse API
        hint = " " + _("(see '{command} --help')").format(command=self.prog)
        _print_error(message + hint)
        raise SystemExit(2)


def _print_error(message: str) -> None:
    # One message, wrapped at 80 columns; continuation lines indented, so that
    # joining the stripped lines with spaces gives the message back.
    print("\n".join(wrap(str(message), _("{prog}: error: ").format(prog=PROG), "  ")),
          file=sys.stderr)


def _language_option(argv: list[str]) -> tuple[str | None, list[str]]:
    """``--lang`` taken out of ``argv``, wherever it is given (a global option,
    also after the command): (its value or None, the other arguments). Read
    before the parser is built, since its help texts are translated then."""
    lang, rest, i = None, [], 0
    while i < len(argv):
        arg = argv[i]
        if arg == "--":
            rest += argv[i:]
            break
        if arg == "--lang" and i + 1 < len(argv):
            lang, i = argv[i + 1], i + 2
            continue
        if arg.startswith("--lang="):
            lang, i = arg.split("=", 1)[1], i + 1
            continue
        rest.append(arg)
        i += 1
    return lang, rest


def _cells(text: str) -> int:
    from lacquersim.model.problem import N_CELLS_MAX, N_CELLS_MIN

    try:
        n = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(
            _("expected a whole number, got {value}").format(value=repr(text))) from None
    if not N_CELLS_MIN <= n <= N_CELLS_MAX:
        raise argparse.ArgumentTypeError(
            _("{n} is out of range; allowed {low} to {high} cells").format(
                n=n, low=N_CELLS_MIN, high=N_CELLS_MAX))
    return n


def _build_parser() -> argparse.ArgumentParser:
    conditions = argparse.ArgumentParser(add_help=False)
    g = conditions.add_argument_group(
        _("conditions (override the recipe)"),
        _("Giving any of --temperature/--rh/--hours replaces the recipe's schedule by "
          "constant conditions; values not given come from the recipe's first step "
          "(hours: its total)."))
    g.add_argument("--temperature", type=float, metavar="C", help=_("air temperature, °C"))
    g.add_argument("--rh", type=float, metavar="PCT", help=_("relative humidity, %%"))
    g.add_argument("--hours", type=float, metavar="H", help=_("drying time, h"))
    g.add_argument("--thickness", type=float, metavar="UM", help=_("wet film thickness, µm"))
    conditions.add_argument("--cells", type=_cells, default=50, metavar="N",
                            help=_("grid cells through the film thickness (3 to 2000, default 50)"))
    conditions.add_argument("--json", action="store_true",
                            help=_("print the result as JSON on stdout, nothing else"))
    pg = conditions.add_argument_group(
        _("model parameters"),
        _("See 'lacquersim parameters' for every parameter, its unit and range."))
    pg.add_argument("--parameters", metavar="SET",
                    help=_("a parameter set: a bundled set's name or a set file (.yaml)"))
    pg.add_argument("--param", action="append", default=[], metavar="NAME=VALUE",
                    help=_("override one parameter, e.g. k_L=0.5 or 'vietnam.Ea_d=180 kJ/mol' "
                         "(repeatable; in the table's unit unless one is given)"))

    p = _Parser(prog=PROG, description=_("Simulate how lacquer films dry."))
    from lacquersim import __version__

    p.add_argument("--version", action="version", version=f"{PROG} {__version__}",
                   help=_("show program's version number and exit"))
    # for --help and for argparse's message on a wrong value; main() reads it first
    p.add_argument("--lang", choices=i18n.LANGUAGES,
                   help=_("language of the output: en (English) or vi (Vietnamese), also "
                          "after the command; default: from the locale (LANG), else English"))
    sub = p.add_subparsers(dest="command", metavar="COMMAND", required=True,
                           parser_class=_Parser)

    run = sub.add_parser("run", parents=[conditions], help=_("simulate one recipe"),
                         description=_("Simulate one recipe and print its drying stages."))
    run.add_argument("recipe", metavar="RECIPE",
                     help=_("recipe file (.yaml) or bundled recipe name (see 'lacquersim recipes')"))
    run.add_argument("--plot", metavar="FILE.png",
                     help=_("save a figure of the run (format from the suffix: png, pdf, svg, ...)"))
    run.add_argument("--no-band", action="store_true",
                     help=_("skip the 90 %% band of the stage times (the run under every member of "
                          "the parameter ensemble; about a second)"))
    run.set_defaults(func=_cmd_run)

    cmp_ = sub.add_parser("compare", parents=[conditions], help=_("simulate several recipes"),
                          description=_("Simulate several recipes under the same conditions "
                                        "and tabulate their drying stages."))
    cmp_.add_argument("recipes", nargs="+", metavar="RECIPE", help=_("recipe files or names"))
    cmp_.add_argument("--plot", metavar="FILE.png",
                      help=_("save a figure of every recipe's drying curves, overlaid (format "
                             "from the suffix: png, pdf, svg, ...)"))
    cmp_.set_defaults(func=_cmd_compare)

    ref = sub.add_parser("refine", help=_("show the refined state of a recipe"),
                         description=_("Run the recipe's refining steps (or take its measured "
                                     "state) and print the state the film starts from: water, "
                                     "monomer, droplet size, active laccase, viscosity."))
    ref.add_argument("recipe", metavar="RECIPE", help=_("recipe file (.yaml) or bundled recipe name"))
    ref.add_argument("--steps", action="store_true",
                     help=_("also print the state after every refining step"))
    ref.add_argument("--json", action="store_true",
                     help=_("print the refined state as JSON on stdout, nothing else"))
    ref.set_defaults(func=_cmd_refine)

    rec = sub.add_parser("recipes", help=_("list the bundled recipes"),
                         description=_("List the bundled recipes (folder: $LACQUERSIM_RECIPES "
                                     "or the repository's recipes/)."))
    rec.set_defaults(func=_cmd_recipes)

    par = sub.add_parser("parameters", help=_("list the model parameters"),
                         description=_("List every model parameter: value, unit, allowed range "
                                     "and where the value is set; for one material, the values "
                                     "it is simulated with."))
    par.add_argument("material", nargs="?", metavar="MATERIAL",
                     help=_("a material (see 'lacquersim schema'); default: the whole table"))
    par.add_argument("--parameters", metavar="SET",
                     help=_("a parameter set: a bundled set's name or a set file (.yaml)"))
    par.add_argument("--sources", action="store_true", help=_("also print where each value comes from"))
    par.add_argument("--json", action="store_true",
                     help=_("print the table as JSON records on stdout, nothing else"))
    par.set_defaults(func=_cmd_parameters)

    sch = sub.add_parser("schema", help=_("describe every recipe field"),
                         description=_("Print every recipe field with its unit, range and "
                                     "meaning."))
    sch.set_defaults(func=_cmd_schema)

    from lacquersim.optimise.commands import add_commands as add_optimise
    from lacquersim.studies.commands import add_commands as add_studies

    add_studies(sub, conditions)
    add_optimise(sub)
    return p


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; returns the exit status (0, 2 or 3)."""
    argv = list(sys.argv[1:] if argv is None else argv)
    lang, argv = _language_option(argv)
    # argparse's own texts (usage:, options, its errors) through our catalogue
    argparse._ = i18n._
    argparse.ngettext = i18n.ngettext
    with i18n.using(lang if lang in i18n.LANGUAGES else i18n.get_language()):
        if lang is not None and lang not in i18n.LANGUAGES:
            # argparse's own message for a wrong choice
            return _main(["--lang", lang])
        return _main(argv)


def _main(argv: list[str]) -> int:
    parser = _build_parser()
    try:
        args = parser.parse_args(argv)
    except SystemExit as e:  # --help (0) or a usage error (2, already reported)
        return e.code if isinstance(e.code, int) else (0 if e.code is None else 2)
    try:
        return args.func(args)
    except RecipeError as e:
        _print_error(e)
        return 2
    except SolverError as e:
        _print_error(e)
        return 3
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:
        # Output piped into e.g. `head`: not an error. Silence the flush at exit.
        try:
            sys.stdout = open(os.devnull, "w")
        except OSError:
            pass
        return 0


# ---------------------------------------------------------------------------
# Shared steps
# ---------------------------------------------------------------------------
def _load(name: str):
    from lacquersim.model.recipe_files import load_recipe

    return load_recipe(name)


def _apply_conditions(recipe, args):
    """The recipe with --temperature/--rh/--hours/--thickness applied, re-validated."""
    changes: dict[str, Any] = {}
    given = _given(args)
    if any(given[k] is not None for k in ("drying.temperature_c", "drying.rh_percent",
                                          "drying.hours")):
        first = recipe.drying.steps[0]
        changes["drying"] = {
            "temperature_c": _pick(args.temperature, first.temperature_c),
            "rh_percent": _pick(args.rh, first.rh_percent),
            "hours": _pick(args.hours, recipe.drying.total_hours),
            "air_speed_m_s": first.air_speed_m_s,
        }
        written = recipe.drying.written
        if len(written) > 1 or recipe.drying_preset:
            # never flatten a bake or a daily cycle without saying so
            d = changes["drying"]
            steps = ngettext("{n} step", "{n} steps", len(written)).format(n=len(written))
            what = f"{recipe.drying.label}; {steps}" if recipe.drying.label else steps
            print("\n".join(wrap(
                _("note: {recipe}: the options replace its drying schedule ({what}) by constant "
                  "conditions: {t} °C, {rh} % RH for {h} h").format(
                    recipe=recipe.title, what=what, t=f"{d['temperature_c']:.1f}",
                    rh=f"{d['rh_percent']:.0f}", h=f"{d['hours']:g}"), "", "  ")),
                file=sys.stderr)
    if args.thickness is not None:
        changes["film.thickness_um"] = args.thickness
    if not changes:
        return recipe
    with _options_named(args):
        return recipe.with_values(changes)


def _given(args) -> dict:
    """Recipe field -> the value its option gave (None: not given)."""
    return {"drying.temperature_c": args.temperature, "drying.rh_percent": args.rh,
            "drying.hours": args.hours, "film.thickness_um": args.thickness}


@contextlib.contextmanager
def _options_named(args):
    """A field the user set with an option is named by that option: the
    recipe itself was valid, so the culprit is the option."""
    given = _given(args)
    try:
        yield
    except RecipeError as e:
        if e.field in OPTION_FIELDS and given[e.field] is not None:
            raise RecipeError(e.problem, field=OPTION_FIELDS[e.field]) from None
        raise


def _pick(option, default):
    return default if option is None else option


def _parameter_set(args):
    """The parameter set of --parameters and --param (None: the table as shipped)."""
    from lacquersim.model.parameters import as_set

    try:
        pset = as_set(args.parameters) if args.parameters else None
    except RecipeError as e:
        raise RecipeError(e.problem, field="--parameters" if e.field == "parameters" else e.field,
                          file=e.file, line=e.line) from None
    overrides = {}
    for text in getattr(args, "param", None) or []:
        name, sep, value = text.partition("=")
        if not sep or not name.strip() or not value.strip():
            raise RecipeError(_("expected NAME=VALUE, such as k_L=0.5, got {text}").format(
                text=repr(text)), field="--param")
        overrides[name.strip()] = value.strip()
    if overrides:
        try:
            pset = as_set(pset).with_overrides(overrides, name="command line", where="--param")
        except RecipeError as e:
            field = (e.field or "--param").replace("--param.", "--param ", 1)
            raise RecipeError(e.problem, field=field, file=e.file, line=e.line) from None
    return pset


def _simulate(recipe, n_cells: int, parameters=None):
    from lacquersim.sim.simulation import simulate

    from lacquersim.notices import compile_notice

    compile_notice("bdf.integrate")
    return simulate(recipe, n_cells=n_cells, parameters=parameters)


def _jsonable(x: Any) -> Any:
    """Plain JSON values: numpy scalars unwrapped, NaN/inf as null (JSON has neither)."""
    if isinstance(x, dict):
        return {str(k): _jsonable(v) for k, v in x.items()}
    if isinstance(x, (list, tuple)):
        return [_jsonable(v) for v in x]
    if isinstance(x, (str, bool)) or x is None:
        return x
    if hasattr(x, "tolist") and not isinstance(x, (int, float)):
        return _jsonable(x.tolist())  # numpy scalar or array
    if isinstance(x, float) and not math.isfinite(x):
        return None
    return x


def _fmt(x: Any, spec: str = ".4g", unit: str = "") -> str:
    """``x`` in ``spec``; a "g" spec gives plain notation (no exponent)."""
    if x is None or (isinstance(x, float) and not math.isfinite(x)):
        return _("n/a")
    if spec.endswith("g"):
        s = plain(x, int(spec[1:-1] or 6))
    else:
        try:
            s = format(x, spec)
        except (TypeError, ValueError):
            s = str(x)
    return f"{s} {unit}" if unit else s


def _num(x: float) -> str:
    return plain(x, 6)


def _schedule_lines(schedule) -> list[str]:
    if getattr(schedule, "label", ""):
        return [schedule.label]
    out = []
    for s in schedule.steps:
        t = _num(s.temperature_c) + (f"→{_num(s.end_temperature_c)}"
                                     if s.end_temperature_c is not None else "")
        rh = _num(s.rh_percent) + (f"→{_num(s.end_rh_percent)}"
                                   if s.end_rh_percent is not None else "")
        out.append(_("{t} °C, {rh} % RH, {h} h, air {air} m/s").format(
            t=t, rh=rh, h=_num(s.hours), air=_num(s.air_speed_m_s)))
    if len(out) > 1:
        out = [_("step {i}: {conditions}").format(i=i + 1, conditions=line)
               for i, line in enumerate(out)]
    return out


# the initial state's words (key without its unit suffix), translated where shown
_STATE_WORDS = {"water": N_("water"), "monomer": N_("monomer"), "droplet": N_("droplet"),
                "laccase": N_("laccase"), "viscosity": N_("viscosity"), "thinner": N_("thinner"),
                "water volume fraction": N_("water volume fraction"),
                "thinner volume fraction": N_("thinner volume fraction")}


def _labelled(key: str, value: Any) -> str:
    """``water_percent``, 33.6 -> ``water 33.6 %`` (unit read from the key's suffix)."""
    for suffix, unit in (("_percent", "%"), ("_um", "µm"), ("_pa_s", "Pa·s"), ("_c", "°C"),
                         ("_h", "h")):
        if key.endswith(suffix):
            return f"{_word(key[: -len(suffix)])} {_fmt(value)} {unit}"
    return f"{_word(key)} {_fmt(value)}"


def _word(key: str) -> str:
    words = key.replace("_", " ")
    return _(_STATE_WORDS[words]) if words in _STATE_WORDS else words


def _stage_order(stages: dict) -> list[str]:
    return [s for s in STAGES if s in stages] + [s for s in stages if s not in STAGES]


# ---------------------------------------------------------------------------
# Commands
# ---------------------------------------------------------------------------
def _cmd_run(args) -> int:
    recipe = _apply_conditions(_load(args.recipe), args)
    plot = _check_plot_target(args.plot) if args.plot else None
    pset = _parameter_set(args)
    with _options_named(args):
        res = _simulate(recipe, args.cells, pset)
    summary = _jsonable(res.summary())
    if not args.no_band:
        from lacquersim.sim.band import stage_band

        with Bar(_("member")) as bar:
            band = stage_band(recipe, n_cells=args.cells, parameters=pset, progress=bar)
        if len(band):
            summary["band_90_h"] = {s: [_finite(band.at[s, "low_h"]), _finite(band.at[s, "high_h"])]
                                    for s in band.index}
    if plot is not None:
        _save_plot(res, *plot)
    if args.json:
        print(json.dumps(summary, indent=2))
        return 0
    print(_format_run(recipe, summary))
    if plot is not None:
        print("\n" + _("plot saved to {file}").format(file=plot[0]))
    return 0


def _wrap_parts(parts: list[str], first: str, width: int = 80) -> list[str]:
    """Comma-separated parts after ``first``, broken between parts to stay within ``width``."""
    indent = " " * len(first)
    out, line = [], first
    for i, part in enumerate(parts):
        piece = part + ("," if i < len(parts) - 1 else "")
        if line.strip() and len(line) + len(piece) + 1 > width and line not in (first, indent):
            out.append(line.rstrip())
            line = indent
        line += ("" if line in (first, indent) else " ") + piece
    out.append(line.rstrip())
    return out


def _finite(x: float):
    """A band end for JSON: a number, "never" (inf) or None (NaN: never, the whole band)."""
    return "never" if x == math.inf else None if x != x else float(x)


def _band_text(band) -> str:
    lo, hi = band
    if lo is None:
        return _("(90 % band: never)")
    if hi == "never":
        return _("(90 % band: {low} h–never)").format(low=f"{lo:.2f}")
    return _("(90 % band: {low}–{high} h)").format(low=f"{lo:.2f}", high=f"{hi:.2f}")


def _format_run(recipe, summary: dict) -> str:
    lines = _title(recipe)
    lines.append(_field_line(N_("material"), recipe.material))
    lines.append(_field_line(N_("film"), _("{t} µm wet").format(t=_num(recipe.film.thickness_um))))
    lines += _preparation_lines(recipe)
    sched = _schedule_lines(recipe.drying)
    lines += _wrap_parts(sched[0].split(", "), _field_line(N_("drying"), ""))
    for more in sched[1:]:
        lines += _wrap_parts(more.split(", "), " " * 15)
    mat = _material_or_none(recipe.material)
    init = summary.get("initial_state")
    if isinstance(init, dict) and init:
        parts = [_labelled(_volatile(k, mat), v) for k, v in init.items() if _applies(k, mat)]
        lines += _wrap_parts(parts, _field_line(N_("initial"), ""))
    elif recipe.state is None:
        lines.append(_field_line(N_("initial"), _("material defaults")))

    stages = summary.get("stages_h") or {}
    reasons = summary.get("reasons") or {}
    bands = summary.get("band_90_h") or {}
    heading = _("Drying stages (hours after application)")
    lines += ["", heading]
    label_width = max([width(stage_label(s)) for s in stages] + [12])
    held, previous = False, None
    for s in _stage_order(stages):
        h = stages[s]
        label = stage_label(s)
        if h is None:
            why = reasons.get(s) or ""
            text = _("not reached") + (f" ({why})" if why else "")
        else:
            text = f"{h:8.2f} h"
            if previous is not None and stages.get(previous) == h:
                # the kernel reports a condition that already held at the
                # previous stage at that stage's time: say so, not a coincidence
                text += "  " + _("(already so at {stage}*)").format(stage=stage_label(previous))
                held = True
        previous = s
        if s in bands:
            text += "  " + _band_text(bands[s])
        # textwrap keeps the aligned spaces inside the text (len = columns for
        # Vietnamese in NFC: no wide characters)
        lines += textwrap.wrap(f"  {ljust(label, label_width)}  {text}", width=80,
                               subsequent_indent=" " * (label_width + 4),
                               break_long_words=False, break_on_hyphens=False)
    if bands:
        lines += wrap(_("(90 % band: this run under every member of the fitted parameter "
                        "ensemble)"), "  ", "   ")
    if held:
        lines += wrap(_("* a stage counts only after the one before it, as on a drying "
                        "recorder; its condition already held when the previous stage was "
                        "reached."), "  ", "    ")
    lines += _stage_legend()

    coats = summary.get("coats")
    if coats:
        head = [_("coat"), _("applied (h)")] + [stage_label(s) for s in STAGES] + [_("wrinkle")]
        lines += ["", _("Coats (stages in hours after that coat went on; — = not reached)"),
                  "  " + "  ".join(head)]
        for c in coats:
            cells = ([str(c["coat"]), _fmt(c["applied_h"], ".4g")]
                     + [_fmt(c.get(s), ".2f") if c.get(s) is not None else "—" for s in STAGES]
                     + [_fmt(c.get("wrinkle_index"), ".3g") if c.get("wrinkle_index") is not None
                        else "—"])
            lines.append("  " + "  ".join(rjust(v, width(h)) for v, h in zip(cells, head)))
            if c.get("reason"):
                lines.append("        " + _("coat {n}: {reason}").format(n=c["coat"],
                                                                        reason=c["reason"]))
        lines[lines.index(heading)] = _("Drying stages of the top coat (hours after it went on)")
    h = _num(recipe.drying.total_hours)
    head = (_("Whole build at the end of the {h} h schedule (wrinkle index > 1 = wrinkle risk)")
            if summary.get("figures_of") == "whole build" else
            _("Film figures (end of the {h} h schedule; wrinkle index > 1 = wrinkle risk)"))
    lines += [""] + wrap(head.format(h=h))
    rows = [(key, _(_volatile(label, mat)), unit, spec)
            for key, label, unit, spec in SUMMARY_ROWS if key in summary and _applies(key, mat)]
    label_width = max(width(r[1]) for r in rows)
    for key, label, unit, spec in rows:
        lines.append(f"  {ljust(label, label_width)}  {_fmt(summary[key], spec, unit)}")
    return "\n".join(lines + _coat_figure_lines(coats or [], mat))


def _coat_figure_lines(coats: list, mat) -> list[str]:
    """Each coat's own end-of-schedule figures (its cells only), under a build's."""
    cols = [("final_tg_minus_t_c", N_("Tg - T at its top (°C)"), ".1f"),
            # (N_ marks both: _volatile may give the thinner's)
            ("water_left_percent", _volatile(N_("water left (%)"), mat), ".3g"),
            ("catechol_converted_percent", N_("catechol converted (%)"), ".1f")]
    cols = [c for c in cols if _applies(c[0], mat)]
    if not coats or not all(k in coats[0] for k, _h, _f in cols):
        return []
    rows = [[str(c["coat"])] + [_fmt(c[k], f) for k, _h, f in cols] for c in coats]
    return (["", _("Each coat at the end of the schedule (its own cells)")]
            + ["  " + line for line in table([_("coat")] + [_(h) for _k, h, _f in cols], rows,
                                             limit=78)])


def _field_line(label: str, value: str) -> str:
    """``  material     vietnam``: a label (marked with N_) in a 12-column field."""
    return f"  {ljust(_(label), 12)} {value}"


def _stage_legend() -> list[str]:
    """What each stage means, from the model's stage table."""
    text = "; ".join(f"{stage_label(s.name)} = {_(s.criterion)}" for s in STAGE_TABLE)
    prefix = _("stages:")
    return wrap(text + ".", f"  {prefix} ", " " * (width(prefix) + 3))


def _material_or_none(name: str):
    from lacquersim.model.materials import get_material

    try:
        return get_material(name)
    except Exception:  # a material of a user's parameter set: label generically
        return None


# Keys of the initial state and end figures that only mean something for a
# sap lacquer (droplets, laccase) or a catechol lacquer (catechol converted).
_SAP_ONLY = ("droplet_um", "laccase_percent")


def _applies(key: str, mat) -> bool:
    if mat is None:
        return True
    if key in _SAP_ONLY:
        return mat.enzymatic
    if key == "catechol_converted_percent":
        return mat.catechol != "none"
    return True


def _volatile(text: str, mat) -> str:
    """A key or label on water (``water_percent``, "water left") read as thinner
    for a lacquer whose volatile is a solvent."""
    if mat is not None and not mat.is_water and text.startswith("water"):
        return "thinner" + text[len("water"):]
    return text


def _title(recipe) -> list[str]:
    """The recipe's name and file; the file on a line of its own if both do not fit."""
    line = recipe.title + (f"  ({recipe.source})" if recipe.source else "")
    if width(line) <= 80 or not recipe.source:
        return [line]
    return wrap(recipe.title) + [f"  ({recipe.source})"]


def _preparation_lines(recipe) -> list[str]:
    """``refining`` / ``additives`` lines of the run report (nothing if absent)."""
    out = []
    steps = getattr(recipe, "refining", None) or ()
    for i, st in enumerate(steps):
        out += wrap(st.describe(), _field_line(N_("refining"), "") if i == 0 else " " * 15)
    if getattr(recipe, "state", None) is not None and not steps:
        out.append(_field_line(N_("refining"), _("measured state given")))
    additives = getattr(recipe, "additives", None)
    if additives is not None:
        out.append(_field_line(N_("additives"), additives.describe()))
    return out


# key -> (label, unit, format); labels and units marked, translated where shown
STATE_LABELS = {"water_percent": (N_("water"), "%", ".3g"),
                "monomer_percent": (N_("catechol monomer"), N_("% of lipid"), ".3g"),
                "droplet_um": (N_("droplet diameter"), "µm", ".3g"),
                "laccase_percent": (N_("active laccase"), N_("% of raw sap"), ".3g"),
                "viscosity_pa_s": (N_("viscosity at 25 °C"), "Pa·s", ".3g"),
                "water_volume_fraction": (N_("water volume fraction"), "", ".3g")}


def _cmd_refine(args) -> int:
    from lacquersim.model.refining import process, refine

    recipe = _load(args.recipe)
    state = refine(recipe)
    history = None
    if args.steps and recipe.refining:
        _state, history = process(recipe.material, recipe.refining, history=True,
                             source=recipe.source, lines=recipe.lines)
    if args.json:
        out: dict[str, Any] = {"recipe": recipe.name, "material": recipe.material,
                               "state": _jsonable(state.to_dict())}
        if history is not None:
            out["steps"] = _jsonable(history.to_dict(orient="records"))
        print(json.dumps(out, indent=2))
        return 0
    lines = _title(recipe) + [_field_line(N_("material"), recipe.material)]
    from lacquersim.model.materials import get_material, non_sap_materials

    prep = _preparation_lines(recipe)
    lines += prep if prep else [_field_line(N_("refining"), _("none (as sold)")
                                            if recipe.material in non_sap_materials()
                                            else _("none (raw sap)"))]
    lines += ["", _("Refined state (what the film starts from)")]

    mat = get_material(recipe.material)
    labels = dict(STATE_LABELS)
    if not mat.is_water:
        labels["water_percent"] = (N_("thinner (volatile)"), "%", ".3g")
        labels["water_volume_fraction"] = (N_("thinner volume fraction"), "", ".3g")
    if mat.catechol == "none":
        labels["monomer_percent"] = (N_("monomer"), N_("% of lipid"), ".3g")
    shown = [(k, v) for k, v in state.items() if _applies(k, mat)]
    label_width = max(width(_(labels[k][0]) if k in labels else k) for k, _v in shown)
    for key, value in shown:
        label, unit, spec = labels.get(key, (key.replace("_", " "), "", ".4g"))
        lines.append(f"  {ljust(_(label), label_width)}  {_fmt(float(value), spec, _(unit))}")
    if history is not None:
        lines += ["", _("After each refining step")] + _steps_table(history, mat)
    print("\n".join(lines))
    return 0


def _steps_table(history, mat) -> list[str]:
    """The state after each refining step: steps numbered as in the recipe
    (from 1), a repeated kurome's cycles counted, headers with units."""
    cols = [("water_percent", _("water %") if mat.is_water else _("thinner %")),
            ("monomer_percent", _("monomer % of lipid")), ("laccase_percent", _("laccase %")),
            ("droplet_um", _("droplet µm"))]
    cols = [(k, h) for k, h in cols if _applies(k, mat)]
    header = [_("step"), _("what"), _("cycle"), _("after (min)")] + [h for _k, h in cols]
    rows, seen = [], {}
    for r in history.itertuples(index=False):
        # a repeated kurome's cycles: the n-th time this kind occurs in this step
        n = seen[(r.step, r.kind)] = seen.get((r.step, r.kind), 0) + 1
        rows.append([str(r.step + 1), _step_kind(r.kind), str(n), plain(r.minutes, 4)]
                    + [plain(getattr(r, k), 3) for k, _h in cols])
    if all(row[2] == "1" for row in rows):  # nothing repeated: no cycle column
        header.pop(2)
        rows = [row[:2] + row[3:] for row in rows]
    lines = table(header, rows, limit=78, align="ll" + "r" * (len(header) - 2))
    return ["  " + line for line in lines]


# refining steps as shown: the recipe's keywords nayashi and kurome stay (the
# craft's loanwords), the others are words
_STEP_KINDS = {"add_water": N_("add water"), "rest": N_("rest")}


def _step_kind(kind: str) -> str:
    return _(_STEP_KINDS[kind]) if kind in _STEP_KINDS else kind.replace("_", " ")


def _cmd_compare(args) -> int:
    recipes = [_apply_conditions(_load(name), args) for name in args.recipes]
    plot = _check_plot_target(args.plot) if args.plot else None
    pset = _parameter_set(args)
    results = []
    with _options_named(args), Bar(_("recipe")) as bar:
        for r in recipes:
            results.append(_simulate(r, args.cells, pset))
            bar(len(results), len(recipes))
    summaries = [_jsonable(res.summary()) for res in results]
    if plot is not None:
        _save_compare_plot(results, *plot)
    if args.json:
        print(json.dumps(summaries, indent=2))
        return 0
    stage_keys: list[str] = []
    for s in summaries:
        for k in _stage_order(s.get("stages_h") or {}):
            if k not in stage_keys:
                stage_keys.append(k)
    stage_keys = _stage_order(dict.fromkeys(stage_keys))

    header = [_("recipe")] + [stage_label(k) for k in stage_keys] \
        + [_("wrinkle index"), "Tg - T °C"]
    rows = []
    for r, s in zip(recipes, summaries):
        st = s.get("stages_h") or {}
        rows.append([r.title] + [_fmt(st.get(k), ".2f") if st.get(k) is not None else "—"
                                 for k in stage_keys]
                    + [_fmt(s.get("wrinkle_index"), ".3g"),
                       _fmt(s.get("final_tg_minus_t_c"), ".1f")])
    out = []
    overrides = [f"{_(label)} {_num(v)} {unit}" for label, v, unit in (
        (N_("temperature"), args.temperature, "°C"), (N_("RH"), args.rh, "%"),
        (N_("hours"), args.hours, "h"), (N_("film"), args.thickness, "µm")) if v is not None]
    if overrides:
        out += wrap(_("all recipes with {overrides} (the rest from each recipe)").format(
            overrides=", ".join(overrides))) + [""]
    out += [_("Drying stages (hours after application) and film figures at the end"), ""]
    out += table(header, rows)
    if any("—" in row for row in rows):
        out += [""] + wrap(_("— = not reached within the schedule (see 'lacquersim run RECIPE' "
                             "for why)"))
    print("\n".join(out))
    if plot is not None:
        print("\n" + _("plot saved to {file}").format(file=plot[0]))
    return 0


def _cmd_recipes(args) -> int:
    from lacquersim.model.recipe_files import bundled_recipes, recipes_dir

    df = bundled_recipes()
    if df.empty:
        print(_("no recipes found in {folder}").format(folder=recipes_dir()))
        return 0
    vi = i18n.get_language() == "vi"
    name_h, material_h = _("name"), _("material")
    wn = max(width(name_h), *(len(n) for n in df["name"]))
    wm = max(width(material_h), *(len(m) for m in df["material"]))
    indent = wn + wm + 4
    print(f"{ljust(name_h, wn)}  {ljust(material_h, wm)}  "
          + (_("title") if vi else _("description")))
    for row in df.itertuples(index=False):
        # the description wrapped in its column (80 columns; a long one below the name);
        # in Vietnamese the recipe's Vietnamese title (descriptions are English)
        text = (row.title_vi or row.title) if vi else (row.description or row.title)
        if indent > 50:
            print(f"{row.name.ljust(wn)}  {row.material}")
            print("\n".join(wrap(text, "    ")))
            continue
        print("\n".join(wrap(text, f"{row.name.ljust(wn)}  {row.material.ljust(wm)}  ",
                             " " * indent)))
    print("")
    print("\n".join(wrap(_("{n} recipes in {folder}; run one with 'lacquersim run NAME'").format(
        n=len(df), folder=recipes_dir()))))
    return 0


def _cmd_parameters(args) -> int:
    from lacquersim.model.parameters import as_set

    df = as_set(args.parameters).frame(args.material)
    if args.json:
        print(json.dumps(_jsonable(df.to_dict(orient="records")), indent=2, ensure_ascii=False))
        return 0
    head = (_("name"), _("value"), _("unit"), _("allowed"), _("set for"))
    # exact values in the table's own units: 3e-10 m2/s stays 3e-10, not "< 0.001"
    rows = [(r.name, format(r.value, ".4g"), "" if r.unit == "1" else r.unit,
             _("{low} to {high}").format(low=format(r.min, "g"), high=format(r.max, "g")),
             r.material) for r in df.itertuples()]
    widths = [max(width(x[i]) for x in rows + [head]) for i in range(len(head))]
    gap = "  " if sum(widths) + 2 * (len(widths) - 1) <= 80 else " "  # 80 columns

    def line(cells):
        return gap.join(ljust(c, w) for c, w in zip(cells, widths)).rstrip()

    lines = [line(head)]
    section = None
    for r, row in zip(df.itertuples(), rows):
        if r.section != section:
            section = r.section
            lines += ["", f"[{section}]"]
        lines.append(line(row))
        if args.sources:
            # the table's texts (what a value means, its source) are English
            lines += wrap(f"{r.about}; " + _("source: {source}").format(source=r.source), "    ")
    what = (_("material {name}").format(name=args.material) if args.material
            else _("every material ('all': unless a material gives its own)"))
    lines += [""] + wrap(_("{n} values, for {what}; override one with --param NAME=VALUE on "
                           "'run' or 'compare'").format(n=len(df), what=what))
    print("\n".join(lines))
    return 0


def _cmd_schema(args) -> int:
    from lacquersim.model.schema import describe_schema

    print(describe_schema())
    return 0


# ---------------------------------------------------------------------------
# Plot output
# ---------------------------------------------------------------------------
def _check_plot_target(path: str) -> tuple[Path, str]:
    """Validate ``--plot`` before the (slow) simulation; returns (path, format)."""
    from lacquersim.plotfiles import image_format

    return Path(path), image_format(path, field="--plot")


def _save_plot(res, target: Path, fmt: str) -> None:
    """Save ``res.plot()`` atomically: a failure never leaves a partial file."""
    from lacquersim.plotfiles import save_figure

    save_figure(res.plot(), target, field="--plot")


def _save_compare_plot(results, target: Path, fmt: str) -> None:
    """Save the recipes' drying curves overlaid, atomically."""
    from lacquersim.plotfiles import save_figure
    from lacquersim.sim.figures import compare_figure

    save_figure(compare_figure(results), target, field="--plot")
