"""Solve an instance: prune, decompose into independent parts, model each part, assemble proposals."""

from __future__ import annotations

import time

from matching.cycles import Graph, chain_depths, components, graph_of, strong_components, weighted_cycles
from matching.model import ChainArc, solve_component
from matching.types import Instance, Move, Proposal, Solution, SolveParams

__all__ = ["solve"]

_ORDER = {"optimal": 0, "feasible": 1, "unknown": 2, "infeasible": 3}


def solve(
    instance: Instance, params: SolveParams | None = None, *, backend: str = "CBC", lp_backend: str = "GLOP"
) -> Solution:
    """Choose the cycles and chains of maximal total points, with a proven bound.

    Arcs that can lie neither on a cycle (both ends in one strongly connected component) nor on a
    chain (source within reach of a vacancy) are dropped; what is left splits into weakly connected
    components, solved one by one in the time left.

    Parameters
    ----------
    instance
        Households, vacancies and scored moves.
    params
        Caps (``max_cycle``, ``max_chain``), time limit and seed.
    backend
        OR-Tools linear solver id used for each component.

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
    params = params or SolveParams()
    clock = time.perf_counter
    start = clock()
    graph = graph_of(instance)
    comp = strong_components(graph)
    depth = chain_depths(graph, params.max_chain)
    n = graph.n_households
    keep: list[list[tuple[int, int]]] = [[] for _ in range(graph.n_nodes)]
    for u in range(graph.n_nodes):
        for v, w in graph.succ[u]:
            if (u < n and comp[u] == comp[v]) or depth[u] < params.max_chain:
                keep[u].append((v, w))
    parts = components(graph, keep)
    timings = {"graph_s": clock() - start}

    t0 = clock()
    cycles_of: list[list[tuple[tuple[int, ...], int]]] = [[] for _ in parts]
    part_of = [-1] * graph.n_nodes
    for i, nodes in enumerate(parts):
        for x in nodes:
            part_of[x] = i
    for cycle, points in weighted_cycles(graph, params.max_cycle, comp):
        cycles_of[part_of[cycle[0]]].append((cycle, points))
    arcs_of: list[list[ChainArc]] = [[] for _ in parts]
    for u in range(graph.n_nodes):
        if depth[u] >= params.max_chain:
            continue
        first = 1 if u >= n else depth[u] + 1
        last = 1 if u >= n else params.max_chain
        for v, w in graph.succ[u]:
            for k in range(first, last + 1):
                arcs_of[part_of[u]].append(ChainArc(u, v, w, k))
    timings["cycles_s"] = clock() - t0

    t0 = clock()
    deadline = start + params.time_limit_s
    proposals: list[Proposal] = []
    objective = 0
    bound = 0.0
    status = "optimal"
    for i in range(len(parts)):
        left = max(0.05, deadline - clock())
        result = solve_component(
            cycles_of[i],
            arcs_of[i],
            time_limit_s=left,
            seed=params.seed,
            workers=params.workers,
            backend=backend,
            lp_backend=lp_backend,
        )
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
            proposals.append(_cycle_proposal(graph, cycles_of[i][c][0]))
        proposals.extend(_chains(graph, result.arcs))
    timings["solve_s"] = clock() - t0
    timings["total_s"] = clock() - start
    if status == "infeasible":  # cannot happen (choosing nothing is feasible); report the solver's view
        status = "unknown"
    proposals.sort(key=lambda p: (p.kind, p.moves[0].household))
    return Solution(tuple(proposals), objective, max(bound, float(objective)), status, timings)  # type: ignore[arg-type]


def _cycle_proposal(graph: Graph, cycle: tuple[int, ...]) -> Proposal:
    """Household ``cycle[i]`` takes the dwelling of ``cycle[i-1]``."""
    moves = tuple(
        Move(graph.households[cycle[i]], graph.dwellings[cycle[i - 1]], graph.weight(cycle[i - 1], cycle[i]))
        for i in range(len(cycle))
    )
    return Proposal("cycle", moves)


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
