"""Calibration data and fitting machinery (used by experiments/calibrate.py and validate.py).

The quantitative target is CALIBRATION.md Q1: Vietnamese laccol lacquer,
76 µm films at 25 °C / 80 % RH, refined state as measured, stage times DF
(set-to-touch), TF (tack-free), HD (dry-hard). The fit works on the kernel
parameter vectors directly (no YAML round trip per evaluation) and runs
every evaluation as one parallel batch.
"""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
import yaml
from scipy.optimize import least_squares

from lacquersim.kernels import bdf

from lacquersim.kernels import film
from lacquersim.model.recipe import Recipe
from lacquersim.sim.simulation import build_problem
from lacquersim.sim.solver import default_atol

# row, series, water %, monomer %, DF h, TF h, HD h (IJPS 2015, 719328, Tables 5 and 7)
Q1 = pd.DataFrame(
    [("raw", "table5", 33.6, 86.8, 7.8, 8.1, 12.5),
     ("k60-30", "table5", 20.4, 56.5, 6.6, 7.2, 11.8),
     ("k60-45", "table5", 13.6, 50.1, 2.8, 3.3, 5.5),
     ("k60-60", "table5", 12.5, 44.8, 2.2, 2.7, 5.2),
     ("t7-60", "table7", 5.2, 50.2, 3.0, 3.6, 8.3)],
    columns=["row", "series", "water_percent", "monomer_percent", "DF", "TF", "HD"]).set_index("row")
STAGE_COLS = {"DF": 0, "TF": 1, "HD": 2}


@dataclass(frozen=True)
class FitParam:
    """One fitted parameter: YAML key, kernel index, log-scaled or not, bounds (YAML units)."""

    key: str
    index: int
    log: bool
    lower: float
    upper: float
    to_kernel: float = 1.0  # kernel value = YAML value × to_kernel


# What Q1 can pin down (MODEL.md section 3), bounds from its literature ranges.
# D_O0 and Tg0 are left at their starting values: with them free the fit
# runs to their bounds with confidence intervals spanning decades (they trade
# off against k_L and lambda on these 15 numbers); lambda takes Tg0's role
# in setting the set-to-touch -> tack-free gap.
FIT_PARAMS = (
    FitParam("k_L_per_h", film.P_KL, True, 0.05, 5.0, 1.0 / 3600.0),
    FitParam("alpha_gel", film.P_AGEL, False, 0.4, 0.8),
    FitParam("D_w0_m2_s", film.P_DW0, True, 1e-13, 1e-11),
    FitParam("phi_ex", film.P_PHIEX, False, 0.06, 0.2),
    FitParam("tg_lambda", film.P_LAM, False, 0.4, 0.95),
)


def q1_recipe(row: str, thickness_um: float = 76.0) -> Recipe:
    r = Q1.loc[row]
    return Recipe.from_dict({
        "name": f"Q1 {row}", "material": "vietnam",
        "state": {"water_percent": float(r.water_percent), "monomer_percent": float(r.monomer_percent)},
        "film": {"thickness_um": thickness_um},
        "drying": {"temperature_c": 25, "rh_percent": 80, "hours": 72}})


def _to_kernel(fp: FitParam, v: float) -> float:
    if fp.key == "Tg0_c":
        return v + 273.15
    return v * fp.to_kernel


class Q1Model:
    """Predict Q1 stage times for a parameter vector theta (YAML units)."""

    def __init__(self, rows=None, n_cells: int = 30, rtol: float = 1e-5, params=FIT_PARAMS):
        self.rows = list(Q1.index if rows is None else rows)
        self.params = params
        self.rtol = rtol
        probs = [build_problem(q1_recipe(r), None, n_cells) for r in self.rows]
        self.Y0 = np.stack([p.y0 for p in probs])
        self.TB = np.stack([p.t_bounds for p in probs])
        self.PP = np.stack([np.vstack(p.params) for p in probs])
        self.DZ = np.stack([p.dz for p in probs])
        self.ATOL = np.stack([default_atol(p, rtol) for p in probs])

    def predict(self, theta) -> np.ndarray:
        """Stage times (h), shape (rows, 3) for DF, TF, HD; NaN where not reached."""
        PP = self.PP.copy()
        for fp, v in zip(self.params, theta):
            PP[:, :, fp.index] = _to_kernel(fp, v)
        B, n = self.Y0.shape
        stage_t = np.empty((B, 4))
        out = (np.empty(B), np.empty((B, n)), np.zeros((B, bdf.N_STATS), dtype=np.int64),
               np.zeros(B), np.zeros(B, dtype=np.int64))
        bdf.integrate_batch(self.Y0, self.TB, PP, self.DZ, self.rtol, self.ATOL, 200_000,
                            stage_t, *out)
        status = out[4]
        t = stage_t[:, :3] / 3600.0
        t[status != bdf.OK] = np.nan
        return t

    def residuals(self, theta, x_scale=False) -> np.ndarray:
        """log(predicted/measured) for every row and stage; a missing stage costs log(10)."""
        pred = self.predict(theta)
        meas = Q1.loc[self.rows, ["DF", "TF", "HD"]].to_numpy()
        r = np.log(pred / meas)
        r[~np.isfinite(r)] = np.log(10.0)
        return r.ravel()


def encode(theta, params=FIT_PARAMS) -> np.ndarray:
    """YAML units → optimiser space (log10 for log-scaled parameters)."""
    return np.array([np.log10(v) if fp.log else v for fp, v in zip(params, theta)])


def decode(x, params=FIT_PARAMS) -> np.ndarray:
    return np.array([10.0 ** v if fp.log else v for fp, v in zip(params, x)])


def bounds(params=FIT_PARAMS):
    lo = [np.log10(fp.lower) if fp.log else fp.lower for fp in params]
    hi = [np.log10(fp.upper) if fp.log else fp.upper for fp in params]
    return np.array(lo), np.array(hi)


# ---------------------------------------------------------------------------
# The calibration procedure (experiments/calibrate.py, lacquersim calibrate)
# ---------------------------------------------------------------------------
SEED = 20261123
OUT = Path(__file__).resolve().parent / "data" / "calibrated.yaml"


def fit(rows, theta_start, n_starts=4, seed=SEED):
    model = Q1Model(rows=rows)
    lo, hi = bounds()
    rng = np.random.default_rng(seed)
    starts = [np.clip(encode(theta_start), lo, hi)]
    starts += [lo + (hi - lo) * rng.uniform(0.2, 0.8, lo.size) for _ in range(n_starts - 1)]
    best = None
    for x0 in starts:
        r = least_squares(lambda x: model.residuals(decode(x)), x0, bounds=(lo, hi),
                          diff_step=1e-3, x_scale="jac", max_nfev=300)
        if best is None or r.cost < best.cost:
            best = r
    return best, model


def table(model, theta, rows) -> pd.DataFrame:
    pred = model.predict(theta)
    out = []
    for i, row in enumerate(rows):
        for stage, k in STAGE_COLS.items():
            meas = float(Q1.loc[row, stage])
            out.append({"row": row, "stage": stage, "measured_h": meas, "predicted_h": float(pred[i, k]),
                        "ratio": float(pred[i, k] / meas)})
    return pd.DataFrame(out)


def confidence(res, n_data):
    J = res.jac
    dof = max(n_data - J.shape[1], 1)
    s2 = 2 * res.cost / dof
    try:
        cov = np.linalg.inv(J.T @ J) * s2
    except np.linalg.LinAlgError:
        cov = np.linalg.pinv(J.T @ J) * s2
    return cov


def run_calibration(write: bool = False, report: str | None = None) -> int:
    """Fit, cross-validate and report (see experiments/calibrate.py); optionally store the set."""
    from lacquersim.model.materials import get_material

    # start from the starting values, never from an earlier fit (it saw every row)
    mat = get_material("vietnam", use_calibrated=False)
    theta0 = np.array([float(mat[fp.key]) for fp in FIT_PARAMS])
    rows = list(Q1.index)
    res, model = fit(rows, theta0)
    theta = decode(res.x)
    fitted = table(model, theta, rows)
    lr = np.abs(np.log(fitted.ratio))

    # cross-validation
    cv = []
    for held in rows:
        train = [r for r in rows if r != held]
        r_cv, _ = fit(train, theta0)  # same multi-start as the main fit, held-out rows unseen
        th = decode(r_cv.x)
        cv.append(table(Q1Model(rows=[held]), th, [held]).assign(scheme="leave-one-row-out"))
    for series in Q1.series.unique():
        held = list(Q1.index[Q1.series == series])
        train = [r for r in rows if r not in held]
        r_cv, _ = fit(train, theta0)  # same multi-start as the main fit, held-out rows unseen
        th = decode(r_cv.x)
        cv.append(table(Q1Model(rows=held), th, held).assign(scheme=f"leave-out {series}"))
    cv = pd.concat(cv, ignore_index=True)

    cov = confidence(res, lr.size)
    sd = np.sqrt(np.diag(cov))
    ci = pd.DataFrame({
        "parameter": [fp.key for fp in FIT_PARAMS],
        "fitted": theta,
        "low_95": decode(res.x - 1.96 * sd),
        "high_95": decode(res.x + 1.96 * sd),
        "bound_low": [fp.lower for fp in FIT_PARAMS],
        "bound_high": [fp.upper for fp in FIT_PARAMS],
    })

    pd.set_option("display.width", 160)
    print("Fitted parameters (95 % CI from the Jacobian):")
    print(ci.to_string(index=False, float_format=lambda x: f"{x:.4g}"))
    print("\nFit (all Q1 rows):")
    print(fitted.to_string(index=False, float_format=lambda x: f"{x:.2f}"))
    per_stage = fitted.assign(lr=lr).groupby("stage").lr.median()
    print("\nmedian factor per stage:", {k: round(float(np.exp(v)), 3) for k, v in per_stage.items()},
          f"worst factor {np.exp(lr.max()):.2f}")
    print("\nCross-validation (rows not used in the fit):")
    print(cv.to_string(index=False, float_format=lambda x: f"{x:.2f}"))
    for scheme, d in cv.groupby("scheme"):
        print(f"  {scheme}: median factor {np.exp(np.median(np.abs(np.log(d.ratio)))):.2f}")

    record = {
        "provenance": (f"calibrated in experiments/calibrate.py on {dt.date.today().isoformat()} "
                       f"against CALIBRATION.md Q1 rows {', '.join(rows)} (DF, TF, HD at 25 °C / 80 % RH, 76 µm); "
                       f"seed {SEED}"),
        "rows": rows,
        "median_factor_per_stage": {k: float(np.exp(v)) for k, v in per_stage.items()},
        "worst_factor": float(np.exp(lr.max())),
        "cv_median_factor": {s: float(np.exp(np.median(np.abs(np.log(d.ratio)))))
                             for s, d in cv.groupby("scheme")},
        "parameters": {fp.key: float(v) for fp, v in zip(FIT_PARAMS, theta)},
        # covariance in the optimiser's space (log10 for k_L and D_w0), for prediction bands
        "covariance": {"space": [("log10 " if fp.log else "") + fp.key for fp in FIT_PARAMS],
                       "matrix": [[float(x) for x in row] for row in cov]},
        "ci95": {fp.key: [float(a), float(b)] for fp, a, b in zip(FIT_PARAMS, ci.low_95, ci.high_95)},
    }
    if write:
        data = {}
        if OUT.exists():
            data = yaml.safe_load(OUT.read_text()) or {}
        data["vietnam"] = record
        header = ("# Written by experiments/calibrate.py --write; do not edit by hand.\n"
                  "# Fitted parameters layered over materials.yaml, with provenance.\n")
        tmp = OUT.with_suffix(".tmp")
        tmp.write_text(header + yaml.safe_dump(json.loads(json.dumps(data)), sort_keys=False, allow_unicode=True))
        tmp.replace(OUT)
        print(f"\nwritten to {OUT}")
        calibrated_cache_clear()
    if report:
        Path(report).write_text(
            "# Calibration report\n\n" + ci.to_markdown(index=False) + "\n\n" + fitted.to_markdown(index=False)
            + "\n\n" + cv.to_markdown(index=False) + "\n")
    return 0


def calibrated_cache_clear():
    from lacquersim.model import materials
    materials.calibrated.cache_clear()
    materials._layered.cache_clear()  # Materials built on the old fits
