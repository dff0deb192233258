"""One MIP solved by several backends at once, one forked child process each; the first to settle it wins.

MIP times are heavy-tailed and the solvers' slow cases differ, while CBC and HiGHS use one core
each. Processes, not threads: pywraplp cannot interrupt CBC or HiGHS, a child can be killed. A
child dies with its parent, however the parent dies, and keeps none of its descriptors: a killed run
leaves no solver running, nor a copy of its database connection holding the territory's lock.
"""

from __future__ import annotations

import contextlib
import ctypes
import math
import multiprocessing
import multiprocessing.connection
import multiprocessing.popen_fork  # noqa: F401 - what a first fork imports (no import while solving)
import os
import signal
import sys
import threading
import time
from collections.abc import Sequence

from ortools.linear_solver import linear_solver_pb2

from matching import backends, tuning
from matching.backends import Answer

__all__ = ["can_race", "race"]

_PR_SET_PDEATHSIG = 1  # prctl option: the signal a child gets when its parent dies (Linux)
_MAX_FD = 4096  # descriptors closed in a child when the system cannot list them


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
    runs: list[tuple[multiprocessing.process.BaseProcess, multiprocessing.connection.Connection]] = []
    lifelines: list[int] = []  # write ends: a child whose lifeline reaches its end exits
    answers: list[Answer] = []
    try:
        for backend in racers:
            receive, send = context.Pipe(duplex=False)
            watch, lifeline = os.pipe()
            lifelines.append(lifeline)
            try:
                child = context.Process(
                    target=_race_entry,
                    args=(send, watch, os.getpid(), proto, backend, until, seed, search, gap),
                    daemon=True,
                )
                child.start()
            except BaseException:
                receive.close()
                raise
            finally:  # the child's ends
                send.close()
                os.close(watch)
            runs.append((child, receive))
        pending = [receive for _, receive in runs]
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
        for lifeline in lifelines:
            os.close(lifeline)
        for racer, receive in runs:
            if racer.is_alive():
                racer.kill()
            racer.join()
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
    watch: int,
    parent: int,
    proto: linear_solver_pb2.MPModelProto,
    backend: str,
    until: float,
    seed: int,
    search: bool,
    gap: float | None,
) -> None:
    """A racing child: solve, send the answer (``unknown`` on any error), and leave at once.

    The child dies with its parent (:func:`_die_with_parent`) and keeps none of its descriptors but
    the answer's pipe and the lifeline ``watch`` (:func:`_close_inherited`): a database connection
    inherited from the parent must not outlive it. It never touches the inherited
    ``sys.stdout``/``sys.stderr`` (they may be another thread's proxies, a rich spinner's, whose
    lock that thread may hold at the fork), and it ends with ``os._exit``: no finalizer of the
    parent's objects (a connection pool, a session) runs in the child.
    """
    code = 1
    try:
        _die_with_parent(parent, watch)
        _close_inherited(keep=(send.fileno(), watch))
        sys.stdout = sys.stderr = open(os.devnull, "w")  # noqa: SIM115 - the child ends with os._exit
        try:
            answer = backends.solve_proto(proto, backend, until, seed, 1, search, gap)
        except Exception:  # noqa: BLE001 - the parent only needs to know there is no answer
            answer = ("unknown", [], math.inf, -math.inf)
        send.send(answer)
        send.close()
        code = 0
    finally:
        os._exit(code)


def _die_with_parent(parent: int, watch: int) -> None:
    """Make this child exit when process ``parent`` dies, whichever way it dies (``kill -9`` too).

    On Linux the kernel sends SIGKILL at the parent's death (``PR_SET_PDEATHSIG``; the forking
    thread waits for its children, so it cannot end first); everywhere, a daemon thread waits
    for the end of the lifeline ``watch``, whose write end only the parent holds (the solvers
    release the GIL while they work).
    """
    if sys.platform == "linux":
        with contextlib.suppress(OSError, AttributeError):  # no libc to call: the lifeline remains
            ctypes.CDLL(None, use_errno=True).prctl(_PR_SET_PDEATHSIG, signal.SIGKILL)
    if os.getppid() != parent:  # the parent died before the line above
        os._exit(1)
    threading.Thread(target=_exit_at_end_of, args=(watch,), daemon=True).start()


def _exit_at_end_of(watch: int) -> None:
    """Wait until nothing can be read from ``watch`` any more (the parent closed it or died), then exit."""
    with contextlib.suppress(OSError):
        while os.read(watch, 1):
            pass
    os._exit(1)


def _close_inherited(keep: Sequence[int]) -> None:
    """Point descriptors 0-2 at ``/dev/null`` and close every other descriptor but ``keep``.

    Raw ``os.close``: the parent's objects that own them (a PostgreSQL connection's socket) are not
    told, so they send nothing (no Terminate message) and their finalizers never run here.
    """
    null = os.open(os.devnull, os.O_RDWR)
    for fd in (0, 1, 2):
        os.dup2(null, fd)
    for folder in ("/proc/self/fd", "/dev/fd"):
        with contextlib.suppress(OSError):
            open_fds = [int(name) for name in os.listdir(folder)]
            break
    else:
        open_fds = list(range(3, _MAX_FD))
    for fd in open_fds:
        if fd > 2 and fd not in keep:
            with contextlib.suppress(OSError):  # the listing's own descriptor, already closed
                os.close(fd)
