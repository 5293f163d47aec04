"""Figures of a run, a build and a comparison: what they mark agrees with what is reported."""

from __future__ import annotations

import warnings
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402

import lacquersim as ls  # noqa: E402
from lacquersim.model.stages import STAGE_TABLE, STAGES  # noqa: E402

RECIPES = Path(__file__).resolve().parents[1] / "recipes"


def _marks(fig) -> dict:
    """Stage marks of a figure: gid 'stage <what> <stage>' -> x of the mark (h)."""
    out = {}
    for ax in fig.axes:
        for ln in ax.get_lines():
            gid = ln.get_gid() or ""
            if gid.startswith("stage "):
                out.setdefault(gid, float(np.asarray(ln.get_xdata())[0]))
    return out


def _texts(fig) -> str:
    """Every piece of text of a figure: titles, labels, legends, annotations."""
    parts = [t.get_text() for t in fig.findobj(matplotlib.text.Text)]
    return "\n".join(parts)


def _air_axes(fig):
    axes = [ax for ax in fig.axes if "air temperature (°C)" in ax.get_ylabel()]
    assert len(axes) == 1, [ax.get_ylabel() for ax in fig.axes]
    rh = [ax for ax in fig.axes if "RH (%)" in ax.get_ylabel()]
    assert len(rh) == 1
    return axes[0], rh[0]


@pytest.fixture(scope="module")
def baked():
    return ls.simulate("japan-baked", n_cells=10)


@pytest.fixture(scope="module")
def build():
    return ls.simulate("vietnam-kneaded-3-coats", n_cells=10)


def test_stage_marks_are_the_reported_times(baked):
    fig = baked.plot()
    marks = _marks(fig)
    for s in STAGES:
        assert marks[f"stage run {s}"] == pytest.approx(baked.stages[s], abs=1e-9)
    text = _texts(fig)
    # dry hard held before tack free but counts only from it: the figure says so
    assert baked.stages.dry_hard == baked.stages.tack_free
    assert f"dry hard {baked.stages.dry_hard:.2f} h" in text
    assert "counted from tack free" in text
    plt.close(fig)


def test_build_plot_labels_every_coat_and_marks_each_coats_stages(build):
    fig = build.plot()
    marks = _marks(fig)
    text = _texts(fig)
    cs = build.coat_stages
    for coat, row in cs.iterrows():
        assert f"coat {coat}" in text
        for s in STAGES:
            if np.isfinite(row[s]):
                assert marks[f"stage coat {coat} {s}"] == pytest.approx(row.applied_h + row[s], abs=1e-9)
    assert len(marks) == int(cs[list(STAGES)].notna().to_numpy().sum())
    plt.close(fig)


def test_every_plot_shows_air_temperature_and_rh(baked, build):
    from lacquersim.sim.figures import compare_figure

    fig = baked.plot()
    t_ax, rh_ax = _air_axes(fig)
    assert max(np.max(ln.get_ydata()) for ln in t_ax.get_lines()) == pytest.approx(140.0)
    assert min(np.min(ln.get_ydata()) for ln in rh_ax.get_lines()) == pytest.approx(10.0)
    plt.close(fig)
    fig = build.plot()
    t_ax, rh_ax = _air_axes(fig)
    assert max(np.max(ln.get_ydata()) for ln in rh_ax.get_lines()) == pytest.approx(80.0)
    plt.close(fig)
    fig = compare_figure([baked, build])
    _air_axes(fig)
    plt.close(fig)


def test_plots_define_the_four_stages(baked, build):
    from lacquersim.sim.figures import compare_figure

    for fig in (baked.plot(), build.plot(), compare_figure([baked, build])):
        text = _texts(fig)
        for st in STAGE_TABLE:
            assert f"{st.label}: {st.criterion}" in text
        plt.close(fig)


def test_compare_figure_overlays_each_recipe_with_its_marks(baked, build):
    from lacquersim.sim.figures import compare_figure

    raw = ls.simulate("japan-raw", n_cells=10)
    fig = compare_figure([baked, raw])
    marks = _marks(fig)
    text = _texts(fig)
    for i, r in enumerate((baked, raw), start=1):
        assert r.recipe.name in text
        for s in STAGES:
            if np.isfinite(r.stages[s]):
                assert marks[f"stage {i} {s}"] == pytest.approx(r.stages[s], abs=1e-9)
    plt.close(fig)


def test_plotting_every_bundled_recipe_draws_every_glyph(tmp_path):
    """No 'Glyph ... missing from font' warning (a character drawn as a box)."""
    from lacquersim.model.problem import N_CELLS_MIN
    from lacquersim.sim.figures import compare_figure

    results = []
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        for path in sorted(RECIPES.glob("*.yaml")):
            res = ls.simulate(path.stem, n_cells=N_CELLS_MIN)
            fig = res.plot()
            fig.savefig(tmp_path / f"{path.stem}.png", dpi=30)
            plt.close(fig)
            results.append(res)
        fig = compare_figure(results[:6])
        fig.savefig(tmp_path / "compare.png", dpi=30)
        plt.close(fig)
