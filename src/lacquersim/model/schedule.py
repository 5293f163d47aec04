"""Drying schedules: a list of steps, each with temperature, humidity and duration.

A schedule is what the film experiences after application. Each step holds
temperature (°C) and relative humidity (%) for a duration (hours), optionally
ramping linearly to an end temperature / humidity, with an air speed (m/s)
that sets the gas-side mass-transfer coefficient. The integrator restarts at
every step boundary, because the conditions may jump there.

A schedule is a function of time: consecutive steps that continue each other
exactly (same air speed, no jump, the same slope — e.g. a constant
condition written as several equal steps) are joined, so that two ways of
writing the same conditions are the same schedule and simulate identically.
The steps as written are kept in :attr:`Schedule.written` (recipes are saved
and edited in that form).

Presets (defaults in ``data/climates.yaml``): :meth:`Schedule.muro` (humid
cabinet), :meth:`Schedule.oven` (baking, then cooling at room conditions) and
:meth:`Schedule.outdoor` (a Phu Tho workshop's air in a month, a daily cycle
from the station records of :mod:`lacquersim.model.climate`).
"""

from __future__ import annotations

import itertools
import math
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Iterable, Mapping, Sequence

import numpy as np
import pandas as pd

import yaml

from lacquersim.errors import RecipeError
from lacquersim.i18n import N_, _
from lacquersim.kernels.formulas import psat_water_c
from lacquersim.model.climate import STATIONS, month_climate

__all__ = ["Step", "Schedule", "PRESET_NAMES", "PRESET_DEFAULTS", "STATION_NAMES",
           "air_max_rh_percent", "air_problem"]


@lru_cache(maxsize=1)
def _climates() -> dict:
    text = (Path(__file__).parents[1] / "data" / "climates.yaml").read_text(encoding="utf-8")
    return yaml.load(text, Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader))


#: The drying presets, in the order the schema lists them.
PRESET_NAMES: tuple[str, ...] = ("muro", "oven", "outdoor")
#: Default parameters of each preset (``presets`` in ``data/climates.yaml``).
PRESET_DEFAULTS: Mapping[str, Mapping[str, object]] = {
    k: dict(v) for k, v in _climates()["presets"].items()}
#: Stations whose records :meth:`Schedule.outdoor` uses.
STATION_NAMES: tuple[str, ...] = tuple(STATIONS)


@dataclass(frozen=True)
class Step:
    """One drying step.

    Parameters
    ----------
    temperature_c : float
        Air (and film) temperature at the start of the step, °C.
    rh_percent : float
        Relative humidity of the air at the start of the step, %.
    hours : float
        Duration of the step, h (> 0).
    end_temperature_c, end_rh_percent : float, optional
        If given, temperature / humidity ramp linearly to these values over
        the step. ``None`` means constant.
    air_speed_m_s : float
        Air speed over the film, m/s (0 = still air, natural convection).
    """

    temperature_c: float
    rh_percent: float
    hours: float
    end_temperature_c: float | None = None
    end_rh_percent: float | None = None
    air_speed_m_s: float = 0.1

    @property
    def t_end_c(self) -> float:
        return self.temperature_c if self.end_temperature_c is None else self.end_temperature_c

    @property
    def rh_end_percent(self) -> float:
        return self.rh_percent if self.end_rh_percent is None else self.end_rh_percent

    def to_dict(self) -> dict:
        d = {"temperature_c": self.temperature_c, "rh_percent": self.rh_percent, "hours": self.hours}
        if self.end_temperature_c is not None:
            d["end_temperature_c"] = self.end_temperature_c
        if self.end_rh_percent is not None:
            d["end_rh_percent"] = self.end_rh_percent
        d["air_speed_m_s"] = self.air_speed_m_s
        return d


@dataclass(frozen=True)
class Schedule:
    """An ordered sequence of drying :class:`Step` s.

    ``steps`` holds the schedule with continuing steps joined (see the module
    documentation); ``written`` the steps as given. ``label`` is a short
    description set by the presets (not part of equality).
    """

    steps: tuple[Step, ...] = field(default_factory=tuple)
    label: str = field(default="", compare=False)
    written: tuple[Step, ...] = field(default=(), compare=False, repr=False)

    def __post_init__(self):
        steps = tuple(self.steps)
        if len(steps) == 0:
            raise RecipeError(_("a schedule needs at least one step"), field="schedule.steps")
        for i, s in enumerate(steps):
            _check_step(s, i)
        object.__setattr__(self, "written", tuple(self.written) or steps)
        object.__setattr__(self, "steps", _join(steps))

    # -- constructors -------------------------------------------------------
    @classmethod
    def constant(cls, temperature_c: float, rh_percent: float, hours: float,
                 air_speed_m_s: float = 0.1) -> "Schedule":
        """Constant conditions: ``temperature_c`` °C, ``rh_percent`` % RH for ``hours`` h."""
        return cls((Step(float(temperature_c), float(rh_percent), float(hours),
                         air_speed_m_s=float(air_speed_m_s)),))

    @classmethod
    def from_steps(cls, steps: Iterable[Mapping | Step]) -> "Schedule":
        """Build from a list of :class:`Step` or dicts with the same keys."""
        out = []
        for s in steps:
            out.append(s if isinstance(s, Step) else Step(**dict(s)))
        return cls(tuple(out))

    def then(self, other: "Schedule") -> "Schedule":
        """This schedule followed by ``other``."""
        return Schedule(self.written + other.written)

    @classmethod
    def muro(cls, temperature_c: float | None = None, rh_percent: float | None = None,
             hours: float | None = None, air_speed_m_s: float | None = None) -> "Schedule":
        """A humid drying cabinet (muro): constant conditions.

        Defaults (``data/climates.yaml``): 25 °C, 80 % RH, 72 h, 0.1 m/s.
        """
        d = _defaults("muro", temperature_c=temperature_c, rh_percent=rh_percent, hours=hours,
                      air_speed_m_s=air_speed_m_s)
        s = cls.constant(d["temperature_c"], d["rh_percent"], d["hours"], d["air_speed_m_s"])
        return cls(s.steps, label=_("muro (humid cabinet): {t} °C, {rh} % RH, {h} h").format(
            t=_n(d["temperature_c"]), rh=_n(d["rh_percent"]), h=_n(d["hours"])))

    @classmethod
    def oven(cls, temperature_c: float | None = None, hours: float | None = None,
             cool_hours: float | None = None, rh_percent: float | None = None,
             room_temperature_c: float | None = None, room_rh_percent: float | None = None,
             air_speed_m_s: float | None = None) -> "Schedule":
        """Baking: ``hours`` at ``temperature_c`` in dry air, then ``cool_hours`` at room conditions.

        Defaults (``data/climates.yaml``): 140 °C, 10 % RH for 1 h, then 2 h at
        25 °C / 50 % RH, 0.5 m/s. ``cool_hours = 0`` leaves out the cooling step.
        """
        d = _defaults("oven", temperature_c=temperature_c, hours=hours, cool_hours=cool_hours,
                      rh_percent=rh_percent, room_temperature_c=room_temperature_c,
                      room_rh_percent=room_rh_percent, air_speed_m_s=air_speed_m_s)
        steps = [Step(d["temperature_c"], d["rh_percent"], d["hours"],
                      air_speed_m_s=d["air_speed_m_s"])]
        if d["cool_hours"] > 0:
            steps.append(Step(d["room_temperature_c"], d["room_rh_percent"], d["cool_hours"],
                              air_speed_m_s=d["air_speed_m_s"]))
        label = _("oven: {h} h at {t} °C, {rh} % RH").format(
            h=_n(d["hours"]), t=_n(d["temperature_c"]), rh=_n(d["rh_percent"]))
        if d["cool_hours"] > 0:
            label += _(", then {h} h at {t} °C, {rh} % RH").format(
                h=_n(d["cool_hours"]), t=_n(d["room_temperature_c"]), rh=_n(d["room_rh_percent"]))
        return cls(tuple(steps), label=label)

    @classmethod
    def outdoor(cls, station: str | None = None, month: int = 7, days: float | None = None,
                start_hour: float | None = None, step_hours: float | None = None,
                air_speed_m_s: float | None = None, year: int | None = None,
                period_from: int | None = None, period_to: int | None = None) -> "Schedule":
        """A Phu Tho workshop's air in a month: a daily cycle from the station records.

        The cycle (:func:`lacquersim.model.climate.month_climate`) runs between
        the month's mean daily minimum (02:00) and maximum (14:00), with the
        vapour content constant, so the humidity is high at night and low in
        the afternoon. ``year`` takes that year's month; otherwise the mean
        over ``period_from``–``period_to`` (default 1991–2015). The cycle is
        sampled every ``step_hours`` from ``start_hour`` (the time of
        application) and followed by linear ramps between the samples.

        Defaults (``data/climates.yaml``): station ``viet-tri``, 7 days from
        08:00, 2-hour ramps, 0.5 m/s.
        """
        d = _defaults("outdoor", station=station, days=days, start_hour=start_hour,
                      step_hours=step_hours, air_speed_m_s=air_speed_m_s,
                      period_from=period_from, period_to=period_to)
        if not (d["days"] > 0 and d["step_hours"] > 0):
            raise ValueError("days and step_hours must be > 0")
        clim = month_climate(str(d["station"]), int(month), year,
                             (int(d["period_from"]), int(d["period_to"])))
        total = float(d["days"]) * 24.0
        dt = float(d["step_hours"])
        n = max(1, int(math.ceil(total / dt - 1e-9)))
        t0 = float(d["start_hour"])
        steps = []
        for k in range(n):
            a, b = k * dt, min((k + 1) * dt, total)
            if b - a <= 1e-9 and k > 0:  # a sliver left by rounding: drop it
                continue
            (ta, ra), (tb, rb) = clim.at(t0 + a), clim.at(t0 + b)
            steps.append(Step(ta, ra, b - a, end_temperature_c=tb, end_rh_percent=rb,
                              air_speed_m_s=float(d["air_speed_m_s"])))
        rhs = [clim.at(h)[1] for h in range(24)]
        label = _("workshop air, {station}, {month} ({period}): {t_min}–{t_max} °C, "
                  "{rh_min}–{rh_max} % RH daily cycle, {days} days from {clock}").format(
            station=_(STATIONS[clim.station]), month=_month_name(clim.month), period=clim.what,
            t_min=_n(round(clim.t_min_c, 1)), t_max=_n(round(clim.t_max_c, 1)),
            rh_min=_n(round(min(rhs))), rh_max=_n(round(max(rhs))), days=_n(d["days"]),
            clock=_clock(t0))
        return cls(tuple(steps), label=label)

    @classmethod
    def preset(cls, name: str, **params) -> "Schedule":
        """The preset ``name`` (``muro``, ``oven`` or ``outdoor``) with ``params``."""
        if name not in PRESET_NAMES:
            raise ValueError(f"unknown preset {name!r}; choose one of {', '.join(PRESET_NAMES)}")
        return getattr(cls, name)(**params)

    # -- queries ------------------------------------------------------------
    @property
    def total_hours(self) -> float:
        return float(sum(s.hours for s in self.steps))

    @property
    def boundaries_h(self) -> np.ndarray:
        """Step boundaries in hours from application, length ``len(steps) + 1``."""
        # accumulate adds left to right as np.cumsum does (same bits), at a
        # fraction of the cost for the few steps of a schedule
        return np.array([0.0, *itertools.accumulate(s.hours for s in self.steps)])

    def conditions_at(self, hours) -> pd.DataFrame:
        """Temperature (°C) and RH (%) at the given times (h); at a boundary the later step holds."""
        h = np.atleast_1d(np.asarray(hours, dtype=float))
        b = self.boundaries_h
        idx = np.clip(np.searchsorted(b, h, side="right") - 1, 0, len(self.steps) - 1)
        T = np.empty_like(h)
        RH = np.empty_like(h)
        for k, s in enumerate(self.steps):
            sel = idx == k
            frac = (h[sel] - b[k]) / s.hours
            T[sel] = s.temperature_c + (s.t_end_c - s.temperature_c) * frac
            RH[sel] = s.rh_percent + (s.rh_end_percent - s.rh_percent) * frac
        return pd.DataFrame({"time_h": h, "temperature_c": T, "rh_percent": RH})

    def to_list(self) -> list[dict]:
        return [s.to_dict() for s in self.steps]

    def __len__(self) -> int:
        return len(self.steps)


# ---------------------------------------------------------------------------
# Helpers
# ---------------------------------------------------------------------------
#: Allowed range of each step field, (low, high, low allowed, unit): the same
#: limits for a Schedule built in Python and for a recipe's drying section
#: (the recipe schema declares its step fields from these).
STEP_LIMITS = {
    "temperature_c": (-10.0, 250.0, True, "°C"),
    "rh_percent": (0.0, 100.0, True, "%"),
    "hours": (0.0, 2000.0, False, "h"),
    "end_temperature_c": (-10.0, 250.0, True, "°C"),
    "end_rh_percent": (0.0, 100.0, True, "%"),
    "air_speed_m_s": (0.0, 10.0, True, "m/s"),
}


def _check_step(step: Step, i: int) -> None:
    for name, (lo, hi, lo_ok, unit) in STEP_LIMITS.items():
        v = getattr(step, name)
        if v is None and name.startswith("end_"):
            continue
        ok = (isinstance(v, (int, float)) and not isinstance(v, bool) and math.isfinite(v)
              and (lo <= v if lo_ok else lo < v) and v <= hi)
        if not ok:
            allowed = (_("{low} to {high}").format(low=_n(lo), high=_n(hi)) if lo_ok
                       else _("{lower} and {upper}").format(
                           lower=_("more than {x}").format(x=_n(lo)),
                           upper=_("at most {x}").format(x=_n(hi))))
            raise RecipeError(_("{value} is out of range").format(value=repr(v)) + "; "
                              + _("allowed {values}").format(values=f"{allowed} {unit}"),
                              field=f"schedule.steps.{i}.{name}")
    found = air_problem(step)
    if found is not None:
        raise RecipeError(found[1], field=f"schedule.steps.{i}.{found[0]}")


#: The air's pressure (Pa): drying happens at about one atmosphere.
P_ATM_PA = 101325.0


def air_max_rh_percent(temperature_c: float) -> float:
    """The highest relative humidity air at 1 atm can have at ``temperature_c``:
    100 % up to water's boiling point; above it the vapour cannot be at more
    than 1 atm, which is less than saturation (at 140 °C, 28 %)."""
    return min(100.0, 100.0 * P_ATM_PA / psat_water_c(float(temperature_c)))


def air_problem(step) -> tuple[str, str] | None:
    """``(field, problem)`` if a step (a :class:`Step` or its mapping) asks for
    more water vapour than its air can hold anywhere along the step, else None."""
    get = step.get if isinstance(step, Mapping) else (lambda k, d=None: getattr(step, k, d))
    t0, rh0 = float(get("temperature_c")), float(get("rh_percent"))
    t1 = t0 if get("end_temperature_c") is None else float(get("end_temperature_c"))
    rh1 = rh0 if get("end_rh_percent") is None else float(get("end_rh_percent"))
    if max(t0, t1) <= 100.0 and max(rh0, rh1) <= 100.0:
        return None  # up to the boiling point air at 1 atm can hold any RH up to 100 %
    for f in np.linspace(0.0, 1.0, 21):  # a ramp: along the way, not only its ends
        t, rh = t0 + f * (t1 - t0), rh0 + f * (rh1 - rh0)
        top = air_max_rh_percent(t)
        if rh > top * (1 + 1e-9):
            name = "rh_percent" if f == 0.0 or get("end_rh_percent") is None else "end_rh_percent"
            at = "" if f in (0.0, 1.0) else " " + _("(reached {h} h into the step)").format(
                h=_n(round(f * float(get("hours")), 3)))
            return name, (_("{rh} % RH at {t} °C").format(rh=_n(round(rh, 3)), t=_n(round(t, 3)))
                          + at + " " + _("is more water vapour than air at 1 atm can hold; "
                                         "allowed at most {top} % RH at that temperature "
                                         "(above 100 °C the vapour's pressure cannot exceed "
                                         "1 atm)").format(top=_n(_floor3(top))))
    return None


def _floor3(x: float) -> float:
    """``x`` rounded down to 3 significant digits (an allowed value shown is allowed)."""
    if x <= 0:
        return x
    q = 10.0 ** (math.floor(math.log10(x)) - 2)
    return math.floor(x / q) * q


_MONTHS = (N_("January"), N_("February"), N_("March"), N_("April"), N_("May"), N_("June"),
           N_("July"), N_("August"), N_("September"), N_("October"), N_("November"),
           N_("December"))


def _month_name(month: int) -> str:
    return _(_MONTHS[month - 1])


def _n(x) -> str:
    return format(float(x), "g")


def _clock(h: float) -> str:
    h = float(h) % 24.0
    return f"{int(h):02d}:{int(round((h - int(h)) * 60)) % 60:02d}"


def _defaults(preset: str, **given) -> dict:
    d = dict(PRESET_DEFAULTS[preset])
    d.update({k: v for k, v in given.items() if v is not None})
    return {k: (v if isinstance(v, str) else float(v)) for k, v in d.items()}


def _slope(a: float, b: float, hours: float) -> float:
    return (b - a) / hours


def _close(x: float, y: float) -> bool:
    return x == y or abs(x - y) <= 1e-12 * max(abs(x), abs(y), 1.0)


def _continues(p: Step, s: Step) -> bool:
    """True if step ``s`` continues ``p`` without a jump and with the same slopes."""
    if p.air_speed_m_s != s.air_speed_m_s:
        return False
    if p.t_end_c != s.temperature_c or p.rh_end_percent != s.rh_percent:
        return False
    return (_close(_slope(p.temperature_c, p.t_end_c, p.hours),
                   _slope(s.temperature_c, s.t_end_c, s.hours))
            and _close(_slope(p.rh_percent, p.rh_end_percent, p.hours),
                       _slope(s.rh_percent, s.rh_end_percent, s.hours)))


def _join(steps: Sequence[Step]) -> tuple[Step, ...]:
    """Join consecutive steps that continue each other (see the module documentation)."""
    runs: list[list[Step]] = [[steps[0]]]
    for s in steps[1:]:
        last = runs[-1][-1]
        # compare with the run's first step so that tiny slope differences cannot accumulate
        if _continues(last, s) and _continues(_whole(runs[-1]), s):
            runs[-1].append(s)
        else:
            runs.append([s])
    return tuple(_whole(run) for run in runs)


def _whole(run: Sequence[Step]) -> Step:
    """One step covering a run of continuing steps (durations summed exactly)."""
    p, s = run[0], run[-1]
    if len(run) == 1:
        return p
    ramp_t = any(x.end_temperature_c is not None for x in run)
    ramp_rh = any(x.end_rh_percent is not None for x in run)
    return Step(p.temperature_c, p.rh_percent, math.fsum(x.hours for x in run),
                end_temperature_c=s.t_end_c if ramp_t else None,
                end_rh_percent=s.rh_end_percent if ramp_rh else None,
                air_speed_m_s=p.air_speed_m_s)
