"""The solver (``matching.solve``) against brute force, worked examples and the shared kidney optima."""

from __future__ import annotations

import itertools
import subprocess
import sys
from dataclasses import replace
from functools import cache
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from matching import search, solve, tuning
from matching.check import problems, verify
from matching.errors import InvalidSolution
from matching.kep import read_instance
from matching.types import Instance, Move, Proposal, Solution, SolveParams

KIDNEY = Path(__file__).resolve().parents[2].parent / "shared" / "benchmarks" / "kidney"
needs_kidney = pytest.mark.skipif(not KIDNEY.is_dir(), reason="shared kidney instances not present")


def _instance(n: int, vacancies: int, arcs: dict[tuple[int, int], int]) -> Instance:
    """Households ``H0..`` in ``D0..`` and vacancies ``V0..``; arc ``(u, v)``: household v takes u's dwelling.

    Sources ``>= n`` are vacancies.
    """
    households = {f"H{i}": f"D{i}" for i in range(n)}
    dwelling = [f"D{i}" for i in range(n)] + [f"V{j}" for j in range(vacancies)]
    moves = tuple(Move(f"H{v}", dwelling[u], w) for (u, v), w in sorted(arcs.items()))
    return Instance(households, tuple(f"V{j}" for j in range(vacancies)), moves, name="test")


# -- brute force ------------------------------------------------------------------------------------


def brute_force(instance: Instance, max_cycle: int, max_chain: int) -> int:
    """Best total points over every set of disjoint cycles and chains, by exhaustive search.

    Shares nothing with the solver: proposals are listed from permutations of households, then
    the best disjoint packing is found by branching on the first element not yet decided.
    """
    points = {(m.household, m.dwelling): m.points for m in instance.moves}
    homes = instance.households
    people = sorted(homes)
    proposals: list[tuple[frozenset[str], int]] = []  # (households and vacancies used, points)
    for length in range(2, max_cycle + 1):
        for ring in itertools.permutations(people, length):
            if ring[0] != min(ring):
                continue
            # ring[i] takes the dwelling of ring[i - 1]
            moves = [(ring[i], homes[ring[i - 1]]) for i in range(length)]
            if all(m in points for m in moves):
                proposals.append((frozenset(ring), sum(points[m] for m in moves)))
    for vacancy in instance.vacancies:
        for length in range(1, max_chain + 1):
            for path in itertools.permutations(people, length):
                dwellings = [vacancy] + [homes[h] for h in path[:-1]]
                moves = list(zip(path, dwellings, strict=True))
                if all(m in points for m in moves):
                    proposals.append((frozenset((vacancy, *path)), sum(points[m] for m in moves)))
    elements = sorted(set(people) | set(instance.vacancies))
    containing = {e: [p for p in proposals if e in p[0]] for e in elements}

    @cache
    def best(i: int, used: frozenset[str]) -> int:
        while i < len(elements) and elements[i] in used:
            i += 1
        if i == len(elements):
            return 0
        value = best(i + 1, used)  # element i takes part in nothing
        for members, w in containing[elements[i]]:
            if not members & used:
                value = max(value, w + best(i + 1, used | members))
        return value

    return best(0, frozenset())


@st.composite
def small_instances(draw: st.DrawFn) -> tuple[Instance, SolveParams]:
    n = draw(st.integers(2, 7))
    m = draw(st.integers(0, 2))
    density = draw(st.sampled_from([0.2, 0.35, 0.5, 0.8]))
    arcs: dict[tuple[int, int], int] = {}
    for u in range(n + m):
        for v in range(n):
            if u != v and draw(st.floats(0, 1)) < density:
                arcs[(u, v)] = draw(st.integers(1, 20))
    params = SolveParams(
        max_cycle=draw(st.integers(2, 4)), max_chain=draw(st.integers(0, 3)), time_limit_s=30
    )
    return _instance(n, m, arcs), params


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(small_instances())
def test_random_small_instances_reach_the_brute_force_optimum(case: tuple[Instance, SolveParams]) -> None:
    instance, params = case
    solution = solve(instance, params)
    verify(instance, solution, params)
    assert solution.status == "optimal"
    assert solution.objective == brute_force(instance, params.max_cycle, params.max_chain)
    assert solution.bound == pytest.approx(solution.objective)


# -- worked examples ---------------------------------------------------------------------------------


def _solve(instance: Instance, max_cycle: int = 3, max_chain: int = 3) -> Solution:
    params = SolveParams(max_cycle=max_cycle, max_chain=max_chain, time_limit_s=30)
    solution = solve(instance, params)
    verify(instance, solution, params)
    assert solution.status == "optimal"
    return solution


def _shape(solution: Solution) -> list[tuple[str, tuple[tuple[str, str], ...]]]:
    return sorted(
        (p.kind, tuple(sorted((m.household, m.dwelling) for m in p.moves))) for p in solution.proposals
    )


def test_two_cycle() -> None:
    solution = _solve(_instance(2, 0, {(0, 1): 5, (1, 0): 7}))
    assert solution.objective == 12
    assert _shape(solution) == [("cycle", (("H0", "D1"), ("H1", "D0")))]
    assert solution.bound == 12


def test_a_lone_arc_is_no_proposal() -> None:
    solution = _solve(_instance(2, 0, {(0, 1): 5}))
    assert solution.objective == 0 and solution.proposals == ()


def test_one_three_cycle_against_two_two_cycles() -> None:
    # Cycles: (0, 1) worth 1 + 3 = 4, (2, 3) worth 2, 0 -> 2 -> 1 -> 0 worth 9 > 4 + 2.
    arcs = {(0, 1): 1, (1, 0): 3, (2, 3): 1, (3, 2): 1, (0, 2): 3, (2, 1): 3}
    three = _solve(_instance(4, 0, arcs), max_cycle=3)
    assert three.objective == 9
    assert [p.kind for p in three.proposals] == ["cycle"] and len(three.proposals[0].moves) == 3
    two = _solve(_instance(4, 0, arcs), max_cycle=2)
    assert two.objective == 6
    assert len(two.proposals) == 2


def test_two_two_cycles_beat_a_three_cycle_when_worth_more() -> None:
    arcs = {(0, 1): 3, (1, 0): 3, (2, 3): 3, (3, 2): 3, (0, 2): 3, (2, 1): 3}
    solution = _solve(_instance(4, 0, arcs), max_cycle=3)
    # (0,1)=6 + (2,3)=6 = 12 beats (0,2,1) = 9
    assert solution.objective == 12
    assert [len(p.moves) for p in solution.proposals] == [2, 2]


def test_chain_against_cycle() -> None:
    # Vacancy V0 (node 3) -> H0 -> H1 -> H2 worth 3 * 4 = 12 against the 2-cycle (0, 1) worth 10.
    arcs = {(3, 0): 4, (0, 1): 4, (1, 2): 4, (1, 0): 5}
    arcs[(0, 1)] = 5
    solution = _solve(_instance(3, 1, arcs), max_chain=3)
    assert solution.objective == 4 + 5 + 4
    assert _shape(solution) == [("chain", (("H0", "V0"), ("H1", "D0"), ("H2", "D1")))]
    shorter = _solve(_instance(3, 1, arcs), max_chain=2)  # chain V0 -> H0 -> H1 = 9 < cycle 10
    assert shorter.objective == 10
    assert [p.kind for p in shorter.proposals] == ["cycle"]
    no_chain = _solve(_instance(3, 1, arcs), max_chain=0)
    assert no_chain.objective == 10


def test_chain_and_cycle_together() -> None:
    # V0 -> H2 and the 2-cycle (0, 1) do not touch: both are chosen.
    solution = _solve(_instance(3, 1, {(0, 1): 2, (1, 0): 2, (3, 2): 7}))
    assert solution.objective == 11
    assert [p.kind for p in solution.proposals] == ["chain", "cycle"]


def test_cycle_cap() -> None:
    ring = {(i, (i + 1) % 5): 1 for i in range(5)}
    for cap in (2, 3, 4):
        assert _solve(_instance(5, 0, ring), max_cycle=cap).objective == 0
    assert _solve(_instance(5, 0, ring), max_cycle=5).objective == 5


def test_chain_cap_counts_moves() -> None:
    path = {(5, 0): 1, (0, 1): 1, (1, 2): 1, (2, 3): 1, (3, 4): 1}
    for cap in range(0, 7):
        assert _solve(_instance(5, 1, path), max_chain=cap).objective == min(cap, 5)


def test_one_vacancy_starts_one_chain() -> None:
    solution = _solve(_instance(2, 1, {(2, 0): 5, (2, 1): 6}))
    assert solution.objective == 6


def test_excluded_move_is_not_used() -> None:
    # An exclusion is a move the graph does not hold: without (1, 0) no swap exists.
    assert _solve(_instance(2, 0, {(0, 1): 5})).objective == 0
    assert _solve(_instance(2, 0, {(0, 1): 5, (1, 0): 5})).objective == 10


def test_same_seed_same_solution() -> None:
    arcs = {
        (u, v): 1 + (u * 7 + v * 3) % 5
        for u in range(12)
        for v in range(10)
        if u != v and (u + 2 * v) % 3 == 0
    }
    instance = _instance(10, 2, arcs)
    params = SolveParams(max_cycle=3, max_chain=3, time_limit_s=30, seed=4)
    first = solve(instance, params)
    again = solve(instance, params)
    assert first.proposals == again.proposals
    assert first.objective == again.objective


# -- checker --------------------------------------------------------------------------------------


def _checked_instance() -> Instance:
    return _instance(3, 1, {(0, 1): 2, (1, 0): 3, (3, 2): 4, (2, 0): 1, (3, 0): 6})


def _good() -> Solution:
    cycle = Proposal("cycle", (Move("H0", "D1", 3), Move("H1", "D0", 2)))
    chain = Proposal("chain", (Move("H2", "V0", 4),))
    return Solution((cycle, chain), 9, 9.0, "optimal")


def test_checker_accepts_a_valid_solution() -> None:
    assert problems(_checked_instance(), _good(), SolveParams(max_cycle=2, max_chain=1)) == []


@pytest.mark.parametrize(
    ("broken", "words"),
    [
        (replace(_good(), objective=10, bound=10.0), "differs from the sum"),
        (replace(_good(), bound=8.0), "bound"),
        (
            Solution((Proposal("cycle", (Move("H0", "D2", 1), Move("H2", "D0", 1))),), 2, 2.0, "optimal"),
            "not allowed",
        ),
        (
            Solution((Proposal("cycle", (Move("H0", "D1", 9), Move("H1", "D0", 2))),), 11, 11.0, "optimal"),
            "worth",
        ),
        (
            Solution(
                (
                    Proposal("cycle", (Move("H0", "D1", 3), Move("H1", "D0", 2))),
                    Proposal("chain", (Move("H0", "V0", 6),)),
                ),
                11,
                11.0,
                "optimal",
            ),
            "moves twice",
        ),
        (
            Solution(
                (Proposal("chain", (Move("H2", "V0", 4),)), Proposal("chain", (Move("H0", "V0", 6),))),
                10,
                10.0,
                "optimal",
            ),
            "given twice",
        ),
        (Solution((Proposal("cycle", (Move("H2", "V0", 4),)),), 4, 4.0, "optimal"), "cycle cap"),
        (
            Solution((Proposal("cycle", (Move("H0", "D1", 3), Move("H1", "D2", 2))),), 5, 5.0, "optimal"),
            "not allowed",
        ),
        (Solution((Proposal("chain", (Move("H0", "D1", 3),)),), 3, 3.0, "optimal"), "offered vacancy"),
        (
            Solution((Proposal("chain", (Move("H2", "V0", 4), Move("H0", "D1", 3))),), 7, 7.0, "optimal"),
            "does not take the dwelling freed",
        ),
        (Solution((Proposal("chain", ()),), 0, 0.0, "optimal"), "no move"),
    ],
)
def test_checker_rejects_each_broken_rule(broken: Solution, words: str) -> None:
    found = problems(_checked_instance(), broken, SolveParams(max_cycle=3, max_chain=3))
    assert any(words in p for p in found), found
    with pytest.raises(InvalidSolution):
        verify(_checked_instance(), broken, SolveParams(max_cycle=3, max_chain=3))


def test_checker_enforces_the_caps() -> None:
    instance = _instance(3, 1, {(0, 1): 1, (1, 2): 1, (2, 0): 1, (3, 0): 1})
    cycle = Proposal("cycle", (Move("H0", "D2", 1), Move("H1", "D0", 1), Move("H2", "D1", 1)))
    assert problems(instance, Solution((cycle,), 3, 3.0, "optimal"), SolveParams(max_cycle=3)) == []
    assert any(
        "cycle cap" in p
        for p in problems(instance, Solution((cycle,), 3, 3.0, "optimal"), SolveParams(max_cycle=2))
    )
    chain = Proposal("chain", (Move("H0", "V0", 1), Move("H1", "D0", 1), Move("H2", "D1", 1)))
    assert problems(instance, Solution((chain,), 3, 3.0, "optimal"), SolveParams(max_chain=3)) == []
    assert any(
        "chain cap" in p
        for p in problems(instance, Solution((chain,), 3, 3.0, "optimal"), SolveParams(max_chain=2))
    )


# -- shared kidney instances -------------------------------------------------------------------------

# (file, our chain cap in moves, optimum in transplants) from shared/benchmarks/kidney/README.md, cycle cap 3:
# peer column (3,2) is our chain cap 1, (3,3) our chain cap 2.
KIDNEY_OPTIMA = [
    ("preflib-00036/00036-00000011.wmd", 1, 10),
    ("preflib-00036/00036-00000021.wmd", 2, 9),
    ("preflib-00036/00036-00000031.wmd", 2, 22),
    ("preflib-00036/00036-00000051.wmd", 1, 16),
    ("preflib-00036/00036-00000081.wmd", 2, 55),
    ("preflib-00036/00036-00000091.wmd", 1, 38),
    ("preflib-00036/00036-00000099.wmd", 2, 40),
    ("kidneyexchange-jl/sparse_128_19_1.wmd", 1, 36),
    ("kidneyexchange-jl/heterogeneous_128_19_1.wmd", 2, 96),
    ("trimble-kidney-solver/100.input", 2, 29),
    ("trimble-kidney-solver/100-random-weights.input", 1, 34),
    ("klimentova-pedroso-small/80_01.input.gz", 2, 44),
    ("klimentova-pedroso-small/100_03.input.gz", 2, 54),
    ("generated-uk2022/uk2022-band-pra0-250-ndd0.10-s1.kep.json", 2, 113),
]


@needs_kidney
@pytest.mark.parametrize(("name", "max_chain", "optimum"), KIDNEY_OPTIMA)
def test_shared_kidney_instances_reach_the_readme_optimum(name: str, max_chain: int, optimum: int) -> None:
    instance = read_instance(KIDNEY / name, unit_weights=True)
    params = SolveParams(max_cycle=3, max_chain=max_chain, time_limit_s=60)
    solution = solve(instance, params)
    verify(instance, solution, params)
    assert solution.status == "optimal"
    assert solution.objective == optimum
    assert solution.bound == pytest.approx(optimum)


_NO_IMPORTS = """
import sys
from matching.kep import read_instance
from matching.solve import solve
from matching.types import SolveParams
for name in sys.argv[1:]:
    instance = read_instance(name, unit_weights=True)
    before = set(sys.modules)
    solution = solve(instance, SolveParams(max_cycle=3, max_chain=2))
    print(solution.timings.get("stage"), solution.timings.get("rounds", 0), sorted(set(sys.modules) - before))
"""


@needs_kidney
def test_a_fresh_process_imports_nothing_while_solving() -> None:
    """Every stage (LP only; search rounds; proof round) runs without importing a module on first use.

    A lazy import inside a solve (``np.unique``/``np.union1d`` load ``numpy.ma``) cost 17-30 ms, more
    than the whole solve of a small file.
    """
    files = [
        KIDNEY / "klimentova-pedroso-small/20_01.input.gz",  # LP alone
        KIDNEY / "preflib-00036/00036-00000071.wmd",  # search rounds
        KIDNEY / "generated-uk2022/uk2022-band-pra0-500-ndd0.05-s1.kep.json",  # a proof round
    ]
    out = subprocess.run(
        [sys.executable, "-c", _NO_IMPORTS, *map(str, files)], capture_output=True, text=True, check=True
    ).stdout.splitlines()
    assert [line.split(" ", 2)[2] for line in out] == ["[]", "[]", "[]"]
    assert {line.split(" ", 2)[0] for line in out} >= {"1", "2"}


@needs_kidney
@pytest.mark.parametrize(("mip_max", "around_max"), [(100, 60), (10**9, 60)])
def test_capped_search_sets_stay_valid(
    monkeypatch: pytest.MonkeyPatch, mip_max: int, around_max: int
) -> None:
    """Models too big for a proof MIP (``_MIP_MAX``) and sampled search sets (``_AROUND_MAX``), forced
    small on a 500-pair file of known optimum 287: valid solutions, honest bounds and statuses."""
    monkeypatch.setattr(tuning, "MIP_MAX", mip_max)
    monkeypatch.setattr(tuning, "AROUND_MAX", around_max)
    instance = read_instance(
        KIDNEY / "generated-uk2022/uk2022-band-pra0-500-ndd0.05-s1.kep.json", unit_weights=True
    )
    params = SolveParams(max_cycle=3, max_chain=2, time_limit_s=4)
    solution = solve(instance, params)
    verify(instance, solution, params)
    assert solution.objective <= 287 <= solution.bound
    assert (solution.status == "optimal") == (solution.objective == solution.bound)
    if mip_max == 10**9:  # the sampled search only: the proof rounds still prove the optimum
        assert solution.status == "optimal"


@needs_kidney
@pytest.mark.parametrize(
    ("name", "unit", "optimum"),
    [
        ("generated-uk2022/uk2022-band-pra0-250-ndd0.10-s1.kep.json", True, 113),
        ("kidneyexchange-jl/heterogeneous_128_19_1.wmd", True, 96),
        ("trimble-kidney-solver/100-random-weights.input", False, None),
    ],
)
def test_proof_by_descending_targets_from_no_incumbent(
    monkeypatch: pytest.MonkeyPatch, name: str, unit: bool, optimum: int | None
) -> None:
    """No search rounds and no direct proof: the proof MIPs start at target floor(z) and go down
    (floor(z), floor(z) - 1, floor(z) - 4, ...) from an empty incumbent, and still reach the optimum
    of the default path, proven, with an honest status."""
    instance = read_instance(KIDNEY / name, unit_weights=unit)
    params = SolveParams(max_cycle=3, max_chain=2, time_limit_s=60)
    reference = solve(instance, params)
    assert reference.status == "optimal"
    monkeypatch.setattr(tuning, "PROOF_DIRECT", -1)
    monkeypatch.setattr(tuning, "PROOF_GROWTH", 0.0)
    monkeypatch.setattr(search, "search_budget", lambda left: 0.0)  # search rounds find nothing
    solution = solve(instance, params)
    verify(instance, solution, params)
    assert solution.status == "optimal"
    assert solution.objective == solution.bound == reference.objective
    if optimum is not None:
        assert solution.objective == optimum
