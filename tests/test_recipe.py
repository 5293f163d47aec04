"""Recipes: bundled files, round trips, with_values and every user-error message."""

from __future__ import annotations

import math
from pathlib import Path

import pytest

from lacquersim.model import schema, validation
from lacquersim.errors import RecipeError
from lacquersim.model.recipe import FilmSpec, Recipe, StateSpec
from lacquersim.model.recipe_files import bundled_recipes, load_recipe, recipes_dir
from lacquersim.model.schedule import Schedule, Step

REQUIRED_BUNDLED = ("vietnam-raw", "vietnam-kneaded-60", "vietnam-kneaded-60-t7",
                    "japan-raw", "cashew-workshop", "japan-baked")


def valid_dict(**drying):
    return {
        "name": "test",
        "material": "japan",
        "film": {"thickness_um": 76},
        "drying": drying or {"temperature_c": 25, "rh_percent": 80, "hours": 72},
    }


VALID_YAML = """\
name: test
material: japan
film:
  thickness_um: 76
drying:
  temperature_c: 25
  rh_percent: 80
  hours: 72
"""


def write(tmp_path: Path, text: str, name: str = "recipe.yaml") -> Path:
    p = tmp_path / name
    p.write_text(text, encoding="utf-8")
    return p


def expect_error(source, *fragments, field=None, line=None, file=None) -> RecipeError:
    """Load ``source`` (a path or a dict), expect RecipeError, check what it names."""
    with pytest.raises(RecipeError) as info:
        if isinstance(source, (str, Path)):
            load_recipe(source)
        else:
            Recipe.from_dict(source)
    e = info.value
    msg = str(e)
    assert "\n" not in msg
    if file is not None:
        assert e.file == str(file)
        assert msg.startswith(str(file))
    if line is not None:
        assert e.line == line
        assert f"line {line}" in msg
    if field is not None:
        assert e.field == field
        assert f"field '{field}'" in msg
    for frag in fragments:
        assert frag in msg, f"{frag!r} not in {msg!r}"
    return e


# ---------------------------------------------------------------------------
# Bundled recipes
# ---------------------------------------------------------------------------
def bundled_paths():
    return sorted(p for p in recipes_dir().glob("*.y*ml"))


def test_recipes_dir_is_repo_folder():
    assert recipes_dir() == Path(__file__).resolve().parents[1] / "recipes"


def test_required_bundled_recipes_exist():
    stems = {p.stem for p in bundled_paths()}
    assert set(REQUIRED_BUNDLED) <= stems


@pytest.mark.parametrize("path", bundled_paths(), ids=lambda p: p.stem)
def test_bundled_recipe_loads_and_round_trips(path):
    text = path.read_text(encoding="utf-8")
    assert text.startswith("#"), "a bundled recipe starts with a comment on its origin"
    r = load_recipe(path.stem)
    assert r.source == str(path)
    assert load_recipe(path) == Recipe.from_dict(r.to_dict(), source=str(path))
    assert r.description and "\n" not in r.description.strip()


def test_bundled_recipes_table():
    df = bundled_recipes()
    assert list(df.columns) == ["name", "title", "title_vi", "material", "description", "path"]
    assert len(df) >= 5
    row = df.set_index("name").loc["vietnam-kneaded-60"]
    assert row.title == "Vietnamese laccol, kneaded 60 min"
    assert row.material == "vietnam"
    assert Path(row.path).is_file()
    assert all(df.description.str.len() > 0)


def test_bundled_values_from_the_paper():
    raw = load_recipe("vietnam-raw")
    assert raw.material == "vietnam"
    assert raw.state == StateSpec(water_percent=33.6, monomer_percent=86.8)
    assert raw.film == FilmSpec(76.0)
    assert raw.drying == Schedule.constant(25, 80, 72)

    k60 = load_recipe("vietnam-kneaded-60")
    assert (k60.state.water_percent, k60.state.monomer_percent) == (12.5, 44.8)
    t7 = load_recipe("vietnam-kneaded-60-t7")
    assert (t7.state.water_percent, t7.state.monomer_percent) == (5.2, 50.2)

    assert load_recipe("japan-raw").state is None
    cashew = load_recipe("cashew-workshop")
    assert cashew.material == "cashew" and cashew.film.thickness_um == 50
    assert cashew.drying == Schedule.constant(30, 70, 72)

    baked = load_recipe("japan-baked")
    assert baked.film.thickness_um == 40
    assert [(s.temperature_c, s.hours) for s in baked.drying.steps] == [(140, 1), (25, 2)]
    assert baked.drying.steps[1].rh_percent == 50


def test_load_by_name_with_suffix_and_env_override(tmp_path, monkeypatch):
    assert load_recipe("japan-raw.yaml") == load_recipe("japan-raw")
    write(tmp_path, VALID_YAML, "mine.yml")
    monkeypatch.setenv("LACQUERSIM_RECIPES", str(tmp_path))
    assert recipes_dir() == tmp_path
    assert list(bundled_recipes().name) == ["mine"]
    assert load_recipe("mine").name == "test"


def test_bundled_recipes_empty_folder(tmp_path, monkeypatch):
    monkeypatch.setenv("LACQUERSIM_RECIPES", str(tmp_path / "none"))
    assert bundled_recipes().empty
    expect_error("vietnam-raw", "no recipe file or bundled recipe named 'vietnam-raw'")


def test_unknown_bundled_name_suggests():
    expect_error("vietnam-rw", "no recipe file or bundled recipe named 'vietnam-rw'",
                 "did you mean 'vietnam-raw'?")


# ---------------------------------------------------------------------------
# from_dict / to_dict
# ---------------------------------------------------------------------------
def test_from_dict_stores_floats_and_defaults():
    r = Recipe.from_dict(valid_dict())
    assert type(r.film.thickness_um) is float
    step = r.drying.steps[0]
    assert all(type(v) is float for v in (step.temperature_c, step.rh_percent, step.hours))
    assert step.air_speed_m_s == 0.1
    assert r.description == "" and r.state is None and r.source is None


def test_round_trip_all_optional_fields():
    d = valid_dict(steps=[
        {"temperature_c": 20, "rh_percent": 85, "hours": 2, "end_temperature_c": 30,
         "end_rh_percent": 60, "air_speed_m_s": 0.5},
        {"temperature_c": 30, "rh_percent": 60, "hours": 10},
    ])
    d.update(description="x", material="Vietnam",
             state={"water_percent": 10, "monomer_percent": 50, "droplet_um": 2,
                    "laccase_percent": 80})
    r = Recipe.from_dict(d, source="somewhere")
    assert r.material == "vietnam"
    assert r.source == "somewhere"
    assert r.state == StateSpec(10.0, 50.0, 2.0, 80.0)
    assert r.drying.steps[0] == Step(20.0, 85.0, 2.0, 30.0, 60.0, 0.5)
    assert Recipe.from_dict(r.to_dict(), source="somewhere") == r


def test_single_ramped_step_round_trips_as_steps():
    r = Recipe.from_dict(valid_dict(steps=[{"temperature_c": 20, "rh_percent": 80, "hours": 5,
                                            "end_rh_percent": 50}]))
    assert "steps" in r.to_dict()["drying"]
    assert Recipe.from_dict(r.to_dict()) == r


def test_null_optional_fields_are_absent():
    d = valid_dict()
    d.update(description=None, state=None)
    d["drying"]["air_speed_m_s"] = None
    r = Recipe.from_dict(d)
    assert r.description == "" and r.state is None and r.drying.steps[0].air_speed_m_s == 0.1


def test_yaml_exponent_without_dot_is_a_number(tmp_path):
    p = write(tmp_path, VALID_YAML.replace("thickness_um: 76", "thickness_um: 5e1"))
    assert load_recipe(p).film.thickness_um == 50.0
    p = write(tmp_path, VALID_YAML.replace("thickness_um: 76", "thickness_um: '5e1'"))
    expect_error(p, "expected a number", "the text '5e1'", "remove the quotes",
                 field="film.thickness_um", line=4)


# ---------------------------------------------------------------------------
# with_values
# ---------------------------------------------------------------------------
def test_with_values_simple():
    r = load_recipe("vietnam-raw")
    r2 = r.with_values({"film.thickness_um": 30, "drying.rh_percent": 60})
    assert r2.film.thickness_um == 30.0
    assert r2.drying == Schedule.constant(25, 60, 72)
    assert r2.state == r.state and r2.source == r.source
    assert r.film.thickness_um == 76.0  # frozen original untouched


def test_with_values_multi_step():
    r = load_recipe("japan-baked")
    r2 = r.with_values({"drying.steps.1.rh_percent": 65})
    assert [s.rh_percent for s in r2.drying.steps] == [10.0, 65.0]
    with pytest.raises(RecipeError, match=r"dries in 2 steps.*drying.steps.<i>.rh_percent"):
        r.with_values({"drying.rh_percent": 60})
    e = expect_with_values_error(r, {"drying.steps.2.hours": 1}, "index 2 does not exist")
    assert e.field == "drying.steps.2"


def expect_with_values_error(recipe, changes, *fragments):
    with pytest.raises(RecipeError) as info:
        recipe.with_values(changes)
    e = info.value
    assert e.file is None and e.line is None
    for frag in fragments:
        assert frag in str(e), str(e)
    return e


def test_with_values_both_spellings_for_one_step():
    r = load_recipe("vietnam-raw")
    a = r.with_values({"drying.steps.0.rh_percent": 50})
    b = r.with_values({"drying.rh_percent": 50})
    assert a == b
    single_step_list = Recipe.from_dict(valid_dict(steps=[{"temperature_c": 20,
                                                          "rh_percent": 80, "hours": 5}]))
    assert single_step_list.with_values({"drying.hours": 7}).drying.total_hours == 7.0


def test_with_values_replace_sections():
    r = load_recipe("vietnam-raw")
    assert r.with_values({"state": None}).state is None
    steps = [{"temperature_c": 20, "rh_percent": 80, "hours": 1},
             {"temperature_c": 30, "rh_percent": 70, "hours": 2}]
    assert r.with_values({"drying.steps": steps}).drying.total_hours == 3.0
    assert r.with_values({"drying": {"temperature_c": 5, "rh_percent": 5, "hours": 5}}) \
        .drying == Schedule.constant(5, 5, 5)


def test_with_values_errors():
    r = load_recipe("vietnam-raw")
    e = expect_with_values_error(r, {"drying.rh_percent": 120}, "120 is out of range",
                                 "allowed 0 to 100 %")
    assert e.field == "drying.rh_percent"
    expect_with_values_error(r, {"film.thicknes_um": 30}, "unknown field",
                             "did you mean 'thickness_um'?")
    expect_with_values_error(r, {"film.thickness_um.x": 1}, "is not a section")
    expect_with_values_error(r, {"state.water_percent": None}, "has no value")
    expect_with_values_error(r, {"": 1}, "dotted field name")
    expect_with_values_error(r, {"a..b": 1}, "dotted field name")
    expect_with_values_error(r, {3: 1}, "dotted field name")
    expect_with_values_error(r, [("film.thickness_um", 1)], "must be a mapping")


# ---------------------------------------------------------------------------
# Error cases from files: message names file, line, field and allowed range
# ---------------------------------------------------------------------------
def test_missing_file(tmp_path):
    p = tmp_path / "nope.yaml"
    e = expect_error(p, "file not found", file=p)
    assert e.line is None


def test_not_a_file(tmp_path):
    expect_error(tmp_path, "is a folder", file=tmp_path)


def test_empty_file(tmp_path):
    expect_error(write(tmp_path, ""), "the file is empty", "name, material, film, drying")


def test_not_utf8(tmp_path):
    p = tmp_path / "bin.yaml"
    p.write_bytes(b"name: t\nmaterial: \xff\xfe\n")
    expect_error(p, "not UTF-8", line=2, file=p)


def test_yaml_syntax_error(tmp_path):
    p = write(tmp_path, "name: t\nmaterial: japan\nfilm:\n  thickness_um: 76\n   x: 1\n")
    expect_error(p, "YAML syntax error", file=p, line=5)


def test_yaml_tab_indent(tmp_path):
    p = write(tmp_path, "name: t\n\tmaterial: japan\n")
    expect_error(p, "YAML syntax error", "tabs", line=2)


def test_yaml_unsafe_tag_is_refused(tmp_path):
    p = write(tmp_path, "name: !!python/object/apply:os.system ['echo hi']\n")
    expect_error(p, "cannot read this value", field="name", line=1)


def test_yaml_duplicate_key(tmp_path):
    p = write(tmp_path, VALID_YAML + "material: china\n")
    expect_error(p, "given twice (first on line 2)", field="material", line=9)


def test_yaml_recursive_alias(tmp_path):
    expect_error(write(tmp_path, "a: &x [*x]\n"), "recursive YAML alias", line=1)


def test_yaml_merge_key_refused(tmp_path):
    p = write(tmp_path, VALID_YAML + "base: &b {a: 1}\nother:\n  <<: *b\n")
    expect_error(p, "merge keys")


@pytest.mark.parametrize("text", ["- a\n- b\n", "just text\n", "42\n"])
def test_top_level_not_a_mapping(tmp_path, text):
    p = write(tmp_path, text)
    expect_error(p, "top level of a recipe must be a mapping", line=1, file=p)


def test_non_text_key(tmp_path):
    p = write(tmp_path, VALID_YAML + "7: x\n")
    expect_error(p, "keys must be text", "allowed keys here: name", line=9)


def test_unknown_key_top_level(tmp_path):
    p = write(tmp_path, VALID_YAML.replace("material:", "materail:"))
    expect_error(p, "unknown field", "did you mean 'material'?",
                 "allowed at the top level: name, name_vi, description, material, state, film, drying",
                 field="materail", line=2, file=p)


def test_unknown_key_nested(tmp_path):
    p = write(tmp_path, VALID_YAML.replace("  hours: 72", "  hours: 72\n  humidity: 3"))
    expect_error(p, "unknown field", "allowed in 'drying':", "rh_percent",
                 field="drying.humidity", line=9)


def test_unknown_key_without_close_match(tmp_path):
    p = write(tmp_path, VALID_YAML + "zzzzzz: 1\n")
    e = expect_error(p, "unknown field", field="zzzzzz", line=9)
    assert "did you mean" not in str(e)


def test_missing_required_key(tmp_path):
    p = write(tmp_path, VALID_YAML.replace("  rh_percent: 80\n", ""))
    expect_error(p, "missing required field 'drying.rh_percent'", "allowed 0 to 100 %",
                 "relative humidity", field="drying", line=5)


def test_missing_required_top_level(tmp_path):
    p = write(tmp_path, VALID_YAML.replace("name: test\n", ""))
    e = expect_error(p, "missing required field 'name'", file=p)
    assert e.line is None


def test_required_section_without_value(tmp_path):
    p = write(tmp_path, VALID_YAML.replace("film:\n  thickness_um: 76\n", "film:\n"))
    expect_error(p, "has no value", field="film", line=3)


def test_section_of_wrong_type(tmp_path):
    p = write(tmp_path, VALID_YAML.replace("film:\n  thickness_um: 76\n", "film: 76\n"))
    expect_error(p, "must be a mapping", "got the number 76", "thickness_um",
                 field="film", line=3)


def test_string_where_number_expected(tmp_path):
    p = write(tmp_path, VALID_YAML.replace("rh_percent: 80", "rh_percent: 80 %"))
    expect_error(p, "expected a number", "the text '80 %'", "write the number only",
                 "allowed 0 to 100 % (relative humidity of the air)",
                 field="drying.rh_percent", line=7, file=p)


def test_bool_is_not_a_number(tmp_path):
    p = write(tmp_path, VALID_YAML.replace("hours: 72", "hours: yes"))
    expect_error(p, "expected a number", "the boolean true",
                 "allowed more than 0 and at most 2000 h", field="drying.hours", line=8)


def test_number_where_text_expected(tmp_path):
    p = write(tmp_path, VALID_YAML.replace("name: test", "name: 1960"))
    expect_error(p, "expected text", "the number 1960", "put it in quotes",
                 field="name", line=1)


def test_empty_name(tmp_path):
    p = write(tmp_path, VALID_YAML.replace("name: test", "name: '  '"))
    expect_error(p, "must not be empty", field="name", line=1)


@pytest.mark.parametrize("value", [".nan", ".NaN"])
def test_nan(tmp_path, value):
    p = write(tmp_path, VALID_YAML.replace("thickness_um: 76", f"thickness_um: {value}"))
    expect_error(p, "NaN", "allowed 5 to 200 µm", field="film.thickness_um", line=4)


@pytest.mark.parametrize("value", [".inf", "-.inf"])
def test_infinity(tmp_path, value):
    p = write(tmp_path, VALID_YAML.replace("temperature_c: 25", f"temperature_c: {value}"))
    expect_error(p, "is out of range", "allowed -10 to 250 °C",
                 field="drying.temperature_c", line=6)


@pytest.mark.parametrize("old,new,field,line,allowed", [
    ("rh_percent: 80", "rh_percent: 120", "drying.rh_percent", 7, "allowed 0 to 100 %"),
    ("rh_percent: 80", "rh_percent: -0.1", "drying.rh_percent", 7, "allowed 0 to 100 %"),
    ("thickness_um: 76", "thickness_um: -5", "film.thickness_um", 4, "allowed 5 to 200 µm"),
    ("thickness_um: 76", "thickness_um: 4.99", "film.thickness_um", 4, "allowed 5 to 200 µm"),
    ("hours: 72", "hours: 0", "drying.hours", 8, "more than 0 and at most 2000 h"),
    ("hours: 72", "hours: 2000.5", "drying.hours", 8, "more than 0 and at most 2000 h"),
    ("temperature_c: 25", "temperature_c: 251", "drying.temperature_c", 6,
     "allowed -10 to 250 °C"),
    ("hours: 72", "hours: 72\n  air_speed_m_s: 11", "drying.air_speed_m_s", 9,
     "allowed 0 to 10 m/s"),
])
def test_out_of_range(tmp_path, old, new, field, line, allowed):
    p = write(tmp_path, VALID_YAML.replace(old, new))
    e = expect_error(p, "is out of range", allowed, field=field, line=line, file=p)
    assert str(e).startswith(f"{p}, line {line}, field '{field}': ")


def test_message_format_matches_the_documented_example(tmp_path):
    p = write(tmp_path, VALID_YAML.replace("rh_percent: 80", "rh_percent: 120"))
    with pytest.raises(RecipeError) as info:
        load_recipe(p)
    assert str(info.value) == (f"{p}, line 7, field 'drying.rh_percent': 120 is out of range; "
                               "allowed 0 to 100 % (relative humidity of the air)")


def test_range_edges_are_allowed():
    r = Recipe.from_dict(valid_dict(temperature_c=-10, rh_percent=100, hours=2000))
    assert r.drying.steps[0].rh_percent == 100.0
    Recipe.from_dict({**valid_dict(), "film": {"thickness_um": 5}})
    Recipe.from_dict({**valid_dict(), "film": {"thickness_um": 200}})


def test_unknown_material(tmp_path):
    p = write(tmp_path, VALID_YAML.replace("material: japan", "material: jpan"))
    expect_error(p, "'jpan' is not allowed", "did you mean 'japan'?",
                 "japan, china, vietnam, vietnam-rainy, vietnam-dry, myanmar, cashew", field="material",
                 line=2)


def test_state_without_water(tmp_path):
    p = write(tmp_path, VALID_YAML + "state:\n  monomer_percent: 50\n")
    expect_error(p, "missing required field 'state.water_percent'", "allowed 0 to 60 %",
                 field="state", line=9, file=p)


def test_state_out_of_range(tmp_path):
    p = write(tmp_path, VALID_YAML + "state:\n  water_percent: 61\n  monomer_percent: 50\n"
                                     "  droplet_um: 0.01\n")
    expect_error(p, "61 is out of range", "allowed 0 to 60 %", field="state.water_percent",
                 line=10)
    p = write(tmp_path, VALID_YAML + "state:\n  water_percent: 6\n  monomer_percent: 50\n"
                                     "  droplet_um: 0.01\n")
    expect_error(p, "0.01 is out of range", "allowed 0.1 to 50 µm", field="state.droplet_um",
                 line=12)


def test_drying_steps_and_simple_form_together(tmp_path):
    p = write(tmp_path, VALID_YAML + "  steps:\n    - {temperature_c: 25, rh_percent: 80, "
                                     "hours: 1}\n")
    expect_error(p, "cannot be combined with 'temperature_c'",
                 "'temperature_c/rh_percent/hours' or 'steps'", field="drying.steps", line=9)


def test_drying_empty(tmp_path):
    p = write(tmp_path, VALID_YAML.split("drying:")[0] + "drying: {}\n")
    expect_error(p, "incomplete", "'temperature_c/rh_percent/hours' or 'steps'",
                 field="drying", line=5)


def test_empty_steps_list(tmp_path):
    p = write(tmp_path, VALID_YAML.split("drying:")[0] + "drying:\n  steps: []\n")
    expect_error(p, "the list is empty", "at least 1", field="drying.steps", line=6)


def test_steps_not_a_list(tmp_path):
    p = write(tmp_path, VALID_YAML.split("drying:")[0] + "drying:\n  steps: 3\n")
    expect_error(p, "expected a list", field="drying.steps", line=6)


def test_bad_value_in_second_step(tmp_path):
    p = write(tmp_path, VALID_YAML.split("drying:")[0] + (
        "drying:\n"
        "  steps:\n"
        "    - temperature_c: 140\n"
        "      rh_percent: 10\n"
        "      hours: 1\n"
        "    - temperature_c: 25\n"
        "      rh_percent: 50\n"
        "      hours: 2\n"
        "      end_rh_percent: 101\n"))
    expect_error(p, "101 is out of range", "allowed 0 to 100 %",
                 field="drying.steps.1.end_rh_percent", line=13, file=p)


def test_step_missing_hours(tmp_path):
    p = write(tmp_path, VALID_YAML.split("drying:")[0] + (
        "drying:\n  steps:\n    - temperature_c: 140\n      rh_percent: 10\n"))
    expect_error(p, "missing required field 'drying.steps.0.hours'",
                 field="drying.steps.0", line=7)


def test_step_item_null(tmp_path):
    p = write(tmp_path, VALID_YAML.split("drying:")[0] + "drying:\n  steps:\n    -\n")
    expect_error(p, "list item has no value", field="drying.steps.0", line=7)


# ---------------------------------------------------------------------------
# Python dicts: same errors, file=None
# ---------------------------------------------------------------------------
@pytest.mark.parametrize("data,field,fragment", [
    (None, None, "must be a mapping"),
    ([1, 2], None, "must be a mapping"),
    ({**valid_dict(), "film": {"thickness_um": "76"}}, "film.thickness_um", "remove the quotes"),
    ({**valid_dict(), "film": {"thickness_um": True}}, "film.thickness_um", "boolean"),
    ({**valid_dict(), "film": {"thickness_um": math.nan}}, "film.thickness_um", "NaN"),
    ({**valid_dict(), "film": {"thickness_um": 10 ** 400}}, "film.thickness_um", "out of range"),
    ({**valid_dict(), "film": {"thickness_um": [76]}}, "film.thickness_um", "a list"),
    ({**valid_dict(), "extra": 1}, "extra", "unknown field"),
    ({**valid_dict(), 3: 1}, None, "keys must be text"),
    ({**valid_dict(), "state": {"water_percent": 3}}, "state", "'state.monomer_percent'"),
    (valid_dict(steps=[]), "drying.steps", "the list is empty"),
    (valid_dict(steps=[None]), "drying.steps.0", "no value"),
    (valid_dict(steps="abc"), "drying.steps", "expected a list"),
    (valid_dict(steps=[{"temperature_c": 1, "rh_percent": 1, "hours": 1}], temperature_c=1),
     "drying", "cannot be combined"),
    ({**valid_dict(), "material": 3}, "material", "expected one of"),
])
def test_dict_errors(data, field, fragment):
    e = expect_error(data, fragment)
    assert e.file is None and e.line is None
    if field is not None:
        assert field in (e.field or "")
    assert "line" not in str(e).split(":")[0]


def test_recipe_error_is_a_value_error():
    with pytest.raises(ValueError):
        Recipe.from_dict({})


# ---------------------------------------------------------------------------
# The schema itself
# ---------------------------------------------------------------------------
def test_schema_fields_are_documented():
    for path, f in schema.FIELDS.items():
        assert f.name == path
        assert f.doc and "\n" not in f.doc
        assert f.kind in validation.KINDS
        if f.kind in ("float", "int"):
            assert f.unit, path
            assert f.min is not None and f.max is not None, path


def test_schema_material_choices_follow_materials_module():
    from lacquersim.model import materials

    assert schema.FIELDS["material"].choices == materials.material_names()


def test_describe_schema_lists_every_field():
    text = schema.describe_schema()
    for f in schema.FIELDS.values():
        if f.key != "*":
            assert f.display_name in text
    assert "0 to 100 %" in text and "5 to 200 µm" in text


def test_field_lookup_helpers():
    assert schema.pattern_of("drying.steps.3.hours") == "drying.steps.*.hours"
    assert schema.field_for("drying.steps.3.hours").unit == "h"
    assert schema.field_for("nope") is None
    assert [f.key for f in schema.children("state")] == [
        "water_percent", "monomer_percent", "droplet_um", "laccase_percent"]
