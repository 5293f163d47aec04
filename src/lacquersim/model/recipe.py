"""Recipes: what lacquer, how thick, dried how.

A recipe is a small YAML file (or a Python dict) checked against
:mod:`lacquersim.schema`. Every user mistake becomes a
:class:`~lacquersim.errors.RecipeError` naming the file, the line, the dotted
field and what is allowed, e.g.::

    recipes/x.yaml, line 7, field 'drying.rh_percent': 120 is out of range;
    allowed 0 to 100 % (relative humidity of the air)

Example recipe::

    name: Japanese urushiol, raw sap
    material: japan
    film:
      thickness_um: 76        # wet film, µm
    drying:
      temperature_c: 25       # °C
      rh_percent: 80          # %
      hours: 72               # h

A recipe may also say how the sap was refined and what was mixed in, and
use a drying preset::

    name: Vietnamese laccol, kneaded 45 min, July in Phu Tho
    material: vietnam
    refining:
      - {step: kurome, minutes: 45, rpm: 60, temperature_c: 40}
    additives: {drier_percent: 0.05}
    film: {thickness_um: 50}
    drying: {preset: outdoor, station: viet-tri, month: 7, days: 7}
"""

from __future__ import annotations

import copy
from dataclasses import dataclass, field
from typing import Any, Mapping

from lacquersim.errors import RecipeError
from lacquersim.i18n import _, get_language
from lacquersim.model import schema
from lacquersim.model.schedule import Schedule, Step
from lacquersim.model.validation import line_of

__all__ = ["FilmSpec", "CoatsSpec", "StateSpec", "RefiningStep", "AdditivesSpec", "Recipe"]



@dataclass(frozen=True)
class FilmSpec:
    """The applied film.

    Parameters
    ----------
    thickness_um : float
        Wet film thickness as applied, µm.
    """

    thickness_um: float


@dataclass(frozen=True)
class CoatsSpec:
    """A multi-coat build: ``count`` coats, one every ``interval_hours`` h."""

    count: int
    interval_hours: float


@dataclass(frozen=True)
class StateSpec:
    """Measured state of the lacquer when applied (overrides material defaults).

    Parameters
    ----------
    water_percent : float
        Water content, % by weight.
    monomer_percent : float
        Catechol monomer as % of the lipid fraction (GPC); the rest is
        oligomer / polymer.
    droplet_um : float, optional
        Mean water-droplet diameter of the emulsion, µm.
    laccase_percent : float, optional
        Active laccase as % of that in raw sap.
    """

    water_percent: float
    monomer_percent: float
    droplet_um: float | None = None
    laccase_percent: float | None = None

    def to_dict(self) -> dict:
        d = {"water_percent": self.water_percent, "monomer_percent": self.monomer_percent}
        if self.droplet_um is not None:
            d["droplet_um"] = self.droplet_um
        if self.laccase_percent is not None:
            d["laccase_percent"] = self.laccase_percent
        return d


@dataclass(frozen=True)
class RefiningStep:
    """One refining step (see ``lacquersim schema``, ``refining[i]``).

    Parameters
    ----------
    step : str
        ``"nayashi"`` (stirring), ``"kurome"`` (heating while stirring),
        ``"add_water"`` (water added back) or ``"rest"`` (stored sealed).
    minutes, rpm, temperature_c : float, optional
        Duration (per cycle), stirring speed and sap temperature (nayashi, kurome).
    open_vessel : bool, optional
        Kurome in an open vessel (water evaporates).
    repeat : int, optional
        Number of kurome cycles.
    add_water_percent : float, optional
        Water added back before each kurome cycle, % of the lacquer's weight.
    percent : float, optional
        Water added back (``add_water``), % of the lacquer's weight.
    days : float, optional
        How long the sap rests, sealed (``rest``).
    """

    step: str
    minutes: float | None = None
    rpm: float | None = None
    temperature_c: float | None = None
    open_vessel: bool | None = None
    repeat: int | None = None
    add_water_percent: float | None = None
    percent: float | None = None
    days: float | None = None

    _KEYS = ("step", "minutes", "rpm", "temperature_c", "open_vessel", "repeat",
             "add_water_percent", "percent", "days")

    def to_dict(self) -> dict:
        return {k: getattr(self, k) for k in self._KEYS if getattr(self, k) is not None}

    def describe(self) -> str:
        """One line for people: ``kurome 60 min at 40 °C, 60 rpm, open``."""
        if self.step == "add_water":
            return _("add {percent} % water").format(percent=f"{self.percent:g}")
        if self.step == "rest":
            return _("rest {days} days at {t} °C, sealed").format(
                days=f"{self.days:g}", t=f"{self.temperature_c:g}")
        # the step's name stays as written in the recipe (nayashi, kurome)
        text = _("{step} {minutes} min at {t} °C, {rpm} rpm").format(
            step=self.step, minutes=f"{self.minutes:g}", t=f"{self.temperature_c:g}",
            rpm=f"{self.rpm:g}")
        if self.step == "kurome":
            text += ", " + (_("open") if self.open_vessel in (None, True) else _("covered"))
            if self.repeat and self.repeat > 1:
                text += ", " + _("{n} cycles").format(n=self.repeat)
            if self.add_water_percent:
                text += " " + _("(+{percent} % water before each)").format(
                    percent=f"{self.add_water_percent:g}")
        return text


@dataclass(frozen=True)
class AdditivesSpec:
    """Additives mixed into the lacquer (each optional; see ``lacquersim schema``).

    ``metal_ppm`` (Cu²⁺/Fe³⁺ ions), ``drier_percent`` (% metal on binder),
    ``oil`` and ``oil_percent`` (hybrid lacquer, % of the lacquer's weight),
    ``thinner_percent`` (% of the lacquer's weight).
    """

    metal_ppm: float | None = None
    drier_percent: float | None = None
    oil: str | None = None
    oil_percent: float | None = None
    thinner_percent: float | None = None

    _KEYS = ("metal_ppm", "drier_percent", "oil", "oil_percent", "thinner_percent")

    def to_dict(self) -> dict:
        return {k: getattr(self, k) for k in self._KEYS if getattr(self, k) is not None}

    def describe(self) -> str:
        parts = []
        if self.metal_ppm:
            parts.append(_("metal ions {ppm} ppm").format(ppm=f"{self.metal_ppm:g}"))
        if self.drier_percent:
            parts.append(_("drier {percent} %").format(percent=f"{self.drier_percent:g}"))
        if self.oil and self.oil_percent:
            parts.append(_("{oil} oil {percent} %").format(oil=self.oil,
                                                           percent=f"{self.oil_percent:g}"))
        if self.thinner_percent:
            parts.append(_("thinner {percent} %").format(percent=f"{self.thinner_percent:g}"))
        return ", ".join(parts) or _("none")


@dataclass(frozen=True)
class Recipe:
    """A validated recipe.

    Build one with :meth:`from_dict` or :func:`load_recipe`; both check every
    field against :mod:`lacquersim.schema`. (Calling the constructor directly
    skips those checks.)

    Parameters
    ----------
    name : str
        Title shown in reports.
    name_vi : str
        The title in Vietnamese ("": none); :attr:`title` picks one.
    material : str
        One of :data:`lacquersim.schema.MATERIAL_NAMES`.
    film : FilmSpec
        Film thickness.
    drying : Schedule
        Drying conditions after application.
    state : StateSpec, optional
        Measured state; ``None`` uses the refining steps or the raw sap.
    description : str
        Free text.
    source : str, optional
        File the recipe was read from (``None`` for a dict).
    refining : tuple of RefiningStep, optional
        Refining steps run on the raw sap (exclusive with ``state``).
    additives : AdditivesSpec, optional
        Metal ions, drier, blended oil, thinner.
    drying_preset : tuple of (key, value) pairs, optional
        The ``drying`` section as written when it is a preset (``drying``
        holds the schedule it expands to).
    lines : mapping
        Dotted field → line in ``source``, for messages raised after loading
        (e.g. by refining). Not part of equality.
    """

    name: str
    material: str
    film: FilmSpec
    drying: Schedule
    state: StateSpec | None = None
    description: str = ""
    source: str | None = None
    refining: tuple[RefiningStep, ...] | None = None
    additives: AdditivesSpec | None = None
    drying_preset: tuple[tuple[str, Any], ...] | None = None
    coats: CoatsSpec | None = None
    lines: Mapping[str, int] = field(default_factory=dict, compare=False, repr=False)
    name_vi: str = ""

    @property
    def title(self) -> str:
        """The title in the language shown (:func:`lacquersim.set_language`):
        ``name_vi`` in Vietnamese when the recipe has one, else ``name``."""
        return self.name_vi if self.name_vi and get_language() == "vi" else self.name

    # -- construction -------------------------------------------------------
    @classmethod
    def from_dict(cls, d: Mapping[str, Any], *, source: str | None = None) -> "Recipe":
        """Validate plain data (as in a recipe file) and build a :class:`Recipe`.

        Errors carry ``file=None``; ``source`` is only recorded on the result.

        Raises
        ------
        RecipeError
            If anything in ``d`` is missing, unknown, of the wrong type or out
            of range.
        """
        return _build(d, file=None, lines=None, source=source)

    def to_dict(self) -> dict:
        """Plain data that :meth:`from_dict` turns back into an equal recipe.

        The drying schedule is written as its preset if it came from one,
        else in the simple form when it is a single constant step, else as
        ``steps`` (as written). ``source`` is not part of the data.
        """
        d: dict[str, Any] = {"name": self.name}
        if self.name_vi:
            d["name_vi"] = self.name_vi
        if self.description:
            d["description"] = self.description
        d["material"] = self.material
        if self.state is not None:
            d["state"] = self.state.to_dict()
        if self.refining:
            d["refining"] = [st.to_dict() for st in self.refining]
        if self.additives is not None:
            d["additives"] = self.additives.to_dict()
        d["film"] = {"thickness_um": self.film.thickness_um}
        if self.drying_preset:
            d["drying"] = dict(self.drying_preset)
        else:
            d["drying"] = _schedule_to_dict(self.drying)
        if self.coats is not None:
            d["coats"] = {"count": self.coats.count, "interval_hours": self.coats.interval_hours}
        return d

    def with_values(self, changes: Mapping[str, Any]) -> "Recipe":
        """A copy with some fields replaced, checked like a new recipe.

        Parameters
        ----------
        changes : mapping
            Dotted path -> new value, e.g. ``{"film.thickness_um": 30,
            "drying.rh_percent": 60}``. Steps of a multi-step schedule are
            addressed by index: ``"drying.steps.0.rh_percent"``. ``None``
            removes an optional field (``{"state": None}``). A single-step
            schedule accepts both spellings.

        Raises
        ------
        RecipeError
            Unknown path or invalid value; ``file`` is ``None`` (the change,
            not the recipe file, is at fault).
        """
        if not isinstance(changes, Mapping):
            raise RecipeError(_("changes must be a mapping of dotted field -> value, got {type}")
                              .format(type=type(changes).__name__))
        data = self.to_dict()
        for path, value in changes.items():
            if not isinstance(path, str) or not path or not path.isprintable() \
                    or any(not p for p in path.split(".")):
                raise RecipeError(_("expected a dotted field name such as 'film.thickness_um', "
                                    "got {path}").format(path=repr(path)))
            _set_path(data, path, copy.deepcopy(value))
        return _build(data, file=None, lines=None, source=self.source)


def _schedule_to_dict(s: Schedule) -> dict:
    steps = s.written
    if len(steps) == 1 and steps[0].end_temperature_c is None \
            and steps[0].end_rh_percent is None:
        st = steps[0]
        return {"temperature_c": st.temperature_c, "rh_percent": st.rh_percent,
                "hours": st.hours, "air_speed_m_s": st.air_speed_m_s}
    return {"steps": [st.to_dict() for st in steps]}


def _set_path(data: dict, path: str, value: Any) -> None:
    """Set ``data[a][b]...`` for the dotted ``path``; list items by index."""
    parts = path.split(".")
    drying = data.get("drying")
    # The simple and steps forms describe the same thing for one step: let
    # either spelling address it, converting the stored form as needed.
    if parts[0] == "drying" and len(parts) >= 2 and isinstance(drying, dict):
        if parts[1] == "steps" and "steps" not in drying:
            # Replacing the whole list drops the simple form; addressing one
            # item turns the single simple step into step 0.
            data["drying"] = {"steps": [drying]} if len(parts) > 2 else {}
        elif parts[1] != "steps" and len(parts) == 2 and "steps" in drying \
                and isinstance(drying["steps"], list):
            steps = drying["steps"]
            if len(steps) == 1 and parts[1] in {f.key for f in schema.children("drying.steps.*")}:
                parts = ["drying", "steps", "0", parts[1]]
            elif len(steps) > 1 and parts[1] in {f.key for f in schema.children("drying.steps.*")}:
                raise RecipeError(_("this recipe dries in {n} steps; address one of them as "
                                    "'drying.steps.<i>.{key}' with i from 0 to {last}").format(
                                        n=len(steps), key=parts[1], last=len(steps) - 1),
                                  field=path)
    node: Any = data
    for i, key in enumerate(parts[:-1]):
        here = ".".join(parts[: i + 1])
        if isinstance(node, list):
            node = node[_index(node, key, here)]
            continue
        if not isinstance(node, dict):
            raise RecipeError(_("'{section}' is not a section, cannot set '{path}'").format(
                section=here.rsplit(".", 1)[0], path=path), field=path)
        if node.get(key) is None:
            node[key] = {}
        node = node[key]
    last = parts[-1]
    if isinstance(node, list):
        node[_index(node, last, path)] = value
    elif isinstance(node, dict):
        node[last] = value
    else:
        raise RecipeError(_("'{section}' is not a section, cannot set '{path}'").format(
            section=".".join(parts[:-1]), path=path), field=path)


def _index(items: list, key: str, path: str) -> int:
    if not key.isdigit():
        raise RecipeError(_("expected a step number (0 to {last}), got '{key}'").format(
            last=len(items) - 1, key=key), field=path)
    i = int(key)
    if i >= len(items):
        raise RecipeError(_("index {i} does not exist; there are {n} items (0 to {last})").format(
            i=i, n=len(items), last=len(items) - 1), field=path)
    return i


def _build(data: Any, *, file: str | None, lines: Mapping[str, int] | None,
           source: str | None) -> Recipe:
    """Validate ``data`` against the schema and turn it into a Recipe."""
    v = schema.validate(data, file=file, lines=lines)
    st = v.get("state")
    state = None if st is None else StateSpec(
        water_percent=st["water_percent"], monomer_percent=st["monomer_percent"],
        droplet_um=st.get("droplet_um"), laccase_percent=st.get("laccase_percent"))
    dr = v["drying"]
    preset = None
    if "preset" in dr:
        params = {k: x for k, x in dr.items() if k != "preset"}
        try:
            schedule = Schedule.preset(dr["preset"], **params)
        except RecipeError as e:  # a step the preset made: name the preset's section
            if not (e.field or "").startswith("schedule.steps."):
                raise
            name = e.field.rsplit(".", 1)[1]
            path = f"drying.{name}" if name in params else "drying"
            raise RecipeError(_("the {preset} preset's air: {problem}").format(
                preset=dr["preset"], problem=e.problem), field=path,
                              file=file, line=line_of(lines, path)) from None
        preset = (("preset", dr["preset"]),) + tuple(params.items())
    else:
        raw_steps = dr["steps"] if "steps" in dr else [dr]
        schedule = Schedule(tuple(Step(temperature_c=s["temperature_c"],
                                       rh_percent=s["rh_percent"], hours=s["hours"],
                                       end_temperature_c=s.get("end_temperature_c"),
                                       end_rh_percent=s.get("end_rh_percent"),
                                       air_speed_m_s=s["air_speed_m_s"]) for s in raw_steps))
    refining = None
    if "refining" in v:
        refining = tuple(RefiningStep(**{k: st[k] for k in RefiningStep._KEYS if k in st})
                         for st in v["refining"])
    additives = AdditivesSpec(**v["additives"]) if "additives" in v else None
    coats = CoatsSpec(int(v["coats"]["count"]), float(v["coats"]["interval_hours"])) if "coats" in v else None
    return Recipe(name=v["name"], name_vi=v.get("name_vi", ""), material=v["material"],
                  film=FilmSpec(thickness_um=v["film"]["thickness_um"]),
                  drying=schedule, state=state,
                  description=v.get("description", ""), source=source,
                  refining=refining, additives=additives, drying_preset=preset,
                  coats=coats, lines=dict(lines or {}))
