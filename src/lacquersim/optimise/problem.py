"""pymoo's view of a search: mixed variables in, objectives and constraints out.

A module of its own, imported only when a search runs: pymoo is an optional
extra, and a checkpoint pickles the problem, which needs a class at module
level.
"""

from __future__ import annotations

from typing import Callable

from pymoo.core.problem import Problem
from pymoo.core.variable import Choice, Integer, Real

__all__ = ["SearchProblem", "plain"]


class SearchProblem(Problem):
    """Variables (:class:`~lacquersim.optimise.space.Variable`) as pymoo's
    Real / Integer / Choice; a batch of candidates scored by ``evaluate``."""

    def __init__(self, variables, evaluate: Callable, n_obj: int, n_constr: int):
        vars = {}
        for v in variables:
            if v.choices is not None:
                vars[v.name] = Choice(options=list(v.choices))
            elif v.integer:
                vars[v.name] = Integer(bounds=(int(v.low), int(v.high)))
            else:
                vars[v.name] = Real(bounds=(v.low, v.high))
        super().__init__(vars=vars, n_obj=n_obj, n_ieq_constr=n_constr, elementwise=False)
        self.run = evaluate
        self.exclude_from_serialization = ["run"]  # re-attached on resume

    def _evaluate(self, X, out, *args, **kwargs):
        F, G = self.run([plain(x) for x in X])
        out["F"], out["G"] = F, G


def plain(x) -> dict:
    """A candidate as a dict of plain Python values (numpy scalars unwrapped)."""
    return {k: (v.item() if hasattr(v, "item") else v) for k, v in dict(x).items()}
