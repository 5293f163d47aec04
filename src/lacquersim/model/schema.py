"""The recipe schema: every recipe field, its type, unit, allowed values and meaning.

This module is the single place where recipe fields are declared. Validation
(:func:`validate`), error messages and the ``lacquersim schema`` text
(:func:`describe_schema`) are all generated from :data:`FIELDS` and
:data:`RULES`, so adding a field or a whole section is a matter of adding
entries. How fields, forms, selectors and rules work is described in
:mod:`lacquersim.model.validation`. ``drying`` has the ``"simple"`` form
(temperature_c, rh_percent, hours, air_speed_m_s), the ``"steps"`` form and
one form per preset; the top level has ``"measured"`` (``state``) and
``"refining"``; a refining step's ``step`` selects its form.
"""

from __future__ import annotations

from typing import Mapping

from lacquersim.i18n import N_, _
from lacquersim.model.materials import material_names, non_sap_materials, oil_names
from lacquersim.model.climate import FIRST_YEAR, LAST_YEAR
from lacquersim.model.schedule import (PRESET_DEFAULTS, PRESET_NAMES, STATION_NAMES, STEP_LIMITS,
                                       air_problem)
from lacquersim.model.validation import Field, Rule, Schema, describe, pattern_of

__all__ = ["Field", "FIELDS", "RULES", "RECIPE_SCHEMA", "MATERIAL_NAMES", "describe_schema",
           "validate", "children", "pattern_of", "field_for"]

#: Material names accepted by ``material`` (the materials of the parameter table).
MATERIAL_NAMES: tuple[str, ...] = material_names()
#: Oils accepted by ``additives.oil``.
OIL_NAMES: tuple[str, ...] = oil_names()

#: Materials that are not sap (no water droplets, no laccase): no refining steps.
NON_SAP_MATERIALS: tuple[str, ...] = non_sap_materials()
#: Refining step kinds (``refining[i].step``).
REFINING_STEPS: tuple[str, ...] = ("nayashi", "kurome", "add_water", "rest")

# ---------------------------------------------------------------------------
# The declarations. Order matters: it is the order of to_dict(), of the
# documentation and of "allowed keys" lists in messages.
# ---------------------------------------------------------------------------
def _step_fields(prefix: str, form: str | None, *, ramps: bool, docs: tuple[str, str, str]
                 ) -> list[Field]:
    """Temperature / RH / duration / air speed fields shared by both drying forms."""
    def lim(name):  # the Schedule's own limits (one range for Python and YAML)
        lo, hi, lo_ok, unit = STEP_LIMITS[name]
        return {"unit": unit, "min": lo, "max": hi, "min_inclusive": lo_ok}

    out = [
        Field(f"{prefix}.temperature_c", "float", docs[0],
              required=True, form=form, **lim("temperature_c")),
        Field(f"{prefix}.rh_percent", "float", docs[1],
              required=True, form=form, **lim("rh_percent")),
        Field(f"{prefix}.hours", "float", docs[2], required=True, form=form, **lim("hours")),
    ]
    if ramps:
        out += [
            Field(f"{prefix}.end_temperature_c", "float",
                  "air temperature at the end of the step, reached by a linear ramp; "
                  "omit for constant", form=form, **lim("end_temperature_c")),
            Field(f"{prefix}.end_rh_percent", "float",
                  "relative humidity at the end of the step, reached by a linear ramp; "
                  "omit for constant", form=form, **lim("end_rh_percent")),
        ]
    out.append(Field(f"{prefix}.air_speed_m_s", "float",
                     "air speed over the film (0 = still air)", default=0.1, form=form,
                     **lim("air_speed_m_s")))
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
        *_step_fields("drying.steps.*", None, ramps=True,
                      docs=(N_("air temperature at the start of the step"),
                            N_("relative humidity of the air at the start of the step"),
                            N_("duration of the step"))),
        Field("drying.preset", "choice",
              "a preset schedule: muro (humid cabinet), oven (bake, then cool at room "
              "conditions) or outdoor (a Phu Tho workshop's air by station and month, daily cycle)",
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
        Field("drying.station", "choice", "outdoor: Phu Tho station whose records give the climate",
              choices=STATION_NAMES, form="outdoor", form_defaults=dflt("station", "outdoor")),
        Field("drying.year", "int", "outdoor: the month of this year (instead of a normal period)",
              unit="year", min=FIRST_YEAR, max=LAST_YEAR, form="outdoor"),
        Field("drying.period_from", "int", "outdoor: first year of the normal period averaged",
              unit="year", min=FIRST_YEAR, max=LAST_YEAR, form="outdoor",
              form_defaults=dflt("period_from", "outdoor")),
        Field("drying.period_to", "int", "outdoor: last year of the normal period averaged",
              unit="year", min=FIRST_YEAR, max=LAST_YEAR, form="outdoor",
              form_defaults=dflt("period_to", "outdoor")),
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
    Field("name_vi", "str", "the title in Vietnamese, shown instead of 'name' with --lang vi",
          default=""),
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
          "add_water (water added back), rest (stored sealed)",
          choices=REFINING_STEPS, required=True, form=REFINING_STEPS, selector=True),
    Field("refining.*.minutes", "float", "duration (of each cycle, for a repeated kurome)",
          unit="min", min=0.0, max=2880.0, min_inclusive=False, required=True, form=_KNEAD),
    Field("refining.*.rpm", "float", "stirring speed", unit="rpm", min=0.0, max=600.0,
          required=True, form=_KNEAD),
    Field("refining.*.temperature_c", "float", "temperature of the sap", unit="°C",
          min=0.0, max=100.0, required=True, form=_KNEAD + ("rest",)),
    Field("refining.*.days", "float", "how long the sap is stored, sealed: no stirring, no air",
          unit="d", min=0.0, max=3650.0, min_inclusive=False, required=True, form="rest"),
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


def _refining_needs_sap(v: Mapping) -> tuple[str, str] | None:
    if v.get("refining") and v.get("material") in NON_SAP_MATERIALS:
        return ("refining", _("refining steps need a sap lacquer; '{material}' has no water "
                              "droplets or laccase: leave 'refining' out (thinner and drier go "
                              "in 'additives')").format(material=v["material"]))
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
                _("the last of {count} coats goes on at {last} h but the drying lasts {total} h; "
                  "allowed: (count - 1) x interval_hours below the drying time").format(
                    count=c["count"], last=f"{last:g}", total=f"{total:g}"))
    return None


def _year_or_period(v: Mapping) -> tuple[str, str] | None:
    dr = v.get("drying", {})
    if dr.get("preset") != "outdoor":
        return None
    a, b = dr.get("period_from"), dr.get("period_to")
    if a is not None and b is not None and a > b:
        return ("drying.period_to", _("the period ends ({end}) before it begins ({begin}); "
                                      "allowed period_from ≤ period_to").format(end=b, begin=a))
    return None


def _air_can_hold_it(v: Mapping) -> tuple[str, str] | None:
    dr = v.get("drying", {})
    if "preset" in dr:
        return None  # checked when the preset is expanded into steps
    steps = dr["steps"] if "steps" in dr else [dr]
    for i, st in enumerate(steps):
        found = air_problem(st)
        if found is not None:
            return (f"drying.steps.{i}.{found[0]}" if "steps" in dr else f"drying.{found[0]}",
                    found[1])
    return None


#: Checks across fields (see :class:`Rule`).
RULES: tuple[Rule, ...] = (
    Rule("refining needs a sap lacquer (not cashew)", _refining_needs_sap),
    Rule("the last coat goes on before the drying schedule ends", _coats_fit_the_schedule),
    Rule("an outdoor period begins before it ends", _year_or_period),
    Rule("the air holds no more water vapour than it can at its temperature and 1 atm "
         "(above 100 °C less than 100 % RH)", _air_can_hold_it),
)

#: The recipe's schema; the functions below are its methods, for short calls.
RECIPE_SCHEMA = Schema(_DECLARATIONS, RULES, what=N_("the recipe"))
#: Every recipe field, keyed by dotted path (``*`` = list index), in document order.
FIELDS: dict[str, Field] = RECIPE_SCHEMA.fields
validate = RECIPE_SCHEMA.validate
children = RECIPE_SCHEMA.children
field_for = RECIPE_SCHEMA.field_for


def describe_schema() -> str:
    """Every recipe field as a plain-text table (``lacquersim schema``)."""
    return describe(RECIPE_SCHEMA)


