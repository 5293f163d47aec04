"""The package's layers: imports run one way and form no cycle.

kernels (numba, flat arrays) → model (materials, parameters, refining,
recipes, schedules, the film problem) → sim (prepared film, solvers, stages,
results) → applications (sweep, cli). Every import counts, also those inside
functions (a lazy import still couples the modules).
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PKG = Path(__file__).resolve().parents[1] / "src" / "lacquersim"
# what each layer may import from the package (besides itself)
ALLOWED = {
    "kernels": set(),
    "base": set(),
    "model": {"kernels", "base"},
    "sim": {"kernels", "model", "base"},
    "apps": {"kernels", "model", "sim", "base"},
}


def _module_name(path: Path) -> str:
    rel = path.relative_to(PKG.parent).with_suffix("")
    parts = list(rel.parts)
    if parts[-1] == "__init__":
        parts = parts[:-1]
    return ".".join(parts)


def _layer(module: str) -> str:
    parts = module.split(".")
    if len(parts) >= 2 and parts[1] in ("kernels", "model", "sim"):
        return parts[1]
    if module in ("lacquersim.errors", "lacquersim.i18n"):
        return "base"
    return "apps"  # lacquersim, cli, sweep, __main__


def _imports(path: Path, module: str) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    package = module if path.name == "__init__.py" else module.rpartition(".")[0]
    out = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            out |= {a.name for a in node.names if a.name.startswith("lacquersim")}
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.rsplit(".", node.level - 1)[0] if node.level > 1 else package
                target = f"{base}.{node.module}" if node.module else base
            else:
                target = node.module or ""
            if not target.startswith("lacquersim"):
                continue
            for a in node.names:  # "from lacquersim.kernels import film" imports a module
                sub = f"{target}.{a.name}"
                out.add(sub if sub in MODULES else target)
    return out


FILES = sorted(PKG.rglob("*.py"))
MODULES = {_module_name(p): p for p in FILES}
GRAPH = {m: {d for d in _imports(p, m) if d in MODULES and d != m} for m, p in MODULES.items()}


def test_the_layers_are_folders():
    assert {_layer(m) for m in MODULES} == set(ALLOWED)
    for folder in ("kernels", "model", "sim"):
        assert (PKG / folder / "__init__.py").is_file()


@pytest.mark.parametrize("module", sorted(MODULES))
def test_imports_run_one_way(module):
    mine = _layer(module)
    bad = sorted(d for d in GRAPH[module] if _layer(d) != mine and _layer(d) not in ALLOWED[mine])
    assert not bad, f"{module} ({mine}) imports {bad}"


def test_kernels_import_nothing_from_the_domain():
    for module, deps in GRAPH.items():
        if _layer(module) == "kernels":
            assert all(_layer(d) == "kernels" for d in deps), (module, deps)
            # not even the package's __init__: the kernels stand alone
            assert "lacquersim" not in deps


def test_kernels_import_each_other_relatively():
    """A copy of the kernels under another package name (benchmarks/ab.py times an
    older revision's against the working tree's) must import its own modules."""
    for path in (PKG / "kernels").glob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.ImportFrom) and node.level == 0:
                assert not (node.module or "").startswith("lacquersim"), (path.name, node.module)


def _find_cycle(graph):
    state: dict[str, int] = {}
    stack: list[str] = []

    def visit(n):
        state[n] = 1
        stack.append(n)
        for d in sorted(graph[n]):
            if d == "lacquersim":  # the package's own lazy re-exports
                continue
            if state.get(d) == 1:
                return stack[stack.index(d):] + [d]
            if d not in state:
                found = visit(d)
                if found:
                    return found
        stack.pop()
        state[n] = 2
        return None

    for n in sorted(graph):
        if n not in state:
            found = visit(n)
            if found:
                return found
    return None


def test_no_import_cycle():
    cycle = _find_cycle(GRAPH)
    assert cycle is None, " -> ".join(cycle)


def test_the_cycle_finder_finds_cycles():
    assert _find_cycle({"a": {"b"}, "b": {"c"}, "c": {"a"}}) == ["a", "b", "c", "a"]
    assert _find_cycle({"a": {"b"}, "b": set(), "c": {"a", "b"}}) is None


def test_the_kernel_cache_guard_hashes_every_kernel_module():
    """A cached kernel carries the code of the functions it calls from other
    modules: the guard must see an edit of any of them."""
    from lacquersim.kernels import _kernel_cache

    on_disk = {p.name for p in (PKG / "kernels").glob("*.py")} - {"__init__.py"}
    assert set(_kernel_cache.KERNEL_SOURCES) == on_disk
    for path in (PKG / "kernels").glob("*.py"):
        text = path.read_text(encoding="utf-8")
        if "@njit" in text and path.name != "vecmath.py":
            assert "import vecmath" in text or "from . import vecmath" in text or \
                "from .film" in text or "from . import film" in text, path.name


def test_materials_are_data_not_code():
    """A material is added by one entry in the parameter table: no module of the
    package names one."""
    from lacquersim.model.parameters import table

    names = set(table().materials) | set(table().oils)
    for module, path in MODULES.items():
        tree = ast.parse(path.read_text(encoding="utf-8"))
        literals = {n.value for n in ast.walk(tree) if isinstance(n, ast.Constant) and isinstance(n.value, str)}
        docstrings = {ast.get_docstring(n) for n in ast.walk(tree)
                      if isinstance(n, (ast.Module, ast.FunctionDef, ast.ClassDef, ast.AsyncFunctionDef))}
        named = sorted((literals - docstrings) & names)
        assert not named, f"{module} names materials {named}"
