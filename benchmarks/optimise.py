"""Benchmark of the optimiser: its evaluations per second against the bare kernel.

    python benchmarks/optimise.py [--budget 500] [--seed 1]

Runs ``optimise`` on the study's space (experiments/optimise/phu-tho-laccol.yaml,
12 months each) for ``budget`` candidates without the band check, recording
every call of the batch kernel (its input arrays). Then it runs the bare
kernel again on exactly those arrays, in the same process, and reports:

- candidates and simulations per second through the optimiser and through
  the bare kernel, and the overhead (optimiser time / kernel time − 1:
  refining, schedules, preparing films, costs, pymoo), both as the best run
  against the best replay and, within the first run, as the time spent
  outside the kernel;
- the share of the time per candidate spent refining (the issue's limit: 5 %).

Appends a record to benchmarks/history_optimise.jsonl. The study's own
timing (5000 candidates × 12 months) is printed by experiments/optimise/run.py.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import time
from datetime import datetime, timezone
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SPACE = ROOT / "experiments" / "optimise" / "phu-tho-laccol.yaml"
HISTORY = Path(__file__).with_name("history_optimise.jsonl")


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--budget", type=int, default=500)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--no-record", action="store_true")
    args = ap.parse_args()

    import numba
    import numpy as np

    from lacquersim.kernels import bdf
    from lacquersim.optimise.search import optimise
    from lacquersim.optimise.space import load_space
    from lacquersim.sim import prepared

    space = load_space(SPACE)
    optimise(space, space.population, seed=args.seed + 1, band=False)  # warm: caches, first calls

    calls, spent = [], {"kernel": 0.0, "refining": 0.0}
    kernel, refine = bdf.integrate_batch, prepared.refined_values

    def recording_kernel(*a):
        calls.append(list(a))  # the inputs are made per call and never written: no copy
        t = time.perf_counter()
        out = kernel(*a)
        spent["kernel"] += time.perf_counter() - t
        return out

    def timed_refining(*a, **k):
        t = time.perf_counter()
        out = refine(*a, **k)
        spent["refining"] += time.perf_counter() - t
        return out

    bdf.integrate_batch, prepared.refined_values = recording_kernel, timed_refining
    try:
        t0 = time.perf_counter()
        res = optimise(space, args.budget, seed=args.seed, band=False)
        t_opts = [time.perf_counter() - t0]
    finally:
        bdf.integrate_batch, prepared.refined_values = kernel, refine
    sims = int(sum(c[0].shape[0] for c in calls))

    def bare() -> float:
        t0 = time.perf_counter()
        for c in calls:
            a = list(c)
            for j in (7, 8, 9, 10, 11, 12):  # fresh outputs
                a[j] = np.zeros_like(a[j])
            kernel(*a)
        return time.perf_counter() - t0

    # alternately, so that a busier spell of the machine hits both; the best counts
    t_bare = []
    for _ in range(2):
        t_bare.append(bare())
        t0 = time.perf_counter()
        optimise(space, args.budget, seed=args.seed, band=False)  # the same seed: the same cases
        t_opts.append(time.perf_counter() - t0)
    t_kernel, t_opt = min(t_bare), min(t_opts)
    rec = {
        "date": datetime.now(timezone.utc).isoformat(timespec="seconds"),
        "commit": _commit(),
        "machine": {"cpu": platform.processor() or platform.machine(), "cores": os.cpu_count(),
                    "numba_threads": numba.get_num_threads(), "python": platform.python_version()},
        "space": str(SPACE.relative_to(ROOT)), "budget": args.budget, "candidates": res.n_evals,
        "months": len(space.months), "simulations": sims, "n_cells": space.n_cells,
        "optimiser_s": round(t_opt, 3), "optimiser_repeats_s": [round(x, 3) for x in t_opts],
        "kernel_in_run_s": round(spent["kernel"], 3),
        "bare_kernel_s": round(t_kernel, 3), "bare_kernel_repeats_s": [round(x, 3) for x in t_bare],
        "overhead": round(t_opt / t_kernel - 1.0, 4),
        "overhead_in_run": round(t_opts[0] / spent["kernel"] - 1.0, 4),
        "refining_s": round(spent["refining"], 3),
        "refining_share": round(spent["refining"] / t_opts[0], 4),
        "candidates_per_s": round(res.n_evals / t_opt, 2),
        "candidates_per_s_bare": round(res.n_evals / t_kernel, 2),
    }
    print(f"{res.n_evals} candidates × {len(space.months)} months = {sims} simulations "
          f"({space.n_cells} cells), {rec['machine']['cores']} cores")
    print(f"  optimiser   {t_opt:8.2f} s  {rec['candidates_per_s']:7.2f} candidates/s "
          f"(repeats {', '.join(f'{x:.2f}' for x in t_opts)} s)")
    print(f"  bare kernel {t_kernel:8.2f} s  {rec['candidates_per_s_bare']:7.2f} candidates/s "
          f"(repeats {', '.join(f'{x:.2f}' for x in t_bare)} s)")
    print(f"  overhead    {rec['overhead']:8.1%}   (limit 10 %; best run against the best replay)")
    print(f"  in the first run: {spent['kernel']:.2f} s in the kernel, overhead "
          f"{rec['overhead_in_run']:.1%} (the time outside the kernel)")
    print(f"  refining    {spent['refining']:8.2f} s  {rec['refining_share']:.1%} of the first run's time "
          f"per candidate (limit 5 %)")
    if not args.no_record:
        with open(HISTORY, "a", encoding="utf-8") as fh:
            fh.write(json.dumps(rec) + "\n")
    return 0


def _commit() -> str:
    try:
        out = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True,
                             text=True, check=True).stdout.strip()
        dirty = subprocess.run(["git", "status", "--porcelain", "--untracked-files=no"], cwd=ROOT,
                               capture_output=True, text=True).stdout.strip()
        return out + ("-dirty" if dirty else "")
    except (OSError, subprocess.CalledProcessError):
        return "unknown"


if __name__ == "__main__":
    raise SystemExit(main())
