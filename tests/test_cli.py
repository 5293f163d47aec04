"""The command line, run through the real entry point (``python -m lacquersim``)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from lacquersim import cli
from lacquersim.errors import SolverError
from conftest import error_message

SRC = Path(__file__).resolve().parents[1] / "src"


def run_cli(*args: str, cwd: Path | None = None, env: dict | None = None):
    """Run ``python -m lacquersim ARGS`` with this checkout's sources first on the path."""
    e = dict(os.environ)
    e["PYTHONPATH"] = os.pathsep.join([str(SRC)] + ([e["PYTHONPATH"]] if e.get("PYTHONPATH")
                                                    else []))
    e.pop("LACQUERSIM_RECIPES", None)
    e.update(env or {})
    return subprocess.run([sys.executable, "-m", "lacquersim", *args], capture_output=True,
                          text=True, encoding="utf-8", cwd=cwd, env=e, timeout=300)


def assert_user_error(proc, *fragments):
    """Exit 2, one 'lacquersim: error:' message on stderr (wrapped at 80
    columns), nothing on stdout; returns the message joined into one line."""
    assert proc.returncode == 2, (proc.returncode, proc.stderr)
    assert "Traceback" not in proc.stderr
    message = error_message(proc.stderr)
    assert proc.stdout == ""
    for frag in fragments:
        assert frag in message, f"{frag!r} not in {message!r}"
    return message


VALID_YAML = """\
name: cli test
material: japan
film:
  thickness_um: 76
drying:
  temperature_c: 25
  rh_percent: 80
  hours: 24
"""


# ---------------------------------------------------------------------------
# Commands that need no simulation
# ---------------------------------------------------------------------------
def test_help():
    proc = run_cli("--help")
    assert proc.returncode == 0
    for cmd in ("run", "compare", "recipes"):
        assert cmd in proc.stdout


def test_recipes_lists_bundled():
    proc = run_cli("recipes")
    assert proc.returncode == 0, proc.stderr
    for name in ("vietnam-raw", "vietnam-kneaded-60", "vietnam-kneaded-60-t7", "japan-raw",
                 "cashew-workshop", "japan-baked"):
        assert name in proc.stdout
    assert "Vietnamese" in proc.stdout


def test_recipes_env_override(tmp_path):
    (tmp_path / "mine.yaml").write_text(VALID_YAML, encoding="utf-8")
    proc = run_cli("recipes", env={"LACQUERSIM_RECIPES": str(tmp_path)})
    assert proc.returncode == 0, proc.stderr
    assert "mine" in proc.stdout and "vietnam-raw" not in proc.stdout


def test_schema_command():
    proc = run_cli("schema")
    assert proc.returncode == 0
    assert "drying.rh_percent" in proc.stdout and "0 to 100 %" in proc.stdout


# ---------------------------------------------------------------------------
# User mistakes: exit 2, one line, names file / field / range
# ---------------------------------------------------------------------------
def test_missing_file(tmp_path):
    p = tmp_path / "nope.yaml"
    assert_user_error(run_cli("run", str(p)), str(p), "file not found")


def test_unknown_bundled_name():
    assert_user_error(run_cli("run", "vietnam-rw"), "'vietnam-rw'", "did you mean 'vietnam-raw'")


def test_yaml_syntax_error(tmp_path):
    p = tmp_path / "broken.yaml"
    p.write_text("name: t\nmaterial: japan\nfilm:\n  thickness_um: 76\n   x: 1\n",
                 encoding="utf-8")
    assert_user_error(run_cli("run", str(p)), f"{p}, line 5", "YAML syntax error")


def test_unknown_field(tmp_path):
    p = tmp_path / "typo.yaml"
    p.write_text(VALID_YAML.replace("rh_percent", "rh_precent"), encoding="utf-8")
    assert_user_error(run_cli("run", str(p)), f"{p}, line 7", "field 'drying.rh_precent'",
                      "unknown field", "did you mean 'rh_percent'?")


def test_rh_out_of_range_in_file(tmp_path):
    p = tmp_path / "wet.yaml"
    p.write_text(VALID_YAML.replace("rh_percent: 80", "rh_percent: 120"), encoding="utf-8")
    line = assert_user_error(run_cli("run", str(p)))
    assert line == (f"lacquersim: error: {p}, line 7, field 'drying.rh_percent': 120 is out "
                    f"of range; allowed 0 to 100 % (relative humidity of the air)")


def test_rh_out_of_range_option():
    assert_user_error(run_cli("run", "vietnam-raw", "--rh", "120"), "field '--rh'",
                      "120 is out of range", "allowed 0 to 100 %")


def test_negative_thickness_option():
    assert_user_error(run_cli("run", "vietnam-raw", "--thickness", "-5"),
                      "field '--thickness'", "-5 is out of range", "allowed 5 to 200 µm")


def test_negative_thickness_in_file(tmp_path):
    p = tmp_path / "thin.yaml"
    p.write_text(VALID_YAML.replace("thickness_um: 76", "thickness_um: -5"), encoding="utf-8")
    assert_user_error(run_cli("run", str(p)), f"{p}, line 4", "field 'film.thickness_um'",
                      "-5 is out of range", "allowed 5 to 200 µm")


def test_compare_reports_the_bad_recipe(tmp_path):
    p = tmp_path / "bad.yaml"
    p.write_text(VALID_YAML.replace("hours: 24", "hours: 0"), encoding="utf-8")
    assert_user_error(run_cli("compare", "vietnam-raw", str(p)), str(p), "field 'drying.hours'",
                      "more than 0 and at most 2000 h")


@pytest.mark.parametrize("args,fragment", [
    ((), "required: COMMAND"),
    (("run",), "required: RECIPE"),
    (("run", "vietnam-raw", "--rh", "wet"), "argument --rh"),
    (("run", "vietnam-raw", "--cells", "1"), "allowed 3 to 2000"),
    (("run", "vietnam-raw", "--bogus"), "unrecognized arguments"),
    (("fly",), "invalid choice"),
    (("run", "vietnam-raw", "--temperature", "nan"), "field '--temperature'"),
])
def test_argument_errors(args, fragment):
    assert_user_error(run_cli(*args), fragment)


def test_plot_into_missing_folder(tmp_path):
    assert_user_error(run_cli("run", "vietnam-raw", "--plot", str(tmp_path / "no" / "x.png")),
                      "field '--plot'", "does not exist")


def test_plot_unknown_format(tmp_path):
    assert_user_error(run_cli("run", "vietnam-raw", "--plot", str(tmp_path / "x.xyz")),
                      "field '--plot'", ".png")


# ---------------------------------------------------------------------------
# In-process: exit codes and the atomic plot write (no physics needed)
# ---------------------------------------------------------------------------
def test_main_returns_codes_instead_of_exiting(capsys):
    assert cli.main(["recipes"]) == 0
    assert cli.main(["run"]) == 2
    err = capsys.readouterr().err
    assert "required: RECIPE" in error_message(err)


def test_solver_error_exits_3(monkeypatch, capsys):
    def boom(recipe, n_cells, parameters=None):
        raise SolverError("step size collapsed", 3.25)

    monkeypatch.setattr(cli, "_simulate", boom)
    assert cli.main(["run", "vietnam-raw"]) == 3
    err = capsys.readouterr().err
    assert err == "lacquersim: error: solver failed at t = 3.25 h: step size collapsed\n"


class _FailingFigure:
    """Writes half a file, then fails, like a full disk would."""

    def savefig(self, path, format=None):
        Path(path).write_bytes(b"\x89PNG partial")
        raise OSError(28, "No space left on device")


class _FakeResult:
    def plot(self):
        return _FailingFigure()


def test_failed_plot_leaves_no_file(tmp_path):
    target = tmp_path / "out.png"
    with pytest.raises(cli.RecipeError, match="No space left on device"):
        cli._save_plot(_FakeResult(), target, "png")
    assert list(tmp_path.iterdir()) == []


def test_failed_plot_keeps_previous_file(tmp_path):
    target = tmp_path / "out.png"
    target.write_bytes(b"old")
    with pytest.raises(cli.RecipeError):
        cli._save_plot(_FakeResult(), target, "png")
    assert list(tmp_path.iterdir()) == [target] and target.read_bytes() == b"old"


def test_jsonable_replaces_nan():
    np = pytest.importorskip("numpy")
    out = cli._jsonable({"a": float("nan"), "b": np.float64(2.5), "c": [np.int64(3), None],
                         "d": np.array([1.0, np.inf])})
    assert out == {"a": None, "b": 2.5, "c": [3, None], "d": [1.0, None]}
    json.dumps(out, allow_nan=False)


# ---------------------------------------------------------------------------
# Real simulations
# ---------------------------------------------------------------------------
STAGE_KEYS = ("set_to_touch", "tack_free", "dry_hard", "dry_through")


def test_run_prints_a_table():
    proc = run_cli("run", "vietnam-raw")
    assert proc.returncode == 0, proc.stderr
    out = proc.stdout
    assert "Vietnamese laccol, raw sap" in out
    assert "25 °C, 80 % RH, 72 h" in out
    for label in ("set to touch", "tack free", "dry hard", "dry through", "wrinkle index"):
        assert label in out


def test_run_json_is_pure_json_and_applies_overrides():
    proc = run_cli("run", "vietnam-kneaded-60", "--json", "--temperature", "30", "--hours", "24",
                   "--thickness", "40", "--cells", "20")
    assert proc.returncode == 0, proc.stderr
    summary = json.loads(proc.stdout)
    assert summary["recipe"] == "Vietnamese laccol, kneaded 60 min"
    assert summary["thickness_um"] == pytest.approx(40)
    (step,) = summary["schedule"]
    assert (step["temperature_c"], step["rh_percent"], step["hours"]) == (30, 80, 24)
    assert set(STAGE_KEYS) <= set(summary["stages_h"])
    for key in ("reasons", "wrinkle_index", "final_tg_minus_t_c", "water_left_percent",
                "o2_consumed_mol_m2", "catechol_converted_percent", "initial_state"):
        assert key in summary


def test_run_condition_override_replaces_multi_step_schedule():
    proc = run_cli("run", "japan-baked", "--json", "--rh", "20", "--cells", "20")
    assert proc.returncode == 0, proc.stderr
    (step,) = json.loads(proc.stdout)["schedule"]
    # Temperature from the first step, hours = the recipe's total (1 h + 2 h).
    assert (step["temperature_c"], step["rh_percent"], step["hours"]) == (140, 20, 3)


def test_compare_table_and_json():
    proc = run_cli("compare", "vietnam-raw", "vietnam-kneaded-60", "--cells", "20")
    assert proc.returncode == 0, proc.stderr
    assert "Vietnamese laccol, raw sap" in proc.stdout
    assert "Vietnamese laccol, kneaded 60 min" in proc.stdout
    assert "wrinkle" in proc.stdout and "index" in proc.stdout and "Tg -" in proc.stdout

    proc = run_cli("compare", "vietnam-raw", "japan-raw", "--json", "--hours", "24",
                   "--cells", "20")
    assert proc.returncode == 0, proc.stderr
    summaries = json.loads(proc.stdout)
    assert [s["material"] for s in summaries] == ["vietnam", "japan"]
    assert all(s["schedule"][0]["hours"] == 24 for s in summaries)


def test_run_plot_writes_png_atomically(tmp_path):
    target = tmp_path / "run.png"
    proc = run_cli("run", "japan-baked", "--plot", str(target), "--cells", "20")
    assert proc.returncode == 0, proc.stderr
    assert target.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert [p.name for p in tmp_path.iterdir()] == ["run.png"]  # no temp file left
    assert "plot saved to" in proc.stdout


def test_run_plot_with_json_keeps_stdout_pure(tmp_path):
    target = tmp_path / "run.pdf"
    proc = run_cli("run", "japan-baked", "--json", "--plot", str(target), "--cells", "20")
    assert proc.returncode == 0, proc.stderr
    json.loads(proc.stdout)
    assert target.read_bytes()[:4] == b"%PDF"


def test_parameters_command_lists_the_table_and_a_materials_values():
    proc = run_cli("parameters", "vietnam")
    assert proc.returncode == 0, proc.stderr
    assert "k_L" in proc.stdout and "1/h" in proc.stdout and "[refining]" in proc.stdout
    rows = json.loads(run_cli("parameters", "--json").stdout)
    assert {"name", "material", "value", "unit", "min", "max", "source"} <= set(rows[0])
    assert_user_error(run_cli("parameters", "mars"), "field 'material'", "unknown material 'mars'")


def test_param_overrides_by_name_from_the_command_line(tmp_path):
    plain = json.loads(run_cli("run", "vietnam-raw", "--cells", "12", "--json").stdout)
    fast = json.loads(run_cli("run", "vietnam-raw", "--cells", "12", "--json",
                              "--param", "k_L=0.6", "--param", "vietnam.Ea_d=180 kJ/mol").stdout)
    assert fast["stages_h"]["set_to_touch"] < plain["stages_h"]["set_to_touch"]
    s = tmp_path / "fast.yaml"
    s.write_text("parameters: {k_L: 0.6, vietnam.Ea_d: 180 kJ/mol}\n", encoding="utf-8")
    from_set = json.loads(run_cli("run", "vietnam-raw", "--cells", "12", "--json",
                                  "--parameters", str(s)).stdout)
    assert from_set["stages_h"] == fast["stages_h"]
    assert_user_error(run_cli("run", "vietnam-raw", "--param", "k_L=-1"), "field '--param k_L'",
                      "allowed 0 to 100 1/h")
    assert_user_error(run_cli("run", "vietnam-raw", "--param", "k_L"), "field '--param'", "NAME=VALUE")
    assert_user_error(run_cli("compare", "vietnam-raw", "--parameters", "nope"), "field '--parameters'",
                      "bundled sets")


def test_version(capsys):
    import lacquersim

    assert cli.main(["--version"]) == 0
    assert capsys.readouterr().out.strip() == f"lacquersim {lacquersim.__version__}"


def test_an_override_that_flattens_a_schedule_says_so(capsys):
    assert cli.main(["run", "japan-baked", "--temperature", "30", "--no-band", "--cells", "8",
                     "--json"]) == 0
    err = capsys.readouterr().err
    assert "replace its drying schedule (2 steps)" in " ".join(err.split()) and "30.0 °C" in err
    assert max(len(line) for line in err.splitlines()) <= 80
    assert cli.main(["run", "vietnam-raw", "--rh", "70", "--no-band", "--cells", "8",
                     "--json"]) == 0
    assert "replace" not in capsys.readouterr().err  # one constant step: nothing is lost


def test_a_first_run_says_the_solver_is_compiling(monkeypatch, capsys):
    from lacquersim import notices

    monkeypatch.setattr(notices, "_NOTICED", set())
    monkeypatch.setattr(notices, "_cached", lambda kernel: False)
    assert cli.main(["run", "vietnam-raw", "--no-band", "--cells", "8", "--json"]) == 0
    err = capsys.readouterr().err
    assert err.count("compiling the solver") == 1 and len(err.splitlines()[0]) <= 80
    monkeypatch.setattr(notices, "_cached", lambda kernel: True)
    monkeypatch.setattr(notices, "_NOTICED", set())
    assert cli.main(["run", "vietnam-raw", "--no-band", "--cells", "8", "--json"]) == 0
    assert "compiling" not in capsys.readouterr().err


def test_the_compile_check_reads_the_kernel_cache(monkeypatch, tmp_path):
    from lacquersim import notices
    from lacquersim.kernels import _kernel_cache as kc

    monkeypatch.setattr(kc, "prebuilt_has", lambda kernel: False)  # nothing shipped for this host
    # a kernel cache next to (fake) kernel sources, stamped as theirs
    monkeypatch.setattr(kc, "__file__", str(tmp_path / "_kernel_cache.py"))
    (tmp_path / "__pycache__").mkdir()
    (tmp_path / "__pycache__" / kc.STAMP).write_text(kc.sources_digest(tmp_path) + "\n")
    (tmp_path / "__pycache__" / "bdf.integrate-276.py311.nbi").write_bytes(b"")
    assert notices._cached("bdf.integrate") is True
    assert notices._cached("bdf.no_such_kernel") is False
    (tmp_path / "__pycache__" / kc.STAMP).write_text("another digest\n")  # stale: compiles
    assert notices._cached("bdf.integrate") is False
    monkeypatch.setenv("NUMBA_CACHE_DIR", "/tmp/elsewhere")
    assert notices._cached("bdf.integrate") is None  # cannot tell: no notice
    monkeypatch.setattr(kc, "prebuilt_has", lambda kernel: True)  # shipped compiled: no notice
    assert notices._cached("bdf.integrate") is True


@pytest.mark.parametrize("command", ["schema", "recipes"])
def test_listings_fit_80_columns(command, capsys):
    assert cli.main([command]) == 0
    out = capsys.readouterr().out
    assert max(len(line) for line in out.splitlines()) <= 80
    assert "drying.rh_percent" in out or "vietnam-raw" in out


def test_run_build_prints_whole_build_and_per_coat_figures():
    proc = run_cli("run", "vietnam-kneaded-3-coats", "--no-band", "--cells", "10")
    assert proc.returncode == 0, proc.stderr
    out = proc.stdout
    assert "Whole build at the end" in out and "catechol converted" in out
    assert "Each coat at the end" in out
    lines = out.splitlines()
    i = next(k for k, ln in enumerate(lines) if ln.startswith("Each coat at the end"))
    assert [ln.split()[0] for ln in lines[i + 3:i + 6]] == ["1", "2", "3"]  # after head, rule
    # (the first line names the recipe's file, whatever its length)
    assert max(len(ln) for ln in lines[1:]) <= 80


def test_compare_plot_writes_a_figure(tmp_path):
    target = tmp_path / "compare.png"
    proc = run_cli("compare", "japan-baked", "japan-raw", "--plot", str(target), "--cells", "10")
    assert proc.returncode == 0, proc.stderr
    assert target.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert [p.name for p in tmp_path.iterdir()] == ["compare.png"]
    assert f"plot saved to {target}" in proc.stdout
    proc = run_cli("compare", "japan-baked", "japan-raw", "--json", "--plot",
                   str(tmp_path / "c.svg"), "--cells", "10")
    assert proc.returncode == 0, proc.stderr
    json.loads(proc.stdout)
    assert (tmp_path / "c.svg").is_file()


def test_compare_plot_target_checked_before_simulating(tmp_path):
    assert_user_error(run_cli("compare", "japan-baked", "japan-raw", "--plot",
                              str(tmp_path / "x.xyz")), "field '--plot'", ".png")
    assert_user_error(run_cli("compare", "japan-baked", "japan-raw", "--plot",
                              str(tmp_path / "no" / "x.png")), "field '--plot'", "does not exist")
