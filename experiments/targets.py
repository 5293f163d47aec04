"""Every target the model is held to: published points, craft ranges, and checks.

Used by calibration.py (the joint fit), validate.py (docs/validation.md) and
the tests. A target names its source, what it asserts, and how to compute
the model's value from simulations:

- ``point``: a measured value (hours); the fit minimises log(predicted/measured);
- ``range``: craft or secondary figures, ``low``–``high`` (hours; a missing
  stage counts as never, +inf); penalised only outside;
- ``check``: a qualitative fact, as a margin that is ≥ 0 when it holds.

The simulations of all targets run as one batch (:func:`evaluate`), and the
few that need a drying curve (baking) as single runs.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable

import numpy as np
import pandas as pd

import lacquersim as ls
from lacquersim.model.materials import get_material
from lacquersim.model import refining

import refining_fit as RF

DATA = Path(__file__).resolve().parent / "data"
Q1 = pd.read_csv(DATA / "q1_kneading.csv", comment="#").set_index("row")
IJPS = "IJPS 2015, 719328, Tables 5 and 7"
CRAFT = "craft practice (uncertain)"
QUAL = "qualitative craft fact (Japan Forestry Agency; lacquer suppliers; uncertain)"
Q1_RAW = {"water_percent": 33.6, "monomer_percent": 86.8}
N_CELLS = 30
INF = math.inf


@dataclass(frozen=True)
class Case:
    """One simulation: a recipe (dict) and, optionally, the drying to use."""

    key: str
    recipe: dict
    history: bool = False  # needs the drying curves (a single run), not only stage times


@dataclass
class Target:
    id: str
    group: str
    source: str
    text: str
    kind: str  # "point" | "range" | "check"
    unit: str = "h"
    measured: float | None = None
    low: float = -INF
    high: float = INF
    cases: list = field(default_factory=list)
    value: Callable[[dict, Any], float] | None = None  # (results by key, parameter set) -> value
    sigma: float | None = None  # weight in the joint fit: residual scale (None: by kind)

    def holds(self, v: float) -> bool:
        if self.kind == "check":
            return bool(v >= 0.0)
        if self.kind == "range":
            v = INF if not np.isfinite(v) else v
            return bool(self.low <= v <= self.high)
        return bool(np.isfinite(v))

    def residual(self, v: float, margin: float = 0.0) -> float:
        """Log-distance from the measured value or outside the range (0 inside), a
        margin below 0 for a check; a missing value costs log(10). ``margin`` (log
        units) narrows ranges and raises checks' zero: the fit aims inside, not at, a bound."""
        if self.kind == "check":
            return min(v - margin, 0.0) if np.isfinite(v) else -1.0
        if self.kind == "point":
            return math.log(v / self.measured) if np.isfinite(v) and v > 0 else math.log(10.0)
        v = INF if not np.isfinite(v) else v
        low = self.low * math.exp(margin) if self.low > 0 else self.low
        high = self.high * math.exp(-margin)
        if v < low:
            return math.log(max(v, 1e-3) / low)
        if v > high:
            return math.log(10.0) if v == INF else math.log(v / high)
        return 0.0


def recipe(material="vietnam", thickness=76.0, T=25.0, rh=80.0, hours=72.0, state=None,
           refining=None, drying=None, name=None, additives=None) -> dict:
    d = {"name": name or f"{material} {thickness} {T} {rh}", "material": material,
         "film": {"thickness_um": thickness},
         "drying": drying or {"temperature_c": T, "rh_percent": rh, "hours": hours}}
    if state:
        d["state"] = state
    if refining:
        d["refining"] = refining
    if additives:
        d["additives"] = additives
    return d


def stage(key, name):
    return lambda r, p: float(r[key].stages[name]) if key in r else math.nan


KUROME_JP = [{"step": "nayashi", "minutes": 60, "rpm": 30, "temperature_c": 25},
             {"step": "kurome", "minutes": 120, "rpm": 60, "temperature_c": 40}]


def china_cycles(n):
    return [{"step": "kurome", "minutes": 60, "rpm": 60, "temperature_c": 40, "repeat": n,
             "add_water_percent": 10}]


def _half_life_h(p, material, temperature_c):
    """Laccase half-life in wet sap (h) at a temperature, from the model's inactivation law."""
    k = refining.inactivation_rate(get_material(material, p), temperature_c)
    return math.log(2.0) / k if k > 0 else INF


def _bake_hours(key):
    """Hours at the bake temperature until the film is dry-hard once cooled: the mean
    conversion reaches the gel point (the cooling step vitrifies it), interpolated
    between the recorded points of the run."""
    def value(r, p):
        res = r[key]
        h = res.history
        gel = res.film.alpha_gel
        bake = h[h.temperature_c > 60.0]
        t, a = bake.time_h.to_numpy(), bake.conversion_mean.to_numpy()
        i = np.flatnonzero(a >= gel)
        if not len(i):
            return math.nan
        i = i[0]
        if i == 0:
            return float(t[0])
        return float(t[i - 1] + (gel - a[i - 1]) * (t[i] - t[i - 1]) / (a[i] - a[i - 1]))
    return value


def _ratio(a, b):
    def value(r, p):
        return float(r[a].stages["dry_hard"] / r[b].stages["dry_hard"])
    return value


def targets() -> list[Target]:
    out: list[Target] = []
    # -- the kneading series (points)
    for row, m in Q1.iterrows():
        key = f"q1 {row}"
        case = Case(key, recipe(state={"water_percent": float(m.water_percent),
                                       "monomer_percent": float(m.monomer_percent)}, name=key))
        for col, st in (("DF", "set_to_touch"), ("TF", "tack_free"), ("HD", "dry_hard")):
            out.append(Target(f"kneading {row} {col}", "kneading series", IJPS,
                              f"{m.refining}: {st.replace('_', ' ')} at 25 °C / 80 % RH, 76 µm",
                              "point", measured=float(m[col]), cases=[case], value=stage(key, st)))
    # -- laccase in wet sap (the model's inactivation law)
    for T, lo, hi, why in ((25.0, 720.0, INF, "stored sap keeps drying for months"),
                           (45.0, 3.0, INF, "kurome at 40–45 °C leaves it active"),
                           (57.5, 0.0, 1.0, "warm beyond 55 °C kills it"),
                           (80.0, 0.0, 10 / 60, "sap heated to 80 °C no longer dries")):
        out.append(Target(f"laccase half-life {T:g} °C", "laccase", CRAFT,
                          f"laccase half-life in wet sap at {T:g} °C: {why}", "range",
                          low=lo, high=hi,
                          value=lambda r, p, T=T: min(_half_life_h(p, "vietnam", T), 1e9)))
    # -- warm and humid dries
    for mat in ("vietnam", "japan"):
        for T in (30.0, 32.0, 35.0):
            for rh in (80.0, 85.0):
                key = f"warm {mat} {T:g} {rh:g}"
                case = Case(key, recipe(mat, T=T, rh=rh, hours=60, name=key))
                out.append(Target(f"warm {mat} {T:g} °C {rh:g} % tack free", "warm and humid", CRAFT,
                                  f"raw {mat} sap at {T:g} °C / {rh:g} % RH: tack free within 24 h",
                                  "range", low=0.0, high=24.0, cases=[case], value=stage(key, "tack_free")))
                out.append(Target(f"warm {mat} {T:g} °C {rh:g} % dry hard", "warm and humid", CRAFT,
                                  f"raw {mat} sap at {T:g} °C / {rh:g} % RH: dry hard within 48 h",
                                  "range", low=0.0, high=48.0, cases=[case], value=stage(key, "dry_hard")))
    key = "july workshop"
    case = Case(key, recipe("vietnam", drying={"preset": "outdoor", "station": "viet-tri", "month": 7,
                                               "days": 4}, name=key))
    out.append(Target("Phu Tho July workshop dry hard", "warm and humid", CRAFT,
                      "raw Vietnamese sap in a Viet Tri workshop's July air (1991–2015): dry hard within 3 days",
                      "range", low=0.0, high=72.0, cases=[case], value=stage(key, "dry_hard")))
    # -- cold is slow
    key = "cold 15"
    case = Case(key, recipe(T=15.0, rh=85.0, hours=200, name=key))
    out.append(Target("cold 15 °C tack free", "cold", CRAFT,
                      "raw Vietnamese sap at 15 °C / 85 % RH: tack free after 24 h or more",
                      "range", low=24.0, high=INF, cases=[case], value=stage(key, "tack_free")))
    out.append(Target("cold 15 °C dry hard", "cold", CRAFT,
                      "raw Vietnamese sap at 15 °C / 85 % RH: dry hard in 2–7 days",
                      "range", low=48.0, high=168.0, cases=[case], value=stage(key, "dry_hard")))
    # -- hot beyond 40 °C fails
    for T in (55.0, 60.0):
        key = f"hot {T:g}"
        case = Case(key, recipe(T=T, rh=80.0, hours=24, name=key))
        out.append(Target(f"hot {T:g} °C", "hot", CRAFT,
                          f"raw Vietnamese sap at {T:g} °C / 80 % RH: not tack free within 24 h",
                          "range", low=24.0, high=INF, cases=[case], value=stage(key, "tack_free")))
    key = "heated 80"
    case = Case(key, recipe(refining=[{"step": "kurome", "minutes": 30, "rpm": 60, "temperature_c": 80,
                                       "open_vessel": False}], name=key))
    out.append(Target("sap heated to 80 °C", "hot", CRAFT,
                      "sap heated to 80 °C for 30 min does not dry at 25 °C / 80 % RH (yaki-urushi)",
                      "range", low=72.0, high=INF, cases=[case], value=stage(key, "tack_free")))
    # -- baking (Japanese urushi, 40 µm, judged once cooled)
    for T, lo, hi in ((100.0, 1.0, 6.0), (110.0, 0.5, 1.5), (145.0, 0.25, 1.0), (180.0, 5 / 60, 20 / 60)):
        key = f"bake {T:g}"
        case = Case(key, recipe("japan", thickness=40.0, name=key,
                                drying={"steps": [{"temperature_c": T, "rh_percent": 10, "hours": 8.0},
                                                  {"temperature_c": 25, "rh_percent": 50, "hours": 1.0}]}),
                    history=True)
        out.append(Target(f"bake {T:g} °C", "baking", CRAFT,
                          f"Japanese urushi, 40 µm, baked at {T:g} °C: dry hard once cooled after "
                          f"{_hours_text(lo)}–{_hours_text(hi)}", "range", low=lo, high=hi,
                          cases=[case], value=_bake_hours(key)))
    # -- cashew
    temps = (15.0, 20.0, 25.0, 30.0, 35.0)
    for rh in (60.0, 80.0):
        keys = []
        for T in temps:
            key = f"cashew {T:g} {rh:g}"
            keys.append((T, key, Case(key, recipe("cashew", thickness=50.0, T=T, rh=rh, hours=150, name=key))))
        for st in ("set_to_touch", "tack_free", "dry_hard"):
            for (T1, k1, c1), (T2, k2, c2) in zip(keys, keys[1:]):
                out.append(Target(f"cashew {st} {T1:g}→{T2:g} °C {rh:g} %", "cashew", CRAFT,
                                  f"cashew lacquer, 50 µm, {rh:g} % RH: {st.replace('_', ' ')} faster at "
                                  f"{T2:g} than at {T1:g} °C", "check", unit="",
                                  cases=[c1, c2],
                                  value=lambda r, p, k1=k1, k2=k2, st=st: _faster(r, k1, k2, st)))
    for T in (20.0, 25.0, 30.0):
        key = f"cashew {T:g} 70"
        case = Case(key, recipe("cashew", thickness=50.0, T=T, rh=70.0, hours=150, name=key))
        out.append(Target(f"cashew 50 µm {T:g} °C dry hard", "cashew", CRAFT,
                          f"cashew lacquer, 50 µm, {T:g} °C / 70 % RH: dry hard within 1–3 days",
                          "range", low=24.0, high=72.0, cases=[case], value=stage(key, "dry_hard")))
    for T in (25.0, 30.0):
        key = f"cashew {T:g} 70"
        out.append(Target(f"cashew 50 µm {T:g} °C touch dry", "cashew", "Q5: cashew lacquer data sheets "
                          "(uncertain)", f"cashew lacquer, 50 µm, {T:g} °C / 70 % RH: touch dry (tack free) "
                          "in a few hours (1–8 h)", "range", low=1.0, high=8.0,
                          cases=[Case(key, recipe("cashew", thickness=50.0, T=T, rh=70.0, hours=150, name=key))],
                          value=stage(key, "tack_free")))
    thin, thick = "cashew 25 70", "cashew 100 µm"
    out.append(Target("cashew 100 vs 50 µm", "cashew", CRAFT,
                      "cashew lacquer at 25 °C / 70 % RH: a 100 µm coat dries hard 1.5–3 times slower "
                      "than a 50 µm coat", "range", unit="×", low=1.5, high=3.0,
                      cases=[Case(thin, recipe("cashew", thickness=50.0, T=25.0, rh=70.0, hours=150, name=thin)),
                             Case(thick, recipe("cashew", thickness=100.0, T=25.0, rh=70.0, hours=300,
                                                name=thick))],
                      value=_ratio(thick, thin)))
    # -- qualitative targets (the model's craft facts)
    for mat in ("vietnam", "japan"):
        keys = [(T, f"optimum {mat} {T:g}") for T in (15.0, 20.0, 25.0, 30.0, 35.0, 40.0)]
        out.append(Target(f"{mat} fastest at 20–30 °C", "qualitative", QUAL,
                          f"raw {mat} sap at 80 % RH is tack free soonest between 20 and 30 °C "
                          "(of 15, 20, …, 40 °C)", "check", unit="",
                          cases=[Case(k, recipe(mat, T=T, hours=120, name=k)) for T, k in keys],
                          value=lambda r, p, keys=keys: _optimum_margin(r, keys, 20.0, 30.0)))
    rh_keys = [(rh, f"cabinet {rh:g}") for rh in (65.0, 70.0, 80.0, 90.0)]
    out.append(Target("cabinet 65–90 % RH works, 80 % near best", "qualitative", QUAL,
                      "raw Vietnamese sap at 25 °C is tack free at 65, 70, 80 and 90 % RH, soonest at 80 % "
                      "of 65, 80 and 90 %", "check", unit="",
                      cases=[Case(k, recipe(rh=rh, name=k)) for rh, k in rh_keys],
                      value=lambda r, p: _cabinet_margin(r, rh_keys)))
    key = "dry air 40"
    out.append(Target("dry air 40 % RH", "qualitative", QUAL,
                      "raw Vietnamese sap at 25 °C / 40 % RH: not tack free within 24 h", "range",
                      low=24.0, high=INF, cases=[Case(key, recipe(rh=40.0, hours=30, name=key))],
                      value=stage(key, "tack_free")))
    for label, st in (("raw", None), ("refined", {"water_percent": 5.2, "monomer_percent": 50.2})):
        key = f"cold 2 {label}"
        out.append(Target(f"2 °C {label}", "qualitative", QUAL,
                          f"{label} Vietnamese sap at 2 °C / 80 % RH: not tack free within 72 h", "range",
                          low=72.0, high=INF, cases=[Case(key, recipe(T=2.0, hours=80, state=st, name=key))],
                          value=stage(key, "tack_free")))
    key = "hot 55 refined"
    out.append(Target("hot 55 °C refined", "qualitative", QUAL,
                      "refined Vietnamese sap (5.2 % water) at 55 °C / 80 % RH: not tack free within 24 h",
                      "range", low=24.0, high=INF,
                      cases=[Case(key, recipe(T=55.0, hours=24, name=key,
                                              state={"water_percent": 5.2, "monomer_percent": 50.2}))],
                      value=stage(key, "tack_free")))
    for other in ("japan", "china"):
        for st in ("tack_free", "dry_hard"):
            a, b = "q1 raw", f"cabinet {other}"
            out.append(Target(f"{other} faster than vietnam {st.replace('_', ' ')}", "qualitative", QUAL,
                              f"raw {other} sap is {st.replace('_', ' ')} before raw Vietnamese sap "
                              "at 25 °C / 80 % RH", "check", unit="",
                              cases=[Case(a, recipe(state=Q1_RAW, name=a)), Case(b, recipe(other, name=b))],
                              value=lambda r, p, a=a, b=b, st=st: _faster(r, a, b, st)))
    a, b = "vietnam 50 µm 60", "cashew 50 µm 60"
    out.append(Target("cashew faster than raw laccol at 60 % RH", "qualitative", QUAL,
                      "outside a humid cabinet (25 °C / 60 % RH, 50 µm) cashew lacquer is tack free "
                      "before raw Vietnamese sap", "check", unit="",
                      cases=[Case(a, recipe(thickness=50.0, rh=60.0, name=a)),
                             Case(b, recipe("cashew", thickness=50.0, rh=60.0, name=b))],
                      value=lambda r, p, a=a, b=b: _faster(r, a, b, "tack_free")))
    # -- the refining target of Q1 (state after kneading, no film)
    for raw in (RF.RAW_T5, RF.RAW_T7):
        for rpm, minutes, w, m, _ in RF.TABLE5:
            if rpm != 60 or minutes not in (30, 45, 60):
                continue
            for what, meas, tol in (("water", w, RF.TOL_WATER), ("monomer", m, RF.TOL_MONOMER)):
                out.append(Target(f"kneading {minutes} min from {raw[0]:g} % water: {what}", "refining",
                                  "IJPS 2015, 719328, Table 5", f"kneading 60 rpm, {minutes} min (open kurome "
                                  f"at 40 °C) from raw sap of {raw[0]:g} % water: {what} {meas:g} ± {tol:g} %",
                                  "range", unit="%", low=meas - tol, high=meas + tol,
                                  value=lambda r, p, rpm=rpm, mi=minutes, raw=raw, what=what:
                                  _refined(r, p, rpm, mi, raw)[f"{what}_percent"]))
    # -- origins
    key, vn = "myanmar raw", "q1 raw"
    out.append(Target("Myanmar raw dry hard", "origins", CRAFT,
                      "raw Myanmar thitsi in a muro (25 °C / 80 % RH): dry hard in 2–5 days",
                      "range", low=48.0, high=120.0,
                      cases=[Case(key, recipe("myanmar", hours=200, name=key))], value=stage(key, "dry_hard")))
    out.append(Target("Myanmar slower than Vietnam", "origins", CRAFT,
                      "raw Myanmar thitsi dries hard more slowly than raw Vietnamese laccol", "check", unit="",
                      cases=[Case(key, recipe("myanmar", hours=200, name=key)),
                             Case(vn, recipe(state=Q1_RAW, name=vn))],
                      value=lambda r, p, key=key, vn=vn: _faster(r, key, vn, "dry_hard")))
    key = "japan kurome"
    out.append(Target("refined Japanese tack free", "origins", CRAFT,
                      "refined (kurome) Japanese urushi at 25 °C / 77.5 % RH: tack free in 3–24 h",
                      "range", low=3.0, high=24.0,
                      cases=[Case(key, recipe("japan", rh=77.5, refining=KUROME_JP, name=key))],
                      value=stage(key, "tack_free")))
    for n, h in ((1, 74.0), (2, 9.2), (4, 3.6)):
        key = f"china KL{n}"
        out.append(Target(f"Chinese KL{n} curing", "Chinese repeated kurome",
                          "Hou et al., Polymers 2025, 17(11), 1481 (cycle protocol and drying conditions "
                          "assumed: +10 % water and 60 min kurome at 40 °C per cycle; 25 °C / 80 % RH)",
                          f"Chinese lacquer after {n} cycle(s): cured (dry hard) in {h:g} h, within ×2",
                          "range", low=h / 2, high=h * 2, sigma=0.5,
                          cases=[Case(key, recipe("china", refining=china_cycles(n), hours=200, name=key))],
                          value=stage(key, "dry_hard")))
    return out


#: Targets the model does not meet, with the reason; docs/validation.md prints them and
#: tests/test_targets.py expects them to fail (strictly: one that starts to hold must leave this list).
KNOWN_FAILURES = {
    "Chinese KL1 curing": (
        "one cycle (+10 % water, 60 min of kurome at 40 °C, as assumed) leaves a state close to "
        "Vietnamese sap kneaded 60 min (≈ 11 % water, ≈ 45 % monomer), which the kneading series "
        "shows dry hard in ≈ 5 h, as the model does; 74 h needs either the paper's own cycle and "
        "curing criterion (its methods were not available to us) or a slowing by mild refining "
        "that the model lacks (the kneading series' 15-min row, 31.5 h against 12.5 h raw, "
        "shows the same effect). Refining-side mechanisms tried (laccase lost at the stirred "
        "interface, quinone inhibition) slow the kneaded Q1 states as much as KL1; coarse added "
        "water that stirring breaks up meets KL1 only with 1 mm drops that leave 84 µm droplets "
        "in a 76 µm film: none is supported, none is in the model (docs/model.md §9)"),
}


def _faster(r, k_slow, k_fast, st):
    """log(t_slow/t_fast) of a stage: ≥ 0 when k_fast is the faster case."""
    a, b = float(r[k_slow].stages[st]), float(r[k_fast].stages[st])
    if not np.isfinite(b):
        return -1.0
    if not np.isfinite(a):
        return 1.0
    return math.log(a / b)


def _optimum_margin(r, keys, lo, hi):
    """log(best tack-free outside [lo, hi] °C / best inside): ≥ 0 when the optimum lies inside."""
    t = {T: float(r[k].stages["tack_free"]) for T, k in keys}
    inside = min((v for T, v in t.items() if lo <= T <= hi and np.isfinite(v)), default=INF)
    outside = min((v for T, v in t.items() if not lo <= T <= hi and np.isfinite(v)), default=INF)
    if not np.isfinite(inside):
        return -1.0
    return 1.0 if not np.isfinite(outside) else math.log(outside / inside)


def _cabinet_margin(r, keys):
    t = {rh: float(r[k].stages["tack_free"]) for rh, k in keys}
    if not all(np.isfinite(v) for v in t.values()):
        return -1.0
    return min(math.log(t[65.0] / t[80.0]), math.log(t[90.0] / t[80.0]))


def _refined(r, p, rpm, minutes, raw):
    """State after kneading (refining model only), kept with this evaluation's results."""
    key = ("refined", rpm, minutes, raw)
    if key not in r:
        r[key] = refining.process(get_material("vietnam", p), [RF.kurome(rpm, minutes)],
                                  water_percent=raw[0], monomer_percent=raw[1])
    return r[key]


def _hours_text(h):
    return f"{h * 60:.0f} min" if h < 1 else f"{h:g} h"


def evaluate(targets_: list[Target], parameters=None, n_cells: int = N_CELLS,
             margin: float = 0.0) -> pd.DataFrame:
    """Every target's predicted value, residual (with ``margin``, see Target.residual)
    and verdict under a parameter set."""
    from lacquersim.sim.batch import run_prepared

    pset = _as_set(parameters)
    cases = {}
    for t in targets_:
        for c in t.cases:
            cases.setdefault(c.key, c)
    batch = [c for c in cases.values() if not c.history]
    films = []
    for c in batch:
        try:
            films.append(ls.prepare(ls.Recipe.from_dict(c.recipe), None, n_cells, pset, viscosity=False))
        except ls.RecipeError as exc:
            films.append(exc)
    rows = run_prepared(films, [ls.Recipe.from_dict(c.recipe) for c in batch], rtol=1e-5)
    results: dict[str, Any] = {}
    for c, (_, row) in zip(batch, rows.iterrows()):
        results[c.key] = _Stages(row)
    for c in cases.values():
        if c.history:
            try:
                results[c.key] = ls.simulate(ls.Recipe.from_dict(c.recipe), n_cells=n_cells, rtol=1e-5,
                                             parameters=pset)
            except ls.SolverError:
                pass
    out = []
    for t in targets_:
        try:
            v = float(t.value(results, pset))
        except (KeyError, ZeroDivisionError):
            v = math.nan
        out.append({"id": t.id, "group": t.group, "kind": t.kind, "text": t.text, "source": t.source,
                    "unit": t.unit, "measured": t.measured, "low": t.low, "high": t.high,
                    "predicted": v, "residual": t.residual(v, margin), "holds": t.holds(v)})
    return pd.DataFrame(out)


def _as_set(parameters):
    from lacquersim.model.parameters import as_set

    return as_set(parameters)


class _Stages:
    """A batch row that looks like a Result for stage lookups."""

    def __init__(self, row):
        self.stages = pd.Series({k: row[k] for k in ls.STAGES})
        self.status = row["status"]
