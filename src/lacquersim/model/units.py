"""Units of the parameter table: conversion to SI and between units of one kind.

A small registry, not a general unit system: every unit the parameter table
uses, and the usual alternatives a person might type for it ("30 °C" or
"303.15 K", "1/h" or "1/s", "kJ/mol" or "J/mol"). Factors are exact
fractions, so that a per-hour rate becomes per-second by one division by
3600, as a person would write it. Between °C and K a conversion is between
temperatures; a parameter that is a temperature difference (in K) takes
no °C.
"""

from __future__ import annotations

import math
import re
from fractions import Fraction
from functools import lru_cache
from typing import Any

from lacquersim.i18n import N_, _

# the kinds of unit, as messages name them (translated where shown)
_KINDS = (N_("amount per mass"), N_("concentration"), N_("density"), N_("diffusivity"),
          N_("dimensionless"), N_("inverse length"), N_("length"), N_("molar energy"),
          N_("molar mass"), N_("molar volume"), N_("pressure"), N_("rate"), N_("temperature"),
          N_("temperature difference"), N_("time"), N_("viscosity"))

__all__ = ["Unit", "unit", "to_si", "convert", "parse_quantity", "UnitError", "KNOWN"]


class UnitError(ValueError):
    """A unit that is unknown or of the wrong kind."""


class Unit:
    """A unit: its kind, and ``si = value·factor + offset``."""

    __slots__ = ("name", "kind", "factor", "offset", "plan")

    def __init__(self, name: str, kind: str, factor: Fraction, offset: float = 0.0):
        self.name, self.kind, self.factor, self.offset = name, kind, Fraction(factor), float(offset)
        self.plan = _plan(self.factor)  # how to_si applies the factor

    def __repr__(self) -> str:
        return f"Unit({self.name!r}, {self.kind})"


_DIVIDE = (60, 100, 3600, 86400)


def _apply(value: float, factor: Fraction) -> float:
    op, a, b = _plan(factor)
    if op == 0:
        return value * a
    if op == 1:
        return value / a
    return value * a / b


@lru_cache(maxsize=None)
def _plan(factor: Fraction) -> tuple[int, float, float]:
    # as a person writes it, so that results do not move by a rounding:
    # x/3600 for a per-hour rate and x/100 for a percentage, x·1e-6 for µm
    if factor.denominator == 1:
        return 0, factor.numerator, 1
    if factor.numerator == 1 and factor.denominator in _DIVIDE:
        return 1, factor.denominator, 1
    if factor.numerator == 1 and str(factor.denominator).rstrip("0") == "1":
        return 0, float(factor), 1  # 10^-k
    return 2, factor.numerator, factor.denominator


def _f(x: str) -> Fraction:
    return Fraction(x)


_UNITS = [
    Unit("1", "dimensionless", _f("1")),
    Unit("%", "dimensionless", _f("1/100")),
    Unit("ppm", "dimensionless", _f("1/1000000")),
    Unit("1/%", "dimensionless", _f("100")),
    Unit("1/ppm", "dimensionless", _f("1000000")),
    Unit("s", "time", _f("1")),
    Unit("min", "time", _f("60")),
    Unit("h", "time", _f("3600")),
    Unit("d", "time", _f("86400")),
    Unit("1/s", "rate", _f("1")),
    Unit("1/min", "rate", _f("1/60")),
    Unit("1/h", "rate", _f("1/3600")),
    Unit("1/d", "rate", _f("1/86400")),
    Unit("J/mol", "molar energy", _f("1")),
    Unit("kJ/mol", "molar energy", _f("1000")),
    Unit("°C", "temperature", _f("1"), 273.15),
    Unit("K", "temperature difference", _f("1")),
    Unit("mol/m3", "concentration", _f("1")),
    Unit("mol/L", "concentration", _f("1000")),
    Unit("mmol/L", "concentration", _f("1")),
    Unit("m2/s", "diffusivity", _f("1")),
    Unit("cm2/s", "diffusivity", _f("1/10000")),
    Unit("m", "length", _f("1")),
    Unit("mm", "length", _f("1/1000")),
    Unit("µm", "length", _f("1/1000000")),
    Unit("nm", "length", _f("1/1000000000")),
    Unit("1/m", "inverse length", _f("1")),
    Unit("1/µm", "inverse length", _f("1000000")),
    Unit("Pa", "pressure", _f("1")),
    Unit("hPa", "pressure", _f("100")),
    Unit("kPa", "pressure", _f("1000")),
    Unit("Pa·s", "viscosity", _f("1")),
    Unit("mPa·s", "viscosity", _f("1/1000")),
    Unit("cP", "viscosity", _f("1/1000")),
    Unit("P", "viscosity", _f("1/10")),
    Unit("kg/mol", "molar mass", _f("1")),
    Unit("g/mol", "molar mass", _f("1/1000")),
    Unit("kg/m3", "density", _f("1")),
    Unit("g/cm3", "density", _f("1000")),
    Unit("g/mL", "density", _f("1000")),
    Unit("m3/mol", "molar volume", _f("1")),
    Unit("L/mol", "molar volume", _f("1/1000")),
    Unit("cm3/mol", "molar volume", _f("1/1000000")),
    Unit("mol/kg", "amount per mass", _f("1")),
    Unit("mmol/g", "amount per mass", _f("1")),
]
#: Every known unit by its canonical name.
KNOWN: dict[str, Unit] = {u.name: u for u in _UNITS}

# spellings people type for the same unit
_ALIASES = {"": "1", "-": "1", "percent": "%", "degC": "°C", "C": "°C", "℃": "°C",
            "um": "µm", "μm": "µm", "1/um": "1/µm", "1/μm": "1/µm", "Pa s": "Pa·s", "Pa*s": "Pa·s",
            "Pas": "Pa·s", "mPa s": "mPa·s", "mPa*s": "mPa·s", "h-1": "1/h", "s-1": "1/s",
            "min-1": "1/min", "/h": "1/h", "/s": "1/s", "/min": "1/min", "per h": "1/h",
            "per s": "1/s", "per min": "1/min"}


def _canonical(name: str) -> str:
    s = " ".join(str(name).split())
    s = s.replace("²", "2").replace("³", "3").replace("^2", "2").replace("^3", "3")
    s = s.replace("μ", "µ").replace("⁻¹", "-1")
    s = _ALIASES.get(s, s)
    if s not in KNOWN:
        s2 = s.replace(" ", "")
        s = _ALIASES.get(s2, s2)
    return s


@lru_cache(maxsize=None)
def unit(name: str) -> Unit:
    """The :class:`Unit` spelled ``name`` (some aliases accepted: "um", "degC", "m²/s")."""
    s = _canonical(name)
    if s not in KNOWN:
        raise UnitError(_("unknown unit {name}; known units: {units}").format(
            name=repr(name), units=", ".join(KNOWN)))
    return KNOWN[s]


def to_si(value, unit_name: str):
    """``value`` in ``unit_name`` expressed in the SI unit of its kind (a
    float, or elementwise for a numpy array)."""
    u = unit(unit_name)
    op, a, b = u.plan
    v = value if hasattr(value, "shape") else float(value)
    return (v * a if op == 0 else v / a if op == 1 else v * a / b) + u.offset


def convert(value: float, from_unit: str, to_unit: str) -> float:
    """``value`` in ``from_unit`` expressed in ``to_unit`` (same kind, else :class:`UnitError`)."""
    a, b = unit(from_unit), unit(to_unit)
    # "K" is a temperature difference and an absolute temperature: 350 K is
    # 76.85 °C, and 25 °C is 298.15 K
    if a.name == "K" and b.kind == "temperature":
        return _apply(float(value) - b.offset, 1 / b.factor)
    if a.kind == "temperature" and b.name == "K":
        return _apply(float(value), a.factor) + a.offset
    if a.kind != b.kind:
        raise UnitError(_("{unit} is a {kind} unit, not a {other_kind} unit like {other}").format(
            unit=repr(from_unit), kind=_(a.kind), other_kind=_(b.kind), other=repr(to_unit)))
    if a is b:
        return float(value)
    if a.offset == 0.0 and b.offset == 0.0:
        return _apply(float(value), a.factor / b.factor)
    si = _apply(float(value), a.factor) + a.offset
    return _apply(si - b.offset, 1 / b.factor)


_QUANTITY = re.compile(r"^\s*([-+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?)\s*(.*?)\s*$")


def parse_quantity(value: Any, target_unit: str) -> float:
    """A number in ``target_unit`` from a number (already in it), a string
    ``"0.5 1/h"`` or a pair ``(0.5, "1/h")``. Raises :class:`UnitError` for a
    unit of another kind and ``ValueError`` for anything that is not a
    finite number."""
    if isinstance(value, bool):
        raise ValueError(_("expected a number, got {value}").format(value=repr(value)))
    if isinstance(value, (tuple, list)) and len(value) == 2 and isinstance(value[1], str):
        number, given = value
        return parse_quantity(number, target_unit) if not given.strip() else \
            _quantity(_finite(number), given, target_unit)
    if isinstance(value, str):
        m = _QUANTITY.match(value)
        if not m:
            raise ValueError(_("expected a number with an optional unit, such as '0.5 {unit}', "
                               "got {value}").format(unit=target_unit, value=repr(value)))
        number, given = float(m.group(1)), m.group(2)
        return _finite(number) if not given else _quantity(_finite(number), given, target_unit)
    return _finite(value)


def _quantity(value: float, given: str, target_unit: str) -> float:
    if unit(target_unit).kind == "temperature difference" and unit(given).kind == "temperature":
        raise UnitError(_("{unit} is a temperature; give this temperature difference in K").format(
            unit=repr(given)))
    return convert(value, given, target_unit)


def _finite(x: Any) -> float:
    try:
        v = float(x)
    except (TypeError, ValueError):
        raise ValueError(_("expected a number, got {value}").format(value=repr(x))) from None
    if not math.isfinite(v):
        raise ValueError(_("expected a finite number, got {value}").format(value=repr(x)))
    return v
