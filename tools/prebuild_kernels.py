"""Compile the kernels once and ship them: src/lacquersim/kernels/prebuilt/.

    python tools/prebuild_kernels.py            # rebuild the shipped kernels
    python tools/prebuild_kernels.py --check    # exit 1 if they are stale

A fresh install then runs its first simulation in seconds instead of
compiling for ~20 s (lacquersim.kernels._kernel_cache explains the lookup).
Each flavour compiles in its own process with an empty numba cache: this
machine's CPU, then the portable x86-64-v4 (AVX-512) and x86-64-v3 (AVX2)
levels. The workload is what the command line and a study compile: every
bundled recipe through `run` (with its band), `compare`, `refine`, a plot and
a case with general (non-integral) exponents. Studies and the optimiser
(the batch kernel) still compile on their first use.
Re-run after any change to src/lacquersim/kernels/ (tests/test_prebuilt.py
says when) and commit the result; entries serve the numba and Python versions
named in the manifest only, anything else compiles as before.
"""

from __future__ import annotations

import argparse
import contextlib
import io
import json
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SRC = ROOT / "src"
KERNELS = SRC / "lacquersim" / "kernels"
OUT = KERNELS / "prebuilt"
sys.path.insert(0, str(SRC))  # this checkout's package, installed or not

from lacquersim.kernels._kernel_cache import MANIFEST, PORTABLE, _host_features, sources_digest  # noqa: E402


def workload() -> None:
    """What a first run, a comparison, a refining table, a plot and a study compile."""
    from numba import config
    from numba.core.registry import cpu_target

    from lacquersim import bundled_recipes, cli
    from lacquersim.sim.simulation import simulate

    assert not config.USING_SVML  # SVML symbols would be missing on a user's machine

    names = list(bundled_recipes()["name"])
    with tempfile.TemporaryDirectory() as tmp, contextlib.redirect_stdout(io.StringIO()):
        commands = [["run", name] for name in names] + [
            ["compare", *names[:3]], ["refine", "vietnam-kneaded-60", "--steps"],
            ["run", "vietnam-raw", "--plot", str(Path(tmp) / "run.png")]]
        for args in commands:
            if cli.main(args):
                raise SystemExit(f"lacquersim {' '.join(args)} failed")
        simulate("vietnam-raw", parameters={"beta_w": 2.5})  # the general-power path
    print(json.dumps(list(cpu_target.target_context.codegen().magic_tuple())))


# the kernels the simulation layer calls from Python on a run; what they call
# is linked into them, so the rest is only needed to compile these
SHIPPED = ("bdf.integrate", "bdf.dense_eval", "film.cell_diagnostics", "laws.c_saturation",
           "laws.conditions")


def _cache_files(cache: Path) -> list:
    # numba's NUMBA_CACHE_DIR locator files a module's entries under "<dir>_<hash>"
    return sorted(p for p in cache.glob("kernels_*/*")
                  if p.suffix in (".nbi", ".nbc") and p.name.split("-")[0] in SHIPPED)


def build() -> dict:
    import hashlib
    import platform

    import numba

    # the flavours run their code here, and the lookup serves Linux on x86-64 only
    missing = set(PORTABLE["x86-64-v4"]) - _host_features()
    if platform.system() != "Linux" or platform.machine() != "x86_64" or missing:
        raise SystemExit("build the shipped kernels on Linux x86-64 with AVX-512 (x86-64-v4); "
                         f"this is {platform.system()} {platform.machine()}"
                         + (f", lacking {', '.join(sorted(missing))}" if missing else ""))
    digest = sources_digest(KERNELS)
    flavours = []
    with tempfile.TemporaryDirectory() as tmp:
        cache = Path(tmp)
        for cpu in (None, *PORTABLE):
            # numba's defaults only (no NUMBA_OPT, debug or SVML settings of this shell)
            env = {k: v for k, v in os.environ.items() if not k.startswith(("NUMBA_", "LACQUERSIM_"))}
            env.update(NUMBA_CACHE_DIR=str(cache), NUMBA_DISABLE_INTEL_SVML="1", LACQUERSIM_PREBUILT="0",
                       MPLBACKEND="Agg", PYTHONPATH=str(SRC))
            if cpu:
                env.update(NUMBA_CPU_NAME=cpu, NUMBA_CPU_FEATURES="")
            print(f"compiling for {cpu or 'this CPU'} ...", flush=True)
            out = subprocess.run([sys.executable, __file__, "--workload"], env=env, check=True,
                                 capture_output=True, text=True).stdout
            flavours.append(json.loads(out.strip().splitlines()[-1]))
        if sources_digest(KERNELS) != digest:
            raise SystemExit("the kernel sources changed during the build: run it again")
        shutil.rmtree(OUT, ignore_errors=True)
        OUT.mkdir()
        for f in _cache_files(cache):
            shutil.copy2(f, OUT / f.name)
    files = {f.name: [f.stat().st_size, hashlib.sha256(f.read_bytes()).hexdigest()]
             for f in sorted(OUT.iterdir())}
    manifest = {"digest": digest, "numba": numba.__version__,
                "python": "%d.%d" % sys.version_info[:2], "flavours": flavours, "files": files}
    (OUT / "manifest.json").write_text(json.dumps(manifest, indent=1) + "\n")
    size = sum(f.stat().st_size for f in OUT.iterdir())
    print(f"{len(list(OUT.iterdir()))} files, {size / 1e6:.1f} MB in {OUT.relative_to(ROOT)}")
    return manifest


def check() -> int:
    try:
        shipped = json.loads((OUT / MANIFEST).read_text()).get("digest")
    except (OSError, ValueError):
        shipped = None
    if shipped != sources_digest(KERNELS):
        print("the prebuilt kernels are stale: run python tools/prebuild_kernels.py")
        return 1
    print("the prebuilt kernels match the kernel sources")
    return 0


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--check", action="store_true", help="only check that the shipped kernels are current")
    ap.add_argument("--workload", action="store_true", help=argparse.SUPPRESS)
    args = ap.parse_args(argv)
    if args.workload:
        workload()
        return 0
    if args.check:
        return check()
    build()
    return 0


if __name__ == "__main__":
    sys.exit(main())
