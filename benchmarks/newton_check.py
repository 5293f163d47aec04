"""How far from converged are the steps that pass Newton on a trusted rate: `python benchmarks/newton_check.py`.

The kernel lets a step stop after one Newton iteration when the contraction
rate measured earlier with the same LU (CVODE's crate) says the remaining
correction is below NEWTON_TOL. The rate is not measured again in that
step, so if it has grown (the Jacobian ages within a block of steps) the
accepted state is further from the BDF solution than the tolerance, and
the error test, which sees only the correction, does not notice.

This tool measures it: it exports the working tree's package into a
temporary directory, patches its bdf.integrate to compute, after every
step accepted on one iteration with a trusted rate, the next Newton
correction (one more right-hand side and solve; the step itself is not
changed) and prints per benchmark case its distribution in the
error-weighted norm (the Newton tolerance is 0.1 in that norm), and the
true contraction rate against the trusted one. The patch is a text
replacement of the kernel source: it stops with an error when the kernel
no longer has the lines it hooks into.
"""

from __future__ import annotations

import importlib
import shutil
import sys
import tempfile
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "benchmarks"))

_HOOKS = (
    ("""                    if converged and last_rate > 0.0:
                        crate = last_rate""",
     """                    if converged and n_iter == 1 and crate > 0.0 and stats[5] < diag.shape[0]:
                        film.rhs_ws(t_new, ynew, p, dz, fbuf, ws_kc, ws_do, ws_dw, ws_src, ws_geo)
                        for j in range(n):
                            ybuf[j] = c * fbuf[j] - psi[j] - d[j]
                        block_solve(F, Qrow, qlo, c, ybuf, fbuf)
                        e2 = _rms_inv(fbuf, inv_scale)
                        diag[stats[5], 0] = crate
                        diag[stats[5], 1] = e2
                        diag[stats[5], 2] = e2 / max(first_dy, 1e-300)
                        stats[5] += 1
                    if converged and last_rate > 0.0:
                        crate = last_rate"""),
    ("""                        dy_norm = _rms_inv(dy, inv_scale)
""", """                        dy_norm = _rms_inv(dy, inv_scale)
                        first_dy = dy_norm
"""),
    ("""    crate = -1.0  # contraction rate of the last Newton iteration (unknown)
""", """    crate = -1.0  # contraction rate of the last Newton iteration (unknown)
    first_dy = 1.0
"""),
    ("""              rec_t, rec_h, rec_order, rec_seg, rec_D, rec_n):""",
     """              rec_t, rec_h, rec_order, rec_seg, rec_D, rec_n, diag=np.zeros((1, 3))):"""),
)


def instrumented(into: Path):
    """Import a copy of the working tree's package whose kernel records the check."""
    pkg = into / "lacquersim_newton"
    shutil.copytree(ROOT / "src" / "lacquersim", pkg, ignore=shutil.ignore_patterns("__pycache__"))
    src = (pkg / "kernels" / "bdf.py").read_text()
    for old, new in _HOOKS:
        if src.count(old) != 1:
            raise SystemExit("newton_check: bdf.integrate changed; update the hooks in benchmarks/newton_check.py")
        src = src.replace(old, new)
    (pkg / "kernels" / "bdf.py").write_text(src)
    sys.path.insert(0, str(into))
    return importlib.import_module("lacquersim_newton.kernels.bdf")


def main():
    from ab import CASES, kernel_args
    from benchmark import cases as bench_cases
    from lacquersim.sim.prepared import prepare

    with tempfile.TemporaryDirectory() as tmp:
        kernel = instrumented(Path(tmp))
        all_cases = bench_cases((50, 200))
        print("steps accepted on one Newton iteration with a trusted rate: the next correction "
              "(error-weighted norm; the Newton tolerance is 0.1) and the true rate")
        for i, _ in CASES:
            c = all_cases[i]
            problem = prepare(c["recipe"], c["schedule"], c["cells"]).problem
            for rtol in (1e-4, 1e-6):
                args, out = kernel_args(kernel, problem, rtol)
                a = list(args)
                diag = np.zeros((20_000, 3))
                a.append(diag)
                kernel.integrate(*a)
                stats = out["stats"]
                k = int(stats[5])
                d = diag[:k]
                print(f"{c['case'][:30]:30s} {c['cells']:3d} cells rtol {rtol:<6g} {k:5d} of {stats[0]:5d} steps: "
                      f"correction left median {np.median(d[:, 1]):.3f}, 95 % {np.quantile(d[:, 1], 0.95):.2f}, "
                      f"max {d[:, 1].max():.2f}, share > 0.1 {np.mean(d[:, 1] > 0.1):.2f}; "
                      f"true rate max {d[:, 2].max():.2f} (trusted: median {np.median(d[:, 0]):.4f})")


if __name__ == "__main__":
    main()
