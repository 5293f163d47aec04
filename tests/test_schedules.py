"""Drying schedules: equal steps, presets, daily cycles, exact step boundaries (issue 4)."""

from __future__ import annotations

import numpy as np
import pytest

import lacquersim as ls
from lacquersim.kernels.formulas import psat_water_c as psat
from lacquersim.model.climate import climate_records, month_climate, normals
from lacquersim.model.schedule import PRESET_DEFAULTS, Schedule, Step

from conftest import make_recipe

N = 16


def stages(recipe, schedule):
    return ls.simulate(recipe, schedule=schedule, n_cells=N)


# ---------------------------------------------------------------------------
# One step or many equal steps: the same schedule, the same result
# ---------------------------------------------------------------------------
@pytest.mark.parametrize("material,water,monomer", [("vietnam", None, None),
                                                     ("vietnam", 12.5, 44.8),
                                                     ("cashew", None, None)])
def test_constant_schedule_one_step_or_many_equal_steps(material, water, monomer):
    rec = make_recipe(material=material, thickness_um=50, water=water, monomer=monomer)
    one = stages(rec, Schedule.constant(25, 80, 48))
    for pieces in ([Step(25.0, 80.0, 4.8)] * 10, [Step(25.0, 80.0, 6.0)] * 8,
                   [Step(25.0, 80.0, 1.0)] * 24 + [Step(25.0, 80.0, 24.0)]):
        many = stages(rec, Schedule(tuple(pieces)))
        a, b = one.stages.to_numpy(), many.stages.to_numpy()
        assert np.array_equal(np.isnan(a), np.isnan(b))
        ok = ~np.isnan(a)
        assert np.allclose(a[ok], b[ok], rtol=1e-9, atol=0.0), (a, b)
        assert many.wrinkle_index == pytest.approx(one.wrinkle_index, rel=1e-9, nan_ok=True)
        assert np.allclose(many.trajectory.y_end, one.trajectory.y_end, rtol=1e-9, atol=1e-15)


def test_equal_steps_are_the_same_schedule_but_the_recipe_keeps_them_as_written():
    written = [{"temperature_c": 25, "rh_percent": 80, "hours": 24}] * 3
    rec = make_recipe(steps=written)
    assert rec.drying == Schedule.constant(25, 80, 72)
    assert len(rec.drying.steps) == 1 and len(rec.drying.written) == 3
    assert len(rec.to_dict()["drying"]["steps"]) == 3
    assert rec.with_values({"drying.steps.2.rh_percent": 70}).drying.steps[1].rh_percent == 70
    # collinear ramps are one ramp; a change of slope or a jump is not joined
    ramp = Schedule((Step(20.0, 80.0, 1.0, 21.0), Step(21.0, 80.0, 2.0, 23.0)))
    assert ramp.steps == (Step(20.0, 80.0, 3.0, 23.0),)
    kink = Schedule((Step(20.0, 80.0, 1.0, 21.0), Step(21.0, 80.0, 1.0, 21.5)))
    jump = Schedule((Step(20.0, 80.0, 1.0), Step(20.0, 70.0, 1.0)))
    air = Schedule((Step(20.0, 80.0, 1.0), Step(20.0, 80.0, 1.0, air_speed_m_s=1.0)))
    assert len(kink.steps) == len(jump.steps) == len(air.steps) == 2


# ---------------------------------------------------------------------------
# Step boundaries
# ---------------------------------------------------------------------------
@pytest.mark.parametrize("schedule", [
    Schedule.oven(),
    Schedule.outdoor("viet-tri", month=7, days=2),
    Schedule((Step(25.0, 80.0, 0.3), Step(35.0, 60.0, 1.7, 20.0, 90.0), Step(10.0, 95.0, 5.0))),
], ids=["oven", "outdoor", "ramps"])
def test_step_boundaries_are_honoured_exactly(schedule):
    res = stages(make_recipe(material="japan", thickness_um=40), schedule)
    tb = res.problem.t_bounds
    assert np.array_equal(tb, schedule.boundaries_h * 3600.0)
    assert len(res.trajectory.segments) == len(schedule.steps)
    for k, seg in enumerate(res.trajectory.segments):
        assert seg.ts[0] == tb[k] and seg.ts[-1] == tb[k + 1], k
        assert np.all(np.diff(seg.ts) > 0)


# ---------------------------------------------------------------------------
# Presets
# ---------------------------------------------------------------------------
def test_outdoor_cycle_follows_the_station_records():
    for station in ("viet-tri", "phu-ho"):
        clim = normals(station)
        assert list(clim.index) == list(range(1, 13)) and (clim.years >= 20).all()
        for month in (1, 7):
            s = Schedule.outdoor(station, month=month, days=3, start_hour=0.0, step_hours=1.0)
            assert s.total_hours == pytest.approx(72.0)
            c = s.conditions_at(np.arange(0.0, 72.0, 0.25))
            m = clim.loc[month]
            # between the month's mean daily minimum and maximum
            assert c.temperature_c.max() == pytest.approx(m.t_max_c, abs=0.05)
            assert c.temperature_c.min() == pytest.approx(m.t_min_c, abs=0.05)
            # the vapour content constant, the daily mean humidity the month's
            on = s.conditions_at(np.arange(0.0, 72.0, 1.0))  # the samples the ramps join
            e = [rh / 100 * psat(t) for t, rh in zip(on.temperature_c, on.rh_percent) if rh < 97.9]
            assert max(e) == pytest.approx(min(e), rel=2e-3)
            assert c.rh_percent.mean() == pytest.approx(m.rh_percent, abs=1.0)
            assert c.rh_percent.max() <= 98.0
        # warmest at 14:00, most humid when coolest
        day = s.conditions_at(np.arange(0.0, 24.0, 1.0))
        assert int(day.temperature_c.idxmax()) == 14
        assert int(day.rh_percent.idxmin()) == 14 and day.rh_percent[2] == day.rh_percent.max()
        # continuous: each ramp starts where the previous one ended
        for a, b in zip(s.steps, s.steps[1:]):
            assert a.t_end_c == b.temperature_c and a.rh_end_percent == b.rh_percent
    july = Schedule.outdoor(month=7)
    assert july.total_hours == pytest.approx(7 * 24.0) and "July" in july.label
    assert Schedule.outdoor(month=7, days=0.3, step_hours=2).total_hours == pytest.approx(7.2)


def test_daily_cycle_for_a_week_runs_without_slowing_to_a_crawl():
    week = Schedule.outdoor("viet-tri", month=7, days=7)
    for name in ("vietnam-kneaded-60", "cashew-workshop"):
        res = ls.simulate(ls.load_recipe(name), schedule=week, n_cells=20)
        st = res.summary()["solver"]
        n_seg = len(week.steps)
        # restarts cost a few dozen steps each; the whole week stays far from the
        # solver's 200 000-step limit
        assert st["steps"] < 100 * n_seg, st
        assert max(len(seg.ts) for seg in res.trajectory.segments) < 400
        assert res.stages.notna().sum() >= 3, res.reasons


def test_muro_and_oven_presets_and_their_yaml_form(tmp_path):
    muro = Schedule.muro()
    d = PRESET_DEFAULTS["muro"]
    assert muro == Schedule.constant(d["temperature_c"], d["rh_percent"], d["hours"],
                                     d["air_speed_m_s"])
    oven = Schedule.oven(temperature_c=120, hours=1.5)
    assert [(s.temperature_c, s.hours) for s in oven.steps] == [(120.0, 1.5), (25.0, 2.0)]
    assert len(Schedule.oven(cool_hours=0).steps) == 1
    p = tmp_path / "r.yaml"
    p.write_text("# t\nname: t\nmaterial: japan\nfilm: {thickness_um: 40}\n"
                 "drying:\n  preset: oven\n  temperature_c: 120\n  hours: 1.5\n",
                 encoding="utf-8")
    rec = ls.load_recipe(p)
    assert rec.drying == oven and rec.drying.label.startswith("oven")
    assert ls.Recipe.from_dict(rec.to_dict(), source=str(p)) == rec
    assert rec.to_dict()["drying"]["preset"] == "oven"
    out = make_recipe().with_values({"drying": {"preset": "outdoor", "month": 1, "days": 2}})
    assert out.drying == Schedule.outdoor(month=1, days=2)
    assert out.with_values({"drying.month": 7}).drying == Schedule.outdoor(month=7, days=2)


@pytest.mark.parametrize("drying,field,fragment", [
    ({"preset": "outdoor", "month": 13}, "drying.month", "allowed 1 to 12 month"),
    ({"preset": "outdoor"}, "drying", "missing required field 'drying.month'"),
    ({"preset": "outdoor", "month": 7, "rh_percent": 60}, "drying.rh_percent",
     "is not used with preset 'outdoor'"),
    ({"preset": "muro", "station": "viet-tri"}, "drying.station", "is not used with preset 'muro'"),
    ({"preset": "muro", "hours": 0}, "drying.hours", "more than 0"),
    ({"preset": "sauna"}, "drying.preset", "muro, oven, outdoor"),
    ({"preset": "oven", "steps": [{"temperature_c": 1, "rh_percent": 1, "hours": 1}]},
     "drying.steps", "is not used with preset 'oven'"),
    ({"month": 7}, "drying.month", "add 'preset: outdoor'"),
    ({"preset": "outdoor", "month": 7, "station": "hanoi"}, "drying.station", "viet-tri, phu-ho"),
    ({"preset": "outdoor", "month": 7, "year": 1950}, "drying.year", "allowed 1961 to 2017"),
    ({"preset": "outdoor", "month": 7, "period_from": 2010, "period_to": 2000}, "drying.period_to",
     "before it begins"),
])
def test_preset_validation_messages(drying, field, fragment):
    d = {"name": "t", "material": "japan", "film": {"thickness_um": 40}, "drying": drying}
    with pytest.raises(ls.RecipeError) as info:
        ls.Recipe.from_dict(d)
    assert info.value.field == field and fragment in str(info.value), str(info.value)


def test_preset_error_names_file_and_line_and_cli_exits_2(tmp_path):
    from lacquersim import cli

    p = tmp_path / "bad.yaml"
    p.write_text("name: t\nmaterial: japan\nfilm: {thickness_um: 40}\ndrying:\n"
                 "  preset: outdoor\n  month: 7\n  rh_percent: 50\n", encoding="utf-8")
    with pytest.raises(ls.RecipeError) as info:
        ls.load_recipe(p)
    assert (info.value.file, info.value.line) == (str(p), 7)
    assert cli.main(["run", str(p)]) == 2


def test_station_records_give_every_year_and_a_year_or_a_normal():
    rec = climate_records()
    assert set(rec.station_id) == {"viet-tri", "phu-ho"}
    assert rec.year.min() == 1961 and rec.year.max() == 2017 and len(rec) > 1300
    vt = climate_records("viet-tri")
    row = vt[(vt.year == 1998) & (vt.month == 7)].iloc[0]
    one = month_climate("viet-tri", 7, year=1998)
    assert (one.t_min_c, one.t_max_c, one.rh_mean_percent) == (row.t_min_c, row.t_max_c, row.rh_percent)
    normal = month_climate("viet-tri", 7)
    span = vt[(vt.year >= 1991) & (vt.year <= 2015) & (vt.month == 7)]
    assert normal.t_max_c == pytest.approx(span.t_max_c.mean()) and normal.what == "1991–2015 normal"
    # a year's schedule differs from the normal's, and says which it is
    assert Schedule.outdoor(month=7, year=1998, days=1) != Schedule.outdoor(month=7, days=1)
    assert "1998" in Schedule.outdoor(month=7, year=1998, days=1).label
    # January nights are cold and humid, July afternoons hot
    jan, jul = month_climate(month=1), month_climate(month=7)
    assert jan.t_min_c < 16 and jul.t_max_c > 32 and jan.at(2)[1] > jan.at(14)[1]


def test_a_year_without_humidity_is_a_clear_error():
    rec = climate_records("phu-ho")
    gap = rec[rec.rh_percent.isna()].iloc[0]
    with pytest.raises(ls.RecipeError, match="no record with humidity") as info:
        Schedule.outdoor("phu-ho", month=int(gap.month), year=int(gap.year))
    assert info.value.field == "drying.year"


@pytest.mark.parametrize("args, field, words", [
    ((25, 120, 10), "schedule.steps.0.rh_percent", "allowed 0 to 100 %"),
    ((-300, 50, 10), "schedule.steps.0.temperature_c", "allowed -10 to 250 °C"),
    ((25, 50, float("nan")), "schedule.steps.0.hours", "more than 0 and at most 2000 h"),
    ((25, 50, 10, 50.0), "schedule.steps.0.air_speed_m_s", "allowed 0 to 10 m/s"),
])
def test_a_schedule_built_in_python_has_the_recipe_files_limits(args, field, words):
    from lacquersim.errors import RecipeError

    with pytest.raises(RecipeError) as e:
        Schedule.constant(*args)
    assert e.value.field == field and words in e.value.problem


def test_the_recipe_schema_declares_the_schedules_limits():
    from lacquersim.model.schedule import STEP_LIMITS
    from lacquersim.model.schema import RECIPE_SCHEMA

    for name, (lo, hi, lo_ok, unit) in STEP_LIMITS.items():
        f = RECIPE_SCHEMA.fields[f"drying.steps.*.{name}"]
        assert (f.min, f.max, f.min_inclusive, f.unit) == (lo, hi, lo_ok, unit)


# ---------------------------------------------------------------------------
# Air and film: no more water than they can hold (issue 22)
# ---------------------------------------------------------------------------
def _yaml(tmp_path, drying: str):
    p = tmp_path / "hot.yaml"
    p.write_text("name: hot\nmaterial: japan\nfilm: {thickness_um: 40}\n" + drying,
                 encoding="utf-8")
    return p


def test_air_cannot_be_wetter_than_saturation_at_one_atmosphere(tmp_path):
    from lacquersim.model.schedule import air_max_rh_percent

    assert air_max_rh_percent(25) == 100.0 and air_max_rh_percent(99) == 100.0
    assert air_max_rh_percent(140) == pytest.approx(100 * 101325 / psat(140))
    # the same words from Python, from a file and from an option
    with pytest.raises(ls.RecipeError) as py:
        Schedule.constant(140, 60, 1)
    assert py.value.field == "schedule.steps.0.rh_percent"
    problem = py.value.problem
    assert "60 % RH at 140 °C is more water vapour than air at 1 atm can hold" in problem
    assert "allowed at most 28.2 % RH" in problem
    p = _yaml(tmp_path, "drying: {temperature_c: 140, rh_percent: 60, hours: 1}\n")
    with pytest.raises(ls.RecipeError) as fy:
        ls.load_recipe(p)
    assert (fy.value.field, fy.value.line, fy.value.problem) == ("drying.rh_percent", 4, problem)
    from lacquersim import cli

    with pytest.raises(ls.RecipeError) as op:
        args = cli._build_parser().parse_args(["run", "japan-raw", "--temperature", "140",
                                               "--rh", "60"])
        cli._apply_conditions(cli._load(args.recipe), args)
    assert (op.value.field, op.value.problem) == ("--rh", problem)
    # the allowed value shown is allowed
    Schedule.constant(140, 28.2, 1)


def test_a_ramp_into_hot_wet_air_is_refused_where_it_gets_there(tmp_path):
    p = _yaml(tmp_path, "drying:\n  steps:\n    - {temperature_c: 25, rh_percent: 80, hours: 1}\n"
                        "    - {temperature_c: 25, end_temperature_c: 150, rh_percent: 50,"
                        " hours: 2}\n")
    with pytest.raises(ls.RecipeError) as e:
        ls.load_recipe(p)
    assert e.value.field == "drying.steps.1.rh_percent" and e.value.line == 7
    assert "h into the step" in e.value.problem


@pytest.mark.parametrize("material", ["vietnam", "japan", "china", "myanmar"])
def test_air_so_humid_the_film_would_hold_too_much_water_is_refused(material):
    from lacquersim.model.materials import get_material
    from lacquersim.model.refining import highest_rh_percent

    top = highest_rh_percent(get_material(material))
    assert 98.0 < top < 99.5  # Phu Tho nights (98 %) stay possible
    ok = ls.simulate(make_recipe(material=material, rh_percent=98, hours=48), n_cells=N)
    assert ok.summary()["water_left_percent"] < 61.2  # 60 % by weight, as volume
    with pytest.raises(ls.RecipeError) as e:
        ls.simulate(make_recipe(material=material, rh_percent=100, hours=48), n_cells=N)
    assert e.value.field == "drying.rh_percent"
    assert f"allowed at most {int(top * 10) / 10:g} % RH" in e.value.problem
    with pytest.raises(ls.RecipeError) as s:
        ls.simulate(make_recipe(material=material), schedule=Schedule.constant(25, 99.9, 5))
    assert s.value.field == "schedule.steps.0.rh_percent" and s.value.file is None


def test_cashew_dries_in_saturated_air_its_thinner_is_not_water():
    res = ls.simulate(make_recipe(material="cashew", thickness_um=50, rh_percent=100, hours=24),
                      n_cells=N)
    assert res.summary()["water_left_percent"] < 31


def test_cli_names_the_option_that_made_the_air_too_humid(capsys):
    from lacquersim import cli

    assert cli.main(["run", "vietnam-raw", "--rh", "100", "--cells", "8", "--no-band"]) == 2
    err = " ".join(capsys.readouterr().err.split())
    assert "field '--rh'" in err and "allowed at most 98.6 % RH" in err
