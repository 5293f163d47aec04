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
import json
import os
import sys
from pathlib import Path

import numba
from numba.core import event
from numba.core.caching import FunctionCache, IndexDataCacheFile
from numba.core.registry import CPUDispatcher

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


# -- prebuilt kernels ---------------------------------------------------------
# A fresh install would compile the solver for ~20 s on its first run. The
# package therefore ships the entry kernels already compiled (tools/
# prebuild_kernels.py writes them), as numba cache entries for a few CPU
# flavours: the build machine's own CPU, x86-64-v4 (AVX-512) and x86-64-v3
# (AVX2). A kernel not in the user's cache is looked up there, best flavour
# the host can run first; anything else (other numba, Python, sources or
# CPU) compiles as before. LACQUERSIM_PREBUILT=0 (off, false, no) turns the
# lookup off; LACQUERSIM_PREBUILT=<cpu> (e.g. x86-64-v3) allows that flavour only.

PREBUILT = Path(__file__).parent / "prebuilt"
MANIFEST = "manifest.json"
# what each portable flavour requires of the host (LLVM's x86-64 levels)
_V2 = ("cx16", "popcnt", "sahf", "sse3", "sse4.1", "sse4.2", "ssse3")
_V3 = _V2 + ("avx", "avx2", "bmi", "bmi2", "f16c", "fma", "lzcnt", "movbe", "xsave")
_V4 = _V3 + ("avx512f", "avx512bw", "avx512cd", "avx512dq", "avx512vl")
PORTABLE = {"x86-64-v4": _V4, "x86-64-v3": _V3}


_host: list = []


def _host_features() -> set:
    """The CPU features numba compiles for on this host, as numba sees them
    (its NUMBA_ENABLE_AVX=0, set by hand or for VMs that misreport AVX,
    removes every AVX feature)."""
    from numba.core.codegen import get_host_cpu_features

    if not _host:
        _host.append({f[1:] for f in get_host_cpu_features().split(",") if f.startswith("+")})
    return _host[0]


def _setting() -> str:
    """LACQUERSIM_PREBUILT: "1" (on, the default), "0" (off) or a flavour's CPU name."""
    v = os.environ.get("LACQUERSIM_PREBUILT", "").strip().lower()
    if v in ("", "1", "on", "true", "yes"):
        return "1"
    if v in ("0", "off", "false", "no"):
        return "0"
    return v


def prebuilt_flavours(native: tuple, manifest: dict | None = None) -> list:
    """The magic tuples (triple, cpu, features) of the prebuilt entries this
    host can run, best first: its own CPU, then the portable levels. With
    NUMBA_CPU_NAME or NUMBA_CPU_FEATURES set, numba compiles for what they
    say, so only an entry made for exactly that is taken."""
    manifest = _manifest() if manifest is None else manifest
    if not manifest:
        return []
    triple = native[0]
    shipped = [tuple(m) for m in manifest.get("flavours", [])]
    out = [native] if native in shipped else []
    if numba.config.CPU_NAME is None and numba.config.CPU_FEATURES is None:
        for cpu, needs in PORTABLE.items():
            m = (triple, cpu, "")
            if m in shipped and set(needs) <= _host_features():
                out.append(m)
    only = _setting()
    return out if only == "1" else [m for m in out if m[1] == only]


def prebuilt_has(kernel: str) -> bool:
    """Whether this host can load ``kernel`` ("bdf.integrate") from the
    shipped entries (some signature of it; the lookup itself is per signature)."""
    from numba.core.registry import cpu_target

    if not _manifest() or not any(PREBUILT.glob(f"{kernel}-*.nbi")):
        return False
    return bool(prebuilt_flavours(cpu_target.target_context.codegen().magic_tuple()))


_manifest_cache: dict = {}


def _manifest() -> dict:
    """The prebuilt manifest if it matches these sources, numba and Python,
    and every shipped file is the one it lists (size and sha256), else {}
    (also with LACQUERSIM_PREBUILT=0)."""
    if _setting() == "0":
        return {}
    if "m" not in _manifest_cache:
        try:
            m = json.loads((PREBUILT / MANIFEST).read_text())
        except (OSError, ValueError):
            m = {}
        here = {"digest": sources_digest(Path(__file__).parent), "numba": numba.__version__,
                "python": "%d.%d" % sys.version_info[:2]}
        ok = isinstance(m, dict) and all(m.get(k) == v for k, v in here.items()) and _files_intact(m)
        _manifest_cache["m"] = m if ok else {}
    return _manifest_cache["m"]


def _files_intact(manifest: dict) -> bool:
    """Whether the shipped entry files are exactly those the build wrote: no
    stale file left from an earlier build, none missing or changed."""
    files = manifest.get("files")
    if not isinstance(files, dict):
        return False
    try:
        present = {p.name for p in PREBUILT.iterdir() if p.suffix in (".nbi", ".nbc")}
        if present != set(files):
            return False
        for name, (size, digest) in files.items():
            data = (PREBUILT / name).read_bytes()
            if len(data) != size or hashlib.sha256(data).hexdigest() != digest:
                return False
    except (OSError, TypeError, ValueError):
        return False
    return True


class PrebuiltCache(FunctionCache):
    """numba's cache of one kernel, with a second, read-only place to look:
    the entries shipped in :data:`PREBUILT`."""

    def _load_overload(self, sig, target_context):
        data = super()._load_overload(sig, target_context)
        if data is not None or not self._enabled:
            return data
        codegen = target_context.codegen()
        try:
            flavours = prebuilt_flavours(codegen.magic_tuple())
            if not flavours:
                return None
            shipped = IndexDataCacheFile(cache_path=str(PREBUILT), filename_base=self._impl.filename_base,
                                         source_stamp=self._impl.locator.get_source_stamp())
            key = self._index_key(sig, codegen)
            for magic in flavours:
                data = shipped.load((key[0], magic) + tuple(key[2:]))
                if data is not None:
                    return self._impl.rebuild(target_context, data)
        except Exception:  # a damaged or foreign shipped entry: compile instead
            return None
        return None


def use_prebuilt(namespace: dict) -> None:
    """Give every cached kernel defined in ``namespace`` (a module's globals)
    the prebuilt lookup. Called at the end of each kernel module."""
    module = namespace.get("__name__")
    for obj in list(namespace.values()):
        if (isinstance(obj, CPUDispatcher) and getattr(obj.py_func, "__module__", None) == module
                and type(getattr(obj, "_cache", None)) is FunctionCache):
            obj._cache = PrebuiltCache(obj.py_func)
