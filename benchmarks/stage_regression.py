"""Stage-time regression record: `python benchmarks/stage_regression.py --write F | --compare F`.

Runs every bundled recipe, every material under a grid of constant
conditions, the batch path and a multi-coat build through the public API,
and writes (or compares against) their stage times, wrinkle indices, end
figures and refined states. A refactor that must not change results is
checked with ``--compare`` against a record written before it (relative
tolerance 1e-6 by default).
"""

from __future__ import annotations

import argparse
import json
import math
import sys

import lacquersim as ls


def _num(x):
    x = float(x)
    return None if not math.isfinite(x) else x


def _cases():
    out = {}
    for name in ls.bundled_recipes()["name"]:
        rec = ls.load_recipe(name)
        res = ls.simulate(rec)
        s = res.summary()
        out[f"bundled/{name}"] = {
            "stages": [_num(v) for v in res.stages],
            "wrinkle": _num(res.wrinkle_index),
            "tg_minus_t": _num(s["final_tg_minus_t_c"]),
            "water_left": _num(s["water_left_percent"]),
            "o2": _num(s["o2_consumed_mol_m2"]),
            "state": [_num(v) for v in ls.refine(rec)],
        }
        if hasattr(res, "coat_stages"):
            out[f"bundled/{name}"]["coats"] = [[_num(v) for v in row]
                                               for row in res.coat_stages.drop(columns="reason").to_numpy()]
    recs = []
    for mat in ("japan", "china", "vietnam", "myanmar", "cashew", "vietnam-rainy", "vietnam-dry"):
        for t, rh in ((5, 80), (15, 85), (25, 40), (25, 65), (25, 80), (25, 95), (35, 80), (60, 80)):
            recs.append(ls.Recipe.from_dict({
                "name": f"{mat} {t} {rh}", "material": mat, "film": {"thickness_um": 76},
                "drying": {"temperature_c": t, "rh_percent": rh, "hours": 72}}))
    from lacquersim.sim.batch import simulate_many

    df = simulate_many(recs)
    for rec, (_, row) in zip(recs, df.iterrows()):
        out[f"batch/{rec.name}"] = {"stages": [_num(row[k]) for k in ls.STAGES],
                                    "wrinkle": _num(row["wrinkle_index"]), "status": row["status"]}
    for rec in recs[::5]:
        res = ls.simulate(rec, n_cells=30)
        out[f"single30/{rec.name}"] = {"stages": [_num(v) for v in res.stages],
                                       "wrinkle": _num(res.wrinkle_index)}
    oven = ls.Schedule.oven(temperature_c=120, hours=1.5)
    res = ls.simulate(ls.load_recipe("japan-raw"), schedule=oven)
    out["oven/japan-raw"] = {"stages": [_num(v) for v in res.stages]}
    return out


def _close(a, b, rtol):
    if isinstance(a, list):
        return isinstance(b, list) and len(a) == len(b) and all(_close(x, y, rtol) for x, y in zip(a, b))
    if isinstance(a, (int, float)) and isinstance(b, (int, float)):
        return abs(a - b) <= rtol * max(abs(a), abs(b), 1e-300)
    return a == b


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    g = ap.add_mutually_exclusive_group(required=True)
    g.add_argument("--write", metavar="FILE")
    g.add_argument("--compare", metavar="FILE")
    ap.add_argument("--rtol", type=float, default=1e-6)
    args = ap.parse_args(argv)
    now = _cases()
    if args.write:
        with open(args.write, "w") as f:
            json.dump(now, f, indent=1)
        print(f"{len(now)} cases written to {args.write}")
        return 0
    with open(args.compare) as f:
        before = json.load(f)
    bad = 0
    for key in sorted(set(before) | set(now)):
        a, b = before.get(key), now.get(key)
        if a is None or b is None:
            print(f"{key}: only in {'now' if a is None else 'the record'}")
            bad += 1
            continue
        for field in sorted(set(a) | set(b)):
            if not _close(a.get(field), b.get(field), args.rtol):
                print(f"{key}.{field}: {a.get(field)} -> {b.get(field)}")
                bad += 1
    print(f"{len(now)} cases, {bad} differences beyond rtol {args.rtol:g}")
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
