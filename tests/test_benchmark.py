"""The benchmark's bookkeeping: which rtol counts as reliably accurate, and
which commit a record is attributed to."""

from __future__ import annotations

import shutil
import subprocess

import numpy as np
import pytest

from benchmark import _commit, reliable_rung, work_precision_fit


def test_each_solver_is_timed_where_its_accuracy_holds_from_then_on():
    assert reliable_rung([3e-4, 5e-5, 2e-4, 4e-5, 1e-5]) == 3  # a lucky pass does not count
    assert reliable_rung([5e-5, 4e-5, 1e-6]) == 0
    assert reliable_rung([1e-3, 2e-4]) is None
    assert reliable_rung([1e-3, np.inf, 1e-6]) == 2  # a failed or stage-missing run fails its rung


def test_work_precision_fit_reads_the_time_at_the_accuracy_off_the_ladder():
    errs = np.array([3e-4, 1e-4, 4e-5, 1e-5, 3e-6])
    secs = 2e-3 * (errs / 1e-4) ** -0.25  # time ∝ error^(-1/4), 2 ms at 1e-4
    assert work_precision_fit(errs, secs) == pytest.approx(2e-3, rel=1e-12)
    noisy = secs * np.array([1.1, 0.9, 1.05, 0.95, 1.0])
    assert work_precision_fit(errs, noisy) == pytest.approx(2e-3, rel=0.1)
    # failed runs (inf error, NaN time) are left out; too few points give NaN
    assert work_precision_fit([*errs, np.inf], [*secs, np.nan]) == pytest.approx(2e-3, rel=1e-12)
    assert np.isnan(work_precision_fit(errs[:3], secs[:3]))


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
