"""Validate the calibrated model against the published data and the craft targets.

    python experiments/validate.py [--out validation]   # writes validation/*.png and table.csv

Prints the Q1 table (row, stage, measured, predicted, ratio), the baking
rows of Q4 (craft practice, uncertain: shown, not fitted) and a pass/fail
line for each qualitative target; draws
  validation/predicted_vs_measured.png  log-log, 1:1 line, ×1.5 band, 90 % band from the fit's covariance
  validation/kneading_series.png        drying time vs water content (refining model kurome series + Q1 rows)
  validation/rh_and_temperature.png     tack-free time vs RH and vs temperature, target regions marked
  validation/baking.png                 baking: time to dry-through vs oven temperature, Q4 points
  validation/prediction_band.png        surface conversion of raw and kneaded laccol with the 90 % band
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np
import pandas as pd

import lacquersim as ls
import calibration as C
from lacquersim.model.parameters import default_set
from lacquersim.sim.batch import simulate_many

N_CELLS = 30


def recipe(material="vietnam", thickness=76.0, T=25.0, rh=80.0, hours=72.0, state=None, steps=None,
           refining=None, name="v"):
    d = {"name": name, "material": material, "film": {"thickness_um": thickness},
         "drying": {"steps": steps} if steps else {"temperature_c": T, "rh_percent": rh, "hours": hours}}
    if state:
        d["state"] = state
    if refining:
        d["refining"] = refining
    return ls.Recipe.from_dict(d)


def q1_table() -> pd.DataFrame:
    recs = [C.q1_recipe(r) for r in C.Q1.index]
    out = simulate_many(recs, n_cells=N_CELLS)
    rows = []
    for (row, m), (_, p) in zip(C.Q1.iterrows(), out.iterrows()):
        for stage, col in (("DF", "set_to_touch"), ("TF", "tack_free"), ("HD", "dry_hard")):
            rows.append({"source": "Q1", "row": row, "stage": stage, "measured_h": m[stage],
                         "predicted_h": p[col], "ratio": p[col] / m[stage]})
    return pd.DataFrame(rows)


BAKE_Q4 = [(100.0, 2.5), (110.0, 1.5), (140.0, 0.5)]  # °C, h (craft practice, uncertain)


def bake_time(T, material="japan", hours=4.0):
    """Hours at T (°C) after which the film, cooled to 25 °C, is dry-through."""
    lo, hi = 0.05, hours
    def cured(h):
        steps = [dict(temperature_c=T, rh_percent=10, hours=h), dict(temperature_c=25, rh_percent=50, hours=0.5)]
        s = ls.simulate(recipe(material, thickness=40, steps=steps), n_cells=20).stages
        return np.isfinite(s["dry_through"])
    if not cured(hi):
        return np.nan
    for _ in range(12):
        mid = 0.5 * (lo + hi)
        lo, hi = (lo, mid) if cured(mid) else (mid, hi)
    return hi


def qualitative() -> pd.DataFrame:
    """Each qualitative (craft) target with the calibrated parameters."""
    s = lambda **kw: ls.simulate(recipe(**kw), n_cells=N_CELLS).stages  # noqa: E731
    rows = []
    tf = {(T, rh): s(T=T, rh=rh)["tack_free"] for T in (15, 20, 25, 30, 35) for rh in (80,)}
    tf.update({(25, rh): s(T=25, rh=rh)["tack_free"] for rh in (60, 70, 85, 90)})
    best_T = min((v, T) for (T, rh), v in tf.items() if rh == 80 and np.isfinite(v))[1]
    best_rh = min((v, rh) for (T, rh), v in tf.items() if T == 25 and np.isfinite(v))[1]
    rows.append(("1 fastest at 20-30 °C and 70-85 % RH", 20 <= best_T <= 30 and 70 <= best_rh <= 85,
                 f"fastest tack-free at {best_T} °C (80 % RH) and {best_rh} % RH (25 °C)"))
    dry = s(rh=40, hours=24)["tack_free"]
    rows.append(("2 raw sap not tack-free in 24 h at 25 °C, 40 % RH", bool(np.isnan(dry)), f"tack-free {dry}"))
    cold = [s(T=2, hours=72)["tack_free"], s(T=2, state={"water_percent": 5.2, "monomer_percent": 50.2})["tack_free"]]
    rows.append(("3 not tack-free in 72 h at 2 °C, 80 % RH", bool(np.all(np.isnan(cold))), f"raw, refined: {cold}"))
    hot = s(T=57, hours=24)["tack_free"]
    rows.append(("4 not tack-free in 24 h at 55-60 °C, 80 % RH", bool(np.isnan(hot)), f"at 57 °C: {hot}"))
    w150 = ls.simulate(recipe(thickness=150), n_cells=N_CELLS).wrinkle_index
    w30 = ls.simulate(recipe(thickness=30), n_cells=N_CELLS).wrinkle_index
    thick_slower = s(thickness=80)["dry_hard"] > s(thickness=30)["dry_hard"]
    rows.append(("5 thick coats slower through; W>1 at 150 µm, <1 at 30 µm", bool(w150 > 1 > w30 and thick_slower),
                 f"W(150) = {w150:.2f}, W(30) = {w30:.2f}"))
    vn = s()["tack_free"]
    jp, cn = s(material="japan")["tack_free"], s(material="china")["tack_free"]
    rows.append(("6 Vietnamese laccol slower than Japanese / Chinese urushiol", bool(vn > jp and vn > cn),
                 f"tack-free VN {vn:.2f}, JP {jp:.2f}, CN {cn:.2f} h"))
    c20 = s(material="cashew", thickness=50, rh=20)["tack_free"]
    vn60 = s(thickness=50, rh=60)["tack_free"]
    c60 = s(material="cashew", thickness=50, rh=60)["tack_free"]
    rows.append(("7 cashew dries without humidity; raw laccol at 60 % RH slower than cashew",
                 bool(np.isfinite(c20) and (np.isnan(vn60) or vn60 > c60)),
                 f"cashew at 20 % RH {c20:.2f} h; laccol at 60 % RH {vn60}, cashew {c60:.2f} h"))
    return pd.DataFrame(rows, columns=["target", "holds", "detail"])


def prediction_band(rows=("raw", "k60-60"), n_draws=40, seed=0, hours=24.0):
    """5-95 % band of surface conversion from the fitted parameters' covariance (linearised)."""
    pset = default_set()
    unc = pset.uncertainty
    names = [s.split()[-1] for s in unc["space"]]
    params = [next(fp for fp in C.FIT_PARAMS if fp.name == n) for n in names]
    x_hat = C.encode([pset.resolved(n.split(".")[0])[n.split(".")[1]][0] for n in names], params)
    cov = np.array(unc["covariance"])
    rng = np.random.default_rng(seed)
    lo, hi = C.bounds(params)
    draws = np.clip(rng.multivariate_normal(x_hat, cov, size=n_draws), lo, hi)
    t = np.linspace(0, hours, 97)
    out = {}
    for row in rows:
        curves = []
        for x in draws:
            trial = pset.with_overrides(dict(zip(names, C.decode(x, params))))
            try:
                h = ls.simulate(C.q1_recipe(row), n_cells=20, rtol=1e-5, parameters=trial).history
            except ls.SolverError:
                continue
            curves.append(np.interp(t, h.time_h, h.conversion_surface))
        out[row] = (t, np.percentile(curves, [5, 50, 95], axis=0))
    return out


def main(argv=None):
    ap = argparse.ArgumentParser(description="Validate lacquersim against the published data and craft targets")
    ap.add_argument("--out", default="validation", help="folder for the table and plots")
    args = ap.parse_args(argv)
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    tab = q1_table()
    bake = pd.DataFrame([{"source": "Q4 (craft, uncertain)", "row": f"bake {T:.0f} °C", "stage": "cured",
                          "measured_h": h, "predicted_h": bake_time(T)} for T, h in BAKE_Q4])
    bake["ratio"] = bake.predicted_h / bake.measured_h
    full = pd.concat([tab, bake], ignore_index=True)
    pd.set_option("display.width", 160)
    print(full.to_string(index=False, float_format=lambda x: f"{x:.2f}"))
    lr = np.abs(np.log(tab.ratio))
    print(f"\nQ1: median factor {np.exp(np.median(lr)):.2f}, per stage "
          f"{ {k: round(float(np.exp(np.median(np.abs(np.log(d.ratio))))), 2) for k, d in tab.groupby('stage')} }, "
          f"worst {np.exp(lr.max()):.2f}")
    qual = qualitative()
    print("\nQualitative targets:")
    for _, r in qual.iterrows():
        print(f"  [{'ok' if r.holds else 'FAIL'}] {r.target}: {r.detail}")
    full.to_csv(out / "table.csv", index=False)

    # 1. predicted vs measured
    fig, ax = plt.subplots(figsize=(5.2, 5))
    for stage, mk in zip(("DF", "TF", "HD"), "osD"):
        d = tab[tab.stage == stage]
        ax.loglog(d.measured_h, d.predicted_h, mk, label=stage)
        for _, r in d.iterrows():
            ax.annotate(r.row, (r.measured_h, r.predicted_h), fontsize=6)
    lim = np.array([1.5, 20.0])
    ax.plot(lim, lim, "k-", lw=0.8, label="1:1")
    ax.fill_between(lim, lim / 1.5, lim * 1.5, color="0.9", label="factor 1.5")
    ax.set(xlabel="measured (h)", ylabel="predicted (h)", title="Q1, 76 µm, 25 °C / 80 % RH")
    ax.legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(out / "predicted_vs_measured.png", dpi=120)

    # 2. kneading series: kurome minutes -> water, DF
    minutes = [0, 15, 30, 45, 60, 90, 120]
    recs = [recipe(refining=[{"step": "kurome", "minutes": m, "rpm": 60, "temperature_c": 40}], name=f"{m} min")
            if m else recipe(name="raw") for m in minutes]
    water = [float(ls.refine(r)["water_percent"]) for r in recs]
    res = simulate_many(recs, n_cells=N_CELLS)
    fig, ax = plt.subplots(figsize=(6, 4))
    ax.plot(water, res.set_to_touch, "o-", label="model DF (kurome 40 °C, 60 rpm)")
    ax.plot(water, res.dry_hard, "s-", label="model HD")
    ax.plot(C.Q1.water_percent, C.Q1.DF, "kx", ms=8, label="Q1 measured DF")
    ax.plot(C.Q1.water_percent, C.Q1.HD, "k+", ms=8, label="Q1 measured HD")
    ax.set(xlabel="water after refining (%)", ylabel="time (h)", title="Drying time vs water content")
    ax.legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(out / "kneading_series.png", dpi=120)

    # 3. RH and temperature
    rhs = np.arange(40, 96, 5)
    temps = np.arange(0, 61, 5)
    fig, (a1, a2) = plt.subplots(1, 2, figsize=(10, 4))
    for label, st in (("raw", None), ("kneaded t7-60", {"water_percent": 5.2, "monomer_percent": 50.2})):
        r1 = simulate_many([recipe(rh=float(x), state=st) for x in rhs], n_cells=N_CELLS)
        r2 = simulate_many([recipe(T=float(x), state=st) for x in temps], n_cells=N_CELLS)
        a1.plot(rhs, r1.tack_free, "o-", label=label)
        a2.plot(temps, r2.tack_free, "o-", label=label)
    a1.axvspan(70, 85, color="g", alpha=0.1, label="target: fastest 70-85 %")
    a1.axvline(40, color="r", ls=":", label="target: not dry at ≤ 40 %")
    a2.axvspan(20, 30, color="g", alpha=0.1, label="target: fastest 20-30 °C")
    a2.axvline(2, color="b", ls=":", label="stops at 2 °C")
    a2.axvspan(55, 60, color="r", alpha=0.1, label="fails at 55-60 °C")
    a1.set(xlabel="RH (%) at 25 °C", ylabel="tack-free (h; missing = not in 72 h)")
    a2.set(xlabel="temperature (°C) at 80 % RH", ylabel="tack-free (h)")
    a1.legend(fontsize=7)
    a2.legend(fontsize=7)
    fig.tight_layout()
    fig.savefig(out / "rh_and_temperature.png", dpi=120)

    # 4. baking
    Ts = [100, 110, 120, 130, 140, 150, 160]
    bt = [bake_time(T) for T in Ts]
    fig, ax = plt.subplots(figsize=(5.5, 4))
    ax.semilogy(Ts, bt, "o-", label="model: hours at T to be dry-through once cooled")
    ax.semilogy([t for t, _ in BAKE_Q4], [h for _, h in BAKE_Q4], "k*", ms=10, label="Q4 craft practice")
    ax.set(xlabel="oven temperature (°C)", ylabel="baking time (h)", title="Japanese urushi, 40 µm")
    ax.legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(out / "baking.png", dpi=120)

    # 5. prediction band
    band = prediction_band()
    fig, ax = plt.subplots(figsize=(6, 4))
    for row, (t, (p5, p50, p95)) in band.items():
        ax.plot(t, p50, label=f"{row} (median)")
        ax.fill_between(t, p5, p95, alpha=0.25, label=f"{row} 5-95 %")
    ax.axhline(ls.get_material("vietnam")["alpha_gel"], color="0.5", ls=":", label="gel point")
    ax.set(xlabel="time (h)", ylabel="surface conversion α", title="Prediction band from the fit's covariance")
    ax.legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(out / "prediction_band.png", dpi=120)
    print(f"\nplots and table in {out}/")
    return 0 if qual.holds.all() else 1


if __name__ == "__main__":
    sys.exit(main())
