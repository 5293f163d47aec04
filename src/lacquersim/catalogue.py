"""The Vietnamese catalogue, for maintainers: extract, merge, compile (Babel).

``python -m lacquersim.catalogue --update`` extracts every message marked in
the package (:data:`lacquersim.i18n.KEYWORDS`) and argparse's texts, merges
them into ``locale/vi/LC_MESSAGES/lacquersim.po`` (new ones untranslated,
gone ones dropped, no fuzzy guesses) and compiles the ``.mo``; it lists the
messages still to translate. ``--check`` changes nothing and fails if the
``.po`` or ``.mo`` is out of date or a message lacks a translation. Babel is
needed only here (the ``test`` extra); the ``.mo`` is committed.
"""

from __future__ import annotations

import contextlib
import io
from pathlib import Path

from lacquersim.i18n import DOMAIN, KEYWORDS, LOCALE_DIR

__all__ = ["extract", "update", "po_file", "compile_mo", "source_messages"]

PACKAGE = Path(__file__).resolve().parent


def _source_files():
    yield from sorted(p for p in PACKAGE.rglob("*.py") if "locale" not in p.parts)


def _argparse_file() -> Path:
    import argparse

    return Path(argparse.__file__)


def extract():
    """Every marked message of the package (and of argparse, whose usage and
    error texts the command line shows) as a Babel catalogue."""
    from babel.messages.catalog import Catalog
    from babel.messages.extract import extract as babel_extract

    cat = Catalog(project="lacquersim", domain=DOMAIN, charset="utf-8")
    files = [(p, p.relative_to(PACKAGE.parent).as_posix()) for p in _source_files()]
    files.append((_argparse_file(), "argparse.py"))
    for path, shown in files:
        keywords = KEYWORDS if shown != "argparse.py" else {"_": None, "ngettext": (1, 2)}
        # Babel reports every f-string in a keyword's call on stderr, also
        # Field(f"{prefix}.hours", ...) whose doc is no f-string: silenced, the
        # tests look for an f-string inside _() instead
        with open(path, "rb") as fh, contextlib.redirect_stderr(io.StringIO()):
            for lineno, message, comments, context in babel_extract(
                    "python", fh, keywords=keywords, comment_tags=("TRANSLATORS:",),
                    options={"encoding": "utf-8"}):
                if not message or (isinstance(message, str) and not message.strip()):
                    continue
                cat.add(message, None, [(shown, lineno)], auto_comments=comments,
                        context=context)
    return cat


def source_messages() -> set:
    """The msgids marked in lacquersim's own source (argparse's left out)."""
    return {m.id for m in extract() if m.id and not any(f == "argparse.py"
                                                        for f, _n in m.locations)}


def po_file(language: str = "vi") -> Path:
    return LOCALE_DIR / language / "LC_MESSAGES" / f"{DOMAIN}.po"


def update(language: str = "vi", check: bool = False) -> list[str]:
    """Merge the extracted messages into the ``.po`` (new ones untranslated,
    gone ones dropped) and compile the ``.mo``. Returns the problems left:
    messages without a translation or marked fuzzy. ``check``: change
    nothing, report also a ``.po``/``.mo`` that is out of date."""
    from babel.messages.pofile import read_po

    path = po_file(language)
    with open(path, "rb") as fh:
        cat = read_po(fh, locale=language, domain=DOMAIN)
    template = extract()
    # no fuzzy matching: a changed English message must be translated anew
    cat.update(template, no_fuzzy_matching=True, update_header_comment=False,
               update_creation_date=False)
    for key, m in list(cat.obsolete.items()):
        # argparse's texts differ between Python versions: keep other versions'
        if any(f == "argparse.py" for f, _n in m.locations):
            cat[m.id] = m
    cat.obsolete.clear()
    problems = [_show(m.id) for m in cat if m.id and (not _translated(m) or m.fuzzy)]
    if check:
        buf = io.BytesIO()
        _write(buf, cat)
        if buf.getvalue() != path.read_bytes():
            problems.insert(0, f"{path} is out of date: run python -m lacquersim.catalogue "
                               "--update")
        if compile_mo(cat) != path.with_suffix(".mo").read_bytes():
            problems.insert(0, f"{path.with_suffix('.mo')} is out of date")
        return problems
    with open(path, "wb") as fh:
        _write(fh, cat)
    path.with_suffix(".mo").write_bytes(compile_mo(cat))
    return problems


def _write(fh, cat) -> None:
    from babel.messages.pofile import write_po

    # files without line numbers: moving code does not change the catalogue
    write_po(fh, cat, width=100, sort_output=False, include_lineno=False)


def compile_mo(cat) -> bytes:
    """The ``.mo`` of a catalogue, without its fuzzy entries."""
    from babel.messages.mofile import write_mo

    buf = io.BytesIO()
    write_mo(buf, cat, use_fuzzy=False)
    return buf.getvalue()


def _translated(m) -> bool:
    s = m.string
    return all(x for x in s) if isinstance(s, (tuple, list)) else bool(s)


def _show(msgid) -> str:
    return msgid[0] if isinstance(msgid, (tuple, list)) else msgid


def _main(argv=None) -> int:
    import argparse

    p = argparse.ArgumentParser(prog="python -m lacquersim.catalogue",
                                description="Update the Vietnamese catalogue (needs Babel).")
    p.add_argument("--update", action="store_true",
                   help="extract the marked messages, merge them into the .po, compile the .mo")
    p.add_argument("--check", action="store_true",
                   help="change nothing; fail if the catalogue is out of date or incomplete")
    args = p.parse_args(argv)
    if not (args.update or args.check):
        p.error("give --update or --check")
    problems = update(check=args.check)
    for line in problems:
        print(("untranslated or fuzzy: " + repr(line)) if " out of date" not in line else line)
    return 1 if problems else 0


if __name__ == "__main__":
    raise SystemExit(_main())
