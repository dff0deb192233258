"""The metropolitan shape (dense, local wishes): what the generator draws, and our optimum on small
territories of that shape against an exhaustive search that shares no code with the solver."""

from __future__ import annotations

import functools
import itertools
import math
from collections import Counter
from typing import Any

import pytest

from exchange.loading import territory_from_document
from fixtures.generate import generate_territory
from matching import search, solve, tuning
from matching.check import verify
from matching.graph import build_instance
from matching.types import Instance, SolveParams


def _km(a: tuple[float, float], b: tuple[float, float]) -> float:
    lat = math.radians((a[0] + b[0]) / 2)
    return math.hypot((a[0] - b[0]) * 111.2, (a[1] - b[1]) * 111.2 * math.cos(lat))


@pytest.fixture(scope="module")
def metro() -> dict[str, Any]:
    return generate_territory(11, 3000, shape="metropole")


def test_many_small_communes_close_together(metro: dict[str, Any]) -> None:
    assert metro["territory"]["code"] == "MVAL"
    sectors = Counter(s["commune"] for s in metro["sectors"])
    assert len(sectors) == 12  # one per ~250 dwellings
    assert all(2 <= n <= 6 for n in sectors.values())
    spots = [(d["lat"], d["lon"]) for d in metro["dwellings"]]
    centre = (sum(p[0] for p in spots) / len(spots), sum(p[1] for p in spots) / len(spots))
    assert max(_km(p, centre) for p in spots) < 25.0  # all within about 35 km of each other


def test_wishes_are_local(metro: dict[str, Any]) -> None:
    """A request wishes its own neighbourhood: the wished communes are among the nearest ones."""
    sector_of = {d["ref"]: d["sector"] for d in metro["dwellings"]}
    commune_of = {s["code"]: s["commune"] for s in metro["sectors"]}
    points: dict[str, list[tuple[float, float]]] = {}
    for d in metro["dwellings"]:
        points.setdefault(commune_of[d["sector"]], []).append((d["lat"], d["lon"]))
    centre = {
        c: (sum(p[0] for p in ps) / len(ps), sum(p[1] for p in ps) / len(ps)) for c, ps in points.items()
    }
    home = {h["ref"]: commune_of[sector_of[h["dwelling"]]] for h in metro["households"]}
    local = 0
    for r in metro["requests"]:
        nearest = sorted(centre, key=lambda c: _km(centre[c], centre[home[r["household"]]]))[:8]
        local += all(c in nearest for c in r["communes"])
        assert 1 <= len(r["communes"]) <= 5
    assert local / len(metro["requests"]) > 0.9  # the others move closer to a distant workplace


def test_denser_than_the_littoral_shape() -> None:
    per_request = {}
    for shape in ("littoral", "metropole"):
        doc = generate_territory(3, 2000, shape=shape)
        instance = build_instance(territory_from_document(doc))
        per_request[shape] = len(instance.moves) / len(doc["requests"])
    assert per_request["metropole"] > 2 * per_request["littoral"]


def test_same_seed_same_document_and_the_littoral_shape_unchanged() -> None:
    assert generate_territory(4, 400, shape="metropole") == generate_territory(4, 400, shape="metropole")
    assert generate_territory(4, 400) == generate_territory(4, 400, shape="littoral")
    with pytest.raises(ValueError, match="shape"):
        generate_territory(4, 400, shape="montagne")


# -- exhaustive optimum ----------------------------------------------------------------------------


def _structures(
    instance: Instance, max_cycle: int, max_chain: int
) -> list[tuple[int, frozenset[str], frozenset[str]]]:
    """Every cycle and chain within the caps as (points, households, dwellings), by plain search."""
    points = {(m.household, m.dwelling): m.points for m in instance.moves}
    wants: dict[str, set[str]] = {}
    for m in instance.moves:
        wants.setdefault(m.household, set()).add(m.dwelling)
    home = instance.households
    found: set[tuple[int, frozenset[str], frozenset[str]]] = set()
    requesting = sorted(wants)
    for length in range(2, max_cycle + 1):
        for ring in itertools.permutations(requesting, length):
            if ring[0] != min(ring):
                continue
            moves = [(h, home[ring[(i + 1) % length]]) for i, h in enumerate(ring)]
            if all(d in wants[h] for h, d in moves):
                found.add((sum(points[m] for m in moves), frozenset(ring), frozenset(d for _, d in moves)))

    def extend(free: str, path: list[tuple[str, str]]) -> None:
        for h in requesting:
            if free in wants[h] and all(h != p for p, _ in path):
                chain = [*path, (h, free)]
                found.add(
                    (
                        sum(points[m] for m in chain),
                        frozenset(p for p, _ in chain),
                        frozenset(d for _, d in chain),
                    )
                )
                if len(chain) < max_chain:
                    extend(home[h], chain)

    for vacancy in instance.vacancies:
        extend(vacancy, [])
    return sorted(found, key=lambda s: -s[0])


def _exhaustive(structures: list[tuple[int, frozenset[str], frozenset[str]]]) -> int:
    """The best disjoint choice, household by household (each is in one structure or in none)."""
    by_household: dict[str, list[int]] = {}
    for i, (_, households, _) in enumerate(structures):
        for h in households:
            by_household.setdefault(h, []).append(i)
    order = sorted(by_household)
    best = 0

    def search(k: int, used_h: frozenset[str], used_d: frozenset[str], total: int) -> None:
        nonlocal best
        while k < len(order) and order[k] in used_h:
            k += 1
        if k == len(order):
            best = max(best, total)
            return
        h = order[k]
        for i in by_household[h]:
            value, households, dwellings = structures[i]
            if not (households & used_h) and not (dwellings & used_d):
                search(k + 1, used_h | households, used_d | dwellings, total + value)
        search(k + 1, used_h | {h}, used_d, total)  # h stays

    search(0, frozenset(), frozenset(), 0)
    return best


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_optimum_on_small_metropolitan_territories_equals_the_exhaustive_search(seed: int) -> None:
    doc = generate_territory(seed, 50, shape="metropole", requests_share=0.7)
    instance = build_instance(territory_from_document(doc))
    structures = _structures(instance, 3, 2)
    assert len(structures) >= 5  # a real choice between overlapping cycles and chains
    params = SolveParams(max_cycle=3, max_chain=2, time_limit_s=30)
    solution = solve(instance, params)
    verify(instance, solution, params)
    assert solution.status == "optimal"
    assert solution.objective == _exhaustive(structures) > 0


@functools.cache
def _small_optimum(seed: int) -> tuple[Instance, int]:
    """A small metropolitan territory's instance and its exhaustive optimum (caps 3/2)."""
    doc = generate_territory(seed, 50, shape="metropole", requests_share=0.7)
    instance = build_instance(territory_from_document(doc))
    return instance, _exhaustive(_structures(instance, 3, 2))


@pytest.mark.parametrize("proof_max", [0, 20, 45, 10**6])
@pytest.mark.parametrize("seed", [13, 36, 41])  # seeds whose LP is fractional: several proof rounds
def test_a_proof_by_reduced_cost_fixing_gives_the_exhaustive_optimum(seed: int, proof_max: int) -> None:
    """Whatever the largest proof MIP allowed (none, a few dozen columns, all), the solver claims an
    optimum only when it is the exhaustive one, and proves it when its proof MIPs may hold every
    column. Descending targets first (the smallest sets), so that a search may run in between."""
    instance, best = _small_optimum(seed)
    params = SolveParams(max_cycle=3, max_chain=2, time_limit_s=3)
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(tuning, "PROOF_MAX", proof_max)
        patch.setattr(tuning, "PROOF_DIRECT", -1)
        patch.setattr(tuning, "PROOF_GROWTH", 0.0)
        patch.setattr(search, "search_budget", lambda left: 0.0)  # no first solution: the proof finds it
        solution = solve(instance, params)
    verify(instance, solution, params)
    assert solution.objective <= best <= solution.bound
    if solution.status == "optimal":
        assert solution.objective == best == solution.bound
    if proof_max == 10**6:
        assert solution.status == "optimal"
