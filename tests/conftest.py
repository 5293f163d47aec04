"""Shared helpers for the test suite."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest

# The suite checks English output: a Vietnamese locale on the machine must not
# change it (LANGUAGE decides first; test_i18n sets the language explicitly).
os.environ["LANGUAGE"] = "en"

import lacquersim as ls  # noqa: E402


def make_recipe(material="vietnam", thickness_um=76.0, temperature_c=25.0, rh_percent=80.0,
                hours=72.0, water=None, monomer=None, name=None, steps=None):
    """A recipe dict → Recipe, with the measured state if water/monomer are given."""
    d = {
        "name": name or f"{material} {thickness_um} um",
        "material": material,
        "film": {"thickness_um": thickness_um},
        "drying": ({"steps": steps} if steps is not None else
                   {"temperature_c": temperature_c, "rh_percent": rh_percent, "hours": hours}),
    }
    if water is not None:
        d["state"] = {"water_percent": water, "monomer_percent": monomer}
    return ls.Recipe.from_dict(d)


def error_message(stderr: str) -> str:
    """The message of a user mistake on stderr: it starts 'lacquersim: error: ',
    is wrapped at 80 columns (a single word longer than that excepted) with
    continuation lines indented; returned joined into one line."""
    lines = stderr.rstrip("\n").split("\n")
    assert lines[0].startswith("lacquersim: error: "), stderr
    assert all(line.startswith("  ") and line.strip() for line in lines[1:]), stderr
    for line in lines:
        assert len(line) <= 80 or " " not in line.strip().split(" ", 2)[-1], stderr
    return " ".join(line.strip() for line in lines)


@pytest.fixture
def recipe_factory():
    return make_recipe


# benchmarks/, experiments/ and docs/ hold scripts next to the package, not part
# of it; their library modules (benchmark.py, calibration.py, make.py) are tested here
ROOT = Path(__file__).resolve().parents[1]
for _folder in ("benchmarks", "experiments", "docs"):
    if str(ROOT / _folder) not in sys.path:
        sys.path.insert(0, str(ROOT / _folder))
