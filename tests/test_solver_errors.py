"""A solver failure is raised as SolverError naming the time and the cause, never returned as numbers."""

from __future__ import annotations

import numpy as np
import pytest

import lacquersim as ls
from lacquersim.kernels import layout
from lacquersim.sim.prepared import prepare
from lacquersim.sim.solver import BDFSolver, ScipySolver

from conftest import make_recipe


def test_too_many_steps():
    rec = make_recipe(material="vietnam")
    with pytest.raises(ls.SolverError) as ei:
        ls.simulate(rec, n_cells=10, solver=ScipySolver(max_steps=5))
    err = ei.value
    assert "too many steps" in err.cause
    assert 0 < err.time_h < 72
    assert "t = " in str(err) and " h" in str(err)


def test_non_finite_state():
    rec = make_recipe(material="vietnam")
    pr = prepare(rec, n_cells=8).problem
    p = pr.params[0].copy()
    p[layout.P_KS] = np.nan  # a corrupt parameter poisons the right-hand side
    pr.params = [p]
    with pytest.raises(ls.SolverError) as ei:
        ScipySolver().integrate(pr)
    assert ei.value.time_h >= 0
    assert "non-finite" in ei.value.cause or "failed" in ei.value.cause


# scipy's step-size selection computes norms of the runaway state itself
@pytest.mark.filterwarnings("ignore:overflow encountered:RuntimeWarning")
def test_blow_up_is_reported_with_its_time():
    rec = make_recipe(material="vietnam")
    pr = prepare(rec, n_cells=8).problem
    p = pr.params[0].copy()
    p[layout.P_KS] = -50.0  # negative rate constant: the side-chain field grows without bound
    pr.params = [p]
    # scipy's Radau crawls on with tiny steps: its step budget stops it
    for solver in (ScipySolver(max_steps=3000), BDFSolver()):
        with pytest.raises(ls.SolverError) as ei:
            solver.integrate(pr)
        assert 0 <= ei.value.time_h < 0.01  # it runs away within seconds
        assert any(w in ei.value.cause for w in ("step size collapsed", "non-finite", "too many steps"))


def test_solver_error_is_a_documented_lacquersim_error():
    assert issubclass(ls.SolverError, ls.LacquersimError)
    e = ls.SolverError("step size collapsed", time_h=3.25)
    assert e.time_h == 3.25 and "3.25 h" in str(e) and "step size collapsed" in str(e)
