"""The objective ``expected``: hand-worked values of cycles and chain prefixes, and brute force."""

from __future__ import annotations

import itertools
import random

import pytest

from matching import Instance, Move, Proposal, Solution, SolveParams, solve, verify
from matching.check import problems
from matching.expected import chain_value, cycle_value, scaled


def test_cycle_counts_only_when_every_move_completes() -> None:
    # 3-cycle: 100 + 120 + 80 points, chances 0.9, 0.5, 0.8 -> 0.36 * 300.
    assert cycle_value([100, 120, 80], [0.9, 0.5, 0.8]) == pytest.approx(108.0)
    assert cycle_value([100, 120], [1.0, 0.0]) == 0.0


def test_chain_keeps_the_prefix_before_the_first_refusal() -> None:
    # 100 * 0.9 + 120 * 0.9 * 0.5 + 80 * 0.9 * 0.5 * 0.8 = 90 + 54 + 28.8.
    assert chain_value([100, 120, 80], [0.9, 0.5, 0.8]) == pytest.approx(172.8)
    # A refusal at the second move keeps the first one.
    assert chain_value([100, 120], [1.0, 0.0]) == 100.0
    assert scaled(172.8) == 172800


def _instance() -> Instance:
    # H1 <-> H2 swap (sure of nothing), or a chain V -> H1 -> H2 of likely moves.
    moves = (
        Move("H1", "D2", 100),
        Move("H2", "D1", 100),
        Move("H1", "V", 90),
        Move("H2", "D1", 100),
    )
    chances = {("H1", "D2"): 0.3, ("H2", "D1"): 0.9, ("H1", "V"): 0.9}
    return Instance({"H1": "D1", "H2": "D2"}, ("V",), moves, chances=chances)


def test_expected_prefers_the_likely_chain_that_points_would_not() -> None:
    instance = _instance()
    by_points = solve(instance, SolveParams(max_cycle=2, max_chain=2))
    assert [p.kind for p in by_points.proposals] == ["cycle"] and by_points.objective == 200
    params = SolveParams(max_cycle=2, max_chain=2, objective="expected")
    expected = solve(instance, params)
    # chain: 90 * 0.9 + 100 * 0.9 * 0.9 = 162; cycle: 0.27 * 200 = 54.
    assert [p.kind for p in expected.proposals] == ["chain"]
    assert expected.objective == 162000 and expected.status == "optimal"
    verify(instance, expected, params)


def test_without_repair_a_chain_completes_whole_or_not_at_all() -> None:
    # V -> A (sure, 10 points), then B into A's dwelling (a 5 % chance, 100 points).
    moves = (Move("A", "V", 10), Move("B", "DA", 100))
    instance = Instance({"A": "DA", "B": "DB"}, ("V",), moves, chances={("B", "DA"): 0.05})
    kept = SolveParams(max_cycle=2, max_chain=2, objective="expected")
    whole = SolveParams(max_cycle=2, max_chain=2, objective="expected", keep_prefix=False)
    # By prefix: 10 + 100 * 0.05 = 15 beats V -> A alone (10); whole: 0.05 * 110 = 5.5 does not.
    by_prefix, all_or_nothing = solve(instance, kept), solve(instance, whole)
    assert [len(p.moves) for p in by_prefix.proposals] == [2] and by_prefix.objective == 15000
    assert [len(p.moves) for p in all_or_nothing.proposals] == [1] and all_or_nothing.objective == 10000
    verify(instance, by_prefix, kept)
    verify(instance, all_or_nothing, whole)
    assert problems(instance, by_prefix, whole) == [
        "objective 15000 differs from the expected value of the proposals 5500"
    ]


def test_checker_recomputes_the_expected_objective() -> None:
    instance = _instance()
    chain = Proposal("chain", (Move("H1", "V", 90), Move("H2", "D1", 100)))
    params = SolveParams(max_chain=2, objective="expected")
    assert problems(instance, Solution((chain,), 162000, 162000.0, "optimal"), params) == []
    wrong = problems(instance, Solution((chain,), 190000, 190000.0, "optimal"), params)
    assert wrong == ["objective 190000 differs from the expected value of the proposals 162000"]


def test_priority_floor_keeps_the_move_that_points_would_make() -> None:
    # H1 (priority) and H2 swap, each move 100 points at a 0.5 chance: 0.25 * 200 = 50 expected.
    # Or H2 takes the vacancy V (chains of one move): 120 points at 0.9 = 108. Points choose the swap;
    # expected, the vacancy (108 > 50); with H1's floor at 1 its move counts whole:
    # 100 * 1 + 100 * 0.25 = 125 > 108, the swap again.
    moves = (Move("H1", "D2", 100), Move("H2", "D1", 100), Move("H2", "V", 120))
    chances = {("H1", "D2"): 0.5, ("H2", "D1"): 0.5, ("H2", "V"): 0.9}
    plain = Instance({"H1": "D1", "H2": "D2"}, ("V",), moves, chances=chances)
    floored = Instance(plain.households, plain.vacancies, moves, chances=chances, floors={"H1": 1.0})
    params = SolveParams(max_cycle=2, max_chain=1, objective="expected")
    assert [p.kind for p in solve(plain, SolveParams(max_cycle=2, max_chain=1)).proposals] == ["cycle"]
    without = solve(plain, params)
    assert [p.kind for p in without.proposals] == ["chain"] and without.objective == 108000
    with_floor = solve(floored, params)
    assert [p.kind for p in with_floor.proposals] == ["cycle"] and with_floor.objective == 125000
    verify(floored, with_floor, params)
    # A half floor: 100 * 0.5 + 100 * 0.25 = 75 < 108, the vacancy stays the better choice.
    half = Instance(plain.households, plain.vacancies, moves, chances=chances, floors={"H1": 0.5})
    assert solve(half, params).objective == 108000
    # The checker applies the floor too: the swap's 125 is wrong without it.
    assert problems(plain, with_floor, params) == [
        "objective 125000 differs from the expected value of the proposals 50000"
    ]


def test_floor_of_chain_moves_by_prefix_and_whole() -> None:
    # V -> A (10 points, 0.5) -> B into A's dwelling (100 points, 0.2); B's floor 0.5.
    assert chain_value([10, 100], [0.5, 0.2], [0.0, 0.5]) == pytest.approx(5 + 50)
    assert cycle_value([10, 100], [0.5, 0.2], [0.0, 0.5]) == pytest.approx(10 * 0.1 + 50)
    moves = (Move("A", "V", 10), Move("B", "DA", 100))
    instance = Instance(
        {"A": "DA", "B": "DB"}, ("V",), moves, chances={("A", "V"): 0.5, ("B", "DA"): 0.2}, floors={"B": 0.5}
    )
    for keep_prefix, value in ((True, 55000), (False, 51000)):
        params = SolveParams(max_cycle=2, max_chain=2, objective="expected", keep_prefix=keep_prefix)
        solution = solve(instance, params)
        assert solution.objective == value
        verify(instance, solution, params)


def _brute_force(instance: Instance, max_cycle: int, max_chain: int) -> int:
    """Best total of disjoint cycles and chains, every structure enumerated by hand."""
    allowed = {(m.household, m.dwelling): m.points for m in instance.moves}
    owner = {d: h for h, d in instance.households.items()}
    households = sorted(instance.households)
    structures: list[tuple[frozenset[str], int]] = []
    for size in range(2, max_cycle + 1):
        for cycle in itertools.permutations(households, size):
            if cycle[0] != min(cycle):
                continue
            pairs = [(cycle[i], instance.households[cycle[i - 1]]) for i in range(size)]
            if all(p in allowed for p in pairs):
                floors = [instance.floors.get(h, 0.0) for h, _ in pairs]
                points = [allowed[p] for p in pairs]
                value = cycle_value(points, [instance.chance(*p) for p in pairs], floors)
                structures.append((frozenset(cycle) | {owner[d] for _, d in pairs}, scaled(value)))
    for vacancy in instance.vacancies:
        for size in range(1, max_chain + 1):
            for chain in itertools.permutations(households, size):
                dwellings = [vacancy] + [instance.households[h] for h in chain[:-1]]
                pairs = list(zip(chain, dwellings, strict=True))
                if all(p in allowed for p in pairs):
                    floors = [instance.floors.get(h, 0.0) for h, _ in pairs]
                    points = [allowed[p] for p in pairs]
                    value = chain_value(points, [instance.chance(*p) for p in pairs], floors)
                    structures.append((frozenset(chain) | {vacancy}, scaled(value)))
    best = 0
    for k in range(len(structures) + 1):
        for chosen in itertools.combinations(structures, k):
            used = [s for s, _ in chosen]
            if sum(len(s) for s in used) == len(frozenset().union(*used)):
                best = max(best, sum(v for _, v in chosen))
    return best


@pytest.mark.parametrize("floored", [False, True])
@pytest.mark.parametrize("seed", range(12))
def test_expected_optimum_equals_brute_force(seed: int, floored: bool) -> None:
    rng = random.Random(seed)
    households = {f"H{i}": f"D{i}" for i in range(5)}
    vacancies = ("V0",)
    moves, chances = [], {}
    for h in households:
        for d in [*households.values(), *vacancies]:
            if d != households[h] and rng.random() < 0.3:
                moves.append(Move(h, d, rng.randint(50, 200)))
                chances[(h, d)] = round(rng.random(), 2)
    floors = {h: rng.choice([0.5, 1.0]) for h in households if floored and rng.random() < 0.4}
    instance = Instance(households, vacancies, tuple(moves), chances=chances, floors=floors)
    params = SolveParams(max_cycle=3, max_chain=2, objective="expected", time_limit_s=20)
    solution = solve(instance, params)
    verify(instance, solution, params)
    assert solution.status == "optimal"
    assert solution.objective == _brute_force(instance, 3, 2)


def test_unknown_objective_is_refused() -> None:
    with pytest.raises(ValueError, match="objective"):
        SolveParams(objective="hope")  # type: ignore[arg-type]
