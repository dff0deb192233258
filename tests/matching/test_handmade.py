"""The hand-made territories of ``fixtures/`` reach the optima worked out by hand (fixtures/README.md).

``fixtures/expected.json`` holds, for each file, every allowed move with its points and, for a
few caps, the optimum objective with its (unique) proposals. Three independent checks:
the graph builder gives exactly the hand-worked moves, a brute force over those moves reaches
the hand-worked optimum, and the solver (``matching.solve``) reproduces it.
"""

from __future__ import annotations

import itertools
import json
from datetime import date
from pathlib import Path
from typing import Any

import pytest

import fixtures
import matching
from matching.config import PolicyConfig
from matching.graph import build_instance
from matching.territory import Dwelling, Household, Member, Point, Request, Territory
from matching.types import Instance, SolveParams

FIXTURES = Path(fixtures.__file__).parent
EXPECTED: dict[str, Any] = json.loads((FIXTURES / "expected.json").read_text(encoding="utf-8"))
NAMES = sorted(EXPECTED)
RUNS = [(name, run) for name in NAMES for run in EXPECTED[name]["runs"]]
RUN_IDS = [f"{name}-cycle{run['max_cycle']}-chain{run['max_chain']}" for name, run in RUNS]


def _document(name: str) -> dict[str, Any]:
    return json.loads((FIXTURES / name).read_text(encoding="utf-8"))


def _plain_territory(doc: dict[str, Any]) -> Territory:
    """FORMAT.md document -> plain Territory, without validation (the fixtures are valid)."""
    sectors = {s["code"]: s for s in doc["sectors"]}
    same = ("ref", "sector", "rooms", "surface_m2", "floor", "elevator", "accessibility", "rent", "charges")
    dwellings = tuple(
        Dwelling(
            landlord=d["bailleur"],
            commune=sectors[d["sector"]]["commune"],
            qpv=sectors[d["sector"]]["qpv"],
            lat=d["lat"],
            lon=d["lon"],
            **{k: d[k] for k in same},
        )
        for d in doc["dwellings"]
    )
    households = tuple(
        Household(
            ref=h["ref"],
            dwelling=h["dwelling"],
            members=tuple(Member(m["role"], m["age"]) for m in h["members"]),
            monthly_resources=h["monthly_resources"],
            mobility=h["mobility"],
            priority=frozenset(h["priority"]),
            workplace=None if h["workplace"] is None else Point(h["workplace"]["lat"], h["workplace"]["lon"]),
        )
        for h in doc["households"]
    )
    requests = tuple(
        Request(
            household=r["household"],
            filed_on=date.fromisoformat(r["filed_on"]),
            max_cost=r["max_cost"],
            communes=frozenset(r["communes"]),
            accept_qpv=r["accept_qpv"],
            min_rooms=r["min_rooms"],
            max_rooms=r["max_rooms"],
        )
        for r in doc["requests"]
    )
    return Territory(
        code=doc["territory"]["code"],
        as_of=date.fromisoformat(doc["as_of"]),
        dwellings=dwellings,
        households=households,
        requests=requests,
        offers=tuple(o["dwelling"] for o in doc["offers"]),
        exclusions=frozenset((e["household"], e["dwelling"]) for e in doc["exclusions"]),
    )


def _territory(doc: dict[str, Any]) -> Territory:
    """The real import reader when it exists (it validates), else the plain conversion above."""
    try:
        from exchange.loading import territory_from_document
    except ImportError:
        return _plain_territory(doc)
    return territory_from_document(doc)


def _instance(name: str) -> Instance:
    doc = _document(name)
    return build_instance(_territory(doc), PolicyConfig(job_distance_km=doc["territory"]["job_distance_km"]))


# -- the documents ---------------------------------------------------------------------------------


@pytest.mark.parametrize("name", NAMES)
def test_document_validates_with_the_import_reader(name: str) -> None:
    loading = pytest.importorskip("exchange.loading")
    territory = loading.territory_from_document(_document(name))
    assert territory.as_of == date(2026, 11, 22)
    assert len(territory.requests) == len(_document(name)["requests"])


@pytest.mark.parametrize("name", NAMES)
def test_document_is_consistent(name: str) -> None:
    doc = _document(name)
    dwellings = {d["ref"] for d in doc["dwellings"]}
    occupied = [h["dwelling"] for h in doc["households"]]
    assert doc["format"] == "bourse-echange/1"
    assert len(occupied) == len(set(occupied)) and set(occupied) <= dwellings
    assert {o["dwelling"] for o in doc["offers"]} <= dwellings - set(occupied)
    assert {r["household"] for r in doc["requests"]} <= {h["ref"] for h in doc["households"]}
    assert len({b["code"] for b in doc["bailleurs"]}) >= 2, "an inter-landlord exchange"


# -- graph, brute force, solver ----------------------------------------------------------------------


@pytest.mark.parametrize("name", NAMES)
def test_graph_gives_the_hand_worked_moves(name: str) -> None:
    got = sorted((m.household, m.dwelling, m.points) for m in _instance(name).moves)
    assert got == sorted(tuple(m) for m in EXPECTED[name]["moves"])


Candidate = tuple[str, frozenset[tuple[str, str]]]  # (kind, moves as (household, dwelling))


def _proposals(instance: Instance, max_cycle: int, max_chain: int) -> list[Candidate]:
    """Every cycle and chain within the caps, as (kind, frozenset of (household, dwelling))."""
    owner = {d: h for h, d in instance.households.items()}
    wants: dict[str, list[str]] = {}
    for m in instance.moves:
        wants.setdefault(m.household, []).append(m.dwelling)
    found: set[Candidate] = set()
    for start in instance.households:
        for length in range(2, max_cycle + 1):
            for rest in itertools.permutations(sorted(set(instance.households) - {start}), length - 1):
                ring = (start, *rest)
                moves = [(h, instance.households[ring[(i + 1) % length]]) for i, h in enumerate(ring)]
                if all(d in wants.get(h, []) for h, d in moves):
                    found.add(("cycle", frozenset(moves)))

    def extend(dwelling: str, path: list[tuple[str, str]]) -> None:
        for h in sorted(instance.households):
            if dwelling in wants.get(h, []) and all(h != p for p, _ in path):
                chain = [*path, (h, dwelling)]
                found.add(("chain", frozenset(chain)))
                if len(chain) < max_chain:
                    extend(instance.households[h], chain)

    if max_chain >= 1:
        for vacancy in instance.vacancies:
            extend(vacancy, [])
    assert all(d in owner or d in instance.vacancies for _, ms in found for _, d in ms)
    return sorted(found, key=lambda p: (p[0], sorted(p[1])))


def _brute_force(instance: Instance, max_cycle: int, max_chain: int) -> tuple[int, set[Candidate]]:
    """Best disjoint set of proposals by trying every subset (the fixtures are tiny)."""
    points = {(m.household, m.dwelling): m.points for m in instance.moves}
    candidates = _proposals(instance, max_cycle, max_chain)
    best, best_set = 0, set[Candidate]()
    for k in range(1, len(candidates) + 1):
        for subset in itertools.combinations(candidates, k):
            moves = [m for _, ms in subset for m in ms]
            households = [h for h, _ in moves]
            dwellings = [d for _, d in moves]
            if len(set(households)) < len(households) or len(set(dwellings)) < len(dwellings):
                continue
            total = sum(points[m] for m in moves)
            if total > best:
                best, best_set = total, set(subset)
    return best, best_set


def _expected_proposals(run: dict[str, Any]) -> set[Candidate]:
    return {(p["kind"], frozenset((h, d) for h, d in p["moves"])) for p in run["proposals"]}


@pytest.mark.parametrize(("name", "run"), RUNS, ids=RUN_IDS)
def test_brute_force_reaches_the_hand_worked_optimum(name: str, run: dict[str, Any]) -> None:
    objective, chosen = _brute_force(_instance(name), run["max_cycle"], run["max_chain"])
    assert objective == run["objective"]
    assert chosen == _expected_proposals(run)


@pytest.mark.parametrize(("name", "run"), RUNS, ids=RUN_IDS)
def test_solver_reproduces_the_hand_worked_optimum(name: str, run: dict[str, Any]) -> None:
    solve = getattr(matching, "solve", None)
    if solve is None:
        pytest.skip("matching.solve n'existe pas encore")
    instance = _instance(name)
    params = SolveParams(max_cycle=run["max_cycle"], max_chain=run["max_chain"], time_limit_s=30)
    solution = solve(instance, params)
    assert solution.status == "optimal"
    assert solution.objective == run["objective"]
    got = {(p.kind, frozenset((m.household, m.dwelling) for m in p.moves)) for p in solution.proposals}
    assert got == _expected_proposals(run)
    assert sum(p.points for p in solution.proposals) == run["objective"]
    try:
        from matching.check import verify
    except ImportError:
        return
    verify(instance, solution)
