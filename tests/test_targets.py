"""Every target of experiments/targets.py holds with the parameters as shipped.

One test per target (the kneading points, the refining target of Q1, every
craft range of docs/validation.md and every qualitative fact); all targets
are simulated once, as one batch, for the module.
"""

from __future__ import annotations

import math

import numpy as np
import pytest

import targets as T

TARGETS = T.targets()

# Targets the model does not meet yet, each with the reason (docs/validation.md lists them).
# strict: a target that starts to hold fails here until it is taken off that list.
KNOWN_FAILURES = T.KNOWN_FAILURES


@pytest.fixture(scope="module")
def evaluated():
    return T.evaluate(TARGETS).set_index("id")


def test_target_ids_are_unique_and_known_failures_are_targets():
    ids = [t.id for t in TARGETS]
    assert len(ids) == len(set(ids))
    assert set(KNOWN_FAILURES) <= set(ids)


@pytest.mark.parametrize("target", TARGETS, ids=[t.id for t in TARGETS])
def test_target_holds(evaluated, target, request):
    if target.id in KNOWN_FAILURES:
        request.applymarker(pytest.mark.xfail(reason=KNOWN_FAILURES[target.id][:120], strict=True))
    r = evaluated.loc[target.id]
    assert r.holds, (f"{target.text} ({target.source}): predicted {r.predicted:.4g}, "
                     f"wanted {'measured ' + format(r.measured, 'g') if r.kind == 'point' else ''}"
                     f"{'' if r.kind != 'range' else f'{r.low:g} to {r.high:g}'}"
                     f"{'a margin ≥ 0' if r.kind == 'check' else ''}")


def test_kneading_series_fits(evaluated):
    """Q1: median ratio within ×1.3, worst within ×1.6."""
    pts = evaluated[evaluated.kind == "point"]
    lr = np.abs(np.log(pts.predicted.to_numpy() / pts.measured.to_numpy()))
    assert len(pts) == 15 and np.all(np.isfinite(lr))
    assert math.exp(np.median(lr)) <= 1.3
    assert math.exp(lr.max()) <= 1.6


def test_a_range_target_can_fail():
    """The verdicts are not vacuous: sap heated to 80 °C must not dry, and with laccase
    that survives heat (k_d tiny, no unfolding) it does dry, and the target fails."""
    t = next(t for t in TARGETS if t.id == "sap heated to 80 °C")
    df = T.evaluate([t], {"k_d": 1e-6, "Ea_d": 120.0, "T_eq_laccase": 70.0, "dH_eq_laccase": 80.0})
    assert not df.holds.iloc[0] and np.isfinite(df.predicted.iloc[0])
