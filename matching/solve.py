"""Solve an instance: prune, decompose into independent parts, model each part, assemble proposals."""

from __future__ import annotations

import contextlib
import gc
import time
from collections.abc import Iterator, Sequence
from concurrent.futures import Executor
from typing import Any

import numpy as np
import numpy.typing as npt

from matching import tuning
from matching.cycles import (
    Graph,
    arc_arrays,
    chain_depths,
    cycle_arrays,
    graph_of,
    strong_components,
    weak_components,
)
from matching.expected import chain_columns, weigh_cycles
from matching.model import ComponentResult, solve_component
from matching.program import ChainArc, Columns
from matching.types import Instance, Move, Proposal, Solution, SolveParams

__all__ = ["BATCH_COLUMNS", "solve"]

BATCH_COLUMNS = 2_000
"""Columns (cycles and chain arcs) of one executor task at least: small parts travel together."""

_ORDER = {"optimal": 0, "feasible": 1, "unknown": 2, "infeasible": 3}


def solve(
    instance: Instance,
    params: SolveParams | None = None,
    *,
    backend: str = "CBC",
    lp_backend: str = "GLOP",
    executor: Executor | None = None,
    executor_workers: int = 1,
) -> Solution:
    """Choose the cycles and chains of maximal total points (or expected points), with a proven bound.

    With ``params.objective == "expected"`` the value of a proposal is its expected points of
    completed moves under ``instance.chances`` (:mod:`matching.expected`), in thousandths of a point.

    Arcs that can lie neither on a cycle (both ends in one strongly connected component) nor on a
    chain (source within reach of a vacancy) are dropped; what is left splits into weakly connected
    components, solved one by one in the time left, or as tasks of ``executor``. On an executor of
    several workers, the largest part, when no proof MIP fits it (more than ``tuning.PROOF_MAX``
    columns), is solved here and its large-neighbourhood search sends disjoint regions to the
    workers, as many at once as there are workers (:class:`matching.search.Regions`).

    Parameters
    ----------
    instance
        Households, vacancies and scored moves.
    params
        Caps (``max_cycle``, ``max_chain``), time limit and seed.
    backend
        OR-Tools linear solver id used for each component.
    lp_backend
        OR-Tools LP solver id of each component's relaxation.
    executor
        When given, the components are its tasks, bundled into batches of about
        :data:`BATCH_COLUMNS` columns, a larger component alone; each stops by the
        wall-clock deadline (``time.time()``), so the executor may be another machine's.
    executor_workers
        How many tasks ``executor`` runs at once; from 2, a giant part's search solves that many
        regions a round as its tasks. The search's counts land in ``timings`` (``lns_`` keys).

    Returns
    -------
    Solution
        Proposals sorted by their first household, objective, bound, status and timings.

    Examples
    --------
    >>> from matching.types import Instance, Move
    >>> inst = Instance({"H1": "D1", "H2": "D2"}, ("V",), (Move("H1", "D2", 5), Move("H2", "D1", 4),
    ...                 Move("H2", "V", 7)))
    >>> s = solve(inst, SolveParams(max_cycle=2, max_chain=2))
    >>> s.objective, s.status, [p.kind for p in s.proposals]
    (12, 'optimal', ['chain'])
    """
    with _no_gc_pauses():
        return _solve(instance, params or SolveParams(), backend, lp_backend, executor, executor_workers)


@contextlib.contextmanager
def _no_gc_pauses() -> Iterator[None]:
    """Keep the cyclic garbage collector off while solving (restored after).

    Building a graph allocates many small containers, which triggers full collections: 25 ms of a
    35 ms solve on a 128-pair instance. Nothing the solver builds holds reference cycles.
    """
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


def _solve(
    instance: Instance,
    params: SolveParams,
    backend: str,
    lp_backend: str,
    executor: Executor | None,
    executor_workers: int,
) -> Solution:
    clock = time.perf_counter
    start = clock()
    graph = graph_of(instance)
    comp = strong_components(graph)
    depth = np.asarray(chain_depths(graph, params.max_chain), dtype=np.int64)
    n = graph.n_households
    src, dst, weight = arc_arrays(graph)
    labels = np.asarray(comp, dtype=np.int64)
    on_cycle = (src < n) & (labels[src] == labels[dst])  # arcs never enter a vacancy: dst < n
    on_chain = depth[src] < params.max_chain
    part_of = weak_components(graph.n_nodes, src[on_cycle | on_chain], dst[on_cycle | on_chain])
    n_parts = int(part_of.max(initial=-1)) + 1
    timings = {"graph_s": clock() - start}

    t0 = clock()
    members, points = cycle_arrays(graph, params.max_cycle, comp, (src, dst, weight))
    if params.objective == "expected":  # chains become explicit columns; no position-indexed arcs
        members, points = _expected_columns(instance, graph, params, members)
        on_chain = np.zeros(len(src), dtype=bool)
    # Chain arcs: out of a vacancy at position 1 only; out of a household at depth d, at d+1 .. max_chain.
    a_src, a_dst, a_w = src[on_chain], dst[on_chain], weight[on_chain]
    first = np.where(a_src >= n, 1, depth[a_src] + 1)
    count = np.where(a_src >= n, 1, params.max_chain - depth[a_src])
    pick = np.repeat(np.arange(len(a_src)), count)
    position = first[pick] + np.arange(len(pick)) - np.repeat(np.cumsum(count) - count, count)
    a_src, a_dst, a_w = a_src[pick], a_dst[pick], a_w[pick]
    cycle_part = part_of[members[:, 0]] if len(members) else np.zeros(0, dtype=np.int64)
    arc_part = part_of[a_src]
    cycle_groups = _split(cycle_part, n_parts)
    arc_groups = _split(arc_part, n_parts)
    columns = [
        Columns(members[c], points[c], a_src[a], a_dst[a], a_w[a], position[a])
        for c, a in zip(cycle_groups, arc_groups, strict=True)
    ]
    timings["cycles_s"] = clock() - t0

    t0 = clock()
    deadline = start + params.time_limit_s
    proposals: list[Proposal] = []
    objective = 0
    bound = 0.0
    status = "optimal"
    # Smallest parts first: a giant one takes the time they leave (taken first, it spent the whole
    # limit and the others ran past it: territory-20000 ended 2.4 s after its 240 s).
    ordered = sorted(columns, key=lambda c: c.n_cycles + len(c.source))
    options: dict[str, Any] = {
        "seed": params.seed,
        "workers": params.workers,
        "backend": backend,
        "lp_backend": lp_backend,
    }
    if executor is None:
        solved = [
            (part, solve_component(part, time_limit_s=max(0.05, deadline - clock()), **options))
            for part in ordered
        ]
    else:
        until = time.time() + params.time_limit_s - (clock() - start)
        solved = _solve_on(executor, ordered, until, options, executor_workers)
    for part, result in solved:
        for key, value in (result.stats or {}).items():
            if key == "stage" or key == "rounds":
                timings[key] = max(timings.get(key, 0.0), value)
            elif key != "lp_bound":
                timings[key] = timings.get(key, 0.0) + value
        objective += result.objective
        bound += result.bound
        if _ORDER[result.status] > _ORDER[status]:
            status = result.status
        for c in result.cycles:
            row = tuple(x for x in part.members[c].tolist() if x >= 0)
            proposals.append(_chain_proposal(graph, row) if row[0] >= n else _cycle_proposal(graph, row))
        proposals.extend(_chains(graph, result.arcs))
    timings["solve_s"] = clock() - t0
    timings["total_s"] = clock() - start
    if status == "infeasible":  # cannot happen (choosing nothing is feasible); report the solver's view
        status = "unknown"
    proposals.sort(key=lambda p: (p.kind, p.moves[0].household))
    return Solution(tuple(proposals), objective, max(bound, float(objective)), status, timings)  # type: ignore[arg-type]


def _solve_on(
    executor: Executor, parts: Sequence[Columns], until: float, options: dict[str, Any], width: int = 1
) -> list[tuple[Columns, ComponentResult]]:
    """Solve ``parts`` (smallest first) as tasks of ``executor``; results in the order of ``parts``.

    With ``width >= 2``, the last (largest) part, when giant (:func:`_giant`), is solved here
    while the others run, its search's regions ``width`` at a time as tasks of ``executor``.
    """
    here = parts[-1] if parts and width >= 2 and _giant(parts[-1]) else None
    elsewhere = parts[:-1] if here is not None else parts
    batches: list[list[Columns]] = [[]]
    size = 0
    for part in elsewhere:
        if size >= BATCH_COLUMNS:
            batches.append([])
            size = 0
        batches[-1].append(part)
        size += part.n_cycles + len(part.source)
    futures = [executor.submit(_solve_batch, batch, until, options) for batch in batches if batch]
    if here is not None:
        limit = max(0.05, until - time.time())
        giant = solve_component(here, time_limit_s=limit, executor=executor, width=width, **options)
    results = [result for future in futures for result in future.result()]
    if here is not None:
        results.append(giant)
    return list(zip(parts, results, strict=True))


def _giant(part: Columns) -> bool:
    """Whether no proof MIP fits ``part`` (more than ``tuning.PROOF_MAX`` columns): its time then
    goes to a large-neighbourhood search, worth spreading over the executor's workers."""
    return part.n_cycles + len(part.source) > tuning.PROOF_MAX


def _solve_batch(parts: Sequence[Columns], until: float, options: dict[str, Any]) -> list[ComponentResult]:
    """One executor task: solve ``parts`` in order, each by the wall-clock time ``until``."""
    return [solve_component(part, time_limit_s=max(0.05, until - time.time()), **options) for part in parts]


def _expected_columns(
    instance: Instance, graph: Graph, params: SolveParams, members: npt.NDArray[np.int64]
) -> tuple[npt.NDArray[np.int64], npt.NDArray[np.int64]]:
    """Cycles weighed by their expected value, then the chains as columns (vacancy first); a household's
    floor (``instance.floors``) counts whatever the chances."""
    index = {h: i for i, h in enumerate(graph.households)}
    owner = {d: u for u, d in enumerate(graph.dwellings)}
    chance: dict[tuple[int, int], float] = {}
    for (household, dwelling), p in instance.chances.items():
        u, v = owner.get(dwelling), index.get(household)
        if u is not None and v is not None:
            chance[(u, v)] = float(p)
    floor = None
    if any(f > 0 for f in instance.floors.values()):
        floor = [float(instance.floors.get(h, 0.0)) for h in graph.households]
    cycle_weights = weigh_cycles(graph, members, chance, floor)
    members, cycle_weights = members[cycle_weights > 0], cycle_weights[cycle_weights > 0]  # worth nothing
    chains, chain_weights = chain_columns(
        graph, params.max_chain, chance, keep_prefix=params.keep_prefix, floor=floor
    )
    width = max(members.shape[1], chains.shape[1])
    padded = np.full((len(members) + len(chains), width), -1, dtype=np.int64)
    padded[: len(members), : members.shape[1]] = members
    padded[len(members) :, : chains.shape[1]] = chains
    return padded, np.concatenate([cycle_weights, chain_weights])


def _split(part: npt.NDArray[np.int64], n_parts: int) -> list[npt.NDArray[np.int64]]:
    """Indices of each part's items, in their original order."""
    if n_parts == 0:
        return []
    order = np.argsort(part, kind="stable")
    cuts = np.searchsorted(part[order], np.arange(1, n_parts))
    return np.split(order, cuts)


def _cycle_proposal(graph: Graph, cycle: tuple[int, ...]) -> Proposal:
    """Household ``cycle[i]`` takes the dwelling of ``cycle[i-1]``."""
    moves = tuple(
        Move(graph.households[cycle[i]], graph.dwellings[cycle[i - 1]], graph.weight(cycle[i - 1], cycle[i]))
        for i in range(len(cycle))
    )
    return Proposal("cycle", moves)


def _chain_proposal(graph: Graph, row: tuple[int, ...]) -> Proposal:
    """An explicit chain column: ``row[0]`` is the vacancy, then households in order."""
    moves = tuple(
        Move(graph.households[row[k]], graph.dwellings[row[k - 1]], graph.weight(row[k - 1], row[k]))
        for k in range(1, len(row))
    )
    return Proposal("chain", moves)


def _chains(graph: Graph, arcs: tuple[ChainArc, ...]) -> list[Proposal]:
    by_source = {(a.source, a.position): a for a in arcs}
    chains = []
    for a in sorted(arcs, key=lambda a: a.source):
        if a.position != 1:
            continue
        moves = []
        arc: ChainArc | None = a
        while arc is not None:
            moves.append(Move(graph.households[arc.target], graph.dwellings[arc.source], arc.weight))
            arc = by_source.get((arc.target, arc.position + 1))
        chains.append(Proposal("chain", tuple(moves)))
    return chains
