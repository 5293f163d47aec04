"""Paired A/B timing of the compiled kernel: `python benchmarks/ab.py [REV] [--seconds S] [--cells N] [--wp]`.

Compares the kernel (bdf.integrate) of git revision REV (default HEAD) with
the working tree's, in one process, on the benchmark cases: both kernels get
the same problem (built by the working tree) and run in turns, one call each,
so that the machine's drift (several per cent over seconds on this shared
VM) falls on both alike. Prints per case the median time of each, the median
of the paired ratios new/old, and whether stage times, final state and step
statistics agree bit for bit (a change meant to keep the arithmetic must
print "same bits"). ``--cells N`` (repeatable) runs the chosen cases at N
cells instead of their own, for a change whose effect depends on the cell
count. Changes of a few per cent, invisible between two runs of
`bench.py`, show here; `bench.py` stays the record of the product's speed.

With ``--wp`` (for a change that alters the results, e.g. a step-size or
Newton policy) it compares work-precision instead: each kernel runs the
benchmark's rtol ladder (median of five runs per rung), its stage errors are
taken against scipy BDF at rtol 1e-10, and the time at stage error 1e-4 is
read off a log-log fit (as ``fit_ms`` in the benchmark). Two runs of the
same kernel agree to about ±3 % this way.

REV's package is exported with `git archive` into a temporary directory and
imported under another name, so its kernels compile once per run (≈ 30 s).
"""

from __future__ import annotations

import argparse
import importlib
import io
import subprocess
import sys
import tarfile
import tempfile
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
# the rung of each case in the benchmark record this tool was written with
CASES = ((0, 5e-5), (1, 1e-4), (2, 2e-4), (3, 5e-4), (4, 1e-5))


def load_revision(rev: str, into: Path):
    """Import src/lacquersim of ``rev`` as the package ``lacquersim_ab``; its bdf module."""
    data = subprocess.run(["git", "archive", rev, "src/lacquersim"], cwd=ROOT, check=True,
                          capture_output=True).stdout
    with tarfile.open(fileobj=io.BytesIO(data)) as tar:
        tar.extractall(into, filter="data")
    (into / "src" / "lacquersim").rename(into / "lacquersim_ab")
    # only the kernels are needed: the package's own __init__ may import
    # modules of the working tree's lacquersim by absolute name
    (into / "lacquersim_ab" / "__init__.py").write_text("")
    sys.path.insert(0, str(into))
    layered = (into / "lacquersim_ab" / "kernels" / "bdf.py").exists()  # since the layers
    return importlib.import_module("lacquersim_ab.kernels.bdf" if layered else "lacquersim_ab.bdf")


def kernel_args(kernel, problem, rtol):
    """Arguments of ``kernel.integrate`` for ``problem`` and its outputs (y_end,
    stage_t, stats), for the signature and parameter layout of the kernel's
    revision (stage window as arguments or in the parameter vector)."""
    import inspect

    from lacquersim.sim.solver import default_atol

    n = problem.n_state
    P = np.vstack(problem.params)
    n_params = (kernel.layout if hasattr(kernel, "layout") else kernel.film).N_PARAMS
    if P.shape[1] < n_params:  # older layout: the extra slots (stage window) zero = whole film
        P = np.hstack([P, np.zeros((P.shape[0], n_params - P.shape[1]))])
    out = {"y_end": np.empty(n), "stage_t": np.empty(4), "stats": np.zeros(8, dtype=np.int64)}
    head = [np.ascontiguousarray(problem.y0), np.asarray(problem.t_bounds, dtype=float),
            np.ascontiguousarray(P), np.ascontiguousarray(problem.dz)]
    if "i0" in inspect.signature(kernel.integrate.py_func).parameters:
        head += [0, problem.n_cells]
    args = (*head, rtol, default_atol(problem, rtol), 200_000, 5, False, 1,
            out["y_end"], out["stage_t"], np.empty(1), out["stats"], np.zeros(1),
            np.empty(1), np.empty(1), np.empty(1, dtype=np.int64), np.empty(1, dtype=np.int64),
            np.empty((1, 6, n)), np.zeros(1, dtype=np.int64))
    return args, out


def compare(old, new, seconds: float, cases, cells=None) -> list[str]:
    from benchmark import cases as bench_cases
    from lacquersim.sim.prepared import prepare

    all_cases = bench_cases((50, 200))
    lines = []
    runs = [(i, rtol, all_cases[i]["cells"]) for i, rtol in cases] if not cells else \
        [(i, rtol, n) for i, rtol in cases for n in cells]
    for i, rtol, n_cells in runs:
        c = all_cases[i]
        problem = prepare(c["recipe"], c["schedule"], n_cells).problem
        a, oa = kernel_args(old, problem, rtol)
        b, ob = kernel_args(new, problem, rtol)
        old.integrate(*a)  # compile / warm
        new.integrate(*b)
        same = (np.array_equal(oa["stage_t"], ob["stage_t"], equal_nan=True)
                and np.array_equal(oa["y_end"], ob["y_end"]) and np.array_equal(oa["stats"], ob["stats"]))
        ta, tb = [], []
        t0 = time.perf_counter()
        while time.perf_counter() - t0 < seconds:
            t = time.perf_counter()
            old.integrate(*a)
            ta.append(time.perf_counter() - t)
            t = time.perf_counter()
            new.integrate(*b)
            tb.append(time.perf_counter() - t)
        ta, tb = np.array(ta), np.array(tb)
        lines.append(f"{c['case'][:34]:34s} {n_cells:4d} cells rtol {rtol:<7g} "
                     f"old {np.median(ta) * 1e3:8.3f} ms  new {np.median(tb) * 1e3:8.3f} ms  "
                     f"new/old {np.median(tb / ta):.3f} ({len(ta)} pairs)  "
                     f"steps {oa['stats'][0]}/{ob['stats'][0]}, right-hand sides "
                     f"{oa['stats'][1]}/{ob['stats'][1]}, Jacobians {oa['stats'][2]}/{ob['stats'][2]}  "
                     f"{'same bits' if same else 'DIFFERENT results'}")
    return lines


def compare_wp(old, new, cases) -> list[str]:
    from benchmark import RTOL_LADDER, _rel_err, reference_stages_s, reliable_rung, work_precision_fit
    from benchmark import cases as bench_cases
    from lacquersim.sim.prepared import prepare

    all_cases = bench_cases((50, 200))
    lines = []
    for i, _ in cases:
        c = all_cases[i]
        problem = prepare(c["recipe"], c["schedule"], c["cells"]).problem
        ref = reference_stages_s(c)
        out = []
        for kernel in (old, new):
            errs, secs = [], []
            for rtol in RTOL_LADDER:
                a, o = kernel_args(kernel, problem, rtol)
                kernel.integrate(*a)
                ts = []
                for _ in range(5):
                    t0 = time.perf_counter()
                    kernel.integrate(*a)
                    ts.append(time.perf_counter() - t0)
                errs.append(_rel_err(o["stage_t"], ref))
                secs.append(float(np.median(ts)))
            k = reliable_rung(errs)
            out.append((work_precision_fit(errs, secs), None if k is None else RTOL_LADDER[k]))
        (fo, ro), (fn, rn) = out
        lines.append(f"{c['case'][:34]:34s} {c['cells']:4d} cells  time at stage error 1e-4: "
                     f"old {fo * 1e3:8.3f} ms  new {fn * 1e3:8.3f} ms  new/old {fn / fo:.3f}  "
                     f"(reliable rung old {ro}, new {rn})")
    return lines


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("rev", nargs="?", default="HEAD", help="revision to compare against (default HEAD)")
    ap.add_argument("--seconds", type=float, default=4.0, help="timing per case (default 4)")
    ap.add_argument("--case", type=int, action="append",
                    help="benchmark case index 0-4 (repeatable; default all)")
    ap.add_argument("--cells", type=int, action="append",
                    help="run the cases at this cell count instead of their own (repeatable; paired mode)")
    ap.add_argument("--wp", action="store_true",
                    help="compare work-precision (time at stage error 1e-4) instead of paired times")
    args = ap.parse_args(argv)
    from lacquersim.kernels import bdf as new

    with tempfile.TemporaryDirectory() as tmp:
        old = load_revision(args.rev, Path(tmp))
        cases = [c for c in CASES if not args.case or c[0] in args.case]
        if args.wp:
            print(f"kernel of {args.rev} (old) against the working tree (new), work-precision")
            lines = compare_wp(old, new, cases)
        else:
            print(f"kernel of {args.rev} (old) against the working tree (new), paired runs")
            lines = compare(old, new, args.seconds, cases, args.cells)
        for line in lines:
            print(line)


if __name__ == "__main__":
    main()
