"""Sobol and Morris sensitivity indices of one output of a study (SALib).

Two layers:

- :func:`sobol_indices` and :func:`morris_indices` work on plain arrays, in
  the style of SALib (a problem dict, the sample ``X``, the outputs ``Y``);
- :func:`analyse` takes a :class:`~lacquersim.studies.definition.Study` and
  its results table (:func:`~lacquersim.studies.execution.evaluate`), checks
  that the table is the study's, picks and prepares the output and calls
  the layer above.

Outputs
-------
Any numeric output column of the table: the stage times ``set_to_touch_h``,
``tack_free_h``, ``dry_hard_h``, ``dry_through_h`` (h), ``wrinkle_index``
and ``final_tg_minus_t_c`` (K); or ``"dries:<stage column>"``, 1.0 where
the stage was reached within the horizon and 0.0 where not (its indices
say which inputs decide *whether* the coat dries).

A stage not reached
-------------------
A stage time is NaN when the stage was not reached within the study's
horizon. Sobol and Morris estimators need an output for every case of the
design (the cases are built in matched groups), so such a case is never
dropped silently:

- ``censor="horizon"`` (default) counts its time as the horizon. This
  *understates* the effect of the inputs that stop the coat drying (a coat
  that would take a week counts as one that takes the horizon); the count
  of censored cases is in the returned frame's ``attrs["censored"]``, and a
  large count calls for a longer horizon or the ``dries:`` indicator.
- ``censor="none"`` refuses when any case was not reached, counting them.
- ``censor="drop"`` is refused: removing cases breaks the Sobol (Saltelli)
  and Morris designs, whose estimators pair every case with others.

Cases whose status is not ``ok`` (a combination the recipe rules refuse, or
a solver failure) have no output at all: :func:`analyse` refuses a table
holding any, whatever the output (a design with holes is not analysable),
counting them and naming the first reason. ``wrinkle_index`` is undefined
where the film never set; such cases are refused likewise.

Reading the indices
-------------------
Sobol ``S1`` is the share of the output's variance due to the input alone,
``ST`` the share including its interactions with the others (both from 0
to 1; ``ST - S1`` measures interaction). Morris ``mu_star`` is the mean
absolute change of the output when the input moves across its whole range
(in the output's unit), ``mu`` the same with signs (a ``mu`` well below
``mu_star`` means the effect changes direction), ``sigma`` the spread of
the changes (non-linearity or interaction). The ``*_conf`` columns are
half-widths of bootstrap confidence intervals at ``conf_level``. An input
holding whole numbers is rounded in the sample, so its Morris steps are not
exactly the nominal ones: read its ``mu_star`` as approximate.
"""

from __future__ import annotations

import json
from typing import Any

import numpy as np
import pandas as pd

from lacquersim.errors import RecipeError
from lacquersim.i18n import N_, _
from lacquersim.model.stages import STAGE_LABELS
from lacquersim.studies.definition import Study

__all__ = ["analyse", "check_analysis", "sobol_indices", "morris_indices", "plot_sensitivity",
           "outputs", "describe", "definition_differences", "SOBOL_COLUMNS", "MORRIS_COLUMNS",
           "CENSOR", "DRIES"]

#: Columns of Sobol indices (first order, total order, and their CI half-widths).
SOBOL_COLUMNS = ("S1", "S1_conf", "ST", "ST_conf")
#: Columns of Morris indices.
MORRIS_COLUMNS = ("mu", "mu_star", "mu_star_conf", "sigma")
#: Ways to handle a stage not reached within the horizon.
CENSOR = ("horizon", "none", "drop")
#: Prefix of the "reached within the horizon" indicator outputs.
DRIES = "dries:"
#: Bootstrap resamples of the confidence intervals (SALib's default).
NUM_RESAMPLES = 100

_METHOD_NAMES = {"sobol": "Sobol (Saltelli)", "morris": "Morris"}
_STAGE_COLUMNS = tuple(f"{s}_h" for s in STAGE_LABELS)
_OTHER_OUTPUTS = ("wrinkle_index", "final_tg_minus_t_c")


def outputs() -> list[str]:
    """Every output :func:`analyse` accepts."""
    return [*_STAGE_COLUMNS, *_OTHER_OUTPUTS, *(DRIES + c for c in _STAGE_COLUMNS)]


# ---------------------------------------------------------------------------
# Plain layer: arrays in, indices out
# ---------------------------------------------------------------------------
def sobol_indices(problem: dict, Y, *, conf_level: float = 0.95, seed: int | None = None,
                  num_resamples: int = NUM_RESAMPLES) -> pd.DataFrame:
    """First- and total-order Sobol indices of ``Y`` over a Saltelli sample.

    Parameters
    ----------
    problem : dict
        SALib problem (``num_vars``, ``names``, ``bounds``).
    Y : array of shape (N·(D + 2),)
        Outputs at the rows of ``SALib.sample.sobol.sample(problem, N,
        calc_second_order=False)``, in that order; all finite.
    conf_level : float
        Level of the bootstrap confidence intervals, between 0 and 1.
    seed : int, optional
        Seed of the bootstrap (the same seed gives the same intervals).
    num_resamples : int
        Bootstrap resamples.

    Returns
    -------
    DataFrame
        Index = input names; columns ``S1, S1_conf, ST, ST_conf``.
    """
    salib = _salib()
    names, d = _names(problem)
    y = _outputs(Y)
    conf_level = _check_conf_level(conf_level)
    if y.size == 0 or y.size % (d + 2):
        raise RecipeError(f"{y.size} outputs; a Sobol sample of {d} inputs without second-order "
                          f"indices has N·{d + 2} cases", field="Y")
    if np.ptp(y) == 0.0:
        # SALib divides by the output's standard deviation: 0/0 for every index
        raise RecipeError(f"the output is {y[0]:g} in every case: it depends on none of the "
                          f"inputs within these ranges, and its Sobol indices (shares of a zero "
                          f"variance) are undefined", field="Y")
    si = salib.analyze.sobol.analyze(problem, y, calc_second_order=False,
                                     num_resamples=int(num_resamples), conf_level=conf_level,
                                     seed=_bootstrap_seed(seed))
    return _frame(names, {k: si[k] for k in SOBOL_COLUMNS})


def morris_indices(problem: dict, X, Y, *, num_levels: int = 4, conf_level: float = 0.95,
                   seed: int | None = None, num_resamples: int = NUM_RESAMPLES) -> pd.DataFrame:
    """Morris elementary-effect statistics of ``Y`` over a Morris sample.

    Parameters
    ----------
    problem : dict
        SALib problem (``num_vars``, ``names``, ``bounds``).
    X : array of shape (r·(D + 1), D)
        The sample (``SALib.sample.morris.sample(problem, r, num_levels)``).
    Y : array of shape (r·(D + 1),)
        Outputs at the rows of ``X``; all finite.
    num_levels : int
        Grid levels the sample was drawn with.
    conf_level, seed, num_resamples :
        As in :func:`sobol_indices` (the interval is that of ``mu_star``).

    Returns
    -------
    DataFrame
        Index = input names; columns ``mu, mu_star, mu_star_conf, sigma``
        in the output's unit per whole range of the input.
    """
    salib = _salib()
    names, d = _names(problem)
    y = _outputs(Y)
    conf_level = _check_conf_level(conf_level)
    x = np.asarray(X, dtype=float)
    if x.ndim != 2 or x.shape != (y.size, d):
        raise RecipeError(f"X has shape {x.shape}; expected ({y.size}, {d}): one row per output, "
                          f"one column per input", field="X")
    if y.size == 0 or y.size % (d + 1):
        raise RecipeError(f"{y.size} outputs; a Morris sample of {d} inputs has r·{d + 1} cases "
                          f"(r trajectories)", field="Y")
    if y.size // (d + 1) < 2:
        raise RecipeError("one trajectory gives no spread (sigma) nor confidence interval; "
                          "a Morris sample needs at least 2", field="Y")
    si = salib.analyze.morris.analyze(problem, x, y, num_resamples=int(num_resamples),
                                      conf_level=conf_level, num_levels=int(num_levels),
                                      seed=_bootstrap_seed(seed))
    return _frame(names, {k: si[k] for k in MORRIS_COLUMNS})


def _salib():
    from lacquersim.studies.sampling import require_salib

    return require_salib("a sensitivity analysis")


def _names(problem) -> tuple[list[str], int]:
    if not isinstance(problem, dict) or "names" not in problem or "bounds" not in problem:
        raise RecipeError("expected a SALib problem: a dict with 'num_vars', 'names' and "
                          "'bounds'", field="problem")
    names = list(problem["names"])
    if not names or problem.get("num_vars", len(names)) != len(names) \
            or len(problem["bounds"]) != len(names):
        raise RecipeError(f"'num_vars', 'names' and 'bounds' disagree: {problem!r}",
                          field="problem")
    return names, len(names)


def _outputs(Y) -> np.ndarray:
    y = np.asarray(Y, dtype=float)
    if y.ndim != 1:
        raise RecipeError(f"expected one output per case (a 1-D array), got shape {y.shape}",
                          field="Y")
    bad = int((~np.isfinite(y)).sum())
    if bad:
        raise RecipeError(f"{bad} of {y.size} outputs are NaN or infinite; every case of the "
                          f"design needs a finite output", field="Y")
    return y


def _check_conf_level(conf_level) -> float:
    if isinstance(conf_level, bool) or not isinstance(conf_level, (int, float)) \
            or not 0.0 < conf_level < 1.0:
        raise RecipeError(f"expected a confidence level between 0 and 1 (e.g. 0.95), got "
                          f"{conf_level!r}", field="conf_level")
    return float(conf_level)


def _bootstrap_seed(seed) -> int | None:
    """SALib's Sobol analysis takes ``if seed:``, so seed 0 (the studies'
    default) would silently mean "unseeded"; map every seed to a non-zero one."""
    if seed is None:
        return None
    if isinstance(seed, bool) or not isinstance(seed, (int, np.integer)) or seed < 0:
        raise RecipeError(f"expected a whole number of 0 or more, got {seed!r}", field="seed")
    return int(np.random.SeedSequence(int(seed)).generate_state(1)[0]) | 1


def _frame(names, columns: dict) -> pd.DataFrame:
    df = pd.DataFrame({k: np.asarray(v, dtype=float) for k, v in columns.items()},
                      index=pd.Index(names, name="input"))
    return df


# ---------------------------------------------------------------------------
# Study layer
# ---------------------------------------------------------------------------
def analyse(study: Study, results: pd.DataFrame, output: str = "tack_free_h", *,
            censor: str = "horizon", conf_level: float = 0.95,
            seed: int | None = None) -> pd.DataFrame:
    """Sobol or Morris indices of one output of a study.

    Parameters
    ----------
    study : Study
        A ``sobol`` or ``morris`` study (a grid or Latin hypercube has not
        the structure these estimators need).
    results : DataFrame
        Its table from :func:`~lacquersim.studies.execution.evaluate` (or
        :func:`~lacquersim.studies.store.read_results`): every case, in case
        order, with the study's inputs, all with status ``ok``.
    output : str
        A numeric output column (see :func:`outputs`), or
        ``"dries:<stage column>"`` for the 0/1 "reached within the horizon"
        indicator.
    censor : {"horizon", "none"}
        A stage not reached: counted as the horizon (this understates the
        effect of the inputs that stop the coat drying), or refused.
        ``"drop"`` is refused with the reason (see the module doc).
    conf_level : float
        Level of the bootstrap confidence intervals.
    seed : int, optional
        Seed of the bootstrap; default the study's seed, so the same
        results give the same intervals.

    Returns
    -------
    DataFrame
        Index = input path; Sobol: ``S1, S1_conf, ST, ST_conf``; Morris:
        ``mu, mu_star, mu_star_conf, sigma``. ``attrs`` holds ``method``,
        ``output``, ``unit``, ``n_cases``, ``censored`` (cases whose stage
        time was set to the horizon), ``not_reached`` (cases where the stage
        was not reached), ``horizon_h``, ``censor`` and ``conf_level``.

    Raises
    ------
    RecipeError
        Naming the argument at fault (``study``, ``output``, ``censor``,
        ``results``) and what is allowed.
    """
    column, indicator = check_analysis(study, output, censor)
    _check_results(study, results, column)

    horizon = float(study.recipe.drying.total_hours)
    y = results[column].to_numpy(dtype=float)
    missing = np.isnan(y)
    n_missing, n = int(missing.sum()), len(y)
    censored = 0
    if indicator:
        y = (~missing).astype(float)
    elif column in _STAGE_COLUMNS and n_missing:
        what = (f"{n_missing} of {n} cases did not reach {_label(column)} within the "
                f"horizon of {horizon:g} h")
        if censor == "none":
            raise RecipeError(f"{what}; count them as the horizon (censor 'horizon'), analyse "
                              f"whether the stage is reached ('{DRIES}{column}'), or lengthen "
                              f"the horizon", field="censor")
        y = np.where(missing, horizon, y)
        censored = n_missing
    elif n_missing:
        # wrinkle_index is undefined where the film never set; no value stands in for it
        why = (" (the film did not set within the horizon)" if column == "wrinkle_index" else "")
        raise RecipeError(f"'{column}' is undefined in {n_missing} of {n} cases{why}; analyse "
                          f"another output (e.g. '{DRIES}set_to_touch_h') or narrow the ranges",
                          field="output")

    if study.method == "sobol" and np.ptp(y) == 0.0:
        if indicator:
            how = f"{'every' if y[0] else 'no'} case reached {_label(column)} within {horizon:g} h"
        else:
            how = f"'{column}' is {y[0]:g} in every case"
        raise RecipeError(f"{how}: it depends on none of the inputs within these ranges, and "
                          f"its Sobol indices (shares of a zero variance) are undefined",
                          field="output")
    problem = study.problem()
    if seed is None:
        seed = study.seed
    if study.method == "sobol":
        df = sobol_indices(problem, y, conf_level=conf_level, seed=seed)
    else:
        x = results[study.inputs].to_numpy(dtype=float)
        df = morris_indices(problem, x, y, num_levels=study.levels, conf_level=conf_level,
                            seed=seed)
    df.attrs = {"method": study.method, "output": output, "unit": _unit(output),
                "n_cases": n, "censored": censored,
                "not_reached": n_missing if (indicator or column in _STAGE_COLUMNS) else 0,
                "horizon_h": horizon, "censor": censor, "conf_level": float(conf_level)}
    return df


def check_analysis(study: Study, output: str = "tack_free_h",
                   censor: str = "horizon") -> tuple[str, bool]:
    """The checks of :func:`analyse` that need no results: the study's method,
    the output and the censoring (run them before a long study).

    Returns
    -------
    (str, bool)
        The results column the output reads, and whether the output is the
        ``dries:`` indicator.
    """
    if not isinstance(study, Study):
        raise RecipeError(f"expected a Study (Study.create or load_study), got "
                          f"{type(study).__name__}", field="study")
    if study.method not in ("sobol", "morris"):
        raise RecipeError(f"a '{study.method}' study cannot give Sobol or Morris indices: their "
                          f"estimators need the cases of a Sobol (Saltelli) or Morris sample; "
                          f"sample the ranges with method sobol or morris", field="sample.method",
                          file=study.file)
    if censor == "drop":
        raise RecipeError(f"dropping the cases where a stage is not reached is not possible: "
                          f"the {_METHOD_NAMES[study.method]} estimators pair every case with "
                          f"others, so a design with cases removed gives no indices; use "
                          f"censor 'horizon' or 'none', or an output '{DRIES}<stage>_h'",
                          field="censor")
    if censor not in CENSOR:
        raise RecipeError(f"unknown censoring {censor!r}; allowed: 'horizon' (a stage not "
                          f"reached counts as the horizon) or 'none' (refuse)", field="censor")
    _salib()  # a missing extra is the first thing to fix
    return _check_output(output)


def _check_output(output) -> tuple[str, bool]:
    """(results column, whether the output is the dries: indicator)."""
    allowed = outputs()
    if not isinstance(output, str) or output not in allowed:
        raise RecipeError(f"unknown output {output!r}; allowed: {', '.join(allowed)}",
                          field="output")
    if output.startswith(DRIES):
        return output[len(DRIES):], True
    return output, False


def _check_results(study: Study, results, column: str) -> None:
    """The table holds every case of ``study``, in order, each with a result."""
    from lacquersim.studies.sampling import sample

    if not isinstance(results, pd.DataFrame):
        raise RecipeError(f"expected the study's results table (a DataFrame), got "
                          f"{type(results).__name__}", field="results")
    need = ["case", *study.inputs, "status", column]
    absent = [c for c in need if c not in results.columns]
    if absent:
        raise RecipeError(f"the table has no column {', '.join(map(repr, absent))}; expected the "
                          f"table of evaluate() or read_results()", field="results")
    inputs = sample(study)
    n = len(inputs)
    if len(results) != n:
        raise RecipeError(f"{len(results)} rows, but the study has {n} cases; the results of "
                          f"another (or an unfinished) study?", field="results")
    case = results["case"].to_numpy()
    if not np.array_equal(case, np.arange(n)):
        raise RecipeError(f"the cases are not 0 to {n - 1} in order (sort the table by 'case', "
                          f"and give every case once)", field="results")
    for p in study.inputs:
        got = results[p].to_numpy(dtype=float)
        want = inputs[p].to_numpy(dtype=float)
        # the table's inputs were written from this very sample: equal to the last bit,
        # unless the table went through a lossy format (tolerated to 1e-12)
        off = ~np.isclose(got, want, rtol=1e-12, atol=0.0)
        if off.any():
            first = int(np.flatnonzero(off)[0])
            raise RecipeError(f"input '{p}' differs from the study's sample in {int(off.sum())} "
                              f"of {n} cases (first: case {first}, {got[first]:g} instead of "
                              f"{want[first]:g}); these are another study's results",
                              field="results")
    bad = results["status"].astype(str) != "ok"
    if bad.any():
        first = int(np.flatnonzero(bad.to_numpy())[0])
        raise RecipeError(f"{int(bad.sum())} of {n} cases have no result (first: case {first}, "
                          f"{results['status'].iloc[first]}); a {_METHOD_NAMES[study.method]} "
                          f"design with holes cannot be analysed, whatever the output: narrow "
                          f"the ranges to combinations the recipe rules accept and the solver "
                          f"runs",
                          field="results")


def definition_differences(stored: dict, study: Study) -> list[str]:
    """The keys in which a results file's stored definition differs from ``study``'s
    (empty when the file holds this study's results)."""
    mine = study.definition()
    keys = sorted(set(stored) | set(mine))
    return [k for k in keys if json.dumps(stored.get(k), sort_keys=True)
            != json.dumps(mine.get(k), sort_keys=True)]


def _label(column: str) -> str:
    stage = column[:-2] if column.endswith("_h") else column
    return _(STAGE_LABELS[stage]) if stage in STAGE_LABELS else column


def _unit(output: str) -> str:
    if output.startswith(DRIES):
        return ""
    if output.endswith("_h"):
        return "h"
    if output == "final_tg_minus_t_c":
        return "K"
    return ""


def describe(output: str) -> str:
    """A reader's name of an output: "time to tack free", "whether dry through is reached"."""
    if output.startswith(DRIES):
        return _("whether {stage} is reached").format(stage=_label(output[len(DRIES):]))
    if output in _STAGE_COLUMNS:
        return _("time to {stage}").format(stage=_label(output))
    names = {"wrinkle_index": N_("wrinkle index"), "final_tg_minus_t_c": N_("Tg − T at the end")}
    return _(names[output]) if output in names else output


# ---------------------------------------------------------------------------
# Plot
# ---------------------------------------------------------------------------
def plot_sensitivity(indices: pd.DataFrame, *, title: str | None = None, ax: Any = None):
    """A tornado chart of the indices from :func:`analyse` (or the plain layer).

    Sobol: total-order bars with the first-order bars inside them, error bars
    from the confidence columns, the most influential input on top. Morris:
    ``mu_star`` bars with error bars and ``sigma`` as a marker, sorted by
    ``mu_star``.

    Parameters
    ----------
    indices : DataFrame
        Sobol or Morris columns (see :data:`SOBOL_COLUMNS`,
        :data:`MORRIS_COLUMNS`); ``attrs`` (output, unit, censoring) label
        the axes when present.
    title : str, optional
        Default: the output, the method and the censoring.
    ax : matplotlib Axes, optional
        Draw there; default a new figure.

    Returns
    -------
    matplotlib.figure.Figure
    """
    # a bare Figure, not pyplot: no backend, no window, no global figure to close
    from matplotlib.figure import Figure

    if not isinstance(indices, pd.DataFrame):
        raise RecipeError(f"expected the indices DataFrame of analyse(), got "
                          f"{type(indices).__name__}", field="indices")
    sobol = all(c in indices.columns for c in SOBOL_COLUMNS)
    morris = all(c in indices.columns for c in MORRIS_COLUMNS)
    if not (sobol or morris) or indices.empty:
        raise RecipeError(f"expected the columns {', '.join(SOBOL_COLUMNS)} (Sobol) or "
                          f"{', '.join(MORRIS_COLUMNS)} (Morris), one row per input",
                          field="indices")
    attrs = indices.attrs or {}
    output = attrs.get("output", "the output")
    unit = attrs.get("unit", "")
    named = f"{output} ({unit})" if unit else output
    key = "ST" if sobol else "mu_star"
    # barh draws the first row at the bottom: ascending order puts the largest on top
    df = indices.sort_values(key, ascending=True, kind="stable")
    pos = np.arange(len(df))

    if ax is None:
        fig = Figure(figsize=(7.0, 1.6 + 0.45 * len(df)), layout="constrained")
        ax = fig.add_subplot()
    else:
        fig = ax.figure
    err = dict(ecolor="0.2", capsize=3, elinewidth=1)
    # two bars per input, side by side, so each keeps its own error bar
    h = 0.38
    if sobol:
        ax.barh(pos + h / 2, df["ST"], height=h, color="#6baed6", xerr=df["ST_conf"],
                error_kw=err, label=_("total order ST (with interactions)"))
        ax.barh(pos - h / 2, df["S1"], height=h, color="#08519c", xerr=df["S1_conf"],
                error_kw=err, label=_("first order S1 (alone)"))
        ax.axvline(0.0, color="0.3", linewidth=0.8)
        ax.set_xlabel(_("Sobol index: share of the variance of {output}").format(output=named))
        method = "Sobol"
    else:
        ax.barh(pos + h / 2, df["mu_star"], height=h, color="#e6550d", xerr=df["mu_star_conf"],
                error_kw=err, label=_("μ* (mean |effect|)"))
        ax.barh(pos - h / 2, df["sigma"], height=h, color="#fdae6b",
                label=_("σ (spread: non-linearity, interaction)"))
        ax.set_xlabel(_("Morris: change of {output} as the input crosses its range").format(
            output=named))
        method = "Morris"
    ax.set_yticks(pos, list(df.index))
    if not sobol:  # mu_star, sigma >= 0; a small-sample Sobol estimate may dip below 0
        ax.set_xlim(left=0.0)
    ax.grid(axis="x", color="0.9")
    ax.set_axisbelow(True)
    ax.legend(loc="best", fontsize="small", frameon=False)
    if title is None:
        title = _("{method} indices of {output}").format(method=method, output=output)
        if attrs.get("censored"):
            title += "\n" + _("{k} of {n} cases censored at {h} h").format(
                k=attrs["censored"], n=attrs.get("n_cases", "?"),
                h=f"{attrs.get('horizon_h', float('nan')):g}")
    ax.set_title(title, fontsize="medium")
    return fig
