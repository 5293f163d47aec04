"""What a study is: a recipe, the inputs that vary and how they are sampled.

A study file (YAML)::

    recipe: vietnam-kneaded-60          # bundled name, or a path relative to the file
    horizon_h: 72                       # optional: how long each case dries
    n_cells: 30                         # optional (default 50)
    parameters: {k_L: 0.5}              # optional: a set name/file, or overrides
    grid:                               # either a full-factorial grid ...
      film.thickness_um: [30, 60, 90]
      drying.rh_percent: [60, 70, 80, 90]
    # ... or a sample over ranges:
    sample: {method: sobol, n: 1024, seed: 1}    # lhs | sobol | morris
    ranges:
      drying.temperature_c: [15, 35]
      parameters.k_L: [0.2, 0.8]

Inputs are dotted recipe fields (see ``lacquersim schema``) or model
parameters as ``parameters.<name>`` (see ``lacquersim parameters``). Every
path, value and range end is checked against the schema's limits and the
parameter table's ranges when the study is built, so a mistake is reported
before any simulation runs, naming the file, the field and what is allowed.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Mapping

from lacquersim.errors import RecipeError
from lacquersim.i18n import N_, _

__all__ = ["Study", "load_study", "METHODS", "PARAMETERS"]

#: Sampling methods: a full-factorial grid, or samples over ranges.
METHODS = ("grid", "lhs", "sobol", "morris")
#: Prefix of input paths that address model parameters rather than recipe fields.
PARAMETERS = "parameters."
#: Keys a study file may have.
KEYS = ("recipe", "grid", "sample", "ranges", "horizon_h", "n_cells", "rtol", "parameters",
        "description")
SAMPLE_KEYS = ("method", "n", "seed", "levels")
#: Most cases one study may hold (a Parquet file of 10^7 rows is still fine).
MAX_CASES = 10_000_000


@dataclass(frozen=True)
class Study:
    """A validated study; build it with :meth:`Study.create` or :func:`load_study`.

    Attributes
    ----------
    recipe : Recipe
        The base recipe (with ``horizon_h`` applied).
    method : str
        ``"grid"``, ``"lhs"``, ``"sobol"`` or ``"morris"``.
    grid : dict
        Path -> values (grid method only).
    ranges : dict
        Path -> (low, high) (sampling methods only).
    n : int
        Sample size: cases for ``lhs``; base sample N for ``sobol`` (N·(D+2)
        cases) and trajectories for ``morris`` (N·(D+1) cases).
    seed : int
        Seed of the sample; the same seed gives the same cases.
    levels : int
        Grid levels of a Morris sample.
    horizon_h : float or None
        Drying time of every case, h (None: the recipe's own).
    n_cells, rtol :
        Solver settings of every case.
    parameters : ParameterSet
        The model parameters the inputs override.
    recipe_ref : str
        The recipe as written in the study (for the definition).
    """

    recipe: Any
    method: str
    grid: dict = field(default_factory=dict)
    ranges: dict = field(default_factory=dict)
    n: int = 0
    seed: int = 0
    levels: int = 4
    horizon_h: float | None = None
    n_cells: int = 50
    rtol: float = 1e-6
    parameters: Any = None
    recipe_ref: str = ""
    file: str | None = None

    # -- construction -----------------------------------------------------------
    @classmethod
    def create(cls, recipe, *, grid: Mapping | None = None, ranges: Mapping | None = None,
               method: str | None = None, n: int | None = None, seed: int = 0, levels: int = 4,
               horizon_h: float | None = None, n_cells: int = 50, rtol: float = 1e-6,
               parameters: Any = None, file: str | None = None, base_dir: Path | None = None,
               lines: Mapping[str, int] | None = None) -> "Study":
        """Check every input of a study and build it.

        ``grid`` (path -> list of values) and ``ranges`` (path -> [low,
        high]) are exclusive; with ``ranges``, ``method`` is ``"lhs"``,
        ``"sobol"`` or ``"morris"`` and ``n`` the sample size. Raises
        :class:`~lacquersim.errors.RecipeError` naming the field at fault.
        """
        from lacquersim.model.parameters import as_set
        from lacquersim.model.problem import check_n_cells
        from lacquersim.sim.prepared import as_recipe
        from lacquersim.sim.simulation import check_rtol

        from lacquersim.model.recipe_files import LineErrors

        err = LineErrors(file, lines)
        if grid is not None and ranges is not None:
            raise err(_("give either 'grid' (values) or 'sample' with 'ranges', not both"), "grid")
        if grid is None and ranges is None:
            raise err(_("a study needs 'grid' (path -> values) or 'sample' with 'ranges' "
                        "(path -> [low, high])"), "grid")
        method = ("grid" if grid is not None else None) if method is None else str(method).lower()
        if grid is not None and method != "grid":
            raise err(_("method '{method}' samples 'ranges'; a 'grid' lists its values").format(
                method=method), "sample.method")
        if ranges is not None and method not in METHODS[1:]:
            raise err(_("unknown sampling method {method}; allowed: lhs, sobol, morris").format(
                method=repr(method)), "sample.method")

        ref = recipe if isinstance(recipe, str) else getattr(recipe, "name", str(recipe))
        try:
            if isinstance(recipe, str) and base_dir is not None and (base_dir / recipe).is_file():
                recipe = as_recipe(str(base_dir / recipe))
            else:
                recipe = as_recipe(recipe)
        except RecipeError as exc:
            if exc.file:  # an error inside the recipe file: that file's message
                raise
            raise err(exc.problem, "recipe") from None
        try:
            n_cells = check_n_cells(n_cells)
        except RecipeError as exc:
            raise err(exc.problem, "n_cells") from None
        try:
            rtol = check_rtol(rtol)
        except RecipeError as exc:
            raise err(exc.problem, "rtol") from None
        try:
            pset = as_set(parameters)
        except RecipeError as exc:
            raise err(exc.problem, exc.field or "parameters") from None
        if horizon_h is not None:
            recipe = _with_horizon(recipe, horizon_h, err)

        if grid is not None:
            grid = _check_grid(grid, recipe, pset, err)
            n_cases = math.prod(len(v) for v in grid.values())
            ranges, n = {}, n_cases
        else:
            ranges = _check_ranges(ranges, recipe, pset, err)
            n = _check_n(n, method, err)
            d = len(ranges)
            n_cases = {"lhs": n, "sobol": n * (d + 2), "morris": n * (d + 1)}[method]
            if method == "morris":
                levels = _check_int(levels, "sample.levels", 2, 64, err)
                if levels % 2:
                    raise err(_("{n} levels: a Morris grid needs an even number of levels").format(
                        n=levels), "sample.levels")
            seed = _check_int(seed, "sample.seed", 0, 2**32 - 1, err)
        if n_cases > MAX_CASES:
            raise err(_("{n} cases; at most {max} in one study").format(n=n_cases, max=MAX_CASES),
                      "grid" if grid else "sample.n")
        return cls(recipe=recipe, method=method, grid=grid or {}, ranges=ranges, n=int(n),
                   seed=int(seed), levels=int(levels),
                   horizon_h=None if horizon_h is None else float(horizon_h),
                   n_cells=n_cells, rtol=rtol, parameters=pset, recipe_ref=str(ref), file=file)

    # -- description --------------------------------------------------------------
    @property
    def inputs(self) -> list[str]:
        """The varied paths, in order (the input columns of the results)."""
        return list(self.grid or self.ranges)

    @property
    def n_cases(self) -> int:
        d = len(self.inputs)
        return {"grid": self.n, "lhs": self.n, "sobol": self.n * (d + 2),
                "morris": self.n * (d + 1)}[self.method]

    def problem(self) -> dict:
        """The inputs as a SALib problem (``num_vars``, ``names``, ``bounds``)."""
        return {"num_vars": len(self.ranges), "names": list(self.ranges),
                "bounds": [list(map(float, b)) for b in self.ranges.values()]}

    def definition(self) -> dict:
        """Everything that decides the results, as plain data: stored with
        them, and compared when a study resumes (a changed recipe file, range
        or parameter makes the stored results another study's)."""
        from lacquersim import __version__

        pset = self.parameters
        return {
            "recipe": self.recipe.to_dict(),
            "recipe_ref": self.recipe_ref,
            "method": self.method,
            "grid": {k: list(v) for k, v in self.grid.items()},
            "ranges": {k: list(v) for k, v in self.ranges.items()},
            "n": self.n, "seed": self.seed, "levels": self.levels,
            "horizon_h": self.horizon_h, "n_cells": self.n_cells, "rtol": self.rtol,
            "parameters": {"name": pset.name, "overrides": dict(pset.overrides),
                           "values": _parameter_values(pset, self.recipe.material)},
            "n_cases": self.n_cases,
            "version": __version__,
        }


def load_study(path) -> Study:
    """Read and check a study file (YAML); see the module documentation."""
    from lacquersim.model.recipe_files import LineErrors, read_yaml_document

    path = Path(path)
    data, lines, file = read_yaml_document(
        path, N_("study file"), "STUDY",
        N_("'recipe' and 'grid', or 'recipe', 'sample' and 'ranges'"))
    err = LineErrors(file, lines)
    for key in data:
        if key not in KEYS:
            raise err(_("unknown key; allowed: {keys}").format(keys=", ".join(KEYS)), str(key))
    if "recipe" not in data:
        raise err(_("missing; a bundled recipe name or a recipe file"), "recipe")
    if not isinstance(data["recipe"], str):
        raise err(_("expected a bundled recipe name or a recipe file path"), "recipe")
    sample = data.get("sample")
    if sample is not None:
        if not isinstance(sample, Mapping):
            raise err(_("expected {method: lhs|sobol|morris, n: N, seed: S}"), "sample")
        for key in sample:
            if key not in SAMPLE_KEYS:
                raise err(_("unknown key; allowed: {keys}").format(keys=", ".join(SAMPLE_KEYS)),
                          f"sample.{key}")
        if "method" not in sample:
            raise err(_("missing; lhs, sobol or morris"), "sample.method")
        if "ranges" not in data:
            raise err(_("a sample needs 'ranges': path -> [low, high]"), "ranges")
    elif "ranges" in data:
        raise err(_("ranges need a 'sample: {method: lhs|sobol|morris, n: N}'"),
                  "sample")
    sample = sample or {}
    return Study.create(data["recipe"], grid=data.get("grid"), ranges=data.get("ranges"),
                        method=sample.get("method"), n=sample.get("n"), seed=sample.get("seed", 0),
                        levels=sample.get("levels", 4), horizon_h=data.get("horizon_h"),
                        n_cells=data.get("n_cells", 50), rtol=data.get("rtol", 1e-6),
                        parameters=data.get("parameters"), file=file, base_dir=path.parent,
                        lines=lines)


# -- checks -------------------------------------------------------------------------
def _with_horizon(recipe, horizon_h, err):
    if isinstance(horizon_h, bool) or not isinstance(horizon_h, (int, float)) \
            or not math.isfinite(horizon_h) or horizon_h <= 0:
        raise err(_("expected a number of hours above 0, got {value}").format(
            value=repr(horizon_h)), "horizon_h")
    if len(recipe.drying.steps) != 1 or recipe.drying_preset:
        raise err(_("sets the drying time of a recipe dried at constant conditions; this recipe "
                    "has a schedule of its own (set its duration in the recipe)"), "horizon_h")
    try:
        return recipe.with_values({"drying.hours": float(horizon_h)})
    except RecipeError as exc:
        raise err(exc.problem, "horizon_h") from None


def _check_value(recipe, pset, path: str, value, err, where: str):
    """Try one value of one input: a recipe field through the recipe's own
    validation, a parameter through the table's ranges."""
    if not isinstance(path, str) or not path or any(not p for p in path.split(".")):
        raise err(_("expected a dotted field such as 'film.thickness_um' or 'parameters.k_L', "
                    "got {path}").format(path=repr(path)), where)
    try:
        if path.startswith(PARAMETERS):
            pset.with_overrides({path[len(PARAMETERS):]: value}, where="parameters")
        else:
            if isinstance(value, bool) or value is None:
                raise RecipeError(_("expected a value, got {value}").format(value=repr(value)),
                                  field=path)
            recipe.with_values({path: value})
    except RecipeError as exc:
        raise err(exc.problem, where) from None


def _check_grid(grid, recipe, pset, err) -> dict:
    if not isinstance(grid, Mapping) or not grid:
        raise err(_("expected a non-empty mapping of dotted path -> list of values"), "grid")
    out = {}
    for path, values in grid.items():
        where = f"grid.{path}"
        if isinstance(values, (str, bytes)) or not isinstance(values, (list, tuple)) or not values:
            raise err(_("expected a non-empty list of values, got {value}").format(
                value=repr(values)), where)
        if len(set(map(repr, values))) != len(values):
            raise err(_("a value is listed twice (a grid's cases must differ)"), where)
        for v in values:
            _check_value(recipe, pset, path, v, err, where)
        out[str(path)] = list(values)
    return out


def _check_ranges(ranges, recipe, pset, err) -> dict:
    if not isinstance(ranges, Mapping) or not ranges:
        raise err(_("expected a non-empty mapping of dotted path -> [low, high]"), "ranges")
    out = {}
    for path, bounds in ranges.items():
        where = f"ranges.{path}"
        if not isinstance(bounds, (list, tuple)) or len(bounds) != 2 or any(
                isinstance(b, bool) or not isinstance(b, (int, float)) or not math.isfinite(b)
                for b in bounds):
            raise err(_("expected [low, high], two numbers, got {value}").format(
                value=repr(bounds)), where)
        lo, hi = float(bounds[0]), float(bounds[1])
        if not lo < hi:
            raise err(_("low {low} must be below high {high}").format(low=f"{lo:g}",
                                                                      high=f"{hi:g}"), where)
        for v in (lo, hi):
            _check_value(recipe, pset, path, v, err, where)
        if not path.startswith(PARAMETERS):
            from lacquersim.model.schema import RECIPE_SCHEMA

            f = RECIPE_SCHEMA.field_for(path)
            if f is not None and f.kind not in ("float", "int"):
                raise err(_("a range needs a number field; '{path}' is {kind} (use a grid)").format(
                    path=path, kind=f.kind), where)
        out[str(path)] = (lo, hi)
    return out


def _check_n(n, method, err) -> int:
    n = _check_int(n, "sample.n", 1, MAX_CASES, err)
    if method == "sobol" and n & (n - 1):
        lower = 1 << (n.bit_length() - 1)
        raise err(_("{n} is not a power of 2; a Sobol (Saltelli) sample needs one, e.g. {lower} "
                    "or {upper}").format(n=n, lower=lower, upper=lower * 2), "sample.n")
    if method == "morris" and n < 2:
        raise err(_("a Morris sample needs at least 2 trajectories"), "sample.n")
    return n


def _check_int(v, where, lo, hi, err) -> int:
    if v is None:
        raise err(_("missing; a whole number from {low} to {high}").format(low=lo, high=hi), where)
    if isinstance(v, bool) or not isinstance(v, (int, float)) or v != int(v) or not lo <= v <= hi:
        raise err(_("expected a whole number from {low} to {high}, got {value}").format(
            low=lo, high=hi, value=repr(v)), where)
    return int(v)


def _parameter_values(pset, material: str) -> dict:
    return {k: float(v[0]) for k, v in sorted(pset.resolved(material).items())}
