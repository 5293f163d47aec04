"""Studies: sampling, evaluation, Parquet chunks, resuming, Dask.

The promises of :mod:`lacquersim.studies`: a grid's rows are the cases run
one by one; a study killed part way and resumed ends with the very table of
an uninterrupted run; a Dask cluster gives the same table as this process;
a bad study fails before anything runs, naming the field.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import lacquersim as ls
from lacquersim.cli import main
from lacquersim.errors import RecipeError
from lacquersim.studies.definition import Study, load_study
from lacquersim.studies.execution import OUTPUTS, STAGE_COLUMNS, evaluate
from lacquersim.studies.sampling import sample
from lacquersim.studies.store import read_results
from conftest import error_message

RECIPE = "vietnam-kneaded-60"
CELLS = 12


def _lhs(n=40, **kw):
    return Study.create(RECIPE, ranges={"drying.temperature_c": [15, 35], "drying.rh_percent": [40, 95],
                                        "parameters.k_L": [0.1, 1.0]},
                        method="lhs", n=n, seed=5, horizon_h=48, n_cells=CELLS, **kw)


def test_a_grid_is_its_cases_run_one_by_one():
    study = Study.create(RECIPE, grid={"film.thickness_um": [30, 90], "drying.rh_percent": [40, 60, 85],
                                       "parameters.k_L": [0.2, 0.6]}, horizon_h=48, n_cells=CELLS)
    df = evaluate(study)
    assert list(df.columns) == ["case", *study.inputs, *OUTPUTS]
    assert len(df) == 12 and (df["status"] == "ok").all()
    assert df[STAGE_COLUMNS[0]].isna().any() and df[STAGE_COLUMNS[-1]].notna().any()  # both kinds
    for case in df.to_dict("records"):
        rec = study.recipe.with_values({"film.thickness_um": case["film.thickness_um"],
                                        "drying.rh_percent": case["drying.rh_percent"]})
        res = ls.simulate(rec, n_cells=CELLS, parameters={"k_L": case["parameters.k_L"]})
        got = np.array([case[c] for c in STAGE_COLUMNS])
        np.testing.assert_allclose(got, res.stages.to_numpy(), rtol=1e-10, atol=0)
        assert case["final_tg_minus_t_c"] == pytest.approx(res.summary()["final_tg_minus_t_c"], rel=1e-9)
        first_missing = next((v for v in res.reasons if v), "")
        assert case["reason"].endswith(first_missing)


def test_the_sample_is_reproducible_and_its_size_is_the_contract():
    ranges = {"drying.temperature_c": [15, 35], "drying.rh_percent": [40, 95],
              "film.thickness_um": [30, 90]}
    for method, n, cases in (("lhs", 10, 10), ("sobol", 8, 8 * 5), ("morris", 4, 4 * 4)):
        s = Study.create(RECIPE, ranges=ranges, method=method, n=n, seed=3)
        a, b = sample(s), sample(s)
        assert len(a) == s.n_cases == cases
        pd.testing.assert_frame_equal(a, b)
        lo = np.array([r[0] for r in s.ranges.values()])
        hi = np.array([r[1] for r in s.ranges.values()])
        assert ((a.to_numpy() >= lo) & (a.to_numpy() <= hi)).all()
    coated = ls.load_recipe(RECIPE).with_values({"coats": {"count": 2, "interval_hours": 12}})
    counts = sample(Study.create(coated, ranges={"coats.count": [1, 3]}, method="lhs", n=20))
    assert counts["coats.count"].dtype == np.int64  # a whole-number field stays whole
    assert set(counts["coats.count"]) <= {1, 2, 3}


def test_chunks_and_parquet_give_the_table_of_one_run(tmp_path):
    study = _lhs()
    whole = evaluate(study)
    assert len(whole) == 40
    pd.testing.assert_frame_equal(evaluate(study, chunk_size=7), whole)
    out = tmp_path / "r.parquet"
    pd.testing.assert_frame_equal(evaluate(study, out=out, chunk_size=9), whole)
    table, meta = read_results(out)
    pd.testing.assert_frame_equal(table, whole)
    assert meta["definition"] == study.definition() and meta["version"] == ls.__version__
    assert meta["parameters"]["values"]["k_L"] > 0
    assert not (tmp_path / "r.parquet.parts").exists()


def test_an_invalid_combination_is_a_row_not_a_crash():
    # each value fits the base recipe; three coats 20 h apart do not fit 30 h of drying
    coated = ls.load_recipe(RECIPE).with_values({"coats": {"count": 1, "interval_hours": 5},
                                                 "drying.hours": 30})
    study = Study.create(coated, grid={"coats.count": [1, 3], "coats.interval_hours": [5, 20]},
                         n_cells=CELLS)
    df = evaluate(study)
    assert list(df.status[:3]) == ["ok"] * 3
    assert df.status[3].startswith("invalid") and "coats.interval_hours" in df.status[3]
    assert df.loc[3, list(STAGE_COLUMNS)].isna().all()


def test_resume_refuses_another_study(tmp_path):
    out = tmp_path / "r.parquet"
    evaluate(_lhs(n=10), out=out)
    with pytest.raises(RecipeError, match="already exists"):
        evaluate(_lhs(n=10), out=out)
    with pytest.raises(RecipeError, match="differs in: .*n") as e:
        evaluate(_lhs(n=12), out=out, resume=True)
    assert e.value.field == "out"
    pd.testing.assert_frame_equal(evaluate(_lhs(n=10), out=out, resume=True), evaluate(_lhs(n=10)))


def _study_file(tmp_path, n=600, method="lhs"):
    f = tmp_path / "study.yaml"
    f.write_text(f"recipe: {RECIPE}\nhorizon_h: 48\nn_cells: {CELLS}\n"
                 f"sample: {{method: {method}, n: {n}, seed: 11}}\n"
                 "ranges:\n  drying.temperature_c: [15, 35]\n  drying.rh_percent: [40, 95]\n"
                 "  film.thickness_um: [30, 90]\n", encoding="utf-8")
    return f


def test_a_killed_study_resumes_to_the_same_table(tmp_path):
    f = _study_file(tmp_path)
    out = tmp_path / "r.parquet"
    parts = tmp_path / "r.parquet.parts"
    cmd = [sys.executable, "-m", "lacquersim", "sweep", str(f), "--out", str(out), "--json",
           "--chunk-size", "20", "--workers", "1"]
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    deadline = time.monotonic() + 240
    try:
        while len(list(parts.glob("part-*.parquet"))) < 3:  # killed after a few chunks
            assert proc.poll() is None, proc.stderr.read().decode()
            assert time.monotonic() < deadline, "the study did not start"
            time.sleep(0.02)
    finally:
        proc.send_signal(signal.SIGKILL)
        proc.wait()
    assert not out.exists()
    stored = sum(len(pd.read_parquet(p)) for p in parts.glob("part-*.parquet"))
    assert 0 < stored < 600
    assert main(["sweep", str(f), "--out", str(out), "--resume", "--json"]) == 0
    resumed = read_results(out)[0]
    whole = evaluate(load_study(f))
    pd.testing.assert_frame_equal(resumed, whole)


def test_resume_runs_only_the_missing_cases(tmp_path):
    f = _study_file(tmp_path, n=50)
    out = tmp_path / "r.parquet"
    study = load_study(f)
    calls = []

    class Stop(Exception):
        pass

    def stop_after_two(done, total):
        calls.append(done)
        if len(calls) == 2:
            raise Stop

    with pytest.raises(Stop):
        evaluate(study, out=out, chunk_size=10, progress=stop_after_two)
    progress = []
    df = evaluate(study, out=out, resume=True, chunk_size=10,
                  progress=lambda done, total: progress.append(done))
    assert progress == [30, 40, 50]  # 20 stored, three chunks run
    pd.testing.assert_frame_equal(df, evaluate(study))


def test_dask_local_cluster_gives_the_same_table():
    distributed = pytest.importorskip("distributed")
    study = _lhs(n=60)
    here = evaluate(study)
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                                  dashboard_address=None) as cluster, distributed.Client(cluster) as client:
        there = evaluate(study, executor=client, chunk_size=16)
    pd.testing.assert_frame_equal(there, here)


@pytest.mark.parametrize("text, field, words", [
    ("grid: {film.thickness: [30, 60]}", "grid.film.thickness", "did you mean 'thickness_um'"),
    ("grid: {parameters.k_Q: [1]}", "grid.parameters.k_Q", "unknown parameter"),
    ("grid: {}", "grid", "non-empty"),
    ("grid: {film.thickness_um: []}", "grid.film.thickness_um", "non-empty list"),
    ("grid: {drying.rh_percent: [50, 120]}", "grid.drying.rh_percent", "allowed 0 to 100"),
    ("sample: {method: sobol, n: 100}\nranges: {drying.rh_percent: [50, 90]}", "sample.n",
     "not a power of 2"),
    ("sample: {method: lhs, n: 10}\nranges: {drying.rh_percent: [50, 120]}", "ranges.drying.rh_percent",
     "allowed 0 to 100"),
    ("sample: {method: lhs, n: 10}\nranges: {parameters.k_L: [0.1, 1e9]}", "ranges.parameters.k_L",
     "allowed"),
    ("sample: {method: lhs, n: 10}\nranges: {drying.rh_percent: [90, 50]}", "ranges.drying.rh_percent",
     "below high"),
    ("sample: {method: latin, n: 10}\nranges: {drying.rh_percent: [50, 90]}", "sample.method",
     "lhs, sobol, morris"),
    ("sample: {method: lhs}\nranges: {drying.rh_percent: [50, 90]}", "sample.n", "missing"),
    ("ranges: {drying.rh_percent: [50, 90]}", "sample", "need a 'sample"),
    ("sample: {method: lhs, n: 10}\nranges: {material: [1, 2]}", "ranges.material", ""),
    ("grid: {film.thickness_um: [30]}\nhorizon: 3", "horizon", "unknown key"),
])
def test_a_bad_study_fails_before_anything_runs(tmp_path, monkeypatch, capsys, text, field, words):
    import lacquersim.sim.batch as batch

    def no_run(*a, **k):
        raise AssertionError("a simulation ran")

    monkeypatch.setattr(batch, "run_prepared", no_run)
    f = tmp_path / "bad.yaml"
    f.write_text(f"recipe: {RECIPE}\n{text}\n", encoding="utf-8")
    with pytest.raises(RecipeError) as e:
        load_study(f)
    assert e.value.field == field and e.value.file == str(f)
    assert words in e.value.problem
    out = tmp_path / "r.parquet"
    assert main(["sweep", str(f), "--out", str(out)]) == 2
    err = capsys.readouterr().err
    error_message(err)
    assert not out.exists() and not (tmp_path / "r.parquet.parts").exists()


def test_bad_arguments_name_themselves(tmp_path):
    study = _lhs(n=4)
    for kw, field in (({"executor": "spark"}, "executor"), ({"workers": 0}, "workers"),
                      ({"chunk_size": 0}, "chunk_size"), ({"resume": True}, "resume"),
                      ({"out": tmp_path / "r.csv"}, "out"), ({"out": tmp_path / "no" / "r.parquet"}, "out")):
        with pytest.raises(RecipeError) as e:
            evaluate(study, **kw)
        assert e.value.field == field
    with pytest.raises(RecipeError, match="expected a Study"):
        evaluate("vietnam-raw")
    with pytest.raises(RecipeError) as e:
        Study.create(RECIPE, grid={"drying.hours": [5]}, horizon_h=-1)
    assert e.value.field == "horizon_h"


def test_cli_sweep_prints_a_summary_in_80_columns(tmp_path, capsys, monkeypatch):
    f = _study_file(tmp_path, n=30)
    monkeypatch.chdir(tmp_path)  # short paths: a path is never broken
    assert main(["sweep", "study.yaml", "--out", "r.parquet"]) == 0
    out = capsys.readouterr().out
    assert "30 cases" in out and "tack free" in out and "wrote" in out
    assert max(len(line) for line in out.splitlines()) <= 80


def test_the_package_exports_functions_even_after_its_modules_are_imported():
    import types

    import lacquersim.studies.execution  # noqa: F401
    import lacquersim.studies.maps  # noqa: F401
    from lacquersim.studies import analyse, drying_map, evaluate, sample

    for f in (analyse, drying_map, evaluate, sample):
        assert callable(f) and not isinstance(f, types.ModuleType)


@pytest.mark.parametrize("ranges", [
    {"drying.temperature_c": [10, 40], "drying.rh_percent": [35, 95], "film.thickness_um": [20, 120],
     "parameters.k_L": [0.1, 1.0]},
    {"drying.hours": [2, 30], "drying.air_speed_m_s": [0, 2], "parameters.vietnam.Ea_d": [150, 300]},
])
def test_the_fast_path_gives_the_table_of_cases_prepared_one_by_one(ranges):
    from lacquersim.studies.cases import plan
    from lacquersim.studies.execution import run_cases

    study = Study.create(RECIPE, ranges=ranges, method="lhs", n=60, seed=9, horizon_h=48,
                         n_cells=CELLS)
    assert plan(study) is not None
    cases = sample(study)
    fast = run_cases(study, cases)
    assert (fast.reason != "").any() and (fast.reason == "").any()
    pd.testing.assert_frame_equal(fast, run_cases(study, cases, fast=False))


def test_other_inputs_take_the_general_path():
    from lacquersim.studies.cases import plan

    for ranges in ({"state.water_percent": [5, 20]}, {"parameters.alpha_gel": [0.3, 0.6]},
                   {"parameters.lipid_percent": [40, 60]}):
        study = Study.create(RECIPE, ranges=ranges, method="lhs", n=4, horizon_h=24, n_cells=CELLS)
        assert plan(study) is None, ranges
    outdoor = Study.create("vietnam-kurome-phu-tho-july", ranges={"film.thickness_um": [30, 60]},
                           method="lhs", n=4, n_cells=CELLS)
    assert plan(outdoor) is None  # a schedule of its own
