"""Where the solver's time goes: `python benchmarks/breakdown.py`.

Prints the figures that the README's "Where the time goes" cites, for the
50-cell Vietnamese raw case (72 h) at rtol 5e-5, a rung of the benchmark's
ladder (the case's reliable rung moves between builds, see history.jsonl):

1. cost per call of the kernel's parts (right-hand side, Jacobian, LU
   factorisation, linear solve, rescaling of the difference array), times
   their counts in one run, as shares of the bare kernel's time; also for
   200 cells at rtol 1e-4 (that case's rung in the latest records);
2. the Python around the kernel: ``simulate()`` against the bare kernel
   call, ``simulate()``'s and ``simulate_many``'s time (per recipe) with
   the kernel a no-op, and the bare kernel timed right after that Python
   (is it slower than back to back?);
3. how many steps fall in the first six minutes and the first hour, for
   lacquersim and for scipy's BDF at its benchmark rung;
4. whether the stage errors come from the solution or from locating the
   crossing: the stage times found by exact integration (Radau, rtol 1e-11)
   from the step point before each crossing, against lacquersim's;
5. the slow start of the fastest solver right after another one's run;
6. whether a one-step method of higher order would take fewer steps:
   scipy's Radau (order 5) against scipy's BDF and lacquersim on the
   50-cell raw, kneaded and cashew cases, steps, right-hand sides and LU
   factorisations per step, and stage error, over a few rtols.
"""

from __future__ import annotations

import time

import numpy as np
from numba import njit
from scipy.integrate import solve_ivp
from scipy.optimize import brentq

from ab import kernel_args  # benchmarks/ab.py: the bare kernel's argument list, kept in one place
from lacquersim.kernels import bdf
from lacquersim.kernels import linalg
from lacquersim.kernels import film
from lacquersim.kernels import layout
from benchmark import cases, reference_stages_s
from lacquersim.sim.prepared import prepare
from lacquersim.sim.simulation import simulate
from lacquersim.sim.solver import BDFSolver, ScipySolver
from lacquersim.sim.stages import indicator
from lacquersim.sim.batch import simulate_many

RTOL, SCIPY_RTOL = 5e-5, 1e-4


@njit
def _loop_rhs(m, t, y, p, dz, f):
    for _ in range(m):
        film.rhs(t, y, p, dz, f)


@njit
def _loop_jac(m, t, y, p, dz, Dg, Lo, Up, Q):
    for _ in range(m):
        film.jac_blocks(t, y, p, dz, Dg, Lo, Up, Q)


@njit
def _loop_factor(m, Dg, Lo, Up, c, F):
    for _ in range(m):
        linalg.block_factor(Dg, Lo, Up, c, F)


@njit
def _loop_solve(m, F, Q, qlo, c, r, x):
    for _ in range(m):
        linalg.block_solve(F, Q, qlo, c, r, x)


@njit
def _loop_change_D(m, D, W):
    for _ in range(m):
        bdf._change_D(D, 3, 1.0000001, W)
        bdf._change_D(D, 3, 1.0 / 1.0000001, W)


def _per_call(fn, args, calls=20000, per_iteration=1):
    fn(1, *args)
    t0 = time.perf_counter()
    fn(calls, *args)
    return (time.perf_counter() - t0) / (calls * per_iteration)


def _median(fn, k):
    fn()
    ts = []
    for _ in range(k):
        t0 = time.perf_counter()
        fn()
        ts.append(time.perf_counter() - t0)
    return float(np.median(ts))


def time_split(c, rtol=RTOL):
    pb = prepare(c["recipe"], c["schedule"], c["cells"]).problem
    N, n = c["cells"], pb.n_state
    res = simulate(c["recipe"], c["schedule"], N, solver=BDFSolver(rtol=rtol))
    y = res.state_at(5.0)  # a state in mid-drying
    p, dz = pb.params[0], pb.dz
    Dg, Lo, Up = (np.zeros((N, layout.NF, layout.NF)) for _ in range(3))
    Q = np.zeros((layout.NQ, layout.NF * N))
    film.jac_blocks(5 * 3600.0, y, p, dz, Dg, Lo, Up, Q)
    qlo = np.zeros(layout.NQ, dtype=np.int64)
    linalg.q_first(Q, qlo)
    F = linalg.factor_array(N)
    D = np.random.default_rng(0).random((bdf.MAX_ORDER + 3, n))
    W = np.zeros((bdf.MAX_ORDER + 4, max(n, 36)))
    cost = {
        "right-hand side": _per_call(_loop_rhs, (5 * 3600.0, y, p, dz, np.empty(n))),
        "Jacobian": _per_call(_loop_jac, (5 * 3600.0, y, p, dz, Dg, Lo, Up, Q), calls=5000),
        "LU factorisation": _per_call(_loop_factor, (Dg, Lo, Up, 100.0, F)),
        "linear solve": _per_call(_loop_solve, (F, Q, qlo, 100.0, np.random.rand(n), np.empty(n))),
        "rescaling D (order 3)": _per_call(_loop_change_D, (D, W), per_iteration=2),
    }
    a, out = kernel_args(bdf, pb, rtol)
    kernel = _median(lambda: bdf.integrate(*a), 200)
    stats = out["stats"]
    steps, nfev, njev, nlu = (int(stats[k]) for k in (bdf.S_STEPS, bdf.S_NFEV, bdf.S_NJEV, bdf.S_NLU))
    changes = nlu  # D is rescaled at each step-size change, which is also what refactors
    counts = {"right-hand side": nfev, "Jacobian": njev, "LU factorisation": nlu,
              "linear solve": nfev - 2 * len(pb.params), "rescaling D (order 3)": changes}
    print(f"1. {c['case']}, {N} cells, rtol {rtol:g}: bare kernel {kernel * 1e3:.3f} ms, "
          f"{steps} steps ({kernel / steps * 1e6:.1f} µs each), {nfev} right-hand sides, "
          f"{njev} Jacobians, {nlu} LU factorisations")
    rest = 1.0
    for k, v in cost.items():
        share = counts[k] * v / kernel
        rest -= share
        print(f"   {k:24s} {v * 1e6:6.2f} µs per call x {counts[k]:4d} = {share * 100:4.1f} %")
    print(f"   {'the rest (predictor, norms, step and order control, stages)':24s} {rest * 100:4.1f} %"
          " (rescalings counted as LU factorisations, an upper bound)")
    return pb, a


def python_overhead(c, pb, a):
    sim = _median(lambda: simulate(c["recipe"], c["schedule"], c["cells"], solver=BDFSolver(rtol=RTOL)).stages,
                  300)
    kernel = _median(lambda: bdf.integrate(*a), 300)
    print(f"2. simulate() {sim * 1e3:.3f} ms, bare kernel {kernel * 1e3:.3f} ms: "
          f"{(sim - kernel) * 1e3:.3f} ms around the kernel")

    def no_integrate(y0, tb, P, dz, i0, i1, rtol, atol, max_steps, max_order, store, max_records,
                     y_end, stage_t, stage_w, stats, fail, *records):
        stage_t[:] = 3600.0
        stage_w[:] = 0.1
        y_end[:] = y0
        stats[:] = 1
        return (bdf.OK,) + records[:5]

    real = bdf.integrate
    bdf.integrate = no_integrate  # solver.py calls it as bdf.integrate
    try:
        py = _median(lambda: simulate(c["recipe"], c["schedule"], c["cells"],
                                      solver=BDFSolver(rtol=RTOL)).stages, 2000)
    finally:
        bdf.integrate = real
    print(f"   simulate() with its kernel replaced by a no-op: {py * 1e6:.0f} µs of Python")

    def kernel_after_python():
        bdf.integrate = no_integrate
        try:
            simulate(c["recipe"], c["schedule"], c["cells"], solver=BDFSolver(rtol=RTOL)).stages
        finally:
            bdf.integrate = real
        t0 = time.perf_counter()
        real(*a)
        return time.perf_counter() - t0

    after = float(np.median([kernel_after_python() for _ in range(300)]))
    print(f"   the bare kernel right after that Python: {after * 1e3:.3f} ms (back to back {kernel * 1e3:.3f} ms); "
          f"left over: {(sim - after - py) * 1e6:.0f} µs (not measured directly: the Python run after "
          f"the kernel being slower than alone)")
    base = c["recipe"]
    rng = np.random.default_rng(0)
    recs = [base.with_values({"film.thickness_um": float(rng.uniform(30, 90)),
                              "drying.rh_percent": float(rng.uniform(65, 90))}) for _ in range(1000)]

    def no_kernel(Y0, TB, PP, DZ, rtol, ATOL, max_steps, stage_t, stage_w, y_end, stats, fail, status):
        stage_t[:] = 3600.0
        stage_w[:] = 0.1
        status[:] = bdf.OK

    from lacquersim.sim import batch

    real_batch = batch.bdf.integrate_batch
    batch.bdf.integrate_batch = no_kernel  # the Python alone: a subtraction of two batch times is too noisy
    try:
        whole = _median(lambda: simulate_many(recs, n_cells=c["cells"]), 5)
    finally:
        batch.bdf.integrate_batch = real_batch
    print(f"   simulate_many of {len(recs)} recipes with its kernel replaced by a no-op: "
          f"{whole / len(recs) * 1e6:.0f} µs of Python per recipe")


def start_up_steps(c):
    out = []
    for name, solver in (("lacquersim", BDFSolver(rtol=RTOL)), ("scipy BDF", ScipySolver("BDF", rtol=SCIPY_RTOL))):
        r = simulate(c["recipe"], c["schedule"], c["cells"], solver=solver)
        ts = np.concatenate([s.ts for s in r.trajectory.segments])
        out.append(f"{name} {np.sum((ts > 0) & (ts <= 360))} and {np.sum((ts > 0) & (ts <= 3600))} "
                   f"of {r.trajectory.stats['steps']}")
    print("3. steps in the first 6 min and the first hour: " + "; ".join(out))


def stage_error_source(c, pb, ref):
    print("4. stage errors (relative to scipy BDF at rtol 1e-10): lacquersim / exact from its step point")
    for rtol in (2e-4, 1e-4, 5e-5):
        r = simulate(c["recipe"], c["schedule"], c["cells"], solver=BDFSolver(rtol=rtol))
        st = r.stages.to_numpy() * 3600.0
        parts = []
        for k in range(4):
            seg = next(s for s in r.trajectory.segments if s.ts[0] <= st[k] <= s.ts[-1])
            j = max(int(np.searchsorted(seg.ts, st[k])) - 1, 0)
            ta, tb, ya = seg.ts[j], seg.ts[min(j + 1, len(seg.ts) - 1)], seg.ys[j]
            buf = np.empty_like(ya)

            def f(t, yy, p=seg.p):
                film.rhs(t, yy, p, pb.dz, buf)
                return buf.copy()

            sol = solve_ivp(f, (ta, tb * 1.01 + 60.0), ya, method="Radau", rtol=1e-11,
                            atol=1e-14 * np.maximum(1.0, np.abs(ya)), dense_output=True)

            def g(t, k=k, p=seg.p):
                return indicator(k, t, sol.sol(t), p, pb.dz, 0, len(pb.dz))

            tt = np.linspace(ta, sol.t[-1], 400)
            first = np.flatnonzero(np.array([g(t) for t in tt]) >= 0.0)[0]
            exact = brentq(g, tt[first - 1], tt[first], xtol=1e-6) if first > 0 else ta
            parts.append(f"{(st[k] - ref[k]) / ref[k]:+.1e} / {(exact - ref[k]) / ref[k]:+.1e}")
        print(f"   rtol {rtol:g}: " + " | ".join(parts))


def warm_up(c):
    def ours():
        return simulate(c["recipe"], c["schedule"], c["cells"], solver=BDFSolver(rtol=5e-4)).stages

    def theirs():
        return simulate(c["recipe"], c["schedule"], c["cells"], solver=ScipySolver("BDF", rtol=5e-4)).stages

    ours()
    T = np.zeros((8, 10))
    for r in range(8):
        theirs()
        for k in range(10):
            t0 = time.perf_counter()
            ours()
            T[r, k] = time.perf_counter() - t0
    runs = ", ".join(f"{v * 1e3:.2f}" for v in np.median(T, axis=0))
    print(f"5. {c['case']}: lacquersim's 1st to 10th run right after a scipy run (ms, median of 8): {runs}")


def radau_steps(cs, refs):
    print("6. steps (right-hand sides, LU factorisations per step) and stage error")
    for c, ref in zip(cs, refs):
        print(f"   {c['case']}")
        for name, make in (("scipy Radau", lambda rt: ScipySolver("Radau", rtol=rt)),
                           ("scipy BDF", lambda rt: ScipySolver("BDF", rtol=rt)),
                           ("lacquersim", lambda rt: BDFSolver(rtol=rt))):
            parts = []
            for rtol in (1e-3, 2e-4, 5e-5):
                r = simulate(c["recipe"], c["schedule"], c["cells"], solver=make(rtol))
                st = r.trajectory.stats
                err = np.nanmax(np.abs(r.stages.to_numpy() * 3600.0 - ref) / ref)
                parts.append(f"{rtol:g}: {st['steps']} ({st['nfev'] / st['steps']:.1f}, "
                             f"{st['nlu'] / st['steps']:.2f}) {err:.1e}")
            print(f"     {name:12s}" + " | ".join(parts))


def main():
    cs = cases((50,))
    raw, cashew = cs[0], cs[2]
    pb, a = time_split(raw)
    time_split(cases((200,))[0], rtol=1e-4)
    python_overhead(raw, pb, a)
    start_up_steps(raw)
    refs = [reference_stages_s(c) for c in (raw, cs[1], cashew)]  # item 4 and item 6 share raw's
    stage_error_source(raw, pb, refs[0])
    warm_up(cashew)
    radau_steps([raw, cs[1], cashew], refs)


if __name__ == "__main__":
    main()
