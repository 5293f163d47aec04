"""Write the generated parts of the docs from the code and its data.

    python docs/make.py [--check]

Replaces each block between ``<!-- BEGIN generated: NAME -->`` and
``<!-- END generated: NAME -->``: in model.md the stage and parameter tables
(from the stage table and data/parameters.yaml), in cli.md every command's
help, in performance.md the benchmark tables (benchmarks/performance_doc.py,
from benchmarks/history.jsonl), in README.md the output of the example run. ``--check`` only reports (exit 1) which
files are out of date. Without it, the figures in docs/figures/ are drawn
again too.
"""

from __future__ import annotations

import argparse
import re
import sys
from pathlib import Path

from lacquersim.model.parameters import SECTIONS, table
from lacquersim.model.stages import STAGE_TABLE

DOCS = Path(__file__).resolve().parent
DOC = DOCS / "model.md"
TITLES = {"film": "Film (per material)", "refining": "Refining vessel (all materials)",
          "oils": "Blending oils (per oil)", "thinner": "Thinner"}


def _cell(text: str) -> str:
    return str(text).replace("|", "\\|").replace("\n", " ")


def _num(x: float) -> str:
    return format(float(x), "g")


def stages_block() -> str:
    rows = ["| stage | tests | criterion | condition | stands for |", "|---|---|---|---|---|"]
    for s in STAGE_TABLE:
        rows.append(f"| {s.label} | {s.where} | {_cell(s.criterion)} | {_cell(s.threshold)} | "
                    f"{_cell(s.measured_as)} |")
    return "\n".join(rows)


def parameters_block() -> str:
    t = table()
    out = ["Materials:", "", "| material | what it is | catechol | volatile | built on |",
           "|---|---|---|---|---|"]
    for m in t.materials.values():
        out.append(f"| `{m.name}` | {_cell(m.description)} | {m.catechol} | {m.volatile} | "
                   f"{m.base or ''} |")
    for section in SECTIONS:
        out += ["", f"**{TITLES[section]}**", "",
                "| name | unit | range | value | meaning | source |", "|---|---|---|---|---|---|"]
        for p in t.info.values():
            if p.section != section:
                continue
            values, sources = [], []
            if p.value is not None:
                values.append(f"all: {_num(p.value)}")
                sources.append(_cell(p.source))
            for item, (v, src) in p.per_item.items():
                values.append(f"{item}: {_num(v)}")
                sources.append(f"{item}: {_cell(src)}")
            unit = "–" if p.unit == "1" else p.unit
            out.append(f"| `{p.name}` | {unit} | {_num(p.low)} to {_num(p.high)} | "
                       f"{'; '.join(values)} | {_cell(p.about)} | {'; '.join(sources)} |")
    return "\n".join(out)


def cli_blocks() -> dict:
    """Every command's --help, as the 80-column terminal shows it."""
    import contextlib
    import io
    import os

    from lacquersim import cli

    out = {}
    old = os.environ.get("COLUMNS")
    os.environ["COLUMNS"] = "80"
    try:
        for command in [None] + list(cli.COMMANDS):
            buf = io.StringIO()
            with contextlib.redirect_stdout(buf):
                cli.main(["--lang", "en", "--help"] if command is None
                         else ["--lang", "en", command, "--help"])
            out[f"help {command or 'lacquersim'}"] = "```text\n" + buf.getvalue().rstrip() + "\n```"
    finally:
        if old is None:
            os.environ.pop("COLUMNS", None)
        else:
            os.environ["COLUMNS"] = old
    return out


def readme_run_block() -> str:
    """The README's example: what ``lacquersim run vietnam-raw`` prints, its stages part."""
    import contextlib
    import io
    import os

    from lacquersim import cli

    buf = io.StringIO()
    with contextlib.redirect_stdout(buf):
        cli.main(["--lang", "en", "run", "vietnam-raw"])
    lines = buf.getvalue().splitlines()
    lines[0] = lines[0].replace(str(DOCS.parent) + os.sep, "")  # the checkout's path is not the reader's
    start = lines.index("Drying stages (hours after application)")
    end = lines.index("", start)
    return "\n".join(["```console", "$ lacquersim run vietnam-raw", lines[0], "  ..."]
                     + lines[start:end] + ["```"])


def _fill(text: str, blocks: dict, where: Path) -> str:
    for name, body in blocks.items():
        pattern = re.compile(rf"(<!-- BEGIN generated: {re.escape(name)} -->\n).*?"
                             rf"(<!-- END generated: {re.escape(name)} -->)", re.S)
        if not pattern.search(text):
            raise SystemExit(f"{where}: no block 'generated: {name}'")
        text = pattern.sub(lambda m: m.group(1) + body + "\n" + m.group(2), text)
    return text


def render(text: str) -> str:
    """model.md with its generated blocks rewritten."""
    return _fill(text, {"stages": stages_block(), "parameters": parameters_block()}, DOC)


def outputs() -> dict:
    """Every generated file: path -> (text now, text it should have)."""
    sys.path.insert(0, str(DOCS.parent / "benchmarks"))
    import performance_doc

    out = {}
    old = DOC.read_text(encoding="utf-8")
    out[DOC] = (old, render(old))
    cli_doc = DOCS / "cli.md"
    old = cli_doc.read_text(encoding="utf-8")
    out[cli_doc] = (old, _fill(old, cli_blocks(), cli_doc))
    old = performance_doc.DOC.read_text(encoding="utf-8")
    out[performance_doc.DOC] = (old, performance_doc.render(old, 6))
    readme = DOCS.parent / "README.md"
    old = readme.read_text(encoding="utf-8")
    out[readme] = (old, _fill(old, {"run vietnam-raw": readme_run_block()}, readme))
    return out


FIGURES = DOCS / "figures"


def figures() -> list[Path]:
    """The pictures of the README and the docs (not checked: PNG bytes vary with matplotlib)."""
    import matplotlib

    matplotlib.use("Agg")
    import lacquersim as ls

    FIGURES.mkdir(exist_ok=True)
    out = []
    for name in ("vietnam-kneaded-60",):
        fig = ls.simulate(name).plot()
        path = FIGURES / f"{name}.png"
        fig.savefig(path, dpi=90)
        out.append(path)
    out.append(drying_map_figure())
    return out


def drying_map_figure() -> Path:
    """The README's drying map, drawn by the command the README shows."""
    import contextlib
    import io

    from lacquersim import cli

    path = FIGURES / "drying-map.png"
    with contextlib.redirect_stdout(io.StringIO()):
        status = cli.main(["map", "vietnam-kneaded-60", "--months", "--out", str(path)])
    if status:
        raise SystemExit(f"lacquersim map failed (exit {status}); {path} not drawn")
    return path


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--check", action="store_true", help="exit 1 if a generated part is out of date")
    args = ap.parse_args(argv)
    if not args.check:
        for path in figures():
            print(f"written {path}")
    stale = 0
    for path, (old, new) in outputs().items():
        if args.check:
            print(f"{path.name}: {'up to date' if new == old else 'out of date'}")
            stale += new != old
        elif new != old:
            path.write_text(new, encoding="utf-8")
            print(f"written {path}")
    return 1 if stale else 0


if __name__ == "__main__":
    sys.exit(main())
