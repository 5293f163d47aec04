"""Fit the parameters of Vietnamese laccol lacquer that the kneading series pins down.

The Q1-only fit and its cross-validation, every other parameter held at the
table's value. The shipped values come from the joint fit over every target
(joint_fit.py); this script shows how well the kneading series alone
identifies its five parameters and how well it predicts rows it did not see.

    python experiments/calibrate.py [--out fitted.yaml] [--report calibration_report.md]

What it does, in order:
1. least_squares on log(predicted/measured) stage times of the kneading
   series (data/q1_kneading.csv: 5 rows × DF, TF, HD), over vietnam.k_L,
   alpha_gel, D_w0, phi_ex and lambda_Tg, within bounds, from the bundled
   "starting-values" set and three fixed-seed random starts (the best is kept);
2. cross-validation: leave-one-row-out and leave-one-series-out (Table 5 vs
   Table 7), reporting the error on rows not used in the fit;
3. 95 % confidence intervals from the fit's Jacobian (linearised, with the
   residual variance), in the optimiser's (log) space;
4. with --out: writes the fitted values, their covariance and the fit's
   diagnostics as a parameter set there. Load it with
   lacquersim.simulate(..., parameters="fitted.yaml").
"""

from __future__ import annotations

import argparse
import sys

from calibration import run_calibration


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--out", metavar="FILE.yaml", help="write the fitted parameter set here")
    ap.add_argument("--report", default=None, help="write a Markdown report here (needs tabulate)")
    args = ap.parse_args(argv)
    return run_calibration(out=args.out, report=args.report)


if __name__ == "__main__":
    sys.exit(main())
