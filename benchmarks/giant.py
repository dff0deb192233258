#!/usr/bin/env python3
"""One giant territory on a Dask LocalCluster of 1 then 2 workers: does its search gain from the second?

For each seed, ``fixtures.generate.generate_territory(seed, dwellings, shape="metropole")`` (one giant
part, too large for any proof MIP: its time goes to the large-neighbourhood search) is solved as
``exchange run`` solves a territory on a cluster (``exchange.cluster.submitter``: the territory is one
task, its independent parts and its search's regions are tasks of the same cluster), with the same
time limit, on a LocalCluster of 1 worker (one region a round, in the territory's task) and of 2
workers (two disjoint regions a round, one per worker, merged). One thread per worker, and one
CP-SAT thread per MIP (``SolveParams.workers = 1``) in both, so that the second worker is the only
difference. The runs go one after the other, never in parallel.

Printed per run: the value the search started from (the first solution), objective, bound, gap, the
search's rounds, regions solved (per round, and per second of search), tasks lost, regions whose
improvement was merged and improvements refused (their merge would not be feasible), wall seconds,
and the load average before and after (the machine may be shared: say so with the numbers).

Usage::

    .venv/bin/python benchmarks/giant.py --seeds 1 2 --time-limit 90
    .venv/bin/python benchmarks/giant.py --seeds 1 --dwellings 2000 --time-limit 30 --workers 1 2
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
# benchmarks/ holds a script called matching.py: keep this folder off sys.path
# so that `import matching` finds the package.
sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != Path(__file__).resolve().parent]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))


def instance_of(seed: int, dwellings: int) -> tuple[Any, int]:
    """The generated metropolitan territory's instance and its number of requests."""
    from exchange.loading import read_document
    from fixtures.generate import generate_territory
    from matching.graph import build_instance

    plain, config = read_document(generate_territory(seed, dwellings, shape="metropole"))
    return build_instance(plain, config), len(plain.requests)


def solve_on(instance: Any, params: Any, workers: int) -> tuple[Any, float, tuple[float, float]]:
    """Solve on a fresh LocalCluster of ``workers`` processes; solution, seconds, load before and after."""
    from exchange import cluster

    with cluster.connect(None, workers=workers) as client:
        client.wait_for_workers(workers)
        before = os.getloadavg()[0]
        t0 = time.perf_counter()
        solution, _ = cluster.submitter(client)(instance, params).result()
        seconds = time.perf_counter() - t0
        after = os.getloadavg()[0]
    return solution, seconds, (before, after)


def main(argv: list[str] | None = None) -> int:
    """Print one markdown row per run."""
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--seeds", type=int, nargs="+", default=[1, 2])
    ap.add_argument("--dwellings", type=int, default=5000)
    ap.add_argument("--time-limit", type=float, default=90.0, help="the solver's time limit (s)")
    ap.add_argument("--workers", type=int, nargs="+", default=[1, 2], help="LocalCluster sizes to compare")
    args = ap.parse_args(argv)
    from matching.types import SolveParams

    print(f"`uptime` at the start: {os.popen('uptime').read().strip()}  ")
    limit = args.time_limit
    print(f"{os.cpu_count()} cores; time limit {limit:.0f} s; caps 3/3; one CP-SAT thread per MIP\n")
    print(
        "| territory | requests | workers | search from | objective | bound | gap | search rounds | regions "
        "| regions/round | search s | regions/s | lost | merged | refused | wall s | load before → after |"
    )
    print("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|")
    for seed in args.seeds:
        instance, requests = instance_of(seed, args.dwellings)
        params = SolveParams(max_cycle=3, max_chain=3, time_limit_s=args.time_limit, workers=1, seed=0)
        for workers in args.workers:
            solution, seconds, (before, after) = solve_on(instance, params, workers)
            t = solution.timings
            rounds, regions = t.get("lns_rounds", 0.0), t.get("lns_regions", 0.0)
            per_round = f"{regions / rounds:.2f}" if rounds else "—"
            search_s = t.get("lns_s", 0.0)
            print(
                f"| metropole-{args.dwellings}-s{seed} | {requests} | {workers} "
                f"| {t.get('lns_start', 0.0):.0f} | {solution.objective} "
                f"| {solution.bound:.0f} | {100 * solution.gap:.3f} % | {rounds:.0f} | {regions:.0f} "
                f"| {per_round} | {search_s:.0f} | {regions / search_s if search_s else 0.0:.2f} "
                f"| {t.get('lns_lost', 0.0):.0f} | {t.get('lns_merged', 0.0):.0f} "
                f"| {t.get('lns_refused', 0.0):.0f} | {seconds:.0f} | {before:.1f} → {after:.1f} |",
                flush=True,
            )
    print(f"\n`uptime` at the end: {os.popen('uptime').read().strip()}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
