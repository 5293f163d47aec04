"""Errors lacquersim raises on purpose, each with what the user can act on."""

from __future__ import annotations

from lacquersim.i18n import _

__all__ = ["LacquersimError", "RecipeError", "SolverError"]


class LacquersimError(Exception):
    """Base class of all documented lacquersim errors."""


class RecipeError(LacquersimError, ValueError):
    """Invalid recipe or condition input.

    Attributes
    ----------
    file : str or None
        File the bad value came from (``None`` for a Python dict).
    line : int or None
        1-based line in that file, when known.
    field : str or None
        Dotted path of the offending field, e.g. ``"drying.rh_percent"``.
    problem : str
        What is wrong and what is allowed (range, unit or choices).
    """

    def __init__(self, problem: str, *, field: str | None = None,
                 file: str | None = None, line: int | None = None):
        self.problem = problem
        self.field = field
        self.file = file
        self.line = line
        super().__init__(self._format())

    def _format(self) -> str:
        where = []
        if self.file:
            where.append(str(self.file) + (", " + _("line {n}").format(n=self.line)
                                           if self.line else ""))
        if self.field:
            where.append(_("field '{field}'").format(field=self.field))
        return (": ".join([", ".join(where), self.problem]) if where else self.problem)


class SolverError(LacquersimError, RuntimeError):
    """The integrator could not continue.

    Attributes
    ----------
    time_h : float
        Simulated time at which it failed, hours from application.
    cause : str
        Why: step size collapse, non-finite state, too many steps, ...
    """

    def __init__(self, cause: str, time_h: float):
        self.cause = cause
        self.time_h = float(time_h)
        super().__init__(_("solver failed at t = {t} h: {cause}").format(
            t=f"{self.time_h:.6g}", cause=cause))
