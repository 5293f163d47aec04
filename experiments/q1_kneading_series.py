"""Compare the model (current materials library) with CALIBRATION.md Q1.

Vietnamese laccol lacquer, kneading series (IJPS 2015, article 719328,
Tables 5 and 7): 76 µm films at 25 °C / 80 % RH, refined state as measured.
Prints measured vs predicted stage times and writes a log-log plot.

This is a check of the hand-set starting values, not a fit; the fit is
experiments/calibrate.py (calibration issue).

    python experiments/q1_kneading_series.py [--out q1.png]
"""

from __future__ import annotations

import argparse

import numpy as np
import pandas as pd

import lacquersim as ls

ROWS = [  # row, water %, monomer %, DF h, TF h, HD h
    ("raw", 33.6, 86.8, 7.8, 8.1, 12.5),
    ("k60-30", 20.4, 56.5, 6.6, 7.2, 11.8),
    ("k60-45", 13.6, 50.1, 2.8, 3.3, 5.5),
    ("k60-60", 12.5, 44.8, 2.2, 2.7, 5.2),
    ("t7-60", 5.2, 50.2, 3.0, 3.6, 8.3),
]
STAGE_OF = {"DF": "set_to_touch", "TF": "tack_free", "HD": "dry_hard"}


def table(n_cells: int = 50) -> pd.DataFrame:
    out = []
    for row, water, monomer, df, tf, hd in ROWS:
        rec = ls.Recipe.from_dict({
            "name": f"Q1 {row}", "material": "vietnam",
            "state": {"water_percent": water, "monomer_percent": monomer},
            "film": {"thickness_um": 76},
            "drying": {"temperature_c": 25, "rh_percent": 80, "hours": 72},
        })
        res = ls.simulate(rec, n_cells=n_cells)
        for stage, measured in zip(("DF", "TF", "HD"), (df, tf, hd)):
            pred = float(res.stages[STAGE_OF[stage]])
            out.append({"row": row, "stage": stage, "measured_h": measured,
                        "predicted_h": pred, "ratio": pred / measured})
    return pd.DataFrame(out)


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--out", default="q1_kneading_series.png", help="plot file (PNG)")
    args = ap.parse_args(argv)
    df = table()
    print(df.to_string(index=False, float_format=lambda x: f"{x:.2f}"))
    lr = np.abs(np.log(df.ratio))
    print(f"\nmedian |log ratio| = {np.median(lr):.3f} (factor {np.exp(np.median(lr)):.2f}); "
          f"worst factor {np.exp(lr.max()):.2f}")

    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    fig, ax = plt.subplots(figsize=(5, 5))
    for stage, mk in zip(("DF", "TF", "HD"), "osD"):
        d = df[df.stage == stage]
        ax.loglog(d.measured_h, d.predicted_h, mk, label=stage)
        for _, r in d.iterrows():
            ax.annotate(r.row, (r.measured_h, r.predicted_h), fontsize=7)
    lim = [1, 20]
    ax.plot(lim, lim, "k-", lw=0.8)
    ax.fill_between(lim, [v / 1.5 for v in lim], [v * 1.5 for v in lim], color="0.9", label="×1.5")
    ax.set_xlabel("measured (h)")
    ax.set_ylabel("predicted (h)")
    ax.set_title("Q1 Vietnamese kneading series, 25 °C / 80 % RH")
    ax.legend()
    fig.tight_layout()
    fig.savefig(args.out, dpi=120)
    print(f"plot: {args.out}")


if __name__ == "__main__":
    main()
