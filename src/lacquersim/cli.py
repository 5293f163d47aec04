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
from lacquersim.i18n import _
from lacquersim.model.stages import STAGE_LABELS, STAGE_TABLE, STAGES
from lacquersim.progress import Bar
from lacquersim.textout import ljust, plain, table, width, wrap

__all__ = ["main"]

PROG = "lacquersim"
#: The subcommands, in the order of ``lacquersim --help``.
COMMANDS = ("run", "compare", "refine", "parameters", "recipes", "schema", "sweep", "sensitivity",
            "map", "optimise")

# (summary key, label, unit, format) of the end-of-run numbers shown by `run`.
SUMMARY_ROWS = (
    ("wrinkle_index", "wrinkle index at set", "", ".3g"),
    ("final_tg_minus_t_c", "Tg - T at the end", "°C", ".1f"),
    ("water_left_percent", "water left", "%", ".3g"),
    ("o2_consumed_mol_m2", "O2 consumed", "mol/m²", ".3g"),
    ("catechol_converted_percent", "catechol converted", "%", ".1f"),
)
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
        raise argparse.ArgumentTypeError(f"expected a whole number, got {text!r}") from None
    if not N_CELLS_MIN <= n <= N_CELLS_MAX:
        raise argparse.ArgumentTypeError(
            f"{n} is out of range; allowed {N_CELLS_MIN} to {N_CELLS_MAX} cells")
    return n


def _build_parser() -> argparse.ArgumentParser:
    conditions = argparse.ArgumentParser(add_help=False)
    g = conditions.add_argument_group(
        "conditions (override the recipe)",
        "Giving any of --temperature/--rh/--hours replaces the recipe's schedule by "
        "constant conditions; values not given come from the recipe's first step "
        "(hours: its total).")
    g.add_argument("--temperature", type=float, metavar="C", help="air temperature, °C")
    g.add_argument("--rh", type=float, metavar="PCT", help="relative humidity, %%")
    g.add_argument("--hours", type=float, metavar="H", help="drying time, h")
    g.add_argument("--thickness", type=float, metavar="UM", help="wet film thickness, µm")
    conditions.add_argument("--cells", type=_cells, default=50, metavar="N",
                            help="grid cells through the film thickness (3 to 2000, default 50)")
    conditions.add_argument("--json", action="store_true",
                            help="print the result as JSON on stdout, nothing else")
    pg = conditions.add_argument_group(
        "model parameters", "See 'lacquersim parameters' for every parameter, its unit and range.")
    pg.add_argument("--parameters", metavar="SET",
                    help="a parameter set: a bundled set's name or a set file (.yaml)")
    pg.add_argument("--param", action="append", default=[], metavar="NAME=VALUE",
                    help="override one parameter, e.g. k_L=0.5 or 'vietnam.Ea_d=180 kJ/mol' "
                         "(repeatable; in the table's unit unless one is given)")

    p = _Parser(prog=PROG, description="Simulate how lacquer films dry.")
    from lacquersim import __version__

    p.add_argument("--version", action="version", version=f"{PROG} {__version__}",
                   help=_("show program's version number and exit"))
    # for --help and for argparse's message on a wrong value; main() reads it first
    p.add_argument("--lang", choices=i18n.LANGUAGES,
                   help=_("language of the output: en (English) or vi (Vietnamese), also "
                          "after the command; default: from the locale (LANG), else English"))
    sub = p.add_subparsers(dest="command", metavar="COMMAND", required=True,
                           parser_class=_Parser)

    run = sub.add_parser("run", parents=[conditions], help="simulate one recipe",
                         description="Simulate one recipe and print its drying stages.")
    run.add_argument("recipe", metavar="RECIPE",
                     help="recipe file (.yaml) or bundled recipe name (see 'lacquersim recipes')")
    run.add_argument("--plot", metavar="FILE.png",
                     help="save a figure of the run (format from the suffix: png, pdf, svg, ...)")
    run.add_argument("--no-band", action="store_true",
                     help="skip the 90 %% band of the stage times (the run under every member of "
                          "the parameter ensemble; about a second)")
    run.set_defaults(func=_cmd_run)

    cmp_ = sub.add_parser("compare", parents=[conditions], help="simulate several recipes",
                          description="Simulate several recipes under the same conditions "
                                      "and tabulate their drying stages.")
    cmp_.add_argument("recipes", nargs="+", metavar="RECIPE", help="recipe files or names")
    cmp_.add_argument("--plot", metavar="FILE.png",
                      help="save a figure of every recipe's drying curves, overlaid (format from "
                           "the suffix: png, pdf, svg, ...)")
    cmp_.set_defaults(func=_cmd_compare)

    ref = sub.add_parser("refine", help="show the refined state of a recipe",
                         description="Run the recipe's refining steps (or take its measured "
                                     "state) and print the state the film starts from: water, "
                                     "monomer, droplet size, active laccase, viscosity.")
    ref.add_argument("recipe", metavar="RECIPE", help="recipe file (.yaml) or bundled recipe name")
    ref.add_argument("--steps", action="store_true",
                     help="also print the state after every refining step")
    ref.add_argument("--json", action="store_true",
                     help="print the refined state as JSON on stdout, nothing else")
    ref.set_defaults(func=_cmd_refine)

    rec = sub.add_parser("recipes", help="list the bundled recipes",
                         description="List the bundled recipes (folder: $LACQUERSIM_RECIPES "
                                     "or the repository's recipes/).")
    rec.set_defaults(func=_cmd_recipes)

    par = sub.add_parser("parameters", help="list the model parameters",
                         description="List every model parameter: value, unit, allowed range "
                                     "and where the value is set; for one material, the values "
                                     "it is simulated with.")
    par.add_argument("material", nargs="?", metavar="MATERIAL",
                     help="a material (see 'lacquersim schema'); default: the whole table")
    par.add_argument("--parameters", metavar="SET",
                     help="a parameter set: a bundled set's name or a set file (.yaml)")
    par.add_argument("--sources", action="store_true", help="also print where each value comes from")
    par.add_argument("--json", action="store_true",
                     help="print the table as JSON records on stdout, nothing else")
    par.set_defaults(func=_cmd_parameters)

    sch = sub.add_parser("schema", help="describe every recipe field",
                         description="Print every recipe field with its unit, range and "
                                     "meaning.")
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
            steps = f"{len(written)} step{'s' if len(written) > 1 else ''}"
            what = f"{recipe.drying.label}; {steps}" if recipe.drying.label else steps
            print("\n".join(textwrap.wrap(
                f"note: {recipe.name}: the options replace its drying schedule ({what}) by "
                f"constant conditions: {d['temperature_c']:.1f} °C, {d['rh_percent']:.0f} % RH "
                f"for {d['hours']:g} h", 80, subsequent_indent="  ")), file=sys.stderr)
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
            raise RecipeError(f"expected NAME=VALUE, such as k_L=0.5, got {text!r}", field="--param")
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
        return "n/a"
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
        out.append(f"{t} °C, {rh} % RH, {_num(s.hours)} h, air {_num(s.air_speed_m_s)} m/s")
    if len(out) > 1:
        out = [f"step {i + 1}: {line}" for i, line in enumerate(out)]
    return out


def _labelled(key: str, value: Any) -> str:
    """``water_percent``, 33.6 -> ``water 33.6 %`` (unit read from the key's suffix)."""
    for suffix, unit in (("_percent", "%"), ("_um", "µm"), ("_pa_s", "Pa·s"), ("_c", "°C"),
                         ("_h", "h")):
        if key.endswith(suffix):
            return f"{key[: -len(suffix)].replace('_', ' ')} {_fmt(value)} {unit}"
    return f"{key.replace('_', ' ')} {_fmt(value)}"


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

        with Bar("member") as bar:
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
        print(f"\nplot saved to {plot[0]}")
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
        return "(90 % band: never)"
    return f"(90 % band: {lo:.2f}–{hi:.2f} h)" if hi != "never" else f"(90 % band: {lo:.2f} h–never)"


def _format_run(recipe, summary: dict) -> str:
    lines = _title(recipe)
    lines.append(f"  material     {recipe.material}")
    lines.append(f"  film         {_num(recipe.film.thickness_um)} µm wet")
    lines += _preparation_lines(recipe)
    sched = _schedule_lines(recipe.drying)
    lines += _wrap_parts(sched[0].split(", "), "  drying       ")
    for more in sched[1:]:
        lines += _wrap_parts(more.split(", "), " " * 15)
    mat = _material_or_none(recipe.material)
    init = summary.get("initial_state")
    if isinstance(init, dict) and init:
        parts = [_labelled(_state_key(k, mat), v) for k, v in init.items() if _applies(k, mat)]
        lines += _wrap_parts(parts, "  initial      ")
    elif recipe.state is None:
        lines.append("  initial      material defaults")

    stages = summary.get("stages_h") or {}
    reasons = summary.get("reasons") or {}
    bands = summary.get("band_90_h") or {}
    lines += ["", "Drying stages (hours after application)"]
    width = max([len(STAGE_LABELS.get(s, s)) for s in stages] + [12])
    held, previous = False, None
    for s in _stage_order(stages):
        h = stages[s]
        label = STAGE_LABELS.get(s, s.replace("_", " "))
        if h is None:
            why = reasons.get(s) or ""
            text = "not reached" + (f" ({why})" if why else "")
        else:
            text = f"{h:8.2f} h"
            if previous is not None and stages.get(previous) == h:
                # the kernel reports a condition that already held at the
                # previous stage at that stage's time: say so, not a coincidence
                text += f"  (already so at {STAGE_LABELS.get(previous, previous)}*)"
                held = True
        previous = s
        if s in bands:
            text += "  " + _band_text(bands[s])
        indent = " " * (width + 4)
        lines += textwrap.wrap(f"  {label.ljust(width)}  {text}", width=80, subsequent_indent=indent,
                               break_long_words=False, break_on_hyphens=False)
    if bands:
        lines.append("  (90 % band: this run under every member of the fitted parameter ensemble)")
    if held:
        lines += wrap("* a stage counts only after the one before it, as on a drying "
                      "recorder; its condition already held when the previous stage was "
                      "reached.", "  ", "    ")
    lines += _stage_legend()

    coats = summary.get("coats")
    if coats:
        head = ["coat", "applied (h)"] + [STAGE_LABELS[s] for s in STAGES] + ["wrinkle"]
        lines += ["", "Coats (stages in hours after that coat went on; — = not reached)",
                  "  " + "  ".join(head)]
        for c in coats:
            cells = ([str(c["coat"]), _fmt(c["applied_h"], ".4g")]
                     + [_fmt(c.get(s), ".2f") if c.get(s) is not None else "—" for s in STAGES]
                     + [_fmt(c.get("wrinkle_index"), ".3g") if c.get("wrinkle_index") is not None
                        else "—"])
            lines.append("  " + "  ".join(v.rjust(len(h)) for v, h in zip(cells, head)))
            if c.get("reason"):
                lines.append(f"        coat {c['coat']}: {c['reason']}")
        lines[lines.index("Drying stages (hours after application)")] = \
            "Drying stages of the top coat (hours after it went on)"
    end = f"end of the {_num(recipe.drying.total_hours)} h schedule"
    head = (f"Whole build at the {end} (" if summary.get("figures_of") == "whole build"
            else f"Film figures ({end}; ")
    lines += [""] + wrap(head + "wrinkle index > 1 = wrinkle risk)")
    rows = [(key, _summary_label(label, mat), unit, spec) for key, label, unit, spec in SUMMARY_ROWS
            if key in summary and _applies(key, mat)]
    width = max(len(r[1]) for r in rows)
    for key, label, unit, spec in rows:
        lines.append(f"  {label.ljust(width)}  {_fmt(summary[key], spec, unit)}")
    return "\n".join(lines + _coat_figure_lines(coats or [], mat))


def _coat_figure_lines(coats: list, mat) -> list[str]:
    """Each coat's own end-of-schedule figures (its cells only), under a build's."""
    cols = [("final_tg_minus_t_c", "Tg - T at its top (°C)", ".1f"),
            ("water_left_percent", _summary_label("water left (%)", mat), ".3g"),
            ("catechol_converted_percent", "catechol converted (%)", ".1f")]
    cols = [c for c in cols if _applies(c[0], mat)]
    if not coats or not all(k in coats[0] for k, _, _ in cols):
        return []
    rows = [[str(c["coat"])] + [_fmt(c[k], f) for k, _, f in cols] for c in coats]
    return (["", "Each coat at the end of the schedule (its own cells)"]
            + ["  " + line for line in table(["coat"] + [h for _, h, _ in cols], rows, limit=78)])


def _stage_legend() -> list[str]:
    """What each stage means, from the model's stage table."""
    text = "; ".join(f"{s.label} = {s.criterion}" for s in STAGE_TABLE)
    return wrap(text + ".", "  stages: ", " " * 10)


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


def _state_key(key: str, mat) -> str:
    """``water_*`` read as thinner for a lacquer whose volatile is a solvent."""
    if mat is not None and not mat.is_water and key.startswith("water"):
        return "thinner" + key[len("water"):]
    return key


def _summary_label(label: str, mat) -> str:
    if mat is not None and not mat.is_water and label.startswith("water"):
        return "thinner" + label[len("water"):]
    return label


def _title(recipe) -> list[str]:
    """The recipe's name and file; the file on a line of its own if both do not fit."""
    line = recipe.name + (f"  ({recipe.source})" if recipe.source else "")
    if width(line) <= 80 or not recipe.source:
        return [line]
    return wrap(recipe.name) + [f"  ({recipe.source})"]


def _preparation_lines(recipe) -> list[str]:
    """``refining`` / ``additives`` lines of the run report (nothing if absent)."""
    out = []
    steps = getattr(recipe, "refining", None) or ()
    for i, st in enumerate(steps):
        out += wrap(st.describe(), f"  {'refining' if i == 0 else '':<12} ")
    if getattr(recipe, "state", None) is not None and not steps:
        out.append("  refining     measured state given")
    additives = getattr(recipe, "additives", None)
    if additives is not None:
        out.append(f"  additives    {additives.describe()}")
    return out


STATE_LABELS = {"water_percent": ("water", "%", ".3g"),
                "monomer_percent": ("catechol monomer", "% of lipid", ".3g"),
                "droplet_um": ("droplet diameter", "µm", ".3g"),
                "laccase_percent": ("active laccase", "% of raw sap", ".3g"),
                "viscosity_pa_s": ("viscosity at 25 °C", "Pa·s", ".3g"),
                "water_volume_fraction": ("water volume fraction", "", ".3g")}


def _cmd_refine(args) -> int:
    from lacquersim.model.refining import process, refine

    recipe = _load(args.recipe)
    state = refine(recipe)
    history = None
    if args.steps and recipe.refining:
        _, history = process(recipe.material, recipe.refining, history=True,
                             source=recipe.source, lines=recipe.lines)
    if args.json:
        out: dict[str, Any] = {"recipe": recipe.name, "material": recipe.material,
                               "state": _jsonable(state.to_dict())}
        if history is not None:
            out["steps"] = _jsonable(history.to_dict(orient="records"))
        print(json.dumps(out, indent=2))
        return 0
    lines = _title(recipe) + [f"  material     {recipe.material}"]
    from lacquersim.model.materials import get_material, non_sap_materials

    prep = _preparation_lines(recipe)
    lines += prep if prep else ["  refining     none (as sold)" if recipe.material in non_sap_materials()
                                else "  refining     none (raw sap)"]
    lines += ["", "Refined state (what the film starts from)"]

    mat = get_material(recipe.material)
    labels = dict(STATE_LABELS)
    if not mat.is_water:
        labels["water_percent"] = ("thinner (volatile)", "%", ".3g")
        labels["water_volume_fraction"] = ("thinner volume fraction", "", ".3g")
    if mat.catechol == "none":
        labels["monomer_percent"] = ("monomer", "% of lipid", ".3g")
    shown = [(k, v) for k, v in state.items() if _applies(k, mat)]
    width = max(len(labels.get(k, (k,))[0]) for k, _ in shown)
    for key, value in shown:
        label, unit, spec = labels.get(key, (key.replace("_", " "), "", ".4g"))
        lines.append(f"  {label.ljust(width)}  {_fmt(float(value), spec, unit)}")
    if history is not None:
        lines += ["", "After each refining step"] + _steps_table(history, mat)
    print("\n".join(lines))
    return 0


def _steps_table(history, mat) -> list[str]:
    """The state after each refining step: steps numbered as in the recipe
    (from 1), a repeated kurome's cycles counted, headers with units."""
    cols = [("water_percent", "water %" if mat.is_water else "thinner %"),
            ("monomer_percent", "monomer % of lipid"), ("laccase_percent", "laccase %"),
            ("droplet_um", "droplet µm")]
    cols = [(k, h) for k, h in cols if _applies(k, mat)]
    header = ["step", "what", "cycle", "after (min)"] + [h for _, h in cols]
    rows, seen = [], {}
    for r in history.itertuples(index=False):
        # a repeated kurome's cycles: the n-th time this kind occurs in this step
        n = seen[(r.step, r.kind)] = seen.get((r.step, r.kind), 0) + 1
        rows.append([str(r.step + 1), r.kind.replace("_", " "), str(n), plain(r.minutes, 4)]
                    + [plain(getattr(r, k), 3) for k, _ in cols])
    if all(row[2] == "1" for row in rows):  # nothing repeated: no cycle column
        header.pop(2)
        rows = [row[:2] + row[3:] for row in rows]
    lines = table(header, rows, limit=78, align="ll" + "r" * (len(header) - 2))
    return ["  " + line for line in lines]


def _cmd_compare(args) -> int:
    recipes = [_apply_conditions(_load(name), args) for name in args.recipes]
    plot = _check_plot_target(args.plot) if args.plot else None
    pset = _parameter_set(args)
    results = []
    with _options_named(args), Bar("recipe") as bar:
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

    header = ["recipe"] + [STAGE_LABELS.get(k, k) for k in stage_keys] \
        + ["wrinkle index", "Tg - T °C"]
    rows = []
    for r, s in zip(recipes, summaries):
        st = s.get("stages_h") or {}
        rows.append([r.name] + [_fmt(st.get(k), ".2f") if st.get(k) is not None else "—"
                                for k in stage_keys]
                    + [_fmt(s.get("wrinkle_index"), ".3g"),
                       _fmt(s.get("final_tg_minus_t_c"), ".1f")])
    out = []
    overrides = [f"{label} {_num(v)} {unit}" for label, v, unit in (
        ("temperature", args.temperature, "°C"), ("RH", args.rh, "%"),
        ("hours", args.hours, "h"), ("film", args.thickness, "µm")) if v is not None]
    if overrides:
        out += wrap("all recipes with " + ", ".join(overrides) + " (the rest from each recipe)") + [""]
    out += ["Drying stages (hours after application) and film figures at the end", ""]
    out += table(header, rows)
    if any("—" in row for row in rows):
        out += [""] + wrap("— = not reached within the schedule (see 'lacquersim run RECIPE' "
                           "for why)")
    print("\n".join(out))
    if plot is not None:
        print(f"\nplot saved to {plot[0]}")
    return 0


def _cmd_recipes(args) -> int:
    from lacquersim.model.recipe_files import bundled_recipes, recipes_dir

    df = bundled_recipes()
    if df.empty:
        print(f"no recipes found in {recipes_dir()}")
        return 0
    wn = max(len("name"), *(len(n) for n in df["name"]))
    wm = max(len("material"), *(len(m) for m in df["material"]))
    indent = wn + wm + 4
    print(f"{'name'.ljust(wn)}  {'material'.ljust(wm)}  description")
    for row in df.itertuples(index=False):
        # the description wrapped in its column (80 columns; a long one below the name)
        text = row.description or row.title
        if indent > 50:
            print(f"{row.name.ljust(wn)}  {row.material}")
            print("\n".join(textwrap.wrap(text, 80, initial_indent="    ",
                                           subsequent_indent="    ")))
            continue
        print("\n".join(textwrap.wrap(f"{row.name.ljust(wn)}  {row.material.ljust(wm)}  {text}",
                                       80, subsequent_indent=" " * indent)))
    print("")
    print("\n".join(textwrap.wrap(f"{len(df)} recipes in {recipes_dir()}; run one with "
                                   f"'lacquersim run NAME'", 80, break_long_words=False,
                                   break_on_hyphens=False)))
    return 0


def _cmd_parameters(args) -> int:
    from lacquersim.model.parameters import as_set

    df = as_set(args.parameters).frame(args.material)
    if args.json:
        print(json.dumps(_jsonable(df.to_dict(orient="records")), indent=2, ensure_ascii=False))
        return 0
    head = ("name", "value", "unit", "allowed", "set for")
    # exact values in the table's own units: 3e-10 m2/s stays 3e-10, not "< 0.001"
    rows = [(r.name, format(r.value, ".4g"), "" if r.unit == "1" else r.unit,
             f"{format(r.min, 'g')} to {format(r.max, 'g')}", r.material) for r in df.itertuples()]
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
            lines += wrap(f"{r.about}; source: {r.source}", "    ")
    what = f"material {args.material}" if args.material else "every material ('all': unless a material gives its own)"
    lines += [""] + wrap(f"{len(df)} values, for {what}; override one with --param NAME=VALUE "
                         "on 'run' or 'compare'")
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
