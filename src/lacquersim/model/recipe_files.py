"""Recipe files: YAML read safely with the line of every key, and the bundled recipes.

A mistake in a file is a :class:`~lacquersim.errors.RecipeError` naming the
file and line (YAML syntax, non-UTF-8 text, tags, aliases that expand without
bound, duplicate keys), before the schema checks the values.
"""

from __future__ import annotations

import difflib
import os
import re
from pathlib import Path
from typing import TYPE_CHECKING, Any, Mapping

import yaml

from lacquersim.errors import RecipeError
from lacquersim.i18n import _
from lacquersim.model import schema
from lacquersim.model.recipe import Recipe, _build
from lacquersim.model.validation import printable

if TYPE_CHECKING:  # pragma: no cover
    import pandas as pd

__all__ = ["load_recipe", "bundled_recipes", "recipes_dir", "RECIPES_ENV"]

#: Environment variable naming a folder of recipes that replaces the bundled one.
RECIPES_ENV = "LACQUERSIM_RECIPES"
_SUFFIXES = (".yaml", ".yml")
# A recipe is a few hundred bytes; the cap keeps a wrong path (a log, a data
# dump) from being read into memory and parsed.
_MAX_BYTES = 1_000_000
# Bound on YAML nodes visited: aliases can make a tiny file expand enormously.
_MAX_NODES = 100_000


# ---------------------------------------------------------------------------
# YAML with line numbers
# ---------------------------------------------------------------------------
# PyYAML follows YAML 1.1, where `1e3` or `5e-2` (no dot) are strings. In a
# recipe they are always meant as numbers, so plain scalars of that shape are
# read as floats (as YAML 1.2 does). Quoted "1e3" stays text.
_FLOAT_12 = re.compile(r"^[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)$")
_STR_TAG = "tag:yaml.org,2002:str"
_MERGE_TAG = "tag:yaml.org,2002:merge"
_SEQ_TAG = "tag:yaml.org,2002:seq"
_MAP_TAG = "tag:yaml.org,2002:map"


def _yaml_error(e: yaml.YAMLError, file: str) -> RecipeError:
    mark = getattr(e, "problem_mark", None) or getattr(e, "context_mark", None)
    problem = getattr(e, "problem", None) or str(e).splitlines()[0]
    context = getattr(e, "context", None)
    ctx_mark = getattr(e, "context_mark", None)
    # PyYAML's own words (problem, context) stay English: they quote the file
    msg = _("YAML syntax error: {problem}").format(problem=problem)
    if context:
        msg += f" ({context}" + (" " + _("on line {n}").format(n=ctx_mark.line + 1)
                                 if ctx_mark else "") + ")"
    if "'\\t'" in problem:  # PyYAML spells the tab character as '\t'.
        msg += "; " + _("indent with spaces, not tabs")
    return RecipeError(" ".join(msg.split()), file=file, line=mark.line + 1 if mark else None)


class _Composer:
    """Turns a composed YAML node tree into plain values and a path -> line map."""

    def __init__(self, file: str):
        self.file = file
        self.lines: dict[str, int] = {}
        self.constructor = yaml.SafeLoader("")  # only its SafeConstructor part is used
        self.visited = 0
        self.active: set[int] = set()

    def error(self, node: yaml.Node, problem: str, path: str) -> RecipeError:
        return RecipeError(problem, field=printable(path) or None, file=self.file,
                           line=node.start_mark.line + 1)

    def build(self, node: yaml.Node, path: str) -> Any:
        self.visited += 1
        if self.visited > _MAX_NODES:
            raise self.error(node, _("the file is too large or uses too many YAML aliases "
                                     "to be a recipe"), path)
        if id(node) in self.active:
            raise self.error(node, _("recursive YAML alias"), path)
        if isinstance(node, yaml.ScalarNode):
            return self.scalar(node, path)
        if node.tag not in (_SEQ_TAG, _MAP_TAG):
            # Collections are built here, not by PyYAML, so explicit tags
            # (!!python/..., !!set, !!omap) would otherwise be silently ignored.
            raise self.error(node, _("cannot read this value (YAML tag {tag}); only plain YAML "
                                     "values are allowed").format(tag=repr(node.tag)), path)
        self.active.add(id(node))
        try:
            if isinstance(node, yaml.SequenceNode):
                out = []
                for i, item in enumerate(node.value):
                    p = f"{path}.{i}"
                    self.lines[p] = item.start_mark.line + 1
                    out.append(self.build(item, p))
                return out
            if isinstance(node, yaml.MappingNode):
                out_m: dict = {}
                seen: dict[Any, int] = {}
                for knode, vnode in node.value:
                    kline = knode.start_mark.line + 1
                    if knode.tag == _MERGE_TAG:
                        raise self.error(knode, _("YAML merge keys ('<<') are not supported in "
                                                  "recipes; write the fields out"), path)
                    if not isinstance(knode, yaml.ScalarNode):
                        raise self.error(knode, _("keys must be plain text"), path)
                    key = self.scalar(knode, path)
                    if not isinstance(key, str):
                        allowed = ", ".join(f.key for f in schema.children(schema.pattern_of(path)))
                        raise self.error(knode, _("keys must be text, got {key}").format(
                            key=repr(key)) + ("; " + _("allowed keys here: {keys}").format(
                                keys=allowed) if allowed else ""), path)
                    p = f"{path}.{key}" if path else key
                    if key in seen:
                        raise self.error(knode, _("given twice (first on line {n})").format(
                            n=seen[key]), p)
                    seen[key] = kline
                    self.lines[p] = kline
                    out_m[key] = self.build(vnode, p)
                return out_m
            raise self.error(node, _("unsupported YAML node {type}").format(
                type=type(node).__name__), path)
        finally:
            self.active.discard(id(node))

    def scalar(self, node: yaml.ScalarNode, path: str) -> Any:
        if node.tag == _STR_TAG and node.style is None and _FLOAT_12.match(node.value):
            return float(node.value)
        try:
            return self.constructor.construct_object(node, deep=True)
        except (yaml.YAMLError, ValueError, TypeError, OverflowError) as e:
            problem = getattr(e, "problem", None) or str(e)
            raise self.error(node, _("cannot read this value ({problem}); only plain YAML values "
                                     "are allowed").format(problem=" ".join(problem.split())),
                             path) from None


def _parse_yaml(text: str, file: str) -> tuple[Any, dict[str, int]]:
    """Parse ``text`` safely; return plain values and dotted path -> 1-based line."""
    try:
        root = yaml.compose(text, Loader=yaml.SafeLoader)
    except yaml.YAMLError as e:
        raise _yaml_error(e, file) from None
    if root is None:
        raise RecipeError(_("the file is empty; a recipe needs at least: {keys}").format(
            keys=", ".join(f.key for f in schema.children("") if f.required)), file=file)
    comp = _Composer(file)
    if not isinstance(root, yaml.MappingNode):
        raise RecipeError(_("the top level of a recipe must be a mapping (key: value lines) "
                            "with: {keys}").format(keys=", ".join(f.key for f in
                                                                  schema.children(""))),
                          file=file, line=root.start_mark.line + 1)
    return comp.build(root, ""), comp.lines


def _read_file(path: Path, shown: str) -> str:
    try:
        if not path.exists():
            raise RecipeError(_("file not found"), file=shown)
        if path.is_dir():
            raise RecipeError(_("is a folder, not a recipe file"), file=shown)
        if not path.is_file():
            raise RecipeError(_("is not a regular file"), file=shown)
        if path.stat().st_size > _MAX_BYTES:
            raise RecipeError(_("file is larger than {n} kB; not a recipe").format(
                n=_MAX_BYTES // 1000), file=shown)
        raw = path.read_bytes()
    except OSError as e:
        raise RecipeError(_("cannot read the file: {reason}").format(reason=e.strerror or e),
                          file=shown) from None
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError as e:
        line = raw[: e.start].count(b"\n") + 1
        raise RecipeError(_("the file is not UTF-8 text"), file=shown, line=line) from None


def _load_file(path: Path, shown: str) -> Recipe:
    text = _read_file(path, shown)
    data, lines = _parse_yaml(text, shown)
    return _build(data, file=shown, lines=lines, source=shown)


# ---------------------------------------------------------------------------
# Bundled recipes
# ---------------------------------------------------------------------------
def recipes_dir() -> Path:
    """Folder of bundled recipes.

    ``$LACQUERSIM_RECIPES`` if set; else the repository's ``recipes/`` folder
    (a checkout, or an editable install); else the ``recipes`` folder that a
    wheel installs inside the package.
    """
    env = os.environ.get(RECIPES_ENV)
    if env:
        return Path(env).expanduser()
    package = Path(__file__).resolve().parents[1]
    repo = package.parents[1] / "recipes"
    packaged = package / "recipes"
    if not repo.is_dir() and packaged.is_dir():
        return packaged
    return repo


def _bundled_files() -> dict[str, Path]:
    d = recipes_dir()
    if not d.is_dir():
        return {}
    files = [p for p in d.iterdir() if p.suffix in _SUFFIXES and p.is_file()]
    return {p.stem: p for p in sorted(files, key=lambda p: (p.stem, p.suffix))}


def load_recipe(path_or_name: str | os.PathLike) -> Recipe:
    """Load a recipe from a YAML file, or a bundled recipe by name.

    Parameters
    ----------
    path_or_name : str or path-like
        Path to a ``.yaml`` / ``.yml`` file, or the file stem of a bundled
        recipe (see :func:`bundled_recipes`), e.g. ``"vietnam-raw"``.

    Raises
    ------
    RecipeError
        File not found / unreadable, YAML syntax error, or invalid content.
    """
    if isinstance(path_or_name, Recipe):
        return path_or_name
    if not isinstance(path_or_name, (str, os.PathLike)):
        raise RecipeError(_("expected a recipe file path or bundled recipe name, got {type}")
                          .format(type=type(path_or_name).__name__))
    shown = os.fspath(path_or_name)
    if isinstance(shown, bytes):
        shown = os.fsdecode(shown)
    if not shown.strip():
        raise RecipeError(_("empty recipe name"))
    path = Path(shown)
    if path.is_file():
        return _load_file(path, shown)

    # Not a file here: maybe a bundled recipe ("vietnam-raw" or "vietnam-raw.yaml").
    bare = len(path.parts) == 1 and path.suffix in ("",) + _SUFFIXES
    if bare:
        bundled = _bundled_files()
        stem = path.stem if path.suffix in _SUFFIXES else shown
        if stem in bundled:
            p = bundled[stem]
            return _load_file(p, str(p))
        if path.suffix == "" and not path.exists():
            close = difflib.get_close_matches(stem, list(bundled), n=1, cutoff=0.6)
            hint = "; " + _("did you mean '{name}'?").format(name=close[0]) if close else ""
            names = ", ".join(bundled) if bundled else _("none found in {folder}").format(
                folder=recipes_dir())
            raise RecipeError(_("no recipe file or bundled recipe named '{name}'").format(
                name=shown) + hint + " " + _("(bundled recipes: {names})").format(names=names))
    return _load_file(path, shown)


def bundled_recipes() -> "pd.DataFrame":
    """The bundled recipes, one row each.

    Returns
    -------
    pandas.DataFrame
        Columns ``name`` (file stem, what :func:`load_recipe` accepts),
        ``title`` (the recipe's ``name``), ``title_vi`` (its ``name_vi``,
        or ""), ``material``, ``description``
        (first line) and ``path``. Empty if the folder does not exist.

    Raises
    ------
    RecipeError
        If a file in the folder is not a valid recipe.
    """
    import pandas as pd

    rows = []
    for stem, p in _bundled_files().items():
        r = _load_file(p, str(p))
        first = r.description.strip().splitlines()[0].strip() if r.description.strip() else ""
        rows.append({"name": stem, "title": r.name, "title_vi": r.name_vi,
                     "material": r.material, "description": first, "path": str(p)})
    return pd.DataFrame(rows, columns=["name", "title", "title_vi", "material", "description",
                                       "path"])


def read_yaml_document(path, what: str, field: str, shape: str) -> tuple[dict, dict, str]:
    """A YAML file of another kind than a recipe (a study, a search space):
    (data, dotted key -> line, file name), read like a recipe file ('1e9' is
    a number). ``what`` names it in messages ("study file"), ``field`` the
    argument that gave the path, ``shape`` says what its top level holds."""
    p = Path(path)
    file = str(p)
    if p.suffix.lower() not in (".yaml", ".yml"):
        raise RecipeError(_("a {what} ends in .yaml or .yml, got '{name}'").format(
            what=_(what), name=p.name), field=field)
    try:
        text = p.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise RecipeError(_("no such {what}: {file}").format(what=_(what), file=file),
                          field=field) from None
    except (OSError, UnicodeDecodeError) as exc:
        raise RecipeError(_("cannot read the {what}: {reason}").format(what=_(what), reason=exc),
                          field=field) from None
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        raise _yaml_error(exc, file) from None
    if not isinstance(data, Mapping):
        raise RecipeError(_("a {what} is a mapping with {shape}").format(what=_(what),
                                                                          shape=_(shape)),
                          file=file)
    data, lines = _parse_yaml(text, file)
    return data, lines, file


class LineErrors:
    """RecipeErrors naming a file and the line of a dotted key, when known
    (the longest known prefix: a key may itself be a dotted path)."""

    def __init__(self, file: str | None, lines: Mapping[str, int] | None):
        self.file, self.lines = file, lines or {}

    def __call__(self, problem: str, where: str | None) -> RecipeError:
        line = None
        if where:
            parts = where.split(".")
            for k in range(len(parts), 0, -1):
                line = self.lines.get(".".join(parts[:k]))
                if line is not None:
                    break
        return RecipeError(problem, field=where, file=self.file, line=line)


def as_recipe(recipe: Any) -> Recipe:
    """A Recipe from a Recipe, a bundled recipe name or a recipe file path
    (what every API function that takes a recipe accepts)."""
    if isinstance(recipe, Recipe):
        return recipe
    if isinstance(recipe, (str, os.PathLike)):
        return load_recipe(recipe)
    raise RecipeError(_("expected a Recipe, a bundled recipe name or a recipe file, got {type}")
                      .format(type=type(recipe).__name__), field="recipe")
