"""The arithmetic exp/log the cell loop uses agree with the C library."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from numba import njit

from conftest import make_recipe
from lacquersim.kernels import vecmath


@njit(error_model="numpy")
def _exp_all(x, out):
    for i in range(x.size):
        out[i] = vecmath.exp(x[i])


@njit(error_model="numpy")
def _log_all(x, out):
    for i in range(x.size):
        out[i] = vecmath.log(x[i])


def _ulps(got, ref):
    return np.abs(got - ref) / np.spacing(np.abs(ref))


@njit(error_model="numpy")
def _ipow_all(x, n, out):
    for i in range(x.size):
        out[i] = vecmath.ipow(x[i], n)


@pytest.mark.parametrize("n", range(16))
def test_ipow_within_n_ulp_of_the_exact_power(n):
    from fractions import Fraction

    x = np.concatenate([np.random.default_rng(n).uniform(1e-3, 10.0, 1500),
                        np.exp(np.random.default_rng(n + 16).uniform(-40.0, 40.0, 500)), [1.0, 0.5, 2.0]])
    out = np.empty_like(x)
    _ipow_all(x, float(n), out)
    exact = np.array([float(Fraction(v) ** n) for v in x])  # correctly rounded
    assert _ulps(out, exact).max() <= max(n, 0.5)
    odd = n % 2 == 1
    special = np.array([-2.0, 0.0, np.inf, -np.inf, np.nan])
    out = np.empty_like(special)
    _ipow_all(special, float(n), out)
    assert out[0] == (-(2.0 ** n) if odd else 2.0 ** n)
    assert out[1] == (0.0 if n else 1.0)
    if n == 0:  # 1 for any x (exp(0·ln x) would be NaN for these)
        assert (out[2:] == 1.0).all()
    else:
        assert out[2] == np.inf and out[3] == (-np.inf if odd else np.inf) and np.isnan(out[4])


def test_exp_within_one_ulp_over_the_normal_range():
    x = np.concatenate([np.random.default_rng(0).uniform(-708.0, 709.78, 200_000),
                        np.random.default_rng(1).uniform(-1.0, 1.0, 100_000),
                        np.random.default_rng(3).uniform(-708.0, -700.0, 100_000),  # near the bottom
                        np.random.default_rng(4).uniform(700.0, 709.78, 100_000), [0.0, -0.0, 1.0, -1.0]])
    out = np.empty_like(x)
    _exp_all(x, out)
    assert _ulps(out, np.exp(x)).max() <= 1.0


def test_log_within_two_ulp_over_the_normal_range():
    rng = np.random.default_rng(2)
    x = np.concatenate([np.exp(rng.uniform(-700.0, 700.0, 200_000)), rng.uniform(0.5, 2.0, 100_000),
                        [1.0, 2.0, 0.5, np.finfo(float).tiny, np.finfo(float).max]])
    out = np.empty_like(x)
    _log_all(x, out)
    ref = np.log(x)
    nz = ref != 0.0
    assert _ulps(out[nz], ref[nz]).max() <= 2.0
    assert out[~nz].tolist() == [0.0]


@pytest.mark.parametrize("x, want", [(np.nan, np.nan), (np.inf, np.inf), (-np.inf, 0.0), (710.0, np.inf),
                                     (-709.0, 0.0), (-1e300, 0.0), (1e300, np.inf)])
def test_exp_special_values(x, want):
    out = np.empty(1)
    _exp_all(np.array([x]), out)
    np.testing.assert_equal(out[0], want)


@pytest.mark.parametrize("x, want", [(np.nan, np.nan), (np.inf, np.inf), (0.0, -np.inf), (-1.0, np.nan),
                                     (-np.inf, np.nan)])
def test_log_special_values(x, want):
    out = np.empty(1)
    _log_all(np.array([x]), out)
    np.testing.assert_equal(out[0], want)


@settings(max_examples=300, deadline=None)
@given(st.floats(min_value=1e-300, max_value=1e300))
def test_exp_of_log_round_trips(x):
    lx, ex = np.empty(1), np.empty(1)
    _log_all(np.array([x]), lx)
    _exp_all(lx, ex)
    assert abs(ex[0] - x) <= 1e-13 * x


@pytest.mark.skipif(__import__("platform").machine().lower() not in ("x86_64", "amd64"),
                    reason="checks x86 packed instructions")
def test_the_cell_loop_of_the_right_hand_side_vectorises():
    """film.rhs spends most of its time in the loop over cells; it is written
    (vecmath, selects, no running sums, no loads under branches) so that LLVM
    vectorises it. A change that breaks this costs ~2× in the right-hand side
    and would otherwise only show in the benchmark."""
    import re

    from lacquersim.kernels import film
    from lacquersim.sim.prepared import prepare

    fresh = njit(error_model="numpy")(film.rhs.py_func)  # cached code cannot be inspected
    pr = prepare(make_recipe(material="vietnam", thickness_um=60, water=30, monomer=70, hours=1),
                       n_cells=20).problem
    out = np.empty(pr.n_state)
    fresh(0.0, pr.y0, pr.params[0], pr.dz, out)
    asm = "\n".join(fresh.inspect_asm().values())
    # packed double divisions exist only if the reactions loop was vectorised
    assert len(re.findall(r"\bv?divpd\b", asm)) >= 4


@njit(error_model="numpy")
def _scalar_lanes(a, b, lo, n8, square):
    """The eight partial sums written out as scalars (what the lane sums replaced)."""
    s = np.zeros(8)
    for i in range(n8):
        for k in range(8):
            t = a[lo + 8 * i + k] * b[lo + 8 * i + k]
            s[k] += t * t if square else t
    return s


@njit(error_model="numpy")
def _vector_lanes(a, b, lo, n8, square):
    s = np.empty(8)
    if square:
        s[0], s[1], s[2], s[3], s[4], s[5], s[6], s[7] = vecmath.sumsq_lanes(a, b, lo, n8)
    else:
        s[0], s[1], s[2], s[3], s[4], s[5], s[6], s[7] = vecmath.dot_lanes(a, b, lo, n8)
    return s


@pytest.mark.parametrize("square", [False, True])
def test_lane_sums_equal_eight_scalar_partial_sums_bit_for_bit(square):
    """dot_lanes/sumsq_lanes (one LLVM vector of eight sums) give the same bits
    as eight scalar accumulators over the same terms, at any start offset
    (unaligned loads) and length, including none; the norms that steer the
    steps rely on it."""
    rng = np.random.default_rng(7)
    a = rng.normal(size=301) * np.exp(rng.uniform(-30, 30, size=301))
    b = rng.normal(size=301)
    for lo in (0, 1, 3, 8, 13):
        for n8 in (0, 1, 2, 5, (301 - lo) // 8):
            got = _vector_lanes(a, b, lo, n8, square)
            ref = _scalar_lanes(a, b, lo, n8, square)
            assert np.array_equal(got, ref), (lo, n8)
    nan = a.copy()
    nan[17] = np.nan
    assert np.isnan(_vector_lanes(nan, b, 0, 4, square)[1])  # term 17 is lane 1's
