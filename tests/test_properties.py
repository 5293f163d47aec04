"""Property-based checks over the valid input space (hypothesis).

For any valid recipe and conditions: fields stay in range, conversion never
decreases, stages are ordered, O2 and water balances close, missing stages
come with a reason; invalid inputs raise RecipeError, never NaN results.
"""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings, strategies as st

import lacquersim as ls
from lacquersim.kernels import layout
from lacquersim.model.schedule import air_max_rh_percent
from lacquersim.model.stages import STAGES

MATERIALS = ["japan", "china", "vietnam", "myanmar", "cashew"]
# the most humid air any film may dry in (lacquersim refuses wetter air: the
# film would hold more water than a lacquer can)
RH_FILM_MAX = 98.5


@st.composite
def air(draw):
    """Drying conditions air can have: at most saturation at 1 atm."""
    t = draw(st.one_of(st.floats(-10, 60), st.floats(60, 250)))
    rh = draw(st.floats(0, min(RH_FILM_MAX, air_max_rh_percent(t))))
    return {"temperature_c": t, "rh_percent": rh, "hours": draw(st.floats(0.5, 120))}


recipes = st.fixed_dictionaries(
    {
        "name": st.just("prop"),
        "material": st.sampled_from(MATERIALS),
        "film": st.fixed_dictionaries({"thickness_um": st.floats(5, 200)}),
        "drying": air(),
    },
    optional={"state": st.fixed_dictionaries({"water_percent": st.floats(0, 60),
                                              "monomer_percent": st.floats(0, 100)})},
)

TOL = 1e-6


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(recipes)
def test_invariants_over_valid_inputs(d):
    rec = ls.Recipe.from_dict(d)
    try:
        res = ls.simulate(rec, n_cells=12)
    except ls.RecipeError as e:  # a measured state with too little monomer has gelled in the pot
        assert e.field == "state.monomer_percent" and "gelled before it is applied" in str(e)
        return
    N = res.n_cells
    # fields stay in range at every accepted step
    for seg in res.trajectory.segments:
        cells = seg.ys[:, : 5 * N].reshape(len(seg.ts), N, 5)
        assert np.all(np.isfinite(cells))
        assert cells[..., layout.F_PHI].min() >= -TOL
        assert cells[..., layout.F_C].min() >= -TOL * 10
        for k in (layout.F_M, layout.F_S, layout.F_E):
            assert cells[..., k].min() >= -TOL and cells[..., k].max() <= 1 + TOL
    # conversion never decreases (surface, mean, bottom)
    h = res.history
    for col in ("conversion_surface", "conversion_mean", "conversion_bottom"):
        assert np.all(np.diff(h[col].to_numpy()) >= -1e-7), col
    # stages ordered; a missing stage has a reason and so do the later ones
    s = res.stages.to_numpy()
    seen = s[np.isfinite(s)]
    assert np.all(np.diff(seen) >= 0)
    missing = np.isnan(s)
    if missing.any():
        first = int(np.argmax(missing))
        assert missing[first:].all()
        assert all(res.reasons.iloc[k] for k in range(first, 4))
        assert np.all(s[first:] != s[first:])  # NaN, never a number
    assert res.stages.index.tolist() == list(STAGES)
    assert (s[np.isfinite(s)] <= rec.drying.total_hours + 1e-9).all()
    # balances close
    b = res.balances()
    assert abs(b["o2_residual"]) < 1e-6
    assert abs(b["water_residual"]) < 1e-6
    # the summary is JSON-ready and has no NaN
    summ = res.summary()
    import json
    text = json.dumps(summ, allow_nan=False)
    assert "NaN" not in text


bad_values = st.sampled_from([
    ("film", "thickness_um", -5.0), ("film", "thickness_um", 0.0), ("film", "thickness_um", 500.0),
    ("drying", "rh_percent", 120.0), ("drying", "rh_percent", -1.0), ("drying", "hours", 0.0),
    ("drying", "temperature_c", 400.0), ("drying", "temperature_c", float("nan")),
    ("film", "thickness_um", float("inf")), ("drying", "hours", "long"),
])


@settings(max_examples=30, deadline=None)
@given(recipes, bad_values)
def test_invalid_inputs_raise_recipe_error(d, bad):
    sec, key, val = bad
    d = {**d, sec: {**d[sec], key: val}}
    with pytest.raises(ls.RecipeError) as ei:
        ls.Recipe.from_dict(d)
    assert key in str(ei.value)


def test_invalid_simulation_arguments_raise_recipe_error():
    rec = ls.Recipe.from_dict({"name": "x", "material": "vietnam", "film": {"thickness_um": 50},
                               "drying": {"temperature_c": 25, "rh_percent": 80, "hours": 10}})
    with pytest.raises(ls.RecipeError, match="n_cells"):
        ls.simulate(rec, n_cells=1)
    with pytest.raises(ls.RecipeError, match="rtol"):
        ls.simulate(rec, rtol=0.5)


def test_a_missing_stage_is_explained_where_the_stage_looks():
    """Dry-hard is a thickness average: its reason quotes the mean conversion, not the surface's."""
    res = ls.simulate(ls.Recipe.from_dict({
        "name": "short", "material": "vietnam", "film": {"thickness_um": 76},
        "drying": {"temperature_c": 25, "rh_percent": 80, "hours": 12}}), n_cells=20)
    assert np.isfinite(res.stages["tack_free"]) and np.isnan(res.stages["dry_hard"])
    why = res.reasons["dry_hard"]
    mean = res.history.conversion_mean.iloc[-1]
    assert "mean conversion" in why and f"{mean:.2f}" in why, why
    assert res.reasons["dry_through"] == "dry-hard not reached first"
