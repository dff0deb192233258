#!/usr/bin/env python3
"""Benchmark of the compatibility graph: ``matching.graph.build_instance`` on generated territories.

For each size (dwellings), generates a synthetic territory (``fixtures.generate``),
reads it into the plain ``matching.territory`` types (``exchange.loading``), then times ``build_instance``
(best of ``--repeat`` runs) and prints a markdown table: dwellings, requests,
vacancies, moves, seconds. With ``--check``, the slow reference double loop
(``matching.policy.reference_instance``) is timed too and must give the same instance.

Usage::

    .venv/bin/python benchmarks/graph.py
    .venv/bin/python benchmarks/graph.py --sizes 1000 2000 --check
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

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
    args = parser.parse_args()

    # Imported here, once sys.path is set above: the packages of this repository, not this folder.
    from exchange.loading import read_document
    from fixtures.generate import generate_territory
    from matching.graph import build_instance
    from matching.policy import reference_instance

    print("| dwellings | requests | vacancies | moves | generate s | graph s | reference s |")
    print("|---:|---:|---:|---:|---:|---:|---:|")
    for size in args.sizes:
        start = time.perf_counter()
        territory, config = read_document(generate_territory(args.seed, size))
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
                raise SystemExit(f"{size} dwellings: build_instance differs from reference_instance")
        print(
            f"| {size:,} | {len(instance.households):,} | {len(instance.vacancies):,} "
            f"| {len(instance.moves):,} | {generated:.2f} | {best:.3f} | {reference} |",
            flush=True,
        )


if __name__ == "__main__":
    main()
