"""The parameter table and parameters by name: overrides, units, sets, sweeps."""

from __future__ import annotations

import pickle
import re

import numpy as np
import pytest

import lacquersim as ls
from lacquersim.model import units
from lacquersim.model.parameters import TABLE_FILE, ParameterSet, default_set, parameters
from lacquersim.model.problem import KERNEL_PARAMETERS, material_vector
from lacquersim.kernels import layout
from lacquersim.sweep import sweep

RAW = "vietnam-raw"


def stages(recipe=RAW, **kw):
    return ls.simulate(recipe, n_cells=15, rtol=1e-5, **kw).stages


def test_table_lists_every_parameter_with_unit_range_and_source():
    df = parameters()
    assert list(df.columns) == ["name", "section", "material", "value", "unit", "min", "max",
                                "source", "about"]
    assert df.source.str.len().min() > 0 and df.about.str.len().min() > 0
    assert ((df.value >= df["min"]) & (df.value <= df["max"])).all()
    for _, name in KERNEL_PARAMETERS:
        assert name in set(df.name)
    vn = parameters("vietnam")
    assert not vn.duplicated(["name", "material"]).any()
    assert set(vn.material) <= {"all", "vietnam", "linseed", "tung", "perilla", "epoxidised-soybean"}
    rainy = parameters("vietnam-rainy").set_index("name")
    assert rainy.loc["k_L", "material"] == "vietnam"        # built on vietnam
    assert rainy.loc["water_percent", "material"] == "vietnam-rainy"


def test_kernel_vector_comes_from_the_table_in_si():
    mat = ls.get_material("vietnam")
    state = dict(water_volume_fraction=0.3, droplet_um=10.0, monomer_percent=86.8, laccase_percent=100)
    p = material_vector(mat, state)
    assert p[layout.P_KL] == mat["k_L"] / 3600          # 1/h -> 1/s
    assert p[layout.P_EAD] == mat["Ea_d"] * 1000         # kJ/mol -> J/mol
    assert p[layout.P_TG1] == mat["Tg1"] + 273.15        # °C -> K
    assert p[layout.P_KA] == mat["K_a"] * 1e6            # 1/µm -> 1/m
    assert p[layout.P_D0] == 10.0 * 1e-6


def _edited_table(tmp_path, param, material, value):
    """A copy of the package's table with one material row of ``param`` set to ``value``."""
    text = TABLE_FILE.read_text(encoding="utf-8")
    block = re.search(rf"\n  {param}:\n(?:    .*\n)+", text)
    assert block, param
    body = block.group(0)
    row = rf"\n      {material}: \[[^\]]*\]"
    if re.search(row, body):
        new = re.sub(row, f"\n      {material}: [{value!r}, \"edited\"]", body)
    elif "    materials:\n" in body:
        new = body.replace("    materials:\n", f"    materials:\n      {material}: [{value!r}, \"edited\"]\n")
    else:
        new = body + f"    materials:\n      {material}: [{value!r}, \"edited\"]\n"
    path = tmp_path / "parameters.yaml"
    path.write_text(text.replace(body, new), encoding="utf-8")
    return path


@pytest.mark.parametrize("param,value,name", [
    ("k_d", 0.5, "vietnam.k_d"),           # the material has no row of its own yet
    ("k_L", 0.5, "vietnam.k_L"),           # the material's fitted row is replaced
    ("k_L", 0.5, "k_L"),                    # a plain name holds for every material
])
def test_overriding_by_name_equals_editing_the_table(tmp_path, param, value, name):
    edited = _edited_table(tmp_path, param, "vietnam", value)
    from_file = stages(parameters=str(edited))
    by_name = stages(parameters={name: value})
    assert from_file.equals(by_name)
    assert not by_name.equals(stages())  # the change matters


def test_overrides_with_units_and_precedence():
    pset = default_set().with_overrides({"k_L": "1e-4 1/s", "vietnam.Ea_d": (180000, "J/mol"),
                                         "Tg1": "350 K"})
    vn, jp = pset.resolved("vietnam"), pset.resolved("japan")
    assert vn["k_L"][0] == pytest.approx(0.36) and jp["k_L"][0] == pytest.approx(0.36)
    assert vn["Ea_d"][0] == 180.0 and jp["Ea_d"][0] == default_set().resolved("japan")["Ea_d"][0]
    assert pset.resolved("vietnam-dry")["Ea_d"][0] == 180.0  # built on vietnam
    assert vn["Tg1"][0] == pytest.approx(350 - 273.15)
    both = default_set().with_overrides({"k_L": 1.0, "vietnam.k_L": 2.0})
    assert both.resolved("vietnam")["k_L"][0] == 2.0 and both.resolved("china")["k_L"][0] == 1.0
    assert units.convert(1.0, "1/h", "1/min") == 1 / 60
    assert units.convert(25.0, "°C", "K") == 298.15 and units.convert(300.0, "K", "°C") == pytest.approx(26.85)
    with pytest.raises(ls.RecipeError, match="temperature difference in K"):
        default_set().with_overrides({"w_g": "5 °C"})


@pytest.mark.parametrize("overrides,field,fragment", [
    ({"k_Lx": 1}, "parameters.k_Lx", "did you mean 'k_L'"),
    ({"k_L": "3 kJ/mol"}, "parameters.k_L", "not a rate unit"),
    ({"k_L": -1}, "parameters.k_L", "allowed 0 to 100 1/h"),
    ({"k_L": float("nan")}, "parameters.k_L", "finite"),
    ({"k_L": True}, "parameters.k_L", "expected a number"),
    ({"k_L": "fast"}, "parameters.k_L", "such as '0.5 1/h'"),
    ({"k_L": "1 furlong"}, "parameters.k_L", "unknown unit"),
    ({"japan.evap_k": 0.01}, "parameters.japan.evap_k", "same for every material"),
    ({"mars.k_L": 1}, "parameters.mars.k_L", "not a material"),
    ({"linseed.k_L": 1}, "parameters.linseed.k_L", "not a material"),
    ({"vietnam.oil_k_S": 1}, "parameters.vietnam.oil_k_S", "not a oil"),
])
def test_bad_overrides_name_the_parameter_and_what_is_allowed(overrides, field, fragment):
    with pytest.raises(ls.RecipeError) as info:
        ls.prepare(RAW, parameters=overrides)
    assert info.value.field == field
    assert fragment in str(info.value) and "\n" not in str(info.value)


def test_parameters_argument_types():
    with pytest.raises(ls.RecipeError, match="mapping of name -> value"):
        ls.prepare(RAW, parameters=3.5)
    with pytest.raises(ls.RecipeError, match="bundled sets: default, starting-values"):
        ls.prepare(RAW, parameters="no-such-set")


def test_sets_save_load_and_pickle(tmp_path):
    pset = ParameterSet({"vietnam.k_L": "0.2 1/h", "oil_k_S": 0.03}, name="mine", provenance="a test")
    path = pset.save(tmp_path / "mine.yaml")
    again = ParameterSet.load(path)
    assert dict(again.overrides) == {"vietnam.k_L": 0.2, "oil_k_S": 0.03}
    assert again.oil("tung")["oil_k_S"] == 0.03
    assert "a test" in again.resolved("vietnam")["k_L"][2]
    res = ls.simulate(RAW, n_cells=10, parameters=again)
    back = pickle.loads(pickle.dumps(res))
    assert back.stages.equals(res.stages) and back.film.parameters.overrides == again.overrides
    bad = tmp_path / "bad.yaml"
    bad.write_text("parameters: [1, 2]\n")
    with pytest.raises(ls.RecipeError) as info:
        ParameterSet.load(bad)
    assert info.value.file == str(bad)
    named = tmp_path / "named.yaml"
    named.write_text("parameters: {k_Lx: 1}\n")
    with pytest.raises(ls.RecipeError) as info:
        ParameterSet.load(named)
    assert info.value.file == str(named) and info.value.field == "parameters.k_Lx"


def test_starting_values_set_is_the_pre_fit_model():
    start = ParameterSet.load("starting-values")
    assert start.resolved("vietnam")["k_L"][0] == 0.4
    assert start.resolved("japan")["k_L"] == default_set().resolved("japan")["k_L"]


def test_sweep_over_parameters_equals_single_runs():
    grid = sweep(RAW, {"parameters.vietnam.Ea_d": [150.0, 250.0], "film.thickness_um": [40.0]},
                 n_cells=15, rtol=1e-5)
    assert list(grid.columns[:2]) == ["parameters.vietnam.Ea_d", "film.thickness_um"]
    rec = ls.load_recipe(RAW).with_values({"film.thickness_um": 40.0})
    for _, row in grid.iterrows():
        one = stages(rec, parameters={"vietnam.Ea_d": row["parameters.vietnam.Ea_d"]})
        assert np.allclose(row[list(ls.STAGES)].to_numpy(float), one.to_numpy(), rtol=1e-12,
                           equal_nan=True)
    bad = sweep(RAW, {"parameters.k_L": [0.3, -1.0]}, n_cells=10)
    assert bad.status.iloc[0] == "ok" and bad.status.iloc[1].startswith("invalid")
    assert "allowed 0 to 100" in bad.status.iloc[1]
