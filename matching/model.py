"""Solve one component's integer programme: relax, find a first solution, prove or search, read back.

The programme (:mod:`matching.program`) has a column per cycle and per position-indexed chain arc.
It is solved in exact steps (weights are integers, so every solution's value is an integer):

1. relax: the LP relaxation by column generation (:mod:`matching.lp`); its value ``z`` bounds the
   optimum, ``floor(z)`` too; when its solution is integral it is optimal;
2. first solution: short MIPs over the LP's support, then around its integral part
   (:mod:`matching.search`); a solution worth ``floor(z)`` is optimal;
3. prove or search: reduced-cost fixing with descending targets proves the incumbent optimal or
   finds a better one (:mod:`matching.proof`); when a proof MIP would be too large, the time left
   goes to large-neighbourhood search and the LP bound is reported; given an executor of several
   workers, that search solves several disjoint regions at once as its tasks;
4. read back the chosen cycles and chain arcs.

MIP solvers' own statuses are not trusted (:mod:`matching.mip`). With two workers, mid-sized MIPs
race CBC against HiGHS in two child processes (:mod:`matching.race`): runs are then deterministic
up to that race, as they are up to time limits: a settled MIP has the same optimum whichever solver
settles it, but not always the same optimal solution.

References
----------
Dickerson, Manlove, Plaut, Sandholm, Trimble, "Position-indexed formulations for kidney exchange",
EC 2016. Nemhauser, Wolsey, *Integer and Combinatorial Optimization*, 1988 (reduced-cost fixing).
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from concurrent.futures import Executor
from dataclasses import dataclass

import numpy as np

from matching import lp, mip, proof, search, tuning
from matching.lp import Relaxation
from matching.program import ChainArc, Columns, Program, build_program
from matching.search import Progress, Regions

__all__ = ["ChainArc", "Columns", "ComponentResult", "solve_component"]


@dataclass(frozen=True, slots=True)
class ComponentResult:
    """Chosen cycles and chain arcs of one component, with its objective and proven bound."""

    cycles: tuple[int, ...]  # indices into the component's cycle list
    arcs: tuple[ChainArc, ...]
    objective: int
    bound: float
    status: str  # "optimal" | "feasible" | "unknown"
    stats: dict[str, float] | None = None


def solve_component(
    cycles: Columns | Sequence[tuple[tuple[int, ...], int]],
    arcs: Sequence[ChainArc] = (),
    *,
    time_limit_s: float,
    backend: str = "CBC",
    seed: int = 0,
    workers: int = 1,
    lp_backend: str = "GLOP",
    executor: Executor | None = None,
    width: int = 1,
) -> ComponentResult:
    """Maximise the points of chosen cycles and chain arcs of one component.

    Parameters
    ----------
    cycles
        ``(households, points)`` for each candidate cycle, or every column at once as
        :class:`Columns` (then ``arcs`` is ignored).
    arcs
        Position-indexed chain arcs; a vacancy is any source that never appears as a target.
    time_limit_s
        Wall-clock budget.
    backend
        OR-Tools MIP solver id (``CBC``, ``HIGHS``, ``SCIP``, ``CP_SAT``).
    seed, workers
        Passed to backends that take them.
    lp_backend
        OR-Tools LP solver id of the relaxation (``GLOP``, ``HIGHS_LP``, ``CLP``, ``PDLP``).
    executor, width
        When ``width`` is 2 or more, a large-neighbourhood search solves ``width`` disjoint regions
        a round as tasks of ``executor`` (:class:`matching.search.Regions`); the rest of the solve
        runs here. The search's counts land in ``stats`` (``lns_`` keys).

    Returns
    -------
    ComponentResult
        The best solution found, its objective and the best bound.

    Raises
    ------
    ValueError
        When OR-Tools has no solver ``backend`` or ``lp_backend``.

    Examples
    --------
    >>> r = solve_component([((0, 1), 10), ((0, 1, 2), 12)], [], time_limit_s=5)
    >>> r.cycles, r.objective, r.status
    ((1,), 12, 'optimal')
    """
    start = time.perf_counter()
    deadline = start + time_limit_s
    columns = cycles if isinstance(cycles, Columns) else Columns.of(cycles, arcs)
    if columns.n_cycles + len(columns.source) == 0:
        return ComponentResult((), (), 0, 0.0, "optimal")
    model = build_program(columns)
    progress = Progress(start, {"variables": len(model.weights)})

    # 1. Relax: the LP bound by column generation; an integral LP optimum is the answer.
    relaxation = lp.relax(model, lp_backend, deadline)
    progress.lap("lp_s")
    if relaxation is None:  # no LP bound: one plain MIP over every column
        plain, plain_bound, name = mip.solve_mip(
            model,
            range(len(model.weights)),
            backend=backend,
            seconds=deadline - time.perf_counter(),
            seed=seed,
            workers=workers,
        )
        return _result(model, columns, plain, plain_bound, name, progress.stats)
    progress.stats.update(
        lp_bound=relaxation.value, lp_columns=relaxation.columns, lp_iterations=relaxation.iterations
    )
    rounded = _integral_optimum(model, relaxation)
    if rounded is not None:
        progress.stats["stage"] = 1
        return _result(model, columns, rounded, float(relaxation.top), "optimal", progress.stats)

    # 2. First solution: short MIPs over small sets that usually hold an optimal one.
    incumbent = search.first_solution(model, relaxation, deadline, backend, seed, workers, progress)
    bound, status = float(incumbent.value), "optimal"

    # 3. Prove or search, unless the first solution reaches the LP bound.
    if incumbent.value < relaxation.top:
        regions = Regions(executor, width)
        bound, status = proof.prove(
            model, relaxation, incumbent, deadline, backend, seed, workers, progress, regions
        )
        progress.stats.update(regions.stats())

    # 4. Read back the chosen cycles and chain arcs.
    progress.stats["stage"] = 2
    progress.stats["rounds"] = progress.rounds
    return _result(model, columns, incumbent.chosen, bound, status, progress.stats)


def _integral_optimum(model: Program, relaxation: Relaxation) -> list[int] | None:
    """The LP's solution when it is integral and worth ``floor(z)``: then it is optimal."""
    values = relaxation.values
    support = np.flatnonzero(values > tuning.INTEGRAL)
    if not bool(np.all(values[support] > 1 - tuning.INTEGRAL)):
        return None
    rounded: list[int] = support.tolist()
    return rounded if sum(model.weights[j] for j in rounded) >= relaxation.top else None


def _result(
    model: Program,
    columns: Columns,
    chosen: Sequence[int],
    bound: float,
    status: str,
    stats: dict[str, float],
) -> ComponentResult:
    """The chosen columns as cycle indices and chain arcs, their value, and a bound no lower."""
    n_cycles = columns.n_cycles
    chosen = sorted(chosen)
    value = sum(model.weights[j] for j in chosen)
    if status not in ("optimal", "feasible"):
        status = "feasible" if chosen else status
    return ComponentResult(
        tuple(j for j in chosen if j < n_cycles),
        tuple(columns.arc(j - n_cycles) for j in chosen if j >= n_cycles),
        value,
        max(bound, float(value)),
        status,
        stats,
    )
