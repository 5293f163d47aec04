"""The cases of a study, as a DataFrame of inputs (one row per case).

- ``grid``: every combination of the listed values (full factorial), the
  last path varying fastest.
- ``lhs``: a Latin hypercube of ``n`` cases (scipy.stats.qmc), scrambled
  from ``seed``.
- ``sobol``: Saltelli's extension of a Sobol sequence for first- and
  total-order Sobol indices, ``n·(D + 2)`` cases (SALib; ``n`` a power of 2).
- ``morris``: ``n`` one-at-a-time trajectories on a ``levels`` grid,
  ``n·(D + 1)`` cases (SALib).

An input whose schema field holds whole numbers (``coats.count``,
``refining.0.repeat``) is rounded to the nearest whole number; say so when
reading its sensitivity indices. SALib is an optional extra
(``pip install "lacquersim[studies]"``), needed for ``sobol`` and
``morris`` only.
"""

from __future__ import annotations

import itertools

import numpy as np
import pandas as pd

from lacquersim.errors import RecipeError
from lacquersim.i18n import _
from lacquersim.studies.definition import PARAMETERS, Study

__all__ = ["sample", "require_salib"]


def sample(study: Study) -> pd.DataFrame:
    """The inputs of every case of ``study``: columns = its input paths,
    index = case number (0, 1, ...). The same study gives the same table."""
    paths = study.inputs
    if study.method == "grid":
        rows = list(itertools.product(*[study.grid[p] for p in paths]))
        df = pd.DataFrame(rows, columns=paths)
    else:
        lo = np.array([b[0] for b in study.ranges.values()])
        hi = np.array([b[1] for b in study.ranges.values()])
        if study.method == "lhs":
            from scipy.stats import qmc

            unit = qmc.LatinHypercube(d=len(paths), seed=study.seed).random(study.n)
            x = lo + unit * (hi - lo)
        elif study.method == "sobol":
            salib = require_salib("a Sobol sample")
            # second-order indices would need n·(2D + 2) cases; first and total suffice here
            x = salib.sample.sobol.sample(study.problem(), study.n, calc_second_order=False,
                                          seed=study.seed)
        else:
            salib = require_salib("a Morris sample")
            x = salib.sample.morris.sample(study.problem(), study.n, num_levels=study.levels,
                                           seed=study.seed)
        df = pd.DataFrame(np.asarray(x, dtype=float), columns=paths)
        for p in paths:
            if _whole_numbers(p):
                df[p] = df[p].round().astype(np.int64)
    df.index = pd.RangeIndex(len(df), name="case")
    if len(df) != study.n_cases:  # the formulas in Study.n_cases are the contract
        raise AssertionError(f"{study.method} gave {len(df)} cases, expected {study.n_cases}")
    return df


def require_salib(what: str):
    """SALib, or a clear error saying how to install it."""
    try:
        import SALib.analyze.morris  # noqa: F401
        import SALib.analyze.sobol  # noqa: F401
        import SALib.sample.morris  # noqa: F401
        import SALib.sample.sobol  # noqa: F401
    except ImportError:
        raise RecipeError(_('{what} needs SALib: pip install "lacquersim[studies]"').format(
            what=what),
                          field="sample.method") from None
    import SALib

    return SALib


def _whole_numbers(path: str) -> bool:
    if path.startswith(PARAMETERS):
        return False
    from lacquersim.model.schema import RECIPE_SCHEMA

    f = RECIPE_SCHEMA.field_for(path)
    return f is not None and f.kind == "int"
