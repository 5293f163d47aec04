"""The compiled BDF solver: order of accuracy, batch = single runs, failures, cache guard."""

from __future__ import annotations

import platform

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy.linalg import expm

import lacquersim as ls
from lacquersim.kernels import _kernel_cache, bdf, linalg
from lacquersim.kernels import film
from lacquersim.kernels import layout
from lacquersim.sim.prepared import prepare
from lacquersim.sim.solver import BDFSolver, ScipySolver, _SparseJacobian
from lacquersim.sim.batch import simulate_many
from lacquersim.sweep import sweep
from lacquersim.model.schedule import air_max_rh_percent

from conftest import make_recipe


def _linear_problem(n_cells=10):
    """Reactions off, constant D, Henry isotherm: y' = A·y + b, solvable exactly."""
    rec = make_recipe(material="vietnam", thickness_um=80, water=20, monomer=80, hours=1)
    pr = prepare(rec, n_cells=n_cells).problem
    p = pr.params[0].copy()
    p[layout.P_REACT] = 0.0
    p[layout.P_BW] = 0.0
    p[layout.P_BO] = 0.0
    p[layout.P_ISOA], p[layout.P_ISON], p[layout.P_ISOB] = 0.05, 1.0, 0.0
    pr.params = [p]
    n = pr.n_state
    A = _SparseJacobian(pr.n_cells).dense(0.0, pr.y0, p, pr.dz)
    f0 = np.empty(n)
    film.rhs(0.0, np.zeros(n), p, pr.dz, f0)  # affine part b
    return pr, A, f0


def _exact(A, b, y0, t):
    # augmented matrix: d/dt [y; 1] = [[A, b], [0, 0]] [y; 1]
    n = y0.size
    M = np.zeros((n + 1, n + 1))
    M[:n, :n] = A
    M[:n, n] = b
    return (expm(M * t) @ np.append(y0, 1.0))[:n]


@pytest.mark.parametrize("n_cells", [50, 200])
def test_error_norm_is_the_fields_l2_norm_over_the_film(n_cells):
    """The kernel's error weights make its RMS norms the L2 norm of a field
    over the film, (1/L·∫e²dz)^½, on the mesh refined toward both faces
    (equal weights over-count the thin face cells: 0.465 here for 0.612)."""
    from lacquersim.model.problem import mesh

    dz = mesh(76.0, n_cells)
    L = dz.sum()
    z = np.cumsum(dz) - dz / 2
    n = layout.NF * n_cells + layout.NQ
    wt = np.empty(n)
    bdf.norm_weights(dz, n, wt)
    e = np.zeros(n)
    e[layout.F_PHI:layout.NF * n_cells:layout.NF] = np.sin(np.pi * z / L) ** 2
    inv = np.empty(n)
    bdf._inv_weights(np.zeros(n), np.ones(n), 1e-3, wt, inv)
    # the norm is over all n components, of which one field is non-zero here
    l2 = np.sqrt(bdf._rms_inv(e, inv) ** 2 * n / n_cells)
    assert l2 == pytest.approx(np.sqrt(3.0 / 8.0), rel=1e-3)
    assert np.mean(wt[:layout.NF * n_cells] ** 2) == pytest.approx(1.0, rel=1e-12)
    assert np.all(wt[layout.NF * n_cells:] == 1.0)
    bdf.norm_weights(np.full(n_cells, L / n_cells), n, wt)  # a uniform mesh: the plain norm
    np.testing.assert_allclose(wt, 1.0, rtol=1e-14)


@pytest.mark.parametrize("q", [1, 2])
def test_order_of_accuracy_on_a_linear_problem(q):
    """Global error against the exact (matrix exponential) solution falls as steps^-q."""
    pr, A, b = _linear_problem()
    T = pr.t_bounds[-1]
    y_ex = _exact(A, b, pr.y0, T)
    N = pr.n_cells
    sel = slice(0, 5 * N, 5)  # water field: the only one that moves
    steps, errs = [], []
    for rtol in (1e-3, 1e-4, 1e-5, 1e-6):
        tr = BDFSolver(rtol=rtol, max_order=q, atol=1e-14).integrate(pr)
        # relative to how far the water has moved (mid-desorption at 1 h)
        err = np.max(np.abs(tr.y_end[sel] - y_ex[sel])) / np.max(np.abs(pr.y0[sel] - y_ex[sel]))
        steps.append(tr.stats["steps"])
        errs.append(err)
    slope = np.polyfit(np.log(steps), np.log(errs), 1)[0]
    assert -q - 0.6 < slope < -q + 0.6, (q, steps, errs, slope)
    assert all(e2 < e1 for e1, e2 in zip(errs, errs[1:]))


def test_compiled_matches_scipy_radau_on_core_cases():
    for kw in (dict(material="vietnam"), dict(material="cashew", thickness_um=50, temperature_c=30),
               dict(material="japan", thickness_um=40,
                    steps=[dict(temperature_c=140, rh_percent=10, hours=2),
                           dict(temperature_c=25, rh_percent=50, hours=1)])):
        rec = make_recipe(**kw)
        a = ls.simulate(rec, n_cells=30, solver=BDFSolver())
        b = ls.simulate(rec, n_cells=30, solver=ScipySolver("Radau", rtol=1e-10))
        assert a.stages.isna().equals(b.stages.isna())
        ok = b.stages.notna()
        np.testing.assert_allclose(a.stages[ok], b.stages[ok], rtol=1e-4)
        np.testing.assert_allclose(a.wrinkle_index, b.wrinkle_index, rtol=1e-3)
        # dense output of the compiled solver is usable between steps
        h = a.history
        np.testing.assert_allclose(h.conversion_mean.iloc[-1], b.history.conversion_mean.iloc[-1], rtol=1e-4)


def test_batch_of_64_equals_64_single_runs():
    base = make_recipe(material="vietnam")
    recs = [base.with_values({"film.thickness_um": float(t), "drying.rh_percent": float(rh),
                              "drying.temperature_c": float(T)})
            for t in (30, 55, 80, 120) for rh in (50, 70, 85, 95) for T in (15, 25, 32, 45)]
    assert len(recs) == 64
    batch = simulate_many(recs, n_cells=20)
    single = np.array([ls.simulate(r, n_cells=20).stages.to_numpy() for r in recs])
    got = batch[list(ls.STAGES)].to_numpy()
    assert np.array_equal(np.isnan(got), np.isnan(single))
    assert np.array_equal(got[~np.isnan(got)], single[~np.isnan(single)])  # bit for bit
    assert (batch.status == "ok").all()


def test_one_failing_case_never_sinks_the_batch():
    base = make_recipe(material="vietnam", hours=24)
    recs = [base, base.with_values({"drying.rh_percent": 60.0}), base]
    out = simulate_many(recs, n_cells=12, max_steps=20)  # all run out of steps...
    assert (out.status == "too many steps").all()
    out = simulate_many(recs, n_cells=12)  # ...or none does
    assert (out.status == "ok").all()
    grid = sweep(base, {"film.thickness_um": [30.0, 500.0]}, n_cells=12)
    assert grid.status.iloc[0] == "ok"
    assert grid.status.iloc[1].startswith("invalid") and "thickness_um" in grid.status.iloc[1]
    assert np.isnan(grid.set_to_touch.iloc[1])


def test_compiled_solver_failures_are_solver_errors():
    rec = make_recipe(material="vietnam")
    with pytest.raises(ls.SolverError, match="too many steps") as ei:
        ls.simulate(rec, n_cells=10, solver=BDFSolver(max_steps=5))
    assert 0 < ei.value.time_h < 72
    pr = prepare(rec, n_cells=8).problem
    p = pr.params[0].copy()
    p[layout.P_KS] = np.nan
    pr.params = [p]
    with pytest.raises(ls.SolverError, match="non-finite"):
        BDFSolver().integrate(pr)


def test_kernel_cache_guard_drops_stale_kernels(tmp_path):
    for name in _kernel_cache.KERNEL_SOURCES:
        (tmp_path / name).write_text(f"# {name}\n")
    cache = tmp_path / "__pycache__"
    cache.mkdir()
    _kernel_cache.ensure_consistent(tmp_path)
    stale = cache / "bdf.integrate-1.py311.nbi"
    stale.write_text("x")
    assert not _kernel_cache.ensure_consistent(tmp_path)  # sources unchanged: kept
    assert stale.exists()
    (tmp_path / "film.py").write_text("# film.py changed\n")
    assert _kernel_cache.ensure_consistent(tmp_path)  # a callee changed: caller dropped
    assert not stale.exists()


def test_codegen_options_only_while_a_lacquersim_kernel_compiles(monkeypatch):
    """The LLVM options are set at the start of the outermost compilation of a
    lacquersim kernel (callees compile inside it), restored at its end, and
    other numba code never sees them."""
    from types import SimpleNamespace

    from numba.core import event

    calls = []
    listener = _kernel_cache._CodegenOptions()
    monkeypatch.setattr(listener, "_set", calls.append)

    def ev(kind, module):
        fn = SimpleNamespace(__module__=module)
        status = event.EventStatus.START if kind == "start" else event.EventStatus.END
        return event.Event("numba:compile", status, data={"dispatcher": SimpleNamespace(py_func=fn)})

    for kind, module in [("start", "user_code"), ("end", "user_code"),
                         ("start", "lacquersim.kernels.bdf"), ("start", "lacquersim.kernels.film"),
                         ("start", "user_code"), ("end", "user_code"),
                         ("end", "lacquersim.kernels.film"), ("end", "lacquersim.kernels.bdf"),
                         ("start", "lacquersim_ab.film"), ("end", "lacquersim_ab.film")]:
        listener.notify(ev(kind, module))
        if module == "lacquersim.kernels.bdf":
            assert calls == ([1] if kind == "start" else [1, 2])
    assert calls == [1, 2] and listener.depth == 0
    assert _kernel_cache.install_codegen_options() is _kernel_cache.install_codegen_options()


@pytest.mark.skipif(platform.machine().lower() not in ("x86_64", "amd64"),
                    reason="LLVM's own interleave count for the probe loop is known for x86 only")
def test_codegen_options_reach_llvm_and_are_restored():
    """The installed listener's options change the machine code of a loop
    compiled as part of lacquersim (a misspelt option would be ignored by
    LLVM without a word), and a loop compiled afterwards elsewhere gets
    LLVM's defaults again. The probe loop is interleaved 4 times by LLVM's
    own choice on x86, 2 times with the option."""
    import collections

    from numba import njit

    def packed_ops(module):
        def loop(a, b, out):
            for i in range(a.shape[0]):
                out[i] = a[i] * b[i] + 1.0
        loop.__module__ = module
        f = njit(loop)
        x = np.ones(64)
        f(x, x, np.empty(64))
        asm = next(iter(f.inspect_asm().values()))
        ops = [ln.split()[0] for ln in asm.splitlines() if ln.startswith("\t") and not ln.startswith("\t.")]
        return collections.Counter(o for o in ops if o.endswith(("pd", "ps")))

    _kernel_cache.install_codegen_options()
    before = packed_ops("probe_elsewhere")
    assert packed_ops("lacquersim.kernels._probe") != before
    assert packed_ops("probe_elsewhere") == before


def test_bad_tolerances_raise_instead_of_hanging():
    for bad in (0.0, -1e-6, float("nan")):
        with pytest.raises(ValueError, match="rtol"):
            BDFSolver(rtol=bad)
        with pytest.raises(ls.RecipeError, match="rtol"):
            simulate_many([make_recipe(material="vietnam")], rtol=bad)
    with pytest.raises(ls.SolverError):  # zero atol on states that start at 0: no step size
        ls.simulate(make_recipe(material="vietnam"), n_cells=8, solver=BDFSolver(atol=0.0))


def test_batch_runs_multicoat_recipes_as_builds():
    rec = ls.load_recipe("vietnam-kneaded-3-coats")
    row = simulate_many([rec], n_cells=12).iloc[0]
    single = ls.simulate(rec, n_cells=12)
    assert row.status == "ok"
    np.testing.assert_array_equal(row[list(ls.STAGES)].to_numpy(float), single.stages.to_numpy())


@pytest.mark.parametrize("order", [1, 2, 3, 4, 5])
def test_step_change_of_the_difference_array_equals_scipy(order):
    # the kernel rescales D with its own 6x6 product (no BLAS call, whose
    # CPU-specific kernel would make the lazy dense-output re-run machine-dependent)
    from scipy.integrate._ivp.bdf import change_D


    rng = np.random.default_rng(order)
    for factor in (0.2, 0.5, 0.93, 1.7, 10.0):
        D = rng.standard_normal((bdf.MAX_ORDER + 3, 40))
        want = D.copy()
        change_D(want, order, factor)
        got = D.copy()
        bdf._change_D(got, order, factor, np.zeros((bdf.MAX_ORDER + 4, 40)))
        scale = np.abs(want[: order + 1]).max()
        np.testing.assert_allclose(got[: order + 1], want[: order + 1], rtol=0, atol=1e-13 * scale)
        np.testing.assert_array_equal(got[order + 1:], D[order + 1:])  # rows above the order untouched


@pytest.mark.parametrize("hours", [0.01, 5.0, 40.0])
def test_block_linear_solve_equals_dense_solve(hours):
    """block_factor/block_solve = numpy's dense solve of (I − c·J)·x = r, at
    early, middle and late states and for small and very large c; and the
    off-diagonal Jacobian blocks only couple the transported rows, which the
    factorisation relies on."""

    rec = make_recipe(material="vietnam", thickness_um=76, water=30, monomer=70, hours=48)
    pr = prepare(rec, n_cells=20).problem
    y = ls.simulate(rec, n_cells=20, solver=ScipySolver("BDF", rtol=1e-6)).trajectory(hours * 3600.0)
    p, dz, N, n = pr.params[0], pr.dz, pr.n_cells, pr.n_state
    Dg, Lo, Up = (np.zeros((N, layout.NF, layout.NF)) for _ in range(3))
    Q = np.zeros((layout.NQ, layout.NF * N))
    film.jac_blocks(hours * 3600.0, y, p, dz, Dg, Lo, Up, Q)
    others = [k for k in range(layout.NF) if k not in linalg.TRANSPORTED]
    assert not Lo[:, others, :].any() and not Up[:, others, :].any()
    J = _SparseJacobian(N).dense(hours * 3600.0, y, p, dz)
    r = np.random.default_rng(1).normal(size=n)
    for c in (1e-2, 30.0, 3e4):
        F = linalg.factor_array(N)
        linalg.block_factor(Dg, Lo, Up, c, F)
        x = np.empty(n)
        qlo = np.zeros(layout.NQ, dtype=np.int64)
        linalg.q_first(Q, qlo)
        linalg.block_solve(F, Q, qlo, c, r, x)
        M = np.eye(n) - c * J
        assert np.linalg.norm(M @ x - r) <= 1e-9 * np.linalg.norm(r) * np.linalg.cond(M) ** 0.5, c


def test_rhs_with_reused_workspace_equals_rhs():
    """film.rhs_ws keeps the rate constants while the temperature stays: along
    a temperature ramp, and after a reset for another material, it must give
    rhs's bits."""
    rec = make_recipe(material="vietnam", thickness_um=76, water=30, monomer=70,
                      steps=[dict(temperature_c=20, end_temperature_c=60, rh_percent=70, hours=2)])
    other = make_recipe(material="cashew", thickness_um=76, water=30, monomer=70, hours=2)
    pr, pr2 = prepare(rec, n_cells=10).problem, prepare(other, n_cells=10).problem
    y = pr.y0.copy()
    n, N = pr.n_state, pr.n_cells
    kc = np.empty(layout.N_KC + 1)
    kc[layout.N_KC] = np.nan
    geo = np.empty((2, N))
    film.mesh_factors(pr.dz, geo)
    ws = (kc, np.empty(N), np.empty(N), np.empty((1, 1)), geo)
    a, b = np.empty(n), np.empty(n)
    for p, times in ((pr.params[0], (0.0, 0.0, 600.0, 600.0, 3600.0, 7200.0)), (pr2.params[0], (0.0, 10.0))):
        kc[layout.N_KC] = np.nan  # another parameter vector
        for t in times:
            film.rhs_ws(t, y, p, pr.dz, a, *ws)
            film.rhs(t, y, p, pr.dz, b)
            assert np.array_equal(a, b)


def test_jacobian_arrays_reused_across_calls_hold_no_stale_entries():
    """jac_blocks writes the same entries on every call and leaves the
    structural zeros alone: arrays reused across states (with reactions on
    and off) must equal a fresh zeroed call's."""
    rec = make_recipe(material="vietnam", thickness_um=76, water=30, monomer=70, hours=48)
    pr = prepare(rec, n_cells=12).problem
    tr = ls.simulate(rec, n_cells=12, solver=ScipySolver("BDF", rtol=1e-6)).trajectory
    N, dz = pr.n_cells, pr.dz
    p_on = pr.params[0]
    p_off = p_on.copy()
    p_off[layout.P_REACT] = 0.0

    def zeros():
        return [np.zeros((N, layout.NF, layout.NF)) for _ in range(3)] + [np.zeros((layout.NQ, layout.NF * N))]

    reused = zeros()
    for hours, p in ((30.0, p_on), (0.01, p_off), (2.0, p_on), (10.0, p_off), (0.5, p_on)):
        y = tr(hours * 3600.0)
        film.jac_blocks(hours * 3600.0, y, p, dz, *reused)
        fresh = zeros()
        film.jac_blocks(hours * 3600.0, y, p, dz, *fresh)
        for a, b in zip(reused, fresh):
            assert np.array_equal(a, b)


@pytest.mark.parametrize("N", [1, 2, 3, 4, 5, 8, 13])
def test_block_solve_on_random_systems(N):
    """block_factor/block_solve give numpy's dense solution for any cell
    count, down to one cell (random diagonally dominant blocks with the
    model's structural zeros, couplings to neighbours in the transported
    rows only, dense and sparse running-integral
    rows whose lengths are not multiples of the partial sums' eight)."""

    rng = np.random.default_rng(N)
    nf, nq = layout.NF, layout.NQ
    nc, n = nf * N, nf * N + nq
    Dg = rng.normal(size=(N, nf, nf)) - 6.0 * np.eye(nf)
    Lo, Up = (np.zeros((N, nf, nf)) for _ in range(2))
    Lo[1:, :2, :] = rng.normal(size=(N - 1, 2, nf))
    Up[:-1, :2, :] = rng.normal(size=(N - 1, 2, nf))
    for block, row, col in linalg.STRUCTURAL_ZEROS:  # which the factorisation skips
        for B in ((Dg,) if block == "D" else (Lo, Up)):
            B[:, row, col] = 0.0
    Q = rng.normal(size=(nq, nc))
    Q[0, : nc - 3] = 0.0  # a row with leading zeros, as the surface-flux rows
    Q[1, :5] = 0.0  # a dense row starting after the first cell
    J = np.zeros((n, n))
    for i in range(N):
        J[nf * i: nf * i + nf, nf * i: nf * i + nf] = Dg[i]
        if i > 0:
            J[nf * i: nf * i + nf, nf * (i - 1): nf * i] = Lo[i]
        if i < N - 1:
            J[nf * i: nf * i + nf, nf * (i + 1): nf * (i + 2)] = Up[i]
    J[nc:, :nc] = Q
    qlo = np.zeros(nq, dtype=np.int64)
    linalg.q_first(Q, qlo)
    r = rng.normal(size=n)
    for c in (1e-3, 0.7, 50.0):
        F = linalg.factor_array(N)
        linalg.block_factor(Dg, Lo, Up, c, F)
        x = np.empty(n)
        linalg.block_solve(F, Q, qlo, c, r, x)
        np.testing.assert_allclose(x, np.linalg.solve(np.eye(n) - c * J, r), rtol=1e-9, atol=1e-12)


@settings(max_examples=60, deadline=None)
@given(seed=st.integers(0, 2**32 - 1), temp_c=st.floats(2.0, 140.0), rh=st.floats(5.0, 98.0),
       material=st.sampled_from(["japan", "china", "vietnam", "vietnam-rainy", "vietnam-dry", "myanmar",
                                 "cashew"]))
def test_jacobian_has_the_structural_zeros_the_factorisation_skips(seed, temp_c, rh, material):
    """linalg.block_factor and block_solve leave out the Jacobian entries listed
    in linalg.STRUCTURAL_ZEROS (e lost at a rate set by e and phi only, no e in the
    side chains' rate, fluxes between cells free of e and of the other
    transported field). A model change that fills one must revisit them."""

    rh = min(rh, air_max_rh_percent(temp_c))  # air as it can be at 1 atm
    rec = make_recipe(material=material, thickness_um=50, temperature_c=temp_c, rh_percent=rh, water=20, monomer=70,
                      hours=1)
    N = 4
    pr = prepare(rec, n_cells=N).problem
    rng = np.random.default_rng(seed)
    y = np.zeros(pr.n_state)
    cells = y[: layout.NF * N].reshape(N, layout.NF)
    cells[:, layout.F_PHI] = rng.uniform(0.0, 0.6, N)
    cells[:, layout.F_C] = rng.uniform(0.0, 2.0, N)
    cells[:, layout.F_M:] = rng.uniform(0.0, 1.0, (N, 3))
    Dg, Lo, Up = (np.zeros((N, layout.NF, layout.NF)) for _ in range(3))
    film.jac_blocks(1800.0, y, pr.params[0], pr.dz, Dg, Lo, Up, np.zeros((layout.NQ, layout.NF * N)))
    assert np.abs(Dg).sum() > 0 and np.abs(Lo).sum() > 0
    for block, row, col in linalg.STRUCTURAL_ZEROS:
        arrays = (Dg,) if block == "D" else (Lo, Up)
        for B in arrays:
            assert not B[:, row, col].any(), (block, row, col)


@settings(max_examples=60, deadline=None)
@given(phi=st.floats(0.0, 0.6), o2=st.floats(0.0, 2.0), m=st.floats(0.0, 1.0), s=st.floats(0.0, 1.0),
       e=st.floats(0.0, 1.0), temp_c=st.floats(2.0, 140.0), material=st.sampled_from(["vietnam", "china", "cashew"]),
       log_c=st.floats(-3.0, 7.0))
def test_local_block_is_invertible_for_states_in_range(phi, o2, m, s, e, temp_c, material, log_c):
    """block_factor eliminates the cell-local fields (m, s, e) without pivoting
    against phi and c, so it needs det(I − c·J_LL) ≠ 0. For states in range
    the rate laws' sign pattern gives det ≥ 1; a change of the kinetics that
    breaks this must revisit the solver (bdf.py, static condensation)."""
    rec = make_recipe(material=material, thickness_um=50, temperature_c=temp_c, water=20, monomer=70, hours=1,
                      rh_percent=min(80.0, air_max_rh_percent(temp_c)))
    pr = prepare(rec, n_cells=3).problem
    y = np.zeros(pr.n_state)
    y[: 5 * 3] = np.tile([phi, o2, m, s, e], 3)
    Dg, Lo, Up = (np.zeros((3, layout.NF, layout.NF)) for _ in range(3))
    film.jac_blocks(0.0, y, pr.params[0], pr.dz, Dg, Lo, Up, np.zeros((layout.NQ, 15)))
    c = 10.0 ** log_c
    for i in range(3):
        A = np.eye(3) - c * Dg[i, 2:, 2:]
        assert np.linalg.det(A) >= 1.0 - 1e-9


def test_dense_output_is_built_on_first_use_and_reproduces_the_run():
    """simulate() stores no step until a history/profile is asked for; the
    re-run that builds it follows the same steps bit for bit."""
    rec = make_recipe(material="vietnam", thickness_um=60, water=30, monomer=70, hours=24)
    res = ls.simulate(rec, n_cells=20)
    traj = res.trajectory
    assert traj._segments is None
    y_end = traj.y_end.copy()
    hist = res.history
    assert traj._segments is not None and len(hist) > 200
    # the record keeps the difference array's D[0], a sum equal to y to rounding
    np.testing.assert_allclose(traj.segments[-1].ys[-1], y_end, rtol=1e-14, atol=1e-300)
    assert traj.segments[0].ts[0] == traj.t_start == 0.0


def test_schedule_of_jumps_ramps_and_air_changes_agrees_with_scipy():
    """Restarting at every boundary (jumps, ramp corners, a change of air),
    the compiled solver agrees with the scipy reference across a 3-day
    outdoor cycle and a hand-written schedule."""
    from lacquersim.model.schedule import Schedule, Step

    rec = ls.load_recipe("vietnam-kneaded-60")
    steps = Schedule((Step(25.0, 80.0, 3.0, 30.0, 70.0), Step(30.0, 70.0, 3.0, 22.0, 90.0),
                      Step(22.0, 90.0, 4.0), Step(28.0, 90.0, 3.0),
                      Step(28.0, 90.0, 30.0, air_speed_m_s=2.0)))
    for sched in (ls.Schedule.outdoor("viet-tri", month=7, days=3), steps):
        ref = ls.simulate(rec, sched, n_cells=20, solver=ScipySolver("BDF", rtol=1e-9)).stages
        got = ls.simulate(rec, sched, n_cells=20, solver=BDFSolver(rtol=1e-7)).stages
        assert ref.notna().sum() >= 3
        np.testing.assert_allclose(got.to_numpy(), ref.to_numpy(), rtol=2e-5)


def test_results_pickle_and_summaries_need_no_dense_output():
    """A result pickles (for process pools and caches) with its dense output
    still unbuilt; summary() and balances() at the end do not build it."""
    import pickle

    rec = make_recipe(material="vietnam", thickness_um=40, water=12.5, monomer=44.8, hours=12)
    res = ls.simulate(rec, n_cells=16)
    summ = res.summary()
    bal = res.balances()
    assert res.trajectory._segments is None
    back = pickle.loads(pickle.dumps(res))
    assert back.trajectory._segments is None
    pd_hist = back.history  # built after unpickling
    assert abs(pd_hist.water_mean_percent.iloc[-1] - summ["water_left_percent"]) < 1e-9
    assert abs(back.balances()["o2_residual"] - bal["o2_residual"]) < 1e-12
    np.testing.assert_array_equal(back.stages.to_numpy(), res.stages.to_numpy())
    quick = ls.simulate(rec, n_cells=16, solver=BDFSolver(dense=False))
    assert pickle.loads(pickle.dumps(quick)).summary()["stages_h"] == summ["stages_h"]


def test_dense_output_comes_from_copies_and_is_checked():
    """Changing the problem or the solver after the run does not change its
    history, and a re-run that disagrees raises a SolverError."""
    from lacquersim.errors import SolverError

    rec = make_recipe(material="vietnam", thickness_um=40, hours=0.3)
    pr = prepare(rec, n_cells=12).problem
    solver = BDFSolver()
    traj = solver.integrate(pr)
    pr.params[0][layout.P_KMASS] *= 3.0
    solver.max_order = 2
    np.testing.assert_allclose(traj.segments[-1].ys[-1], traj.y_end, rtol=1e-14, atol=1e-300)

    traj = BDFSolver().integrate(prepare(rec, n_cells=12).problem)
    traj._dense.expect[1][0] += 1e-9
    with pytest.raises(SolverError, match="did not reproduce"):
        traj.segments
    # the failure is remembered, not paid for again at every access
    calls = []
    rerun = traj._dense
    traj._dense = lambda: calls.append(1) or rerun()
    with pytest.raises(SolverError, match="did not reproduce"):
        traj.segments
    assert calls == []



def test_compiled_solver_restarts_at_every_schedule_boundary():
    """docs/model.md, "Drying schedule": a restart (order 1, fresh history) at each step boundary,
    also where a ramp continues into the next."""
    rec = ls.load_recipe("vietnam-kneaded-60")
    pr = prepare(rec, ls.Schedule.outdoor("viet-tri", month=7, days=3), n_cells=16).problem
    traj = BDFSolver(rtol=1e-6).integrate(pr)
    assert len(traj.segments) == len(pr.params) > 30
    assert all(seg.interpolants[0].order == 1 for seg in traj.segments)


def test_the_integral_powers_kernel_equals_the_general_one():
    """BDFSolver calls the kernel with general_powers=None when every segment
    has integral powers, so that only their cell loops compile (a shorter
    first run); it takes the same steps to the same bits as the kernel that
    chooses per segment at run time. Its check agrees with the kernels'."""
    from lacquersim.kernels import laws
    from lacquersim.sim.solver import default_atol, general_powers

    rec = make_recipe(material="vietnam", temperature_c=25, rh_percent=80, hours=48)
    pr = prepare(rec, n_cells=20).problem
    P = np.ascontiguousarray(np.vstack(pr.params))
    assert not general_powers(P) and all(laws.integral_powers(p) for p in P)
    n = pr.n_state
    outs = []
    for extra in ((), (None,)):
        y_end, stage_t, stats = np.empty(n), np.empty(4), np.zeros(bdf.N_STATS, dtype=np.int64)
        status = bdf.integrate(pr.y0.copy(), np.asarray(pr.t_bounds, dtype=float), P, pr.dz, 0, pr.n_cells,
                               1e-4, default_atol(pr, 1e-4), 100_000, 5, False, 1, y_end, stage_t,
                               np.empty(1), stats, np.zeros(1), np.empty(1), np.empty(1),
                               np.empty(1, dtype=np.int64), np.empty(1, dtype=np.int64),
                               np.empty((1, 6, n)), np.zeros(1, dtype=np.int64), *extra)[0]
        assert status == bdf.OK
        outs.append((y_end, stage_t, stats))
    for a, b in zip(*outs):
        assert np.array_equal(a, b, equal_nan=True)
    for name, value in (("P_NH", 10.5), ("P_NEX", 16.0), ("P_BO", -1.0), ("P_BW", np.nan)):
        q = P.copy()
        q[-1, getattr(layout, name)] = value
        assert general_powers(q) and not laws.integral_powers(q[-1])
