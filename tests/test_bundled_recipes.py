"""Every bundled recipe loads, refines, simulates, plots, and is listed with what it is."""

from __future__ import annotations

import math
import re

import pytest

import lacquersim as ls
from lacquersim.model.recipe_files import recipes_dir

PATHS = sorted(recipes_dir().glob("*.yaml"))


def test_library_covers_the_issue():
    recipes = {p.stem: ls.load_recipe(p) for p in PATHS}
    assert len(recipes) >= 12
    materials = {r.material for r in recipes.values()}
    # raw sap of every origin, both seasons, and cashew
    assert {"japan", "china", "vietnam", "myanmar", "cashew", "vietnam-rainy",
            "vietnam-dry"} <= materials
    assert any(r.refining and any(s.step == "kurome" and (s.repeat or 1) > 1
                                  for s in r.refining) for r in recipes.values())  # repeated kurome
    kurome_series = [n for n in recipes if re.fullmatch(r"china-kurome-\d", n)]
    assert len(kurome_series) >= 3
    assert any(r.additives and r.additives.oil for r in recipes.values())           # hybrid
    assert any(r.drying.steps[0].temperature_c >= 100 for r in recipes.values())    # baked
    presets = {dict(r.drying_preset)["preset"] for r in recipes.values() if r.drying_preset}
    assert presets == {"muro", "oven", "outdoor"}
    assert any(r.material == "cashew" and r.drying_preset
               and dict(r.drying_preset)["preset"] == "outdoor" for r in recipes.values())


@pytest.mark.parametrize("path", PATHS, ids=lambda p: p.stem)
def test_bundled_recipe_loads_refines_simulates_and_plots(path, tmp_path):
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    rec = ls.load_recipe(path.stem)
    listed = ls.bundled_recipes().set_index("name").loc[path.stem]
    assert rec.description.strip() and listed.description == rec.description.strip().splitlines()[0]
    assert ls.Recipe.from_dict(rec.to_dict(), source=rec.source) == rec
    state = ls.refine(rec)
    for key in ("water_percent", "monomer_percent", "droplet_um", "laccase_percent",
                "viscosity_pa_s"):
        assert math.isfinite(state[key])
    res = ls.simulate(rec, n_cells=20)
    assert res.initial_state.equals(state)
    assert math.isfinite(res.stages["set_to_touch"]), res.reasons
    summary = res.summary()
    assert summary["initial_state"]["viscosity_pa_s"] == pytest.approx(state.viscosity_pa_s)
    fig = res.plot()
    out = tmp_path / f"{path.stem}.png"
    fig.savefig(out, dpi=50)
    plt.close(fig)
    assert out.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
