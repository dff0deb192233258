#!/usr/bin/env python3
"""Our solver against the plain cycle formulation solved by CBC, on generated metropolitan territories.

For each size and seed: ``fixtures.generate.generate_territory(seed, n, shape="metropole")``, its
graph of allowed moves, then one after the other (never in parallel, 2 shared cores):

* ours: ``matching.solve`` with caps 3/3 and ``--time-limit`` (objective, bound, gap, seconds);
* plain CBC (``--plain-cbc``): one MIP over every column of the same programme (every cycle of at
  most 3 households and every position-indexed chain arc), no column generation, no decomposition,
  no search, solved by CBC until proven or ``--plain-limit``.

The load average is printed beside each run: wall-clock times on a shared machine are noisy.

Usage::

    .venv/bin/python benchmarks/metropole.py --seeds 1 2 3 --time-limit 240
    .venv/bin/python benchmarks/metropole.py --seeds 1 --plain-cbc --plain-limit 1800
"""

from __future__ import annotations

import argparse
import importlib
import os
import sys
import time
from pathlib import Path
from typing import Any
from unittest import mock

ROOT = Path(__file__).resolve().parents[1]
# benchmarks/ holds a matching.py: keep this folder off sys.path so that `import matching` finds the package.
sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != Path(__file__).resolve().parent]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))


def instance_of(seed: int, dwellings: int) -> tuple[Any, int]:
    """The generated metropolitan territory's instance and its number of requests."""
    from exchange.loading import territory_from_document
    from fixtures.generate import generate_territory
    from matching.config import PolicyConfig
    from matching.graph import build_instance

    document: Any = generate_territory(seed, dwellings, shape="metropole")
    job = document.get("territory", {}).get("job_distance_km")
    config = PolicyConfig(job_distance_km=float(job)) if job is not None else PolicyConfig()
    territory = territory_from_document(document)
    return build_instance(territory, config), len(territory.requests)


def plain_cbc(instance: Any, limit: float) -> dict[str, float]:
    """Every component's full programme as one CBC MIP each; objective, bound and seconds."""
    import matching
    from matching.backends import solve_proto
    from matching.model import ComponentResult
    from matching.program import build_program, to_proto
    from matching.types import SolveParams

    solve_module = importlib.import_module("matching.solve")  # the module: matching.solve is the function
    totals = {"objective": 0.0, "bound": 0.0, "columns": 0.0}
    start = time.perf_counter()

    def plain(part: Any, **_: Any) -> ComponentResult:
        model = build_program(part)
        active = list(range(len(model.weights)))
        totals["columns"] += len(active)
        proto = to_proto(model, active, integer=True)
        until = start + limit
        _, picked, bound, value = solve_proto(proto, "CBC", until, 0, 1, False, None)
        totals["objective"] += max(0.0, value)
        totals["bound"] += bound if bound < float("inf") else sum(model.weights)
        return ComponentResult((), (), 0, 0.0, "optimal")

    # The same columns as ours: solve's own decomposition, each part handed to the plain MIP.
    with mock.patch.object(solve_module, "solve_component", plain):
        matching.solve(instance, SolveParams(max_cycle=3, max_chain=3, time_limit_s=limit, workers=1))
    totals["seconds"] = time.perf_counter() - start
    return totals


def main(argv: list[str] | None = None) -> int:
    """Print one markdown row per territory."""
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sizes", type=int, nargs="+", default=[5000])
    ap.add_argument("--seeds", type=int, nargs="+", default=[1, 2, 3])
    ap.add_argument("--time-limit", type=float, default=240.0, help="our solver's time limit")
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--plain-cbc", action="store_true", help="also solve the plain formulation with CBC")
    ap.add_argument("--plain-limit", type=float, default=1800.0, help="plain CBC's time limit")
    args = ap.parse_args(argv)
    import matching
    from matching.types import SolveParams

    print(
        "| territoire | demandes | mouvements | nous : objectif | borne | écart | s | charge "
        "| CBC simple : objectif | borne | s | charge | rapport |"
    )
    print("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
    for dwellings in args.sizes:
        for seed in args.seeds:
            instance, requests = instance_of(seed, dwellings)
            params = SolveParams(
                max_cycle=3, max_chain=3, time_limit_s=args.time_limit, workers=args.workers, seed=0
            )
            load = os.getloadavg()[0]
            t0 = time.perf_counter()
            ours = matching.solve(instance, params)
            ours_s = time.perf_counter() - t0
            gap = 100 * (ours.bound - ours.objective) / max(1.0, ours.bound)
            row = (
                f"| metropole-{dwellings}-s{seed} | {requests} | {len(instance.moves)} | {ours.objective} "
                f"| {ours.bound:.0f} | {gap:.3f} % | {ours_s:.0f} | {load:.1f} |"
            )
            if args.plain_cbc:
                load = os.getloadavg()[0]
                plain = plain_cbc(instance, args.plain_limit)
                proven = plain["bound"] - plain["objective"] < 1
                ratio = f"{ours_s / plain['seconds']:.2f}" if proven and ours.status == "optimal" else "—"
                row += (
                    f" {plain['objective']:.0f} | {plain['bound']:.0f} | {plain['seconds']:.0f}"
                    f"{'' if proven else ' (non prouvé)'} | {load:.1f} | {ratio} |"
                )
            else:
                row += " — | — | — | — | — |"
            print(row, flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
