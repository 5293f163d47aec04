"""Fit the Q1-identifiable parameters of Vietnamese laccol lacquer (issue: calibration).

    python experiments/calibrate.py [--write] [--report calibration_report.md]

What it does, in order:
1. least_squares on log(predicted/measured) stage times of CALIBRATION.md Q1
   (5 rows × DF, TF, HD), over parameters MODEL.md says Q1 pins down
   (k_L, alpha_gel, D_w0, phi_ex, and lambda for the DF→TF gap), within bounds,
   from several fixed-seed starting points (the best fit is kept);
2. cross-validation: leave-one-row-out and leave-one-series-out (Table 5 vs
   Table 7), reporting the error on rows not used in the fit;
3. 95 % confidence intervals from the fit's Jacobian (linearised, with the
   residual variance), in the optimiser's (log) space;
4. checks every qualitative target of CALIBRATION.md with the fitted set;
5. with --write: stores the fitted values, with their provenance (rows,
   date, residuals), in src/lacquersim/data/calibrated.yaml, which the
   materials library layers over materials.yaml.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import yaml
from scipy.optimize import least_squares

from lacquersim import calibration as C
from lacquersim.materials import get_material

SEED = 20261123
OUT = Path(__file__).resolve().parents[1] / "src" / "lacquersim" / "data" / "calibrated.yaml"


def fit(rows, theta_start, n_starts=4, seed=SEED):
    model = C.Q1Model(rows=rows)
    lo, hi = C.bounds()
    rng = np.random.default_rng(seed)
    starts = [np.clip(C.encode(theta_start), lo, hi)]
    starts += [lo + (hi - lo) * rng.uniform(0.2, 0.8, lo.size) for _ in range(n_starts - 1)]
    best = None
    for x0 in starts:
        r = least_squares(lambda x: model.residuals(C.decode(x)), x0, bounds=(lo, hi),
                          diff_step=1e-3, x_scale="jac", max_nfev=300)
        if best is None or r.cost < best.cost:
            best = r
    return best, model


def table(model, theta, rows) -> pd.DataFrame:
    pred = model.predict(theta)
    out = []
    for i, row in enumerate(rows):
        for stage, k in C.STAGE_COLS.items():
            meas = float(C.Q1.loc[row, stage])
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


def main(argv=None):
    ap = argparse.ArgumentParser(description="Calibrate lacquersim on CALIBRATION.md Q1")
    ap.add_argument("--write", action="store_true", help="store the fitted set in data/calibrated.yaml")
    ap.add_argument("--report", default=None, help="write a Markdown report here")
    args = ap.parse_args(argv)

    mat = get_material("vietnam")
    theta0 = np.array([float(mat[fp.key]) for fp in C.FIT_PARAMS])
    rows = list(C.Q1.index)
    res, model = fit(rows, theta0)
    theta = C.decode(res.x)
    fitted = table(model, theta, rows)
    lr = np.abs(np.log(fitted.ratio))

    # cross-validation
    cv = []
    for held in rows:
        train = [r for r in rows if r != held]
        r_cv, _ = fit(train, theta, n_starts=1)
        th = C.decode(r_cv.x)
        cv.append(table(C.Q1Model(rows=[held]), th, [held]).assign(scheme="leave-one-row-out"))
    for series in C.Q1.series.unique():
        held = list(C.Q1.index[C.Q1.series == series])
        train = [r for r in rows if r not in held]
        r_cv, _ = fit(train, theta, n_starts=1)
        th = C.decode(r_cv.x)
        cv.append(table(C.Q1Model(rows=held), th, held).assign(scheme=f"leave-out {series}"))
    cv = pd.concat(cv, ignore_index=True)

    cov = confidence(res, lr.size)
    sd = np.sqrt(np.diag(cov))
    ci = pd.DataFrame({
        "parameter": [fp.key for fp in C.FIT_PARAMS],
        "fitted": theta,
        "low_95": C.decode(res.x - 1.96 * sd),
        "high_95": C.decode(res.x + 1.96 * sd),
        "bound_low": [fp.lower for fp in C.FIT_PARAMS],
        "bound_high": [fp.upper for fp in C.FIT_PARAMS],
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
        "parameters": {fp.key: float(v) for fp, v in zip(C.FIT_PARAMS, theta)},
        # covariance in the optimiser's space (log10 for k_L and D_w0), for prediction bands
        "covariance": {"space": [("log10 " if fp.log else "") + fp.key for fp in C.FIT_PARAMS],
                       "matrix": [[float(x) for x in row] for row in cov]},
        "ci95": {fp.key: [float(a), float(b)] for fp, a, b in zip(C.FIT_PARAMS, ci.low_95, ci.high_95)},
    }
    if args.write:
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
    if args.report:
        Path(args.report).write_text(
            "# Calibration report\n\n" + ci.to_markdown(index=False) + "\n\n" + fitted.to_markdown(index=False)
            + "\n\n" + cv.to_markdown(index=False) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
