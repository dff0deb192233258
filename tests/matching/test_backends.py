"""The MIP backends agree on the optimum of a weighted territory, and native solvers print nothing.

HiGHS stops by default at a relative gap of 1e-4 (several points on a territory worth tens of
thousands of points) while reporting "optimal": the solver must use its bound, not its status.
"""

from __future__ import annotations

from functools import cache

import pytest

from exchange.loading import read_document
from fixtures.generate import generate_territory
from matching import solve, verify
from matching.graph import build_instance
from matching.types import Instance, SolveParams


@cache
def _territory(dwellings: int) -> Instance:
    territory, config = read_document(generate_territory(11, dwellings))
    return build_instance(territory, config)


@cache
def _reference(dwellings: int) -> int:
    return solve(_territory(dwellings), SolveParams(time_limit_s=120)).objective


@pytest.mark.parametrize("backend", ["CBC", "HIGHS"])
def test_backends_reach_the_same_proven_optimum(backend: str) -> None:
    instance = _territory(900)
    solution = solve(instance, SolveParams(time_limit_s=120), backend=backend)
    assert solution.status == "optimal"
    assert solution.objective == _reference(900)
    assert solution.bound == solution.objective
    verify(instance, solution, SolveParams())


def test_solving_prints_nothing(capfd: pytest.CaptureFixture[str]) -> None:
    solution = solve(_territory(300), SolveParams(time_limit_s=60))
    captured = capfd.readouterr()
    assert solution.status == "optimal"
    assert captured.out == ""
    assert captured.err == ""


def test_highs_stopped_by_its_time_limit_returns_its_best_solution(capfd: pytest.CaptureFixture[str]) -> None:
    """Through pywraplp, HiGHS stopped at its time limit returned no solution at all (OR-Tools 9.15,
    google/or-tools#5016); through MathOpt it returns its incumbent and its bound, silently."""
    import time

    import numpy as np

    from matching.backends import solve_proto
    from matching.program import Columns, build_program, to_proto

    rng = np.random.default_rng(1)  # 3,000 random triples of 300 households: far from settled in 1 s
    cycles = [
        (tuple(sorted(rng.choice(300, 3, replace=False).tolist())), int(rng.integers(90, 110)))
        for _ in range(3000)
    ]
    model = build_program(Columns.of(cycles, []))
    proto = to_proto(model, range(len(model.weights)), integer=True)
    for limit in (1.0, 2.0, 4.0, 8.0):  # a loaded machine may not reach a first incumbent in 1 s
        status, picked, bound, value = solve_proto(
            proto, "HIGHS", time.perf_counter() + limit, 0, 1, False, None
        )
        if status != "unknown":
            break
    assert status == "feasible"
    assert picked, "the incumbent is kept"
    households = [h for j in picked for h in cycles[j][0]]
    assert len(households) == len(set(households))  # a packing
    assert value == sum(cycles[j][1] for j in picked)
    assert value <= bound < sum(p for _, p in cycles)
    captured = capfd.readouterr()
    assert captured.out == "" and captured.err == ""
