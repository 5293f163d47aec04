"""The parameter table, and parameter sets addressed by name.

Every model parameter is declared once, in ``data/parameters.yaml``: its
unit, its allowed range, its value for all materials and, where a material
differs, for that material, each with its source. :class:`ParameterSet` is
that table plus overrides by name; it is what a simulation uses.

Names
-----
``"k_L"`` overrides a parameter for every material; ``"vietnam.Ea_d"`` for
one material, and for the materials built on it (``base:`` in the table:
``vietnam-rainy`` and ``vietnam-dry`` are built on ``vietnam``); oils take
their name (``"linseed.oil_k_S"``). A value is a number in the table's unit,
or carries its own: ``"1.2e-5 1/s"``, ``(30, "°C")``. For a material, a
qualified override beats a plain one, which beats the table.

Parameter sets
--------------
A set file (YAML) holds overrides and where they come from::

    name: my-fit
    provenance: fitted to ... on ...
    parameters:
      vietnam.k_L: 0.31
      Ea_d: 180 kJ/mol
    uncertainty: {space: [...], covariance: [[...]]}   # optional

:meth:`ParameterSet.load` takes such a file by path, or a bundled set by
name (``data/sets/<name>.yaml``; ``"default"`` is the table itself).
"""

from __future__ import annotations

import difflib
import math
import os
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from types import MappingProxyType
from typing import Any, Mapping

import yaml

from lacquersim.errors import RecipeError
from lacquersim.i18n import N_, _
from lacquersim.model import units

__all__ = ["ParameterInfo", "MaterialInfo", "ParameterTable", "ParameterSet", "parameters",
           "default_set", "table", "SECTIONS", "DATA_DIR"]

# libyaml's safe loader where PyYAML has it: the table is read at every start
SAFE_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
DATA_DIR = Path(__file__).resolve().parents[1] / "data"
TABLE_FILE = DATA_DIR / "parameters.yaml"
SETS_DIR = DATA_DIR / "sets"
#: Sections of the table: per material (film), per oil (oils), or one value (refining, thinner).
SECTIONS = ("film", "refining", "oils", "thinner")
_PER_MATERIAL = {"film": N_("material"), "oils": N_("oil")}
ALL = "all"


@dataclass(frozen=True)
class ParameterInfo:
    """One parameter of the table."""

    name: str
    section: str
    unit: str
    low: float
    high: float
    about: str
    value: float | None  # for every material (None: each material gives its own)
    source: str
    per_item: Mapping[str, tuple[float, str]]  # material or oil -> (value, source)

    def check(self, value: float, where: str) -> float:
        """``value`` if within the range, else a RecipeError naming ``where``."""
        if not (math.isfinite(value) and self.low <= value <= self.high):
            # the table's texts (what a parameter means) are English
            raise RecipeError(
                _("{value} is out of range").format(value=f"{_num(value)} {self.unit_text()}")
                + "; " + _("allowed {values}").format(values=_("{low} to {high}").format(
                    low=_num(self.low), high=_num(self.high)) + f" {self.unit_text()}")
                + f" ({self.about})", field=where)
        return value

    def unit_text(self) -> str:
        return "" if self.unit == "1" else self.unit


@dataclass(frozen=True)
class MaterialInfo:
    """What a material is (the ``materials`` section of the table)."""

    name: str
    description: str
    base: str | None
    catechol: str
    volatile: str  # "water" (sap lacquers) or "solvent" (cashew: thinner)


def _num(x: float) -> str:
    return format(float(x), "g")


class ParameterTable:
    """The parsed table file: materials, parameter declarations and the
    covariance of the fitted parameters. Checked when read: every value in
    its range, every material with a value for every film parameter."""

    def __init__(self, data: Mapping[str, Any], path: Path):
        self.path = path
        where = str(path)
        try:
            mats = data["materials"]
            self.materials: dict[str, MaterialInfo] = {}
            for name, m in mats.items():
                base = m.get("base")
                self.materials[name] = MaterialInfo(
                    name=name, description=str(m["description"]), base=base,
                    catechol=str(m.get("catechol") or (mats[base].get("catechol") if base else "none")),
                    volatile=str(m.get("volatile", "water")))
            self.info: dict[str, ParameterInfo] = {}
            for section in SECTIONS:
                for name, e in data[section].items():
                    if name in self.info:
                        raise ValueError(f"parameter {name!r} declared twice")
                    per = {k: (float(v[0]), str(v[1])) for k, v in (e.get("materials") or {}).items()}
                    self.info[name] = ParameterInfo(
                        name=name, section=section, unit=units.unit(str(e["unit"])).name,
                        low=float(e["range"][0]), high=float(e["range"][1]), about=str(e["about"]),
                        value=None if e.get("value") is None else float(e["value"]),
                        source=str(e.get("source", "")), per_item=MappingProxyType(per))
            self.uncertainty = dict(data.get("uncertainty") or {})
        except (KeyError, TypeError, IndexError, ValueError, units.UnitError) as exc:
            raise RecipeError(f"malformed parameter table: {exc}", file=where) from None
        self._ensemble = None
        self.oils = tuple(dict.fromkeys(k for p in self.info.values() if p.section == "oils"
                                        for k in p.per_item))
        for m in self.materials.values():
            seen = set()
            b = m.base
            while b is not None:  # a base chain must end at a material of the table
                if b in seen or b not in self.materials:
                    raise RecipeError(f"material {m.name!r}: bad base {b!r}", file=where)
                seen.add(b)
                b = self.materials[b].base
        for p in self.info.values():
            allowed = self.materials if p.section == "film" else self.oils if p.section == "oils" else ()
            for item, (v, _source) in p.per_item.items():
                if item not in allowed:
                    raise RecipeError(f"parameter {p.name!r}: {item!r} is not a "
                                      f"{_PER_MATERIAL.get(p.section, 'material')} of the table",
                                      file=where)
                p.check(v, f"{p.name} ({item})")
            if p.value is not None:
                p.check(p.value, p.name)
            elif p.section == "film":
                for m in self.materials:
                    if not any(c in p.per_item for c in self.chain(m)):
                        raise RecipeError(f"parameter {p.name!r} has no value for {m!r}", file=where)
            elif p.section != "oils":
                raise RecipeError(f"parameter {p.name!r} has no value", file=where)

    def chain(self, material: str) -> tuple[str, ...]:
        """The material and the materials it is built on, most specific first."""
        out = []
        m: str | None = material
        while m is not None:
            out.append(m)
            m = self.materials[m].base
        return tuple(out)

    @classmethod
    def read(cls, path: Path | str) -> "ParameterTable":
        path = Path(path)
        try:
            text = path.read_text(encoding="utf-8")
        except OSError as exc:
            raise RecipeError(f"cannot read the parameter table: {exc.strerror or exc}",
                              file=str(path)) from None
        return cls(yaml.load(text, Loader=SAFE_LOADER), path)

    def ensemble(self):
        """The ensemble file named by the table's ``uncertainty.ensemble`` (next to the table),
        as a DataFrame of parameter values, read once; None if the table names none."""
        name = self.uncertainty.get("ensemble")
        if not name:
            return None
        if self._ensemble is None:
            import pandas as pd

            path = Path(self.path).parent / str(name)
            try:
                df = pd.read_csv(path, comment="#")
            except (OSError, ValueError) as exc:
                raise RecipeError(f"cannot read the parameter ensemble: {exc}", file=str(path)) from None
            for col in df.columns:
                info = self.info.get(col.rpartition(".")[2])
                if info is None:
                    raise RecipeError(f"column {col!r} is not a parameter", file=str(path))
                try:
                    for v in df[col]:
                        info.check(float(v), col)
                except RecipeError as e:
                    raise RecipeError(e.problem, field=e.field, file=str(path)) from None
            self._ensemble = df
        return self._ensemble


@lru_cache(maxsize=1)
def table() -> ParameterTable:
    """The package's parameter table (``data/parameters.yaml``)."""
    return ParameterTable.read(TABLE_FILE)


class ParameterSet:
    """The parameter table with overrides by name (see the module documentation).

    Immutable; each material's values are resolved once and cached.

    Parameters
    ----------
    overrides : mapping, optional
        Name (``"k_L"``, ``"vietnam.Ea_d"``) -> value (a number in the
        table's unit, ``"1.2e-5 1/s"`` or ``(value, unit)``).
    name, provenance : str
        What the set is and where its values come from.
    uncertainty : mapping, optional
        Covariance of fitted parameters (``space``, ``covariance``); default
        the table's when there are no overrides.
    base_table : ParameterTable, optional
        Another table than the package's (tests, a user's own table file).
    """

    def __init__(self, overrides: Mapping[str, Any] | None = None, *, name: str = "default",
                 provenance: str = "", uncertainty: Mapping[str, Any] | None = None,
                 base_table: ParameterTable | None = None, _where: str = "parameters"):
        self.table = table() if base_table is None else base_table
        self.name = str(name)
        self.provenance = str(provenance)
        self.overrides: Mapping[str, float] = MappingProxyType(
            self._checked(overrides or {}, _where))
        if uncertainty is None and not self.overrides:
            uncertainty = self.table.uncertainty
        self.uncertainty = dict(uncertainty or {})
        self._resolved: dict[str, dict[str, tuple[float, str, str]]] = {}

    # -- construction --------------------------------------------------------
    def _checked(self, overrides: Mapping[str, Any], where: str) -> dict[str, float]:
        if not isinstance(overrides, Mapping):
            raise RecipeError(_("expected a mapping of parameter name -> value, got {type}").format(
                type=type(overrides).__name__), field=where)
        out = {}
        for key, value in overrides.items():
            here = f"{where}.{key}"
            info, item = self._lookup(key, here)
            try:
                v = units.parse_quantity(value, info.unit)
            except units.UnitError as exc:
                raise RecipeError(f"{exc}; " + _("{name} is in {unit}").format(
                    name=info.name, unit=info.unit), field=here) from None
            except ValueError as exc:
                raise RecipeError(f"{exc}; " + _("allowed {values}").format(
                    values=_("{low} to {high}").format(low=_num(info.low), high=_num(info.high))
                    + f" {info.unit_text()}") + f" ({info.about})", field=here) from None
            out[key if item is None else f"{item}.{info.name}"] = info.check(v, here)
        return out

    def _lookup(self, key: Any, here: str) -> tuple[ParameterInfo, str | None]:
        if not isinstance(key, str) or not key:
            raise RecipeError(_("a parameter name must be text such as 'k_L' or 'vietnam.Ea_d', "
                                "got {key}").format(key=repr(key)), field=here)
        item, _dot, name = key.rpartition(".")
        info = self.table.info.get(name)
        if info is None:
            close = difflib.get_close_matches(name, list(self.table.info), n=1, cutoff=0.6)
            hint = _("did you mean '{name}'?").format(name=close[0]) + " " if close else ""
            raise RecipeError(_("unknown parameter '{name}'").format(name=name) + "; " + hint
                              + _("see lacquersim.parameters() for the names"), field=here)
        if not item:
            return info, None
        if info.section == "film":
            allowed = tuple(self.table.materials)
        elif info.section == "oils":
            allowed = self.table.oils
        else:
            raise RecipeError(_("'{name}' is the same for every material; write it without "
                                "'{item}.'").format(name=name, item=item), field=here)
        if item not in allowed:
            what = _(_PER_MATERIAL[info.section])
            raise RecipeError(_("'{item}' is not a {what}; choose one of {allowed}").format(
                item=item, what=what, allowed=", ".join(allowed)), field=here)
        return info, item

    def with_overrides(self, overrides: Mapping[str, Any], *, name: str | None = None,
                       where: str = "parameters") -> "ParameterSet":
        """A new set: these overrides on top of this set's."""
        if not overrides:
            return self
        merged = dict(self.overrides)
        merged.update(self._checked(overrides, where))
        return ParameterSet(merged, name=name or f"{self.name}+overrides", uncertainty=None,
                            base_table=self.table)

    def ensemble(self) -> list["ParameterSet"]:
        """The joint fit's posterior ensemble as parameter sets, with this set's own
        overrides on top of every member (a value you set stays fixed); empty when
        the table has none. Its spread of stage times is the 90 % band."""
        members = self.table.ensemble()
        if members is None:
            return []
        fixed = dict(self.overrides)
        out = []
        for i, row in enumerate(members.to_dict(orient="records")):
            values = {k: v for k, v in row.items() if k not in fixed}
            values.update(fixed)
            out.append(ParameterSet(values, name=f"{self.name} ensemble member {i}",
                                    uncertainty={}, base_table=self.table, _where="ensemble"))
        return out

    @classmethod
    def load(cls, name_or_path: str | os.PathLike) -> "ParameterSet":
        """A set file by path, or a bundled set by name (``"default"``: the table)."""
        key = os.fspath(name_or_path)
        if key == "default":
            return default_set()
        path = Path(key)
        if not path.is_file():
            bundled = SETS_DIR / f"{key}.yaml"
            if len(path.parts) == 1 and bundled.is_file():
                path = bundled
            else:
                names = ", ".join(["default"] + bundled_sets())
                raise RecipeError(_("no parameter-set file or bundled set named {name} (bundled "
                                    "sets: {names})").format(name=repr(key), names=names),
                                  field="parameters")
        try:
            data = yaml.load(path.read_text(encoding="utf-8"), Loader=SAFE_LOADER)
        except OSError as exc:
            raise RecipeError(_("cannot read the file: {reason}").format(
                reason=exc.strerror or exc), file=str(path)) from None
        except yaml.YAMLError as exc:
            raise RecipeError(_("YAML syntax error: {problem}").format(problem=exc),
                              file=str(path)) from None
        if isinstance(data, Mapping) and "materials" in data and "film" in data:
            # a whole table (an edited copy of data/parameters.yaml)
            return cls(name=path.stem, provenance=f"the parameter table {path}",
                       base_table=ParameterTable(data, path))
        if not isinstance(data, Mapping) or not isinstance(data.get("parameters"), Mapping):
            raise RecipeError(_("a parameter-set file needs a 'parameters' mapping of name -> "
                                "value (or it is a whole parameter table, with 'materials' and "
                                "'film')"), file=str(path))
        try:
            return cls(data["parameters"], name=str(data.get("name", path.stem)),
                       provenance=str(data.get("provenance", "")),
                       uncertainty=data.get("uncertainty"), _where="parameters")
        except RecipeError as exc:
            raise RecipeError(exc.problem, field=exc.field, file=str(path)) from None

    def save(self, path: str | os.PathLike, *, extra: Mapping[str, Any] | None = None) -> Path:
        """Write this set's overrides (with name, provenance, uncertainty and
        ``extra`` entries such as fit diagnostics) as a set file."""
        path = Path(path)
        data: dict[str, Any] = {"name": self.name, "provenance": self.provenance,
                                "parameters": dict(self.overrides)}
        if self.uncertainty:
            data["uncertainty"] = self.uncertainty
        data.update(extra or {})
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_name(path.name + ".tmp")
        tmp.write_text("# lacquersim parameter set: overrides of the parameter table by name\n"
                       + yaml.safe_dump(_plain(data), sort_keys=False, allow_unicode=True),
                       encoding="utf-8")
        tmp.replace(path)
        return path

    # -- values --------------------------------------------------------------
    def resolved(self, material: str) -> Mapping[str, tuple[float, str, str]]:
        """Every film, refining and thinner parameter for ``material``:
        name -> (value in the table's unit, where it is set, source)."""
        hit = self._resolved.get(material)
        if hit is not None:
            return hit
        if material not in self.table.materials:
            raise RecipeError(_("unknown material {name}; choose one of {names}").format(
                name=repr(material), names=", ".join(self.table.materials)), field="material")
        chain = self.table.chain(material)
        out = {}
        for name, info in self.table.info.items():
            if info.section == "oils":
                continue
            out[name] = self._value(info, chain)
        self._resolved[material] = out = MappingProxyType(out)
        return out

    def _value(self, info: ParameterInfo, chain: tuple[str, ...]) -> tuple[float, str, str]:
        ov = self.overrides
        for m in chain:
            key = f"{m}.{info.name}"
            if key in ov:
                return ov[key], m, self._override_source()
        if info.name in ov:
            return ov[info.name], ALL, self._override_source()
        for m in chain:
            if m in info.per_item:
                v, s = info.per_item[m]
                return v, m, s
        if info.value is None:  # pragma: no cover - the table is checked when read
            raise RecipeError(f"parameter {info.name!r} has no value for {chain[0]!r}")
        return info.value, ALL, info.source

    def _override_source(self) -> str:
        return f"override in set {self.name!r}" + (f": {self.provenance}" if self.provenance else "")

    def oil(self, oil: str) -> Mapping[str, float]:
        """Values of a blending oil's parameters (``oil_*``), in the table's units."""
        if oil not in self.table.oils:
            raise RecipeError(_("unknown oil {name}; choose one of {names}").format(
                name=repr(oil), names=", ".join(self.table.oils)), field="additives.oil")
        out = {}
        for name, info in self.table.info.items():
            if info.section == "oils":
                key = f"{oil}.{name}"
                out[name] = self.overrides.get(key, self.overrides.get(name, info.per_item[oil][0]))
        return MappingProxyType(out)

    def unit_of(self, name: str) -> str:
        return self.table.info[name].unit

    # -- the table as people read it -----------------------------------------
    def frame(self, material: str | None = None):
        """The table as a DataFrame (see :func:`parameters`)."""
        import pandas as pd

        rows = []

        def row(info, item, value, source):
            rows.append({"name": info.name, "section": info.section, "material": item,
                         "value": value, "unit": info.unit, "min": info.low, "max": info.high,
                         "source": source, "about": info.about})

        if material is not None:
            for name, (value, item, source) in self.resolved(material).items():
                row(self.table.info[name], item, value, source)
            for oil in self.table.oils:
                for name, value in self.oil(oil).items():
                    info = self.table.info[name]
                    src = info.per_item[oil][1] if value == info.per_item[oil][0] else \
                        self._override_source()
                    row(info, oil, value, src)
            return pd.DataFrame(rows)
        for info in self.table.info.values():
            items = list(info.per_item)
            if info.section == "film":
                items = [m for m in self.table.materials if m in items or f"{m}.{info.name}" in self.overrides]
            elif info.section == "oils":
                items = list(self.table.oils)
            if info.value is not None or info.name in self.overrides:
                if info.name in self.overrides:
                    row(info, ALL, self.overrides[info.name], self._override_source())
                else:
                    row(info, ALL, info.value, info.source)
            for item in items:
                if info.section == "oils":
                    value = self.oil(item)[info.name]
                    src = info.per_item[item][1] if value == info.per_item[item][0] else \
                        self._override_source()
                    row(info, item, value, src)
                else:
                    value, _where, src = self._value(info, (item,))
                    row(info, item, value, src)
        return pd.DataFrame(rows)

    def __repr__(self) -> str:
        return f"<ParameterSet {self.name!r}: {len(self.overrides)} overrides>"

    def __reduce__(self):  # by value, with the table by path (mappingproxy does not pickle)
        return (_restore, (dict(self.overrides), self.name, self.provenance, self.uncertainty,
                           None if self.table is table() else str(self.table.path)))


def _restore(overrides, name, provenance, uncertainty, table_path):
    base = None if table_path is None else ParameterTable.read(table_path)
    return ParameterSet(overrides, name=name, provenance=provenance, uncertainty=uncertainty,
                        base_table=base)


def _plain(x):
    if isinstance(x, Mapping):
        return {str(k): _plain(v) for k, v in x.items()}
    if isinstance(x, (list, tuple)):
        return [_plain(v) for v in x]
    if hasattr(x, "tolist"):
        return x.tolist()
    return x


@lru_cache(maxsize=1)
def default_set() -> ParameterSet:
    """The table as shipped, without overrides."""
    return ParameterSet(name="default", provenance=f"the parameter table {TABLE_FILE.name}")


def bundled_sets() -> list[str]:
    """Names of the parameter sets shipped in ``data/sets/``."""
    return sorted(p.stem for p in SETS_DIR.glob("*.yaml")) if SETS_DIR.is_dir() else []


def as_set(parameters: Any) -> ParameterSet:
    """A :class:`ParameterSet` from what the API accepts: None (the
    default), a set, a set name or file path, or a mapping of overrides on
    top of the default set."""
    if parameters is None:
        return default_set()
    if isinstance(parameters, ParameterSet):
        return parameters
    if isinstance(parameters, (str, os.PathLike)):
        return ParameterSet.load(parameters)
    if isinstance(parameters, Mapping):
        return default_set().with_overrides(parameters, name="overrides")
    raise RecipeError(f"parameters must be a mapping of name -> value, a parameter-set name or "
                      f"file, or a ParameterSet; got {type(parameters).__name__}",
                      field="parameters")


def parameters(material: str | None = None, parameters: Any = None):
    """The parameter table as a DataFrame.

    Parameters
    ----------
    material : str, optional
        ``None``: every row of the table (``material`` is ``"all"`` for the
        value every material takes unless it gives its own). A material
        name: the values that material is simulated with, one row per
        parameter (``material`` then says where the value is set).
    parameters : optional
        Overrides, a set name or file, or a :class:`ParameterSet` (see
        :func:`lacquersim.simulate`); default the table as shipped.

    Returns
    -------
    pandas.DataFrame
        Columns ``name``, ``section``, ``material``, ``value``, ``unit``,
        ``min``, ``max``, ``source``, ``about``.
    """
    return as_set(parameters).frame(material)
