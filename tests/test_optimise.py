"""The optimiser's search: it finds known optima, is reproducible and resumable.

The search core (:func:`~lacquersim.optimise.search.run_search`) is checked
on analytic problems whose fronts are known; :func:`optimise` on a small
recipe space whose answer a brute-force grid gives, for a same-seed rerun,
and for a run killed part way and resumed.
"""

from __future__ import annotations

import signal
import subprocess
import sys
import time
from dataclasses import replace
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

pytest.importorskip("pymoo")

from lacquersim.errors import RecipeError  # noqa: E402
from lacquersim.optimise.scoring import Scorer  # noqa: E402
from lacquersim.optimise.search import optimise, run_search  # noqa: E402
from lacquersim.optimise.space import Variable, build_space, load_space  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
STUDY = ROOT / "experiments" / "optimise" / "phu-tho-laccol.yaml"


def _front_x(algorithm):
    return [dict(ind.X) for ind in algorithm.opt]


def test_the_search_finds_an_analytic_pareto_front():
    # f1 = x² + p, f2 = (x − 2)² + p with p = (n − 3)² + [c ≠ "b"]:
    # the front is n = 3, c = "b", x in [0, 2]
    variables = [Variable("x", low=-5.0, high=5.0), Variable("n", low=0, high=8, integer=True),
                 Variable("c", choices=("a", "b", "c"))]

    def evaluate(xs):
        x = np.array([d["x"] for d in xs])
        p = np.array([(d["n"] - 3) ** 2 + (d["c"] != "b") for d in xs], dtype=float)
        return np.c_[x ** 2 + p, (x - 2) ** 2 + p], np.zeros((len(xs), 1))

    alg = run_search(variables, evaluate, 2, 1, population=40, budget=2000, seed=4)
    front = _front_x(alg)
    assert len(front) >= 20
    assert all(d["n"] == 3 and d["c"] == "b" for d in front)
    x = np.array([d["x"] for d in front])
    assert x.min() > -0.05 and x.max() < 2.05
    assert x.max() - x.min() > 1.8  # spread along the front, not one point


def test_the_search_respects_constraints_on_an_analytic_problem():
    # min (x, y) subject to x + y >= 1: front x + y = 1, x in [0, 1]
    variables = [Variable("x", low=0.0, high=1.0), Variable("y", low=0.0, high=1.0)]

    def evaluate(xs):
        x = np.array([d["x"] for d in xs])
        y = np.array([d["y"] for d in xs])
        return np.c_[x, y], (1.0 - x - y)[:, None]

    front = _front_x(run_search(variables, evaluate, 2, 1, population=40, budget=2000, seed=2))
    s = np.array([d["x"] + d["y"] for d in front])
    assert np.all(s >= 1.0 - 1e-12) and np.all(s < 1.05) and np.median(s) < 1.02


def _small_space(**changes):
    """Two months, coarse film: a space whose every candidate can be run."""
    data = {
        "name": "small", "base": "vietnam-hybrid-linseed", "hours": 72,
        "climate": {"station": "viet-tri", "months": [1, 7]},
        "competitor": {"recipe": "cashew-workshop"},
        "variables": {"film.thickness_um": {"low": 30, "high": 70, "integer": True}},
        "practice": {"kind": {"choices": ["workshop", "humid_cabinet", "heated_cabinet"]},
                     "rh_percent": 85, "temperature_c": 35},
        "n_cells": 10, "population": 12,
    }
    data.update(changes)
    return build_space(data)


def _pareto(F):
    keep = []
    for i in range(len(F)):
        dominated = np.any(np.all(F <= F[i], axis=1) & np.any(F < F[i], axis=1))
        if not dominated:
            keep.append(i)
    return keep


@pytest.mark.slow
def test_optimise_finds_the_brute_force_front_of_a_small_recipe_space():
    space = _small_space()
    grid = [{"film.thickness_um": t, "practice.kind": k}
            for t in range(30, 71) for k in ("workshop", "humid_cabinet", "heated_cabinet")]
    F, G, _ = Scorer(space).evaluate(grid)
    ok = np.all(G <= 0, axis=1)
    true = {tuple(grid[i].items()) for i in np.flatnonzero(ok)[_pareto(F[ok])]}
    res = optimise(space, budget=96, seed=3, band=False)  # fewer than the 123 in the grid
    found = {tuple({"film.thickness_um": int(r["film.thickness_um"]),
                    "practice.kind": r["practice.kind"]}.items())
             for _, r in res.front.iterrows()}
    assert res.feasible
    assert found <= true  # nothing off the true front
    assert len(found) >= 0.8 * len(true)


def test_the_same_seed_gives_the_same_front():
    space = _small_space()
    a = optimise(space, budget=36, seed=7, band=False)
    b = optimise(space, budget=36, seed=7, band=False)
    pd.testing.assert_frame_equal(a.front, b.front)
    c = optimise(space, budget=36, seed=8, band=False)
    assert not a.archive[space.names].equals(c.archive[space.names])


def test_an_interrupted_run_resumes_to_the_same_front(tmp_path):
    space = _small_space()
    whole = optimise(space, budget=48, seed=5, band=False)
    with pytest.raises(KeyboardInterrupt):
        optimise(space, budget=48, seed=5, out_dir=tmp_path / "run", stop_after=2, band=False)
    assert (tmp_path / "run" / "checkpoint.pkl").exists()
    seen = []
    resumed = optimise(space, budget=48, seed=5, out_dir=tmp_path / "run", resume=True, band=False,
                       progress=lambda done, total: seen.append(done))
    assert 12 < seen[0] < 48  # two generations were kept (duplicates are not re-scored)
    pd.testing.assert_frame_equal(resumed.front, whole.front)
    pd.testing.assert_frame_equal(resumed.archive, whole.archive)
    with pytest.raises(RecipeError, match="differs in: seed"):
        optimise(space, budget=48, seed=6, out_dir=tmp_path / "run", resume=True, band=False)
    with pytest.raises(RecipeError, match="holds a run"):
        optimise(space, budget=48, seed=5, out_dir=tmp_path / "run", band=False)


@pytest.mark.slow
def test_a_killed_cli_run_resumes_to_the_same_front(tmp_path):
    import yaml

    data = yaml.safe_load(STUDY.read_text(encoding="utf-8"))
    data.update({"population": 8, "n_cells": 10, "climate": {"station": "viet-tri", "months": [1, 7]}})
    f = tmp_path / "space.yaml"
    f.write_text(yaml.safe_dump(data), encoding="utf-8")
    out = tmp_path / "run"
    cmd = [sys.executable, "-m", "lacquersim", "optimise", str(f), "--budget", "160", "--seed", "2",
           "--out", str(out), "--no-band", "--json"]
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    deadline = time.monotonic() + 300
    try:
        ckpt = out / "checkpoint.pkl"
        while not ckpt.exists() or ckpt.stat().st_size == 0:
            assert proc.poll() is None, proc.stderr.read().decode()
            assert time.monotonic() < deadline
            time.sleep(0.01)
    finally:  # killed as soon as a generation is saved: part way through the next one
        proc.send_signal(signal.SIGKILL)
        proc.wait()
    assert not (out / "front.csv").exists()
    from lacquersim.cli import main

    assert main(["optimise", str(f), "--budget", "160", "--seed", "2", "--out", str(out), "--resume",
                 "--no-band", "--json"]) == 0
    resumed = pd.read_csv(out / "front.csv")
    whole = optimise(load_space(f), budget=160, seed=2, band=False)
    assert len(resumed) == len(whole.front)
    np.testing.assert_allclose(resumed["time_ratio"], whole.front["time_ratio"], rtol=1e-9)
    np.testing.assert_allclose(resumed["cost_vnd_m2"], whole.front["cost_vnd_m2"], rtol=1e-9)


def test_an_infeasible_space_returns_the_least_infeasible():
    space = _small_space(constraints={"wrinkle_max": 0.0, "hardness_min_k": 150})
    res = optimise(space, budget=24, seed=1)
    assert not res.feasible
    assert 0 < len(res.front) <= 10 and (res.front.cv > 0).all()
    assert (res.front.cv.diff().dropna() >= 0).all() or len(res.front) == 1


def test_the_band_check_marks_months_only_within_the_band():
    space = _small_space()
    res = optimise(space, budget=24, seed=1)
    assert {"band_ratio_high", "beats_months"} <= set(res.front.columns)
    b = res.band
    assert (b.ratio_high >= b.ratio_low).all()
    assert (b.beats == (b.ratio_high <= 1.0)).all()
    nominal = res.details.set_index(["candidate", "climate"]).time_ratio
    for r in b.itertuples():  # the nominal ratio lies within (or near) its band
        v = nominal[(r.candidate, r.climate)]
        assert r.ratio_low * 0.9 <= v <= r.ratio_high * 1.1


@pytest.mark.parametrize("changes, field", [
    ({"variables": {"film.thickness": {"low": 30, "high": 60}}}, "variables.film.thickness"),
    ({"variables": {"film.thickness_um": {"low": 30, "high": 900}}}, "variables.film.thickness_um"),
    ({"practice": {"kind": {"choices": ["workshop", "sauna"]}}}, "practice.kind"),
    ({"practice": {"rh_percent": 120}}, "practice.rh_percent"),
    ({"climate": {"months": [13]}}, "climate.months"),
    ({"climate": {"station": "hanoi"}}, "climate.station"),
    ({"constraints": {"wrinkle_limit": 1}}, "constraints.wrinkle_limit"),
    ({"prices": {"electricity": -1}}, "prices.electricity"),
    ({"competitor": {"tack_free_h": 5}}, "competitor"),
])
def test_a_bad_space_names_its_field(changes, field):
    with pytest.raises(RecipeError) as e:
        _small_space(**changes)
    assert e.value.field == field


def test_bad_arguments_name_themselves(tmp_path):
    space = _small_space()
    for kw, field in (({"budget": 3}, "budget"), ({"seed": -1}, "seed"),
                      ({"resume": True}, "resume"), ({"executor": "spark"}, "executor")):
        with pytest.raises(RecipeError) as e:
            optimise(space, **({"budget": 24} | kw), band=False)
        assert e.value.field == field


def test_years_extremes_adds_each_months_coldest_and_warmest_year():
    from lacquersim.model.climate import climate_records
    from lacquersim.optimise.scoring import climates

    # 120 h: in the coldest January (2011, 12 °C) the cashew competitor dries hard in ≈ 100 h
    space = _small_space(climate={"station": "viet-tri", "months": [1, 7], "years": "extremes",
                                  "score": {"quantile": 0.9}}, hours=120)
    cl = climates(space)
    rec = climate_records("viet-tri")
    for m in (1, 7):
        years = sorted(c.year for c in cl if c.month == m and c.year is not None)
        rows = rec[(rec.month == m) & rec.year.between(1991, 2015) & rec.rh_percent.notna()]
        assert years == sorted({int(rows.loc[rows.t_mean_c.idxmin(), "year"]),
                                int(rows.loc[rows.t_mean_c.idxmax(), "year"])})
        assert any(c.month == m and c.year is None for c in cl)  # and the normal
    res = optimise(space, budget=24, seed=1, band=False)
    assert res.details.climate.nunique() == len(cl)
    ratio = res.details[res.details.candidate == res.front.candidate[0]].time_ratio
    assert res.front.time_ratio[0] == pytest.approx(np.quantile(ratio, 0.9))
