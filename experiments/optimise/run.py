"""The optimiser study: Vietnamese laccol against cashew lacquer in a Phu Tho workshop.

    python experiments/optimise/run.py [--budget 5000] [--seed 1] [--resume]

Runs ``lacquersim optimise`` on ``phu-tho-laccol.yaml`` (every month of the
Viet Tri 1991–2015 normal, scored by the worst month), writes the run's
files to ``experiments/optimise/results/`` (front.csv, recipes, report.md,
figures; the checkpoint is kept out of git), and writes the answer, month
by month, into the generated blocks ``optimise-answer`` of docs/optimise.md
and README.md. The time, evaluations and machine go into the report.
"""

from __future__ import annotations

import argparse
import calendar
import os
import platform
import re
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[1]
SPACE = HERE / "phu-tho-laccol.yaml"
OUT = HERE / "results"
KIND = {"workshop": "workshop air", "humid_cabinet": "humid cabinet",
        "heated_cabinet": "heated cabinet"}


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--budget", type=int, default=5000)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--resume", action="store_true")
    ap.add_argument("--workers", type=int, default=None)
    args = ap.parse_args()

    from lacquersim.optimise.report import write_outputs
    from lacquersim.optimise.search import optimise
    from lacquersim.optimise.space import load_space

    space = load_space(SPACE)
    t0 = time.perf_counter()
    done = [0]

    def progress(n, total):
        if n - done[0] >= 500 or n == total:
            done[0] = n
            print(f"  {n} of {total} candidates, {time.perf_counter() - t0:.0f} s", flush=True)

    result = optimise(space, args.budget, args.seed, OUT, resume=args.resume, progress=progress,
                      workers=args.workers)
    seconds = time.perf_counter() - t0
    files = write_outputs(result, OUT, budget=args.budget,
                          command=f"python experiments/optimise/run.py --budget {args.budget} "
                                  f"--seed {args.seed}")
    n_months = len(space.months)
    print(f"{result.n_evals} candidates x {len(result.competitor)} climates "
          f"({result.n_evals * n_months} simulations, plus the band check) in {seconds:.0f} s "
          f"on {os.cpu_count()} cores ({platform.processor() or platform.machine()})")
    block = answer(result, files, seconds)
    for doc, rel in ((ROOT / "docs" / "optimise.md", "../experiments/optimise/results/"),
                     (ROOT / "README.md", "experiments/optimise/results/")):
        _replace(doc, "optimise-answer", block.replace("{RESULTS}", rel))
    print("wrote", files["report"], "and the answer blocks of docs/optimise.md and README.md")
    return 0


def answer(result, files, seconds: float) -> str:
    """The month-by-month answer as a Markdown table and two sentences."""
    mon = result.monthly
    comp = result.competitor[result.competitor.year.isna()] if "year" in result.competitor \
        else result.competitor
    comp = comp.set_index("month")
    rows = ["| month | cheapest way found to beat cashew | time vs cashew (band's upper end) "
            "| cost, VND/m² (cashew) |", "|---|---|---|---|"]
    heated_only, none = [], []
    for r in mon.itertuples(index=False):
        m = int(r.month)
        name = calendar.month_abbr[m]
        if r.best_candidate < 0:
            none.append(name)
            rows.append(f"| {name} | none found within the band | {r.fastest_ratio:.2f} at best "
                        f"(nominal) | – | – |")
            continue
        if r.best_kind == "heated_cabinet" and r.unheated_candidate < 0:
            heated_only.append(name)
        x = result.archive.loc[result.archive.candidate == r.best_candidate].iloc[0]
        how = _how(x, result.space)
        rows.append(f"| {name} | {how} ([recipe]({{RESULTS}}recipes/month-{m:02d}.yaml)) | "
                    f"{r.best_ratio:.2f} (≤ {r.robust_ratio_high:.2f}) | {r.best_cost_vnd_m2:,.0f} "
                    f"({comp.cost_vnd_m2.get(m, float('nan')):,.0f}) |")
    words = [f"In each month of the Viet Tri 1991–2015 normal, the cheapest candidate found "
             f"that is tack free and dry hard sooner than cashew lacquer in the same month's "
             f"workshop air, even at the upper end of the 90 % band of the model's parameter "
             f"uncertainty (time vs cashew: below 1 is faster), from {result.n_evals} candidates "
             f"({seconds / 60:.0f} min on {os.cpu_count()} cores)."]
    if heated_only:
        words.append("Months that need a heated cabinet: " + ", ".join(heated_only) + ".")
    if none:
        words.append("Months where nothing found beats cashew: " + ", ".join(none) + ".")
    unheated = [calendar.month_abbr[int(r.month)] for r in mon.itertuples(index=False)
                if r.unheated_candidate >= 0]
    if unheated:
        words.append("Without a heated cabinet it can be done in: " + ", ".join(unheated) + ".")
    ratio = (mon.best_cost_vnd_m2 / comp.cost_vnd_m2.reindex(mon.month).to_numpy()).dropna()
    if len(ratio):
        words.append(f"The price is mostly the material: a coat costs {ratio.min():.1f} to "
                     f"{ratio.max():.1f} times cashew's.")
    words.append("Full report: [report.md]({RESULTS}report.md).")
    return "\n".join([" ".join(words[:1]), ""] + rows + [""] + words[1:])


def _how(x, space) -> str:
    p = space.practice(dict(x))
    parts = [KIND[p["kind"]]]
    if p["kind"] != "workshop":
        parts[0] += f" {p['rh_percent']:.0f} % RH"
    if p["kind"] == "heated_cabinet":
        parts[0] += f", {p['temperature_c']:.0f} °C"
    for name, fmt in (("refining.0.minutes", "kurome {:.0f} min"),
                      ("refining.0.temperature_c", "at {:.0f} °C"),
                      ("additives.oil_percent", "{:.0f} % oil"),
                      ("film.thickness_um", "{:.0f} µm")):
        if name in x:
            parts.append(fmt.format(float(x[name])))
    return ", ".join(parts)


def _replace(path: Path, name: str, body: str) -> None:
    text = path.read_text(encoding="utf-8")
    pat = re.compile(rf"(<!-- BEGIN generated: {name} -->\n).*?(<!-- END generated: {name} -->)",
                     re.S)
    if not pat.search(text):
        raise SystemExit(f"{path}: no block 'generated: {name}'")
    path.write_text(pat.sub(lambda m: m.group(1) + body + "\n" + m.group(2), text), encoding="utf-8")


if __name__ == "__main__":
    sys.exit(main())
