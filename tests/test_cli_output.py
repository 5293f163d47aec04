"""What the command line prints for people: 80 columns, plain numbers,
labels that fit the material, steps as a technician counts them."""

from __future__ import annotations

import re

import pytest

from lacquersim import cli
from lacquersim.textout import plain, table, width, wrap

CELLS = "12"


def out_of(capsys, *argv) -> str:
    assert cli.main(list(argv)) == 0
    return capsys.readouterr().out


def assert_fits(text: str, limit: int = 80):
    wide = [line for line in text.splitlines() if width(line) > limit]
    assert not wide, wide


# ---------------------------------------------------------------------------
# textout
# ---------------------------------------------------------------------------
@pytest.mark.parametrize("x, text", [(3.15e-07, "< 0.001"), (-2e-9, "> -0.001"), (0.0, "0"),
                                     (1234.56, "1235"), (0.012345, "0.0123"), (2.5, "2.5"),
                                     (1e9, "1000000000"), (float("nan"), "n/a")])
def test_plain_has_no_exponent(x, text):
    assert plain(x) == text


def test_width_counts_wide_and_combining_characters():
    assert width("sơn ta") == 6
    assert width("so\u031bn ta") == 6  # decomposed: the horn is a combining mark
    assert width("漆") == 2


def test_table_aligns_wide_characters_and_fits():
    rows = [["漆 urushi", "1.00"], ["sơn ta", "12.5"], ["x" * 70 + " long name", "3"]]
    lines = table(["recipe", "a long header (h)"], rows, limit=40)
    assert_fits("\n".join(lines), 40)
    ends = {width(line) for line in lines if line.endswith(("1.00", "12.5"))}
    assert len(ends) == 1  # right-aligned column: same display width


def test_wrap_keeps_a_quoted_command_together():
    lines = wrap("see 'lacquersim run --help' for more words here", "error: ", "  ", limit=24)
    assert any("'lacquersim run --help'" in line for line in lines)


# ---------------------------------------------------------------------------
# run / refine / compare
# ---------------------------------------------------------------------------
def test_run_cashew_speaks_of_thinner_and_no_laccase(capsys):
    out = out_of(capsys, "run", "cashew-workshop", "--cells", CELLS, "--no-band")
    assert "thinner left" in out and "thinner 30 %" in out
    for word in ("laccase", "droplet", "catechol", "water"):
        assert word not in out, word
    assert not re.search(r"\de[-+]\d", out), out  # plain notation
    assert_fits(out)


def test_run_says_why_stages_share_a_time(capsys):
    out = out_of(capsys, "run", "japan-baked", "--cells", CELLS, "--no-band")
    stages = dict(re.findall(r"^  (set to touch|tack free|dry hard|dry through)\s+([\d.]+) h", out,
                             re.M))
    assert stages["dry hard"] == stages["tack free"]
    assert "(already so at tack free*)" in out
    assert "counts only after the one before it" in out
    assert_fits(out)


def test_run_defines_the_four_stages(capsys):
    out = out_of(capsys, "run", "vietnam-raw", "--cells", CELLS, "--no-band")
    legend = " ".join(out.split("stages:", 1)[1].split("\n\n", 1)[0].split())
    for label in ("set to touch =", "tack free =", "dry hard =", "dry through ="):
        assert label in legend


def test_refine_steps_counted_as_in_the_recipe(capsys):
    out = out_of(capsys, "refine", "japan-kurome-oven", "--steps")
    table_lines = out.split("After each refining step", 1)[1].strip().splitlines()
    assert "_" not in "".join(table_lines[:2])  # no Python names as headers
    rows = [line.split() for line in table_lines if line.strip()[:1].isdigit()]
    assert [r[0] for r in rows] == ["1", "2"] and [r[1] for r in rows] == ["nayashi", "kurome"]
    assert_fits(out)


def test_refine_repeated_kurome_counts_its_cycles(capsys):
    out = out_of(capsys, "refine", "china-kurome-4", "--steps")
    rows = [line.split() for line in out.splitlines() if re.match(r"\s+1\s+(kurome|add water)", line)]
    kurome = [r for r in rows if r[1] == "kurome"]
    assert [r[2] for r in kurome] == ["1", "2", "3", "4"]


def test_refine_cashew_shows_no_sap_only_figures(capsys):
    out = out_of(capsys, "refine", "cashew-workshop")
    assert "thinner" in out
    for word in ("laccase", "droplet", "catechol"):
        assert word not in out, word


def test_compare_fits_80_columns_with_long_and_wide_names(tmp_path, capsys):
    names = ["Sơn ta Phú Thọ, đánh sơn 60 phút rồi ủ trong buồng ẩm suốt ba ngày đêm",
             "漆 urushi 黒目 kurome film with a very long descriptive name indeed"]
    files = []
    for i, name in enumerate(names):
        f = tmp_path / f"r{i}.yaml"
        f.write_text(f"name: {name}\nmaterial: vietnam\nfilm: {{thickness_um: 40}}\n"
                     "drying: {temperature_c: 25, rh_percent: 80, hours: 24}\n", encoding="utf-8")
        files.append(str(f))
    out = out_of(capsys, "compare", *files, "vietnam-raw", "--cells", CELLS)
    assert_fits(out)
    assert "Phú Thọ" in out and "漆" in out


# ---------------------------------------------------------------------------
# progress bar: on a terminal, once a run has taken more than 2 s
# ---------------------------------------------------------------------------
class _Terminal:
    """A stderr that says it is a terminal and keeps what is written."""

    def __init__(self):
        self.text = []

    def isatty(self):
        return True

    def write(self, s):
        self.text.append(s)

    def flush(self):
        pass


def test_progress_bar_waits_then_shows_then_is_erased(monkeypatch):
    import time

    from lacquersim.progress import Bar

    quick, slow = _Terminal(), _Terminal()
    with Bar("member", delay=0.2, file=quick) as bar:
        for i in range(1, 4):
            bar(i, 3)
    assert "".join(quick.text).strip() == ""  # done before the delay: nothing shown
    with Bar("member", delay=0.2, file=slow) as bar:
        for i in range(1, 4):
            time.sleep(0.15)
            bar(i, 3)
    assert "member" in "".join(slow.text) and "3/3" in "".join(slow.text)
    assert Bar("member", file=type("Pipe", (), {"isatty": lambda self: False})()).enabled is False


@pytest.mark.parametrize("argv", [["run", "vietnam-raw", "--cells", CELLS],
                                  ["compare", "vietnam-raw", "japan-raw", "--cells", CELLS]])
def test_run_and_compare_report_progress_on_a_terminal(argv, monkeypatch, capsys):
    import sys

    from lacquersim import progress

    monkeypatch.setattr(progress, "DELAY_S", 0.0)
    term = _Terminal()
    monkeypatch.setattr(sys, "stderr", term)
    assert cli.main(argv) == 0
    shown = "".join(term.text)
    assert ("member" if argv[0] == "run" else "recipe") in shown
    assert "Drying stages" in capsys.readouterr().out  # the bar never goes to stdout


# ---------------------------------------------------------------------------
# Every command, every bundled recipe: 80 columns
# ---------------------------------------------------------------------------
def _bundled():
    from lacquersim.model.recipe_files import bundled_recipes

    return list(bundled_recipes()["name"])


def assert_fits_but_paths(text: str):
    """Lines within 80 columns; a line holding only a file path may not be."""
    wide = [line for line in text.splitlines()
            if width(line) > 80 and len(line.strip().strip("()").split()) > 1]
    assert not wide, wide


@pytest.mark.parametrize("name", _bundled())
def test_run_and_refine_of_every_bundled_recipe_fit_80_columns(name, capsys, monkeypatch):
    monkeypatch.setenv("COLUMNS", "80")
    assert_fits_but_paths(out_of(capsys, "run", name, "--cells", "8", "--no-band"))
    assert_fits_but_paths(out_of(capsys, "refine", name, "--steps"))


def test_compare_of_every_bundled_recipe_and_the_listings_fit_80_columns(capsys, monkeypatch):
    monkeypatch.setenv("COLUMNS", "80")
    assert_fits_but_paths(out_of(capsys, "compare", *_bundled(), "--cells", "8"))
    for command in (["recipes"], ["schema"], ["parameters"], ["parameters", "--sources"]):
        assert_fits_but_paths(out_of(capsys, *command))
