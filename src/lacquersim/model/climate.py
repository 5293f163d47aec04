"""Station climate of Phu Tho, and the daily cycle of a workshop's air.

The monthly records of the two stations of Phu Tho province, 1961–2017
(``data/climate/``, with source and licence): :func:`climate_records` gives
every month of every year, :func:`normals` the means over a period, and
:func:`daily_cycle` the temperature and humidity through a day of a month —
of one year, or of a normal period (default 1991–2015).

The daily cycle is built from the month's mean daily minimum and maximum:
``T(h) = (T_min + T_max)/2 + (T_max − T_min)/2·cos(2π(h − 14)/24)`` (coolest at
02:00, warmest at 14:00), with the air's vapour content held constant through
the day, so that the humidity is high at night and low in the afternoon. The
vapour pressure is the one whose daily-mean relative humidity equals the
month's mean; the humidity is capped at 98 % (condensation on the film is
not modelled).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from lacquersim.errors import RecipeError
from lacquersim.i18n import N_, _
from lacquersim.kernels.formulas import psat_water_c

__all__ = ["STATIONS", "DEFAULT_PERIOD", "FIRST_YEAR", "LAST_YEAR", "climate_records", "normals",
           "month_climate", "MonthClimate", "RH_CAP"]

DATA = Path(__file__).resolve().parents[1] / "data" / "climate" / "phu_tho_stations_monthly.csv"
#: Station id -> name in the records.
#: station id -> name (marked for translation: "Việt Trì"; translate where shown)
STATIONS: dict[str, str] = {"viet-tri": N_("Viet Tri"), "phu-ho": N_("Phu Ho")}
#: The normal period used unless a year or another period is given.
DEFAULT_PERIOD: tuple[int, int] = (1991, 2015)
FIRST_YEAR, LAST_YEAR = 1961, 2017
#: Highest relative humidity of a daily cycle, % (no condensation on the film).
RH_CAP = 98.0
_HOURS = [h + 0.5 for h in range(24)]


@lru_cache(maxsize=1)
def _records():
    import pandas as pd

    df = pd.read_csv(DATA)
    df.insert(0, "station_id", df.station.map({v: k for k, v in STATIONS.items()}))
    return df


def climate_records(station: str | None = None):
    """Every monthly record of the stations (a copy): ``station_id``,
    ``station``, ``year``, ``month``, ``t_mean_c``, ``t_max_c``, ``t_min_c``,
    ``rh_percent``, ``abs_humidity_g_m3``, ``rain_mm``, ``sunshine_h``; for
    studies of the spread between years."""
    df = _records()
    if station is not None:
        df = df[df.station_id == _station(station)]
    return df.reset_index(drop=True).copy()


def _station(station: str) -> str:
    if station not in STATIONS:
        raise RecipeError(_("unknown station {station}; choose one of {stations}").format(
            station=repr(station), stations=", ".join(STATIONS)),
                          field="drying.station")
    return station


def _period(period) -> tuple[int, int]:
    try:
        a, b = (int(period[0]), int(period[1]))
    except (TypeError, ValueError, IndexError):
        raise RecipeError(_("a normal period is two years (first, last), got {period}").format(
            period=repr(period)),
                          field="drying.period") from None
    if not (FIRST_YEAR <= a <= b <= LAST_YEAR):
        raise RecipeError(_("period {first}–{last} is not allowed; years {low} to {high}, "
                            "first ≤ last").format(first=a, last=b, low=FIRST_YEAR, high=LAST_YEAR),
                          field="drying.period")
    return a, b


def normals(station: str = "viet-tri", period=DEFAULT_PERIOD):
    """Monthly means over the years of ``period`` (inclusive), by month:
    temperatures, humidity, rain, sunshine, and ``years`` (how many years
    had a record)."""
    a, b = _period(period)
    df = climate_records(station)
    df = df[(df.year >= a) & (df.year <= b)]
    cols = ["t_mean_c", "t_max_c", "t_min_c", "rh_percent", "abs_humidity_g_m3", "rain_mm", "sunshine_h"]
    out = df.groupby("month")[cols].mean()
    out["years"] = df.groupby("month").year.nunique()
    return out


@dataclass(frozen=True)
class MonthClimate:
    """A month's workshop air: the daily range and the constant vapour pressure."""

    station: str
    month: int
    what: str  # "1991–2015 normal" or "1998"
    t_min_c: float
    t_max_c: float
    rh_mean_percent: float
    vapour_pa: float

    def at(self, hour: float) -> tuple[float, float]:
        """Temperature (°C) and relative humidity (%) at ``hour`` of the day."""
        t = 0.5 * (self.t_min_c + self.t_max_c) + 0.5 * (self.t_max_c - self.t_min_c) * math.cos(
            2.0 * math.pi * (hour - 14.0) / 24.0)
        return t, min(100.0 * self.vapour_pa / psat_water_c(t), RH_CAP)


def month_climate(station: str = "viet-tri", month: int = 7, year: int | None = None,
                  period=DEFAULT_PERIOD) -> MonthClimate:
    """The daily cycle of a month: of ``year``, or of the normal ``period``."""
    station = _station(station)
    month = int(month)
    if not 1 <= month <= 12:
        raise RecipeError(_("month {month} is not allowed; 1 to 12").format(month=month),
                          field="drying.month")
    if year is not None:
        year = int(year)
        df = climate_records(station)
        row = df[(df.year == year) & (df.month == month)]
        if row.empty or not math.isfinite(float(row.rh_percent.iloc[0])):
            raise RecipeError(_("{station} has no record with humidity for month {month} of {year}; "
                                "choose another year or a normal period").format(
                                    station=_(STATIONS[station]), month=month, year=year),
                              field="drying.year")
        r = row.iloc[0]
        what = str(year)
    else:
        a, b = _period(period)
        r = normals(station, (a, b)).loc[month]
        what = _("{first}–{last} normal").format(first=a, last=b)
    t_min, t_max, rh = float(r.t_min_c), float(r.t_max_c), float(r.rh_percent)
    return MonthClimate(station, month, what, t_min, t_max, rh, _vapour(t_min, t_max, rh))


def _vapour(t_min: float, t_max: float, rh_mean: float) -> float:
    """The vapour pressure (Pa) whose daily-mean humidity is ``rh_mean`` (%)."""
    temps = [0.5 * (t_min + t_max) + 0.5 * (t_max - t_min) * math.cos(2.0 * math.pi * (h - 14.0) / 24.0)
             for h in _HOURS]
    ps = [psat_water_c(t) for t in temps]

    def mean_rh(e: float) -> float:
        return sum(min(100.0 * e / p, RH_CAP) for p in ps) / len(ps)

    lo, hi = 0.0, max(ps)
    target = min(rh_mean, RH_CAP)
    for _step in range(60):  # bisection: mean_rh rises monotonically with e
        mid = 0.5 * (lo + hi)
        lo, hi = (mid, hi) if mean_rh(mid) < target else (lo, mid)
    return 0.5 * (lo + hi)
