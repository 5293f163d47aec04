"""Study results on disk: Parquet written chunk by chunk, resumable.

While a study runs, every finished chunk of cases is written as its own
Parquet file in ``OUT.parts/`` (written to a temporary name, then renamed,
so a killed process leaves whole chunks or none), beside ``study.json``, the
study's definition. When every case is in, the chunks are joined, sorted by
case, checked (each case exactly once) and written to ``OUT`` with the
definition, the parameter set and the package version in the file's
metadata (key ``lacquersim``); then ``OUT.parts/`` is removed.

Resuming reads which cases the chunks hold and runs only the others; a
definition that differs from the stored one is refused, naming what
differs.
"""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

import pandas as pd

from lacquersim.errors import RecipeError
from lacquersim.i18n import _

__all__ = ["ResultStore", "read_results", "METADATA_KEY"]

METADATA_KEY = b"lacquersim"


def _require_pyarrow():
    try:
        import pyarrow  # noqa: F401
        import pyarrow.parquet  # noqa: F401
    except ImportError:
        raise RecipeError(_('writing Parquet needs pyarrow: pip install "lacquersim[studies]"'),
                          field="out") from None
    import pyarrow

    return pyarrow


def read_results(path) -> tuple[pd.DataFrame, dict]:
    """A finished study's table and its metadata (definition, version)."""
    pa = _require_pyarrow()
    path = Path(path)
    if not path.is_file():
        raise RecipeError(_("no such results file: {file}").format(file=path), field="results")
    try:
        table = pa.parquet.read_table(path)
    except (OSError, pa.ArrowException) as exc:
        raise RecipeError(_("cannot read {file} as Parquet: {reason}").format(file=path, reason=exc),
                          field="results") from None
    meta = table.schema.metadata or {}
    if METADATA_KEY not in meta:
        raise RecipeError(_("{file} was not written by a lacquersim study").format(file=path),
                          field="results")
    return table.to_pandas(), json.loads(meta[METADATA_KEY])


class ResultStore:
    """The output file of one study, and its chunks while it runs."""

    def __init__(self, path, definition: dict, *, resume: bool = False):
        self.pa = _require_pyarrow()
        self.path = Path(path)
        if self.path.suffix.lower() != ".parquet":
            raise RecipeError(_("the results file ends in .parquet, got '{name}'").format(
                name=self.path.name), field="out")
        if not self.path.parent.is_dir():
            raise RecipeError(_("folder {folder} does not exist").format(folder=self.path.parent),
                              field="out")
        self.parts = self.path.with_name(self.path.name + ".parts")
        self.definition = definition
        self.text = json.dumps(definition, sort_keys=True)
        exists = self.path.exists() or self.parts.exists()
        if exists and not resume:
            raise RecipeError(_("{file} already exists; resume it (--resume, resume=True) or "
                                "delete it").format(file=self._shown()), field="out")
        if self.path.exists():
            _table, meta = read_results(self.path)
            self._compare(meta.get("definition", {}), str(self.path))
        elif self.parts.exists():
            try:
                stored = json.loads((self.parts / "study.json").read_text(encoding="utf-8"))
            except (OSError, ValueError):
                raise RecipeError(_("{folder} holds no readable study.json; delete it and run "
                                    "again").format(folder=self.parts), field="out") from None
            self._compare(stored, str(self.parts))
            for tmp in self.parts.glob("*.tmp"):  # a chunk a killed process was writing
                tmp.unlink()
        else:
            self.parts.mkdir()
            _atomic_write_text(self.parts / "study.json", self.text)

    def _shown(self) -> str:
        return str(self.path if self.path.exists() else self.parts)

    def _compare(self, stored: dict, where: str) -> None:
        if json.dumps(stored, sort_keys=True) == self.text:
            return
        keys = sorted(set(stored) | set(self.definition))
        differ = [k for k in keys if json.dumps(stored.get(k), sort_keys=True)
                  != json.dumps(self.definition.get(k), sort_keys=True)]
        raise RecipeError(_("{file} holds another study (it differs in: {fields}); use another "
                            "--out, or delete it to start again").format(
                                file=where, fields=", ".join(differ)), field="out")

    @property
    def finished(self) -> bool:
        return self.path.exists()

    def done_cases(self) -> set[int]:
        """The cases already stored."""
        if self.finished:
            return set(range(self.definition["n_cases"]))
        done: set[int] = set()
        for f in sorted(self.parts.glob("part-*.parquet")):
            done.update(self.pa.parquet.read_table(f, columns=["case"]).column(0).to_pylist())
        return done

    def write(self, chunk: pd.DataFrame) -> None:
        """Store one finished chunk (whole, or not at all)."""
        first, last = int(chunk["case"].iloc[0]), int(chunk["case"].iloc[-1])
        target = self.parts / f"part-{first:09d}-{last:09d}.parquet"
        tmp = target.with_suffix(".tmp")
        self.pa.parquet.write_table(self.pa.Table.from_pandas(chunk, preserve_index=False), tmp)
        os.replace(tmp, target)

    def finish(self, metadata: dict) -> pd.DataFrame:
        """Join the chunks into the results file; return its table."""
        if self.finished:
            return read_results(self.path)[0]
        files = sorted(self.parts.glob("part-*.parquet"))
        df = pd.concat([self.pa.parquet.read_table(f).to_pandas() for f in files], ignore_index=True)
        df = df.sort_values("case", kind="stable").reset_index(drop=True)
        n = self.definition["n_cases"]
        if len(df) != n or not (df["case"].to_numpy() == range(n)).all():
            raise RuntimeError(f"{self.parts}: {len(df)} rows for {n} cases; not every case is "
                               f"stored exactly once")
        table = self.pa.Table.from_pandas(df, preserve_index=False)
        meta = dict(table.schema.metadata or {})
        meta[METADATA_KEY] = json.dumps(dict(metadata, definition=self.definition)).encode()
        tmp = self.path.with_name(self.path.name + ".tmp")
        self.pa.parquet.write_table(table.replace_schema_metadata(meta), tmp)
        os.replace(tmp, self.path)
        shutil.rmtree(self.parts)
        return read_results(self.path)[0]


def _atomic_write_text(path: Path, text: str) -> None:
    tmp = path.with_suffix(".tmp")
    tmp.write_text(text, encoding="utf-8")
    os.replace(tmp, path)
