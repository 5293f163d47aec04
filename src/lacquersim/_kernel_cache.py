"""Keep numba's on-disk kernel cache consistent across modules.

numba's ``cache=True`` keys each cached function on its *own* source file,
but a kernel compiled in ``bdf.py`` carries the code of the ``film.py``
functions it calls. After an edit (or upgrade) of ``film.py`` alone, the
cached ``bdf`` kernels would silently run the old physics. So the kernel
sources are hashed together, and when the hash changes every cached
lacquersim kernel is dropped and recompiled on first use. Only the cache
next to the sources is managed: with NUMBA_CACHE_DIR set (or a read-only
install, where numba caches per user) clear that cache after an upgrade.
"""

from __future__ import annotations

import hashlib
from pathlib import Path

KERNEL_SOURCES = ("film.py", "bdf.py", "stages.py", "vecmath.py")
STAMP = "lacquersim-kernels.sha256"


def sources_digest(package_dir: Path) -> str:
    h = hashlib.sha256()
    for name in KERNEL_SOURCES:
        path = package_dir / name
        if path.exists():
            h.update(path.read_bytes())
    return h.hexdigest()


def ensure_consistent(package_dir: Path | None = None) -> bool:
    """Drop stale cached kernels; returns True if anything was dropped."""
    package_dir = Path(__file__).parent if package_dir is None else package_dir
    cache = package_dir / "__pycache__"
    digest = sources_digest(package_dir)
    stamp = cache / STAMP
    try:
        if stamp.read_text().strip() == digest:
            return False
    except OSError:
        pass
    dropped = False
    if cache.is_dir():
        for stem in KERNEL_SOURCES:
            for pattern in (f"{stem[:-3]}.*.nbi", f"{stem[:-3]}.*.nbc"):
                for f in cache.glob(pattern):
                    try:
                        f.unlink()
                        dropped = True
                    except OSError:
                        return dropped  # stale files remain: do not stamp them as consistent
    try:
        cache.mkdir(exist_ok=True)
        stamp.write_text(digest + "\n")
    except OSError:
        pass  # read-only install: numba then caches elsewhere or not at all
    return dropped
