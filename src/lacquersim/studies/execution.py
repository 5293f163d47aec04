"""Run a study's cases: one row per case, in-process or on a Dask cluster.

:func:`evaluate` splits the cases into chunks and runs each chunk through
the compiled batch kernel (every case prepared once, the chunk integrated
in one parallel call). Where the chunks run is one argument, ``executor``:

- ``"local"`` (default): in this process, on all cores (``workers`` caps
  the kernel's threads);
- ``"dask"``: a ``dask.distributed.LocalCluster`` of ``workers`` processes
  (default: one per core), one kernel thread each, started and stopped here;
- a ``dask.distributed.Client`` (or a scheduler address ``"tcp://host:8786"``)
  for an existing cluster; its workers need lacquersim installed.

Workers load the compiled kernels from numba's on-disk cache, so only the
first run on a machine compiles. With ``out``, finished chunks are written
to Parquet as they complete and ``resume=True`` runs only the missing cases
(:mod:`lacquersim.studies.store`); the finished table is the same, row for
row and bit for bit, however often the study was interrupted.

Columns of the table: ``case``, the inputs (one column per path), the four
stage times in hours (``set_to_touch_h`` ... ``dry_through_h``; NaN when the
stage is not reached within the horizon), ``wrinkle_index``,
``final_tg_minus_t_c`` (the surface's Tg − T at the end: how hard the film
is, K), ``status`` (``ok``, ``invalid: ...`` for a combination the recipe
rules refuse, or the solver's failure), ``reason`` (why the first stage not
reached was not), ``failed_at_h`` and ``steps``.
"""

from __future__ import annotations

import math
import os
import time
from typing import Any, Callable

import numpy as np
import pandas as pd

from lacquersim.errors import RecipeError
from lacquersim.i18n import _
from lacquersim.model.stages import STAGES
from lacquersim.studies.definition import PARAMETERS, Study

__all__ = ["evaluate", "run_cases", "STAGE_COLUMNS", "OUTPUTS"]

#: Stage columns of a study's table, with their unit.
STAGE_COLUMNS = tuple(f"{s}_h" for s in STAGES)
#: The outputs of every case, after its inputs.
OUTPUTS = STAGE_COLUMNS + ("wrinkle_index", "final_tg_minus_t_c", "status", "reason",
                           "failed_at_h", "steps")
#: Cases per chunk in this process: about a second of work on two cores.
LOCAL_CHUNK = 1024


def run_cases(study: Study, inputs: pd.DataFrame, threads: int | None = None,
              fast: bool = True) -> pd.DataFrame:
    """Rows of the table for some cases (``inputs`` indexed by case number).

    This is what a chunk runs, in this process or on a worker; ``threads``
    caps numba's threads for the call (a Dask worker uses one). A study of
    drying conditions, thickness and film parameters builds its cases'
    arrays at once (:mod:`lacquersim.studies.cases`; ``fast=False``
    prepares every case as a recipe instead: the same numbers, slower).
    """
    from lacquersim.studies.cases import run_fast

    pl = _plan(study) if fast else None
    if threads is not None:
        import numba

        before = numba.get_num_threads()
        numba.set_num_threads(max(1, min(int(threads), numba.config.NUMBA_NUM_THREADS)))
    try:
        res = run_fast(study, pl, inputs, _rows) if pl is not None else _run_general(study, inputs)
    finally:
        if threads is not None:
            numba.set_num_threads(before)
    out = inputs.reset_index(drop=False).rename(columns={inputs.index.name or "index": "case"})
    out["case"] = out["case"].astype(np.int64)
    for col in OUTPUTS:
        out[col] = res[col].to_numpy()
    return _tidy(out)


_PLANS: dict[int, tuple] = {}


def _plan(study: Study):
    """The study's fast-path plan, made once per study object (and per worker)."""
    from lacquersim.studies.cases import plan

    hit = _PLANS.get(id(study))
    if hit is None or hit[0] is not study:
        if len(_PLANS) > 16:
            _PLANS.clear()
        hit = _PLANS[id(study)] = (study, plan(study))
    return hit[1]


def _run_general(study: Study, inputs: pd.DataFrame) -> pd.DataFrame:
    """Every case prepared as a recipe of its own, then one batch."""
    from lacquersim.sim.batch import run_prepared
    from lacquersim.sim.prepared import prepare

    paths = list(inputs.columns)
    fields = [p for p in paths if not p.startswith(PARAMETERS)]
    params = [p for p in paths if p.startswith(PARAMETERS)]
    films: list = []
    base = study.parameters
    for values in zip(*(inputs[p].tolist() for p in paths)) if paths else [()] * len(inputs):
        case = dict(zip(paths, values))
        try:
            rec = study.recipe.with_values({p: case[p] for p in fields}) if fields else study.recipe
            pset = base.with_overrides({p[len(PARAMETERS):]: case[p] for p in params},
                                       where="parameters") if params else base
            films.append(prepare(rec, None, study.n_cells, pset, viscosity=False))
        except RecipeError as exc:
            films.append(exc)
    res = run_prepared(films, [study.recipe] * len(films), study.rtol, details=True)
    return res.rename(columns={s: f"{s}_h" for s in STAGES})


def _rows(stage_t, stage_w, status, fail, stats, hardness, reason) -> pd.DataFrame:
    """The fast path's outputs as the general path's columns."""
    from lacquersim.kernels import bdf

    ok = status == bdf.OK
    out = {c: np.where(ok, stage_t[:, k] / 3600.0, np.nan) for k, c in enumerate(STAGE_COLUMNS)}
    out["wrinkle_index"] = np.where(ok, stage_w, np.nan)
    out["final_tg_minus_t_c"] = hardness
    out["status"] = ["ok" if o else bdf.STATUS_TEXT[int(s)] for o, s in zip(ok, status)]
    out["reason"] = reason
    out["failed_at_h"] = np.where(ok, np.nan, fail / 3600.0)
    out["steps"] = stats[:, bdf.S_STEPS].astype(np.int64)
    return pd.DataFrame(out)


def _tidy(df: pd.DataFrame) -> pd.DataFrame:
    """The same dtypes whatever the chunk held (a chunk of failures has no
    float in its stage columns), so that joined chunks equal one big run."""
    for col in STAGE_COLUMNS + ("wrinkle_index", "final_tg_minus_t_c", "failed_at_h"):
        df[col] = df[col].astype(np.float64)
    df["steps"] = df["steps"].astype(np.int64)
    for col in ("status", "reason"):
        df[col] = df[col].astype(str)
    return df


def evaluate(study: Study, inputs: pd.DataFrame | None = None, *, executor: Any = "local",
             workers: int | None = None, out=None, resume: bool = False,
             chunk_size: int | None = None,
             progress: bool | Callable[[int, int], None] = False) -> pd.DataFrame:
    """Run every case of ``study`` and return the table (see the module doc).

    Parameters
    ----------
    study : Study
    inputs : DataFrame, optional
        The cases (default :func:`~lacquersim.studies.sampling.sample` of
        the study): one column per input path, index = case number.
    executor : "local", "dask", a dask.distributed.Client, or a scheduler address
    workers : int, optional
        Kernel threads (local) or worker processes (dask); default all cores.
    out : path, optional
        Parquet file to write (chunks as they finish, then the whole table).
    resume : bool
        Continue the study stored in ``out``: run only the missing cases.
    chunk_size : int, optional
        Cases per chunk (default about a second of work per chunk).
    progress : bool or callable
        True: a progress bar on stderr (tqdm); or ``f(done, total)``.
    """
    from lacquersim.studies.sampling import sample

    if not isinstance(study, Study):
        raise RecipeError(f"expected a Study (lacquersim.studies.Study.create or load_study), "
                          f"got {type(study).__name__}", field="study")
    if inputs is None:
        inputs = sample(study)
    workers = _check_workers(workers)
    total = len(inputs)
    store = None
    if out is not None:
        from lacquersim.studies.store import ResultStore

        store = ResultStore(out, study.definition(), resume=resume)
    elif resume:
        raise RecipeError(_("resume needs the results file of the study (out=...)"), field="resume")
    done = store.done_cases() if store is not None else set()
    todo = inputs[~inputs.index.isin(done)] if done else inputs
    client, own = _client(executor, workers)
    n_workers = len(client.scheduler_info()["workers"]) if client is not None else 1
    size = _chunk_size(chunk_size, len(todo), n_workers, client is not None)
    chunks = [todo.iloc[i:i + size] for i in range(0, len(todo), size)]
    bar = _Progress(progress, total, len(done))
    results: list[pd.DataFrame] = []
    try:
        for chunk in _run(chunks, study, client, workers):
            if store is not None:
                store.write(chunk)
            else:
                results.append(chunk)
            bar.update(len(chunk))
    finally:
        bar.close()
        if own:
            cluster = client.cluster
            client.close()
            cluster.close()
    if store is not None:
        from lacquersim import __version__

        return store.finish({"version": __version__, "parameters": study.definition()["parameters"]})
    if not results:
        return _tidy(pd.DataFrame(columns=["case", *inputs.columns, *OUTPUTS]))
    df = pd.concat(results, ignore_index=True).sort_values("case", kind="stable")
    return df.reset_index(drop=True)


def _run(chunks, study, client, workers):
    """Finished chunks, as they complete."""
    if client is None:
        for chunk in chunks:
            yield run_cases(study, chunk, threads=workers)
        return
    from distributed import as_completed

    # the study goes to every worker once, not with every chunk
    [shared] = client.scatter([study], broadcast=True)
    futures = [client.submit(run_cases, shared, chunk, 1, pure=False) for chunk in chunks]
    try:
        for fut in as_completed(futures):
            yield fut.result()
    finally:
        client.cancel(futures)


def _check_workers(workers) -> int | None:
    if workers is None:
        return None
    if isinstance(workers, bool) or not isinstance(workers, (int, np.integer)) or not 1 <= workers <= 1024:
        raise RecipeError(_("expected a whole number of workers from 1 to 1024, got {value}")
                          .format(value=repr(workers)), field="workers")
    return int(workers)


def _chunk_size(chunk_size, n: int, n_workers: int, distributed: bool) -> int:
    if chunk_size is not None:
        if isinstance(chunk_size, bool) or not isinstance(chunk_size, (int, np.integer)) \
                or chunk_size < 1:
            raise RecipeError(_("expected a whole number of cases above 0, got {value}").format(
                value=repr(chunk_size)), field="chunk_size")
        return int(chunk_size)
    if not distributed:
        return LOCAL_CHUNK
    # a few chunks per worker: the task overhead (~ms) stays small beside a
    # chunk's seconds, and a lost worker costs little
    return int(min(4096, max(256, math.ceil(n / (4 * max(1, n_workers))))))


def _client(executor, workers):
    """(client or None, whether we started it)."""
    if isinstance(executor, str) and executor == "local":
        return None, False
    try:
        from distributed import Client, LocalCluster
    except ImportError:
        raise RecipeError(_('a Dask executor needs dask.distributed: pip install '
                            '"lacquersim[studies]"'), field="executor") from None
    if isinstance(executor, Client):
        return executor, False
    if isinstance(executor, str) and executor == "dask":
        import dask

        n = workers or os.cpu_count() or 1
        # one kernel thread per worker process: the processes share the cores
        env = {"NUMBA_NUM_THREADS": "1", "OMP_NUM_THREADS": "1"}
        with dask.config.set({"distributed.nanny.pre-spawn-environ": env}):
            cluster = LocalCluster(n_workers=n, threads_per_worker=1, processes=True,
                                   dashboard_address=None)
        return Client(cluster), True
    if isinstance(executor, str) and "://" in executor:
        try:
            return Client(executor, timeout=10), False
        except OSError as exc:
            raise RecipeError(_("cannot reach the Dask scheduler at {address}: {reason}").format(
                address=executor, reason=exc), field="scheduler") from None
    raise RecipeError(_("executor must be 'local', 'dask', a dask.distributed.Client or a "
                        "scheduler address such as 'tcp://host:8786'; got {value}").format(
                            value=repr(executor)), field="executor")


class _Progress:
    """A tqdm bar (rate, time left) on stderr, a callback, or nothing."""

    def __init__(self, progress, total: int, done: int):
        self.fn = progress if callable(progress) else None
        self.bar = None
        self.done, self.total = done, total
        if progress is True:
            try:
                from tqdm import tqdm
            except ImportError:
                tqdm = None
            if tqdm is not None:
                self.bar = tqdm(total=total, initial=done, unit="case", dynamic_ncols=True,
                                smoothing=0.1, mininterval=0.5)
        self.t0 = time.perf_counter()

    def update(self, n: int) -> None:
        self.done += n
        if self.bar is not None:
            self.bar.update(n)
        if self.fn is not None:
            self.fn(self.done, self.total)

    def close(self) -> None:
        if self.bar is not None:
            self.bar.close()
