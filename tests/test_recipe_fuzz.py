"""Fuzz recipe validation: any input gives a Recipe or a RecipeError, nothing else.

Inputs are valid recipes with random mutations (wrong types, out-of-range
numbers, NaN/inf, unknown / missing / renamed keys), arbitrary nested data,
the same data written as YAML files, and arbitrary text as a YAML file.
"""

from __future__ import annotations

import copy
import math
import tempfile
from pathlib import Path

import numpy as np
import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from lacquersim.model import schema
from lacquersim.errors import RecipeError
from lacquersim.model.recipe import Recipe
from lacquersim.model.recipe_files import load_recipe
from lacquersim.model.schedule import PRESET_DEFAULTS, air_max_rh_percent

SETTINGS = settings(max_examples=300, deadline=None,
                    suppress_health_check=[HealthCheck.too_slow])

BASES = [
    {"name": "simple", "material": "japan", "film": {"thickness_um": 76},
     "drying": {"temperature_c": 25, "rh_percent": 80, "hours": 72}},
    {"name": "stated", "description": "d", "material": "vietnam",
     "state": {"water_percent": 33.6, "monomer_percent": 86.8, "droplet_um": 2,
               "laccase_percent": 50},
     "film": {"thickness_um": 30},
     "drying": {"temperature_c": 25, "rh_percent": 80, "hours": 72, "air_speed_m_s": 0.5}},
    {"name": "steps", "material": "cashew", "film": {"thickness_um": 40},
     "drying": {"steps": [
         {"temperature_c": 140, "rh_percent": 10, "hours": 1},
         {"temperature_c": 25, "rh_percent": 50, "hours": 2, "end_temperature_c": 30,
          "end_rh_percent": 60, "air_speed_m_s": 0}]}},
]

# Recipes with the sections of issue 4: refining steps, additives, drying presets.
BASES += [
    {"name": "refined", "material": "vietnam",
     "refining": [{"step": "nayashi", "minutes": 30, "rpm": 60, "temperature_c": 25},
                  {"step": "kurome", "minutes": 45, "rpm": 60, "temperature_c": 40,
                   "open_vessel": True, "repeat": 2, "add_water_percent": 5},
                  {"step": "add_water", "percent": 5}],
     "additives": {"metal_ppm": 50, "drier_percent": 0.1, "oil": "linseed", "oil_percent": 10,
                   "thinner_percent": 5},
     "film": {"thickness_um": 50},
     "drying": {"preset": "outdoor", "station": "viet-tri", "month": 7, "days": 2,
                "start_hour": 8, "step_hours": 2, "air_speed_m_s": 0.5}},
    {"name": "oven", "material": "japan", "refining": [{"step": "kurome", "minutes": 60,
                                                         "rpm": 60, "temperature_c": 40}],
     "film": {"thickness_um": 40},
     "drying": {"preset": "oven", "temperature_c": 140, "hours": 1, "cool_hours": 2,
                "rh_percent": 10, "room_temperature_c": 25, "room_rh_percent": 50}},
    {"name": "muro", "material": "cashew", "additives": {"thinner_percent": 10},
     "film": {"thickness_um": 50}, "drying": {"preset": "muro", "hours": 24}},
]

KEYS = ["name", "description", "material", "state", "film", "drying", "water_percent",
        "monomer_percent", "droplet_um", "laccase_percent", "thickness_um", "temperature_c",
        "rh_percent", "hours", "air_speed_m_s", "steps", "end_temperature_c",
        "end_rh_percent", "thicknes_um", "extra", "",
        "refining", "additives", "step", "minutes", "rpm", "open_vessel", "repeat",
        "add_water_percent", "percent", "metal_ppm", "drier_percent", "oil", "oil_percent",
        "thinner_percent", "preset", "cool_hours", "room_temperature_c", "room_rh_percent",
        "station", "year", "period_from", "period_to", "month", "days", "start_hour", "step_hours"]

scalars = st.one_of(
    st.none(), st.booleans(),
    st.integers(), st.integers(min_value=-10 ** 400, max_value=10 ** 400),
    st.floats(allow_nan=True, allow_infinity=True),
    st.sampled_from([math.nan, math.inf, -math.inf, -1e308, 1e-320, 0, -0.0, 5, 200, 2000]),
    st.text(max_size=12), st.sampled_from(["japan", "Vietnam ", "80", "1e3", "nan", ""]),
    st.sampled_from(["kurome", "nayashi", "add_water", "muro", "oven", "outdoor", "viet-tri",
                     "linseed", "cashew", "vietnam-rainy"]),
    st.floats(min_value=-20, max_value=300),  # often in range: keeps some recipes valid
)
junk = st.recursive(
    scalars,
    lambda inner: st.one_of(st.lists(inner, max_size=4),
                            st.dictionaries(st.one_of(st.sampled_from(KEYS), st.text(max_size=6),
                                                      st.integers()), inner, max_size=4)),
    max_leaves=12,
)


def paths(node, prefix=()):
    """Every (container path) in ``node`` for mutation targets, root included."""
    yield prefix
    if isinstance(node, dict):
        for k, v in node.items():
            if isinstance(v, (dict, list)):
                yield from paths(v, prefix + (k,))
    elif isinstance(node, list):
        for i, v in enumerate(node):
            if isinstance(v, (dict, list)):
                yield from paths(v, prefix + (i,))


def get(node, path):
    for p in path:
        node = node[p]
    return node


@st.composite
def mutated_recipes(draw):
    d = copy.deepcopy(draw(st.sampled_from(BASES)))
    for _ in range(draw(st.integers(0, 4))):
        targets = list(paths(d))
        target = get(d, draw(st.sampled_from(targets)))
        op = draw(st.sampled_from(["set", "delete", "add", "rename", "replace_container"]))
        if isinstance(target, list):
            if not target or op == "add":
                target.append(draw(junk))
            else:
                i = draw(st.integers(0, len(target) - 1))
                if op == "delete":
                    del target[i]
                else:
                    target[i] = draw(junk)
            continue
        keys = list(target)
        if op == "add" or not keys:
            target[draw(st.one_of(st.sampled_from(KEYS), st.text(max_size=8)))] = draw(junk)
        elif op == "delete":
            del target[draw(st.sampled_from(keys))]
        elif op == "rename":
            k = draw(st.sampled_from(keys))
            target[draw(st.sampled_from(KEYS))] = target.pop(k)
        elif op == "replace_container":
            target[draw(st.sampled_from(keys))] = draw(st.one_of(junk, st.just({}),
                                                                 st.just([])))
        else:
            target[draw(st.sampled_from(keys))] = draw(scalars)
    return d


def in_range(path):
    """Numbers anywhere inside the declared range of ``path`` (a schema pattern)."""
    f = schema.FIELDS[path]
    return st.floats(min_value=f.min, max_value=f.max, exclude_min=not f.min_inclusive,
                     exclude_max=not f.max_inclusive) | st.integers(
        min_value=math.ceil(f.min) + (0 if f.min_inclusive else 1), max_value=math.floor(f.max))


def optional(d, key, strategy, draw):
    if draw(st.booleans()):
        d[key] = draw(strategy)


@st.composite
def valid_recipes(draw):
    """Recipes that satisfy the schema: every one must load and round-trip."""
    d = {"name": draw(st.text(min_size=1).filter(str.strip)),
         "material": draw(st.sampled_from(schema.MATERIAL_NAMES)),
         "film": {"thickness_um": draw(in_range("film.thickness_um"))}}
    optional(d, "description", st.text(), draw)
    if draw(st.booleans()):
        d["state"] = {"water_percent": draw(in_range("state.water_percent")),
                      "monomer_percent": draw(in_range("state.monomer_percent"))}
        optional(d["state"], "droplet_um", in_range("state.droplet_um"), draw)
        optional(d["state"], "laccase_percent", in_range("state.laccase_percent"), draw)

    def step(prefix, ramps):
        s = {k: draw(in_range(f"{prefix}.{k}")) for k in ("temperature_c", "rh_percent", "hours")}
        optional(s, "air_speed_m_s", in_range(f"{prefix}.air_speed_m_s"), draw)
        if ramps:
            optional(s, "end_temperature_c", in_range(f"{prefix}.end_temperature_c"), draw)
            optional(s, "end_rh_percent", in_range(f"{prefix}.end_rh_percent"), draw)
        return air_it_can_hold(s)

    if draw(st.booleans()):
        d["drying"] = step("drying", False)
    else:
        n = draw(st.integers(1, 4))
        d["drying"] = {"steps": [step("drying.steps.*", True) for _ in range(n)]}
    return d


def air_it_can_hold(s: dict, rh: str = "rh_percent", t: str = "temperature_c",
                    t_default: float = 25.0, rh_default: float = 80.0) -> dict:
    """The step with its RH lowered to what its air can hold at 1 atm all
    along the step (valid recipes only ask for air that can exist)."""
    t0 = s.get(t, t_default)
    t1 = s.get("end_temperature_c", t0) if rh == "rh_percent" else t0
    top = min(air_max_rh_percent(x) for x in np.linspace(t0, t1, 21))
    for key, default in ((rh, rh_default), ("end_rh_percent", None)):
        if key in s or (key == rh and top < default):
            s[key] = min(s.get(key, default), math.floor(top * 100) / 100)
        if rh != "rh_percent":
            break
    return s


@SETTINGS
@given(valid_recipes())
def test_valid_recipes_load_and_round_trip(d):
    r = Recipe.from_dict(d)
    assert Recipe.from_dict(r.to_dict()) == r
    assert r.film.thickness_um == float(d["film"]["thickness_um"])


def check(d):
    try:
        r = Recipe.from_dict(d)
    except RecipeError as e:
        assert str(e) and "\n" not in str(e)
        return None
    assert isinstance(r, Recipe)
    assert Recipe.from_dict(r.to_dict()) == r
    return r


@SETTINGS
@given(mutated_recipes())
def test_mutated_dicts_give_recipe_or_recipe_error(d):
    check(d)


@SETTINGS
@given(junk)
def test_arbitrary_data_gives_recipe_or_recipe_error(d):
    check(d)


@SETTINGS
@given(st.sampled_from(BASES),
       st.dictionaries(st.one_of(st.sampled_from([
           "film.thickness_um", "drying.rh_percent", "drying.steps.0.hours",
           "drying.steps.1.rh_percent", "drying.steps.7.hours", "drying.steps", "state",
           "state.water_percent", "name", "film", "film.thickness_um.x", "drying.x.y",
           "drying.steps.x"]), st.text(max_size=10)), junk, max_size=3))
def test_with_values_gives_recipe_or_recipe_error(base, changes):
    r = Recipe.from_dict(base)
    try:
        r2 = r.with_values(changes)
    except RecipeError:
        return
    assert isinstance(r2, Recipe)


@pytest.fixture(scope="module")
def fuzz_dir():
    with tempfile.TemporaryDirectory() as d:
        yield Path(d)


@settings(max_examples=150, deadline=None,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])
@given(st.one_of(mutated_recipes(), junk))
def test_yaml_files_give_recipe_or_recipe_error(fuzz_dir, d):
    try:
        text = yaml.safe_dump(d, allow_unicode=True, sort_keys=False)
    except (yaml.YAMLError, ValueError, TypeError):
        return  # not representable in YAML (e.g. surrogate characters)
    p = fuzz_dir / "r.yaml"
    p.write_text(text, encoding="utf-8", errors="surrogatepass")
    try:
        r = load_recipe(p)
    except RecipeError as e:
        assert e.file == str(p)
        return
    assert r.source == str(p)


@settings(max_examples=150, deadline=None,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])
@given(st.one_of(st.text(max_size=200),
                 st.lists(st.sampled_from(["name: x", "material: japan", "film:",
                                           "  thickness_um: 76", "drying:", "  steps:",
                                           "    - hours: 1", "  hours: 1", "- a", "&a [*a]",
                                           "{", "]", "\t", "!!binary x", "? [a]", "<<: *a",
                                           "%YAML 1.1", "---", "...", "'", "\"\\x\""]),
                          max_size=10).map("\n".join)))
def test_arbitrary_yaml_text_gives_recipe_or_recipe_error(fuzz_dir, text):
    p = fuzz_dir / "t.yaml"
    p.write_bytes(text.encode("utf-8", errors="surrogatepass"))
    try:
        load_recipe(p)
    except RecipeError as e:
        assert e.file == str(p)


# ---------------------------------------------------------------------------
# Refining, additives and drying presets (issue 4): any valid recipe also
# refines to a finite state or raises the documented RecipeError.
# ---------------------------------------------------------------------------
def refine_or_recipe_error(r):
    from lacquersim.model.refining import refine

    try:
        s = refine(r)
    except RecipeError as e:
        # the refining-time checks: water added back beyond 60 %, and a lacquer that
        # would have gelled before it is applied (by its refining or its measured state)
        assert str(e) and "\n" not in str(e)
        if "gelled before it is applied" in str(e):
            assert e.field in ("refining", "state.monomer_percent") and "gel point" in str(e)
        else:
            assert e.field and e.field.startswith("refining.") and "at most 60 %" in str(e)
        return None
    assert all(math.isfinite(float(v)) for v in s.to_numpy()), s
    assert 0 <= s.water_percent <= 100 and 0 <= s.monomer_percent <= 100
    assert 0 <= s.laccase_percent <= 100 and s.droplet_um >= 0 and s.viscosity_pa_s > 0
    return s


def step_of(kind, draw):
    st_ = {"step": kind}
    if kind == "add_water":
        st_["percent"] = draw(in_range("refining.*.percent"))
        return st_
    if kind == "rest":
        st_["days"] = draw(in_range("refining.*.days"))
        st_["temperature_c"] = draw(in_range("refining.*.temperature_c"))
        return st_
    for k in ("minutes", "rpm", "temperature_c"):
        st_[k] = draw(in_range(f"refining.*.{k}"))
    if kind == "kurome":
        optional(st_, "open_vessel", st.booleans(), draw)
        optional(st_, "repeat", st.integers(1, 20), draw)
        optional(st_, "add_water_percent", in_range("refining.*.add_water_percent"), draw)
    return st_


@st.composite
def valid_extended_recipes(draw):
    d = {"name": "x", "material": draw(st.sampled_from(schema.MATERIAL_NAMES)),
         "film": {"thickness_um": draw(in_range("film.thickness_um"))}}
    how = draw(st.sampled_from(["raw", "state", "refining"]))
    if how == "refining" and d["material"] not in schema.NON_SAP_MATERIALS:
        kinds = draw(st.lists(st.sampled_from(schema.REFINING_STEPS), min_size=1, max_size=4))
        d["refining"] = [step_of(k, draw) for k in kinds]
    elif how == "state":
        d["state"] = {"water_percent": draw(in_range("state.water_percent")),
                      "monomer_percent": draw(in_range("state.monomer_percent"))}
    if draw(st.booleans()):
        a = {}
        for k in ("metal_ppm", "drier_percent", "thinner_percent"):
            optional(a, k, in_range(f"additives.{k}"), draw)
        if draw(st.booleans()):
            a["oil"] = draw(st.sampled_from(schema.OIL_NAMES))
            a["oil_percent"] = draw(in_range("additives.oil_percent"))
        d["additives"] = a
    preset = draw(st.sampled_from(["muro", "oven", "outdoor"]))
    dr = {"preset": preset}
    keys = {"muro": ("temperature_c", "rh_percent", "hours", "air_speed_m_s"),
            "oven": ("temperature_c", "rh_percent", "hours", "air_speed_m_s", "cool_hours",
                     "room_temperature_c", "room_rh_percent"),
            "outdoor": ("air_speed_m_s", "start_hour", "step_hours")}[preset]
    for k in keys:
        strategy = st.floats(0.0, 24.0, exclude_max=True) if k == "start_hour" \
            else in_range(f"drying.{k}")
        optional(dr, k, strategy, draw)
    if preset == "outdoor":
        dr["month"] = draw(st.integers(1, 12))
        optional(dr, "days", st.floats(0.01, 3.0), draw)
    else:  # the preset's air, its defaults included, as air can be
        defaults = PRESET_DEFAULTS[preset]
        air_it_can_hold(dr, t_default=defaults["temperature_c"], rh_default=defaults["rh_percent"])
        if preset == "oven":
            air_it_can_hold(dr, "room_rh_percent", "room_temperature_c",
                            defaults["room_temperature_c"], defaults["room_rh_percent"])
    d["drying"] = dr
    return d


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(valid_extended_recipes())
def test_valid_extended_recipes_load_round_trip_and_refine(d):
    r = Recipe.from_dict(d)
    assert Recipe.from_dict(r.to_dict()) == r
    assert r.drying.total_hours > 0
    refine_or_recipe_error(r)


@SETTINGS
@given(mutated_recipes())
def test_mutated_recipes_refine_or_give_recipe_error(d):
    r = check(d)
    if r is not None:
        refine_or_recipe_error(r)
