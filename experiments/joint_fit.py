"""The joint fit: every uncertain parameter against every target at once.

    python experiments/joint_fit.py [--write] [--draws 160] [--max-nfev 30]

Targets (experiments/targets.py): the kneading series of IJPS 2015 (points,
log residuals), the refining target of Q1, and every craft range and
qualitative check (penalised only outside the range, or when the check
fails). Parameters (FIT below): the laccase and thermal laws shared by every
sap, the Q1 parameters of Vietnamese laccol, the activity of each origin's
laccase, the cashew cure, and the two refining rates.

Method, in the optimiser's space (log10 where named):
1. maximum a posteriori by scipy's least_squares: residuals are point
   log-errors over SIGMA_POINT, range and check violations over SIGMA_RANGE,
   and a Gaussian prior per parameter (centre and width below: what was
   believed before the fit, from the literature ranges in the table);
2. Laplace approximation: covariance (JᵀJ)⁻¹ of the scaled residuals at the
   optimum, the point residuals rescaled by their own variance;
3. a posterior sample by emcee (affine-invariant MCMC) of the same cost, the
   points scaled by their rms at the optimum; the ranges act as soft walls;
   walkers start from the Laplace approximation, the first half is discarded.
   48 of its members (the optimum first) are the ensemble that gives the 90 %
   band of stage times (lacquersim run, validate.py).

--write puts the fitted values (with this script named as their source), the
covariance and the ensemble into src/lacquersim/data/.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import math
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
from scipy.optimize import least_squares

import calibration as C
import targets as T

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT / "src" / "lacquersim" / "data"
TABLE = DATA / "parameters.yaml"
ENSEMBLE = DATA / "ensemble.csv"
SIGMA_POINT = 0.2   # log-error of a kneading point worth one prior s.d. (≈ ×1.22, the Q1 scatter)
SIGMA_RANGE = 0.05  # a 5 % excursion outside a craft range costs as much as a 1-s.d. point miss
MARGIN = 0.05       # the fit aims 5 % inside each range (checks: a margin of 0.05), not at its bound
SEED = 20261207


@dataclass(frozen=True)
class FitParam:
    """A fitted parameter: its name in the table, bounds (table units), prior centre and s.d.
    (in the optimiser's space: decades when log), and the section of the table it lives in."""

    name: str
    log: bool
    lower: float
    upper: float
    prior: float
    prior_sd: float
    section: str = "film"


FIT = (
    # laccase in wet sap and in the film (all saps)
    FitParam("Ea_L", False, 50.0, 200.0, 100.0, 30.0),
    FitParam("k_d", True, 1e-6, 1e-2, 1e-4, 1.0),
    FitParam("Ea_d", False, 120.0, 400.0, 250.0, 50.0),
    FitParam("T_eq_laccase", False, 25.0, 70.0, 45.0, 10.0),
    FitParam("dH_eq_laccase", False, 80.0, 1000.0, 300.0, 150.0),
    # thermal (baking) route
    FitParam("k_T_140C", True, 0.1, 50.0, 2.0, 0.5),
    FitParam("Ea_T", False, 30.0, 150.0, 65.0, 20.0),
    FitParam("T_on_thermal", False, 40.0, 120.0, 80.0, 15.0),
    FitParam("w_on_thermal", False, 1.0, 20.0, 6.0, 5.0),
    # transport in the film
    FitParam("E_DO", False, 0.0, 60.0, 25.0, 15.0),
    FitParam("E_Dw", False, 0.0, 60.0, 25.0, 15.0),
    # Vietnamese laccol: what the kneading series pins down
    FitParam("vietnam.k_L", True, 0.05, 5.0, 0.3, 0.5),
    FitParam("vietnam.alpha_gel", False, 0.4, 0.8, 0.65, 0.1),
    FitParam("vietnam.D_w0", True, 1e-13, 1e-11, 5e-13, 0.5),
    FitParam("vietnam.phi_ex", False, 0.06, 0.2, 0.13, 0.04),
    FitParam("vietnam.lambda_Tg", False, 0.4, 0.95, 0.6, 0.15),
    # the other origins: their laccase activity relative to Vietnamese sap
    FitParam("japan.enzyme_activity", True, 0.05, 5.0, 1.0, 0.5),
    FitParam("china.enzyme_activity", True, 0.05, 5.0, 1.0, 0.5),
    FitParam("myanmar.enzyme_activity", True, 0.02, 5.0, 0.5, 0.5),
    # cashew: pre-condensation, oxidative cure and oxygen supply. beta_O is chosen, not fitted
    # (0: no skin; an integer, for the kernels' integer-power path): a skin that grows as the
    # surface cures made a 100 µm coat 5–6 times slower to dry hard than a 50 µm one. D_O0 is
    # then the O2 diffusivity of the pre-condensed resin itself, near its glass transition:
    # 1e-13 (glassy) to 1e-11 m²/s (rubbery polymers). w_g: how broad the resin's vitrification
    # is (the table's 5 K for every lacquer before); a broad one lets the cure go on past Tg.
    FitParam("cashew.k_S", True, 1e-3, 0.2, 0.02, 0.5),
    FitParam("cashew.Ea_S", False, 20.0, 90.0, 45.0, 15.0),
    FitParam("cashew.D_O0", True, 1e-14, 1e-10, 3e-12, 1.0),
    FitParam("cashew.alpha_pre", False, 0.3, 0.58, 0.45, 0.08),
    FitParam("cashew.w_g", False, 2.0, 30.0, 5.0, 5.0),
    # refining vessel: evaporation and pre-oxidation rates
    FitParam("evap_k", True, 1e-3, 1.0, 0.02, 0.5, "refining"),
    FitParam("preox_k", True, 1e-4, 1.0, 0.01, 0.5, "refining"),
)


def encode(theta, params=FIT) -> np.ndarray:
    return C.encode(theta, params)


def decode(x, params=FIT) -> np.ndarray:
    return C.decode(x, params)


def bounds(params=FIT):
    return C.bounds(params)


def prior_centre(params=FIT) -> np.ndarray:
    return encode([p.prior for p in params], params)


def prior_sd(params=FIT) -> np.ndarray:
    return np.array([p.prior_sd for p in params])


def current(params=FIT, pset=None) -> np.ndarray:
    """The table's present values of the fitted parameters (table units)."""
    return C.table_values(params, pset)


def overrides(theta, params=FIT) -> dict:
    return {p.name: float(v) for p, v in zip(params, theta)}


class Objective:
    """Scaled residuals of every target and every prior for a point x of the optimiser's space."""

    def __init__(self, targets=None, params=FIT, n_cells=T.N_CELLS, log=None):
        self.targets = T.targets() if targets is None else targets
        self.params = params
        self.n_cells = n_cells
        self.kind = np.array([t.kind for t in self.targets])
        self.scale = np.array([t.sigma if t.sigma else SIGMA_POINT if t.kind == "point" else SIGMA_RANGE
                               for t in self.targets])
        self.x0, self.sd = prior_centre(params), prior_sd(params)
        self.calls = 0
        self.log = log
        self.best = (math.inf, None)

    def evaluate(self, x) -> pd.DataFrame:
        return T.evaluate(self.targets, overrides(decode(x, self.params), self.params), self.n_cells,
                          margin=MARGIN)

    def __call__(self, x) -> np.ndarray:
        df = self.evaluate(x)
        r = np.concatenate([df.residual.to_numpy() / self.scale, (x - self.x0) / self.sd])
        self.calls += 1
        cost = 0.5 * float(r @ r)
        if cost < self.best[0]:
            self.best = (cost, np.array(x))
            if self.log:
                self.log(f"call {self.calls}: cost {cost:.3f}, {int((~df.holds).sum())} targets fail")
        return r


def fit(obj: Objective, x_start, max_nfev=30):
    lo, hi = bounds(obj.params)
    x_start = np.clip(x_start, lo + 1e-9 * (hi - lo), hi - 1e-9 * (hi - lo))
    return least_squares(obj, x_start, bounds=(lo, hi), diff_step=1e-2, x_scale=obj.sd,
                         max_nfev=max_nfev, method="trf")


def laplace_covariance(jac, fun, obj: Objective) -> np.ndarray:
    """(JᵀJ)⁻¹ of the scaled residuals ``fun`` and their Jacobian ``jac`` at the optimum,
    the point rows rescaled by the point residuals' own variance."""
    n_t = len(obj.targets)
    J = np.array(jac, dtype=float)
    point = np.zeros(J.shape[0], bool)
    point[:n_t] = obj.kind == "point"
    r_pts = fun[point] * SIGMA_POINT
    s2 = float(np.mean(r_pts ** 2)) if r_pts.size else SIGMA_POINT ** 2
    J[point] *= SIGMA_POINT / math.sqrt(max(s2, 1e-6))
    H = J.T @ J
    cov = np.linalg.pinv(H)
    return 0.5 * (cov + cov.T)


def sample(obj: Objective, x_opt, cov, n_walkers=52, n_steps=80, keep=48, seed=SEED, log=print):
    """Posterior draws by emcee's affine-invariant ensemble sampler, the walkers started
    from the Laplace approximation (so that directions the targets leave open start at
    their prior's width rather than having to diffuse there). The log posterior is
    −½·Σ(scaled residuals)², the points scaled by their rms at the optimum. Returns the
    ensemble (the optimum first, then ``keep − 1`` draws from the second half of the chain,
    table units), the covariance of that half (optimiser space) and the sampler's diagnostics."""
    import emcee

    lo, hi = bounds(obj.params)
    n_t = len(obj.targets)
    point = obj.kind == "point"
    r_opt = obj(x_opt)
    rms = float(np.sqrt(np.mean((r_opt[:n_t][point] * SIGMA_POINT) ** 2)))
    obj.scale[point] = max(rms, 0.05)
    log(f"sampling with the points' log-error s.d. {obj.scale[point][0]:.3f}")

    def log_prob(x):
        if np.any(x < lo) or np.any(x > hi):
            return -np.inf
        r = obj(x)
        return -0.5 * float(r @ r)

    rng = np.random.default_rng(seed)
    p0 = np.clip(rng.multivariate_normal(x_opt, cov, size=n_walkers, method="eigh"), lo + 1e-9, hi - 1e-9)
    sampler = emcee.EnsembleSampler(n_walkers, len(x_opt), log_prob)
    sampler.random_state = np.random.RandomState(seed).get_state()
    for i, _ in enumerate(sampler.sample(p0, iterations=n_steps)):
        if (i + 1) % 10 == 0:
            log(f"mcmc step {i + 1}/{n_steps}, acceptance {np.mean(sampler.acceptance_fraction):.2f}")
    chain = sampler.get_chain(discard=n_steps // 2, flat=True)
    tau = sampler.get_autocorr_time(quiet=True, discard=n_steps // 2)
    picks = rng.choice(len(chain), size=keep - 1, replace=False)
    members = pd.DataFrame([decode(x, obj.params) for x in [np.asarray(x_opt)] + list(chain[picks])],
                           columns=[p.name for p in obj.params])
    diag = {"walkers": n_walkers, "steps": n_steps, "discarded": n_steps // 2,
            "acceptance": float(np.mean(sampler.acceptance_fraction)),
            "autocorrelation_steps_max": float(np.nanmax(tau)), "point_sd": float(obj.scale[point][0])}
    return members, np.cov(chain.T), diag


# -- writing the results into the table -------------------------------------------------------

def _entry_span(lines, section, name):
    """Line range [start, end) of a parameter's block in its section of parameters.yaml."""
    sec = lines.index(f"{section}:")
    start = next(i for i in range(sec + 1, len(lines)) if lines[i] == f"  {name}:")
    end = next((i for i in range(start + 1, len(lines)) if not lines[i].startswith("   ")), len(lines))
    return start, end


def _yaml_str(s):
    return json.dumps(s, ensure_ascii=False)


def set_value(text: str, section: str, param: str, value: float, source: str) -> str:
    """Set a parameter's value (``k_d``) or one material's (``vietnam.k_L``) in the table text."""
    lines = text.split("\n")
    material, _, name = param.rpartition(".")
    start, end = _entry_span(lines, section, name)
    block = lines[start:end]
    v = repr(float(value))
    if not material:
        for i, ln in enumerate(block):
            if ln.startswith("    value:"):
                block[i] = f"    value: {v}"
            elif ln.startswith("    source:"):
                block[i] = f"    source: {_yaml_str(source)}"
    else:
        row = f"      {material}: [{v}, {_yaml_str(source)}]"
        where = next((i for i, ln in enumerate(block) if ln.startswith(f"      {material}:")), None)
        if where is not None:
            block[where] = row
        elif "    materials:" in block:
            block.insert(block.index("    materials:") + 1, row)
        else:
            block += ["    materials:", row]
    lines[start:end] = block
    return "\n".join(lines)


def set_uncertainty(text: str, source: str, space, cov) -> str:
    head = text[:text.index("\nuncertainty:\n") + 1]
    rows = "\n".join("    - [" + ", ".join(repr(float(c)) for c in row) + "]" for row in cov)
    return (head + "uncertainty:\n"
            "  # covariance of the fitted parameters, in the fit's space (log10 where named), and\n"
            "  # the ensemble of parameter sets that gives the 90 % band of stage times\n"
            f"  source: {_yaml_str(source)}\n"
            f"  space: [{', '.join(_yaml_str(s) for s in space)}]\n"
            f"  ensemble: ensemble.csv\n"
            "  covariance:\n" + rows + "\n")


def sources(cov, provenance, params=FIT) -> list[str]:
    """Each fitted value's source: the fit, and whether the targets constrain it at all
    (posterior s.d. above 80 % of the prior's: the prior sets it)."""
    sd = np.sqrt(np.diag(cov))
    return [provenance + ("; the targets hardly constrain it: its prior (centre "
                          f"{p.prior:g}) sets it" if s > 0.8 * p.prior_sd else "")
            for p, s in zip(params, sd)]


def write(theta, cov, members, obj, provenance):
    text = TABLE.read_text(encoding="utf-8")
    for p, v, src in zip(obj.params, theta, sources(cov, provenance, obj.params)):
        text = set_value(text, p.section, p.name, v, src)
    space = [("log10 " if p.log else "") + p.name for p in obj.params]
    text = set_uncertainty(text, provenance + "; covariance of the posterior sample (emcee)", space, cov)
    TABLE.write_text(text, encoding="utf-8")
    with ENSEMBLE.open("w", encoding="utf-8") as fh:
        fh.write(f"# parameter ensemble for the 90 % band: {provenance}.\n"
                 "# Row 0 is the optimum; the others are drawn from the second half of an emcee\n"
                 "# posterior sample of the same cost. Units as in parameters.yaml.\n")
        members.to_csv(fh, index=False, float_format="%.8g")


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--write", action="store_true", help="write values, covariance and ensemble into the package")
    ap.add_argument("--max-nfev", type=int, default=40)
    ap.add_argument("--walkers", type=int, default=52, help="emcee walkers (≥ 2 × parameters)")
    ap.add_argument("--steps", type=int, default=100, help="emcee steps per walker (half discarded)")
    ap.add_argument("--keep", type=int, default=48, help="ensemble size (with the optimum)")
    ap.add_argument("--start", choices=("table", "prior"), default="table")
    ap.add_argument("--no-fit", action="store_true", help="take the table's values as the optimum")
    args = ap.parse_args(argv)
    t0 = time.time()

    def log(msg):
        print(f"[{time.time() - t0:7.0f} s] {msg}", flush=True)

    obj = Objective(log=log)
    x_start = encode(current()) if args.start == "table" else prior_centre()
    if args.no_fit:  # the Jacobian at the table's values, as least_squares would take it
        from scipy.optimize._numdiff import approx_derivative

        x_opt, fun = x_start, obj(x_start)
        jac = approx_derivative(obj, x_opt, rel_step=1e-2, f0=fun, bounds=bounds())
        log(f"table values: cost {0.5 * fun @ fun:.3f}")
    else:
        res = fit(obj, x_start, args.max_nfev)
        x_opt, fun, jac = res.x, res.fun, res.jac
        log(f"fit: cost {res.cost:.3f}; {res.message}")
    theta = decode(x_opt)
    cov = laplace_covariance(jac, fun, obj)
    sd = np.sqrt(np.diag(cov))
    lo, hi = bounds()
    table = pd.DataFrame({"parameter": [p.name for p in FIT], "fitted": theta,
                          "low_90": decode(np.clip(x_opt - 1.645 * sd, lo, hi)),
                          "high_90": decode(np.clip(x_opt + 1.645 * sd, lo, hi)),
                          "prior": [p.prior for p in FIT]})
    pd.set_option("display.width", 200)
    print(table.to_string(index=False, float_format=lambda v: f"{v:.4g}"))
    df = obj.evaluate(x_opt)
    bad = df[~df.holds]
    print(f"\n{len(bad)} of {len(df)} targets fail at the optimum")
    print(bad[["id", "low", "high", "predicted"]].to_string(index=False))
    pts = df[df.kind == "point"]
    lr = np.abs(pts.residual.to_numpy())
    print(f"kneading series: median factor {math.exp(np.median(lr)):.3f}, worst {math.exp(lr.max()):.3f}")
    members, cov, diag = sample(obj, x_opt, cov, args.walkers, args.steps, args.keep, log=log)
    log(f"ensemble: {len(members)} members; sampler {diag}")
    if args.write:
        provenance = (f"fitted by experiments/joint_fit.py on {dt.date.today().isoformat()} to every target "
                      f"of docs/validation.md (seed {SEED})")
        write(theta, cov, members, obj, provenance)
        log(f"written to {TABLE} and {ENSEMBLE}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
