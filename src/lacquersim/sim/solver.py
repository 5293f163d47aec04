"""Stiff integrators for the film problem.

A solver turns a :class:`FilmProblem` (mesh, initial state, one parameter
vector per schedule segment) into a :class:`Trajectory`: per segment, the
accepted step times, the states there and a dense-output interpolant, which
the stage detector root-finds on. The integrator restarts at every segment
boundary and never steps across one.

:class:`ScipySolver` drives scipy's ``Radau``/``BDF`` step by step with the
numba right-hand side and the analytic block-tridiagonal Jacobian (as a sparse
matrix). It is the reference path; a fully compiled solver can replace it
behind the same ``integrate`` interface.
"""

from __future__ import annotations

import bisect
import copy
from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp
from scipy.integrate import BDF, LSODA, Radau

from lacquersim.kernels import bdf

from lacquersim.kernels import film

from lacquersim.kernels import layout
from lacquersim.errors import SolverError
from lacquersim.i18n import N_, _
from lacquersim.kernels.indicators import N_STAGES
from lacquersim.model.problem import FilmProblem

__all__ = ["FilmProblem", "Segment", "Trajectory", "BDFSolver", "ScipySolver", "default_atol"]

# The compiled integrator's status texts (bdf.STATUS_TEXT: the kernels import
# nothing of the package), marked here for translation
_STATUS_TEXT = {bdf.CAPACITY: N_("dense-output buffer full"), bdf.TOO_MANY_STEPS: N_("too many steps"),
                bdf.STEP_TOO_SMALL: N_("step size collapsed (Newton or error test kept failing)"),
                bdf.NON_FINITE: N_("non-finite state (NaN or inf) produced")}


@dataclass
class Segment:
    """Solution on one schedule segment."""

    ts: np.ndarray  # accepted step times, s, including the segment start
    ys: np.ndarray  # states at ts, shape (len(ts), n)
    interpolants: list  # callables valid on [ts[k], ts[k+1]]
    p: np.ndarray  # parameter vector of the segment

    def __call__(self, t: float) -> np.ndarray:
        k = min(max(bisect.bisect_right(self.ts, t) - 1, 0), len(self.interpolants) - 1)
        return self.interpolants[k](t)



def general_powers(P) -> bool:
    """Whether a row of the parameter vectors P lacks the kernels' integral
    powers (:func:`lacquersim.kernels.laws.integral_powers`, written out
    here so that no kernel compiles for it). Without them the compiled
    solver takes the general exp(a·ln x) forms; with them it is called so
    that it compiles only the integral ones (shorter first run)."""
    e = np.asarray(P, dtype=float)[:, [layout.P_NH, layout.P_NEX, layout.P_BO, layout.P_BW]]
    return not bool(np.all((e >= 0.0) & (e <= 15.0) & (e == np.floor(e))))

class Trajectory:
    """The solution over the whole schedule and the solver's statistics.

    A solver that locates the stages itself (the compiled BDF) also fills
    ``stage_times_s`` (4, NaN if not reached) and ``wrinkle_index``. Its
    dense output (``segments``) may be built lazily: ``dense`` is then a
    callable returning the segments, called on first use (histories,
    profiles, plots), so that a run that needs only stage times does not
    pay for storing every step.
    """

    def __init__(self, segments=None, stats=None, stage_times_s=None, wrinkle_index=float("nan"), *,
                 params=None, t_bounds=None, y_end=None, dense=None):
        if segments is None and dense is None:
            raise ValueError("a Trajectory needs its segments or a way to build them")
        self._segments = segments
        self._dense = dense
        self.stats = {} if stats is None else stats
        self.stage_times_s = stage_times_s
        self.wrinkle_index = wrinkle_index
        self._params = params
        self._t_bounds = None if t_bounds is None else np.asarray(t_bounds, dtype=float)
        self._y_end = y_end

    @property
    def segments(self) -> list:
        """Per schedule segment: step times, states and interpolants."""
        if self._segments is None:
            failed = getattr(self, "_dense_error", None)
            if failed is not None:
                # the re-run is deterministic: running it again would only
                # spend the same time to fail the same way
                raise failed
            try:
                self._segments = self._dense()
            except SolverError as exc:
                self._dense_error = exc
                raise
            self._dense = None
        return self._segments

    @property
    def params(self) -> list:
        """Parameter vector of each segment (available without the dense output)."""
        if self._params is not None:
            return self._params
        return [seg.p for seg in self.segments]

    def segment_at(self, t: float) -> Segment:
        for seg in self.segments:
            if t <= seg.ts[-1]:
                return seg
        return self.segments[-1]

    def __call__(self, t: float) -> np.ndarray:
        if self._y_end is not None and t == self.t_end:
            return self._y_end.copy()  # known without the dense output
        seg = self.segment_at(t)
        if t == seg.ts[-1]:
            return seg.ys[-1].copy()
        if t == seg.ts[0]:
            return seg.ys[0].copy()
        return seg(t)

    @property
    def t_start(self) -> float:
        if self._t_bounds is not None:
            return float(self._t_bounds[0])
        return float(self.segments[0].ts[0])

    @property
    def t_end(self) -> float:
        if self._t_bounds is not None:
            return float(self._t_bounds[-1])
        return float(self.segments[-1].ts[-1])

    @property
    def y_end(self) -> np.ndarray:
        if self._y_end is not None:
            return self._y_end
        return self.segments[-1].ys[-1]


def default_atol(problem: FilmProblem, rtol: float) -> np.ndarray:
    """Absolute tolerances per component: ``rtol``·1e-3 of each field's scale."""
    N = problem.n_cells
    p = problem.params[0]
    L = float(problem.dz.sum())
    scale = np.empty(problem.n_state)
    # broadcast into a view and Python floats: np.tile and numpy scalars cost
    # more than the rest of this function (it runs once per simulation)
    scale[: layout.NF * N].reshape(N, layout.NF)[:] = (0.1, max(float(p[layout.P_CSAT]), 1e-3), 1.0, 1.0, 1.0)
    o2 = max(float(p[layout.P_NUL]) * float(p[layout.P_CCAT]) + float(p[layout.P_NUS]) * float(p[layout.P_CDB]), 1.0) * L
    scale[layout.NF * N + layout.Q_O2_IN] = o2
    scale[layout.NF * N + layout.Q_O2_USED] = o2
    scale[layout.NF * N + layout.Q_VOL_OUT] = 0.1 * L
    scale[layout.NF * N + layout.Q_W_MADE] = 0.1 * L
    return rtol * 1e-3 * scale


class _SparseJacobian:
    """Assembles the kernel's block-tridiagonal Jacobian into a CSC matrix.

    The sparsity pattern (full 5×5 blocks on three block diagonals, plus the
    dense rows of the running integrals) is built once; each evaluation only
    permutes the kernel's flat output into the CSC data array.
    """

    def __init__(self, N: int):
        nf, nq = layout.NF, layout.NQ
        n = nf * N + nq
        self.N = N
        self.Dg = np.zeros((N, nf, nf))
        self.Lo = np.zeros((N, nf, nf))
        self.Up = np.zeros((N, nf, nf))
        self.Q = np.zeros((nq, nf * N))
        rows, cols = [], []
        kk, jj = np.meshgrid(np.arange(nf), np.arange(nf), indexing="ij")
        for i in range(N):  # Dg
            rows.append((nf * i + kk).ravel())
            cols.append((nf * i + jj).ravel())
        for i in range(N):  # Lo
            rows.append((nf * i + kk).ravel() if i > 0 else np.empty(0, int))
            cols.append((nf * (i - 1) + jj).ravel() if i > 0 else np.empty(0, int))
        for i in range(N):  # Up
            rows.append((nf * i + kk).ravel() if i < N - 1 else np.empty(0, int))
            cols.append((nf * (i + 1) + jj).ravel() if i < N - 1 else np.empty(0, int))
        qr, qc = np.meshgrid(nf * N + np.arange(nq), np.arange(nf * N), indexing="ij")
        rows.append(qr.ravel())
        cols.append(qc.ravel())
        rows = np.concatenate(rows).astype(np.int64)
        cols = np.concatenate(cols).astype(np.int64)
        # mask of which flat kernel entries are used (Lo[0], Up[N-1] are not)
        used = np.ones(3 * N * nf * nf + nq * nf * N, bool)
        used[N * nf * nf: N * nf * nf + nf * nf] = False  # Lo[0]
        used[3 * N * nf * nf - nf * nf: 3 * N * nf * nf] = False  # Up[N-1]
        self.used = used
        order = sp.coo_matrix((np.arange(rows.size, dtype=float) + 1, (rows, cols)), shape=(n, n)).tocsc()
        order.sort_indices()
        self.perm = order.data.astype(np.int64) - 1
        self.indices = order.indices
        self.indptr = order.indptr
        self.shape = (n, n)

    def __call__(self, t, y, p, dz):
        film.jac_blocks(t, y, p, dz, self.Dg, self.Lo, self.Up, self.Q)
        flat = np.concatenate([self.Dg.ravel(), self.Lo.ravel(), self.Up.ravel(), self.Q.ravel()])
        data = flat[self.used][self.perm]
        return sp.csc_matrix((data, self.indices, self.indptr), shape=self.shape)

    def dense(self, t, y, p, dz) -> np.ndarray:
        return self(t, y, p, dz).toarray()


_METHODS = {"Radau": Radau, "BDF": BDF, "LSODA": LSODA}


class ScipySolver:
    """Integrate with scipy's stiff methods, one schedule segment at a time.

    Parameters
    ----------
    method : {"Radau", "BDF"}
        scipy integrator. Radau (order 5) is the default; BDF at tight
        tolerance is the reference used in the tests.
    rtol : float
        Relative tolerance (default 1e-6).
    atol : float or array, optional
        Absolute tolerance; default :func:`default_atol`.
    max_steps : int
        Accepted steps allowed over the whole schedule before giving up.
    first_step_s : float
        Initial step, s; a small one lets the surface equilibrate smoothly.
    """

    def __init__(self, method: str = "Radau", rtol: float = 1e-6, atol=None,
                 max_steps: int = 200_000, first_step_s: float = 1e-3):
        if method not in _METHODS:
            raise ValueError(f"method must be one of {sorted(_METHODS)}, got {method!r}")
        self.method = method
        self.rtol = float(rtol)
        self.atol = atol
        self.max_steps = int(max_steps)
        self.first_step_s = float(first_step_s)

    def integrate(self, problem: FilmProblem) -> Trajectory:
        """Solve ``problem``; raise :class:`SolverError` if the integrator fails."""
        dz = np.ascontiguousarray(problem.dz, dtype=float)
        n = problem.n_state
        jac = _SparseJacobian(problem.n_cells)
        atol = default_atol(problem, self.rtol) if self.atol is None else self.atol
        y = np.array(problem.y0, dtype=float)
        segments = []
        stats = {"steps": 0, "nfev": 0, "njev": 0, "nlu": 0}
        for k, p in enumerate(problem.params):
            ta, tb = float(problem.t_bounds[k]), float(problem.t_bounds[k + 1])
            p = np.ascontiguousarray(p, dtype=float)
            buf = np.empty(n)

            def fun(t, yy, p=p, buf=buf):
                film.rhs(t, yy, p, dz, buf)
                return buf.copy()

            def jfun(t, yy, p=p):
                return jac(t, yy, p, dz)

            cls = _METHODS[self.method]
            kw = dict(rtol=self.rtol, atol=atol, first_step=min(self.first_step_s, tb - ta))
            kw["jac"] = jfun if self.method != "LSODA" else None
            integ = cls(fun, ta, y, tb, **kw)
            ts = [ta]
            ys = [y.copy()]
            interps = []
            n_cells_state = layout.NF * problem.n_cells
            f0 = fun(ta, y)
            if not np.all(np.isfinite(f0)):
                bad = int(np.flatnonzero(~np.isfinite(f0))[0])
                raise SolverError(f"non-finite right-hand side at the start of segment {k} "
                                  f"(component {bad}); a parameter is NaN, infinite or out of range",
                                  time_h=ta / 3600.0)
            while integ.status == "running":
                try:
                    msg = integ.step()
                except (RuntimeError, ValueError, ArithmeticError, np.linalg.LinAlgError) as exc:
                    # e.g. a singular iteration matrix inside scipy: not a result
                    raise SolverError(f"{self.method} step raised {type(exc).__name__}: {exc}",
                                      time_h=integ.t / 3600.0) from exc
                if integ.status == "failed":
                    raise SolverError(f"{self.method} failed ({msg}); step size collapsed — "
                                      "check the recipe for extreme values or loosen rtol",
                                      time_h=integ.t / 3600.0)
                stats["steps"] += 1
                # every cell field is of order one (c of order c_sat); scipy only
                # gives up when h reaches float spacing, so a runaway solution
                # would crawl on with tiny steps until max_steps
                if np.max(np.abs(integ.y[:n_cells_state])) > 1e6:
                    raise SolverError("solution running away (a field exceeded 1e6 times its physical "
                                      "range); step size collapsed — check the recipe for extreme values",
                                      time_h=integ.t / 3600.0)
                if not np.all(np.isfinite(integ.y)):
                    raise SolverError("non-finite state (NaN or inf) produced", time_h=integ.t / 3600.0)
                if stats["steps"] > self.max_steps:
                    raise SolverError(f"too many steps (> {self.max_steps}); "
                                      "raise max_steps or check the schedule", time_h=integ.t / 3600.0)
                ts.append(integ.t)
                ys.append(integ.y.copy())
                interps.append(integ.dense_output())
            stats["nfev"] += integ.nfev
            stats["njev"] += integ.njev
            stats["nlu"] += integ.nlu
            y = ys[-1].copy()
            segments.append(Segment(np.array(ts), np.array(ys), interps, p))
        return Trajectory(segments, stats)


def check_tolerances(rtol, atol=None):
    """rtol must be finite in (0, 0.1]; atol (scalar or array) finite and ≥ 0."""
    r = float(rtol)
    if not (np.isfinite(r) and 0.0 < r <= 0.1):
        raise ValueError(f"rtol must be > 0 and <= 0.1, got {rtol!r}")
    if atol is not None:
        a = np.asarray(atol, dtype=float)
        if not (np.all(np.isfinite(a)) and np.all(a >= 0.0)):
            raise ValueError(f"atol must be finite and >= 0, got {atol!r}")


class _BdfInterpolant:
    """Dense output of one compiled-BDF step (valid on [t − h_step, t])."""

    __slots__ = ("t", "h", "order", "D")

    def __init__(self, t, h, order, D):
        self.t, self.h, self.order, self.D = t, h, order, D

    def __call__(self, t):
        y = np.empty(self.D.shape[1])
        bdf.dense_eval(float(t), self.t, self.h, self.order, self.D, y)
        return y


class BDFSolver:
    """The compiled variable-order BDF of :mod:`lacquersim.bdf` (default solver).

    Everything — steps, Newton, Jacobian/LU reuse, restarts at schedule
    boundaries and stage root finding — runs in one numba call.

    Parameters
    ----------
    rtol : float
        Relative tolerance (default 1e-6).
    atol : float or array, optional
        Absolute tolerance; default :func:`default_atol`.
        Errors are measured in a norm that weights each cell by its width
        (:func:`lacquersim.bdf.norm_weights`: each field's L2 norm over the
        film), not as a plain mean over cells as :class:`ScipySolver`
        does (scipy's BDF takes one scalar rtol, so it cannot take this
        norm); the same rtol is therefore not the same accuracy in the two.
        The weights apply to ``atol`` too: the thin face cells' errors are
        held about 2.6× more loosely, the middle cells' 1.4× more tightly.
    max_steps : int
        Accepted steps allowed over the whole schedule.
    max_order : int
        Highest BDF order used (1–5, default 5).
    dense : bool
        Make the dense output available (``history``/``profiles``/``plot``);
        it is built on first use, so it costs nothing unless used. With
        False it is never built (sweeps that only need stage times).
    max_dense_bytes : float
        Memory the dense output may take (default 2 GiB); beyond it the run
        stops with a :class:`SolverError` rather than exhausting the machine.
    """

    def __init__(self, rtol: float = 1e-6, atol=None, max_steps: int = 200_000, dense: bool = True,
                 max_order: int = bdf.MAX_ORDER, max_dense_bytes: float = 2 * 2**30):
        if not 1 <= int(max_order) <= bdf.MAX_ORDER:
            raise ValueError(f"max_order must be 1 to {bdf.MAX_ORDER}, got {max_order!r}")
        check_tolerances(rtol, atol)
        self.rtol = float(rtol)
        self.atol = atol
        self.max_steps = int(max_steps)
        self.dense = bool(dense)
        self.max_order = int(max_order)
        self.max_dense_bytes = float(max_dense_bytes)

    def _clone(self):
        """An independent copy (deepcopy costs ~6 µs per simulation; only atol is mutable)."""
        clone = copy.copy(self)
        if clone.atol is not None:
            clone.atol = np.array(clone.atol, dtype=float)
        return clone

    def _atol(self, problem):
        if self.atol is None:
            return default_atol(problem, self.rtol)
        return np.broadcast_to(np.asarray(self.atol, dtype=float), (problem.n_state,)).copy()

    def integrate(self, problem: FilmProblem) -> Trajectory:
        """Solve ``problem``; raise :class:`SolverError` if the integrator fails.

        Only stage times, the final state and the statistics are computed
        here; with ``dense=True`` the dense output is produced on first use
        by running the (deterministic) kernel again with storage on, which
        gives the same steps bit for bit.
        """
        st, stage_t, stage_w, y_end, _rec = self._run(problem, store=False)
        params = [np.array(p, dtype=float) for p in problem.params]
        tb = np.array(problem.t_bounds, dtype=float)
        if self.dense:
            # the re-run works on copies: a problem or solver changed after
            # this call must not change the history of this result
            snapshot = FilmProblem(dz=np.array(problem.dz, dtype=float), y0=np.array(problem.y0, dtype=float),
                                   t_bounds=tb.copy(), params=[p.copy() for p in params],
                                   window=problem.window)
            rerun = _DenseRerun(self._clone(), snapshot, stage_t, y_end, st)
            return Trajectory(None, st, stage_t, stage_w, params=params, t_bounds=tb, y_end=y_end,
                              dense=rerun)
        n = problem.n_state
        segments = []
        for sg, p in enumerate(params):
            ts = np.array([tb[sg + 1]])
            ys = y_end[None, :].copy() if sg == len(params) - 1 else np.full((1, n), np.nan)
            segments.append(Segment(ts, ys, [_Constant(ys[-1])], p))
        return Trajectory(segments, st, stage_t, stage_w, params=params, t_bounds=tb, y_end=y_end)

    def _run(self, problem, store):
        n = problem.n_state
        dz = np.ascontiguousarray(problem.dz, dtype=float)
        P = np.ascontiguousarray(np.vstack(problem.params), dtype=float)
        tb = np.ascontiguousarray(problem.t_bounds, dtype=float)
        y0 = np.ascontiguousarray(problem.y0, dtype=float)
        atol = self._atol(problem)
        cap = 256 if store else 1
        # dense output keeps (order+1) difference rows per step: bound its memory
        max_records = max(cap, int(self.max_dense_bytes // ((bdf.MAX_ORDER + 1) * n * 8 + 32)))
        y_end = np.empty(n)
        stage_t = np.empty(N_STAGES)
        stage_w = np.empty(1)
        stats = np.zeros(bdf.N_STATS, dtype=np.int64)
        fail = np.zeros(1)
        rec_n = np.zeros(1, dtype=np.int64)
        status, rec_t, rec_h, rec_order, rec_seg, rec_D = bdf.integrate(
            y0, tb, P, dz, *problem.tracked, self.rtol, atol, self.max_steps, self.max_order, store,
            max_records,
            y_end, stage_t, stage_w, stats, fail,
            np.empty(cap), np.empty(cap), np.empty(cap, dtype=np.int64), np.empty(cap, dtype=np.int64),
            np.empty((cap, bdf.MAX_ORDER + 1, n)), rec_n, *(() if general_powers(P) else (None,)))
        if status != bdf.OK:
            cause = _(_STATUS_TEXT.get(status, bdf.STATUS_TEXT[status]))
            if status == bdf.TOO_MANY_STEPS:
                cause += " " + _("(> {n}); raise max_steps or check the schedule").format(
                    n=self.max_steps)
            elif status == bdf.STEP_TOO_SMALL:
                cause += "; " + _("check the recipe for extreme values or loosen rtol")
            elif status == bdf.CAPACITY:
                cause += " " + _("({size} GiB for {n} unknowns); use fewer cells, "
                                 "BDFSolver(dense=False) or a larger max_dense_bytes").format(
                                     size=f"{self.max_dense_bytes / 2**30:.3g}", n=n)
            raise SolverError(cause, time_h=float(fail[0]) / 3600.0)
        st = {"steps": int(stats[bdf.S_STEPS]), "nfev": int(stats[bdf.S_NFEV]),
              "njev": int(stats[bdf.S_NJEV]), "nlu": int(stats[bdf.S_NLU]),
              "rejected": int(stats[bdf.S_REJECT])}
        rec = (rec_t, rec_h, rec_order, rec_seg, rec_D, int(rec_n[0])) if store else None
        return st, stage_t.copy(), float(stage_w[0]), y_end, rec


class _Constant:
    """Interpolant of a segment without dense output: its end state."""

    __slots__ = ("y",)

    def __init__(self, y):
        self.y = y

    def __call__(self, t):
        return self.y.copy()


class _DenseRerun:
    """Builds a compiled run's dense output by running the kernel again with
    storage on, from copies of the problem and the solver (picklable).

    The kernel is deterministic, so the re-run takes the same steps; that is
    checked (stage times, final state and statistics bit for bit) rather
    than assumed.
    """

    def __init__(self, solver, problem, stage_t, y_end, stats):
        self.solver, self.problem = solver, problem
        self.expect = (stage_t.copy(), y_end.copy(), dict(stats))

    def __call__(self) -> list:
        st, stage_t, _w, y_end, rec = self.solver._run(self.problem, store=True)
        want_t, want_y, want_st = self.expect
        if not (np.array_equal(stage_t, want_t, equal_nan=True) and np.array_equal(y_end, want_y)
                and st == want_st):
            raise SolverError("the run that builds the dense output did not reproduce the first run",
                              time_h=float(self.problem.t_bounds[0]) / 3600.0)
        rec_t, rec_h, rec_order, rec_seg, rec_D, m = rec
        segments = []
        for sg, p in enumerate(self.problem.params):
            idx = np.flatnonzero(rec_seg[:m] == sg)
            ts = rec_t[idx].copy()
            ys = rec_D[idx, 0, :].copy()
            interps = [_BdfInterpolant(rec_t[r], rec_h[r], int(rec_order[r]),
                                       rec_D[r, : int(rec_order[r]) + 1]) for r in idx[1:]]
            if not interps:  # a segment with no step cannot happen (hours > 0), but be safe
                interps = [_Constant(ys[-1])]
            segments.append(Segment(ts, ys, interps, p))
        return segments
