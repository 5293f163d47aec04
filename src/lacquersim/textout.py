"""Text for an 80-column terminal: numbers in plain notation, widths as a
terminal shows them, wrapped lines and aligned tables.

Used by the command line's modules (never by the model or the solver).
"""

from __future__ import annotations

import math
import re
import unicodedata
from typing import Sequence

from lacquersim.i18n import _

__all__ = ["WIDTH", "plain", "width", "ljust", "rjust", "wrap", "table"]

WIDTH = 80


def plain(x, sig: int = 3) -> str:
    """``x`` to ``sig`` significant digits without an exponent: 3.15e-07 →
    "< 0.001", 1234.5 → "1235", 0.01234 → "0.0123". Below 0.001 in size a
    value reads as "< 0.001" (or "0"), the resolution a table can show."""
    if x is None:
        return _("n/a")
    try:
        x = float(x)
    except (TypeError, ValueError):
        return str(x)
    if not math.isfinite(x):
        return _("n/a")
    if x == 0:
        return "0"
    if abs(x) < 1e-3:
        return "< 0.001" if x > 0 else "> -0.001"
    decimals = max(0, sig - 1 - math.floor(math.log10(abs(x))))
    s = f"{x:.{decimals}f}"
    if "." in s and decimals > 0:
        s = s.rstrip("0").rstrip(".")
    return s


def width(text: str) -> int:
    """Columns ``text`` takes on a terminal: East Asian wide characters two,
    combining marks none (Vietnamese in decomposed form stays aligned)."""
    n = 0
    for ch in unicodedata.normalize("NFC", text):
        if unicodedata.combining(ch):
            continue
        n += 2 if unicodedata.east_asian_width(ch) in ("W", "F") else 1
    return n


def ljust(text: str, n: int) -> str:
    return text + " " * max(0, n - width(text))


def rjust(text: str, n: int) -> str:
    return " " * max(0, n - width(text)) + text


# a word, or a short quoted phrase kept on one line ('lacquersim run --help')
_WORDS = re.compile(r"'[^'\s][^'\n]{0,38}'\S*|\S+")


def wrap(text: str, first: str = "", rest: str | None = None, limit: int = WIDTH,
         break_long: bool = False) -> list[str]:
    """``text`` after ``first``, broken between words to stay within ``limit``
    columns; continuation lines start with ``rest`` (default: spaces as wide
    as ``first``). A word longer than a line stays whole (a file's path)
    unless ``break_long``."""
    rest = " " * width(first) if rest is None else rest
    words = [" ".join(w.split()) for w in _WORDS.findall(text)]
    if break_long:
        room = max(limit - width(rest), 1)
        words = [piece for w in words for piece in _pieces(w, room)]
    lines, line = [], first
    for word in words:
        sep = "" if line in (first, rest) else " "
        if line not in (first, rest) and width(line) + len(sep) + width(word) > limit:
            lines.append(line.rstrip())
            line, sep = rest, ""
        line += sep + word
    lines.append(line.rstrip())
    return lines


def _pieces(word: str, room: int) -> list[str]:
    out, piece = [], ""
    for ch in word:
        if width(piece + ch) > room:
            out.append(piece)
            piece = ""
        piece += ch
    return out + [piece]


def table(header: Sequence[str], rows: Sequence[Sequence[str]], limit: int = WIDTH,
          gap: int = 2, align: str | None = None) -> list[str]:
    """Rows under a header and a rule, within ``limit`` columns.

    ``align`` has an "l" or "r" per column (default: the first left, the
    others right). A header too wide for the room breaks between its words;
    if that is not enough, the first column's text wraps.
    """
    n = len(header)
    align = align or "l" + "r" * (n - 1)
    cell = [max([width(r[i]) for r in rows], default=0) for i in range(n)]
    word = [max(map(width, h.split()), default=0) for h in header]
    widths = [max(c, width(h)) for c, h in zip(cell, header)]

    def total():
        return sum(widths) + gap * (n - 1)

    # make room, mildest first: headers on two lines, then a word a line,
    # then the first column's text wraps
    def two_lines(i):
        return next(w for w in range(word[i], width(header[i]) + 1)
                    if len(wrap(header[i], limit=w)) <= 2)

    for step in ("two", "word", "first"):
        if total() <= limit:
            break
        if step in ("two", "word"):
            for i in sorted(range(1, n), key=lambda i: cell[i] - widths[i]):
                if total() <= limit:
                    break
                widths[i] = max(cell[i], two_lines(i) if step == "two" else word[i])
        else:
            widths[0] = max(min(widths[0], limit - (total() - widths[0])), word[0], 8)
    head = [wrap(h, limit=w) or [""] for h, w in zip(header, widths)]
    depth = max(len(h) for h in head)
    sep = " " * gap

    def line(cells):
        return sep.join(ljust(c, w) if a == "l" else rjust(c, w)
                        for c, w, a in zip(cells, widths, align)).rstrip()

    out = [line([h[k - depth + len(h)] if k - depth + len(h) >= 0 else "" for h in head])
           for k in range(depth)]
    out.append(sep.join("-" * w for w in widths))
    for r in rows:
        first = wrap(r[0], limit=widths[0], break_long=True)
        out.append(line([first[0]] + list(r[1:])))
        out += first[1:]
    return out
