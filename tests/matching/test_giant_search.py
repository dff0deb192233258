"""A giant part's search on an executor: several disjoint regions a round as tasks (search.Regions).

A generated metropolitan territory of 600 dwellings stands for a giant part: ``tuning.PROOF_MAX`` is
patched to 0 (no proof MIP fits, the time left goes to the search), regions start at 30 households,
and the first solution loses every other cycle, so that the search has something to find.
"""

from __future__ import annotations

import multiprocessing
import os
from collections.abc import Callable
from concurrent.futures import Executor, Future, ProcessPoolExecutor
from typing import Any

import numpy as np
import pytest

from exchange.loading import read_document
from fixtures.generate import generate_territory
from matching import check, search, solve, tuning
from matching.graph import build_instance
from matching.program import ChainArc, Columns, build_program
from matching.types import Instance, Solution, SolveParams

PARAMS = SolveParams(time_limit_s=5, workers=1, seed=3)


@pytest.fixture(scope="module")
def instance() -> Instance:
    plain, config = read_document(generate_territory(4, 600, shape="metropole"))
    return build_instance(plain, config)


@pytest.fixture
def starts(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """Every part is giant; the first solutions lose every other cycle; their values, as they come."""
    values: list[int] = []
    real = search.first_solution

    def poorer(*args: Any, **kwargs: Any) -> search.Incumbent:
        model = args[0]
        found = real(*args, **kwargs)
        # Dropping a column of no negative coefficient (a cycle, a chain's last move) keeps it feasible.
        kept = [j for i, j in enumerate(found.chosen) if i % 2 or bool((model.coefs[j] < 0).any())]
        values.append(sum(model.weights[j] for j in kept))
        return search.Incumbent(kept, values[-1])

    monkeypatch.setattr(search, "first_solution", poorer)
    monkeypatch.setattr(tuning, "PROOF_MAX", 0)
    monkeypatch.setattr(tuning, "REGION", 30)
    return values


class CountingPool(ProcessPoolExecutor):
    """Two processes (spawned: the parent holds solver threads); counts the region tasks.

    With ``kill_first``, the first region task kills its process instead: the pool breaks.
    """

    def __init__(self, *, kill_first: bool = False) -> None:
        super().__init__(max_workers=2, mp_context=multiprocessing.get_context("spawn"))
        self.regions = 0
        self.kill_first = kill_first

    def submit(self, fn: Callable[..., Any], /, *args: Any, **kwargs: Any) -> Future[Any]:
        if fn is search.solve_region:
            self.regions += 1
            if self.kill_first and self.regions == 1:
                return super().submit(os._exit, 1)
        return super().submit(fn, *args, **kwargs)


def _valid(instance: Instance, solution: Solution, starts: list[int]) -> None:
    """The independent checker passes and the search did not end below where it started."""
    assert check.problems(instance, solution, PARAMS) == []
    assert starts  # the search started from a first solution
    assert solution.objective >= sum(starts)


def test_regions_are_process_pool_tasks_and_merge(instance: Instance, starts: list[int]) -> None:
    with CountingPool() as pool:
        solution = solve(instance, PARAMS, executor=pool, executor_workers=2)
    _valid(instance, solution, starts)
    assert pool.regions >= 2
    timings = solution.timings
    assert timings["lns_tasks"] == pool.regions
    assert timings["lns_regions"] > timings["lns_rounds"]  # more than one region a round
    assert timings["lns_merged"] >= 1
    assert solution.objective > sum(starts)


def test_without_an_executor_one_region_a_round_here(instance: Instance, starts: list[int]) -> None:
    solution = solve(instance, PARAMS)
    _valid(instance, solution, starts)
    assert solution.timings["lns_tasks"] == 0
    assert solution.timings["lns_regions"] == solution.timings["lns_rounds"] >= 1


def test_a_killed_pool_process_falls_back_to_this_process(instance: Instance, starts: list[int]) -> None:
    with CountingPool(kill_first=True) as pool:
        solution = solve(instance, PARAMS, executor=pool, executor_workers=2)
    _valid(instance, solution, starts)
    timings = solution.timings
    assert timings["lns_lost"] >= 1
    assert timings["lns_rounds"] >= 2  # the rounds went on, in this process
    assert solution.objective > sum(starts)


class Flaky(Executor):
    """Runs region tasks in this process; of every three, one fails and one answers nonsense."""

    def __init__(self) -> None:
        self.calls = 0

    def submit(self, fn: Callable[..., Any], /, *args: Any, **kwargs: Any) -> Future[Any]:
        self.calls += 1
        future: Future[Any] = Future()
        if self.calls % 3 == 1:
            future.set_exception(RuntimeError("worker lost"))
        elif self.calls % 3 == 2:
            future.set_result(([10**9, -1], True))  # columns the region does not have
        else:
            future.set_result(fn(*args, **kwargs))
        return future


def test_failed_or_wrong_tasks_give_nothing(instance: Instance, starts: list[int]) -> None:
    flaky = Flaky()
    solution = solve(instance, PARAMS, executor=flaky, executor_workers=2)
    _valid(instance, solution, starts)
    assert solution.timings["lns_lost"] >= 2
    assert solution.timings["lns_tasks"] == flaky.calls


def test_merge_refuses_what_breaks_a_chain() -> None:
    """Chain V -> 0 -> 1 (8); one answer frees household 0 for a 2-cycle (9), another passes 0's
    dwelling on to 3 instead (10): the better merges, the other would leave 0's dwelling passed on
    by a household that no longer moves."""
    columns = Columns.of([((0, 2), 9)], [ChainArc(9, 0, 4, 1), ChainArc(0, 1, 4, 2), ChainArc(0, 3, 6, 2)])
    program = build_program(columns)
    chain, cycle, onward = [1, 2], 0, 3
    assert search.feasible(program, chain)
    assert not search.feasible(program, [cycle, onward])  # household 0's dwelling passed on, unmoved
    merged, kept, refused = search.merge(program, chain, [[cycle], [1, onward]])
    assert (kept, refused) == (1, 1)
    assert merged == [1, onward]


def test_a_region_travels_as_its_own_columns() -> None:
    """The task's programme is the region's columns alone, and its MIP the same as on the whole."""
    program = build_program(Columns.of([((0, 1), 10), ((1, 2), 4), ((2, 3), 7), ((5, 6), 3)], []))
    kept = np.array([0, 1, 2])
    sub, hint = search.sub_program(program, kept, np.array([1]))
    assert len(sub.weights) == 3 and len(sub.rhs) == 4
    positions, settled = search.solve_region(sub, hint, 1e12, 0, 1)
    assert (kept[positions].tolist(), settled) == ([0, 2], True)
