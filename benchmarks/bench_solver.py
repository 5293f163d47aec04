"""Solver speed and accuracy on the core cases, as ratios measured in one process.

For each case it runs the package's default solver (scipy Radau driven step
by step with the numba right-hand side and analytic sparse Jacobian, rtol
1e-6), scipy BDF with the same compiled functions at rtol 1e-6, and the
reference (BDF, rtol 1e-10). It prints median wall times, the ratio to the
package solver, steps / Jacobians / LU factorisations, and the largest
relative stage-time error against the reference.

    python benchmarks/bench_solver.py [--repeat 5]

The fully compiled solver, batch kernel, CVODE comparison and history file
are the solver-speed issue; this script is their starting point.
"""

from __future__ import annotations

import argparse
import time

import numpy as np
import pandas as pd

import lacquersim as ls
from lacquersim.solver import ScipySolver

CASES = {
    "vietnam raw 76 µm 25 °C/80 %, 72 h": dict(material="vietnam"),
    "vietnam kneaded t7-60": dict(material="vietnam", state={"water_percent": 5.2, "monomer_percent": 50.2}),
    "cashew 50 µm 30 °C/70 %": dict(material="cashew", thickness_um=50, temperature_c=30, rh_percent=70),
}


def recipe(material, thickness_um=76, temperature_c=25, rh_percent=80, hours=72, state=None):
    d = {"name": material, "material": material, "film": {"thickness_um": thickness_um},
         "drying": {"temperature_c": temperature_c, "rh_percent": rh_percent, "hours": hours}}
    if state:
        d["state"] = state
    return ls.Recipe.from_dict(d)


def timed(rec, solver, n_cells, repeat):
    times = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        res = ls.simulate(rec, n_cells=n_cells, solver=solver)
        times.append(time.perf_counter() - t0)
    return float(np.median(times)), res


def main(argv=None):
    ap = argparse.ArgumentParser(description="lacquersim solver benchmark")
    ap.add_argument("--repeat", type=int, default=5)
    ap.add_argument("--cells", type=int, nargs="+", default=[50, 200])
    args = ap.parse_args(argv)
    rows = []
    for name, kw in CASES.items():
        rec = recipe(**kw)
        for n in args.cells:
            ls.simulate(rec, n_cells=n)  # compile / warm caches outside the timing
            ref_t, ref = timed(rec, ScipySolver("BDF", rtol=1e-10), n, 1)
            for label, solver in (("package (Radau 1e-6)", None), ("scipy BDF 1e-6", ScipySolver("BDF", rtol=1e-6))):
                t, res = timed(rec, solver, n, args.repeat)
                ok = ref.stages.notna()
                err = float(((res.stages[ok] - ref.stages[ok]) / ref.stages[ok]).abs().max())
                rows.append({"case": name, "cells": n, "solver": label, "median_s": t,
                             "steps": res.trajectory.stats["steps"], "jac": res.trajectory.stats["njev"],
                             "lu": res.trajectory.stats["nlu"], "max_stage_rel_err": err})
            rows.append({"case": name, "cells": n, "solver": "reference BDF 1e-10", "median_s": ref_t,
                         "steps": ref.trajectory.stats["steps"], "jac": ref.trajectory.stats["njev"],
                         "lu": ref.trajectory.stats["nlu"], "max_stage_rel_err": 0.0})
    df = pd.DataFrame(rows)
    base = df[df.solver.str.startswith("package")].set_index(["case", "cells"]).median_s
    df["ratio_to_package"] = [r.median_s / base[(r.case, r.cells)] for r in df.itertuples()]
    with pd.option_context("display.width", 200, "display.max_columns", 20):
        print(df.to_string(index=False, float_format=lambda x: f"{x:.3g}"))


if __name__ == "__main__":
    main()
