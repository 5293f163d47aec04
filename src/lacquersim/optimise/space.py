"""The search space of the optimiser, read from YAML and checked before any run.

A space file::

    name: Laccol that dries like cashew in a Phu Tho workshop
    base: vietnam-kurome-phu-tho-july   # the recipe the variables change
    hours: 72                           # how long each coat dries
    climate:
      station: viet-tri                 # or phu-ho
      period: [1991, 2015]              # the normal period of the station records
      months: all                       # or a list, e.g. [1, 2, 12]
      years: normal                     # normal | extremes (also each month's coldest
                                        #   and warmest year of the period)
      score: worst                      # worst month, or {quantile: 0.9}
    competitor:
      recipe: cashew-workshop           # dried in each month's workshop air
      # or a data sheet: {tack_free_h: 3, dry_hard_h: 12}
    variables:                          # recipe fields (lacquersim schema)
      refining.0.minutes: {low: 10, high: 180}
      refining.0.rpm: {low: 30, high: 120}
      additives.oil: {choices: [linseed, tung]}
      additives.oil_percent: {low: 0, high: 30}
      film.thickness_um: {low: 30, high: 80}
    practice:                           # how the coat dries; a value fixes it
      kind: {choices: [workshop, humid_cabinet, heated_cabinet]}
      rh_percent: {low: 70, high: 95}   # cabinets
      temperature_c: {low: 22, high: 40}   # heated cabinet
      bake: {choices: [no, yes]}        # a bake right after application
      bake_temperature_c: {low: 100, high: 160}
      bake_minutes: {low: 5, high: 60}
    constraints:
      wrinkle_max: 1.0                  # wrinkle index at set-to-touch
      hardness_min_k: 0                 # Tg − T of the surface at the end, K
      laccol_min_percent: 70            # the laccol content's floor
    prices: {electricity_vnd_per_kwh: 1987}  # see lacquersim.optimise.cost
    cabinet: {}                         # cabinet model overrides
    n_cells: 30

A variable is ``{low, high}`` (a number; a whole number when the schema's
field is one or ``integer: true``) or ``{choices: [...]}``. Every variable
is checked at both ends (or every choice) through the recipe's own
validation, so a mistake names the file, the line, the field and the
allowed range before anything runs.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Mapping

from lacquersim.errors import RecipeError
from lacquersim.i18n import N_, _

__all__ = ["Space", "Variable", "load_space", "PRACTICE_KINDS"]

PRACTICE_KINDS = ("workshop", "humid_cabinet", "heated_cabinet")
#: practice fields: name -> (low, high) allowed, or choices
PRACTICE_FIELDS = {
    "kind": PRACTICE_KINDS,
    "rh_percent": (30.0, 98.0),
    "temperature_c": (5.0, 60.0),
    "bake": ("no", "yes"),
    "bake_temperature_c": (60.0, 250.0),
    "bake_minutes": (1.0, 240.0),
}
PRACTICE_DEFAULTS = {"kind": "workshop", "rh_percent": 85.0, "temperature_c": 30.0, "bake": "no",
                     "bake_temperature_c": 140.0, "bake_minutes": 30.0}
KEYS = ("name", "description", "base", "hours", "climate", "competitor", "variables", "practice",
        "constraints", "prices", "cabinet", "oven", "n_cells", "parameters", "population")
CLIMATE_KEYS = ("station", "period", "months", "years", "score")
CONSTRAINT_DEFAULTS = {"wrinkle_max": 1.0, "hardness_min_k": 0.0, "laccol_min_percent": 0.0}
YEARS = ("normal", "extremes")


@dataclass(frozen=True)
class Variable:
    """One decision variable: a number in [low, high] (whole or not) or a choice."""

    name: str
    low: float | None = None
    high: float | None = None
    integer: bool = False
    choices: tuple | None = None

    @property
    def fixed(self) -> bool:
        return False


@dataclass(frozen=True)
class Space:
    """A checked search space (see the module documentation)."""

    name: str
    base: Any                       # Recipe
    hours: float
    station: str
    period: tuple[int, int]
    months: tuple[int, ...]
    years: str
    score: float | None             # None: the worst; else a quantile in (0, 1]
    competitor: Any                 # Recipe, or {"tack_free_h": .., "dry_hard_h": ..}
    variables: tuple[Variable, ...]
    practice_fixed: dict
    constraints: dict
    prices: Any
    cabinet: Any
    oven: Any
    n_cells: int = 30
    parameters: Any = None
    population: int = 40
    base_ref: str = ""
    competitor_ref: Any = None
    file: str | None = None
    description: str = ""
    raw: dict = field(default_factory=dict, compare=False, repr=False)

    @property
    def names(self) -> list[str]:
        return [v.name for v in self.variables]

    def definition(self) -> dict:
        """What decides the results: stored with a run, compared on resume."""
        from lacquersim import __version__

        return json.loads(json.dumps({
            "base": self.base.to_dict(), "hours": self.hours, "station": self.station,
            "period": list(self.period), "months": list(self.months), "years": self.years,
            "score": self.score,
            "competitor": (self.competitor.to_dict() if hasattr(self.competitor, "to_dict")
                           else dict(self.competitor)),
            "variables": [v.__dict__ for v in self.variables],
            "practice_fixed": self.practice_fixed, "constraints": self.constraints,
            "prices": self.prices.to_dict(), "cabinet": self.cabinet.to_dict(),
            "oven": self.oven.to_dict(), "n_cells": self.n_cells,
            "parameters": dict(self.parameters.overrides), "population": self.population,
            "version": __version__,
        }, default=list))

    def practice(self, x: Mapping) -> dict:
        """The practice of candidate ``x`` (variables override the fixed values)."""
        p = dict(self.practice_fixed)
        for k in PRACTICE_FIELDS:
            if f"practice.{k}" in x:
                p[k] = x[f"practice.{k}"]
        return p

    def recipe_fields(self, x: Mapping) -> dict:
        return {k: v for k, v in x.items() if not k.startswith("practice.")}


def load_space(path) -> Space:
    """Read and check a space file (see the module documentation)."""
    from lacquersim.model.recipe_files import read_yaml_document

    path = Path(path)
    data, lines, file = read_yaml_document(path, N_("space file"), "SPACE",
                                           N_("'base', 'variables', 'practice', ..."))
    return build_space(data, file=file, lines=lines, base_dir=path.parent)


def build_space(data: Mapping, *, file: str | None = None, lines: Mapping | None = None,
                base_dir: Path | None = None) -> Space:
    """Check plain data (as in a space file) and build a :class:`Space`."""
    from lacquersim.model.climate import STATIONS, climate_records
    from lacquersim.model.parameters import as_set
    from lacquersim.model.problem import check_n_cells
    from lacquersim.optimise.cost import Cabinet, Oven, Prices

    from lacquersim.model.recipe_files import LineErrors

    err = LineErrors(file, lines)
    for key in data:
        if key not in KEYS:
            raise err(_("unknown key; allowed: {keys}").format(keys=", ".join(KEYS)), str(key))
    base = _recipe(data.get("base"), "base", err, base_dir)
    hours = data.get("hours", 72)
    if isinstance(hours, bool) or not isinstance(hours, (int, float)) or not 1 <= hours <= 720:
        raise err(_("expected hours of drying from 1 to 720, got {value}").format(
            value=repr(hours)), "hours")
    if base.coats is not None and base.coats.count > 1:
        raise err(_("a multi-coat recipe cannot be optimised per coat; give one coat"), "base")

    clim = _mapping(data.get("climate", {}), "climate", err)
    for key in clim:
        if key not in CLIMATE_KEYS:
            raise err(_("unknown key; allowed: {keys}").format(keys=", ".join(CLIMATE_KEYS)),
                      f"climate.{key}")
    station = clim.get("station", "viet-tri")
    if station not in STATIONS:
        raise err(_("unknown station {station}; choose one of {stations}").format(
            station=repr(station), stations=", ".join(STATIONS)), "climate.station")
    rec = climate_records(station)
    first, last = int(rec.year.min()), int(rec.year.max())
    period = clim.get("period", [1991, 2015])
    if (not isinstance(period, (list, tuple)) or len(period) != 2
            or not all(isinstance(y, int) and not isinstance(y, bool) for y in period)
            or not first <= period[0] <= period[1] <= last):
        raise err(_("expected [first year, last year] within {first}–{last}, got {value}").format(
            first=first, last=last, value=repr(period)), "climate.period")
    months = clim.get("months", "all")
    if months == "all":
        months = list(range(1, 13))
    if (not isinstance(months, (list, tuple)) or not months
            or not all(isinstance(m, int) and not isinstance(m, bool) and 1 <= m <= 12 for m in months)
            or len(set(months)) != len(months)):
        raise err(_("expected 'all' or a list of different months 1 to 12, got {value}").format(
            value=repr(months)), "climate.months")
    years = clim.get("years", "normal")
    if years not in YEARS:
        raise err(_("expected one of {choices}, got {value}").format(
            choices=", ".join(YEARS), value=repr(years)), "climate.years")
    score = clim.get("score", "worst")
    if score == "worst":
        score = None
    elif isinstance(score, Mapping) and set(score) == {"quantile"}:
        q = score["quantile"]
        if isinstance(q, bool) or not isinstance(q, (int, float)) or not 0 < q <= 1:
            raise err(_("a quantile is above 0 and at most 1, got {value}").format(value=repr(q)),
                      "climate.score.quantile")
        score = float(q)
    else:
        raise err(_("expected 'worst' or {{quantile: q}}, got {value}").format(value=repr(score)),
                  "climate.score")

    comp = data.get("competitor", {"recipe": "cashew-workshop"})
    comp = _mapping(comp, "competitor", err)
    if set(comp) == {"recipe"}:
        competitor = _recipe(comp["recipe"], "competitor.recipe", err, base_dir)
        competitor_ref = comp["recipe"]
    elif set(comp) == {"tack_free_h", "dry_hard_h"}:
        for k in comp:
            v = comp[k]
            if isinstance(v, bool) or not isinstance(v, (int, float)) or not 0 < v <= hours:
                raise err(_("expected hours above 0 and at most the drying time {h} h, got "
                            "{value}").format(h=f"{hours:g}", value=repr(v)), f"competitor.{k}")
        if comp["dry_hard_h"] < comp["tack_free_h"]:
            raise err(_("dry hard comes after tack free"), "competitor.dry_hard_h")
        competitor = {k: float(v) for k, v in comp.items()}
        competitor_ref = dict(competitor)
    else:
        raise err(_("expected {recipe: NAME} or a data sheet {tack_free_h: H, dry_hard_h: H}"),
                  "competitor")

    variables = []
    for name, spec in _mapping(data.get("variables", {}), "variables", err).items():
        variables.append(_recipe_variable(base, str(name), spec, err))
    practice_fixed = dict(PRACTICE_DEFAULTS)
    for name, spec in _mapping(data.get("practice", {}), "practice", err).items():
        name = str(name)
        if name not in PRACTICE_FIELDS:
            raise err(_("unknown practice field; allowed: {keys}").format(
                keys=", ".join(PRACTICE_FIELDS)), f"practice.{name}")
        allowed = PRACTICE_FIELDS[name]
        if isinstance(spec, Mapping):
            variables.append(_plain_variable(f"practice.{name}", spec, allowed, err))
        else:
            practice_fixed[name] = _plain_value(f"practice.{name}", spec, allowed, err)
    if not variables:
        raise err(_("nothing to search: give at least one variable under 'variables' or "
                    "'practice'"), "variables")

    cons = dict(CONSTRAINT_DEFAULTS)
    for k, v in _mapping(data.get("constraints", {}), "constraints", err).items():
        if k not in CONSTRAINT_DEFAULTS:
            raise err(_("unknown constraint; allowed: {keys}").format(
                keys=", ".join(CONSTRAINT_DEFAULTS)), f"constraints.{k}")
        lo, hi = {"wrinkle_max": (0, 100), "hardness_min_k": (-100, 200),
                  "laccol_min_percent": (0, 100)}[k]
        if isinstance(v, bool) or not isinstance(v, (int, float)) or not lo <= v <= hi:
            raise err(_("expected a number from {low} to {high}, got {value}").format(
                low=lo, high=hi, value=repr(v)), f"constraints.{k}")
        cons[k] = float(v)

    try:
        prices = Prices.from_dict(data.get("prices"), where="prices")
        cabinet = Cabinet.from_dict(data.get("cabinet"), where="cabinet")
        oven = Oven.from_dict(data.get("oven"), where="oven")
    except RecipeError as exc:
        raise err(exc.problem, exc.field) from None
    try:
        n_cells = check_n_cells(data.get("n_cells", 30))
    except RecipeError as exc:
        raise err(exc.problem, "n_cells") from None
    try:
        pset = as_set(data.get("parameters"))
    except RecipeError as exc:
        raise err(exc.problem, exc.field or "parameters") from None
    pop = data.get("population", 40)
    if isinstance(pop, bool) or not isinstance(pop, int) or not 4 <= pop <= 10000:
        raise err(_("expected a whole number from {low} to {high}, got {value}").format(
            low=4, high=10000, value=repr(pop)), "population")
    name = data.get("name", base.name)
    return Space(name=str(name), base=base, hours=float(hours), station=station,
                 period=(int(period[0]), int(period[1])), months=tuple(months), years=years,
                 score=score, competitor=competitor, variables=tuple(variables),
                 practice_fixed=practice_fixed, constraints=cons, prices=prices, cabinet=cabinet,
                 oven=oven, n_cells=n_cells, parameters=pset, population=pop,
                 base_ref=str(data.get("base")), competitor_ref=competitor_ref, file=file,
                 description=str(data.get("description", "")), raw=dict(data))


# -- checks ----------------------------------------------------------------------------
def _mapping(v, where, err) -> Mapping:
    if not isinstance(v, Mapping):
        raise err(_("expected a mapping, got {value}").format(value=repr(v)), where)
    return v


def _recipe(ref, where, err, base_dir):
    from lacquersim.sim.prepared import as_recipe

    if not isinstance(ref, str) or not ref:
        raise err(_("expected a bundled recipe name or a recipe file"), where)
    try:
        if base_dir is not None and (base_dir / ref).is_file():
            return as_recipe(str(base_dir / ref))
        return as_recipe(ref)
    except RecipeError as exc:
        if exc.file:
            raise
        raise err(exc.problem, where) from None


def _number(v) -> bool:
    return not isinstance(v, bool) and isinstance(v, (int, float)) and math.isfinite(v)


def _recipe_variable(base, name: str, spec, err) -> Variable:
    from lacquersim.model.schema import RECIPE_SCHEMA

    where = f"variables.{name}"
    if name.startswith("practice.") or name.startswith("parameters."):
        raise err(_("a recipe field here; drying practice goes under 'practice'"), where)
    f = RECIPE_SCHEMA.field_for(name)
    if f is None:
        try:
            base.with_values({name: None})
        except RecipeError as exc:
            raise err(exc.problem, where) from None
        raise err(_("unknown field; see 'lacquersim schema'"), where)
    spec = _mapping(spec, where, err)
    var = _plain_variable(name, spec, None, err, integer=f.kind == "int")
    values = var.choices if var.choices is not None else (var.low, var.high)
    for v in values:
        try:
            base.with_values({name: v})
        except RecipeError as exc:
            raise err(exc.problem + " " + _("(value {value} of this variable)").format(
                value=repr(v)), where) from None
    return var


def _plain_variable(name: str, spec: Mapping, allowed, err, integer: bool = False) -> Variable:
    where = name if name.startswith("practice.") else f"variables.{name}"
    keys = set(spec)
    if keys == {"choices"}:
        ch = spec["choices"]
        if not isinstance(ch, (list, tuple)) or len(ch) < 2 or len(set(map(repr, ch))) != len(ch):
            raise err(_("expected a list of at least two different choices, got {value}").format(
                value=repr(ch)), where)
        if isinstance(allowed, tuple) and isinstance(allowed[0], str):
            for c in ch:
                _plain_value(name, c, allowed, err)
        ch = tuple(("yes" if c is True else "no") if isinstance(c, bool) else c for c in ch)
        return Variable(name, choices=ch)
    if keys - {"low", "high", "integer"} or not {"low", "high"} <= keys:
        raise err(_("expected {low: L, high: H} (optionally integer: true) or {choices: [...]}"),
                  where)
    lo, hi = spec["low"], spec["high"]
    if not (_number(lo) and _number(hi)) or not lo < hi:
        raise err(_("expected low < high, two numbers, got {low} and {high}").format(
            low=repr(lo), high=repr(hi)), where)
    if isinstance(allowed, tuple) and isinstance(allowed[0], float):
        for v in (lo, hi):
            _plain_value(name, v, allowed, err)
    integer = bool(spec.get("integer", integer))
    if integer and (lo != int(lo) or hi != int(hi)):
        raise err(_("a whole-number variable needs whole-number bounds"), where)
    return Variable(name, low=float(lo), high=float(hi), integer=integer)


def _plain_value(name: str, v, allowed, err):
    if isinstance(allowed[0], str):
        if isinstance(v, bool):
            v = "yes" if v else "no"
        if v not in allowed:
            raise err(_("{value} is not allowed; choose one of {choices}").format(
                value=repr(v), choices=", ".join(allowed)), name)
        return v
    lo, hi = allowed
    if not _number(v) or not lo <= v <= hi:
        raise err(_("{value} is out of range").format(value=repr(v)) + "; " + _(
            "allowed {values}").format(values=_("{low} to {high}").format(low=f"{lo:g}",
                                                                         high=f"{hi:g}")), name)
    return float(v)
