"""The kernels shipped compiled (src/lacquersim/kernels/prebuilt/): current,
used on a first run, and giving the same numbers as a compilation."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from lacquersim.kernels import _kernel_cache as kc

ROOT = Path(__file__).resolve().parents[1]

# the start of a fresh process's script: numba's compilations, counted in ``compiled``
COUNT_COMPILATIONS = """
from numba.core import event
compiled = []
class L(event.Listener):
    def on_start(self, ev): compiled.append(ev.data["dispatcher"].py_func.__qualname__)
    def on_end(self, ev): pass
event.register("numba:compile", L())
"""

# stage times (h) of bundled recipes, printed by a fresh process that counts numba's compilations
PROBE = COUNT_COMPILATIONS + """
import json, sys
from lacquersim.sim.simulation import simulate
out = {}
for name in ("vietnam-raw", "japan-baked", "cashew-workshop"):
    out[name] = [None if x != x else float(x) for x in simulate(name).stages.to_numpy()]
out["general powers"] = [None if x != x else float(x) for x in simulate("vietnam-raw", parameters={"beta_w": 2.5}).stages.to_numpy()]
print(json.dumps({"stages": out, "compiled": compiled}))
"""


def _probe(tmp_path, flavour: str) -> dict:
    cache = tmp_path / f"cache-{flavour}"
    cache.mkdir()
    env = dict(os.environ, NUMBA_CACHE_DIR=str(cache), LACQUERSIM_PREBUILT=flavour)
    proc = subprocess.run([sys.executable, "-c", PROBE], env=env, capture_output=True, text=True,
                          timeout=600)
    assert proc.returncode == 0, proc.stderr
    return json.loads(proc.stdout.strip().splitlines()[-1])


def _usable() -> list:
    """The shipped flavours this host and these versions can use, else skip."""
    from numba.core.registry import cpu_target

    if kc._setting() == "0":
        pytest.skip("LACQUERSIM_PREBUILT=0: the shipped kernels are turned off")
    if not kc._manifest():
        pytest.skip("the shipped kernels serve other kernel sources, numba or Python (they compile "
                    "instead); python tools/prebuild_kernels.py --check says whether the sources moved")
    flavours = kc.prebuilt_flavours(cpu_target.target_context.codegen().magic_tuple())
    if not flavours:
        pytest.skip("this CPU runs none of the shipped flavours (the kernels compile instead)")
    return flavours


def test_the_shipped_kernels_are_those_of_the_sources():
    # a kernel edit without `python tools/prebuild_kernels.py` fails here
    manifest = json.loads((kc.PREBUILT / kc.MANIFEST).read_text())
    assert manifest["digest"] == kc.sources_digest(kc.PREBUILT.parent)
    assert {tuple(m)[1] for m in manifest["flavours"]} >= set(kc.PORTABLE)
    for stem in ("bdf.integrate", "bdf.dense_eval", "film.cell_diagnostics"):
        assert list(kc.PREBUILT.glob(f"{stem}-*.nbi")), stem


def test_a_first_run_compiles_nothing_and_matches_a_compilation(tmp_path):
    flavours = _usable()
    compiled = _probe(tmp_path, "0")  # no shipped kernels: numba compiles them here
    assert "integrate" in compiled["compiled"]
    for cpu in sorted({m[1] for m in flavours}):
        shipped = _probe(tmp_path, cpu)
        assert shipped["compiled"] == [], (cpu, shipped["compiled"])
        assert shipped["stages"] == compiled["stages"], cpu  # the same bits, NaN aside


DAMAGED = """
import json, shutil, sys
from pathlib import Path
import numpy as np
from lacquersim.kernels import _kernel_cache as kc
tmp, how = Path(sys.argv[1]), sys.argv[2]
for f in kc.PREBUILT.iterdir():
    shutil.copy(f, tmp / f.name)
if how == "data":      # an entry's machine code, its index intact
    for f in tmp.glob("laws.conditions-*.nbc"):
        f.write_bytes(b"not a numba cache entry")
elif how == "stale":   # a file an earlier build left behind
    (tmp / "laws.conditions-40.py311.9.nbc").write_bytes(b"old")
elif how == "manifest":
    (tmp / "manifest.json").write_text("[]")
kc.PREBUILT = tmp
""" + COUNT_COMPILATIONS + """from lacquersim.kernels import laws, layout
p = np.zeros(layout.N_PARAMS)
print(json.dumps({"value": list(laws.conditions(0.0, p)), "compiled": compiled}))
"""


@pytest.mark.parametrize("how", ["intact", "data", "stale", "manifest"])
def test_a_damaged_or_stale_shipped_kernel_is_compiled_instead(tmp_path, how):
    _usable()
    shipped = tmp_path / "prebuilt"
    shipped.mkdir()
    cache = tmp_path / "cache"
    cache.mkdir()
    env = {k: v for k, v in os.environ.items() if k != "LACQUERSIM_PREBUILT"}
    proc = subprocess.run([sys.executable, "-c", DAMAGED, str(shipped), how], capture_output=True, text=True,
                          env=dict(env, NUMBA_CACHE_DIR=str(cache)), timeout=600)
    assert proc.returncode == 0, proc.stderr
    out = json.loads(proc.stdout.strip().splitlines()[-1])
    assert out["value"] == [0.0, 0.0]
    assert out["compiled"] == ([] if how == "intact" else ["conditions"])


@pytest.mark.parametrize("value, meaning", [("", "1"), ("1", "1"), ("yes", "1"), ("True", "1"), ("0", "0"),
                                            ("off", "0"), ("false", "0"), ("x86-64-v3", "x86-64-v3")])
def test_the_switch_reads_like_a_switch(monkeypatch, value, meaning):
    monkeypatch.setenv("LACQUERSIM_PREBUILT", value)
    assert kc._setting() == meaning


def test_numba_cpu_settings_take_only_an_exact_flavour(monkeypatch):
    import numba

    from numba.core.registry import cpu_target

    native = cpu_target.target_context.codegen().magic_tuple()
    triple = native[0]
    manifest = {"flavours": [[triple, "x86-64-v4", ""], [triple, "x86-64-v3", ""]]}
    monkeypatch.setattr(kc, "_host_features", lambda: set(kc.PORTABLE["x86-64-v4"]))
    assert [m[1] for m in kc.prebuilt_flavours(native, manifest)] == ["x86-64-v4", "x86-64-v3"]
    monkeypatch.setattr(kc, "_host_features", lambda: set(kc.PORTABLE["x86-64-v3"]))  # no AVX-512
    assert [m[1] for m in kc.prebuilt_flavours(native, manifest)] == ["x86-64-v3"]
    monkeypatch.setattr(numba.config, "CPU_NAME", "haswell")  # the user chose what numba compiles for
    assert kc.prebuilt_flavours(native, manifest) == []
