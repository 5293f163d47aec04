"""Keep numba's on-disk kernel cache consistent across modules.

numba's ``cache=True`` keys each cached function on its *own* source file,
but a kernel compiled in ``bdf.py`` carries the code of the ``film.py``
functions it calls. After an edit (or upgrade) of ``film.py`` alone, the
cached ``bdf`` kernels would silently run the old physics. So the kernel
sources are hashed together, and when the hash changes every cached
lacquersim kernel is dropped and recompiled on first use. Only the cache
next to the sources is managed: with NUMBA_CACHE_DIR set (or a read-only
install, where numba caches per user) clear that cache after an upgrade.

It also sets the LLVM options lacquersim's kernels are compiled with, only
while numba compiles one of them (:func:`install_codegen_options`), so that
other numba code in the process keeps LLVM's defaults. After such a
compilation the options are back at LLVM's defaults, not at values someone
else may have set (llvmlite cannot read an option back).
"""

from __future__ import annotations

import hashlib
from pathlib import Path

from numba.core import event

# every module of the kernels, this one too (it decides which compilations
# get CODEGEN_OPTIONS)
KERNEL_SOURCES = ("layout.py", "formulas.py", "vecmath.py", "laws.py", "reactions.py", "film.py",
                  "indicators.py", "linalg.py", "bdf.py", "_kernel_cache.py")
STAMP = "lacquersim-kernels.sha256"

# (LLVM option, value while a kernel compiles, LLVM's default restored after).
# Two interleaved vector iterations let the latency-bound exp/log chains of
# the cell loop overlap: faster, with the same bits (docs/performance.md).
CODEGEN_OPTIONS = (("force-vector-interleave", "2", "0"),)

# Options of the kernels that only other kernels call: no wrappers for calls
# from Python (numba builds and compiles two per function, a tenth of a first
# run's compilation). Calling such a function from Python raises.
INTERNAL = {"no_cpython_wrapper": True, "no_cfunc_wrapper": True}


def sources_digest(package_dir: Path) -> str:
    h = hashlib.sha256()
    h.update(repr(CODEGEN_OPTIONS).encode())  # other options, other machine code
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


_PACKAGE = __name__.rpartition(".")[0] + "."


class _CodegenOptions(event.Listener):
    """numba compile-event listener: sets CODEGEN_OPTIONS from the start of the
    outermost compilation of a lacquersim kernel to its end (numba compiles
    the callees inside it, and LLVM optimises the linked kernel there too).
    A kernel loaded from the on-disk cache is not compiled and fires nothing;
    its machine code was made with the options (they are part of the digest).
    """

    def __init__(self):
        self.depth = 0

    @staticmethod
    def _ours(ev) -> bool:
        dispatcher = (ev.data or {}).get("dispatcher")
        module = getattr(getattr(dispatcher, "py_func", None), "__module__", "") or ""
        return module.startswith(_PACKAGE)

    @staticmethod
    def _set(index: int):
        import llvmlite.binding as llvm

        for option in CODEGEN_OPTIONS:
            llvm.set_option("lacquersim", f"--{option[0]}={option[index]}")

    def on_start(self, ev):
        if self._ours(ev):
            if self.depth == 0:
                self._set(1)
            self.depth += 1

    def on_end(self, ev):
        if self._ours(ev):
            self.depth -= 1
            if self.depth == 0:
                self._set(2)


_listener = None


def install_codegen_options():
    """Register the listener once per process (numba compiles under its
    global lock, so the depth count needs no lock of its own)."""
    global _listener
    if _listener is None:
        _listener = _CodegenOptions()
        event.register("numba:compile", _listener)
    return _listener
