"""Multi-coat builds: each coat's stages, and early recoating raising the wrinkle index."""

from __future__ import annotations

import numpy as np
import pytest

import lacquersim as ls
from lacquersim.sim.coats import simulate_coats
from lacquersim.sim.prepared import prepare

from conftest import make_recipe


def test_each_coat_reports_its_stages():
    rec = make_recipe(material="vietnam", thickness_um=50, hours=80)
    b = simulate_coats(prepare(rec, n_cells=20), 3, 24)
    cs = b.coat_stages
    assert list(cs.index) == [1, 2, 3]
    np.testing.assert_allclose(cs.applied_h, [0, 24, 48])
    assert cs[list(ls.STAGES)].notna().all().all()
    # stages are timed from each coat's own application and ordered
    assert (cs.set_to_touch < 24).all()
    assert (np.diff(cs[list(ls.STAGES)].to_numpy(), axis=1) >= 0).all()
    # one coat alone behaves like the single-coat simulation
    single = ls.simulate(rec.with_values({"drying.hours": 24.0}), n_cells=20).stages
    np.testing.assert_allclose(cs.loc[1, list(ls.STAGES)].to_numpy(float), single.to_numpy(), rtol=1e-6)
    assert b.summary()["coats"][2]["coat"] == 3
    assert b.stages.equals(b.coats[-1].stages)


def test_recoat_before_dry_hard_raises_wrinkle_index():
    rec = make_recipe(material="vietnam", thickness_um=76, hours=120)
    for n in (20, 40):
        early = simulate_coats(prepare(rec, n_cells=n), 2, 6)   # first coat dry-hard at ≈ 10.5 h
        late = simulate_coats(prepare(rec, n_cells=n), 2, 24)
        assert np.isnan(early.coat_stages.loc[1, "dry_hard"])
        assert "next coat" in early.coat_stages.loc[1, "reason"]
        assert late.coat_stages.loc[1, "dry_hard"] < 24
        w_early = early.coat_stages.loc[2, "wrinkle_index"]
        w_late = late.coat_stages.loc[2, "wrinkle_index"]
        assert w_early > 1.4 * w_late, (n, w_early, w_late)


def test_build_validation():
    rec = make_recipe(material="vietnam", hours=24)
    with pytest.raises(ls.RecipeError, match="schedule lasts only"):
        simulate_coats(prepare(rec), 3, 12)
    with pytest.raises(ls.RecipeError, match="> 0 h"):
        simulate_coats(prepare(rec), 2, 0)


def test_recipe_with_coats_round_trips_and_simulates():
    rec = ls.load_recipe("vietnam-kneaded-3-coats")
    assert rec.coats.count == 3 and rec.coats.interval_hours == 24
    assert ls.Recipe.from_dict(rec.to_dict(), source=rec.source) == rec
    res = ls.simulate(rec, n_cells=15)
    assert list(res.coat_stages.index) == [1, 2, 3]
    assert res.stages.equals(res.coats[-1].stages)
    assert [c["coat"] for c in res.summary()["coats"]] == [1, 2, 3]


def test_coats_that_outlast_the_schedule_are_a_recipe_error():
    d = ls.load_recipe("vietnam-kneaded-3-coats").to_dict()
    d["coats"] = {"count": 5, "interval_hours": 24}
    with pytest.raises(ls.RecipeError) as ei:
        ls.Recipe.from_dict(d)
    assert ei.value.field == "coats.interval_hours" and "96" in str(ei.value)
    d["coats"] = {"count": 0, "interval_hours": 24}
    with pytest.raises(ls.RecipeError, match="coats.count"):
        ls.Recipe.from_dict(d)


def test_build_figures_say_whole_build_or_coat():
    """A build's end-of-schedule figures: the whole build, and each coat's own."""
    import pandas as pd

    b = ls.simulate("vietnam-kneaded-3-coats", n_cells=10)
    fig = b.figures
    assert isinstance(fig, pd.DataFrame)
    assert list(fig.index) == ["whole build", "coat 1", "coat 2", "coat 3"]
    conv = fig.catechol_converted_percent
    # equal coats: the build's conversion is the mean of its coats'; the
    # undercoat, oldest, has converted the most
    assert conv["whole build"] == pytest.approx(conv.drop("whole build").mean(), rel=1e-9)
    assert conv["coat 1"] > conv["coat 3"]
    water = fig.water_left_percent
    assert water["whole build"] == pytest.approx(water.drop("whole build").mean(), rel=1e-9)
    # the air surface is the top coat's
    assert fig.final_tg_minus_t_c["whole build"] == pytest.approx(fig.final_tg_minus_t_c["coat 3"])
    assert fig.wrinkle_index["whole build"] == pytest.approx(b.wrinkle_index)
    s = b.summary()
    assert s["figures_of"] == "whole build" and s["stages_of"] == "top coat"
    assert s["catechol_converted_percent"] == pytest.approx(conv["whole build"])
    for row in s["coats"]:
        c = f"coat {row['coat']}"
        assert row["catechol_converted_percent"] == pytest.approx(conv[c])
        assert row["water_left_percent"] == pytest.approx(water[c])
    # a single coat's figures are those of its summary
    one = ls.simulate("vietnam-kneaded-60", n_cells=10)
    assert one.figures["catechol_converted_percent"] == pytest.approx(
        one.summary()["catechol_converted_percent"])
