"""The documentation a user reads: self-contained, and in step with the code."""

from __future__ import annotations

import re
from pathlib import Path

import make

ROOT = Path(__file__).resolve().parents[1]
USER_FILES = ([ROOT / "README.md"] + sorted((ROOT / "docs").glob("*.md"))
              + sorted((ROOT / "recipes").glob("*.yaml"))
              + sorted((ROOT / "src" / "lacquersim").rglob("*.py"))
              + sorted((ROOT / "src" / "lacquersim" / "data").rglob("*.yaml")))


def test_nothing_a_user_reads_points_outside_the_repository():
    """The reference notes the project started from are not shipped: nothing may
    send a reader to them."""
    for path in USER_FILES:
        text = path.read_text(encoding="utf-8")
        for bad in ("../shared", "MODEL.md", "CALIBRATION.md", "LAYOUT.md", "ANCHORS.md"):
            assert bad not in text, f"{path.relative_to(ROOT)} mentions {bad}"


def test_generated_parts_of_the_docs_are_up_to_date():
    """The parameter and stage tables, the commands' help and the benchmark
    tables in docs/ are those the code and its data give now."""
    for path, (old, new) in make.outputs().items():
        assert new == old, f"{path.name} is out of date: run python docs/make.py"


def test_every_parameter_is_documented():
    from lacquersim.model.parameters import table

    doc = make.DOC.read_text(encoding="utf-8")
    for name in table().info:
        assert f"`{name}`" in doc


def test_links_between_docs_resolve():
    for path in [ROOT / "README.md"] + sorted((ROOT / "docs").glob("*.md")):
        for target in re.findall(r"\]\(([^)#\s]+\.(?:md|png|yaml|py))\)", path.read_text(encoding="utf-8")):
            if "://" in target:
                continue
            assert (path.parent / target).exists(), f"{path.relative_to(ROOT)} links to missing {target}"


def test_validation_doc_is_from_the_shipped_parameters():
    """docs/validation.md records a hash of the parameter table and its ensemble;
    any change to either needs python experiments/validate.py again."""
    import validate

    assert validate.is_current(), "docs/validation.md is stale: run python experiments/validate.py"
