"""The benchmark's bookkeeping: which rtol counts as reliably accurate, and
which commit a record is attributed to."""

from __future__ import annotations

import shutil
import subprocess

import numpy as np
import pytest

from lacquersim.benchmark import _commit, reliable_rung


def test_each_solver_is_timed_where_its_accuracy_holds_from_then_on():
    assert reliable_rung([3e-4, 5e-5, 2e-4, 4e-5, 1e-5]) == 3  # a lucky pass does not count
    assert reliable_rung([5e-5, 4e-5, 1e-6]) == 0
    assert reliable_rung([1e-3, 2e-4]) is None
    assert reliable_rung([1e-3, np.inf, 1e-6]) == 2  # a failed or stage-missing run fails its rung


@pytest.mark.skipif(shutil.which("git") is None, reason="needs git")
def test_records_name_the_commit_and_say_when_the_measured_tree_differs(tmp_path):
    repo = tmp_path / "repo"
    pkg = repo / "src" / "lacquersim"
    pkg.mkdir(parents=True)
    (pkg / "film.py").write_text("x = 1\n")
    (repo / "recipes").mkdir()
    (repo / "notes.txt").write_text("not measured\n")

    def git(*args):
        subprocess.run(["git", "-C", str(repo), *args], check=True, capture_output=True)

    git("init", "-q")
    git("add", ".")
    git("-c", "user.name=t", "-c", "user.email=t@t", "commit", "-qm", "init")
    rev = subprocess.run(["git", "-C", str(repo), "rev-parse", "--short", "HEAD"], check=True,
                         capture_output=True, text=True).stdout.strip()
    assert _commit(pkg) == rev
    (repo / "notes.txt").write_text("edited, but not part of what is measured\n")
    assert _commit(pkg) == rev
    (repo / "recipes" / "new.yaml").write_text("name: x\n")  # untracked recipe
    assert _commit(pkg) == rev + "-dirty"
    (repo / "recipes" / "new.yaml").unlink()
    (pkg / "film.py").write_text("x = 2\n")
    assert _commit(pkg) == rev + "-dirty"
    elsewhere = tmp_path / "plain" / "src" / "lacquersim"
    elsewhere.mkdir(parents=True)
    assert _commit(elsewhere) == "unknown"  # not a git checkout
