"""The drying map (``lacquersim map``): stage times over temperature × humidity."""

from __future__ import annotations

import json
import math
import warnings

import numpy as np
import pandas as pd
import pytest

import lacquersim as ls
from lacquersim import cli
from lacquersim.errors import RecipeError
from lacquersim.studies import maps as dm
from conftest import error_message

CELLS = 10  # coarse film mesh: the tests compare runs with each other, not with data
T3, RH3 = [15.0, 25.0, 35.0], [40.0, 80.0, 95.0]


@pytest.fixture(scope="module")
def raw_map():
    return dm.drying_map("vietnam-raw", T3, RH3, n_cells=CELLS)


@pytest.fixture(scope="module")
def months():
    return dm.workshop_months("viet-tri")


def _constant(recipe, t, rh, hours=72.0):
    first = recipe.drying.steps[0]
    return recipe.with_values({"drying": {"temperature_c": t, "rh_percent": rh, "hours": hours,
                                          "air_speed_m_s": first.air_speed_m_s}})


# ---------------------------------------------------------------------------
# The table
# ---------------------------------------------------------------------------
def test_the_table_is_one_tidy_row_per_condition(raw_map):
    assert list(raw_map.columns) == list(dm.COLUMNS)
    assert len(raw_map) == 9
    assert list(raw_map.temperature_c) == [15.0] * 3 + [25.0] * 3 + [35.0] * 3
    assert list(raw_map.rh_percent) == RH3 * 3
    assert (raw_map.status == "ok").all()
    assert raw_map.attrs["horizon_h"] == 72.0 and raw_map.attrs["n_cells"] == CELLS
    finite = raw_map[[f"{s}_h" for s in ls.STAGES]].stack().dropna()
    assert ((finite > 0) & (finite <= 72.0)).all()


@pytest.mark.parametrize("name", ["vietnam-raw", "vietnam-kurome-phu-tho-july"])
def test_a_point_of_the_map_is_the_single_run_at_that_condition(name):
    """The batch kernel and simulate() run the same compiled integrator on the
    same prepared arrays, so they agree to round-off (bit for bit on this
    machine); 1e-9 relative leaves room for a different summation order of
    a parallel batch on other hardware, and is far below any physical
    meaning. The second recipe dries by the outdoor preset, which the map
    replaces by constant air."""
    table = dm.drying_map(name, [20.0, 30.0], [70.0, 85.0], n_cells=CELLS)
    recipe = ls.load_recipe(name)
    for row in table.itertuples(index=False):
        single = ls.simulate(_constant(recipe, row.temperature_c, row.rh_percent),
                             n_cells=CELLS).stages
        for stage in ls.STAGES:
            got, want = getattr(row, f"{stage}_h"), single[stage]
            if math.isnan(want):
                assert math.isnan(got), (row, stage)
            else:
                assert got == pytest.approx(want, rel=1e-9, abs=0.0), (row, stage)


def test_dry_air_slows_raw_laccol_or_stops_it(raw_map):
    at = raw_map.set_index(["temperature_c", "rh_percent"]).tack_free_h
    humid, dry = at[(25.0, 80.0)], at[(25.0, 40.0)]
    assert math.isfinite(humid)
    assert math.isnan(dry) or dry > humid


def test_the_air_speed_is_the_recipes():
    table = dm.drying_map("vietnam-kurome-phu-tho-july", [20.0, 30.0], [70.0, 85.0],
                          n_cells=CELLS)
    recipe = ls.load_recipe("vietnam-kurome-phu-tho-july")
    assert table.attrs["air_speed_m_s"] == recipe.drying.steps[0].air_speed_m_s


# ---------------------------------------------------------------------------
# Bad arguments name themselves
# ---------------------------------------------------------------------------
@pytest.mark.parametrize("kwargs, field, fragment", [
    ({"temperatures_c": [20.0, 300.0]}, "temperatures_c", "-10 to 250"),
    ({"temperatures_c": [20.0, float("nan")]}, "temperatures_c", "NaN"),
    ({"temperatures_c": []}, "temperatures_c", "at least 2"),
    ({"temperatures_c": [25.0, 25.0]}, "temperatures_c", "at least 2"),
    ({"temperatures_c": "20"}, "temperatures_c", "list of numbers"),
    ({"rh_percent": [50.0, 120.0]}, "rh_percent", "0 to 100"),
    ({"rh_percent": [80.0]}, "rh_percent", "at least 2"),
    ({"horizon_h": 0.0}, "horizon_h", ""),
    ({"horizon_h": 1e5}, "horizon_h", "2000"),
    ({"n_cells": 1}, "n_cells", "3"),
])
def test_bad_arguments_raise_naming_the_argument(kwargs, field, fragment):
    args = {"temperatures_c": T3, "rh_percent": RH3, "n_cells": CELLS, **kwargs}
    with pytest.raises(RecipeError) as info:
        dm.drying_map("vietnam-raw", **args)
    assert info.value.field == field
    assert fragment in str(info.value)


def test_a_multi_coat_recipe_is_refused():
    with pytest.raises(RecipeError) as info:
        dm.drying_map("vietnam-kneaded-3-coats", T3, RH3, n_cells=CELLS)
    assert info.value.field == "coats"


# ---------------------------------------------------------------------------
# The workshop's months
# ---------------------------------------------------------------------------
def test_workshop_months_hold_the_daily_cycle(months):
    assert list(months.month) == list(range(1, 13))
    for m in months.itertuples(index=False):
        assert len(m.cycle_t_c) == len(m.cycle_rh_percent) == 24
        assert m.t_min_c <= m.t_mean_c <= m.t_max_c
        assert min(m.cycle_t_c) == pytest.approx(m.t_min_c)  # 02:00
        assert max(m.cycle_t_c) == pytest.approx(m.t_max_c)  # 14:00
        assert m.rh_min_percent <= m.rh_mean_percent <= m.rh_max_percent <= 98.0
    # Phu Tho: cool winter, hot summer
    assert months.set_index("month").t_mean_c[7] > months.set_index("month").t_mean_c[1] + 8


def test_workshop_months_bad_station_and_period():
    with pytest.raises(RecipeError) as info:
        dm.workshop_months("hanoi")
    assert info.value.field == "station"
    with pytest.raises(RecipeError) as info:
        dm.workshop_months("viet-tri", (1950, 2000))
    assert info.value.field == "period"
    # Phu Ho has no humidity records in 1962: no month can be drawn from it
    with pytest.raises(RecipeError) as info:
        dm.workshop_months("phu-ho", (1962, 1962))
    assert info.value.field == "period" and "humidity" in str(info.value)


def test_reading_the_map_at_the_months(raw_map):
    on_nodes = pd.DataFrame({"month": [1, 2, 3, 4], "t_mean_c": [25.0, 20.0, 25.0, 50.0],
                             "rh_mean_percent": [80.0, 87.5, 60.0, 80.0]})
    read = dm.months_on_map(raw_map, on_nodes).set_index("month")
    at = raw_map.set_index(["temperature_c", "rh_percent"])
    # on a grid point: that point's time
    assert read.tack_free_h[1] == pytest.approx(at.tack_free_h[(25.0, 80.0)])
    # between four points: their bilinear mean
    want = np.mean([at.tack_free_h[(t, r)] for t in (15.0, 25.0) for r in (80.0, 95.0)])
    assert read.tack_free_h[2] == pytest.approx(want, nan_ok=True)
    # a square with a point that does not dry does not dry (as the map draws it)
    assert math.isnan(at.tack_free_h[(25.0, 40.0)]) and math.isfinite(at.tack_free_h[(25.0, 80.0)])
    assert math.isnan(read.tack_free_h[3])
    # outside the map: flagged, not "not dry"
    assert not read.on_map[4] and read.on_map[[1, 2, 3]].all()


# ---------------------------------------------------------------------------
# Figures
# ---------------------------------------------------------------------------
def test_the_maps_are_drawn_without_warnings(raw_map, months, tmp_path):
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        fig = dm.plot_drying_maps(raw_map, months=months)
        out = dm.save_figure(fig, tmp_path / "map.png", dpi=50)
        one = dm.plot_drying_map(raw_map, stage="dry_through", months=months, title="x")
        dm.save_figure(one, tmp_path / "one.svg")
    assert out.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert len(fig.axes) == 4  # two maps, two colour bars
    assert "not tack free within 72 h" in [t.get_text() for t in fig.axes[0].get_legend().texts]
    assert (tmp_path / "one.svg").stat().st_size > 0
    import matplotlib.pyplot as plt

    plt.close("all")


def test_plot_refuses_what_is_not_a_map(raw_map):
    with pytest.raises(RecipeError) as info:
        dm.plot_drying_map(raw_map, stage="dusty")
    assert info.value.field == "stage"
    with pytest.raises(RecipeError) as info:
        dm.plot_drying_map(raw_map.iloc[:-1])  # a grid point missing
    assert info.value.field == "table"


# ---------------------------------------------------------------------------
# The command
# ---------------------------------------------------------------------------
def test_map_command_writes_the_figure_and_a_summary(tmp_path, capsys):
    out = tmp_path / "m.png"
    assert cli.main(["map", "vietnam-raw", "--out", str(out), "--months", "--cells", "10"]) == 0
    text = capsys.readouterr().out
    assert out.read_bytes()[:4] == b"\x89PNG"
    assert "tack free within 8 h" in text and f"wrote {out}" in text
    assert "Viet Tri" in text
    assert all(len(line) <= 80 for line in text.splitlines()[1:])  # the first holds the path


def test_map_command_json_is_the_table(capsys):
    assert cli.main(["map", "vietnam-kneaded-60", "--json", "--cells", "10", "--horizon", "24",
                     "--station", "phu-ho", "--period", "2001-2010"]) == 0
    records = json.loads(capsys.readouterr().out)
    assert len(records) == len(dm.DEFAULT_TEMPERATURES_C) * len(dm.DEFAULT_RH_PERCENT)
    assert set(records[0]) == set(dm.COLUMNS)
    hours = [r["tack_free_h"] for r in records if r["tack_free_h"] is not None]
    assert hours and max(hours) <= 24.0
    assert any(r["tack_free_h"] is None for r in records)  # not NaN: JSON has none


@pytest.mark.parametrize("args, fragment", [
    (["--out", "m.xyz"], "--out"),
    (["--out", "no/such/folder/m.png"], "--out"),
    (["--station", "hanoi"], "--station"),
    (["--period", "1991-20x5"], "--period"),
    (["--period", "1950-1960"], "--period"),
    (["--horizon", "-1"], "--horizon"),
    (["--cells", "1"], "--cells"),
])
def test_map_command_bad_arguments_exit_2_naming_the_option(args, fragment, capsys):
    assert cli.main(["map", "vietnam-raw", *args]) == 2
    err = capsys.readouterr()
    assert err.out == ""
    assert fragment in error_message(err.err)


def test_map_command_refuses_a_multi_coat_recipe(capsys):
    assert cli.main(["map", "vietnam-kneaded-3-coats", "--cells", "10"]) == 2
    assert "coats" in capsys.readouterr().err
