"""Calibration data and fitting machinery (used by calibrate.py and validate.py).

The quantitative target is the kneading series of Vietnamese laccol lacquer
(``data/q1_kneading.csv``: IJPS 2015, 719328, Tables 5 and 7): 76 µm films at
25 °C / 80 % RH, refined state as measured, stage times DF (set-to-touch),
TF (tack-free), HD (dry-hard). The fitted parameters are addressed by name
in the parameter table (``vietnam.k_L``, ...); every evaluation prepares the
five films with the trial values and runs them as one parallel batch.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
from scipy.optimize import least_squares

from lacquersim.model.parameters import ParameterSet
from lacquersim.model.recipe import Recipe
from lacquersim.sim.batch import run_prepared
from lacquersim.sim.prepared import prepare

DATA = Path(__file__).resolve().parent / "data"
Q1 = pd.read_csv(DATA / "q1_kneading.csv", comment="#").set_index("row")
STAGE_COLS = {"DF": "set_to_touch", "TF": "tack_free", "HD": "dry_hard"}
SOURCE = "IJPS 2015, 719328, Tables 5 and 7 (76 µm, 25 °C, 80 % RH)"


@dataclass(frozen=True)
class FitParam:
    """One fitted parameter: its name in the table, log-scaled or not, bounds (table units)."""

    name: str
    log: bool
    lower: float
    upper: float


# What the kneading series can pin down, with bounds from the literature ranges.
# D_O0 and Tg0 are left at their starting values: with them free the fit runs to
# their bounds with intervals spanning decades (they trade off against k_L and
# lambda on these 15 numbers); lambda takes Tg0's role in setting the
# set-to-touch -> tack-free gap.
FIT_PARAMS = (
    FitParam("vietnam.k_L", True, 0.05, 5.0),
    FitParam("vietnam.alpha_gel", False, 0.4, 0.8),
    FitParam("vietnam.D_w0", True, 1e-13, 1e-11),
    FitParam("vietnam.phi_ex", False, 0.06, 0.2),
    FitParam("vietnam.lambda_Tg", False, 0.4, 0.95),
)


def q1_recipe(row: str, thickness_um: float = 76.0) -> Recipe:
    r = Q1.loc[row]
    return Recipe.from_dict({
        "name": f"Q1 {row}", "material": "vietnam",
        "state": {"water_percent": float(r.water_percent), "monomer_percent": float(r.monomer_percent)},
        "film": {"thickness_um": thickness_um},
        "drying": {"temperature_c": 25, "rh_percent": 80, "hours": 72}})


def starting_set() -> ParameterSet:
    """The table with the fitted parameters at their starting values."""
    return ParameterSet.load("starting-values")


class Q1Model:
    """Predict the kneading series' stage times for parameter values theta (table units)."""

    def __init__(self, rows=None, n_cells: int = 30, rtol: float = 1e-5, params=FIT_PARAMS,
                 base: ParameterSet | None = None, measured=None):
        self.rows = list(Q1.index if rows is None else rows)
        #: stage times fitted to, (rows, 3) in h: the kneading series unless given
        self.measured = (Q1.loc[self.rows, list(STAGE_COLS)].to_numpy() if measured is None
                         else np.asarray(measured, dtype=float))
        self.params = params
        self.rtol = rtol
        self.n_cells = n_cells
        self.base = starting_set() if base is None else base
        self.recipes = [q1_recipe(r) for r in self.rows]

    def parameter_set(self, theta) -> ParameterSet:
        return self.base.with_overrides({fp.name: float(v) for fp, v in zip(self.params, theta)})

    def predict(self, theta) -> np.ndarray:
        """Stage times (h), shape (rows, 3) for DF, TF, HD; NaN where not reached."""
        pset = self.parameter_set(theta)
        films = [prepare(r, None, self.n_cells, pset, viscosity=False) for r in self.recipes]
        out = run_prepared(films, self.recipes, self.rtol)
        return out[list(STAGE_COLS.values())].to_numpy(dtype=float)

    def residuals(self, theta) -> np.ndarray:
        """log(predicted/measured) for every row and stage; a missing stage costs log(10)."""
        pred = self.predict(theta)
        r = np.log(pred / self.measured)
        r[~np.isfinite(r)] = np.log(10.0)
        return r.ravel()


def table_values(params=FIT_PARAMS, pset: ParameterSet | None = None) -> np.ndarray:
    """The values a parameter set (default: the table as shipped) gives the fitted
    parameters (table units); a name without a material is read for Vietnamese sap."""
    from lacquersim.model.parameters import default_set

    pset = default_set() if pset is None else pset
    return np.array([pset.resolved(fp.name.rpartition(".")[0] or "vietnam")[fp.name.rpartition(".")[2]][0]
                     for fp in params], dtype=float)


def encode(theta, params=FIT_PARAMS) -> np.ndarray:
    """Table units → optimiser space (log10 for log-scaled parameters)."""
    return np.array([np.log10(v) if fp.log else v for fp, v in zip(params, theta)])


def decode(x, params=FIT_PARAMS) -> np.ndarray:
    return np.array([10.0 ** v if fp.log else v for fp, v in zip(params, x)])


def bounds(params=FIT_PARAMS):
    lo = [np.log10(fp.lower) if fp.log else fp.lower for fp in params]
    hi = [np.log10(fp.upper) if fp.log else fp.upper for fp in params]
    return np.array(lo), np.array(hi)


SEED = 20261123


def fit(rows, theta_start, n_starts=4, seed=SEED, model=None):
    """Multi-start least squares on log stage times; the best result and the model."""
    model = Q1Model(rows=rows) if model is None else model
    lo, hi = bounds(model.params)
    rng = np.random.default_rng(seed)
    starts = [np.clip(encode(theta_start, model.params), lo, hi)]
    starts += [lo + (hi - lo) * rng.uniform(0.2, 0.8, lo.size) for _ in range(n_starts - 1)]
    best = None
    for x0 in starts:
        r = least_squares(lambda x: model.residuals(decode(x, model.params)), x0, bounds=(lo, hi),
                          diff_step=1e-3, x_scale="jac", max_nfev=300)
        if best is None or r.cost < best.cost:
            best = r
    return best, model


def table(model, theta, rows) -> pd.DataFrame:
    pred = model.predict(theta)
    out = []
    for i, row in enumerate(rows):
        for k, stage in enumerate(STAGE_COLS):
            meas = float(Q1.loc[row, stage])
            out.append({"row": row, "stage": stage, "measured_h": meas, "predicted_h": float(pred[i, k]),
                        "ratio": float(pred[i, k] / meas)})
    return pd.DataFrame(out)


def confidence(res, n_data):
    """Covariance of the fit (optimiser space) from its Jacobian and residual variance."""
    J = res.jac
    dof = max(n_data - J.shape[1], 1)
    s2 = 2 * res.cost / dof
    try:
        cov = np.linalg.inv(J.T @ J) * s2
    except np.linalg.LinAlgError:
        cov = np.linalg.pinv(J.T @ J) * s2
    return cov


def run_calibration(out: str | None = None, report: str | None = None) -> int:
    """Fit, cross-validate and report (see calibrate.py); ``out``: write the fitted set there."""
    theta0 = table_values(FIT_PARAMS, starting_set())
    rows = list(Q1.index)
    res, model = fit(rows, theta0)
    theta = decode(res.x)
    fitted = table(model, theta, rows)
    lr = np.abs(np.log(fitted.ratio))

    cv = []
    for held in rows:
        train = [r for r in rows if r != held]
        r_cv, _ = fit(train, theta0)  # same multi-start as the main fit, held-out rows unseen
        cv.append(table(Q1Model(rows=[held]), decode(r_cv.x), [held]).assign(scheme="leave-one-row-out"))
    for series in Q1.series.unique():
        held = list(Q1.index[Q1.series == series])
        train = [r for r in rows if r not in held]
        r_cv, _ = fit(train, theta0)
        cv.append(table(Q1Model(rows=held), decode(r_cv.x), held).assign(scheme=f"leave-out {series}"))
    cv = pd.concat(cv, ignore_index=True)

    cov = confidence(res, lr.size)
    sd = np.sqrt(np.diag(cov))
    ci = pd.DataFrame({
        "parameter": [fp.name for fp in FIT_PARAMS],
        "fitted": theta,
        "low_95": decode(res.x - 1.96 * sd),
        "high_95": decode(res.x + 1.96 * sd),
        "bound_low": [fp.lower for fp in FIT_PARAMS],
        "bound_high": [fp.upper for fp in FIT_PARAMS],
    })

    pd.set_option("display.width", 160)
    print("Fitted parameters (95 % CI from the Jacobian):")
    print(ci.to_string(index=False, float_format=lambda x: f"{x:.4g}"))
    print("\nFit (all rows of the kneading series):")
    print(fitted.to_string(index=False, float_format=lambda x: f"{x:.2f}"))
    per_stage = fitted.assign(lr=lr).groupby("stage").lr.median()
    print("\nmedian factor per stage:", {k: round(float(np.exp(v)), 3) for k, v in per_stage.items()},
          f"worst factor {np.exp(lr.max()):.2f}")
    print("\nCross-validation (rows not used in the fit):")
    print(cv.to_string(index=False, float_format=lambda x: f"{x:.2f}"))
    cv_factor = {s: float(np.exp(np.median(np.abs(np.log(d.ratio))))) for s, d in cv.groupby("scheme")}
    for scheme, f in cv_factor.items():
        print(f"  {scheme}: median factor {f:.2f}")

    if out:
        provenance = (f"fitted by experiments/calibrate.py on {dt.date.today().isoformat()} to the "
                      f"kneading series of {SOURCE}, rows {', '.join(rows)}; seed {SEED}")
        pset = ParameterSet({fp.name: float(v) for fp, v in zip(FIT_PARAMS, theta)}, name="kneading-fit",
                            provenance=provenance,
                            uncertainty={"source": provenance + "; linearised from the fit's Jacobian "
                                                                "and residual variance",
                                         "space": [("log10 " if fp.log else "") + fp.name
                                                   for fp in FIT_PARAMS],
                                         "covariance": cov.tolist()})
        diagnostics = {"median_factor_per_stage": {k: float(np.exp(v)) for k, v in per_stage.items()},
                       "worst_factor": float(np.exp(lr.max())), "cv_median_factor": cv_factor,
                       "ci95": {fp.name: [float(a), float(b)]
                                for fp, a, b in zip(FIT_PARAMS, ci.low_95, ci.high_95)}}
        print(f"\nwritten to {pset.save(out, extra={'diagnostics': diagnostics})}")
    if report:
        Path(report).write_text(
            "# Calibration report\n\n" + ci.to_markdown(index=False) + "\n\n" + fitted.to_markdown(index=False)
            + "\n\n" + cv.to_markdown(index=False) + "\n")
    return 0
