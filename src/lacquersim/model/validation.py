"""Validation of nested plain data against a schema of dotted-path fields.

A :class:`Schema` is a list of :class:`Field` declarations and cross-field
:class:`Rule` s. :meth:`Schema.validate` walks plain data (as read from YAML)
and raises the first problem as a :class:`~lacquersim.errors.RecipeError`
naming the file, the line, the dotted field and what is allowed;
:meth:`Schema.describe` renders the fields as a table. The recipe's schema
(:mod:`lacquersim.model.schema`) is one such declaration; studies and search
spaces can be others.
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
from typing import Any, Iterable, Mapping

from lacquersim.errors import RecipeError
from lacquersim.i18n import N_, _, ngettext

__all__ = ["Field", "Rule", "Schema", "KINDS", "pattern_of"]

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

    def range_text(self, kids: Iterable["Field"] = ()) -> str:
        """The allowed values without the description, e.g. ``"0 to 100 %"``
        (``kids``: a section's fields, see :meth:`Schema.allowed_text`)."""
        u = f" {self.unit}" if self.unit else ""
        if self.kind in ("float", "int"):
            lo, hi = self.min, self.max
            if lo is not None and hi is not None:
                if self.min_inclusive and self.max_inclusive:
                    return _("{low} to {high}").format(low=_num(lo), high=_num(hi)) + u
                return _("{lower} and {upper}").format(lower=_lower(lo, self.min_inclusive),
                                                       upper=_upper(hi, self.max_inclusive)) + u
            if lo is not None:
                return _lower(lo, self.min_inclusive) + u
            if hi is not None:
                return _upper(hi, self.max_inclusive) + u
            return _("any number") + u
        if self.kind == "choice":
            return _("one of {choices}").format(choices=", ".join(self.choices))
        if self.kind == "str":
            return _("text")
        if self.kind == "bool":
            return _("true or false")
        if self.kind == "section":
            return _("a mapping of: {keys}").format(keys=", ".join(c.key for c in kids))
        if self.kind == "list":
            n = self.min_items or 0
            what = (ngettext("a list of at least {n} item", "a list of at least {n} items", n)
                    .format(n=n) if n else _("a list"))
            if self.max_items is not None:
                what += " " + _("(at most {n})").format(n=self.max_items)
            return what
        return self.kind  # pragma: no cover

    def allowed_text(self, kids: Iterable["Field"] = ()) -> str:
        """Allowed values plus the description: ``"0 to 100 % (relative humidity of the air)"``."""
        return f"{self.range_text(kids)} ({_(self.doc)})"


def _lower(x: float, inclusive: bool) -> str:
    return (_("at least {x}") if inclusive else _("more than {x}")).format(x=_num(x))


def _upper(x: float, inclusive: bool) -> str:
    return (_("at most {x}") if inclusive else _("below {x}")).format(x=_num(x))


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


def line_of(lines: Mapping[str, int] | None, path: str) -> int | None:
    """The line of dotted ``path`` in a file's line map, else of its nearest
    ancestor that has one (None: none known)."""
    lines = lines or {}
    while True:
        if path in lines:
            return lines[path]
        if not path:
            return None
        path = path.rsplit(".", 1)[0] if "." in path else ""


@dataclass(frozen=True)
class Rule:
    """A check across fields, run after every field is valid.

    ``check(data)`` gets the normalised recipe data and returns ``None`` or
    ``(dotted path, problem)``.
    """

    doc: str
    check: Any




def pattern_of(path: str) -> str:
    """Schema pattern of a concrete path: ``drying.steps.0.hours`` -> ``drying.steps.*.hours``."""
    return ".".join("*" if p.isdigit() else p for p in path.split(".")) if path else ""


class Schema:
    """Fields (in document order) and rules across fields.

    ``what`` names the whole document in messages ("the recipe"; marked with
    ``N_`` and translated where shown).
    """

    def __init__(self, fields: Iterable[Field], rules: Iterable[Rule] = (),
                 what: str = N_("the recipe")):
        fields = list(fields)
        #: every field, keyed by dotted path (``*`` = list index), in document order
        self.fields: dict[str, Field] = {f.name: f for f in fields}
        if len(self.fields) != len(fields):
            raise ValueError("duplicate field in a schema")
        self.rules: tuple[Rule, ...] = tuple(rules)
        self.what = what
        self._children: dict[str, list[Field]] = {}

    def field_for(self, path: str) -> Field | None:
        """The :class:`Field` declaring a concrete dotted path, or ``None``."""
        return self.fields.get(pattern_of(path))

    def children(self, pattern: str) -> list[Field]:
        """Fields directly inside the section ``pattern`` ('' = top level), in order."""
        # memoised: validation asks for every section's children, and studies
        # validate 10^5 recipes
        found = self._children.get(pattern)
        if found is None:
            found = [f for f in self.fields.values() if f.parent == pattern and f.key != "*"]
            self._children[pattern] = found
        return list(found)

    def allowed_text(self, f: Field) -> str:
        return f.allowed_text(self.children(f.name) if f.kind == "section" else ())

    def range_text(self, f: Field) -> str:
        return f.range_text(self.children(f.name) if f.kind == "section" else ())

    def validate(self, data: Any, *, file: str | None = None,
                 lines: Mapping[str, int] | None = None) -> dict:
        """Check ``data`` against the fields and rules; return a normalised copy.

        Parameters
        ----------
        data : Any
            Plain Python values (mappings, lists, str, numbers, bool, None),
            e.g. from ``yaml.safe_load`` or written by hand.
        file : str, optional
            File the data came from, for messages.
        lines : mapping, optional
            Dotted path -> 1-based line of that key in ``file``.

        Returns
        -------
        dict
            Same structure with numbers as ``float``, choices lower case,
            absent optional fields with a default filled in, ``None`` (null)
            optional values dropped, and only the keys of the form used.

        Raises
        ------
        RecipeError
            On the first problem found; the message names file, line, field
            and what is allowed.
        """
        val = _Validator(self, file, lines)
        out = val.section(data, "", "")
        for rule in self.rules:
            found = rule.check(out)
            if found is not None:
                where, problem = found
                raise val.error(where, problem)
        return out

_MISSING = object()
_short_repr = reprlib.Repr()
_short_repr.maxstring = 40
_short_repr.maxother = 40


def _describe_value(v: Any) -> str:
    """How a wrong value is named in messages: "the text '80%'", "true", "a list"."""
    if v is None:
        return _("nothing (null)")
    if isinstance(v, bool):
        return _("the boolean {value}").format(value=str(v).lower())
    if isinstance(v, str):
        return _("the text {value}").format(value=_short_repr.repr(v))
    if isinstance(v, numbers.Real):
        return _("the number {value}").format(value=_num_safe(v))
    if isinstance(v, Mapping):
        return _("a mapping")
    if isinstance(v, (list, tuple)):
        return _("a list")
    return f"{type(v).__name__} {_short_repr.repr(v)}"


def _num_safe(v: Any) -> str:
    try:
        return _num(v)
    except (OverflowError, ValueError, TypeError):
        return _short_repr.repr(v)


def _allowed(text: str) -> str:
    """``"; allowed 0 to 100 % (...)"``, the tail of most messages."""
    return "; " + _("allowed {values}").format(values=text)


def _out_of_range(value: str, allowed: str) -> str:
    return _("{value} is out of range").format(value=value) + _allowed(allowed)


def _did_you_mean(name: str) -> str:
    return _("did you mean '{name}'?").format(name=name)


def printable(text: str, limit: int = 80) -> str:
    """``text`` safe for a one-line message: escapes control characters, truncates."""
    if not text.isprintable():
        text = text.encode("unicode_escape").decode("ascii")
    return text if len(text) <= limit else text[: limit - 3] + "..."


def _join(parent: str, key: str) -> str:
    return f"{parent}.{key}" if parent else key


class _Validator:
    """Walks plain data against a schema; raises the first problem as RecipeError."""

    def __init__(self, schema: Schema, file: str | None, lines: Mapping[str, int] | None):
        self.schema = schema
        self.file = file
        self.lines = lines or {}

    # -- errors -------------------------------------------------------------
    def line(self, path: str) -> int | None:
        """Line of ``path``, else of its nearest ancestor that has one."""
        return line_of(self.lines, path)

    def error(self, path: str, problem: str) -> RecipeError:
        return RecipeError(problem, field=printable(path) or None, file=self.file,
                           line=self.line(path))

    # -- walking ------------------------------------------------------------
    def section(self, value: Any, path: str, pattern: str) -> dict:
        if not isinstance(value, Mapping):
            what = _(self.schema.what) if not path else _("this section")
            f = self.schema.fields.get(pattern)
            hint = _allowed(self.schema.allowed_text(f)) if f else (
                "; " + _("expected a mapping of: {keys}").format(
                    keys=", ".join(c.key for c in self.schema.children(pattern))))
            raise self.error(path, _("{what} must be a mapping (key: value lines), got {value}")
                             .format(what=what, value=_describe_value(value)) + hint)
        kids = self.schema.children(pattern)
        by_key = {f.key: f for f in kids}
        allowed = ", ".join(by_key)

        # Unknown keys first: a typo also shows up as a "missing" key, and the
        # typo is the better thing to report.
        for key in value:
            if not isinstance(key, str):
                raise self.error(path, _("keys must be text, got {value}; allowed keys here: "
                                         "{keys}").format(value=_describe_value(key), keys=allowed))
            if key not in by_key:
                close = difflib.get_close_matches(key, list(by_key), n=1, cutoff=0.6)
                hint = _did_you_mean(close[0]) + " " if close else ""
                where = (_("allowed in '{section}': {keys}").format(section=path, keys=allowed)
                         if path else _("allowed at the top level: {keys}").format(keys=allowed))
                raise self.error(_join(path, key), _("unknown field") + "; " + hint + where)

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
                                     _("needs '{field}' as well").format(field=_join(path, other))
                                     + _allowed(self.schema.allowed_text(g)))
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
            return _(" or ").join(alts)

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
                                     _("is not used with {selector} '{form}'; allowed with it: "
                                       "{keys}").format(selector=selector.key, form=form,
                                                        keys=", ".join(used)))
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
                                 _("is only used with {selector}: {forms}; add '{selector}: "
                                   "{form}' or remove it").format(selector=sel, forms=owners,
                                                                  form=f.forms[0]))
            if possible is None:
                possible, first_key = mine, key
                continue
            if not (possible & mine):
                raise self.error(_join(path, key),
                                 _("cannot be combined with '{key}'; give either {alternatives}")
                                 .format(key=first_key, alternatives=alternatives()))
            possible &= mine
        if possible is None:
            needs_form = any(f.is_required(n) for f in with_forms for n in f.forms)
            if needs_form:
                raise self.error(path, _("incomplete; give either {alternatives}")
                                 .format(alternatives=alternatives()))
            return None
        # several plain forms still possible: the first in declaration order
        return next(n for n in plain if n in possible)

    def missing_text(self, f: Field, parent: str, was_null: bool) -> str:
        what = (_("has no value") if was_null else
                _("missing required field '{field}'").format(field=_join(parent, f.key)))
        if f.kind in ("section", "list"):
            return f"{what} ({_(f.doc)})"
        return what + _allowed(self.schema.allowed_text(f))

    def value(self, v: Any, path: str, f: Field) -> Any:
        kind = f.kind
        if kind == "section":
            return self.section(v, path, f.name)
        if kind == "list":
            return self.list(v, path, f)
        if kind == "str":
            if not isinstance(v, str):
                hint = "; " + _("put it in quotes") if isinstance(v, (bool, numbers.Real)) else ""
                raise self.error(path, _("expected text, got {value}").format(
                    value=_describe_value(v)) + hint + _allowed(self.schema.allowed_text(f)))
            if f.required and not v.strip():
                raise self.error(path, _("must not be empty")
                                 + _allowed(self.schema.allowed_text(f)))
            return v
        if kind == "choice":
            if not isinstance(v, str):
                raise self.error(path, _("expected one of {choices}, got {value}").format(
                    choices=", ".join(f.choices), value=_describe_value(v)) + f" ({_(f.doc)})")
            norm = v.strip().lower()
            if norm not in f.choices:
                close = difflib.get_close_matches(norm, list(f.choices), n=1, cutoff=0.6)
                hint = _did_you_mean(close[0]) + " " if close else ""
                raise self.error(path, _("{value} is not allowed").format(value=_short_repr.repr(v))
                                 + "; " + hint + _("allowed {values}").format(
                                     values=self.schema.allowed_text(f)))
            return norm
        if kind == "bool":
            if not isinstance(v, bool):
                raise self.error(path, _("expected true or false, got {value}").format(
                    value=_describe_value(v)) + f" ({_(f.doc)})")
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
                    hint = "; " + _("remove the quotes")
                except ValueError:
                    if f.unit and f.unit.strip() in v:
                        hint = "; " + _("write the number only, the unit is {unit}").format(
                            unit=f.unit)
            what = (_("expected a whole number, got {value}") if f.kind == "int"
                    else _("expected a number, got {value}"))
            raise self.error(path, what.format(value=_describe_value(v)) + hint
                             + _allowed(self.schema.allowed_text(f)))
        try:
            x = float(v)
        except (OverflowError, ValueError, TypeError):
            raise self.error(path, _out_of_range(_num_safe(v), self.schema.allowed_text(f))) \
                from None
        if math.isnan(x):
            raise self.error(path, _("NaN is not a usable number")
                             + _allowed(self.schema.allowed_text(f)))
        if f.kind == "int":
            if not math.isfinite(x) or x != int(x):
                raise self.error(path, _("expected a whole number, got {value}").format(
                    value=_num_safe(v)) + _allowed(self.schema.allowed_text(f)))
        too_low = f.min is not None and (x < f.min or (x == f.min and not f.min_inclusive))
        too_high = f.max is not None and (x > f.max or (x == f.max and not f.max_inclusive))
        if too_low or too_high or not math.isfinite(x):
            raise self.error(path, _out_of_range(_num_safe(x), self.schema.allowed_text(f)))
        return int(x) if f.kind == "int" else x

    def list(self, v: Any, path: str, f: Field) -> list:
        if isinstance(v, (str, bytes)) or not isinstance(v, (list, tuple)):
            raise self.error(path, _("expected a list, got {value}").format(
                value=_describe_value(v)) + f" ({_(f.doc)})")
        n = len(v)
        if f.min_items is not None and n < f.min_items:
            what = (_("the list is empty") if n == 0 else
                    ngettext("has {n} item", "has {n} items", n).format(n=n))
            raise self.error(path, what + "; " + _("at least {n} needed").format(n=f.min_items)
                             + f" ({_(f.doc)})")
        if f.max_items is not None and n > f.max_items:
            raise self.error(path, _("has {n} items; at most {max} allowed").format(
                n=n, max=f.max_items) + f" ({_(f.doc)})")
        item = self.schema.fields.get(f.name + ".*")
        out = []
        for i, x in enumerate(v):
            p = f"{path}.{i}"
            if item is None:  # pragma: no cover - a list must declare its items
                out.append(x)
            elif x is None:
                raise self.error(p, _("list item has no value") + f" ({_(item.doc)})")
            else:
                out.append(self.value(x, p, item))
        return out


def describe(schema: Schema, width: int = 80) -> str:
    """Render a schema's fields as plain text within ``width`` columns
    (``lacquersim schema``): per field, its name, then its type, range,
    default and whether it is required, then what it means, indented."""
    import textwrap

    rows = []

    def show(v) -> str:
        if isinstance(v, bool):
            return str(v).lower()
        return _num(v) if isinstance(v, numbers.Real) else str(v)

    kinds = {"str": N_("text"), "float": N_("number"), "int": N_("integer"),
             "section": N_("section"), "list": N_("list"), "choice": N_("choice"),
             "bool": N_("boolean")}
    for f in schema.fields.values():
        if f.key == "*":
            continue
        kind = _(kinds[f.kind])
        if f.kind in ("float", "int"):
            allowed = schema.range_text(f)
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
            req = _("yes") if f.parent.endswith("*") else _("yes, for {forms}").format(forms=forms)
        elif f.required:
            req_forms = "/".join(f.required_forms) if f.required_forms is not None else forms
            req = _("yes ({forms} form)").format(forms=req_forms) if req_forms else _("yes")
        else:
            req = _("no ({forms} form)").format(forms=forms) if forms else _("no")
        rows.append((f.display_name, kind, allowed, default, req, _(f.doc)))

    def wrap(text: str) -> list[str]:
        return textwrap.wrap(text, width, initial_indent="    ", subsequent_indent="    ",
                             break_on_hyphens=False)

    lines = []
    for name, kind, allowed, default, req, doc in rows:
        facts = ", ".join(x for x in (kind, allowed) if x) + "; " + _("required: {answer}").format(
            answer=req)
        lines += [name] + wrap(facts) + (wrap(_("default: {value}").format(value=default))
                                         if default else []) + wrap(doc)
    lines += ["", _("Notes:")]
    # lines broken by hand (translations too), each within the width
    lines += ["  " + line for line in _(
        "'required' applies when the enclosing section is given: state.water_percent\n"
        "is required only if 'state' is present.\n"
        "Sections with forms take exactly one of them (the top level: at most one):").splitlines()]
    for sec in [Field("", "section", schema.what)] + list(schema.fields.values()):
        if sec.kind != "section":
            continue
        kids = schema.children(sec.name)
        selector = next((c for c in kids if c.selector), None)
        selected = set(selector.choices) if selector is not None else set()
        forms: dict[str, list[str]] = {}
        for c in kids:
            for name in c.forms:
                if c is not selector:
                    forms.setdefault(name, []).append(c.key)
        if not forms:
            continue
        where = sec.display_name or _("top level")
        plain = [f"{name}: {', '.join(keys)}" for name, keys in forms.items()
                 if name not in selected]
        if selector is not None:
            picked = "; ".join(f"{name}: {', '.join(forms.get(name, [])) or _('(nothing else)')}"
                               for name in selector.choices)
            plain.append(_("{selector}: <{choices}>, which then takes [{forms}]").format(
                selector=selector.key, choices="|".join(selector.choices), forms=picked))
        lines += textwrap.wrap(f"{where}: " + _("; or ").join(plain), width,
                               initial_indent="    ", subsequent_indent="      ",
                               break_on_hyphens=False)
    lines.append("  " + _("Checks across fields:"))
    for rule in schema.rules:
        lines += wrap(_(rule.doc))
    for f in schema.fields.values():
        if f.requires:
            lines += wrap(_("{field} needs {others}").format(
                field=f.display_name,
                others=", ".join(f"{f.parent.replace('.*', '[i]')}.{k}" for k in f.requires)))
    lines += textwrap.wrap(_("List items (drying.steps[i], refining[i]) are numbered from 0 in "
                             "messages: drying.steps.0.hours."), width, initial_indent="  ",
                           subsequent_indent="  ")
    return "\n".join(lines)
