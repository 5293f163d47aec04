"""The multi-objective search: pymoo's NSGA-II over mixed variables, checkpointed.

:func:`optimise` runs a mixed-variable genetic algorithm with NSGA-II's
survival (non-dominated rank, then crowding distance; pymoo's
``MixedVariableGA`` with ``RankAndCrowding``) for ``budget`` candidate
evaluations, each population scored in one batch
(:class:`~lacquersim.optimise.scoring.Scorer`), in this process or on a
Dask cluster. The run is reproducible from ``seed``: the algorithm draws
from its own generator, stored in the checkpoint. After every generation
the algorithm and every candidate scored so far are written to
``DIR/checkpoint.pkl`` (a temporary file, then renamed); ``resume=True``
continues from it and ends with the same front as an uninterrupted run.

Afterwards the front is checked against the model's uncertainty: each
front recipe (at most :data:`BAND_MAX`) is dried in every climate under
every member of the fitted parameter ensemble, and it *beats the
competitor* in a month only when the upper end of its 90 % band of the time
ratio is at most 1 there.
"""

from __future__ import annotations

import os
import pickle
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable

import numpy as np
import pandas as pd

from lacquersim.errors import RecipeError
from lacquersim.i18n import _
from lacquersim.optimise.scoring import CONSTRAINTS, Scorer
from lacquersim.optimise.space import Space

__all__ = ["optimise", "run_search", "OptimiseResult", "BAND_MAX"]

#: Most front recipes checked against the parameter ensemble.
BAND_MAX = 20
CHECKPOINT = "checkpoint.pkl"


def _require_pymoo():
    try:
        import pymoo  # noqa: F401  (an optional extra)
    except ImportError:
        raise RecipeError(_('the optimiser needs pymoo: pip install "lacquersim[optimise]"'),
                          field="optimise") from None


@dataclass
class OptimiseResult:
    """What a run found.

    Attributes
    ----------
    front : DataFrame
        The non-dominated candidates (the least infeasible ones if none is
        feasible): variables, objectives, ``cv`` (total constraint
        violation), ``feasible``, ``worst_month``, and after the band check
        ``band_ratio_high`` (worst month) and ``beats_months``.
    archive : DataFrame
        Every candidate scored: variables, objectives, constraints.
    details : DataFrame
        Every candidate in every climate (see ``Scorer.details``).
    monthly : DataFrame
        Month by month: the cheapest candidate that beats the competitor
        there (nominal and within the band), and the cheapest without a
        heated cabinet.
    band : DataFrame
        Front candidates × climates: the ratio's 5–95 % band over the ensemble.
    """

    space: Space
    front: pd.DataFrame
    archive: pd.DataFrame
    details: pd.DataFrame
    monthly: pd.DataFrame = field(default_factory=pd.DataFrame)
    band: pd.DataFrame = field(default_factory=pd.DataFrame)
    competitor: pd.DataFrame = field(default_factory=pd.DataFrame)
    feasible: bool = True
    n_evals: int = 0
    seconds: float = 0.0
    seed: int = 0
    budget: int = 0


def run_search(variables, evaluate: Callable, n_obj: int, n_constr: int, *, population: int,
               budget: int, seed: int, checkpoint: Path | None = None, definition: Any = None,
               stop_after: int | None = None):
    """NSGA-II (pymoo's mixed-variable GA with rank-and-crowding survival)
    over ``variables`` (:class:`~lacquersim.optimise.space.Variable`) for
    ``budget`` evaluations; returns pymoo's algorithm (``.opt`` is the front).

    ``evaluate(list of dicts) -> (F, G)`` scores a batch (G ≤ 0 is
    feasible). If it has ``state()`` and ``restore(state)``, that state is
    checkpointed too. With ``checkpoint``, the run is saved after every
    generation and continued from the file if it exists (its ``definition``,
    budget and seed must match). ``stop_after`` stops after that many
    generations of this call, as an interruption would (KeyboardInterrupt).
    """
    _require_pymoo()
    from pymoo.core.mixed import MixedVariableGA
    from pymoo.operators.survival.rank_and_crowding import RankAndCrowding
    from pymoo.util.display.multi import MultiObjectiveOutput

    key = {"definition": definition, "budget": int(budget), "seed": int(seed)}
    if checkpoint is not None and checkpoint.exists():
        with open(checkpoint, "rb") as fh:
            state = pickle.load(fh)
        differ = [k for k in key if state["key"][k] != key[k]]
        if differ:
            raise RecipeError(_("{folder} holds another run (it differs in: {fields}); choose "
                                "another folder").format(folder=checkpoint.parent,
                                                         fields=", ".join(differ)), field="out")
        algorithm = state["algorithm"]
        algorithm.problem.run = evaluate
        if hasattr(evaluate, "restore"):
            evaluate.restore(state["evaluator"])
    else:
        algorithm = MixedVariableGA(pop_size=int(population), survival=RankAndCrowding(),
                                    output=MultiObjectiveOutput())
        from lacquersim.optimise.problem import SearchProblem

        algorithm.setup(SearchProblem(variables, evaluate, n_obj, n_constr),
                        termination=("n_eval", int(budget)), seed=int(seed), verbose=False)
    generations = 0
    while algorithm.has_next():
        algorithm.next()
        generations += 1
        if checkpoint is not None:
            _save(checkpoint, {"key": key, "algorithm": algorithm,
                               "evaluator": evaluate.state() if hasattr(evaluate, "state") else None})
        if stop_after is not None and generations >= stop_after and algorithm.has_next():
            raise KeyboardInterrupt
    return algorithm


class _Evaluator:
    """Scores batches (here or on Dask) and keeps every candidate scored."""

    def __init__(self, scorer: Scorer, client=None, progress=None, budget: int = 0):
        self.scorer = scorer
        self.objectives = scorer.objectives
        self.client = client
        self.progress = progress
        self.budget = budget
        self.archive: list[pd.DataFrame] = []
        self.details: list[pd.DataFrame] = []
        self.n = 0

    def state(self):
        return {"archive": self.archive, "details": self.details, "n": self.n}

    def restore(self, state) -> None:
        self.archive, self.details, self.n = state["archive"], state["details"], state["n"]
        if self.progress is not None:
            self.progress(min(self.n, self.budget), self.budget)

    def __call__(self, xs):
        if self.client is None:
            F, G, d = self.scorer.evaluate(xs)
        else:
            F, G, d = _on_dask(self.client, self.scorer, xs)
        rows = pd.DataFrame(xs)
        for j, name in enumerate(self.objectives):
            rows[name] = F[:, j]
        for j, name in enumerate(CONSTRAINTS):
            rows[f"g_{name}"] = G[:, j]
        rows.insert(0, "candidate", np.arange(self.n, self.n + len(xs)))
        d = d.copy()
        d["candidate"] += self.n
        self.archive.append(rows)
        self.details.append(d)
        self.n += len(xs)
        if self.progress is not None:
            self.progress(min(self.n, self.budget), self.budget)
        return F, G


def _score_chunk(space: Space, xs):
    scorer = Scorer(space)
    return scorer.evaluate(xs)


def _on_dask(client, scorer, xs):
    """Candidates in chunks on the cluster; the same F, G and details as here."""
    n_workers = max(1, len(client.scheduler_info()["workers"]))
    size = max(1, -(-len(xs) // n_workers))
    futures = [client.submit(_score_chunk, scorer.space, xs[i:i + size], pure=False)
               for i in range(0, len(xs), size)]
    parts = client.gather(futures)
    F = np.vstack([p[0] for p in parts])
    G = np.vstack([p[1] for p in parts])
    ds = []
    for k, p in enumerate(parts):
        d = p[2].copy()
        d["candidate"] += k * size
        ds.append(d)
    return F, G, pd.concat(ds, ignore_index=True)


def optimise(space: Space, budget: int, seed: int = 0, out_dir=None, *, resume: bool = False,
             executor: Any = "local", workers: int | None = None,
             progress: Callable[[int, int], None] | None = None,
             stop_after: int | None = None, band: bool = True) -> OptimiseResult:
    """Search ``space`` with ``budget`` candidate evaluations from ``seed``.

    ``out_dir`` holds the checkpoint (``resume=True`` continues it);
    ``executor`` as in :func:`lacquersim.studies.evaluate` ("local", "dask",
    a Client or a scheduler address). ``stop_after`` ends after that many
    generations (as an interruption would; for tests). ``band=False`` skips
    the check against the parameter ensemble.
    """
    _require_pymoo()
    from lacquersim.studies.execution import _check_workers, _client

    if not isinstance(space, Space):
        raise RecipeError(f"expected a Space (lacquersim.optimise.load_space), got "
                          f"{type(space).__name__}", field="space")
    if isinstance(budget, bool) or not isinstance(budget, (int, np.integer)) or not \
            space.population <= budget <= 10_000_000:
        raise RecipeError(_("expected a whole number of evaluations from the population ({n}) "
                            "to 10000000, got {value}").format(n=space.population,
                                                               value=repr(budget)),
                          field="budget")
    if isinstance(seed, bool) or not isinstance(seed, (int, np.integer)) or not 0 <= seed < 2**32:
        raise RecipeError(_("expected a whole number from {low} to {high}, got {value}").format(
            low=0, high=4294967295, value=repr(seed)), field="seed")
    workers = _check_workers(workers)
    ckpt = None
    if out_dir is not None:
        out_dir = Path(out_dir)
        if out_dir.exists() and not out_dir.is_dir():
            raise RecipeError(_("{file} is a file; give a folder").format(file=out_dir), field="out")
        if not out_dir.parent.is_dir():
            raise RecipeError(_("folder {folder} does not exist").format(folder=out_dir.parent),
                              field="out")
        ckpt = out_dir / CHECKPOINT
        if ckpt.exists() and not resume:
            raise RecipeError(_("{folder} holds a run; resume it (--resume) or choose another "
                                "folder").format(folder=out_dir), field="out")
        out_dir.mkdir(exist_ok=True)
    elif resume:
        raise RecipeError(_("resume needs the run's folder (out_dir)"), field="resume")

    t0 = time.perf_counter()
    scorer = Scorer(space)
    client, own = _client(executor, workers)
    threads = None
    if client is None and workers is not None:  # here: cap the kernel's threads
        import numba

        threads = numba.get_num_threads()
        numba.set_num_threads(min(workers, numba.config.NUMBA_NUM_THREADS))
    try:
        ev = _Evaluator(scorer, client, progress, int(budget))
        algorithm = run_search(space.variables, ev, len(scorer.objectives), len(CONSTRAINTS),
                               population=space.population, budget=int(budget), seed=int(seed),
                               checkpoint=ckpt, definition=space.definition(),
                               stop_after=stop_after)
        result = _result(space, algorithm, ev, scorer, seed)
        result.budget = int(budget)
        if band:
            _band_check(result, scorer)
        result.seconds = time.perf_counter() - t0
        return result
    finally:
        if threads is not None:
            import numba

            numba.set_num_threads(threads)
        if own:
            cluster = client.cluster
            client.close()
            cluster.close()


def _save(path: Path, state: dict) -> None:
    tmp = path.with_suffix(".tmp")
    with open(tmp, "wb") as fh:
        pickle.dump(state, fh, protocol=pickle.HIGHEST_PROTOCOL)
    os.replace(tmp, path)


def _result(space: Space, algorithm, ev: _Evaluator, scorer: Scorer, seed: int) -> OptimiseResult:
    archive = pd.concat(ev.archive, ignore_index=True)
    details = pd.concat(ev.details, ignore_index=True)
    names = space.names
    objectives = list(scorer.objectives)
    gcols = [f"g_{c}" for c in CONSTRAINTS]
    cv = np.clip(archive[gcols].to_numpy(), 0.0, None).sum(axis=1)
    archive["cv"] = cv
    archive["feasible"] = cv <= 0.0
    # the front: non-dominated among the feasible, else the least infeasible
    opt = algorithm.opt
    from lacquersim.optimise.problem import plain

    keys = [tuple(plain(ind.X)[n] for n in names) for ind in opt]
    ids = []
    for k in keys:
        i = _find(archive, names, k)
        if i is not None and i not in ids:
            ids.append(i)
    front = archive.loc[ids].copy()
    feasible = bool(front.feasible.all()) and len(front) > 0
    if feasible:
        front = front.sort_values(objectives).reset_index(drop=True)
    else:  # pymoo's opt holds the least infeasible: show the few closest to feasible
        front = archive.sort_values(["cv"] + objectives).head(10).reset_index(drop=True)
    worst = []
    for c in front.candidate:
        d = details[details.candidate == c]
        worst.append(int(d.loc[d.time_ratio.idxmax(), "month"]) if d.time_ratio.notna().any()
                     else int(d.month.iloc[0]))
    front["worst_month"] = worst
    monthly = _monthly(space, archive, details)
    return OptimiseResult(space=space, front=front, archive=archive, details=details,
                          monthly=monthly, competitor=scorer.competitor.assign(
                              climate=[c.label for c in scorer.climates],
                              month=[c.month for c in scorer.climates]),
                          feasible=feasible, n_evals=ev.n, seed=seed)


def _find(archive: pd.DataFrame, names, key) -> int | None:
    m = np.ones(len(archive), dtype=bool)
    for n, v in zip(names, key):
        col = archive[n]
        m &= (col == v).to_numpy()
    hits = np.flatnonzero(m)
    return int(archive.index[hits[0]]) if len(hits) else None


def _ok_in_month(space: Space, d: pd.DataFrame) -> pd.Series:
    """Per detail row: the candidate meets every constraint in that climate."""
    c = space.constraints
    return ((d.status == "ok") & d.tack_free_h.notna() & d.dry_hard_h.notna()
            & (d.wrinkle_index.fillna(0.0) <= c["wrinkle_max"])
            & (d.final_tg_minus_t_c >= c["hardness_min_k"])
            & (d.laccol_percent >= c["laccol_min_percent"]) & (d.cannot_cool_h <= 0.0))


def _normal_months(space: Space, archive: pd.DataFrame, details: pd.DataFrame) -> pd.DataFrame:
    """The details in each month's normal climate, with ``ok`` (every
    constraint met there) and ``kind`` (the candidate's practice)."""
    d = details[details.year.isna()].copy()
    d["ok"] = _ok_in_month(space, d)
    kind = archive.set_index("candidate").get("practice.kind")
    d["kind"] = d.candidate.map(kind) if kind is not None else space.practice_fixed["kind"]
    return d


def _monthly(space: Space, archive: pd.DataFrame, details: pd.DataFrame) -> pd.DataFrame:
    """Per month (normal climate): the cheapest candidate that beats the
    competitor there, and the cheapest that does without a heated cabinet."""
    d = _normal_months(space, archive, details)
    rows = []
    for m in space.months:
        dm = d[(d.month == m) & d.ok & (d.time_ratio <= 1.0)]
        best = dm.sort_values(["cost_vnd_m2", "time_ratio"]).head(1)
        plain = dm[dm.kind != "heated_cabinet"].sort_values(["cost_vnd_m2", "time_ratio"]).head(1)
        fastest = d[(d.month == m) & d.ok].sort_values("time_ratio").head(1)
        row = {"month": m}
        for tag, sel in (("best", best), ("unheated", plain), ("fastest", fastest)):
            if len(sel):
                r = sel.iloc[0]
                row.update({f"{tag}_candidate": int(r.candidate), f"{tag}_kind": r.kind,
                            f"{tag}_ratio": float(r.time_ratio),
                            f"{tag}_cost_vnd_m2": float(r.cost_vnd_m2)})
            else:
                row.update({f"{tag}_candidate": -1, f"{tag}_kind": "", f"{tag}_ratio": np.nan,
                            f"{tag}_cost_vnd_m2": np.nan})
        rows.append(row)
    return pd.DataFrame(rows)


def _band_check(result: OptimiseResult, scorer: Scorer) -> None:
    """The 90 % band of each front candidate's time ratio, month by month,
    under every member of the parameter ensemble; and the month picks'."""
    from lacquersim.model.parameters import as_set
    from lacquersim.sim.batch import run_prepared

    space = scorer.space
    members = as_set(space.parameters).ensemble()
    if not members or not result.feasible:
        return
    front_ids = list(result.front.candidate[:BAND_MAX])
    month_ids = [int(c) for c in result.monthly.get("best_candidate", []) if c >= 0]
    ids = list(dict.fromkeys(front_ids + month_ids + _ladder(space, result)))
    xs = [_candidate_x(result.archive, space, i) for i in ids]
    ratios = np.full((len(members), len(ids), len(scorer.climates)), np.nan)
    for j, pset in enumerate(members):
        member = Scorer.__new__(Scorer)
        member.__dict__.update(scorer.__dict__)
        member.space = _with_parameters(space, pset)
        films, _recipes = member.films(xs)
        runs = run_prepared(films, [space.base] * len(films), 1e-6, details=True)
        d = member.details(xs, runs)
        ratios[j] = d.time_ratio.to_numpy().reshape(len(ids), len(scorer.climates))
    lo = np.nanquantile(ratios, 0.05, axis=0)
    hi = np.nanquantile(ratios, 0.95, axis=0)
    rows = []
    for a, cand in enumerate(ids):
        for k, c in enumerate(scorer.climates):
            rows.append({"candidate": cand, "month": c.month, "year": c.year, "climate": c.label,
                         "ratio_low": lo[a, k], "ratio_high": hi[a, k],
                         "beats": bool(hi[a, k] <= 1.0)})
    band = pd.DataFrame(rows)
    result.band = band
    high = band.groupby("candidate").ratio_high.max()
    beats = band[band.year.isna()].groupby("candidate").apply(
        lambda g: ",".join(str(m) for m in g.month[g.beats]), include_groups=False)
    result.front["band_ratio_high"] = result.front.candidate.map(high)
    result.front["beats_months"] = result.front.candidate.map(beats).fillna("")
    if "best_candidate" in result.monthly:
        nb = band[band.year.isna()].set_index(["candidate", "month"]).beats
        result.monthly["best_beats_in_band"] = [
            bool(nb.get((int(c), int(m)), False)) if c >= 0 else False
            for c, m in zip(result.monthly.best_candidate, result.monthly.month)]
        _robust(result, space)


LADDER = (1.0, 0.9, 0.8, 0.7, 0.6, 0.5, 0.4)


def _ladder(space: Space, result: OptimiseResult) -> list[int]:
    """Per month, the cheapest candidate at each rung of nominal time ratio
    (≤ 1, ≤ 0.9, ...), with and without a heated cabinet: the candidates whose
    band is checked so that each month gets the cheapest pick that beats the
    competitor even at the upper end of its band."""
    d = _normal_months(space, result.archive, result.details)
    ids = []
    for m in space.months:
        dm = d[(d.month == m) & d.ok].sort_values(["cost_vnd_m2", "time_ratio"])
        for cap in LADDER:
            for sel in (dm, dm[dm.kind != "heated_cabinet"]):
                hit = sel[sel.time_ratio <= cap].head(1)
                ids += [int(c) for c in hit.candidate]
    return list(dict.fromkeys(ids))


def _robust(result: OptimiseResult, space: Space) -> None:
    """Month by month: the cheapest band-checked candidate that beats the
    competitor at the upper end of its 90 % band (``robust_*``), and the
    cheapest such without a heated cabinet (``robust_unheated_*``)."""
    b = result.band[result.band.year.isna() & result.band.beats]
    d = _normal_months(space, result.archive, result.details)
    d = d.merge(b[["candidate", "month", "ratio_high"]], on=["candidate", "month"])
    d = d[d.ok]
    for tag, heated in (("robust", True), ("robust_unheated", False)):
        cols = {f"{tag}_candidate": [], f"{tag}_kind": [], f"{tag}_ratio": [],
                f"{tag}_ratio_high": [], f"{tag}_cost_vnd_m2": []}
        for m in result.monthly.month:
            dm = d[d.month == m] if heated else d[(d.month == m) & (d.kind != "heated_cabinet")]
            hit = dm.sort_values(["cost_vnd_m2", "ratio_high"]).head(1)
            r = hit.iloc[0] if len(hit) else None
            cols[f"{tag}_candidate"].append(int(r.candidate) if r is not None else -1)
            cols[f"{tag}_kind"].append(r.kind if r is not None else "")
            cols[f"{tag}_ratio"].append(float(r.time_ratio) if r is not None else np.nan)
            cols[f"{tag}_ratio_high"].append(float(r.ratio_high) if r is not None else np.nan)
            cols[f"{tag}_cost_vnd_m2"].append(float(r.cost_vnd_m2) if r is not None else np.nan)
        for k, v in cols.items():
            result.monthly[k] = v
    # a recipe beats the competitor only when the upper end of its band does:
    # the month's picks become the band-checked ones; the nominal stay as nominal_*
    mon = result.monthly
    for tag in ("best", "unheated"):
        for part in ("candidate", "kind", "ratio", "cost_vnd_m2"):
            mon[f"nominal_{tag}_{part}"] = mon[f"{tag}_{part}"]
            src = "robust" if tag == "best" else "robust_unheated"
            mon[f"{tag}_{part}"] = mon[f"{src}_{part}"]
    mon["best_beats_in_band"] = mon.best_candidate >= 0


def _candidate_x(archive: pd.DataFrame, space: Space, i: int) -> dict:
    from lacquersim.optimise.problem import plain

    row = archive.loc[archive.candidate == i].iloc[0]
    return plain({n: row[n] for n in space.names})


def _with_parameters(space: Space, pset) -> Space:
    from dataclasses import replace

    return replace(space, parameters=pset)
