"""A progress bar on stderr for work that takes a while (tqdm).

Shown only on a terminal, and only once the work has taken more than
DELAY_S seconds, so quick runs and piped output stay clean; it is erased when
the work ends.
"""

from __future__ import annotations

import sys

__all__ = ["Bar", "DELAY_S"]

#: Seconds of work before a bar appears.
DELAY_S = 2.0


class Bar:
    """``bar(done, total)`` reports progress; ``bar.close()`` ends it.

    ``unit`` names what is counted ("member", "recipe"). Without tqdm, or
    when stderr is not a terminal (unless ``enabled``), it does nothing;
    other keywords go to tqdm.
    """

    def __init__(self, unit: str, *, delay: float | None = None, file=None,
                 enabled: bool | None = None, resume: bool = False, **tqdm_options):
        self.file = sys.stderr if file is None else file
        self.unit = unit
        self.delay = DELAY_S if delay is None else delay
        self.bar = None
        if enabled is None:  # by default only on a terminal
            isatty = getattr(self.file, "isatty", None)
            enabled = bool(isatty and isatty())
        self.enabled = enabled
        # resume: the first report's count was done before (a checkpoint), so
        # the rate counts only new work
        self.resume = resume
        self.options = {"mininterval": 0.25, "leave": False, **tqdm_options}

    def __call__(self, done: int, total: int) -> None:
        if not self.enabled:
            return
        if self.bar is None:  # on the first report: no bar before a mistake
            try:
                from tqdm import tqdm
            except ImportError:  # pragma: no cover - tqdm is a dependency
                self.enabled = False
                return
            self.bar = tqdm(total=total, initial=done if self.resume else 0, unit=self.unit,
                            file=self.file, delay=self.delay, dynamic_ncols=True,
                            **self.options)
        if done > self.bar.n:
            self.bar.update(done - self.bar.n)

    def close(self) -> None:
        if self.bar is not None:
            self.bar.close()
            self.bar = None

    def __enter__(self) -> "Bar":
        return self

    def __exit__(self, *exc) -> None:
        self.close()
