"""Text for an 80-column terminal: numbers in plain notation, widths as a
terminal shows them, wrapped lines and aligned tables.

Used by the command line's modules (never by the model or the solver).
"""

from __future__ import annotations

import math
import re
import unicodedata
from typing import Sequence

__all__ = ["WIDTH", "plain", "width", "ljust", "rjust", "wrap", "table"]

WIDTH = 80


def plain(x, sig: int = 3) -> str:
    """``x`` to ``sig`` significant digits without an exponent: 3.15e-07 →
    "< 0.001", 1234.5 → "1235", 0.01234 → "0.0123". Below 0.001 in size a
    value reads as "< 0.001" (or "0"), the resolution a table can show."""
    if x is None:
        return "n/a"
    try:
        x = float(x)
    except (TypeError, ValueError):
        return str(x)
    if not math.isfinite(x):
        return "n/a"
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


def wrap(text: str, first: str = "", rest: str | None = None, limit: int = WIDTH) -> list[str]:
    """``text`` after ``first``, broken between words to stay within ``limit``
    columns; continuation lines start with ``rest`` (default: spaces as wide as ``first``)."""
    rest = " " * width(first) if rest is None else rest
    lines, line = [], first
    for word in _WORDS.findall(text):
        word = " ".join(word.split())
        sep = "" if line in (first, rest) else " "
        if line not in (first, rest) and width(line) + len(sep) + width(word) > limit:
            lines.append(line.rstrip())
            line, sep = rest, ""
        line += sep + word
    lines.append(line.rstrip())
    return lines


def table(header: Sequence[str], rows: Sequence[Sequence[str]], limit: int = WIDTH,
          gap: int = 2) -> list[str]:
    """Rows under a header, the first column left-aligned, the others right-aligned.

    Headers may break between words onto several lines; if the table is still
    wider than ``limit``, the first column's text wraps within the room left.
    """
    n = len(header)
    head = [h.split() for h in header]
    # other columns: as wide as their longest cell or header word
    widths = [max([width(r[i]) for r in rows] + [max(map(width, head[i]), default=0)])
              for i in range(n)]
    room = limit - sum(widths[1:]) - gap * (n - 1)
    widths[0] = max(min(widths[0], room), max(map(width, head[0]), default=0), 8)
    header_lines = [wrap(" ".join(h), limit=w) if h else [""] for h, w in zip(head, widths)]
    # header cells that fit on one line stay on one line; others wrap, bottom-aligned
    depth = max(len(h) for h in header_lines)
    out = []
    for k in range(depth):
        cells = []
        for i, h in enumerate(header_lines):
            j = k - (depth - len(h))
            text = h[j] if j >= 0 else ""
            cells.append(ljust(text, widths[i]) if i == 0 else rjust(text, widths[i]))
        out.append((" " * gap).join(cells).rstrip())
    out.append((" " * gap).join("-" * w for w in widths))
    for r in rows:
        first = wrap(r[0], limit=widths[0])
        cells = [ljust(first[0], widths[0])] + [rjust(c, w) for c, w in zip(r[1:], widths[1:])]
        out.append((" " * gap).join(cells).rstrip())
        out += [t for t in first[1:]]
    return out
