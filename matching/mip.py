"""MIPs over a set of a component's columns, each independent part on its own.

A MIP solver's own status is not trusted: a solution is reported optimal only when the solver's
best bound, rounded down (the weights are integers), does not exceed it. Tiny parts are
enumerated, small search parts go to CP-SAT, and with two workers mid-sized MIPs race a second
backend (:mod:`matching.race`).
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np
import numpy.typing as npt

from matching import tuning
from matching.backends import solve_proto
from matching.program import Program, independent_parts, to_proto
from matching.race import can_race, race

__all__ = ["solve_mip", "solve_parts"]


def solve_mip(
    model: Program,
    active: Sequence[int],
    *,
    backend: str,
    seconds: float,
    seed: int,
    workers: int,
    search: bool = False,
    exact: npt.NDArray[np.bool_] | None = None,
    gap: float | None = None,
) -> tuple[list[int], float, str]:
    """Solve the MIP over ``active``; (chosen variables, proven bound, status).

    Weights are integers: the solver stops once its bound is less than 1 above its best
    solution (a relative gap below ``1 / total``), which proves that solution optimal. With two
    workers, a MIP of ``tuning.RACE_MIN`` to ``tuning.RACE_MAX`` variables races a second backend.

    Parameters
    ----------
    model
        The programme.
    active
        The columns the MIP chooses from.
    backend
        OR-Tools MIP solver id (``CBC``, ``HIGHS``, ``SCIP``, ``CP_SAT``).
    seconds
        Wall-clock budget, the model's build included.
    seed, workers
        Passed to the backends that take them.
    search
        Tune CP-SAT to find rather than prove.
    exact
        Rows that are equalities; the status is ``infeasible`` when no choice meets them.
    gap
        Stop at this relative gap instead (a search, not a proof).

    Returns
    -------
    tuple
        The chosen columns, a proven bound and the status (``optimal`` only when the bound, rounded
        down, does not exceed the chosen columns' value).

    Examples
    --------
    >>> from matching.program import Columns, build_program
    >>> program = build_program(Columns.of([((0, 1), 10), ((1, 2), 4), ((2, 3), 7)], []))
    >>> solve_mip(program, [0, 1, 2], backend="CBC", seconds=10, seed=0, workers=1)
    ([0, 2], 17.0, 'optimal')
    """
    if not active:
        return [], 0.0, "optimal"
    until = time.perf_counter() + seconds
    proto = to_proto(model, active, integer=True, exact=exact)
    total = sum(abs(model.weights[j]) for j in active)
    partner = tuning.RACE_PARTNER.get(backend)
    if workers >= 2 and partner and tuning.RACE_MIN <= len(active) <= tuning.RACE_MAX and can_race():
        name, picked, best_bound, _ = race(proto, (backend, partner), until, seed, search, gap)
    else:
        name, picked, best_bound, _ = solve_proto(proto, backend, until, seed, workers, search, gap)
    if name == "infeasible" and exact is None:  # choosing nothing is feasible: a solver failure
        name = "unknown"
    if name not in ("optimal", "feasible"):
        return [], float(total), name
    chosen = [active[i] for i in picked]
    value = sum(model.weights[j] for j in chosen)
    # Trust the solver's bound, not its status: a backend may stop at its own default gap.
    if not math.isfinite(best_bound):
        best_bound = float(total)
    bound = max(float(value), math.floor(best_bound + 1e-6))
    return chosen, bound, "optimal" if bound <= value else "feasible"


def solve_parts(
    model: Program,
    keep: Sequence[int],
    backend: str,
    deadline: float,
    seed: int,
    workers: int,
    *,
    search: bool = False,
    exact: npt.NDArray[np.bool_] | None = None,
    gap: float | None = None,
) -> tuple[list[int], float, str]:
    """The MIP over ``keep``, one independent part after the other, the smallest first.

    With ``search``, parts of at most ``tuning.SMALL`` variables go to CP-SAT on one worker
    (deterministic, and it starts faster than CBC); parts of at most ``tuning.TINY`` are enumerated.

    Parameters
    ----------
    model
        The programme.
    keep
        The columns the MIP chooses from.
    backend
        OR-Tools MIP solver id of the parts that are neither tiny nor small searches.
    deadline
        ``time.perf_counter()`` value to stop at; parts left unsolved count their positive weights
        in the bound.
    seed, workers, exact, gap
        As for :func:`solve_mip`. When a part cannot meet the equalities of ``exact``, nothing can
        (every flagged row must be used by some column of ``keep``).
    search
        A search, not a proof: small parts go to CP-SAT first.

    Returns
    -------
    tuple
        The chosen columns, a proven bound and the status; ``([], -inf, "infeasible")`` when the
        equalities cannot be met.

    Examples
    --------
    >>> from matching.program import Columns, build_program
    >>> program = build_program(Columns.of([((0, 1), 10), ((1, 2), 4), ((5, 6), 7)], []))
    >>> solve_parts(program, [0, 1, 2], "CBC", time.perf_counter() + 10, 0, 1)
    ([2, 0], 17.0, 'optimal')
    """
    found: list[int] = []
    bound = 0.0
    status = "optimal"
    nothing: tuple[list[int], float, str] = ([], -math.inf, "infeasible")
    # Smallest parts first: a hard part then takes only the time the others leave.
    for group in sorted(independent_parts(model, keep), key=len):
        left = deadline - time.perf_counter()
        if left <= 0.01:
            status = "feasible"
            bound += sum(model.weights[j] for j in group if model.weights[j] > 0)
            continue
        if len(group) <= tuning.TINY:
            part = _enumerate(model, group, exact)
            if part is None:
                return nothing
            found.extend(part)
            bound += sum(model.weights[j] for j in part)
            continue
        small = search and len(group) <= tuning.SMALL
        part, part_bound, name = solve_mip(
            model,
            group,
            backend="CP_SAT" if small else backend,
            seconds=min(left, tuning.SMALL_SECONDS) if small else left,
            seed=seed,
            workers=1 if small else workers,
            search=small,
            exact=exact,
            gap=gap,
        )
        if small and name not in ("optimal", "infeasible") and deadline - time.perf_counter() > 0.5:
            # CP-SAT did not settle it: a hard part; the backend gets the time left, the better wins
            retry, retry_bound, name = solve_mip(
                model,
                group,
                backend=backend,
                seconds=deadline - time.perf_counter(),
                seed=seed,
                workers=workers,
                exact=exact,
                gap=gap,
            )
            if sum(model.weights[j] for j in retry) >= sum(model.weights[j] for j in part):
                part = retry
            part_bound = min(part_bound, retry_bound)
        if name == "infeasible":
            return nothing
        found.extend(part)
        bound += part_bound
        if name != "optimal":
            status = "feasible"
    return found, bound, status


def _enumerate(
    model: Program, group: Sequence[int], exact: npt.NDArray[np.bool_] | None = None
) -> list[int] | None:
    """The best feasible subset of a tiny group, by depth-first branch and bound (exact).

    LP supports split into many parts of one to a few columns, where a solver's start-up would
    dominate. Rows with only non-negative coefficients (households, vacancies) prune at
    once; chain flow rows (``y_out - y_in <= 0``) and the equalities of ``exact`` are checked on
    complete choices. ``None`` when no subset meets the equalities.
    """
    cols = [(model.weights[j], model.col(j)) for j in group]
    equal = [] if exact is None else sorted({r for _, entries in cols for r, _ in entries if exact[r]})
    order = sorted(range(len(cols)), key=lambda i: -cols[i][0])
    rhs = model.rhs
    load: dict[int, float] = {}
    best: list[int] = []
    best_value = -1
    chosen: list[int] = []
    rest = [0] * (len(order) + 1)
    for k in range(len(order) - 1, -1, -1):
        rest[k] = rest[k + 1] + max(0, cols[order[k]][0])

    def feasible() -> bool:
        fits = all(v <= rhs[r] + 1e-9 for r, v in load.items())
        return fits and all(abs(load.get(r, 0.0) - rhs[r]) < 1e-9 for r in equal)

    # visit gets itself as an argument: a closure naming itself would be a reference cycle, left for
    # the cyclic collector that solves pause (one per call, thousands per neighbourhood round)
    def visit(k: int, value: int, again: Callable[[int, int, Any], None]) -> None:
        nonlocal best, best_value
        if value + rest[k] <= best_value:
            return
        if k == len(order):
            if feasible():
                best, best_value = list(chosen), value
            return
        weight, entries = cols[order[k]]
        fits = all(load.get(r, 0.0) + c <= rhs[r] + 1e-9 for r, c in entries if c > 0 and rhs[r] > 0)
        if fits:
            for r, c in entries:
                load[r] = load.get(r, 0.0) + c
            chosen.append(group[order[k]])
            again(k + 1, value + weight, again)
            chosen.pop()
            for r, c in entries:
                load[r] -= c
        again(k + 1, value, again)

    visit(0, 0, visit)
    return best if best_value >= 0 else None


def improve(
    model: Program,
    keep: Sequence[int],
    chosen: Sequence[int],
    until: float,
    seed: int,
    workers: int,
) -> tuple[list[int], bool]:
    """The best solution CP-SAT finds over ``keep`` by ``until`` from ``chosen`` (a subset); whether optimal.

    A search, not a proof: ``chosen`` is given as a hint, so CP-SAT starts from it and its
    large-neighbourhood workers (``workers`` of them) only improve on it; never worse than ``chosen``.

    Examples
    --------
    >>> from matching.program import Columns, build_program
    >>> program = build_program(Columns.of([((0, 1), 10), ((1, 2), 4), ((2, 3), 7)], []))
    >>> improve(program, [0, 1, 2], [1], time.perf_counter() + 10, 0, 1)
    ([0, 2], True)
    """
    proto = to_proto(model, keep, integer=True)
    at = {j: i for i, j in enumerate(keep)}
    hinted = sorted(at[j] for j in chosen)
    proto.solution_hint.var_index.extend(range(len(keep)))
    picked = np.zeros(len(keep))
    picked[hinted] = 1.0
    proto.solution_hint.var_value.extend(picked.tolist())
    name, found, _, value = solve_proto(proto, "CP_SAT", until, seed, workers, False, None)
    if name not in ("optimal", "feasible") or value <= sum(model.weights[j] for j in chosen):
        return list(chosen), name == "optimal"
    return [keep[i] for i in found], name == "optimal"
