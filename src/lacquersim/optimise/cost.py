"""What a drying practice costs, per square metre and coat, in Vietnamese đồng.

:func:`practice_cost` prices one coat dried by one practice in a month's
air: the electricity that heats and humidifies a cabinet or bakes in an
oven, the cabinet's and the oven's purchase price spread over the coats they
dry, and the lacquer, oil, thinner, drier and metal salt on the surface. The
prices are a :class:`Prices` (cited defaults, overridden by a study's space
file through :meth:`Prices.from_dict`); the cabinet and the oven are a
:class:`Cabinet` and an :class:`Oven`, each default with its reasoning
(:data:`CABINET_NOTES`, :data:`OVEN_NOTES`, :meth:`Prices.sources`).

Practices (``practice["kind"]``)
--------------------------------
``workshop``
    the coat dries in the workshop's air as it is: no energy, no cabinet.
``humid_cabinet``
    a closed cabinet (tủ ủ, the Japanese *muro*) at room temperature, its
    humidity held at ``rh_percent`` by a humidifier.
``heated_cabinet``
    the same cabinet held at ``temperature_c`` and ``rh_percent`` by a heater
    and a humidifier.

Each takes ``hours`` (time in the cabinet), and any may add
``bake: {temperature_c, minutes}``, a bake in an oven before or after.

The ambient air
---------------
``climate_hours`` is the workshop's air hour by hour from the hour the coat
goes in: temperature ``T_a,i`` (°C) and relative humidity ``RH_a,i`` (%), as
two arrays or an :class:`Ambient` (which precomputes the vapour pressures;
build it once per month, as :meth:`Ambient.from_month` does from
:func:`lacquersim.model.climate.month_climate`, when pricing many
candidates). An array shorter than the practice is repeated: 24 hours are a
daily cycle. Hour ``i`` counts with weight ``w_i`` = 1, the last ``hours −
⌊hours⌋`` when ``hours`` is not whole.

Cabinet energy (per batch; per m² it is divided by the loaded work area ``A``)
-----------------------------------------------------------------------------
With ``H = U·A_wall + ρ_air·c_p·V·ACH/3600`` (W/K: conduction through the
walls plus the air exchanged by leaks and ventilation),

* heating (``heated_cabinet`` only)::

      E_heat = Σ_i w_i · max(0, T_set − T_a,i) · H · 3600 s / η_heater

  The cabinet cannot cool: an hour whose air is warmer than the set point
  runs at the ambient temperature (``T_in,i = max(T_set, T_a,i)``), costs no
  heating, and is counted in ``cannot_cool_h`` with a warning — a set point
  below the ambient air is not what the cabinet delivers, and the optimiser
  must not take it for free cooling.

* humidifying: the air exchanged each hour, ``V·ACH`` m³ at the cabinet's
  temperature, enters with the ambient vapour pressure ``e_a = RH_a·p_sat(T_a)``
  and leaves with ``e_in = RH_set·p_sat(T_in)``; the same dry air carries
  ``M_w·e/(R·T)`` kg of water per m³ at the cabinet's temperature, so the
  humidifier adds::

      m_w,i = V·ACH·M_w·max(0, e_in,i − e_a,i) / (R·T_in,i)      (kg per hour)
      E_hum = Σ_i w_i · m_w,i · e_humidifier

  with ``p_sat`` of :func:`lacquersim.kernels.formulas.psat_water_c` and
  ``e_humidifier`` the humidifier's electricity per kg of water. The cabinet
  cannot dehumidify: an hour whose air holds more vapour than the set point
  runs at the ambient humidity, costs nothing, and is counted in
  ``cannot_dehumidify_h`` with a warning.

  An ultrasonic humidifier (the default) makes a mist that evaporates in the
  air and takes its latent heat from the air: in the heated cabinet, in hours
  when the heater runs, the heater makes it up,
  ``Σ_i w_i · m_w,i · h_fg / η_heater`` with ``h_fg`` = 2.442 MJ/kg, counted
  in ``energy_humidifying``. In the room-temperature cabinet the heat comes
  from the room through the walls: at the defaults the cabinet runs less than
  1 K below the room, which is not modelled. A steam humidifier brings its
  latent heat with it: set ``humidifier_kwh_per_kg`` ≈ 0.75 and
  ``humidifier_adiabatic: false``.

Baking (per batch of the oven's work area ``A_oven``)
-----------------------------------------------------
The oven is heated from the workshop's mean temperature ``T̄_a`` (the mean of
``climate_hours``) to ``T_bake`` each batch and held there ``minutes``::

    E_bake = [U·A_oven·ΔT·minutes·60 + (C_oven + A_oven·c_piece)·ΔT] / η_heater,
    ΔT = max(0, T_bake − T̄_a)

the oven's wall and exhaust loss while it holds the temperature, plus heating
its own liner and shelves and the work pieces (per m² of coated surface).
The loss during warm-up and the heat the pieces give back are left out.

Equipment (capital) cost
------------------------
A batch holds the cabinet for ``hours``; over its life the cabinet dries
``life_years · 8760 · utilisation / hours`` batches of ``A`` m², so::

    cabinet = cabinet_vnd · hours / (life_years · 8760 · utilisation · A)

and a practice that dries slowly pays for more cabinet time. The oven's
likewise, with ``minutes/60 + turnaround_hours`` per batch. No interest, no
resale value, no maintenance.

Material (per m², one coat)
---------------------------
The wet film weighs ``m = thickness · ρ_mix`` (kg/m²), with ``ρ_mix`` from
the components' densities by ideal mixing, ``1/ρ_mix = Σ f_j/ρ_j``, the
densities of the parameter table (:func:`lacquersim.parameters`): refined
laccol ``1/(w/1000 + (1−w)/ρ_solids)`` ≈ 1048 kg/m³ at ``w`` = 4 % water and
``ρ_solids`` = 1050; cashew lacquer as sold, resin and its 30 % thinner,
≈ 984 kg/m³; the oil's and the thinner's densities — close to the
1000 kg/m³ of a first guess, and different enough between a thinned cashew
coat and a laccol coat to keep. Then::

    material = m · (f_lac·P_lac + f_oil·P_oil + f_thin·P_thin)
               + m · b · drier_percent/100 / x_drier · P_drier
               + m · metal_ppm·1e-6 / x_salt · P_salt

with ``f`` the mass fractions of the applied mix; ``b`` the binder (the
non-volatile part of the lacquer, plus the oil) per kg of mix, since the
drier is dosed as % metal on binder; ``x_drier`` the metal content of the
drier solution (10 %) and ``x_salt`` that of the metal salt (25 %, copper
sulfate pentahydrate). Laccol is priced raw: a kg of refined lacquer takes
``1/yield`` kg of raw sap, with ``yield = (1 − w_raw)/(1 − w_refined)`` when
kurome only removes water — ``w_raw`` the material's raw-sap water (33.6 %
for Phu Tho sap in the parameter table), ``w_refined`` the refined lacquer's
(``refined_water_percent``, 4 % by default): ≈ 0.69 kg per kg. Cashew
lacquer is bought ready to use.

What it leaves out
------------------
Labour (application, sanding between coats, loading the cabinet: often the
largest cost of a coat); cooling and dehumidifying (the cabinet has neither:
the hours they would be needed are counted and warned about, not priced);
rejects (coats that wrinkle, stay tacky or collect dust and are sanded off);
material lost in the pot, on the brush and in filtering, and lost in the
refining vessel other than water; the film's own water, which humidifies the
cabinet a little; the cabinet's evaporative cooling at room temperature;
time-of-use electricity (one price per kWh), VAT, interest on the equipment,
maintenance, water, floor space and the workshop's own heating or lighting.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field, fields
from functools import lru_cache
from typing import Any, Mapping

import numpy as np

from lacquersim.errors import RecipeError
from lacquersim.i18n import _
from lacquersim.kernels.formulas import R_GAS, psat_water_c

__all__ = ["Prices", "Cabinet", "Oven", "Ambient", "practice_cost", "material_cost",
           "PRACTICE_KINDS", "PRICE_UNITS", "CABINET_NOTES", "OVEN_NOTES",
           "DRIER_METAL_FRACTION", "SALT_METAL_FRACTION", "REFINED_WATER_PERCENT"]

#: The practices :func:`practice_cost` prices.
PRACTICE_KINDS: tuple[str, ...] = ("workshop", "humid_cabinet", "heated_cabinet")

RHO_AIR = 1.2        # kg m⁻³, air at ≈ 20–25 °C
CP_AIR = 1005.0      # J kg⁻¹ K⁻¹
M_WATER = 0.018015   # kg mol⁻¹
H_FG = 2.442e6       # J kg⁻¹, latent heat of evaporation of water at 25 °C (steam tables)
RHO_WATER = 1000.0   # kg m⁻³
J_PER_KWH = 3.6e6
HOURS_PER_YEAR = 8760.0
#: Metal content of the drier solution (cobalt/manganese octoates are sold at 5–12 % metal).
DRIER_METAL_FRACTION = 0.10
#: Metal content of the metal salt (copper(II) sulfate pentahydrate: 63.55/249.69 = 0.25).
SALT_METAL_FRACTION = 0.25
#: Water of refined laccol after a full kurome, % (≈ 4 %: IJPS 2015, 719328, Table 7;
#: see lacquersim.model.refining).
REFINED_WATER_PERCENT = 4.0

_CATECHOL_PRICED_RAW = "laccol"  # the sap lacquer the prices cover: sơn ta


# ---------------------------------------------------------------------------
# Validation of numbers read from a mapping (a space file, a practice, a coat)
# ---------------------------------------------------------------------------
def _number(value: Any, where: str, *, lo: float = 0.0, hi: float = math.inf,
            lo_open: bool = False, unit: str = "") -> float:
    allowed = (f"{'>' if lo_open else '≥'} {lo:g}"
               + (_(" and ≤ {hi}").format(hi=f"{hi:g}") if hi < math.inf else "")
               + (f" ({unit})" if unit else ""))
    if isinstance(value, bool) or not isinstance(value, (int, float, np.integer, np.floating)):
        raise RecipeError(_("{value} is not a number; allowed: a number {allowed}").format(
            value=repr(value), allowed=allowed), field=where)
    v = float(value)
    if not math.isfinite(v) or v < lo or (lo_open and v == lo) or v > hi:
        raise RecipeError(_("{value} is not allowed; allowed: a number {allowed}").format(
            value=f"{v:g}", allowed=allowed), field=where)
    return v


def _mapping(d: Any, where: str) -> Mapping:
    if d is None:
        return {}
    if not isinstance(d, Mapping):
        raise RecipeError(_("expected a mapping of names to values, got {type}").format(
            type=type(d).__name__), field=where)
    return d


def _unknown(d: Mapping, allowed, where: str) -> None:
    for k in d:
        if k not in allowed:
            raise RecipeError(_("unknown key {key}; allowed: {keys}").format(
                key=repr(k), keys=", ".join(allowed)), field=f"{where}.{k}")


# ---------------------------------------------------------------------------
# Prices
# ---------------------------------------------------------------------------
_ELECTRICITY_SOURCE = (
    "EVN retail tariff for manufacturing (sản xuất), voltage below 6 kV, normal hours (giờ bình "
    "thường), excl. VAT: Bộ Công Thương, Quyết định 1279/QĐ-BCT of 9 May 2025 (in force 10 May "
    "2025), item 1.4 — off-peak 1,300 and peak 3,640 VND/kWh; published by EVN, "
    "https://www.evn.com.vn (Biểu giá bán lẻ điện). The figures are as transcribed by two "
    "independent public tariff calculators (the decision's text itself was not read here); the "
    "decision's average retail price is 2,204.0655 VND/kWh, +4.8 % on Quyết định 2699/QĐ-BCT "
    "of 11 Oct 2024 (2,103.11). A cabinet running day and night pays a mix of the three periods; "
    "a workshop on the business (kinh doanh) tariff pays 3,152 in normal hours.")
_LACCOL_SOURCE = (
    "Estimate from farm-gate prices of raw lacquer sap (nhựa cây sơn) in Tam Nông, Phú Thọ: "
    "'hơn 400.000 đồng/kg' in 2021, after 110,000–130,000 in 2016–2019 — Phong Hùng, 'Phú Thọ: "
    "Thứ cây trồng vạ vật suýt bị chặt bỏ, nay bất ngờ có giá...', Dân Việt, 10 Mar 2021, "
    "https://danviet.vn/phu-tho-thu-cay-an-tung-mat-suyt-bi-chat-bo-nay-bat-ngo-co-gia-nong-dan-"
    "cu-len-doi-cao-vo-ra-tien-20210307214116684.htm; 200,000–300,000 in 2013 — 'Cây sơn ta "
    "giúp xóa đói, giảm nghèo', Báo Tin tức, 29 Mar 2013, https://baotintuc.vn/tin-tuc/cay-son-"
    "ta-giup-xoa-doi-giam-ngheo-20130329081155577.htm. No 2024–2025 price found; the price "
    "swings by a factor 3–4 between years, and a workshop buying from traders pays more than "
    "the farm gate. Raw sap: the refining yield is applied on top.")
_SOURCES: dict[str, str] = {
    "electricity_vnd_per_kwh": _ELECTRICITY_SOURCE,
    "laccol_raw_vnd_per_kg": _LACCOL_SOURCE,
    "cashew_vnd_per_kg": (
        "ASSUMPTION, no source found for a Vietnamese price of cashew lacquer (sơn điều), as sold "
        "with its thinner; plausible range 80,000–600,000 (local sơn điều to imported Cashew-brand "
        "lacquer). Bounds: paintings in industrial lacquer, sơn điều or PU–PE are said to cost "
        "'rẻ hơn sơn ta rất nhiều lần' ('Vấn đề bảo tồn và phát huy giá trị truyền thống của tranh "
        "sơn mài Việt Nam', https://tailieuxanh.com/vn/tlID1249250_van-de-bao-ton-va-phat-huy-gia-"
        "tri-truyen-thong-cua-tranh-son-mai-viet-nam.html); in Japan Cashew-brand lacquer is put at about a third of the "
        "price of urushi (https://aizu-japan.com/urushinuri/cashu/)."),
    "oil_vnd_per_kg": (
        "ASSUMPTION, no source found: a drying oil (tung oil, dầu trẩu; or linseed oil) bought by a "
        "workshop; plausible range 60,000–250,000."),
    "thinner_vnd_per_kg": (
        "ASSUMPTION, no source found: turpentine (dầu thông) or the cashew lacquer's thinner; "
        "plausible range 30,000–150,000."),
    "drier_vnd_per_kg": (
        "ASSUMPTION, no source found: a cobalt/manganese octoate drier solution of about 10 % metal "
        "(DRIER_METAL_FRACTION); plausible range 150,000–800,000. Cobalt driers are dosed at "
        "0.03–0.08 % metal on binder in alkyds (Borchers, '5% Cobalt Hydro-Cure II', "
        "https://www.borchers.com/product/5-cobalt-hydro-curea-ii/)."),
    "metal_salt_vnd_per_kg": (
        "ASSUMPTION, no source found: a laboratory-grade copper(II) or iron(III) salt "
        "(SALT_METAL_FRACTION of metal); plausible range 30,000–500,000; negligible at ppm doses."),
    "cabinet_vnd": (
        "ASSUMPTION, no source found: a workshop-built insulated humid cabinet (tủ ủ) of ≈2 m³ — "
        "≈10 m² of 50 mm foam panels, shelves, a 1 kW heater with thermostat, an ultrasonic "
        "humidifier with hygrostat, a small fan; plausible range 5–40 million VND. A wooden "
        "cabinet with a bowl of water costs far less (and holds no set point)."),
    "cabinet_life_years": (
        "ASSUMPTION: 5 years (panels and frame last longer; the humidifier's transducer and the "
        "controls are replaced)."),
    "oven_vnd": (
        "ASSUMPTION, no source found: a small electric drying oven or baking chamber (≈0.5 m³, "
        "up to 150–200 °C) for lacquer; plausible range 10–100 million VND."),
    "oven_life_years": "ASSUMPTION: 10 years.",
}
#: Unit of each price.
PRICE_UNITS: dict[str, str] = {
    "electricity_vnd_per_kwh": "VND/kWh", "laccol_raw_vnd_per_kg": "VND/kg",
    "cashew_vnd_per_kg": "VND/kg", "oil_vnd_per_kg": "VND/kg", "thinner_vnd_per_kg": "VND/kg",
    "drier_vnd_per_kg": "VND/kg", "metal_salt_vnd_per_kg": "VND/kg", "cabinet_vnd": "VND",
    "cabinet_life_years": "years", "oven_vnd": "VND", "oven_life_years": "years",
}
_POSITIVE = ("cabinet_life_years", "oven_life_years")  # > 0; every other price ≥ 0


@dataclass(frozen=True)
class Prices:
    """Prices in Vietnamese đồng (VND), excluding VAT; :meth:`sources` says
    where each default comes from (and which are assumptions)."""

    #: electricity, VND/kWh (EVN, manufacturing, below 6 kV, normal hours, 2025)
    electricity_vnd_per_kwh: float = 1987.0
    #: raw laccol sap (sơn ta, nhựa cây sơn), VND/kg (farm gate, Tam Nông, 2021)
    laccol_raw_vnd_per_kg: float = 400_000.0
    #: cashew lacquer (sơn điều) as sold with its thinner, VND/kg (assumption)
    cashew_vnd_per_kg: float = 150_000.0
    #: drying oil (tung, linseed), VND/kg (assumption)
    oil_vnd_per_kg: float = 120_000.0
    #: thinner (turpentine), VND/kg (assumption)
    thinner_vnd_per_kg: float = 60_000.0
    #: drier solution (≈10 % metal), VND/kg (assumption)
    drier_vnd_per_kg: float = 300_000.0
    #: metal salt (≈25 % metal), VND/kg (assumption)
    metal_salt_vnd_per_kg: float = 100_000.0
    #: humid/heated cabinet, purchase, VND (assumption)
    cabinet_vnd: float = 15_000_000.0
    #: its life, years (assumption)
    cabinet_life_years: float = 5.0
    #: oven for baking, purchase, VND (assumption)
    oven_vnd: float = 30_000_000.0
    #: its life, years (assumption)
    oven_life_years: float = 10.0
    #: sources given with values in a space file (key, source)
    given_sources: tuple[tuple[str, str], ...] = field(default=(), compare=False, repr=False)

    @classmethod
    def keys(cls) -> tuple[str, ...]:
        """The prices, in order."""
        return tuple(PRICE_UNITS)

    @classmethod
    def from_dict(cls, d: Mapping | None, where: str = "prices") -> "Prices":
        """Prices from a space file's mapping: each key a number, or
        ``{value: ..., source: "..."}``; keys left out keep their defaults.
        Raises :class:`~lacquersim.errors.RecipeError` naming ``<where>.<key>``
        for an unknown key, a value that is not a number, a negative price or
        a life that is not positive."""
        d = _mapping(d, where)
        _unknown(d, cls.keys(), where)
        values: dict[str, float] = {}
        given: list[tuple[str, str]] = []
        for k, v in d.items():
            f = f"{where}.{k}"
            if isinstance(v, Mapping):
                _unknown(v, ("value", "source"), f)
                if "value" not in v:
                    raise RecipeError(_("a price given as a mapping needs 'value' (and may "
                                        "have 'source')"), field=f)
                src = v.get("source")
                if src is not None and not isinstance(src, str):
                    raise RecipeError(_("a source is text, got {value}").format(value=repr(src)),
                                      field=f"{f}.source")
                v = v["value"]
                given.append((k, src if src else f"given in {where}; no source given"))
            else:
                given.append((k, f"given in {where}; no source given"))
            values[k] = _number(v, f, lo=0.0, lo_open=k in _POSITIVE, unit=PRICE_UNITS[k])
        return cls(**values, given_sources=tuple(given))

    def to_dict(self) -> dict[str, float]:
        """Every price by key (what :meth:`from_dict` reads back)."""
        return {k: getattr(self, k) for k in self.keys()}

    def sources(self) -> dict[str, str]:
        """Where each price comes from: key → source."""
        out = dict(_SOURCES)
        out.update(dict(self.given_sources))
        return out


# ---------------------------------------------------------------------------
# Cabinet and oven
# ---------------------------------------------------------------------------
#: Why each :class:`Cabinet` default is what it is.
CABINET_NOTES: dict[str, str] = {
    "volume_m3": "ASSUMPTION: a 1 × 1 × 2 m cabinet (tủ ủ) for a workshop.",
    "work_area_m2": "ASSUMPTION: six shelves holding ≈1 m² of coated surface each.",
    "ua_w_per_k": (
        "Estimate: 50 mm expanded polystyrene or PU foam (k ≈ 0.035–0.04 W/m·K) with surface "
        "resistances of 0.17 m²·K/W gives U ≈ 0.67 W/m²·K; ×1.5 for the door, seals and frame, "
        "≈1.0 W/m²·K over the box's 10 m² (1 × 1 × 2 m). An uninsulated 18 mm plywood box "
        "would have ≈3 W/m²·K, ≈30 W/K."),
    "ach_per_h": (
        "Estimate: a closed cabinet leaks 0.5–1 air change per hour, and the door is opened to "
        "load it; some exchange is wanted, since lacquer cures by oxidation and a perfectly "
        "airtight box can slow or stall the cure (tamenuri.com, 'Furo: how to make a cabinet "
        "for curing urushi', https://tamenuri.com/furo-how-to-make-a-cabinet-for-curing-urushi/)."),
    "humidifier_kwh_per_kg": (
        "Ultrasonic humidifier. A steam (electrode or resistance) humidifier needs ≈0.72–0.75 "
        "kWh per kg (heating water from 20 °C and boiling it, 335 + 2257 kJ/kg); ultrasonic "
        "humidifiers are sold as using 93 % less electrical energy than electrode boilers "
        "(Stulz, ES Magazine, https://www.esmagazine.com/articles/89312-stulz-of-north-america-"
        "inc-air-conditioning-system-2): ≈0.05 kWh/kg. Chosen over a steam humidifier because it "
        "is cheap to buy and to run at a cabinet's few tens of grams of water per hour."),
    "humidifier_adiabatic": (
        "True for an ultrasonic (or evaporative) humidifier: the mist evaporates in the air and "
        "takes its latent heat from it ('adiabatic', with a cooling effect: ES Magazine, "
        "https://www.esmagazine.com/articles/83647), which the heater makes up in a heated "
        "cabinet. False for a steam humidifier, whose electricity already includes it."),
    "heater_efficiency": (
        "Electric resistance heater: all the electricity becomes heat (1). A heat pump would "
        "have its COP here (2–4)."),
    "utilisation": (
        "ASSUMPTION: share of the year the cabinet holds a batch (loading, idle days, holidays)."),
}
#: Why each :class:`Oven` default is what it is.
OVEN_NOTES: dict[str, str] = {
    "work_area_m2": "ASSUMPTION: a ≈0.5 m³ oven with shelves holding ≈3 m² of coated surface.",
    "ua_w_per_k": (
        "Estimate: ≈4 m² of 75 mm mineral-wool walls (k ≈ 0.05 W/m·K at 100–150 °C, U ≈ 0.6 "
        "W/m²·K, ×1.5 for door and frame) ≈ 3.6 W/K, plus an exhaust of ≈5 air changes per hour "
        "of 0.5 m³ for the solvent (≈0.8 W/K): 5 W/K."),
    "thermal_mass_kj_per_k": (
        "Estimate: ≈60 kg of steel liner and shelves × 0.5 kJ/kg·K plus the inner layer of the "
        "insulation, heated from ambient every batch: 50 kJ/K."),
    "piece_heat_kj_per_m2_k": (
        "Estimate: a 12 mm wooden panel, 12 mm × 700 kg/m³ × 1.7 kJ/kg·K ≈ 14 kJ/m²·K, plus its "
        "tray: 15 kJ/m²·K of coated surface."),
    "heater_efficiency": "Electric resistance heater (1).",
    "utilisation": "ASSUMPTION: share of the year the oven is in use (0.5).",
    "turnaround_hours": "ASSUMPTION: heating up, cooling down and loading, per batch (1 h).",
}


def _from_dict(cls, d: Mapping | None, where: str, ranges: Mapping[str, tuple]):
    d = _mapping(d, where)
    names = tuple(f.name for f in fields(cls))
    _unknown(d, names, where)
    out = {}
    for k, v in d.items():
        if k in ranges:
            lo, hi, lo_open, unit = ranges[k]
            out[k] = _number(v, f"{where}.{k}", lo=lo, hi=hi, lo_open=lo_open, unit=unit)
        elif not isinstance(v, bool):
            raise RecipeError(_("{value} is not allowed; allowed: true or false").format(
                value=repr(v)), field=f"{where}.{k}")
        else:
            out[k] = v
    return cls(**out)


@dataclass(frozen=True)
class Cabinet:
    """The humid/heated drying cabinet (tủ ủ); :data:`CABINET_NOTES` gives the
    reasoning behind each default."""

    #: internal volume, m³
    volume_m3: float = 2.0
    #: coated surface per batch, m²
    work_area_m2: float = 6.0
    #: heat-loss coefficient of the walls, U·A, W/K
    ua_w_per_k: float = 10.0
    #: air changes per hour (leaks and ventilation), 1/h
    ach_per_h: float = 1.0
    #: humidifier's electricity per kg of water evaporated, kWh/kg (ultrasonic)
    humidifier_kwh_per_kg: float = 0.05
    #: the humidifier takes the latent heat from the air (ultrasonic, evaporative)
    humidifier_adiabatic: bool = True
    #: heat per unit of electricity (1: resistance heater)
    heater_efficiency: float = 1.0
    #: share of the year the cabinet holds a batch
    utilisation: float = 0.7

    _RANGES = {"volume_m3": (0.0, math.inf, True, "m³"), "work_area_m2": (0.0, math.inf, True, "m²"),
               "ua_w_per_k": (0.0, math.inf, False, "W/K"), "ach_per_h": (0.0, math.inf, False, "1/h"),
               "humidifier_kwh_per_kg": (0.0, math.inf, False, "kWh/kg"),
               "heater_efficiency": (0.0, 10.0, True, "heat per electricity"),
               "utilisation": (0.0, 1.0, True, "share of the year")}

    @classmethod
    def from_dict(cls, d: Mapping | None, where: str = "cabinet") -> "Cabinet":
        """A cabinet from a mapping (keys left out keep their defaults);
        RecipeError names ``<where>.<key>`` for a bad key or value."""
        return _from_dict(cls, d, where, cls._RANGES)

    def to_dict(self) -> dict[str, Any]:
        return {f.name: getattr(self, f.name) for f in fields(self)}

    @property
    def exchange_w_per_k(self) -> float:
        """Heat carried by the exchanged air, ρ·c_p·V·ACH/3600, W/K."""
        return RHO_AIR * CP_AIR * self.volume_m3 * self.ach_per_h / 3600.0


@dataclass(frozen=True)
class Oven:
    """The oven of a bake; :data:`OVEN_NOTES` gives the reasoning behind each default."""

    #: coated surface per batch, m²
    work_area_m2: float = 3.0
    #: heat-loss coefficient (walls and exhaust), W/K
    ua_w_per_k: float = 5.0
    #: heat capacity of the oven's liner and shelves, heated every batch, kJ/K
    thermal_mass_kj_per_k: float = 50.0
    #: heat capacity of the work pieces per m² of coated surface, kJ/(m²·K)
    piece_heat_kj_per_m2_k: float = 15.0
    #: heat per unit of electricity
    heater_efficiency: float = 1.0
    #: share of the year the oven is in use
    utilisation: float = 0.5
    #: heating up, cooling down and loading per batch, h
    turnaround_hours: float = 1.0

    _RANGES = {"work_area_m2": (0.0, math.inf, True, "m²"), "ua_w_per_k": (0.0, math.inf, False, "W/K"),
               "thermal_mass_kj_per_k": (0.0, math.inf, False, "kJ/K"),
               "piece_heat_kj_per_m2_k": (0.0, math.inf, False, "kJ/(m²·K)"),
               "heater_efficiency": (0.0, 10.0, True, "heat per electricity"),
               "utilisation": (0.0, 1.0, True, "share of the year"),
               "turnaround_hours": (0.0, math.inf, False, "h")}

    @classmethod
    def from_dict(cls, d: Mapping | None, where: str = "oven") -> "Oven":
        """An oven from a mapping (keys left out keep their defaults)."""
        return _from_dict(cls, d, where, cls._RANGES)

    def to_dict(self) -> dict[str, Any]:
        return {f.name: getattr(self, f.name) for f in fields(self)}


DEFAULT_PRICES = Prices()
DEFAULT_CABINET = Cabinet()
DEFAULT_OVEN = Oven()


# ---------------------------------------------------------------------------
# The ambient air
# ---------------------------------------------------------------------------
class Ambient:
    """The workshop's air hour by hour from the hour the coat goes in, with
    the saturation and vapour pressures precomputed. Built once (per month)
    and passed to :func:`practice_cost` many times."""

    __slots__ = ("t_c", "rh_percent", "t_k", "psat", "e", "mean_t_c", "_windows")

    def __init__(self, temperature_c, rh_percent):
        t = np.asarray(temperature_c, dtype=float).ravel()
        rh = np.asarray(rh_percent, dtype=float).ravel()
        if t.size == 0 or t.shape != rh.shape:
            raise RecipeError(f"climate_hours needs two arrays of the same, non-zero length "
                              f"(temperature °C, RH %), got {t.size} and {rh.size}",
                              field="climate_hours")
        if not (np.all(np.isfinite(t)) and np.all((t > -50.0) & (t < 70.0))):
            raise RecipeError("ambient temperatures must be finite, −50 to 70 °C",
                              field="climate_hours")
        if not (np.all(np.isfinite(rh)) and np.all((rh >= 0.0) & (rh <= 100.0))):
            raise RecipeError("ambient relative humidity must be 0 to 100 %", field="climate_hours")
        self.t_c, self.rh_percent = t, rh
        self.t_k = t + 273.15
        self.psat = np.array([psat_water_c(float(x)) for x in t])
        self.e = rh / 100.0 * self.psat
        self.mean_t_c = float(t.mean())
        self._windows: dict[float, tuple] = {}

    @classmethod
    def from_month(cls, month_climate, start_hour: float = 8.0, hours: int = 24) -> "Ambient":
        """``hours`` hours of a :class:`~lacquersim.model.climate.MonthClimate`'s
        daily cycle from ``start_hour`` (each hour at its middle); 24 hours are
        repeated for longer practices."""
        pairs = [month_climate.at((start_hour + i + 0.5) % 24.0) for i in range(int(hours))]
        return cls([p[0] for p in pairs], [p[1] for p in pairs])

    def window(self, hours: float):
        """(T °C, T K, p_sat Pa, e Pa, weights) over ``hours``, the arrays
        repeated when shorter; cached by ``hours``."""
        got = self._windows.get(hours)
        if got is not None:
            return got
        n = max(1, math.ceil(hours - 1e-9))
        idx = np.arange(n) % self.t_c.size
        w = np.ones(n)
        w[-1] = hours - (n - 1)
        got = (self.t_c[idx], self.t_k[idx], self.psat[idx], self.e[idx], w)
        if len(self._windows) > 512:
            self._windows.clear()
        self._windows[hours] = got
        return got


_AMBIENTS: dict[bytes, Ambient] = {}


def _ambient(climate_hours) -> Ambient:
    """An :class:`Ambient` for a (temperatures, RH) pair, reused for equal arrays."""
    try:
        t, rh = climate_hours
    except (TypeError, ValueError):
        raise RecipeError("climate_hours is an Ambient or two arrays (temperature °C, RH %)",
                          field="climate_hours") from None
    t = np.asarray(t, dtype=float)
    rh = np.asarray(rh, dtype=float)
    key = t.tobytes() + b"|" + rh.tobytes()
    got = _AMBIENTS.get(key)
    if got is None:
        got = Ambient(t, rh)
        if len(_AMBIENTS) >= 256:
            _AMBIENTS.clear()
        _AMBIENTS[key] = got
    return got


# ---------------------------------------------------------------------------
# Material
# ---------------------------------------------------------------------------
@lru_cache(maxsize=None)
def _material(name: str) -> tuple[str, float, float, str]:
    """(priced as "sap" or "ready", volatile fraction as bought, density of the
    non-volatile part kg/m³, material name) of a material of the parameter table,
    or of "laccol" (its first laccol sap)."""
    from lacquersim.model.materials import get_material
    from lacquersim.model.parameters import table

    mats = table().materials
    if name == _CATECHOL_PRICED_RAW:
        name = next(m for m, i in mats.items() if i.catechol == _CATECHOL_PRICED_RAW and not i.base)
    if name not in mats:
        raise RecipeError(f"unknown material {name!r}; choose {_CATECHOL_PRICED_RAW!r} or one of "
                          f"{', '.join(mats)}", field="coat.material")
    mat = get_material(name)
    q = mat.values
    if q["droplet_raw"] <= 0:  # not sap: bought ready to use, volatile = its thinner
        return "ready", q["water_percent"] / 100.0, q["rho_solids"], name
    if mats[name].catechol != _CATECHOL_PRICED_RAW:
        raise RecipeError(f"no price for {name!r} ({mats[name].catechol} sap): the prices cover "
                          f"laccol sap (sơn ta) and ready-made lacquer such as cashew",
                          field="coat.material")
    return "sap", q["water_percent"] / 100.0, q["rho_solids"], name


@lru_cache(maxsize=None)
def _densities(name: str, oil: str | None) -> tuple[float, float]:
    """(thinner density, oil density) kg/m³ from the parameter table; the mean
    of the table's oils when no oil is named."""
    from lacquersim.model.materials import get_material
    from lacquersim.model.parameters import table

    mat = get_material(name)
    rho_thin = mat.value_in("thinner_density", "kg/m3")
    oils = table().oils
    if oil is not None and oil not in oils:
        raise RecipeError(f"unknown oil {oil!r}; choose one of {', '.join(oils)}", field="coat.oil")
    rho_oil = [mat.parameters.oil(o)["oil_density"] for o in ((oil,) if oil else oils)]
    return rho_thin, sum(rho_oil) / len(rho_oil)


_COAT_KEYS = ("material", "thickness_um", "lacquer_fraction", "laccol_fraction", "oil_fraction",
              "oil", "thinner_fraction", "drier_percent", "metal_ppm", "refined_water_percent",
              "refining_yield", "density_kg_m3", "drier_metal_fraction", "salt_metal_fraction")


def material_cost(coat: Mapping, prices: Prices | None = None) -> dict[str, float]:
    """Material of one coat, per m²: ``vnd`` (cost), ``kg`` (wet film),
    ``density_kg_m3`` and ``refining_yield`` (kg refined per kg raw sap; 1
    for ready-made lacquer). See the module documentation for ``coat``."""
    p = DEFAULT_PRICES if prices is None else prices
    if not isinstance(coat, Mapping):
        raise RecipeError("a coat is a mapping (material, thickness_um, fractions, ...)", field="coat")
    _unknown(coat, _COAT_KEYS, "coat")
    if "material" not in coat or not isinstance(coat["material"], str):
        raise RecipeError(f"'material' is required: {_CATECHOL_PRICED_RAW!r} or a material of the "
                          f"parameter table", field="coat.material")
    kind, w_bought, rho_solids, name = _material(coat["material"])
    if "thickness_um" not in coat:
        raise RecipeError("'thickness_um' (wet film) is required", field="coat.thickness_um")
    thick = _number(coat["thickness_um"], "coat.thickness_um", lo=0.0, hi=2000.0, lo_open=True,
                    unit="µm")
    g = coat.get
    f_oil = _number(g("oil_fraction", 0.0), "coat.oil_fraction", hi=1.0, unit="mass fraction")
    f_thin = _number(g("thinner_fraction", 0.0), "coat.thinner_fraction", hi=1.0,
                     unit="mass fraction")
    if "lacquer_fraction" in coat and "laccol_fraction" in coat:
        raise RecipeError("give 'lacquer_fraction' or 'laccol_fraction', not both",
                          field="coat.laccol_fraction")
    key = "laccol_fraction" if "laccol_fraction" in coat else "lacquer_fraction"
    if key in coat:
        f_lac = _number(coat[key], f"coat.{key}", hi=1.0, unit="mass fraction")
        if abs(f_lac + f_oil + f_thin - 1.0) > 1e-6:
            raise RecipeError(f"{key} + oil_fraction + thinner_fraction = "
                              f"{f_lac + f_oil + f_thin:g}; allowed: they add up to 1 (leave "
                              f"{key} out to take the rest)", field=f"coat.{key}")
    else:
        f_lac = 1.0 - f_oil - f_thin
        if f_lac < -1e-12:
            raise RecipeError(f"oil_fraction + thinner_fraction = {f_oil + f_thin:g}; allowed: at "
                              f"most 1", field="coat.thinner_fraction")
        f_lac = max(f_lac, 0.0)
    oil = g("oil")
    if oil is not None and not isinstance(oil, str):
        raise RecipeError(f"an oil is named, got {oil!r}", field="coat.oil")
    rho_thin, rho_oil = _densities(name, oil)

    if kind == "sap":
        w_ref = _number(g("refined_water_percent", REFINED_WATER_PERCENT),
                        "coat.refined_water_percent", hi=w_bought * 100.0, unit="% water") / 100.0
        if "refining_yield" in coat:
            yld = _number(coat["refining_yield"], "coat.refining_yield", hi=1.0, lo_open=True,
                          unit="kg refined per kg raw sap")
        else:
            yld = (1.0 - w_bought) / (1.0 - w_ref)
        rho_lac = 1.0 / (w_ref / RHO_WATER + (1.0 - w_ref) / rho_solids)
        price_lac = p.laccol_raw_vnd_per_kg / yld
        nonvol = 1.0 - w_ref
    else:
        for k in ("refined_water_percent", "refining_yield"):
            if k in coat:
                raise RecipeError(f"{name!r} is bought ready to use: no refining; leave {k!r} out",
                                  field=f"coat.{k}")
        yld = 1.0
        rho_lac = 1.0 / (w_bought / rho_thin + (1.0 - w_bought) / rho_solids)
        price_lac = p.cashew_vnd_per_kg
        nonvol = 1.0 - w_bought
    if "density_kg_m3" in coat:
        rho = _number(coat["density_kg_m3"], "coat.density_kg_m3", lo=500.0, hi=3000.0,
                      unit="kg/m³")
    else:
        rho = 1.0 / (f_lac / rho_lac + f_oil / rho_oil + f_thin / rho_thin)
    m = thick * 1e-6 * rho  # kg/m²
    vnd = m * (f_lac * price_lac + f_oil * p.oil_vnd_per_kg + f_thin * p.thinner_vnd_per_kg)
    drier = _number(g("drier_percent", 0.0), "coat.drier_percent", hi=10.0, unit="% metal on binder")
    if drier > 0:
        x = _number(g("drier_metal_fraction", DRIER_METAL_FRACTION), "coat.drier_metal_fraction",
                    hi=1.0, lo_open=True, unit="kg metal per kg drier")
        binder = f_lac * nonvol + f_oil
        vnd += m * binder * drier / 100.0 / x * p.drier_vnd_per_kg
    ppm = _number(g("metal_ppm", 0.0), "coat.metal_ppm", hi=1e5, unit="ppm")
    if ppm > 0:
        x = _number(g("salt_metal_fraction", SALT_METAL_FRACTION), "coat.salt_metal_fraction",
                    hi=1.0, lo_open=True, unit="kg metal per kg salt")
        vnd += m * ppm * 1e-6 / x * p.metal_salt_vnd_per_kg
    return {"vnd": vnd, "kg": m, "density_kg_m3": rho, "refining_yield": yld}


# ---------------------------------------------------------------------------
# The practice
# ---------------------------------------------------------------------------
_PRACTICE_KEYS = {"workshop": ("kind", "hours", "bake"),
                  "humid_cabinet": ("kind", "hours", "rh_percent", "bake"),
                  "heated_cabinet": ("kind", "hours", "temperature_c", "rh_percent", "bake")}
_ZERO = 0.0


def practice_cost(practice: Mapping, climate_hours, coat: Mapping, prices: Prices | None = None,
                  cabinet: Cabinet | None = None, *, oven: Oven | None = None) -> dict:
    """Cost of one coat dried by ``practice`` in the air ``climate_hours``,
    VND per m² and coat.

    Parameters
    ----------
    practice : mapping
        ``kind`` (one of :data:`PRACTICE_KINDS`), ``hours`` in the cabinet,
        ``rh_percent`` (cabinets), ``temperature_c`` (heated cabinet), and
        optionally ``bake: {temperature_c, minutes}``. A workshop practice
        has only ``hours`` (optional, costs nothing) and ``bake``.
    climate_hours : Ambient or (temperatures °C, RH %)
        The workshop's air hour by hour from the hour the coat goes in;
        repeated when shorter than ``hours``.
    coat : mapping
        ``material`` ("laccol" or a material of the parameter table: laccol
        saps are priced raw, others — cashew — ready-made), ``thickness_um``
        (wet film), mass fractions ``lacquer_fraction`` (or
        ``laccol_fraction``; default: the rest), ``oil_fraction`` (with the
        ``oil``'s name, for its density), ``thinner_fraction``; additives
        ``drier_percent`` (% metal on binder) and ``metal_ppm``; for laccol
        ``refined_water_percent`` (4) or ``refining_yield``; optionally
        ``density_kg_m3``, ``drier_metal_fraction``, ``salt_metal_fraction``.
    prices, cabinet, oven
        Defaults: :class:`Prices`, :class:`Cabinet`, :class:`Oven` ().

    Returns
    -------
    dict
        ``energy_heating``, ``energy_humidifying``, ``energy_baking``,
        ``cabinet``, ``oven``, ``material``, ``total`` (VND/m²); ``kwh``
        (electricity, kWh/m²); ``cannot_cool_h`` and ``cannot_dehumidify_h``
        (hours the cabinet ran at the ambient temperature or humidity instead
        of the set point); ``warnings`` (text for those hours).
    """
    p = DEFAULT_PRICES if prices is None else prices
    cab = DEFAULT_CABINET if cabinet is None else cabinet
    if not isinstance(practice, Mapping):
        raise RecipeError("a practice is a mapping with 'kind' and 'hours'", field="practice")
    kind = practice.get("kind")
    allowed = _PRACTICE_KEYS.get(kind)
    if allowed is None:
        raise RecipeError(f"kind {kind!r} is not allowed; choose one of {', '.join(PRACTICE_KINDS)}",
                          field="practice.kind")
    for k in practice:
        if k not in allowed:
            raise RecipeError(f"unknown key {k!r} for a {kind} practice; allowed: "
                              f"{', '.join(allowed)}", field=f"practice.{k}")
    amb = climate_hours if isinstance(climate_hours, Ambient) else _ambient(climate_hours)

    heat_j = hum_j = 0.0
    cool_h = dry_h = 0.0
    cabinet_vnd = 0.0
    warnings: list[str] = []
    if kind != "workshop":
        if "hours" not in practice:
            raise RecipeError("'hours' in the cabinet is required", field="practice.hours")
        hours = _number(practice["hours"], "practice.hours", lo=0.0, hi=2000.0, lo_open=True,
                        unit="h")
        if "rh_percent" not in practice:
            raise RecipeError("'rh_percent' (the cabinet's humidity) is required",
                              field="practice.rh_percent")
        rh_set = _number(practice["rh_percent"], "practice.rh_percent", hi=100.0, unit="%") / 100.0
        t, tk, ps, e, w = amb.window(hours)
        exch = cab.volume_m3 * cab.ach_per_h * M_WATER / R_GAS  # kg·K/(h·Pa)
        if kind == "humid_cabinet":
            de = rh_set * ps - e
            pos = np.maximum(de, _ZERO)
            water = exch * float(np.dot(w, pos / tk))  # kg per batch
            hum_j = water * cab.humidifier_kwh_per_kg * J_PER_KWH
        else:
            if "temperature_c" not in practice:
                raise RecipeError("'temperature_c' (the cabinet's set point) is required",
                                  field="practice.temperature_c")
            t_set = _number(practice["temperature_c"], "practice.temperature_c", lo=-10.0, hi=80.0,
                            unit="°C")
            dt = t_set - t
            on = dt > 0.0
            de = np.where(on, rh_set * psat_water_c(t_set), rh_set * ps) - e
            pos = np.maximum(de, _ZERO) / np.where(on, t_set + 273.15, tk)
            h_wk = cab.ua_w_per_k + cab.exchange_w_per_k
            heat_j = h_wk * float(np.dot(w, np.maximum(dt, _ZERO))) * 3600.0 / cab.heater_efficiency
            water = exch * float(np.dot(w, pos))
            hum_j = water * cab.humidifier_kwh_per_kg * J_PER_KWH
            if cab.humidifier_adiabatic:
                hum_j += exch * float(np.dot(w, pos * on)) * H_FG / cab.heater_efficiency
            cool_h = float(np.dot(w, dt < 0.0))
            if cool_h > 0.0:
                warnings.append(f"set point {t_set:g} °C is below the ambient air for {cool_h:g} of "
                                f"{hours:g} h: the cabinet cannot cool; it runs at the ambient "
                                f"temperature then")
        dry_h = float(np.dot(w, de < 0.0))
        if dry_h > 0.0:
            warnings.append(f"the ambient air holds more vapour than {rh_set * 100:g} % RH in the "
                            f"cabinet for {dry_h:g} of {hours:g} h: the cabinet cannot dehumidify; "
                            f"it runs at the ambient humidity then")
        cabinet_vnd = p.cabinet_vnd * hours / (p.cabinet_life_years * HOURS_PER_YEAR
                                                * cab.utilisation * cab.work_area_m2)
        heat_j /= cab.work_area_m2
        hum_j /= cab.work_area_m2

    bake_j = oven_vnd = 0.0
    bake = practice.get("bake")
    if bake is not None:
        ov = DEFAULT_OVEN if oven is None else oven
        bake = _mapping(bake, "practice.bake")
        _unknown(bake, ("temperature_c", "minutes"), "practice.bake")
        for k in ("temperature_c", "minutes"):
            if k not in bake:
                raise RecipeError(f"a bake needs {k!r}", field=f"practice.bake.{k}")
        tb = _number(bake["temperature_c"], "practice.bake.temperature_c", lo=0.0, hi=250.0,
                     unit="°C")
        minutes = _number(bake["minutes"], "practice.bake.minutes", lo=0.0, hi=2880.0,
                          lo_open=True, unit="min")
        d_t = max(0.0, tb - amb.mean_t_c)
        bake_j = (ov.ua_w_per_k * d_t * minutes * 60.0
                  + (ov.thermal_mass_kj_per_k + ov.piece_heat_kj_per_m2_k * ov.work_area_m2)
                  * 1e3 * d_t) / ov.heater_efficiency / ov.work_area_m2
        oven_vnd = p.oven_vnd * (minutes / 60.0 + ov.turnaround_hours) / (
            p.oven_life_years * HOURS_PER_YEAR * ov.utilisation * ov.work_area_m2)

    kwh_price = p.electricity_vnd_per_kwh / J_PER_KWH
    out = {"energy_heating": heat_j * kwh_price, "energy_humidifying": hum_j * kwh_price,
           "energy_baking": bake_j * kwh_price, "cabinet": cabinet_vnd, "oven": oven_vnd,
           "material": material_cost(coat, p)["vnd"]}
    out["total"] = (out["energy_heating"] + out["energy_humidifying"] + out["energy_baking"]
                    + cabinet_vnd + oven_vnd + out["material"])
    out["kwh"] = (heat_j + hum_j + bake_j) / J_PER_KWH
    out["cannot_cool_h"] = cool_h
    out["cannot_dehumidify_h"] = dry_h
    out["warnings"] = warnings
    return out
