"""The committed calibrated parameter set reproduces the validation targets (issue: calibration).

A model or parameter change that breaks the calibration fails here. The
qualitative targets of CALIBRATION.md are held by tests/test_physics.py with
the same (calibrated) materials library.
"""

from __future__ import annotations

import numpy as np
import pytest

import calibration as C
from lacquersim.model.materials import calibrated, get_material
from lacquersim.sweep import simulate_many


def _ratios(n_cells=30):
    out = simulate_many([C.q1_recipe(r) for r in C.Q1.index], n_cells=n_cells)
    pred = out[["set_to_touch", "tack_free", "dry_hard"]].to_numpy()
    meas = C.Q1[["DF", "TF", "HD"]].to_numpy()
    return pred / meas


def test_fitted_set_is_the_one_in_use_and_has_provenance():
    fit = calibrated()["vietnam"]
    mat = get_material("vietnam")
    for key, value in fit["parameters"].items():
        assert float(mat[key]) == pytest.approx(value)
    assert "experiments/calibrate.py" in mat.provenance and "Q1" in mat.provenance
    cov = np.array(fit["covariance"]["matrix"])
    assert cov.shape == (len(fit["parameters"]),) * 2 and np.all(np.diag(cov) > 0)


def test_q1_rows_within_calibration_targets():
    r = _ratios()
    assert np.all(np.isfinite(r))
    lr = np.abs(np.log(r))
    # fitted rows: median within a factor 1.25 for each stage, every row within 2
    assert np.all(np.median(lr, axis=0) <= np.log(1.25)), np.exp(np.median(lr, axis=0))
    assert lr.max() <= np.log(2.0)


def test_recorded_cross_validation_meets_target():
    cv = calibrated()["vietnam"]["cv_median_factor"]
    assert cv and all(v <= 1.5 for v in cv.values()), cv
