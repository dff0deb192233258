"""One MIP solved by several backends at once, one forked child process each; the first to settle it wins.

MIP times are heavy-tailed and the solvers' slow cases differ, while CBC and HiGHS use one core
each. Processes, not threads: pywraplp cannot interrupt CBC or HiGHS, a child can be killed.
"""

from __future__ import annotations

import math
import multiprocessing
import multiprocessing.connection
import multiprocessing.popen_fork  # noqa: F401 - what a first fork imports (no import while solving)
import os
import sys
import time
from collections.abc import Sequence

from ortools.linear_solver import linear_solver_pb2

from matching import backends, tuning
from matching.backends import Answer

__all__ = ["can_race", "race"]


def can_race() -> bool:
    """Whether :func:`race` may start child processes (POSIX ``fork``, and not from a daemon process)."""
    return "fork" in multiprocessing.get_all_start_methods() and not multiprocessing.current_process().daemon


def race(
    proto: linear_solver_pb2.MPModelProto,
    racers: Sequence[str],
    until: float,
    seed: int,
    search: bool,
    gap: float | None,
) -> Answer:
    """Solve one MIP with several backends at once, one child process each; the first to settle it wins.

    The loser is killed as soon as one answer is conclusive (optimal, or infeasible); otherwise at
    ``until`` plus ``tuning.RACE_GRACE`` (CBC does not always stop on time), and the answers received
    are merged (the best solution, the lowest bound).

    Parameters
    ----------
    proto
        The MIP, as for :func:`matching.backends.solve_proto`.
    racers
        OR-Tools MIP solver ids, one child each.
    until
        ``time.perf_counter()`` value to stop at.
    seed, search, gap
        As for :func:`matching.backends.solve_proto` (each child runs one worker).

    Returns
    -------
    Answer
        The first conclusive answer, or the merged unsettled ones; ``unknown`` when none came.

    Examples
    --------
    >>> from matching.program import Columns, build_program, to_proto
    >>> program = build_program(Columns.of([((0, 1), 10), ((1, 2), 4), ((2, 3), 7)], []))
    >>> proto = to_proto(program, [0, 1, 2], integer=True)
    >>> race(proto, ("CBC", "HIGHS"), time.perf_counter() + 10, 0, False, None)[:2]
    ('optimal', [0, 2])
    """
    context = multiprocessing.get_context("fork")
    runs = []
    for backend in racers:
        receive, send = context.Pipe(duplex=False)
        child = context.Process(
            target=_race_entry, args=(send, proto, backend, until, seed, search, gap), daemon=True
        )
        child.start()
        send.close()
        runs.append((child, receive))
    answers: list[Answer] = []
    pending = [receive for _, receive in runs]
    try:
        while pending:
            ready = multiprocessing.connection.wait(
                pending, max(0.0, until + tuning.RACE_GRACE - time.perf_counter())
            )
            if not ready:
                break
            for receive in pending[:]:
                if receive not in ready:
                    continue
                pending.remove(receive)
                try:
                    answers.append(receive.recv())
                except EOFError:  # the child died without an answer
                    continue
            if any(answer[0] in ("optimal", "infeasible") for answer in answers):
                break
    finally:
        for child, receive in runs:
            if child.is_alive():
                child.kill()
            child.join()
            receive.close()
    for answer in answers:
        if answer[0] in ("optimal", "infeasible"):
            return answer
    solved = [answer for answer in answers if answer[0] == "feasible"]
    if not solved:
        return "unknown", [], math.inf, -math.inf
    best = max(solved, key=lambda answer: answer[3])  # the first backend's on a tie
    return "feasible", best[1], min(answer[2] for answer in solved), best[3]  # every bound holds


def _race_entry(
    send: multiprocessing.connection.Connection,
    proto: linear_solver_pb2.MPModelProto,
    backend: str,
    until: float,
    seed: int,
    search: bool,
    gap: float | None,
) -> None:
    """A racing child: solve and send the answer (``unknown`` on any error).

    The child never touches the inherited ``sys.stdout``/``sys.stderr``: they may be another
    thread's proxies (a rich spinner redirects them), whose lock that thread may hold at the fork.
    """
    sys.stdout = sys.stderr = open(os.devnull, "w")  # noqa: SIM115 - closed when the child exits
    try:
        answer = backends.solve_proto(proto, backend, until, seed, 1, search, gap)
    except Exception:  # noqa: BLE001 - the parent only needs to know there is no answer
        answer = ("unknown", [], math.inf, -math.inf)
    send.send(answer)
    send.close()
