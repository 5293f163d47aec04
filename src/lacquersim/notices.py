"""Lines on stderr that keep a user informed: the solver being compiled.

Used by every command that simulates (the command line's modules import
this one, never each other).
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

from lacquersim.i18n import _

__all__ = ["compile_notice"]


_NOTICED: set = set()


def _cached(kernel: str) -> bool | None:
    """Whether ``kernel`` is shipped compiled for this host, or in numba's
    on-disk cache next to the kernels' sources and still theirs; None when
    numba caches elsewhere (NUMBA_CACHE_DIR), where this cannot tell."""
    from lacquersim.kernels import _kernel_cache as kc
    from lacquersim.kernels import vecmath  # noqa: F401  (drops stale cached kernels first)

    if kc.prebuilt_has(kernel):
        return True
    if os.environ.get("NUMBA_CACHE_DIR"):
        return None
    here = Path(kc.__file__).parent
    cache = here / "__pycache__"
    try:
        fresh = (cache / kc.STAMP).read_text().strip() == kc.sources_digest(here)
    except OSError:
        return False
    return fresh and any(cache.glob(f"{kernel}-*.nbi"))


def compile_notice(kernel: str) -> None:
    """One line on stderr when the solver is about to be compiled (a first
    run on this machine), so that the silence is not mistaken for a hang."""
    if kernel in _NOTICED:
        return
    _NOTICED.add(kernel)
    if _cached(kernel) is False:
        print(_("lacquersim: compiling the solver (first run on this machine, ~20 s)..."),
              file=sys.stderr, flush=True)
