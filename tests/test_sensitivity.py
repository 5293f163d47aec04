"""Sobol and Morris indices (lacquersim.studies.sensitivity) and `lacquersim sensitivity`."""

from __future__ import annotations

import io
import json
import math
import warnings

import numpy as np
import pandas as pd
import pytest

pytest.importorskip("SALib")

from lacquersim.cli import main  # noqa: E402
from lacquersim.errors import RecipeError  # noqa: E402
from lacquersim.studies.definition import Study  # noqa: E402
from lacquersim.studies.execution import evaluate  # noqa: E402
from lacquersim.studies.sampling import sample  # noqa: E402
from lacquersim.studies.sensitivity import (  # noqa: E402
    MORRIS_COLUMNS, SOBOL_COLUMNS, analyse, morris_indices, outputs, plot_sensitivity,
    sobol_indices)
from conftest import error_message  # noqa: E402

RECIPE = "vietnam-kneaded-60"
# dry air to damp air: at 48 h some coats are not tack free, so censoring is exercised
RANGES = {"drying.rh_percent": [50, 95], "drying.temperature_c": [15, 35],
          "film.thickness_um": [30, 90]}
HORIZON_H = 48.0


def _study(method="sobol", n=32, seed=1, **kw):
    return Study.create(RECIPE, ranges=RANGES, method=method, n=n, seed=seed,
                        horizon_h=HORIZON_H, n_cells=10, **kw)


@pytest.fixture(scope="module")
def sobol_run():
    study = _study()
    return study, evaluate(study)


@pytest.fixture(scope="module")
def morris_run():
    study = _study("morris", n=6)
    return study, evaluate(study)


# ---------------------------------------------------------------------------
# The plain layer, against functions whose indices are known
# ---------------------------------------------------------------------------
def _ishigami(x, a=7.0, b=0.1):
    return np.sin(x[:, 0]) + a * np.sin(x[:, 1]) ** 2 + b * x[:, 2] ** 4 * np.sin(x[:, 0])


def _ishigami_exact(a=7.0, b=0.1):
    """First- and total-order indices of the Ishigami function, analytically
    (Ishigami & Homma 1990; Sobol' & Levitan 1999): the variance splits into
    V1, V2 and the x1·x3 interaction V13; x3 acts only through it."""
    v1 = 0.5 * (1.0 + b * math.pi ** 4 / 5.0) ** 2
    v2 = a ** 2 / 8.0
    v13 = b ** 2 * math.pi ** 8 * (1.0 / 18.0 - 1.0 / 50.0)
    v = v1 + v2 + v13
    return np.array([v1, v2, 0.0]) / v, np.array([v1 + v13, v2, v13]) / v


def test_the_exact_ishigami_indices_are_the_published_ones():
    s1, st = _ishigami_exact()
    assert s1 == pytest.approx([0.3139, 0.4424, 0.0], abs=5e-5)
    assert st == pytest.approx([0.5576, 0.4424, 0.2437], abs=5e-5)


def test_sobol_indices_of_the_ishigami_function_match_the_known_values():
    import SALib.sample.sobol

    problem = {"num_vars": 3, "names": ["x1", "x2", "x3"], "bounds": [[-math.pi, math.pi]] * 3}
    x = SALib.sample.sobol.sample(problem, 2048, calc_second_order=False, seed=3)
    si = sobol_indices(problem, _ishigami(x), seed=3)
    assert list(si.columns) == list(SOBOL_COLUMNS)
    assert list(si.index) == ["x1", "x2", "x3"]
    s1, st = _ishigami_exact()
    for col, exact in (("S1", s1), ("ST", st)):
        err = np.abs(si[col].to_numpy() - exact)
        assert (err < 0.05).all(), (col, si[col].tolist(), exact)
        # the exact value lies within the returned confidence interval
        assert (err <= si[f"{col}_conf"].to_numpy()).all(), (col, err, si[f"{col}_conf"].tolist())
    # the same seed gives the same intervals
    again = sobol_indices(problem, _ishigami(x), seed=3)
    pd.testing.assert_frame_equal(si, again)


def test_morris_mu_star_of_a_linear_function_is_the_coefficient_times_the_range():
    import SALib.sample.morris

    coef = np.array([3.0, -0.5, 0.0])
    problem = {"num_vars": 3, "names": ["a", "b", "c"], "bounds": [[0, 2], [10, 20], [-1, 1]]}
    x = SALib.sample.morris.sample(problem, 10, num_levels=4, seed=2)
    mi = morris_indices(problem, x, x @ coef, num_levels=4, seed=2)
    assert list(mi.columns) == list(MORRIS_COLUMNS)
    span = np.array([b[1] - b[0] for b in problem["bounds"]])
    np.testing.assert_allclose(mi["mu_star"], np.abs(coef) * span, atol=1e-12)
    np.testing.assert_allclose(mi["mu"], coef * span, atol=1e-12)
    np.testing.assert_allclose(mi["sigma"], 0.0, atol=1e-12)  # linear: every effect the same


def test_the_plain_layer_refuses_what_it_cannot_analyse():
    problem = {"num_vars": 2, "names": ["u", "v"], "bounds": [[0, 1], [0, 1]]}
    with pytest.raises(RecipeError, match="1 of 8 outputs are NaN") as e:
        sobol_indices(problem, [1.0, 2, 3, 4, 5, 6, 7, np.nan])
    assert e.value.field == "Y"
    with pytest.raises(RecipeError, match=r"N·4 cases"):
        sobol_indices(problem, np.arange(7.0))
    with pytest.raises(RecipeError, match="undefined"):
        sobol_indices(problem, np.ones(8))
    with pytest.raises(RecipeError, match="between 0 and 1") as e:
        sobol_indices(problem, np.arange(8.0), conf_level=95)
    assert e.value.field == "conf_level"
    with pytest.raises(RecipeError, match="shape") as e:
        morris_indices(problem, np.zeros((6, 3)), np.arange(6.0))
    assert e.value.field == "X"


# ---------------------------------------------------------------------------
# analyse() on a real study
# ---------------------------------------------------------------------------
def test_analyse_gives_sobol_indices_of_every_input(sobol_run):
    study, results = sobol_run
    si = analyse(study, results, "tack_free_h")
    assert list(si.index) == study.inputs
    assert list(si.columns) == list(SOBOL_COLUMNS)
    assert np.isfinite(si.to_numpy()).all()
    assert si.attrs["method"] == "sobol"
    assert si.attrs["output"] == "tack_free_h" and si.attrs["unit"] == "h"
    assert si.attrs["n_cases"] == len(results) == study.n_cases


def test_a_stage_not_reached_is_censored_at_the_horizon(sobol_run):
    study, results = sobol_run
    not_reached = int(results["tack_free_h"].isna().sum())
    assert 0 < not_reached < len(results), "the study is meant to leave some coats wet"
    si = analyse(study, results, "tack_free_h")
    assert si.attrs["censored"] == si.attrs["not_reached"] == not_reached
    assert si.attrs["horizon_h"] == HORIZON_H
    # the same as the plain layer on the table with NaN replaced by the horizon
    y = results["tack_free_h"].fillna(HORIZON_H).to_numpy()
    pd.testing.assert_frame_equal(si, sobol_indices(study.problem(), y, seed=study.seed))


def test_the_dries_indicator_needs_no_censoring(sobol_run):
    study, results = sobol_run
    si = analyse(study, results, "dries:tack_free_h")
    assert list(si.index) == study.inputs
    assert np.isfinite(si.to_numpy()).all()
    assert si.attrs["censored"] == 0
    assert si.attrs["not_reached"] == int(results["tack_free_h"].isna().sum())
    assert si.attrs["unit"] == ""


def test_other_outputs(sobol_run):
    study, results = sobol_run
    si = analyse(study, results, "final_tg_minus_t_c")
    assert np.isfinite(si.to_numpy()).all()
    assert si.attrs["unit"] == "K" and si.attrs["censored"] == 0
    # the wrinkle index is undefined where the film never set: refused, never a silent NaN
    unset = int(results["wrinkle_index"].isna().sum())
    if unset:
        with pytest.raises(RecipeError, match=f"undefined in {unset} of") as e:
            analyse(study, results, "wrinkle_index")
        assert e.value.field == "output"


def test_analyse_gives_morris_indices(morris_run):
    study, results = morris_run
    mi = analyse(study, results, "tack_free_h")
    assert list(mi.index) == study.inputs
    assert list(mi.columns) == list(MORRIS_COLUMNS)
    assert np.isfinite(mi.to_numpy()).all()
    assert (mi["mu_star"] >= mi["mu"].abs() - 1e-12).all()
    assert mi.attrs["method"] == "morris"
    assert mi.attrs["censored"] == int(results["tack_free_h"].isna().sum())


# ---------------------------------------------------------------------------
# What analyse() refuses
# ---------------------------------------------------------------------------
def test_an_unknown_output_lists_the_allowed_ones(sobol_run):
    study, results = sobol_run
    with pytest.raises(RecipeError, match="unknown output 'tackfree_h'") as e:
        analyse(study, results, "tackfree_h")
    assert e.value.field == "output"
    for name in outputs():
        assert name in e.value.problem
    with pytest.raises(RecipeError, match="unknown output"):
        analyse(study, results, "dries:wrinkle_index")


@pytest.mark.parametrize("kind", ["grid", "lhs"])
def test_a_grid_or_lhs_study_gives_no_indices(kind):
    if kind == "grid":
        study = Study.create(RECIPE, grid={"drying.rh_percent": [60, 80]}, horizon_h=HORIZON_H,
                             n_cells=10)
    else:
        study = _study("lhs", n=8)
    results = pd.DataFrame({"case": range(study.n_cases)})
    with pytest.raises(RecipeError, match=f"a '{kind}' study cannot give Sobol or Morris") as e:
        analyse(study, results)
    assert e.value.field == "sample.method"


def test_results_of_another_study_are_refused(sobol_run, morris_run):
    study, results = sobol_run
    other = _study(seed=2)  # same size, other cases
    with pytest.raises(RecipeError, match="another study") as e:
        analyse(other, results)
    assert e.value.field == "results"
    with pytest.raises(RecipeError, match="rows, but the study has"):
        analyse(study, morris_run[1])
    with pytest.raises(RecipeError, match="in order"):
        analyse(study, results.iloc[::-1].reset_index(drop=True))
    with pytest.raises(RecipeError, match="no column 'tack_free_h'"):
        analyse(study, results.drop(columns="tack_free_h"))


def test_cases_without_a_result_are_refused_whatever_the_output(sobol_run):
    study, results = sobol_run
    holes = results.copy()
    holes.loc[[5, 9], "status"] = "invalid: a made-up rule"
    for output in ("tack_free_h", "dries:tack_free_h"):
        with pytest.raises(RecipeError, match=r"2 of \d+ cases have no result \(first: case 5, "
                                              r"invalid: a made-up rule\)") as e:
            analyse(study, holes, output)
        assert e.value.field == "results"


def test_censoring_refused_counts_the_cases_not_reached(sobol_run):
    study, results = sobol_run
    n = int(results["tack_free_h"].isna().sum())
    with pytest.raises(RecipeError, match=f"{n} of {len(results)} cases did not reach tack "
                                          f"free within the horizon of 48 h") as e:
        analyse(study, results, "tack_free_h", censor="none")
    assert e.value.field == "censor"
    with pytest.raises(RecipeError, match="dropping .* not possible") as e:
        analyse(study, results, "tack_free_h", censor="drop")
    assert e.value.field == "censor"
    with pytest.raises(RecipeError, match="unknown censoring"):
        analyse(study, results, "tack_free_h", censor="zero")
    # an output that is not a stage time is never censored
    assert analyse(study, results, "final_tg_minus_t_c", censor="none").attrs["censored"] == 0


def test_an_output_without_variance_has_no_sobol_indices(sobol_run):
    study, results = sobol_run
    flat = results.copy()
    flat["dry_hard_h"] = 10.0
    with pytest.raises(RecipeError, match="10 in every case.*undefined") as e:
        analyse(study, flat, "dry_hard_h")
    assert e.value.field == "output"


# ---------------------------------------------------------------------------
# The plot
# ---------------------------------------------------------------------------
def _render(fig) -> bytes:
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # a missing glyph is a warning: fail on it
        buf = io.BytesIO()
        fig.savefig(buf, format="png")
    return buf.getvalue()


def test_the_tornado_chart_puts_the_most_influential_input_on_top(sobol_run, morris_run):
    for study, results in (sobol_run, morris_run):
        ind = analyse(study, results, "tack_free_h")
        fig = plot_sensitivity(ind)
        ax = fig.axes[0]
        labels = [t.get_text() for t in ax.get_yticklabels()]
        key = "ST" if study.method == "sobol" else "mu_star"
        assert labels[-1] == ind[key].idxmax()  # barh: the last label is drawn on top
        assert sorted(labels) == sorted(study.inputs)
        assert "tack_free_h (h)" in ax.get_xlabel()
        assert str(ind.attrs["censored"]) in ax.get_title()
        assert _render(fig).startswith(b"\x89PNG")


def test_the_chart_draws_into_given_axes_and_takes_a_title(morris_run):
    from matplotlib.figure import Figure

    study, results = morris_run
    fig = Figure()
    ax = fig.add_subplot()
    out = plot_sensitivity(analyse(study, results, "dries:tack_free_h"), ax=ax, title="T")
    assert out is fig and ax.get_title() == "T"
    with pytest.raises(RecipeError, match="expected the columns"):
        plot_sensitivity(pd.DataFrame({"x": [1.0]}))


# ---------------------------------------------------------------------------
# The command line
# ---------------------------------------------------------------------------
def _write_study(path, method="sobol", n=32, seed=1):
    ranges = "\n".join(f"  {k}: [{a}, {b}]" for k, (a, b) in RANGES.items())
    path.write_text(f"recipe: {RECIPE}\nhorizon_h: {HORIZON_H:g}\nn_cells: 10\n"
                    f"sample: {{method: {method}, n: {n}, seed: {seed}}}\nranges:\n{ranges}\n",
                    encoding="utf-8")
    return path


def test_cli_sensitivity_prints_a_table_and_writes_the_plot(tmp_path, capsys, sobol_run):
    study_yaml = _write_study(tmp_path / "study.yaml")
    png = tmp_path / "s.png"
    assert main(["sensitivity", str(study_yaml), "--output", "tack_free_h", "--plot",
                 str(png)]) == 0
    assert png.read_bytes().startswith(b"\x89PNG")
    out = capsys.readouterr().out
    lines = out.splitlines()
    assert all(len(line) <= 80 for line in lines), max(lines, key=len)
    for path in RANGES:
        assert any(line.startswith(path) for line in lines)
    n = int(sobol_run[1]["tack_free_h"].isna().sum())  # the same study, run in-process
    assert f"{n} of {len(sobol_run[1])} cases did not reach tack free within 48 h" in out
    assert "censored at the horizon" in out


def test_cli_sensitivity_json_and_results_file(tmp_path, capsys, morris_run):
    study, results = morris_run
    parquet = tmp_path / "r.parquet"
    evaluate(study, out=parquet)
    study_yaml = _write_study(tmp_path / "study.yaml", "morris", n=6)
    assert main(["sensitivity", str(study_yaml), "--output", "dries:dry_hard_h", "--results",
                 str(parquet), "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["method"] == "morris" and data["output"] == "dries:dry_hard_h"
    assert set(data["indices"]) == set(RANGES)
    expected = analyse(study, results, "dries:dry_hard_h")
    for name, row in data["indices"].items():
        assert row == pytest.approx(expected.loc[name].to_dict())

    # the results of another study
    other = _write_study(tmp_path / "other.yaml", "morris", n=6, seed=7)
    assert main(["sensitivity", str(other), "--output", "tack_free_h", "--results",
                 str(parquet)]) == 2
    err = capsys.readouterr().err
    err = error_message(err)
    assert "'--results'" in err and "seed" in err


def test_cli_sensitivity_refuses_mistakes_before_running(tmp_path, capsys):
    study_yaml = _write_study(tmp_path / "study.yaml")
    assert main(["sensitivity", str(study_yaml), "--output", "tack-free"]) == 2
    err = capsys.readouterr().err
    assert "'--output'" in err and "tack_free_h" in err
    assert main(["sensitivity", str(study_yaml), "--output", "tack_free_h", "--plot",
                 str(tmp_path / "s.xyz")]) == 2
    assert "'--plot'" in capsys.readouterr().err
    grid = tmp_path / "grid.yaml"
    grid.write_text(f"recipe: {RECIPE}\ngrid:\n  drying.rh_percent: [60, 80]\n", encoding="utf-8")
    assert main(["sensitivity", str(grid), "--output", "tack_free_h"]) == 2
    assert "cannot give Sobol or Morris" in capsys.readouterr().err
