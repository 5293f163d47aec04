"""Score candidates: each one dried in every month's air, against the competitor.

A candidate is a mapping of the space's variables to values. It is turned
into a recipe (the base recipe with those fields) and a drying practice;
the recipe is refined and prepared once, then dried under the practice in
each climate of the space (each month's workshop air: the normal of the
period, and with ``years: extremes`` also the month's coldest and warmest
year), all climates of all candidates in one batch-kernel call.

The practices, in each month's air (:func:`schedule`):

- ``workshop``: the workshop's daily cycle (as ``drying: {preset: outdoor}``);
- ``humid_cabinet``: the same temperatures, the humidity held at the set
  point where the air is drier (a humidifier cannot dry the air);
- ``heated_cabinet``: held at the set temperature and humidity. Hours when
  the workshop is warmer than the set point (the cabinet cannot cool) make
  the candidate infeasible in that climate;
- ``bake: yes``: an oven bake right after application, then the practice.

Per climate: the four stage times, wrinkle index, the surface's Tg − T at
the end, the cost per m² per coat (:mod:`lacquersim.optimise.cost`; the
cabinet is occupied until the coat is dry hard, or for the whole drying
time if it never is) and the time ratio to the competitor,
``max(tack free / competitor's tack free, dry hard / competitor's dry
hard)`` (a stage not reached counts as the drying time: censored).

Objectives (all minimised): the time ratio, scored over the climates by the
worst (or a quantile); the cost averaged over the climates; and, when a
variable changes it, minus the laccol content. Constraints (≤ 0 is met):
every stage reached in every climate, wrinkle index and hardness within
their limits in every climate, the laccol floor, a cabinet that need not
cool, and a recipe the schema accepts.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any, Mapping, Sequence

import numpy as np
import pandas as pd

from lacquersim.errors import RecipeError
from lacquersim.i18n import _
from lacquersim.optimise.space import Space

__all__ = ["Climate", "climates", "schedule", "Scorer", "runnable_recipe", "OBJECTIVES", "CONSTRAINTS"]

OBJECTIVES = ("time_ratio", "cost_vnd_m2", "minus_laccol_percent")
CONSTRAINTS = ("not_dry", "wrinkle", "hardness", "laccol_floor", "cannot_cool", "invalid")
START_HOUR = 8.0   # coats go on at 08:00 (the outdoor preset's default)
STEP_HOURS = 2.0   # the daily cycle followed by 2-hour ramps (as the outdoor preset)
CABINET_AIR = 0.1  # m/s, still air in a closed cabinet (as the muro preset)
BIG = 1e6          # objectives of a candidate the schema refuses (pymoo needs finite values)


@dataclass(frozen=True)
class Climate:
    """One month's workshop air: of the normal period, or of one year."""

    month: int
    year: int | None       # None: the normal of the period
    air: Any               # MonthClimate

    @property
    def label(self) -> str:
        return f"{self.month:02d}" + ("" if self.year is None else f"/{self.year}")


def climates(space: Space) -> list[Climate]:
    """The climates every candidate is dried in."""
    from lacquersim.model.climate import climate_records, month_climate

    out = []
    rec = climate_records(space.station)
    a, b = space.period
    for m in space.months:
        out.append(Climate(m, None, month_climate(space.station, m, period=space.period)))
        if space.years == "extremes":
            rows = rec[(rec.month == m) & rec.year.between(a, b) & rec.rh_percent.notna()
                       & rec.t_mean_c.notna()]
            for year in sorted({int(rows.loc[rows.t_mean_c.idxmin(), "year"]),
                                int(rows.loc[rows.t_mean_c.idxmax(), "year"])}):
                out.append(Climate(m, year, month_climate(space.station, m, year=year)))
    return out


def schedule(practice: Mapping, climate: Climate, hours: float):
    """The drying schedule of ``practice`` in ``climate`` (a Schedule)."""
    from lacquersim.model.schedule import Schedule, Step

    kind = practice["kind"]
    air = climate.air
    if kind == "heated_cabinet":
        main = Schedule.constant(practice["temperature_c"], practice["rh_percent"], hours,
                                 air_speed_m_s=CABINET_AIR)
    else:
        n = max(1, int(math.ceil(hours / STEP_HOURS - 1e-9)))
        steps = []
        for k in range(n):
            t0, t1 = k * STEP_HOURS, min((k + 1) * STEP_HOURS, hours)
            (ta, ra), (tb, rb) = air.at(START_HOUR + t0), air.at(START_HOUR + t1)
            if kind == "humid_cabinet":
                ra, rb = max(ra, practice["rh_percent"]), max(rb, practice["rh_percent"])
                speed = CABINET_AIR
            else:
                speed = 0.5  # the outdoor preset's light breeze
            steps.append(Step(ta, ra, t1 - t0, end_temperature_c=tb, end_rh_percent=rb,
                              air_speed_m_s=speed))
        main = Schedule(tuple(steps))
    if practice.get("bake") == "yes":
        bake = Schedule.oven(temperature_c=practice["bake_temperature_c"],
                             hours=practice["bake_minutes"] / 60.0, cool_hours=0.0)
        return bake.then(main)
    return main


def _relevant(practice: Mapping) -> tuple:
    """The fields that shape the schedule of ``practice`` (a workshop's
    schedule does not depend on a cabinet's set points)."""
    kind = practice["kind"]
    key = [kind]
    if kind != "workshop":
        key.append(practice["rh_percent"])
    if kind == "heated_cabinet":
        key.append(practice["temperature_c"])
    if practice.get("bake") == "yes":
        key += [practice["bake_temperature_c"], practice["bake_minutes"]]
    return tuple(key)


def _cannot_cool_h(practice: Mapping, ambient, hours: float) -> float:
    """Hours of a day (from the coat's hour) a heated cabinet's set point is
    below the workshop air; ``ambient`` holds that air hour by hour (the
    cost model's :class:`~lacquersim.optimise.cost.Ambient` of the climate)."""
    if practice["kind"] != "heated_cabinet":
        return 0.0
    n = int(math.ceil(min(hours, 24.0)))
    return float(np.count_nonzero(ambient.t_c[:n] > practice["temperature_c"] + 1e-9))


class Scorer:
    """Scores candidates of one space (see the module documentation)."""

    def __init__(self, space: Space):
        from lacquersim.optimise.cost import Ambient

        self.space = space
        self.climates = climates(space)
        self.ambients = [Ambient.from_month(c.air, start_hour=START_HOUR) for c in self.climates]
        self.laccol_varies = any(v.name in ("additives.oil_percent", "additives.thinner_percent")
                                 for v in space.variables)
        self.objectives = OBJECTIVES if self.laccol_varies else OBJECTIVES[:2]
        self._schedules: dict = {}
        self.competitor = self._competitor()

    # -- the competitor ------------------------------------------------------------
    def _competitor(self) -> pd.DataFrame:
        """Tack-free and dry-hard hours of the competitor in each climate."""
        comp = self.space.competitor
        n = len(self.climates)
        if isinstance(comp, Mapping):
            return pd.DataFrame({"tack_free_h": [comp["tack_free_h"]] * n,
                                 "dry_hard_h": [comp["dry_hard_h"]] * n,
                                 "cost_vnd_m2": [np.nan] * n})
        from lacquersim.sim.batch import run_prepared
        from lacquersim.sim.prepared import prepare

        practice = {"kind": "workshop", "bake": "no"}
        film = prepare(comp, None, self.space.n_cells, self.space.parameters, viscosity=False)
        films = [film.with_schedule(schedule(practice, c, self.space.hours)) for c in self.climates]
        res = run_prepared(films, [comp] * n, 1e-6)
        bad = res[res.tack_free.isna() | res.dry_hard.isna()]
        if len(bad):
            c = self.climates[bad.index[0]]
            raise RecipeError(_("the competitor does not dry hard within {h} h in month {month}; "
                                "give more hours or a data sheet").format(
                                    h=f"{self.space.hours:g}", month=c.label),
                              field="competitor")
        cost = [self._cost(practice, self._coat(comp), k, float(res.dry_hard[k]))["total"]
                for k in range(n)]
        return pd.DataFrame({"tack_free_h": res.tack_free.to_numpy(),
                             "dry_hard_h": res.dry_hard.to_numpy(), "cost_vnd_m2": cost})

    # -- candidates ------------------------------------------------------------------
    def recipe(self, x: Mapping):
        """The recipe of candidate ``x`` (RecipeError if the schema refuses it)."""
        fields = self.space.recipe_fields(x)
        return self.space.base.with_values(fields) if fields else self.space.base

    def laccol_percent(self, recipe) -> float:
        a = recipe.additives
        if a is None:
            return 100.0
        return 100.0 - float(a.oil_percent or 0.0) - float(a.thinner_percent or 0.0)

    def _coat(self, recipe) -> dict:
        from lacquersim.model.parameters import as_set

        a = recipe.additives
        mat = as_set(self.space.parameters).table.materials[recipe.material]
        coat = {"material": "laccol" if mat.catechol == "laccol" else recipe.material,
                "thickness_um": recipe.film.thickness_um}
        if a is not None:
            if a.oil_percent:
                coat["oil_fraction"] = a.oil_percent / 100.0
                coat["oil"] = a.oil
            if a.thinner_percent:
                coat["thinner_fraction"] = a.thinner_percent / 100.0
            if a.drier_percent:
                coat["drier_percent"] = a.drier_percent
            if a.metal_ppm:
                coat["metal_ppm"] = a.metal_ppm
        return coat

    def _cost(self, practice: Mapping, coat: Mapping, k: int, dry_hard_h: float) -> dict:
        from lacquersim.optimise.cost import practice_cost

        hours = dry_hard_h if np.isfinite(dry_hard_h) else self.space.hours
        p = {"kind": practice["kind"], "hours": max(hours, 1e-3)}
        if practice["kind"] != "workshop":
            p["rh_percent"] = practice["rh_percent"]
        if practice["kind"] == "heated_cabinet":
            p["temperature_c"] = practice["temperature_c"]
        if practice.get("bake") == "yes":
            p["bake"] = {"temperature_c": practice["bake_temperature_c"],
                         "minutes": practice["bake_minutes"]}
        s = self.space
        return practice_cost(p, self.ambients[k], coat, s.prices, s.cabinet, oven=s.oven)

    def _schedule(self, practice: Mapping, k: int):
        """The schedule of ``practice`` in climate ``k``, built once: every
        workshop candidate shares one per climate."""
        key = (k, _relevant(practice))
        got = self._schedules.get(key)
        if got is None:
            if len(self._schedules) > 20_000:
                self._schedules.clear()
            got = self._schedules[key] = schedule(practice, self.climates[k], self.space.hours)
        return got

    def films(self, xs: Sequence[Mapping]) -> tuple[list, list]:
        """(films or RecipeErrors, candidate index) for every climate of every candidate."""
        from lacquersim.sim.prepared import prepare

        s = self.space
        films, owner = [], []
        self._recipes = {}
        for i, x in enumerate(xs):
            practice = s.practice(x)
            try:
                rec = self._recipes[i] = self.recipe(x)
                base = prepare(rec, None, s.n_cells, s.parameters, viscosity=False)  # refined once
                made = [base.with_schedule(self._schedule(practice, k)) for k in range(len(self.climates))]
            except RecipeError as exc:
                made = [exc] * len(self.climates)
            films += made
            owner += [i] * len(self.climates)
        return films, owner

    def details(self, xs: Sequence[Mapping], runs: pd.DataFrame | None = None) -> pd.DataFrame:
        """One row per candidate and climate: stages, wrinkle, hardness, cost, ratio."""
        from lacquersim.sim.batch import run_prepared

        s = self.space
        if runs is None:
            films, _recipes = self.films(xs)
            runs = run_prepared(films, [s.base] * len(films), 1e-6, details=True)
            recipes = self._recipes  # the recipes films() built, not built again
        else:
            recipes = {}
        n, nc = len(xs), len(self.climates)
        comp = self.competitor
        # column by column: a pandas lookup per row would cost as much as a simulation
        tf = runs.tack_free.to_numpy(float)
        dh = runs.dry_hard.to_numpy(float)
        status = runs.status.to_numpy()
        ok = status == "ok"
        laccol = np.full(n * nc, np.nan)
        cost = np.full(n * nc, np.nan)
        kwh = np.full(n * nc, np.nan)
        cool = np.zeros(n * nc)
        for i, x in enumerate(xs):
            practice = s.practice(x)
            rows = slice(i * nc, (i + 1) * nc)
            try:
                rec = recipes[i] if i in recipes else self.recipe(x)
            except RecipeError:
                ok[rows] = False
                continue
            coat = self._coat(rec)
            laccol[rows] = self.laccol_percent(rec)
            for k in range(nc):
                j = i * nc + k
                cool[j] = _cannot_cool_h(practice, self.ambients[k], s.hours)
                if ok[j]:
                    got = self._cost(practice, coat, k, dh[j])
                    cost[j], kwh[j] = got["total"], got["kwh"]
        ctf = np.tile(comp.tack_free_h.to_numpy(float), n)
        cdh = np.tile(comp.dry_hard_h.to_numpy(float), n)
        # a stage not reached counts as the whole drying time (censored)
        ratio = np.maximum(np.where(np.isfinite(tf), tf, s.hours) / ctf,
                           np.where(np.isfinite(dh), dh, s.hours) / cdh)
        ratio[~ok] = np.nan
        return pd.DataFrame({
            "candidate": np.repeat(np.arange(n), nc),
            "month": np.tile([c.month for c in self.climates], n),
            "year": np.tile(np.array([c.year for c in self.climates], dtype=object), n),
            "climate": np.tile([c.label for c in self.climates], n),
            "set_to_touch_h": runs.set_to_touch.to_numpy(float), "tack_free_h": tf,
            "dry_hard_h": dh, "dry_through_h": runs.dry_through.to_numpy(float),
            "wrinkle_index": runs.wrinkle_index.to_numpy(float),
            "final_tg_minus_t_c": runs.final_tg_minus_t_c.to_numpy(float),
            "status": status, "reason": runs.reason.to_numpy(),
            "time_ratio": ratio, "cost_vnd_m2": cost, "kwh_m2": kwh, "cannot_cool_h": cool,
            "laccol_percent": laccol, "competitor_tack_free_h": ctf, "competitor_dry_hard_h": cdh,
        })

    def score(self, details: pd.DataFrame, n: int) -> tuple[np.ndarray, np.ndarray]:
        """Objectives F (n, n_obj) and constraints G (n, len(CONSTRAINTS)) of n candidates."""
        s = self.space
        nc = len(self.climates)

        def grid(col):
            return details[col].to_numpy(float).reshape(n, nc)

        ok = (details.status.to_numpy() == "ok").reshape(n, nc).all(axis=1)
        laccol = grid("laccol_percent")[:, 0]
        ok &= np.isfinite(laccol)
        ratio = grid("time_ratio")
        with np.errstate(invalid="ignore"):
            score = (np.max(ratio, axis=1) if s.score is None
                     else np.quantile(ratio, s.score, axis=1))
            F = np.column_stack([score, grid("cost_vnd_m2").mean(axis=1), -laccol]
                                [:len(self.objectives)])
            not_dry = (np.isnan(grid("tack_free_h")) | np.isnan(grid("dry_hard_h"))).sum(axis=1)
            wr = np.nan_to_num(grid("wrinkle_index"), nan=0.0).max(axis=1) - s.constraints["wrinkle_max"]
            hard = s.constraints["hardness_min_k"] - grid("final_tg_minus_t_c").min(axis=1)
            floor = s.constraints["laccol_min_percent"] - laccol
            G = np.column_stack([not_dry, wr, hard, floor, grid("cannot_cool_h").sum(axis=1),
                                 np.zeros(n)])
        F[~ok] = BIG  # the schema refused the recipe, or a run failed
        G[~ok] = [0, 0, 0, 0, 0, 1.0]
        return F, G

    def evaluate(self, xs: Sequence[Mapping]) -> tuple[np.ndarray, np.ndarray, pd.DataFrame]:
        """F, G and the per-climate details of candidates ``xs``."""
        d = self.details(xs)
        F, G = self.score(d, len(xs))
        return F, G, d


def runnable_recipe(space: Space, x: Mapping, climate: Climate, *, name: str | None = None):
    """Candidate ``x`` as a recipe dried as it was scored in ``climate``:
    ``lacquersim run`` on it gives the stage times of the search."""
    import calendar

    practice = space.practice(x)
    rec = space.base.with_values(space.recipe_fields(x)) if space.recipe_fields(x) else space.base
    if practice["kind"] == "workshop" and practice.get("bake") != "yes":
        drying = {"preset": "outdoor", "station": space.station, "month": climate.month,
                  "days": space.hours / 24.0, "start_hour": START_HOUR, "step_hours": STEP_HOURS}
        if climate.year is None:
            drying.update(period_from=space.period[0], period_to=space.period[1])
        else:
            drying["year"] = climate.year
    else:
        drying = {"steps": [s.to_dict() for s in schedule(practice, climate, space.hours).written]}
    month = calendar.month_name[climate.month] + ("" if climate.year is None else f" {climate.year}")
    what = {"workshop": "in the workshop's air",
            "humid_cabinet": f"in a humid cabinet at {practice['rh_percent']:.0f} % RH",
            "heated_cabinet": f"in a heated cabinet at {practice['temperature_c']:.1f} °C and "
                              f"{practice['rh_percent']:.0f} % RH"}[practice["kind"]]
    if practice.get("bake") == "yes":
        what = (f"baked {practice['bake_minutes']:.0f} min at {practice['bake_temperature_c']:.0f} °C, "
                f"then {what}")
    return rec.with_values({
        "name": name or f"{space.base.name}, optimised",
        # the base's Vietnamese title names the base, not this candidate
        "name_vi": None,
        "description": f"Found by lacquersim optimise: dried {what}, {month} at "
                       f"{space.station} ({space.hours:g} h).",
        "drying": drying})
