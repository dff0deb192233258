"""The MIP backends agree on the optimum of a weighted territory, and native solvers print nothing.

HiGHS stops by default at a relative gap of 1e-4 (several points on a territory worth tens of
thousands of points) while reporting "optimal": the solver must use its bound, not its status.
"""

from __future__ import annotations

from functools import cache

import pytest

from exchange.interchange import read_document
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
