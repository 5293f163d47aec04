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
Each child field may name the form(s) it belongs to (``Field.form``: one name
or a tuple); exactly one form must be used when any form field is required,
at most one otherwise. ``drying`` has the ``"simple"`` form (temperature_c,
rh_percent, hours, air_speed_m_s), the ``"steps"`` form and one form per
preset; the top level has ``"measured"`` (``state``) and ``"refining"``.
``required`` then means "required when its form is used" (optionally only
in some of its forms, ``Field.required_forms``), and a field may have a
different default per form (``Field.form_defaults``). Children without a
form are allowed with any form.

Selectors
---------
A choice field marked ``selector=True`` picks the form by its value: in
``drying`` the key ``preset: muro | oven | outdoor`` selects the form of the
same name, in a refining step ``step: nayashi | kurome | add_water`` does.
Keys that the selected form does not use are errors.

Rules
-----
Checks that involve more than one field (refining needs a sap lacquer; an
oil percentage needs the oil) are declared in :data:`RULES` and run by
:func:`validate` after the field checks, with the same file/line/field
messages.

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
from lacquersim.model.materials import material_names, non_sap_materials, oil_names

__all__ = ["Field", "FIELDS", "MATERIAL_NAMES", "describe_schema", "validate",
           "children", "pattern_of", "field_for"]

#: Material names accepted by ``material`` (the materials of the parameter table).
MATERIAL_NAMES: tuple[str, ...] = material_names()
#: Oils accepted by ``additives.oil``.
OIL_NAMES: tuple[str, ...] = oil_names()

from lacquersim.model.schedule import PRESET_DEFAULTS, PRESET_NAMES, SITE_NAMES

#: Materials that are not sap (no water droplets, no laccase): no refining steps.
NON_SAP_MATERIALS: tuple[str, ...] = non_sap_materials()
#: Refining step kinds (``refining[i].step``).
REFINING_STEPS: tuple[str, ...] = ("nayashi", "kurome", "add_water")

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
    form : str, tuple of str, or None
        Name(s) of the alternative key set(s) this field belongs to (see module doc).
    required_forms : tuple of str or None
        If given, ``required`` applies only in these forms.
    form_defaults : tuple of (form, value) pairs
        Defaults that differ by form (e.g. the presets' own defaults).
    selector : bool
        A choice whose value selects the form of its section.
    requires : tuple of str
        Sibling keys that must be given whenever this field is given.
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
    form: str | tuple[str, ...] | None = None
    min_items: int | None = None
    max_items: int | None = None
    required_forms: tuple[str, ...] | None = None
    form_defaults: tuple[tuple[str, Any], ...] = ()
    selector: bool = False
    requires: tuple[str, ...] = ()

    def __post_init__(self):
        if self.kind not in KINDS:
            raise ValueError(f"schema field {self.name!r}: unknown kind {self.kind!r}")
        if self.kind == "choice" and not self.choices:
            raise ValueError(f"schema field {self.name!r}: a choice needs choices")
        if self.selector and self.kind != "choice":
            raise ValueError(f"schema field {self.name!r}: a selector must be a choice")

    @property
    def forms(self) -> tuple[str, ...]:
        """The forms this field belongs to (empty: allowed with any form)."""
        if self.form is None:
            return ()
        return (self.form,) if isinstance(self.form, str) else tuple(self.form)

    def is_required(self, form: str | None) -> bool:
        """Whether the field must be given when its section uses ``form``."""
        if not self.required:
            return False
        if self.required_forms is None:
            return True
        return form in self.required_forms

    def default_for(self, form: str | None) -> Any:
        """Default value when the section uses ``form``."""
        for name, value in self.form_defaults:
            if name == form:
                return value
        return self.default

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


_SIMPLE_AND_PRESETS = ("simple", "muro", "oven")


def _drying_fields() -> list[Field]:
    """``drying``: the simple form, the steps form and the three presets."""
    pd_ = PRESET_DEFAULTS

    def dflt(key, *presets):
        return tuple((p, pd_[p][key]) for p in presets if key in pd_[p])

    return [
        Field("drying", "section",
              "drying conditions after application: temperature_c/rh_percent/hours, "
              "a list of steps, or a preset (muro, oven, outdoor)", required=True),
        Field("drying.temperature_c", "float", "air temperature", unit="°C",
              min=-10.0, max=250.0, required=True, form=_SIMPLE_AND_PRESETS,
              required_forms=("simple",), form_defaults=dflt("temperature_c", "muro", "oven")),
        Field("drying.rh_percent", "float", "relative humidity of the air", unit="%",
              min=0.0, max=100.0, required=True, form=_SIMPLE_AND_PRESETS,
              required_forms=("simple",), form_defaults=dflt("rh_percent", "muro", "oven")),
        Field("drying.hours", "float", "how long the film dries; oven preset: how long it bakes",
              unit="h", min=0.0, max=2000.0, min_inclusive=False, required=True,
              form=_SIMPLE_AND_PRESETS, required_forms=("simple",),
              form_defaults=dflt("hours", "muro", "oven")),
        Field("drying.air_speed_m_s", "float", "air speed over the film (0 = still air)",
              unit="m/s", min=0.0, max=10.0, default=0.1,
              form=_SIMPLE_AND_PRESETS + ("outdoor",),
              form_defaults=dflt("air_speed_m_s", "muro", "oven", "outdoor")),
        Field("drying.steps", "list", "drying steps, applied one after the other",
              required=True, form="steps", min_items=1, max_items=1000),
        Field("drying.steps.*", "section", "one drying step"),
        *_step_fields("drying.steps.*", None, ramps=True, doc_when=" at the start of the step",
                      hours_doc="duration of the step"),
        Field("drying.preset", "choice",
              "a preset schedule: muro (humid cabinet), oven (bake, then cool at room "
              "conditions) or outdoor (workshop climate by site and month, daily cycle)",
              choices=PRESET_NAMES, required=True, form=PRESET_NAMES, selector=True),
        Field("drying.cool_hours", "float", "oven: time at room conditions after baking "
              "(0 = none)", unit="h", min=0.0, max=500.0, form="oven",
              form_defaults=dflt("cool_hours", "oven")),
        Field("drying.room_temperature_c", "float", "oven: room temperature after baking",
              unit="°C", min=-10.0, max=60.0, form="oven",
              form_defaults=dflt("room_temperature_c", "oven")),
        Field("drying.room_rh_percent", "float", "oven: room humidity after baking",
              unit="%", min=0.0, max=100.0, form="oven",
              form_defaults=dflt("room_rh_percent", "oven")),
        Field("drying.site", "choice", "outdoor: site whose monthly climate is used",
              choices=SITE_NAMES, form="outdoor", form_defaults=dflt("site", "outdoor")),
        Field("drying.month", "int", "outdoor: month of the year (1 = January)",
              unit="month", min=1, max=12, required=True, form="outdoor"),
        Field("drying.days", "float", "outdoor: how many days the film dries", unit="d",
              min=0.0, max=60.0, min_inclusive=False, form="outdoor",
              form_defaults=dflt("days", "outdoor")),
        Field("drying.start_hour", "float", "outdoor: time of day the coat is applied "
              "(8.5 = 08:30)", unit="h", min=0.0, max=24.0, max_inclusive=False,
              form="outdoor", form_defaults=dflt("start_hour", "outdoor")),
        Field("drying.step_hours", "float", "outdoor: the daily cycle is followed by linear "
              "ramps of this length", unit="h", min=0.25, max=6.0, form="outdoor",
              form_defaults=dflt("step_hours", "outdoor")),
    ]


_KNEAD = ("nayashi", "kurome")

_DECLARATIONS: list[Field] = [
    Field("name", "str", "recipe title shown in reports", required=True),
    Field("description", "str",
          "what the recipe represents and where its numbers come from", default=""),
    Field("material", "choice", "lacquer material; sets composition and kinetics defaults",
          choices=MATERIAL_NAMES, required=True),

    Field("state", "section",
          "measured state of the lacquer when applied (instead of refining steps); "
          "omit both to use the material's raw sap", form="measured"),
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

    *_drying_fields(),

    Field("refining", "list",
          "refining steps run on the material's raw sap, in order (instead of 'state')",
          form="refining", min_items=1, max_items=100),
    Field("refining.*", "section", "one refining step"),
    Field("refining.*.step", "choice",
          "what is done: nayashi (stirring), kurome (heating while stirring), "
          "add_water (water added back)",
          choices=REFINING_STEPS, required=True, form=REFINING_STEPS, selector=True),
    Field("refining.*.minutes", "float", "duration (of each cycle, for a repeated kurome)",
          unit="min", min=0.0, max=2880.0, min_inclusive=False, required=True, form=_KNEAD),
    Field("refining.*.rpm", "float", "stirring speed", unit="rpm", min=0.0, max=600.0,
          required=True, form=_KNEAD),
    Field("refining.*.temperature_c", "float", "temperature of the sap", unit="°C",
          min=0.0, max=100.0, required=True, form=_KNEAD),
    Field("refining.*.open_vessel", "bool",
          "kurome in an open vessel, so that water evaporates (false: covered)",
          default=True, form="kurome"),
    Field("refining.*.repeat", "int", "number of kurome cycles (repeated kurome)",
          unit="cycles", min=1, max=20, default=1, form="kurome"),
    Field("refining.*.add_water_percent", "float",
          "water added back before each kurome cycle, % of the lacquer's weight",
          unit="%", min=0.0, max=100.0, default=0.0, form="kurome"),
    Field("refining.*.percent", "float", "water added back, % of the lacquer's weight",
          unit="%", min=0.0, max=100.0, min_inclusive=False, required=True, form="add_water"),

    Field("additives", "section", "additives mixed into the lacquer before application"),
    Field("additives.metal_ppm", "float",
          "metal ions added (Cu2+, Fe3+); they catalyse autoxidation", unit="ppm",
          min=0.0, max=5000.0),
    Field("additives.drier_percent", "float", "drier (Co/Mn/Zr) added, % metal on binder",
          unit="%", min=0.0, max=2.0),
    Field("additives.oil", "choice", "oil blended in (hybrid lacquer)", choices=OIL_NAMES,
          requires=("oil_percent",)),
    Field("additives.oil_percent", "float", "oil blended in, % of the lacquer's weight",
          unit="%", min=0.0, max=100.0, requires=("oil",)),
    Field("additives.thinner_percent", "float",
          "thinner (turpentine type) added, % of the lacquer's weight", unit="%",
          min=0.0, max=100.0),

    Field("coats", "section", "multi-coat build: coats of this lacquer applied one on another"),
    Field("coats.count", "int", "number of coats", unit="coats", min=1, max=20, required=True),
    Field("coats.interval_hours", "float",
          "time between one coat's application and the next (the drying schedule runs "
          "from the first coat and must outlast the last application)", unit="h",
          min=0.0, max=2000.0, min_inclusive=False, required=True),
]


@dataclass(frozen=True)
class Rule:
    """A check across fields, run after every field is valid.

    ``check(data)`` gets the normalised recipe data and returns ``None`` or
    ``(dotted path, problem)``.
    """

    doc: str
    check: Any


def _refining_needs_sap(v: Mapping) -> tuple[str, str] | None:
    if v.get("refining") and v.get("material") in NON_SAP_MATERIALS:
        return ("refining", f"refining steps need a sap lacquer; '{v['material']}' has no water "
                            "droplets or laccase: leave 'refining' out (thinner and drier go "
                            "in 'additives')")
    return None


def _coats_fit_the_schedule(v: Mapping) -> tuple[str, str] | None:
    c = v.get("coats")
    if not c or c["count"] < 2:
        return None
    last = (c["count"] - 1) * c["interval_hours"]
    dr = v.get("drying", {})
    if "preset" in dr:
        return None  # checked when the preset is expanded (simulate_coats)
    steps = dr["steps"] if "steps" in dr else [dr]
    total = sum(s["hours"] for s in steps)
    if last >= total:
        return ("coats.interval_hours",
                f"the last of {c['count']} coats goes on at {last:g} h but the drying lasts "
                f"{total:g} h; allowed: (count - 1) x interval_hours below the drying time")
    return None


#: Checks across fields (see :class:`Rule`).
RULES: tuple[Rule, ...] = (
    Rule("refining needs a sap lacquer (not cashew)", _refining_needs_sap),
    Rule("the last coat goes on before the drying schedule ends", _coats_fit_the_schedule),
)

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
            if f.forms and form not in f.forms:
                continue
            child_path = _join(path, f.key)
            v = value.get(f.key, _MISSING)
            if v is _MISSING or v is None:
                if f.is_required(form):
                    raise self.error(child_path if v is None else path,
                                     self.missing_text(f, path, v is None))
                default = f.default_for(form)
                if default is not None:
                    out[f.key] = default
                continue
            out[f.key] = self.value(v, child_path, f)
        for f in kids:
            for other in f.requires if f.key in present else ():
                if other not in present:
                    g = by_key[other]
                    raise self.error(_join(path, f.key),
                                     f"needs '{_join(path, other)}' as well; allowed "
                                     f"{g.allowed_text()}")
        return out

    def pick_form(self, value: Mapping, path: str, kids: list[Field], present: set) -> str | None:
        """The form a section uses (see the module documentation), or None."""
        with_forms = [f for f in kids if f.forms]
        if not with_forms:
            return None
        selector = next((f for f in kids if f.selector), None)
        selected = set(selector.choices) if selector is not None else set()
        plain = list(dict.fromkeys(n for f in with_forms for n in f.forms if n not in selected))
        by_key = {f.key: f for f in kids}

        def alternatives() -> str:
            alts = []
            for name in plain:
                keys = [f.key for f in with_forms if name in f.forms and f.is_required(name)
                        and not f.selector] or [f.key for f in with_forms
                                                if name in f.forms and not f.selector]
                alts.append("'" + "/".join(keys) + "'")
            if selector is not None:
                alts.append(f"'{selector.key}'")
            return " or ".join(alts)

        # A selector that is given picks the form by its value.
        if selector is not None and selector.key in present:
            sel_path = _join(path, selector.key)
            form = self.value(value[selector.key], sel_path, selector)
            for key in value:
                if key not in present or key == selector.key:
                    continue
                f = by_key[key]
                if f.forms and form not in f.forms:
                    used = [g.key for g in kids if (not g.forms or form in g.forms)
                            and g is not selector]
                    raise self.error(_join(path, key),
                                     f"is not used with {selector.key} '{form}'; allowed with "
                                     f"it: {', '.join(used)}")
            return form

        if selector is not None and not plain:  # e.g. a refining step without 'step'
            raise self.error(path, self.missing_text(selector, path,
                                                     selector.key in value))

        # Otherwise the keys given pick one of the plain (non-selected) forms.
        possible: set | None = None
        first_key = None
        for key in value:  # file order: report the later of two conflicting keys
            if key not in present:
                continue
            f = by_key[key]
            if not f.forms:
                continue
            mine = set(f.forms) - selected
            if not mine:
                sel = selector.key if selector is not None else "?"
                owners = ", ".join(n for n in f.forms)
                raise self.error(_join(path, key),
                                 f"is only used with {sel}: {owners}; add '{sel}: "
                                 f"{f.forms[0]}' or remove it")
            if possible is None:
                possible, first_key = mine, key
                continue
            if not (possible & mine):
                raise self.error(_join(path, key),
                                 f"cannot be combined with '{first_key}'; "
                                 f"give either {alternatives()}")
            possible &= mine
        if possible is None:
            needs_form = any(f.is_required(n) for f in with_forms for n in f.forms)
            if needs_form:
                raise self.error(path, f"incomplete; give either {alternatives()}")
            return None
        # several plain forms still possible: the first in declaration order
        return next(n for n in plain if n in possible)

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
    val = _Validator(file, lines)
    out = val.section(data, "", "")
    for rule in RULES:
        found = rule.check(out)
        if found is not None:
            where, problem = found
            raise val.error(where, problem)
    return out


# ---------------------------------------------------------------------------
# Documentation
# ---------------------------------------------------------------------------
def describe_schema() -> str:
    """Render :data:`FIELDS` as a plain-text table (for ``lacquersim schema``)."""
    header = ("field", "type", "allowed", "default", "required", "description")
    rows = []

    def show(v) -> str:
        if isinstance(v, bool):
            return str(v).lower()
        return _num(v) if isinstance(v, numbers.Real) else str(v)

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
        defaults = [] if f.default in (None, "") else [show(f.default)]
        defaults += [f"{show(v)} ({name})" for name, v in f.form_defaults if v != f.default]
        default = "; ".join(defaults)
        forms = "/".join(f.forms)
        if f.selector:
            # a list item's selector is always needed; a section's picks one of its forms
            req = "yes" if f.parent.endswith("*") else f"yes, for {forms}"
        elif f.required:
            req_forms = "/".join(f.required_forms) if f.required_forms is not None else forms
            req = f"yes ({req_forms} form)" if req_forms else "yes"
        else:
            req = f"no ({forms} form)" if forms else "no"
        rows.append((f.display_name, kind, allowed, default, req, f.doc))
    widths = [max(len(r[i]) for r in rows + [header]) for i in range(len(header) - 1)]

    def fmt(r):
        return "  ".join(c.ljust(w) for c, w in zip(r, widths)) + "  " + r[-1]

    lines = [fmt(header), "  ".join("-" * w for w in widths) + "  " + "-" * 11]
    lines += [fmt(r) for r in rows]
    lines += ["", "Notes:",
              "  'required' applies when the enclosing section is given: state.water_percent",
              "  is required only if 'state' is present.",
              "  Sections with forms take exactly one of them (the top level: at most one):"]
    for sec in [Field("", "section", "the recipe")] + list(FIELDS.values()):
        if sec.kind != "section":
            continue
        kids = children(sec.name)
        selector = next((c for c in kids if c.selector), None)
        selected = set(selector.choices) if selector is not None else set()
        forms: dict[str, list[str]] = {}
        for c in kids:
            for name in c.forms:
                if c is not selector:
                    forms.setdefault(name, []).append(c.key)
        if not forms:
            continue
        where = sec.display_name or "top level"
        plain = [f"{name}: {', '.join(keys)}" for name, keys in forms.items()
                 if name not in selected]
        if selector is not None:
            picked = "; ".join(f"{name}: {', '.join(forms.get(name, [])) or '(nothing else)'}"
                               for name in selector.choices)
            plain.append(f"{selector.key}: <{'|'.join(selector.choices)}>, which then takes "
                         f"[{picked}]")
        lines.append(f"    {where}: " + "; or ".join(plain))
    lines.append("  Checks across fields:")
    for rule in RULES:
        lines.append(f"    {rule.doc}")
    for f in FIELDS.values():
        if f.requires:
            lines.append(f"    {f.display_name} needs "
                         + ", ".join(f"{f.parent.replace('.*', '[i]')}.{k}" for k in f.requires))
    lines.append("  List items (drying.steps[i], refining[i]) are numbered from 0 in messages: "
                 "drying.steps.0.hours.")
    return "\n".join(lines)
