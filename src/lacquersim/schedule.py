"""Drying schedules: a list of steps, each with temperature, humidity and duration.

A schedule is what the film experiences after application. Each step holds
temperature (°C) and relative humidity (%) for a duration (hours), optionally
ramping linearly to an end temperature / humidity, with an air speed (m/s)
that sets the gas-side mass-transfer coefficient. The integrator restarts at
every step boundary, because the conditions may jump there.
"""

from __future__ import annotations

from dataclasses import dataclass, asdict, field
from typing import Iterable, Mapping, Sequence

import numpy as np
import pandas as pd

__all__ = ["Step", "Schedule"]


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
    """An ordered sequence of drying :class:`Step` s."""

    steps: tuple[Step, ...] = field(default_factory=tuple)

    def __post_init__(self):
        if len(self.steps) == 0:
            raise ValueError("a schedule needs at least one step")
        for i, s in enumerate(self.steps):
            if not (s.hours > 0 and np.isfinite(s.hours)):
                raise ValueError(f"schedule step {i}: hours must be > 0, got {s.hours!r}")

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
        return Schedule(self.steps + other.steps)

    # -- queries ------------------------------------------------------------
    @property
    def total_hours(self) -> float:
        return float(sum(s.hours for s in self.steps))

    @property
    def boundaries_h(self) -> np.ndarray:
        """Step boundaries in hours from application, length ``len(steps) + 1``."""
        return np.concatenate([[0.0], np.cumsum([s.hours for s in self.steps])])

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
