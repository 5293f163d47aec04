"""A wheel of the package works without the source tree (issue 18).

Builds a wheel of this checkout, installs it with its dependencies in a
fresh virtual environment, and runs the command line from a folder outside
the repository: the bundled recipes, the parameter table and the kernels
must all come from the installed package. Slow (a venv, an install and a
first compilation of the kernels) and needs the package index or pip's
cache, as any install does.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


def _run(args, cwd, env=None, timeout=900):
    out = subprocess.run(args, cwd=cwd, env=env, capture_output=True, text=True, encoding="utf-8",
                         timeout=timeout)
    assert out.returncode == 0, f"{' '.join(map(str, args))} failed:\n{out.stdout[-3000:]}\n{out.stderr[-3000:]}"
    return out.stdout


@pytest.mark.slow
def test_a_wheel_installs_and_runs_outside_the_source_tree(tmp_path):
    dist = tmp_path / "dist"
    _run([sys.executable, "-m", "pip", "wheel", "--no-deps", "--quiet", "-w", str(dist), str(ROOT)],
         cwd=tmp_path)
    wheels = list(dist.glob("lacquersim-*.whl"))
    assert len(wheels) == 1
    venv = tmp_path / "venv"
    _run([sys.executable, "-m", "venv", str(venv)], cwd=tmp_path)
    bin_dir = venv / ("Scripts" if os.name == "nt" else "bin")
    _run([str(bin_dir / "python"), "-m", "pip", "install", "--quiet", str(wheels[0])], cwd=tmp_path)

    elsewhere = tmp_path / "workshop"
    elsewhere.mkdir()
    env = {k: v for k, v in os.environ.items()
           if k not in ("PYTHONPATH", "LACQUERSIM_RECIPES", "NUMBA_CACHE_DIR", "VIRTUAL_ENV")}
    env["PATH"] = str(bin_dir) + os.pathsep + env.get("PATH", "")
    exe = str(bin_dir / "lacquersim")
    listing = _run([exe, "recipes"], cwd=elsewhere, env=env)
    assert "vietnam-raw" in listing and "cashew-workshop" in listing
    assert str(venv) in listing  # the recipes the wheel installed, not the checkout's
    run = _run([exe, "run", "vietnam-raw"], cwd=elsewhere, env=env)
    assert "dry through" in run and "not reached" not in run
    assert "90 % band:" in run  # the parameter ensemble ships with the table
    july = _run([exe, "run", "vietnam-kurome-phu-tho-july", "--no-band", "--cells", "20"], cwd=elsewhere, env=env)
    assert "Viet Tri" in july or "viet-tri" in july  # the station records ship too
    vi = _run([exe, "--lang", "vi", "recipes"], cwd=elsewhere, env=env)
    assert "Sơn ta" in vi and "tên gọi" in vi  # the compiled Vietnamese catalogue ships
    where = _run([str(bin_dir / "python"), "-c",
                  "import lacquersim, lacquersim.model.parameters as p; "
                  "print(lacquersim.__file__); print(p.TABLE_FILE)"], cwd=elsewhere, env=env)
    assert all(str(venv) in line for line in where.split())
