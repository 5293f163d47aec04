"""The cost model of a drying practice (lacquersim.optimise.cost): fast checks."""

from __future__ import annotations

import math

import numpy as np
import pytest

from lacquersim.errors import RecipeError
from lacquersim.kernels.formulas import R_GAS, psat_water_c
from lacquersim.model.climate import month_climate
from lacquersim.optimise.cost import (Ambient, Cabinet, Oven, Prices, material_cost,
                                      practice_cost)

LACCOL = {"material": "laccol", "thickness_um": 60.0}
HEATED = {"kind": "heated_cabinet", "hours": 24, "temperature_c": 30.0, "rh_percent": 80.0}


def _flat(t_c, rh, hours=24):
    return np.full(hours, float(t_c)), np.full(hours, float(rh))


@pytest.fixture(scope="module")
def jan():
    return Ambient.from_month(month_climate("viet-tri", 1))


@pytest.fixture(scope="module")
def jul():
    return Ambient.from_month(month_climate("viet-tri", 7))


def test_workshop_costs_only_material(jan):
    r = practice_cost({"kind": "workshop", "hours": 48}, jan, LACCOL)
    for k in ("energy_heating", "energy_humidifying", "energy_baking", "cabinet", "oven", "kwh"):
        assert r[k] == 0.0
    assert r["material"] > 0 and r["total"] == r["material"]
    assert r["material"] == material_cost(LACCOL)["vnd"]
    assert r["warnings"] == []


def test_heated_cabinet_costs_rise_with_set_point(jan):
    costs = [practice_cost(dict(HEATED, temperature_c=t), jan, LACCOL) for t in (22, 26, 30, 34)]
    heat = [c["energy_heating"] for c in costs]
    assert all(b > a for a, b in zip(heat, heat[1:]))
    assert all(b["total"] > a["total"] for a, b in zip(costs, costs[1:]))
    # a warmer cabinet holds more vapour at the same RH: more water to add
    hum = [c["energy_humidifying"] for c in costs]
    assert all(b > a for a, b in zip(hum, hum[1:]))


def test_heated_cabinet_costs_more_in_a_colder_month(jan, jul):
    c_jan = practice_cost(HEATED, jan, LACCOL)
    c_jul = practice_cost(HEATED, jul, LACCOL)
    assert jan.mean_t_c < jul.mean_t_c
    assert c_jan["energy_heating"] > 2 * c_jul["energy_heating"]
    assert c_jan["kwh"] > c_jul["kwh"] and c_jan["total"] > c_jul["total"]
    assert c_jan["material"] == c_jul["material"] and c_jan["cabinet"] == c_jul["cabinet"]


def test_no_humidifying_when_the_ambient_air_is_more_humid():
    r = practice_cost({"kind": "humid_cabinet", "hours": 24, "rh_percent": 80.0},
                      _flat(25.0, 90.0), LACCOL)
    assert r["energy_humidifying"] == 0.0 and r["kwh"] == 0.0
    assert r["cannot_dehumidify_h"] == 24.0
    assert any("cannot dehumidify" in w for w in r["warnings"])
    # and a drier workshop costs something
    r = practice_cost({"kind": "humid_cabinet", "hours": 24, "rh_percent": 80.0},
                      _flat(25.0, 60.0), LACCOL)
    assert r["energy_humidifying"] > 0.0 and r["cannot_dehumidify_h"] == 0.0 and not r["warnings"]


def test_a_set_point_below_the_ambient_air_is_warned_about():
    t = np.full(24, 22.0)
    t[10:17] = 32.0  # 7 warm hours
    r = practice_cost(HEATED, (t, np.full(24, 60.0)), LACCOL)
    assert r["cannot_cool_h"] == 7.0
    assert any("cannot cool" in w and "7 of 24 h" in w for w in r["warnings"])
    # the warm hours cost no heating: only the 17 others do
    h = Cabinet().ua_w_per_k + Cabinet().exchange_w_per_k
    expect = 17 * 8.0 * h * 3600 / Cabinet().work_area_m2 / 3.6e6 * Prices().electricity_vnd_per_kwh
    assert r["energy_heating"] == pytest.approx(expect, rel=1e-12)


def test_one_hour_by_hand():
    t_a, rh_a, t_set, rh_set = 20.0, 60.0, 30.0, 80.0
    cab, p = Cabinet(), Prices()
    r = practice_cost({"kind": "heated_cabinet", "hours": 1, "temperature_c": t_set,
                       "rh_percent": rh_set}, ([t_a], [rh_a]), LACCOL, p, cab)
    h = 10.0 + 1.2 * 1005.0 * 2.0 * 1.0 / 3600.0  # U·A + ρ·c_p·V·ACH/3600, W/K
    heat_kwh = h * (t_set - t_a) * 3600.0 / 3.6e6 / 6.0  # per m² of the 6 m² batch
    e_in = rh_set / 100.0 * psat_water_c(t_set)
    e_a = rh_a / 100.0 * psat_water_c(t_a)
    water = 2.0 * 1.0 * 0.018015 * (e_in - e_a) / (R_GAS * (t_set + 273.15))  # kg in the hour
    hum_kwh = (water * 0.05 + water * 2.442e6 / 3.6e6) / 6.0  # ultrasonic + latent heat
    assert r["energy_heating"] == pytest.approx(heat_kwh * 1987.0, rel=1e-9)
    assert r["energy_humidifying"] == pytest.approx(hum_kwh * 1987.0, rel=1e-9)
    assert r["kwh"] == pytest.approx(heat_kwh + hum_kwh, rel=1e-9)
    cabinet = 15e6 * 1.0 / (5.0 * 8760.0 * 0.7 * 6.0)
    assert r["cabinet"] == pytest.approx(cabinet, rel=1e-9)
    m = 60e-6 / (0.04 / 1000.0 + 0.96 / 1050.0)  # kg/m² of refined laccol, 4 % water
    material = m * 400_000.0 / ((1.0 - 0.336) / (1.0 - 0.04))
    assert r["material"] == pytest.approx(material, rel=1e-9)
    assert r["total"] == pytest.approx(r["energy_heating"] + r["energy_humidifying"]
                                       + cabinet + material, rel=1e-9)
    assert r["warnings"] == []


def test_a_bake_by_hand():
    ov = Oven()
    r = practice_cost({"kind": "workshop", "bake": {"temperature_c": 120.0, "minutes": 90}},
                      _flat(20.0, 70.0), LACCOL, oven=ov)
    d_t = 100.0
    j = (5.0 * d_t * 90 * 60 + (50.0 + 15.0 * 3.0) * 1e3 * d_t) / 3.0
    assert r["energy_baking"] == pytest.approx(j / 3.6e6 * 1987.0, rel=1e-12)
    assert r["oven"] == pytest.approx(30e6 * 2.5 / (10 * 8760 * 0.5 * 3.0), rel=1e-12)
    assert r["total"] == pytest.approx(r["energy_baking"] + r["oven"] + r["material"], rel=1e-12)


def test_part_hours_count_in_proportion():
    amb = _flat(18.0, 50.0, 3)
    one = practice_cost(dict(HEATED, hours=1), amb, LACCOL)
    half = practice_cost(dict(HEATED, hours=1.5), amb, LACCOL)
    for k in ("energy_heating", "energy_humidifying", "cabinet"):
        assert half[k] == pytest.approx(1.5 * one[k], rel=1e-12)


def test_a_short_climate_is_repeated():
    day = Ambient.from_month(month_climate("viet-tri", 1))
    three_days = Ambient(np.tile(day.t_c, 3), np.tile(day.rh_percent, 3))
    a = practice_cost(dict(HEATED, hours=72), day, LACCOL)
    b = practice_cost(dict(HEATED, hours=72), three_days, LACCOL)
    assert a["energy_heating"] == pytest.approx(b["energy_heating"], rel=1e-12)
    assert a["energy_humidifying"] == pytest.approx(b["energy_humidifying"], rel=1e-12)


def test_the_daily_cycle_is_the_months():
    mc = month_climate("viet-tri", 1)
    amb = Ambient.from_month(mc, start_hour=8.0)
    assert amb.t_c.size == 24
    assert (amb.t_c[0], amb.rh_percent[0]) == pytest.approx(mc.at(8.5))
    assert (amb.t_c[20], amb.rh_percent[20]) == pytest.approx(mc.at(4.5))


def test_cabinet_time_costs_in_proportion_to_the_hours(jan):
    c24 = practice_cost(dict(HEATED, hours=24), jan, LACCOL)["cabinet"]
    c72 = practice_cost(dict(HEATED, hours=72), jan, LACCOL)["cabinet"]
    assert c72 == pytest.approx(3 * c24, rel=1e-12)


def test_material_cost_scales_with_thickness():
    thin = material_cost(dict(LACCOL, thickness_um=30.0))
    thick = material_cost(dict(LACCOL, thickness_um=90.0))
    assert thick["vnd"] == pytest.approx(3 * thin["vnd"], rel=1e-12)
    assert thick["kg"] == pytest.approx(3 * thin["kg"], rel=1e-12)


def test_material_cost_of_the_mix():
    base = material_cost(LACCOL)
    assert base["refining_yield"] == pytest.approx((1 - 0.336) / 0.96)
    assert 1000.0 < base["density_kg_m3"] < 1100.0
    cashew = material_cost({"material": "cashew", "thickness_um": 60.0})
    assert cashew["refining_yield"] == 1.0 and cashew["vnd"] < base["vnd"]
    thinned = material_cost(dict(LACCOL, thinner_fraction=0.2))
    assert thinned["vnd"] < base["vnd"]
    assert material_cost(dict(LACCOL, laccol_fraction=0.8, thinner_fraction=0.2)) == thinned
    dosed = material_cost(dict(LACCOL, drier_percent=0.1, metal_ppm=500))
    p = Prices()
    binder = base["kg"] * 0.96
    extra = binder * 0.001 / 0.10 * p.drier_vnd_per_kg + base["kg"] * 500e-6 / 0.25 * p.metal_salt_vnd_per_kg
    assert dosed["vnd"] - base["vnd"] == pytest.approx(extra, rel=1e-9)
    # a better-refined lacquer takes more raw sap per kg
    assert material_cost(dict(LACCOL, refined_water_percent=2.0))["vnd"] > base["vnd"]


@pytest.mark.parametrize("coat, field", [
    ({"thickness_um": 60}, "coat.material"),
    ({"material": "laccol"}, "coat.thickness_um"),
    ({"material": "laccol", "thickness_um": -5}, "coat.thickness_um"),
    ({"material": "laccol", "thickness_um": 60, "laccol_fraction": 0.5}, "coat.laccol_fraction"),
    ({"material": "laccol", "thickness_um": 60, "oil_fraction": 0.7, "thinner_fraction": 0.5},
     "coat.thinner_fraction"),
    ({"material": "laccol", "thickness_um": 60, "colour": "red"}, "coat.colour"),
    ({"material": "cashew", "thickness_um": 60, "refining_yield": 0.7}, "coat.refining_yield"),
    ({"material": "japan", "thickness_um": 60}, "coat.material"),
    ({"material": "teak", "thickness_um": 60}, "coat.material"),
])
def test_invalid_coats_name_the_field(coat, field):
    with pytest.raises(RecipeError) as e:
        material_cost(coat)
    assert e.value.field == field


@pytest.mark.parametrize("d, field, words", [
    ({"gas_vnd_per_kg": 1.0}, "prices.gas_vnd_per_kg", "unknown"),
    ({"electricity_vnd_per_kwh": -1.0}, "prices.electricity_vnd_per_kwh", "≥ 0"),
    ({"laccol_raw_vnd_per_kg": "a lot"}, "prices.laccol_raw_vnd_per_kg", "not a number"),
    ({"cashew_vnd_per_kg": True}, "prices.cashew_vnd_per_kg", "not a number"),
    ({"cabinet_life_years": 0}, "prices.cabinet_life_years", "> 0"),
    ({"oven_vnd": float("nan")}, "prices.oven_vnd", "≥ 0"),
    ({"oil_vnd_per_kg": {"source": "a shop"}}, "prices.oil_vnd_per_kg", "value"),
])
def test_invalid_prices_name_the_field(d, field, words):
    with pytest.raises(RecipeError) as e:
        Prices.from_dict(d)
    assert e.value.field == field
    assert words in e.value.problem


def test_prices_from_a_space_file():
    assert Prices.from_dict(None) == Prices()
    assert Prices.from_dict(Prices().to_dict()) == Prices()
    p = Prices.from_dict({"electricity_vnd_per_kwh": 3152,
                          "cashew_vnd_per_kg": {"value": 200_000, "source": "a Hanoi shop, 2025"}},
                         where="space.prices")
    assert p.electricity_vnd_per_kwh == 3152.0 and p.cashew_vnd_per_kg == 200_000.0
    assert p.laccol_raw_vnd_per_kg == Prices().laccol_raw_vnd_per_kg
    src = p.sources()
    assert src["cashew_vnd_per_kg"] == "a Hanoi shop, 2025"
    assert "space.prices" in src["electricity_vnd_per_kwh"]
    with pytest.raises(RecipeError) as e:
        Prices.from_dict({"x": 1}, where="space.prices")
    assert e.value.field == "space.prices.x"


def test_every_default_price_has_a_source():
    src = Prices().sources()
    assert set(src) == set(Prices.keys()) == set(Prices().to_dict())
    for k, s in src.items():
        assert len(s) > 20, k
    # a default without a published number says so
    for k in ("cashew_vnd_per_kg", "cabinet_vnd", "oven_vnd"):
        assert src[k].startswith("ASSUMPTION"), k
    assert "1279/QĐ-BCT" in src["electricity_vnd_per_kwh"]


def test_cabinet_and_oven_from_a_mapping():
    assert Cabinet.from_dict(Cabinet().to_dict()) == Cabinet()
    c = Cabinet.from_dict({"ach_per_h": 3, "humidifier_adiabatic": False})
    assert c.ach_per_h == 3.0 and not c.humidifier_adiabatic
    for bad, field in (({"volume_m3": 0}, "cabinet.volume_m3"),
                       ({"utilisation": 1.5}, "cabinet.utilisation"),
                       ({"humidifier_adiabatic": "yes"}, "cabinet.humidifier_adiabatic"),
                       ({"shelves": 6}, "cabinet.shelves")):
        with pytest.raises(RecipeError) as e:
            Cabinet.from_dict(bad)
        assert e.value.field == field
    with pytest.raises(RecipeError) as e:
        Oven.from_dict({"work_area_m2": -1})
    assert e.value.field == "oven.work_area_m2"


def test_a_steam_humidifier_brings_its_own_latent_heat():
    amb = _flat(20.0, 50.0)
    ultrasonic = practice_cost(HEATED, amb, LACCOL)
    steam = practice_cost(HEATED, amb, LACCOL,
                          cabinet=Cabinet(humidifier_kwh_per_kg=0.75, humidifier_adiabatic=False))
    # both pay ≈ the latent heat; the steam humidifier also heats the water to boiling
    assert steam["energy_humidifying"] > ultrasonic["energy_humidifying"]
    assert steam["energy_humidifying"] == pytest.approx(ultrasonic["energy_humidifying"], rel=0.2)


@pytest.mark.parametrize("practice, field", [
    ({"kind": "sauna", "hours": 3}, "practice.kind"),
    ({"kind": "humid_cabinet", "rh_percent": 80}, "practice.hours"),
    ({"kind": "humid_cabinet", "hours": 24}, "practice.rh_percent"),
    ({"kind": "humid_cabinet", "hours": 24, "rh_percent": 120}, "practice.rh_percent"),
    ({"kind": "heated_cabinet", "hours": 24, "rh_percent": 80}, "practice.temperature_c"),
    ({"kind": "humid_cabinet", "hours": 24, "rh_percent": 80, "temperature_c": 30},
     "practice.temperature_c"),
    ({"kind": "workshop", "bake": {"temperature_c": 120}}, "practice.bake.minutes"),
    ({"kind": "workshop", "bake": {"temperature_c": 120, "minutes": 30, "fan": 1}},
     "practice.bake.fan"),
])
def test_invalid_practices_name_the_field(practice, field):
    with pytest.raises(RecipeError) as e:
        practice_cost(practice, _flat(25, 70), LACCOL)
    assert e.value.field == field


def test_the_climate_must_be_two_arrays_of_a_length():
    with pytest.raises(RecipeError) as e:
        practice_cost(HEATED, ([20.0, 21.0], [60.0]), LACCOL)
    assert e.value.field == "climate_hours"
    with pytest.raises(RecipeError):
        practice_cost(HEATED, ([20.0], [160.0]), LACCOL)


def test_costs_are_finite_in_every_month():
    for month in range(1, 13):
        amb = Ambient.from_month(month_climate("phu-ho", month))
        r = practice_cost(dict(HEATED, bake={"temperature_c": 100, "minutes": 30}), amb,
                          dict(LACCOL, oil_fraction=0.1, drier_percent=0.05))
        assert all(math.isfinite(v) and v >= 0 for k, v in r.items() if k != "warnings"), month
