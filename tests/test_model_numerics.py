"""Numerical contract (docs/solver.md): Jacobian, reference solver, limits, mesh."""

from __future__ import annotations

import numpy as np
import pytest
from scipy.integrate import solve_ivp
from numba import njit
from scipy.optimize import brentq

import lacquersim as ls
from lacquersim.kernels import film
from lacquersim.kernels import reactions
from lacquersim.kernels import laws
from lacquersim.kernels import layout
from lacquersim.sim.prepared import prepare
from lacquersim.sim.solver import ScipySolver, _SparseJacobian
from lacquersim.sim.stages import indicators

from conftest import make_recipe

CASES = [
    dict(material="vietnam"),
    dict(material="vietnam", water=5.2, monomer=50.2),
    dict(material="japan", thickness_um=40, temperature_c=30, rh_percent=75),
    dict(material="cashew", thickness_um=50, temperature_c=30, rh_percent=40),
    dict(material="china", thickness_um=25, temperature_c=20, rh_percent=85, hours=48),
]


def _fd_jacobian(t, y, p, dz):
    n = y.size
    J = np.zeros((n, n))
    fp, fm = np.empty(n), np.empty(n)
    for j in range(n):
        h = 1e-7 * max(abs(y[j]), 1e-3)
        yp, ym = y.copy(), y.copy()
        yp[j] += h
        ym[j] -= h
        film.rhs(t, yp, p, dz, fp)
        film.rhs(t, ym, p, dz, fm)
        J[:, j] = (fp - fm) / (2 * h)
    return J


@pytest.mark.parametrize("case,mods,t,dry_cells", [
    (dict(material="vietnam"), {}, 0.0, False),
    (dict(material="cashew", temperature_c=30, rh_percent=70), {}, 0.0, False),
    (dict(material="japan", water=10, monomer=60, temperature_c=140, rh_percent=10), {}, 0.0, False),
    (dict(material="vietnam", water=5, monomer=50, temperature_c=2, rh_percent=40), {}, 0.0, False),
    (dict(material="myanmar", temperature_c=35, rh_percent=95), {}, 0.0, False),
    # branches the bundled materials do not reach
    (dict(material="vietnam"), {"P_REACT": 0.0}, 0.0, False),  # reactions off
    (dict(material="vietnam"), {"P_D0": 0.0}, 0.0, False),  # laccase but no droplets
    (dict(material="vietnam"), {"P_ACRIT": 0.9}, 0.0, False),  # enzyme barely hydrated
    (dict(material="vietnam", water=5, monomer=50), {}, 0.0, True),  # cells below PHI_FLOOR
    (dict(material="vietnam"), {"P_TB": 310.0, "P_RHB": 0.5, "P_TSB": 7200.0}, 3000.0, False),  # ramp
    # exponents that are not small integers: the general exp(a·ln x) powers
    (dict(material="vietnam"), {"P_NH": 10.5, "P_NEX": 3.7, "P_BW": 2.3}, 0.0, False),
    (dict(material="vietnam"), {"P_NH": 16.0}, 0.0, False),
], ids=["vietnam", "cashew", "bake", "cold", "myanmar", "no-reactions", "no-droplets",
        "high-acrit", "below-floor", "ramp", "general-powers", "n_h-16"])
def test_analytic_jacobian_matches_finite_differences(case, mods, t, dry_cells):
    rec = make_recipe(**case)
    N = 7
    pr = prepare(rec, n_cells=N).problem
    p, dz = pr.params[0].copy(), pr.dz
    for name, value in mods.items():
        p[getattr(layout, name)] = value
    rng = np.random.default_rng(1)
    y = pr.y0.copy()
    # perturb away from the uniform start so every coupling is exercised
    y[: 5 * N] *= rng.uniform(0.3, 1.0, 5 * N)
    if dry_cells:
        y[0:15:5] = 0.5 * layout.PHI_FLOOR
    J = _SparseJacobian(N).dense(t, y, p, dz)
    Jfd = _fd_jacobian(t, y, p, dz)
    scale = np.abs(Jfd).max(axis=1, keepdims=True) + 1e-300
    assert np.max(np.abs(J - Jfd) / scale) < 1e-5
    # and entry by entry for every entry above 1e-3 of its row's largest
    # (the row maximum alone would hide a wrong reaction entry beside a big
    # transport one)
    assert np.max(np.abs(J - Jfd) / np.maximum(np.abs(Jfd), 1e-3 * scale)) < 1e-4
    # the pattern really is block tridiagonal with full blocks plus integral rows
    nz = np.abs(J[: 5 * N, : 5 * N]) > 0
    i, j = np.nonzero(nz)
    assert np.all(np.abs(i // 5 - j // 5) <= 1)
    # (not for a coat whose O2 diffusivity does not fall with conversion: cashew's, beta_O 0)
    assert nz[5 * 3 + 1, 5 * 4 + 3] or p[layout.P_BO] == 0.0, \
        "O2 flux must depend on the neighbour's conversion"


@pytest.mark.parametrize("case", CASES)
def test_stage_times_agree_with_scipy_reference(case):
    """solve_ivp (BDF, rtol 1e-10) vs the package solver at its defaults: ≤ 1e-4 relative."""
    rec = make_recipe(**case)
    res = ls.simulate(rec, n_cells=30)
    pr = prepare(rec, n_cells=30).problem
    p, dz = pr.params[0], pr.dz
    jac = _SparseJacobian(pr.n_cells)
    buf = np.empty(pr.n_state)

    def f(t, y):
        film.rhs(t, y, p, dz, buf)
        return buf.copy()

    sol = solve_ivp(f, (0.0, pr.t_bounds[-1]), pr.y0, method="BDF", rtol=1e-10,
                    atol=1e-16 + 1e-13 * np.abs(pr.y0).clip(1e-3), jac=lambda t, y: jac(t, y, p, dz),
                    dense_output=True)
    assert sol.success
    # reference stage times, located independently on the reference's dense output
    g = np.empty(4)
    ref = np.full(4, np.nan)
    t_prev = 0.0
    grid = sol.t
    for k in range(4):
        def gk(t):
            indicators(t, sol.sol(t), p, dz, 0, len(dz), g)
            return g[k]
        vals = np.array([gk(t) for t in grid[grid >= t_prev]])
        ts = grid[grid >= t_prev]
        if len(ts) == 0:
            break
        if vals[0] >= 0:
            ref[k] = t_prev if gk(t_prev) >= 0 else brentq(gk, t_prev, ts[0], xtol=1e-6)
        else:
            hit = np.nonzero(vals >= 0)[0]
            if len(hit) == 0:
                break
            ref[k] = brentq(gk, ts[hit[0] - 1], ts[hit[0]], xtol=1e-6)
        t_prev = ref[k]
    ref_h = ref / 3600.0
    got = res.stages.to_numpy()
    assert np.array_equal(np.isnan(got), np.isnan(ref_h))
    ok = ~np.isnan(ref_h)
    assert ok[0], "test case should reach at least set-to-touch"
    np.testing.assert_allclose(got[ok], ref_h[ok], rtol=1e-4)


def test_crank_plane_sheet_desorption():
    """Reactions off, constant D, linear isotherm: water loss = Crank's series (Robin boundary)."""
    rec = make_recipe(material="vietnam", thickness_um=50, water=20, monomer=80, hours=2)
    pr = prepare(rec, n_cells=80).problem
    p = pr.params[0].copy()
    L = pr.dz.sum()
    D = 1e-12
    A = 0.05
    beta = 3.0  # l·h/D
    h = beta * D / L
    p[layout.P_REACT] = 0.0
    p[layout.P_BW] = 0.0
    p[layout.P_DW0] = D
    p[layout.P_ISOA], p[layout.P_ISON], p[layout.P_ISOB] = A, 1.0, 0.0
    # gas coefficient such that flux = h·(phi − A·RH)
    p[layout.P_KMASS] = 1.0
    p[layout.P_KMASS] = h * A / laws.gas_coefficient(p[layout.P_TA], p)
    pr.params = [p]
    traj = ScipySolver(rtol=1e-8).integrate(pr)
    phi0 = pr.y0[0]
    phi_eq = A * p[layout.P_RHA]
    m_inf = L * (phi0 - phi_eq)
    # roots of b tan b = beta
    roots = [brentq(lambda b: b * np.tan(b) - beta, n * np.pi + 1e-9, n * np.pi + np.pi / 2 - 1e-9)
             for n in range(200)]
    roots = np.array(roots)
    N = pr.n_cells
    for t in [600.0, 1800.0, 3600.0, 7200.0]:
        series = 2 * beta**2 * np.exp(-roots**2 * D * t / L**2) / (roots**2 * (roots**2 + beta**2 + beta))
        crank = 1.0 - series.sum()
        y = traj(t)
        lost = y[5 * N + layout.Q_VOL_OUT] / m_inf
        held = 1.0 - pr.dz @ (y[0:5 * N:5] - phi_eq) / m_inf
        assert abs(lost - crank) < 2e-3, (t, lost, crank)
        assert abs(held - crank) < 2e-3


def test_well_mixed_zero_d_limit():
    """Thin film with fast diffusion: the cell average follows the 0-D ODE of one well-mixed cell."""
    rec = make_recipe(material="vietnam", thickness_um=5, water=10, monomer=60, hours=6)
    pr = prepare(rec, n_cells=12).problem
    p = pr.params[0].copy()
    p[layout.P_DO0] = 1e-6
    p[layout.P_DW0] = 1e-6
    p[layout.P_BO] = 0.0
    p[layout.P_BW] = 0.0
    pr.params = [p]
    traj = ScipySolver(rtol=1e-9).integrate(pr)
    L = pr.dz.sum()
    N = pr.n_cells
    dsrc = np.empty((5, 5))

    def f0(t, u):
        T, rh = laws.conditions(t, p)
        kc = np.empty(layout.N_KC)
        laws.rate_constants(T, p, kc)
        du = np.array(reactions.cell_reactions(*u, T, p, kc, False, dsrc))
        cs = laws.c_saturation(T, p)
        du[1] += p[layout.P_KO2] * (cs - u[1]) / L
        aw = laws.isotherm(u[0], p)[0]
        du[0] -= laws.gas_coefficient(T, p) * (aw - rh) / L
        return du

    u0 = pr.y0[:5]
    ref = solve_ivp(f0, (0, pr.t_bounds[-1]), u0, method="Radau", rtol=1e-10, atol=1e-14, dense_output=True)
    w = pr.dz / L
    for t in np.linspace(600, pr.t_bounds[-1], 6):
        y = traj(t)[: 5 * N].reshape(N, 5)
        mean = w @ y
        np.testing.assert_allclose(mean[[0, 2, 3, 4]], ref.sol(t)[[0, 2, 3, 4]], rtol=2e-4, atol=1e-7)
        np.testing.assert_allclose(mean[1], ref.sol(t)[1], rtol=2e-3)


@pytest.mark.parametrize("case", CASES[:4])
def test_mesh_convergence_50_vs_400_cells(case):
    # the default mesh (25 cells are 0.8 % off at the cashew coat's surface stages)
    rec = make_recipe(**case)
    coarse = ls.simulate(rec, n_cells=50).stages
    fine = ls.simulate(rec, n_cells=400).stages
    assert coarse.isna().equals(fine.isna())
    ok = fine.notna()
    assert ok.iloc[0]
    rel = (coarse[ok] - fine[ok]).abs() / fine[ok]
    assert (rel < 0.01).all(), rel


def test_balances_close():
    rec = make_recipe(material="vietnam")
    res = ls.simulate(rec, n_cells=30)
    for h in (1.0, 10.0, 72.0):
        b = res.balances(h)
        assert abs(b["o2_residual"]) < 1e-6
        assert abs(b["water_residual"]) < 1e-6
    assert res.balances()["o2_consumed_mol_m2"] > 0


@pytest.mark.parametrize("N", [3, 50])
def test_analytic_jacobian_matches_finite_differences_at_other_cell_counts(N):
    """The Jacobian's face loop and reactions at the smallest mesh and the default one."""
    rec = make_recipe(material="vietnam")
    pr = prepare(rec, n_cells=N).problem
    p, dz = pr.params[0], pr.dz
    y = pr.y0.copy()
    y[: 5 * N] *= np.random.default_rng(2).uniform(0.3, 1.0, 5 * N)
    J = _SparseJacobian(N).dense(0.0, y, p, dz)
    Jfd = _fd_jacobian(0.0, y, p, dz)
    scale = np.abs(Jfd).max(axis=1, keepdims=True) + 1e-300
    assert np.max(np.abs(J - Jfd) / np.maximum(np.abs(Jfd), 1e-3 * scale)) < 1e-4


def test_rhs_diffusion_matches_a_finite_volume_reference_on_an_uneven_mesh():
    """With reactions off, rhs is the finite-volume diffusion of water and O2
    (face diffusivity the mean of its cells', gradient over the distance of
    the cell centres, no flux into the substrate) plus the surface fluxes it
    reports: written out here in numpy on a random uneven mesh, so that a
    wrong mesh factor (film.mesh_factors) cannot hide behind rhs itself."""
    N = 9
    rec = make_recipe(material="vietnam")
    pr = prepare(rec, n_cells=N).problem
    p = pr.params[0].copy()
    p[layout.P_REACT] = 0.0
    rng = np.random.default_rng(3)
    dz = rng.uniform(0.5, 2.0, N) * pr.dz.mean()
    y = pr.y0.copy()
    y[: 5 * N] *= rng.uniform(0.5, 1.0, 5 * N)
    f = np.empty_like(y)
    film.rhs(0.0, y, p, dz, f)
    cells = y[: 5 * N].reshape(N, 5)
    alpha = np.array([laws.conversion(m, s, p)[0] for m, s in cells[:, [layout.F_M, layout.F_S]]])
    for fld, d0, beta, q in ((layout.F_PHI, layout.P_DW0, layout.P_BW, -f[5 * N + layout.Q_VOL_OUT]),
                             (layout.F_C, layout.P_DO0, layout.P_BO, f[5 * N + layout.Q_O2_IN])):
        D = p[d0] * np.exp(-p[beta] * alpha)
        u = cells[:, fld]
        flux = 0.5 * (D[:-1] + D[1:]) * np.diff(u) / (0.5 * (dz[:-1] + dz[1:]))  # face i+1/2, upward positive
        ref = np.zeros(N)
        ref[:-1] += flux / dz[:-1]
        ref[1:] -= flux / dz[1:]
        ref[-1] += q / dz[-1]  # the surface flux into the top cell
        np.testing.assert_allclose(f[fld: 5 * N: 5], ref, rtol=1e-12, atol=1e-12 * np.abs(ref).max())


@njit(error_model="numpy")
def _cells_both_ways(y, N, T, p, kc, ip):
    f, DO, DW = np.zeros(y.size), np.empty(N), np.empty(N)
    if ip:
        film._cells_int(y, N, T, p, kc, f, DO, DW, np.empty((1, 1)))
    else:
        film._cells(y, N, T, p, kc, f, DO, DW, np.empty((1, 1)))
    return f, DO, DW


@pytest.mark.parametrize("material", ["vietnam", "cashew", "japan", "myanmar"])
def test_integral_powers_agree_with_the_general_forms(material):
    """The bundled materials' n_h, n_ex, beta_O and beta_w are small integers,
    so the cells take a_w^n_h, (phi/phi_ex)^n_ex and exp(-beta·alpha) by
    squaring (film.integral_powers); the general exp(a·ln x) forms give the
    same sources and diffusivities to rounding, and other exponents select
    them."""
    N = 40
    pr = prepare(make_recipe(material=material), n_cells=N).problem
    p = pr.params[0]
    assert laws.integral_powers(p)
    y = pr.y0.copy()
    rng = np.random.default_rng(5)
    y[: 5 * N] *= rng.uniform(0.05, 1.0, 5 * N)
    y[0: 5 * N: 5] = np.geomspace(1e-6, 0.4, N)  # phi across dry and wet cells
    T, _ = laws.conditions(0.0, p)
    kc = np.empty(layout.N_KC + 1)
    laws.rate_constants(T, p, kc)
    assert kc[layout.K_IPOW] == 1.0
    assert kc[4] == pytest.approx(p[layout.P_ACRIT] ** p[layout.P_NH], rel=1e-14)
    fast = _cells_both_ways(y, N, T, p, kc, True)
    slow = _cells_both_ways(y, N, T, p, kc, False)
    for a, b in zip(fast, slow):
        np.testing.assert_allclose(a, b, rtol=1e-13, atol=1e-300)
    assert any(np.any(a != b) for a, b in zip(fast, slow))  # two forms, not one path twice
    # and rhs and the Jacobian take the integral form: the local fields' rows
    # (m, s, e: no transport) are the cells' own sources and reaction blocks
    f = np.empty_like(y)
    film.rhs(0.0, y, p, pr.dz, f)
    local = np.concatenate([np.arange(k, 5 * N, 5) for k in (layout.F_M, layout.F_S, layout.F_E)])
    assert np.array_equal(f[local], fast[0][local])
    Dg, Lo, Up = (np.zeros((N, 5, 5)) for _ in range(3))
    film.jac_blocks(0.0, y, p, pr.dz, Dg, Lo, Up, np.zeros((layout.NQ, 5 * N)))
    general = kc.copy()
    general[layout.K_IPOW] = 0.0  # cell_reactions then takes the exp(a·ln x) forms
    differs = False
    for i in range(N):
        u = [y[5 * i + k] for k in range(5)]
        blk, blk_general = np.zeros((5, 5)), np.zeros((5, 5))
        reactions.cell_reactions(*u, T, p, kc, True, blk)
        reactions.cell_reactions(*u, T, p, general, True, blk_general)
        assert np.array_equal(Dg[i, 2:], blk[2:])
        differs |= bool(np.any(blk[2:] != blk_general[2:]))
    assert differs or material == "cashew"  # cashew has no laccase: its blocks use neither power
    for name, value in (("P_NH", 10.5), ("P_NEX", 16.0), ("P_BO", -1.0), ("P_BW", np.nan)):
        q = p.copy()
        q[getattr(layout, name)] = value
        assert not laws.integral_powers(q)
