"""Solver benchmark: `python benchmarks/bench.py [--quick] [--no-cvode] [--plot FILE]`.

Prints the table (median times, ratios to the package solver at equal
stage-time accuracy, steps, Jacobians, LU factorisations), batch throughput
and CLI start-up, and appends a JSON record to benchmarks/history.jsonl.
See lacquersim/benchmark.py for what exactly is measured.
"""

from __future__ import annotations

import argparse
from pathlib import Path

import benchmark

HISTORY = Path(__file__).parent / "history.jsonl"


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--repeat", type=int, default=5,
                    help="timed back-to-back runs per solver in each of three rounds (default 5)")
    ap.add_argument("--quick", action="store_true", help="50 cells only, small batch, no CLI timing")
    ap.add_argument("--no-cvode", action="store_true")
    ap.add_argument("--no-history", action="store_true", help="do not append to history.jsonl")
    ap.add_argument("--plot", metavar="FILE.png", help="plot the history to FILE.png and exit")
    args = ap.parse_args(argv)
    if args.plot:
        print(benchmark.plot_history(HISTORY, Path(args.plot)))
        return
    table, extra = benchmark.run(repeat=args.repeat, history=None if args.no_history else HISTORY,
                                 with_cvode=not args.no_cvode, quick=args.quick)
    print(benchmark.format_report(table, extra))


if __name__ == "__main__":
    main()
