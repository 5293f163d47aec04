"""Recipes: what lacquer, how thick, dried how.

A recipe is a small YAML file (or a Python dict) checked against
:mod:`lacquersim.schema`. Every user mistake becomes a
:class:`~lacquersim.errors.RecipeError` naming the file, the line, the dotted
field and what is allowed, e.g.::

    recipes/x.yaml, line 7, field 'drying.rh_percent': 120 is out of range;
    allowed 0 to 100 % (relative humidity of the air)

Example recipe::

    name: Japanese urushiol, raw sap
    material: japan
    film:
      thickness_um: 76        # wet film, µm
    drying:
      temperature_c: 25       # °C
      rh_percent: 80          # %
      hours: 72               # h

A recipe may also say how the sap was refined and what was mixed in, and
use a drying preset::

    name: Vietnamese laccol, kneaded 45 min, July in Phu Tho
    material: vietnam
    refining:
      - {step: kurome, minutes: 45, rpm: 60, temperature_c: 40}
    additives: {drier_percent: 0.05}
    film: {thickness_um: 50}
    drying: {preset: outdoor, site: phu-tho, month: 7, days: 7}
"""

from __future__ import annotations

import copy
import difflib
import os
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Mapping

import yaml

from lacquersim.model import schema
from lacquersim.errors import RecipeError
from lacquersim.model.schedule import Schedule, Step

if TYPE_CHECKING:  # pragma: no cover
    import pandas as pd

__all__ = ["FilmSpec", "CoatsSpec", "StateSpec", "RefiningStep", "AdditivesSpec", "Recipe", "load_recipe",
           "bundled_recipes", "recipes_dir"]

#: Environment variable naming a folder of recipes that replaces the bundled one.
RECIPES_ENV = "LACQUERSIM_RECIPES"
_SUFFIXES = (".yaml", ".yml")
# A recipe is a few hundred bytes; the cap keeps a wrong path (a log, a data
# dump) from being read into memory and parsed.
_MAX_BYTES = 1_000_000
# Bound on YAML nodes visited: aliases can make a tiny file expand enormously.
_MAX_NODES = 100_000


@dataclass(frozen=True)
class FilmSpec:
    """The applied film.

    Parameters
    ----------
    thickness_um : float
        Wet film thickness as applied, µm.
    """

    thickness_um: float


@dataclass(frozen=True)
class CoatsSpec:
    """A multi-coat build: ``count`` coats, one every ``interval_hours`` h."""

    count: int
    interval_hours: float


@dataclass(frozen=True)
class StateSpec:
    """Measured state of the lacquer when applied (overrides material defaults).

    Parameters
    ----------
    water_percent : float
        Water content, % by weight.
    monomer_percent : float
        Catechol monomer as % of the lipid fraction (GPC); the rest is
        oligomer / polymer.
    droplet_um : float, optional
        Mean water-droplet diameter of the emulsion, µm.
    laccase_percent : float, optional
        Active laccase as % of that in raw sap.
    """

    water_percent: float
    monomer_percent: float
    droplet_um: float | None = None
    laccase_percent: float | None = None

    def to_dict(self) -> dict:
        d = {"water_percent": self.water_percent, "monomer_percent": self.monomer_percent}
        if self.droplet_um is not None:
            d["droplet_um"] = self.droplet_um
        if self.laccase_percent is not None:
            d["laccase_percent"] = self.laccase_percent
        return d


@dataclass(frozen=True)
class RefiningStep:
    """One refining step (see ``lacquersim schema``, ``refining[i]``).

    Parameters
    ----------
    step : str
        ``"nayashi"`` (stirring), ``"kurome"`` (heating while stirring) or
        ``"add_water"`` (water added back).
    minutes, rpm, temperature_c : float, optional
        Duration (per cycle), stirring speed and sap temperature (nayashi, kurome).
    open_vessel : bool, optional
        Kurome in an open vessel (water evaporates).
    repeat : int, optional
        Number of kurome cycles.
    add_water_percent : float, optional
        Water added back before each kurome cycle, % of the lacquer's weight.
    percent : float, optional
        Water added back (``add_water``), % of the lacquer's weight.
    """

    step: str
    minutes: float | None = None
    rpm: float | None = None
    temperature_c: float | None = None
    open_vessel: bool | None = None
    repeat: int | None = None
    add_water_percent: float | None = None
    percent: float | None = None

    _KEYS = ("step", "minutes", "rpm", "temperature_c", "open_vessel", "repeat",
             "add_water_percent", "percent")

    def to_dict(self) -> dict:
        return {k: getattr(self, k) for k in self._KEYS if getattr(self, k) is not None}

    def describe(self) -> str:
        """One line for people: ``kurome 60 min at 40 °C, 60 rpm, open``."""
        if self.step == "add_water":
            return f"add {self.percent:g} % water"
        text = (f"{self.step} {self.minutes:g} min at {self.temperature_c:g} °C, "
                f"{self.rpm:g} rpm")
        if self.step == "kurome":
            text += ", open" if self.open_vessel in (None, True) else ", covered"
            if self.repeat and self.repeat > 1:
                text += f", {self.repeat} cycles"
            if self.add_water_percent:
                text += f" (+{self.add_water_percent:g} % water before each)"
        return text


@dataclass(frozen=True)
class AdditivesSpec:
    """Additives mixed into the lacquer (each optional; see ``lacquersim schema``).

    ``metal_ppm`` (Cu²⁺/Fe³⁺ ions), ``drier_percent`` (% metal on binder),
    ``oil`` and ``oil_percent`` (hybrid lacquer, % of the lacquer's weight),
    ``thinner_percent`` (% of the lacquer's weight).
    """

    metal_ppm: float | None = None
    drier_percent: float | None = None
    oil: str | None = None
    oil_percent: float | None = None
    thinner_percent: float | None = None

    _KEYS = ("metal_ppm", "drier_percent", "oil", "oil_percent", "thinner_percent")

    def to_dict(self) -> dict:
        return {k: getattr(self, k) for k in self._KEYS if getattr(self, k) is not None}

    def describe(self) -> str:
        parts = []
        if self.metal_ppm:
            parts.append(f"metal ions {self.metal_ppm:g} ppm")
        if self.drier_percent:
            parts.append(f"drier {self.drier_percent:g} %")
        if self.oil and self.oil_percent:
            parts.append(f"{self.oil} oil {self.oil_percent:g} %")
        if self.thinner_percent:
            parts.append(f"thinner {self.thinner_percent:g} %")
        return ", ".join(parts) or "none"


@dataclass(frozen=True)
class Recipe:
    """A validated recipe.

    Build one with :meth:`from_dict` or :func:`load_recipe`; both check every
    field against :mod:`lacquersim.schema`. (Calling the constructor directly
    skips those checks.)

    Parameters
    ----------
    name : str
        Title shown in reports.
    material : str
        One of :data:`lacquersim.schema.MATERIAL_NAMES`.
    film : FilmSpec
        Film thickness.
    drying : Schedule
        Drying conditions after application.
    state : StateSpec, optional
        Measured state; ``None`` uses the refining steps or the raw sap.
    description : str
        Free text.
    source : str, optional
        File the recipe was read from (``None`` for a dict).
    refining : tuple of RefiningStep, optional
        Refining steps run on the raw sap (exclusive with ``state``).
    additives : AdditivesSpec, optional
        Metal ions, drier, blended oil, thinner.
    drying_preset : tuple of (key, value) pairs, optional
        The ``drying`` section as written when it is a preset (``drying``
        holds the schedule it expands to).
    lines : mapping
        Dotted field → line in ``source``, for messages raised after loading
        (e.g. by refining). Not part of equality.
    """

    name: str
    material: str
    film: FilmSpec
    drying: Schedule
    state: StateSpec | None = None
    description: str = ""
    source: str | None = None
    refining: tuple[RefiningStep, ...] | None = None
    additives: AdditivesSpec | None = None
    drying_preset: tuple[tuple[str, Any], ...] | None = None
    coats: CoatsSpec | None = None
    lines: Mapping[str, int] = field(default_factory=dict, compare=False, repr=False)

    # -- construction -------------------------------------------------------
    @classmethod
    def from_dict(cls, d: Mapping[str, Any], *, source: str | None = None) -> "Recipe":
        """Validate plain data (as in a recipe file) and build a :class:`Recipe`.

        Errors carry ``file=None``; ``source`` is only recorded on the result.

        Raises
        ------
        RecipeError
            If anything in ``d`` is missing, unknown, of the wrong type or out
            of range.
        """
        return _build(d, file=None, lines=None, source=source)

    def to_dict(self) -> dict:
        """Plain data that :meth:`from_dict` turns back into an equal recipe.

        The drying schedule is written as its preset if it came from one,
        else in the simple form when it is a single constant step, else as
        ``steps`` (as written). ``source`` is not part of the data.
        """
        d: dict[str, Any] = {"name": self.name}
        if self.description:
            d["description"] = self.description
        d["material"] = self.material
        if self.state is not None:
            d["state"] = self.state.to_dict()
        if self.refining:
            d["refining"] = [st.to_dict() for st in self.refining]
        if self.additives is not None:
            d["additives"] = self.additives.to_dict()
        d["film"] = {"thickness_um": self.film.thickness_um}
        if self.drying_preset:
            d["drying"] = dict(self.drying_preset)
        else:
            d["drying"] = _schedule_to_dict(self.drying)
        if self.coats is not None:
            d["coats"] = {"count": self.coats.count, "interval_hours": self.coats.interval_hours}
        return d

    def with_values(self, changes: Mapping[str, Any]) -> "Recipe":
        """A copy with some fields replaced, checked like a new recipe.

        Parameters
        ----------
        changes : mapping
            Dotted path -> new value, e.g. ``{"film.thickness_um": 30,
            "drying.rh_percent": 60}``. Steps of a multi-step schedule are
            addressed by index: ``"drying.steps.0.rh_percent"``. ``None``
            removes an optional field (``{"state": None}``). A single-step
            schedule accepts both spellings.

        Raises
        ------
        RecipeError
            Unknown path or invalid value; ``file`` is ``None`` (the change,
            not the recipe file, is at fault).
        """
        if not isinstance(changes, Mapping):
            raise RecipeError(f"changes must be a mapping of dotted field -> value, "
                              f"got {type(changes).__name__}")
        data = self.to_dict()
        for path, value in changes.items():
            if not isinstance(path, str) or not path or not path.isprintable() \
                    or any(not p for p in path.split(".")):
                raise RecipeError(f"expected a dotted field name such as 'film.thickness_um', "
                                  f"got {path!r}")
            _set_path(data, path, copy.deepcopy(value))
        return _build(data, file=None, lines=None, source=self.source)


def _schedule_to_dict(s: Schedule) -> dict:
    steps = s.written
    if len(steps) == 1 and steps[0].end_temperature_c is None \
            and steps[0].end_rh_percent is None:
        st = steps[0]
        return {"temperature_c": st.temperature_c, "rh_percent": st.rh_percent,
                "hours": st.hours, "air_speed_m_s": st.air_speed_m_s}
    return {"steps": [st.to_dict() for st in steps]}


def _set_path(data: dict, path: str, value: Any) -> None:
    """Set ``data[a][b]...`` for the dotted ``path``; list items by index."""
    parts = path.split(".")
    drying = data.get("drying")
    # The simple and steps forms describe the same thing for one step: let
    # either spelling address it, converting the stored form as needed.
    if parts[0] == "drying" and len(parts) >= 2 and isinstance(drying, dict):
        if parts[1] == "steps" and "steps" not in drying:
            # Replacing the whole list drops the simple form; addressing one
            # item turns the single simple step into step 0.
            data["drying"] = {"steps": [drying]} if len(parts) > 2 else {}
        elif parts[1] != "steps" and len(parts) == 2 and "steps" in drying \
                and isinstance(drying["steps"], list):
            steps = drying["steps"]
            if len(steps) == 1 and parts[1] in {f.key for f in schema.children("drying.steps.*")}:
                parts = ["drying", "steps", "0", parts[1]]
            elif len(steps) > 1 and parts[1] in {f.key for f in schema.children("drying.steps.*")}:
                raise RecipeError(f"this recipe dries in {len(steps)} steps; address one of "
                                  f"them as 'drying.steps.<i>.{parts[1]}' with i from 0 to "
                                  f"{len(steps) - 1}", field=path)
    node: Any = data
    for i, key in enumerate(parts[:-1]):
        here = ".".join(parts[: i + 1])
        if isinstance(node, list):
            node = node[_index(node, key, here)]
            continue
        if not isinstance(node, dict):
            raise RecipeError(f"'{here.rsplit('.', 1)[0]}' is not a section, cannot set "
                              f"'{path}'", field=path)
        if node.get(key) is None:
            node[key] = {}
        node = node[key]
    last = parts[-1]
    if isinstance(node, list):
        node[_index(node, last, path)] = value
    elif isinstance(node, dict):
        node[last] = value
    else:
        raise RecipeError(f"'{'.'.join(parts[:-1])}' is not a section, cannot set '{path}'",
                          field=path)


def _index(items: list, key: str, path: str) -> int:
    if not key.isdigit():
        raise RecipeError(f"expected a step number (0 to {len(items) - 1}), got '{key}'",
                          field=path)
    i = int(key)
    if i >= len(items):
        raise RecipeError(f"index {i} does not exist; there are {len(items)} items "
                          f"(0 to {len(items) - 1})", field=path)
    return i


def _build(data: Any, *, file: str | None, lines: Mapping[str, int] | None,
           source: str | None) -> Recipe:
    """Validate ``data`` against the schema and turn it into a Recipe."""
    v = schema.validate(data, file=file, lines=lines)
    st = v.get("state")
    state = None if st is None else StateSpec(
        water_percent=st["water_percent"], monomer_percent=st["monomer_percent"],
        droplet_um=st.get("droplet_um"), laccase_percent=st.get("laccase_percent"))
    dr = v["drying"]
    preset = None
    if "preset" in dr:
        params = {k: x for k, x in dr.items() if k != "preset"}
        schedule = Schedule.preset(dr["preset"], **params)
        preset = (("preset", dr["preset"]),) + tuple(params.items())
    else:
        raw_steps = dr["steps"] if "steps" in dr else [dr]
        schedule = Schedule(tuple(Step(temperature_c=s["temperature_c"],
                                       rh_percent=s["rh_percent"], hours=s["hours"],
                                       end_temperature_c=s.get("end_temperature_c"),
                                       end_rh_percent=s.get("end_rh_percent"),
                                       air_speed_m_s=s["air_speed_m_s"]) for s in raw_steps))
    refining = None
    if "refining" in v:
        refining = tuple(RefiningStep(**{k: st[k] for k in RefiningStep._KEYS if k in st})
                         for st in v["refining"])
    additives = AdditivesSpec(**v["additives"]) if "additives" in v else None
    coats = CoatsSpec(int(v["coats"]["count"]), float(v["coats"]["interval_hours"])) if "coats" in v else None
    return Recipe(name=v["name"], material=v["material"],
                  film=FilmSpec(thickness_um=v["film"]["thickness_um"]),
                  drying=schedule, state=state,
                  description=v.get("description", ""), source=source,
                  refining=refining, additives=additives, drying_preset=preset,
                  coats=coats, lines=dict(lines or {}))


# ---------------------------------------------------------------------------
# YAML with line numbers
# ---------------------------------------------------------------------------
# PyYAML follows YAML 1.1, where `1e3` or `5e-2` (no dot) are strings. In a
# recipe they are always meant as numbers, so plain scalars of that shape are
# read as floats (as YAML 1.2 does). Quoted "1e3" stays text.
_FLOAT_12 = re.compile(r"^[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)$")
_STR_TAG = "tag:yaml.org,2002:str"
_MERGE_TAG = "tag:yaml.org,2002:merge"
_SEQ_TAG = "tag:yaml.org,2002:seq"
_MAP_TAG = "tag:yaml.org,2002:map"


def _yaml_error(e: yaml.YAMLError, file: str) -> RecipeError:
    mark = getattr(e, "problem_mark", None) or getattr(e, "context_mark", None)
    problem = getattr(e, "problem", None) or str(e).splitlines()[0]
    context = getattr(e, "context", None)
    ctx_mark = getattr(e, "context_mark", None)
    msg = f"YAML syntax error: {problem}"
    if context:
        msg += f" ({context}" + (f" on line {ctx_mark.line + 1}" if ctx_mark else "") + ")"
    if "'\\t'" in problem:  # PyYAML spells the tab character as '\t'.
        msg += "; indent with spaces, not tabs"
    return RecipeError(" ".join(msg.split()), file=file, line=mark.line + 1 if mark else None)


class _Composer:
    """Turns a composed YAML node tree into plain values and a path -> line map."""

    def __init__(self, file: str):
        self.file = file
        self.lines: dict[str, int] = {}
        self.constructor = yaml.SafeLoader("")  # only its SafeConstructor part is used
        self.visited = 0
        self.active: set[int] = set()

    def error(self, node: yaml.Node, problem: str, path: str) -> RecipeError:
        return RecipeError(problem, field=schema._printable(path) or None, file=self.file,
                           line=node.start_mark.line + 1)

    def build(self, node: yaml.Node, path: str) -> Any:
        self.visited += 1
        if self.visited > _MAX_NODES:
            raise self.error(node, "the file is too large or uses too many YAML aliases "
                                   "to be a recipe", path)
        if id(node) in self.active:
            raise self.error(node, "recursive YAML alias", path)
        if isinstance(node, yaml.ScalarNode):
            return self.scalar(node, path)
        if node.tag not in (_SEQ_TAG, _MAP_TAG):
            # Collections are built here, not by PyYAML, so explicit tags
            # (!!python/..., !!set, !!omap) would otherwise be silently ignored.
            raise self.error(node, f"cannot read this value (YAML tag {node.tag!r}); "
                                   f"only plain YAML values are allowed", path)
        self.active.add(id(node))
        try:
            if isinstance(node, yaml.SequenceNode):
                out = []
                for i, item in enumerate(node.value):
                    p = f"{path}.{i}"
                    self.lines[p] = item.start_mark.line + 1
                    out.append(self.build(item, p))
                return out
            if isinstance(node, yaml.MappingNode):
                out_m: dict = {}
                seen: dict[Any, int] = {}
                for knode, vnode in node.value:
                    kline = knode.start_mark.line + 1
                    if knode.tag == _MERGE_TAG:
                        raise self.error(knode, "YAML merge keys ('<<') are not supported in "
                                                "recipes; write the fields out", path)
                    if not isinstance(knode, yaml.ScalarNode):
                        raise self.error(knode, "keys must be plain text", path)
                    key = self.scalar(knode, path)
                    if not isinstance(key, str):
                        allowed = ", ".join(f.key for f in schema.children(schema.pattern_of(path)))
                        raise self.error(knode, f"keys must be text, got {key!r}"
                                                + (f"; allowed keys here: {allowed}" if allowed
                                                   else ""), path)
                    p = f"{path}.{key}" if path else key
                    if key in seen:
                        raise self.error(knode, f"given twice (first on line {seen[key]})", p)
                    seen[key] = kline
                    self.lines[p] = kline
                    out_m[key] = self.build(vnode, p)
                return out_m
            raise self.error(node, f"unsupported YAML node {type(node).__name__}", path)
        finally:
            self.active.discard(id(node))

    def scalar(self, node: yaml.ScalarNode, path: str) -> Any:
        if node.tag == _STR_TAG and node.style is None and _FLOAT_12.match(node.value):
            return float(node.value)
        try:
            return self.constructor.construct_object(node, deep=True)
        except (yaml.YAMLError, ValueError, TypeError, OverflowError) as e:
            problem = getattr(e, "problem", None) or str(e)
            raise self.error(node, f"cannot read this value ({' '.join(problem.split())}); "
                                   f"only plain YAML values are allowed", path) from None


def _parse_yaml(text: str, file: str) -> tuple[Any, dict[str, int]]:
    """Parse ``text`` safely; return plain values and dotted path -> 1-based line."""
    try:
        root = yaml.compose(text, Loader=yaml.SafeLoader)
    except yaml.YAMLError as e:
        raise _yaml_error(e, file) from None
    if root is None:
        raise RecipeError("the file is empty; a recipe needs at least: "
                          + ", ".join(f.key for f in schema.children("") if f.required),
                          file=file)
    comp = _Composer(file)
    if not isinstance(root, yaml.MappingNode):
        raise RecipeError("the top level of a recipe must be a mapping (key: value lines) "
                          "with: " + ", ".join(f.key for f in schema.children("")),
                          file=file, line=root.start_mark.line + 1)
    return comp.build(root, ""), comp.lines


def _read_file(path: Path, shown: str) -> str:
    try:
        if not path.exists():
            raise RecipeError("file not found", file=shown)
        if path.is_dir():
            raise RecipeError("is a folder, not a recipe file", file=shown)
        if not path.is_file():
            raise RecipeError("is not a regular file", file=shown)
        if path.stat().st_size > _MAX_BYTES:
            raise RecipeError(f"file is larger than {_MAX_BYTES // 1000} kB; "
                              f"not a recipe", file=shown)
        raw = path.read_bytes()
    except OSError as e:
        raise RecipeError(f"cannot read the file: {e.strerror or e}", file=shown) from None
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError as e:
        line = raw[: e.start].count(b"\n") + 1
        raise RecipeError("the file is not UTF-8 text", file=shown, line=line) from None


def _load_file(path: Path, shown: str) -> Recipe:
    text = _read_file(path, shown)
    data, lines = _parse_yaml(text, shown)
    return _build(data, file=shown, lines=lines, source=shown)


# ---------------------------------------------------------------------------
# Bundled recipes
# ---------------------------------------------------------------------------
def recipes_dir() -> Path:
    """Folder of bundled recipes.

    ``$LACQUERSIM_RECIPES`` if set; else the repository's ``recipes/`` folder
    (editable install); else a ``recipes/`` folder inside the package, for
    installs that ship recipes as package data.
    """
    env = os.environ.get(RECIPES_ENV)
    if env:
        return Path(env).expanduser()
    here = Path(__file__).resolve()
    repo = here.parents[3] / "recipes"
    packaged = here.parent / "recipes"
    if not repo.is_dir() and packaged.is_dir():
        return packaged
    return repo


def _bundled_files() -> dict[str, Path]:
    d = recipes_dir()
    if not d.is_dir():
        return {}
    files = [p for p in d.iterdir() if p.suffix in _SUFFIXES and p.is_file()]
    return {p.stem: p for p in sorted(files, key=lambda p: (p.stem, p.suffix))}


def load_recipe(path_or_name: str | os.PathLike) -> Recipe:
    """Load a recipe from a YAML file, or a bundled recipe by name.

    Parameters
    ----------
    path_or_name : str or path-like
        Path to a ``.yaml`` / ``.yml`` file, or the file stem of a bundled
        recipe (see :func:`bundled_recipes`), e.g. ``"vietnam-raw"``.

    Raises
    ------
    RecipeError
        File not found / unreadable, YAML syntax error, or invalid content.
    """
    if isinstance(path_or_name, Recipe):
        return path_or_name
    if not isinstance(path_or_name, (str, os.PathLike)):
        raise RecipeError(f"expected a recipe file path or bundled recipe name, "
                          f"got {type(path_or_name).__name__}")
    shown = os.fspath(path_or_name)
    if isinstance(shown, bytes):
        shown = os.fsdecode(shown)
    if not shown.strip():
        raise RecipeError("empty recipe name")
    path = Path(shown)
    if path.is_file():
        return _load_file(path, shown)

    # Not a file here: maybe a bundled recipe ("vietnam-raw" or "vietnam-raw.yaml").
    bare = len(path.parts) == 1 and path.suffix in ("",) + _SUFFIXES
    if bare:
        bundled = _bundled_files()
        stem = path.stem if path.suffix in _SUFFIXES else shown
        if stem in bundled:
            p = bundled[stem]
            return _load_file(p, str(p))
        if path.suffix == "" and not path.exists():
            close = difflib.get_close_matches(stem, list(bundled), n=1, cutoff=0.6)
            hint = f"; did you mean '{close[0]}'?" if close else ""
            names = ", ".join(bundled) if bundled else f"none found in {recipes_dir()}"
            raise RecipeError(f"no recipe file or bundled recipe named '{shown}'{hint} "
                              f"(bundled recipes: {names})")
    return _load_file(path, shown)


def bundled_recipes() -> "pd.DataFrame":
    """The bundled recipes, one row each.

    Returns
    -------
    pandas.DataFrame
        Columns ``name`` (file stem, what :func:`load_recipe` accepts),
        ``title`` (the recipe's ``name``), ``material``, ``description``
        (first line) and ``path``. Empty if the folder does not exist.

    Raises
    ------
    RecipeError
        If a file in the folder is not a valid recipe.
    """
    import pandas as pd

    rows = []
    for stem, p in _bundled_files().items():
        r = _load_file(p, str(p))
        first = r.description.strip().splitlines()[0].strip() if r.description.strip() else ""
        rows.append({"name": stem, "title": r.name, "material": r.material,
                     "description": first, "path": str(p)})
    return pd.DataFrame(rows, columns=["name", "title", "material", "description", "path"])
