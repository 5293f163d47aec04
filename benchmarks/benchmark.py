"""Solver speed and accuracy, measured as ratios in one process.

``lacquersim bench`` and ``python benchmarks/bench.py`` run the same cases
with the package's compiled BDF, scipy's BDF driven with the same compiled
right-hand side and sparse analytic Jacobian, and (if scikit-sundae is
installed: ``pip install -e ".[bench]"``) SUNDIALS CVODE with a banded
linear solver. Every solver is timed at the loosest tolerance of a fixed
ladder from which on (that rtol and every tighter one) all its stage times
are within 1e-4 of the reference (scipy BDF at rtol 1e-10): equal,
reliable accuracy, not equal rtol. Stage errors do not fall monotonically
with rtol, so the first rung that happens to pass would reward luck; the
ladder is spaced by about 2 so that the choice is not coarser than that. Also reported: batch
throughput on one and on all cores, and the CLI's cold (empty kernel cache)
and warm start. Each run appends one JSON record to a history file.
"""

from __future__ import annotations

import datetime as _dt
import json
import os
import platform
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd

from lacquersim.kernels import film

from lacquersim.kernels import layout
from lacquersim.model.recipe import Recipe
from lacquersim.model.schedule import Schedule, Step
from lacquersim.sim.prepared import prepare
from lacquersim.sim.simulation import simulate
from lacquersim.sim.solver import BDFSolver, ScipySolver, default_atol
from lacquersim.kernels.indicators import indicators

RTOL_LADDER = (1e-3, 5e-4, 2e-4, 1e-4, 5e-5, 2e-5, 1e-5, 5e-6, 2e-6, 1e-6, 5e-7, 2e-7, 1e-7)
ACCURACY = 1e-4


def daily_cycle(days: int = 7, t_mean=28.0, t_amp=4.0, rh_mean=80.0, rh_amp=12.0) -> Schedule:
    """Sinusoidal daily cycle as 1-hour linear ramps (warmest at 15:00)."""
    steps = []
    for h in range(24 * days):
        ph0 = 2 * np.pi * (h - 9) / 24.0
        ph1 = 2 * np.pi * (h + 1 - 9) / 24.0
        steps.append(Step(t_mean + t_amp * np.sin(ph0), rh_mean - rh_amp * np.sin(ph0), 1.0,
                          end_temperature_c=t_mean + t_amp * np.sin(ph1),
                          end_rh_percent=rh_mean - rh_amp * np.sin(ph1)))
    return Schedule(tuple(steps))


def cases(cells=(50, 200)) -> list[dict]:
    def rec(name, material, thickness=76.0, state=None):
        d = {"name": name, "material": material, "film": {"thickness_um": thickness},
             "drying": {"temperature_c": 25, "rh_percent": 80, "hours": 72}}
        if state:
            d["state"] = state
        return Recipe.from_dict(d)

    raw = rec("vietnam raw", "vietnam")
    out = []
    for n in cells:
        out.append(dict(case="vietnam raw 76 µm 25 °C/80 % 72 h", cells=n, recipe=raw, schedule=None))
    out.append(dict(case="vietnam kneaded (t7-60)", cells=cells[0], schedule=None,
                    recipe=rec("t7-60", "vietnam", state={"water_percent": 5.2, "monomer_percent": 50.2})))
    out.append(dict(case="cashew 50 µm 30 °C/70 %", cells=cells[0],
                    recipe=rec("cashew", "cashew", 50.0),
                    schedule=Schedule.constant(30, 70, 72)))
    out.append(dict(case="vietnam raw, 7-day daily cycle", cells=cells[0], recipe=raw,
                    schedule=daily_cycle(7)))
    return out


# ---------------------------------------------------------------------------
# CVODE (optional)
# ---------------------------------------------------------------------------
def _cvode_available() -> bool:
    try:
        import sksundae  # noqa: F401
        return True
    except ImportError:
        return False


def _cvode_callbacks(p, dz, full, buf, g, nc):
    # closures with exactly CVODE's arguments (an extra default argument
    # would make scikit-sundae expect userdata)
    def rhs(t, yy, yp):
        full[:nc] = yy
        film.rhs(t, full, p, dz, buf)
        yp[:] = buf[:nc]

    def events(t, yy, ev):
        full[:nc] = yy
        indicators(t, full, p, dz, 0, len(dz), g)
        ev[:] = g

    return rhs, events


def cvode_stages(problem, rtol):
    """Stage times (s) and step count with SUNDIALS CVODE (banded, numba RHS).

    CVODE integrates the 5N cell states (the running integrals would make the
    band dense); stages come from its root finding on the four indicators,
    applied in sequence as in :mod:`lacquersim.stages`.
    """
    from sksundae.cvode import CVODE

    N = problem.n_cells
    nc = layout.NF * N
    dz = problem.dz
    full = np.zeros(problem.n_state)
    buf = np.empty(problem.n_state)
    atol = default_atol(problem, rtol)[:nc]
    y = problem.y0[:nc].copy()
    times = np.full(4, np.nan)
    k, t_prev, steps = 0, 0.0, 0
    g = np.empty(4)
    for sg, p in enumerate(problem.params):
        ta, tb = problem.t_bounds[sg], problem.t_bounds[sg + 1]

        rhs, events = _cvode_callbacks(p, dz, full, buf, g, nc)

        events.terminal = [False] * 4
        events.direction = [1] * 4
        solver = CVODE(rhs, rtol=rtol, atol=atol, linsolver="band", lband=2 * layout.NF - 1,
                       uband=2 * layout.NF - 1, max_num_steps=200_000, eventsfn=events, num_events=4)
        sol = solver.solve(np.array([ta, tb]), y)
        if not sol.success:
            raise RuntimeError(f"CVODE failed: {sol.message}")
        steps += len(sol.t) - 1  # with a two-point span CVODE reports every internal step
        ev_t = np.empty(0) if sol.t_events is None else np.asarray(sol.t_events, dtype=float).ravel()
        ev_i = (np.empty((0, 4)) if sol.i_events is None or len(ev_t) == 0
                else np.asarray(sol.i_events).reshape(len(ev_t), 4))
        # conditions true at the segment start
        full[:nc] = y
        while k < 4:
            indicators(ta, full, p, dz, 0, len(dz), g)
            if g[k] >= 0:
                times[k] = ta
                t_prev = ta
                k += 1
            else:
                break
        for te, ie in zip(ev_t, ev_i):
            while k < 4 and te >= t_prev and ie[k] > 0:
                times[k] = te
                t_prev = te
                k += 1
        y = sol.y[-1].copy()
    return times, steps


# ---------------------------------------------------------------------------
# Measurements
# ---------------------------------------------------------------------------
def reference_stages_s(c) -> np.ndarray:
    """Stage times (s) of benchmark case ``c`` by scipy BDF at rtol 1e-10,
    the reference every solver's stage error is taken against."""
    return simulate(c["recipe"], c["schedule"], c["cells"],
                    solver=ScipySolver("BDF", rtol=1e-10)).stages.to_numpy() * 3600.0


def _rel_err(got, ref):
    ok = np.isfinite(ref)
    if not np.array_equal(np.isfinite(got), ok):
        return np.inf
    return float(np.max(np.abs(got[ok] - ref[ok]) / ref[ok])) if ok.any() else 0.0


def _ladder_run(run, ref) -> tuple[float, float]:
    """Stage error and wall time (s) of one run of the ladder; a run that fails
    counts as error inf, time NaN (at some tolerances a solver may give up;
    that must not stop the benchmark)."""
    try:
        t0 = time.perf_counter()
        stages = run()[0]
        return _rel_err(stages, ref), time.perf_counter() - t0
    except Exception:  # noqa: BLE001 - any solver's failure is a failed rung
        return np.inf, np.nan


def work_precision_fit(errs, secs, accuracy=ACCURACY):
    """Time (s) at stage error ``accuracy`` from a least-squares line through
    log time against log error over the ladder's runs; NaN with fewer than
    four usable runs. A smoother figure than the time at the reliable rung,
    which jumps by a rung (a factor ≈ 1.2 in time) when a rounding-level
    change moves one error across the accuracy; it is an estimate, the
    reliable rung's time is the measurement."""
    e = np.asarray(errs, dtype=float)
    t = np.asarray(secs, dtype=float)
    ok = np.isfinite(e) & (e > 0) & np.isfinite(t) & (t > 0)
    if ok.sum() < 4:
        return np.nan
    b, a = np.polyfit(np.log(e[ok]), np.log(t[ok]), 1)
    return float(np.exp(a + b * np.log(accuracy)))


def reliable_rung(errs, accuracy=ACCURACY):
    """Index of the loosest rung from which on every error is within ``accuracy``
    (errors ordered from the loosest rtol to the tightest); None if the tightest fails."""
    for i in range(len(errs)):
        if all(e <= accuracy for e in errs[i:]):
            return i
    return None


def measure_case(c, repeat=5, with_cvode=True) -> list[dict]:
    rec, sched, n = c["recipe"], c["schedule"], c["cells"]
    problem = prepare(rec, sched, n).problem
    ref = reference_stages_s(c)

    def package(rtol):
        def run():
            r = simulate(rec, sched, n, solver=BDFSolver(rtol=rtol))
            return r.stages.to_numpy() * 3600.0, r.trajectory.stats
        return run

    def scipy_bdf(rtol):
        def run():
            r = simulate(rec, sched, n, solver=ScipySolver("BDF", rtol=rtol))
            return r.stages.to_numpy() * 3600.0, r.trajectory.stats
        return run

    def cvode(rtol):
        def run():
            st, steps = cvode_stages(problem, rtol)
            return st, {"steps": steps}
        return run

    solvers = [("lacquersim BDF (numba)", package), ("scipy BDF, same RHS+Jac", scipy_bdf)]
    if with_cvode and _cvode_available():
        solvers.append(("CVODE band (scikit-sundae)", cvode))
    rows, timed = [], []
    for name, make in solvers:
        make(RTOL_LADDER[0])()  # warm (compile, caches) before the ladder's timed runs
        errs, secs = zip(*[_ladder_run(make(rtol), ref) for rtol in RTOL_LADDER])
        errs, secs = list(errs), list(secs)
        k = reliable_rung(errs)
        row = {"case": c["case"], "cells": n, "solver": name, "rtol": np.nan, "median_s": np.nan,
               "stage_err": errs[-1], "fit_s": work_precision_fit(errs, secs),
               "ladder_errors": errs, "ladder_s": secs}
        rows.append(row)
        if k is not None:
            row.update(rtol=RTOL_LADDER[k], stage_err=errs[k])
            timed.append((row, make(RTOL_LADDER[k])))
    # Three rounds in which each solver runs `repeat` times back to back
    # after a warm-up of at least 50 ms, the median over all rounds. Warmed
    # up, because right after another solver's run (or an idle pause) the
    # core is slow for a while (benchmarks/breakdown.py, item 5: lacquersim's
    # 50-cell cashew case 5-10 % slower on its first runs after a scipy run),
    # a penalty that falls mostly on the fastest solver. Rounds, because a
    # slow spell of this shared VM (seconds long) would otherwise fall on one
    # solver only.
    times = {id(row): [] for row, _ in timed}
    results = {}
    for _ in range(3):
        for row, run in timed:
            t0 = time.perf_counter()
            run()
            while time.perf_counter() - t0 < 0.05:
                run()
            for _ in range(repeat):
                t0 = time.perf_counter()
                results[id(row)] = run()
                times[id(row)].append(time.perf_counter() - t0)
    for row, _ in timed:
        t = float(np.median(times[id(row)]))
        stats = results[id(row)][1]
        steps = stats.get("steps")
        row.update(median_s=t, steps=steps, us_per_step=1e6 * t / steps if steps else np.nan,
                   jac=stats.get("njev"), lu=stats.get("nlu"))
    base = rows[0]["median_s"]
    base_fit = rows[0]["fit_s"]
    for r in rows:
        r["ratio"] = r["median_s"] / base if base == base else np.nan
        r["fit_ratio"] = r["fit_s"] / base_fit if base_fit == base_fit else np.nan
    return rows


def batch_throughput(n_sims=128, cells=50) -> dict:
    import numba

    from lacquersim.sim.batch import simulate_many

    base = cases((cells,))[0]["recipe"]
    rng = np.random.default_rng(0)
    recs = [base.with_values({"film.thickness_um": float(rng.uniform(30, 90)),
                              "drying.rh_percent": float(rng.uniform(65, 90))}) for _ in range(n_sims)]
    out = {}
    all_threads = numba.config.NUMBA_NUM_THREADS
    counts = sorted({1, all_threads})
    times = {k: [] for k in counts}
    try:
        for threads in counts:
            numba.set_num_threads(threads)
            simulate_many(recs[:threads * 2], n_cells=cells)  # compile / warm
        # the thread counts take turns, five runs each: on a shared VM the
        # machine's speed drifts over seconds, and timing all one-core runs
        # before all two-core runs put that drift into the ratio (x1.5 to
        # x1.9 between runs of the same build)
        for _ in range(5):
            for threads in counts:
                numba.set_num_threads(threads)
                t0 = time.perf_counter()
                simulate_many(recs, n_cells=cells)
                times[threads].append(time.perf_counter() - t0)
    finally:
        numba.set_num_threads(all_threads)
    for threads in counts:
        out[f"sims_per_s_{threads}_cores"] = n_sims / float(np.median(times[threads]))
    out["cores"] = all_threads
    out["speedup"] = out[f"sims_per_s_{all_threads}_cores"] / out["sims_per_s_1_cores"]
    return out


def cli_start_times(recipe="vietnam-raw", cold_runs=3) -> dict:
    """Wall time of ``lacquersim run RECIPE`` in fresh processes.

    ``cli_first_run_s``: the first run after a fresh install: the median of
    ``cold_runs`` runs, each in a new process with an empty NUMBA_CACHE_DIR
    of its own (numba then reads and writes no other cache, and takes the
    kernels shipped compiled where this host can run them; the runs are
    listed in ``cli_first_run_runs_s``). ``cli_cold_s``: the same with the
    shipped kernels turned off (LACQUERSIM_PREBUILT=0), i.e. every kernel
    compiled, as on a host or numba the shipped ones do not serve, and as
    this figure has always meant (runs in ``cli_cold_runs_s``).
    ``cli_warm_s`` and ``cli_warm_no_band_s``: the best of two runs with the
    kernels cached.
    """
    exe = shutil.which("lacquersim")
    cmd = [exe, "run", recipe] if exe else [sys.executable, "-m", "lacquersim", "run", recipe]

    def timed(cache, extra=(), **more):
        env = dict(os.environ, NUMBA_CACHE_DIR=cache, **more)
        t0 = time.perf_counter()
        subprocess.run(cmd + list(extra), env=env, check=True, capture_output=True)
        return time.perf_counter() - t0

    cold = []
    for _ in range(cold_runs):
        with tempfile.TemporaryDirectory() as cache:
            cold.append(timed(cache))
    out = {"cli_first_run_s": float(np.median(cold)), "cli_first_run_runs_s": [float(t) for t in cold]}
    compiled = []
    for _ in range(cold_runs):
        with tempfile.TemporaryDirectory() as cache:
            compiled.append(timed(cache, LACQUERSIM_PREBUILT="0"))
    out.update(cli_cold_s=float(np.median(compiled)), cli_cold_runs_s=[float(t) for t in compiled])
    with tempfile.TemporaryDirectory() as cache:
        timed(cache)  # compile into this cache
        # warm with and without the 90 % band (the band runs the recipe under every ensemble member)
        for label, extra in (("warm", []), ("warm_no_band", ["--no-band"])):
            out[f"cli_{label}_s"] = float(min(timed(cache, extra) for _ in range(2)))
    return out


def machine() -> dict:
    import llvmlite.binding as llvm
    import numba
    import scipy
    # the CPU that numba compiles for: cloud machines of one kind change host
    # (znver4 or znver5 here), and the vector width moves the figures
    return {"platform": platform.platform(), "processor": platform.processor() or platform.machine(),
            "cpu": llvm.get_host_cpu_name(), "cpus": os.cpu_count(), "python": platform.python_version(), "numpy": np.__version__,
            "scipy": scipy.__version__, "numba": numba.__version__}


def _commit(package_dir: Path | None = None) -> str:
    """Short commit of the checkout, with "-dirty" if anything measured differs from it
    (the package, the benchmark script, the bundled recipes, pyproject.toml; edited,
    staged or untracked). "unknown" outside a git checkout or without git."""
    here = (Path(__file__).resolve().parents[1] / "src" / "lacquersim" if package_dir is None
            else Path(package_dir))
    try:
        def git(*args):
            return subprocess.run(["git", *args], capture_output=True, text=True, cwd=here,
                                  check=True).stdout
        top = Path(git("rev-parse", "--show-toplevel").strip())
        if here.resolve() != (top / "src" / "lacquersim").resolve():
            return "unknown"  # an installed copy inside some other repository
        rev = git("rev-parse", "--short", "HEAD").strip()
        status = git("-C", str(top), "status", "--porcelain", "--", "src/lacquersim",
                     "benchmarks/bench.py", "benchmarks/benchmark.py", "recipes",
                     "pyproject.toml")
        return rev + ("-dirty" if status.strip() else "")
    except (OSError, subprocess.CalledProcessError):
        return "unknown"


def run(repeat=5, history: Path | None = None, with_cvode=True, quick=False) -> tuple[pd.DataFrame, dict]:
    """Run the whole benchmark; returns the solver table and the extra figures."""
    cs = cases((50,) if quick else (50, 200))
    rows = []
    for c in cs:
        rows += measure_case(c, repeat=repeat, with_cvode=with_cvode)
    table = pd.DataFrame(rows)
    extra = batch_throughput(32 if quick else 128)
    if not quick:
        extra.update(cli_start_times())
    pkg = table[table.solver.str.startswith("lacquersim")].set_index(["case", "cells"])
    raw = [k for k in pkg.index if k[0].startswith("vietnam raw 76")]
    if len(raw) == 2:
        # at equal accuracy (the rtols may differ), and per step (same work per step)
        extra["cost_200_over_50_cells"] = float(pkg.median_s[raw[1]] / pkg.median_s[raw[0]])
        extra["cost_per_step_200_over_50_cells"] = float(pkg.us_per_step[raw[1]] / pkg.us_per_step[raw[0]])
    if history is not None:
        rec = {"date": _dt.datetime.now(_dt.timezone.utc).isoformat(timespec="seconds"),
               "commit": _commit(), "machine": machine(), "extra": extra,
               "table": json.loads(table.to_json(orient="records"))}
        history.parent.mkdir(parents=True, exist_ok=True)
        with open(history, "a", encoding="utf-8") as fh:
            fh.write(json.dumps(rec) + "\n")
    return table, extra


def format_report(table: pd.DataFrame, extra: dict) -> str:
    t = table.copy()
    t["median_ms"] = t.median_s * 1e3
    t["fit_ms"] = t.fit_s * 1e3
    cols = ["case", "cells", "solver", "rtol", "median_ms", "ratio", "stage_err", "steps", "us_per_step",
            "jac", "lu", "fit_ms", "fit_ratio"]
    cols = [c for c in cols if c in t]
    with pd.option_context("display.width", 200, "display.max_columns", 20, "display.max_colwidth", 34):
        lines = [t[cols].to_string(index=False, float_format=lambda x: f"{x:.3g}")]
    lines.append("")
    lines.append("ratio = median time / lacquersim BDF; every solver at the loosest rtol of "
                 f"{RTOL_LADDER} from which on (it and every tighter one) all stage times are "
                 f"within {ACCURACY:g} of scipy BDF at rtol 1e-10")
    lines.append(f"fit_ms, fit_ratio: time at stage error {ACCURACY:g} from a log-log fit of time "
                 "against error over the ladder's single runs (an estimate that does not jump by a rung)")
    for k, v in extra.items():
        lines.append(f"{k}: {v:.4g}" if isinstance(v, float) else f"{k}: {v}")
    return "\n".join(lines)


def plot_history(history: Path, out: Path):
    """Plot the package solver's median time per case over the recorded history."""
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    recs = [json.loads(line) for line in Path(history).read_text().splitlines() if line.strip()]
    fig, ax = plt.subplots(figsize=(7, 4))
    rows = []
    for i, r in enumerate(recs):
        for row in r["table"]:
            if row["solver"].startswith("lacquersim") and row.get("median_s"):
                rows.append({"run": i, "label": f"{row['case']} ({row['cells']} cells)",
                             "ms": row["median_s"] * 1e3, "commit": r["commit"]})
    df = pd.DataFrame(rows)
    for label, d in df.groupby("label"):
        ax.plot(d.run, d.ms, "o-", label=label)
    ax.set_xticks(range(len(recs)), [r["commit"] for r in recs], rotation=45, fontsize=7)
    ax.set_ylabel("median time per simulation (ms)")
    ax.set_yscale("log")
    ax.legend(fontsize=7)
    fig.tight_layout()
    fig.savefig(out, dpi=110)
    return out
