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
import sys

from calibration import run_calibration


def main(argv=None):
    ap = argparse.ArgumentParser(description="Calibrate lacquersim on CALIBRATION.md Q1")
    ap.add_argument("--write", action="store_true", help="store the fitted set in data/calibrated.yaml")
    ap.add_argument("--report", default=None, help="write a Markdown report here")
    args = ap.parse_args(argv)
    return run_calibration(write=args.write, report=args.report)


if __name__ == "__main__":
    sys.exit(main())
