"""Study throughput: `python benchmarks/studies.py [--quick] [--no-dask] [--no-sobol] [--no-history]`.

Cases per second of :func:`lacquersim.studies.evaluate`, in this process
and on a local Dask cluster, each against the bare batch kernel
(``lacquersim.kernels.bdf.integrate_batch``) run over the same cases, in the
same process, in one call on all cores. The cases are prepared for the
kernel once, untimed, and stacked as ``run_prepared`` stacks them, so the
reference does exactly the solver work of the study (the benchmark checks
that every case takes the same number of steps both ways). Overhead =
t_evaluate / t_kernel − 1: preparing the cases (case by case, or all at
once on the fast path of :mod:`lacquersim.studies.cases`, which the
throughput study's inputs allow), chunking, the detail columns and the
table. The goal is < 10 % at 10⁴ cases.

Then the end-to-end time (sampling, runs, Parquet) of a Sobol study of 6
inputs of a bundled recipe with at least 10⁵ cases (n = 16384, 131,072
cases), in this process; the goal is < 3 min on 2 cores. Above that at 50
cells, the same study also runs at 30 cells (a study file can set
``n_cells``), so the report says which one the goal needs.

Timings are the best of ``--repeat`` rounds; each round times the kernel,
the in-process run and the Dask run back to back, so that a machine whose
speed drifts over minutes moves all three alike. Compilation is excluded:
a small study runs once in this process and on every worker first. The
wall time that evaluate spends in each part (preparing cases, the kernel,
the detail columns, the rest) is measured in one further, instrumented
in-process run. Each invocation appends one JSON record to
benchmarks/history_studies.jsonl. Nothing here asserts a wall-clock time.

Starts Dask worker processes: run it as a script (it has the
``if __name__ == "__main__":`` guard that process spawning needs).
"""

from __future__ import annotations

import argparse
import datetime as _dt
import json
import os
import platform
import subprocess
import sys
import tempfile
import time
from contextlib import contextmanager
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
HISTORY = HERE / "history_studies.jsonl"

RECIPE = "vietnam-kneaded-60"
HORIZON_H = 72.0
#: Inputs of the throughput study (LHS).
RANGES_4 = {
    "drying.temperature_c": (15.0, 35.0),
    "drying.rh_percent": (60.0, 95.0),
    "film.thickness_um": (30.0, 90.0),
    "parameters.k_L": (0.1, 0.6),  # allowed 0 to 100 1/h; vietnam's value 0.2886
}
#: Inputs of the Sobol study: those of experiments/studies/sobol-six-inputs.yaml
#: (conditions, thickness, the lacquer's measured state, the laccase rate).
RANGES_6 = {
    "drying.temperature_c": (15.0, 35.0),
    "drying.rh_percent": (60.0, 95.0),
    "film.thickness_um": (30.0, 100.0),
    "state.water_percent": (5.0, 25.0),  # recipe 12.5 (allowed 0 to 60)
    "state.monomer_percent": (30.0, 70.0),  # recipe 44.8 (allowed 0 to 100)
    "parameters.k_L": (0.15, 0.6),
}
SOBOL_SEED = 1
OVERHEAD_GOAL = 0.10
SOBOL_BUDGET_S = 180.0
MAX_STEPS = 200_000  # what run_cases gives run_prepared


# ---------------------------------------------------------------------------
# the studies
# ---------------------------------------------------------------------------
def throughput_study(n: int, n_cells: int = 50, seed: int = 1):
    from lacquersim.studies.definition import Study

    return Study.create(RECIPE, ranges=RANGES_4, method="lhs", n=n, seed=seed,
                        horizon_h=HORIZON_H, n_cells=n_cells)


def sobol_study(n: int, n_cells: int = 50, seed: int = SOBOL_SEED):
    from lacquersim.studies.definition import Study

    return Study.create(RECIPE, ranges=RANGES_6, method="sobol", n=n, seed=seed,
                        horizon_h=HORIZON_H, n_cells=n_cells)


# ---------------------------------------------------------------------------
# the bare kernel on the same cases
# ---------------------------------------------------------------------------
def prepare_cases(study, inputs) -> list:
    """The PreparedFilm of every case, as ``run_cases`` prepares it."""
    from lacquersim.sim.prepared import prepare
    from lacquersim.studies.definition import PARAMETERS

    paths = list(inputs.columns)
    fields = [p for p in paths if not p.startswith(PARAMETERS)]
    params = [p for p in paths if p.startswith(PARAMETERS)]
    films = []
    for values in zip(*(inputs[p].tolist() for p in paths)):
        case = dict(zip(paths, values))
        rec = study.recipe.with_values({p: case[p] for p in fields}) if fields else study.recipe
        pset = study.parameters.with_overrides({p[len(PARAMETERS):]: case[p] for p in params},
                                               where="parameters") if params else study.parameters
        films.append(prepare(rec, None, study.n_cells, pset, viscosity=False))
    return films


def kernel_arrays(films, rtol: float) -> dict:
    """The inputs of ``integrate_batch`` for ``films``, stacked as ``run_prepared`` stacks
    one group (every case here is a single coat with the same number of schedule steps)."""
    from lacquersim.sim.solver import default_atol

    prs = [f.problem for f in films]
    if len({len(p.params) for p in prs}) != 1 or any(
            f.recipe.coats is not None and f.recipe.coats.count > 1 for f in films):
        raise ValueError("the cases must form one batch (single coat, same schedule length)")
    return {
        "Y0": np.ascontiguousarray(np.stack([pr.y0 for pr in prs])),
        "TB": np.ascontiguousarray(np.stack([pr.t_bounds for pr in prs])),
        "PP": np.ascontiguousarray(np.stack([np.vstack(pr.params) for pr in prs])),
        "DZ": np.ascontiguousarray(np.stack([pr.dz for pr in prs])),
        "ATOL": np.ascontiguousarray(np.stack([default_atol(pr, rtol) for pr in prs])),
        "rtol": float(rtol),
    }


def run_kernel(a: dict, max_steps: int = MAX_STEPS) -> tuple[float, dict]:
    """One ``integrate_batch`` call over every case: (seconds, outputs)."""
    from lacquersim.kernels import bdf
    from lacquersim.model.stages import STAGES

    B, n = a["Y0"].shape
    out = {"stage_t": np.empty((B, len(STAGES))), "stage_w": np.empty(B), "y_end": np.empty((B, n)),
           "stats": np.zeros((B, bdf.N_STATS), dtype=np.int64), "fail": np.zeros(B),
           "status": np.zeros(B, dtype=np.int64)}
    t0 = time.perf_counter()
    bdf.integrate_batch(a["Y0"], a["TB"], a["PP"], a["DZ"], a["rtol"], a["ATOL"], int(max_steps),
                        out["stage_t"], out["stage_w"], out["y_end"], out["stats"], out["fail"],
                        out["status"])
    return time.perf_counter() - t0, out


def same_work(table, kernel_out) -> bool:
    """Did evaluate's table and the bare kernel run the same cases the same way
    (same status, same step count, case by case)?"""
    from lacquersim.kernels import bdf

    steps = kernel_out["stats"][:, bdf.S_STEPS]
    ok = kernel_out["status"] == bdf.OK
    t = table.sort_values("case")
    return bool(np.array_equal(t["steps"].to_numpy(), steps)
                and np.array_equal((t["status"] == "ok").to_numpy(), ok))


# ---------------------------------------------------------------------------
# where evaluate's time goes
# ---------------------------------------------------------------------------
@contextmanager
def _timed(owner, name: str, acc: dict, key: str):
    """Replace ``owner.name`` by a wrapper that adds its wall time to ``acc[key]``."""
    orig = owner.__dict__[name] if isinstance(owner, type) else getattr(owner, name)

    def wrapper(*args, **kwargs):
        t0 = time.perf_counter()
        try:
            return orig(*args, **kwargs)
        finally:
            acc[key] += time.perf_counter() - t0

    setattr(owner, name, wrapper)
    try:
        yield
    finally:
        setattr(owner, name, orig)


def breakdown(study) -> dict:
    """Seconds of one in-process ``evaluate(study)`` spent in each part (measured by
    wrapping the functions evaluate calls; the wrappers cost ~1 µs a call). A study
    on the fast path spends nothing in the per-case parts (with_values, prepare)."""
    from contextlib import ExitStack

    import lacquersim.sim.prepared as prepared
    import lacquersim.sim.stages as stages
    import lacquersim.studies.cases as cases
    import lacquersim.studies.sampling as sampling
    from lacquersim.kernels import bdf
    from lacquersim.model.parameters import ParameterSet
    from lacquersim.model.recipe import Recipe
    from lacquersim.studies import execution as ev

    keys = ("sample", "recipe.with_values", "parameters.with_overrides", "prepare",
            "prepare: _problem (vectors, mesh, y0)", "fast path: a chunk's arrays",
            "kernel (integrate_batch, in chunks)", "detail columns (end_figures)")
    acc = {k: 0.0 for k in keys}
    with ExitStack() as stack:
        stack.enter_context(_timed(sampling, "sample", acc, "sample"))
        stack.enter_context(_timed(Recipe, "with_values", acc, "recipe.with_values"))
        stack.enter_context(_timed(ParameterSet, "with_overrides", acc, "parameters.with_overrides"))
        stack.enter_context(_timed(prepared, "prepare", acc, "prepare"))
        stack.enter_context(_timed(prepared, "_problem", acc, "prepare: _problem (vectors, mesh, y0)"))
        stack.enter_context(_timed(cases, "fast_arrays", acc, "fast path: a chunk's arrays"))
        stack.enter_context(_timed(bdf, "integrate_batch", acc, "kernel (integrate_batch, in chunks)"))
        stack.enter_context(_timed(stages, "end_figures", acc, "detail columns (end_figures)"))
        t0 = time.perf_counter()
        ev.evaluate(study)
        total = time.perf_counter() - t0
    # prepare() also runs once per study for the fast path's plan: counted there
    out = {"total": total, "sample": acc["sample"],
           "recipe.with_values": acc["recipe.with_values"],
           "parameters.with_overrides": acc["parameters.with_overrides"],
           "prepare: material and state": acc["prepare"] - acc["prepare: _problem (vectors, mesh, y0)"],
           "prepare: _problem (vectors, mesh, y0)": acc["prepare: _problem (vectors, mesh, y0)"],
           "fast path: a chunk's arrays": acc["fast path: a chunk's arrays"],
           "kernel (integrate_batch, in chunks)": acc["kernel (integrate_batch, in chunks)"],
           "detail columns (end_figures)": acc["detail columns (end_figures)"]}
    out["the rest: stacking, rows, table, chunks"] = total - sum(
        v for k, v in out.items() if k != "total")
    return out


# ---------------------------------------------------------------------------
# the machine and the commit
# ---------------------------------------------------------------------------
def cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.lower().startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def machine() -> dict:
    import numba

    try:
        import benchmark  # benchmarks/benchmark.py: the same facts as bench.py's records

        facts = benchmark.machine()
    except ImportError:
        facts = {"platform": platform.platform(), "cpus": os.cpu_count(),
                 "python": platform.python_version(), "numpy": np.__version__}
    import dask
    import distributed

    facts.update({"cpu_model": cpu_model(), "cores": os.cpu_count(),
                  "numba_threads": numba.get_num_threads(),
                  "numba_threading_layer": _threading_layer(),
                  "dask": dask.__version__, "distributed": distributed.__version__})
    return facts


def _threading_layer() -> str:
    import numba

    try:
        return numba.threading_layer()
    except ValueError:  # no parallel function has run yet
        return "unknown"


def commit() -> str:
    """``git rev-parse --short HEAD``, with "-dirty" if the package, the recipes or this
    script differ from it (edited, staged or untracked); "unknown" outside git."""
    root = HERE.parent
    try:
        def git(*args):
            return subprocess.run(["git", *args], capture_output=True, text=True, cwd=root,
                                  check=True).stdout.strip()
        rev = git("rev-parse", "--short", "HEAD")
        dirty = git("status", "--porcelain", "--", "src/lacquersim", "recipes", "pyproject.toml",
                    "benchmarks/studies.py")
        return rev + ("-dirty" if dirty else "")
    except (OSError, subprocess.CalledProcessError):
        return "unknown"


class OtherCpu:
    """CPU seconds the machine spent outside this process tree (this process and its
    Dask workers) from ``start()`` to ``stop()``: how much other work disturbed a
    timing. Also the time the hypervisor stole. Empty figures without psutil."""

    def __init__(self):
        self.start()

    @staticmethod
    def _sample():
        try:
            import psutil
        except ImportError:
            return None
        t = psutil.cpu_times()
        busy = t.user + t.system + getattr(t, "nice", 0.0) + getattr(t, "irq", 0.0) \
            + getattr(t, "softirq", 0.0)
        me = psutil.Process()
        own = 0.0
        for p in [me, *me.children(recursive=True)]:
            try:
                c = p.cpu_times()
            except psutil.Error:  # ended between the listing and the reading
                continue
            own += c.user + c.system + (c.children_user + c.children_system if p is me else 0.0)
        return busy, own, getattr(t, "steal", 0.0), time.perf_counter()

    def start(self):
        self.t0 = self._sample()
        return self

    def stop(self) -> dict:
        t1 = self._sample()
        if t1 is None or self.t0 is None:
            return {}
        wall = t1[3] - self.t0[3]
        other = max(0.0, (t1[0] - self.t0[0]) - (t1[1] - self.t0[1]))
        cores = os.cpu_count() or 1
        return {"other_cpu_s": round(other, 2), "steal_s": round(t1[2] - self.t0[2], 2),
                "other_share": round(other / (wall * cores), 4) if wall > 0 else 0.0}


def _disturbed(d: dict) -> str:
    if not d:
        return ""
    return (f"other processes {d['other_cpu_s']:.1f} CPU-s ({100 * d['other_share']:.1f} % "
            f"of the machine), steal {d['steal_s']:.1f} s")


def _load() -> list[float]:
    try:
        return [round(x, 2) for x in os.getloadavg()]
    except OSError:
        return []


# ---------------------------------------------------------------------------
# Dask
# ---------------------------------------------------------------------------
def start_cluster(workers: int):
    """A LocalCluster like ``evaluate(executor="dask")`` starts (one kernel thread per
    worker process) and its Client: (client, seconds)."""
    import dask
    from distributed import Client, LocalCluster

    t0 = time.perf_counter()
    env = {"NUMBA_NUM_THREADS": "1", "OMP_NUM_THREADS": "1"}
    with dask.config.set({"distributed.nanny.pre-spawn-environ": env}):
        cluster = LocalCluster(n_workers=workers, threads_per_worker=1, processes=True,
                               dashboard_address=None)
    client = Client(cluster)
    client.wait_for_workers(workers)
    return client, time.perf_counter() - t0


def _warm_worker(n_cells: int) -> float:
    """On a worker: run a few cases once (the kernels load from numba's cache)."""
    from lacquersim.studies.execution import run_cases
    from lacquersim.studies.sampling import sample

    t0 = time.perf_counter()
    st = throughput_study(4, n_cells=n_cells)
    run_cases(st, sample(st), threads=1)
    return time.perf_counter() - t0


# ---------------------------------------------------------------------------
# the benchmark
# ---------------------------------------------------------------------------
def throughput(n: int, repeat: int, dask_workers: int | None, n_cells: int = 50,
               log=print) -> dict:
    """Bare kernel, evaluate in-process and (with dask_workers) on Dask, same cases."""
    from lacquersim.studies.execution import evaluate
    from lacquersim.studies.sampling import sample

    res: dict = {"cases": n, "inputs": list(RANGES_4), "method": "lhs", "n_cells": n_cells,
                 "recipe": RECIPE, "horizon_h": HORIZON_H, "repeat": repeat}
    t0 = time.perf_counter()
    evaluate(throughput_study(16, n_cells=n_cells))  # compile or load the kernels
    res["warmup_in_process_s"] = time.perf_counter() - t0

    study = throughput_study(n, n_cells=n_cells)
    inputs = sample(study)
    t0 = time.perf_counter()
    arrays = kernel_arrays(prepare_cases(study, inputs), study.rtol)
    res["prepare_untimed_s"] = time.perf_counter() - t0

    client = None
    if dask_workers:
        client, res["dask_startup_s"] = start_cluster(dask_workers)
        t0 = time.perf_counter()
        per_worker = client.run(_warm_worker, n_cells)
        res["dask_warmup_s"] = time.perf_counter() - t0
        res["dask_warmup_per_worker_s"] = [float(v) for v in per_worker.values()]
        res["dask_workers"] = len(client.scheduler_info()["workers"])
        log(f"  Dask: {res['dask_workers']} workers started in {res['dask_startup_s']:.1f} s, "
            f"kernels loaded in {res['dask_warmup_s']:.1f} s")
    times: dict = {"kernel": [], "in_process": [], "dask": []}
    checks = []
    meter = OtherCpu()
    try:
        for r in range(repeat):
            t, kout = run_kernel(arrays)
            times["kernel"].append(t)
            t0 = time.perf_counter()
            table = evaluate(study)
            times["in_process"].append(time.perf_counter() - t0)
            checks.append(same_work(table, kout))
            line = (f"  round {r + 1}/{repeat}: kernel {times['kernel'][-1]:.2f} s, "
                    f"in-process {times['in_process'][-1]:.2f} s")
            if client is not None:
                t0 = time.perf_counter()
                table = evaluate(study, executor=client)
                times["dask"].append(time.perf_counter() - t0)
                checks.append(same_work(table, kout))
                line += f", Dask {times['dask'][-1]:.2f} s"
            log(line)
        res["disturbance"] = meter.stop()
        log(f"  {_disturbed(res['disturbance'])}")
    finally:
        if client is not None:
            cluster = client.cluster
            client.close()
            cluster.close()
    res["same_work"] = all(checks)
    res["status_ok"] = int((kout["status"] == 0).sum())
    res["steps_mean"] = float(kout["stats"][:, 0].mean())
    res["times_s"] = {k: v for k, v in times.items() if v}
    best = {k: min(v) for k, v in times.items() if v}
    res["best_s"] = best
    res["cases_per_s"] = {k: n / v for k, v in best.items()}
    res["overhead"] = {k: best[k] / best["kernel"] - 1.0 for k in best if k != "kernel"}
    log("  instrumented in-process run (where the time goes) ...")
    res["breakdown_s"] = breakdown(study)
    return res


def sobol_run(n: int, n_cells: int, workdir: Path, executor="local") -> dict:
    """End to end: build the study, sample, run, write Parquet."""
    from lacquersim.studies.execution import evaluate

    out = workdir / f"sobol_{n}_{n_cells}_{executor if isinstance(executor, str) else 'dask'}.parquet"
    meter = OtherCpu()
    t0 = time.perf_counter()
    study = sobol_study(n, n_cells=n_cells)
    table = evaluate(study, out=out, executor=executor)
    dt = time.perf_counter() - t0
    disturbance = meter.stop()
    res = {"n": n, "inputs": list(RANGES_6), "cases": len(table), "n_cells": n_cells,
           "recipe": RECIPE, "horizon_h": HORIZON_H,
           "executor": executor if isinstance(executor, str) else "dask client",
           "seconds": dt, "cases_per_s": len(table) / dt,
           "status_ok": int((table["status"] == "ok").sum()),
           "steps_mean": float(table["steps"].mean()),
           "parquet_mb": out.stat().st_size / 1e6, "within_budget": dt < SOBOL_BUDGET_S,
           "disturbance": disturbance}
    out.unlink()
    return res


def sobol(n: int, workdir: Path, cells=(50, 30), budget_s: float = SOBOL_BUDGET_S, log=print) -> list:
    """The Sobol study at 50 cells; at fewer cells too if 50 cells miss the budget."""
    from lacquersim.studies.execution import evaluate

    evaluate(sobol_study(2, n_cells=cells[-1]))  # load the kernels (already loaded: no cost)
    runs = []
    for nc in cells:
        log(f"  Sobol n={n}, {nc} cells ...")
        r = sobol_run(n, nc, workdir)
        runs.append(r)
        log(f"    {r['cases']} cases in {r['seconds']:.1f} s ({r['cases_per_s']:.0f} cases/s); "
            f"{_disturbed(r['disturbance'])}")
        if r["seconds"] < budget_s:
            break
    return runs


def sobol_on_dask(n: int, n_cells: int, workers: int, workdir: Path, log=print) -> dict:
    """The Sobol study on a local Dask cluster started here (start-up and kernel
    load timed apart; the cluster stays up until the run is measured, so that
    its workers count as this benchmark's CPU, not as disturbance)."""
    log(f"  Sobol n={n}, {n_cells} cells, on Dask ({workers} workers) ...")
    client, startup = start_cluster(workers)
    try:
        t0 = time.perf_counter()
        client.run(_warm_worker, n_cells)
        warm = time.perf_counter() - t0
        r = sobol_run(n, n_cells, workdir, executor=client)
    finally:
        cluster = client.cluster
        client.close()
        cluster.close()
    r.update({"executor": f"Dask, {workers} workers", "dask_startup_s": startup,
              "dask_warmup_s": warm, "seconds_with_startup": r["seconds"] + startup + warm})
    log(f"    {r['cases']} cases in {r['seconds']:.1f} s (+ {startup:.1f} s start-up, {warm:.1f} s "
        f"kernel load); {_disturbed(r['disturbance'])}")
    return r


def format_report(rec: dict) -> str:
    m = rec["machine"]
    lines = [f"machine: {m['cpu_model']} ({m.get('cpu', '?')}), {m['cores']} cores, "
             f"numba {m.get('numba', '?')} with {m['numba_threads']} threads "
             f"({m['numba_threading_layer']}); load {rec['load_start']} -> {rec['load_end']}",
             f"commit {rec['commit']}, {rec['date']}"]
    tp = rec.get("throughput")
    if tp:
        lines += ["",
                  f"{tp['cases']} cases, LHS of {len(tp['inputs'])} inputs of {tp['recipe']} "
                  f"({tp['n_cells']} cells, {tp['horizon_h']:g} h), best of {tp['repeat']}:",
                  f"  {'':32s} {'s':>8s} {'cases/s':>9s} {'overhead':>9s}"]
        names = {"kernel": "bare kernel (1 call, all cores)", "in_process": "evaluate, in-process",
                 "dask": f"evaluate, Dask ({tp.get('dask_workers', '?')} workers)"}
        for k, t in tp["best_s"].items():
            ov = "" if k == "kernel" else f"{100 * tp['overhead'][k]:+8.1f}%"
            lines.append(f"  {names[k]:32s} {t:8.2f} {tp['cases_per_s'][k]:9.0f} {ov:>9s}")
        if "dask_startup_s" in tp:
            lines.append(f"  Dask start-up {tp['dask_startup_s']:.1f} s, kernel load on the "
                         f"workers {tp['dask_warmup_s']:.1f} s (not in the times above)")
        if tp.get("disturbance"):
            lines.append(f"  during the rounds: {_disturbed(tp['disturbance'])}")
        lines.append(f"  same work both ways (status and steps case by case): {tp['same_work']}; "
                     f"{tp['status_ok']} of {tp['cases']} ok, {tp['steps_mean']:.0f} steps a case")
        goal = all(v < OVERHEAD_GOAL for v in tp["overhead"].values())
        lines.append(f"  goal overhead < {100 * OVERHEAD_GOAL:.0f} %: {'met' if goal else 'NOT met'}")
        bd = tp["breakdown_s"]
        lines.append(f"  where in-process evaluate's {bd['total']:.2f} s go (instrumented run):")
        for k, v in bd.items():
            if k != "total":
                lines.append(f"    {k:40s} {v:7.2f} s {100 * v / bd['total']:5.1f} %")
    for r in rec.get("sobol", []):
        lines.append("")
        lines.append(f"Sobol, {len(r['inputs'])} inputs, n={r['n']}: {r['cases']} cases at "
                     f"{r['n_cells']} cells ({r['executor']}): {r['seconds']:.1f} s end to end "
                     f"({r['seconds'] / 60:.2f} min, {r['cases_per_s']:.0f} cases/s, "
                     f"{r['parquet_mb']:.1f} MB Parquet); {r['status_ok']} ok; "
                     f"goal < {SOBOL_BUDGET_S / 60:.0f} min: "
                     f"{'met' if r['within_budget'] else 'NOT met'}")
        if "dask_startup_s" in r:
            lines.append(f"  plus Dask start-up {r['dask_startup_s']:.1f} s and kernel load "
                         f"{r['dask_warmup_s']:.1f} s: {r['seconds_with_startup']:.1f} s in all")
        if r.get("disturbance"):
            lines.append(f"  during the run: {_disturbed(r['disturbance'])}")
    return "\n".join(lines)


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true",
                    help="smoke run: 10^3 cases, Sobol n=64 (512 cases), 1 round")
    ap.add_argument("--repeat", type=int, default=None, help="timing rounds (default 3; quick 1)")
    ap.add_argument("--cases", type=int, default=None, help="cases of the throughput study")
    ap.add_argument("--sobol-n", type=int, default=None, help="Sobol base sample (power of 2)")
    ap.add_argument("--workers", type=int, default=2, help="Dask worker processes (default 2)")
    ap.add_argument("--no-dask", action="store_true")
    ap.add_argument("--no-throughput", action="store_true", help="the Sobol study only")
    ap.add_argument("--no-sobol", action="store_true")
    ap.add_argument("--sobol-dask", action="store_true",
                    help="also run the Sobol study on a local Dask cluster (start-up included)")
    ap.add_argument("--no-history", action="store_true", help="do not append to history_studies.jsonl")
    args = ap.parse_args(argv)
    n = args.cases or (1_000 if args.quick else 10_000)
    sobol_n = args.sobol_n or (64 if args.quick else 16_384)
    repeat = args.repeat or (1 if args.quick else 3)

    rec = {"date": _dt.datetime.now(_dt.timezone.utc).isoformat(timespec="seconds"),
           "commit": commit(), "quick": bool(args.quick), "load_start": _load()}
    if not args.no_throughput:
        print(f"throughput: {n} cases, {repeat} round(s) ...", flush=True)
        rec["throughput"] = throughput(n, repeat, None if args.no_dask else args.workers,
                                       log=lambda s: print(s, flush=True))
    if not args.no_sobol:
        with tempfile.TemporaryDirectory() as tmp:
            rec["sobol"] = sobol(sobol_n, Path(tmp), log=lambda s: print(s, flush=True))
            if args.sobol_dask:
                rec["sobol"].append(sobol_on_dask(sobol_n, rec["sobol"][-1]["n_cells"], args.workers,
                                                  Path(tmp), log=lambda s: print(s, flush=True)))
    rec["load_end"] = _load()
    rec["machine"] = machine()
    print()
    print(format_report(rec))
    if not args.no_history:
        with open(HISTORY, "a", encoding="utf-8") as fh:
            fh.write(json.dumps(rec) + "\n")
        print(f"\nappended to {HISTORY}")
    return rec


if __name__ == "__main__":
    if str(HERE) not in sys.path:
        sys.path.insert(0, str(HERE))
    main()
