"""The linear systems of the BDF steps, (I − c·J)·x = r, on the film's block structure (numba).

J is the film's Jacobian (:func:`.film.jac_blocks`): 5×5 blocks on three
block diagonals plus the dense rows of the running integrals. Solved by
static condensation: the cell-local fields are eliminated cell by cell, the
remaining 2×2 block-tridiagonal system in the transported fields by the
block Thomas algorithm, and the running-integral rows afterwards, since
nothing depends on them.
"""

from __future__ import annotations

import numpy as np
from numba import njit

from . import layout
from . import vecmath as vm
from ._kernel_cache import INTERNAL, use_prebuilt
from .layout import NF, NQ

# Neighbouring cells are coupled only through the transported fields (the
# fluxes of water/volatile and dissolved O2): the off-diagonal blocks Lo_i,
# Up_i are zero outside these two rows, which the factorisation exploits
# (test_block_linear_solve_equals_dense_solve checks it on jac_blocks).
TRANSPORTED = (layout.F_PHI, layout.F_C)
assert NF == 5 and TRANSPORTED == (0, 1)  # block_solve is written out for this layout


# Static condensation: the local fields (m, s, e) of a cell couple to nothing
# outside it; x_L = A⁻¹·(r_L − M_LT·x_T) eliminates them cell by cell (no
# dependency between cells), leaving a 2×2 block-tridiagonal sweep in (phi, c).
# No pivoting between local and transported fields: A = I − c·J_LL has
# det A ≥ 1 for states in range; an iterate out of range can make it
# singular, which fails Newton and shrinks the step, never a wrong result.
# The model's structural zeros below are skipped (they are exact zeros; a
# test checks them on jac_blocks for every material): docs/solver.md.
STRUCTURAL_ZEROS = (  # (block, row, column) of film.jac_blocks: "D" diagonal, "O" off-diagonal
    ("D", layout.F_E, layout.F_M), ("D", layout.F_E, layout.F_S), ("D", layout.F_E, layout.F_C),
    ("D", layout.F_S, layout.F_E),
    ("O", layout.F_PHI, layout.F_E), ("O", layout.F_C, layout.F_E),
    ("O", layout.F_PHI, layout.F_C), ("O", layout.F_C, layout.F_PHI),
)
# Per-cell slots of the factor array F (N, NFAC):
_AI = 0  # A⁻¹, A = M_LL (3×3, row-major; (e, m) and (e, s) are 0 and not used)
_S = 9  # S = A⁻¹·M_LT (3×2; (e, c) is 0 and not used)
_MTL = 15  # M_TL (2×3)
_MLL = 21  # (−c·Lo_i)[T, L] (2×3; the e column is 0 and not used)
_MUL = 27  # (−c·Up_i)[T, L] (2×3; the e column is 0 and not used)
_LP = 33  # reduced sub-diagonal L'_i = (−c·Lo_i)[T, T] − (−c·Lo_i)[T, L]·S_{i−1} (2×2)
_GI = 37  # inverse of the reduced pivot block G_i (2×2)
_W = 41  # W_i = G_i⁻¹·U'_i, U'_i = (−c·Up_i)[T, T] − (−c·Up_i)[T, L]·S_{i+1} (2×2)
NFAC = 45


def factor_array(N):
    """Storage for :func:`block_factor` on N cells."""
    return np.zeros((N, NFAC))


@njit(cache=True, error_model="numpy", forceinline=True, **INTERNAL)
def _local_factor(Dg, c, F, i):
    """Cell i's part of :func:`block_factor` that does not depend on other
    cells: A⁻¹, S, M_TL and the reduced diagonal (parked in the _GI slots)."""
    # A = [[a00, a01, a02], [a10, a11, 0], [0, 0, a22]] (STRUCTURAL_ZEROS):
    # the cofactor inverse with its zero terms left out
    a00 = 1.0 - c * Dg[i, 2, 2]
    a01 = -c * Dg[i, 2, 3]
    a02 = -c * Dg[i, 2, 4]
    a10 = -c * Dg[i, 3, 2]
    a11 = 1.0 - c * Dg[i, 3, 3]
    a22 = 1.0 - c * Dg[i, 4, 4]
    k00 = a11 * a22
    k10 = -(a10 * a22)
    det = a00 * k00 + a01 * k10
    if det == 0.0:
        det = 1e-300
    q = 1.0 / det
    i00, i10 = k00 * q, k10 * q
    i01 = -(a01 * a22) * q
    i02 = -(a02 * a11) * q
    i11 = (a00 * a22) * q
    i12 = (a02 * a10) * q
    i22 = (a00 * a11 - a01 * a10) * q
    F[i, _AI + 0], F[i, _AI + 1], F[i, _AI + 2] = i00, i01, i02
    F[i, _AI + 3], F[i, _AI + 4], F[i, _AI + 5] = i10, i11, i12
    F[i, _AI + 8] = i22
    # S = A⁻¹·M_LT, M_LT = −c·Dg[i][L, T] (its (e, c) entry is 0)
    l00, l01 = -c * Dg[i, 2, 0], -c * Dg[i, 2, 1]
    l10, l11 = -c * Dg[i, 3, 0], -c * Dg[i, 3, 1]
    l20 = -c * Dg[i, 4, 0]
    s00 = i00 * l00 + i01 * l10 + i02 * l20
    s01 = i00 * l01 + i01 * l11
    s10 = i10 * l00 + i11 * l10 + i12 * l20
    s11 = i10 * l01 + i11 * l11
    s20 = i22 * l20
    F[i, _S + 0], F[i, _S + 1], F[i, _S + 2] = s00, s01, s10
    F[i, _S + 3], F[i, _S + 4] = s11, s20
    t00, t01, t02 = -c * Dg[i, 0, 2], -c * Dg[i, 0, 3], -c * Dg[i, 0, 4]
    t10, t11, t12 = -c * Dg[i, 1, 2], -c * Dg[i, 1, 3], -c * Dg[i, 1, 4]
    F[i, _MTL + 0], F[i, _MTL + 1], F[i, _MTL + 2] = t00, t01, t02
    F[i, _MTL + 3], F[i, _MTL + 4], F[i, _MTL + 5] = t10, t11, t12
    # reduced diagonal D'_i = M_TT − M_TL·S, kept in the _GI slots until the sweep
    F[i, _GI + 0] = 1.0 - c * Dg[i, 0, 0] - (t00 * s00 + t01 * s10 + t02 * s20)
    F[i, _GI + 1] = -c * Dg[i, 0, 1] - (t00 * s01 + t01 * s11)
    F[i, _GI + 2] = -c * Dg[i, 1, 0] - (t10 * s00 + t11 * s10 + t12 * s20)
    F[i, _GI + 3] = 1.0 - c * Dg[i, 1, 1] - (t10 * s01 + t11 * s11)


@njit(cache=True, error_model="numpy")
def block_factor(Dg, Lo, Up, c, F):
    """Factor M = I − c·J (block tridiagonal part) into ``F`` (see NFAC).

    Lo_i and Up_i must vanish outside the rows :data:`TRANSPORTED`, and
    Dg, Lo, Up at :data:`STRUCTURAL_ZEROS` (those entries are not read: a
    matrix that fills one is solved wrongly, without an error). An
    exactly singular block is given a tiny determinant: the Newton iteration
    then fails its convergence test and the step is retried smaller, the
    right reaction to a singular iteration matrix.
    """
    N = Dg.shape[0]
    # each cell's local part is computed one cell ahead inside the block
    # Thomas sweep: it is independent work that the CPU overlaps with the
    # sweep's serial chain (as separate loops the chain's latency showed)
    _local_factor(Dg, c, F, np.int64(0))  # np.int64: see reactions._consume
    # the sequential part: block Thomas on the reduced 2×2 system
    w00 = w01 = w10 = w11 = 0.0
    for i in range(N):
        if i < N - 1:
            _local_factor(Dg, c, F, i + 1)
        g00, g01, g10, g11 = F[i, _GI + 0], F[i, _GI + 1], F[i, _GI + 2], F[i, _GI + 3]
        if i > 0:
            u = _reduced_coupling(Lo, i, i - 1, c, F, np.int64(_MLL))
            F[i, _LP + 0], F[i, _LP + 1], F[i, _LP + 2], F[i, _LP + 3] = u
            g00 -= u[0] * w00 + u[1] * w10
            g01 -= u[0] * w01 + u[1] * w11
            g10 -= u[2] * w00 + u[3] * w10
            g11 -= u[2] * w01 + u[3] * w11
        det = g00 * g11 - g01 * g10
        if det == 0.0:
            det = 1e-300
        q = 1.0 / det
        h00, h01, h10, h11 = g11 * q, -g01 * q, -g10 * q, g00 * q
        F[i, _GI + 0], F[i, _GI + 1], F[i, _GI + 2], F[i, _GI + 3] = h00, h01, h10, h11
        if i < N - 1:
            u = _reduced_coupling(Up, i, i + 1, c, F, np.int64(_MUL))
            w00 = h00 * u[0] + h01 * u[2]
            w01 = h00 * u[1] + h01 * u[3]
            w10 = h10 * u[0] + h11 * u[2]
            w11 = h10 * u[1] + h11 * u[3]
            F[i, _W + 0], F[i, _W + 1], F[i, _W + 2], F[i, _W + 3] = w00, w01, w10, w11


@njit(cache=True, error_model="numpy", forceinline=True, **INTERNAL)
def _reduced_coupling(B, i, k, c, F, slot):
    """(−c·B_i)[T, T] − (−c·B_i)[T, L]·S_k (2×2, row-major), and store
    (−c·B_i)[T, L] in F[i, slot:slot+6] for the solves (B's e column and
    off-diagonal [T, T] entries are STRUCTURAL_ZEROS, left out)."""
    b02, b03 = -c * B[i, 0, 2], -c * B[i, 0, 3]
    b12, b13 = -c * B[i, 1, 2], -c * B[i, 1, 3]
    F[i, slot + 0], F[i, slot + 1] = b02, b03
    F[i, slot + 3], F[i, slot + 4] = b12, b13
    s00, s01, s10 = F[k, _S + 0], F[k, _S + 1], F[k, _S + 2]
    s11 = F[k, _S + 3]
    return (-c * B[i, 0, 0] - (b02 * s00 + b03 * s10),
            -(b02 * s01 + b03 * s11),
            -(b12 * s00 + b13 * s10),
            -c * B[i, 1, 1] - (b12 * s01 + b13 * s11))


@njit(cache=True, error_model="numpy", forceinline=True, **INTERNAL)
def _local_rhs(F, i, r, b):
    """v_i = A_i⁻¹·r_L for the cell whose block starts at r[b] (A⁻¹'s
    (e, m), (e, s) entries are 0)."""
    r2, r3, r4 = r[b + 2], r[b + 3], r[b + 4]
    return (F[i, _AI + 0] * r2 + F[i, _AI + 1] * r3 + F[i, _AI + 2] * r4,
            F[i, _AI + 3] * r2 + F[i, _AI + 4] * r3 + F[i, _AI + 5] * r4,
            F[i, _AI + 8] * r4)


@njit(cache=True, error_model="numpy")
def block_solve(F, Qrow, qlo, c, r, x):
    """Solve (I − c·J)·x = r with the factors of :func:`block_factor`.

    The last NQ components (running integrals) have rows ``−c·Qrow`` and
    identity diagonal; their columns are empty. ``qlo`` from :func:`q_first`.
    """
    N = F.shape[0]
    # forward sweep on the reduced system, with v_i = A_i⁻¹·r_L computed one
    # cell ahead (independent work that overlaps the sweep's serial chain) and
    # parked in the local slots of x. Scalars throughout: with arrays the
    # compiler must reload after every store, as x might alias F
    v2, v3, v4 = _local_rhs(F, np.int64(0), r, np.int64(0))
    u2 = u3 = 0.0  # v of the cell below (its e entry meets a zero column)
    y0 = y1 = 0.0
    for i in range(N):
        b = NF * i
        x[b + 2], x[b + 3], x[b + 4] = v2, v3, v4
        z0 = r[b] - (F[i, _MTL + 0] * v2 + F[i, _MTL + 1] * v3 + F[i, _MTL + 2] * v4)
        z1 = r[b + 1] - (F[i, _MTL + 3] * v2 + F[i, _MTL + 4] * v3 + F[i, _MTL + 5] * v4)
        w2 = w3 = w4 = 0.0
        if i < N - 1:
            w2, w3, w4 = _local_rhs(F, i + 1, r, b + NF)
            z0 -= F[i, _MUL + 0] * w2 + F[i, _MUL + 1] * w3
            z1 -= F[i, _MUL + 3] * w2 + F[i, _MUL + 4] * w3
        if i > 0:
            z0 -= (F[i, _MLL + 0] * u2 + F[i, _MLL + 1] * u3
                   + F[i, _LP + 0] * y0 + F[i, _LP + 1] * y1)
            z1 -= (F[i, _MLL + 3] * u2 + F[i, _MLL + 4] * u3
                   + F[i, _LP + 2] * y0 + F[i, _LP + 3] * y1)
        y0 = F[i, _GI + 0] * z0 + F[i, _GI + 1] * z1
        y1 = F[i, _GI + 2] * z0 + F[i, _GI + 3] * z1
        x[b], x[b + 1] = y0, y1
        u2, u3 = v2, v3
        v2, v3, v4 = w2, w3, w4
    # backward sweep, then the local fields from the transported ones
    x0, x1 = y0, y1
    for i in range(N - 1, -1, -1):
        b = NF * i
        if i < N - 1:
            x0, x1 = (x[b] - (F[i, _W + 0] * x0 + F[i, _W + 1] * x1),
                      x[b + 1] - (F[i, _W + 2] * x0 + F[i, _W + 3] * x1))
            x[b], x[b + 1] = x0, x1
        x[b + 2] -= F[i, _S + 0] * x0 + F[i, _S + 1] * x1
        x[b + 3] -= F[i, _S + 2] * x0 + F[i, _S + 3] * x1
        x[b + 4] -= F[i, _S + 4] * x0
    nc = NF * N
    for q in range(NQ):
        x[nc + q] = r[nc + q] + c * _row_dot(Qrow, q, qlo[q], nc, x)


@njit(cache=True, error_model="numpy", forceinline=True, **INTERNAL)
def _row_dot(A, q, lo, hi, x):
    """Σ A[q, j]·x[j] over j in [lo, hi), in eight partial sums of a fixed
    order (as :func:`_rms_inv`, the lanes of :func:`vecmath.dot_lanes`): two
    of the running-integral rows are dense; as one chain of dependent
    additions they took 45 % of a solve, and eight scalar sums compiled
    to scalar code."""
    n8 = (hi - lo) // 8
    s0, s1, s2, s3, s4, s5, s6, s7 = vm.dot_lanes(A[q], x, lo, n8)
    for j in range(lo + 8 * n8, hi):
        s0 += A[q, j] * x[j]
    return ((s0 + s1) + (s2 + s3)) + ((s4 + s5) + (s6 + s7))


@njit(cache=True, error_model="numpy")
def q_first(Qrow, qlo):
    """qlo[q] = first non-zero column of running-integral row q: the surface
    fluxes depend on the top cell only, so two of the four rows are nearly
    empty and :func:`block_solve` skips their leading zeros."""
    for q in range(Qrow.shape[0]):
        j = 0
        while j < Qrow.shape[1] and Qrow[q, j] == 0.0:
            j += 1
        qlo[q] = j


use_prebuilt(globals())  # the shipped compiled kernels (_kernel_cache)
