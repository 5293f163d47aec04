"""The drying stages, declared once.

Each stage is a condition on the film state, the analogue of a stage of a
mechanical drying recorder (ASTM D5895) or of the surface- and through-dry
tests of ISO 9117. A stage counts only after the previous one, as on a
recorder: a thin coat whose surface dries out can vitrify at the substrate
first, so the order is part of the definition. Everything that reports or
tabulates stages iterates over :data:`STAGE_TABLE`; the kernel evaluates the
condition named by ``indicator`` (:mod:`lacquersim.kernels.indicators`).
"""

from __future__ import annotations

from dataclasses import dataclass

from lacquersim.i18n import N_, _

__all__ = ["Stage", "STAGE_TABLE", "STAGES", "STAGE_LABELS", "stage", "stage_label"]


@dataclass(frozen=True)
class Stage:
    """One drying stage.

    Attributes
    ----------
    name : str
        Identifier, used as column and key (``"tack_free"``).
    label : str
        As people write it (``"tack free"``; :func:`stage_label` gives it in
        the language shown).
    where : str
        Which part of the film is tested: ``"surface"`` (the cell at the
        air), ``"mean"`` (thickness average) or ``"substrate"`` (the cell at
        the substrate).
    criterion : str
        The condition, in words (marked for translation: ``_(criterion)``).
    threshold : str
        What is compared with what (marked for translation too).
    indicator : int
        The kernel's indicator of the condition (≥ 0 when it holds).
    measured_as : str
        The stage of the literature it stands for.
    """

    name: str
    label: str
    where: str
    criterion: str
    threshold: str
    indicator: int
    measured_as: str

    @property
    def column(self) -> str:
        """Column of tables of stage times, unit included."""
        return f"{self.name}_h"


STAGE_TABLE: tuple[Stage, ...] = (
    Stage("set_to_touch", "set to touch", "surface",
          N_("the surface has gelled"), N_("network conversion alpha ≥ alpha_gel"), 0,
          "dust-free (DF); set-to-touch, ASTM D5895"),
    Stage("tack_free", "tack free", "surface",
          N_("the surface has gelled and vitrified"), "Tg(alpha) − T ≥ 0", 1,
          "touch-free (TF); tack-free, ASTM D5895"),
    Stage("dry_hard", "dry hard", "mean",
          N_("the film has gelled through its thickness on average"),
          N_("mean network conversion ≥ alpha_gel"), 2,
          "hard dry (HD); dry-hard, ASTM D5895"),
    Stage("dry_through", "dry through", "substrate",
          N_("the film has vitrified at the substrate"), N_("Tg(alpha) − T ≥ 0 at the substrate"), 3,
          "dry-through, ASTM D5895; through-dry, ISO 9117-1"),
)
#: Stage names in order.
STAGES: tuple[str, ...] = tuple(s.name for s in STAGE_TABLE)
#: Stage name -> label, in English (:func:`stage_label` translates).
STAGE_LABELS: dict[str, str] = {s.name: s.label for s in STAGE_TABLE}
assert [s.indicator for s in STAGE_TABLE] == list(range(len(STAGE_TABLE)))


def stage_label(name: str) -> str:
    """The label of stage ``name`` in the language shown (an unknown name as
    words: ``"my_stage"`` -> ``"my stage"``)."""
    label = STAGE_LABELS.get(name)
    return _(label) if label else name.replace("_", " ")


def stage(name: str) -> Stage:
    """The :class:`Stage` called ``name``."""
    for s in STAGE_TABLE:
        if s.name == name:
            return s
    raise KeyError(f"unknown stage {name!r}; stages: {', '.join(STAGES)}")
