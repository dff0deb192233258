#!/usr/bin/env python3
"""Benchmark of the compatibility graph: ``matching.graph.build_instance`` on generated territories,
and our cycle enumeration beside NetworkX's.

For each shape and size (dwellings), generates a synthetic territory (``fixtures.generate``),
reads it into the plain ``matching.territory`` types (``exchange.loading``), then times ``build_instance``
(best of ``--repeat`` runs), then the cycles of at most ``--max-cycle`` households: ours
(``matching.cycles.cycle_arrays``) and ``networkx.simple_cycles(G, length_bound=k)`` on the same
household graph (both must find the same number). Prints a markdown table. With ``--check``, the
slow reference double loop (``matching.policy.reference_instance``) is timed too and must give the
same instance.

Usage::

    .venv/bin/python benchmarks/graph.py
    .venv/bin/python benchmarks/graph.py --shapes littoral metropole --sizes 1000 5000 --check
"""

from __future__ import annotations

import argparse
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


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    sizes = [1000, 5000, 20000]
    parser.add_argument("--sizes", type=int, nargs="+", default=sizes, help="dwellings per territory")
    parser.add_argument("--seed", type=int, default=2026, help="generator seed")
    parser.add_argument("--repeat", type=int, default=3, help="timed runs per size (best is shown)")
    parser.add_argument("--check", action="store_true", help="also time the reference and compare")
    parser.add_argument(
        "--shapes", nargs="+", default=["littoral", "metropole"], help="territory shapes (fixtures.generate)"
    )
    parser.add_argument("--max-cycle", type=int, default=3, help="longest cycle enumerated (households)")
    parser.add_argument("--no-networkx", action="store_true", help="skip networkx.simple_cycles")
    args = parser.parse_args()

    print(
        "| shape | dwellings | requests | vacancies | moves | generate s | graph s | reference s "
        "| cycles | ours s | networkx s |"
    )
    print("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
    for shape in args.shapes:
        for size in args.sizes:
            print(_row(args, shape, size), flush=True)


def _row(args: argparse.Namespace, shape: str, size: int) -> str:
    # Imported here, once sys.path is set above: the packages of this repository, not this folder.
    from exchange.loading import read_document
    from fixtures.generate import generate_territory
    from matching.graph import build_instance
    from matching.policy import reference_instance

    start = time.perf_counter()
    territory, config = read_document(generate_territory(args.seed, size, shape=shape))
    generated = time.perf_counter() - start
    best = float("inf")
    for _ in range(args.repeat):
        start = time.perf_counter()
        instance = build_instance(territory, config)
        best = min(best, time.perf_counter() - start)
    reference = ""
    if args.check:
        start = time.perf_counter()
        slow = reference_instance(territory, config)
        reference = f"{time.perf_counter() - start:.2f}"
        if slow != instance:
            raise SystemExit(f"{shape} {size} dwellings: build_instance differs from reference_instance")
    count, ours, theirs = _cycles_side_by_side(instance, args.max_cycle, not args.no_networkx)
    return (
        f"| {shape} | {size:,} | {len(instance.households):,} | {len(instance.vacancies):,} "
        f"| {len(instance.moves):,} | {generated:.2f} | {best:.3f} | {reference} "
        f"| {count:,} | {ours:.3f} | {theirs} |"
    )


def _cycles_side_by_side(instance: Any, max_cycle: int, networkx: bool) -> tuple[int, float, str]:
    """(cycles found, our seconds, NetworkX's seconds or '—'); both must count the same cycles."""
    import networkx as nx

    from matching.cycles import cycle_arrays, graph_of

    graph = graph_of(instance)
    start = time.perf_counter()
    members, _points = cycle_arrays(graph, max_cycle)
    ours = time.perf_counter() - start
    if not networkx:
        return len(members), ours, "—"
    households = range(graph.n_households)
    g = nx.DiGraph()
    g.add_nodes_from(households)
    g.add_edges_from((u, v) for u in households for v, _ in graph.succ[u] if v < graph.n_households)
    start = time.perf_counter()
    theirs = sum(1 for c in nx.simple_cycles(g, length_bound=max_cycle) if len(c) >= 2)
    seconds = time.perf_counter() - start
    if theirs != len(members):
        raise SystemExit(f"cycles: ours {len(members)}, networkx {theirs}")
    return len(members), ours, f"{seconds:.2f}"


if __name__ == "__main__":
    main()
