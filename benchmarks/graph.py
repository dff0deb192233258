#!/usr/bin/env python3
"""Benchmark of the compatibility graph: ``matching.graph.build_instance`` on generated territories.

For each size (dwellings), generates a synthetic territory (``fixtures.generate``),
converts it to the plain ``matching.territory`` types, then times ``build_instance``
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
from datetime import date
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
# benchmarks/ holds a script called matching.py: keep this folder off sys.path
# so that `import matching` finds the package.
sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != Path(__file__).resolve().parent]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from matching.config import PolicyConfig  # noqa: E402
from matching.graph import build_instance  # noqa: E402
from matching.policy import reference_instance  # noqa: E402
from matching.territory import Dwelling, Household, Member, Point, Request, Territory  # noqa: E402


def _territory_from_document(doc: dict[str, Any]) -> tuple[Territory, PolicyConfig]:
    """FORMAT.md document -> plain territory (the interchange module's reader when it exists)."""
    try:
        from exchange.interchange import territory_from_document  # type: ignore[attr-defined]
    except ImportError:
        territory = _convert(doc)
    else:
        territory = territory_from_document(doc)
    config = PolicyConfig(job_distance_km=float(doc["territory"].get("job_distance_km", 30.0)))
    return territory, config


def _convert(doc: dict[str, Any]) -> Territory:
    sectors = {s["code"]: s for s in doc["sectors"]}
    dwellings = tuple(
        Dwelling(
            ref=d["ref"],
            landlord=d["bailleur"],
            sector=d["sector"],
            commune=sectors[d["sector"]]["commune"],
            qpv=bool(sectors[d["sector"]]["qpv"]),
            rooms=d["rooms"],
            surface_m2=d["surface_m2"],
            floor=d["floor"],
            elevator=d["elevator"],
            accessibility=d["accessibility"],
            rent=d["rent"],
            charges=d["charges"],
            lat=d["lat"],
            lon=d["lon"],
        )
        for d in doc["dwellings"]
    )
    households = tuple(
        Household(
            ref=h["ref"],
            dwelling=h["dwelling"],
            members=tuple(Member(m["role"], m["age"]) for m in h["members"]),
            monthly_resources=h["monthly_resources"],
            mobility=h.get("mobility", "none"),
            priority=frozenset(h.get("priority", ())),
            workplace=None if h.get("workplace") is None else Point(**h["workplace"]),
        )
        for h in doc["households"]
    )
    requests = tuple(
        Request(
            household=r["household"],
            filed_on=date.fromisoformat(r["filed_on"]),
            max_cost=r["max_cost"],
            communes=frozenset(r.get("communes") or ()),
            accept_qpv=r.get("accept_qpv", True),
            min_rooms=r.get("min_rooms"),
            max_rooms=r.get("max_rooms"),
        )
        for r in doc["requests"]
    )
    return Territory(
        code=doc["territory"]["code"],
        as_of=date.fromisoformat(doc["as_of"]),
        dwellings=dwellings,
        households=households,
        requests=requests,
        offers=tuple(o["dwelling"] for o in doc.get("offers", ())),
        exclusions=frozenset((e["household"], e["dwelling"]) for e in doc.get("exclusions", ())),
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    sizes = [1000, 5000, 20000]
    parser.add_argument("--sizes", type=int, nargs="+", default=sizes, help="dwellings per territory")
    parser.add_argument("--seed", type=int, default=2026, help="generator seed")
    parser.add_argument("--repeat", type=int, default=3, help="timed runs per size (best is shown)")
    parser.add_argument("--check", action="store_true", help="also time the reference and compare")
    args = parser.parse_args()

    from fixtures.generate import generate_territory

    print("| dwellings | requests | vacancies | moves | generate s | graph s | reference s |")
    print("|---:|---:|---:|---:|---:|---:|---:|")
    for size in args.sizes:
        start = time.perf_counter()
        territory, config = _territory_from_document(generate_territory(args.seed, size))
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
