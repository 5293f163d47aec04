"""exp and log written out in arithmetic, so that loops over cells vectorise.

numba lowers ``math.exp``/``math.log`` to calls into the C library, and a
loop with a call in it is not vectorised (SVML, which would give vector
versions, is not part of pip's llvmlite). These versions are plain
polynomials and bit operations that LLVM turns into AVX code, 8 cells at a
time. In scalar code they are slower than libm (a longer dependency chain);
use them in loops meant to vectorise. Accuracy, checked in the tests: exp
within 1 ulp of libm, log within 2 ulp, over the normal range; NaN propagates.
exp returns 0 below −708 (where its result nears the subnormal range), log
is wrong for subnormal input (the film never gives it one).
"""

from __future__ import annotations

import math

import numpy as np
from llvmlite import ir
from numba import njit, types
from numba.core import cgutils
from numba.extending import intrinsic

from ._kernel_cache import ensure_consistent, install_codegen_options, use_prebuilt

# every compiled module of the kernels imports this one first
ensure_consistent()  # before any kernel is loaded from the on-disk cache
install_codegen_options()  # before any kernel compiles


def _bitcast(src, dst):
    """An intrinsic reinterpreting the bits of a ``src`` value as ``dst``."""

    @intrinsic
    def cast(typingctx, x):
        if x != src:
            return None

        def codegen(context, builder, sig, args):
            return builder.bitcast(args[0], context.get_value_type(dst))

        return dst(src), codegen

    return cast


_bits = _bitcast(types.float64, types.int64)  # float64 → int64 with the same bits
_float = _bitcast(types.int64, types.float64)  # and back


_LOG2E = 1.4426950408889634
# ln 2 split so that k·_LN2_HI is exact for |k| < 2^11 (Cody–Waite)
_LN2_HI = 6.93147180369123816490e-01
_LN2_LO = 1.90821492927058770002e-10
_SQRT2 = 1.4142135623730951
_X_MIN = -708.0  # below: the result is taken as 0 (true values < 3.3e-308)
_X_MAX = 709.782712893384  # log of the largest double: above, inf


@njit(cache=True, error_model="numpy", forceinline=True)
def exp(x):
    """e**x."""
    # comparisons written so that NaN passes through unchanged
    xc = x if not (x < _X_MIN) else _X_MIN
    xc = xc if not (xc > _X_MAX) else _X_MAX
    k = math.floor(xc * _LOG2E + 0.5)
    r = (xc - k * _LN2_HI) - k * _LN2_LO  # |r| <= ln2/2
    k = k if k == k else 0.0  # NaN: no poison in the integer conversion
    # Taylor series to r^13 (truncation < 1e-17 on |r| <= 0.347), by Estrin's
    # scheme: depth 4 instead of Horner's 13. The cell loop is bound by the
    # latency of its exp/log chains, not by their arithmetic
    r2 = r * r
    r4 = r2 * r2
    b0 = 0.5 + r * (1.0 / 6.0)
    b1 = 1.0 / 24.0 + r * (1.0 / 120.0)
    b2 = 1.0 / 720.0 + r * (1.0 / 5040.0)
    b3 = 1.0 / 40320.0 + r * (1.0 / 362880.0)
    b4 = 1.0 / 3628800.0 + r * (1.0 / 39916800.0)
    b5 = 1.0 / 479001600.0 + r * (1.0 / 6227020800.0)
    tail = (b0 + b1 * r2) + ((b2 + b3 * r2) + (b4 + b5 * r2) * r4) * r4
    p = 1.0 + (r + r2 * tail)  # the large terms last, for a 1-ulp result
    # 2p·2^(k−1): k = 1024 at the top of the range fits, and at the bottom
    # (k = −1021) no intermediate is subnormal
    v = (p * 2.0) * _float((np.int64(k) + 1022) << 52)
    v = v if not (x < _X_MIN) else 0.0
    return v if not (x > _X_MAX) else math.inf


@njit(cache=True, error_model="numpy", forceinline=True)
def log(x):
    """Natural log of x > 0 (normal numbers; 0 → −inf, x < 0 or NaN → NaN)."""
    b = _bits(x)
    e = (b >> 52) - 1023
    m = _float((b & 0x000FFFFFFFFFFFFF) | 0x3FF0000000000000)  # mantissa in [1, 2)
    big = m > _SQRT2
    m = m * 0.5 if big else m
    ef = float(e + 1) if big else float(e)
    # log m = 2·atanh(f), f = (m−1)/(m+1), |f| <= 0.172: series in f² to f^23
    f = (m - 1.0) / (m + 1.0)
    s = f * f
    # (Estrin, as in exp)
    s2 = s * s
    s4 = s2 * s2
    a0 = 1.0 / 3.0 + s * (1.0 / 5.0)
    a1 = 1.0 / 7.0 + s * (1.0 / 9.0)
    a2 = 1.0 / 11.0 + s * (1.0 / 13.0)
    a3 = 1.0 / 15.0 + s * (1.0 / 17.0)
    a4 = 1.0 / 19.0 + s * (1.0 / 21.0)
    q = (a0 + a1 * s2) + ((a2 + a3 * s2) + (a4 + s2 * (1.0 / 23.0)) * s4) * s4
    q = q * s * f
    v = ef * _LN2_HI + (f + f + (2.0 * q + ef * _LN2_LO))
    v = v if x < math.inf else x  # inf, NaN
    v = v if x > 0.0 else (-math.inf if x == 0.0 else math.nan)
    return v


@njit(cache=True, error_model="numpy", forceinline=True)
def ipow(x, n):
    """x**n for n integral in 0..15 (not checked: other n give x**floor(n)
    or garbage), by squaring: six multiplications, chained four deep,
    against an exp and a log for exp(n·ln x); relative error under n ulp
    (tests/test_vecmath.py). Negative x gives the signed power; x**0 is 1
    for any x, also NaN or inf, where exp(0·ln x) is NaN (a guard cost the
    kernel 2-3 %; a non-finite state stops the kernel anyway). Selects on n, not
    branches, so that loops over cells vectorise (n is the same for every
    cell)."""
    b8 = n >= 8.0
    n = n - 8.0 if b8 else n
    b4 = n >= 4.0
    n = n - 4.0 if b4 else n
    b2 = n >= 2.0
    n = n - 2.0 if b2 else n
    b1 = n >= 1.0
    b = x
    v = b if b1 else 1.0
    b = b * b
    v = v * (b if b2 else 1.0)
    b = b * b
    v = v * (b if b4 else 1.0)
    b = b * b
    v = v * (b if b8 else 1.0)
    return v


# ---------------------------------------------------------------------------
# Sums in eight lanes of a fixed order
# ---------------------------------------------------------------------------
# The norms and the dense rows of the linear solve sum in eight partial sums,
# s_k over the terms k, k+8, k+16, ... (then added pairwise in a fixed order),
# so that the result does not depend on the CPU's vector width. Written as
# eight scalar accumulators, LLVM kept them scalar (it vectorises a sum only
# when allowed to reorder it, i.e. with fastmath); here they are one LLVM
# vector of eight doubles, the same operations on the same terms in the same
# order per lane, hence the same bits, in vector instructions.
_V8 = ir.VectorType(ir.DoubleType(), 8)


def _lane_sums(square):
    @intrinsic
    def lane_sums(typingctx, a, b, lo, n8):
        if not (isinstance(a, types.Array) and isinstance(b, types.Array) and a.ndim == 1 and b.ndim == 1
                and a.dtype == types.float64 and b.dtype == types.float64 and a.layout == "C"
                and b.layout == "C" and isinstance(lo, types.Integer) and isinstance(n8, types.Integer)):
            return None
        sig = types.UniTuple(types.float64, 8)(a, b, lo, n8)

        def codegen(context, builder, sig, args):
            pa = context.make_array(sig.args[0])(context, builder, args[0]).data
            pb = context.make_array(sig.args[1])(context, builder, args[1]).data
            i64 = ir.IntType(64)
            start = context.cast(builder, args[2], sig.args[2], types.int64)
            count = context.cast(builder, args[3], sig.args[3], types.int64)
            acc = cgutils.alloca_once_value(builder, ir.Constant(_V8, [0.0] * 8))
            with cgutils.for_range(builder, count) as loop:
                j = builder.add(start, builder.mul(loop.index, ir.Constant(i64, 8)))
                va = builder.load(builder.bitcast(builder.gep(pa, [j]), _V8.as_pointer()), align=8)
                vb = builder.load(builder.bitcast(builder.gep(pb, [j]), _V8.as_pointer()), align=8)
                t = builder.fmul(va, vb)
                if square:
                    t = builder.fmul(t, t)
                builder.store(builder.fadd(builder.load(acc), t), acc)
            v = builder.load(acc)
            lanes = [builder.extract_element(v, ir.Constant(ir.IntType(32), k)) for k in range(8)]
            return context.make_tuple(builder, sig.return_type, lanes)

        return sig, codegen

    return lane_sums


# (s_0 … s_7) with s_k = Σ_i a[j]·b[j], j = lo + 8i + k, i < n8 (no bounds check)
dot_lanes = _lane_sums(False)
# (s_0 … s_7) with s_k = Σ_i (a[j]·b[j])², j = lo + 8i + k, i < n8 (no bounds check)
sumsq_lanes = _lane_sums(True)


use_prebuilt(globals())  # the shipped compiled kernels (_kernel_cache)
