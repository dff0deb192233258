#!/usr/bin/env python3
"""Benchmark of the mixity options: the shares of L.441-1 in a run's moves, with the options off and on.

For each shape and size, generates a territory (``fixtures.generate``), takes as first-quartile
threshold the first quartile of its households' yearly resources per consumption unit, solves it with
the mixity points off (POLICY.md's defaults) and on (``--out-points``, ``--in-points``), and prints,
for each: the moves, the moves outside QPV and the share of them to first-quartile households, the
moves into a QPV and the share of them to households outside the first quartile, the points.

Usage::

    .venv/bin/python benchmarks/mixity.py
    .venv/bin/python benchmarks/mixity.py --sizes 1000 3000 --out-points 60 --in-points 40
"""

from __future__ import annotations

import argparse
import statistics
import sys
from dataclasses import replace
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
# benchmarks/ holds a script called matching.py: keep this folder off sys.path.
sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != Path(__file__).resolve().parent]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[1000, 3000], help="dwellings")
    parser.add_argument("--shapes", nargs="+", default=["littoral", "metropole"])
    parser.add_argument("--seed", type=int, default=2026)
    parser.add_argument("--out-points", type=int, default=60, help="points_mixity_out_of_qpv when on")
    parser.add_argument("--in-points", type=int, default=40, help="points_mixity_into_qpv when on")
    parser.add_argument("--time-limit", type=float, default=60.0, help="seconds per solve")
    args = parser.parse_args()
    print(
        "| shape | dwellings | options | moves | outside QPV | of which Q1 % | into QPV "
        "| of which not Q1 % | Q1 leaving QPV | points |"
    )
    print("|---|---:|---|---:|---:|---:|---:|---:|---:|---:|")
    for shape in args.shapes:
        for size in args.sizes:
            for line in _rows(args, shape, size):
                print(line, flush=True)


def _rows(args: argparse.Namespace, shape: str, size: int) -> list[str]:
    from exchange.loading import read_document
    from fixtures.generate import generate_territory
    from matching import policy
    from matching.graph import build_instance
    from matching.solve import solve
    from matching.types import SolveParams

    territory, config = read_document(generate_territory(args.seed, size, shape=shape))
    per_unit = [h.monthly_resources * 12 / policy.consumption_units(h) for h in territory.households]
    threshold = statistics.quantiles(per_unit, n=4)[0]
    territory = replace(territory, first_quartile_eur=threshold)
    households = {h.ref: h for h in territory.households}
    dwellings = {d.ref: d for d in territory.dwellings}
    rows = []
    for label, chosen in (
        ("off", config),
        (
            f"on ({args.out_points}/{args.in_points})",
            replace(config, points_mixity_out_of_qpv=args.out_points, points_mixity_into_qpv=args.in_points),
        ),
    ):
        instance = build_instance(territory, chosen)
        params = SolveParams(
            time_limit_s=args.time_limit, max_cycle=chosen.max_cycle, max_chain=chosen.max_chain
        )
        solution = solve(instance, params)
        moves = [m for p in solution.proposals for m in p.moves]
        outside = inside = outside_q1 = inside_other = leaving = 0
        for m in moves:
            h, target = households[m.household], dwellings[m.dwelling]
            current = dwellings[instance.households[m.household]]
            q1 = policy.in_first_quartile(h, threshold)
            if target.qpv:
                inside += 1
                inside_other += not q1
            else:
                outside += 1
                outside_q1 += bool(q1)
                leaving += bool(q1) and current.qpv
        rows.append(
            f"| {shape} | {size} | {label} | {len(moves)} | {outside} | {_pct(outside_q1, outside)} "
            f"| {inside} | {_pct(inside_other, inside)} | {leaving} | {sum(m.points for m in moves)} |"
        )
    return rows


def _pct(part: int, whole: int) -> str:
    return "—" if whole == 0 else f"{100 * part / whole:.1f}"


if __name__ == "__main__":
    main()
