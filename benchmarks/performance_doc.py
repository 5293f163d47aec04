"""Write the generated tables of docs/performance.md from benchmarks/history.jsonl.

    python benchmarks/performance_doc.py [--check] [--last N]

The latest record's table (every solver and case) and the package solver's
ratios to scipy's BDF over the last N records (default 6).
"""

from __future__ import annotations

import argparse
import json
import re
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
HISTORY = ROOT / "benchmarks" / "history.jsonl"
DOC = ROOT / "docs" / "performance.md"
OURS = "lacquersim"


def records():
    return [json.loads(line) for line in HISTORY.read_text(encoding="utf-8").splitlines() if line.strip()]


def _ms(s):
    return f"{s * 1e3:.3g} ms"


def latest_block(rec) -> str:
    m = rec["machine"]
    lines = [f"Record of {rec['date'][:10]}, commit {rec['commit']}; {m['cpus']} cores "
             f"({m['cpu']}), Python {m['python']}, numpy {m['numpy']}, scipy {m['scipy']}, "
             f"numba {m['numba']}.", "",
             "| case | cells | solver | rtol at equal accuracy | time | × ours (at the rtol) | × ours (fit) | steps |",
             "|---|---|---|---|---|---|---|---|"]
    for row in rec["table"]:
        ours = row["solver"].startswith(OURS)
        ratio = "" if ours else f"{row['ratio']:.1f}"
        fit = "" if ours else f"{row['fit_ratio']:.1f}"
        lines.append(f"| {row['case']} | {row['cells']} | {row['solver']} | {row['rtol']:g} | "
                     f"{_ms(row['median_s'])} | {ratio} | {fit} | {row['steps']} |")
    x = rec["extra"]
    lines += ["", f"Batch: {x['sims_per_s_1_cores']:.0f} simulations/s on one core, "
                  f"{x['sims_per_s_2_cores']:.0f}/s on {x['cores']} (×{x['speedup']:.2f}). "
                  f"200 against 50 cells: ×{x['cost_200_over_50_cells']:.2f}."]
    if "cli_cold_s" in x:
        band = (f" ({x['cli_warm_no_band_s']:.2f} s with `--no-band`)" if "cli_warm_no_band_s" in x else "")
        if "cli_first_run_s" in x:
            lines.append(f"`lacquersim run vietnam-raw` in a fresh process: {x['cli_warm_s']:.2f} s with the "
                         f"kernels cached{band}; on the first run after installing, "
                         f"{x['cli_first_run_s']:.1f} s with the kernels shipped compiled and "
                         f"{x['cli_cold_s']:.0f} s where they must compile (another CPU, numba or "
                         "Python); each a median of three runs with an empty kernel cache.")
        else:
            lines.append(f"`lacquersim run vietnam-raw` in a fresh process: {x['cli_warm_s']:.2f} s with the "
                         f"kernels cached{band}, {x['cli_cold_s']:.0f} s on the first run (compilation"
                         + (", median of three runs with an empty kernel cache)." if "cli_cold_runs_s" in x
                            else ")."))
    return "\n".join(lines)


def _short(case: str, cells: int) -> str:
    for key, label in (("7-day", "7-day cycle"), ("kneaded", "kneaded"), ("cashew", "cashew"),
                       ("raw", "raw")):
        if key in case:
            return f"{label}, {cells} cells"
    return f"{case}, {cells} cells"


def history_block(recs, last) -> str:
    cases = []
    for rec in recs[-last:]:
        for row in rec["table"]:
            key = (row["case"], row["cells"])
            if not row["solver"].startswith(OURS) and "scipy BDF" in row["solver"] and key not in cases:
                cases.append(key)
    head = "| record | cpu | " + " | ".join(_short(c, n) for c, n in cases) + " |"
    lines = ["Times of scipy's BDF over the package's, at equal stage accuracy (fit in brackets):", "",
             head, "|---|---|" + "---|" * len(cases)]
    for rec in recs[-last:]:
        cells = []
        for c, n in cases:
            row = next((r for r in rec["table"] if r["case"] == c and r["cells"] == n
                        and "scipy BDF" in r["solver"]), None)
            cells.append("" if row is None else f"{row['ratio']:.1f}× ({row['fit_ratio']:.0f}×)")
        lines.append(f"| {rec['date'][:10]} {rec['commit']} | {rec['machine']['cpu']} | " + " | ".join(cells) + " |")
    return "\n".join(lines)


def render(text: str, last: int) -> str:
    recs = records()
    blocks = {"latest": latest_block(recs[-1]), "history": history_block(recs, last)}
    for name, body in blocks.items():
        pattern = re.compile(rf"(<!-- BEGIN generated: {name} -->\n).*?(<!-- END generated: {name} -->)", re.S)
        if not pattern.search(text):
            raise SystemExit(f"{DOC}: no block 'generated: {name}'")
        text = pattern.sub(lambda m: m.group(1) + body + "\n" + m.group(2), text)
    return text


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--check", action="store_true", help="exit 1 if docs/performance.md is out of date")
    ap.add_argument("--last", type=int, default=6, help="records in the history table (default 6)")
    args = ap.parse_args(argv)
    old = DOC.read_text(encoding="utf-8")
    new = render(old, args.last)
    if args.check:
        print("docs/performance.md is up to date" if new == old else "docs/performance.md is out of date")
        return 0 if new == old else 1
    DOC.write_text(new, encoding="utf-8")
    print(f"written {DOC}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
