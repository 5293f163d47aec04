"""Translations of what lacquersim shows people: English, or Vietnamese.

Messages are marked in the source with :func:`_` (translated where they are
shown; format after translating: ``_("{n} cells").format(n=n)``) or
:func:`N_` (a constant, translated later with ``_``). ``Field(name, kind,
doc)``'s ``doc``, ``Rule(doc, ...)``'s ``doc`` and ``Stage``'s label are
marked by position (see :data:`KEYWORDS`) and translated where shown.

The language is ``--lang`` on the command line, :func:`set_language` from
Python, or else the locale (``LANGUAGE``, ``LC_ALL``, ``LC_MESSAGES``,
``LANG`` beginning with ``vi``); English by default. The catalogue is
``locale/vi/LC_MESSAGES/lacquersim.po`` and its compiled ``.mo``;
``python -m lacquersim.catalogue --update`` (needs Babel) extracts the
marked messages, merges them into the ``.po`` and compiles the ``.mo``.

This module imports nothing of lacquersim: every layer may use it.
"""

from __future__ import annotations

import gettext as _gettext
import os
from contextlib import contextmanager
from pathlib import Path

__all__ = ["_", "N_", "ngettext", "set_language", "get_language", "using", "LANGUAGES",
           "DOMAIN", "LOCALE_DIR", "KEYWORDS"]

DOMAIN = "lacquersim"
LOCALE_DIR = Path(__file__).resolve().parent / "locale"
#: Languages with a catalogue ("en" is the source language).
LANGUAGES = ("en", "vi")
#: Babel extraction keywords: the functions above, and the declarations whose
#: n-th positional argument is text for people (Field's doc, Rule's doc,
#: Stage's label).
KEYWORDS = {"_": None, "N_": None, "ngettext": (1, 2), "Field": (3,), "Rule": (1,),
            "Stage": (2,)}

_language: str | None = None  # None: from the environment, on first use
_translation: _gettext.NullTranslations | None = None


def _from_environment() -> str:
    """The language the locale asks for, as gettext reads it: the first of
    LANGUAGE, LC_ALL, LC_MESSAGES, LANG that is set decides."""
    for var in ("LANGUAGE", "LC_ALL", "LC_MESSAGES", "LANG"):
        value = os.environ.get(var)
        if value:
            first = value.split(":")[0].strip().lower()
            return "vi" if first.startswith("vi") else "en"
    return "en"


def set_language(language: str | None = None) -> str:
    """Show messages, tables and plot labels in ``language`` ("en" or "vi";
    None: from the locale). Returns the language now used."""
    global _language, _translation
    if language is None:
        language = _from_environment()
    language = str(language).strip().lower().replace("_", "-").split("-")[0]
    if language not in LANGUAGES:
        raise ValueError(f"unknown language {language!r}; choose one of {', '.join(LANGUAGES)}")
    _language = language
    if language == "en":
        _translation = _gettext.NullTranslations()
    else:
        # fallback: a missing catalogue (a broken install) shows English, not a traceback
        _translation = _gettext.translation(DOMAIN, str(LOCALE_DIR), languages=[language],
                                            fallback=True)
    return language


def get_language() -> str:
    """The language messages are shown in ("en" or "vi")."""
    if _language is None:
        set_language(None)
    return _language  # type: ignore[return-value]


@contextmanager
def using(language: str | None):
    """Show ``language`` inside the ``with`` block, then the language before
    (the command line, called from Python, leaves the caller's setting alone)."""
    global _language, _translation
    before, before_tr = _language, _translation
    try:
        set_language(language)
        yield get_language()
    finally:
        _language, _translation = before, before_tr


def _catalogue() -> _gettext.NullTranslations:
    if _translation is None:
        set_language(None)
    return _translation  # type: ignore[return-value]


def _(message: str) -> str:
    """``message`` in the current language."""
    # "" would give the catalogue's header, not an empty text
    return _catalogue().gettext(message) if message else message


def N_(message: str) -> str:
    """Marks ``message`` for the catalogue without translating it (a constant
    declared at import, translated with :func:`_` where it is shown)."""
    return message


def ngettext(singular: str, plural: str, n: int) -> str:
    """The singular or plural of a message for ``n``, in the current language."""
    return _catalogue().ngettext(singular, plural, n)
