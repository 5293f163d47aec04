"""The 90 % band of stage times over the parameter ensemble (API and CLI)."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

import lacquersim as ls
from lacquersim.cli import main
from lacquersim.model.parameters import ParameterTable, default_set
from lacquersim.sim.band import stage_band

from conftest import make_recipe

N = 20


@pytest.fixture(scope="module")
def raw_band():
    return stage_band(make_recipe(), n_cells=N, rtol=1e-5)


def test_band_brackets_its_median_and_has_width(raw_band):
    b = raw_band
    assert list(b.columns) == ["low_h", "median_h", "high_h", "reached"]
    assert list(b.index) == list(ls.STAGES)
    assert (b.low_h <= b.median_h).all() and (b.median_h <= b.high_h).all()
    assert (b.reached == 1.0).all()
    assert (b.high_h / b.low_h > 1.02).all()  # the fit leaves real uncertainty


def test_fixing_every_fitted_parameter_collapses_the_band():
    members = default_set().table.ensemble()
    fixed = members.iloc[0].to_dict()
    b = stage_band(make_recipe(), n_cells=N, rtol=1e-5, parameters=fixed, members=6)
    best = ls.simulate(make_recipe(), n_cells=N, rtol=1e-5).stages
    assert np.allclose(b.low_h, b.high_h, rtol=1e-9)
    assert np.allclose(b.median_h, best.to_numpy(), rtol=1e-3)


def test_band_counts_members_that_never_reach_a_stage():
    # at 2 °C nothing becomes tack free within a day under any member
    b = stage_band(make_recipe(temperature_c=2.0, hours=24.0), n_cells=N, rtol=1e-5, members=6)
    assert b.at["tack_free", "reached"] == 0.0
    assert np.isnan(b.at["tack_free", "low_h"]) and b.at["tack_free", "high_h"] == np.inf


@pytest.mark.parametrize("kw, field", [({"level": 1.2}, "level"), ({"level": True}, "level"),
                                       ({"members": 1}, "members"), ({"rtol": 0.5}, "rtol")])
def test_bad_band_arguments_are_named(kw, field):
    with pytest.raises(ls.RecipeError) as e:
        stage_band(make_recipe(), **kw)
    assert e.value.field == field


def test_a_broken_ensemble_file_is_named(tmp_path):
    table = default_set().table
    bad = tmp_path / "ensemble.csv"
    bad.write_text("k_d,vietnam.k_L\n-1,0.3\n", encoding="utf-8")
    t = ParameterTable.__new__(ParameterTable)
    t.__dict__.update(table.__dict__)
    t.path, t._ensemble = tmp_path / "parameters.yaml", None
    with pytest.raises(ls.RecipeError) as e:
        t.ensemble()
    assert "ensemble.csv" in str(e.value.file) and "k_d" in str(e.value)


def test_cli_run_shows_the_band(capsys):
    assert main(["run", "vietnam-raw", "--cells", str(N)]) == 0
    out = capsys.readouterr().out
    assert "90 % band:" in out and max(len(line) for line in out.splitlines()) <= 80
    assert main(["run", "vietnam-raw", "--cells", str(N), "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    lo, hi = data["band_90_h"]["dry_hard"]
    assert lo <= data["stages_h"]["dry_hard"] <= hi or lo < hi
    assert main(["run", "vietnam-raw", "--cells", str(N), "--no-band"]) == 0
    assert "90 % band" not in capsys.readouterr().out


def test_band_is_a_dataframe_even_without_an_ensemble(monkeypatch):
    monkeypatch.setattr(ParameterTable, "ensemble", lambda self: None)
    b = stage_band(make_recipe(), n_cells=N)
    assert isinstance(b, pd.DataFrame) and b.empty
