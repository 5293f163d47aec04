"""Image files of figures: the format checked before a long run, saved atomically.

Used by every command that writes a figure (``--plot``, ``--out``), so the
checks and messages are the same everywhere.
"""

from __future__ import annotations

import os
import secrets
import sys
from pathlib import Path

from lacquersim.errors import RecipeError
from lacquersim.i18n import _

__all__ = ["image_format", "save_figure"]


def image_format(path, *, field: str = "path") -> str:
    """The image format of ``path`` (from its suffix), checked before a long run.

    Raises
    ------
    RecipeError
        Unknown suffix, missing folder, or ``path`` is a folder; ``field``
        names the argument (``"--out"`` on the command line).
    """
    import matplotlib

    if "matplotlib.pyplot" not in sys.modules:
        matplotlib.use("Agg")  # files only; never open a window or need a display
    from matplotlib.backend_bases import FigureCanvasBase

    target = Path(path)
    fmt = target.suffix.lower().lstrip(".")
    supported = FigureCanvasBase.get_supported_filetypes()
    if fmt not in supported:
        raise RecipeError(_("cannot tell the image format of {file}; end the file name with one "
                            "of: {suffixes}").format(
                                file=repr(str(path)),
                                suffixes=", ".join("." + k for k in sorted(supported))),
                          field=field)
    if not target.parent.is_dir():
        raise RecipeError(_("folder {folder} does not exist").format(
            folder=repr(str(target.parent))), field=field)
    if target.is_dir():
        raise RecipeError(_("{file} is a folder").format(file=repr(str(path))), field=field)
    return fmt


def save_figure(fig, path, *, field: str = "path", dpi: float | None = None) -> Path:
    """Save ``fig`` to ``path`` atomically (a failure never leaves a partial file)."""
    target = Path(path)
    fmt = image_format(target, field=field)
    # Same folder, so os.replace is a rename on one file system.
    tmp = target.parent / f".{target.name}.{os.getpid()}.{secrets.token_hex(4)}.tmp"
    try:
        fig.savefig(tmp, format=fmt, **({} if dpi is None else {"dpi": dpi}))
        os.replace(tmp, target)
    except OSError as e:
        raise RecipeError(_("cannot write {file}: {reason}").format(
            file=repr(str(target)), reason=e.strerror or e), field=field) from None
    finally:
        try:
            os.unlink(tmp)
        except OSError:
            pass
        plt = sys.modules.get("matplotlib.pyplot")
        if plt is not None:
            from matplotlib.figure import Figure

            if isinstance(fig, Figure):  # free pyplot's reference, if it made the figure
                plt.close(fig)
    return target
