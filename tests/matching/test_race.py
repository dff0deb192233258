"""``matching.race.race``: one MIP solved by two backends at once, in child processes.

The children are forked, so a monkeypatched ``solve_proto`` is what they run: that is how the
tests below make one racer slow, broken or merely feasible.
"""

from __future__ import annotations

import math
import multiprocessing
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest
from processes import alive, children

from matching import backends, tuning
from matching.mip import solve_mip
from matching.program import ChainArc, Columns, build_program, to_proto
from matching.race import can_race, race

pytestmark = pytest.mark.skipif(not can_race(), reason="racing needs fork")


def _random_columns(seed: int) -> Columns:
    """About 40 households with 3-cycles, 2-cycles and chains out of two vacancies."""
    rng = np.random.default_rng(seed)
    n = 40
    cycles = []
    for _ in range(60):
        size = int(rng.integers(2, 4))
        members = tuple(int(x) for x in rng.choice(n, size, replace=False))
        cycles.append((members, int(rng.integers(1, 20))))
    arcs = []
    for _ in range(40):
        position = int(rng.integers(1, 4))
        source = n + int(rng.integers(0, 2)) if position == 1 else int(rng.integers(0, n))
        target = int(rng.integers(0, n))
        if target != source:
            arcs.append(ChainArc(source, target, int(rng.integers(1, 20)), position))
    return Columns.of(cycles, arcs)


@pytest.mark.parametrize("seed", range(6))
def test_a_race_proves_the_same_optimum_as_one_backend(seed: int, monkeypatch: pytest.MonkeyPatch) -> None:
    model = build_program(_random_columns(seed))
    every = list(range(len(model.weights)))
    alone, alone_bound, alone_status = solve_mip(model, every, backend="CBC", seconds=30, seed=0, workers=1)
    monkeypatch.setattr(tuning, "RACE_MIN", 1)
    raced, raced_bound, raced_status = solve_mip(model, every, backend="CBC", seconds=30, seed=0, workers=2)
    value = sum(model.weights[j] for j in raced)
    assert (alone_status, raced_status) == ("optimal", "optimal")
    assert value == sum(model.weights[j] for j in alone) == alone_bound == raced_bound
    assert multiprocessing.active_children() == []


def test_a_race_refutes_impossible_equalities(monkeypatch: pytest.MonkeyPatch) -> None:
    # Two 2-cycles over households 0-1 and 1-2: both household rows 0 and 2 cannot be filled at once.
    model = build_program(Columns.of([((0, 1), 5), ((1, 2), 5)], []))
    exact = np.zeros(len(model.rhs) + 1, dtype=bool)
    exact[[0, 2]] = True  # rows of households 0 and 2 (rows are numbered in order of first use)
    monkeypatch.setattr(tuning, "RACE_MIN", 1)
    assert solve_mip(model, [0, 1], backend="CBC", seconds=10, seed=0, workers=2, exact=exact) == (
        [],
        10.0,
        "infeasible",
    )


def _proto_of(seed: int):  # type: ignore[no-untyped-def]
    model = build_program(_random_columns(seed))
    return to_proto(model, range(len(model.weights)), integer=True)


def test_the_first_conclusive_answer_wins_and_the_slow_racer_is_killed(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    def slow_highs(proto, backend, until, seed, workers, search, gap):  # type: ignore[no-untyped-def]
        if backend == "HIGHS":
            time.sleep(600)
        return "optimal", [0], 7.0, 7.0

    monkeypatch.setattr(backends, "solve_proto", slow_highs)
    answer = race(_proto_of(0), ("CBC", "HIGHS"), time.perf_counter() + 600, 0, False, None)
    assert answer == ("optimal", [0], 7.0, 7.0)
    assert multiprocessing.active_children() == []


def test_a_racer_that_fails_leaves_the_other_answer(monkeypatch: pytest.MonkeyPatch) -> None:
    answer = race(_proto_of(1), ("NO_SUCH_SOLVER", "CBC"), time.perf_counter() + 30, 0, False, None)
    assert answer[0] == "optimal"
    both_fail = race(_proto_of(1), ("NO_SUCH_SOLVER", "NOR_THIS"), time.perf_counter() + 30, 0, False, None)
    assert both_fail == ("unknown", [], math.inf, -math.inf)


def test_unsettled_answers_merge_into_the_best_solution_and_the_lowest_bound(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    def feasible(proto, backend, until, seed, workers, search, gap):  # type: ignore[no-untyped-def]
        return ("feasible", [0, 1], 30.0, 12.0) if backend == "CBC" else ("feasible", [2], 25.0, 15.0)

    monkeypatch.setattr(backends, "solve_proto", feasible)
    answer = race(_proto_of(2), ("CBC", "HIGHS"), time.perf_counter() + 30, 0, False, None)
    assert answer == ("feasible", [2], 25.0, 15.0)


def test_racers_past_the_deadline_are_killed(monkeypatch: pytest.MonkeyPatch) -> None:
    def stuck(proto, backend, until, seed, workers, search, gap):  # type: ignore[no-untyped-def]
        time.sleep(600)  # a solver that ignores its time limit (CBC on very large models)

    monkeypatch.setattr(backends, "solve_proto", stuck)
    monkeypatch.setattr(tuning, "RACE_GRACE", 0.2)
    answer = race(_proto_of(3), ("CBC", "HIGHS"), time.perf_counter() + 0.2, 0, False, None)
    assert answer == ("unknown", [], math.inf, -math.inf)
    assert multiprocessing.active_children() == []


_PARENT = """
import socket, sys, time
from matching import backends
from matching.program import Columns, build_program, to_proto
from matching.race import race

def stuck(*args):  # a solver that ignores its time limit
    time.sleep(600)

backends.solve_proto = stuck
held = open(sys.argv[1], "w")  # stands for the parent's database connection:
server = socket.socketpair()  # a file and a socket the children must not keep
proto = to_proto(build_program(Columns.of([((0, 1), 1)], [])), [0], integer=True)
print("racing", flush=True)
race(proto, ("CBC", "HIGHS"), time.perf_counter() + 600, 0, False, None)
"""


@pytest.mark.skipif(not os.path.isdir("/proc/self/fd"), reason="reads /proc")
def test_racers_die_with_their_parent_and_keep_none_of_its_descriptors(tmp_path: Path) -> None:
    """A parent killed with SIGKILL mid-race (``kill -9`` of ``exchange run``) takes its racers with
    it, and they never held its other descriptors (a database connection, in a run)."""
    held = tmp_path / "held"
    racers: list[int] = []
    parent = subprocess.Popen(
        [sys.executable, "-c", _PARENT, str(held)], stdout=subprocess.PIPE, text=True, env=os.environ
    )
    try:
        assert parent.stdout is not None and parent.stdout.readline().strip() == "racing"
        deadline = time.monotonic() + 30
        while len(racers := children(parent.pid)) < 2 and time.monotonic() < deadline:
            time.sleep(0.05)
        assert len(racers) == 2
        time.sleep(0.3)  # the racers have closed what they inherited
        for racer in racers:
            targets = [os.readlink(f"/proc/{racer}/fd/{fd}") for fd in os.listdir(f"/proc/{racer}/fd")]
            assert str(held) not in targets
            assert not [t for t in targets if t.startswith("socket:")]
        os.kill(parent.pid, signal.SIGKILL)
        parent.wait(timeout=10)
        deadline = time.monotonic() + 2
        while any(alive(racer) for racer in racers) and time.monotonic() < deadline:
            time.sleep(0.02)
        assert not [racer for racer in racers if alive(racer)]
    finally:
        if parent.poll() is None:
            parent.kill()
            parent.wait()
        for racer in racers:  # a failed test leaves no solver behind either
            if alive(racer):
                os.kill(racer, signal.SIGKILL)
        if parent.stdout is not None:
            parent.stdout.close()
