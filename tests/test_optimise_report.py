"""The files of an optimiser run and the ``lacquersim optimise`` command.

Small runs (population 8, 16 evaluations, 12 cells, January and July) so
that the whole file takes seconds once the kernels are compiled.
"""

from __future__ import annotations

import csv
import json
import math
import re
import sys
from dataclasses import replace
from pathlib import Path

import pytest
import yaml

pytest.importorskip("pymoo")

import lacquersim as ls
from lacquersim.cli import main
from lacquersim.optimise.report import write_outputs
from lacquersim.optimise.search import optimise
from lacquersim.optimise.space import load_space
from conftest import error_message

ROOT = Path(__file__).resolve().parents[1]
STUDY = ROOT / "experiments" / "optimise" / "phu-tho-laccol.yaml"
STAGES = ("set_to_touch", "tack_free", "dry_hard", "dry_through")


def small(space):
    return replace(space, n_cells=12, population=8, months=(1, 7))


@pytest.fixture(scope="module")
def space():
    return small(load_space(STUDY))


@pytest.fixture(scope="module")
def run(space, tmp_path_factory):
    """A run without the band check, and its files."""
    result = optimise(space, 16, seed=1, band=False)
    out = tmp_path_factory.mktemp("run")
    return result, out, write_outputs(result, out, budget=16)


def _space_file(tmp_path: Path, **constraints) -> Path:
    d = yaml.safe_load(STUDY.read_text(encoding="utf-8"))
    d["population"] = 8
    d["n_cells"] = 12
    d["climate"]["months"] = [1, 7]
    d["constraints"].update(constraints)
    path = tmp_path / "space.yaml"
    path.write_text(yaml.safe_dump(d, sort_keys=False), encoding="utf-8")
    return path


def _rows(path: Path) -> list[dict]:
    with open(path, newline="", encoding="utf-8") as fh:
        return list(csv.DictReader(fh))


# -- write_outputs ----------------------------------------------------------------------
def test_every_output_is_written(run):
    result, out, paths = run
    for name in ("front.csv", "report.md", "pareto.png", "curves.png", "months.png"):
        assert (out / name).is_file() and (out / name).stat().st_size > 0, name
    for name in ("pareto", "curves", "months"):
        assert paths[name].read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    picks = sum(1 for r in result.monthly.itertuples()
                if r.best_candidate >= 0 or r.fastest_candidate >= 0)
    assert len(paths["recipes"]) == len(result.front) + picks
    assert sorted(p.name for p in (out / "recipes").glob("*.yaml")) == \
        sorted(p.name for p in paths["recipes"])
    assert not list(out.rglob("*.tmp"))


def test_no_pyplot_figure_is_left_open(run):
    plt = sys.modules.get("matplotlib.pyplot")
    assert plt is None or plt.get_fignums() == []


def test_front_csv_has_the_columns_and_plain_numbers(run, space):
    result, out, _ = run
    rows = _rows(out / "front.csv")
    assert len(rows) == len(result.front)
    cols = list(rows[0])
    for c in (space.names + ["time_ratio", "cost_vnd_m2", "laccol_percent", "worst_month",
                             "cv", "feasible", "band_ratio_high", "beats_months"]):
        assert c in cols, c
    for r in rows:
        for c in ("time_ratio", "cost_vnd_m2", "laccol_percent", "cv") + tuple(
                n for n in space.names if n != "practice.kind"):
            assert not re.search(r"\d[eE][+-]?\d", r[c]), (c, r[c])
            float(r[c])
        assert int(r["worst_month"]) in (1, 7)
        assert r["feasible"] in ("true", "false")
        assert r["band_ratio_high"] == "" and r["beats_months"] == ""  # no band checked
    for r, (_, f) in zip(rows, result.front.iterrows()):  # in full: reads back the same
        assert float(r["time_ratio"]) == f.time_ratio
        assert float(r["cost_vnd_m2"]) == f.cost_vnd_m2
        assert int(r["candidate"]) == f.candidate


def test_every_recipe_reloads_and_gives_the_stage_times_of_the_search(run, space):
    result, out, paths = run
    d = result.details
    assert paths["recipe_files"]
    for path, (cand, month) in paths["recipe_files"].items():
        text = path.read_text(encoding="utf-8")
        assert text.startswith("# Found by lacquersim optimise")
        assert f"candidate {cand}" in text and f"seed {result.seed}" in text
        recipe = ls.load_recipe(str(path))
        assert recipe.name_vi == ""  # not the base recipe's Vietnamese title
        res = ls.simulate(recipe, n_cells=space.n_cells)
        row = d[(d.candidate == cand) & (d.month == month) & d.year.isna()].iloc[0]
        for s in STAGES:
            want, got = float(row[f"{s}_h"]), float(res.stages[s])
            if math.isnan(want):
                assert math.isnan(got), (path.name, s)
            else:
                assert got == pytest.approx(want, rel=1e-9), (path.name, s)


def test_front_recipes_are_dried_in_their_worst_month(run):
    import calendar

    result, out, paths = run
    worst = dict(zip(result.front.candidate, result.front.worst_month))
    for path, (cand, month) in paths["recipe_files"].items():
        if path.name.startswith("month-"):
            assert path.name == f"month-{month:02d}.yaml"
        else:
            assert month == worst[cand]
        assert calendar.month_name[month] in ls.load_recipe(str(path)).description


def test_report_answers_month_by_month(run, space):
    result, out, _ = run
    text = (out / "report.md").read_text(encoding="utf-8")
    assert text.startswith(f"# {space.name}")
    for part in ("## How it was run", "## The answer", "## Month by month", "## The front",
                 "## Prices used", "## How to read this", "![", "pareto.png", "curves.png",
                 "months.png", "January", "July", "budget 16", "seed 1",
                 "The 90 % band was not checked"):
        assert part in text, part
    for key in space.prices.to_dict():
        assert f"`{key}`" in text
    assert "No candidate met the constraints" not in text


def test_a_run_with_the_band_reports_it(space, tmp_path):
    result = optimise(space, 16, seed=2)
    paths = write_outputs(result, tmp_path)
    if not result.feasible:
        pytest.skip("this seed found nothing feasible; the band is not checked then")
    rows = _rows(paths["front"])
    assert all(r["band_ratio_high"] for r in rows[:1])
    for r in rows:
        if r["band_ratio_high"]:
            assert float(r["band_ratio_high"]) > 0
            for m in filter(None, r["beats_months"].split(",")):
                assert int(m) in (1, 7)
    text = paths["report"].read_text(encoding="utf-8")
    assert "in 90 % band" in text
    assert "The 90 % band was not checked" not in text


# -- the command -------------------------------------------------------------------------
def test_the_command_writes_the_files(tmp_path, capsys):
    space = _space_file(tmp_path)
    out = tmp_path / "run"
    code = main(["optimise", str(space), "--budget", "16", "--seed", "1", "--out", str(out),
                 "--no-band"])
    captured = capsys.readouterr()
    assert code == 0, captured.err
    for name in ("front.csv", "report.md", "pareto.png", "curves.png", "months.png",
                 "checkpoint.pkl"):
        assert (out / name).is_file(), name
    assert list((out / "recipes").glob("*.yaml"))
    lines = captured.out.splitlines()
    assert lines and max(len(ln) for ln in lines) <= 80
    assert str(out) in captured.out
    assert "Jan" in captured.out and "Jul" in captured.out


def test_the_command_resumes_a_finished_run(tmp_path, capsys):
    space = _space_file(tmp_path)
    out = tmp_path / "run"
    args = ["optimise", str(space), "--budget", "16", "--seed", "1", "--out", str(out),
            "--no-band"]
    assert main(args) == 0
    before = (out / "front.csv").read_text(encoding="utf-8")
    assert main(args) == 2  # the folder holds a run
    assert "--resume" in capsys.readouterr().err
    assert main(args + ["--resume"]) == 0
    assert (out / "front.csv").read_text(encoding="utf-8") == before


def test_json_prints_only_a_json_summary(tmp_path, capsys):
    space = _space_file(tmp_path)
    out = tmp_path / "run"
    code = main(["optimise", str(space), "--budget", "16", "--seed", "1", "--out", str(out),
                 "--no-band", "--json"])
    captured = capsys.readouterr()
    assert code == 0
    s = json.loads(captured.out)
    assert s["n_evals"] == 16 and s["seed"] == 1 and s["budget"] == 16
    assert [m["month"] for m in s["months"]] == [1, 7]
    assert s["files"]["report"] == str(out / "report.md")
    assert s["band_checked"] is False
    assert "%|" not in captured.err  # no progress bar


def test_an_infeasible_space_ends_with_a_message_not_a_crash(tmp_path, capsys):
    space = _space_file(tmp_path, wrinkle_max=0)
    out = tmp_path / "run"
    code = main(["optimise", str(space), "--budget", "16", "--seed", "1", "--out", str(out)])
    captured = capsys.readouterr()
    assert code == 0, captured.err
    assert "No candidate met the constraints" in captured.out
    assert "front.csv" in captured.out and "wrinkle" in captured.out
    assert max(len(ln) for ln in captured.out.splitlines()) <= 80
    rows = _rows(out / "front.csv")
    assert rows and all(r["feasible"] == "false" for r in rows)
    assert all("wrinkle" in r["violates"] for r in rows)
    report = (out / "report.md").read_text(encoding="utf-8")
    assert "**No candidate met the constraints.**" in report.split("## How it was run")[0]


def test_an_infeasible_laccol_floor_names_the_constraint(tmp_path, capsys):
    space = _space_file(tmp_path, laccol_min_percent=100)
    d = yaml.safe_load(space.read_text(encoding="utf-8"))
    d["variables"]["additives.oil_percent"] = {"low": 5, "high": 30}
    space.write_text(yaml.safe_dump(d, sort_keys=False), encoding="utf-8")
    out = tmp_path / "run"
    code = main(["optimise", str(space), "--budget", "16", "--seed", "1", "--out", str(out),
                 "--no-band", "--json"])
    captured = capsys.readouterr()
    assert code == 0
    s = json.loads(captured.out)
    assert s["feasible"] is False and s["best"] is None
    assert s["least_infeasible"]
    assert all(any("laccol" in v for v in c["violates"]) for c in s["least_infeasible"])


@pytest.mark.parametrize("extra, option", [
    (["--budget", "0"], "--budget"),
    (["--budget", "16", "--seed", "-1"], "--seed"),
    (["--budget", "16", "--workers", "0"], "--workers"),
])
def test_bad_options_exit_2_with_one_line(tmp_path, capsys, extra, option):
    space = _space_file(tmp_path)
    code = main(["optimise", str(space), "--out", str(tmp_path / "run")] + extra)
    err = capsys.readouterr().err
    assert code == 2
    assert option in error_message(err)
    assert not (tmp_path / "run").exists()


def test_a_missing_space_file_exits_2(tmp_path, capsys):
    code = main(["optimise", str(tmp_path / "nope.yaml"), "--budget", "16",
                 "--out", str(tmp_path / "run")])
    err = capsys.readouterr().err
    assert code == 2
    assert "nope.yaml" in error_message(err)


def test_ctrl_c_says_how_to_resume(tmp_path, capsys, monkeypatch):
    import lacquersim.optimise.search as search

    def interrupted(*args, **kwargs):
        raise KeyboardInterrupt

    monkeypatch.setattr(search, "optimise", interrupted)
    space = _space_file(tmp_path)
    code = main(["optimise", str(space), "--budget", "16", "--out", str(tmp_path / "run")])
    err = capsys.readouterr().err
    assert code == 130
    assert "interrupted; run the same command with --resume" in err


def test_help_documents_the_infeasible_exit(capsys):
    assert main(["optimise", "--help"]) == 0
    out = capsys.readouterr().out
    assert "--resume" in out and "exits 0" in out
