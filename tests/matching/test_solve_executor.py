"""``matching.solve(executor=…)``: the independent parts as executor tasks give the serial result."""

from __future__ import annotations

import importlib
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Any

import pytest

from exchange.loading import read_document
from fixtures.generate import generate_territory
from matching import solve
from matching.graph import build_instance
from matching.solve import BATCH_COLUMNS
from matching.types import Instance, Move, SolveParams

SOLVE_MODULE = importlib.import_module("matching.solve")  # the package re-exports the function


class CountingExecutor(ThreadPoolExecutor):
    """A thread pool that counts its tasks."""

    def __init__(self) -> None:
        super().__init__(max_workers=2)
        self.tasks = 0

    def submit(self, fn: Callable[..., Any], /, *args: Any, **kwargs: Any) -> Future[Any]:
        self.tasks += 1
        return super().submit(fn, *args, **kwargs)


@pytest.mark.parametrize(("seed", "shape"), [(3, "littoral"), (4, "metropole")])
def test_parts_as_tasks_give_the_serial_solution(seed: int, shape: str) -> None:
    plain, config = read_document(generate_territory(seed, 150, shape=shape))
    instance = build_instance(plain, config)
    params = SolveParams(time_limit_s=60, workers=1)
    serial = solve(instance, params)
    with CountingExecutor() as executor:
        spread = solve(instance, params, executor=executor)
    assert executor.tasks >= 1
    assert (spread.objective, spread.status) == (serial.objective, "optimal")
    assert _moves(spread.proposals) == _moves(serial.proposals)


def _moves(proposals: Any) -> list[tuple[tuple[str, str, int], ...]]:
    return sorted(tuple((m.household, m.dwelling, m.points) for m in p.moves) for p in proposals)


def _pairs(k: int) -> Instance:
    """``k`` independent parts: pair ``i`` may swap, or its first household take vacancy ``V{i}``."""
    households = {f"H{i}{x}": f"D{i}{x}" for i in range(k) for x in "ab"}
    moves = [
        m
        for i in range(k)
        for m in (Move(f"H{i}a", f"D{i}b", 5 + i), Move(f"H{i}b", f"D{i}a", 4), Move(f"H{i}a", f"V{i}", 1))
    ]
    return Instance(households, tuple(f"V{i}" for i in range(k)), tuple(moves))


def test_small_parts_travel_together_and_a_large_one_alone(monkeypatch: pytest.MonkeyPatch) -> None:
    instance = _pairs(6)
    params = SolveParams(time_limit_s=60, workers=1)
    serial = solve(instance, params)
    assert serial.objective == sum(9 + i for i in range(6))  # every pair swaps
    monkeypatch.setattr(SOLVE_MODULE, "BATCH_COLUMNS", 1)  # every part a task of its own
    with CountingExecutor() as one_each:
        assert solve(instance, params, executor=one_each).objective == serial.objective
    monkeypatch.setattr(SOLVE_MODULE, "BATCH_COLUMNS", BATCH_COLUMNS)
    with CountingExecutor() as batched:
        assert solve(instance, params, executor=batched).objective == serial.objective
    assert (one_each.tasks, batched.tasks) == (6, 1)
