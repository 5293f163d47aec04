"""The recipe schema: every recipe field, its type, unit, allowed values and meaning.

This module is the single place where recipe fields are declared. Validation
(:func:`validate`), error messages and the ``lacquersim schema`` text
(:func:`describe_schema`) are all generated from :data:`FIELDS`, so adding a
field or a whole section (refining steps, additives, multi-coat, ...) is a
matter of adding entries to :data:`FIELDS`.

Paths
-----
Fields are keyed by dotted path, e.g. ``"film.thickness_um"``. A list is
declared as a field of kind ``"list"``; the fields of its items live under
``<list path>.*`` (``"drying.steps.*.rh_percent"``). Concrete paths in error
messages use the item index instead of ``*`` (``"drying.steps.1.rh_percent"``).

Forms
-----
A section may accept alternative, mutually exclusive sets of keys ("forms").
Each child field may name the form it belongs to (``Field.form``); exactly
one form must be used. ``drying`` has the ``"simple"`` form
(temperature_c, rh_percent, hours, air_speed_m_s) and the ``"steps"`` form.
``required`` then means "required when its form is used". Children without
a form are allowed with any form.

``required`` is always relative to the parent: ``state.water_percent`` is
required only when ``state`` is given.
"""

from __future__ import annotations

import difflib
import math
import numbers
import reprlib
from dataclasses import dataclass
from typing import Any, Mapping

from lacquersim.errors import RecipeError

__all__ = ["Field", "FIELDS", "MATERIAL_NAMES", "describe_schema", "validate",
           "children", "pattern_of", "field_for"]

# The physics module owns the list of materials; the fallback keeps the schema
# usable (and documentable) before/without it. Only a *missing* module falls
# back: a broken materials.py must fail loudly, not shrink the choices.
try:
    from lacquersim.materials import MATERIAL_NAMES as _MATERIAL_NAMES
except ModuleNotFoundError as _exc:  # pragma: no cover - depends on the checkout
    if _exc.name not in ("lacquersim.materials",):
        raise
    _MATERIAL_NAMES = ("japan", "china", "vietnam", "myanmar", "cashew")

#: Material names accepted by ``material``.
MATERIAL_NAMES: tuple[str, ...] = tuple(_MATERIAL_NAMES)

#: Value kinds understood by :func:`validate`.
KINDS = ("str", "float", "int", "bool", "choice", "section", "list")


@dataclass(frozen=True)
class Field:
    """Declaration of one recipe field.

    Attributes
    ----------
    name : str
        Dotted path, ``*`` standing for a list index (``"drying.steps.*.hours"``).
    kind : str
        One of ``"str"``, ``"float"``, ``"int"``, ``"bool"``, ``"choice"``,
        ``"section"`` (a mapping of sub-fields) or ``"list"`` (items declared
        under ``name + ".*"``).
    unit : str
        Unit of a number (``"°C"``, ``"%"``, ``"µm"``, ...); ``""`` if none.
    min, max : float or None
        Allowed range of a number; ``None`` means unbounded on that side.
    min_inclusive, max_inclusive : bool
        Whether ``min`` / ``max`` themselves are allowed.
    choices : tuple of str or None
        Allowed values of a ``"choice"`` field (matched case-insensitively,
        stored lower case).
    default : Any
        Value used when an optional field is absent (``None``: stays absent).
    required : bool
        Must be present whenever its parent (and its form, if any) is present.
    doc : str
        One-line description, used in error messages and documentation.
    form : str or None
        Name of the alternative key set this field belongs to (see module doc).
    min_items, max_items : int or None
        Length limits of a ``"list"``.
    """

    name: str
    kind: str
    doc: str
    unit: str = ""
    min: float | None = None
    max: float | None = None
    min_inclusive: bool = True
    max_inclusive: bool = True
    choices: tuple[str, ...] | None = None
    default: Any = None
    required: bool = False
    form: str | None = None
    min_items: int | None = None
    max_items: int | None = None

    def __post_init__(self):
        if self.kind not in KINDS:
            raise ValueError(f"schema field {self.name!r}: unknown kind {self.kind!r}")
        if self.kind == "choice" and not self.choices:
            raise ValueError(f"schema field {self.name!r}: a choice needs choices")

    # -- derived ------------------------------------------------------------
    @property
    def key(self) -> str:
        """Last component of the path (the YAML key)."""
        return self.name.rsplit(".", 1)[-1]

    @property
    def parent(self) -> str:
        """Path pattern of the enclosing section or list item ('' for top level)."""
        return self.name.rsplit(".", 1)[0] if "." in self.name else ""

    @property
    def display_name(self) -> str:
        """Path as shown to people: ``drying.steps[i].hours``."""
        return self.name.replace(".*", "[i]")

    def range_text(self) -> str:
        """The allowed values without the description, e.g. ``"0 to 100 %"``."""
        u = f" {self.unit}" if self.unit else ""
        if self.kind in ("float", "int"):
            lo, hi = self.min, self.max
            if lo is not None and hi is not None:
                if self.min_inclusive and self.max_inclusive:
                    return f"{_num(lo)} to {_num(hi)}{u}"
                left = "at least" if self.min_inclusive else "more than"
                right = "at most" if self.max_inclusive else "below"
                return f"{left} {_num(lo)} and {right} {_num(hi)}{u}"
            if lo is not None:
                return f"{'at least' if self.min_inclusive else 'more than'} {_num(lo)}{u}"
            if hi is not None:
                return f"{'at most' if self.max_inclusive else 'below'} {_num(hi)}{u}"
            return f"any number{u}"
        if self.kind == "choice":
            return "one of " + ", ".join(self.choices)
        if self.kind == "str":
            return "text"
        if self.kind == "bool":
            return "true or false"
        if self.kind == "section":
            return "a mapping of: " + ", ".join(c.key for c in children(self.name))
        if self.kind == "list":
            n = self.min_items or 0
            what = f"a list of at least {n} item{'s' if n != 1 else ''}" if n else "a list"
            if self.max_items is not None:
                what += f" (at most {self.max_items})"
            return what
        return self.kind  # pragma: no cover

    def allowed_text(self) -> str:
        """Allowed values plus the description: ``"0 to 100 % (relative humidity of the air)"``."""
        return f"{self.range_text()} ({self.doc})"


def _num(x: float) -> str:
    """Short, exact rendering of a number for messages (120, 0.1, 1e-300)."""
    if isinstance(x, bool):
        return str(x).lower()
    if isinstance(x, int):
        return str(x) if abs(x) < 10**15 else f"{str(x)[:6]}...({len(str(abs(x)))} digits)"
    x = float(x)
    if math.isfinite(x) and x == int(x) and abs(x) < 1e15:
        return str(int(x))
    return repr(x)


# ---------------------------------------------------------------------------
# The declarations. Order matters: it is the order of to_dict(), of the
# documentation and of "allowed keys" lists in messages.
# ---------------------------------------------------------------------------
def _step_fields(prefix: str, form: str | None, *, ramps: bool, doc_when: str,
                 hours_doc: str) -> list[Field]:
    """Temperature / RH / duration / air speed fields shared by both drying forms."""
    out = [
        Field(f"{prefix}.temperature_c", "float", f"air temperature{doc_when}", unit="°C",
              min=-10.0, max=250.0, required=True, form=form),
        Field(f"{prefix}.rh_percent", "float", f"relative humidity of the air{doc_when}",
              unit="%", min=0.0, max=100.0, required=True, form=form),
        Field(f"{prefix}.hours", "float", hours_doc, unit="h", min=0.0, max=2000.0,
              min_inclusive=False, required=True, form=form),
    ]
    if ramps:
        out += [
            Field(f"{prefix}.end_temperature_c", "float",
                  "air temperature at the end of the step, reached by a linear ramp; "
                  "omit for constant",
                  unit="°C", min=-10.0, max=250.0, form=form),
            Field(f"{prefix}.end_rh_percent", "float",
                  "relative humidity at the end of the step, reached by a linear ramp; "
                  "omit for constant",
                  unit="%", min=0.0, max=100.0, form=form),
        ]
    out.append(Field(f"{prefix}.air_speed_m_s", "float",
                     "air speed over the film (0 = still air)", unit="m/s",
                     min=0.0, max=10.0, default=0.1, form=form))
    return out


_DECLARATIONS: list[Field] = [
    Field("name", "str", "recipe title shown in reports", required=True),
    Field("description", "str",
          "what the recipe represents and where its numbers come from", default=""),
    Field("material", "choice", "lacquer material; sets composition and kinetics defaults",
          choices=MATERIAL_NAMES, required=True),

    Field("state", "section",
          "measured state of the lacquer when applied; omit to use the material's defaults"),
    Field("state.water_percent", "float", "water content of the lacquer, by weight",
          unit="%", min=0.0, max=60.0, required=True),
    Field("state.monomer_percent", "float",
          "catechol monomer as % of the lipid (the rest is oligomer/polymer)",
          unit="%", min=0.0, max=100.0, required=True),
    Field("state.droplet_um", "float", "mean diameter of the water droplets in the emulsion",
          unit="µm", min=0.1, max=50.0),
    Field("state.laccase_percent", "float", "active laccase as % of that in raw sap",
          unit="%", min=0.0, max=100.0),

    Field("film", "section", "the applied film", required=True),
    Field("film.thickness_um", "float", "wet film thickness as applied", unit="µm",
          min=5.0, max=200.0, required=True),

    Field("drying", "section",
          "drying conditions after application: temperature_c/rh_percent/hours, or steps",
          required=True),
    *_step_fields("drying", "simple", ramps=False, doc_when="",
                 hours_doc="how long the film dries"),
    Field("drying.steps", "list", "drying steps, applied one after the other",
          required=True, form="steps", min_items=1, max_items=1000),
    Field("drying.steps.*", "section", "one drying step"),
    *_step_fields("drying.steps.*", None, ramps=True, doc_when=" at the start of the step",
                 hours_doc="duration of the step"),
]

#: Every recipe field, keyed by dotted path (``*`` = list index), in document order.
FIELDS: dict[str, Field] = {f.name: f for f in _DECLARATIONS}
if len(FIELDS) != len(_DECLARATIONS):  # pragma: no cover - guards edits to the table
    raise RuntimeError("duplicate field in the recipe schema")


# ---------------------------------------------------------------------------
# Lookup helpers
# ---------------------------------------------------------------------------
def pattern_of(path: str) -> str:
    """Schema pattern of a concrete path: ``drying.steps.0.hours`` -> ``drying.steps.*.hours``."""
    return ".".join("*" if p.isdigit() else p for p in path.split(".")) if path else ""


def field_for(path: str) -> Field | None:
    """The :class:`Field` declaring a concrete dotted path, or ``None``."""
    return FIELDS.get(pattern_of(path))


def children(pattern: str) -> list[Field]:
    """Fields directly inside the section ``pattern`` ('' = top level), in order."""
    # Computed on demand (the table is tiny) so that FIELDS stays the only state.
    return [f for f in FIELDS.values() if f.parent == pattern and f.key != "*"]


# ---------------------------------------------------------------------------
# Validation
# ---------------------------------------------------------------------------
_MISSING = object()
_short_repr = reprlib.Repr()
_short_repr.maxstring = 40
_short_repr.maxother = 40


def _describe_value(v: Any) -> str:
    """How a wrong value is named in messages: "the text '80%'", "true", "a list"."""
    if v is None:
        return "nothing (null)"
    if isinstance(v, bool):
        return f"the boolean {str(v).lower()}"
    if isinstance(v, str):
        return f"the text {_short_repr.repr(v)}"
    if isinstance(v, numbers.Real):
        return f"the number {_num_safe(v)}"
    if isinstance(v, Mapping):
        return "a mapping"
    if isinstance(v, (list, tuple)):
        return "a list"
    return f"{type(v).__name__} {_short_repr.repr(v)}"


def _num_safe(v: Any) -> str:
    try:
        return _num(v)
    except (OverflowError, ValueError, TypeError):
        return _short_repr.repr(v)


def _printable(text: str, limit: int = 80) -> str:
    """``text`` safe for a one-line message: escapes control characters, truncates."""
    if not text.isprintable():
        text = text.encode("unicode_escape").decode("ascii")
    return text if len(text) <= limit else text[: limit - 3] + "..."


def _join(parent: str, key: str) -> str:
    return f"{parent}.{key}" if parent else key


class _Validator:
    """Walks plain data against FIELDS; raises the first problem as RecipeError."""

    def __init__(self, file: str | None, lines: Mapping[str, int] | None):
        self.file = file
        self.lines = lines or {}

    # -- errors -------------------------------------------------------------
    def line(self, path: str) -> int | None:
        """Line of ``path``, else of its nearest ancestor that has one."""
        while True:
            if path in self.lines:
                return self.lines[path]
            if not path:
                return None
            path = path.rsplit(".", 1)[0] if "." in path else ""

    def error(self, path: str, problem: str) -> RecipeError:
        return RecipeError(problem, field=_printable(path) or None, file=self.file,
                           line=self.line(path))

    # -- walking ------------------------------------------------------------
    def section(self, value: Any, path: str, pattern: str) -> dict:
        if not isinstance(value, Mapping):
            what = "the recipe" if not path else "this section"
            f = FIELDS.get(pattern)
            hint = f"; allowed {f.allowed_text()}" if f else (
                "; expected a mapping of: " + ", ".join(c.key for c in children(pattern)))
            raise self.error(path, f"{what} must be a mapping (key: value lines), "
                                   f"got {_describe_value(value)}{hint}")
        kids = children(pattern)
        by_key = {f.key: f for f in kids}
        allowed = ", ".join(by_key)

        # Unknown keys first: a typo also shows up as a "missing" key, and the
        # typo is the better thing to report.
        for key in value:
            if not isinstance(key, str):
                raise self.error(path, f"keys must be text, got {_describe_value(key)}; "
                                       f"allowed keys here: {allowed}")
            if key not in by_key:
                close = difflib.get_close_matches(key, list(by_key), n=1, cutoff=0.6)
                hint = f"did you mean '{close[0]}'? " if close else ""
                where = f"in '{path}'" if path else "at the top level"
                raise self.error(_join(path, key),
                                 f"unknown field; {hint}allowed {where}: {allowed}")

        present = {k for k, v in value.items() if v is not None}
        form = self.pick_form(value, path, kids, present)

        out: dict = {}
        for f in kids:
            if f.form is not None and f.form != form:
                continue
            child_path = _join(path, f.key)
            v = value.get(f.key, _MISSING)
            if v is _MISSING or v is None:
                if f.required:
                    raise self.error(child_path if v is None else path,
                                     self.missing_text(f, path, v is None))
                if f.default is not None:
                    out[f.key] = f.default
                continue
            out[f.key] = self.value(v, child_path, f)
        return out

    def pick_form(self, value: Mapping, path: str, kids: list[Field], present: set) -> str | None:
        form_of = {f.key: f.form for f in kids if f.form is not None}
        if not form_of:
            return None
        forms = list(dict.fromkeys(form_of.values()))
        alternatives = " or ".join(
            "'" + "/".join(f.key for f in kids if f.form == name and f.required) + "'"
            for name in forms)
        first_key = None
        # File order, so the message points at the later of the two conflicting keys.
        for key in value:
            if key not in present or key not in form_of:
                continue
            if first_key is None:
                first_key = key
            elif form_of[key] != form_of[first_key]:
                raise self.error(_join(path, key),
                                 f"cannot be combined with '{first_key}'; "
                                 f"give either {alternatives}")
        if first_key is None:
            raise self.error(path, f"incomplete; give either {alternatives}")
        return form_of[first_key]

    def missing_text(self, f: Field, parent: str, was_null: bool) -> str:
        what = "has no value" if was_null else f"missing required field '{_join(parent, f.key)}'"
        if f.kind in ("section", "list"):
            return f"{what} ({f.doc})"
        return f"{what}; allowed {f.allowed_text()}"

    def value(self, v: Any, path: str, f: Field) -> Any:
        kind = f.kind
        if kind == "section":
            return self.section(v, path, f.name)
        if kind == "list":
            return self.list(v, path, f)
        if kind == "str":
            if not isinstance(v, str):
                hint = "; put it in quotes" if isinstance(v, (bool, numbers.Real)) else ""
                raise self.error(path, f"expected text, got {_describe_value(v)}{hint}; "
                                       f"allowed {f.allowed_text()}")
            if f.required and not v.strip():
                raise self.error(path, f"must not be empty; allowed {f.allowed_text()}")
            return v
        if kind == "choice":
            if not isinstance(v, str):
                raise self.error(path, f"expected one of {', '.join(f.choices)}, "
                                       f"got {_describe_value(v)} ({f.doc})")
            norm = v.strip().lower()
            if norm not in f.choices:
                close = difflib.get_close_matches(norm, list(f.choices), n=1, cutoff=0.6)
                hint = f"did you mean '{close[0]}'? " if close else ""
                raise self.error(path, f"{_short_repr.repr(v)} is not allowed; {hint}"
                                       f"allowed {f.allowed_text()}")
            return norm
        if kind == "bool":
            if not isinstance(v, bool):
                raise self.error(path, f"expected true or false, got {_describe_value(v)} "
                                       f"({f.doc})")
            return v
        if kind in ("float", "int"):
            return self.number(v, path, f)
        raise AssertionError(kind)  # pragma: no cover - excluded by Field.__post_init__

    def number(self, v: Any, path: str, f: Field) -> float | int:
        if isinstance(v, bool) or not isinstance(v, numbers.Real):
            hint = ""
            if isinstance(v, str):
                try:
                    float(v)
                    hint = "; remove the quotes"
                except ValueError:
                    if f.unit and f.unit.strip() in v:
                        hint = f"; write the number only, the unit is {f.unit}"
            what = "a whole number" if f.kind == "int" else "a number"
            raise self.error(path, f"expected {what}, got {_describe_value(v)}{hint}; "
                                   f"allowed {f.allowed_text()}")
        try:
            x = float(v)
        except (OverflowError, ValueError, TypeError):
            raise self.error(path, f"{_num_safe(v)} is out of range; "
                                   f"allowed {f.allowed_text()}") from None
        if math.isnan(x):
            raise self.error(path, f"NaN is not a usable number; allowed {f.allowed_text()}")
        if f.kind == "int":
            if not math.isfinite(x) or x != int(x):
                raise self.error(path, f"expected a whole number, got {_num_safe(v)}; "
                                       f"allowed {f.allowed_text()}")
        too_low = f.min is not None and (x < f.min or (x == f.min and not f.min_inclusive))
        too_high = f.max is not None and (x > f.max or (x == f.max and not f.max_inclusive))
        if too_low or too_high or not math.isfinite(x):
            raise self.error(path, f"{_num_safe(x)} is out of range; allowed {f.allowed_text()}")
        return int(x) if f.kind == "int" else x

    def list(self, v: Any, path: str, f: Field) -> list:
        if isinstance(v, (str, bytes)) or not isinstance(v, (list, tuple)):
            raise self.error(path, f"expected a list, got {_describe_value(v)} ({f.doc})")
        n = len(v)
        if f.min_items is not None and n < f.min_items:
            what = "the list is empty" if n == 0 else f"has {n} item{'s' if n != 1 else ''}"
            raise self.error(path, f"{what}; at least {f.min_items} needed ({f.doc})")
        if f.max_items is not None and n > f.max_items:
            raise self.error(path, f"has {n} items; at most {f.max_items} allowed ({f.doc})")
        item = FIELDS.get(f.name + ".*")
        out = []
        for i, x in enumerate(v):
            p = f"{path}.{i}"
            if item is None:  # pragma: no cover - a list must declare its items
                out.append(x)
            elif x is None:
                raise self.error(p, f"list item has no value ({item.doc})")
            else:
                out.append(self.value(x, p, item))
        return out


def validate(data: Any, *, file: str | None = None,
             lines: Mapping[str, int] | None = None) -> dict:
    """Check recipe data against :data:`FIELDS` and return a normalised copy.

    Parameters
    ----------
    data : Any
        Plain Python values (mappings, lists, str, numbers, bool, None), e.g.
        from ``yaml.safe_load`` or written by hand.
    file : str, optional
        File the data came from, for messages.
    lines : mapping, optional
        Dotted path -> 1-based line of that key in ``file``.

    Returns
    -------
    dict
        Same structure with numbers as ``float``, choices lower case, absent
        optional fields with a default filled in, ``None`` (null) optional
        values dropped, and only the keys of the form used.

    Raises
    ------
    RecipeError
        On the first problem found; the message names file, line, field and
        what is allowed.
    """
    return _Validator(file, lines).section(data, "", "")


# ---------------------------------------------------------------------------
# Documentation
# ---------------------------------------------------------------------------
def describe_schema() -> str:
    """Render :data:`FIELDS` as a plain-text table (for ``lacquersim schema``)."""
    header = ("field", "type", "allowed", "default", "required", "description")
    rows = []
    for f in FIELDS.values():
        if f.key == "*":
            continue
        kind = {"str": "text", "float": "number", "int": "integer", "section": "section",
                "list": "list", "choice": "choice", "bool": "boolean"}[f.kind]
        if f.kind in ("float", "int"):
            allowed = f.range_text()
        elif f.kind == "choice":
            allowed = ", ".join(f.choices)
        else:
            allowed = ""
        default = "" if f.default in (None, "") else _num(f.default) if isinstance(
            f.default, numbers.Real) else str(f.default)
        if f.required:
            req = f"yes ({f.form} form)" if f.form else "yes"
        else:
            req = f"no ({f.form} form)" if f.form else "no"
        rows.append((f.display_name, kind, allowed, default, req, f.doc))
    widths = [max(len(r[i]) for r in rows + [header]) for i in range(len(header) - 1)]

    def fmt(r):
        return "  ".join(c.ljust(w) for c, w in zip(r, widths)) + "  " + r[-1]

    lines = [fmt(header), "  ".join("-" * w for w in widths) + "  " + "-" * 11]
    lines += [fmt(r) for r in rows]
    lines += ["", "Notes:",
              "  'required' applies when the enclosing section is given: state.water_percent",
              "  is required only if 'state' is present.",
              "  Sections with forms take exactly one of them:"]
    for sec in FIELDS.values():
        forms: dict[str, list[str]] = {}
        for c in children(sec.name) if sec.kind == "section" else []:
            if c.form:
                forms.setdefault(c.form, []).append(c.key)
        if forms:
            alts = "; or ".join(f"{name}: {', '.join(keys)}" for name, keys in forms.items())
            lines.append(f"    {sec.display_name}: {alts}")
    lines.append("  List items (drying.steps[i]) are numbered from 0 in messages: "
                 "drying.steps.0.hours.")
    return "\n".join(lines)
