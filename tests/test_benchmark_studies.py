"""The study benchmark's bookkeeping (benchmarks/studies.py): its bare-kernel
reference does the study's own solver work, its time breakdown adds up and
leaves the package as it found it, and its records hold what the report
needs. No wall-clock time is asserted."""

from __future__ import annotations

import importlib.util
import json
from pathlib import Path

import numpy as np
import pytest

pytest.importorskip("distributed")  # the records name the dask and distributed versions

ROOT = Path(__file__).resolve().parents[1]
_spec = importlib.util.spec_from_file_location("bench_studies", ROOT / "benchmarks" / "studies.py")
bs = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(bs)


@pytest.fixture(scope="module")
def small():
    from lacquersim.studies.sampling import sample

    study = bs.throughput_study(12)
    return study, sample(study)


def test_the_bare_kernel_runs_exactly_the_cases_evaluate_runs(small):
    from lacquersim.kernels import bdf
    from lacquersim.studies.execution import STAGE_COLUMNS, evaluate

    study, inputs = small
    table = evaluate(study, inputs)
    arrays = bs.kernel_arrays(bs.prepare_cases(study, inputs), study.rtol)
    assert arrays["Y0"].shape[0] == len(inputs)
    _, out = bs.run_kernel(arrays)
    assert bs.same_work(table, out)
    ok = out["status"] == bdf.OK
    assert ok.all()
    hours = out["stage_t"] / 3600.0
    stages = table.sort_values("case")[list(STAGE_COLUMNS)].to_numpy()
    np.testing.assert_array_equal(hours, stages)  # bit for bit: the same arrays, the same kernel
    out["stats"][0, bdf.S_STEPS] += 1
    assert not bs.same_work(table, out)


def test_the_breakdown_adds_up_and_restores_what_it_wrapped(small):
    import lacquersim.sim.prepared as prepared
    import lacquersim.sim.stages as stages
    import lacquersim.studies.cases as cases
    import lacquersim.studies.sampling as sampling
    from lacquersim.kernels import bdf
    from lacquersim.model.parameters import ParameterSet
    from lacquersim.model.recipe import Recipe

    def wrapped():
        return (bdf.integrate_batch, prepared.prepare, prepared._problem, cases.fast_arrays,
                stages.end_figures, sampling.sample, Recipe.__dict__["with_values"],
                ParameterSet.__dict__["with_overrides"])

    before = wrapped()
    study, _ = small
    parts = bs.breakdown(study)
    assert all(a is b for a, b in zip(before, wrapped()))
    total = parts.pop("total")
    assert all(np.isfinite(v) for v in parts.values())
    assert sum(parts.values()) == pytest.approx(total, rel=1e-9)
    assert 0 < parts["kernel (integrate_batch, in chunks)"] < total


def test_the_sobol_study_has_six_inputs_and_at_least_1e5_cases():
    st = bs.sobol_study(16_384)
    assert len(st.inputs) == 6 and st.n_cases == 16_384 * 8 >= 100_000
    assert st.recipe_ref == bs.RECIPE and st.n_cells == 50


def test_the_sobol_study_is_the_one_the_experiments_file_describes():
    path = ROOT / "experiments" / "studies" / "sobol-six-inputs.yaml"
    if not path.is_file():
        pytest.skip("no experiments/studies/sobol-six-inputs.yaml")
    from lacquersim.studies.definition import load_study

    st = load_study(path)
    mine = bs.sobol_study(st.n)
    assert (st.method, st.ranges, st.seed, st.n_cells, st.horizon_h, st.recipe_ref) == \
        (mine.method, mine.ranges, mine.seed, mine.n_cells, mine.horizon_h, mine.recipe_ref)


def test_a_run_appends_one_record_with_the_machine_and_the_numbers(tmp_path, monkeypatch):
    history = tmp_path / "history.jsonl"
    monkeypatch.setattr(bs, "HISTORY", history)
    rec = bs.main(["--cases", "16", "--repeat", "1", "--no-dask", "--no-sobol"])
    rec2 = bs.main(["--cases", "16", "--repeat", "1", "--no-dask", "--no-sobol"])
    lines = history.read_text().splitlines()
    assert len(lines) == 2
    stored = json.loads(lines[0])
    assert stored["commit"] == rec["commit"] and stored["commit"]
    m = stored["machine"]
    assert m["cores"] >= 1 and m["numba_threads"] >= 1 and m["cpu_model"]
    tp = stored["throughput"]
    assert tp["cases"] == 16 and tp["same_work"]
    assert set(tp["best_s"]) == {"kernel", "in_process"}
    assert tp["overhead"]["in_process"] == pytest.approx(
        tp["best_s"]["in_process"] / tp["best_s"]["kernel"] - 1)
    assert "evaluate, in-process" in bs.format_report(rec2)
